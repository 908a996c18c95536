"""Scenario reports: a parameterised notebook run by papermill, exported as one self-contained HTML file.

:func:`render_report` runs ``cssim/templates/report.ipynb`` in a real kernel (the current Python) and
exports it with nbconvert, without code, prompts or any external URL: images are embedded, the page loads
nothing from the network and prints on A4. The notebook itself is thin: each cell calls one function here
(:func:`prepare`, then :func:`header`, :func:`summary`, ... :func:`precision`), and each returns an
:class:`Html` section built from escaped data, so a scenario's text can never inject markup.
"""

from __future__ import annotations

import base64
import html
import io
import math
import os
import shutil
import sys
import tempfile
import time
import uuid
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..model.distributions import _Dist
from ..model.engine import simulate
from ..model.metrics import METRICS
from ..model.result import TOTAL, SimulationResult
from ..model.scenario import Scenario, load_scenario
from . import charts, ltv_note, narrative

__all__ = [
    "TEMPLATE",
    "Html",
    "ReportContext",
    "ReportError",
    "assumptions_table",
    "check_parameters",
    "kpi_table",
    "precision_table",
    "prepare",
    "render_report",
    "unit_economics_table",
]

TEMPLATES = Path(__file__).parent / "templates"
#: The report notebook papermill runs.
TEMPLATE = TEMPLATES / "report.ipynb"
#: Cells left out of the HTML (the parameters and the notebook's own usage note).
REMOVE_TAGS = {"parameters", "injected-parameters", "remove-from-report"}

e = html.escape


class ReportError(RuntimeError):
    """The report notebook failed; the message names the cell, the error and the kept notebook."""


class Html:
    """An HTML fragment that Jupyter and nbconvert show as ``text/html``.

    Built only by this module, from text passed through :func:`html.escape`.
    """

    def __init__(self, markup: str, text: str = ""):
        self.markup = markup
        self.text = text

    def _repr_html_(self) -> str:
        return self.markup

    def __repr__(self) -> str:
        return self.text or "<cssim report section>"


# -- parameters and the simulation ------------------------------------------------------------------


def check_parameters(
    paths: Any = 10_000, seed: Any = 42, target_arr: Any = None, months: Any = None
) -> None:
    """Raise ``ValueError`` naming every report parameter that is not allowed."""
    problems = []

    def is_int(x):
        return isinstance(x, int | np.integer) and not isinstance(x, bool)

    if not is_int(paths) or paths < 1:
        problems.append(f"paths must be a positive integer, got {paths!r}")
    if not is_int(seed) or seed < 0:
        problems.append(f"seed must be a non-negative integer, got {seed!r}")
    if target_arr is not None and (
        isinstance(target_arr, bool)
        or not isinstance(target_arr, int | float | np.number)
        or not math.isfinite(target_arr)
        or target_arr <= 0
    ):
        problems.append(f"target_arr must be a positive number or None, got {target_arr!r}")
    if months is not None and (not is_int(months) or not 1 <= months <= 240):
        problems.append(
            f"months (the horizon) must be an integer in 1..240 or None, got {months!r}"
        )
    if problems:
        raise ValueError("report parameters: " + "; ".join(problems))


def _scenario(scenario_path: str | os.PathLike, months: int | None) -> Scenario:
    scenario = load_scenario(scenario_path)
    if months is not None:
        scenario = scenario.replace({"horizon_months": int(months)})
    return scenario


@dataclass
class ReportContext:
    """What the report's cells share: the scenario, the result and the report options."""

    scenario_path: Path
    scenario: Scenario
    result: SimulationResult
    target_arr: float | None
    seconds: float

    @property
    def currency(self) -> str:
        return self.scenario.currency

    @property
    def target(self) -> float | None:
        return self.target_arr if self.target_arr is not None else self.scenario.target_arr


def prepare(
    scenario_path: str | os.PathLike,
    paths: int = 10_000,
    seed: int = 42,
    target_arr: float | None = None,
    months: int | None = None,
    result_path: str | os.PathLike | None = None,
) -> ReportContext:
    """Validate the report's parameters, load the scenario and simulate it.

    ``months`` overrides the scenario's horizon; ``target_arr`` its ARR target. With ``result_path`` (a
    result written by :meth:`SimulationResult.save`) nothing is simulated: the saved result is reported,
    and its paths, seed and horizon must match the parameters.
    """
    check_parameters(paths, seed, target_arr, months)
    start = time.perf_counter()
    if result_path is None:
        scenario = _scenario(scenario_path, months)
        result = simulate(scenario, paths=int(paths), seed=int(seed))
    else:
        result = SimulationResult.load(result_path)
        scenario = result.scenario
        wanted = {
            "paths": (paths, result.paths),
            "seed": (seed, result.seed),
            "months": (months, result.horizon),
        }
        bad = [
            f"{k} {a!r} (the result has {b})"
            for k, (a, b) in wanted.items()
            if a is not None and a != b
        ]
        if bad:
            raise ValueError(
                f"report parameters do not match the saved result {result_path}: " + ", ".join(bad)
            )
    return ReportContext(
        Path(scenario_path),
        scenario,
        result,
        None if target_arr is None else float(target_arr),
        time.perf_counter() - start,
    )


