"""What the engine stores per path, shared by the engine and the result (so neither imports the other)."""

from __future__ import annotations

__all__ = [
    "COUNTS",
    "STATE_STORED",
    "STORED",
    "base_metric",
    "is_count",
    "state_key",
    "stored_keys",
]

#: Metrics the engine stores per path; everything else in a result is derived from these.
STORED = (
    "customers",
    "new_customers",
    "churned_customers",
    "mrr",
    "expansion_mrr",
    "contraction_mrr",
    "churned_mrr",
    "retained_mrr_12",
    "gross_retained_mrr_12",
)
COUNTS = ("customers", "new_customers", "churned_customers")

#: Metrics a segment with usage states also stores per state, as ``state_key(metric, state)``.
STATE_STORED = ("customers", "mrr", "churned_customers")


def state_key(metric: str, state: str) -> str:
    """The key of one state's metric: ``customers@dormant`` (state names hold no ``@``)."""
    return f"{metric}@{state}"


def base_metric(key: str) -> str:
    """``customers@dormant`` -> ``customers``; a plain metric is its own base."""
    return key.split("@", 1)[0]


def is_count(key: str) -> bool:
    """Whether a stored key holds counts (stored as integers)."""
    return base_metric(key) in COUNTS


def stored_keys(states=()) -> tuple[str, ...]:
    """What a segment stores: :data:`STORED`, and per usage state :data:`STATE_STORED`."""
    return STORED + tuple(state_key(k, s) for s in states for k in STATE_STORED)
