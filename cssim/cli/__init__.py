"""The ``cssim`` command: a thin layer over :func:`load_scenario`, :func:`simulate` and friends.

Subcommands live in a registry (:data:`COMMANDS`), gathered from one module per group of commands:
:mod:`~cssim.cli.run` (``validate``, ``run``, ``schema``, ``report``), :mod:`~cssim.cli.batch` (``batch``,
``sweep``), :mod:`~cssim.cli.data` (``calibrate``, ``backtest``) and :mod:`~cssim.cli.analysis`
(``compare``, ``levers``). Each command reads its arguments, calls one function of the package and
prints what it returns; it gives an exit code:

- 0: everything worked;
- 1: a run failed (the simulation, writing files, rendering a report);
- 2: bad input (an invalid or missing scenario, bad arguments).

No command prints a Python traceback: errors are one readable message on stderr
(:func:`cssim.cli.common.fail`), in the language of ``--lang``, else ``$CSSIM_LANG``, else the
scenarios' own ``language:`` (when they share one), else English.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from .._version import __version__
from ..words.i18n import LANGS, N_, Translator, resolve_lang
from . import analysis, batch, data, run

# The exit codes, errors and the run's language are read here too (``cssim.cli.OK``, ``cli._LANG``).
from .common import (  # noqa: F401
    _LANG,
    _LANG_HELP,
    BAD_INPUT,
    FAILED,
    LANG_ENV,
    OK,
    BadInput,
    Command,
    RunError,
    check_paths,
    check_scheduler,
    fail,
    lang_argument,
    say_limits,
    scenario_language,
)
from .help import (
    WideHelpFormatter,
    argparse_speaks,
    help_text,
    translate_help,
    wrap_wide,  # noqa: F401 (read here too)
)

__all__ = ["COMMANDS", "main"]

#: The groups of commands, in the order ``cssim --help`` lists them.
GROUPS = (run, batch, data, analysis)

#: Every subcommand by name: a new command is a :class:`~cssim.cli.common.Command` in a group's
#: ``COMMANDS``.
COMMANDS: dict[str, Command] = {cmd.name: cmd for group in GROUPS for cmd in group.COMMANDS}


def build_parser(lang: str = "en") -> argparse.ArgumentParser:
    """The ``cssim`` parser with its help in ``lang``; :func:`main` picks the language from argv first."""
    tr = (lambda m: m) if lang == "en" else Translator(lang).translations.gettext
    formatter = argparse.HelpFormatter if lang == "en" else WideHelpFormatter
    with argparse_speaks(lang):
        parser = argparse.ArgumentParser(
            prog="cssim",
            description=tr(
                N_("Customer-success Monte Carlo: cohorts, churn, expansion and unit economics.")
            ),
            epilog=tr(N_("Exit codes: 0 ok, 1 a run failed, 2 bad input.")),
            formatter_class=formatter,
        )
        parser.add_argument("--version", action="version", version=f"cssim {__version__}")
        # --lang before the command too (``cssim --lang ja run --help``); its own dest, because a
        # subcommand's default (None) would overwrite the value in the shared namespace
        parser.add_argument("--lang", dest="top_lang", choices=LANGS, default=None, help=_LANG_HELP)
        translate_help(parser, lang)
        sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
        for cmd in COMMANDS.values():
            p = sub.add_parser(
                cmd.name,
                help=help_text(tr(cmd.help)),
                description=tr(cmd.help),
                formatter_class=formatter,
            )
            cmd.arguments(p)
            lang_argument(p)
            translate_help(p, lang)
            p.set_defaults(handler=cmd.run)
    return parser


def argv_lang(argv: Sequence[str], environ: dict[str, str] | None = None) -> str:
    """The language a command line asks for, read before argparse runs (it answers ``--help`` at once).

    ``--lang X`` or ``--lang=X`` anywhere before ``--``, else ``$CSSIM_LANG``, else English. A value
    that is not a language is left for argparse to refuse (in English).
    """
    for i, arg in enumerate(argv):
        if arg == "--":
            break
        value = argv[i + 1] if arg == "--lang" and i + 1 < len(argv) else None
        if arg.startswith("--lang="):
            value = arg.partition("=")[2]
        if value is not None:
            return value if value in LANGS else "en"
    env = (os.environ if environ is None else environ).get(LANG_ENV, "")
    return env if env in LANGS else "en"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``cssim`` command line; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    env = os.environ.get(LANG_ENV)
    if env and env not in LANGS:
        print(f"cssim: {LANG_ENV}={env!r} is not one of {', '.join(LANGS)}", file=sys.stderr)
        return BAD_INPUT
    lang = argv_lang(argv)
    _LANG[0] = lang  # the argument types' messages, while argparse runs
    with argparse_speaks(lang):
        args = build_parser(lang).parse_args(argv)
    args.lang = args.lang or args.top_lang or env or None
    try:
        # the language of everything this command says: --lang, else $CSSIM_LANG, else the
        # language its scenarios share, else English (resolved once, here)
        _LANG[0] = resolve_lang(args.lang or scenario_language(args))
        check_paths(args)
        check_scheduler(args)
        say_limits(args)
        return args.handler(args)
    except (Exception, KeyboardInterrupt) as e:
        return fail(e, args)
