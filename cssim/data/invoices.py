"""Format ``invoices`` (D): invoice lines -> MRR at each month end (ChartMogul's method).

One row per invoice line (Stripe invoice line items, ChartMogul invoices with their line items in one
file, Japanese invoice lists with 請求日, 請求先コード, 金額(税抜) and 請求周期). Only recurring lines
count: one-time lines (``one_time``, ``invoiceitem``, 単発), usage lines, tax lines and lines of void,
draft or uncollectible invoices are left out and counted in the provenance with their amounts.

A line's monthly amount is ``amount before tax / months of its period x prorate factor``:

- the period is its service period (``service_period_start`` .. ``service_period_end``) or, without one,
  the invoice date plus its billing interval (``請求周期``: 月, 年, 3ヶ月; or ``interval=``). A file with
  neither is refused: summing invoices by month would show an annual customer paying once a year ("cash
  MRR"), churning and coming back;
- the months of the period are its interval's, else its length in whole months (28-31 days is 1, about
  91 is 3, 365 is 12); a period of another length is refused unless the line is marked ``prorated``;
- a prorated line covering part of a period counts as ``amount x full period / its period`` (so 32.76
  for 19 of 29 days is 50 a month), as ChartMogul computes it.

Credit lines (negative amounts) offset the lines of their period; a customer whose month-end MRR is
negative after credits is refused, naming the rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..model.errors import Problem
from ..words.i18n import N_
from . import cells
from .amounts import before_tax, pick
from .columns import Layout
from .converted import Converted
from .currency import resolve
from .options import ReadOptions
from .periods import complete_to, month_ends, shift_months
from .subscriptions import _iso, _left_out
from .textfile import TextTable
from .typed import read_typed

__all__ = ["LINE_TYPES", "convert"]

ROLES = (
    "customer",
    "invoice",
    "subscription",
    "entity",
    "date",
    "start",
    "end",
    "amount",
    "gross",
    "unit_price",
    "tax",
    "quantity",
    "interval",
    "interval_count",
    "line_type",
    "status",
    "currency",
    "prorated",
    "usage_type",
)

#: line type (NFKC, lower case) -> recurring, one_time, usage or tax_line
LINE_TYPES = {
    **dict.fromkeys(
        (
            "",
            "subscription",
            "recurring",
            "plan",
            "定期",
            "継続",
            "月額",
            "定額",
            "credit",
            "discount",
            "adjustment",
            "値引",
            "割引",
        ),
        "recurring",
    ),
    **dict.fromkeys(
        (
            "one_time",
            "onetime",
            "one-time",
            "invoiceitem",
            "invoice_item",
            "単発",
            "一時",
            "初期費用",
            "スポット",
            "setup",
            "setup_fee",
        ),
        "one_time",
    ),
    **dict.fromkeys(("usage", "metered", "従量", "従量課金"), "usage"),
    **dict.fromkeys(("tax", "消費税", "税"), "tax_line"),
}
_INVOICE_STATUSES = {
    **dict.fromkeys(
        (
            "",
            "paid",
            "open",
            "posted",
            "finalized",
            "支払済",
            "支払済み",
            "入金済",
            "入金済み",
            "請求済",
            "未払",
            "未入金",
            "発行済",
        ),
        "",
    ),
    **dict.fromkeys(
        (
            "void",
            "voided",
            "draft",
            "uncollectible",
            "deleted",
            "取消",
            "取消済",
            "無効",
            "下書き",
            "削除",
        ),
        "void",
    ),
}
_TRUE = {"true", "1", "yes", "y", "t", "はい", "〇", "○", "済", "あり", "有"}
_FALSE = {"", "false", "0", "no", "n", "f", "いいえ", "なし", "無"}
_MONTH_DAYS = 30.4375


def convert(table: TextTable, lay: Layout, opts: ReadOptions) -> Converted:
    """The month table of an invoice-lines file (see the module docstring)."""
    role = pick(lay, ("amount", "gross", "unit_price"))
    required = ("customer", role) + (("currency",) if "currency" in lay.roles else ())
    typed, count = read_typed(table, lay, ROLES, opts, required=required)
    faults = opts.faults
    rows = typed["row"].to_numpy()
    kind = _classify(typed, lay, opts)
    amounts = {r: lay.header(r) for r in (role, "tax") if r in lay.roles}
    currency, source, problems = resolve(typed, lay, opts, amounts)
    periods = lay.has("start", "end")
    if not periods and "interval" not in lay.roles and opts.interval is None:
        problems.append(
            Problem(
                "",
                "no service period and no billing interval: cssim cannot tell a monthly invoice from "
                "an annual one; add the service period (start and end columns) or an interval column "
                "such as 請求周期, or pass interval='month'",
            )
        )
    if faults or problems:
        return Converted.failed(count, currency, source, problems)
    net, problems = before_tax(typed, lay, opts, role)
    if role == "unit_price" and "quantity" in lay.roles:
        net = net * np.nan_to_num(typed["quantity"].to_numpy(float), nan=1.0)
    recurring = kind == "recurring"
    for why in ("one_time", "usage", "tax_line", "void"):
        mine = kind == why
        opts.exclude(why, int(mine.sum()), float(np.nansum(net[mine])))
    first_col = "start" if periods else "date"
    start = typed[first_col].to_numpy(float)
    faults.add(lay.written(first_col), "empty", rows, None, recurring & np.isnan(start), False)
    prorated = _prorated(typed, lay, opts)
    months = _interval(typed, lay, opts)
    if periods:
        end = typed["end"].to_numpy(float)
        faults.add(lay.written("end"), "empty", rows, None, recurring & np.isnan(end), False)
        day_only = ~typed["end_time"].to_numpy(bool)
        days = (end - start) / cells.DAY
        length = np.round(days / _MONTH_DAYS)
        whole = (length >= 1) & (np.abs(days - length * _MONTH_DAYS) <= 4 + 0.1 * length)
        given = ~np.isnan(months)
        fits = np.where(given, np.abs(days - months * _MONTH_DAYS) <= 4 + 0.1 * months, whole)
        faults.add(lay.written("end"), "order", rows, None, recurring & (end < start), False)
        faults.add(
            lay.written("end"),
            "span",
            rows,
            None,
            recurring & ~fits & ~prorated & (end > start),
            False,
        )
        months = np.where(given, months, np.where(whole, length, np.nan))
        months = _prorated_months(typed, lay, opts, months, prorated, days)
        full_start = shift_months(np.nan_to_num(end), -np.nan_to_num(months, nan=1).astype(int))
        factor = np.where(
            prorated & (end > start), (end - full_start) / np.maximum(end - start, 1), 1.0
        )
        end = np.where(day_only & ~np.isnan(end), end + cells.DAY, end)
        if (recurring & day_only).any():
            opts.assume(
                N_("a service period's end date written without a time ({column}) is its last day"),
                column=lay.written("end"),
            )
    else:
        months = np.where(np.isnan(months), opts.interval or np.nan, months)
        faults.add(
            lay.written("interval") if "interval" in lay.roles else "",
            "empty",
            rows,
            None,
            recurring & np.isnan(months) & ("interval" in lay.roles),
            False,
        )
        whole = np.nan_to_num(months, nan=1.0)
        end = shift_months(np.nan_to_num(start), np.ceil(whole).astype(int))
        factor = np.ones(len(typed))
        opts.assume(
            N_("each invoice covers its billing interval from {column}"), column=lay.written("date")
        )
    if faults or problems:
        return Converted.failed(count, currency, source, problems)
    monthly = net / np.where(np.isnan(months) | (months <= 0), 1.0, months) * factor
    dated = np.concatenate([typed[r].to_numpy(float) for r in ("date", "start") if r in lay.roles])
    data_end = float(np.nanmax(dated)) if np.isfinite(dated).any() else 0.0
    as_of = (
        opts.as_of if opts.as_of is not None else (np.floor(data_end / cells.DAY) + 1) * cells.DAY
    )
    last = complete_to(as_of)
    _left_out(opts, data_end, last)
    frame = month_ends(
        typed["customer"].to_numpy(dtype=object)[recurring],
        start[recurring],
        end[recurring],
        monthly[recurring],
        rows[recurring],
        last,
    )
    negative = frame["mrr"].to_numpy() < -1e-9
    if negative.any():
        listed = "; ".join(
            f"row {r} ({c!r}, {pd.Period(ordinal=int(m), freq='M')})"
            for r, c, m in frame.loc[negative, ["row", "customer", "month"]].to_numpy()[:10]
        )
        problems.append(
            Problem("", f"credits make the MRR of a customer negative at a month end: {listed}")
        )
    frame = frame[np.abs(frame["mrr"].to_numpy()) > 1e-9]
    used = ("customer", "invoice", "subscription", "entity", "date", "start", "end", role, "tax")
    used += ("interval", "interval_count", "line_type", "status", "currency")
    used += ("quantity",) if role == "unit_price" else ()
    used += ("prorated", "usage_type")
    return Converted(
        frame,
        count,
        currency,
        source,
        problems,
        complete_to=last,
        data_end=_iso(data_end),
        as_of_from="data",
        used=used,
    )


def _classify(typed: pd.DataFrame, lay: Layout, opts: ReadOptions) -> np.ndarray:
    """recurring, one_time, usage, tax_line or void, per line."""
    n, rows = len(typed), typed["row"].to_numpy()
    kind = np.full(n, "recurring", dtype=object)
    if "line_type" in lay.roles:
        kind = typed["line_type"].map(lambda s: LINE_TYPES.get(s, "?")).to_numpy(dtype=object)
        opts.faults.add(
            lay.written("line_type"), "line_type", rows, typed["line_type"], kind == "?"
        )
    elif "interval" in lay.roles:
        kind = np.where(np.isnan(typed["interval"].to_numpy(float)), "one_time", kind)
    if "usage_type" in lay.roles:
        kind = np.where((typed["usage_type"] == "metered").to_numpy(bool), "usage", kind)
    if "status" in lay.roles:
        status = typed["status"].map(lambda s: _INVOICE_STATUSES.get(s, "?")).to_numpy(dtype=object)
        opts.faults.add(
            lay.written("status"), "invoice_status", rows, typed["status"], status == "?"
        )
        kind = np.where(status == "void", "void", kind)
    return kind


def _interval(typed: pd.DataFrame, lay: Layout, opts: ReadOptions) -> np.ndarray:
    """Months of each line's billing interval (NaN where unknown)."""
    if "interval" not in lay.roles:
        return np.full(len(typed), np.nan if opts.interval is None else opts.interval)
    months = typed["interval"].to_numpy(float)
    if "interval_count" in lay.roles:
        months = months * np.nan_to_num(typed["interval_count"].to_numpy(float), nan=1.0)
    return months


