"""The calibration report: one self-contained HTML page (figures embedded as base64 PNG, no network address).

It shows where the numbers came from (file, months), every fitted figure with its standard error, the
fitted against the observed retention curves, the holdout check, the monthly MRR movements and KPIs, the
cohort retention table and the scenario written. All text from the data is escaped.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .htmlpage import esc, figure_img, page, table

if TYPE_CHECKING:  # pragma: no cover
    from ..data.calibrate import Calibration

__all__ = ["render_report", "write_report"]


def _num(x, fmt: str = ".4g") -> str:
    try:
        return "" if x is None or (isinstance(x, float) and np.isnan(x)) else format(x, fmt)
    except (TypeError, ValueError):
        return esc(x)


def _retention_figure(cal: Calibration):
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    if cal.sbg is not None:
        cal.sbg.plot(ax=ax)
        t = np.arange(len(cal.sbg.fitted_vs_observed()))
        geo = cal.churn_cohorts
        if geo is not None:
            ax.plot(t, geo.survival(t), "--", color="C1", label=f"constant churn {geo.churn:.3g}")
        ax.legend()
    ax.set_title("Retention by tenure: observed (cohorts pooled) and fitted")
    return fig


def _holdout_figure(cal: Calibration):
    import matplotlib.pyplot as plt

    h = cal.holdout
    fig, ax = plt.subplots(figsize=(7, 3.6))
    x = np.arange(len(h.table))
    ax.plot(x, h.table["actual"], "o-", color="black", label="actual")
    ax.plot(x, h.table["sbg"], "-", color="C0", label=f"sBG (MAPE {h.mape['sbg']:.1%})")
    ax.plot(
        x,
        h.table["constant"],
        "--",
        color="C1",
        label=f"constant churn (MAPE {h.mape['constant']:.1%})",
    )
    step = max(1, len(x) // 8)
    ax.set_xticks(x[::step], h.table.index[::step], rotation=30)
    ax.set_ylabel("active customers of the fitted cohorts")
    ax.set_title(f"Holdout: fitted to {h.cutoff}, predicted afterwards")
    ax.legend()
    return fig


def _movement_figure(cal: Calibration):
    import matplotlib.pyplot as plt

    h = cal.history.iloc[1:]
    x = np.arange(len(h))
    fig, (ax, ax2) = plt.subplots(2, 1, figsize=(8, 6), sharex=True)
    up = np.zeros(len(h))
    for col, color in (("new_mrr", "C2"), ("reactivation_mrr", "C9"), ("expansion_mrr", "C0")):
        if col in h:
            ax.bar(x, h[col], bottom=up, color=color, label=col.replace("_mrr", ""))
            up += h[col].to_numpy()
    down = np.zeros(len(h))
    for col, color in (("contraction_mrr", "C1"), ("churned_mrr", "C3")):
        if col in h:
            ax.bar(x, -h[col], bottom=-down, color=color, label=col.replace("_mrr", ""))
            down += h[col].to_numpy()
    ax.axhline(0, color="black", lw=0.6)
    ax.set_title("MRR movements per month")
    ax.legend(ncol=5, fontsize=8)
    for col, label in (
        ("logo_churn", "logo churn"),
        ("nrr_12m", "NRR (12 months)"),
        ("grr_12m", "GRR (12 months)"),
    ):
        if col in h and h[col].notna().any():
            ax2.plot(x, h[col], label=label)
    ax2.set_title("Retention KPIs")
    ax2.legend(fontsize=8)
    step = max(1, len(x) // 10)
    ax2.set_xticks(x[::step], h.index[::step], rotation=30)
    return fig


def render_report(cal: Calibration) -> str:
    """The report as one HTML string."""
    s = cal.summary()
    body = [
        f"<h1>Calibration: {esc(cal.scenario.name)}</h1>",
        f"<p class='muted'>From {esc(cal.source)} ({esc(cal.kind)} table), {esc(cal.months[0])} to "
        f"{esc(cal.months[-1])} ({len(cal.months)} months).</p>",
    ]
    rows = [
        [
            esc(k),
            (_num(r.estimate), r.estimate),
            (_num(r.se, ".2g"), r.se),
            "yes" if r.in_scenario else "",
        ]
        for k, r in s.iterrows()
    ]
    body += [
        "<h2>Fitted figures</h2>",
        table(["parameter", "estimate", "standard error", "in scenario"], rows),
    ]
    churn_rows = [
        [
            "constant monthly churn, all customers",
            _num(cal.churn.churn),
            _num(cal.churn.se, ".2g"),
            "",
            "",
        ]
    ]
    if cal.churn_cohorts is not None:
        g = cal.churn_cohorts
        churn_rows.append(
            [
                "constant churn, cohorts with known start",
                _num(g.churn),
                _num(g.se, ".2g"),
                _num(g.log_likelihood, ".2f"),
                _num(g.aic, ".2f"),
            ]
        )
    if cal.sbg is not None:
        f = cal.sbg
        churn_rows.append(
            [
                f"sBG alpha {f.alpha:.4g}, beta {f.beta:.4g}",
                _num(f.mean_churn),
                f"{f.alpha_se:.2g}, {f.beta_se:.2g}",
                _num(f.log_likelihood, ".2f"),
                _num(f.aic, ".2f"),
            ]
        )
    body += [
        "<h2>Churn models</h2>",
        f"<p>Used in the scenario: <strong>{esc(cal.churn_model)}</strong>. Likelihood ratio sBG vs "
        f"constant churn: {_num(cal.lr_test[0], '.3g')} (p = {_num(cal.lr_test[1], '.3g')}; the "
        "constant model is the sBG's boundary, so p uses 0.5 chi2(0) + 0.5 chi2(1)).</p>",
        table(
            ["model", "mean churn", "standard error", "log-likelihood", "AIC"],
            [[esc(r[0]), *r[1:]] for r in churn_rows],
        ),
    ]
    if cal.sbg is not None:
        body.append(figure_img(_retention_figure(cal), "observed and fitted retention by tenure"))
    if cal.acquisition is not None:
        a = cal.acquisition
        body += [
            "<h2>Acquisition</h2>",
            f"<p>Model chosen by AIC: <strong>{esc(a.model)}</strong> over {a.months} months. AIC: "
            + ", ".join(f"{esc(k)} {v:.2f}" for k, v in a.aic.items())
            + ".</p>",
        ]
    body.append("<h2>Holdout check</h2>")
    if cal.holdout is not None:
        h = cal.holdout
        body += [
            f"<p>Both churn models fitted to the months up to {esc(h.cutoff)}; the active customers of "
            "those cohorts predicted for the later months and compared with what happened. Mean absolute "
            f"percentage error: sBG {h.mape['sbg']:.2%}, constant churn {h.mape['constant']:.2%}.</p>",
            figure_img(_holdout_figure(cal), "holdout: actual and predicted active customers"),
            table(
                ["month", "actual", "sBG", "constant churn"],
                [
                    [esc(m), _num(r.actual, ".0f"), _num(r.sbg, ".1f"), _num(r.constant, ".1f")]
                    for m, r in h.table.iterrows()
                ],
            ),
        ]
    else:
        body.append("<p class='muted'>Not enough months or cohorts for a holdout check.</p>")
    body += ["<h2>History</h2>"]
    if "new_mrr" in cal.history:
        body.append(figure_img(_movement_figure(cal), "MRR movements and retention KPIs per month"))
    cols = [
        c
        for c in (
            "customers",
            "mrr",
            "new_customers",
            "churned_customers",
            "new_mrr",
            "expansion_mrr",
            "contraction_mrr",
            "churned_mrr",
            "reactivation_mrr",
            "logo_churn",
            "nrr_12m",
            "grr_12m",
        )
        if c in cal.history
    ]
    hist_rows = [[esc(m)] + [_num(r[c], ".4g") for c in cols] for m, r in cal.history.iterrows()]
    body.append(table(["month", *cols], hist_rows, sortable=True))
    ct = cal.cohort_table
    shown = ct.iloc[:36, : min(ct.shape[1], 26)]
    body += [
        "<h2>Cohort retention</h2>",
        "<p class='muted'>Share of each cohort (by first month) still active, continuously since joining, "
        "by tenure in months.</p>",
        table(
            ["cohort", *[str(c) for c in shown.columns]],
            [
                [esc(i)] + [_num(v, ".0f") if c == "size" else _num(v, ".0%") for c, v in r.items()]
                for i, r in shown.iterrows()
            ],
        ),
    ]
    body += ["<h2>Scenario written</h2>", f"<pre>{esc(cal.to_yaml())}</pre>"]
    if cal.notes:
        body += [
            "<h2>Notes</h2>",
            "<ul>" + "".join(f"<li>{esc(n)}</li>" for n in cal.notes) + "</ul>",
        ]
    from .htmlpage import SORT_JS

    return page(f"Calibration: {cal.scenario.name}", "\n".join(body), script=SORT_JS)


def write_report(cal: Calibration, directory: str | os.PathLike) -> Path:
    """Write ``calibration.html`` into ``directory`` atomically; returns its path."""
    from ..model.result import _atomic

    html = render_report(cal)
    return _atomic(
        Path(directory) / "calibration.html", lambda p: Path(p).write_text(html, encoding="utf-8")
    )
