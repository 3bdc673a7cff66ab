"""The canonical case table: schema, validation, export and import."""

import pandas as pd
import pytest

from analysis import canonical
from analysis.errors import InputError


def test_columns_follow_the_frame(frame):
    cols = canonical.canonical_columns(frame)
    assert cols[:6] == ["case_id", "inventory", "source", "name", "agency", "description"]
    assert [c for c in cols if c in frame.flag_keys] == frame.flag_keys
    assert "flags_coded_by" in cols and "techniques_as_recorded" in cols
    assert canonical.empty(frame).shape == (0, len(cols))


def test_study_table_is_valid(study, frame):
    assert canonical.validate(study, frame) == []


def test_technique_lists(study):
    lists = canonical.technique_lists(study)
    assert lists.iloc[10] == ["machine_learning", "nlp", "big_data_analytics"]
    blank = study.copy()
    blank.loc[0, "techniques"] = pd.NA
    assert canonical.technique_lists(blank).iloc[0] == []


@pytest.mark.parametrize(
    "column,value,expected",
    [
        ("category", "policing", "frame category key"),
        ("application_type", "benefits_decisions", "application type of category enforcement"),
        ("techniques", "image_recognition;telepathy", "technique keys"),
        ("category_coded_by", "oracle", "one of study"),
        ("case_id", "digi-1", "unique within its inventory"),
    ],
)
def test_validation_names_row_column_value(study, frame, column, value, expected):
    bad = study.copy()
    bad.loc[3, column] = value
    problems = canonical.validate(bad, frame)
    assert len(problems) == 1
    p = problems[0]
    assert (p.row, p.column, p.value) == (5, column, value)
    assert expected in p.expected
    with pytest.raises(InputError, match="row 5"):
        canonical.check(bad, frame)


def test_missing_column_and_wrong_flag_dtype(study, frame):
    problems = canonical.validate(study.drop(columns=["ethics"]), frame)
    assert [p.column for p in problems] == ["ethics"]
    wrong = study.copy()
    wrong["ethics"] = wrong["ethics"].astype("string")
    assert [p.column for p in canonical.validate(wrong, frame)] == ["ethics"]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_export_round_trip(study, frame, tmp_path, suffix):
    with_na = study.copy()
    with_na.loc[2, "ethics"] = pd.NA
    with_na.loc[2, "flags_coded_by"] = "study"
    path = canonical.write(with_na, tmp_path / f"cases{suffix}", frame)
    back = canonical.read_export(path, frame)
    pd.testing.assert_frame_equal(back, with_na)


def test_export_writes_tri_state_flags(study, frame, tmp_path):
    with_na = study.copy()
    with_na.loc[0, "automated_decision"] = pd.NA
    path = canonical.write(with_na, tmp_path / "c.csv", frame)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert table.loc[0, "automated_decision"] == ""
    assert table.loc[1, "automated_decision"] == "no"
    assert table.loc[3, "automated_decision"] == "yes"


def test_import_rejects_non_tri_state_values(study, frame, tmp_path):
    table = canonical.to_export(study, frame)
    table.loc[4, "ethics"] = "maybe"
    with pytest.raises(InputError, match=r"row 6, column 'ethics'"):
        canonical.from_export(table, frame, "x.csv")
