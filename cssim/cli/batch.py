"""``cssim batch`` and ``cssim sweep``: many simulations, on local processes or a Dask cluster.

``batch`` calls :func:`cssim.runs.batch.run_batch` and prints its counts and failures; ``sweep`` reads
``--vary`` and calls :func:`cssim.runs.analyses.run_sweep`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..words.errors_text import translate_message
from ..words.i18n import N_
from .common import (
    OK,
    BadInput,
    Command,
    _,
    current_lang,
    executor_arguments,
    load_scenario,
    paths_and_seed,
    positive_float,
    sampling_argument,
)

__all__ = ["COMMANDS"]


# -- batch -----------------------------------------------------------------------------------------


def _batch_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "sources",
        nargs="+",
        type=Path,
        metavar="SCENARIO_OR_DIR",
        help=N_("scenario files, or folders of *.yaml"),
    )
    p.add_argument("--out", type=Path, required=True, metavar="DIR", help=N_("output folder"))
    executor_arguments(
        p,
        jobs_help=N_("local worker processes (default: 1)"),
        scheduler_help=N_("run on a Dask cluster, e.g. tcp://127.0.0.1:8786"),
    )
    paths_and_seed(
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
    sampling_argument(p)


def batch(args: argparse.Namespace) -> int:
    """Run every scenario (:func:`~cssim.runs.batch.run_batch`); its counts, then each failure."""
    from ..runs.batch import FolderBusy, run_batch

    try:
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
            # --lang or $CSSIM_LANG, else the scenarios' common language for the index and the
            # progress; None lets each report follow its own scenario's language:
            lang=args.lang or (current_lang() if current_lang() != "en" else None),
            sampling=args.sampling,
        )
    except FolderBusy as e:
        raise BadInput(
            _(
                "another batch is writing into {out} (process {pid}, since {started}); wait for it "
                "to finish, or give another --out",
                out=e.folder,
                pid=e.pid if e.pid is not None else "?",
                started=e.started or "?",
            )
        ) from e
    if sys.stderr.isatty():  # a progress bar has no lines: say the duplicates here
        for d in res.duplicates:
            print(_("{source}: the same file as {same_as}, which runs once", **d), file=sys.stderr)
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


# -- sweep -----------------------------------------------------------------------------------------


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
    paths_and_seed(
        p,
        2000,
        paths_help=N_("paths per grid point (default: 2000)"),
        seed_help=N_("random seed, the same for every point (default: 42)"),
    )
    executor_arguments(
        p, jobs_help=N_("worker processes"), scheduler_help=N_("a Dask scheduler address")
    )
    sampling_argument(p)


def sweep(args: argparse.Namespace) -> int:
    """A grid over one or two fields (:func:`~cssim.runs.analyses.run_sweep`); the files written."""
    from ..analysis.sweep import parse_vary
    from ..model.design import with_sampling
    from ..runs.analyses import run_sweep

    base = with_sampling(load_scenario(args.scenario), args.sampling)
    try:
        vary = dict(parse_vary(v) for v in args.vary)
    except ValueError as e:
        raise BadInput(translate_message(str(e), current_lang())) from e
    if not 1 <= len(vary) <= 2:
        raise BadInput(_("give --vary once or twice (one or two different fields)"))
    done = run_sweep(
        base,
        vary,
        args.out,
        paths=args.paths,
        seed=args.seed,
        jobs=args.jobs,
        scheduler=args.scheduler,
        progress=sys.stderr.isatty(),
        lang=current_lang(),
    )
    print(_("wrote {files}", files=", ".join(map(str, done.files))))
    return OK


COMMANDS = (
    Command(
        "batch",
        N_(
            "simulate and report many scenarios: DIR/<name>/ per scenario (result.npz, "
            "summary.csv, quantiles.csv, report.html), DIR/index.html and DIR/manifest.json, "
            "updated as each finishes"
        ),
        _batch_arguments,
        batch,
    ),
    Command(
        "sweep",
        N_("a grid over one or two parameters on common random numbers"),
        _sweep_arguments,
        sweep,
    ),
)