# -- formatting -------------------------------------------------------------------------------------

_PERCENT = {"nrr", "grr", "logo_churn_rate", "gross_mrr_churn_rate", "net_mrr_churn_rate"}
_TIMES = {"ltv_cac", "arr_crc", "quick_ratio"}


def fmt(x: float, kpi: str) -> str:
    """A KPI value as a reader expects it: money compact, percentages, ratios as ``3.3:1``."""
    if x is None or not np.isfinite(x):
        return "n/a"
    if kpi.startswith("p_"):
        return f"{x:.1%}"
    if kpi in _PERCENT:
        return f"{x:.1%}"
    if kpi in _TIMES:
        return f"{x:.1f}:1"
    unit = METRICS[kpi].unit
    if unit == "currency":
        return charts.compact(x)
    if unit == "customers":
        return f"{x:,.0f}"
    return f"{x:,.1f}"


def _row_label(kpi: str, label: str, currency: str) -> str:
    if kpi.startswith("p_"):
        return label
    unit = METRICS[kpi].unit
    if kpi in ("crc", "net_new_mrr", "mrr"):
        return f"{label} ({currency} / month)"
    if unit == "currency":
        return f"{label} ({currency})"
    if unit == "months":
        return f"{label} (months)"
    if kpi == "logo_churn_rate":
        return f"{label} (monthly)"
    return label


def _spread(row) -> str:
    k = row["kpi"]
    if k.startswith("p_"):
        return fmt(row["mean"], k)
    mid = fmt(row["median"], k)
    if not np.isfinite(row["median"]) or np.isclose(row["p10"], row["p90"]):
        return mid
    dash = " \u2013 " if row["p10"] < 0 or row["p90"] < 0 else "\u2013"
    return f"{mid} ({fmt(row['p10'], k)}{dash}{fmt(row['p90'], k)})"


def kpi_table(
    result: SimulationResult, months: Sequence[int] | None = None, target_arr: float | None = None
) -> pd.DataFrame:
    """KPIs (rows) at 12, 24, 36 months or the horizon (columns): ``"median (P10-P90)"`` strings.

    Probabilities show the share of paths.
    """
    s = result.summary(months=months, target_arr=target_arr)
    cur = result.scenario.currency
    s["KPI"] = [_row_label(k, lab, cur) for k, lab in zip(s["kpi"], s["label"], strict=True)]
    s["text"] = s.apply(_spread, axis=1)
    s["column"] = [f"Month {m}" for m in s["month"]]
    table = s.pivot_table(index="KPI", columns="column", values="text", aggfunc="first", sort=False)
    table.columns.name = None
    return table[[f"Month {m}" for m in result.kpi_months(months)]]


def unit_economics_table(result: SimulationResult, month: int | None = None) -> pd.DataFrame:
    """ARPA, LTV, LTV:CAC, CAC payback, CRC and ARR:CRC per segment at one month (horizon by default)."""
    ue = result.unit_economics(month=month)
    cur = result.scenario.currency
    # the model-consistent LTV and lifetime read like the quoted LTV and CAC payback (money, months)
    like = ue["kpi"].replace({"ltv_model": "ltv", "lifetime_model": "cac_payback"})
    ue["KPI"] = [_row_label(k, lab, cur) for k, lab in zip(like, ue["label"], strict=True)]
    ue["text"] = ue.assign(kpi=like).apply(_spread, axis=1)
    ue["column"] = ["Total" if s == TOTAL else s for s in ue["segment"]]
    table = ue.pivot_table(
        index="KPI", columns="column", values="text", aggfunc="first", sort=False
    )
    table.columns.name = None
    order = ["Total" if s == TOTAL else s for s in dict.fromkeys(ue["segment"])]
    return table[order]


