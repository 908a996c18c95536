"""Every message in the source has a Japanese translation, with the same {placeholders}.

Messages are found the way ``make messages`` finds them: Babel's extractor over ``cssim/`` for Python
(``_``, ``N_``, ``gettext``, ``ngettext``) and for the Jinja2 page templates.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from cssim.words import glossary
from cssim.words.i18n import catalog_files

ROOT = Path(__file__).resolve().parents[1]
PLACEHOLDER = re.compile(r"\{(\w*)\}")
METHODS = [
    ("**/templates/pages/**.html", "jinja2"),
    ("**.py", "python"),
]
OPTIONS = {"**/templates/pages/**.html": {"extensions": "jinja2.ext.i18n"}}


def _messages() -> dict[str, str]:
    found = {}
    for filename, _, message, _, _ in extract_from_dir(
        ROOT / "cssim", METHODS, options_map=OPTIONS
    ):
        for m in message if isinstance(message, tuple) else (message,):
            if m:
                found.setdefault(m, filename)
    return found


def _japanese() -> dict[str, str]:
    out = {}
    for path in catalog_files("ja"):
        with path.open("rb") as f:
            for m in read_po(f):
                if m.id:
                    ids = m.id if isinstance(m.id, tuple) else (m.id,)
                    strings = m.string if isinstance(m.string, tuple) else (m.string,)
                    for i, s in zip(ids, strings * len(ids), strict=False):
                        if s:
                            out.setdefault(i, s)
    return out


@pytest.fixture(scope="module")
def messages():
    return _messages()


@pytest.fixture(scope="module")
def japanese():
    return _japanese()


def test_the_extractor_finds_the_messages_of_every_part(messages):
    files = set(messages.values())
    for part in ("cli/run.py", "charts.py", "labels.py", "batch_index.html", "errors_text.py"):
        assert any(f.endswith(part) for f in files), part
    assert len(messages) > 150


def test_every_message_has_a_japanese_translation(messages, japanese):
    missing = sorted(f"{f}: {m!r}" for m, f in messages.items() if not japanese.get(m))
    assert not missing, "messages without Japanese (run `make messages`):\n" + "\n".join(missing)


def test_placeholders_match(messages, japanese):
    wrong = [
        (m, japanese[m])
        for m in messages
        if m in japanese
        and sorted(PLACEHOLDER.findall(m)) != sorted(PLACEHOLDER.findall(japanese[m]))
    ]
    assert not wrong, wrong


@pytest.mark.parametrize(
    ("english", "japanese_term"),
    [("churn", "解約"), ("NRR", "売上継続率"), ("GRR", "売上維持率"), ("seed", "シード")],
)
def test_catalogs_use_the_glossary(messages, japanese, english, japanese_term):
    assert any(japanese_term in t["term"] for t in glossary.terms("ja"))
    mine = {
        m: s
        for m, s in japanese.items()
        if m in messages and re.search(rf"\b{english}\b", m, re.I) and "{" not in m[:1]
    }
    assert mine, english
    off = {m: s for m, s in mine.items() if japanese_term not in s and english not in s}
    assert not off, off


def test_one_english_term_has_one_japanese_translation():
    """The glossary holds across catalogs: a message translated in two parts reads the same in both."""
    seen: dict[str, tuple[str, str]] = {}
    clashes = []
    for path in catalog_files("ja"):
        with path.open("rb") as f:
            for m in read_po(f):
                if not m.id or not isinstance(m.id, str) or not m.string:
                    continue
                if m.id in seen and seen[m.id][1] != m.string:
                    clashes.append(
                        f"{m.id!r}: {seen[m.id][0]} {seen[m.id][1]!r} / {path.name} {m.string!r}"
                    )
                seen.setdefault(m.id, (path.name, m.string))
    assert not clashes, "\n".join(clashes)
