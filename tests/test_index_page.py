"""reports/index.html on a real regeneration: sections in the study's order, a headline
and files for every report run, nothing loaded from outside the page."""

import re

import pytest

from analysis import coding, cooccurrence, index_page, pipeline, render
from analysis.findings import measure_text

#: Four notebooks run in this module: started first under ``pytest -n auto``.
pytestmark = pytest.mark.slow
#: Planned reports cheap enough to regenerate here (key findings on two small inventories).
RUN = ("study-tables", "study-cooccurrence", "study-clustering", "key-findings")
SMALL = ["study", "taiwan-public-annotated"]


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory):
    out = tmp_path_factory.mktemp("index")
    plan = {job.name: job for job in pipeline.load_plan()}
    jobs = [plan[name] for name in RUN]
    small = {"inventories": SMALL, "compared": SMALL, "n_boot": 200}
    jobs[-1] = pipeline.Job(
        jobs[-1].notebook, jobs[-1].name, {**jobs[-1].parameters, **small}, jobs[-1].title
    )
    outcomes = pipeline.run(jobs, out, progress=False, workers=1)
    assert [o.status for o in outcomes] == ["executed"] * len(RUN), outcomes
    return out, jobs


def test_every_planned_notebook_has_a_section_file_patterns_and_a_headline_reader():
    for job in pipeline.load_plan():
        number = index_page.notebook_number(job)
        assert number in index_page.SECTION_OF, job.notebook.name
        assert index_page.file_patterns(job), job.name
        assert number in index_page._HEADLINES, job.name
    sections = [key for key, _, _ in index_page.SECTIONS]
    assert set(index_page.SECTION_OF.values()) == set(sections)


def test_each_report_run_has_files_and_a_headline(regenerated):
    out, jobs = regenerated
    tables = sorted((out / "reports" / "tables").iterdir())
    figures = sorted((out / "figures").iterdir())
    claimed = set()
    for job in jobs:
        files = index_page.report_files(job, tables, figures)
        assert files.tables and files.figures, job.name
        assert index_page.headline(job, files), job.name
        claimed.update(files.tables + files.figures)
    # every table and figure written belongs to exactly one of the reports run
    assert claimed == set(tables) | set(figures)


def test_cooccurrence_headline_is_the_strongest_pair_of_the_cases(regenerated, frame):
    out, jobs = regenerated
    job = jobs[1]
    files = index_page.report_files(
        job, sorted((out / "reports" / "tables").iterdir()), sorted((out / "figures").iterdir())
    )
    pairs = cooccurrence.pairs(coding.cases_for("study"), frame=frame)
    pairs = pairs[pairs["flag_a"] != pairs["flag_b"]]
    top = pairs.sort_values(["jaccard", "count"], ascending=False).iloc[0]
    (line,) = index_page.headline(job, files, frame)
    assert frame.label("flag", top["flag_a"], "zh-TW") in line
    assert f"Jaccard {measure_text(top['jaccard'])}" in line
    assert f"{int(top['count'])}/{int(top['n'])}" in line


def test_index_is_shaped_like_the_study_and_loads_nothing_from_outside(regenerated):
    out, jobs = regenerated
    page = (out / "reports" / "index.html").read_text(encoding="utf-8")
    assert '<html lang="zh-Hant">' in page
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert render.external_references(page) == []
    assert re.findall(r'(?:src|href)="(?:https?:)?//', page) == []
    # sections present, in the study's order, the key findings first
    found = re.findall(r'<section id="([a-z]+)">', page)
    assert found == ["findings", "tables", "cooccurrence", "profiles"]
    for job in jobs:
        assert f'href="{job.name}.html"' in page
        assert f'href="{job.name}.provenance.json"' in page
        assert (out / "reports" / "thumbs" / f"{job.name}.png").exists()
    for path in (out / "reports" / "tables").iterdir():
        assert f'href="tables/{path.name}"' in page
    for path in (out / "figures").iterdir():
        assert f'href="../figures/{path.name}"' in page
    assert page.count('src="data:image/png;base64,') == len(jobs)


def test_a_thumbnail_is_made_again_only_when_its_figure_changes(tmp_path, monkeypatch):
    """A figure drawn again with the same bytes (as a forced run, or a run into a new
    folder, draws every figure) keeps its thumbnail, taken from the cache; one whose bytes
    change gets a new one."""
    from PIL import Image

    monkeypatch.setenv("ANALYSIS_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("ANALYSIS_CACHE", raising=False)
    shrunk = []
    real = index_page._shrunk
    monkeypatch.setattr(index_page, "_shrunk", lambda png: shrunk.append(1) or real(png))
    figure, thumb = tmp_path / "figure.png", tmp_path / "thumbs" / "report.png"
    Image.new("RGB", (1200, 800), "white").save(figure)
    first = index_page.thumbnail(figure, thumb)
    assert Image.open(thumb).width == index_page.THUMB_WIDTH and len(shrunk) == 1
    made = thumb.stat().st_mtime_ns
    figure.write_bytes(figure.read_bytes())  # drawn again the same: newer, equal bytes
    assert index_page.thumbnail(figure, thumb) == first and thumb.stat().st_mtime_ns == made
    elsewhere = tmp_path / "new-folder" / "thumbs" / "report.png"
    assert index_page.thumbnail(figure, elsewhere) == first == elsewhere.read_bytes()
    assert len(shrunk) == 1
    Image.new("RGB", (1200, 800), "black").save(figure)
    second = index_page.thumbnail(figure, thumb)
    assert second != first and thumb.read_bytes() == second and len(shrunk) == 2
