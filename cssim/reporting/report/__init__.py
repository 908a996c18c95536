"""Scenario reports: a parameterised notebook run by papermill, exported as one self-contained HTML file.

:func:`render_report` runs ``cssim/reporting/templates/report.ipynb`` in a real kernel (the current Python)
and exports it with nbconvert, without code, prompts, stderr output or any external URL: images are
embedded, the page loads nothing from the network, prints on A4 and reads on a phone. The notebook is
thin: each cell calls one function here (:func:`prepare`, then :func:`header`, :func:`summary`, ...
:func:`footnote`), and each returns an :class:`Html` section built from escaped data, so a scenario's text
can never inject markup.

The report speaks the reader's language (``lang="en"`` or ``"ja"``; the scenario's ``language:`` when
no language is given, English otherwise): sentences through :mod:`cssim.words.i18n` (the Japanese in
``locale/ja/LC_MESSAGES/report.po``), numbers through :mod:`cssim.words.formatting` (``3.52億円`` /
``¥352M``). It answers first: where ARR goes, the chance it grows, and what to do (the levers at equal
effort, the break-even churn); the derivations, precision and a glossary come last.

The package, one job a module:

- :mod:`.run`: the notebook run in a kernel, its HTML export and atomic write (:func:`render_report`);
- :mod:`.context`: the parameters checked, the scenario simulated, what the sections share;
- :mod:`.tables`: the tables as frames of text (key figures, assumptions, precision);
- :mod:`.markup`: what sections are built from (escaped HTML, figures);
- :mod:`.opening`, :mod:`.health`, :mod:`.figures`, :mod:`.levers`, :mod:`.closing`: the sections, in
  order (:mod:`.health` only where a segment has usage states).
"""

from __future__ import annotations

from .closing import appendix, footnote, glossary, precision
from .context import ANALYSIS_PATHS, ReportContext, check_parameters, prepare
from .figures import cohorts, growth, movements, retention, unit_economics
from .health import health, health_lead
from .levers import sensitivity, strategy
from .markup import Html
from .opening import assumptions, header, kpis, summary
from .run import TEMPLATE, ReportError, render_report
from .tables import (
    assumptions_table,
    describe_value,
    kpi_table,
    parameter_label,
    precision_table,
    unit_economics_table,
)

__all__ = [
    "ANALYSIS_PATHS",
    "TEMPLATE",
    "Html",
    "ReportContext",
    "ReportError",
    "appendix",
    "assumptions",
    "assumptions_table",
    "check_parameters",
    "cohorts",
    "describe_value",
    "footnote",
    "glossary",
    "growth",
    "header",
    "health",
    "health_lead",
    "kpi_table",
    "kpis",
    "movements",
    "parameter_label",
    "precision",
    "precision_table",
    "prepare",
    "render_report",
    "retention",
    "sensitivity",
    "strategy",
    "summary",
    "unit_economics",
    "unit_economics_table",
]
