"""What every ``cssim`` command shares: exit codes, the run's language, arguments and error messages.

- exit codes :data:`OK` (0), :data:`FAILED` (1, a run failed) and :data:`BAD_INPUT` (2, bad input);
- :class:`BadInput` (arguments argparse cannot check alone) and :class:`~cssim.runs.errors.RunError`
  (a step of a run failed), which :func:`fail` turns into one readable line on stderr;
- the language of this run's messages (``--lang``, else ``$CSSIM_LANG``, else the language the
  command's scenarios share, else English: :func:`scenario_language`) and :func:`_`, which says a
  message in it;
- argument types that refuse bad numbers with a clear message, and the arguments several commands take
  (``--paths``/``--seed``, ``--jobs``/``--scheduler``, a scenario and its ``--out``);
- :class:`Command`, one entry of the registry :data:`cssim.cli.COMMANDS`.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..model._lazy import LazyModule
from ..model.errors import ScenarioError
from ..runs.errors import RunError
from ..words.errors_text import scenario_error_text
from ..words.i18n import LANGS, N_, Translator

__all__ = [
    "BAD_INPUT",
    "FAILED",
    "LANG_ENV",
    "OK",
    "BadInput",
    "Command",
    "RunError",
    "check_paths",
    "check_scheduler",
    "current_lang",
    "executor_arguments",
    "fail",
    "load_scenario",
    "month_list",
    "non_negative_int",
    "path_count",
    "paths_and_seed",
    "positive_float",
    "positive_int",
    "say_limits",
    "scenario_language",
    "scheduler_address",
    "simulation_arguments",
]

# The scenario schema (pydantic) and the limits load when a command first needs them, so
# ``cssim --help`` and argument errors answer without them.
_limits = LazyModule("cssim.model.limits")
_scenario = LazyModule("cssim.model.scenario")


def load_scenario(path):
    """:func:`cssim.load_scenario` (imported on first use)."""
    return _scenario.load_scenario(path)


OK, FAILED, BAD_INPUT = 0, 1, 2


class BadInput(Exception):
    """Arguments that argparse cannot check alone, such as months after the horizon (exit 2)."""


@dataclass(frozen=True)
class Command:
    """One subcommand: how to declare its arguments and the function that runs it."""

    name: str
    help: str
    arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


# -- the language of this run ----------------------------------------------------------------------

#: The language of this run's messages (``--lang``); set once by :func:`cssim.cli.main`.
_LANG = ["en"]

#: The environment variable that chooses the language when no ``--lang`` is given.
LANG_ENV = "CSSIM_LANG"

_LANG_HELP = N_(
    "language of summaries, pages, errors and this help: en or ja (default: $CSSIM_LANG, "
    "else the scenario's language:, else en)"
)


def current_lang() -> str:
    """The language of this run (``en`` until :func:`cssim.cli.main` has read the arguments)."""
    return _LANG[0]


#: ``language: ja`` at the top of a YAML file (quoted or not, a comment after it), for a file that
#: cannot be parsed: its errors are still said in its language.
_LANGUAGE_LINE = re.compile(r"""^language:\s*["']?(\w+)["']?\s*(?:#.*)?$""", re.M)


def _declared_language(path: Path) -> str | None:
    """The ``language:`` a scenario file declares (``en`` or ``ja``), or None (none, or unreadable)."""
    from ..model.yamlio import MAX_FILE_BYTES, parse_yaml

    try:
        with path.open("rb") as f:
            text = f.read(MAX_FILE_BYTES).decode("utf-8", errors="replace")
    except OSError:
        return None
    try:  # finding the language must never stop a command: its errors are said in English then
        data, _lines, problems = parse_yaml(text)
    except Exception:
        data, problems = None, ["unreadable"]
    if not problems and isinstance(data, dict):
        value = data.get("language")
    else:
        found = _LANGUAGE_LINE.search(text)
        value = found.group(1) if found else None
    return value if isinstance(value, str) and value in LANGS else None


def scenario_language(args: argparse.Namespace) -> str | None:
    """The language the command's scenario files share (their ``language:``), or None.

    The files are the command's ``scenario``, ``files`` (``validate``), ``scenarios`` (``compare``) or
    ``sources`` (``batch``: folders give their ``*.yaml``); a file without ``language:`` is English.
    None when there are no scenario files (``calibrate``) or they do not all share one language, so
    that the run speaks English (README: ``--lang``, else ``$CSSIM_LANG``, else the scenario's
    ``language:``, else English).
    """
    paths: list[Path] = []
    for name in ("scenario", "files", "scenarios", "sources"):
        given = getattr(args, name, None)
        paths += [given] if isinstance(given, Path) else list(given or [])
    if getattr(args, "sources", None):
        from ..runs.batch import expand_sources

        paths = expand_sources(paths)
    found = {_declared_language(p) or "en" for p in paths if isinstance(p, Path)}
    return found.pop() if len(found) == 1 else None


def _(message: str, /, **kwargs) -> str:
    """``message`` in the language of this run (``--lang``), with ``{name}`` values filled in."""
    if _LANG[0] == "en":  # English needs no catalog: keeps Babel off the English paths
        return message.format(**kwargs) if kwargs else message
    return Translator(_LANG[0])(message, **kwargs)


def lang_argument(p: argparse.ArgumentParser) -> None:
    """``--lang ja|en``: the language of what the command prints and writes (default: English)."""
    p.add_argument("--lang", choices=LANGS, default=None, help=_LANG_HELP)


# -- argument types: each raises ArgumentTypeError, which argparse turns into exit 2 ---------------


def int_at_least(minimum: int, allowed: str) -> Callable[[str], int]:
    """An argparse type: a whole number of at least ``minimum`` (``allowed`` says so in words)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                _("{text} is not a whole number", text=repr(text))
            ) from None
        if value < minimum:
            raise argparse.ArgumentTypeError(
                _("{value} is not allowed: give {allowed}", value=value, allowed=_(allowed))
            )
        return value

    parse.__name__ = f"int_at_least_{minimum}"  # argparse names the type in its messages
    return parse


positive_int = int_at_least(1, N_("1 or more"))


def path_count(text: str) -> int:
    """An argparse type for ``--paths``: 1 to :data:`cssim.model.limits.MAX_PATHS`."""
    value = positive_int(text)
    if value > _limits.MAX_PATHS:
        raise argparse.ArgumentTypeError(
            _(
                "{value} is not allowed: give at most {limit} paths (the Monte Carlo error at "
                "{limit} is already a thousandth of the spread)",
                value=f"{value:,}",
                limit=f"{_limits.MAX_PATHS:,}",
            )
        )
    return value


non_negative_int = int_at_least(0, N_("0 or a positive number"))


def positive_float(text: str) -> float:
    """An argparse type: a finite number above 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(_("{text} is not a number", text=repr(text))) from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(
            _("{value} is not allowed: give {allowed}", value=text, allowed=_("a positive number"))
        )
    return value


def month_list(text: str) -> list[int]:
    """An argparse type for ``--months``: months 0 or later, separated by commas (``12,24,36``)."""
    try:
        months = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            _("{text} is not a comma-separated list of months such as 12,24,36", text=repr(text))
        ) from None
    if not months or any(m < 0 for m in months):
        raise argparse.ArgumentTypeError(
            _("{text}: give months 0 or later, such as 12,24,36", text=repr(text))
        )
    return months


