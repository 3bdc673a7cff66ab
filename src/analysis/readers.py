"""Reading raw inventory files (CSV, XLSX, JSON, JSON Lines) into tables of text cells.

A reader returns every cell as text ('' for an empty cell) together with the row number a
spreadsheet user sees (for JSON, the 1-based record number), so that every later problem
can name its row or record. Nothing is dropped here: a ragged row is reported, not skipped.
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .errors import InputError, Problem, input_error

#: Encodings tried, in order, to say what a file that fails to decode probably is.
CANDIDATE_ENCODINGS = ("utf-8", "utf-16", "cp950", "big5", "cp1252", "latin-1")
#: Largest raw file read into memory.
MAX_BYTES = 64 * 1024 * 1024


@dataclass
class RawTable:
    """Text cells of one file, with spreadsheet row numbers and ragged-row reports."""

    path: Path
    columns: list[str]
    cells: pd.DataFrame  # every value a str
    rows: list[int]  # spreadsheet row number of each record
    encoding: str | None = None
    ragged: list[Problem] = field(default_factory=list)
    blank_rows: int = 0  # completely empty records (counted as read and rejected)
    renamed: list[str] = field(default_factory=list)  # repeated header names made unique
    header_row: int = 1  # spreadsheet row of the column names
    #: what ``rows`` count: spreadsheet rows, or the records of a JSON file
    unit: str = "row"
    #: JSON: record numbers where a field is absent (not even null), by field
    absent: dict[str, list[int]] = field(default_factory=dict)
    #: JSON: record numbers where a field holds an object or a list of objects, by field
    objects: dict[str, list[int]] = field(default_factory=dict)


def _no_header(path: Path, header_row: int, summary: str) -> InputError:
    """The error for a file without column names on its header row."""
    return input_error(
        path,
        header_row,
        None,
        None,
        f"a header (column names) on row {header_row}",
        f"第 {header_row} 列為標題列（欄位名稱）",
        summary=summary,
    )


def _unique_header(header: list[str]) -> tuple[list[str], list[str]]:
    """Repeated column names get ``.1``, ``.2``, ... (as pandas names them), so that a
    mapping can still name each; every renaming is returned for the report."""
    seen: dict[str, int] = {}
    out, renamed = [], []
    taken = set(header)
    for h in header:
        if h and h in seen:
            n = seen[h]
            while f"{h}.{n}" in taken:
                n += 1
            seen[h] = n + 1
            out.append(f"{h}.{n}")
            taken.add(out[-1])
            renamed.append(f"{h!r} repeated: this one is named {out[-1]!r}")
        else:
            seen[h] = 1
            out.append(h)
    return out, renamed


_CJK_RANGES = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF))


def _is_cjk(ch: str) -> bool:
    return any(lo <= ord(ch) <= hi for lo, hi in _CJK_RANGES)


def _implausibility(text: str) -> int:
    """How unlike real text a decoding looks: control and private-use characters, CJK
    characters glued to Latin letters (``AI給s``: a Latin-1 byte read as Big5), and
    runs of accented Latin characters (``ä¸­``: UTF-8 or Big5 bytes read as cp1252)."""
    score, previous = 0, ""
    for ch in text:
        cat = unicodedata.category(ch)
        if (cat == "Cc" and ch not in "\t\n\r") or cat in ("Co", "Cn"):
            score += 1
        if previous and (
            (_is_cjk(ch) and previous.isascii() and previous.isalpha())
            or (_is_cjk(previous) and ch.isascii() and ch.isalpha())
        ):
            score += 1
        if (
            previous
            and not ch.isascii()
            and not previous.isascii()
            and not _is_cjk(ch)
            and not _is_cjk(previous)
            and ch.isalpha()
            and ord(ch) < 0x250
        ):
            score += 1
        previous = ch
    return score


def _detect(data: bytes) -> str | None:
    """The most plausible of :data:`CANDIDATE_ENCODINGS` for ``data`` (None if none decodes)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    # Score only lines with non-ASCII bytes (at most ~200 kB): ASCII decodes alike everywhere.
    sample = b"\n".join(line for line in data.split(b"\n") if not line.isascii())[:200_000]
    best: tuple[int, int, str] | None = None
    for rank, enc in enumerate(CANDIDATE_ENCODINGS):
        if enc == "utf-16":  # only with a byte-order mark: almost any even-length bytes "decode"
            continue
        try:
            data.decode(enc)
        except UnicodeDecodeError:
            continue
        score = (_implausibility(sample.decode(enc, errors="replace")), rank, enc)
        best = score if best is None or score < best else best
    return None if best is None else best[2]


