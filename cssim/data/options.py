"""The options of a read (time zone, as-of date, currency, fx, tax, interval), checked, and what a read
notes on its way (assumptions, warnings, exclusions) for the provenance."""

from __future__ import annotations

import datetime as _dt
import math
import re
from dataclasses import dataclass, field
from typing import Any

from ..model.errors import Problem
from . import cells
from .faults import Faults

__all__ = ["Exclusion", "Note", "ReadOptions", "check_options"]


@dataclass(frozen=True)
class Note:
    """A sentence of the provenance: an English template (translated in :mod:`cssim.words`) and its
    values, each a text, a number or a ``("month"|"date"|"money"|"count", value)`` pair."""

    text: str
    values: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def of(cls, text: str, **values) -> Note:
        return cls(text, tuple(values.items()))


@dataclass(frozen=True)
class Exclusion:
    """Rows left out for one reason: how many and their amount (monthly, except one-off lines)."""

    reason: str  # a key of :data:`cssim.data.provenance.REASONS`
    rows: int
    amount: float


@dataclass
class ReadOptions:
    """Checked options and the notes of one read."""

    timezone: Any = None  # a ZoneInfo, or None for UTC
    timezone_name: str = "UTC"
    timezone_given: bool = False
    as_of: int | None = None  # seconds (wall clock): the end of the as-of day
    as_of_text: str = ""
    currency: str | None = None
    fx: dict[str, float] = field(default_factory=dict)
    tax_included: float | None = None
    interval: float | None = None
    dayfirst: bool | None = None
    faults: Faults = field(default_factory=Faults)
    assumptions: list[Note] = field(default_factory=list)
    warnings: list[Note] = field(default_factory=list)
    excluded: dict[str, list] = field(default_factory=dict)
    left_out: list[Note] = field(default_factory=list)

    def exclude(self, reason: str, rows: int, amount: float = 0.0) -> None:
        if rows:
            entry = self.excluded.setdefault(reason, [0, 0.0])
            entry[0] += int(rows)
            entry[1] += float(amount)

    def exclusions(self) -> tuple[Exclusion, ...]:
        return tuple(Exclusion(r, n, a) for r, (n, a) in self.excluded.items())

    def assume(self, text: str, **values) -> None:
        note = Note.of(text, **values)
        if note not in self.assumptions:
            self.assumptions.append(note)

    def warn(self, text: str, **values) -> None:
        note = Note.of(text, **values)
        if note not in self.warnings:
            self.warnings.append(note)


_CODE = re.compile(r"^[A-Z]{3}$")


def check_options(
    *,
    timezone=None,
    as_of=None,
    currency=None,
    fx=None,
    tax_included=None,
    interval=None,
    dayfirst=None,
) -> tuple[ReadOptions, list[Problem]]:
    """The options as a :class:`ReadOptions`, and a problem for each one that cannot be used."""
    o, problems = ReadOptions(dayfirst=dayfirst), []
    if timezone is not None:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            o.timezone = ZoneInfo(str(timezone))
            o.timezone_name, o.timezone_given = str(timezone), True
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            problems.append(
                Problem(
                    "timezone",
                    f"time zone {timezone!r} is unknown: give an IANA name such as Asia/Tokyo or UTC",
                )
            )
    if as_of is not None:
        text = as_of.isoformat() if isinstance(as_of, _dt.date) else str(as_of)
        seconds, _, fault = cells.date(text[:10] if isinstance(as_of, _dt.datetime) else text)
        if fault:
            problems.append(
                Problem("as_of", f"as_of {text!r} is not a date: write it like 2026-01-31")
            )
        else:
            day = seconds // cells.DAY
            o.as_of = (day + 1) * cells.DAY  # the end of that day
            o.as_of_text = _dt.date.fromordinal(day + _dt.date(1970, 1, 1).toordinal()).isoformat()
    if currency is not None:
        code = str(currency).strip().upper()
        if not _CODE.match(code):
            problems.append(
                Problem(
                    "currency",
                    f"currency {currency!r} is not a three-letter code such as JPY or USD",
                )
            )
        o.currency = code
    for key, rate in dict(fx or {}).items():
        code = str(key).strip().upper()
        try:
            value = float(rate)
        except (TypeError, ValueError):
            value = math.nan
        if not _CODE.match(code) or not (math.isfinite(value) and value > 0):
            problems.append(
                Problem(
                    "fx",
                    f"fx {key!r}: {rate!r} is not a rate: give a three-letter code and a positive "
                    "number, the value of one unit in the scenario currency",
                )
            )
        else:
            o.fx[code] = value
    if tax_included is not None:
        try:
            rate = float(tax_included)
        except (TypeError, ValueError):
            rate = math.nan
        if not 0 <= rate < 1:
            problems.append(
                Problem(
                    "tax_included",
                    f"tax_included must be a tax rate between 0 and 1, such as 0.10, got "
                    f"{tax_included!r}",
                )
            )
        o.tax_included = rate
    if interval is not None:
        months, fault = cells.interval_months(str(interval))
        if fault:
            problems.append(
                Problem(
                    "interval",
                    f"interval {interval!r} is not a billing interval: write month, year, 3 months, "
                    "月 or 年",
                )
            )
        o.interval = months
    if dayfirst is not None and not isinstance(dayfirst, bool):
        problems.append(Problem("dayfirst", f"dayfirst must be True or False, got {dayfirst!r}"))
    return o, problems
