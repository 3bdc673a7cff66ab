"""Interactive exploration of risk-flag co-occurrence in a notebook.

:func:`explore` shows filters (inventory, source, category, application type, technique,
flag) and a measure switch (count, Jaccard, conditional probability, lift) and redraws the
flag × flag table and heatmap in place. Outside a live kernel (a script, a statically
rendered report, or with ``ANALYSIS_STATIC=1`` in the environment) it shows the default
view instead: the table and heatmap of all cases.

The logic is in pure functions: :func:`options` (what each filter can choose),
:func:`filter_cases` and :func:`view` (tables for a choice of filters and measure).
"""

from __future__ import annotations

import os
from collections.abc import Iterable

import numpy as np
import pandas as pd

from . import config, cooccurrence
from .canonical import TECHNIQUE_SEP
from .errors import AnalysisError
from .frame import Frame, load_frame

FILTERS = ("inventory", "source", "category", "application_type", "technique", "flag")
#: Measures offered by the switch (keys of :data:`analysis.cooccurrence.MEASURES`).
EXPLORE_MEASURES = ("count", "jaccard", "p_b_given_a", "lift")
_MEASURE_NAMES = {
    "count": ("次數", "Count"),
    "jaccard": ("Jaccard", "Jaccard"),
    "p_b_given_a": ("條件機率 P(欄｜列)", "P(column | row)"),
    "lift": ("提升度", "Lift"),
}


def _as_list(value) -> list:
    if value is None:
        return []
    if isinstance(value, str) or not isinstance(value, Iterable):
        return [value]
    return list(value)


def options(cases: pd.DataFrame, frame: Frame | None = None) -> dict[str, list[str]]:
    """The values each filter can take in ``cases``: frame keys in frame order, other
    values sorted."""
    frame = frame or load_frame()
    out = {}
    for name in ("inventory", "source"):
        out[name] = (
            sorted(cases[name].dropna().astype(str).unique()) if name in cases.columns else []
        )
    for name, keys in (
        ("category", frame.category_keys),
        ("application_type", frame.application_type_keys),
    ):
        present = set(cases[name].dropna().astype(str))
        out[name] = [k for k in keys if k in present]
    present = {
        t for s in cases["techniques"].dropna().unique() for t in str(s).split(TECHNIQUE_SEP) if t
    }
    out["technique"] = [k for k in frame.technique_keys if k in present]
    out["flag"] = [f for f in frame.flag_keys if f in cases.columns]
    return out


def filter_cases(
    cases: pd.DataFrame,
    inventory=None,
    source=None,
    category=None,
    application_type=None,
    technique=None,
    flag=None,
) -> pd.DataFrame:
    """The cases matching every given filter (each a value or a list of values; empty or
    None = no filter). ``technique``: cases using any of the techniques; ``flag``: cases
    with any of the flags ticked (yes)."""
    keep = np.ones(len(cases), dtype=bool)
    for name, value in (
        ("inventory", inventory),
        ("source", source),
        ("category", category),
        ("application_type", application_type),
    ):
        chosen = _as_list(value)
        if chosen:
            keep &= cases[name].isin(chosen).fillna(False).to_numpy(dtype=bool)
    chosen = _as_list(technique)
    if chosen:
        parts = cases["techniques"].fillna("").astype(str).str.split(TECHNIQUE_SEP)
        keep &= parts.map(lambda ts: any(t in ts for t in chosen)).to_numpy(dtype=bool)
    chosen = _as_list(flag)
    if chosen:
        missing = [f for f in chosen if f not in cases.columns]
        if missing:
            raise AnalysisError(f"no flag column(s) {missing} in the case table")
        ticked = np.zeros(len(cases), dtype=bool)
        for f in chosen:
            ticked |= cases[f].fillna(False).to_numpy(dtype=bool)
        keep &= ticked
    return cases[keep]


