"""Coding sheets for people: export, import, reliability, merge.

Two kinds of answers are typed into the sheets: synthetic coders (the study's own codes,
with deliberate changes) for the mechanics, and the two recorded annotation passes of the
Taiwanese public cases (data/raw/taiwan-reference/, read here with the csv module), whose
agreement is checked against the krippendorff and scikit-learn packages.
"""

import csv
import re

import pandas as pd
import pytest
from krippendorff import alpha as kalpha
from openpyxl import load_workbook
from sklearn.metrics import cohen_kappa_score

from analysis import canonical, config
from analysis.annotations import load_set
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
    sheet_heading,
    suggestion_agreement,
    write_sheet,
)
from analysis.errors import InputError


def columns_of(ws, frame, language="zh-TW"):
    """Column key -> 1-based column number of a sheet, found by its header."""
    keys = ["case_id", "inventory", "name", *coding_columns(frame), "notes"]
    by_header = {sheet_heading(k, frame, language): k for k in keys}
    return {by_header[c.value]: c.column for c in ws[1] if c.value in by_header}


def fill(path, out, coder, study, frame, language="zh-TW", changes=None):
    """A synthetic coder: enters the study's codes as labels, with ``changes``
    {(case_id, column): value} applied on top."""
    wb = load_workbook(path)
    ws = wb["cases"]
    col = columns_of(ws, frame, language)
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
    assert wb.sheetnames[:2] == ["instructions", "cases"] and wb.active.title == "instructions"
    ws = wb["cases"]
    assert ws.max_row == 12
    formulas = {dv.formula1: str(dv.sqref) for dv in ws.data_validations.dataValidation}
    lists = wb["lists"]
    categories = [lists.cell(r, 1).value for r in range(2, 7)]
    assert categories == [frame.label("category", k) for k in frame.category_keys]
    techniques = len(frame.technique_keys) + 1  # and "not stated"
    assert "lists!$A$2:$A$6" in formulas and f"lists!$D$2:$D${techniques + 1}" in formulas
    col = columns_of(ws, frame)
    from openpyxl.utils import get_column_letter

    cat = get_column_letter(col["category"])
    assert formulas["lists!$A$2:$A$6"] == f"{cat}2:{cat}12"
    help_rows = list(wb["instructions"].iter_rows(values_only=True))
    assert help_rows[0] == ("zh-TW", "en") and all(zh and en for zh, en in help_rows[1:6])


def test_application_types_drop_down_is_narrowed_by_the_category(tmp_path, study, frame):
    wb = load_workbook(write_sheet(study, tmp_path / "s.xlsx", frame))
    ws = wb["cases"]
    col = columns_of(ws, frame)
    from openpyxl.utils import get_column_letter

    typ = get_column_letter(col["application_type"])
    (dv,) = [dv for dv in ws.data_validations.dataValidation if str(dv.sqref) == f"{typ}2:{typ}12"]
    assert dv.formula1.startswith("INDIRECT(") and f"${get_column_letter(col['category'])}2" in (
        dv.formula1
    )
    lists = wb["lists"]
    for key in frame.category_keys:
        sheet, ref = wb.defined_names[f"types_{key}"].attr_text.split("!")
        cells = [c.value for row in lists[ref.replace("$", "")] for c in row]
        assert cells == [
            frame.label("application_type", t) for t in frame.application_types_of(key)
        ]
    # the category's label finds its key in the table the formula looks up
    table = {lists.cell(r, 1).value: lists.cell(r, 2).value for r in range(2, 7)}
    assert table == {frame.label("category", k): k for k in frame.category_keys}


@pytest.mark.parametrize("language", ["zh-TW", "en"])
def test_headers_are_the_frames_words_with_widths_and_a_frozen_header(
    tmp_path, study, frame, language
):
    suggestions = RuleCoder(frame).code(study)
    wb = load_workbook(
        write_sheet(study, tmp_path / "s.xlsx", frame, language, suggestions=suggestions)
    )
    ws = wb["cases"]
    header = [c.value for c in ws[1]]
    lang = "en" if language == "en" else "zh-TW"
    info = [frame.heading(k, lang) for k in ("case_id", "inventory", "name", "agency")]
    assert header[:4] == info
    assert frame.heading("category", lang) in header
    assert all(frame.label("flag", f, lang) in header for f in frame.flag_keys)
    assert f"{frame.heading('technique', lang)} 1" in header
    assert not [h for h in header if re.fullmatch(r"[a-z]+(_[a-z0-9]+)+", h)]  # no snake_case
    assert ws.freeze_panes == "D2" and ws.auto_filter.ref.startswith("A1:")
    widths = {k: v.width for k, v in ws.column_dimensions.items()}
    assert len(widths) == len(header) and all(6 <= w <= 60 for w in widths.values())


