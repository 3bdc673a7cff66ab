"""The mapping format on small inventories the code has never seen (CSV, XLSX, JSON and JSON
Lines), and the errors and rejections a bad file causes."""

from __future__ import annotations

import importlib.util
import json

import pandas as pd
import pytest

from analysis import config, inventories
from analysis.errors import InputError
from analysis.mapping import apply_mapping, load_mapping

# A hypothetical municipal register with its own column names and spellings.
ROWS = [
    [
        "Ref",
        "System",
        "Department",
        "Purpose",
        "Area",
        "Methods",
        "Personal data?",
        "Automated?",
        "Reviewed?",
        "Ward",
    ],
    [
        "R-1",
        "Parking camera",
        "Transport",
        "Reads number plates",
        "Enforcement ",
        "Computer Vision, ML",
        "Yes",
        "yes",
        "",
        "North",
    ],
    [
        "R-2",
        "Benefit triage",
        "Social care",
        "Ranks claims",
        "adjudication",
        "machine learning",
        "Y",
        "no",
        "Yes",
        "South",
    ],
    [
        "R-3",
        "Helpdesk bot",
        "Customer service",
        "Answers questions",
        "Public services and engagement",
        "chatbot/Quantum",
        "No",
        "",
        "No",
        "north",
    ],
    ["R-4", "HR rota", "HR", "Plans shifts", "back office", "", "n/a", "No", "", ""],
]

MAPPING = """
inventory: townhall
title_en: A hypothetical town-hall register
files:
  - path: {file}
    encoding: utf-8
    {extra}
case_id:
  from: Ref
fields:
  name: System
  agency: Department
  description: Purpose
  category:
    from: Area
    coded_by: source
    values:
      back office: internal_management
  techniques:
    from: Methods
    coded_by: crosswalk
    unmapped: report
flags:
  coded_by: crosswalk
  columns:
    personal_data:
      from: Personal data?
      rationale: The register's own question.
    automated_decision:
      combine: any_reported
      from:
        - column: Automated?
        - column: Reviewed?
          values: {{"yes": "no", "no": "yes"}}
extras:
  ward:
    from: Ward
    values: {{north: North, south: South}}
"""


def _write_csv(path, rows):
    pd.DataFrame(rows[1:], columns=rows[0]).to_csv(path, index=False)


def _write_xlsx(path, rows):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Register"
    ws.append(["Town hall register, 2025"])
    for r in rows:
        ws.append(r)
    wb.save(path)


def _mapping(tmp_path, data_name, extra="", text=MAPPING):
    path = tmp_path / "townhall.yaml"
    path.write_text(text.format(file=data_name, extra=extra), encoding="utf-8")
    return path


def _write_json(path, rows, lines=False):
    """The register as JSON records (a blank cell as null), nested under register.cases, or
    as JSON Lines."""
    records = [{k: v or None for k, v in zip(rows[0], r)} for r in rows[1:]]
    if lines:
        text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    else:
        text = json.dumps({"register": {"cases": records}}, ensure_ascii=False, indent=2)
    path.write_text(text, encoding="utf-8")


@pytest.fixture(params=["csv", "xlsx", "json", "jsonl"])
def townhall(request, tmp_path):
    if request.param == "csv":
        _write_csv(tmp_path / "register.csv", ROWS)
        return _mapping(tmp_path, "register.csv")
    if request.param == "json":
        _write_json(tmp_path / "register.json", ROWS)
        return _mapping(tmp_path, "register.json", extra="records: register.cases")
    if request.param == "jsonl":
        _write_json(tmp_path / "register.jsonl", ROWS, lines=True)
        return _mapping(tmp_path, "register.jsonl")
    _write_xlsx(tmp_path / "register.xlsx", ROWS)
    return _mapping(tmp_path, "register.xlsx", extra="sheet: Register\n    header_row: 2")


