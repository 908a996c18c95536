"""``cssim validate``, ``schema``, ``run`` and ``report``: one scenario checked, simulated or reported.

Each command reads its arguments, calls one function of the package (:func:`cssim.load_scenario`,
:func:`cssim.runs.single.run_scenario`, :func:`cssim.reporting.report.render_report`) and prints what it
returns; ``cssim run`` prints its headline KPIs as a small table (:func:`kpi_table`).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ..model._lazy import LazyModule
from ..model._lazy import pandas as pd
from ..model.errors import ScenarioError
from ..model.metrics import METRICS
from ..runs.naming import output_slug
from ..words import formatting as fmt
from ..words.errors_text import scenario_error_text, translate_message
from ..words.i18n import N_
from .common import (
    BAD_INPUT,
    OK,
    BadInput,
    Command,
    RunError,
    _,
    current_lang,
    executor_arguments,
    load_scenario,
    month_list,
    positive_float,
    precision_arguments,
    sampling_argument,
    simulation_arguments,
)

if TYPE_CHECKING:
    from ..runs.single import ScenarioRun

__all__ = ["COMMANDS", "kpi_table"]

# The engine and the scenario schema load when a command first needs them.
_scenario = LazyModule("cssim.model.scenario")
_single = LazyModule("cssim.runs.single")


# -- validate --------------------------------------------------------------------------------------


def _validate_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", nargs="+", type=Path, metavar="FILE", help=N_("scenario YAML files"))


def validate(args: argparse.Namespace) -> int:
    """Read every file; ``ok: FILE (name, n segments)`` or every problem of it. 2 if any is bad."""
    code = OK
    for path in args.files:
        try:
            scenario = load_scenario(path)
        except ScenarioError as e:
            print(scenario_error_text(e, current_lang()), file=sys.stderr)
            code = BAD_INPUT
            continue
        n = len(scenario.segments)
        if n == 1:
            print(_("ok: {path} ({name}, 1 segment)", path=path, name=scenario.name))
        else:
            print(_("ok: {path} ({name}, {n} segments)", path=path, name=scenario.name, n=n))
    return code


# -- schema ----------------------------------------------------------------------------------------


def schema(args: argparse.Namespace) -> int:
    """The JSON schema of scenario files, for editors."""
    print(json.dumps(_scenario.Scenario.model_json_schema(), indent=2))
    return OK


# -- run -------------------------------------------------------------------------------------------


def _run_arguments(p: argparse.ArgumentParser) -> None:
    simulation_arguments(
        p,
        N_(
            "writes DIR/<name>/summary.csv, quantiles.csv, unit_economics.csv and expected.csv, "
            "<name> being the file name without .yaml (default: reports)"
        ),
    )
    p.add_argument(
        "--months",
        type=month_list,
        default=None,
        metavar="M,M,...",
        help=N_("months the summary shows (default: 12,24,36 within the horizon)"),
    )
    executor_arguments(
        p,
        jobs_help=N_("run the paths' blocks in N local processes (same numbers as 1)"),
        scheduler_help=N_("run the paths' blocks on a Dask cluster, e.g. tcp://127.0.0.1:8786"),
    )
    p.add_argument(
        "--summary",
        action=argparse.BooleanOptionalAction,
        default=None,
        help=N_(
            "keep mergeable statistics, not every path (quantiles within 0.5%%); chosen "
            "automatically when keeping every path would need more than 1 GB"
        ),
    )
    sampling_argument(p)
    precision_arguments(p)


def run(args: argparse.Namespace) -> int:
    """Simulate a scenario, write its tables (:func:`~cssim.runs.single.run_scenario`), print its KPIs."""
    scenario = load_scenario(args.scenario)
    if args.months is not None:
        late = [m for m in args.months if m > scenario.horizon_months]
        if late:
            raise BadInput(
                _(
                    "--months {months} is after the horizon of {scenario} ({horizon} months)",
                    months=",".join(map(str, late)),
                    scenario=args.scenario,
                    horizon=scenario.horizon_months,
                )
            )
    lang = current_lang()
    done: ScenarioRun = _single.run_scenario(
        scenario,
        args.scenario,
        args.out,
        paths=args.paths,
        seed=args.seed,
        months=args.months,
        summary=args.summary,
        jobs=args.jobs,
        scheduler=args.scheduler,
        progress=sys.stderr.isatty(),
        lang=lang,
        sampling=args.sampling,
        precision=args.precision,
        confidence=args.confidence,
        max_paths=args.max_paths,
        precision_stat=args.precision_stat,
    )
    result = done.result
    print(
        _(
            "{name}: {paths} paths, seed {seed}, {currency}",
            name=scenario.name,
            paths=fmt.count(result.paths, lang),
            seed=result.seed,
            currency=scenario.currency,
        )
    )
    if done.summary_mode:
        print(
            _(
                "summary mode: exact means and probabilities, quantiles within {alpha}",
                alpha=fmt.percent(result.alpha, lang),
            )
        )
    if result.scenario.sampling not in (None, "random"):
        print(_("sampling: {method}", method=result.scenario.sampling))
    if result.precision_stop is not None:
        print(stop_text(result.precision_stop, lang, scenario.currency))
    print(kpi_table(done.summary, lang, scenario.currency))
    files = ", ".join(p.name for p in done.files)
    print(_("wrote {files} to {folder}", files=files, folder=done.folder))
    return OK


#: The rows of the KPI table printed by ``cssim run``.
TABLE_KPIS = (
    "arr",
    "customers",
    "nrr",
    "grr",
    "logo_churn_rate",
    "ltv_cac",
    "cac_payback",
    "p_arr_grows",
    "p_arr_target",
)
_PERCENT = {"nrr", "grr", "logo_churn_rate", "p_arr_grows", "p_arr_target"}


def kpi_table(summary: pd.DataFrame, lang: str = "en", currency: str = "JPY") -> str:
    """A small text table of the headline KPIs: medians (probabilities as such) by month."""
    from ..words.labels import metric_label

    months = sorted(summary["month"].unique())
    rows = []
    for kpi in TABLE_KPIS:
        sel = summary[summary["kpi"] == kpi]
        if sel.empty:
            continue
        by_month = sel.set_index("month")
        cells = []
        for t in months:
            r = by_month.loc[t]
            value = r["mean"] if r["unit"] == "probability" else r["median"]
            cells.append(_format(kpi, r["unit"], value, lang, currency))
        label = metric_label(kpi, lang) if kpi in METRICS else sel["label"].iloc[0]
        if kpi == "p_arr_grows":
            label = _("P(ARR grows)")
        elif kpi == "p_arr_target":
            label = _("P(ARR reaches the target)")
        rows.append([label, *cells])
    rows.insert(0, [_("KPI (median)"), *[_("month {month}", month=t) for t in months]])
    widths = [max(fmt.display_width(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(
            [
                row[0] + " " * (widths[0] - fmt.display_width(row[0])),
                *(
                    " " * (w - fmt.display_width(c)) + c
                    for c, w in zip(row[1:], widths[1:], strict=True)
                ),
            ]
        )
        for row in rows
    )


def _format(kpi: str, unit: str, value: float, lang: str = "en", currency: str = "JPY") -> str:
    if pd.isna(value):
        return "–"
    if kpi in _PERCENT:
        return fmt.percent(value, lang, 1)
    if unit == "currency":
        return fmt.money(value, currency, lang)
    if unit == "customers":
        return fmt.count(value, lang)
    if unit == "months":
        return fmt.months(value, lang, 1)
    return fmt.number(value, lang, 2)


def stop_text(stop, lang: str = "en", currency: str = "JPY") -> str:
    """Where and why a precision-stopped run stopped, in one sentence in ``lang``."""
    from ..words.labels import precision_stat_label

    values = {
        "paths": fmt.count(stop.paths, lang),
        "stat": precision_stat_label(stop.stat, lang),
        "month": stop.month,
        "estimate": fmt.percent(stop.estimate, lang, 2)
        if stop.stat == "p_grows"
        else fmt.money(stop.estimate, currency, lang),
        "half": fmt.percent(stop.relative, lang, 2),
        "confidence": fmt.percent(stop.confidence, lang, 0),
        "precision": fmt.percent(stop.precision, lang, 2),
    }
    if stop.converged:
        return _(
            "stopped at {paths} paths: {stat} at month {month} is {estimate}, known within "
            "±{half} at {confidence} confidence (asked: ±{precision})",
            **values,
        )
    return _(
        "stopped at the cap of {paths} paths: {stat} at month {month} is {estimate}, known within "
        "±{half} at {confidence} confidence, short of the ±{precision} asked (raise --max-paths or "
        "loosen --precision)",
        **values,
    )


# -- report ----------------------------------------------------------------------------------------


def _report_arguments(p: argparse.ArgumentParser) -> None:
    simulation_arguments(
        p,
        N_(
            "writes DIR/<name>.html (self-contained) and the executed notebook DIR/<name>.ipynb, "
            "<name> being the file name without .yaml (default: reports)"
        ),
    )
    p.add_argument(
        "--target-arr",
        type=positive_float,
        default=None,
        metavar="X",
        help=N_("ARR target for P(ARR >= target) (default: the scenario's target_arr)"),
    )
    sampling_argument(p)
    precision_arguments(p)


def _stop_options(args: argparse.Namespace) -> dict:
    """``--sampling`` and ``--precision`` (with its options) for a report, when given."""
    out: dict = {}
    if args.sampling is not None:
        out["sampling"] = args.sampling
    if args.precision is not None:
        out["precision"] = {
            "precision": args.precision,
            "confidence": args.confidence,
            "max_paths": args.max_paths,
            "stat": args.precision_stat,
        }
    return out


def report(args: argparse.Namespace) -> int:
    """Render a scenario's offline HTML report (:func:`~cssim.reporting.report.render_report`)."""
    load_scenario(args.scenario)  # bad input fails here, before a kernel starts
    try:
        from ..reporting.report import ReportError, render_report
    except ImportError as e:
        raise RunError(_("the report module is not available: {error}", error=e)) from e
    try:
        html = render_report(
            args.scenario,
            out_dir=args.out,
            paths=args.paths,
            seed=args.seed,
            target_arr=args.target_arr,
            lang=args.lang,
            name=output_slug(args.scenario),
            **_stop_options(args),
        )
    except ScenarioError:
        raise
    except ReportError as e:
        raise RunError(
            _("report for {scenario} failed: {error}", scenario=args.scenario, error=e)
        ) from e
    except ValueError as e:  # render_report's word for "a parameter is not allowed"
        raise BadInput(translate_message(str(e), current_lang())) from e
    print(_("wrote {files}", files=html))
    return OK


COMMANDS = (
    Command(
        "validate",
        N_("check scenario files and report every problem"),
        _validate_arguments,
        validate,
    ),
    Command(
        "run",
        N_("simulate a scenario and write summary, quantile, unit-economics and expected CSVs"),
        _run_arguments,
        run,
    ),
    Command(
        "schema",
        N_("print the JSON schema of scenario files (for editors)"),
        lambda p: None,
        schema,
    ),
    Command(
        "report",
        N_("render an offline HTML report of a scenario: DIR/<name>.html and DIR/<name>.ipynb"),
        _report_arguments,
        report,
    ),
)
