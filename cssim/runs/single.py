"""One scenario simulated and its tables written, as ``cssim run`` does it (:func:`run_scenario`).

``cssim run SCENARIO --out DIR`` writes ``DIR/<slug>/summary.csv``, ``quantiles.csv``,
``unit_economics.csv`` and ``expected.csv`` (the slug from :func:`cssim.runs.naming.output_slug`, so the
folder is always inside ``DIR``), each atomically.
"""

from __future__ import annotations

import functools
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

from ..model._lazy import pandas as pd
from ..model.csvout import write_csv
from ..model.engine import simulate as _simulate
from ..model.expected import expected
from ..model.metrics import METRICS
from ..model.precision import DEFAULT_MAX_PATHS
from ..model.result import SimulationResult
from ..model.scenario import Scenario
from ..words.i18n import Translator
from .errors import RunError
from .naming import output_slug

__all__ = [
    "FULL_RUN_BYTES",
    "ScenarioRun",
    "full_run_bytes",
    "run_scenario",
    "run_tables",
    "simulate",
    "write_tables",
]


def _quiet(fn, *args, **kwargs):
    # Ratios such as NRR have no value before month 12; numpy warns about those all-NaN months.
    with warnings.catch_warnings():
        for message in ("All-NaN slice encountered", "Mean of empty slice"):
            warnings.filterwarnings("ignore", message, RuntimeWarning)
        return fn(*args, **kwargs)


@functools.wraps(_simulate)
def simulate(
    scenario, paths=10_000, seed=42, *, scheduler: str | None = None, jobs: int = 1, **options
):
    # ``cssim.simulate``: the engine's simulate, and with ``scheduler=ADDRESS`` (a Dask scheduler such
    # as ``tcp://host:port``) its blocks run as tasks on that cluster's workers, or with ``jobs=N`` on N
    # local processes, bit-identical to a run in this process (blocks carry their own streams). The model
    # itself never imports Dask or runs/.
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"jobs must be a positive integer, got {jobs!r}")
    given = [
        name
        for name, on in (
            ("an executor", options.get("executor") is not None),
            ("a scheduler", scheduler is not None),
            ("jobs", jobs > 1),
        )
        if on
    ]
    if len(given) > 1:
        raise ValueError(
            f"give simulate() one of an executor, a scheduler or jobs, not {' and '.join(given)}"
        )
    if scheduler is not None or jobs > 1:
        from .executors import executor

        with executor(jobs, scheduler) as pool:
            return _simulate(scenario, paths, seed, executor=pool, **options)
    return _simulate(scenario, paths, seed, **options)


simulate.__doc__ = (
    (_simulate.__doc__ or "")
    + """
    With ``scheduler=ADDRESS`` (a Dask scheduler address such as ``tcp://host:port``) the blocks run as
    tasks on its workers (:mod:`cssim.runs.distributed`); with ``jobs=N`` on N local processes. Either way
    the numbers are bit-identical to a run in this process.
"""
)


def run_tables(
    scenario: Scenario, result: SimulationResult, months: list[int] | None = None
) -> dict[str, tuple[pd.DataFrame, bool]]:
    """``{file name: (table, write the index?)}``: summary, quantiles, unit economics and expected path."""
    return {
        "summary.csv": (result.summary(months=months), False),
        "quantiles.csv": (_quiet(result.quantiles, list(METRICS), wide=True), False),
        "unit_economics.csv": (result.unit_economics(), False),
        "expected.csv": (_quiet(expected, scenario), True),
    }


def write_tables(tables: dict[str, tuple[pd.DataFrame, bool]], folder: Path) -> list[Path]:
    """Write each table of :func:`run_tables` into ``folder`` atomically; returns the files."""
    return [write_csv(df, Path(folder) / name, index=index) for name, (df, index) in tables.items()]


#: Above this estimate of a full result's memory, :func:`run_scenario` keeps statistics instead of paths.
FULL_RUN_BYTES = 1 << 30