def test_unseen_inventory_maps_to_the_canonical_table(townhall):
    result = inventories.load(townhall)
    cases = result.cases
    assert cases["case_id"].tolist() == ["R-1", "R-2", "R-3", "R-4"]
    assert set(cases["inventory"]) == {"townhall"}
    assert cases["category"].tolist() == [
        "enforcement",
        "adjudication",
        "public_services",
        "internal_management",
    ]
    assert cases["category_coded_by"].tolist() == ["source"] * 4
    assert cases["category_as_recorded"].tolist() == [
        "Enforcement",
        "adjudication",
        "Public services and engagement",
        "back office",
    ]
    # Computer vision is a synonym of image recognition; "Quantum" is no technique.
    assert cases["techniques"].tolist()[:3] == [
        "image_recognition;machine_learning",
        "machine_learning",
        "nlp",
    ]
    assert pd.isna(cases["techniques"][3])
    assert cases["personal_data"].tolist() == [True, True, False, pd.NA]
    # any_reported: R-1 automated (yes); R-2 not automated and reviewed (no); R-3 only
    # "not reviewed" answered (yes); R-4 only "not automated" answered (no).
    assert cases["automated_decision"].tolist() == [True, False, True, False]
    assert cases["ward"].tolist()[:3] == ["North", "South", "North"]
    assert pd.isna(cases["ward"][3])
    report = result.report
    assert (report.rows_read, report.rows_kept, report.rows_rejected) == (4, 4, 0)
    assert report.unmapped[["field", "value", "rows"]].values.tolist() == [
        ["techniques", "Quantum", 1]
    ]
    rec = report.recodings.set_index(["field", "native"])["canonical"]
    assert rec[("personal_data", "Y")] == "yes" and rec[("personal_data", "n/a")] == "not_reported"
    assert rec[("ward", "north")] == "North"
    assert "## Recodings applied" in report.to_markdown()


def _single_problem(tmp_path, row: int, column: int, value: str):
    """Load the register with one cell changed; return the one problem raised."""
    rows = [r[:] for r in ROWS]
    rows[row][column] = value
    _write_csv(tmp_path / "register.csv", rows)
    with pytest.raises(InputError) as err:
        apply_mapping(_mapping(tmp_path, "register.csv"))
    (problem,) = err.value.problems
    return problem


def test_closed_field_with_an_unmapped_label_names_file_row_and_column(tmp_path):
    problem = _single_problem(tmp_path, 3, 4, "Outreach")
    assert (problem.row, problem.column, problem.value) == (4, "Area", "Outreach")
    assert problem.file.endswith("register.csv")


def test_on_problem_reject_keeps_the_rest_and_writes_the_rejects(tmp_path):
    rows = [r[:] for r in ROWS]
    rows[3][4] = "Outreach"
    _write_csv(tmp_path / "register.csv", rows)
    text = MAPPING + "on_problem: reject\n"
    result = apply_mapping(_mapping(tmp_path, "register.csv", text=text))
    assert result.cases["case_id"].tolist() == ["R-1", "R-2", "R-4"]
    assert (result.report.rows_read, result.report.rows_kept, result.report.rows_rejected) == (
        4,
        3,
        1,
    )
    assert result.report.rejected[["row", "column", "value"]].values.tolist() == [
        [4, "Area", "Outreach"]
    ]
    md, csv = inventories.write_report(result, tmp_path / "out")
    assert md.name == "standardization-townhall.md" and csv.name == "rejected-townhall.csv"
    rejected = pd.read_csv(csv, dtype=str, encoding="utf-8-sig")
    assert rejected[["file", "row", "Ref", "Area"]].values.tolist() == [
        ["register.csv", "4", "R-3", "Outreach"]
    ]
    assert "Area" in rejected.loc[0, "reason"]


def test_report_with_no_rejects_writes_a_header_only_csv(tmp_path):
    _write_csv(tmp_path / "register.csv", ROWS)
    result = apply_mapping(_mapping(tmp_path, "register.csv"))
    _, csv = inventories.write_report(result, tmp_path / "out")
    lines = csv.read_text(encoding="utf-8-sig").splitlines()
    assert len(lines) == 1 and lines[0].startswith("file,row,reason,Ref,")


