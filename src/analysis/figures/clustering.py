"""Figures and display tables of a clustering: dendrogram, cluster-profile heatmap,
correspondence map, criteria per k. Labels come from the frame; clusters are coloured with
a fixed colour-blind-safe palette (clusters are results, not frame entries)."""

from __future__ import annotations

from functools import partial

import numpy as np
import pandas as pd

from .. import config, lazy
from ..clustering import Clustering, case_linkage
from ..frame import Frame, load_frame
from . import bilingual, heatmap, nothing_to_draw, setup, wrap

matplotlib = lazy.module("matplotlib")
plt = lazy.module("matplotlib.pyplot")
sns = lazy.module("seaborn")
adjusttext = lazy.module("adjustText")
hierarchy = lazy.module("scipy.cluster.hierarchy")

_TITLES = {
    "dendrogram": (
        "案例階層分群（{metric}，{linkage} 連結）",
        "Hierarchical clustering of cases ({metric}, {linkage} linkage)",
    ),
    "distance": ("距離", "Distance"),
    "profiles": ("各群風險盛行率", "Risk prevalence by cluster"),
    "map": ("案例對應分析圖（依群著色）", "Correspondence map of cases (coloured by cluster)"),
    "axis": ("第 {i} 軸（{share:.0%}）", "Axis {i} ({share:.0%})"),
    "cluster": ("群", "Cluster"),
    "criteria": ("分群數選擇準則", "Criteria for the number of clusters"),
    "k": ("群數 k", "Number of clusters k"),
    "profile_leaf": ("相同風險輪廓（編號，案例數）", "Identical risk profile (number, cases)"),
    "no_cases": ("沒有可分群的案例。", "There are no cases to cluster."),
    "no_criteria": ("沒有可比較的分群數。", "No number of clusters to compare."),
}


_t = partial(bilingual, _TITLES)


def cluster_colours(k: int) -> list[str]:
    """k colours, one per cluster number 1..k (seaborn's colour-blind palette, repeated if
    needed)."""
    return sns.color_palette("colorblind", max(k, 1)).as_hex()[:k]


def dendrogram(
    result: Clustering,
    language: str = config.DEFAULT_LANGUAGE,
    title: str | None = None,
    max_leaves: int = 60,
) -> matplotlib.figure.Figure:
    """Dendrogram of a hierarchical clustering with one leaf per case (case names), branches
    coloured by the k clusters cut. Inventories with more than ``max_leaves`` cases show the
    distinct profiles instead (leaf label = profile number and case count)."""
    setup()
    opt = result.options
    if result.n_cases <= max_leaves:
        z = case_linkage(result)
        leaves = result.design.cases["name"].astype(str).tolist()
    else:
        z = result.linkage
        leaves = [f"#{i + 1} (n={c})" for i, c in enumerate(result.profiles.counts)]
    n = len(z) + 1
    k = result.k
    heights = z[:, 2]
    threshold = (
        (heights[n - k - 1] + heights[n - k]) / 2
        if 1 < k < n
        else (heights.max() + 1 if k == 1 else 0)
    )
    colours = cluster_colours(k)
    # colour each leaf's branches by its cluster number (labels are ordered by size)
    leaf_cluster = result.labels if result.n_cases <= max_leaves else result.profile_labels + 1
    link_colour = {}
    members = {i: {int(leaf_cluster[i])} for i in range(n)}
    for step, (a, b, h, _) in enumerate(z):
        joined = members[int(a)] | members[int(b)]
        members[n + step] = joined
        link_colour[n + step] = (
            colours[next(iter(joined)) - 1] if len(joined) == 1 and h <= threshold else "#777777"
        )
    fig, ax = plt.subplots(figsize=(7.5, max(3.0, 0.32 * n + 1.2)))
    hierarchy.dendrogram(
        z,
        labels=leaves,
        orientation="right",
        ax=ax,
        link_color_func=lambda i: link_colour[i],
        color_threshold=threshold,
    )
    if 1 < k < n:
        ax.axvline(threshold, color="#999999", linestyle="--", linewidth=0.8)
    ax.set_xlabel(_t("distance", language))
    by_case = result.n_cases <= max_leaves
    ax.set_ylabel(
        load_frame().heading("name", language) if by_case else _t("profile_leaf", language)
    )
    ax.set_title(title or _t("dendrogram", language, metric=opt.metric, linkage=opt.linkage))
    sns.despine(ax=ax, left=True)
    fig.tight_layout()
    return fig


