"""Exports for people: the canonical table and the study's table layout, as files.

The study layout is checked against the study's own tables as transcribed cell for cell
in data/raw/study/study_excerpt_cases.csv (read here with the csv module, not through the
suite's loaders).
"""

import csv
import re

import pandas as pd
import pytest
from openpyxl import load_workbook

from analysis import canonical, config, inventories
from analysis.cli import main
from analysis.exports import write_export

TRANSCRIBED = config.RAW_DIR / "study" / "study_excerpt_cases.csv"
#: A line break the slides print between CJK characters of a category, type or technique
#: (「管制分析 與監控」), transcribed as a space.
_CJK = "[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]"
CJK_BREAK = re.compile(f"(?<={_CJK})\\s+(?={_CJK})")


def transcribed_by_source() -> dict[str, list[dict]]:
    """The study's printed rows per source, in printed order (blank cells as "")."""
    with TRANSCRIBED.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    out: dict[str, list[dict]] = {}
    for r in rows:
        joined = {k: CJK_BREAK.sub("", r[k]) for k in ("AI應用類型", "應用類型", "使用AI技術")}
        out.setdefault(r["source"], []).append(r | joined)
    return out


def sheet_rows(ws) -> list[list[str]]:
    return [["" if v is None else str(v) for v in r] for r in ws.iter_rows(values_only=True)]


def test_study_layout_is_the_studys_table_cell_for_cell(tmp_path, study):
    path = write_export(study, tmp_path / "study.xlsx", "study", "zh-TW")
    wb = load_workbook(path)
    printed = transcribed_by_source()
    assert wb.sheetnames == list(printed)  # one sheet per source, in the study's order
    for source, rows in printed.items():
        got = sheet_rows(wb[source])
        header = [c for c in rows[0] if c not in ("case_id", "source")]
        assert got[0] == header
        assert got[1:] == [[r[c] for c in header] for r in rows]


def test_study_layout_marks_each_ticked_risk_with_v(tmp_path, study, frame):
    wb = load_workbook(write_export(study, tmp_path / "s.xlsx", "study", "zh-TW"))
    printed = transcribed_by_source()
    risks = [frame.label("flag", f, "zh-TW") for f in frame.flag_keys]
    ticks_printed = sum(r[h] == "V" for rows in printed.values() for r in rows for h in risks)
    ticks_written = sum(
        v == "V" for ws in wb.worksheets for row in sheet_rows(ws)[1:] for v in row[-6:]
    )
    assert ticks_written == ticks_printed > 0
    assert {v for ws in wb.worksheets for row in sheet_rows(ws)[1:] for v in row[-6:]} == {
        "V",
        "",
    }


def test_study_layout_in_english_uses_the_frames_words(tmp_path, study, frame):
    wb = load_workbook(write_export(study, tmp_path / "en.xlsx", "study", "en"))
    header = sheet_rows(wb["DIGI+"])[0]
    assert header[:4] == [
        frame.heading(k, "en") for k in ("category", "application_type", "name", "techniques")
    ]
    assert header[4:] == [frame.label("flag", f, "en") for f in frame.flag_keys]
    first = sheet_rows(wb["DIGI+"])[1]
    assert first[0] == frame.label("category", "enforcement", "en")
    assert first[1] == frame.label("application_type", "smart_recognition", "en")


def test_workbook_has_frozen_header_filter_and_fitted_widths(tmp_path, study):
    wb = load_workbook(write_export(study, tmp_path / "s.xlsx", "study", "zh-TW"))
    ws = wb["DIGI+"]
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:J6"
    assert all(c.font.b for c in ws[1])
    widths = {k: v.width for k, v in ws.column_dimensions.items()}
    # 倫理 (two CJK characters, a column of V) is narrower than 模型可解釋性 (six)
    assert widths["G"] < widths["H"]
    # case names are longer than the widest column allowed: that column wraps
    assert widths["C"] == 60 and ws["C2"].alignment.wrap_text


def test_multi_source_inventory_gets_a_valid_sheet_per_source(tmp_path, frame):
    cases = inventories.cases("taiwan-public", frame)
    sources = list(dict.fromkeys(cases["source"].fillna("")))
    wb = load_workbook(write_export(cases, tmp_path / "tw.xlsx", "study", "zh-TW"))
    assert len(wb.sheetnames) == len(sources) > 10
    assert all(len(n) <= 31 for n in wb.sheetnames)
    assert sum(ws.max_row - 1 for ws in wb.worksheets) == len(cases)


def test_study_layout_as_csv_stacks_the_sources(tmp_path, study, frame):
    path = write_export(study, tmp_path / "s.csv", "study", "zh-TW")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert table.columns[0] == frame.heading("source", "zh-TW")
    printed = [r for rows in transcribed_by_source().values() for r in rows]
    assert table[frame.heading("name", "zh-TW")].tolist() == [r["案例名稱"] for r in printed]


def test_canonical_stays_the_default_and_reads_back(tmp_path, study, frame):
    for suffix in ("csv", "xlsx"):
        path = write_export(study, tmp_path / f"c.{suffix}")
        back = canonical.read_export(path, frame)
        pd.testing.assert_frame_equal(back, canonical.coerce(study, frame))
    ws = load_workbook(tmp_path / "c.xlsx")["cases"]
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref


def test_exports_are_byte_identical_on_rerun(tmp_path, study):
    a = write_export(study, tmp_path / "a.xlsx", "study").read_bytes()
    b = write_export(study, tmp_path / "b.xlsx", "study").read_bytes()
    assert a == b


@pytest.mark.parametrize(
    "args, option",
    [
        (["--to", "x.txt", "--format", "study"], "--to"),
        (["--to", "x.xlsx", "--format", "studies"], "--format"),
        (["--to", "x.xlsx", "--format", "study", "--language", "fr"], "--language"),
    ],
)
def test_bad_export_options_are_named_in_both_languages(tmp_path, capsys, args, option):
    args = [str(tmp_path / a) if a.startswith("x.") else a for a in args]
    assert main(["export", "study", *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {option} ") and "expected" in err and "應為" in err
    assert not list(tmp_path.iterdir())


def test_cli_writes_the_study_layout(tmp_path, capsys):
    target = tmp_path / "study.xlsx"
    assert main(["export", "study", "--to", str(target), "--format", "study"]) == 0
    assert load_workbook(target).sheetnames == list(transcribed_by_source())
    assert "study layout, zh-TW" in capsys.readouterr().out
