"""The notebooks run end to end under papermill, as reports run them, with small parameters."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

papermill = pytest.importorskip("papermill")
jupyter_client = pytest.importorskip("jupyter_client")

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
KERNEL = "python3"


def test_the_kernel_is_this_python():
    """``python3`` must run this interpreter (jupyter_client swaps a bare ``python`` for it)."""
    argv = jupyter_client.kernelspec.KernelSpecManager().get_kernel_spec(KERNEL).argv
    assert argv[0] in ("python", "python3", sys.executable), argv


@pytest.mark.parametrize("name", sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")))
def test_notebook_is_committed_without_outputs(name):
    nb = json.loads((NOTEBOOKS / name).read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert all(not c["outputs"] and c["execution_count"] is None for c in code)
    tagged = [c for c in code if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1


@pytest.mark.parametrize(
    ("name", "parameters"),
    [
        ("explore-scenario.ipynb", {"paths": 500, "preview_paths": 500}),
        ("compare-scenarios.ipynb", {"paths": 500}),
        ("strategy-levers.ipynb", {"paths": 300}),
        ("calibrate-from-data.ipynb", {"paths": 300}),
    ],
)
def test_notebook_runs(tmp_path, name, parameters):
    out = tmp_path / name
    papermill.execute_notebook(
        str(NOTEBOOKS / name),
        str(out),
        parameters=parameters,
        kernel_name=KERNEL,
        cwd=str(NOTEBOOKS),
        progress_bar=False,
        log_output=False,
    )
    nb = json.loads(out.read_text(encoding="utf-8"))
    errors = [
        o for c in nb["cells"] for o in c.get("outputs", []) if o.get("output_type") == "error"
    ]
    assert not errors
    assert any("injected-parameters" in c["metadata"].get("tags", []) for c in nb["cells"])


def test_every_notebook_is_executed_by_this_file():
    ran = {
        "explore-scenario.ipynb",
        "compare-scenarios.ipynb",
        "strategy-levers.ipynb",
        "calibrate-from-data.ipynb",
    }
    assert {p.name for p in NOTEBOOKS.glob("*.ipynb")} == ran
