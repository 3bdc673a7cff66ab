"""The benchmark runner on tiny sizes (report schema, registry), and the pandas baseline
agreeing with the vectorised co-occurrence tables. No timing assertions."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from analysis import benchmarks, cooccurrence, synthetic
from analysis.benchmarks import cooccurrence as bench_co
from analysis.errors import AnalysisError

RECORD_KEYS = {
    "name",
    "n",
    "seconds",
    "repeats",
    "peak_memory_mb",
    "max_rss_mb",
    "baseline_seconds",
    "ratio",
    "params",
}


def test_run_all_writes_the_report(tmp_path, monkeypatch):
    calls = []

    def tiny(n):
        cases = synthetic.generate(n)
        calls.append(n)
        return benchmarks.Case(
            run=lambda: cooccurrence.pairs(cases), baseline=lambda: cases.copy(), params={"x": 1}
        )

    monkeypatch.setitem(
        benchmarks.REGISTRY, "tiny", benchmarks.Benchmark("tiny", tiny, (10,), (20, 30))
    )
    report = benchmarks.run_all(tmp_path, quick=True, only=["tiny"], repeats=1, log=lambda *_: None)
    on_disk = json.loads((tmp_path / "benchmarks.json").read_text(encoding="utf-8"))
    assert on_disk["quick"] is True and set(on_disk["machine"]) >= {
        "python",
        "cpus",
        "numpy",
        "pandas",
    }
    results = on_disk["results"]
    assert [(r["name"], r["n"]) for r in results] == [("tiny", 20), ("tiny", 30)]
    assert calls == [20, 30]
    for r in results:
        assert set(r) == RECORD_KEYS
        assert r["seconds"] > 0 and r["peak_memory_mb"] >= 0 and r["max_rss_mb"] > 0
        assert r["baseline_seconds"] > 0 and r["ratio"] == pytest.approx(
            r["baseline_seconds"] / r["seconds"]
        )
    assert report["results"] == results
    md = (tmp_path / "benchmarks.md").read_text(encoding="utf-8")
    assert "| tiny | 20 |" in md and "benchmarks_scaling.png" in md
    assert (tmp_path / "benchmarks_scaling.png").stat().st_size > 0 and (
        tmp_path / "benchmarks_scaling.svg"
    ).exists()


def test_main_options(tmp_path):
    from analysis.cli import main

    assert (
        main(
            [
                "bench",
                "--quick",
                "--only",
                "permutation_test",
                "--out",
                str(tmp_path),
                "--repeats",
                "1",
                "--sizes",
                "40",
            ]
        )
        == 0
    )
    results = json.loads((tmp_path / "benchmarks.json").read_text(encoding="utf-8"))["results"]
    assert [(r["name"], r["n"]) for r in results] == [("permutation_test", 40)]
    with pytest.raises(AnalysisError, match="unknown benchmark"):
        benchmarks.run(only=["no_such_benchmark"])


def test_discovery_finds_the_cooccurrence_benchmarks():
    benchmarks.discover()
    assert {"cooccurrence", "statistics", "permutation_test", "logistic"} <= set(
        benchmarks.REGISTRY
    )
    assert benchmarks.REGISTRY["cooccurrence"].sizes == (10**3, 10**4, 10**5, 10**6)


def test_baseline_agrees_with_the_vectorised_tables():
    cases = synthetic.generate(120, seed=4)
    flags = cooccurrence.load_frame().flag_keys[:4]
    base = bench_co.baseline_tables(cases, by=(None, "category", "technique"), flags=flags)
    for by in (None, "category", "technique"):
        fast = cooccurrence.pairs(cases, by, flags=flags)
        slow = base["pairs"][
            base["pairs"]["by"].isna() if by is None else base["pairs"]["by"] == by
        ]
        key = "stratum" if by is None else by
        fast = fast.assign(stratum="all") if by is None else fast
        merged = fast.merge(
            slow,
            left_on=[key, "flag_a", "flag_b"],
            right_on=["stratum", "flag_a", "flag_b"],
            suffixes=("", "_slow"),
        )
        assert len(merged) == len(fast) and len(fast) >= 16  # NA strata (not coded) match too
        for m in ("n", "count", "jaccard", "p_b_given_a", "lift", "phi"):
            np.testing.assert_allclose(
                merged[m].to_numpy(float), merged[f"{m}_slow"].to_numpy(float), equal_nan=True
            )


def test_baseline_permutation_agrees():
    table = np.array([[5, 3], [2, 6], [4, 4]])
    from analysis import stats

    fast = stats.permutation_pvalue(table, 4000, seed=1)
    slow = bench_co.baseline_permutation(table, 4000, seed=2)
    assert abs(fast - slow) < 0.05


def test_every_benchmark_and_size_says_when_it_starts_and_ends(monkeypatch, tmp_path):
    def tiny(n):
        cases = synthetic.generate(n)
        return benchmarks.Case(run=lambda: cooccurrence.pairs(cases))

    def whole(n=None, log=None):  # a module-level benchmark with progress of its own
        log("  step one")
        return {"n": 5, "seconds": 0.5}

    monkeypatch.setitem(
        benchmarks.REGISTRY, "tiny", benchmarks.Benchmark("tiny", tiny, (10,), (20, 30))
    )
    monkeypatch.setattr(benchmarks, "discover", lambda: {"whole": whole})
    lines = []
    benchmarks.run_all(tmp_path, quick=True, only=["tiny", "whole"], repeats=1, log=lines.append)
    assert lines[:2] == ["bench: importing the benchmarks", "bench: 2 benchmarks, 3 runs (quick)"]
    steps = [re.sub(r"\s+", " ", line.strip()) for line in lines[2:]]
    assert [s.split(" (done in")[0].split(" peak")[0] for s in steps[:-1]] == [
        "tiny n= 20 started",
        re.match(r"tiny n= 20 [\d.]+ s", steps[1]).group(0),
        "tiny n= 30 started",
        re.match(r"tiny n= 30 [\d.]+ s", steps[3]).group(0),
        "whole started",
        "step one",
        "whole n= 5 0.5000 s",
    ]
    assert all(re.search(r"\(done in [\d.]+ s\)$", steps[i]) for i in (1, 3, 6))
    assert steps[-1].startswith("bench: writing ")


def test_the_regeneration_benchmark_shows_each_report_as_it_runs(tmp_path, monkeypatch):
    """One regeneration of one report, as the regeneration benchmark times each of its
    four: its progress lines come through the benchmark's log, prefixed."""
    from analysis import config, pipeline
    from analysis.benchmarks import regeneration

    # no record of an earlier run anywhere (the project's would give an estimate)
    monkeypatch.setenv("ANALYSIS_OUTPUT_DIR", str(tmp_path))

    job = pipeline.Job(
        config.NOTEBOOKS_DIR / "01_study_tables.ipynb", "study-tables", {"inventory": "study"}
    )
    lines = []
    seconds, _ = regeneration._timed_run([job], tmp_path, [], lines.append, "warm", force=True)
    assert lines[0] == "  regeneration warm: regenerate: 1 report to run (0 unchanged), 1 worker"
    assert lines[1] == "  regeneration warm: [0/1] start  study-tables"
    assert re.fullmatch(r"  regeneration warm: \[1/1\] done   study-tables in [\d.]+ s", lines[2])
    assert lines[-1] == f"  regeneration warm: {seconds:.1f} s"


