"""CSVs cssim writes never carry a cell a spreadsheet would run as a formula (issue 21, item 7): a
scenario or segment named like a formula reaches run, levers and compare outputs escaped."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
NAME = "=cmd|' /C calc'!A0"
SEGMENT = '=HYPERLINK("http://example.com","x")'
STARTS = ("=", "+", "-", "@", "\t", "\r")


def _hostile(folder: Path) -> Path:
    data = yaml.safe_load((ROOT / "scenarios" / "growth-vs-churn.yaml").read_text(encoding="utf-8"))
    data["name"] = NAME
    data["horizon_months"] = 12
    data["segments"][0]["name"] = SEGMENT
    path = folder / "formula.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _cells(folder: Path) -> list[tuple[Path, str]]:
    out = []
    for path in sorted(folder.rglob("*.csv")):
        with path.open(encoding="utf-8", newline="") as f:
            out += [(path, cell) for row in csv.reader(f) for cell in row]
    return out


def _cssim(*args) -> None:
    subprocess.run(
        [sys.executable, "-m", "cssim.cli", *map(str, args)],
        check=True,
        capture_output=True,
        text=True,
    )


def test_formula_names_are_escaped_in_every_csv(tmp_path):
    source = _hostile(tmp_path)
    out = tmp_path / "out"
    _cssim("run", source, "--out", out / "run", "--paths", 50)
    _cssim("levers", source, "--out", out / "levers", "--paths", 50)
    _cssim("compare", source, source, "--out", out / "compare", "--paths", 50)
    cells = _cells(out)
    files = {p.name for p, _ in cells}
    assert {"unit_economics.csv", "levers.csv", "breakeven.csv", "compare.csv"} <= files
    named = [(p, c) for p, c in cells if "cmd|" in c or "HYPERLINK" in c]
    assert named, "the names reach the CSVs"
    assert all(c.startswith("'") for _, c in named), named[:3]
    live = [(p.name, c) for p, c in cells if c.startswith(STARTS) and not _number(c)]
    assert live == []


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
