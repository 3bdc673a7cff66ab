"""The canonical case table: schema, validation, export and import."""

import csv
import math

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


# -- spreadsheet formulas in CSV cells, and unreadable exports -------------------------------
#: Text a spreadsheet would run, each with the cell the CSV must hold (written by hand).
FORMULAS = [
    ('=HYPERLINK("http://example.org","x")', '\'=HYPERLINK("http://example.org","x")'),
    ("@SUM(1+1)", "'@SUM(1+1)"),
    ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
    ("-2+3", "'-2+3"),
    ("\t=1+1", "'\t=1+1"),
    ("\r=1+1", "'\r=1+1"),
    ("'=1+1", "''=1+1"),
]


@pytest.mark.parametrize("value, cell", FORMULAS)
def test_csv_export_prefixes_formulas_and_reads_them_back(study, frame, tmp_path, value, cell):
    cases = study.copy()
    cases.loc[3, "name"] = value
    cases.loc[4, "description"] = "-2"  # a plain number is not a formula: left as it is
    path = canonical.write(cases, tmp_path / "c.csv", frame)
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert rows[3]["name"] == cell
    assert rows[4]["description"] == "-2"
    assert rows[5]["name"] == study.loc[5, "name"]
    pd.testing.assert_frame_equal(canonical.read_export(path, frame), cases)


def test_a_long_export_is_written_from_its_stored_csv_the_same_bytes(frame, tmp_path, monkeypatch):
    from analysis import cache, inventories, outputs

    monkeypatch.setenv("ANALYSIS_CACHE_DIR", str(tmp_path / "cache"))  # a cache of its own
    cases = inventories.load("us-federal-2025").cases
    assert cases.size >= canonical.CACHED_CELLS
    cases.loc[cases.index[1], "name"] = "=1+1"

    def built(table, raw=False):
        exported = canonical.to_export(table, frame)
        return outputs.csv_bytes(exported if raw else canonical.formula_safe(exported))

    stored = cache.folder(canonical.CSV_NAMESPACE)
    first = canonical.write(cases, tmp_path / "a.csv", frame).read_bytes()
    again = canonical.write(cases, tmp_path / "b.csv", frame).read_bytes()  # read back
    assert first == again == built(cases) and b"'=1+1" in first
    assert len(list(stored.glob(f"*{cache.SUFFIX}"))) == 1
    changed = cases.copy()
    changed.loc[changed.index[0], "agency"] = "another agency"
    assert canonical.write(changed, tmp_path / "c.csv", frame).read_bytes() == built(changed)
    raw = canonical.write(cases, tmp_path / "d.csv", frame, raw_csv=True).read_bytes()
    assert raw == built(cases, raw=True) != first
    pd.testing.assert_frame_equal(canonical.read_export(tmp_path / "b.csv", frame), cases)


def test_formula_prefixes_leave_other_cells_as_they_were():
    """Repeated text gets the same prefix; a number in a text column keeps its value and
    type (-0.0 stays -0.0 beside 0.0)."""
    cells = ["=1+1", "a", "=1+1", 0.0, -0.0, 2, "-2", None]
    safe = canonical.formula_safe(pd.DataFrame({"text": pd.Series(cells, dtype=object)}))
    out = safe["text"].tolist()
    assert out[:3] == ["'=1+1", "a", "'=1+1"] and out[5:7] == [2, "-2"] and out[7] is None
    assert [(type(v), math.copysign(1, v)) for v in out[3:5]] == [(float, 1.0), (float, -1.0)]


def test_raw_csv_and_xlsx_keep_formula_text_unchanged(study, frame, tmp_path):
    from openpyxl import load_workbook

    cases = study.copy()
    cases.loc[0, "name"] = "=1+1"
    raw = canonical.write(cases, tmp_path / "raw.csv", frame, raw_csv=True)
    with raw.open(encoding="utf-8-sig", newline="") as fh:
        assert list(csv.DictReader(fh))[0]["name"] == "=1+1"
    book = canonical.write(cases, tmp_path / "c.xlsx", frame)
    cell = load_workbook(book)["cases"]["D2"]
    assert (cell.value, cell.data_type) == ("=1+1", "s")  # stored as text, never a formula
    pd.testing.assert_frame_equal(canonical.read_export(book, frame), cases)


@settings(derandomize=True, max_examples=200)
@given(
    st.lists(
        st.one_of(
            st.none(),
            st.text(max_size=6),
            st.sampled_from(["+0", "-2", "+3.5", "-1e3", "=1+1", "+cmd", "-2+3", "@SUM(A1)"]),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_synthetic_formula_prefix_round_trips(values):
    """A spreadsheet runs a cell starting = + - @ TAB CR, except text that is a plain number
    (written here independently of the module: float() reads it, no space or letter but e)."""

    def plain_number(v: str) -> bool:
        try:
            float(v)
        except ValueError:
            return False
        return v.strip() == v and "_" not in v and not any(c.isalpha() and c not in "eE" for c in v)

    table = pd.DataFrame({"text": pd.Series(values, dtype=object), "number": -1.5})
    safe = canonical.formula_safe(table)
    for before, after in zip(values, safe["text"]):
        if isinstance(before, str) and before[:1] and before[:1] in "=+-@\t\r":
            assert after == (before if plain_number(before) else "'" + before), before
    assert safe["number"].tolist() == [-1.5] * len(values)
    pd.testing.assert_frame_equal(canonical.formula_restored(safe), table)


def test_unreadable_exports_are_input_errors_naming_the_file(tmp_path):
    cp950 = tmp_path / "cp950.csv"
    cp950.write_bytes("case_id,name\n1,中文\n".encode("cp950"))
    with pytest.raises(InputError) as e:
        canonical.read_export(cp950)
    (p,) = e.value.problems
    assert (p.file, p.unit, p.row, p.value) == (str(cp950), "line", 2, b"\xa4\xa4\xa4\xe5")
    assert "UTF-8" in p.expected and "UTF-8" in p.expected_zh
    corrupt = tmp_path / "corrupt.xlsx"
    corrupt.write_bytes(b"PK\x03\x04 not a zip archive")
    with pytest.raises(InputError) as e:
        canonical.read_export(corrupt)
    (p,) = e.value.problems
    assert (p.file, p.value) == (str(corrupt), "BadZipFile") and "XLSX" in p.expected
    folder = tmp_path / "folder.csv"
    folder.mkdir()
    with pytest.raises(InputError) as e:
        canonical.read_export(folder)
    assert (e.value.problems[0].file, e.value.problems[0].value) == (str(folder), "a folder")
    unclosed = tmp_path / "unclosed.csv"
    unclosed.write_text('case_id,name\n1,"never closed\n2,b\n', encoding="utf-8")
    with pytest.raises(InputError) as e:
        canonical.read_export(unclosed)
    assert "EOF inside string" in e.value.problems[0].value
