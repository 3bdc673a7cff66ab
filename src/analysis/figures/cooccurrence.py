"""Figures of risk-flag co-occurrence: heatmaps, an UpSet plot, a flag network and a forest
plot of odds ratios. Each takes a result table of :mod:`analysis.cooccurrence` or
:mod:`analysis.stats` (frame keys) and draws it with the frame's labels, order and colours
in the chosen language. Save with :func:`analysis.figures.save`."""

from __future__ import annotations

from functools import partial

import numpy as np
import pandas as pd

from .. import config, lazy
from ..cooccurrence import PAIR_COLUMNS, matrix, stratum_column
from ..frame import Frame, load_frame
from . import bilingual, footnote, heatmap, nothing_to_draw, setup

plt = lazy.module("matplotlib.pyplot")

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
    "row_flag": ("風險（列）", "Risk (row)"),
    "column_flag": ("風險（欄）", "Risk (column)"),
    "combination": ("風險組合（依案例數排序）", "Risk combination (by cases)"),
    "or_axis": ("勝算比（對數尺度）", "Odds ratio (log scale)"),
    "reference": ("{term}（參照：{reference}）", "{term} (reference: {reference})"),
    "not_used": ("未使用", "not used"),
    "all_terms": ("全部 {n} 項", "all {n} terms"),
    "not_estimable_note": (
        "無法估計 {n} 項（原因見勝算比表）：{items}",
        "{n} terms not estimable (reasons in the odds-ratio table): {items}",
    ),
    "dropped_note": (
        "每項風險僅列信賴區間最窄的 {k} 項；另 {n} 項未列（見勝算比表）：{items}",
        "Each risk shows its {k} terms with the narrowest intervals; {n} more are in the "
        "odds-ratio table: {items}",
    ),
    "clipped_note": (
        "三角形：信賴區間超出顯示範圍 {lo:g}–{hi:g}",
        "Triangles: interval runs beyond the range shown, {lo:g}–{hi:g}",
    ),
    "more": ("等 {n} 項", "and {n} more"),
    "no_estimable": (
        "沒有可估計的勝算比：{n} 項皆無法估計（原因見勝算比表）。",
        "No odds ratio can be estimated: all {n} terms are not estimable (see the table).",
    ),
    "no_terms": ("沒有可估計的勝算比：迴歸未含任何項。", "No odds ratio: the model has no terms."),
    "no_pairs": ("沒有可計算的風險配對。", "No pair of risks can be computed."),
    "no_strata": (
        "沒有任何{by}層達到最小案例數，故無圖。",
        "No {by} stratum has enough cases to show.",
    ),
    "no_combinations": ("沒有任何案例報告風險組合。", "No case reports a combination of risks."),
}
_SEP = {"zh-TW": ("、", "；", "："), "en": (", ", "; ", ": ")}


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
    if wide.empty or wide.isna().all().all():
        return nothing_to_draw(_t("no_pairs", language), title or _t(measure, language))
    labels = [frame.label("flag", f, language) for f in wide.index]
    shown = wide.copy()
    shown.index, shown.columns = labels, labels
    bounded = measure in ("jaccard", "p_b_given_a")
    vmin, vmax = (0, 1) if bounded else ((-1, 1) if measure == "phi" else (None, None))
    cmap = "RdBu_r" if measure == "phi" else ("Blues" if measure != "lift" else "PuOr_r")
    annot = shown.map(
        lambda v: "" if pd.isna(v) else (f"{int(v)}" if measure == "count" else f"{v:.2f}")
    )
    if measure != "count":  # each cell says how many cases it rests on (pairwise: they differ)
        # P(column | row) rests on the cases with the row's risk ticked, the rest on the pair's
        used = "n_a" if measure == "p_b_given_a" else "n"
        table = pairs_table
        extra = [c for c in table.columns if c not in ("flag_a", "flag_b", *PAIR_COLUMNS)]
        if extra and stratum is not None:
            table = table[table[extra[0]] == stratum]
        n = table.drop_duplicates(["flag_a", "flag_b"]).pivot(
            index="flag_a", columns="flag_b", values=used
        )
        n = n.reindex(index=wide.index, columns=wide.columns).to_numpy()
        annot = pd.DataFrame(
            [
                [a if a == "" or pd.isna(k) else f"{a}\nn={int(k)}" for a, k in zip(row, ks)]
                for row, ks in zip(annot.to_numpy(), n)
            ],
            index=annot.index,
            columns=annot.columns,
        )
    flag = frame.heading("flag", language)
    return heatmap(
        shown,
        title or _t(measure, language),
        cmap=cmap,
        vmin=vmin,
        vmax=vmax,
        annot=annot,
        xlabel=_t("column_flag", language) if measure == "p_b_given_a" else flag,
        ylabel=_t("row_flag", language) if measure == "p_b_given_a" else flag,
        cbar_label=frame.heading(measure, language),
    )


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
    by = _by_label(frame, col, language)
    if flag_table.empty:
        return nothing_to_draw(
            _t("no_strata", language, by=by), title or _t("prevalence", language, by=by)
        )
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
        title or _t("prevalence", language, by=by),
        cmap="Reds",
        vmin=0,
        vmax=1,
        annot=annot,
        row_colours=colours,
        xlabel=frame.heading("flag", language),
        ylabel=by,
        cbar_label=frame.heading("prevalence", language),
    )


