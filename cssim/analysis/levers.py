"""Levers: what a customer-success team could change, and what each change is worth.

A lever is a change to a scenario (cut churn, add expansion, win more new customers, raise price, fix
onboarding). :func:`levers` runs the base scenario and each lever on **common random numbers** (the same
seed, so every path sees the same world and the same uniforms): the per-path difference ``lever - base``
is the lever's effect, and its spread is the uncertainty about the effect, not simulation noise.

Rules for changing a parameter (one rule, written once in :func:`change_value`):

* a fixed number ``x`` becomes ``f(x)`` (for example ``x - 0.005`` for "-0.5 pt", ``0.9 x`` for "-10%"),
  clipped to the field's range;
* a parameter given as a distribution is **scaled**: every draw is multiplied by ``k = f(median) / median``
  (the location and scale parameters are multiplied by ``k``, which multiplies each inverse-CDF draw by
  ``k`` exactly, so the lever's world stays matched to the base's). A relative change ("-10%") therefore
  applies exactly to every draw; a change in points moves the median by that many points.

Churn types: monthly churn ``c`` is changed directly; sBG heterogeneity is changed through ``beta`` so the
first-month churn ``alpha / (alpha + beta)`` moves as asked (``beta' = alpha (1 - p') / p'``, with alpha's
median when alpha is uncertain, and beta's distribution scaled as above); annual
renewal churn ``r`` is scaled for relative changes, and for changes in points its monthly equivalent
``1 - (1 - r)^(1/12)`` moves by the points. The churn levers leave onboarding churn alone; the onboarding
levers change only it. No lever models a response of churn to price.

Segments are simulated independently (their random streams are keyed by segment name), so a lever on one
segment needs only that segment re-simulated; "all" combines every segment's changed run. This gives
exactly the numbers of simulating the whole changed scenario, at a fraction of the cost.
"""

from __future__ import annotations

import copy
import html
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..model.display import compact_money as _money
from ..model.distributions import _Dist
from ..model.engine import simulate
from ..model.randomness import resolve_seed
from ..model.scenario import Scenario, Segment
from .sensitivity import _expected

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

ALL = "all"
#: The metrics a lever's effect is reported on, at the horizon month H.
EFFECT_METRICS = {
    "arr": "ARR at the horizon",
    "nrr": "NRR at the horizon (trailing 12 months)",
    "gross_profit": "gross profit in the horizon month",
    "gross_profit_cum": "gross profit over months 1..H",
    "customers": "customers at the horizon",
}


# -- changing one parameter -------------------------------------------------------------------------

_SCALE_KEYS = {
    "normal": ("mean", "sd"),
    "lognormal": ("mean", "sd"),
    "beta": ("mean", "sd", "low", "high"),
    "triangular": ("low", "mode", "high"),
    "pert": ("low", "mode", "high"),
    "uniform": ("low", "high"),
    "interval90": ("low", "high"),
}


def _scaled(dist: dict, k: float) -> dict:
    """A distribution (as data) whose every draw is ``k`` times the original's (``k > 0``)."""
    out = dict(dist)
    for key in _SCALE_KEYS[dist["kind"]]:
        if out.get(key) is not None:
            out[key] = out[key] * k
    if dist["kind"] == "beta" and "low" not in dist:  # defaults [0, 1] scale too
        out["low"], out["high"] = 0.0, k
    return out


def change_value(model_value, data_value, fn: Callable[[float], float]):
    """The new value (as scenario data) of a parameter changed by ``fn``.

    A number ``x`` becomes ``fn(x)``. A distribution is scaled by ``k = fn(median) / median`` (see the
    module docstring); a distribution with median 0 cannot be scaled and raises ``ValueError``.
    """
    if not isinstance(model_value, _Dist):
        return float(fn(float(model_value)))
    med = model_value.median()
    if med == 0:
        raise ValueError(f"cannot scale {model_value.describe()}: its median is 0")
    k = fn(med) / med
    if not k > 0:
        k = 1e-9  # a change to (or past) zero: shrink the draws to almost nothing
    return _scaled(data_value, k)


