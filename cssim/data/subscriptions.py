"""Format ``subscriptions`` (B): subscription or contract periods -> MRR at each month end.

One row per subscription, or per constant-price version of one (Stripe, Chargebee and Recurly
subscription exports, Zuora rate plan charges, ChartMogul's MRR intervals, contract lists with 契約開始日
and 契約終了日). Each row's monthly amount is its ``mrr`` column when there is one, else its price
(``unit price x quantity``, or ``amount``) divided by the months of its billing interval (``year`` ->
/12, ``3ヶ月`` -> /3, ``week`` -> x52/12); it counts at every month end from its start to its end
(:mod:`cssim.data.periods`), up to the last month complete by the as-of date.

- **Statuses**: active, past_due and non_renewing count; canceled, unpaid and expired count until their
  end; trials, incomplete, paused and future subscriptions are left out and counted in the provenance,
  as are free ones (amount 0) and usage-based prices. A trial that ended starts counting at its end.
- **Churn is dated by the end** (``ended_at``, ``expires_at``, ``終了日``), never by ``canceled_at`` (the
  date the cancellation was asked for), which is used, with a warning, only when there is no end
  column. An end date written without a time is the last day of service.
- **A snapshot** (each subscription once, as it is now) cannot show an upgrade or downgrade made in
  place: the provenance warns that expansion and contraction come from replaced subscriptions only.
"""

from __future__ import annotations

import datetime as _dt

import numpy as np
import pandas as pd

from ..words.i18n import N_
from . import cells
from .amounts import before_tax, pick
from .columns import Layout
from .converted import Converted
from .currency import resolve
from .options import Note, ReadOptions
from .periods import complete_to, month_ends, month_of
from .textfile import TextTable
from .typed import read_typed

__all__ = ["STATUSES", "convert"]

ROLES = (
    "customer",
    "subscription",
    "entity",
    "start",
    "created",
    "end",
    "canceled",
    "trial_end",
    "status",
    "mrr",
    "unit_price",
    "amount",
    "gross",
    "tax",
    "quantity",
    "interval",
    "interval_count",
    "currency",
    "usage_type",
)

#: status (NFKC, lower case) -> live, ended, or the reason it is left out
STATUSES = {
    **dict.fromkeys(
        (
            "",
            "active",
            "past_due",
            "non_renewing",
            "有効",
            "契約中",
            "利用中",
            "アクティブ",
            "継続",
        ),
        "live",
    ),
    **dict.fromkeys(
        (
            "canceled",
            "cancelled",
            "unpaid",
            "expired",
            "ended",
            "inactive",
            "解約",
            "解約済",
            "解約済み",
            "終了",
            "契約終了",
            "退会",
        ),
        "ended",
    ),
    **dict.fromkeys(
        ("trialing", "in_trial", "trial", "トライアル", "トライアル中", "無料トライアル", "お試し"),
        "trial",
    ),
    **dict.fromkeys(("incomplete", "incomplete_expired"), "incomplete"),
    **dict.fromkeys(("paused", "一時停止", "休止", "停止中"), "paused"),
    **dict.fromkeys(("future", "scheduled", "予約", "開始前"), "future"),
}


