"""``cssim calibrate`` and ``cssim backtest``: from a billing export to a scenario, and how well it forecasts.

Each calls one function of :mod:`cssim.runs.calibration`, which prints what it wrote and returns the
exit code.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..words.i18n import N_, Translator
from .common import Command, current_lang, paths_and_seed, positive_int, share

__all__ = ["COMMANDS"]


# -- how to read the file (both commands) ---------------------------------------------------------

FORMATS = ("mrr", "subscriptions", "wide", "invoices", "cohort")


def _fx(text: str) -> tuple[str, str]:
    """``USD=150``: one unit of USD is worth 150 of the scenario's currency (checked when read)."""
    code, sep, rate = text.partition("=")
    if not sep or not code.strip() or not rate.strip():
        raise argparse.ArgumentTypeError(
            Translator(current_lang())(
                "{value!r} is not a rate: write CODE=RATE, such as USD=150", value=text
            )
        )
    return code.strip(), rate.strip()


def _reading_arguments(p: argparse.ArgumentParser) -> None:
    """The options of :func:`cssim.data.intake.read_billing`, checked when the file is read."""
    g = p.add_argument_group(N_("reading the file"))
    g.add_argument(
        "--format",
        choices=FORMATS,
        default=None,
        help=N_("the file's format (default: detected from the headers)"),
    )
    g.add_argument(
        "--encoding",
        default=None,
        metavar="NAME",
        help=N_("text encoding, such as cp932 (default: UTF-8, UTF-16 by BOM, else CP932)"),
    )
    g.add_argument(
        "--timezone",
        default=None,
        metavar="ZONE",
        help=N_("the business's time zone, such as Asia/Tokyo (default: UTC)"),
    )
    g.add_argument(
        "--as-of",
        default=None,
        metavar="DATE",
        help=N_("the last day the data describe, such as 2026-01-31 (default: the latest date)"),
    )
    g.add_argument(
        "--currency",
        default=None,
        metavar="CODE",
        help=N_("the scenario's currency (default: the file's currency column, else JPY)"),
    )
    g.add_argument(
        "--fx",
        type=_fx,
        action="append",
        default=None,
        metavar="CODE=RATE",
        help=N_("the value of one unit of another currency in the scenario's, such as USD=150"),
    )
    g.add_argument(
        "--tax-included",
        default=None,
        metavar="RATE",
        help=N_("amounts include tax at RATE (such as 0.10): take it out"),
    )
    g.add_argument(
        "--interval",
        default=None,
        metavar="INTERVAL",
        help=N_("billing interval of invoice lines that do not say it (month, year, 月, 年)"),
    )
    order = g.add_mutually_exclusive_group()
    order.add_argument(
        "--dayfirst",
        dest="dayfirst",
        action="store_const",
        const=True,
        default=None,
        help=N_("read 01/02/2024 as 1 February (default: such dates are refused)"),
    )
    order.add_argument(
        "--monthfirst",
        dest="dayfirst",
        action="store_const",
        const=False,
        help=N_("read 01/02/2024 as 2 January"),
    )


def read_options(args: argparse.Namespace) -> dict:
    """The reading options given on the command line, as keyword arguments of the reader."""
    given = {
        "format": args.format,
        "encoding": args.encoding,
        "timezone": args.timezone,
        "as_of": args.as_of,
        "currency": args.currency,
        "fx": dict(args.fx) if args.fx else None,
        "tax_included": args.tax_included,
        "interval": args.interval,
        "dayfirst": args.dayfirst,
    }
    return {k: v for k, v in given.items() if v is not None}


# -- calibrate -------------------------------------------------------------------------------------


