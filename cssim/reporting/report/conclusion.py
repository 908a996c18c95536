"""The report's conclusion, the first thing a reader sees: where ARR goes, whether the best lever stops
the decline, what it would take, and how much the range can be trusted, in sentences and cards written
from the numbers.

"The best lever stops the decline" means, precisely: with the lever pulled, the median ARR at the
horizon (over the lever's simulated futures, on common random numbers with the base) is at least
today's ARR. "What it would take" is the churn that holds the customer base flat (expected values,
:func:`cssim.analysis.breakeven.hold_flat`), with the GRR that churn means, and the expansion that NRR
of 100% needs. When every assumption is fixed, the 80% range is simulation noise only; the page says so
and shows expected ARR at the horizon with churn half a point lower and higher
(:func:`cssim.analysis.breakeven.churn_error`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...words import formatting as fm
from .context import ReportContext

__all__ = ["BestLever", "best_lever", "cards", "in_sentence", "paragraphs"]


@dataclass(frozen=True)
class BestLever:
    """The lever with the largest median gain in ARR at the horizon, and ARR with it pulled.

    ``stops`` is the precise claim: the median ARR at the horizon with the lever is at least today's.
    """

    name: str
    words: str
    gain: float
    arr: float
    arr_start: float

    @property
    def stops(self) -> bool:
        return bool(self.arr >= self.arr_start)


def best_lever(ctx: ReportContext) -> BestLever | None:
    """The best lever (first of :meth:`LeverResult.ranked`) and the median ARR at the horizon with it."""
    lr = ctx.levers
    levels = lr.levels("arr")
    if not len(levels):
        return None
    ranked = lr.ranked("arr")
    top = levels.iloc[0]
    return BestLever(
        name=top["lever"],
        words=ctx.lever_words(top["lever"]),
        gain=float(ranked.iloc[0]["median"]),
        arr=float(top["median"]),
        arr_start=float(ctx.result.headline()["arr_start"]),
    )


def in_sentence(words: str, lang: str) -> str:
    """A label as it reads inside an English sentence (``Churn 3% → 2%`` -> ``churn 3% → 2%``);
    an abbreviation (``ARR``) and Japanese stay as they are."""
    if lang != "en" or len(words) < 2 or words[1].isupper():
        return words
    return words[0].lower() + words[1:]


def _change(h: dict) -> float:
    return h["arr_median"] / h["arr_start"] - 1.0 if h["arr_start"] else np.nan


def _pct(x: float, lang: str) -> str:
    return fm.format_value(x, "percent", lang, digits="fit")


def _arr_path(ctx: ReportContext) -> str:
    """ARR's median at each KPI month: ``¥503M at month 12, ¥421M at month 24, ...``."""
    r, t = ctx.result, ctx.t
    arr = np.median(r.get("arr"), axis=0)
    return t(", ").join(
        t("{value} at month {month}", value=ctx.money(float(arr[m])), month=m)
        for m in r.kpi_months()
    )


def _where_arr_goes(ctx: ReportContext) -> str:
    r, t, lang = ctx.result, ctx.t, ctx.lang
    h = r.headline()
    change = _change(h)
    values = {
        "start": ctx.money(h["arr_start"]),
        "median": ctx.money(h["arr_median"]),
        "month": h["month"],
        "path": _arr_path(ctx),
    }
    if np.isfinite(change) and change < 0:
        text = t(
            "ARR falls from {start} today to {median} at month {month} (median), {p} less: {path}.",
            p=fm.percent(-change, lang),
            **values,
        )
    elif np.isfinite(change) and change > 0:
        text = t(
            "ARR grows from {start} today to {median} at month {month} (median), {p} more: {path}.",
            p=fm.percent(change, lang),
            **values,
        )
    else:
        text = t("ARR holds at {start} to month {month} (median): {path}.", **values)
    from .. import narrative

    grows = t(
        "ARR ends above today's {where}.", where=narrative.chance(h["p_arr_grows"], r.paths, t)
    )
    if ctx.target is not None:
        hit = float(np.mean(r.get("arr")[:, h["month"]] >= ctx.target))
        grows += t(
            " It reaches the target of {target} {where}.",
            target=ctx.money(ctx.target),
            where=narrative.chance(hit, r.paths, t),
        )
    return fm.sentences([text, grows], lang)


