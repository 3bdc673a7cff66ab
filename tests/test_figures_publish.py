"""Figures fit for print, on the bundled inventories: bounded forest plots that say what they
leave out, labels that do not overlap, 300 dpi PNGs, stated reasons instead of empty plots,
and identical bytes on every render."""

from __future__ import annotations

import itertools

import matplotlib.pyplot as plt
import pytest
from PIL import Image

from analysis import clustering as cl
from analysis import coding, config, figures, stats
from analysis import cooccurrence as co
from analysis.errors import AnalysisError
from analysis.figures import clustering as fcl
from analysis.figures import cooccurrence as fco

#: Largest forest plot, in pixels at the size a report displays it.
MAX_DISPLAY_PX = 2000


@pytest.fixture(scope="module")
def odds(frame):
    return {
        name: stats.logistic(
            coding.cases_for([name], frame), frame=frame, min_events_per_parameter=0
        )
        for name in ("study", "taiwan-public-annotated")
    }


def _display_size(path):
    with Image.open(path) as im:
        return [px * figures.DISPLAY_DPI / config.FIGURE_DPI for px in im.size]


def _texts(fig):
    """Every string the figure draws: titles, axis and tick labels, texts."""
    out = [t.get_text() for t in fig.texts]
    for ax in fig.axes:
        out += [ax.get_title(), ax.get_xlabel(), ax.get_ylabel()]
        out += [t.get_text() for t in ax.texts + ax.get_xticklabels() + ax.get_yticklabels()]
    return [t for t in out if t]


@pytest.mark.parametrize("inventory", ["study", "taiwan-public-annotated"])
@pytest.mark.parametrize("language", ["zh-TW", "en"])
def test_forest_is_bounded_and_names_what_it_leaves_out(odds, frame, inventory, language, tmp_path):
    table = odds[inventory]
    table = table[table["level"].notna()]
    fig = fco.forest(table, frame=frame, language=language)
    plotted = {
        c.get_gid()
        for ax in fig.axes
        for c in ax.collections
        if (c.get_gid() or "").startswith("or:")
    }
    note = "\n".join(t.get_text() for t in fig.texts)
    png, _ = figures.save(fig, "forest", tmp_path)
    figures.close(fig)
    width, height = _display_size(png)
    assert height <= MAX_DISPLAY_PX and width <= 1400
    estimable = table[table["estimable"]]
    not_estimable = len(table) - len(estimable)
    left_out = len(estimable) - len(plotted)
    assert plotted <= {f"or:{r.flag}:{r.term}:{r.level}" for r in estimable.itertuples()}
    if not_estimable:
        expected = (
            f"{not_estimable} terms not estimable"
            if language == "en"
            else f"無法估計 {not_estimable} 項"
        )
        assert expected in note
    if left_out:
        assert (f"{left_out} more" if language == "en" else f"另 {left_out} 項未列") in note
    # at most 15 terms per risk: the annotated inventory has more, so some are left out
    assert left_out > 0 if inventory == "taiwan-public-annotated" else left_out == 0


def test_a_flag_with_nothing_estimable_gets_a_stated_reason(odds, frame, output_dir):
    # on the study's 11 cases data governance is ticked in every case: nothing to estimate
    table = odds["study"]
    rows = table[(table["flag"] == "data_governance") & table["level"].notna()]
    assert not rows["estimable"].any()
    fig = fco.forest(table, "data_governance", frame=frame, language="zh-TW")
    assert not any(figures.has_data(ax) for ax in fig.axes)
    assert f"{len(rows)} 項皆無法估計" in "".join(t.get_text() for t in fig.texts)
    image = figures.publish(fig, "forest_empty")
    assert image.data == (output_dir / "figures" / "forest_empty.png").read_bytes()


def test_empty_strata_and_combinations_state_why(frame, tmp_path):
    cases = coding.cases_for(["study"], frame)
    none = co.flag_table(cases, "category", "pairwise", len(cases) + 1, frame)
    fig = fco.stratum_heatmap(none, frame, "en")
    assert "No AI use category stratum" in "".join(_texts(fig))
    figures.save(fig, "strata", tmp_path)
    figures.close(fig)
    fig = fco.upset(co.combinations(cases.iloc[:0], None, "pairwise", frame=frame), frame, "zh-TW")
    assert "沒有任何案例" in "".join(_texts(fig))
    figures.save(fig, "upset", tmp_path)
    figures.close(fig)


