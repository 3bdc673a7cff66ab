"""The study's tables regenerated in its own layout, in both languages."""

import csv

import pandas as pd

from analysis import cache, config, tables
from analysis import cooccurrence as co


def _printed_rows():
    """The transcription of the slides (data/raw), cell by cell, wrap spaces removed."""
    path = config.RAW_DIR / "study" / "study_excerpt_cases.csv"
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))[1:]
    return [
        [cell.replace(" 與", "與").replace("、 ", "、").replace(" 辨識", "辨識") for cell in r]
        for r in rows
    ]


def test_zh_tables_reproduce_the_slides_cell_for_cell(study, frame):
    stacked = tables.sources_with_tables(study, frame, "zh-TW")
    assert list(stacked.columns) == [
        "來源",
        "AI應用類型",
        "應用類型",
        "案例名稱",
        "使用AI技術",
        "資料治理",
        "人權保護",
        "倫理",
        "模型可解釋性",
        "個人資料",
        "自動化決策風險",
    ]
    assert stacked.fillna("").values.tolist() == [r[1:] for r in _printed_rows()]


def test_one_table_per_source_in_printed_order(study, frame):
    excerpts = tables.study_tables(study, frame, "zh-TW")
    assert list(excerpts) == ["DIGI+", "服務品質獎", "台北市政府"]
    assert [len(t) for t in excerpts.values()] == [5, 3, 3]
    taipei = excerpts["台北市政府"]
    assert taipei.iloc[0, 1] == "內部管理流程"  # printed label kept
    assert taipei.iloc[1, 0] == "" and taipei.iloc[1, 1] == ""  # merged cells


def test_english_uses_frame_labels(study, frame):
    en = tables.study_table(study, frame, "en", merge_repeats=False)
    assert en.loc[8, "Application type"] == "Internal support processes"
    assert (
        en.loc[10, "AI techniques"]
        == "Machine learning、Natural language processing、Big-data analytics"
    )
    assert en["Data governance"].tolist() == ["V"] * 11


def test_not_reported_marked_differently_from_no(study, frame):
    partial = study.copy()
    partial.loc[0, "ethics"] = pd.NA
    table = tables.study_table(partial, frame, "zh-TW")
    assert table["倫理"].tolist()[:2] == ["–", ""]


def test_labelled_and_save(study, frame, output_dir):
    table = pd.DataFrame({"category": ["enforcement", None], "cases": [5, 0]})
    out = tables.labelled(table, frame, "en")
    assert out.columns.tolist() == ["AI use category", "Cases"]
    assert out.iloc[:, 0].tolist() == ["Enforcement", "Not coded"]
    path = tables.save(out, "x")
    assert path == output_dir / "reports" / "tables" / "x.csv"
    assert path.read_bytes().startswith(b"\xef\xbb\xbfAI use category,Cases\nEnforcement,5\n")


def test_a_long_table_is_written_from_its_stored_csv_the_same_bytes(output_dir, monkeypatch):
    from analysis import canonical, inventories, outputs

    monkeypatch.setenv("ANALYSIS_CACHE_DIR", str(output_dir / "cache"))  # a cache of its own

    cases = inventories.load("us-federal-2024").cases
    assert cases.size >= tables.CACHED_CELLS
    cases.loc[cases.index[0], "name"] = "=HYPERLINK(1)"  # a cell the formula guard prefixes
    expected = outputs.csv_bytes(canonical.formula_safe(cases))
    stored = cache.folder(tables.CSV_NAMESPACE)
    first = tables.save(cases, "long").read_bytes()  # built, and kept
    assert len(list(stored.glob(f"*{cache.SUFFIX}"))) == 1
    assert tables.save(cases, "long").read_bytes() == first == expected  # read back
    assert len(list(stored.glob(f"*{cache.SUFFIX}"))) == 1
    changed = cases.copy()
    changed.loc[changed.index[-1], "agency"] = "another agency"
    assert tables.save(changed, "long").read_bytes() == outputs.csv_bytes(
        canonical.formula_safe(changed)
    )
    raw = tables.save(cases, "long", raw_csv=True).read_bytes()
    assert raw == outputs.csv_bytes(cases) != expected
    assert len(list(stored.glob(f"*{cache.SUFFIX}"))) == 3


def test_labelled_with_pairs_labels_the_flag_pair_columns(study, frame):
    pairs = co.pairs(study, by="category", frame=frame).head(2)
    shown = tables.labelled_with_pairs(pairs, frame, "en")
    assert shown.iloc[0, 0] == frame.label("category", "enforcement", "en")
    risk_a, risk_b = frame.heading("flag_a", "en"), frame.heading("flag_b", "en")
    assert shown[risk_a].tolist() == [frame.label("flag", "data_governance", "en")] * 2
    assert shown[risk_b].tolist() == [
        frame.label("flag", "data_governance", "en"),
        frame.label("flag", "human_rights", "en"),
    ]
    assert list(shown.columns[:3]) == [frame.heading("category", "en"), risk_a, risk_b]
    zh = tables.labelled_with_pairs(pairs, frame, "zh-TW", headings=False)
    assert zh["flag_b"].tolist() == ["資料治理", "人權保護"] and zh.columns[0] == "category"
    assert pairs["flag_a"].iloc[0] == "data_governance"  # the input is left as it was
