"""The scenario explorer: sliders for what strategists argue about, redrawn on common random numbers.

>>> from cssim.widgets import Explorer
>>> Explorer("scenarios/growth-vs-churn.yaml")          # doctest: +SKIP

Every change re-simulates the edited scenario with the *same seed*, so the draws are common to every
recompute (MODEL.md, Randomness): moving a slider shows that parameter's effect, never resampling noise, and
moving it back returns exactly the original numbers. Alongside, the scenario as loaded from its file is
simulated once on the same seed as a grey reference line and a "file" column in the KPI table.

Sliders recompute a preview (``preview_paths``, 2,000 by default); **Run full** reruns with the paths box.
Paths come in blocks of 1,000: the first runs in this process while worker processes (forkserver) run the
others. The figure is one reused matplotlib figure, blitted (axes and ticks rendered once per set of axis
limits) and sent as PNG bytes to an ``ipywidgets.Image``: one message per update, no flicker, and cheaper
than clearing an ``Output`` and re-displaying a figure. In a script, create the explorer under
``if __name__ == "__main__":`` (worker processes import the main module); without the guard it falls back
to one process, with the same numbers.

Uncertain parameters (distributions) keep their uncertainty: the slider shows the distribution's median and
moving it relocates the whole distribution. Positive quantities (lognormal, beta, and any distribution whose
lower end is above zero) are *scaled* by ``new median / old median``, which keeps the relative spread and
the shape; others (a normal growth rate that may be negative, say) are *shifted* by the difference. Each
path keeps its own uniform draw, so with CRN a path's world moves smoothly with the slider. Parameters the
explorer cannot move (shifted-beta-geometric churn, seat counts) are listed as fixed: edit the YAML.
"""

from __future__ import annotations

import html
import io
import math
import os
import time
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import ipywidgets as w
import numpy as np
import pandas as pd
import PIL.Image
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from ..model.distributions import _Dist
from ..model.engine import simulate
from ..model.errors import ScenarioError
from ..model.randomness import BLOCK_PATHS
from ..model.result import SimulationResult, _atomic, _money
from ..model.scenario import Scenario, Segment, load_scenario
from ..words import formatting as fm
from ..words.i18n import N_, Translator

__all__ = ["DEFAULT_SCENARIO", "Explorer", "parse_value", "relocate"]

#: The scenario the explorer opens when given none (relative to the working folder, then to the project).
DEFAULT_SCENARIO = "scenarios/growth-vs-churn.yaml"


# -- moving an uncertain parameter -------------------------------------------------------------------


def relocate(dist: _Dist, median: float) -> dict[str, Any]:
    """The distribution moved so that its median is (about) ``median``, as plain scenario data.

    Positive quantities are scaled by ``f = median / old median`` (relative spread and shape kept); others are
    shifted by ``median - old median``. A beta on ``[low, high]`` scales its distance from ``low``; if the
    scaled sd is too wide for a beta, it is narrowed to 95% of the largest allowed.
    """
    old = dist.median()
    data = dist.model_dump(mode="json", exclude_none=True)
    kind = data["kind"]
    if kind == "beta":
        low, high = data["low"], data["high"]
        if "alpha" in data:
            a, b = data.pop("alpha"), data.pop("beta")
            width = high - low
            data["mean"] = low + width * a / (a + b)
            data["sd"] = width * math.sqrt(a * b / ((a + b) ** 2 * (a + b + 1)))
        f = (median - low) / (old - low) if old != low else 1.0
        data["mean"] = low + (data["mean"] - low) * f
        data["sd"] *= f
        m = (data["mean"] - low) / (high - low)
        if 0 < m < 1:
            limit = math.sqrt(m * (1 - m)) * (high - low)
            data["sd"] = min(data["sd"], 0.95 * limit)
        return data
    fields = {
        "normal": ("mean",),
        "lognormal": ("mean", "sd"),
        "uniform": ("low", "high"),
        "triangular": ("low", "mode", "high"),
        "pert": ("low", "mode", "high"),
        "interval90": ("low", "high"),
    }[kind]
    positive = kind == "lognormal" or (kind != "normal" and data["low"] > 0 and old > 0)
    for k in fields:
        data[k] = data[k] * (median / old) if positive else data[k] + (median - old)
    return data


# -- the controls of one segment -------------------------------------------------------------------------


@dataclass
class _Spec:
    """One slider: where it writes, its range and how it reads out."""

    name: str
    label: str
    path: str | None  # dotted path within the segment; None: written by a group rule
    value: float
    lo: float
    hi: float
    step: float
    fmt: str
    integer: bool = False
    dist: _Dist | None = None


def _nice_step(span: float, n: int = 200) -> float:
    raw = span / n
    mag = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1.0
    return next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)


def _num(value: Any) -> tuple[float, _Dist | None]:
    return (value.median(), value) if isinstance(value, _Dist) else (float(value), None)


