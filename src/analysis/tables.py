"""Presentation of tables: frame labels in the chosen language, the study's layouts, files.

Nothing here computes a statistic; it turns analysis results (tidy DataFrames of keys)
into the tables a reader sees, and writes them under ``reports/tables/``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from . import canonical, config, timings
from .canonical import formula_safe
from .errors import AnalysisError
from .frame import Frame, load_frame
from .outputs import atomic_write_bytes, csv_bytes
from .textnorm import normalise

TICK, NOT_TICKED, NOT_REPORTED_MARK = "V", "", "–"


def setup_display() -> None:
    """Notebook display options: full case names, three decimals, long tables shown whole."""
    pd.set_option("display.max_colwidth", None)
    pd.set_option("display.precision", 3)
    pd.set_option("display.max_rows", 200)
    pd.set_option("display.max_columns", 50)
    pd.set_option("display.width", 200)


def tick_mark(value: object) -> str:
    """The study's V for yes, blank for no, an en dash for not reported."""
    if pd.isna(value):
        return NOT_REPORTED_MARK
    return TICK if bool(value) else NOT_TICKED


def study_table(
    cases: pd.DataFrame,
    frame: Frame | None = None,
    language: str = config.DEFAULT_LANGUAGE,
    merge_repeats: bool = True,
) -> pd.DataFrame:
    """A coded-case table laid out as the study prints it: AI應用類型, 應用類型, 案例名稱
    (with 【agency】), 使用AI技術, one column per risk with V.

    Category and application type print as recorded (the study's own labels) in zh-TW and
    as frame labels in English; with ``merge_repeats`` a value repeated from the row above
    is left blank, as the slides' merged cells show it.
    """
    frame = frame or load_frame()

    def label(kind: str, key: object, recorded: object) -> str:
        if language != "en" and not pd.isna(recorded):
            return normalise(recorded)
        return "" if pd.isna(key) else frame.label(kind, key, language)

    def techniques(keys: object, recorded: object) -> str:
        if language != "en" and not pd.isna(recorded):
            return normalise(recorded)
        if pd.isna(keys):
            return ""
        return "、".join(frame.label("technique", k, language) for k in str(keys).split(";"))

    names = [n if pd.isna(a) else f"{n} 【{a}】" for n, a in zip(cases["name"], cases["agency"])]
    out = pd.DataFrame(
        {
            frame.heading("category", language): [
                label("category", k, r)
                for k, r in zip(cases["category"], cases["category_as_recorded"])
            ],
            frame.heading("application_type", language): [
                label("application_type", k, r)
                for k, r in zip(cases["application_type"], cases["application_type_as_recorded"])
            ],
            frame.heading("name", language): names,
            frame.heading("techniques", language): [
                techniques(k, r)
                for k, r in zip(cases["techniques"], cases["techniques_as_recorded"])
            ],
        }
    )
    for f in frame.flag_keys:
        out[frame.label("flag", f, language)] = cases[f].map(tick_mark).to_numpy()
    if merge_repeats:
        for col in out.columns[:2]:
            repeated = out[col].eq(out[col].shift())
            out.loc[repeated, col] = ""
    return out


def study_tables(
    cases: pd.DataFrame, frame: Frame | None = None, language: str = config.DEFAULT_LANGUAGE
) -> dict[str, pd.DataFrame]:
    """:func:`study_table` for each source, in the order the sources first appear."""
    sources = list(dict.fromkeys(cases["source"].fillna("").tolist()))
    return {
        s: study_table(cases[cases["source"].fillna("") == s], frame, language) for s in sources
    }


def sources_with_tables(
    cases: pd.DataFrame, frame: Frame | None = None, language: str = config.DEFAULT_LANGUAGE
) -> pd.DataFrame:
    """All sources' study tables stacked, with the source as the first column (for a CSV)."""
    frame = frame or load_frame()
    parts = []
    for source, table in study_tables(cases, frame, language).items():
        table = table.copy()
        table.insert(0, frame.heading("source", language), source)
        parts.append(table)
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def labelled(
    table: pd.DataFrame,
    frame: Frame | None = None,
    language: str = config.DEFAULT_LANGUAGE,
    headings: bool = True,
) -> pd.DataFrame:
    """Replace frame keys in the columns ``category``, ``application_type``, ``flag`` and
    ``technique`` by their labels, and (optionally) column names by the frame's headings."""
    frame = frame or load_frame()
    out = table.copy()
    not_coded = frame.heading("not_coded", language)
    for col, kind in (
        ("category", "category"),
        ("application_type", "application_type"),
        ("flag", "flag"),
        ("technique", "technique"),
    ):
        if col in out.columns:
            out[col] = out[col].map(
                lambda k, kind=kind: not_coded if pd.isna(k) else frame.label(kind, k, language)
            )
    if headings:
        out.columns = [
            frame.headings[c]["en" if language == "en" else "zh"] if c in frame.headings else c
            for c in out.columns
        ]
    return out


def labelled_with_pairs(
    table: pd.DataFrame,
    frame: Frame | None = None,
    language: str = config.DEFAULT_LANGUAGE,
    headings: bool = True,
) -> pd.DataFrame:
    """:func:`labelled` that also labels the flag-pair columns ``flag_a`` and ``flag_b`` (the
    co-occurrence and flag-difference tables)."""
    frame = frame or load_frame()
    out = table.copy()
    for col in ("flag_a", "flag_b"):
        if col in out.columns:
            out[col] = out[col].map(lambda k: frame.label("flag", k, language))
    return labelled(out, frame, language, headings)


def check_output_name(name: str) -> str:
    """``name`` if it can name an output file inside its folder: no path separator, no
    control character, not empty and not ``.``/``..``; else an :class:`AnalysisError`."""
    if not name or name in (".", "..") or re.search(r"[\x00-\x1f\x7f/\\]", name):
        raise AnalysisError(
            f"output name {name!r}: expected a file name without a path separator or control "
            f"character / 輸出名稱 {name!r}：應為不含路徑分隔符號或控制字元的檔名"
        )
    return name


#: Long tables are written from CSV bytes kept by their content (:func:`canonical.stored_csv`).
CACHED_CELLS, CSV_NAMESPACE = canonical.CACHED_CELLS, canonical.CSV_NAMESPACE


def save(table: pd.DataFrame, name: str, folder: Path | None = None, raw_csv: bool = False) -> Path:
    """Write ``reports/tables/<name>.csv`` (UTF-8 with BOM) atomically; ``name`` stays a
    file name in the folder (:func:`check_output_name`). Text a spreadsheet would run as a
    formula is prefixed with ``'`` (:func:`analysis.canonical.formula_safe`) unless
    ``raw_csv``."""
    check_output_name(name)
    folder = folder or config.tables_dir()
    with timings.stage("writing"):
        data = canonical.stored_csv(
            table, lambda: csv_bytes(table if raw_csv else formula_safe(table)), "table", raw_csv
        )
        return atomic_write_bytes(folder / f"{name}.csv", data)
