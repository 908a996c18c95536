"""How paths are split into blocks (no numpy here: validation reads these without loading it).

Every path belongs to one block of :data:`BLOCK_PATHS`, the unit of randomness that is never split; a
local run simulates :data:`BLOCKS_PER_PASS` blocks together in one vectorised pass, so a summary-mode
run keeps at most :data:`SUMMARY_PATHS_KEPT` paths at once.
"""

from __future__ import annotations

__all__ = ["BLOCKS_PER_PASS", "BLOCK_PATHS", "SUMMARY_PATHS_KEPT", "blocks"]

#: Paths per randomness block: the unit that is never split.
BLOCK_PATHS = 1000
#: Blocks simulated together in one vectorised pass by a local run (bounded memory, fewer numpy calls).
BLOCKS_PER_PASS = 10
#: Paths a summary-mode run keeps at once in one process: one pass of blocks, each then reduced to
#: mergeable statistics.
SUMMARY_PATHS_KEPT = BLOCKS_PER_PASS * BLOCK_PATHS


def blocks(paths: int) -> list[tuple[int, int, int]]:
    """``(block, first_path, size)`` for a run of ``paths`` paths."""
    out = []
    for b, first in enumerate(range(0, paths, BLOCK_PATHS)):
        out.append((b, first, min(BLOCK_PATHS, paths - first)))
    return out
