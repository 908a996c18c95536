"""Golden outputs: sha256 of every stored array and of the expected path, to prove optimisations exact.

``python benchmarks/golden.py --record`` writes ``golden.json``; without it, the current outputs are checked
against the file and any difference is listed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import cssim
from cssim.model.engine import simulate_block
from cssim.model.expected import expected_result
from scenarios import growth_vs_churn, three_segments

GOLDEN = Path(__file__).resolve().parent / "golden.json"


def _sha(a: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()


def outputs() -> dict[str, str]:
    out = {}
    for label, scenario in (
        ("growth-vs-churn", growth_vs_churn()),
        ("three-segments", three_segments()),
    ):
        result = cssim.simulate(scenario, paths=3000, seed=7)
        for seg, metrics in result._stored.items():
            for metric, a in metrics.items():
                out[f"{label}/simulate/{seg}/{metric}"] = _sha(a)
        # the engine's own float64 outputs for the first two blocks, before the result stores float32
        for block in (0, 1):
            part = simulate_block(scenario, 7, block, 1000)
            for seg, data in part.items():
                for metric, a in data["metrics"].items():
                    out[f"{label}/block{block}/{seg}/{metric}"] = _sha(a)
        for seg, a in result._year_mrr.items():
            out[f"{label}/simulate/{seg}/year_mrr"] = _sha(a)
        for seg in ["total", *scenario.segment_names]:
            frame = cssim.expected(scenario, seg)
            for col in frame.columns:
                out[f"{label}/expected/{seg}/{col}"] = _sha(frame[col].to_numpy())
        grid = expected_result(scenario)
        for seg, metrics in grid._stored.items():
            for metric, a in metrics.items():
                out[f"{label}/expected_result/{seg}/{metric}"] = _sha(a)
    return out


def libraries() -> dict[str, str]:
    """The versions the hashes were made with: the expected path's sums and special functions may
    change in their last bits with numpy, scipy or pandas, the simulated draws do not."""
    import pandas
    import scipy

    return {"numpy": np.__version__, "scipy": scipy.__version__, "pandas": pandas.__version__}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--record", action="store_true", help="write golden.json instead of checking"
    )
    args = parser.parse_args()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        current = outputs()
    if args.record:
        data = {**current, "_libraries": libraries()}
        GOLDEN.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
        print(f"recorded {len(current)} hashes in {GOLDEN}")
        return 0
    golden = json.loads(GOLDEN.read_text())
    recorded = golden.pop("_libraries", {})
    if recorded and recorded != libraries():
        print(f"recorded with {recorded}, running with {libraries()}")
    bad = sorted(k for k in golden.keys() | current.keys() if golden.get(k) != current.get(k))
    for k in bad:
        print(f"DIFFERS {k}")
    print(
        f"{len(golden) - len(bad)}/{len(golden)} golden hashes match"
        + ("" if bad else ": all identical")
    )
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
