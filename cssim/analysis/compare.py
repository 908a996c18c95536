"""Compare scenarios on common random numbers: the difference per path, and how often B beats A.

>>> import cssim
>>> from cssim.analysis.compare import compare
>>> a = cssim.load_scenario("scenarios/growth-vs-churn.yaml")
>>> b = a.replace({"segments.0.churn.monthly": 0.02})
>>> c = compare([a, b], paths=2_000, seed=42)
>>> bool(c.p_beats()["B"] > 0.99)
True

Every scenario runs with the same seed and paths, so path i of each run shares its random numbers (the
engine keys every stream by segment name and purpose, and draws by inverse CDF). The difference
``B_i - A_i`` per path is then the scenarios' doing, not noise: identical scenarios differ by exactly zero,
and the spread of the differences is far narrower than between two independently seeded runs
(:meth:`Comparison.crn_gain` measures by how much).
"""

from __future__ import annotations

import string
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..model.arrays import binomial_se
from ..model.display import compact_money as _money
from ..model.engine import simulate
from ..model.metrics import METRICS
from ..model.result import SimulationResult
from ..model.scenario import Scenario
from .metric_values import metric_value

__all__ = ["LOWER_IS_BETTER", "Comparison", "compare"]

#: Metrics where a smaller value is the better outcome ("B beats A" means B < A).
LOWER_IS_BETTER = frozenset(
    {
        "churned_customers",
        "churned_mrr",
        "contraction_mrr",
        "logo_churn_rate",
        "gross_mrr_churn_rate",
        "net_mrr_churn_rate",
        "cac_spend",
        "csms",
        "crc",
        "cac_payback",
    }
)


def compare(
    scenarios: Sequence[Scenario],
    paths: int = 10_000,
    seed: int = 42,
    metric: str = "arr",
    month: int | None = None,
    labels: Sequence[str] | None = None,
    executor=None,
) -> Comparison:
    """Simulate every scenario on common random numbers and compare each with the first.

    Parameters
    ----------
    scenarios : sequence of Scenario
        ``A`` (the reference) first, then one or more alternatives ``B``, ``C``, ...
    paths, seed : int
        The same for every scenario: that is what makes the random numbers common.
    metric : str
        A name from :data:`cssim.metrics.METRICS` (default ``arr``).
    month : int, optional
        The month compared; default the horizon (the shortest horizon when they differ).
    labels : sequence of str, optional
        Short names; default ``A``, ``B``, ...
    executor : concurrent.futures.Executor, optional
        Passed to :func:`cssim.simulate`; the numbers do not change.

    Returns
    -------
    Comparison
    """
    scenarios = list(scenarios)
    if len(scenarios) < 2:
        raise ValueError(
            "compare needs at least two scenarios: the reference A and an alternative B"
        )
    if metric not in METRICS:
        raise KeyError(f"unknown metric {metric!r}; metrics: {', '.join(METRICS)}")
    labels = list(labels) if labels is not None else list(string.ascii_uppercase[: len(scenarios)])
    if len(labels) != len(scenarios) or len(set(labels)) != len(labels):
        raise ValueError(f"need {len(scenarios)} distinct labels, got {labels}")
    horizon = min(s.horizon_months for s in scenarios)
    month = horizon if month is None else int(month)
    if not 0 <= month <= horizon:
        raise ValueError(f"month {month} is outside 0..{horizon} (the shortest horizon)")
    results = [simulate(s, paths=paths, seed=seed, executor=executor) for s in scenarios]
    return Comparison(results, labels, metric, month)


