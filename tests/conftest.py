"""Fixtures shared across test files (keep this small: most helpers belong in tests/helpers.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

SMALL_SCENARIO = """\
name: Small
horizon_months: 24
currency: JPY
segments:
  - name: SMB
    customers: 200
    arpa: 10000
    acquisition:
      rate: 0.20
    churn:
      monthly: 0.03
    gross_margin: 0.8
    cac: 50000
"""


@pytest.fixture
def small_scenario_path(tmp_path: Path) -> Path:
    """A valid one-segment, 24-month scenario written to ``tmp_path/small.yaml``."""
    path = tmp_path / "small.yaml"
    path.write_text(SMALL_SCENARIO, encoding="utf-8")
    return path
