"""Goal seeking on common random numbers: the value of a field that reaches a probability.

:func:`goal_seek` finds, for example, the highest churn with P(ARR grows) >= 80%, by bisection on common
random numbers: a fixed seed makes the probability a deterministic, monotone step function of the field.
The field is a scenario path or a lever's size (:data:`cssim.analysis.lever_rules.LEVERS`); a field given
as a distribution keeps its shape, scaled so that its median is the value tried.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..model.arrays import binomial_se
from ..model.edits import PathError, format_path, parse_path
from ..model.engine import simulate
from ..model.errors import Problem
from ..model.randomness import resolve_seed
from ..model.scenario import Scenario
from .lever_rules import LEVERS, apply_lever, change_value
from .sensitivity import _field

__all__ = ["GOALS", "GoalSeek", "goal_seek"]


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
        """The answer in a sentence, in ``lang``: ``月次解約率 = 1.67%: ARRが増える確率 80.0% ...``.

        A field is named by :func:`cssim.words.labels.parameter_label` with its value; a lever by
        :func:`cssim.words.labels.lever_label` at the size found.
        """
        from ..words import formatting as fm
        from ..words.i18n import N_, Translator
        from ..words.labels import format_parameter, lever_label, parameter_label

        _ = Translator(lang or "en")
        goals = {
            "arr_grows": N_("ARR grows"),
            "arr_target": N_("ARR reaches the target"),
            "customers_grow": N_("the customer base grows"),
            "nrr_at_least_100": N_("NRR is at least 100%"),
        }
        if self.field in LEVERS:
            answer = lever_label(self.field, self.value, LEVERS[self.field].unit, lang)
        else:
            answer = _(
                "{parameter} = {value}",
                parameter=parameter_label(self.field, lang=lang, with_segment=False),
                value=format_parameter(self.field, self.value, lang=lang),
            )
        text = _(
            "{answer}: chance {goal} {probability} (standard error {se}; target {target}; "
            "{paths} paths, seed {seed})",
            answer=answer,
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
        binomial_se(pgood, paths),
        bad,
        paths,
        int(seed),
        evals,
        note,
    )
