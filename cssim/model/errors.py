"""Errors that name the file, the field path, the line, the value and what is allowed."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from typing import Any

__all__ = ["Problem", "ScenarioError"]

_FLOATISH = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)[eE][+-]?\d+$")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario.

    Attributes
    ----------
    path : str
        Field path such as ``segments[0].churn.monthly`` ("" for the whole document).
    message : str
        What is allowed, in words.
    value : Any
        The offending value (``...`` when there is none, e.g. a missing field).
    line : int or None
        1-based line in the YAML file where the field (or its parent) is written.
    """

    path: str
    message: str
    value: Any = ...
    line: int | None = None

    def __str__(self) -> str:
        where = self.path or "(document)"
        if self.line is not None:
            where += f" (line {self.line})"
        if self.value is ...:
            return f"{where}: {self.message}"
        return f"{where}: {_show(self.value)} is not allowed: {self.message}"


def _show(value: Any) -> str:
    """A short repr of the offending value (never raises: huge ints and deep nests are summarised)."""
    try:
        text = repr(value)
    except (ValueError, RecursionError):  # int too long to print, or nested too deep
        text = f"<{type(value).__name__} too large to show>"
    return text if len(text) <= 80 else text[:77] + "..."


def hint_for(value: Any) -> str:
    """Extra advice for values that PyYAML reads differently from what was meant."""
    if isinstance(value, str) and _FLOATISH.match(value.strip()):
        return " (YAML reads a number written like 1e3 as text: write 1000 or 1.0e+3)"
    if isinstance(value, bool):
        return (
            " (YAML reads yes/no/on/off/true/false as booleans: write a number, or quote the word "
            "to make it text)"
        )
    if isinstance(value, datetime.date):
        return " (YAML reads an unquoted date as a date: put it in quotes to make it text)"
    return ""


class ScenarioError(ValueError):
    """A scenario that cannot be used, with every problem found.

    ``str(error)`` is the message the CLI prints: the source (file or ``<dict>``) and one line per problem.
    """

    def __init__(self, source: str, problems: list[Problem]):
        self.source = source
        self.problems = list(problems)
        super().__init__(self._format())

    def _format(self) -> str:
        if len(self.problems) == 1:
            return f"{self.source}: {self.problems[0]}"
        lines = [f"{self.source}: {len(self.problems)} problems"]
        lines += [f"  {p}" for p in self.problems]
        return "\n".join(lines)
