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
  worker pool once per report (:func:`floor_jobs`), run twice and measured the second
  time, when each page's font subset is stored as the warm run's are
  (``floor_fresh_seconds``: the first time); ``warm_ratio``, ``cold_ratio`` and
  ``no_change_ratio`` are the runs above over it, figures that hold on any machine;
* ``tables["stages"]``: where each report's time goes (:func:`stage_table`): its warm
  run's kernel start and stop, imports, computation, figures, page rendering and writing
  (:mod:`analysis.timings`), beside its cold run and its do-nothing notebook.

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


def _timed_run(jobs, out: Path, prepared, log=None, phase: str = "", **options):
    """``(seconds, outcomes)`` of one regeneration into ``out``; ``log`` gets its progress
    lines."""
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
    return seconds, outcomes


def stage_table(cold: list, warm: list, floor: list) -> list[dict]:
    """Where each report's time goes: per report (longest warm run first), its warm run's
    seconds per stage (:data:`analysis.timings.STAGES`), the warm and cold totals and its
    do-nothing notebook's total (``floor``); a last row sums them."""
    from ..timings import STAGES

    cold_total = {o.job.name: o.seconds for o in cold}
    floor_total = {o.job.name.removeprefix("floor-"): o.seconds for o in floor}
    rows = [
        {
            "report": o.job.name,
            **{s: o.stages.get(s, 0.0) for s in STAGES},
            "warm": o.seconds,
            "cold": cold_total.get(o.job.name, 0.0),
            "floor": floor_total.get(o.job.name, 0.0),
        }
        for o in sorted(warm, key=lambda o: (-o.seconds, o.job.name))
    ]
    numbers = [k for k in rows[0] if k != "report"] if rows else []
    return rows + [{"report": "all reports", **{k: sum(r[k] for r in rows) for k in numbers}}]


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
        cold, cold_runs = _timed_run(
            jobs, scratch / "cold", prepared, log, "cold (empty cache)", force=True
        )
        warm, warm_runs = _timed_run(jobs, scratch / "warm", prepared, log, "warm", force=True)
        unchanged, _ = _timed_run(jobs, scratch / "warm", prepared, log, "unchanged")
        serial, _ = _timed_run(
            jobs, scratch / "serial", prepared, log, "one worker", force=True, workers=1
        )
        floor_notebooks = floor_jobs(jobs, scratch / "floor-notebook")
        # first with each page's font subset made afresh, then with it stored, as the warm
        # run has its own: the second is the floor the runs are measured against
        fresh_floor, _ = _timed_run(
            floor_notebooks, scratch / "floor-fresh", [], log, "floor, first", force=True
        )
        floor, floor_runs = _timed_run(
            floor_notebooks, scratch / "floor", [], log, "floor (do-nothing notebooks)", force=True
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
        "floor_fresh_seconds": fresh_floor,
        "warm_ratio": warm / floor,
        "cold_ratio": cold / floor,
        "no_change_ratio": unchanged / floor,
        "reports": len(jobs),
        "inventories": ", ".join(used),
        "workers": os.cpu_count() or 1,
        "tables": {"stages": stage_table(cold_runs, warm_runs, floor_runs)},
    }


BENCHMARKS = {"regeneration": regeneration}
