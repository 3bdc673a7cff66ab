"""The exploration widget's pure logic on the study's cases (hand counts), and its static
fallback outside a live kernel."""

from __future__ import annotations

import pytest

from analysis import explore
from analysis.errors import AnalysisError


def test_options_in_frame_order(study, frame):
    opts = explore.options(study, frame)
    assert opts["category"] == ["enforcement", "regulatory_analysis", "internal_management"]
    assert opts["inventory"] == ["study"]
    assert opts["source"] == sorted(["DIGI+", "服務品質獎", "台北市政府"])
    assert opts["flag"] == frame.flag_keys
    assert opts["technique"] == [k for k in frame.technique_keys if k in opts["technique"]]


def test_filter_cases_by_hand(study):
    ids = lambda t: t["case_id"].tolist()  # noqa: E731
    assert len(explore.filter_cases(study, category="enforcement")) == 5
    # 機器學習 (ML): digi-3, award-2, taipei-1, taipei-3
    assert ids(explore.filter_cases(study, technique="machine_learning")) == [
        "digi-3",
        "award-2",
        "taipei-1",
        "taipei-3",
    ]
    # 倫理 ticked: digi-1, digi-4, digi-5, taipei-2, taipei-3; within 執行: the three DIGI+ ones
    assert len(explore.filter_cases(study, flag="ethics")) == 5
    assert ids(explore.filter_cases(study, category=["enforcement"], flag=["ethics"])) == [
        "digi-1",
        "digi-4",
        "digi-5",
    ]
    assert len(explore.filter_cases(study, source=["DIGI+", "台北市政府"], inventory="study")) == 8
    assert len(explore.filter_cases(study, category=[], technique=None)) == 11
    with pytest.raises(AnalysisError):
        explore.filter_cases(study, flag="nonsense")


def test_view(study, frame):
    result = explore.view(study, "count", {"category": ["enforcement"]}, frame=frame, language="en")
    assert result["n"] == 5
    assert result["matrix"].loc["human_rights", "ethics"] == 3  # digi-1, digi-4, digi-5
    hr, eth = frame.label("flag", "human_rights", "en"), frame.label("flag", "ethics", "en")
    assert result["table"].loc[hr, eth] == 3
    cond = explore.view(study, "p_b_given_a", frame=frame)["matrix"]
    assert cond.loc["ethics", "automated_decision"] == pytest.approx(4 / 5)
    with pytest.raises(AnalysisError):
        explore.view(study, "phi_squared")
    with pytest.raises(AnalysisError):
        explore.view(study, filters={"bureau": "x"})


def test_static_fallback_outside_a_kernel(study, frame, capsys, monkeypatch):
    assert not explore.is_live()
    assert explore.explore(study, frame, language="en", measure="count") is None
    shown = capsys.readouterr().out
    assert "n = 11" in shown and frame.label("flag", "ethics", "en") in shown
    monkeypatch.setenv("ANALYSIS_STATIC", "1")
    assert not explore.is_live()


def test_widgets_build_and_update(study, frame):
    box = explore.explore(study, frame, interactive=True)
    pickers = box.children[0].children + box.children[1].children
    assert len(pickers) == len(explore.FILTERS)
    switch = box.children[2]
    switch.value = "lift"
    pickers[2].value = ("enforcement",)
    assert switch.value == "lift"
