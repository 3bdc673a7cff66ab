"""Regenerating the reports: execute notebooks with papermill, render them to HTML without
code cells, record where each came from, and write ``reports/index.html``.

The plan of what to run lives in ``notebooks/plan.yaml`` (notebook, report name, parameters).
Notebooks run in parallel worker processes (one per core, BLAS threads pinned to 1), each
in its own working directory. A report whose notebook, parameters, package code and data
are unchanged since its last successful run is not executed again (``force`` redoes all).
Beside each report, ``<report>.provenance.json`` records the commit, inputs digest,
parameters and package versions it was made from.

While it works a run prints a line as each preparation and report starts and ends
(:class:`Progress`). The kernels' own output goes to a log in the report's work folder, kept
and named when the report fails. Ctrl-C stops the workers and their kernels, removes what
was being written, and ends the run with one line saying what finished (:class:`Interrupted`).

Only ``.ipynb`` files are notebooks. Each has a jupytext text pair (``NN_name.py``, percent
format) for review; :func:`refresh` keeps the pair in step and :func:`pair_differences`
says where a pair disagrees with its notebook.
"""

from __future__ import annotations

import glob
import hashlib
import json
import math
import os
import re
import shutil
import signal
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from . import config, timings
from .environment import code_and_data_digest, stamp_now, stamped
from .errors import AnalysisError
from .outputs import atomic_write_bytes, atomic_write_text

PLAN_FILE = config.NOTEBOOKS_DIR / "plan.yaml"
#: Environment every kernel gets: fixed hash seed, one BLAS/OpenMP thread per process, and
#: the stage lines and import profile in its log that say where its time went
#: (:mod:`analysis.timings`).
KERNEL_ENV = {
    "PYTHONHASHSEED": "0",
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    timings.ENV: "1",
    "PYTHONPROFILEIMPORTTIME": "1",
}
#: Kernels log errors only (the loopback TCP transport warning is noise on a single machine),
#: and what libraries write straight to the process's standard error (file descriptor 2:
#: C code, the import profile, the stage lines) goes to the job's log, not into the report;
#: what Python code prints or warns still shows in the report.
KERNEL_ARGS = ["--IPKernelApp.log_level=ERROR", "--IPKernelApp.capture_fd_output=False"]


@dataclass(frozen=True)
class Job:
    """One report: a notebook executed with parameters."""

    notebook: Path
    name: str
    parameters: dict = field(default_factory=dict)
    title: str = ""

    def describe(self) -> str:
        params = ", ".join(f"{k}={v}" for k, v in self.parameters.items())
        return f"{self.notebook.name} ({params})" if params else self.notebook.name


@dataclass
class Outcome:
    job: Job
    status: str  # executed | skipped | failed
    seconds: float = 0.0
    error: str = ""
    log: str = ""  # a failed run's log: the kernel's output and the cell's traceback
    stages: dict = field(default_factory=dict)  # seconds per stage (analysis.timings.STAGES)


def require_notebook(path: Path, where: str) -> None:
    """Refuse anything but a ``.ipynb`` as a notebook (``where`` says who named it): the
    ``.py`` beside a notebook is its text pair, not something to run."""
    if path.suffix != ".ipynb":
        pair = path.with_suffix(".ipynb").name
        raise AnalysisError(
            f"{where}: {path.name} is not a notebook (.ipynb); a .py beside a notebook is its "
            f"text pair: name {pair} / {where}：{path.name} 不是筆記本（.ipynb）；筆記本旁的 .py "
            f"是它的文字配對檔：請指定 {pair}"
        )


def load_plan(path: Path | None = None) -> list[Job]:
    """The reports ``make reports`` produces, in index order."""
    path = path or PLAN_FILE
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    jobs = []
    for i, entry in enumerate(data.get("reports", [])):
        if not isinstance(entry, dict) or "notebook" not in entry or "name" not in entry:
            raise AnalysisError(f"{path}: reports[{i}] needs 'notebook' and 'name'")
        nb = config.NOTEBOOKS_DIR / entry["notebook"]
        require_notebook(nb, f"{path}: reports[{i}]")
        if not nb.exists():
            raise AnalysisError(f"{path}: reports[{i}]: notebook {nb.name} does not exist")
        jobs.append(
            Job(
                nb,
                str(entry["name"]),
                dict(entry.get("parameters") or {}),
                str(entry.get("title", "")),
            )
        )
    names = [j.name for j in jobs]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise AnalysisError(f"{path}: report names used twice: {dupes}")
    return jobs


def load_prepare(path: Path | None = None) -> list[str]:
    """Inventories the plan wants ready before the notebooks that use them start
    (``prepare:``): coded inventories whose coding is costly are computed once, then read
    from the cache by every notebook that uses them."""
    path = path or PLAN_FILE
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return [str(n) for n in data.get("prepare", []) or []]


@contextmanager
def kernel_environment(out_root: str | Path):
    """The environment a notebook or preparation runs in (:data:`KERNEL_ENV`, outputs to
    ``out_root``), restored afterwards: a run on one worker happens in the calling process,
    whose own settings must survive it."""
    names = (*KERNEL_ENV, "ANALYSIS_OUTPUT_DIR", "MPLBACKEND")
    saved = {k: os.environ.get(k) for k in names}
    os.environ.update(KERNEL_ENV)
    os.environ["ANALYSIS_OUTPUT_DIR"] = str(out_root)
    os.environ.pop("MPLBACKEND", None)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _prepare_one(name: str, out_root: str) -> float:
    """Compute one prepared inventory into ``out_root``'s cache (in a worker process);
    returns the seconds it took, also recorded for the next run's estimate."""
    from . import coding

    start = time.perf_counter()
    with kernel_environment(out_root):
        coding.cases_for(name)
    seconds = time.perf_counter() - start
    atomic_write_text(_prepare_seconds_file(Path(out_root) / "reports", name), f"{seconds:.3f}\n")
    return seconds


def _prepared_after(prepared: list[str]) -> dict[str, set[str]]:
    """Per preparation, those to finish before it starts (:func:`analysis.coding.prepared_after`:
    one whose coding plan is a part of another's is prepared first, and the other reuses its
    stored evaluations; a free worker meanwhile runs reports)."""
    if not prepared:
        return {}
    from . import coding

    return {name: coding.prepared_after(name, prepared) for name in prepared}


