"""The report's appendix: how the figures are worked out, their precision, the glossary and the
footnote that says how they were made."""

from __future__ import annotations

from ...words import formatting as fm
from ...words import glossary as words_glossary
from .. import narrative
from .context import ReportContext
from .markup import Html, _p, _section, _table, _terms, render
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
        "futures would give. The standard error is inversely proportional to the square root of "
        "the number of futures: four times the futures halves it. It measures simulation noise "
        "only, not whether the assumptions are right.",
        month=r.horizon,
        half=ctx.money(half),
    )
    return _section(
        t("Appendix: precision"),
        _p(text),
        _table(table.set_index(table.columns[0])),
        cls="precision appendix",
    )


#: The terms of :data:`cssim.words.glossary.GLOSSARY` a report's reader meets, in the order the
#: glossary at its end explains them.
APPENDIX_TERMS = (
    "median",
    "p10_p90",
    "path",
    "seed",
    "churn_rate",
    "mrr_arr",
    "arpa",
    "nrr",
    "grr",
    "hold_flat_churn",
    "expansion",
    "crc",
    "ltv",
    "cac",
    "common_random_numbers",
    "standard_error",
)


def glossary(ctx: ReportContext) -> Html:
    """The terms the report uses, in the reader's language, from the one glossary
    (:mod:`cssim.words.glossary`)."""
    t = ctx.t
    terms = {term["key"]: term for term in words_glossary.terms(ctx.lang)}
    # each term and its text in one group, so a page or column break never parts them
    return _section(
        t("Appendix: glossary"),
        _terms([(terms[k]["heading"], terms[k]["definition"]) for k in APPENDIX_TERMS]),
        cls="appendix",
    )


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
    return Html(render("footnote", text=text), text=text)
