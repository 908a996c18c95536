"""Engine benchmark: simulate() against the random-number floor, expected(), and peak memory.

Run from the repository root::

    python benchmarks/bench_engine.py           # the full run (a few minutes)
    python benchmarks/bench_engine.py --quick   # a smoke run (seconds)

It measures, in one run:

a. ``simulate()`` for 10,000 paths x 120 months: the one-segment growth-vs-churn scenario and a
   three-segment, tenure-dependent one (:mod:`scenarios`);
b. the random-number floor for each: numpy's ``default_rng`` drawing exactly as many binomial and Poisson
   variates as the engine draws, in the same vectorised calls: the engine's own month step, run in
   expected mode, records every draw's shape (per month, per segment: churn, expansion and contraction
   over the active cohorts, acquisition per path) and its parameters on the expected path (n each cohort's
   expected customers, p its churn hazard or the movement probability);
c. the ratio simulate / floor (target: at most 2);
d. ``cssim.expected()`` for 120 months (target: under 5 ms; best of several repeats after a warm-up);
e. the peak RSS of ``simulate()`` for 100,000 paths x 120 months x 3 segments in a subprocess (target:
   under 2 GB), with the baseline RSS of a subprocess that only imports cssim.

Times are wall-clock (``time.perf_counter``), best of a few repeats. This is a benchmark, not a test: it
prints PASS or MISS against each target and never fails on a slow machine.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import cssim  # noqa: E402
from cssim.model.engine import _Cohorts, _Expectation, segment_parameters  # noqa: E402
from scenarios import growth_vs_churn, three_segments  # noqa: E402


def best_of(fn, repeats: int) -> float:
    """Best wall-clock time of ``repeats`` calls, in seconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


# -- the random-number floor -----------------------------------------------------------------------------


@dataclass
class Draws:
    """The variates one segment draws for one purpose over the horizon, for one path."""

    segment: str
    purpose: str
    calls: list  # binomial: (n, p) per month, arrays over the cohorts; Poisson: the mean per month

    def count(self, paths: int) -> int:
        return paths * sum(1 if self.purpose == "acquisition" else c[0].size for c in self.calls)


class _Recorder(_Expectation):
    """The engine's expected mode, recording every draw's shape and parameters."""

    def __init__(self):
        self.calls: dict[str, list] = {}

    def binomial(self, n, p, purpose):
        p_row = np.broadcast_to(p, n.shape)[0]
        self.calls.setdefault(purpose, []).append((np.rint(n[0]).astype(np.int64), p_row.copy()))
        return n * p

    def poisson(self, lam, purpose):
        self.calls.setdefault(purpose, []).append(float(np.ravel(lam)[0]))
        return lam


def engine_draws(scenario: cssim.Scenario) -> list[Draws]:
    """What simulate() draws per path: the engine's own month step, in expected mode, recording its draws.

    Every call the engine makes is recorded with its shape (cohorts at risk that month; one per path for
    acquisition) and its parameters on the expected path (uncertain parameters at their median): n the
    expected customers in each cohort, p its churn hazard or the movement probability, the Poisson mean the
    expected new customers.
    """
    out = []
    for seg in scenario.segments:
        recorder = _Recorder()
        state = _Cohorts(seg, segment_parameters(seg, None), scenario.horizon_months, 1, recorder)
        for t in range(1, scenario.horizon_months + 1):
            state.step(t)
        out += [Draws(seg.name, purpose, calls) for purpose, calls in recorder.calls.items()]
    return out


def floor_time(draws: list[Draws], paths: int, seed: int = 0) -> float:
    """Seconds numpy's default_rng takes to draw what simulate() draws for ``paths`` paths.

    One call per engine call, over all paths at once (``paths x cohorts`` variates).
    """
    rng = np.random.default_rng(seed)
    start = time.perf_counter()
    for d in draws:
        for call in d.calls:
            if d.purpose == "acquisition":
                rng.poisson(call, paths)
            else:
                n, p = call
                rng.binomial(
                    np.broadcast_to(n, (paths, n.size)), np.broadcast_to(p, (paths, n.size))
                )
    return time.perf_counter() - start


# -- peak memory ---------------------------------------------------------------------------------------