def _calibrate_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "data",
        type=Path,
        metavar="DATA.csv",
        help=N_(
            "a billing export: MRR table (customer, month, mrr), subscription periods, a customer x "
            "month sheet, invoice lines, or a cohort table (cohort, period, active)"
        ),
    )
    p.add_argument(
        "--out",
        type=Path,
        required=True,
        metavar="SCENARIO.yaml",
        help=N_("where to write the calibrated scenario"),
    )
    p.add_argument(
        "--report",
        type=Path,
        default=None,
        metavar="DIR",
        help=N_("also write DIR/calibration.html"),
    )
    p.add_argument(
        "--backtest",
        type=positive_int,
        default=None,
        metavar="N",
        help=N_("also backtest on the last N months (shown in the report)"),
    )
    p.add_argument(
        "--widen",
        action=argparse.BooleanOptionalAction,
        default=True,
        help=N_(
            "widen the bands until the company's own past forecasts (12, 9, 6 and 3 months back) "
            "would have held 80% of what happened (shown in the report; the default, --no-widen "
            "keeps the fitted spread)"
        ),
    )
    p.add_argument(
        "--size-bands",
        type=positive_int,
        default=None,
        metavar="N",
        help=N_(
            "one segment per size band of each customer's first MRR (2 to 5 bands), each fitted on "
            "its own customers: for a company whose small accounts leave more often; 1 keeps one "
            "segment (default: 3 bands when the customers who left were smaller or larger than "
            "their cohort's average, 300 customers are active at the end and neither --usage nor "
            "--backtest is given, else 1)"
        ),
    )
    p.add_argument(
        "--growth-endurance",
        type=share,
        default=None,
        metavar="P",
        help=N_(
            "the share of a fitted growth of new customers the forecast keeps each year, 0 to 1 "
            "(1: a growth that never fades; default: a prior, a business's growth rate keeping 50% "
            "to 100% a year, most likely 80%, carried over to its new customers by the base's "
            "growth and churn)"
        ),
    )
    g = p.add_argument_group(N_("usage states"))
    g.add_argument(
        "--usage",
        type=Path,
        default=None,
        metavar="USAGE.csv",
        help=N_(
            "usage per customer and month (customer, month, and a usage share 0-1, a count with "
            "--usage-max, or a state): fit the segment's usage states"
        ),
    )
    g.add_argument(
        "--usage-max",
        type=float,
        default=None,
        metavar="N",
        help=N_("the count that means full use, when the usage column is a count"),
    )
    g.add_argument(
        "--states",
        default=None,
        metavar="TEXT",
        help=N_(
            "states from the least used up with the share each ends below (default: "
            "dormant<0.2,at risk<0.6,healthy; in Japanese 休眠<0.2,要注意<0.6,健全)"
        ),
    )
    _reading_arguments(p)


def calibrate(args: argparse.Namespace) -> int:
    """Fit a scenario to billing data (:func:`~cssim.runs.calibration.calibrate_cli`)."""
    from ..runs.calibration import calibrate_cli

    return calibrate_cli(
        args.data,
        args.out,
        args.report,
        backtest_months=args.backtest or 0,
        lang=current_lang(),
        read_options=read_options(args),
        usage=args.usage,
        usage_max=args.usage_max,
        states=args.states,
        widen=args.widen,
        size_bands=args.size_bands,
        growth_endurance=args.growth_endurance,
    )


# -- backtest --------------------------------------------------------------------------------------


def _backtest_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "data",
        type=Path,
        metavar="DATA.csv",
        help=N_("a billing export with MRR per customer (any format but a cohort table)"),
    )
    p.add_argument(
        "--holdout",
        type=positive_int,
        required=True,
        metavar="N",
        help=N_("months held out at the end: fit on the rest, forecast these"),
    )
    p.add_argument(
        "--out", type=Path, default=None, metavar="DIR", help=N_("write DIR/backtest.html and .png")
    )
    paths_and_seed(
        p,
        2000,
        paths_help=N_("Monte Carlo paths of the forecast (default: 2000)"),
        seed_help=N_("random seed, 0 or more (default: 42)"),
    )
    _reading_arguments(p)


def backtest(args: argparse.Namespace) -> int:
    """Fit on all but the last N months and forecast them (:func:`~cssim.runs.calibration.backtest_cli`)."""
    from ..runs.calibration import backtest_cli

    return backtest_cli(
        args.data,
        args.holdout,
        args.out,
        paths=args.paths,
        seed=args.seed,
        lang=current_lang(),
        read_options=read_options(args),
    )


COMMANDS = (
    Command(
        "calibrate",
        N_("fit a scenario to a billing export (MRR, subscriptions, sheet, invoices or cohorts)"),
        _calibrate_arguments,
        calibrate,
    ),
    Command(
        "backtest",
        N_("fit on all but the last N months, forecast them, compare"),
        _backtest_arguments,
        backtest,
    ),
)
