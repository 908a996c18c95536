"""Scenarios: frozen, validated descriptions of a subscription business (see MODEL.md).

A scenario is written in YAML and loaded with :func:`load_scenario`, or built from a dict with
:meth:`Scenario.from_dict`. Every numeric parameter may be a number or a distribution (see
:mod:`cssim.distributions`); bad input raises :class:`cssim.ScenarioError` naming the file, the field path,
the line, the value and what is allowed.
"""

from __future__ import annotations

import copy
import math
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    field_validator,
    model_validator,
)

from .distributions import MIN_MASS_INSIDE, Distribution, Interval90, _Dist
from .errors import Problem, ScenarioError, hint_for
from .yamlio import LineMap, dump_yaml, parse_yaml

__all__ = [
    "Acquisition",
    "CSCosts",
    "Churn",
    "Movement",
    "Onboarding",
    "Scenario",
    "Segment",
    "load_scenario",
]

_TAGS = {"number", "distribution", "interval"}


def _pick(value: Any) -> str:
    if isinstance(value, dict):
        return "distribution"
    if isinstance(value, list | tuple):
        return "interval"
    return "number"


def _to_interval(v: list[float]) -> Interval90:
    return Interval90(kind="interval90", low=v[0], high=v[1])


def _allowed(lo: float, hi: float, lo_open: bool, hi_open: bool) -> str:
    left = "(" if lo_open else "["
    right = ")" if hi_open else "]"
    return f"{left}{lo:g}, {hi:g}{right}"


def Param(  # noqa: N802 - a type factory reads like a type
    *, ge: float | None = None, gt: float | None = None, le: float | None = None,
    lt: float | None = None, integer: bool = False,
):
    """A numeric field that may also be a distribution, with its allowed range.

    Numbers are checked against the range; a distribution must put at least 90% of its probability inside
    it and is truncated to it when drawn.
    """
    lo = ge if ge is not None else gt if gt is not None else -math.inf
    hi = le if le is not None else lt if lt is not None else math.inf
    rng = _allowed(lo, hi, gt is not None, lt is not None)
    number = Annotated[int if integer else float,
                       Field(ge=ge, gt=gt, le=le, lt=lt, strict=True, allow_inf_nan=False)]
    interval = Annotated[
        list[Annotated[float, Field(strict=True, allow_inf_nan=False)]],
        Field(min_length=2, max_length=2),
        AfterValidator(_to_interval),
    ]

    def bound(value):
        if not isinstance(value, _Dist):
            return value
        mass = value.mass_inside(lo, hi)
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
    ]


Rate = Param(ge=0, le=1)
NonNegative = Param(ge=0)
Positive = Param(gt=0)


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Acquisition(_Model):
    """New customers: an annual ``rate`` relative to the base, or a monthly ``count`` that may grow.

    ``rate`` g gives ``m = (1 + g)^(1/12) - 1`` new customers per customer at the start of the month;
    ``count`` n gives ``n (1 + growth)^(t - 1)`` expected new customers in month t. Draws are Poisson.
    """

    rate: Param(ge=-0.99, le=100) | None = None
    count: NonNegative | None = None
    growth: Param(ge=-0.5, le=1) = 0.0

    @model_validator(mode="after")
    def _one(self):
        if (self.rate is None) == (self.count is None):
            raise ValueError("give exactly one of rate (annual, relative to the base) or count "
                             "(new customers per month)")
        if self.rate is not None and self.growth != 0.0:
            raise ValueError("growth applies to count; a rate already grows with the base")
        return self


class Onboarding(_Model):
    """A different monthly churn probability during the first ``months`` of tenure."""

    months: int = Field(ge=1, le=60, strict=True)
    monthly: Rate


class Heterogeneity(_Model):
    """Shifted-beta-geometric churn (Fader & Hardie 2007): churn at tenure tau is
    ``alpha / (alpha + beta + tau - 1)``."""

    alpha: Positive
    beta: Positive


