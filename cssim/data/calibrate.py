"""Calibrate a scenario from billing data: MRR history, churn fits, movements, acquisition, holdout check.

:func:`calibrate` reads either

- a monthly MRR table per customer (columns ``customer, month, mrr``; month as ``YYYY-MM`` or a date, what
  billing tools export; a customer missing from a month pays nothing that month), or
- a cohort table (columns ``cohort, period, active``: customers of each cohort still active ``period``
  periods after joining).

It computes the history (MRR movements as ChartMogul defines them, logo churn, NRR and GRR over trailing 12
months, a cohort retention table), fits churn (constant, onboarding or shifted-beta-geometric, chosen on
held-out months from rolling forecast origins), expansion and contraction rates, and acquisition (a
monthly count, with or without growth, or a rate relative to the base, chosen likewise; count and count
with growth averaged), and turns the fit into a :class:`~cssim.Scenario` that starts from today's
customers by observed tenure and whose uncertain parameters carry the fits' uncertainty, correlated
parameters jointly (a segment's ``joint``, from the curvature of the log-likelihood). Bad data raise :class:`CalibrationError` naming the file and the
rows (as numbered in the file: the header is row 1).

The CLI calls :func:`cssim.runs.calibration.calibrate_cli`, which also writes the report.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import linalg, stats

from ..model.errors import Problem
from ..model.scenario import Scenario
from .backtest import _backtest_table, backtest
from .fitting import ACQUISITION_FORMS, Fits, fit_all
from .history import BillingHistory, build_history, cohort_table, movements
from .intake import read_billing
from .provenance import Provenance
from .reading import CalibrationError, parse_month, read_data
from .synthetic import synthetic_mrr

__all__ = [
    "Calibration",
    "CalibrationError",
    "backtest",
    "calibrate",
    "movements",
    "parse_month",
    "read_data",
    "synthetic_mrr",
]

# -- the calibration ---------------------------------------------------------------------------------------


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


#: options of :func:`cssim.data.intake.read_billing` that :func:`calibrate` and :func:`backtest` pass on
READ_OPTIONS = (
    "format",
    "encoding",
    "timezone",
    "as_of",
    "fx",
    "tax_included",
    "interval",
    "dayfirst",
)


def calibrate(
    data,
    *,
    source: str | None = None,
    name: str | None = None,
    horizon_months: int = 36,
    currency: str | None = None,
    arpa: float | None = None,
    segment: str = "All customers",
    holdout_fraction: float = 2 / 3,
    backtest_months: int = 0,
    backtest_paths: int = 1000,
    seed: int = 0,
    forms: dict | None = None,
    **read_options,
) -> Calibration:
    """Calibrate a one-segment scenario from billing data.

    Parameters
    ----------
    data : path or DataFrame
        A billing export in any format :func:`cssim.data.intake.read_billing` reads: an MRR table
        (customer, month, mrr, with English or Japanese headers), subscription periods, a customer x
        month sheet, invoice lines, or a cohort table (cohort, period, active). How it was read is
        ``Calibration.provenance``.
    source : str, optional
        The name used in messages and in the scenario description (default: the file path).
    name, horizon_months, segment
        Scenario fields.
    currency : str, optional
        The scenario's currency; by default the file's currency column, else JPY (see
        :mod:`cssim.data.currency`).
    arpa : float, optional
        MRR per account; a cohort table has none (default there: 1, to be edited).
    holdout_fraction : float
        Share of the months used to fit in the churn holdout check.
    backtest_months : int
        When positive, also run :func:`cssim.backtest` with this holdout (an MRR table; at least 7 months
        must remain to fit on, else a :class:`CalibrationError`); the report shows it.
    backtest_paths, seed
        Monte Carlo paths and seed of that backtest.
    forms : dict, optional
        Fix the forms instead of choosing them: ``{"churn": "monthly" | "onboarding" | "sbg",
        "acquisition": "count" | "count_growth" | "rate"}`` (either key; for studies and for teams that
        know their contract terms).
    **read_options
        ``format``, ``encoding``, ``timezone``, ``as_of``, ``fx``, ``tax_included``, ``interval``,
        ``dayfirst``: how to read the file (see :func:`cssim.data.intake.read_billing`).

    Raises
    ------
    CalibrationError
        The data cannot be used; the message names the file, the column, the rows and the cells.
    """
    reading = _read(data, source, currency, read_options)
    cal = _calibrate_table(
        reading.table,
        reading.kind,
        reading.source,
        reading.provenance,
        name=name,
        horizon_months=horizon_months,
        currency=currency,
        arpa=arpa,
        segment=segment,
        holdout_fraction=holdout_fraction,
        forms=forms,
    )
    if backtest_months:
        from dataclasses import replace

        bt = _backtest_table(
            reading,
            holdout=backtest_months,
            paths=backtest_paths,
            seed=seed,
            options={"currency": currency, "segment": segment},
        )
        cal = replace(cal, backtest=bt)
    return cal


def _read(data, source, currency, options: dict):
    unknown = sorted(set(options) - set(READ_OPTIONS))
    if unknown:
        raise TypeError(f"unexpected keyword argument {unknown[0]!r}")
    return read_billing(data, source=source, currency=currency, **options)


def _calibrate_table(
    clean: pd.DataFrame,
    kind: str,
    source: str,
    provenance: Provenance | None,
    *,
    name: str | None = None,
    horizon_months: int = 36,
    currency: str | None = None,
    arpa: float | None = None,
    segment: str = "All customers",
    holdout_fraction: float = 2 / 3,
    forms: dict | None = None,
) -> Calibration:
    """:func:`calibrate` on a table already read."""
    if kind == "mrr" and provenance is not None:
        currency = provenance.currency
    currency = currency or "JPY"
    d, history = build_history(clean, kind)
    if len(d.months) < 3:
        raise CalibrationError(
            source,
            [Problem("", f"only {len(d.months)} month(s) of data: calibration needs at least 3")],
        )
    if float(d.customers[:-1].sum()) <= 0:
        raise CalibrationError(source, [Problem("", "no customer is active before the last month")])
    if forms is not None:
        allowed = {"churn": ("monthly", "onboarding", "sbg"), "acquisition": ACQUISITION_FORMS}
        for key, value in forms.items():
            if key not in allowed or value not in allowed[key]:
                raise CalibrationError(
                    source,
                    [
                        Problem(
                            f"forms.{key}",
                            f"{value!r} is not a form; allowed: "
                            + "; ".join(f"{k}: {', '.join(v)}" for k, v in allowed.items()),
                        )
                    ],
                )
    fits = fit_all(
        d,
        history,
        holdout_fraction=holdout_fraction,
        horizon=horizon_months,
        arpa=arpa,
        forms=forms,
    )
    warnings = _warnings(provenance)
    scenario = _scenario(
        d,
        fits,
        source,
        name=name,
        horizon=horizon_months,
        currency=currency,
        segment=segment,
        warnings=warnings,
    )
    return Calibration(
        source=source,
        kind=kind,
        months=tuple(str(m) for m in d.months),
        history=history,
        cohort_table=cohort_table(d.cohorts, d.months),
        fits=fits,
        scenario=scenario,
        notes=tuple(fits.notes) + warnings,
        provenance=provenance,
    )


def _warnings(provenance: Provenance | None) -> tuple[str, ...]:
    """The reading's warnings as sentences (the scenario's description and the notes carry them)."""
    if provenance is None:
        return ()
    from .provenance import note_text

    texts = (note_text(n, None, provenance.currency) for n in provenance.warnings)
    return tuple(f"{t[:1].upper()}{t[1:]}." for t in texts)


# -- the scenario ------------------------------------------------------------------------------------------


def _g(x: float) -> str:
    return f"{x:.4g}"


def _rate_dist(mean: float, se: float) -> float | dict:
    """A rate in (0, 1) as beta(mean, sd = SE), or the number when the SE is zero or not usable."""
    if not (0 < mean < 1) or not (se > 0) or se * se >= mean * (1 - mean) * 0.99:
        return float(mean)
    return {"kind": "beta", "mean": float(mean), "sd": float(se)}


def _logit_dist(mean: float, logit_sd: float) -> float | dict:
    """A probability with a logit-scale standard error as beta(mean, sd = the delta-method SE)."""
    return _rate_dist(mean, logit_sd * mean * (1 - mean))


def _normal_dist(mean: float, se: float, lo: float, hi: float) -> float | dict:
    """normal(mean, sd = SE) when it keeps 90% of its mass inside the field's range, else the number."""
    if not (se > 0) or stats.norm.cdf(hi, mean, se) - stats.norm.cdf(lo, mean, se) < 0.9:
        return float(min(max(mean, lo), hi))
    return {"kind": "normal", "mean": float(mean), "sd": float(se)}


