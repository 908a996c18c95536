"""Safe YAML reading that keeps line numbers, rejects duplicate keys and bounds what a file can cost.

Limits (each breach is a :class:`Problem`, never another exception):

- ``MAX_FILE_BYTES``: a scenario is a few kilobytes; bigger files are refused before parsing;
- ``MAX_NODES``: the document, with every alias expanded, holds at most this many values (a nested-anchor
  "alias bomb" of a few hundred bytes would otherwise expand to billions);
- ``MAX_DIGITS``: a number is written with at most this many digits;
- scalars that PyYAML's constructors cannot read (``2024-02-30``, ``!!float abc``, ``!!int 3.5``) and number
  forms that YAML 1.1 and YAML 1.2 read differently (``036``: octal 30 or 36; ``1:30``: 90 or text;
  ``0b101``; ``1_000``) are reported with their field path, line and text.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from .errors import Problem

__all__ = ["MAX_DIGITS", "MAX_FILE_BYTES", "MAX_NODES", "LineMap", "dump_yaml", "parse_yaml"]

#: Maps a data path (tuple of keys and indices) to the 1-based line where it is written.
LineMap = dict[tuple, int]

#: Largest scenario file read (bytes); the shipped scenarios are under 5 kB.
MAX_FILE_BYTES = 64_000
#: Most values (mappings, lists and scalars, aliases expanded) a document may hold.
MAX_NODES = 5_000
#: Most digits in a written number (money in yen needs at most 16 or so).
MAX_DIGITS = 30

_INT_TAG = "tag:yaml.org,2002:int"
_FLOAT_TAG = "tag:yaml.org,2002:float"
_WHAT = {
    _INT_TAG: "a whole number",
    _FLOAT_TAG: "a number",
    "tag:yaml.org,2002:bool": "true or false",
    "tag:yaml.org,2002:timestamp": "a date",
    "tag:yaml.org,2002:binary": "base64 data",
    "tag:yaml.org,2002:null": "null",
}
_OCTAL_11 = re.compile(r"^[-+]?0[0-7_]+$")


class _DuplicateKey(Exception):
    def __init__(self, key: Any, line: int, first: int):
        self.key, self.line, self.first = key, line, first


class _BadScalar(Exception):
    """A scalar that cannot be read as its tag says: ``message`` says what is allowed."""

    def __init__(self, node: yaml.Node, message: str):
        self.node, self.message = node, message


def _yaml11_form(text: str, tag: str) -> str | None:
    """Why ``text`` (a number as written) is refused, or None: forms YAML 1.1 and 1.2 read differently."""
    body = text.strip()
    digits = sum(c.isdigit() for c in body)
    if digits > MAX_DIGITS:
        return f"a number is written with at most {MAX_DIGITS} digits; this one has {digits}"
    if ":" in body:
        return (
            "YAML 1.1 reads a number with ':' as base 60 (1:30 is 90) and YAML 1.2 as text: "
            "write the number itself, or quote it to make it text"
        )
    if "_" in body:
        return (
            "YAML 1.1 drops '_' from numbers and YAML 1.2 reads them as text: write the digits only"
        )
    if tag == _INT_TAG and _OCTAL_11.match(body):
        return (
            "YAML 1.1 reads a whole number with a leading 0 as octal (036 is 30) and YAML 1.2 as "
            "decimal: write it without the leading 0"
        )
    if tag == _INT_TAG and body.lstrip("+-").lower().startswith("0b"):
        return "YAML 1.2 has no 0b numbers: write the number in decimal"
    return None


class _Loader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate mapping keys and reports scalars it cannot read."""

    _composed = 0

    def compose_node(self, parent, index):
        """Count values as they are read: a file of tiny values stops at :data:`MAX_NODES`, unparsed."""
        self._composed += 1
        if self._composed > MAX_NODES:
            raise _TooBig
        return super().compose_node(parent, index)

    def construct_mapping(self, node, deep=False):
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            try:
                hash(key)
            except TypeError:
                continue  # the base class reports unhashable keys
            if key in seen:
                raise _DuplicateKey(key, key_node.start_mark.line + 1, seen[key])
            seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)

    def construct_object(self, node, deep=False):
        if isinstance(node, yaml.ScalarNode) and node.tag in (_INT_TAG, _FLOAT_TAG):
            why = _yaml11_form(str(node.value), node.tag)
            if why is not None:
                raise _BadScalar(node, why)
        try:
            return super().construct_object(node, deep=deep)
        except (_BadScalar, _DuplicateKey, yaml.YAMLError, RecursionError):
            raise
        except (ValueError, TypeError, KeyError, AttributeError, OverflowError, IndexError):
            what = _WHAT.get(node.tag, f"a value of type {node.tag}")
            hint = (
                " (YAML reads an unquoted date as a date: put it in quotes to make it text)"
                if node.tag == "tag:yaml.org,2002:timestamp"
                else ""
            )
            raise _BadScalar(node, f"cannot be read as {what}{hint}") from None


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _Loader.construct_mapping)


