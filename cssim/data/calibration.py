"""What a calibration gives: the fits, the history, the scenario and how the data were read
(:class:`Calibration`), with its summary in the reader's language and its scenario written to a file."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..model.scenario import Scenario
from .fitting import Fits
from .provenance import Provenance

__all__ = ["Calibration"]


@dataclass(frozen=True, eq=False)
class Calibration:
    """What :func:`calibrate` returns: the history, the fits, the holdout check and the scenario."""

    source: str
    kind: str
    months: tuple
    history: pd.DataFrame = field(repr=False)
    cohort_table: pd.DataFrame = field(repr=False)
    fits: Fits = field(repr=False)
    scenario: Scenario = field(repr=False)
    backtest: object = field(default=None, repr=False)
    notes: tuple = ()
    provenance: Provenance | None = field(default=None, repr=False)
    health: object = field(default=None, repr=False)  # a HealthFit, with usage data
    usage: object = field(default=None, repr=False)  # the Usage read
    #: the band widening from the company's own backtest (:class:`~cssim.data.widening.Widening`),
    #: None when not asked for or not possible; the scenario carries it already
    widening: object = field(default=None, repr=False)
    #: ``(name, Calibration)`` per size band when calibrated by size (``size_bands``): the scenario
    #: has one segment per band; empty otherwise
    bands: tuple = field(default=(), repr=False)
    #: True when the bands were chosen unasked (``size_bands=None``: the leavers' size differs)
    bands_auto: bool = False

    # the fitted pieces, by name (see :class:`~cssim.data.fitting.Fits`)
    churn = property(lambda self: self.fits.churn)
    churn_cohorts = property(lambda self: self.fits.churn_cohorts)
    sbg = property(lambda self: self.fits.sbg)
    churn_model = property(lambda self: self.fits.churn_model)
    lr_test = property(lambda self: self.fits.lr_test)
    expansion = property(lambda self: self.fits.expansion)
    contraction = property(lambda self: self.fits.contraction)
    acquisition = property(lambda self: self.fits.acquisition)
    holdout = property(lambda self: self.fits.holdout)

    @property
    def form_weights(self) -> dict:
        """Pseudo-BMA weights of the forms from their rolling-origin holdout scores:
        ``{"churn": {form: weight}, "acquisition": {form: weight}}`` (empty where the forms were given
        or too few months allowed a holdout)."""
        a = self.acquisition
        return {
            "churn": dict(self.fits.churn_weights or {}),
            "acquisition": dict(a.weights) if a is not None else {},
        }

    def summary(self, lang: str | None = None) -> pd.DataFrame:
        """Every fitted figure with its standard error and whether the scenario uses it.

        The parameters are named in ``lang`` (English by default; ``"ja"`` for Japanese).
        """
        from ..words.i18n import N_, Translator

        rows = [
            (
                N_("monthly churn (all customers)"),
                self.churn.churn,
                self.churn.se,
                self.churn_model == "monthly",
            )
        ]
        form = self.fits.churn_form
        sd = form.sd
        if form.form == "sbg":  # the fit the scenario uses (the opening base included)
            rows += [
                (N_("sBG alpha"), form.alpha, form.alpha * sd[0], True),
                (N_("sBG beta"), form.beta, form.beta * sd[1], True),
            ]
        elif self.sbg is not None:
            rows += [
                (N_("sBG alpha"), self.sbg.alpha, self.sbg.alpha_se, False),
                (N_("sBG beta"), self.sbg.beta, self.sbg.beta_se, False),
            ]
        if form.form == "onboarding":
            p, c = form.onboarding, form.monthly
            first = (N_("onboarding churn (first {months} months)"), {"months": form.months})
            rows += [
                (first, p, p * (1 - p) * sd[0], True),
                (N_("monthly churn after onboarding"), c, c * (1 - c) * sd[1], True),
            ]
        for names, mv in (
            ((N_("expansion rate (monthly)"), N_("expansion probability")), self.expansion),
            ((N_("contraction rate (monthly)"), N_("contraction probability")), self.contraction),
        ):
            if mv is not None:
                rows += [
                    (names[0], mv.rate, mv.rate_se, mv.rate > 0),
                    (names[1], mv.probability, mv.probability_se, mv.rate > 0),
                ]
        a = self.acquisition
        if a is not None:
            if a.model == "rate":
                rows.append((N_("acquisition rate (annual, vs base)"), a.rate, a.rate_se, True))
            else:
                rows.append((N_("new customers per month"), a.count, a.count_se, True))
                if a.model == "count_growth":
                    rows.append(
                        (N_("monthly growth of new customers"), a.growth, a.growth_se, True)
                    )
        _ = Translator(lang or "en")
        rows = [
            (_(name[0], **name[1]) if isinstance(name, tuple) else _(name), *rest)
            for name, *rest in rows
        ]
        return pd.DataFrame(rows, columns=["parameter", "estimate", "se", "in_scenario"]).set_index(
            "parameter"
        )

    def to_yaml(self) -> str:
        return self.scenario.to_yaml()

    def write_scenario(self, path: str | os.PathLike) -> Path:
        """Write the scenario YAML atomically (a reader never sees half a file)."""
        return _atomic_write(Path(path), self.to_yaml())

    def __repr__(self) -> str:
        return (
            f"<Calibration from {self.source} ({self.kind}, {self.months[0]} to {self.months[-1]}): "
            f"churn model {self.churn_model}, monthly churn {self.churn.churn:.4f} "
            f"(se {self.churn.se:.4f})>"
        )

    def _repr_html_(self) -> str:
        return self.to_html()

    def summary_cells(
        self, lang: str | None = None
    ) -> list[tuple[str, str, str, bool, float, float]]:
        """:meth:`summary` as text for people: ``(name, estimate, standard error, in scenario, raw
        estimate, raw standard error)`` per figure; rates as percentages with two decimals, sBG
        parameters and counts to four significant digits."""
        from ..words.formatting import format_value

        english, shown = self.summary(), self.summary(lang)
        rows = []
        for (name, r), local in zip(english.iterrows(), shown.index, strict=True):
            kind, digits = ("number", None) if name in _NUMBER_FIGURES else ("percent", 2)
            cells = [
                "" if v is None or v != v else format_value(v, kind, lang, digits=digits)
                for v in (r.estimate, r.se)
            ]
            rows.append((local, *cells, bool(r.in_scenario), r.estimate, r.se))
        return rows

    def to_html(self, lang: str | None = None) -> str:
        """The fitted figures as an HTML table (what a notebook shows), in ``lang``."""
        from ..words.i18n import Translator
        from ..words.tables import html_table

        _ = Translator(lang or "en")
        yes = _("yes")
        rows = [
            (n, est, se, yes if used else "")
            for n, est, se, used, *_raw in self.summary_cells(lang)
        ]
        head = _(
            "Calibration from {source} ({first} to {last}, churn model {model})",
            source=self.source,
            first=self.months[0],
            last=self.months[-1],
            model=self.churn_model,
        )
        columns = ("", _("estimate"), _("standard error"), _("in scenario"))
        return html_table(rows, columns, caption=head)


#: Figures of :meth:`Calibration.summary` that are not rates (shown as numbers, not percentages).
_NUMBER_FIGURES = {"sBG alpha", "sBG beta", "new customers per month"}


def _atomic_write(path: Path, text: str) -> Path:
    """Write ``text`` atomically with the user's usual permissions (not mkstemp's 0600)."""
    from ..model.atomic import atomic as _atomic

    return _atomic(Path(path), lambda p: Path(p).write_text(text, encoding="utf-8"))
