"""Figures: CJK font, the numbers behind the heatmap, byte-identical files."""

import warnings

import matplotlib.pyplot as plt

from analysis import figures, summary


def test_font_is_noto_sans_tc_and_no_glyph_is_missing(study, frame, output_dir):
    family = figures.setup()
    assert family == "Noto Sans TC"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph ... missing from font" would raise
        fig = figures.category_flag_heatmap(
            summary.category_flag_counts(study, frame), frame, "zh-TW"
        )
        figures.save(fig, "glyphs")
    figures.close(fig)


def test_heatmap_annotations_are_the_hand_counts(study, frame):
    fig = figures.category_flag_heatmap(summary.category_flag_counts(study, frame), frame, "zh-TW")
    ax = fig.axes[0]
    texts = [t.get_text() for t in ax.texts]
    # Rows 執行 (5 cases), 管制分析與監控 (3), 內部管理 (3); columns in the study's risk order.
    assert texts == [
        "5/5",
        "4/5",
        "3/5",
        "5/5",
        "5/5",
        "2/5",
        "3/3",
        "1/3",
        "0/3",
        "2/3",
        "1/3",
        "3/3",
        "3/3",
        "2/3",
        "2/3",
        "3/3",
        "2/3",
        "3/3",
    ]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["執行", "管制分析與監控", "內部管理"]
    assert [t.get_text() for t in ax.get_xticklabels()][0] == "資料治理"
    figures.close(fig)


def test_saved_files_are_byte_identical(study, frame, tmp_path):
    counts = summary.category_flag_counts(study, frame)
    paths = []
    for run in ("a", "b"):
        fig = figures.category_flag_heatmap(counts, frame, "en")
        paths.append(figures.save(fig, "heat", tmp_path / run))
        plt.close(fig)
    for first, second in zip(*paths):
        assert first.read_bytes() == second.read_bytes()
    svg = paths[0][1].read_text()
    assert "<dc:date>" not in svg


def test_publish_returns_the_saved_png(study, frame, output_dir):
    fig = figures.count_bars(
        summary.flag_counts(study, frame), "flag", "yes", list(frame.colours("flag").values()), "t"
    )
    image = figures.publish(fig, "bars")
    assert image.data == (output_dir / "figures" / "bars.png").read_bytes()
    assert not plt.fignum_exists(fig.number)