def _specs(seg: Segment) -> tuple[list[_Spec], list[str]]:
    """The sliders for a segment, and notes on what stays fixed."""
    specs, fixed = [], []
    acq = seg.acquisition
    if acq.rate is not None:
        v, d = _num(acq.rate)
        specs.append(
            _Spec(
                "growth",
                "New customers a year",
                "acquisition.rate",
                v,
                min(-0.5, v),
                max(1.0, 2 * v),
                0.01,
                ".0%",
                dist=d,
            )
        )
    else:
        v, d = _num(acq.count)
        hi = max(10.0, 3 * v)
        specs.append(
            _Spec(
                "growth",
                "New customers a month",
                "acquisition.count",
                v,
                0.0,
                hi,
                _nice_step(hi),
                ",.1f",
                dist=d,
            )
        )
    ch = seg.churn
    if ch.monthly is not None:
        v, d = _num(ch.monthly)
        specs.append(
            _Spec(
                "churn",
                "Monthly churn",
                "churn.monthly",
                v,
                0.0,
                max(0.1, 2 * v),
                0.001,
                ".1%",
                dist=d,
            )
        )
    elif ch.annual_renewal is not None:
        v, d = _num(ch.annual_renewal)
        specs.append(
            _Spec(
                "churn",
                "Churn at annual renewal",
                "churn.annual_renewal",
                v,
                0.0,
                max(0.5, 2 * v),
                0.01,
                ".0%",
                dist=d,
            )
        )
    else:
        fixed.append(N_("churn by tenure (shifted-beta-geometric alpha, beta)"))
    if ch.annual_renewal is None:
        ob = ch.onboarding
        v, d = (
            _num(ob.monthly)
            if ob
            else (_num(ch.monthly)[0] if ch.monthly is not None else 0.0, None)
        )
        months = ob.months if ob else 3
        specs.append(
            _Spec(
                "onboarding",
                "Onboarding churn",
                "churn.onboarding.monthly" if ob else None,
                v,
                0.0,
                max(0.3, 2 * v),
                0.001,
                ".1%",
                dist=d,
            )
        )
        specs.append(
            _Spec(
                "onboarding_months",
                "Onboarding months",
                "churn.onboarding.months" if ob else None,
                months,
                1,
                max(12, months),
                1,
                "d",
                integer=True,
            )
        )
    for name, label, mv in (
        ("expansion", "Expansion a month", seg.expansion),
        ("contraction", "Contraction a month", seg.contraction),
    ):
        v, d = _num(mv.rate) if mv else (0.0, None)
        hi = max(0.05 if name == "expansion" else 0.03, 2 * v)
        if name == "contraction":
            prob = mv.probability if mv else 0.1
            hi = min(hi, prob) if isinstance(prob, float) else hi
        specs.append(
            _Spec(name, label, f"{name}.rate" if mv else None, v, 0.0, hi, 0.0005, ".2%", dist=d)
        )
    if seg.arpa is not None:
        v, d = _num(seg.arpa)
        path, label = "arpa", "ARPA (MRR/account)"
    else:
        v, d = _num(seg.seats.price)
        path, label = "seats.price", "Price per seat"
        fixed.append(N_("seats per account"))
    specs.append(_Spec("arpa", label, path, v, v / 5, 3 * v, _nice_step(3 * v), ",.0f", dist=d))
    arpa = _num(seg.arpa if seg.arpa is not None else seg.seats.price)[0]
    cs = seg.cs
    if cs is None or cs.csm_per_account is None:
        v, d = (
            _num(cs.accounts_per_csm) if cs and cs.accounts_per_csm is not None else (100.0, None)
        )
        specs.append(
            _Spec(
                "accounts_per_csm",
                "Accounts per CSM",
                "cs.accounts_per_csm" if cs and cs.accounts_per_csm is not None else None,
                v,
                5.0,
                max(500.0, 2 * v),
                5.0,
                ",.0f",
                dist=d,
            )
        )
    else:
        fixed.append(N_("CSMs per account"))
    v, d = _num(cs.csm_cost) if cs else (0.0, None)
    hi = max(2 * v, 40 * arpa)
    specs.append(
        _Spec(
            "csm_cost",
            "Cost per CSM a month",
            "cs.csm_cost" if cs else None,
            v,
            0.0,
            hi,
            _nice_step(hi),
            ",.0f",
            dist=d,
        )
    )
    for spec in specs:  # put the file's value on the slider's grid, so the browser keeps it
        if not spec.integer:
            spec.lo = spec.value - math.floor((spec.value - spec.lo) / spec.step + 1e-9) * spec.step
            spec.hi = spec.value + math.floor((spec.hi - spec.value) / spec.step + 1e-9) * spec.step
    return specs, fixed


def _read(spec: _Spec, raw: float) -> float:
    """A slider's value without the browser's floating-point noise (0.19999999999999996 is 0.2).

    Within a millionth of a step of the file's value it *is* the file's value; otherwise it is rounded
    to one decimal finer than the step.
    """
    if spec.integer:
        return int(raw)
    if abs(raw - spec.value) <= 1e-6 * spec.step:
        return spec.value
    return round(raw, max(0, math.ceil(-math.log10(spec.step))) + 1)


def _segment_changes(
    i: int, seg: Segment, specs: dict[str, _Spec], values: dict[str, float]
) -> dict[str, Any]:
    """Scenario.replace changes for one segment: only what moved from the file's value."""
    prefix = f"segments.{i}."
    out: dict[str, Any] = {}
    moved = {k for k, s in specs.items() if values[k] != s.value}

    def value(k: str) -> Any:
        s = specs[k]
        v = values[k]
        if s.integer:
            return int(v)
        return relocate(s.dist, v) if s.dist is not None else float(v)

    for k in moved:
        if specs[k].path is not None:
            out[prefix + specs[k].path] = value(k)
    if moved & {"onboarding", "onboarding_months"} and specs["onboarding"].path is None:
        out[prefix + "churn.onboarding"] = {
            "months": value("onboarding_months"),
            "monthly": value("onboarding"),
        }
    for k in ("expansion", "contraction"):
        if k in moved and specs[k].path is None:
            out[prefix + k] = {"rate": value(k)}
    cs_new = seg.cs is None and moved & {"accounts_per_csm", "csm_cost"}
    if cs_new:
        out[prefix + "cs"] = {
            "accounts_per_csm": value("accounts_per_csm"),
            "csm_cost": value("csm_cost"),
        }
    elif (
        "accounts_per_csm" in specs
        and "accounts_per_csm" in moved
        and specs["accounts_per_csm"].path is None
    ):  # pragma: no cover - cs without accounts_per_csm
        out[prefix + "cs.accounts_per_csm"] = value("accounts_per_csm")
    return out


_HELP = {
    "growth": N_(
        "New customers: annual rate relative to the base (monthly (1+g)^(1/12)-1), or a monthly count."
    ),
    "churn": N_(
        "Logo churn: probability that a customer at risk cancels in a month (or at an annual renewal)."
    ),
    "onboarding": N_("Monthly churn during the first onboarding months of tenure."),
    "onboarding_months": N_("How many months of tenure the onboarding churn applies to."),
    "expansion": N_(
        "Expected expansion MRR a month, as a fraction of the MRR of customers who stayed."
    ),
    "contraction": N_(
        "Expected contraction MRR a month, as a fraction of the MRR of customers who stayed."
    ),
    "arpa": N_("MRR per account (for new and starting customers)."),
    "accounts_per_csm": N_(
        "Accounts one customer-success manager covers (CS people cost = customers / this x "
        "cost per CSM)."
    ),
    "csm_cost": N_(
        "Monthly cost of one CSM: with the accounts per CSM, the CRC and ARR:CRC in the table."
    ),
}


