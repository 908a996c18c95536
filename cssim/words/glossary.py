"""The glossary: customer-success terms as Japanese and English practitioners write them, said once.

One table serves the message catalogs (their Japanese uses these terms; a test checks it), the report's
appendix (which shows the terms a report's reader meets, under their :attr:`Term.heading_en` /
:attr:`Term.heading_ja`, with their definitions from here) and ``docs/glossary.md`` (every term; a test
keeps its table in step). A term is data, not a message: each entry carries both languages, so a page can
show the other language's term beside the reader's.

>>> terms("ja")[0]["term"]
'解約率'
"""

from __future__ import annotations

from dataclasses import dataclass

from .i18n import resolve_lang

__all__ = ["GLOSSARY", "Term", "term", "terms"]


@dataclass(frozen=True)
class Term:
    """One glossary entry: the term and its definition in each language, and a stable key.

    The catalogs follow it (``tests/test_catalogs.py``): every Japanese message whose English matches
    :attr:`catalog_en` contains :attr:`catalog_ja` (the Japanese term unless given), and no Japanese
    message contains any of :attr:`avoid_ja` (the words this term replaces).
    """

    key: str
    en: str
    ja: str
    definition_en: str
    definition_ja: str
    #: short forms a text may use instead of the full term (e.g. ``NRR``)
    abbreviation: str = ""
    #: how a page heads the term in each language where it is not the term itself (the report's
    #: appendix: ``Churn`` / ``解約率``, ``MRR, ARR`` / ``MRR・ARR``)
    heading_en: str = ""
    heading_ja: str = ""
    #: a regular expression on English messages about this idea (case-insensitive)
    catalog_en: str = ""
    #: what the Japanese of those messages contains (default: :attr:`ja`)
    catalog_ja: str = ""
    #: words no Japanese message may use (this term replaces them)
    avoid_ja: tuple[str, ...] = ()

    def heading(self, lang: str | None = None) -> str:
        """The term as a page heads it in ``lang``."""
        if resolve_lang(lang) == "ja":
            return self.heading_ja or self.ja
        return self.heading_en or self.en