def _looks_utf8(data: bytes) -> bool:
    """True for non-ASCII bytes that are valid UTF-8: such a file is almost surely UTF-8."""
    if data.isascii():
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _locate(data: bytes, offset: int, delimiter: str | None) -> tuple[int, str | None]:
    """Spreadsheet row (line) of byte ``offset`` and, for delimited text, the column it
    falls in: the header's name for it where the header names one, else its letter."""
    row = data[:offset].count(b"\n") + 1
    if not delimiter:
        return row, None
    start = data.rfind(b"\n", 0, offset) + 1
    index = data[start:offset].decode("latin-1").count(delimiter)
    header = data[: data.find(b"\n") if b"\n" in data else len(data)].decode(
        "utf-8", errors="replace"
    )
    names = [h.strip() for h in header.rstrip("\r").split(delimiter)]
    if row > 1 and index < len(names) and names[index] and "\ufffd" not in names[index]:
        return row, names[index]
    return row, column_letter(index)


def decode(data: bytes, encoding: str, path: Path, delimiter: str | None = None) -> tuple[str, str]:
    """Decode ``data`` with the declared encoding; a BOM is honoured. On failure the
    error names the byte offset, its row (and column, given the ``delimiter``) and the
    encoding that would have worked."""
    enc = encoding.lower().replace("_", "-")
    if data.startswith(b"\xef\xbb\xbf") and enc in ("utf-8", "utf8", "utf-8-sig"):
        enc = "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) and enc.startswith("utf-16"):
        enc = "utf-16"
    try:
        text = data.decode(enc)
        if not enc.startswith("utf") and _looks_utf8(data):
            position = next(i for i, b in enumerate(data) if b > 127)
            raise input_error(
                path,
                *_locate(data, position, delimiter),
                data[position : position + 4],
                f"text in the declared encoding {encoding}, "
                "but the file is valid UTF-8 (declare encoding: utf-8)",
                f"宣告的編碼 {encoding}，但檔案是有效的 UTF-8（請宣告 encoding: utf-8）",
                summary=f"{path}: declared as {encoding} but the bytes are UTF-8",
            )
        return text, enc
    except LookupError as exc:
        raise input_error(
            path,
            None,
            None,
            encoding,
            "a known text encoding such as utf-8, cp950, cp1252",
            "已知的文字編碼（如 utf-8、cp950、cp1252）",
        ) from exc
    except UnicodeDecodeError as exc:
        guess = _detect(data)
        hint = f"; the bytes decode as {guess}" if guess else ""
        zh_hint = f"；檔案可用 {guess} 解碼" if guess else ""
        if guess == "utf-16":  # Excel's "Unicode text" export: UTF-16 with a BOM, tab-separated
            hint += (
                " (a UTF-16 text export, as Excel writes it: "
                "declare encoding: utf-16 and format: tsv)"
            )
            zh_hint += "（Excel 匯出的 UTF-16 文字檔：請宣告 encoding: utf-16 與 format: tsv）"
        location = (
            (data[: exc.start].count(b"\n") + 1, None)
            if guess == "utf-16"
            else _locate(data, exc.start, delimiter)
        )
        raise input_error(
            path,
            *location,
            data[exc.start : exc.start + 4],
            f"text in the declared encoding {encoding} (decoding failed at byte {exc.start}{hint})",
            f"宣告的編碼 {encoding}（第 {exc.start} 位元組解碼失敗{zh_hint}）",
            summary=f"{path}: cannot decode as {encoding}{hint}",
        ) from exc


