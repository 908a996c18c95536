"""Reports: the executive summary, the tables, and the real pipeline (papermill kernel + nbconvert).

Each report is rendered once per test session (see :func:`rendered`) and shared with the browser tests.
"""

from __future__ import annotations

import base64
import html
import itertools
import re
import time
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import numpy as np
import pytest
import yaml

import cssim
from cssim.reporting import narrative, report
from cssim.words.formatting import money

ROOT = Path(__file__).resolve().parents[1]
GVC = ROOT / "scenarios" / "growth-vs-churn.yaml"
GVC_JA = ROOT / "scenarios" / "ja" / "growth-vs-churn.yaml"
PATHS, SEED = 500, 42
XSS_NAME = "<script>alert(1)</script> <img src=x onerror=alert(1)>"
XSS_DESCRIPTION = (
    "Plain words, then <script>alert(2)</script> and <img src=x onerror=alert(3)> and "
    "**markdown** [a link](https://example.com) & an ampersand."
)


# -- rendering once per session ---------------------------------------------------------------------


@dataclass
class Rendered:
    path: Path
    html: str
    seconds: float
    scenario_name: str


_CACHE: dict[str, Rendered] = {}


def xss_scenario(folder: Path) -> Path:
    """Growth against churn with hostile text in every text field a report shows."""
    data = yaml.safe_load(GVC.read_text(encoding="utf-8"))
    data["name"] = XSS_NAME
    data["description"] = XSS_DESCRIPTION
    data["segments"][0]["name"] = "<b onmouseover=alert(4)>SMB</b> $x$"
    path = folder / "xss.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def rendered(kind: str, tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    """The growth-vs-churn report ("gvc"), its Japanese twin ("ja": Japanese name, segment and
    description, rendered in Japanese, as ``make report`` renders ``reports/ja/``) or the hostile-text
    report ("xss"), rendered once per session."""
    if kind not in _CACHE:
        folder = tmp_path_factory.mktemp(f"report-{kind}")
        if kind == "gvc":
            source, kw = GVC, {"paths": PATHS, "seed": SEED}
        elif kind == "ja":
            source, kw = GVC_JA, {"paths": PATHS, "seed": SEED}
        else:  # also reports a saved result (as batches do) under another name
            source = xss_scenario(folder)
            saved = cssim.simulate(
                report.prepare(source, paths=10, months=24).scenario, paths=200, seed=1
            ).save(folder / "result.npz")
            kw = {
                "paths": 200,
                "seed": 1,
                "months": 24,
                "target_arr": 5e8,
                "result_path": saved,
                "name": "hostile",
            }
        start = time.perf_counter()
        path = report.render_report(source, folder / "out", **kw)
        seconds = time.perf_counter() - start
        name = cssim.load_scenario(source).name
        _CACHE[kind] = Rendered(path, path.read_text(encoding="utf-8"), seconds, name)
    return _CACHE[kind]


@pytest.fixture(scope="module")
def gvc(tmp_path_factory) -> Rendered:
    return rendered("gvc", tmp_path_factory)


@pytest.fixture(scope="module")
def xss(tmp_path_factory) -> Rendered:
    return rendered("xss", tmp_path_factory)


class Tags(HTMLParser):
    """Every start tag with its attributes, and the visible text."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.headings: list[str] = []
        self._skip = 0
        self._heading = False
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag in ("style", "script", "title"):
            self._skip += 1
        if tag in ("h1", "h2"):
            self._heading = True
            self.headings.append("")

    def handle_endtag(self, tag):
        if tag in ("style", "script", "title"):
            self._skip -= 1
        if tag in ("h1", "h2"):
            self._heading = False

    def handle_data(self, data):
        if not self._skip:
            self.text.append(data)
        if self._heading:
            self.headings[-1] += data

    @property
    def visible(self) -> str:
        return re.sub(r"\s+", " ", " ".join(self.text))


@pytest.fixture(scope="module")
def gvc_result():
    return cssim.simulate(cssim.load_scenario(GVC), paths=PATHS, seed=SEED)


# -- the executive summary (no kernel) --------------------------------------------------------------


