"""pydantic's validation errors turned into problems a person can act on.

Each complaint becomes a :class:`~cssim.model.errors.Problem` naming the field path as the scenario
writes it (``segments[0].churn.monthly``), its line in the YAML file, the value and what is allowed, in
the words of the scenario format rather than pydantic's (:func:`say`).
"""

from __future__ import annotations

import re
import typing
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from .errors import Problem, hint_for
from .fields import TAGS
from .limits import MAX_AMOUNT, MIN_LEVER_COST, MONEY_FIELDS
from .yamlio import LineMap

__all__ = ["line", "line_path", "problems", "say", "show_path"]

_KINDS = ("normal", "lognormal", "beta", "triangular", "pert", "uniform", "interval90")
_PARAM_FORMS = "a [low, high] 90% interval or a distribution with a kind"
#: pydantic error types that only say "wrong type" (a union branch that did not apply).
_TYPE_ONLY = {
    "int_type",
    "int_from_float",
    "int_parsing",
    "float_type",
    "float_parsing",
    "string_type",
    "bool_type",
    "model_type",
    "dict_type",
    "list_type",
}


def problems(
    error: ValidationError, data: Any, lines: LineMap, root: type[BaseModel]
) -> list[Problem]:
    """One :class:`Problem` per distinct complaint, in words, with the field path, line and value.

    ``root`` is the model that was validated (:class:`~cssim.model.scenario.Scenario`): it names the
    fields allowed where a key is unknown.
    """
    found: dict[tuple, list[tuple[str, dict, Any]]] = {}
    for err in error.errors(include_url=False):
        if err["type"] == "invalid_key":  # loc spells the key as text; input is the key itself
            real, skipped = _resolve(err["loc"][:-1], data)
            real = (*real, err.get("input"))
        else:
            real, skipped = _resolve(err["loc"], data, missing=err["type"] == "missing")
        value = _at(data, real, default=err.get("input", ...))
        branch = next(
            (p for p in skipped if isinstance(p, str) and p not in TAGS and not _is_kind(p)), ""
        )
        found.setdefault(real, []).append((branch, err, value))
    out: list[Problem] = []
    seen = set()
    for real, errs in found.items():
        for path, msg, value in _explain(real, _pick_branch(errs, root), data, root):
            shown = show_path(path, data)
            if (shown, msg) in seen:
                continue
            seen.add((shown, msg))
            out.append(Problem(shown, msg, value, line(line_path(path, data), lines)))
    return out


def _pick_branch(
    errs: list[tuple[str, dict, Any]], root: type[BaseModel]
) -> list[tuple[str, dict, Any]]:
    """Of the complaints from a union (``int | TenureSpread``), keep those of the branch that was meant."""
    branches = {b for b, _, _ in errs if b}
    if len(branches) < 2:
        return errs
    value = errs[0][2]
    model = [e for e in errs if _branch_model(e[0], root) is not None]
    scalar = [e for e in errs if e[0] and _branch_model(e[0], root) is None]
    if isinstance(value, dict) and model:
        return model
    if scalar and all(e[1]["type"] in _TYPE_ONLY for e in scalar) and model:
        fields = list(_branch_model(model[0][0], root).model_fields)
        err = {
            **scalar[0][1],
            "type": "cssim_either",
            "msg": f"must be {_scalar_word(scalar[0][1]['type'])} or a mapping with "
            f"{', '.join(fields)}",
        }
        return [("", err, value)]
    return scalar or errs


def _explain(real: tuple, errs: list[tuple[str, dict, Any]], data: Any, root: type[BaseModel]):
    """Yield ``(data path, message, value)`` for each complaint at one data path."""
    for _, err, value in errs:
        kind = err["type"]
        loc = err["loc"]
        path = real
        param = "number" in loc
        msg = say(err, param, root)
        if kind == "missing":
            value = ...
        elif kind == "extra_forbidden":
            value = ...
        elif kind == "invalid_key":
            value = real[-1]
            allowed = _allowed_fields(loc, root)
            msg += f"; allowed here: {', '.join(allowed)}" if allowed else ""
        elif kind in ("model_type", "dict_type"):
            fields = _allowed_fields((*loc, "?"), root)
            if fields and fields != ["kind", "..."]:
                msg = f"must be a mapping with fields {', '.join(fields)}"
        elif kind == "literal_error" and loc and loc[-1] == "[key]":
            value = err["input"]  # the key that is not allowed, not the value under it
        elif kind == "union_tag_invalid" and isinstance(value, dict) and "kind" in value:
            path, value = (*real, "kind"), value["kind"]
        elif kind == "value_error" and _is_container(value):
            value = ...  # a check across fields: the message names the values
        hint = hint_for(value if value is not ... else None) or _money_hint(real, kind)
        if kind == "string_type" and isinstance(value, int | float) and not isinstance(value, bool):
            hint = " (put it in quotes to make it text)"
        elif (
            kind in ("int_type", "int_from_float")
            and isinstance(value, float)
            and value.is_integer()
        ):
            hint = f" (write {int(value)})"
        yield path, msg + hint, value


