"""Scenario errors as people read them, in their language (the model's errors stay language-free).

:class:`cssim.model.errors.ScenarioError` holds the source and a list of :class:`Problem` (field path,
line, value, what is allowed). English output is exactly ``str(error)``; other languages rebuild the same
lines from translated templates. A problem's ``message`` is matched against the message templates below
(``must be at least {limit}``): the template is translated and its values put back, so the model keeps
writing plain English and the language is chosen where the error is shown. A message no template
matches stays in English whole rather than half-translated.
"""

from __future__ import annotations

import functools
import re

from ..model.errors import Problem, ScenarioError, _show
from .i18n import N_, Translator

__all__ = ["MESSAGES", "problem_text", "scenario_error_text", "translate_message"]

#: What the model says about a bad value, as templates with named values (``cssim.model.scenario``).
MESSAGES = (
    N_("this field is required"),
    N_("unknown field"),
    N_("unknown field; allowed here: {fields}"),
    N_("must be at least {limit}"),
    N_("must be greater than {limit}"),
    N_("must be at most {limit}"),
    N_("must be less than {limit}"),
    N_("must be a whole number"),
    N_("must be a number"),
    N_("must be a finite number (not .inf or .nan)"),
    N_("must be text"),
    N_("must not be empty"),
    N_("must be at least {n} characters long"),
    N_("must be at most {n} characters long"),
    N_("must be a three-letter currency code in capitals, such as JPY or USD"),
    N_("a [low, high] 90% interval needs exactly two numbers"),
    N_("must be a mapping with fields {fields}"),
    N_("segment names must be unique; repeated: {names}"),
    N_("a scenario is a YAML mapping with name, horizon_months and segments"),
    N_("give exactly one of arpa (MRR per account) or seats (per_account and price)"),
    N_(
        "give exactly one of rate (annual, relative to the base) or count (new customers per month)"
    ),
    N_("growth applies to count; a rate already grows with the base"),
    N_("give accounts_per_csm or csm_per_account, not both"),
)


@functools.cache
def _patterns() -> list[tuple[re.Pattern, str]]:
    out = []
    for template in sorted(MESSAGES, key=len, reverse=True):
        parts = re.split(r"\{(\w+)\}", template)
        rx = "".join(
            re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+?)" for i, part in enumerate(parts)
        )
        out.append((re.compile(rf"^{rx}(?P<_rest>(?: \(.*\))?)$", re.S), template))
    return out


def translate_message(message: str, lang: str | None = None) -> str:
    """The model's English ``message`` in ``lang``, by its template; unchanged when none matches.

    A trailing hint in parentheses (``(YAML reads ...)``) is kept as written.
    """
    _ = Translator(lang or "en")
    if _.lang == "en":
        return message
    for rx, template in _patterns():
        m = rx.match(message)
        if m:
            values = {k: v for k, v in m.groupdict().items() if k != "_rest"}
            return _(template, **values) + m.group("_rest")
    return message


def problem_text(problem: Problem, lang: str | None = None) -> str:
    """One problem: ``path (line 3): 1.5 is not allowed: <what is allowed>``, in ``lang``."""
    _ = Translator(lang or "en")
    where = problem.path or _("(document)")
    if problem.line is not None:
        where = _("{where} (line {line})", where=where, line=problem.line)
    message = translate_message(problem.message, lang)
    if problem.value is ...:
        return _("{where}: {message}", where=where, message=message)
    return _(
        "{where}: {value} is not allowed: {message}",
        where=where,
        value=_show(problem.value),
        message=message,
    )


def scenario_error_text(error: ScenarioError, lang: str | None = None) -> str:
    """The whole error as the CLI prints it: the source, then one line per problem."""
    _ = Translator(lang or "en")
    if _.lang == "en":
        return str(error)
    if len(error.problems) == 1:
        return f"{error.source}: {problem_text(error.problems[0], lang)}"
    lines = [_("{source}: {n} problems", source=error.source, n=len(error.problems))]
    lines += [f"  {problem_text(p, lang)}" for p in error.problems]
    return "\n".join(lines)