def test_growth_arithmetic_matches_model_md():
    seg = cssim.load_scenario(GVC).segments[0]
    a = narrative.growth_arithmetic(seg)
    assert a.g == 0.2 and a.c == 0.03
    assert a.m == pytest.approx(1.2 ** (1 / 12) - 1) and a.m == pytest.approx(0.01531, abs=5e-6)
    assert 1 + a.modelled == pytest.approx(0.837, abs=5e-4)  # MODEL.md: the base keeps 0.837
    assert a.simple == pytest.approx(-0.16)
    assert a.churn_year == pytest.approx(1 - 0.97**12)
    assert a.breakeven_g == pytest.approx(1.03**12 - 1)


def test_summary_says_churn_outruns_growth(gvc_result):
    text = " ".join(narrative.executive_summary(gvc_result))
    assert "3% a month of churn outruns 20% a year of new customers" in text
    assert "20% \u2212 12 \u00d7 3% = \u221216% a year" in text  # back-of-envelope
    assert "= \u221216.3% a year" in text  # (1 + m - c)^12 - 1, modelled
    assert "compounding on both sides" in text
    h = gvc_result.headline()
    assert f"near {money(h['arr_median'])} (the median)" in text
    assert f"The 80% range is {money(h['arr_p10'])} to {money(h['arr_p90'])}" in text
    assert "ARR grows in none of the 500 simulated futures" in text


def test_summary_figures_are_computed_not_written_in(gvc_result):
    sc = gvc_result.scenario.replace(
        {"segments.0.acquisition.rate": 0.3, "segments.0.churn.monthly": 0.01}
    )
    r = cssim.simulate(sc, paths=200, seed=3)
    text = " ".join(narrative.executive_summary(r, target_arr=7e8))
    assert "30% a year of new customers outruns 1% a month of churn" in text
    m = 1.3 ** (1 / 12) - 1
    assert f"= {narrative.pct((1 + m - 0.01) ** 12 - 1)} a year" in text
    assert f"{narrative.pct(0.3 - 0.12)} a year" in text
    assert "It reaches the target of ¥700M" in text
    assert "3% a month" not in text


def test_summary_leaves_out_the_arithmetic_without_constant_churn():
    sc = cssim.Scenario.from_dict(
        {
            "name": "sbg",
            "horizon_months": 24,
            "segments": [
                {
                    "name": "A",
                    "customers": 100,
                    "arpa": 1000,
                    "acquisition": {"rate": 0.2},
                    "churn": {"heterogeneity": {"alpha": 1.0, "beta": 20.0}},
                }
            ],
        }
    )
    text = " ".join(narrative.executive_summary(cssim.simulate(sc, paths=100, seed=1)))
    assert "back-of-envelope" not in text and "outruns" not in text
    assert "end month 24" in text


@pytest.mark.parametrize(
    "x, text",
    [
        (0.03, "3%"),
        (0.2, "20%"),
        (0.015309, "1.53%"),
        (-0.16274, "\u221216.3%"),
        (0.0, "0%"),
        (np.nan, "n/a"),
    ],
)
def test_pct(x, text):
    assert narrative.pct(x) == text


# -- tables and parameters (no kernel) --------------------------------------------------------------


def test_tables(gvc_result):
    kpi = report.kpi_table(gvc_result)
    assert list(kpi.columns) == ["Month 12", "Month 24", "Month 36"]
    q = np.quantile(gvc_result["arr"][:, 36], [0.1, 0.5, 0.9])
    assert kpi.loc["ARR", "Month 36"] == f"{money(q[1])} ({money(q[0])} \u2013 {money(q[2])})"
    assert kpi.loc["ARR:CRC", "Month 12"] == "\u2013"
    params = report.assumptions_table(gvc_result.scenario)
    values = dict(zip(params["Assumption"], params["Value"], strict=True))
    assert values["Churn"] == "3% a month"  # no .0 on a whole percentage
    assert values["New customers (share of the base)"] == "20% a year"
    assert values["Revenue per customer (ARPA)"] == "¥50K a month"
    ja = report.assumptions_table(gvc_result.scenario, lang="ja")
    assert dict(zip(ja["前提"], ja["値"], strict=True))["解約率"] == "月3%"
    prec = report.precision_table(gvc_result)
    assert prec.iloc[3]["95% interval"] == "below 0.6% (rule of three)"  # P(ARR grows) = 0