def _check_size(path: Path, limit: int) -> None:
    """Refuse, before reading a byte, a file larger than ``limit`` (:data:`MAX_BYTES`)."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise input_error(
            path, None, None, None, "an existing, readable file", "存在且可讀取的檔案"
        ) from exc
    if size > limit:
        mb = f"{limit / 2**20:g} MB"
        raise input_error(
            path,
            None,
            None,
            f"{size} bytes",
            f"a file of at most {mb} ({limit} bytes, the reader's limit readers.MAX_BYTES): "
            "split the file, or pass a larger max_bytes",
            f"不超過 {mb}（{limit} 位元組，讀取上限 readers.MAX_BYTES）的檔案："
            "請分割檔案或提高 max_bytes",
            summary=f"{path}: file too large ({size} bytes; limit {limit})",
        )


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise input_error(
            path, None, None, type(exc).__name__, "an existing, readable file", "存在且可讀取的檔案"
        ) from exc


def read_csv(
    path: Path,
    encoding: str = "utf-8",
    delimiter: str = ",",
    header_row: int = 1,
    max_bytes: int = MAX_BYTES,
) -> RawTable:
    """Read a delimited text file. ``header_row`` is the 1-based line of the header.

    A file with a header and no data rows is a table of 0 rows (not an error); a file with
    no header at all is an error."""
    _check_layout(path, header_row, delimiter)
    _check_size(path, max_bytes)
    data = _read_bytes(path)
    text, used = decode(data, encoding, path, delimiter)
    if not text.strip():
        raise input_error(
            path,
            header_row,
            None,
            "",
            f"a header row (column names) on row {header_row}; the file is empty",
            f"第 {header_row} 列為標題列（欄位名稱）；檔案是空的",
            summary=f"{path}: the file is empty",
        )
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records = []
    try:
        for record in reader:
            records.append(record)
    except csv.Error as exc:  # e.g. a field longer than csv.field_size_limit(): an unclosed quote
        raise input_error(
            path,
            len(records) + 1,
            None,
            str(exc),
            "delimited text whose quotes are closed on the row they open "
            "(a quote opened here may run on to the end of the file)",
            "引號在同一列內成對關閉的分隔文字（此列開啟的引號可能一直延續到檔尾）",
            summary=f"{path}: unreadable delimited text",
        ) from exc
    if len(records) < header_row or not any(c.strip() for c in records[header_row - 1]):
        raise _no_header(path, header_row, f"{path}: no header on row {header_row}")
    header = [h.strip() for h in records[header_row - 1]]
    body = records[header_row:]
    # Row numbers: count physical lines so that quoted multi-line cells keep the number a
    # spreadsheet shows (one record, one row).
    rows = list(range(header_row + 1, header_row + 1 + len(body)))
    return _table(path, header, body, rows, used, header_row)


def _check_layout(path: Path, header_row: object, delimiter: object = ",") -> None:
    """``header_row`` a spreadsheet row (1, 2, ...); ``delimiter`` one character."""
    if isinstance(header_row, bool) or not isinstance(header_row, int) or header_row < 1:
        raise input_error(
            path,
            None,
            "header_row",
            header_row,
            "a spreadsheet row number: 1, 2, ...",
            "試算表列號：1、2…",
            summary=f"{path}: invalid header_row {header_row!r}",
        )
    if not isinstance(delimiter, str) or len(delimiter) != 1 or delimiter in '\r\n"':
        raise input_error(
            path,
            None,
            "delimiter",
            delimiter,
            "one character such as , ; or a tab",
            "單一字元（如 , ; 或 tab）",
            summary=f"{path}: invalid delimiter {delimiter!r}",
        )


_LONE_CR = re.compile(r"\r(?!\n)")


def _table(
    path: Path,
    header: list[str],
    body: list[list[str]],
    rows: list[int],
    encoding: str | None,
    header_row: int = 1,
) -> RawTable:
    header, renamed = _unique_header(header)
    width = len(header)
    ragged, blank, kept_rows, kept = [], 0, [], []
    for row, rec in zip(rows, body):
        if not any(str(c).strip() for c in rec):
            blank += 1
            continue
        if len(rec) != width:
            extra = [c for c in rec[width:] if str(c).strip()]
            if len(rec) > width and not extra:
                rec = rec[:width]
            else:
                # Name the first column without a cell (short row) or the first surplus cell.
                first = (
                    len(rec)
                    if len(rec) < width
                    else width + next(i for i, c in enumerate(rec[width:]) if str(c).strip())
                )
                column = header[first] if first < width and header[first] else column_letter(first)
                quote = any("\n" in str(c) for c in rec)
                hint = (
                    (
                        " (a cell here spans several lines: "
                        "a quote opened in this row may not be closed)"
                    )
                    if quote
                    else ""
                )
                zh_hint = "（此列有跨多行的儲存格：此列開啟的引號可能未關閉）" if quote else ""
                ragged.append(
                    Problem(
                        str(path),
                        row,
                        column,
                        len(rec),
                        f"{width} cells as in the header (found {len(rec)}){hint}",
                        f"與標題相同的 {width} 個儲存格（實有 {len(rec)} 個）{zh_hint}",
                    )
                )
                rec = (list(rec) + [""] * width)[:width]
        # A lone carriage return inside a cell (an old Mac line break) becomes a line feed:
        # written back to CSV unquoted, it would split the record.
        kept.append([_LONE_CR.sub("\n", c) if "\r" in c else c for c in map(str, rec)])
        kept_rows.append(row)
    cells = (
        pd.DataFrame(kept, columns=header, dtype=object)
        if kept
        else pd.DataFrame(columns=header, dtype=object)
    )
    return RawTable(path, header, cells, kept_rows, encoding, ragged, blank, renamed, header_row)


def read_xlsx(
    path: Path, sheet: str | int | None = None, header_row: int = 1, max_bytes: int = MAX_BYTES
) -> RawTable:
    """Read one sheet of an XLSX workbook; formulas must carry cached values, and no header
    cell may be left empty under merged cells."""
    _check_layout(path, header_row)
    _check_size(path, max_bytes)
    name, values, formulas, merges = _read_sheet(path, sheet)
    if len(values) < header_row or all(v is None for v in values[header_row - 1]):
        raise _no_header(
            path, header_row, f"{path}: no header on row {header_row} of sheet {name!r}"
        )
    problems = _uncached_formulas(path, values, formulas)
    if problems:
        raise InputError(problems, f"{path}: {len(problems)} formula cell(s) without values")
    header_cells = values[header_row - 1]
    problems = _empty_merged_header_cells(path, header_cells, header_row, merges)
    if problems:
        raise InputError(
            problems, f"{path}: {len(problems)} header cell(s) empty under merged cells"
        )
    header = ["" if h is None else str(h).strip() for h in header_cells]
    while header and header[-1] == "":
        header.pop()
    body = [["" if v is None else _cell_text(v) for v in row] for row in values[header_row:]]
    rows = list(range(header_row + 1, header_row + 1 + len(body)))
    return _table(path, header, body, rows, None, header_row)


def _read_sheet(path: Path, sheet: str | int | None) -> tuple[str, list, list, list]:
    """The chosen sheet's name, cell values (cached results of formulas), cell formulas and
    merged ranges; both workbooks are closed before returning."""
    import openpyxl

    try:
        wb_values = openpyxl.load_workbook(path, data_only=True, read_only=True)
        wb_formulas = openpyxl.load_workbook(path, data_only=False, read_only=True)
    except Exception as exc:  # openpyxl raises many types for a corrupt file
        raise input_error(
            path,
            None,
            None,
            type(exc).__name__,
            "a readable .xlsx workbook",
            "可讀取的 .xlsx 活頁簿",
        ) from exc
    try:
        name = _sheet_name(path, wb_values.sheetnames, sheet)
        try:
            values = [list(r) for r in wb_values[name].iter_rows(values_only=True)]
            formulas = [list(r) for r in wb_formulas[name].iter_rows(values_only=True)]
            merges = _merged_ranges(path, getattr(wb_values[name], "_worksheet_path", None))
        except Exception as exc:  # a damaged sheet part
            raise input_error(
                path,
                None,
                None,
                type(exc).__name__,
                f"a readable sheet {name!r}",
                f"可讀取的工作表「{name}」",
            ) from exc
    finally:
        wb_values.close()
        wb_formulas.close()
    return name, values, formulas, merges


def _sheet_name(path: Path, names: list[str], sheet: str | int | None) -> str:
    """The name of the sheet ``sheet`` chooses: the first (None), by 0-based index, or by name."""
    if sheet is None:
        return names[0]
    if isinstance(sheet, int) and not isinstance(sheet, bool):
        if not 0 <= sheet < len(names):
            raise input_error(
                path,
                None,
                None,
                sheet,
                f"a sheet index below {len(names)}",
                f"小於 {len(names)} 的工作表序號",
            )
        return names[sheet]
    if sheet not in names:
        raise input_error(
            path, None, None, sheet, f"one of the sheets {names}", f"工作表之一：{names}"
        )
    return sheet


def _uncached_formulas(path: Path, values: list, formulas: list) -> list[Problem]:
    """A problem for every formula cell whose workbook holds no computed value."""
    problems = []
    for r, (vrow, frow) in enumerate(zip(values, formulas), start=1):
        for c, (v, f) in enumerate(zip(vrow, frow)):
            if v is None and isinstance(f, str) and f.startswith("="):
                problems.append(
                    Problem(
                        str(path),
                        r,
                        column_letter(c),
                        f,
                        "a value (the formula has no cached result: "
                        "open and save the file in Excel, or paste values)",
                        "數值（公式沒有計算結果：請以 Excel 開啟並存檔，或貼上值）",
                    )
                )
    return problems


def _empty_merged_header_cells(
    path: Path, header_cells: list, header_row: int, merges: list[tuple[int, int, int, int]]
) -> list[Problem]:
    """A problem for every header cell left empty under a merged range (only the range's
    top-left cell holds the merged text)."""
    problems = []
    for first_col, first_row, last_col, last_row in merges:
        if not first_row <= header_row <= last_row:
            continue
        ref = f"{column_letter(first_col)}{first_row}:{column_letter(last_col)}{last_row}"
        for c in range(first_col, last_col + 1):
            if (c, header_row) == (first_col, first_row):
                continue
            if c >= len(header_cells) or header_cells[c] is None:
                cell = f"{column_letter(c)}{header_row}"
                problems.append(
                    Problem(
                        str(path),
                        header_row,
                        column_letter(c),
                        ref,
                        f"a column name in every header cell: {cell} lies under the merged cells "
                        f"{ref} and is empty (unmerge the header and name each column)",
                        f"每個標題儲存格都有欄位名稱：{cell} 位於合併儲存格 {ref} 之下而為空白"
                        "（請取消合併並為每一欄命名）",
                    )
                )
    return problems


_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\b[^>]*?\bref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"')


def _merged_ranges(path: Path, member: str | None) -> list[tuple[int, int, int, int]]:
    """Merged ranges of a sheet as (first column index, first row, last column index, last
    row), read from the sheet's XML (openpyxl's read-only mode does not parse them); the
    part is streamed, never held whole."""
    if not member:
        return []
    found, tail = [], b""
    with zipfile.ZipFile(path) as archive, archive.open(member.lstrip("/")) as part:
        for chunk in iter(lambda: part.read(1 << 20), b""):
            text = tail + chunk
            cut = text.rfind(b"<")  # a tag may straddle two chunks: keep the last one open
            found += _MERGE.findall(text[:cut] if cut > 0 else text)
            tail = text[cut:] if cut > 0 else b""
        found += _MERGE.findall(tail)
    return [
        (_col_index(a), int(b), _col_index(c or a), int(d or b))
        for a, b, c, d in ((x.decode(), y.decode(), z.decode(), w.decode()) for x, y, z, w in found)
    ]


def _col_index(letters: str) -> int:
    index = 0
    for ch in letters:
        index = index * 26 + ord(ch) - 64
    return index - 1


def _cell_text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def column_letter(index: int) -> str:
    """Spreadsheet column letters of a 0-based column index (0 → A, 26 → AA)."""
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


# -- JSON and JSON Lines ------------------------------------------------------------------------
#: Separator of the items of a JSON list read into one cell (``list_join`` in a mapping).
LIST_JOIN = "; "


def read_json(
    path: Path,
    records: str | None = None,
    encoding: str = "utf-8",
    list_join: str = LIST_JOIN,
    lines: bool = False,
    max_bytes: int = MAX_BYTES,
) -> RawTable:
    """Read the records of a JSON file (or, with ``lines``, a JSON Lines file) into a table.

    ``records`` is the dotted path to the list of records (``data.algorithms``); without it
    the top level must be that list. A nested field is a column named by its dotted path
    (``organisation.name``); a list of scalars is one cell, its items joined with
    ``list_join``, and so is each field of a list of objects (``authorities.name``).
    Numbers keep their written form. A record is numbered from 1 as it stands in the list."""
    _check_size(path, max_bytes)
    text, used = decode(_read_bytes(path), encoding, path)
    data = _json_lines(path, text) if lines else _json_document(path, text)
    items = data if lines else _records_at(path, data, records)
    header: dict[str, None] = {}
    flat: list[dict[str, str]] = []
    objects: dict[str, list[int]] = {}
    present: Counter[str] = Counter()  # records holding each field
    problems, blank, rows = [], 0, []
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            problems.append(
                Problem(
                    str(path),
                    number,
                    None,
                    _json_text(item)[:60],
                    "an object (a record with named fields)",
                    "物件（含具名欄位的一筆記錄）",
                    unit="record",
                )
            )
        if not isinstance(item, dict) or not item:  # no fields: read, and rejected
            blank += 1
            continue
        leaves: dict[str, list[str]] = {}
        containers: set[str] = set()
        try:
            _flatten(item, "", leaves, containers)
        except RecursionError:
            raise _too_deep(path) from None
        for name in containers:
            objects.setdefault(name, []).append(number)
        for name in leaves:
            header.setdefault(name, None)
        present.update(leaves.keys())
        flat.append({k: list_join.join(v for v in vs if v != "") for k, vs in leaves.items()})
        rows.append(number)
    columns = list(header)
    absent: dict[str, list[int]] = {}
    for name in (c for c in columns if present[c] < len(flat)):
        absent[name] = [row for record, row in zip(flat, rows) if name not in record]
    body = [[record.get(name, "") for name in columns] for record in flat]
    table = _table(path, columns, body, rows, used, header_row=0)
    kept = set(table.rows)  # a record of nulls only is a blank row, read and rejected
    table.blank_rows += blank
    table.ragged = problems + table.ragged
    table.unit = "record"
    table.absent = {k: [r for r in v if r in kept] for k, v in absent.items()}
    table.objects = {k: [r for r in v if r in kept] for k, v in objects.items()}
    return table


def _too_deep(path: Path) -> InputError:
    return input_error(path, None, None, None, "JSON nested less deeply", "巢狀層數較少的 JSON")


def _json_text(value: object) -> str:
    """A JSON value as its cell text: a string as it is, null as '', true/false and numbers
    as written."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _flatten(value: object, prefix: str, leaves: dict, containers: set) -> None:
    """The leaves of a JSON value by dotted path; the paths holding an object or a list of
    objects are collected in ``containers``."""
    if isinstance(value, dict):
        if prefix:
            containers.add(prefix)
        for key, item in value.items():
            _flatten(item, f"{prefix}.{key}" if prefix else str(key), leaves, containers)
    elif isinstance(value, list):
        if not value:  # an empty list: the field is there, and blank
            leaves.setdefault(prefix, [])
        for item in value:
            _flatten(item, prefix, leaves, containers)
    else:
        leaves.setdefault(prefix, []).append(_json_text(value))


