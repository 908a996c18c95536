"""Small array helpers the engines share: parameters shaped to broadcast, and a safe divide."""

from __future__ import annotations

import numpy as np

__all__ = ["col", "divide", "pcol", "prow"]


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
