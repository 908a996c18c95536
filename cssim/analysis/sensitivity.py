"""Which uncertain inputs matter: a one-at-a-time tornado and global measures from one Monte Carlo run.

* :func:`tornado` moves each uncertain input (:meth:`Scenario.uncertain`) to its P10 and its P90 with every
  other input at its median, and reports the metric at a month. By default it uses :func:`cssim.expected`
  with every input fixed (a deterministic expected path: no Monte Carlo error, milliseconds per input);
  ``method="simulate"`` instead averages a Monte Carlo run on common random numbers.
* :func:`global_sensitivity` runs the Monte Carlo once with all inputs uncertain together and relates
  each input's per-path draw (:meth:`SimulationResult.parameters`) to the metric: the Spearman rank
  correlation and the first-order index ``S_i = Var(E[Y | X_i]) / Var(Y)`` by SALib's RBD-FAST on the
  run's own draws. ``Y`` includes process noise, so the indices of the inputs sum to at most about
  ``1 - share of process noise``. :func:`cssim.sensitivity` (:mod:`cssim.analysis.indices`) gives
  the indices of the expected metric, with intervals, and Sobol total indices.
"""

from __future__ import annotations

import math
import re
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ..model.display import compact_money as _money
from ..model.edits import PathError
from ..model.engine import simulate
from ..model.errors import Problem
from ..model.expected import expected
from ..model.metrics import METRICS
from ..model.randomness import resolve_seed
from ..model.result import TOTAL
from ..model.scenario import Scenario
from .metric_values import metric_value

__all__ = ["GlobalSensitivity", "Tornado", "fix_inputs", "global_sensitivity", "tornado"]