def _money_hint(path: tuple, kind: str) -> str:
    """Why money has bounds, after a bound's complaint about a lever's cost or a money field."""
    if path and path[0] == "lever_costs" and kind in ("greater_than_equal", "less_than_equal"):
        return (
            f" (a lever's monthly cost in the scenario's currency is between {MIN_LEVER_COST:g} "
            f"and {MAX_AMOUNT:g}; leave out the cost of a lever that is free)"
        )
    names = [p for p in path if isinstance(p, str)]
    if names and names[-1] in MONEY_FIELDS and kind == "less_than_equal":
        return (
            f" (money in the scenario's currency is at most {MAX_AMOUNT:g}, more than any "
            "business takes in a year)"
        )
    return ""


def say(err: dict, param: bool, root: type[BaseModel]) -> str:
    """pydantic's complaint, in the words of the scenario format (``root``: the model validated)."""
    kind, ctx = err["type"], err.get("ctx") or {}
    loc = err["loc"]
    also = f", {_PARAM_FORMS}" if param else ""
    if kind == "cssim_either":
        return err["msg"]
    if kind == "missing":
        return "this field is required"
    if kind == "extra_forbidden":
        allowed = _allowed_fields(loc, root)
        return "unknown field" + (f"; allowed here: {', '.join(allowed)}" if allowed else "")
    if kind == "greater_than_equal":
        return f"must be at least {_num(ctx.get('ge'))}"
    if kind == "greater_than":
        return f"must be greater than {_num(ctx.get('gt'))}"
    if kind == "less_than_equal":
        return f"must be at most {_num(ctx.get('le'))}"
    if kind == "less_than":
        return f"must be less than {_num(ctx.get('lt'))}"
    if kind in ("int_type", "int_from_float", "int_parsing"):
        return f"must be a whole number{also}"
    if kind in ("float_type", "float_parsing"):
        return f"must be a number{also}"
    if kind == "finite_number":
        return "must be a finite number (not .inf or .nan)"
    if kind == "string_type":
        return "must be text"
    if kind == "string_too_short":
        n = ctx.get("min_length", 1)
        return "must not be empty" if n == 1 else f"must be at least {n} characters long"
    if kind == "string_too_long":
        return f"must be at most {ctx.get('max_length')} characters long"
    if kind == "string_pattern_mismatch":
        if ctx.get("pattern") == r"^[A-Z]{3}$":
            return "must be a three-letter currency code in capitals, such as JPY or USD"
        if ctx.get("pattern") == r"^[^.@\[\]\x00-\x1f\x7f]+$":
            return "must not hold . @ [ ] or control characters (a state's name is part of field paths)"
        if ctx.get("pattern") == r"^[A-Za-z0-9_-]+$":
            return "must be letters, digits, - or _ (a key that stays when the name changes)"
        return f"must match the pattern {ctx.get('pattern')}"
    if kind in ("too_short", "too_long"):
        if "interval" in loc:
            return "a [low, high] 90% interval needs exactly two numbers"
        if kind == "too_short":
            n = ctx.get("min_length")
            return f"needs at least {n} item{'s' if n != 1 else ''}"
        return f"allows at most {ctx.get('max_length')} items"
    if kind == "list_type":
        if loc and loc[-1] == "segments":
            return "must be a list of segments (each item starts with '- name: ...')"
        return "must be a list"
    if kind in ("model_type", "dict_type"):
        return "must be a mapping of fields"
    if kind == "union_tag_not_found":
        return f"a distribution needs a kind: one of {', '.join(_KINDS)}" + (
            f" (or write {_PARAM_FORMS.split(' or ')[0]})" if param or "distribution" in loc else ""
        )
    if kind == "literal_error" and loc and loc[-1] == "[key]" and loc[0] == "lever_costs":
        return f"unknown field; allowed here: {', '.join(_expected(ctx))}"
    if kind == "literal_error" and loc and loc[-1] == "language":
        return "must be one of en, ja (the language of reports and pages)"
    if kind == "literal_error" and loc and loc[-1] == "sampling":
        return "must be one of random, lhs, sobol (how the uncertain parameters are drawn)"
    if kind in ("union_tag_invalid", "literal_error"):
        return f"kind must be one of {', '.join(_KINDS)}"
    if kind == "invalid_key":
        return "a key must be text (a field name)"
    if kind == "bool_type":
        return "must be true or false"
    msg = err["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
    return msg[:1].lower() + msg[1:] if msg.startswith("Input should") else msg


def _num(x: Any) -> str:
    return f"{x:g}" if isinstance(x, float) else str(x)


def _scalar_word(kind: str) -> str:
    return {
        "float_type": "a number",
        "float_parsing": "a number",
        "string_type": "text",
        "bool_type": "true or false",
    }.get(kind, "a whole number")


def _is_container(value: Any) -> bool:
    """A mapping of fields or a list of them (segments): too big to show, the message names the values."""
    if isinstance(value, list):
        return any(isinstance(v, dict | list) for v in value)
    return isinstance(value, dict) and "kind" not in value


def _resolve(loc: tuple, data: Any, missing: bool = False) -> tuple[tuple, list]:
    """Split pydantic's loc into the path through the data and the parts that are not in it.

    The parts not in the data are union tags (``number``, ``distribution``, ``interval``), distribution
    kinds and union branch names such as ``constrained-int``; a missing field is the last part.
    """
    node: Any = data
    real: list = []
    skipped: list = []
    for i, part in enumerate(loc):
        last = i == len(loc) - 1
        if isinstance(node, dict) and _has_key(node, part):
            real.append(part)
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            real.append(part)
            node = node[part]
        elif missing and last and isinstance(part, str):
            real.append(part)
            node = None
        else:
            skipped.append(part)
    return tuple(real), skipped


def _has_key(node: dict, key: Any) -> bool:
    try:
        return key in node
    except TypeError:
        return False


def _at(data: Any, path: tuple, default: Any = ...) -> Any:
    node = data
    for part in path:
        if isinstance(node, dict) and _has_key(node, part):
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            return default
    return node


def show_path(path: tuple, data: Any) -> str:
    """``segments[0].churn.monthly``: list items by index, mapping keys after dots."""
    shown = ""
    node = data
    for part in path:
        if isinstance(node, list) and isinstance(part, int):
            shown += f"[{part}]"
        else:
            shown += f".{part}" if shown else str(part)
        node = _at(node, (part,), default=None)
    return shown


def line_path(path: tuple, data: Any) -> tuple:
    """The path as the line map spells it: mapping keys as written (a key ``1`` is ``"1"``)."""
    out = []
    node = data
    for part in path:
        is_key = isinstance(node, dict)
        out.append(part if not is_key or isinstance(part, str) else str(part))
        node = _at(node, (part,), default=None)
    return tuple(out)


def line(path: tuple, lines: LineMap) -> int | None:
    for n in range(len(path), -1, -1):
        if path[:n] in lines:
            return lines[path[:n]]
    return None


def _is_kind(part: Any) -> bool:
    return part in _KINDS


def _branch_model(branch: str, root: type[BaseModel]) -> type[BaseModel] | None:
    """The model a union branch name stands for: ``function-after[_order(), TenureSpread]``."""
    name = branch.rstrip("]").split(",")[-1].split("[")[-1].strip()
    return _all_models(root).get(name)


def _all_models(root: type[BaseModel]) -> dict[str, type[BaseModel]]:
    seen: dict[str, type[BaseModel]] = {}
    todo: list[type[BaseModel]] = [root]
    while todo:
        m = todo.pop()
        if m.__name__ in seen:
            continue
        seen[m.__name__] = m
        for f in m.model_fields.values():
            todo += _models_in(f.annotation)
    return seen


def _allowed_fields(loc: tuple, root: type[BaseModel]) -> list[str]:
    """Names allowed at the parent of ``loc`` (the unknown key), following the model's annotations."""
    models: list[type[BaseModel]] = [root]
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        if _is_kind(part):
            nxt = [
                c
                for m in models
                for c in ([m] if "kind" in m.model_fields else [])
                if getattr(c.model_fields["kind"], "annotation", None) == Literal[part]
            ]
            nxt = nxt or [c for m in models for c in _kind_models(m, part)]
        elif isinstance(part, str) and any(part in m.model_fields for m in models):
            nxt = [
                c
                for m in models
                if part in m.model_fields
                for c in _models_in(m.model_fields[part].annotation)
            ]
        else:
            branch = _branch_model(part, root) if isinstance(part, str) else None
            nxt = [branch] if branch is not None else models  # a union tag: same place
        models = nxt
        if not models:
            return []
    if len(models) != 1:
        return ["kind", "..."] if all("kind" in m.model_fields for m in models) else []
    return list(models[0].model_fields)


def _kind_models(model: type[BaseModel], kind: str) -> list[type[BaseModel]]:
    ann = getattr(model.model_fields.get("kind"), "annotation", None)
    return [model] if ann == Literal[kind] else []


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    out = []
    for arg in typing.get_args(annotation):
        out += _models_in(arg)
    return out


def _expected(ctx: dict) -> list[str]:
    """The names a literal allows, from pydantic's ``expected`` text (``'a', 'b' or 'c'``)."""
    return re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
