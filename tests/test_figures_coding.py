"""The numbers behind the coding figures (not their pixels), and byte-identical saving."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis import figures
from analysis.agreement import UNCODED, confusion
from analysis.figures import coding as fcod


def _heat(fig):
    ax = fig.axes[0]
    rows = len(ax.get_yticklabels())
    return np.ma.filled(ax.collections[0].get_array().astype(float), np.nan).reshape(rows, -1), ax


def test_confusion_matrix_counts_and_frame_labels(frame, study):
    # hand-made predictions for the study's 11 categories: digi-1 called regulatory
    # analysis, award-3 left uncoded, the rest right
    pred = study["category"].astype(object).copy()
    pred[0] = "regulatory_analysis"
    pred[7] = pd.NA
    table = confusion(study["category"], pred).assign(target="category", coder="rules")
    fig = fcod.confusion_matrix(table, "category", "rules", frame=frame, language="en")
    values, ax = _heat(fig)
    rows = [t.get_text() for t in ax.get_yticklabels()]
    cols = [t.get_text() for t in ax.get_xticklabels()]
    assert rows == [
        frame.label("category", k, "en")
        for k in ("enforcement", "regulatory_analysis", "internal_management")
    ]
    assert cols == rows + [frame.heading("not_coded", "en")]
    assert values.tolist() == [[4, 1, 0, 0], [0, 2, 0, 1], [0, 0, 3, 0]]
    figures.close(fig)


def test_learning_curve_and_agreement_bars(frame, tmp_path):
    curve = pd.DataFrame(
        {
            "target": "category",
            "fraction": [0.5, 1.0],
            "n_train": [60, 120],
            "macro_f1": [0.3, 0.4],
            "accuracy": [0.5, 0.6],
            "kappa": [0.2, 0.3],
        }
    )
    fig = fcod.learning_curve(curve, frame=frame)
    ax = fig.axes[0]
    assert [list(line.get_xdata()) for line in ax.lines] == [[60, 120], [60, 120]]
    assert list(ax.lines[0].get_ydata()) == [0.3, 0.4]
    assert frame.heading("category") in ax.get_title()
    a = figures.save(fig, "curve", tmp_path / "a")
    b = figures.save(fig, "curve", tmp_path / "b")
    assert [p.read_bytes() for p in a] == [p.read_bytes() for p in b]
    figures.close(fig)
    scores = pd.DataFrame(
        {
            "target": ["category", "category", "ethics", "ethics"],
            "coder": ["rules", "model", "rules", "model"],
            "macro_f1": [0.3, 0.4, 0.5, np.nan],
        }
    )
    fig = fcod.agreement_bars(scores, frame=frame, language="en")
    ax = fig.axes[0]
    widths = [p.get_width() for p in ax.patches]
    assert widths == [0.3, 0.5, 0.4, 0.0]
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        frame.heading("category", "en"),
        frame.label("flag", "ethics", "en"),
    ]
    assert fcod.value_label("ethics", UNCODED, frame, "zh-TW") == frame.heading(
        "not_coded", "zh-TW"
    )
    figures.close(fig)