def _prorated(typed: pd.DataFrame, lay: Layout, opts: ReadOptions) -> np.ndarray:
    if "prorated" not in lay.roles:
        return np.zeros(len(typed), dtype=bool)
    values = typed["prorated"].to_numpy(dtype=object)
    bad = np.array([v not in _TRUE and v not in _FALSE for v in values], dtype=bool)
    opts.faults.add(lay.written("prorated"), "boolean", typed["row"], values, bad)
    return np.array([v in _TRUE for v in values], dtype=bool)


def _prorated_months(typed, lay, opts, months, prorated, days) -> np.ndarray:
    """A prorated line without an interval takes its subscription's period, else one month."""
    unknown = prorated & np.isnan(months)
    if not unknown.any():
        return months
    months = months.copy()
    key = next((r for r in ("subscription", "entity") if r in lay.roles), None)
    if key is not None:
        frame = pd.DataFrame({"key": typed[key].to_numpy(dtype=object), "m": months})
        typical = frame[~prorated].groupby("key")["m"].median()
        months[unknown] = frame.loc[unknown, "key"].map(typical).to_numpy(float)
    still = unknown & np.isnan(months)
    if still.any():
        opts.assume(N_("a prorated line without an interval is part of a one-month period"))
        months[still] = np.maximum(1.0, np.ceil(days[still] / _MONTH_DAYS - 0.1))
    return months