def _prepare_seconds_file(reports: Path, name: str) -> Path:
    return reports / ".state" / "prepare" / f"{name}.seconds"


def needs(job: Job, prepared: list[str]) -> set[str]:
    """The prepared inventories a job waits for: those its parameters name, as
    ``<inventory>-coded`` or as the inventory whose coded version is prepared."""
    values = set()
    for value in job.parameters.values():
        items = value if isinstance(value, list | tuple) else [value]
        values |= {v for v in items if isinstance(v, str)}
    return {
        name
        for name in prepared
        if name in values or name.removesuffix(config.CODED_SUFFIX) in values
    }


def ad_hoc_jobs(notebooks: list[str], parameters: dict) -> list[Job]:
    """Jobs for notebooks named on the command line, with the given parameters, checked
    against each notebook's ``parameters`` cell before any kernel starts
    (:func:`analysis.parameters.check`). A mapping file path is made absolute (the notebook
    runs in another folder) and the report is named by the mapping's ``inventory:``."""
    from .parameters import check, output_name, resolve_paths

    values = resolve_paths(parameters)
    shown = {k: output_name(v) if isinstance(v, str | list) else v for k, v in values.items()}
    slug = "-".join(f"{k}-{v}" for k, v in sorted(shown.items()))
    slug = re.sub(r"[^A-Za-z0-9_.+-]+", "_", slug)
    jobs = []
    for nb in notebooks:
        path = Path(nb)
        if not path.exists():
            path = config.NOTEBOOKS_DIR / nb
        require_notebook(path, "analysis run")
        if not path.exists():
            raise AnalysisError(f"no notebook {nb!r} (looked in {config.NOTEBOOKS_DIR})")
        check(path, **values)
        jobs.append(Job(path.resolve(), path.stem + (f"--{slug}" if slug else ""), dict(values)))
    return jobs


# -- change detection ----------------------------------------------------------------------
def template_digest() -> str:
    """sha256 of the report template's files (``templates/``: page, styles, scripts)."""
    digest = hashlib.sha256()
    folder = Path(__file__).parent / "templates"
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def job_key(job: Job, inputs: str) -> str:
    """What a report's last run must have had for it to be skipped: the notebook's bytes,
    the parameters and ``inputs`` (:func:`~analysis.environment.code_and_data_digest`: a
    change to another notebook does not rerun this one)."""
    digest = hashlib.sha256()
    digest.update(job.notebook.read_bytes())
    digest.update(json.dumps(job.parameters, sort_keys=True, ensure_ascii=False).encode())
    digest.update(inputs.encode())
    return digest.hexdigest()


# -- kernels, threads and interrupts -------------------------------------------------------
#: Kernels this process started and has not shut down: what :func:`stop_kernels` stops.
_LIVE_KERNELS: set = set()


@lru_cache(maxsize=1)
def _logging_kernel_manager():
    """The kernel manager of every notebook run here: the kernel's own output (its log
    lines, tracebacks of its message handlers, ``KeyboardInterrupt caught in kernel``) goes
    to a log file instead of the terminal, and the kernel is known to :func:`stop_kernels`
    from its start to its shutdown."""
    from jupyter_client.manager import AsyncKernelManager

    class LoggingKernelManager(AsyncKernelManager):
        log_file = None  # an open binary file: see _kernel_manager_class

        async def start_kernel(self, **kw):
            kw["stdout"] = kw["stderr"] = self.log_file
            _LIVE_KERNELS.add(self)
            await super().start_kernel(**kw)

        async def shutdown_kernel(self, now=False, restart=False):
            try:
                await super().shutdown_kernel(now=now, restart=restart)
            finally:
                _LIVE_KERNELS.discard(self)

    return LoggingKernelManager


def _kernel_manager_class(log_file) -> type:
    """A kernel manager class whose kernels write their output to ``log_file``."""
    return type("KernelManager", (_logging_kernel_manager(),), {"log_file": log_file})


def _signal_group(process, sig: int) -> None:
    """Send ``sig`` to a kernel and what it started (its process group)."""
    try:
        if hasattr(os, "killpg"):
            os.killpg(os.getpgid(process.pid), sig)
        else:
            process.terminate()
    except (ProcessLookupError, PermissionError):
        pass


def stop_kernels(wait_seconds: float = 2.0) -> None:
    """Stop the kernels this process started and has not shut down (an interrupted run):
    interrupt each (its code's cleanup runs), terminate it, and kill what is still alive
    after ``wait_seconds``."""
    processes = [
        process
        for km in list(_LIVE_KERNELS)
        if (process := getattr(getattr(km, "provisioner", None), "process", None)) is not None
    ]
    _LIVE_KERNELS.clear()
    for sig, pause in ((signal.SIGINT, 0.2), (signal.SIGTERM, wait_seconds)):
        for process in processes:
            if process.poll() is None:
                _signal_group(process, sig)
        deadline = time.monotonic() + pause
        while any(p.poll() is None for p in processes) and time.monotonic() < deadline:
            time.sleep(0.05)
    for process in processes:
        if process.poll() is None:
            _signal_group(process, getattr(signal, "SIGKILL", signal.SIGTERM))
            process.wait()


def _in_thread(fn, *args, tick=None, **kwargs):
    """``fn(*args, **kwargs)`` in a thread of its own, waited for (``tick()`` each second
    meanwhile). nbclient sets SIGINT and SIGTERM handlers of its own only when it runs in
    the main thread; here those signals stay the run's to handle (:func:`stop_kernels`)."""
    box = {}

    def target():
        try:
            box["result"] = fn(*args, **kwargs)
        except BaseException as exc:  # handed to the waiting thread
            box["error"] = exc

    thread = threading.Thread(target=target, name="notebook", daemon=True)
    thread.start()
    try:
        while thread.is_alive():
            thread.join(1.0)
            if tick is not None:
                tick()
    except KeyboardInterrupt:  # stop the kernel; the thread then closes its connections
        with _sigint_ignored():
            stop_kernels()
            thread.join(5.0)
        raise
    if "error" in box:
        raise box["error"]
    return box.get("result")


#: An optional module a worker does without: jsonschema (which nbformat, papermill and
#: nbconvert import to check notebooks) uses it, when installed, only to check the ``iri``
#: string format, which the notebook schema never names, and importing it builds its grammar:
#: 1.8 of the 2.4 s a worker took to import papermill.
UNUSED_IN_WORKERS = ("rfc3987_syntax",)