def profile_heatmap(
    profiles: pd.DataFrame,
    frame: Frame | None = None,
    language: str = config.DEFAULT_LANGUAGE,
    title: str | None = None,
) -> matplotlib.figure.Figure:
    """Clusters (rows, by name) × flags (columns, frame order): share ticked among the
    cluster's reporting cases, from :func:`analysis.clustering.cluster_profiles`."""
    frame = frame or load_frame()
    flags = frame.flag_keys
    share = profiles[[f"prevalence_{f}" for f in flags]].astype(float)
    share.index = [f"{lbl} (n={n})" for lbl, n in zip(profiles["label"], profiles["cases"])]
    share.columns = [frame.label("flag", f, language) for f in flags]
    annot = share.map(lambda v: "" if np.isnan(v) else f"{v:.0%}")
    return heatmap(
        share,
        title or _t("profiles", language),
        cmap="Reds",
        vmin=0,
        vmax=1,
        annot=annot,
        row_colours=cluster_colours(len(profiles)),
        xlabel=frame.heading("flag", language),
        ylabel=_t("cluster", language),
        cbar_label=frame.heading("prevalence", language),
    )


def mca_scatter(
    coordinates: pd.DataFrame,
    language: str = config.DEFAULT_LANGUAGE,
    title: str | None = None,
    label_points: int = 30,
) -> matplotlib.figure.Figure:
    """Cases on the first two correspondence axes, coloured by cluster (from
    :func:`analysis.clustering.mca_map`); small inventories get case names beside points,
    moved apart (adjustText, a fixed number of iterations) so that no two overlap.
    Coincident cases are drawn once, sized by their count."""
    setup()
    title = title or _t("map", language)
    if coordinates.empty:
        return nothing_to_draw(_t("no_cases", language), title)
    k = int(coordinates["cluster"].max())
    colours = cluster_colours(k)
    fig, ax = plt.subplots(figsize=(7.5, 6.0))
    grouped = (
        coordinates.groupby(["cluster", "dim_1", "dim_2"], sort=True)
        .agg(count=("case_id", "size"), names=("name", lambda s: sorted(s.astype(str))))
        .reset_index()
    )
    for c in range(1, k + 1):
        sub = grouped[grouped["cluster"] == c]
        ax.scatter(
            sub["dim_1"],
            sub["dim_2"],
            s=20 + 30 * np.sqrt(sub["count"]),
            color=colours[c - 1],
            alpha=0.75,
            label=f"{_t('cluster', language)} {c}",
            edgecolor="white",
            linewidth=0.5,
        )
    ax.axhline(0, color="#cccccc", linewidth=0.6)
    ax.axvline(0, color="#cccccc", linewidth=0.6)
    ax.set_xlabel(_t("axis", language, i=1, share=float(coordinates["inertia_1"].iloc[0])))
    ax.set_ylabel(_t("axis", language, i=2, share=float(coordinates["inertia_2"].iloc[0])))
    ax.set_title(title)
    ax.legend(frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    sns.despine(ax=ax)
    if len(coordinates) <= label_points:
        _label_points(ax, grouped)
    fig.tight_layout()
    return fig


def _names_label(names: list[str], width: int = 30) -> str:
    """Case names of one point, each wrapped; several names get a bullet each."""
    if len(names) == 1:
        return "\n".join(wrap(names[0], width))
    lines = []
    for name in names:
        first, *rest = wrap(name, width)
        lines += ["· " + first] + ["  " + line for line in rest]
    return "\n".join(lines)


def _label_points(ax: matplotlib.axes.Axes, grouped: pd.DataFrame) -> None:
    """Case names beside their points (long names wrapped), moved apart by adjustText with
    a fixed iteration budget, so the result does not depend on the machine's speed."""
    x, y = grouped["dim_1"].to_numpy(dtype=float), grouped["dim_2"].to_numpy(dtype=float)
    pad_x = 0.08 * (x.max() - x.min() or 1.0)
    pad_y = 0.08 * (y.max() - y.min() or 1.0)
    ax.set_xlim(x.min() - pad_x, x.max() + pad_x)
    ax.set_ylim(y.min() - pad_y, y.max() + pad_y)
    texts = [
        ax.text(
            px,
            py,
            _names_label(names),
            fontsize=7,
            linespacing=1.1,
            multialignment="left",
        )
        for px, py, names in zip(x, y, grouped["names"])
    ]
    ax.figure.canvas.draw()
    adjusttext.adjust_text(
        texts,
        x=x,
        y=y,
        ax=ax,
        iter_lim=400,
        time_lim=None,
        expand=(1.1, 1.25),
        ensure_inside_axes=False,
        arrowprops={"arrowstyle": "-", "color": "#999999", "lw": 0.5},
    )


def criteria_plot(
    table: pd.DataFrame,
    language: str = config.DEFAULT_LANGUAGE,
    title: str | None = None,
    frame: Frame | None = None,
) -> matplotlib.figure.Figure:
    """Each criterion of :func:`analysis.clustering.select_k` against k (one panel each,
    named by its frame heading), the chosen k marked."""
    setup()
    frame = frame or load_frame()
    criteria = [
        c for c in ("silhouette", "cost", "bic", "aic", "relative_entropy") if c in table.columns
    ]
    if table.empty or not criteria:
        return nothing_to_draw(_t("no_criteria", language), title or _t("criteria", language))
    fig, axes = plt.subplots(1, len(criteria), figsize=(3.0 * len(criteria), 2.8), squeeze=False)
    chosen = int(table.loc[table["chosen"], "k"].iloc[0])
    for ax, crit in zip(axes[0], criteria):
        name = frame.heading(crit, language) if crit in frame.headings else crit
        ax.plot(table["k"], table[crit].astype(float), marker="o", color="#0072B2")
        ax.axvline(chosen, color="#D55E00", linestyle="--", linewidth=0.8)
        ax.set_title(name, fontsize=10)
        ax.set_xlabel(_t("k", language))
        ax.set_ylabel(name)
        ax.set_xticks(table["k"].tolist())
        sns.despine(ax=ax)
    fig.suptitle(title or _t("criteria", language))
    fig.tight_layout()
    return fig


def profile_table(
    profiles: pd.DataFrame, frame: Frame | None = None, language: str = config.DEFAULT_LANGUAGE
) -> pd.DataFrame:
    """The cluster-profile table for display: frame labels and headings in ``language``,
    prevalences as percentages."""
    frame = frame or load_frame()
    heading = lambda key: frame.heading(key, language)  # noqa: E731
    out = pd.DataFrame(
        {
            _t("cluster", language): profiles["label"],
            heading("cases"): profiles["cases"],
            heading("share"): profiles["share"].map(lambda v: f"{v:.0%}"),
        }
    )
    for f in frame.flag_keys:
        out[frame.label("flag", f, language)] = profiles[f"prevalence_{f}"].map(
            lambda v: "" if pd.isna(v) else f"{v:.0%}"
        )
    out[heading("category")] = profiles["category"].map(
        lambda k: heading("not_coded") if pd.isna(k) else frame.label("category", k, language)
    )
    sep = ", " if language == "en" else "、"
    out[heading("techniques")] = profiles["techniques"].map(
        lambda s: (
            ""
            if pd.isna(s)
            else sep.join(frame.label("technique", t, language) for t in str(s).split(";"))
        )
    )
    out[heading("name")] = profiles["exemplars"]
    return out


def crosstab_table(
    table: pd.DataFrame,
    by: str = "category",
    frame: Frame | None = None,
    language: str = config.DEFAULT_LANGUAGE,
) -> pd.DataFrame:
    """Clusters (rows) × categories or techniques (columns, frame labels) of case counts,
    from :func:`analysis.clustering.crosstab`."""
    frame = frame or load_frame()
    clusters = sorted(table["cluster"].unique())
    wide = pd.DataFrame(index=pd.Index(clusters, name=_t("cluster", language)))
    for key in dict.fromkeys(table[by].tolist()):
        rows = table[table[by].isna()] if pd.isna(key) else table[table[by] == key]
        label = (
            frame.heading("not_coded", language) if pd.isna(key) else frame.label(by, key, language)
        )
        wide[label] = rows.set_index("cluster")["cases"].reindex(clusters, fill_value=0).to_numpy()
    return wide.astype(int)
