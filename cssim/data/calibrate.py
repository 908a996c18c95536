"""Calibrate a scenario from billing data: MRR history, churn fits, movements, acquisition, holdout check.

:func:`calibrate` reads either

- a monthly MRR table per customer (columns ``customer, month, mrr``; month as ``YYYY-MM`` or a date, what
  billing tools export; a customer missing from a month pays nothing that month), or
- a cohort table (columns ``cohort, period, active``: customers of each cohort still active ``period``
  periods after joining).

It computes the history (MRR movements as ChartMogul defines them, logo churn, NRR and GRR over trailing 12
months, a cohort retention table), fits churn (constant and shifted-beta-geometric, chosen by AIC, both
reported), expansion and contraction rates, and acquisition (a monthly count, with or without growth, or a
rate relative to the base, chosen by AIC), and turns the fit into a :class:`~cssim.Scenario` whose uncertain
parameters carry the fits' standard errors. Bad data raise :class:`CalibrationError` naming the file and the
rows (as numbered in the file: the header is row 1).

The CLI calls :func:`cssim.runs.calibration.calibrate_cli`, which also writes the report.
"""

from __future__ import annotations

import datetime as _dt
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import optimize, stats

from ..model.errors import Problem, ScenarioError
from ..model.scenario import Scenario
from .retention import GeometricFit, SBGFit, fit_geometric, fit_sbg, likelihood_ratio

__all__ = [
    "Calibration",
    "CalibrationError",
    "calibrate",
    "read_data",
    "synthetic_mrr",
]

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


# -- reading and validating --------------------------------------------------------------------------------

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


# -- history ---------------------------------------------------------------------------------------------


@dataclass
class _Data:
    """The common view of either kind of input."""

    months: list  # calendar labels, month 0 first
    customers: np.ndarray  # active customers at the end of each month
    new: np.ndarray  # new customers per month (NaN at month 0)
    cohorts: list  # (label, start index, active counts) for the retention fits
    M: np.ndarray | None = None  # MRR matrix customers x months (MRR input only)


def _wide(clean: pd.DataFrame) -> tuple[np.ndarray, list, list]:
    first, last = clean["month"].min(), clean["month"].max()
    months = list(pd.period_range(first, last, freq="M"))
    index = {m: i for i, m in enumerate(months)}
    ids = sorted(clean["customer"].unique())
    row = {c: i for i, c in enumerate(ids)}
    M = np.zeros((len(ids), len(months)))
    M[clean["customer"].map(row).to_numpy(), clean["month"].map(index).to_numpy()] = clean[
        "mrr"
    ].to_numpy()
    return M, months, ids


