"""Break-even figures and goal seeking: how low must churn be, how much expansion does NRR need.

* :func:`breakeven_churn`: the churn at which the customer base stays flat for the scenario's growth.
  Closed form where MODEL.md has one (``rate`` acquisition, constant monthly churn, no onboarding):
  ``E[C_t] = N_0 (1 + m - c)^t`` is flat when ``c* = m = (1 + g)^(1/12) - 1`` (1.531% a month for 20% a
  year). Otherwise a root of ``E[customers at H] = customers at 0`` with :func:`scipy.optimize.brentq` on
  :func:`cssim.expected`.
* :func:`breakeven_expansion`: the monthly expansion rate that NRR >= 100% needs. Closed form from
  ``((1 - c)(1 + e - d))^12 = 1``: ``e* = 1 / (1 - c) - 1 + d``; otherwise NRR at the horizon = 1 by brentq.
* :func:`hold_flat`: what it takes to hold the customer base flat, with the retention it means: the
  break-even churn and the GRR at it, the expansion that NRR of 100% needs, and today's GRR and NRR
  (expected values at the horizon, trailing 12 months).
* :func:`churn_error`: expected ARR at the horizon if churn were a few points off in either direction
  (what a plausible error in the key assumption does, beside a band that is simulation noise only).
* :func:`goal_seek` (:mod:`cssim.analysis.goal_seek`): the value of a field that reaches a probability,
  e.g. the highest churn with P(ARR grows) >= 80%, by bisection on common random numbers.

Break-even figures are for the central case: uncertain inputs at their medians (:func:`goal_seek` is the
tool for the uncertainty). Where the answer is a churn level, "churn" means the segment's own churn
parameter: monthly churn (onboarding churn kept as it is), sBG first-month churn ``alpha / (alpha + beta)``
(moved through ``beta``), or annual renewal churn.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.optimize import brentq

from ..model.scenario import Scenario, Segment
from .goal_seek import GOALS, GoalSeek, goal_seek
from .lever_rules import apply_lever, one_segment
from .sensitivity import _expected, fix_inputs

__all__ = [
    "GOALS",
    "BreakEven",
    "ChurnError",
    "GoalSeek",
    "HoldFlat",
    "average_churn",
    "breakeven_churn",
    "breakeven_expansion",
    "breakeven_table",
    "churn_error",
    "goal_seek",
    "hold_flat",
]

_XTOL = 1e-10


@dataclass(frozen=True)
class BreakEven:
    """A break-even level. ``float(b)`` is ``value``.

    Attributes
    ----------
    value : float
        The break-even level of ``parameter`` (NaN when none exists in the allowed range).
    current : float
        Today's level (central case).
    parameter : str
        What ``value`` is a level of, e.g. ``churn.monthly``; for several segments together, a factor on
        every segment's churn (``churn x factor``) or an expansion added to every segment (``+ expansion``).
    method : str
        ``closed form`` or ``numeric (brentq on expected)``.
    segment : str
    note : str
        Anything the reader must know (no root, at a bound).
    levels : dict
        For several segments: each segment's level at the break-even.
    """

    value: float
    current: float
    parameter: str
    method: str
    segment: str
    note: str = ""
    levels: dict = field(default_factory=dict)

    def __float__(self) -> float:
        return float(self.value)

    def __repr__(self) -> str:
        extra = f"; {self.note}" if self.note else ""
        return (
            f"<BreakEven {self.segment}: {self.parameter} {self.value:.4%} (now {self.current:.4%}), "
            f"{self.method}{extra}>"
        )


def _central(scenario: Scenario, segment: str | None) -> Scenario:
    s = fix_inputs(scenario, {p: d.median() for p, d in scenario.uncertain().items()})
    if segment is not None:
        s = one_segment(s, s.segment_names.index(s.segment(segment).name))
    return s


def _churn_level(seg: Segment) -> tuple[str, float]:
    ch = seg.churn
    if ch.monthly is not None:
        return "churn.monthly", float(ch.monthly)
    if ch.heterogeneity is not None:
        a, b = float(ch.heterogeneity.alpha), float(ch.heterogeneity.beta)
        return "churn first month (sBG)", a / (a + b)
    return "churn.annual_renewal", float(ch.annual_renewal)


def _set_churn(s: Scenario, level: float) -> Scenario:
    """One-segment scenario with its churn parameter at ``level``."""
    seg = s.segments[0]
    ch = seg.churn
    if ch.monthly is not None:
        return s.replace({"segments.0.churn.monthly": level})
    if ch.heterogeneity is not None:
        a = float(ch.heterogeneity.alpha)
        return s.replace({"segments.0.churn.heterogeneity.beta": a * (1 - level) / level})
    return s.replace({"segments.0.churn.annual_renewal": level})


def _root(f: Callable[[float], float], lo: float, hi: float, decreasing: bool) -> tuple[float, str]:
    """Root of a monotone ``f`` on [lo, hi], or the bound and a note when there is none inside."""
    flo, fhi = f(lo), f(hi)
    if flo == 0:
        return lo, ""
    if np.sign(flo) == np.sign(fhi):
        ok_everywhere = (flo > 0) if decreasing else (fhi > 0)
        if ok_everywhere:
            return (
                hi if decreasing else lo
            ), "holds at every level in range: the bound is returned"
        return math.nan, "no level in range reaches it"
    return brentq(f, lo, hi, xtol=_XTOL), ""


def _customers_gap(s: Scenario) -> float:
    e = _expected(s)["customers"]
    return float(e.iloc[-1] - e.iloc[0])


def breakeven_churn(scenario: Scenario, segment: str | None = None) -> BreakEven:
    """The churn at which the expected customer base is flat at the horizon (see the module docstring).

    With ``segment=None`` and several segments, every segment's churn is multiplied by one factor (the
    ``churn_rel`` lever's rule) until the total is flat; ``value`` is that factor and ``levels`` each
    segment's churn at it.
    """
    s = _central(scenario, segment)
    if len(s.segments) > 1:
        levels = {seg.name: _churn_level(seg)[1] for seg in s.segments}
        top = max(levels.values())
        hi = 1.0 / top if top > 0 else 1e6
        k, note = _root(
            lambda k: _customers_gap(apply_lever(s, "churn_rel", 1.0 - k)),
            0.0,
            hi * (1 - 1e-9),
            decreasing=True,
        )
        return BreakEven(
            k,
            1.0,
            "churn x factor (every segment)",
            "numeric (brentq on expected)",
            "total",
            note,
            {n: v * k for n, v in levels.items()},
        )
    seg = s.segments[0]
    parameter, current = _churn_level(seg)
    if (
        seg.acquisition.rate is not None
        and seg.churn.monthly is not None
        and seg.churn.onboarding is None
    ):
        m = (1.0 + float(seg.acquisition.rate)) ** (1.0 / 12.0) - 1.0
        ok = 0.0 <= m <= 1.0
        return BreakEven(
            m if ok else math.nan,
            current,
            parameter,
            "closed form: c* = (1 + g)^(1/12) - 1",
            seg.name,
            "" if ok else "acquisition shrinks the base: no churn keeps it flat",
        )
    lo = 1e-9 if seg.churn.heterogeneity is not None else 0.0
    value, note = _root(lambda c: _customers_gap(_set_churn(s, c)), lo, 1.0 - 1e-9, decreasing=True)
    return BreakEven(value, current, parameter, "numeric (brentq on expected)", seg.name, note)


def _nrr(s: Scenario) -> float:
    return float(_expected(s)["nrr"].iloc[s.horizon_months])


def _set_expansion(s: Scenario, e: float) -> Scenario:
    seg = s.segments[0]
    prob = float(seg.expansion.probability) if seg.expansion is not None else 0.1
    return s.replace({"segments.0.expansion": {"rate": e, "probability": prob}})


def breakeven_expansion(scenario: Scenario, segment: str | None = None) -> BreakEven:
    """The monthly expansion rate at which NRR (trailing 12 months, at the horizon) is 100%.

    Closed form ``e* = 1 / (1 - c) - 1 + d`` for constant monthly churn without onboarding (``d`` the
    expected contraction rate); numeric (brentq on :func:`cssim.expected`) otherwise. With
    ``segment=None`` and several segments, ``value`` is the expansion to *add* to every segment (the
    ``expansion_pt`` lever's rule) for total NRR = 100%.
    """
    s = _central(scenario, segment)
    if s.horizon_months < 12:
        raise ValueError("NRR needs a horizon of at least 12 months")
    if len(s.segments) > 1:
        rates = {
            seg.name: float(seg.expansion.rate) if seg.expansion else 0.0 for seg in s.segments
        }

        lo = -min(rates.values())
        delta, note = _root(
            lambda x: _nrr(_add_expansion(s, x, rates)) - 1.0,
            lo,
            1.0 - max(rates.values()),
            decreasing=False,
        )
        return BreakEven(
            delta,
            0.0,
            "+ expansion (every segment, per month)",
            "numeric (brentq on expected)",
            "total",
            note,
            {n: v + delta for n, v in rates.items()} if math.isfinite(delta) else {},
        )
    seg = s.segments[0]
    current = float(seg.expansion.rate) if seg.expansion is not None else 0.0
    con = seg.contraction
    d = min(float(con.rate), float(con.probability)) if con is not None else 0.0
    if seg.churn.monthly is not None and seg.churn.onboarding is None:
        c, rho = float(seg.churn.monthly), float(seg.churn.leaver_mrr)
        # a month keeps (1 - c)^rho of the MRR (leaver_mrr), and (1 + e - d) of what stays
        e = (1.0 - c) ** -rho - 1.0 + d if c < 1 else math.nan
        form = "1/(1 - c)" if rho == 1.0 else "(1 - c)^-rho"
        return BreakEven(
            e, current, "expansion.rate", f"closed form: e* = {form} - 1 + d", seg.name
        )
    value, note = _root(lambda e: _nrr(_set_expansion(s, e)) - 1.0, 0.0, 1.0, decreasing=False)
    return BreakEven(
        value, current, "expansion.rate", "numeric (brentq on expected)", seg.name, note
    )


def _add_expansion(s: Scenario, x: float, rates: dict) -> Scenario:
    """Every segment's expansion rate plus ``x`` (never below 0)."""
    changes = {}
    for i, seg in enumerate(s.segments):
        prob = float(seg.expansion.probability) if seg.expansion is not None else 0.1
        changes[("segments", i, "expansion")] = {
            "rate": min(max(rates[seg.name] + x, 0.0), 1.0),
            "probability": prob,
        }
    return s.replace(changes)


def average_churn(scenario: Scenario) -> float:
    """Expected logo churn averaged over months 1..H: churned customers / customers at risk.

    The same ratio of sums as the trailing-average churn CS teams report, over the whole horizon; it
    puts monthly, sBG and annual-renewal churn on one scale.
    """
    e = _expected(scenario)
    at_risk = e["customers"].to_numpy()[:-1].sum()
    return float(e["churned_customers"].to_numpy()[1:].sum() / at_risk) if at_risk > 0 else math.nan


def _at_breakeven(scenario: Scenario, segment: str | None, b: BreakEven) -> Scenario | None:
    if not math.isfinite(b.value):
        return None
    s = _central(scenario, segment)
    if len(s.segments) > 1:
        return apply_lever(s, "churn_rel", 1.0 - b.value)
    return _set_churn(s, b.value)


def breakeven_table(scenario: Scenario) -> pd.DataFrame:
    """Break-even churn and expansion for each segment (and the total with several), as a table.

    Besides each churn parameter (monthly, sBG first-month or annual renewal) now and at break-even,
    ``avg_monthly_churn_now`` / ``avg_monthly_churn_breakeven`` give the expected logo churn averaged
    over the horizon (:func:`average_churn`), comparable across churn types: the KPI to stay under.
    """
    segs = scenario.segment_names if len(scenario.segments) > 1 else [None]
    if len(scenario.segments) > 1:
        segs = [*segs, None]
    rows = []
    for seg in segs:
        c = breakeven_churn(scenario, seg)
        row = {
            "segment": c.segment,
            "churn_parameter": c.parameter,
            "churn_now": c.current,
            "churn_breakeven": c.value,
            "avg_monthly_churn_now": average_churn(_central(scenario, seg)),
            "avg_monthly_churn_breakeven": (
                average_churn(at)
                if (at := _at_breakeven(scenario, seg, c)) is not None
                else math.nan
            ),
            "churn_method": c.method,
            "churn_note": c.note,
        }
        if scenario.horizon_months >= 12:
            e = breakeven_expansion(scenario, seg)
            row.update(
                expansion_parameter=e.parameter,
                expansion_now=e.current,
                expansion_breakeven=e.value,
                expansion_method=e.method,
                expansion_note=e.note,
            )
        rows.append(row)
    return pd.DataFrame(rows)


def _at_horizon(s: Scenario, metric: str) -> float:
    return float(_expected(s)[metric].iloc[s.horizon_months])


@dataclass(frozen=True)
class HoldFlat:
    """What holding the customer base flat takes, and the retention it means (central case, expected
    values at the horizon; NRR and GRR over the trailing 12 months, NaN before month 12).

    Attributes
    ----------
    churn_now, churn : float
        Expected logo churn averaged over the horizon (:func:`average_churn`) today and at the
        break-even churn (:func:`breakeven_churn`): NaN when no churn holds the base flat.
    grr_now, grr : float
        GRR today and at the break-even churn.
    nrr_now : float
        NRR today.
    expansion_now, expansion : float
        Monthly expansion today and the expansion NRR of 100% needs (:func:`breakeven_expansion`):
        for several segments, the expansion added to every segment.
    shrinking : bool
        The base shrinks today (break-even churn below today's).
    """

    churn_now: float
    churn: float
    grr_now: float
    grr: float
    nrr_now: float
    expansion_now: float
    expansion: float
    shrinking: bool


def hold_flat(scenario: Scenario) -> HoldFlat:
    """The churn that holds the whole customer base flat with the GRR it means, and the expansion for
    NRR of 100%, beside today's levels.

    GRR at the break-even churn is the expected GRR at the horizon of the scenario with its churn at
    the break-even level (every segment's churn times one factor with several segments): for constant
    monthly churn ``c*`` without contraction, ``(1 - c*)^12``.
    """
    s = _central(scenario, None)
    c = breakeven_churn(scenario)
    at = _at_breakeven(scenario, None, c)
    has_year = s.horizon_months >= 12
    grr_now = _at_horizon(s, "grr") if has_year else math.nan
    nrr_now = _at_horizon(s, "nrr") if has_year else math.nan
    if has_year:
        e = breakeven_expansion(scenario)
        if len(s.segments) > 1:
            expansion_now = math.nan
            expansion = e.value
        else:
            expansion_now, expansion = e.current, e.value
    else:
        expansion_now = expansion = math.nan
    now = average_churn(s)
    flat = average_churn(at) if at is not None else math.nan
    return HoldFlat(
        churn_now=now,
        churn=flat,
        grr_now=grr_now,
        grr=_at_horizon(at, "grr") if at is not None and has_year else math.nan,
        nrr_now=nrr_now,
        expansion_now=expansion_now,
        expansion=expansion,
        shrinking=bool(math.isfinite(flat) and flat < now - 1e-12) or at is None,
    )


@dataclass(frozen=True)
class ChurnError:
    """Expected ARR at the horizon with every segment's churn ``points`` lower and higher than the
    scenario says (the ``churn_pt`` lever's rule; uncertain inputs at their medians).

    Attributes
    ----------
    points : float
        The error in churn, in points of monthly churn (0.005 = 0.5 points).
    churn_now, churn_low, churn_high : float
        Average monthly churn over the horizon (:func:`average_churn`) as given, lower and higher.
    arr, arr_low, arr_high : float
        Expected ARR at the horizon as given, with churn lower, with churn higher.
    """

    points: float
    churn_now: float
    churn_low: float
    churn_high: float
    arr: float
    arr_low: float
    arr_high: float


def churn_error(scenario: Scenario, points: float = 0.005) -> ChurnError:
    """What an error of ``points`` in the churn assumption does to expected ARR at the horizon.

    ``arr_low`` is ARR with churn ``points`` lower (``c - points``), ``arr_high`` with it higher
    (``c + points``), each by :func:`cssim.expected` on the central case.
    """
    s = _central(scenario, None)
    low = apply_lever(s, "churn_pt", points)
    high = apply_lever(s, "churn_pt", -points)
    return ChurnError(
        points=points,
        churn_now=average_churn(s),
        churn_low=average_churn(low),
        churn_high=average_churn(high),
        arr=_at_horizon(s, "arr"),
        arr_low=_at_horizon(low, "arr"),
        arr_high=_at_horizon(high, "arr"),
    )
