"""Property tests: whatever is thrown at the loader, only a valid Scenario or a ScenarioError comes out.

Mangled scenarios are made by mutating a valid one (deleting keys, inserting keys, replacing values with
junk of every JSON-ish and YAML-ish kind), by editing its YAML text, and from random text and bytes.
Hypothesis runs derandomized, so the examples are the same on every run.
"""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from cssim import Scenario, ScenarioError, load_scenario
from cssim.model.fields import _control
from cssim.model.limits import MAX_AMOUNT, MIN_LEVER_COST

FUZZ = settings(
    derandomize=True,
    max_examples=200,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

#: Writing, parsing (pure-Python PyYAML) and validating a file costs more: fewer examples, same reach.
FUZZ_FILES = settings(FUZZ, max_examples=100)

VALID: dict[str, Any] = {
    "name": "fuzz",
    "description": "a valid scenario to mangle",
    "horizon_months": 13,
    "currency": "JPY",
    "target_arr": 1.0e9,
    "discount_rate": 0.1,
    "ltv_horizon_months": 60,
    "language": "ja",
    "lever_costs": {"churn_pt": 1_800_000, "price_rel": 400_000},
    "segments": [
        {
            "name": "SMB",
            "customers": 300,
            "arpa": 30_000,
            "new_arpa": 32_000,
            "acquisition": {"rate": 0.3},
            "churn": {
                "monthly": {"kind": "beta", "mean": 0.025, "sd": 0.005},
                "onboarding": {"months": 3, "monthly": 0.06},
            },
            "expansion": {"rate": [0.001, 0.01], "probability": 0.1},
            "contraction": {"rate": 0.003, "probability": 0.05},
            "gross_margin": 0.8,
            "cac": 300_000,
            "cs": {
                "accounts_per_csm": 200,
                "csm_cost": 700_000,
                "tools": 200_000,
                "tools_per_account": 500,
            },
        },
        {
            "name": "Mid",
            "customers": {"kind": "triangular", "low": 80, "mode": 100, "high": 130},
            "arpa": {"kind": "lognormal", "mean": 150_000, "sd": 20_000},
            "acquisition": {"count": 6, "growth": 0.01},
            "churn": {
                "heterogeneity": {
                    "alpha": {"kind": "pert", "low": 0.5, "mode": 0.8, "high": 1.2},
                    "beta": 12.0,
                }
            },
            "starting_tenure": 6,
        },
        {
            "name": "Enterprise",
            "customers": 20,
            "seats": {"per_account": 200, "price": 2_500},
            "acquisition": {"count": {"kind": "uniform", "low": 0.5, "high": 1.5}},
            "churn": {"annual_renewal": {"kind": "normal", "mean": 0.07, "sd": 0.01}},
            "starting_tenure": {"min": 0, "max": 11},
            "cs": {"csm_per_account": 0.1, "csm_cost": 900_000},
        },
    ],
}
VALID_YAML = yaml.safe_dump(VALID, sort_keys=False)

FIELDS = [
    "name",
    "description",
    "horizon_months",
    "currency",
    "target_arr",
    "segments",
    "customers",
    "arpa",
    "seats",
    "new_arpa",
    "starting_tenure",
    "acquisition",
    "churn",
    "expansion",
    "contraction",
    "gross_margin",
    "cac",
    "cs",
    "rate",
    "count",
    "growth",
    "monthly",
    "heterogeneity",
    "annual_renewal",
    "onboarding",
    "months",
    "alpha",
    "beta",
    "probability",
    "kind",
    "mean",
    "sd",
    "low",
    "high",
    "mode",
    "lamb",
    "min",
    "max",
    "per_account",
    "price",
    "accounts_per_csm",
    "csm_per_account",
    "csm_cost",
    "tools",
    "tools_per_account",
    "discount_rate",
    "ltv_horizon_months",
    "language",
    "lever_costs",
    "churn_pt",
    "expansion_pt",
    "price_rel",
    "acquisition_rel",
]
TRICKY = [
    "1e3",
    "yes",
    "no",
    "on",
    "off",
    "",
    "nan",
    "inf",
    "-1",
    "0",
    "1",
    "normal",
    "beta",
    "interval90",
    "gamma",
    "JPY",
    "2024-01-01",
    "SMB",
    "ja",
    "en",
    "fr",
    "1.0e+300",
    "5e-324",
    "S\x00MB",
    "\u202eBMS",
]

scalars = (
    st.none()
    | st.booleans()
    | st.integers(-10, 10**6)
    | st.integers(-(10**40), 10**40)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.floats(-2.0, 2.0)
    | st.text(max_size=12)
    | st.sampled_from(TRICKY)
    | st.sampled_from(FIELDS)
)
keys = (
    st.sampled_from(FIELDS) | st.text(max_size=8) | st.integers(-3, 3) | st.none() | st.booleans()
)
junk = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
    max_leaves=12,
)


