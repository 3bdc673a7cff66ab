"""Reading raw inventory files (CSV, XLSX, JSON, JSON Lines) into tables of text cells.

A reader returns every cell as text ('' for an empty cell) together with the row number a
spreadsheet user sees (for JSON, the 1-based record number), so that every later problem
can name its row or record. Nothing is dropped here: a ragged row is reported, not skipped.
"""

from __future__ import annotations

import codecs
import csv
import functools
import io
import json
import os
import re
import stat
import unicodedata
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .errors import InputError, Problem, input_error

#: Encodings tried, in order, to say what a file that fails to decode probably is.
CANDIDATE_ENCODINGS = ("utf-8", "utf-16", "utf-32", "cp950", "big5", "gb18030", "cp1252", "latin-1")
#: Largest raw file read into memory.
MAX_BYTES = 64 * 1024 * 1024
#: Most columns a table may have (header or any row); checked before the cells are built.
MAX_COLUMNS = 2_000
#: Most cells (rows × columns) a table may have; checked before the cells are built.
MAX_CELLS = 5_000_000
#: Most records (data rows below the header, JSON records) a table may have; checked as a
#: CSV is parsed, from an XLSX sheet's cell references, and from a JSON list's length
#: (a load takes about 0.15 ms per row, so this is about 30 s of work).
MAX_ROWS = 200_000
#: Largest cell of delimited text, in characters (a longer one is refused, not truncated).
MAX_CELL_CHARS = 16 * 1024 * 1024
#: Most bytes the parts of an XLSX workbook may expand to, together (read from the zip
#: directory before anything is decompressed).
MAX_XLSX_EXPANDED = 256 * 1024 * 1024


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
    #: readings the report should state (the sheet chosen, merged cells filled, ...)
    notes: list[str] = field(default_factory=list)
    #: XLSX: numbers whose text depends on the cell's format, by (spreadsheet row, column):
    #: (kind, stored value, text read); kind "zeros" (a format that pads with leading zeros)
    #: or "digits" (more digits than a spreadsheet number keeps, 15)
    formatted: dict[tuple[int, str], tuple[str, str, str]] = field(default_factory=dict)


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


@functools.lru_cache(maxsize=65536)
def _rare_cjk(ch: str) -> bool:
    """A CJK character in neither Big5's nor GB2312's first level (their commonest ~5,400
    and ~3,750 characters): rare in real text, frequent in text decoded with the wrong
    CJK codec (GB18030 bytes read as cp950 give ``秷夔机蠶炵苀``)."""
    for codec, low, high in (("cp950", 0xA440, 0xC67E), ("gb2312", 0xB0A1, 0xD7FE)):
        try:
            code = int.from_bytes(ch.encode(codec), "big")
        except UnicodeEncodeError:
            continue
        if low <= code <= high:
            return False
    return True


def _implausibility(text: str) -> int:
    """How unlike real text a decoding looks: control and private-use characters, rare CJK
    characters (:func:`_rare_cjk`), CJK characters glued to Latin letters (``AI給s``: a
    Latin-1 byte read as Big5), and runs of accented Latin characters (``ä¸­``: UTF-8 or
    Big5 bytes read as cp1252)."""
    score, previous = 0, ""
    for ch in text:
        if _is_cjk(ch) and _rare_cjk(ch):
            score += 1
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


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def _bom_encoding(data: bytes) -> str | None:
    """``utf-32`` or ``utf-16`` for a file that starts with that byte-order mark (UTF-32's
    little-endian mark begins with UTF-16's, so it is looked for first)."""
    return next((enc for bom, enc in _BOMS if data.startswith(bom)), None)


def _detect(data: bytes) -> str | None:
    """The most plausible of :data:`CANDIDATE_ENCODINGS` for ``data`` (None if none decodes)."""
    ranked = _ranked(data)
    return ranked[0][2] if ranked else None


