"""Global sensitivity on SALib: which uncertain assumptions drive a metric, with confidence intervals.

Both methods analyse the metric's expected value given the assumptions,
``f(theta) = E[Y | theta]`` (``Y`` the metric at a month, ``theta`` the uncertain parameters), which
:func:`cssim.model.expected.expected_at` computes exactly at any set of parameter values: process noise
(who churns, how many join) is averaged out, so an index is a share of the variance that the
assumptions cause, not diluted by chance.

* ``method="given"`` (the default): the run's own draws ``theta_1 .. theta_n`` (its sampling and its
  correlations) and ``f(theta_i)``, analysed by RBD-FAST, a given-data estimator of the first-order
  index ``S_i = Var(E[f | theta_i]) / Var(f)`` (Plischke 2010, bias-corrected by Tissot and Prieur
  2012, SALib's ``rbd_fast``): it needs no special design, so it is valid with correlated inputs (an
  index then includes what an input carries of its partners). Intervals by bootstrap. ``explained`` is
  ``Var(f) / Var(Y)`` on the run: the share of the simulated metric's variance the assumptions explain
  together, chance the rest.
* ``method="sobol"``: a Saltelli design of ``N (2D + 2)`` points (SALib's ``sobol`` sampler, scrambled,
  second-order terms included) in the uniforms each parameter is drawn from, ``f`` at each point, and
  SALib's ``sobol`` analysis: first-order ``S1`` and total ``ST`` indices with bootstrap intervals. It
  treats the inputs as independent (the scenario's correlations are left out, and said to be).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..model.engine import blocks, simulate
from ..model.expected import expected_at
from ..model.metrics import METRICS
from ..model.randomness import Streams, resolve_seed
from ..model.result import TOTAL
from ..model.scenario import Scenario

__all__ = ["METHODS", "SensitivityIndices", "run_uniforms", "saltelli_budget", "sensitivity"]

#: The methods of :func:`sensitivity`.
METHODS = ("given", "sobol")
#: Columns of :meth:`SensitivityIndices.to_frame` (and of ``cssim sensitivity``'s CSV).
COLUMNS = ["parameter", "label", "output", "S1", "S1_conf", "ST", "ST_conf", "spearman"]
_EDGE = 2.0**-53  # uniforms are kept inside (0, 1): a quantile function at 0 or 1 may be infinite


def saltelli_budget(scenario: Scenario, n: int) -> int:
    """Evaluations of a Saltelli design with second-order terms: ``N (2D + 2)``."""
    return n * (2 * len(scenario.uncertain()) + 2)


@dataclass
class SensitivityIndices:
    """What :func:`sensitivity` found: ``frame`` has one row per uncertain parameter (as
    :meth:`Scenario.uncertain` names it), columns ``S1, S1_conf, ST, ST_conf, spearman``, largest
    first-order index first; ``*_conf`` are half-widths of ``confidence`` intervals."""

    scenario: Scenario
    metric: str
    month: int
    segment: str
    method: str
    frame: pd.DataFrame
    evaluations: int
    confidence: float
    seed: int
    explained: float | None = None

    @property
    def correlated(self) -> bool:
        """The scenario has correlations (which ``sobol`` leaves out)."""
        return bool(self.scenario.correlations)

    @property
    def output(self) -> str:
        where = "" if self.segment == TOTAL else f"{self.segment}:"
        return f"{where}{self.metric}@{self.month}"

    def to_frame(self, lang: str | None = None) -> pd.DataFrame:
        """The indices with each parameter's name for people in ``lang`` and the output they are of."""
        from ..words.labels import parameter_label

        out = self.frame.copy()
        out.insert(1, "label", [parameter_label(p, self.scenario, lang) for p in out["parameter"]])
        out.insert(2, "output", self.output)
        return out[COLUMNS]

    def plot(self, ax=None, lang: str | None = None):
        """``S1`` (and ``ST`` for ``sobol``) per parameter with their intervals, drawn once in ``lang``."""
        import matplotlib.pyplot as plt

        from ..words import formatting as fm
        from ..words.chart_text import chart_text
        from ..words.fonts import use_fonts
        from ..words.labels import metric_label, parameter_label
        from ..words.plaintext import finish_axes, plain

        use_fonts()
        _ = chart_text(lang)
        df = self.frame.iloc[::-1]
        own = ax is None
        if ax is None:
            _fig, ax = plt.subplots(figsize=(7, 0.55 * len(df) + 1.4))
        y = np.arange(len(df))
        total = self.method == "sobol"
        h = 0.4 if total else 0.6
        ax.barh(
            y + (0.2 if total else 0),
            df["S1"],
            height=h,
            xerr=df["S1_conf"],
            color="#3b6ea5",
            label=_("first-order index S1 (on its own)"),
        )
        if total:
            ax.barh(
                y - 0.2,
                df["ST"],
                height=h,
                xerr=df["ST_conf"],
                color="#e0a030",
                label=_("total index ST (with its interactions)"),
            )
        ax.set_yticks(y, [parameter_label(p, self.scenario, lang) for p in df["parameter"]])
        ax.axvline(0, color="grey", lw=0.8)
        ax.set_xlim(-0.05, 1.05)
        ax.xaxis.set_major_formatter(lambda v, _pos: fm.percent(v, lang, 0))
        ax.set_xlabel(
            _(
                "share of the variance of expected {metric} at month {month} ({confidence} intervals)",
                metric=metric_label(self.metric, lang),
                month=self.month,
                confidence=fm.percent(self.confidence, lang, 0),
            )
        )
        ax.set_title(
            _(
                "{scenario}: which assumptions drive {metric}",
                scenario=plain(self.scenario.name),
                metric=metric_label(self.metric, lang),
            )
        )
        ax.legend(loc="lower right", fontsize="small")
        return finish_axes(ax, own)

    def __repr__(self) -> str:
        what = (
            f"RBD-FAST on {self.evaluations:,} draws of the run"
            if self.method == "given"
            else f"Sobol, Saltelli design of {self.evaluations:,} points"
        )
        lines = [f"<SensitivityIndices {self.scenario.name!r}: {self.output}, {what}>"]
        for r in self.frame.itertuples():
            st = "" if np.isnan(r.ST) else f", ST {r.ST:.3f} ± {r.ST_conf:.3f}"
            lines.append(f"  {r.parameter}: S1 {r.S1:.3f} ± {r.S1_conf:.3f}{st}")
        if self.explained is not None:
            lines.append(
                f"  the assumptions explain {self.explained:.0%} of the simulated variance"
            )
        if self.method == "sobol" and self.correlated:
            lines.append(
                "  inputs treated as independent: the scenario's correlations are left out"
            )
        return "\n".join(lines)


