"""Calibrate a scenario from billing data: MRR history, churn fits, movements, acquisition, holdout check.

:func:`calibrate` reads either

- a monthly MRR table per customer (columns ``customer, month, mrr``; month as ``YYYY-MM`` or a date, what
  billing tools export; a customer missing from a month pays nothing that month), or
- a cohort table (columns ``cohort, period, active``: customers of each cohort still active ``period``
  periods after joining).

It computes the history (MRR movements as ChartMogul defines them, logo churn, NRR and GRR over trailing 12
months, a cohort retention table), fits churn (constant, onboarding or shifted-beta-geometric, chosen on
held-out months from rolling forecast origins), expansion and contraction rates, and acquisition (a
monthly count, with or without growth, or a rate relative to the base, chosen likewise and averaged by
their held-out weights when none is sure), and turns the fit into a :class:`~cssim.Scenario` that starts from today's
customers by observed tenure and whose uncertain parameters carry the fits' uncertainty, correlated
parameters jointly (a segment's ``joint``, from the curvature of the log-likelihood). Bad data raise :class:`CalibrationError` naming the file and the
rows (as numbered in the file: the header is row 1).

The CLI calls :func:`cssim.runs.calibration.calibrate_cli`, which also writes the report.
"""

from __future__ import annotations

from ..model.errors import Problem, ScenarioError
from .backtest import _backtest_table, backtest
from .calibration import Calibration
from .fit_table import calibrate_table, read
from .history import movements
from .intake import read_data
from .reading import CalibrationError, parse_month
from .size_bands import auto_bands
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