def _ranked(data: bytes) -> list[tuple[int, int, str]]:
    """(implausibility, rank, encoding) of every candidate that decodes ``data``, best first."""
    bom = _bom_encoding(data)
    if bom:
        return [(0, 0, bom)]
    # Score only lines with non-ASCII bytes (at most ~200 kB): ASCII decodes alike everywhere.
    sample = b"\n".join(line for line in data.split(b"\n") if not line.isascii())[:200_000]
    found = []
    for rank, enc in enumerate(CANDIDATE_ENCODINGS):
        if enc.startswith("utf-") and enc != "utf-8":  # only with a byte-order mark
            continue
        try:
            data.decode(enc)
        except UnicodeDecodeError:
            continue
        found.append((_implausibility(sample.decode(enc, errors="replace")), rank, enc))
    return sorted(found)


#: Codecs that are not a text file's encoding (they rewrite escapes or domain names).
_NOT_TEXT = {"unicode-escape", "raw-unicode-escape", "idna", "punycode", "undefined", "utf-7"}


def _text_codec(encoding: str, path: Path) -> None:
    """Refuse an unknown codec, or one that is not a text file's encoding (``unicode_escape``
    would turn ``\\x41`` in a cell into ``A``)."""
    try:
        info = codecs.lookup(encoding)
    except LookupError:
        info = None
    if info is None or info.name in _NOT_TEXT or not getattr(info, "_is_text_encoding", True):
        raise _unknown_codec(path, encoding)


def _unknown_codec(path: Path, encoding: str) -> InputError:
    return input_error(
        path,
        None,
        None,
        encoding,
        "a known text encoding such as utf-8, cp950, cp1252",
        "已知的文字編碼（如 utf-8、cp950、cp1252）",
        summary=f"{path}: {encoding!r} is not a text encoding",
    )


def _check_plausible(data: bytes, text: str, enc: str, encoding: str, path: Path) -> None:
    """Refuse a legacy-encoding decode that reads as mojibake when another candidate reads
    cleanly (a GB18030 file declared cp950 decodes, as nonsense)."""
    if enc.startswith("utf") or data.isascii():
        return
    sample = "\n".join(line for line in text.split("\n") if not line.isascii())[:200_000]
    declared = _implausibility(sample)
    ranked = _ranked(data)
    if declared < 3 or not ranked or ranked[0][0] * 4 > declared:
        return
    guess = ranked[0][2]
    if codecs.lookup(guess).name == codecs.lookup(enc).name:
        return
    line = next((n for n, t in enumerate(text.split("\n"), start=1) if _implausibility(t)), 1)
    shown = text.split("\n")[line - 1].rstrip("\r")[:40]
    raise input_error(
        path,
        line,
        None,
        shown,
        f"text in the declared encoding {encoding}: it decodes, but as unlikely characters "
        f"({declared} of them); the bytes read cleanly as {guess} (declare encoding: {guess})",
        f"宣告的編碼 {encoding}：雖可解碼，但出現 {declared} 個不合理的字元；"
        f"檔案以 {guess} 解碼正常（請宣告 encoding: {guess}）",
        summary=f"{path}: declared as {encoding} but reads as {guess}",
    )


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
    _text_codec(encoding, path)
    enc = encoding.lower().replace("_", "-")
    if data.startswith(b"\xef\xbb\xbf") and enc in ("utf-8", "utf8", "utf-8-sig"):
        enc = "utf-8-sig"
    bom = _bom_encoding(data)
    if bom and enc.startswith(bom):
        enc = bom
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
        _check_plausible(data, text, enc, encoding, path)
        return text, enc
    except LookupError as exc:
        raise _unknown_codec(path, encoding) from exc
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


def check_regular_file(path: Path) -> int:
    """The size of ``path``, a regular file (symlinks followed); a directory, device, pipe
    or socket is refused before it is opened (``/dev/zero`` never ends, a pipe blocks)."""
    try:
        info = os.stat(path)
    except OSError as exc:
        raise input_error(
            path, None, None, type(exc).__name__, "an existing, readable file", "存在且可讀取的檔案"
        ) from exc
    if not stat.S_ISREG(info.st_mode):
        kind = (
            "a directory"
            if stat.S_ISDIR(info.st_mode)
            else "a pipe"
            if stat.S_ISFIFO(info.st_mode)
            else "a device or socket"
        )
        raise input_error(
            path,
            None,
            None,
            kind,
            f"a regular file (this path is {kind})",
            "一般檔案（此路徑不是檔案，而是目錄、管線或裝置）",
            summary=f"{path}: not a regular file ({kind})",
        )
    return info.st_size