_PARAM_LABELS = {
    "customers": "Starting customers",
    "arpa": "ARPA ({cur} / month)",
    "seats.per_account": "Seats per account",
    "seats.price": "Price per seat ({cur} / month)",
    "new_arpa": "New-customer ARPA ({cur} / month)",
    "starting_tenure": "Starting tenure (months)",
    "starting_tenure.min": "Starting tenure, from (months)",
    "starting_tenure.max": "Starting tenure, to (months)",
    "acquisition.rate": "New customers a year (share of the base)",
    "acquisition.count": "New customers per month",
    "acquisition.growth": "Monthly growth of new customers",
    "churn.monthly": "Logo churn per month",
    "churn.heterogeneity.alpha": "Churn heterogeneity (sBG) alpha",
    "churn.heterogeneity.beta": "Churn heterogeneity (sBG) beta",
    "churn.annual_renewal": "Churn at annual renewal",
    "churn.onboarding.months": "Onboarding (months)",
    "churn.onboarding.monthly": "Churn per month during onboarding",
    "expansion.rate": "Expansion per month (share of MRR)",
    "expansion.probability": "Accounts expanding per month",
    "contraction.rate": "Contraction per month (share of MRR)",
    "contraction.probability": "Accounts contracting per month",
    "gross_margin": "Gross margin",
    "cac": "CAC ({cur} per new customer)",
    "cs.accounts_per_csm": "Accounts per CSM",
    "cs.csm_per_account": "CSMs per account",
    "cs.csm_cost": "Cost per CSM ({cur} / month)",
    "cs.tools": "CS tools ({cur} / month)",
    "cs.tools_per_account": "CS tools per account ({cur} / month)",
}
_SHARES = {
    "acquisition.rate",
    "acquisition.growth",
    "churn.monthly",
    "churn.annual_renewal",
    "churn.onboarding.monthly",
    "expansion.rate",
    "expansion.probability",
    "contraction.rate",
    "contraction.probability",
    "gross_margin",
}


def _param_value(name: str, v: Any) -> str:
    def one(x: float) -> str:
        if name in _SHARES:
            return narrative.pct(x)
        return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.4g}"

    if isinstance(v, _Dist):
        return f"{v.describe()}, median {one(v.median())}"
    return one(v)


def assumptions_table(scenario: Scenario) -> pd.DataFrame:
    """Every parameter of every segment with its value, or its distribution and median."""
    rows = []
    names = sorted(scenario.segment_names, key=len, reverse=True)
    for path, v in scenario.parameters():
        seg = next(n for n in names if path.startswith(n + "."))
        name = path[len(seg) + 1 :]
        if name == "acquisition.growth" and scenario.segment(seg).acquisition.rate is not None:
            continue  # growth applies to count acquisition only
        label = _PARAM_LABELS.get(name, name).format(cur=scenario.currency)
        rows.append({"Segment": seg, "Parameter": label, "Value": _param_value(name, v)})
    return pd.DataFrame(rows, columns=["Segment", "Parameter", "Value"])


def precision_table(result: SimulationResult) -> pd.DataFrame:
    """Headline figures at the horizon with their Monte Carlo standard errors."""
    t = result.horizon
    s = result.summary(months=[t]).set_index("kpi")
    cur = result.scenario.currency
    rows = [
        (
            f"Median ARR at month {t} ({cur})",
            s.loc["arr", "median"],
            s.loc["arr", "median_se"],
            "arr",
        ),
        (f"Mean ARR at month {t} ({cur})", s.loc["arr", "mean"], s.loc["arr", "mc_se"], "arr"),
        (
            f"Median customers at month {t}",
            s.loc["customers", "median"],
            s.loc["customers", "median_se"],
            "customers",
        ),
        (
            f"P(ARR grows) at month {t}",
            s.loc["p_arr_grows", "mean"],
            s.loc["p_arr_grows", "mc_se"],
            "p_arr",
        ),
    ]
    out = []
    for label, value, se, k in rows:
        if k == "p_arr" and value in (0.0, 1.0):
            # no spread to estimate a standard error from: the rule of three bounds it instead
            bound = 3 / result.paths
            out.append(
                {
                    "Figure": label,
                    "Estimate": f"{value:.0%}",
                    "Standard error": "n/a",
                    "95% interval": (
                        f"below {bound:.2%}" if value == 0 else f"above {1 - bound:.2%}"
                    )
                    + " (rule of three)",
                }
            )
            continue
        show = (lambda x: f"{x:.2%}") if k == "p_arr" else (lambda x, k=k: fmt(x, k))
        out.append(
            {
                "Figure": label,
                "Estimate": show(value),
                "Standard error": show(se),
                "95% interval": f"\u00b1 {show(1.96 * se)}",
            }
        )
    return pd.DataFrame(out)


# -- HTML building blocks ---------------------------------------------------------------------------


