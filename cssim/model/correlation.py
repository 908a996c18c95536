"""Rank correlations between uncertain parameters: checked, repaired if asked, imposed by reordering.

A scenario may say ``correlations:``, a list of ``{a: PARAM, b: PARAM, rho: R}``: PARAM an uncertain
parameter as :meth:`Scenario.uncertain` names it (``SMB.churn.monthly``), ``R`` a Spearman rank
correlation. Pairs not listed are uncorrelated. The matrix ``C`` of the listed parameters must be
positive semi-definite; an inconsistent one is refused naming the first pair (in file order) that breaks
it, with the closest consistent matrix (Higham's nearest correlation matrix, :func:`nearest_correlation`),
or used as repaired with ``correlations_repair: true``.

The draws are reordered per block of paths (Iman and Conover, 1982; :func:`impose`): each parameter keeps
its own draws (a permutation of them), so its marginal is untouched, and their ranks follow van der
Waerden scores ``Phi^{-1}(i / (n + 1))`` whose sample correlation is made exactly

.. math:: P = 2 \\sin(\\pi C / 6),

the Pearson correlation of a normal pair whose Spearman correlation is ``C`` (docs/MODEL.md,
"Correlated parameters").
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Annotated

import numpy as np
from pydantic import Field, model_validator

from .errors import Problem
from .fields import _Model

if TYPE_CHECKING:  # pragma: no cover
    from .scenario import Scenario

__all__ = [
    "Correlation",
    "CorrelationPlan",
    "correlation_plan",
    "correlation_problems",
    "impose",
    "nearest_correlation",
    "normal_copula",
]

#: A matrix whose smallest eigenvalue is above -EIG_TOL is taken as positive semi-definite.
EIG_TOL = 1e-9


class Correlation(_Model):
    """One pair: the Spearman rank correlation ``rho`` of uncertain parameters ``a`` and ``b``."""

    a: str = Field(min_length=1, max_length=300)
    b: str = Field(min_length=1, max_length=300)
    rho: Annotated[float, Field(ge=-1, le=1, strict=True, allow_inf_nan=False)]

    @model_validator(mode="after")
    def _two(self):
        if self.a == self.b:
            raise ValueError(
                f"a and b must be two different parameters, got {self.a} twice (a parameter's "
                "correlation with itself is 1)"
            )
        return self


# -- checking --------------------------------------------------------------------------------------


def _uncertain_fields(scenario: Scenario) -> tuple[dict, set[str], dict]:
    """``(uncertain paths, paths a joint draws, every numeric parameter's value by path)``."""
    from .fields import walk

    joint, values = set(), {}
    for seg in scenario.segments:
        names = set(seg.joint.parameters) if seg.joint is not None else set()
        for path, value in walk(seg, seg.name):
            values[path] = value
            if path[len(seg.name) + 1 :] in names:
                joint.add(path)
    return scenario.uncertain(), joint, values


def _name_problem(name: str, uncertain: dict, joint: set, values: dict) -> None:
    """Raise ValueError when ``name`` is not an uncertain parameter a correlation may name."""
    if name in joint:
        raise ValueError(
            f"{name} is drawn by its segment's joint, whose covariance already sets how it moves "
            "with the joint's other parameters: a rank correlation on top would be mixed into the "
            "joint's draw and not hold; leave it out of correlations, or out of the joint"
        )
    if name in uncertain:
        return
    if name in values:
        raise ValueError(
            f"{name} is a fixed number ({values[name]:g}), not uncertain: give it a distribution "
            "or a [low, high] range to correlate it"
        )
    names = ", ".join(p for p in uncertain if p not in joint) or "none"
    raise ValueError(f"{name} is not an uncertain parameter of this scenario; they are: {names}")


def _min_eig(m: np.ndarray) -> float:
    return float(np.linalg.eigvalsh(m)[0])


def _feasible(m: np.ndarray, i: int, j: int, rho: float) -> float:
    """The value nearest ``rho`` that entry (i, j) can take with the rest of ``m`` (PSD at 0) fixed.

    The smallest eigenvalue is concave in the entry, so the values that keep ``m`` positive
    semi-definite form an interval around 0; bisection finds its end on ``rho``'s side.
    """
    lo, hi = 0.0, rho
    for _ in range(60):
        mid = (lo + hi) / 2
        trial = m.copy()
        trial[i, j] = trial[j, i] = mid
        if _min_eig(trial) >= -EIG_TOL:
            lo = mid
        else:
            hi = mid
    return lo


def _pairs_text(names: list[str], m: np.ndarray) -> str:
    """``a ~ b 0.612, c ~ d -0.300``: every pair of ``m`` that is not 0, as a correlation list reads."""
    out = []
    for i in range(len(names)):
        for j in range(i + 1, len(names)):
            if m[i, j] != 0:
                out.append(f"{names[i]} ~ {names[j]} {m[i, j]:.3f}")
    return ", ".join(out) or "none"


def correlation_problems(scenario: Scenario) -> list[tuple[tuple, Problem]]:
    """``(data path, problem)`` for each correlation that cannot be used (names, pairs, consistency)."""
    pairs = scenario.correlations or []
    if not pairs:
        return []
    uncertain, joint, values = _uncertain_fields(scenario)
    out: list[tuple[tuple, Problem]] = []
    seen: dict[frozenset, int] = {}
    for k, c in enumerate(pairs):
        for field in ("a", "b"):
            name = getattr(c, field)
            try:
                _name_problem(name, uncertain, joint, values)
            except ValueError as e:
                out.append(
                    (
                        ("correlations", k, field),
                        Problem(f"correlations[{k}].{field}", str(e), name),
                    )
                )
        pair = frozenset((c.a, c.b))
        if pair in seen:
            try:
                _twice(c, seen[pair])
            except ValueError as e:
                out.append((("correlations", k), Problem(f"correlations[{k}]", str(e))))
        seen.setdefault(pair, k)
    if out or scenario.correlations_repair:
        return out
    names, matrix = asked_matrix(scenario)
    broken = _breaking_pair(names, pairs)
    if broken is not None:
        k, limit = broken
        c = pairs[k]
        try:
            _inconsistent(c, limit, _pairs_text(names, repaired(matrix)))
        except ValueError as e:
            out.append(
                (("correlations", k, "rho"), Problem(f"correlations[{k}].rho", str(e), c.rho))
            )
    return out


def _twice(c: Correlation, first: int) -> None:
    raise ValueError(
        f"the pair {c.a} and {c.b} is already given in correlations[{first}]; give each pair once"
    )


def _inconsistent(c: Correlation, limit: float, closest: str) -> None:
    raise ValueError(
        (
            f"with the pairs listed before it, {c.a} and {c.b} can have a rho of at most {limit:.3f}"
            if c.rho > 0
            else f"with the pairs listed before it, {c.a} and {c.b} can have a rho of at least "
            f"{limit:.3f}"
        )
        + ": the correlations are not consistent (their matrix is not positive semi-definite); "
        f"the closest consistent correlations are {closest}: write those, or set "
        "correlations_repair: true to have cssim use them"
    )


def _breaking_pair(names: list[str], pairs) -> tuple[int, float] | None:
    """The first pair (in file order) after which the matrix is no longer PSD, with the nearest value
    that pair could take given the pairs before it."""
    index = {n: i for i, n in enumerate(names)}
    m = np.eye(len(names))
    for k, c in enumerate(pairs):
        i, j = index[c.a], index[c.b]
        trial = m.copy()
        trial[i, j] = trial[j, i] = c.rho
        if _min_eig(trial) < -EIG_TOL:
            return k, _feasible(m, i, j, c.rho)
        m = trial
    return None


# -- the matrix ------------------------------------------------------------------------------------


def asked_matrix(scenario: Scenario) -> tuple[list[str], np.ndarray]:
    """The parameters the correlations name, in :meth:`Scenario.uncertain` order, and their Spearman
    matrix as asked (1 on the diagonal, 0 where no pair is given)."""
    pairs = scenario.correlations or []
    named = {c.a for c in pairs} | {c.b for c in pairs}
    names = [p for p in scenario.uncertain() if p in named]
    index = {n: i for i, n in enumerate(names)}
    m = np.eye(len(names))
    for c in pairs:
        m[index[c.a], index[c.b]] = m[index[c.b], index[c.a]] = c.rho
    return names, m


def nearest_correlation(
    a: np.ndarray, floor: float = 0.0, tol: float = 1e-12, max_iter: int = 10_000
) -> np.ndarray:
    """Higham's (2002) nearest correlation matrix to symmetric ``a`` in the Frobenius norm.

    Alternating projections with Dykstra's correction between the matrices with eigenvalues at least
    ``floor`` (``P_S(X) = V max(Lambda, floor) V'``) and those with a unit diagonal (``P_U``):
    ``R = Y - dS``, ``X = P_S(R)``, ``dS = X - R``, ``Y = P_U(X)``, until ``Y`` stops moving.
    """
    y = np.array(a, dtype=float)
    ds = np.zeros_like(y)
    for _ in range(max_iter):
        r = y - ds
        w, v = np.linalg.eigh((r + r.T) / 2)
        x = (v * np.maximum(w, floor)) @ v.T
        ds = x - r
        new = x.copy()
        np.fill_diagonal(new, 1.0)
        done = np.linalg.norm(new - y) <= tol * max(np.linalg.norm(new), 1.0)
        y = new
        if done:
            break
    return (y + y.T) / 2


def _sine(c: np.ndarray) -> np.ndarray:
    """``P = 2 sin(pi C / 6)``: the Pearson correlation of normal scores whose Spearman one is ``C``."""
    p = 2.0 * np.sin(np.pi * c / 6.0)
    np.fill_diagonal(p, 1.0)
    return p


def repaired(a: np.ndarray) -> np.ndarray:
    """The closest consistent correlation matrix to ``a``, rounded to 3 decimals as it is printed.

    The eigenvalue floor grows until the rounded matrix and its normal scores' matrix (:func:`_sine`,
    which moves every entry away from 0) are both positive semi-definite, so the repaired matrix is the
    one the reordering reaches.
    """
    if _min_eig(a) >= -EIG_TOL:
        return a
    for floor in (1e-4, 1e-3, 3e-3, 1e-2, 2e-2, 5e-2, 1e-1, 2e-1):
        m = np.round(nearest_correlation(a, floor), 3)
        np.fill_diagonal(m, 1.0)
        if _min_eig(m) >= -EIG_TOL and _min_eig(_sine(m)) >= -EIG_TOL:
            return m
    return np.eye(len(a))  # pragma: no cover - the identity is always consistent


class CorrelationPlan:
    """What the engine imposes: the parameters (in :meth:`Scenario.uncertain` order), the Spearman
    matrix used (repaired if asked), whether it was repaired, and a square root ``L`` of the normal
    scores' target ``P = 2 sin(pi C / 6)`` (``L L' = P``)."""

    def __init__(self, names: list[str], asked: np.ndarray, used: np.ndarray):
        self.names = names
        self.asked = asked
        self.spearman = used
        self.repaired = not np.array_equal(asked, used)
        p = _sine(used)
        if _min_eig(p) < -EIG_TOL:  # rare: the sine map leaves a boundary matrix just outside
            p = nearest_correlation(p)
        w, v = np.linalg.eigh(p)
        self.pearson = p
        self.root = v * np.sqrt(np.maximum(w, 0.0))


@functools.lru_cache(maxsize=64)
def _plan(names: tuple[str, ...], entries: tuple[float, ...], repair: bool) -> CorrelationPlan:
    k = len(names)
    asked = np.array(entries, dtype=float).reshape(k, k)
    return CorrelationPlan(list(names), asked, repaired(asked) if repair else asked)


def correlation_plan(scenario: Scenario) -> CorrelationPlan | None:
    """The correlations the engine imposes on ``scenario``'s draws, or None when it has none."""
    if not scenario.correlations:
        return None
    names, asked = asked_matrix(scenario)
    return _plan(tuple(names), tuple(asked.ravel().tolist()), bool(scenario.correlations_repair))


# -- imposing --------------------------------------------------------------------------------------


def van_der_waerden(n: int) -> np.ndarray:
    """The scores ``Phi^{-1}(i / (n + 1))``, i = 1..n."""
    from ._lazy import scipy_special as special

    return special.ndtri(np.arange(1, n + 1) / (n + 1.0))


def impose(u: np.ndarray, plan: CorrelationPlan, permutations: np.ndarray) -> np.ndarray:
    """Iman-Conover: reorder each column of ``u`` (n, k) so their ranks carry the plan's correlations.

    ``permutations`` (k, n) are each parameter's own random permutation of the scores (from its own
    stream, so a block's reordering never depends on how the work is split). With ``R`` the permuted
    van der Waerden scores, ``T = Q Q'`` their sample correlation and ``P = L L'`` the target,
    ``R* = R (Q^{-1})' L'`` has sample correlation exactly ``P``; column j of the result is ``u_j``
    sorted and laid out in the ranks of ``R*_j``. Every column is a permutation of its own values.
    """
    n, k = u.shape
    scores = van_der_waerden(n)[permutations.T]  # (n, k)
    t = np.corrcoef(scores, rowvar=False)
    q = np.linalg.cholesky(t)
    target = scores @ np.linalg.inv(q).T @ plan.root.T
    out = np.empty_like(u)
    for j in range(k):
        ranks = np.empty(n, dtype=np.intp)
        ranks[np.argsort(target[:, j], kind="stable")] = np.arange(n)
        out[:, j] = np.sort(u[:, j])[ranks]
    return out


def normal_copula(columns: dict[str, np.ndarray], plan: CorrelationPlan) -> dict[str, np.ndarray]:
    """Grid uniforms with the plan's rank correlations through a normal copula: ``u' = Phi(L z)``,
    ``z = Phi^{-1}(u)`` (what the reordering converges to; :func:`cssim.expected` integrates on it)."""
    from ._lazy import scipy_special as special

    z = np.stack([special.ndtri(columns[n]) for n in plan.names])
    y = plan.root @ z
    out = dict(columns)
    for i, n in enumerate(plan.names):
        out[n] = special.ndtr(y[i])
    return out


def spearman(x: np.ndarray) -> np.ndarray:
    """The Spearman rank correlation matrix of the columns of ``x`` (n, k), no ties assumed."""
    ranks = np.argsort(np.argsort(x, axis=0, kind="stable"), axis=0, kind="stable")
    return np.corrcoef(ranks, rowvar=False) if x.shape[1] > 1 else np.ones((1, 1))
