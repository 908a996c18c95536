"""Scenario validation: every bad input raises ScenarioError naming the file, field path, line and value."""

from __future__ import annotations

from pathlib import Path

import pytest

from cssim import Scenario, ScenarioError, load_scenario
from cssim.model.distributions import Beta, Interval90

# Line numbers matter: the tests below point at them.
BASE = """\
name: Test business
horizon_months: 24
currency: JPY
segments:
  - name: SMB
    customers: 800
    arpa: 30000
    acquisition:
      rate: 0.3
    churn:
      monthly: 0.025
    expansion:
      rate: 0.004
      probability: 0.1
    gross_margin: 0.8
    cac: 300000
  - name: Enterprise
    customers: 40
    seats: {per_account: 200, price: 2500}
    acquisition: {count: 1}
    churn: {annual_renewal: 0.07}
    starting_tenure: {min: 0, max: 11}
"""

SHIPPED = sorted((Path(__file__).parent.parent / "scenarios").glob("*.yaml"))


def _write(tmp_path: Path, text: str | bytes, name: str = "business.yaml") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def _edit(old: str, new: str) -> str:
    assert BASE.count(old) == 1, old
    return BASE.replace(old, new)


def _error(tmp_path: Path, text: str | bytes, name: str = "business.yaml") -> str:
    with pytest.raises(ScenarioError) as info:
        load_scenario(_write(tmp_path, text, name))
    message = str(info.value)
    assert name in message
    for pydantic_words in ("Input should", "Value error", "validation error", "pydantic"):
        assert pydantic_words not in message, message
    return message


def _assert_names(message: str, *parts: str) -> None:
    for part in parts:
        assert part in message, f"{part!r} not in:\n{message}"


def test_the_base_scenario_is_valid(tmp_path):
    s = load_scenario(_write(tmp_path, BASE))
    assert s.segment_names == ["SMB", "Enterprise"]
    assert s.segment("SMB").churn.monthly == 0.025


# -- unknown keys ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "path", "line", "allowed"),
    [
        (
            "currency: JPY\n",
            "currency: JPY\ncolour: blue\n",
            "colour",
            4,
            "name, description, horizon_months, currency, target_arr, discount_rate, ltv_horizon_months, language, segments, lever_costs",
        ),
        (
            "      monthly: 0.025",
            "      montly: 0.025",
            "segments[0].churn.montly",
            11,
            "monthly, heterogeneity, annual_renewal, onboarding",
        ),
        (
            "      probability: 0.1",
            "      probability: 0.1\n      when: renewal",
            "segments[0].expansion.when",
            15,
            "rate, probability",
        ),
        (
            "      monthly: 0.025",
            "      monthly: {kind: beta, mean: 0.03, sd: 0.01, median: 0.02}",
            "segments[0].churn.monthly.median",
            11,
            "kind, alpha, beta, mean, sd, low, high",
        ),
        (
            "{per_account: 200, price: 2500}",
            "{per_account: 200, price: 2500, currency: USD}",
            "segments[1].seats.currency",
            19,
            "per_account, price",
        ),
        (
            "{min: 0, max: 11}",
            "{min: 0, maximum: 11}",
            "segments[1].starting_tenure.maximum",
            22,
            "min, max",
        ),
    ],
)
def test_unknown_keys_name_the_allowed_ones(tmp_path, old, new, path, line, allowed):
    message = _error(tmp_path, _edit(old, new))
    _assert_names(message, path, f"line {line}", "unknown field", f"allowed here: {allowed}")