def _check_size(path: Path, limit: int) -> None:
    """Refuse, before reading a byte, anything but a regular file of at most ``limit``
    bytes (:data:`MAX_BYTES`)."""
    size = check_regular_file(path)
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
    records, start_line, next_line = [], 1, 1  # the physical lines the last record began on
    limit = csv.field_size_limit(MAX_CELL_CHARS)
    cells = 0  # counted as parsed: a long file is refused before its rows are all held
    try:
        for record in reader:
            if len(record) > MAX_COLUMNS:
                raise _too_wide(path, len(records) + 1, len(record))
            cells += len(record)
            if cells > MAX_CELLS + MAX_COLUMNS:  # the header's cells are not counted
                raise _too_many_cells(path, f"more than {len(records)} rows", len(record))
            if len(records) >= MAX_ROWS + header_row:
                raise _too_many_rows(path, f"more than {MAX_ROWS}")
            records.append(record)
            start_line, next_line = next_line, reader.line_num + 1
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            raise _cell_too_long(path, len(records) + 1) from exc
        raise input_error(
            path,
            len(records) + 1,
            None,
            str(exc),
            "delimited text whose quotes are closed on the row they open",
            "引號在同一列內成對關閉的分隔文字",
            summary=f"{path}: unreadable delimited text",
        ) from exc
    finally:
        csv.field_size_limit(limit)
    _check_last_quote(path, text, records, start_line, delimiter, header_row)
    if len(records) < header_row or not any(c.strip() for c in records[header_row - 1]):
        raise _no_header(path, header_row, f"{path}: no header on row {header_row}")
    header = [h.strip() for h in records[header_row - 1]]
    body = records[header_row:]
    # Row numbers: count physical lines so that quoted multi-line cells keep the number a
    # spreadsheet shows (one record, one row).
    rows = list(range(header_row + 1, header_row + 1 + len(body)))
    return _table(path, header, body, rows, used, header_row)


def _too_many_rows(path: Path, rows: str) -> InputError:
    """The error for a table of more than :data:`MAX_ROWS` records (``rows``: how many)."""
    return input_error(
        path,
        None,
        None,
        f"{rows} records",
        f"at most {MAX_ROWS} records (readers.MAX_ROWS): split the file",
        f"不超過 {MAX_ROWS} 筆紀錄（讀取上限 readers.MAX_ROWS）：請分割檔案",
        summary=f"{path}: {rows} records (limit {MAX_ROWS})",
    )


def _too_many_cells(path: Path, rows: str, width: int) -> InputError:
    """The error for a table of more than :data:`MAX_CELLS` cells (``rows``: how many rows,
    in words: ``"12 rows"``, ``"more than 2500000 rows"``)."""
    return input_error(
        path,
        None,
        None,
        f"{rows} × {width} columns",
        f"at most {MAX_CELLS} cells (readers.MAX_CELLS)",
        f"不超過 {MAX_CELLS} 個儲存格（讀取上限 readers.MAX_CELLS）",
        summary=f"{path}: {rows} × {width} columns (limit {MAX_CELLS} cells)",
    )


def _too_wide(path: Path, row: int | None, width: int) -> InputError:
    """The error for a row of more than :data:`MAX_COLUMNS` cells."""
    return input_error(
        path,
        row,
        column_letter(MAX_COLUMNS),
        f"{width} columns",
        f"at most {MAX_COLUMNS} columns (readers.MAX_COLUMNS)",
        f"不超過 {MAX_COLUMNS} 欄（讀取上限 readers.MAX_COLUMNS）",
        summary=f"{path}: {width} columns on row {row} (limit {MAX_COLUMNS})",
    )


