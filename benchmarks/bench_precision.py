"""The precision stop, checked: how many paths it needs with and without LHS, and whether its intervals
cover what unlimited paths would give.

1. Paths to precision: the stop rule of :mod:`cssim.model.precision` (blocks of 1,000 paths as
   replicates, a Student-t interval) run on the two shipped scenarios with uncertain inputs until mean
   ARR at the horizon is known within the stated tolerance, plain against Latin hypercube against
   Sobol, over ``--runs`` seeds; ``k`` is plain's paths over the method's.
2. Coverage: over ``--seeds`` seeds, the share of stopped runs whose 95% interval covers the reference
   (for the mean the expected path, exact; for a percentile the pooled one of ``--reference`` paths with
   LHS, whose own error is a small fraction of the intervals'); target 93-97% (issue 18). Checked on a small one-segment scenario (cheap enough for
   hundreds of seeds) for each method and on a shipped scenario with LHS.

The stop rule is the library's own (``until_known``, ``precision_pass``); the benchmark drops each block
after taking its values, so runs of hundreds of thousands of paths stay in bounded memory.

    python benchmarks/bench_precision.py [--runs 3] [--seeds 400] [--reference 400000]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import cssim  # noqa: E402
from cssim.model.blocks import BLOCKS_PER_PASS  # noqa: E402
from cssim.model.design import with_sampling  # noqa: E402
from cssim.model.engine import precision_pass  # noqa: E402
from cssim.model.precision import MIN_BLOCKS, until_known  # noqa: E402

TINY = {
    "name": "tiny",
    "horizon_months": 3,
    "segments": [
        {
            "name": "All",
            "customers": 200,
            "arpa": {"kind": "lognormal", "mean": 50_000, "sd": 15_000},
            "acquisition": {"rate": 0.2},
            "churn": {"monthly": [0.02, 0.05]},
        }
    ],
}


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"


def stop(scenario, seed: int, precision: float, stat: str = "mean", cap: int = 2000):
    """``(estimate, half-width, blocks)`` of the library's stop rule, keeping only what each block's
    statistic is computed from (no result is built)."""

    def run(todo):
        for i in range(0, len(todo), BLOCKS_PER_PASS):
            for _part, values in precision_pass(
                scenario, seed, todo[i : i + BLOCKS_PER_PASS], False, stat
            ):
                yield values

    estimate, half, blocks, _converged = until_known(run, stat, precision, 0.95, cap)
    return estimate, half, blocks


def reference(scenario, paths: int, stat: str) -> float:
    """What unlimited paths would give: for the mean, the expected path (exact given the parameters,
    integrated over them on a Sobol grid of 65,536 points); for a percentile, the pooled percentile of
    ``paths`` paths with LHS (computed block by block, in bounded memory)."""
    if stat == "mean":
        return float(cssim.expected(scenario, nodes=2**16)["arr"].iloc[-1])
    lhs = with_sampling(scenario, "lhs")
    blocks = [(b, 1000) for b in range(paths // 1000)]
    values = np.concatenate(
        [
            v
            for i in range(0, len(blocks), BLOCKS_PER_PASS)
            for _part, v in precision_pass(
                lhs, 987_654, blocks[i : i + BLOCKS_PER_PASS], False, stat
            )
        ]
    )
    return float(np.quantile(values, {"p10": 0.1, "p50": 0.5, "p90": 0.9}[stat]))


def coverage(
    scenario, truth: float, precision: float, stat: str, seeds: int
) -> tuple[float, float]:
    hits, blocks = 0, []
    for seed in range(seeds):
        est, half, b = stop(scenario, seed, precision, stat)
        hits += abs(est - truth) <= half
        blocks.append(b)
    return hits / seeds, float(np.mean(blocks))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--runs", type=int, default=3, help="seeds per method for paths to precision"
    )
    parser.add_argument("--seeds", type=int, default=400, help="seeds per coverage check")
    parser.add_argument(
        "--reference", type=int, default=2_000_000, help="paths of a percentile's reference run"
    )
    parser.add_argument("--only", choices=("paths", "coverage"), help="run one part only")
    args = parser.parse_args()
    print(f"load average at start: {loadavg()}\n")

    if args.only != "coverage":
        print(
            "1. Paths until mean ARR at the horizon is known within the tolerance (95%), "
            f"mean over {args.runs} seeds"
        )
        print(
            f"  {'scenario':<28}{'tolerance':>10}{'plain':>10}{'LHS':>10}{'Sobol':>10}"
            f"{'k LHS':>8}{'k Sobol':>9}"
        )
        for name, precision in (
            ("churn-floor-expansion.yaml", 0.0005),
            ("smb-enterprise-seats.yaml", 0.001),
        ):
            base = cssim.load_scenario(ROOT / "scenarios" / name)
            started = time.perf_counter()
            paths = {}
            for method in ("random", "lhs", "sobol"):
                s = with_sampling(base, method)
                paths[method] = 1000 * np.mean(
                    [stop(s, seed, precision)[2] for seed in range(args.runs)]
                )
            at_floor = (
                " (LHS at the 10-block minimum: k is a lower bound)"
                if paths["lhs"] <= 1000 * MIN_BLOCKS
                else ""
            )
            print(
                f"  {name[:-5]:<28}{precision:>10.2%}{paths['random']:>10,.0f}{paths['lhs']:>10,.0f}"
                f"{paths['sobol']:>10,.0f}{paths['random'] / paths['lhs']:>8.1f}"
                f"{paths['random'] / paths['sobol']:>9.1f}  ({time.perf_counter() - started:.0f} s){at_floor}"
            )
    if args.only == "paths":
        return 0
    print(f"\n2. Coverage of the stated 95% interval over {args.seeds} seeds (target 93-97%)")
    tiny = cssim.Scenario.from_dict(TINY)
    checks = [
        ("tiny", tiny, "random", "mean", 0.004, args.seeds),
        ("tiny", tiny, "lhs", "mean", 0.0005, args.seeds),
        ("tiny", tiny, "sobol", "mean", 0.0005, args.seeds),
        ("tiny", tiny, "lhs", "p10", 0.002, args.seeds),
        (
            "churn-floor-expansion",
            cssim.load_scenario(ROOT / "scenarios" / "churn-floor-expansion.yaml"),
            "lhs",
            "mean",
            0.0005,
            max(100, args.seeds // 4),
        ),
    ]
    truths: dict = {}
    all_ok = True
    for label, scenario, method, stat, precision, seeds in checks:
        started = time.perf_counter()
        if (label, stat) not in truths:
            truths[(label, stat)] = reference(scenario, args.reference, stat)
        share, blocks = coverage(
            with_sampling(scenario, method), truths[(label, stat)], precision, stat, seeds
        )
        ok = 0.93 <= share <= 0.97
        all_ok &= ok
        print(
            f"  {label:<22}{method:<7}{stat:<5} ±{precision:.2%}: covers {share:.1%} "
            f"({seeds} seeds, {blocks:.1f} blocks on average, {time.perf_counter() - started:.0f} s) "
            f"{'PASS' if ok else 'MISS'}"
        )
    print(f"\nload average at end: {loadavg()}")
    return 0 if all_ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
