"""Backtests: fit on all but the last N months of a billing export, forecast those months, compare.

:func:`backtest` (also ``cssim.backtest``) calibrates a scenario (:func:`cssim.calibrate`) from the
months up to the cutoff, simulates it for the held-out months and sets the forecast fan beside what
happened, for four metrics: customers, MRR, new customers and churned MRR. Per metric it reports

- ``inside_80`` / ``inside_90``: the share of held-out months whose actual value lies inside the forecast's
  P10-P90 / P5-P95 band (an honest 80% band holds about 80% of months; months are correlated, so a short
  holdout is a noisy check);
- ``bias``: the mean over held-out months of ``(median forecast - actual) / actual`` (positive = the forecast
  was too high), and ``bias_last`` the same at the last held-out month.

Monthly flows (new customers, churned MRR) carry Poisson and binomial noise: their bands are wide by nature.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..model.errors import Problem
from ..words.i18n import N_
from .history import _wide, movements
from .reading import CalibrationError

__all__ = ["BACKTEST_METRICS", "Backtest", "backtest"]

#: the metrics a backtest compares, with the labels its table and chart use (messages of the catalogs)
BACKTEST_METRICS = {
    "customers": N_("customers"),
    "mrr": N_("MRR"),
    "new_customers": N_("new customers"),
    "churned_mrr": N_("churned MRR"),
}
#: the metrics counted in money (their axes read ``3.5億円`` / ``350M``)
_MONEY = ("mrr", "churned_mrr")
QUANTILES = (0.05, 0.10, 0.50, 0.90, 0.95)


@dataclass(frozen=True, eq=False)
class Backtest:
    """What :func:`backtest` returns.

    Attributes
    ----------
    source : str
    holdout : int
        Held-out months.
    cutoff : str
        The last month fitted on (the forecast's month 0).
    table : DataFrame
        One row per metric and held-out month: ``actual``, ``p5``, ``p10``, ``p50``, ``p90``, ``p95``.
    summary : DataFrame
        Per metric: ``months``, ``inside_80``, ``inside_90``, ``bias``, ``bias_last``.
    calibration : Calibration
        The calibration fitted on the months up to the cutoff (its scenario is what was forecast).
    paths, seed : int
    """

    source: str
    holdout: int
    cutoff: str
    table: pd.DataFrame = field(repr=False)
    summary: pd.DataFrame = field(repr=False)
    calibration: object = field(repr=False)
    paths: int = 0
    seed: int = 0

    def plot(self, fig=None, lang: str | None = None):
        """The forecast fans (P5-P95, P10-P90, median) over the actuals, one panel per metric.

        Drawn once in ``lang`` (English by default): titles, labels and legend from the catalogs, money
        axes through the one money formatter (in the calibrated scenario's currency).
        """
        import matplotlib.pyplot as plt

        from ..words import formatting as fm
        from ..words.chart_text import chart_text, money_ticks
        from ..words.fonts import use_fonts
        from ..words.plaintext import plain_figure

        use_fonts()  # Japanese names render (IPAexGothic after the Latin font)
        _ = chart_text(lang)
        currency = self.calibration.scenario.currency
        if fig is None:
            fig = plt.figure(figsize=(10, 6.5))
        axes = fig.subplots(2, 2)
        for ax, (metric, label) in zip(axes.ravel(), BACKTEST_METRICS.items(), strict=True):
            t = self.table.loc[metric]
            x = np.arange(1, len(t) + 1)
            ax.fill_between(x, t["p5"], t["p95"], color="C0", alpha=0.15, label=_("P5-P95"))
            ax.fill_between(x, t["p10"], t["p90"], color="C0", alpha=0.3, label=_("P10-P90"))
            ax.plot(x, t["p50"], color="C0", label=_("median forecast"))
            ax.plot(x, t["actual"], "o-", color="black", ms=3, label=_("actual"))
            if metric in _MONEY:
                ax.yaxis.set_major_formatter(money_ticks(currency, lang))
            s = self.summary.loc[metric]
            ax.set_title(
                _(
                    "{metric}: {share} of months in P10-P90, bias {bias}",
                    metric=_(label),
                    share=fm.percent(s.inside_80, lang, 0),
                    bias=fm.percent(s.bias, lang, 1, sign=True),
                ),
                fontsize=9,
            )
            ax.set_xlabel(_("months after {cutoff}", cutoff=self.cutoff))
        axes[0, 0].legend(fontsize=7)
        fig.suptitle(
            _(
                "Backtest: fitted to {cutoff}, {months} months held out",
                cutoff=self.cutoff,
                months=self.holdout,
            )
        )
        fig.tight_layout()
        return plain_figure(fig)

    def __repr__(self) -> str:
        parts = ", ".join(
            f"{m} {r.inside_80:.0%} in P10-P90 (bias {r.bias:+.1%})"
            for m, r in self.summary.iterrows()
        )
        return (
            f"<Backtest of {self.source}, fitted to {self.cutoff}, {self.holdout} months: {parts}>"
        )

    def _repr_html_(self) -> str:
        return self.to_html()

    def to_html(self, lang: str | None = None) -> str:
        """The coverage and bias per metric as an HTML table in ``lang`` (what a notebook shows)."""
        from ..words.tables import table

        return table(self.summary.rename_axis("metric").reset_index(), lang).to_html()


# -- the backtest -------------------------------------------------------------------------------------


def backtest(
    data,
    *,
    holdout: int = 12,
    source: str | None = None,
    paths: int = 2000,
    seed: int = 0,
    **calibrate_options,
) -> Backtest:
    """Fit on all but the last ``holdout`` months, forecast those months and compare with what happened.

    Parameters
    ----------
    data : path or DataFrame
        A billing export with MRR per customer (any format but a cohort table, which has no MRR to
        compare); read as :func:`calibrate` reads it.
    holdout : int
        Months held out, at least 1; at least 6 months must remain to fit on.
    paths, seed : int
        Monte Carlo paths and seed of the forecast (same seed, same numbers).
    **calibrate_options
        Passed to :func:`cssim.calibrate` (``currency``, ``segment`` ...) and to the reader
        (``format``, ``timezone``, ``as_of`` ...).

    Raises
    ------
    CalibrationError
        The data cannot be used, or are too short for the holdout; the message names the file.
    """
    from .fit_table import READ_OPTIONS, read

    read_options = {k: calibrate_options.pop(k) for k in READ_OPTIONS if k in calibrate_options}
    reading = read(data, source, calibrate_options.get("currency"), read_options)
    return _backtest_table(
        reading, holdout=holdout, paths=paths, seed=seed, options=calibrate_options
    )


def _backtest_table(reading, *, holdout, paths: int, seed: int, options: dict) -> Backtest:
    """:func:`backtest` on a file already read."""
    from ..model.engine import simulate
    from .fit_table import calibrate_table

    clean, kind, source = reading.table, reading.kind, reading.source
    if kind != "mrr":
        raise CalibrationError(
            source,
            [Problem("", "a backtest needs a per-customer MRR table (customer, month, mrr)")],
        )
    if not (isinstance(holdout, int | np.integer) and holdout >= 1):
        raise CalibrationError(
            source,
            [Problem("holdout", f"holdout must be a whole number of months >= 1, got {holdout!r}")],
        )
    M, months, _ = _wide(clean)
    fit_months = len(months) - int(holdout)
    if fit_months < 7:
        raise CalibrationError(
            source,
            [
                Problem(
                    "holdout",
                    f"holdout {holdout} leaves {max(fit_months, 0)} month(s) to fit on of "
                    f"{len(months)}; at least 7 are needed (use a holdout of at most "
                    f"{max(len(months) - 7, 0)})",
                )
            ],
        )
    cutoff = months[fit_months - 1]
    train = clean[clean["month"] <= cutoff]
    cal = calibrate_table(
        train,
        kind,
        source,
        reading.provenance,
        horizon_months=int(holdout),
        **options,
    )
    actual = movements(M, months).iloc[fit_months:]
    result = simulate(cal.scenario, paths=paths, seed=seed)
    rows, summary = [], []
    for metric in BACKTEST_METRICS:
        sims = np.asarray(result[metric], dtype=float)[:, 1 : int(holdout) + 1]
        q = np.quantile(sims, QUANTILES, axis=0)
        a = actual[metric].to_numpy(float)
        for i, month in enumerate(actual.index):
            rows.append(
                {
                    "metric": metric,
                    "month": month,
                    "actual": a[i],
                    **{f"p{round(p * 100)}": q[j, i] for j, p in enumerate(QUANTILES)},
                }
            )
        ok = a > 0
        rel = (q[2] - a)[ok] / a[ok]
        summary.append(
            {
                "metric": metric,
                "months": len(a),
                "inside_80": float(np.mean((q[1] <= a) & (a <= q[3]))),
                "inside_90": float(np.mean((q[0] <= a) & (a <= q[4]))),
                "bias": float(rel.mean()) if len(rel) else math.nan,
                "bias_last": float((q[2][-1] - a[-1]) / a[-1]) if a[-1] > 0 else math.nan,
            }
        )
    return Backtest(
        source=source,
        holdout=int(holdout),
        cutoff=str(cutoff),
        table=pd.DataFrame(rows).set_index(["metric", "month"]),
        summary=pd.DataFrame(summary).set_index("metric"),
        calibration=cal,
        paths=int(paths),
        seed=int(seed),
    )
