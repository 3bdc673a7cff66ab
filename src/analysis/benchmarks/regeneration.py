"""Benchmark of the whole regeneration (``make reports``) on the bundled inventories.

One record, ``n`` = the bundled inventories' cases, timing every report of
``notebooks/plan.yaml`` executed and rendered into a scratch folder:

* ``cold_seconds``: empty cache (every inventory parsed and coded, every evaluation and
  bootstrap computed);
* ``seconds``: the same again into a new folder with the cache warm, all reports forced
  (what a rerun after editing a notebook costs);
* ``no_change_seconds``: a rerun with nothing changed (every report skipped);
* ``baseline_seconds``: the warm forced run on one worker instead of one per core
  (``ratio`` = what the parallel workers gain);
* ``floor_seconds``: what this machine cannot avoid: a notebook that only sets up the
  package's display and does nothing, executed and rendered through the same pipeline and
  worker pool once per report (:func:`floor_jobs`); ``warm_ratio``, ``cold_ratio`` and
  ``no_change_ratio`` are the runs above over it, figures that hold on any machine.

``--quick`` times the study's reports only (a smoke test of the benchmark itself). Each
regeneration prints its progress (each preparation and report as it starts and ends),
prefixed by its name, through the runner's ``log``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

from .. import inventories, pipeline


def _timed_run(jobs, out: Path, prepared, log=None, phase: str = "", **options) -> float:
    """Seconds of one regeneration into ``out``; ``log`` gets its progress lines."""
    progress = (lambda line: log(f"  regeneration {phase}: {line}")) if log else False
    start = time.perf_counter()
    outcomes = pipeline.run(jobs, out, progress=progress, prepared=prepared, **options)
    failed = [f"{o.job.name}: {o.error}" for o in outcomes if o.status == "failed"]
    if failed:
        from ..errors import AnalysisError

        raise AnalysisError("regeneration failed: " + "; ".join(failed))
    seconds = time.perf_counter() - start
    if log:
        log(f"  regeneration {phase}: {seconds:.1f} s")
    return seconds


#: The floor notebook's cells: a typed parameters cell, the package's display setup, nothing
#: else (what every report pays before it computes anything).
FLOOR_CELLS = (
    ("parameters", 'language: str = "zh-TW"  # zh-TW or en'),
    ("", "from analysis import tables\n\ntables.setup_display()"),
)


def floor_jobs(jobs: list[pipeline.Job], folder: Path) -> list[pipeline.Job]:
    """One do-nothing job per job of ``jobs`` (the floor notebook, written into ``folder``),
    named ``floor-<report>``, with the report's language."""
    import nbformat

    notebook = nbformat.v4.new_notebook()
    for tag, source in FLOOR_CELLS:
        cell = nbformat.v4.new_code_cell(source)
        if tag:
            cell.metadata["tags"] = [tag]
        notebook.cells.append(cell)
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    notebook.metadata["language_info"] = {"name": "python"}
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "floor.ipynb"
    nbformat.write(notebook, str(path))
    return [
        pipeline.Job(
            path,
            f"floor-{j.name}",
            {"language": j.parameters.get("language", "zh-TW")},
            j.title,
        )
        for j in jobs
    ]


def regeneration(n: int | None = None, log=None) -> dict:
    """Time cold, warm, unchanged and serial regenerations (``n`` set: quick mode);
    ``log`` gets each regeneration's progress lines."""
    jobs, prepared = pipeline.load_plan(), pipeline.load_prepare()
    if n is not None:
        jobs = [j for j in jobs if j.parameters.get("inventory") == "study"]
        prepared = []
    used = sorted(
        {str(j.parameters.get("inventory", "study")).removesuffix("-coded") for j in jobs}
        | {str(v) for j in jobs for k, v in j.parameters.items() if k.endswith("_inventory")}
    )
    cases = sum(len(inventories.cases(name)) for name in used if name in inventories.available())
    scratch = Path(tempfile.mkdtemp(prefix="bench-regeneration-"))
    saved = os.environ.get("ANALYSIS_CACHE_DIR")
    os.environ["ANALYSIS_CACHE_DIR"] = str(scratch / "cache")
    try:
        cold = _timed_run(jobs, scratch / "cold", prepared, log, "cold (empty cache)", force=True)
        warm = _timed_run(jobs, scratch / "warm", prepared, log, "warm", force=True)
        unchanged = _timed_run(jobs, scratch / "warm", prepared, log, "unchanged")
        serial = _timed_run(
            jobs, scratch / "serial", prepared, log, "one worker", force=True, workers=1
        )
        floor = _timed_run(
            floor_jobs(jobs, scratch / "floor-notebook"),
            scratch / "floor",
            [],
            log,
            "floor (do-nothing notebooks)",
            force=True,
        )
    finally:
        if saved is None:
            os.environ.pop("ANALYSIS_CACHE_DIR", None)
        else:
            os.environ["ANALYSIS_CACHE_DIR"] = saved
        shutil.rmtree(scratch, ignore_errors=True)
    return {
        "n": cases,
        "seconds": warm,
        "baseline_seconds": serial,
        "cold_seconds": cold,
        "no_change_seconds": unchanged,
        "floor_seconds": floor,
        "warm_ratio": warm / floor,
        "cold_ratio": cold / floor,
        "no_change_ratio": unchanged / floor,
        "reports": len(jobs),
        "inventories": ", ".join(used),
        "workers": os.cpu_count() or 1,
    }


BENCHMARKS = {"regeneration": regeneration}
