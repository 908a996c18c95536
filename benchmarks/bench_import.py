"""Start-up benchmark: ``import cssim``, ``cssim --help`` and ``cssim validate FILE`` in fresh processes.

Run from the repository root::

    python benchmarks/bench_import.py [--repeats 7]

Each command runs in a new interpreter (``subprocess``), best of several repeats, next to the cost of
``python -c pass`` measured in the same run; the targets are absolute (0.3 s for the import, 0.5 s for the
commands) and the ratio to an empty interpreter is printed beside them. It also lists which heavy
libraries each command loaded. A benchmark, not a test: it prints PASS or the measured miss.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("scipy", "pandas", "matplotlib", "pyarrow")
CLI = [sys.executable, "-c", "import sys; from cssim.cli import main; sys.exit(main(sys.argv[1:]))"]


def best(cmd: list[str], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True, cwd=ROOT)
        times.append(time.perf_counter() - start)
    return min(times)


def loaded(code: str) -> str:
    probe = f"import sys\n{code}\nprint(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT)
    return out.stdout.strip() or "none"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args(argv)
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())} (2 cores)")
    empty = best([sys.executable, "-c", "pass"], args.repeats)
    plain = ROOT / "scenarios" / "growth-vs-churn.yaml"
    uncertain = ROOT / "scenarios" / "churn-floor-expansion.yaml"
    cases = [
        ("import cssim", [sys.executable, "-c", "import cssim"], 0.3, "import cssim"),
        ("cssim --help", [*CLI, "--help"], 0.5, "import cssim.cli"),
        (f"cssim validate {plain.name}", [*CLI, "validate", str(plain)], 0.5, "import cssim.cli"),
        (
            f"cssim validate {uncertain.name}",
            [*CLI, "validate", str(uncertain)],
            0.5,
            "import contextlib, io\nfrom cssim.cli import main\n"
            f"with contextlib.redirect_stdout(io.StringIO()): main(['validate', {str(uncertain)!r}])",
        ),
    ]
    print(f"python -c pass: {empty:.3f} s\n")
    print(
        f"{'command':40} {'seconds':>8} {'x pass':>7} {'target':>7}  verdict  (heavy libraries loaded)"
    )
    for label, cmd, target, probe in cases:
        s = best(cmd, args.repeats)
        ok = "PASS" if s <= target else f"MISS by {s / target:.2f}x"
        print(f"{label:40} {s:8.3f} {s / empty:7.1f} {target:7.1f}  {ok}  ({loaded(probe)})")
    # The cause of a miss on an uncertain scenario: validation computes quantiles and the mass inside
    # each field's range (the beta's regularised incomplete beta function), which scipy.special holds.
    numpy = best([sys.executable, "-c", "import numpy"], args.repeats)
    special = best([sys.executable, "-c", "import numpy, scipy.special"], args.repeats)
    print(
        f"\nquantiles of an uncertain parameter need scipy.special: importing it after numpy takes "
        f"{special - numpy:.3f} s, numpy itself {numpy - empty:.3f} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