def movements(M: np.ndarray, months: list) -> pd.DataFrame:
    """Monthly MRR movements (ChartMogul's definitions) and retention KPIs from an MRR matrix.

    For a customer with MRR ``prev`` last month and ``cur`` this month: new (0 -> >0, never active before),
    reactivation (0 -> >0, active before), churn (>0 -> 0, the churned MRR is ``prev``), expansion
    (``cur > prev > 0``) and contraction (``prev > cur > 0``). Month 0 is the opening balance (no
    movements). ``mrr[t] = mrr[t-1] + new + reactivation + expansion - contraction - churned``.

    NRR at month t: MRR now of the customers active at t - 12 over their MRR then. GRR: the same customers'
    MRR at t - 12 times the product of their monthly gross factors ``min(1, cur / prev)`` (churn and
    contraction only, 0 once churned), as the engine computes it.
    """
    T = M.shape[1]
    prev, cur = M[:, :-1], M[:, 1:]
    seen = np.maximum.accumulate(M > 0, axis=1)[:, :-1]  # active at or before t-1
    new = (prev == 0) & (cur > 0) & ~seen
    react = (prev == 0) & (cur > 0) & seen
    churn = (prev > 0) & (cur == 0)
    stay = (prev > 0) & (cur > 0)
    exp = stay & (cur > prev)
    con = stay & (cur < prev)
    nan = np.array([np.nan])

    def col(x):
        return np.concatenate([nan, x])

    out = pd.DataFrame(
        {
            "month": [str(m) for m in months],
            "customers": (M > 0).sum(0),
            "mrr": M.sum(0),
            "new_customers": col(new.sum(0)),
            "reactivated_customers": col(react.sum(0)),
            "churned_customers": col(churn.sum(0)),
            "expanding_customers": col(exp.sum(0)),
            "contracting_customers": col(con.sum(0)),
            "staying_customers": col(stay.sum(0)),
            "new_mrr": col(np.where(new, cur, 0).sum(0)),
            "reactivation_mrr": col(np.where(react, cur, 0).sum(0)),
            "expansion_mrr": col(np.where(exp, cur - prev, 0).sum(0)),
            "contraction_mrr": col(np.where(con, prev - cur, 0).sum(0)),
            "churned_mrr": col(np.where(churn, prev, 0).sum(0)),
            "staying_start_mrr": col(np.where(stay, prev, 0).sum(0)),
        }
    )
    out["net_new_mrr"] = (
        out["new_mrr"]
        + out["reactivation_mrr"]
        + out["expansion_mrr"]
        - out["contraction_mrr"]
        - out["churned_mrr"]
    )
    start = out["customers"].shift(1)
    out["logo_churn"] = out["churned_customers"] / start.where(start > 0)
    churned12 = out["churned_customers"].rolling(12, min_periods=12).sum()
    out["logo_churn_12m"] = churned12 / start.rolling(12, min_periods=12).sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        gross = np.where(prev > 0, np.minimum(cur / np.where(prev > 0, prev, 1), 1.0), 0.0)
    nrr = np.full(T, np.nan)
    grr = np.full(T, np.nan)
    for t in range(12, T):
        base = M[:, t - 12] > 0
        denom = M[base, t - 12].sum()
        if denom > 0:
            nrr[t] = M[base, t].sum() / denom
            grr[t] = (M[base, t - 12] * gross[base, t - 12 : t].prod(axis=1)).sum() / denom
    out["nrr_12m"] = nrr
    out["grr_12m"] = grr
    return out.set_index("month")


def _first_spells(M: np.ndarray) -> list:
    """Cohorts by first active month (the opening base, active in month 0, excluded: tenure unknown).

    Each customer's first spell runs until the first month with no MRR; later reactivations are not part
    of it (the retention models have no return).
    """
    T = M.shape[1]
    active = M > 0
    first = np.where(active.any(1), active.argmax(1), -1)
    out = []
    for s in range(1, T):
        who = np.flatnonzero(first == s)
        if len(who) == 0:
            continue
        run = np.cumprod(active[who, s:], axis=1)  # still active continuously since joining
        out.append((s, run.sum(0).astype(float)))
    return out


def _cohort_table(cohorts: list, months: list) -> pd.DataFrame:
    width = max((len(a) for _, _, a in cohorts), default=1)
    table = pd.DataFrame(np.nan, index=[lab for lab, _, _ in cohorts], columns=range(width))
    for lab, _, a in cohorts:
        table.loc[lab, : len(a) - 1] = a / a[0] if a[0] > 0 else np.nan
    table.index.name = "cohort"
    table.columns.name = "tenure"
    table.insert(0, "size", [a[0] for _, _, a in cohorts])
    return table


def _from_mrr(clean: pd.DataFrame) -> tuple[_Data, pd.DataFrame]:
    M, months, _ = _wide(clean)
    history = movements(M, months)
    cohorts = [(str(months[s]), s, a) for s, a in _first_spells(M)]
    data = _Data(
        months=months,
        customers=history["customers"].to_numpy(float),
        new=history["new_customers"].to_numpy(float),
        cohorts=cohorts,
        M=M,
    )
    return data, history


