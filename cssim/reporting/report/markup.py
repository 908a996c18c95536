"""What the report's sections are built from: parts (paragraphs, tables, figures, lists, cards) that one
Jinja2 template with autoescape turns into HTML (``templates/report/sections.html``, with the pages' one
table builder and figure embedder), an :class:`Html` fragment for the notebook to show, and figures drawn
without pyplot and embedded as PNG.

No HTML is written here: every text goes into the template as data, so a scenario's text can never
inject markup.
"""

from __future__ import annotations

import base64
import io
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd

from ...words import fonts
from ..charts import EmbeddedFigure

#: A piece of a section, rendered by the ``part`` macro of ``templates/report/sections.html``.
Part = dict[str, Any]


class Html:
    """An HTML fragment that Jupyter and nbconvert show as ``text/html``.

    Built only by the report, from its autoescaped templates (:func:`render`).
    """

    def __init__(self, markup: str, text: str = ""):
        self.markup = markup
        self.text = text

    def _repr_html_(self) -> str:
        return self.markup

    def __repr__(self) -> str:
        return self.text or "<cssim report section>"


def render(macro: str, lang: str = "en", **context: Any) -> str:
    """Call one macro of ``templates/report/sections.html`` (``section``, ``header``, ``footnote``)."""
    from ..pages import environment

    module = environment(lang).get_template("sections.html").module
    return str(getattr(module, macro)(**context))


def _section(title: str, *parts: Part, cls: str = "") -> Html:
    """A section of the report: its title and its parts, in order."""
    return Html(render("section", title=title, parts=list(parts), cls=cls), text=title)


def _p(text: str, cls: str = "") -> Part:
    return {"kind": "p", "text": text, "cls": cls}


def _h3(text: str) -> Part:
    return {"kind": "h3", "text": text}


def _list(items: Sequence[str], cls: str) -> Part:
    """An ordered list (``<ol class=cls>``) of texts."""
    return {"kind": "list", "items": list(items), "cls": cls}


def _cards(cards: Sequence[tuple[str, str, str]]) -> Part:
    """Headline cards: (label, value, note) each."""
    return {"kind": "cards", "cards": list(cards)}


def _columns(*parts: Part) -> Part:
    """Parts side by side (one column on a phone)."""
    return {"kind": "columns", "parts": list(parts)}


def _terms(terms: Sequence[tuple[str, str]]) -> Part:
    """A list of terms and what they mean (the glossary)."""
    return {"kind": "terms", "terms": list(terms)}


def _table(
    df: pd.DataFrame,
    caption: str = "",
    index: bool = True,
    numeric: Sequence[str] | None = None,
    cls: str = "",
) -> Part:
    """A table of a frame's text (its index as the first column unless ``index=False``), drawn by the
    pages' one table builder: ``numeric`` columns (default: all but the first) align right, a trailing
    ``" (...)"`` reads quieter, every cell carries its column's name for a phone, and a table of more
    than 12 rows may continue on the next printed page."""
    frame = df.reset_index() if index else df
    columns = [str(c) for c in frame.columns]
    rows = [[str(v) for v in row] for row in frame.itertuples(index=False)]
    return {
        "kind": "table",
        "columns": columns,
        "rows": rows,
        "caption": caption,
        "numeric": None if numeric is None else [str(c) for c in numeric],
        "cls": cls,
    }


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
) -> Part:
    """Draw on a new figure (no pyplot, no backend) and embed it as a PNG with its caption.

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
    return {"kind": "figure", "figure": EmbeddedFigure(alt, data), "caption": caption}
