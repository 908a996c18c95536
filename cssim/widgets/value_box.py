"""The text box beside each slider: it reads what people type (``2%``, ``2`` or ``0.02`` for 2%), moves the
slider, and says what value it took, or that it clamped it to the slider's range, in the reader's language."""

from __future__ import annotations

import math
import unicodedata
from typing import TYPE_CHECKING

import ipywidgets as w

from ..words.i18n import Translator
from ._text import formatted, message

if TYPE_CHECKING:  # pragma: no cover
    from .slider_specs import Spec

__all__ = ["ValueBox", "parse_value"]


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


class ValueBox:
    """A text box beside a slider: it reads ``2%``, ``2`` or ``0.02`` (see :func:`parse_value`), moves the
    slider, shows the value it took and says so when the value was clamped to the slider's range.

    Parameters
    ----------
    spec : Spec
        The slider's description (its kind of value says how the messages write numbers).
    slider : ipywidgets.Widget
        The slider it moves.
    t : Translator, optional
        The reader's language (English by default).
    currency : str
        Of a money slider's messages.
    """

    def __init__(
        self, spec: Spec, slider: w.Widget, t: Translator | None = None, currency: str = "JPY"
    ):
        self.spec, self.slider, self.t = spec, slider, t or Translator()
        self.currency = currency
        self.percent = spec.kind == "percent"
        _ = self.t
        self.text = w.Text(
            placeholder="2%, 2 or 0.02" if self.percent else _("type a value"),
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

    def _shown(self, x: float) -> str:
        """A value of this slider as the messages write it (by kind, in the reader's language)."""
        s = self.spec
        return formatted(x, s.kind, self.t.lang, self.currency, digits=s.digits)

    def enter(self, typed: str) -> float | None:
        """Apply ``typed`` to the slider; return the value taken (None when unreadable)."""
        _ = self.t
        try:
            x = parse_value(typed, self.percent)
        except ValueError:
            if self.percent:
                msg = _("{text} is not a number; write e.g. 2%, 2 or 0.02", text=repr(typed))
            else:
                msg = _("{text} is not a number", text=repr(typed))
            self.message.value = message(msg, error=True)
            return None
        lo, hi = self.slider.min, self.slider.max
        taken = min(max(x, lo), hi)
        if self.spec.integer:
            taken = round(taken)
        self.slider.value = taken
        taken = self.slider.value
        if not math.isclose(taken, x, rel_tol=1e-9, abs_tol=1e-12):
            msg = _(
                "{value} is outside {low}–{high}: set to {taken}",
                value=self._shown(x),
                low=self._shown(lo),
                high=self._shown(hi),
                taken=self._shown(taken),
            )
            self.message.value = message(msg, error=True)
        else:
            self.message.value = message(_("set to {taken}", taken=self._shown(taken)))
        return taken