def _from_cohorts(clean: pd.DataFrame) -> tuple[_Data, pd.DataFrame]:
    labels = list(dict.fromkeys(clean["cohort"]))
    parsed = [parse_month(x) for x in labels]
    if all(p is not None for p in parsed):
        order = sorted(range(len(labels)), key=lambda i: parsed[i])
        first = min(parsed)
        starts = {labels[i]: (parsed[i] - first).n for i in order}
        months = list(
            pd.period_range(
                first,
                max(parsed[i] + int(clean[clean.cohort == labels[i]].period.max()) for i in order),
                freq="M",
            )
        )
        names = [str(m) for m in months]
    else:
        order = list(range(len(labels)))
        starts = {labels[i]: k for k, i in enumerate(order)}
        width = max(starts[c] + int(g.period.max()) for c, g in clean.groupby("cohort"))
        names = [f"period {k}" for k in range(width + 1)]
        months = names
    cohorts = []
    for i in order:
        g = clean[clean.cohort == labels[i]].sort_values("period")
        cohorts.append((labels[i], starts[labels[i]], g["active"].to_numpy(float)))
    T = len(months)
    customers = np.zeros(T)
    new = np.full(T, np.nan)
    new[1:] = 0.0
    churned = np.full(T, np.nan)
    churned[1:] = 0.0
    for _, s, a in cohorts:
        customers[s : s + len(a)] += a
        if s >= 1:
            new[s] += a[0]
        for k in range(1, len(a)):
            churned[s + k] += a[k - 1] - a[k]
    history = pd.DataFrame(
        {"month": names, "customers": customers, "new_customers": new, "churned_customers": churned}
    ).set_index("month")
    start = history["customers"].shift(1)
    history["logo_churn"] = history["churned_customers"] / start.where(start > 0)
    # a cohort table gives every cohort's start, so all cohorts are usable for the retention fits
    return _Data(months=months, customers=customers, new=new, cohorts=cohorts), history


# -- fits ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MovementFit:
    """Monthly expansion or contraction: ``rate`` = moved MRR / MRR of staying customers (mean over months,
    ``rate_se`` its standard error), ``probability`` = share of staying accounts that move (binomial SE)."""

    rate: float
    rate_se: float
    probability: float
    probability_se: float
    months: int


def _movement(history: pd.DataFrame, kind: str) -> MovementFit | None:
    h = history.iloc[1:]
    base = h["staying_start_mrr"].to_numpy(float)
    ok = base > 0
    if ok.sum() < 2:
        return None
    r = h[f"{kind}_mrr"].to_numpy(float)[ok] / base[ok]
    movers = h[f"{'expanding' if kind == 'expansion' else 'contracting'}_customers"].to_numpy(
        float
    )[ok]
    stayers = h["staying_customers"].to_numpy(float)[ok]
    p = movers.sum() / stayers.sum()
    return MovementFit(
        rate=float(r.mean()),
        rate_se=float(r.std(ddof=1) / math.sqrt(len(r))),
        probability=float(p),
        probability_se=float(math.sqrt(p * (1 - p) / stayers.sum())),
        months=int(ok.sum()),
    )


@dataclass(frozen=True)
class AcquisitionFit:
    """New customers per month. ``model`` is ``"count"`` (constant), ``"count_growth"`` or ``"rate"``.

    count: ``count`` per month (``count_se``), for the first month after the data; growth: monthly
    ``growth`` (``growth_se``); rate: the annual rate relative to the base ``rate`` (``rate_se``), with
    ``monthly_rate`` = (1 + rate)^(1/12) - 1. ``aic`` holds every candidate's AIC.
    """

    model: str
    count: float = math.nan
    count_se: float = math.nan
    growth: float = 0.0
    growth_se: float = math.nan
    rate: float = math.nan
    rate_se: float = math.nan
    monthly_rate: float = math.nan
    monthly_rate_se: float = math.nan
    months: int = 0
    aic: dict = field(default_factory=dict)


def _poisson_ll(n: np.ndarray, lam: np.ndarray) -> float:
    return float(stats.poisson.logpmf(n, lam).sum())


