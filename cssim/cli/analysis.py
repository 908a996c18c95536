"""``cssim compare`` and ``cssim levers``: questions asked of scenarios, answered in tables and pages.

``compare`` calls :func:`cssim.runs.analyses.run_compare`; ``levers`` calls
:func:`cssim.reporting.outputs.write_levers_outputs`. Each prints the analysis and the files written.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..model.metrics import METRICS
from ..runs.naming import output_slug
from ..words.i18n import N_
from .common import (
    OK,
    BadInput,
    Command,
    RunError,
    _,
    current_lang,
    load_scenario,
    paths_and_seed,
    sampling_argument,
)

__all__ = ["COMMANDS"]


# -- compare ---------------------------------------------------------------------------------------


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
    paths_and_seed(
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
    sampling_argument(p)


def compare(args: argparse.Namespace) -> int:
    """Scenarios side by side (:func:`~cssim.runs.analyses.run_compare`); the comparison and files."""
    from ..runs.analyses import run_compare

    if len(args.scenarios) < 2:
        raise BadInput(_("give at least two scenarios"))
    from ..model.design import with_sampling

    scenarios = [with_sampling(load_scenario(p), args.sampling) for p in args.scenarios]
    horizons = {s.horizon_months for s in scenarios}
    if len(horizons) > 1:
        raise BadInput(
            _(
                "the scenarios have different horizons ({horizons}); compare equal ones",
                horizons=sorted(horizons),
            )
        )
    done = run_compare(
        scenarios,
        args.out,
        names=[str(p) for p in args.scenarios],
        paths=args.paths,
        seed=args.seed,
        metric=args.metric,
        lang=current_lang(),
    )
    print(done.result)
    print(_("wrote {files}", files=", ".join(map(str, done.files))))
    return OK


# -- levers ----------------------------------------------------------------------------------------


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
    paths_and_seed(
        p,
        2000,
        paths_help=N_("paths per lever (default: 2000)"),
        seed_help=N_("seed shared by the base and every lever (default: 42)"),
    )


def levers(args: argparse.Namespace) -> int:
    """What each lever is worth (:func:`~cssim.reporting.outputs.write_levers_outputs`); the files."""
    import matplotlib

    matplotlib.use("Agg")
    from ..reporting.outputs import write_levers_outputs

    scenario = load_scenario(args.scenario)
    folder = args.out / output_slug(args.scenario)
    try:
        out = write_levers_outputs(
            scenario, folder, paths=args.paths, seed=args.seed, lang=current_lang()
        )
    except OSError as e:
        raise RunError(_("writing {folder} failed: {error}", folder=folder, error=e)) from e
    print(out["result"])
    files = ", ".join(p.name for p in out["files"])
    print(_("wrote {files} to {folder}", files=files, folder=folder))
    return OK


COMMANDS = (
    Command(
        "compare",
        N_("scenarios side by side on common random numbers: P(B beats A)"),
        _compare_arguments,
        compare,
    ),
    Command(
        "levers",
        N_("what each lever is worth, with break-even churn and expansion and a tornado"),
        _levers_arguments,
        levers,
    ),
)
