"""The numbers behind each co-occurrence figure (not its pixels), from hand counts of the
study's printed tables, and byte-identical saving."""

from __future__ import annotations

import numpy as np
import pytest

from analysis import cooccurrence as co
from analysis import figures, stats
from analysis.figures import cooccurrence as fc


def _heat_values(fig):
    ax = fig.axes[0]
    mesh = ax.collections[0]
    rows = len(ax.get_yticklabels())
    return np.ma.filled(mesh.get_array().astype(float), np.nan).reshape(rows, -1), ax


def test_pair_heatmap_plots_the_jaccard_matrix(study, frame):
    fig = fc.pair_heatmap(co.pairs(study, frame=frame), "jaccard", frame=frame, language="en")
    values, ax = _heat_values(fig)
    flags = frame.flag_keys
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        frame.label("flag", f, "en") for f in flags
    ]
    hr, eth, exp = flags.index("human_rights"), flags.index("ethics"), flags.index("explainability")
    assert values[hr, eth] == pytest.approx(5 / 7)  # 倫理 ⊂ 人權保護: 5 of 7
    assert values[0, exp] == pytest.approx(10 / 11)  # 資料治理 ∧ 模型可解釋性: 10; ∪ = 11
    np.testing.assert_allclose(np.diag(values), 1.0)
    figures.close(fig)
    fig = fc.pair_heatmap(co.pairs(study, frame=frame), "p_b_given_a", frame=frame)
    values, ax = _heat_values(fig)
    assert values[eth, flags.index("automated_decision")] == pytest.approx(4 / 5)
    assert ax.get_yticklabels()[0].get_text() == frame.label("flag", flags[0], "zh-TW")
    figures.close(fig)


def test_stratum_heatmap_plots_prevalence(study, frame):
    fig = fc.stratum_heatmap(co.flag_table(study, "category", frame=frame), frame=frame)
    values, ax = _heat_values(fig)
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        frame.label("category", c)
        for c in ("enforcement", "regulatory_analysis", "internal_management")
    ]
    eth = frame.flag_keys.index("ethics")
    assert values[:, eth].tolist() == pytest.approx([3 / 5, 0 / 3, 2 / 3])
    assert "3/5" in [t.get_text() for t in ax.texts]
    figures.close(fig)
    fig = fc.stratum_heatmap(
        co.flag_table(study, "technique", frame=frame), frame=frame, language="en"
    )
    values, ax = _heat_values(fig)
    assert ax.get_yticklabels()[0].get_text() == frame.label("technique", "image_recognition", "en")
    assert values[0, frame.flag_keys.index("automated_decision")] == pytest.approx(3 / 6)
    figures.close(fig)


def test_upset_bars(study, frame):
    fig = fc.upset(co.combinations(study, frame=frame), frame=frame)
    bars_ax, sizes_ax = fig.axes[0], fig.axes[2]
    assert [p.get_height() for p in bars_ax.patches] == [4, 3, 1, 1, 1, 1]
    assert [p.get_width() for p in sizes_ax.patches] == [11, 7, 5, 10, 8, 8]
    figures.close(fig)
    # showing only the two largest combinations keeps the set sizes of all 11 cases
    fig = fc.upset(co.combinations(study, frame=frame), frame=frame, max_combinations=2)
    assert [p.get_height() for p in fig.axes[0].patches] == [4, 3]
    assert [p.get_width() for p in fig.axes[2].patches] == [11, 7, 5, 10, 8, 8]
    figures.close(fig)


def test_network_edges(study, frame):
    fig = fc.network(co.pairs(study, frame=frame), frame=frame)
    widths = {line.get_gid(): line.get_linewidth() for line in fig.axes[0].lines}
    assert widths["edge:human_rights:ethics"] == pytest.approx(5 / 7 * 8)
    assert len(widths) == 15
    figures.close(fig)


def test_forest_points(frame):
    from analysis import synthetic

    table = stats.logistic(
        synthetic.generate(1500, seed=2, frame=frame), flags=["ethics"], terms=["category"]
    )
    fig = fc.forest(table, "ethics", frame=frame, language="en")
    ax = fig.axes[0]
    points = {
        c.get_gid(): c.get_offsets()[0, 0]
        for c in ax.collections
        if (c.get_gid() or "").startswith("or:")
    }
    estimable = table[table["estimable"]]
    assert points == pytest.approx(
        {f"or:ethics:category:{r.level}": r.odds_ratio for r in estimable.itertuples()}
    )
    # a header row naming the term and its reference, then the levels in table order
    reference = frame.label("category", estimable["reference"].iloc[0], "en")
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        f"{frame.heading('category', 'en')} (reference: {reference})"
    ] + [frame.label("category", k, "en") for k in estimable["level"]]
    figures.close(fig)


def test_saving_is_deterministic(study, frame, tmp_path):
    pairs = co.pairs(study, frame=frame)
    first = figures.save(fc.network(pairs, frame=frame), "net", tmp_path / "a")
    second = figures.save(fc.network(pairs, frame=frame), "net", tmp_path / "b")
    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in second]


def test_pair_heatmap_cells_say_the_cases_each_pair_uses(frame):
    """Pairwise deletion: each cell rests on its own n (US 2024: 147 to 1,217 of 2,133),
    written in the cell, counted here from the case table with pandas."""
    from analysis import inventories

    cases = inventories.load("us-federal-2024").cases
    fig = fc.pair_heatmap(co.pairs(cases, frame=frame), "jaccard", frame=frame, language="en")
    texts = [t.get_text() for t in fig.axes[0].texts]
    flags = frame.flag_keys
    for i, a in enumerate(flags):
        for j, b in enumerate(flags):
            n = int(cases[[a, b]].notna().all(axis=1).sum())
            assert texts[i * len(flags) + j].endswith(f"\nn={n}")
    assert "n=2133" not in " ".join(texts)
    figures.close(fig)
    fig = fc.pair_heatmap(co.pairs(cases, frame=frame), "p_b_given_a", frame=frame)
    texts = [t.get_text() for t in fig.axes[0].texts]
    a, b = flags.index("ethics"), flags.index("automated_decision")
    both = cases[["ethics", "automated_decision"]].dropna()
    assert texts[a * len(flags) + b].endswith(f"\nn={int(both['ethics'].sum())}")  # P(b | a)
    figures.close(fig)