def _acquisition(new: np.ndarray, customers: np.ndarray) -> AcquisitionFit | None:
    n = new[1:]
    base = customers[:-1]
    keep = ~np.isnan(n)
    n, base = n[keep], base[keep]
    T = len(n)
    if T < 2:
        return None
    aic = {}
    lam0 = n.mean()
    aic["count"] = 2 - 2 * _poisson_ll(n, np.full(T, max(lam0, 1e-12)))
    x = np.arange(T, dtype=float)
    X = np.column_stack([np.ones(T), x])

    def nll(b):
        eta = X @ b
        return float(np.exp(eta).sum() - n @ eta), X.T @ (np.exp(eta) - n)

    growth = None
    if n.sum() > 0:
        res = optimize.minimize(
            nll, np.array([math.log(max(lam0, 1e-3)), 0.0]), jac=True, method="BFGS"
        )
        b = res.x
        lam = np.exp(X @ b)
        cov = np.linalg.inv(X.T @ (lam[:, None] * X))
        if -0.5 < math.expm1(b[1]) < 1.0 and np.all(
            np.isfinite(cov)
        ):  # the scenario's allowed growth
            aic["count_growth"] = 4 - 2 * _poisson_ll(n, lam)
            growth = (b, cov)
    R = base.sum()
    if R > 0 and n.sum() > 0:
        m = n.sum() / R
        aic["rate"] = 2 - 2 * _poisson_ll(n, m * base)
    best = min(aic, key=aic.get)
    if best == "count":
        return AcquisitionFit(
            "count",
            count=float(lam0),
            count_se=float(math.sqrt(max(lam0, 1e-12) / T)),
            months=T,
            aic=aic,
        )
    if best == "count_growth":
        b, cov = growth
        v = np.array([1.0, T])  # the first month after the data
        eta = float(v @ b)
        return AcquisitionFit(
            "count_growth",
            count=math.exp(eta),
            count_se=math.exp(eta) * math.sqrt(float(v @ cov @ v)),
            growth=math.expm1(b[1]),
            growth_se=math.exp(b[1]) * math.sqrt(cov[1, 1]),
            months=T,
            aic=aic,
        )
    m_se = math.sqrt(m / R)
    g = (1 + m) ** 12 - 1
    return AcquisitionFit(
        "rate",
        rate=g,
        rate_se=12 * (1 + m) ** 11 * m_se,
        monthly_rate=m,
        monthly_rate_se=m_se,
        months=T,
        aic=aic,
    )


@dataclass(frozen=True)
class HoldoutCheck:
    """Fit on months up to ``cutoff``; predict the active customers of those cohorts afterwards.

    ``table`` has per held-out month the actual and predicted active customers (sBG and constant churn);
    ``mape`` the mean absolute percentage error of each.
    """

    cutoff: str
    table: pd.DataFrame
    mape: dict
    sbg: SBGFit | None
    geometric: GeometricFit | None


def _holdout(data: _Data, fraction: float = 2 / 3) -> HoldoutCheck | None:
    T = len(data.months) - 1
    if T < 6:
        return None
    cut = max(2, round(T * fraction))
    train, keep = [], []
    for _, s, a in data.cohorts:
        k = cut - s  # last tenure observed by the cutoff
        if k >= 1 and s + len(a) - 1 > cut:
            train.append(a[: k + 1])
            keep.append((s, a, k))
        elif k >= 1:
            train.append(a[: k + 1])
    if not keep or not train:
        return None
    try:
        sbg = fit_sbg(train)
    except ValueError:
        sbg = None
    geo = fit_geometric(train)
    rows = []
    for t in range(cut + 1, T + 1):
        actual = pred_s = pred_g = 0.0
        for s, a, k in keep:
            j = t - s
            if j >= len(a):
                continue
            actual += a[j]
            pred_g += a[k] * (1 - geo.churn) ** (j - k)
            if sbg is not None:
                pred_s += a[k] * sbg.survival(j) / sbg.survival(k)
        rows.append(
            {
                "month": str(data.months[t]),
                "actual": actual,
                "sbg": pred_s if sbg is not None else np.nan,
                "constant": pred_g,
            }
        )
    table = pd.DataFrame(rows).set_index("month")
    table = table[table["actual"] > 0]
    if table.empty:
        return None
    mape = {
        k: float((table[k] - table["actual"]).abs().div(table["actual"]).mean())
        for k in ("sbg", "constant")
    }
    return HoldoutCheck(
        cutoff=str(data.months[cut]), table=table, mape=mape, sbg=sbg, geometric=geo
    )


