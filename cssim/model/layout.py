"""Which joining-month cohorts a segment keeps apart, and where the rest are merged (cohort buckets).

Joining-month cohorts stay apart only while their hazard or a metric needs them (onboarding months, the
12 months trailing NRR/GRR need, every tenure for shifted-beta-geometric churn, renewal months for annual
contracts); the rest merge into one bucket per joining year, which is exact for customer counts because
a sum of independent binomials with the same probability is binomial (docs/MODEL.md, "Cohort buckets").
The layout depends on the scenario's structure only, never on a parameter's value, so the uniforms a
month draws sit in the same places for every scenario of that structure (common random numbers).
"""

from __future__ import annotations

import functools
from itertools import pairwise

import numpy as np

from .segment import Segment

__all__ = ["churn_kind", "layout"]

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
