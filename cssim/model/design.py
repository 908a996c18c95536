"""The uncertain parameters' uniforms for a block of paths: plain, Latin hypercube or Sobol, then correlated.

Every uncertain parameter (:meth:`Scenario.uncertain`) is drawn once per path as ``dist.ppf(u)``; this
module makes the ``u`` of one block of :data:`BLOCK_PATHS` paths, always from streams keyed by the block,
the segment's stream key and the parameter's field path, so common random numbers, chunks, jobs and Dask
see the same numbers (docs/MODEL.md, "Sampling"):

- ``random`` (the default): ``u`` is the parameter's stream's first uniforms, as it always was;
- ``lhs``: Latin hypercube per parameter per block, ``u_i = (pi_i + v_i) / n``, ``pi`` a random
  permutation of ``0 .. n-1`` and ``v`` uniform jitter, both from the parameter's own stream;
- ``sobol``: scrambled Sobol points, one dimension per uncertain parameter in :meth:`Scenario.uncertain`
  order; dimension j takes column j of ``scipy.stats.qmc.Sobol(j + 1, scramble=True)`` seeded from the
  parameter's own stream (its linear matrix scramble and digital shift are that parameter's alone).

A stratified design is made for the whole block of :data:`BLOCK_PATHS` paths and a shorter last block
takes its first rows, so the first 1,000 paths of any run are a 1,000-path run. Then the scenario's
``correlations`` reorder each block's draws (:func:`cssim.model.correlation.impose`). Process noise (who
churns, how many join) is never stratified.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Literal, get_args

import numpy as np

from ._lazy import LazyModule
from .blocks import BLOCK_PATHS
from .correlation import correlation_plan, impose
from .fields import walk

if TYPE_CHECKING:  # pragma: no cover
    from .randomness import Streams
    from .scenario import Scenario

__all__ = [
    "SAMPLING",
    "ParameterDraws",
    "Sampling",
    "sampling_of",
    "stream_field",
    "uncertain_fields",
    "with_sampling",
]

qmc = LazyModule("scipy.stats.qmc")

#: How a scenario's uncertain parameters are sampled.
Sampling = Literal["random", "lhs", "sobol"]
SAMPLING: tuple[str, ...] = get_args(Sampling)


def sampling_of(scenario: Scenario) -> str:
    """The scenario's sampling method (``random`` when it gives none)."""
    return scenario.sampling or "random"


def with_sampling(scenario: Scenario, sampling: str | None) -> Scenario:
    """``scenario`` sampled by ``sampling`` (None keeps its own): a flag wins over the file."""
    if sampling is None or sampling == sampling_of(scenario):
        return scenario
    if sampling not in SAMPLING:
        raise ValueError(f"sampling must be one of {', '.join(SAMPLING)}, got {sampling!r}")
    return scenario.model_copy(update={"sampling": sampling})


def stream_field(segment, field: str) -> str:
    """The field path that keys a parameter's stream: as written, except that a transition between
    usage states names the states by position (``health.transitions.1.2``), so a scenario whose states
    are renamed or translated draws the same numbers."""
    parts = field.split(".")
    if segment.health is not None and parts[:2] == ["health", "transitions"] and len(parts) == 4:
        names = segment.health.names
        return f"health.transitions.{names.index(parts[2])}.{names.index(parts[3])}"
    return field


def uncertain_fields(scenario: Scenario) -> list[tuple[str, int, str]]:
    """``(path, segment index, field path inside the segment)`` of every uncertain parameter, in
    :meth:`Scenario.uncertain` order."""
    where = {}
    for i, seg in enumerate(scenario.segments):
        for path, _ in walk(seg, seg.name):
            where.setdefault(path, (i, stream_field(seg, path[len(seg.name) + 1 :])))
    return [(path, *where[path]) for path in scenario.uncertain()]


def _lhs(rng: np.random.Generator, n: int) -> np.ndarray:
    u = (rng.permutation(n) + rng.random(n)) / n
    return np.minimum(u, 1.0 - 2.0**-53)  # (n - 1 + v) / n may round up to 1


def _sobol(rng: np.random.Generator, dim: int, n: int) -> np.ndarray:
    m = max(int(np.ceil(np.log2(n))), 0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pts = qmc.Sobol(dim + 1, scramble=True, seed=rng).random_base2(m)
    return pts[:n, dim]


class ParameterDraws:
    """The uniforms of every uncertain parameter for the blocks of one pass.

    ``for_segment(i, segment)`` is the ``uniform(path)`` that
    :func:`cssim.model.engine.segment_parameters` takes for segment ``i``: the parameter's uniforms for
    every block of the pass, concatenated in block order.
    """

    def __init__(self, scenario: Scenario, streams: list[Streams], sizes: list[int]):
        self._streams, self._sizes = streams, sizes
        self.sampling = sampling_of(scenario)
        self.plan = correlation_plan(scenario)
        self._keys = scenario.stream_keys()
        self._fields = uncertain_fields(scenario)
        self._made: dict[str, np.ndarray] | None = None
        if self.sampling != "random" or self.plan is not None:
            self._made = self._design()

    def _design(self) -> dict[str, np.ndarray]:
        """Every uncertain parameter's uniforms, stratified and correlated block by block."""
        parts: dict[str, list[np.ndarray]] = {p: [] for p, _, _ in self._fields}
        for s, size in zip(self._streams, self._sizes, strict=True):
            n = BLOCK_PATHS if size <= BLOCK_PATHS else size
            block = {}
            for dim, (path, seg, field) in enumerate(self._fields):
                rng = s.generator(self._keys[seg], "parameter", field)
                if self.sampling == "lhs":
                    block[path] = _lhs(rng, n)
                elif self.sampling == "sobol":
                    block[path] = _sobol(rng, dim, n)
                else:
                    block[path] = rng.random(n)
            if self.plan is not None:
                where = {p: (seg, field) for p, seg, field in self._fields}
                perms = np.stack(
                    [
                        s.generator(
                            self._keys[where[p][0]], "correlation", where[p][1]
                        ).permutation(n)
                        for p in self.plan.names
                    ]
                )
                u = impose(np.stack([block[p] for p in self.plan.names], axis=1), self.plan, perms)
                for j, p in enumerate(self.plan.names):
                    block[p] = u[:, j]
            for path, u in block.items():
                parts[path].append(u[:size])
        return {p: np.concatenate(v) for p, v in parts.items()}

    def for_segment(self, index: int, segment) -> Callable[[str], np.ndarray]:
        """``uniform(path)`` for segment ``index`` (paths ``<name>.churn.monthly``)."""
        prefix = segment.name + "."
        key = self._keys[index]

        def uniform(path: str) -> np.ndarray:
            if self._made is not None:
                return self._made[path]
            field = stream_field(segment, path[len(prefix) :] if path.startswith(prefix) else path)
            return np.concatenate(
                [
                    s.generator(key, "parameter", field).random(n)
                    for s, n in zip(self._streams, self._sizes, strict=True)
                ]
            )

        return uniform