def _table(
    df: pd.DataFrame, caption: str = "", index: bool = True, numeric: Sequence[str] | None = None
) -> str:
    """An HTML table of escaped text; ``numeric`` columns (default: all but the first) align right.

    A trailing ``" (...)"`` in a cell (a P10-P90 range, a unit) is shown in a quieter style.
    """
    frame = df.reset_index() if index else df
    cols = [str(c) for c in frame.columns]
    numeric = set(cols[1:] if numeric is None else numeric)

    def cls(c):
        return " class='num'" if c in numeric else ""

    def cell(v):
        main, sep, rest = str(v).partition(" (")
        return e(main) + (f" <span class='range'>({e(rest)}</span>" if sep else "")

    head = "".join(f"<th scope='col'{cls(c)}>{e(c)}</th>" for c in cols)
    body = []
    for row in frame.itertuples(index=False):
        first, *rest = row
        cells = [f"<th scope='row'>{cell(first)}</th>"]
        cells += [f"<td{cls(c)}>{cell(v)}</td>" for c, v in zip(cols[1:], rest, strict=True)]
        body.append("<tr>" + "".join(cells) + "</tr>")
    cap = f"<caption>{e(caption)}</caption>" if caption else ""
    return (
        f"<table class='cssim-table'>{cap}<thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def _section(title: str, *parts: str, cls: str = "") -> Html:
    markup = f"<section class='cssim-section {cls}'><h2>{e(title)}</h2>{''.join(parts)}</section>"
    return Html(markup, text=title)


def _p(text: str, cls: str = "") -> str:
    c = f" class='{cls}'" if cls else ""
    return f"<p{c}>{e(text)}</p>"


_RC = {
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "legend.fontsize": 9,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "axes.edgecolor": "#666666",
}


def _figure(
    draw: Callable, alt: str, caption: str, size=(10, 3.8), ncols: int = 1, width_ratios=None
) -> str:
    """Draw on a new figure (no pyplot, no backend) and return it as an embedded PNG."""
    import matplotlib
    from matplotlib.figure import Figure

    charts.use_fonts()

    with matplotlib.rc_context(_RC), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        fig = Figure(figsize=size, layout="constrained")
        axes = fig.subplots(
            1, ncols, gridspec_kw={"width_ratios": width_ratios} if width_ratios else None
        )
        draw(axes)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=144, metadata={"Software": None})
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return (
        f"<figure><img src='data:image/png;base64,{data}' alt='{e(alt)}'>"
        f"<figcaption>{e(caption)}</figcaption></figure>"
    )


# -- the report's sections, in order ----------------------------------------------------------------


def header(ctx: ReportContext) -> Html:
    """The scenario's name and description (as text), and how it was run."""
    sc, r = ctx.scenario, ctx.result
    from .. import __version__

    meta = (
        f"{r.paths:,} paths \u00d7 {r.horizon} months \u00b7 seed {r.seed} \u00b7 currency "
        f"{sc.currency} \u00b7 segments: {', '.join(sc.segment_names)} \u00b7 scenario file "
        f"{ctx.scenario_path.name} \u00b7 cssim {__version__}"
    )
    desc = "".join(
        _p(para.strip(), "description") for para in sc.description.split("\n\n") if para.strip()
    )
    markup = (
        f"<header class='cssim-header'><p class='kicker'>cssim scenario report</p>"
        f"<h1>{e(sc.name)}</h1>{desc}{_p(meta, 'meta')}</header>"
    )
    return Html(markup, text=sc.name)


def summary(ctx: ReportContext) -> Html:
    """Headline cards and the executive summary written from the numbers."""
    r, cur = ctx.result, ctx.currency
    h = r.headline()
    nrr = np.nanmedian(r.get("nrr")[:, h["month"]]) if h["month"] >= 12 else np.nan
    cards = [
        (
            f"Median ARR, month {h['month']}",
            f"{charts.compact(h['arr_median'])} {cur}",
            f"P10 {charts.compact(h['arr_p10'])} \u2013 P90 {charts.compact(h['arr_p90'])}",
        ),
        ("ARR today", f"{charts.compact(h['arr_start'])} {cur}", "month 0"),
        ("Chance ARR grows", f"{h['p_arr_grows']:.0%}", f"share of {r.paths:,} paths"),
        (
            f"Customers, month {h['month']}",
            f"{h['customers_median']:,.0f}",
            f"from {h['customers_start']:,.0f} (median)",
        ),
        ("NRR, trailing 12 months", narrative.pct(nrr), "median"),
    ]
    cards_html = "".join(
        f"<div class='card'><div class='card-label'>{e(a)}</div>"
        f"<div class='card-value'>{e(b)}</div><div class='card-note'>{e(c)}</div>"
        f"</div>"
        for a, b, c in cards
    )
    paras = narrative.executive_summary(r, target_arr=ctx.target_arr)
    return _section(
        "Executive summary",
        f"<div class='cards'>{cards_html}</div>",
        *(_p(p) for p in paras),
        cls="summary",
    )


