"""Engine benchmark: simulate() against the random-number floor and a numpy peer, recompute, memory.

Run from the repository root::

    python benchmarks/bench_engine.py           # the full run (a few minutes)
    python benchmarks/bench_engine.py --quick   # a smoke run (seconds)

Every target is a ratio measured in this one run (or an absolute figure where the issue sets one):

a. growth-vs-churn, 10,000 paths x 120 months, against
   - the floor: numpy's ``default_rng`` drawing one binomial (churn, n = expected customers) and one
     Poisson (acquisition) per path-month, nothing else (target: simulate <= 3x);
   - a vectorised numpy peer (:func:`numpy_peer`, ~15 lines, totals only, numpy's own samplers)
     (target: simulate <= 3x);
b. three segments with onboarding, sBG and annual renewals, 10,000 x 120, against its own matched floor:
   numpy drawing exactly as many binomial and Poisson variates as the bucketed engine draws, in the same
   vectorised calls (recorded by running the engine's month step in expected mode) (target: <= 2x);
c. 2,000 paths x 36 months of growth-vs-churn recomputed, as a slider does (target: <= 20 ms);
d. ``cssim.expected()`` for 120 months (target: under 5 ms);
e. the peak RSS of ``simulate()`` for 100,000 paths x 120 months x 3 segments in a subprocess
   (target: under 1 GB), with the RSS of a subprocess that only imports cssim and simulates 1 path.

Times are wall-clock (``time.perf_counter``), best of a few repeats, and the load average is printed:
the machine may be shared. This is a benchmark, not a test: it prints PASS or the measured miss against
each target and never fails on a slow machine.
"""

from __future__ import annotations

import argparse
import os
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
from cssim.model.buckets import Buckets, Expectation  # noqa: E402
from cssim.model.engine import segment_parameters  # noqa: E402
from cssim.model.states import StateBuckets  # noqa: E402
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


class _Recorder(Expectation):
    """The engine's expected mode, recording every draw's shape and parameters."""

    def __init__(self):
        self.calls: dict[str, list] = {}

    def binomial(self, n, p, purpose, plan=None):  # n: (columns drawn, 1 path), or (states, ...)
        n = np.asarray(n, dtype=float)
        p_all = np.broadcast_to(p, n.shape)
        flat_n = n.reshape(-1, n.shape[-1])[:, 0]
        flat_p = p_all.reshape(-1, n.shape[-1])[:, 0]
        self.calls.setdefault(purpose, []).append((np.rint(flat_n).astype(np.int64), flat_p.copy()))
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
        kind = StateBuckets if seg.health is not None else Buckets
        state = kind(seg, segment_parameters(seg, None), scenario.horizon_months, 1, recorder)
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


# -- the floor and numpy peer for growth-vs-churn -------------------------------------------------


def floor_inputs(scenario: cssim.Scenario) -> tuple[np.ndarray, float, np.ndarray]:
    """n (expected customers at the start of each month), p (monthly churn), the Poisson means."""
    e = cssim.expected(scenario)
    n = np.rint(e["customers"].to_numpy()).astype(np.int64)
    return n, float(scenario.segments[0].churn.monthly), e["new_customers"].to_numpy()


def simple_floor(inputs, paths: int, seed: int = 0) -> None:
    """numpy drawing one binomial (churn) and one Poisson (acquisition) per path-month, nothing else."""
    n, c, lam = inputs
    rng = np.random.default_rng(seed)
    for t in range(1, len(n)):
        rng.binomial(np.full(paths, n[t - 1]), c)
        rng.poisson(np.full(paths, lam[t]))


def numpy_peer(scenario: cssim.Scenario, paths: int, seed: int = 0):
    """A vectorised numpy simulation of the same one-segment model, totals only (numpy's samplers)."""
    seg = scenario.segments[0]
    c, arpa = float(seg.churn.monthly), float(seg.arpa)
    m = (1.0 + float(seg.acquisition.rate)) ** (1.0 / 12.0) - 1.0
    rng = np.random.default_rng(seed)
    H = scenario.horizon_months
    customers = np.full(paths, int(seg.customers), dtype=np.int64)
    cust = np.empty((H + 1, paths), dtype=np.int64)
    mrr = np.empty((H + 1, paths))
    cust[0], mrr[0] = customers, customers * arpa
    for t in range(1, H + 1):
        churned = rng.binomial(customers, c)
        new = rng.poisson(m * customers)
        customers = customers - churned + new
        cust[t], mrr[t] = customers, customers * arpa
    return cust, mrr


