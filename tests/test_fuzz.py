"""Property tests of the loader on synthetic inputs: arbitrary bytes, arbitrary small tables,
arbitrary JSON registers and arbitrary mapping text. Only analysis.errors.AnalysisError may
escape; a load that succeeds conserves rows (read = kept + rejected, read = the records below
the header or in the JSON list) and its cases survive a write/read round trip unchanged."""

from __future__ import annotations

import contextlib
import copy
import csv
import io
import json
import os
import re
import shutil
import tempfile
import zipfile
from pathlib import Path

import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from analysis import canonical
from analysis.config import SEED
from analysis.errors import AnalysisError
from analysis.mapping import apply_mapping, load_mapping

HEADER = ["Ref", "System", "Department", "Area", "Methods", "Personal data?"]
MAPPING = {
    "inventory": "synthetic",
    "title_en": "Synthetic inventory (property tests)",
    "files": [{"path": "raw.csv"}],
    "case_id": {"from": "Ref"},
    "fields": {
        "name": "System",
        "agency": "Department",
        "category": {"from": "Area", "coded_by": "source"},
        "techniques": {"from": "Methods", "coded_by": "crosswalk", "unmapped": "report"},
    },
    "flags": {"coded_by": "source", "columns": {"personal_data": {"from": "Personal data?"}}},
    "on_problem": "reject",
}
#: Examples per property: modest in the unit suite; set FUZZ_EXAMPLES=2000 (and FUZZ_RANDOM=1 for
#: fresh examples) to search harder.
FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "60")),
    deadline=None,
    derandomize=not os.environ.get("FUZZ_RANDOM"),
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
assert SEED is not None  # derandomize=True: the examples are the same on every run


@pytest.fixture(scope="module")
def folder():
    path = Path(tempfile.mkdtemp(prefix="fuzz-"))
    yield path
    shutil.rmtree(path)


def _mapping(folder: Path, **overrides) -> Path:
    spec = copy.deepcopy(MAPPING)
    for key, value in overrides.items():
        if key in ("encoding", "header_row", "format"):
            spec["files"][0][key] = value
        else:
            spec[key] = value
    path = folder / "synthetic.yaml"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    return path


def _records_below_header(data: bytes, encoding: str, header_row: int) -> int:
    """Reference count of the rows a spreadsheet shows below the header."""
    text = data.decode("utf-8-sig" if encoding == "utf-8" else encoding)
    return len(list(csv.reader(io.StringIO(text, newline="")))) - header_row


def _load_or_analysis_error(
    mapping: Path, data: bytes | None = None, encoding: str = "utf-8", header_row: int = 1
):
    try:
        result = apply_mapping(mapping)
    except AnalysisError:
        event("AnalysisError")
        return None
    report = result.report
    kept = "some" if report.rows_kept else "no"
    rejected = "some" if report.rows_rejected else "no"
    event(f"loaded: {kept} rows kept, {rejected} rejected")
    assert report.rows_read == report.rows_kept + report.rows_rejected
    assert len(result.cases) == report.rows_kept
    if data is not None:
        assert report.rows_read == _records_below_header(data, encoding, header_row)
    return result


# -- arbitrary bytes as the raw file ------------------------------------------------------
@FUZZ
@given(
    body=st.binary(max_size=600), encoding=st.sampled_from(["utf-8", "cp950", "cp1252", "utf-16"])
)
def test_arbitrary_bytes_raise_only_analysis_errors(folder, body, encoding):
    (folder / "raw.csv").write_bytes(body)
    _load_or_analysis_error(_mapping(folder, encoding=encoding))


CSVISH = st.lists(
    st.sampled_from(
        list('ab,"\r\n\t ;Ｖ✔○X合計1.0E+3-\x00é編')
        + [
            "R-1",
            "R-2",
            "V",
            "Total",
            "\r\nR-7,Synthetic,Agency,Enforcement,OCR,V\r\n",
            "\nR-8,,,,,\n",
        ]
    ),
    max_size=60,
).map("".join)


