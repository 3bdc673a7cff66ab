import io
import math
import os
import re
import xml.etree.ElementTree as ET
import zipfile

import numpy as np
import openpyxl
import pandas as pd
import pytest

from analysis import governance, inventories, outputs
from analysis.errors import AnalysisError


def test_atomic_write_leaves_no_partial_file(tmp_path, monkeypatch):
    target = tmp_path / "t.csv"
    outputs.atomic_write_text(target, "old")

    def boom(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        outputs.atomic_write_text(target, "new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["t.csv"]


def test_csv_has_bom_and_lf():
    data = outputs.csv_bytes(pd.DataFrame({"類別": ["執行"], "n": [1]}))
    assert data == "\ufeff類別,n\n執行,1\n".encode("utf-8")


def test_xlsx_is_byte_identical_and_readable(tmp_path):
    table = pd.DataFrame({"a": ["x", None], "b": [1, 2]})
    first = outputs.xlsx_bytes({"s": table})
    second = outputs.xlsx_bytes({"s": table})
    assert first == second
    for info in zipfile.ZipFile(io.BytesIO(first)).infolist():
        assert info.date_time == (2025, 1, 1, 0, 0, 0)
    path = outputs.write_table(table, tmp_path / "w.xlsx")
    back = pd.read_excel(path)
    assert back["b"].tolist() == [1, 2]
    assert back["a"].isna().tolist() == [False, True]


def test_csv_value_with_carriage_return_round_trips():
    table = pd.DataFrame({"name": ["交通\r違規", "plain"], "n": [1, 2]})
    data = outputs.csv_bytes(table)
    back = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig")
    assert back["name"].tolist() == ["交通\r違規", "plain"] and back["n"].tolist() == [1, 2]
    assert outputs.csv_bytes(table.iloc[[1]]) == "\ufeffname,n\nplain,2\n".encode(
        "utf-8"
    )  # no CR: minimal quoting


# -- XLSX writer -----------------------------------------------------------------------------


def _load(data: bytes):
    return openpyxl.load_workbook(io.BytesIO(data))


def _rows(ws) -> list[tuple]:
    return [tuple(r) for r in ws.iter_rows(values_only=True)]


def _expected(table: pd.DataFrame) -> list[tuple]:
    """What a sheet of ``table`` should read back as through openpyxl: header names, then
    None for missing or empty text, Python bool/int/float, str for the rest."""

    def cell(v):
        if v is None or v is pd.NA or (not isinstance(v, str) and pd.isna(v)) or v == "":
            return None
        if isinstance(v, (bool, np.bool_)):
            return bool(v)
        if isinstance(v, (int, np.integer)):
            return int(v)
        if isinstance(v, (float, np.floating)):
            return float(v) if math.isfinite(v) else str(float(v))
        return str(v)

    rows = [tuple(str(c) for c in table.columns)]
    rows += [tuple(cell(v) for v in row) for row in table.astype(object).itertuples(index=False)]
    return rows


def _same(a: list[tuple], b: list[tuple]) -> None:
    """Equal, with types (True must not read back as 1, nor 3 as "3")."""
    assert len(a) == len(b)
    for ra, rb in zip(a, b):
        assert len(ra) == len(rb) and all(x == y and type(x) is type(y) for x, y in zip(ra, rb)), (
            ra,
            rb,
        )


def _unescape_xstring(text: str) -> str:
    """Decode ECMA-376 ST_Xstring escapes (``_xHHHH_``), as Excel does on reading."""
    return re.sub("_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m.group(1), 16)), text)


@pytest.fixture(scope="module")
def real_tables(frame):
    """Bundled inventories (English, French/European and Traditional Chinese text, NA,
    nullable booleans) with real int and float columns derived from them."""
    out = {}
    for name in ("jrc-ai-watch", "taiwan-public", "study"):
        cases = inventories.cases(name, frame).copy()
        length = cases["description"].str.len()
        cases["description_chars"] = length.fillna(0).astype("int64")  # int64
        cases["description_share"] = length / length.max()  # float64 with NaN
        cases["techniques_n"] = cases["techniques"].str.count(";") + 1  # nullable Int64 with NA
        out[name] = cases
    return out


def test_xlsx_round_trips_bundled_inventories(real_tables):
    data = outputs.xlsx_bytes(real_tables)
    wb = _load(data)
    assert wb.sheetnames == list(real_tables)
    for name, table in real_tables.items():
        _same(_rows(wb[name]), _expected(table))
    study = _rows(wb["study"])
    assert {type(v) for v in study[1][9:15]} == {bool}  # the six flags as boolean cells
    taiwan = _rows(wb["taiwan-public"])
    assert any("\u4e00" <= ch <= "\u9fff" for ch in taiwan[1][3])  # Chinese names kept
    assert taiwan[1][6] is None  # NA category → empty cell
    # pandas reads the same values back
    for name, table in real_tables.items():
        back = pd.read_excel(io.BytesIO(data), sheet_name=name, dtype=object)
        want = pd.DataFrame(_expected(table)[1:], columns=table.columns.astype(str), dtype=object)
        assert back.shape == want.shape
        for col in want.columns:
            assert [None if pd.isna(v) else v for v in back[col]] == [
                None if pd.isna(v) else v for v in want[col]
            ], col
        shares = pd.read_excel(io.BytesIO(data), sheet_name=name)["description_share"]
        np.testing.assert_array_equal(
            shares.to_numpy(), table["description_share"].to_numpy(dtype=float)
        )


def test_xlsx_round_trips_governance_checklist(frame):
    cases = inventories.cases("taiwan-public", frame)
    frameworks = governance.load_all(frame)
    placements = governance.assess(cases, frameworks, "zh-TW")
    table = governance.checklist(cases, placements, frameworks, language="zh-TW")
    sheets = governance.checklist_sheets(table, "zh-TW")
    sheets["counts"] = governance.checklist_counts(table)
    data = outputs.xlsx_bytes(sheets)
    wb = _load(data)
    assert wb.sheetnames == ["checklist", "legend", "counts"]
    for name, sheet in sheets.items():
        _same(_rows(wb[name]), _expected(sheet))
    back = pd.read_excel(io.BytesIO(data), sheet_name="counts")
    pd.testing.assert_frame_equal(
        back, sheets["counts"].astype({"case_id": "int64"}), check_dtype=False
    )


def test_xlsx_several_sheets_and_index(real_tables):
    jrc = real_tables["jrc-ai-watch"].set_index("case_id")
    counts = jrc.groupby(["category", "country"]).size().rename("cases").to_frame()
    wb = _load(outputs.xlsx_bytes({"by case": jrc, "counts": counts}, index=True))
    assert wb.sheetnames == ["by case", "counts"]
    _same(_rows(wb["by case"]), _expected(jrc.reset_index()))
    rows = _rows(wb["counts"])
    assert rows[0] == ("category", "country", "cases")
    _same(rows, _expected(counts.reset_index()))
    # without index=True the index is dropped, as before
    assert _rows(_load(outputs.xlsx_bytes({"s": counts}))["s"])[0] == ("cases",)


def test_xlsx_special_characters_and_control_characters(study):
    names = study["name"].tolist()
    table = pd.DataFrame(
        {
            "a&b <c> \"d\" 'e'": [
                "Tom & Jerry <b>\"x\"</b> 'y'",
                "bell\x07ring",
                "tab\tnew\nline",
                "cr\rlf\r\n",
                "  padded  ",
                "literal _x0041_ and _x00zz_",
                "vt\x0b" + names[0],
                "😀 \ufffe",
            ],
            "n": range(8),
        }
    )
    data = outputs.xlsx_bytes({"s": table})
    with zipfile.ZipFile(io.BytesIO(data)) as zf:  # every part is well-formed XML
        parts = {info.filename: ET.fromstring(zf.read(info.filename)) for info in zf.infolist()}
    ns = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    stored = [
        "".join(t.text or "" for t in si.iter(f"{ns}t")) for si in parts["xl/sharedStrings.xml"]
    ]
    assert "bell_x0007_ring" in stored and "literal _x005F_x0041_ and _x00zz_" in stored
    # decoding the ST_Xstring escapes as Excel does gives back every value and column name
    assert set(table.iloc[:, 0]) | {table.columns[0]} <= {_unescape_xstring(v) for v in stored}
    # through openpyxl (and so pandas): &<>"', tab, LF, CR, padding and the literal "_x0041_"
    # exactly; a character XML cannot carry as its escape
    got = [r[0] for r in _rows(_load(data)["s"])]
    want = [table.columns[0], *table.iloc[:, 0]]
    want[2], want[7], want[8] = "bell_x0007_ring", "vt_x000B_" + names[0], "😀 _xFFFE_"
    assert got == want
    assert pd.read_excel(io.BytesIO(data))["n"].tolist() == list(range(8))


def test_xlsx_numbers_missing_and_infinity():
    stamp = pd.Timestamp("2024-03-01 12:30")
    table = pd.DataFrame(
        {
            "f": [0.1, 1 / 3, -0.0, 1e-300, 2.5e20, float("nan"), float("inf"), -float("inf")],
            "i": pd.array([1, None, 2**53, -7, 0, 3, 4, 5], dtype="Int64"),
            "b": pd.array([True, False, None, True, False, True, False, True], dtype="boolean"),
            "o": [True, 3, 2.5, "x", None, stamp, np.int64(9), ""],
            "big": np.array([2**62, 1, 2, 3, 4, 5, 6, 7], dtype=np.int64),
            "nb": np.array([True, False] * 4),
        }
    )
    rows = _rows(_load(outputs.xlsx_bytes({"s": table}))["s"])
    _same(rows, _expected(table))
    col = [r[0] for r in rows[1:]]
    assert col[:5] == [0.1, 1 / 3, -0.0, 1e-300, 2.5e20] and col[5] is None
    assert col[6:] == ["inf", "-inf"]  # no infinity in Excel: written as text
    assert [r[3] for r in rows[1:]] == [True, 3, 2.5, "x", None, str(stamp), 9, None]


def test_xlsx_empty_tables():
    data = outputs.xlsx_bytes(
        {
            "empty": pd.DataFrame({"a": pd.Series([], dtype="str"), "b": []}),
            "nothing": pd.DataFrame(),
        }
    )
    wb = _load(data)
    assert _rows(wb["empty"]) == [("a", "b")]
    assert wb["nothing"].max_row == 1 and wb["nothing"]["A1"].value is None
    back = pd.read_excel(io.BytesIO(data), sheet_name="empty")
    assert list(back.columns) == ["a", "b"] and len(back) == 0
    with pytest.raises(AnalysisError, match="at least one sheet"):
        outputs.xlsx_bytes({})


def test_xlsx_sheet_names_made_valid_and_distinct():
    t = pd.DataFrame({"a": [1]})
    long = "governance checklist of the us federal 2024 inventory"
    names = _load(
        outputs.xlsx_bytes(
            {
                long: t,
                long + " (zh)": t,
                "a/b:c*d?[e]\\f": t,
                "'q'": t,
                "": t,
                "Cases": t,
                "cases": t,
            }
        )
    ).sheetnames
    assert names == [
        long[:31],
        long[:27] + " (2)",
        "a_b_c_d__e__f",
        "q",
        "Sheet5",
        "Cases",
        "cases (2)",
    ]
    assert all(len(n) <= 31 for n in names)


def test_xlsx_is_byte_identical_across_calls(real_tables):
    first = outputs.xlsx_bytes(real_tables, index=True)
    assert first == outputs.xlsx_bytes({k: v.copy() for k, v in real_tables.items()}, index=True)
    with zipfile.ZipFile(io.BytesIO(first)) as zf:
        assert zf.namelist()[0] == "[Content_Types].xml"
        assert {i.date_time for i in zf.infolist()} == {(2025, 1, 1, 0, 0, 0)}
        assert {i.compress_type for i in zf.infolist()} == {zipfile.ZIP_DEFLATED}
    props = _load(first).properties
    assert props.created == outputs.FIXED_TIME and props.modified == outputs.FIXED_TIME


def test_xlsx_text_too_long_for_a_cell_names_sheet_row_and_column():
    table = pd.DataFrame({"id": ["a", "b"], "text": ["short", "x" * 32_768]})
    with pytest.raises(AnalysisError, match=r"sheet 'long', row 3, column 'text'.*32767"):
        outputs.xlsx_bytes({"long": table})


def test_written_files_take_the_umask_not_mkstemps_private_mode(tmp_path):
    import os
    import stat

    from analysis.outputs import FILE_MODE, atomic_write_text

    mask = os.umask(0o022)
    os.umask(mask)
    path = atomic_write_text(tmp_path / "t.csv", "a\n")
    assert stat.S_IMODE(path.stat().st_mode) == FILE_MODE == 0o666 & ~mask
    if mask == 0o022:
        assert FILE_MODE == 0o644
