"""One scenario's tables, as ``cssim run`` writes them.

``cssim run SCENARIO --out DIR`` writes ``DIR/<slug>/summary.csv``, ``quantiles.csv``,
``unit_economics.csv`` and ``expected.csv`` (the slug from :func:`cssim.runs.naming.output_slug`, so the
folder is always inside ``DIR``), each atomically.
"""

from __future__ import annotations

import functools
import warnings
from pathlib import Path

from ..model._lazy import pandas as pd
from ..model.engine import simulate as _simulate
from ..model.expected import expected
from ..model.metrics import METRICS
from ..model.result import SimulationResult, _atomic
from ..model.scenario import Scenario

__all__ = ["run_tables", "simulate", "write_tables"]


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
    return [
        _atomic(Path(folder) / name, lambda p, df=df, index=index: df.to_csv(p, index=index))
        for name, (df, index) in tables.items()
    ]
