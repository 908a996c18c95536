"""Break-even figures and goal seeking: how low must churn be, how much expansion does NRR need.

* :func:`breakeven_churn`: the churn at which the customer base stays flat for the scenario's growth.
  Closed form where MODEL.md has one (``rate`` acquisition, constant monthly churn, no onboarding):
  ``E[C_t] = N_0 (1 + m - c)^t`` is flat when ``c* = m = (1 + g)^(1/12) - 1`` (1.531% a month for 20% a
  year). Otherwise a root of ``E[customers at H] = customers at 0`` with :func:`scipy.optimize.brentq` on
  :func:`cssim.expected`.
* :func:`breakeven_expansion`: the monthly expansion rate that NRR >= 100% needs. Closed form from
  ``((1 - c)(1 + e - d))^12 = 1``: ``e* = 1 / (1 - c) - 1 + d``; otherwise NRR at the horizon = 1 by brentq.
* :func:`goal_seek`: the value of a field that reaches a probability, e.g. the highest churn with
  P(ARR grows) >= 80%, by bisection on common random numbers (a fixed seed makes the probability a
  deterministic, monotone step function of the field).

Break-even figures are for the central case: uncertain inputs at their medians (:func:`goal_seek` is the
tool for the uncertainty). Where the answer is a churn level, "churn" means the segment's own churn
parameter: monthly churn (onboarding churn kept as it is), sBG first-month churn ``alpha / (alpha + beta)``
(moved through ``beta``), or annual renewal churn.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import brentq

from ..model.edits import PathError, format_path, parse_path
from ..model.engine import simulate
from ..model.errors import Problem
from ..model.randomness import resolve_seed
from ..model.scenario import Scenario, Segment
from .lever_rules import LEVERS, apply_lever, change_value, one_segment
from .sensitivity import _expected, _field, fix_inputs

__all__ = [
    "GOALS",
    "BreakEven",
    "GoalSeek",
    "average_churn",
    "breakeven_churn",
    "breakeven_expansion",
    "breakeven_table",
    "goal_seek",
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
        s = one_segment(s, s.to_dict()["segments"][s.segment_names.index(s.segment(segment).name)])
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
        c = float(seg.churn.monthly)
        e = 1.0 / (1.0 - c) - 1.0 + d if c < 1 else math.nan
        return BreakEven(
            e, current, "expansion.rate", "closed form: e* = 1/(1 - c) - 1 + d", seg.name
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


# -- goal seeking on common random numbers -----------------------------------------------------------------


def _arr_target(r, t):
    target = r.scenario.target_arr
    if target is None:
        raise ValueError("metric 'arr_target' needs the scenario's target_arr")
    return r["arr"][:, t] >= target


#: Events whose probability :func:`goal_seek` can target: ``name -> fn(result, month) -> bool per path``.
GOALS: dict[str, Callable] = {
    "arr_grows": lambda r, t: r["arr"][:, t] > r["arr"][:, 0],
    "arr_target": _arr_target,
    "customers_grow": lambda r, t: r["customers"][:, t] > r["customers"][:, 0],
    "nrr_at_least_100": lambda r, t: r["nrr"][:, t] >= 1.0,
}


@dataclass
class GoalSeek:
    """What :func:`goal_seek` found: ``value`` reaches ``probability`` (>= target), with its standard error.

    ``evaluations`` lists every value tried with its probability; ``limit`` is the nearest value tried on
    the other side (where the probability falls short), so the answer lies between them.
    """

    field: str
    target: float
    goal: str
    value: float
    probability: float
    se: float
    limit: float
    paths: int
    seed: int
    evaluations: pd.DataFrame
    note: str = ""

    def __float__(self) -> float:
        return float(self.value)

    def __repr__(self) -> str:
        extra = f"; {self.note}" if self.note else ""
        return (
            f"<GoalSeek {self.field} = {self.value:.6g}: P({self.goal}) = {self.probability:.1%} "
            f"(se {self.se:.1%}; target {self.target:.0%}; {self.paths:,} paths, seed {self.seed}){extra}>"
        )

    def _repr_html_(self) -> str:
        return self.to_html()

    def text(self, lang: str | None = None) -> str:
        """The answer in a sentence, in ``lang``: ``月次解約率 ≤ 1.67%: ARRが増える確率 80.0% ...``."""
        from ..words import formatting as fm
        from ..words.i18n import N_, Translator
        from ..words.labels import LEVER_LABELS, format_parameter, parameter_label

        _ = Translator(lang or "en")
        goals = {
            "arr_grows": N_("ARR grows"),
            "arr_target": N_("ARR reaches the target"),
            "customers_grow": N_("the customer base grows"),
            "nrr_at_least_100": N_("NRR is at least 100%"),
        }
        if self.field in LEVER_LABELS:
            name, shown = self.field, fm.number(self.value, lang, 4)
        else:
            name = parameter_label(self.field, lang=lang, with_segment=False)
            shown = format_parameter(self.field, self.value, lang=lang)
        text = _(
            "{parameter} = {value}: chance {goal} {probability} (standard error {se}; target "
            "{target}; {paths} paths, seed {seed})",
            parameter=name,
            value=shown,
            goal=_(goals[self.goal]) if self.goal in goals else self.goal,
            probability=fm.percent(self.probability, lang, 1),
            se=fm.percent(self.se, lang, 1),
            target=fm.percent(self.target, lang, 0),
            paths=fm.count(self.paths, lang),
            seed=self.seed,
        )
        return f"{text}; {_(self.note)}" if self.note else text

    def to_html(self, lang: str | None = None) -> str:
        """:meth:`text` as an HTML paragraph (what a notebook shows)."""
        return f"<p>{html.escape(self.text(lang))}</p>"


def _setter(scenario: Scenario, name: str) -> tuple[Callable[[float], Scenario], float]:
    """A function value -> scenario for a field path or lever name, and the field's current value."""
    if name in LEVERS:
        return (lambda v: apply_lever(scenario, name, v)), 0.0
    data = scenario.to_dict()
    if name.startswith("segments"):
        paths = [parse_path(data, name, scenario.name)]
    elif any(name.startswith(n + ".") for n in scenario.segment_names):
        paths = [_field(scenario, name)]
    else:  # a field of every segment that has it, e.g. "churn.monthly"
        paths = []
        for i, seg in enumerate(scenario.segments):
            try:
                node = seg
                for part in name.split("."):
                    node = getattr(node, part)
            except AttributeError:
                continue
            if node is not None:
                paths.append(("segments", i, *name.split(".")))
        if not paths:
            raise PathError(
                scenario.name,
                [
                    Problem(
                        name, "no segment has this field (e.g. churn.monthly or segments[0].arpa)"
                    )
                ],
            )
    current = None
    olds = []
    for p in paths:
        if len(p) < 3 or p[0] != "segments":
            raise PathError(
                scenario.name, [Problem(format_path(p), "give a numeric field of a segment")]
            )
        node: Any = scenario.segments[p[1]]
        raw: Any = data["segments"][p[1]]
        for part in p[2:]:
            node = getattr(node, part, None) if isinstance(part, str) else None
            raw = raw.get(part) if isinstance(raw, dict) else None
            if node is None or raw is None:
                raise PathError(
                    scenario.name,
                    [Problem(format_path(p), "this segment has no such field, or it is not set")],
                )
        if not (isinstance(node, int | float) and not isinstance(node, bool)) and not hasattr(
            node, "median"
        ):
            raise PathError(
                scenario.name, [Problem(format_path(p), "this is not a number or a distribution")]
            )
        olds.append((p, node, raw))
        if current is None:
            current = node.median() if hasattr(node, "median") else float(node)

    def one(node, raw, v: float):
        if isinstance(node, int) and not isinstance(node, bool):
            return round(v)  # a count such as customers
        return change_value(node, raw, lambda _x: v)

    def setter(v: float) -> Scenario:
        return scenario.replace({p: one(node, raw, v) for p, node, raw in olds})

    return setter, float(current)