def test_missing_mapped_column_is_an_error(tmp_path):
    rows = [r[:] for r in ROWS]
    rows[0][3] = "Aim"
    _write_csv(tmp_path / "register.csv", rows)
    with pytest.raises(InputError) as err:
        apply_mapping(_mapping(tmp_path, "register.csv"))
    assert err.value.problems[0].column == "Purpose"
    assert "Purpose" in str(err.value) and "register.csv" in str(err.value)


def test_duplicate_ids_are_reported_with_their_rows(tmp_path):
    rows = [r[:] for r in ROWS]
    rows[4][0] = "R-2"
    _write_csv(tmp_path / "register.csv", rows)
    with pytest.raises(InputError) as err:
        apply_mapping(_mapping(tmp_path, "register.csv"))
    (problem,) = err.value.problems  # one problem per repeated id, on its first row
    assert (problem.row, problem.column, problem.value) == (3, "Ref", "R-2")
    assert "'R-2' is on 2 rows (rows 3, 5)" in problem.expected
    # Rejected instead, every row of the id is left out and listed with the same reason.
    text = MAPPING.replace("case_id:\n  from: Ref", "on_problem: reject\ncase_id:\n  from: Ref")
    result = apply_mapping(_mapping(tmp_path, "register.csv", text=text))
    assert result.cases["case_id"].tolist() == ["R-1", "R-3"]
    rejected = result.report.rejected
    assert rejected["row"].tolist() == [3, 5] and set(rejected["value"]) == {"R-2"}
    assert rejected["reason"].str.contains("rows 3, 5").all()


def test_a_repeated_id_is_one_message_with_a_compact_row_list(tmp_path):
    rows = [ROWS[0]] + [[f"R-{i % 2}"] + ROWS[1][1:] for i in range(12)]
    _write_csv(tmp_path / "register.csv", rows)
    with pytest.raises(InputError) as err:
        apply_mapping(_mapping(tmp_path, "register.csv"))
    assert [(p.row, p.value) for p in err.value.problems] == [(2, "R-0"), (3, "R-1")]
    assert "'R-0' is on 6 rows (rows 2, 4, 6, 8, 10 (and 1 more))" in str(err.value)
    assert "第 2、4、6、8、10 列（另 1 列）" in str(err.value)
    assert len(str(err.value).splitlines()) == 3  # the summary and one line per repeated id


def test_a_blank_part_of_a_joined_id_is_a_blank_id_not_a_duplicate(tmp_path):
    rows = [r[:] for r in ROWS]
    rows[2][2] = rows[3][2] = ""  # Department blank on rows 3 and 4
    rows[3][0] = "R-2"  # R-2 on rows 3 and 4: the joined ids differ only by the blank part
    _write_csv(tmp_path / "register.csv", rows)
    text = MAPPING.replace(
        "case_id:\n  from: Ref", 'case_id:\n  from: [Department, Ref]\n  join: "/"'
    )
    with pytest.raises(InputError) as err:
        apply_mapping(_mapping(tmp_path, "register.csv", text=text))
    assert [(p.row, p.column, p.value) for p in err.value.problems] == [
        (3, "Department", ""),
        (4, "Department", ""),
    ]
    assert "every part of the joined id (Department + Ref)" in err.value.problems[0].expected
    assert "unique" not in str(err.value)


def test_generated_ids_report_repeated_native_keys(tmp_path):
    rows = [r[:] for r in ROWS]
    rows[4][1], rows[4][2] = rows[1][1], rows[1][2]
    _write_csv(tmp_path / "register.csv", rows)
    text = MAPPING.replace(
        "case_id:\n  from: Ref",
        "case_id:\n  generate: row\n  report_duplicates: [Department, System]",
    )
    result = apply_mapping(_mapping(tmp_path, "register.csv", text=text))
    assert result.cases["case_id"].tolist() == ["2", "3", "4", "5"]
    assert result.report.duplicates[["key", "rows", "count"]].values.tolist() == [
        ["Transport | Parking camera", "2, 5", 2]
    ]


