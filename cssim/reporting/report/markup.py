"""What the report's sections are built from: an :class:`Html` fragment, escaped tables, paragraphs
and sections, and figures drawn without pyplot and embedded as PNG."""

from __future__ import annotations

import base64
import html
import io
import warnings
from collections.abc import Callable, Sequence

import pandas as pd

from ...words import fonts

e = html.escape


class Html:
    """An HTML fragment that Jupyter and nbconvert show as ``text/html``.

    Built only by the report, from text passed through :func:`html.escape`.
    """

    def __init__(self, markup: str, text: str = ""):
        self.markup = markup
        self.text = text

    def _repr_html_(self) -> str:
        return self.markup

    def __repr__(self) -> str:
        return self.text or "<cssim report section>"


#: Rows above which a printed table may break across pages (``.cssim-table.long`` in the CSS).
LONG_TABLE = 12


def _table(
    df: pd.DataFrame,
    caption: str = "",
    index: bool = True,
    numeric: Sequence[str] | None = None,
    cls: str = "",
) -> str:
    """An HTML table of escaped text; ``numeric`` columns (default: all but the first) align right.

    A trailing ``" (...)"`` in a cell (a P10-P90 range, a unit) is shown in a quieter style. Every cell
    carries its column's name (``data-label``) so a narrow screen can stack the rows as cards.
    """
    frame = df.reset_index() if index else df
    cols = [str(c) for c in frame.columns]
    numeric = set(cols[1:] if numeric is None else numeric)

    def klass(c):
        return " class='num'" if c in numeric else ""

    def cell(v):
        main, sep, rest = str(v).partition(" (")
        return e(main) + (f" <span class='range'>({e(rest)}</span>" if sep else "")

    head = "".join(f"<th scope='col'{klass(c)}>{e(c)}</th>" for c in cols)
    body = []
    for row in frame.itertuples(index=False):
        first, *rest = row
        cells = [f"<th scope='row'>{cell(first)}</th>"]
        cells += [
            f"<td{klass(c)} data-label='{e(c)}'>{cell(v)}</td>"
            for c, v in zip(cols[1:], rest, strict=True)
        ]
        body.append("<tr>" + "".join(cells) + "</tr>")
    cap = f"<caption>{e(caption)}</caption>" if caption else ""
    # a long table may continue on the next printed page (its header repeated); a short one may not
    extra = (f" {cls}" if cls else "") + (" long" if len(body) > LONG_TABLE else "")
    return (
        f"<div class='table-wrap'><table class='cssim-table{extra}'>{cap}<thead><tr>{head}</tr>"
        f"</thead><tbody>{''.join(body)}</tbody></table></div>"
    )


def _section(title: str, *parts: str, cls: str = "") -> Html:
    markup = f"<section class='cssim-section {cls}'><h2>{e(title)}</h2>{''.join(parts)}</section>"
    return Html(markup, text=title)


def _p(text: str, cls: str = "") -> str:
    c = f" class='{cls}'" if cls else ""
    return f"<p{c}>{e(text)}</p>"


def _rc() -> dict:
    return {
        "font.family": fonts.register(),
        "font.size": 10,
        "axes.titlesize": 11,
        "axes.labelsize": 10,
        "legend.fontsize": 9,
        "xtick.labelsize": 9,
        "ytick.labelsize": 9,
        "axes.edgecolor": "#666666",
        "axes.unicode_minus": True,
    }


def _figure(
    draw: Callable,
    alt: str,
    caption: str,
    size=(10, 3.8),
    ncols: int = 1,
    width_ratios=None,
) -> str:
    """Draw on a new figure (no pyplot, no backend) and return it as an embedded PNG.

    ``draw`` draws in the reader's language once (the charts take ``lang``); nothing rewrites it.
    """
    import matplotlib
    from matplotlib.figure import Figure

    with matplotlib.rc_context(_rc()), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        fig = Figure(figsize=size, layout="constrained")
        axes = fig.subplots(
            1, ncols, gridspec_kw={"width_ratios": width_ratios} if width_ratios else None
        )
        draw(axes)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=144, metadata={"Software": None})
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return (
        f"<figure><img src='data:image/png;base64,{data}' alt='{e(alt)}'>"
        f"<figcaption>{e(caption)}</figcaption></figure>"
    )