def _upset_dots(dots, top: pd.DataFrame, flags: list[str], colours: dict, xlabel: str) -> None:
    """The UpSet dot matrix: a filled dot per flag ticked, grey if not, hollow if not
    reported; ticked flags of one combination joined by a line."""
    x = np.arange(len(top))
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
    dots.set_xlabel(xlabel, fontsize=9)
    dots.set_ylim(len(flags) - 0.5, -0.5)
    for side in dots.spines.values():
        side.set_visible(False)


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
    title = title or _t("upset", language)
    if combinations_table.empty or not flags:
        return nothing_to_draw(_t("no_combinations", language), title)
    top = combinations_table.head(max_combinations).reset_index(drop=True)
    k = len(top)
    fig = plt.figure(figsize=(max(6.5, 0.42 * k + 4.5), 5.2))
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
    heights = top["count"].to_numpy(dtype=float)
    bars.bar(x, heights, color="#444444", width=0.6)
    for xi, v in zip(x, top["count"]):
        bars.text(xi, float(v), f"{int(v)}", ha="center", va="bottom", fontsize=7)
    bars.set_ylim(0, heights.max() * 1.15)
    bars.set_ylabel(_t("cases", language))
    bars.tick_params(axis="x", bottom=False, labelbottom=False)
    for side in ("top", "right"):
        bars.spines[side].set_visible(False)
    y = np.arange(len(flags))
    colours = frame.colours("flag")
    _upset_dots(dots, top, flags, colours, _t("combination", language))
    every = combinations_table
    total = np.array(
        [every.loc[every[f].fillna(False).to_numpy(dtype=bool), "count"].sum() for f in flags],
        dtype=float,
    )
    sizes.barh(y, total, color=[colours.get(f, "#222222") for f in flags], height=0.6)
    for yi, v in zip(y, total):
        sizes.text(v, yi, f"{int(v)} ", ha="right", va="center", fontsize=7)
    sizes.set_xlim(max(total.max(), 1.0) * 1.3, 0)
    sizes.tick_params(axis="y", left=False, labelleft=False)
    names.axis("off")
    names.set_xlim(0, 1)
    for j, f in enumerate(flags):
        names.text(0.5, j, frame.label("flag", f, language), ha="center", va="center", fontsize=9)
    sizes.set_xlabel(_t("set_size", language))
    for side in ("top", "left"):
        sizes.spines[side].set_visible(False)
    fig.suptitle(title)
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
    frame order, node area ∝ flag count, edge width ∝ Jaccard (edges above ``min_jaccard``).
    Each label sits outside its node, on the ray from the centre, clear of the node."""
    setup()
    frame = frame or load_frame()
    jac = matrix(pairs_table, "jaccard", frame=frame)
    cnt = matrix(pairs_table, "count", frame=frame)
    flags = list(jac.index)
    if not flags:
        return nothing_to_draw(_t("no_pairs", language), title or _t("network", language))
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
    counts = np.nan_to_num(counts)
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
    for (px, py), f, c, s_ in zip(pos, flags, counts, area):
        # marker area is in points²: offset the label by the node's radius plus a gap
        gap = np.sqrt(s_ / np.pi) + 4.0
        ax.annotate(
            f"{frame.label('flag', f, language)}\n({int(c)})",
            (px, py),
            xytext=(px * gap, py * gap),
            textcoords="offset points",
            ha="left" if px > 0.3 else ("right" if px < -0.3 else "center"),
            va="bottom" if py > 0.3 else ("top" if py < -0.3 else "center"),
            fontsize=9,
            linespacing=1.1,
        )
    ax.set_xlim(-1.6, 1.6)
    ax.set_ylim(-1.45, 1.45)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(title or _t("network", language), pad=12)
    return fig


def _level_label(frame: Frame, term: str, level: object, language: str) -> str:
    """Frame label of a term's level (a category, application type or technique key)."""
    if term in ("category", "application_type", "technique"):
        return frame.label(term, level, language)
    return str(level)


