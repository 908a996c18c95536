"""Customer health: usage states with their churn, expansion and contraction, a monthly transition matrix,
and the CS response that moves named transitions with coverage (docs/MODEL.md, "Customer health and the
CS response").

A segment's ``health:`` splits its customers into 2 to 5 named states (the usual three: healthy, at risk,
dormant). A customer in state ``s`` churns with hazard ``min(1, r_s h(tau))``, ``h`` the segment's own
tenure hazard, and expands and contracts at the segment's rates times the state's multipliers. The
customers who stayed move between states with ``P[i][j]``; new customers join split by the ``new`` shares.

CS coverage ``h_t`` (hours a month per account, from the segment's ``cs:`` block) moves the transitions a
``response`` names along

.. math:: p(h) = \\text{max} - (\\text{max} - \\text{none})\\, 2^{-h / \\text{half\\_effect\\_hours}},

and the entries given for the rest of that row are weights scaled to ``1 - p(h)``.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import ConfigDict, Field, StringConstraints, model_validator

from .distributions import _Dist
from .fields import Param, Rate, _Model

__all__ = [
    "HOURS_PER_CSM",
    "MAX_STATES",
    "Health",
    "HealthState",
    "Hire",
    "Response",
    "StateName",
    "response_probability",
]

#: Most usage states a segment may have.
MAX_STATES = 5
#: Customer-facing hours a CSM has a month where the scenario does not say.
HOURS_PER_CSM = 120.0
#: How far a row of fixed probabilities (or fixed shares) may stray from summing to 1.
SUM_TOLERANCE = 1e-9

#: A state's name: shown to people and used in field paths (``health.transitions.dormant.at_risk``) and
#: per-state metrics (``customers@dormant``), so no dots, ``@``, brackets or control characters.
StateName = Annotated[
    str,
    StringConstraints(min_length=1, max_length=30, pattern=r"^[^.@\[\]\x00-\x1f\x7f]+$"),
]


class HealthState(_Model):
    """One usage state: its share of today's (``start``) and of new (``new``) customers, and how its
    customers churn, expand and contract relative to the segment's own rates."""

    name: StateName
    start: Rate
    new: Rate
    churn_multiplier: Param(ge=0, le=1000)
    expansion_multiplier: Param(ge=0, le=1000) = 1.0
    contraction_multiplier: Param(ge=0, le=1000) = 1.0


Row = dict[StateName, Rate]


