"""A report killed with SIGKILL leaves its kernel's socket folder behind; the next report removes it
(issue 21: ``/tmp/cssim-kernel-*`` left after a kill)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from cssim.reporting.report.run import KERNEL_PREFIX, _remove_orphaned_kernel_folders


def test_folders_of_dead_reports_are_removed_and_live_ones_kept():
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    orphan = Path(tempfile.mkdtemp(prefix=KERNEL_PREFIX))
    (orphan / "owner").write_text(dead.stdout.strip(), encoding="ascii")
    (orphan / "k-1").write_text("", encoding="ascii")
    live = Path(tempfile.mkdtemp(prefix=KERNEL_PREFIX))
    (live / "owner").write_text(str(os.getpid()), encoding="ascii")
    try:
        _remove_orphaned_kernel_folders()
        assert not orphan.exists()
        assert live.exists()
    finally:
        for folder in (orphan, live):
            if folder.exists():
                for f in folder.iterdir():
                    f.unlink()
                folder.rmdir()