def _slider(spec: _Spec, t: Translator | None = None) -> w.Widget:
    cls = w.IntSlider if spec.integer else w.FloatSlider
    kwargs = {} if spec.integer else {"readout_format": spec.fmt}
    _ = t or Translator()
    label = _(spec.label) + (" ~" if spec.dist is not None else "")
    tip = _(_HELP.get(spec.name, spec.label))
    if spec.dist is not None:
        tip += " " + _(
            "Uncertain: {dist}; the slider sets its median and the distribution moves with it.",
            dist=spec.dist.describe(),
        )
    return cls(
        value=spec.value,
        min=spec.lo,
        max=spec.hi,
        step=spec.step,
        description=label,
        tooltip=tip,
        continuous_update=True,
        style={"description_width": "160px"},
        layout=w.Layout(width="390px"),
        **kwargs,
    )


def parse_value(text: str, percent: bool) -> float:
    """What a person typed, as the number a slider takes.

    For a percentage field (churn, growth, expansion ...): ``2%`` is 2%; a bare number above 1 is read as
    percent (``2`` is 2%, ``12.5`` is 12.5%); a bare number up to 1 is read as a fraction (``0.02`` is 2%),
    except exactly ``1``, which is read as 1% (a 100% monthly rate is never what someone typing ``1`` means;
    write ``100%`` for that). Other fields take the number as written. Thousands separators (``40,000``)
    and full-width digits and percent signs (``２％``) are accepted.

    Raises
    ------
    ValueError
        When the text is not a number, naming the text.
    """
    import unicodedata

    raw = unicodedata.normalize("NFKC", str(text)).strip().replace(",", "").replace(" ", "")
    has_pct = raw.endswith("%")
    body = raw[:-1] if has_pct else raw
    try:
        x = float(body)
    except ValueError:
        raise ValueError(
            f"{text!r} is not a number; write e.g. 2%, 2 or 0.02"
            if percent
            else f"{text!r} is not a number"
        ) from None
    if not math.isfinite(x):
        raise ValueError(f"{text!r} is not a finite number")
    if has_pct or (percent and (x > 1 or x == 1)):
        return x / 100.0
    return x


def _shown(spec: _Spec, x: float) -> str:
    return f"{x:{spec.fmt}}" if not spec.integer else f"{round(x):,}"


class _ValueBox:
    """A text box beside a slider: it reads ``2%``, ``2`` or ``0.02`` (see :func:`parse_value`), moves the
    slider, shows the value it took and says so when the value was clamped to the slider's range."""

    def __init__(self, spec: _Spec, slider: w.Widget, t: Translator | None = None):
        self.spec, self.slider, self.t = spec, slider, t or Translator()
        self.percent = spec.fmt.endswith("%")
        self.text = w.Text(
            placeholder="2%, 2 or 0.02" if self.percent else self.t("type a value"),
            continuous_update=False,
            layout=w.Layout(width="110px"),
        )
        self.message = w.HTML("")
        self.text.observe(self._on_text, names="value")
        self.widget = w.HBox([slider, self.text, self.message])

    def _on_text(self, change) -> None:
        typed = change["new"]
        if not str(typed).strip():
            return
        self.enter(typed)

    def enter(self, typed: str) -> float | None:
        """Apply ``typed`` to the slider; return the value taken (None when unreadable)."""
        try:
            x = parse_value(typed, self.percent)
        except ValueError as e:
            msg = self.t("{text} is not a number; write e.g. 2%, 2 or 0.02", text=repr(typed))
            if not self.percent:
                msg = self.t("{text} is not a number", text=repr(typed))
            del e
            self.message.value = f"<small style='color:#b00'>{html.escape(msg)}</small>"
            return None
        lo, hi = self.slider.min, self.slider.max
        taken = min(max(x, lo), hi)
        if self.spec.integer:
            taken = round(taken)
        self.slider.value = taken
        taken = self.slider.value
        if not math.isclose(taken, x, rel_tol=1e-9, abs_tol=1e-12):
            msg = self.t(
                "{value} is outside {low}–{high}: set to {taken}",
                value=_shown(self.spec, x),
                low=_shown(self.spec, lo),
                high=_shown(self.spec, hi),
                taken=_shown(self.spec, taken),
            )
            self.message.value = f"<small style='color:#b00'>{html.escape(msg)}</small>"
        else:
            msg = self.t("set to {taken}", taken=_shown(self.spec, taken))
            self.message.value = f"<small>{html.escape(msg)}</small>"
        return taken


# -- the explorer ----------------------------------------------------------------------------------------

_KPIS = (
    "ARR, median",
    "ARR, P10",
    "ARR, P90",
    "P(ARR grows)",
    "Customers, median",
    "NRR 12m, median",
    "GRR 12m, median",
    "LTV:CAC, median",
    "ARR:CRC, median",
)


def _kpis(r: SimulationResult) -> dict[str, float]:
    t = r.horizon
    arr = r["arr"]
    a = arr[:, t]
    p10, p50, p90 = np.quantile(a, (0.1, 0.5, 0.9))
    with np.errstate(all="ignore"):

        def med(metric):
            col = r[metric][:, t]
            col = col[np.isfinite(col)]
            return float(np.median(col)) if col.size else math.nan

        return {
            "ARR, median": p50,
            "ARR, P10": p10,
            "ARR, P90": p90,
            "P(ARR grows)": float(np.mean(a > arr[:, 0])),
            "Customers, median": float(np.median(r["customers"][:, t])),
            "NRR 12m, median": med("nrr") if t >= 12 else math.nan,
            "GRR 12m, median": med("grr") if t >= 12 else math.nan,
            "LTV:CAC, median": med("ltv_cac"),
            "ARR:CRC, median": med("arr_crc"),
        }


def _fmt(kpi: str, x: float) -> str:
    if not np.isfinite(x):
        return "n/a"
    if kpi.startswith(("P(", "NRR", "GRR")):
        return f"{x:.1%}"
    if kpi.startswith(("LTV:CAC", "ARR:CRC")):
        return f"{x:.1f}"
    if kpi.startswith("Customers"):
        return f"{x:,.0f}"
    return _money(x)


