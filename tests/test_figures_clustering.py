"""Clustering figures and display tables on the study's 11 cases."""

from __future__ import annotations

import pytest

from analysis import clustering as cl
from analysis import inventories, load_frame
from analysis.figures import close, save
from analysis.figures import clustering as fc

FRAME = load_frame()


@pytest.fixture(scope="module")
def study():
    return inventories.cases("study")


@pytest.fixture(scope="module")
def hierarchical(study):
    return cl.cluster(study, 3, "hierarchical")


@pytest.mark.parametrize("language", ["zh-TW", "en"])
def test_dendrogram_has_one_leaf_per_study_case(study, hierarchical, language):
    fig = fc.dendrogram(hierarchical, language)
    leaves = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert len(leaves) == 11
    assert sorted(leaves) == sorted(study["name"])
    close(fig)


def test_profile_heatmap_and_table_use_frame_labels(hierarchical):
    for language in ("zh-TW", "en"):
        profiles = cl.cluster_profiles(hierarchical, language=language)
        fig = fc.profile_heatmap(profiles, language=language)
        columns = [t.get_text() for t in fig.axes[0].get_xticklabels()]
        assert columns == [FRAME.label("flag", f, language) for f in FRAME.flag_keys]
        close(fig)
        table = fc.profile_table(profiles, language=language)
        assert FRAME.heading("cases", language) in table.columns
        assert table[FRAME.heading("cases", language)].sum() == 11
        assert set(table[FRAME.heading("category", language)]) <= set(
            FRAME.labels("category", language).values()
        )


def test_crosstab_table_counts_cases(hierarchical):
    table = fc.crosstab_table(cl.crosstab(hierarchical, "category"), "category", language="en")
    assert list(table.columns) == [FRAME.label("category", c, "en") for c in FRAME.category_keys]
    assert table.to_numpy().sum() == 11


def test_figures_save_identical_bytes_twice(tmp_path, hierarchical):
    written = []
    for run in ("a", "b"):
        figs = {
            "dendrogram": fc.dendrogram(hierarchical, "en"),
            "map": fc.mca_scatter(cl.mca_map(hierarchical), "en"),
        }
        paths = []
        for name, fig in figs.items():
            paths += save(fig, f"study_hierarchical_{name}", folder=tmp_path / run)
            close(fig)
        written.append([p.read_bytes() for p in paths])
    assert written[0] == written[1]


def test_criteria_plot_marks_one_k(study):
    selection = cl.select_k(study, range(2, 5), "kmodes")
    fig = fc.criteria_plot(selection.table, "en")
    assert len(fig.axes) == 2  # silhouette and cost
    close(fig)
