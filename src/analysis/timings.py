"""Where a report's time goes, stage by stage.

The pipeline (:func:`analysis.pipeline.execute`) runs each notebook in a kernel whose
standard error goes to the job's log, with :data:`ENV` set and Python's import profiler on
(``PYTHONPROFILEIMPORTTIME``). The kernel then writes to that log

* one line per import, with its self and cumulative microseconds (Python's own format),
* :data:`MARK` lines: ``analysis-stage package`` when the package starts importing (what
  came before is the kernel's own start), and ``begin``/``end`` around each figure drawn
  (:func:`analysis.figures.draw`) and each table written (:func:`analysis.tables.save`).

:func:`from_log` reads those lines back: the seconds spent importing (outside figures and
writes: a library a figure imports counts as the figure's), drawing figures and writing
tables. The pipeline adds what it measures itself (kernel start and stop, executing the
cells, rendering the page, writing the results) in :func:`stages`. Outside the pipeline
(:data:`ENV` unset) nothing is written.
"""

from __future__ import annotations

import os
import re
import time
from contextlib import contextmanager

#: Environment variable that turns the stage lines on (set by the pipeline for its kernels).
ENV = "ANALYSIS_STAGES"
#: First word of a stage line in a kernel's log.
MARK = "analysis-stage"
#: The stages of a report, in the order a report goes through them.
STAGES = ("kernel", "imports", "computation", "figures", "rendering", "writing")
_IMPORT = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)")


def on() -> bool:
    return bool(os.environ.get(ENV))


def mark(text: str) -> None:
    """Write a stage line to the kernel's log (file descriptor 2) when stages are on."""
    if on():
        os.write(2, f"{MARK} {text}\n".encode())


@contextmanager
def stage(name: str):
    """Time the block as stage ``name`` (``figures`` or ``writing``) in the kernel's log."""
    if not on():
        yield
        return
    mark(f"begin {name}")
    start = time.perf_counter()
    try:
        yield
    finally:
        mark(f"end {name} {time.perf_counter() - start:.6f}")


def from_log(text: str) -> dict[str, float]:
    """Seconds of ``imports``, ``figures`` and ``writing`` in a kernel's log (see the
    module docstring); imports before the package started are the kernel's own."""
    out = {"imports": 0.0, "figures": 0.0, "writing": 0.0}
    started, inside = False, 0
    for line in text.splitlines():
        if line.startswith(MARK):
            words = line.split()
            if words[1] == "package":
                started = True
            elif words[1] == "begin":
                inside += 1
            elif words[1] == "end" and len(words) == 4 and words[2] in out:
                inside = max(inside - 1, 0)
                if inside == 0:
                    out[words[2]] += float(words[3])
            continue
        found = _IMPORT.match(line)
        # a top-level import (no indent beyond the one space) made by the notebook's code
        if found and started and not inside and len(found.group(3)) == 1:
            out["imports"] += int(found.group(2)) / 1e6
    return out


def without_stage_lines(text: str) -> str:
    """A kernel's log without the import profile and the stage lines (what a reader of a
    failed report's log wants to see)."""
    return "".join(
        line
        for line in text.splitlines(keepends=True)
        if not line.startswith(MARK)
        and not _IMPORT.match(line)
        and not line.startswith("import time: self")
    )


def stages(
    total: float, cells: float, kernel_log: dict[str, float], rendering: float, writing: float
) -> dict[str, float]:
    """One report's seconds per stage (:data:`STAGES`) and ``total``: the kernel is what
    is not the cells, the page or the pipeline's writes (starting and stopping it,
    papermill's own work); computation is what the cells spent beyond imports, figures
    and table writes."""
    inside = kernel_log["imports"] + kernel_log["figures"] + kernel_log["writing"]
    return {
        "kernel": max(total - cells - rendering - writing, 0.0),
        "imports": kernel_log["imports"],
        "computation": max(cells - inside, 0.0),
        "figures": kernel_log["figures"],
        "rendering": rendering,
        "writing": writing + kernel_log["writing"],
        "total": total,
    }
