"""Write the corpus of malformed synthetic inventories used by tests/test_bad_inputs.py.

Every case is one raw file (CSV, TSV, XLSX, JSON or JSON Lines) and one mapping
``<case>.yaml`` beside it; what each must produce (an error naming file, row or record, column
or field and value, a reported rejection, or a clean load) is written by hand in
``expected.yaml``. All content is synthetic (inventory name ``synthetic``); nothing here is a
real case. The output is deterministic: run

    .venv/bin/python tests/bad_inputs/make_corpus.py

to rewrite the files in this folder (they are committed). The 100 MB file is not part of the
corpus: tests/test_bad_inputs.py writes it into a temporary folder.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import random
import re
import zipfile
from pathlib import Path

import yaml

from analysis.config import SEED

HERE = Path(__file__).resolve().parent

HEADER = ["Ref", "System", "Department", "Area", "Methods", "Personal data?"]
ROWS = [
    ["R-1", "Synthetic parking camera", "Transport", "Enforcement", "Computer Vision", "V"],
    ["R-2", "Synthetic benefit triage", "Social care", "adjudication", "machine learning", ""],
    [
        "R-3",
        "Synthetic helpdesk bot",
        "Customer service",
        "Public services and engagement",
        "chatbot",
        "V",
    ],
]
ZH_HEADER = ["編號", "名稱", "機關", "類別", "技術", "個資"]
ZH_ROWS = [
    ["S-1", "合成車牌辨識系統", "合成交通局", "執行", "影像辨識(車牌)", "V"],
    ["S-2", "合成客服聊天機器人", "合成民政局", "公共服務和參與", "自然語言處理", ""],
]


def mapping(data: str, *, file: dict | None = None, header=HEADER, **overrides) -> dict:
    """The corpus's standard mapping of ``data`` (column names from ``header``)."""
    ref, name, dept, area, methods, pd_col = header
    spec = {
        "inventory": "synthetic",
        "title_en": "Synthetic malformed inventory (test corpus)",
        "files": [{"path": data, **(file or {})}],
        "case_id": {"from": ref},
        "fields": {
            "name": name,
            "agency": dept,
            "category": {"from": area, "coded_by": "source"},
            "techniques": {"from": methods, "coded_by": "crosswalk"},
        },
        "flags": {"coded_by": "source", "columns": {"personal_data": {"from": pd_col}}},
    }
    for key, value in overrides.items():
        if value is None:
            spec.pop(key, None)
        else:
            spec[key] = value
    return spec