# -- the calibration ---------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Calibration:
    """What :func:`calibrate` returns: the history, the fits, the holdout check and the scenario."""

    source: str
    kind: str
    months: tuple
    history: pd.DataFrame = field(repr=False)
    cohort_table: pd.DataFrame = field(repr=False)
    churn: GeometricFit
    churn_cohorts: GeometricFit | None
    sbg: SBGFit | None
    churn_model: str
    lr_test: tuple
    expansion: MovementFit | None
    contraction: MovementFit | None
    acquisition: AcquisitionFit | None
    holdout: HoldoutCheck | None = field(repr=False)
    scenario: Scenario = field(repr=False)
    notes: tuple = ()

    def summary(self) -> pd.DataFrame:
        """Every fitted figure with its standard error and whether the scenario uses it."""
        rows = [
            (
                "monthly churn (all customers)",
                self.churn.churn,
                self.churn.se,
                self.churn_model == "monthly",
            )
        ]
        if self.sbg is not None:
            rows += [
                ("sBG alpha", self.sbg.alpha, self.sbg.alpha_se, self.churn_model == "sbg"),
                ("sBG beta", self.sbg.beta, self.sbg.beta_se, self.churn_model == "sbg"),
            ]
        for name, mv in (("expansion", self.expansion), ("contraction", self.contraction)):
            if mv is not None:
                rows += [
                    (f"{name} rate (monthly)", mv.rate, mv.rate_se, mv.rate > 0),
                    (f"{name} probability", mv.probability, mv.probability_se, mv.rate > 0),
                ]
        a = self.acquisition
        if a is not None:
            if a.model == "rate":
                rows.append(("acquisition rate (annual, vs base)", a.rate, a.rate_se, True))
            else:
                rows.append(("new customers per month", a.count, a.count_se, True))
                if a.model == "count_growth":
                    rows.append(("monthly growth of new customers", a.growth, a.growth_se, True))
        return pd.DataFrame(rows, columns=["parameter", "estimate", "se", "in_scenario"]).set_index(
            "parameter"
        )

    def to_yaml(self) -> str:
        return self.scenario.to_yaml()

    def write_scenario(self, path: str | os.PathLike) -> Path:
        """Write the scenario YAML atomically (a reader never sees half a file)."""
        return _atomic_write(Path(path), self.to_yaml())

    def __repr__(self) -> str:
        return (
            f"<Calibration from {self.source} ({self.kind}, {self.months[0]} to {self.months[-1]}): "
            f"churn model {self.churn_model}, monthly churn {self.churn.churn:.4f} "
            f"(se {self.churn.se:.4f})>"
        )

    def _repr_html_(self) -> str:
        from ..reporting.htmlpage import esc

        s = self.summary()
        rows = "".join(
            f"<tr><th>{esc(k)}</th><td>{r.estimate:.4g}</td><td>{r.se:.2g}</td>"
            f"<td>{'yes' if r.in_scenario else ''}</td></tr>"
            for k, r in s.iterrows()
        )
        return (
            f"<div><strong>Calibration from {esc(self.source)}</strong> ({esc(self.months[0])} to "
            f"{esc(self.months[-1])}, churn model {esc(self.churn_model)})<table><tr><th></th>"
            f"<th>estimate</th><th>se</th><th>in scenario</th></tr>{rows}</table></div>"
        )