def run_uniforms(result) -> dict[str, np.ndarray]:
    """The uniforms a run's uncertain parameters were drawn from, per path (regenerated from the run's
    keyed streams, block by block, with its sampling and correlations)."""
    from ..model.design import ParameterDraws

    scenario = result.scenario
    names = list(scenario.uncertain())
    parts: dict[str, list] = {p: [] for p in names}
    owner = {}
    for i, seg in enumerate(scenario.segments):
        for p in names:
            if p.startswith(seg.name + ".") and p not in owner:
                owner[p] = (i, seg)
    for b, _first, size in blocks(result.paths):
        draws = ParameterDraws(scenario, [Streams(result.seed, b)], [size])
        for p in names:
            parts[p].append(draws.for_segment(*owner[p])(p))
    return {p: np.concatenate(v) for p, v in parts.items()}


def _expected_metric(scenario: Scenario, columns: dict, n: int, metric: str, month: int, segment):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return expected_at(scenario, columns, n).get(metric, segment)[:, month]


def sensitivity(
    scenario: Scenario,
    method: str = "given",
    metric: str = "arr",
    month: int | None = None,
    *,
    paths: int = 10_000,
    seed: int | None = 42,
    n: int = 1024,
    segment: str = TOTAL,
    result=None,
    confidence: float = 0.95,
    resamples: int = 200,
) -> SensitivityIndices:
    """Sobol-type indices of ``metric`` at ``month`` (default ARR at the horizon) on SALib.

    Parameters
    ----------
    method : "given" or "sobol"
        ``given``: RBD-FAST first-order indices from a run's own draws (``paths`` and ``seed``, or the
        ``result`` given); valid with correlated inputs. ``sobol``: first-order and total indices from a
        Saltelli design of ``n (2D + 2)`` evaluations of the expected path (``n`` a power of 2), inputs
        treated as independent.
    segment : a segment's name, or the total
    confidence : the level of the intervals (``S1_conf``, ``ST_conf`` are their half-widths)
    resamples : bootstrap resamples for the intervals (their own stream from ``seed``)

    Returns
    -------
    SensitivityIndices
    """
    from SALib.analyze import rbd_fast
    from SALib.analyze import sobol as sobol_analyze
    from SALib.sample import sobol as sobol_sample

    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}; metrics: {', '.join(METRICS)}")
    if result is not None:
        scenario = result.scenario
    names = list(scenario.uncertain())
    if not names:
        raise ValueError(
            f"{scenario.name} has no uncertain parameters: every assumption is a fixed number"
        )
    month = scenario.horizon_months if month is None else int(month)
    d = len(names)
    problem = {"num_vars": d, "names": names, "bounds": [[0.0, 1.0]] * d}
    explained = None
    spearman = np.full(d, np.nan)
    if method == "given":
        if result is None:
            result = simulate(scenario, paths=paths, seed=seed)
        seed = result.seed
        columns = run_uniforms(result)
        f = _expected_metric(scenario, columns, result.paths, metric, month, segment)
        x = result.parameters()[names].to_numpy()
        keep = np.isfinite(f)
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0x5A1,)))
        si = rbd_fast.analyze(
            problem, x[keep], f[keep], num_resamples=resamples, conf_level=confidence, seed=rng
        )
        st = st_conf = np.full(d, np.nan)
        y = result.get(metric, segment)[:, month]
        ok = np.isfinite(y)
        if np.var(y[ok]) > 0:
            explained = float(np.var(f[keep]) / np.var(y[ok]))
            from scipy.stats import spearmanr

            spearman = np.array(
                [
                    spearmanr(x[ok, i], y[ok]).statistic if np.ptp(x[ok, i]) else np.nan
                    for i in range(d)
                ]
            )
        evaluations = result.paths
    else:
        seed = resolve_seed(seed)
        u = sobol_sample.sample(problem, n, calc_second_order=True, scramble=True, seed=seed)
        u = np.clip(u, _EDGE, 1.0 - _EDGE)
        columns = {p: u[:, i] for i, p in enumerate(names)}
        f = _expected_metric(scenario, columns, len(u), metric, month, segment)  # independent u
        si = sobol_analyze.analyze(
            problem,
            f,
            calc_second_order=True,
            num_resamples=resamples,
            conf_level=confidence,
            seed=seed,
        )
        st, st_conf = np.asarray(si["ST"]), np.asarray(si["ST_conf"])
        evaluations = len(u)
    frame = pd.DataFrame(
        {
            "parameter": names,
            "S1": np.asarray(si["S1"], dtype=float),
            "S1_conf": np.asarray(si["S1_conf"], dtype=float),
            "ST": np.asarray(st, dtype=float),
            "ST_conf": np.asarray(st_conf, dtype=float),
            "spearman": spearman,
        }
    )
    frame = frame.sort_values("S1", ascending=False, kind="stable").reset_index(drop=True)
    return SensitivityIndices(
        scenario,
        metric,
        month,
        segment,
        method,
        frame,
        evaluations,
        confidence,
        int(seed),
        explained,
    )
