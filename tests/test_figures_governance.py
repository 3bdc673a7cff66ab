"""Governance figures and the checklist workbook, on the study's 11 cases."""

from __future__ import annotations

import openpyxl
import pytest

from analysis import governance as g
from analysis import inventories, load_frame
from analysis.figures import governance as fg
from analysis.figures import save

FRAME = load_frame()


@pytest.fixture(scope="module")
def study():
    return inventories.cases("study")


@pytest.fixture(scope="module")
def frameworks():
    return {fw.key: fw for fw in g.load_all()}


@pytest.fixture(scope="module")
def placements(study, frameworks):
    return g.assess(study, list(frameworks.values()), "zh-TW")


@pytest.mark.parametrize("language", ["zh-TW", "en"])
def test_matrix_figure_shows_every_case_in_its_cell(placements, frameworks, language):
    au = frameworks["au_vaiss"]
    counts = g.matrix_counts(placements, au)
    assert len(counts) == 25 and counts["cases"].sum() == 11
    fig = fg.risk_matrix(counts, au, language=language)
    ax = fig.axes[0]
    numbers = [int(t.get_text()) for t in ax.texts if t.get_text().isdigit()]
    assert sum(numbers) == 11
    assert len(ax.patches) == 25
    rows = [t.get_text() for t in ax.get_yticklabels()]
    assert rows == [lv.name(language) for lv in au.dimension("likelihood").levels]
    # Each cell is coloured by its level in the matrix.
    colours = {lv.key: lv.colour.lower() for lv in au.dimension("rating").levels}
    from matplotlib.colors import to_hex

    cell_colours = [to_hex(p.get_facecolor()) for p in ax.patches]
    expected = [
        colours[c] for r in au.dimension("rating").matrix["cells"].values() for c in r.values()
    ]
    assert cell_colours == expected
    fg.close(fig)


@pytest.mark.parametrize("language", ["zh-TW", "en"])
def test_tier_bars_and_flow_use_frame_labels(study, placements, frameworks, language):
    eu = frameworks["eu_ai_act"]
    counts = g.by_category(placements, study, eu, "tier", FRAME)
    assert counts["cases"].sum() == 11
    fig = fg.placement_bars(counts, eu, "tier", FRAME, language)
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels == [FRAME.label("category", c, language) for c in FRAME.category_keys]
    fg.close(fig)
    fig = fg.category_flow(counts, eu, "tier", FRAME, language)
    texts = [t.get_text() for t in fig.axes[0].texts]
    # The study codes 5 enforcement, 3 regulatory-analysis and 3 internal-management cases.
    assert f"{FRAME.label('category', 'enforcement', language)} (5)" in texts
    assert f"{FRAME.label('category', 'internal_management', language)} (3)" in texts
    fg.close(fig)


def test_figures_and_checklist_are_byte_identical_twice(tmp_path, study, placements, frameworks):
    au, eu = frameworks["au_vaiss"], frameworks["eu_ai_act"]
    table = g.checklist(study, placements, list(frameworks.values()), language="zh-TW")
    written = []
    for run in ("a", "b"):
        fig = fg.risk_matrix(g.matrix_counts(placements, au), au, language="zh-TW")
        paths = save(fig, "study_risk_matrix", folder=tmp_path / run)
        fg.close(fig)
        fig = fg.category_flow(g.by_category(placements, study, eu, "tier"), eu, "tier")
        paths += save(fig, "study_tier_flow", folder=tmp_path / run)
        fg.close(fig)
        paths.append(fg.save_checklist(table, "study_checklist", "zh-TW", folder=tmp_path / run))
        written.append([p.read_bytes() for p in paths])
    assert written[0] == written[1]


def test_checklist_workbook_has_fillable_columns(tmp_path, study, placements, frameworks):
    table = g.checklist(study, placements, list(frameworks.values()), language="en")
    path = fg.save_checklist(table, "study_checklist", "en", folder=tmp_path)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["checklist", "legend"]
    header = [c.value for c in wb["checklist"][1]]
    assert header[-2:] == ["status", "notes"]
    assert wb["checklist"].max_row == len(table) + 1
    applies = {
        row[header.index("applies")]
        for row in wb["checklist"].iter_rows(min_row=2, values_only=True)
    }
    assert applies <= {"required", "conditional", "recommended"}


def test_matrix_title_counts_cases_without_a_cell(placements, frameworks):
    au = frameworks["au_vaiss"]
    counts = g.matrix_counts(placements, au)
    fig = fg.risk_matrix(
        counts, au, language="en", total=14
    )  # 11 placed + 3 hypothetical without a cell
    assert "3 more cases" in fig.axes[0].get_title()
    fg.close(fig)
