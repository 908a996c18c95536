"""Plain Monte Carlo against Latin hypercube against Sobol: the error of ARR's mean, P10 and P90.

For each scenario and sampling method, ``--reps`` runs (seeds 1, 2, ...) of ``--paths`` paths each give
the mean, P10 and P90 of ARR at the horizon; the standard deviation of a statistic over the runs is its
standard error at that many paths. The table shows each method's standard error and the ratio plain /
method (how many times smaller the error is: the same precision needs about ratio^2 times fewer paths).
The scenarios are the two shipped ones with uncertain inputs; the share of ARR's variance their
assumptions explain (``cssim.sensitivity``) says which one is parameter-driven.

Target (issue 18): LHS at least halves the error of the mean on the scenario whose ARR spread comes
mostly from its parameters. The line ``safe as a default`` says whether every ratio is at least 1 and
the stratified means agree with the plain one (4 standard errors).

    python benchmarks/bench_sampling.py [--reps 100] [--paths 2000]
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
from cssim.analysis.indices import sensitivity  # noqa: E402
from cssim.model.design import with_sampling  # noqa: E402
from cssim.model.engine import simulate_blocks  # noqa: E402

SCENARIOS = ("churn-floor-expansion.yaml", "smb-enterprise-seats.yaml")
METHODS = ("random", "lhs", "sobol")
STATS = ("mean", "P10", "P90")


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:  # not Linux
        return "n/a"


def arr_at_horizon(scenario, seed: int, paths: int) -> np.ndarray:
    """ARR at the horizon of one run, straight from the engine's blocks."""
    plan = [(b, min(1000, paths - 1000 * b)) for b in range((paths + 999) // 1000)]
    parts = simulate_blocks(scenario, seed, plan)
    H = scenario.horizon_months
    return np.concatenate(
        [12.0 * sum(p[s]["metrics"]["mrr"][:, H] for s in scenario.segment_names) for p in parts]
    )


def statistics(arr: np.ndarray) -> dict[str, float]:
    return {"mean": arr.mean(), "P10": np.quantile(arr, 0.1), "P90": np.quantile(arr, 0.9)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reps", type=int, default=100, help="runs per method (seeds 1..reps)")
    parser.add_argument("--paths", type=int, default=2000, help="paths per run")
    args = parser.parse_args()
    print(f"load average at start: {loadavg()}")
    print(f"{args.reps} runs of {args.paths:,} paths per scenario and method\n")
    verdicts = []
    safe = True
    for name in SCENARIOS:
        base = cssim.load_scenario(ROOT / "scenarios" / name)
        explained = sensitivity(base, paths=5000, seed=1).explained
        print(
            f"{name}: {len(base.uncertain())} uncertain inputs; they explain "
            f"{explained:.0%} of the variance of ARR at month {base.horizon_months}"
        )
        found: dict[str, dict[str, list[float]]] = {}
        started = time.perf_counter()
        for method in METHODS:
            s = with_sampling(base, method)
            runs = [
                statistics(arr_at_horizon(s, seed, args.paths)) for seed in range(1, args.reps + 1)
            ]
            found[method] = {k: [r[k] for r in runs] for k in STATS}
        seconds = time.perf_counter() - started
        print(
            f"  {'statistic':<10}{'se plain':>14}{'se LHS':>14}{'se Sobol':>14}"
            f"{'plain/LHS':>11}{'plain/Sobol':>13}"
        )
        for k in STATS:
            se = {m: float(np.std(found[m][k], ddof=1)) for m in METHODS}
            r_lhs, r_sobol = se["random"] / se["lhs"], se["random"] / se["sobol"]
            print(
                f"  {k:<10}{se['random']:>14,.0f}{se['lhs']:>14,.0f}{se['sobol']:>14,.0f}"
                f"{r_lhs:>11.2f}{r_sobol:>13.2f}"
            )
            safe &= r_lhs >= 1 and r_sobol >= 1
            for m in ("lhs", "sobol"):  # unbiased: the means agree within 4 standard errors
                diff = np.mean(found[m][k]) - np.mean(found["random"][k])
                both = np.sqrt((se[m] ** 2 + se["random"] ** 2) / args.reps)
                if k == "mean" and abs(diff) > 4 * both:
                    safe = False
                    print(f"    {m} mean differs from plain by {diff / both:+.1f} standard errors")
            if k == "mean":
                verdicts.append((name, explained, r_lhs))
        print(f"  ({seconds:.0f} s)\n")
    driven = max(verdicts, key=lambda v: v[1])
    ok = driven[2] >= 2.0
    print(
        f"target: LHS at least halves the error of the mean on the parameter-driven scenario "
        f"({driven[0]}, {driven[1]:.0%} of ARR's variance from its inputs): ratio {driven[2]:.2f} "
        f"-> {'PASS' if ok else 'MISS'}"
    )
    print(f"safe as a default (every ratio >= 1, means unbiased): {'yes' if safe else 'no'}")
    print(f"load average at end: {loadavg()}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