# -- values out of range, wrong types ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "path", "line", "value", "says"),
    [
        (
            "monthly: 0.025",
            "monthly: 1.5",
            "segments[0].churn.monthly",
            11,
            "1.5",
            "must be at most 1",
        ),
        ("customers: 800", "customers: -5", "segments[0].customers", 6, "-5", "must be at least 0"),
        (
            "customers: 40",
            "customers: 40.5",
            "segments[1].customers",
            18,
            "40.5",
            "must be a whole number",
        ),
        (
            "customers: 800",
            "customers: many",
            "segments[0].customers",
            6,
            "'many'",
            "must be a whole number, a [low, high] 90% interval or a distribution",
        ),
        (
            "horizon_months: 24",
            "horizon_months: 2000",
            "horizon_months",
            2,
            "2000",
            "must be at most 240",
        ),
        ("horizon_months: 24", "horizon_months: 24.0", "horizon_months", 2, "24.0", "(write 24)"),
        (
            "horizon_months: 24",
            "horizon_months: two years",
            "horizon_months",
            2,
            "'two years'",
            "must be a whole number",
        ),
        (
            "rate: 0.004",
            "rate: -0.01",
            "segments[0].expansion.rate",
            13,
            "-0.01",
            "must be at least 0",
        ),
        (
            "probability: 0.1",
            "probability: 0",
            "segments[0].expansion.probability",
            14,
            "0",
            "must be at least 0.001",
        ),
        (
            "rate: 0.3",
            "rate: -1.5",
            "segments[0].acquisition.rate",
            9,
            "-1.5",
            "must be at least -0.99",
        ),
        (
            "gross_margin: 0.8",
            "gross_margin: 80",
            "segments[0].gross_margin",
            15,
            "80",
            "must be at most 1",
        ),
        ("cac: 300000", "cac: .inf", "segments[0].cac", 16, "inf", "must be a finite number"),
        ("arpa: 30000", "arpa: .nan", "segments[0].arpa", 7, "nan", "must be a finite number"),
        (
            "arpa: 30000",
            "arpa: [10000, 20000, 30000]",
            "segments[0].arpa",
            7,
            "[10000, 20000, 30000]",
            "exactly two numbers",
        ),
        (
            "arpa: 30000",
            "arpa: [cheap, 20000]",
            "segments[0].arpa[0]",
            7,
            "'cheap'",
            "must be a number",
        ),
        ("currency: JPY", "currency: yen", "currency", 3, "'yen'", "three-letter currency code"),
        ("name: Test business", "name: [a, b]", "name", 1, "['a', 'b']", "must be text"),
        (
            "name: Test business",
            "name: 2024-04-01",
            "name",
            1,
            "datetime.date(2024, 4, 1)",
            "put it in quotes",
        ),
        ("  - name: SMB", "  - name: 42", "segments[0].name", 5, "42", "must be text"),
        (
            "{min: 0, max: 11}",
            "{min: 11, max: 0}",
            "segments[1].starting_tenure",
            22,
            "",
            "max (0) must be at least min (11)",
        ),
        (
            "{min: 0, max: 11}",
            "soon",
            "segments[1].starting_tenure",
            22,
            "'soon'",
            "must be a whole number or a mapping with min, max",
        ),
        ("{min: 0, max: 11}", "-3", "segments[1].starting_tenure", 22, "-3", "must be at least 0"),
        (
            "    churn:\n      monthly: 0.025",
            "    churn: 0.025",
            "segments[0].churn",
            10,
            "0.025",
            "must be a mapping with fields monthly, heterogeneity, annual_renewal, onboarding",
        ),
        (
            "{count: 1}",
            "{count: 1, rate: 0.2}",
            "segments[1].acquisition",
            20,
            "",
            "give exactly one of rate",
        ),
        (
            "    cac: 300000",
            "    cac: 300000\n    5: five",
            "segments[0].5",
            17,
            "5",
            "a key must be text",
        ),
    ],
)
def test_bad_values_name_path_line_value_and_rule(tmp_path, old, new, path, line, value, says):
    message = _error(tmp_path, _edit(old, new))
    _assert_names(message, path, f"line {line}", value, says)


def test_segments_must_be_a_list(tmp_path):
    text = BASE.split("segments:")[0] + "segments: SMB\n"
    message = _error(tmp_path, text)
    _assert_names(message, "segments (line 4)", "'SMB'", "must be a list of segments")


def test_missing_fields_are_named(tmp_path):
    message = _error(tmp_path, _edit("    acquisition:\n      rate: 0.3\n", ""))
    _assert_names(message, "segments[0].acquisition", "line 5", "this field is required")
    message = _error(tmp_path, _edit("    arpa: 30000\n", ""))
    _assert_names(message, "segments[0] (line 5)", "give exactly one of arpa")


def test_every_problem_is_reported_at_once(tmp_path):
    text = _edit("monthly: 0.025", "monthly: 1.5").replace("customers: 40", "customers: -1")
    message = _error(tmp_path, text)
    _assert_names(
        message,
        "2 problems",
        "segments[0].churn.monthly (line 11): 1.5",
        "segments[1].customers (line 18): -1",
    )


