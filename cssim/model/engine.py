"""The Monte Carlo engine: blocks of paths, each on its own random streams, simulated a pass at a time.

A run is split into blocks of :data:`BLOCK_PATHS` paths (the unit of randomness that is never split); a
pass simulates several blocks together, every segment's customers in cohort buckets
(:mod:`cssim.model.buckets`, laid out by :mod:`cssim.model.layout`), month by month, vectorised over
paths; each block draws from its own streams (:class:`_BlockDraws`), so the numbers of a path never depend
on how the work is split into passes, processes or Dask tasks. The per-cohort engine
(:mod:`cssim.model.reference`) is the reference the tests compare against:
``simulate_block(..., bucketed=False)``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from . import sampling
from .blocks import BLOCKS_PER_PASS, blocks
from .buckets import Buckets
from .design import ParameterDraws, with_sampling
from .distributions import _Dist
from .errors import ScenarioError
from .fields import walk
from .limits import paths_problem
from .randomness import Streams, resolve_seed
from .reference import Cohorts, Draws
from .scenario import Scenario
from .segment import Segment
from .states import StateBuckets

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


class _BlockDraws:
    """Uniforms for several blocks of paths at once: block b's rows come from block b's own streams."""

    expected = False

    def __init__(
        self, streams: list[Streams], segment: str, rows: list[slice], extra: tuple[str, ...] = ()
    ):
        self._rng = {
            p: [s.generator(segment, p) for s in streams]
            for p in ("acquisition", "churn", "expansion", "contraction", *extra)
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
    # every segment's parameters at once: correlations reorder them across segments
    design = ParameterDraws(scenario, streams, sizes)
    for i, (key, seg) in enumerate(zip(scenario.stream_keys(), scenario.segments, strict=True)):
        params = segment_parameters(seg, design.for_segment(i, seg))
        if seg.health is not None:
            if not bucketed:
                raise ValueError("the per-cohort reference engine does not model usage states")
            draws = _BlockDraws(streams, key, rows, StateBuckets.PURPOSES)
            state = StateBuckets(seg, params, H, paths, draws, starts)
        elif bucketed:
            state = Buckets(seg, params, H, paths, _BlockDraws(streams, key, rows), starts)
        else:
            if len(plan) != 1:
                raise ValueError("the per-cohort reference engine runs one block at a time")
            state = Cohorts(seg, params, H, paths, Draws(streams[0], key))
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


def simulate(
    scenario: Scenario,
    paths: int = 10_000,
    seed: int | np.random.SeedSequence | None = 42,
    *,
    progress: bool = False,
    executor=None,
    summary: bool = False,
    sampling: str | None = None,
    precision: float | None = None,
    confidence: float = 0.95,
    max_paths: int | None = None,
    precision_stat: str = "mean",
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
    sampling : "random", "lhs", "sobol" or None
        How the uncertain parameters are drawn (:mod:`cssim.model.design`); None keeps the scenario's
        ``sampling`` (``random`` when it gives none). Process noise is always plain Monte Carlo.
    precision, confidence, max_paths, precision_stat
        With ``precision`` (0.01 is 1%), ``paths`` is not used: blocks are added until
        ``precision_stat`` of ARR at the horizon (``mean``, ``p10``, ``p50``, ``p90`` or ``p_grows``) is
        known within ``precision`` of itself at ``confidence``, estimated from the blocks as replicates,
        or until ``max_paths`` (default 200,000); ``result.precision_stop`` says where and why it stopped
        (:mod:`cssim.model.precision`).

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
    scenario = with_sampling(scenario, sampling)
    if precision is not None:
        from . import precision as stop

        max_paths = stop.DEFAULT_MAX_PATHS if max_paths is None else max_paths
        stop.check_precision(precision, confidence, max_paths, precision_stat)
        paths = max_paths
    too_many = paths_problem(scenario, int(paths), summary=summary)
    if too_many is not None:  # refused before any memory is taken
        raise ScenarioError(scenario.name, [too_many])
    entropy = resolve_seed(seed)
    if precision is not None:
        return stop.simulate_to_precision(
            precision_pass,
            scenario,
            entropy,
            precision,
            confidence=confidence,
            max_paths=max_paths,
            stat=precision_stat,
            executor=executor,
            summary=summary,
            progress=progress,
        )
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


def precision_pass(
    scenario: Scenario, entropy: int, plan: list[tuple[int, int]], summary: bool, stat: str
) -> list[tuple[dict, np.ndarray]]:
    """Blocks in one pass, each with what its statistic is computed from (:func:`block_values`;
    a picklable task for any executor)."""
    from .precision import block_values

    parts = simulate_blocks(scenario, entropy, plan)
    out = []
    for (block, size), part in zip(plan, parts, strict=True):
        values = block_values(scenario, part, stat)
        if summary:
            from .summary import summarise_block

            part = summarise_block(scenario, entropy, block, size, part)
        out.append((part, values))
    return out