@FUZZ
@given(
    body=CSVISH,
    encoding=st.sampled_from(["utf-8", "cp950", "cp1252"]),
    header_row=st.integers(1, 2),
    on_problem=st.sampled_from(["reject", "error"]),
)
def test_csv_like_bytes_below_a_valid_header_conserve_rows(
    folder, body, encoding, header_row, on_problem
):
    head = "Synthetic register\r\n" if header_row == 2 else ""
    text = head + ",".join(HEADER) + "\r\n" + body
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        data = text.encode("utf-8")
        encoding = "utf-8"
    (folder / "raw.csv").write_bytes(data)
    mapping = _mapping(folder, encoding=encoding, header_row=header_row, on_problem=on_problem)
    _load_or_analysis_error(mapping, data, encoding, header_row)


# -- arbitrary small tables ------------------------------------------------------------------
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
TICKS = st.sampled_from(["", "V", "v", "Ｖ", "✔", "✓", "X", "○", "yes", "No", "n/a", " ", "1", "0"])
AREAS = st.sampled_from(
    ["", "Enforcement", "adjudication", "公共服務和參與", "內部管理", "Space", "執行 (enforcement)"]
)
METHODS = st.sampled_from(
    ["", "Computer Vision", "影像辨識、機器學習", "chatbot/Quantum", "未載明", "ML; OCR"]
)
CELL = st.one_of(TEXT, TICKS)
IDS = st.sampled_from(
    [f"R-{i}" for i in range(1, 30)] * 3 + ["R-1", "1.0", "合計", "", " ", "３-Jan"]
)
ROW = st.tuples(
    st.one_of(IDS, IDS, TEXT),
    CELL,
    CELL,
    st.one_of(AREAS, AREAS, TEXT),
    st.one_of(METHODS, METHODS, TEXT),
    st.one_of(TICKS, TICKS, TEXT),
)


@FUZZ
@given(rows=st.lists(ROW, max_size=8))
def test_small_tables_conserve_rows_and_round_trip(folder, rows):
    buf = io.StringIO(newline="")
    csv.writer(buf, lineterminator="\r\n").writerows([HEADER] + [list(r) for r in rows])
    data = buf.getvalue().encode("utf-8")
    (folder / "raw.csv").write_bytes(data)
    result = _load_or_analysis_error(_mapping(folder), data)
    assert (
        result is not None
    )  # on_problem: reject; the header is right: every row is kept or rejected
    assert result.report.rows_read == len(rows)
    kept = set(result.cases["case_id"])
    assert len(kept) == len(result.cases)  # ids stay unique
    rejected = set(result.rejected_rows["_row"])
    assert len(rejected) + result.report.rows_kept + sum(
        1 for r in rows if not any(c.strip() for c in r)
    ) == len(rows)
    export = folder / "cases.csv"
    canonical.write(result.cases, export)
    pd.testing.assert_frame_equal(canonical.read_export(export), result.cases)


# -- the mapping parser ------------------------------------------------------------------------
YAMLISH = st.lists(
    st.sampled_from(
        list("abc:- \n[]{},'\"&*!|>#%@`?")
        + [
            "inventory",
            "files",
            "case_id",
            "from",
            "fields",
            "flags",
            "columns",
            "values",
            "  ",
            "synthetic",
            "raw.csv",
            "personal_data",
            "category",
            "coded_by",
            "header_row",
            "\t",
        ]
    ),
    max_size=80,
).map("".join)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.floats(allow_nan=False, width=16),
    st.text(max_size=6),
    st.sampled_from(["(", "[a-", "yes", "no", "Ref", "raw.csv", "\\t"]),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, prefix + (i,))