def test_a_figure_without_data_is_refused(output_dir):
    fig, ax = plt.subplots()
    ax.axvline(1.0)  # a reference line is not data
    ax.set_title("title only")
    with pytest.raises(AnalysisError, match="'blank'"):
        figures.publish(fig, "blank")
    assert not plt.fignum_exists(fig.number)
    assert not (output_dir / "figures" / "blank.png").exists()
    stated = figures.nothing_to_draw("沒有資料可畫。", "標題")
    figures.publish(stated, "stated")
    assert (output_dir / "figures" / "stated.png").exists()


def test_png_is_300_dpi_and_displays_at_its_natural_size(frame, output_dir):
    cases = coding.cases_for(["study"], frame)
    fig = fco.network(co.pairs(cases, frame=frame), frame, "zh-TW")
    image = figures.publish(fig, "network")
    with Image.open(output_dir / "figures" / "network.png") as im:
        assert im.info["dpi"] == pytest.approx((300, 300), abs=0.01)
        assert image.width == round(im.width / 3)


def _boxes(fig, artists):
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    return [a.get_window_extent(renderer) for a in artists]


@pytest.mark.parametrize("language", ["zh-TW", "en"])
def test_correspondence_map_labels_do_not_overlap(frame, language):
    result = cl.cluster(coding.cases_for(["study"], frame), 3, "hierarchical")
    fig = fcl.mca_scatter(cl.mca_map(result), language)
    ax = fig.axes[0]
    names = [t for t in ax.texts if t.get_text()]
    shown = "\n".join(t.get_text() for t in names).replace("\n", "").replace(" ", "")
    for name in result.design.cases["name"]:
        assert str(name).replace(" ", "") in shown.replace("·", "")
    boxes = _boxes(fig, names)
    for a, b in itertools.combinations(boxes, 2):
        assert not a.overlaps(b)
    figures.close(fig)


@pytest.mark.parametrize("inventory", ["study", "taiwan-public-annotated"])
def test_network_labels_clear_nodes_and_each_other(frame, inventory):
    fig = fco.network(co.pairs(coding.cases_for([inventory], frame), frame=frame), frame, "en")
    ax = fig.axes[0]
    labels = ax.texts
    boxes = _boxes(fig, labels)
    for a, b in itertools.combinations(boxes, 2):
        assert not a.overlaps(b)
    nodes = ax.collections[0]
    centres = ax.transData.transform(nodes.get_offsets())
    radii = (nodes.get_sizes() ** 0.5 / 2) * fig.dpi / 72  # marker size is a diameter²
    for box in boxes:
        for (x, y), r in zip(centres, radii):
            nearest_x = min(max(x, box.x0), box.x1)
            nearest_y = min(max(y, box.y0), box.y1)
            assert (nearest_x - x) ** 2 + (nearest_y - y) ** 2 > r**2
    figures.close(fig)


def test_zh_figures_carry_no_english_frame_label(odds, frame):
    cases = coding.cases_for(["study"], frame)
    english = {frame.label("flag", f, "en") for f in frame.flag_keys}
    english |= {frame.label("category", c, "en") for c in frame.category_keys}
    english |= {"OR", "silhouette", "cost", "macro-F1"}
    made = [
        fco.forest(odds["study"], frame=frame, language="zh-TW"),
        fco.upset(co.combinations(cases, frame=frame), frame, "zh-TW"),
        fco.pair_heatmap(co.pairs(cases, frame=frame), "p_b_given_a", frame=frame),
        fcl.criteria_plot(cl.select_k(cases, range(2, 5), "kmodes").table, "zh-TW"),
    ]
    for fig in made:
        texts = _texts(fig)
        assert not english & set(texts)
        for ax in fig.axes:
            if ax.axison and ax.get_xticklabels() and ax.xaxis.get_visible():
                labelled = ax.get_xlabel() or not any(t.get_text() for t in ax.get_xticklabels())
                assert labelled
        figures.close(fig)


def test_renders_are_byte_identical(odds, frame, tmp_path):
    result = cl.cluster(coding.cases_for(["study"], frame), 3, "hierarchical")
    written = []
    for run in ("a", "b"):
        paths = figures.save(
            fco.forest(odds["taiwan-public-annotated"], frame=frame), "forest", tmp_path / run
        )
        paths += figures.save(fcl.mca_scatter(cl.mca_map(result), "zh-TW"), "map", tmp_path / run)
        plt.close("all")
        written.append([p.read_bytes() for p in paths])
    assert written[0] == written[1]