class Churn(_Model):
    """Logo churn: exactly one of ``monthly``, ``heterogeneity`` (sBG) or ``annual_renewal``.

    ``onboarding`` overrides the first months of tenure for monthly and sBG churn. With annual contracts,
    customers churn only at tenure 12, 24, ... with probability ``annual_renewal``.
    """

    monthly: Rate | None = None
    heterogeneity: Heterogeneity | None = None
    annual_renewal: Rate | None = None
    onboarding: Onboarding | None = None

    @model_validator(mode="after")
    def _one(self):
        given = [k for k in ("monthly", "heterogeneity", "annual_renewal") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of monthly, heterogeneity (alpha, beta) or "
                             f"annual_renewal; got {', '.join(given) or 'none'}")
        if self.annual_renewal is not None and self.onboarding is not None:
            raise ValueError("onboarding churn applies to monthly contracts; annual contracts churn "
                             "only at renewal")
        return self

    @property
    def tenure_dependent(self) -> bool:
        return self.monthly is None or self.onboarding is not None


class Movement(_Model):
    """Expansion or contraction: expected monthly ``rate`` as a fraction of the MRR of customers who stayed.

    Each staying account moves with ``probability`` in a month, by ``rate / probability`` of its MRR, so
    the expectation is ``rate``.
    """

    rate: Param(ge=0, le=1)
    probability: Param(gt=0, le=1) = 0.1


class CSCosts(_Model):
    """Customer-retention cost (CRC): CS people plus tools, per month.

    People: ``customers / accounts_per_csm`` CSMs (or ``customers x csm_per_account``), each costing
    ``csm_cost`` a month; tools: ``tools`` a month plus ``tools_per_account`` per customer.
    """

    accounts_per_csm: Positive | None = None
    csm_per_account: NonNegative | None = None
    csm_cost: NonNegative = 0.0
    tools: NonNegative = 0.0
    tools_per_account: NonNegative = 0.0

    @model_validator(mode="after")
    def _people(self):
        if self.accounts_per_csm is not None and self.csm_per_account is not None:
            raise ValueError("give accounts_per_csm or csm_per_account, not both")
        return self


class Seats(_Model):
    """Seat-based pricing: ARPA = seats per account x price per seat (expansion = seat growth)."""

    per_account: Positive
    price: Positive


class TenureSpread(_Model):
    """Starting customers spread evenly over tenures ``min`` .. ``max`` months."""

    min: int = Field(ge=0, le=600, strict=True)
    max: int = Field(ge=0, le=600, strict=True)

    @model_validator(mode="after")
    def _order(self):
        if self.max < self.min:
            raise ValueError(f"max ({self.max}) must be at least min ({self.min})")
        return self


class Segment(_Model):
    """One customer segment (SMB, enterprise, ...): see MODEL.md for what every number means."""

    name: str = Field(min_length=1, max_length=60)
    customers: Param(ge=0, integer=True)
    arpa: Positive | None = None
    seats: Seats | None = None
    new_arpa: Positive | None = None
    starting_tenure: Annotated[int, Field(ge=0, le=600, strict=True)] | TenureSpread = 0
    acquisition: Acquisition
    churn: Churn
    expansion: Movement | None = None
    contraction: Movement | None = None
    gross_margin: Rate = 0.8
    cac: NonNegative = 0.0
    cs: CSCosts | None = None

    @model_validator(mode="after")
    def _price(self):
        if (self.arpa is None) == (self.seats is None):
            raise ValueError("give exactly one of arpa (MRR per account) or seats "
                             "(per_account and price)")
        c = self.contraction
        if c is not None and isinstance(c.rate, float) and isinstance(c.probability, float):
            if c.rate > c.probability:
                raise ValueError(
                    f"contraction rate {c.rate:g} exceeds its probability {c.probability:g}: a "
                    "contracting account would lose more than all of its MRR"
                )
        return self

    @property
    def tenure_range(self) -> tuple[int, int]:
        t = self.starting_tenure
        return (t, t) if isinstance(t, int) else (t.min, t.max)


