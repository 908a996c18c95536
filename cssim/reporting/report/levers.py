"""What to do: each lever's worth, one step in its own unit and at equal cost, the churn that holds the
base flat, the churn floor, and which uncertain assumptions move ARR (tornado and rank correlations)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...model.result import TOTAL
from ...words import formatting as fm
from ...words.chart_text import money_ticks
from ...words.labels import lever_label, parameter_kind
from ...words.tables import at_equal_cost
from .context import ANALYSIS_PATHS, ReportContext
from .markup import Html, _figure, _p, _section, _table
from .opening import _ranked_levers
from .tables import _pct, parameter_label

__all__ = ["draw_churn_floor", "draw_levers", "draw_tornado", "sensitivity", "strategy"]


def draw_levers(ctx: ReportContext, ax) -> None:
    """The levers, one step each in its own unit, best first, with 80% range (P10-P90) whiskers, in
    ``ctx.lang``."""
    t = ctx.t
    ranked = _ranked_levers(ctx)
    ctx.levers.plot(
        ax=ax,
        labels=dict(zip(ranked["lever"], ranked["words"], strict=True)),
        xlabel=t("Extra ARR at month {month}: median and 80% range", month=ctx.result.horizon),
        title=t("Levers, one step each in its own unit, best first"),
        lang=ctx.lang,
    )


def draw_churn_floor(ctx: ReportContext, mv, ax) -> None:
    """What 10% less churn and 10% more expansion buy at each level of churn (``mv``: a
    :class:`~cssim.analysis.churn_floor.MarginalValue`), drawn once in ``ctx.lang``."""
    mv.plot(ax=ax, lang=ctx.lang)


def draw_tornado(ctx: ReportContext, tor, ax) -> None:
    """Each uncertain assumption at its P10 and P90 (``tor``: a
    :class:`~cssim.analysis.sensitivity.Tornado`), its range beside its name, in ``ctx.lang``."""
    sc, t, lang = ctx.scenario, ctx.t, ctx.lang

    def value(path: str, x: float) -> str:
        kind = parameter_kind(path, sc)
        return fm.format_value(x, kind, lang, sc.currency, digits="fit")

    df = tor.to_frame().iloc[::-1]
    y = np.arange(len(df))
    ax.barh(
        y, df["at_p10"] - tor.base, left=tor.base, color="#b03a2e", label=t("assumption at P10")
    )
    ax.barh(
        y, df["at_p90"] - tor.base, left=tor.base, color="#2a7f62", label=t("assumption at P90")
    )
    ax.set_yticks(
        y,
        [
            f"{parameter_label(r.input, sc, lang)}\n({value(r.input, r.p10)} – "
            f"{value(r.input, r.p90)})"
            for r in df.itertuples()
        ],
    )
    ax.axvline(tor.base, color="black", lw=0.8)
    ax.xaxis.set_major_formatter(money_ticks(sc.currency, lang))
    ax.set_xlabel(
        t("ARR at month {month} (the other assumptions at their medians)", month=tor.month)
    )
    ax.legend(loc="lower right", fontsize="small")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def strategy(ctx: ReportContext, paths: int = ANALYSIS_PATHS) -> Html:
    """What each lever is worth, one step in its own unit, on common random numbers, and what holds the
    customer base flat.

    The chart and the table list the levers in one order (:meth:`LeverResult.ranked`).
    """
    from ...analysis.levers import marginal_value

    sc, r, t, lang = ctx.scenario, ctx.result, ctx.t, ctx.lang
    lr = ctx.levers
    ranked = _ranked_levers(ctx)
    month = r.horizon

    def gain(v: float) -> str:
        return fm.format_value(v, "money", lang, ctx.currency, sign=True)

    rows = pd.DataFrame(
        {
            t("Lever"): ranked["words"],
            t("ARR at month {month} with the lever", month=month): [
                ctx.money(v) for v in ranked["arr"]
            ],
            t("Extra ARR (median)"): [gain(v) for v in ranked["median"]],
            t("80% range of the extra ARR"): [
                fm.span(gain(a), gain(b), lang) for a, b in zip(ranked.p10, ranked.p90, strict=True)
            ],
        }
    )
    steps = t(", ").join(lever_label(n, lr.sizes[n], lang=lang) for n in ranked["lever"])
    parts = [
        _p(
            t(
                "Each lever is moved by the same step in its own unit ({steps}): the same step, "
                "not the same effort, since what a step takes differs between levers and between "
                "teams. Each is applied to every segment on the same {paths} simulated futures as "
                "the base (common random numbers), so the difference is the lever's doing, not "
                "chance. Today's ARR is {start}.",
                steps=steps,
                paths=fm.count(lr.paths, lang),
                start=ctx.money(r.headline()["arr_start"]),
            )
        ),
        _figure(
            lambda ax: draw_levers(ctx, ax),
            t("Extra ARR by lever"),
            t(
                "Median extra ARR at month {month} with its 80% range (whiskers, P10 to P90), in "
                "the order of the table below.",
                month=month,
            ),
            size=(10, 0.8 + 0.36 * len(ranked)),
        ),
        _table(rows, index=False, caption=t("Extra ARR against the base, best first")),
    ]
    cost_rows, caption = at_equal_cost(ctx.levers, lambda n, size: ctx.lever_words(n), lang)
    if len(cost_rows):
        parts.append(_table(cost_rows, index=False, caption=caption, cls="at-equal-cost"))
    be = ctx.breakeven
    na = "\u2013"
    total = t("Total")
    be_rows = pd.DataFrame(
        {
            t("Segment"): [total if s in (None, TOTAL) else s for s in be["segment"]],
            t("Churn now (a month)"): [_pct(v, lang) for v in be["avg_monthly_churn_now"]],
            t("Churn that keeps the base flat"): [
                _pct(v, lang) if np.isfinite(v) else na for v in be["avg_monthly_churn_breakeven"]
            ],
        }
    )
    if "expansion_now" in be:
        be_rows[t("Expansion now (a month)")] = [
            _pct(v, lang) if np.isfinite(v) else na for v in be["expansion_now"]
        ]
        be_rows[t("Expansion for NRR ≥ 100%")] = [
            _pct(v, lang) if np.isfinite(v) else na for v in be["expansion_breakeven"]
        ]
    parts.append(
        _table(
            be_rows,
            index=False,
            caption=t(
                "What holds the base flat: the monthly churn at which the customer base stays "
                "flat, and the monthly expansion that NRR of 100% needs"
            ),
        )
    )
    if all(s.churn.monthly is not None and s.expansion is not None for s in sc.segments):
        # the churn floor: the same relative step (10% of today's rate) on churn and expansion
        mv = marginal_value(sc, seed=r.seed)
        parts.append(
            _figure(
                lambda ax: draw_churn_floor(ctx, mv, ax),
                t("The churn floor"),
                t(
                    "Extra ARR at month {month} from cutting churn by 10% or adding 10% to "
                    "expansion, at different levels of monthly churn (expected values): as churn "
                    "falls, the same relative cut in churn buys less, while expansion buys more.",
                    month=month,
                ),
                size=(10, 3.2),
            )
        )
    return _section(t("What each lever is worth"), *parts)


def sensitivity(ctx: ReportContext, paths: int = ANALYSIS_PATHS) -> Html:
    """Which uncertain assumptions move ARR at the horizon: a tornado, rank correlations and first-order
    indices with intervals (SALib's RBD-FAST on the report's own run, :func:`cssim.sensitivity`)."""
    from ...analysis.indices import sensitivity as indices
    from ...analysis.sensitivity import tornado

    sc, t, lang = ctx.scenario, ctx.t, ctx.lang
    title = t("Which assumptions matter")
    if not sc.uncertain():
        return _section(
            title,
            _p(
                t(
                    "Every assumption in this scenario is a fixed number, so there is no "
                    "uncertainty to rank; give an assumption a range to see which ones drive ARR."
                )
            ),
        )
    tor = tornado(sc)
    found = indices(sc, result=ctx.result)
    gf = found.frame
    table = pd.DataFrame(
        {
            t("Assumption"): [parameter_label(p, sc, lang) for p in gf["parameter"]],
            t("Rank correlation with ARR"): [fm.number(v, lang, 2) for v in gf["spearman"]],
            t("Share of the spread of expected ARR it explains on its own"): [
                f"{fm.percent(v, lang, 0)} (± {fm.percent(c, lang, 0)})"
                for v, c in zip(gf["S1"], gf["S1_conf"], strict=True)
            ],
        }
    )
    return _section(
        title,
        _p(
            t(
                "Tornado: each uncertain assumption at its P10 and P90 with the others at their "
                "medians (expected ARR at the horizon). Table: how closely each assumption moves "
                "with ARR when all of them vary together, and the share of the spread of expected "
                "ARR at the horizon that it explains on its own (a first-order Sobol index, "
                "estimated by RBD-FAST from this run's own draws, with its 95% interval). Together "
                "the assumptions explain {explained} of the spread of simulated ARR; the rest is "
                "chance: which customers churn and how many join.",
                explained=fm.percent(min(found.explained or 0.0, 1.0), lang, 0),
            )
        ),
        _figure(
            lambda ax: draw_tornado(ctx, tor, ax),
            t("Tornado of ARR at the horizon"),
            t("Spread of ARR at the horizon between each assumption's P10 and P90."),
            size=(10, 1.0 + 0.5 * len(tor.to_frame())),
        ),
        _table(table, index=False, caption=t("What moves ARR at the horizon")),
    )