def _fmt_change(kpi: str, now: float, then: float) -> str:
    if not (np.isfinite(now) and np.isfinite(then)):
        return ""
    d = now - then
    if kpi.startswith(("P(", "NRR", "GRR")):
        return f"{d * 100:+.1f} pts"
    if then == 0:
        return f"{d:+,.3g}"
    return f"{d / abs(then):+.1%}"


class Explorer:
    """Interactive what-if explorer for a scenario (display it in a notebook).

    Parameters
    ----------
    scenario : path or Scenario, optional
        A scenario YAML file (default :data:`DEFAULT_SCENARIO`) or a :class:`Scenario`.
    paths : int
        Paths for **Run full** (the paths box starts here).
    seed : int
        Seed for every run; common random numbers make slider moves show signal, not noise.
    preview_paths : int
        Paths for the recompute after each slider move.
    workers : int, optional
        Worker processes for runs longer than one block of 1,000 paths (default: the CPU count; 1 runs
        in this process). Numbers do not depend on it.

    Attributes
    ----------
    scenario : Scenario
        The scenario as the controls set it now; ``base`` is the one loaded.
    result, baseline : SimulationResult
        The latest run of ``scenario`` and the run of ``base`` on the same seed and paths.
    kpis : pandas.DataFrame
        The KPI table at the horizon: columns ``kpi, file, now, change``.
    controls : dict
        ``controls[segment][name]`` is a slider; names: growth, churn, onboarding, onboarding_months,
        expansion, contraction, arpa, accounts_per_csm, csm_cost (those the segment has).
    timings : dict
        Seconds spent in the last update: ``simulate``, ``kpis``, ``draw``, ``total``.
    """

    def __init__(
        self,
        scenario: str | os.PathLike | Scenario | None = None,
        paths: int = 10_000,
        seed: int = 42,
        preview_paths: int = 2_000,
        workers: int | None = None,
        lang: str | None = None,
    ):
        self.t = Translator(lang or "en")  # slider labels and the text boxes' messages
        self.source: Path | None = None
        if isinstance(scenario, Scenario):
            self.base = scenario
        else:
            self.source = _find(scenario)
            self.base = load_scenario(self.source)
        self.scenario = self.base
        self.preview_paths = int(preview_paths)
        self.workers = (os.cpu_count() or 1) if workers is None else int(workers)
        self._pool: Executor | None = None
        self._baseline_key: tuple | None = None
        self._baseline_kpis: tuple = (None, {})
        self.baseline: SimulationResult | None = None
        self.result: SimulationResult | None = None
        self.kpis = pd.DataFrame(columns=["kpi", "file", "now", "change"])
        self.timings: dict[str, float] = {}
        self._last_run: tuple | None = None
        #: whether :attr:`result` is a full run (**Run full**) rather than a slider's preview
        self.full_run = False
        self._quiet = False
        self._build_controls(paths, seed)
        self._figure = _Chart(self.base.currency, self.t.lang)
        self.update()

    # -- widgets --------------------------------------------------------------------------------------
    def _build_controls(self, paths: int, seed: int) -> None:
        self.controls: dict[str, dict[str, w.Widget]] = {}
        self._specs: dict[str, dict[str, _Spec]] = {}
        pages, notes = [], []
        self.value_boxes: dict[str, dict[str, _ValueBox]] = {}
        for seg in self.base.segments:
            specs, fixed = _specs(seg)
            self._specs[seg.name] = {s.name: s for s in specs}
            self.controls[seg.name] = {s.name: _slider(s, self.t) for s in specs}
            self.value_boxes[seg.name] = {
                s.name: _ValueBox(s, self.controls[seg.name][s.name], self.t) for s in specs
            }
            uncertain = [
                f"{self.t(s.label)}: {s.dist.describe()}"
                for k, s in self._specs[seg.name].items()
                if s.dist is not None
            ]
            _ = self.t
            extra = (
                [
                    "<b>~ "
                    + html.escape(_("uncertain"))
                    + "</b>"
                    + html.escape(
                        _(
                            ", the slider sets the median: {inputs}",
                            inputs="; ".join(uncertain),
                        )
                    )
                ]
                if uncertain
                else []
            ) + (
                [
                    html.escape(
                        _("Fixed (edit the YAML): {fields}", fields="、".join(map(_, fixed)))
                        if _.lang == "ja"
                        else _("Fixed (edit the YAML): {fields}", fields=", ".join(fixed))
                    )
                ]
                if fixed
                else []
            )
            note = w.HTML("<br>".join(f"<small>{x}</small>" for x in extra))
            notes.append(note)
            boxes = [b.widget for b in self.value_boxes[seg.name].values()]
            pages.append(w.VBox([*boxes, note]))
        self._notes = notes
        # Without an onboarding block in the file, onboarding churn *is* the monthly churn: its slider
        # follows the churn slider until it is moved itself.
        self._follow = {
            seg: "onboarding" in specs and specs["onboarding"].path is None and "churn" in specs
            for seg, specs in self._specs.items()
        }
        for seg, sliders in self.controls.items():
            for name, s in sliders.items():
                s.observe(
                    lambda change, seg=seg, name=name: self._on_change(change, seg, name),
                    names="value",
                )
        if len(pages) > 1:
            self.segment_tabs: w.Widget = w.Tab(children=pages, titles=self.base.segment_names)
        else:
            self.segment_tabs = pages[0]
        _ = self.t
        wide = {"style": {"description_width": "160px"}, "layout": w.Layout(width="390px")}
        self.horizon = w.IntSlider(
            value=self.base.horizon_months,
            min=6,
            max=max(120, self.base.horizon_months),
            step=6,
            description=_("Horizon (months)"),
            continuous_update=False,
            **wide,
        )
        self.seed = w.BoundedIntText(
            value=seed, min=0, max=2**63 - 1, description=_("Seed"), **wide
        )
        self.paths = w.BoundedIntText(
            value=paths,
            min=100,
            max=1_000_000,
            step=1000,
            description=_("Paths (full run)"),
            **wide,
        )
        self.horizon.observe(self._on_change, names="value")
        self.seed.observe(self._on_change, names="value")
        self.run_button = w.Button(
            description=_("Run full"),
            button_style="primary",
            icon="play",
            tooltip=_(
                "Rerun with the paths box (the sliders preview with {paths} paths)",
                paths=fm.count(self.preview_paths, self.t.lang),
            ),
        )
        self.reset_button = w.Button(description=_("Reset to file"), icon="undo")
        self.run_button.on_click(lambda _: self.update(full=True))
        self.reset_button.on_click(lambda _: self.reset())
        default = (
            self.source.with_name(self.source.stem + "-edited.yaml")
            if self.source
            else Path("scenario-edited.yaml")
        )
        self.save_path = w.Text(
            value=str(default), description=_("Save as"), layout=w.Layout(width="520px")
        )
        self.overwrite = w.Checkbox(
            value=False, description=_("Overwrite an existing file"), indent=False
        )
        self.save_button = w.Button(
            description=_("Save scenario YAML"), icon="save", layout=w.Layout(width="auto")
        )
        self.save_button.on_click(lambda _: self.save())
        self.save_status = w.HTML()
        self.status = w.HTML()
        self.chart = w.Image(format="png", layout=w.Layout(width="920px", max_width="100%"))
        self.kpi_table = w.HTML()
        title = html.escape(self.base.name) + (
            f" <small>({html.escape(str(self.source))})</small>" if self.source else ""
        )
        left = w.VBox(
            [
                self.segment_tabs,
                self.horizon,
                self.seed,
                self.paths,
                w.HBox([self.run_button, self.reset_button]),
            ],
            layout=w.Layout(min_width="420px"),
        )
        right = w.VBox([self.kpi_table, self.status], layout=w.Layout(margin="0 0 0 24px"))
        self.widget = w.VBox(
            [
                w.HTML(f"<h3 style='margin:4px 0'>{title}</h3>"),
                w.HBox([left, right]),
                self.chart,
                w.HBox([self.save_path, self.overwrite, self.save_button]),
                self.save_status,
            ]
        )

    def _repr_mimebundle_(self, **kwargs):
        bundle = self.widget._repr_mimebundle_(**kwargs)
        data = bundle[0] if isinstance(bundle, tuple) else bundle
        if isinstance(data, dict):  # a static render (nbconvert, papermill) shows this text
            data["text/plain"] = self.summary()
        return bundle

    def summary(self) -> str:
        """What the explorer shows, as plain text in its language: the scenario, the last run (status
        line) and the notes under the sliders; what a static render of a notebook shows instead of the
        live widget."""
        import re

        def plain(value: str) -> str:
            return html.unescape(re.sub(r"<[^>]+>", "", value.replace("<br>", "\n"))).strip()

        lines = [self.base.name, plain(self.status.value)]
        lines += [plain(n.value) for n in self._notes if n.value]
        return "\n".join(x for x in lines if x)

    # -- state ----------------------------------------------------------------------------------------
    def changes(self) -> dict[str, Any]:
        """The edits to the loaded scenario, as :meth:`Scenario.replace` takes them."""
        out: dict[str, Any] = {}
        for i, seg in enumerate(self.base.segments):
            specs = self._specs[seg.name]
            values = {k: _read(specs[k], s.value) for k, s in self.controls[seg.name].items()}
            if self._follow[seg.name]:  # onboarding untouched: no onboarding block
                values["onboarding"] = specs["onboarding"].value
                values["onboarding_months"] = specs["onboarding_months"].value
            out.update(_segment_changes(i, seg, specs, values))
        if self.horizon.value != self.base.horizon_months:
            out["horizon_months"] = int(self.horizon.value)
        return out

    def _on_change(self, _change=None, segment: str | None = None, name: str | None = None) -> None:
        if self._quiet:
            return
        if segment is not None and self._follow[segment]:
            ctrl, specs = self.controls[segment], self._specs[segment]
            churn = _read(specs["churn"], ctrl["churn"].value)
            if name == "churn":
                self._quiet = True
                try:
                    ctrl["onboarding"].value = churn
                finally:
                    self._quiet = False
            elif name == "onboarding_months" and ctrl[name].value != specs[name].value:
                self._follow[segment] = False
            elif name == "onboarding" and _read(specs[name], ctrl[name].value) != churn:
                self._follow[segment] = False
        self.update()

    def reset(self) -> None:
        """Every control back to the file's value (one recompute)."""
        self._quiet = True
        try:
            for seg in self.base.segments:
                for k, s in self.controls[seg.name].items():
                    s.value = self._specs[seg.name][k].value
            self.horizon.value = self.base.horizon_months
            self._follow = {
                seg: "onboarding" in specs and specs["onboarding"].path is None and "churn" in specs
                for seg, specs in self._specs.items()
            }
        finally:
            self._quiet = False
        self.update()

    # -- running --------------------------------------------------------------------------------------
    def _executor(self, paths: int) -> Executor | None:
        if self.workers <= 1 or paths <= BLOCK_PATHS:
            return None
        if self._pool is None:
            self._pool = _Hybrid(
                ProcessPoolExecutor(
                    min(self.workers, 8) - 1,
                    mp_context=get_context("forkserver"),
                    initializer=_ignore_interrupts,
                )
            )
        self._pool.inline_next = True
        return self._pool

    def _simulate(self, scenario: Scenario, paths: int) -> SimulationResult:
        seed = int(self.seed.value)
        try:
            return simulate(scenario, paths=paths, seed=seed, executor=self._executor(paths))
        except BrokenProcessPool:
            # Worker processes could not start (a script without an ``if __name__ == "__main__"``
            # guard, say): run in this process from now on. The numbers are the same.
            self._pool, self.workers = None, 1
            return simulate(scenario, paths=paths, seed=seed)

    def update(self, full: bool = False) -> SimulationResult | None:
        """Apply the controls, simulate (preview or full) on the fixed seed, redraw chart and KPIs."""
        t0 = time.perf_counter()
        try:
            changes = self.changes()
            scenario = self.base.replace(
                {**changes, **_saved_identity(self.base, changes, self.source)}
            )
        except (ScenarioError, KeyError, ValueError) as e:
            _ = self.t
            why = html.escape(f"{_('Not a valid scenario:')} {self._error_text(e)}")
            self.status.value = f"<span style='color:#b00'>{why}</span>"
            return None
        paths = int(self.paths.value) if full else self.preview_paths
        run = (scenario, int(self.seed.value), paths)
        if run == self._last_run:
            # nothing changed (the browser echoing a value, say): no recompute. A full run asked
            # for with as many paths as the preview has its numbers already: mark them as full.
            if full and not self.full_run:
                self.full_run = True
                self.status.value = f"<small>{html.escape(self._status_text(True, paths))}</small>"
            return self.result
        key = (scenario.horizon_months, int(self.seed.value), paths)
        if self._baseline_key != key:
            base = (
                self.base
                if scenario.horizon_months == self.base.horizon_months
                else self.base.replace({"horizon_months": scenario.horizon_months})
            )
            self.baseline, self._baseline_key = self._simulate(base, paths), key
        self.scenario = scenario
        self.result = self._simulate(scenario, paths)
        self._last_run, self.full_run = run, full
        t1 = time.perf_counter()
        if self._baseline_kpis[0] is not self.baseline:
            self._baseline_kpis = (self.baseline, _kpis(self.baseline))
        now, then = _kpis(self.result), self._baseline_kpis[1]
        self.kpis = pd.DataFrame(
            {"kpi": list(_KPIS), "file": [then[k] for k in _KPIS], "now": [now[k] for k in _KPIS]}
        )
        self.kpis["change"] = self.kpis["now"] - self.kpis["file"]
        self.kpi_table.value = self._kpi_html(now, then)
        t2 = time.perf_counter()
        self.chart.value = self._figure.draw(self.result, self.baseline)
        t3 = time.perf_counter()
        self.timings = {"simulate": t1 - t0, "kpis": t2 - t1, "draw": t3 - t2, "total": t3 - t0}
        self.status.value = f"<small>{html.escape(self._status_text(full, paths))}</small>"
        return self.result

    def _status_text(self, full: bool, paths: int) -> str:
        """The line under the KPI table: what ran, how long it took, what the grey line is."""
        _, lang = self.t, self.t.lang
        values = {
            "paths": fm.count(paths, lang),
            "months": self.scenario.horizon_months,
            "seed": self.seed.value,
            "ms": fm.count(round(1000 * self.timings["total"]), lang),
            "simulate": fm.count(round(1000 * self.timings["simulate"]), lang),
            "draw": fm.count(round(1000 * self.timings["draw"]), lang),
        }
        if full:
            return _(
                "Full run: {paths} paths x {months} months, seed {seed}, common random numbers; "
                "computed in {ms} ms (simulate {simulate}, draw {draw}). Grey: the scenario as in "
                "its file, same seed.",
                **values,
            )
        return _(
            "Preview: {paths} paths x {months} months, seed {seed}, common random numbers; "
            "computed in {ms} ms (simulate {simulate}, draw {draw}). Grey: the scenario as in its "
            "file, same seed.",
            **values,
        )

    def _error_text(self, e: Exception) -> str:
        """An edit the scenario refuses, in the explorer's language (file, field and value named)."""
        from ..words.errors_text import scenario_error_text, translate_message

        if isinstance(e, ScenarioError):
            return scenario_error_text(e, self.t.lang)
        return translate_message(str(e).strip("'\""), self.t.lang)

    def _kpi_html(self, now: dict, then: dict) -> str:
        t = self.result.horizon
        cur = html.escape(self.base.currency)
        if self.t.lang != "en":
            return self._kpi_html_translated(now, then)
        rows = "".join(
            f"<tr><td style='text-align:left'>{html.escape(k)}</td><td>{_fmt(k, then[k])}</td>"
            f"<td><b>{_fmt(k, now[k])}</b></td><td>{_fmt_change(k, now[k], then[k])}</td></tr>"
            for k in _KPIS
        )
        return (
            f"<table style='font-size:12px'><caption style='text-align:left'>At month {t} "
            f"({cur})</caption><tr><th></th><th>File</th><th>Now</th><th>Change</th></tr>{rows}</table>"
        )

    def kpi_view(self) -> pd.DataFrame:
        """The KPI table as people read it, in the explorer's language: names and formatted numbers.

        One row per KPI of :attr:`kpis` (``File``, ``Now``, ``Change`` at the horizon), money in
        ``3.52億円`` / ``¥352M``, probabilities in percent, changes in points or percent.
        """
        _ = self.t
        value, change = self._formatters()
        rows = [
            [_(k), value(k, r.file), value(k, r.now), change(k, r.now, r.file)]
            for k, r in zip(self.kpis["kpi"], self.kpis.itertuples(), strict=True)
        ]
        columns = [
            _("At month {month}", month=self.result.horizon),
            _("File"),
            _("Now"),
            _("Change"),
        ]
        return pd.DataFrame(rows, columns=columns)

    def _formatters(self):
        """``value(kpi, x)`` and ``change(kpi, now, then)`` as text in the explorer's language."""
        from ..words import formatting as f

        lang, cur = self.t.lang, self.base.currency

        def value(k: str, x: float) -> str:
            if k.startswith(("P(", "NRR", "GRR")):
                return f.percent(x, lang)
            if k.startswith(("LTV:CAC", "ARR:CRC")):
                return f"{f.number(x, lang, 1)}:1" if np.isfinite(x) else "–"
            if k.startswith("Customers"):
                return f.count(x, lang)
            return f.money(x, cur, lang)

        def change(k: str, a: float, b: float) -> str:
            if not (np.isfinite(a) and np.isfinite(b)):
                return ""
            if k.startswith(("P(", "NRR", "GRR")):
                return f.points(a - b, lang)
            return f.percent((a - b) / abs(b), lang, sign=True) if b else ""

        return value, change

    def _kpi_html_translated(self, now: dict, then: dict) -> str:
        """The KPI table in ``self.t``'s language, numbers through :mod:`cssim.words.formatting`."""
        tr = self.t
        value, change = self._formatters()
        rows = "".join(
            f"<tr><td style='text-align:left'>{html.escape(tr(k))}</td>"
            f"<td>{html.escape(value(k, then[k]))}</td><td><b>{html.escape(value(k, now[k]))}</b></td>"
            f"<td>{html.escape(change(k, now[k], then[k]))}</td></tr>"
            for k in _KPIS
        )
        caption = html.escape(tr("At month {month}", month=self.result.horizon))
        head = "".join(f"<th>{html.escape(tr(x))}</th>" for x in ("File", "Now", "Change"))
        return (
            f"<table style='font-size:12px'><caption style='text-align:left'>{caption}</caption>"
            f"<tr><th></th>{head}</tr>{rows}</table>"
        )

    # -- saving ---------------------------------------------------------------------------------------
    def save(
        self, path: str | os.PathLike | None = None, overwrite: bool | None = None
    ) -> Path | None:
        """Write the current settings as a scenario YAML (atomically); refuse to replace a file unless
        ``overwrite`` (the checkbox) says so. Returns the path written, or None."""
        target = Path(path if path is not None else self.save_path.value).expanduser()
        overwrite = self.overwrite.value if overwrite is None else overwrite
        _ = self.t
        if not target.name:
            self.save_status.value = (
                f"<span style='color:#b00'>{html.escape(_('Give a file name to save to.'))}</span>"
            )
            return None
        is_source = self.source is not None and target.resolve() == self.source.resolve()
        if target.exists() and not overwrite:
            if is_source:
                msg = _(
                    "Not saved: {file} is the scenario this explorer opened. Choose another name "
                    "or tick overwrite.",
                    file=target,
                )
            else:
                msg = _(
                    "Not saved: {file} is an existing file. Choose another name or tick overwrite.",
                    file=target,
                )
            self.save_status.value = f"<span style='color:#b00'>{html.escape(msg)}</span>"
            return None
        try:
            changes = self.changes()
            scenario = self.base.replace(
                {**changes, **_saved_identity(self.base, changes, self.source)}
            )
        except (ScenarioError, KeyError, ValueError) as e:
            msg = _("Not saved: {error}", error=self._error_text(e))
            self.save_status.value = f"<span style='color:#b00'>{html.escape(msg)}</span>"
            return None
        text = scenario.to_yaml()
        _atomic(target, lambda p: Path(p).write_text(text, encoding="utf-8"))  # usual permissions
        self.save_status.value = html.escape(_("Saved to {file}", file="\0")).replace(
            "\0", f"<code>{html.escape(str(target.resolve()))}</code>"
        )
        return target

    def close(self) -> None:
        """Stop the worker processes and close the widgets."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
        _close(self.widget)

    def __del__(self):
        pool = getattr(self, "_pool", None)
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)


class _Inline(Future):
    """A future computed in the calling thread when its result is first asked for."""

    def __init__(self, fn, args, kwargs):
        super().__init__()
        self._call = (fn, args, kwargs)

    def result(self, timeout=None):
        if self._call is not None:
            fn, args, kwargs = self._call
            self._call = None
            try:
                self.set_result(fn(*args, **kwargs))
            except BaseException as e:
                self.set_exception(e)
        return super().result(timeout)


def _ignore_interrupts() -> None:
    """Worker initializer: leave Ctrl-C and a kernel's interrupt to the parent, which shuts the pool
    down; a worker that took the SIGINT would print a KeyboardInterrupt traceback into the log."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _saved_identity(base: Scenario, changes: dict[str, Any], source: Path | None) -> dict[str, str]:
    """``name`` and ``description`` for a saved scenario that say what was changed from ``base``.

    ``{"name": "<base name> (edited)", "description": "Edited in the explorer from <file>:
    <path> <old> -> <new>; ... Before: <base description>"}``; nothing when nothing changed.
    """
    if not changes:
        return {}
    before = base.to_dict()

    def old(path: str) -> Any:
        node: Any = before
        for part in path.split("."):
            try:
                node = node[int(part)] if isinstance(node, list) else node[part]
            except (KeyError, IndexError, ValueError, TypeError):
                return "none"
        return node

    def show(v: Any) -> str:
        if isinstance(v, float):
            return f"{v:.6g}"
        if isinstance(v, dict):
            return "{" + ", ".join(f"{k}: {show(x)}" for k, x in v.items()) + "}"
        return str(v)

    def label(path: str) -> str:
        parts = path.split(".")
        if len(parts) > 2 and parts[0] == "segments" and parts[1].isdigit():
            i = int(parts[1])
            if i < len(base.segments):
                return f"{base.segments[i].name}: {'.'.join(parts[2:])}"
        return path

    edits = "; ".join(f"{label(k)} {show(old(k))} -> {show(v)}" for k, v in sorted(changes.items()))
    where = f" from {source.name}" if source is not None else ""
    text = f"Edited in the explorer{where}: {edits}."
    if base.description:
        text += f" Before: {base.description}"
    return {"name": f"{base.name} (edited)", "description": text}


