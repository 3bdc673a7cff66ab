"""Figures: one place for fonts, style and deterministic saving.

Traditional Chinese needs a CJK font; the suite registers Noto Sans TC (shipped by the
PyPI package ``pylopdf-fonts-zh-tw``) with matplotlib here and nowhere else. Figures are
saved as PNG (``config.FIGURE_DPI``) and SVG with fixed metadata and a fixed SVG hash salt,
so reruns give identical bytes. A figure that draws no data is refused when saved, unless
it is made by :func:`empty`, which states why there is nothing to show.
"""

from __future__ import annotations

import io
import re
import struct
import unicodedata
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from .. import cache, config, lazy, timings
from ..errors import AnalysisError
from ..fonts import font_path
from ..frame import Frame, load_frame
from ..outputs import atomic_write_bytes
from ..tables import check_output_name

matplotlib = lazy.module("matplotlib")
mcollections = lazy.module("matplotlib.collections")
mtransforms = lazy.module("matplotlib.transforms")
font_manager = lazy.module("matplotlib.font_manager")
plt = lazy.module("matplotlib.pyplot")
sns = lazy.module("seaborn")

#: ``gid`` of a figure made by :func:`empty`: saved although it draws no data.
EMPTY_GID = "stated-empty"
#: Punctuation that stays on the line before it when text is wrapped.
_CLOSING = "，。、；：）」』！？,.;:)"
#: Pixels per inch of a figure as displayed in a report (matplotlib's ``figure.dpi``).
DISPLAY_DPI = 100


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


def nothing_to_draw(reason: str, title: str = "") -> matplotlib.figure.Figure:
    """A small figure whose only content is ``reason`` (why there is nothing to draw, in
    the report's language) under an optional ``title``; :func:`save` accepts it."""
    setup()
    lines = wrap(reason, 60)
    fig = plt.figure(figsize=(6.0, 0.6 + 0.25 * len(lines) + 0.35 * bool(title)))
    fig.set_gid(EMPTY_GID)
    if title:
        fig.suptitle(title)
    fig.text(0.5, 0.45, "\n".join(lines), ha="center", va="center", fontsize=10, color="#444444")
    return fig


def has_data(ax: matplotlib.axes.Axes) -> bool:
    """True if ``ax`` draws data: a line, marker, bar, patch, mesh or image placed in data
    coordinates. Reference lines (``axvline``), texts, ticks and spines do not count."""
    data = ax.transData

    def placed(transform) -> bool:
        return transform.contains_branch(data)

    for line in ax.lines:
        x = np.asarray(line.get_xdata(), dtype=float)
        if placed(line.get_transform()) and np.isfinite(x).any():
            return True
    for coll in ax.collections:
        if isinstance(coll, mcollections.PathCollection):
            if placed(coll.get_offset_transform()) and len(coll.get_offsets()):
                return True
        elif isinstance(coll, mcollections.QuadMesh):
            if np.ma.count(coll.get_array()):
                return True
        elif placed(coll.get_transform()) and len(coll.get_paths()):
            return True
    return bool(ax.images) or any(placed(p.get_transform()) for p in ax.patches)


def check_drawn(fig: matplotlib.figure.Figure, name: str) -> None:
    """Raise :class:`AnalysisError` naming the figure if none of its axes draws data and it
    was not made by :func:`empty`."""
    if fig.get_gid() == EMPTY_GID or any(has_data(ax) for ax in fig.axes):
        return
    raise AnalysisError(
        f"figure {name!r} draws no data; make it with analysis.figures.nothing_to_draw(reason) "
        f"to say why there is nothing to show / 圖 {name!r} 沒有任何資料；請以 "
        "figures.nothing_to_draw(原因) 說明為何無內容"
    )


def wrap(text: str, width: int) -> list[str]:
    """Split ``text`` into lines of at most ``width`` columns (a CJK character counts two),
    breaking between words or between CJK characters, never inside a Latin word or number."""
    lines: list[str] = []
    for para in text.split("\n"):
        line, used = "", 0
        for token in re.findall(r"[「『（(]*(?:[\x21-\x7e\u00a0-\u2dff]+\s*|\s+|.)", para):
            cols = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in token)
            if line and used + cols > width and not _CLOSING.startswith(token[0]):
                lines.append(line.rstrip())
                line, used = "", 0
            line += token
            used += cols
        lines.append(line.rstrip())
    return lines


def footnote(fig: matplotlib.figure.Figure, lines: list[str], width: int = 100) -> None:
    """Write ``lines`` (already in the report's language) below the figure, wrapped to
    ``width`` columns; call it after the layout is final (the saved file's tight bounding
    box takes the note in)."""
    wrapped = [part for line in lines for part in wrap(line, width)]
    if not wrapped:
        return
    below = mtransforms.offset_copy(fig.transFigure, fig=fig, y=-6, units="points")
    fig.text(
        0.01,
        0.0,
        "\n".join(wrapped),
        ha="left",
        va="top",
        fontsize=8,
        color="#444444",
        transform=below,
    )


def png_width(png: bytes) -> int:
    """Pixel width of a PNG (from its header)."""
    return struct.unpack(">I", png[16:20])[0]


#: What a figure is saved as: format and the metadata fixed in it (no dates, no versions).
FORMATS = (("png", {"Software": None}), ("svg", {"Date": None, "Creator": None}))
#: The cache namespace of drawn figures (:func:`draw`): each entry holds a figure's files.
NAMESPACE = "figures"


