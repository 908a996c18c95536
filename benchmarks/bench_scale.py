"""Runs bigger than memory: ``cssim run --paths 1000000`` in summary mode, locally and on Dask.

Measures, on a 120-month, three-segment scenario (benchmarks/scenarios.py, with an ARR target):

1. the speed-up from one to two Dask worker processes on the same blocks (a ratio measured in one run);
2. ``cssim run SCENARIO --paths N --summary`` locally and with ``--scheduler`` on a LocalCluster (two
   worker processes on loopback): wall time, peak RSS of every process (each reads its own VmHWM from
   ``/proc/self/status``: the CLI at exit, the workers, nannies and scheduler after the runs), and whether both wrote the same
   summary.csv and quantiles.csv, byte for byte.

Run: ``PYTHONPATH=$PWD .venv/bin/python benchmarks/bench_scale.py [--paths 1000000] [--concurrent]``.
``--concurrent`` runs the local and the Dask run at the same time, the local one at nice 10 (same total
CPU, less wall time in all; the wall times then share the cores and are not speeds).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import cssim
from scenarios import THREE_SEGMENTS

LIMIT = 2 << 30  # 2 GB per process
#: The ``cssim`` console script's entry point, reporting its own peak RSS (VmHWM) when it exits. (The
#: ``ru_maxrss`` that ``wait4`` gives a child started from this large process counts the parent's memory
#: at exec time, so each process reads its own high-water mark instead.)
WRAPPER = """
import atexit, resource, sys
from pathlib import Path
def peak():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            print("PEAK_RSS", int(line.split()[1]) * 1024, file=sys.stderr)
    # --jobs workers, reaped before exit: the largest one's peak (an upper bound: a spawned child
    # starts as a fork of this process)
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    print("PEAK_RSS_CHILDREN", children, file=sys.stderr)
atexit.register(peak)
from cssim.cli import main
sys.exit(main(sys.argv[1:]))
"""


def scenario_dict(horizon: int = 120) -> dict:
    data = dict(THREE_SEGMENTS, horizon_months=horizon, target_arr=8.0e9)
    data["name"] = f"Three segments, {horizon} months"
    return data


def peak_rss_here() -> int:
    """This process's peak resident set size in bytes (VmHWM)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return -1


def speedup(blocks: int, horizon: int) -> dict:
    from distributed import LocalCluster

    s = cssim.Scenario.from_dict(scenario_dict(horizon))
    out = {}
    for n in (1, 2):
        with LocalCluster(
            n_workers=n,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as c:
            cssim.simulate(s, paths=n * 1000, seed=1, summary=True, scheduler=c.scheduler_address)
            t = time.perf_counter()
            cssim.simulate(
                s, paths=blocks * 1000, seed=2, summary=True, scheduler=c.scheduler_address
            )
            out[n] = time.perf_counter() - t
    return out


def start_cli(args: list[str], nice: int = 0) -> tuple[subprocess.Popen, float]:
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parent.parent))
    cmd = [sys.executable, "-c", WRAPPER, "run", *args]
    proc = subprocess.Popen(
        cmd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=(lambda: os.nice(nice)) if nice else None,
    )
    return proc, time.perf_counter()