def calibrate(
    data,
    *,
    source: str | None = None,
    name: str | None = None,
    horizon_months: int = 36,
    currency: str = "JPY",
    arpa: float | None = None,
    segment: str = "All customers",
    holdout_fraction: float = 2 / 3,
) -> Calibration:
    """Calibrate a one-segment scenario from billing data.

    Parameters
    ----------
    data : path or DataFrame
        An MRR table (customer, month, mrr) or a cohort table (cohort, period, active); see the module.
    source : str, optional
        The name used in messages and in the scenario description (default: the file path).
    name, horizon_months, currency, segment
        Scenario fields.
    arpa : float, optional
        MRR per account; a cohort table has none (default there: 1, to be edited).
    holdout_fraction : float
        Share of the months used to fit in the holdout check.

    Raises
    ------
    CalibrationError
        The data cannot be used; the message names the file and the rows.
    """
    clean, kind, source = read_data(data, source)
    if kind == "mrr":
        d, history = _from_mrr(clean)
    else:
        d, history = _from_cohorts(clean)
    notes: list[str] = []
    if len(d.months) < 3:
        raise CalibrationError(
            source,
            [Problem("", f"only {len(d.months)} month(s) of data: calibration needs at least 3")],
        )
    # churn: constant (all customers) and sBG on the cohorts whose start is observed
    D = float(np.nansum(history["churned_customers"].to_numpy(float)[1:]))
    R = float(d.customers[:-1].sum())
    if R <= 0:
        raise CalibrationError(source, [Problem("", "no customer is active before the last month")])
    churn = fit_geometric(churned=D, at_risk=R)
    cohort_arrays = [a for _, _, a in d.cohorts if len(a) >= 2 and a[0] > 0]
    sbg = churn_c = None
    lr = (math.nan, math.nan)
    if cohort_arrays:
        churn_c = fit_geometric(cohort_arrays)
        try:
            sbg = fit_sbg(cohort_arrays)
            lr = likelihood_ratio(sbg, churn_c)
        except ValueError as e:
            notes.append(f"sBG not fitted: {e}")
    use_sbg = (
        sbg is not None
        and sbg.converged
        and sbg.aic < churn_c.aic
        and lr[1] < 0.01
        and np.isfinite(sbg.alpha_se)
        and np.isfinite(sbg.beta_se)
    )
    churn_model = "sbg" if use_sbg else "monthly"
    expansion = contraction = None
    if d.M is not None:
        expansion = _movement(history, "expansion")
        contraction = _movement(history, "contraction")
    acquisition = _acquisition(d.new, d.customers)
    holdout = _holdout(d, holdout_fraction)
    cohort_table = _cohort_table(d.cohorts, d.months)
    first, last = str(d.months[0]), str(d.months[-1])
    scenario = _scenario(
        d,
        history,
        source,
        first,
        last,
        churn,
        sbg,
        churn_model,
        lr,
        expansion,
        contraction,
        acquisition,
        holdout,
        name=name,
        horizon=horizon_months,
        currency=currency,
        arpa=arpa,
        segment=segment,
        notes=notes,
    )
    return Calibration(
        source=source,
        kind=kind,
        months=tuple(str(m) for m in d.months),
        history=history,
        cohort_table=cohort_table,
        churn=churn,
        churn_cohorts=churn_c,
        sbg=sbg,
        churn_model=churn_model,
        lr_test=lr,
        expansion=expansion,
        contraction=contraction,
        acquisition=acquisition,
        holdout=holdout,
        scenario=scenario,
        notes=tuple(notes),
    )


# -- the scenario ------------------------------------------------------------------------------------------


def _g(x: float) -> str:
    return f"{x:.4g}"


def _rate_dist(mean: float, se: float) -> float | dict:
    """A rate in (0, 1) as beta(mean, sd = SE), or the number when the SE is zero or not usable."""
    if not (0 < mean < 1) or not (se > 0) or se * se >= mean * (1 - mean) * 0.99:
        return float(mean)
    return {"kind": "beta", "mean": float(mean), "sd": float(se)}


def _normal_dist(mean: float, se: float, lo: float, hi: float) -> float | dict:
    """normal(mean, sd = SE) when it keeps 90% of its mass inside the field's range, else the number."""
    if not (se > 0) or stats.norm.cdf(hi, mean, se) - stats.norm.cdf(lo, mean, se) < 0.9:
        return float(min(max(mean, lo), hi))
    return {"kind": "normal", "mean": float(mean), "sd": float(se)}


def _pos_dist(mean: float, se: float) -> float | dict:
    if not (mean > 0) or not (se > 0):
        return float(mean)
    return {"kind": "lognormal", "mean": float(mean), "sd": float(se)}