def assumptions(ctx: ReportContext) -> Html:
    """Every parameter with its value or distribution."""
    sc, r = ctx.scenario, ctx.result
    general = pd.DataFrame(
        [
            ("Horizon", f"{sc.horizon_months} months"),
            ("Currency", sc.currency),
            ("ARR target", "none" if ctx.target is None else f"{ctx.target:,.0f} {sc.currency}"),
            ("Simulated paths", f"{r.paths:,} (seed {r.seed})"),
        ],
        columns=["Setting", "Value"],
    ).set_index("Setting")
    params = assumptions_table(sc)
    n_unc = len(sc.uncertain())
    note = (
        "Distributions are drawn once per path and truncated to each field's allowed range."
        if n_unc
        else "Every parameter is a fixed number in this scenario."
    )
    return _section(
        "Assumptions",
        "<div class='two-col'>",
        _table(general, numeric=()),
        _table(params, index=False, numeric=()),
        "</div>",
        _p(note, "note"),
    )


def kpis(ctx: ReportContext) -> Html:
    """The KPI table at 12, 24, 36 months (or the horizon)."""
    table = kpi_table(ctx.result, target_arr=ctx.target_arr)
    return _section(
        "Key figures",
        _p("Median over paths, with P10\u2013P90 in brackets.", "note"),
        _table(table),
    )


def growth(ctx: ReportContext) -> Html:
    """Fan charts of ARR and customers."""
    r = ctx.result

    def draw(axes):
        charts.fan_chart(r, "arr", ax=axes[0])
        charts.fan_chart(r, "customers", ax=axes[1])

    q = r.quantiles(["arr"], q=(0.1, 0.5, 0.9)).query("month == @r.horizon")["value"].to_numpy()
    caption = (
        f"Median (line) and P10\u2013P90 band (shaded) over {r.paths:,} paths. ARR at month "
        f"{r.horizon}: {charts.compact(q[1])} {ctx.currency} (P10 {charts.compact(q[0])}, P90 "
        f"{charts.compact(q[2])})."
    )
    fig = _figure(draw, "Fan charts of ARR and customers by month", caption, ncols=2)
    return _section("ARR and customers", fig)


def movements(ctx: ReportContext) -> Html:
    """The MRR waterfall: new, expansion, contraction and churned MRR with bands, net new line."""
    r = ctx.result
    zero = [METRICS[f].label for f in charts.FLOWS if not np.any(r.get(f)[:, 1:])]
    caption = (
        "Bars: median MRR added (up) and lost (down) each month; whiskers: P10\u2013P90 of each "
        "flow. Line: median net new MRR with its P10\u2013P90 band."
    )
    if zero:
        caption += f" Not in this scenario: {', '.join(zero)}."
    fig = _figure(
        lambda ax: charts.mrr_waterfall(r, ax=ax), "MRR movements per month", caption, size=(10, 4)
    )
    return _section("MRR movements", fig)


def retention(ctx: ReportContext) -> Html:
    """NRR and GRR over time."""
    r = ctx.result
    if r.horizon < 12:
        return _section(
            "Revenue retention",
            _p(
                f"NRR and GRR need 12 months of history; the horizon is {r.horizon} months.", "note"
            ),
        )
    caption = (
        "Revenue now of the customers active 12 months earlier, over their revenue then. NRR "
        "counts expansion; GRR counts only churn and contraction. Dotted line: 100%."
    )
    fig = _figure(lambda ax: charts.retention_chart(r, ax=ax), "NRR and GRR by month", caption)
    return _section("Revenue retention", fig)


def cohorts(ctx: ReportContext) -> Html:
    """The cohort layer cake."""
    r = ctx.result
    df = r.cohort_mrr()
    t = r.horizon
    share = df.loc[t, "start"] / df.loc[t].sum() if df.loc[t].sum() else np.nan
    caption = (
        f"Mean MRR by the year customers joined. At month {t}, the starting customers bring "
        f"{narrative.pct(share)} of MRR."
    )
    fig = _figure(lambda ax: charts.cohort_layers(r, ax=ax), "MRR by joining year", caption)
    return _section("Revenue by cohort", fig)


def unit_economics(ctx: ReportContext) -> Html:
    """LTV, LTV:CAC, CAC payback and ARR:CRC against the guidelines."""
    r = ctx.result
    table = unit_economics_table(r)
    note = (
        "LTV = ARPA \u00d7 gross margin / monthly churn (trailing 12-month average); CAC payback = "
        "CAC / (ARPA \u00d7 gross margin); CRC = CS people + CS tools per month; ARR:CRC = ARR / "
        "(12 \u00d7 CRC). Guidelines: LTV:CAC of 3:1 and ARR:CRC of 10:1. "
        + ltv_note.ltv_sentence(r)
    )
    rows = len(charts.ratio_rows(r))
    fig = _figure(
        lambda ax: charts.unit_economics_chart(r, ax=ax),
        "Unit economics against guidelines",
        f"At month {r.horizon}: median (dot), P10\u2013P90 (bar), guideline (red tick).",
        size=(10, 1.2 + 0.45 * rows),
    )
    return _section(
        "Unit economics",
        _p(note, "note"),
        _table(table, caption=f"At month {r.horizon}: median (P10\u2013P90)"),
        fig,
    )