def calibrate(
    data,
    *,
    source: str | None = None,
    name: str | None = None,
    horizon_months: int = 36,
    currency: str | None = None,
    arpa: float | None = None,
    segment: str = "All customers",
    language: str | None = None,
    holdout_fraction: float = 2 / 3,
    backtest_months: int = 0,
    backtest_paths: int = 1000,
    seed: int = 0,
    forms: dict | None = None,
    usage=None,
    usage_max: float | None = None,
    states=None,
    widen: bool = True,
    widen_paths: int = 400,
    size_bands: int | None = None,
    growth_endurance: float | None = None,
    **read_options,
) -> Calibration:
    """Calibrate a scenario from billing data: one segment, or one per size band (``size_bands``).

    Parameters
    ----------
    data : path or DataFrame
        A billing export in any format :func:`cssim.data.intake.read_billing` reads: an MRR table
        (customer, month, mrr, with English or Japanese headers), subscription periods, a customer x
        month sheet, invoice lines, or a cohort table (cohort, period, active). How it was read is
        ``Calibration.provenance``.
    source : str, optional
        The name used in messages and in the scenario description (default: the file path).
    name, horizon_months, segment, language
        Scenario fields (``language`` is left out when None: English).
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
    usage : path or DataFrame, optional
        Usage per customer and month (:func:`cssim.data.usage.read_usage`): the scenario's segment
        then has usage states fitted from it and the billing data (:mod:`cssim.data.health_fit`),
        in ``Calibration.health``.
    usage_max : float, optional
        The count that means full use, when the usage column is a count.
    states : str or StateBands, optional
        The thresholds from usage share to state (default ``dormant<0.2, at risk<0.6, healthy``).
    widen : bool
        Widen the bands (the default; ``False`` keeps the fitted spread) by the company's own rolling-origin backtest
        (:func:`cssim.data.widening.backtest_widening`): every fitted parameter's spread times the
        smallest factor of ``(1, 1.25, ..., 6)`` under which the forecasts from 12, 9, 6 and 3 months
        back would have held 80% of the realised customers and MRR in their P10-P90, at 3, 6 and 12
        months ahead (the band study, ``benchmarks/bench_bands.py``, shows it brings the
        coverage of both generators' companies close to its promise). The scenario written carries it
        (in the scenario format);
        ``Calibration.widening`` holds the factor and the backtest behind it (None for a cohort table, or fewer than 10 months).
    widen_paths : int
        Monte Carlo paths of each past forecast of that backtest.
    size_bands : int, optional
        2 to 5: one segment per size band of each customer's first MRR (:mod:`cssim.data.size_bands`),
        each calibrated (and widened) on its own customers, so a company whose small accounts leave
        more often keeps its MRR; ``Calibration.bands`` holds each band's calibration, and the history
        and fits of the whole file stay for reference. Needs a per-customer MRR table; not with
        ``usage`` or ``backtest_months``. 1: one segment. None (the default): 3 bands when the
        leavers' MRR differs from their cohort's average and the file has 300 customers active at
        the end (:func:`~cssim.data.size_bands.auto_bands`; ``Calibration.bands_auto`` says so), else
        one segment.
    growth_endurance : float, optional
        The share p of a fitted growth of new customers that the forecast keeps each year
        (``acquisition.endurance``, :mod:`cssim.model.count_trend`), from 0 to 1: 1 for a growth that
        never fades. Default: a prior, Bessemer's growth endurance of a business
        (:data:`~cssim.data.growth_endurance.BASE_ENDURANCE`) mapped to its new customers a month by
        the base's growth and churn (:func:`~cssim.data.growth_endurance.inflow_endurance`).
    **read_options
        ``format``, ``encoding``, ``timezone``, ``as_of``, ``fx``, ``tax_included``, ``interval``,
        ``dayfirst``: how to read the file (see :func:`cssim.data.intake.read_billing`).

    Raises
    ------
    CalibrationError
        The data cannot be used; the message names the file, the column, the rows and the cells.
    """
    reading = read(data, source, currency, read_options)
    options = {
        "name": name,
        "horizon_months": horizon_months,
        "currency": currency,
        "arpa": arpa,
        "holdout_fraction": holdout_fraction,
        "forms": forms,
        "language": language,
        "growth_endurance": growth_endurance,
    }
    # every refit (the widening's past origins, the backtest) fits as the scenario was fitted
    refit = {k: options[k] for k in ("currency", "holdout_fraction", "forms", "growth_endurance")}
    if size_bands not in (None, 1):
        _refuse_bands(reading, usage, backtest_months)
    cal = calibrate_table(
        reading.table, reading.kind, reading.source, reading.provenance, segment=segment, **options
    )
    auto = size_bands is None
    if auto:
        bandable = reading.kind == "mrr" and usage is None and not backtest_months
        size_bands = auto_bands(reading.table, cal.fits.leavers) if bandable else 1
    if size_bands != 1:
        try:
            return _banded(
                reading,
                size_bands,
                cal,
                auto=auto,
                widen=widen,
                widen_paths=widen_paths,
                seed=seed,
                options=options,
                refit=refit,
            )
        except (CalibrationError, ScenarioError):
            if not auto:  # asked for: the user hears why the bands cannot be made
                raise
            # unasked: one segment, as before bands were chosen; its page says the leavers' size
    if widen and reading.kind == "mrr":
        cal = _widened(cal, reading, widen_paths, seed, {**refit, "segment": segment})
    if usage is not None:
        cal = _with_health(cal, reading, usage, usage_max, states)
    if backtest_months:
        from dataclasses import replace

        bt = _backtest_table(
            reading,
            holdout=backtest_months,
            paths=backtest_paths,
            seed=seed,
            options={**refit, "segment": segment},
        )
        cal = replace(cal, backtest=bt)
    return cal


def _refuse_bands(reading, usage, backtest_months: int) -> None:
    """Size bands asked for where they cannot be made: refused before any fit, saying why."""
    refused = []
    if reading.kind != "mrr":
        refused.append("size bands need a per-customer billing table, not a cohort table")
    if usage is not None:
        refused.append("size bands and usage states together are not supported: choose one")
    if backtest_months:
        refused.append(
            "size bands and --backtest together are not supported: backtest without bands"
        )
    if refused:
        raise CalibrationError(reading.source, [Problem("size_bands", m) for m in refused])


