"""The report's appendix: how the figures are worked out, their precision, the glossary and the
footnote that says how they were made."""

from __future__ import annotations

from ...words import formatting as fm
from ...words.i18n import N_
from .. import narrative
from .context import ReportContext
from .markup import Html, _p, _section, _table, e
from .tables import precision_table

__all__ = ["appendix", "footnote", "glossary", "precision"]


def appendix(ctx: ReportContext) -> Html:
    """How the figures are worked out: the back-of-envelope sum against the model, in words."""
    t = ctx.t
    paras = narrative.derivation(ctx.result, t)
    if not paras:
        paras = [
            t(
                "No segment has a simple growth rate against constant monthly churn, so there is "
                "no back-of-envelope sum to compare with: every figure comes from the simulation."
            )
        ]
    paras.append(
        t(
            "Every figure comes from simulating the scenario month by month many times: each "
            "simulated future draws which customers churn, how many join and, where an "
            "assumption is uncertain, its value."
        )
    )
    return _section(
        t("Appendix: how the figures are worked out"), *(_p(p) for p in paras), cls="appendix"
    )


def precision(ctx: ReportContext) -> Html:
    """How precise the Monte Carlo figures are."""
    r, t = ctx.result, ctx.t
    table = precision_table(r, ctx.lang)
    h = r.summary(months=[r.horizon]).set_index("kpi").loc["arr"]
    half = 1.96 * h["median_se"]
    text = t(
        "The median ARR at month {month} is within ±{half} (95%) of what unlimited simulated "
        "futures would give. The standard error shrinks with the square root of the number of "
        "futures: four times the futures halves it. It measures simulation noise only, not "
        "whether the assumptions are right.",
        month=r.horizon,
        half=ctx.money(half),
    )
    return _section(
        t("Appendix: precision"),
        _p(text),
        _table(table.set_index(table.columns[0])),
        cls="precision appendix",
    )


#: Terms the report uses, explained for a reader (the glossary at its end).
_GLOSSARY = [
    (
        N_("Median"),
        N_("The middle outcome: half of the simulated futures end above it, half below."),
    ),
    (
        N_("P10–P90"),
        N_(
            "The range of 8 futures in 10: 10% of the simulated futures end below P10 and 10% "
            "above P90."
        ),
    ),
    (
        N_("Simulated future (path)"),
        N_(
            "One possible course of the business month by month: who churns, how many join and, "
            "for uncertain assumptions, their value. The report simulates thousands."
        ),
    ),
    (
        N_("Seed"),
        N_(
            "The starting number of the random draws: the same scenario, seed and number of "
            "futures give exactly the same report."
        ),
    ),
    (N_("Churn"), N_("The share of customers who cancel in a month.")),
    (N_("MRR, ARR"), N_("Monthly recurring revenue, and annual recurring revenue = 12 × MRR.")),
    (N_("ARPA"), N_("Average revenue per customer a month: MRR / customers.")),
    (
        N_("NRR"),
        N_(
            "Net revenue retention: revenue now of the customers active 12 months ago, over "
            "their revenue then, counting expansion. Above 100%, existing customers grow revenue."
        ),
    ),
    (
        N_("GRR"),
        N_("Gross revenue retention: as NRR but without expansion; at most 100%."),
    ),
    (
        N_("Expansion"),
        N_("Revenue added by customers who stay: upsell, cross-sell, more seats."),
    ),
    (
        N_("CRC"),
        N_(
            "Customer retention cost: CS people plus CS tools a month. ARR:CRC of 10:1 is a "
            "common guideline."
        ),
    ),
    (
        N_("LTV"),
        N_(
            "Customer lifetime value: ARPA × gross margin / monthly churn (the expected lifetime "
            "is 1 / churn). LTV:CAC of 3:1 is a common guideline."
        ),
    ),
    (N_("CAC"), N_("Customer acquisition cost: what winning one new customer costs.")),
    (
        N_("Common random numbers"),
        N_(
            "A lever is simulated on the same futures as the base, so the difference between "
            "them is the lever's doing, not chance."
        ),
    ),
    (
        N_("Standard error"),
        N_("How much a figure would move if the simulation were run again with another seed."),
    ),
]


def glossary(ctx: ReportContext) -> Html:
    """The terms the report uses, in the reader's language."""
    t = ctx.t
    # each term and its text in one group, so a page or column break never parts them
    items = "".join(
        f"<div><dt>{e(t(term))}</dt><dd>{e(t(text))}</dd></div>" for term, text in _GLOSSARY
    )
    return _section(t("Appendix: glossary"), f"<dl class='glossary'>{items}</dl>", cls="appendix")


def footnote(ctx: ReportContext) -> Html:
    """How the figures were made: simulated futures (paths), seed, scenario file, cssim version."""
    from ..._version import __version__

    r, t = ctx.result, ctx.t
    text = "\u00b9 " + t(
        "{paths} simulated futures (paths) × {months}, seed {seed}: the same scenario, seed and "
        "paths give the same figures. Scenario file {file}; cssim {version}.",
        paths=fm.count(r.paths, ctx.lang),
        months=fm.months(r.horizon, ctx.lang),
        seed=r.seed,
        file=ctx.scenario_path.name,
        version=__version__,
    )
    return Html(f"<footer class='cssim-footnote'>{_p(text)}</footer>", text=text)
