"""Customer health and what the CS team is worth: the report's section for scenarios with usage states.

Decision first: the share of ARR held by at-risk and dormant accounts, how much faster the least healthy
churn, the best CS level and the chance the next step of hires pays back (the CS plan of each segment
with usage states, :attr:`ReportContext.cs_plans`); then the state mix over time, churn by state and the
CS curve. A scenario without usage states gets no section (an empty fragment).
"""

from __future__ import annotations

import math

import numpy as np

from ...model.result import TOTAL
from ...words import formatting as fm
from .. import health_charts
from ..cs_plan_page import plan_sentences, plan_table
from .context import ReportContext
from .markup import Html, _figure, _h3, _p, _section

__all__ = ["health", "health_lead"]


def _has_health(ctx: ReportContext) -> bool:
    return any(s.health is not None for s in ctx.scenario.segments)


def _at_risk_share(ctx: ReportContext, segment: str = TOTAL) -> float:
    a = ctx.result.get("arr_at_risk_share", segment)[:, ctx.result.horizon]
    return float(np.nanmedian(a)) if np.isfinite(a).any() else math.nan


def health_lead(ctx: ReportContext) -> list[str]:
    """What the first screen says about customer health and the CS team (empty without usage states):
    the share of ARR at risk and, per segment, the plan's decision."""
    if not _has_health(ctx):
        return []
    out = []
    for name, plan in ctx.cs_plans.items():
        multi = len(ctx.scenario.segments) > 1
        share = _at_risk_share(ctx, name if multi else TOTAL)
        lines = plan_sentences(plan, ctx.lang, share)
        if multi:
            lines = [ctx.t("{segment}: {text}", segment=name, text=line) for line in lines]
        out += lines[:3]
    if not out:  # usage states without a CS block: the share at risk alone
        share = _at_risk_share(ctx)
        if math.isfinite(share):
            out.append(
                ctx.t(
                    "At-risk and dormant accounts hold {share} of ARR at month {month} (median).",
                    share=fm.percent(share, ctx.lang, 0),
                    month=ctx.result.horizon,
                )
            )
    return out


def _churn_ratio(ctx: ReportContext, segment: str) -> str | None:
    """``Dormant accounts churn k times as often as healthy ones (8.0% against 1.0% a month).``"""
    r = ctx.result
    names = health_charts._states_by_health(r, segment)
    if len(names) < 2:
        return None
    best, worst = names[0], names[-1]
    rate = {
        s: health_charts._mean_rate(r, f"churned_customers@{s}", f"customers@{s}", segment)
        for s in (best, worst)
    }
    if not rate[best] > 0:
        return None
    return ctx.t(
        "Churn by usage state: {worst} {k} times that of {best} ({worst_rate} against {best_rate} "
        "a month).",
        worst=worst,
        best=best,
        k=fm.format_value(rate[worst] / rate[best], "number", ctx.lang, digits=1),
        worst_rate=fm.percent(rate[worst], ctx.lang, 1),
        best_rate=fm.percent(rate[best], ctx.lang, 1),
    )


def health(ctx: ReportContext) -> Html:
    """The customer-health section: decision first, then the state mix, churn by state and the CS
    curve of each segment with usage states."""
    if not _has_health(ctx):
        return Html("", text="")
    t, lang, r = ctx.t, ctx.lang, ctx.result
    parts = []  # the decision (health_lead) is on the first screen; here the evidence behind it
    segments = [s.name for s in ctx.scenario.segments if s.health is not None]
    for name in segments:
        seg = name if len(ctx.scenario.segments) > 1 else TOTAL
        if len(segments) > 1 or len(ctx.scenario.segments) > 1:
            parts.append(_h3(name))
        ratio = _churn_ratio(ctx, seg)
        if ratio:
            parts.append(_p(ratio))

        def draw(axes, seg=seg):
            health_charts.state_mix(r, seg, ax=axes[0], lang=lang)
            health_charts.churn_by_state(r, seg, ax=axes[1], lang=lang)

        parts.append(
            _figure(
                draw,
                t("Customers by usage state and churn by state"),
                t(
                    "Left: mean customers in each usage state by month, the healthiest at the "
                    "bottom. Right: monthly churn of each state over the {months} (dashed: all "
                    "customers).",
                    months=fm.months(r.horizon, lang),
                ),
                ncols=2,
                size=(10, 3.0),
                width_ratios=(3, 2),
            )
        )
        plan = ctx.cs_plans.get(name)
        if plan is not None:
            parts.append(
                _figure(
                    lambda ax, plan=plan: plan.plot(ax=ax, lang=lang),
                    t("Profit after CS against CS spend"),
                    t(
                        "Profit after CS (gross margin × MRR − CS cost over months 1 to {months}) at "
                        "each CS level, on the same {paths} simulated futures: median and 80% range; "
                        "the star marks the highest mean, the square today's level.",
                        months=r.horizon,
                        paths=fm.count(plan.paths, lang),
                    ),
                    size=(10, 3.4),
                )
            )
            columns, rows = plan_table(plan, lang, compact=True)
            parts.append(
                {
                    "kind": "table",
                    "columns": columns,
                    "rows": rows,
                    "caption": t("What each CS level gives"),
                    "numeric": None,
                    "cls": "cs-plan",
                }
            )
    parts.append(
        _p(
            t(
                "How CS moves customers between states is an assumption of the scenario (its CS "
                "response), not something the data can show; the plan says how strong it must be "
                "for the choice to hold."
            ),
            "note",
        )
    )
    return _section(t("Customer health and what the CS team is worth"), *parts, cls="health")