class Comparison:
    """Scenarios ``B, C, ...`` against ``A`` on common random numbers, at one month.

    Attributes
    ----------
    results : list of SimulationResult
        One per scenario, same seed and paths.
    labels : list of str
    metric : str
    month : int
    values : dict
        label -> the metric at ``month`` per path, shape (paths,).
    differences : dict
        label -> ``values[label] - values[A]`` per path, for every label but A.
    """

    def __init__(self, results: list[SimulationResult], labels: list[str], metric: str, month: int):
        self.results = results
        self.labels = labels
        self.metric = metric
        self.month = month
        self.paths = results[0].paths
        self.seed = results[0].seed
        self.values = {lab: r[metric][:, month] for lab, r in zip(labels, results, strict=True)}
        ref = self.values[labels[0]]
        self.differences = {lab: self.values[lab] - ref for lab in labels[1:]}
        self.lower_is_better = metric in LOWER_IS_BETTER

    @property
    def reference(self) -> str:
        return self.labels[0]

    def p_beats(self) -> pd.Series:
        """P(B beats A) per alternative: the share of paths where B is strictly better (ties lose)."""
        return self.summary().set_index("label")["p_beats"]

    def summary(self, q: Sequence[float] = (0.1, 0.5, 0.9)) -> pd.DataFrame:
        """One row per alternative: the difference's mean (with its standard error) and quantiles, and
        P(B beats A) with its binomial standard error ``sqrt(p (1 - p) / paths)``.

        With ``p`` of 0 or 1 the standard error is 0; the rule of three then bounds the truth by
        ``3 / paths`` (95%).
        """
        rows = []
        for lab, d in self.differences.items():
            d = d[np.isfinite(d)]
            n = d.size
            better = d < 0 if self.lower_is_better else d > 0
            p = float(better.mean()) if n else np.nan
            row = {
                "label": lab,
                "scenario": self._name(lab),
                "metric": self.metric,
                "month": self.month,
                "paths": n,
                "mean_diff": float(d.mean()) if n else np.nan,
                "mean_diff_se": float(d.std(ddof=1) / np.sqrt(n)) if n > 1 else np.nan,
                "sd_diff": float(d.std(ddof=1)) if n > 1 else np.nan,
            }
            for x in q:
                row[f"p{round(100 * x):02d}_diff"] = float(np.quantile(d, x)) if n else np.nan
            row["p_beats"] = p
            row["p_beats_se"] = binomial_se(p, n)
            row["p_tie"] = float(np.mean(d == 0)) if n else np.nan
            rows.append(row)
        return pd.DataFrame(rows)

    def quantiles(
        self, q: Sequence[float] = (0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95)
    ) -> pd.DataFrame:
        """Quantiles of each difference ``B - A`` (rows: alternatives, columns: quantiles)."""
        return pd.DataFrame(
            {
                f"p{round(100 * x):02d}": [
                    float(np.nanquantile(d, x)) for d in self.differences.values()
                ]
                for x in q
            },
            index=pd.Index(list(self.differences), name="label"),
        )

    def crn_gain(self, seed: int | None = None) -> pd.DataFrame:
        """How much common random numbers narrow the difference, against independent seeds.

        Reruns each alternative with ``seed`` (default: fresh entropy, recorded in the output) instead of
        the shared one and compares the standard deviation of ``B - A`` per path: ``ratio`` is
        sd(independent) / sd(CRN). For identical scenarios the CRN sd is 0 and the ratio infinite.
        """
        rows = []
        for lab, r in zip(self.labels[1:], self.results[1:], strict=True):
            other = simulate(r.scenario, paths=self.paths, seed=seed)
            d_ind = other[self.metric][:, self.month] - self.values[self.reference]
            sd_crn = float(np.nanstd(self.differences[lab], ddof=1))
            sd_ind = float(np.nanstd(d_ind, ddof=1))
            rows.append(
                {
                    "label": lab,
                    "sd_crn": sd_crn,
                    "sd_independent": sd_ind,
                    "ratio": sd_ind / sd_crn if sd_crn > 0 else np.inf,
                    "independent_seed": other.seed,
                }
            )
        return pd.DataFrame(rows)

    def _name(self, label: str) -> str:
        return self.results[self.labels.index(label)].scenario.name

    # -- display ------------------------------------------------------------------------------------
    def plot(self, axes=None, lang: str | None = None):
        """Fans of every scenario side by side with the histogram of ``B - A`` per path.

        Parameters
        ----------
        axes : pair of matplotlib Axes, optional
            Where to draw (fans, histogram); default a new figure.
        lang : {"en", "ja"}, optional
            Language of titles, axis labels, legend and money ticks (default English).

        Returns
        -------
        numpy array of the two Axes
        """
        from ..words.chart_text import chart_text, money_ticks
        from ..words.fonts import use_fonts
        from ..words.labels import metric_label

        use_fonts()  # Japanese names render (IPAexGothic after the Latin font)
        _ = chart_text(lang)
        if axes is None:
            from matplotlib.figure import Figure

            fig = Figure(figsize=(11, 3.8), layout="constrained")
            axes = fig.subplots(1, 2)
        ax_fan, ax_hist = axes
        label = metric_label(self.metric, lang)
        colors = [f"C{i}" for i in range(len(self.labels))]
        for lab, r, c in zip(self.labels, self.results, colors, strict=True):
            q10, q50, q90 = np.nanquantile(r[self.metric], (0.1, 0.5, 0.9), axis=0)
            ax_fan.fill_between(r.months, q10, q90, color=c, alpha=0.18, lw=0)
            ax_fan.plot(r.months, q50, color=c, lw=2, label=f"{lab}: {r.scenario.name[:70]}")
        ax_fan.axvline(self.month, color="0.5", lw=0.8, ls=":")
        ax_fan.set(title=_("{metric}: median and P10-P90", metric=label), xlabel=_("month"))
        ax_fan.legend(fontsize=8, frameon=False)
        money = METRICS[self.metric].unit == "currency"
        if money:
            fmt = money_ticks(self.results[0].scenario.currency, lang)
            ax_fan.yaxis.set_major_formatter(fmt)
            ax_hist.xaxis.set_major_formatter(fmt)
        lo, hi = np.inf, -np.inf
        for (lab, d), c in zip(self.differences.items(), colors[1:], strict=True):
            d = d[np.isfinite(d)]
            vals, counts = np.unique(d, return_counts=True)
            if len(vals) <= 80:  # few distinct values (counts, MRR in ARPA steps): one bar each
                width = 0.8 * (np.min(np.diff(vals)) if len(vals) > 1 else max(abs(vals[0]), 1.0))
                ax_hist.bar(
                    vals, counts, width=width, color=c, alpha=0.6, label=f"{lab} - {self.reference}"
                )
            else:
                ax_hist.hist(d, bins=50, color=c, alpha=0.6, label=f"{lab} - {self.reference}")
            ax_hist.axvline(np.median(d), color=c, lw=1.5)
            lo, hi = min(lo, d.min()), max(hi, d.max())
        if lo <= 0 <= hi:
            ax_hist.axvline(0, color="k", lw=1)  # "no difference", when some paths are on each side
        s = self.summary()
        text = "\n".join(
            _(
                "P({b} beats {a}) = {p}",
                b=r.label,
                a=self.reference,
                p=_p(r.p_beats, r.p_beats_se, r.paths, _.lang),
            )
            for r in s.itertuples()
        )
        ax_hist.set(
            title=_(
                "{metric} difference per path at month {month} (same random numbers)",
                metric=label,
                month=self.month,
            ),
            xlabel=_("{metric} difference", metric=label),
            ylabel=_("paths"),
        )
        ax_hist.title.set_fontsize(10)
        ax_hist.margins(y=0.18)
        ax_hist.text(
            0.02,
            0.97,
            text,
            transform=ax_hist.transAxes,
            va="top",
            fontsize=9,
            bbox={"facecolor": "white", "alpha": 0.85, "edgecolor": "none"},
        )
        ax_hist.legend(fontsize=8, frameon=False, loc="upper right")
        from ..words.plaintext import plain_figure

        plain_figure(ax_hist)  # scenario names are text, never TeX
        return np.asarray(axes)

    def __repr__(self) -> str:
        lines = [
            f"<Comparison of {self.metric} at month {self.month}: {self.paths:,} paths, seed "
            f"{self.seed}, common random numbers; A = {self._name(self.reference)!r}"
        ]
        for r in self.summary().itertuples():
            lines.append(
                f"  {r.label} = {r.scenario!r}: median {r.label} - A {_fmt(self.metric, r.p50_diff)} "
                f"(P10 {_fmt(self.metric, r.p10_diff)}, P90 {_fmt(self.metric, r.p90_diff)}); "
                f"P({r.label} beats A) {_p(r.p_beats, r.p_beats_se, r.paths)}"
            )
        return "\n".join(lines) + ">"

    def _repr_html_(self) -> str:
        return self.to_html()

    def to_html(self, lang: str | None = None) -> str:
        """The comparison as an HTML table (what a notebook shows), in ``lang`` (English by default)."""
        from ..words.tables import html_table

        cap, columns, rows = self._table(lang)
        return html_table(rows, columns, caption=cap)

    def text(self, lang: str | None = None) -> str:
        """The comparison as lines of text for a terminal, in ``lang`` (what ``cssim compare`` prints;
        the ``repr`` stays English): the caption, then each scenario's figures by column."""
        cap, columns, rows = self._table(lang)
        lines = [cap]
        for first, *cells in rows:
            lines.append(f"  {first}")
            lines += [f"    {c}: {v}" for c, v in zip(columns[1:], cells, strict=True)]
        return "\n".join(lines)

    def _table(self, lang: str | None) -> tuple[str, tuple[str, ...], list[tuple]]:
        """The caption, columns and rows of :meth:`to_html` and :meth:`text`."""
        from ..words import formatting as fm
        from ..words.i18n import Translator
        from ..words.labels import metric_label

        _ = Translator(lang or "en")
        currency = self.results[0].scenario.currency

        def diff(x: float) -> str:
            return metric_value(x, self.metric, lang, currency, sign=True)

        def size(x: float) -> str:
            """A standard error: a size, without the sign a difference carries."""
            return metric_value(x, self.metric, lang, currency)

        columns = (
            _("Scenario"),
            _("Median diff."),
            "P10",
            "P90",
            _("Mean diff. (± se)"),
            _("P(beats A) (± se)"),
        )
        rows = [
            (
                f"{r.label}: {r.scenario}",
                diff(r.p50_diff),
                diff(r.p10_diff),
                diff(r.p90_diff),
                f"{diff(r.mean_diff)} ± {size(r.mean_diff_se)}",
                _p(r.p_beats, r.p_beats_se, r.paths, lang),
            )
            for r in self.summary().itertuples()
        ]
        cap = _(
            "{metric} at month {month}, each scenario minus A ({reference}); {paths} paths, seed "
            "{seed}, common random numbers",
            metric=metric_label(self.metric, lang),
            month=self.month,
            reference=self._name(self.reference),
            paths=fm.count(self.paths, lang),
            seed=self.seed,
        )
        return cap, columns, rows


def _fmt(metric: str, x: float) -> str:
    if not np.isfinite(x):
        return "n/a"
    unit = METRICS[metric].unit
    if unit == "currency":
        return ("-" if x < 0 else "+") + _money(abs(x)) if x else "0"
    if unit == "ratio":
        return f"{x:+.3g}"
    return f"{x:+,.4g}"


def _p(p: float, se: float, n: int, lang: str | None = None) -> str:
    """A probability with its standard error; at 0 or 1, the rule-of-three bound instead."""
    from ..words import formatting as fm
    from ..words.i18n import Translator

    _ = Translator(lang)
    if p == 1:
        return _(
            "100% of {paths} paths (> {bound} at 95%)",
            paths=fm.count(n, lang),
            bound=fm.percent(1 - 3 / n, lang, 2),
        )
    if p == 0:
        return _(
            "0 of {paths} paths (< {bound} at 95%)",
            paths=fm.count(n, lang),
            bound=fm.percent(3 / n, lang, 2),
        )
    return f"{fm.percent(p, lang, 1)} ± {fm.percent(se, lang, 1)}"
