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
    rows: list[list], merge: str | None = None, formulas: dict[str, str] | None = None
) -> bytes:
    """A workbook with fixed metadata and zip timestamps (byte-identical reruns)."""
    from openpyxl import Workbook

    from analysis.outputs import FIXED_TIME, fix_zip_times

    wb = Workbook()
    ws = wb.active
    ws.title = "Register"
    for r in rows:
        ws.append(r)
    if merge:
        ws.merge_cells(merge)
    for cell, formula in (formulas or {}).items():
        ws[cell] = formula  # openpyxl stores the formula without a cached result
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
