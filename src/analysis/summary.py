"""Descriptive counts of a canonical case table: cases by category, flags ticked, ticks by
category. Each function takes the canonical table and returns a tidy DataFrame in the
frame's order; not-reported values are counted, never folded into "no"."""
from __future__ import annotations

import pandas as pd

from .frame import Frame, load_frame


def category_counts(cases: pd.DataFrame, frame: Frame | None = None) -> pd.DataFrame:
    """Cases per category (every frame category, zeros included) plus uncoded cases."""
    frame = frame or load_frame()
    counts = cases["category"].value_counts(dropna=False)
    rows = [{"category": c, "cases": int(counts.get(c, 0))} for c in frame.category_keys]
    rows.append({"category": None, "cases": int(cases["category"].isna().sum())})
    out = pd.DataFrame(rows)
    out["share"] = out["cases"] / max(len(cases), 1)
    return out


def flag_counts(cases: pd.DataFrame, frame: Frame | None = None) -> pd.DataFrame:
    """Per flag: yes, no, not reported, cases reported, and the share ticked among the
    cases that report the flag."""
    frame = frame or load_frame()
    rows = []
    for f in frame.flag_keys:
        col = cases[f]
        yes, no = int((col == True).sum()), int((col == False).sum())  # noqa: E712 (nullable boolean)
        nr = int(col.isna().sum())
        rows.append({"flag": f, "yes": yes, "no": no, "not_reported": nr, "n": yes + no,
                     "prevalence": yes / (yes + no) if yes + no else float("nan")})
    return pd.DataFrame(rows)


def category_flag_counts(cases: pd.DataFrame, frame: Frame | None = None) -> pd.DataFrame:
    """Tidy ticks by category and flag: ``yes`` ticked, ``n`` cases reporting the flag,
    ``not_reported``; categories with no case are left out, uncoded cases too."""
    frame = frame or load_frame()
    coded = cases[cases["category"].notna()]
    rows = []
    for c in frame.category_keys:
        sub = coded[coded["category"] == c]
        if sub.empty:
            continue
        for f in frame.flag_keys:
            col = sub[f]
            yes = int((col == True).sum())  # noqa: E712
            n = int(col.notna().sum())
            rows.append({"category": c, "flag": f, "yes": yes, "n": n, "not_reported": int(col.isna().sum()),
                         "prevalence": yes / n if n else float("nan")})
    return pd.DataFrame(rows, columns=["category", "flag", "yes", "n", "not_reported", "prevalence"])
