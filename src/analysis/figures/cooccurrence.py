"""Figures of risk-flag co-occurrence: heatmaps, an UpSet plot, a flag network and a forest
plot of odds ratios. Each takes a result table of :mod:`analysis.cooccurrence` or
:mod:`analysis.stats` (frame keys) and draws it with the frame's labels, order and colours
in the chosen language. Save with :func:`analysis.figures.save`."""

from __future__ import annotations

from functools import partial

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .. import config
from ..cooccurrence import matrix, stratum_column
from ..frame import Frame, load_frame
from . import bilingual, heatmap, setup

_TITLES = {
    "count": ("風險共現次數", "Risk co-occurrence (cases)"),
    "jaccard": ("風險共現 Jaccard 係數", "Risk co-occurrence (Jaccard)"),
    "p_b_given_a": ("條件機率 P(欄｜列)", "Conditional probability P(column | row)"),
    "lift": ("風險共現提升度（lift）", "Risk co-occurrence (lift)"),
    "phi": ("風險共現 φ 係數", "Risk co-occurrence (φ)"),
    "prevalence": (
        "{by}別風險勾選比例（勾選數／案例數）",
        "Risk prevalence by {by} (ticked / cases)",
    ),
    "upset": ("風險組合（UpSet）", "Risk combinations (UpSet)"),
    "network": ("風險共現網絡（線寬 ∝ Jaccard）", "Risk co-occurrence network (width ∝ Jaccard)"),
    "forest": ("勝算比（95% 信賴區間）", "Odds ratios (95% CI)"),
    "cases": ("案例數", "Cases"),
    "set_size": ("勾選數", "Ticked"),
    "not_estimable": ("無法估計", "not estimable"),
}


_t = partial(bilingual, _TITLES)


def _stratum_label(frame: Frame, col: str | None, key: object, language: str) -> str:
    if pd.isna(key):
        return frame.heading("not_coded", language)
    kind = {
        "category": "category",
        "application_type": "application_type",
        "technique": "technique",
    }.get(col or "")
    return frame.label(kind, key, language) if kind else str(key)


def _by_label(frame: Frame, col: str, language: str) -> str:
    return frame.heading(col, language) if col in frame.headings else col


def pair_heatmap(
    pairs_table: pd.DataFrame,
    measure: str = "jaccard",
    stratum: object = None,
    frame: Frame | None = None,
    language: str = config.DEFAULT_LANGUAGE,
    title: str | None = None,
) -> plt.Figure:
    """Annotated flag × flag heatmap of one measure (rows a, columns b) of a pairs table."""
    frame = frame or load_frame()
    wide = matrix(pairs_table, measure, stratum, frame)
    labels = [frame.label("flag", f, language) for f in wide.index]
    shown = wide.copy()
    shown.index, shown.columns = labels, labels
    bounded = measure in ("jaccard", "p_b_given_a")
    vmin, vmax = (0, 1) if bounded else ((-1, 1) if measure == "phi" else (None, None))
    cmap = "RdBu_r" if measure == "phi" else ("Blues" if measure != "lift" else "PuOr_r")
    annot = shown.map(
        lambda v: "" if pd.isna(v) else (f"{int(v)}" if measure == "count" else f"{v:.2f}")
    )
    fig = heatmap(
        shown, title or _t(measure, language), cmap=cmap, vmin=vmin, vmax=vmax, annot=annot
    )
    return fig


def stratum_heatmap(
    flag_table: pd.DataFrame,
    frame: Frame | None = None,
    language: str = config.DEFAULT_LANGUAGE,
    title: str | None = None,
) -> plt.Figure:
    """Stratum × flag prevalence heatmap (e.g. category × flag, technique × flag) of a
    :func:`analysis.cooccurrence.flag_table`; cells show yes / n, colour the prevalence."""
    frame = frame or load_frame()
    col = [
        c
        for c in flag_table.columns
        if c
        not in (
            "flag",
            "cases",
            "yes",
            "no",
            "n",
            "prevalence",
            "not_reported",
            "not_reported_share",
            "ci_low",
            "ci_high",
        )
    ][0]
    keys = list(dict.fromkeys(flag_table[col].tolist()))
    flags = [f for f in frame.flag_keys if f in set(flag_table["flag"])]
    key_str = flag_table[col].astype("string").fillna("\x00")
    table = flag_table.assign(_key=key_str)
    order = [("\x00" if pd.isna(k) else k) for k in keys]
    share = table.pivot(index="_key", columns="flag", values="prevalence").reindex(
        index=order, columns=flags
    )
    yes = table.pivot(index="_key", columns="flag", values="yes").reindex(
        index=order, columns=flags
    )
    n = table.pivot(index="_key", columns="flag", values="n").reindex(index=order, columns=flags)
    annot = yes.astype(int).astype(str) + "/" + n.astype(int).astype(str)
    rows = [_stratum_label(frame, col, k, language) for k in keys]
    share.index = annot.index = rows
    share.columns = annot.columns = [frame.label("flag", f, language) for f in flags]
    colours = None
    if col == "category":
        colours = [
            frame.colours("category").get(k, "#000000") if not pd.isna(k) else "#000000"
            for k in keys
        ]
    return heatmap(
        share,
        title or _t("prevalence", language, by=_by_label(frame, col, language)),
        cmap="Reds",
        vmin=0,
        vmax=1,
        annot=annot,
        row_colours=colours,
    )