def goal_seek(
    scenario: Scenario,
    field: str,
    target_probability: float,
    metric: str = "arr_grows",
    paths: int = 2000,
    seed: int | None = 42,
    bracket: tuple[float, float] | None = None,
    *,
    month: int | None = None,
    tol: float | None = None,
) -> GoalSeek:
    """The value of ``field`` at which P(``metric``) just reaches ``target_probability``.

    Parameters
    ----------
    field : str
        A field path (``segments.SMB.churn.monthly``, ``SMB.churn.monthly``, or ``churn.monthly`` for
        every segment) or a lever name from :data:`cssim.levers.LEVERS` (its size). A field given as a
        distribution keeps its shape: it is scaled so that its median is the value tried.
    metric : str
        An event from :data:`GOALS`, at ``month`` (default: the horizon).
    bracket : (low, high)
        Where to search; default ``(0, 2 x current value)``. The probability must reach the target at one
        end and fall short at the other.
    tol : float
        Stop when the bracket is narrower than this (default: width / 1,000).

    Returns
    -------
    GoalSeek
        ``value`` is the last value tried on the side that reaches the target, so for churn it is the
        highest churn (within ``tol``) with P >= target; ``se = sqrt(p (1 - p) / paths)``.
    """
    if not 0 < target_probability < 1:
        raise ValueError("target_probability must be between 0 and 1")
    if metric not in GOALS:
        raise KeyError(f"unknown goal {metric!r}; goals: {', '.join(GOALS)}")
    seed = resolve_seed(seed)  # once: every value tried must share it
    month = scenario.horizon_months if month is None else month
    setter, current = _setter(scenario, field)
    if bracket is None:
        if not current > 0:
            raise ValueError(f"give a bracket: {field} is {current:g} now")
        bracket = (0.0, 2.0 * current)
    lo, hi = (float(b) for b in bracket)
    tol = (hi - lo) / 1e3 if tol is None else tol
    tried: list[tuple[float, float]] = []

    def prob(v: float) -> float:
        p = float(np.mean(GOALS[metric](simulate(setter(v), paths=paths, seed=seed), month)))
        tried.append((v, p))
        return p

    plo, phi = prob(lo), prob(hi)
    good, bad, note = (lo, hi, "") if plo >= target_probability else (hi, lo, "")
    pgood = max(plo, phi)
    if (plo >= target_probability) == (phi >= target_probability):
        reached = plo >= target_probability
        note = (
            "the whole bracket reaches the target: widen it"
            if reached
            else "no value in the bracket reaches the target"
        )
        good = hi if reached and phi >= plo else lo if reached else math.nan
        bad, pgood = math.nan, (phi if good == hi else plo) if reached else max(plo, phi)
    else:
        while abs(good - bad) > tol:
            mid = 0.5 * (good + bad)
            p = prob(mid)
            if p >= target_probability:
                good, pgood = mid, p
            else:
                bad = mid
    evals = pd.DataFrame(tried, columns=["value", "probability"])
    return GoalSeek(
        field,
        target_probability,
        metric,
        good,
        pgood,
        math.sqrt(pgood * (1 - pgood) / paths),
        bad,
        paths,
        int(seed),
        evals,
        note,
    )