# -- peak memory ---------------------------------------------------------------------------------------

_SMALL_RUN = (
    "import sys; sys.path.insert(0, {here!r})\n"
    "import cssim\n"
    "from scenarios import three_segments\n"
    "cssim.simulate(three_segments({horizon}), paths=1, seed=1)\n"
)
_BIG_RUN = (
    "import sys; sys.path.insert(0, {here!r})\n"
    "import cssim\n"
    "from scenarios import three_segments\n"
    "cssim.simulate(three_segments({horizon}), paths={paths}, seed=1, summary={summary})\n"
)


_PEAK = (
    "\nfrom pathlib import Path\n"
    "print([int(x.split()[1]) for x in Path('/proc/self/status').read_text().splitlines()"
    " if x.startswith('VmHWM:')][0])\n"
)


def child_peak_rss(code: str) -> float:
    """Peak RSS (MB) of a fresh interpreter running ``code``, read by the child itself (VmHWM).

    (``ru_maxrss`` of RUSAGE_CHILDREN would count this large process's pages at fork time.)
    """
    out = subprocess.run(
        [sys.executable, "-c", code + _PEAK], check=True, capture_output=True, text=True
    )
    return int(out.stdout.split()[-1]) / 1024.0  # kB


# -- the run -------------------------------------------------------------------------------------------


def verdict(value: float, target: float, unit: str, cause: str) -> str:
    """PASS, or the measured miss and its cause."""
    if value <= target:
        return "PASS"
    return f"MISS by {value / target:.2f}x ({value:.3g}{unit} > {target:g}{unit}): {cause}"


