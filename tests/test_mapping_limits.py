"""Limits of the mapping parser (keys written twice, YAML aliases, keys a place does not
have), the time limit of a mapping's regular expressions, and ids that look alike, on the
bundled study inventory (data/inventories/study.yaml and its raw CSV)."""

from __future__ import annotations

import csv
import time

import pytest
import yaml

from analysis import config
from analysis.errors import InputError
from analysis.mapping import apply_mapping, load_mapping
from analysis.mapping.spec import MAX_ALIASES, REGEX_TIMEOUT

STUDY = config.DATA_DIR / "inventories" / "study.yaml"
RAW = config.DATA_DIR / "raw" / "study" / "study_excerpt_cases.csv"


def _raw_rows() -> list[list[str]]:
    with open(RAW, encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def _study(tmp_path, text: str | None = None, data: list[list[str]] | None = None):
    """The study mapping (or ``text``) written beside the raw file it reads: the bundled CSV,
    or ``data`` written as a CSV of the same columns."""
    spec = yaml.safe_load(STUDY.read_text(encoding="utf-8"))
    raw = RAW
    if data is not None:
        raw = tmp_path / "study.csv"
        with open(raw, "w", encoding="utf-8", newline="") as fh:
            csv.writer(fh).writerows(data)
    spec["files"] = [{"path": str(raw) if data is None else raw.name}]
    path = tmp_path / "study.yaml"
    body = text if text is not None else yaml.safe_dump(spec, allow_unicode=True, sort_keys=False)
    path.write_text(body.replace("../raw/study/study_excerpt_cases.csv", str(raw)), "utf-8")
    return path


def test_a_key_written_twice_is_an_error_naming_both_lines(tmp_path):
    lines = STUDY.read_text(encoding="utf-8").splitlines()
    first = lines.index("  agency:") + 1
    at = lines.index("  category:")  # the repeat goes on this line (0-based), in fields
    text = "\n".join(lines[:at] + ["  agency: 案例名稱"] + lines[at:]) + "\n"
    with pytest.raises(InputError) as err:
        load_mapping(_study(tmp_path, text))
    (problem,) = err.value.problems
    assert (problem.row, problem.column, problem.value) == (at + 1, "agency", "agency")
    assert f"also on line {first}" in problem.expected
    assert f"第 {first} 行" in problem.expected_zh


def _with_notes(aliases: int) -> str:
    text = STUDY.read_text(encoding="utf-8")
    return text + "notes:\n  - &note The same sentence.\n" + "  - *note\n" * aliases


def test_aliases_up_to_the_limit_are_read_and_one_more_is_refused_before_reading(tmp_path):
    mapping = load_mapping(_study(tmp_path, _with_notes(MAX_ALIASES)))
    assert mapping.notes[-(MAX_ALIASES + 1) :] == ["The same sentence."] * (MAX_ALIASES + 1)
    with pytest.raises(InputError) as err:
        load_mapping(_study(tmp_path, _with_notes(MAX_ALIASES + 1)))
    (problem,) = err.value.problems
    last_line = len(_with_notes(MAX_ALIASES + 1).splitlines())
    assert (problem.row, problem.value) == (last_line, f"{MAX_ALIASES + 1} aliases")
    assert f"at most {MAX_ALIASES} YAML aliases" in problem.expected


@pytest.mark.parametrize(
    ("place", "key", "value"),
    [
        ("fields.name", "default", "unnamed"),
        ("case_id", "required", True),
        ("case_id", "values", {"digi-1": "x"}),
        ("flags.columns.personal_data", "fill_down", True),
        ("flags", "remove", "V"),
    ],
)
def test_a_key_with_no_effect_at_its_place_is_an_error_naming_it(tmp_path, place, key, value):
    spec = yaml.safe_load(STUDY.read_text(encoding="utf-8"))
    node = spec
    for part in place.split("."):
        if isinstance(node[part], str):
            node[part] = {"from": node[part]}
        node = node[part]
    node[key] = value
    path = _study(tmp_path, yaml.safe_dump(spec, allow_unicode=True, sort_keys=False))
    with pytest.raises(InputError) as err:
        load_mapping(path)
    (problem,) = err.value.problems
    if key == "default":  # not a key of the format at all
        assert (problem.column, problem.value) == (place, ["default"])
        assert "only the keys" in problem.expected and "僅限這些鍵" in problem.expected_zh
    else:
        assert (problem.column, problem.value) == (f"{place}.{key}", value)
        assert problem.expected.startswith("nothing: ") and key in problem.expected


def test_a_regular_expression_past_its_time_limit_names_pattern_field_and_row(tmp_path):
    spec = yaml.safe_load(STUDY.read_text(encoding="utf-8"))
    spec["fields"]["name"]["remove"] = r"^(.|.|.)+\d$"  # 3^n ways to fail on a long name
    path = _study(tmp_path, yaml.safe_dump(spec, allow_unicode=True, sort_keys=False))
    first_name = _raw_rows()[1][_raw_rows()[0].index("案例名稱")]
    start = time.perf_counter()
    with pytest.raises(InputError) as err:
        apply_mapping(path)
    assert time.perf_counter() - start < REGEX_TIMEOUT + 5
    (problem,) = err.value.problems
    assert (problem.row, problem.column, problem.value) == (2, "案例名稱", first_name)
    assert "name.remove" in problem.expected and r"'^(.|.|.)+\\d$'" in problem.expected
    assert "逾時" in problem.expected_zh


def test_an_extract_that_matches_no_value_is_noted_with_its_counts(tmp_path):
    spec = yaml.safe_load(STUDY.read_text(encoding="utf-8"))
    spec["fields"]["agency"]["extract"] = "《([^》]*)》"
    result = apply_mapping(_study(tmp_path, yaml.safe_dump(spec, allow_unicode=True)))
    names = [r[_raw_rows()[0].index("案例名稱")] for r in _raw_rows()[1:]]
    filled = sum(1 for n in names if n.strip())
    assert result.cases["agency"].isna().all()
    assert any(
        f"agency.extract '《([^》]*)》' matched none of the {filled} non-blank values of 案例名稱"
        in note
        for note in result.report.notes
    )


def test_ids_that_differ_only_by_invisible_characters_are_one_id(tmp_path):
    rows = _raw_rows()
    first, second = rows[1][0], rows[2][0]
    rows[2][0] = "\ufeff" + first[:2] + "\u200b" + first[2:] + "\x00"
    with pytest.raises(InputError) as err:
        apply_mapping(_study(tmp_path, data=rows))
    (problem,) = err.value.problems
    assert (problem.row, problem.column, problem.value) == (2, "case_id", first)
    assert "rows 2, 3" in problem.expected and second != first


def test_invisible_characters_in_ids_are_removed_and_noted(tmp_path):
    rows = _raw_rows()
    ids = [r[0] for r in rows[1:]]
    rows[3][0] = "\u200b" + rows[3][0] + "\u2060"
    result = apply_mapping(_study(tmp_path, data=rows))
    assert list(result.cases["case_id"]) == ids
    assert any(
        "1 case ids had characters that print as nothing" in note
        and f"row 4: {rows[3][0]!r} read as {ids[2]!r}" in note
        for note in result.report.notes
    )


def test_a_repeat_of_the_header_row_is_a_problem_on_its_row(tmp_path):
    rows = _raw_rows()
    # before the first row (after the first) that names its own category: the rows below a
    # repeated header fill down from their own table, not from the header's column names
    at = next(i for i in range(2, len(rows)) if rows[i][rows[0].index("AI應用類型")].strip())
    data = rows[:at] + [rows[0]] + rows[at:]
    spec = yaml.safe_load(STUDY.read_text(encoding="utf-8"))
    spec["on_problem"] = "reject"
    spec["files"] = [{"path": "study.csv"}]
    _study(tmp_path, data=data)
    path = tmp_path / "study.yaml"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    result = apply_mapping(path)
    assert list(result.cases["case_id"]) == [r[0] for r in rows[1:]]
    rejected = result.report.rejected
    assert set(rejected["row"].astype(int)) == {at + 1}
    assert any("a repeat of the header row" in reason for reason in rejected["reason"])


def test_an_id_of_nothing_but_invisible_characters_is_a_blank_id(tmp_path):
    rows = _raw_rows()
    rows[2][0] = "\u200b\x1b\ufeff"
    with pytest.raises(InputError) as err:
        apply_mapping(_study(tmp_path, data=rows))
    (problem,) = err.value.problems
    assert (problem.row, problem.column, problem.value) == (3, "case_id", "\u200b\x1b\ufeff")
    assert problem.expected == "a case id"


def test_an_extra_column_name_with_a_trailing_newline_is_refused(tmp_path):
    spec = yaml.safe_load(STUDY.read_text(encoding="utf-8"))
    spec["extras"] = {"table_source\n": "source"}
    path = _study(tmp_path, yaml.safe_dump(spec, allow_unicode=True))
    with pytest.raises(InputError) as err:
        load_mapping(path)
    (problem,) = err.value.problems
    assert problem.column == "extras.table_source\n" and "lower_snake_case" in problem.expected


@pytest.mark.parametrize("kind", ["folder", "pipe", "device", "large"])
def test_a_mapping_path_that_is_no_page_of_yaml_is_refused_before_it_is_read(tmp_path, kind):
    import os

    from analysis.mapping.spec import MAX_MAPPING_BYTES

    if kind == "folder":
        path, value = tmp_path, "a directory"
    elif kind == "pipe":
        path, value = tmp_path / "fifo.yaml", "a pipe"
        os.mkfifo(path)  # opening it would block until a writer came
    elif kind == "device":
        path, value = "/dev/zero", "a device or socket"
    else:
        study = STUDY.read_text(encoding="utf-8")
        path = tmp_path / "padded.yaml"
        path.write_text(study + "#" * MAX_MAPPING_BYTES + "\n", encoding="utf-8")
        value = f"{path.stat().st_size} bytes"
    with pytest.raises(InputError) as err:
        load_mapping(path)
    (problem,) = err.value.problems
    assert problem.value == value
    assert "regular file" in problem.expected or "MAX_MAPPING_BYTES" in problem.expected
