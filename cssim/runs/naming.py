"""Output names that always stay inside the output folder.

A scenario's outputs go to ``--out/<slug>``. The slug comes from the file's stem, and a stem can be
anything a file system allows: ``...yaml`` has the stem ``..`` and ``..yaml`` the stem ``.``, which as
folder names would write into the parent of ``--out`` or into ``--out`` itself. :func:`output_slug` turns
any name into one that is never empty, never ``.`` or ``..``, never absolute and never holds a separator.
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from collections.abc import Sequence
from pathlib import Path

__all__ = ["RESERVED", "output_slug", "unique_slugs"]

#: Names a batch writes at the top of its folder; a scenario's folder never takes one of them.
RESERVED = frozenset({"index.html", "manifest.json"})

#: Longest slug, in characters (file systems allow 255 bytes; a UTF-8 character takes up to 4).
MAX_SLUG = 60

_UNSAFE = re.compile(r"[^\w.\- ]+")  # keeps letters and digits of any script, '_', '.', '-' and ' '


def output_slug(name: str | os.PathLike, default: str = "scenario") -> str:
    """A safe folder or file name made from ``name``'s stem.

    Characters other than letters, digits, ``_``, ``-``, ``.`` and spaces become ``-``; leading and
    trailing dots, dashes and spaces are dropped (so ``.`` and ``..`` cannot remain); the result is cut
    to :data:`MAX_SLUG` characters and is ``default`` when nothing is left.

    >>> output_slug("scenarios/growth-vs-churn.yaml"), output_slug("...yaml"), output_slug("..yaml")
    ('growth-vs-churn', 'scenario', 'scenario')
    """
    stem = Path(os.fspath(name)).stem if str(name) else ""
    text = unicodedata.normalize("NFC", stem)
    text = _UNSAFE.sub("-", text)
    text = re.sub(r"-{2,}", "-", text).strip(" .-")[:MAX_SLUG].strip(" .-")
    if not text or text.casefold() in RESERVED:
        text = f"{text}-{default}" if text else default
    return text


def unique_slugs(paths: Sequence[str | os.PathLike]) -> list[str]:
    """One :func:`output_slug` per path, made distinct (ignoring case) with a short hash of the path.

    Two sources whose slugs agree (``a b.yaml`` and ``a-b.yaml``, ``A.yaml`` and ``a.yaml`` on a
    case-insensitive disk, ``x/s.yaml`` and ``y/s.yaml``) each get their own folder, and the same
    source gets the same folder on every run.
    """
    slugs = [output_slug(p) for p in paths]
    counts: dict[str, int] = {}
    for s in slugs:
        counts[s.casefold()] = counts.get(s.casefold(), 0) + 1
    out: list[str] = []
    taken: set[str] = set()
    for p, s in zip(paths, slugs, strict=True):
        candidate = s
        if counts[s.casefold()] > 1:
            digest = hashlib.sha256(os.path.abspath(os.fspath(p)).encode("utf-8", "replace"))
            candidate = f"{s}-{digest.hexdigest()[:8]}"
        n = 2
        while candidate.casefold() in taken:  # a hashed name that met a natural one
            candidate = f"{s}-{n}"
            n += 1
        taken.add(candidate.casefold())
        out.append(candidate)
    return out