_IMPORT_ONLY = "import cssim"
_BIG_RUN = (
    "import sys; sys.path.insert(0, {here!r})\n"
    "import cssim\n"
    "from scenarios import three_segments\n"
    "cssim.simulate(three_segments({horizon}), paths={paths}, seed=1)\n"
)


def child_peak_rss(code: str) -> float:
    """Peak RSS (MB) of the children so far, after running ``code`` in a fresh interpreter.

    ``ru_maxrss`` of RUSAGE_CHILDREN is the largest peak among all children waited for, so the smaller run
    must come first.
    """
    subprocess.run([sys.executable, "-c", code], check=True)
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0  # Linux: kilobytes


# -- the run -------------------------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="cssim engine benchmark")
    parser.add_argument("--quick", action="store_true", help="small sizes, one repeat: a smoke run")
    parser.add_argument("--no-memory", action="store_true", help="skip the (slow) peak-memory run")
    args = parser.parse_args(argv)
    if args.quick:
        paths, horizon, repeats, mem_paths, mem_horizon = 1000, 24, 1, 5000, 24
    else:
        paths, horizon, repeats, mem_paths, mem_horizon = 10_000, 120, 3, 100_000, 120

    print(f"cssim {cssim.__version__}, numpy {np.__version__}, python {sys.version.split()[0]}")
    print(f"simulate: {paths:,} paths x {horizon} months, best of {repeats}\n")
    rows = []
    for label, scenario in (
        ("growth-vs-churn (1 segment)", growth_vs_churn(horizon)),
        ("three segments, tenure-dependent", three_segments(horizon)),
    ):
        cssim.simulate(scenario, paths=min(paths, 1000), seed=0)  # warm-up
        sim = best_of(lambda s=scenario: cssim.simulate(s, paths=paths, seed=1), repeats)
        draws = engine_draws(scenario)
        floor = best_of(lambda d=draws: floor_time(d, paths), repeats)
        rows.append((label, sim, floor, draws))

    print(
        f"{'scenario':34} {'variates':>12} {'simulate s':>11} {'floor s':>9} {'ratio':>7}  target <= 2x"
    )
    for label, sim, floor, draws in rows:
        total = sum(d.count(paths) for d in draws)
        ratio = sim / floor
        print(
            f"{label:34} {total:12,d} {sim:11.3f} {floor:9.3f} {ratio:7.2f}  {verdict(ratio <= 2.0)}"
        )
    print(
        "\nfloor draws (numpy default_rng; n, p and lambda on the expected path, averaged over draws):"
    )
    for label, _, _, draws in rows:
        for d in draws:
            if d.purpose == "acquisition":
                params = f"mean lambda={np.mean(d.calls):.3g}"
            else:
                n = np.concatenate([c[0] for c in d.calls])
                p = np.concatenate([c[1] for c in d.calls])
                params = f"mean n={n.mean():.3g} (max {n.max()}), mean p={p.mean():.3g}"
            print(
                f"  {label[:16]:16} {d.segment:14} {d.purpose:12} {d.count(paths):13,d}  {params}"
            )

    print(
        "\nexpected(): 120 months, best of 20 after a warm-up"
        + ("" if not args.quick else " (quick: 5)")
    )
    print(f"{'scenario':34} {'grid points':>11} {'ms':>9}  target < 5 ms")
    for label, scenario in (
        ("growth-vs-churn (1 segment)", growth_vs_churn(120)),
        ("three segments, tenure-dependent", three_segments(120)),
    ):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            cssim.expected(scenario)
            ms = 1e3 * best_of(lambda s=scenario: cssim.expected(s), 5 if args.quick else 20)
        nodes = 1024 if scenario.uncertain() else 1
        print(f"{label:34} {nodes:11d} {ms:9.2f}  {verdict(ms < 5.0)}")

    if args.no_memory:
        return 0
    print(
        f"\npeak memory: simulate() of {mem_paths:,} paths x {mem_horizon} months x 3 segments, in a subprocess"
    )
    base = child_peak_rss(_IMPORT_ONLY)
    start = time.perf_counter()
    peak = child_peak_rss(_BIG_RUN.format(here=str(HERE), horizon=mem_horizon, paths=mem_paths))
    took = time.perf_counter() - start
    print(f"  import cssim only: {base:8.0f} MB")
    print(
        f"  simulate():        {peak:8.0f} MB peak RSS ({took:.1f} s)  target < 2048 MB  "
        f"{verdict(peak < 2048)}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
