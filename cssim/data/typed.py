"""Text cells of the columns a format uses -> typed columns, chunk by chunk.

Each role has a kind (:data:`KIND`): text (ids, kept as written, stripped), word (statuses, types,
currencies: NFKC, lower case), month (ordinal), date (seconds on the business's wall clock, instants
converted to its time zone), amount (float) or interval (months per billing period). Bad cells go to the
read's :class:`~cssim.data.faults.Faults`; once there is one, typed rows are no longer kept (the read will
fail and say why), so a hostile file of a million bad rows costs no memory.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..words.i18n import N_
from . import cells
from .columns import Layout
from .options import ReadOptions
from .textfile import TextTable

__all__ = ["KIND", "read_typed", "to_local", "words"]

KIND = {
    "customer": "text",
    "customer_name": "text",
    "subscription": "text",
    "entity": "text",
    "invoice": "text",
    "month": "month",
    "start": "date",
    "created": "date",
    "end": "date",
    "canceled": "date",
    "trial_end": "date",
    "date": "date",
    "mrr": "amount",
    "amount": "amount",
    "unit_price": "amount",
    "gross": "amount",
    "tax": "amount",
    "quantity": "amount",
    "interval_count": "amount",
    "interval": "interval",
    "status": "word",
    "line_type": "word",
    "usage_type": "word",
    "prorated": "word",
    "currency": "word",
}
#: roles whose epoch-second cells are read as instants (API dumps: ``created``, ``*_at``)
_INSTANTS = {"created", "canceled", "trial_end", "start", "end"}
_FAR = 7_258_118_400  # 2200-01-01: instants after it are left as written (beyond any as-of date)


def words(texts: pd.Series) -> pd.Series:
    """NFKC, stripped, lower case (statuses, line types, currency codes)."""
    codes, uniques = pd.factorize(texts, use_na_sentinel=False)
    mapped = np.array([cells.nfkc(u).lower() for u in uniques] or [""], dtype=object)
    return pd.Series(mapped[codes] if len(uniques) else [], index=texts.index, dtype=object)


def to_local(seconds: np.ndarray, instant: np.ndarray, tz) -> np.ndarray:
    """UTC seconds of ``instant`` cells -> wall-clock seconds in ``tz`` (None: UTC, unchanged)."""
    if tz is None or not instant.any():
        return seconds
    out = seconds.copy()
    pick = instant & np.isfinite(seconds) & (seconds < _FAR) & (seconds > -_FAR)
    if pick.any():
        stamps = pd.to_datetime(seconds[pick].astype(np.int64), unit="s", utc=True)
        wall = stamps.tz_convert(tz).tz_localize(None)
        out[pick] = (wall - pd.Timestamp("1970-01-01")) // pd.Timedelta(seconds=1)
    return out


def read_typed(
    table: TextTable,
    lay: Layout,
    roles: tuple[str, ...],
    opts: ReadOptions,
    required: tuple[str, ...] = (),
    nonnegative: tuple[str, ...] = (),
) -> tuple[pd.DataFrame, int]:
    """The typed columns of ``roles`` (those the file has), a ``row`` column, and the rows read.

    A date role ``r`` also gives ``r_time`` (a time of day was written) and marks whether any cell was an
    instant in ``opts``' notes; empty cells are NaN (or "") unless the role is ``required``; a negative
    amount of a role in ``nonnegative`` is a fault.
    """
    used = [r for r in roles if r in lay.roles]
    kept, count = [], 0
    faults = opts.faults
    for chunk in table.chunks():
        count += len(chunk)
        rows = chunk.index.to_numpy()
        out: dict[str, object] = {"row": rows}
        for role in used:
            header = lay.headers[lay.roles[role]]
            texts = chunk[lay.roles[role]]
            kind = KIND[role]
            need = role in required
            if kind == "text":
                value = texts.str.strip()
                if need:
                    faults.add(
                        header.text, "empty", rows, None, (value == "").to_numpy(bool), False
                    )
                out[role] = value.array
            elif kind == "word":
                value = words(texts)
                if need:
                    faults.add(
                        header.text, "empty", rows, None, (value == "").to_numpy(bool), False
                    )
                out[role] = value.to_numpy(dtype=object)
            elif kind == "month":
                (value,), codes = cells.parse_column(texts, cells.month, dayfirst=opts.dayfirst)
                faults.codes(header.text, rows, texts.to_numpy(), codes, not need)
                out[role] = np.where(codes == 0, value, np.nan)
            elif kind == "date":
                (secs, flags), codes = cells.parse_column(
                    texts, cells.date, instants=role in _INSTANTS, dayfirst=opts.dayfirst
                )
                faults.codes(header.text, rows, texts.to_numpy(), codes, not need)
                secs = np.where(codes == 0, secs, np.nan).astype(float)
                flags = np.where(codes == 0, flags, 0).astype(np.int8)
                instant = (flags & 2).astype(bool) | (header.utc & (codes == 0))
                if instant.any() and opts.timezone is not None:
                    opts.assume(
                        N_(
                            "times in UTC or with an offset are put into months on the clock of {zone}"
                        ),
                        zone=opts.timezone_name,
                    )
                out[role] = to_local(secs, instant, opts.timezone)
                out[f"{role}_time"] = (flags & 1).astype(bool)
            elif kind == "amount":
                (value,), codes = cells.parse_column(texts, cells.amount)
                faults.codes(header.text, rows, texts.to_numpy(), codes, not need)
                if role in nonnegative:
                    faults.add(header.text, "negative", rows, texts.to_numpy(), value < 0)
                out[role] = np.where(codes == 0, value, np.nan)
            else:  # interval
                (value,), codes = cells.parse_column(texts, cells.interval_months)
                faults.codes(header.text, rows, texts.to_numpy(), codes, not need)
                out[role] = np.where(codes == 0, value, np.nan)
        if not faults:
            kept.append(pd.DataFrame(out))
        elif faults.full and len(rows):
            faults.stop(rows[-1])
            break
    if faults or not kept:
        columns = ["row", *used] + [f"{r}_time" for r in used if KIND[r] == "date"]
        return pd.DataFrame(columns=columns), count
    return pd.concat(kept, ignore_index=True) if len(kept) > 1 else kept[0], count
