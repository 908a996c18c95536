"""Japanese glyphs carried by the page itself: a subset of IPAexGothic as a ``data:`` webfont.

Every HTML file cssim writes (the report and the other pages) passes through :func:`embed_cjk_font`,
so Japanese reads the same on a machine without Japanese fonts, in a browser and in its PDF. The
stylesheets name the face first in their font lists (``font-family: "cssim-ja", system-ui, ...``);
a page with no CJK character gets no face, and the name then simply does not resolve.
"""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path

__all__ = ["EMBEDDED_FONT", "embed_cjk_font"]

#: The name the stylesheets give the embedded Japanese font (``cssim_report.css``, ``page.css``).
EMBEDDED_FONT = "cssim-ja"
_CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]")


def embed_cjk_font(page: str) -> str:
    """Embed the Japanese glyphs ``page`` uses, so it reads the same on a machine without Japanese
    fonts and in its PDF.

    A page with no CJK character is returned unchanged. Otherwise IPAexGothic (``matplotlib-fontja``;
    the IPA Font License allows embedding in documents) is cut down with fontTools to the non-ASCII
    characters of the page and added before ``</head>`` as a WOFF ``@font-face`` in a ``data:`` URL
    (tens of kilobytes, nothing is fetched).
    """
    chars = {c for c in page if ord(c) > 0x7F}
    if not any(_CJK.match(c) for c in chars):
        return page
    try:
        import matplotlib_fontja
        from fontTools import subset
    except ImportError:  # pragma: no cover - depends on the installation
        return page
    ttf = Path(matplotlib_fontja.__file__).parent / "fonts" / "ipaexg.ttf"
    options = subset.Options()
    options.flavor = "woff"
    options.desubroutinize = True
    buf = io.BytesIO()
    with subset.load_font(str(ttf), options) as font:  # closes the file it reads lazily
        subsetter = subset.Subsetter(options)
        subsetter.populate(text="".join(sorted(chars)))
        subsetter.subset(font)
        subset.save_font(font, buf, options)
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    face = (
        f"<style>@font-face{{font-family:'{EMBEDDED_FONT}';"
        f"src:url(data:font/woff;base64,{data}) format('woff');}}</style>"
    )
    head, sep, rest = page.partition("</head>")
    return head + face + sep + rest if sep else page
