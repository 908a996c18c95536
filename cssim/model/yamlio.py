"""Safe YAML reading that keeps line numbers and rejects duplicate keys."""

from __future__ import annotations

from typing import Any

import yaml

from .errors import Problem

__all__ = ["LineMap", "dump_yaml", "parse_yaml"]

#: Maps a data path (tuple of keys and indices) to the 1-based line where it is written.
LineMap = dict[tuple, int]


class _DuplicateKey(Exception):
    def __init__(self, key: Any, line: int, first: int):
        self.key, self.line, self.first = key, line, first


class _Loader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate mapping keys (PyYAML silently keeps the last)."""

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


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _Loader.construct_mapping)


def _lines(node: yaml.Node, path: tuple, out: LineMap) -> None:
    out.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            out[(*path, key)] = key_node.start_mark.line + 1
            _lines(value_node, (*path, key), out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            out[(*path, i)] = item.start_mark.line + 1
            _lines(item, (*path, i), out)


def parse_yaml(text: str) -> tuple[Any, LineMap, list[Problem]]:
    """Parse YAML text safely.

    Returns
    -------
    data, lines, problems
        The document (``None`` if it could not be read), a map from data paths to line numbers, and the
        problems found while reading (syntax errors, duplicate keys).
    """
    loader = None
    try:
        loader = _Loader(text)  # the reader refuses control characters here
        node = loader.get_single_node()
        if node is None:
            return None, {}, [Problem("", "the file is empty: a scenario is a YAML mapping")]
        data = loader.construct_document(node)
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
    except RecursionError:
        return None, {}, [Problem("", _TOO_DEEP)]
    finally:
        if loader is not None:
            loader.dispose()
    lines: LineMap = {}
    try:
        _lines(node, (), lines)
    except RecursionError:  # an alias that contains itself
        return None, {}, [Problem("", _TOO_DEEP)]
    return data, lines, []


_TOO_DEEP = "the document is nested too deeply or an alias refers to itself; a scenario is a few levels deep"


def dump_yaml(data: Any) -> str:
    """Write plain data as block-style YAML that ``parse_yaml`` reads back unchanged."""
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=False)
