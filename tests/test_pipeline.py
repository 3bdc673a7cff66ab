"""Regeneration: papermill execution, HTML without code, provenance, index, change
detection, byte-identical reruns; notebooks and their jupytext text pairs."""

import importlib.util
import json
import os
import re
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from analysis import cache, coding, config, environment, pipeline, render, report_check
from analysis.errors import AnalysisError
from analysis.figures import NAMESPACE as FIGURE_CACHE

STUDY = config.NOTEBOOKS_DIR / "01_study_tables.ipynb"


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    job = pipeline.Job(STUDY, "study-tables", {"inventory": "study", "language": "zh-TW"}, "t")
    outcomes = pipeline.run([job], out, progress=False, workers=1)
    return out, job, outcomes


def test_executes_and_writes_tables_figures_html_index(regenerated):
    out, job, outcomes = regenerated
    assert [o.status for o in outcomes] == ["executed"]
    reports = out / "reports"
    names = sorted(p.name for p in (reports / "tables").glob("*.csv"))
    assert names == [
        "study-zh-TW_cases_by_category.csv",
        "study-zh-TW_category_flag.csv",
        "study-zh-TW_coded_cases.csv",
        "study-zh-TW_ticks_by_flag.csv",
    ]
    assert (out / "figures" / "study-zh-TW_category_flag_heatmap.svg").exists()
    page = (reports / "study-tables.html").read_text(encoding="utf-8")
    assert "5G智慧警察行動服務研析" in page and "自動化決策風險" in page
    assert "tables.study_tables(" not in page  # code cells are not rendered
    assert "Noto Sans TC" in page
    # nothing is loaded from the network: the page reads the same offline
    assert re.findall(r'(?:src|href)="(?:https?:)?//', page) == []
    assert "<table" in page and "cdnjs" not in page
    index = (reports / "index.html").read_text(encoding="utf-8")
    assert 'href="study-tables.html"' in index and "tables/study-zh-TW_coded_cases.csv" in index
    executed = json.loads(
        (reports / "notebooks" / "study-tables.ipynb").read_text(encoding="utf-8")
    )
    assert executed["metadata"]["papermill"]["parameters"] == {
        "inventory": "study",
        "language": "zh-TW",
    }


