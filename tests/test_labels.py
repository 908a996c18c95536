"""Human names for parameters and metrics, and the glossary, in both languages."""

import pytest

from cssim.model.scenario import load_scenario
from cssim.words import glossary
from cssim.words.labels import (
    format_parameter,
    metric_label,
    parameter_kind,
    parameter_label,
    parameter_spec,
    split_path,
)

SEATS = "scenarios/smb-enterprise-seats.yaml"


@pytest.mark.parametrize(
    "path", ["SMB.churn.monthly", "segments.SMB.churn.monthly", "segments[0].churn.monthly"]
)
def test_every_path_spelling_names_the_same_parameter(path):
    s = load_scenario(SEATS)
    assert split_path(path, s) == ("SMB", "churn.monthly")
    assert parameter_label(path, s, "en") == "SMB: Churn"
    assert parameter_label(path, s, "ja") == "SMB：解約率"


def test_every_parameter_of_every_shipped_scenario_has_a_name_in_both_languages():
    from pathlib import Path

    for f in sorted(Path("scenarios").glob("*.yaml")):
        s = load_scenario(f)
        for path, _ in s.parameters():
            segment, field = split_path(path, s)
            en, ja = parameter_label(path, s, "en"), parameter_label(path, s, "ja")
            assert parameter_spec(field, s, segment) is not None, (f, path)
            assert "_" not in en and "." not in en.split(": ")[-1], (f, path, en)
            assert en != ja, (f, path)


def test_a_single_segment_label_leaves_the_segment_out():
    s = load_scenario("scenarios/growth-vs-churn.yaml")
    name = s.segment_names[0]
    assert parameter_label(f"{name}.churn.monthly", s, "en") == "Churn"
    assert parameter_label(f"{name}.churn.monthly", s, "en", with_segment=True).startswith(name)


def test_values_format_by_kind():
    assert parameter_kind("SMB.churn.monthly") == "percent"
    assert format_parameter("SMB.churn.monthly", 0.03, lang="en") == "3%"
    assert format_parameter("SMB.arpa", 352_000_000, lang="ja") == "3.52億円"
    assert format_parameter("horizon_months", 18, lang="ja") == "18か月"


def test_metric_labels_follow_the_glossary():
    # the abbreviation first, then what it is (the glossary's heading)
    assert metric_label("nrr", "ja").startswith("NRR（拡張を含む")
    assert metric_label("crc", "ja") == "CRC（" + glossary.term("crc", "ja") + "）"
    assert metric_label("arr", "en") == "ARR"


def test_glossary_has_both_languages_for_every_term():
    en, ja = glossary.terms("en"), glossary.terms("ja")
    assert [t["key"] for t in en] == [t["key"] for t in ja]
    for a, b in zip(en, ja, strict=True):
        assert a["term"] and b["term"] and a["definition"] and b["definition"]
        assert a["other"] in b["term"] and b["other"] in a["term"]
    keys = {t["key"] for t in ja}
    assert {"churn_rate", "nrr", "grr", "crc", "ltv", "cac", "p10_p90", "seed", "path"} <= keys


def test_docs_glossary_lists_every_term_in_both_languages():
    from pathlib import Path

    text = Path("docs/glossary.md").read_text(encoding="utf-8")
    rows = [line for line in text.splitlines() if line.startswith("| ")][1:]  # past the header
    assert len(rows) == len(glossary.GLOSSARY)
    for t, row in zip(glossary.GLOSSARY, rows, strict=True):
        heading = " / ".join(h for h in (t.heading_ja, t.heading_en) if h)
        want = (
            f"| {t.ja} | {t.en} | {t.abbreviation} | {heading} | {t.definition_ja} | "
            f"{t.definition_en} |"
        )
        assert row == want, (row, want)


def test_the_report_appendix_explains_its_terms_from_the_one_glossary():
    from cssim.reporting.report.closing import APPENDIX_TERMS

    keys = [t.key for t in glossary.GLOSSARY]
    assert set(APPENDIX_TERMS) <= set(keys) and len(set(APPENDIX_TERMS)) == len(APPENDIX_TERMS)
    for lang in ("en", "ja"):
        terms = {t["key"]: t for t in glossary.terms(lang)}
        assert all(terms[k]["heading"] and terms[k]["definition"] for k in APPENDIX_TERMS)
    assert glossary.terms("ja")[0]["heading"] == "解約率"
    assert {t["heading"] for t in glossary.terms("en")} >= {"Churn", "MRR, ARR", "Median"}