def test_repeated_segment_names(tmp_path):
    message = _error(tmp_path, _edit("  - name: Enterprise", "  - name: SMB"))
    _assert_names(message, "segments (line 4)", "segment names must be unique; repeated: SMB")


# -- PyYAML's surprises -----------------------------------------------------------------------------------


def test_1e3_is_explained(tmp_path):
    message = _error(tmp_path, _edit("arpa: 30000", "arpa: 3e4"))
    _assert_names(
        message, "segments[0].arpa", "line 7", "'3e4'", "must be a number", "write 1000 or 1.0e+3"
    )


def test_1e3_written_the_yaml_way_is_a_number(tmp_path):
    s = load_scenario(_write(tmp_path, _edit("arpa: 30000", "arpa: 3.0e+4")))
    assert s.segment("SMB").arpa == 30000


@pytest.mark.parametrize("word", ["yes", "no", "on", "off", "true"])
def test_yes_no_booleans_are_explained(tmp_path, word):
    message = _error(tmp_path, _edit("gross_margin: 0.8", f"gross_margin: {word}"))
    _assert_names(
        message,
        "segments[0].gross_margin",
        "line 15",
        "is not allowed",
        "YAML reads yes/no/on/off/true/false as booleans",
    )
    assert ("True" in message) or ("False" in message)


def test_duplicate_keys_are_refused(tmp_path):
    message = _error(tmp_path, _edit("    cac: 300000\n", "    cac: 300000\n    cac: 200000\n"))
    _assert_names(message, "cac (line 17)", "written twice (lines 16 and 17)")


def test_broken_yaml_names_the_line(tmp_path):
    message = _error(tmp_path, _edit("      monthly: 0.025", "      monthly: [0.01, 0.02"))
    _assert_names(message, "not valid YAML", "(line 1")
    message = _error(tmp_path, _edit("    churn:\n", "    churn:\n   bad: indent\n"))
    _assert_names(message, "not valid YAML", "line 11")


def test_tabs_are_not_yaml(tmp_path):
    message = _error(tmp_path, "name: x\n\tsegments: []\n")
    _assert_names(message, "not valid YAML", "line 2")


@pytest.mark.parametrize("text", ["", "\n\n", "# nothing here\n"])
def test_empty_file(tmp_path, text):
    _assert_names(_error(tmp_path, text), "(document)", "the file is empty")


@pytest.mark.parametrize(
    ("text", "value"), [("- 1\n- 2\n", "[1, 2]"), ("just words\n", "'just words'")]
)
def test_a_document_that_is_not_a_mapping(tmp_path, text, value):
    _assert_names(_error(tmp_path, text), "(document)", value, "a scenario is a YAML mapping")


def test_a_missing_file(tmp_path):
    with pytest.raises(ScenarioError) as info:
        load_scenario(tmp_path / "nowhere.yaml")
    _assert_names(str(info.value), "nowhere.yaml", "no such file")


def test_a_folder(tmp_path):
    folder = tmp_path / "looks-like.yaml"
    folder.mkdir()
    with pytest.raises(ScenarioError) as info:
        load_scenario(folder)
    _assert_names(str(info.value), "looks-like.yaml", "folder")


def test_non_utf8(tmp_path):
    text = BASE.replace("Test business", "Caf\u00e9").encode("latin-1")
    _assert_names(_error(tmp_path, text), "not UTF-8")


def test_utf8_names_are_fine(tmp_path):
    s = load_scenario(_write(tmp_path, BASE.replace("Test business", "顧客成功 シナリオ")))
    assert s.name == "顧客成功 シナリオ"


def test_python_tags_are_refused(tmp_path):
    _assert_names(_error(tmp_path, "name: !!python/object/apply:os.getcwd []\n"), "not valid YAML")


