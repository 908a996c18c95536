"""A health segment's parameters as arrays over paths: the states' multipliers and shares, the monthly
transition matrix at a coverage, and the coverage itself (docs/MODEL.md, "Customer health and the CS
response").

Both the Monte Carlo engine (:mod:`cssim.model.states`) and the expected path
(:mod:`cssim.model.health_expected`) read a segment's health through :class:`HealthArrays`, so the two
agree on what the numbers mean while drawing (or not drawing) in their own ways:

- shares (``start``, ``new``) and every row of the transition matrix are renormalised per path, so an
  uncertain entry keeps its row a probability distribution;
- in a row that a CS response moves, the entries given are weights scaled to ``1 - sum_k p_k(h_t)`` and
  each response ``k`` adds ``p_k(h_t) = max - (max - none) 2^(-h_t / half_effect_hours)`` to its entry;
- coverage ``h_t = CSMs_t x hours_per_csm / customers at the start of month t`` (``hours_per_csm /
  accounts_per_csm`` when the team grows with the base; ``csm_per_account x hours_per_csm``; 0 without
  CS; infinite when there is no customer to spread the CSMs over).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .arrays import col
from .health import HOURS_PER_CSM, response_probability
from .segment import Segment

__all__ = ["HealthArrays", "csms_at", "hours_per_csm"]


def hours_per_csm(segment: Segment, params: dict, paths: int) -> np.ndarray:
    """Customer-facing hours a CSM has a month, per path."""
    return col(params.get("cs.hours_per_csm", HOURS_PER_CSM), paths)


def csms_at(segment: Segment, params: dict, month: int, paths: int) -> np.ndarray | None:
    """A fixed headcount's CSMs in ``month`` (``csms`` plus the hires from a month up to it), per path;
    None when the team is not a fixed headcount."""
    cs = segment.cs
    if cs is None or cs.csms is None:
        return None
    total = col(params["cs.csms"], paths).copy()
    for i, hire in enumerate(cs.hires or []):
        if hire.month <= month:
            total = total + col(params[f"cs.hires[{i}].csms"], paths)
    return total


def _normalised(x: np.ndarray, axis: int) -> np.ndarray:
    """``x`` divided by its sum along ``axis`` (rows that sum to 0 stay 0)."""
    total = x.sum(axis=axis, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, x / np.where(total > 0, total, 1.0), 0.0)


@dataclass
class HealthArrays:
    """One health segment's parameters over ``paths``.

    Attributes
    ----------
    names : list of str
        The states, in the scenario's order.
    churn, expansion, contraction : ndarray (S, paths)
        The states' multipliers.
    start, new : ndarray (S, paths)
        The shares of today's and of new customers, summing to 1 over the states.
    weights : ndarray (S, S, paths)
        ``P[i][j]`` as given, each row normalised to sum to 1 (0 where not given).
    responses : list of (i, j, none, max, half)
        The CS responses, states by index, parameters as arrays over paths.
    """

    segment: Segment
    params: dict
    paths: int
    names: list[str]
    churn: np.ndarray
    expansion: np.ndarray
    contraction: np.ndarray
    start: np.ndarray
    new: np.ndarray
    weights: np.ndarray
    responses: list[tuple[int, int, np.ndarray, np.ndarray, np.ndarray]]

    @classmethod
    def of(cls, segment: Segment, params: dict, paths: int) -> HealthArrays:
        """Read ``segment.health`` from its drawn ``params`` (``health.states[i].churn_multiplier``,
        ``health.transitions.<from>.<to>``, ``cs.response[k].max``, ...)."""
        h = segment.health
        names = h.names
        S = len(names)

        def state(i: int, field: str) -> np.ndarray:
            return col(params[f"health.states[{i}].{field}"], paths)

        stack = {
            f: np.stack([state(i, f) for i in range(S)])
            for f in (
                "churn_multiplier",
                "expansion_multiplier",
                "contraction_multiplier",
                "start",
                "new",
            )
        }
        W = np.zeros((S, S, paths))
        for a, row in h.transitions.items():
            i = names.index(a)
            for b in row:
                W[i, names.index(b)] = col(params[f"health.transitions.{a}.{b}"], paths)
        responses = []
        for k, r in enumerate((segment.cs.response or []) if segment.cs else []):
            responses.append(
                (
                    names.index(r.from_),
                    names.index(r.to),
                    col(params[f"cs.response[{k}].none"], paths),
                    col(params[f"cs.response[{k}].max"], paths),
                    col(params[f"cs.response[{k}].half_effect_hours"], paths),
                )
            )
        return cls(
            segment,
            params,
            paths,
            names,
            stack["churn_multiplier"],
            stack["expansion_multiplier"],
            stack["contraction_multiplier"],
            _normalised(stack["start"], 0),
            _normalised(stack["new"], 0),
            _normalised(W, 1),
            responses,
        )

    @property
    def states(self) -> int:
        return len(self.names)

    def coverage(self, month: int, start_customers: np.ndarray) -> np.ndarray:
        """CS hours per account in ``month``: ``CSMs_t x hours_per_csm / customers at its start``."""
        seg, p, paths = self.segment, self.params, self.paths
        cs = seg.cs
        if cs is None:
            return np.zeros(paths)
        hours = hours_per_csm(seg, p, paths)
        if cs.accounts_per_csm is not None:
            return hours / col(p["cs.accounts_per_csm"], paths)
        if cs.csm_per_account is not None:
            return hours * col(p["cs.csm_per_account"], paths)
        csms = csms_at(seg, p, month, paths)
        if csms is None:
            return np.zeros(paths)
        start = np.asarray(start_customers, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(start > 0, csms * hours / np.where(start > 0, start, 1.0), np.inf)

    def matrix(self, coverage: np.ndarray) -> np.ndarray:
        """The transition matrix at ``coverage`` per path, ``(S, S, paths)``: rows sum to 1."""
        P = self.weights.copy()
        moved: dict[int, np.ndarray] = {}
        lifts = []
        for i, j, none, top, half in self.responses:
            p = response_probability(coverage, none, top, half)
            moved[i] = moved.get(i, 0.0) + p
            lifts.append((i, j, p))
        for i, total in moved.items():
            P[i] *= np.clip(1.0 - total, 0.0, 1.0)[None, :]
        for i, j, p in lifts:
            P[i, j] += p
        return P