def strategy(ctx: ReportContext, paths: int = 1000) -> Html:
    """What each lever is worth at the horizon on common random numbers, and where break-even lies."""
    from ..analysis.breakeven import breakeven_table
    from ..analysis.levers import levers, marginal_value

    sc, r = ctx.scenario, ctx.result
    lr = levers(sc, paths=min(paths, r.paths), seed=r.seed, per_segment=False)
    df = lr.to_frame()
    arr = df[(df.metric == "arr") & (df.segment == "all")]
    cur = ctx.currency
    rows = pd.DataFrame(
        {
            "Lever": arr["label"],
            f"Extra ARR at month {r.horizon} (median)": [
                charts.compact(v) + f" {cur}" for v in arr["median"]
            ],
            "P10\u2013P90": [
                f"{charts.compact(a)} \u2013 {charts.compact(b)}"
                for a, b in zip(arr.p10, arr.p90, strict=True)
            ],
            "Std. error of the mean": [charts.compact(v) for v in arr["mc_se"]],
        }
    )
    parts = [
        _p(
            f"Each lever is applied to every segment on the same {min(paths, r.paths):,} simulated "
            "worlds as the base (common random numbers), so the difference is the lever's doing, not "
            "noise."
        ),
        _figure(
            lambda ax: lr.plot(ax=ax),
            "Extra ARR by lever",
            "Median extra ARR at the horizon with P10\u2013P90 whiskers.",
            size=(10, 0.9 + 0.42 * len(arr)),
        ),
        _table(rows, index=False, caption=f"Extra ARR at month {r.horizon} against the base"),
    ]
    be = breakeven_table(sc)
    be_rows = pd.DataFrame(
        {
            "Segment": be["segment"],
            "Monthly churn now": [f"{v:.2%}" for v in be["avg_monthly_churn_now"]],
            "Churn that keeps the base flat": [
                f"{v:.2%}" if np.isfinite(v) else "n/a" for v in be["avg_monthly_churn_breakeven"]
            ],
            "Expansion now": [f"{v:.2%}" if np.isfinite(v) else "n/a" for v in be["expansion_now"]],
            "Expansion for NRR \u2265 100%": [
                f"{v:.2%}" if np.isfinite(v) else "n/a" for v in be["expansion_breakeven"]
            ],
        }
    )
    parts.append(
        _table(
            be_rows,
            index=False,
            caption="Break-even: the monthly churn at which the customer base stays "
            "flat, and the monthly expansion that NRR of 100% needs",
        )
    )
    if all(s.churn.monthly is not None for s in sc.segments):
        has_expansion = any(s.expansion is not None for s in sc.segments)
        if has_expansion:
            mv = marginal_value(sc, seed=r.seed)
            what = "cutting churn by 10% or adding 10% to expansion"
        else:  # 10% of no expansion is none: compare with a first 0.1 pt a month of expansion
            mv = marginal_value(
                sc,
                levers=("churn_rel", "expansion_pt"),
                step={"churn_rel": 0.10, "expansion_pt": 0.001},
                seed=r.seed,
            )
            what = "cutting churn by 10% or adding 0.1 pt a month of expansion"
        parts.append(
            _figure(
                lambda ax: mv.plot(ax=ax),
                "The churn floor",
                f"Extra ARR at the horizon from {what}, at different levels of monthly "
                "churn (expected values): as churn falls, the same relative cut in "
                "churn buys less, while expansion buys more.",
                size=(10, 3.6),
            )
        )
    return _section("What each lever is worth", *parts)


