"""What a CS team is worth: the scenario at a range of CS levels, on common random numbers.

``cs_plan(scenario, accounts_per_csm=[25, 50, 100])`` (or ``csms=[2, 4, 6]``, a fixed headcount) runs the
scenario once per level with the same seed, the level set on one segment's ``cs:`` block, and reports per
level, over paths (docs/MODEL.md, "Customer health and the CS response"):

- ARR, NRR and GRR at the horizon;
- profit after CS over the horizon, ``sum_{t=1..H} (gross margin x MRR_t - CS cost_t)``, and the same
  discounted at the scenario's rate ``i``: ``sum_t (...) (1 + i)^(-t / 12)``;
- P(the step from the level before pays back within 12 and 24 months): the share of paths whose cumulative
  extra profit, ``sum_{t<=T} (gross margin x dMRR_t - dCS cost_t)``, is at least 0 at month T;
- ARR:CRC at the horizon, and where 10:1 falls on the curve.

The best level is the one with the highest expected (mean) profit. The break-even effect is the smallest
CS effect at which the best level still beats the current one: every response's lift ``max - none``
scaled by ``s`` in [0, 1], solved on the expected path (:func:`cssim.expected`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..model.engine import simulate
from ..model.expected import expected
from ..model.ltv import monthly_discount
from ..model.result import TOTAL, discount_rate
from ..model.scenario import Scenario
from .sensitivity import fix_inputs

__all__ = ["CSPlan", "cs_plan", "default_levels"]

#: The ARR:CRC ratio CS leaders hold up as the guideline (DOMAIN.md).
GUIDELINE = 10.0
#: Months within which the next step of CS investment should pay back.
PAYBACK_MONTHS = (12, 24)


@dataclass
class CSPlan:
    """The CS levels of :func:`cs_plan` and what each is worth.

    Attributes
    ----------
    scenario : Scenario
    segment : str
        The segment whose CS level varies.
    by : str
        ``"accounts_per_csm"`` or ``"csms"``: what a level is.
    table : DataFrame
        One row per level, today's first where it is not one of the levels (``level``, ``current``,
        ``best`` and the statistics: ``profit_mean``, ``profit_p10``, ``profit_p90``, ``profit_median``,
        ``profit_discounted_mean``, ``arr_median``, ``arr_p10``, ``arr_p90``, ``nrr_median``,
        ``grr_median``, ``cs_cost``, ``csms``, ``arr_crc_median``, ``p_payback_12``, ``p_payback_24``).
    paths, seed : int
    breakeven : dict
        ``{"scale": s, "max": {response: max at s}}`` for the best level against the current one, or
        empty when the best level is the current one.
    next_step : dict
        ``{"level": ..., "p_payback_12": ..., "p_payback_24": ...}``: the level with the least CS spend
        above today's, and the chance that step pays back; empty when no level spends more.
    """

    scenario: Scenario
    segment: str
    by: str
    table: pd.DataFrame
    paths: int
    seed: int
    breakeven: dict = field(default_factory=dict)
    next_step: dict = field(default_factory=dict)

    @property
    def best(self) -> pd.Series:
        """The level with the highest expected profit after CS."""
        return self.table.loc[self.table["best"]].iloc[0]

    @property
    def current(self) -> pd.Series:
        return self.table.loc[self.table["current"]].iloc[0]

    def guideline_level(self) -> float:
        """The level (by linear interpolation in CS cost) where the median ARR:CRC crosses 10:1; NaN
        when no two neighbouring levels straddle it."""
        t = self.table.sort_values("cs_cost")
        r, lv = (t[c].to_numpy(float) for c in ("arr_crc_median", "level"))
        for i in range(len(t) - 1):
            a, b = r[i] - GUIDELINE, r[i + 1] - GUIDELINE
            if np.isfinite(a) and np.isfinite(b) and a * b <= 0 and a != b:
                w = a / (a - b)
                return float(lv[i] + w * (lv[i + 1] - lv[i]))
        return math.nan

    def to_frame(self) -> pd.DataFrame:
        """The table with the level's column named as the scenario names it."""
        return self.table.rename(columns={"level": self.by})

    def __repr__(self) -> str:
        b = self.best
        return (
            f"<CSPlan {self.scenario.name!r}, segment {self.segment!r}: {len(self.table)} levels of "
            f"{self.by}, {self.paths:,} paths, seed {self.seed}; best {b['level']:g} (mean profit after "
            f"CS {b['profit_mean']:,.0f} {self.scenario.currency})>"
        )

    def plot(self, ax=None, lang: str | None = None):
        """Profit after CS against CS spend: the median with its P10-P90 band, the best level marked and
        the ARR:CRC 10:1 guideline; drawn once in ``lang``."""
        import matplotlib.pyplot as plt

        from ..words.chart_text import chart_text, money_ticks
        from ..words.fonts import use_fonts
        from ..words.formatting import format_value
        from ..words.plaintext import finish_axes

        use_fonts()
        _ = chart_text(lang)
        cur = self.scenario.currency
        t = self.table.sort_values("cs_cost")
        own = ax is None
        if ax is None:
            _fig, ax = plt.subplots(figsize=(7, 4))
        x = t["cs_cost"].to_numpy(float)
        ax.fill_between(
            x, t["profit_p10"], t["profit_p90"], color="#1f4e79", alpha=0.18, label=_("80% range")
        )
        ax.plot(x, t["profit_median"], marker="o", color="#1f4e79", label=_("Median"))
        b = self.best
        ax.plot(
            [b["cs_cost"]],
            [b["profit_median"]],
            marker="*",
            markersize=16,
            color="#c0392b",
            linestyle="none",
            label=_("Best level (highest mean profit)"),
        )
        c = self.current
        ax.plot(
            [c["cs_cost"]],
            [c["profit_median"]],
            marker="s",
            markersize=8,
            color="#444444",
            linestyle="none",
            label=_("Today's level"),
        )
        unit = _("accounts per CSM") if self.by == "accounts_per_csm" else _("CSMs")
        for r in t.itertuples():
            ax.annotate(
                format_value(
                    r.level, "number", lang, digits=0 if self.by == "accounts_per_csm" else "fit"
                ),
                (r.cs_cost, r.profit_median),
                textcoords="offset points",
                xytext=(0, 8),
                ha="center",
                fontsize=8,
            )
        g = self.guideline_level()
        if math.isfinite(g):
            gx = (
                float(np.interp(g, t["level"], x))
                if t["level"].is_monotonic_increasing
                else float(np.interp(g, t["level"][::-1], x[::-1]))
            )
            ax.axvline(gx, color="#888888", linestyle=":", lw=1)
            ax.annotate(
                _("ARR:CRC 10:1"),
                (gx, ax.get_ylim()[0]),
                textcoords="offset points",
                xytext=(4, 6),
                fontsize=8,
                color="#555555",
            )
        ax.xaxis.set_major_formatter(money_ticks(cur, lang))
        ax.yaxis.set_major_formatter(money_ticks(cur, lang))
        ax.set_xlabel(_("CS spend over the horizon (labels: {unit})", unit=unit))
        ax.set_ylabel(
            _("Profit after CS over {months} months", months=self.scenario.horizon_months)
        )
        ax.grid(True, color="#dddddd", linewidth=0.8)
        ax.legend(fontsize="small", loc="best")
        return finish_axes(ax, own)


