"""Tables for people in a notebook: known columns named in the reader's language, numbers formatted.

The analysis and data functions return plain frames whose columns are program names (``p10``,
``mc_se``, ``churn_breakeven``); :func:`table` shows such a frame as a pandas Styler with the column
names in ``lang`` and each number formatted by kind (:mod:`cssim.words.formatting`: ``3.52億円``,
``1.5%``, never ``3.522000e+08``). The frame itself is untouched, so it stays sortable and computable::

    table(cssim.marginal_value(scenario).to_frame(), "ja")

Cells holding a field path (the ``input`` of a sensitivity table, a break-even's parameter) read as the
parameter's human name (:func:`cssim.words.labels.parameter_label`); metric names as their label.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..model.display import html_table
from . import formatting as fmt
from .i18n import N_, Translator
from .labels import metric_label, parameter_label

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from ..model.scenario import Scenario

__all__ = ["COLUMNS", "at_equal_cost", "column_label", "html_table", "result_html", "table"]

#: column name -> (English header as a message, kind of value for :func:`formatting.format_value`)
COLUMNS: dict[str, tuple[str, str]] = {
    # labels and keys
    "label": (N_("Scenario"), "text"),
    "segment": (N_("Segment"), "text"),
    "metric": (N_("metric"), "text"),
    "lever": (N_("lever"), "text"),
    "parameter": (N_("Parameter"), "text"),
    "input": (N_("Parameter"), "text"),
    "month": (N_("month"), "text"),
    # distributions of an outcome
    "base": (N_("base case"), "money"),
    "mean": (N_("mean"), "money"),
    "median": (N_("Median"), "money"),
    "p05": ("P5", "money"),
    "p10": ("P10", "money"),
    "p25": ("P25", "money"),
    "p50": (N_("Median"), "money"),
    "p75": ("P75", "money"),
    "p90": ("P90", "money"),
    "p95": ("P95", "money"),
    "mc_se": (N_("standard error"), "money"),
    "median_se": (N_("standard error of the median"), "money"),
    "size": (N_("size"), "number"),
    # the churn floor (cssim.marginal_value)
    "churn": (N_("monthly churn"), "percent"),
    "step": (N_("relative step"), "percent"),
    "arr_base": (N_("ARR before"), "money"),
    "arr_after": (N_("ARR after"), "money"),
    "gain": (N_("extra ARR"), "money"),
    "gain_pct": (N_("extra ARR (%)"), "percent"),
    "gain_per_unit": (N_("extra ARR per unit of the lever"), "money"),
    # break-even (cssim.analysis.breakeven.breakeven_table)
    "churn_parameter": (N_("churn parameter"), "text"),
    "churn_now": (N_("churn now"), "percent"),
    "churn_breakeven": (N_("churn at break-even"), "percent"),
    "avg_monthly_churn_now": (N_("average monthly churn now"), "percent"),
    "avg_monthly_churn_breakeven": (N_("average monthly churn at break-even"), "percent"),
    "churn_method": (N_("method (churn)"), "text"),
    "churn_note": (N_("note (churn)"), "text"),
    "expansion_parameter": (N_("expansion parameter"), "text"),
    "expansion_now": (N_("expansion now"), "percent"),
    "expansion_breakeven": (N_("expansion at break-even"), "percent"),
    "expansion_method": (N_("method (expansion)"), "text"),
    "expansion_note": (N_("note (expansion)"), "text"),
    # sensitivity (cssim.global_sensitivity)
    "spearman": (N_("rank correlation"), "number"),
    "spearman_se": (N_("rank correlation: standard error"), "number"),
    "first_order": (N_("share of variance"), "percent"),
    "first_order_se": (N_("share of variance: standard error"), "percent"),
    # common random numbers (Comparison.crn_gain)
    "sd_crn": (N_("spread with the same random numbers"), "money"),
    "sd_independent": (N_("spread on another seed"), "money"),
    "ratio": (N_("times narrower"), "number"),
    "independent_seed": (N_("other seed"), "text"),
    # goal seek evaluations
    "value": (N_("Value"), "number"),
    "probability": (N_("probability"), "percent"),
    # calibration summary
    "estimate": (N_("estimate"), "number"),
    "se": (N_("standard error"), "number"),
    "in_scenario": (N_("in scenario"), "text"),
    # backtest summary (Backtest.summary)
    "months": (N_("held-out months"), "count"),
    "inside_80": (N_("inside P10-P90"), "percent"),
    "inside_90": (N_("inside P5-P95"), "percent"),
    "bias": (N_("bias of the median (mean)"), "percent"),
    "bias_last": (N_("bias at the last month"), "percent"),
    # billing history (cssim.data.history)
    "customers": (N_("customers"), "count"),
    "mrr": ("MRR", "money"),
    "new_customers": (N_("new customers"), "count"),
    "reactivated_customers": (N_("reactivated customers"), "count"),
    "churned_customers": (N_("churned customers"), "count"),
    "expanding_customers": (N_("expanding customers"), "count"),
    "contracting_customers": (N_("contracting customers"), "count"),
    "staying_customers": (N_("staying customers"), "count"),
    "new_mrr": (N_("new MRR"), "money"),
    "reactivation_mrr": (N_("reactivation MRR"), "money"),
    "expansion_mrr": (N_("expansion MRR"), "money"),
    "contraction_mrr": (N_("contraction MRR"), "money"),
    "churned_mrr": (N_("churned MRR"), "money"),
    "staying_start_mrr": (N_("MRR of staying customers at the start"), "money"),
    "net_new_mrr": (N_("net new MRR"), "money"),
    "logo_churn": (N_("logo churn"), "percent"),
    "logo_churn_12m": (N_("logo churn (12 months)"), "percent"),
    "nrr_12m": (N_("NRR (12 months)"), "percent"),
    "grr_12m": (N_("GRR (12 months)"), "percent"),
    "grr_12m_capped": (N_("GRR (12 months, capped)"), "percent"),
    "logo_churn_12m_cohort": (N_("logo churn (12 months, cohort)"), "percent"),
}

#: texts the analysis functions put in cells (notes, methods), translated where a frame is shown
TEXTS = (
    N_("holds at every level in range: the bound is returned"),
    N_("no level in range reaches it"),
    N_("numeric (brentq on expected)"),
    N_("the whole bracket reaches the target: widen it"),
    N_("no value in the bracket reaches the target"),
    N_("churn first month (sBG)"),
    N_("Every parameter is a fixed number: nothing to rank."),
)
_CLOSED_FORM = "closed form: "
_TEXT_COLUMNS = ("churn_method", "churn_note", "expansion_method", "expansion_note", "note")

#: outcomes a lever table has besides the metrics of :data:`cssim.model.metrics.METRICS`
_LEVER_METRICS = {"gross_profit_cum": N_("Gross profit over the horizon (cumulative)")}

#: columns whose cells are field paths (shown as the parameter's name) or metric names
_PATH_COLUMNS = ("input", "churn_parameter", "expansion_parameter")
_METRIC_COLUMNS = ("metric",)


def column_label(name: str, lang: str | None = None) -> str:
    """A column's header for people (``p10`` -> ``P10``; ``churn_breakeven`` -> ``損益分岐点の解約率``).

    An unknown column keeps its name, with underscores as spaces.
    """
    _ = Translator(lang or "en")
    if name in COLUMNS:
        header = COLUMNS[name][0]
        return header if header.startswith("P") and header[1:].isdigit() else _(header)
    return str(name).replace("_", " ")


def _cell_text(column: str, value, scenario: Scenario | None, lang: str | None):
    if not isinstance(value, str):
        return value
    if column in _PATH_COLUMNS and "." in value and " " not in value.split(".")[-1]:
        return parameter_label(value, scenario, lang)
    if column in _METRIC_COLUMNS:
        if value in _LEVER_METRICS:
            return Translator(lang or "en")(_LEVER_METRICS[value])
        return metric_label(value, lang)
    if column in _TEXT_COLUMNS or column in _PATH_COLUMNS:
        _ = Translator(lang or "en")
        if value.startswith(_CLOSED_FORM):
            return _("closed form: {formula}", formula=value[len(_CLOSED_FORM) :])
        return _(value) if value else value
    return value


def _lever_names(df: pd.DataFrame, lang: str | None) -> pd.DataFrame:
    """A lever table's ``label`` in ``lang`` (``解約率 −10%``), its ``lever`` column dropped."""
    from .labels import LEVER_LABELS, lever_label

    size = "size" if "size" in df.columns else "step" if "step" in df.columns else None
    if size is not None:
        df["label"] = [
            lever_label(name, s, lang=lang) if name in LEVER_LABELS else label
            for name, s, label in zip(df["lever"], df[size], df["label"], strict=True)
        ]
    return df.drop(columns="lever").rename(columns={"label": "lever"})


