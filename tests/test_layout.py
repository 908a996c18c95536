"""The package's layout: no import circle between cssim's modules, and no file writing in analysis."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "cssim"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path, module_level_only: bool) -> set[str]:
    """cssim modules that ``path`` imports (relative imports resolved), at module level or anywhere."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    # ``if TYPE_CHECKING:`` blocks name types for annotations and never run: not an import
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.If)
            and isinstance(node.test, ast.Name)
            and node.test.id == "TYPE_CHECKING"
        ):
            node.body = []
    nodes = tree.body if module_level_only else list(ast.walk(tree))
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("cssim")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("cssim"):
                continue
            for a in node.names:  # "from . import x" may import the submodule x
                sub = f"{target}.{a.name}"
                found.add(
                    sub if (ROOT / Path(*sub.split("."))).with_suffix(".py").exists() else target
                )
    return found - {name}


def _graph(module_level_only: bool) -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph = {}
    for name, path in modules.items():
        deps = set()
        for target in _imports(path, module_level_only):
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name and not name.startswith(target + "."):
                deps.add(target)  # importing a parent package itself is not a circle
        graph[name] = deps
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_no_import_circle_between_modules():
    """Counting every import, deferred ones inside functions too: arrows point one way only."""
    graph = _graph(module_level_only=False)
    assert "cssim.runs.batch" in graph and "cssim.runs.manifest" in graph["cssim.runs.batch"]
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_model_imports_nothing_above_it():
    graph = _graph(module_level_only=False)
    for name, deps in graph.items():
        if name.startswith("cssim.model"):
            above = {d for d in deps if not d.startswith("cssim.model") and d != "cssim"}
            assert not above, (name, above)


WRITERS = {"to_csv", "to_parquet", "savefig", "write_text", "write_bytes", "_atomic", "save"}


def test_analysis_writes_no_files():
    for path in (PACKAGE / "analysis").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        calls = {
            n.func.attr if isinstance(n.func, ast.Attribute) else getattr(n.func, "id", "")
            for n in ast.walk(tree)
            if isinstance(n, ast.Call)
        }
        opens = any(
            isinstance(n, ast.Call) and getattr(n.func, "id", "") == "open" for n in ast.walk(tree)
        )
        assert not (calls & WRITERS) and not opens, (path.name, calls & WRITERS)


#: the floors of docs/ARCHITECTURE.md: a module imports only its own floor and those below it
FLOORS = {
    "cssim._version": 0,
    "cssim.model": 1,
    "cssim.words": 2,
    "cssim.analysis": 3,
    "cssim.data": 3,
    "cssim.reporting": 4,
    "cssim.widgets": 4,
    "cssim.runs": 5,
    "cssim.cli": 6,
}


def _floor(module: str) -> int | None:
    for prefix, floor in FLOORS.items():
        if module == prefix or module.startswith(prefix + "."):
            return floor
    return None


def test_every_import_points_down_or_sideways():
    """Counting deferred imports too: model, words, analysis and data reach no higher floor (issue 16),
    and no floor above them reaches up either; analysis and data share a floor and do not import each
    other."""
    graph = _graph(module_level_only=False)
    assert any(_floor(d) == 2 for d in graph["cssim.analysis.lever_result"])  # floors to check
    up = []
    for name, deps in graph.items():
        here = _floor(name)
        for dep in deps:
            there = _floor(dep)
            if here is None or there is None:
                continue
            if there > here or (here == there == 3 and name.split(".")[1] != dep.split(".")[1]):
                up.append(f"{name} -> {dep}")
    assert up == [], up