def convert(table: TextTable, lay: Layout, opts: ReadOptions) -> Converted:
    """The month table of a subscriptions file (see the module docstring)."""
    role = pick(lay, ("mrr", "unit_price", "amount", "gross"))
    begin = "start" if "start" in lay.roles else "created"
    required = ("customer", begin, role) + (("currency",) if "currency" in lay.roles else ())
    if role != "mrr" and "interval" in lay.roles:
        required += ("interval",)
    typed, count = read_typed(
        table, lay, ROLES, opts, required=required, nonnegative=(role, "quantity")
    )
    faults = opts.faults
    status = None
    if "status" in lay.roles:
        status = typed["status"].map(lambda s: STATUSES.get(s, "?")).to_numpy(dtype=object)
        unknown = status == "?"
        faults.add(lay.written("status"), "status", typed["row"], typed["status"], unknown)
    amounts = {r: lay.header(r) for r in (role, "tax") if r in lay.roles}
    currency, source, problems = resolve(typed, lay, opts, amounts)
    if faults or problems:
        return Converted.failed(count, currency, source, problems)
    rows = typed["row"].to_numpy()
    price, problems = before_tax(typed, lay, opts, role)
    if role == "unit_price" and "quantity" in lay.roles:
        price = price * np.nan_to_num(typed["quantity"].to_numpy(float), nan=1.0)
    monthly = price / _interval(typed, lay, opts, role)
    start = typed[begin].to_numpy(float)
    if begin == "created":
        opts.assume(N_("{column} is taken as the start"), column=lay.written("created"))
    end = _end(typed, lay, opts, status)
    if "trial_end" in lay.roles:
        start = np.fmax(start, typed["trial_end"].to_numpy(float))
    backwards = ~np.isnan(end) & (end < start)
    end_column = lay.written("end" if "end" in lay.roles else "canceled") if backwards.any() else ""
    faults.add(end_column, "order", rows, None, backwards, show=False)
    data_end, as_of_from = _data_end(typed, lay, status, end)
    as_of = (
        opts.as_of if opts.as_of is not None else (np.floor(data_end / cells.DAY) + 1) * cells.DAY
    )
    last = complete_to(as_of)
    keep = np.ones(len(typed), dtype=bool)
    reason = np.full(len(typed), "", dtype=object)
    if status is not None:
        reason = np.where(np.isin(status, ("live", "ended")), "", status)
    if "trial_end" in lay.roles:
        reason = np.where(
            (reason == "") & (typed["trial_end"].to_numpy(float) >= as_of), "trial", reason
        )
    if "usage_type" in lay.roles:
        metered = (typed["usage_type"] == "metered").to_numpy(bool)
        reason = np.where((reason == "") & metered, "metered", reason)
    reason = np.where((reason == "") & (monthly == 0), "free", reason)
    reason = np.where((reason == "") & (start >= as_of), "after_as_of", reason)
    for why in pd.unique(reason[reason != ""]):
        mine = reason == why
        opts.exclude(
            why, int(mine.sum()), float(np.nansum(monthly[mine])) if why != "free" else 0.0
        )
    keep &= reason == ""
    if faults or problems:
        return Converted.failed(count, currency, source, problems)
    _snapshot_warning(typed, lay, opts)
    _left_out(opts, data_end, last)
    frame = month_ends(
        typed["customer"].to_numpy(dtype=object)[keep],
        start[keep],
        end[keep],
        monthly[keep],
        rows[keep],
        last,
    )
    used = ("customer", "subscription", "entity", begin, "status", role, "interval")
    used += ("quantity",) if role == "unit_price" else ()
    used += ("interval_count", "currency", "trial_end", "usage_type")
    used += ("end",) if "end" in lay.roles else ("canceled",)
    used += ("tax",) if "tax" in lay.roles and role != "mrr" else ()
    return Converted(
        frame,
        count,
        currency,
        source,
        problems,
        complete_to=last,
        data_end=_iso(data_end),
        as_of_from=as_of_from,
        used=used,
    )


def _interval(typed: pd.DataFrame, lay: Layout, opts: ReadOptions, role: str) -> np.ndarray:
    """Months per billing period of each row (1 for an mrr column)."""
    n = len(typed)
    if role == "mrr":
        return np.ones(n)
    if "interval" in lay.roles:
        months = typed["interval"].to_numpy(float)
        if "interval_count" in lay.roles:
            months = months * np.nan_to_num(typed["interval_count"].to_numpy(float), nan=1.0)
        bad = ~(months > 0)
        opts.faults.add(lay.written("interval"), "interval", typed["row"], None, bad, show=False)
        return np.where(bad, 1.0, months)
    if opts.interval is not None:
        opts.assume(N_("every price is billed every {months} months"), months=f"{opts.interval:g}")
        return np.full(n, opts.interval)
    opts.warn(
        N_(
            "no interval column: {column} is taken as a monthly price (an annual price would read 12 "
            "times too high; pass interval to say otherwise)"
        ),
        column=lay.written(role),
    )
    return np.ones(n)


