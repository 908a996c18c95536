"""Scenario edits ("what-if" changes) and the field paths that address them, in one place.

Every part of cssim that changes a scenario (levers, break-even, sensitivity, sweeps, the explorer, the
report's horizon) goes through :func:`replace`, and every field path a person types goes through
:func:`parse_path`. A path is either a tuple of keys and indices, ``("segments", 0, "churn", "monthly")``,
or text:

- ``horizon_months``, ``segments[0].churn.monthly``: keys after dots, list items by index in brackets (the
  form :class:`~cssim.model.errors.Problem` uses);
- ``segments["Tier 1.5"].churn.monthly``: a segment by name, as a JSON string in brackets, so a name may
  hold any character, dots, brackets and quotes included;
- ``segments.0.churn.monthly`` and ``segments.Tier 1.5.churn.monthly``: the older dotted form; after
  ``segments.`` comes an index or the longest segment name followed by a dot.

A path that names no segment, an index past the end or a field inside a number raises :class:`PathError`,
a :class:`~cssim.model.errors.ScenarioError` (also a ``KeyError``) that names the path and what is allowed.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from .errors import Problem, ScenarioError

if TYPE_CHECKING:  # pragma: no cover
    from .scenario import Scenario

__all__ = ["Path", "PathError", "format_path", "parse_path", "replace", "segment_path"]

#: A resolved field path: mapping keys (text) and list indices (int).
Path = tuple[str | int, ...]


class PathError(ScenarioError, KeyError):
    """A field path that does not lead to a field of the scenario (exit 2 at the command line)."""

    def __str__(self) -> str:  # KeyError would quote the message
        return self.args[0] if self.args else ""


def _fail(source: str, path: Any, message: str) -> PathError:
    shown = path if isinstance(path, str) else format_path(tuple(path))
    return PathError(source, [Problem(shown, message)])


def format_path(path: Sequence[str | int]) -> str:
    """``("segments", 0, "churn", "monthly")`` -> ``segments[0].churn.monthly``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def segment_path(name: str, field: str = "") -> str:
    """The text path of a segment's field by name: ``segments["Tier 1.5"].churn.monthly``."""
    head = f"segments[{json.dumps(name, ensure_ascii=False)}]"
    return f"{head}.{field}" if field else head


def _names(data: Mapping) -> list[str]:
    segs = data.get("segments") if isinstance(data, Mapping) else None
    if not isinstance(segs, list):
        return []
    return [
        s.get("name") for s in segs if isinstance(s, Mapping) and isinstance(s.get("name"), str)
    ]


def _segment_index(names: list[str], key: str | int, path: Any, source: str) -> int:
    if isinstance(key, int):
        if 0 <= key < len(names):
            return key
        allowed = f"0 to {len(names) - 1}" if names else "none: there are no segments"
        raise _fail(source, path, f"there is no segment {key}; segment indices: {allowed}")
    if key in names:
        return names.index(key)
    raise _fail(
        source,
        path,
        f"no segment named {key!r}; segments: {', '.join(repr(n) for n in names) or 'none'}",
    )


def parse_path(data: Mapping, path: str | Sequence[str | int], source: str = "<edit>") -> Path:
    """Resolve ``path`` against scenario data (``Scenario.to_dict()``): segments become indices.

    Raises
    ------
    PathError
        The path is empty or malformed, or names a segment that does not exist.
    """
    names = _names(data)
    if not isinstance(path, str):
        parts = list(path)
        if not parts or not all(
            isinstance(p, str | int) and not isinstance(p, bool) for p in parts
        ):
            raise _fail(source, str(path), "a field path is a list of field names and indices")
        if parts[0] == "segments" and len(parts) > 1:
            parts[1] = _segment_index(names, parts[1], path, source)
        return tuple(parts)
    text = path.strip()
    if not text:
        raise _fail(source, path, "a field path is not empty, e.g. segments[0].churn.monthly")
    if text.startswith("segments."):  # the dotted form: an index or the longest matching name
        rest = text[len("segments.") :]
        head, _, tail = rest.partition(".")
        if head.isdigit():
            return (
                "segments",
                _segment_index(names, int(head), path, source),
                *_fields(tail, path),
            )
        for name in sorted(names, key=len, reverse=True):
            if rest == name or rest.startswith(name + "."):
                tail = rest[len(name) + 1 :]
                return ("segments", names.index(name), *_fields(tail, path))
        raise _fail(
            source,
            path,
            f"no segment named {head!r} (nor any name this path starts with); segments: "
            f"{', '.join(repr(n) for n in names) or 'none'}",
        )
    out: list[str | int] = []
    i = 0
    while i < len(text):
        if text[i] == "[":
            j, key = _bracket(text, i, path, source)
            if out == ["segments"]:
                key = _segment_index(names, key, path, source)
            elif not isinstance(key, int):
                raise _fail(source, path, "only segments are chosen by name in brackets")
            out.append(key)
            i = j
            if i < len(text) and text[i] == ".":
                i += 1
        else:
            j = min(
                (k for k in (text.find(".", i), text.find("[", i)) if k >= 0), default=len(text)
            )
            word = text[i:j]
            if not word:
                raise _fail(source, path, "a field path has a name between dots")
            out.append(word)
            i = j + 1 if j < len(text) and text[j] == "." else j
    return tuple(out)