#: Keys of the format the fixed mapping leaves out, replaced (added) too.
ADDED_PATHS = [
    ("files", 0, "header_row"),
    ("files", 0, "delimiter"),
    ("files", 0, "sheet"),
    ("files", 0, "format"),
    ("files", 0, "encoding"),
    ("notes",),
    ("extras",),
    ("extras", "ward"),
    ("case_id", "generate"),
    ("case_id", "report_duplicates"),
    ("case_id", "remove"),
    ("fields", "agency", "extract"),
    ("fields", "category", "values"),
    ("fields", "techniques", "values"),
    ("flags", "combine"),
    ("flags", "columns", "personal_data", "values"),
    ("flags", "columns", "personal_data", "patterns"),
    ("flags", "columns", "personal_data", "blank"),
    ("flags", "columns", "ethics"),
    ("fields", "source"),
    ("files", 0, "records"),
    ("files", 0, "list_join"),
]
MAPPING_PATHS = [p for p in _paths(MAPPING) if p] + ADDED_PATHS


@FUZZ
@given(text=YAMLISH)
def test_arbitrary_mapping_text_raises_only_analysis_errors(folder, text):
    path = folder / "fuzz.yaml"
    path.write_text(text, encoding="utf-8")
    with contextlib.suppress(AnalysisError):  # only our error type may escape
        load_mapping(path)


@FUZZ
@given(
    where=st.lists(st.sampled_from(MAPPING_PATHS), min_size=1, max_size=3),
    values=st.lists(VALUES, min_size=3, max_size=3),
)
def test_a_valid_mapping_with_values_replaced_raises_only_analysis_errors(folder, where, values):
    spec = copy.deepcopy(MAPPING)
    for path, value in zip(where, values):
        node = spec
        try:
            for key in path[:-1]:
                node = node[key]
            node[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue  # an earlier replacement removed this path
    buf = io.StringIO(newline="")
    csv.writer(buf, lineterminator="\r\n").writerows(
        [HEADER, ["R-1", "Synthetic", "Agency", "Enforcement", "OCR", "V"]]
    )
    (folder / "raw.csv").write_text(buf.getvalue(), encoding="utf-8")
    mapping = folder / "mutated.yaml"
    mapping.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    try:
        result = apply_mapping(mapping)
    except AnalysisError:
        return
    assert result.report.rows_read == result.report.rows_kept + result.report.rows_rejected == 1


# -- arbitrary JSON registers ----------------------------------------------------------------
RECORD = st.dictionaries(st.sampled_from(HEADER + ["Other"]), VALUES, max_size=7)
JSON_TOP = st.one_of(
    st.lists(st.one_of(RECORD, VALUES), max_size=6),
    st.fixed_dictionaries({"data": st.lists(RECORD, max_size=6)}),
    VALUES,
)


@FUZZ
@given(document=JSON_TOP, records=st.sampled_from([None, "data", "data.x"]))
def test_arbitrary_json_raises_only_analysis_errors_and_counts_each_record(
    folder, document, records
):
    """A synthetic JSON register of any shape: loaded with every record read (kept or
    rejected), or refused with the suite's error."""
    (folder / "raw.json").write_text(json.dumps(document), encoding="utf-8")
    spec = copy.deepcopy(MAPPING)
    spec["files"] = [{"path": "raw.json", "records": records}]
    mapping = folder / "json.yaml"
    mapping.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    result = _load_or_analysis_error(mapping)
    if result is not None:
        listed = document if records is None else document[records]
        assert result.report.rows_read == len(listed)


@FUZZ
@given(body=st.binary(max_size=400), lines=st.booleans())
def test_arbitrary_bytes_as_json_raise_only_analysis_errors(folder, body, lines):
    name = "raw.jsonl" if lines else "raw.json"
    (folder / name).write_bytes(body)
    spec = copy.deepcopy(MAPPING)
    spec["files"] = [{"path": name}]
    mapping = folder / "json-bytes.yaml"
    mapping.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    _load_or_analysis_error(mapping)


# -- XLSX: random sheets, hidden sheets, merged ranges, number formats --------------------------
NUMBER_FORMATS = ["General", "0", "000000", "@", "0.00", "hh:mm:ss", "yyyy-mm-dd", "0.00E+00"]
XLSX_CELL = st.one_of(
    st.none(),
    st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=12),
    st.integers(-(10**17), 10**17),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.sampled_from(["_x0007_", "_x005F_x0041_", "=1+1", "#REF!", " ", "000123"]),
)
XLSX_SHEET = st.fixed_dictionaries(
    {
        "rows": st.lists(st.lists(XLSX_CELL, min_size=1, max_size=5), max_size=6),
        "hidden": st.sampled_from([False, False, True]),
        "formats": st.lists(st.sampled_from(NUMBER_FORMATS), min_size=5, max_size=5),
        "merges": st.lists(
            st.tuples(st.integers(1, 5), st.integers(1, 7), st.integers(0, 2), st.integers(0, 3)),
            max_size=2,
        ),
    }
)


