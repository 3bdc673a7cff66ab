"""Where a report's time goes: the stage lines and import profile a kernel writes, read
back (analysis.timings), and the heavy plotting libraries imported only when a figure is
built (analysis.lazy)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from analysis import environment, lazy, timings

SCRIPT = """
import time
import analysis
from analysis import timings
import json  # noqa: imported before by the interpreter: no line of its own
with timings.stage("figures"):
    import seaborn  # a library a figure needs counts as the figure's
    time.sleep(0.2)
with timings.stage("writing"):
    time.sleep(0.1)
import statsmodels.api  # the report's own import
"""


def _run(code: str, **env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        check=True,
    )


def test_a_kernel_log_is_read_into_imports_figures_and_writing():
    log = _run(SCRIPT, PYTHONPROFILEIMPORTTIME="1", **{timings.ENV: "1"}).stderr
    read = timings.from_log(log)
    assert 0.2 <= read["figures"] < 10 and 0.1 <= read["writing"] < 5
    top = {}
    for line in log.splitlines():
        found = timings._IMPORT.match(line)
        if found and len(found.group(3)) == 1:
            top[found.group(4)] = int(found.group(2)) / 1e6
    # after the package's mark: analysis and statsmodels.api; seaborn is the figure's
    ours = top["analysis"] + top["statsmodels.api"]
    others = sum(v for k, v in top.items() if k not in ("analysis", "statsmodels.api", "seaborn"))
    assert ours - 1e-6 <= read["imports"] <= ours + others + 1e-6
    assert top["seaborn"] > others  # seaborn is not counted: the bounds above tell
    kept = timings.without_stage_lines(log)
    assert "import time" not in kept and timings.MARK not in kept


def test_without_the_pipeline_nothing_is_written():
    result = _run(SCRIPT)
    assert result.stderr == ""


def test_stages_add_up_to_the_report():
    read = {"imports": 1.0, "figures": 2.0, "writing": 0.5}
    stages = timings.stages(10.0, cells=6.0, kernel_log=read, rendering=1.5, writing=0.25)
    assert stages["computation"] == 2.5 and stages["kernel"] == 2.25
    assert stages["writing"] == 0.75
    assert sum(stages[s] for s in timings.STAGES) == pytest.approx(stages["total"])


def test_the_package_and_its_figures_import_no_plotting_library():
    code = (
        "import sys\n"
        "from analysis import figures, tables\n"
        "from analysis.figures import clustering, coding, cooccurrence, governance, inventory\n"
        "print(sorted(m for m in ('matplotlib', 'seaborn', 'scipy') if m in sys.modules))\n"
    )
    assert _run(code).stdout.strip() == "[]"


def test_a_lazy_module_imports_on_first_use_and_refuses_the_package():
    decimal = lazy.module("decimal")
    assert decimal.Decimal("1.5") * 2 == 3
    assert "imported" in repr(decimal)
    with pytest.raises(ValueError, match="not the package"):
        lazy.module("analysis.stats")


def test_code_digests_follow_modules_through_lazy_imports():
    """analysis.lazy imports by a computed name, yet the figures' code digest stays theirs:
    a change to the pipeline does not redraw every figure."""
    closure = {p.stem for p in environment.module_closure("analysis.figures.governance")}
    assert {"governance", "lazy", "frame", "config"} <= closure
    assert "pipeline" not in closure and "coding" not in closure