def test_assumptions_describe_distributions():
    sc = cssim.Scenario.from_dict(
        {
            "name": "u",
            "segments": [
                {
                    "name": "A",
                    "customers": 100,
                    "arpa": 1000,
                    "acquisition": {"count": 5},
                    "churn": {"monthly": {"kind": "beta", "mean": 0.02, "sd": 0.005}},
                }
            ],
        }
    )
    table = report.assumptions_table(sc)
    values = dict(zip(table["Assumption"], table["Value"], strict=True))
    d = sc.segments[0].churn.monthly
    lo, hi = (report.tables._pct(float(d.ppf(q)), "en") for q in (0.05, 0.95))
    assert values["Churn"] == (
        f"{report.tables._pct(d.median(), 'en')} a month at the median, 90% between {lo} and {hi}"
    )
    assert "beta(" not in values["Churn"]


@pytest.mark.parametrize(
    "kw, word",
    [
        ({"paths": 0}, "paths"),
        ({"paths": "many"}, "paths"),
        ({"seed": -1}, "seed"),
        ({"seed": 1.5}, "seed"),
        ({"target_arr": -5}, "target_arr"),
        ({"months": 0}, "months"),
        ({"months": True}, "months"),
    ],
)
def test_bad_parameters_are_refused_in_the_notebook_and_before_a_kernel(kw, word, tmp_path):
    with pytest.raises(ValueError, match=word):
        report.prepare(GVC, **kw)  # what the notebook's first cell runs
    start = time.perf_counter()
    with pytest.raises(ValueError, match=word):
        report.render_report(GVC, tmp_path / "out", **kw)
    assert time.perf_counter() - start < 1.0  # no kernel was started
    assert not (tmp_path / "out").exists()


def test_prepare_overrides_the_horizon_and_reads_saved_results(tmp_path):
    ctx = report.prepare(GVC, paths=50, seed=3, months=12, target_arr=1e8)
    assert ctx.result.horizon == 12 and ctx.result.paths == 50 and ctx.target == 1e8
    saved = ctx.result.save(tmp_path / "r.npz")
    again = report.prepare(GVC, paths=50, seed=3, months=12, result_path=saved)
    np.testing.assert_array_equal(again.result["arr"], ctx.result["arr"])
    with pytest.raises(ValueError, match=r"paths 60 \(the result has 50\)"):
        report.prepare(GVC, paths=60, seed=3, result_path=saved)
    for bad in ({"name": "../x"}, {"name": ".hidden"}, {"result_path": tmp_path / "none.npz"}):
        with pytest.raises(ValueError):
            report.render_report(GVC, tmp_path / "out", paths=50, **bad)
    assert not (tmp_path / "out").exists()