# -- impossible distributions -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("monthly", "path", "value", "says"),
    [
        (
            "[0.05, 0.01]",
            "segments[0].churn.monthly",
            "[0.05, 0.01]",
            "high (0.01) must be above low (0.05)",
        ),
        (
            "{kind: uniform, low: 0.05, high: 0.01}",
            "segments[0].churn.monthly",
            "'uniform'",
            "high (0.01) must be above low (0.05)",
        ),
        (
            "{kind: triangular, low: 0.03, mode: 0.01, high: 0.05}",
            "segments[0].churn.monthly",
            "'triangular'",
            "need low <= mode <= high",
        ),
        (
            "{kind: pert, low: 0.01, mode: 0.02, high: 0.01}",
            "segments[0].churn.monthly",
            "'pert'",
            "need low <= mode <= high",
        ),
        (
            "{kind: beta, mean: 0.03, sd: 0.5}",
            "segments[0].churn.monthly",
            "'sd': 0.5",
            "a beta needs sd < 0.1706",
        ),
        (
            "{kind: beta, alpha: 2}",
            "segments[0].churn.monthly",
            "'alpha': 2",
            "give both alpha and beta",
        ),
        (
            "{kind: normal, mean: 1.2, sd: 0.1}",
            "segments[0].churn.monthly",
            "'mean': 1.2",
            "probability inside the allowed range [0, 1]",
        ),
        (
            "{kind: uniform, low: 0.5, high: 3}",
            "segments[0].churn.monthly",
            "'high': 3",
            "probability inside the allowed range [0, 1]",
        ),
        (
            "[1.5, 3]",
            "segments[0].churn.monthly",
            "[1.5, 3]",
            "probability inside the allowed range",
        ),
        (
            "{kind: normal, mean: 0.03, sd: -0.01}",
            "segments[0].churn.monthly.sd",
            "-0.01",
            "must be greater than 0",
        ),
        (
            "{kind: gamma, shape: 2}",
            "segments[0].churn.monthly.kind",
            "'gamma'",
            "kind must be one of normal, lognormal, beta, triangular, pert, uniform, interval90",
        ),
        (
            "{mean: 0.03, sd: 0.01}",
            "segments[0].churn.monthly",
            "'mean': 0.03",
            "a distribution needs a kind",
        ),
    ],
)
def test_impossible_distributions(tmp_path, monthly, path, value, says):
    message = _error(tmp_path, _edit("monthly: 0.025", f"monthly: {monthly}"))
    _assert_names(message, path, "line 11", value, says)


def test_distributions_are_bounded_to_the_field():
    s = Scenario.from_dict(_dict_with(monthly={"kind": "normal", "mean": 0.02, "sd": 0.01}))
    d = s.segment("SMB").churn.monthly
    assert d.bounds == (0, 1)
    assert s.uncertain() == {"SMB.churn.monthly": d}


def test_an_interval_becomes_interval90():
    s = Scenario.from_dict(_dict_with(monthly=[0.01, 0.04]))
    assert s.segment("SMB").churn.monthly == Interval90(
        kind="interval90", low=0.01, high=0.04
    ).with_bounds(0, 1)


# -- from_dict ----------------------------------------------------------------------------------------------


def _dict_with(**churn) -> dict:
    import yaml

    data = yaml.safe_load(BASE)
    data["segments"][0]["churn"] = churn
    return data


def test_from_dict_names_the_source_and_path():
    with pytest.raises(ScenarioError) as info:
        Scenario.from_dict(_dict_with(monthly=2.0), source="board pack")
    _assert_names(
        str(info.value),
        "board pack: segments[0].churn.monthly: 2.0 is not allowed",
        "must be at most 1",
    )
    with pytest.raises(ScenarioError, match=r"<dict>: \(document\): 'x' is not allowed"):
        Scenario.from_dict("x")


def test_problems_are_inspectable():
    with pytest.raises(ScenarioError) as info:
        Scenario.from_dict(_dict_with(monthly=1.5))
    (problem,) = info.value.problems
    assert problem.path == "segments[0].churn.monthly"
    assert problem.value == 1.5
    assert problem.message == "must be at most 1"
    assert info.value.source == "<dict>"


# -- round trips -------------------------------------------------------------------------------------------


@pytest.fixture(params=[None, *SHIPPED], ids=lambda p: "base" if p is None else p.name)
def scenario(request, tmp_path) -> Scenario:
    return load_scenario(request.param or _write(tmp_path, BASE))


def test_round_trip_through_a_dict(scenario):
    assert Scenario.from_dict(scenario.to_dict()) == scenario


