"""Small array helpers the engines share: parameters shaped to broadcast, a safe divide, and the
standard errors every table reports (NaN where fewer than two paths leave nothing to estimate)."""

from __future__ import annotations

import numpy as np

__all__ = ["binomial_se", "col", "divide", "mean_se", "pcol", "prow"]


def mean_se(values) -> float:
    """The standard error of the mean of ``values``: ``sd / sqrt(n)`` with the sample sd (``n - 1``).

    NaN when there are fewer than two values: one path says nothing about the spread (it is not 0).
    """
    values = np.asarray(values, dtype=float)
    n = values.size
    return float(values.std(ddof=1) / np.sqrt(n)) if n > 1 else float("nan")


def binomial_se(p, n):
    """The binomial standard error of a share ``p`` of ``n`` paths: ``sqrt(p (1 - p) / n)``.

    NaN where ``n`` is below 2: with one path the share is 0 or 1 and the formula gives 0, a certainty
    that one path cannot give. Arrays broadcast.
    """
    p, n = np.asarray(p, dtype=float), np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        se = np.where(n >= 2, np.sqrt(p * (1.0 - p) / np.maximum(n, 1.0)), np.nan)
    return float(se) if se.ndim == 0 else se


def divide(a: np.ndarray, b: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``a / b`` where ``b > 0``, else 0 (``b`` is never negative)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.divide(a, b, out=out)  # a full-speed divide, then the few zeros of b fixed
    np.copyto(out, 0.0, where=b <= 0)
    return out


def col(value, paths: int) -> np.ndarray:
    """A parameter as a float array over paths."""
    return (
        np.broadcast_to(np.asarray(value, dtype=np.float64), (paths,))
        if np.ndim(value) == 0
        else np.asarray(value, dtype=np.float64)
    )


def pcol(value):
    """A parameter shaped to broadcast against (paths, cohorts): scalar, or (paths, 1)."""
    value = np.asarray(value, dtype=np.float64)
    return value if value.ndim == 0 else value[:, None]


def prow(value):
    """A parameter shaped to broadcast against (columns, paths): scalar, or (1, paths)."""
    value = np.asarray(value, dtype=np.float64)
    return value if value.ndim == 0 else value[None, :]
