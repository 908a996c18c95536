"""Usage states fitted from data, said to people: the lines ``cssim calibrate --usage`` prints and the
calibration report's sections (the fitted matrix, churn by state and what the data cannot say)."""

from __future__ import annotations

from ..words import formatting as fm
from ..words.i18n import Translator

__all__ = ["health_fit_lines", "health_fit_sections", "what_data_cannot_say"]


def _states(names, values, lang: str, digits: int | None = 0, per: str | None = None) -> str:
    _ = Translator(lang)
    sep = "、" if _.lang == "ja" else ", "
    return sep.join(
        _(
            "{state} {value}",
            state=n,
            value=fm.format_value(v, "percent", lang, digits=digits, per=per),
        )
        for n, v in zip(names, values, strict=True)
    )


def _ratio_sentence(fit, lang: str) -> str:
    """``dormant accounts churn 7.9 times as often as healthy ones`` (the least and most used)."""
    _ = Translator(lang)
    r = fit.churn_by_state
    if not (r[0] > 0 and r[-1] == r[-1]):
        return ""
    return _(
        "{worst} accounts churn {times} as often as {best} ones",
        worst=fit.names[-1],
        best=fit.names[0],
        times=fm.format_value(r[-1] / r[0], "times", lang),
    )


def _notes(fit, lang: str) -> list[str]:
    _ = Translator(lang)
    return [
        _(
            "Note: {text}.",
            text=_(
                message,
                **{k: fm.count(v, lang) if isinstance(v, int) else v for k, v in values.items()},
            ),
        )
        for message, values in fit.notes
    ]


def what_data_cannot_say(lang: str) -> str:
    _ = Translator(lang)
    return _(
        "The effect of CS cannot be estimated from these data: CSMs go where the trouble is, so CS "
        "work and health move together whether or not CS helps. The scenario written has no CS "
        "effect (cs.response): add it as an assumption, with its uncertainty."
    )


def health_fit_lines(cal, lang: str) -> list[str]:
    """What ``cssim calibrate --usage`` prints after the provenance lines."""
    _ = Translator(lang)
    fit, usage = cal.health, cal.usage
    how = {
        "share": _("usage share in {column}", column=usage.column),
        "count": _(
            "count in {column}, full use at {max}",
            column=usage.column,
            max=fm.number(usage.usage_max, lang, 0),
        ),
        "state": _("state labels in {column}", column=usage.column),
    }[usage.how]
    first = _(
        "Usage: {source}, {rows}; {how}.",
        source=usage.source,
        rows=_("{n} rows", n=fm.count(usage.rows, lang)),
        how=how,
    )
    if usage.bands is not None:
        space = "" if _.lang == "ja" else " "
        first += space + _("States by share: {bands}.", bands=usage.bands.text(_.lang))
    lines = [first]
    lines.append(
        _(
            "{matched} of {paying} paying customer-months have a state ({share}); start: {start}.",
            matched=fm.count(fit.months_matched, lang),
            paying=fm.count(fit.months_paying, lang),
            share=fm.percent(fit.months_matched / fit.months_paying, lang, 0),
            start=_states(fit.names, fit.start, lang),
        )
    )
    churn = _(
        "Churn the month after, by state: {rates}",
        rates=_states(fit.names, fit.churn_by_state, lang, None, "month"),
    )
    ratio = _ratio_sentence(fit, lang)
    lines.append(_("{a}; {b}.", a=churn, b=ratio) if ratio else _("{a}.", a=churn))
    lines.append(what_data_cannot_say(lang))
    lines += _notes(fit, lang)
    return lines


def health_fit_sections(cal, lang: str) -> list[dict]:
    """The calibration report's sections on usage states."""
    _ = Translator(lang)
    fit = cal.health
    mean = fit.transition_mean()
    lo, hi = fit.transition_interval()
    pct = lambda x: fm.format_value(x, "percent", lang, digits=1)  # noqa: E731
    monthly = lambda x: fm.format_value(x, "percent", lang, per="month")  # noqa: E731
    times = lambda x: fm.format_value(x, "times", lang, digits=2)  # noqa: E731
    moves = {
        "heading": _("Usage states: moves a month"),
        "paragraphs": [
            health_fit_lines(cal, lang)[0],
            _(
                "Each row is where customers in that state who kept paying were the month after: the "
                "share and its 90% interval, from {n} observed moves (each row a Dirichlet posterior "
                "with half a count of prior per cell; the scenario carries this uncertainty).",
                n=fm.count(int(fit.transitions.sum()), lang),
            ),
        ],
        "columns": [_("from \\ to"), *fit.names, _("moves seen")],
        "rows": [
            [name]
            + [
                _(
                    "{value} ({low} to {high})",
                    value=pct(mean[i, j]),
                    low=pct(lo[i, j]),
                    high=pct(hi[i, j]),
                )
                for j in range(len(fit.names))
            ]
            + [fm.count(int(fit.transitions[i].sum()), lang)]
            for i, name in enumerate(fit.names)
        ],
    }
    m = fit.multiplier()
    mlo, mhi = fit.multiplier_interval()
    ratio = _ratio_sentence(fit, lang)
    churn = {
        "heading": _("Churn by usage state"),
        "paragraphs": [
            _(
                "Churn in the month after a month in each state, from the billing data; the "
                "multiplier is that churn over the churn of all these months ({pooled}), the "
                "scenario's churn multiplier (churn_multiplier; 90% interval).",
                pooled=monthly(fit.pooled_churn),
            )
            + (
                ("" if _.lang == "ja" else " ")
                + _("{sentence}.", sentence=ratio[:1].upper() + ratio[1:])
                if ratio
                else ""
            ),
            what_data_cannot_say(lang),
            *_notes(fit, lang),
        ],
        "columns": [
            _("state"),
            _("start share"),
            _("new share"),
            _("customer-months"),
            _("churned"),
            _("churn a month"),
            _("churn multiplier"),
        ],
        "rows": [
            [
                name,
                pct(fit.start[i]),
                pct(fit.new[i]),
                fm.count(int(fit.at_risk_months[i]), lang),
                fm.count(int(fit.churned[i]), lang),
                monthly(fit.churn_by_state[i]),
                _(
                    "{value} ({low} to {high})",
                    value=times(m[i]),
                    low=times(mlo[i]),
                    high=times(mhi[i]),
                ),
            ]
            for i, name in enumerate(fit.names)
        ],
    }
    return [moves, churn]
