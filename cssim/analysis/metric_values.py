"""A metric's value as the analysis tables show it: the kind of value its unit calls for, and differences.

The analyses report metrics of :data:`cssim.model.metrics.METRICS` (a tornado's outcome, a comparison's
difference); their units map to the kinds of :func:`cssim.words.formatting.format_value` here, once:
money for currency, durations for months, and plain numbers (four significant digits) for the rest:
ratios, and customers, which a mean or a difference of means leaves fractional.
"""

from __future__ import annotations

import math

from ..model.metrics import METRICS

__all__ = ["metric_kind", "metric_value"]

#: a metric's unit (:attr:`cssim.model.metrics.Metric.unit`) -> kind of value for ``format_value``
_KINDS = {"currency": "money", "months": "months"}


def metric_kind(metric: str) -> str:
    """The kind of value of ``metric`` for :func:`cssim.words.formatting.format_value`."""
    return _KINDS.get(METRICS[metric].unit, "number")


def metric_value(
    x: float, metric: str, lang: str | None = None, currency: str = "JPY", *, sign: bool = False
) -> str:
    """``x``, a value (or with ``sign``, a difference: ``+¥12.3M``, ``-1.2億円``) of ``metric``."""
    from ..words.formatting import format_value

    text = format_value(x, metric_kind(metric), lang, currency)
    return "+" + text if sign and math.isfinite(x) and x > 0 else text