# -- arguments several commands take ----------------------------------------------------------------


def paths_and_seed(p: argparse.ArgumentParser, paths: int, paths_help: str, seed_help: str) -> None:
    """The ``--paths N`` and ``--seed S`` options every simulating command takes."""
    p.add_argument("--paths", type=path_count, default=paths, metavar="N", help=paths_help)
    p.add_argument("--seed", type=non_negative_int, default=42, metavar="S", help=seed_help)


def simulation_arguments(p: argparse.ArgumentParser, out_help: str) -> None:
    """A scenario file, ``--out DIR`` (default ``reports``), ``--paths`` (10,000) and ``--seed``."""
    p.add_argument("scenario", type=Path, help=N_("scenario YAML file"))
    p.add_argument(
        "--out",
        type=Path,
        default=Path("reports"),
        metavar="DIR",
        help=out_help,
    )
    paths_and_seed(
        p,
        10_000,
        paths_help=N_("Monte Carlo paths, a positive integer (default: 10000)"),
        seed_help=N_("random seed, 0 or more; same seed, same numbers (default: 42)"),
    )


#: ``--sampling`` choices (:data:`cssim.model.design.SAMPLING`, written out: numpy loads on first use).
SAMPLING = ("random", "lhs", "sobol")
#: ``--precision-stat`` choices (:data:`cssim.model.precision.STATS`).
PRECISION_STATS = ("mean", "p10", "p50", "p90", "p_grows")