class _TooBig(Exception):
    pass


def _lines(node: yaml.Node, path: tuple, out: LineMap, where: dict[int, tuple], budget: list[int]):
    """Fill ``out`` (path -> line) and ``where`` (node id -> first path), counting values in ``budget``."""
    budget[0] -= 1
    if budget[0] < 0:
        raise _TooBig
    out.setdefault(path, node.start_mark.line + 1)
    where.setdefault(id(node), path)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            out[(*path, key)] = key_node.start_mark.line + 1
            where.setdefault(id(key_node), (*path, key))
            _lines(value_node, (*path, key), out, where, budget)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            out[(*path, i)] = item.start_mark.line + 1
            _lines(item, (*path, i), out, where, budget)


def _show(path: tuple) -> str:
    """``segments[0].churn.monthly``, as :class:`Problem` paths are written."""
    shown = ""
    for part in path:
        shown += f"[{part}]" if isinstance(part, int) else (f".{part}" if shown else str(part))
    return shown


def parse_yaml(text: str) -> tuple[Any, LineMap, list[Problem]]:
    """Parse YAML text safely.

    Returns
    -------
    data, lines, problems
        The document (``None`` if it could not be read), a map from data paths to line numbers, and the
        problems found while reading (size, syntax errors, duplicate keys, unreadable scalars).
    """
    if len(text) > MAX_FILE_BYTES:
        return None, {}, [_too_large(len(text.encode("utf-8", "surrogatepass")))]
    loader = None
    lines: LineMap = {}
    where: dict[int, tuple] = {}
    try:
        loader = _Loader(text)  # the reader refuses control characters here
        node = loader.get_single_node()
        if node is None:
            return None, {}, [Problem("", "the file is empty: a scenario is a YAML mapping")]
        _lines(node, (), lines, where, [MAX_NODES])
        data = loader.construct_document(node)
    except _TooBig:
        return None, {}, [Problem("", _EXPANDS.format(limit=MAX_NODES))]
    except _BadScalar as e:
        path = where.get(id(e.node), ())
        return (
            None,
            {},
            [Problem(_show(path), e.message, str(e.node.value), line=e.node.start_mark.line + 1)],
        )
    except _DuplicateKey as e:
        return (
            None,
            {},
            [
                Problem(
                    str(e.key),
                    f"the key {e.key!r} is written twice (lines {e.first} and {e.line}); keep one",
                    line=e.line,
                )
            ],
        )
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark is not None else None
        what = " ".join(x for x in (e.context, e.problem) if x)
        return None, {}, [Problem("", f"this is not valid YAML: {what}", line=line)]
    except yaml.YAMLError as e:
        return None, {}, [Problem("", f"this is not valid YAML: {e}")]
    except RecursionError:  # nested too deeply, or an alias that contains itself
        return None, {}, [Problem("", _TOO_DEEP)]
    finally:
        if loader is not None:
            loader.dispose()
    return data, lines, []


def _too_large(size: int) -> Problem:
    return Problem(
        "",
        f"the file is {size:,} bytes; a scenario file is at most {MAX_FILE_BYTES:,} bytes "
        "(a scenario is a few kilobytes)",
    )


_TOO_DEEP = "the document is nested too deeply or an alias refers to itself; a scenario is a few levels deep"
_EXPANDS = (
    "the document holds or expands to more than {limit:,} values (anchors and aliases repeat parts of "
    "it); "
    "a scenario holds a few hundred"
)


def dump_yaml(data: Any) -> str:
    """Write plain data as block-style YAML that ``parse_yaml`` reads back unchanged."""
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=False)
