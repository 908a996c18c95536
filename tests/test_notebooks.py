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


def _texts(nb: dict) -> list[str]:
    """Every text output of an executed notebook (plain text, HTML, streams)."""
    out = []
    for c in nb["cells"]:
        for o in c.get("outputs", []):
            out += ["".join(v) for k, v in o.get("data", {}).items() if k.startswith("text/")]
            if o.get("output_type") == "stream":
                out.append("".join(o["text"]))
    return out


ENGLISH_STATUS = ("Preview:", "Full run:", "paths x", "common random numbers", "computed in")


@pytest.mark.parametrize(
    ("name", "parameters", "japanese"),
    [
        (
            "explore-scenario.ipynb",
            {"paths": 500, "preview_paths": 500},
            [
                "プレビュー: 500パス × 36か月、シード 42、共通の乱数",
                "計算時間",
                "ARR（中央値）",
                "億円",
            ],
        ),
        (
            "compare-scenarios.ipynb",
            {"paths": 500},
            ["万円", "各シナリオ − A", "差の中央値", "共通の乱数でのばらつき"],
        ),
        (
            "strategy-levers.ipynb",
            {"paths": 300},
            [
                "打ち手の効果",
                "解約率 月−0.5ポイント",
                "億円",
                "顧客数を維持できる解約率",
                "打ち手実施後のARR",
                "解約率 = ",
            ],
        ),
        (
            "calibrate-from-data.ipynb",
            {"paths": 300},
            ["推定値", "月次解約率（全顧客）", "シミュレーション結果", "新規MRR", "億円"],
        ),
    ],
)
def test_notebook_runs_in_japanese(tmp_path, name, parameters, japanese):
    """``lang="ja"``: the explorer's status line, its KPI table and the tables read Japanese."""
    out = tmp_path / name
    papermill.execute_notebook(
        str(NOTEBOOKS / name),
        str(out),
        parameters={**parameters, "lang": "ja"},
        kernel_name=KERNEL,
        cwd=str(NOTEBOOKS),
        progress_bar=False,
        log_output=False,
    )
    texts = _texts(json.loads(out.read_text(encoding="utf-8")))
    joined = "\n".join(texts)
    for words in japanese:
        assert words in joined, (words, joined[:2000])
    for english in ENGLISH_STATUS:
        assert english not in joined, english
    assert "Warning" not in joined, joined[joined.find("Warning") - 300 :][:600]


def test_a_notebook_refuses_an_unknown_language(tmp_path):
    name = "explore-scenario.ipynb"
    with pytest.raises(papermill.PapermillExecutionError) as e:
        papermill.execute_notebook(
            str(NOTEBOOKS / name),
            str(tmp_path / name),
            parameters={"paths": 500, "preview_paths": 500, "lang": "fr"},
            kernel_name=KERNEL,
            cwd=str(NOTEBOOKS),
            progress_bar=False,
            log_output=False,
        )
    assert "is not one of en, ja" in e.value.evalue


@pytest.mark.parametrize("name", sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")))
def test_every_notebook_takes_lang(name):
    nb = json.loads((NOTEBOOKS / name).read_text(encoding="utf-8"))
    cell = next(c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", []))
    assert 'lang = "en"' in "".join(cell["source"])


def test_every_notebook_is_executed_by_this_file():
    ran = {
        "explore-scenario.ipynb",
        "compare-scenarios.ipynb",
        "strategy-levers.ipynb",
        "calibrate-from-data.ipynb",
    }
    assert {p.name for p in NOTEBOOKS.glob("*.ipynb")} == ran