def csv_text(rows: list[list[str]], delimiter: str = ",") -> str:
    buf = io.StringIO(newline="")
    csv.writer(buf, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return buf.getvalue()


def xlsx_bytes(
    rows: list[list],
    merge: str | None = None,
    formulas: dict[str, str] | None = None,
    hidden_first: list[list] | None = None,
    number_formats: dict[str, str] | None = None,
) -> bytes:
    """A workbook with fixed metadata and zip timestamps (byte-identical reruns); with
    ``hidden_first``, a hidden sheet of those rows comes before the register;
    ``number_formats`` sets cells' number formats (``{"A3": "000000"}``)."""
    from openpyxl import Workbook

    from analysis.outputs import FIXED_TIME, fix_zip_times

    wb = Workbook()
    if hidden_first:
        old = wb.active
        old.title = "Superseded"
        for r in hidden_first:
            old.append(r)
        old.sheet_state = "hidden"
        wb.active = wb.create_sheet("Register")
    ws = wb.active
    ws.title = "Register"
    for r in rows:
        ws.append(r)
    if merge:
        ws.merge_cells(merge)
    for cell, formula in (formulas or {}).items():
        ws[cell] = formula  # openpyxl stores the formula without a cached result
    for cell, number_format in (number_formats or {}).items():
        ws[cell].number_format = number_format
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    buf = io.BytesIO()
    wb.save(buf)
    return fix_zip_times(buf.getvalue())


def json_bytes(value: object, indent: int | None = 2) -> bytes:
    return (
        json.dumps(value, ensure_ascii=False, indent=indent) + ("\n" if indent else "")
    ).encode()


def with_column(rows, index: int, values: list[str]) -> list[list[str]]:
    out = [r[:] for r in rows]
    for r, v in zip(out, values):
        r[index] = v
    return out


# -- helpers of the readers' block -------------------------------------------------------------
FAR_ROW = b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
STALE = b'<dimension ref="A1:F4"/>'
OLD_ROW = ["OLD-1", "Synthetic superseded sheet", "Transport", "Enforcement", "", ""]


def xlsx_part(data: bytes, change, member: str = "xl/worksheets/sheet1.xml") -> bytes:
    """The workbook ``data`` with one part passed through ``change`` (zip times kept fixed)."""
    from analysis.outputs import fix_zip_times

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            part = src.read(info.filename)
            dst.writestr(info, change(part) if info.filename == member else part)
    return fix_zip_times(out.getvalue())


def xlsx_padded(data: bytes, size: int) -> bytes:
    """The workbook ``data`` with a part of ``size`` zero bytes (a tiny file, deflated)."""
    from analysis.outputs import fix_zip_times

    out = io.BytesIO(data)
    with zipfile.ZipFile(out, "a", zipfile.ZIP_DEFLATED) as archive:
        info = zipfile.ZipInfo("xl/media/padding.bin", (1980, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        with archive.open(info, "w", force_zip64=True) as part:
            for _ in range(size // 2**20):
                part.write(bytes(2**20))
    return fix_zip_times(out.getvalue())


def cases() -> dict[str, tuple[str, bytes, dict | str]]:
    """case name -> (data file name, data bytes, mapping as a dict or as raw YAML text)."""
    table = [HEADER] + ROWS
    zh = [ZH_HEADER] + ZH_ROWS
    out: dict[str, tuple[str, bytes, dict | str]] = {}

    def add(name, ext, data, spec=None, **kw):
        fname = f"{name}.{ext}"
        out[name] = (fname, data, spec if spec is not None else mapping(fname, **kw))

    # -- encodings --------------------------------------------------------------------
    add(
        "big5_declared_cp950",
        "csv",
        csv_text(zh).encode("cp950"),
        file={"encoding": "cp950"},
        header=ZH_HEADER,
    )
    add("big5_declared_utf8", "csv", csv_text(zh).encode("cp950"), header=ZH_HEADER)
    cafe = with_column(
        table,
        1,
        [
            "System",
            "Synthetic café “chatbot” – naïve",
            "Synthetic benefit triage",
            "Synthetic helpdesk bot",
        ],
    )
    add(
        "cp1252_declared_cp1252",
        "csv",
        csv_text(cafe).encode("cp1252"),
        file={"encoding": "cp1252"},
    )
    add("cp1252_declared_utf8", "csv", csv_text(cafe).encode("cp1252"))
    add("utf8_bom", "csv", csv_text(zh).encode("utf-8-sig"), header=ZH_HEADER)
    utf16 = csv_text(zh, delimiter="\t").encode("utf-16")  # Excel's "Unicode text": BOM, tabs
    add(
        "utf16_tsv_declared",
        "txt",
        utf16,
        file={"encoding": "utf-16", "format": "tsv"},
        header=ZH_HEADER,
    )
    add("utf16_tsv_undeclared", "txt", utf16, header=ZH_HEADER)
    add("utf16_declared_comma", "txt", utf16, file={"encoding": "utf-16"}, header=ZH_HEADER)
    add(
        "utf8_declared_cp950",
        "csv",
        csv_text(zh).encode("utf-8"),
        file={"encoding": "cp950"},
        header=ZH_HEADER,
    )
    add("unknown_encoding", "csv", csv_text(table).encode(), file={"encoding": "klingon-8"})

    # -- columns and header -------------------------------------------------------------
    add("missing_column", "csv", csv_text([[c for c in r if c != r[2]] for r in table]).encode())
    renamed = [r[:] for r in table]
    renamed[0][2] = "Department name"
    add("renamed_column", "csv", csv_text(renamed).encode())
    titled = [["Synthetic register of AI systems, 2025"]] + table
    add("header_second_row_declared", "csv", csv_text(titled).encode(), file={"header_row": 2})
    add("header_second_row_undeclared", "csv", csv_text(titled).encode())
    merged = [["Ref", "System", "Department", "Classification", None, "Personal data?"]] + [
        [r[0], r[1], r[2], r[3], r[4], r[5]] for r in ROWS
    ]
    add(
        "merged_header_xlsx",
        "xlsx",
        xlsx_bytes(merged, merge="D1:E1"),
        header=["Ref", "System", "Department", "Classification", "Methods", "Personal data?"],
    )

    # -- values -------------------------------------------------------------------------
    add(
        "unknown_category",
        "csv",
        csv_text(
            with_column(table, 3, ["Area", "Enforcement", "Space exploration", "adjudication"])
        ).encode(),
    )
    add(
        "unknown_category_reject",
        "csv",
        csv_text(
            with_column(table, 3, ["Area", "Enforcement", "Space exploration", "adjudication"])
        ).encode(),
        on_problem="reject",
    )
    add(
        "unknown_technique",
        "csv",
        csv_text(
            with_column(table, 4, ["Methods", "Computer Vision", "quantum annealing", "chatbot"])
        ).encode(),
    )
    add(
        "ticks_accepted",
        "csv",
        csv_text(with_column(table, 5, ["Personal data?", "v", "Ｖ", "✔"])).encode(),
    )
    add(
        "tick_x_unmapped",
        "csv",
        csv_text(with_column(table, 5, ["Personal data?", "V", "X", "V"])).encode(),
    )
    add(
        "tick_circle_unmapped",
        "csv",
        csv_text(with_column(table, 5, ["Personal data?", "○", "V", ""])).encode(),
    )
    x_mapped = mapping("tick_x_mapped.csv")
    x_mapped["flags"]["columns"]["personal_data"]["values"] = {"V": "yes", "X": "no"}
    add(
        "tick_x_mapped",
        "csv",
        csv_text(with_column(table, 5, ["Personal data?", "V", "X", ""])).encode(),
        x_mapped,
    )
    add(
        "unknown_flag_word",
        "csv",
        csv_text(with_column(table, 5, ["Personal data?", "V", "maybe", ""])).encode(),
    )
    add(
        "duplicate_ids",
        "csv",
        csv_text(with_column(table, 0, ["Ref", "R-1", "R-2", "R-2"])).encode(),
    )
    add(
        "blank_case_id", "csv", csv_text(with_column(table, 0, ["Ref", "R-1", " ", "R-3"])).encode()
    )

    # -- shape ----------------------------------------------------------------------------
    add("empty_file", "csv", b"")
    add("blank_lines_only", "csv", b"\r\n\r\n  \r\n")
    add("header_only", "csv", csv_text([HEADER]).encode())
    ragged = csv_text(table).replace(
        "R-2,Synthetic benefit triage,Social care,adjudication,machine learning,",
        "R-2,Synthetic benefit triage,Social care",
    )
    add("ragged_short_row", "csv", ragged.encode())
    add("ragged_short_row_reject", "csv", ragged.encode(), on_problem="reject")
    long = csv_text(table).replace(
        "R-3,Synthetic helpdesk bot,", "R-3,Synthetic helpdesk bot,extra,"
    )
    add("ragged_long_row", "csv", long.encode())
    quote = csv_text(table).replace("R-2,Synthetic benefit triage", 'R-2,"Synthetic benefit triage')
    add("unbalanced_quote", "csv", quote.encode())
    formula = [r[:] for r in table]
    add("formula_without_value_xlsx", "xlsx", xlsx_bytes(formula, formulas={"A4": '="R-"&(1+2)'}))
    add("not_a_workbook", "xlsx", csv_text(table).encode())
    add("missing_sheet", "xlsx", xlsx_bytes(table), file={"sheet": "Cases"})
    add("summary_row_error", "csv", csv_text(table + [["合計", "", "", "", "", "2"]]).encode())
    add(
        "summary_row_reject",
        "csv",
        csv_text(table + [["Total", "", "", "", "", "2"]]).encode(),
        on_problem="reject",
    )

    # -- identifiers a spreadsheet rewrote -------------------------------------------------
    add(
        "ids_as_decimals",
        "csv",
        csv_text(with_column(table, 0, ["Ref", "1.0", "2.0", "3.0"])).encode(),
    )
    decimals = mapping("ids_as_decimals_removed.csv")
    decimals["case_id"] = {
        "from": "Ref",
        "remove": r"\.0+$",
        "rationale": "A spreadsheet wrote the whole-number ids as decimals.",
    }
    add(
        "ids_as_decimals_removed",
        "csv",
        csv_text(with_column(table, 0, ["Ref", "1.0", "2.0", "3.0"])).encode(),
        decimals,
    )
    add(
        "ids_in_scientific_notation",
        "csv",
        csv_text(with_column(table, 0, ["Ref", "1E+03", "1.23457E+12", "1.23458E+12"])).encode(),
    )
    add(
        "ids_as_dates_csv",
        "csv",
        csv_text(with_column(table, 0, ["Ref", "R-1", "3-Jan", "R-3"])).encode(),
    )
    dated = [HEADER] + [r[:] for r in ROWS]
    dated[2][0] = dt.datetime(2024, 1, 3)
    add("ids_as_dates_xlsx", "xlsx", xlsx_bytes(dated))

    # -- identifiers joined from several columns, repeated identifiers ----------------------
    joined = mapping("blank_part_of_joined_id.csv")
    joined["case_id"] = {"from": ["Department", "Ref"], "join": "/"}
    add(
        "blank_part_of_joined_id",
        "csv",
        csv_text(
            with_column(table, 2, ["Department", "Transport", "", "Customer service"])
        ).encode(),
        joined,
    )
    many = [HEADER] + [[f"R-{i % 2}"] + ROWS[0][1:] for i in range(1, 13)]
    add("duplicate_id_groups", "csv", csv_text(many).encode())

    # -- multi-valued cells -----------------------------------------------------------------
    add(
        "techniques_one_per_line",
        "csv",
        csv_text(
            with_column(
                table,
                4,
                [
                    "Methods",
                    "Computer Vision\nmachine learning",
                    "machine learning",
                    "chatbot\r\nNLP",
                ],
            )
        ).encode(),
    )
    qualified = mapping("qualifier_on_values_key.csv")
    qualified["fields"]["techniques"]["values"] = {
        "random forest": "machine_learning",
        "translation engine": "nlp",
    }
    add(
        "qualifier_on_values_key",
        "csv",
        csv_text(
            with_column(
                table,
                4,
                [
                    "Methods",
                    "Random forest (gradient boosted)",
                    "Translation engine［法規］",
                    "chatbot",
                ],
            )
        ).encode(),
        qualified,
    )

    # -- JSON registers ------------------------------------------------------------------------
    records = [
        {
            "ref": r[0],
            "system": {"name": r[1], "methods": [r[4], "machine learning"] if i == 0 else [r[4]]},
            "owner": {"department": r[2], "area": r[3]},
            "answers": {"personal_data": r[5] or None},
        }
        for i, r in enumerate(ROWS)
    ]
    records[1]["owner"].pop("department")  # a nested field absent from one record
    nested = {"register": {"published": "2025-01-01", "systems": records}}
    json_keys = ["ref", "system.name", "owner.department", "owner.area", "system.methods"]
    json_spec = mapping(
        "json_nested_records.json",
        file={"records": "register.systems", "list_join": "\n"},
        header=json_keys + ["answers.personal_data"],
    )
    add("json_nested_records", "json", json_bytes(nested), json_spec)
    add(
        "json_records_path_missing",
        "json",
        json_bytes(nested),
        mapping(
            "json_records_path_missing.json",
            file={"records": "register.system"},
            header=json_keys + ["answers.personal_data"],
        ),
    )
    add(
        "json_malformed",
        "json",
        json_bytes(nested).replace(b'"R-2"', b'"R-2",', 1),
        mapping(
            "json_malformed.json",
            file={"records": "register.systems"},
            header=json_keys + ["answers.personal_data"],
        ),
    )
    add(
        "json_list_of_objects",
        "json",
        json_bytes(nested),
        mapping(
            "json_list_of_objects.json",
            file={"records": "register.systems"},
            header=json_keys[:3] + ["owner", "system.methods", "answers.personal_data"],
        ),
    )
    required = mapping(
        "json_required_field_absent.json",
        file={"records": "register.systems"},
        header=json_keys + ["answers.personal_data"],
    )
    required["fields"]["agency"] = {"from": "owner.department", "required": True}
    add("json_required_field_absent", "json", json_bytes(nested), required)
    lines = b"".join(json_bytes(r, indent=None) + b"\n" for r in records)
    add(
        "jsonl_records",
        "jsonl",
        lines,
        mapping("jsonl_records.jsonl", header=json_keys + ["answers.personal_data"]),
    )

    # -- mapping files ----------------------------------------------------------------------
    base = csv_text(table).encode()
    add(
        "mapping_yaml_syntax",
        "csv",
        base,
        "inventory: synthetic\nfiles:\n  - path: mapping_yaml_syntax.csv\n"
        "case_id:\n  from: [Ref\nfields:\n  name: System\n",
    )
    add(
        "mapping_unknown_top_key",
        "csv",
        base,
        mapping("mapping_unknown_top_key.csv", field={"name": "System"}),
    )
    unknown_field_key = mapping("mapping_unknown_field_key.csv")
    unknown_field_key["fields"]["name"] = {"form": "System"}
    add("mapping_unknown_field_key", "csv", base, unknown_field_key)
    bad_regex = mapping("mapping_bad_regex.csv")
    bad_regex["fields"]["agency"] = {"from": "Department", "extract": "([A-Z"}
    add("mapping_bad_regex", "csv", base, bad_regex)
    add("mapping_bad_header_row", "csv", base, file={"header_row": "two"})
    add("mapping_zero_header_row", "csv", base, file={"header_row": 0})
    add("mapping_bad_delimiter", "csv", base, file={"delimiter": ";;"})
    add("mapping_fields_not_a_mapping", "csv", base, fields=["name", "agency"])
    add("mapping_missing_data_file", "csv", base, mapping("no_such_file.csv"))

    # -- paths outside the mapping's folder and data/raw (refused before a byte is read) -----
    add("path_outside_absolute", "csv", base, mapping("/etc/passwd", file={"format": "csv"}))
    add(
        "path_outside_traversal",
        "csv",
        base,
        mapping("../../../../../../../../etc/passwd", file={"format": "csv"}),
    )
    add(
        "path_outside_parent",
        "csv",
        base,
        mapping("../test_bad_inputs.py", file={"format": "csv"}),
    )
    second_outside = mapping("path_outside_second_file.csv")
    second_outside["files"].append({"path": "/etc/hostname", "format": "csv"})
    add("path_outside_second_file", "csv", base, second_outside)

    # -- values and ids read wrong; mapping parser limits -------------------------------------
    # Ids that look alike are one id; a spreadsheet's error values, times and a second header
    # row are no ids; the mapping parser refuses repeated and unknown keys, alias bombs,
    # control characters in names and keys a flag does not have; regular expressions have a
    # time limit per value.
    invisible = with_column(ROWS, 0, ["R-1", "R-\u200b1", "R-3"])
    add("id_zero_width_duplicate", "csv", csv_text([HEADER] + invisible).encode())
    control = with_column(ROWS, 0, ["\ufeffR-1", "R-\x002", "R-3\u200b"])
    add("id_invisible_characters_removed", "csv", csv_text([HEADER] + control).encode())
    add(
        "id_error_value",
        "csv",
        csv_text([HEADER] + with_column(ROWS, 0, ["R-1", "#REF!"])).encode(),
    )
    add("id_time_of_day", "csv", csv_text([HEADER] + with_column(ROWS, 0, ["12:30:00"])).encode())
    add("id_repeated_header_row", "csv", csv_text([HEADER, ROWS[0], HEADER] + ROWS[1:]).encode())
    nothing = mapping("extract_matches_nothing.csv")
    nothing["fields"]["agency"] = {"from": "Department", "extract": "【([^】]*)】"}
    add("extract_matches_nothing", "csv", csv_text(table).encode(), nothing)
    slow = [HEADER] + with_column(ROWS, 1, ["a" * 41 + "!"])
    slow_extract = mapping("regex_too_slow_extract.csv")
    slow_extract["fields"]["name"] = {"from": "System", "extract": "^((a|aa)+)$"}
    add("regex_too_slow_extract", "csv", csv_text(slow).encode(), slow_extract)
    slow_flag = [HEADER] + with_column(ROWS, 5, ["V", "a" * 41 + "!"])
    slow_patterns = mapping("regex_too_slow_patterns.csv")
    slow_patterns["flags"]["columns"]["personal_data"] = {
        "from": "Personal data?",
        "values": {"v": "yes"},
        "patterns": {"^(a|a)+$": "yes"},
    }
    add("regex_too_slow_patterns", "csv", csv_text(slow_flag).encode(), slow_patterns)
    add(
        "mapping_duplicate_key",
        "csv",
        csv_text(table).encode(),
        "inventory: synthetic\n"
        "files: [mapping_duplicate_key.csv]\n"
        "case_id: Ref\n"
        "fields:\n"
        "  name: System\n"
        "  agency: Department\n"
        "  name: Area\n",
    )
    laughs = "".join(f"- &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]\n" for i in range(1, 10))
    add(
        "mapping_alias_expansion",
        "csv",
        csv_text(table).encode(),
        "inventory: synthetic\nfiles: [mapping_alias_expansion.csv]\ncase_id: Ref\n"
        "description:\n- &l0 [lol]\n" + laughs,
    )
    default_key = mapping("mapping_default_key.csv")
    default_key["fields"]["name"] = {"from": "System", "default": "unnamed"}
    add("mapping_default_key", "csv", csv_text(table).encode(), default_key)
    add("mapping_name_control_character", "csv", csv_text(table).encode(), inventory="synthetic\n")
    for option, value in (("fill_down", True), ("remove", "^x")):
        flag_option = mapping(f"mapping_flag_{option}.csv")
        flag_option["flags"]["columns"]["personal_data"] = {"from": "Personal data?", option: value}
        add(f"mapping_flag_{option}", "csv", csv_text(table).encode(), flag_option)

    # -- files that hang, crash or read wrong (readers) ---------------------------------------
    # Not a regular file; XLSX parts that expand too far, one far cell, a stale <dimension>,
    # a hidden first sheet, merged data cells, escaped control characters; too many columns,
    # a quote never closed in the last column; GB18030 and UTF-32 bytes, non-text codecs.
    add("path_is_directory", "csv", b"", mapping(".", file={"format": "csv"}))
    add("xlsx_expands_too_far", "xlsx", xlsx_padded(xlsx_bytes(table), 257 * 2**20))
    add(
        "xlsx_far_cell",
        "xlsx",
        xlsx_part(
            xlsx_bytes(table), lambda x: x.replace(b"</sheetData>", FAR_ROW + b"</sheetData>")
        ),
    )
    ten = [HEADER] + [
        [f"R-{i}", f"Synthetic case {i}", "Transport", "Enforcement", "", ""] for i in range(1, 11)
    ]
    add(
        "xlsx_stale_dimension",
        "xlsx",
        xlsx_part(xlsx_bytes(ten), lambda x: re.sub(rb"<dimension [^>]*>", STALE, x)),
    )
    add("xlsx_hidden_first_sheet", "xlsx", xlsx_bytes(table, hidden_first=[HEADER, OLD_ROW]))
    merged_rows = with_column(ROWS, 2, ["Transport", "", ""])
    add("xlsx_merged_data_cells", "xlsx", xlsx_bytes([HEADER] + merged_rows, merge="C2:C4"))
    bell = with_column(ROWS, 1, ["Synthetic BELLMARK camera"])
    add(
        "xlsx_control_character",
        "xlsx",
        xlsx_part(xlsx_bytes([HEADER] + bell), lambda x: x.replace(b"BELLMARK", b"_x0007_")),
    )
    wide = [HEADER + [f"Extra {i}" for i in range(1, 2001)]] + [r + [""] * 2000 for r in ROWS]
    add("csv_too_many_columns", "csv", csv_text(wide).encode())
    unclosed = csv_text(table).replace("Computer Vision,V", 'Computer Vision,"V', 1)
    add("csv_quote_never_closed_last_column", "csv", unclosed.encode())
    simplified = [
        ZH_HEADER,
        ["S-1", "智能客服系统", "深圳市政务服务数据管理局", "执行", "语音识别", ""],
    ]
    # English header: every byte then decodes as cp950, into unlikely characters
    gb_rows = [HEADER, ["S-1", "智能客服系统", "深圳市政务服务数据管理局", "执行", "语音识别", ""]]
    add(
        "gb18030_declared_cp950",
        "csv",
        csv_text(gb_rows).encode("gb18030"),
        file={"encoding": "cp950"},
    )
    add("gb18030_declared_utf8", "csv", csv_text(simplified).encode("gb18030"), header=ZH_HEADER)
    add("utf32_declared_utf8", "csv", csv_text(zh).encode("utf-32"), header=ZH_HEADER)
    add(
        "encoding_unicode_escape",
        "csv",
        csv_text(table).encode(),
        file={"encoding": "unicode_escape"},
    )

    # -- what a cell's type or format changes (ids), normalised values, more readers --------
    # Numbers shown with leading zeros by their format, numbers beyond 15 digits, times,
    # error cells; a named hidden sheet, merged cells filled down, a truncated workbook; a
    # long quoted cell; deep JSON; closed values in full-width and with invisible characters.
    padded = [HEADER] + [r[:] for r in ROWS]
    padded[2][0] = 123
    add("id_leading_zeros_xlsx", "xlsx", xlsx_bytes(padded, number_formats={"A3": "000000"}))
    long_id = [HEADER] + [r[:] for r in ROWS]
    long_id[2][0] = 12345678901234567890
    add("id_twenty_digits_xlsx", "xlsx", xlsx_bytes(long_id))
    timed = [HEADER] + [r[:] for r in ROWS]
    timed[2][0] = dt.time(12, 30)
    add("id_time_xlsx", "xlsx", xlsx_bytes(timed))
    broken = [HEADER] + [r[:] for r in ROWS]
    broken[2][0] = "#N/A"  # openpyxl writes it as an error cell (t="e")
    add("id_error_cell_xlsx", "xlsx", xlsx_bytes(broken))
    add(
        "xlsx_named_hidden_sheet",
        "xlsx",
        xlsx_bytes(table, hidden_first=[HEADER, OLD_ROW]),
        file={"sheet": "Superseded"},
    )
    filled = mapping("xlsx_merged_fill_down.xlsx")
    filled["fields"]["agency"] = {"from": "Department", "fill_down": True}
    add(
        "xlsx_merged_fill_down",
        "xlsx",
        xlsx_bytes([HEADER] + merged_rows, merge="C2:C4"),
        filled,
    )
    whole = xlsx_bytes(table)
    add("xlsx_truncated", "xlsx", whole[: len(whole) // 2])
    essay = "Synthetic " + "long description " * 12_000  # 204,010 characters, quoted
    add("csv_long_quoted_cell", "csv", csv_text(with_column(table, 1, ["System", essay])).encode())
    deep = mapping("json_nested_too_deep.json", file={"format": "json"})
    add("json_nested_too_deep", "json", b"[" * 100_000 + b"]" * 100_000, deep)
    wide_letters = with_column(
        table, 3, ["Area", "Ｅｎｆｏｒｃｅｍｅｎｔ", "ａｄｊｕｄｉｃａｔｉｏｎ", ""]
    )
    add("closed_values_full_width", "csv", csv_text(wide_letters).encode())
    hidden_marks = with_column(table, 5, ["Personal data?", "V\u200b", "\ufeff", "\u00adV"])
    add("flag_values_invisible_characters", "csv", csv_text(hidden_marks).encode())
    add(
        "id_nul_duplicate",
        "csv",
        csv_text(with_column(table, 0, ["Ref", "R-1", "R-1\x00", "R-3"])).encode(),
    )

    # A seeded shuffle of the corpus order keeps the generator honest about not depending on
    # case order (the files are named by case, so the result is the same for any order).
    names = sorted(out)
    random.Random(SEED).shuffle(names)
    return {n: out[n] for n in names}


def write(folder: Path = HERE) -> list[str]:
    written = []
    for name, (fname, data, spec) in cases().items():
        if name != "mapping_missing_data_file":
            (folder / fname).write_bytes(data)
            written.append(fname)
        text = (
            spec
            if isinstance(spec, str)
            else yaml.safe_dump(spec, allow_unicode=True, sort_keys=False)
        )
        (folder / f"{name}.yaml").write_text(text, encoding="utf-8", newline="\n")
        written.append(f"{name}.yaml")
    return sorted(written)


if __name__ == "__main__":
    for f in write():
        print(f)