def _level_scenario(scenario: Scenario, index: int, by: str, level: float) -> Scenario:
    """The scenario with segment ``index``'s CS level set: accounts per CSM (the team grows with the
    base) or a fixed headcount (its hires dropped)."""
    data = scenario.to_dict()
    cs = dict(data["segments"][index].get("cs") or {})
    for key in ("accounts_per_csm", "csm_per_account", "csms", "hires"):
        cs.pop(key, None)
    cs[by] = float(level)
    data["segments"][index]["cs"] = cs
    return Scenario.from_dict(data, source=f"{scenario.name} ({by} {level:g})")


def _outcomes(scenario: Scenario, paths: int, seed: int) -> dict[str, np.ndarray]:
    """Per path: profit after CS by month (its cumulative sums), ARR, NRR, GRR and ARR:CRC at the
    horizon, CS cost and CSMs."""
    r = simulate(scenario, paths=paths, seed=seed)
    H = r.horizon
    month_profit = (r.get("gross_profit") - r.get("crc"))[:, 1:]  # months 1..H
    d = monthly_discount(discount_rate(scenario))
    disc = d ** np.arange(1, H + 1)
    return {
        "profit_by_month": month_profit,
        "profit": month_profit.sum(1),
        "profit_discounted": (month_profit * disc).sum(1),
        "arr": r.get("arr")[:, H],
        "nrr": r.get("nrr")[:, H],
        "grr": r.get("grr")[:, H],
        "arr_crc": r.get("arr_crc")[:, H],
        "cs_by_month": r.get("crc")[:, 1:],
        "cs_cost": r.get("crc")[:, 1:].sum(1),
        "csms": r.get("csms")[:, H],
    }


