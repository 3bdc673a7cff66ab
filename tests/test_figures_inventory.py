"""The numbers behind the inventory-profile figures."""

import numpy as np
import pandas as pd

from analysis import figures, summary
from analysis.figures import inventory


def test_flag_status_bars_are_shares_of_all_cases(study, frame):
    partial = study.copy()
    partial.loc[:3, "ethics"] = pd.NA
    fig = inventory.flag_status(summary.flag_counts(partial, frame), frame, "en")
    ax = fig.axes[0]
    widths = np.array([p.get_width() for p in ax.patches]).reshape(
        3, 6
    )  # yes, no, not reported × flags
    np.testing.assert_allclose(widths.sum(axis=0), 1.0)
    np.testing.assert_allclose(
        widths[:, 2], [3 / 11, 4 / 11, 4 / 11]
    )  # ethics: yes, no, not reported
    assert widths[0, 0] == 1.0  # data governance ticked in all 11
    assert [t.get_text() for t in ax.get_yticklabels()][0] == "Data governance"
    figures.close(fig)


def test_missingness_bars(study):
    table = summary.missingness(study, ["agency", "description", "ethics"])
    fig = inventory.missingness(table)
    widths = [p.get_width() for p in fig.axes[0].patches]
    assert widths == [3 / 11, 1.0, 0.0]
    figures.close(fig)