def test_each_report_records_its_commit_inputs_parameters_and_versions(regenerated):
    out, job, _ = regenerated
    reports = out / "reports"
    text = (reports / "study-tables.provenance.json").read_text(encoding="utf-8")
    record = json.loads(text)
    assert text == json.dumps(record, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    assert record["commit"] == environment.git_commit()
    assert record["inputs_digest"] == environment.inputs_digest()
    assert record["notebook"] == "notebooks/01_study_tables.ipynb"
    assert record["parameters"] == {"inventory": "study", "language": "zh-TW"}
    assert record["versions"] == environment.versions()
    assert record["report"] == "study-tables" and record["title"] == "t"
    # the rendered report shows them in its last table, the index beside its link
    shown = record["inputs_digest"][: environment.SHOWN_DIGEST]
    page = (reports / "study-tables.html").read_text(encoding="utf-8")
    cell = r"<td[^>]*>"
    assert re.search(rf"{cell}git commit</td>\s*{cell}{re.escape(record['commit'])}</td>", page)
    assert re.search(rf"{cell}inputs digest</td>\s*{cell}{shown}</td>", page)
    index = (reports / "index.html").read_text(encoding="utf-8")
    assert f"commit <code>{record['commit']}</code> · inputs <code>{shown}</code>" in index
    assert 'href="study-tables.provenance.json"' in index


def test_a_run_in_this_process_leaves_its_environment_as_it_was(regenerated, monkeypatch):
    out, job, _ = regenerated
    monkeypatch.setenv("ANALYSIS_OUTPUT_DIR", "/somewhere/else")
    monkeypatch.delenv("PYTHONHASHSEED", raising=False)
    monkeypatch.delenv(environment.STAMP_ENV, raising=False)
    pipeline.run([job], out, force=True, progress=False, workers=1)
    import os

    assert (
        os.environ["ANALYSIS_OUTPUT_DIR"] == "/somewhere/else"
        and "PYTHONHASHSEED" not in os.environ
        and environment.STAMP_ENV not in os.environ
    )


def test_unchanged_report_is_skipped_and_force_reruns(regenerated):
    out, job, _ = regenerated
    assert [o.status for o in pipeline.run([job], out, progress=False, workers=1)] == ["skipped"]
    page = out / "reports" / f"{job.name}.html"
    first = {p.name: p.read_bytes() for p in (out / "reports" / "tables").glob("*.csv")}
    first.update({p.name: p.read_bytes() for p in (out / "figures").iterdir()})
    first[page.name] = page.read_bytes()
    assert [o.status for o in pipeline.run([job], out, force=True, progress=False, workers=1)] == [
        "executed"
    ]
    second = {p.name: p.read_bytes() for p in (out / "reports" / "tables").glob("*.csv")}
    second.update({p.name: p.read_bytes() for p in (out / "figures").iterdir()})
    second[page.name] = page.read_bytes()
    assert first == second  # byte-identical tables, figures and page
    assert b'id="cell-id=injected-parameters"' in second[page.name]  # papermill's is random


def test_run_records_its_seconds_and_longest_runs_first(regenerated, tmp_path, monkeypatch):
    out, job, outcomes = regenerated
    recorded = pipeline.last_seconds(out / "reports", job)
    assert 0 < recorded < float("inf")
    assert pipeline.last_seconds(out / "reports", pipeline.Job(STUDY, "never-run")) == float("inf")
    # The ordering key: a job never run sorts before one whose last run is recorded.
    reports = tmp_path / "reports"
    (reports / ".state").mkdir(parents=True)
    (reports / ".state" / "short.seconds").write_text("1.5\n")
    (reports / ".state" / "long.seconds").write_text("30\n")
    jobs = [pipeline.Job(STUDY, n) for n in ("short", "long", "new")]
    assert [j.name for j in pipeline.longest_first(jobs, reports)] == ["new", "long", "short"]
    # Among jobs never run, the one using a prepared (coded) inventory first.
    plain = pipeline.Job(STUDY, "plain", {"inventory": "study"})
    coded = pipeline.Job(STUDY, "coded", {"inventory": "taiwan-public-coded"})
    assert [
        j.name for j in pipeline.longest_first([plain, coded], reports, ["taiwan-public-coded"])
    ] == ["coded", "plain"]
    # A run into a new folder takes the project's record of a job it has none of
    monkeypatch.setenv("ANALYSIS_OUTPUT_DIR", str(tmp_path))
    elsewhere = tmp_path / "elsewhere" / "reports"
    assert pipeline.last_seconds(elsewhere, pipeline.Job(STUDY, "long")) == 30.0
    assert pipeline.last_seconds(elsewhere, pipeline.Job(STUDY, "new")) == float("inf")
    assert [j.name for j in pipeline.longest_first(jobs, elsewhere)] == ["new", "long", "short"]
    # A cold run orders by the times of the last cold run, where a job has one
    (reports / ".state" / "short.cold-seconds").write_text("120\n")
    assert pipeline.last_seconds(reports, pipeline.Job(STUDY, "long"), cold=True) == 30.0
    assert [j.name for j in pipeline.longest_first(jobs, reports, cold=True)] == [
        "new",
        "short",
        "long",
    ]
    assert [j.name for j in pipeline.longest_first(jobs, reports)] == ["new", "long", "short"]


def test_failing_notebook_is_reported_with_its_cell(tmp_path):
    job = pipeline.Job(STUDY, "broken", {"inventory": "no-such-inventory"})
    [outcome] = pipeline.run([job], tmp_path, progress=False, workers=1)
    assert outcome.status == "failed"
    # the parameters are checked in the cell after the parameters cell
    assert re.match(r"cell 3 \(.*\) raised \w*Error: ", outcome.error)
    assert "no-such-inventory" in outcome.error
    assert not (tmp_path / "reports" / "broken.html").exists()
    assert not (tmp_path / "reports" / "broken.provenance.json").exists()


def test_a_template_change_renders_the_reports_again(regenerated, monkeypatch):
    out, job, _ = regenerated
    assert pipeline.run([job], out, progress=False, workers=1)[0].status == "skipped"
    monkeypatch.setattr(pipeline, "template_digest", lambda: "an edited stylesheet")
    assert pipeline.run([job], out, progress=False, workers=1)[0].status == "executed"


def test_job_key_changes_with_parameters_and_inputs():
    a = pipeline.Job(STUDY, "a", {"language": "en"})
    b = pipeline.Job(STUDY, "a", {"language": "zh-TW"})
    assert pipeline.job_key(a, "x") != pipeline.job_key(b, "x")
    assert pipeline.job_key(a, "x") != pipeline.job_key(a, "y")
    assert pipeline.job_key(a, "x") == pipeline.job_key(a, "x")


def test_plan_lists_existing_notebooks_with_unique_names(tmp_path):
    jobs = pipeline.load_plan()
    assert jobs and all(j.notebook.exists() for j in jobs)
    assert len({j.name for j in jobs}) == len(jobs)
    bad = tmp_path / "plan.yaml"
    bad.write_text("reports:\n  - notebook: nope.ipynb\n    name: x\n", encoding="utf-8")
    with pytest.raises(AnalysisError, match="does not exist"):
        pipeline.load_plan(bad)
    # a notebook's text pair exists but is not a notebook
    bad.write_text("reports:\n  - notebook: 01_study_tables.py\n    name: x\n", encoding="utf-8")
    with pytest.raises(
        AnalysisError,
        match=r"reports\[0\]: 01_study_tables.py is not a notebook "
        r"\(.ipynb\).*name 01_study_tables.ipynb / .*不是筆記本",
    ):
        pipeline.load_plan(bad)


def test_ad_hoc_job_names_carry_parameters():
    [job] = pipeline.ad_hoc_jobs(
        ["01_study_tables.ipynb"], {"language": "en", "inventory": "study"}
    )
    assert job.name == "01_study_tables--inventory-study-language-en"
    with pytest.raises(AnalysisError, match="no notebook"):
        pipeline.ad_hoc_jobs(["nope.ipynb"], {})
    with pytest.raises(
        AnalysisError, match="01_study_tables.py is not a notebook.*01_study_tables.ipynb"
    ):
        pipeline.ad_hoc_jobs(["01_study_tables.py"], {})


def test_plan_prepares_the_coded_inventories_its_reports_use():
    prepared = pipeline.load_prepare()
    used = {
        v
        for j in pipeline.load_plan()
        for v in j.parameters.values()
        if isinstance(v, str) and v.endswith("-coded")
    }
    assert used and used <= set(prepared)


@pytest.mark.slow
def test_full_regeneration_twice_gives_byte_identical_results(tmp_path, monkeypatch):
    """Every report of the plan, regenerated into two empty folders: every table, figure,
    coded inventory and load report is identical byte for byte.

    Both runs share the project's cache (content-keyed: parsed and coded inventories,
    stored cross-validations and bootstraps), as `make reports` and nbval do; that the
    stored computations equal fresh ones is tested in test_memo and test_coding. Stored
    figures are not shared: each run renders every figure."""
    monkeypatch.setenv("ANALYSIS_CACHE_DIR", str(config.cache_dir()))
    jobs, prepared = pipeline.load_plan(), pipeline.load_prepare()
    for run in ("first", "second"):
        # every figure rendered again: the second run's are compared, not copied from the first
        cache.clear(FIGURE_CACHE)
        outcomes = pipeline.run(jobs, tmp_path / run, force=True, progress=False, prepared=prepared)
        assert [(o.job.name, o.status, o.error) for o in outcomes] == [
            (j.name, "executed", "") for j in jobs
        ]
    compared, differing = pipeline.compare_outputs(tmp_path / "first", tmp_path / "second")
    assert differing == []
    tables = [f for f in compared if f.startswith("reports/tables/")]
    figures = [f for f in compared if f.startswith("figures/")]
    assert len(tables) > 100 and len(figures) > 100  # the whole plan, not a part of it
    assert {f"reports/coded-{n.removesuffix('-coded')}.csv" for n in prepared} <= set(compared)
    # what a reviewer reads: every page self-contained, every table in words, captioned,
    # and a result or its reason in every section
    problems = {}
    for job in jobs:
        page = (tmp_path / "first" / "reports" / f"{job.name}.html").read_text(encoding="utf-8")
        found = report_check.check_page(page, job.parameters.get("language", "zh-TW"))
        found["external_references"] = len(render.external_references(page))
        found.pop("tables")
        if any(found.values()):
            problems[job.name] = {k: v for k, v in found.items() if v}
    assert problems == {}
    for folder in ("reports", "figures"):  # what is published: others can read it
        for path in (tmp_path / "first" / folder).rglob("*"):
            assert path.is_dir() or path.stat().st_mode & 0o044 == 0o044, path


def test_compare_outputs_names_a_changed_or_missing_file(regenerated, tmp_path):
    import shutil

    out, _, _ = regenerated
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    compared, differing = pipeline.compare_outputs(out, copy)
    assert differing == [] and "figures/study-zh-TW_category_flag_heatmap.svg" in compared
    assert "reports/study-tables.provenance.json" in compared
    table = copy / "reports" / "tables" / "study-zh-TW_coded_cases.csv"
    table.write_bytes(table.read_bytes().replace(b"\n", b"\r\n", 1))
    (copy / "figures" / "study-zh-TW_category_flag_heatmap.svg").unlink()
    assert pipeline.compare_outputs(out, copy)[1] == [
        "figures/study-zh-TW_category_flag_heatmap.svg",
        "reports/tables/study-zh-TW_coded_cases.csv",
    ]


def test_jobs_wait_only_for_the_prepared_inventories_they_use():
    jobs = {j.name: j for j in pipeline.load_plan()}
    prepared = pipeline.load_prepare()
    assert pipeline.needs(jobs["study-tables"], prepared) == set()
    # the Taiwanese analyses rest on the annotation, which needs no preparation
    assert pipeline.needs(jobs["taiwan-public-cooccurrence"], prepared) == set()
    assert pipeline.needs(jobs["coding-jrc-ai-watch"], prepared) == {"jrc-ai-watch-coded"}
    # the governance report validates on the coded US 2025 inventory
    assert pipeline.needs(jobs["study-governance"], prepared) == {"us-federal-2025-coded"}
    # a list parameter names inventories too (the key findings compare several)
    assert pipeline.needs(jobs["key-findings"], prepared) == {
        "us-federal-2024-coded",
        "jrc-ai-watch-coded",
    }


def test_an_inventory_whose_coding_plan_contains_another_is_prepared_after_it():
    prepared = pipeline.load_prepare()
    after = {n: coding.prepared_after(n, prepared) for n in prepared}
    # US 2025 is coded as US 2024 (categories) and as JRC AI Watch (flags)
    assert after == {
        "jrc-ai-watch-coded": set(),
        "taiwan-public-coded": set(),
        "us-federal-2024-coded": set(),
        "us-federal-2025-coded": {"us-federal-2024-coded", "jrc-ai-watch-coded"},
    }
    assert coding.prepared_after("us-federal-2025-coded", ["taiwan-public-coded"]) == set()


def _timed_preparation(name: str, out_root: str) -> float:
    """A preparation that only records when it ran (the order is what is tested)."""
    import time

    start = time.time()
    time.sleep(0.5)
    with (Path(out_root) / "prepared.log").open("a", encoding="utf-8") as log:
        log.write(f"{name} {start} {time.time()}\n")
    return 0.5


def test_a_preparation_starts_after_the_parts_of_its_plan_and_the_others_at_once(
    tmp_path, monkeypatch
):
    monkeypatch.setattr(pipeline, "_prepare_one", _timed_preparation)  # forked into the workers
    prepared = ["us-federal-2025-coded", "taiwan-public-coded", "jrc-ai-watch-coded"]
    jobs = [pipeline.Job(STUDY, "independent", {"inventory": "study", "language": "en"})]
    outcomes = pipeline.run(jobs, tmp_path, progress=False, workers=2, prepared=prepared)
    assert [o.status for o in outcomes] == ["executed"]
    runs = {
        name: (float(start), float(end))
        for name, start, end in (
            line.split() for line in (tmp_path / "prepared.log").read_text().splitlines()
        )
    }
    assert set(runs) == set(prepared)
    assert runs["us-federal-2025-coded"][0] >= runs["jrc-ai-watch-coded"][1]
    # the first two started at once, in the listed order less the one that waits
    assert abs(runs["taiwan-public-coded"][0] - runs["jrc-ai-watch-coded"][0]) < 0.4


def test_a_failed_preparation_fails_the_reports_that_need_it_and_no_other(tmp_path):
    jobs = [
        pipeline.Job(STUDY, "uses-it", {"inventory": "no-such-inventory-coded", "language": "en"}),
        pipeline.Job(STUDY, "independent", {"inventory": "study", "language": "en"}),
    ]
    outcomes = pipeline.run(
        jobs, tmp_path, progress=False, workers=2, prepared=["no-such-inventory-coded"]
    )
    by_name = {o.job.name: o for o in outcomes}
    assert by_name["independent"].status == "executed"
    assert by_name["uses-it"].status == "failed"
    assert "preparing no-such-inventory-coded raised" in by_name["uses-it"].error
    # a run with an inventory to prepare is a cold one: its reports' times are kept apart,
    # for the next cold run to order its jobs by
    reports = tmp_path / "reports"
    cold = pipeline.cold_seconds_path(reports, jobs[1])
    assert float(cold.read_text()) == pytest.approx(by_name["independent"].seconds, abs=1e-3)
    assert pipeline.last_seconds(reports, jobs[1], cold=True) == float(cold.read_text())
    assert not pipeline.cold_seconds_path(reports, jobs[0]).exists()  # it failed
    cold.write_text("99\n")
    [again] = pipeline.run(jobs[1:], tmp_path, force=True, progress=False, workers=1)
    assert again.status == "executed" and cold.read_text() == "99\n"  # a warm run keeps it
    cold.write_text("0.5\n")  # a cold run keeps the longest
    again = pipeline.run(
        jobs[1:],
        tmp_path,
        force=True,
        progress=False,
        workers=1,
        prepared=["no-such-inventory-coded"],
    )
    assert [o.status for o in again] == ["executed"]
    assert again[0].seconds > 0.5
    assert float(cold.read_text()) == pytest.approx(again[0].seconds, abs=1e-3)


# -- notebooks and their text pairs ---------------------------------------------------------
NOTEBOOKS = sorted(config.NOTEBOOKS_DIR.glob("*.ipynb"))


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[nb.stem for nb in NOTEBOOKS])
def test_every_notebook_agrees_with_its_text_pair(notebook):
    differences = pipeline.pair_differences(notebook)
    assert differences == [], (
        f"{notebook.name} and its text pair {notebook.stem}.py disagree:\n  "
        + "\n  ".join(differences)
        + f"\nFix: `make notebooks` (re-executes the notebooks, rewrites the .py pairs) or "
        f"`.venv/bin/jupytext --sync notebooks/{notebook.name}` (the newer of the two wins)."
    )