def _cell_too_long(path: Path, row: int) -> InputError:
    """The error for a cell longer than :data:`MAX_CELL_CHARS`."""
    return input_error(
        path,
        row,
        None,
        f"a cell of more than {MAX_CELL_CHARS} characters",
        f"cells of at most {MAX_CELL_CHARS} characters (readers.MAX_CELL_CHARS); if the cell "
        "was not meant to be this long, a quote opened on this row is not closed",
        f"每格不超過 {MAX_CELL_CHARS} 個字元（讀取上限 readers.MAX_CELL_CHARS）；"
        "若此格不應如此長，則此列開啟的引號未關閉",
        summary=f"{path}: a cell longer than {MAX_CELL_CHARS} characters on row {row}",
    )


def _check_last_quote(
    path: Path, text: str, records: list, start_line: int, delimiter: str, header_row: int
) -> None:
    """Refuse a last record whose quote, opened in its last cell, is never closed: read
    leniently it swallows every line after it into that cell, so rows are lost without a
    ragged row to show it (a quote opened in an earlier cell leaves the row short: ragged)."""
    header = records[header_row - 1] if len(records) >= header_row else []
    if len(records) <= header_row or '"' not in text or len(records[-1]) != len(header):
        return
    tail = "".join(io.StringIO(text, newline="").readlines()[start_line - 1 :])
    try:
        list(csv.reader(io.StringIO(tail, newline=""), delimiter=delimiter, strict=True))
    except csv.Error as exc:
        if "unexpected end of data" not in str(exc):
            return
    else:
        return
    last, row = records[-1], len(records)
    index = max(len(last) - 1, 0)
    name = header[index].strip()
    lines = tail.count("\n") + 1
    raise input_error(
        path,
        row,
        name or column_letter(index),
        (last[index] if last else "")[:40],
        f"a closed quote: the quote opened in this cell (line {start_line}) is never closed, "
        f"and runs on over {lines} lines to the end of the file",
        f"成對關閉的引號：此格（第 {start_line} 行）開啟的引號直到檔尾都未關閉，延續了 {lines} 行",
        summary=f"{path}: a quote opened on row {row} is never closed",
    )


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
#: Control characters other than tab and line breaks: invisible, and refused by XLSX.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_bad = _CONTROL.search


def _table(
    path: Path,
    header: list[str],
    body: list[list[str]],
    rows: list[int],
    encoding: str | None,
    header_row: int = 1,
) -> RawTable:
    if len(header) > MAX_COLUMNS:
        raise _too_wide(path, header_row or None, len(header))
    if len(header) * len(body) > MAX_CELLS:
        raise _too_many_cells(path, f"{len(body)} rows", len(header))
    if len(body) > MAX_ROWS:
        raise _too_many_rows(path, str(len(body)))
    header, renamed = _unique_header(header)
    width = len(header)
    ragged, blank, kept_rows, kept, controls = [], 0, [], [], []
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
        rec = [_LONE_CR.sub("\n", c) if "\r" in c else c for c in map(str, rec)]
        controls += [f"{header[i] or column_letter(i)} {row}" for i, c in enumerate(rec) if _bad(c)]
        kept.append(rec)
        kept_rows.append(row)
    cells = (
        pd.DataFrame(kept, columns=header, dtype=object)
        if kept
        else pd.DataFrame(columns=header, dtype=object)
    )
    table = RawTable(path, header, cells, kept_rows, encoding, ragged, blank, renamed, header_row)
    if controls:
        shown = ", ".join(controls[:5]) + (f" and {len(controls) - 5} more" if controls[5:] else "")
        table.notes.append(
            f"control characters (U+0000 to U+001F other than tab and line breaks, or U+007F) "
            f"in {len(controls)} cell(s), read as they are: {shown}"
        )
    return table


def read_xlsx(
    path: Path, sheet: str | int | None = None, header_row: int = 1, max_bytes: int = MAX_BYTES
) -> RawTable:
    """Read one sheet of an XLSX workbook; formulas must carry cached values, and no header
    cell may be left empty under merged cells."""
    _check_layout(path, header_row)
    _check_size(path, max_bytes)
    _check_expansion(path)
    name, values, formulas, merges, notes, formats = _read_sheet(path, sheet)
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
    formatted = _formatted_numbers(values, formats, header_row)
    for (r, c), (_, _, shown) in formatted.items():
        body[r - header_row - 1][c] = shown
    rows = list(range(header_row + 1, header_row + 1 + len(body)))
    notes += _merged_data_notes(name, header_row, merges)
    table = _table(path, header, body, rows, None, header_row)
    table.notes = notes + table.notes
    table.formatted = {
        (r, table.columns[c]): found
        for (r, c), found in formatted.items()
        if c < len(table.columns)
    }
    return table