def _expected(scenario: Scenario, segment: str = TOTAL):
    """:func:`cssim.expected`, without numpy's warnings about ratios that have no value before month 12."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Mean of empty slice", RuntimeWarning)
        return expected(scenario, segment=segment)


def _field(scenario: Scenario, path: str) -> tuple:
    """``SMB.churn.monthly`` -> ``("segments", 0, "churn", "monthly")`` (segment names may hold dots);
    list items by index: ``SMB.cs.response[0].max`` -> ``(..., "cs", "response", 0, "max")``."""
    for name in sorted(scenario.segment_names, key=len, reverse=True):
        if path.startswith(name + "."):
            rest = [
                int(part) if part.isdigit() else part
                for part in re.split(r"\.|\[(\d+)\]\.?", path[len(name) + 1 :])
                if part
            ]
            return ("segments", scenario.segment_names.index(name), *rest)
    raise PathError(
        scenario.name,
        [
            Problem(
                path,
                "does not start with a segment name; segments: "
                + ", ".join(repr(n) for n in scenario.segment_names),
            )
        ],
    )


def fix_inputs(scenario: Scenario, values: dict[str, float]) -> Scenario:
    """The scenario with uncertain inputs (by path, as in :meth:`Scenario.uncertain`) set to numbers.

    A parameter its segment's ``joint`` draws leaves the joint (the others keep their marginal normal),
    and the ``correlations`` that name a fixed parameter go (the others keep theirs).
    """
    changes: dict = {}
    if scenario.correlations:
        kept = [
            c.model_dump() for c in scenario.correlations if c.a not in values and c.b not in values
        ]
        if len(kept) < len(scenario.correlations):
            changes["correlations"] = kept or None
    fixed: dict[int, set[str]] = {}
    for path, v in values.items():
        field = _field(scenario, path)
        changes[field] = round(float(v)) if path.endswith(".customers") else float(v)
        fixed.setdefault(field[1], set()).add(".".join(field[2:]))
    for i, names in fixed.items():
        joint = scenario.segments[i].joint
        if joint is not None and names & set(joint.parameters):
            changes[("segments", i, "joint")] = joint.without(names)
    return scenario.replace(changes)


def _value(
    scenario: Scenario, metric: str, month: int, segment: str, method: str, paths: int, seed: int
) -> float:
    if method == "expected":
        return float(_expected(scenario, segment)[metric].iloc[month])
    return float(
        np.nanmean(simulate(scenario, paths=paths, seed=seed).get(metric, segment)[:, month])
    )


@dataclass
class Tornado:
    """One-at-a-time sensitivity (:func:`tornado`). ``frame`` has one row per input, widest first."""

    scenario: Scenario
    metric: str
    month: int
    base: float
    frame: pd.DataFrame
    method: str

    def to_frame(self) -> pd.DataFrame:
        return self.frame.copy()

    def plot(self, ax=None, lang: str | None = None):
        """The tornado chart: bars from the all-medians value to the value at each input's P10 and P90.

        Drawn once in ``lang``: inputs by their human names with their P10 and P90
        (``SMB: monthly churn (2.00% – 4.00%)``), money ticks through the one money formatter.
        """
        import matplotlib.pyplot as plt

        from ..words.chart_text import chart_text, money_ticks
        from ..words.fonts import use_fonts
        from ..words.labels import format_parameter, metric_label, parameter_label
        from ..words.plaintext import finish_axes, plain

        use_fonts()  # Japanese names render (IPAexGothic after the Latin font)
        _ = chart_text(lang)
        label = metric_label(self.metric, lang)
        s = self.scenario
        df = self.frame.iloc[::-1]
        own = ax is None
        if ax is None:
            _fig, ax = plt.subplots(figsize=(7, 0.5 * len(df) + 1.2))
        y = np.arange(len(df))
        ax.barh(
            y, df["at_p10"] - self.base, left=self.base, color="#b03a2e", label=_("input at P10")
        )
        ax.barh(
            y, df["at_p90"] - self.base, left=self.base, color="#2a7f62", label=_("input at P90")
        )
        ax.set_yticks(
            y,
            [
                f"{parameter_label(r.input, s, lang)}\n({format_parameter(r.input, r.p10, s, lang)}"
                f" – {format_parameter(r.input, r.p90, s, lang)})"
                for r in df.itertuples()
            ],
        )
        ax.axvline(self.base, color="black", lw=0.8)
        if METRICS[self.metric].unit == "currency":
            ax.xaxis.set_major_formatter(money_ticks(s.currency, lang))
        ax.set_xlabel(
            _(
                "{metric} at month {month} (others at their medians)",
                metric=label,
                month=self.month,
            )
        )
        ax.set_title(_("{scenario}: what drives {metric}", scenario=plain(s.name), metric=label))
        ax.legend(loc="lower right", fontsize="small")
        return finish_axes(ax, own)

    def __repr__(self) -> str:
        lines = [
            f"<Tornado {self.scenario.name!r}: {self.metric} at month {self.month} ({self.method}), "
            f"all medians {_money(self.base)}"
        ]
        lines += [
            f"  {r.input}: {_money(r.at_p10)} .. {_money(r.at_p90)} (spread {_money(r.spread)})"
            for r in self.frame.itertuples()
        ]
        return "\n".join(lines) + ">"

    def _repr_html_(self) -> str:
        return self.to_html()

    def to_html(self, lang: str | None = None) -> str:
        """The tornado as an HTML table in ``lang`` (what a notebook shows): each input by its name
        with its P10 and P90, the metric at each, and the spread; widest first."""
        from ..words.i18n import Translator
        from ..words.labels import format_parameter, metric_label, parameter_label
        from ..words.tables import html_table

        _ = Translator(lang or "en")
        s = self.scenario

        def value(x: float) -> str:
            return metric_value(x, self.metric, lang, s.currency)

        rows = [
            (
                parameter_label(r.input, s, lang),
                f"{format_parameter(r.input, r.p10, s, lang)} – "
                f"{format_parameter(r.input, r.p90, s, lang)}",
                value(r.at_p10),
                value(r.at_p90),
                value(r.spread),
            )
            for r in self.frame.itertuples()
        ]
        columns = (_("Parameter"), "P10 – P90", _("input at P10"), _("input at P90"), _("spread"))
        cap = _(
            "Tornado: {metric} at month {month}; every input at its median: {base}",
            metric=metric_label(self.metric, lang),
            month=self.month,
            base=value(self.base),
        )
        return html_table(rows, columns, caption=cap)


def tornado(
    scenario: Scenario,
    metric: str = "arr",
    month: int | None = None,
    paths: int = 2000,
    seed: int | None = 42,
    *,
    segment: str = TOTAL,
    method: str = "expected",
) -> Tornado:
    """Each uncertain input at its P10 and P90, the others at their medians.

    Parameters
    ----------
    metric : str
        Any metric of :data:`cssim.metrics.METRICS` (default ARR); ``month`` defaults to the horizon.
    method : "expected" or "simulate"
        ``expected`` (default): :func:`cssim.expected` with every input fixed, deterministic (``paths`` and
        ``seed`` unused). ``simulate``: the mean over ``paths`` Monte Carlo paths on common random numbers.

    Returns
    -------
    Tornado
        ``frame`` columns ``input, p10, median, p90, at_p10, at_p90, spread`` (``|at_p90 - at_p10|``),
        sorted by spread, widest first.
    """
    if method not in ("expected", "simulate"):
        raise ValueError("method must be 'expected' or 'simulate'")
    seed = resolve_seed(seed)
    month = scenario.horizon_months if month is None else month
    unc = scenario.uncertain()
    medians = {p: d.median() for p, d in unc.items()}
    run = lambda s: _value(s, metric, month, segment, method, paths, seed)  # noqa: E731
    base = run(fix_inputs(scenario, medians))
    rows = []
    for path, d in unc.items():
        lo, hi = float(d.ppf(0.1)), float(d.ppf(0.9))
        at_lo = run(fix_inputs(scenario, {**medians, path: lo}))
        at_hi = run(fix_inputs(scenario, {**medians, path: hi}))
        rows.append(
            {
                "input": path,
                "p10": lo,
                "median": medians[path],
                "p90": hi,
                "at_p10": at_lo,
                "at_p90": at_hi,
                "spread": abs(at_hi - at_lo),
            }
        )
    cols = ["input", "p10", "median", "p90", "at_p10", "at_p90", "spread"]
    frame = pd.DataFrame(rows, columns=cols).sort_values("spread", ascending=False, kind="stable")
    return Tornado(scenario, metric, month, base, frame.reset_index(drop=True), method)


# -- global: all inputs together, one Monte Carlo run ----------------------------------------------------


@dataclass
class GlobalSensitivity:
    """All uncertain inputs together (:func:`global_sensitivity`)."""

    scenario: Scenario
    metric: str
    month: int
    paths: int
    seed: int
    frame: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        return self.frame.copy()

    def plot(self, ax=None, lang: str | None = None):
        """Spearman correlation and first-order index per input, side by side; returns the axes.

        Inputs are named for people in ``lang`` (English by default), as are the titles and legend.
        """
        import matplotlib.pyplot as plt

        from ..words import formatting as fm
        from ..words.chart_text import chart_text
        from ..words.fonts import use_fonts
        from ..words.labels import metric_label, parameter_label
        from ..words.plaintext import finish_axes

        use_fonts()  # Japanese names render (IPAexGothic after the Latin font)
        _ = chart_text(lang)
        label = metric_label(self.metric, lang)

        df = self.frame.iloc[::-1]
        own = ax is None
        if ax is None:
            _fig, ax = plt.subplots(figsize=(7, 0.5 * len(df) + 1.2))
        y = np.arange(len(df))
        ax.barh(
            y + 0.2,
            df["spearman"],
            height=0.4,
            xerr=2 * df["spearman_se"],
            color="#3b6ea5",
            label=_("Spearman rank correlation (±2 se)"),
        )
        ax.barh(
            y - 0.2,
            df["first_order"],
            height=0.4,
            xerr=2 * df["first_order_se"],
            color="#e0a030",
            label=_("first-order index Var(E[Y|X])/Var(Y) (±2 se)"),
        )
        ax.set_yticks(y, [parameter_label(p, self.scenario, lang) for p in df["input"]])
        ax.axvline(0, color="grey", lw=0.8)
        ax.set_xlim(-1.05, 1.05)
        ax.set_xlabel(_("{metric} at month {month}", metric=label, month=self.month))
        ax.legend(loc="lower right", fontsize="small")
        ax.set_title(
            _(
                "{scenario}: global sensitivity ({paths} paths)",
                scenario=self.scenario.name,
                paths=fm.count(self.paths, lang),
            )
        )
        return finish_axes(ax, own)

    def __repr__(self) -> str:
        lines = [
            f"<GlobalSensitivity {self.scenario.name!r}: {self.metric} at month {self.month}, "
            f"{self.paths:,} paths, seed {self.seed}"
        ]
        lines += [
            f"  {r.input}: rho {r.spearman:+.3f} (se {r.spearman_se:.3f}), "
            f"S1 {r.first_order:.3f} (se {r.first_order_se:.3f})"
            for r in self.frame.itertuples()
        ]
        return "\n".join(lines) + ">"

    def _repr_html_(self) -> str:
        return self.to_html()

    def to_html(self, lang: str | None = None) -> str:
        """The rank correlations and first-order indices as an HTML table in ``lang`` (what a notebook
        shows), through :func:`cssim.words.tables.table`."""
        from ..words import formatting as fm
        from ..words.i18n import Translator
        from ..words.labels import metric_label
        from ..words.tables import table

        _ = Translator(lang or "en")
        cap = _(
            "Global sensitivity of {metric} at month {month} ({paths} paths)",
            metric=metric_label(self.metric, lang),
            month=self.month,
            paths=fm.count(self.paths, lang),
        )
        return table(self.frame, lang, scenario=self.scenario).set_caption(cap).to_html()


def global_sensitivity(
    scenario: Scenario,
    metric: str = "arr",
    month: int | None = None,
    paths: int = 2000,
    seed: int | None = 42,
    *,
    segment: str = TOTAL,
    bins: int = 10,
    bootstrap: int = 200,
) -> GlobalSensitivity:
    """Rank correlation and first-order index of each uncertain input, from one Monte Carlo run.

    ``spearman_se`` is the large-sample standard error ``(1 - rho^2) sqrt(1.06 / (n - 3))`` (Fieller et al.
    1957, via Fisher's z). ``first_order`` is SALib's RBD-FAST estimate (Plischke 2010, bias-corrected)
    summing ``bins`` harmonics, valid on any sample (correlated inputs included); ``first_order_se``
    its bootstrap standard error over ``bootstrap`` resamples (its own stream from ``seed``; the
    simulation's numbers are untouched).
    """
    seed = resolve_seed(seed)
    month = scenario.horizon_months if month is None else month
    result = simulate(scenario, paths=paths, seed=seed)
    y = result.get(metric, segment)[:, month]
    X = result.parameters()
    keep = np.isfinite(y)
    y = y[keep]
    n = y.size
    from SALib.analyze import rbd_fast

    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0xB007,)))
    rows = []
    for path in X.columns:
        x = X[path].to_numpy()[keep]
        if np.ptp(x) == 0 or np.ptp(y) == 0:
            rho = s1 = np.nan
            s1_se = np.nan
        else:
            rho = float(stats.spearmanr(x, y).statistic)
            si = rbd_fast.analyze(
                {"num_vars": 1, "names": [path]},
                x[:, None],
                y,
                M=bins,
                num_resamples=max(bootstrap, 2),
                conf_level=0.95,
                seed=rng,
            )
            s1 = float(si["S1"][0])
            s1_se = float(si["S1_conf"][0]) / stats.norm.ppf(0.975) if bootstrap > 1 else np.nan
        rows.append(
            {
                "input": path,
                "spearman": rho,
                "spearman_se": (1 - rho**2) * math.sqrt(1.06 / (n - 3)) if n > 3 else np.nan,
                "first_order": s1,
                "first_order_se": s1_se,
            }
        )
    frame = pd.DataFrame(
        rows, columns=["input", "spearman", "spearman_se", "first_order", "first_order_se"]
    )
    frame = frame.reindex(frame["spearman"].abs().sort_values(ascending=False).index)
    return GlobalSensitivity(scenario, metric, month, paths, seed, frame.reset_index(drop=True))