def test_every_text_pair_is_written_as_the_project_writes_it():
    for notebook in NOTEBOOKS:
        nb = nbformat.read(notebook, as_version=4)
        pair = pipeline.text_pair(notebook).read_text(encoding="utf-8")
        assert pair == pipeline.pair_text(nb, notebook), f"{notebook.stem}.py: run `make notebooks`"
        assert not pair.startswith("# ---"), "no header ([tool.jupytext] in pyproject.toml)"
    pairs = sorted(p.stem for p in config.NOTEBOOKS_DIR.glob("*.py"))
    assert pairs == [nb.stem for nb in NOTEBOOKS]


def test_a_pair_differing_in_a_source_or_a_tag_is_named(tmp_path):
    notebook = tmp_path / STUDY.name
    shutil.copyfile(STUDY, notebook)
    pair = pipeline.text_pair(notebook)
    assert pipeline.pair_differences(notebook) == [f"{pair.name} is missing"]
    text = pipeline.text_pair(STUDY).read_text(encoding="utf-8")
    # the parameters cell (the second) loses its tag and gets another default language
    assert '"zh-TW"' in text.split('# %% tags=["parameters"]', 1)[1].split("# %%", 1)[0]
    pair.write_text(
        text.replace('# %% tags=["parameters"]', "# %%", 1).replace('"zh-TW"', '"en"', 1),
        encoding="utf-8",
    )
    first = nbformat.read(STUDY, as_version=4).cells[1].source.splitlines()[0].strip()[:60]
    assert pipeline.pair_differences(notebook) == [
        f"cell 2: source and tags differ ({notebook.name}: code {first!r}; "
        f"{pair.name}: code {first!r})"
    ]
    pair.write_text(text + "\n# %%\nprint('one more')\n", encoding="utf-8")
    cells = len(nbformat.read(notebook, as_version=4).cells)
    assert pipeline.pair_differences(notebook) == [
        f"{notebook.name} has {cells} cells, {pair.name} has {cells + 1}"
    ]


