"""The glossary: customer-success terms as Japanese and English practitioners write them.

One table serves the message catalogs (their Japanese uses these terms; a test checks it), the report's
appendix (:func:`terms`) and ``docs/glossary.md``. A term is data, not a message: each entry carries both
languages, so the appendix can show the other language's term beside the reader's.

>>> terms("ja")[0]["term"]
'解約率'
"""

from __future__ import annotations

from dataclasses import dataclass

from .i18n import resolve_lang

__all__ = ["GLOSSARY", "Term", "terms"]


@dataclass(frozen=True)
class Term:
    """One glossary entry: the term and its definition in each language, and a stable key."""

    key: str
    en: str
    ja: str
    definition_en: str
    definition_ja: str
    #: short forms a text may use instead of the full term (e.g. ``NRR``)
    abbreviation: str = ""


GLOSSARY: tuple[Term, ...] = (
    Term(
        "churn_rate",
        "churn rate",
        "解約率",
        "The share of customers who cancel in a month (logo churn): churned customers / customers at "
        "the start of the month.",
        "1か月に解約した顧客の割合(ロゴ解約率)。解約顧客数 ÷ 月初の顧客数。",
    ),
    Term(
        "mrr",
        "monthly recurring revenue",
        "月次経常収益",
        "Subscription revenue per month at the end of the month.",
        "月末時点の1か月あたりのサブスクリプション収益。",
        "MRR",
    ),
    Term(
        "arr",
        "annual recurring revenue",
        "年次経常収益",
        "12 x MRR.",
        "MRR × 12。",
        "ARR",
    ),
    Term(
        "arpa",
        "average revenue per account",
        "顧客単価",
        "MRR per customer: MRR / customers.",
        "顧客1社あたりのMRR。MRR ÷ 顧客数。",
        "ARPA",
    ),
    Term(
        "nrr",
        "net revenue retention",
        "売上継続率",
        "Revenue today of the customers active 12 months ago, over their revenue then, including "
        "expansion: ((1 - churn) x (1 + expansion - contraction))^12 in the simplest case.",
        "12か月前に契約していた顧客の現在の売上 ÷ 当時の売上。アップセルを含む。"
        "最も単純な場合は ((1 − 解約率) × (1 + 拡張 − 縮小))^12。",
        "NRR",
    ),
    Term(
        "grr",
        "gross revenue retention",
        "売上維持率",
        "As NRR, without expansion: only churn and contraction count.",
        "NRRから拡張を除いたもの。解約と縮小だけを数える。",
        "GRR",
    ),
    Term(
        "expansion",
        "expansion (upsell, cross-sell)",
        "拡張(アップセル・クロスセル)",
        "MRR added by customers who stay: more seats, a higher plan, another product.",
        "継続顧客が増やすMRR。席数の追加、上位プラン、別製品の購入など。",
    ),
    Term(
        "contraction",
        "contraction (downgrade)",
        "縮小(ダウングレード)",
        "MRR lost by customers who stay: fewer seats or a lower plan.",
        "継続顧客が減らすMRR。席数の削減や下位プランへの変更。",
    ),
    Term(
        "crc",
        "customer retention cost",
        "顧客維持コスト",
        "What keeping customers costs per month: CS people plus CS tools. ARR : CRC = 10 : 1 is the "
        "guideline CS leaders use.",
        "顧客を維持するための月間コスト。CS担当者の人件費とCSツール費の合計。ARR : CRC = 10 : 1 が目安。",
        "CRC",
    ),
    Term(
        "ltv",
        "customer lifetime value",
        "顧客生涯価値",
        "ARPA x gross margin / monthly churn: the gross profit a customer brings over its expected "
        "lifetime of 1 / churn months.",
        "顧客単価 × 粗利率 ÷ 月次解約率。平均契約期間(1 ÷ 解約率 か月)に1社がもたらす粗利。",
        "LTV",
    ),
    Term(
        "cac",
        "customer acquisition cost",
        "顧客獲得コスト",
        "What winning one new customer costs (sales and marketing).",
        "新規顧客1社の獲得にかかる費用(営業・マーケティング)。",
        "CAC",
    ),
    Term(
        "cac_payback",
        "CAC payback",
        "CAC回収期間",
        "Months of gross profit that pay back the CAC: CAC / (ARPA x gross margin).",
        "CACを粗利で回収するまでの月数。CAC ÷ (顧客単価 × 粗利率)。",
    ),
    Term(
        "csm",
        "customer success manager",
        "カスタマーサクセス担当者",
        "The person who looks after a book of accounts.",
        "担当顧客を受け持つ人。",
        "CSM",
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
        "One simulated future. A run draws many paths (the number of simulations); more paths give "
        "more precise figures.",
        "シミュレーションした1つの未来。多数のパス(シミュレーション回数)を計算し、多いほど数値の精度が上がる。",
    ),
    Term(
        "seed",
        "seed",
        "シード",
        "The number that fixes the random draws: the same scenario, seed and paths give the same "
        "figures.",
        "乱数を固定する数。同じシナリオ・シード・パス数なら同じ結果になる。",
    ),
    Term(
        "median",
        "median",
        "中央値",
        "The middle outcome: half of the paths end above it, half below.",
        "真ん中の結果。半分のパスはこれより上、半分は下で終わる。",
    ),
    Term(
        "p10_p90",
        "P10-P90 (likely range)",
        "P10〜P90(見込みの幅)",
        "8 futures in 10 end between P10 and P90: 10% of paths end below P10, 10% above P90.",
        "10回中8回の未来がP10とP90の間に収まる。P10を下回るパスが10%、P90を上回るパスが10%。",
        "P10-P90",
    ),
    Term(
        "standard_error",
        "standard error",
        "標準誤差",
        "How far a Monte Carlo estimate may be from the exact value because of the finite number of "
        "paths; it shrinks as 1 / sqrt(paths).",
        "パス数が有限であることによる推定値の誤差の目安。パス数の平方根に反比例して小さくなる。",
    ),
    Term(
        "lever",
        "lever",
        "施策",
        "A change the team can make (lower churn, more expansion, a price rise, more acquisition), "
        "compared at equal size or equal cost.",
        "チームが打てる手(解約率の低下、拡張の増加、値上げ、獲得の増加)。同じ大きさ・同じコストで比べる。",
    ),
    Term(
        "break_even",
        "break-even",
        "損益分岐点",
        "The value of a parameter at which an outcome stops growing (or a cost pays for itself).",
        "成果が増えも減りもしなくなる(またはコストが回収される)パラメータの値。",
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
        "独自の数値を持つ顧客グループ(中小企業、エンタープライズなど)。",
    ),
    Term(
        "quick_ratio",
        "SaaS quick ratio",
        "SaaSクイックレシオ",
        "(new + expansion MRR) / (churned + contraction MRR).",
        "(新規MRR + 拡張MRR) ÷ (解約MRR + 縮小MRR)。",
    ),
)


def terms(lang: str | None = None) -> list[dict[str, str]]:
    """The glossary for a reader of ``lang``, in a stable order.

    Returns
    -------
    list of dict
        One dict per term with keys ``key``, ``term`` (in ``lang``, with the abbreviation where there
        is one, e.g. ``売上継続率 NRR``), ``other`` (the term in the other language), ``abbreviation``
        and ``definition`` (in ``lang``).
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