def _lever_sentence(ctx: ReportContext, best: BestLever) -> str:
    t, h = ctx.t, ctx.result.headline()
    values = {
        "lever": in_sentence(best.words, ctx.lang),
        "arr": ctx.money(best.arr),
        "gain": fm.format_value(best.gain, "money", ctx.lang, ctx.currency, sign=True),
        "month": h["month"],
        "start": ctx.money(best.arr_start),
    }
    if _change(h) >= 0:
        return t(
            "The strongest lever, {lever}, would take ARR to {arr} at month {month} ({gain}).",
            **values,
        )
    if best.stops:
        return t(
            "The strongest lever, {lever}, stops the decline: ARR at month {month} would be {arr} "
            "({gain}), at least today's {start} (median).",
            **values,
        )
    return t(
        "Even the strongest lever, {lever}, leaves ARR at {arr} at month {month} ({gain}), below "
        "today's {start}: it slows the decline but does not stop it. (A lever stops the decline "
        "when the median ARR at month {month} with it is at least today's.)",
        **values,
    )


def _what_it_takes(ctx: ReportContext) -> str:
    t, lang, hf = ctx.t, ctx.lang, ctx.hold_flat
    several = len(ctx.scenario.segments) > 1
    parts = []
    if not np.isfinite(hf.churn):
        parts.append(t("No level of churn keeps the customer base flat in this scenario."))
    elif hf.shrinking:
        values = {"be": _pct(hf.churn, lang), "now": _pct(hf.churn_now, lang)}
        if np.isfinite(hf.grr) and np.isfinite(hf.grr_now):
            parts.append(
                t(
                    "To hold the customer base flat, churn must fall to {be} a month on average "
                    "(now {now}): GRR of {grr} instead of {grr_now}.",
                    grr=fm.percent(hf.grr, lang),
                    grr_now=fm.percent(hf.grr_now, lang),
                    **values,
                )
            )
        else:
            parts.append(
                t(
                    "To hold the customer base flat, churn must fall to {be} a month on average "
                    "(now {now}).",
                    **values,
                )
            )
    else:
        parts.append(
            t(
                "The customer base holds: churn could rise to {be} a month on average (now {now}) "
                "before it shrinks.",
                be=_pct(hf.churn, lang),
                now=_pct(hf.churn_now, lang),
            )
        )
    if np.isfinite(hf.nrr_now) and hf.nrr_now < 1 and np.isfinite(hf.expansion):
        if several:
            parts.append(
                t(
                    "For existing customers' revenue to hold on its own (NRR 100%, now {nrr}), "
                    "every segment's expansion must rise by {be} a month.",
                    be=fm.points(hf.expansion, lang, 2).lstrip("+"),
                    nrr=fm.percent(hf.nrr_now, lang),
                )
            )
        else:
            parts.append(
                t(
                    "For existing customers' revenue to hold on its own (NRR 100%, now {nrr}), "
                    "expansion must reach {be} a month (now {now}).",
                    be=_pct(hf.expansion, lang),
                    now=_pct(hf.expansion_now, lang),
                    nrr=fm.percent(hf.nrr_now, lang),
                )
            )
    return fm.sentences(parts, lang)


