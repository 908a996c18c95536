"""What the engine stores per path, shared by the engine and the result (so neither imports the other)."""

from __future__ import annotations

__all__ = ["COUNTS", "STORED"]

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
