"""The Monte Carlo engine: cohorts by tenure, month by month, vectorised over paths.

Each segment's customers are kept as cohorts by joining month (the starting customers form one or more
cohorts by starting tenure). Within month t, as MODEL.md orders it:

1. churn: ``churned_c ~ Binomial(n_c, h_c(tau))`` with the hazard of the cohort's tenure ``tau``; a cohort's
   churned MRR is its MRR times ``churned_c / n_c`` (churn is independent of account size);
2. expansion and contraction: ``K ~ Binomial(stayed_c, probability)`` accounts move by
   ``rate / probability`` of the cohort's average MRR, so the expected move is ``rate`` x stayed MRR;
3. acquisition: ``new ~ Poisson(lambda_t)`` join at the end of the month at the new-customer ARPA.

The same step runs in "expected" mode, where every draw is replaced by its expectation; that is
:func:`cssim.expected`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from . import sampling
from .distributions import _Dist
from .randomness import BLOCK_PATHS, Streams, resolve_seed
from .scenario import Scenario, Segment
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
    from .scenario import _walk  # local: keeps the module graph simple

    for path, value in _walk(segment, segment.name):
        name = path[len(prefix) :]
        if isinstance(value, _Dist):
            u = uniform(path) if uniform is not None else np.array([0.5])
            out[name] = value.ppf(u)
        else:
            out[name] = float(value)
    if segment.seats is not None:
        out["arpa"] = out["seats.per_account"] * out["seats.price"]
    if segment.new_arpa is None:
        out["new_arpa"] = out["arpa"]
    return out


# -- the month step, shared by the Monte Carlo and the expectation ------------------------------------------


class _Draws:
    """Random draws by inverse CDF (one uniform per variate), streams keyed per purpose."""

    expected = False

    def __init__(self, streams: Streams, segment: str):
        self._rng = {
            p: streams.generator(segment, p)
            for p in ("acquisition", "churn", "expansion", "contraction")
        }

    def binomial(self, n, p, purpose):
        return sampling.binomial(n, p, self._rng[purpose].random(n.shape))

    def poisson(self, lam, purpose):
        return sampling.poisson(lam, self._rng[purpose].random(lam.shape))


class _Expectation:
    """Every draw replaced by its expectation: the expected path, exactly."""

    expected = True

    def binomial(self, n, p, purpose):
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
            base, extra = np.divmod(start, self.n0c)
            self.n[:, : self.n0c] = base[:, None] + (np.arange(self.n0c) < extra[:, None])
        else:
            self.n[:, : self.n0c] = start[:, None] / self.n0c
        self.m[:, : self.n0c] = self.n[:, : self.n0c] * _col(p["arpa"], self.paths)[:, None]
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


# -- the Monte Carlo --------------------------------------------------------------------------------------


def _uniforms(streams: Streams, segment: str, size: int):
    def uniform(path: str) -> np.ndarray:
        return streams.generator(segment, "parameter", path).random(size)

    return uniform


def simulate_block(scenario: Scenario, entropy: int, block: int, size: int) -> dict:
    """Simulate one block of paths; the unit of work that chunks, jobs and Dask tasks share."""
    streams = Streams(entropy, block)
    H = scenario.horizon_months
    out = {}
    for seg in scenario.segments:
        params = segment_parameters(seg, _uniforms(streams, seg.name, size))
        state = _Cohorts(seg, params, H, size, _Draws(streams, seg.name))
        for t in range(1, H + 1):
            state.step(t)
        out[seg.name] = {
            "metrics": state.out,
            "params": {
                k: np.broadcast_to(np.asarray(v, dtype=float), (size,)).copy()
                for k, v in params.items()
            },
            "year_mrr": state.year_mrr,
        }
    return out


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

    Returns
    -------
    SimulationResult
    """
    from .result import SimulationResult

    if isinstance(paths, bool) or not isinstance(paths, int | np.integer) or paths < 1:
        raise ValueError(f"paths must be a positive integer, got {paths!r}")
    if not isinstance(scenario, Scenario):
        raise TypeError(
            "simulate() takes a Scenario: use cssim.load_scenario(path) or Scenario.from_dict(data)"
        )
    entropy = resolve_seed(seed)
    plan = blocks(int(paths))
    if executor is None:
        parts = (simulate_block(scenario, entropy, b, size) for b, _, size in plan)
    else:
        futures = [
            executor.submit(simulate_block, scenario, entropy, b, size) for b, _, size in plan
        ]
        parts = (f.result() for f in futures)
    if progress:
        from tqdm.auto import tqdm

        parts = tqdm(parts, total=len(plan), desc=scenario.name[:30], unit="block")
    return SimulationResult.from_blocks(scenario, entropy, int(paths), plan, parts)
