"""Fonts that write Japanese in every chart, from a pip package (no system font, no root).

matplotlib's DejaVu Sans has no CJK glyphs; IPAexGothic (``matplotlib-fontja``, ``ipaexg.ttf``) comes
after it in the family list, so matplotlib takes each glyph from the first font that has it: Latin text
looks as before and Japanese draws instead of boxes and ``Glyph ... missing`` warnings.
"""

from __future__ import annotations

import functools

__all__ = ["CJK_FONT", "FAMILY", "LATIN_FONT", "register", "use_fonts"]

#: The Latin font charts write in first; glyphs it lacks (Japanese) come from :data:`CJK_FONT`.
LATIN_FONT = "DejaVu Sans"
CJK_FONT = "IPAexGothic"
#: ``font.family`` of every chart cssim draws.
FAMILY = [LATIN_FONT, CJK_FONT]


@functools.cache
def register() -> list[str]:
    """Register IPAexGothic with matplotlib once; returns :data:`FAMILY`.

    Raises ``RuntimeError`` when ``matplotlib-fontja`` is missing (``make setup`` installs it).
    """
    import importlib.util
    import logging
    from pathlib import Path

    from matplotlib import font_manager

    # IPAexGothic has one weight; matplotlib logs each bold title it fakes
    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
    if CJK_FONT not in {f.name for f in font_manager.fontManager.ttflist}:
        spec = importlib.util.find_spec("matplotlib_fontja")
        if spec is None or not spec.submodule_search_locations:
            raise RuntimeError(
                "the Japanese chart font is missing: pip install matplotlib-fontja (make setup does)"
            )
        for ttf in sorted(Path(next(iter(spec.submodule_search_locations))).rglob("*.ttf")):
            font_manager.fontManager.addfont(str(ttf))
    return list(FAMILY)


def use_fonts() -> None:
    """Make every matplotlib chart able to write Japanese: ``font.family`` becomes :data:`FAMILY`.

    Idempotent and cheap; call it wherever a figure is made. A true minus sign (U+2212) exists in both
    fonts, so matplotlib's default is kept.
    """
    import matplotlib

    register()
    if list(matplotlib.rcParams["font.family"]) != FAMILY:
        matplotlib.rcParams["font.family"] = list(FAMILY)