def test_ragged_row_is_an_error_naming_its_row(tmp_path):
    path = tmp_path / "register.csv"
    _write_csv(path, ROWS)
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2] + ",surplus"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        apply_mapping(_mapping(tmp_path, "register.csv"))
    assert [p.row for p in err.value.problems] == [3]
    assert "cells as in the header" in str(err.value)


def test_wrong_encoding_is_an_error_naming_the_working_encoding(tmp_path):
    rows = [r[:] for r in ROWS]
    rows[1][3] = "Reads number plates – café district"
    pd.DataFrame(rows[1:], columns=rows[0]).to_csv(
        tmp_path / "register.csv", index=False, encoding="cp1252"
    )
    with pytest.raises(InputError, match="decode as cp1252"):
        apply_mapping(_mapping(tmp_path, "register.csv"))


def test_unknown_flag_value_names_the_question(tmp_path):
    problem = _single_problem(tmp_path, 2, 7, "sometimes")
    assert (problem.row, problem.column, problem.value) == (3, "Automated?", "sometimes")


def test_patterns_recode_free_text_and_combine_any_is_kleene(tmp_path):
    _write_csv(tmp_path / "register.csv", ROWS)
    text = MAPPING.replace(
        """      combine: any_reported
      from:
        - column: Automated?
        - column: Reviewed?
          values: {{"yes": "no", "no": "yes"}}""",
        """      combine: any
      from:
        - column: Automated?
        - column: Reviewed?
          values: {{"no": "yes"}}
          patterns: {{"^y": "no"}}""",
    )
    cases = apply_mapping(_mapping(tmp_path, "register.csv", text=text)).cases
    # any: a blank answer keeps "no" from being certain.
    assert cases["automated_decision"].tolist() == [True, False, True, pd.NA]


def test_mapping_errors_name_the_key(tmp_path):
    _write_csv(tmp_path / "register.csv", ROWS)
    bad = MAPPING.replace(
        "coded_by: source\n    values:\n      back office: internal_management",
        "coded_by: source\n    values:\n      back office: back_office",
    )
    with pytest.raises(InputError, match="category"):
        load_mapping(_mapping(tmp_path, "register.csv", text=bad))
    bad = MAPPING.replace("combine: any_reported", "combine: most")
    with pytest.raises(InputError, match="combine"):
        load_mapping(_mapping(tmp_path, "register.csv", text=bad))


def test_blank_application_type_leaves_the_case_uncoded_with_no_provenance(tmp_path, frame):
    """A blank closed-field cell is "not coded": no key, no coded_by, no derived category."""
    types = [
        frame.application_types_of(c)[0] for c in ("enforcement", "adjudication", "public_services")
    ]
    rows = [ROWS[0] + ["Type"]] + [r + [t] for r, t in zip(ROWS[1:], [*types, ""])]
    _write_csv(tmp_path / "register.csv", rows)
    text = MAPPING.replace(
        "  techniques:\n",
        "  application_type:\n    from: Type\n    coded_by: source\n  techniques:\n",
    )
    cases = inventories.load(_mapping(tmp_path, "register.csv", text=text)).cases
    assert cases["application_type"].tolist()[:3] == types
    assert pd.isna(cases["application_type"][3]) and pd.isna(cases["application_type_coded_by"][3])
    assert cases["application_type_coded_by"].tolist()[:3] == ["source"] * 3
    assert cases["category"][3] == "internal_management"  # from its own column, not derived