def _term_header(frame: Frame, term: str, reference: object, language: str) -> str:
    head = frame.heading(term, language) if term in frame.headings else term
    if pd.isna(reference):
        return head
    if term == "technique":
        ref = _t("not_used", language)
    else:
        ref = _level_label(frame, term, reference, language)
    return _t("reference", language, term=head, reference=ref)


def _listing(
    frame: Frame, rows: pd.DataFrame, totals: dict[str, int], language: str, limit: int = 12
) -> str:
    """``flag: level, level; flag: all n terms; …`` naming at most ``limit`` levels."""
    sep, group_sep, colon = _SEP["en" if language == "en" else "zh-TW"]
    items, named = [], 0
    for f in [f for f in frame.flag_keys if f in set(rows["flag"])]:
        sub = rows[rows["flag"] == f]
        name = frame.label("flag", f, language)
        if len(sub) > 1 and len(sub) == totals.get(f):
            items.append(name + colon + _t("all_terms", language, n=len(sub)))
            named += len(sub)
            continue
        levels = [_level_label(frame, r.term, r.level, language) for r in sub.itertuples()]
        levels = levels[: max(limit - named, 0)]
        if not levels:
            break
        items.append(name + colon + sep.join(levels))
        named += len(levels)
    text = group_sep.join(items)
    if named < len(rows):
        text += sep + _t("more", language, n=len(rows) - named)
    return text


