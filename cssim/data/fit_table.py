"""From a billing table already read to a calibrated scenario: the fits, the history and the scenario
whose uncertain parameters carry the fits' uncertainty (what :func:`cssim.calibrate` and
:func:`cssim.backtest` share)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import linalg, stats

from ..model.errors import Problem, ScenarioError
from ..model.joint import narrow_to_ranges
from ..model.limits import MAX_AMOUNT
from ..model.scenario import Scenario
from ..model.segment import LEAVER_MAX, MIN_MOVE_PROBABILITY, Segment
from .calibration import Calibration
from .fitting import ACQUISITION_FORMS, Fits, fit_all
from .growth_endurance import BASE_ENDURANCE, inflow_endurance
from .history import BillingHistory, build_history, cohort_table
from .intake import read_billing
from .provenance import Provenance
from .reading import CalibrationError
from .spread import scale_spread

__all__ = ["READ_OPTIONS", "calibrate_table", "read"]


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


def read(data, source, currency, options: dict):
    """The file read with the reader's options (an unknown option is a ``TypeError``)."""
    unknown = sorted(set(options) - set(READ_OPTIONS))
    if unknown:
        raise TypeError(f"unexpected keyword argument {unknown[0]!r}")
    return read_billing(data, source=source, currency=currency, **options)


def calibrate_table(
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
    language: str | None = None,
    growth_endurance: float | None = None,
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
        language=language,
        endurance=growth_endurance,
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


def _rate_dist(mean: float, se: float, path: str) -> float | dict:
    """A rate in (0, 1) as beta(mean, sd = SE), or the number when the SE is zero or not usable; the
    sd cut where the beta would put less than 92% of its mass in the field's range at ``path``
    (:func:`~cssim.data.spread.scale_spread`: a contraction probability near its floor of 0.001)."""
    if not (0 < mean < 1) or not (se > 0) or se * se >= mean * (1 - mean) * 0.99:
        return float(mean)
    return scale_spread({"kind": "beta", "mean": float(mean), "sd": float(se)}, 1.0, path)


def _logit_dist(mean: float, logit_sd: float, path: str) -> float | dict:
    """A probability with a logit-scale standard error as beta(mean, sd = the delta-method SE)."""
    return _rate_dist(mean, logit_sd * mean * (1 - mean), path)


def _normal_dist(mean: float, se: float, lo: float, hi: float) -> float | dict:
    """normal(mean, sd = SE) when it keeps 90% of its mass inside the field's range, else the number."""
    if not (se > 0) or stats.norm.cdf(hi, mean, se) - stats.norm.cdf(lo, mean, se) < 0.9:
        return float(min(max(mean, lo), hi))
    return {"kind": "normal", "mean": float(mean), "sd": float(se)}


def _field(seg: dict, name: str) -> float:
    """The number at the field path ``name`` (``acquisition.growth``) of a segment given as data."""
    node = seg
    for part in name.split("."):
        node = node[part]
    return float(node)


def _pos_dist(mean: float, se: float, hi: float = MAX_AMOUNT) -> float | dict:
    """An amount as lognormal(mean, sd = SE) when it keeps 90% of its mass at most ``hi`` (the field's
    bound), else the number."""
    if not (mean > 0) or not (se > 0):
        return float(mean)
    sigma = math.sqrt(math.log1p((se / mean) ** 2))
    mu = math.log(mean) - sigma**2 / 2
    if stats.norm.cdf((math.log(hi) - mu) / sigma) < 0.9:
        return float(mean)
    return {"kind": "lognormal", "mean": float(mean), "sd": float(se)}


def _money_problems(fits: Fits) -> list[Problem]:
    """The fitted amounts a scenario cannot hold (past :data:`MAX_AMOUNT`), said in terms of the data."""
    out = []
    arpa = fits.start.arpa
    new = fits.new_arpa.mean if fits.new_arpa is not None else 0.0
    if not arpa <= MAX_AMOUNT:
        out.append(
            Problem(
                "",
                f"the average MRR of the customers active in the last month is {_amount(arpa)}, "
                f"more than the {MAX_AMOUNT:g} a scenario's money may be: check the mrr column for "
                "a mistyped amount or one in the wrong unit",
            )
        )
    if not new <= MAX_AMOUNT:
        out.append(
            Problem(
                "",
                f"the average first MRR of new customers is {_amount(new)}, more than the "
                f"{MAX_AMOUNT:g} a scenario's money may be: check the mrr column for a mistyped "
                "amount or one in the wrong unit",
            )
        )
    return out


def _fading(endurance: float | dict) -> str:
    """How the scenario lets its fitted growth of new customers last, in the description's words."""
    if isinstance(endurance, dict):
        p, base = endurance, BASE_ENDURANCE
        return (
            f"a growth the forecast lets fade: each year it keeps a share between {p['low']:.0%} "
            f"and {p['high']:.0%}, most likely {p['mode']:.0%} (acquisition.endurance; a prior, not "
            f"a fit: a SaaS business keeps about {base['mode']:.0%} of its growth rate a year, and "
            "with this base's growth and churn that leaves its new customers a month this share; "
            "set it to 1 for a growth that never fades)"
        )
    if endurance == 1:
        return "a growth the forecast carries on unchanged (acquisition.endurance 1, as asked)"
    return (
        f"a growth the forecast lets fade: each year it keeps {endurance:.0%} of itself "
        "(acquisition.endurance, as asked)"
    )


def _amount(x: float) -> str:
    return f"{x:,.0f}" if x < 1e21 else f"{x:.4g}"


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
    language: str | None = None,
    endurance: float | None = None,
) -> Scenario:
    """The one-segment scenario the fits describe (uncertain parameters carry their standard errors)."""
    churn, sbg, lr = fits.churn, fits.sbg, fits.lr_test
    expansion, contraction, acquisition = fits.expansion, fits.contraction, fits.acquisition
    holdout, notes = fits.holdout, list(fits.notes)
    first, last = str(d.months[0]), str(d.months[-1])
    customers = fits.start.customers
    found = _money_problems(fits)
    if found:
        raise CalibrationError(source, found)
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
        seg["churn"] = {"monthly": _logit_dist(form.monthly, form.sd[0], "churn.monthly")}
    if fits.leavers is not None:  # the leavers' MRR against their cohort's average, with its SE
        ratio = min(fits.leavers.ratio, LEAVER_MAX)
        seg["churn"]["leaver_mrr"] = _pos_dist(ratio, fits.leavers.se, hi=LEAVER_MAX)
    if acquisition is None:
        seg["acquisition"] = {"count": 0.0}
    elif acquisition.model == "rate":
        g, se = acquisition.rate, acquisition.rate_se
        seg["acquisition"] = {"rate": _normal_dist(g, se, -0.99, 100.0)}
    elif acquisition.model == "count_growth" and acquisition.covariance is not None:
        seg["acquisition"] = {
            "count": acquisition.count,
            "growth": acquisition.growth,
            "endurance": inflow_endurance(acquisition.growth, fits.churn.churn)
            if endurance is None
            else float(endurance),
        }
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
        # a fit's uncertainty may reach past a field's range (growth below -0.5): keep the draws
        # inside by construction and say so in the description
        centres = {n: _field(seg, n) for n in names}
        fitted, narrowed = narrow_to_ranges(
            Segment, centres, {"parameters": names, "scales": scales, "covariance": cov}
        )
        notes += [n.describe() for n in narrowed]
        seg["joint"] = {
            "parameters": names,
            "scales": scales,
            "covariance": [[float(f"{x:.6g}") for x in row] for row in fitted["covariance"]],
        }
    for key, mv in (("expansion", expansion), ("contraction", contraction)):
        if mv is not None and mv.rate > 0 and mv.probability > 0:
            seg[key] = {
                "rate": _rate_dist(mv.rate, mv.rate_se, f"{key}.rate"),
                "probability": _rate_dist(mv.probability, mv.probability_se, f"{key}.probability"),
            }
            if mv.probability < MIN_MOVE_PROBABILITY:
                # rarer than the field allows: the same expected rate in smaller, more frequent moves
                seg[key]["probability"] = MIN_MOVE_PROBABILITY
                notes.append(
                    f"{key.capitalize()}: {_g(mv.probability)} of staying accounts moved a month, "
                    f"fewer than the {MIN_MOVE_PROBABILITY:g} a scenario allows; the scenario uses "
                    f"{MIN_MOVE_PROBABILITY:g} with the same expected rate {_g(mv.rate)} (smaller, more "
                    "frequent moves)."
                )
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
    lv = fits.leavers
    if lv is not None:
        figures.append(
            f"Customers who left paid on average {lv.ratio:.0%} of their cohort's average MRR (SE "
            f"{lv.se:.0%}; {lv.departures} departures): the scenario's churn takes that MRR with "
            "them (churn.leaver_mrr)."
        )
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
                    f", growing {_g(acquisition.growth)} a month (SE {_g(acquisition.growth_se)}), "
                    + _fading(seg["acquisition"]["endurance"])
                    if acquisition.model == "count_growth" and acquisition.covariance is not None
                    else ""
                )
                + "."
            )
        if endurance is not None and "endurance" not in seg["acquisition"]:
            figures.append("No growth of new customers to fade: growth_endurance is not used.")
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
        **({"language": language} if language else {}),
    }
    return _within_limits(data, source)