class _Hybrid(Executor):
    """Worker processes plus this one: the first block of each run is computed here while the workers
    run the others, so a 2-block run on 2 cores needs one worker and ships one block's arrays."""

    def __init__(self, pool: ProcessPoolExecutor):
        self.pool = pool
        self.inline_next = False

    def submit(self, fn, /, *args, **kwargs):
        if self.inline_next:
            self.inline_next = False
            return _Inline(fn, args, kwargs)
        return self.pool.submit(fn, *args, **kwargs)

    def shutdown(self, wait=True, *, cancel_futures=False):
        self.pool.shutdown(wait=wait, cancel_futures=cancel_futures)


def _close(widget: w.Widget) -> None:
    for child in getattr(widget, "children", ()):
        _close(child)
    widget.close()


def _find(scenario: str | os.PathLike | None) -> Path:
    if scenario is not None:
        return Path(scenario)
    here = Path(DEFAULT_SCENARIO)
    if here.exists():
        return here
    project = Path(__file__).resolve().parents[2] / DEFAULT_SCENARIO
    return project if project.exists() else here


# -- the chart: one figure, updated in place ---------------------------------------------------------------

_COLORS = {
    "band": "#4C72B0",
    "base": "#888888",
    "start": "#6C7A89",
    "new": "#2E8B57",
    "expansion": "#7FBF7F",
    "contraction": "#E8A33D",
    "churned": "#C0392B",
    "end": "#4C72B0",
}