class Health(_Model):
    """A segment's usage states (``states``) and the monthly moves between them (``transitions``).

    ``transitions[i][j]`` is the probability that a customer in state ``i`` who stayed this month is in
    state ``j`` next month; entries not given are 0. Each row of numbers sums to 1 (within
    :data:`SUM_TOLERANCE`); a row with uncertain entries is renormalised per path. A row that a CS
    ``response`` moves holds the weights of the rest of the row instead (checked by the segment).
    """

    states: list[HealthState] = Field(min_length=2, max_length=MAX_STATES)
    transitions: dict[StateName, Row]

    @model_validator(mode="after")
    def _consistent(self):
        names = [s.name for s in self.states]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"state names must be unique; repeated: {', '.join(dupes)}")
        for key in ("start", "new"):
            total = _fixed_sum([getattr(s, key) for s in self.states])
            if total is not None:
                raise ValueError(f"the {key} shares of the states must sum to 1, got {total:.12g}")
        for i, row in self.transitions.items():
            unknown = [n for n in (i, *row) if n not in names]
            if unknown:
                raise ValueError(
                    f"transitions name unknown states: {', '.join(dict.fromkeys(unknown))}; "
                    f"states: {', '.join(names)}"
                )
        missing = [n for n in names if n not in self.transitions]
        if missing:
            raise ValueError(
                f"transitions need a row for every state; missing: {', '.join(missing)}"
            )
        return self

    @property
    def names(self) -> list[str]:
        return [s.name for s in self.states]

    def at_risk_states(self) -> list[str]:
        """The states whose customers are "at risk": all but the healthiest, the lowest churn
        multiplier (at its median). With healthy, at risk and dormant: at risk and dormant."""
        risk = [_median(s.churn_multiplier) for s in self.states]
        low = min(risk)
        return [s.name for s, r in zip(self.states, risk, strict=True) if r > low]

    def check_rows(self, responses: list[Response]) -> None:
        """Check each row against the CS ``responses``: a row without one sums to 1; a row with one
        gives the rest of the row as weights, and no entry both ways.

        Raises ``ValueError`` naming the row.
        """
        moved: dict[str, list[Response]] = {}
        for r in responses:
            moved.setdefault(r.from_, []).append(r)
        for i, row in self.transitions.items():
            if i not in moved:
                total = _fixed_sum(list(row.values()))
                if total is not None:
                    raise ValueError(f"the transitions from {i} must sum to 1, got {total:.12g}")
                continue
            both = [r.to for r in moved[i] if r.to in row]
            if both:
                raise ValueError(
                    f"the transition from {i} to {both[0]} is given both in transitions and as a CS "
                    "response; give it in one place (the response computes it from coverage)"
                )
            if not row or not any(_hi(v) > 0 for v in row.values()):
                raise ValueError(
                    f"the transitions from {i} must give the rest of the row as weights (at least one "
                    "entry above 0): the CS response sets only its own entry"
                )
            top = sum(max(_hi(r.none), _hi(r.max)) for r in moved[i])
            if top > 1 + SUM_TOLERANCE:
                raise ValueError(
                    f"the CS responses from {i} could add up to {top:g}, more than 1: lower their none "
                    "or max"
                )


class Hire(_Model):
    """CSMs added to a fixed headcount from a month on (``csms`` more from month ``month``)."""

    month: int = Field(ge=1, le=240, strict=True)
    csms: Param(ge=0, le=100_000)


class Response(_Model):
    """A transition that CS work moves: ``p(h) = max - (max - none) 2^(-h / half_effect_hours)``,
    ``none`` with no CS at all, ``max`` with unlimited CS, half the lift at ``half_effect_hours``."""

    from_: StateName = Field(alias="from")
    to: StateName
    none: Rate
    max: Rate
    half_effect_hours: Param(gt=0, le=10_000)

    model_config = ConfigDict(
        frozen=True, extra="forbid", populate_by_name=True, serialize_by_alias=True
    )

    @model_validator(mode="after")
    def _distinct(self):
        if self.from_ == self.to:
            raise ValueError(
                f"a CS response moves customers from one state to another, not from {self.from_} "
                "to itself"
            )
        return self


def response_probability(h, none, top, half):
    """``p(h) = max - (max - none) 2^(-h / half)``: the probability of a transition at coverage ``h``.

    ``h`` may be infinite (CS without customers to spread over): ``p = max``.
    """
    import numpy as np

    h = np.asarray(h, dtype=float)
    with np.errstate(over="ignore", invalid="ignore"):
        decay = np.exp2(-np.divide(h, half))
    return top - (top - none) * np.where(np.isfinite(h), decay, 0.0)


def _median(value: Any) -> float:
    return float(value.median()) if isinstance(value, _Dist) else float(value)


def _hi(value: Any) -> float:
    """A value's largest plausible size (the 99.99% quantile of a distribution)."""
    return float(value.ppf(0.9999)) if isinstance(value, _Dist) else float(value)


def _fixed_sum(values: list) -> float | None:
    """The sum of fixed shares or probabilities when it is not 1 (within :data:`SUM_TOLERANCE`), else
    None; with any uncertain one they are renormalised per path, so there is nothing to check."""
    if any(isinstance(v, _Dist) for v in values):
        return None
    total = float(sum(values))
    return total if abs(total - 1.0) > SUM_TOLERANCE else None
