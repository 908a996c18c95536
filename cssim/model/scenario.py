"""Scenarios: frozen, validated descriptions of a subscription business (see docs/MODEL.md).

A scenario is written in YAML and loaded with :func:`load_scenario`, or built from a dict with
:meth:`Scenario.from_dict`. Every numeric parameter may be a number or a distribution (see
:mod:`cssim.model.distributions`); bad input raises :class:`cssim.ScenarioError` naming the file, the
field path, the line, the value and what is allowed (:mod:`cssim.model.explain`). A scenario holds
one or more :class:`~cssim.model.segment.Segment`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, PrivateAttr, ValidationError, field_validator

from . import explain
from .correlation import Correlation, correlation_problems
from .distributions import _Dist
from .errors import Problem, ScenarioError
from .fields import Name, Text, _Model, walk
from .limits import MAX_AMOUNT, MIN_LEVER_COST, capacity_problems
from .segment import Segment
from .yamlio import MAX_FILE_BYTES, LineMap, _too_large, dump_yaml, parse_yaml

__all__ = ["EqualEffortLever", "Scenario", "Segment", "load_scenario"]


#: The levers a report compares at equal effort, by name (``cssim.analysis.levers.EQUAL_EFFORT``:
#: churn -1 point a month, expansion +1 point a month, price +5%, new customers +10%).
EqualEffortLever = Literal[
    "churn_pt", "expansion_pt", "price_rel", "acquisition_rel", "new_healthy_pt", "csms_add"
]
#: A lever's monthly cost in the scenario's currency, from :data:`MIN_LEVER_COST` to :data:`MAX_AMOUNT`.
LeverCost = Annotated[
    float, Field(ge=MIN_LEVER_COST, le=MAX_AMOUNT, allow_inf_nan=False, strict=True)
]


class Scenario(_Model):
    """A scenario: what the business looks like now and how it behaves, with its uncertainty.

    Build one with :func:`load_scenario` (YAML) or :meth:`Scenario.from_dict`.
    """

    name: Annotated[Name, Field(min_length=1, max_length=120)]
    description: Annotated[Text, Field(max_length=5000)] = ""
    horizon_months: int = Field(36, ge=1, le=240, strict=True)
    currency: str = Field("JPY", pattern=r"^[A-Z]{3}$")
    target_arr: float | None = Field(None, gt=0, le=MAX_AMOUNT, strict=True)
    #: Annual rate for the model-consistent LTV (cssim.model.ltv); None means its 10% default.
    discount_rate: float | None = Field(None, ge=0, le=1)
    #: Months of a new customer's life the model-consistent LTV counts; None counts the whole life (a
    #: sum that has no limit where expected expansion outgrows churn and the discount).
    ltv_horizon_months: int | None = Field(None, ge=1, le=1200, strict=True)
    #: The language of what people read about this scenario (reports, pages); ``--lang`` wins.
    language: Literal["en", "ja"] | None = None
    segments: list[Segment] = Field(min_length=1, max_length=20)
    #: What each equal-effort lever would cost a month (in ``currency``), to rank them at equal cost
    #: as well; optional, any of :data:`EqualEffortLever`.
    lever_costs: dict[EqualEffortLever, LeverCost] | None = Field(None, min_length=1)
    #: How the uncertain parameters are drawn: ``random`` (None), ``lhs`` or ``sobol``
    #: (:mod:`cssim.model.design`); ``--sampling`` and ``simulate(sampling=)`` win.
    sampling: Literal["random", "lhs", "sobol"] | None = None
    #: Spearman rank correlations between uncertain parameters (:mod:`cssim.model.correlation`).
    correlations: list[Correlation] | None = Field(None, max_length=400)
    #: Use the closest consistent matrix when the correlations are not (the report says so).
    correlations_repair: bool | None = Field(None, strict=True)
    #: Stream keys set by :meth:`with_stream_keys` (not part of the scenario's data).
    _stream_keys: tuple[str, ...] | None = PrivateAttr(None)

    @field_validator("segments")
    @classmethod
    def _unique(cls, segments):
        names = [s.name for s in segments]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"segment names must be unique; repeated: {', '.join(dupes)}")
        ids = [s.id for s in segments if s.id is not None]
        dupes = sorted({n for n in ids if ids.count(n) > 1})
        if dupes:
            raise ValueError(f"segment ids must be unique; repeated: {', '.join(dupes)}")
        return segments

    # -- construction -----------------------------------------------------------------------------
    @classmethod
    def from_dict(cls, data: Any, source: str = "<dict>", lines: LineMap | None = None) -> Scenario:
        """Validate plain data; raise :class:`ScenarioError` listing every problem."""
        if not isinstance(data, dict):
            raise ScenarioError(
                source,
                [
                    Problem(
                        "",
                        "a scenario is a YAML mapping with name, horizon_months and segments",
                        value=data if data is not None else ...,
                    )
                ],
            )
        try:
            scenario = cls.model_validate(data)
        except ValidationError as e:
            raise ScenarioError(source, explain.problems(e, data, lines or {}, cls)) from None
        found = capacity_problems(scenario) + correlation_problems(scenario)
        if found:
            problems = [
                Problem(
                    p.path,
                    p.message,
                    p.value,
                    explain.line(explain.line_path(path, data), lines or {}),
                )
                for path, p in found
            ]
            raise ScenarioError(source, problems)
        return scenario

    def to_dict(self) -> dict[str, Any]:
        """Plain data that :meth:`from_dict` turns back into an equal scenario."""
        return self.model_dump(mode="json", exclude_none=True)

    def to_yaml(self) -> str:
        return dump_yaml(self.to_dict())

    def replace(self, changes: dict[Any, Any]) -> Scenario:
        """A validated copy with fields changed, keyed by field path (see :mod:`cssim.model.edits`).

        ``{"segments[0].churn.monthly": 0.02, "horizon_months": 60}``; a segment may be named by index or
        by name, any name: ``{'segments["Tier 1.5"].churn.monthly': 0.02}`` or
        ``{"segments.SMB.churn.monthly": 0.02}``.
        """
        from .edits import replace  # local: edits builds scenarios with this module

        return replace(self, changes)

    # -- introspection ----------------------------------------------------------------------------
    def segment(self, name: str) -> Segment:
        for s in self.segments:
            if s.name == name:
                return s
        raise KeyError(f"no segment {name!r}; segments: {', '.join(self.segment_names)}")

    @property
    def segment_names(self) -> list[str]:
        return [s.name for s in self.segments]

    def stream_keys(self) -> list[str]:
        """What keys each segment's random streams: its ``id`` where it has one, else its position.

        Never its name, so renaming or translating a segment (``All customers`` / ``全顧客``) keeps
        its random numbers; reordering segments changes them unless every segment has an ``id``
        (docs/MODEL.md, "Randomness").
        """
        if self._stream_keys is not None:
            return list(self._stream_keys)
        return [f"id:{s.id}" if s.id is not None else f"#{i}" for i, s in enumerate(self.segments)]

    def with_stream_keys(self, keys: list[str]) -> Scenario:
        """This scenario drawing its segments' numbers from the streams ``keys`` name (one per segment).

        For a part of a scenario simulated on its own: a segment taken out of a scenario with
        :meth:`stream_keys` of the whole keeps the random numbers it has there (common random numbers).
        """
        if len(keys) != len(self.segments):
            raise ValueError(
                f"give one stream key per segment ({len(self.segments)}), got {len(keys)}"
            )
        out = self.model_copy()
        out._stream_keys = tuple(str(k) for k in keys)
        return out

    def parameters(self) -> Iterator[tuple[str, Any]]:
        """Every numeric parameter as ``(path, value)``, paths like ``SMB.churn.monthly``."""
        for seg in self.segments:
            yield from walk(seg, seg.name)

    def uncertain(self) -> dict[str, _Dist]:
        """The uncertain parameters by path: those given as distributions, and those a segment's ``joint``
        draws together, each with its marginal (:class:`JointMarginal`)."""
        out: dict[str, _Dist] = {}
        for seg in self.segments:  # by segment: a name may hold dots
            joint = set(seg.joint.parameters) if seg.joint is not None else set()
            for path, value in walk(seg, seg.name):
                name = path[len(seg.name) + 1 :]
                if name in joint:
                    out[path] = seg.joint.marginal(name, float(value))
                elif isinstance(value, _Dist):
                    out[path] = value
        return out


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
        with path.open("rb") as f:  # at most one byte past the limit: a huge file is refused unread
            raw = f.read(MAX_FILE_BYTES + 1)
        if len(raw) > MAX_FILE_BYTES:
            size = path.stat().st_size if path.is_file() else len(raw)
            raise ScenarioError(source, [_too_large(max(size, len(raw)))])
        text = raw.decode("utf-8")
    except FileNotFoundError:
        raise ScenarioError(source, [Problem("", "no such file")]) from None
    except IsADirectoryError:
        raise ScenarioError(
            source, [Problem("", "this is a folder, not a scenario file")]
        ) from None
    except UnicodeDecodeError as e:
        raise ScenarioError(
            source, [Problem("", f"the file is not UTF-8 text ({e.reason})")]
        ) from None
    except OSError as e:
        raise ScenarioError(source, [Problem("", f"cannot read the file: {e.strerror}")]) from None
    data, lines, problems = parse_yaml(text)
    if problems:
        raise ScenarioError(source, problems)
    return Scenario.from_dict(data, source=source, lines=lines)