def sampling_argument(p: argparse.ArgumentParser) -> None:
    """``--sampling random|lhs|sobol``: how uncertain parameters are drawn; wins over the file's."""
    p.add_argument(
        "--sampling",
        choices=SAMPLING,
        default=None,
        help=N_(
            "how the uncertain parameters are drawn: random, lhs (Latin hypercube) or sobol; "
            "wins over the scenario's sampling: (default: the scenario's, else random)"
        ),
    )


def fraction(text: str) -> float:
    """An argparse type: a number strictly between 0 and 1 (``0.01`` for 1%)."""
    value = positive_float(text)
    if not value < 1:
        raise argparse.ArgumentTypeError(
            _(
                "{value} is not allowed: give {allowed}",
                value=text,
                allowed=_("a number between 0 and 1"),
            )
        )
    return value


def share(text: str) -> float:
    """An argparse type: a number from 0 to 1, both included (``0.8`` for 80%)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(_("{text} is not a number", text=repr(text))) from None
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(
            _(
                "{value} is not allowed: give {allowed}",
                value=text,
                allowed=_("a number from 0 to 1"),
            )
        )
    return value


def max_path_count(text: str) -> int:
    """An argparse type for ``--max-paths``: at least 10 blocks of 1,000 paths, at most ``--paths``'s
    limit."""
    value = path_count(text)
    if value < 10_000:
        raise argparse.ArgumentTypeError(
            _("{value} is not allowed: give {allowed}", value=value, allowed=_("10000 or more"))
        )
    return value


def precision_arguments(p: argparse.ArgumentParser) -> None:
    """``--precision X [--confidence C] [--max-paths N] [--precision-stat S]``: a precision stop."""
    p.add_argument(
        "--precision",
        type=fraction,
        default=None,
        metavar="X",
        help=N_(
            "add blocks of 1,000 paths until ARR's statistic at the horizon is known within X of "
            "itself (0.01 is 1%%), then stop and say why; --paths is then not used"
        ),
    )
    p.add_argument(
        "--confidence",
        type=fraction,
        default=0.95,
        metavar="C",
        help=N_("the confidence of --precision's interval (default: 0.95)"),
    )
    p.add_argument(
        "--max-paths",
        type=max_path_count,
        default=None,
        metavar="N",
        help=N_("stop --precision at N paths at most (default: 200000)"),
    )
    p.add_argument(
        "--precision-stat",
        choices=PRECISION_STATS,
        default="mean",
        help=N_(
            "the statistic of ARR at the horizon --precision stops on: mean, p10, p50, p90 or "
            "p_grows (the probability that ARR grows) (default: mean)"
        ),
    )


def scheduler_address(text: str) -> str:
    """An argparse type for ``--scheduler``: ``tcp://HOST:PORT`` (:func:`cssim.runs.distributed.parse_address`)."""
    from ..runs.distributed import SCHEMES, AddressError, parse_address

    try:
        parse_address(text)
    except AddressError as e:
        example = _("write tcp://HOST:PORT, such as tcp://127.0.0.1:8786")
        if e.kind == "scheme":
            why = _(
                "a Dask scheduler speaks {schemes}, not {scheme}",
                schemes=", ".join(SCHEMES),
                scheme=e.detail,
            )
            example = _("{reason}; {advice}", reason=why, advice=example)
        elif e.kind == "port":
            why = _(
                "the port must be a whole number from 1 to 65535, not {port}", port=repr(e.detail)
            )
            example = _("{reason}; {advice}", reason=why, advice=example)
        raise argparse.ArgumentTypeError(
            _("{address} is not a scheduler address: {advice}", address=repr(text), advice=example)
        ) from None
    return text


def executor_arguments(p: argparse.ArgumentParser, jobs_help: str, scheduler_help: str) -> None:
    """``--jobs N`` (local processes) or ``--scheduler ADDRESS`` (a Dask cluster), as every command
    that runs work in parallel takes them, one or the other; the help says what runs where."""
    where = p.add_mutually_exclusive_group()
    where.add_argument("--jobs", type=positive_int, default=1, metavar="N", help=jobs_help)
    where.add_argument(
        "--scheduler", type=scheduler_address, default=None, metavar="ADDRESS", help=scheduler_help
    )


# -- before and after a command ---------------------------------------------------------------------