def _scenario(
    d: _Data,
    history,
    source,
    first,
    last,
    churn,
    sbg,
    churn_model,
    lr,
    expansion,
    contraction,
    acquisition,
    holdout,
    *,
    name,
    horizon,
    currency,
    arpa,
    segment,
    notes,
) -> Scenario:
    customers = round(d.customers[-1])
    seg: dict = {"name": segment, "customers": customers}
    if d.M is not None:
        mrr = float(d.M[:, -1].sum())
        seg["arpa"] = mrr / customers if customers > 0 else float(np.mean(d.M[d.M > 0]))
        firsts = [
            d.M[i, j + 1]
            for i, j in zip(*np.nonzero((d.M[:, 1:] > 0) & (d.M[:, :-1] == 0)), strict=False)
        ]
        if firsts:
            seg["new_arpa"] = float(np.mean(firsts))
    else:
        seg["arpa"] = float(arpa) if arpa else 1.0
        if not arpa:
            notes.append("a cohort table has no MRR: ARPA is set to 1 per customer; edit it")
    if churn_model == "sbg":
        seg["churn"] = {
            "heterogeneity": {
                "alpha": _pos_dist(sbg.alpha, sbg.alpha_se),
                "beta": _pos_dist(sbg.beta, sbg.beta_se),
            }
        }
        if d.M is not None:
            active = d.M[:, -1] > 0
            firstm = np.argmax(d.M > 0, axis=1)
            tenure = (len(d.months) - 1 - firstm)[active]
            if len(tenure):
                lo, hi = int(tenure.min()), int(min(tenure.max(), 600))
                seg["starting_tenure"] = lo if lo == hi else {"min": lo, "max": hi}
    else:
        seg["churn"] = {"monthly": _rate_dist(churn.churn, churn.se)}
    if acquisition is None:
        seg["acquisition"] = {"count": 0.0}
    elif acquisition.model == "rate":
        g, se = acquisition.rate, acquisition.rate_se
        seg["acquisition"] = {"rate": _normal_dist(g, se, -0.99, 100.0)}
    else:
        seg["acquisition"] = {"count": _pos_dist(acquisition.count, acquisition.count_se)}
        if acquisition.model == "count_growth":
            g, se = acquisition.growth, acquisition.growth_se
            seg["acquisition"]["growth"] = _normal_dist(g, se, -0.5, 1.0)
    for key, mv in (("expansion", expansion), ("contraction", contraction)):
        if mv is not None and mv.rate > 0 and mv.probability > 0:
            seg[key] = {
                "rate": _rate_dist(mv.rate, mv.rate_se),
                "probability": _rate_dist(mv.probability, mv.probability_se),
            }
    where = Path(source).name + (f" ({source})" if Path(source).name != source else "")
    figures = [
        f"Calibrated by cssim from {where}, months {first} to {last} "
        f"({len(d.months)} months; {customers} customers active at the end)."
    ]
    figures.append(
        f"Monthly logo churn {_g(churn.churn)} (SE {_g(churn.se)}; {churn.churned} churned of "
        f"{churn.at_risk} customer-months at risk)."
    )
    if sbg is not None:
        figures.append(
            f"Shifted-beta-geometric churn over {len(sbg.observed)} cohorts: alpha {_g(sbg.alpha)} "
            f"(SE {_g(sbg.alpha_se)}), beta {_g(sbg.beta)} (SE {_g(sbg.beta_se)}); likelihood "
            f"ratio vs constant churn {_g(lr[0])} (p {_g(lr[1])})."
        )
    figures.append(
        "Churn model used: "
        + (
            "shifted-beta-geometric (lower AIC, likelihood ratio p < 0.01)."
            if churn_model == "sbg"
            else "constant monthly churn."
        )
    )
    for key, mv in (("Expansion", expansion), ("Contraction", contraction)):
        if mv is not None:
            figures.append(
                f"{key} {_g(mv.rate)} of staying MRR a month (SE {_g(mv.rate_se)}), "
                f"{_g(mv.probability)} of staying accounts moving."
            )
    if acquisition is not None:
        if acquisition.model == "rate":
            figures.append(
                f"Acquisition: {_g(acquisition.rate)} a year relative to the base "
                f"(SE {_g(acquisition.rate_se)})."
            )
        else:
            figures.append(
                f"Acquisition: {_g(acquisition.count)} new customers a month (SE "
                f"{_g(acquisition.count_se)})"
                + (
                    f", growing {_g(acquisition.growth)} a month (SE {_g(acquisition.growth_se)})"
                    if acquisition.model == "count_growth"
                    else ""
                )
                + "."
            )
    if holdout is not None:
        figures.append(
            f"Holdout (fit to {holdout.cutoff}): mean absolute error of predicted active customers "
            f"{holdout.mape['sbg']:.1%} (sBG), {holdout.mape['constant']:.1%} (constant churn)."
        )
    figures += notes
    data = {
        "name": (name or f"Calibrated from {Path(source).name}")[:120],
        "description": " ".join(figures)[:5000],
        "horizon_months": int(horizon),
        "currency": currency,
        "segments": [seg],
    }
    return Scenario.from_dict(data, source=f"scenario calibrated from {source}")


