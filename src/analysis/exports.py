"""An inventory written for people: the canonical table, or the study's table layout.

``canonical`` (the default) is the canonical case table (:mod:`analysis.canonical`:
keys, flags as ``yes``/``no``/blank), which reads back with
:func:`analysis.canonical.read_export`. ``study`` is the table as the study prints it
(:func:`analysis.tables.study_table`: its column headings, ``V`` for a ticked risk),
one sheet per source. A workbook of either has a bold, frozen header row, a filter on
every column and column widths fitted to the text (a CJK character counting two), long
text wrapped. A ``.csv`` is UTF-8 with BOM; the study layout then stacks the sources,
with the source as the first column. A CSV's text cells that a spreadsheet would run as a
formula (starting with ``= + - @``, a tab or a carriage return) are prefixed with ``'``
(:func:`analysis.canonical.formula_safe`, the OWASP rule) unless ``raw_csv`` is set;
:func:`analysis.canonical.read_export` removes the prefix again. An XLSX stores text as
text and needs no prefix.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from . import canonical, config, tables
from .coding_sheets import fit_columns
from .errors import AnalysisError
from .frame import Frame, load_frame
from .outputs import FIXED_TIME, atomic_write_bytes, csv_bytes, fix_zip_times, xlsx_bytes

EXPORT_FORMATS = ("canonical", "study")
EXPORT_SUFFIXES = (".csv", ".xlsx")


def option_error(
    option: str, value: object, choices: tuple[str, ...], what: str = ""
) -> AnalysisError:
    """A bilingual error naming a command-line option, its value and the choices."""
    shown = ", ".join(choices)
    return AnalysisError(
        f"{option} {value}: expected {what or 'one of'} {shown} "
        f"/ {option} {value}：應為{'副檔名' if what else ''} {shown} 之一"
    )


def check_export(path: Path, form: str, language: str) -> None:
    """Raise a bilingual :class:`AnalysisError` naming the option (``--to``,
    ``--format``, ``--language``) whose value cannot be written: ``--to`` must be a file
    name ending in .csv or .xlsx, in an existing folder, and not itself a folder."""
    path = Path(path)
    if path.suffix.lower() not in EXPORT_SUFFIXES:
        raise option_error("--to", path, EXPORT_SUFFIXES, "a file name ending in one of")
    if path.is_dir():
        raise AnalysisError(
            f"--to {path}: is a folder; expected a file name ending in .csv or .xlsx "
            f"/ --to {path}：這是資料夾；應為以 .csv 或 .xlsx 結尾的檔名"
        )
    if not path.absolute().parent.is_dir():
        raise AnalysisError(
            f"--to {path}: the folder {path.absolute().parent} does not exist; expected a file "
            f"in an existing folder / --to {path}：資料夾 {path.absolute().parent} 不存在；"
            "應為既有資料夾中的檔案"
        )
    if form not in EXPORT_FORMATS:
        raise option_error("--format", form, EXPORT_FORMATS)
    if language not in config.LANGUAGES:
        raise option_error("--language", language, config.LANGUAGES)


def study_sheets(
    cases: pd.DataFrame, frame: Frame | None = None, language: str = config.DEFAULT_LANGUAGE
) -> dict[str, pd.DataFrame]:
    """The study's table of each source (:func:`analysis.tables.study_tables`), named by
    the source (by the inventory where a case has none)."""
    frame = frame or load_frame()
    inventory = ", ".join(dict.fromkeys(cases["inventory"].astype(str))) if len(cases) else ""
    return {
        source or inventory or frame.heading("cases", language): table
        for source, table in tables.study_tables(cases, frame, language).items()
    }


def format_workbook(data: bytes) -> bytes:
    """A workbook with every sheet's header bold and frozen, a filter on its columns and
    widths fitted to its text (long text wrapped); fixed metadata, so the same input
    gives the same bytes."""
    from openpyxl import load_workbook
    from openpyxl.styles import Font

    wb = load_workbook(io.BytesIO(data))
    for ws in wb.worksheets:
        rows = [list(r) for r in ws.iter_rows(values_only=True)]
        if not rows:
            continue
        for cell in ws[1]:
            cell.font = Font(bold=True)
        ws.freeze_panes = "A2"
        ws.auto_filter.ref = ws.dimensions
        fit_columns(ws, rows)
        _center_marks(ws, rows)
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    buf = io.BytesIO()
    wb.save(buf)
    return fix_zip_times(buf.getvalue())


def _center_marks(ws, rows: list[list]) -> None:
    """Center the columns that hold only the study's marks (V, –, blank)."""
    from openpyxl.styles import Alignment

    marks = {tables.TICK, tables.NOT_REPORTED_MARK, tables.NOT_TICKED, None}
    for j in range(len(rows[0])):
        if len(rows) > 1 and all((r[j] if j < len(r) else None) in marks for r in rows[1:]):
            for (cell,) in ws.iter_rows(min_col=j + 1, max_col=j + 1):
                cell.alignment = Alignment(horizontal="center")


def write_export(
    cases: pd.DataFrame,
    path: Path,
    form: str = "canonical",
    language: str = config.DEFAULT_LANGUAGE,
    frame: Frame | None = None,
    raw_csv: bool = False,
) -> Path:
    """Write ``cases`` to ``path`` (.csv or .xlsx) in format ``form`` (``canonical`` or
    ``study``; ``language`` applies to the study layout), atomically; a CSV's formula-like
    text is prefixed with ``'`` unless ``raw_csv``."""
    frame = frame or load_frame()
    path = Path(path)
    check_export(path, form, language)
    xlsx = path.suffix.lower() == ".xlsx"
    safe = (lambda table: table) if raw_csv else canonical.formula_safe
    if form == "canonical":
        table = canonical.to_export(cases, frame)
        data = format_workbook(xlsx_bytes({"cases": table})) if xlsx else csv_bytes(safe(table))
    elif xlsx:
        data = format_workbook(xlsx_bytes(study_sheets(cases, frame, language)))
    else:
        data = csv_bytes(safe(tables.sources_with_tables(cases, frame, language)))
    return atomic_write_bytes(path, data)