def _banded(
    reading,
    bands: int,
    whole: Calibration,
    *,
    auto: bool,
    widen: bool,
    widen_paths: int,
    seed: int,
    options: dict,
    refit: dict,
) -> Calibration:
    """One segment per size band (:func:`~cssim.data.size_bands.size_bands`), each calibrated and
    widened on its own customers; ``whole``, the whole file's calibration, carries the history and
    the bands. ``auto``: the bands were chosen unasked (:func:`~cssim.data.size_bands.auto_bands`)."""
    from dataclasses import replace

    from ..model.scenario import Scenario
    from .size_bands import band_names, size_bands

    # impossible bands are refused here, before a band is fitted
    edges, parts = size_bands(reading.table, bands, reading.source)
    provenance = reading.provenance
    currency = whole.scenario.currency  # as calibrate_table settles it (the file's, else JPY)
    names = band_names(edges, currency, options.get("language"))
    cals = []
    for name, rows in zip(names, parts, strict=True):
        try:
            cal = calibrate_table(
                rows, reading.kind, reading.source, provenance, segment=name, **options
            )
            if widen:
                part = replace(reading, table=rows)
                cal = _widened(cal, part, widen_paths, seed, {**refit, "segment": name})
        except CalibrationError as e:  # say which band the data fail in
            raise CalibrationError(
                reading.source,
                [replace(p, path=f"{name}: {p.path}" if p.path else name) for p in e.problems],
            ) from None
        cals.append(cal)
    data = whole.scenario.to_dict()
    data["segments"] = [c.scenario.to_dict()["segments"][0] for c in cals]
    head = (
        f"Calibrated by cssim from {reading.source} in {bands} segments by size (each customer's "
        f"first MRR; edges {', '.join(f'{e:,.0f}' for e in edges)} {currency}), each fitted on its "
        "own customers"
        + (
            f", as the customers who left paid {whole.fits.leavers.ratio:.0%} of their cohort's "
            "average MRR (size_bands=1 keeps one segment)."
            if auto
            else "."
        )
    )
    parts_text = []
    for name, cal in zip(names, cals, strict=True):
        # the notes first (narrowed spreads, assumptions), so that a cut keeps them
        text = " ".join([f"[{name}]", *cal.notes, cal.scenario.description])
        parts_text.append(text[: (5000 - len(head)) // bands - 1])
    data["description"] = " ".join([head, *parts_text])[:5000]
    scenario = Scenario.from_dict(data, source=f"scenario calibrated from {reading.source}")
    return replace(
        whole, scenario=scenario, bands=tuple(zip(names, cals, strict=True)), bands_auto=auto
    )


def _widened(cal, reading, paths: int, seed: int, options: dict) -> Calibration:
    """``cal`` with its scenario widened by the factor its own past forecasts ask for."""
    from dataclasses import replace

    from .widening import backtest_widening, widen_scenario

    w = backtest_widening(
        reading.table,
        reading.kind,
        reading.source,
        reading.provenance,
        options=options,
        paths=paths,
        seed=seed,
        carrier=cal.scenario,  # the factor chosen is one this scenario can carry
    )
    if w is None:
        return cal
    return replace(cal, scenario=widen_scenario(cal.scenario, w.factor), widening=w)


def _with_health(cal: Calibration, reading, usage, usage_max, states) -> Calibration:
    """``cal`` with its segment's ``health:`` fitted from ``usage`` and the billing table."""
    from dataclasses import replace

    from ..model.scenario import Scenario
    from .health_fit import fit_health
    from .usage import StateBands, parse_bands, read_usage

    if reading.kind != "mrr":
        raise CalibrationError(
            reading.source,
            [Problem("", "usage states need a per-customer billing table, not a cohort table")],
        )
    if isinstance(states, str):
        try:
            states = parse_bands(states)
        except ValueError as e:
            raise CalibrationError(str(usage), [Problem("states", str(e))]) from None
    bands = states if isinstance(states, StateBands) else None
    read = read_usage(usage, usage_max=usage_max, bands=bands)
    fit = fit_health(reading.table, read, reading.source)
    data = cal.scenario.to_dict()
    data["segments"][0]["health"] = fit.block()
    scenario = Scenario.from_dict(data, source=f"{reading.source} + {read.source}")
    return replace(cal, scenario=scenario, health=fit, usage=read)
