"""The coding frame: transcription, validation, parsing of ticks and techniques."""

import copy

import pytest
import yaml

from analysis import config
from analysis.errors import FrameError
from analysis.frame import load_frame, parse_frame


@pytest.fixture()
def raw():
    return yaml.safe_load(config.FRAME_FILE.read_text(encoding="utf-8"))


def test_five_categories_fourteen_types_in_study_order(frame):
    assert frame.category_keys == [
        "enforcement",
        "regulatory_analysis",
        "adjudication",
        "public_services",
        "internal_management",
    ]
    assert [frame.label("category", k) for k in frame.category_keys] == [
        "執行",
        "管制分析與監控",
        "裁決",
        "公共服務和參與",
        "內部管理",
    ]
    assert len(frame.application_type_keys) == 14
    per_category = [len(frame.application_types_of(c)) for c in frame.category_keys]
    assert per_category == [4, 3, 1, 4, 2]
    assert frame.label("application_type", "benefits_decisions") == "就福利做出決定"
    assert frame.entry("application_type", "smart_recognition").definition_zh.startswith(
        "可辨識影像、影片、音訊"
    )


def test_six_flags_with_keys_names_and_colours(frame):
    assert frame.flag_keys == [
        "data_governance",
        "human_rights",
        "ethics",
        "explainability",
        "personal_data",
        "automated_decision",
    ]
    assert [frame.label("flag", k) for k in frame.flag_keys] == [
        "資料治理",
        "人權保護",
        "倫理",
        "模型可解釋性",
        "個人資料",
        "自動化決策風險",
    ]
    assert all(frame.entry("flag", k).definition_en for k in frame.flag_keys)
    assert len(set(frame.colours("flag").values())) == 6
    assert len(set(frame.colours("category").values())) == 5


def test_labels_in_both_languages(frame):
    assert frame.label("category", "adjudication", "en") == "Adjudication"
    assert frame.label("technique", "nlp", "zh-TW") == "自然語言處理"
    assert frame.heading("techniques", "zh-TW") == "使用AI技術"
    assert frame.heading("yes", "en") == "Ticked"


@pytest.mark.parametrize(
    "text,expected",
    [
        ("影像辨識、機器學習", ("image_recognition", "machine_learning")),
        ("大數據分析、ML、NLP", ("machine_learning", "nlp", "big_data_analytics")),
        ("機器學習、 動態影像分析 辨識演算法", ("image_analysis", "machine_learning")),
        ("機器學習/數據整合與視覺化", ("machine_learning", "data_integration_visualisation")),
        ("影像辨識(車牌)", ("image_recognition",)),
        ("ＮＬＰ，機器學習", ("machine_learning", "nlp")),
        ("生成式AI(大型語言模型)", ("generative_ai",)),
    ],
)
def test_technique_parsing(frame, text, expected):
    parsed = frame.parse_techniques(text)
    assert parsed.keys == expected
    assert parsed.unknown == ()


def test_technique_parsing_keeps_brackets_whole_and_reports_unknown(frame):
    parsed = frame.parse_techniques("生物特徵辨識(人臉/指紋)、量子退火")
    assert parsed.keys == ("biometrics",)
    assert parsed.qualifiers == ("人臉/指紋",)
    assert parsed.unknown == ("量子退火",)
    assert frame.parse_techniques("").not_reported
    assert frame.parse_techniques("未載明").not_reported


@pytest.mark.parametrize(
    "value,state",
    [
        ("V", "yes"),
        ("v", "yes"),
        ("Ｖ", "yes"),
        ("✓", "yes"),
        ("✔", "yes"),
        ("Y", "yes"),
        ("Yes", "yes"),
        ("1", "yes"),
        ("TRUE", "yes"),
        (" V ", "yes"),
        ("是", "yes"),
        ("N", "no"),
        ("no", "no"),
        ("0", "no"),
        ("FALSE", "no"),
        ("否", "no"),
        ("", ""),
        ("   ", ""),
        (None, ""),
        ("N/A", "not_reported"),
        ("未載明", "not_reported"),
        ("X", None),
        ("○", None),
        ("maybe", None),
    ],
)
def test_tick_parsing(frame, value, state):
    assert frame.parse_tick(value) == state