#: A number format that pads an integer with leading zeros (``000000``, ``00000;@``).
_ZERO_PAD = re.compile(r"^(0{2,})(;.*)?$")
#: Digits a spreadsheet number keeps exactly (IEEE double: 15 significant digits).
NUMBER_DIGITS = 15


def _formatted_numbers(
    values: list, formats: dict[tuple[int, int], str], header_row: int
) -> dict[tuple[int, int], tuple[str, str, str]]:
    """Body cells holding a number whose text depends on its format, by (spreadsheet row,
    0-based column): (kind, stored value, text read). A zero-padding format is read as
    shown (``000123``); a number beyond 15 digits as stored (its last digits are lost)."""
    found = {}
    for r, row in enumerate(values[header_row:], start=header_row + 1):
        for c, v in enumerate(row):
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                continue
            if isinstance(v, float) and not v.is_integer():
                continue
            stored = str(int(v))
            digits = len(stored.lstrip("-"))
            if digits > NUMBER_DIGITS:
                found[(r, c)] = ("digits", stored, stored)
                continue
            pad = _ZERO_PAD.match(formats.get((r, c + 1), "") or "")
            if pad and int(v) >= 0 and len(pad.group(1)) > digits:
                found[(r, c)] = ("zeros", stored, stored.zfill(len(pad.group(1))))
    return found


def _check_expansion(path: Path) -> None:
    """Refuse, from the zip directory alone, a workbook that is not a zip archive or whose
    parts expand beyond :data:`MAX_XLSX_EXPANDED` bytes (a "zip bomb")."""
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _not_a_workbook(path, exc) from exc
    total = sum(max(p.file_size, 0) for p in parts)
    if total > MAX_XLSX_EXPANDED:
        largest = max(parts, key=lambda p: p.file_size)
        raise input_error(
            path,
            None,
            None,
            f"{largest.filename}: {largest.file_size} bytes",
            f"a workbook whose parts expand to at most {MAX_XLSX_EXPANDED} bytes "
            f"(readers.MAX_XLSX_EXPANDED); they expand to {total}",
            f"解壓後不超過 {MAX_XLSX_EXPANDED} 位元組的活頁簿"
            f"（讀取上限 readers.MAX_XLSX_EXPANDED）；實為 {total} 位元組",
            summary=f"{path}: expands to {total} bytes (limit {MAX_XLSX_EXPANDED})",
        )


_CELL_REF = re.compile(rb'<(?:\w+:)?c\b[^>]*?\br="([A-Z]{1,3})(\d{1,7})"[^>]*?(/?)>')
_ROW_TAG = re.compile(rb"<(?:\w+:)?row\b(?:[^>]*?\br=\"(\d{1,7})\")?")


def _sheet_extent(path: Path, member: str | None) -> tuple[int, int, str]:
    """(last row, number of columns, reference of the cell furthest out) of the cells a
    sheet's XML actually holds (self-closed, value-less cells ignored); the part is
    streamed. The sheet's own ``<dimension>`` is not trusted: it may be stale."""
    if not member:
        return 0, 0, ""
    last_row = last_col = rows = 0
    far, tail = "", b""
    with zipfile.ZipFile(path) as archive, archive.open(member.lstrip("/")) as part:
        for chunk in iter(lambda: part.read(1 << 20), b""):
            text = tail + chunk
            cut = text.rfind(b"<")
            body, tail = (text[:cut], text[cut:]) if cut > 0 else (text, b"")
            for number in _ROW_TAG.findall(body):  # a row without r="" follows the last
                rows = int(number) if number else rows + 1
            for letters, number, closed in _CELL_REF.findall(body):
                if closed:
                    continue
                col, row = _col_index(letters.decode()) + 1, int(number)
                if col > last_col or row > last_row:
                    far = f"{letters.decode()}{row}"
                last_row, last_col = max(last_row, row), max(last_col, col)
        for number in _ROW_TAG.findall(tail):
            rows = int(number) if number else rows + 1
    return max(last_row, rows), last_col, far


