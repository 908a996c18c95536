"""The report's first pages: the header, the summary (where ARR goes, the chance it grows, what to
do), the assumptions in plain words and the key figures."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...words import formatting as fm
from ...words.labels import lever_label
from .. import narrative
from .context import ReportContext
from .markup import Html, _cards, _columns, _h3, _list, _p, _section, _table, render
from .tables import _pct, assumptions_table, kpi_table

__all__ = ["assumptions", "header", "kpis", "summary"]


def _ranked_levers(ctx: ReportContext) -> pd.DataFrame:
    lr = ctx.levers
    df = lr.ranked("arr")
    df["words"] = [lever_label(n, lr.sizes[n], lang=ctx.lang) for n in df["lever"]]
    return df


def _levers_at_equal_cost(ctx: ReportContext) -> pd.DataFrame:
    """The levers the scenario gives a monthly cost for (``lever_costs``), best first at equal cost:
    ``ratio = median extra gross profit over months 1..H / (cost a month x H)``
    (:meth:`~cssim.analysis.levers.LeverResult.per_cost`). Empty without costs."""
    lr = ctx.levers
    df = lr.per_cost("gross_profit_cum")
    df["words"] = [lever_label(n, lr.sizes[n], lang=ctx.lang) for n in df["lever"]]
    df["cost_month"] = df["cost_total"] / lr.horizon
    return df


def _breakeven_words(ctx: ReportContext) -> str:
    """The break-even churn in a sentence (the whole scenario: the total row with several segments)."""
    t, lang = ctx.t, ctx.lang
    row = ctx.breakeven.iloc[-1]
    now, be = row["avg_monthly_churn_now"], row["avg_monthly_churn_breakeven"]
    if not np.isfinite(be):
        return t("No level of churn keeps the customer base flat in this scenario.")
    if be < now:
        return t(
            "Break-even: the customer base stays flat only if churn falls to {be} a month on "
            "average (now {now}).",
            be=_pct(be, lang),
            now=_pct(now, lang),
        )
    return t(
        "Break-even: churn could rise to {be} a month on average (now {now}) before the "
        "customer base shrinks.",
        be=_pct(be, lang),
        now=_pct(now, lang),
    )


def header(ctx: ReportContext) -> Html:
    """The scenario's name and description (as text), and what it covers."""
    sc, r, t = ctx.scenario, ctx.result, ctx.t
    meta = t(
        "{months} · currency {currency} · segments: {segments}",
        months=fm.months(r.horizon, ctx.lang),
        currency=sc.currency,
        segments=t(", ").join(sc.segment_names),
    )
    markup = render(
        "header",
        kicker=t("cssim scenario report"),
        name=sc.name,
        description=[p.strip() for p in sc.description.split("\n\n") if p.strip()],
        meta=meta,
    )
    return Html(markup, text=sc.name)


def summary(ctx: ReportContext) -> Html:
    """The first screen: where ARR goes, the chance it grows, what to do, the break-even churn."""
    r, t, lang = ctx.result, ctx.t, ctx.lang
    h = r.headline()
    month = h["month"]
    cards = [
        (
            t("ARR at month {month}", month=month),
            ctx.money(h["arr_median"]),
            t(
                "8 futures in 10: {low} – {high}",
                low=ctx.money(h["arr_p10"]),
                high=ctx.money(h["arr_p90"]),
            ),
        ),
        (t("ARR today"), ctx.money(h["arr_start"]), t("month 0")),
        (
            t("Chance ARR grows"),
            fm.percent(h["p_arr_grows"], lang, 0),
            t("by month {month}", month=month),
        ),
    ]
    if ctx.target is not None:
        hit = float(np.mean(r.get("arr")[:, month] >= ctx.target))
        cards.append(
            (
                t("Chance ARR reaches {target}", target=ctx.money(ctx.target)),
                fm.percent(hit, lang, 0),
                t("by month {month}", month=month),
            )
        )
    ranked = _ranked_levers(ctx)
    if len(ranked):
        best = ranked.iloc[0]
        cards.append(
            (
                t("Best lever at equal effort"),
                best["words"],
                t(
                    "{gain} more ARR at month {month} (median)",
                    gain=ctx.money(best["median"]),
                    month=month,
                ),
            )
        )
    paras = narrative.where_arr_goes(r, t, ctx.target_arr)
    items = [
        t(
            "{lever}: {gain} more ARR at month {month} (8 futures in 10: {low} – {high})",
            lever=row.words,
            gain=ctx.money(row.median),
            month=month,
            low=ctx.money(row.p10),
            high=ctx.money(row.p90),
        )
        for row in ranked.itertuples()
    ]
    todo = [
        _h3(t("What to do")),
        _p(t("The levers at equal effort, each the same size in its own unit, best first:")),
        _list(items, "levers"),
    ]
    by_cost = _levers_at_equal_cost(ctx)
    if len(by_cost):
        per_cost = [
            t(
                "{lever} ({cost} a month): {ratio} its cost back in gross profit by month {month}",
                lever=row.words,
                cost=ctx.money(row.cost_month),
                ratio=fm.format_value(row.per_cost, "times", lang),
                month=month,
            )
            for row in by_cost.itertuples()
        ]
        todo += [
            _p(t("At equal cost, with what the scenario says each lever costs, best first:")),
            _list(per_cost, "levers at-equal-cost"),
        ]
    todo += [
        _p(_breakeven_words(ctx)),
        _p(
            t("How the figures are worked out, their precision and a glossary are in the appendix.")
            + "\u00b9",
            "note",
        ),
    ]
    return _section(
        t("What to expect and what to do"),
        _cards(cards),
        *(_p(p, "lead") for p in paras),
        *todo,
        cls="summary",
    )


def assumptions(ctx: ReportContext) -> Html:
    """Every parameter in plain words: its value, or its median and 90% range."""
    sc, t = ctx.scenario, ctx.t
    general = pd.DataFrame(
        [
            (t("Horizon"), fm.months(sc.horizon_months, ctx.lang)),
            (t("Currency"), sc.currency),
            (t("ARR target"), t("none") if ctx.target is None else ctx.money(ctx.target)),
        ],
        columns=[t("Setting"), t("Value")],
    ).set_index(t("Setting"))
    params = assumptions_table(sc, ctx.lang)
    if len(sc.segments) == 1:
        params = params.drop(columns=[t("Segment")])
    if sc.uncertain():
        note = t(
            "Where an assumption is uncertain, each simulated future draws its own value once: "
            "the median and the range that holds 90% of the draws are shown."
        )
    else:
        note = t("Every assumption is a fixed number in this scenario.")
    return _section(
        t("Assumptions"),
        _columns(_table(general, numeric=()), _table(params, index=False, numeric=())),
        _p(note, "note"),
    )


def kpis(ctx: ReportContext) -> Html:
    """The KPI table at 12, 24, 36 months (or the horizon)."""
    t = ctx.t
    table = kpi_table(ctx.result, target_arr=ctx.target_arr, lang=ctx.lang)
    return _section(
        t("Key figures"),
        _p(
            t("Median over the simulated futures; in brackets, the range of 8 futures in 10."),
            "note",
        ),
        _table(table, cls="kpis"),
    )