def _quantile(a: np.ndarray, q: float) -> float:
    a = a[np.isfinite(a)]
    return float(np.quantile(a, q)) if a.size else math.nan


def cs_plan(
    scenario: Scenario,
    segment: str | None = None,
    *,
    accounts_per_csm: Sequence[float] | None = None,
    csms: Sequence[float] | None = None,
    paths: int = 2000,
    seed: int = 42,
    executor: Executor | None = None,
) -> CSPlan:
    """Run ``scenario`` at each CS level of one segment on common random numbers (see the module).

    Parameters
    ----------
    segment
        The segment whose CS level varies; by default the only segment, or the only one with usage
        states (``health:``).
    accounts_per_csm, csms
        The levels: accounts per CSM (the team grows with the base), or a fixed headcount (hires in
        the scenario are dropped at every level). Exactly one. Today's level is always run as well.
    paths, seed
        Monte Carlo paths and seed, the same for every level.
    executor
        Runs the levels in parallel (any ``concurrent.futures.Executor``); numbers do not change.
    """
    if (accounts_per_csm is None) == (csms is None):
        raise ValueError("give the CS levels as accounts_per_csm or as csms (not both)")
    by = "accounts_per_csm" if accounts_per_csm is not None else "csms"
    levels = [float(v) for v in (accounts_per_csm if accounts_per_csm is not None else csms)]
    if not levels or not all(math.isfinite(v) and v > 0 for v in levels):
        raise ValueError(f"{by} levels must be positive numbers, got {levels}")
    index = _segment_index(scenario, segment)
    name = scenario.segments[index].name
    runs = {"current": scenario} | {lv: _level_scenario(scenario, index, by, lv) for lv in levels}
    if executor is None:
        out = {k: _outcomes(s, paths, seed) for k, s in runs.items()}
    else:
        futures = {k: executor.submit(_outcomes, s, paths, seed) for k, s in runs.items()}
        out = {k: f.result() for k, f in futures.items()}
    # a level that is today's configuration exactly (same numbers) is one row, marked current
    same = [lv for lv in levels if np.array_equal(out[lv]["profit"], out["current"]["profit"])]
    keys = ([] if same else ["current"]) + levels
    by_spend = sorted(keys, key=lambda k: out[k]["cs_cost"].mean())
    rows = []
    for k in keys:
        o = out[k]
        i = by_spend.index(k)
        before = out[by_spend[i - 1]] if i > 0 else None
        row = {
            "level": _current_level(scenario.segments[index], by) if k == "current" else k,
            "current": k == "current" or k in same,
            **_stats(o, paths),
        }
        for T in PAYBACK_MONTHS:
            row[f"p_payback_{T}"] = _payback(o, before, T, scenario.horizon_months)
        rows.append(row)
    table = pd.DataFrame(rows)
    table["best"] = False
    table.loc[table["profit_mean"].idxmax(), "best"] = True
    plan = CSPlan(scenario, name, by, table, paths, seed)
    # the next step of CS investment from today: the level with the least spend above today's
    today = out[same[0] if same else "current"]
    above = [k for k in by_spend if out[k]["cs_cost"].mean() > today["cs_cost"].mean()]
    if above:
        nxt = out[above[0]]
        plan.next_step = {
            "level": float(above[0]),
            **{
                f"p_payback_{T}": _payback(nxt, today, T, scenario.horizon_months)
                for T in PAYBACK_MONTHS
            },
        }
    plan.breakeven = _breakeven(plan, index)
    return plan