def _worker_started() -> None:
    """Each worker process: Ctrl-C at the terminal is the main process's to handle (it
    stops the workers), and a worker told to stop stops its kernel first. The modules of
    :data:`UNUSED_IN_WORKERS` are not imported (an import of one fails, as when it is not
    installed)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _worker_stop)
    for name in UNUSED_IN_WORKERS:
        sys.modules.setdefault(name, None)


def _worker_stop(signum, frame) -> None:
    stop_kernels()
    os._exit(128 + signum)


def _stop_workers(pool: ProcessPoolExecutor) -> None:
    """Stop a pool's worker processes now (an interrupt): each stops its kernel first
    (:func:`_worker_stop`); one still alive after five seconds is killed."""
    # the executor has no public handle on its processes before Python 3.14
    processes = list((getattr(pool, "_processes", None) or {}).values())
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(5)
        if process.is_alive():
            process.kill()
            process.join()


@contextmanager
def _sigint_ignored():
    """Ctrl-C pressed again while an interrupted run cleans up does not cut the cleanup
    short (main thread only; elsewhere a no-op)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    saved = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, saved)


def _remove_partial_writes(out_root: Path, since: float, unfinished: list[Job]) -> None:
    """After an interrupt: the temporary files of atomic writes cut short (``.NAME.*.tmp``)
    written since ``since`` under ``out_root``, and the work folders of unfinished jobs."""
    for folder in (out_root / "reports", out_root / "figures", out_root / ".cache"):
        for path in folder.rglob(".*.tmp"):
            try:
                if path.stat().st_mtime >= since:
                    path.unlink()
            except OSError:
                pass
    work = out_root / ".cache" / "work"
    for job in unfinished:
        for folder in work.glob(f"{glob.escape(job.name)}-*"):
            try:
                if folder.is_dir() and folder.stat().st_mtime >= since:
                    shutil.rmtree(folder, ignore_errors=True)
            except OSError:
                pass


#: The lock file of a work folder, held by the process running its job.
WORK_LOCK = ".lock"
#: A work folder changed this recently is never removed as stale (it may not be locked yet).
WORK_GRACE_SECONDS = 60


def claim_work_folder(folder: Path):
    """Lock ``folder`` for this process (an exclusive ``flock`` on its :data:`WORK_LOCK`):
    :func:`remove_stale_work` leaves it alone until the returned file is closed or the
    process ends. Keep the returned file open while the folder is in use."""
    import fcntl

    lock = open(folder / WORK_LOCK, "wb")  # noqa: SIM115 - held open for as long as it is used
    fcntl.flock(lock, fcntl.LOCK_EX)
    return lock


def _held(folder: Path) -> bool:
    """Whether a live process holds the lock of a work folder (when unsure: yes)."""
    import fcntl

    try:
        fd = os.open(folder / WORK_LOCK, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        return False
    except OSError:
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)  # releases the lock just taken
    return False


def byte_compile() -> bool:
    """Write the package's bytecode (``__pycache__`` beside each module) where it is missing
    or older than its source, as ``compileall`` does; True when every module compiled.

    Python reads bytecode that is up to date even where it writes none
    (``PYTHONDONTWRITEBYTECODE=1``, as on this project's machines), and an editable install
    is not byte-compiled: without this every kernel compiled the package's modules from
    source again, 0.6 s of a report's imports. A folder that cannot be written costs only
    that time; a module's bytecode older than its source is never used (Python compares
    the source's time and size)."""
    import compileall

    try:
        return bool(compileall.compile_dir(str(Path(__file__).parent), quiet=2, workers=1))
    except OSError:
        return False


def remove_stale_work(work: Path, before: float | None = None) -> list[str]:
    """Remove the work folders under ``work`` left by runs that ended without cleaning up
    (killed, or a failed job's folder kept for its log): those last changed before
    ``before`` (default: :data:`WORK_GRACE_SECONDS` ago) that no live process has claimed
    (:func:`claim_work_folder`). Returns their names, sorted."""
    before = time.time() - WORK_GRACE_SECONDS if before is None else before
    removed = []
    for folder in sorted(work.iterdir()) if work.is_dir() else []:
        try:
            if folder.is_symlink() or not folder.is_dir() or folder.stat().st_mtime >= before:
                continue
        except OSError:
            continue
        if not _held(folder):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder.name)
    return removed


# -- execution -----------------------------------------------------------------------------
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def execute(job: Job, out_root: str, key: str, tick=None) -> Outcome:
    """Run one notebook (in a worker process, or in this one when ``tick`` is given: called
    each second while the notebook runs) and render it. The kernel's output goes to a log
    in the job's work folder, kept with the executed notebook when the job fails."""
    import papermill as pm

    start = time.perf_counter()
    out_root_p = Path(out_root)
    reports = out_root_p / "reports"
    executed = reports / "notebooks" / f"{job.name}.ipynb"
    executed.parent.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix=f"{job.name}-", dir=out_root_p / ".cache" / "work"))
    claim = claim_work_folder(workdir)  # held while this call runs (closed when it returns)
    tmp_nb = workdir / f"{job.name}.ipynb"
    log_path = workdir / f"{job.name}.log"
    with open(log_path, "ab") as log, kernel_environment(out_root_p):
        try:
            nb = _in_thread(
                pm.execute_notebook,
                str(job.notebook),
                str(tmp_nb),
                parameters=job.parameters,
                # written once at the end (and on an error), not at every cell's start and end
                request_save_on_cell_execute=False,
                kernel_name="python3",
                progress_bar=False,
                cwd=str(workdir),
                log_output=False,
                extra_arguments=KERNEL_ARGS,
                kernel_manager_class=_kernel_manager_class(log),
                tick=tick,
            )
        except pm.PapermillExecutionError as exc:
            first_line = next((ln for ln in str(exc.source).splitlines() if ln.strip()), "")
            traceback = _ANSI.sub("", "\n".join(exc.traceback or []))
            log.write(f"\n{exc.ename} in cell {exc.exec_count}:\n{traceback}\n".encode())
            failure = (
                f"cell {exc.exec_count} ({first_line.strip()[:60]}) raised {exc.ename}: "
                f"{exc.evalue}"
            )
        except Exception as exc:  # kernel died, bad parameters, ...
            log.write(f"\n{type(exc).__name__}: {exc}\n".encode())
            failure = f"{type(exc).__name__}: {exc}"
        else:
            failure = ""
    if failure:  # the log kept for its reader: the kernel's output without the stage lines
        text = log_path.read_text(encoding="utf-8", errors="replace")
        atomic_write_text(log_path, timings.without_stage_lines(text))
        return Outcome(job, "failed", time.perf_counter() - start, failure, str(log_path))
    cells = cell_seconds(nb)
    written = time.perf_counter()
    atomic_write_bytes(executed, tmp_nb.read_bytes())
    rendering = time.perf_counter()
    render_html(executed, reports / f"{job.name}.html", title=job.title or job.name, nb=nb)
    rendered = time.perf_counter()
    kernel_log = timings.from_log(log_path.read_text(encoding="utf-8", errors="replace"))
    atomic_write_text(reports / ".state" / f"{job.name}.key", key)
    seconds = time.perf_counter() - start
    atomic_write_text(reports / ".state" / f"{job.name}.seconds", f"{seconds:.3f}\n")
    writing = rendering - written + time.perf_counter() - rendered
    stages = timings.stages(seconds, cells, kernel_log, rendered - rendering, writing)
    atomic_write_text(stages_path(reports, job.name), json.dumps(stages, sort_keys=True) + "\n")
    shutil.rmtree(workdir, ignore_errors=True)
    claim.close()
    return Outcome(job, "executed", seconds, stages=stages)