def check_paths(args: argparse.Namespace) -> None:
    """Refuse ``--paths`` that cannot fit in memory before anything starts (a report's kernel included)."""
    if isinstance(getattr(args, "scenario", None), Path) and getattr(args, "paths", None):
        # ``cssim run`` keeps statistics, not paths, with --summary and whenever every path would not
        # fit in 1 GB; then only one pass of blocks is in memory at a time
        summary = hasattr(args, "summary") and args.summary is not False
        paths = args.paths
        if getattr(args, "precision", None) is not None:  # a precision stop may run to its cap
            paths = args.max_paths or 200_000
        problem = _limits.paths_problem(load_scenario(args.scenario), paths, summary=summary)
        if problem is not None:
            raise ScenarioError(str(args.scenario), [problem])


def say_limits(args: argparse.Namespace) -> None:
    """Cap ``--jobs`` at the CPUs this process may use, and say so; say that one path has no
    standard errors. On stderr, in the run's language."""
    jobs = getattr(args, "jobs", None)
    if isinstance(jobs, int) and jobs > 1:
        from ..runs.executors import usable_cpus

        cpus = usable_cpus()
        if jobs > cpus:
            print(
                _(
                    "cssim {command}: --jobs {jobs} is more than the {cpus} CPU(s) this process may "
                    "use; running {cpus} (more processes would only wait for each other)",
                    command=args.command,
                    jobs=jobs,
                    cpus=cpus,
                ),
                file=sys.stderr,
            )
            args.jobs = cpus
    if getattr(args, "paths", None) == 1:
        print(
            _(
                "cssim {command}: with 1 path, standard errors cannot be estimated (they need at "
                "least 2 paths): they read – or are left empty",
                command=args.command,
            ),
            file=sys.stderr,
        )


def check_scheduler(args: argparse.Namespace) -> None:
    """Refuse, within a few seconds and before anything runs, a ``--scheduler`` nothing answers at."""
    address = getattr(args, "scheduler", None)
    if address is None:
        return
    from ..runs.distributed import unreachable

    why = unreachable(address)
    if why is None:
        return
    kind, detail = why
    reason = {
        "refused": lambda: _(
            "nothing is listening there (connection refused); start a scheduler (dask scheduler) "
            "or check the address"
        ),
        "timeout": lambda: _("no answer within {seconds} s", seconds=detail),
        "host": lambda: _("the host {host} is not known", host=detail),
        "other": lambda: detail,
    }[kind]()
    raise BadInput(
        _("cannot reach a Dask scheduler at {address}: {reason}", address=address, reason=reason)
    )


def _memory_advice(args: argparse.Namespace) -> str:
    """How many paths fit, when the scenario can be read; what to use instead."""
    paths = getattr(args, "paths", None)
    try:
        fit = _limits.paths_fit(load_scenario(args.scenario))
    except Exception:  # the advice must never fail
        fit = None
    if fit is not None and paths:
        return _(
            "about {fit} paths fit in the memory free now: use --paths {fit} or fewer",
            fit=f"{fit:,}",
        )
    if paths:
        return _("use fewer --paths than {paths}", paths=f"{paths:,}")
    return _("close other programs or use a smaller input")


def fail(error: BaseException, args: argparse.Namespace) -> int:
    """Say on stderr, in one line and the run's language, why ``args.command`` stopped; the exit code.

    A scenario that is not valid, :class:`BadInput` and a refused argument give 2; a failed run, memory
    running out and any other error give 1 (never a traceback); an interrupt 130.
    """
    if isinstance(error, ScenarioError):
        print(scenario_error_text(error, _LANG[0]), file=sys.stderr)
        return BAD_INPUT
    if isinstance(error, BadInput):
        print(f"cssim {args.command}: {error}", file=sys.stderr)
        return BAD_INPUT
    if isinstance(error, RunError):
        print(f"cssim: {error}", file=sys.stderr)
        return FAILED
    if isinstance(error, MemoryError):
        print(
            _(
                "cssim {command}: out of memory; {advice}",
                command=args.command,
                advice=_memory_advice(args),
            ),
            file=sys.stderr,
        )
        return FAILED
    if isinstance(error, KeyboardInterrupt):
        print(_("cssim: interrupted"), file=sys.stderr)
        return 130
    if isinstance(error, BrokenPipeError):  # e.g. ``cssim schema | head``: the reader left
        sys.stdout = open(os.devnull, "w")  # keeps the exit flush quiet
        return FAILED
    print(
        _("cssim: {command} failed: {error}", command=args.command, error=type(error).__name__)
        + f": {error}",
        file=sys.stderr,
    )
    return FAILED
