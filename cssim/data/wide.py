"""Format ``wide`` (C): one row per customer, one column per month (the Excel 売上管理表 / MRR sheet).

The customer is the id column (``顧客ID``), else the name column (``顧客名``); headers that read as months
(``2024年1月``, ``2024-01``, ``Jan-24``, ``R6/1``) are the months, and must neither repeat nor skip a
month (a missing month would read as every customer churning). A blank cell is MRR 0; other columns are
labels. A total column (``合計``, ``Total``) or a total row (a customer named ``合計``, ``総計``,
``Total``) is left out only when it equals the sum it claims to be, and refused otherwise.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..model.errors import Problem
from ..words.i18n import N_
from . import cells
from .columns import Layout
from .converted import Converted
from .currency import resolve
from .faults import shown
from .options import ReadOptions
from .textfile import TextTable

__all__ = ["TOTALS", "convert"]

#: names of a total row or column (NFKC, lower case, without separators)
TOTALS = frozenset(
    {"合計", "総計", "計", "小計", "total", "totals", "grandtotal", "sum", "年間合計"}
)


def _close(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.abs(a - b) <= np.maximum(0.01, 1e-9 * np.abs(b))


def convert(table: TextTable, lay: Layout, opts: ReadOptions) -> Converted:
    """The month table of a wide sheet (see the module docstring)."""
    who = "customer" if "customer" in lay.roles else "customer_name"
    faults, problems = opts.faults, []
    order = sorted(lay.month_columns, key=lambda i: lay.headers[i].month)
    months = np.array([lay.headers[i].month for i in order], dtype=np.int64)
    problems += _month_problems(lay, order, months)
    totals = [
        i
        for i, h in enumerate(lay.headers)
        if h.key in TOTALS and i not in lay.month_columns and i != lay.roles[who]
    ]
    if who == "customer_name":
        opts.assume(N_("customers are told apart by {column}"), column=lay.written(who))
    kept, total_rows, count = [], [], 0
    sums = np.zeros(len(order))
    for chunk in table.chunks():
        count += len(chunk)
        rows = chunk.index.to_numpy()
        names = chunk[lay.roles[who]].str.strip()
        values = np.zeros((len(chunk), len(order)))
        for j, i in enumerate(order):
            texts = chunk[i]
            (v,), codes = cells.parse_column(texts, cells.amount)
            faults.codes(lay.headers[i].text, rows, texts.to_numpy(), codes, allow_empty=True)
            faults.add(lay.headers[i].text, "negative", rows, texts.to_numpy(), v < 0)
            values[:, j] = np.nan_to_num(v)
        is_total = names.map(lambda s: cells.nfkc(s).lower().replace(" ", "") in TOTALS).to_numpy(
            bool
        )
        faults.add(
            lay.written(who), "empty", rows, None, (names == "").to_numpy(bool) & ~is_total, False
        )
        for i in totals:
            (t,), codes = cells.parse_column(chunk[i], cells.amount)
            faults.codes(lay.headers[i].text, rows, chunk[i].to_numpy(), codes, allow_empty=True)
            off = ~_close(np.nan_to_num(t), values.sum(axis=1)) & (codes == 0)
            _total_problem(
                problems, lay.headers[i].text, rows[off], chunk[i].to_numpy()[off], "column"
            )
        total_rows += [
            (r, n, values[k])
            for k, (r, n) in enumerate(zip(rows, names, strict=True))
            if is_total[k]
        ]
        sums += values[~is_total].sum(axis=0)
        if not faults:
            kept.append(
                (rows[~is_total], names.to_numpy(dtype=object)[~is_total], values[~is_total])
            )
        elif faults.full and len(rows):
            faults.stop(rows[-1])
            break
    for r, name, v in total_rows:
        off = ~_close(v, sums)
        if off.any():
            problems.append(
                Problem(
                    lay.written(who),
                    f"row {r} ({name!r}) is a total that does not equal the sum of the rows above it "
                    f"in {', '.join(lay.headers[order[j]].text for j in np.flatnonzero(off)[:6])}: "
                    "a total row is left out only when it equals the sum; delete or correct it",
                )
            )
    opts.exclude("total_row", len(total_rows))
    opts.exclude("total_column", len(totals))
    hints = {str(i): lay.headers[i] for i in order}
    currency, source, more = resolve(pd.DataFrame({"row": []}), lay, opts, hints, column=False)
    problems += more
    if faults or problems or not kept:
        return Converted.failed(count, currency, source, problems)
    rows = np.concatenate([k[0] for k in kept])
    names = np.concatenate([k[1] for k in kept])
    values = np.vstack([k[2] for k in kept])
    dup = pd.Series(names).duplicated(keep=False).to_numpy()
    if dup.any():
        listed = ", ".join(
            f"row {r} ({n!r})" for r, n in zip(rows[dup][:10], names[dup][:10], strict=True)
        )
        problems.append(
            Problem(lay.written(who), f"the same customer is on more than one row: {listed}")
        )
        return Converted.failed(count, currency, source, problems)
    scale = lay.headers[order[0]].scale if order else 1.0
    r, c = np.nonzero(values)
    frame = pd.DataFrame(
        {
            "row": rows[r],
            "customer": names[r],
            "month": months[c],
            "mrr": values[r, c] * scale,
        }
    )
    if frame.empty:
        frame = pd.DataFrame(
            {"row": rows[:1], "customer": names[:1], "month": months[:1], "mrr": [0.0]}
        )
    last = pd.DataFrame(
        {"row": rows[:1], "customer": names[:1], "month": months[-1:], "mrr": [0.0]}
    )
    frame = pd.concat(
        [frame, last], ignore_index=True
    )  # the sheet's last month counts, paid or not
    return Converted(frame, count, currency, source, problems, used=(who,), totals=tuple(totals))


def _month_problems(lay: Layout, order: list[int], months: np.ndarray) -> list[Problem]:
    out = []
    repeated = pd.Series(months).duplicated(keep=False).to_numpy()
    if repeated.any():
        names = ", ".join(shown(lay.headers[order[j]].text) for j in np.flatnonzero(repeated))
        out.append(Problem("", f"the month columns repeat a month: {names}"))
    elif len(months) and months[-1] - months[0] + 1 != len(months):
        have = set(months.tolist())
        gaps = [m for m in range(int(months[0]), int(months[-1]) + 1) if m not in have]
        listed = ", ".join(str(pd.Period(ordinal=m, freq="M")) for m in gaps[:12])
        out.append(
            Problem(
                "",
                f"the month columns skip {listed}: a missing month would read as every customer "
                "paying nothing; add the column",
            )
        )
    return out


def _total_problem(problems: list, header: str, rows, texts, kind: str) -> None:
    if len(rows):
        listed = ", ".join(f"row {r} ({t!r})" for r, t in zip(rows[:10], texts[:10], strict=True))
        problems.append(
            Problem(
                header,
                f"{shown(header)} is a total that does not equal the sum of the month columns in "
                f"{listed}: a total column is left out only when it equals the sum; delete or "
                "correct it",
            )
        )
