"""Usage data read into usage states: one state per customer and month, by documented thresholds.

A usage file has one row per customer and month: ``customer``, ``month`` (any form the billing reader
takes: ``2024-03``, ``2024年3月``, ``R6/3`` ...) and one of

- ``usage``, a share from 0 to 1 (seats in use over seats bought, active days over working days ...);
- a raw count in that column (logins, events) with ``usage_max``: the share is ``min(count / usage_max, 1)``;
- ``state``, a state label as the customer-success tool writes it (``healthy``, ``at risk`` ...).

Shares become states by :class:`StateBands`, listed from the least used up: the default
``dormant<0.2, at risk<0.6, healthy`` puts a share below 0.2 in dormant, below 0.6 in at risk and from
0.6 in healthy (in Japanese ``休眠<0.2、要注意<0.6、健全``). Headers are matched like the billing file's
(case, spaces and full-width forms aside; English and Japanese aliases). A cell that cannot be read is an
error naming the file, the column, the row (the header is row 1) and the cell as written; two rows of one
customer and month are an error too (a share cannot be summed), never a silent choice.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..model.errors import Problem
from . import cells
from .columns import ALIASES, normalise
from .faults import MAX_ROWS, Faults, _rows, shown
from .reading import CalibrationError
from .textfile import TableError, open_table

__all__ = ["DEFAULT_BANDS", "StateBands", "Usage", "parse_bands", "read_usage"]

#: header keys (after :func:`cssim.data.columns.normalise`) of the usage roles
USAGE_ALIASES = {
    "usage": (
        "usage",
        "usageshare",
        "share",
        "utilization",
        "utilisation",
        "usagerate",
        "seatsinuse",
        "activeshare",
        "count",
        "usagecount",
        "logins",
        "events",
        "利用率",
        "使用率",
        "活用率",
        "利用状況",
        "利用回数",
        "ログイン数",
    ),
    "state": (
        "state",
        "healthstate",
        "health",
        "usagestate",
        "状態",
        "ヘルス",
        "ヘルス状態",
        "健全度",
    ),
}


@dataclass(frozen=True)
class StateBands:
    """States from the least used up and the share each one ends below (one fewer than the states)."""

    names: tuple[str, ...]
    below: tuple[float, ...]

    def classify(self, share: np.ndarray) -> np.ndarray:
        """The index into :attr:`names` of each share: ``searchsorted(below, share, "right")``."""
        return np.searchsorted(np.asarray(self.below), share, side="right")

    def text(self, lang: str | None = None) -> str:
        sep = "、" if lang == "ja" else ", "
        parts = [f"{n}<{b:g}" for n, b in zip(self.names, self.below, strict=False)]
        return sep.join([*parts, self.names[-1]])


#: the default thresholds, with the state names of each language
DEFAULT_BANDS = {
    "en": StateBands(("dormant", "at risk", "healthy"), (0.2, 0.6)),
    "ja": StateBands(("休眠", "要注意", "健全"), (0.2, 0.6)),
}


def parse_bands(text: str) -> StateBands:
    """``"dormant<0.2,at risk<0.6,healthy"`` -> :class:`StateBands` (``、`` separates too).

    Raises ``ValueError`` saying what is allowed.
    """
    parts = [p.strip() for p in re.split(r"[,、，]", cells.nfkc(str(text))) if p.strip()]
    unreadable = ValueError(
        f"states {text!r}: write the states from the least used up, each but the last with the "
        "share it ends below, such as dormant<0.2,at risk<0.6,healthy"
    )
    if len(parts) < 2:
        raise unreadable
    names, below = [], []
    for i, part in enumerate(parts):
        name, sep, limit = part.partition("<")
        name = name.strip()
        if not name or (sep and i == len(parts) - 1) or (not sep and i < len(parts) - 1):
            raise unreadable
        names.append(name)
        if sep:
            try:
                below.append(float(limit))
            except ValueError:
                raise unreadable from None
    rising = all(a < b for a, b in itertools.pairwise(below))
    if not rising or not all(0 < b <= 1 for b in below):
        raise ValueError(
            f"states {text!r}: the shares must rise strictly between 0 and 1, such as "
            "dormant<0.2,at risk<0.6,healthy"
        )
    if len(set(names)) != len(names):
        raise ValueError(f"states {text!r}: each state needs its own name")
    return StateBands(tuple(names), tuple(below))


@dataclass(frozen=True, eq=False)
class Usage:
    """Usage read into states: ``table`` (customer, month as a monthly Period, state as an index into
    ``names``), the state names from the least used up, and how the file was read."""

    source: str
    table: pd.DataFrame
    names: tuple[str, ...]
    how: str  # "share", "count" or "state"
    column: str  # the usage or state column as written
    bands: StateBands | None
    usage_max: float | None
    rows: int


def _roles(header: list[str]) -> dict[str, int]:
    keys = [normalise(h).key for h in header]
    roles: dict[str, int] = {}
    for role, aliases in {
        "customer": tuple(normalise(a).key for a in ALIASES["customer"]),
        "month": tuple(normalise(a).key for a in ALIASES["month"]),
        **{k: tuple(normalise(a).key for a in v) for k, v in USAGE_ALIASES.items()},
    }.items():
        found = [i for i, k in enumerate(keys) if k in aliases]
        if found:
            roles[role] = found[0]
    return roles


def read_usage(
    path,
    *,
    source: str | None = None,
    usage_max: float | None = None,
    bands: StateBands | None = None,
    labels: tuple[str, ...] | None = None,
    encoding: str | None = None,
) -> Usage:
    """Read a usage file into one state per customer and month (see the module docstring).

    Parameters
    ----------
    path : path or DataFrame
        The usage file (encodings and delimiters as the billing reader takes them).
    usage_max : float, optional
        The count that means full use; the usage column is then a count.
    bands : StateBands, optional
        The thresholds (default: :data:`DEFAULT_BANDS` ``["en"]``).
    labels : tuple of str, optional
        With a state column, the states from the least used up (default: the labels found, in the
        order of ``bands`` where they match its names, else alphabetical).

    Raises
    ------
    CalibrationError
        Naming the file, the column, the rows and the cells that cannot be read.
    """
    source = source or (str(path) if not isinstance(path, pd.DataFrame) else "<DataFrame>")
    bands = bands or DEFAULT_BANDS["en"]
    if usage_max is not None and not (np.isfinite(usage_max) and usage_max > 0):
        raise CalibrationError(
            source,
            [Problem("usage_max", f"usage_max must be a positive number, got {usage_max!r}")],
        )
    try:
        table = open_table(path, source, encoding=encoding)
    except TableError as e:
        raise CalibrationError(source, [e.problem]) from None
    roles = _roles(table.header)
    missing = [r for r in ("customer", "month") if r not in roles]
    if missing or not ("usage" in roles or "state" in roles):
        need = [*missing] + ([] if ("usage" in roles or "state" in roles) else ["usage or state"])
        raise CalibrationError(
            source,
            [
                Problem(
                    "",
                    f"a usage file needs the columns customer, month and usage (a share from 0 to "
                    f"1, or a count with --usage-max) or state; missing: {', '.join(need)}; the "
                    f"header is {', '.join(shown(h) for h in table.header)}",
                )
            ],
        )
    how = "state" if "usage" not in roles else ("count" if usage_max else "share")
    col = roles["usage"] if how != "state" else roles["state"]
    written = {r: table.header[i] for r, i in roles.items()}
    faults = Faults()
    parts = []
    try:
        for chunk in table.chunks():
            rows = chunk.index.to_numpy()
            customer = chunk[roles["customer"]].fillna("").astype(str).str.strip()
            faults.add(written["customer"], "empty", rows, None, (customer == "").to_numpy(), False)
            (month,), codes = cells.parse_column(chunk[roles["month"]], cells.month)
            ok = faults.codes(written["month"], rows, chunk[roles["month"]].to_numpy(), codes)
            ok &= (customer != "").to_numpy()
            raw = chunk[col]
            if how == "state":
                value = raw.fillna("").astype(str).str.strip().to_numpy(object)
                empty = value == ""
                faults.add(written["state"], "empty", rows, None, empty, False)
                ok &= ~empty
            else:
                (value,), vcodes = cells.parse_column(raw, cells.amount)
                ok &= faults.codes(table.header[col], rows, raw.to_numpy(), vcodes)
                negative = ok & (value < 0)
                faults.add(table.header[col], "negative", rows, raw.to_numpy(), negative)
                ok &= ~negative
                if how == "share":
                    over = ok & (value > 1)
                    if over.any():
                        faults.extra.append(
                            _over_one(table.header[col], rows[over], raw[over].to_numpy())
                        )
                    ok &= ~over
            parts.append(
                pd.DataFrame(
                    {
                        "row": rows[ok],
                        "customer": customer[ok],
                        "month": month[ok],
                        "value": value[ok],
                    }
                )
            )
            if faults.full:
                faults.stop(int(rows[-1]))
                break
    except TableError as e:
        raise CalibrationError(source, [e.problem]) from None
    if faults:
        raise CalibrationError(source, faults.problems())
    d = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    if d.empty:
        raise CalibrationError(source, [Problem("", "the usage file has no rows")])
    twice = d.duplicated(["customer", "month"], keep=False)
    if twice.any():
        first = d[twice].sort_values(["customer", "month", "row"]).head(6)
        listed = ", ".join(f"row {r}" for r in first["row"])
        raise CalibrationError(
            source,
            [
                Problem(
                    "",
                    f"a customer has two rows for one month ({listed}; {int(twice.sum())} rows in "
                    "all): a usage share cannot be added up; keep one row per customer and month",
                )
            ],
        )
    if how == "state":
        found = sorted(set(d["value"]))
        order = labels or tuple(
            [n for n in bands.names if n in found] + [n for n in found if n not in bands.names]
        )
        unknown = [v for v in found if v not in order]
        if unknown:
            raise CalibrationError(
                source,
                [
                    Problem(
                        written["state"],
                        f"{shown(written['state'])} names states not listed ({', '.join(unknown)}); "
                        f"listed: {', '.join(order)}",
                    )
                ],
            )
        if len(order) < 2:
            raise CalibrationError(
                source,
                [
                    Problem(
                        written["state"],
                        "the usage file names only one state; at least 2 are needed",
                    )
                ],
            )
        state = pd.Categorical(d["value"], categories=list(order)).codes
        names = tuple(order)
    else:
        share = d["value"].to_numpy(float)
        if how == "count":
            share = np.minimum(share / float(usage_max), 1.0)
        state = bands.classify(share)
        names = bands.names
    out = pd.DataFrame(
        {
            "customer": d["customer"].astype(str).to_numpy(),
            "month": pd.PeriodIndex([_period(m) for m in d["month"].to_numpy()], freq="M"),
            "state": state.astype(np.int8),
        }
    ).sort_values(["customer", "month"], ignore_index=True)
    return Usage(
        source,
        out,
        names,
        how,
        table.header[col],
        None if how == "state" else bands,
        float(usage_max) if how == "count" else None,
        len(d),
    )


def _over_one(header: str, rows, texts) -> Problem:
    examples = list(zip(rows.tolist(), list(texts), strict=True))[:MAX_ROWS]
    return Problem(
        header,
        f"{shown(header)} is above 1 in {_rows(examples, len(rows), True)}: a usage share runs "
        "from 0 to 1; for a count give --usage-max, the count that means full use",
    )


def _period(ordinal: int) -> pd.Period:
    from .intake import _period as period

    return period(int(ordinal))