def _json_error(path: Path, exc: json.JSONDecodeError, line_offset: int = 0) -> InputError:
    line = exc.lineno + line_offset
    text_lines = exc.doc.splitlines()
    snippet = text_lines[exc.lineno - 1][:60] if exc.lineno <= len(text_lines) else ""
    return InputError(
        [
            Problem(
                str(path),
                line,
                None,
                snippet,
                f"well-formed JSON ({exc.msg} at line {line}, column {exc.colno})",
                f"格式正確的 JSON（第 {line} 行第 {exc.colno} 字元：{exc.msg}）",
                unit="line",
            )
        ],
        f"{path}: malformed JSON at line {line}, column {exc.colno}",
    )


def _json_document(path: Path, text: str) -> object:
    try:
        return json.loads(text, parse_float=str, parse_int=str)
    except json.JSONDecodeError as exc:
        raise _json_error(path, exc) from None
    except RecursionError:
        raise _too_deep(path) from None


def _json_lines(path: Path, text: str) -> list:
    """The values of a JSON Lines file, one per non-blank line."""
    values = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            try:
                values.append(json.loads(line, parse_float=str, parse_int=str))
            except json.JSONDecodeError as exc:
                raise _json_error(path, exc, number - 1) from None
    return values


def _shape(value: object) -> str:
    if isinstance(value, dict):
        return f"an object with the keys {sorted(map(str, value))[:20]}"
    if isinstance(value, list):
        return f"a list of {len(value)}"
    return f"a {type(value).__name__} value" if value is not None else "null"


