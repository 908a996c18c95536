"""The one CSV writer: text a spreadsheet would run as a formula is escaped, numbers stay numbers."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from cssim.model.csvout import FORMULA_STARTS, csv_text, escape_cell, formula_safe, write_csv


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("-5", "-5"),
        ("+81", "+81"),
        ("1e-3", "1e-3"),
        ("SMB", "SMB"),
        ("", ""),
        ("a=b", "a=b"),
    ],
)
def test_cells_that_start_a_formula_are_escaped(cell, written):
    assert escape_cell(cell) == written


def test_numbers_stay_numbers_and_names_are_cells_too():
    frame = pd.DataFrame(
        {
            "segment": ["=1+1", "SMB", "@x"],
            "=evil": [-1.5, 2.0, np.nan],
            "count": [-3, 0, 7],
            "label": pd.Series(["-", "+a", "ok"], dtype="str"),
        }
    )
    safe = formula_safe(frame)
    assert list(safe.columns) == ["segment", "'=evil", "count", "label"]
    assert safe["segment"].tolist() == ["'=1+1", "SMB", "'@x"]
    assert safe["label"].tolist() == ["'-", "'+a", "ok"]
    assert safe["'=evil"].dtype == float and safe["count"].dtype == frame["count"].dtype
    back = pd.read_csv(io.StringIO(csv_text(frame)))
    assert back["count"].tolist() == [-3, 0, 7] and back["'=evil"].tolist()[:2] == [-1.5, 2.0]
    assert frame["segment"].tolist() == ["=1+1", "SMB", "@x"]  # the caller's frame is not changed
    assert not any(
        str(v).startswith(FORMULA_STARTS) and not str(v).lstrip("+-").replace(".", "").isdigit()
        for v in back.to_numpy().ravel()
        if isinstance(v, str)
    )


def test_index_labels_are_escaped_and_the_file_is_written_atomically(tmp_path):
    frame = pd.DataFrame({"v": [1, 2]}, index=pd.Index(["=a", "b"], name="-name"))
    path = write_csv(frame, tmp_path / "deep" / "out.csv", index=True)
    assert path.read_text().splitlines() == ["'-name,v", "'=a,1", "b,2"]
    assert [p.name for p in path.parent.iterdir()] == ["out.csv"]