def test_round_trip_through_yaml(scenario, tmp_path):
    again = load_scenario(_write(tmp_path, scenario.to_yaml(), "again.yaml"))
    assert again == scenario
    assert again.to_yaml() == scenario.to_yaml()


def test_replace_by_segment_name_and_by_index(tmp_path):
    s = load_scenario(_write(tmp_path, BASE))
    by_name = s.replace({"segments.SMB.churn.monthly": 0.02})
    by_index = s.replace({"segments.0.churn.monthly": 0.02})
    assert by_name == by_index
    assert by_name.segment("SMB").churn.monthly == 0.02
    assert s.segment("SMB").churn.monthly == 0.025  # the original is unchanged (frozen)
    assert by_name.segment("Enterprise") == s.segment("Enterprise")
    longer = s.replace({"horizon_months": 60, "segments.Enterprise.seats.price": 3000})
    assert longer.horizon_months == 60
    assert longer.segment("Enterprise").seats.price == 3000


def test_replace_with_a_distribution_and_removal(tmp_path):
    s = load_scenario(_write(tmp_path, BASE))
    changed = s.replace(
        {
            "segments.SMB.churn.monthly": {"kind": "beta", "mean": 0.02, "sd": 0.005},
            "segments.SMB.expansion": None,
        }
    )
    assert isinstance(changed.segment("SMB").churn.monthly, Beta)
    assert changed.segment("SMB").expansion is None


def test_replace_validates(tmp_path):
    s = load_scenario(_write(tmp_path, BASE))
    with pytest.raises(ScenarioError) as info:
        s.replace({"segments.SMB.churn.monthly": 1.5})
    _assert_names(
        str(info.value),
        "Test business (changed)",
        "segments[0].churn.monthly",
        "1.5",
        "must be at most 1",
    )
    with pytest.raises(KeyError, match="no segment named 'Consumer'"):
        s.replace({"segments.Consumer.churn.monthly": 0.02})


def test_scenarios_are_frozen(tmp_path):
    s = load_scenario(_write(tmp_path, BASE))
    with pytest.raises(Exception, match="frozen"):
        s.horizon_months = 12  # type: ignore[misc]


# -- lever costs ------------------------------------------------------------------------------------


def test_lever_costs_are_optional_and_name_the_report_levers(tmp_path):
    from typing import get_args

    from cssim.analysis.levers import EQUAL_EFFORT
    from cssim.model.scenario import EqualEffortLever

    assert set(get_args(EqualEffortLever)) == set(EQUAL_EFFORT)  # the levers a report ranks
    assert load_scenario(_write(tmp_path, BASE)).lever_costs is None
    s = load_scenario(
        _write(tmp_path, BASE + "lever_costs: {churn_pt: 1800000, price_rel: 400000}\n")
    )
    assert s.lever_costs == {"churn_pt": 1_800_000, "price_rel": 400_000}
    assert Scenario.from_dict(s.to_dict()) == s


@pytest.mark.parametrize(
    ("costs", "path", "says"),
    [
        (
            "{churn: 100}",
            "lever_costs.churn",
            "'churn' is not allowed: unknown field; allowed here: "
            "churn_pt, expansion_pt, price_rel, acquisition_rel",
        ),
        ("{price_rel: -5}", "lever_costs.price_rel", "-5 is not allowed: must be at least 1"),
        ("{price_rel: 0}", "lever_costs.price_rel", "must be at least 1 (a lever's monthly cost"),
        ("{price_rel: 0.5}", "lever_costs.price_rel", "between 1 and 1e+15"),
        ("{price_rel: 1.0e+300}", "lever_costs.price_rel", "must be at most 1e+15"),
        ("{price_rel: '400000'}", "lever_costs.price_rel", "must be a number"),
        ("{price_rel: .inf}", "lever_costs.price_rel", "must be a finite number"),
        ("{}", "lever_costs", "needs at least 1 item"),
        ("400000", "lever_costs", "must be a mapping"),
    ],
)
def test_bad_lever_costs_say_what_is_allowed(tmp_path, costs, path, says):
    message = _error(tmp_path, BASE + f"lever_costs: {costs}\n")
    _assert_names(message, path, f"line {BASE.count(chr(10)) + 1}", says)