def _end(typed: pd.DataFrame, lay: Layout, opts: ReadOptions, status) -> np.ndarray:
    """The exclusive end of each row (NaN: still running); a date without a time is inclusive."""
    role = "end" if "end" in lay.roles else "canceled" if "canceled" in lay.roles else None
    if role is None:
        end = np.full(len(typed), np.nan)
    else:
        end = typed[role].to_numpy(float)
        day_only = ~typed[f"{role}_time"].to_numpy(bool) & ~np.isnan(end)
        if day_only.any():
            end = np.where(day_only, end + cells.DAY, end)
            opts.assume(
                N_("an end date written without a time ({column}) is the last day of service"),
                column=lay.written(role),
            )
        if role == "canceled":
            opts.warn(
                N_(
                    "no end column: {column} is taken as the end, so a cancellation that takes effect at "
                    "the end of a paid period counts as churn too early"
                ),
                column=lay.written("canceled"),
            )
    if status is not None:
        ended = (status == "ended") & np.isnan(end)
        header = lay.written(role) if role else lay.written("status")
        opts.faults.add(header, "ended", typed["row"], None, ended, show=False)
    return end


def _data_end(typed: pd.DataFrame, lay: Layout, status, end: np.ndarray) -> tuple[float, str]:
    """The latest date the file holds (seconds): starts, cancellations, and the ends that happened."""
    dates = [typed[r].to_numpy(float) for r in ("start", "created", "canceled") if r in lay.roles]
    if status is not None:
        dates.append(np.where(status == "ended", end - 1, np.nan))
    else:
        now = (_dt.datetime.now(_dt.UTC).date() - _dt.date(1970, 1, 1)).days * cells.DAY
        dates.append(np.where(end <= now, end - 1, np.nan))
    stacked = np.concatenate(dates) if dates else np.array([np.nan])
    return float(np.nanmax(stacked)) if np.isfinite(stacked).any() else 0.0, "data"


def _snapshot_warning(typed: pd.DataFrame, lay: Layout, opts: ReadOptions) -> None:
    key = next((r for r in ("subscription", "entity") if r in lay.roles), "customer")
    if len(typed) and not typed[key].duplicated().any():
        opts.warn(
            N_(
                "this file has one row per subscription as it is now: an upgrade or downgrade made in "
                "place cannot be seen, so expansion and contraction are measured from replaced "
                "subscriptions only (an invoice-lines export keeps them)"
            )
        )


def _left_out(opts: ReadOptions, data_end: float, last: int) -> None:
    month = int(month_of(np.array([data_end]))[0])
    if opts.as_of is None and month > last:
        opts.left_out.append(
            Note.of(
                N_(
                    "{month} is left out: the data end on {date}, before the month ended (give "
                    "--as-of, as_of in Python, to change)."
                ),
                month=str(pd.Period(ordinal=month, freq="M")),
                date=_iso(data_end),
            )
        )
    elif opts.as_of is not None and int(month_of(np.array([opts.as_of - 1]))[0]) > last:
        opts.left_out.append(
            Note.of(
                N_("{month} is left out: as_of {date} is before the month ended."),
                month=str(pd.Period(ordinal=last + 1, freq="M")),
                date=opts.as_of_text,
            )
        )


def _iso(seconds: float) -> str:
    return (
        _dt.date(1970, 1, 1) + _dt.timedelta(days=int(np.floor(seconds / cells.DAY)))
    ).isoformat()
