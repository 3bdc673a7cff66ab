"""Figures of the coding evaluation: confusion matrix, learning curve, agreement."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import config, lazy
from ..agreement import UNCODED
from ..frame import Frame, load_frame
from . import heatmap, setup

matplotlib = lazy.module("matplotlib")
plt = lazy.module("matplotlib.pyplot")
sns = lazy.module("seaborn")

_TEXT = {
    "confusion": {
        "zh-TW": "混淆矩陣：{target}（{coder}）",
        "en": "Confusion matrix: {target} ({coder})",
    },
    "true": {"zh-TW": "人工／來源標記", "en": "Human or source label"},
    "pred": {"zh-TW": "自動編碼", "en": "Automatic code"},
    "curve": {"zh-TW": "學習曲線：{target}", "en": "Learning curve: {target}"},
    "n_train": {"zh-TW": "訓練案例數", "en": "Training cases"},
    "score": {"zh-TW": "交叉驗證分數", "en": "Cross-validated score"},
    "agreement": {
        "zh-TW": "自動編碼與標記之一致性（macro-F1）",
        "en": "Agreement with labels (macro-F1)",
    },
}


def _t(key: str, language: str, **kw) -> str:
    return _TEXT[key]["en" if language == "en" else "zh-TW"].format(**kw)


def value_label(target: str, value: str, frame: Frame, language: str) -> str:
    """Display label of a code value (frame label, or the frame's yes/no/not-coded heading)."""
    if value == UNCODED:
        return frame.heading("not_coded", language)
    if target in ("category", "application_type"):
        return frame.label(target, value, language)
    if value in ("yes", "no"):
        return frame.heading(value, language)
    return str(value)


def target_label(target: str, frame: Frame, language: str) -> str:
    """Display name of a scored target (a heading, a flag or a technique label)."""
    if target.startswith("technique:"):
        return frame.label("technique", target.split(":", 1)[1], language)
    if target in frame.flag_keys:
        return frame.label("flag", target, language)
    return frame.heading(target, language)


def confusion_matrix(
    confusion: pd.DataFrame,
    target: str,
    coder: str,
    frame: Frame | None = None,
    language: str = config.DEFAULT_LANGUAGE,
) -> matplotlib.figure.Figure:
    """Heatmap of a tidy confusion table (columns true, pred, n) for one target and coder."""
    frame = frame or load_frame()
    sub = confusion
    if "target" in sub.columns:
        sub = sub[(sub["target"] == target) & (sub["coder"] == coder)]
    order = list(dict.fromkeys(list(sub["true"]) + list(sub["pred"])))
    if target == "category":
        order = [k for k in frame.category_keys + [UNCODED] if k in set(order)]
    elif target == "application_type":
        order = [k for k in frame.application_type_keys + [UNCODED] if k in set(order)]
    table = sub.pivot_table(index="true", columns="pred", values="n", aggfunc="sum", fill_value=0)
    rows = [k for k in order if k in set(sub["true"])]
    cols = [k for k in order if k in set(sub["pred"])]
    table = table.reindex(index=rows, columns=cols, fill_value=0)
    table.index = [value_label(target, k, frame, language) for k in rows]
    table.columns = [value_label(target, k, frame, language) for k in cols]
    colours = [frame.entry("category", k).colour for k in rows] if target == "category" else None
    table = table.astype(int)
    return heatmap(
        table,
        _t("confusion", language, target=target_label(target, frame, language), coder=coder),
        annot=table.astype(str),
        xlabel=_t("pred", language),
        ylabel=_t("true", language),
        row_colours=colours,
    )


def learning_curve(
    curve: pd.DataFrame, frame: Frame | None = None, language: str = config.DEFAULT_LANGUAGE
) -> matplotlib.figure.Figure:
    """Macro-F1 and accuracy against the number of training cases (from
    :func:`analysis.agreement.learning_curve`)."""
    frame = frame or load_frame()
    setup()
    fig, ax = plt.subplots(figsize=(5.5, 3.6))
    palette = sns.color_palette("colorblind", 2)
    for colour, metric in zip(palette, ("macro_f1", "accuracy")):
        ax.plot(
            curve["n_train"],
            curve[metric],
            marker="o",
            color=colour,
            label=frame.heading(metric, language),
        )
    ax.set_ylim(0, 1)
    ax.set_xlabel(_t("n_train", language))
    ax.set_ylabel(_t("score", language))
    target = curve["target"].iloc[0] if len(curve) else "category"
    ax.set_title(_t("curve", language, target=target_label(target, frame, language)))
    ax.legend(frameon=False)
    sns.despine(ax=ax)
    fig.tight_layout()
    return fig


def agreement_bars(
    scores: pd.DataFrame,
    frame: Frame | None = None,
    language: str = config.DEFAULT_LANGUAGE,
    metric: str = "macro_f1",
) -> matplotlib.figure.Figure:
    """Grouped bars: ``metric`` per target (rows of the scores table) and coder."""
    frame = frame or load_frame()
    setup()
    targets = list(dict.fromkeys(scores["target"]))
    coders = list(dict.fromkeys(scores["coder"]))
    fig, ax = plt.subplots(
        figsize=(6.5, max(2.5, 0.45 * len(targets) * max(1, len(coders)) / 1.5 + 1.2))
    )
    height = 0.8 / max(1, len(coders))
    y = np.arange(len(targets))
    for i, (coder, colour) in enumerate(zip(coders, sns.color_palette("colorblind", len(coders)))):
        vals = [
            scores[(scores["target"] == t) & (scores["coder"] == coder)][metric].mean()
            for t in targets
        ]
        ax.barh(
            y + i * height,
            np.nan_to_num(np.array(vals, dtype=float)),
            height=height,
            color=colour,
            label=coder,
        )
    ax.set_yticks(
        y + height * (len(coders) - 1) / 2, [target_label(t, frame, language) for t in targets]
    )
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    name = frame.heading(metric, language) if metric in frame.headings else metric
    ax.set_xlabel(name)
    ax.set_ylabel(frame.heading("target", language))
    ax.set_title(_t("agreement", language) if metric == "macro_f1" else name)
    ax.legend(frameon=False, loc="lower right")
    sns.despine(ax=ax)
    fig.tight_layout()
    return fig
