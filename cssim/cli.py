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
import json
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from . import __version__
from .model.engine import simulate
from .model.errors import ScenarioError
from .model.metrics import METRICS
from .model.result import _money
from .model.scenario import Scenario, load_scenario
from .runs.naming import output_slug
from .runs.single import run_tables, write_tables

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
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{value} is not allowed: give {allowed}")
        return value

    parse.__name__ = f"int_at_least_{minimum}"  # argparse names the type in its messages
    return parse


positive_int = int_at_least(1, "1 or more")
non_negative_int = int_at_least(0, "0 or a positive number")


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"{text} is not allowed: give a positive number")
    return value


def month_list(text: str) -> list[int]:
    try:
        months = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a comma-separated list of months such as 12,24,36"
        ) from None
    if not months or any(m < 0 for m in months):
        raise argparse.ArgumentTypeError(f"{text!r}: give months 0 or later, such as 12,24,36")
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
    p.add_argument("--paths", type=positive_int, default=paths, metavar="N", help=paths_help)
    p.add_argument("--seed", type=non_negative_int, default=42, metavar="S", help=seed_help)


def _simulation_arguments(p: argparse.ArgumentParser, out_help: str) -> None:
    p.add_argument("scenario", type=Path, help="scenario YAML file")
    p.add_argument(
        "--out",
        type=Path,
        default=Path("reports"),
        metavar="DIR",
        help=f"{out_help} (default: reports)",
    )
    _paths_and_seed(
        p,
        10_000,
        paths_help="Monte Carlo paths, a positive integer (default: 10000)",
        seed_help="random seed, 0 or more; same seed, same numbers (default: 42)",
    )


# -- validate --------------------------------------------------------------------------------------


def _validate_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", nargs="+", type=Path, metavar="FILE", help="scenario YAML files")


@command("validate", "check scenario files and report every problem", _validate_arguments)
def validate(args: argparse.Namespace) -> int:
    code = OK
    for path in args.files:
        try:
            scenario = load_scenario(path)
        except ScenarioError as e:
            print(e, file=sys.stderr)
            code = BAD_INPUT
            continue
        n = len(scenario.segments)
        print(f"ok: {path} ({scenario.name}, {n} segment{'s' if n != 1 else ''})")
    return code


# -- run -------------------------------------------------------------------------------------------


def _run_arguments(p: argparse.ArgumentParser) -> None:
    _simulation_arguments(
        p,
        "writes DIR/<name>/summary.csv, quantiles.csv, unit_economics.csv and expected.csv, "
        "<name> being the file name without .yaml",
    )
    p.add_argument(
        "--months",
        type=month_list,
        default=None,
        metavar="M,M,...",
        help="months the summary shows (default: 12,24,36 within the horizon)",
    )


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
    "simulate a scenario and write summary, quantile, unit-economics and expected CSVs",
    _run_arguments,
)
def run(args: argparse.Namespace) -> int:
    scenario = load_scenario(args.scenario)
    if args.months is not None:
        late = [m for m in args.months if m > scenario.horizon_months]
        if late:
            raise BadInput(
                f"--months {','.join(map(str, late))} is after the horizon of "
                f"{args.scenario} ({scenario.horizon_months} months)"
            )
    folder = args.out / output_slug(args.scenario)
    try:
        result = simulate(scenario, paths=args.paths, seed=args.seed, progress=sys.stderr.isatty())
    except Exception as e:
        raise RunError(f"simulating {args.scenario} failed: {e}") from e
    try:
        tables = run_tables(scenario, result, args.months)
        summary = tables["summary.csv"][0]
    except Exception as e:
        raise RunError(f"summarising {args.scenario} failed: {e}") from e
    try:
        write_tables(tables, folder)
    except OSError as e:
        raise RunError(f"writing {folder} failed: {e}") from e
    print(f"{scenario.name}: {result.paths:,} paths, seed {result.seed}, {scenario.currency}")
    print(kpi_table(summary))
    print(f"wrote {', '.join(tables)} to {folder}")
    return OK


def kpi_table(summary: pd.DataFrame) -> str:
    """A small text table of the headline KPIs: medians (probabilities as such) by month."""
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
            cells.append(_format(kpi, r["unit"], value))
        rows.append([sel["label"].iloc[0], *cells])
    rows.insert(0, ["KPI (median)", *[f"month {t}" for t in months]])
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(
            [
                row[0].ljust(widths[0]),
                *(c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)),
            ]
        )
        for row in rows
    )


def _format(kpi: str, unit: str, value: float) -> str:
    if pd.isna(value):
        return "n/a"
    if kpi in _PERCENT:
        return f"{value:.1%}"
    if unit == "currency":
        return _money(value)
    if unit == "customers":
        return f"{value:,.0f}"
    if unit == "months":
        return f"{value:.1f} mo"
    return f"{value:.2f}"


# -- schema ----------------------------------------------------------------------------------------


@command("schema", "print the JSON schema of scenario files (for editors)", lambda p: None)
def schema(args: argparse.Namespace) -> int:
    print(json.dumps(Scenario.model_json_schema(), indent=2))
    return OK