def _stats(o: dict, paths: int) -> dict:
    """A level's statistics over paths."""
    return {
        "profit_mean": float(o["profit"].mean()),
        "profit_median": _quantile(o["profit"], 0.5),
        "profit_p10": _quantile(o["profit"], 0.1),
        "profit_p90": _quantile(o["profit"], 0.9),
        "profit_se": float(o["profit"].std(ddof=1) / math.sqrt(paths)) if paths > 1 else math.nan,
        "profit_discounted_mean": float(o["profit_discounted"].mean()),
        "arr_median": _quantile(o["arr"], 0.5),
        "arr_p10": _quantile(o["arr"], 0.1),
        "arr_p90": _quantile(o["arr"], 0.9),
        "nrr_median": _quantile(o["nrr"], 0.5),
        "grr_median": _quantile(o["grr"], 0.5),
        "arr_crc_median": _quantile(o["arr_crc"], 0.5),
        "cs_cost": float(o["cs_cost"].mean()),
        "csms": float(np.nanmean(o["csms"])),
    }


def _payback(after: dict, before: dict | None, T: int, horizon: int) -> float:
    """P(the step from ``before`` to ``after`` pays back by month T): the share of paths whose
    cumulative extra profit after CS over months 1..T is at least 0 (on common random numbers); NaN
    where the step spends no more on CS in those months (not an investment to pay back)."""
    if before is None or T > horizon:
        return math.nan
    if not (after["cs_by_month"] - before["cs_by_month"])[:, :T].sum(1).mean() > 0:
        return math.nan  # not an investment within T months: nothing to pay back
    gain = (after["profit_by_month"] - before["profit_by_month"])[:, :T].sum(1)
    return float(np.mean(gain >= 0))


def default_levels(segment) -> tuple[str, list[float]]:
    """CS levels around a segment's own: ``("accounts_per_csm", [a/2, 3a/4, a, 3a/2, 5a/2])`` for a team
    that grows with the base (or CSMs per account, as accounts per CSM), ``("csms", [c-2 .. c+4])``
    for a fixed headcount ``c`` (its hires aside), and accounts per CSM from 25 to 400 without either."""
    cs = segment.cs
    value = None
    if cs is not None:
        for field in ("accounts_per_csm", "csm_per_account", "csms"):
            v = getattr(cs, field)
            if v is not None:
                value = (field, float(v.median() if hasattr(v, "median") else v))
                break
    if value is None:
        return "accounts_per_csm", [25.0, 50.0, 100.0, 200.0, 400.0]
    field, v = value
    if field == "csms":
        c = round(v)
        return "csms", [float(x) for x in sorted({max(1, c - 2), max(1, c - 1), c, c + 2, c + 4})]
    a = v if field == "accounts_per_csm" else (1.0 / v if v > 0 else 400.0)
    levels = sorted({max(1.0, float(round(a * k))) for k in (0.5, 0.75, 1.0, 1.5, 2.5)})
    return "accounts_per_csm", levels


