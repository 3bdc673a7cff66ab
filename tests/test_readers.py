"""Reading raw files: encodings, repeated headers, ragged rows, XLSX."""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis.errors import InputError
from analysis.readers import (
    MAX_CELL_CHARS,
    MAX_COLUMNS,
    MAX_XLSX_EXPANDED,
    read_table,
)

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


# -- JSON and JSON Lines (synthetic registers written in each test) ---------------------------
NESTED = """{
  "meta": {"source": "Synthetic algorithm register", "count": 4},
  "data": {
    "algorithms": [
      {"id": 101, "name": "Parking camera", "organisation": {"name": "Transport", "code": "T"},
       "techniques": ["computer vision", "machine learning"], "score": 0.50,
       "authorities": [{"name": "City", "role": "owner"}, {"name": "Region", "role": "user"}]},
      {"id": 102, "name": "Helpdesk bot", "organisation": {"name": "Customer service"},
       "techniques": [], "score": null, "authorities": []},
      {},
      {"id": 104, "name": "HR rota", "public": false}
    ]
  }
}
"""


def test_json_records_under_a_path_become_rows_of_dotted_columns(tmp_path):
    path = tmp_path / "register.json"
    path.write_text(NESTED, encoding="utf-8")
    table = read_table(path, records="data.algorithms")
    assert table.unit == "record" and table.rows == [1, 2, 4]  # record 3 is empty
    assert table.blank_rows == 1
    assert table.columns == [
        "id",
        "name",
        "organisation.name",
        "organisation.code",
        "techniques",
        "score",
        "authorities.name",
        "authorities.role",
        "authorities",
        "public",
    ]
    cells = table.cells
    assert cells["id"].tolist() == ["101", "102", "104"]
    assert cells["score"].tolist() == ["0.50", "", ""]  # numbers as written, null blank
    assert cells["techniques"].tolist() == ["computer vision; machine learning", "", ""]
    assert cells["authorities.name"].tolist() == ["City; Region", "", ""]
    assert cells["public"].tolist() == ["", "", "false"]
    assert table.absent["organisation.code"] == [2, 4]
    assert table.absent["public"] == [1, 2]
    assert table.objects == {"organisation": [1, 2], "authorities": [1]}


def test_json_lists_are_joined_with_the_separator_asked_for(tmp_path):
    path = tmp_path / "register.json"
    path.write_text(NESTED, encoding="utf-8")
    table = read_table(path, records="data.algorithms", list_join="\n")
    assert table.cells.loc[0, "techniques"] == "computer vision\nmachine learning"


def test_json_lines_number_each_record_by_its_place(tmp_path):
    path = tmp_path / "register.jsonl"
    path.write_text('{"id": "A"}\n\n{"id": "B", "x": {"y": 1}}\n', encoding="utf-8")
    table = read_table(path)
    assert table.cells.to_dict("list") == {"id": ["A", "B"], "x.y": ["", "1"]}
    assert table.rows == [1, 2] and table.absent == {"x.y": [1]}


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [('{"data": [1, 2,,]}', 1, 16), ('[\n  {"id": 1},\n  {"id": 2\n]', 4, 1)],
)
def test_malformed_json_names_line_and_column(tmp_path, text, line, column):
    path = tmp_path / "register.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_table(path)
    (problem,) = err.value.problems
    assert (problem.row, problem.unit) == (line, "line")
    assert f"at line {line}, column {column}" in problem.expected
    assert f"第 {line} 行" in str(err.value) and "格式正確的 JSON" in str(err.value)