def _pos_dist(mean: float, se: float) -> float | dict:
    if not (mean > 0) or not (se > 0):
        return float(mean)
    return {"kind": "lognormal", "mean": float(mean), "sd": float(se)}


def _scenario(
    d: BillingHistory,
    fits: Fits,
    source: str,
    *,
    name: str | None,
    horizon: int,
    currency: str,
    segment: str,
    warnings: tuple[str, ...] = (),
) -> Scenario:
    """The one-segment scenario the fits describe (uncertain parameters carry their standard errors)."""
    churn, sbg, lr = fits.churn, fits.sbg, fits.lr_test
    expansion, contraction, acquisition = fits.expansion, fits.contraction, fits.acquisition
    holdout, notes = fits.holdout, list(fits.notes)
    first, last = str(d.months[0]), str(d.months[-1])
    customers = fits.start.customers
    seg: dict = {"name": segment, "customers": customers, "arpa": fits.start.arpa}
    if fits.new_arpa is not None:
        seg["new_arpa"] = _pos_dist(fits.new_arpa.mean, fits.new_arpa.se)
    t = fits.start.tenure
    if t != 0:
        seg["starting_tenure"] = t
    form = fits.churn_form
    joint: list[tuple[list, list, np.ndarray]] = []  # (paths, scales) blocks with their covariance
    if form.form == "sbg":
        seg["churn"] = {"heterogeneity": {"alpha": float(form.alpha), "beta": float(form.beta)}}
        joint.append((list(form.names), ["log", "log"], form.covariance))
    elif form.form == "onboarding":
        seg["churn"] = {
            "monthly": float(form.monthly),
            "onboarding": {"months": form.months, "monthly": float(form.onboarding)},
        }
        joint.append((list(form.names), ["logit", "logit"], form.covariance))
    else:
        seg["churn"] = {"monthly": _logit_dist(form.monthly, form.sd[0])}
    if acquisition is None:
        seg["acquisition"] = {"count": 0.0}
    elif acquisition.model == "rate":
        g, se = acquisition.rate, acquisition.rate_se
        seg["acquisition"] = {"rate": _normal_dist(g, se, -0.99, 100.0)}
    elif acquisition.model == "count_growth" and acquisition.covariance is not None:
        seg["acquisition"] = {"count": acquisition.count, "growth": acquisition.growth}
        joint.append(
            (["acquisition.count", "acquisition.growth"], ["log", "log1p"], acquisition.covariance)
        )
    else:
        seg["acquisition"] = {"count": _pos_dist(acquisition.count, acquisition.count_se)}
    if joint:
        names = [n for block in joint for n in block[0]]
        scales = [k for block in joint for k in block[1]]
        cov = linalg.block_diag(
            *(block[2] for block in joint)
        )  # churn and acquisition: separate data
        cov = (cov + cov.T) / 2
        seg["joint"] = {
            "parameters": names,
            "scales": scales,
            "covariance": [[float(f"{x:.6g}") for x in row] for row in cov],
        }
    for key, mv in (("expansion", expansion), ("contraction", contraction)):
        if mv is not None and mv.rate > 0 and mv.probability > 0:
            seg[key] = {
                "rate": _rate_dist(mv.rate, mv.rate_se),
                "probability": _rate_dist(mv.probability, mv.probability_se),
            }
    where = Path(source).name + (f" ({source})" if Path(source).name != source else "")
    figures = [
        f"Calibrated by cssim from {where}, months {first} to {last} "
        f"({len(d.months)} months; {customers} customers active at the end)."
    ]
    figures.append(
        f"Monthly logo churn {_g(churn.churn)} (SE {_g(churn.se)}; {churn.churned} churned of "
        f"{churn.at_risk} customer-months at risk)."
    )
    if sbg is not None:
        figures.append(
            f"Shifted-beta-geometric fit to the retention curves of {len(sbg.observed)} cohorts "
            f"(the retention figure): alpha {_g(sbg.alpha)} "
            f"(SE {_g(sbg.alpha_se)}), beta {_g(sbg.beta)} (SE {_g(sbg.beta_se)}); likelihood "
            f"ratio vs constant churn {_g(lr[0])} (p {_g(lr[1])})."
        )
    used = {
        "sbg": f"shifted-beta-geometric, alpha {_g(form.alpha)}, beta {_g(form.beta)}, fitted month by "
        "month to the cohorts whose start is observed"
        + (
            f" and to the opening base at a fitted tenure of {_g(form.base_age)} months"
            if form.base_age > 0
            else ""
        )
        + " (their joint uncertainty from the likelihood's curvature)",
        "onboarding": f"{_g(form.onboarding)} a month in the first {form.months} months of tenure, "
        f"{_g(form.monthly)} after",
        "monthly": f"constant monthly churn {_g(form.monthly)}",
    }[form.form]
    figures.append(f"Churn model used: {used}; chosen by {fits.churn_chosen_by}.")
    for key, mv in (("Expansion", expansion), ("Contraction", contraction)):
        if mv is not None:
            figures.append(
                f"{key} {_g(mv.rate)} of staying MRR a month (SE {_g(mv.rate_se)}), "
                f"{_g(mv.probability)} of staying accounts moving."
            )
    if acquisition is not None:
        if acquisition.model == "rate":
            figures.append(
                f"Acquisition: {_g(acquisition.rate)} a year relative to the base "
                f"(SE {_g(acquisition.rate_se)})."
            )
        else:
            figures.append(
                f"Acquisition: {_g(acquisition.count)} new customers a month (SE "
                f"{_g(acquisition.count_se)})"
                + (
                    f", growing {_g(acquisition.growth)} a month (SE {_g(acquisition.growth_se)})"
                    if acquisition.model == "count_growth"
                    else ""
                )
                + "."
            )
        figures.append(f"Acquisition form chosen by {acquisition.chosen_by}.")
    if fits.new_arpa is not None:
        figures.append(
            f"New-customer ARPA {_g(fits.new_arpa.mean)} (SE {_g(fits.new_arpa.se)}; "
            f"{fits.new_arpa.n} new customers)."
        )
    if t != 0:
        figures.append(
            f"Starting tenure {t if isinstance(t, int) else str(t['min']) + ' to ' + str(t['max'])} "
            "months, "
            "as today's customers' observed tenures."
        )
    if holdout is not None:
        figures.append(
            f"Holdout (fit to {holdout.cutoff}): mean absolute error of predicted active customers "
            f"{holdout.mape['sbg']:.1%} (sBG), {holdout.mape['constant']:.1%} (constant churn)."
        )
    figures += notes + list(warnings)
    data = {
        "name": (name or f"Calibrated from {Path(source).name}")[:120],
        "description": " ".join(figures)[:5000],
        "horizon_months": int(horizon),
        "currency": currency,
        "segments": [seg],
    }
    return Scenario.from_dict(data, source=f"scenario calibrated from {source}")


# -- files and the command line ------------------------------------------------------------------------


def _atomic_write(path: Path, text: str) -> Path:
    """Write ``text`` atomically with the user's usual permissions (not mkstemp's 0600)."""
    from ..model.result import _atomic

    return _atomic(Path(path), lambda p: Path(p).write_text(text, encoding="utf-8"))
