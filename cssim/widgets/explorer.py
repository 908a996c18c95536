"""The scenario explorer: sliders for what strategists argue about, redrawn on common random numbers.

>>> from cssim.widgets import Explorer
>>> Explorer("scenarios/growth-vs-churn.yaml")          # doctest: +SKIP

Every change re-simulates the edited scenario with the *same seed*, so the draws are common to every
recompute (MODEL.md, Randomness): moving a slider shows that parameter's effect, never resampling noise, and
moving it back returns exactly the original numbers. Alongside, the scenario as loaded from its file is
simulated once on the same seed as a grey reference line and a "file" column in the KPI table.

The explorer ties together the parts, each in its own module: the sliders and boxes of each segment
(:mod:`.controls`, :mod:`.slider_specs`, :mod:`.value_box`), the runs (:mod:`.preview`: the preview on the same seed, its second
block in a worker process, **Run full**), the KPI table (:mod:`.kpis`), the chart (:mod:`.chart`) and the
saving of a scenario YAML (:mod:`.save`).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import ipywidgets as w
import pandas as pd

from ..model.errors import ScenarioError
from ..model.result import SimulationResult
from ..model.scenario import Scenario, load_scenario
from ..words import formatting as fm
from ..words.i18n import Translator
from ..words.tables import html_table
from ._text import error_text, heading, message, plain
from .chart import Chart
from .controls import WIDE, SegmentControls
from .kpis import at_horizon, kpi_frame, kpi_rows
from .preview import Runner
from .save import default_path, save_yaml, saved_identity
from .slider_specs import relocate
from .value_box import parse_value

__all__ = ["DEFAULT_SCENARIO", "Explorer", "parse_value", "relocate"]

#: The scenario the explorer opens when given none (relative to the working folder, then to the project).
DEFAULT_SCENARIO = "scenarios/growth-vs-churn.yaml"


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
    lang : str, optional
        ``"en"`` (default) or ``"ja"``: the language of the controls, messages, KPI table and chart.

    Attributes
    ----------
    scenario : Scenario
        The scenario as the controls set it now; ``base`` is the one loaded.
    result, baseline : SimulationResult
        The latest run of ``scenario`` and the run of ``base`` on the same seed and paths.
    kpis : pandas.DataFrame
        The KPI table at the horizon: columns ``kpi, file, now, change``.
    controls : dict
        ``controls[segment][name]`` is a slider, named as in
        :attr:`~cssim.widgets.controls.SegmentControls.sliders` (those the segment has).
    value_boxes : dict
        ``value_boxes[segment][name]`` is the text box beside that slider.
    timings : dict
        Seconds spent in the last update: ``simulate``, ``kpis``, ``draw``, ``total``.
    full_run : bool
        Whether :attr:`result` is a full run (**Run full**) rather than a slider's preview.
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
        self.t = Translator(lang or "en")
        self.source: Path | None = None
        if isinstance(scenario, Scenario):
            self.base = scenario
        else:
            self.source = _find(scenario)
            self.base = load_scenario(self.source)
        self.scenario = self.base
        self.preview_paths = int(preview_paths)
        self._runner = Runner(workers)
        self.baseline: SimulationResult | None = None
        self.result: SimulationResult | None = None
        self._baseline_kpis: tuple = (None, {})
        self.kpis = pd.DataFrame(columns=["kpi", "file", "now", "change"])
        self.timings: dict[str, float] = {}
        self.full_run = False
        self._quiet = False
        self._segments = [
            SegmentControls(i, seg, self.t, self.base.currency, self._on_change)
            for i, seg in enumerate(self.base.segments)
        ]
        self.controls = {c.segment.name: c.sliders for c in self._segments}
        self.value_boxes = {c.segment.name: c.boxes for c in self._segments}
        self._build(paths, seed)
        self._figure = Chart(self.base.currency, self.t.lang)
        self.update()

    # -- widgets --------------------------------------------------------------------------------------
    def _build(self, paths: int, seed: int) -> None:
        """The controls of the whole run (horizon, seed, paths, buttons, saving) and the layout."""
        _ = self.t
        pages = [c.page for c in self._segments]
        if len(pages) > 1:
            self.segment_tabs: w.Widget = w.Tab(children=pages, titles=self.base.segment_names)
        else:
            self.segment_tabs = pages[0]
        self.horizon = w.IntSlider(
            value=self.base.horizon_months,
            min=6,
            max=max(120, self.base.horizon_months),
            step=6,
            description=_("Horizon (months)"),
            continuous_update=False,
            **WIDE,
        )
        self.seed = w.BoundedIntText(
            value=seed, min=0, max=2**63 - 1, description=_("Seed"), **WIDE
        )
        self.paths = w.BoundedIntText(
            value=paths,
            min=100,
            max=1_000_000,
            step=1000,
            description=_("Paths (full run)"),
            **WIDE,
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
        self.save_path = w.Text(
            value=str(default_path(self.source)),
            description=_("Save as"),
            layout=w.Layout(width="440px"),
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
        buttons = w.HBox([self.run_button, self.reset_button])
        left = w.VBox(
            [self.segment_tabs, self.horizon, self.seed, self.paths, buttons],
            layout=w.Layout(min_width="600px"),
        )
        right = w.VBox(
            [self.kpi_table, self.status],
            layout=w.Layout(margin="0 0 0 24px", flex="1 1 300px", min_width="300px"),
        )
        title = heading(self.base.name, str(self.source) if self.source else None)
        self.widget = w.VBox(
            [
                w.HTML(title),
                # the KPI table narrows beside the sliders (its row names wrap, never its values),
                # and goes under them only where 300px are not left
                w.HBox([left, right], layout=w.Layout(flex_flow="row wrap")),
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
        lines = [self.base.name, plain(self.status.value)]
        lines += [plain(c.note.value) for c in self._segments if c.note.value]
        return "\n".join(x for x in lines if x)

    # -- the parts, under the names they had before the explorer was split --------------------------
    @property
    def workers(self) -> int:
        """Processes of a run longer than one block (1 after worker processes failed to start)."""
        return self._runner.workers

    @property
    def _pool(self):
        return self._runner.pool

    def _executor(self, paths: int):
        return self._runner.executor(paths)

    @property
    def _specs(self) -> dict[str, dict[str, Any]]:
        return {c.segment.name: c.specs for c in self._segments}

    # -- state ----------------------------------------------------------------------------------------
    def changes(self) -> dict[str, Any]:
        """The edits to the loaded scenario, as :meth:`Scenario.replace` takes them."""
        out: dict[str, Any] = {}
        for c in self._segments:
            out.update(c.changes())
        if self.horizon.value != self.base.horizon_months:
            out["horizon_months"] = int(self.horizon.value)
        return out

    def _edited(self) -> Scenario:
        """The scenario the controls set, named and described as edited (raises when invalid)."""
        changes = self.changes()
        return self.base.replace({**changes, **saved_identity(self.base, changes, self.source)})

    def _on_change(self, _change=None) -> None:
        if not self._quiet:
            self.update()

    def reset(self) -> None:
        """Every control back to the file's value (one recompute)."""
        self._quiet = True
        try:
            for c in self._segments:
                c.reset()
            self.horizon.value = self.base.horizon_months
        finally:
            self._quiet = False
        self.update()

    # -- running --------------------------------------------------------------------------------------
    def update(self, full: bool = False) -> SimulationResult | None:
        """Apply the controls, simulate (preview or full) on the fixed seed, redraw chart and KPIs."""
        t0 = time.perf_counter()
        try:
            scenario = self._edited()
        except (ScenarioError, KeyError, ValueError) as e:
            _ = self.t
            why = _("Not a valid scenario:") + " " + error_text(e, _.lang)
            self.status.value = message(why, error=True)
            return None
        paths = int(self.paths.value) if full else self.preview_paths
        seed = int(self.seed.value)
        if (scenario, seed, paths) == self._runner.last:
            # nothing changed (the browser echoing a value, say): no recompute. A full run asked
            # for with as many paths as the preview has its numbers already: mark them as full.
            if full and not self.full_run:
                self.full_run = True
                self.status.value = message(self._status_text(True, paths))
            return self.result
        self.result, self.baseline = self._runner.run(self.base, scenario, seed, paths)
        self.scenario, self.full_run = scenario, full
        t1 = time.perf_counter()
        if self._baseline_kpis[0] is not self.baseline:
            self._baseline_kpis = (self.baseline, at_horizon(self.baseline))
        now, then = at_horizon(self.result), self._baseline_kpis[1]
        self.kpis = kpi_frame(now, then)
        columns, rows = kpi_rows(now, then, self.result.horizon, self.t.lang, self.base.currency)
        self.kpi_table.value = html_table(rows, columns, nowrap=True)
        t2 = time.perf_counter()
        self.chart.value = self._figure.draw(self.result, self.baseline)
        t3 = time.perf_counter()
        self.timings = {"simulate": t1 - t0, "kpis": t2 - t1, "draw": t3 - t2, "total": t3 - t0}
        self.status.value = message(self._status_text(full, paths))
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

    def kpi_view(self) -> pd.DataFrame:
        """The KPI table as people read it, in the explorer's language: names and formatted numbers.

        One row per KPI of :attr:`kpis` (``File``, ``Now``, ``Change`` at the horizon), money in
        ``3.52億円`` / ``¥352M``, probabilities in percent, changes in points or percent: the rows the
        widget shows.
        """
        k = self.kpis.set_index("kpi")
        now, then = k["now"].to_dict(), k["file"].to_dict()
        columns, rows = kpi_rows(now, then, self.result.horizon, self.t.lang, self.base.currency)
        return pd.DataFrame(rows, columns=columns)

    # -- saving ---------------------------------------------------------------------------------------
    def save(
        self, path: str | os.PathLike | None = None, overwrite: bool | None = None
    ) -> Path | None:
        """Write the current settings as a scenario YAML (atomically); refuse to replace a file unless
        ``overwrite`` (the checkbox) says so. Returns the path written, or None."""
        target = Path(path if path is not None else self.save_path.value).expanduser()
        overwrite = self.overwrite.value if overwrite is None else overwrite
        written, self.save_status.value = save_yaml(
            self._edited, target, source=self.source, overwrite=bool(overwrite), t=self.t
        )
        return written

    def close(self) -> None:
        """Stop the worker processes and close the widgets."""
        self._runner.close()
        _close(self.widget)


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
