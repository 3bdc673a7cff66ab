"""The canonical case table: one row per case, the same columns for every inventory.

Columns (flag columns are named by the frame's flag keys):

==========================  ===============================================================
``case_id``                 unique within its inventory
``inventory``               the bundled inventory or mapping the case came from
``source``                  sub-source inside an inventory (e.g. DIGI+, 服務品質獎)
``name``, ``agency``, ``description``
``category``                a frame category key, or NA when not coded
``application_type``        a frame application-type key, or NA
``techniques``              frame technique keys joined by ``;`` in frame order, or NA
``<flag>``                  one column per risk flag: True (yes), False (no), NA (not reported)
``*_coded_by``              where each coded value came from: study, source, crosswalk,
                            rules, model, llm, annotator:<pass> (assisted annotation) or
                            human:<coder>; NA where the value is NA
``*_as_recorded``           the native text a coded value was read from, as printed
==========================  ===============================================================

Any further column is an inventory-specific extra (agency bureau, stage, ...).
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pandas as pd

from .errors import InputError, Problem, input_error
from .frame import Frame, load_frame
from .readers import MAX_BYTES

TECHNIQUE_SEP = ";"
IDENTITY = ["case_id", "inventory", "source", "name", "agency", "description"]
CODED = ["category", "application_type", "techniques"]
#: The coded fields whose values are the frame's closed lists (one value per case).
CLOSED_FIELDS = ("category", "application_type")
PROVENANCE_VALUES = (
    "study",
    "source",
    "crosswalk",
    "rules",
    "model",
    "llm",
    "annotator",
    "human",
)


def flag_columns(frame: Frame | None = None) -> list[str]:
    return (frame or load_frame()).flag_keys


def coded_by_columns() -> list[str]:
    return [f"{c}_coded_by" for c in CODED] + ["flags_coded_by"]


def as_recorded_columns() -> list[str]:
    return [f"{c}_as_recorded" for c in CODED]


def canonical_columns(frame: Frame | None = None) -> list[str]:
    """Column order of the canonical table, extras excluded."""
    return IDENTITY + CODED + flag_columns(frame) + coded_by_columns() + as_recorded_columns()


def empty(frame: Frame | None = None) -> pd.DataFrame:
    frame = frame or load_frame()
    df = pd.DataFrame({c: pd.Series(dtype="string") for c in canonical_columns(frame)})
    for f in frame.flag_keys:
        df[f] = df[f].astype("boolean")
    return df


def coerce(df: pd.DataFrame, frame: Frame | None = None) -> pd.DataFrame:
    """Give a table with canonical columns the canonical dtypes and column order
    (extras kept, after the canonical columns, in their given order)."""
    frame = frame or load_frame()
    cols = canonical_columns(frame)
    out = df.copy()
    for c in cols:
        if c not in out.columns:
            out[c] = pd.NA
    flags = set(frame.flag_keys)
    for c in out.columns:
        out[c] = out[c].astype("boolean") if c in flags else out[c].astype("string")
    extras = [c for c in out.columns if c not in cols]
    return out[cols + extras].reset_index(drop=True)


def technique_lists(cases: pd.DataFrame) -> pd.Series:
    """Each case's techniques as a list of keys (empty list where not reported)."""
    return cases["techniques"].fillna("").map(lambda s: [t for t in s.split(TECHNIQUE_SEP) if t])


def validate(
    cases: pd.DataFrame, frame: Frame | None = None, file: str = "<canonical table>"
) -> list[Problem]:
    """Check a canonical table against the frame; returns the problems found.

    Row numbers are 1-based positions in the table plus one (as a spreadsheet with a
    header row would show them).
    """
    frame = frame or load_frame()
    missing = [c for c in canonical_columns(frame) if c not in cases.columns]
    if missing:
        return [Problem(file, None, c, None, "a canonical column", "標準欄位") for c in missing]
    rows = range(2, len(cases) + 2)
    return (
        _case_id_problems(cases, rows, file)
        + _coded_key_problems(cases, frame, rows, file)
        + _technique_problems(cases, frame, rows, file)
        + _flag_dtype_problems(cases, frame, file)
        + _provenance_problems(cases, rows, file)
    )


def case_keys(table: pd.DataFrame) -> pd.Series:
    """One key per row naming its case across inventories: ``<inventory>\\x00<case_id>``
    (index like ``table``), for matching a table's rows with codes or distributions."""
    return table["inventory"].astype(str) + "\x00" + table["case_id"].astype(str)