def _fields(tail: str, path: str) -> list[str | int]:
    """The fields after a segment in the dotted form; a number is a list index
    (``health.states.0.new``)."""
    parts = tail.split(".") if tail else []
    if any(not p for p in parts):
        raise _fail("<edit>", path, "a field path has a name between dots")
    return [int(p) if p.isdigit() else p for p in parts]


def _bracket(text: str, i: int, path: str, source: str) -> tuple[int, str | int]:
    """Read ``[3]`` or ``["name"]`` at ``text[i]``; return the index after it and the key."""
    if text.startswith('["', i):
        try:
            key, end = json.JSONDecoder().raw_decode(text, i + 1)
        except json.JSONDecodeError:
            raise _fail(source, path, 'a segment name in brackets is quoted: ["name"]') from None
        if end >= len(text) or text[end] != "]":
            raise _fail(source, path, 'close the brackets: ["name"]')
        return end + 1, key
    end = text.find("]", i)
    inside = text[i + 1 : end] if end >= 0 else ""
    if end < 0 or not inside.isdigit():
        raise _fail(source, path, 'in brackets goes an index such as [0] or a quoted name ["SMB"]')
    return end + 1, int(inside)


def _plain(value: Any) -> Any:
    """Models become their data; anything else (``nan`` included) is left for validation to judge."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", exclude_none=True)
    return value


def apply(data: dict, path: Path, value: Any, source: str = "<edit>") -> None:
    """Set ``path`` of plain scenario data to ``value`` in place (``None`` removes the field)."""
    node: Any = data
    for i, key in enumerate(path):
        last = i == len(path) - 1
        here = format_path(path[: i + 1])
        if isinstance(node, list):
            if not isinstance(key, int) or not 0 <= key < len(node):
                raise _fail(
                    source, path, f"{here}: there is no item {key!r} (items 0 to {len(node) - 1})"
                )
        elif isinstance(node, dict):
            if isinstance(key, int) and not isinstance(key, bool) and str(key) in node:
                key = str(key)  # a mapping key written as digits in the dotted form
            if not isinstance(key, str):
                raise _fail(
                    source, path, f"{format_path(path[:i])} is a mapping: name a field, not [{key}]"
                )
        else:
            raise _fail(
                source,
                path,
                f"{format_path(path[:i])} is a single value ({node!r}); it has no field {key!r}",
            )
        if last:
            value = _plain(value)
            if value is None and isinstance(node, dict):
                node.pop(key, None)
            else:
                node[key] = value
        else:
            if isinstance(node, dict) and key not in node:
                node[key] = {}
            node = node[key]


def replace(scenario: Scenario, changes: Mapping[str | Sequence[str | int], Any]) -> Scenario:
    """A validated copy of ``scenario`` with fields changed, keyed by field path (see the module docstring).

    ``{"segments[0].churn.monthly": 0.02, "horizon_months": 60}``; ``{'segments["Tier 1.5"].arpa': 9e4}``;
    ``{("segments", 1, "cac"): 0}``.
    """
    Scenario = type(scenario)

    source = f"{scenario.name} (changed)"
    data = copy.deepcopy(scenario.to_dict())
    for path, value in changes.items():
        apply(data, parse_path(data, path, source), value, source)
    return Scenario.from_dict(data, source=source)
