"""What :func:`cssim.levers` returns: each lever's effect per path, its tables, its chart and its faces.

The effect of a lever is the per-path difference ``lever - base`` on common random numbers
(:mod:`cssim.analysis.levers`), at the horizon month H, on the outcomes of :data:`EFFECT_METRICS`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..model.arrays import binomial_se, mean_se
from ..model.display import compact_money as _money
from ..model.scenario import Scenario
from ..words.i18n import N_
from .lever_rules import LEVERS

__all__ = ["ALL", "EFFECT_METRICS", "LeverResult"]

#: The segment name of a lever pulled in every segment at once.
ALL = "all"
#: The outcomes a lever's effect is reported on, at the horizon month H: ARR, NRR (trailing 12
#: months), gross profit in month H, gross profit over months 1..H, customers.
EFFECT_METRICS = ("arr", "nrr", "gross_profit", "gross_profit_cum", "customers")
#: The outcomes counted in money (the others are a ratio and a count).
MONEY_METRICS = ("arr", "gross_profit", "gross_profit_cum")
#: The outcome that is not a metric of :data:`cssim.model.metrics.METRICS`, by name for people.
_CUMULATIVE = {"gross_profit_cum": N_("Gross profit over the horizon (cumulative)")}


def outcome_label(metric: str, lang: str | None = None) -> str:
    """A lever outcome's name for people: the metric's label, or the cumulative gross profit's."""
    from ..words.i18n import Translator
    from ..words.labels import metric_label

    if metric in _CUMULATIVE:
        return Translator(lang or "en")(_CUMULATIVE[metric])
    return metric_label(metric, lang)


def _mean(a: np.ndarray) -> float:
    """The mean of the values that are numbers; NaN, without numpy's warning, when there are none
    (NRR where the base has no MRR a year before)."""
    a = np.asarray(a, dtype=float)
    a = a[~np.isnan(a)]
    return float(a.mean()) if a.size else math.nan


def _stats(d: np.ndarray) -> dict:
    d = d[np.isfinite(d)]
    if d.size == 0:
        return dict.fromkeys(("mean", "median", "p10", "p90", "mc_se"), np.nan)
    return {
        "mean": float(d.mean()),
        "median": float(np.median(d)),
        "p10": float(np.quantile(d, 0.1)),
        "p90": float(np.quantile(d, 0.9)),
        "mc_se": mean_se(d),
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
        The lever sizes, their names in English (the ``label`` column of :meth:`to_frame`;
        :meth:`names` gives them in any language) and monthly costs (levers with a cost get an ROI).
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
                        "base": _mean(self.base[metric]),
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

    def levels(self, metric: str = "arr", segment: str = ALL) -> pd.DataFrame:
        """The outcome itself with each lever pulled (base + effect, per path), in :meth:`ranked` order.

        Columns ``lever``, ``median``, ``p10``, ``p90`` of the outcome with the lever and
        ``base_median``, the outcome's median without it (on the same paths): e.g. ARR at the horizon
        with churn 1 point lower, to set beside today's ARR.
        """
        base = np.asarray(self.base[metric], dtype=float)
        rows = []
        for name in self.ranked(metric, segment)["lever"]:
            level = base + self.effects[(name, segment)][metric]
            st = _stats(level)
            rows.append(
                {
                    "lever": name,
                    "median": st["median"],
                    "p10": st["p10"],
                    "p90": st["p90"],
                    "base_median": _stats(base)["median"],
                }
            )
        return pd.DataFrame(rows, columns=["lever", "median", "p10", "p90", "base_median"])

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
                    "p_positive_se": binomial_se(p, r.size),
                }
            )
        return pd.DataFrame(rows)

    def names(self, lang: str | None = None) -> dict[str, str]:
        """Each lever at its size for people, in ``lang`` (:func:`cssim.words.labels.lever_label`)."""
        from ..words.labels import lever_label

        return {n: lever_label(n, s, LEVERS[n].unit, lang) for n, s in self.sizes.items()}

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

        Levers run top to bottom in :meth:`ranked` order (the order of the lever tables). Drawn once in
        ``lang`` (English by default): levers by their names (:meth:`names`), the outcome's name, money
        ticks for money outcomes (``3.52億円`` in Japanese). ``labels`` (by lever name), ``money`` (tick
        formatter), ``xlabel`` and ``title`` replace that text where given.
        """
        import matplotlib.pyplot as plt

        from ..words.chart_text import chart_text, money_ticks
        from ..words.fonts import use_fonts
        from ..words.plaintext import finish_axes

        use_fonts()  # Japanese names render (IPAexGothic after the Latin font)
        _ = chart_text(lang)
        names = self.names(lang) | dict(labels or {})
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
        ax.set_yticks(y, [names[n] for n in df["lever"]])
        ax.axvline(0, color="grey", lw=0.8)
        if metric in MONEY_METRICS:
            ax.xaxis.set_major_formatter(money_ticks(self.scenario.currency, lang, money))
        ax.set_xlabel(
            xlabel
            or _(
                "change in {metric} at month {month} (median, P10-P90)",
                metric=outcome_label(metric, lang),
                month=self.horizon,
            )
        )
        ax.set_title(
            title
            or _(
                "{scenario}: levers at month {month}",
                scenario=self.scenario.name,
                month=self.horizon,
            )
        )
        return finish_axes(ax, own)

    def __repr__(self) -> str:
        lines = [
            f"<LeverResult {self.scenario.name!r}: {self.paths:,} paths, seed {self.seed}, effect on "
            f"ARR at month {self.horizon} ({self.scenario.currency}), mean:"
        ]
        lines += [
            f"  {r.label}: {_money(r.mean)} (P10 {_money(r.p10)}, P90 {_money(r.p90)}, "
            f"se {_money(r.mc_se)})"
            for r in self.ranked().itertuples()
        ]
        return "\n".join(lines) + ">"

    def _repr_html_(self) -> str:
        return self.to_html()

    def to_html(self, lang: str | None = None) -> str:
        """The levers, best first, as an HTML table (what a notebook shows), in ``lang``."""
        from ..words.tables import html_table

        caption, rows = self._table(lang)
        return html_table(rows, caption=caption)

    def text(self, lang: str | None = None) -> str:
        """The levers, best first, as lines of text for a terminal, in ``lang`` (what ``cssim levers``
        prints; the ``repr`` stays English)."""
        caption, rows = self._table(lang)
        return "\n".join([caption, *(f"  {name}: {effect}" for name, effect in rows)])

    def _table(self, lang: str | None) -> tuple[str, list[tuple[str, str]]]:
        """The caption and ``(lever, effect)`` rows of :meth:`to_html` and :meth:`text`."""
        from ..words import formatting as fm
        from ..words.i18n import Translator

        _ = Translator(lang or "en")
        names = self.names(lang)

        def m(x: float) -> str:
            return fm.money(x, self.scenario.currency, lang)

        rows = [
            (
                names[r.lever],
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
        cap = _(
            "Levers: effect on ARR at month {month} ({currency}), mean over {paths} paths on common "
            "random numbers",
            month=self.horizon,
            currency=self.scenario.currency,
            paths=fm.count(self.paths, lang),
        )
        return cap, rows
