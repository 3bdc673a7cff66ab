"""Reading raw files: encodings, repeated headers, ragged rows, XLSX."""

from __future__ import annotations

import pytest

from analysis.errors import InputError
from analysis.readers import read_table

TEXT = "name,agency\nThe agency’s “chatbot” – naïve café,Office of Café Policy\n"
ZH = "案例名稱,機關\n影像辨識(車牌),臺北市政府警察局\n聊天機器人,內政部\n"


def test_cp1252_file_declared_utf8_names_both_encodings(tmp_path):
    path = tmp_path / "register.csv"
    path.write_bytes(TEXT.encode("cp1252"))
    with pytest.raises(InputError) as err:
        read_table(path, encoding="utf-8")
    message = str(err.value)
    assert "register.csv" in message and "utf-8" in message
    assert "decode as cp1252" in message
    assert err.value.problems[0].row == 2  # the first non-ASCII byte is on the data row


def test_big5_file_declared_utf8_suggests_cp950(tmp_path):
    path = tmp_path / "cases.csv"
    path.write_bytes(ZH.encode("cp950"))
    with pytest.raises(InputError) as err:
        read_table(path, encoding="utf-8")
    assert "decode as cp950" in str(err.value)
    table = read_table(path, encoding="cp950")
    assert table.cells["機關"].tolist() == ["臺北市政府警察局", "內政部"]


def test_utf8_file_declared_legacy_encoding_is_an_error(tmp_path):
    path = tmp_path / "cases.csv"
    path.write_bytes(ZH.encode("utf-8"))
    with pytest.raises(InputError) as err:  # cp1252 has undefined bytes: decoding fails
        read_table(path, encoding="cp1252")
    assert "decode as utf-8" in str(err.value) and "cp1252" in str(err.value)
    with pytest.raises(InputError) as err:  # latin-1 decodes any byte: caught as valid UTF-8
        read_table(path, encoding="latin-1")
    assert "UTF-8" in str(err.value) and "latin-1" in str(err.value)


def test_declared_encoding_that_fits_reads_the_text(tmp_path):
    path = tmp_path / "register.csv"
    path.write_bytes(TEXT.encode("cp1252"))
    table = read_table(path, encoding="cp1252")
    assert table.encoding == "cp1252"
    assert table.cells.loc[0, "name"] == "The agency’s “chatbot” – naïve café"
    assert table.rows == [2]


def test_repeated_header_names_are_numbered_and_reported(tmp_path):
    path = tmp_path / "register.csv"
    path.write_text("name,If Other,flag,If Other\nA,x,Yes,y\n", encoding="utf-8")
    table = read_table(path)
    assert table.columns == ["name", "If Other", "flag", "If Other.1"]
    assert table.cells.loc[0, "If Other.1"] == "y"
    assert len(table.renamed) == 1 and "If Other.1" in table.renamed[0]


def test_ragged_row_is_reported_with_its_row(tmp_path):
    path = tmp_path / "register.csv"
    path.write_text("id,name,agency\n1,A,X\n2,B\n3,C,Z,extra\n4,D,W,\n", encoding="utf-8")
    table = read_table(path)
    assert [(p.row, p.value) for p in table.ragged] == [
        (3, 2),
        (4, 4),
    ]  # a trailing empty cell is fine
    assert len(table.cells) == 4


def test_blank_records_are_counted_not_kept(tmp_path):
    path = tmp_path / "register.csv"
    path.write_text("id,name\n1,A\n,\n2,B\n", encoding="utf-8")
    table = read_table(path)
    assert table.blank_rows == 1 and table.rows == [2, 4]


def test_xlsx_sheet_and_header_row(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "cover"
    ws.append(["not the data"])
    data = wb.create_sheet("register")
    data.append(["Register of AI systems"])
    data.append(["Ref", "System"])
    data.append([7, "影像辨識"])
    data.append([8.0, "Chatbot"])
    path = tmp_path / "register.xlsx"
    wb.save(path)
    table = read_table(path, sheet="register", header_row=2)
    assert table.columns == ["Ref", "System"]
    assert table.cells["Ref"].tolist() == ["7", "8"]
    assert table.rows == [3, 4]
    with pytest.raises(InputError, match="register"):
        read_table(path, sheet="missing")
