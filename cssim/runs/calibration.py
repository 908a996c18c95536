"""``cssim calibrate``: fit a scenario to a billing export, write it and, if asked, its report."""

from __future__ import annotations

import sys

from ..data.calibrate import calibrate
from ..model.errors import ScenarioError
from ..reporting.calibration_report import write_report

__all__ = ["calibrate_cli"]


def calibrate_cli(
    data_path, out_path, report_dir=None, *, horizon_months: int = 36, currency: str = "JPY"
) -> int:
    """``cssim calibrate DATA.csv --out SCENARIO.yaml [--report DIR]``: 0 ok, 2 bad data, 1 failed.

    Prints what it wrote on stdout and any error as one message on stderr (never a traceback).
    """
    try:
        cal = calibrate(data_path, horizon_months=horizon_months, currency=currency)
    except ScenarioError as e:
        print(e, file=sys.stderr)
        return 2
    try:
        out = cal.write_scenario(out_path)
        print(f"wrote {out}")
        if report_dir is not None:
            print(f"wrote {write_report(cal, report_dir)}")
    except OSError as e:
        print(
            f"cssim: calibrate failed: cannot write {e.filename or ''}: {e.strerror}",
            file=sys.stderr,
        )
        return 1
    return 0