# -- files and the command line ------------------------------------------------------------------------


def _atomic_write(path: Path, text: str) -> Path:
    """Write ``text`` atomically with the user's usual permissions (not mkstemp's 0600)."""
    from ..model.result import _atomic

    return _atomic(Path(path), lambda p: Path(p).write_text(text, encoding="utf-8"))


# -- synthetic data ------------------------------------------------------------------------------------


def synthetic_mrr(
    months: int = 36,
    customers: int = 1000,
    *,
    churn: float = 0.03,
    sbg: tuple[float, float] | None = None,
    expansion: tuple[float, float] = (0.02, 0.1),
    contraction: tuple[float, float] = (0.01, 0.05),
    new_per_month: float = 40.0,
    growth: float = 0.0,
    arpa: float = 50_000.0,
    start: str = "2022-01",
    seed: int = 0,
) -> pd.DataFrame:
    """Per-customer monthly MRR histories simulated with cssim's model (MODEL.md), SYNTHETIC.

    Month 0 has ``customers`` accounts at ``arpa``. In each later month, as the engine orders it: each active
    customer churns with its own probability (``churn``, or theta ~ Beta(alpha, beta) per customer when
    ``sbg`` is given, so the cohort hazard is alpha / (alpha + beta + tau - 1)); a staying account expands
    by ``rate / probability`` of its MRR with ``probability``, or else contracts likewise (the two moves are
    exclusive here, so a month's observed expansion and contraction have exactly the expected rates); then
    Poisson(``new_per_month`` x (1 + growth)^(t - 1)) new customers join at ``arpa``. Rows are written only
    for months with MRR (as billing exports do). ``seed`` makes it reproducible.
    """
    rng = np.random.default_rng(seed)
    e_rate, e_p = expansion
    c_rate, c_p = contraction
    mrr = np.full(customers, float(arpa))
    theta = rng.beta(*sbg, size=customers) if sbg is not None else np.full(customers, churn)
    alive = np.ones(customers, dtype=bool)
    months_ = pd.period_range(start, periods=months + 1, freq="M")
    rows = [(np.flatnonzero(alive), 0, mrr[alive].copy())]
    for t in range(1, months + 1):
        idx = np.flatnonzero(alive)
        go = rng.random(len(idx)) < theta[idx]
        alive[idx[go]] = False
        stay = idx[~go]
        u = rng.random(len(stay))
        up = u < e_p
        down = (u >= e_p) & (u < e_p + c_p)
        mrr[stay[up]] *= 1 + e_rate / e_p
        mrr[stay[down]] *= 1 - c_rate / c_p
        k = rng.poisson(new_per_month * (1 + growth) ** (t - 1))
        mrr = np.concatenate([mrr, np.full(k, float(arpa))])
        theta = np.concatenate(
            [theta, rng.beta(*sbg, size=k) if sbg is not None else np.full(k, churn)]
        )
        alive = np.concatenate([alive, np.ones(k, dtype=bool)])
        rows.append((np.flatnonzero(alive), t, mrr[alive].copy()))
    ids = np.concatenate([r[0] for r in rows])
    ts = np.concatenate([np.full(len(r[0]), r[1]) for r in rows])
    values = np.concatenate([r[2] for r in rows])
    width = len(str(len(mrr)))
    return pd.DataFrame(
        {
            "customer": [f"C{i + 1:0{width}d}" for i in ids],
            "month": [str(months_[t]) for t in ts],
            "mrr": np.round(values, 2),
        }
    )
