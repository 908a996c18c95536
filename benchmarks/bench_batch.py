"""Batch speed: ``cssim batch --jobs 2`` against the naive loop, measured in one run.

The naive loop is what a team would script by hand: for each scenario, papermill's CLI executes the report
template (which simulates inside the kernel), then nbconvert's CLI exports HTML without input, one scenario
after another. ``cssim batch`` simulates in worker processes and uses a kernel only to render.

Usage: ``python benchmarks/bench_batch.py [--scenarios 20] [--paths 2000] [--quick]``
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "cssim" / "templates" / "report.ipynb"
BIN = Path(sys.executable).parent


def make_scenarios(folder: Path, n: int) -> list[Path]:
    """``n`` scenario files: the shipped ones, then variants of them with other churn and growth."""
    import cssim

    shipped = sorted((ROOT / "scenarios").glob("*.yaml"))
    out = []
    for i in range(n):
        src = shipped[i % len(shipped)]
        s = cssim.load_scenario(src)
        if i >= len(shipped):
            k = 1 + 0.05 * (i // len(shipped))
            changes = {"name": f"{s.name} (variant {i})"}
            for j, seg in enumerate(s.segments):
                if isinstance(seg.churn.monthly, float):
                    changes[f"segments.{j}.churn.monthly"] = round(seg.churn.monthly * k, 5)
            s = s.replace(changes)
        path = folder / f"{i:02d}-{src.stem}.yaml"
        path.write_text(s.to_yaml())
        out.append(path)
    return out


def naive(files: list[Path], out: Path, paths: int, seed: int) -> float:
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    for f in files:
        nb = out / f"{f.stem}.ipynb"
        subprocess.run(
            [
                str(BIN / "papermill"),
                str(TEMPLATE),
                str(nb),
                "-k",
                "python3",
                "-p",
                "scenario_path",
                str(f),
                "-p",
                "paths",
                str(paths),
                "-p",
                "seed",
                str(seed),
                "--no-progress-bar",
            ],
            check=True,
            capture_output=True,
            cwd=ROOT,
        )
        subprocess.run(
            [str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(nb)],
            check=True,
            capture_output=True,
        )
    return time.perf_counter() - start


def batch(files: list[Path], out: Path, paths: int, seed: int, jobs: int) -> float:
    start = time.perf_counter()
    proc = subprocess.run(
        [
            str(BIN / "cssim"),
            "batch",
            *map(str, files),
            "--out",
            str(out),
            "--jobs",
            str(jobs),
            "--paths",
            str(paths),
            "--seed",
            str(seed),
        ],
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"cssim batch failed:\n{proc.stdout}\n{proc.stderr}")
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenarios", type=int, default=20)
    ap.add_argument("--paths", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--quick", action="store_true", help="4 scenarios, 500 paths")
    a = ap.parse_args()
    if a.quick:
        a.scenarios, a.paths = 4, 500
    tmp = Path(tempfile.mkdtemp(prefix="cssim-bench-batch-"))
    try:
        (tmp / "scenarios").mkdir()
        files = make_scenarios(tmp / "scenarios", a.scenarios)
        t_batch = batch(files, tmp / "batch", a.paths, a.seed, a.jobs)
        t_naive = naive(files, tmp / "naive", a.paths, a.seed)
        rerun = batch(files, tmp / "batch", a.paths, a.seed, a.jobs)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    n = len(files)
    print(f"{n} scenarios x {a.paths:,} paths, seed {a.seed}")
    print(
        f"  naive loop (papermill CLI, then nbconvert CLI, one by one): {t_naive:7.1f} s "
        f"({t_naive / n:.2f} s per scenario)"
    )
    print(
        f"  cssim batch --jobs {a.jobs}:                                {t_batch:7.1f} s "
        f"({t_batch / n:.2f} s per scenario)"
    )
    print(
        f"  speed-up: {t_naive / t_batch:.2f}x (target >= 2.5x: "
        f"{'PASS' if t_naive / t_batch >= 2.5 else 'MISS'})"
    )
    print(f"  re-run with nothing changed (all skipped): {rerun:.1f} s")


if __name__ == "__main__":
    main()