def test_lookup_by_key_label_synonym_and_outside_label(frame):
    assert frame.lookup("category", "管制分析 與監控") == "regulatory_analysis"
    assert frame.lookup("category", "Public Services and engagement") == "public_services"
    assert frame.lookup("application_type", "內部管理流程") == "internal_support"
    assert frame.is_outside_frame("application_type", "內部管理流程")
    assert not frame.is_outside_frame("application_type", "內部支援流程")
    assert frame.lookup("category", "no such category") is None


def test_every_study_technique_is_in_the_vocabulary(frame):
    in_study = {e.key for e in frame.entries["technique"] if e.in_study}
    assert in_study == {
        "image_recognition",
        "image_analysis",
        "machine_learning",
        "nlp",
        "big_data_analytics",
        "data_integration_visualisation",
    }


def test_techniques_of_the_us_2025_template_come_last_outside_the_study(frame):
    assert frame.technique_keys[-2:] == ["agentic_ai", "reinforcement_learning"]
    for key in ("agentic_ai", "reinforcement_learning"):
        assert frame.entry("technique", key).in_study is False
    assert frame.lookup("technique", "Agentic AI") == "agentic_ai"
    assert frame.lookup("technique", "AI agents") == "agentic_ai"
    assert frame.lookup("technique", "代理式人工智慧") == "agentic_ai"
    assert frame.lookup("technique", "Reinforcement Learning") == "reinforcement_learning"
    assert frame.lookup("technique", "強化學習") == "reinforcement_learning"
    assert frame.lookup("technique", "rl") is None  # would fire on unrelated words (RLS, ...)
    assert "agentic" in frame.terms("technique", "agentic_ai")["en"]
    assert "reward function" in frame.terms("technique", "reinforcement_learning")["en"]


@pytest.mark.parametrize(
    "mutate,message",
    [
        (lambda d: d["flags"].append(copy.deepcopy(d["flags"][0])), "duplicate flag keys"),
        (lambda d: d["categories"][0].update(colour="blue"), "is not #RRGGBB"),
        (lambda d: d["categories"][1].update(application_types=[]), "has no application_types"),
        (lambda d: d["techniques"][0].update(key="Image Recognition"), "lower_snake_case"),
        (lambda d: d["techniques"][1]["synonyms"].append("影像辨識"), "names both"),
        (lambda d: d["tick_values"]["no"].append("V"), "more than one state"),
        (lambda d: d.pop("flags"), "missing section 'flags'"),
        (lambda d: d["flags"][0].pop("definition_en"), "definition_zh and definition_en"),
        (lambda d: d["headings"].update({True: {"zh": "是", "en": "yes"}}), "must be a string"),
    ],
)
def test_invalid_frames_are_rejected_with_a_reason(raw, tmp_path, mutate, message):
    mutate(raw)
    with pytest.raises(FrameError, match=message):
        parse_frame(raw, tmp_path / "frame.yaml")


def test_missing_or_broken_frame_file(tmp_path):
    with pytest.raises(FrameError, match="not found"):
        load_frame(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("categories: [\n", encoding="utf-8")
    with pytest.raises(FrameError, match="cannot read"):
        load_frame(bad)


def test_a_validated_frame_is_kept_by_content_and_an_edited_one_read_again(tmp_path):
    from analysis import cache
    from analysis import frame as frames

    source = config.FRAME_FILE.read_text(encoding="utf-8")
    path = tmp_path / "frame.yaml"
    path.write_text(source, encoding="utf-8")
    first = load_frame(path)
    kept = set(cache.folder(frames.NAMESPACE).glob(f"*{cache.SUFFIX}"))
    assert kept
    frames._load.cache_clear()  # as a new process: served from the cache
    assert load_frame(path) == first == parse_frame(yaml.safe_load(source), path)
    assert set(cache.folder(frames.NAMESPACE).glob(f"*{cache.SUFFIX}")) == kept
    path.write_text(source + "\nnot: [closed\n", encoding="utf-8")
    with pytest.raises(FrameError, match="cannot read the frame file"):
        load_frame(path)
