"""The simulation result: named metrics over paths and months, quantiles, KPIs and unit economics."""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from ._lazy import pandas as pd
from .arrays import binomial_se
from .atomic import atomic as _atomic
from .derived import check_metric, derive
from .display import compact_money as _money
from .display import html_table
from .metrics import METRICS, ratio, trailing_sum
from .scenario import Scenario
from .stored import is_count, stored_keys

__all__ = ["SimulationResult"]

TOTAL = "total"
DEFAULT_QUANTILES = (0.1, 0.5, 0.9)
_Z95 = 1.959963984540054
_INT32_MAX = np.iinfo(np.int32).max


def discount_rate(scenario: Scenario) -> float:
    """The annual discount rate of the model-consistent LTV: the scenario's, else 10%."""
    from .ltv import DEFAULT_DISCOUNT_RATE

    return (
        DEFAULT_DISCOUNT_RATE if scenario.discount_rate is None else float(scenario.discount_rate)
    )


def model_ltv_rows(scenario: Scenario) -> dict[str, tuple[str, str, str]]:
    """The unit-economics rows of the model-consistent LTV: ``{kpi: (label, unit, what)}``, ``what``
    being the :meth:`SimulationResult.lifetime_value` quantity; full and summary results share them.
    The labels state the scenario's discount rate and its ``ltv_horizon_months``, if any."""
    horizon = scenario.ltv_horizon_months
    terms = f"{discount_rate(scenario):.0%} a year discount" + (
        f", first {horizon} months" if horizon else ""
    )
    return {
        "ltv_model": (f"LTV, model-consistent ({terms})", "currency", "ltv"),
        "lifetime_model": (f"Lifetime, model-consistent ({terms})", "months", "lifetime"),
    }


