"""The ``cssim`` command: a thin layer over :func:`load_scenario`, :func:`simulate` and friends.

Subcommands live in a small registry (:data:`COMMANDS`); each takes the parsed arguments and
returns an exit code:

- 0: everything worked;
- 1: a run failed (the simulation, writing files, rendering a report);
- 2: bad input (an invalid or missing scenario, bad arguments).

No command prints a Python traceback: errors are one readable message on stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ._version import __version__
from .model._lazy import LazyModule
from .model._lazy import pandas as pd
from .model.errors import ScenarioError
from .model.metrics import METRICS
from .runs.naming import output_slug
from .words import formatting as fmt
from .words.errors_text import scenario_error_text, translate_message
from .words.i18n import LANGS, N_, Translator, resolve_lang

if TYPE_CHECKING:
    from .model.scenario import Scenario

# The scenario schema (pydantic), the limits and the engine load when a command first needs them, so
# ``cssim --help`` and argument errors answer without them.
_limits = LazyModule("cssim.model.limits")
_scenario = LazyModule("cssim.model.scenario")
_single = LazyModule("cssim.runs.single")


def load_scenario(path):
    """:func:`cssim.load_scenario` (imported on first use)."""
    return _scenario.load_scenario(path)


def simulate(*args, **kwargs):
    """:func:`cssim.simulate` (imported on first use)."""
    return _single.simulate(*args, **kwargs)


__all__ = ["COMMANDS", "main"]

OK, FAILED, BAD_INPUT = 0, 1, 2


class RunError(Exception):
    """A step of a command failed (exit 1); ``str()`` says which step and why."""


class BadInput(Exception):
    """Arguments that argparse cannot check alone, such as months after the horizon (exit 2)."""


# -- argument types: each raises ArgumentTypeError, which argparse turns into exit 2 ---------------


def int_at_least(minimum: int, allowed: str) -> Callable[[str], int]:
    """An argparse type: a whole number of at least ``minimum`` (``allowed`` says so in words)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                _("{text} is not a whole number", text=repr(text))
            ) from None
        if value < minimum:
            raise argparse.ArgumentTypeError(
                _("{value} is not allowed: give {allowed}", value=value, allowed=_(allowed))
            )
        return value

    parse.__name__ = f"int_at_least_{minimum}"  # argparse names the type in its messages
    return parse


positive_int = int_at_least(1, N_("1 or more"))


def path_count(text: str) -> int:
    """An argparse type for ``--paths``: 1 to :data:`cssim.model.limits.MAX_PATHS`."""
    value = positive_int(text)
    if value > _limits.MAX_PATHS:
        raise argparse.ArgumentTypeError(
            _(
                "{value} is not allowed: give at most {limit} paths (the Monte Carlo error at "
                "{limit} is already a thousandth of the spread)",
                value=f"{value:,}",
                limit=f"{_limits.MAX_PATHS:,}",
            )
        )
    return value


non_negative_int = int_at_least(0, N_("0 or a positive number"))


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(_("{text} is not a number", text=repr(text))) from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(
            _("{value} is not allowed: give {allowed}", value=text, allowed=_("a positive number"))
        )
    return value


def month_list(text: str) -> list[int]:
    try:
        months = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            _("{text} is not a comma-separated list of months such as 12,24,36", text=repr(text))
        ) from None
    if not months or any(m < 0 for m in months):
        raise argparse.ArgumentTypeError(
            _("{text}: give months 0 or later, such as 12,24,36", text=repr(text))
        )
    return months


# -- the registry ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Command:
    """One subcommand: how to declare its arguments and the function that runs it."""

    name: str
    help: str
    arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


COMMANDS: dict[str, Command] = {}

#: The language of this run's messages (``--lang``); set once by :func:`main`.
_LANG = ["en"]


def _(message: str, /, **kwargs) -> str:
    """``message`` in the language of this run (``--lang``), with ``{name}`` values filled in."""
    if _LANG[0] == "en":  # English needs no catalog: keeps Babel off the English paths
        return message.format(**kwargs) if kwargs else message
    return Translator(_LANG[0])(message, **kwargs)


#: The environment variable that chooses the language when no ``--lang`` is given.
LANG_ENV = "CSSIM_LANG"

