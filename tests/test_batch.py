"""Batches: every good scenario completes, failures are reported, outputs are atomic, re-runs skip."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from cssim.model.result import SimulationResult
from cssim.runs.batch import run_batch

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture()
def sources(tmp_path):
    src = tmp_path / "scenarios"
    src.mkdir()
    shutil.copy(ROOT / "scenarios" / "growth-vs-churn.yaml", src / "a.yaml")
    text = (ROOT / "scenarios" / "growth-vs-churn.yaml").read_text()
    (src / "b.yaml").write_text(
        text.replace("monthly: 0.03", "monthly: 0.01").replace(
            "name: Growth against churn", "name: Low churn"
        )
    )
    (src / "broken.yaml").write_text(
        "name: broken\nhorizon_months: 12\nsegments:\n  - name: x\n    customers: -3\n"
    )
    return src


def _manifest(out):
    return json.loads((out / "manifest.json").read_text())


def test_batch_reports_failures_and_completes_the_rest(sources, tmp_path):
    out = tmp_path / "out"
    res = run_batch(
        [sources, tmp_path / "missing.yaml"], out, paths=500, seed=3, report=False, progress=False
    )
    assert res.exit_code == 1
    by = {Path(e["source"]).name: e for e in _manifest(out)["scenarios"]}
    assert by["a.yaml"]["status"] == by["b.yaml"]["status"] == "ok"
    assert by["broken.yaml"]["status"] == "failed"
    assert "segments[0].customers" in by["broken.yaml"]["error"]
    assert "line 5" in by["broken.yaml"]["error"]
    assert (
        by["missing.yaml"]["status"] == "failed" and "no such file" in by["missing.yaml"]["error"]
    )
    for e in (by["a.yaml"], by["b.yaml"]):
        assert e["seed"] == 3 and e["paths"] == 500 and e["cssim_version"]
        assert len(e["content_hash"]) == 64
        for rel in e["outputs"].values():
            assert (out / rel).exists()
    # lower churn, same seed: higher ARR on every comparison the index shows
    assert by["b.yaml"]["headline"]["arr_median"] > by["a.yaml"]["headline"]["arr_median"]
    index = (out / "index.html").read_text()
    assert "Low churn" in index and "broken" in index and "customers" in index
    assert "http://" not in index and "https://" not in index
    assert not list(out.rglob("*.tmp")), "no temporary files left behind"


def test_rerun_skips_what_is_up_to_date_and_force_reruns(sources, tmp_path):
    out = tmp_path / "out"
    run_batch([sources], out, paths=300, seed=1, report=False, progress=False)
    first = _manifest(out)
    (sources / "b.yaml").write_text((sources / "b.yaml").read_text().replace("0.01", "0.015"))
    res = run_batch([sources], out, paths=300, seed=1, report=False, progress=False)
    status = {Path(e["source"]).name: e["status"] for e in res.entries}
    assert status == {"a.yaml": "up-to-date", "b.yaml": "ok", "broken.yaml": "failed"}
    a_then = next(e for e in first["scenarios"] if e["source"].endswith("a.yaml"))
    a_now = next(e for e in res.entries if e["source"].endswith("a.yaml"))
    assert a_now["headline"] == a_then["headline"]
    # changing a run parameter invalidates everything; --force re-runs everything
    res = run_batch([sources], out, paths=301, seed=1, report=False, progress=False)
    assert {e["status"] for e in res.entries} == {"ok", "failed"}
    res = run_batch([sources], out, paths=301, seed=1, report=False, progress=False, force=True)
    assert [e["status"] for e in res.entries].count("up-to-date") == 0


def test_interrupted_batch_resumes(sources, tmp_path):
    """A batch killed after one scenario keeps that scenario's outputs and manifest entry."""
    out = tmp_path / "out"
    run_batch([sources / "a.yaml"], out, paths=300, seed=1, report=False, progress=False)
    res = run_batch([sources], out, paths=300, seed=1, report=False, progress=False)
    status = {Path(e["source"]).name: e["status"] for e in res.entries}
    assert status["a.yaml"] == "up-to-date" and status["b.yaml"] == "ok"


def test_parallel_batch_matches_serial(sources, tmp_path):
    serial = run_batch([sources], tmp_path / "s", paths=1200, seed=9, report=False, progress=False)
    parallel = run_batch(
        [sources], tmp_path / "p", paths=1200, seed=9, jobs=2, report=False, progress=False
    )
    assert [e["status"] for e in serial.entries] == [e["status"] for e in parallel.entries]
    for slug in ("a", "b"):
        a = SimulationResult.load(tmp_path / "s" / slug / "result.npz")
        b = SimulationResult.load(tmp_path / "p" / slug / "result.npz")
        np.testing.assert_array_equal(a["mrr"], b["mrr"])


def test_batch_renders_every_good_report_through_the_cli(sources, tmp_path):
    """The issue's 'done when': good reports, a truthful index and manifest, exit code 1, then a re-run
    that skips what is up to date. Real kernels render in two worker processes at once."""
    import re
    import subprocess
    import sys

    out = tmp_path / "out"
    cmd = [
        sys.executable,
        "-m",
        "cssim.cli",
        "batch",
        str(sources),
        "--out",
        str(out),
        "--jobs",
        "2",
        "--paths",
        "300",
        "--seed",
        "4",
    ]
    first = subprocess.run(cmd, capture_output=True, text=True)
    assert first.returncode == 1, first.stderr
    assert "Traceback" not in first.stderr and "broken.yaml" in first.stderr
    entries = {Path(e["source"]).name: e for e in _manifest(out)["scenarios"]}
    for name in ("a.yaml", "b.yaml"):
        report = out / entries[name]["outputs"]["report"]
        html = report.read_text()
        assert entries[name]["name"] in html and "data:image/png;base64," in html
    index = (out / "index.html").read_text()
    links = re.findall(r'href="([^"]+)"', index)
    assert sorted(links) == sorted(entries[n]["outputs"]["report"] for n in ("a.yaml", "b.yaml"))
    assert all((out / link).exists() for link in links)
    second = subprocess.run(cmd, capture_output=True, text=True)
    assert second.returncode == 1
    assert "2 up to date" in second.stdout


def test_a_second_link_to_one_scenario_is_said_and_recorded(sources, tmp_path):
    """Two names for one file run once (issue 21): the one left out is printed and recorded in the
    manifest with the name that runs, not dropped without a word."""
    import subprocess
    import sys

    CLI = (sys.executable, "-m", "cssim.cli")
    (sources / "link.yaml").symlink_to(sources / "a.yaml")
    (sources / "twice.yaml").symlink_to(sources / "link.yaml")
    out = tmp_path / "out"
    res = run_batch([sources], out, paths=200, seed=1, report=False, progress=False)
    same = {Path(d["source"]).name: Path(d["same_as"]).name for d in res.duplicates}
    assert same == {"link.yaml": "a.yaml", "twice.yaml": "a.yaml"}
    assert _manifest(out)["duplicates"] == res.duplicates
    assert [Path(e["source"]).name for e in res.entries] == ["a.yaml", "b.yaml", "broken.yaml"]
    cli = subprocess.run(
        [
            *CLI,
            "batch",
            str(sources),
            "--out",
            str(tmp_path / "c"),
            "--no-report",
            "--paths",
            "200",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert f"{sources / 'link.yaml'}" in cli.stderr and "the same file as" in cli.stderr, cli.stderr
