"""Regenerating the reports: execute notebooks with papermill, render them to HTML without
code cells, record where each came from, and write ``reports/index.html``.

The plan of what to run lives in ``notebooks/plan.yaml`` (notebook, report name, parameters).
Notebooks run in parallel worker processes (one per core, BLAS threads pinned to 1), each
in its own working directory. A report whose notebook, parameters, package code and data
are unchanged since its last successful run is not executed again (``force`` redoes all).
Beside each report, ``<report>.provenance.json`` records the commit, inputs digest,
parameters and package versions it was made from.

Only ``.ipynb`` files are notebooks. Each has a jupytext text pair (``NN_name.py``, percent
format) for review; :func:`refresh` keeps the pair in step and :func:`pair_differences`
says where a pair disagrees with its notebook.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from . import config
from .environment import code_and_data_digest, git_commit, inputs_digest, versions
from .errors import AnalysisError
from .outputs import atomic_write_bytes, atomic_write_text

PLAN_FILE = config.NOTEBOOKS_DIR / "plan.yaml"
#: Environment every kernel gets: fixed hash seed, one BLAS/OpenMP thread per process.
KERNEL_ENV = {
    "PYTHONHASHSEED": "0",
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "PYDEVD_DISABLE_FILE_VALIDATION": "1",
}
#: Kernels log errors only (the loopback TCP transport warning is noise on a single machine).
KERNEL_ARGS = ["--IPKernelApp.log_level=ERROR"]


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


def _prepare_one(name: str, out_root: str) -> str:
    """Compute one prepared inventory into ``out_root``'s cache (in a worker process)."""
    from . import coding

    with kernel_environment(out_root):
        coding.cases_for(name)
    return name


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
    """Jobs for notebooks named on the command line, with the given parameters."""
    jobs = []
    for nb in notebooks:
        path = Path(nb)
        if not path.exists():
            path = config.NOTEBOOKS_DIR / nb
        require_notebook(path, "analysis run")
        if not path.exists():
            raise AnalysisError(f"no notebook {nb!r} (looked in {config.NOTEBOOKS_DIR})")
        slug = "-".join(f"{k}-{v}" for k, v in sorted(parameters.items()))
        slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", slug)
        jobs.append(
            Job(path.resolve(), path.stem + (f"--{slug}" if slug else ""), dict(parameters))
        )
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


# -- execution -----------------------------------------------------------------------------
def execute(job: Job, out_root: str, key: str) -> Outcome:
    """Run one notebook (in a worker process) and render it."""
    import papermill as pm

    start = time.perf_counter()
    out_root_p = Path(out_root)
    reports = out_root_p / "reports"
    executed = reports / "notebooks" / f"{job.name}.ipynb"
    executed.parent.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix=f"{job.name}-", dir=out_root_p / ".cache" / "work"))
    tmp_nb = workdir / f"{job.name}.ipynb"
    try:
        with kernel_environment(out_root_p):
            pm.execute_notebook(
                str(job.notebook),
                str(tmp_nb),
                parameters=job.parameters,
                kernel_name="python3",
                progress_bar=False,
                cwd=str(workdir),
                log_output=False,
                extra_arguments=KERNEL_ARGS,
            )
    except pm.PapermillExecutionError as exc:
        first_line = next((ln for ln in str(exc.source).splitlines() if ln.strip()), "")
        return Outcome(
            job,
            "failed",
            time.perf_counter() - start,
            f"cell {exc.exec_count} ({first_line.strip()[:60]}) raised {exc.ename}: {exc.evalue}",
        )
    except Exception as exc:  # kernel died, bad parameters, ...
        return Outcome(job, "failed", time.perf_counter() - start, f"{type(exc).__name__}: {exc}")
    atomic_write_bytes(executed, tmp_nb.read_bytes())
    render_html(executed, reports / f"{job.name}.html", title=job.title or job.name)
    seconds = time.perf_counter() - start
    atomic_write_text(reports / ".state" / f"{job.name}.key", key)
    atomic_write_text(reports / ".state" / f"{job.name}.seconds", f"{seconds:.3f}\n")
    shutil.rmtree(workdir, ignore_errors=True)
    return Outcome(job, "executed", seconds)


