"""Scenario reports: a parameterised notebook run by papermill, exported as one self-contained HTML file.

:func:`render_report` runs ``cssim/reporting/templates/report.ipynb`` in a real kernel (the current Python)
and exports it with nbconvert, without code, prompts, stderr output or any external URL: images are
embedded, the page loads nothing from the network, prints on A4 and reads on a phone. The notebook is
thin: each cell calls one function here (:func:`prepare`, then :func:`header`, :func:`summary`, ...
:func:`footnote`), and each returns an :class:`Html` section built from escaped data, so a scenario's text
can never inject markup.

The report speaks the reader's language (``lang="en"`` or ``"ja"``; the scenario's ``language:`` when
no language is given, English otherwise): sentences through :mod:`cssim.words.i18n` (the Japanese in
``locale/ja/LC_MESSAGES/report.po``), numbers through :mod:`cssim.words.formatting` (``3.52億円`` /
``¥352M``). It answers first: where ARR goes, the chance it grows, and what to do (the levers at equal
effort, the break-even churn); the derivations, precision and a glossary come last.
"""

from __future__ import annotations

import base64
import functools
import html
import io
import math
import os
import re
import shutil
import sys
import tempfile
import time
import uuid
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..model.distributions import _Dist
from ..model.engine import simulate
from ..model.metrics import METRICS
from ..model.result import TOTAL, SimulationResult
from ..model.scenario import Scenario, load_scenario
from ..words import fonts
from ..words import formatting as fm
from ..words.i18n import N_, Translator, resolve_lang
from ..words.tables import at_equal_cost
from . import charts, ltv_note, narrative
from .webfont import embed_cjk_font

