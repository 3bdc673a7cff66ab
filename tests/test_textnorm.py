from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.textnorm import (
    fold,
    normalise,
    split_outside_brackets,
    split_qualifier,
    visible,
)


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


def test_visible_removes_what_prints_as_nothing_and_keeps_the_rest():
    assert visible("\ufeffR-\u200b1\x00") == "R-1"
    assert visible("A\u00ad-\u200e12\u2060") == "A-12"
    assert visible("機關 \u200b 名稱") == "機關名稱"  # a wrap space beside a zero-width one
    assert visible("a\tb\nc") == "a b c"  # whitespace is collapsed, not removed
    assert fold("Ｒ-\u200b1") == fold("r-1")


# Synthetic text: letters, digits, CJK, spaces and punctuation, with characters that print as
# nothing put anywhere in it.
_SHOWN = st.text(st.sampled_from(list("aZ09-_ .、機關名稱（）")), max_size=20)
_HIDDEN = st.sampled_from(
    ["\x00", "\x07", "\x7f", "\u200b", "\u200d", "\u2060", "\ufeff", "\u00ad"]
)


@settings(max_examples=300, deadline=None)
@given(_SHOWN, st.lists(st.tuples(st.integers(0, 20), _HIDDEN), max_size=5))
def test_invisible_characters_never_change_what_visible_returns(text, inserts):
    hidden = text
    for at, ch in inserts:
        hidden = hidden[:at] + ch + hidden[at:]
    assert visible(hidden) == visible(text) == normalise(text)
