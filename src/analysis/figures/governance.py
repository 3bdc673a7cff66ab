"""Figures and files of the governance lens: the likelihood × consequence matrix with case
counts, placements by category (bars and a category → placement flow), and the checklist
workbook an agency fills in.

Category labels, order and colours come from the frame; level labels and colours from the
framework's data file (``data/frameworks/``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .. import config, lazy, memo
from ..frame import Frame, load_frame
from ..governance import UNDETERMINED, Framework, checklist_sheets
from ..outputs import atomic_write_bytes, xlsx_bytes
from . import bilingual, close, nothing_to_draw, setup

matplotlib = lazy.module("matplotlib")
mcolors = lazy.module("matplotlib.colors")
mpatches = lazy.module("matplotlib.patches")
mpath = lazy.module("matplotlib.path")
plt = lazy.module("matplotlib.pyplot")
sns = lazy.module("seaborn")

__all__ = ["risk_matrix", "placement_bars", "category_flow", "save_checklist", "close"]
NOT_CODED = "not_coded"
_TITLES = {"no_cases": ("沒有可歸入此架構的案例。", "No case to place in this framework.")}


def _category_label(frame: Frame, key: object, language: str) -> str:
    return (
        frame.heading(NOT_CODED, language)
        if pd.isna(key)
        else frame.label("category", key, language)
    )


def _category_colour(frame: Frame, key: object) -> str:
    return "#999999" if pd.isna(key) else frame.entry("category", key).colour


def _ink(colour: str) -> str:
    """Black or white, whichever reads better on ``colour`` (WCAG relative luminance)."""
    rgb = np.array(mcolors.to_rgb(colour))
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    return "#000000" if linear @ [0.2126, 0.7152, 0.0722] > 0.2 else "#FFFFFF"


def risk_matrix(
    counts: pd.DataFrame,
    framework: Framework,
    dimension: str = "rating",
    language: str = config.DEFAULT_LANGUAGE,
    title: str | None = None,
    total: int | None = None,
) -> matplotlib.figure.Figure:
    """The matrix as the study prints it (rows: first axis top to bottom, columns: second
    axis), each cell coloured by its level and labelled with the level and the number of
    cases (from :func:`analysis.governance.matrix_counts`). With ``total`` (the number of
    cases), the title says how many have an undetermined axis and so no cell."""
    setup()
    dim = framework.dimension(dimension)
    m = dim.matrix
    rows, cols = list(m["cells"]), list(next(iter(m["cells"].values())))
    rdim, cdim = framework.dimension(m["rows"]), framework.dimension(m["columns"])
    colours = framework.colours(dimension)
    n = counts.set_index([m["rows"], m["columns"]])["cases"]
    fig, ax = plt.subplots(figsize=(1.45 * len(cols) + 2.2, 0.85 * len(rows) + 1.8))
    for i, r in enumerate(rows):
        for j, c in enumerate(cols):
            level = m["cells"][r][c]
            ax.add_patch(
                mpatches.Rectangle(
                    (j, i), 1, 1, facecolor=colours[level], edgecolor="white", linewidth=2
                )
            )
            k = int(n.get((r, c), 0))
            ink = _ink(colours[level])
            ax.text(
                j + 0.5,
                i + 0.36,
                framework.label(dimension, level, language),
                ha="center",
                va="center",
                fontsize=8,
                color=ink,
            )
            ax.text(
                j + 0.5,
                i + 0.68,
                str(k) if k else "·",
                ha="center",
                va="center",
                fontsize=13 if k else 9,
                color=ink,
            )
    ax.set_xlim(0, len(cols))
    ax.set_ylim(len(rows), 0)
    ax.set_xticks(np.arange(len(cols)) + 0.5, [cdim.level(c).name(language) for c in cols])
    ax.set_yticks(np.arange(len(rows)) + 0.5, [rdim.level(r).name(language) for r in rows])
    ax.xaxis.set_ticks_position("top")
    ax.xaxis.set_label_position("top")
    ax.set_xlabel(cdim.name(language))
    ax.set_ylabel(rdim.name(language))
    ax.tick_params(length=0)
    for s in ax.spines.values():
        s.set_visible(False)
    default = framework.name(language)
    outside = (total or 0) - int(counts["cases"].sum())
    if outside > 0:
        default += (
            f"\n({outside} more cases with an undetermined axis)"
            if language == "en"
            else f"\n（另 {outside} 案之軸無法判定）"
        )
    ax.set_title(title or default, pad=28)
    fig.tight_layout()
    return fig


def placement_bars(
    counts: pd.DataFrame,
    framework: Framework,
    dimension: str,
    frame: Frame | None = None,
    language: str = config.DEFAULT_LANGUAGE,
    title: str | None = None,
) -> matplotlib.figure.Figure:
    """Stacked horizontal bars: one bar per category (frame order), segments per level
    (framework order, undetermined last), from :func:`analysis.governance.by_category`."""
    setup()
    frame = frame or load_frame()
    levels = framework.dimension(dimension).level_keys + [UNDETERMINED]
    colours = framework.colours(dimension)
    cats = list(dict.fromkeys(counts["category"].tolist()))
    default = f"{framework.name(language)} · {framework.dimension(dimension).name(language)}"
    if not cats:
        return nothing_to_draw(bilingual(_TITLES, "no_cases", language), title or default)
    fig, ax = plt.subplots(figsize=(7.5, max(2.2, 0.5 * len(cats) + 1.4)))
    y = np.arange(len(cats))
    left = np.zeros(len(cats))
    for lv in levels:
        vals = np.array(
            [
                float(
                    counts[
                        (counts["category"].fillna("") == ("" if pd.isna(c) else c))
                        & (counts["placement"] == lv)
                    ]["cases"].sum()
                )
                for c in cats
            ]
        )
        ax.barh(
            y,
            vals,
            left=left,
            color=colours.get(lv, "#999999"),
            edgecolor="white",
            label=framework.label(dimension, lv, language),
        )
        for yi, (l0, v) in enumerate(zip(left, vals)):
            if v:
                ink = _ink(colours.get(lv, "#999999"))
                ax.text(
                    l0 + v / 2, yi, str(int(v)), ha="center", va="center", fontsize=8, color=ink
                )
        left += vals
    ax.set_yticks(y, [_category_label(frame, c, language) for c in cats])
    for lbl, c in zip(ax.get_yticklabels(), cats):
        lbl.set_color(_category_colour(frame, c))
    ax.invert_yaxis()
    ax.set_xlabel(frame.heading("cases", language))
    ax.set_ylabel(frame.heading("category", language))
    ax.legend(
        loc="lower right", fontsize=8, frameon=False, bbox_to_anchor=(1.0, 1.0), ncol=len(levels)
    )
    ax.set_title(title or default, pad=24)
    sns.despine(ax=ax)
    fig.tight_layout()
    return fig


def category_flow(
    counts: pd.DataFrame,
    framework: Framework,
    dimension: str,
    frame: Frame | None = None,
    language: str = config.DEFAULT_LANGUAGE,
    title: str | None = None,
) -> matplotlib.figure.Figure:
    """An alluvial view: categories (left, frame colours) flow into levels (right, framework
    colours); band widths are case counts (from :func:`analysis.governance.by_category`)."""
    setup()
    frame = frame or load_frame()
    flows = counts[counts["cases"] > 0].copy()
    levels = [
        lv
        for lv in framework.dimension(dimension).level_keys + [UNDETERMINED]
        if lv in set(flows["placement"])
    ]
    cats = [
        c
        for c in dict.fromkeys(counts["category"].tolist())
        if (flows["category"].fillna("") == ("" if pd.isna(c) else c)).any()
    ]
    colours = framework.colours(dimension)
    placed = framework.dimension(dimension).name(language)
    default = f"{frame.heading('category', language)} → {placed}"
    if flows.empty:
        return nothing_to_draw(bilingual(_TITLES, "no_cases", language), title or default)
    total = float(flows["cases"].sum()) or 1.0
    gap = 0.04 * total
    fig, ax = plt.subplots(figsize=(8.0, 4.8))

    def stack(keys, sizes):
        pos, y = {}, 0.0
        for k in keys:
            pos[k] = y
            y += sizes[k] + gap
        return pos

    def key(c):
        return "" if pd.isna(c) else c

    cat_size = {
        key(c): float(flows[flows["category"].fillna("") == key(c)]["cases"].sum()) for c in cats
    }
    lv_size = {lv: float(flows[flows["placement"] == lv]["cases"].sum()) for lv in levels}
    cat_pos, lv_pos = stack([key(c) for c in cats], cat_size), stack(levels, lv_size)
    x0, x1, w = 0.0, 1.0, 0.06
    cat_off = dict(cat_pos)
    lv_off = dict(lv_pos)
    for c in cats:
        for lv in levels:
            v = float(
                flows[(flows["category"].fillna("") == key(c)) & (flows["placement"] == lv)][
                    "cases"
                ].sum()
            )
            if not v:
                continue
            a0, b0 = cat_off[key(c)], lv_off[lv]
            verts = [
                (x0 + w, a0),
                (0.5, a0),
                (0.5, b0),
                (x1 - w, b0),
                (x1 - w, b0 + v),
                (0.5, b0 + v),
                (0.5, a0 + v),
                (x0 + w, a0 + v),
                (x0 + w, a0),
            ]
            codes = [
                mpath.Path.MOVETO,
                mpath.Path.CURVE4,
                mpath.Path.CURVE4,
                mpath.Path.CURVE4,
                mpath.Path.LINETO,
                mpath.Path.CURVE4,
                mpath.Path.CURVE4,
                mpath.Path.CURVE4,
                mpath.Path.CLOSEPOLY,
            ]
            ax.add_patch(
                mpatches.PathPatch(
                    mpath.Path(verts, codes),
                    facecolor=_category_colour(frame, c),
                    alpha=0.45,
                    edgecolor="none",
                )
            )
            cat_off[key(c)] += v
            lv_off[lv] += v
    for c in cats:
        ax.add_patch(
            mpatches.Rectangle(
                (x0, cat_pos[key(c)]), w, cat_size[key(c)], facecolor=_category_colour(frame, c)
            )
        )
        ax.text(
            x0 - 0.01,
            cat_pos[key(c)] + cat_size[key(c)] / 2,
            f"{_category_label(frame, c, language)} ({int(cat_size[key(c)])})",
            ha="right",
            va="center",
            fontsize=9,
        )
    for lv in levels:
        ax.add_patch(
            mpatches.Rectangle(
                (x1 - w, lv_pos[lv]), w, lv_size[lv], facecolor=colours.get(lv, "#999999")
            )
        )
        ax.text(
            x1 + 0.01,
            lv_pos[lv] + lv_size[lv] / 2,
            f"{framework.label(dimension, lv, language)} ({int(lv_size[lv])})",
            ha="left",
            va="center",
            fontsize=9,
        )
    height = max(
        max(p + cat_size[k] for k, p in cat_pos.items()) if cat_pos else 1.0,
        max(p + lv_size[k] for k, p in lv_pos.items()) if lv_pos else 1.0,
    )
    ax.set_xlim(-0.45, 1.45)
    ax.set_ylim(height + gap, -gap)
    ax.axis("off")
    ax.set_title(title or default)
    fig.tight_layout()
    return fig


def save_checklist(
    table: pd.DataFrame,
    name: str,
    language: str = config.DEFAULT_LANGUAGE,
    folder: Path | None = None,
) -> Path:
    """Write the checklist as ``reports/tables/<name>.xlsx`` (byte-identical reruns; the
    workbook is stored by content, :mod:`analysis.memo`: a large inventory's takes seconds)."""
    folder = folder or config.tables_dir()
    return atomic_write_bytes(folder / f"{name}.xlsx", _workbook(table, language))


@memo.cached
def _workbook(table: pd.DataFrame, language: str) -> bytes:
    return xlsx_bytes(checklist_sheets(table, language))
