"""The Monte Carlo engine: cohort buckets, month by month, vectorised over paths.

Each segment's customers are kept in columns (:class:`_Layout`): joining-month cohorts stay apart only
while their hazard or a metric needs them (onboarding months, the 12 months trailing NRR/GRR need, every
tenure for shifted-beta-geometric churn, renewal months for annual contracts); the rest are merged into
one bucket per joining year, which is exact for customer counts because a sum of independent binomials
with the same probability is binomial (docs/MODEL.md, "Cohort buckets"). Within month t:

1. churn: ``churned_c ~ Binomial(n_c, h_c(tau))`` with the hazard of the column's tenure ``tau``; a
   column's churned MRR is its MRR times ``churned_c / n_c`` (churn is independent of account size);
2. expansion and contraction: ``K ~ Binomial(stayed_c, probability)`` accounts move by
   ``rate / probability`` of the column's average MRR, so the expected move is ``rate`` x stayed MRR;
3. acquisition: ``new ~ Poisson(lambda_t)`` join at the end of the month at the new-customer ARPA.

The per-cohort engine (:class:`_Cohorts`, every joining month its own column) is kept as the reference
the tests compare against: ``simulate_block(..., bucketed=False)``. Both run in "expected" mode too, where
every draw is replaced by its expectation.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import pairwise

import numpy as np

from . import sampling
from .blocks import BLOCK_PATHS, BLOCKS_PER_PASS
from .distributions import _Dist
from .errors import ScenarioError
from .fields import walk
from .limits import paths_problem
from .randomness import Streams, resolve_seed
from .scenario import Scenario
from .segment import Segment
from .stored import STORED

__all__ = ["simulate"]


# -- parameters ----------------------------------------------------------------------------------------


def segment_parameters(segment: Segment, uniform: Callable[[str], np.ndarray] | None) -> dict:
    """The segment's parameters as floats, or arrays over paths where they are uncertain.

    ``uniform(path)`` returns the uniforms for one parameter's paths; without it, uncertain parameters take
    their median.
    """
    out: dict[str, float | np.ndarray] = {}
    prefix = segment.name + "."

    for path, value in walk(segment, segment.name):
        name = path[len(prefix) :]
        if isinstance(value, _Dist):
            u = uniform(path) if uniform is not None else np.array([0.5])
            out[name] = value.ppf(u)
        else:
            out[name] = float(value)
    joint = segment.joint
    if joint is not None and uniform is not None:
        # correlated draws: each parameter's standard normal from its own uniform stream
        z = np.stack([_std_normal(uniform(prefix + name)) for name in joint.parameters])
        drawn = joint.draw([out[name] for name in joint.parameters], z)
        for name, x in zip(joint.parameters, drawn, strict=True):
            out[name] = x
    if segment.seats is not None:
        out["arpa"] = out["seats.per_account"] * out["seats.price"]
    if segment.new_arpa is None:
        out["new_arpa"] = out["arpa"]
    return out


def _std_normal(u: np.ndarray) -> np.ndarray:
    """``Phi^{-1}(u)``, with u = 0 (a uniform in [0, 1)) mapped to the smallest positive double's quantile."""
    from ._lazy import scipy_special as special

    return special.ndtri(np.clip(np.asarray(u, dtype=float), 5e-324, 1.0 - 2**-53))


# -- the month step, shared by the Monte Carlo and the expectation ------------------------------------------


class _Draws:
    """Random draws by inverse CDF (one uniform per variate), streams keyed per purpose."""

    expected = False

    def __init__(self, streams: Streams, segment: str):
        self._rng = {
            p: streams.generator(segment, p)
            for p in ("acquisition", "churn", "expansion", "contraction")
        }

    def binomial(self, n, p, purpose, plan=None):
        return sampling.binomial(n, p, self._rng[purpose].random(n.shape))

    def poisson(self, lam, purpose):
        return sampling.poisson(lam, self._rng[purpose].random(lam.shape))


class _Expectation:
    """Every draw replaced by its expectation: the expected path, exactly."""

    expected = True

    def binomial(self, n, p, purpose, plan=None):
        return n * p

    def poisson(self, lam, purpose):
        return lam


