"""The explorer's saved scenario says what was changed, is written with the usual permissions, and its
worker processes leave interrupts to the parent (no KeyboardInterrupt traceback on shutdown)."""

from __future__ import annotations

import os
import shutil
import signal
from pathlib import Path

import cssim
from cssim.widgets.explorer import Explorer

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "growth-vs-churn.yaml"


def _sigint_ignored() -> bool:
    return signal.getsignal(signal.SIGINT) == signal.SIG_IGN


def test_saved_scenario_names_and_describes_the_change(tmp_path):
    source = tmp_path / "growth.yaml"
    shutil.copy(SCENARIO, source)
    base = cssim.load_scenario(source)
    e = Explorer(source, workers=1, preview_paths=500)
    old = os.umask(0o022)
    try:
        e.controls["All customers"]["churn"].value = 0.025
        e.horizon.value = 48
        out = e.save(tmp_path / "edited.yaml")
    finally:
        os.umask(old)
        e.close()
    saved = cssim.load_scenario(out)
    assert saved.name == f"{base.name} (edited)"
    assert "growth.yaml" in saved.description
    assert "All customers: churn.monthly 0.03 -> 0.025" in saved.description
    assert "horizon_months 36 -> 48" in saved.description
    assert saved.description.endswith(base.description)
    assert out.stat().st_mode & 0o777 == 0o644


def test_unchanged_save_keeps_the_files_name(tmp_path):
    e = Explorer(SCENARIO, workers=1, preview_paths=500)
    try:
        out = e.save(tmp_path / "same.yaml")
    finally:
        e.close()
    assert cssim.load_scenario(out).name == cssim.load_scenario(SCENARIO).name


def test_workers_ignore_sigint():
    e = Explorer(SCENARIO, workers=2, preview_paths=2000, seed=3)
    try:
        assert e._pool is not None
        assert e._pool.pool.submit(_sigint_ignored).result(timeout=60) is True
        assert not _sigint_ignored()  # the parent still takes Ctrl-C
    finally:
        e.close()
