"""Bounds that keep a valid scenario's simulation finite: customers and money it could reach.

The results store counts as 32-bit integers and money as 32-bit floats (:mod:`cssim.model.result`), and the
binomial sampler's cost grows with the cohort size, so a scenario whose numbers could pass those stores is
refused when it is validated, with the bound and the figure it would reach, not after minutes of simulation.

For each segment the bound takes every parameter at its unfavourable end (the 0.01% or 99.99% quantile of a
distribution, the number itself otherwise) and follows the expected base month by month:

.. math::

    N_t = N_{t-1} (1 + m)(1 - c) + \\lambda_t, \\qquad m = (1 + r)^{1/12} - 1

with ``N_0`` the starting customers, ``r`` the annual acquisition rate, :math:`\\lambda_t` the count's
expected new customers (:mod:`cssim.model.count_trend`: ``n (1 + g)^{t-1}`` when its growth never fades;
the largest endurance for a growth above 0, the smallest for one below), and ``c`` the lowest monthly
churn (0 for shifted-beta-geometric churn, whose hazard falls towards 0 with tenure;
``1 - (1 - a)^{1/12}`` for annual renewal churn ``a``). The largest ``N_t`` must stay at most
:data:`MAX_CUSTOMERS`. Money is bounded by ``12 (H + 1)`` times the largest monthly amount (MRR with every
account expanding at the top rate for ``H`` months, plus acquisition and CS costs), at most :data:`MAX_MONEY`.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from .blocks import SUMMARY_PATHS_KEPT
from .count_trend import CountTrend
from .distributions import _Dist
from .errors import Problem

if TYPE_CHECKING:  # pragma: no cover
    from .scenario import Scenario
    from .segment import Segment

__all__ = [
    "MAX_AMOUNT",
    "MAX_CUSTOMERS",
    "MAX_MONEY",
    "MIN_LEVER_COST",
    "MONEY_FIELDS",
    "capacity_problems",
]

#: Most customers a segment may reach (the store holds 2,147,483,647; the rest is room for noise).
MAX_CUSTOMERS = 1_000_000_000
#: Largest money figure (ARR, cumulative costs) a scenario may reach; 32-bit floats end at 3.4e38.
MAX_MONEY = 1e30
_Q = 1e-4

#: Largest amount of money any one field of a scenario may hold (ARPA, new ARPA, seat price, CAC, CS
#: costs, target ARR, a lever's monthly cost), in the scenario's currency: one quadrillion, more than
#: the largest business takes in a year in yen (about 5e13) or dollars, with room for currencies of
#: small units (a trillion dong is about 4e7 dollars). Past it a figure is a typing slip, not a plan.
MAX_AMOUNT = 1e15
#: Smallest monthly cost of a lever, in the scenario's currency: a lever that costs less than one yen,
#: dollar or euro a month is free, and ranking it "per unit of cost" divides by almost nothing.
MIN_LEVER_COST = 1.0
#: The fields that hold money (a price or a cost), each at most :data:`MAX_AMOUNT`.
MONEY_FIELDS = frozenset(
    {"arpa", "new_arpa", "price", "cac", "csm_cost", "tools", "tools_per_account", "target_arr"}
)


def _hi(value: Any, default: float = 0.0) -> float:
    if value is None:
        return default
    if isinstance(value, _Dist):
        x = float(value.ppf(1 - _Q))
        return x if x == x else math.inf  # NaN: a distribution too wide to compute is refused
    return float(value)


def _lo(value: Any, default: float = 0.0) -> float:
    if value is None:
        return default
    if isinstance(value, _Dist):
        x = float(value.ppf(_Q))
        return x if x == x else 0.0
    return float(value)


def _drawn(seg: Segment, name: str, value: Any) -> Any:
    """``value`` of field ``name`` as the engine draws it: a number in the segment's ``joint`` is the
    centre of its joint marginal, whose spread the bounds must see (a wide covariance on a growth
    reaches as far as a wide distribution does)."""
    j = seg.joint
    if (
        j is not None
        and name in j.parameters
        and value is not None
        and not isinstance(value, _Dist)
    ):
        return j.marginal(name, float(value))
    return value


def _customer_bound(seg: Segment, horizon: int) -> tuple[float, float]:
    """Largest expected customers and new customers in a month, parameters at their unfavourable ends."""
    a = seg.acquisition
    rate = _drawn(seg, "acquisition.rate", a.rate)
    m = (1.0 + _hi(rate)) ** (1 / 12) - 1.0 if a.rate is not None else 0.0
    count = _hi(_drawn(seg, "acquisition.count", a.count))
    growth = _hi(_drawn(seg, "acquisition.growth", a.growth))
    # a fading growth adds fewer customers, a fading decline loses fewer: the unfavourable endurance
    kept = _drawn(seg, "acquisition.endurance", a.endurance)
    trend = CountTrend(count, growth, _hi(kept, 1.0) if growth >= 0 else _lo(kept, 1.0), horizon)
    ch = seg.churn
    if ch.monthly is not None:
        c = _lo(_drawn(seg, "churn.monthly", ch.monthly))
        if ch.onboarding is not None:
            c = min(c, _lo(_drawn(seg, "churn.onboarding.monthly", ch.onboarding.monthly)))
    elif ch.annual_renewal is not None:
        r = _lo(_drawn(seg, "churn.annual_renewal", ch.annual_renewal))
        c = 1.0 - (1.0 - min(r, 1.0)) ** (1 / 12)
    else:
        c = 0.0
    n = most = _hi(seg.customers)
    new_most = 0.0
    for t in range(1, horizon + 1):
        lam = float(trend(t))
        new = n * m + lam
        n = n * (1.0 + m) * (1.0 - c) + lam
        most, new_most = max(most, n), max(new_most, new)
        if not most <= MAX_CUSTOMERS:
            break
    return most, new_most


def _money_bound(seg: Segment, horizon: int, customers: float, new: float) -> float:
    arpa = _hi(seg.arpa) if seg.seats is None else _hi(seg.seats.per_account) * _hi(seg.seats.price)
    arpa = max(arpa, _hi(seg.new_arpa))
    rate = _drawn(seg, "expansion.rate", seg.expansion.rate) if seg.expansion else None
    grow = (1.0 + _hi(rate)) ** horizon
    monthly = customers * arpa * grow + new * _hi(seg.cac)
    if seg.cs is not None:
        cs = seg.cs
        if cs.accounts_per_csm is None:
            per = _hi(cs.csm_per_account)
        else:
            lo = _lo(cs.accounts_per_csm)
            per = 1.0 / lo if lo > 0 else math.inf
        monthly += customers * per * _hi(cs.csm_cost) + _hi(cs.tools)
        monthly += customers * _hi(cs.tools_per_account)
    return 12.0 * (horizon + 1) * monthly


def capacity_problems(scenario: Scenario) -> list[tuple[tuple, Problem]]:
    """``(data path, problem)`` for each segment whose customers or money could pass the stores' limits."""
    out = []
    H = scenario.horizon_months
    for i, seg in enumerate(scenario.segments):
        with _quiet():
            customers, new = _customer_bound(seg, H)
        if not customers <= MAX_CUSTOMERS:
            msg = (
                f"this segment could reach {_big(customers)} customers within {H} months "
                f"(starting customers, acquisition and churn at the ends of their ranges); at most "
                f"{MAX_CUSTOMERS:,} are allowed: lower customers or acquisition, or shorten the horizon"
            )
            out.append((("segments", i, "acquisition"), Problem(f"segments[{i}].acquisition", msg)))
            continue
        with _quiet():
            money = _money_bound(seg, H, customers, new)
        if not money <= MAX_MONEY:
            price = "arpa" if seg.seats is None else "seats"
            msg = (
                f"this segment's money (ARR and cumulative costs over {H} months) could reach "
                f"{_big(money)} {scenario.currency}; at most {MAX_MONEY:.0e} is allowed: lower "
                "the price, expansion, customers or costs"
            )
            out.append((("segments", i, price), Problem(f"segments[{i}].{price}", msg)))
    return out


