"""argparse in the reader's language: its own words, every argument's help, lines wrapped for Japanese.

The help of ``cssim`` and of every command is written in English and marked ``N_``; ``--lang ja`` (or
``$CSSIM_LANG``) shows it in Japanese, with argparse's own words (``usage:``, its errors) translated
too and lines broken between Japanese characters, measured in terminal columns.
"""

from __future__ import annotations

import argparse
import contextlib
import re

from ..words import formatting as fmt
from ..words.i18n import N_, Translator

__all__ = ["ARGPARSE_WORDS", "WideHelpFormatter", "argparse_speaks", "translate_help", "wrap_wide"]

#: argparse's own words (it asks ``gettext`` of the ``argparse`` domain); Japanese in ``cli.po``.
ARGPARSE_WORDS = (
    N_("usage: "),
    N_("positional arguments"),
    N_("options"),
    N_("show this help message and exit"),
    N_("show program's version number and exit"),
    N_("argument %(argument_name)s: %(message)s"),
    N_("%(prog)s: error: %(message)s\n"),
    N_("the following arguments are required: %s"),
    N_("unrecognized arguments: %s"),
    N_("invalid choice: %(value)r (choose from %(choices)s)"),
    N_("invalid %(type)s value: %(value)r"),
    N_("expected one argument"),
    N_("expected at most one argument"),
    N_("expected at least one argument"),
    N_("ambiguous option: %(option)s could match %(matches)s"),
    N_("not allowed with argument %s"),
    N_("ignored explicit argument %r"),
    N_("one of the arguments %s is required"),
    N_("unexpected option string: %s"),
    N_("can't open '%(filename)s': %(error)s"),
)


@contextlib.contextmanager
def argparse_speaks(lang: str):
    """argparse's own words (``usage:``, ``options``, its errors) in ``lang`` while the block runs.

    argparse looks its words up through the module globals ``_`` and ``ngettext`` (stdlib gettext) when
    it builds a parser, formats help and reports an error; they are swapped for the catalogs' and put
    back after.
    """
    if lang == "en":
        yield
        return
    t = Translator(lang).translations
    saved = argparse._, argparse.ngettext
    argparse._, argparse.ngettext = t.gettext, t.ngettext
    try:
        yield
    finally:
        argparse._, argparse.ngettext = saved


#: Characters a Japanese line does not start with (kinsoku): they stay at the end of the line before.
_NO_LINE_START = set("、。，．・：；？！）」』】〕ー)]:;,.")
#: Characters a line does not end with: opening brackets stay with what follows.
_NO_LINE_END = set("(（「『【〔[")


def wrap_wide(text: str, width: int) -> list[str]:
    """``text`` in lines of at most ``width`` terminal columns, breaking Japanese between characters.

    English breaks at spaces as :mod:`textwrap` does; a wide (CJK) character is a token of its own and
    counts two columns; closing punctuation never starts a line.
    """
    import re
    import unicodedata

    text = re.sub(r"\s+", " ", text).strip()
    tokens, run = [], ""
    for ch in text:
        if ch == " " or unicodedata.east_asian_width(ch) in "WF":
            if run:
                tokens.append(run)
                run = ""
            if ch == " " and tokens:
                tokens[-1] += " "
            elif ch != " ":
                tokens.append(ch)
        else:
            run += ch
    if run:
        tokens.append(run)
    for i in range(len(tokens) - 2, -1, -1):  # an opening bracket stays with what follows it
        if tokens[i][-1] in _NO_LINE_END:
            tokens[i : i + 2] = [tokens[i] + tokens[i + 1]]
    lines, line = [], ""
    for tok in tokens:
        if (
            line
            and fmt.display_width((line + tok).rstrip()) > width
            and tok[0] not in _NO_LINE_START
        ):
            lines.append(line.rstrip())
            line = ""
        line += tok
    if line.strip():
        lines.append(line.rstrip())
    return lines


class WideHelpFormatter(argparse.HelpFormatter):
    """argparse's help with lines measured in terminal columns (for Japanese help)."""

    def _split_lines(self, text: str, width: int) -> list[str]:
        return wrap_wide(text, width)

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        return "\n".join(indent + line for line in wrap_wide(text, width - len(indent)))


#: argparse's ``%(name)s``, a doubled ``%%``, or a lone percent sign (the one to double)
_PERCENT = re.compile(r"%\(\w+\)[sdr]|%%|%")


def help_text(text: str) -> str:
    """``text`` as argparse's help strings must be: its own percent signs doubled."""
    return _PERCENT.sub(lambda m: "%%" if m.group() == "%" else m.group(), text)


def translate_help(parser: argparse.ArgumentParser, lang: str) -> None:
    """Every argument's help (written in English and marked ``N_``) in ``lang``."""
    t = Translator(lang).translations
    for action in parser._actions:
        if action.help and action.help is not argparse.SUPPRESS:
            # argparse formats help with %: a help's own percent sign (80%), in English or in its
            # translation, is doubled, its %(default)s kept
            action.help = help_text(action.help if lang == "en" else t.gettext(action.help))
    if lang == "en":
        return
    for group in parser._action_groups:
        if group.title:
            group.title = t.gettext(group.title)
