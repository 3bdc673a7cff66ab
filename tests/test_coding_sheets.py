"""Coding sheets for people: export, import, reliability, merge.

The coders' answers here are synthetic (filled in by the test from the study's own codes,
with deliberate changes) and exercise the mechanics only.
"""

import pandas as pd
import pytest
from krippendorff import alpha as kalpha
from openpyxl import load_workbook
from sklearn.metrics import cohen_kappa_score

from analysis import canonical
from analysis.coders import RuleCoder
from analysis.coding_sheets import (
    coding_columns,
    consensus,
    disagreements,
    export_sheet,
    merge,
    read_sheet,
    read_sheets,
    reliability,
    suggestion_agreement,
    write_sheet,
)
from analysis.errors import InputError


def fill(path, out, coder, study, frame, language="zh-TW", changes=None):
    """A synthetic coder: enters the study's codes as labels, with ``changes``
    {(case_id, column): value} applied on top."""
    wb = load_workbook(path)
    ws = wb["cases"]
    header = [c.value for c in ws[1]]
    col = {h: i + 1 for i, h in enumerate(header)}
    yes, no = ("是", "否") if language == "zh-TW" else ("yes", "no")
    by_id = study.set_index("case_id")
    for r in range(2, ws.max_row + 1):
        cid = ws.cell(r, col["case_id"]).value
        case = by_id.loc[cid]
        values = {
            "category": frame.label("category", case["category"], language),
            "application_type": frame.label("application_type", case["application_type"], language),
        }
        for i, t in enumerate(str(case["techniques"]).split(";")[:3], start=1):
            values[f"technique_{i}"] = frame.label("technique", t, language)
        for f in frame.flag_keys:
            values[f] = yes if bool(case[f]) else no
        for (c, column), v in (changes or {}).items():
            if c == cid:
                values[column] = v
        for column, v in values.items():
            ws.cell(r, col[column]).value = v
    wb["about"]["B1"] = coder
    wb.save(out)
    return out


@pytest.fixture()
def sheet(tmp_path, study, frame):
    return write_sheet(study, tmp_path / "batch.xlsx", frame)


def test_sheet_is_byte_identical_with_drop_downs_and_instructions(tmp_path, study, frame):
    a = export_sheet(study, frame)
    assert a == export_sheet(study, frame)
    path = tmp_path / "s.xlsx"
    path.write_bytes(a)
    wb = load_workbook(path)
    assert wb.sheetnames == ["cases", "lists", "about", "instructions"]
    ws = wb["cases"]
    header = [c.value for c in ws[1]]
    assert header[:5] == ["case_id", "inventory", "name", "agency", "description"]
    assert all(c in header for c in coding_columns(frame))
    assert ws.max_row == 12
    formulas = {dv.formula1: str(dv.sqref) for dv in ws.data_validations.dataValidation}
    lists = wb["lists"]
    categories = [lists.cell(r, 1).value for r in range(2, 7)]
    assert categories == [frame.label("category", k) for k in frame.category_keys]
    assert (
        "lists!$A$2:$A$6" in formulas
        and "lists!$B$2:$B$15" in formulas
        and f"lists!$C$2:$C${len(frame.technique_keys) + 1}" in formulas  # one row per technique
    )
    cat_col = header.index("category") + 1
    from openpyxl.utils import get_column_letter

    assert (
        formulas["lists!$A$2:$A$6"]
        == f"{get_column_letter(cat_col)}2:{get_column_letter(cat_col)}12"
    )
    help_rows = list(wb["instructions"].iter_rows(values_only=True))
    assert help_rows[0] == ("zh-TW", "en") and all(zh and en for zh, en in help_rows[1:6])


