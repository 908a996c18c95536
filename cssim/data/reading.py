"""Reading and validating a billing export: a per-customer MRR table or a cohort table.

:func:`read_data` returns a clean table; bad data raise :class:`CalibrationError` naming the file and the
rows (as numbered in the file: the header is row 1).
"""

from __future__ import annotations

import datetime as _dt
import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..model.errors import Problem, ScenarioError

__all__ = ["CalibrationError", "parse_month", "read_data"]

MRR_COLUMNS = ("customer", "month", "mrr")
COHORT_COLUMNS = ("cohort", "period", "active")
#: at most this many offending rows are listed per problem
MAX_ROWS = 10


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


_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ].*)?$")


def parse_month(text: str) -> pd.Period | None:
    """``2024-03`` or a date such as ``2024-03-15`` -> the month; anything else -> None."""
    s = str(text).strip().replace("/", "-")
    m = _MONTH.match(s)
    if m:
        y, mo = int(m.group(1)), int(m.group(2))
        return pd.Period(year=y, month=mo, freq="M") if 1 <= mo <= 12 else None
    m = _DATE.match(s)
    if m:
        try:
            d = _dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            return None
        return pd.Period(year=d.year, month=d.month, freq="M")
    return None


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


def read_data(data, source: str | None = None) -> tuple[pd.DataFrame, str, str]:
    """Read and validate a CSV file (or a DataFrame) of either kind.

    Returns
    -------
    frame, kind, source
        The clean table (``row`` = the row number in the file, header = 1), ``"mrr"`` or ``"cohort"``, and
        the name used in messages.
    """
    if isinstance(data, pd.DataFrame):
        source = source or "<DataFrame>"
        raw = data.copy()
        raw.columns = [str(c) for c in raw.columns]
        raw = raw.astype(object).where(raw.notna(), "").astype(str)
        raw.index = np.arange(len(raw))
    else:
        path = Path(data)
        source = source or str(path)
        try:
            raw = pd.read_csv(
                path, dtype=str, keep_default_na=False, skip_blank_lines=False, encoding="utf-8-sig"
            )
        except FileNotFoundError:
            raise CalibrationError(source, [Problem("", "no such file")]) from None
        except IsADirectoryError:
            raise CalibrationError(
                source, [Problem("", "this is a folder, not a CSV file")]
            ) from None
        except pd.errors.EmptyDataError:
            raise CalibrationError(source, [Problem("", "the file is empty")]) from None
        except UnicodeDecodeError as e:
            raise CalibrationError(
                source, [Problem("", f"the file is not UTF-8 text ({e.reason})")]
            ) from None
        except pd.errors.ParserError as e:
            raise CalibrationError(
                source, [Problem("", f"this is not a readable CSV table: {e}")]
            ) from None
        except OSError as e:
            raise CalibrationError(
                source, [Problem("", f"cannot read the file: {e.strerror}")]
            ) from None
    raw.columns = [str(c).strip().lower() for c in raw.columns]
    raw["row"] = np.arange(len(raw)) + 2
    empty = raw.drop(columns="row").apply(lambda col: col.astype(str).str.strip() == "").all(axis=1)
    raw = raw[~empty]
    cols = set(raw.columns)
    if set(MRR_COLUMNS) <= cols:
        return _validate_mrr(raw, source), "mrr", source
    if set(COHORT_COLUMNS) <= cols:
        return _validate_cohorts(raw, source), "cohort", source
    found = ", ".join(c for c in raw.columns if c != "row") or "none"
    mrr_missing = [c for c in MRR_COLUMNS if c not in cols]
    coh_missing = [c for c in COHORT_COLUMNS if c not in cols]
    missing = mrr_missing if len(mrr_missing) <= len(coh_missing) else coh_missing
    raise CalibrationError(
        source,
        [
            Problem(
                "",
                f"missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)}: an MRR table has "
                f"columns customer, month, mrr and a cohort table has cohort, period, active "
                f"(columns found: {found})",
            )
        ],
    )