def _honest_range(ctx: ReportContext) -> str:
    """What the 80% range is made of, and, when it is chance alone, what an error in churn does."""
    r, t, lang, sc = ctx.result, ctx.t, ctx.lang, ctx.scenario
    h = r.headline()
    band = fm.span(ctx.money(h["arr_p10"]), ctx.money(h["arr_p90"]), lang)
    if sc.uncertain():
        return t(
            "The 80% range of ARR at month {month} ({band}) combines chance with what the "
            "scenario says it does not know: {n} of its assumptions are ranges.",
            month=h["month"],
            band=band,
            n=len(sc.uncertain()),
        )
    ce = ctx.churn_error
    return t(
        "Every assumption is a fixed number, so the 80% range of ARR at month {month} ({band}) is "
        "simulation noise only: which customers happen to churn and join, not an error in the "
        "assumptions. An error of {points} in churn moves ARR more: at {low} a month, ARR at "
        "month {month} would be {arr_low}; at {high}, {arr_high} (expected values).",
        month=h["month"],
        band=band,
        points=fm.points(ce.points, lang).lstrip("+"),
        low=_pct(ce.churn_low, lang),
        high=_pct(ce.churn_high, lang),
        arr_low=ctx.money(ce.arr_low),
        arr_high=ctx.money(ce.arr_high),
    )


def paragraphs(ctx: ReportContext) -> list[str]:
    """The conclusion in three or four sentences' paragraphs: where ARR goes, the best lever, what it
    would take, how far the range can be trusted."""
    out = [_where_arr_goes(ctx)]
    best = best_lever(ctx)
    if best is not None:
        out.append(_lever_sentence(ctx, best))
    out.append(_what_it_takes(ctx))
    out.append(_honest_range(ctx))
    return out


def cards(ctx: ReportContext) -> list[tuple[str, str, str]]:
    """The headline cards: ARR at the horizon with its change, NRR, GRR, the chance ARR grows, the
    churn that holds the base flat, the best lever (and the chance of the target, if any)."""
    r, t, lang = ctx.result, ctx.t, ctx.lang
    h = r.headline()
    month = h["month"]
    change = _change(h)
    out = [
        (
            t("ARR at month {month}", month=month),
            ctx.money(h["arr_median"]),
            t(
                "{change} from {start} today\n80% range {band}",
                change=fm.percent(change, lang, sign=True),
                start=ctx.money(h["arr_start"]),
                band=fm.span(ctx.money(h["arr_p10"]), ctx.money(h["arr_p90"]), lang),
            ),
        )
    ]
    if month >= 12:
        for metric, label in (
            ("nrr", t("NRR (with expansion)")),
            ("grr", t("GRR (without expansion)")),
        ):
            out.append(
                (
                    label,
                    fm.percent(float(np.nanmedian(r.get(metric)[:, month])), lang),
                    t("trailing 12 months, at month {month}", month=month),
                )
            )
    out.append(
        (
            t("Chance ARR grows"),
            fm.percent(h["p_arr_grows"], lang, 0),
            t("ARR at month {month} above today's", month=month),
        )
    )
    if ctx.target is not None:
        hit = float(np.mean(r.get("arr")[:, month] >= ctx.target))
        out.append(
            (
                t("Chance ARR reaches {target}", target=ctx.money(ctx.target)),
                fm.percent(hit, lang, 0),
                t("at month {month}", month=month),
            )
        )
    hf = ctx.hold_flat
    if np.isfinite(hf.churn):
        note = t("now {now}", now=fm.format_value(hf.churn_now, "percent", lang, digits="fit"))
        if np.isfinite(hf.grr) and np.isfinite(hf.grr_now):
            note += "\n" + t(
                "GRR: {change}",
                change=fm.change(fm.percent(hf.grr_now, lang), fm.percent(hf.grr, lang), lang),
            )
        out.append(
            (
                t("Churn that holds the base flat"),
                fm.format_value(hf.churn, "percent", lang, digits="fit", per="month"),
                note,
            )
        )
    best = best_lever(ctx)
    if best is not None:
        verdict = ""
        if change < 0:
            verdict = t(": stops the decline") if best.stops else t(": the decline goes on")
        out.append(
            (
                t("Best lever"),
                best.words,
                t(
                    "ARR {arr} at month {month} ({gain}){verdict}",
                    arr=ctx.money(best.arr),
                    month=month,
                    gain=fm.format_value(best.gain, "money", lang, ctx.currency, sign=True),
                    verdict=verdict,
                ),
            )
        )
    return out