def _synthetic_workbook(sheets: list[dict]) -> bytes:
    """A synthetic workbook: each sheet's header names its sheet, then the generated rows."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for number, spec in enumerate(sheets):
        ws = wb.create_sheet(f"S{number}")
        ws.append([f"id{number}", "b", "c", "d", "e"])
        for row in spec["rows"]:
            ws.append(row)
        for column, fmt in enumerate(spec["formats"], start=1):
            for r in range(2, len(spec["rows"]) + 2):
                ws.cell(r, column).number_format = fmt
        for col, row, wide, tall in spec["merges"]:
            if wide or tall:
                ws.merge_cells(
                    start_row=row, start_column=col, end_row=row + tall, end_column=col + wide
                )
    buf = io.BytesIO()
    wb.save(buf)
    return _hide_sheets(buf, [f"S{n}" for n, spec in enumerate(sheets) if spec["hidden"]])


def _hide_sheets(workbook: io.BytesIO, names: list[str]) -> bytes:
    """The workbook with the sheets ``names`` marked hidden in its workbook.xml (openpyxl
    refuses to save a workbook whose sheets are all hidden, which a reader must expect)."""
    out = io.BytesIO()
    with zipfile.ZipFile(workbook) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            part = src.read(info.filename)
            if info.filename == "xl/workbook.xml":
                for name in names:
                    tag = re.compile(
                        rf'(<sheet name="{name}" sheetId="\d+") state="visible"'.encode()
                    )
                    part = tag.sub(rb'\1 state="hidden"', part)
            dst.writestr(info, part)
    return out.getvalue()


@FUZZ
@given(sheets=st.lists(XLSX_SHEET, min_size=1, max_size=3))
def test_random_workbooks_raise_only_analysis_errors_and_read_the_first_visible_sheet(
    folder, sheets
):
    from analysis.readers import read_table

    try:
        data = _synthetic_workbook(sheets)
    except Exception:  # openpyxl refuses some generated values (e.g. a text too long)
        event("workbook not writable")
        return
    path = folder / "raw.xlsx"
    path.write_bytes(data)
    visible = [n for n, spec in enumerate(sheets) if not spec["hidden"]]
    try:
        table = read_table(path)
    except AnalysisError as exc:
        event(f"refused: {exc.problems[0].expected[:40] if exc.problems else exc}")
        assert visible or exc.problems[0].expected.startswith("a visible sheet")
        return
    event("read")
    assert visible, "every sheet hidden: the reader must refuse, not pick one"
    chosen = visible[0]
    assert table.columns[0] == f"id{chosen}"
    assert (chosen > 0) == any("the first visible sheet" in n for n in table.notes)
    # Row accounting: every row written below the header (each holds a formatted cell) and
    # every row a merged range reaches is kept or counted blank, whatever <dimension> says.
    spec = sheets[chosen]
    reach = [row + tall for _, row, wide, tall in spec["merges"] if wide or tall]
    assert len(table.rows) + table.blank_rows == max([len(spec["rows"]) + 1, *reach]) - 1
    below = [m for m in sheets[chosen]["merges"] if (m[2] or m[3]) and m[1] + m[3] > 1]
    assert bool(below) == any("merged ranges" in n for n in table.notes)