def _places(node: Any, path: tuple = ()) -> list[tuple]:
    """Every path in the data (mapping keys and list indices), the root included."""
    out = [path]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _places(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _places(v, (*path, i))
    return out


def _get(node: Any, path: tuple) -> Any:
    for part in path:
        node = node[part]
    return node


@st.composite
def mangled(draw) -> Any:
    data: Any = copy.deepcopy(VALID)
    for _ in range(draw(st.integers(1, 4))):
        path = draw(st.sampled_from(_places(data)))
        op = draw(st.sampled_from(["delete", "replace", "insert", "replace"]))
        if not path:
            if op == "replace":
                data = draw(junk)
            continue
        parent, key = _get(data, path[:-1]), path[-1]
        if op == "delete":
            del parent[key]
        elif op == "replace":
            parent[key] = draw(junk)
        else:
            target = _get(data, path)
            if isinstance(target, dict):
                target[draw(keys)] = draw(junk)
            elif isinstance(target, list):
                target.insert(draw(st.integers(0, len(target))), draw(junk))
            else:
                parent[key] = draw(junk)
    return data


def _only_scenario_errors(load, source: str) -> None:
    try:
        scenario = load()
    except ScenarioError as e:
        text = str(e)
        assert text.startswith(source), text
        assert e.problems, text
        return
    assert isinstance(scenario, Scenario)
    assert Scenario.from_dict(scenario.to_dict()) == scenario
    # what is valid is what a business can have (issue 21): costs in range, names without controls
    for cost in (scenario.lever_costs or {}).values():
        assert MIN_LEVER_COST <= cost <= MAX_AMOUNT, cost
    for name in [scenario.name, *scenario.segment_names]:
        assert _control(name) is None, repr(name)


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def test_the_unmangled_scenario_is_valid():
    assert Scenario.from_dict(VALID).segment_names == ["SMB", "Mid", "Enterprise"]


@FUZZ
@given(data=mangled())
def test_mangled_dicts_raise_only_scenario_errors(data):
    _only_scenario_errors(lambda: Scenario.from_dict(data), "<dict>")


@FUZZ_FILES
@given(data=mangled())
def test_mangled_yaml_files_raise_only_scenario_errors(folder, data):
    try:
        text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    except (yaml.YAMLError, ValueError):  # e.g. an int too long to print: not a file anyone writes
        assume(False)
    path = folder / "mangled.yaml"
    path.write_text(text, encoding="utf-8")
    _only_scenario_errors(lambda: load_scenario(path), str(path))


# Characters PyYAML's reader accepts; the others are refused with a ScenarioError (tested below).
printable = st.characters(
    blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff"
) | st.sampled_from("\n\n\n\t  :-[]{},#&*!|>'\"%@`?")
yaml_tokens = st.sampled_from(
    [
        "1e3",
        "yes",
        "~",
        "[",
        "]",
        "{",
        "}",
        "{kind: beta}",
        ".inf",
        "-.inf",
        ".nan",
        "0x1F",
        "0o17",
        "1_000",
        "12:30:00",
        "2024-01-01",
        "!!binary aGk=",
        "&a x",
        "*a",
        "*missing",
        "|",
        ">",
        "'",
        '"',
        "!!set {a}",
        "!!omap [a: 1]",
        "!!python/none ''",
        "? [1]",
        "- - -",
        ": :",
        "%YAML 1.1",
        "---",
        "...",
        "\t",
        "  ",
        "kind: normal",
        "[0.5, 0.1]",
        "{low: 1, high: 0}",
    ]
)


@FUZZ
@given(data=st.data())
def test_edited_yaml_text_raises_only_scenario_errors(folder, data):
    lines = VALID_YAML.splitlines()
    for _ in range(data.draw(st.integers(1, 3))):
        i = data.draw(st.integers(0, len(lines) - 1))
        op = data.draw(st.sampled_from(["value", "line", "insert", "delete", "chars"]))
        if op == "value" and ":" in lines[i]:
            head = lines[i].split(":", 1)[0]
            lines[i] = f"{head}: {data.draw(yaml_tokens)}"
        elif op == "line":
            lines[i] = data.draw(st.text(printable, max_size=30))
        elif op == "insert":
            lines.insert(i, data.draw(yaml_tokens | st.text(printable, max_size=20)))
        elif op == "delete":
            del lines[i]
        else:
            j = data.draw(st.integers(0, len(lines[i])))
            lines[i] = lines[i][:j] + data.draw(st.text(printable, max_size=4)) + lines[i][j:]
    path = folder / "edited.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    _only_scenario_errors(lambda: load_scenario(path), str(path))


@FUZZ
@given(text=st.text(printable, max_size=200))
def test_random_text_raises_only_scenario_errors(folder, text):
    path = folder / "random.yaml"
    path.write_text(text, encoding="utf-8")
    _only_scenario_errors(lambda: load_scenario(path), str(path))


@FUZZ
@given(raw=st.binary(max_size=200))
def test_random_bytes_raise_only_scenario_errors(folder, raw):
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:  # valid UTF-8 with characters PyYAML's reader refuses is the known bug below
        assume(all(c in "\t\n\r" or (" " <= c <= "~") or ord(c) >= 0xA0 for c in text))
        assume(not any(0xD800 <= ord(c) <= 0xDFFF or c in "\ufffe\uffff" for c in text))
    path = folder / "random.bin.yaml"
    path.write_bytes(raw)
    _only_scenario_errors(lambda: load_scenario(path), str(path))


EXTREMES = [math.nan, math.inf, -math.inf, 10**400, -(10**400), 2**63, "x" * 10_000]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        pytest.param(
            field,
            value,
            id=f"{field}-{i}",
            marks=[],
        )
        for field in ("customers", "arpa", "cac", "gross_margin", "name")
        for i, value in enumerate(EXTREMES)
    ],
)
def test_extreme_values_in_every_kind_of_field(field, value):
    data = copy.deepcopy(VALID)
    data["segments"][0][field] = value
    _only_scenario_errors(lambda: Scenario.from_dict(data), "<dict>")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        pytest.param(field, value, id=f"{field}-{i}")
        for field in ("ltv_horizon_months", "discount_rate", "language", "target_arr", "churn_pt")
        for i, value in enumerate([*EXTREMES, 1e300, 5e-324, -1, 0, 0.5, "ja\x00", ["ja"]])
    ],
)
def test_extreme_values_in_the_scenario_wide_fields(field, value):
    """The fields beside the segments (LTV horizon, discount, language, target, a lever's cost)."""
    data = copy.deepcopy(VALID)
    if field == "churn_pt":
        data["lever_costs"][field] = value
    else:
        data[field] = value
    _only_scenario_errors(lambda: Scenario.from_dict(data), "<dict>")


