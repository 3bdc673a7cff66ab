"""Personal-data masking before a text goes to an LLM endpoint: the pattern file, and recall
and precision per class on a synthetic labelled set (tests/fixtures/personal_data)."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
import yaml

from analysis.coders.personal import (
    PERSONAL_DATA_FILE,
    find_personal,
    load_personal_patterns,
    mask_personal,
    parse_personal_patterns,
    taiwan_id_checksum,
)
from analysis.errors import InputError

LABELLED = Path(__file__).parent / "fixtures" / "personal_data" / "synthetic_labelled.yaml"
MARK = re.compile(r"⟦([a-z_]+):(.*?)⟧", re.S)
CLASSES = ("national_id", "e_mail", "phone", "line_id", "address", "person_name")
#: Thresholds asserted per class on the labelled set.
MIN_RECALL, MIN_PRECISION = 0.95, 0.9


def _labelled() -> list[tuple[str, list[tuple[str, int, int]], tuple[str, ...]]]:
    """(text, gold spans, known personal values) of each synthetic labelled text."""
    out = []
    for item in yaml.safe_load(LABELLED.read_text(encoding="utf-8"))["texts"]:
        raw, known = (item, ()) if isinstance(item, str) else (item["text"], item["known"])
        parts, gold, pos = [], [], 0
        for m in MARK.finditer(raw):
            parts.append(raw[pos : m.start()])
            start = sum(map(len, parts))
            parts.append(m.group(2))
            gold.append((m.group(1), start, start + len(m.group(2))))
            pos = m.end()
        parts.append(raw[pos:])
        out.append(("".join(parts), gold, tuple(known)))
    return out


def personal_data_scores() -> dict[str, dict[str, float]]:
    """Per class: gold spans, recall (share of gold spans whose every non-space character
    is masked), precision (share of masked spans of the class touching a gold span; a
    personal-column value counts as a name) and character precision (share of the masked
    characters of the class inside a gold span)."""
    counts = {k: [0, 0, 0, 0] for k in CLASSES}  # gold, recalled, masked, masked on gold
    chars = {k: [0, 0] for k in CLASSES}  # masked characters, of which inside gold spans
    for text, gold, known in _labelled():
        found = find_personal(text, known)
        covered = {i for f in found for i in range(f.start, f.end)}
        inside = {i for _, a, b in gold for i in range(a, b)}
        for kind, a, b in gold:
            counts[kind][0] += 1
            counts[kind][1] += {i for i in range(a, b) if not text[i].isspace()} <= covered
        for f in found:
            kind = "person_name" if f.kind == "personal_column" else f.kind
            counts[kind][2] += 1
            counts[kind][3] += any(f.start < b and a < f.end for _, a, b in gold)
            chars[kind][0] += f.end - f.start
            chars[kind][1] += len(inside & set(range(f.start, f.end)))
    return {
        k: {
            "gold": g,
            "recall": r / g,
            "masked": m,
            "precision": t / m if m else 1.0,
            "char_precision": chars[k][1] / chars[k][0] if chars[k][0] else 1.0,
        }
        for k, (g, r, m, t) in counts.items()
    }


def test_every_pattern_compiles_and_meets_its_examples():
    classes = load_personal_patterns()
    assert [c.key for c in classes] == list(CLASSES)
    for cls in classes:
        assert cls.patterns and cls.mask.startswith("[")
        for pat in cls.patterns:
            assert pat.match and pat.no_match, pat.name
            for text in pat.match:
                assert find_personal(text, classes=(_only(cls, pat),)), (pat.name, text)
            for text in pat.no_match:
                assert not find_personal(text, classes=(_only(cls, pat),)), (pat.name, text)


def _only(cls, pat):
    return type(cls)(cls.key, cls.mask, cls.name_en, cls.name_zh, (pat,))


def test_the_pattern_file_is_validated(tmp_path):
    data = yaml.safe_load(PERSONAL_DATA_FILE.read_text(encoding="utf-8"))
    data["classes"][0]["patterns"][0]["regex"] = "(unclosed"
    data["classes"][1]["colour"] = "red"
    data["classes"][2]["patterns"][0]["no_match"] = []
    data["classes"][3]["key"] = "national_id"
    with pytest.raises(InputError) as err:
        parse_personal_patterns(data, tmp_path / "p.yaml")
    text = str(err.value)
    assert "classes[1].patterns[1].regex" in text and "'(unclosed'" in text
    assert "classes[2].colour" in text and "'red'" in text
    assert "classes[3].patterns[1].no_match" in text and "非空的範例文字清單" in text
    assert "classes[4].key" in text and "'national_id'" in text and "未重複的類別鍵" in text
    assert "p.yaml" in text and len(err.value.problems) == 4


def test_a_duplicate_key_in_the_pattern_file_is_refused(tmp_path):
    path = tmp_path / "patterns.yaml"
    text = PERSONAL_DATA_FILE.read_text(encoding="utf-8")
    path.write_text(text.replace('mask: "[e-mail]"', 'mask: "[e-mail]"\n    mask: "[x]"'), "utf-8")
    line = text.splitlines().index('    mask: "[e-mail]"') + 2
    with pytest.raises(InputError) as err:
        load_personal_patterns(path)
    assert f"file {path}, line {line}; expected a readable YAML file (duplicate key 'mask')" in str(
        err.value
    )
    assert f"第 {line} 行" in str(err.value)


def test_recall_and_precision_per_class_on_the_synthetic_labelled_set():
    scores = personal_data_scores()
    assert all(s["gold"] >= 10 for s in scores.values()), scores
    for kind, s in scores.items():
        assert s["recall"] >= MIN_RECALL, (kind, s)
        assert s["precision"] >= MIN_PRECISION, (kind, s)
        assert s["char_precision"] >= MIN_PRECISION, (kind, s)


def test_texts_without_personal_data_are_sent_unchanged():
    negatives = [(t, k) for t, gold, k in _labelled() if not gold]
    assert len(negatives) >= 30
    for text, known in negatives:
        assert mask_personal(text, known)[0] == text


def test_a_national_id_is_masked_whole_with_its_checksum_reported():
    text, found = mask_personal("身分證A123456789，電話0912-345-678，誤植A123456788")
    assert text == "身分證[national-id]，電話[phone]，誤植[national-id]"
    assert [(f.kind, f.checksum_ok) for f in found] == [
        ("national_id", True),
        ("phone", None),
        ("national_id", False),
    ]


def test_taiwan_id_checksum():
    # A123456789 is the specimen printed in the ID rules: 1 + 0*9 + 120 + 9 = 130.
    assert taiwan_id_checksum("A123456789") and taiwan_id_checksum("a123456789")
    assert not taiwan_id_checksum("A123456780")
    # old resident form: the second letter counts by the last digit of its code (C=12 -> 2)
    assert taiwan_id_checksum("AC23456709") and not taiwan_id_checksum("AC23456708")
    assert not taiwan_id_checksum("A12345678") and not taiwan_id_checksum("1234567890")


def test_full_width_and_hidden_characters_are_masked_in_the_original():
    text = (
        "請寄ｊａｎｅ＠ｅｘａｍｐｌｅ．ｃｏｍ或ja\u200bne(at)example(dot)com，"
        "電話０２－２３４５－６７８９。"
    )
    assert mask_personal(text)[0] == "請寄[e-mail]或[e-mail]，電話[phone]。"


def test_values_of_personal_columns_are_masked_wherever_they_appear():
    text, found = mask_personal("由 Jane Roe 規劃；JANE ROE 驗收。", known=("Jane Roe", ""))
    assert text == "由 [personal] 規劃；[personal] 驗收。"
    assert [f.kind for f in found] == ["personal_column"] * 2


@pytest.mark.parametrize(
    "hostile",
    [
        "a" * 60_000 + "@",
        "a." * 30_000,
        "0" * 60_000,
        "0-" * 30_000,
        "+1 " * 20_000,
        "路" * 60_000 + "1號",
        "聯絡人：" + "王" * 60_000,
        "LINE ID: " + "a" * 60_000,
        "No. 1, " + "A " * 30_000,
        "jane (at) " * 10_000,
    ],
    ids=lambda s: repr(s[:12]),
)
def test_matching_stays_linear_on_long_hostile_text(hostile):
    start = time.process_time()
    mask_personal(hostile)
    assert time.process_time() - start < 5.0