def _case_id_problems(cases: pd.DataFrame, rows: range, file: str) -> list[Problem]:
    """Blank case ids, and ids repeated within an inventory (the first one kept)."""
    problems = []
    ids = (
        cases["inventory"].astype("string").fillna("")
        + "\x00"
        + cases["case_id"].astype("string").fillna("")
    )
    dup = ids.duplicated(keep="first")
    for row, cid, is_dup, blank in zip(rows, cases["case_id"], dup, cases["case_id"].isna()):
        if blank:
            problems.append(Problem(file, row, "case_id", None, "a case_id", "案例編號"))
        elif is_dup:
            problems.append(
                Problem(
                    file,
                    row,
                    "case_id",
                    cid,
                    "a case_id unique within its inventory",
                    "同一盤點內不重複的案例編號",
                )
            )
    return problems


def _coded_key_problems(cases: pd.DataFrame, frame: Frame, rows: range, file: str) -> list[Problem]:
    """Category and application-type values that are not frame keys, then application types
    that belong to another category than the case's."""
    problems = []
    allowed = {
        "category": set(frame.category_keys),
        "application_type": set(frame.application_type_keys),
    }
    for col, keys in allowed.items():
        for row, v in zip(rows, cases[col]):
            if not pd.isna(v) and v not in keys:
                problems.append(
                    Problem(
                        file,
                        row,
                        col,
                        v,
                        f"a frame {col} key ({', '.join(sorted(keys))})",
                        f"編碼架構中的{col}代碼",
                    )
                )
    for row, cat, typ in zip(rows, cases["category"], cases["application_type"]):
        if (
            not pd.isna(typ)
            and typ in allowed["application_type"]
            and cat in allowed["category"]
            and frame.category_of(typ) != cat
        ):
            problems.append(
                Problem(
                    file,
                    row,
                    "application_type",
                    typ,
                    f"an application type of category {cat}",
                    f"屬於類別 {cat} 的應用類型",
                )
            )
    return problems


def _technique_problems(cases: pd.DataFrame, frame: Frame, rows: range, file: str) -> list[Problem]:
    """Technique cells that are empty or hold a part that is not a frame technique key."""
    tech = set(frame.technique_keys)
    problems = []
    for row, v in zip(rows, cases["techniques"]):
        if pd.isna(v):
            continue
        unknown = [t for t in str(v).split(TECHNIQUE_SEP) if t not in tech]
        if unknown or not v:
            problems.append(
                Problem(
                    file,
                    row,
                    "techniques",
                    v,
                    "technique keys joined by ';'",
                    "以「;」連接的技術代碼",
                )
            )
    return problems


def _flag_dtype_problems(cases: pd.DataFrame, frame: Frame, file: str) -> list[Problem]:
    """Flag columns that are not of the nullable boolean dtype."""
    return [
        Problem(
            file,
            None,
            f,
            str(cases[f].dtype),
            "a boolean (yes/no/NA) column",
            "布林欄位（是／否／未報告）",
        )
        for f in frame.flag_keys
        if str(cases[f].dtype) != "boolean"
    ]


def _provenance_problems(cases: pd.DataFrame, rows: range, file: str) -> list[Problem]:
    """``*_coded_by`` values that do not start with a known source of coding."""
    problems = []
    for col in coded_by_columns():
        for row, v in zip(rows, cases[col]):
            if not pd.isna(v) and str(v).split(":")[0] not in PROVENANCE_VALUES:
                problems.append(
                    Problem(
                        file,
                        row,
                        col,
                        v,
                        f"one of {', '.join(PROVENANCE_VALUES)}",
                        "允許的編碼來源",
                    )
                )
    return problems


def check(
    cases: pd.DataFrame, frame: Frame | None = None, file: str = "<canonical table>"
) -> pd.DataFrame:
    """:func:`validate` and raise :class:`InputError` on any problem; returns ``cases``."""
    problems = validate(cases, frame, file)
    if problems:
        raise InputError(problems, f"{file}: {len(problems)} problem(s) in the canonical table")
    return cases


