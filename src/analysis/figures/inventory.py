"""Figures of an inventory's profile: flag status (yes / no / not reported) and missingness."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import config, lazy
from ..frame import Frame, load_frame
from . import bilingual, nothing_to_draw, setup

plt = lazy.module("matplotlib.pyplot")
sns = lazy.module("seaborn")

_TITLES = {
    "missingness": ("各欄缺漏情形", "Missing values by column"),
    "missing_share": (
        "無值案例占比（標示為無值案例數）",
        "Share of cases with no value (count shown)",
    ),
    "no_columns": ("沒有可檢查缺漏的欄位。", "No column to check for missing values."),
    "no_flags": ("沒有風險標記可顯示。", "No risk flag to show."),
}

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
    if counts.empty:
        return nothing_to_draw(bilingual(_TITLES, "no_flags", language), title)
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
    ax.set_ylabel(frame.heading("flag", language))
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=3, frameon=False)
    if title:
        ax.set_title(title, pad=28)
    sns.despine(ax=ax)
    fig.tight_layout()
    return fig


def column_label(column: str, frame: Frame, language: str) -> str:
    """Display name of a canonical column: a flag's label, a frame heading, or the name as
    the inventory spells it."""
    if column in frame.flag_keys:
        return frame.label("flag", column, language)
    return frame.heading(column, language) if column in frame.headings else column


def missingness(
    table: pd.DataFrame,
    title: str = "",
    frame: Frame | None = None,
    language: str = config.DEFAULT_LANGUAGE,
):
    """Horizontal bars: share of cases with no value, per column (from summary.missingness),
    columns named by the frame in ``language``; ``title`` defaults to the frame's wording."""
    frame = frame or load_frame()
    setup()
    title = title or bilingual(_TITLES, "missingness", language)
    if table.empty:
        return nothing_to_draw(bilingual(_TITLES, "no_columns", language), title)
    fig, ax = plt.subplots(figsize=(7.0, 0.3 * len(table) + 1.4))
    y = np.arange(len(table))
    ax.barh(y, table["share"].to_numpy(dtype=float), color="#7F7F7F")
    ax.set_yticks(y, [column_label(c, frame, language) for c in table["column"]], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    for yi, (m, s) in enumerate(zip(table["missing"], table["share"])):
        ax.text(min(float(s), 0.85) + 0.01, yi, str(int(m)), va="center", fontsize=7)
    ax.set_xlabel(bilingual(_TITLES, "missing_share", language))
    ax.set_ylabel(frame.heading("column", language))
    ax.set_title(title)
    sns.despine(ax=ax)
    fig.tight_layout()
    return fig