def _segment_index(scenario: Scenario, segment: str | None) -> int:
    names = scenario.segment_names
    if segment is not None:
        if segment not in names:
            raise ValueError(f"no segment {segment!r}; segments: {', '.join(names)}")
        return names.index(segment)
    if len(names) == 1:
        return 0
    with_health = [i for i, s in enumerate(scenario.segments) if s.health is not None]
    if len(with_health) == 1:
        return with_health[0]
    raise ValueError(
        "name the segment whose CS level to vary (segment=...); segments: " + ", ".join(names)
    )


def _current_level(seg, by: str) -> float:
    """Today's level of the segment in the plan's unit (NaN when it is said another way)."""
    cs = seg.cs
    if cs is None:
        return math.nan
    value = getattr(cs, by)
    if value is None:
        return math.nan
    return float(value.median() if hasattr(value, "median") else value)


def _expected_profit(scenario: Scenario) -> float:
    e = expected(scenario, TOTAL)
    return float((e["gross_profit"] - e["crc"]).iloc[1:].sum())


def _breakeven(plan: CSPlan, index: int) -> dict:
    """The CS effect at which the best level and today's tie on the expected path.

    Every response's ``max`` is moved along ``none + s (max - none)``; ``s = 1`` is the scenario. When
    the best level has more CS than today, the root ``s* <= 1`` is the weakest effect at which it still
    beats today's (the "smallest max"); when it has less, ``s* >= 1`` is how strong the effect would
    have to be for today's level to pay as well. Returns ``{"scale": s*, "max": {response: max},
    "more_cs": bool}``, or empty when the best level is today's or nothing responds to CS.
    """
    from scipy.optimize import brentq

    best = plan.best
    seg = plan.scenario.segments[index]
    responses = (seg.cs.response or []) if seg.cs is not None else []
    if best["current"] or not responses:
        return {}
    central = fix_inputs(
        plan.scenario, {p: d.median() for p, d in plan.scenario.uncertain().items()}
    )
    rs = central.segments[index].cs.response
    more_cs = bool(best["cs_cost"] > plan.current["cs_cost"])
    # the largest scale that keeps every max a probability: max moves up to 1 (or down to 0)
    bounds = [
        (1.0 - r.none) / (r.max - r.none) if r.max > r.none else r.none / (r.none - r.max)
        for r in rs
        if r.max != r.none
    ]
    cap = max(1.0, min(bounds, default=1.0))

    def scaled(s: float, level) -> Scenario:
        changes = {
            ("segments", index, "cs", "response", k, "max"): min(
                1.0, max(0.0, r.none + s * (r.max - r.none))
            )
            for k, r in enumerate(rs)
        }
        sc = central.replace(changes)
        return sc if level is None else _level_scenario(sc, index, plan.by, level)

    def advantage(s: float) -> float:
        return _expected_profit(scaled(s, best["level"])) - _expected_profit(scaled(s, None))

    lo, hi = (0.0, 1.0) if more_cs else (1.0, cap)
    while hi > lo and not _valid(lambda s=hi: scaled(s, None)):  # a row whose lifts pass 1
        hi = lo + 0.9 * (hi - lo)
    a, b = advantage(lo), advantage(hi)
    names = [f"{r.from_} -> {r.to}" for r in rs]
    if a * b > 0:  # no tie in the range: the best level wins (or loses) across it
        return {"scale": math.nan, "max": {}, "more_cs": more_cs}
    s = float(brentq(advantage, lo, hi, xtol=1e-6)) if a != 0 else lo
    return {
        "scale": s,
        "max": {n: float(r.none + s * (r.max - r.none)) for n, r in zip(names, rs, strict=True)},
        "more_cs": more_cs,
    }


def _valid(build) -> bool:
    """Whether ``build()`` makes a valid scenario."""
    from ..model.errors import ScenarioError

    try:
        build()
    except ScenarioError:
        return False
    return True
