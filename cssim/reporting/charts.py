"""Charts of a :class:`~cssim.SimulationResult`: each takes a matplotlib ``ax`` (one is made if ``None``)
and returns it, so charts compose into any figure.

Each chart is drawn once in the reader's language (``lang``; its words from the ``charts.po`` catalog)
and nothing rewrites it afterwards. Bands are quantiles over paths per month (P10-P90 by default) around
the median. Money axes read in the scenario's currency (or ``currency``) through the one money-tick
formatter, :func:`cssim.words.chart_text.money_ticks` (``3.5億円`` / ``¥350M``); the colours are defined
once, in :data:`COLORS`, so a metric looks the same in every chart and report.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from matplotlib.axes import Axes
from matplotlib.ticker import FixedLocator, FuncFormatter, MultipleLocator, NullFormatter

from ..model.metrics import METRICS
from ..model.result import TOTAL, SimulationResult
from ..words import formatting as fm
from ..words.chart_text import count_ticks, money_ticks
from ..words.fonts import use_fonts
from ..words.i18n import Translator
from ..words.labels import metric_label
from ..words.plaintext import plain, plain_figure

__all__ = [
    "COLORS",
    "EmbeddedFigure",
    "cohort_layers",
    "embed",
    "fan_chart",
    "mrr_waterfall",
    "retention_chart",
    "unit_economics_chart",
]


#: One colour per quantity, used by every chart.
COLORS: dict[str, str] = {
    "arr": "#1f4e79",
    "mrr": "#1f4e79",
    "customers": "#2a7f62",
    "new_mrr": "#2e8b57",
    "expansion_mrr": "#4a90d9",
    "contraction_mrr": "#e69f00",
    "churned_mrr": "#c0392b",
    "net_new_mrr": "#222222",
    "nrr": "#6a3d9a",
    "grr": "#2a9d8f",
    "ltv_cac": "#1f4e79",
    "arr_crc": "#2a7f62",
    "guideline": "#c0392b",
    "reference": "#888888",
    "default": "#444444",
}
#: Sequential colours for the cohort layers (oldest, darkest, at the bottom).
COHORT_COLORS = ["#08306b", "#2171b5", "#4292c6", "#6baed6", "#9ecae1", "#c6dbef", "#deebf7"]
#: Guidelines CS leaders quote (DOMAIN.md): LTV:CAC of 3:1, ARR:CRC of 10:1.
GUIDELINES = {"ltv_cac": 3.0, "arr_crc": 10.0}


def mpl_text(text: str) -> str:
    """Scenario text made safe for matplotlib (a ``$`` would start mathtext): :func:`plaintext.plain`."""
    return plain(text)


_PERCENT = ("nrr", "grr", "logo_churn_rate", "gross_mrr_churn_rate", "net_mrr_churn_rate")


def axis_label(metric: str, lang: str | None = None) -> str:
    """``"ARR"``, ``"Customers"``, ``"CAC payback (months)"``: the metric's label, with its unit where
    the ticks do not show it (money ticks carry the currency, percentages their ``%``)."""
    label = metric_label(metric, lang)
    if METRICS[metric].unit == "months":
        _ = Translator(lang or "en")
        return f"{label} ({_('months')})"
    return label


def _percent_ticks(lang: str | None = None) -> FuncFormatter:
    return FuncFormatter(lambda x, _: fm.percent(x, lang, 0))


def _new_ax(ax: Axes | None, size=(8, 4)) -> Axes:
    use_fonts()
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=size)[1]


def _quantiles(a: np.ndarray, q: Sequence[float]) -> np.ndarray:
    """Quantiles over paths per month; NaN (without a warning) where no path has a value."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanquantile(a, q, axis=0)


