"""Active customers per period of cohorts, as the retention models read them.

Data are active counts per period, period 0 first (``[1000, 631, 468, ...]``), for one cohort or several
(a list of arrays of different lengths, or a 2-D table with NaN for unobserved periods). Each cohort
contributes its churners per period and its survivors, right-censored at its last observed period
(:func:`cohort_counts`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["cohort_counts", "read_cohorts"]


def read_cohorts(active) -> list[np.ndarray]:
    """Active counts as a list of 1-D float arrays (period 0 first), trailing NaN removed."""
    if isinstance(active, pd.DataFrame):
        active = active.to_numpy(dtype=float)
    if isinstance(active, np.ndarray) and active.ndim == 1:
        rows = [active]
    elif isinstance(active, np.ndarray) and active.ndim == 2:
        rows = list(active)
    elif isinstance(active, Sequence) and len(active) and all(np.ndim(a) == 0 for a in active):
        rows = [active]
    elif isinstance(active, Sequence):
        rows = list(active)
    else:
        raise TypeError("active must be counts per period, a list of such arrays, or a 2-D table")
    out = []
    for i, row in enumerate(rows):
        a = np.asarray(row, dtype=float)
        if a.ndim != 1:
            raise ValueError(f"cohort {i}: active counts must be one-dimensional")
        ok = ~np.isnan(a)
        if not ok.any():
            continue
        last = np.flatnonzero(ok)[-1]
        a = a[: last + 1]
        if np.isnan(a).any():
            raise ValueError(
                f"cohort {i}: NaN inside the observed periods (only trailing NaN is allowed)"
            )
        if (a < 0).any() or np.any(np.diff(a) > 0):
            raise ValueError(
                f"cohort {i}: active counts must be non-negative and never increase: {a}"
            )
        if a[0] > 0:
            out.append(a)
    if not out:
        raise ValueError("no cohort with customers at period 0")
    return out


def cohort_counts(active) -> tuple[np.ndarray, np.ndarray]:
    """Sufficient statistics: churners by tenure ``d[t-1]`` and censored survivors by last tenure ``c[T-1]``.

    Cohorts observed only at period 0 contribute nothing.
    """
    cohorts = read_cohorts(active)
    horizon = max(len(a) for a in cohorts) - 1
    d = np.zeros(max(horizon, 1))
    c = np.zeros(max(horizon, 1))
    for a in cohorts:
        if len(a) < 2:
            continue
        d[: len(a) - 1] += a[:-1] - a[1:]
        c[len(a) - 2] += a[-1]
    return d, c