class Scenario(_Model):
    """A scenario: what the business looks like now and how it behaves, with its uncertainty.

    Build one with :func:`load_scenario` (YAML) or :meth:`Scenario.from_dict`.
    """

    name: str = Field(min_length=1, max_length=120)
    description: str = Field("", max_length=5000)
    horizon_months: int = Field(36, ge=1, le=240, strict=True)
    currency: str = Field("JPY", pattern=r"^[A-Z]{3}$")
    target_arr: float | None = Field(None, gt=0, strict=True)
    segments: list[Segment] = Field(min_length=1, max_length=20)

    @field_validator("segments")
    @classmethod
    def _unique(cls, segments):
        names = [s.name for s in segments]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"segment names must be unique; repeated: {', '.join(dupes)}")
        return segments

    # -- construction -----------------------------------------------------------------------------
    @classmethod
    def from_dict(cls, data: Any, source: str = "<dict>", lines: LineMap | None = None) -> Scenario:
        """Validate plain data; raise :class:`ScenarioError` listing every problem."""
        if not isinstance(data, dict):
            raise ScenarioError(source, [Problem(
                "", "a scenario is a YAML mapping with name, horizon_months and segments",
                value=data if data is not None else ...)])
        try:
            return cls.model_validate(data)
        except ValidationError as e:
            raise ScenarioError(source, _problems(e, data, lines or {})) from None

    def to_dict(self) -> dict[str, Any]:
        """Plain data that :meth:`from_dict` turns back into an equal scenario."""
        return self.model_dump(mode="json", exclude_none=True)

    def to_yaml(self) -> str:
        return dump_yaml(self.to_dict())

    def replace(self, changes: dict[str, Any]) -> Scenario:
        """A validated copy with fields changed, keyed by dotted path.

        A segment may be named by index or by name: ``{"segments.SMB.churn.monthly": 0.02,
        "horizon_months": 60}``.
        """
        data = copy.deepcopy(self.to_dict())
        for path, value in changes.items():
            _set_path(data, path, value)
        return Scenario.from_dict(data, source=f"{self.name} (changed)")

    # -- introspection ----------------------------------------------------------------------------
    def segment(self, name: str) -> Segment:
        for s in self.segments:
            if s.name == name:
                return s
        raise KeyError(f"no segment {name!r}; segments: {', '.join(self.segment_names)}")

    @property
    def segment_names(self) -> list[str]:
        return [s.name for s in self.segments]

    def parameters(self) -> Iterator[tuple[str, Any]]:
        """Every numeric parameter as ``(path, value)``, paths like ``SMB.churn.monthly``."""
        for seg in self.segments:
            yield from _walk(seg, seg.name)

    def uncertain(self) -> dict[str, _Dist]:
        """The parameters given as distributions, by path."""
        return {p: v for p, v in self.parameters() if isinstance(v, _Dist)}


def _walk(model: BaseModel, prefix: str) -> Iterator[tuple[str, Any]]:
    for name in type(model).model_fields:
        value = getattr(model, name)
        path = f"{prefix}.{name}"
        if isinstance(value, _Dist) or (isinstance(value, int | float) and not isinstance(value, bool)):
            yield path, value
        elif isinstance(value, BaseModel) and not isinstance(value, _Dist):
            yield from _walk(value, path)