_LANG_HELP = N_(
    "language of summaries, pages, errors and this help: en or ja (default: $CSSIM_LANG, "
    "else the scenario's language:, else en)"
)


def _lang_argument(p: argparse.ArgumentParser) -> None:
    """``--lang ja|en``: the language of what the command prints and writes (default: English)."""
    p.add_argument("--lang", choices=LANGS, default=None, help=_LANG_HELP)


def command(name: str, help: str, arguments: Callable[[argparse.ArgumentParser], None]):
    """Register the decorated function as the subcommand ``name``."""

    def register(fn: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
        COMMANDS[name] = Command(name, help, arguments, fn)
        return fn

    return register


def _paths_and_seed(
    p: argparse.ArgumentParser, paths: int, paths_help: str, seed_help: str
) -> None:
    """The ``--paths N`` and ``--seed S`` options every simulating command takes."""
    p.add_argument("--paths", type=path_count, default=paths, metavar="N", help=paths_help)
    p.add_argument("--seed", type=non_negative_int, default=42, metavar="S", help=seed_help)


def _simulation_arguments(p: argparse.ArgumentParser, out_help: str) -> None:
    p.add_argument("scenario", type=Path, help=N_("scenario YAML file"))
    p.add_argument(
        "--out",
        type=Path,
        default=Path("reports"),
        metavar="DIR",
        help=out_help,
    )
    _paths_and_seed(
        p,
        10_000,
        paths_help=N_("Monte Carlo paths, a positive integer (default: 10000)"),
        seed_help=N_("random seed, 0 or more; same seed, same numbers (default: 42)"),
    )


# -- validate --------------------------------------------------------------------------------------


def _validate_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", nargs="+", type=Path, metavar="FILE", help=N_("scenario YAML files"))


@command("validate", N_("check scenario files and report every problem"), _validate_arguments)
def validate(args: argparse.Namespace) -> int:
    code = OK
    for path in args.files:
        try:
            scenario = load_scenario(path)
        except ScenarioError as e:
            print(scenario_error_text(e, _LANG[0]), file=sys.stderr)
            code = BAD_INPUT
            continue
        n = len(scenario.segments)
        if n == 1:
            print(_("ok: {path} ({name}, 1 segment)", path=path, name=scenario.name))
        else:
            print(_("ok: {path} ({name}, {n} segments)", path=path, name=scenario.name, n=n))
    return code


# -- run -------------------------------------------------------------------------------------------


def _executor_arguments(p: argparse.ArgumentParser, jobs_help: str, scheduler_help: str) -> None:
    """``--jobs N`` (local processes) or ``--scheduler ADDRESS`` (a Dask cluster), as every command
    that runs work in parallel takes them, one or the other; the help says what runs where."""
    where = p.add_mutually_exclusive_group()
    where.add_argument("--jobs", type=positive_int, default=1, metavar="N", help=jobs_help)
    where.add_argument("--scheduler", default=None, metavar="ADDRESS", help=scheduler_help)


def _run_arguments(p: argparse.ArgumentParser) -> None:
    _simulation_arguments(
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
    _executor_arguments(
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


#: Above this estimate of a full result's memory, ``cssim run`` keeps statistics instead of paths.
FULL_RUN_BYTES = 1 << 30


def full_run_bytes(scenario: Scenario, paths: int) -> int:
    """About what keeping every path takes: the stored arrays plus the float64 copies tables derive."""
    cells = paths * (scenario.horizon_months + 1)
    stored = 9 * 4 * len(scenario.segments)  # nine float32/int32 arrays per segment
    derived = 8 * len(METRICS)  # one float64 array per metric for the quantile table
    return cells * (stored + derived)


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


@command(
    "run",
    N_("simulate a scenario and write summary, quantile, unit-economics and expected CSVs"),
    _run_arguments,
)
def run(args: argparse.Namespace) -> int:
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
    folder = args.out / output_slug(args.scenario)
    summary_mode = args.summary
    if summary_mode is None:
        summary_mode = full_run_bytes(scenario, args.paths) > FULL_RUN_BYTES
    options = {"summary": True} if summary_mode else {}
    if args.scheduler:
        options["scheduler"] = args.scheduler
    elif args.jobs > 1:
        options["jobs"] = args.jobs
    try:
        result = simulate(
            scenario, paths=args.paths, seed=args.seed, progress=sys.stderr.isatty(), **options
        )
    except Exception as e:
        raise RunError(
            _("simulating {scenario} failed: {error}", scenario=args.scenario, error=e)
        ) from e
    try:
        tables = _single.run_tables(scenario, result, args.months)
        summary = tables["summary.csv"][0]
    except Exception as e:
        raise RunError(
            _("summarising {scenario} failed: {error}", scenario=args.scenario, error=e)
        ) from e
    try:
        _single.write_tables(tables, folder)
    except OSError as e:
        raise RunError(_("writing {folder} failed: {error}", folder=folder, error=e)) from e
    print(
        _(
            "{name}: {paths} paths, seed {seed}, {currency}",
            name=scenario.name,
            paths=fmt.count(result.paths, _LANG[0]),
            seed=result.seed,
            currency=scenario.currency,
        )
    )
    if summary_mode:
        print(
            _(
                "summary mode: exact means and probabilities, quantiles within {alpha}",
                alpha=fmt.percent(result.alpha, _LANG[0]),
            )
        )
    print(kpi_table(summary, _LANG[0], scenario.currency))
    print(_("wrote {files} to {folder}", files=", ".join(tables), folder=folder))
    return OK


def kpi_table(summary: pd.DataFrame, lang: str = "en", currency: str = "JPY") -> str:
    """A small text table of the headline KPIs: medians (probabilities as such) by month."""
    from .words.labels import metric_label

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


# -- schema ----------------------------------------------------------------------------------------


@command("schema", N_("print the JSON schema of scenario files (for editors)"), lambda p: None)
def schema(args: argparse.Namespace) -> int:
    print(json.dumps(_scenario.Scenario.model_json_schema(), indent=2))
    return OK


# -- report ----------------------------------------------------------------------------------------


def _report_arguments(p: argparse.ArgumentParser) -> None:
    _simulation_arguments(
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


@command(
    "report",
    N_("render an offline HTML report of a scenario: DIR/<name>.html and DIR/<name>.ipynb"),
    _report_arguments,
)
def report(args: argparse.Namespace) -> int:
    load_scenario(args.scenario)  # bad input fails here, before a kernel starts
    try:
        from .reporting.report import ReportError, render_report
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
        )
    except ScenarioError:
        raise
    except ReportError as e:
        raise RunError(
            _("report for {scenario} failed: {error}", scenario=args.scenario, error=e)
        ) from e
    except ValueError as e:  # render_report's word for "a parameter is not allowed"
        raise BadInput(translate_message(str(e), _LANG[0])) from e
    print(_("wrote {files}", files=html))
    return OK


# -- batch, sweep, calibrate -------------------------------------------------------------------------


def _batch_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "sources",
        nargs="+",
        type=Path,
        metavar="SCENARIO_OR_DIR",
        help=N_("scenario files, or folders of *.yaml"),
    )
    p.add_argument("--out", type=Path, required=True, metavar="DIR", help=N_("output folder"))
    _executor_arguments(
        p,
        jobs_help=N_("local worker processes (default: 1)"),
        scheduler_help=N_("run on a Dask cluster, e.g. tcp://127.0.0.1:8786"),
    )
    _paths_and_seed(
        p,
        10_000,
        paths_help=N_("Monte Carlo paths per scenario (default: 10000)"),
        seed_help=N_("random seed, the same for every scenario (default: 42)"),
    )
    p.add_argument("--force", action="store_true", help=N_("re-run scenarios that are up to date"))
    p.add_argument(
        "--no-report",
        dest="report",
        action="store_false",
        help=N_("tables only, no HTML report per scenario"),
    )
    p.add_argument(
        "--timeout",
        type=positive_float,
        default=None,
        metavar="SECONDS",
        help=N_(
            "a scenario that takes longer to simulate (or a report cell longer to run) is marked "
            "failed and the rest go on (default: no limit)"
        ),
    )
    p.add_argument(
        "--max-memory",
        type=positive_float,
        default=None,
        metavar="GB",
        help=N_(
            "a scenario whose results would need more memory is marked failed before it runs "
            "(default: half the machine's memory over --jobs)"
        ),
    )


@command(
    "batch",
    N_(
        "simulate and report many scenarios: DIR/<name>/ per scenario (result.npz, summary.csv, "
        "quantiles.csv, report.html), DIR/index.html and DIR/manifest.json, updated as each finishes"
    ),
    _batch_arguments,
)
def batch(args: argparse.Namespace) -> int:
    from .runs.batch import run_batch

    res = run_batch(
        args.sources,
        args.out,
        jobs=args.jobs,
        scheduler=args.scheduler,
        paths=args.paths,
        seed=args.seed,
        force=args.force,
        report=args.report,
        progress=True,
        timeout=args.timeout,
        max_memory=-1 if args.max_memory is None else int(args.max_memory * 2**30),
        lang=args.lang,
    )
    c = res.counts()
    print(
        _(
            "{n} scenarios: {ok} run, {skipped} up to date, {failed} failed; see {index}",
            n=len(res.entries),
            ok=c["ok"],
            skipped=c["up-to-date"],
            failed=c["failed"],
            index=args.out / "index.html",
        )
    )
    for e in res.failed:
        print(_("failed: {error}", error=e["error"].splitlines()[0]), file=sys.stderr)
    return res.exit_code


def _sweep_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenario", type=Path, help=N_("base scenario YAML file"))
    p.add_argument(
        "--vary",
        action="append",
        required=True,
        metavar="FIELD=LOW:HIGH:STEPS",
        help=N_("a field and its values (LOW:HIGH:STEPS or a,b,c); once or twice"),
    )
    p.add_argument(
        "--out",
        type=Path,
        required=True,
        metavar="DIR",
        help=N_("writes DIR/sweep.csv and DIR/sweep.html"),
    )
    _paths_and_seed(
        p,
        2000,
        paths_help=N_("paths per grid point (default: 2000)"),
        seed_help=N_("random seed, the same for every point (default: 42)"),
    )
    _executor_arguments(
        p, jobs_help=N_("worker processes"), scheduler_help=N_("a Dask scheduler address")
    )


@command(
    "sweep", N_("a grid over one or two parameters on common random numbers"), _sweep_arguments
)
def sweep(args: argparse.Namespace) -> int:
    from .analysis.sweep import parse_vary
    from .analysis.sweep import sweep as run_sweep
    from .reporting.outputs import write_sweep_csv
    from .reporting.sweep_report import write_sweep_report

    base = load_scenario(args.scenario)
    try:
        vary = dict(parse_vary(v) for v in args.vary)
    except ValueError as e:
        raise BadInput(translate_message(str(e), _LANG[0])) from e
    if not 1 <= len(vary) <= 2:
        raise BadInput(_("give --vary once or twice (one or two different fields)"))
    from .runs.executors import executor

    with executor(args.jobs, args.scheduler) as pool:
        res = run_sweep(
            base,
            vary,
            paths=args.paths,
            seed=args.seed,
            executor=pool,
            progress=sys.stderr.isatty(),
        )
    csv = write_sweep_csv(res, args.out / "sweep.csv")
    html = write_sweep_report(res, args.out / "sweep.html", lang=_LANG[0])
    print(_("wrote {files}", files=", ".join(map(str, (csv, html)))))
    return OK


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


@command(
    "calibrate", N_("fit a scenario to billing data (an MRR or cohort CSV)"), _calibrate_arguments
)
def calibrate(args: argparse.Namespace) -> int:
    from .runs.calibration import calibrate_cli

    return calibrate_cli(
        args.data, args.out, args.report, backtest_months=args.backtest or 0, lang=_LANG[0]
    )


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
    _paths_and_seed(
        p,
        2000,
        paths_help=N_("Monte Carlo paths of the forecast (default: 2000)"),
        seed_help=N_("random seed, 0 or more (default: 42)"),
    )


@command(
    "backtest", N_("fit on all but the last N months, forecast them, compare"), _backtest_arguments
)
def backtest(args: argparse.Namespace) -> int:
    from .runs.calibration import backtest_cli

    return backtest_cli(
        args.data, args.holdout, args.out, paths=args.paths, seed=args.seed, lang=_LANG[0]
    )


def _compare_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "scenarios",
        nargs="+",
        type=Path,
        metavar="SCENARIO.yaml",
        help=N_("two or more scenarios; each is compared with the first"),
    )
    p.add_argument(
        "--out",
        type=Path,
        required=True,
        metavar="DIR",
        help=N_("writes DIR/compare.html and DIR/compare.csv"),
    )
    _paths_and_seed(
        p,
        10_000,
        paths_help=N_("Monte Carlo paths per scenario (default: 10000)"),
        seed_help=N_("random seed, the same for every scenario (default: 42)"),
    )
    p.add_argument(
        "--metric",
        default="arr",
        choices=sorted(METRICS),
        metavar="METRIC",
        help=N_("what to compare (default: arr)"),
    )


@command(
    "compare",
    N_("scenarios side by side on common random numbers: P(B beats A)"),
    _compare_arguments,
)
def compare(args: argparse.Namespace) -> int:
    from .analysis.compare import compare as run_compare
    from .reporting.compare_report import write_compare_report
    from .reporting.outputs import write_compare_csv

    if len(args.scenarios) < 2:
        raise BadInput(_("give at least two scenarios"))
    scenarios = [load_scenario(p) for p in args.scenarios]
    horizons = {s.horizon_months for s in scenarios}
    if len(horizons) > 1:
        raise BadInput(
            _(
                "the scenarios have different horizons ({horizons}); compare equal ones",
                horizons=sorted(horizons),
            )
        )
    c = run_compare(scenarios, paths=args.paths, seed=args.seed, metric=args.metric)
    csv = write_compare_csv(c, args.out / "compare.csv")
    html = write_compare_report(
        c, args.out / "compare.html", [str(p) for p in args.scenarios], lang=_LANG[0]
    )
    print(c)
    print(_("wrote {files}", files=", ".join(map(str, (csv, html)))))
    return OK


def _levers_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenario", type=Path, help=N_("scenario YAML file"))
    p.add_argument(
        "--out",
        type=Path,
        default=Path("reports"),
        metavar="DIR",
        help=N_(
            "writes DIR/<name>/levers.csv, levers.png, breakeven.csv and, where they apply, "
            "roi.csv and per_cost.csv (the scenario's lever_costs), tornado.csv, tornado.png and "
            "marginal_value.csv, <name> being the file name without .yaml (default: reports)"
        ),
    )
    _paths_and_seed(
        p,
        2000,
        paths_help=N_("paths per lever (default: 2000)"),
        seed_help=N_("seed shared by the base and every lever (default: 42)"),
    )


@command(
    "levers",
    N_("what each lever is worth, with break-even churn and expansion and a tornado"),
    _levers_arguments,
)
def levers(args: argparse.Namespace) -> int:
    import matplotlib

    matplotlib.use("Agg")
    from .reporting.outputs import write_levers_outputs

    scenario = load_scenario(args.scenario)
    folder = args.out / output_slug(args.scenario)
    try:
        out = write_levers_outputs(
            scenario, folder, paths=args.paths, seed=args.seed, lang=_LANG[0]
        )
    except OSError as e:
        raise RunError(_("writing {folder} failed: {error}", folder=folder, error=e)) from e
    print(out["result"])
    files = ", ".join(p.name for p in out["files"])
    print(_("wrote {files} to {folder}", files=files, folder=folder))
    return OK


# -- entry point -----------------------------------------------------------------------------------


#: argparse's own words (it asks ``gettext`` of the ``argparse`` domain); Japanese in ``cli.po``.
ARGPARSE_WORDS = (
    N_("usage: "),
    N_("positional arguments"),
    N_("options"),
    N_("show this help message and exit"),
    N_("show program's version number and exit"),
    N_("argument %(argument_name)s: %(message)s"),
    N_("%(prog)s: error: %(message)s\n"),
    N_("the following arguments are required: %s"),
    N_("unrecognized arguments: %s"),
    N_("invalid choice: %(value)r (choose from %(choices)s)"),
    N_("invalid %(type)s value: %(value)r"),
    N_("expected one argument"),
    N_("expected at most one argument"),
    N_("expected at least one argument"),
    N_("ambiguous option: %(option)s could match %(matches)s"),
    N_("not allowed with argument %s"),
    N_("ignored explicit argument %r"),
    N_("one of the arguments %s is required"),
    N_("unexpected option string: %s"),
    N_("can't open '%(filename)s': %(error)s"),
)


@contextlib.contextmanager
def _argparse_speaks(lang: str):
    """argparse's own words (``usage:``, ``options``, its errors) in ``lang`` while the block runs.

    argparse looks its words up through the module globals ``_`` and ``ngettext`` (stdlib gettext) when
    it builds a parser, formats help and reports an error; they are swapped for the catalogs' and put
    back after.
    """
    if lang == "en":
        yield
        return
    t = Translator(lang).translations
    saved = argparse._, argparse.ngettext
    argparse._, argparse.ngettext = t.gettext, t.ngettext
    try:
        yield
    finally:
        argparse._, argparse.ngettext = saved


#: Characters a Japanese line does not start with (kinsoku): they stay at the end of the line before.
_NO_LINE_START = set("、。，．・：；？！）」』】〕ー)]:;,.")
#: Characters a line does not end with: opening brackets stay with what follows.
_NO_LINE_END = set("(（「『【〔[")


def wrap_wide(text: str, width: int) -> list[str]:
    """``text`` in lines of at most ``width`` terminal columns, breaking Japanese between characters.

    English breaks at spaces as :mod:`textwrap` does; a wide (CJK) character is a token of its own and
    counts two columns; closing punctuation never starts a line.
    """
    import re
    import unicodedata

    text = re.sub(r"\s+", " ", text).strip()
    tokens, run = [], ""
    for ch in text:
        if ch == " " or unicodedata.east_asian_width(ch) in "WF":
            if run:
                tokens.append(run)
                run = ""
            if ch == " " and tokens:
                tokens[-1] += " "
            elif ch != " ":
                tokens.append(ch)
        else:
            run += ch
    if run:
        tokens.append(run)
    for i in range(len(tokens) - 2, -1, -1):  # an opening bracket stays with what follows it
        if tokens[i][-1] in _NO_LINE_END:
            tokens[i : i + 2] = [tokens[i] + tokens[i + 1]]
    lines, line = [], ""
    for tok in tokens:
        if (
            line
            and fmt.display_width((line + tok).rstrip()) > width
            and tok[0] not in _NO_LINE_START
        ):
            lines.append(line.rstrip())
            line = ""
        line += tok
    if line.strip():
        lines.append(line.rstrip())
    return lines


class WideHelpFormatter(argparse.HelpFormatter):
    """argparse's help with lines measured in terminal columns (for Japanese help)."""

    def _split_lines(self, text: str, width: int) -> list[str]:
        return wrap_wide(text, width)

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        return "\n".join(indent + line for line in wrap_wide(text, width - len(indent)))


def _translate_help(parser: argparse.ArgumentParser, lang: str) -> None:
    """Every argument's help (written in English and marked ``N_``) in ``lang``."""
    if lang == "en":
        return
    t = Translator(lang).translations
    for action in parser._actions:
        if action.help and action.help is not argparse.SUPPRESS:
            action.help = t.gettext(action.help)


def build_parser(lang: str = "en") -> argparse.ArgumentParser:
    """The ``cssim`` parser with its help in ``lang``; :func:`main` picks the language from argv first."""
    tr = (lambda m: m) if lang == "en" else Translator(lang).translations.gettext
    formatter = argparse.HelpFormatter if lang == "en" else WideHelpFormatter
    with _argparse_speaks(lang):
        parser = argparse.ArgumentParser(
            prog="cssim",
            description=tr(
                N_("Customer-success Monte Carlo: cohorts, churn, expansion and unit economics.")
            ),
            epilog=tr(N_("Exit codes: 0 ok, 1 a run failed, 2 bad input.")),
            formatter_class=formatter,
        )
        parser.add_argument("--version", action="version", version=f"cssim {__version__}")
        # --lang before the command too (``cssim --lang ja run --help``); its own dest, because a
        # subcommand's default (None) would overwrite the value in the shared namespace
        parser.add_argument("--lang", dest="top_lang", choices=LANGS, default=None, help=_LANG_HELP)
        _translate_help(parser, lang)
        sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
        for cmd in COMMANDS.values():
            p = sub.add_parser(
                cmd.name, help=tr(cmd.help), description=tr(cmd.help), formatter_class=formatter
            )
            cmd.arguments(p)
            _lang_argument(p)
            _translate_help(p, lang)
            p.set_defaults(handler=cmd.run)
    return parser


def argv_lang(argv: Sequence[str], environ: dict[str, str] | None = None) -> str:
    """The language a command line asks for, read before argparse runs (it answers ``--help`` at once).

    ``--lang X`` or ``--lang=X`` anywhere before ``--``, else ``$CSSIM_LANG``, else English. A value
    that is not a language is left for argparse to refuse (in English).
    """
    for i, arg in enumerate(argv):
        if arg == "--":
            break
        value = argv[i + 1] if arg == "--lang" and i + 1 < len(argv) else None
        if arg.startswith("--lang="):
            value = arg.partition("=")[2]
        if value is not None:
            return value if value in LANGS else "en"
    env = (os.environ if environ is None else environ).get(LANG_ENV, "")
    return env if env in LANGS else "en"


def _check_paths(args: argparse.Namespace) -> None:
    """Refuse ``--paths`` that cannot fit in memory before anything starts (a report's kernel included)."""
    if isinstance(getattr(args, "scenario", None), Path) and getattr(args, "paths", None):
        # ``cssim run`` keeps statistics, not paths, with --summary and whenever every path would not
        # fit in 1 GB; then only one pass of blocks is in memory at a time
        summary = hasattr(args, "summary") and args.summary is not False
        problem = _limits.paths_problem(load_scenario(args.scenario), args.paths, summary=summary)
        if problem is not None:
            raise ScenarioError(str(args.scenario), [problem])


def _memory_advice(args: argparse.Namespace) -> str:
    """How many paths fit, when the scenario can be read; what to use instead."""
    paths = getattr(args, "paths", None)
    try:
        fit = _limits.paths_fit(load_scenario(args.scenario))
    except Exception:  # the advice must never fail
        fit = None
    if fit is not None and paths:
        return _(
            "about {fit} paths fit in the memory free now: use --paths {fit} or fewer",
            fit=f"{fit:,}",
        )
    if paths:
        return _("use fewer --paths than {paths}", paths=f"{paths:,}")
    return _("close other programs or use a smaller input")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``cssim`` command line; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    env = os.environ.get(LANG_ENV)
    if env and env not in LANGS:
        print(f"cssim: {LANG_ENV}={env!r} is not one of {', '.join(LANGS)}", file=sys.stderr)
        return BAD_INPUT
    lang = argv_lang(argv)
    _LANG[0] = lang  # the argument types' messages, while argparse runs
    with _argparse_speaks(lang):
        args = build_parser(lang).parse_args(argv)
    args.lang = args.lang or args.top_lang or env or None
    _LANG[0] = resolve_lang(args.lang)
    try:
        _check_paths(args)
        return args.handler(args)
    except ScenarioError as e:
        print(scenario_error_text(e, _LANG[0]), file=sys.stderr)
        return BAD_INPUT
    except BadInput as e:
        print(f"cssim {args.command}: {e}", file=sys.stderr)
        return BAD_INPUT
    except RunError as e:
        print(f"cssim: {e}", file=sys.stderr)
        return FAILED
    except MemoryError:
        print(
            _(
                "cssim {command}: out of memory; {advice}",
                command=args.command,
                advice=_memory_advice(args),
            ),
            file=sys.stderr,
        )
        return FAILED
    except KeyboardInterrupt:
        print(_("cssim: interrupted"), file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. ``cssim schema | head``: the reader left, nothing to report
        sys.stdout = open(os.devnull, "w")  # keeps the exit flush quiet
        return FAILED
    except Exception as e:
        print(
            _("cssim: {command} failed: {error}", command=args.command, error=type(e).__name__)
            + f": {e}",
            file=sys.stderr,
        )
        return FAILED


if __name__ == "__main__":
    sys.exit(main())