def test_a_value_too_long_to_print_is_summarised():
    data = copy.deepcopy(VALID)
    data["segments"][0]["arpa"] = 10**5000
    with pytest.raises(ScenarioError, match=r"segments\[0\]\.arpa: <int too large to show>"):
        Scenario.from_dict(data)


def test_recursive_data_is_refused():
    data = copy.deepcopy(VALID)
    loop: list = []
    loop.append(loop)
    data["segments"] = loop
    _only_scenario_errors(lambda: Scenario.from_dict(data), "<dict>")


# -- what PyYAML's reader refuses, and documents that never end --------------------


@pytest.mark.parametrize(
    "text", ["name: a\x00b\n", "name: \x07\n", "name: x\x1by\n"], ids=["nul", "bell", "escape"]
)
def test_characters_yaml_refuses(folder, text):
    path = folder / "control.yaml"
    path.write_text(text, encoding="utf-8")
    _only_scenario_errors(lambda: load_scenario(path), str(path))


@pytest.mark.parametrize(
    "text",
    ["[" * 3000, "a: &x [*x]\n", "name: x\nsegments: &s\n  - *s\n"],
    ids=["deep", "recursive-alias", "recursive-segments"],
)
def test_deep_and_recursive_yaml(folder, text):
    path = folder / "deep.yaml"
    path.write_text(text, encoding="utf-8")
    _only_scenario_errors(lambda: load_scenario(path), str(path))