def sensitivity(ctx: ReportContext, paths: int = 1000) -> Html:
    """Which uncertain assumptions move ARR at the horizon: a tornado and rank correlations."""
    from ..analysis.sensitivity import global_sensitivity, tornado

    sc = ctx.scenario
    if not sc.uncertain():
        return _section(
            "Which assumptions matter",
            _p(
                "Every parameter in this scenario is a fixed number, so there is no "
                "parameter uncertainty to rank; give a parameter a distribution to see "
                "which assumptions drive ARR."
            ),
        )
    t = tornado(sc)
    g = global_sensitivity(sc, paths=min(paths, ctx.result.paths), seed=ctx.result.seed)
    gf = g.to_frame()
    cols = [
        c
        for c in gf.columns
        if c in ("input", "spearman", "spearman_se", "first_order", "first_order_se")
    ]
    return _section(
        "Which assumptions matter",
        _p(
            "Tornado: each uncertain input at its P10 and P90 with the others at their medians "
            "(expected ARR at the horizon). Table: rank correlation of every input with ARR over one "
            "Monte Carlo run where all inputs vary together."
        ),
        _figure(
            lambda ax: t.plot(ax=ax),
            "Tornado of ARR at the horizon",
            "Spread of ARR at the horizon between each input's P10 and P90.",
            size=(10, 1.0 + 0.5 * len(t.to_frame())),
        ),
        _table(gf[cols].round(3), index=False, caption="Global sensitivity of ARR at the horizon"),
    )


def precision(ctx: ReportContext) -> Html:
    """How precise the Monte Carlo figures are."""
    r = ctx.result
    table = precision_table(r)
    h = r.summary(months=[r.horizon]).set_index("kpi").loc["arr"]
    half = 1.96 * h["median_se"]
    text = (
        f"These figures come from {r.paths:,} simulated paths (seed {r.seed}, {ctx.seconds:.1f} s). "
        f"The median ARR at month {r.horizon} is within \u00b1{charts.compact(half)} {ctx.currency} "
        "(95%) of what unlimited paths would give. The standard error shrinks with the square root "
        "of the paths: four times the paths halves it. It measures simulation noise only, not "
        "whether the assumptions are right."
    )
    return _section("Precision", _p(text), _table(table.set_index("Figure")), cls="precision")


# -- running the notebook and exporting HTML --------------------------------------------------------


def _kernel_manager_class():
    """A kernel manager that always starts this interpreter, whatever kernelspecs are installed."""
    from jupyter_client.kernelspec import KernelSpec
    from jupyter_client.manager import AsyncKernelManager

    class CurrentPythonKernelManager(AsyncKernelManager):
        # IPC sockets instead of TCP ports on POSIX: no port races between parallel reports
        # (jupyter_client #487) and nothing listening on the network. The sockets live in a private
        # folder (jupyter_client's default, ./kernel-ipc-N, would collide between parallel reports).
        transport = "ipc" if os.name == "posix" else "tcp"

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self._ipc_dir = None
            if self.transport == "ipc":
                self._ipc_dir = tempfile.mkdtemp(prefix="cssim-kernel-")
                self.ip = os.path.join(self._ipc_dir, "k")

        async def _async_cleanup_resources(self, restart: bool = False) -> None:
            await super()._async_cleanup_resources(restart=restart)
            if self._ipc_dir and not restart:
                shutil.rmtree(self._ipc_dir, ignore_errors=True)

        async def _async_interrupt_kernel(self):
            # jupyter_client interrupts before every shutdown, and ipykernel then logs a
            # KeyboardInterrupt to the terminal; a report's kernel is idle when it is shut down.
            if not self.shutting_down:
                await super()._async_interrupt_kernel()

        @property
        def kernel_spec(self):
            return KernelSpec(
                argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                display_name="Python 3 (cssim)",
                language="python",
                env={"PYDEVD_DISABLE_FILE_VALIDATION": "1"},
            )

    return CurrentPythonKernelManager


def _export_html(notebook: Path, title: str) -> str:
    import nbformat
    from nbconvert import HTMLExporter
    from traitlets.config import Config

    nb = nbformat.read(notebook, as_version=4)
    nb.metadata["title"] = title
    nb.metadata.pop("widgets", None)  # no widget state in a static report
    c = Config()
    c.TagRemovePreprocessor.enabled = True
    c.TagRemovePreprocessor.remove_cell_tags = set(REMOVE_TAGS)
    c.CSSHTMLHeaderPreprocessor.enabled = False  # code highlighting: there is no code to show
    exporter = HTMLExporter(
        config=c,
        template_name="cssim_report",
        extra_template_basedirs=[str(TEMPLATES / "nbconvert")],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
    )
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
    return body


def _temp_path(folder: Path, name: str, suffix: str = ".tmp") -> Path:
    """A fresh hidden name beside the final file (created later, so it gets the usual permissions)."""
    return folder / f".{name}.{uuid.uuid4().hex[:12]}{suffix}"