# -- report ----------------------------------------------------------------------------------------


def _report_arguments(p: argparse.ArgumentParser) -> None:
    _simulation_arguments(
        p,
        "writes DIR/<name>.html (self-contained) and the executed notebook DIR/<name>.ipynb, "
        "<name> being the file name without .yaml",
    )
    p.add_argument(
        "--target-arr",
        type=positive_float,
        default=None,
        metavar="X",
        help="ARR target for P(ARR >= target) (default: the scenario's target_arr)",
    )


@command(
    "report",
    "render an offline HTML report of a scenario: DIR/<name>.html and DIR/<name>.ipynb",
    _report_arguments,
)
def report(args: argparse.Namespace) -> int:
    load_scenario(args.scenario)  # bad input fails here, before a kernel starts
    try:
        from .reporting.report import ReportError, render_report
    except ImportError as e:
        raise RunError(f"the report module is not available: {e}") from e
    try:
        html = render_report(
            args.scenario,
            out_dir=args.out,
            paths=args.paths,
            seed=args.seed,
            target_arr=args.target_arr,
            name=output_slug(args.scenario),
        )
    except ScenarioError:
        raise
    except ReportError as e:
        raise RunError(f"report for {args.scenario} failed: {e}") from e
    except ValueError as e:  # render_report's word for "a parameter is not allowed"
        raise BadInput(str(e)) from e
    print(f"wrote {html}")
    return OK


# -- batch, sweep, calibrate -------------------------------------------------------------------------


def _batch_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "sources",
        nargs="+",
        type=Path,
        metavar="SCENARIO_OR_DIR",
        help="scenario files, or folders of *.yaml",
    )
    p.add_argument("--out", type=Path, required=True, metavar="DIR", help="output folder")
    p.add_argument(
        "--jobs",
        type=positive_int,
        default=1,
        metavar="N",
        help="local worker processes (default: 1)",
    )
    p.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="run on a Dask cluster, e.g. tcp://127.0.0.1:8786",
    )
    _paths_and_seed(
        p,
        10_000,
        paths_help="Monte Carlo paths per scenario (default: 10000)",
        seed_help="random seed, the same for every scenario (default: 42)",
    )
    p.add_argument("--force", action="store_true", help="re-run scenarios that are up to date")
    p.add_argument(
        "--no-report",
        dest="report",
        action="store_false",
        help="tables only, no HTML report per scenario",
    )
    p.add_argument(
        "--timeout",
        type=positive_float,
        default=None,
        metavar="SECONDS",
        help="a scenario that takes longer to simulate (or a report cell longer to run) is marked "
        "failed and the rest go on (default: no limit)",
    )
    p.add_argument(
        "--max-memory",
        type=positive_float,
        default=None,
        metavar="GB",
        help="a scenario whose results would need more memory is marked failed before it runs "
        "(default: half the machine's memory over --jobs)",
    )


@command(
    "batch",
    "simulate and report many scenarios: DIR/<name>/ per scenario (result.npz, summary.csv, "
    "quantiles.csv, report.html), DIR/index.html and DIR/manifest.json, updated as each finishes",
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
    )
    print(f"{res.describe()}; see {args.out / 'index.html'}")
    for e in res.failed:
        print(f"failed: {e['error'].splitlines()[0]}", file=sys.stderr)
    return res.exit_code


def _sweep_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenario", type=Path, help="base scenario YAML file")
    p.add_argument(
        "--vary",
        action="append",
        required=True,
        metavar="FIELD=LOW:HIGH:STEPS",
        help="a field and its values (LOW:HIGH:STEPS or a,b,c); once or twice",
    )
    p.add_argument(
        "--out",
        type=Path,
        required=True,
        metavar="DIR",
        help="writes DIR/sweep.csv and DIR/sweep.html",
    )
    _paths_and_seed(
        p,
        2000,
        paths_help="paths per grid point (default: 2000)",
        seed_help="random seed, the same for every point (default: 42)",
    )
    p.add_argument("--jobs", type=positive_int, default=1, metavar="N", help="worker processes")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS", help="a Dask scheduler address")


@command("sweep", "a grid over one or two parameters on common random numbers", _sweep_arguments)
def sweep(args: argparse.Namespace) -> int:
    from .analysis.sweep import parse_vary
    from .analysis.sweep import sweep as run_sweep
    from .reporting.outputs import write_sweep_csv
    from .reporting.sweep_report import write_sweep_report

    base = load_scenario(args.scenario)
    try:
        vary = dict(parse_vary(v) for v in args.vary)
    except ValueError as e:
        raise BadInput(str(e)) from e
    if not 1 <= len(vary) <= 2:
        raise BadInput("give --vary once or twice (one or two different fields)")
    res = run_sweep(
        base,
        vary,
        paths=args.paths,
        seed=args.seed,
        jobs=args.jobs,
        scheduler=args.scheduler,
        progress=sys.stderr.isatty(),
    )
    csv = write_sweep_csv(res, args.out / "sweep.csv")
    html = write_sweep_report(res, args.out / "sweep.html")
    print(f"wrote {csv} and {html}")
    return OK