def result_html(result, lang: str | None = None) -> str:
    """A simulation result's key figures as a small HTML table in ``lang`` (what a notebook shows).

    Works for :class:`~cssim.model.result.SimulationResult` and
    :class:`~cssim.model.summary.SummaryResult` (their :meth:`headline`).
    """
    _ = Translator(lang or "en")
    h = result.headline()
    cur = result.scenario.currency

    def m(x: float) -> str:
        return fmt.money(x, cur, lang)

    rows = [
        (_("Scenario"), result.scenario.name),
        (
            _("Paths x months"),
            _(
                "{paths} paths x {months}, seed {seed}",
                paths=fmt.count(result.paths, lang),
                months=fmt.months(result.horizon, lang),
                seed=result.seed,
            ),
        ),
        (_("Segments"), ", ".join(result.segments)),
        (_("ARR now"), m(h["arr_start"])),
        (
            _("ARR at month {month} (median)", month=h["month"]),
            _(
                "{median} (P10 {p10}, P90 {p90})",
                median=m(h["arr_median"]),
                p10=m(h["arr_p10"]),
                p90=m(h["arr_p90"]),
            ),
        ),
        (_("P(ARR grows)"), fmt.percent(h["p_arr_grows"], lang, 1)),
        (
            _("Customers (median)"),
            f"{fmt.count(h['customers_start'], lang)} → {fmt.count(h['customers_median'], lang)}",
        ),
    ]
    return html_table(rows, caption=_("Simulation result"))