def finish(proc: subprocess.Popen, t0: float) -> dict:
    stdout, stderr = proc.communicate()
    wall = time.perf_counter() - t0
    peaks = [int(line.split()[1]) for line in stderr.splitlines() if line.startswith("PEAK_RSS ")]
    kids = [
        int(line.split()[1])
        for line in stderr.splitlines()
        if line.startswith("PEAK_RSS_CHILDREN ")
    ]
    if proc.returncode:
        print(stderr, file=sys.stderr)
    return {
        "rc": proc.returncode,
        "wall": wall,
        "peak": peaks[-1] if peaks else -1,
        "children": kids[-1] if kids else 0,
        "stdout": stdout,
    }


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--paths", type=int, default=1_000_000)
    ap.add_argument("--horizon", type=int, default=120)
    ap.add_argument("--speedup-blocks", type=int, default=8)
    ap.add_argument("--concurrent", action="store_true")
    ap.add_argument("--skip-speedup", action="store_true")
    ap.add_argument(
        "--local-nice", type=int, default=10, help="nice of the local run with --concurrent"
    )
    ap.add_argument(
        "--local-jobs", type=int, default=2, help="processes for the local run (as many as workers)"
    )
    a = ap.parse_args()
    # figures appear as they are measured, even in a log file
    sys.stdout.reconfigure(line_buffering=True)
    from distributed import LocalCluster

    print(f"load average before: {os.getloadavg()}")
    if not a.skip_speedup:
        sp = speedup(a.speedup_blocks, a.horizon)
        print(
            f"speed-up 1 -> 2 Dask workers, {a.speedup_blocks} blocks x {a.horizon} months: "
            f"{sp[1]:.1f} s -> {sp[2]:.1f} s = {sp[1] / sp[2]:.2f}x; load {os.getloadavg()}"
        )
    tmp = Path(tempfile.mkdtemp(prefix="bench_scale."))
    yml = tmp / "three-segments-120.yaml"
    yml.write_text(yaml.safe_dump(scenario_dict(a.horizon), sort_keys=False))
    common = [str(yml), "--paths", str(a.paths), "--seed", "7", "--summary"]
    local_jobs = ["--jobs", str(a.local_jobs)] if a.local_jobs > 1 else []
    ok = True
    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        cluster.get_client() as client,
    ):
        runs = {}
        if a.concurrent:
            started = {
                "dask": start_cli(
                    [*common, "--out", str(tmp / "dask"), "--scheduler", cluster.scheduler_address]
                ),
                # niced: the Dask run keeps the cores first, the local one takes what is left
                "local": start_cli(
                    [*common, "--out", str(tmp / "local"), *local_jobs], nice=a.local_nice
                ),
            }
            runs = {k: finish(*v) for k, v in started.items()}
        else:
            runs["dask"] = finish(
                *start_cli(
                    [*common, "--out", str(tmp / "dask"), "--scheduler", cluster.scheduler_address]
                )
            )
            runs["local"] = finish(*start_cli([*common, "--out", str(tmp / "local"), *local_jobs]))
        workers = client.run(peak_rss_here)
        scheduler = client.run_on_scheduler(peak_rss_here)
    print(f"load average after: {os.getloadavg()}")
    for k, r in runs.items():
        print(
            f"cssim run --paths {a.paths:,} ({k}): exit {r['rc']}, {r['wall']:.0f} s wall, "
            f"peak RSS {r['peak'] / 1e6:.0f} MB"
        )
        ok &= r["rc"] == 0 and r["peak"] < LIMIT
        if k == "local" and r["children"]:
            print(f"  largest local --jobs process: peak RSS {r['children'] / 1e6:.0f} MB")
            ok &= r["children"] < LIMIT
    for addr, peak in workers.items():
        print(f"  worker {addr}: peak RSS {peak / 1e6:.0f} MB")
        ok &= peak < LIMIT
    print(f"  scheduler and nannies (this bench process): peak RSS {scheduler / 1e6:.0f} MB")
    ok &= scheduler < LIMIT
    for f in ("summary.csv", "quantiles.csv", "unit_economics.csv"):
        same = (tmp / "dask" / yml.stem / f).read_bytes() == (
            tmp / "local" / yml.stem / f
        ).read_bytes()
        print(f"  {f}: {'identical' if same else 'DIFFERENT'} locally and on Dask")
        ok &= same
    print(runs["local"]["stdout"])
    print(
        f"{'PASS' if ok else 'FAIL'}: every process under {LIMIT / 2**30:.0f} GB, same summary both ways"
    )
    print(f"outputs in {tmp}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
