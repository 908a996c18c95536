"""Parameter sweeps: a grid over one or two fields, every point on common random numbers.

``cssim sweep BASE.yaml --vary churn.monthly=0.01:0.05:9 --vary acquisition.rate=0.1:0.5:9`` runs every
combination with the same seed, so neighbouring cells differ only by the parameters, and writes a CSV table
and an HTML report with heatmaps and the break-even line (where the median ARR at the horizon equals today's
ARR).

A field is a dotted path in the scenario (``horizon_months``, ``segments.SMB.churn.monthly``) or a path
inside a segment (``churn.monthly``), which then applies to every segment.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from concurrent.futures import Executor, as_completed
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..model.arrays import binomial_se, mean_se
from ..model.edits import parse_path
from ..model.engine import simulate
from ..model.scenario import Scenario

__all__ = ["SweepResult", "parse_vary", "sweep"]

_TOP = {"name", "description", "horizon_months", "currency", "target_arr", "segments"}


def parse_vary(text: str) -> tuple[str, list[float]]:
    """``FIELD=LOW:HIGH:STEPS`` (evenly spaced, both ends included) or ``FIELD=a,b,c``."""
    if "=" not in text:
        raise ValueError(f"--vary {text!r}: write FIELD=LOW:HIGH:STEPS or FIELD=a,b,c")
    name, spec = (s.strip() for s in text.split("=", 1))
    try:
        if ":" in spec:
            parts = spec.split(":")
            if len(parts) != 3:
                raise ValueError
            low, high, steps = float(parts[0]), float(parts[1]), int(parts[2])
            if steps < 2 or steps > 101:
                raise ValueError(f"--vary {text!r}: STEPS must be between 2 and 101")
            values = [float(f"{v:.12g}") for v in np.linspace(low, high, steps)]
        else:
            values = [float(v) for v in spec.split(",") if v.strip()]
    except ValueError as e:
        if str(e).startswith("--vary"):
            raise
        raise ValueError(
            f"--vary {text!r}: values must be numbers, as LOW:HIGH:STEPS or a,b,c"
        ) from None
    if not values:
        raise ValueError(f"--vary {text!r}: give at least one value")
    if not all(math.isfinite(v) for v in values):
        raise ValueError(f"--vary {text!r}: values must be finite numbers (not nan or inf)")
    if not name:
        raise ValueError(
            f"--vary {text!r}: name a field before '=', e.g. churn.monthly=0.01:0.05:5"
        )
    return name, values


def changes_for(base: Scenario, field: str, value: float) -> dict:
    """The :meth:`Scenario.replace` changes that set ``field`` to ``value``."""
    if not math.isfinite(value):
        raise ValueError(f"--vary {field}: {value} is not allowed: give finite numbers")
    value = int(value) if field in ("horizon_months",) or field.endswith("customers") else value
    head = field.split(".", 1)[0].split("[", 1)[0]
    if head in _TOP:
        parse_path(
            base.to_dict(), field, base.name
        )  # a clear error now for a path that leads nowhere
        return {field: value}
    return {("segments", i, *field.split(".")): value for i in range(len(base.segments))}


@dataclass(frozen=True)
class _Point:
    scenario: Scenario
    values: tuple
    paths: int
    seed: int


def _run_point(point: _Point) -> dict:
    r = simulate(point.scenario, paths=point.paths, seed=point.seed)
    t = r.horizon
    arr = r["arr"]
    grows = arr[:, t] > arr[:, 0]
    p = float(grows.mean())
    return {
        "arr_start": float(arr[0, 0]),
        "arr_median": float(np.median(arr[:, t])),
        "arr_p10": float(np.quantile(arr[:, t], 0.1)),
        "arr_p90": float(np.quantile(arr[:, t], 0.9)),
        "arr_mean": float(arr[:, t].mean()),
        "arr_mean_se": mean_se(arr[:, t]),
        "p_arr_grows": p,
        "p_arr_grows_se": binomial_se(p, r.paths),
        "customers_median": float(np.median(r["customers"][:, t])),
        "nrr_median": float(np.nanmedian(r["nrr"][:, t])) if t >= 12 else float("nan"),
    }


@dataclass
class SweepResult:
    """A sweep's table (one row per grid point) and the fields it varied."""

    base: Scenario
    fields: list[str]
    table: pd.DataFrame
    paths: int
    seed: int

    def grid(self, column: str) -> pd.DataFrame:
        """A 2-D sweep's column as a grid: rows the first field, columns the second."""
        if len(self.fields) != 2:
            raise ValueError("grid() needs a sweep over two fields")
        return self.table.pivot(index=self.fields[0], columns=self.fields[1], values=column)


def sweep(
    base: Scenario,
    vary: dict[str, Sequence[float]],
    *,
    paths: int = 2000,
    seed: int = 42,
    executor: Executor | None = None,
    progress: bool = False,
) -> SweepResult:
    """Run ``base`` at every combination of the values in ``vary`` (one or two fields), same seed for all.

    Each row of the table holds the field values and, at the horizon: ARR now, the median, P10, P90 and
    mean ARR (with its standard error), P(ARR grows) (with its standard error), the median customers and NRR.
    Invalid combinations raise :class:`cssim.ScenarioError` before anything runs.

    ``executor`` (any ``concurrent.futures.Executor``: local processes, or a Dask cluster's through
    :func:`cssim.runs.executors.executor`) runs the grid points in parallel; every point carries the
    same seed, so where it runs never changes a number.
    """
    if not 1 <= len(vary) <= 2:
        raise ValueError(f"a sweep varies one or two fields, not {len(vary)}")
    fields = list(vary)
    points = []
    # a varied field is a number at every point: the correlations that name it go (the others stay)
    varied = {f"{s.name}.{f}" for f in fields for s in base.segments}
    kept = [c.model_dump() for c in base.correlations or [] if not {c.a, c.b} & varied]
    dropped = {"correlations": kept or None} if len(kept) < len(base.correlations or []) else {}
    for combo in itertools.product(*(vary[f] for f in fields)):
        changes: dict = dict(dropped)
        for f, v in zip(fields, combo, strict=True):
            changes.update(changes_for(base, f, v))
        points.append(_Point(base.replace(changes), tuple(combo), paths, seed))
    rows: list[dict | None] = [None] * len(points)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(points), desc="sweep", unit="point")
    if executor is None:
        done = ((i, _run_point(point)) for i, point in enumerate(points))
    else:
        futures = {executor.submit(_run_point, point): i for i, point in enumerate(points)}
        done = ((futures[f], f.result()) for f in as_completed(futures))
    for i, out in done:
        rows[i] = {**dict(zip(fields, points[i].values, strict=True)), **out}
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    return SweepResult(base, fields, pd.DataFrame(rows), paths, seed)