GLOSSARY: tuple[Term, ...] = (
    Term(
        "churn_rate",
        "churn rate",
        "解約率",
        "The share of customers who cancel in a month.",
        "1か月に解約する顧客の割合。",
        heading_en="Churn",
        heading_ja="解約率",
        catalog_en=r"\bchurn\b(?! MRR)",
        catalog_ja="解約",
    ),
    Term(
        "tenure",
        "tenure",
        "契約経過月数",
        "How many months a customer has been a customer.",
        "顧客が契約してからの月数。",
        heading_en="Tenure",
        heading_ja="契約経過月数",
    ),
    Term(
        "expected_lifetime",
        "expected lifetime",
        "平均継続期間",
        "How long a customer stays on average: 1 / monthly churn when churn is constant.",
        "顧客が平均して契約を続ける期間。解約率が一定なら1÷月次解約率。",
        catalog_en=r"\blifetime\b(?! value)",
    ),
    Term(
        "monthly",
        "a month (monthly)",
        "月額（金額）・月次（率）",
        "A month is said with the value (3% a month, ¥50K a month) or as (a month) after a name.",
        "金額には月額（月額5万円）、率には月次（月次解約率）を使い、値には「月3%」「月5万円」と期間を"
        "前に付けます。月間とは書きません。",
        avoid_ja=("月間",),
    ),
    Term(
        "mrr_arr",
        "monthly and annual recurring revenue",
        "月次経常収益・年次経常収益",
        "Monthly recurring revenue, and annual recurring revenue = 12 × MRR.",
        "月次経常収益（MRR）と年次経常収益（ARR＝12×MRR）。",
        abbreviation="MRR, ARR",
        heading_en="MRR, ARR",
        heading_ja="MRR・ARR",
    ),
    Term(
        "arpa",
        "average revenue per account",
        "顧客単価",
        "Average revenue per customer a month: MRR / customers.",
        "顧客1社あたりの月額売上：MRR÷顧客数。",
        abbreviation="ARPA",
        heading_en="ARPA",
        heading_ja="ARPA（顧客単価）",
    ),
    Term(
        "nrr",
        "net revenue retention",
        "売上継続率（拡張を含む）",
        "Net revenue retention, with expansion: revenue now of the customers active 12 months ago, "
        "over their revenue then. Above 100%, existing customers grow revenue.",
        "12か月前に契約していた顧客の現在の売上を、当時の売上で割ったもの。拡張を含みます。100%を"
        "超えれば既存顧客だけで売上が伸びています。",
        abbreviation="NRR",
        heading_en="NRR (with expansion)",
        heading_ja="NRR（売上継続率：拡張を含む）",
        catalog_en=r"^NRR\b",
        catalog_ja="NRR",
        avoid_ja=("売上維持率",),
    ),
    Term(
        "grr",
        "gross revenue retention",
        "売上継続率（拡張を除く）",
        "Gross revenue retention, without expansion: as NRR but counting only churn and "
        "contraction; at most 100%.",
        "NRRから拡張を除いたもの。解約と縮小だけを数えます。最大100%。",
        abbreviation="GRR",
        heading_en="GRR (without expansion)",
        heading_ja="GRR（売上継続率：拡張を除く）",
        catalog_en=r"^GRR\b",
        catalog_ja="GRR",
    ),
    Term(
        "hold_flat_churn",
        "churn that holds the base flat",
        "顧客数を維持できる解約率",
        "The monthly churn at which new customers just replace those who leave, so the customer "
        "base stays flat. Not a profit break-even.",
        "新規獲得と解約が釣り合い、顧客数が横ばいになる月次解約率。利益の損益分岐点ではありません。",
        heading_en="Churn that holds the base flat",
        heading_ja="顧客数を維持できる解約率",
        catalog_en=r"(holds|keeps) the (customer )?base flat",
        catalog_ja="維持",
    ),
    Term(
        "expansion",
        "expansion (upsell, cross-sell)",
        "拡張（アップセル・クロスセル）",
        "Revenue added by customers who stay: upsell, cross-sell, more seats.",
        "継続顧客による売上の上乗せ：アップセル、クロスセル、シート追加。",
        heading_en="Expansion",
        heading_ja="拡張",
        catalog_en=r"\bexpansion\b",
        catalog_ja="拡張",
    ),
    Term(
        "contraction",
        "contraction (downgrade)",
        "縮小（ダウングレード）",
        "MRR lost by customers who stay: fewer seats or a lower plan.",
        "継続顧客が減らすMRR。席数の削減や下位プランへの変更。",
        heading_en="Contraction",
        heading_ja="縮小",
        catalog_en=r"\bcontraction\b",
        catalog_ja="縮小",
    ),
    Term(
        "crc",
        "customer retention cost",
        "顧客維持コスト",
        "Customer retention cost: CS people plus CS tools a month. ARR:CRC of 10:1 is a common "
        "guideline.",
        "CSの人件費とCSツール費（月額）。ARR/CRCが10倍以上がよく使われる目安です。",
        abbreviation="CRC",
        heading_en="CRC",
        heading_ja="CRC（顧客維持コスト）",
    ),
    Term(
        "not_set",
        "not set",
        "未設定",
        "A cost the scenario does not give: shown as not set, never as 0.",
        "シナリオで与えられていないコスト。0円ではなく未設定と書きます。",
        catalog_en=r"^not set$",
    ),
    Term(
        "ltv",
        "customer lifetime value",
        "顧客生涯価値",
        "Customer lifetime value: ARPA × gross margin / monthly churn (the expected lifetime is "
        "1 / churn). LTV:CAC of 3:1 is a common guideline.",
        "ARPA×粗利率÷月次解約率（平均継続期間は1÷解約率）。LTV/CACが3倍以上がよく使われる目安"
        "です。",
        abbreviation="LTV",
        heading_en="LTV",
        heading_ja="LTV（顧客生涯価値）",
    ),
    Term(
        "ratio",
        "ratio (3:1)",
        "倍（3倍）",
        "A ratio to one is written 3.3:1 in English.",
        "比率は「3.3倍」と書き、「3.3:1」とは書きません。",
        catalog_en=r"\d:1\b",
        catalog_ja="倍",
    ),
    Term(
        "cac",
        "customer acquisition cost",
        "顧客獲得コスト",
        "Customer acquisition cost: what winning one new customer costs.",
        "新規顧客1社の獲得にかかる費用。",
        abbreviation="CAC",
        heading_en="CAC",
        heading_ja="CAC（顧客獲得コスト）",
    ),
    Term(
        "cac_payback",
        "CAC payback",
        "CAC回収期間",
        "Months of gross profit that pay back the CAC: CAC / (ARPA × gross margin).",
        "CACを粗利で回収するまでの月数。CAC÷（顧客単価×粗利率）。",
    ),
    Term(
        "csm",
        "customer success manager",
        "カスタマーサクセス担当者",
        "The person who looks after a book of accounts.",
        "担当顧客を受け持つ人。",
        abbreviation="CSM",
    ),
    Term(
        "gross_margin",
        "gross margin",
        "粗利率",
        "The share of revenue left after the cost of serving it.",
        "売上から提供原価を引いた残りの割合。",
    ),
    Term(
        "onboarding",
        "onboarding",
        "オンボーディング",
        "A customer's first months, when churn is often decided.",
        "契約直後の立ち上げ期間。解約が決まりやすい時期。",
    ),
    Term(
        "scenario",
        "scenario",
        "シナリオ",
        "A description of the business now and how it behaves, with its uncertainty.",
        "現在の事業の姿と今後の動き方を、不確実性も含めて記述したもの。",
    ),
    Term(
        "path",
        "path",
        "パス",
        "One possible course of the business month by month: who churns, how many join and, for "
        "uncertain assumptions, their value. The report simulates thousands.",
        "事業が月ごとにたどりうる1つの道筋。誰が解約し、何社が加わり、不確かな前提がどの値になるか。"
        "レポートは数千通りをシミュレーションします。",
        heading_en="Simulated future (path)",
        heading_ja="シミュレーションした未来（パス）",
    ),
    Term(
        "seed",
        "seed",
        "シード",
        "The starting number of the random draws: the same scenario, seed and number of futures "
        "give exactly the same report.",
        "乱数の出発点となる数。シナリオ、シード、シミュレーション回数が同じなら、まったく同じレポートに"
        "なります。",
        heading_en="Seed",
        heading_ja="シード",
        catalog_en=r"\bseed\b",
    ),
    Term(
        "median",
        "median",
        "中央値",
        "The middle outcome: half of the simulated futures end above it, half below.",
        "真ん中の結果。シミュレーションした未来の半分はこれより上、半分は下で終わります。",
        heading_en="Median",
        heading_ja="中央値",
    ),
    Term(
        "p10_p90",
        "80% range (P10–P90)",
        "80%区間（P10〜P90）",
        "The range that holds 80% of the simulated futures: 10% end below P10 and 10% above P90.",
        "シミュレーションした未来の80%が入る範囲。10%はP10より下、10%はP90より上で終わります。",
        abbreviation="P10–P90",
        heading_en="80% range (P10–P90)",
        heading_ja="80%区間（P10〜P90）",
        catalog_en=r"80% range",
        catalog_ja="80%区間",
        avoid_ja=("10通り中8通り", "8通り"),
    ),
    Term(
        "standard_error",
        "standard error",
        "標準誤差",
        "How much a figure would move if the simulation were run again with another seed.",
        "別のシードでシミュレーションし直したときに数字がどれだけ動くか。",
        heading_en="Standard error",
        heading_ja="標準誤差",
    ),
    Term(
        "common_random_numbers",
        "common random numbers",
        "共通乱数",
        "A lever is simulated on the same futures as the base, so the difference between them "
        "is the lever's doing, not chance.",
        "打ち手を基準と同じ未来でシミュレーションするので、両者の差は偶然ではなく打ち手の効果です。",
        heading_en="Common random numbers",
        heading_ja="共通乱数",
    ),
    Term(
        "lever",
        "lever",
        "打ち手",
        "A change the team can make (lower churn, more expansion, a price rise, more new "
        "customers), compared by the same step in each lever's own unit, or at equal cost.",
        "チームが打てる手（解約率の低下、拡張の増加、値上げ、新規獲得の増加）。それぞれの単位で同じ"
        "一歩だけ動かすか、同じコストで比べます。",
        heading_en="Lever",
        heading_ja="打ち手",
        catalog_en=r"\blevers?\b",
        catalog_ja="打ち手",
        avoid_ja=("施策",),
    ),
    Term(
        "break_even",
        "break-even",
        "損益分岐点",
        "The value of a parameter at which a cost pays for itself.",
        "コストがちょうど回収される（利益がゼロになる）パラメータの値。",
    ),
    Term(
        "sensitivity",
        "sensitivity",
        "感度分析",
        "How much each uncertain input moves an outcome.",
        "不確実な入力がそれぞれ結果をどれだけ動かすか。",
    ),
    Term(
        "sweep",
        "sweep",
        "パラメータスイープ",
        "The same scenario run over a grid of values of one or two parameters.",
        "1〜2個のパラメータを格子状に変えて同じシナリオを計算すること。",
    ),
    Term(
        "segment",
        "segment",
        "セグメント",
        "A group of customers with its own numbers (SMB, enterprise, ...).",
        "独自の数値を持つ顧客グループ（中小企業、エンタープライズなど）。",
    ),
    Term(
        "quick_ratio",
        "SaaS quick ratio",
        "SaaSクイックレシオ",
        "(new + expansion MRR) / (churned + contraction MRR).",
        "（新規MRR＋拡張MRR）÷（解約MRR＋縮小MRR）。",
    ),
)