def _within_limits(data: dict, source: str) -> Scenario:
    """The calibrated scenario, its joint uncertainty narrowed if its spread could take the segment
    past the customers or money a scenario may hold (:mod:`cssim.model.limits`).

    A few months of fast-growing acquisition leave a growth so uncertain that its draws at the top of
    their range compound past 1e9 customers: the covariance is scaled by ``s^2`` for the largest
    ``s`` of 1/2, 1/4, ... 1/64 that the limits accept (the correlations kept), and the description
    says so. Centres that pass the limits on their own are never changed; when even they do not,
    the limits' own error is raised.
    """
    where = f"scenario calibrated from {source}"
    try:
        return Scenario.from_dict(data, source=where)
    except ScenarioError as first:
        seg = data["segments"][0]
        if "joint" not in seg:
            raise
        joint = seg["joint"]
        cov = np.asarray(joint["covariance"], float)
        for factor in 0.5 ** np.arange(1, 7):
            note = (
                f" The joint uncertainty ({', '.join(joint['parameters'])}) is narrowed to "
                f"{factor:g} of its fitted standard deviations, so that its draws cannot take the "
                "segment past the customers or money a scenario may hold."
            )
            covariance = [[float(f"{x:.6g}") for x in row] for row in cov * factor**2]
            narrowed = {
                **data,
                "description": (data["description"] + note)[:5000],
                "segments": [{**seg, "joint": {**joint, "covariance": covariance}}],
            }
            try:
                return Scenario.from_dict(narrowed, source=where)
            except ScenarioError:
                continue
        raise first from None
