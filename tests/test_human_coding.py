"""Human coding end to end: sheets per coder out, filled sheets in, agreement, merge.

The bundled route writes the two recorded annotation passes of the Taiwanese public cases
and their adjudication (data/raw/taiwan-reference/) as filled sheets and reads them back;
the expectations come from that folder's files, read here with the csv module.
"""

import csv

import pandas as pd
import pytest
from openpyxl import load_workbook

from analysis import canonical, config, human_coding
from analysis.errors import AnalysisError, InputError

REFERENCE = config.RAW_DIR / "taiwan-reference"


def csv_rows(name):
    with (REFERENCE / name).open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def bundled(frame):
    return human_coding.import_sheets("", "adjudicated", frame)


def test_bundled_route_reads_the_passes_as_annotations_never_human(bundled):
    assert set(bundled.codes["coded_by"]) == {
        "annotator:a",
        "annotator:b",
        "annotator:adjudicated",
    }
    assert bundled.coders == ["annotator:a", "annotator:b"]
    assert bundled.adjudicator == "adjudicated"
    assert len(bundled.cases) == len(csv_rows("items.csv"))


def test_the_bundled_round_trip_as_stored_equals_one_done_now(bundled, frame):
    codes, listed, names = human_coding.bundled_sheets.uncached(frame, config.DEFAULT_LANGUAGE)
    pd.testing.assert_frame_equal(bundled.codes, codes, check_exact=True)
    assert [p.name for p in bundled.sheets] == names and len(names) == 3
    for _ in range(2):  # computed or read, then read
        stored = human_coding.bundled_sheets(frame, config.DEFAULT_LANGUAGE)
        pd.testing.assert_frame_equal(stored[0], codes, check_exact=True)
        for got, expected in zip(stored[1], listed, strict=True):
            pd.testing.assert_frame_equal(got, expected, check_exact=True)
        assert stored[2] == names


def test_disagreements_are_those_the_adjudication_resolved(bundled, frame):
    dis = human_coding.disagreement_list(bundled, frame)
    items = {r["item"]: (r["inventory"], r["case_id"]) for r in csv_rows("items.csv")}
    heads = {frame.heading(k): k for k in ("category", "application_type", "techniques")}
    heads |= {frame.label("flag", f): f for f in frame.flag_keys}
    recorded = {(*items[r["item"]], heads[r["field"]]) for r in csv_rows("disagreements.csv")}
    assert set(zip(dis["inventory"], dis["case_id"], dis["field"])) == recorded
    assert len(dis) == len(csv_rows("adjudicated.csv"))
    assert dis["name"].notna().all()


def test_merge_takes_agreed_values_and_the_adjudicators_elsewhere(bundled, frame):
    merged = human_coding.merged(bundled, frame=frame)
    assert canonical.validate(merged, frame) == []
    public = merged[merged["inventory"] == "taiwan-public"].set_index("case_id")
    items = {r["item"]: r["case_id"] for r in csv_rows("items.csv")}
    a = {items[r["item"]]: r for r in csv_rows("pass-a.csv")}
    b = {items[r["item"]]: r for r in csv_rows("pass-b.csv")}
    ruled = {
        items[r["item"]]: r["value"]
        for r in csv_rows("adjudicated.csv")
        if r["field"] == frame.heading("category")
    }
    head = frame.heading("category")
    for cid, row in public.iterrows():
        if cid in ruled:
            assert row["category"] == frame.lookup("category", ruled[cid])
            assert row["category_coded_by"] == "annotator:adjudicated"
        else:
            assert row["category"] == frame.lookup("category", a[cid][head])
            assert a[cid][head] == b[cid][head] and row["category_coded_by"] == "annotator:a+b"
    # the study's own codes are kept
    study = merged[merged["inventory"] == "study"]
    assert set(study["category_coded_by"]) == {"study"}


def test_agreement_tables_have_a_row_per_field_and_flag(bundled, frame):
    alpha = human_coding.field_agreement(bundled, frame)
    assert alpha["field"].tolist() == ["category", "application_type", "techniques"] + list(
        frame.flag_keys
    )
    assert (alpha["pairable"] == len(csv_rows("items.csv"))).all()
    kappa = human_coding.flag_kappa(bundled, frame)
    assert kappa["field"].tolist() == list(frame.flag_keys)


def test_export_writes_one_named_sheet_per_coder(tmp_path, study, frame):
    paths = human_coding.export_sheets(study, ["ana", "bo"], tmp_path, frame)
    assert [p.name for p in paths] == ["study-ana.xlsx", "study-bo.xlsx"]
    assert load_workbook(paths[1])["about"]["B1"].value == "bo"
    for bad in (["ana", "ana"], ["a/b"], [" "]):
        with pytest.raises(AnalysisError, match="--coder"):
            human_coding.export_sheets(study, bad, tmp_path, frame)


def test_paths_without_sheets_are_refused_by_name(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError) as info:
        human_coding.sheet_files([tmp_path / "empty", tmp_path / "missing.xlsx"])
    assert [p.file for p in info.value.problems] == [
        str(tmp_path / "empty"),
        str(tmp_path / "missing.xlsx"),
    ]
    assert all(p.expected_zh for p in info.value.problems)


def test_merge_sources_count_every_case_once_per_field(bundled, frame):
    merged = human_coding.merged(bundled, frame=frame)
    table = human_coding.merge_sources(merged, frame).set_index("field")
    assert (table.sum(axis=1) == len(merged)).all()