# -- export / import ---------------------------------------------------------------------
#: A text cell a spreadsheet would run as a formula: it starts (after any ``'``) with one of
#: the OWASP characters ``= + - @``, a tab or a carriage return.
_FORMULA = re.compile("'*[=+\\-@\t\r]")
_NEUTRALISED = re.compile("'+[=+\\-@\t\r]")
#: A plain number (``-2``, ``+3.5``, ``-1e3``): a spreadsheet reads it as that number.
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def each_text_once(values: list, change) -> list:
    """``change`` of each value, computed once per distinct text (a long table repeats its
    texts); any other value, such as ``-0.0`` beside ``0.0``, each time."""
    seen: dict[str, object] = {}
    out = []
    for value in values:
        if type(value) is str:
            if value not in seen:
                seen[value] = change(value)
            out.append(seen[value])
        else:
            out.append(change(value))
    return out


def _map_text(table: pd.DataFrame, change, only: re.Pattern | None = None) -> pd.DataFrame:
    """``table`` with ``change`` applied to the cells of its text columns (a column whose
    cells all stay the same keeps its dtype). ``only``: ``change`` leaves every text that
    this pattern does not match (at its start) as it is, so a column of Arrow text none of
    whose cells it matches is skipped without reading its cells into Python."""
    out = table.copy()
    for i in range(out.shape[1]):
        column = out.iloc[:, i]
        if not (
            pd.api.types.is_object_dtype(column)
            or pd.api.types.is_string_dtype(column)
            or isinstance(column.dtype, pd.CategoricalDtype)
        ):
            continue
        if only is not None and _arrow_text_never_matches(column, only):
            continue
        values = column.astype(object).tolist()
        changed = each_text_once(values, change)
        if changed != values:
            dtype = None if isinstance(column.dtype, pd.CategoricalDtype) else column.dtype
            out.isetitem(i, pd.Series(changed, index=out.index, dtype=dtype))
    return out


def _arrow_text_never_matches(column: pd.Series, pattern: re.Pattern) -> bool:
    """Whether ``column`` holds Arrow text none of whose cells ``pattern`` matches at its
    start (Arrow's regular expressions, which read these patterns as :mod:`re` does)."""
    if not (isinstance(column.dtype, pd.StringDtype) and column.dtype.storage == "pyarrow"):
        return False
    import pyarrow.compute as pc

    held = column.array.__arrow_array__()
    found = pc.any(pc.match_substring_regex(held, f"^(?:{pattern.pattern})")).as_py()
    return not found


