"""Parameters drawn together from a multivariate normal on a transformed scale (a fit's uncertainty).

A segment's ``joint`` names some of its numeric fields; each path draws ``y = g(centre) + L z`` with
``z_i = Phi^{-1}(u_i)`` from the parameter's own uniform stream and ``L`` the lower Cholesky factor of the
covariance, and the parameter is ``g^{-1}(y_i)`` (docs/MODEL.md, "Parameters drawn together").
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Annotated, Literal, get_args

from pydantic import Field, ValidationError, model_validator

from .distributions import _Dist
from .explain import say
from .fields import _Model, field_range, walk

__all__ = [
    "JOINT_SCALES",
    "JOINT_SD_LIMIT",
    "Joint",
    "JointMarginal",
    "JointScale",
    "Narrowed",
    "check_joint",
    "joint_room",
    "narrow_to_ranges",
]

#: Scales a joint normal may use: the parameter is ``g^{-1}(g(value) + z)``, z the correlated normal.
JointScale = Literal["linear", "log", "log1p", "logit"]
JOINT_SCALES = get_args(JointScale)
#: Joint draws are kept within this many standard deviations of the centre on their scale.
JOINT_SD_LIMIT = 4.0


def _transforms(kind: str):
    """``(g, g^{-1})`` of a joint scale, on float arrays."""
    import numpy as np

    return {
        "linear": (lambda x: x, lambda y: y),
        "log": (np.log, np.exp),
        "log1p": (np.log1p, np.expm1),
        "logit": (lambda x: np.log(x) - np.log1p(-x), lambda y: 1.0 / (1.0 + np.exp(-y))),
    }[kind]


def _scale(kind: str, x):
    import numpy as np

    return _transforms(kind)[0](np.asarray(x, dtype=float))


def _unscale(kind: str, y):
    import numpy as np

    return _transforms(kind)[1](np.asarray(y, dtype=float))


class JointMarginal(_Dist):
    """One parameter of a :class:`Joint` on its own: ``x = g^{-1}(g(centre) + sd z)``, ``z`` a standard normal
    kept within ``JOINT_SD_LIMIT`` (the marginal the engine draws; the correlation is the joint's).

    :meth:`Scenario.uncertain` lists jointly drawn parameters with these, so that tables, the tornado and
    the report treat them as the uncertain parameters they are. Not a YAML ``kind``: it is made from a
    segment's ``joint``.
    """

    kind: Literal["joint"] = "joint"
    centre: float
    scale: JointScale
    sd: float

    def ppf(self, u):
        import numpy as np

        from ._lazy import scipy_special as special

        z = np.clip(special.ndtri(np.asarray(u, dtype=float)), -JOINT_SD_LIMIT, JOINT_SD_LIMIT)
        return _unscale(self.scale, float(_scale(self.scale, self.centre)) + self.sd * z)[()]

    def median(self) -> float:
        return float(self.centre)

    def describe(self) -> str:
        return f"joint({self.scale}, centre={self.centre:g}, sd={self.sd:g})"


class Joint(_Model):
    """Parameters drawn together from a multivariate normal on a transformed scale (a fit's uncertainty).

    ``parameters`` name fields of the segment (``churn.heterogeneity.alpha``), each given there as a number:
    the centre. Each path draws ``y = g(centre) + L z`` with ``z_i = Phi^{-1}(u_i)`` from the parameter's
    own uniform stream and ``L`` the lower Cholesky factor of ``covariance`` (so the first parameter's draw
    depends on its own uniform only); ``y_i`` is kept within ``JOINT_SD_LIMIT`` standard deviations of
    ``g(centre_i)``, and the parameter is ``g^{-1}(y_i)``. ``scales`` give ``g`` per parameter: ``log``
    (positive), ``log1p`` (above -1), ``logit`` (between 0 and 1) or ``linear``.
    """

    parameters: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        min_length=1, max_length=20
    )
    scales: list[JointScale]
    covariance: list[list[Annotated[float, Field(allow_inf_nan=False)]]]

    @model_validator(mode="after")
    def _shape(self):
        import numpy as np

        q = len(self.parameters)
        dupes = sorted({p for p in self.parameters if self.parameters.count(p) > 1})
        if dupes:
            raise ValueError(f"parameters must be unique; repeated: {', '.join(dupes)}")
        if len(self.scales) != q:
            raise ValueError(
                f"scales must give one scale per parameter ({q}), got {len(self.scales)}"
            )
        if len(self.covariance) != q or any(len(r) != q for r in self.covariance):
            raise ValueError(f"covariance must be {q} rows of {q} numbers (one per parameter)")
        S = np.asarray(self.covariance, dtype=float)
        if not np.allclose(S, S.T, rtol=1e-9, atol=1e-300):
            raise ValueError("covariance must be symmetric")
        if np.any(np.diag(S) < 0) or np.linalg.eigvalsh(S).min() < -1e-9 * max(
            np.abs(S).max(), 1e-300
        ):
            raise ValueError("covariance must be positive semi-definite (a variance matrix)")
        return self

    def factor(self):
        """The lower Cholesky factor ``L`` of the covariance (a tiny ridge when it is singular)."""
        import numpy as np

        S = np.asarray(self.covariance, dtype=float)
        try:
            return np.linalg.cholesky(S)
        except np.linalg.LinAlgError:
            ridge = 1e-12 * max(float(np.trace(S)) / len(S), 1e-300)
            return np.linalg.cholesky(S + ridge * np.eye(len(S)))

    def marginal(self, name: str, centre: float) -> JointMarginal:
        """Parameter ``name`` (centred on ``centre``) on its own: its scale and its sd on that scale."""
        i = self.parameters.index(name)
        sd = math.sqrt(float(self.covariance[i][i]))
        return JointMarginal(centre=centre, scale=self.scales[i], sd=sd)

    def without(self, fixed: set[str]) -> dict | None:
        """This joint as data with the parameters ``fixed`` left out (the others' marginal normal is the
        covariance without their rows and columns), or None when none are left."""
        keep = [i for i, p in enumerate(self.parameters) if p not in fixed]
        if not keep:
            return None
        return {
            "parameters": [self.parameters[i] for i in keep],
            "scales": [self.scales[i] for i in keep],
            "covariance": [[self.covariance[i][j] for j in keep] for i in keep],
        }

    def draw(self, centres: list[float], z):
        """Parameters from standard normals ``z`` (shape (q, paths)): one array per parameter."""
        import numpy as np

        sd = np.sqrt(np.diag(np.asarray(self.covariance, dtype=float)))
        out = []
        y = self.factor() @ np.asarray(z, dtype=float)
        for i, (kind, c) in enumerate(zip(self.scales, centres, strict=True)):
            g = float(_scale(kind, c))
            yi = np.clip(g + y[i], g - JOINT_SD_LIMIT * sd[i], g + JOINT_SD_LIMIT * sd[i])
            out.append(_unscale(kind, yi))
        return out


def check_joint(segment) -> None:
    """Refuse a segment whose ``joint`` names a field that is not a number of the segment, a centre
    outside its scale, or draws (at :data:`JOINT_SD_LIMIT` standard deviations) the field does not allow."""
    import numpy as np

    given = {p[1:]: v for p, v in walk(segment, "") if p[1:] != "joint"}
    sd = np.sqrt(np.diag(np.asarray(segment.joint.covariance, dtype=float)))
    data = None
    for name, kind, s in zip(segment.joint.parameters, segment.joint.scales, sd, strict=True):
        if name not in given:
            raise ValueError(
                f"joint parameter {name!r} is not a numeric field of this segment; fields: "
                + ", ".join(sorted(given))
            )
        centre = given[name]
        if isinstance(centre, _Dist):
            raise ValueError(
                f"{name} is in joint, so give it as a number (the centre the joint draws around), "
                f"not {centre.describe()}"
            )
        ok = {
            "log": centre > 0,
            "log1p": centre > -1,
            "logit": 0 < centre < 1,
            "linear": True,
        }[kind]
        if not ok:  # one whole message per scale, so that each has its translation
            raise ValueError(
                {
                    "log": f"{name} = {centre:g} must be above 0 for the log scale",
                    "log1p": f"{name} = {centre:g} must be above -1 for the log1p scale",
                    "logit": f"{name} = {centre:g} must be strictly between 0 and 1 for the "
                    "logit scale",
                }[kind]
            )
        g = float(_scale(kind, centre))
        if data is None:
            data = segment.model_dump(mode="json", exclude={"joint"}, exclude_none=True)
        for y in (g - JOINT_SD_LIMIT * s, g + JOINT_SD_LIMIT * s):
            x = float(_unscale(kind, y))
            node = data
            *head, last = name.split(".")
            for h in head:
                node = node[h]
            was, node[last] = node[last], x
            try:
                type(segment).model_validate(data)
            except ValidationError as e:
                msg = say(e.errors(include_url=False)[0], False, type(segment))
                raise ValueError(
                    f"joint draws of {name} reach {x:.6g} ({JOINT_SD_LIMIT:g} standard deviations "
                    f"from {centre:g} on the {kind} scale), which the field does not allow: {msg}; "
                    "give a smaller variance or another scale"
                ) from None
            finally:
                node[last] = was


# -- a joint that stays inside its fields' ranges ------------------------------------------------------

#: Share of the room a narrowed standard deviation takes, so that rounding the covariance to six
#: significant digits (as a calibrated scenario writes it) never takes a draw past the bound.
_ROOM_SHARE = 0.999


def joint_room(kind: str, centre: float, low: float, high: float) -> float:
    """The largest standard deviation on the ``kind`` scale whose draws stay within ``[low, high]``.

    Draws go at most :data:`JOINT_SD_LIMIT` standard deviations from ``g(centre)``, so the room is

        s_max = min(g(c) - g(low), g(high) - g(c)) / JOINT_SD_LIMIT

    over the bounds the scale does not already keep (``log`` keeps above 0, ``log1p`` above -1 and
    ``logit`` within (0, 1): their ``g`` of those bounds is infinite). ``inf`` when nothing limits it;
    0 when the centre is on a bound or outside the range.
    """
    import numpy as np

    with np.errstate(divide="ignore", invalid="ignore"):
        g = float(_scale(kind, centre))
        room = math.inf
        for bound, side in ((low, -1.0), (high, 1.0)):
            if not math.isfinite(bound):
                continue
            gb = float(_scale(kind, bound))
            if math.isnan(gb):  # a bound outside the scale's domain: the scale keeps the draws
                continue
            distance = side * (gb - g)
            if math.isfinite(distance):
                room = min(room, max(distance, 0.0) / JOINT_SD_LIMIT)
    return room


@dataclass(frozen=True)
class Narrowed:
    """A jointly drawn parameter whose uncertainty was narrowed to keep its draws in its field's range:
    its standard deviation on its scale as fitted (``sd``) and as kept (``kept``), and the range."""

    name: str
    scale: str
    sd: float
    kept: float
    low: float
    high: float

    def describe(self) -> str:
        """One sentence for a scenario's description (English, as calibration notes are)."""
        return (
            f"The uncertainty of {self.name} is narrowed from a standard deviation of {self.sd:.4g} "
            f"to {self.kept:.4g} on its {self.scale} scale, so that its joint draws "
            f"({JOINT_SD_LIMIT:g} standard deviations at most) stay within the allowed range "
            f"[{self.low:g}, {self.high:g}]; its correlations are kept."
        )


def narrow_to_ranges(model, centres: dict[str, float], joint: dict) -> tuple[dict, list[Narrowed]]:
    """``joint`` (as data) with each parameter's variance cut to what its field's range allows.

    ``model`` is the segment's class, whose fields give the ranges (:func:`~cssim.model.fields.field_range`);
    ``centres`` the parameters' values. A parameter ``i`` whose standard deviation ``s_i`` exceeds its
    room ``r_i`` (:func:`joint_room`) is rescaled by ``k_i = r_i / s_i``: the covariance becomes
    ``k_i k_j S_ij``, which keeps it positive semi-definite and every correlation unchanged. Returns the
    joint and what was narrowed (empty when nothing was), so the caller can say so.
    """
    import numpy as np

    S = np.asarray(joint["covariance"], dtype=float)
    k = np.ones(len(S))
    narrowed = []
    for i, (name, kind) in enumerate(zip(joint["parameters"], joint["scales"], strict=True)):
        rng = field_range(model, name)
        sd = math.sqrt(max(float(S[i, i]), 0.0))
        if rng is None or sd == 0.0:
            continue
        room = _ROOM_SHARE * joint_room(kind, float(centres[name]), rng.low, rng.high)
        if sd > room:
            k[i] = room / sd
            narrowed.append(Narrowed(name, kind, sd, room, float(rng.low), float(rng.high)))
    if not narrowed:
        return joint, []
    S = S * k[:, None] * k[None, :]
    return {**joint, "covariance": S.tolist()}, narrowed
