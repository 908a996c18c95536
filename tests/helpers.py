"""Small scenario builders and statistical checks shared by the engine tests."""

from __future__ import annotations

import re

import numpy as np

from cssim import Scenario


def one_segment(horizon: int = 36, **segment) -> Scenario:
    """A one-segment scenario; keyword arguments override the segment's fields."""
    seg = {
        "name": "All",
        "customers": 1000,
        "arpa": 50_000,
        "acquisition": {"rate": 0.2},
        "churn": {"monthly": 0.03},
    }
    seg.update(segment)
    return Scenario.from_dict({"name": "test", "horizon_months": horizon, "segments": [seg]})


def assert_mc_close(samples: np.ndarray, expected: float, k: float = 4.0) -> None:
    """The sample mean is within k standard errors of ``expected`` (k = 4: about 1 in 16,000 by chance)."""
    samples = np.asarray(samples, dtype=float)
    samples = samples[~np.isnan(samples)]
    se = samples.std(ddof=1) / np.sqrt(samples.size)
    diff = samples.mean() - expected
    assert abs(diff) <= k * se + 1e-12 * abs(expected), (
        f"mean {samples.mean():.6g} vs expected {expected:.6g}: {diff / se:+.2f} standard errors "
        f"(se {se:.3g}, n {samples.size})"
    )


def three_segments(horizon: int = 36) -> Scenario:
    """Three segments with every tenure effect, expansion, contraction, costs and uncertainty."""
    return Scenario.from_dict(
        {
            "name": "three segments",
            "horizon_months": horizon,
            "target_arr": 2.0e9,
            "segments": [
                {
                    "name": "SMB",
                    "customers": 800,
                    "arpa": 30_000,
                    "acquisition": {"rate": 0.3},
                    "churn": {
                        "monthly": {"kind": "beta", "mean": 0.025, "sd": 0.005},
                        "onboarding": {"months": 3, "monthly": 0.06},
                    },
                    "contraction": {"rate": 0.003, "probability": 0.05},
                    "cac": 300_000,
                    "cs": {"accounts_per_csm": 200, "csm_cost": 700_000, "tools": 200_000},
                },
                {
                    "name": "Mid",
                    "customers": 200,
                    "arpa": 150_000,
                    "acquisition": {"count": 6, "growth": 0.01},
                    "churn": {"heterogeneity": {"alpha": 0.8, "beta": 12.0}},
                    "starting_tenure": 6,
                    "expansion": {"rate": [0.005, 0.02], "probability": 0.1},
                    "cac": 1_500_000,
                },
                {
                    "name": "Enterprise",
                    "customers": 40,
                    "seats": {"per_account": 200, "price": 2_500},
                    "acquisition": {"count": 1},
                    "churn": {"annual_renewal": 0.07},
                    "starting_tenure": {"min": 0, "max": 11},
                    "expansion": {"rate": 0.015, "probability": 0.3},
                    "contraction": {"rate": 0.002, "probability": 0.1},
                    "cs": {"csm_per_account": 0.1, "csm_cost": 900_000},
                },
            ],
        }
    )


# -- Japanese error messages ----------------------------------------------------------------------------

_WORD = r"[A-Za-z][A-Za-z'-]*"
_ENGLISH_RUN = re.compile(rf"{_WORD}(?:[ ,]+{_WORD}){{2,}}")
_QUOTED = re.compile(r"'[^'\n]*'|\"[^\"\n]*\"|「[^」\n]*」")


def _names() -> set[str]:
    """Words a Japanese message may hold as they are: field names, distribution kinds, file formats."""
    from pydantic import BaseModel

    from cssim.model.explain import _KINDS

    seen, names, todo = set(), set(_KINDS), [Scenario]
    while todo:
        model = todo.pop()
        if model in seen:
            continue
        seen.add(model)
        for name, field in model.model_fields.items():
            names.add(name)
            for arg in _args(field.annotation):
                if isinstance(arg, type) and issubclass(arg, BaseModel):
                    todo.append(arg)
    return names | {"YAML", "CSV", "JSON", "UTF-8", "MRR", "ARR", "JPY", "USD", "en", "ja"}


def _args(tp) -> list:
    import typing

    out = [tp]
    for a in typing.get_args(tp):
        out += _args(a)
    return out


def english_left(text: str, names_shown: list[str]) -> list[str]:
    """Runs of three or more English words in a Japanese ``text``, outside what it names.

    What the message names is taken out first: ``names_shown`` (the file, field paths, values as
    shown), quoted text, and field names, distribution kinds and format names, which stay as written.
    """
    for shown in sorted(names_shown, key=len, reverse=True):
        if shown:
            text = text.replace(shown, " ¦ ")
    text = _QUOTED.sub(" ¦ ", text)
    names = _NAMES or _NAMES.update(_names()) or _NAMES
    text = re.sub(_WORD, lambda m: "¦" if m.group(0) in names else m.group(0), text)
    return _ENGLISH_RUN.findall(text)


_NAMES: set[str] = set()


def shown_parts(error) -> list[str]:
    """The file, field paths and values a :class:`cssim.ScenarioError` names."""
    from cssim.model.errors import ScenarioError, _show

    parts = [error.source]
    if type(error)._format is not ScenarioError._format:  # billing data: messages name rows
        return parts
    for p in error.problems:
        parts.append(p.path)
        if p.value is not ...:
            parts.append(_show(p.value))
    return parts