def _lists_within(value: object, prefix: str = "", depth: int = 3) -> list[str]:
    """Dotted paths (at most ``depth`` keys down) that hold a list of objects."""
    found = []
    if isinstance(value, dict) and depth:
        for key, item in value.items():
            here = f"{prefix}.{key}" if prefix else str(key)
            if isinstance(item, list) and item and all(isinstance(i, dict) for i in item):
                found.append(f"{here} ({len(item)} objects)")
            else:
                found += _lists_within(item, here, depth - 1)
    return found


def _records_at(path: Path, data: object, records: str | None) -> list:
    """The list of records at the dotted path ``records`` (or the top level)."""
    node, walked = data, []
    for step in records.split(".") if records else []:
        if not isinstance(node, dict) or step not in node:
            where = ".".join(walked) or "the top level"
            where_zh = ".".join(walked) or "最上層"
            keys = sorted(map(str, node)) if isinstance(node, dict) else []
            raise input_error(
                path,
                None,
                None,
                records,
                f"records: a path to the list of records: {step!r} is not a key of {where} "
                f"({_shape(node) if not keys else f'keys there: {keys[:30]}'})",
                f"records: 指向記錄清單的路徑：{where_zh} 沒有鍵「{step}」"
                f"（{'現有的鍵：' + '、'.join(keys[:30]) if keys else '該處不是物件'}）",
                summary=f"{path}: no records at {records!r}",
            )
        node = node[step]
        walked.append(step)
    if isinstance(node, list):
        return node
    where = f"records: {records}" if records else "the top level"
    where_zh = f"records: {records}" if records else "最上層"
    lists = _lists_within(node)
    hint = f"; lists of objects found at: {', '.join(lists)}" if lists else ""
    zh_hint = f"；物件清單位於：{'、'.join(lists)}" if lists else ""
    raise input_error(
        path,
        None,
        None,
        records,
        f"a list of records at {where}, found {_shape(node)} "
        f"(set records: to the dotted path of the list{hint})",
        f"{where_zh} 為記錄清單（請將 records: 設為清單的點號路徑{zh_hint}）",
        summary=f"{path}: no list of records at {where}",
    )


