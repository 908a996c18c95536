"""Would a compiled kernel earn its place? A numba inversion sampler against cssim's numpy one.

    .venv/bin/pip install numba          # not a cssim dependency; this benchmark alone uses it
    .venv/bin/python benchmarks/bench_kernel.py [--paths 10000]

Issue 9 allows a compiled kernel "only if it earns its place". This measures the best case for one: the
binomial draws of growth-vs-churn at 10,000 paths x 120 months (every month's cohorts and buckets, as the
engine draws them, each n and p at its expected value and the same uniforms) by

- ``cssim.model.sampling.binomial``, the engine's numpy inversion;
- a numba kernel doing the same sequential inversion element by element in compiled code, the pmf
  recurrence in the same floating-point order (its counts are checked equal to numpy's).

It prints both, the engine's own ``simulate()`` and the issue's floor in the same run, and the engine time
projected with the kernel in place of the numpy sampler (the engine minus the sampler's share plus the
kernel's): the kernel earns its place only if that projection meets the 3x-floor target. It also prints
numba's import time, its first-call compile time and its installed size.
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_engine import best_of, engine_draws, floor_inputs, simple_floor  # noqa: E402

import cssim  # noqa: E402
from cssim.model import sampling  # noqa: E402
from scenarios import growth_vs_churn  # noqa: E402


def _kernel():
    import numba

    @numba.njit(cache=False, nogil=True)
    def inversion(n, p, u, out):  # n, u, out: (columns, paths); p: (columns,)
        cols, paths = n.shape
        for j in range(cols):
            lq = math.log1p(-p[j])
            odds = p[j] / (1.0 - p[j])
            for i in range(paths):
                nf = float(n[j, i])
                pmf = math.exp(nf * lq)
                cdf = pmf
                k = 0
                while u[j, i] > cdf and k < nf:
                    k += 1
                    pmf *= (nf - (k - 1)) / k * odds
                    cdf += pmf
                out[j, i] = k

    return inversion


def _size(package: str) -> float:
    spec = importlib.util.find_spec(package)
    root = Path(spec.origin).parent
    return sum(f.stat().st_size for f in root.rglob("*") if f.is_file()) / 2**20


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--paths", type=int, default=10_000)
    args = ap.parse_args(argv)
    if importlib.util.find_spec("numba") is None:
        print("numba is not installed: .venv/bin/pip install numba, then run this again")
        return 0
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())} ({os.cpu_count()} CPUs)")
    took = subprocess.run(
        [
            sys.executable,
            "-c",
            "import time; t = time.perf_counter(); import numba; print(time.perf_counter() - t)",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    print(
        f"numba: import {float(took):.2f} s; installed numba {_size('numba'):.0f} MB + llvmlite "
        f"{_size('llvmlite'):.0f} MB"
    )

    scenario = growth_vs_churn(120)
    paths = args.paths
    rng = np.random.default_rng(1)
    calls = []
    for d in engine_draws(scenario):
        if d.purpose == "acquisition":
            continue
        for n, p in d.calls:
            keep = n > 0
            n, p = n[keep], p[keep]
            calls.append((np.repeat(n[:, None], paths, 1), p.copy(), rng.random((n.size, paths))))
    variates = sum(c[0].size for c in calls)

    kernel = _kernel()
    t0 = time.perf_counter()
    n, p, u = calls[0]
    kernel(n, p, u, np.empty_like(n))
    compile_s = time.perf_counter() - t0

    for n, p, u in calls:  # the same counts, element for element
        out = np.empty_like(n)
        kernel(n, p, u, out)
        if not np.array_equal(out, sampling.binomial(n, p[:, None], u)):
            print(
                "the kernel's counts differ from numpy's: its timing would not be a fair comparison"
            )
            return 1

    def with_numpy():
        for n, p, u in calls:
            sampling.binomial(n, p[:, None], u)

    outs = [np.empty_like(c[0]) for c in calls]

    def with_kernel():
        for (n, p, u), out in zip(calls, outs, strict=True):
            kernel(n, p, u, out)

    inputs = floor_inputs(scenario)
    t_numpy = best_of(with_numpy, 3)
    t_kernel = best_of(with_kernel, 3)
    t_engine = best_of(lambda: cssim.simulate(scenario, paths=paths, seed=0), 3)
    t_floor = best_of(lambda: simple_floor(inputs, paths), 3)
    projected = t_engine - t_numpy + t_kernel
    print(
        f"\ngrowth-vs-churn, {paths:,} paths x {scenario.horizon_months} months: "
        f"{variates / (paths * scenario.horizon_months):.1f} binomial variates per path-month"
    )
    print(f"  numpy inversion (cssim.model.sampling): {t_numpy:6.3f} s")
    print(
        f"  numba kernel (compiled {compile_s:.2f} s):    {t_kernel:6.3f} s  "
        f"({t_numpy / t_kernel:.2f}x faster, counts identical)"
    )
    print(
        f"  simulate():                             {t_engine:6.3f} s  ({t_engine / t_floor:.2f}x "
        "the floor)"
    )
    print(f"  the floor (one binomial, one Poisson):  {t_floor:6.3f} s")
    verdict = "would PASS" if projected <= 3 * t_floor else "would still MISS"
    print(
        f"  simulate() with the kernel, projected:  {projected:6.3f} s  ({projected / t_floor:.2f}x "
        f"the floor: {verdict} the 3x target)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