__all__ = [
    "TEMPLATE",
    "Html",
    "ReportContext",
    "ReportError",
    "assumptions_table",
    "check_parameters",
    "kpi_table",
    "parameter_label",
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
#: Paths the lever and sensitivity sections simulate (at most the report's paths).
ANALYSIS_PATHS = 1000

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
    paths: Any = 10_000,
    seed: Any = 42,
    target_arr: Any = None,
    months: Any = None,
    lang: Any = None,
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
    if lang is not None and lang not in ("en", "ja"):
        problems.append(f"lang must be 'en', 'ja' or None, got {lang!r}")
    if problems:
        raise ValueError("report parameters: " + "; ".join(problems))


def _scenario(scenario_path: str | os.PathLike, months: int | None) -> Scenario:
    scenario = load_scenario(scenario_path)
    if months is not None:
        scenario = scenario.replace({"horizon_months": int(months)})
    return scenario


@dataclass
class ReportContext:
    """What the report's cells share: the scenario, the result, the language and the options."""

    scenario_path: Path
    scenario: Scenario
    result: SimulationResult
    target_arr: float | None
    seconds: float
    lang: str = "en"
    #: Warnings raised while the report's cells ran (kept out of the page; see :func:`prepare`).
    warnings: list[str] = field(default_factory=list)

    @property
    def t(self) -> Translator:
        return Translator(self.lang)

    @property
    def currency(self) -> str:
        return self.scenario.currency

    @property
    def target(self) -> float | None:
        return self.target_arr if self.target_arr is not None else self.scenario.target_arr

    def money(self, x: float) -> str:
        return fm.money(x, self.currency, self.lang)

    @functools.cached_property
    def levers(self):
        """The levers at equal effort (:data:`cssim.analysis.levers.EQUAL_EFFORT`), on common
        random numbers with the report's seed; computed once, shared by the summary and the lever
        section so both show the same figures in the same order."""
        from ..analysis.levers import EQUAL_EFFORT, levers

        r = self.result
        return levers(
            self.scenario,
            paths=min(ANALYSIS_PATHS, r.paths),
            seed=r.seed,
            size=EQUAL_EFFORT,
            names=list(EQUAL_EFFORT),
            costs=dict(self.scenario.lever_costs or {}),
            per_segment=False,
        )

    @functools.cached_property
    def breakeven(self) -> pd.DataFrame:
        from ..analysis.breakeven import breakeven_table

        return breakeven_table(self.scenario)


def prepare(
    scenario_path: str | os.PathLike,
    paths: int = 10_000,
    seed: int = 42,
    target_arr: float | None = None,
    months: int | None = None,
    result_path: str | os.PathLike | None = None,
    lang: str | None = None,
) -> ReportContext:
    """Validate the report's parameters, load the scenario and simulate it.

    ``months`` overrides the scenario's horizon; ``target_arr`` its ARR target; ``lang`` its
    ``language:`` (English when neither is given). With ``result_path`` (a result written by
    :meth:`SimulationResult.save`) nothing is simulated: the saved result is reported, and its paths,
    seed and horizon must match the parameters.

    From here on, warnings in this process are recorded in ``ctx.warnings`` instead of being printed:
    in a report kernel a printed warning would land in the page (with the machine's paths).
    """
    check_parameters(paths, seed, target_arr, months, lang)
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
    ctx = ReportContext(
        Path(scenario_path),
        scenario,
        result,
        None if target_arr is None else float(target_arr),
        time.perf_counter() - start,
        resolve_lang(lang, scenario.language),
    )
    _record_warnings(ctx)
    return ctx


def _record_warnings(ctx: ReportContext) -> None:
    """In a report kernel, keep warnings in ``ctx.warnings`` instead of printing them to the page."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - a report kernel has IPython
        return
    shell = get_ipython()
    if shell is None or not hasattr(shell, "kernel"):
        return  # not a kernel (a test, a script): warnings stay where the caller wants them

    def record(message, category, filename, lineno, file=None, line=None):
        ctx.warnings.append(f"{category.__name__}: {message}")

    warnings.showwarning = record


# -- words and numbers ------------------------------------------------------------------------------

#: KPI names as the tables show them (the unit follows the value: ``¥352M``, ``3.0%``).
_KPI_LABELS = {
    "arr": N_("ARR"),
    "mrr": N_("MRR (a month)"),
    "customers": N_("Customers"),
    "nrr": N_("NRR (12 months)"),
    "grr": N_("GRR (12 months)"),
    "logo_churn_rate": N_("Churn (customers, a month)"),
    "net_new_mrr": N_("Net new MRR (a month)"),
    "arpa": N_("ARPA (a month)"),
    "ltv": N_("LTV"),
    "ltv_model": N_("LTV, model-consistent"),
    "lifetime_model": N_("Expected lifetime, discounted"),
    "ltv_cac": N_("LTV:CAC"),
    "cac_payback": N_("CAC payback"),
    "crc": N_("CRC (a month)"),
    "arr_crc": N_("ARR:CRC"),
    "p_arr_grows": N_("Chance ARR grows"),
    "p_arr_target": N_("Chance ARR reaches the target"),
}
_PERCENT = {"nrr", "grr", "logo_churn_rate", "gross_mrr_churn_rate", "net_mrr_churn_rate"}
_TIMES = {"ltv_cac", "arr_crc", "quick_ratio"}


def fmt(x: float, kpi: str, currency: str = "JPY", lang: str = "en") -> str:
    """A KPI value as a reader expects it: money compact (``¥352M`` / ``3.52億円``), percentages,
    ratios as ``3.3:1``, months; ``–`` where it is not defined."""
    if x is None or not np.isfinite(x):
        return "–"
    if kpi.startswith("p_") or kpi in _PERCENT:
        return fm.percent(x, lang)
    if kpi in _TIMES:
        return f"{fm.number(x, lang, 1)}:1"
    unit = METRICS[kpi].unit
    if unit == "currency":
        return fm.money(x, currency, lang)
    if unit in ("customers", "count"):
        return fm.count(x, lang)
    if unit == "months":
        return fm.months(x, lang, 1)
    return fm.number(x, lang, 1)


def _spread(row, currency: str, lang: str) -> str:
    k = row["kpi"]
    if k.startswith("p_"):
        return fmt(row["mean"], k, currency, lang)
    mid = fmt(row["median"], k, currency, lang)
    if not np.isfinite(row["median"]) or np.isclose(row["p10"], row["p90"]):
        return mid
    low, high = fmt(row["p10"], k, currency, lang), fmt(row["p90"], k, currency, lang)
    return f"{mid} ({low} \u2013 {high})"


def _kpi_label(kpi: str, label: str, t: Translator) -> str:
    return t(_KPI_LABELS[kpi]) if kpi in _KPI_LABELS else label


def kpi_table(
    result: SimulationResult,
    months: Sequence[int] | None = None,
    target_arr: float | None = None,
    lang: str | None = None,
) -> pd.DataFrame:
    """KPIs (rows) at 12, 24, 36 months or the horizon (columns): ``"median (P10 – P90)"`` strings.

    Probabilities show the share of paths.
    """
    t = Translator(lang or "en")
    s = result.summary(months=months, target_arr=target_arr)
    cur = result.scenario.currency
    s["KPI"] = [_kpi_label(k, lab, t) for k, lab in zip(s["kpi"], s["label"], strict=True)]
    s["text"] = s.apply(_spread, axis=1, args=(cur, t.lang))
    s["column"] = [t("Month {month}", month=m) for m in s["month"]]
    table = s.pivot_table(index="KPI", columns="column", values="text", aggfunc="first", sort=False)
    table.columns.name = None
    table.index.name = t("KPI")
    return table[[t("Month {month}", month=m) for m in result.kpi_months(months)]]


def unit_economics_table(
    result: SimulationResult, month: int | None = None, lang: str | None = None
) -> pd.DataFrame:
    """ARPA, LTV, LTV:CAC, CAC payback, CRC and ARR:CRC per segment at one month (horizon by default)."""
    t = Translator(lang or "en")
    ue = result.unit_economics(month=month)
    cur = result.scenario.currency
    ue["KPI"] = [_kpi_label(k, lab, t) for k, lab in zip(ue["kpi"], ue["label"], strict=True)]
    # the model-consistent LTV and lifetime read like the quoted LTV and CAC payback (money, months)
    like = ue["kpi"].replace({"ltv_model": "ltv", "lifetime_model": "cac_payback"})
    ue["text"] = ue.assign(kpi=like).apply(_spread, axis=1, args=(cur, t.lang))
    total = t("Total")
    ue["column"] = [total if s == TOTAL else s for s in ue["segment"]]
    table = ue.pivot_table(
        index="KPI", columns="column", values="text", aggfunc="first", sort=False
    )
    table.columns.name = None
    table.index.name = t("KPI")
    order = [total if s == TOTAL else s for s in dict.fromkeys(ue["segment"])]
    return table[order]


#: Human names of a segment's parameters, and the kind of value each holds (how it is written).
_PARAMS: dict[str, tuple[str, str]] = {
    "customers": (N_("Starting customers"), "count"),
    "arpa": (N_("Revenue per customer (ARPA)"), "money_month"),
    "seats.per_account": (N_("Seats per customer"), "number"),
    "seats.price": (N_("Price per seat"), "money_month"),
    "new_arpa": (N_("Revenue per new customer"), "money_month"),
    "starting_tenure": (N_("Starting tenure"), "months"),
    "starting_tenure.min": (N_("Starting tenure, from"), "months"),
    "starting_tenure.max": (N_("Starting tenure, to"), "months"),
    "acquisition.rate": (N_("New customers (share of the base)"), "share_year"),
    "acquisition.count": (N_("New customers"), "count_month"),
    "acquisition.growth": (N_("Growth of new customers"), "share_month"),
    "churn.monthly": (N_("Churn"), "share_month"),
    "churn.heterogeneity.alpha": (N_("Churn spread between customers (sBG alpha)"), "number"),
    "churn.heterogeneity.beta": (N_("Churn spread between customers (sBG beta)"), "number"),
    "churn.annual_renewal": (N_("Churn at each annual renewal"), "share"),
    "churn.onboarding.months": (N_("Onboarding period"), "months"),
    "churn.onboarding.monthly": (N_("Churn during onboarding"), "share_month"),
    "expansion.rate": (N_("Expansion (upsell and cross-sell, share of MRR)"), "share_month"),
    "expansion.probability": (N_("Customers expanding"), "share_month"),
    "contraction.rate": (N_("Contraction (share of MRR)"), "share_month"),
    "contraction.probability": (N_("Customers contracting"), "share_month"),
    "gross_margin": (N_("Gross margin"), "share"),
    "cac": (N_("Acquisition cost per new customer (CAC)"), "money"),
    "cs.accounts_per_csm": (N_("Customers per CSM"), "number"),
    "cs.csm_per_account": (N_("CSMs per customer"), "number"),
    "cs.csm_cost": (N_("Cost per CSM"), "money_month"),
    "cs.tools": (N_("CS tools"), "money_month"),
    "cs.tools_per_account": (N_("CS tools per customer"), "money_month"),
}


def _split_path(scenario: Scenario, path: str) -> tuple[str, str]:
    """``"SMB.churn.monthly"`` -> ``("SMB", "churn.monthly")`` (segment names may hold dots)."""
    names = sorted(scenario.segment_names, key=len, reverse=True)
    seg = next(n for n in names if path.startswith(n + "."))
    return seg, path[len(seg) + 1 :]


def parameter_label(path: str, scenario: Scenario, lang: str | None = None) -> str:
    """A parameter's human name from its field path: ``"SMB.churn.monthly"`` -> ``"SMB: Churn"``
    (the segment only when the scenario has several), ``解約率`` in Japanese."""
    t = Translator(lang or "en")
    seg, name = _split_path(scenario, path)
    label = t(_PARAMS[name][0]) if name in _PARAMS else name
    return (
        t("{segment}: {label}", segment=seg, label=label) if len(scenario.segments) > 1 else label
    )


def _pct(x: float, lang: str) -> str:
    """A rate with one decimal, or two where one would hide a digit (``3.0%``, ``0.81%``)."""
    digits = 1 if abs(x * 1000 - round(x * 1000)) < 1e-6 else 2
    return fm.percent(x, lang, digits)


def _bare(x: float, kind: str, t: Translator, currency: str) -> str:
    lang = t.lang
    if kind.startswith("share"):
        return _pct(x, lang)
    if kind.startswith("money"):
        return fm.money(x, currency, lang)
    if kind.startswith("count"):
        return fm.count(x, lang)
    if kind == "months":
        return fm.months(x, lang, 0 if float(x).is_integer() else 1)
    return fm.number(x, lang, 0 if float(x).is_integer() else 2)


def _with_unit(x: float, kind: str, t: Translator, currency: str) -> str:
    v = _bare(x, kind, t, currency)
    if kind.endswith("_month"):
        return t("{value} a month", value=v)
    if kind.endswith("_year"):
        return t("{value} a year", value=v)
    return v


def describe_value(name: str, value: Any, t: Translator, currency: str = "JPY") -> str:
    """A parameter's value in plain words: ``3.0% a month``, or for a distribution ``3.0% a month at
    the median, 90% between 2.0% and 4.0%`` (its 5th and 95th percentiles)."""
    kind = _PARAMS.get(name, (name, "number"))[1]
    if not isinstance(value, _Dist):
        return _with_unit(float(value), kind, t, currency)
    low, high = (float(value.ppf(q)) for q in (0.05, 0.95))
    return t(
        "{median} at the median, 90% between {low} and {high}",
        median=_with_unit(value.median(), kind, t, currency),
        low=_bare(low, kind, t, currency),
        high=_bare(high, kind, t, currency),
    )


def assumptions_table(scenario: Scenario, lang: str | None = None) -> pd.DataFrame:
    """Every parameter of every segment in plain words: a human name and its value or range."""
    t = Translator(lang or "en")
    rows = []
    uncertain = scenario.uncertain()  # jointly drawn parameters with their marginal ranges
    for path, v in scenario.parameters():
        v = uncertain.get(path, v)
        seg, name = _split_path(scenario, path)
        if name == "acquisition.growth" and scenario.segment(seg).acquisition.rate is not None:
            continue  # growth applies to count acquisition only
        label = t(_PARAMS[name][0]) if name in _PARAMS else name
        rows.append((seg, label, describe_value(name, v, t, scenario.currency)))
    return pd.DataFrame(rows, columns=[t("Segment"), t("Assumption"), t("Value")])


def precision_table(result: SimulationResult, lang: str | None = None) -> pd.DataFrame:
    """Headline figures at the horizon with their Monte Carlo standard errors."""
    t = Translator(lang or "en")
    lang = t.lang
    tm = result.horizon
    s = result.summary(months=[tm]).set_index("kpi")
    cur = result.scenario.currency
    rows = [
        (t("Median ARR, month {month}", month=tm), "arr", "median", "median_se"),
        (t("Mean ARR, month {month}", month=tm), "arr", "mean", "mc_se"),
        (t("Median customers, month {month}", month=tm), "customers", "median", "median_se"),
        (t("Chance ARR grows, month {month}", month=tm), "p_arr_grows", "mean", "mc_se"),
    ]
    cols = [t("Figure"), t("Estimate"), t("Standard error"), t("95% interval")]
    out = []
    for label, k, stat, se_col in rows:
        value, se = s.loc[k, stat], s.loc[k, se_col]
        if k.startswith("p_") and value in (0.0, 1.0):
            # no spread to estimate a standard error from: the rule of three bounds it instead
            bound = 3 / result.paths
            out.append(
                (
                    label,
                    fm.percent(value, lang, 0),
                    "–",
                    t("below {p} (rule of three)", p=fm.percent(bound, lang, 2))
                    if value == 0
                    else t("above {p} (rule of three)", p=fm.percent(1 - bound, lang, 2)),
                )
            )
            continue
        if k.startswith("p_"):
            show = functools.partial(fm.percent, lang=lang, digits=2)
        else:
            show = functools.partial(fmt, kpi=k, currency=cur, lang=lang)
        out.append((label, show(value), show(se), f"\u00b1 {show(1.96 * se)}"))
    return pd.DataFrame(out, columns=cols)


# -- HTML building blocks ---------------------------------------------------------------------------


#: Rows above which a printed table may break across pages (``.cssim-table.long`` in the CSS).
LONG_TABLE = 12


def _table(
    df: pd.DataFrame,
    caption: str = "",
    index: bool = True,
    numeric: Sequence[str] | None = None,
    cls: str = "",
) -> str:
    """An HTML table of escaped text; ``numeric`` columns (default: all but the first) align right.

    A trailing ``" (...)"`` in a cell (a P10-P90 range, a unit) is shown in a quieter style. Every cell
    carries its column's name (``data-label``) so a narrow screen can stack the rows as cards.
    """
    frame = df.reset_index() if index else df
    cols = [str(c) for c in frame.columns]
    numeric = set(cols[1:] if numeric is None else numeric)

    def klass(c):
        return " class='num'" if c in numeric else ""

    def cell(v):
        main, sep, rest = str(v).partition(" (")
        return e(main) + (f" <span class='range'>({e(rest)}</span>" if sep else "")

    head = "".join(f"<th scope='col'{klass(c)}>{e(c)}</th>" for c in cols)
    body = []
    for row in frame.itertuples(index=False):
        first, *rest = row
        cells = [f"<th scope='row'>{cell(first)}</th>"]
        cells += [
            f"<td{klass(c)} data-label='{e(c)}'>{cell(v)}</td>"
            for c, v in zip(cols[1:], rest, strict=True)
        ]
        body.append("<tr>" + "".join(cells) + "</tr>")
    cap = f"<caption>{e(caption)}</caption>" if caption else ""
    # a long table may continue on the next printed page (its header repeated); a short one may not
    extra = (f" {cls}" if cls else "") + (" long" if len(body) > LONG_TABLE else "")
    return (
        f"<div class='table-wrap'><table class='cssim-table{extra}'>{cap}<thead><tr>{head}</tr>"
        f"</thead><tbody>{''.join(body)}</tbody></table></div>"
    )


def _section(title: str, *parts: str, cls: str = "") -> Html:
    markup = f"<section class='cssim-section {cls}'><h2>{e(title)}</h2>{''.join(parts)}</section>"
    return Html(markup, text=title)


def _p(text: str, cls: str = "") -> str:
    c = f" class='{cls}'" if cls else ""
    return f"<p{c}>{e(text)}</p>"


def _rc() -> dict:
    return {
        "font.family": fonts.register(),
        "font.size": 10,
        "axes.titlesize": 11,
        "axes.labelsize": 10,
        "legend.fontsize": 9,
        "xtick.labelsize": 9,
        "ytick.labelsize": 9,
        "axes.edgecolor": "#666666",
        "axes.unicode_minus": True,
    }


#: The English text charts carry, and what a reader of another language sees instead (regular
#: expressions matched against a whole text; named groups fill the translation's placeholders).
_CHART_TEXT: list[tuple[re.Pattern, str]] = [
    (re.compile(p), m)
    for p, m in [
        (r"Month", N_("Month")),
        (r"Median", N_("Median")),
        (r"P10-P90", N_("P10–P90 (8 futures in 10)")),
        (r"ARR \([A-Z]{3}\)", N_("ARR")),
        (r"ARR", N_("ARR")),
        (r"Customers", N_("Customers")),
        (r"New MRR", N_("New MRR")),
        (r"Expansion MRR", N_("Expansion MRR")),
        (r"Contraction MRR", N_("Contraction MRR")),
        (r"Churned MRR", N_("Churned MRR")),
        (r"Net new MRR \(median\)", N_("Net new MRR (median)")),
        (r"Net new MRR P10-P90", N_("Net new MRR, P10–P90")),
        (r"MRR per month \([A-Z]{3}\)", N_("MRR a month")),
        (r"MRR movements per month", N_("MRR movements each month")),
        (r"Retention over trailing 12 months \(%\)", N_("Retention over the last 12 months")),
        (r"Net and gross revenue retention", N_("Net and gross revenue retention (NRR, GRR)")),
        (r"NRR", N_("NRR")),
        (r"GRR", N_("GRR")),
        (r"NRR \(= GRR: no expansion\)", N_("NRR (= GRR: no expansion)")),
        (r"MRR \([A-Z]{3}, mean over paths\)", N_("MRR (mean over futures)")),
        (r"MRR by joining year", N_("MRR by the year customers joined")),
        (r"Starting customers", N_("Starting customers")),
        (r"Joined in (?:year )?(?P<year>\d+)", N_("Joined in year {year}")),
        (r"not defined \(no CS costs\)", N_("not defined (no CS costs)")),
        (r"not defined \(no CAC\)", N_("not defined (no CAC)")),
        (r"LTV:CAC", N_("LTV:CAC")),
        (r"ARR:CRC", N_("ARR:CRC")),
        (r"LTV:CAC \((?P<segment>.+)\)", N_("LTV:CAC ({segment})")),
        (r"ARR:CRC \((?P<segment>.+)\)", N_("ARR:CRC ({segment})")),
        (
            r"Ratio \(log scale\); red ticks: guidelines 3:1 \(LTV:CAC\) and 10:1 \(ARR:CRC\)",
            N_("Ratio (log scale); red ticks: the guidelines 3:1 (LTV:CAC) and 10:1 (ARR:CRC)"),
        ),
        (
            r"Unit economics at month (?P<month>\d+): median and P10-P90",
            N_("Unit economics at month {month}: median and P10–P90"),
        ),
    ]
]


def _chart_text(text: str, t: Translator) -> str | None:
    for pattern, message in _CHART_TEXT:
        if m := pattern.fullmatch(text):
            return t(message, **m.groupdict())
    return None


def _localize(fig, t: Translator, currency: str) -> None:
    """Put a drawn figure in the reader's language: its texts (:data:`_CHART_TEXT`) and its money
    ticks (``¥352M`` / ``3.52億円``, through :func:`cssim.words.formatting.money`)."""
    from matplotlib.text import Text
    from matplotlib.ticker import FuncFormatter

    for text in fig.findobj(Text):
        new = _chart_text(text.get_text(), t)
        if new is not None:
            text.set_text(new)
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            f = axis.get_major_formatter()
            if isinstance(f, FuncFormatter) and getattr(f.func, "__name__", "") == "compact":
                axis.set_major_formatter(_money_ticks(t.lang, currency))
        # tick labels set as fixed text (segment names, levers) are translated above


def _money_ticks(lang: str, currency: str):
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda v, _=None: fm.money(v, currency, lang) if v else "0")


def _figure(
    draw: Callable,
    alt: str,
    caption: str,
    size=(10, 3.8),
    ncols: int = 1,
    width_ratios=None,
    *,
    t: Translator | None = None,
    currency: str = "JPY",
) -> str:
    """Draw on a new figure (no pyplot, no backend) and return it as an embedded PNG.

    With ``t`` the figure's texts and money ticks are put in its language (:func:`_localize`).
    """
    import matplotlib
    from matplotlib.figure import Figure

    with matplotlib.rc_context(_rc()), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        fig = Figure(figsize=size, layout="constrained")
        axes = fig.subplots(
            1, ncols, gridspec_kw={"width_ratios": width_ratios} if width_ratios else None
        )
        draw(axes)
        if t is not None:
            _localize(fig, t, currency)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=144, metadata={"Software": None})
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return (
        f"<figure><img src='data:image/png;base64,{data}' alt='{e(alt)}'>"
        f"<figcaption>{e(caption)}</figcaption></figure>"
    )


def _fig(ctx: ReportContext, draw: Callable, alt: str, caption: str, **kw) -> str:
    return _figure(draw, alt, caption, t=ctx.t, currency=ctx.currency, **kw)


# -- the report's sections, in order ----------------------------------------------------------------


def _lever_label(name: str, size: float, t: Translator) -> str:
    """A lever in words, with its size: ``Churn −1.0 pt a month``, ``Price +5%``."""
    lang = t.lang
    pts = fm.points(size, lang)
    minus = fm.points(-size, lang)
    rel = fm.percent(size, lang, 0, sign=True)
    less = fm.percent(-size, lang, 0)
    words = {
        "churn_pt": lambda: t("Churn {change} a month", change=minus),
        "churn_rel": lambda: t("Churn {change}", change=less),
        "expansion_pt": lambda: t("Expansion {change} a month", change=pts),
        "expansion_rel": lambda: t("Expansion {change}", change=rel),
        "acquisition_rel": lambda: t("New customers {change}", change=rel),
        "price_rel": lambda: t("Price {change}", change=rel),
        "onboarding_pt": lambda: t("Onboarding churn {change} a month", change=minus),
        "onboarding_rel": lambda: t("Onboarding churn {change}", change=less),
    }
    return words[name]() if name in words else name


def _ranked_levers(ctx: ReportContext) -> pd.DataFrame:
    lr = ctx.levers
    df = lr.ranked("arr")
    df["words"] = [_lever_label(n, lr.sizes[n], ctx.t) for n in df["lever"]]
    return df


def _levers_at_equal_cost(ctx: ReportContext) -> pd.DataFrame:
    """The levers the scenario gives a monthly cost for (``lever_costs``), best first at equal cost:
    ``ratio = median extra gross profit over months 1..H / (cost a month x H)``
    (:meth:`~cssim.analysis.levers.LeverResult.per_cost`). Empty without costs."""
    lr = ctx.levers
    df = lr.per_cost("gross_profit_cum")
    df["words"] = [_lever_label(n, lr.sizes[n], ctx.t) for n in df["lever"]]
    df["cost_month"] = df["cost_total"] / lr.horizon
    return df


def _times(x: float, ctx: ReportContext) -> str:
    """A multiple of a cost: ``4.0×`` / ``4.0倍``."""
    return ctx.t("{ratio}×", ratio=fm.number(x, ctx.lang, 1))


def _breakeven_words(ctx: ReportContext) -> str:
    """The break-even churn in a sentence (the whole scenario: the total row with several segments)."""
    t, lang = ctx.t, ctx.lang
    row = ctx.breakeven.iloc[-1]
    now, be = row["avg_monthly_churn_now"], row["avg_monthly_churn_breakeven"]
    if not np.isfinite(be):
        return t("No level of churn keeps the customer base flat in this scenario.")
    if be < now:
        return t(
            "Break-even: the customer base stays flat only if churn falls to {be} a month on "
            "average (now {now}).",
            be=_pct(be, lang),
            now=_pct(now, lang),
        )
    return t(
        "Break-even: churn could rise to {be} a month on average (now {now}) before the "
        "customer base shrinks.",
        be=_pct(be, lang),
        now=_pct(now, lang),
    )


def header(ctx: ReportContext) -> Html:
    """The scenario's name and description (as text), and what it covers."""
    sc, r, t = ctx.scenario, ctx.result, ctx.t
    meta = t(
        "{months} · currency {currency} · segments: {segments}",
        months=fm.months(r.horizon, ctx.lang),
        currency=sc.currency,
        segments=t(", ").join(sc.segment_names),
    )
    desc = "".join(
        _p(para.strip(), "description") for para in sc.description.split("\n\n") if para.strip()
    )
    kicker = t("cssim scenario report")
    markup = (
        f"<header class='cssim-header'><p class='kicker'>{e(kicker)}</p>"
        f"<h1>{e(sc.name)}</h1>{desc}{_p(meta, 'meta')}</header>"
    )
    return Html(markup, text=sc.name)


def summary(ctx: ReportContext) -> Html:
    """The first screen: where ARR goes, the chance it grows, what to do, the break-even churn."""
    r, t, lang = ctx.result, ctx.t, ctx.lang
    h = r.headline()
    month = h["month"]
    cards = [
        (
            t("ARR at month {month}", month=month),
            ctx.money(h["arr_median"]),
            t(
                "8 futures in 10: {low} – {high}",
                low=ctx.money(h["arr_p10"]),
                high=ctx.money(h["arr_p90"]),
            ),
        ),
        (t("ARR today"), ctx.money(h["arr_start"]), t("month 0")),
        (
            t("Chance ARR grows"),
            fm.percent(h["p_arr_grows"], lang, 0),
            t("by month {month}", month=month),
        ),
    ]
    if ctx.target is not None:
        hit = float(np.mean(r.get("arr")[:, month] >= ctx.target))
        cards.append(
            (
                t("Chance ARR reaches {target}", target=ctx.money(ctx.target)),
                fm.percent(hit, lang, 0),
                t("by month {month}", month=month),
            )
        )
    ranked = _ranked_levers(ctx)
    if len(ranked):
        best = ranked.iloc[0]
        cards.append(
            (
                t("Best lever at equal effort"),
                best["words"],
                t(
                    "{gain} more ARR at month {month} (median)",
                    gain=ctx.money(best["median"]),
                    month=month,
                ),
            )
        )
    cards_html = "".join(
        f"<div class='card'><div class='card-label'>{e(a)}</div>"
        f"<div class='card-value'>{e(b)}</div><div class='card-note'>{e(c)}</div>"
        f"</div>"
        for a, b, c in cards
    )
    paras = narrative.where_arr_goes(r, t, ctx.target_arr)
    items = "".join(
        "<li>"
        + e(
            t(
                "{lever}: {gain} more ARR at month {month} (8 futures in 10: {low} – {high})",
                lever=row.words,
                gain=ctx.money(row.median),
                month=month,
                low=ctx.money(row.p10),
                high=ctx.money(row.p90),
            )
        )
        + "</li>"
        for row in ranked.itertuples()
    )
    todo_title = t("What to do")
    todo = [
        f"<h3>{e(todo_title)}</h3>",
        _p(t("The levers at equal effort, each the same size in its own unit, best first:")),
        f"<ol class='levers'>{items}</ol>",
    ]
    by_cost = _levers_at_equal_cost(ctx)
    if len(by_cost):
        per_cost = "".join(
            "<li>"
            + e(
                t(
                    "{lever} ({cost} a month): {ratio} its cost back in gross profit by month "
                    "{month}",
                    lever=row.words,
                    cost=ctx.money(row.cost_month),
                    ratio=_times(row.per_cost, ctx),
                    month=month,
                )
            )
            + "</li>"
            for row in by_cost.itertuples()
        )
        todo += [
            _p(t("At equal cost, with what the scenario says each lever costs, best first:")),
            f"<ol class='levers at-equal-cost'>{per_cost}</ol>",
        ]
    todo += [
        _p(_breakeven_words(ctx)),
        _p(
            t("How the figures are worked out, their precision and a glossary are in the appendix.")
            + "\u00b9",
            "note",
        ),
    ]
    return _section(
        t("What to expect and what to do"),
        f"<div class='cards'>{cards_html}</div>",
        *(_p(p, "lead") for p in paras),
        *todo,
        cls="summary",
    )


def assumptions(ctx: ReportContext) -> Html:
    """Every parameter in plain words: its value, or its median and 90% range."""
    sc, t = ctx.scenario, ctx.t
    general = pd.DataFrame(
        [
            (t("Horizon"), fm.months(sc.horizon_months, ctx.lang)),
            (t("Currency"), sc.currency),
            (t("ARR target"), t("none") if ctx.target is None else ctx.money(ctx.target)),
        ],
        columns=[t("Setting"), t("Value")],
    ).set_index(t("Setting"))
    params = assumptions_table(sc, ctx.lang)
    if len(sc.segments) == 1:
        params = params.drop(columns=[t("Segment")])
    if sc.uncertain():
        note = t(
            "Where an assumption is uncertain, each simulated future draws its own value once: "
            "the median and the range that holds 90% of the draws are shown."
        )
    else:
        note = t("Every assumption is a fixed number in this scenario.")
    return _section(
        t("Assumptions"),
        "<div class='two-col'>",
        _table(general, numeric=()),
        _table(params, index=False, numeric=()),
        "</div>",
        _p(note, "note"),
    )


def kpis(ctx: ReportContext) -> Html:
    """The KPI table at 12, 24, 36 months (or the horizon)."""
    t = ctx.t
    table = kpi_table(ctx.result, target_arr=ctx.target_arr, lang=ctx.lang)
    return _section(
        t("Key figures"),
        _p(
            t("Median over the simulated futures; in brackets, the range of 8 futures in 10."),
            "note",
        ),
        _table(table, cls="kpis"),
    )


def growth(ctx: ReportContext) -> Html:
    """Fan charts of ARR and customers."""
    r, t = ctx.result, ctx.t

    def draw(axes):
        charts.fan_chart(r, "arr", ax=axes[0])
        charts.fan_chart(r, "customers", ax=axes[1])

    caption = t(
        "Median (line) and the range of 8 futures in 10 (shaded, P10–P90) over {paths} simulated "
        "futures.",
        paths=fm.count(r.paths, ctx.lang),
    )
    fig = _fig(ctx, draw, t("ARR and customers by month"), caption, ncols=2, size=(10, 2.7))
    return _section(t("ARR and customers"), fig)


def movements(ctx: ReportContext) -> Html:
    """The MRR waterfall: new, expansion, contraction and churned MRR with bands, net new line."""
    r, t = ctx.result, ctx.t
    zero = [f for f in charts.FLOWS if not np.any(r.get(f)[:, 1:])]
    caption = t(
        "Bars: median MRR added (up) and lost (down) each month; whiskers: P10–P90 of each flow. "
        "Line: median net new MRR with its P10–P90 band."
    )
    if zero:
        names = t(", ").join(_chart_text(METRICS[f].label, t) or METRICS[f].label for f in zero)
        caption += t(" Not in this scenario: {names}.", names=names)
    fig = _fig(
        ctx,
        lambda ax: charts.mrr_waterfall(r, ax=ax),
        t("MRR movements each month"),
        caption,
        size=(10, 2.8),
    )
    return _section(t("MRR movements"), fig)


def retention(ctx: ReportContext) -> Html:
    """NRR and GRR over time."""
    r, t = ctx.result, ctx.t
    title = t("Revenue retention")
    if r.horizon < 12:
        return _section(
            title,
            _p(
                t(
                    "NRR and GRR need 12 months of history; the horizon is {months}.",
                    months=fm.months(r.horizon, ctx.lang),
                ),
                "note",
            ),
        )
    caption = t(
        "Revenue now of the customers active 12 months earlier, over their revenue then. NRR "
        "counts expansion; GRR counts only churn and contraction. Dotted line: 100%."
    )
    fig = _fig(
        ctx,
        lambda ax: charts.retention_chart(r, ax=ax),
        t("NRR and GRR by month"),
        caption,
        size=(10, 2.5),
    )
    return _section(title, fig)


def cohorts(ctx: ReportContext) -> Html:
    """The cohort layer cake."""
    r, t = ctx.result, ctx.t
    df = r.cohort_mrr()
    tm = r.horizon
    share = df.loc[tm, "start"] / df.loc[tm].sum() if df.loc[tm].sum() else np.nan
    caption = t(
        "Mean MRR by the year customers joined. At month {month}, the starting customers bring "
        "{share} of MRR.",
        month=tm,
        share=fm.percent(share, ctx.lang, 0),
    )
    fig = _fig(
        ctx,
        lambda ax: charts.cohort_layers(r, ax=ax),
        t("MRR by the year customers joined"),
        caption,
        size=(10, 2.7),
    )
    return _section(t("Revenue by cohort"), fig)


def unit_economics(ctx: ReportContext) -> Html:
    """LTV, LTV:CAC, CAC payback and ARR:CRC against the guidelines."""
    r, t = ctx.result, ctx.t
    table = unit_economics_table(r, lang=ctx.lang)
    note = t(
        "LTV = ARPA × gross margin / monthly churn (average of the last 12 months); CAC payback = "
        "CAC / (ARPA × gross margin); CRC = CS people + CS tools a month; ARR:CRC = ARR / "
        "(12 × CRC). Guidelines: LTV:CAC of 3:1 and ARR:CRC of 10:1."
    )
    note += " " + ltv_note.ltv_sentence(r, lang=ctx.lang)
    rows = len(charts.ratio_rows(r))
    fig = _fig(
        ctx,
        lambda ax: charts.unit_economics_chart(r, ax=ax),
        t("Unit economics against the guidelines"),
        t(
            "At month {month}: median (dot), P10–P90 (bar), guideline (red tick).",
            month=r.horizon,
        ),
        size=(10, 1.0 + 0.4 * rows),
    )
    return _section(
        t("Unit economics"),
        _p(note, "note"),
        _table(
            table,
            caption=t("At month {month}: median (P10 – P90)", month=r.horizon),
        ),
        fig,
    )


def strategy(ctx: ReportContext, paths: int = ANALYSIS_PATHS) -> Html:
    """What each lever is worth at equal effort on common random numbers, and where break-even lies.

    The chart and the table list the levers in one order (:meth:`LeverResult.ranked`).
    """
    from ..analysis.levers import marginal_value

    sc, r, t, lang = ctx.scenario, ctx.result, ctx.t, ctx.lang
    lr = ctx.levers
    ranked = _ranked_levers(ctx)
    month = r.horizon
    rows = pd.DataFrame(
        {
            t("Lever"): ranked["words"],
            t("Extra ARR at month {month} (median)", month=month): [
                ctx.money(v) for v in ranked["median"]
            ],
            t("8 futures in 10"): [
                f"{ctx.money(a)} \u2013 {ctx.money(b)}"
                for a, b in zip(ranked.p10, ranked.p90, strict=True)
            ],
        }
    )
    labels = dict(zip(ranked["lever"], ranked["words"], strict=True))
    parts = [
        _p(
            t(
                "Each lever is the same size in its own unit (1 point of monthly churn, 1 point "
                "of monthly expansion, +5% price, +10% new customers) and is applied to every "
                "segment on the same {paths} simulated futures as the base (common random "
                "numbers), so the difference is the lever's doing, not chance.",
                paths=fm.count(lr.paths, lang),
            )
        ),
        _fig(
            ctx,
            lambda ax: lr.plot(
                ax=ax,
                labels=labels,
                money=lambda v: fm.money(v, ctx.currency, lang),
                xlabel=t("Extra ARR at month {month}: median and P10–P90", month=month),
                title=t("Levers at equal effort, best first"),
            ),
            t("Extra ARR by lever"),
            t(
                "Median extra ARR at month {month} with P10–P90 whiskers, in the order of the "
                "table below.",
                month=month,
            ),
            size=(10, 0.8 + 0.36 * len(ranked)),
        ),
        _table(rows, index=False, caption=t("Extra ARR against the base, best first")),
    ]
    cost_rows, caption = at_equal_cost(ctx.levers, lambda n, size: _lever_label(n, size, t), lang)
    if len(cost_rows):
        parts.append(_table(cost_rows, index=False, caption=caption, cls="at-equal-cost"))
    be = ctx.breakeven
    na = "–"
    total = t("Total")
    be_rows = pd.DataFrame(
        {
            t("Segment"): [total if s in (None, TOTAL) else s for s in be["segment"]],
            t("Churn now (a month)"): [_pct(v, lang) for v in be["avg_monthly_churn_now"]],
            t("Churn that keeps the base flat"): [
                _pct(v, lang) if np.isfinite(v) else na for v in be["avg_monthly_churn_breakeven"]
            ],
        }
    )
    if "expansion_now" in be:
        be_rows[t("Expansion now (a month)")] = [
            _pct(v, lang) if np.isfinite(v) else na for v in be["expansion_now"]
        ]
        be_rows[t("Expansion for NRR ≥ 100%")] = [
            _pct(v, lang) if np.isfinite(v) else na for v in be["expansion_breakeven"]
        ]
    parts.append(
        _table(
            be_rows,
            index=False,
            caption=t(
                "Break-even: the monthly churn at which the customer base stays flat, and the "
                "monthly expansion that NRR of 100% needs"
            ),
        )
    )
    if all(s.churn.monthly is not None and s.expansion is not None for s in sc.segments):
        # the churn floor: the same relative effort (10% of today's rate) on churn and expansion
        mv = marginal_value(sc, seed=r.seed)

        def draw(ax):
            mv.plot(ax=ax)
            ax.set_xlabel(t("Monthly churn before the lever (%)"))
            ax.set_ylabel(t("Extra ARR at month {month}", month=month))
            ax.set_title(t("The churn floor: what the same effort buys as churn falls"))
            legend = ax.get_legend()
            for text, name in zip(legend.get_texts(), ("churn_rel", "expansion_rel"), strict=True):
                text.set_text(_lever_label(name, 0.10, t))

        parts.append(
            _fig(
                ctx,
                draw,
                t("The churn floor"),
                t(
                    "Extra ARR at month {month} from cutting churn by 10% or adding 10% to "
                    "expansion, at different levels of monthly churn (expected values): as churn "
                    "falls, the same relative cut in churn buys less, while expansion buys more.",
                    month=month,
                ),
                size=(10, 3.2),
            )
        )
    return _section(t("What each lever is worth"), *parts)


def sensitivity(ctx: ReportContext, paths: int = ANALYSIS_PATHS) -> Html:
    """Which uncertain assumptions move ARR at the horizon: a tornado and rank correlations."""
    from ..analysis.sensitivity import global_sensitivity, tornado

    sc, t, lang = ctx.scenario, ctx.t, ctx.lang
    title = t("Which assumptions matter")
    if not sc.uncertain():
        return _section(
            title,
            _p(
                t(
                    "Every assumption in this scenario is a fixed number, so there is no "
                    "uncertainty to rank; give an assumption a range to see which ones drive ARR."
                )
            ),
        )
    tor = tornado(sc)
    tf = tor.to_frame()

    def value(path: str, x: float) -> str:
        return _bare(x, _PARAMS.get(_split_path(sc, path)[1], ("", "number"))[1], t, sc.currency)

    def draw(ax):
        df = tf.iloc[::-1]
        y = np.arange(len(df))
        ax.barh(
            y, df["at_p10"] - tor.base, left=tor.base, color="#b03a2e", label=t("assumption at P10")
        )
        ax.barh(
            y, df["at_p90"] - tor.base, left=tor.base, color="#2a7f62", label=t("assumption at P90")
        )
        ax.set_yticks(
            y,
            [
                f"{parameter_label(r.input, sc, lang)}\n({value(r.input, r.p10)} – "
                f"{value(r.input, r.p90)})"
                for r in df.itertuples()
            ],
        )
        ax.axvline(tor.base, color="black", lw=0.8)
        ax.xaxis.set_major_formatter(_money_ticks(lang, sc.currency))
        ax.set_xlabel(
            t("ARR at month {month} (the other assumptions at their medians)", month=tor.month)
        )
        ax.legend(loc="lower right", fontsize="small")
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)

    g = global_sensitivity(sc, paths=min(paths, ctx.result.paths), seed=ctx.result.seed)
    gf = g.to_frame()
    table = pd.DataFrame(
        {
            t("Assumption"): [parameter_label(p, sc, lang) for p in gf["input"]],
            t("Rank correlation with ARR"): [
                f"{fm.number(v, lang, 2)} (± {fm.number(2 * s, lang, 2)})"
                for v, s in zip(gf["spearman"], gf["spearman_se"], strict=True)
            ],
        }
    )
    if "first_order" in gf:
        table[t("Share of ARR's variance")] = [
            f"{fm.percent(v, lang, 0)} (± {fm.percent(2 * s, lang, 0)})"
            for v, s in zip(gf["first_order"], gf["first_order_se"], strict=True)
        ]
    return _section(
        title,
        _p(
            t(
                "Tornado: each uncertain assumption at its P10 and P90 with the others at their "
                "medians (expected ARR at the horizon). Table: how closely each assumption moves "
                "with ARR when all of them vary together."
            )
        ),
        _fig(
            ctx,
            draw,
            t("Tornado of ARR at the horizon"),
            t("Spread of ARR at the horizon between each assumption's P10 and P90."),
            size=(10, 1.0 + 0.5 * len(tf)),
        ),
        _table(table, index=False, caption=t("What moves ARR at the horizon")),
    )


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
    from .._version import __version__

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


