"""The one way cssim writes a table as CSV: text cells a spreadsheet would run as a formula are escaped.

A spreadsheet opening a CSV runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a formula, and a
leading tab or carriage return can hide one (OWASP, "CSV injection"). Customer ids, segment and scenario
names come from users' files, so every text cell that starts with one of those characters is written with a
leading apostrophe (``=HYPERLINK(...)`` -> ``'=HYPERLINK(...)``), which spreadsheets show as text. Numbers
stay numbers: numeric columns are untouched, and so is text that is a plain number (``-5``, ``+81``,
``1e-3``). Column names and index labels are cells too and are escaped the same way.

:func:`csv_text` gives the text, :func:`write_csv` writes it atomically (a reader never sees half a file).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd

from .atomic import atomic

__all__ = ["FORMULA_STARTS", "csv_text", "escape_cell", "formula_safe", "write_csv"]

#: the first characters that make a spreadsheet read a cell as a formula
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$")


def escape_cell(value):
    """``value`` with a leading ``'`` when it is text that a spreadsheet would run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _NUMBER.match(value):
        return "'" + value
    return value


def _text_like(series: pd.Series) -> bool:
    return (
        pd.api.types.is_object_dtype(series.dtype)
        or pd.api.types.is_string_dtype(series.dtype)
        or isinstance(series.dtype, pd.CategoricalDtype)
    )


def formula_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells, column names and index labels are escaped."""
    out = frame.copy()
    for i in range(out.shape[1]):
        column = out.iloc[:, i]
        if _text_like(column):
            out.isetitem(i, column.astype(object).map(escape_cell))
    out.columns = _escape_index(out.columns)
    out.index = _escape_index(out.index)
    return out


def _escape_index(index: pd.Index) -> pd.Index:
    if isinstance(index, pd.MultiIndex):
        index = index.set_levels([_escape_index(level) for level in index.levels])
    elif index.dtype == object or pd.api.types.is_string_dtype(index.dtype):
        index = index.map(escape_cell)
    return index.set_names([escape_cell(n) for n in index.names])


def csv_text(frame: pd.DataFrame, *, index: bool = False, **to_csv) -> str:
    """``frame`` as CSV text with formula cells escaped (``to_csv`` options are pandas')."""
    return formula_safe(frame).to_csv(index=index, **to_csv)


def write_csv(
    frame: pd.DataFrame, path: str | os.PathLike, *, index: bool = False, **to_csv
) -> Path:
    """Write ``frame`` as CSV (UTF-8, formula cells escaped) atomically; returns the path."""
    safe = formula_safe(frame)
    return atomic(Path(path), lambda p: safe.to_csv(p, index=index, **to_csv))