def _check_extent(path: Path, name: str, extent: tuple[int, int, str]) -> None:
    """Refuse, before the cells are built, a sheet wider than :data:`MAX_COLUMNS` or with
    more than :data:`MAX_CELLS` cells in its range (one far cell makes the range huge)."""
    rows, cols, far = extent
    if cols <= MAX_COLUMNS and rows * cols <= MAX_CELLS:
        # A coarse check before any row is built (room for title rows above the header);
        # the exact count of records is checked once the header row is known.
        if rows > MAX_ROWS + 100:
            raise _too_many_rows(path, f"more than {MAX_ROWS} (sheet {name!r}: {rows} rows)")
        return
    raise input_error(
        path,
        int(re.sub(r"\D", "", far) or 0) or None,
        re.sub(r"\d", "", far) or None,
        f"{far} (sheet {name!r}: {rows} rows × {cols} columns)",
        f"a sheet of at most {MAX_COLUMNS} columns and {MAX_CELLS} cells "
        "(readers.MAX_COLUMNS, readers.MAX_CELLS): delete the stray cell or the empty rows "
        "and columns before it",
        f"不超過 {MAX_COLUMNS} 欄、{MAX_CELLS} 格的工作表（讀取上限 readers.MAX_COLUMNS、"
        "readers.MAX_CELLS）：請刪除遠處的儲存格或其前的空白列欄",
        summary=f"{path}: sheet {name!r} reaches {far} ({rows} × {cols} cells)",
    )


def _merged_data_notes(name: str, header_row: int, merges: list) -> list[str]:
    """A note for the merged ranges below the header: only their top-left cell holds the
    value; the cells under it are read as empty (``fill_down`` in a mapping fills them)."""
    below = [m for m in merges if m[3] > header_row]
    if not below:
        return []
    refs = [f"{column_letter(a)}{b}:{column_letter(c)}{d}" for a, b, c, d in below]
    cells = sum((c - a + 1) * (d - b + 1) - 1 for a, b, c, d in below)
    shown = ", ".join(refs[:5]) + (f" and {len(refs) - 5} more" if len(refs) > 5 else "")
    return [
        f"sheet {name!r}: {cells} cell(s) under merged ranges ({shown}) read as empty "
        "(only a range's top-left cell holds its value; fill_down in the mapping fills them)"
    ]


def _read_sheet(
    path: Path, sheet: str | int | None
) -> tuple[str, list, list, list, list, dict[tuple[int, int], str]]:
    """The chosen sheet's name, cell values (cached results of formulas), cell formulas,
    merged ranges, notes and the number formats of numeric cells (by 1-based row and
    column); both workbooks are closed before returning."""
    import openpyxl

    try:
        wb_values = openpyxl.load_workbook(path, data_only=True, read_only=True)
        wb_formulas = openpyxl.load_workbook(path, data_only=False, read_only=True)
    except Exception as exc:  # openpyxl raises many types for a corrupt file
        raise _not_a_workbook(path, exc) from exc
    try:
        hidden = [ws.title for ws in wb_values.worksheets if ws.sheet_state != "visible"]
        name, notes = _sheet_name(path, wb_values.sheetnames, sheet, hidden)
        member = getattr(wb_values[name], "_worksheet_path", None)
        try:
            extent = _sheet_extent(path, member)
            stated = wb_values[name].max_row
        except Exception as exc:  # a damaged sheet part
            raise _unreadable_sheet(path, name, exc) from exc
        _check_extent(path, name, extent)
        if stated and stated != extent[0]:
            notes.append(
                f"sheet {name!r}: its <dimension> says {stated} rows, its cells fill "
                f"{extent[0]}: all {extent[0]} were read"
            )
        try:
            values, formats = _values_and_formats(wb_values[name], extent[0], extent[1])
            formulas = [
                [_unescape(v) for v in r] for r in _rows(wb_formulas[name], extent[0], extent[1])
            ]
            merges = _merged_ranges(path, member)
        except Exception as exc:  # a damaged sheet part
            raise _unreadable_sheet(path, name, exc) from exc
    finally:
        wb_values.close()
        wb_formulas.close()
    return name, values, formulas, merges, notes, formats