def _calibrate_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "data",
        type=Path,
        metavar="DATA.csv",
        help="MRR table (customer, month, mrr) or cohort table (cohort, period, active)",
    )
    p.add_argument(
        "--out",
        type=Path,
        required=True,
        metavar="SCENARIO.yaml",
        help="where to write the calibrated scenario",
    )
    p.add_argument(
        "--report", type=Path, default=None, metavar="DIR", help="also write DIR/calibration.html"
    )


@command("calibrate", "fit a scenario to billing data (an MRR or cohort CSV)", _calibrate_arguments)
def calibrate(args: argparse.Namespace) -> int:
    from .runs.calibration import calibrate_cli

    return calibrate_cli(args.data, args.out, args.report)


def _compare_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "scenarios",
        nargs="+",
        type=Path,
        metavar="SCENARIO.yaml",
        help="two or more scenarios; each is compared with the first",
    )
    p.add_argument(
        "--out",
        type=Path,
        required=True,
        metavar="DIR",
        help="writes DIR/compare.html and DIR/compare.csv",
    )
    _paths_and_seed(
        p,
        10_000,
        paths_help="Monte Carlo paths per scenario (default: 10000)",
        seed_help="random seed, the same for every scenario (default: 42)",
    )
    p.add_argument(
        "--metric",
        default="arr",
        choices=sorted(METRICS),
        metavar="METRIC",
        help="what to compare (default: arr)",
    )


@command(
    "compare", "scenarios side by side on common random numbers: P(B beats A)", _compare_arguments
)
def compare(args: argparse.Namespace) -> int:
    from .analysis.compare import compare as run_compare
    from .reporting.compare_report import write_compare_report
    from .reporting.outputs import write_compare_csv

    if len(args.scenarios) < 2:
        raise BadInput("give at least two scenarios")
    scenarios = [load_scenario(p) for p in args.scenarios]
    horizons = {s.horizon_months for s in scenarios}
    if len(horizons) > 1:
        raise BadInput(
            f"the scenarios have different horizons ({sorted(horizons)}); compare equal ones"
        )
    c = run_compare(scenarios, paths=args.paths, seed=args.seed, metric=args.metric)
    csv = write_compare_csv(c, args.out / "compare.csv")
    html = write_compare_report(c, args.out / "compare.html", [str(p) for p in args.scenarios])
    print(c)
    print(f"wrote {csv} and {html}")
    return OK


def _levers_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenario", type=Path, help="scenario YAML file")
    p.add_argument(
        "--out",
        type=Path,
        default=Path("reports"),
        metavar="DIR",
        help="writes DIR/<name>/levers.csv, levers.png, breakeven.csv and, where they apply, "
        "tornado.csv, tornado.png and marginal_value.csv, <name> being the file name without .yaml "
        "(default: reports)",
    )
    _paths_and_seed(
        p,
        2000,
        paths_help="paths per lever (default: 2000)",
        seed_help="seed shared by the base and every lever (default: 42)",
    )


@command(
    "levers",
    "what each lever is worth, with break-even churn and expansion and a tornado",
    _levers_arguments,
)
def levers(args: argparse.Namespace) -> int:
    import matplotlib

    matplotlib.use("Agg")
    from .reporting.outputs import write_levers_outputs

    scenario = load_scenario(args.scenario)
    folder = args.out / output_slug(args.scenario)
    try:
        out = write_levers_outputs(scenario, folder, paths=args.paths, seed=args.seed)
    except OSError as e:
        raise RunError(f"writing {folder} failed: {e}") from e
    print(out["result"])
    print(f"wrote {', '.join(p.name for p in out['files'])} to {folder}")
    return OK


# -- entry point -----------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cssim",
        description="Customer-success Monte Carlo: cohorts, churn, expansion and unit economics.",
        epilog="Exit codes: 0 ok, 1 a run failed, 2 bad input.",
    )
    parser.add_argument("--version", action="version", version=f"cssim {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for cmd in COMMANDS.values():
        p = sub.add_parser(cmd.name, help=cmd.help, description=cmd.help)
        cmd.arguments(p)
        p.set_defaults(handler=cmd.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``cssim`` command line; returns the exit code."""
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except ScenarioError as e:
        print(e, file=sys.stderr)
        return BAD_INPUT
    except BadInput as e:
        print(f"cssim {args.command}: {e}", file=sys.stderr)
        return BAD_INPUT
    except RunError as e:
        print(f"cssim: {e}", file=sys.stderr)
        return FAILED
    except KeyboardInterrupt:
        print("cssim: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. ``cssim schema | head``: the reader left, nothing to report
        sys.stdout = open(os.devnull, "w")  # keeps the exit flush quiet
        return FAILED
    except Exception as e:
        print(f"cssim: {args.command} failed: {type(e).__name__}: {e}", file=sys.stderr)
        return FAILED


if __name__ == "__main__":
    sys.exit(main())
