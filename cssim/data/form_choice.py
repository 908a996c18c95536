"""Choosing between fitted forms on held-out months, and averaging them.

Each data part (churn, acquisition) has several forms; each form is fitted on the months before a
forecast origin and scored on the months after it (:func:`forecast_origins`), the scores give
pseudo-Bayesian-model-averaging weights (:func:`score_weights`), and close forms are averaged as one
normal with the mixture's mean and covariance (:func:`mix_normals`), the joint covariance the scenario
carries.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["forecast_origins", "mix_normals", "score_weights"]


def forecast_origins(T: int, fraction: float) -> list[int]:
    """Forecast origins of a rolling holdout: from ``round(T x fraction)`` months (at least 6) to 3
    months before the end, every 3 months. Each origin fits on the months before it and forecasts every
    later month, so the fits scored are close to the fit on all months that will forecast."""
    first = max(6, round(T * fraction))
    return list(range(first, T - 2, 3))


def mix_normals(
    parts: list[tuple[float, np.ndarray, np.ndarray]],
) -> tuple[np.ndarray, np.ndarray]:
    r"""The normal with the mean and covariance of a mixture ``sum_k w_k N(mu_k, S_k)`` (moment matched).

    .. math:: \mu = \sum_k w_k \mu_k, \qquad
              \Sigma = \sum_k w_k \left(S_k + (\mu_k - \mu)(\mu_k - \mu)^T\right)
    """
    w = np.array([p[0] for p in parts], float)
    w = w / w.sum()
    mu = sum(wk * np.asarray(p[1], float) for wk, p in zip(w, parts, strict=True))
    cov = sum(
        wk * (np.asarray(p[2], float) + np.outer(np.asarray(p[1]) - mu, np.asarray(p[1]) - mu))
        for wk, p in zip(w, parts, strict=True)
    )
    return mu, cov


def score_weights(scores: dict, origins: int) -> dict:
    """Pseudo-Bayesian-model-averaging weights from held-out log scores summed over ``origins``
    overlapping forecast origins: ``w_f ~ exp(S_f / origins)`` (the mean score per origin, so windows
    that overlap are not counted as independent evidence)."""
    if not scores:
        return {}
    top = max(scores.values())
    raw = {f: math.exp((v - top) / max(origins, 1)) for f, v in scores.items()}
    total = sum(raw.values())
    return {f: v / total for f, v in raw.items()}