def _values_and_formats(ws, rows: int, cols: int) -> tuple[list, dict[tuple[int, int], str]]:
    """Cell values (escapes decoded) and, for numeric cells, their number format."""
    values, formats = [], {}
    if not rows or not cols:
        return values, formats
    ws.reset_dimensions()
    for r, cells in enumerate(
        ws.iter_rows(min_row=1, max_row=rows, min_col=1, max_col=cols), start=1
    ):
        row = []
        for c, cell in enumerate(cells, start=1):
            v = cell.value
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                formats[(r, c)] = getattr(cell, "number_format", None) or "General"
            row.append(_unescape(v))
        values.append(row)
    return values, formats


def _not_a_workbook(path: Path, exc: Exception) -> InputError:
    return input_error(
        path, None, None, type(exc).__name__, "a readable .xlsx workbook", "可讀取的 .xlsx 活頁簿"
    )


def _unreadable_sheet(path: Path, name: str, exc: Exception) -> InputError:
    return input_error(
        path,
        None,
        None,
        type(exc).__name__,
        f"a readable sheet {name!r}",
        f"可讀取的工作表「{name}」",
    )


def _rows(ws, rows: int, cols: int):
    """The sheet's rows 1..``rows``, each ``cols`` wide, whatever its ``<dimension>`` says."""
    if not rows or not cols:
        return iter(())
    ws.reset_dimensions()
    return ws.iter_rows(min_row=1, max_row=rows, min_col=1, max_col=cols, values_only=True)


_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _unescape(value: object) -> object:
    """A string cell with Excel's ``_xHHHH_`` escapes (how XLSX stores control characters)
    decoded; other values as they are."""
    if isinstance(value, str) and "_x" in value:
        return _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), value)
    return value


def _sheet_name(
    path: Path, names: list[str], sheet: str | int | None, hidden: list[str] = ()
) -> tuple[str, list[str]]:
    """The name of the sheet ``sheet`` chooses (the first visible one for None, by 0-based
    index, or by name), with a note when hidden sheets were passed over."""
    if sheet is None:
        visible = [n for n in names if n not in hidden]
        if not visible:
            raise input_error(
                path,
                None,
                "sheet",
                ", ".join(names),
                "a visible sheet, or sheet: naming the one to read (every sheet is hidden)",
                "可見的工作表，或以 sheet: 指定要讀取的工作表（所有工作表皆隱藏）",
            )
        skipped = names[: names.index(visible[0])]
        notes = (
            [f"sheet {visible[0]!r} read: the first visible sheet (hidden before it: {skipped})"]
            if skipped
            else []
        )
        return visible[0], notes
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
        sheet = names[sheet]
    elif sheet not in names:
        raise input_error(
            path, None, None, sheet, f"one of the sheets {names}", f"工作表之一：{names}"
        )
    return sheet, (
        [f"sheet {sheet!r} read as the mapping names it, although it is hidden"]
        if sheet in hidden
        else []
    )


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
    if len(items) > MAX_ROWS:  # before any record is flattened
        raise _too_many_rows(path, str(len(items)))
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


def _too_deep(path: Path, line: int | None = None) -> InputError:
    """Nesting deeper than Python's recursion limit (about 1,000 levels): refused, not a
    crash; a register's records nest a few levels."""
    return InputError(
        [
            Problem(
                str(path),
                line,
                None,
                None,
                "JSON nested less deeply (objects and lists at most about 1,000 levels deep)",
                "巢狀層數較少的 JSON（物件與清單最多約 1,000 層）",
                unit="line",
            )
        ],
        f"{path}: JSON nested too deeply",
    )


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
            except RecursionError:
                raise _too_deep(path, number) from None
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