def formula_safe(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with every text cell a spreadsheet would run as a formula prefixed by ``'``
    (the OWASP rule for CSV files); numbers, plain-number text (``-2``) and other text are
    unchanged. :func:`formula_restored` undoes it exactly."""

    def prefixed(v: object) -> object:
        if isinstance(v, str) and _FORMULA.match(v) and not _PLAIN_NUMBER.fullmatch(v):
            return "'" + v
        return v

    return _map_text(table, prefixed, only=_FORMULA)


def formula_restored(table: pd.DataFrame) -> pd.DataFrame:
    """Inverse of :func:`formula_safe`: one ``'`` removed from every cell it prefixed."""
    return _map_text(
        table, lambda v: v[1:] if isinstance(v, str) and _NEUTRALISED.match(v) else v, _NEUTRALISED
    )


def to_export(cases: pd.DataFrame, frame: Frame | None = None) -> pd.DataFrame:
    """Flags as ``yes``/``no``/blank (blank = not reported), everything else as text."""
    frame = frame or load_frame()
    out = cases.copy()
    for f in frame.flag_keys:
        out[f] = out[f].map(lambda v: "" if pd.isna(v) else ("yes" if v else "no")).astype("string")
    return out


#: A table of at least this many cells is written as CSV from the bytes kept in the cache
#: (namespace :data:`CSV_NAMESPACE`) by its content and what else shaped them
#: (:func:`stored_csv`): building a long table's CSV takes ten times as long as digesting it.
CACHED_CELLS = 20_000
CSV_NAMESPACE = "csv"
#: CSV files kept (the most recently used): a run writes a handful of long tables.
CSV_KEPT = 32


def stored_csv(table: pd.DataFrame, build, *parts) -> bytes:
    """``build()``, the CSV bytes of ``table``: for a table of :data:`CACHED_CELLS` cells or
    more, kept in the cache by the table's content, ``parts`` (what else the bytes depend
    on) and the package source, and read back when they are there (the :data:`CSV_KEPT`
    most recently used are kept)."""
    if table.size < CACHED_CELLS:
        return build()
    from . import cache

    return cache.remember(CSV_NAMESPACE, (table, *parts), build, bytes, bytes, keep=CSV_KEPT)


def write(
    cases: pd.DataFrame, path: Path, frame: Frame | None = None, raw_csv: bool = False
) -> Path:
    """Write the canonical table as CSV (UTF-8 with BOM, for Excel) or XLSX, atomically. A
    CSV's formula-like text is prefixed with ``'`` (:func:`formula_safe`) unless ``raw_csv``;
    a long one is written from the bytes stored for its content (:data:`CACHED_CELLS`)."""
    from .outputs import atomic_write_bytes, csv_bytes, write_table

    path = Path(path)
    frame = frame or load_frame()
    if path.suffix.lower() == ".xlsx":
        return write_table(to_export(cases, frame), path)

    def build() -> bytes:
        table = to_export(cases, frame)
        return csv_bytes(table if raw_csv else formula_safe(table))

    return atomic_write_bytes(path, stored_csv(cases, build, "export", frame, raw_csv))


def from_export(
    table: pd.DataFrame, frame: Frame | None = None, file: str = "<export>"
) -> pd.DataFrame:
    """Inverse of :func:`to_export`: read yes/no/blank flags back into a canonical table."""
    frame = frame or load_frame()
    out = table.copy()
    problems = []
    for f in frame.flag_keys:
        if f not in out.columns:
            problems.append(Problem(file, None, f, None, "a flag column", "風險欄位"))
            continue
        values = out[f].astype("string").fillna("").str.strip().str.lower()
        for row, v in zip(range(2, len(out) + 2), values):
            if v not in ("yes", "no", ""):
                problems.append(Problem(file, row, f, v, "yes, no or blank", "yes、no 或空白"))
        out[f] = values.map({"yes": True, "no": False, "": pd.NA}).astype("boolean")
    if problems:
        raise InputError(problems, f"{file}: not a canonical export")
    text = [c for c in out.columns if c not in frame.flag_keys]
    out[text] = out[text].astype("string").replace("", pd.NA)
    return check(coerce(out, frame), frame, file)


def _export_bytes(path: Path) -> bytes:
    """The bytes of an export file: an existing regular file within the readers' size limit."""
    if not path.is_file():
        what = "a folder" if path.is_dir() else "missing" if not path.exists() else "not a file"
        raise input_error(
            path,
            None,
            None,
            what,
            "an existing file written by `export` (.csv or .xlsx)",
            "由 export 寫出的既有檔案（.csv 或 .xlsx）",
            summary=f"{path}: not a file to read ({what})",
        )
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise input_error(
            path,
            None,
            None,
            f"{size} bytes",
            f"an export of at most {MAX_BYTES} bytes (readers.MAX_BYTES)",
            f"不超過 {MAX_BYTES} 位元組的匯出檔（readers.MAX_BYTES）",
            summary=f"{path}: too large ({size} bytes)",
        )
    return path.read_bytes()


def _csv_export(path: Path, data: bytes) -> pd.DataFrame:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        problem = Problem(
            str(path),
            line,
            None,
            data[exc.start : exc.start + 4],
            f"UTF-8 text, as `export` writes a CSV (byte {exc.start} is not UTF-8)",
            f"UTF-8 文字，如 export 寫出的 CSV（第 {exc.start} 位元組不是 UTF-8）",
            "line",
        )
        raise InputError([problem], f"{path}: not UTF-8 (byte {exc.start})") from exc
    try:
        table = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise input_error(
            path,
            None,
            None,
            str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__,
            "a comma-separated table with a header row, as `export` writes it",
            "以逗號分隔、含標題列的表格，如 export 寫出的格式",
            summary=f"{path}: not a CSV table",
        ) from exc
    return formula_restored(table)


def _xlsx_export(path: Path, data: bytes) -> pd.DataFrame:
    try:
        return pd.read_excel(io.BytesIO(data), dtype=str, keep_default_na=False)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, EOFError) as exc:
        raise input_error(
            path,
            None,
            None,
            type(exc).__name__,
            "an XLSX workbook (a zip archive), as `export` writes it",
            "XLSX 活頁簿（zip 壓縮檔），如 export 寫出的格式",
            summary=f"{path}: not a readable XLSX workbook",
        ) from exc


def read_export(path: Path, frame: Frame | None = None) -> pd.DataFrame:
    """Read a file written by :func:`write` back into a canonical table (a CSV's ``'``
    prefixes removed, :func:`formula_restored`); an unreadable file is an
    :class:`InputError` naming it and what was expected."""
    path = Path(path)
    data = _export_bytes(path)
    read = _xlsx_export if path.suffix.lower() == ".xlsx" else _csv_export
    return from_export(read(path, data), frame, str(path))
