"""The churn floor: what the same effort on a lever buys at different levels of churn.

:func:`marginal_value` sets every segment's monthly churn to each of several levels and pulls each lever
by the same relative step there; :class:`MarginalValue` holds the gain in ARR at the horizon per level
and lever, with its chart and its faces.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from ..model.arrays import mean_se
from ..model.display import compact_money as _money
from ..model.engine import simulate
from ..model.randomness import resolve_seed
from ..model.scenario import Scenario
from .lever_rules import LEVERS, apply_lever, find_lever
from .sensitivity import _expected

__all__ = ["MarginalValue", "marginal_value"]


def _with_churn(scenario: Scenario, c: float) -> Scenario:
    data = scenario.to_dict()
    for seg in data["segments"]:
        keep = {k: v for k, v in seg["churn"].items() if k in ("onboarding", "leaver_mrr")}
        seg["churn"] = {"monthly": c, **keep}
    return Scenario.from_dict(data, source=f"{scenario.name} (churn {c:.2%})")


@dataclass
class MarginalValue:
    """ARR bought by each lever at several base levels of monthly churn (:func:`marginal_value`)."""

    scenario: Scenario
    frame: pd.DataFrame
    method: str

    def to_frame(self) -> pd.DataFrame:
        return self.frame.copy()

    def names(self, lang: str | None = None) -> dict[str, str]:
        """Each lever at its step for people, in ``lang`` (:func:`cssim.words.labels.lever_label`)."""
        from ..words.labels import lever_label

        steps = self.frame.drop_duplicates("lever").set_index("lever")["step"]
        return {n: lever_label(n, x, LEVERS[n].unit, lang) for n, x in steps.items()}

    def plot(self, ax=None, lang: str | None = None):
        """Gain in ARR at the horizon by base churn, one line per lever; returns the axes.

        Drawn once in ``lang`` (English by default): the levers by their names in the legend, the
        titles and labels from the charts catalog, money ticks through the one money formatter.
        """
        import matplotlib.pyplot as plt

        from ..words.chart_text import chart_text, money_ticks
        from ..words.fonts import use_fonts
        from ..words.plaintext import finish_axes

        use_fonts()  # Japanese names render (IPAexGothic after the Latin font)
        _ = chart_text(lang)
        names = self.names(lang)
        own = ax is None
        if ax is None:
            _fig, ax = plt.subplots(figsize=(6, 4))
        for name, g in self.frame.groupby("lever", sort=False):
            ax.plot(100 * g["churn"], g["gain"], marker="o", label=names[name])
        ax.set_xlabel(_("Monthly churn before the lever (%)"))
        ax.yaxis.set_major_formatter(money_ticks(self.scenario.currency, lang))
        ax.set_ylabel(_("Extra ARR at month {month}", month=self.scenario.horizon_months))
        ax.invert_xaxis()
        ax.legend()
        ax.set_title(_("The churn floor: what the same relative step buys as churn falls"))
        return finish_axes(ax, own)

    def __repr__(self) -> str:
        lines = [
            f"<MarginalValue {self.scenario.name!r} ({self.method}): gain in ARR at month "
            f"{self.scenario.horizon_months}"
        ]
        for r in self.frame.itertuples():
            lines.append(f"  churn {r.churn:.2%}  {r.label}: {_money(r.gain)} ({r.gain_pct:+.1%})")
        return "\n".join(lines) + ">"

    def _repr_html_(self) -> str:
        return self.to_html()

    def to_html(self, lang: str | None = None) -> str:
        """The gain in ARR by base churn (rows, highest churn first) and lever (columns) as an HTML
        table in ``lang`` (what a notebook shows)."""
        from ..words import formatting as fm
        from ..words.i18n import Translator
        from ..words.tables import html_table

        _ = Translator(lang or "en")
        names = self.names(lang)
        wide = self.frame.pivot(index="churn", columns="lever", values="gain")
        wide = wide.sort_index(ascending=False)[list(names)]
        rows = [
            (fm.percent(c, lang, 2), *(fm.money(v, self.scenario.currency, lang) for v in r))
            for c, r in zip(wide.index, wide.to_numpy(), strict=True)
        ]
        cap = _(
            "Gain in ARR at month {month} by base monthly churn",
            month=self.scenario.horizon_months,
        )
        return html_table(rows, (_("monthly churn"), *names.values()), caption=cap)


def marginal_value(
    scenario: Scenario,
    levers: Sequence[str] = ("churn_rel", "expansion_rel"),
    levels: Sequence[float] = (0.03, 0.02, 0.01, 0.005),
    step: float | Mapping[str, float] = 0.10,
    *,
    method: str = "expected",
    paths: int = 2000,
    seed: int | None = 42,
) -> MarginalValue:
    """What the same relative effort buys at different levels of churn (the churn floor).

    For each base monthly churn ``c`` in ``levels`` (set in every segment; onboarding kept), each lever is
    pulled by ``step`` (e.g. churn -10%: 3% -> 2.7% but 1% -> 0.9%) and the gain in ARR at the horizon is
    reported, with ``gain_per_unit = gain / step``, the finite-difference d(ARR)/d(lever).

    With constant churn, expansion ``e`` and rate acquisition (MODEL.md), ``r = (1 - c)(1 + e)``,
    ``q = 1 + m - c`` and

    .. math:: E[ARR_H] = 12\\,ARPA\\,N_0 \\left[r^H + m \\frac{q^H - r^H}{q - r}\\right],

    so cutting churn by a fixed share buys less as churn falls, while expansion's gain grows with the
    surviving base. Per *point* of churn removed the value actually rises as churn falls (the base it
    protects is bigger); what shrinks is what the same relative effort buys, because 10% of 0.5% is
    only 0.05 pt. That is the churn floor CS leaders describe: near 1% a month, the next 10% of
    churn buys less than 10% more expansion (1,000 customers, 20% growth, 1% expansion, 36 months:
    35.1M vs 27.8M JPY of ARR at 1% churn, 20.7M vs 33.3M at 0.5%).

    Parameters
    ----------
    method : "expected" or "simulate"
        ``expected`` (default) uses :func:`cssim.expected` (exact expectations, no noise);
        ``simulate`` uses the Monte Carlo on common random numbers and adds ``mc_se``.
    """
    if method not in ("expected", "simulate"):
        raise ValueError("method must be 'expected' or 'simulate'")
    seed = resolve_seed(seed)
    H = scenario.horizon_months
    rows = []
    for c in levels:
        base = _with_churn(scenario, float(c))
        if method == "expected":
            b = _expected(base)["arr"].iloc[H]
        else:
            b = simulate(base, paths=paths, seed=seed)["arr"][:, H]
        for name in levers:
            lv = find_lever(name)
            x = (
                float(step.get(name, lv.default))
                if isinstance(step, Mapping)
                else (float(step) if lv.unit == "relative" else lv.default)
            )
            try:
                changed = apply_lever(base, name, x)
            except ValueError as e:
                raise ValueError(
                    f"{e}: marginal_value needs the lever to apply (for expansion_rel, "
                    "give the scenario some expansion, or use expansion_pt)"
                ) from None
            row = {"churn": float(c), "lever": name, "label": lv.describe(x), "step": x}
            if method == "expected":
                a = _expected(changed)["arr"].iloc[H]
                row.update(arr_base=float(b), arr_after=float(a), gain=float(a - b))
            else:
                d = simulate(changed, paths=paths, seed=seed)["arr"][:, H] - b
                row.update(
                    arr_base=float(b.mean()),
                    arr_after=float(b.mean() + d.mean()),
                    gain=float(d.mean()),
                    mc_se=mean_se(d),
                )
            row["gain_pct"] = row["gain"] / row["arr_base"]
            row["gain_per_unit"] = row["gain"] / x
            rows.append(row)
    return MarginalValue(scenario, pd.DataFrame(rows), method)
