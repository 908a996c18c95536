"""The report's appendix: how the figures are worked out, their precision, the glossary and the
footnote that says how they were made."""

from __future__ import annotations

from ...words import formatting as fm
from ...words import glossary as words_glossary
from .. import narrative
from .context import ReportContext
from .markup import Html, _p, _section, _table, _terms, render
from .tables import precision_table

__all__ = ["appendix", "footnote", "glossary", "methods", "precision"]


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
        *(_p(m) for m in methods(ctx)),
        _table(table.set_index(table.columns[0])),
        cls="precision appendix",
    )


def methods(ctx: ReportContext) -> list[str]:
    """How the uncertain assumptions were drawn (sampling, correlations) and, for a run that stopped
    by itself, where and why: nothing for a scenario without uncertain assumptions and a fixed count."""
    from ...model.correlation import correlation_plan
    from ...model.design import sampling_of
    from ...words.labels import parameter_label, precision_stat_label

    sc, r, t, lang = ctx.scenario, ctx.result, ctx.t, ctx.lang
    out = []
    if sc.uncertain():
        out.append(
            {
                "random": t(
                    "The uncertain assumptions are drawn at random for each simulated future "
                    "(plain Monte Carlo)."
                ),
                "lhs": t(
                    "The uncertain assumptions are drawn by Latin hypercube sampling: in each block "
                    "of 1,000 simulated futures every assumption takes one value from each of 1,000 "
                    "equally likely slices of its range, which makes averages more precise than "
                    "plain random draws. The standard errors below treat the futures as "
                    "independent, so for averages they are, if anything, too large."
                ),
                "sobol": t(
                    "The uncertain assumptions are drawn from scrambled Sobol sequences: in each "
                    "block of 1,000 simulated futures their values cover their ranges evenly, "
                    "together, which makes averages more precise than plain random draws. The "
                    "standard errors below treat the futures as independent, so for averages they "
                    "are, if anything, too large."
                ),
            }[sampling_of(sc)]
        )
    plan = correlation_plan(sc)
    if plan is not None:
        pairs = "; ".join(
            f"{parameter_label(plan.names[i], sc, lang)} ~ "
            f"{parameter_label(plan.names[j], sc, lang)} {fm.number(plan.spearman[i, j], lang, 2)}"
            for i in range(len(plan.names))
            for j in range(i + 1, len(plan.names))
            if plan.spearman[i, j] != 0
        )
        if plan.repaired:
            out.append(
                t(
                    "The correlations the scenario asks for are not consistent with one another; "
                    "the closest consistent ones are used instead (rank correlations: {pairs}), "
                    "imposed by reordering each block's draws.",
                    pairs=pairs,
                )
            )
        else:
            out.append(
                t(
                    "The assumptions move together as the scenario asks (rank correlations: "
                    "{pairs}), imposed by reordering each block's draws.",
                    pairs=pairs,
                )
            )
    stop = r.precision_stop
    if stop is not None:
        values = {
            "paths": fm.count(stop.paths, lang),
            "stat": precision_stat_label(stop.stat, lang),
            "month": stop.month,
            "half": fm.percent(stop.half_width, lang, 2)
            if stop.stat == "p_grows"
            else ctx.money(stop.half_width),
            "relative": fm.percent(stop.relative, lang, 2),
            "confidence": fm.percent(stop.confidence, lang, 0),
            "precision": fm.percent(stop.precision, lang, 2),
        }
        if stop.converged:
            out.append(
                t(
                    "The simulation stopped by itself at {paths} simulated futures, when {stat} at "
                    "month {month} was known within ±{half} ({relative}) at {confidence} "
                    "confidence, as asked (±{precision}); the interval comes from the blocks of "
                    "1,000 futures taken as independent repeats.",
                    **values,
                )
            )
        else:
            out.append(
                t(
                    "The simulation stopped at its cap of {paths} simulated futures before {stat} "
                    "at month {month} was known within ±{precision}: it is known within ±{half} "
                    "({relative}) at {confidence} confidence; the interval comes from the blocks "
                    "of 1,000 futures taken as independent repeats.",
                    **values,
                )
            )
    return out


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
