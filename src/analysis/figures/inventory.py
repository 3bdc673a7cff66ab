"""Figures of an inventory's profile: flag status (yes / no / not reported) and missingness."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from .. import config
from ..frame import Frame, load_frame
from . import setup

STATUS_COLOURS = {"yes": "#B2182B", "no": "#4393C3", "not_reported": "#D9D9D9"}


def flag_status(
    counts: pd.DataFrame,
    frame: Frame | None = None,
    language: str = config.DEFAULT_LANGUAGE,
    title: str = "",
):
    """Stacked bars per flag: share yes, no and not reported (from summary.flag_counts)."""
    frame = frame or load_frame()
    setup()
    total = (counts["yes"] + counts["no"] + counts["not_reported"]).replace(0, np.nan)
    fig, ax = plt.subplots(figsize=(7.0, 0.5 * len(counts) + 1.5))
    y = np.arange(len(counts))
    left = np.zeros(len(counts))
    for status in ("yes", "no", "not_reported"):
        share = (counts[status] / total).fillna(0).to_numpy()
        ax.barh(
            y, share, left=left, color=STATUS_COLOURS[status], label=frame.heading(status, language)
        )
        left += share
    ax.set_yticks(y, [frame.label("flag", f, language) for f in counts["flag"]])
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel(frame.heading("share", language))
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=3, frameon=False)
    if title:
        ax.set_title(title, pad=28)
    sns.despine(ax=ax)
    fig.tight_layout()
    return fig


def missingness(table: pd.DataFrame, title: str = ""):
    """Horizontal bars: share of cases with no value, per column (from summary.missingness)."""
    setup()
    fig, ax = plt.subplots(figsize=(7.0, 0.3 * len(table) + 1.2))
    y = np.arange(len(table))
    ax.barh(y, table["share"].to_numpy(dtype=float), color="#7F7F7F")
    ax.set_yticks(y, table["column"].tolist(), fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    for yi, (m, s) in enumerate(zip(table["missing"], table["share"])):
        ax.text(min(float(s), 0.85) + 0.01, yi, str(int(m)), va="center", fontsize=7)
    if title:
        ax.set_title(title)
    sns.despine(ax=ax)
    fig.tight_layout()
    return fig
