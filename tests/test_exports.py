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

from analysis import canonical, config, inventories, tables
from analysis.cli import main
from analysis.errors import AnalysisError
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


# -- spreadsheet formulas in CSV files -----------------------------------------------------
def test_study_layout_csv_prefixes_formula_text_unless_raw(tmp_path, study, frame):
    cases = study.copy()
    cases.loc[0, "name"] = '=HYPERLINK("http://example.org","x")'
    cases.loc[0, "agency"] = "數位部"
    cases["source"] = "@SUM(1+1)"  # one source: the rows keep their order
    heading, name = frame.heading("source", "zh-TW"), frame.heading("name", "zh-TW")
    for raw, prefix in ((False, "'"), (True, "")):
        path = write_export(cases, tmp_path / f"s{raw}.csv", "study", raw_csv=raw)
        with path.open(encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.DictReader(fh))
        assert rows[0][name] == prefix + '=HYPERLINK("http://example.org","x") 【數位部】'
        assert {r[heading] for r in rows} == {prefix + "@SUM(1+1)"}
        assert rows[1][name] == f"{study.loc[1, 'name']} 【{study.loc[1, 'agency']}】"


def test_saved_tables_prefix_formula_text_and_keep_negative_numbers(tmp_path, study, frame):
    from analysis import cooccurrence

    phi = cooccurrence.counts(study, None, "pairwise", frame).pairs()[["flag_a", "flag_b"]]
    phi["difference"] = [-0.25, 0.5] + [0.0] * (len(phi) - 2)
    phi.loc[0, "flag_a"] = "+cmd|' /C calc'!A0"
    path = tables.save(phi, "pairs", tmp_path)
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert rows[0]["flag_a"] == "'+cmd|' /C calc'!A0"
    assert (rows[0]["difference"], rows[1]["difference"]) == ("-0.25", "0.5")
    raw = tables.save(phi, "pairs-raw", tmp_path, raw_csv=True)
    with raw.open(encoding="utf-8-sig", newline="") as fh:
        assert next(csv.DictReader(fh))["flag_a"] == "+cmd|' /C calc'!A0"


@pytest.mark.parametrize("name", ["../escape", "a/b", "a\\b", "..", "", "x\n"])
def test_saved_tables_stay_inside_their_folder(tmp_path, study, name):
    folder = tmp_path / "tables"
    folder.mkdir()
    with pytest.raises(AnalysisError, match="output name"):
        tables.save(study.head(1), name, folder)
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["tables"]


# -- values that reach a report's HTML ---------------------------------------------------------
HOSTILE = '<script>alert(1)</script><img src=x onerror="alert(2)">'


@pytest.mark.parametrize("language", ["zh-TW", "en"])
def test_hostile_case_values_reach_html_escaped(study, frame, language):
    from analysis import cooccurrence, present

    cases = study.copy()
    for column in ("source", "name", "agency", "description", "inventory"):
        cases[column] = HOSTILE
    cases["category_as_recorded"] = HOSTILE
    pages = [
        present.show(
            table, (f"{source}：每列", f"{source}: one row"), language, frame
        )._repr_html_()
        for source, table in tables.study_tables(cases, frame, language).items()
    ]
    pages.append(
        present.show(cases[["name", "agency"]], ("案例", "cases"), language, frame)._repr_html_()
    )
    pages.append(cooccurrence.describe(cases, "pairwise", frame, language))
    for page in pages:
        assert "<script" not in page and "<img" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_rejected_rows_csv_prefixes_formula_text(tmp_path, frame):
    from analysis.mapping import apply_mapping

    (tmp_path / "r.csv").write_text(
        "Ref,System,Area\n"
        "R-1,Parking camera,Enforcement\n"
        'R-2,"=HYPERLINK(""http://example.org"",""x"")",@SUM(1+1)\n',
        encoding="utf-8",
    )
    (tmp_path / "m.yaml").write_text(
        "inventory: hostile\non_problem: reject\nfiles:\n  - path: r.csv\n"
        "case_id:\n  from: Ref\nfields:\n  name: System\n"
        "  category:\n    from: Area\n    coded_by: source\n    unmapped: error\n",
        encoding="utf-8",
    )
    result = apply_mapping(tmp_path / "m.yaml", frame)
    assert (result.report.rows_kept, result.report.rows_rejected) == (1, 1)
    _, rejected = inventories.write_report(result, tmp_path / "out")
    with rejected.open(encoding="utf-8-sig", newline="") as fh:
        (row,) = list(csv.DictReader(fh))
    assert (row["Ref"], row["Area"]) == ("R-2", "'@SUM(1+1)")
    assert row["System"] == '\'=HYPERLINK("http://example.org","x")'
