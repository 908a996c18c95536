"""Every message a scenario's validation raises has a translation template.

:mod:`cssim.words.errors_text` translates the model's English messages by matching them against
its templates (``MESSAGES``); a message reworded in the model without its template would stay in
English in a Japanese error. This test reads the validators' source: each string a ``raise
ValueError(...)`` in the scenario and distribution modules can raise, its formatted values stood in
for, must be translated by a template.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from cssim.words.errors_text import translate_message

ROOT = Path(__file__).resolve().parents[1]
#: The modules whose ValueErrors pydantic turns into a ScenarioError people read.
VALIDATORS = (
    "cssim/model/fields.py",
    "cssim/model/segment.py",
    "cssim/model/joint.py",
    "cssim/model/health.py",
    "cssim/model/scenario.py",
    "cssim/model/distributions.py",
    "cssim/model/correlation.py",
)


def _messages(node: ast.AST):
    """The strings an expression can be: literals and f-strings (values stood in for by ``7``)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node.value
    elif isinstance(node, ast.JoinedStr):
        yield "".join(v.value if isinstance(v, ast.Constant) else "7" for v in node.values)
    elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        for left in _messages(node.left):
            for right in _messages(node.right):
                yield left + right
    elif isinstance(node, ast.Subscript):  # {kind: message, ...}[kind]: each message
        yield from _messages(node.value)
    elif isinstance(node, ast.Dict):
        for value in node.values:
            yield from _messages(value)
    elif isinstance(node, ast.IfExp):
        yield from _messages(node.body)
        yield from _messages(node.orelse)


def _raised():
    for rel in VALIDATORS:
        tree = ast.parse((ROOT / rel).read_text(encoding="utf-8"))
        for n in ast.walk(tree):
            if (
                isinstance(n, ast.Raise)
                and isinstance(n.exc, ast.Call)
                and getattr(n.exc.func, "id", "") == "ValueError"
                and n.exc.args
            ):
                for message in _messages(n.exc.args[0]):
                    yield pytest.param(message, id=f"{rel}:{n.lineno}")


RAISED = list(_raised())


def test_the_validators_raise_messages():
    assert len(RAISED) >= 25  # the scan finds them (a refactor that hid them would pass vacuously)


@pytest.mark.parametrize("message", RAISED)
def test_every_validation_message_has_a_japanese_template(message):
    assert translate_message(message, "ja") != message, message
