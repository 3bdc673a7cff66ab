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
