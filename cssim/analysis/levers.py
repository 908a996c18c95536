"""Levers on common random numbers: what each change a customer-success team could make is worth.

A lever is a change to a scenario (cut churn, add expansion, win more new customers, raise price, fix
onboarding; the levers and the rule for changing a parameter are in :mod:`cssim.analysis.lever_rules`).
:func:`levers` runs the base scenario and each lever on **common random numbers** (the same seed, so
every path sees the same world and the same uniforms): the per-path difference ``lever - base`` is the
lever's effect, and its spread is the uncertainty about the effect, not simulation noise
(:class:`~cssim.analysis.lever_result.LeverResult`).

Segments are simulated independently (their random streams are keyed by segment name), so a lever on one
segment needs only that segment re-simulated; "all" combines every segment's changed run. This gives
exactly the numbers of simulating the whole changed scenario, at a fraction of the cost.

The churn floor (what the same effort buys as churn falls) is :func:`marginal_value`
(:mod:`cssim.analysis.churn_floor`).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from ..model.engine import simulate
from ..model.randomness import resolve_seed
from ..model.scenario import Scenario
from .churn_floor import MarginalValue, marginal_value
from .lever_result import ALL, EFFECT_METRICS, LeverResult
from .lever_rules import (
    EQUAL_EFFORT,
    LEVERS,
    Lever,
    apply_lever,
    change_value,
    find_lever,
    segment_changed,
)

__all__ = [
    "EQUAL_EFFORT",
    "LEVERS",
    "Lever",
    "LeverResult",
    "MarginalValue",
    "apply_lever",
    "change_value",
    "levers",
    "marginal_value",
]


def _outcomes(result, segment: str) -> dict[str, np.ndarray]:
    """The per-path quantities a lever's effect is computed from, for one segment."""
    H = result.horizon
    mrr = result.get("mrr", segment)
    gp = result.get("gross_profit", segment)
    out = {
        "arr": 12.0 * mrr[:, H],
        "gross_profit": gp[:, H],
        "gross_profit_cum": gp[:, 1:].sum(1),
        "customers": result.get("customers", segment)[:, H],
    }
    if H >= 12:
        before = mrr[:, H - 12]
        out["mrr_before"] = before
        out["retained"] = np.nan_to_num(result.get("nrr", segment)[:, H] * before)
    return out


def _total(parts: Iterable[dict]) -> dict[str, np.ndarray]:
    parts = list(parts)
    out = {k: sum(p[k] for p in parts) for k in parts[0]}
    if "retained" in out:
        with np.errstate(invalid="ignore", divide="ignore"):
            out["nrr"] = np.where(
                out["mrr_before"] > 0,
                out["retained"] / np.where(out["mrr_before"] > 0, out["mrr_before"], 1),
                np.nan,
            )
    return {k: v for k, v in out.items() if k in EFFECT_METRICS}


def levers(
    scenario: Scenario,
    paths: int = 2000,
    seed: int | None = 42,
    size: float | Mapping[str, float] | None = None,
    *,
    names: Sequence[str] | None = None,
    costs: Mapping[str | tuple[str, str], float] | None = None,
    per_segment: bool = True,
) -> LeverResult:
    """The effect of each lever on ARR, NRR, gross profit and customers at the horizon.

    Parameters
    ----------
    scenario : Scenario
    paths, seed : int
        Monte Carlo paths and seed; base and levers share the seed (common random numbers).
    size : float or mapping, optional
        A float sets the size of every *relative* lever (0.1 = 10%); a mapping sets sizes by lever name.
        Otherwise each lever's default (:data:`LEVERS`): -0.5 pt churn, -10% churn, +0.1 pt and +10%
        expansion, +10% new customers, +10% price, -1 pt and -10% onboarding churn.
    names : sequence of str, optional
        Levers to run (default: all in :data:`LEVERS`; those that apply to no segment are left out).
    costs : mapping, optional
        Monthly cost of a lever, keyed by lever name (the lever in every segment) or by
        ``(lever, segment)`` (e.g. ``{("churn_rel", "SMB"): 1_400_000}`` for two more SMB CSMs); such
        levers get :meth:`LeverResult.roi`.
    per_segment : bool
        With several segments, also apply each lever to each segment alone.
    """
    names = list(names or LEVERS)
    sizes = {}
    for n in names:
        lv = find_lever(n)
        if isinstance(size, Mapping):
            sizes[n] = float(size.get(n, lv.default))
        elif size is not None and lv.unit == "relative":
            sizes[n] = float(size)
        else:
            sizes[n] = lv.default
    seed = resolve_seed(seed)  # once: base and levers must share it (None would draw twice)
    base_run = simulate(scenario, paths=paths, seed=seed)
    base_seg = {s: _outcomes(base_run, s) for s in scenario.segment_names}
    base = _total(base_seg.values())
    data = scenario.to_dict()
    multi = len(scenario.segments) > 1
    effects: dict = {}
    for n in names:
        lv = LEVERS[n]
        changed = {}
        for i, (seg, seg_data) in enumerate(zip(scenario.segments, data["segments"], strict=True)):
            new = copy.deepcopy(seg_data)
            if not lv.apply(seg, new, sizes[n]):
                continue
            run = simulate(segment_changed(scenario, i, new), paths=paths, seed=seed)
            changed[seg.name] = _outcomes(run, seg.name)
        if not changed:
            continue
        combos = [(ALL, set(changed))]
        if multi and per_segment:
            combos += [(s, {s}) for s in changed]
        for label, segs in combos:
            tot = _total(changed[s] if s in segs else base_seg[s] for s in scenario.segment_names)
            effects[(n, label)] = {m: tot[m] - base[m] for m in tot}
    return LeverResult(
        scenario,
        paths,
        int(seed),
        base,
        effects,
        sizes,
        {n: LEVERS[n].describe(sizes[n]) for n in names},
        dict(costs or {}),
    )