class _Chart:
    """ARR and customer fans (P10-P90 around the median, file scenario dashed) and the MRR bridge.

    One figure, updated in place and blitted: axes, ticks and titles are rendered once per set of axis
    limits (limits snap to a coarse grid, so most slider moves keep them) and cached as pixels; each update
    restores those pixels, draws only the lines, bands, bars and labels, and encodes PNG bytes.
    """

    def __init__(self, currency: str, lang: str = "en"):
        from ..words.fonts import use_fonts

        use_fonts()  # Japanese titles and names render (IPAexGothic after the Latin font)
        _ = self._ = Translator(lang)
        self.money = _money if _.lang == "en" else (lambda v: fm.money(v, currency, lang))
        # Fixed margins: a layout engine would measure every tick label on every redraw.
        self.fig = Figure(figsize=(11.5, 3.5), dpi=80)
        self.fig.subplots_adjust(left=0.065, right=0.99, bottom=0.14, top=0.91, wspace=0.22)
        self.canvas = FigureCanvasAgg(self.fig)
        self.ax_arr, self.ax_cust, self.ax_wf = self.fig.subplots(1, 3, width_ratios=(1, 1, 1.15))
        self.dynamic: list = []
        self.fans: dict[str, dict[str, Any]] = {}
        for ax, metric, title in (
            (self.ax_arr, "arr", _("ARR ({currency})", currency=currency)),
            (self.ax_cust, "customers", _("Customers")),
        ):
            ax.set_title(title, fontsize=11, loc="left")
            ax.set_xlabel(_("month"))
            ax.grid(alpha=0.3)
            band = ax.fill_between(
                [0, 1],
                [0, 0],
                [0, 0],
                color=_COLORS["band"],
                alpha=0.22,
                lw=0,
                label=_("now, P10-P90"),
            )
            (base,) = ax.plot(
                [], [], color=_COLORS["base"], lw=1.3, ls="--", label=_("file, median")
            )
            (med,) = ax.plot([], [], color=_COLORS["band"], lw=2, label=_("now, median"))
            self.fans[metric] = {"ax": ax, "band": band, "base": base, "median": med}
            self.dynamic += [band, base, med]
        self.ax_arr.yaxis.set_major_formatter(FuncFormatter(lambda x, _pos: self.money(x)))
        self.ax_cust.yaxis.set_major_formatter(FuncFormatter(lambda x, _pos: f"{x:,.0f}"))
        self.legend = self.ax_arr.legend(
            loc="lower left", fontsize=8, frameon=True, framealpha=0.8, edgecolor="none"
        )
        self.ax_wf.yaxis.set_major_formatter(FuncFormatter(lambda x, _pos: self.money(x)))
        self.ax_wf.grid(axis="y", alpha=0.3)
        self.labels = ["start", "new", "expansion", "contraction", "churned", "end"]
        self.bars = list(self.ax_wf.bar(range(6), [0] * 6, color=[_COLORS[k] for k in self.labels]))
        self.ax_wf.set_xticks(
            range(6),
            [_("Start"), _("+ New"), _("+ Exp."), _("- Contr."), _("- Churn"), _("End")],
            fontsize=9,
        )
        self.texts = [
            self.ax_wf.text(i, 0, "", ha="center", va="bottom", fontsize=8) for i in range(6)
        ]
        self.dynamic += [*self.bars, *self.texts, self.legend]
        for a in self.dynamic:
            a.set_animated(True)
        self._background = None
        self._key: tuple | None = None
        self._base_medians: dict[str, tuple] = {}

    def _fan(self, r: SimulationResult, base: SimulationResult, metric: str) -> float:
        fan = self.fans[metric]
        q10, q50, q90 = np.quantile(r[metric], (0.1, 0.5, 0.9), axis=0)
        if self._base_medians.get(metric, (None,))[0] is not base:
            self._base_medians[metric] = (base, np.quantile(base[metric], 0.5, axis=0))
        b50 = self._base_medians[metric][1]
        m = r.months.astype(float)
        fan["median"].set_data(m, q50)
        fan["base"].set_data(base.months, b50)
        fan["band"].set_verts([np.column_stack([np.r_[m, m[::-1]], np.r_[q10, q90[::-1]]])])
        return _nice_top(1.04 * max(q90.max(), b50.max()))

    def draw(self, r: SimulationResult, base: SimulationResult) -> bytes:
        """Update the artists for this result and return the figure as PNG bytes."""
        top_arr = self._fan(r, base, "arr")
        top_cust = self._fan(r, base, "customers")
        t = slice(1, r.horizon + 1)
        start = float(np.mean(r["mrr"][:, 0]))
        flows = [
            float(np.mean(r[m][:, t].sum(1)))
            for m in ("new_mrr", "expansion_mrr", "contraction_mrr", "churned_mrr")
        ]
        end = float(np.mean(r["mrr"][:, -1]))
        level, tops = start, [start]
        for bar, sign, f in zip(self.bars[1:5], (1, 1, -1, -1), flows, strict=True):
            lo = level if sign > 0 else level - f
            bar.set_y(lo)
            bar.set_height(f)
            level += sign * f
            tops.append(lo + f)
        self.bars[0].set_height(start)
        self.bars[5].set_height(end)
        tops.append(end)
        for i, (txt, v) in enumerate(zip(self.texts, [start, *flows, end], strict=True)):
            txt.set_position((i, tops[i]))
            txt.set_text(self.money(v))
        key = (r.horizon, top_arr, top_cust, _nice_top(1.08 * max(tops)))
        if key != self._key:  # new limits: render the static parts once and keep their pixels
            for ax in (self.ax_arr, self.ax_cust):
                ax.set_xlim(0, r.horizon)
            self.ax_arr.set_ylim(0, top_arr)
            self.ax_cust.set_ylim(0, top_cust)
            self.ax_wf.set_ylim(0, key[3])
            self.ax_wf.set_title(
                self._("MRR bridge, month 0 to {month} (mean of paths)", month=r.horizon),
                fontsize=11,
                loc="left",
            )
            self.canvas.draw()
            self._background = self.canvas.copy_from_bbox(self.fig.bbox)
            self._key = key
        else:
            self.canvas.restore_region(self._background)
        for a in self.dynamic:
            a.axes.draw_artist(a)
        rgba = np.asarray(self.canvas.buffer_rgba())
        buf = io.BytesIO()
        PIL.Image.fromarray(rgba[..., :3]).save(buf, format="png", compress_level=1)
        return buf.getvalue()


def _nice_top(x: float) -> float:
    """A round axis top at or above ``x`` on a coarse grid (1, 1.2, 1.5, 2, 2.5, ... 8 x 10^k)."""
    if not np.isfinite(x) or x <= 0:
        return 1.0
    mag = 10.0 ** math.floor(math.log10(x))
    return next(m * mag for m in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 7, 8, 10) if m * mag >= x)