def terms(lang: str | None = None) -> list[dict[str, str]]:
    """The glossary for a reader of ``lang``, in a stable order.

    Returns
    -------
    list of dict
        One dict per term with keys ``key``, ``term`` (in ``lang``, with the abbreviation where there
        is one, e.g. ``売上継続率 NRR``), ``other`` (the term in the other language), ``abbreviation``,
        ``heading`` (:meth:`Term.heading`) and ``definition`` (in ``lang``).
    """
    lang = resolve_lang(lang)
    out = []
    for t in GLOSSARY:
        own, other = (t.ja, t.en) if lang == "ja" else (t.en, t.ja)
        out.append(
            {
                "key": t.key,
                "term": f"{own} {t.abbreviation}" if t.abbreviation else own,
                "other": other,
                "abbreviation": t.abbreviation,
                "heading": t.heading(lang),
                "definition": t.definition_ja if lang == "ja" else t.definition_en,
            }
        )
    return out


def term(key: str, lang: str | None = None) -> str:
    """One term in ``lang`` by key (``term("nrr", "ja")`` -> ``"売上継続率"``)."""
    for t in GLOSSARY:
        if t.key == key:
            return t.ja if resolve_lang(lang) == "ja" else t.en
    raise KeyError(f"no glossary term {key!r}")