def _node(obj, path: str):
    for part in path.split("."):
        obj = obj[part] if isinstance(obj, dict) else getattr(obj, part)
    return obj


def _change(seg: Segment, data: dict, path: str, fn: Callable[[float], float]) -> None:
    """Change ``path`` (e.g. ``churn.monthly``) of one segment's data in place."""
    parts = path.split(".")
    parent = data
    for p in parts[:-1]:
        parent = parent[p]
    parent[parts[-1]] = change_value(_node(seg, path), parent[parts[-1]], fn)


def _median(value) -> float:
    return value.median() if isinstance(value, _Dist) else float(value)


def _clip01(x: float) -> float:
    return min(max(x, 0.0), 1.0)


# -- the levers --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Lever:
    """A change to one segment, sized by ``size`` (a fraction: 0.1 = 10% or 10 points).

    ``apply(segment, data, size)`` edits the segment's data in place and returns False when the lever
    does not apply to that segment (for example "expansion +10%" where nothing expands).
    """

    name: str
    label: str  # formatted with ``{size}``
    unit: str  # "relative" or "points"
    default: float
    apply: Callable[[Segment, dict, float], bool]

    def describe(self, size: float) -> str:
        shown = f"{size * 100:.3g}%" if self.unit == "relative" else f"{size * 100:.3g} pt"
        return self.label.format(size=shown)


def _churn(points: bool):
    def apply(seg: Segment, data: dict, x: float) -> bool:
        ch = seg.churn
        if ch.monthly is not None:
            _change(
                seg,
                data,
                "churn.monthly",
                (lambda c: _clip01(c - x)) if points else (lambda c: _clip01(c * (1 - x))),
            )
        elif ch.heterogeneity is not None:
            a = _median(ch.heterogeneity.alpha)

            def beta(b: float) -> float:
                p1 = a / (a + b)
                p1 = max(p1 - x, 1e-9) if points else p1 * (1 - x)
                return a * (1 - p1) / max(p1, 1e-12)

            _change(seg, data, "churn.heterogeneity.beta", beta)
        else:

            def renewal(r: float) -> float:
                if not points:
                    return r * (1 - x)
                monthly = max(1 - (1 - r) ** (1 / 12) - x, 0.0)
                return _clip01(1 - (1 - monthly) ** 12)

            _change(seg, data, "churn.annual_renewal", renewal)
        return True

    return apply


def _onboarding(points: bool):
    def apply(seg: Segment, data: dict, x: float) -> bool:
        if seg.churn.onboarding is None:
            return False
        _change(
            seg,
            data,
            "churn.onboarding.monthly",
            (lambda c: _clip01(c - x)) if points else (lambda c: _clip01(c * (1 - x))),
        )
        return True

    return apply


def _expansion(points: bool):
    def apply(seg: Segment, data: dict, x: float) -> bool:
        if seg.expansion is None:
            if not points:
                return False
            data["expansion"] = {"rate": x, "probability": 0.1}
            return True
        if not points and _median(seg.expansion.rate) == 0:
            return False
        _change(
            seg,
            data,
            "expansion.rate",
            (lambda e: _clip01(e + x)) if points else (lambda e: _clip01(e * (1 + x))),
        )
        return True

    return apply


def _acquisition(seg: Segment, data: dict, x: float) -> bool:
    acq = seg.acquisition
    if acq.rate is not None:
        # x more new customers a month: the monthly rate m = (1 + g)^(1/12) - 1 is scaled by 1 + x
        def rate(g: float) -> float:
            m = (1 + g) ** (1 / 12) - 1
            return (1 + m * (1 + x)) ** 12 - 1

        if _median(acq.rate) == 0:
            return False
        _change(seg, data, "acquisition.rate", rate)
    else:
        if _median(acq.count) == 0:
            return False
        _change(seg, data, "acquisition.count", lambda n: n * (1 + x))
    return True


