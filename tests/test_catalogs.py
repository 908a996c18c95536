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


def _catalog_entries() -> list[tuple[str, str, str]]:
    """Every translated message of every Japanese catalog: (file, English, Japanese)."""
    out = []
    for path in catalog_files("ja"):
        with path.open("rb") as f:
            for m in read_po(f):
                if m.id and isinstance(m.id, str) and m.string:
                    out.append((path.name, m.id, m.string))
    return out


@pytest.mark.parametrize(
    "term", [t for t in glossary.GLOSSARY if t.catalog_en], ids=lambda t: t.key
)
def test_catalogs_use_the_glossary(term):
    """A message about the idea says it with the glossary's Japanese term (or keeps the English word
    it names, such as an option or a field)."""
    want = term.catalog_ja or term.ja
    mine = [(f, m, s) for f, m, s in _catalog_entries() if re.search(term.catalog_en, m, re.I)]
    assert mine, term.key
    off = [
        (f, m, s) for f, m, s in mine if want not in s and not re.search(term.catalog_en, s, re.I)
    ]
    assert not off, off


def test_catalogs_avoid_the_words_the_glossary_replaced():
    """「10通り中8通り」, 「売上維持率」, 「施策」, 「月間」 ... are in no catalog (:attr:`Term.avoid_ja`)."""
    banned = {w: t.key for t in glossary.GLOSSARY for w in t.avoid_ja}
    assert {"10通り中8通り", "売上維持率", "施策", "月間"} <= set(banned)
    found = [(f, w, s) for f, _, s in _catalog_entries() for w in banned if w in s]
    assert not found, found


def test_tenure_and_contraction_keep_their_own_words():
    """継続期間 is the expected lifetime only (tenure is 契約経過月数); 縮小 is contraction only (a base
    that loses customers 減少する)."""
    wrong = [
        (f, m, s)
        for f, m, s in _catalog_entries()
        if ("継続期間" in s and "lifetime" not in m.lower())
        or ("縮小" in s and not re.search(r"contr|downgrade|downsell", m, re.I))
    ]
    assert not wrong, wrong


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
