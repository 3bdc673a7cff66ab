from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.textnorm import fold, normalise, split_outside_brackets, split_qualifier


def test_normalise_full_width_wrap_spaces_and_missing():
    assert normalise("ＡＩ　影像") == "AI 影像"
    assert normalise("管制分析 與監控") == "管制分析與監控"
    assert normalise("機器學習、 動態影像分析 辨識演算法") == "機器學習、動態影像分析辨識演算法"
    assert normalise("  Rights-Impacting\n") == "Rights-Impacting"
    assert normalise(None) == "" and normalise(float("nan")) == ""
    assert fold("Safety-Impacting") == fold("safety-impacting ")


def test_split_outside_brackets():
    assert split_outside_brackets("a、b/c", ["、", "/"]) == ["a", "b", "c"]
    assert split_outside_brackets("生物特徵辨識(人臉/指紋)/OCR", ["/"]) == [
        "生物特徵辨識(人臉/指紋)",
        "OCR",
    ]
    assert split_outside_brackets("【x、y】、z", ["、"]) == ["【x、y】", "z"]
    assert split_outside_brackets(" 、 ", ["、"]) == []


def test_split_qualifier():
    assert split_qualifier("影像辨識(車牌)") == ("影像辨識", "車牌")
    assert split_qualifier("影像辨識") == ("影像辨識", "")
    assert split_qualifier("(未詳述)") == ("(未詳述)", "")
    assert split_qualifier("NLP［翻譯］") == ("NLP", "翻譯")
    assert split_qualifier("NLP [翻譯]") == ("NLP", "翻譯")
    assert split_qualifier("影像辨識【車牌】") == ("影像辨識", "車牌")
    assert split_qualifier("a(b)c") == ("a(b)c", "")


def test_normalise_keeping_lines_normalises_each_line():
    cell = "影像辨識\r\n 機器 學習 \n\nＯＣＲ"
    assert normalise(cell, keep_lines=True) == "影像辨識\n機器學習\nOCR"
    assert normalise(cell) == "影像辨識機器學習 OCR"  # line breaks collapse otherwise


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_normalise_is_idempotent(text):
    assert normalise(normalise(text)) == normalise(text)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet="abc影像(", min_size=1, max_size=5), min_size=1, max_size=5))
def test_split_without_brackets_round_trips(parts):
    parts = [p.replace("(", "") for p in parts]
    parts = [p for p in parts if p.strip()]
    assert split_outside_brackets("、".join(parts), ["、"]) == [p.strip() for p in parts]