def _price(seg: Segment, data: dict, x: float) -> bool:
    up = lambda v: v * (1 + x)  # noqa: E731
    _change(seg, data, "seats.price" if seg.seats is not None else "arpa", up)
    if seg.new_arpa is not None:
        _change(seg, data, "new_arpa", up)
    return True


#: The built-in levers by name; add one by adding an entry.
LEVERS: dict[str, Lever] = {
    lv.name: lv
    for lv in [
        Lever("churn_pt", "Churn -{size}/month", "points", 0.005, _churn(points=True)),
        Lever("churn_rel", "Churn -{size}", "relative", 0.10, _churn(points=False)),
        Lever("expansion_pt", "Expansion +{size}/month", "points", 0.001, _expansion(points=True)),
        Lever("expansion_rel", "Expansion +{size}", "relative", 0.10, _expansion(points=False)),
        Lever("acquisition_rel", "New customers +{size}", "relative", 0.10, _acquisition),
        Lever("price_rel", "Price (ARPA) +{size}", "relative", 0.10, _price),
        Lever(
            "onboarding_pt",
            "Onboarding churn -{size}/month",
            "points",
            0.01,
            _onboarding(points=True),
        ),
        Lever(
            "onboarding_rel",
            "Onboarding churn -{size}",
            "relative",
            0.10,
            _onboarding(points=False),
        ),
    ]
}


#: Levers at equal effort: each the same size in its own unit, so they can be ranked against each other
#: (1 point of monthly churn, 1 point of monthly expansion, +5% price, +10% new customers). Ranking a
#: -10% churn cut against +0.1 pt of expansion compares efforts of different sizes; this set does not.
EQUAL_EFFORT: dict[str, float] = {
    "churn_pt": 0.01,
    "expansion_pt": 0.01,
    "price_rel": 0.05,
    "acquisition_rel": 0.10,
}


def _lever(name: str) -> Lever:
    try:
        return LEVERS[name]
    except KeyError:
        raise KeyError(f"unknown lever {name!r}; levers: {', '.join(LEVERS)}") from None


def apply_lever(
    scenario: Scenario, lever: str, size: float | None = None, segment: str | None = None
) -> Scenario:
    """The scenario with one lever pulled, in every segment (``segment=None``) or in one.

    Raises ``ValueError`` when the lever applies to none of the chosen segments.
    """
    lv = _lever(lever)
    size = lv.default if size is None else float(size)
    data = scenario.to_dict()
    hit = False
    for seg, seg_data in zip(scenario.segments, data["segments"], strict=True):
        if segment is None or seg.name == segment:
            hit |= lv.apply(seg, seg_data, size)
    if not hit:
        where = f"segment {segment!r}" if segment else "any segment"
        raise ValueError(f"lever {lever!r} does not apply to {where} of {scenario.name!r}")
    return Scenario.from_dict(data, source=f"{scenario.name} ({lv.describe(size)})")


# -- running levers on common random numbers ------------------------------------------------------------


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


def _one_segment(scenario: Scenario, data: dict) -> Scenario:
    whole = scenario.to_dict()
    whole["segments"] = [data]
    return Scenario.from_dict(whole, source=f"{scenario.name} (segment {data['name']})")


def _stats(d: np.ndarray) -> dict:
    d = d[np.isfinite(d)]
    if d.size == 0:
        return dict.fromkeys(("mean", "median", "p10", "p90", "mc_se"), np.nan)
    return {
        "mean": float(d.mean()),
        "median": float(np.median(d)),
        "p10": float(np.quantile(d, 0.1)),
        "p90": float(np.quantile(d, 0.9)),
        "mc_se": float(d.std(ddof=1) / math.sqrt(d.size)) if d.size > 1 else np.nan,
    }