def _big(x: float) -> str:
    return "more than 1e300" if not x < 1e300 else f"{x:.3g}"


class _quiet:
    """Silence float overflow while bounding (``inf`` is an answer here, not an error)."""

    def __enter__(self):
        import numpy as np

        self._old = np.seterr(all="ignore")

    def __exit__(self, *exc):
        import numpy as np

        np.seterr(**self._old)


# -- paths against memory ------------------------------------------------------------------------------

#: Most Monte Carlo paths any command takes; the Monte Carlo error at 1,000,000 paths is already 0.1% of sd.
MAX_PATHS = 1_000_000
#: Share of the free memory one result may take.
_MEMORY_SHARE = 0.5


def bytes_per_path(scenario: Scenario) -> int:
    """Memory one stored path takes: ``segments x stored metrics x (H + 1) x 4`` bytes plus its draws."""
    from .stored import STORED

    params = sum(1 for _ in scenario.parameters())
    return len(scenario.segments) * (len(STORED) * (scenario.horizon_months + 1) * 4 + params * 8)


def free_memory() -> int:
    """Bytes of memory available now (``MemAvailable`` on Linux; physical pages elsewhere)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        import os

        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 2**62  # unknown: do not refuse


def paths_fit(scenario: Scenario, memory: int | None = None) -> int:
    """How many paths of ``scenario`` fit in half the free memory (at most :data:`MAX_PATHS`)."""
    memory = free_memory() if memory is None else memory
    return max(0, min(MAX_PATHS, int(memory * _MEMORY_SHARE) // bytes_per_path(scenario)))


def paths_problem(
    scenario: Scenario, paths: int, memory: int | None = None, *, summary: bool = False
) -> Problem | None:
    """A :class:`Problem` when ``paths`` is more than :data:`MAX_PATHS` or than fits in memory.

    In summary mode only one pass of blocks is ever kept (:data:`SUMMARY_PATHS_KEPT` paths), so any
    number of paths up to :data:`MAX_PATHS` fits once that pass does.
    """
    if paths > MAX_PATHS:
        return Problem("paths", f"at most {MAX_PATHS:,} paths are allowed", paths)
    kept = min(paths, SUMMARY_PATHS_KEPT) if summary else paths
    need = kept * bytes_per_path(scenario)
    fit = paths_fit(scenario, memory)
    if kept > fit:
        return Problem(
            "paths",
            f"{paths:,} paths of this scenario need about {need / 1e9:.1f} GB; about {fit:,} fit in "
            f"the memory free now: use {fit:,} paths or fewer (the Monte Carlo error falls as "
            "1/sqrt(paths)), fewer segments or a shorter horizon",
            paths,
        )
    return None