def test_the_floor_notebook_runs_through_the_pipeline_and_does_nothing(tmp_path):
    """The floor of a regeneration: one do-nothing notebook per report, executed and rendered
    by the same pipeline; it writes a page per report and no table or figure."""
    import nbformat

    from analysis import pipeline
    from analysis.benchmarks import regeneration

    jobs = [j for j in pipeline.load_plan() if j.parameters.get("inventory") == "study"][:2]
    floor = regeneration.floor_jobs(jobs, tmp_path / "nb")
    assert [j.name for j in floor] == [f"floor-{j.name}" for j in jobs]
    assert {j.parameters["language"] for j in floor} == {
        j.parameters.get("language", "zh-TW") for j in jobs
    }
    cells = nbformat.read(str(floor[0].notebook), as_version=4).cells
    assert cells[0].metadata["tags"] == ["parameters"] and len(cells) == 2
    _, floor_runs = regeneration._timed_run(floor, tmp_path / "out", [], None, "floor", force=True)
    reports = tmp_path / "out" / "reports"
    assert sorted(p.name for p in reports.glob("*.html")) == sorted(
        [f"{j.name}.html" for j in floor] + ["index.html"]
    )
    assert not list((reports / "tables").glob("*")) and not list(
        (tmp_path / "out" / "figures").glob("*")
    )
    # where the time goes: one row per report, its stages adding up to its run, and the sum
    from analysis.timings import STAGES

    table = regeneration.stage_table(floor_runs, floor_runs, floor_runs)
    longest_first = sorted(floor_runs, key=lambda o: -o.seconds)
    assert [r["report"] for r in table] == [o.job.name for o in longest_first] + ["all reports"]
    for row, outcome in zip(table, longest_first):
        assert sum(row[s] for s in STAGES) == pytest.approx(outcome.seconds, abs=0.01)
        assert all(row[s] >= 0 for s in STAGES) and row["warm"] == outcome.seconds
        assert row["computation"] < 1.0 and row["figures"] == 0.0  # it does nothing
    assert table[-1]["warm"] == pytest.approx(sum(o.seconds for o in floor_runs))
    text = "\n".join(benchmarks._table_lines("regeneration: stages", table))
    assert "| report | kernel | imports | computation | figures | rendering | writing |" in text
    assert "| all reports |" in text