@dataclass
class LeverResult:
    """Effects of levers on common random numbers: what :func:`levers` returns.

    Attributes
    ----------
    scenario : Scenario
    paths, seed : int
    base : dict
        Per-path base outcomes at the horizon (``arr``, ``nrr``, ``gross_profit``, ...).
    effects : dict
        ``(lever, segment) -> {metric: per-path difference lever - base}``; segment ``"all"`` is the
        lever applied to every segment.
    sizes, labels, costs : dict
        The lever sizes, readable labels and monthly costs (levers with a cost get an ROI).
    """

    scenario: Scenario
    paths: int
    seed: int
    base: dict
    effects: dict
    sizes: dict
    labels: dict
    costs: dict = field(default_factory=dict)

    @property
    def horizon(self) -> int:
        return self.scenario.horizon_months

    def to_frame(self) -> pd.DataFrame:
        """One row per (lever, segment, metric): the effect's mean, median, P10, P90 and the Monte Carlo
        standard error of the mean effect; ``base`` is the metric's mean without the lever."""
        rows = []
        for (name, seg), eff in self.effects.items():
            for metric, d in eff.items():
                rows.append(
                    {
                        "lever": name,
                        "label": self.labels[name],
                        "segment": seg,
                        "size": self.sizes[name],
                        "metric": metric,
                        "base": float(np.nanmean(self.base[metric])),
                        **_stats(d),
                    }
                )
        return pd.DataFrame(rows)

    def ranked(self, metric: str = "arr", segment: str = ALL) -> pd.DataFrame:
        """The rows of :meth:`to_frame` for one metric and segment, best first (by median effect).

        The one order the lever chart and every lever table use. Ties keep the levers' order.
        """
        df = self.to_frame()
        df = df[(df.metric == metric) & (df.segment == segment)]
        return df.sort_values("median", ascending=False, kind="stable").reset_index(drop=True)

    def per_cost(self, metric: str = "gross_profit_cum", segment: str = ALL) -> pd.DataFrame:
        """Levers with a monthly cost, ranked at equal cost: the median effect per unit of cost.

        ``per_cost = median effect / (monthly cost x H)``, e.g. gross profit gained per yen spent over
        the horizon; best first. Empty when no lever has a cost.
        """
        df = self.ranked(metric, segment)
        cost = [
            self.costs.get((n, segment), self.costs.get(n) if segment == ALL else None)
            for n in df["lever"]
        ]
        df = df.assign(cost_total=[np.nan if c is None else c * self.horizon for c in cost])
        df = df[np.isfinite(df["cost_total"]) & (df["cost_total"] > 0)]
        df = df.assign(per_cost=df["median"] / df["cost_total"])
        return df.sort_values("per_cost", ascending=False, kind="stable").reset_index(drop=True)

    def roi(self) -> pd.DataFrame:
        """ROI over the horizon for every lever with a cost.

        Per path, ``ROI = (gain in cumulative gross profit - cost) / cost`` with ``cost = monthly cost x
        H`` (undiscounted); ``p_positive`` is P(ROI > 0) and ``p_positive_se`` its binomial standard error.
        Only the horizon counts: revenue a lever keeps after month H (a customer saved stays saved) is
        left out, so a lengthier horizon shows more of its value.
        """
        rows = []
        for (name, seg), eff in self.effects.items():
            monthly = self.costs.get((name, seg), self.costs.get(name) if seg == ALL else None)
            if monthly is None:
                continue
            cost = monthly * self.horizon
            r = (eff["gross_profit_cum"] - cost) / cost
            p = float(np.mean(r > 0))
            st = _stats(r)
            rows.append(
                {
                    "lever": name,
                    "label": self.labels[name],
                    "segment": seg,
                    "cost_per_month": monthly,
                    "cost_total": cost,
                    "gain_mean": float(eff["gross_profit_cum"].mean()),
                    "roi_mean": st["mean"],
                    "roi_median": st["median"],
                    "roi_p10": st["p10"],
                    "roi_p90": st["p90"],
                    "p_positive": p,
                    "p_positive_se": math.sqrt(p * (1 - p) / r.size),
                }
            )
        return pd.DataFrame(rows)

    def plot(
        self,
        ax=None,
        metric: str = "arr",
        segment: str = ALL,
        *,
        labels: Mapping[str, str] | None = None,
        money: Callable[[float], str] | None = None,
        xlabel: str | None = None,
        title: str | None = None,
        lang: str | None = None,
    ):
        """Horizontal bars of each lever's median effect with P10-P90 whiskers; returns the axes.

        Levers run top to bottom in :meth:`ranked` order (the order of the lever tables). ``labels``
        (by lever name), ``money`` (tick formatter), ``xlabel`` and ``title`` replace the default text,
        which is in ``lang`` (English by default; Japanese lever names and 億円/万円 ticks for ``"ja"``).
        """
        import matplotlib.pyplot as plt

        from ..words.chart_text import chart_text, money_ticks
        from ..words.fonts import use_fonts
        from ..words.labels import lever_label, metric_label

        use_fonts()  # Japanese names render (IPAexGothic after the Latin font)
        _ = chart_text(lang)
        if labels is None and _.lang != "en":
            labels = {
                n: lever_label(n, self.sizes[n], LEVERS[n].unit, lang)
                for n in self.sizes
                if n in LEVERS
            }

        df = self.ranked(metric, segment).iloc[::-1]  # barh draws bottom up: best ends on top
        own = ax is None
        if ax is None:
            _fig, ax = plt.subplots(figsize=(7, 0.45 * len(df) + 1.2))
        y = np.arange(len(df))
        ax.barh(y, df["median"], color=np.where(df["median"] >= 0, "#2a7f62", "#b03a2e"))
        ax.errorbar(
            df["median"],
            y,
            xerr=[df["median"] - df["p10"], df["p90"] - df["median"]],
            fmt="none",
            ecolor="black",
            capsize=3,
            lw=1,
        )
        ax.set_yticks(
            y,
            [labels.get(n, lab) for n, lab in zip(df["lever"], df["label"], strict=True)]
            if labels
            else df["label"],
        )
        ax.axvline(0, color="grey", lw=0.8)
        if metric != "nrr":
            ax.xaxis.set_major_formatter(money_ticks(self.scenario.currency, lang, money))
        unit = (
            self.scenario.currency if metric in ("arr", "gross_profit", "gross_profit_cum") else ""
        )
        if _.lang == "en":
            default_xlabel = f"change in {EFFECT_METRICS[metric]} {unit} (median, P10-P90)".strip()
        else:  # the ticks carry the unit (億円)
            default_xlabel = _(
                "change in {metric} at month {month} (median, P10-P90)",
                metric=metric_label(metric, lang),
                month=self.horizon,
            )
        ax.set_xlabel(xlabel or default_xlabel)
        ax.set_title(
            title
            or _(
                "{scenario}: levers at month {month}",
                scenario=self.scenario.name,
                month=self.horizon,
            )
        )
        from ..words.plaintext import finish_axes

        finish_axes(ax, own)
        return ax

    def _lines(self) -> list[tuple[str, str]]:
        df = self.ranked()
        return [
            (
                r.label,
                f"{_money(r.mean)} (P10 {_money(r.p10)}, P90 {_money(r.p90)}, "
                f"se {_money(r.mc_se)})",
            )
            for r in df.itertuples()
        ]

    def __repr__(self) -> str:
        lines = [
            f"<LeverResult {self.scenario.name!r}: {self.paths:,} paths, seed {self.seed}, effect on "
            f"ARR at month {self.horizon} ({self.scenario.currency}), mean:"
        ]
        lines += [f"  {label}: {text}" for label, text in self._lines()]
        return "\n".join(lines) + ">"

    def _repr_html_(self) -> str:
        return self.to_html()

    def to_html(self, lang: str | None = None) -> str:
        """The levers, best first, as an HTML table (what a notebook shows), in ``lang``."""
        from ..words import formatting as fm
        from ..words.chart_text import chart_text
        from ..words.labels import lever_label

        _ = chart_text(lang)
        if _.lang == "en":
            lines = self._lines()
        else:
            cur = self.scenario.currency

            def m(x: float) -> str:
                return fm.money(x, cur, lang)

            lines = [
                (
                    lever_label(r.lever, self.sizes[r.lever], LEVERS[r.lever].unit, lang)
                    if r.lever in LEVERS
                    else r.label,
                    _(
                        "{mean} (P10 {p10}, P90 {p90}, se {se})",
                        mean=m(r.mean),
                        p10=m(r.p10),
                        p90=m(r.p90),
                        se=m(r.mc_se),
                    ),
                )
                for r in self.ranked().itertuples()
            ]
        rows = "".join(
            f"<tr><th style='text-align:left'>{html.escape(a)}</th><td>{html.escape(b)}</td></tr>"
            for a, b in lines
        )
        cap = _(
            "Levers: effect on ARR at month {month} ({currency}), mean over {paths} paths on common "
            "random numbers",
            month=self.horizon,
            currency=self.scenario.currency,
            paths=fm.count(self.paths, lang),
        )
        return f"<table><caption>{html.escape(cap)}</caption>{rows}</table>"


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
        lv = _lever(n)
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
        for seg, seg_data in zip(scenario.segments, data["segments"], strict=True):
            new = copy.deepcopy(seg_data)
            if not lv.apply(seg, new, sizes[n]):
                continue
            run = simulate(_one_segment(scenario, new), paths=paths, seed=seed)
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


