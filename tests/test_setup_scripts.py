"""The fresh-machine setup: `.ci/install-system-deps` (run by `make setup` and `.ci/run`) installs what is
missing as root, or stops at once with the one command to run."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / ".ci" / "install-system-deps"


def _run(
    env_extra: dict, as_nobody: bool = False, where: Path | None = None
) -> subprocess.CompletedProcess:
    env = {**os.environ, **env_extra}
    script = SCRIPT
    if as_nobody:
        # the checkout may sit in a folder only root can enter (CI clones into a 0700 mktemp dir):
        # run a copy from a folder that user can read
        assert where is not None
        where.chmod(0o755)
        script = where / SCRIPT.name
        shutil.copy2(SCRIPT, script)
        script.chmod(0o755)
    cmd = [str(script)]
    if as_nobody:
        cmd = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *cmd]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)


def test_nothing_to_do_when_everything_is_there():
    chromium = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    if not os.access(chromium, os.X_OK):
        pytest.skip("no Chromium here: the browser tests would say so too")
    done = _run({"CHROMIUM": chromium})
    assert done.returncode == 0 and done.stdout == "" and done.stderr == ""


def test_without_root_it_stops_with_the_one_command(tmp_path):
    missing = {"CHROMIUM": str(tmp_path / "no-chromium")}
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("root without setpriv: cannot drop privileges to try")
        shared = Path(tempfile.mkdtemp(dir="/tmp"))
        try:
            done = _run(missing, as_nobody=True, where=shared)
        finally:
            shutil.rmtree(shared, ignore_errors=True)
    else:
        done = _run(missing)
    assert done.returncode == 1
    assert "sudo apt-get update && sudo apt-get install -y chromium" in done.stderr
    assert "Traceback" not in done.stderr


def test_make_setup_and_ci_use_the_same_script():
    makefile = (ROOT / "Makefile").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "@.ci/install-system-deps" in makefile and "setup: system-deps" in makefile
    assert ".ci/install-system-deps" in ci
    assert os.access(SCRIPT, os.X_OK) and os.access(ROOT / ".ci" / "run", os.X_OK)


def test_make_lab_allows_root_and_opens_at_the_repository_root():
    # run as a fresh make would, not as a sub-make of `make test` (which prints its directory)
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    out = subprocess.run(
        ["make", "--no-print-directory", "-n", "-W", "pyproject.toml", "lab"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout.splitlines()
    lab = next(line for line in reversed(out) if "jupyter" in line)
    assert "jupyter lab --ServerApp.root_dir=." in lab
    assert ("--allow-root" in lab) == (os.geteuid() == 0)