# -- JSON registers with nested records (synthetic, written in each test) ------------------------
NESTED_REGISTER = {
    "meta": {"title": "Synthetic algorithm register"},
    "data": {
        "algorithms": [
            {
                "id": "A-1",
                "name": "Synthetic parking camera",
                "organisation": {"name": "Synthetic transport office", "code": "T"},
                "techniques": ["computer vision", "machine learning"],
                "authorities": [{"name": "City"}, {"name": "Region"}],
            },
            {
                "id": "A-2",
                "name": "Synthetic helpdesk bot",
                "organisation": {"name": "Synthetic service desk"},
                "techniques": ["chatbot"],
                "authorities": [],
            },
        ]
    },
}
NESTED_MAPPING = """
inventory: synthetic-json
files:
  - path: register.json
    records: data.algorithms
case_id: id
fields:
  name: name
  agency: {agency}
  techniques:
    from: techniques
    coded_by: source
extras:
  authority: {authority}
"""


def _nested(tmp_path, agency="organisation.name", authority="authorities.name", register=None):
    (tmp_path / "register.json").write_text(
        json.dumps(register or NESTED_REGISTER), encoding="utf-8"
    )
    path = tmp_path / "register.yaml"
    path.write_text(NESTED_MAPPING.format(agency=agency, authority=authority), encoding="utf-8")
    return path


def test_nested_json_fields_are_read_by_their_dotted_paths(tmp_path):
    result = apply_mapping(_nested(tmp_path))
    cases = result.cases
    assert cases["agency"].tolist() == ["Synthetic transport office", "Synthetic service desk"]
    # A list of techniques is one cell joined with "; ", a separator of the frame.
    assert cases["techniques"].tolist() == ["image_recognition;machine_learning", "nlp"]
    assert cases["authority"][0] == "City; Region" and pd.isna(cases["authority"][1])
    assert (result.report.rows_read, result.report.rows_kept) == (2, 2)


def test_a_field_holding_objects_is_an_error_naming_the_record_and_its_fields(tmp_path):
    with pytest.raises(InputError) as err:
        apply_mapping(_nested(tmp_path, agency="organisation"))
    (problem,) = err.value.problems
    assert (problem.row, problem.column, problem.unit) == (1, "organisation", "record")
    assert "name one of its fields (organisation.name, organisation.code)" in problem.expected
    assert "record 1, field 'organisation'" in str(err.value)


def test_a_list_of_objects_without_a_field_is_a_problem_in_each_record_holding_one(tmp_path):
    # Record 2's empty list makes `authorities` a field; record 1 holds objects there.
    with pytest.raises(InputError) as err:
        apply_mapping(_nested(tmp_path, authority="authorities"))
    (problem,) = err.value.problems
    assert (problem.row, problem.column, problem.value) == (1, "authorities", "<object>")
    assert "(name one of its fields: authorities.name)" in problem.expected


def test_a_nested_field_absent_from_some_records_is_blank_there_and_noted(tmp_path):
    result = apply_mapping(_nested(tmp_path, authority="organisation.code"))
    assert result.cases["authority"][0] == "T" and pd.isna(result.cases["authority"][1])
    assert (
        "register.json: field 'organisation.code' is absent from 1 of 2 records (record 2): "
        "read as blank"
    ) in result.report.notes


def test_a_missing_json_field_is_named_with_the_closest_field(tmp_path):
    with pytest.raises(InputError) as err:
        apply_mapping(_nested(tmp_path, agency="organisation.nme"))
    (problem,) = err.value.problems
    assert problem.column == "organisation.nme" and problem.row is None
    assert "did you mean 'organisation.name'?" in problem.expected


# -- multi-valued cells ----------------------------------------------------------------------
def test_one_technique_per_line_is_split_on_the_line_breaks(tmp_path):
    rows = [r[:] for r in ROWS]
    rows[1][5] = "Computer Vision\nmachine learning"
    rows[3][5] = "chatbot\r\nQuantum"
    _write_csv(tmp_path / "register.csv", rows)
    result = apply_mapping(_mapping(tmp_path, "register.csv"))
    assert result.cases["techniques"].tolist()[:3] == [
        "image_recognition;machine_learning",
        "machine_learning",
        "nlp",
    ]
    assert result.report.unmapped["value"].tolist() == ["Quantum"]
    # A line break inside a single-valued field is still a space when it is matched.
    rows[3][4] = "Public services\nand engagement"
    _write_csv(tmp_path / "register.csv", rows)
    result = apply_mapping(_mapping(tmp_path, "register.csv"))
    assert result.cases["category"][2] == "public_services"