def read_table(
    path: Path,
    format: str | None = None,
    encoding: str = "utf-8",
    delimiter: str = ",",
    header_row: int = 1,
    sheet: str | int | None = None,
    max_bytes: int = MAX_BYTES,
    records: str | None = None,
    list_join: str = LIST_JOIN,
) -> RawTable:
    """Read a CSV/TSV, XLSX, JSON or JSON Lines file, chosen by ``format`` or by the file's
    extension (``records`` and ``list_join``: JSON only, see :func:`read_json`)."""
    fmt = (format or path.suffix.lstrip(".")).lower()
    if fmt in ("json", "jsonl", "ndjson"):
        return read_json(
            path, records, encoding, list_join, lines=fmt != "json", max_bytes=max_bytes
        )
    if fmt in ("xlsx", "xlsm"):
        return read_xlsx(path, sheet=sheet, header_row=header_row, max_bytes=max_bytes)
    if fmt in ("csv", "txt"):
        return read_csv(
            path, encoding=encoding, delimiter=delimiter, header_row=header_row, max_bytes=max_bytes
        )
    if fmt == "tsv":
        return read_csv(
            path, encoding=encoding, delimiter="\t", header_row=header_row, max_bytes=max_bytes
        )
    raise input_error(
        path,
        None,
        None,
        fmt,
        "a .csv, .tsv, .xlsx, .json or .jsonl file (or declare format:)",
        ".csv、.tsv、.xlsx、.json 或 .jsonl 檔案（或宣告 format:）",
    )
