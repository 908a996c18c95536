"""The explorer's KPIs at the horizon, and the one table people read them in.

:func:`at_horizon` computes the figures of a run; :func:`kpi_frame` sets the edited scenario's beside the
file's (the explorer's ``kpis``); :func:`kpi_rows` writes that table once, in the reader's language, every
number formatted by kind through :func:`cssim.words.formatting.format_value`; the widget shows those rows
as HTML (:func:`cssim.words.tables.html_table`) and ``Explorer.kpi_view()`` as a frame.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..model.result import SimulationResult
from ..words import formatting as fm
from ..words.i18n import N_, Translator
from ._text import formatted

__all__ = ["KPIS", "at_horizon", "kpi_frame", "kpi_rows"]

#: KPI (its English name, a message) -> kind of value (``ratio``: ``3.2:1``)
KPIS: dict[str, str] = {
    N_("ARR, median"): "money",
    N_("ARR, P10"): "money",
    N_("ARR, P90"): "money",
    N_("P(ARR grows)"): "percent",
    N_("Customers, median"): "count",
    N_("NRR 12m, median"): "percent",
    N_("GRR 12m, median"): "percent",
    N_("LTV:CAC, median"): "ratio",
    N_("ARR:CRC, median"): "ratio",
    N_("ARR at risk, median"): "money",  # only where a segment has usage states
}


def at_horizon(r: SimulationResult) -> dict[str, float]:
    """The KPIs of a run at its horizon ``H``: ARR's P10, median and P90, the share of paths whose ARR
    grows (``ARR_H > ARR_0``), and the medians over paths of customers, NRR and GRR over the last 12
    months (NaN before month 12), LTV:CAC and ARR:CRC (paths where they are undefined left out), and
    where a segment has usage states the median ARR of the at-risk and dormant accounts."""
    t = r.horizon
    arr = r["arr"]
    a = arr[:, t]
    p10, p50, p90 = np.quantile(a, (0.1, 0.5, 0.9))
    with np.errstate(all="ignore"):

        def med(metric):
            col = r[metric][:, t]
            col = col[np.isfinite(col)]
            return float(np.median(col)) if col.size else math.nan

        out = {
            "ARR, median": p50,
            "ARR, P10": p10,
            "ARR, P90": p90,
            "P(ARR grows)": float(np.mean(a > arr[:, 0])),
            "Customers, median": float(np.median(r["customers"][:, t])),
            "NRR 12m, median": med("nrr") if t >= 12 else math.nan,
            "GRR 12m, median": med("grr") if t >= 12 else math.nan,
            "LTV:CAC, median": med("ltv_cac"),
            "ARR:CRC, median": med("arr_crc"),
        }
        if r.states():  # usage states: the ARR of the at-risk and dormant accounts
            out["ARR at risk, median"] = med("arr_at_risk")
        return out


def kpi_frame(now: dict[str, float], then: dict[str, float]) -> pd.DataFrame:
    """The KPIs as data: columns ``kpi, file, now, change`` (``change = now - file``)."""
    keys = [k for k in KPIS if k in now]
    frame = pd.DataFrame(
        {"kpi": keys, "file": [then[k] for k in keys], "now": [now[k] for k in keys]}
    )
    frame["change"] = frame["now"] - frame["file"]
    return frame


def _value(kpi: str, x: float, lang: str, currency: str) -> str:
    kind = KPIS[kpi]
    if kind == "ratio":  # no kind of format_value writes "3.2:1"
        return f"{fm.number(x, lang, 1)}:1" if np.isfinite(x) else "–"
    return formatted(x, kind, lang, currency, digits=1 if kind == "percent" else None)


def _change(kpi: str, now: float, then: float, lang: str) -> str:
    """A rate's change in points (``+0.5 pt``); any other KPI's relative to the file's (``-3.1%``)."""
    if not (np.isfinite(now) and np.isfinite(then)):
        return ""
    if KPIS[kpi] == "percent":
        return fm.points(now - then, lang)
    return fm.percent((now - then) / abs(then), lang, sign=True) if then else ""


def kpi_rows(
    now: dict[str, float], then: dict[str, float], horizon: int, lang: str, currency: str
) -> tuple[list[str], list[tuple[str, str, str, str]]]:
    """The KPI table as people read it: its header and one row per KPI (name, file, now, change).

    Names in ``lang``; money as ``3.52億円`` / ``¥352M``, rates in percent, changes of rates in points
    and of the others in percent of the file's value.
    """
    _ = Translator(lang)
    columns = [_("At month {month}", month=horizon), _("File"), _("Now"), _("Change")]
    rows = [
        (
            _(k),
            _value(k, then[k], _.lang, currency),
            _value(k, now[k], _.lang, currency),
            _change(k, now[k], then[k], _.lang),
        )
        for k in KPIS
        if k in now
    ]
    return columns, rows
