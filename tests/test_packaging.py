"""pyproject.toml (pip) and environment.yml (conda) list the same dependencies and lower bounds."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]

#: pip name (normalised) -> conda-forge name, where they differ beyond case and '-' vs '_'.
PIP_TO_CONDA = {
    "pyyaml": "pyyaml",  # PyYAML on PyPI
    "matplotlib": "matplotlib-base",  # conda's "matplotlib" adds a Qt GUI stack
}
#: conda entries that are tooling, not project dependencies.
CONDA_ONLY = {"python", "pip"}

_CONDA_SPEC = re.compile(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*?)\s*$")


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def lower_bound(spec: str) -> Version | None:
    """The version after ``>=`` in a pip or conda spec (``None`` when there is none)."""
    found = re.findall(r">=\s*([0-9][0-9A-Za-z.]*)", spec)
    assert len(found) <= 1, f"more than one lower bound in {spec!r}"
    return Version(found[0]) if found else None


def pip_dependencies() -> dict[str, Version | None]:
    """Every dependency of pyproject (core and all extras) by conda name, with its lower bound.

    An extra such as ``dask[distributed]`` is two conda packages, ``dask`` and ``distributed``, with
    the same bound.
    """
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    specs = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        specs += extra
    out: dict[str, Version | None] = {}
    for spec in specs:
        req = Requirement(spec)
        bound = lower_bound(str(req.specifier))
        for name in [req.name, *sorted(req.extras)]:
            conda = PIP_TO_CONDA.get(normalise(name), normalise(name))
            assert conda not in out, f"{name} is declared twice in pyproject.toml"
            out[conda] = bound
    return out


def conda_environment() -> dict:
    return yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))


def conda_dependencies() -> dict[str, Version | None]:
    """Conda and pip entries of environment.yml by normalised name (not python, pip, ``-e .``)."""
    deps = conda_environment()["dependencies"]
    entries = [d for d in deps if isinstance(d, str)]
    for d in deps:
        if isinstance(d, dict):
            entries += [p for p in d.get("pip", []) if not p.startswith("-")]
    out: dict[str, Version | None] = {}
    for entry in entries:
        name, spec = _CONDA_SPEC.match(entry).groups()
        name = normalise(name)
        if name in CONDA_ONLY:
            continue
        assert name not in out, f"{name} is listed twice in environment.yml"
        out[name] = lower_bound(spec)
    return out


def test_pyproject_dependencies_are_all_in_environment_yml():
    missing = sorted(set(pip_dependencies()) - set(conda_dependencies()))
    assert not missing, f"in pyproject.toml but not environment.yml: {missing}"


def test_environment_yml_has_nothing_pyproject_lacks():
    extra = sorted(set(conda_dependencies()) - set(pip_dependencies()))
    assert not extra, f"in environment.yml but not pyproject.toml: {extra}"


@pytest.mark.parametrize("name", sorted(pip_dependencies()))
def test_lower_bounds_agree(name):
    conda = conda_dependencies()
    if name not in conda:
        pytest.fail(f"{name} is missing from environment.yml")
    assert conda[name] == pip_dependencies()[name], (
        f"{name}: pyproject.toml says >={pip_dependencies()[name]}, "
        f"environment.yml says >={conda[name]}"
    )


def test_environment_python_satisfies_requires_python():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    python = [
        d
        for d in conda_environment()["dependencies"]
        if isinstance(d, str) and d.startswith("python")
    ]
    assert python == ["python=3.11"]
    assert Requirement(f"python{project['requires-python']}").specifier.contains("3.11")


def test_environment_installs_the_project_editable():
    pip = [d["pip"] for d in conda_environment()["dependencies"] if isinstance(d, dict)]
    assert pip and "-e ." in pip[0]
    assert "pip" in conda_environment()["dependencies"]


def test_console_script_points_at_the_cli():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["scripts"]["cssim"] == "cssim.cli:main"
