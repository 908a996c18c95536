"""One scenario's tables, as ``cssim run`` writes them.

``cssim run SCENARIO --out DIR`` writes ``DIR/<slug>/summary.csv``, ``quantiles.csv``,
``unit_economics.csv`` and ``expected.csv`` (the slug from :func:`cssim.runs.naming.output_slug`, so the
folder is always inside ``DIR``), each atomically.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd

from ..model.expected import expected
from ..model.metrics import METRICS
from ..model.result import SimulationResult, _atomic
from ..model.scenario import Scenario

__all__ = ["run_tables", "write_tables"]


def _quiet(fn, *args, **kwargs):
    # Ratios such as NRR have no value before month 12; numpy warns about those all-NaN months.
    with warnings.catch_warnings():
        for message in ("All-NaN slice encountered", "Mean of empty slice"):
            warnings.filterwarnings("ignore", message, RuntimeWarning)
        return fn(*args, **kwargs)


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
