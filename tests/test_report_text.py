"""The default report's words and numbers, pinned: a change to the code that renders it may change its
layout, never a word or a figure, unless the change means to (then the pinned text is renewed on
purpose: ``CSSIM_UPDATE_TEXT=1 pytest tests/test_report_text.py``, and the diff is reviewed).

The text is what a reader sees (``<style>``, ``<script>`` and ``<title>`` left out, white space folded),
one line per block of the page, so a difference shows as a readable diff. Chart images are not text.
"""

from __future__ import annotations

import os
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.test_report import rendered

PINNED = Path(__file__).parent / "data" / "report-text"
_BLOCKS = {"p", "li", "h1", "h2", "h3", "tr", "figcaption", "caption", "dt", "dd", "div", "footer"}


class _Lines(HTMLParser):
    """Visible text, a line per block element."""

    def __init__(self, page: str):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        if tag in ("style", "script", "title"):
            self._skip += 1
        if tag in _BLOCKS:
            self.parts.append("\n")
        elif tag in ("th", "td"):
            self.parts.append(" ")

    def handle_endtag(self, tag):
        if tag in ("style", "script", "title"):
            self._skip -= 1
        if tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)

    def lines(self) -> list[str]:
        text = "".join(self.parts)
        out = [re.sub(r"\s+", " ", line).strip() for line in text.split("\n")]
        return [line for line in out if line]


def page_lines(page: str) -> list[str]:
    """The lines a reader sees on ``page``."""
    return _Lines(page).lines()


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["gvc", "ja"])
def test_default_report_text_is_unchanged(kind, tmp_path_factory):
    got = page_lines(rendered(kind, tmp_path_factory).html)
    path = PINNED / f"{kind}.txt"
    if os.environ.get("CSSIM_UPDATE_TEXT"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(got) + "\n", encoding="utf-8")
    want = path.read_text(encoding="utf-8").splitlines()
    if got != want:
        import difflib

        diff = "\n".join(difflib.unified_diff(want, got, "pinned", "rendered", lineterm="", n=1))
        pytest.fail(f"the {kind} report's text changed:\n{diff}")
