"""``cssim compare``, ``sensitivity``, ``levers`` and ``cs-plan``: questions asked of scenarios, answered
in tables and pages.

``compare``, ``sensitivity`` and ``cs-plan`` call :mod:`cssim.runs.analyses`; ``levers`` calls
:func:`cssim.reporting.outputs.write_levers_outputs`. Each prints the analysis and the files written.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..model.metrics import METRICS
from ..runs.naming import output_slug
from ..words import formatting as fmt
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
    positive_int,
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


# -- sensitivity -----------------------------------------------------------------------------------


def _sensitivity_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenario", type=Path, help=N_("scenario YAML file"))
    p.add_argument(
        "--method",
        choices=("given", "sobol"),
        default="given",
        help=N_(
            "given: first-order indices from a run's own draws (RBD-FAST; valid with correlated "
            "assumptions); sobol: first-order and total indices from a Saltelli design of N(2D+2) "
            "expected paths, assumptions taken as independent (default: given)"
        ),
    )
    p.add_argument(
        "--out",
        type=Path,
        default=Path("reports"),
        metavar="DIR",
        help=N_(
            "writes DIR/<name>/sensitivity.csv and sensitivity.png, <name> being the file name "
            "without .yaml (default: reports)"
        ),
    )
    paths_and_seed(
        p,
        10_000,
        paths_help=N_("paths of the run whose draws --method given analyses (default: 10000)"),
        seed_help=N_("random seed of the run or of the design (default: 42)"),
    )
    p.add_argument(
        "--n",
        type=positive_int,
        default=1024,
        metavar="N",
        help=N_("base samples of the Saltelli design, a power of 2 (default: 1024)"),
    )
    sampling_argument(p)


def sensitivity(args: argparse.Namespace) -> int:
    """Global sensitivity on SALib (:func:`~cssim.runs.analyses.run_sensitivity`): the budget, the
    indices and the files."""
    from ..model.design import with_sampling
    from ..runs.analyses import run_sensitivity

    scenario = with_sampling(load_scenario(args.scenario), args.sampling)
    d = len(scenario.uncertain())
    if not d:
        raise BadInput(
            _(
                "{scenario} has no uncertain assumptions: give one a range or a distribution to "
                "see what drives ARR",
                scenario=args.scenario,
            )
        )
    if args.method == "sobol":
        if args.n & (args.n - 1):
            raise BadInput(_("--n {n} is not a power of 2 (such as 512, 1024 or 4096)", n=args.n))
        print(
            _(
                "Saltelli design: N = {n}, {d} assumptions: {evaluations} expected paths (N(2D+2))",
                n=args.n,
                d=d,
                evaluations=f"{args.n * (2 * d + 2):,}",
            ),
            flush=True,
        )
        if scenario.correlations:
            print(
                _(
                    "the Sobol indices take the assumptions as independent: the scenario's "
                    "correlations are left out (--method given keeps them)"
                )
            )
    lang = current_lang()
    done = run_sensitivity(
        scenario,
        args.scenario,
        args.out,
        method=args.method,
        paths=args.paths,
        seed=args.seed,
        n=args.n,
        lang=lang,
    )
    print(_sensitivity_table(done.result, lang))
    if done.result.explained is not None:
        print(
            _(
                "together the assumptions explain {share} of the variance of simulated ARR; the "
                "rest is chance",
                share=fmt.percent(min(done.result.explained, 1.0), lang, 0),
            )
        )
    print(_("wrote {files}", files=", ".join(map(str, done.files))))
    return OK


def _sensitivity_table(found, lang: str) -> str:
    """The indices as a small text table: each assumption with S1 (and ST) and their intervals."""
    frame = found.to_frame(lang)
    both = found.method == "sobol"
    head = [_("assumption"), "S1", *(["ST"] if both else [])]
    rows = [head]
    for r in frame.itertuples():
        cells = [r.label, f"{fmt.number(r.S1, lang, 3)} ± {fmt.number(r.S1_conf, lang, 3)}"]
        if both:
            cells.append(f"{fmt.number(r.ST, lang, 3)} ± {fmt.number(r.ST_conf, lang, 3)}")
        rows.append(cells)
    widths = [max(fmt.display_width(row[i]) for row in rows) for i in range(len(head))]
    return "\n".join(
        "  ".join(c + " " * (w - fmt.display_width(c)) for c, w in zip(row, widths, strict=True))
        for row in rows
    )


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
        "sensitivity",
        N_(
            "which uncertain assumptions drive ARR: first-order (and, with --method sobol, total) "
            "indices with confidence intervals, on SALib; writes a CSV and a chart"
        ),
        _sensitivity_arguments,
        sensitivity,
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
