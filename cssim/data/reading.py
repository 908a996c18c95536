"""The clean tables calibration reads, and the error that names what is wrong with a billing file.

:func:`read_data` returns a clean table (through :func:`cssim.data.intake.read_billing`, which reads every
accepted format); bad data raise :class:`CalibrationError` naming the file, the column, the rows (as
numbered in the file: the header is row 1) and the cells as written. The cohort table is validated here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..model.errors import Problem, ScenarioError
from ..model.fields import field_range
from ..model.segment import Segment
from . import cells
from .faults import MAX_ROWS, Faults

__all__ = ["CalibrationError", "parse_month"]

MRR_COLUMNS = ("customer", "month", "mrr")
COHORT_COLUMNS = ("cohort", "period", "active")


class CalibrationError(ScenarioError):
    """Data that cannot be calibrated from: names the file and the offending rows (header = row 1).

    A :class:`cssim.ScenarioError` (and so a ``ValueError``): the CLI reports it and exits with 2.
    Each problem's message names the column, the rows and their values.
    """

    def _format(self) -> str:
        if len(self.problems) == 1:
            return f"{self.source}: {self.problems[0].message}"
        lines = [f"{self.source}: {len(self.problems)} problems"]
        lines += [f"  {p.message}" for p in self.problems]
        return "\n".join(lines)


def parse_month(text: str) -> pd.Period | None:
    """A month as written (``2024-03``, ``2024/3``, ``2024年3月``, ``令和6年3月``, a date such as
    ``2024-03-15`` or ``R6/3/15``) -> the month; anything else -> None (see :func:`cssim.data.cells.month`)."""
    ordinal, fault = cells.month(str(text))
    return None if fault else pd.Period(ordinal=int(ordinal), freq="M")


#: Longest history read (months): a century of billing; a longer span is a mistyped year.
MAX_SPAN_MONTHS = 1200


def _span_problem(rows: np.ndarray, months: np.ndarray, column: str) -> Problem | None:
    """A problem when the months (``pd.Period``) in ``column`` span more than :data:`MAX_SPAN_MONTHS`."""
    ordinals = np.array([m.ordinal for m in months], dtype=np.int64)
    lo, hi = int(ordinals.argmin()), int(ordinals.argmax())
    span = int(ordinals[hi] - ordinals[lo]) + 1
    if span <= MAX_SPAN_MONTHS:
        return None
    return Problem(
        column,
        f"the months span {span:,} months, from {months[lo]} (row {int(rows[lo])}) to {months[hi]} "
        f"(row {int(rows[hi])}); calibration reads at most {MAX_SPAN_MONTHS:,} months "
        f"({MAX_SPAN_MONTHS // 12} years): check the {column} column for a mistyped year",
    )


def _rows(items: list[tuple[int, object]], show_value: bool = True) -> str:
    shown = [
        f"row {int(r)} ({str(v)!r})" if show_value else f"row {int(r)}" for r, v in items[:MAX_ROWS]
    ]
    more = len(items) - MAX_ROWS
    return ", ".join(shown) + (
        f" and {more} more row{'s' if more != 1 else ''}" if more > 0 else ""
    )


def _numbers(
    raw: pd.DataFrame,
    column: str,
    problems: list[Problem],
    *,
    integer: bool = False,
    what: str = "",
) -> pd.Series:
    """The numbers of ``column`` (a comma only as a thousands separator), problems named by rows."""
    faults = Faults()
    what = what or column
    (v,), codes = cells.parse_column(raw[column].astype(str), cells.amount)
    rows, original = raw["row"].to_numpy(), raw[column].to_numpy()
    faults.codes(what, rows, original, codes)
    faults.add(what, "negative", rows, original, v < 0)
    if integer:
        faults.add(what, "whole", rows, original, (v >= 0) & (v != np.round(v)))
    for p in faults.problems():
        problems.append(Problem(column, p.message))
    return pd.Series(v, index=raw.index)


#: the most customers a cohort may count: a segment's ``customers`` field's upper bound
MAX_COHORT = int(field_range(Segment, "customers").high)


def _validate_cohorts(
    raw: pd.DataFrame, source: str, names: dict[str, str] | None = None
) -> pd.DataFrame:
    """The cohort table, checked (``names``: the period and active columns as written)."""
    names = names or {}
    problems: list[Problem] = []
    if raw.empty:
        raise CalibrationError(source, [Problem("", "the table has no rows")])
    cohort = raw["cohort"].astype(str).str.strip()
    blank = [(r, v) for r, v in zip(raw["row"], cohort, strict=False) if v == ""]
    if blank:
        problems.append(Problem("cohort", f"cohort is empty in {_rows(blank, False)}"))
    period = _numbers(raw, "period", problems, integer=True, what=names.get("period", ""))
    active = _numbers(raw, "active", problems, integer=True, what=names.get("active", ""))
    huge = (active > MAX_COHORT).to_numpy()  # a scenario holds at most this many customers
    if huge.any():
        items = list(zip(raw["row"].to_numpy()[huge], raw["active"].to_numpy()[huge], strict=False))
        what = names.get("active") or "active"
        problems.append(
            Problem(
                "active",
                f"{what} is more than {MAX_COHORT:,} customers in {_rows(items)}",
            )
        )
        active = active.where(~huge, 0)
    long = (period > MAX_SPAN_MONTHS).to_numpy()
    if long.any():
        items = list(zip(raw["row"].to_numpy()[long], raw["period"].to_numpy()[long], strict=False))
        problems.append(
            Problem("period", f"period is more than {MAX_SPAN_MONTHS:,} months in {_rows(items)}")
        )
    starts = [(r, parse_month(c)) for r, c in zip(raw["row"], cohort, strict=False)]
    starts = [(r, m) for r, m in starts if m is not None]
    if starts:
        span = _span_problem(
            np.array([r for r, _ in starts]),
            np.array([m for _, m in starts], dtype=object),
            "cohort",
        )
        if span is not None:
            problems.append(span)
    if problems:
        raise CalibrationError(source, problems)
    clean = pd.DataFrame(
        {
            "row": raw["row"].to_numpy(np.int64),
            "cohort": cohort.to_numpy(),
            "period": period.astype(int).to_numpy(),
            "active": active.to_numpy(),
        }
    )
    dup = clean[clean.duplicated(["cohort", "period"], keep=False)]
    if len(dup):
        groups = [
            f"rows {' and '.join(str(r) for r in g['row'])} ({c!r}, period {p})"
            for (c, p), g in dup.groupby(["cohort", "period"], sort=False)
        ]
        problems.append(
            Problem(
                "",
                "the same cohort and period appear more than once: " + "; ".join(groups[:MAX_ROWS]),
            )
        )
    for name, g in clean.groupby("cohort", sort=False):
        g = g.sort_values("period")
        if g["period"].iloc[0] != 0:
            problems.append(
                Problem(
                    "period",
                    f"cohort {name!r} has no period 0 (its size) "
                    f"(rows {', '.join(map(str, g['row'].iloc[:MAX_ROWS]))})",
                )
            )
        elif (np.diff(g["period"]) != 1).any():
            problems.append(
                Problem(
                    "period",
                    f"cohort {name!r} skips a period "
                    f"(rows {', '.join(map(str, g['row'].iloc[:MAX_ROWS]))})",
                )
            )
        up = g[np.r_[False, np.diff(g["active"].to_numpy()) > 0]]
        if len(up):
            problems.append(
                Problem(
                    "active",
                    f"active customers of cohort {name!r} rise again (a cohort "
                    f"can only shrink) in {_rows(list(zip(up['row'], up['active'], strict=False)))}",
                )
            )
    if problems:
        raise CalibrationError(source, problems)
    return clean
