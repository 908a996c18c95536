"""The explorer's controls: for each segment, sliders and their text boxes for what strategists argue
about, built from the scenario (:mod:`.slider_specs`), labelled in the reader's language, with notes on
what is uncertain and what stays fixed.

Uncertain parameters (distributions) keep their uncertainty: the slider shows the distribution's median and
moving it relocates the whole distribution. Each path keeps its own uniform draw, so with common random
numbers a path's world moves smoothly with the slider. Parameters the explorer cannot move
(shifted-beta-geometric churn, seat counts) are listed as fixed: edit the YAML.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ipywidgets as w

from ..model.scenario import Segment
from ..words.i18n import N_, Translator
from ..words.labels import parameter_label
from ._text import notes
from .slider_specs import FIXED, Spec, read, segment_changes, segment_specs
from .value_box import ValueBox

__all__ = ["WIDE", "SegmentControls", "slider"]

#: the width of a slider and of its label, which the explorer's own controls share; a slider never
#: shrinks below it (inside a segment tab, flex shrinking left it no track to drag)
WIDE: dict[str, Any] = {
    "style": {"description_width": "228px"},
    "layout": {"width": "460px", "flex": "0 0 auto"},
}

_HELP = {
    "growth": N_(
        "New customers: annual rate relative to the base (monthly (1+g)^(1/12)-1), or a monthly count."
    ),
    "count_growth": N_(
        "How much the monthly count of new customers grows each month (0: no growth, at the median "
        "where the growth is uncertain)."
    ),
    "endurance": N_(
        "The share of that growth kept each year: 100% keeps it for ever, 80% lets it fade to 80% "
        "of itself a year on, 0% stops it at once. A business that keeps 80% of its own growth rate "
        "a year keeps less of its new customers' growth, often a third to a half."
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
    "csms": N_(
        "CSMs on the team (a fixed headcount): coverage is their hours over the customers at the "
        "start of each month."
    ),
    "new_healthy": N_(
        "Share of new customers who start in the healthiest usage state (onboarding quality); the "
        "other states share the rest in proportion."
    ),
}


def slider(spec: Spec, t: Translator | None = None) -> w.Widget:
    """The slider of ``spec``, labelled in ``t``'s language (``~`` marks an uncertain parameter), its
    tooltip saying what the parameter is and, when uncertain, its distribution."""
    cls = w.IntSlider if spec.integer else w.FloatSlider
    kwargs = {} if spec.integer else {"readout_format": spec.fmt}
    _ = t or Translator()
    label = _(spec.label) + (" ~" if spec.uncertain is not None else "")
    tip = _(_HELP.get(spec.name, spec.label))
    if spec.uncertain is not None:
        tip += " " + _(
            "Uncertain: {dist}; the slider sets its median and the distribution moves with it.",
            dist=spec.uncertain.describe(),
        )
    return cls(
        value=spec.value,
        min=spec.lo,
        max=spec.hi,
        step=spec.step,
        description=label,
        tooltip=tip,
        continuous_update=True,
        **WIDE,
        **kwargs,
    )


class SegmentControls:
    """The sliders, text boxes and notes of one segment, and the edits they make to the scenario.

    Without an onboarding block in the file, onboarding churn *is* the monthly churn: its slider follows
    the churn slider until it is moved itself.

    Parameters
    ----------
    index, segment
        The segment and its place in the scenario.
    t : Translator
        The reader's language.
    currency : str
        Of the money sliders' messages.
    on_change : callable
        Called after every move the reader makes (not after :meth:`reset` nor the follow rule).

    Attributes
    ----------
    specs, sliders, boxes : dict
        By slider name (growth, count_growth, endurance, churn, onboarding, onboarding_months,
        expansion, contraction, arpa, accounts_per_csm, csm_cost, csms, new_healthy: those the
        segment has).
    note : ipywidgets.HTML
        What is uncertain and what stays fixed.
    page : ipywidgets.VBox
        All of it, one slider and its box a line.
    """

    def __init__(
        self,
        index: int,
        segment: Segment,
        t: Translator,
        currency: str,
        on_change: Callable[[], None],
    ):
        self.index, self.segment, self._on_change = index, segment, on_change
        specs, fixed = segment_specs(segment)
        self.specs = {s.name: s for s in specs}
        self.sliders = {s.name: slider(s, t) for s in specs}
        self.boxes = {s.name: ValueBox(s, self.sliders[s.name], t, currency) for s in specs}
        self.note = w.HTML(notes(_notes(specs, fixed, t)))
        self.page = w.VBox([*(b.widget for b in self.boxes.values()), self.note])
        self.follow = self._follows()
        self._quiet = False
        for name, s in self.sliders.items():
            s.observe(lambda _change, name=name: self._moved(name), names="value")

    def _follows(self) -> bool:
        s = self.specs
        return "onboarding" in s and s["onboarding"].path is None and "churn" in s

    def values(self) -> dict[str, float]:
        """The sliders' values (browser noise removed); onboarding at the file's while it follows."""
        values = {k: read(self.specs[k], s.value) for k, s in self.sliders.items()}
        if self.follow:  # onboarding untouched: no onboarding block
            values["onboarding"] = self.specs["onboarding"].value
            values["onboarding_months"] = self.specs["onboarding_months"].value
        return values

    def changes(self) -> dict[str, Any]:
        """The segment's edits, as :meth:`cssim.Scenario.replace` takes them."""
        return segment_changes(self.index, self.segment, self.specs, self.values())

    def _moved(self, name: str) -> None:
        if self._quiet:
            return
        if self.follow:
            ctrl, specs = self.sliders, self.specs
            churn = read(specs["churn"], ctrl["churn"].value)
            if name == "churn":
                self._quiet = True
                try:
                    ctrl["onboarding"].value = churn
                finally:
                    self._quiet = False
            elif name == "onboarding_months" and ctrl[name].value != specs[name].value:
                self.follow = False
            elif name == "onboarding" and read(specs[name], ctrl[name].value) != churn:
                self.follow = False
        self._on_change()

    def reset(self) -> None:
        """Every slider back to the file's value, quietly (no ``on_change``)."""
        self._quiet = True
        try:
            for k, s in self.sliders.items():
                s.value = self.specs[k].value
            self.follow = self._follows()
        finally:
            self._quiet = False


def _notes(specs: list[Spec], fixed: list[str], t: Translator) -> list[tuple[str, str]]:
    """The notes under a segment's sliders: its uncertain parameters, then what stays fixed."""
    _ = t
    lines = []
    uncertain = [
        f"{_(s.label)}: {s.uncertain.describe()}" for s in specs if s.uncertain is not None
    ]
    if uncertain:
        inputs = "; ".join(uncertain)
        lines.append(
            ("~ " + _("uncertain"), _(", the slider sets the median: {inputs}", inputs=inputs))
        )
    if fixed:
        names = [_(FIXED[f]) if f in FIXED else parameter_label(f, lang=_.lang) for f in fixed]
        sep = "、" if _.lang == "ja" else ", "
        lines.append(("", _("Fixed (edit the YAML): {fields}", fields=sep.join(names))))
    return lines