def _numbers(
    raw: pd.DataFrame,
    column: str,
    problems: list[Problem],
    *,
    integer: bool = False,
    what: str = "",
) -> pd.Series:
    text = raw[column].astype(str).str.strip().str.replace(",", "", regex=False)
    values = pd.to_numeric(text, errors="coerce").astype(float)
    rows, original = raw["row"].to_numpy(), raw[column].to_numpy()
    v = values.to_numpy()
    empty = (text == "").to_numpy()
    finite = np.isfinite(v)

    def pick(mask):
        return list(zip(rows[mask], original[mask], strict=False))

    what = what or column
    if empty.any():
        problems.append(Problem(column, f"{what} is empty in {_rows(pick(empty), False)}"))
    if (~empty & ~finite).any():
        problems.append(
            Problem(column, f"{what} is not a number in {_rows(pick(~empty & ~finite))}")
        )
    if (finite & (v < 0)).any():
        problems.append(Problem(column, f"{what} is negative in {_rows(pick(finite & (v < 0)))}"))
    if integer:
        frac = finite & (v >= 0) & (v != np.round(v))
        if frac.any():
            problems.append(
                Problem(column, f"{what} must be a whole number in {_rows(pick(frac))}")
            )
    return values


def _validate_mrr(raw: pd.DataFrame, source: str) -> pd.DataFrame:
    problems: list[Problem] = []
    if raw.empty:
        raise CalibrationError(source, [Problem("", "the table has no rows")])
    customer = raw["customer"].astype(str).str.strip()
    isblank = (customer == "").to_numpy()
    blank = list(zip(raw["row"].to_numpy()[isblank], customer.to_numpy()[isblank], strict=False))
    if blank:
        problems.append(Problem("customer", f"customer is empty in {_rows(blank, False)}"))
    lookup = {u: parse_month(u) for u in pd.unique(raw["month"])}
    months = raw["month"].map(lookup)
    isbad = months.isna().to_numpy()
    bad = list(zip(raw["row"].to_numpy()[isbad], raw["month"].to_numpy()[isbad], strict=False))
    if bad:
        problems.append(
            Problem(
                "month",
                "month is not a month (write YYYY-MM, such as 2024-03, or a date "
                f"such as 2024-03-01) in {_rows(bad)}",
            )
        )
    if not isbad.all():
        span = _span_problem(raw["row"].to_numpy()[~isbad], months.to_numpy()[~isbad], "month")
        if span is not None:
            problems.append(span)
    mrr = _numbers(raw, "mrr", problems, what="MRR")
    clean = pd.DataFrame(
        {
            "row": raw["row"].to_numpy(),
            "customer": customer.to_numpy(),
            "month": months.to_numpy(),
            "mrr": mrr.to_numpy(),
        }
    )
    ok = clean["month"].notna() & (clean["customer"] != "")
    dup = clean[ok & clean.duplicated(["customer", "month"], keep=False)]
    if len(dup):
        groups = [
            f"rows {' and '.join(str(r) for r in g['row'])} ({c!r}, {m})"
            for (c, m), g in dup.groupby(["customer", "month"], sort=False)
        ]
        more = len(groups) - MAX_ROWS
        problems.append(
            Problem(
                "",
                "the same customer and month appear more than once: "
                + "; ".join(groups[:MAX_ROWS])
                + (f" and {more} more" if more > 0 else ""),
            )
        )
    if problems:
        raise CalibrationError(source, problems)
    return clean


def _validate_cohorts(raw: pd.DataFrame, source: str) -> pd.DataFrame:
    problems: list[Problem] = []
    if raw.empty:
        raise CalibrationError(source, [Problem("", "the table has no rows")])
    cohort = raw["cohort"].astype(str).str.strip()
    blank = [(r, v) for r, v in zip(raw["row"], cohort, strict=False) if v == ""]
    if blank:
        problems.append(Problem("cohort", f"cohort is empty in {_rows(blank, False)}"))
    period = _numbers(raw, "period", problems, integer=True)
    active = _numbers(raw, "active", problems, integer=True)
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
            "row": raw["row"].to_numpy(),
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
