"""How a result shows itself in a terminal and a notebook, in plain English: the model knows no
languages (the words of the other languages are in :mod:`cssim.words`, which builds on this).

:func:`html_table` is the one table markup every ``_repr_html_`` uses, every cell escaped;
:func:`compact_money` the short money figure of a ``repr`` (``1.23B``, ``45.6M``, ``789k``).
"""

from __future__ import annotations

import math
from html import escape

__all__ = ["compact_money", "html_table"]


def compact_money(x: float) -> str:
    """Compact money for a ``repr``: ``1.23B``, ``45.6M``, ``789k``; ``n/a`` where it is not finite."""
    if x is None or not math.isfinite(x):
        return "n/a"
    for div, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= div:
            return f"{x / div:,.3g}{suffix}"
    return f"{x:,.0f}"


def html_table(
    rows: list[tuple],
    columns: tuple[str, ...] | None = None,
    caption: str = "",
    nowrap: bool = False,
) -> str:
    """The one HTML table a notebook's ``_repr_html_`` shows: every cell escaped.

    ``rows`` are tuples of text, the first cell of each a row header; ``columns`` the header row
    (its first cell usually empty), or None for a key-value table; ``caption`` above it. With
    ``nowrap`` a value never breaks over two lines (a figure such as ``11.92億円`` split after 億 reads
    as two numbers); the row names still wrap.
    """
    td = "<td style='white-space:nowrap'>" if nowrap else "<td>"
    head = (
        "<tr>" + "".join(f"<th>{escape(str(c))}</th>" for c in columns) + "</tr>" if columns else ""
    )
    body = "".join(
        f"<tr><th style='text-align:left'>{escape(str(first))}</th>"
        + "".join(f"{td}{escape(str(v))}</td>" for v in rest)
        + "</tr>"
        for first, *rest in rows
    )
    cap = f"<caption>{escape(caption)}</caption>" if caption else ""
    return f"<table>{cap}{head}{body}</table>"
