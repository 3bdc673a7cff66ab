"""Descriptive counts, checked against counts made by hand from the study's tables."""

import pandas as pd

from analysis import summary


def test_category_counts(study, frame):
    counts = summary.category_counts(study, frame)
    assert counts["cases"].tolist() == [
        5,
        3,
        0,
        0,
        3,
        0,
    ]  # 5 DIGI+, 3 服務獎, 3 台北市 + none uncoded
    assert counts["share"].sum() == 1.0


def test_flag_counts_match_the_printed_v_marks(study, frame):
    counts = summary.flag_counts(study, frame).set_index("flag")
    # V marks per column counted by hand from the three excerpt tables.
    assert counts["yes"].to_dict() == {
        "data_governance": 11,
        "human_rights": 7,
        "ethics": 5,
        "explainability": 10,
        "personal_data": 8,
        "automated_decision": 8,
    }
    assert (counts["yes"] + counts["no"] == 11).all()
    assert (counts["not_reported"] == 0).all()


def test_not_reported_is_not_no(study, frame):
    partial = study.copy()
    partial.loc[[0, 1, 2], "ethics"] = pd.NA  # digi-1 ticked, digi-2/3 not ticked
    row = summary.flag_counts(partial, frame).set_index("flag").loc["ethics"]
    assert (row["yes"], row["no"], row["not_reported"], row["n"]) == (4, 4, 3, 8)
    assert row["prevalence"] == 0.5


def test_category_flag_counts(study, frame):
    table = summary.category_flag_counts(study, frame).set_index(["category", "flag"])
    assert table.loc[("enforcement", "ethics"), "yes"] == 3  # digi-1, digi-4, digi-5
    assert table.loc[("regulatory_analysis", "personal_data"), "yes"] == 1  # award-3
    assert table.loc[("internal_management", "human_rights"), "yes"] == 2  # taipei-2, taipei-3
    assert set(table.index.get_level_values(0)) == {
        "enforcement",
        "regulatory_analysis",
        "internal_management",
    }
    assert (table["n"] == table.groupby(level=0)["n"].transform("max")).all()


def test_column_counts_sorted_with_blanks_listed(study):
    table = summary.column_counts(study, "source")
    assert table["source"].tolist() == ["DIGI+", "台北市政府", "服務品質獎", None]
    assert table["cases"].tolist() == [5, 3, 3, 0]
    top = summary.column_counts(study, "agency", top=1)
    assert top["cases"].tolist() == [1, 7, 3]  # one agency shown, 7 in 'other', 3 without agency
    assert top["agency"].iloc[1] == "other (7 values)"


def test_technique_counts_by_hand(study, frame):
    counts = summary.technique_counts(study, frame).set_index("technique")["cases"]
    # From the printed 使用AI技術 column: 影像辨識 in 5 DIGI+ rows and award-1; 機器學習/ML in
    # digi-3, award-2, taipei-1, taipei-3; 動態影像分析/影像分析 in award-2, award-3; ...
    assert counts["image_recognition"] == 6
    assert counts["machine_learning"] == 4
    assert counts["image_analysis"] == 2
    assert counts["big_data_analytics"] == 2
    assert counts["nlp"] == 1 and counts["data_integration_visualisation"] == 1
    assert counts["generative_ai"] == 0
    assert counts[counts.index.isna()].item() == 0


def test_missingness_and_comparison(study, frame):
    missing = summary.missingness(study).set_index("column")["missing"]
    assert missing["description"] == 11 and missing["agency"] == 3 and missing["ethics"] == 0
    partial = study.copy()
    partial["category"] = pd.NA
    partial.loc[:3, "ethics"] = pd.NA
    table = summary.compare_inventories({"study": study, "partial": partial}, frame).set_index(
        "inventory"
    )
    assert table.loc["study", "cases"] == 11
    assert table.loc["study", "category:enforcement"] == 5 / 11
    assert table.loc["partial", "category_coded"] == 0
    assert pd.isna(table.loc["partial", "category:enforcement"])
    assert table.loc["partial", "not_reported:ethics"] == 4 / 11
    # Ethics V marks left after blanking digi-1..digi-4: digi-5, taipei-2, taipei-3 of 7 cases.
    assert table.loc["partial", "prevalence:ethics"] == 3 / 7
