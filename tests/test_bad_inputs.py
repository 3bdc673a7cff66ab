"""The corpus of malformed synthetic inventories (tests/bad_inputs/): each one ends as the
error, rejection or load written by hand in tests/bad_inputs/expected.yaml, and every error
names file, spreadsheet row (JSON: record, or line), column (JSON: field), value and what was
expected in English and zh-TW."""

from __future__ import annotations

import importlib.util
import tracemalloc
from pathlib import Path

import pandas as pd
import pytest
import yaml

from analysis.errors import InputError
from analysis.mapping import apply_mapping
from analysis.readers import MAX_BYTES

CORPUS = Path(__file__).parent / "bad_inputs"
EXPECTED = yaml.safe_load((CORPUS / "expected.yaml").read_text(encoding="utf-8"))


def _generator():
    spec = importlib.util.spec_from_file_location("make_corpus", CORPUS / "make_corpus.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_corpus_files_are_what_the_generator_writes_and_each_has_an_expectation(tmp_path):
    written = _generator().write(tmp_path)
    for name in written:
        assert (CORPUS / name).read_bytes() == (tmp_path / name).read_bytes(), name
    mappings = {n[:-5] for n in written if n.endswith(".yaml")}
    assert mappings == set(EXPECTED)
    assert len(mappings) >= 30
    outcomes = {e["outcome"] for e in EXPECTED.values()}
    assert outcomes == {"error", "rejection", "loads"}


def _value(entry: dict) -> object:
    if "value_bytes" in entry:
        text, encoding, start = entry["value_bytes"]
        return str(text.encode(encoding)[start : start + 4])
    return None if entry["value"] is None else str(entry["value"])


def _as_list(series: pd.Series) -> list:
    return [None if pd.isna(v) else v for v in series.astype(object)]


def _phrases(entry: dict, key: str) -> list[str]:
    value = entry[key]
    return [value] if isinstance(value, str) else list(value)


@pytest.mark.parametrize("case", sorted(c for c, e in EXPECTED.items() if e["outcome"] == "error"))
def test_malformed_input_is_an_error_naming_file_row_column_value_and_expectation(case):
    expected = EXPECTED[case]["problems"]
    with pytest.raises(InputError) as err:
        apply_mapping(CORPUS / f"{case}.yaml")
    problems = err.value.problems
    found = sorted(
        (Path(p.file).name, p.row or 0, p.column or "", None if p.value is None else str(p.value))
        for p in problems
    )
    wanted = sorted((e["file"], e["row"] or 0, e["column"] or "", _value(e)) for e in expected)
    assert found == wanted
    message = str(err.value)
    for e in expected:
        (problem,) = [
            p
            for p in problems
            if (Path(p.file).name, p.row, p.column) == (e["file"], e["row"], e["column"])
            and (None if p.value is None else str(p.value)) == _value(e)
        ]
        for phrase in _phrases(e, "en"):
            assert phrase in problem.expected, (phrase, problem.expected)
        for phrase in _phrases(e, "zh"):
            assert phrase in problem.expected_zh, (phrase, problem.expected_zh)
        # The message a user reads says all of it, in both languages: a spreadsheet's row
        # and column, a JSON file's record and field, or the line of malformed JSON.
        assert e["file"] in message and "檔案" in message and "應為" in message
        unit = e.get("unit", "row")
        if e["row"] is not None:
            word = {"row": "列", "record": "筆", "line": "行"}[unit]
            assert f"{unit} {e['row']}" in message and f"第 {e['row']} {word}" in message
        if e["column"] is not None:
            name = "field" if unit == "record" else "column"
            assert f"{name} {e['column']!r}" in message and f"欄位「{e['column']}」" in message
        assert _phrases(e, "en")[0] in message and _phrases(e, "zh")[0] in message


def _load(case: str):
    """Load a case that must load; rows read, kept and rejected are as expected."""
    result = apply_mapping(CORPUS / f"{case}.yaml")
    report = result.report
    assert [report.rows_read, report.rows_kept, report.rows_rejected] == EXPECTED[case]["counts"]
    return result


def _check_columns(cases: pd.DataFrame, columns: dict) -> None:
    for column, values in columns.items():
        assert _as_list(cases[column]) == values, column


@pytest.mark.parametrize("case", sorted(c for c, e in EXPECTED.items() if e["outcome"] == "loads"))
def test_input_that_must_load_loads(case):
    expected, result = EXPECTED[case], _load(case)
    report = result.report
    assert report.rejected.empty and result.rejected_rows.empty
    _check_columns(result.cases, expected["columns"])
    for phrase in expected.get("notes", []):
        assert any(phrase in note for note in report.notes), report.notes


@pytest.mark.parametrize(
    "case", sorted(c for c, e in EXPECTED.items() if e["outcome"] == "rejection")
)
def test_rejected_rows_are_reported_with_row_column_value_and_reason(case):
    expected, result = EXPECTED[case], _load(case)
    rejected = result.report.rejected
    assert set(rejected["file"]) == {f"{case}.csv"}
    assert [
        (int(r), c, v) for r, c, v in zip(rejected["row"], rejected["column"], rejected["value"])
    ] == [(e["row"], e["column"], e["value"]) for e in expected["rejected"]]
    for reason, e in zip(rejected["reason"], expected["rejected"]):
        assert e["reason"] in reason
    # The native cells of each rejected row are kept, with the reasons.
    assert sorted(set(result.rejected_rows["_row"])) == sorted(
        {e["row"] for e in expected["rejected"]}
    )
    assert all(result.rejected_rows["_reason"].str.len() > 0)
    _check_columns(result.cases, expected["columns"])


def test_a_100_mb_file_is_refused_with_the_limit_before_it_is_read(tmp_path):
    """Written here, never committed: 100 MB of a well-formed synthetic register."""
    path = tmp_path / "huge.csv"
    line = b"R-%d,Synthetic system,Synthetic agency,Enforcement,Computer Vision,V\n"
    block = b"".join(line.replace(b"%d", str(i).encode()) for i in range(10_000))
    with open(path, "wb") as fh:
        fh.write(b"Ref,System,Department,Area,Methods,Personal data?\n")
        while fh.tell() < 100 * 2**20:
            fh.write(block)
    size = path.stat().st_size
    assert size > MAX_BYTES
    spec = yaml.safe_load((CORPUS / "ticks_accepted.yaml").read_text(encoding="utf-8"))
    spec["files"] = [{"path": "huge.csv"}]
    mapping = tmp_path / "huge.yaml"
    mapping.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    tracemalloc.start()
    try:
        with pytest.raises(InputError) as err:
            apply_mapping(mapping)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 16 * 2**20  # the file was hashed in chunks and refused unread
    (problem,) = err.value.problems
    assert (Path(problem.file).name, problem.row, problem.column, problem.value) == (
        "huge.csv",
        None,
        None,
        f"{size} bytes",
    )
    assert (
        f"at most {MAX_BYTES // 2**20} MB" in problem.expected and "MAX_BYTES" in problem.expected
    )
    assert "讀取上限" in problem.expected_zh and "MAX_BYTES" in problem.expected_zh
    assert "too large" in str(err.value)
