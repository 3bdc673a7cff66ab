"""Figures: one place for fonts, style and deterministic saving.

Traditional Chinese needs a CJK font; the suite registers Noto Sans TC (shipped by the
PyPI package ``pylopdf-fonts-zh-tw``) with matplotlib here and nowhere else. Figures are
saved as PNG and SVG with fixed metadata and a fixed SVG hash salt, so reruns give
identical bytes.
"""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib import font_manager

from .. import config
from ..frame import Frame, load_frame
from ..outputs import atomic_write_bytes


@lru_cache(maxsize=1)
def font_path() -> Path:
    """Path of the bundled Noto Sans TC font file."""
    import pylopdf_fonts_zh_tw

    return Path(pylopdf_fonts_zh_tw.sans_path())


@lru_cache(maxsize=1)
def setup() -> str:
    """Register the CJK font and the suite's style; returns the font family name."""
    path = font_path()
    font_manager.fontManager.addfont(str(path))
    family = font_manager.FontProperties(fname=str(path)).get_name()
    sns.set_theme(style="white", context="notebook")
    matplotlib.rcParams.update(
        {
            "font.family": "sans-serif",
            "font.sans-serif": [family, "DejaVu Sans"],
            "axes.unicode_minus": False,
            "svg.hashsalt": config.SVG_HASHSALT,
            "svg.fonttype": "path",
            "figure.dpi": 100,
            "savefig.dpi": config.FIGURE_DPI,
            "savefig.bbox": "tight",
            "path.simplify": True,
        }
    )
    return family


def bilingual(titles: dict[str, tuple[str, str]], key: str, language: str, **fmt) -> str:
    """Pick the zh-TW or English text of ``titles[key]`` (a ``(zh, en)`` pair) and fill in
    ``fmt``: the one helper for figure titles and axis texts in every figure module."""
    zh, en = titles[key]
    return (en if language == "en" else zh).format(**fmt)


def save(fig: matplotlib.figure.Figure, name: str, folder: Path | None = None) -> list[Path]:
    """Save ``fig`` as ``<name>.png`` and ``<name>.svg`` with fixed metadata."""
    folder = folder or config.figures_dir()
    paths = []
    for fmt, meta in (("png", {"Software": None}), ("svg", {"Date": None, "Creator": None})):
        buf = io.BytesIO()
        fig.savefig(buf, format=fmt, metadata=meta)
        paths.append(atomic_write_bytes(folder / f"{name}.{fmt}", buf.getvalue()))
    return paths


def publish(fig: matplotlib.figure.Figure, name: str, folder: Path | None = None):
    """Save ``fig`` (PNG + SVG), close it, and return the PNG for display in a notebook.

    Displaying the saved PNG (rather than the live figure) makes a notebook show exactly
    the file a reader finds under ``figures/``, whatever matplotlib backend the kernel has.
    """
    from IPython.display import Image

    paths = save(fig, name, folder)
    close(fig)
    return Image(data=paths[0].read_bytes(), format="png")


def heatmap(
    table: pd.DataFrame,
    title: str,
    fmt: str = "d",
    cmap: str = "Blues",
    vmin: float | None = None,
    vmax: float | None = None,
    annot: pd.DataFrame | None = None,
    xlabel: str = "",
    ylabel: str = "",
    row_colours: list[str] | None = None,
) -> matplotlib.figure.Figure:
    """An annotated heatmap of a labelled table (rows and columns already in display order)."""
    setup()
    height = max(2.5, 0.55 * len(table) + 1.6)
    width = max(5.0, 0.9 * len(table.columns) + 2.5)
    fig, ax = plt.subplots(figsize=(width, height))
    data = table.astype(float)
    sns.heatmap(
        data,
        annot=annot if annot is not None else True,
        fmt=fmt if annot is None else "",
        cmap=cmap,
        vmin=vmin,
        vmax=vmax,
        linewidths=0.5,
        linecolor="white",
        cbar=True,
        ax=ax,
        annot_kws={"fontsize": 9},
    )
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.tick_params(axis="x", rotation=30)
    ax.tick_params(axis="y", rotation=0)
    for lbl in ax.get_xticklabels():
        lbl.set_horizontalalignment("right")
    if row_colours:
        for lbl, colour in zip(ax.get_yticklabels(), row_colours):
            lbl.set_color(colour)
    fig.tight_layout()
    return fig


def category_flag_heatmap(
    counts: pd.DataFrame,
    frame: Frame | None = None,
    language: str = config.DEFAULT_LANGUAGE,
    title: str | None = None,
) -> matplotlib.figure.Figure:
    """Ticks per category (rows) and flag (columns) from a tidy count table with columns
    ``category``, ``flag``, ``yes``, ``n``; cells show ``yes/n``, colour the share."""
    frame = frame or load_frame()
    cats = [c for c in frame.category_keys if c in set(counts["category"])]
    flags = frame.flag_keys
    yes = counts.pivot(index="category", columns="flag", values="yes").reindex(
        index=cats, columns=flags
    )
    n = counts.pivot(index="category", columns="flag", values="n").reindex(
        index=cats, columns=flags
    )
    share = (yes / n.replace(0, np.nan)).fillna(0.0)
    annot = yes.fillna(0).astype(int).astype(str) + "/" + n.fillna(0).astype(int).astype(str)
    share.index = [frame.label("category", c, language) for c in cats]
    share.columns = [frame.label("flag", f, language) for f in flags]
    annot.index, annot.columns = share.index, share.columns
    default = (
        "各類別風險勾選（勾選數／案例數）"
        if language != "en"
        else "Risk ticks by category (ticked / cases)"
    )
    colours = [frame.entry("category", c).colour for c in cats]
    return heatmap(
        share, title or default, cmap="Reds", vmin=0, vmax=1, annot=annot, row_colours=colours
    )


def count_bars(
    table: pd.DataFrame,
    label_col: str,
    value_col: str,
    colours: list[str],
    title: str,
    xlabel: str = "",
) -> matplotlib.figure.Figure:
    """Horizontal bars, one per row of ``table`` in its order, coloured as given."""
    setup()
    fig, ax = plt.subplots(figsize=(6.0, max(2.0, 0.45 * len(table) + 1.0)))
    y = np.arange(len(table))
    ax.barh(y, table[value_col].to_numpy(dtype=float), color=colours)
    ax.set_yticks(y, table[label_col].tolist())
    ax.invert_yaxis()
    for yi, v in zip(y, table[value_col]):
        ax.text(float(v), yi, f" {int(v)}", va="center", fontsize=9)
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    sns.despine(ax=ax)
    fig.tight_layout()
    return fig


def close(fig: matplotlib.figure.Figure) -> None:
    plt.close(fig)