# -- the churn floor: marginal value of a lever by level of churn ---------------------------------------


def _with_churn(scenario: Scenario, c: float) -> Scenario:
    data = scenario.to_dict()
    for seg in data["segments"]:
        keep = {k: v for k, v in seg["churn"].items() if k == "onboarding"}
        seg["churn"] = {"monthly": c, **keep}
    return Scenario.from_dict(data, source=f"{scenario.name} (churn {c:.2%})")


@dataclass
class MarginalValue:
    """ARR bought by each lever at several base levels of monthly churn (:func:`marginal_value`)."""

    scenario: Scenario
    frame: pd.DataFrame
    method: str

    def to_frame(self) -> pd.DataFrame:
        return self.frame.copy()

    def plot(self, ax=None, lang: str | None = None):
        """Gain in ARR at the horizon by base churn, one line per lever; returns the axes.

        Titles, labels and money ticks are in ``lang`` (English by default).
        """
        import matplotlib.pyplot as plt

        from ..words.chart_text import chart_text, money_ticks
        from ..words.fonts import use_fonts
        from ..words.labels import lever_label

        use_fonts()  # Japanese names render (IPAexGothic after the Latin font)
        _ = chart_text(lang)

        own = ax is None

        if ax is None:
            _fig, ax = plt.subplots(figsize=(6, 4))
        for (label, name), g in self.frame.groupby(["label", "lever"], sort=False):
            if _.lang != "en" and name in LEVERS:
                label = lever_label(name, g["step"].iloc[0], LEVERS[name].unit, lang)
            ax.plot(100 * g["churn"], g["gain"], marker="o", label=label)
        ax.set_xlabel(_("base monthly churn (%)"))
        ax.yaxis.set_major_formatter(money_ticks(self.scenario.currency, lang))
        ax.set_ylabel(
            _(
                "gain in ARR at month {month} ({currency})",
                month=self.scenario.horizon_months,
                currency=self.scenario.currency,
            )
        )
        ax.invert_xaxis()
        ax.legend()
        ax.set_title(_("The churn floor: what the same effort buys as churn falls"))
        from ..words.plaintext import finish_axes

        finish_axes(ax, own)
        return ax

    def __repr__(self) -> str:
        lines = [
            f"<MarginalValue {self.scenario.name!r} ({self.method}): gain in ARR at month "
            f"{self.scenario.horizon_months}"
        ]
        for r in self.frame.itertuples():
            lines.append(f"  churn {r.churn:.2%}  {r.label}: {_money(r.gain)} ({r.gain_pct:+.1%})")
        return "\n".join(lines) + ">"

    def _repr_html_(self) -> str:
        wide = self.frame.pivot(index="churn", columns="label", values="gain").sort_index(
            ascending=False
        )
        wide.index = [f"{c:.2%}" for c in wide.index]
        cap = f"Gain in ARR at month {self.scenario.horizon_months} by base monthly churn"
        return f"<p><b>{html.escape(cap)}</b></p>" + wide.map(_money).to_html()