def test_bad_scenario_raises_scenario_error_before_a_kernel(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nsegments: []\n", encoding="utf-8")
    for path in (bad, tmp_path / "missing.yaml"):
        with pytest.raises(cssim.ScenarioError):
            report.render_report(path, tmp_path / "out", paths=10)
    assert not (tmp_path / "out").exists()


def test_template_is_committed_without_outputs():
    nb = nbformat.read(report.TEMPLATE, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.outputs == [] and c.execution_count is None for c in code)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    names = set(re.findall(r"^(\w+) =", tagged[0].source, flags=re.M))
    assert names == {
        "scenario_path",
        "paths",
        "seed",
        "target_arr",
        "months",
        "result_path",
        "lang",
        "sampling",
        "precision",
    }
    # thin: every other code cell is one call into cssim.reporting.report with plain names as its
    # arguments (the import aside): no logic lives in the notebook
    import ast

    for c in code[1:]:
        body = [n for n in ast.parse(c.source).body if not isinstance(n, ast.ImportFrom)]
        assert len(body) == 1, c.source
        call = body[0].value
        assert isinstance(call, ast.Call) and ast.unparse(call.func).startswith("report."), c.source
        args = [*call.args, *(k.value for k in call.keywords)]
        assert all(isinstance(a, ast.Name) for a in args), c.source


# -- the rendered report (real kernel, real nbconvert) ----------------------------------------------


def test_report_has_no_code_and_no_prompts(gvc):
    assert gvc.path.name == "growth-vs-churn.html"
    for marker in (
        "jp-InputArea",
        "report.prepare",
        "from cssim",
        "In&nbsp;[",
        "Out[",
        "injected-parameters",
        "highlight",
    ):
        assert marker not in gvc.html, marker


def test_report_embeds_its_charts(gvc):
    imgs = [a for tag, a in Tags(gvc.html).tags if tag == "img"]
    assert len(imgs) >= 5
    for a in imgs:
        assert a["src"].startswith("data:image/png;base64,")
        assert base64.b64decode(a["src"].split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
        assert a.get("alt")


def test_report_shows_the_headline_figures(gvc, gvc_result):
    h = gvc_result.headline()
    page = Tags(gvc.html).visible
    assert money(h["arr_median"]) in page  # same seed and paths, same numbers
    band = f"{money(h['arr_p10'])} \u2013 {money(h['arr_p90'])}"
    assert f"the 80% range of ARR at month 36 ({band}) is simulation noise only" in page
    assert "3% a month of churn outruns 20% a year of new customers" in page
    assert "<title>Growth against churn</title>" in gvc.html


def test_report_sections_come_in_order(gvc):
    tags = Tags(gvc.html)
    assert tags.headings == [
        "Growth against churn",
        "What to expect and what to do",
        "The scenario and its assumptions",
        "Key figures",
        "ARR and customers",
        "MRR movements",
        "Revenue retention",
        "Revenue by cohort",
        "Unit economics",
        "What each lever is worth",
        "Which assumptions matter",
        "Appendix: how the figures are worked out",
        "Appendix: precision",
        "Appendix: glossary",
    ]
    page = tags.visible
    # the conclusion first; the scenario's description follows it, with the assumptions
    assert page.index("What to expect and what to do") < page.index("Can growth outrun churn?")
    assert page.index("Can growth outrun churn?") < page.index("Key figures")
    assert "Month 12" in page and "Month 36" in page and "Standard error" in page


def test_report_loads_nothing_from_outside(gvc):
    text = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "data:", gvc.html)
    assert not re.search(r"https?:|ftp:|//[a-z0-9]", text, flags=re.I)  # no URL at all
    tags = Tags(gvc.html).tags
    assert not [t for t, _ in tags if t in ("script", "link", "iframe", "object", "embed")]
    for tag, attrs in tags:
        for name in ("src", "href", "srcset", "action", "poster"):
            if name in attrs:
                assert attrs[name].startswith(("data:", "#")), (tag, attrs[name][:60])
    assert "@import" not in gvc.html and "url(" not in gvc.html


def test_report_prints_on_a4_and_is_clean(gvc):
    assert "@media print" in gvc.html and "size: A4" in gvc.html
    page = Tags(gvc.html).visible
    for noise in (r"Warning", r"Traceback", r"\bnan\b", r"\bNone\b", r"\binf\b"):
        assert not re.search(noise, page), noise


def test_report_keeps_the_executed_notebook_and_no_temporary_files(gvc):
    names = sorted(p.name for p in gvc.path.parent.iterdir())
    assert names == ["growth-vs-churn.html", "growth-vs-churn.ipynb"]
    nb = nbformat.read(gvc.path.with_suffix(".ipynb"), as_version=4)
    assert nb.metadata.papermill.parameters["paths"] == PATHS


def test_hostile_scenario_text_is_shown_as_text(xss):
    assert xss.path.name == "hostile.html"
    tags = Tags(xss.html)
    assert not [t for t, _ in tags.tags if t == "script"]
    assert not [(t, a) for t, a in tags.tags for name in a if name.startswith("on")]
    assert not [a for t, a in tags.tags if t == "img" and a.get("src") == "x"]
    page = tags.visible
    assert XSS_NAME in page
    assert "<script>alert(2)</script> and <img src=x onerror=alert(3)>" in page
    assert "**markdown** [a link]" in page  # not rendered as Markdown either
    assert "<b onmouseover=alert(4)>SMB</b> $x$" in page
    assert f"<title>{html.escape(XSS_NAME, quote=False)}</title>" in xss.html
    assert "Month 24" in page and "Month 36" not in page  # months overrides the horizon
    assert "It reaches the target of ¥500M" in page


def test_failing_notebook_raises_report_error_and_keeps_it(tmp_path):
    nb = nbformat.v4.new_notebook(
        metadata={
            "kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}
        }
    )
    params = nbformat.v4.new_code_cell(
        "scenario_path = None\npaths = 1\nseed = 0\ntarget_arr = None\nmonths = None"
    )
    params.metadata["tags"] = ["parameters"]
    nb.cells = [
        params,
        nbformat.v4.new_code_cell("x = 1"),
        nbformat.v4.new_code_cell("raise RuntimeError('deliberate failure: ' + str(paths))"),
        nbformat.v4.new_code_cell("never = 1"),
    ]
    template = tmp_path / "failing.ipynb"
    nbformat.write(nb, template)
    out = tmp_path / "out"
    with pytest.raises(report.ReportError) as info:
        report.render_report(GVC, out, paths=77, template=template)
    message = str(info.value)
    failed = out / "growth-vs-churn.failed.ipynb"
    assert "RuntimeError: deliberate failure: 77" in message
    assert "cell 3" in message  # the injected parameters cell moves it down by one
    assert str(failed) in message
    assert sorted(p.name for p in out.iterdir()) == [failed.name]  # no HTML, no temporary file
    kept = nbformat.read(failed, as_version=4)
    assert any(o.get("ename") == "RuntimeError" for c in kept.cells for o in c.get("outputs", []))


def test_render_time(gvc):
    assert gvc.seconds < 60, f"rendering took {gvc.seconds:.1f} s"


def test_report_shows_levers_and_break_even(gvc):
    """The strategy section: every lever's extra ARR, and the closed-form break-even churn of
    growth-vs-churn, (1.2)^(1/12) - 1 = 1.53% a month."""
    page = Tags(gvc.html).visible
    for lever in (  # each said as the change it makes, before -> after
        "Churn 3% \u2192 2% a month",
        "Price ¥50K \u2192 ¥52.5K a month",
        "New customers 20% \u2192 22.2% a year",  # (1 + 1.1 m)^12 - 1, m = 1.2^(1/12) - 1
        "Expansion 0% \u2192 1% a month",
    ):
        assert lever in page, lever
    breakeven = 1.2 ** (1 / 12) - 1  # MODEL.md: flat base when c = (1 + g)^(1/12) - 1, g = 20%
    assert f"churn must fall to {breakeven:.2%} a month on average (now 3%)" in page
    grr = (1 - breakeven) ** 12  # GRR at that churn, constant churn without contraction
    assert f"GRR of {grr:.1%} instead of {(1 - 0.03) ** 12:.1%}" in page
    assert "fixed number, so there is no uncertainty to rank" in page


# -- Japanese ---------------------------------------------------------------------------------------


def test_every_report_message_has_a_japanese_translation():
    from babel.messages.extract import extract_from_file

    from cssim.words.i18n import Translator

    t = Translator("ja")
    missing = []
    modules = sorted((ROOT / "cssim" / "reporting" / "report").glob("*.py"))
    for path in [*modules, ROOT / "cssim" / "reporting" / "narrative.py"]:
        for _, msg, _, _ in extract_from_file(
            "python", path, keywords={"t": None, "N_": None, "_": None}
        ):
            msg = msg[0] if isinstance(msg, tuple) else msg
            if msg and msg.strip(" .;,") and t(msg) == msg and not re.fullmatch(r"[A-Z:]+", msg):
                missing.append(msg)
    assert missing == []


@pytest.fixture(scope="module")
def ja(tmp_path_factory) -> Rendered:
    """The shipped Japanese default rendered in Japanese (:func:`rendered`)."""
    return rendered("ja", tmp_path_factory)


def test_japanese_report_is_japanese_and_clean(ja):
    assert '<html lang="ja"' in ja.html
    page = Tags(ja.html).visible
    assert "見通しと打ち手" in page and "付録：用語集" in page
    assert "億円" in page and "JPY 3" not in page
    for noise in (
        "Warning",
        "Traceback",
        "/work",
        "/root",
        "/tmp",
        "site-packages",
        str(Path.home()),
    ):
        assert noise not in page and noise not in ja.html.replace("data:", ""), noise
    assert "@font-face" in ja.html  # the page carries its own Japanese glyphs


def test_lang_flag_wins_over_the_scenario(tmp_path):
    sc = report.prepare(GVC, paths=20, lang="ja")
    assert sc.lang == "ja"
    assert report.prepare(GVC, paths=20).lang == "en"
    with pytest.raises(ValueError, match="lang"):
        report.prepare(GVC, paths=20, lang="fr")


# -- levers at equal cost ---------------------------------------------------------------------------

CS = ROOT / "scenarios" / "cs-team-costs.yaml"


def _items(markup: str, cls: str) -> list[str]:
    """The texts of the items of the list ``<ol class='... cls'>`` in ``markup``."""
    m = re.search(rf"<ol class=[\"'][^\"']*\b{cls}\b[^\"']*[\"']>(.*?)</ol>", markup, re.S)
    return [] if m is None else [html.unescape(i) for i in re.findall(r"<li>(.*?)</li>", m[1])]


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_levers_at_equal_cost_match_per_cost_where_costs_are_given(lang):
    from cssim.analysis.levers import EQUAL_EFFORT, levers
    from cssim.words import formatting as fm
    from cssim.words.i18n import Translator

    ctx = report.prepare(CS, paths=300, seed=7, lang=lang)
    costs = ctx.scenario.lever_costs
    assert costs and set(costs) == {"churn_pt", "expansion_pt", "price_rel", "acquisition_rel"}
    want = levers(
        ctx.scenario,
        paths=300,
        seed=7,
        size=EQUAL_EFFORT,
        names=list(EQUAL_EFFORT),
        costs=costs,
        per_segment=False,
    ).per_cost()
    assert list(want["per_cost"]) == sorted(want["per_cost"], reverse=True)
    t = Translator(lang)
    words = [ctx.lever_words(n) for n in want["lever"]]  # before -> after, or by its size
    ratios = [fm.format_value(v, "times", lang) for v in want["per_cost"]]
    summary = report.summary(ctx)._repr_html_()
    items = _items(summary, "at-equal-cost")
    assert len(items) == len(want) == 4
    for item, word, lever, ratio in zip(items, words, want["lever"], ratios, strict=True):
        assert item.startswith(word), (item, word)
        assert fm.money(costs[lever], "JPY", lang) in item and ratio in item, item
    table = Tags(report.strategy(ctx, paths=300)._repr_html_()).visible
    starts = [table.index(t("Gross profit ÷ cost"))]
    for word in words:  # the rows in the same order as the list
        starts.append(table.index(word, starts[-1]))
    starts.append(table.index(t("Segment"), starts[-1]))  # the break-even table comes next
    rows = [table[a:b] for a, b in itertools.pairwise(starts[1:])]
    for row, gain, ratio in zip(rows, want["median"], ratios, strict=True):
        assert fm.money(gain, "JPY", lang) in row and ratio in row, row
    # the order at equal cost is not the order at equal effort in this scenario: both are shown
    effort = _items(summary, "levers")
    assert [i.split(":")[0].split("：")[0] for i in effort] != [w for w in words]


def test_no_levers_at_equal_cost_without_costs():
    ctx = report.prepare(GVC, paths=200, seed=7)
    assert ctx.scenario.lever_costs is None
    summary = report.summary(ctx)._repr_html_()
    assert "at-equal-cost" not in summary and "At equal cost" not in summary
    assert _items(summary, "levers")  # the equal-effort ranking is still there
    strategy = report.strategy(ctx, paths=200)._repr_html_()
    assert "at-equal-cost" not in strategy and "Gross profit ÷ cost" not in strategy


def test_cohort_legend_is_drawn_in_the_readers_language():
    from cssim.reporting import charts

    r = cssim.simulate(cssim.load_scenario(GVC), paths=20, seed=1)
    english = [t.get_text() for t in charts.cohort_layers(r).get_legend().get_texts()]
    labels = [t.get_text() for t in charts.cohort_layers(r, lang="ja").get_legend().get_texts()]
    assert all(a != b for a, b in zip(labels, english, strict=True)), labels
    assert "3年目に獲得" in labels