def full_run_bytes(scenario: Scenario, paths: int) -> int:
    """About what keeping every path takes: the stored arrays plus the float64 copies tables derive.

    ``paths x (horizon + 1) x (9 x 4 x segments + 8 x metrics)`` bytes: nine float32/int32 arrays per
    segment, one float64 array per metric for the quantile table.
    """
    cells = paths * (scenario.horizon_months + 1)
    stored = 9 * 4 * len(scenario.segments)  # nine float32/int32 arrays per segment
    derived = 8 * len(METRICS)  # one float64 array per metric for the quantile table
    return cells * (stored + derived)


@dataclass(frozen=True)
class ScenarioRun:
    """What :func:`run_scenario` did: the result, its summary table, the files and where they are."""

    result: SimulationResult
    summary: pd.DataFrame
    files: list[Path]
    folder: Path
    summary_mode: bool


def run_scenario(
    scenario: Scenario,
    source: str | os.PathLike,
    out_dir: str | os.PathLike,
    *,
    paths: int = 10_000,
    seed: int = 42,
    months: list[int] | None = None,
    summary: bool | None = None,
    jobs: int = 1,
    scheduler: str | None = None,
    progress: bool = False,
    lang: str = "en",
    sampling: str | None = None,
    precision: float | None = None,
    confidence: float = 0.95,
    max_paths: int | None = None,
    precision_stat: str = "mean",
) -> ScenarioRun:
    """Simulate ``scenario`` and write its tables into ``out_dir/<slug>/`` (``cssim run``).

    Parameters
    ----------
    scenario : the scenario, read from ``source``
    source : its file: names the output folder (:func:`~cssim.runs.naming.output_slug`) and the scenario
        in error messages
    out_dir : the folder the scenario's folder goes into
    paths, seed : Monte Carlo settings
    months : months of the summary table (default: 12, 24 and 36 within the horizon)
    summary : keep mergeable statistics instead of every path (quantiles within 0.5%); ``None`` chooses
        statistics when every path would take more than :data:`FULL_RUN_BYTES`
        (:func:`full_run_bytes`)
    jobs, scheduler : run the blocks in ``jobs`` local processes or on the Dask cluster at
        ``scheduler`` (the numbers are the same)
    progress : show a progress bar
    lang : language of the error messages
    sampling : how the uncertain parameters are drawn (``random``, ``lhs``, ``sobol``; default the
        scenario's)
    precision, confidence, max_paths, precision_stat : stop when ARR's statistic at the horizon is known
        to ``precision`` (relative) at ``confidence`` (``paths`` is then not used) and write
        ``precision.csv``: the paths used, the estimate, the achieved half-width and why it stopped

    Raises
    ------
    RunError
        when simulating, summarising or writing fails; the message says which, in ``lang``.
    """
    _ = Translator(lang)  # the error messages' words
    folder = Path(out_dir) / output_slug(source)
    summary_mode = summary
    if summary_mode is None:
        summary_mode = full_run_bytes(scenario, paths) > FULL_RUN_BYTES
    options: dict = {"summary": True} if summary_mode else {}
    options["sampling"] = sampling
    if precision is not None:
        options.update(
            precision=precision,
            confidence=confidence,
            max_paths=max_paths,
            precision_stat=precision_stat,
        )
        paths = max_paths or DEFAULT_MAX_PATHS
        if summary is None:
            summary_mode = full_run_bytes(scenario, paths) > FULL_RUN_BYTES
            options["summary"] = summary_mode
    if scheduler:
        options["scheduler"] = scheduler
    elif jobs > 1:
        options["jobs"] = jobs
    try:
        result = simulate(scenario, paths=paths, seed=seed, progress=progress, **options)
    except Exception as e:
        raise RunError(_("simulating {scenario} failed: {error}", scenario=source, error=e)) from e
    try:
        tables = run_tables(scenario, result, months)
        if result.precision_stop is not None:
            tables["precision.csv"] = (pd.DataFrame([result.precision_stop.to_dict()]), False)
        table = tables["summary.csv"][0]
    except Exception as e:
        raise RunError(_("summarising {scenario} failed: {error}", scenario=source, error=e)) from e
    try:
        files = write_tables(tables, folder)
    except OSError as e:
        raise RunError(_("writing {folder} failed: {error}", folder=folder, error=e)) from e
    return ScenarioRun(result, table, files, folder, bool(summary_mode))
