"""Summary mode: runs too large to keep every path, reduced block by block to mergeable statistics.

Each block of paths (:func:`cssim.model.engine.simulate_block`) becomes, for every metric of every segment
and the total, per month:

- the count :math:`n` of finite values, their mean :math:`\\bar x` and :math:`M_2 = \\sum (x - \\bar x)^2`,
  merged with the parallel form of Chan, Golub and LeVeque (1979):

  .. math::  n = n_a + n_b,\\quad \\delta = \\bar x_b - \\bar x_a,\\quad
     \\bar x = \\bar x_a + \\delta\\,\\frac{n_b}{n},\\quad
     M_2 = M_{2,a} + M_{2,b} + \\delta^2\\,\\frac{n_a n_b}{n},

  so the mean is exact and the Monte Carlo standard error is :math:`\\sqrt{M_2 / (n-1)} / \\sqrt{n}`, as
  :meth:`SimulationResult.mc_se` computes it from every path;
- a :class:`~cssim.model.sketch.LogHistogram` for quantiles, with relative error at most ``alpha``;
- the counts of paths whose ARR grew since month 0 and whose ARR reached the scenario's ``target_arr``,
  so those probabilities are exact, with the binomial standard error :math:`\\sqrt{p(1-p)/n}`.

Blocks are merged in block order, so a run gives bit-identical statistics however it was split and
wherever its blocks ran (the sketch's counts are integers and would merge identically in any order).
Per-path values are exactly those of the full run: each block is first turned into the same
:class:`~cssim.model.result.SimulationResult` (float32 storage and all) that a full run keeps.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from .arrays import binomial_se
from .display import compact_money as _money
from .display import html_table
from .metrics import METRICS
from .result import (
    _Z95,
    DEFAULT_QUANTILES,
    TOTAL,
    SimulationResult,
    discount_rate,
    model_ltv_rows,
    quantile_table,
)
from .scenario import Scenario
from .sketch import DEFAULT_ALPHA, LogHistogram

__all__ = ["SummaryResult", "summarise_block"]

_KPIS = (
    "arr",
    "mrr",
    "customers",
    "nrr",
    "grr",
    "logo_churn_rate",
    "net_new_mrr",
    "arpa",
    "ltv",
    "ltv_cac",
    "cac_payback",
    "crc",
    "arr_crc",
)
_UNIT_ECONOMICS = ("arpa", "ltv", "ltv_cac", "cac_payback", "crc", "arr_crc")


class _Moments:
    """Count, mean and sum of squared deviations per month (finite values only)."""

    __slots__ = ("m2", "mean", "n")

    def __init__(self, n: np.ndarray, mean: np.ndarray, m2: np.ndarray):
        self.n, self.mean, self.m2 = n, mean, m2

    @classmethod
    def of(cls, a: np.ndarray) -> _Moments:
        finite = np.isfinite(a)
        n = finite.sum(0).astype(np.int64)
        x = np.where(finite, a, 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(n > 0, x.sum(0) / np.maximum(n, 1), 0.0)
        m2 = (np.where(finite, a - mean, 0.0) ** 2).sum(0)
        return cls(n, mean, m2)

    def merge(self, b: _Moments) -> _Moments:
        n = self.n + b.n
        safe = np.maximum(n, 1)
        delta = b.mean - self.mean
        self.mean = np.where(n > 0, self.mean + delta * (b.n / safe), 0.0)
        self.m2 = self.m2 + b.m2 + delta * delta * (self.n * (b.n / safe))
        self.n = n
        return self


def summarise_block(
    scenario: Scenario,
    entropy: int,
    block: int,
    size: int,
    part: dict,
    alpha: float = DEFAULT_ALPHA,
) -> dict:
    """One simulated block of paths (``part``, as :func:`~cssim.model.engine.simulate_block` returns
    it) reduced to mergeable statistics: the summary-mode unit of work.

    Returns a dict: ``moments`` and ``sketch`` keyed by ``(metric, segment)``, ``grows`` and ``target``
    (counts per month) keyed by segment, ``year_mrr`` per segment, and ``size``.
    """
    res = SimulationResult.from_blocks(scenario, entropy, size, [(block, 0, size)], [part])
    target = scenario.target_arr
    out: dict = {"size": size, "moments": {}, "sketch": {}, "grows": {}, "target": {}}
    for seg in _segments(scenario):
        for m in METRICS:
            a = res.get(m, seg)
            out["moments"][m, seg] = _Moments.of(a)
            out["sketch"][m, seg] = LogHistogram.of(a, alpha)
        arr = res.get("arr", seg)
        out["grows"][seg] = (arr > arr[:, :1]).sum(0).astype(np.int64)
        if target is not None:
            out["target"][seg] = (arr >= target).sum(0).astype(np.int64)
        res._cache.clear()  # one segment's derived arrays at a time
    # the model-consistent LTV and lifetime of a new customer at the horizon, per path (one column)
    for seg in _segments(scenario):
        for kpi, (_label, _unit, what) in model_ltv_rows(scenario).items():
            a = res.lifetime_value(seg, what=what)[:, None]
            out["moments"][kpi, seg] = _Moments.of(a)
            out["sketch"][kpi, seg] = LogHistogram.of(a, alpha)
    out["year_mrr"] = dict(res._year_mrr)
    return out


def _segments(scenario: Scenario) -> list[str]:
    """The total and, with more than one segment, each segment (one segment's figures are the total)."""
    names = scenario.segment_names
    return [TOTAL, *names] if len(names) > 1 else [TOTAL]


class SummaryResult:
    """What :func:`cssim.simulate` returns with ``summary=True``: statistics, not paths.

    The same reading methods as :class:`~cssim.model.result.SimulationResult` where statistics suffice:
    :meth:`mean`, :meth:`mc_se` (exact), :meth:`summary`, :meth:`quantiles`, :meth:`unit_economics`,
    :meth:`cohort_mrr` and :meth:`headline`. Quantiles and medians come from a sketch with relative error at
    most :attr:`alpha` (see :mod:`cssim.model.sketch`); means, standard errors and probabilities are exact.
    ``median_se`` (from the order statistics' 95% interval, read off the sketch) is NaN where that interval
    is narrower than the sketch's bins, which at a million paths is usual: the median's Monte Carlo error
    is then below its stated relative error ``alpha``.

    Attributes
    ----------
    scenario : Scenario
    seed, paths, horizon : int
    segments : list of str
    alpha : float
        The sketch's relative accuracy.
    """

    #: Where and why a precision-stopped run stopped (:class:`cssim.model.precision.PrecisionStop`).
    precision_stop = None

    def __init__(self, scenario: Scenario, seed: int, paths: int, state: dict, alpha: float):
        self.scenario = scenario
        self.seed = seed
        self.paths = paths
        self.horizon = scenario.horizon_months
        self.segments = scenario.segment_names
        self.alpha = alpha
        self._state = state

    @classmethod
    def from_blocks(
        cls, scenario: Scenario, seed: int, paths: int, parts: Iterable[dict], alpha: float
    ) -> SummaryResult:
        """Merge block statistics in block order (the order ``parts`` yields them)."""
        state: dict | None = None
        for part in parts:
            if state is None:
                state = part
                continue
            state["size"] += part["size"]
            for k, mom in part["moments"].items():
                state["moments"][k].merge(mom)
            for k, sk in part["sketch"].items():
                state["sketch"][k].merge(sk)
            for kind in ("grows", "target"):
                for k, v in part[kind].items():
                    state[kind][k] = state[kind][k] + v
            for k, v in part["year_mrr"].items():
                state["year_mrr"][k] = state["year_mrr"][k] + v
        if state is None or state["size"] != paths:
            raise ValueError(
                f"the blocks hold {0 if state is None else state['size']} paths, not {paths}"
            )
        return cls(scenario, seed, paths, state, alpha)

    # -- access -------------------------------------------------------------------------------------
    @property
    def months(self) -> np.ndarray:
        return np.arange(self.horizon + 1)

    @property
    def metrics(self) -> list[str]:
        return list(METRICS)

    def _key(self, metric: str, segment: str) -> tuple[str, str]:
        if metric not in METRICS:
            raise KeyError(f"unknown metric {metric!r}; metrics: {', '.join(METRICS)}")
        if segment != TOTAL and segment not in self.segments:
            raise KeyError(f"no segment {segment!r}; segments: {', '.join(self.segments)}")
        return metric, (segment if len(self.segments) > 1 else TOTAL)

    def count(self, metric: str, segment: str = TOTAL) -> np.ndarray:
        """Paths with a finite value per month."""
        return self._state["moments"][self._key(metric, segment)].n.copy()

    def mean(self, metric: str, segment: str = TOTAL) -> np.ndarray:
        """Mean over paths per month (NaN where no path has a value)."""
        mom = self._state["moments"][self._key(metric, segment)]
        return np.where(mom.n > 0, mom.mean, np.nan)

    def mc_se(self, metric: str, segment: str = TOTAL) -> np.ndarray:
        """Monte Carlo standard error of the mean per month: ``sqrt(M2 / (n - 1)) / sqrt(n)``."""
        mom = self._state["moments"][self._key(metric, segment)]
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(mom.n > 1, np.sqrt(mom.m2 / (mom.n - 1)) / np.sqrt(mom.n), np.nan)

    def probability(self, kind: str, segment: str = TOTAL) -> tuple[np.ndarray, np.ndarray]:
        """``(p, se)`` per month for ``kind`` ``"arr_grows"`` or ``"arr_target"`` (exact counts)."""
        seg = self._key("arr", segment)[1]
        table = {"arr_grows": "grows", "arr_target": "target"}
        if kind not in table:
            raise KeyError(f"unknown probability {kind!r}; choose arr_grows or arr_target")
        counts = self._state[table[kind]].get(seg)
        if counts is None:
            raise ValueError(f"{self.scenario.name!r} has no target_arr, so no P(ARR >= target)")
        p = counts / self.paths
        return p, binomial_se(p, self.paths)

    def sketch(self, metric: str, segment: str = TOTAL) -> LogHistogram:
        """The quantile sketch of one metric (see :mod:`cssim.model.sketch` for its bound)."""
        return self._state["sketch"][self._key(metric, segment)]

    # -- tables -------------------------------------------------------------------------------------
    def quantiles(
        self,
        metrics: str | Sequence[str] = ("arr", "customers"),
        q: Sequence[float] = DEFAULT_QUANTILES,
        segment: str | Sequence[str] = TOTAL,
        wide: bool = False,
    ) -> pd.DataFrame:
        """Quantiles over paths per month, in the frame of :meth:`SimulationResult.quantiles`."""
        metrics = [metrics] if isinstance(metrics, str) else list(metrics)
        segs = [segment] if isinstance(segment, str) else list(segment)
        frames = []
        for s in segs:
            for m in metrics:
                frames.append((m, s, self.sketch(m, s).quantile(q)))
        return quantile_table(frames, self.months, q, wide)

    def kpi_months(self, months: Sequence[int] | None = None) -> list[int]:
        """The months a summary shows, as :meth:`SimulationResult.kpi_months` chooses them."""
        return SimulationResult.kpi_months(self, months)  # type: ignore[arg-type]

    def _stats(self, metric: str, segment: str, t: int) -> dict:
        key = self._key(metric, segment)
        return self._stats_of(self._state["moments"][key], self._state["sketch"][key], t)

    def _stats_of(self, mom: _Moments, sk: LogHistogram, t: int) -> dict:
        n = int(mom.n[t])
        if n == 0:
            return dict.fromkeys(("mean", "median", "p10", "p90", "mc_se", "median_se"), np.nan)
        col = sk.quantile([0.5, 0.1, 0.9])[:, t]
        half = _Z95 * np.sqrt(n * 0.25)
        lo, hi = sk.rank_value(
            t,
            np.array(
                [max(int(np.floor(n * 0.5 - half)), 0), min(int(np.ceil(n * 0.5 + half)), n - 1)]
            ),
        )
        return {
            "mean": float(mom.mean[t]),
            "median": float(col[0]),
            "p10": float(col[1]),
            "p90": float(col[2]),
            "mc_se": float(np.sqrt(mom.m2[t] / (n - 1)) / np.sqrt(n)) if n > 1 else np.nan,
            # NaN where the order statistics' interval is finer than the sketch can resolve
            "median_se": float((hi - lo) / (2 * _Z95))
            if hi - lo > 2 * self.alpha * max(abs(lo), abs(hi))
            else np.nan,
        }

    def summary(
        self,
        months: Sequence[int] | None = None,
        target_arr: float | None = None,
        segment: str = TOTAL,
    ) -> pd.DataFrame:
        """Headline KPIs at chosen months, in the frame of :meth:`SimulationResult.summary`.

        ``target_arr`` may only repeat the scenario's: the hit counts were taken while the blocks ran.
        """
        months = self.kpi_months(months)
        target = self.scenario.target_arr
        if target_arr is not None and target_arr != target:
            raise ValueError(
                f"a summary-mode run counted P(ARR >= target) for the scenario's target_arr "
                f"({target}); run again with target_arr: {target_arr} in the scenario"
            )
        rows = []
        for t in months:
            for k in _KPIS:
                rows.append(
                    {
                        "kpi": k,
                        "label": METRICS[k].label,
                        "unit": METRICS[k].unit,
                        "month": t,
                        **self._stats(k, segment, t),
                    }
                )
            kinds = [("arr_grows", "P(ARR grows)")]
            if target is not None:
                kinds.append(("arr_target", f"P(ARR >= {target:,.0f})"))
            for kind, label in kinds:
                p, se = self.probability(kind, segment)
                rows.append(
                    {
                        "kpi": "p_" + kind,
                        "label": label,
                        "unit": "probability",
                        "month": t,
                        "mean": float(p[t]),
                        "median": np.nan,
                        "p10": np.nan,
                        "p90": np.nan,
                        "mc_se": float(se[t]),
                        "median_se": np.nan,
                    }
                )
        return pd.DataFrame(rows)

    def unit_economics(self, month: int | None = None, segment: str | None = None) -> pd.DataFrame:
        """As :meth:`SimulationResult.unit_economics`, from the statistics."""
        t = self.horizon if month is None else month
        segs = (
            [segment] if segment else [*self.segments, TOTAL] if len(self.segments) > 1 else [TOTAL]
        )
        rows = [
            {
                "segment": s,
                "kpi": k,
                "label": METRICS[k].label,
                "unit": METRICS[k].unit,
                "month": t,
                **self._stats(k, s, t),
                # paths where the KPI is not a finite number (left out of the statistics, counted)
                "undefined_paths": self.paths - int(self._state["moments"][self._key(k, s)].n[t]),
            }
            for s in segs
            for k in _UNIT_ECONOMICS
        ]
        rate = self.discount_rate
        if t == self.horizon:  # the model-consistent rows, kept for the horizon
            for s in segs:
                key = s if len(self.segments) > 1 else TOTAL
                for kpi, (label, unit, _what) in model_ltv_rows(self.scenario).items():
                    mom = self._state["moments"][kpi, key]
                    sk = self._state["sketch"][kpi, key]
                    rows.append(
                        {
                            "segment": s,
                            "kpi": kpi,
                            "label": label,
                            "unit": unit,
                            "month": t,
                            **self._stats_of(mom, sk, 0),
                            "undefined_paths": self.paths - int(mom.n[0]),
                        }
                    )
        order = {
            s: i for i, s in enumerate(segs)
        }  # each segment's rows together, as in full results
        rows.sort(key=lambda r: order[r["segment"]])
        df = pd.DataFrame(rows)
        df.attrs["discount_rate"] = rate
        df.attrs["ltv_horizon_months"] = self.scenario.ltv_horizon_months
        return df

    @property
    def discount_rate(self) -> float:
        """The annual discount rate of the model-consistent LTV: the scenario's, else 10%."""
        return discount_rate(self.scenario)

    def cohort_mrr(self, segment: str = TOTAL) -> pd.DataFrame:
        """Mean MRR by joining year (0 = the starting customers) per month: the cohort layer cake."""
        year = self._state["year_mrr"]
        if segment == TOTAL:
            years = max(v.shape[1] for v in year.values())
            total = np.zeros((self.horizon + 1, years))
            for v in year.values():
                total[:, : v.shape[1]] += v
        else:
            self._key("mrr", segment)
            total = year[segment]
        cols = ["start" if j == 0 else f"year {j}" for j in range(total.shape[1])]
        return pd.DataFrame(
            total / self.paths, index=pd.Index(self.months, name="month"), columns=cols
        )

    def nbytes(self) -> int:
        """Memory the statistics take (sketches and moments), in bytes."""
        sk = sum(s.nbytes() for s in self._state["sketch"].values())
        return sk + sum(3 * m.n.nbytes for m in self._state["moments"].values())

    # -- display ------------------------------------------------------------------------------------
    def headline(self) -> dict:
        """The figures a reader looks for first, at the horizon (as :meth:`SimulationResult.headline`)."""
        t = self.horizon
        arr = self.sketch("arr").quantile([0.5, 0.1, 0.9])[:, t]
        return {
            "month": t,
            "arr_start": float(self.mean("arr")[0]),
            "arr_median": float(arr[0]),
            "arr_p10": float(arr[1]),
            "arr_p90": float(arr[2]),
            "arr_mean": float(self.mean("arr")[t]),
            "arr_mean_se": float(self.mc_se("arr")[t]),
            "customers_start": float(self.mean("customers")[0]),
            "customers_median": float(self.sketch("customers").quantile(0.5)[0, t]),
            "p_arr_grows": float(self.probability("arr_grows")[0][t]),
        }

    def __repr__(self) -> str:
        h = self.headline()
        cur = self.scenario.currency
        return (
            f"<SummaryResult {self.scenario.name!r}: {self.paths:,} paths x {self.horizon} months, "
            f"seed {self.seed}, quantiles within {self.alpha:.1%}; ARR {_money(h['arr_start'])} -> "
            f"median {_money(h['arr_median'])} {cur} (P10 {_money(h['arr_p10'])}, P90 "
            f"{_money(h['arr_p90'])}) at month {h['month']}; P(ARR grows) {h['p_arr_grows']:.0%}>"
        )

    def _repr_html_(self) -> str:
        h = self.headline()
        cur = self.scenario.currency
        rows = [
            ("Scenario", self.scenario.name),
            ("Paths x months", f"{self.paths:,} x {self.horizon} (seed {self.seed})"),
            ("Segments", ", ".join(self.segments)),
            ("Quantiles", f"within {self.alpha:.1%} (mergeable sketch)"),
            ("ARR now (mean)", f"{_money(h['arr_start'])} {cur}"),
            (
                f"ARR at month {h['month']} (median)",
                f"{_money(h['arr_median'])} {cur} (P10 {_money(h['arr_p10'])}, "
                f"P90 {_money(h['arr_p90'])})",
            ),
            ("P(ARR grows)", f"{h['p_arr_grows']:.1%}"),
        ]
        return html_table(rows, caption="cssim SummaryResult")