def view(
    cases: pd.DataFrame,
    measure: str = "jaccard",
    filters: dict | None = None,
    na_policy: str = "pairwise",
    frame: Frame | None = None,
    language: str = config.DEFAULT_LANGUAGE,
) -> dict:
    """What the explorer shows for a choice of filters and measure: ``cases`` (filtered),
    ``n``, ``pairs`` (tidy, keys), ``matrix`` (flag × flag of the measure, keys) and
    ``table`` (the matrix with labels in ``language``)."""
    if measure not in EXPLORE_MEASURES:
        raise AnalysisError(
            f"measure must be one of {', '.join(EXPLORE_MEASURES)}; got {measure!r}"
        )
    frame = frame or load_frame()
    unknown = sorted(set(filters or {}) - set(FILTERS))
    if unknown:
        raise AnalysisError(f"unknown filter(s) {unknown}; filters are {', '.join(FILTERS)}")
    chosen = filter_cases(cases, **(filters or {}))
    pairs = cooccurrence.pairs(chosen, na_policy=na_policy, frame=frame)
    wide = cooccurrence.matrix(pairs, measure, frame=frame)
    labels = [frame.label("flag", f, language) for f in wide.index]
    table = wide.copy()
    table.index, table.columns = labels, labels
    table.index.name = frame.heading("flag", language)
    return {"cases": chosen, "n": len(chosen), "pairs": pairs, "matrix": wide, "table": table}


def is_live() -> bool:
    """True inside a running IPython kernel, unless ``ANALYSIS_STATIC`` is set."""
    if os.environ.get("ANALYSIS_STATIC", "").strip() not in ("", "0"):
        return False
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def _show(result: dict, measure: str, frame: Frame, language: str) -> None:
    from IPython.display import Image, display

    from .figures import png
    from .figures.cooccurrence import pair_heatmap

    zh, en = _MEASURE_NAMES[measure]
    heading = f"{en}, n = {result['n']}" if language == "en" else f"{zh}（n = {result['n']}）"
    from IPython import get_ipython

    if get_ipython() is None:  # a script: plain text only
        print(heading)
        print(result["table"].round(3).to_string())
        return
    from .present import show

    display(
        show(
            result["table"],
            (f"{heading}：每列、每欄各為一項風險", f"{heading}: one row and one column per risk"),
            language,
            frame,
            empty=("所選條件下沒有案例。", "No case matches the filters."),
        )
    )
    if result["n"]:
        image = png(pair_heatmap, result["pairs"], measure, frame=frame, language=language)
        display(Image(data=image, format="png"))


def explore(
    cases: pd.DataFrame,
    frame: Frame | None = None,
    language: str = config.DEFAULT_LANGUAGE,
    measure: str = "jaccard",
    na_policy: str = "pairwise",
    interactive: bool | None = None,
):
    """Interactive filters and measure switch over ``cases`` (see the module docstring);
    ``interactive=None`` decides by :func:`is_live`. Returns the widget box, or None when
    the static default view was shown."""
    frame = frame or load_frame()
    if interactive is None:
        interactive = is_live()
    if not interactive:
        _show(view(cases, measure, None, na_policy, frame, language), measure, frame, language)
        return None
    import ipywidgets as w
    from IPython.display import display

    choices = options(cases, frame)
    label_of = {
        "category": "category",
        "application_type": "application_type",
        "technique": "technique",
        "flag": "flag",
    }
    pickers = {}
    for name in FILTERS:
        kind = label_of.get(name)
        opts = [(frame.label(kind, k, language) if kind else k, k) for k in choices[name]]
        title = frame.heading("techniques" if name == "technique" else name, language)
        pickers[name] = w.SelectMultiple(
            options=opts,
            value=(),
            description=title,
            rows=min(6, max(len(opts), 2)),
            style={"description_width": "initial"},
        )
    switch = w.ToggleButtons(
        options=[(_MEASURE_NAMES[m][1 if language == "en" else 0], m) for m in EXPLORE_MEASURES],
        value=measure,
    )
    out = w.Output()

    def redraw(_change=None) -> None:
        filters = {k: list(p.value) for k, p in pickers.items() if p.value}
        with out:
            out.clear_output(wait=True)
            _show(
                view(cases, switch.value, filters, na_policy, frame, language),
                switch.value,
                frame,
                language,
            )

    for p in [*pickers.values(), switch]:
        p.observe(redraw, names="value")
    box = w.VBox(
        [w.HBox(list(pickers.values())[:3]), w.HBox(list(pickers.values())[3:]), switch, out]
    )
    redraw()
    display(box)
    return box