def table(
    df: pd.DataFrame,
    lang: str | None = None,
    currency: str = "JPY",
    kinds: dict[str, str] | None = None,
    *,
    scenario: Scenario | None = None,
):
    """``df`` as a Styler for people: headers in ``lang``, numbers by kind, field paths as names.

    Parameters
    ----------
    df
        Any frame; its known columns (:data:`COLUMNS`) are named and formatted, others get four
        significant digits without scientific notation.
    lang
        ``"en"`` (default) or ``"ja"``.
    currency
        Of the money columns (the scenario's currency).
    kinds
        Overrides of the kind of value per column (``money``, ``percent``, ``count``, ...).
    scenario
        Names the segments of field paths (``segments.0.churn.monthly`` -> ``SMB: Churn``).

    The index is hidden: reset it into a column first to show it (``df.reset_index()``).
    """
    if scenario is not None:
        currency = scenario.currency
    shown = df.copy()
    if "lever" in shown.columns and "label" in shown.columns:
        shown = _lever_names(shown, lang)
    for column in shown.columns:
        if column in _PATH_COLUMNS or column in _METRIC_COLUMNS or column in _TEXT_COLUMNS:
            shown[column] = [_cell_text(column, v, scenario, lang) for v in shown[column]]
    if "in_scenario" in shown.columns:
        yes = Translator(lang or "en")("yes")
        shown["in_scenario"] = [yes if v is True or v == 1 else "" for v in shown["in_scenario"]]
    by_kind = {c: COLUMNS[c][1] for c in shown.columns if c in COLUMNS and COLUMNS[c][1] != "text"}
    by_kind = {c: k for c, k in by_kind.items() if shown[c].dtype.kind in "fiu"}
    by_kind |= kinds or {}
    styled = fmt.styler(shown, by_kind, lang, currency)
    return styled.relabel_index([column_label(c, lang) for c in shown.columns], axis="columns")


def at_equal_cost(levers, label, lang: str | None = None) -> tuple[pd.DataFrame, str]:
    """The levers with a monthly cost, best first at equal cost, as a table people read, and its caption.

    ``levers`` is a :class:`cssim.analysis.levers.LeverResult`; ``label(name, size)`` names a lever in
    words. Columns: the lever, its cost a month, the median extra gross profit of months 1 to H and that
    over the cost of those months (:meth:`~cssim.analysis.levers.LeverResult.per_cost`). Empty without
    costs. The report and the levers page show this one table.
    """
    import pandas as pd

    _ = Translator(lang or "en")
    lang = _.lang
    H = levers.horizon
    cur = levers.scenario.currency
    df = levers.per_cost("gross_profit_cum")
    table = pd.DataFrame(
        {
            _("Lever"): [label(n, levers.sizes[n]) for n in df["lever"]],
            _("Cost a month"): [fmt.money(c / H, cur, lang) for c in df["cost_total"]],
            _("Extra gross profit by month {month} (median)", month=H): [
                fmt.money(v, cur, lang) for v in df["median"]
            ],
            _("Gross profit ÷ cost"): [fmt.format_value(v, "times", lang) for v in df["per_cost"]],
        }
    )
    caption = _(
        "At equal cost, best first: the extra gross profit of months 1 to {month} over the lever's "
        "cost in those months ({month} × its cost a month); what it earns after month {month} is "
        "left out",
        month=H,
    )
    return table, caption
