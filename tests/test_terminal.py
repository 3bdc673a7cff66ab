"""What a run shows in the terminal: progress lines as each step starts and ends, the
kernels' own output kept out of it (in a log kept for a failure), and Ctrl-C ending with
one line, exit status 130, and no process or half-written file left behind."""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from analysis import config, pipeline

psutil = pytest.importorskip("psutil")

STUDY = config.NOTEBOOKS_DIR / "01_study_tables.ipynb"
PROFILE = config.NOTEBOOKS_DIR / "00_inventory_profile.ipynb"


# -- progress lines (synthetic steps: the timings are given, not measured) ------------------
def test_plain_lines_count_name_time_and_time_left():
    lines = []
    shown = pipeline.Progress({"a": 10.0, "b": 20.0, "c": 30.0}, workers=1, out=lines.append)
    shown.start("a")
    shown.end("a", "executed", 10.0)
    shown.start("b")
    shown.end("b", "failed", 2.5)
    assert lines == [
        "[0/3] start  a (last run 10.0 s)",
        # b and c are left: 20 s + 30 s at the recorded pace on one worker
        "[1/3] done   a in 10.0 s · about 50 s left",
        "[1/3] start  b (last run 20.0 s)",
        "[2/3] FAILED b after 2.5 s · about 30 s left",
    ]
    shown.start("c")
    shown.end("c", "executed", 31.0)
    assert lines[-1] == "[3/3] done   c in 31.0 s"  # nothing left: no estimate


def test_time_left_follows_this_runs_pace_and_the_workers():
    lines = []
    shown = pipeline.Progress({"a": 10.0, "b": 60.0, "c": 60.0}, workers=2, out=lines.append)
    shown.start("a")
    shown.end("a", "executed", 20.0)  # twice its record: the rest will take twice theirs
    assert lines[-1] == "[1/3] done   a in 20.0 s · about 2 min left"  # (120 + 120) / 2
    # a step never run counts as the mean of the steps that ran this time
    fresh = pipeline.Progress({"x": float("inf"), "y": float("inf")}, out=lines.append)
    assert fresh.eta() is None  # nothing known yet
    fresh.start("x")
    assert lines[-1] == "[0/2] start  x"
    fresh.end("x", "executed", 40.0)
    assert lines[-1] == "[1/2] done   x in 40.0 s · about 40 s left"
    # a step running longer than expected: the time left is not known
    late = pipeline.Progress({"a": 0.01, "b": 5.0}, out=lines.append)
    late.start("a")
    time.sleep(0.05)
    assert late.eta() is None


def test_a_log_gets_plain_lines_and_a_terminal_one_status_line():
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    log, terminal = io.StringIO(), Terminal()
    for out in (log, terminal):
        shown = pipeline.Progress({"a": 5.0, "b": 5.0}, workers=2, out=out)
        shown.note("regenerate: 2 reports")
        shown.start("a")
        shown.start("b")
        shown.tick()
        shown.end("a", "executed", 5.0)
        shown.close()
    assert "\r" not in log.getvalue() and "\x1b" not in log.getvalue()
    assert log.getvalue().splitlines()[:3] == [
        "regenerate: 2 reports",
        "[0/2] start  a (last run 5.0 s)",
        "[0/2] start  b (last run 5.0 s)",
    ]
    screen = terminal.getvalue()
    # finished steps stay, each on its own line; the status line is redrawn in place
    assert screen.count("\n") == 2 and "[1/2] done   a in 5.0 s" in screen
    assert "\r\x1b[K[0/2] running a 0:00, b 0:00" in screen
    assert screen.endswith("\r\x1b[K")  # closed: the status line is cleared


# -- kernels' output -----------------------------------------------------------------------
def test_a_failed_report_keeps_a_log_with_the_cells_error(tmp_path, capfd):
    job = pipeline.Job(STUDY, "broken", {"inventory": "no-such-inventory", "language": "en"})
    [outcome] = pipeline.run([job], tmp_path, progress=False, workers=1)
    assert outcome.status == "failed" and "no-such-inventory" in outcome.error
    assert outcome.log and os.path.exists(outcome.log)
    text = Path(outcome.log).read_text(encoding="utf-8")
    # the cell's error as the notebook showed it (without terminal colours)
    assert re.search(r"\w+Error in cell \d+:", text) and "no-such-inventory" in text
    assert "\x1b[" not in text
    # the kernel wrote nothing to this process's own output
    out, err = capfd.readouterr()
    assert "IPKernelApp" not in out + err and "Traceback" not in out + err