def marginal_value(
    scenario: Scenario,
    levers: Sequence[str] = ("churn_rel", "expansion_rel"),
    levels: Sequence[float] = (0.03, 0.02, 0.01, 0.005),
    step: float | Mapping[str, float] = 0.10,
    *,
    method: str = "expected",
    paths: int = 2000,
    seed: int | None = 42,
) -> MarginalValue:
    """What the same relative effort buys at different levels of churn (the churn floor).

    For each base monthly churn ``c`` in ``levels`` (set in every segment; onboarding kept), each lever is
    pulled by ``step`` (e.g. churn -10%: 3% -> 2.7% but 1% -> 0.9%) and the gain in ARR at the horizon is
    reported, with ``gain_per_unit = gain / step``, the finite-difference d(ARR)/d(lever).

    With constant churn, expansion ``e`` and rate acquisition (MODEL.md), ``r = (1 - c)(1 + e)``,
    ``q = 1 + m - c`` and

    .. math:: E[ARR_H] = 12\\,ARPA\\,N_0 \\left[r^H + m \\frac{q^H - r^H}{q - r}\\right],

    so cutting churn by a fixed share buys less as churn falls, while expansion's gain grows with the
    surviving base. Per *point* of churn removed the value actually rises as churn falls (the base it
    protects is bigger); what shrinks is what the same relative effort buys, because 10% of 0.5% is
    only 0.05 pt. That is the churn floor CS leaders describe: near 1% a month, the next 10% of
    churn buys less than 10% more expansion (1,000 customers, 20% growth, 1% expansion, 36 months:
    35.1M vs 27.8M JPY of ARR at 1% churn, 20.7M vs 33.3M at 0.5%).

    Parameters
    ----------
    method : "expected" or "simulate"
        ``expected`` (default) uses :func:`cssim.expected` (exact expectations, no noise);
        ``simulate`` uses the Monte Carlo on common random numbers and adds ``mc_se``.
    """
    if method not in ("expected", "simulate"):
        raise ValueError("method must be 'expected' or 'simulate'")
    seed = resolve_seed(seed)
    H = scenario.horizon_months
    rows = []
    for c in levels:
        base = _with_churn(scenario, float(c))
        if method == "expected":
            b = _expected(base)["arr"].iloc[H]
        else:
            b = simulate(base, paths=paths, seed=seed)["arr"][:, H]
        for name in levers:
            lv = _lever(name)
            x = (
                float(step.get(name, lv.default))
                if isinstance(step, Mapping)
                else (float(step) if lv.unit == "relative" else lv.default)
            )
            try:
                changed = apply_lever(base, name, x)
            except ValueError as e:
                raise ValueError(
                    f"{e}: marginal_value needs the lever to apply (for expansion_rel, "
                    "give the scenario some expansion, or use expansion_pt)"
                ) from None
            row = {"churn": float(c), "lever": name, "label": lv.describe(x), "step": x}
            if method == "expected":
                a = _expected(changed)["arr"].iloc[H]
                row.update(arr_base=float(b), arr_after=float(a), gain=float(a - b))
            else:
                d = simulate(changed, paths=paths, seed=seed)["arr"][:, H] - b
                row.update(
                    arr_base=float(b.mean()),
                    arr_after=float(b.mean() + d.mean()),
                    gain=float(d.mean()),
                    mc_se=float(d.std(ddof=1) / math.sqrt(d.size)),
                )
            row["gain_pct"] = row["gain"] / row["arr_base"]
            row["gain_per_unit"] = row["gain"] / x
            rows.append(row)
    return MarginalValue(scenario, pd.DataFrame(rows), method)