def upset(
    combinations_table: pd.DataFrame,
    frame: Frame | None = None,
    language: str = config.DEFAULT_LANGUAGE,
    max_combinations: int = 20,
    title: str | None = None,
) -> plt.Figure:
    """UpSet plot of exact flag combinations (an unstratified
    :func:`analysis.cooccurrence.combinations` table): bars of combination counts above a
    dot matrix of the flags ticked, set sizes (ticks over all combinations, not only the
    ``max_combinations`` shown) to the left. Not-reported flags show as a hollow dot."""
    setup()
    frame = frame or load_frame()
    flags = [f for f in frame.flag_keys if f in combinations_table.columns]
    top = combinations_table.head(max_combinations).reset_index(drop=True)
    k = len(top)
    fig = plt.figure(figsize=(max(6.5, 0.42 * k + 4.5), 5.0))
    grid = fig.add_gridspec(
        2,
        3,
        width_ratios=[1.2, 1.4, max(k, 1) * 0.42],
        height_ratios=[2.2, 0.32 * len(flags) + 0.4],
        wspace=0.02,
        hspace=0.05,
    )
    bars = fig.add_subplot(grid[0, 2])
    dots = fig.add_subplot(grid[1, 2], sharex=bars)
    sizes = fig.add_subplot(grid[1, 0], sharey=dots)
    names = fig.add_subplot(grid[1, 1], sharey=dots)
    x = np.arange(k)
    bars.bar(x, top["count"].to_numpy(dtype=float), color="#444444", width=0.6)
    for xi, v in zip(x, top["count"]):
        bars.text(xi, float(v), f"{int(v)}", ha="center", va="bottom", fontsize=8)
    bars.set_ylabel(_t("cases", language))
    bars.tick_params(axis="x", bottom=False, labelbottom=False)
    for side in ("top", "right"):
        bars.spines[side].set_visible(False)
    y = np.arange(len(flags))
    colours = frame.colours("flag")
    for j, f in enumerate(flags):
        state = top[f]
        yes = state.fillna(False).to_numpy(dtype=bool)
        na = state.isna().to_numpy()
        dots.scatter(x[~yes & ~na], np.full((~yes & ~na).sum(), j), s=40, color="#dddddd", zorder=2)
        dots.scatter(
            x[na], np.full(na.sum(), j), s=40, facecolors="none", edgecolors="#888888", zorder=2
        )
        dots.scatter(x[yes], np.full(yes.sum(), j), s=50, color=colours.get(f, "#222222"), zorder=3)
    for xi, row in zip(x, top[flags].fillna(False).to_numpy(dtype=bool)):
        hit = np.flatnonzero(row)
        if len(hit) > 1:
            dots.plot([xi, xi], [hit.min(), hit.max()], color="#444444", lw=1.5, zorder=1)
    dots.tick_params(axis="y", left=False, labelleft=False)
    dots.tick_params(axis="x", bottom=False, labelbottom=False)
    dots.set_ylim(len(flags) - 0.5, -0.5)
    for side in dots.spines.values():
        side.set_visible(False)
    every = combinations_table
    total = np.array(
        [every.loc[every[f].fillna(False).to_numpy(dtype=bool), "count"].sum() for f in flags],
        dtype=float,
    )
    sizes.barh(y, total, color=[colours.get(f, "#222222") for f in flags], height=0.6)
    sizes.invert_xaxis()
    sizes.tick_params(axis="y", left=False, labelleft=False)
    names.axis("off")
    names.set_xlim(0, 1)
    for j, f in enumerate(flags):
        names.text(0.5, j, frame.label("flag", f, language), ha="center", va="center", fontsize=9)
    sizes.set_xlabel(_t("set_size", language))
    for side in ("top", "left"):
        sizes.spines[side].set_visible(False)
    fig.suptitle(title or _t("upset", language))
    return fig


