"""``cssim compare``, ``cssim levers`` and ``cssim cs-plan``: questions asked of scenarios, answered in
tables and pages.

``compare`` calls :func:`cssim.runs.analyses.run_compare`; ``levers`` calls
:func:`cssim.reporting.outputs.write_levers_outputs`; ``cs-plan`` calls
:func:`cssim.runs.analyses.run_cs_plan`. Each prints the analysis and the files written.
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


def compare(args: argparse.Namespace) -> int:
    """Scenarios side by side (:func:`~cssim.runs.analyses.run_compare`); the comparison and files."""
    from ..runs.analyses import run_compare

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
    done = run_compare(
        scenarios,
        args.out,
        names=[str(p) for p in args.scenarios],
        paths=args.paths,
        seed=args.seed,
        metric=args.metric,
        lang=current_lang(),
    )
    print(done.result.text(current_lang()))
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
    print(out["result"].text(current_lang()))
    files = ", ".join(p.name for p in out["files"])
    print(_("wrote {files} to {folder}", files=files, folder=folder))
    return OK


# -- cs-plan ---------------------------------------------------------------------------------------


def level_list(text: str) -> list[float]:
    """An argparse type for CS levels: positive numbers separated by commas (``25,50,100``)."""
    try:
        levels = [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            _("{text} is not a comma-separated list of numbers such as 25,50,100", text=repr(text))
        ) from None
    if not levels or not all(0 < v < float("inf") for v in levels):
        raise argparse.ArgumentTypeError(
            _("{text}: give positive numbers, such as 25,50,100", text=repr(text))
        )
    return levels


def _cs_plan_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenario", type=Path, help=N_("scenario YAML file"))
    p.add_argument(
        "--segment",
        metavar="NAME",
        help=N_(
            "the segment whose CS level varies (default: the only one, or the one with health)"
        ),
    )
    levels = p.add_mutually_exclusive_group(required=True)
    levels.add_argument(
        "--accounts-per-csm",
        type=level_list,
        metavar="LIST",
        help=N_("levels as accounts per CSM, the team growing with the base (e.g. 25,50,100)"),
    )
    levels.add_argument(
        "--csms",
        type=level_list,
        metavar="LIST",
        help=N_("levels as a fixed headcount of CSMs (e.g. 2,4,6)"),
    )
    p.add_argument(
        "--out",
        type=Path,
        required=True,
        metavar="DIR",
        help=N_(
            "writes DIR/<name>/plan.csv and plan.html, <name> being the file name without .yaml"
        ),
    )
    paths_and_seed(
        p,
        2000,
        paths_help=N_("paths per level (default: 2000)"),
        seed_help=N_("seed shared by every level (default: 42)"),
    )


def cs_plan(args: argparse.Namespace) -> int:
    """What a CS team is worth, level by level (:func:`~cssim.runs.analyses.run_cs_plan`)."""
    from ..runs.analyses import run_cs_plan

    scenario = load_scenario(args.scenario)
    folder = args.out / output_slug(args.scenario)
    try:
        done = run_cs_plan(
            scenario,
            folder,
            segment=args.segment,
            accounts_per_csm=args.accounts_per_csm,
            csms=args.csms,
            paths=args.paths,
            seed=args.seed,
            lang=current_lang(),
        )
    except ValueError as e:
        raise BadInput(str(e)) from e
    for line in done.sentences:
        print(line)
    print(_("wrote {files}", files=", ".join(map(str, done.files))))
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
    Command(
        "cs-plan",
        N_("what a CS team is worth: profit after CS at each level of CS coverage"),
        _cs_plan_arguments,
        cs_plan,
    ),
)
