"""The mapping format on small inventories the code has never seen (CSV and XLSX), and the
errors and rejections a bad file causes."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis import inventories
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


@pytest.fixture(params=["csv", "xlsx"])
def townhall(request, tmp_path):
    if request.param == "csv":
        _write_csv(tmp_path / "register.csv", ROWS)
        return _mapping(tmp_path, "register.csv")
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
    assert sorted(p.row for p in err.value.problems) == [3, 5]
    assert all(p.value == "R-2" for p in err.value.problems)


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
