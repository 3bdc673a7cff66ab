"""Writing result files atomically and deterministically.

Every table, figure and report goes through here: the bytes are written to a temporary
file beside the target and renamed into place, so an interrupted run never leaves a
half-written file that looks complete.
"""
from __future__ import annotations

import datetime as _dt
import io
import os
import tempfile
from pathlib import Path

import pandas as pd

#: Fixed timestamp written into XLSX document properties so reruns are byte-identical.
FIXED_TIME = _dt.datetime(2025, 1, 1)


def atomic_write_bytes(path: Path, data: bytes) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
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


def csv_bytes(table: pd.DataFrame, index: bool = False) -> bytes:
    """CSV as UTF-8 with BOM (so Excel opens Traditional Chinese correctly), LF line ends.

    A value holding a carriage return is not quoted by the minimal quoting when rows end in
    LF, and would read back as two rows; a table with such a value has every text value
    quoted instead."""
    import csv
    has_cr = any(table[c].astype(str).str.contains("\r", regex=False).any()
                 for c in table.columns if not pd.api.types.is_numeric_dtype(table[c]))
    quoting = csv.QUOTE_NONNUMERIC if has_cr else csv.QUOTE_MINIMAL
    return table.to_csv(index=index, lineterminator="\n", quoting=quoting).encode("utf-8-sig")


def xlsx_bytes(sheets: dict[str, pd.DataFrame], index: bool = False) -> bytes:
    """An XLSX workbook with fixed document metadata (byte-identical reruns)."""
    from openpyxl import Workbook
    wb = Workbook()
    wb.remove(wb.active)
    for name, table in sheets.items():
        ws = wb.create_sheet(title=name[:31])
        frame = table.reset_index() if index else table
        ws.append([str(c) for c in frame.columns])
        for row in frame.itertuples(index=False):
            ws.append([None if pd.isna(v) else (v if isinstance(v, (int, float, bool)) else str(v)) for v in row])
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    buf = io.BytesIO()
    wb.save(buf)
    return _fix_zip_times(buf.getvalue())


def _fix_zip_times(data: bytes) -> bytes:
    """Rewrite an XLSX (zip) archive with fixed member timestamps and a fixed
    ``dcterms:modified`` (openpyxl stamps the save time there)."""
    import re
    import zipfile
    stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)", rb"\g<1>" + stamp + rb"\g<2>", body)
            dst.writestr(fixed, body)
    return out.getvalue()


def write_table(table: pd.DataFrame, path: Path, index: bool = False) -> Path:
    """Write a table as .csv (UTF-8 with BOM) or .xlsx, chosen by the extension."""
    path = Path(path)
    if path.suffix.lower() == ".xlsx":
        return atomic_write_bytes(path, xlsx_bytes({"cases": table}, index=index))
    return atomic_write_bytes(path, csv_bytes(table, index=index))
