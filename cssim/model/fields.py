"""The field types of a scenario: a number that may also be a distribution, with its allowed range.

Every numeric parameter of a scenario is a :func:`Param`: a number checked against its range, a
distribution (:mod:`cssim.model.distributions`) that must put at least 90% of its probability inside the
range and is truncated to it when drawn, or a ``[low, high]`` 90% interval. :func:`walk` lists a
model's numeric parameters by field path.
"""

from __future__ import annotations

import math
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Discriminator, Field, Tag

from .distributions import MIN_MASS_INSIDE, Distribution, Interval90, _Dist

__all__ = [
    "TAGS",
    "FieldRange",
    "Name",
    "NonNegative",
    "Param",
    "Positive",
    "Rate",
    "Text",
    "field_range",
    "walk",
]

#: The union tags of a :func:`Param` (names pydantic puts in an error's location).
TAGS = {"number", "distribution", "interval"}


def _pick(value: Any) -> str:
    if isinstance(value, dict | _Dist):
        return "distribution"
    if isinstance(value, list | tuple):
        return "interval"
    return "number"


def _to_interval(v: list[float]) -> Interval90:
    return Interval90(kind="interval90", low=v[0], high=v[1])


@dataclass(frozen=True)
class FieldRange:
    """The allowed range of a :func:`Param` field, kept in its annotation (:func:`field_range` reads it).

    ``low`` and ``high`` are the bounds (``-inf``/``inf`` where there is none); ``*_open`` say whether
    the bound itself is excluded.
    """

    low: float
    high: float
    low_open: bool = False
    high_open: bool = False

    def __contains__(self, x: float) -> bool:
        above = x > self.low if self.low_open else x >= self.low
        below = x < self.high if self.high_open else x <= self.high
        return above and below


def _allowed(lo: float, hi: float, lo_open: bool, hi_open: bool) -> str:
    left = "(" if lo_open else "["
    right = ")" if hi_open else "]"
    return f"{left}{lo:g}, {hi:g}{right}"


def Param(
    *,
    ge: float | None = None,
    gt: float | None = None,
    le: float | None = None,
    lt: float | None = None,
    integer: bool = False,
):
    """A numeric field that may also be a distribution, with its allowed range.

    Numbers are checked against the range; a distribution must put at least 90% of its probability inside
    it and is truncated to it when drawn.
    """
    lo = ge if ge is not None else gt if gt is not None else -math.inf
    hi = le if le is not None else lt if lt is not None else math.inf
    rng = _allowed(lo, hi, gt is not None, lt is not None)
    # ints have no inf or nan (and pydantic's finiteness check overflows on huge ints)
    limits = (
        Field(ge=ge, gt=gt, le=le, lt=lt, strict=True)
        if integer
        else Field(ge=ge, gt=gt, le=le, lt=lt, strict=True, allow_inf_nan=False)
    )
    number = Annotated[int if integer else float, limits]
    interval = Annotated[
        list[Annotated[float, Field(strict=True, allow_inf_nan=False)]],
        Field(min_length=2, max_length=2),
        AfterValidator(_to_interval),
    ]

    def bound(value):
        if not isinstance(value, _Dist):
            return value
        try:
            mass = value.mass_inside(lo, hi)
        except (OverflowError, ValueError, ZeroDivisionError, FloatingPointError):
            mass = math.nan
        if mass != mass:  # NaN: parameters so extreme that the probabilities cannot be computed
            raise ValueError(
                f"{value.describe()} has parameters too extreme to compute its probabilities; "
                f"give values that describe a range inside {rng}"
            )
        if mass < MIN_MASS_INSIDE:
            raise ValueError(
                f"{value.describe()} puts only {mass:.0%} of its probability inside the allowed range "
                f"{rng}; at least {MIN_MASS_INSIDE:.0%} is needed (narrow it, or use beta, lognormal "
                "or interval90)"
            )
        return value.with_bounds(lo, hi)

    return Annotated[
        Annotated[number, Tag("number")]
        | Annotated[Distribution, Tag("distribution")]
        | Annotated[interval, Tag("interval")],
        Discriminator(_pick),
        AfterValidator(bound),
        FieldRange(lo, hi, gt is not None, lt is not None),
    ]


#: Characters that change how text around them is laid out without showing themselves: bidirectional
#: embeddings, overrides and isolates (a name could read backwards).
_BIDI_CONTROLS = {*map(chr, range(0x202A, 0x202F)), *map(chr, range(0x2066, 0x206A))}


def _control(text: str, allowed: str = "") -> tuple[int, str] | None:
    """The first control character of ``text`` not in ``allowed``, with its 1-based position."""
    import unicodedata

    for i, ch in enumerate(text, 1):
        if ch in allowed:
            continue
        if unicodedata.category(ch) in ("Cc", "Zl", "Zp") or ch in _BIDI_CONTROLS:
            return i, f"U+{ord(ch):04X}"
    return None


def _printable(text: str) -> str:
    found = _control(text)
    if found is not None:
        raise ValueError(
            f"must not contain control characters; found {found[1]} at character {found[0]}"
        )
    return text


def _readable(text: str) -> str:
    found = _control(text, allowed="\t\n\r")
    if found is not None:
        raise ValueError(
            "must not contain control characters other than line breaks and tabs; found "
            f"{found[1]} at character {found[0]}"
        )
    return text


#: A name (of a scenario or a segment): text without control characters (a NUL, a line break, a tab,
#: a bidirectional override), which would cut or disguise it in files, tables and pages.
Name = Annotated[str, AfterValidator(_printable)]
#: Free text (a description): line breaks and tabs allowed, no other control character.
Text = Annotated[str, AfterValidator(_readable)]

Rate = Param(ge=0, le=1)
NonNegative = Param(ge=0)
Positive = Param(gt=0)


class _Model(BaseModel):
    """Frozen, and unknown keys are errors."""

    model_config = ConfigDict(frozen=True, extra="forbid")


def field_range(model: type[BaseModel], name: str) -> FieldRange | None:
    """The allowed range of the :func:`Param` field ``name`` (``acquisition.growth``) of ``model``, or
    None when ``name`` is not such a field."""
    *head, last = name.split(".")
    for part in head:
        field = model.model_fields.get(part)
        sub = _models(field.annotation) if field is not None else []
        if not sub:
            return None
        model = sub[0]
    field = model.model_fields.get(last)
    if field is None:
        return None
    found = [m for m in field.metadata if isinstance(m, FieldRange)]
    for arg in typing.get_args(field.annotation):  # ``Param(...) | None``
        found += [m for m in getattr(arg, "__metadata__", ()) if isinstance(m, FieldRange)]
    return found[0] if found else None


def _models(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _models(arg)]


def walk(model: BaseModel, prefix: str) -> Iterator[tuple[str, Any]]:
    """Every numeric parameter of ``model`` as ``(path, value)``, paths ``prefix.field.subfield``.

    Lists of models are walked item by item (``health.states[2].churn_multiplier``) and mappings key by
    key (``health.transitions.dormant.at_risk``); lists of plain numbers (tenure weights) are not
    parameters.
    """
    for name in type(model).model_fields:
        yield from _walk_value(getattr(model, name), f"{prefix}.{name}")


def _walk_value(value: Any, path: str) -> Iterator[tuple[str, Any]]:
    if isinstance(value, _Dist) or (isinstance(value, int | float) and not isinstance(value, bool)):
        yield path, value
    elif isinstance(value, BaseModel):
        yield from walk(value, path)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            if isinstance(item, BaseModel):
                yield from walk(item, f"{path}[{i}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _walk_value(item, f"{path}.{key}")