def test_a_malformed_json_line_names_its_line(tmp_path):
    path = tmp_path / "register.jsonl"
    path.write_text('{"id": 1}\n{"id": 2}\n{"id": 3\n', encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_table(path)
    assert err.value.problems[0].row == 3 and "line 3" in str(err.value)


def test_a_records_path_that_leads_nowhere_lists_the_keys_there(tmp_path):
    path = tmp_path / "register.json"
    path.write_text(NESTED, encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_table(path, records="data.algorithm")
    (problem,) = err.value.problems
    assert problem.value == "data.algorithm"
    assert "'algorithm' is not a key of data (keys there: ['algorithms'])" in problem.expected
    with pytest.raises(InputError) as err:  # no records path: the lists of objects are named
        read_table(path)
    assert "found an object with the keys ['data', 'meta']" in str(err.value)
    assert "data.algorithms (4 objects)" in str(err.value)
    with pytest.raises(InputError) as err:
        read_table(path, records="meta.count")
    assert "found a str value" in str(err.value)


def test_a_record_that_is_not_an_object_is_a_problem_naming_the_record(tmp_path):
    path = tmp_path / "register.json"
    path.write_text('[{"id": 1}, "loose text", {"id": 3}]', encoding="utf-8")
    table = read_table(path)
    assert table.rows == [1, 3] and table.blank_rows == 1
    (problem,) = table.ragged
    assert (problem.row, problem.value, problem.unit) == (2, "loose text", "record")
    assert "record 2" in problem.describe() and "第 2 筆" in problem.describe()


def test_a_json_file_above_the_limit_is_refused_unread(tmp_path):
    path = tmp_path / "register.json"
    path.write_text('[{"id": 1}]' + " " * 2000, encoding="utf-8")
    with pytest.raises(InputError, match="too large"):
        read_table(path, max_bytes=1000)


def test_json_nested_beyond_the_recursion_limit_is_an_input_error(tmp_path):
    path = tmp_path / "register.json"
    path.write_text("[" + '{"a": ' * 5000 + "1" + "}" * 5000 + "]", encoding="utf-8")
    with pytest.raises(InputError, match="nested less deeply"):
        read_table(path)


def test_a_record_of_nulls_only_is_a_blank_record(tmp_path):
    path = tmp_path / "register.json"
    path.write_text('[{"id": null, "x": null}, {"id": "B"}]', encoding="utf-8")
    table = read_table(path)
    assert table.rows == [2] and table.blank_rows == 1
    assert table.absent == {"x": [2]}


# -- hostile files: refused before the work, or read with a note --------------------------------
def _workbook(build) -> bytes:
    """The bytes of a workbook that ``build(workbook)`` fills."""
    import io

    from openpyxl import Workbook

    wb = Workbook()
    build(wb)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _rewrite_part(data: bytes, member: str, change) -> bytes:
    """The workbook ``data`` with one part's bytes passed through ``change``."""
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            part = src.read(info.filename)
            dst.writestr(info.filename, change(part) if info.filename == member else part)
    return out.getvalue()


def _cases(ws, n: int) -> None:
    ws.append(["id", "name"])
    for i in range(1, n + 1):
        ws.append([f"R-{i}", f"case {i}"])


SHEET = "xl/worksheets/sheet1.xml"


def test_a_directory_a_pipe_and_a_device_are_refused_before_opening(tmp_path):
    import os

    fifo = tmp_path / "cases.csv"
    os.mkfifo(fifo)  # opening it for reading would block until a writer came
    for path, kind in (
        (tmp_path, "a directory"),
        (fifo, "a pipe"),
        (Path("/dev/zero"), "a device"),
    ):
        with pytest.raises(InputError) as err:
            read_table(path, format="csv")
        problem = err.value.problems[0]
        assert problem.file == str(path) and problem.value.startswith(kind)
        assert "a regular file" in problem.expected and "一般檔案" in problem.expected_zh


def test_a_workbook_expanding_beyond_the_limit_is_refused_from_its_zip_directory(tmp_path):
    import zipfile

    path = tmp_path / "bomb.xlsx"
    path.write_bytes(_workbook(lambda wb: _cases(wb.active, 1)))
    with (
        zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive,
        archive.open("xl/media/padding.bin", "w", force_zip64=True) as part,
    ):
        for _ in range(MAX_XLSX_EXPANDED // 2**20 + 1):  # 1 MB of zeros at a time
            part.write(bytes(2**20))
    assert path.stat().st_size < 2**20  # a small file ...
    with pytest.raises(InputError) as err:  # ... refused without decompressing it
        read_table(path)
    problem = err.value.problems[0]
    assert problem.value == f"xl/media/padding.bin: {MAX_XLSX_EXPANDED + 2**20} bytes"
    assert "readers.MAX_XLSX_EXPANDED" in problem.expected and "解壓後" in problem.expected_zh


def test_one_far_cell_is_refused_before_the_sheet_is_built(tmp_path):
    path = tmp_path / "far.xlsx"
    far = b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    path.write_bytes(
        _rewrite_part(
            _workbook(lambda wb: _cases(wb.active, 1)),
            SHEET,
            lambda xml: xml.replace(b"</sheetData>", far + b"</sheetData>"),
        )
    )
    with pytest.raises(InputError) as err:
        read_table(path)
    problem = err.value.problems[0]
    assert (problem.row, problem.column) == (1048576, "XFD")
    assert problem.value == "XFD1048576 (sheet 'Sheet': 1048576 rows × 16384 columns)"
    assert f"at most {MAX_COLUMNS} columns" in problem.expected


def test_a_stale_dimension_does_not_hide_rows(tmp_path):
    import re

    path = tmp_path / "stale.xlsx"
    path.write_bytes(
        _rewrite_part(
            _workbook(lambda wb: _cases(wb.active, 10)),
            SHEET,
            lambda xml: re.sub(rb"<dimension [^>]*>", b'<dimension ref="A1:B4"/>', xml),
        )
    )
    table = read_table(path)
    assert table.cells["id"].tolist() == [f"R-{i}" for i in range(1, 11)]
    assert table.rows == list(range(2, 12))
    assert table.notes == [
        "sheet 'Sheet': its <dimension> says 4 rows, its cells fill 11: all 11 were read"
    ]


def test_the_first_visible_sheet_is_read_and_hidden_ones_passed_over_are_noted(tmp_path):
    def build(wb):
        old = wb.active
        old.title = "old"
        old.append(["id", "name"])
        old.append(["OLD-1", "superseded"])
        old.sheet_state = "hidden"
        _cases(wb.create_sheet("cases"), 2)

    path = tmp_path / "hidden.xlsx"
    path.write_bytes(_workbook(build))
    table = read_table(path)
    assert table.cells["id"].tolist() == ["R-1", "R-2"]
    assert table.notes == [
        "sheet 'cases' read: the first visible sheet (hidden before it: ['old'])"
    ]
    assert read_table(path, sheet="old").cells["id"].tolist() == ["OLD-1"]  # named: read


def test_cells_under_a_vertical_merge_stay_empty_with_a_note(tmp_path):
    def build(wb):
        _cases(wb.active, 4)
        wb.active["B3"], wb.active["B4"] = None, None
        wb.active.merge_cells("B2:B4")

    path = tmp_path / "merged.xlsx"
    path.write_bytes(_workbook(build))
    table = read_table(path)
    assert table.cells["name"].tolist() == ["case 1", "", "", "case 4"]
    assert table.notes == [
        "sheet 'Sheet': 2 cell(s) under merged ranges (B2:B4) read as empty (only a range's "
        "top-left cell holds its value; fill_down in the mapping fills them)"
    ]


def test_xlsx_escapes_of_control_characters_are_decoded_and_noted(tmp_path):
    path = tmp_path / "bell.xlsx"
    path.write_bytes(
        _rewrite_part(
            _workbook(
                lambda wb: (wb.active.append(["id", "name"]), wb.active.append(["R-1", "ring"]))
            ),
            SHEET,
            lambda xml: xml.replace(b">ring<", b">ring_x0007_bell _x005F_x0041_<"),
        )
    )
    table = read_table(path)
    assert table.cells["name"].tolist() == ["ring\x07bell _x0041_"]  # _x005F_ escapes "_"
    assert table.notes == [
        "control characters (U+0000 to U+001F other than tab and line breaks, or U+007F) "
        "in 1 cell(s), read as they are: name 2"
    ]


def test_too_many_columns_are_refused_naming_the_row(tmp_path):
    path = tmp_path / "wide.csv"
    width = MAX_COLUMNS + 1
    path.write_text(",".join(f"c{i}" for i in range(width)) + "\n" + "x," * (width - 1) + "x\n")
    with pytest.raises(InputError) as err:
        read_table(path)
    problem = err.value.problems[0]
    assert (problem.row, problem.value) == (1, f"{width} columns")
    assert "readers.MAX_COLUMNS" in problem.expected and "讀取上限" in problem.expected_zh


def test_a_quote_never_closed_in_the_last_column_is_an_error_not_lost_rows(tmp_path):
    lines = ["id,name,note"] + [f"R-{i},case {i},note {i}" for i in range(1, 11)]
    lines[4] = 'R-4,case 4,"note 4'  # the quote swallows
    path = tmp_path / "quote.csv"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError) as err:
        read_table(path)
    problem = err.value.problems[0]
    assert (problem.row, problem.column, problem.value) == (
        5,
        "note",
        "note 4\nR-5,case 5,note 5\nR-6,case 6,note",  # the cell's first 40 characters
    )
    assert "never closed" in problem.expected and "line 5" in problem.expected
    assert "未關閉" in problem.expected_zh


def test_a_long_quoted_cell_reads_and_one_beyond_the_limit_names_the_limit(tmp_path):
    path = tmp_path / "long.csv"
    path.write_text('id,name\nR-1,"' + "x" * (10 * 2**20) + '"\nR-2,ok\n')
    table = read_table(path)
    assert (
        table.cells["id"].tolist() == ["R-1", "R-2"] and len(table.cells["name"][0]) == 10 * 2**20
    )
    path.write_text('id,name\nR-1,ok\nR-2,"' + "x" * (MAX_CELL_CHARS + 1) + '"\n')
    with pytest.raises(InputError) as err:
        read_table(path)
    problem = err.value.problems[0]
    assert problem.row == 3 and "readers.MAX_CELL_CHARS" in problem.expected


SIMPLIFIED = "名称,机关\n智能客服,市政府\n语音识别,交通局\n智能审批系统,深圳市政务服务数据管理局\n"


def test_gb18030_bytes_declared_cp950_are_refused_as_mojibake(tmp_path):
    path = tmp_path / "gb.csv"
    path.write_bytes(SIMPLIFIED.encode("gb18030"))
    assert SIMPLIFIED.encode("gb18030").decode("cp950")  # the bytes do decode, as nonsense
    with pytest.raises(InputError) as err:
        read_table(path, encoding="cp950")
    problem = err.value.problems[0]
    assert (problem.row, problem.value) == (2, "秷夔諦督,庈淉葬")
    assert "declare encoding: gb18030" in problem.expected and "gb18030" in problem.expected_zh
    assert read_table(path, encoding="gb18030").cells["机关"].tolist()[0] == "市政府"


@pytest.mark.parametrize(
    ("data", "named"),
    [
        (SIMPLIFIED.encode("gb18030"), "gb18030"),
        ("名稱,機關\n聊天機器人,內政部\n".encode("utf-32"), "utf-32"),
        ("名稱,機關\n聊天機器人,內政部\n".encode("utf-16"), "utf-16"),
    ],
)
def test_the_encoding_hint_names_the_codec_that_fits(tmp_path, data, named):
    path = tmp_path / "cases.csv"
    path.write_bytes(data)
    with pytest.raises(InputError) as err:
        read_table(path, encoding="utf-8")
    assert f"the bytes decode as {named}" in err.value.problems[0].expected
    assert read_table(path, encoding=named).cells.shape[0] >= 1


@pytest.mark.parametrize("codec", ["unicode_escape", "raw_unicode_escape", "idna", "base64"])
def test_codecs_that_are_not_text_encodings_are_refused(tmp_path, codec):
    path = tmp_path / "cases.csv"
    path.write_text("id,name\nR-1,a\\x41\n")
    with pytest.raises(InputError) as err:
        read_table(path, encoding=codec)
    assert err.value.problems[0].value == codec
    assert "a known text encoding" in err.value.problems[0].expected


def test_a_damaged_sheet_part_is_an_input_error(tmp_path):
    import io
    import zipfile

    data = bytearray(_workbook(lambda wb: _cases(wb.active, 3)))
    info = zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo(SHEET)
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    for i in range(start + 10, start + 40):  # garble the compressed sheet
        data[i] ^= 0x55
    path = tmp_path / "damaged.xlsx"
    path.write_bytes(bytes(data))
    with pytest.raises(InputError) as err:
        read_table(path)
    assert err.value.problems[0].expected.startswith("a readable")


def test_a_long_csv_is_refused_by_its_cell_count_while_it_is_parsed(tmp_path, monkeypatch):
    """The cell limit stops the parse: rows beyond it are never held (the limit is lowered
    here so that the synthetic file stays small)."""
    import analysis.readers as readers

    monkeypatch.setattr(readers, "MAX_CELLS", 1_000)
    monkeypatch.setattr(readers, "MAX_COLUMNS", 10)
    path = tmp_path / "long.csv"
    path.write_text("Ref,System\n" + "".join(f"R-{i},Synthetic\n" for i in range(100_000)))
    with pytest.raises(InputError) as err:
        readers.read_csv(path)
    (problem,) = err.value.problems
    # 1,000 cells plus the header's allowance of 10: the parse stopped at row 506.
    assert problem.value == "more than 505 rows × 2 columns"
    assert "MAX_CELLS" in problem.expected and "MAX_CELLS" in problem.expected_zh


@pytest.mark.parametrize("kind", ["csv", "json", "jsonl", "xlsx"])
def test_more_records_than_the_row_limit_are_refused_before_they_are_mapped(
    tmp_path, monkeypatch, kind
):
    """MAX_ROWS is checked as a CSV is parsed, from a JSON list's length and from the XLSX
    sheet's rows (the limit is lowered here so that the synthetic files stay small)."""
    import json

    import analysis.readers as readers

    monkeypatch.setattr(readers, "MAX_ROWS", 20)
    records = [{"Ref": f"R-{i}", "System": "Synthetic"} for i in range(21)]
    path = tmp_path / f"long.{kind}"
    if kind == "csv":
        path.write_text("Ref,System\n" + "".join(f"{r['Ref']},Synthetic\n" for r in records))
    elif kind == "json":
        path.write_text(json.dumps(records))
    elif kind == "jsonl":
        path.write_text("".join(json.dumps(r) + "\n" for r in records))
    else:
        from openpyxl import Workbook

        wb = Workbook()
        wb.active.append(["Ref", "System"])
        for r in records:
            wb.active.append([r["Ref"], r["System"]])
        wb.save(path)
    with pytest.raises(InputError) as err:
        read_table(path, format=kind)
    (problem,) = err.value.problems
    assert problem.value in ("21 records", "more than 20 records")
    assert "at most 20 records" in problem.expected and "MAX_ROWS" in problem.expected_zh
    # one record fewer reads
    records.pop()
    if kind == "csv":
        path.write_text("Ref,System\n" + "".join(f"{r['Ref']},Synthetic\n" for r in records))
        assert len(read_table(path).rows) == 20