# -- Ctrl-C --------------------------------------------------------------------------------
def _kernel_running(process) -> bool:
    for child in process.children(recursive=True):
        try:
            if "ipykernel" in " ".join(child.cmdline()):
                return True
        except psutil.Error:
            pass
    return False


@pytest.mark.parametrize("jobs", [2, 1], ids=["workers", "in-process"])
def test_ctrl_c_ends_with_one_line_and_leaves_no_process_or_partial_file(tmp_path, jobs):
    """Two reports; Ctrl-C (SIGINT to the process group, as a terminal sends it) once a
    kernel runs: exit status 130, one line saying what finished, no traceback and no
    kernel noise, no worker or kernel left, no temporary file of an atomic write."""
    env = dict(os.environ, ANALYSIS_OUTPUT_DIR=str(tmp_path), PYTHONUNBUFFERED="1")
    command = [sys.executable, "-m", "analysis", "run", STUDY.name, PROFILE.name]
    command += ["-p", "inventory", "study", "--force", "--jobs", str(jobs)]
    run = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        start_new_session=True,  # its own process group, as a terminal's foreground job
        # with Ctrl-C's default action, as a shell gives its foreground job: a process that
        # inherits an ignored SIGINT (from a test runner, nohup) keeps ignoring it
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    process = psutil.Process(run.pid)
    deadline = time.monotonic() + 120
    while not _kernel_running(process) and time.monotonic() < deadline:
        assert run.poll() is None, run.communicate()
        time.sleep(0.2)
    time.sleep(1.0)  # the notebook is running cells
    started = process.children(recursive=True)
    assert any("ipykernel" in " ".join(p.cmdline()) for p in started)
    os.killpg(run.pid, signal.SIGINT)
    out, err = (stream.decode() for stream in run.communicate(timeout=60))
    assert run.returncode == 130, err
    assert "Traceback" not in out + err and "IPKernelApp" not in out + err
    assert "\r" not in out  # not a terminal: plain lines
    assert out.startswith(f"regenerate: 2 reports to run (0 unchanged), {jobs} worker")
    assert re.search(r"^\[0/2\] start  01_study_tables--inventory-study", out, re.M)
    [line] = err.strip().splitlines()
    assert re.fullmatch(
        r"interrupted: ([0-2]) of 2 reports finished \(kept\), ([0-2]) not run; run again to "
        r"continue / 已中斷：.*",
        line,
    )
    time.sleep(0.5)
    left = [p for p in started if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert left == []
    assert [p.name for p in tmp_path.rglob(".*.tmp")] == []


def test_a_failed_run_prints_the_error_and_where_its_log_is(tmp_path, monkeypatch, capfd):
    """A notebook failing in a cell (a synthetic one): the command names the cell and the
    error and points to the log, which holds the traceback; no traceback on the screen."""
    import nbformat

    from analysis.cli import main

    notebook = tmp_path / "synthetic_failing.ipynb"
    cells = [
        nbformat.v4.new_code_cell("size = 3", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("def check(n):\n    raise ValueError(f'{n} is too big')"),
        nbformat.v4.new_code_cell("check(size)"),
    ]
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nbformat.write(nb, notebook)
    monkeypatch.setenv("ANALYSIS_OUTPUT_DIR", str(tmp_path / "out"))
    assert main(["run", str(notebook), "--jobs", "1"]) == 1
    out, err = capfd.readouterr()
    assert "[1/1] FAILED synthetic_failing after" in out
    failed, where = err.strip().splitlines()
    assert failed == (
        "FAILED synthetic_failing.ipynb: cell 3 (check(size)) raised ValueError: 3 is too big"
    )
    log = Path(where.removeprefix("  log (kernel output, traceback): "))
    assert log.is_file() and log.is_relative_to(tmp_path / "out" / ".cache" / "work")
    text = log.read_text(encoding="utf-8")
    assert "ValueError in cell 3:" in text and "raise ValueError(f'{n} is too big')" in text