def _write_atomic(path: Path, text: str) -> None:
    tmp = _temp_path(path.parent, path.name)
    try:
        with open(tmp, "x", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def render_report(
    scenario_path: str | os.PathLike,
    out_dir: str | os.PathLike = "reports",
    paths: int = 10_000,
    seed: int = 42,
    target_arr: float | None = None,
    months: int | None = None,
    *,
    result_path: str | os.PathLike | None = None,
    name: str | None = None,
    template: str | os.PathLike | None = None,
    keep_notebook: bool = True,
    timeout: float | None = 1800,
) -> Path:
    """Run the report notebook for a scenario and write ``<out_dir>/<scenario stem>.html``.

    The HTML is self-contained (embedded images, no code, no external URL) and is written atomically.
    The executed notebook is kept beside it as ``<stem>.ipynb`` (unless ``keep_notebook=False``).

    Parameters
    ----------
    scenario_path : path
        The scenario YAML file; validated before any kernel starts.
    out_dir : path
        Where the report goes (created if missing).
    paths, seed : int
        Monte Carlo paths and seed.
    target_arr : float, optional
        An ARR target (overrides the scenario's ``target_arr``).
    months : int, optional
        The horizon in months (overrides the scenario's ``horizon_months``).
    result_path : path, optional
        A result saved with :meth:`SimulationResult.save` to report instead of simulating again (its
        paths, seed and horizon must match).
    name : str, optional
        The output files' stem (default: the scenario file's stem).
    template : path, optional
        Another report notebook with the same parameters.
    timeout : float, optional
        Seconds a cell may run.

    Returns
    -------
    Path
        The HTML file.

    Raises
    ------
    ScenarioError
        The scenario is invalid (nothing is run or written).
    ValueError
        A parameter is not allowed.
    ReportError
        The notebook failed: the message names the cell and the error, and the partly executed
        notebook is kept as ``<out_dir>/<stem>.failed.ipynb``.
    """
    check_parameters(paths, seed, target_arr, months)
    scenario_path = Path(scenario_path).resolve()
    scenario = _scenario(scenario_path, months)
    try:
        import papermill as pm
        from papermill.exceptions import PapermillExecutionError
    except ImportError as err:  # pragma: no cover - depends on the installation
        raise ReportError(
            "reports need papermill and nbconvert: pip install 'cssim[notebooks]'"
        ) from err
    stem = scenario_path.stem if name is None else name
    if not stem or Path(stem).name != stem or stem.startswith("."):
        raise ValueError(f"name must be a plain file name without folders, got {name!r}")
    if result_path is not None:
        result_path = Path(result_path).resolve()
        if not result_path.is_file():
            raise ValueError(f"result_path {str(result_path)!r} is not a file")
    template = Path(template) if template is not None else TEMPLATE
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    html_path, nb_path, failed = (
        out / f"{stem}.html",
        out / f"{stem}.ipynb",
        out / f"{stem}.failed.ipynb",
    )
    tmp = _temp_path(out, stem, ".tmp.ipynb")  # papermill wants the .ipynb suffix
    parameters = {
        "scenario_path": str(scenario_path),
        "paths": int(paths),
        "seed": int(seed),
        "target_arr": None if target_arr is None else float(target_arr),
        "months": None if months is None else int(months),
        "result_path": None if result_path is None else str(result_path),
    }
    try:
        try:
            pm.execute_notebook(
                str(template),
                str(tmp),
                parameters=parameters,
                kernel_name="python3",
                language="python",
                progress_bar=False,
                log_output=False,
                execution_timeout=timeout,
                kernel_manager_class=_kernel_manager_class(),
            )
        except PapermillExecutionError as err:
            kept = _keep(tmp, failed)
            first = next((ln for ln in err.source.splitlines() if ln.strip()), "")
            raise ReportError(
                f"the report for {scenario_path.name} failed in cell {err.cell_index} "
                f"(execution count {err.exec_count}: {first.strip()!r}): {err.ename}: {err.evalue}. "
                f"The partly executed notebook is {kept}"
            ) from err
        except Exception as err:
            kept = _keep(tmp, failed)
            where = f"; the partly executed notebook is {kept}" if kept else ""
            raise ReportError(
                f"the report for {scenario_path.name} could not run: "
                f"{type(err).__name__}: {err}{where}"
            ) from err
        try:
            body = _export_html(tmp, scenario.name)
        except Exception as err:
            kept = _keep(tmp, failed)
            raise ReportError(
                f"the report for {scenario_path.name} ran but could not be exported "
                f"to HTML: {type(err).__name__}: {err}; the notebook is {kept}"
            ) from err
        _write_atomic(html_path, body)
        if keep_notebook:
            os.replace(tmp, nb_path)
        failed.unlink(missing_ok=True)
    finally:
        tmp.unlink(missing_ok=True)
    return html_path


def _keep(tmp: Path, failed: Path) -> Path | None:
    """Move the partly executed notebook to ``failed`` (if papermill wrote one)."""
    if tmp.exists() and tmp.stat().st_size > 0:
        os.replace(tmp, failed)
        return failed
    return None