def test_two_coders_reliability_disagreements_and_merge(tmp_path, sheet, study, frame):
    a = fill(sheet, tmp_path / "a.xlsx", "synthetic-a", study, frame)
    b = fill(
        sheet,
        tmp_path / "b.xlsx",
        "synthetic-b",
        study,
        frame,
        changes={
            ("digi-1", "category"): frame.label("category", "regulatory_analysis"),
            ("digi-1", "application_type"): frame.label("application_type", "information_analysis"),
            ("award-1", "ethics"): "是",
            ("taipei-1", "ethics"): "是",
        },
    )
    codes = read_sheets([a, b], frame)
    assert set(codes["coded_by"]) == {"human:synthetic-a", "human:synthetic-b"}
    summary, pairs = reliability(codes, frame)
    summary = summary.set_index("field")
    # independent computation: krippendorff on numeric codes, sklearn for kappa
    truth = study["category"].tolist()
    other = ["regulatory_analysis"] + truth[1:]
    keys = sorted(set(truth) | set(other))
    data = [[keys.index(v) for v in truth], [keys.index(v) for v in other]]
    assert summary.loc["category", "alpha"] == pytest.approx(
        kalpha(reliability_data=data, level_of_measurement="nominal")
    )
    eth_a = ["yes" if v else "no" for v in study["ethics"]]
    eth_b = [
        ("yes" if cid in ("award-1", "taipei-1") else e) for cid, e in zip(study["case_id"], eth_a)
    ]
    order = study["case_id"].tolist()
    perm = sorted(range(11), key=lambda i: order[i])
    kappa = pairs.set_index("field").loc["ethics", "kappa"]
    assert kappa == pytest.approx(
        cohen_kappa_score([eth_a[i] for i in perm], [eth_b[i] for i in perm])
    )
    assert summary.loc["human_rights", "alpha"] == 1.0 and summary.loc[
        "ethics", "agreement"
    ] == pytest.approx(9 / 11)
    dis = disagreements(codes, frame)
    assert set(zip(dis["case_id"], dis["field"])) == {
        ("digi-1", "category"),
        ("digi-1", "application_type"),
        ("award-1", "ethics"),
        ("taipei-1", "ethics"),
    }
    # merge: the people's agreed codes replace model codes, never the study's
    table = study.copy()
    table.loc[0, ["category", "application_type"]] = pd.NA
    table.loc[0, ["category_coded_by", "application_type_coded_by"]] = pd.NA
    table.loc[6, "ethics"] = True  # award-2, as if a model had ticked it
    table.loc[6, "flags_coded_by"] = "model"
    merged = merge(table, codes, frame)
    assert pd.isna(merged.loc[0, "category"])  # the coders disagree: left uncoded
    assert bool(merged.loc[6, "ethics"]) is False
    assert merged.loc[6, "flags_coded_by"] == "human:synthetic-a+synthetic-b"
    assert merged.loc[1, "category_coded_by"] == "study"
    resolved = merge(table, codes, frame, resolve="synthetic-b")
    assert (
        resolved.loc[0, "category"] == "regulatory_analysis"
        and resolved.loc[0, "category_coded_by"] == "human:synthetic-b"
    )
    assert canonical.validate(resolved, frame) == []


def test_merge_fills_uncoded_cases_with_the_agreed_code(tmp_path, sheet, study, frame):
    a = fill(sheet, tmp_path / "a.xlsx", "synthetic-a", study, frame)
    b = fill(sheet, tmp_path / "b.xlsx", "synthetic-b", study, frame)
    codes = read_sheets([a, b], frame)
    blank = study.copy()
    blank["category"] = pd.NA
    blank["category_coded_by"] = pd.NA
    merged = merge(blank, codes, frame)
    assert merged["category"].tolist() == study["category"].tolist()
    assert set(merged["category_coded_by"]) == {"human:synthetic-a+synthetic-b"}


def test_invalid_entries_name_file_row_and_column(tmp_path, sheet, study, frame):
    bad = fill(
        sheet,
        tmp_path / "bad.xlsx",
        "synthetic-c",
        study,
        frame,
        changes={
            ("digi-3", "category"): "Surveillance",
            ("award-2", "ethics"): "maybe",
            ("digi-2", "application_type"): frame.label("application_type", "benefits_decisions"),
        },
    )
    with pytest.raises(InputError) as info:
        read_sheet(bad, frame)
    problems = {(p.row, p.column, p.value) for p in info.value.problems}
    rows = {cid: i + 2 for i, cid in enumerate(study["case_id"])}
    assert problems == {
        (rows["digi-3"], "category", "Surveillance"),
        (rows["award-2"], "ethics", "maybe"),
        (rows["digi-2"], "application_type", frame.label("application_type", "benefits_decisions")),
    }
    assert "bad.xlsx" in str(info.value) and all(
        p.file.endswith("bad.xlsx") for p in info.value.problems
    )


def test_english_sheet_and_suggestions_measured_against_final_codes(tmp_path, study, frame):
    suggestions = RuleCoder(frame).code(study)
    path = write_sheet(
        study, tmp_path / "en.xlsx", frame, language="en", suggestions=suggestions, prefill=True
    )
    wb = load_workbook(path)
    header = [c.value for c in wb["cases"][1]]
    assert "suggested_category" in header
    # pre-filled: the coding cells hold the rule coder's suggestions as English labels
    first = dict(zip(header, [c.value for c in wb["cases"][2]]))
    sug = suggestions[(suggestions["case_id"] == "digi-1") & (suggestions["field"] == "category")][
        "value"
    ].iloc[0]
    assert first["category"] == frame.label("category", sug, "en")
    a = fill(path, tmp_path / "a.xlsx", "synthetic-a", study, frame, language="en")
    b = fill(path, tmp_path / "b.xlsx", "synthetic-b", study, frame, language="en")
    final = consensus(read_sheets([a, b], frame), frame)
    measured = suggestion_agreement(final, suggestions, frame).set_index("field")
    cat = suggestions[suggestions["field"] == "category"].set_index("case_id")["value"]
    truth = study.set_index("case_id")["category"]
    expected = sum(cat.get(c) == truth[c] for c in truth.index) / len(truth)
    assert measured.loc["category", "accuracy"] == pytest.approx(expected)
    assert measured.loc["category", "suggested_by"] == "rules"