class SimulationResult:
    """What :func:`cssim.simulate` returns.

    ``result["arr"]`` is a numpy array of shape (paths, months + 1), month 0 the starting state, summed over
    segments; ``result["arr", "SMB"]`` (or ``result.segment("SMB")["arr"]``) is one segment's. The metric
    names are in :data:`cssim.metrics.METRICS`.

    Attributes
    ----------
    scenario : Scenario
    seed : int
        The entropy that reproduces this result with the same scenario and paths.
    paths, horizon : int
    segments : list of str
    """

    #: Where and why a precision-stopped run stopped (:class:`cssim.model.precision.PrecisionStop`).
    precision_stop = None

    def __init__(
        self, scenario: Scenario, seed: int, paths: int, stored: dict, params: dict, year_mrr: dict
    ):
        self.scenario = scenario
        self.seed = seed
        self.paths = paths
        self.horizon = scenario.horizon_months
        self.segments = scenario.segment_names
        self._stored = stored  # segment -> metric -> array
        self._params = params  # segment -> name -> array (paths,)
        self._year_mrr = year_mrr  # segment -> (months + 1, years) sums over paths
        self._cache: dict = {}

    # -- construction -------------------------------------------------------------------------------
    @classmethod
    def from_blocks(cls, scenario: Scenario, seed: int, paths: int, plan, parts: Iterable[dict]):
        H = scenario.horizon_months
        stored = {
            seg.name: {
                k: np.empty((paths, H + 1), dtype=np.int32 if is_count(k) else np.float32)
                for k in stored_keys(seg.health.names if seg.health is not None else ())
            }
            for seg in scenario.segments
        }
        params: dict = {s: {} for s in scenario.segment_names}
        year: dict = {}
        for (_, first, size), part in zip(plan, parts, strict=True):
            rows = slice(first, first + size)
            for seg, data in part.items():
                for k, v in data["metrics"].items():
                    if is_count(k) and np.max(v) > _INT32_MAX:
                        raise OverflowError(
                            f"segment {seg!r} of {scenario.name!r} grows past {_INT32_MAX:,} "
                            f"{k.replace('_', ' ')} on some path: shorten the horizon or lower the growth"
                        )
                    stored[seg][k][rows] = v
                for k, v in data["params"].items():
                    params[seg].setdefault(k, np.empty(paths))[rows] = v
                year[seg] = year.get(seg, 0.0) + data["year_mrr"]
        return cls(scenario, seed, paths, stored, params, year)

    # -- access -------------------------------------------------------------------------------------
    @property
    def months(self) -> np.ndarray:
        return np.arange(self.horizon + 1)

    @property
    def metrics(self) -> list[str]:
        return list(METRICS)

    def __getitem__(self, key: str | tuple[str, str]) -> np.ndarray:
        metric, segment = (key, TOTAL) if isinstance(key, str) else key
        return self.get(metric, segment)

    def get(self, metric: str, segment: str = TOTAL) -> np.ndarray:
        """One metric as a float array (paths, months + 1), for a segment or the total.

        ``metric`` is a name of :data:`~cssim.model.metrics.METRICS`, or for a segment with usage states
        one state's ``customers@dormant`` (also ``mrr``, ``arr``, ``churned_customers``,
        ``logo_churn_rate``: :data:`~cssim.model.metrics.STATE_METRICS`).
        """
        if segment != TOTAL and segment not in self.segments:
            raise KeyError(f"no segment {segment!r}; segments: {', '.join(self.segments)}")
        check_metric(metric, self.states(segment))
        k = (metric, segment)
        if k not in self._cache:
            self._cache[k] = derive(self, metric, segment)
        return self._cache[k]

    def segment(self, name: str) -> _SegmentView:
        """One segment's metrics: ``result.segment("SMB")["mrr"]``."""
        self.get("customers", name)  # validates the name
        return _SegmentView(self, name)

    def _base(self, metric: str, segment: str) -> np.ndarray:
        """A stored metric as float64: one segment's, or the sum over the segments that store it."""
        if segment == TOTAL:
            out = np.zeros((self.paths, self.horizon + 1))
            for s in self.segments:
                if metric in self._stored[s]:
                    out += self._stored[s][metric]
            return out
        return self._stored[segment][metric].astype(np.float64)

    def _param(self, segment: str, name: str, default: float = 0.0) -> np.ndarray:
        return self._params[segment].get(name, np.full(self.paths, default))[:, None]

    def states(self, segment: str = TOTAL) -> list[str]:
        """The usage states of a segment (``health:``), or of every segment in order for the total."""
        segs = self.scenario.segments if segment == TOTAL else [self.scenario.segment(segment)]
        names: dict[str, None] = {}
        for seg in segs:
            if seg.health is not None:
                names.update(dict.fromkeys(seg.health.names))
        return list(names)

    # -- summaries ----------------------------------------------------------------------------------
    def mean(self, metric: str, segment: str = TOTAL) -> np.ndarray:
        """Mean over paths per month (NaN-aware; NaN where no path has a value)."""
        a = self.get(metric, segment)
        n = np.sum(~np.isnan(a), axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(n > 0, np.nansum(a, axis=0) / np.maximum(n, 1), np.nan)

    def mc_se(self, metric: str, segment: str = TOTAL) -> np.ndarray:
        """Monte Carlo standard error of the mean per month: sd / sqrt(paths)."""
        a = self.get(metric, segment)
        n = np.sum(~np.isnan(a), axis=0)
        if a.shape[0] < 2:  # one path: nothing to estimate a spread from
            return np.full(a.shape[1], np.nan)
        with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # months with fewer than 2 values
            return np.where(n > 1, np.nanstd(a, axis=0, ddof=1) / np.sqrt(n), np.nan)

    def quantiles(
        self,
        metrics: str | Sequence[str] = ("arr", "customers"),
        q: Sequence[float] = DEFAULT_QUANTILES,
        segment: str | Sequence[str] = TOTAL,
        wide: bool = False,
    ) -> pd.DataFrame:
        """Quantiles over paths per month as a tidy DataFrame.

        Columns ``metric, segment, month, quantile, value``; with ``wide=True`` one row per
        (metric, segment, month) and one column per quantile (``p10``, ``p50``, ...).
        """
        metrics = [metrics] if isinstance(metrics, str) else list(metrics)
        segs = [segment] if isinstance(segment, str) else list(segment)
        frames: list[tuple[str, str, np.ndarray]] = []
        for s in segs:
            for m in metrics:
                a = self.get(m, s)
                qs = np.full((len(q), a.shape[1]), np.nan)
                seen = ~np.isnan(a).all(axis=0)  # e.g. NRR before month 12
                if seen.any():
                    qs[:, seen] = np.nanquantile(a[:, seen], q, axis=0)
                frames.append((m, s, qs))
        return quantile_table(frames, self.months, q, wide)

    def kpi_months(self, months: Sequence[int] | None = None) -> list[int]:
        """The months a summary shows: 12, 24, 36 (or the horizon) by default, within the horizon."""
        if months is None:
            months = [m for m in (12, 24, 36) if m <= self.horizon] or [self.horizon]
            if self.horizon not in months and self.horizon > 36:
                months.append(self.horizon)
        bad = [m for m in months if not 0 <= m <= self.horizon]
        if bad:
            raise ValueError(f"months {bad} are outside 0..{self.horizon}")
        return list(months)

    def summary(
        self,
        months: Sequence[int] | None = None,
        target_arr: float | None = None,
        segment: str = TOTAL,
    ) -> pd.DataFrame:
        """Headline KPIs at chosen months.

        One row per (KPI, month) with ``mean, median, p10, p90, mc_se`` (standard error of the mean) and
        ``median_se`` (from the order statistics' 95% interval). Probabilities (``P(ARR grows)``, ``P(ARR >=
        target)``) report the probability as ``mean`` and its binomial standard error as ``mc_se``.
        """
        months = self.kpi_months(months)
        target = target_arr if target_arr is not None else self.scenario.target_arr
        rows = []
        kpis = [
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
        ]
        arr = self.get("arr", segment)
        for t in months:
            for k in kpis:
                col = self.get(k, segment)[:, t]
                rows.append(
                    {
                        "kpi": k,
                        "label": METRICS[k].label,
                        "unit": METRICS[k].unit,
                        "month": t,
                        **_stats(col),
                    }
                )
            grows = (arr[:, t] > arr[:, 0]).astype(float)
            rows.append(
                {
                    "kpi": "p_arr_grows",
                    "label": "P(ARR grows)",
                    "unit": "probability",
                    "month": t,
                    **_prob(grows),
                }
            )
            if target is not None:
                hit = (arr[:, t] >= target).astype(float)
                rows.append(
                    {
                        "kpi": "p_arr_target",
                        "label": f"P(ARR >= {target:,.0f})",
                        "unit": "probability",
                        "month": t,
                        **_prob(hit),
                    }
                )
        return pd.DataFrame(rows)

    @property
    def discount_rate(self) -> float:
        """The annual discount rate of the model-consistent LTV: the scenario's, else 10%."""
        return discount_rate(self.scenario)

    def lifetime_value(
        self,
        segment: str = TOTAL,
        month: int | None = None,
        discount_rate: float | None = None,
        horizon: int | None = None,
        what: str = "ltv",
    ) -> np.ndarray:
        """Model-consistent LTV of a new customer per path (:func:`cssim.model.ltv.lifetime_value`).

        Each path uses its own parameter draws. For the total, segments are weighted by the path's new
        customers over the 12 months to ``month`` (the horizon by default), as the blended CAC is; NaN where
        no customer joined (one segment: the total is that segment's value). ``what="lifetime"`` gives the discounted expected months paid instead.
        """
        from .ltv import lifetime_value

        rate = self.discount_rate if discount_rate is None else discount_rate
        horizon = self.scenario.ltv_horizon_months if horizon is None else horizon
        key = ("__ltv__", segment, month, rate, horizon, what)
        if key in self._cache:
            return self._cache[key]
        if segment == TOTAL and len(self.segments) == 1:
            value = self.lifetime_value(self.segments[0], month, rate, horizon, what)
        elif segment != TOTAL:
            self.get("customers", segment)  # validates the name
            value = lifetime_value(
                self.scenario.segment(segment), self._params[segment], rate, horizon
            )[what]
            value = np.broadcast_to(value, (self.paths,)).astype(np.float64)
        else:
            t = self.horizon if month is None else month
            num = np.zeros(self.paths)
            den = np.zeros(self.paths)
            for s in self.segments:
                w = trailing_sum(self.get("new_customers", s))[:, t]
                v = self.lifetime_value(s, month, rate, horizon, what)
                num += np.where(w > 0, w * v, 0.0)
                den += w
            value = ratio(num, den)
        self._cache[key] = value
        return value

    def unit_economics(self, month: int | None = None, segment: str | None = None) -> pd.DataFrame:
        """LTV, CAC, LTV:CAC, CAC payback, CRC and ARR:CRC per segment and in total at one month.

        Medians with P10 and P90 over paths; ``ltv`` is the quoted formula with the trailing 12-month
        average logo churn. ``ltv_model`` is the model-consistent LTV of a new customer (expected
        discounted gross margin under the segment's own churn and expansion, at :attr:`discount_rate`,
        stated in ``df.attrs["discount_rate"]``) and ``lifetime_model`` its discounted expected lifetime
        in months. ``undefined_paths`` counts the paths where a KPI is not a finite number (for ``ltv``:
        no churn in the trailing window); those paths are left out of the statistics, not hidden.
        """
        t = self.horizon if month is None else month
        segs = (
            [segment] if segment else [*self.segments, TOTAL] if len(self.segments) > 1 else [TOTAL]
        )
        rows = []
        rate = self.discount_rate
        model_rows = model_ltv_rows(self.scenario)
        for s in segs:
            for k in ("arpa", "ltv", "ltv_cac", "cac_payback", "crc", "arr_crc", *model_rows):
                if k in model_rows:
                    label, unit, what = model_rows[k]
                    col = self.lifetime_value(s, month=t, what=what)
                else:
                    label, unit, col = METRICS[k].label, METRICS[k].unit, self.get(k, s)[:, t]
                rows.append(
                    {
                        "segment": s,
                        "kpi": k,
                        "label": label,
                        "unit": unit,
                        "month": t,
                        **_stats(col),
                        "undefined_paths": int(np.sum(~np.isfinite(col))),
                    }
                )
        df = pd.DataFrame(rows)
        df.attrs["discount_rate"] = rate
        df.attrs["ltv_horizon_months"] = self.scenario.ltv_horizon_months
        return df

    def cohort_mrr(self, segment: str = TOTAL) -> pd.DataFrame:
        """Mean MRR by joining year (0 = the starting customers) per month: the cohort layer cake."""
        if segment == TOTAL:
            years = max(v.shape[1] for v in self._year_mrr.values())
            total = np.zeros((self.horizon + 1, years))
            for v in self._year_mrr.values():
                total[:, : v.shape[1]] += v
        else:
            total = self._year_mrr[segment]
        cols = ["start" if j == 0 else f"year {j}" for j in range(total.shape[1])]
        return pd.DataFrame(
            total / self.paths, index=pd.Index(self.months, name="month"), columns=cols
        )

    def parameters(self) -> pd.DataFrame:
        """The per-path draws of every uncertain parameter, those drawn jointly included (one column
        per parameter path)."""
        from .fields import walk

        uncertain = self.scenario.uncertain()  # those drawn jointly included
        data = {}
        for seg in self.scenario.segments:  # by segment: a name may hold dots
            for path, _value in walk(seg, seg.name):
                if path in uncertain:
                    data[path] = self._params[seg.name][path[len(seg.name) + 1 :]]
        return pd.DataFrame(data, index=pd.RangeIndex(self.paths, name="path"))

    # -- export -------------------------------------------------------------------------------------
    def to_frame(self, metrics: Sequence[str] | None = None, segment: str = TOTAL) -> pd.DataFrame:
        """Every path and month in long form: columns ``path, month`` and one per metric."""
        metrics = list(
            metrics
            or (
                "customers",
                "new_customers",
                "churned_customers",
                "mrr",
                "arr",
                "new_mrr",
                "expansion_mrr",
                "contraction_mrr",
                "churned_mrr",
                "nrr",
                "grr",
            )
        )
        data = {
            "path": np.repeat(np.arange(self.paths), self.horizon + 1),
            "month": np.tile(self.months, self.paths),
        }
        for m in metrics:
            data[m] = self.get(m, segment).ravel()
        df = pd.DataFrame(data)
        df.insert(0, "segment", segment)
        return df

    def to_csv(self, path: str | os.PathLike, what: str = "paths", **kwargs) -> Path:
        """Write ``paths`` (every path, :meth:`to_frame`), ``quantiles`` or ``summary`` as CSV, atomically."""
        df = {
            "paths": self.to_frame,
            "quantiles": lambda: self.quantiles(METRICS, wide=True),
            "summary": self.summary,
        }[what](**kwargs)
        from .csvout import write_csv

        return write_csv(df, path)

    def to_parquet(self, path: str | os.PathLike, what: str = "paths", **kwargs) -> Path:
        """As :meth:`to_csv`, in Parquet."""
        df = {
            "paths": self.to_frame,
            "quantiles": lambda: self.quantiles(METRICS, wide=True),
            "summary": self.summary,
        }[what](**kwargs)
        return _atomic(Path(path), lambda p: df.to_parquet(p, index=False))

    # -- persistence --------------------------------------------------------------------------------
    def save(self, path: str | os.PathLike) -> Path:
        """Save everything needed to rebuild this result (compressed ``.npz``), atomically."""
        arrays = {
            "__scenario__": np.frombuffer(self.scenario.model_dump_json().encode(), np.uint8),
            "__meta__": np.array([self.seed, self.paths], dtype=np.int64),
        }
        for i, seg in enumerate(self.segments):
            for k, v in self._stored[seg].items():
                arrays[f"s{i}/stored/{k}"] = v
            for k, v in self._params[seg].items():
                arrays[f"s{i}/params/{k}"] = v
            arrays[f"s{i}/year"] = np.asarray(self._year_mrr[seg])

        def write(tmp):
            with open(tmp, "wb") as fh:
                np.savez_compressed(fh, **arrays)

        return _atomic(Path(path), write)

    @classmethod
    def load(cls, path: str | os.PathLike) -> SimulationResult:
        """Read a result written by :meth:`save`."""
        with np.load(path) as z:
            scenario = Scenario.model_validate_json(z["__scenario__"].tobytes().decode())
            seed, paths = (int(x) for x in z["__meta__"])
            stored, params, year = {}, {}, {}
            for i, seg in enumerate(scenario.segment_names):
                pre = f"s{i}/"
                stored[seg] = {
                    k.split("/", 2)[2]: z[k] for k in z.files if k.startswith(pre + "stored/")
                }
                params[seg] = {
                    k.split("/", 2)[2]: z[k] for k in z.files if k.startswith(pre + "params/")
                }
                year[seg] = z[pre + "year"]
        return cls(scenario, seed, paths, stored, params, year)

    # -- display ------------------------------------------------------------------------------------
    def headline(self) -> dict:
        """The figures a reader looks for first, at the horizon (medians, P10, P90, probabilities)."""
        t = self.horizon
        arr = self.get("arr")
        a = arr[:, t]
        return {
            "month": t,
            "arr_start": float(arr[0, 0]),
            "arr_median": float(np.median(a)),
            "arr_p10": float(np.quantile(a, 0.1)),
            "arr_p90": float(np.quantile(a, 0.9)),
            "arr_mean": float(a.mean()),
            "arr_mean_se": float(a.std(ddof=1) / np.sqrt(self.paths)) if self.paths > 1 else np.nan,
            "customers_start": float(self.get("customers")[0, 0]),
            "customers_median": float(np.median(self.get("customers")[:, t])),
            "p_arr_grows": float(np.mean(a > arr[:, 0])),
        }

    def __repr__(self) -> str:
        h = self.headline()
        cur = self.scenario.currency
        return (
            f"<SimulationResult {self.scenario.name!r}: {self.paths:,} paths x {self.horizon} months, "
            f"seed {self.seed}; ARR {_money(h['arr_start'])} -> median {_money(h['arr_median'])} "
            f"{cur} (P10 {_money(h['arr_p10'])}, P90 {_money(h['arr_p90'])}) at month "
            f"{h['month']}; P(ARR grows) {h['p_arr_grows']:.0%}>"
        )

    def _repr_html_(self) -> str:
        h = self.headline()
        cur = self.scenario.currency
        rows = [
            ("Scenario", self.scenario.name),
            ("Paths x months", f"{self.paths:,} x {self.horizon} (seed {self.seed})"),
            ("Segments", ", ".join(self.segments)),
            ("ARR now", f"{_money(h['arr_start'])} {cur}"),
            (
                f"ARR at month {h['month']} (median)",
                f"{_money(h['arr_median'])} {cur} (P10 {_money(h['arr_p10'])}, "
                f"P90 {_money(h['arr_p90'])})",
            ),
            ("P(ARR grows)", f"{h['p_arr_grows']:.1%}"),
            (
                "Customers (median)",
                f"{h['customers_start']:,.0f} -> {h['customers_median']:,.0f}",
            ),
        ]
        return html_table(rows, caption="cssim SimulationResult")


class _SegmentView:
    def __init__(self, result: SimulationResult, name: str):
        self._result, self.name = result, name

    def __getitem__(self, metric: str) -> np.ndarray:
        return self._result.get(metric, self.name)

    def __repr__(self) -> str:
        return f"<segment {self.name!r} of {self._result.scenario.name!r}>"


def _stats(col: np.ndarray) -> dict:
    col = col[~np.isnan(col)] if np.isnan(col).any() else col
    col = col[np.isfinite(col)] if not np.isfinite(col).all() else col
    n = col.size
    if n == 0:
        return {
            "mean": np.nan,
            "median": np.nan,
            "p10": np.nan,
            "p90": np.nan,
            "mc_se": np.nan,
            "median_se": np.nan,
        }
    srt = np.sort(col)
    half = _Z95 * np.sqrt(n * 0.25)
    lo = srt[max(int(np.floor(n * 0.5 - half)), 0)]
    hi = srt[min(int(np.ceil(n * 0.5 + half)), n - 1)]
    return {
        "mean": float(col.mean()),
        "median": float(np.quantile(srt, 0.5)),
        "p10": float(np.quantile(srt, 0.1)),
        "p90": float(np.quantile(srt, 0.9)),
        "mc_se": float(col.std(ddof=1) / np.sqrt(n)) if n > 1 else np.nan,
        "median_se": float((hi - lo) / (2 * _Z95)) if n > 1 else np.nan,
    }


def _prob(hits: np.ndarray) -> dict:
    p = float(hits.mean())
    return {
        "mean": p,
        "median": np.nan,
        "p10": np.nan,
        "p90": np.nan,
        "mc_se": binomial_se(p, hits.size),
        "median_se": np.nan,
    }


def quantile_table(
    parts: Sequence[tuple[str, str, np.ndarray]],
    months: np.ndarray,
    q: Sequence[float],
    wide: bool = False,
) -> pd.DataFrame:
    """The quantile table of a full or a summary result from ``(metric, segment, values)`` parts.

    ``values`` has one row per quantile in ``q`` and one column per month. Tidy columns ``metric,
    segment, month, quantile, value``; ``wide=True`` gives one column per quantile (``p10``, ...).
    """
    frames = [
        pd.DataFrame(
            {
                "metric": m,
                "segment": s,
                "month": np.tile(months, len(q)),
                "quantile": np.repeat(np.asarray(q, dtype=float), len(months)),
                "value": np.asarray(qs).ravel(),
            }
        )
        for m, s, qs in parts
    ]
    df = pd.concat(frames, ignore_index=True)
    if wide:
        df["quantile"] = [f"p{round(x * 100):02d}" for x in df["quantile"]]
        df = df.pivot_table(
            index=["metric", "segment", "month"],
            columns="quantile",
            values="value",
            sort=False,
            dropna=False,
        ).reset_index()
        df.columns.name = None
    return df
