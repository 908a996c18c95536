"""Format ``mrr`` (A): MRR per customer and month, as cssim has always read it, now with aliases.

One row per customer and month (``customer, month, mrr``; ``顧客コード, 年月, 月額`` ...; Chargebee's
``subscription_mrr_monthly_summary``; Stripe's MRR per subscriber per month). A month with no row is MRR
0. Rows of one customer and month that differ by subscription id (a ``subscription`` column) are summed;
the same customer and month twice otherwise (or the same subscription twice) is refused, naming the rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..model.errors import Problem
from ..words.i18n import N_
from .amounts import before_tax, pick
from .columns import Layout
from .converted import Converted
from .currency import resolve
from .faults import MAX_ROWS
from .options import ReadOptions
from .textfile import TextTable
from .typed import read_typed

__all__ = ["convert", "duplicates"]

ROLES = ("customer", "month", "mrr", "amount", "gross", "tax", "subscription", "currency")


def convert(table: TextTable, lay: Layout, opts: ReadOptions) -> Converted:
    """The month table of an MRR file (see the module docstring)."""
    role = pick(lay, ("mrr", "amount", "gross"))
    required = ("customer", "month", role) + (("currency",) if "currency" in lay.roles else ())
    typed, count = read_typed(table, lay, ROLES, opts, required=required, nonnegative=(role,))
    amounts = {r: lay.header(r) for r in (role, "tax") if r in lay.roles}
    currency, source, problems = resolve(typed, lay, opts, amounts)
    if opts.faults or problems:
        return Converted.failed(count, currency, source, problems)
    mrr, problems = before_tax(typed, lay, opts, role)
    frame = pd.DataFrame(
        {
            "row": typed["row"].to_numpy(),
            "customer": typed["customer"].array,
            "month": typed["month"].to_numpy(np.int64),
            "mrr": mrr,
        }
    )
    keys = ["customer", "month"]
    if "subscription" in lay.roles:
        frame["subscription"] = typed["subscription"].array
        problems += duplicates(frame, [*keys, "subscription"], "the same subscription")
        if not problems and frame.duplicated(keys).any():
            opts.assume(
                N_("rows of one customer and month with different {column} are summed"),
                column=lay.written("subscription"),
            )
            frame = (
                frame.groupby(keys, sort=False)
                .agg(row=("row", "first"), mrr=("mrr", "sum"))
                .reset_index()[["row", "customer", "month", "mrr"]]
            )
    else:
        problems += duplicates(frame, keys, "the same customer")
    used = ("customer", "month", role, "subscription", "currency") + (
        ("tax",) if role != "mrr" else ()
    )
    return Converted(
        frame[["row", "customer", "month", "mrr"]], count, currency, source, problems, used=used
    )


def duplicates(frame: pd.DataFrame, keys: list[str], what: str) -> list[Problem]:
    """A problem naming the rows where ``keys`` repeat (``rows 2 and 4 ('A', 2024-01)``)."""
    key = np.zeros(len(frame), dtype=np.int64)
    for k in keys:  # one integer per combination of keys (no copies of the text columns)
        codes, uniques = pd.factorize(frame[k])
        key = key * (len(uniques) + 1) + codes
    repeated = pd.Series(key).duplicated(keep=False).to_numpy()
    if not repeated.any():
        return []
    dup = frame[repeated]
    groups = []
    for key, g in dup.groupby(keys, sort=False):
        month = pd.Period(ordinal=int(key[1]), freq="M")
        groups.append(f"rows {' and '.join(str(r) for r in g['row'])} ({key[0]!r}, {month})")
        if len(groups) > MAX_ROWS:
            break
    total = dup.groupby(keys, sort=False).ngroups
    more = total - min(len(groups), MAX_ROWS)
    return [
        Problem(
            "",
            f"{what} and month appear more than once: "
            + "; ".join(groups[:MAX_ROWS])
            + (f" and {more} more" if more > 0 else ""),
        )
    ]
