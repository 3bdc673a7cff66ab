"""Writing result files atomically and deterministically.

Every table, figure and report goes through here: the bytes are written to a temporary
file beside the target and renamed into place, so an interrupted run never leaves a
half-written file that looks complete.
"""

from __future__ import annotations

import datetime as _dt
import functools
import io
import itertools
import math
import os
import re
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

from . import lazy
from .errors import AnalysisError
from .readers import column_letter

# imported when a table is first written: writing a report's state needs neither
np = lazy.module("numpy")
pd = lazy.module("pandas")

#: Fixed timestamp written into XLSX document properties so reruns are byte-identical.
FIXED_TIME = _dt.datetime(2025, 1, 1)


def _umask() -> int:
    """The process's umask (read once: setting it to read it is not thread-safe)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


#: Mode of every file written: what ``open`` would give under the user's umask (0644 under
#: 022), not mkstemp's private 0600, so colleagues and a web server can read reports.
FILE_MODE = 0o666 & ~_umask()


def atomic_write_bytes(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (a temporary file, then a rename), with the
    mode of :data:`FILE_MODE`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, FILE_MODE)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def atomic_write_text(path: Path, text: str, encoding: str = "utf-8") -> Path:
    return atomic_write_bytes(path, text.encode(encoding))


def _holds(column: pd.Series, text: str) -> bool:
    """Whether any cell of ``column``, written as text, contains ``text`` (Arrow text is
    searched where it is held; a missing cell, written empty, contains nothing)."""
    if isinstance(column.dtype, pd.StringDtype) and column.dtype.storage == "pyarrow":
        import pyarrow.compute as pc

        return bool(pc.any(pc.match_substring(column.array.__arrow_array__(), text)).as_py())
    return bool(column.astype(str).str.contains(text, regex=False).any())


def csv_bytes(table: pd.DataFrame, index: bool = False) -> bytes:
    """CSV as UTF-8 with BOM (so Excel opens Traditional Chinese correctly), LF line ends.

    A value holding a carriage return is not quoted by the minimal quoting when rows end in
    LF, and would read back as two rows; a table with such a value has every text value
    quoted instead."""
    import csv

    has_cr = any(
        _holds(column, "\r")
        for _, column in table.items()
        if not pd.api.types.is_numeric_dtype(column)
    )
    quoting = csv.QUOTE_NONNUMERIC if has_cr else csv.QUOTE_MINIMAL
    return table.to_csv(index=index, lineterminator="\n", quoting=quoting).encode("utf-8-sig")


# -- XLSX ------------------------------------------------------------------------------------
# A small, direct SpreadsheetML writer. openpyxl builds a Python object per cell and took 16 s
# for a 99,107 x 15 checklist; here each worksheet's XML is built column by column (pandas
# factorize for text, numpy for numbers, one f-string per non-empty cell) and the rows are
# joined once.

#: Excel's limits: rows and columns per sheet, characters per cell, characters per sheet name.
XLSX_MAX_ROWS, XLSX_MAX_COLUMNS, XLSX_MAX_CELL_CHARS, XLSX_MAX_SHEET_NAME = (
    1_048_576,
    16_384,
    32_767,
    31,
)
_XLSX_CHUNK = 65_536  # rows converted at a time (bounds the memory held in cell fragments)

_NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_STYLES = (
    f'{_DECL}<styleSheet xmlns="{_NS_MAIN}">'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    "</fonts>"
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
    "</cellStyleXfs>"
    '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)
#: Characters XML 1.0 cannot carry (C0 controls other than tab, LF, CR; surrogates; U+FFFE/F).
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
#: An underscore that starts a literal ``_xHHHH_`` (it would otherwise be read as an escape).
_XSTRING_LITERAL = re.compile("_(?=x[0-9A-Fa-f]{4}_)")
_SHEET_NAME_BAD = re.compile("[\\[\\]:*?/\\\\\x00-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_text(value: str) -> str:
    """``value`` as SpreadsheetML text (ECMA-376 ST_Xstring) inside an XML element or attribute.

    A character XML 1.0 cannot carry (a C0 control other than tab, LF and CR; a lone
    surrogate; U+FFFE/U+FFFF) becomes ``_xHHHH_``, as Excel itself stores them, instead of
    making the file unreadable; a literal ``_xHHHH_`` gets its underscore written as
    ``_x005F_`` so it is not taken for one. Excel decodes both on reading; openpyxl (and so
    ``pandas.read_excel``) undoes only the ``_x005F_`` and returns a control character as
    its ``_xHHHH_`` text. ``& < > " '`` become entities and a carriage return ``&#13;``, so
    that XML line-end normalisation does not turn it into a line feed."""
    if "_x" in value:
        value = _XSTRING_LITERAL.sub("_x005F_", value)
    value = _XML_ILLEGAL.sub(lambda m: f"_x{ord(m.group()):04X}_", value)
    return (
        value.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&apos;")
        .replace("\r", "&#13;")
    )


def _sheet_names(names) -> list[str]:
    """Valid, distinct (case-insensitively, as Excel compares them) sheet names: ``[]:*?/\\``
    and control characters replaced by ``_``, no leading or trailing apostrophe, at most 31
    characters; an empty name becomes ``Sheet<n>``, a repeated one gets `` (2)``, `` (3)``..."""
    used: set[str] = set()
    out = []
    for i, raw in enumerate(names, start=1):
        base = _SHEET_NAME_BAD.sub("_", str(raw)).strip("'")[:XLSX_MAX_SHEET_NAME].strip("'")
        if not base:
            base = f"Sheet{i}"
        if base.lower() == "history":  # reserved by Excel
            base += "_"
        name, k = base, 1
        while name.lower() in used:
            k += 1
            suffix = f" ({k})"
            name = base[: XLSX_MAX_SHEET_NAME - len(suffix)] + suffix
        used.add(name.lower())
        out.append(name)
    return out


class _SharedStrings:
    """The workbook's shared-string table, in order of first use."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}
        self.count = 0  # cells referring to the table

    def ids(self, values) -> list[str]:
        index = self.index
        return [str(index.setdefault(v, len(index))) for v in values]

    def xml(self) -> bytes:
        parts = [
            f'{_DECL}<sst xmlns="{_NS_MAIN}" count="{self.count}" uniqueCount="{len(self.index)}">'
        ]
        for value in self.index:
            space = ' xml:space="preserve"' if value != value.strip() else ""
            parts.append(f"<si><t{space}>{_xml_text(value)}</t></si>")
        parts.append("</sst>")
        return "".join(parts).encode("utf-8")