@dataclass
class _Cohorts:
    """One segment's state for a set of paths (rows) and cohorts (columns)."""

    segment: Segment
    params: dict
    horizon: int
    paths: int
    draws: _Draws | _Expectation
    n0c: int = 0
    tenure0: np.ndarray = field(default=None)
    out: dict = field(default_factory=dict)
    year_mrr: np.ndarray = field(default=None)

    def __post_init__(self):
        lo, hi = self.segment.tenure_range
        self.n0c = hi - lo + 1
        self.tenure0 = np.arange(lo, hi + 1)
        cols = self.n0c + self.horizon
        dtype = np.float64 if self.draws.expected else np.int64
        p = self.params
        self.n = np.zeros((self.paths, cols), dtype=dtype)
        self.m = np.zeros((self.paths, cols))
        self.g = np.ones((self.paths, cols))  # cumulative gross-retention factor per cohort
        start = _col(p["customers"], self.paths)
        if not self.draws.expected:
            start = np.rint(start).astype(np.int64)
        self.n[:, : self.n0c] = self.segment.starting_split(start, self.draws.expected).T
        self.m[:, : self.n0c] = (
            self.n[:, : self.n0c]
            * _col(p["arpa"], self.paths)[:, None]
            * self.segment.starting_arpa_factors()[None, :]
        )
        self.ring = np.zeros((12, self.paths, cols))  # m / g snapshots for trailing GRR
        self.ring[0] = self.m
        shape = (self.paths, self.horizon + 1)
        self.out = {k: np.zeros(shape) for k in STORED}
        self.out["retained_mrr_12"][:, :12] = np.nan
        self.out["gross_retained_mrr_12"][:, :12] = np.nan
        self.out["customers"][:, 0] = self.n.sum(1)
        self.out["mrr"][:, 0] = self.m.sum(1)
        self.years = (self.horizon + 11) // 12 + 1
        self.year_mrr = np.zeros((self.horizon + 1, self.years))
        self.year_mrr[0, 0] = self.out["mrr"][:, 0].sum()
        self.year_bounds = np.concatenate([[0], self.n0c + 12 * np.arange(self.years - 1)])
        # constants of the churn model
        ch = self.segment.churn
        self.kind = (
            "monthly"
            if ch.monthly is not None
            else "sbg"
            if ch.heterogeneity is not None
            else "annual"
        )
        self.exp_rate = _pcol(p.get("expansion.rate", 0.0))
        self.exp_prob = _pcol(p.get("expansion.probability", 1.0))
        self.con_rate = _pcol(p.get("contraction.rate", 0.0))
        self.con_prob = _pcol(p.get("contraction.probability", 1.0))
        self.exp_uplift = self.exp_rate / self.exp_prob
        self.con_uplift = np.minimum(self.con_rate / self.con_prob, 1.0)
        self.has_exp = np.any(self.exp_rate > 0)
        self.has_con = np.any(self.con_rate > 0)
        acq = self.segment.acquisition
        if acq.rate is not None:
            self.monthly_rate = (1.0 + _col(p["acquisition.rate"], self.paths)) ** (
                1.0 / 12.0
            ) - 1.0
        else:
            self.monthly_rate = None
        self.new_arpa = _col(p["new_arpa"], self.paths)

    def hazard(self, t: int, k: int):
        """Churn probability for each active cohort in month t (shape broadcastable to (paths, k))."""
        tau = np.empty(k)
        tau[: self.n0c] = self.tenure0 + t  # completed tenure at start + this month
        tau[self.n0c :] = t - np.arange(1, k - self.n0c + 1)  # joined at the end of month 1, 2, ...
        p = self.params
        ch = self.segment.churn
        if self.kind == "monthly":
            h = (
                np.broadcast_to(_pcol(p["churn.monthly"]), (1, k))
                if np.ndim(p["churn.monthly"]) == 0
                else np.broadcast_to(_pcol(p["churn.monthly"]), (self.paths, k))
            )
        elif self.kind == "sbg":
            a = _pcol(p["churn.heterogeneity.alpha"])
            b = _pcol(p["churn.heterogeneity.beta"])
            h = a / (a + b + tau[None, :] - 1.0)
        else:
            h = np.where(tau[None, :] % 12 == 0, _pcol(p["churn.annual_renewal"]), 0.0)
        if ch.onboarding is not None:
            h = np.where(
                tau[None, :] <= ch.onboarding.months, _pcol(p["churn.onboarding.monthly"]), h
            )
        return h

    def step(self, t: int) -> None:
        k = self.n0c + t - 1
        n, m = self.n[:, :k], self.m[:, :k]  # views: updated in place to the end-of-month state
        d = self.draws
        # integer counts: the start of this month is the end of the last, without another pass
        start_customers = (
            n.sum(1) if d.expected else self.out["customers"][:, t - 1].astype(np.int64)
        )
        churned = d.binomial(n, self.hazard(t, k), "churn")
        frac = _divide(churned, n)
        churned_mrr = m * frac
        churned_total = churned.sum(1)
        n -= churned  # the customers who stayed
        stay = n
        g = np.subtract(1.0, frac, out=frac)  # this month's gross-retention factor per cohort
        m -= churned_mrr  # the stayers' MRR
        m_stay = m.copy() if self.has_con else m
        avg = _divide(m, stay) if self.has_exp or self.has_con else None  # average MRR of a stayer
        exp_mrr = con_mrr = 0.0
        if self.has_exp:
            movers = d.binomial(stay, self.exp_prob, "expansion")
            exp_c = movers * avg * self.exp_uplift
            m += exp_c
            exp_mrr = exp_c.sum(1)
        if self.has_con:
            movers = d.binomial(stay, self.con_prob, "contraction")
            con_c = movers * avg * self.con_uplift
            m -= con_c
            con_mrr = con_c.sum(1)
            g *= 1.0 - _divide(con_c, m_stay)
        self.g[:, :k] *= g
        # acquisition at the end of the month
        if self.monthly_rate is not None:
            lam = self.monthly_rate * start_customers
        else:
            p = self.params
            lam = _col(p["acquisition.count"], self.paths) * (
                1.0 + _col(p["acquisition.growth"], self.paths)
            ) ** (t - 1)
        new = d.poisson(lam, "acquisition")
        self.n[:, k] = new
        self.m[:, k] = new * self.new_arpa
        o = self.out
        o["new_customers"][:, t] = new
        o["churned_customers"][:, t] = churned_total
        o["churned_mrr"][:, t] = churned_mrr.sum(1)
        o["expansion_mrr"][:, t] = exp_mrr
        o["contraction_mrr"][:, t] = con_mrr
        if d.expected:
            o["customers"][:, t] = self.n[:, : k + 1].sum(1)
        else:  # integer counts: the same sum, without another pass over the cohorts
            o["customers"][:, t] = start_customers - churned_total + new
        mrr = self.m[:, : k + 1]
        mrr_total = mrr.sum(1)
        o["mrr"][:, t] = mrr_total
        ring = self.ring[t % 12]
        g_all = self.g[:, : k + 1]
        if t >= 12:
            upto = self.n0c + t - 12  # cohorts active at month t - 12
            o["retained_mrr_12"][:, t] = mrr[:, :upto].sum(1)
            o["gross_retained_mrr_12"][:, t] = (ring[:, :upto] * g_all[:, :upto]).sum(1)
        # this month's m / g snapshot (0 where a cohort's gross factor is 0), for GRR in 12 months
        _divide(mrr, g_all, out=ring[:, : k + 1])
        # MRR by joining year (0 = the starting customers), summed over paths
        col = np.add.reduceat(mrr.sum(0), self.year_bounds[self.year_bounds < k + 1])
        self.year_mrr[t, : len(col)] = col


