"""The report's charts: ARR and customers, MRR movements, revenue retention, revenue by cohort and
unit economics against the guidelines."""

from __future__ import annotations

import numpy as np

from ...words import formatting as fm
from ...words.labels import metric_label
from .. import charts, ltv_note
from .context import ReportContext
from .markup import Html, _figure, _p, _section, _table
from .tables import unit_economics_table

__all__ = ["cohorts", "growth", "movements", "retention", "unit_economics"]


def growth(ctx: ReportContext) -> Html:
    """Fan charts of ARR and customers."""
    r, t = ctx.result, ctx.t

    def draw(axes):
        charts.fan_chart(r, "arr", ax=axes[0], lang=ctx.lang)
        charts.fan_chart(r, "customers", ax=axes[1], lang=ctx.lang)

    caption = t(
        "Median (line) and 80% range (shaded, P10 to P90) over {paths} simulated futures.",
        paths=fm.count(r.paths, ctx.lang),
    )
    fig = _figure(draw, t("ARR and customers by month"), caption, ncols=2, size=(10, 2.7))
    return _section(t("ARR and customers"), fig)


def movements(ctx: ReportContext) -> Html:
    """The MRR waterfall: new, expansion, contraction and churned MRR with bands, net new line."""
    r, t = ctx.result, ctx.t
    zero = [f for f in charts.FLOWS if not np.any(r.get(f)[:, 1:])]
    caption = t(
        "Bars: median MRR added (up) and lost (down) each month; whiskers: the 80% range of each "
        "flow. Line: median net new MRR with its 80% range."
    )
    if zero:
        names = t(", ").join(metric_label(f, ctx.lang) for f in zero)
        caption = fm.sentences(
            [caption, t("Not in this scenario: {names}.", names=names)], ctx.lang
        )
    fig = _figure(
        lambda ax: charts.mrr_waterfall(r, ax=ax, lang=ctx.lang),
        t("MRR movements each month"),
        caption,
        size=(10, 2.8),
    )
    return _section(t("MRR movements"), fig)


def retention(ctx: ReportContext) -> Html:
    """NRR and GRR over time."""
    r, t = ctx.result, ctx.t
    title = t("Revenue retention")
    if r.horizon < 12:
        return _section(
            title,
            _p(
                t(
                    "NRR and GRR need 12 months of history; the horizon is {months}.",
                    months=fm.months(r.horizon, ctx.lang),
                ),
                "note",
            ),
        )
    caption = t(
        "Revenue now of the customers active 12 months earlier, over their revenue then. NRR "
        "counts expansion; GRR counts only churn and contraction. Dotted line: 100%."
    )
    fig = _figure(
        lambda ax: charts.retention_chart(r, ax=ax, lang=ctx.lang),
        t("NRR and GRR by month"),
        caption,
        size=(10, 2.5),
    )
    return _section(title, fig)


def cohorts(ctx: ReportContext) -> Html:
    """The cohort layer cake."""
    r, t = ctx.result, ctx.t
    df = r.cohort_mrr()
    tm = r.horizon
    share = df.loc[tm, "start"] / df.loc[tm].sum() if df.loc[tm].sum() else np.nan
    caption = t(
        "Mean MRR by the year customers joined. At month {month}, the starting customers bring "
        "{share} of MRR.",
        month=tm,
        share=fm.percent(share, ctx.lang, 0),
    )
    fig = _figure(
        lambda ax: charts.cohort_layers(r, ax=ax, lang=ctx.lang),
        t("MRR by the year customers joined"),
        caption,
        size=(10, 2.7),
    )
    return _section(t("Revenue by cohort"), fig)


def unit_economics(ctx: ReportContext) -> Html:
    """LTV, LTV:CAC, CAC payback and ARR:CRC against the guidelines."""
    r, t = ctx.result, ctx.t
    table = unit_economics_table(r, lang=ctx.lang)
    note = t(
        "LTV = ARPA × gross margin / monthly churn (average of the last 12 months); CAC payback = "
        "CAC / (ARPA × gross margin); CRC = CS people + CS tools a month; ARR:CRC = ARR / "
        "(12 × CRC). Guidelines: LTV:CAC of 3:1 and ARR:CRC of 10:1."
    )
    note = fm.sentences(
        [
            note,
            ltv_note.ltv_sentence(r, lang=ctx.lang),
            ltv_note.ltv_cac_sentence(r, lang=ctx.lang),
        ],
        ctx.lang,
    )
    rows = len(charts.ratio_rows(r))
    fig = _figure(
        lambda ax: charts.unit_economics_chart(r, ax=ax, lang=ctx.lang),
        t("Unit economics against the guidelines"),
        t(
            "At month {month}: median (dot), 80% range (bar, P10 to P90), guideline (red tick).",
            month=r.horizon,
        ),
        size=(10, 1.0 + 0.4 * rows),
    )
    return _section(
        t("Unit economics"),
        _p(note, "note"),
        _table(
            table,
            caption=t("At month {month}: median (80% range)", month=r.horizon),
        ),
        fig,
    )