def _number_text(values: np.ndarray) -> list[str]:
    """Numbers as the shortest text that reads back to the same double (``repr``)."""
    if values.dtype.kind in "iu":
        return values.astype(str).tolist()
    return list(map(repr, values.astype(np.float64).tolist()))


def _classify(values: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Per value of an object array with no missing values: kind (``n``, ``b``, ``s`` or
    empty) and text (number text, ``1``/``0``, or the string)."""
    kinds, texts = [], []
    for v in values:
        if isinstance(v, (bool, np.bool_)):
            kinds.append("b")
            texts.append("1" if v else "0")
        elif isinstance(v, (int, np.integer)):
            kinds.append("n")
            texts.append(str(int(v)))
        elif isinstance(v, (float, np.floating)) and math.isfinite(v):
            kinds.append("n")
            texts.append(repr(float(v)))
        else:  # text, and ±inf as its text "inf" / "-inf"
            s = str(v)
            kinds.append("s" if s else "")
            texts.append(s)
    return np.asarray(kinds, dtype=object), texts


class _ColumnCells:
    """The ``<c>`` elements of one column being built (one per row, ``""`` for an empty cell)."""

    def __init__(
        self, n: int, letter: str, rows: list[str], sst: _SharedStrings, where: Callable[[int], str]
    ) -> None:
        self.out = [""] * n
        self.head = f'<c r="{letter}'
        self.rows = rows
        self.sst = sst
        self.where = where

    def put(self, positions, texts, kind: str) -> None:
        """Cells of ``kind`` (``n``, ``b`` or ``s``) holding ``texts`` at ``positions``."""
        t = {"n": "", "b": ' t="b"', "s": ' t="s"'}[kind]
        head, rows, out = self.head, self.rows, self.out
        for i, text in zip(
            positions.tolist() if isinstance(positions, np.ndarray) else positions, texts
        ):
            out[i] = f'{head}{rows[i]}"{t}><v>{text}</v></c>'

    def put_strings(self, positions: np.ndarray, values) -> None:
        """Shared-string cells: ``values`` are str (or missing, skipped) at ``positions``,
        factorized so that each distinct text is looked up, checked and escaped once."""
        codes, uniques = pd.factorize(
            values
            if isinstance(values, pd.api.extensions.ExtensionArray)
            else np.asarray(values, dtype=object)
        )
        uniques = [str(u) for u in uniques]
        long = [k for k, u in enumerate(uniques) if len(u) > XLSX_MAX_CELL_CHARS]
        if long:
            i = int(positions[int(np.flatnonzero(codes == long[0])[0])])
            raise AnalysisError(
                f"{self.where(i)}: text of {len(uniques[long[0]])} characters; "
                f"an Excel cell holds at most {XLSX_MAX_CELL_CHARS}"
            )
        keep = np.asarray([u != "" for u in uniques] + [False], dtype=bool)[codes]  # -1: missing
        ids = np.asarray(self.sst.ids(uniques), dtype=object)[codes[keep]]
        self.sst.count += len(ids)
        self.put(positions[keep], ids.tolist(), "s")

    def put_numbers(self, positions: np.ndarray, values: np.ndarray) -> None:
        """Boolean or number cells from a numpy array; ±inf is written as its text, like
        ``str(v)`` and the CSV."""
        if values.dtype.kind == "b":
            self.put(positions, np.where(values, "1", "0").tolist(), "b")
            return
        if values.dtype.kind != "f":
            self.put(positions, _number_text(values), "n")
            return
        finite = np.isfinite(values)
        self.put(positions[finite], _number_text(values[finite]), "n")
        if not finite.all():
            self.put_strings(
                positions[~finite], ["inf" if v > 0 else "-inf" for v in values[~finite]]
            )

    def put_mixed(self, positions: np.ndarray, values: np.ndarray) -> None:
        """Cells of an object array value by value: numbers, booleans, ``str()`` of the rest."""
        kinds, texts = _classify(values)
        for k in ("n", "b"):
            sel = np.flatnonzero(kinds == k)
            self.put(positions[sel], [texts[i] for i in sel], k)
        sel = np.flatnonzero(kinds == "s")
        if len(sel):
            self.put_strings(positions[sel], [texts[i] for i in sel])


def _column_cells(
    col: pd.Series, letter: str, rows: list[str], sst: _SharedStrings, where: Callable[[int], str]
) -> list[str]:
    """The ``<c>`` elements of one column (one per row, ``""`` for an empty cell)."""
    cells = _ColumnCells(len(col), letter, rows, sst, where)
    present = np.flatnonzero(~col.isna().to_numpy(dtype=bool))
    if not len(present):
        return cells.out
    dtype = col.dtype
    kind = dtype.kind if isinstance(dtype, np.dtype) else None
    if kind in ("b", "i", "u", "f"):
        cells.put_numbers(present, col.to_numpy()[present])
    elif isinstance(dtype, pd.StringDtype):
        cells.put_strings(np.arange(len(col)), col.array)
    elif kind == "O" and pd.api.types.infer_dtype(col, skipna=True) in ("string", "empty"):
        cells.put_strings(present, col.to_numpy()[present])
    elif isinstance(dtype, pd.api.extensions.ExtensionDtype) and dtype.kind in "biuf":
        # nullable booleans and numbers
        cells.put_numbers(present, col.array[present].to_numpy(dtype=dtype.numpy_dtype))
    else:  # mixed object, datetimes, categories, ...: value by value, str() for anything else
        cells.put_mixed(present, col.to_numpy(dtype=object)[present])
    return cells.out


def _cell_place(sheet: str, first: int, name: str, i: int) -> str:
    """Where the ``i``-th cell of a block starting at spreadsheet row ``first`` is, in words."""
    return f"sheet {sheet!r}, row {first + i}, column {name!r}"


def _worksheet_xml(frame: pd.DataFrame, sheet: str, sst: _SharedStrings) -> bytes:
    n, m = frame.shape
    if n + 1 > XLSX_MAX_ROWS or m > XLSX_MAX_COLUMNS:
        raise AnalysisError(
            f"sheet {sheet!r}: {n} rows and {m} columns do not fit an Excel sheet "
            f"(at most {XLSX_MAX_ROWS - 1} rows below the header, "
            f"{XLSX_MAX_COLUMNS} columns)"
        )
    letters = [column_letter(j) for j in range(m)]
    names = [str(c) for c in frame.columns]
    ref = f"A1:{letters[-1]}{n + 1}" if m else "A1"
    parts = [f'{_DECL}<worksheet xmlns="{_NS_MAIN}"><dimension ref="{ref}"/><sheetData>']
    header = pd.DataFrame([names], columns=range(m), dtype=object)
    for start in [None, *range(0, n, _XLSX_CHUNK)]:
        if start is None:  # the header row: column names as text
            block, first = header, 1
        else:
            block, first = frame.iloc[start : start + _XLSX_CHUNK], start + 2
        rows = [str(r) for r in range(first, first + len(block))]
        columns = []
        for j in range(m):
            col = block.iloc[:, j]
            where = functools.partial(_cell_place, sheet, first, names[j])
            columns.append(_column_cells(col, letters[j], rows, sst, where))
        heads = [f'<row r="{r}">' for r in rows]
        parts.append("".join(map("".join, zip(heads, *columns, itertools.repeat("</row>")))))
    parts.append("</sheetData></worksheet>")
    return "".join(parts).encode("utf-8")


def xlsx_bytes(sheets: dict[str, pd.DataFrame], index: bool = False) -> bytes:
    """An XLSX workbook, one sheet per table, byte-identical for identical input.

    Row 1 holds the column names as text. A missing value (None, NaN, NA, NaT) or an empty
    string is an empty cell; ``bool`` (also numpy and nullable) is a boolean cell; int and
    finite float (Python, numpy, nullable) are number cells, floats written with ``repr`` so
    they read back exactly; ``inf``/``-inf`` are written as the text ``inf``/``-inf`` (Excel
    has no infinity, and this is what ``str`` and the CSV give); anything else is ``str(v)``
    in the shared-string table. Text is escaped as ECMA-376 ST_Xstring (see
    :func:`_xml_text`): characters XML cannot carry become ``_xHHHH_`` (Excel shows the
    character; openpyxl/pandas return the escape text), a literal ``_xHHHH_`` is protected
    as ``_x005F_xHHHH_``, and a carriage return survives. Sheet names are made valid for Excel (see
    :func:`_sheet_names`). Text longer than an Excel cell allows, or a table larger than a
    sheet, raises :class:`AnalysisError` naming the sheet (and row and column).
    Document properties carry :data:`FIXED_TIME`; zip members are stamped with it too."""
    if not sheets:
        raise AnalysisError("an XLSX workbook needs at least one sheet; none was given")
    names = _sheet_names(sheets.keys())
    sst = _SharedStrings()
    worksheets = [
        _worksheet_xml(table.reset_index() if index else table, name, sst)
        for name, table in zip(names, sheets.values())
    ]
    stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ")
    k = len(names)
    members = {
        "[Content_Types].xml": (
            f'{_DECL}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels"'
            ' ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{_CT}.sheet.main+xml"/>'
            + "".join(
                f'<Override PartName="/xl/worksheets/sheet{i}.xml"'
                f' ContentType="{_CT}.worksheet+xml"/>'
                for i in range(1, k + 1)
            )
            + f'<Override PartName="/xl/styles.xml" ContentType="{_CT}.styles+xml"/>'
            f'<Override PartName="/xl/sharedStrings.xml" ContentType="{_CT}.sharedStrings+xml"/>'
            '<Override PartName="/docProps/core.xml"'
            ' ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
            '<Override PartName="/docProps/app.xml"'
            ' ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>'
            "</Types>"
        ),
        "_rels/.rels": (
            f'{_DECL}<Relationships xmlns="{_NS_PKG_REL}">'
            f'<Relationship Id="rId1" Type="{_NS_REL}/officeDocument" Target="xl/workbook.xml"/>'
            '<Relationship Id="rId2"'
            f' Type="{_NS_PKG_REL}/metadata/core-properties"'
            ' Target="docProps/core.xml"/>'
            f'<Relationship Id="rId3" Type="{_NS_REL}/extended-properties"'
            ' Target="docProps/app.xml"/>'
            "</Relationships>"
        ),
        "docProps/core.xml": (
            f"{_DECL}<cp:coreProperties"
            ' xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties"'
            ' xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/"'
            ' xmlns:dcmitype="http://purl.org/dc/dcmitype/"'
            ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            f'<dcterms:created xsi:type="dcterms:W3CDTF">{stamp}</dcterms:created>'
            f'<dcterms:modified xsi:type="dcterms:W3CDTF">{stamp}</dcterms:modified>'
            "</cp:coreProperties>"
        ),
        "docProps/app.xml": (
            f"{_DECL}<Properties"
            ' xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
            "<Application>analysis</Application></Properties>"
        ),
        "xl/workbook.xml": (
            f'{_DECL}<workbook xmlns="{_NS_MAIN}" xmlns:r="{_NS_REL}">'
            '<bookViews><workbookView activeTab="0"/></bookViews><sheets>'
            + "".join(
                f'<sheet name="{_xml_text(name)}" sheetId="{i}" r:id="rId{i}"/>'
                for i, name in enumerate(names, start=1)
            )
            + "</sheets></workbook>"
        ),
        "xl/_rels/workbook.xml.rels": (
            f'{_DECL}<Relationships xmlns="{_NS_PKG_REL}">'
            + "".join(
                f'<Relationship Id="rId{i}" Type="{_NS_REL}/worksheet"'
                f' Target="worksheets/sheet{i}.xml"/>'
                for i in range(1, k + 1)
            )
            + f'<Relationship Id="rId{k + 1}" Type="{_NS_REL}/styles" Target="styles.xml"/>'
            f'<Relationship Id="rId{k + 2}" Type="{_NS_REL}/sharedStrings"'
            ' Target="sharedStrings.xml"/>'
            "</Relationships>"
        ),
        "xl/styles.xml": _STYLES,
    }
    members.update(
        {f"xl/worksheets/sheet{i}.xml": body for i, body in enumerate(worksheets, start=1)}
    )
    members["xl/sharedStrings.xml"] = sst.xml()
    return _zip_fixed(members)


def _zip_fixed(members: dict[str, str | bytes]) -> bytes:
    """A deflated zip of ``members`` (in the given order) with fixed timestamps and attributes."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, body in members.items():
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o600 << 16
            zf.writestr(info, body.encode("utf-8") if isinstance(body, str) else body)
    return out.getvalue()


def fix_zip_times(data: bytes) -> bytes:
    """Rewrite an XLSX (zip) archive written by openpyxl with fixed member timestamps and a
    fixed ``dcterms:modified`` (openpyxl stamps the save time there)."""
    stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    src = zipfile.ZipFile(io.BytesIO(data))
    members = {info.filename: src.read(info.filename) for info in src.infolist()}
    if "docProps/core.xml" in members:
        members["docProps/core.xml"] = re.sub(
            rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
            rb"\g<1>" + stamp + rb"\g<2>",
            members["docProps/core.xml"],
        )
    return _zip_fixed(members)


def write_table(table: pd.DataFrame, path: Path, index: bool = False) -> Path:
    """Write a table as .csv (UTF-8 with BOM) or .xlsx, chosen by the extension."""
    path = Path(path)
    if path.suffix.lower() == ".xlsx":
        return atomic_write_bytes(path, xlsx_bytes({"cases": table}, index=index))
    return atomic_write_bytes(path, csv_bytes(table, index=index))