def rendered(fig: matplotlib.figure.Figure, name: str) -> dict[str, bytes]:
    """The bytes of ``fig`` in each of :data:`FORMATS` (PNG at ``config.FIGURE_DPI``);
    raise :class:`AnalysisError` if it draws no data (see :func:`check_drawn`)."""
    check_drawn(fig, name)
    files = {}
    for fmt, meta in FORMATS:
        buf = io.BytesIO()
        fig.savefig(buf, format=fmt, metadata=meta)
        files[fmt] = buf.getvalue()
    return files


def alt_text(fig: matplotlib.figure.Figure) -> str:
    """What a reader who cannot see ``fig`` is told first: its title (the figure's own,
    else its axes' titles joined), one line."""
    titles = [fig._suptitle.get_text()] if fig._suptitle is not None else []
    titles = [t for t in titles if t.strip()] or [ax.get_title() for ax in fig.axes]
    return " · ".join(" ".join(t.split()) for t in titles if t.strip())


def _write(files: dict[str, bytes], name: str, folder: Path | None) -> list[Path]:
    folder = folder or config.figures_dir()
    return [atomic_write_bytes(folder / f"{name}.{fmt}", files[fmt]) for fmt, _ in FORMATS]


def save(fig: matplotlib.figure.Figure, name: str, folder: Path | None = None) -> list[Path]:
    """Save ``fig`` as ``<name>.png`` (``config.FIGURE_DPI``) and ``<name>.svg`` with fixed
    metadata; raise :class:`AnalysisError` if it draws no data (see :func:`check_drawn`) or
    ``name`` is not a plain file name (:func:`~analysis.tables.check_output_name`)."""
    check_output_name(name)
    return _write(rendered(fig, name), name, folder)


def _shown(png: bytes, alt: str):
    """A PNG for display in a notebook, as wide as its figure at :data:`DISPLAY_DPI`, with
    its alternative text (a report's ``<img alt>``)."""
    from IPython.display import Image

    width = round(png_width(png) * DISPLAY_DPI / config.FIGURE_DPI)
    return Image(data=png, format="png", width=width, alt=alt)


def publish(fig: matplotlib.figure.Figure, name: str, folder: Path | None = None):
    """Save ``fig`` (PNG + SVG), close it, and return the PNG for display in a notebook.

    Displaying the saved PNG (rather than the live figure) makes a notebook show exactly
    the file a reader finds under ``figures/``, whatever matplotlib backend the kernel has;
    its display width is its size at ``DISPLAY_DPI``, not its pixel width. :func:`draw`
    does the same without building a figure drawn before from the same inputs.
    """
    with timings.stage("figures"):
        try:
            paths = save(fig, name, folder)
            alt = alt_text(fig)
        finally:
            close(fig)
        return _shown(paths[0].read_bytes(), alt)


def draw(name: str, builder, *args, folder: Path | None = None, **kwargs):
    """Publish the figure ``builder(*args, **kwargs)`` as ``name`` (see :func:`publish`),
    unless this builder drew it before from inputs of the same content with the same code:
    then its stored files (:data:`NAMESPACE` in :mod:`analysis.cache`, keyed by the
    builder, the content of its arguments and the source its module can run) are written
    again and shown, and no figure is built or rendered. Bytes are the same either way
    (figures are saved deterministically). Arguments without a content digest, or the
    cache turned off, build the figure every time."""
    check_output_name(name)

    def build() -> dict:
        fig = builder(*args, **kwargs)
        try:
            return {**rendered(fig, name), "alt": alt_text(fig)}
        finally:
            close(fig)

    what = (
        f"{builder.__module__}.{builder.__qualname__}",
        list(args),
        dict(sorted(kwargs.items())),
    )
    with timings.stage("figures"):
        files = cache.remember(NAMESPACE, what, build, code=builder.__module__)
        _write(files, name, folder)
        return _shown(files["png"], files["alt"])


def png(builder, *args, **kwargs) -> bytes:
    """The PNG of the figure ``builder(*args, **kwargs)`` for display only (nothing written
    under ``figures/``; matplotlib's defaults, no metadata), built once per content of the
    arguments and code like :func:`draw`: a static view that every run shows again costs
    no plotting library."""

    def build() -> bytes:
        import io

        fig = builder(*args, **kwargs)
        try:
            buffer = io.BytesIO()
            fig.savefig(buffer, format="png", metadata={"Software": None})
            return buffer.getvalue()
        finally:
            close(fig)

    what = (
        "png",
        f"{builder.__module__}.{builder.__qualname__}",
        list(args),
        dict(sorted(kwargs.items())),
    )
    with timings.stage("figures"):
        return cache.remember(NAMESPACE, what, build, code=builder.__module__)


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
    cbar_label: str = "",
) -> matplotlib.figure.Figure:
    """An annotated heatmap of a labelled table (rows and columns already in display order);
    axis and colour-bar texts as given (in the report's language)."""
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
        cbar_kws={"label": cbar_label},
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
        share,
        title or default,
        cmap="Reds",
        vmin=0,
        vmax=1,
        annot=annot,
        row_colours=colours,
        xlabel=frame.heading("flag", language),
        ylabel=frame.heading("category", language),
        cbar_label=frame.heading("prevalence", language),
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