def _forest_panels(
    estimable: pd.DataFrame, frame: Frame, max_terms: int
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """Per flag (frame order) the ``max_terms`` terms with the narrowest log intervals, in
    table order; and the estimable terms left out."""
    lo, hi = (np.log(estimable[c].to_numpy(dtype=float)) for c in ("ci_low", "ci_high"))
    width = np.where(np.isfinite(lo) & np.isfinite(hi), hi - lo, np.inf)
    ranked = estimable.assign(_width=width, _row=np.arange(len(estimable)))
    flags = [f for f in frame.flag_keys if f in set(estimable["flag"])]
    flags += sorted(set(estimable["flag"]) - set(flags))
    panels, dropped = {}, []
    for f in flags:
        sub = ranked[ranked["flag"] == f]
        kept = sub.sort_values(["_width", "_row"], kind="stable").head(max_terms)["_row"]
        panels[f] = sub[sub["_row"].isin(kept)]
        dropped.append(sub[~sub["_row"].isin(kept)])
    return panels, pd.concat(dropped)


def _forest_range(shown: pd.DataFrame, limits: tuple[float, float]) -> tuple[float, float]:
    """Whole decades covering the points and intervals shown and 0.5–2, within ``limits``."""
    values = shown[["odds_ratio", "ci_low", "ci_high"]].to_numpy(dtype=float).ravel()
    values = values[np.isfinite(values) & (values > 0)]
    low = 10 ** np.floor(np.log10(min(values.min(), 0.5)))
    high = 10 ** np.ceil(np.log10(max(values.max(), 2.0)))
    return max(limits[0], low), min(limits[1], high)


def _forest_rows(panel: pd.DataFrame) -> list[tuple[str, str, object]]:
    """Display rows of one panel: a header per term (with its reference), then its levels."""
    rows: list[tuple[str, str, object]] = []
    for term, group in panel.groupby("term", sort=False):
        rows.append(("header", term, group["reference"].iloc[0]))
        rows.extend(("row", term, r) for r in group.itertuples())
    return rows


def _forest_panel(ax, rows, colour, span, frame: Frame, language: str) -> bool:
    """Draw one flag's panel; True if an interval or point runs beyond ``span``."""
    xmin, xmax = span
    clipped = False
    labels = []
    for yi, (kind, term, item) in enumerate(rows):
        if kind == "header":
            labels.append(_term_header(frame, term, item, language))
            continue
        labels.append(_level_label(frame, term, item.level, language))
        lo = item.ci_low if np.isfinite(item.ci_low) else 0.0
        hi = item.ci_high if np.isfinite(item.ci_high) else np.inf
        ax.hlines(yi, max(lo, xmin), min(hi, xmax), colors=colour, lw=1.4)
        ax.scatter(
            min(max(item.odds_ratio, xmin), xmax),
            yi,
            color=colour,
            zorder=3,
            s=18,
            gid=f"or:{item.flag}:{term}:{item.level}",
        )
        for beyond, edge, marker in ((lo < xmin, xmin, "<"), (hi > xmax, xmax, ">")):
            if beyond:
                ax.scatter(edge, yi, marker=marker, color=colour, s=24, zorder=3)
                clipped = True
    ax.set_xscale("log")
    ax.set_xlim(xmin / 1.3, xmax * 1.3)
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.axvline(1.0, color="#999999", lw=0.8, ls="--")
    ax.set_yticks(np.arange(len(rows)), labels, fontsize=8)
    for tick, (kind, _, _) in zip(ax.get_yticklabels(), rows):
        if kind == "header":
            tick.set_color("#666666")
    ax.tick_params(axis="y", length=0)
    ax.tick_params(axis="x", labelsize=8)
    ax.set_xlabel(_t("or_axis", language), fontsize=8)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return clipped


def _freeze_layout(fig: plt.Figure) -> None:
    """Run the constrained layout once and fix the axes where it put them, rounded: the
    first layout in a process can differ in the last bits from later ones, which would
    change the SVG's clip-path ids."""
    fig.get_layout_engine().execute(fig)
    for ax in fig.axes:
        ax.set_position([round(v, 6) for v in ax.get_position().bounds])
    fig.set_layout_engine("none")


def forest(
    odds_ratios: pd.DataFrame,
    flag: str | None = None,
    frame: Frame | None = None,
    language: str = config.DEFAULT_LANGUAGE,
    title: str | None = None,
    max_terms: int = 15,
    limits: tuple[float, float] = (0.01, 100.0),
) -> plt.Figure:
    """Forest plot of odds ratios (rows of :func:`analysis.stats.logistic`), one panel per
    flag (or only ``flag``): point and 95% interval on a log axis within ``limits``, an
    interval running beyond it ending in a triangle. Each panel shows at most ``max_terms``
    estimable terms, those with the narrowest intervals, grouped by term under its
    reference level. A footnote names what is not shown: terms not estimable and terms
    beyond ``max_terms`` (a term no case reports is left to the table)."""
    setup()
    frame = frame or load_frame()
    table = odds_ratios if flag is None else odds_ratios[odds_ratios["flag"] == flag]
    table = table[table["level"].notna()].reset_index(drop=True)
    heading = title or (
        _t("forest", language)
        + ("" if flag is None else f" – {frame.label('flag', flag, language)}")
    )
    ors = table["odds_ratio"].to_numpy(dtype=float)
    ok = table["estimable"].to_numpy(dtype=bool) & np.isfinite(ors) & (ors > 0)
    if not ok.any():
        return nothing_to_draw(
            _t("no_estimable" if len(table) else "no_terms", language, n=len(table)), heading
        )
    panels, dropped = _forest_panels(table[ok], frame, max_terms)
    span = _forest_range(pd.concat(panels.values()), limits)
    layout = {f: _forest_rows(panel) for f, panel in panels.items()}
    ncols = 1 if len(panels) == 1 else 2
    grid_rows = [list(panels)[i : i + ncols] for i in range(0, len(panels), ncols)]
    heights = [0.2 * max(len(layout[f]) for f in row) + 0.35 for row in grid_rows]
    width = 4.6 * ncols + 1.2
    fig = plt.figure(
        figsize=(width, sum(heights) + 0.75 * len(grid_rows) + 0.5), layout="constrained"
    )
    grid = fig.add_gridspec(len(grid_rows), ncols, height_ratios=heights)
    palette = frame.colours("flag")
    clipped = False
    for i, row in enumerate(grid_rows):
        for j, f in enumerate(row):
            ax = fig.add_subplot(grid[i, j])
            clipped |= _forest_panel(
                ax, layout[f], palette.get(f, "#333333"), span, frame, language
            )
            ax.set_title(frame.label("flag", f, language), fontsize=10)
    fig.suptitle(heading)
    _freeze_layout(fig)
    missing = table[~ok]
    notes = []
    if len(missing):
        totals = table["flag"].value_counts().to_dict()
        items = _listing(frame, missing, totals, language)
        notes.append(_t("not_estimable_note", language, n=len(missing), items=items))
    if len(dropped):
        items = _listing(frame, dropped, {}, language)
        notes.append(_t("dropped_note", language, k=max_terms, n=len(dropped), items=items))
    if clipped:
        notes.append(_t("clipped_note", language, lo=span[0], hi=span[1]))
    footnote(fig, notes, width=int(18 * width))
    return fig


__all__ = ["pair_heatmap", "stratum_heatmap", "upset", "network", "forest", "stratum_column"]