def test_a_bracketed_qualifier_is_set_aside_for_a_values_key_and_noted(tmp_path):
    rows = [r[:] for r in ROWS]
    rows[1][5] = "Random forest (gradient boosted)"
    rows[2][5] = "Translation engine［法規］, chatbot"
    _write_csv(tmp_path / "register.csv", rows)
    text = MAPPING.replace(
        "    unmapped: report\n",
        "    unmapped: report\n    values:\n      random forest: machine_learning\n"
        "      translation engine: nlp\n",
    )
    result = apply_mapping(_mapping(tmp_path, "register.csv", text=text))
    assert result.cases["techniques"].tolist()[:2] == ["machine_learning", "nlp"]
    assert result.cases["techniques_as_recorded"][0] == "Random forest (gradient boosted)"
    notes = [n for n in result.report.notes if "bracketed qualifier" in n]
    assert notes == [
        "techniques (Methods): 'Random forest (gradient boosted)' read as the values key "
        "'Random forest', its bracketed qualifier being detail (kept in "
        "techniques_as_recorded; 1 row(s))",
        "techniques (Methods): 'Translation engine[法規]' read as the values key "
        "'Translation engine', its bracketed qualifier being detail (kept in "
        "techniques_as_recorded; 1 row(s))",
    ]


# -- the worked example of docs/json-registers.md (real cases, rearranged as nested JSON) ---------
EXAMPLES = config.ROOT / "docs" / "examples"


def test_the_json_register_example_is_what_its_script_writes(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location(
        "make_excerpt", EXAMPLES / "make_us_federal_2023_excerpt.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "OUT", tmp_path / "excerpt.json")
    module.main()
    committed = EXAMPLES / "us-federal-2023-excerpt.json"
    assert (tmp_path / "excerpt.json").read_bytes() == committed.read_bytes()


def test_the_json_register_example_reads_as_the_bundled_csv_rows():
    example = apply_mapping(EXAMPLES / "us-federal-2023-excerpt.yaml").cases
    bundled = inventories.load("us-federal-2023").cases.set_index("case_id")
    assert len(example) == 5 and example["case_id"].is_unique
    same = bundled.loc[example["case_id"]]
    for column in ("name", "agency", "description"):
        assert example[column].tolist() == same[column].tolist(), column
    # The offices were the CSV's comma-separated Agency cell, a list of objects in the JSON.
    assert example["offices"].tolist() == same["bureau"].str.replace(", ", "; ").tolist()
    # A blank Development_Stage is left out of its record: read as blank again.
    assert example["stage"].isna().tolist() == same["stage"].isna().tolist()


def test_a_required_field_left_blank_is_a_problem_on_its_row(tmp_path):
    rows = [r[:] for r in ROWS]
    rows[2][3] = "  "  # R-2's Purpose
    _write_csv(tmp_path / "register.csv", rows)
    text = MAPPING.replace(
        "  description: Purpose", "  description:\n    from: Purpose\n    required: true"
    )
    with pytest.raises(InputError) as err:
        apply_mapping(_mapping(tmp_path, "register.csv", text=text))
    (problem,) = err.value.problems
    assert (problem.row, problem.column, problem.value) == (3, "Purpose", "")
    assert "the mapping marks description required" in problem.expected
    # Not required, the blank is kept blank.
    result = apply_mapping(_mapping(tmp_path, "register.csv"))
    assert pd.isna(result.cases["description"][1])


def test_a_required_json_field_absent_from_a_record_names_the_record(tmp_path):
    path = _nested(tmp_path, authority="{from: organisation.code, required: true}")
    with pytest.raises(InputError) as err:
        apply_mapping(path)
    (problem,) = err.value.problems
    assert (problem.row, problem.column, problem.value) == (2, "organisation.code", "<absent>")
    assert "record 2, field 'organisation.code'" in str(err.value)
