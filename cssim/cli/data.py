"""``cssim calibrate`` and ``cssim backtest``: from a billing export to a scenario, and how well it forecasts.

Each calls one function of :mod:`cssim.runs.calibration`, which prints what it wrote and returns the
exit code.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..words.i18n import N_
from .common import Command, current_lang, paths_and_seed, positive_int

__all__ = ["COMMANDS"]


# -- calibrate -------------------------------------------------------------------------------------


def _calibrate_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "data",
        type=Path,
        metavar="DATA.csv",
        help=N_("MRR table (customer, month, mrr) or cohort table (cohort, period, active)"),
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


def calibrate(args: argparse.Namespace) -> int:
    """Fit a scenario to billing data (:func:`~cssim.runs.calibration.calibrate_cli`)."""
    from ..runs.calibration import calibrate_cli

    return calibrate_cli(
        args.data, args.out, args.report, backtest_months=args.backtest or 0, lang=current_lang()
    )


# -- backtest --------------------------------------------------------------------------------------


def _backtest_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "data", type=Path, metavar="DATA.csv", help=N_("MRR table (customer, month, mrr)")
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


def backtest(args: argparse.Namespace) -> int:
    """Fit on all but the last N months and forecast them (:func:`~cssim.runs.calibration.backtest_cli`)."""
    from ..runs.calibration import backtest_cli

    return backtest_cli(
        args.data, args.holdout, args.out, paths=args.paths, seed=args.seed, lang=current_lang()
    )


COMMANDS = (
    Command(
        "calibrate",
        N_("fit a scenario to billing data (an MRR or cohort CSV)"),
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
