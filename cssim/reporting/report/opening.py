"""The report's first pages: the header, the summary (the conclusion and its cards, what to do), the
scenario's description with its assumptions in plain words, and the key figures."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...words import formatting as fm
from ...words.labels import lever_label
from . import conclusion
from .context import ReportContext
from .health import health_lead
from .markup import Html, _cards, _columns, _h3, _list, _p, _section, _table, render
from .tables import assumptions_table, kpi_table

__all__ = ["assumptions", "header", "kpis", "summary"]


def _ranked_levers(ctx: ReportContext) -> pd.DataFrame:
    """The levers best first (:meth:`LeverResult.ranked`), with their words (before → after where
    one change says it) and the median ARR at the horizon with each (``arr``)."""
    lr = ctx.levers
    df = lr.ranked("arr")
    df["words"] = [ctx.lever_words(n) for n in df["lever"]]
    levels = lr.levels("arr").set_index("lever")
    df["arr"] = [float(levels.loc[n, "median"]) for n in df["lever"]]
    return df


def _levers_at_equal_cost(ctx: ReportContext) -> pd.DataFrame:
    """The levers the scenario gives a monthly cost for (``lever_costs``), best first at equal cost:
    ``ratio = median extra gross profit over months 1..H / (cost a month x H)``
    (:meth:`~cssim.analysis.levers.LeverResult.per_cost`). Empty without costs."""
    lr = ctx.levers
    df = lr.per_cost("gross_profit_cum")
    df["words"] = [ctx.lever_words(n) for n in df["lever"]]
    df["cost_month"] = df["cost_total"] / lr.horizon
    return df


def _churn_point_ceiling(ctx: ReportContext) -> str | None:
    """What one step of churn is worth in gross profit a month: a ceiling for what retention work
    may cost (median extra gross profit over months 1..H with the churn lever, divided by H)."""
    lr = ctx.levers
    if "churn_pt" not in lr.sizes:
        return None
    gp = lr.ranked("gross_profit_cum").set_index("lever")
    if "churn_pt" not in gp.index:
        return None
    total = float(gp.loc["churn_pt", "median"])
    if not np.isfinite(total) or total <= 0:
        return None
    month = lr.horizon
    return ctx.t(
        "{lever} adds {total} of gross profit over the {months} (median), {monthly} a month: "
        "retention work that costs less than {monthly} a month and achieves it pays for itself "
        "within the horizon.",
        lever=ctx.lever_words("churn_pt"),
        total=ctx.money(total),
        months=fm.months(month, ctx.lang),
        monthly=ctx.money(total / month),
    )


def header(ctx: ReportContext) -> Html:
    """The scenario's name and what the report covers (its description follows the conclusion, in
    :func:`assumptions`)."""
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
        description=[],
        meta=meta,
    )
    return Html(markup, text=sc.name)


def summary(ctx: ReportContext) -> Html:
    """The first screen: the conclusion (where ARR goes, whether the best lever stops the decline,
    what it would take, how far the range can be trusted) with its cards, then what to do."""
    r, t, lang = ctx.result, ctx.t, ctx.lang
    month = r.horizon
    paras = conclusion.paragraphs(ctx)
    ranked = _ranked_levers(ctx)
    items = [
        t(
            "{lever}: ARR {arr} at month {month}, {gain} (80% range of the gain {band})",
            lever=row.words,
            arr=ctx.money(row.arr),
            gain=fm.format_value(row.median, "money", lang, ctx.currency, sign=True),
            month=month,
            band=fm.span(
                fm.format_value(row.p10, "money", lang, ctx.currency, sign=True),
                fm.format_value(row.p90, "money", lang, ctx.currency, sign=True),
                lang,
            ),
        )
        for row in ranked.itertuples()
    ]
    todo = [
        _h3(t("What to do")),
        _p(
            t(
                "Each lever moved by the same step in its own unit ({steps}), best first, with ARR "
                "at month {month} and its gain over the base:",
                steps=t(", ").join(
                    lever_label(n, ctx.levers.sizes[n], lang=lang) for n in ranked["lever"]
                ),
                month=month,
            )
        ),
        _list(items, "levers"),
    ]
    ceiling = _churn_point_ceiling(ctx)
    if ceiling:
        todo.append(_p(ceiling))
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
    todo.append(
        _p(
            t("How the figures are worked out, their precision and a glossary are in the appendix.")
            + "\u00b9",
            "note",
        )
    )
    health = health_lead(ctx)  # with usage states: ARR at risk and what the CS team is worth
    if health:
        health = [_h3(t("Customer health and the CS team")), *(_p(line) for line in health)]
    return _section(
        t("What to expect and what to do"),
        _cards(conclusion.cards(ctx)),
        *(_p(p, "lead") for p in paras[:-1]),
        _p(paras[-1]),
        *health,
        *todo,
        cls="summary",
    )


def assumptions(ctx: ReportContext) -> Html:
    """The scenario's description, then every parameter in plain words: its value, or its median and
    90% range."""
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
    description = [p.strip() for p in sc.description.split("\n\n") if p.strip()]
    return _section(
        t("The scenario and its assumptions"),
        *(_p(p, "description") for p in description),
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
            t("Median over the simulated futures; in brackets, the 80% range (P10 to P90)."),
            "note",
        ),
        _table(table, cls="kpis"),
    )