def per_path_month(draws: list[Draws], horizon: int) -> float:
    return sum(d.count(1) for d in draws) / horizon


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
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())} (2 cores)")
    print(f"simulate: {paths:,} paths x {horizon} months, best of {repeats}\n")
    rows = []

    # a. growth-vs-churn against the one-binomial-one-Poisson floor and the numpy peer
    gvc = growth_vs_churn(horizon)
    cssim.simulate(gvc, paths=min(paths, 1000), seed=0)  # warm-up
    sim = best_of(lambda: cssim.simulate(gvc, paths=paths, seed=1), repeats)
    inputs = floor_inputs(gvc)
    floor = best_of(lambda: simple_floor(inputs, paths), repeats)
    peer = best_of(lambda: numpy_peer(gvc, paths), repeats)
    draws = engine_draws(gvc)
    cause = (
        f"the engine draws {per_path_month(draws, horizon):.1f} variates per path-month (12 young "
        "cohorts for trailing NRR/GRR, year buckets, acquisition; one uniform each, inverse CDF) "
        "where the floor draws 2, and keeps 9 metrics per path-month"
    )
    rows.append(("growth-vs-churn vs floor (1 binomial + 1 Poisson)", sim, floor, 3.0, cause))
    rows.append(("growth-vs-churn vs numpy peer (totals only)", sim, peer, 3.0, cause))

    def matched(scenario: cssim.Scenario) -> tuple[float, float, list[Draws]]:
        """simulate() and numpy drawing exactly the variates the engine draws, best of ``repeats``."""
        cssim.simulate(scenario, paths=min(paths, 1000), seed=0)  # warm-up
        sim = best_of(lambda: cssim.simulate(scenario, paths=paths, seed=1), repeats)
        ds = engine_draws(scenario)
        return sim, best_of(lambda: floor_time(ds, paths), repeats), ds

    # b. three segments against their own matched floor
    sim3, floor3, draws3 = matched(three_segments(horizon))
    cause3 = (
        "inverse-CDF sampling (one uniform per variate, searched in numpy) costs more per variate "
        "than numpy's BTPE/PTRS samplers, and sBG keeps every tenure apart"
    )
    rows.append(("three segments vs matched floor", sim3, floor3, 2.0, cause3))

    # b2. usage states and a CS team (issue 17) against their own matched floor: the state moves,
    # the split of new customers and churn by state are drawn as the engine draws them
    health = cssim.load_scenario(HERE.parent / "scenarios" / "usage-health.yaml")
    sim_h, floor_h, draws_h = matched(health.replace({"horizon_months": horizon}))
    cause_h = (
        "each state x bucket group draws its churn and its moves as successive binomials by "
        "inverse CDF, and the per-state metrics (customers, MRR, churned by state) are stored"
    )
    rows.append(("usage states + CS vs matched floor", sim_h, floor_h, 2.0, cause_h))

    print(f"{'target':52} {'measured s':>10} {'baseline s':>10} {'ratio':>7}  verdict")
    for label, value, base, target, why in rows:
        ratio = value / base
        print(
            f"{label:52} {value:10.3f} {base:10.3f} {ratio:7.2f}  "
            f"<= {target:g}x {verdict(ratio, target, 'x', why)}"
        )
    print(f"\nvariates the engine draws per path-month ({horizon} months):")
    for label, ds in (
        ("growth-vs-churn", draws),
        ("three segments", draws3),
        ("usage states", draws_h),
    ):
        for d in ds:
            print(f"  {label:16} {d.segment:14} {d.purpose:12} {d.count(1) / horizon:8.1f}")

    # c. a slider's recompute: 2,000 paths x 36 months
    small = growth_vs_churn(36)
    cssim.simulate(small, paths=2000, seed=42)
    ms = 1e3 * best_of(lambda: cssim.simulate(small, paths=2000, seed=42), 3 if args.quick else 10)
    print(
        f"\nrecompute growth-vs-churn, 2,000 paths x 36 months: {ms:.1f} ms  <= 20 ms "
        + verdict(
            ms,
            20.0,
            " ms",
            "the inverse-CDF binomial search (sampling._walk/_finish) is about 60% of it in a "
            "profile; the rest is per-month numpy calls on small arrays",
        )
    )

    # d. expected()
    print(
        "\nexpected(): 120 months, best of 20 after a warm-up"
        + ("" if not args.quick else " (quick: 5)")
    )
    for label, scenario in (
        ("growth-vs-churn (1 segment)", growth_vs_churn(120)),
        ("three segments, tenure-dependent", three_segments(120)),
    ):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            cssim.expected(scenario)
            ms = 1e3 * best_of(lambda s=scenario: cssim.expected(s), 5 if args.quick else 20)
        nodes = 1024 if scenario.uncertain() else 1
        why = (
            f"{nodes:,} Sobol grid point(s) over the uncertain parameters, a renewal recursion per "
            "month and a pandas frame (not a target of issue 9)"
        )
        print(f"  {label:34} {ms:9.2f} ms  < 5 ms " + verdict(ms, 5.0, " ms", why))

    if not args.no_memory:
        print(
            f"\npeak memory: simulate() of {mem_paths:,} paths x {mem_horizon} months x 3 segments, "
            "in a subprocess"
        )
        base = child_peak_rss(_SMALL_RUN.format(here=str(HERE), horizon=mem_horizon))
        start = time.perf_counter()
        peak_summary = child_peak_rss(
            _BIG_RUN.format(here=str(HERE), horizon=mem_horizon, paths=mem_paths, summary=True)
        )
        took_summary = time.perf_counter() - start
        start = time.perf_counter()
        peak = child_peak_rss(
            _BIG_RUN.format(here=str(HERE), horizon=mem_horizon, paths=mem_paths, summary=False)
        )
        took = time.perf_counter() - start
        stored = 9 * 4 * mem_paths * (mem_horizon + 1) * 3 / 2**20
        print(f"  1 path:      {base:8.0f} MB peak RSS")
        print(
            f"  {mem_paths:,} paths, summary=True (what cssim run picks for it): {peak_summary:8.0f} "
            f"MB peak RSS ({took_summary:.1f} s)  < 1024 MB "
            + verdict(peak_summary, 1024.0, " MB", "working memory of one pass of blocks")
        )
        print(
            f"  {mem_paths:,} paths, every path kept: {peak:8.0f} MB peak RSS ({took:.1f} s)  < 1024 MB "
            + verdict(
                peak,
                1024.0,
                " MB",
                f"the result keeps every path: 9 stored metrics x 4 bytes x paths x months x 3 "
                f"segments = {stored:.0f} MB before any working memory (summary mode avoids it)",
            )
        )
    print(f"\nload average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
