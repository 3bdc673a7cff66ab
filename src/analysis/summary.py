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
        rows.append(
            {
                "flag": f,
                "yes": yes,
                "no": no,
                "not_reported": nr,
                "n": yes + no,
                "prevalence": yes / (yes + no) if yes + no else float("nan"),
            }
        )
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
            rows.append(
                {
                    "category": c,
                    "flag": f,
                    "yes": yes,
                    "n": n,
                    "not_reported": int(col.isna().sum()),
                    "prevalence": yes / n if n else float("nan"),
                }
            )
    return pd.DataFrame(
        rows, columns=["category", "flag", "yes", "n", "not_reported", "prevalence"]
    )


def column_counts(cases: pd.DataFrame, column: str, top: int | None = None) -> pd.DataFrame:
    """Cases per value of any column (most frequent first, ties by value); blanks are
    counted as ``None`` and always listed; ``top`` keeps the most frequent values and adds
    the rest up as ``other``."""
    if column not in cases.columns:
        raise KeyError(f"no column {column!r} in the case table")
    values = cases[column].astype("string")
    counts = values.value_counts(dropna=True)
    table = pd.DataFrame({"value": counts.index.astype(str), "cases": counts.to_numpy(dtype=int)})
    table = table.sort_values(
        ["cases", "value"], ascending=[False, True], kind="stable"
    ).reset_index(drop=True)
    if top is not None and len(table) > top:
        rest = int(table["cases"].iloc[top:].sum())
        table = pd.concat(
            [
                table.iloc[:top],
                pd.DataFrame({"value": [f"other ({len(table) - top} values)"], "cases": [rest]}),
            ],
            ignore_index=True,
        )
    missing = int(values.isna().sum())
    table = pd.concat(
        [table, pd.DataFrame({"value": [None], "cases": [missing]})], ignore_index=True
    )
    table["share"] = table["cases"] / max(len(cases), 1)
    return table.rename(columns={"value": column})


def technique_counts(cases: pd.DataFrame, frame: Frame | None = None) -> pd.DataFrame:
    """Cases naming each technique (a case with several counts for each), in frame order,
    plus the cases with no technique reported."""
    frame = frame or load_frame()
    lists = cases["techniques"].fillna("").str.split(";")
    exploded = lists.explode()
    counts = exploded[exploded != ""].value_counts()
    rows = [{"technique": t, "cases": int(counts.get(t, 0))} for t in frame.technique_keys]
    rows.append({"technique": None, "cases": int(cases["techniques"].isna().sum())})
    out = pd.DataFrame(rows)
    out["share"] = out["cases"] / max(len(cases), 1)
    return out


def missingness(cases: pd.DataFrame, columns: list[str] | None = None) -> pd.DataFrame:
    """Per column: cases with no value, and their share."""
    columns = columns or [c for c in cases.columns if not c.endswith(("_coded_by", "_as_recorded"))]
    missing = [int(cases[c].isna().sum()) for c in columns]
    return pd.DataFrame(
        {"column": columns, "missing": missing, "share": [m / max(len(cases), 1) for m in missing]}
    )


def compare_inventories(
    tables: dict[str, pd.DataFrame], frame: Frame | None = None
) -> pd.DataFrame:
    """One row per inventory on the common frame: cases, share of cases with a coded
    category, each category's share among coded cases, and each flag's prevalence among
    the cases reporting it with the share not reported."""
    frame = frame or load_frame()
    rows = []
    for name, cases in tables.items():
        n = len(cases)
        coded = cases["category"].notna()
        row = {
            "inventory": name,
            "cases": n,
            "category_coded": coded.sum() / n if n else float("nan"),
        }
        for c in frame.category_keys:
            row[f"category:{c}"] = (
                (cases.loc[coded, "category"] == c).sum() / coded.sum()
                if coded.sum()
                else float("nan")
            )
        for f in frame.flag_keys:
            reported = cases[f].notna()
            row[f"prevalence:{f}"] = (
                (cases[f] == True).sum() / reported.sum() if reported.sum() else float("nan")
            )  # noqa: E712
            row[f"not_reported:{f}"] = 1 - reported.sum() / n if n else float("nan")
        rows.append(row)
    return pd.DataFrame(rows)
