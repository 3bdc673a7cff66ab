"""Figures: CJK font, the numbers behind the heatmap, byte-identical files, figures drawn
once and then written from the cache."""

import warnings

import matplotlib.pyplot as plt
import pytest

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


def test_draw_builds_a_figure_once_and_then_writes_its_stored_files(study, frame, output_dir):
    """A second draw from inputs of the same content builds nothing and writes the same
    bytes; other inputs, or the cache off, build again."""
    built = []

    def heatmap(counts, language):  # the suite's heatmap, counting its calls
        built.append(language)
        return figures.category_flag_heatmap(counts, frame, language)

    counts = summary.category_flag_counts(study, frame)
    first = figures.draw("heat", heatmap, counts, "en")
    png = (output_dir / "figures" / "heat.png").read_bytes()
    svg = (output_dir / "figures" / "heat.svg").read_bytes()
    (output_dir / "figures" / "heat.png").unlink()
    again = figures.draw("heat", heatmap, counts.copy(), "en")
    assert built == ["en"]
    assert again.data == first.data == png
    assert (output_dir / "figures" / "heat.png").read_bytes() == png
    assert (output_dir / "figures" / "heat.svg").read_bytes() == svg
    # the same as publishing the built figure, alternative text included
    fig = figures.category_flag_heatmap(counts, frame, "en")
    alt = figures.alt_text(fig)
    assert figures.publish(fig, "heat-published").data == png
    assert first.alt == alt and alt.strip()
    figures.draw("heat", heatmap, counts, "zh-TW")
    assert built == ["en", "zh-TW"]
    changed = counts.copy()
    changed.loc[changed.index[0], "yes"] += 1
    figures.draw("heat", heatmap, changed, "en")
    assert built == ["en", "zh-TW", "en"]


def test_a_display_only_png_is_built_once_and_written_nowhere(study, frame, output_dir):
    import io

    built = []

    def heatmap(counts, language):
        built.append(language)
        return figures.category_flag_heatmap(counts, frame, language)

    counts = summary.category_flag_counts(study, frame)
    first = figures.png(heatmap, counts, "en")
    assert figures.png(heatmap, counts.copy(), "en") == first and built == ["en"]
    fig = figures.category_flag_heatmap(counts, frame, "en")  # what the view showed before
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata={"Software": None})
    figures.close(fig)
    assert first == buffer.getvalue()
    assert not (output_dir / "figures").exists() or not any((output_dir / "figures").iterdir())
    figures.png(heatmap, counts, "zh-TW")
    assert built == ["en", "zh-TW"]


def test_draw_with_the_cache_off_builds_every_time(study, frame, output_dir, monkeypatch):
    monkeypatch.setenv("ANALYSIS_CACHE", "off")
    built = []

    def bars(counts):
        built.append(1)
        return figures.count_bars(counts, "flag", "yes", list(frame.colours("flag").values()), "t")

    counts = summary.flag_counts(study, frame)
    figures.draw("bars", bars, counts)
    figures.draw("bars", bars, counts)
    assert built == [1, 1]


def test_draw_refuses_a_path_as_a_name_and_a_figure_without_data(frame, output_dir):
    from analysis.errors import AnalysisError

    with pytest.raises(AnalysisError):
        figures.draw("../escape", figures.nothing_to_draw, "why")

    def blank():
        return plt.figure()

    with pytest.raises(AnalysisError, match="draws no data"):
        figures.draw("blank", blank)
    assert not (output_dir / "figures" / "blank.png").exists()