@lru_cache(maxsize=1)
def _exporter():
    """One HTML exporter per process (building one loads its templates: about a second)."""
    from nbconvert import HTMLExporter

    return HTMLExporter(
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        # the lab template without its CDN scripts, with the report stylesheet and a link
        # back to the index (templates/report)
        extra_template_basedirs=[str(Path(__file__).parent / "templates")],
        template_name="report",
    )


def render_html(notebook: Path, target: Path, title: str = "") -> Path:
    """Render an executed notebook as one self-contained HTML page without code cells
    (inputs and prompts hidden): its font subset, styles and scripts inside it
    (:func:`analysis.render.finish_page`), ``<html lang>`` from its ``language`` parameter."""
    import nbformat

    from . import render

    nb = nbformat.read(notebook, as_version=4)
    parameters = nb.metadata.get("papermill", {}).get("parameters", {}) or {}
    resources = {
        "metadata": {"name": title or notebook.stem},
        "report_lang": render.html_lang(parameters.get("language")),
    }
    body, _ = _exporter().from_notebook_node(nb, resources=resources)
    return atomic_write_text(target, render.finish_page(body))


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


def last_seconds(reports: Path, job: Job) -> float:
    """Wall seconds of the job's last successful run (infinity when it never ran)."""
    try:
        return float((reports / ".state" / f"{job.name}.seconds").read_text())
    except (OSError, ValueError):
        return float("inf")


def longest_first(
    jobs: list[Job], reports: Path, prepared: list[str] | tuple[str, ...] = ()
) -> list[Job]:
    """The jobs ordered by their last recorded wall time, longest (or never run) first, so
    a parallel run does not end waiting on one long notebook started last. Among jobs with
    no record, those that use more prepared (coded) inventories come first: they are the
    costly ones (coding evaluations, the large coded inventories)."""
    return sorted(jobs, key=lambda j: (-last_seconds(reports, j), -len(needs(j, list(prepared)))))


class _Scheduler:
    """Preparations and reports of one run, and what each report still waits for."""

    def __init__(self, todo: list[Job], prepared: list[str], out_root: str, keys: dict, bar):
        self.todo, self.prepared, self.out_root, self.keys, self.bar = (
            todo,
            prepared,
            out_root,
            keys,
            bar,
        )
        self.waiting = {job.name: needs(job, prepared) for job in todo}
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
        for name in self.prepared:
            try:
                _prepare_one(name, self.out_root)
            except Exception as exc:  # reported through the jobs that need it
                self.failed_prep[name] = f"{type(exc).__name__}: {exc}"
            self.bar.update(1)
        for job in self.todo:
            outcome = self.blocked(job) or execute(job, self.out_root, self.keys[job.name])
            self.bar.update(1)
            yield outcome

    def parallel(self, cores: int):
        """Preparations and jobs on ``cores`` worker processes (see :func:`_schedule`)."""
        rank = {job.name: i for i, job in enumerate(self.todo)}  # longest first
        tasks = [("prepare", name) for name in self.prepared]
        tasks += [("job", job) for job in self.todo if not self.waiting[job.name]]
        held = [job for job in self.todo if self.waiting[job.name]]
        pending = set(self.prepared)
        with kernel_environment(self.out_root), ProcessPoolExecutor(max_workers=cores) as pool:
            running = {}
            while tasks or running:
                while tasks and len(running) < cores:  # a worker is free: the next task
                    kind, item = tasks.pop(0)
                    running[self._submit(pool, kind, item)] = (kind, item)
                done = next(as_completed(running))
                kind, item = running.pop(done)
                self.bar.update(1)
                self.bar.set_postfix_str(item if kind == "prepare" else item.name)
                if kind == "job":
                    yield done.result()
                    continue
                pending.discard(item)
                error = done.exception()
                if error is not None:
                    self.failed_prep[item] = f"{type(error).__name__}: {error}"
                yield from self._release(held, pending, tasks)
                # preparations first (they unblock reports), then reports longest first
                tasks.sort(
                    key=lambda t: (t[0] != "prepare", rank.get(getattr(t[1], "name", ""), -1))
                )

    def _submit(self, pool, kind: str, item):
        if kind == "prepare":
            return pool.submit(_prepare_one, item, self.out_root)
        return pool.submit(execute, item, self.out_root, self.keys[item.name])

    def _release(self, held: list[Job], pending: set[str], tasks: list):
        """Jobs no longer waiting on a pending preparation leave ``held``: those whose
        preparation failed are yielded as failed, the others join ``tasks``."""
        for job in [j for j in held if not self.waiting[j.name] & pending]:
            held.remove(job)
            outcome = self.blocked(job)
            if outcome is not None:
                self.bar.update(1)
                yield outcome
            else:
                tasks.append(("job", job))


