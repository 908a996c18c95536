"""A precision stop: add blocks of paths until a statistic at the horizon is known to a stated tolerance.

``simulate(scenario, precision=0.01)`` runs blocks of :data:`BLOCK_PATHS` paths until the chosen
statistic of ARR at the horizon (its mean, P10, P50, P90 or P(ARR grows)) is known within ``precision``
of itself at ``confidence``, or until ``max_paths``. The blocks are the replicates (batch means): each
block draws from its own streams, so the statistics ``s_1 .. s_B`` of the ``B`` blocks are independent
and identically distributed whatever the sampling (plain, Latin hypercube, Sobol, correlated), and

.. math:: \\hat\\theta \\pm h, \\qquad
          h = t_{B-1,\\,(1+c)/2} \\, \\frac{\\operatorname{sd}(s_1 .. s_B)}{\\sqrt{B}}

is a confidence interval for what unlimited paths would give, with ``theta`` the statistic of all the
paths together (the mean of the blocks' means; for a percentile the pooled percentile, whose bias is far
below a block's: sectioning). A formula that treats paths as independent
(``sd / sqrt(paths)``) is wrong under Latin hypercube or Sobol sampling, whose paths within a block are
not; the blocks are. The run stops when ``h <= precision |theta|`` (docs/MODEL.md, "A precision stop").
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from .blocks import BLOCK_PATHS, BLOCKS_PER_PASS
from .design import sampling_of
from .scenario import Scenario

__all__ = [
    "DEFAULT_MAX_PATHS",
    "MIN_BLOCKS",
    "STATS",
    "PrecisionStop",
    "block_statistic",
    "block_values",
    "check_precision",
    "interval",
    "simulate_to_precision",
    "statistic",
    "until_known",
]

#: The statistics of ARR at the horizon a run can be stopped on.
STATS = ("mean", "p10", "p50", "p90", "p_grows")
#: The fewest blocks a stopped run uses: below about 10 the blocks' spread is too rough an estimate.
MIN_BLOCKS = 10
#: The default cap on paths of a precision-stopped run.
DEFAULT_MAX_PATHS = 200_000
_QUANTILE = {"p10": 0.1, "p50": 0.5, "p90": 0.9}


@dataclass(frozen=True)
class PrecisionStop:
    """Why and where a precision-stopped run stopped (``result.precision_stop``).

    ``estimate`` is the statistic of all the paths and ``half_width`` the half-width of its
    ``confidence`` interval from the blocks' statistics (absolute; ``relative`` is ``half_width / |estimate|``); ``reason`` is
    ``"converged"`` (``relative <= precision``) or ``"cap"`` (``max_paths`` reached first).
    """

    stat: str
    month: int
    precision: float
    confidence: float
    estimate: float
    half_width: float
    relative: float
    blocks: int
    paths: int
    max_paths: int
    reason: str
    sampling: str

    @property
    def converged(self) -> bool:
        return self.reason == "converged"

    def to_dict(self) -> dict:
        return asdict(self)

    def __str__(self) -> str:
        why = (
            "converged"
            if self.converged
            else f"stopped at the cap of {self.max_paths:,} paths before reaching ±{self.precision:.2%}"
        )
        return (
            f"{self.stat} of ARR at month {self.month}: {self.estimate:,.6g} ± {self.half_width:,.4g} "
            f"(±{self.relative:.2%}, {self.confidence:.0%}) from {self.paths:,} paths in "
            f"{self.blocks} blocks ({self.sampling} sampling); {why}"
        )


def check_precision(precision, confidence, max_paths, stat) -> None:
    """Raise ValueError naming the first argument of a precision stop that is not allowed."""
    if (
        isinstance(precision, bool)
        or not isinstance(precision, int | float)
        or not 0 < precision < 1
    ):
        raise ValueError(
            f"precision must be a number between 0 and 1 (0.01 is 1%), got {precision!r}"
        )
    if isinstance(confidence, bool) or not isinstance(confidence, int | float):
        raise ValueError(f"confidence must be a number between 0.5 and 1, got {confidence!r}")
    if not 0.5 <= confidence < 1:
        raise ValueError(f"confidence must be a number between 0.5 and 1, got {confidence!r}")
    least = MIN_BLOCKS * BLOCK_PATHS
    if isinstance(max_paths, bool) or not isinstance(max_paths, int | np.integer):
        raise ValueError(
            f"max_paths must be a whole number of at least {least:,}, got {max_paths!r}"
        )
    if max_paths < least:
        raise ValueError(
            f"max_paths must be a whole number of at least {least:,}, got {max_paths!r}"
        )
    if stat not in STATS:
        raise ValueError(f"the statistic must be one of {', '.join(STATS)}, got {stat!r}")


def block_values(scenario: Scenario, part: dict, stat: str) -> np.ndarray:
    """What ``stat`` is computed from, per path of one block (``part`` as ``simulate_block`` returns it):
    ARR at the horizon, or for ``p_grows`` whether it is above ARR at month 0 (1 or 0)."""
    H = scenario.horizon_months
    # MRR as a result stores it (float32), so that the statistic is the result's: compared in float64,
    # a path that lost and won the same MRR would "grow" by a rounding error
    mrr = sum(
        np.asarray(part[seg]["metrics"]["mrr"], dtype=np.float32).astype(np.float64)
        for seg in scenario.segment_names
    )
    arr = 12.0 * mrr
    if stat == "p_grows":
        return (arr[:, H] > arr[:, 0]).astype(float)
    return arr[:, H]


def statistic(values: np.ndarray, stat: str) -> float:
    """``stat`` of :func:`block_values`: their mean (the mean, P(ARR grows)) or a percentile."""
    if stat in ("mean", "p_grows"):
        return float(values.mean())
    return float(np.quantile(values, _QUANTILE[stat]))


def block_statistic(scenario: Scenario, part: dict, stat: str) -> float:
    """The statistic of one block's ARR at the horizon."""
    return statistic(block_values(scenario, part, stat), stat)