def cell_seconds(nb) -> float:
    """Seconds papermill recorded for the cells of an executed notebook (a node), summed."""
    return float(
        sum(cell.metadata.get("papermill", {}).get("duration") or 0.0 for cell in nb.cells)
    )


def stages_path(reports: Path, name: str) -> Path:
    """Where a report's seconds per stage are kept (:func:`read_stages`)."""
    return reports / ".state" / f"{name}.stages.json"


def read_stages(reports: Path, name: str) -> dict | None:
    """A report's seconds per stage (:data:`analysis.timings.STAGES` and ``total``) from its
    last run, or None when it has none."""
    try:
        return json.loads(stages_path(reports, name).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


@lru_cache(maxsize=1)
def _exporter():
    """One HTML exporter per process (building one loads its templates: about a second).

    nbconvert's HTML exporter parses every page it renders again with BeautifulSoup, only
    to add alternative texts to images and ``tabindex`` to outputs: 15 s of a 10 MB page's
    20. The report template writes each figure's alternative text itself (its title, see
    :func:`analysis.figures.draw`), so this exporter renders the template alone."""
    from nbconvert import HTMLExporter, TemplateExporter
    from nbconvert.filters.highlight import Highlight2HTML
    from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

    class ReportExporter(HTMLExporter):
        def from_notebook_node(self, nb, resources=None, **kw):
            lexer = nb.metadata.get("language_info", {}).get("name")
            resources = self._init_resources(resources)
            self.register_filter(
                "highlight_code",
                self.filters.get(
                    "highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self)
                ),
            )
            self.register_filter(
                "filter_data_type",
                WidgetsDataTypeFilter(
                    notebook_metadata=self._nb_metadata, parent=self, resources=resources
                ),
            )
            return TemplateExporter.from_notebook_node(self, nb, resources, **kw)

    return ReportExporter(
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        # the lab template without its CDN scripts, with the report stylesheet and a link
        # back to the index (templates/report)
        extra_template_basedirs=[str(Path(__file__).parent / "templates")],
        template_name="report",
    )


def render_html(notebook: Path, target: Path, title: str = "", nb=None) -> Path:
    """Render an executed notebook as one self-contained HTML page without code cells
    (inputs and prompts hidden): its font subset, styles and scripts inside it
    (:func:`analysis.render.finish_page`), ``<html lang>`` from its ``language`` parameter.
    ``nb``: the notebook already read (a node), else it is read from ``notebook``."""
    import nbformat

    from . import render

    nb = nbformat.read(notebook, as_version=4) if nb is None else nb
    for cell in nb.cells:  # papermill gives the cell it adds a random id: the page a fixed one
        if "injected-parameters" in cell.get("metadata", {}).get("tags", []):
            cell["id"] = "injected-parameters"
    parameters = nb.metadata.get("papermill", {}).get("parameters", {}) or {}
    resources = {
        "metadata": {"name": title or notebook.stem},
        "report_lang": render.html_lang(parameters.get("language")),
    }
    body, _ = _exporter().from_notebook_node(nb, resources=resources)
    return atomic_write_text(target, render.finished(body))


# -- provenance ----------------------------------------------------------------------------
def provenance_path(reports: Path, name: str) -> Path:
    return reports / f"{name}.provenance.json"


def provenance_record(job: Job, commit: str, digest: str, package_versions: dict) -> dict:
    """Where a report came from, as written to ``<report>.provenance.json``: the commit
    (:func:`~analysis.environment.git_commit`), the inputs digest
    (:func:`~analysis.environment.inputs_digest`), the notebook (relative to the project
    root when inside it), its parameters, and the Python and package versions."""
    notebook = job.notebook.resolve()
    root = config.ROOT.resolve()
    return {
        "report": job.name,
        "title": job.title,
        "commit": commit,
        "inputs_digest": digest,
        "notebook": (
            notebook.relative_to(root).as_posix()
            if notebook.is_relative_to(root)
            else notebook.as_posix()
        ),
        "parameters": job.parameters,
        "versions": package_versions,
    }


def write_provenance(reports: Path, record: dict) -> Path:
    """Write a :func:`provenance_record` (sorted keys, UTF-8, stable bytes: two runs of one
    tree write the same file)."""
    text = json.dumps(record, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    return atomic_write_text(provenance_path(reports, record["report"]), text)


def read_provenance(reports: Path, name: str) -> dict | None:
    """A report's provenance record, or None when it has none (or it cannot be read)."""
    try:
        return json.loads(provenance_path(reports, name).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def last_seconds(reports: Path, job: Job, cold: bool = False) -> float:
    """Wall seconds of the job's last successful run in ``reports``, else in the project's
    reports folder (:func:`analysis.config.reports_dir`: a run into a new folder, such as a
    benchmark's, orders its jobs as the project's last run took them), else infinity.
    ``cold``: its longest run in a cold run (:func:`cold_seconds_path`) where one is
    recorded, else its last run."""
    names = [f"{job.name}.cold-seconds", f"{job.name}.seconds"] if cold else [f"{job.name}.seconds"]
    for name in names:
        for folder in dict.fromkeys([Path(reports), config.reports_dir()]):
            try:
                return float((folder / ".state" / name).read_text())
            except (OSError, ValueError):
                continue
    return float("inf")


def cold_seconds_path(reports: Path, job: Job) -> Path:
    """Where a job's longest wall seconds in a cold run are kept: a run that had coded
    inventories to compute, so that the reports' stored computations were likely to be
    made again too. A cold run orders its jobs by these: a warm run's times would start
    the longest cold report (a coding evaluation) among the last. The longest, not the
    last: a cold run may still find most of what a report computes in the cache."""
    return Path(reports) / ".state" / f"{job.name}.cold-seconds"


def longest_first(
    jobs: list[Job], reports: Path, prepared: list[str] | tuple[str, ...] = (), cold: bool = False
) -> list[Job]:
    """The jobs ordered by their last recorded wall time (for a cold run, ``cold``: by
    their longest cold run where recorded), longest (or never run) first, so a parallel
    run does not end waiting on one long notebook started last. Among jobs with no record,
    those that use more prepared (coded) inventories come first: they are the costly ones
    (coding evaluations, the large coded inventories)."""
    return sorted(
        jobs, key=lambda j: (-last_seconds(reports, j, cold), -len(needs(j, list(prepared))))
    )


# -- progress ------------------------------------------------------------------------------
def _duration(seconds: float) -> str:
    """``9.4 s``, ``2 min 05 s``, ``1 h 02 min``."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    return f"{minutes // 60} h {minutes % 60:02d} min"


def _about(seconds: float) -> str:
    """A time left, rounded: ``about 40 s left``, ``about 12 min left``, ``finishing``."""
    if seconds < 5:
        return "finishing"
    return (
        f"about {round(seconds)} s left"
        if seconds < 90
        else f"about {round(seconds / 60)} min left"
    )


class Progress:
    """What a run prints while it works: a line as each step (a preparation or a report)
    starts and as it ends, with ``[k/n]`` (k of n steps done), the seconds it took, what
    still runs and the time left as the last recorded runs predict it (scaled by how this
    run's steps compare with their records). On a terminal the running steps and the time
    left share one status line, redrawn each second under the finished steps; in a log or
    CI every line is plain text.

    ``estimates``: each step's last recorded seconds (infinity when never run); ``out``: a
    text stream (``sys.stdout``), a function taking each line, or None (silent)."""

    def __init__(self, estimates: dict[str, float], workers: int = 1, out=None):
        self.estimates, self.workers = dict(estimates), max(int(workers), 1)
        self.total, self.done = len(self.estimates), 0
        self.running: dict[str, float] = {}
        self.ended: set[str] = set()
        self.records: list[tuple[float, float]] = []  # (last recorded, this run) per step
        self.lock = threading.Lock()
        self.stream = out if hasattr(out, "write") else None
        self.live = self.stream is not None and self.stream.isatty()
        if out is None:
            self.emit = lambda line: None
        elif self.stream is None:
            self.emit = out
        else:
            self.emit = lambda line: print(line, file=self.stream, flush=True)
        self.shown = False  # a status line is on screen

    def note(self, text: str) -> None:
        """A line of its own (a header, a summary)."""
        with self.lock:
            self._line(text)

    def start(self, step: str) -> None:
        with self.lock:
            self.running[step] = time.monotonic()
            if self.live:
                self._draw()
                return
            last = self.estimates.get(step, math.inf)
            since = f" (last run {_duration(last)})" if math.isfinite(last) else ""
            self._line(f"{self._count()} start  {step}{since}")

    def end(self, step: str, status: str, seconds: float) -> None:
        """``status``: executed, prepared or failed."""
        with self.lock:
            self.running.pop(step, None)
            self.ended.add(step)
            self.done += 1
            last = self.estimates.get(step, math.inf)
            if status != "failed" and seconds > 0:
                self.records.append((last, seconds))
            verb = "FAILED" if status == "failed" else "done  "
            line = f"{self._count()} {verb} {step} {'after' if status == 'failed' else 'in'} "
            line += _duration(seconds)
            if self.running and not self.live:
                line += " · running " + ", ".join(self.running)
            left = self.eta()
            if left is not None:
                line += f" · {_about(left)}"
            self._line(line)

    def tick(self) -> None:
        """Redraw the status line (a terminal only): the running steps' clocks move."""
        if self.live:
            with self.lock:
                self._draw()

    def close(self) -> None:
        with self.lock:
            if self.shown:
                self.stream.write("\r\x1b[K")
                self.stream.flush()
                self.shown = False

    def eta(self) -> float | None:
        """Seconds left: the remaining steps' last recorded times (a step never run counts
        as the mean of those that ran), scaled by this run's pace, over the workers; None
        when nothing is left, nothing is known, or a running step is over its time."""
        if self.done == self.total:
            return None
        done = [seconds for _, seconds in self.records]
        known = [s for s in self.estimates.values() if math.isfinite(s)]
        typical = statistics.mean(done) if done else statistics.mean(known) if known else None
        if typical is None:
            return None
        paired = [(last, seconds) for last, seconds in self.records if math.isfinite(last)]
        pace = 1.0
        if paired and sum(last for last, _ in paired) > 0:
            pace = sum(s for _, s in paired) / sum(last for last, _ in paired)
            pace = min(max(pace, 0.5), 3.0)

        def expected(step: str) -> float:
            last = self.estimates.get(step, math.inf)
            return (last if math.isfinite(last) else typical) * pace

        now = time.monotonic()
        running = [expected(s) - (now - t) for s, t in self.running.items()]
        if any(left < 0 for left in running):  # a step longer than expected: no telling
            return None
        waiting = [
            expected(s) for s in self.estimates if s not in self.running and s not in self.ended
        ]
        return max((sum(running) + sum(waiting)) / self.workers, max(running, default=0.0))

    def _count(self) -> str:
        width = len(str(self.total))
        return f"[{self.done:>{width}}/{self.total}]"

    def _line(self, text: str) -> None:
        if self.live:
            self.stream.write("\r\x1b[K" + text + "\n")
            self._draw()
        else:
            self.emit(text)

    def _draw(self) -> None:
        if self.done == self.total:
            return
        now = time.monotonic()
        text = self._count()
        if self.running:
            text += " running " + ", ".join(
                f"{step} {int(now - t) // 60}:{int(now - t) % 60:02d}"
                for step, t in self.running.items()
            )
        left = self.eta()
        if left is not None:
            text += f" · {_about(left)}"
        width = max(shutil.get_terminal_size().columns - 1, 20)
        if len(text) > width:
            text = text[: width - 1] + "…"
        self.stream.write("\r\x1b[K" + text)
        self.stream.flush()
        self.shown = True


def _prepare_step(name: str) -> str:
    return f"prepare {name}"


class Interrupted(KeyboardInterrupt):
    """A run stopped by Ctrl-C: the reports finished before it (kept) and those not run."""

    def __init__(self, finished: list[Outcome], not_run: list[Job]):
        super().__init__()
        self.finished, self.not_run = finished, not_run

    def __str__(self) -> str:
        k, total = len(self.finished), len(self.finished) + len(self.not_run)
        failed = sum(o.status == "failed" for o in self.finished)
        kept = f"kept, {failed} failed" if failed else "kept"
        return (
            f"interrupted: {k} of {total} reports finished ({kept}), {len(self.not_run)} not "
            f"run; run again to continue / 已中斷：{total} 份報告中 {k} 份已完成（保留），"
            f"{len(self.not_run)} 份未執行；再執行一次即可接續"
        )


# -- scheduling ----------------------------------------------------------------------------
class _Scheduler:
    """Preparations and reports of one run, and what each report still waits for."""

    def __init__(self, todo: list[Job], prepared: list[str], out_root: str, keys: dict, progress):
        self.todo, self.prepared, self.out_root, self.keys, self.progress = (
            todo,
            prepared,
            out_root,
            keys,
            progress,
        )
        self.waiting = {job.name: needs(job, prepared) for job in todo}
        self.after = _prepared_after(prepared)  # per preparation, those it waits for
        self.failed_prep: dict[str, str] = {}

    def blocked(self, job: Job) -> Outcome | None:
        """The failed outcome of a job one of whose preparations failed, else None."""
        broken = sorted(self.waiting[job.name] & set(self.failed_prep))
        if broken:
            return Outcome(
                job,
                "failed",
                0.0,
                "; ".join(f"preparing {b} raised {self.failed_prep[b]}" for b in broken),
            )
        return None

    def serial(self):
        """Every preparation, then every job, in this process."""
        for name in sorted(self.prepared, key=lambda n: len(self.after[n])):  # parts first
            self.progress.start(_prepare_step(name))
            start = time.perf_counter()
            status = "prepared"
            try:
                _prepare_one(name, self.out_root)
            except Exception as exc:  # reported through the jobs that need it
                self.failed_prep[name] = f"{type(exc).__name__}: {exc}"
                status = "failed"
            self.progress.end(_prepare_step(name), status, time.perf_counter() - start)
        for job in self.todo:
            outcome = self.blocked(job)
            if outcome is None:
                self.progress.start(job.name)
                outcome = execute(job, self.out_root, self.keys[job.name], self.progress.tick)
            self.progress.end(job.name, outcome.status, outcome.seconds)
            yield outcome

    def parallel(self, cores: int):
        """Preparations and jobs on ``cores`` worker processes (see :func:`_schedule`). On
        an interrupt (or when the caller stops asking) the workers and their kernels stop."""
        rank = {job.name: i for i, job in enumerate(self.todo)}  # longest first
        tasks = [("prepare", name) for name in self.prepared]
        tasks += [("job", job) for job in self.todo if not self.waiting[job.name]]
        held = [job for job in self.todo if self.waiting[job.name]]
        pending = set(self.prepared)
        with kernel_environment(self.out_root):
            pool = ProcessPoolExecutor(max_workers=cores, initializer=_worker_started)
            try:
                running = {}
                while tasks or running:
                    while len(running) < cores:  # a worker is free: the next ready task
                        ready = [
                            t for t in tasks if t[0] == "job" or not self.after[t[1]] & pending
                        ]
                        if not ready:
                            break
                        tasks.remove(ready[0])
                        kind, item = ready[0]
                        running[self._submit(pool, kind, item)] = (kind, item, time.monotonic())
                    finished, _ = wait(running, timeout=1.0, return_when=FIRST_COMPLETED)
                    if not finished:
                        self.progress.tick()
                        continue
                    done = min(finished, key=lambda f: running[f][2])
                    kind, item, started = running.pop(done)
                    if kind == "job":
                        outcome = done.result()
                        self.progress.end(item.name, outcome.status, outcome.seconds)
                        yield outcome
                        continue
                    pending.discard(item)
                    error = done.exception()
                    if error is not None:
                        self.failed_prep[item] = f"{type(error).__name__}: {error}"
                    self.progress.end(
                        _prepare_step(item),
                        "failed" if error is not None else "prepared",
                        time.monotonic() - started if error is not None else done.result(),
                    )
                    yield from self._release(held, pending, tasks)
                    # preparations first (they unblock reports), then reports longest first
                    tasks.sort(
                        key=lambda t: (t[0] != "prepare", rank.get(getattr(t[1], "name", ""), -1))
                    )
            except BaseException:  # an interrupt, or the caller stopped: no worker outlives it
                with _sigint_ignored():
                    _stop_workers(pool)
                raise
            finally:
                pool.shutdown(wait=True, cancel_futures=True)

    def _submit(self, pool, kind: str, item):
        if kind == "prepare":
            self.progress.start(_prepare_step(item))
            return pool.submit(_prepare_one, item, self.out_root)
        self.progress.start(item.name)
        return pool.submit(execute, item, self.out_root, self.keys[item.name])

    def _release(self, held: list[Job], pending: set[str], tasks: list):
        """Jobs no longer waiting on a pending preparation leave ``held``: those whose
        preparation failed are yielded as failed, the others join ``tasks``."""
        for job in [j for j in held if not self.waiting[j.name] & pending]:
            held.remove(job)
            outcome = self.blocked(job)
            if outcome is not None:
                self.progress.end(job.name, "failed", 0.0)
                yield outcome
            else:
                tasks.append(("job", job))


def _schedule(
    todo: list[Job], prepared: list[str], out_root: str, keys: dict, cores: int, progress
):
    """Prepare the coded inventories and execute the jobs on ``cores`` worker processes (in
    this process when one), yielding each job's outcome. A free worker takes a preparation
    first (it unblocks reports), else the longest ready report; a report is ready once every
    prepared inventory it needs is, so the others run alongside the preparation. A
    preparation that fails fails the jobs that need it, naming it; the rest still run."""
    scheduler = _Scheduler(todo, prepared, out_root, keys, progress)
    if cores == 1 or len(todo) + len(prepared) == 1:
        yield from scheduler.serial()
    else:
        yield from scheduler.parallel(cores)


def _plural(count: int, noun: str, nouns: str) -> str:
    return f"{count} {noun if count == 1 else nouns}"


def _header(todo: list[Job], skipped: int, prepared: list[str], cores: int, estimates) -> str:
    """The run's first line: what it will do, on how many workers, and how long that took
    last time."""
    if not todo:
        return f"regenerate: {_plural(skipped, 'report', 'reports')} unchanged, nothing to run"
    text = f"regenerate: {_plural(len(todo), 'report', 'reports')} to run ({skipped} unchanged)"
    if prepared:
        text += f", {_plural(len(prepared), 'inventory', 'inventories')} to prepare"
    text += f", {_plural(cores, 'worker', 'workers')}"
    known = [s for s in estimates.values() if math.isfinite(s)]
    if known and len(known) == len(estimates):
        text += f"; the last runs took about {_duration(sum(known) / cores)}"
    elif known:
        text += f"; {len(estimates) - len(known)} never run here before"
    return text


def run(
    jobs: list[Job],
    out_root: Path | None = None,
    force: bool = False,
    workers: int | None = None,
    progress=True,
    prepared: list[str] | None = None,
) -> list[Outcome]:
    """Execute the jobs that are out of date, render them, record their provenance
    (:func:`write_provenance`), and rewrite the index.

    ``prepared`` names coded inventories to compute into the cache before the jobs that use
    them (see :func:`needs`). ``progress``: True prints a :class:`Progress` of preparations
    and jobs to standard output, a function receives its lines, False is silent.

    Ctrl-C stops the workers and their kernels, removes what was being written, and raises
    :class:`Interrupted` (what finished is kept: a run again skips it)."""
    out_root = Path(out_root or config.output_root()).resolve()
    reports, figures = out_root / "reports", out_root / "figures"
    for folder in (reports / "tables", figures, out_root / ".cache" / "work"):
        folder.mkdir(parents=True, exist_ok=True)
    remove_stale_work(out_root / ".cache" / "work")  # left by runs killed or failed earlier
    # the report template (its styles and scripts) shapes every page: a change renders again
    inputs = code_and_data_digest() + template_digest()
    outcomes, todo, keys = [], [], {}
    for job in jobs:
        keys[job.name] = key = job_key(job, inputs)
        state = reports / ".state" / f"{job.name}.key"
        if (
            not force
            and state.exists()
            and state.read_text() == key
            and (reports / f"{job.name}.html").exists()
            and provenance_path(reports, job.name).exists()
        ):
            outcomes.append(Outcome(job, "skipped"))
        else:
            todo.append(job)
    prepared = list(prepared or []) if todo else []
    if todo:  # the kernels and workers import the package from its bytecode
        byte_compile()
    if prepared:  # those already in the cache need no worker
        from . import coding

        with kernel_environment(out_root):
            prepared = [name for name in prepared if not coding.stored(name)]
    cold = bool(prepared)  # coded inventories to compute: the reports' results are cold too
    todo = longest_first(todo, reports, prepared, cold)
    cores = workers or os.cpu_count() or 1
    estimates = {_prepare_step(n): _last_prepare_seconds(reports, n) for n in prepared}
    estimates |= {job.name: last_seconds(reports, job, cold) for job in todo}
    busy = 1 if cores == 1 or len(estimates) == 1 else cores  # as _schedule runs them
    shown = Progress(estimates, busy, sys.stdout if progress is True else (progress or None))
    shown.note(_header(todo, len(outcomes), prepared, busy, estimates))
    # one commit, digest and set of versions for every report of this run
    stamp = stamp_now() if todo else None
    since = time.time() - 1
    schedule = _schedule(todo, prepared, str(out_root), keys, cores, shown)
    # the kernels read the stamp rather than each computing it again (environment.run_stamp)
    with stamped(stamp) if stamp else nullcontext():
        try:
            for outcome in schedule:
                _record(reports, outcome, stamp, cold)
                outcomes.append(outcome)
        except KeyboardInterrupt:
            with _sigint_ignored():
                schedule.close()
                stop_kernels()
                shown.close()
                ended = {o.job.name for o in outcomes}
                unfinished = [job for job in todo if job.name not in ended]
                _remove_partial_writes(out_root, since, unfinished)
            finished = [o for o in outcomes if o.status != "skipped"]
            raise Interrupted(finished, unfinished) from None
    order = {j.name: i for i, j in enumerate(jobs)}
    outcomes.sort(key=lambda o: order[o.job.name])
    # The index lists every report present: the plan's, then any run ad hoc.
    plan = load_plan() if PLAN_FILE.exists() else []
    planned = {j.name for j in plan}
    listed = plan + [j for j in jobs if j.name not in planned]
    key, stored = index_key(inputs, listed, out_root), reports / ".state" / "index.key"
    if not (reports / "index.html").exists() or not stored.exists() or stored.read_text() != key:
        shown.note(f"writing {reports / 'index.html'}")
        from . import index_page

        index_page.write_index(listed, reports, figures)
        atomic_write_text(stored, key)
    shown.close()
    return outcomes


def _record(reports: Path, outcome: Outcome, stamp, cold: bool) -> None:
    """An executed report's provenance record, and in a cold run its time as a cold one."""
    if outcome.status == "executed":
        write_provenance(reports, provenance_record(outcome.job, *stamp))
        if cold:  # the longest cold run recorded (a cold run may find much in the cache)
            path = cold_seconds_path(reports, outcome.job)
            try:
                before = float(path.read_text())
            except (OSError, ValueError):
                before = 0.0
            atomic_write_text(path, f"{max(before, outcome.seconds):.3f}\n")


def index_key(inputs: str, jobs: list[Job], out_root: Path) -> str:
    """What ``reports/index.html`` is written from: the code, data, notebooks and template
    (``inputs``), the reports it lists, and every file beside it, in ``reports/tables/``
    and in ``figures/`` (name, size, time last changed). A run that finds it unchanged
    leaves the index as it is."""
    digest = hashlib.sha256(inputs.encode())
    for job in jobs:
        digest.update(f"{job.name}\0{job.title}\0".encode())
    for folder in ("reports", "reports/tables", "figures"):
        base = Path(out_root) / folder
        for path in sorted(base.iterdir()) if base.is_dir() else []:
            if path.name != "index.html" and path.is_file():
                info = path.stat()
                digest.update(f"{folder}/{path.name}:{info.st_size}:{info.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def _last_prepare_seconds(reports: Path, name: str) -> float:
    """Wall seconds of a preparation's last run (infinity when never recorded)."""
    try:
        return float(_prepare_seconds_file(reports, name).read_text())
    except (OSError, ValueError):
        return float("inf")


# -- reproducibility ----------------------------------------------------------------------
#: The results a regeneration writes, as globs under its output folder: every table,
#: figure, coded inventory, load report and provenance record (rendered HTML and executed
#: notebooks hold run metadata and are not results).
RESULT_GLOBS = (
    "reports/tables/*",
    "figures/*",
    "reports/coded-*.csv",
    "reports/standardization-*.md",
    "reports/rejected-*.csv",
    "reports/*.provenance.json",
)


def result_files(out_root: Path) -> list[str]:
    """The result files under ``out_root`` (relative paths, sorted)."""
    out_root = Path(out_root)
    return sorted(
        {
            p.relative_to(out_root).as_posix()
            for g in RESULT_GLOBS
            for p in out_root.glob(g)
            if p.is_file() and not p.name.startswith(".")
        }
    )


def compare_outputs(a: Path, b: Path) -> tuple[list[str], list[str]]:
    """``(compared, differing)``: the result files of two regenerations, and those that
    are missing from one of them or differ in a single byte."""
    files_a, files_b = result_files(a), result_files(b)
    compared = sorted(set(files_a) | set(files_b))
    differing = [
        f
        for f in compared
        if f not in files_a
        or f not in files_b
        or (Path(a) / f).read_bytes() != (Path(b) / f).read_bytes()
    ]
    return compared, differing


# -- committed notebooks and their text pairs ----------------------------------------------
#: The jupytext format of a notebook's text pair (``NN_name.py`` beside ``NN_name.ipynb``).
PAIR_FORMAT = "py:percent"


def text_pair(notebook: Path) -> Path:
    """The jupytext text pair of a notebook: the same name ending in ``.py``."""
    return Path(notebook).with_suffix(".py")


def pair_text(nb, notebook: Path) -> str:
    """The text pair of notebook node ``nb`` (read from ``notebook``) as the project's
    jupytext settings (``[tool.jupytext]`` in pyproject.toml) write it."""
    import jupytext
    from jupytext.config import load_jupytext_config

    return jupytext.writes(
        nb, fmt=PAIR_FORMAT, config=load_jupytext_config(str(Path(notebook).resolve()))
    )


def _cells(nb) -> list[tuple[str, str, list[str]]]:
    """What a pair must agree on: each cell's type, source and tags."""
    return [
        (cell.cell_type, cell.source, list(cell.get("metadata", {}).get("tags", [])))
        for cell in nb.cells
    ]


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")[:60]


def pair_differences(notebook: Path) -> list[str]:
    """Where a notebook's text pair disagrees with it (cell types, sources, tags): one line
    per differing cell, empty when they agree."""
    import jupytext
    import nbformat

    notebook, pair = Path(notebook), text_pair(notebook)
    if not pair.exists():
        return [f"{pair.name} is missing"]
    ours = _cells(nbformat.read(notebook, as_version=4))
    theirs = _cells(jupytext.read(pair, fmt=PAIR_FORMAT))
    found = []
    for i, (a, b) in enumerate(zip(ours, theirs), start=1):
        what = [name for name, x, y in zip(("type", "source", "tags"), a, b) if x != y]
        if what:
            found.append(
                f"cell {i}: {' and '.join(what)} differ "
                f"({notebook.name}: {a[0]} {_first_line(a[1])!r}; "
                f"{pair.name}: {b[0]} {_first_line(b[1])!r})"
            )
    if len(ours) != len(theirs):
        found.append(f"{notebook.name} has {len(ours)} cells, {pair.name} has {len(theirs)}")
    return found


def _notebook_to_refresh(path: Path):
    """The notebook to execute: its cells from the text pair when the pair is newer and
    differs (an edit made in the text, as ``jupytext --sync`` would take it), else as
    stored."""
    import jupytext
    import nbformat
    from jupytext.combine import combine_inputs_with_outputs

    nb = nbformat.read(path, as_version=4)
    pair = text_pair(path)
    if pair.exists() and pair.stat().st_mtime > path.stat().st_mtime:
        text = jupytext.read(pair, fmt=PAIR_FORMAT)
        if _cells(text) != _cells(nb):
            nb = combine_inputs_with_outputs(text, nb, fmt=PAIR_FORMAT)
    return nb


def refresh(notebooks: list[Path], timeout: int = 600, done=None) -> None:
    """Execute notebooks in place with their default parameters (what nbval compares),
    writing their result files to a scratch folder and dropping volatile metadata, then
    rewrite each notebook's text pair (:func:`text_pair`) from it. A pair edited since
    its notebook was written is taken first (:func:`_notebook_to_refresh`). ``done(path)``
    is called as each notebook is written; the kernels' own output is not shown."""
    import nbformat
    from nbclient import NotebookClient

    for path in notebooks:
        require_notebook(Path(path), "analysis refresh")
    scratch = Path(tempfile.mkdtemp(prefix="refresh-"))
    try:
        with kernel_environment(scratch):
            for path in notebooks:
                path = Path(path)
                nb = _notebook_to_refresh(path)
                with open(scratch / f"{path.stem}.log", "ab") as log:
                    client = NotebookClient(
                        nb,
                        timeout=timeout,
                        kernel_name="python3",
                        extra_arguments=KERNEL_ARGS,
                        resources={"metadata": {"path": str(path.parent)}},
                        kernel_manager_class=_kernel_manager_class(log),
                    )
                    _in_thread(client.execute)
                for cell in nb.cells:
                    cell.get("metadata", {}).pop("execution", None)
                nb.metadata.pop("widgets", None)
                atomic_write_text(path, nbformat.writes(nb) + "\n")
                atomic_write_text(text_pair(path), pair_text(nb, path))
                if done is not None:
                    done(path)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