def network(
    pairs_table: pd.DataFrame,
    frame: Frame | None = None,
    language: str = config.DEFAULT_LANGUAGE,
    min_jaccard: float = 0.0,
    max_width: float = 8.0,
    title: str | None = None,
) -> plt.Figure:
    """Co-occurrence network of the flags (unstratified pairs table): nodes on a circle in
    frame order, node area ∝ flag count, edge width ∝ Jaccard (edges above ``min_jaccard``)."""
    setup()
    frame = frame or load_frame()
    jac = matrix(pairs_table, "jaccard", frame=frame)
    cnt = matrix(pairs_table, "count", frame=frame)
    flags = list(jac.index)
    angle = np.pi / 2 - 2 * np.pi * np.arange(len(flags)) / max(len(flags), 1)
    pos = np.column_stack([np.cos(angle), np.sin(angle)])
    fig, ax = plt.subplots(figsize=(6.0, 6.0))
    a_idx, b_idx = np.triu_indices(len(flags), k=1)
    for a, b in zip(a_idx, b_idx):
        w = jac.iat[a, b]
        if pd.isna(w) or w <= min_jaccard:
            continue
        ax.plot(
            pos[[a, b], 0],
            pos[[a, b], 1],
            color="#777777",
            lw=float(w) * max_width,
            alpha=0.6,
            zorder=1,
            solid_capstyle="round",
            gid=f"edge:{flags[a]}:{flags[b]}",
        )
    counts = np.array([cnt.iat[i, i] for i in range(len(flags))], dtype=float)
    area = 300 + 1500 * counts / counts.max() if counts.max() > 0 else np.full(len(flags), 300.0)
    colours = frame.colours("flag")
    ax.scatter(
        pos[:, 0],
        pos[:, 1],
        s=area,
        color=[colours.get(f, "#222222") for f in flags],
        zorder=2,
        edgecolors="white",
        linewidths=1.5,
    )
    for (px, py), f, c in zip(pos, flags, counts):
        ax.annotate(
            f"{frame.label('flag', f, language)}\n({int(c)})",
            (px, py),
            xytext=(px * 1.45, py * 1.32),
            ha="center",
            va="center",
            fontsize=9,
        )
    ax.set_xlim(-1.9, 1.9)
    ax.set_ylim(-1.65, 1.65)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(title or _t("network", language))
    return fig


def forest(
    odds_ratios: pd.DataFrame,
    flag: str | None = None,
    frame: Frame | None = None,
    language: str = config.DEFAULT_LANGUAGE,
    title: str | None = None,
) -> plt.Figure:
    """Forest plot of odds ratios (rows of :func:`analysis.stats.logistic`, optionally one
    flag): point and 95% interval on a log scale, not-estimable terms listed as such (a
    term no case reports is left to the table)."""
    setup()
    frame = frame or load_frame()
    table = odds_ratios if flag is None else odds_ratios[odds_ratios["flag"] == flag]
    # rows for a term left out of every model (no case reports it) have no level to plot;
    # the odds-ratio table keeps them with the reason
    table = table[table["level"].notna()].reset_index(drop=True)
    kinds = {
        "category": "category",
        "technique": "technique",
        "application_type": "application_type",
    }

    def label(row) -> str:
        level = (
            frame.label(kinds[row.term], row.level, language)
            if row.term in kinds
            else str(row.level)
        )
        head = (
            ""
            if flag is not None
            else frame.label("flag", row.flag, language)
            + "：" * (language != "en")
            + ": " * (language == "en")
        )
        return head + level

    labels = [label(r) for r in table.itertuples()]
    fig, ax = plt.subplots(figsize=(7.0, max(2.5, 0.32 * len(table) + 1.2)))
    y = np.arange(len(table))
    ok = table["estimable"].to_numpy(dtype=bool)
    ors = table["odds_ratio"].to_numpy(dtype=float)
    lo, hi = table["ci_low"].to_numpy(dtype=float), table["ci_high"].to_numpy(dtype=float)
    palette = frame.colours("flag")
    colour = [palette.get(f, "#333333") for f in table["flag"][ok]]
    ax.hlines(y[ok], lo[ok], hi[ok], colors=colour, lw=1.5)
    ax.scatter(ors[ok], y[ok], color=colour, zorder=3, s=25)
    ax.axvline(1.0, color="#999999", lw=0.8, ls="--")
    ax.set_xscale("log")
    for yi in y[~ok]:
        ax.text(
            1.0, yi, f" {_t('not_estimable', language)}", va="center", fontsize=8, color="#888888"
        )
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    ax.set_xlabel("OR")
    ax.set_title(
        title
        or _t("forest", language)
        + ("" if flag is None else f" – {frame.label('flag', flag, language)}")
    )
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.tight_layout()
    return fig


__all__ = ["pair_heatmap", "stratum_heatmap", "upset", "network", "forest", "stratum_column"]
