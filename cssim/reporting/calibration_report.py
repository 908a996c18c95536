"""The calibration report: one self-contained HTML page (figures embedded as base64 PNG, no network address).

It shows where the numbers came from (file, months), every fitted figure with its standard error, the
fitted against the observed retention curves, the holdout check, the monthly MRR movements and KPIs, the
cohort retention table and the scenario written. All text from the data is escaped.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..words import formatting as fmt
from ..words.i18n import N_, Translator
from .charts import embed
from .pages import cell, render

if TYPE_CHECKING:  # pragma: no cover
    from ..data.calibrate import Calibration

__all__ = ["render_report", "write_report"]


def _num(x, kind: str = "number", lang: str = "en") -> str:
    """A fitted figure for people (no scientific notation; nothing where there is none): by ``kind``
    (:func:`~cssim.words.formatting.format_value`), percentages with two decimals."""
    digits = 2 if kind == "percent" else None
    return fmt.format_value(x, kind, lang, "JPY", digits=digits, missing="")


def _retention_figure(cal: Calibration, lang: str = "en"):
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    from ..words.fonts import use_fonts

    use_fonts()  # Japanese names render (IPAexGothic after the Latin font)

    _ = Translator(lang)
    fig, ax = plt.subplots(figsize=(7, 4))
    if cal.sbg is not None:
        cal.sbg.plot(ax=ax, lang=lang)
        t = np.arange(len(cal.sbg.fitted_vs_observed()))
        geo = cal.churn_cohorts
        if geo is not None:
            ax.plot(
                t,
                geo.survival(t),
                "--",
                color="C1",
                label=_("constant churn {churn}", churn=f"{geo.churn:.3g}"),
            )
        ax.legend()
    ax.set_title(_("Retention by tenure: observed (cohorts pooled) and fitted"))
    return fig


def _holdout_figure(cal: Calibration, lang: str = "en"):
    import matplotlib.pyplot as plt

    from ..words.fonts import use_fonts

    use_fonts()  # Japanese names render (IPAexGothic after the Latin font)

    _ = Translator(lang)
    h = cal.holdout
    fig, ax = plt.subplots(figsize=(7, 3.6))
    x = np.arange(len(h.table))
    ax.plot(x, h.table["actual"], "o-", color="black", label=_("actual"))
    ax.plot(
        x,
        h.table["sbg"],
        "-",
        color="C0",
        label=_("sBG (MAPE {mape})", mape=fmt.percent(h.mape["sbg"], lang, 1)),
    )
    if np.isfinite(h.mape.get("onboarding", np.nan)):
        ax.plot(
            x,
            h.table["onboarding"],
            "-.",
            color="C2",
            label=_(
                "onboarding churn (MAPE {mape})", mape=fmt.percent(h.mape["onboarding"], lang, 1)
            ),
        )
    ax.plot(
        x,
        h.table["constant"],
        "--",
        color="C1",
        label=_("constant churn (MAPE {mape})", mape=fmt.percent(h.mape["constant"], lang, 1)),
    )
    step = max(1, len(x) // 8)
    ax.set_xticks(x[::step], h.table.index[::step], rotation=30)
    ax.set_ylabel(_("active customers of the fitted cohorts"))
    ax.set_title(_("Holdout: fitted to {cutoff}, predicted afterwards", cutoff=h.cutoff))
    ax.legend()
    return fig


#: The MRR movements' legend entries (``cssim.data.history`` columns).
_MOVEMENTS = {
    "new_mrr": N_("new"),
    "reactivation_mrr": N_("reactivation"),
    "expansion_mrr": N_("expansion"),
    "contraction_mrr": N_("contraction"),
    "churned_mrr": N_("churned"),
}


def _movement_figure(cal: Calibration, lang: str = "en"):
    import matplotlib.pyplot as plt
    from matplotlib.ticker import PercentFormatter

    from ..words.chart_text import money_ticks
    from ..words.fonts import use_fonts

    use_fonts()  # Japanese names render (IPAexGothic after the Latin font)

    _ = Translator(lang)
    h = cal.history.iloc[1:]
    x = np.arange(len(h))
    fig, (ax, ax2) = plt.subplots(2, 1, figsize=(8, 6), sharex=True)
    up = np.zeros(len(h))
    for col, color in (("new_mrr", "C2"), ("reactivation_mrr", "C9"), ("expansion_mrr", "C0")):
        if col in h:
            ax.bar(x, h[col], bottom=up, color=color, label=_(_MOVEMENTS[col]))
            up += h[col].to_numpy()
    down = np.zeros(len(h))
    for col, color in (("contraction_mrr", "C1"), ("churned_mrr", "C3")):
        if col in h:
            ax.bar(x, -h[col], bottom=-down, color=color, label=_(_MOVEMENTS[col]))
            down += h[col].to_numpy()
    ax.axhline(0, color="black", lw=0.6)
    ax.yaxis.set_major_formatter(money_ticks(cal.scenario.currency, lang))
    ax.set_title(_("MRR movements per month"))
    ax.legend(ncol=5, fontsize=8)
    for col, label in (
        ("logo_churn", N_("logo churn")),
        ("nrr_12m", N_("NRR (12 months)")),
        ("grr_12m", N_("GRR (12 months)")),
    ):
        if col in h and h[col].notna().any():
            ax2.plot(x, h[col], label=_(label))
    ax2.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax2.set_title(_("Retention KPIs"))
    ax2.legend(fontsize=8)
    step = max(1, len(x) // 10)
    ax2.set_xticks(x[::step], h.index[::step], rotation=30)
    return fig


def _chosen_how(chosen_by: str) -> str:
    """How the acquisition form was chosen, in words (``Fits.acquisition.chosen_by``)."""
    if chosen_by.startswith("held-out"):
        return N_("chosen by how well each form forecast held-out months")
    if chosen_by == "given":
        return N_("as given")
    return N_("chosen by AIC, as the data are too short for a holdout")


def render_report(cal: Calibration, lang: str = "en") -> str:
    """The calibration page as one HTML string, in ``lang``."""
    _ = Translator(lang)
    yes = _("yes")
    sections = [
        {
            "heading": _("Fitted figures"),
            "columns": [_("Parameter"), _("estimate"), _("standard error"), _("in scenario")],
            "rows": [
                # by size band the scenario uses each band's own fits, none of these
                [name, cell(est, raw_est), cell(se, raw_se), yes if used and not cal.bands else ""]
                for name, est, se, used, raw_est, raw_se in cal.summary_cells(lang)
            ],
        }
    ]
    from .size_band_report import size_band_section
    from .widening_report import (
        FORM_NAMES,
        leaver_section,
        small_company_section,
        widening_section,
    )

    bands = size_band_section(cal, lang)  # by size band: each band's own fit, before the whole's
    if bands is not None:
        sections.insert(0, bands)
    # a small company: how wide the band is, in words, before any figure
    small = small_company_section(cal, lang)
    if small is not None:
        sections.insert(0, small)
    if cal.provenance is not None:  # how the file was read, so a reader can check it first
        sections.insert(
            0, {"heading": _("How the file was read"), "list": cal.provenance.lines(lang)}
        )
    # usage states right after the fitted figures: what CS leaders look for
    if cal.health is not None:
        from .health_fit_text import health_fit_sections

        sections += health_fit_sections(cal, lang)
    churn_rows = [
        [
            _("constant monthly churn, all customers"),
            _num(cal.churn.churn, "percent", lang),
            _num(cal.churn.se, "percent", lang),
            "",
            "",
        ]
    ]
    if cal.churn_cohorts is not None:
        g = cal.churn_cohorts
        churn_rows.append(
            [
                _("constant churn, cohorts with known start"),
                _num(g.churn, "percent", lang),
                _num(g.se, "percent", lang),
                _num(g.log_likelihood, lang=lang),
                _num(g.aic, lang=lang),
            ]
        )
    if cal.sbg is not None:
        f = cal.sbg
        churn_rows.append(
            [
                _("sBG alpha {alpha}, beta {beta}", alpha=_num(f.alpha), beta=_num(f.beta)),
                _num(f.mean_churn, "percent", lang),
                f"{_num(f.alpha_se, lang=lang)}, {_num(f.beta_se, lang=lang)}",
                _num(f.log_likelihood, lang=lang),
                _num(f.aic, lang=lang),
            ]
        )
    sections.append(
        {
            "heading": _("Churn models"),
            "paragraphs": [
                _(
                    "Used in the scenario: {model}. Likelihood ratio sBG vs constant churn: {lr} "
                    "(p = {p}; the constant model is the sBG's boundary, so p uses 0.5 chi2(0) + "
                    "0.5 chi2(1)).",
                    model=_(FORM_NAMES.get(cal.churn_model, cal.churn_model)),
                    lr=_num(cal.lr_test[0], lang=lang),
                    p=_num(cal.lr_test[1], lang=lang),
                )
            ],
            "columns": [
                _("model"),
                _("mean churn"),
                _("standard error"),
                _("log-likelihood"),
                "AIC",
            ],
            "rows": churn_rows,
            "figures": [
                embed(_retention_figure(cal, lang), _("observed and fitted retention by tenure"))
            ]
            if cal.sbg is not None
            else [],
        }
    )
    if cal.acquisition is not None:
        a = cal.acquisition
        sections.append(
            {
                "heading": _("Acquisition"),
                "paragraphs": [
                    _(
                        "Model used: {model}, fitted to {months} months; {how} (AIC for "
                        "reference, lower is better: {aic}).",
                        model=_(FORM_NAMES.get(a.model, a.model)),
                        months=a.months,
                        how=_(_chosen_how(a.chosen_by)),
                        aic=_(", ").join(
                            f"{_(FORM_NAMES.get(k, k))} {_num(v, lang=lang)}"
                            for k, v in a.aic.items()
                        ),
                    )
                ],
            }
        )
    if cal.holdout is not None:
        h = cal.holdout
        sections.append(
            {
                "heading": _("Holdout check"),
                "paragraphs": [
                    _(
                        "Each churn model fitted to the months up to {cutoff}; the active customers "
                        "of those cohorts predicted for the later months and compared with what "
                        "happened. Mean absolute percentage error: sBG {sbg}, onboarding churn "
                        "{onboarding}, constant churn {constant}.",
                        cutoff=h.cutoff,
                        sbg=fmt.percent(h.mape["sbg"], lang, 2),
                        onboarding=fmt.percent(h.mape.get("onboarding", np.nan), lang, 2),
                        constant=fmt.percent(h.mape["constant"], lang, 2),
                    )
                ],
                "figures": [
                    embed(
                        _holdout_figure(cal, lang),
                        _("holdout: actual and predicted active customers"),
                    )
                ],
                "columns": [
                    _("month"),
                    _("actual"),
                    "sBG",
                    _("onboarding churn"),
                    _("constant churn"),
                ],
                "rows": [
                    [
                        m,
                        fmt.number(r.actual, lang, 0),
                        fmt.number(r.sbg, lang, 1),
                        fmt.number(r.onboarding, lang, 1),
                        fmt.number(r.constant, lang, 1),
                    ]
                    for m, r in h.table.iterrows()
                ],
            }
        )
    else:
        sections.append(
            {
                "heading": _("Holdout check"),
                "paragraphs": [_("Not enough months or cohorts for a holdout check.")],
            }
        )
    if getattr(cal, "backtest", None) is not None:
        from .backtest_report import backtest_section

        sections.append(backtest_section(cal.backtest, lang))
    sections.append(widening_section(cal, lang))
    leavers = leaver_section(cal, lang)
    if leavers is not None:
        sections.append(leavers)
    cols = [c for c in _HISTORY if c in cal.history]
    from ..data.history import METRIC_DEFINITIONS

    sections.append(
        {
            "heading": _("History"),
            "figures": [
                embed(_movement_figure(cal, lang), _("MRR movements and retention KPIs per month"))
            ]
            if "new_mrr" in cal.history
            else [],
            "columns": [_("month"), *(_(_HISTORY[c]) for c in cols)],
            "rows": [
                [m] + [cell(_num(r[c], _kind(c), lang), r[c]) for c in cols]
                for m, r in cal.history.iterrows()
            ],
            "sortable": True,
        }
    )
    # the measures' definitions under their own heading, after the table they define
    sections.append(
        {
            "heading": _("Definitions of the measures"),
            "paragraphs": [_("Definitions (billing tools differ):")],
            "list": [
                _("{term}: {definition}", term=_(_HISTORY.get(k, k)), definition=_(v))
                for k, v in METRIC_DEFINITIONS.items()
                if k in cal.history
            ],
        }
    )
    ct = cal.cohort_table
    shown = ct.iloc[:36, : min(ct.shape[1], 26)]
    sections.append(
        {
            "heading": _("Cohort retention"),
            "paragraphs": [
                _(
                    "Share of each cohort (by first month) still active, continuously since "
                    "joining, by tenure in months."
                )
            ],
            "columns": [
                _("cohort"),
                *[_("customers at start") if c == "size" else str(c) for c in shown.columns],
            ],
            "rows": [
                [i]
                + [
                    fmt.count(v, lang)
                    if c == "size"
                    else fmt.format_value(v, "percent", lang, digits=0, missing="")
                    for c, v in r.items()
                ]
                for i, r in shown.iterrows()
            ],
        }
    )
    sections.append({"heading": _("Scenario written"), "pre": cal.to_yaml()})
    if cal.notes:
        sections.append({"heading": _("Notes"), "list": list(cal.notes)})
    return render(
        "page.html",
        lang,
        title=_("Calibration: {name}", name=cal.scenario.name),
        notes=[
            _(
                "From {source} ({kind} table), {first} to {last} ({n} months).",
                source=cal.source,
                kind=cal.kind,
                first=cal.months[0],
                last=cal.months[-1],
                n=len(cal.months),
            )
        ],
        items=[],
        paragraphs=[],
        figures=[],
        sections=sections,
        sortable=True,
    )


#: The history table's columns (``cssim.data.history``) and their headers in the reader's words.
_HISTORY = {
    "customers": N_("customers"),
    "mrr": "MRR",
    "new_customers": N_("new customers"),
    "churned_customers": N_("churned customers"),
    "new_mrr": N_("new MRR"),
    "expansion_mrr": N_("expansion MRR"),
    "contraction_mrr": N_("contraction MRR"),
    "churned_mrr": N_("churned MRR"),
    "reactivation_mrr": N_("reactivation MRR"),
    "logo_churn": N_("monthly churn"),
    "logo_churn_12m": N_("monthly churn, 12-month average"),
    "nrr_12m": N_("NRR (12 months)"),
    "grr_12m": N_("GRR (12 months)"),
    "grr_12m_capped": N_("GRR (12 months, capped)"),
    "logo_churn_12m_cohort": N_("churn of the cohort of 12 months ago"),
}


def _kind(column: str) -> str:
    if column.endswith("mrr"):
        return "money"
    if column in ("logo_churn", "nrr_12m", "grr_12m", "grr_12m_capped", "logo_churn_12m_cohort"):
        return "percent"
    return "count"


def write_report(cal: Calibration, directory: str | os.PathLike, lang: str = "en") -> Path:
    """Write ``calibration.html`` into ``directory`` atomically, in ``lang``; returns its path."""
    from ..model.atomic import atomic as _atomic

    html = render_report(cal, lang)
    return _atomic(
        Path(directory) / "calibration.html", lambda p: Path(p).write_text(html, encoding="utf-8")
    )