def _set_path(data: dict, path: str, value: Any) -> None:
    keys = path.split(".")
    node: Any = data
    for i, key in enumerate(keys):
        last = i == len(keys) - 1
        if isinstance(node, list):
            if key.isdigit():
                key = int(key)
            else:
                matches = [j for j, item in enumerate(node) if isinstance(item, dict)
                           and item.get("name") == key]
                if not matches:
                    raise KeyError(f"{path}: no segment named {key!r}")
                key = matches[0]
        if last:
            if isinstance(value, BaseModel):
                value = value.model_dump(mode="json", exclude_none=True)
            if value is None and isinstance(node, dict):
                node.pop(key, None)
            else:
                node[key] = value
        else:
            if isinstance(node, dict) and key not in node:
                node[key] = {}
            node = node[key]


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario YAML file.

    Raises
    ------
    ScenarioError
        The file is missing or unreadable, is not valid YAML, or describes an invalid scenario. The
        message names the file, each field path with its line, the value and what is allowed.
    """
    path = Path(path)
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(source, [Problem("", "no such file")]) from None
    except IsADirectoryError:
        raise ScenarioError(source, [Problem("", "this is a folder, not a scenario file")]) from None
    except UnicodeDecodeError as e:
        raise ScenarioError(source, [Problem("", f"the file is not UTF-8 text ({e.reason})")]) from None
    except OSError as e:
        raise ScenarioError(source, [Problem("", f"cannot read the file: {e.strerror}")]) from None
    data, lines, problems = parse_yaml(text)
    if problems:
        raise ScenarioError(source, problems)
    return Scenario.from_dict(data, source=source, lines=lines)


# -- turning pydantic's errors into problems a person can act on ----------------------------------------

def _problems(error: ValidationError, data: Any, lines: LineMap) -> list[Problem]:
    out = []
    seen = set()
    for err in error.errors(include_url=False):
        data_path, shown = _resolve(err["loc"], data)
        kind = err["type"]
        value = err.get("input", ...)
        msg = err["msg"].removeprefix("Value error, ")
        if kind == "missing":
            value, msg = ..., "this field is required"
        elif kind == "extra_forbidden":
            allowed = _allowed_fields(err["loc"])
            msg = "unknown field" + (f"; allowed here: {', '.join(allowed)}" if allowed else "")
            value = ...
        elif kind in ("model_type", "dict_type") and not isinstance(value, dict):
            msg = "expected a mapping of fields here"
        elif kind.startswith("union_tag") or kind == "literal_error":
            msg = msg.replace("Input tag", "kind").replace("found using 'kind' ", "")
        msg += hint_for(value if value is not ... else None)
        line = _line(data_path, lines)
        key = (shown, msg)
        if key in seen:
            continue
        seen.add(key)
        out.append(Problem(shown, msg, value, line))
    return out


def _resolve(loc: tuple, data: Any) -> tuple[tuple, str]:
    """Split pydantic's loc into the data path and a display path, dropping union tags."""
    node: Any = data
    real: list = []
    for i, part in enumerate(loc):
        last = i == len(loc) - 1
        if isinstance(node, dict) and part in node:
            real.append(part)
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            real.append(part)
            node = node[part]
        elif isinstance(part, str) and last and part not in _TAGS and "[" not in part \
                and not _is_kind(part):
            real.append(part)  # a missing field
            node = None
        else:
            continue  # a union tag or a model name that pydantic puts in loc
    shown = ""
    for part in real:
        shown += f"[{part}]" if isinstance(part, int) else (f".{part}" if shown else str(part))
    return tuple(real), shown


def _is_kind(part: str) -> bool:
    return part in {"normal", "lognormal", "beta", "triangular", "pert", "uniform", "interval90"}


def _line(path: tuple, lines: LineMap) -> int | None:
    for n in range(len(path), -1, -1):
        if path[:n] in lines:
            return lines[path[:n]]
    return None


def _allowed_fields(loc: tuple) -> list[str]:
    """Names allowed at the parent of ``loc`` (the unknown key), following the model's annotations."""
    models: list[type[BaseModel]] = [Scenario]
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        nxt: list[type[BaseModel]] = []
        for m in models:
            if isinstance(part, str) and part in m.model_fields:
                nxt += _models_in(m.model_fields[part].annotation)
            elif _is_kind(part):
                nxt += [c for c in _models_in(m) if c.model_fields.get("kind")]
        models = [m for m in nxt if not (_is_kind(part) and getattr(m.model_fields.get("kind"), "annotation",
                                                                        None) != Literal[part])] or nxt
        if not models:
            return []
    if len(models) != 1:
        kinds = [m for m in models if "kind" in m.model_fields]
        return [] if len(kinds) != len(models) else ["kind", "..."]
    return list(models[0].model_fields)


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    out = []
    for arg in typing.get_args(annotation):
        out += _models_in(arg)
    return out
