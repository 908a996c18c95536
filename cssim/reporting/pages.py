"""Pages people read besides the report (batch index, sweep, compare, levers, calibration), from templates.

Every page is a Jinja2 template under ``templates/pages/`` that extends one skeleton (``base.html``: the
``lang`` attribute, inline CSS, no network) and uses one table builder and one figure embedder
(``macros.html``; figures from :func:`cssim.reporting.charts.embed`). Autoescaping is on, so scenario text
(names, descriptions, errors) is data and never markup; Jinja2's i18n extension reads the same gettext
catalogs as the rest of cssim (``{{ _("...") }}`` in a template), and numbers come formatted from
:mod:`cssim.words.formatting`.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from ..words.i18n import N_, Translator
from .webfont import embed_cjk_font

__all__ = ["TEMPLATES", "cell", "environment", "render"]

TEMPLATES = Path(__file__).parent / "templates" / "pages"
#: The report's sections (:mod:`cssim.reporting.report.markup`), built with the pages' macros.
REPORT_TEMPLATES = TEMPLATES.parent / "report"


@functools.cache
def _static(name: str) -> str:
    """A stylesheet or script inlined into every page (``page.css``, ``sort.js``)."""
    return (TEMPLATES / name).read_text(encoding="utf-8")


def stylesheet() -> str:
    """The pages' stylesheet: the base every page shares, the report included (``templates/base.css``),
    then what the pages add (``page.css``)."""
    return (TEMPLATES.parent / "base.css").read_text(encoding="utf-8") + "\n" + _static("page.css")


@functools.cache
def environment(lang: str = "en"):
    """The Jinja2 environment for ``lang``: autoescaped, strict about undefined names, translated.

    It loads the pages' templates and the report's sections (``templates/report/``), which share the
    pages' one table builder and figure embedder (``macros.html``).
    """
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(
            [jinja2.FileSystemLoader(TEMPLATES), jinja2.FileSystemLoader(REPORT_TEMPLATES)]
        ),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(Translator(lang).translations, newstyle=False)
    return env


def cell(
    text: Any, sort: Any = None, href: str | None = None, cls: str | None = None
) -> dict[str, Any]:
    """A table cell for the table macro: shown ``text`` (escaped), a ``sort`` key, a link, a class."""
    return {"text": text, "sort": sort, "href": href, "cls": cls}


def render(template: str, lang: str = "en", **context: Any) -> str:
    """Render ``templates/pages/<template>`` in ``lang`` to a whole HTML document.

    A page with Japanese (or other CJK) text carries the glyphs it uses as a webfont
    (:func:`cssim.reporting.webfont.embed_cjk_font`, the report's own), so it shows no boxes on a
    machine without Japanese fonts; an all-Latin page stays as small as it was.
    """
    t = Translator(lang)
    env = environment(t.lang)
    context = {"sortable": False, **context}
    page = env.get_template(template).render(
        lang=t.lang, css=stylesheet(), sort_js=_static("sort.js"), **context
    )
    return embed_cjk_font(page)  # Japanese glyphs in the page itself, only when it has any


#: The break-even table's whole-scenario rows (:func:`cssim.analysis.breakeven.breakeven_table` names
#: them by what moves, not by a field), in words.
_TOTAL_BREAKEVEN = {
    "churn x factor (every segment)": N_("Churn of every segment, as a share of today's"),
    "+ expansion (every segment, per month)": N_("Expansion added to every segment, a month"),
}


def write_levers_page(
    scenario, result, path, *, tornado=None, breakeven=None, lang: str = "en"
) -> Path:
    """The levers page: what each lever adds to ARR (chart and table in one order), the break-even
    churn and expansion, and the tornado of uncertain inputs, in ``lang``.

    ``result`` is a :class:`cssim.analysis.levers.LeverResult`; ``tornado`` a
    :class:`~cssim.analysis.sensitivity.Tornado` or None; ``breakeven`` the frame of
    :func:`cssim.analysis.breakeven.breakeven_table` or None.
    """
    import matplotlib.pyplot as plt

    from ..analysis.levers import LEVERS
    from ..model.atomic import atomic as _atomic
    from ..words import formatting as fmt
    from ..words.chart_text import money_ticks
    from ..words.fonts import use_fonts
    from ..words.labels import lever_label, parameter_label
    from ..words.tables import at_equal_cost
    from .charts import embed

    use_fonts()
    _ = Translator(lang)
    cur = scenario.currency
    df = result.to_frame()
    arr = df[(df.metric == "arr") & (df.segment == "all")].sort_values("median", ascending=False)
    names = [lever_label(r.lever, r.size, LEVERS[r.lever].unit, lang) for r in arr.itertuples()]
    # the chart lists the levers top to bottom in the table's order
    fig, ax = plt.subplots(figsize=(7, 0.45 * len(arr) + 1.4))
    y = list(range(len(arr)))[::-1]
    ax.barh(y, arr["median"], color=["#2a7f62" if m >= 0 else "#b03a2e" for m in arr["median"]])
    ax.errorbar(
        arr["median"],
        y,
        xerr=[arr["median"] - arr["p10"], arr["p90"] - arr["median"]],
        fmt="none",
        ecolor="black",
        capsize=3,
        lw=1,
    )
    ax.set_yticks(y, names)
    ax.axvline(0, color="grey", lw=0.8)
    ax.xaxis.set_major_formatter(money_ticks(cur, lang))
    ax.set_xlabel(
        _(
            "change in ARR at month {month} ({currency}; median and 80% range)",
            month=scenario.horizon_months,
            currency=cur,
        )
    )
    lever_chart = embed(fig, _("What each lever adds to ARR"))
    rows = [
        [
            name,
            fmt.money(r.median, cur, lang),
            fmt.span(fmt.money(r.p10, cur, lang), fmt.money(r.p90, cur, lang), lang),
            fmt.percent(r.median / r.base, lang, 1, sign=True) if r.base else "–",
        ]
        for name, r in zip(names, arr.itertuples(), strict=True)
    ]
    sections = [
        {
            "heading": _("What each lever adds to ARR"),
            "figure": lever_chart,
            "columns": [_("Lever"), _("ARR added (median)"), _("80% range (P10–P90)"), _("Change")],
            "rows": rows,
        }
    ]
    cost_table, caption = at_equal_cost(
        result, lambda n, size: lever_label(n, size, LEVERS[n].unit, lang), lang
    )
    if len(cost_table):
        sections.append(
            {
                "heading": _("At equal cost"),
                "paragraphs": [caption],
                "columns": list(cost_table.columns),
                "rows": cost_table.values.tolist(),
            }
        )
    if breakeven is not None and len(breakeven):
        be_rows = []
        for r in breakeven.to_dict("records"):
            for part in ("churn", "expansion"):
                field = r.get(f"{part}_parameter")
                if not field or r.get(f"{part}_now") is None:
                    continue
                field_path = f"{r['segment']}.{field}"
                be_rows.append(
                    [
                        _(_TOTAL_BREAKEVEN[field])
                        if field in _TOTAL_BREAKEVEN
                        else parameter_label(field_path, scenario, lang),
                        fmt.percent(r[f"{part}_now"], lang, 2),
                        fmt.percent(r[f"{part}_breakeven"], lang, 2),
                    ]
                )
        sections.append(
            {
                "heading": _("Break-even"),
                "paragraphs": [
                    _(
                        "The level at which the customer base stays flat (churn) or revenue from "
                        "the customers who stay stays flat (expansion)."
                    )
                ],
                "columns": [_("Parameter"), _("Now"), _("Break-even")],
                "rows": be_rows,
            }
        )
    if tornado is not None:
        tax = tornado.plot(lang=lang)
        sections.append(
            {
                "heading": _("What drives the result"),
                "figure": embed(tax.figure, _("Tornado chart of the uncertain inputs")),
            }
        )
    html = render(
        "page.html",
        lang,
        title=_("Levers: {name}", name=scenario.name),
        notes=[
            _(
                "{paths} paths per lever, seed {seed}, the same for the base and every lever "
                "(common random numbers).",
                paths=fmt.count(result.paths, lang),
                seed=result.seed,
            )
        ],
        items=[],
        paragraphs=[],
        figures=[],
        sections=sections,
    )
    return _atomic(Path(path), lambda p: Path(p).write_text(html, encoding="utf-8"))