def _content_only():
    """A preprocessor that keeps only content in the page: no stderr stream, no error output.

    Warnings, log lines and tracebacks a kernel prints belong to the person running the report (and
    carry the machine's paths), never to its readers.
    """
    from nbconvert.preprocessors import Preprocessor

    class ContentOnly(Preprocessor):
        def preprocess_cell(self, cell, resources, index):
            if cell.get("cell_type") == "code":
                cell.outputs = [
                    o
                    for o in cell.outputs
                    if not (o.get("output_type") == "stream" and o.get("name") == "stderr")
                    and o.get("output_type") != "error"
                ]
            return cell, resources

    return ContentOnly


def _export_html(notebook: Path, title: str, lang: str = "en") -> str:
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
        language_code=lang,
    )
    exporter.register_preprocessor(_content_only(), enabled=True)
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
    return embed_cjk_font(body)


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
    lang: str | None = None,
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
    lang : {"en", "ja"}, optional
        The report's language; default the scenario's ``language:``, else English. The page's
        ``<html lang>`` follows it.

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
    check_parameters(paths, seed, target_arr, months, lang)
    scenario_path = Path(scenario_path).resolve()
    scenario = _scenario(scenario_path, months)
    lang = resolve_lang(lang, scenario.language)
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
        "lang": lang,
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
            body = _export_html(tmp, scenario.name, lang)
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
