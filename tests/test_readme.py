"""The README runs as written: its shell commands, in one shell as a reader types them, its Python snippet
and its YAML, in a copy of the repository; outputs land in the ignored out/ folder with the usual
permissions, and nothing else appears at the root."""

from __future__ import annotations

import copy
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import cssim
from cssim.model.scenario import Scenario

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
PACKAGE_DIR = (ROOT / "cssim").resolve()
BLOCKS = re.findall(r"^```(\w+)\n(.*?)^```", README, flags=re.S | re.M)
TWO_COMMANDS = ["make report", "make test"]
DASK_MARK = "--- the Dask example ---"


def _commands(text: str) -> list[str]:
    return [line.split("#")[0].strip() for line in text.splitlines() if line.split("#")[0].strip()]


def _blocks(lang: str) -> list[str]:
    return [body for kind, body in BLOCKS if kind == lang]


def test_the_two_commands_are_what_ci_runs():
    first = _blocks("bash")[0]
    assert _commands(first) == TWO_COMMANDS
    ci = [c for c in _commands((ROOT / ".ci" / "run").read_text()) if c.startswith("make ")]
    assert ci[-2:] == TWO_COMMANDS  # in a fresh clone, after .ci/install-system-deps
    assert "install-system-deps" in (ROOT / "Makefile").read_text()


def test_readme_links_only_files_in_the_repository():
    for target in re.findall(r"\]\(([^)#]+)\)", README):
        if "://" in target:
            continue
        assert not target.startswith(".."), target
        assert (ROOT / target).exists(), f"README links {target}, which is not in the repository"


def test_the_scenario_yaml_and_every_distribution_form_validate():
    yamls = _blocks("yaml")
    data = yaml.safe_load(yamls[0])
    scenario = Scenario.from_dict(data, source="README")
    assert scenario.name == data["name"]
    where = {
        "monthly": ("churn", "monthly"),
        "rate": ("acquisition", "rate"),
        "arpa": ("arpa",),
    }
    lines = [ln.split("#")[0].strip() for ln in yamls[1].splitlines() if ln.split("#")[0].strip()]
    assert len(lines) == 7
    for line in lines:
        ((key, value),) = yaml.safe_load(line).items()
        changed = copy.deepcopy(data)
        node = changed["segments"][0]
        *parents, leaf = where[key]
        for p in parents:
            node = node[p]
        node[leaf] = value
        Scenario.from_dict(changed, source=f"README: {line}")


def _copy_of_the_repository(dest: Path) -> Path:
    ignore = shutil.ignore_patterns(
        ".git",
        ".venv",
        "out",
        "__pycache__",
        ".pytest_cache",
        ".ruff_cache",
        ".hypothesis",
    )

    def skip(folder: str, names: list[str]) -> set[str]:
        # rendered pages (reports/, docs) stay behind; the package's own page templates come along
        inside_package = Path(folder).resolve().is_relative_to(PACKAGE_DIR)
        html = set() if inside_package else {n for n in names if n.endswith(".html")}
        return set(ignore(folder, names)) | html

    shutil.copytree(ROOT, dest, ignore=skip, symlinks=True)
    (dest / ".venv").symlink_to(Path(os.path.realpath(ROOT / ".venv")))
    return dest


@pytest.mark.slow
def test_readme_commands_and_python_run_as_written(tmp_path):
    repo = _copy_of_the_repository(tmp_path / "cssim")
    before = {p.name for p in repo.iterdir()}
    shell = []
    for block in _blocks("bash")[1:]:
        if (
            "dask scheduler" in block
        ):  # its processes log their own shutdown tracebacks when stopped
            shell.append(f"echo '{DASK_MARK}' >&2")
        shell.append(block)
    script = "\n".join(
        [
            "set -euo pipefail",
            "umask 022",
            # the Dask example starts a scheduler and workers in the background: stop them at the end
            "trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true' EXIT",
            *shell,
        ]
    )
    env = {**os.environ, "PYTHONPATH": str(repo), "MPLBACKEND": "Agg"}
    env.pop("VIRTUAL_ENV", None)
    run = subprocess.run(
        ["bash", "-c", script], cwd=repo, env=env, capture_output=True, text=True, timeout=1500
    )
    assert run.returncode == 0, f"stdout:\n{run.stdout[-3000:]}\nstderr:\n{run.stderr[-5000:]}"
    ours, _, dask = run.stderr.partition(DASK_MARK)
    assert "Traceback" not in ours
    assert dask and "cssim:" not in dask  # the Dask example ran, and cssim reported no error

    [snippet] = _blocks("python")
    py = subprocess.run(
        [str(repo / ".venv" / "bin" / "python"), "-c", "import os; os.umask(0o022)\n" + snippet],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert py.returncode == 0, py.stderr[-3000:]

    out = repo / "out"
    for path in (
        "growth-vs-churn/summary.csv",
        "growth-vs-churn.html",
        "scenario.schema.json",
        "batch/index.html",
        "batch/manifest.json",
        "sweep/sweep.html",
        "compare/compare.html",
        "levers/churn-floor-expansion/levers.csv",
        "my-business.yaml",
        "calibration/calibration.html",
        "paths.parquet",
    ):
        assert (out / path).is_file(), path
    assert cssim.load_scenario(out / "my-business.yaml")
    # the README's promise: a batch on the Dask cluster writes the numbers of the local batch
    import json

    local, dask_run = (
        {e["slug"]: e for e in json.loads((out / d / "manifest.json").read_text())["scenarios"]}
        for d in ("batch", "batch-dask")
    )
    assert local.keys() == dask_run.keys() and len(local) >= 10
    for slug, entry in local.items():
        for kind in ("summary", "quantiles"):
            name = entry["outputs"][kind]
            assert entry["files"][name]["sha256"] == dask_run[slug]["files"][name]["sha256"], name
    assert {p.name for p in repo.iterdir()} - before == {"out"}, "outputs outside out/"
    modes = {
        str(p.relative_to(out)): oct(p.stat().st_mode & 0o777)
        for p in out.rglob("*")
        if p.is_file()
    }
    assert {m for m in modes.values()} == {"0o644"}, {
        k: m for k, m in modes.items() if m != "0o644"
    }
    assert not list(out.rglob(".*.tmp*")), "temporary files left behind"


def test_readme_python_runs_in_this_process(tmp_path, monkeypatch):
    """The snippet again, fast (fewer paths), so a broken snippet fails without the slow marker."""
    [snippet] = _blocks("python")
    fast = snippet.replace("paths=10_000", "paths=500")
    assert fast != snippet
    repo = tmp_path / "repo"
    (repo / "scenarios").mkdir(parents=True)
    shutil.copy(ROOT / "scenarios" / "growth-vs-churn.yaml", repo / "scenarios")
    monkeypatch.chdir(repo)
    exec(compile(fast, "README.md", "exec"), {"__name__": "readme"})
    assert (repo / "out" / "paths.parquet").is_file()
    assert sys.modules["cssim"] is cssim