def _divide(a: np.ndarray, b: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``a / b`` where ``b > 0``, else 0 (``b`` is never negative)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.divide(a, b, out=out)  # a full-speed divide, then the few zeros of b fixed
    np.copyto(out, 0.0, where=b <= 0)
    return out


def _col(value, paths: int) -> np.ndarray:
    """A parameter as a float array over paths."""
    return (
        np.broadcast_to(np.asarray(value, dtype=np.float64), (paths,))
        if np.ndim(value) == 0
        else np.asarray(value, dtype=np.float64)
    )


def _pcol(value):
    """A parameter shaped to broadcast against (paths, cohorts): scalar, or (paths, 1)."""
    value = np.asarray(value, dtype=np.float64)
    return value if value.ndim == 0 else value[:, None]


# -- cohort buckets ------------------------------------------------------------------------------------

#: Tenure given to a merged bucket: past any onboarding period (buckets exist only for monthly churn).
_MATURE = 10**9


class _Month:
    """What one month does to a segment's columns; it depends on the scenario's structure only."""

    __slots__ = (
        "live",
        "live_plan",
        "merges",
        "new_slot",
        "old",
        "risk",
        "risk_plan",
        "tau",
        "year",
    )


class _Layout:
    """Which joining-month cohorts a segment keeps apart, and where the rest are merged.

    Columns: ``W`` slots for cohorts joined during the run (the cohort joined at the end of month s sits
    in slot ``(s - 1) % W``), then the ``n0c`` starting cohorts (one per starting tenure), then, for
    monthly churn only, one bucket per joining year (bucket 0 takes the starting customers). Cohorts that
    were all active 12 months ago therefore sit in one contiguous block of columns after the young ones.

    A cohort is kept apart while its hazard or a metric needs it:

    - monthly churn, optionally with ``k`` onboarding months: a new cohort merges into its joining year's
      bucket at age ``A = max(12, k + 1)`` (out of onboarding and out of the 12 months trailing NRR/GRR
      need), so ``W = A``; a starting cohort merges into bucket 0 once its tenure passes ``k``;
    - shifted-beta-geometric churn: every tenure has its own hazard, nothing merges (``W = H``);
    - annual contracts: the hazard depends on tenure mod 12 and the layer cake on the joining year, so no
      two cohorts of one joining year share a hazard: nothing merges, but only the cohorts at a renewal
      (tenure 12, 24, ...) are drawn, the others cannot churn.
    """

    def __init__(self, lo: int, hi: int, kind: str, onboarding: int, horizon: int):
        self.n0c = n0c = hi - lo + 1
        self.years = years = (horizon + 11) // 12 + 1
        self.kind = kind
        self.onboarding = k = onboarding
        self.merging = self.kind == "monthly"
        if self.merging:
            self.age = max(12, k + 1)
            W = max(1, min(self.age, horizon))
            B = years
        else:
            self.age = None
            W, B = max(1, horizon), 0
        self.W, self.B = W, B
        self.width = n0c + W + B
        self.months = [None] + [self._month(t, lo, horizon) for t in range(1, horizon + 1)]

    def slot(self, s: int) -> int:
        """Column of the cohort joined at the end of month ``s`` (1-based) while it is kept apart."""
        return (s - 1) % self.W

    def bucket(self, year: int) -> int:
        return self.W + self.n0c + year

    def start(self, j: int) -> int:
        """Column of the starting cohort ``j`` (starting tenure ``lo + j``) while it is kept apart."""
        return self.W + j

    def _month(self, t: int, lo: int, horizon: int) -> _Month:
        n0c = self.n0c
        mo = _Month()
        mo.merges = []
        tau = np.full(self.width, float(_MATURE))  # empty columns: any hazard, n = 0
        year = np.full(self.width, -1)
        held = []  # columns holding customers during month t, with their tenure this month
        old = []  # columns whose customers were all active at month t - 12
        for j in range(n0c):  # starting cohorts
            tj = lo + j + t
            if self.merging and tj > self.onboarding:
                if t == 1 or tj - 1 <= self.onboarding:  # merges at the first month past onboarding
                    mo.merges.append((self.start(j), self.bucket(0)))
            else:
                c = self.start(j)
                held.append(c)
                tau[c] = tj
                year[c] = 0
                old.append(c)
        for s in range(1, t):  # cohorts joined at the end of months 1 .. t - 1
            age = t - s
            if self.merging and age >= self.age:
                if age == self.age:
                    mo.merges.append((self.slot(s), self.bucket((s - 1) // 12 + 1)))
                continue
            c = self.slot(s)
            held.append(c)
            tau[c] = age
            year[c] = (s - 1) // 12 + 1
            if s <= t - 12:
                old.append(c)
        if self.merging:
            filled = {dst for (_, dst) in self._merged_so_far(t, lo)}
            for b in sorted(filled):
                held.append(b)
                tau[b] = _MATURE
                year[b] = b - self.bucket(0)
                old.append(b)
        held.sort()
        old.sort()
        mo.live, mo.live_plan = _held(held)
        if self.kind == "annual":  # only the columns at a renewal draw
            mo.risk, mo.risk_plan = _index([c for c in held if tau[c] % 12 == 0]), None
        else:
            mo.risk, mo.risk_plan = mo.live, mo.live_plan
        mo.tau = tau[mo.risk]
        mo.new_slot = self.slot(t)
        year[mo.new_slot] = (t - 1) // 12 + 1
        mo.old = _index(old)
        mo.year = year
        return mo

    def _merged_so_far(self, t: int, lo: int) -> list[tuple[int, int]]:
        """Every (source, bucket) merge done at the start of months 1 .. t."""
        out = []
        for j in range(self.n0c):
            if lo + j + t > self.onboarding:
                out.append((self.start(j), self.bucket(0)))
        for s in range(1, t):
            if t - s >= self.age:
                out.append((self.slot(s), self.bucket((s - 1) // 12 + 1)))
        return out


def _index(cols: list[int]) -> slice | np.ndarray:
    """A slice where the columns are contiguous (a view, no copy), else an index array."""
    if cols and cols[-1] - cols[0] + 1 == len(cols):
        return slice(cols[0], cols[-1] + 1)
    return np.asarray(cols, dtype=np.intp)


def _held(cols: list[int]) -> tuple[slice | np.ndarray, list[tuple[int, int]] | None]:
    """The columns a month works on, and how their uniforms sit in the stream of the columns' hull.

    The stream of a draw over columns always advances by the whole hull ``min(cols) .. max(cols)``,
    row by row (a row is a column's paths), so a number never depends on which columns are empty. Where
    the hull has many empty columns (a young shifted-beta-geometric or annual segment: the slots of
    cohorts not joined yet), only the held columns are worked on, and the draw skips the empty rows'
    uniforms with ``advance``: the plan ``[(rows drawn, rows skipped), ...]``. An empty column's count is
    0 whatever its uniform, so the counts are those of a draw over the whole hull, bit for bit.
    """
    hull = _hull(cols)
    empty = _width(hull) - len(cols)
    if empty < max(2, _width(hull) // 5):  # few gaps: a slice (a view) over the hull is cheaper
        return hull, None
    plan, run = [], 1
    for a, b in pairwise(cols):
        if b == a + 1:
            run += 1
        else:
            plan.append((run, b - a - 1))
            run = 1
    plan.append((run, 0))
    return np.asarray(cols, dtype=np.intp), plan


def _hull(cols: list[int]) -> slice:
    """The smallest slice covering ``cols`` (the few empty columns inside it draw zeros)."""
    return slice(min(cols), max(cols) + 1) if cols else slice(0, 0)


def _width(index: slice | np.ndarray) -> int:
    return index.stop - index.start if isinstance(index, slice) else index.size


def churn_kind(segment: Segment) -> str:
    """``"monthly"``, ``"sbg"`` (shifted-beta-geometric) or ``"annual"`` (renewals only)."""
    ch = segment.churn
    return (
        "monthly" if ch.monthly is not None else "sbg" if ch.heterogeneity is not None else "annual"
    )


@functools.lru_cache(maxsize=64)
def _cached_layout(lo: int, hi: int, kind: str, onboarding: int, horizon: int) -> _Layout:
    return _Layout(lo, hi, kind, onboarding, horizon)


def layout(segment: Segment, horizon: int) -> _Layout:
    """The bucket layout of a segment over ``horizon`` months (cached: it depends on structure only)."""
    lo, hi = segment.tenure_range
    ob = segment.churn.onboarding
    return _cached_layout(lo, hi, churn_kind(segment), ob.months if ob else 0, horizon)


class _Buckets:
    """One segment's state for a set of paths and the columns of its :class:`_Layout`.

    Arrays are laid out columns by paths, ``(columns, paths)``, so that a column is contiguous. Per
    column: customers ``n``, MRR ``m``, the gross-retention factor ``G`` accumulated since the column was
    last (re)started, and a ring of 12 snapshots ``m / G`` (the MRR of month t - j carried to now by gross
    retention alone is ``ring[(t - j) % 12] G``). Merging a column into a bucket adds its customers, its
    MRR and its carried MRR at each of the 12 lags, and restarts the bucket's ``G`` at 1.
    """

    def __init__(self, segment, params, horizon, paths, draws, row_starts=None):
        self.segment, self.params, self.horizon, self.paths, self.draws = (
            segment,
            params,
            horizon,
            paths,
            draws,
        )
        self.layout = L = layout(segment, horizon)
        # first path of each randomness block, for the per-block layer cake
        self.row_starts = np.asarray([0] if row_starts is None else row_starts, dtype=np.intp)
        U = L.width
        dtype = np.float64 if draws.expected else np.int64
        p = params
        self.n = np.zeros((U, paths), dtype=dtype)
        self.m = np.zeros((U, paths))
        self.G = np.ones((U, paths))
        n0c = L.n0c
        s0 = slice(L.start(0), L.start(0) + n0c)  # the starting cohorts
        start = _col(p["customers"], paths)
        if not draws.expected:
            start = np.rint(start).astype(np.int64)
        self.n[s0] = segment.starting_split(start, draws.expected)
        self.m[s0] = (
            self.n[s0] * _col(p["arpa"], paths)[None, :] * segment.starting_arpa_factors()[:, None]
        )
        # Without expansion or contraction an account's MRR never changes, so the MRR of last year's
        # customers carried by gross retention is their MRR now: GRR's numerator is NRR's, no ring needed.
        self.gross = bool(np.any(_prow(p.get("expansion.rate", 0.0)) > 0)) or bool(
            np.any(_prow(p.get("contraction.rate", 0.0)) > 0)
        )
        self.ring = np.zeros((12, U, paths)) if self.gross else None
        if self.gross:
            self.ring[0] = self.m
        # outputs month by month, (months + 1, paths): each month's row is contiguous
        shape = (horizon + 1, paths)
        self.out = {k: np.zeros(shape) for k in STORED}
        self.out["retained_mrr_12"][:12] = np.nan
        self.out["gross_retained_mrr_12"][:12] = np.nan
        self.customers = self.n.sum(0)
        self.out["customers"][0] = self.customers
        self.out["mrr"][0] = self.m.sum(0)
        self.year_mrr = np.zeros((len(self.row_starts), horizon + 1, L.years))
        self.year_mrr[:, 0, 0] = np.add.reduceat(self.out["mrr"][0], self.row_starts)
        self.exp_rate = _prow(p.get("expansion.rate", 0.0))
        self.exp_prob = _prow(p.get("expansion.probability", 1.0))
        self.con_rate = _prow(p.get("contraction.rate", 0.0))
        self.con_prob = _prow(p.get("contraction.probability", 1.0))
        self.exp_uplift = self.exp_rate / self.exp_prob
        self.con_uplift = np.minimum(self.con_rate / self.con_prob, 1.0)
        self.has_exp = bool(np.any(self.exp_rate > 0))
        self.has_con = bool(np.any(self.con_rate > 0))
        acq = segment.acquisition
        if acq.rate is not None:
            self.monthly_rate = (1.0 + _col(p["acquisition.rate"], paths)) ** (1.0 / 12.0) - 1.0
        else:
            self.monthly_rate = None
            self.count = _col(p["acquisition.count"], paths)
            self.growth = 1.0 + _col(p["acquisition.growth"], paths)
        self.new_arpa = _col(p["new_arpa"], paths)

    def hazard(self, tau: np.ndarray):
        """Churn probability of the drawn columns, of tenure ``tau`` this month (broadcasts to them)."""
        p = self.params
        kind = self.layout.kind
        if kind == "monthly":
            h = _prow(p["churn.monthly"])
        elif kind == "sbg":
            a = _prow(p["churn.heterogeneity.alpha"])
            b = _prow(p["churn.heterogeneity.beta"])
            h = a / (a + b + tau[:, None] - 1.0)
        else:  # only columns at a renewal are drawn
            h = _prow(p["churn.annual_renewal"])
        k = self.layout.onboarding
        if k and tau.size and tau.min() <= k:
            h = np.where(tau[:, None] <= k, _prow(p["churn.onboarding.monthly"]), h)
        return h

    def merge(self, src: int, dst: int) -> None:
        """Add column ``src`` into bucket ``dst`` and empty it."""
        n, m, G, ring = self.n, self.m, self.G, self.ring
        if self.gross:
            ring[:, dst] *= G[dst]
            ring[:, dst] += ring[:, src] * G[src]
            G[dst] = 1.0
            G[src] = 1.0
            ring[:, src] = 0.0
        n[dst] += n[src]
        m[dst] += m[src]
        n[src] = 0
        m[src] = 0.0

    def metrics(self, rows: slice) -> dict[str, np.ndarray]:
        """The stored metrics of paths ``rows``, each (paths, months + 1)."""
        return {k: np.ascontiguousarray(v[:, rows].T) for k, v in self.out.items()}

    def step(self, t: int) -> None:
        mo = self.layout.months[t]
        for src, dst in mo.merges:
            self.merge(src, dst)
        n, m, G = self.n, self.m, self.G
        d = self.draws
        o = self.out
        start_customers = self.customers
        # 1. churn, on the columns that can churn this month
        r = mo.risk
        if _width(r):
            n_r = n[r]
            churned = d.binomial(n_r, self.hazard(mo.tau), "churn", mo.risk_plan)
            frac = _divide(churned, n_r)
            m_r = m[r]
            churned_mrr = m_r * frac
            n[r] = n_r - churned
            m[r] = m_r - churned_mrr
            if self.gross:
                G[r] *= np.subtract(1.0, frac, out=frac)
            churned_total = churned.sum(0)
            churned_mrr_total = churned_mrr.sum(0)
        else:
            churned_total = np.zeros(self.paths, dtype=n.dtype)
            churned_mrr_total = 0.0
        # 2. expansion and contraction of the customers who stayed
        exp_mrr = con_mrr = 0.0
        if self.has_exp or self.has_con:
            v = mo.live
            stay = n[v]
            m_v = m[v]
            avg = _divide(m_v, stay)
            m_stay = m_v.copy() if self.has_con else m_v
            if self.has_exp:
                movers = d.binomial(stay, self.exp_prob, "expansion", mo.live_plan)
                exp_c = movers * avg * self.exp_uplift
                m_v = m_v + exp_c
                exp_mrr = exp_c.sum(0)
            if self.has_con:
                movers = d.binomial(stay, self.con_prob, "contraction", mo.live_plan)
                con_c = movers * avg * self.con_uplift
                m_v = m_v - con_c
                con_mrr = con_c.sum(0)
                G[v] *= 1.0 - _divide(con_c, m_stay)
            m[v] = m_v
        # 3. acquisition at the end of the month
        if self.monthly_rate is not None:
            lam = self.monthly_rate * start_customers
        else:
            lam = self.count * self.growth ** (t - 1)
        new = d.poisson(lam, "acquisition")
        c = mo.new_slot
        n[c] = new
        m[c] = new * self.new_arpa
        self.customers = start_customers - churned_total + new
        o["new_customers"][t] = new
        o["churned_customers"][t] = churned_total
        o["churned_mrr"][t] = churned_mrr_total
        o["expansion_mrr"][t] = exp_mrr
        o["contraction_mrr"][t] = con_mrr
        o["customers"][t] = self.customers
        o["mrr"][t] = m.sum(0)
        if t >= 12:
            old = mo.old
            o["retained_mrr_12"][t] = m[old].sum(0)
            if self.gross:
                o["gross_retained_mrr_12"][t] = (self.ring[t % 12][old] * G[old]).sum(0)
            else:
                o["gross_retained_mrr_12"][t] = o["retained_mrr_12"][t]
        if self.gross:  # this month's m / G snapshot, for GRR in 12 months
            _divide(m, G, out=self.ring[t % 12])
        # MRR by joining year (0 = the starting customers), summed over each block's paths
        cols = np.add.reduceat(m, self.row_starts, axis=1)  # (columns, blocks)
        year = mo.year
        keep = year >= 0
        for b in range(len(self.row_starts)):
            self.year_mrr[b, t] = np.bincount(
                year[keep], weights=cols[keep, b], minlength=self.layout.years
            )


def _prow(value):
    """A parameter shaped to broadcast against (columns, paths): scalar, or (1, paths)."""
    value = np.asarray(value, dtype=np.float64)
    return value if value.ndim == 0 else value[None, :]


class _BlockDraws:
    """Uniforms for several blocks of paths at once: block b's rows come from block b's own streams."""

    expected = False

    def __init__(self, streams: list[Streams], segment: str, rows: list[slice]):
        self._rng = {
            p: [s.generator(segment, p) for s in streams]
            for p in ("acquisition", "churn", "expansion", "contraction")
        }
        self._rows = rows

    def _uniform(self, shape, purpose, plan=None):
        """Uniforms of ``shape`` (paths,) or (columns, paths); each block fills its own paths.

        With a ``plan`` ``[(rows drawn, rows skipped), ...]`` (:func:`_held`) the columns are the held
        ones of a hull and each block's stream skips the empty columns' rows between them.
        """
        u = np.empty(shape)
        for rng, rows in zip(self._rng[purpose], self._rows, strict=True):
            if len(shape) == 1:
                rng.random(out=u[rows])
            elif plan is not None:
                size, at = rows.stop - rows.start, 0
                for take, skip in plan:
                    if len(self._rows) == 1:
                        rng.random(out=u[at : at + take])
                    else:
                        u[at : at + take, rows] = rng.random((take, size))
                    at += take
                    if skip:
                        rng.bit_generator.advance(skip * size)
            elif len(self._rows) == 1:
                rng.random(out=u)
            else:
                u[:, rows] = rng.random((shape[0], rows.stop - rows.start))
        return u

    def binomial(self, n, p, purpose, plan=None):
        return sampling.binomial(n, p, self._uniform(n.shape, purpose, plan))

    def poisson(self, lam, purpose):
        return sampling.poisson(lam, self._uniform(lam.shape, purpose))


def _uniforms(streams: list[Streams], segment: str, sizes: list[int]):
    def uniform(path: str) -> np.ndarray:
        return np.concatenate(
            [
                s.generator(segment, "parameter", path).random(n)
                for s, n in zip(streams, sizes, strict=True)
            ]
        )

    return uniform


def simulate_blocks(
    scenario: Scenario, entropy: int, plan: list[tuple[int, int]], *, bucketed: bool = True
) -> list[dict]:
    """Simulate several blocks ``[(block, size), ...]`` in one vectorised pass; one dict per block.

    Each block draws from its own streams and every path's numbers depend on its own uniforms only, so
    the dicts equal those of :func:`simulate_block` one block at a time, bit for bit.
    ``bucketed=False`` runs the reference engine that keeps every joining-month cohort apart.
    """
    streams = [Streams(entropy, b) for b, _ in plan]
    sizes = [int(size) for _, size in plan]
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.intp)
    rows = [slice(int(a), int(a) + n) for a, n in zip(starts, sizes, strict=True)]
    paths = int(sum(sizes))
    H = scenario.horizon_months
    out: list[dict] = [{} for _ in plan]
    for seg in scenario.segments:
        params = segment_parameters(seg, _uniforms(streams, seg.name, sizes))
        if bucketed:
            state = _Buckets(seg, params, H, paths, _BlockDraws(streams, seg.name, rows), starts)
        else:
            if len(plan) != 1:
                raise ValueError("the per-cohort reference engine runs one block at a time")
            state = _Cohorts(seg, params, H, paths, _Draws(streams[0], seg.name))
        for t in range(1, H + 1):
            state.step(t)
        full = {k: np.broadcast_to(np.asarray(v, dtype=float), (paths,)) for k, v in params.items()}
        for i, r in enumerate(rows):
            out[i][seg.name] = {
                "metrics": state.metrics(r)
                if bucketed
                else {k: v[r].copy() if len(plan) > 1 else v for k, v in state.out.items()},
                "params": {k: v[r].copy() for k, v in full.items()},
                "year_mrr": state.year_mrr[i] if bucketed else state.year_mrr,
            }
    return out


def simulate_block(
    scenario: Scenario, entropy: int, block: int, size: int, *, bucketed: bool = True
) -> dict:
    """Simulate one block of paths; the unit of work that chunks, jobs and Dask tasks share.

    Returns ``{segment: {"metrics": {name: (size, H + 1)}, "params": {name: (size,)},
    "year_mrr": (H + 1, years)}}``: the stored per-path arrays, the drawn parameters and the MRR by
    joining year summed over the block's paths.
    """
    return simulate_blocks(scenario, entropy, [(block, size)], bucketed=bucketed)[0]


def blocks(paths: int) -> list[tuple[int, int, int]]:
    """``(block, first_path, size)`` for a run of ``paths`` paths."""
    out = []
    for b, first in enumerate(range(0, paths, BLOCK_PATHS)):
        out.append((b, first, min(BLOCK_PATHS, paths - first)))
    return out


def simulate(
    scenario: Scenario,
    paths: int = 10_000,
    seed: int | np.random.SeedSequence | None = 42,
    *,
    progress: bool = False,
    executor=None,
    summary: bool = False,
):
    """Run the Monte Carlo.

    Parameters
    ----------
    scenario : Scenario
        What to simulate (:func:`cssim.load_scenario`).
    paths : int
        Number of simulated worlds. Paths are simulated in blocks of :data:`BLOCK_PATHS`; the first block of
        a larger run is identical to a run of that many paths.
    seed : int, SeedSequence or None
        The same scenario, seed and paths give bit-identical results, however the work is split.
    progress : bool
        Show a tqdm progress bar over blocks.
    executor : concurrent.futures.Executor, optional
        Run blocks in parallel (processes or a Dask client's executor); numbers do not change.
    summary : bool
        Keep mergeable statistics instead of every path (:mod:`cssim.model.summary`): memory stays bounded
        whatever ``paths`` is; means, standard errors and probabilities are exact, quantiles within the
        sketch's stated relative error.

    Returns
    -------
    SimulationResult, or SummaryResult with ``summary=True``
    """
    from .result import SimulationResult

    if isinstance(paths, bool) or not isinstance(paths, int | np.integer) or paths < 1:
        raise ValueError(f"paths must be a positive integer, got {paths!r}")
    if not isinstance(scenario, Scenario):
        raise TypeError(
            "simulate() takes a Scenario: use cssim.load_scenario(path) or Scenario.from_dict(data)"
        )
    too_many = paths_problem(scenario, int(paths), summary=summary)
    if too_many is not None:  # refused before any memory is taken
        raise ScenarioError(scenario.name, [too_many])
    entropy = resolve_seed(seed)
    plan = blocks(int(paths))
    # Blocks are simulated a pass of several at a time (fewer, larger numpy calls; each block on its own
    # streams, so the numbers are those of one block at a time); tasks for an executor are smaller while
    # that keeps every worker busy.
    per = BLOCKS_PER_PASS if executor is None else min(BLOCKS_PER_PASS, max(1, len(plan) // 16))
    groups = [[(b, size) for b, _, size in plan[i : i + per]] for i in range(0, len(plan), per)]
    if executor is None:
        parts = (r for g in groups for r in simulate_pass(scenario, entropy, g, summary))
    else:
        parts = _in_order(executor, scenario, entropy, groups, summary)
    if progress:
        from tqdm.auto import tqdm

        parts = tqdm(parts, total=len(plan), desc=scenario.name[:30], unit="block")
    if summary:
        from .sketch import DEFAULT_ALPHA
        from .summary import SummaryResult

        return SummaryResult.from_blocks(scenario, entropy, int(paths), parts, DEFAULT_ALPHA)
    return SimulationResult.from_blocks(scenario, entropy, int(paths), plan, parts)


def _in_order(executor, scenario: Scenario, entropy: int, groups: list, summary: bool):
    """Yield the blocks' results in block order, with at most ``executor.window`` passes in flight.

    The window (16 unless the executor says otherwise) bounds the memory that finished passes take
    while an earlier one still runs; in-order results make the merge, and so every float, independent of
    which worker finished first.
    """
    from collections import deque

    window = getattr(executor, "window", 16)
    todo = iter(groups)
    pending: deque = deque()
    for g in todo:
        pending.append(executor.submit(simulate_pass, scenario, entropy, g, summary))
        if len(pending) >= window:
            break
    while pending:
        results = pending.popleft().result()
        for g in todo:
            pending.append(executor.submit(simulate_pass, scenario, entropy, g, summary))
            break
        yield from results


def simulate_pass(
    scenario: Scenario, entropy: int, plan: list[tuple[int, int]], summary: bool = False
) -> list[dict]:
    """Blocks ``[(block, size), ...]`` in one pass, each as :func:`simulate_block` returns it or, with
    ``summary``, reduced to mergeable statistics (a picklable task for any executor)."""
    parts = simulate_blocks(scenario, entropy, plan)
    if not summary:
        return parts
    from .summary import summarise_block

    out = []
    for (block, size), part in zip(plan, parts, strict=True):
        out.append(summarise_block(scenario, entropy, block, size, part))
    parts.clear()
    return out