def interval(stats, confidence: float) -> tuple[float, float]:
    """``(mean, half-width)`` of the Student-t interval of the blocks' statistics (batch means)."""
    from ._lazy import LazyModule

    t = LazyModule("scipy.stats").t
    s = np.asarray(stats, dtype=float)
    b = s.size
    half = float(t.ppf((1 + confidence) / 2, b - 1) * s.std(ddof=1) / math.sqrt(b))
    return float(s.mean()), half


def until_known(
    run, stat: str, precision: float, confidence: float, cap: int
) -> tuple[float, float, int, bool]:
    """The stop rule: ``(estimate, half-width, blocks, converged)``.

    ``run(todo)`` simulates the blocks ``[(block, size), ...]`` and returns each one's
    :func:`block_values`, in order. The estimate is the statistic of all the paths together (for a
    percentile the pooled one, whose bias is far below a block's); the half-width is the Student-t
    interval of the blocks' own statistics (sectioning: the blocks are the replicates).
    """
    per_block: list[float] = []
    pooled: list[np.ndarray] = []
    target = min(MIN_BLOCKS, cap)
    while True:
        for values in run([(b, BLOCK_PATHS) for b in range(len(per_block), target)]):
            per_block.append(statistic(values, stat))
            pooled.append(values)
        estimate = statistic(np.concatenate(pooled), stat)
        half = interval(per_block, confidence)[1]
        converged = half <= precision * abs(estimate)
        if converged or len(per_block) >= cap:
            return estimate, half, len(per_block), converged
        target = _next_blocks(len(per_block), estimate, half, precision, cap)


def _next_blocks(done: int, estimate: float, half: float, precision: float, cap: int) -> int:
    """How many blocks to have next: what the current spread says is needed, plus 10%, at most double,
    in whole passes, at most the cap."""
    goal = precision * abs(estimate)
    need = done * 2 if goal == 0 else math.ceil(1.1 * done * (half / goal) ** 2)
    want = min(max(need, done + 1), 2 * done)
    want = math.ceil(want / BLOCKS_PER_PASS) * BLOCKS_PER_PASS
    return min(want, cap)


def simulate_to_precision(
    run_pass,
    scenario: Scenario,
    entropy: int,
    precision: float,
    *,
    confidence: float = 0.95,
    max_paths: int = DEFAULT_MAX_PATHS,
    stat: str = "mean",
    executor=None,
    summary: bool = False,
    progress: bool = False,
):
    """Simulate blocks of :data:`BLOCK_PATHS` paths until ``stat`` of ARR at the horizon is known
    within ``precision`` (relative) at ``confidence``, or ``max_paths`` (rounded down to whole blocks).

    ``run_pass(scenario, entropy, plan, summary, stat)`` simulates a pass of blocks
    (:func:`cssim.model.engine.precision_pass`, a picklable task for any executor), each with the
    values its statistic is computed from.

    Returns the result of all the paths run, a :class:`SimulationResult` (or :class:`SummaryResult`
    with ``summary``) with ``precision_stop`` set: :class:`PrecisionStop`. The first ``N`` paths are those
    of an ``N``-path run with the same seed.
    """
    check_precision(precision, confidence, max_paths, stat)
    cap = max(MIN_BLOCKS, int(max_paths) // BLOCK_PATHS)
    parts: list = []
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(desc=scenario.name[:30], unit="block")

    def run(todo):
        groups = [todo[i : i + BLOCKS_PER_PASS] for i in range(0, len(todo), BLOCKS_PER_PASS)]
        if executor is None:
            done = (run_pass(scenario, entropy, g, summary, stat) for g in groups)
        else:
            futures = [
                executor.submit(run_pass, scenario, entropy, g, summary, stat) for g in groups
            ]
            done = (f.result() for f in futures)
        for results in done:
            for part, values in results:
                parts.append(part)
                yield values
            if bar is not None:
                bar.update(len(results))

    estimate, half, blocks_run, converged = until_known(run, stat, precision, confidence, cap)
    if bar is not None:
        bar.close()
    paths = blocks_run * BLOCK_PATHS
    if summary:
        from .sketch import DEFAULT_ALPHA
        from .summary import SummaryResult

        result = SummaryResult.from_blocks(scenario, entropy, paths, iter(parts), DEFAULT_ALPHA)
    else:
        from .blocks import blocks
        from .result import SimulationResult

        result = SimulationResult.from_blocks(scenario, entropy, paths, blocks(paths), parts)
    result.precision_stop = PrecisionStop(
        stat=stat,
        month=scenario.horizon_months,
        precision=float(precision),
        confidence=float(confidence),
        estimate=estimate,
        half_width=half,
        relative=half / abs(estimate) if estimate else math.inf,
        blocks=blocks_run,
        paths=paths,
        max_paths=cap * BLOCK_PATHS,
        reason="converged" if converged else "cap",
        sampling=sampling_of(scenario),
    )
    return result