def test_sheets_headed_with_column_keys_are_still_read(tmp_path, sheet, study, frame):
    filled = fill(sheet, tmp_path / "a.xlsx", "synthetic-a", study, frame)
    wb = load_workbook(filled)
    ws = wb["cases"]
    for key, number in columns_of(ws, frame).items():
        ws.cell(1, number).value = key
    wb.save(tmp_path / "keys.xlsx")
    pd.testing.assert_frame_equal(
        read_sheet(tmp_path / "keys.xlsx", frame), read_sheet(filled, frame)
    )


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
        (rows["digi-3"], frame.heading("category"), "Surveillance"),
        (rows["award-2"], frame.label("flag", "ethics"), "maybe"),
        (
            rows["digi-2"],
            frame.heading("application_type"),
            frame.label("application_type", "benefits_decisions"),
        ),
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
    assert "Suggested: AI use category" in header
    # pre-filled: the coding cells hold the rule coder's suggestions as English labels
    first = dict(zip(header, [c.value for c in wb["cases"][2]]))
    first["category"] = first[frame.heading("category", "en")]
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


# -- the annotation passes, typed into coding sheets ------------------------------------------
REFERENCE = config.RAW_DIR / "taiwan-reference"


def pass_rows(pass_id):
    """A recorded pass as written (zh-TW names, V ticks), by (inventory, case_id)."""
    with (REFERENCE / "items.csv").open(encoding="utf-8", newline="") as fh:
        where = {r["item"]: (r["inventory"], r["case_id"]) for r in csv.DictReader(fh)}
    with (REFERENCE / f"pass-{pass_id}.csv").open(encoding="utf-8-sig", newline="") as fh:
        return {where[r["item"]]: r for r in csv.DictReader(fh)}


def type_pass(path, out, pass_id, frame):
    """Fill a sheet as a coder types a pass's answers into it: its names in the drop-down
    cells, one technique per column (未載明 as it is), 是 for V and 否 for blank."""
    answers = pass_rows(pass_id)
    wb = load_workbook(path)
    ws = wb["cases"]
    col = columns_of(ws, frame)
    for r in range(2, ws.max_row + 1):
        key = (ws.cell(r, col["inventory"]).value, ws.cell(r, col["case_id"]).value)
        a = answers[key]
        ws.cell(r, col["category"]).value = a["AI應用類型"]
        ws.cell(r, col["application_type"]).value = a["應用類型"]
        for i, t in enumerate(a["使用AI技術"].split(";"), start=1):
            ws.cell(r, col[f"technique_{i}"]).value = t
        for f in frame.flag_keys:
            ws.cell(r, col[f]).value = "是" if a[frame.label("flag", f)] == "V" else "否"
    wb.save(out)
    return out


def numeric(values):
    keys = sorted(set(values))
    return [keys.index(v) for v in values]


@pytest.fixture(scope="module")
def typed_passes(tmp_path_factory, frame):
    folder = tmp_path_factory.mktemp("passes")
    items = load_set("taiwan-reference", frame).items
    paths = []
    for pass_id in ("a", "b"):
        blank = write_sheet(items, folder / f"blank-{pass_id}.xlsx", frame, coder=pass_id)
        wb = load_workbook(blank)
        wb["about"]["B2"] = "annotator"  # AI-assisted passes: annotations, not human coding
        wb.save(blank)
        paths.append(type_pass(blank, folder / f"pass-{pass_id}.xlsx", pass_id, frame))
    return read_sheets(paths, frame)


def test_typed_passes_give_the_alpha_and_kappa_of_the_krippendorff_package(typed_passes, frame):
    assert set(typed_passes["coded_by"]) == {"annotator:a", "annotator:b"}
    summary, pairs = reliability(typed_passes, frame)
    summary, kappa = summary.set_index("field"), pairs.set_index("field")["kappa"]
    a, b = pass_rows("a"), pass_rows("b")
    units = sorted(a)
    category = [[frame.lookup("category", p[u]["AI應用類型"]) for u in units] for p in (a, b)]
    both = numeric(category[0] + category[1])
    assert summary.loc["category", "alpha"] == pytest.approx(
        kalpha(
            reliability_data=[both[: len(units)], both[len(units) :]],
            level_of_measurement="nominal",
        )
    )
    for f in frame.flag_keys:
        ticks = [[p[u][frame.label("flag", f)] == "V" for u in units] for p in (a, b)]
        expected = kalpha(
            reliability_data=[[int(t) for t in ticks[0]], [int(t) for t in ticks[1]]],
            level_of_measurement="nominal",
        )
        assert summary.loc[f, "alpha"] == pytest.approx(expected)
        assert kappa[f] == pytest.approx(cohen_kappa_score(ticks[0], ticks[1]))


def test_typed_passes_read_back_as_the_recorded_passes(typed_passes, frame):
    recorded = load_set("taiwan-reference", frame).passes
    key = ["coded_by", "inventory", "case_id", "field"]
    got = typed_passes.sort_values(key).reset_index(drop=True)
    want = recorded.sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(got[key + ["value"]], want[key + ["value"]])


def test_application_type_outside_its_category_is_refused(tmp_path, sheet, study, frame):
    outside = frame.label("application_type", frame.application_types_of("public_services")[0])
    bad = fill(
        sheet,
        tmp_path / "bad.xlsx",
        "synthetic-d",
        study,
        frame,
        changes={("digi-4", "application_type"): outside},
    )
    with pytest.raises(InputError) as info:
        read_sheet(bad, frame)
    (problem,) = info.value.problems
    row = 2 + study["case_id"].tolist().index("digi-4")
    assert (problem.file, problem.row, problem.column, problem.value) == (
        str(bad),
        row,
        frame.heading("application_type"),
        outside,
    )
    assert frame.label("category", "enforcement") in problem.expected_zh