def _schedule(todo: list[Job], prepared: list[str], out_root: str, keys: dict, cores: int, bar):
    """Prepare the coded inventories and execute the jobs on ``cores`` worker processes (in
    this process when one), yielding each job's outcome. A free worker takes a preparation
    first (it unblocks reports), else the longest ready report; a report is ready once every
    prepared inventory it needs is, so the others run alongside the preparation. A
    preparation that fails fails the jobs that need it, naming it; the rest still run."""
    scheduler = _Scheduler(todo, prepared, out_root, keys, bar)
    if cores == 1 or len(todo) + len(prepared) == 1:
        yield from scheduler.serial()
    else:
        yield from scheduler.parallel(cores)


def run(
    jobs: list[Job],
    out_root: Path | None = None,
    force: bool = False,
    workers: int | None = None,
    progress: bool = True,
    prepared: list[str] | None = None,
) -> list[Outcome]:
    """Execute the jobs that are out of date, render them, record their provenance
    (:func:`write_provenance`), and rewrite the index.

    ``prepared`` names coded inventories to compute into the cache before the jobs that use
    them (see :func:`needs`); one progress bar counts preparations and jobs together."""
    from tqdm import tqdm

    out_root = Path(out_root or config.output_root()).resolve()
    reports, figures = out_root / "reports", out_root / "figures"
    for folder in (reports / "tables", figures, out_root / ".cache" / "work"):
        folder.mkdir(parents=True, exist_ok=True)
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
        ):
            outcomes.append(Outcome(job, "skipped"))
        else:
            todo.append(job)
    prepared = list(prepared or []) if todo else []
    todo = longest_first(todo, reports, prepared)
    cores = workers or os.cpu_count() or 1
    bar = tqdm(
        total=len(prepared) + len(todo),
        desc="regenerate",
        unit="step",
        disable=not progress or not todo,
    )
    # one commit, digest and set of versions for every report of this run
    stamp = (git_commit(), inputs_digest(), versions()) if todo else None
    for outcome in _schedule(todo, prepared, str(out_root), keys, cores, bar):
        if outcome.status == "executed":
            write_provenance(reports, provenance_record(outcome.job, *stamp))
        outcomes.append(outcome)
    bar.close()
    order = {j.name: i for i, j in enumerate(jobs)}
    outcomes.sort(key=lambda o: order[o.job.name])
    # The index lists every report present: the plan's, then any run ad hoc.
    plan = load_plan() if PLAN_FILE.exists() else []
    planned = {j.name for j in plan}
    from . import index_page

    index_page.write_index(plan + [j for j in jobs if j.name not in planned], reports, figures)
    return outcomes


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


def refresh(notebooks: list[Path], timeout: int = 600) -> None:
    """Execute notebooks in place with their default parameters (what nbval compares),
    writing their result files to a scratch folder and dropping volatile metadata, then
    rewrite each notebook's text pair (:func:`text_pair`) from it. A pair edited since
    its notebook was written is taken first (:func:`_notebook_to_refresh`)."""
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
                NotebookClient(
                    nb,
                    timeout=timeout,
                    kernel_name="python3",
                    extra_arguments=KERNEL_ARGS,
                    resources={"metadata": {"path": str(path.parent)}},
                ).execute()
                for cell in nb.cells:
                    cell.get("metadata", {}).pop("execution", None)
                nb.metadata.pop("widgets", None)
                atomic_write_text(path, nbformat.writes(nb) + "\n")
                atomic_write_text(text_pair(path), pair_text(nb, path))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
