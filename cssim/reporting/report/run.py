"""Running the report notebook in a kernel (papermill) and exporting it as one self-contained HTML
file (nbconvert), written atomically: :func:`render_report`."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import uuid
from pathlib import Path

from ...words.i18n import resolve_lang
from ..webfont import embed_cjk_font
from .context import _scenario, check_parameters

__all__ = ["TEMPLATE", "ReportError", "render_report"]

TEMPLATES = Path(__file__).parent.parent / "templates"
#: The report notebook papermill runs.
TEMPLATE = TEMPLATES / "report.ipynb"
#: Cells left out of the HTML (the parameters and the notebook's own usage note).
REMOVE_TAGS = {"parameters", "injected-parameters", "remove-from-report"}


class ReportError(RuntimeError):
    """The report notebook failed; the message names the cell, the error and the kept notebook."""


#: Prefix of the private folder of a report kernel's sockets (``/tmp/cssim-kernel-XXXX``).
KERNEL_PREFIX = "cssim-kernel-"


def _remove_orphaned_kernel_folders() -> None:
    """Remove kernel socket folders whose report process is gone (killed before it could clean up).

    Each folder holds ``owner``, the process id that made it; a folder whose owner no longer runs
    (or that has no owner file and is more than a day old) is removed. Folders of live reports stay.
    """
    import time

    for folder in Path(tempfile.gettempdir()).glob(KERNEL_PREFIX + "*"):
        try:
            owner = folder / "owner"
            if owner.is_file():
                pid = int(owner.read_text(encoding="ascii").strip())
                try:
                    os.kill(pid, 0)
                    continue  # its report still runs
                except ProcessLookupError:
                    pass
                except PermissionError:
                    continue  # another user's live process
            elif time.time() - folder.stat().st_mtime < 86_400:
                continue
            shutil.rmtree(folder, ignore_errors=True)
        except (OSError, ValueError):
            continue


def _kernel_manager_class():
    """A kernel manager that always starts this interpreter, whatever kernelspecs are installed."""
    from jupyter_client.kernelspec import KernelSpec
    from jupyter_client.manager import AsyncKernelManager

    class CurrentPythonKernelManager(AsyncKernelManager):
        # IPC sockets instead of TCP ports on POSIX: no port races between parallel reports
        # (jupyter_client #487) and nothing listening on the network. The sockets live in a private
        # folder (jupyter_client's default, ./kernel-ipc-N, would collide between parallel reports).
        transport = "ipc" if os.name == "posix" else "tcp"

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self._ipc_dir = None
            if self.transport == "ipc":
                _remove_orphaned_kernel_folders()
                self._ipc_dir = tempfile.mkdtemp(prefix=KERNEL_PREFIX)
                Path(self._ipc_dir, "owner").write_text(str(os.getpid()), encoding="ascii")
                self.ip = os.path.join(self._ipc_dir, "k")

        async def _async_cleanup_resources(self, restart: bool = False) -> None:
            await super()._async_cleanup_resources(restart=restart)
            if self._ipc_dir and not restart:
                shutil.rmtree(self._ipc_dir, ignore_errors=True)

        async def _async_interrupt_kernel(self):
            # jupyter_client interrupts before every shutdown, and ipykernel then logs a
            # KeyboardInterrupt to the terminal; a report's kernel is idle when it is shut down.
            if not self.shutting_down:
                await super()._async_interrupt_kernel()

        @property
        def kernel_spec(self):
            return KernelSpec(
                argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                display_name="Python 3 (cssim)",
                language="python",
                env={"PYDEVD_DISABLE_FILE_VALIDATION": "1"},
            )

    return CurrentPythonKernelManager


def _content_only():
    """A preprocessor that keeps only content in the page: no stderr stream, no error output.

    Warnings, log lines and tracebacks a kernel prints belong to the person running the report (and
    carry the machine's paths), never to its readers.
    """
    from nbconvert.preprocessors import Preprocessor

    class ContentOnly(Preprocessor):
        def preprocess_cell(self, cell, resources, index):
            if cell.get("cell_type") == "code":
                cell.outputs = [
                    o
                    for o in cell.outputs
                    if not (o.get("output_type") == "stream" and o.get("name") == "stderr")
                    and o.get("output_type") != "error"
                ]
            return cell, resources

    return ContentOnly


def _export_html(notebook: Path, title: str, lang: str = "en") -> str:
    import nbformat
    from nbconvert import HTMLExporter
    from traitlets.config import Config

    nb = nbformat.read(notebook, as_version=4)
    nb.metadata["title"] = title
    nb.metadata.pop("widgets", None)  # no widget state in a static report
    c = Config()
    c.TagRemovePreprocessor.enabled = True
    c.TagRemovePreprocessor.remove_cell_tags = set(REMOVE_TAGS)
    c.CSSHTMLHeaderPreprocessor.enabled = False  # code highlighting: there is no code to show
    exporter = HTMLExporter(
        config=c,
        template_name="cssim_report",
        extra_template_basedirs=[str(TEMPLATES / "nbconvert")],
        extra_template_paths=[str(TEMPLATES)],  # base.css, the stylesheet every page shares
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
        language_code=lang,
    )
    exporter.register_preprocessor(_content_only(), enabled=True)
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
    return embed_cjk_font(body)


def _temp_path(folder: Path, name: str, suffix: str = ".tmp") -> Path:
    """A fresh hidden name beside the final file (created later, so it gets the usual permissions)."""
    return folder / f".{name}.{uuid.uuid4().hex[:12]}{suffix}"


def _write_atomic(path: Path, text: str) -> None:
    tmp = _temp_path(path.parent, path.name)
    try:
        with open(tmp, "x", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def render_report(
    scenario_path: str | os.PathLike,
    out_dir: str | os.PathLike = "reports",
    paths: int = 10_000,
    seed: int = 42,
    target_arr: float | None = None,
    months: int | None = None,
    *,
    result_path: str | os.PathLike | None = None,
    name: str | None = None,
    template: str | os.PathLike | None = None,
    keep_notebook: bool = True,
    timeout: float | None = 1800,
    lang: str | None = None,
    sampling: str | None = None,
    precision: float | dict | None = None,
) -> Path:
    """Run the report notebook for a scenario and write ``<out_dir>/<scenario stem>.html``.

    The HTML is self-contained (embedded images, no code, no external URL) and is written atomically.
    The executed notebook is kept beside it as ``<stem>.ipynb`` (unless ``keep_notebook=False``).

    Parameters
    ----------
    scenario_path : path
        The scenario YAML file; validated before any kernel starts.
    out_dir : path
        Where the report goes (created if missing).
    paths, seed : int
        Monte Carlo paths and seed.
    target_arr : float, optional
        An ARR target (overrides the scenario's ``target_arr``).
    months : int, optional
        The horizon in months (overrides the scenario's ``horizon_months``).
    result_path : path, optional
        A result saved with :meth:`SimulationResult.save` to report instead of simulating again (its
        paths, seed and horizon must match).
    name : str, optional
        The output files' stem (default: the scenario file's stem).
    template : path, optional
        Another report notebook with the same parameters.
    timeout : float, optional
        Seconds a cell may run.
    lang : {"en", "ja"}, optional
        The report's language; default the scenario's ``language:``, else English. The page's
        ``<html lang>`` follows it.
    sampling : {"random", "lhs", "sobol"}, optional
        How the uncertain parameters are drawn (default: the scenario's ``sampling:``).
    precision : float or dict, optional
        Stop when ARR's statistic at the horizon is known to this relative tolerance (or a mapping with
        ``precision``, ``confidence``, ``max_paths`` and ``stat``); ``paths`` is then not used.

    Returns
    -------
    Path
        The HTML file.

    Raises
    ------
    ScenarioError
        The scenario is invalid (nothing is run or written).
    ValueError
        A parameter is not allowed.
    ReportError
        The notebook failed: the message names the cell and the error, and the partly executed
        notebook is kept as ``<out_dir>/<stem>.failed.ipynb``.
    """
    check_parameters(paths, seed, target_arr, months, lang, sampling, precision)
    scenario_path = Path(scenario_path).resolve()
    scenario = _scenario(scenario_path, months)
    lang = resolve_lang(lang, scenario.language)
    try:
        import papermill as pm
        from papermill.exceptions import PapermillExecutionError
    except ImportError as err:  # pragma: no cover - depends on the installation
        raise ReportError(
            "reports need papermill and nbconvert: pip install 'cssim[notebooks]'"
        ) from err
    stem = scenario_path.stem if name is None else name
    if not stem or Path(stem).name != stem or stem.startswith("."):
        raise ValueError(f"name must be a plain file name without folders, got {name!r}")
    if result_path is not None:
        result_path = Path(result_path).resolve()
        if not result_path.is_file():
            raise ValueError(f"result_path {str(result_path)!r} is not a file")
    template = Path(template) if template is not None else TEMPLATE
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    html_path, nb_path, failed = (
        out / f"{stem}.html",
        out / f"{stem}.ipynb",
        out / f"{stem}.failed.ipynb",
    )
    tmp = _temp_path(out, stem, ".tmp.ipynb")  # papermill wants the .ipynb suffix
    parameters = {
        "scenario_path": str(scenario_path),
        "paths": int(paths),
        "seed": int(seed),
        "target_arr": None if target_arr is None else float(target_arr),
        "months": None if months is None else int(months),
        "result_path": None if result_path is None else str(result_path),
        "lang": lang,
        "sampling": sampling,
        "precision": precision,
    }
    try:
        try:
            pm.execute_notebook(
                str(template),
                str(tmp),
                parameters=parameters,
                kernel_name="python3",
                language="python",
                progress_bar=False,
                log_output=False,
                execution_timeout=timeout,
                kernel_manager_class=_kernel_manager_class(),
            )
        except PapermillExecutionError as err:
            kept = _keep(tmp, failed)
            first = next((ln for ln in err.source.splitlines() if ln.strip()), "")
            raise ReportError(
                f"the report for {scenario_path.name} failed in cell {err.cell_index} "
                f"(execution count {err.exec_count}: {first.strip()!r}): {err.ename}: {err.evalue}. "
                f"The partly executed notebook is {kept}"
            ) from err
        except Exception as err:
            kept = _keep(tmp, failed)
            where = f"; the partly executed notebook is {kept}" if kept else ""
            raise ReportError(
                f"the report for {scenario_path.name} could not run: "
                f"{type(err).__name__}: {err}{where}"
            ) from err
        try:
            body = _export_html(tmp, scenario.name, lang)
        except Exception as err:
            kept = _keep(tmp, failed)
            raise ReportError(
                f"the report for {scenario_path.name} ran but could not be exported "
                f"to HTML: {type(err).__name__}: {err}; the notebook is {kept}"
            ) from err
        _write_atomic(html_path, body)
        if keep_notebook:
            os.replace(tmp, nb_path)
        failed.unlink(missing_ok=True)
    finally:
        tmp.unlink(missing_ok=True)
    return html_path


def _keep(tmp: Path, failed: Path) -> Path | None:
    """Move the partly executed notebook to ``failed`` (if papermill wrote one)."""
    if tmp.exists() and tmp.stat().st_size > 0:
        os.replace(tmp, failed)
        return failed
    return None