def test_refresh_takes_an_edited_pair_executes_and_rewrites_the_pair(tmp_path):
    """Refreshing a notebook whose text pair was edited since: the edit is executed and
    stored in the .ipynb with its outputs, and the pair rewritten from it."""
    # the project's jupytext settings, and its layout
    shutil.copyfile(config.ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    notebook = tmp_path / "notebooks" / STUDY.name
    notebook.parent.mkdir()
    shutil.copyfile(STUDY, notebook)
    pair = pipeline.text_pair(notebook)
    edited = (
        pipeline.text_pair(STUDY)
        .read_text(encoding="utf-8")
        .replace(
            "# %%\npresent.software_versions(",
            "# %%\nprint('edited in the text pair')\n\n# %%\npresent.software_versions(",
            1,
        )
    )
    pair.write_text(edited, encoding="utf-8")
    os.utime(notebook, (1, 1))  # the pair is the newer file
    pipeline.refresh([notebook])
    nb = nbformat.read(notebook, as_version=4)
    [cell] = [c for c in nb.cells if c.source == "print('edited in the text pair')"]
    assert cell.outputs[0]["text"] == "edited in the text pair\n"
    assert nb.cells[-1].outputs and nb.metadata["kernelspec"]["name"] == "python3"
    assert pair.read_text(encoding="utf-8") == edited
    assert pipeline.pair_differences(notebook) == []
    with pytest.raises(AnalysisError, match="is not a notebook"):
        pipeline.refresh([pair])


def test_a_run_with_nothing_to_do_leaves_the_index_and_one_that_changes_a_file_rewrites_it(
    regenerated, tmp_path
):
    out, job, _ = regenerated
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    index = copy / "reports" / "index.html"
    pipeline.run([job], copy, progress=False, workers=1)  # as other tests here left it
    past = index.stat().st_mtime_ns - 10**9
    os.utime(index, ns=(past, past))
    lines = []
    pipeline.run([job], copy, progress=lines.append, workers=1)
    assert index.stat().st_mtime_ns == past
    assert not any("index.html" in line for line in lines)
    (copy / "reports" / "tables" / "study-zh-TW_ticks_by_flag.csv").unlink()
    pipeline.run([job], copy, progress=lines.append, workers=1)
    assert index.stat().st_mtime_ns > past
    assert any(line.startswith("writing ") and "index.html" in line for line in lines)
    assert "study-zh-TW_ticks_by_flag.csv" not in index.read_text(encoding="utf-8")


def test_a_report_records_where_its_time_went(regenerated):
    """Seconds per stage (analysis.timings), adding up to the report's run; the kernel's
    stage lines and import profile stay in its log, out of the page; each figure's title is
    its alternative text."""
    from analysis import timings

    out, job, outcomes = regenerated
    stages = outcomes[0].stages
    # kept with the report's state (other tests here run it again: the last run's)
    assert set(pipeline.read_stages(out / "reports", job.name)) == set(stages)
    assert set(stages) == {*timings.STAGES, "total"}
    assert all(stages[s] >= 0 for s in timings.STAGES)
    assert sum(stages[s] for s in timings.STAGES) == pytest.approx(stages["total"], rel=1e-6)
    assert stages["imports"] > 0 and stages["figures"] > 0 and stages["rendering"] > 0
    page = (out / "reports" / "study-tables.html").read_text(encoding="utf-8")
    assert "import time:" not in page and timings.MARK not in page
    alts = re.findall(r'<img [^>]*alt="([^"]*)"', page)
    assert alts and all(alt.strip() for alt in alts)
    assert "No description has been provided" not in page


def test_byte_compile_leaves_bytecode_that_python_reads_for_every_module():
    """After :func:`pipeline.byte_compile` every module of the package has bytecode whose
    header matches its source's time and size (what Python checks before it reads it rather
    than compiling the source), so a kernel started with PYTHONDONTWRITEBYTECODE=1 reads it;
    and the analysis modules a report imports are then not compiled again."""
    assert pipeline.byte_compile()
    package = Path(pipeline.__file__).parent
    sources = sorted(package.rglob("*.py"))
    assert len(sources) > 40
    for source in sources:
        compiled = Path(importlib.util.cache_from_source(str(source)))
        header = compiled.read_bytes()[:16]
        stat = source.stat()
        assert header[:4] == importlib.util.MAGIC_NUMBER, source
        flags, mtime, size = struct.unpack("<III", header[4:16])
        assert (flags, mtime, size) == (0, int(stat.st_mtime) & 0xFFFFFFFF, stat.st_size), source
    code = (
        "import builtins, sys\n"
        "compiled = []\n"
        "original = builtins.compile\n"
        "def watch(source, filename, *args, **kwargs):\n"
        "    compiled.append(str(filename))\n"
        "    return original(source, filename, *args, **kwargs)\n"
        "builtins.compile = watch\n"
        "import analysis.coding, analysis.present, analysis.figures\n"
        "print([f for f in compiled if '/analysis/' in f])\n"
    )
    environ = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, env=environ)
    assert (done.returncode, done.stdout.strip()) == (0, b"[]"), done.stderr


def test_a_worker_checks_notebooks_without_the_modules_it_does_without():
    """A worker process (its initializer run first) imports papermill and nbconvert and
    validates every notebook of the suite against the notebook schema without loading the
    modules of UNUSED_IN_WORKERS, which the same imports load in any other process."""
    code = (
        "import sys\n"
        "from analysis import config, pipeline\n"
        "if sys.argv[1] == 'worker':\n"
        "    pipeline._worker_started()\n"
        "import nbformat, papermill, nbconvert\n"
        "for path in sorted(config.NOTEBOOKS_DIR.glob('*.ipynb')):\n"
        "    nbformat.validate(nbformat.read(path, as_version=4))\n"
        "print(' '.join(sorted(n for n in pipeline.UNUSED_IN_WORKERS if sys.modules.get(n))))\n"
    )
    loaded = {}
    for process in ("worker", "other"):
        done = subprocess.run(
            [sys.executable, "-c", code, process], capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stderr
        loaded[process] = done.stdout.split()
    assert loaded == {"worker": [], "other": list(pipeline.UNUSED_IN_WORKERS)}
