"""The CS plan in words and on a page: what a CS team is worth, level by level (``cssim cs-plan``).

:func:`plan_sentences` says the decision first, from the numbers of a
:class:`~cssim.analysis.cs_plan.CSPlan`: where ARR at risk stands, the best level, the chance the next
step of hires pays back, where ARR:CRC 10:1 falls and how strong the CS effect must be for the choice to
hold. The report's customer-health section and the page share those sentences. :func:`write_cs_plan`
writes ``plan.csv`` (one row per level) and ``plan.html`` (the sentences, the curve and the table).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from ..model.atomic import atomic as _atomic
from ..model.csvout import write_csv
from ..words import formatting as fmt
from ..words.i18n import Translator
from .charts import embed
from .pages import render

__all__ = ["level_words", "plan_sentences", "plan_table", "write_cs_plan"]


def level_words(plan, level: float, lang: str) -> str:
    """A CS level for people: ``50 accounts per CSM`` / ``CSM 1人あたり50社``, ``4 CSMs`` / ``CSM 4人``."""
    _ = Translator(lang)
    if level is None or not math.isfinite(level):
        return _("today's CS team")
    if plan.by == "accounts_per_csm":
        return _("{n} accounts per CSM", n=fmt.format_value(level, "number", lang, digits=0))
    return _("{n} CSMs", n=fmt.format_value(level, "number", lang, digits="fit"))


def plan_sentences(plan, lang: str = "en", at_risk_share: float | None = None) -> list[str]:
    """The decision in a few sentences, numbers from ``plan`` (and the share of ARR at risk, if given)."""
    _ = Translator(lang)
    cur = plan.scenario.currency
    H = plan.scenario.horizon_months
    out = []
    if at_risk_share is not None and math.isfinite(at_risk_share):
        out.append(
            _(
                "At-risk and dormant accounts hold {share} of ARR at month {month} (median).",
                share=fmt.percent(at_risk_share, lang, 0),
                month=H,
            )
        )
    best, current = plan.best, plan.current
    gain = best["profit_mean"] - current["profit_mean"]
    if best["current"]:
        out.append(
            _(
                "Today's CS level ({level}) earns the most profit after CS over {months} of the "
                "levels tried: {profit} (mean).",
                level=level_words(plan, current["level"], lang),
                months=fmt.months(H, lang),
                profit=fmt.money(best["profit_mean"], cur, lang),
            )
        )
    else:
        out.append(
            _(
                "The best CS level is {level}: {gain} more profit after CS over {months} than today "
                "(mean; {profit} in all).",
                level=level_words(plan, best["level"], lang),
                gain=fmt.money(gain, cur, lang),
                months=fmt.months(H, lang),
                profit=fmt.money(best["profit_mean"], cur, lang),
            )
        )
    step = plan.next_step
    if step:
        p12, p24 = step.get("p_payback_12", math.nan), step.get("p_payback_24", math.nan)
        out.append(
            _(
                "Moving from today to {level} pays back within 12 months with probability {p12} "
                "and within 24 months with probability {p24}.",
                level=level_words(plan, step["level"], lang),
                p12=fmt.percent(p12, lang, 0) if math.isfinite(p12) else "–",
                p24=fmt.percent(p24, lang, 0) if math.isfinite(p24) else "–",
            )
        )
    g = plan.guideline_level()
    if math.isfinite(g):
        out.append(
            _(
                "ARR:CRC reaches the 10:1 guideline at about {level}.",
                level=level_words(plan, g, lang),
            )
        )
    be = plan.breakeven
    if be and be.get("max"):
        (name, value), *_rest = be["max"].items()
        if be.get("more_cs"):
            text = _(
                "The best level still beats today's as long as CS lifts the move {move} to at "
                "least {max} a month (the scenario assumes {assumed}).",
                move=name,
                max=fmt.percent(value, lang, 1),
                assumed=fmt.percent(_assumed(plan, name), lang, 1),
            )
        else:
            text = _(
                "Today's level would pay as well as the best only if CS lifted the move {move} to "
                "{max} a month (the scenario assumes {assumed}).",
                move=name,
                max=fmt.percent(value, lang, 1),
                assumed=fmt.percent(_assumed(plan, name), lang, 1),
            )
        out.append(text)
    return out


def _assumed(plan, name: str) -> float:
    seg = plan.scenario.segment(plan.segment)
    for r in seg.cs.response or []:
        if f"{r.from_} -> {r.to}" == name:
            return float(r.max.median() if hasattr(r.max, "median") else r.max)
    return math.nan


def plan_table(plan, lang: str = "en", compact: bool = False) -> tuple[list[str], list[list[str]]]:
    """The levels as a table people read: columns and rows of text, most CS last. ``compact`` (for the
    report's narrower page) puts the 80% range beside the mean and leaves out NRR and GRR."""
    _ = Translator(lang)
    cur = plan.scenario.currency
    t = plan.table.sort_values("cs_cost")
    level = _("Accounts per CSM") if plan.by == "accounts_per_csm" else _("CSMs")
    arr = _("ARR at month {month} (median)", month=plan.scenario.horizon_months)
    if compact:
        columns = [
            level,
            _("CS spend over the horizon"),
            _("Profit after CS (mean, 80% range)"),
            arr,
            "ARR:CRC",
            _("Step from the row above pays back: 12 / 24 months"),
        ]
    else:
        columns = [
            level,
            _("CS spend over the horizon"),
            _("Profit after CS (mean)"),
            _("80% range"),
            arr,
            "NRR",
            "GRR",
            "ARR:CRC",
            _("Step from the row above pays back: 12 / 24 months"),
        ]
    rows = []
    for r in t.itertuples():
        digits = 0 if plan.by == "accounts_per_csm" else "fit"
        name = (
            fmt.format_value(r.level, "number", lang, digits=digits)
            if math.isfinite(r.level)
            else level_words(plan, r.level, lang)
        )
        marks = [m for m, on in ((_("today"), r.current), (_("best"), r.best)) if on]
        if marks:
            name = _("{level} ({marks})", level=name, marks=_(", ").join(marks))
        pay = " / ".join(
            fmt.percent(v, lang, 0) if np.isfinite(v) else "–"
            for v in (r.p_payback_12, r.p_payback_24)
        )
        band = fmt.span(
            fmt.money(r.profit_p10, cur, lang), fmt.money(r.profit_p90, cur, lang), lang
        )
        ratio = fmt.format_value(r.arr_crc_median, "ratio", lang)
        if compact:
            rows.append(
                [
                    name,
                    fmt.money(r.cs_cost, cur, lang),
                    f"{fmt.money(r.profit_mean, cur, lang)} ({band})",
                    fmt.money(r.arr_median, cur, lang),
                    ratio,
                    pay,
                ]
            )
        else:
            rows.append(
                [
                    name,
                    fmt.money(r.cs_cost, cur, lang),
                    fmt.money(r.profit_mean, cur, lang),
                    band,
                    fmt.money(r.arr_median, cur, lang),
                    fmt.percent(r.nrr_median, lang, 1),
                    fmt.percent(r.grr_median, lang, 1),
                    ratio,
                    pay,
                ]
            )
    return columns, rows


def write_cs_plan(plan, folder, lang: str = "en", at_risk_share: float | None = None) -> list[Path]:
    """Write ``folder/plan.csv`` (one row per level; the level's column named as the scenario names it)
    and ``folder/plan.html`` (in ``lang``), atomically; returns the two paths."""
    import matplotlib.pyplot as plt

    from ..words.fonts import use_fonts

    use_fonts()
    _ = Translator(lang)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    csv = write_csv(plan.to_frame(), folder / "plan.csv")
    fig, ax = plt.subplots(figsize=(8, 4.5))
    plan.plot(ax=ax, lang=lang)
    fig.tight_layout()
    curve = embed(fig, _("Profit after CS against CS spend"))
    columns, rows = plan_table(plan, lang)
    html = render(
        "page.html",
        lang,
        title=_("CS plan: {name}", name=plan.scenario.name),
        notes=[
            _(
                "Segment {segment}; {paths} paths per level, seed {seed}, the same for every level "
                "(common random numbers).",
                segment=plan.segment,
                paths=fmt.count(plan.paths, lang),
                seed=plan.seed,
            )
        ],
        items=[],
        paragraphs=plan_sentences(plan, lang, at_risk_share),
        figures=[],
        sections=[
            {
                "heading": _("Profit after CS by CS level"),
                "figure": curve,
                "paragraphs": [
                    _(
                        "Profit after CS = gross margin × MRR − CS cost, summed over months 1 to "
                        "{months}. The band holds 8 of 10 simulated futures; the star marks the "
                        "level with the highest mean.",
                        months=plan.scenario.horizon_months,
                    )
                ],
                "columns": columns,
                "rows": rows,
            }
        ],
    )
    page = _atomic(folder / "plan.html", lambda p: Path(p).write_text(html, encoding="utf-8"))
    return [csv, page]
