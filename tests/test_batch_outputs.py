"""Batches and single runs keep every output inside --out, report every source, limit runaway
scenarios, and trust an output on resume only when it is whole."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cssim import cli
from cssim.runs.batch import run_batch
from cssim.runs.manifest import remove_stale_temporaries
from cssim.runs.naming import output_slug, unique_slugs

ROOT = Path(__file__).resolve().parents[1]
GOOD = (ROOT / "scenarios" / "growth-vs-churn.yaml").read_text()
SMALL = GOOD.replace("horizon_months: 36", "horizon_months: 12")

HOSTILE_STEMS = [
    "...",
    "..",
    ".",
    ".hidden",
    " ",
    "-",
    "a/b",
    "a\\b",
    "index.html",
    "MANIFEST.JSON",
]


@pytest.mark.parametrize(
    "name", ["...yaml", "..yaml", ".yaml", "....yaml", "-.yaml", " .yaml", "/abs/x.yaml", ""]
)
def test_slug_is_never_empty_dot_absolute_or_a_path(name):
    slug = output_slug(name)
    assert slug and slug not in (".", "..")
    assert "/" not in slug and "\\" not in slug and "\0" not in slug
    assert not os.path.isabs(slug) and not slug.startswith(".")


@pytest.mark.parametrize("stem", HOSTILE_STEMS)
def test_hostile_stems_give_plain_names(stem):
    slug = output_slug(stem + ".yaml")
    assert slug not in ("", ".", "..") and os.sep not in slug and "\\" not in slug
    assert slug.casefold() not in ("index.html", "manifest.json")


def test_slugs_keep_ordinary_and_japanese_names():
    assert output_slug("scenarios/growth-vs-churn.yaml") == "growth-vs-churn"
    assert output_slug("成長と解約.yaml") == "成長と解約"


def test_same_slug_gives_distinct_folders_stably(tmp_path):
    paths = [
        tmp_path / "x" / "s.yaml",
        tmp_path / "y" / "s.yaml",
        tmp_path / "a b.yaml",
        tmp_path / "a-b.yaml",
        tmp_path / "A.yaml",
        tmp_path / "a.yaml",
    ]
    slugs = unique_slugs(paths)
    assert len({s.casefold() for s in slugs}) == len(paths)
    assert unique_slugs(paths) == slugs


def _outside_untouched(parent: Path, out: Path) -> None:
    stray = sorted(p.name for p in parent.iterdir() if p != out and p.name != "src")
    assert stray == [], f"files written outside --out: {stray}"


@pytest.mark.parametrize("name", ["...yaml", "..yaml", ".yaml", "index.html.yaml"])
def test_cssim_run_writes_inside_out(name, tmp_path, capsys):
    src = tmp_path / "src"
    src.mkdir()
    (src / name).write_text(SMALL)
    out = tmp_path / "out"
    assert cli.main(["run", str(src / name), "--out", str(out), "--paths", "200"]) == 0
    _outside_untouched(tmp_path, out)
    [folder] = [p for p in out.iterdir()]
    assert folder.is_dir() and folder.parent == out and (folder / "summary.csv").exists()


def test_cssim_batch_writes_inside_out_and_reports_every_source(tmp_path, capsys):
    src = tmp_path / "src"
    src.mkdir()
    for name in ("...yaml", "..yaml", ".yaml", "index.html.yaml", "a b.yaml", "a-b.yaml"):
        (src / name).write_text(SMALL)
    (src / "dangling.yaml").symlink_to(src / "nowhere.yaml")
    (src / "loop.yaml").symlink_to(src / "loop.yaml")
    out = tmp_path / "out"
    # ".yaml" has no suffix (a hidden file), so a folder does not list it: give it by name
    code = cli.main(
        ["batch", str(src), str(src / ".yaml"), "--out", str(out), "--paths", "200", "--no-report"]
    )
    assert code == 1  # the two links fail; everything else runs
    _outside_untouched(tmp_path, out)
    manifest = json.loads((out / "manifest.json").read_text())
    by = {Path(e["source"]).name: e for e in manifest["scenarios"]}
    assert set(by) == {
        "...yaml",
        "..yaml",
        ".yaml",
        "index.html.yaml",
        "a b.yaml",
        "a-b.yaml",
        "dangling.yaml",
        "loop.yaml",
    }
    assert (
        by["dangling.yaml"]["status"] == "failed" and "no such file" in by["dangling.yaml"]["error"]
    )
    assert by["loop.yaml"]["status"] == "failed" and "symbolic links" in by["loop.yaml"]["error"]
    slugs = [e["slug"] for e in manifest["scenarios"]]
    assert len(set(slugs)) == len(slugs)
    for e in manifest["scenarios"]:
        if e["status"] == "ok":
            for rel in e["outputs"].values():
                target = (out / rel).resolve()
                assert target.parent.parent == out.resolve() and target.is_file()
    assert (out / "index.html").is_file()  # not replaced by a scenario's folder
    index = (out / "index.html").read_text()
    assert "dangling.yaml" in index and "loop.yaml" in index


RUNAWAY = SMALL.replace("horizon_months: 12", "horizon_months: 120").replace(
    "rate: 0.20", "rate: 30"
)


def test_a_runaway_scenario_fails_with_its_reason_and_the_rest_complete(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "good.yaml").write_text(SMALL)
    (src / "runaway.yaml").write_text(RUNAWAY.replace("rate: 30", "rate: 3"))  # ~4e7 customers
    # the batch's own cap on customers (below what validation allows) turns it into a failure
    res = run_batch(
        [src], tmp_path / "out", paths=200, report=False, progress=False, max_customers=1e5
    )
    by = {Path(e["source"]).name: e for e in res.entries}
    assert by["good.yaml"]["status"] == "ok"
    assert by["runaway.yaml"]["status"] == "failed" and by["runaway.yaml"]["stage"] == "limits"
    assert "expected customers reach" in by["runaway.yaml"]["error"]
    # past what the engine can store, validation itself refuses it, naming the bound
    (src / "runaway.yaml").write_text(RUNAWAY)
    res = run_batch([src], tmp_path / "out2", paths=200, report=False, progress=False)
    by = {Path(e["source"]).name: e for e in res.entries}
    assert by["good.yaml"]["status"] == "ok"
    assert by["runaway.yaml"]["status"] == "failed" and by["runaway.yaml"]["stage"] == "validate"
    assert "customers" in by["runaway.yaml"]["error"]


def test_memory_cap_says_how_many_paths_fit(tmp_path):
    src = tmp_path / "good.yaml"
    src.write_text(SMALL)
    res = run_batch(
        [src], tmp_path / "out", paths=5000, report=False, progress=False, max_memory=1_000_000
    )
    [e] = res.entries
    assert e["status"] == "failed" and e["stage"] == "limits"
    assert "--max-memory" in e["error"] and "paths fit" in e["error"]


def test_timeout_turns_a_slow_scenario_into_a_failure(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "quick.yaml").write_text(SMALL)
    (src / "slow.yaml").write_text(GOOD.replace("horizon_months: 36", "horizon_months: 240"))
    res = run_batch(
        [src], tmp_path / "out", paths=20_000, report=False, progress=False, timeout=0.5
    )
    by = {Path(e["source"]).name: e for e in res.entries}
    assert by["slow.yaml"]["status"] == "failed" and "--timeout" in by["slow.yaml"]["error"]
    assert by["slow.yaml"]["seconds"] < 5
    assert not list((tmp_path / "out").rglob("*.tmp"))


def test_resume_trusts_only_whole_outputs_and_removes_stale_temporaries(tmp_path):
    src = tmp_path / "a.yaml"
    src.write_text(SMALL)
    out = tmp_path / "out"
    first = run_batch([src], out, paths=200, report=False, progress=False)
    [e] = first.entries
    assert e["status"] == "ok" and set(e["files"]) == set(e["outputs"].values())
    stale = [out / "a" / ".report.0123abcd.tmp.ipynb", out / ".manifest.json.xyz.tmp"]
    for p in stale:
        p.write_text("left by a killed run")
    assert (
        run_batch([src], out, paths=200, report=False, progress=False).entries[0]["status"]
        == "up-to-date"
    )
    assert not any(p.exists() for p in stale)
    npz = out / e["outputs"]["result"]
    npz.write_bytes(npz.read_bytes()[:100])  # truncated, as by a full disk
    again = run_batch([src], out, paths=200, report=False, progress=False)
    assert again.entries[0]["status"] == "ok"


def test_remove_stale_temporaries_leaves_other_files(tmp_path):
    keep = [tmp_path / "summary.csv", tmp_path / ".gitkeep", tmp_path / "notes.tmp"]
    for p in keep:
        p.write_text("x")
    (tmp_path / ".summary.csv.abc.tmp").write_text("x")
    assert [p.name for p in remove_stale_temporaries(tmp_path)] == [".summary.csv.abc.tmp"]
    assert all(p.exists() for p in keep)


def test_batch_prints_a_line_per_scenario_when_not_a_terminal(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.yaml").write_text(SMALL)
    (src / "broken.yaml").write_text("name: x\n")
    cmd = [
        sys.executable,
        "-m",
        "cssim.cli",
        "batch",
        str(src),
        "--out",
        str(tmp_path / "out"),
        "--paths",
        "200",
        "--no-report",
    ]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    first = subprocess.run(cmd, capture_output=True, text=True, env=env)
    assert first.returncode == 1 and "Traceback" not in first.stderr
    assert "[1/2] a: ok (" in first.stderr or "[2/2] a: ok (" in first.stderr
    assert "broken: failed at validate:" in first.stderr
    second = subprocess.run(cmd, capture_output=True, text=True, env=env)
    assert "a: up to date" in second.stderr
    assert "1 up to date" in second.stdout and "skipped" not in second.stdout + second.stderr
    index = (tmp_path / "out" / "index.html").read_text()
    assert "skipped" not in index and index.count("up to date") >= 2
