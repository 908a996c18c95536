"""The explorer's few pieces of markup and text, each written once: every message a widget shows goes
through :func:`message` (escaped, small, red when it is an error), the notes under the sliders through
:func:`notes`, and a static render reads them back through :func:`plain`.

Numbers are formatted by :func:`cssim.words.formatting.format_value` (:func:`formatted` memoizes it for
values that repeat from one slider move to the next: the file's column, the starting MRR).
"""

from __future__ import annotations

import functools
import html
import re

from ..model.errors import ScenarioError
from ..words.formatting import format_value

__all__ = ["error_text", "formatted", "heading", "message", "notes", "plain"]

_ERROR_STYLE = " style='color:#b00'"
_TAG = re.compile(r"<[^>]+>")

#: :func:`cssim.words.formatting.format_value`, memoized (Babel's compact money costs ~0.2 ms a call)
formatted = functools.lru_cache(maxsize=1024)(format_value)


def message(text: str, *, error: bool = False) -> str:
    """``text`` as one small line of HTML, escaped; red when it is an ``error``."""
    return f"<small{_ERROR_STYLE if error else ''}>{html.escape(str(text))}</small>"


def notes(lines: list[tuple[str, str]]) -> str:
    """Notes under the sliders, one a line: each ``(lead, text)`` reads ``lead`` in bold (when there is
    one), then ``text``; all escaped."""
    return "<br>".join(
        f"<small>{f'<b>{html.escape(lead)}</b>' if lead else ''}{html.escape(text)}</small>"
        for lead, text in lines
    )


def heading(title: str, detail: str | None = None) -> str:
    """The explorer's title line: ``title`` with ``detail`` (the file) small beside it."""
    small = f" <small>({html.escape(detail)})</small>" if detail else ""
    return f"<h3 style='margin:4px 0'>{html.escape(title)}{small}</h3>"


def plain(markup: str) -> str:
    """HTML as the plain text it shows (line breaks kept), for a static render of a notebook."""
    return html.unescape(_TAG.sub("", markup.replace("<br>", "\n"))).strip()


def error_text(error: Exception, lang: str) -> str:
    """An edit the scenario refuses, in ``lang``: file, field and value named."""
    from ..words.errors_text import scenario_error_text, translate_message

    if isinstance(error, ScenarioError):
        return scenario_error_text(error, lang)
    return translate_message(str(error).strip("'\""), lang)
