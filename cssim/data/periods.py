"""Periods of recurring revenue -> MRR at each month end (shared by subscriptions and invoice lines).

A period with monthly amount ``a`` that runs from ``start`` to ``end`` (wall-clock seconds; ``end``
exclusive, NaN when open) adds ``a`` to its customer's MRR at the end of every month ``m`` with
``start < first instant of m+1 <= end``: the month-end snapshot Stripe, Chargebee and Fivetran use. So a
subscription that ends on 15 April counts in March and not in April (churn is dated by the end), and one
that starts on 31 January counts in January. The months are those of the wall clock the seconds are on
(:func:`cssim.data.typed.to_local` has put instants on the business's time zone).
"""

from __future__ import annotations

import datetime as _dt

import numpy as np
import pandas as pd

from . import cells

__all__ = ["complete_to", "month_ends", "month_of", "shift_months"]


def month_of(seconds: np.ndarray) -> np.ndarray:
    """Month ordinals (months since 1970-01) of wall-clock seconds."""
    days = np.floor(np.asarray(seconds, dtype=float) / cells.DAY).astype(np.int64)
    return days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)


def shift_months(seconds: np.ndarray, months: np.ndarray) -> np.ndarray:
    """``seconds`` moved by whole calendar ``months`` (the day clamped to the month's length)."""
    out = np.empty(len(seconds))
    for i, (s, k) in enumerate(zip(seconds, months, strict=True)):
        day, rest = divmod(float(s), cells.DAY)
        d = _dt.date(1970, 1, 1) + _dt.timedelta(days=int(day))
        total = d.year * 12 + d.month - 1 + int(k)
        y, m = divmod(total, 12)
        first = _dt.date(y, m + 1, 1)
        length = ((first + _dt.timedelta(days=31)).replace(day=1) - first).days
        moved = first.replace(day=min(d.day, length))
        out[i] = (moved - _dt.date(1970, 1, 1)).days * cells.DAY + rest
    return out


def complete_to(as_of: float) -> int:
    """The last month that has ended by ``as_of`` (seconds at the end of the as-of day)."""
    day = int(np.floor(as_of / cells.DAY)) - 1
    d = _dt.date(1970, 1, 1) + _dt.timedelta(days=day)
    ordinal = (d.year - 1970) * 12 + d.month - 1
    return ordinal if (d + _dt.timedelta(days=1)).day == 1 else ordinal - 1


def month_ends(
    customer: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    monthly: np.ndarray,
    rows: np.ndarray,
    last: int,
) -> pd.DataFrame:
    """MRR per customer at each month end up to month ``last`` (see the module docstring).

    Returns ``row`` (the first file row behind the figure), ``customer``, ``month`` (ordinal), ``mrr``,
    one row per customer and month with a live period.
    """
    first = month_of(start)
    stop = np.where(np.isnan(end), last, month_of(np.nan_to_num(end)) - 1)
    stop = np.minimum(stop, last)
    n = np.maximum(stop - first + 1, 0)
    if n.sum() == 0:
        return pd.DataFrame({"row": [], "customer": [], "month": [], "mrr": []})
    offsets = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
    frame = pd.DataFrame(
        {
            "row": np.repeat(rows, n),
            "customer": np.repeat(customer, n),
            "month": np.repeat(first, n) + offsets,
            "mrr": np.repeat(monthly, n),
        }
    )
    out = (
        frame.groupby(["customer", "month"], sort=True)
        .agg(row=("row", "min"), mrr=("mrr", "sum"))
        .reset_index()
    )
    return out[["row", "customer", "month", "mrr"]]
