"""Saving the explorer's settings as a scenario YAML: a new file that says what was changed, written
atomically, never over an existing file unless asked."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..model.atomic import atomic as _atomic
from ..model.errors import ScenarioError
from ..model.scenario import Scenario
from ..words.i18n import Translator
from ._text import error_text, message

__all__ = ["default_path", "save_yaml", "saved_identity"]


def default_path(source: Path | None) -> Path:
    """Where the explorer offers to save: ``<file>-edited.yaml`` beside the file it opened."""
    if source is None:
        return Path("scenario-edited.yaml")
    return source.with_name(source.stem + "-edited.yaml")


def saved_identity(base: Scenario, changes: dict[str, Any], source: Path | None) -> dict[str, str]:
    """``name`` and ``description`` for a saved scenario that say what was changed from ``base``.

    ``{"name": "<base name> (edited)", "description": "Edited in the explorer from <file>:
    <path> <old> -> <new>; ... Before: <base description>"}``; nothing when nothing changed.
    """
    if not changes:
        return {}
    before = base.to_dict()

    def old(path: str) -> Any:
        node: Any = before
        for part in path.split("."):
            try:
                node = node[int(part)] if isinstance(node, list) else node[part]
            except (KeyError, IndexError, ValueError, TypeError):
                return "none"
        return node

    def show(v: Any) -> str:
        if isinstance(v, float):
            return f"{v:.6g}"
        if isinstance(v, dict):
            return "{" + ", ".join(f"{k}: {show(x)}" for k, x in v.items()) + "}"
        return str(v)

    def label(path: str) -> str:
        parts = path.split(".")
        if len(parts) > 2 and parts[0] == "segments" and parts[1].isdigit():
            i = int(parts[1])
            if i < len(base.segments):
                return f"{base.segments[i].name}: {'.'.join(parts[2:])}"
        return path

    edits = "; ".join(f"{label(k)} {show(old(k))} -> {show(v)}" for k, v in sorted(changes.items()))
    where = f" from {source.name}" if source is not None else ""
    text = f"Edited in the explorer{where}: {edits}."
    if base.description:
        text += f" Before: {base.description}"
    return {"name": f"{base.name} (edited)", "description": text}


def save_yaml(
    edited: Callable[[], Scenario],
    target: Path,
    *,
    source: Path | None,
    overwrite: bool,
    t: Translator,
) -> tuple[Path | None, str]:
    """Write the scenario ``edited()`` builds to ``target`` as YAML (atomically, usual permissions).

    Returns the path written (None when nothing was) and the status line to show, in ``t``'s language.
    An existing ``target`` (the scenario the explorer opened above all) is left alone unless
    ``overwrite``; a folder, a scenario the edits make invalid or a place that cannot be written is
    not written, and the line says why.
    """
    _ = t
    if not target.name:
        return None, message(_("Give a file name to save to."), error=True)
    if target.is_dir():
        why = _("Not saved: {file} is a folder. Give a file name.", file=target)
        return None, message(why, error=True)
    if target.exists() and not overwrite:
        if source is not None and target.resolve() == source.resolve():
            why = _(
                "Not saved: {file} is the scenario this explorer opened. Choose another name "
                "or tick overwrite.",
                file=target,
            )
        else:
            why = _(
                "Not saved: {file} is an existing file. Choose another name or tick overwrite.",
                file=target,
            )
        return None, message(why, error=True)
    try:
        scenario = edited()
    except (ScenarioError, KeyError, ValueError) as e:
        return None, message(_("Not saved: {error}", error=error_text(e, _.lang)), error=True)
    text = scenario.to_yaml()
    try:
        _atomic(target, lambda p: Path(p).write_text(text, encoding="utf-8"))
    except OSError as e:  # a folder that cannot be made or written to
        why = _("Not saved: cannot write {file}: {error}", file=target, error=e.strerror or e)
        return None, message(why, error=True)
    return target, message(_("Saved to {file}", file=target.resolve()))