def _style(ax: Axes, result: SimulationResult, xlabel: str | None = None, lang=None) -> None:
    _ = Translator(lang or "en")
    ax.set_xlabel(xlabel if xlabel is not None else _("Month"))
    ax.set_xlim(0, result.horizon)
    step = next((s for h, s in ((12, 1), (24, 3), (60, 6), (120, 12)) if result.horizon <= h), 24)
    ax.xaxis.set_major_locator(MultipleLocator(step))
    ax.grid(True, axis="y", color="#dddddd", linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def _format_y(ax: Axes, metric: str, currency: str, lang: str | None = None) -> None:
    unit = METRICS[metric].unit
    if metric in _PERCENT:
        ax.yaxis.set_major_formatter(_percent_ticks(lang))
    elif unit == "currency":
        ax.yaxis.set_major_formatter(money_ticks(currency, lang))
    elif unit in ("customers", "count"):
        ax.yaxis.set_major_formatter(count_ticks(lang))


def fan_chart(
    result: SimulationResult,
    metric: str = "arr",
    segment: str = TOTAL,
    ax: Axes | None = None,
    bands: Sequence[tuple[float, float]] = ((0.1, 0.9),),
    color: str | None = None,
    lang: str | None = None,
    currency: str | None = None,
) -> Axes:
    """Median of a metric over the months with quantile bands around it (P10-P90 by default).

    ``bands`` are (low, high) quantile pairs; wider bands are drawn lighter. ``currency`` (default the
    scenario's) names the money ticks.
    """
    ax = _new_ax(ax)
    _ = Translator(lang or "en")
    a = result.get(metric, segment)
    color = color or COLORS.get(metric, COLORS["default"])
    t = result.months
    widths = sorted(bands, key=lambda b: b[1] - b[0], reverse=True)
    for i, (lo, hi) in enumerate(widths):
        qlo, qhi = _quantiles(a, [lo, hi])
        alpha = 0.15 + 0.15 * i / max(len(widths) - 1, 1) if len(widths) > 1 else 0.25
        ax.fill_between(
            t,
            qlo,
            qhi,
            color=color,
            alpha=alpha,
            linewidth=0,
            label=_("80% range (P10–P90)")
            if (lo, hi) == (0.1, 0.9)
            else f"P{lo * 100:.0f}–P{hi * 100:.0f}",
        )
    ax.plot(t, _quantiles(a, [0.5])[0], color=color, linewidth=2, label=_("Median"))
    _style(ax, result, lang=lang)
    _format_y(ax, metric, currency or result.scenario.currency, lang)
    ax.set_ylabel(axis_label(metric, lang))
    title = metric_label(metric, lang)
    if segment != TOTAL:
        title += f": {mpl_text(segment)}"
    ax.set_title(title, loc="left", fontweight="bold")
    ax.legend(loc="best", frameon=False)
    return plain_figure(ax)


FLOWS = ("new_mrr", "expansion_mrr", "contraction_mrr", "churned_mrr")


def mrr_waterfall(
    result: SimulationResult,
    ax: Axes | None = None,
    segment: str = TOTAL,
    band: tuple[float, float] = (0.1, 0.9),
    lang: str | None = None,
    currency: str | None = None,
) -> Axes:
    """Monthly MRR movements: new and expansion up, contraction and churned down, net new as a line.

    Bars are medians over paths, stacked; each whisker spans that flow's P10-P90 at the top of its bar.
    The net new MRR line is its median with a P10-P90 band. Flows that are zero in every path are left out.
    """
    ax = _new_ax(ax, (9, 4))
    _ = Translator(lang or "en")
    t = result.months[1:]
    up = np.zeros(t.size)
    down = np.zeros(t.size)
    width = 0.8 if t.size <= 60 else 1.0
    for flow in FLOWS:
        a = result.get(flow, segment)[:, 1:]
        if not np.any(a):
            continue
        lo, med, hi = _quantiles(a, [band[0], 0.5, band[1]])
        sign = -1.0 if flow in ("contraction_mrr", "churned_mrr") else 1.0
        base = down if sign < 0 else up
        ax.bar(
            t,
            sign * med,
            bottom=base,
            width=width,
            color=COLORS[flow],
            label=metric_label(flow, lang),
            linewidth=0,
        )
        top = base + sign * med
        err = np.vstack([med - lo, hi - med]) if sign > 0 else np.vstack([hi - med, med - lo])
        ax.errorbar(
            t, top, yerr=err, fmt="none", ecolor="#333333", elinewidth=0.7, capsize=0, alpha=0.7
        )
        base += sign * med
    net = result.get("net_new_mrr", segment)[:, 1:]
    lo, med, hi = _quantiles(net, [band[0], 0.5, band[1]])
    ax.plot(
        t,
        med,
        color=COLORS["net_new_mrr"],
        linewidth=1.8,
        marker="o",
        markersize=2.5,
        label=_("Net new MRR (median)"),
        zorder=4,
    )
    for q, label in ((lo, _("Net new MRR, 80% range")), (hi, None)):
        ax.plot(
            t,
            q,
            color=COLORS["net_new_mrr"],
            linewidth=0.9,
            linestyle=(0, (2, 2)),
            label=label,
            zorder=4,
        )
    ax.axhline(0, color=COLORS["reference"], linewidth=0.8)
    _style(ax, result, lang=lang)
    ax.set_xlim(0.3, result.horizon + 0.7)
    ax.yaxis.set_major_formatter(money_ticks(currency or result.scenario.currency, lang))
    ax.set_ylabel(_("MRR a month"))
    ax.set_title(_("MRR movements each month"), loc="left", fontweight="bold")
    ax.legend(
        loc="upper center", bbox_to_anchor=(0.5, -0.16), frameon=False, fontsize="small", ncol=6
    )
    return plain_figure(ax)


def retention_chart(
    result: SimulationResult,
    ax: Axes | None = None,
    segment: str = TOTAL,
    band: tuple[float, float] = (0.1, 0.9),
    lang: str | None = None,
) -> Axes:
    """Trailing 12-month NRR and GRR over time (from month 12): medians with P10-P90 bands, 100% marked."""
    ax = _new_ax(ax)
    _ = Translator(lang or "en")
    same = np.allclose(result.get("nrr", segment), result.get("grr", segment), equal_nan=True)
    for metric, style in (("grr", "--"), ("nrr", "-")):
        a = result.get(metric, segment)
        lo, med, hi = _quantiles(a, [band[0], 0.5, band[1]])
        label = metric.upper()
        if same and metric == "nrr":
            label = _("NRR (= GRR: no expansion)")
        if not (same and metric == "grr"):  # one band when the two coincide
            ax.fill_between(result.months, lo, hi, color=COLORS[metric], alpha=0.18, linewidth=0)
        ax.plot(result.months, med, style, color=COLORS[metric], linewidth=2, label=label)
    ax.axhline(1.0, color=COLORS["reference"], linewidth=0.8, linestyle=":")
    _style(ax, result, lang=lang)
    if result.horizon > 12:
        ax.set_xlim(12, result.horizon)  # trailing 12-month figures start at month 12
    ax.yaxis.set_major_formatter(_percent_ticks(lang))
    ax.set_ylabel(_("Trailing 12 months"))
    ax.set_title(_("Net and gross revenue retention (NRR, GRR)"), loc="left", fontweight="bold")
    ax.legend(loc="best", frameon=False)
    return plain_figure(ax)


def cohort_layers(
    result: SimulationResult,
    ax: Axes | None = None,
    segment: str = TOTAL,
    lang: str | None = None,
    currency: str | None = None,
) -> Axes:
    """Mean MRR by joining year stacked over the months: the cohort "layer cake"."""
    ax = _new_ax(ax)
    _ = Translator(lang or "en")
    df = result.cohort_mrr(segment)
    df = df.loc[:, (df != 0).any(axis=0)]
    labels = [
        _("Starting customers")
        if c == "start"
        else _("Joined in year {year}", year=str(c).removeprefix("year "))
        for c in df.columns
    ]
    colors = [COHORT_COLORS[i % len(COHORT_COLORS)] for i in range(df.shape[1])]
    ax.stackplot(
        df.index.to_numpy(),
        df.to_numpy().T,
        labels=labels,
        colors=colors,
        edgecolor="white",
        linewidth=0.4,
    )
    _style(ax, result, lang=lang)
    ax.yaxis.set_major_formatter(money_ticks(currency or result.scenario.currency, lang))
    ax.set_ylabel(_("MRR (mean over futures)"))
    ax.set_title(_("MRR by the year customers joined"), loc="left", fontweight="bold")
    handles, labels = ax.get_legend_handles_labels()
    ax.legend(
        handles[::-1], labels[::-1], loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False
    )
    return plain_figure(ax)


def ratio_rows(result: SimulationResult) -> list[tuple[str, str]]:
    """(ratio, segment) rows of :func:`unit_economics_chart`: per segment and total, or only the total
    for a ratio that no segment defines (no CAC anywhere, no CS costs anywhere)."""
    segs = [*result.segments, TOTAL] if len(result.segments) > 1 else [TOTAL]
    sc = result.scenario.segments
    defined = {
        "ltv_cac": any(not (isinstance(s.cac, int | float) and s.cac == 0) for s in sc),
        "arr_crc": any(s.cs is not None for s in sc),
    }
    return [(k, s) for k in ("ltv_cac", "arr_crc") for s in (segs if defined[k] else [TOTAL])]


def unit_economics_chart(
    result: SimulationResult,
    ax: Axes | None = None,
    month: int | None = None,
    band: tuple[float, float] = (0.1, 0.9),
    lang: str | None = None,
) -> Axes:
    """LTV:CAC against 3:1 and ARR:CRC against 10:1, per segment and in total, at one month.

    One row per ratio and segment on a log scale: the median as a dot, P10-P90 as a bar, the guideline as
    a red tick. A ratio the scenario cannot define (no CAC, no CS costs) is named on its row.
    """
    ax = _new_ax(ax, (8, 3))
    _ = Translator(lang or "en")
    t = result.horizon if month is None else month
    rows = ratio_rows(result)
    finite = []
    for y, (k, s) in enumerate(rows):
        col = result.get(k, s)[:, t]
        col = col[np.isfinite(col)]
        ax.plot(
            [GUIDELINES[k]] * 2,
            [y - 0.35, y + 0.35],
            color=COLORS["guideline"],
            linewidth=2,
            solid_capstyle="butt",
        )
        if col.size == 0 or not np.any(col > 0):
            why = _("not defined (no CS costs)") if k == "arr_crc" else _("not defined (no CAC)")
            ax.annotate(
                why,
                (GUIDELINES[k], y),
                xytext=(8, 0),
                textcoords="offset points",
                va="center",
                fontsize="small",
                color=COLORS["reference"],
            )
            continue
        col = col[col > 0]
        lo, med, hi = np.quantile(col, [band[0], 0.5, band[1]])
        finite += [lo, hi]
        ax.plot([lo, hi], [y, y], color=COLORS[k], linewidth=6, alpha=0.35, solid_capstyle="butt")
        ax.plot([med], [y], "o", color=COLORS[k], markersize=8)
        ax.annotate(
            fm.format_value(med, "ratio", lang),
            (hi, y),
            xytext=(6, 0),
            textcoords="offset points",
            va="center",
            fontsize="small",
        )
    ax.set_xscale("log")
    lo = min([*finite, *GUIDELINES.values()]) / 2
    hi = max([*finite, *GUIDELINES.values()]) * 3
    ax.set_xlim(lo, hi)
    nice = [v * 10.0**k for k in range(-2, 4) for v in (1, 2, 3, 5)]
    ax.xaxis.set_major_locator(FixedLocator([v for v in nice if lo <= v <= hi]))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: fm.ratio(x, lang, 2)))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_yticks(range(len(rows)))
    names = {"ltv_cac": _("LTV:CAC"), "arr_crc": _("ARR:CRC")}
    by_segment = {"ltv_cac": _("LTV:CAC ({segment})"), "arr_crc": _("ARR:CRC ({segment})")}
    ax.set_yticklabels(
        [names[k] if s == TOTAL else by_segment[k].format(segment=mpl_text(s)) for k, s in rows]
    )
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.set_xlabel(
        _("Ratio (log scale); red ticks: the guidelines 3:1 (LTV:CAC) and 10:1 (ARR:CRC)")
    )
    ax.grid(True, axis="x", color="#dddddd", linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.set_title(
        _("Unit economics at month {month}: median and 80% range", month=t),
        loc="left",
        fontweight="bold",
    )
    return plain_figure(ax)


@dataclass(frozen=True)
class EmbeddedFigure:
    """A rendered chart ready for a page: PNG bytes as base64 and its alternative text."""

    alt: str
    data: str

    def __html__(self) -> str:
        """The ``<img>`` (escaped alt text), so Jinja2 and :func:`markupsafe.escape` embed it as is."""
        from markupsafe import escape

        return f'<img alt="{escape(self.alt)}" src="data:image/png;base64,{self.data}">'


def embed(fig, alt: str, dpi: int = 110) -> EmbeddedFigure:
    """The one figure embedder: a matplotlib figure as a self-contained PNG with alt text; closes it.

    Fonts come from :func:`use_fonts`, so Japanese text draws; nothing but the picture reaches a page.
    """
    import base64
    import io

    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    plain_figure(fig)  # scenario names are text, never TeX
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    return EmbeddedFigure(alt, base64.b64encode(buf.getvalue()).decode("ascii"))
