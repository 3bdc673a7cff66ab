"""Descriptive counts, checked against counts made by hand from the study's tables."""
import pandas as pd

from analysis import summary


def test_category_counts(study, frame):
    counts = summary.category_counts(study, frame)
    assert counts["cases"].tolist() == [5, 3, 0, 0, 3, 0]  # 5 DIGI+, 3 服務獎, 3 台北市 + none uncoded
    assert counts["share"].sum() == 1.0


def test_flag_counts_match_the_printed_v_marks(study, frame):
    counts = summary.flag_counts(study, frame).set_index("flag")
    # V marks per column counted by hand from the three excerpt tables.
    assert counts["yes"].to_dict() == {"data_governance": 11, "human_rights": 7, "ethics": 5,
                                       "explainability": 10, "personal_data": 8, "automated_decision": 8}
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
    assert set(table.index.get_level_values(0)) == {"enforcement", "regulatory_analysis", "internal_management"}
    assert (table["n"] == table.groupby(level=0)["n"].transform("max")).all()
