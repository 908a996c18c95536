"""Seeds and random streams: one helper, keyed streams, no global state.

Every random number cssim draws comes from a stream keyed by what it is for:

``SeedSequence(entropy=seed, spawn_key=(block, segment_key, purpose[, parameter_key]))``

``block`` numbers fixed-size groups of paths (:data:`BLOCK_PATHS`), so splitting the work into chunks, jobs
or Dask tasks never changes a number. ``segment_key`` is the segment's ``id`` or its position
(:meth:`cssim.model.scenario.Scenario.stream_keys`), never its name, so a renamed or translated
segment keeps its random numbers; ``parameter_key`` is the field path inside the segment
(``churn.monthly``). Keying by segment, purpose and field gives common random numbers between scenarios
that share them. These are exactly the children ``SeedSequence.spawn`` would make.
"""

from __future__ import annotations

import secrets
import zlib

import numpy as np

from .blocks import BLOCK_PATHS

__all__ = ["BLOCK_PATHS", "Streams", "resolve_seed"]


PURPOSES = {
    "parameter": 0,
    "acquisition": 1,
    "churn": 2,
    "expansion": 3,
    "contraction": 4,
    "transition": 5,  # usage states: the stayers' moves between states
    "state": 6,  # usage states: the split of new customers over the states
    "correlation": 7,  # correlations: each parameter's permutation of the scores (Iman-Conover)
}


def resolve_seed(seed: int | np.random.SeedSequence | None) -> int:
    """The integer entropy behind ``seed``; ``None`` draws fresh entropy (recorded in the result).

    A ``Generator`` is not accepted: cssim never consumes a caller's stream.
    """
    if seed is None:
        return secrets.randbits(64)
    if isinstance(seed, np.random.SeedSequence):
        if seed.spawn_key:
            raise ValueError("pass the root SeedSequence or an int seed, not a spawned child")
        return int(seed.entropy)
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise TypeError(f"seed must be an int, a SeedSequence or None, not {type(seed).__name__}")
    if seed < 0:
        raise ValueError(f"seed must be non-negative, got {seed}")
    return int(seed)


def key(text: str) -> int:
    """A stable 32-bit key for a text (a segment's stream key or a parameter's field path)."""
    return zlib.crc32(text.encode("utf-8"))


class Streams:
    """Random streams for one block of paths."""

    def __init__(self, entropy: int, block: int):
        self.entropy = entropy
        self.block = block

    def generator(
        self, segment: str, purpose: str, parameter: str | None = None
    ) -> np.random.Generator:
        spawn_key = (self.block, key(segment), PURPOSES[purpose])
        if parameter is not None:
            spawn_key += (key(parameter),)
        return np.random.Generator(
            np.random.PCG64(np.random.SeedSequence(self.entropy, spawn_key=spawn_key))
        )
