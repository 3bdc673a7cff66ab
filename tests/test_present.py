"""Result tables as a reader sees them (analysis.present), on the bundled inventories, and
the checks a rendered report is held to (analysis.report_check)."""

import copy
import re

import numpy as np
import pandas as pd
import pytest
import yaml

from analysis import (
    coding,
    config,
    cooccurrence,
    inventories,
    present,
    report_check,
    stats,
    summary,
)
from analysis.errors import AnalysisError
from analysis.frame import load_frame

FRAME = load_frame()
CAPTION = ("每列為一對風險。", "One row per pair of risks.")


@pytest.fixture(scope="module")
def study():
    return coding.cases_for("study", FRAME)


def _cells(shown) -> list[str]:
    return report_check.tables_of(shown._repr_html_())[0].body


def test_pairs_read_in_the_reports_language_with_no_key_and_no_python_word(study):
    pairs = cooccurrence.distinct_pairs(cooccurrence.pairs(study, None, "pairwise"), FRAME)
    for language in ("zh-TW", "en"):
        page = present.show(pairs, CAPTION, language, FRAME)._repr_html_()
        assert report_check.frame_keys_shown(page, FRAME) == []
        assert report_check.python_words(page) == []
        table = report_check.tables_of(page)[0]
        assert table.rows == 15 and table.captioned
        flags = FRAME.labels("flag", language)
        assert table.header[:2] == [
            FRAME.heading("flag_a", language),
            FRAME.heading("flag_b", language),
        ]
        assert set(table.body[0::11][:5]) <= set(flags.values())
    # φ is undefined where a risk is ticked on every case: the missing mark, explained
    zh = present.show(pairs, CAPTION, "zh-TW", FRAME)
    assert "—" in _cells(zh) and "nan" not in repr(zh).lower()


def test_booleans_missing_values_and_p_values_are_words_and_marks(study):
    tests = stats.association(study, "category", "pairwise", n_permutations=200, frame=FRAME)
    shown = present.reader_table(tests, FRAME, "zh-TW")
    assert "—" in shown.to_numpy()  # an untestable risk has no statistic
    p_col = shown[FRAME.heading("p_value", "zh-TW")]
    numeric = [float(v) for v in p_col if re.fullmatch(r"[01]\.\d{3}", v)]
    assert numeric and all(0 <= v <= 1 for v in numeric)
    # the test names and reasons stats writes are in the frame's phrases
    assert set(shown[FRAME.heading("test", "zh-TW")]) <= {
        "χ² 檢定",
        "Fisher 精確檢定",
        "置換檢定",
        "無法檢定",
    }
    flags = summary.flag_counts(study, FRAME).assign(any=True)
    flags.loc[0, "any"] = False
    shown = present.reader_table(flags.rename(columns={"any": "converged"}), FRAME, "zh-TW")
    assert shown[FRAME.heading("converged", "zh-TW")].tolist()[:2] == ["否", "是"]
    small = pd.DataFrame({"p_value": [0.0004, 0.05, np.nan]})
    assert present.reader_table(small, FRAME, "en").iloc[:, 0].tolist() == ["<0.001", "0.050", "—"]


def test_a_column_mixing_kinds_of_value_gives_each_cell_its_own_word():
    """Equal values of different kinds (True, 1, 1.0) are different words, repeated values
    the same word, cell by cell as the vocabulary gives them one at a time."""
    cells = [True, 1, 1.0, 0.25, True, "category", 1, None, "category", [1, 2]]
    table = pd.DataFrame({"value": pd.Series(cells, dtype=object)})
    vocab = present.Vocabulary(FRAME, "en")
    expected = [vocab.value(v, "value") for v in cells]
    assert present.reader_table(table, FRAME, "en").iloc[:, 0].tolist() == expected
    assert expected[:3] == [FRAME.heading("true", "en"), "1", "1"]
    assert expected[3] == "0.250"


def test_a_range_index_is_dropped_and_a_meaningful_one_becomes_a_column(study):
    counts = summary.category_counts(study, FRAME)
    assert list(present.reader_table(counts, FRAME, "en").columns) == [
        FRAME.heading(c, "en") for c in counts.columns
    ]
    indexed = counts.set_index("category")
    out = present.reader_table(indexed, FRAME, "zh-TW")
    assert out.columns[0] == FRAME.heading("category", "zh-TW")
    assert out.iloc[:, 0].tolist() == [
        FRAME.heading("not_coded", "zh-TW") if pd.isna(k) else FRAME.label("category", k, "zh-TW")
        for k in counts["category"]
    ]


def test_an_empty_result_says_why_or_is_refused():
    techniques = stats.association(
        inventories.load("us-federal-2024").cases, "technique", "pairwise", frame=FRAME
    )
    assert techniques.empty  # US 2024 reports no technique
    with pytest.raises(AnalysisError, match="no rows and no stated reason"):
        present.show(techniques, CAPTION, "zh-TW", FRAME)
    reason = (
        "沒有案例報告AI技術，無從檢定。",
        "No case reports a technique, so there is nothing to test.",
    )
    page = present.show(techniques, CAPTION, "zh-TW", FRAME, empty=reason)._repr_html_()
    assert reason[0] in page and "<table" not in page
    assert report_check.silent_empty_tables(page) == 0


def test_a_key_like_column_without_a_heading_is_refused(study):
    table = summary.flag_counts(study, FRAME).assign(brand_new_measure=1.0)
    with pytest.raises(AnalysisError, match="brand_new_measure"):
        present.show(table, CAPTION, "en", FRAME)


def test_keys_joined_prefixed_or_counted_become_labels():
    vocab = present.Vocabulary(FRAME, "zh-TW")
    flags = FRAME.flag_keys
    assert vocab.keys(";".join(flags)) == "、".join(FRAME.label("flag", f, "zh-TW") for f in flags)
    assert vocab.keys("category:enforcement") == FRAME.label("category", "enforcement", "zh-TW")
    assert vocab.keys("enforcement 72; adjudication 5") == (
        f"{FRAME.label('category', 'enforcement', 'zh-TW')} 72、"
        f"{FRAME.label('category', 'adjudication', 'zh-TW')} 5"
    )
    assert vocab.keys("expected count below 5") == "期望次數低於 5"
    # text that is not all keys stays as written (a case name, a source's own value)
    assert vocab.keys("Machine learning, clustering") == "Machine learning, clustering"
    assert vocab.value("drop", "na_policy") == FRAME.heading("na_policy_drop", "zh-TW")


def _numbered(phrase: str, n: int) -> str:
    """``phrase`` with its k-th ``{n}`` replaced by ``n * k``."""
    parts = phrase.split("{n}")
    return parts[0] + "".join(f"{n * k}{part}" for k, part in enumerate(parts[1:], start=1))


def test_every_phrase_of_the_frame_becomes_its_words_and_nothing_else_does():
    """Each phrase written as the frame spells it (numbers put where ``{n}`` stands) is
    found, with its words in either language; text that only contains a phrase is not."""
    raw = yaml.safe_load(config.FRAME_FILE.read_text(encoding="utf-8"))["phrases"]
    for language, side in (("en", "en"), ("zh-TW", "zh")):
        vocab = present.Vocabulary(FRAME, language)
        for n, item in enumerate(raw, start=7):
            text, words = _numbered(item["value"], n), _numbered(item[side], n)
            assert vocab._phrase(text) == words, text
            assert vocab._phrase(f"{text} (see note)") is None
    # where the table's words come from, a phrase is looked up after the frame's keys
    assert present.Vocabulary(FRAME, "en").keys("expected count below 5") == (
        "expected count below 5"
    )
    assert present.Vocabulary(FRAME, "zh-TW").keys("not testable") == "無法檢定"


def test_long_and_wide_tables_are_marked_for_the_reports_styles(study):
    cases = study[
        ["case_id", "name", *FRAME.flag_keys, "category", "application_type", "techniques"]
        + ["agency", "source"]
    ]
    assert cases.shape[1] > present.WIDE_COLUMNS
    html = present.show(cases, CAPTION, "zh-TW", FRAME)._repr_html_()
    assert 'class="result-table wide"' in html
    us = inventories.load("us-federal-2024").report.recodings
    html = present.show(us, CAPTION, "en", FRAME)._repr_html_()
    assert "long" in re.search(r'<figure class="([^"]+)"', html).group(1)


def test_the_check_counts_what_a_reviewer_would_see():
    page = (
        '<figure class="result-table"><figcaption>c</figcaption><table><thead><tr><th>'
        "data_governance</th><th>n</th></tr></thead><tbody><tr><td>NaN</td><td>"
        "category:enforcement</td></tr></tbody></table></figure><table><thead><tr><th>x"
        "</th></tr></thead><tbody></tbody></table>"
    )
    assert report_check.frame_keys_shown(page, FRAME) == ["data_governance", "category:enforcement"]
    assert report_check.python_words(page) == ["NaN"]
    assert report_check.silent_empty_tables(page) == 1
    assert report_check.uncaptioned_tables(page) == 1


def test_a_long_tables_html_is_written_once_per_content_and_equals_pandas(tmp_path, monkeypatch):
    from analysis import cache

    monkeypatch.setenv("ANALYSIS_CACHE_DIR", str(tmp_path / "cache"))  # a cache of its own
    cases = inventories.load("us-federal-2025").cases
    headed = [c for c in cases.columns if c in FRAME.headings]
    shown = present.reader_table(cases[headed], FRAME, "en")
    assert shown.size >= present.CACHED_CELLS
    stored = cache.folder(present.TABLE_HTML)

    def pandas_html(table):
        return table.to_html(index=False, border=0, classes="data", escape=True)

    first = present.table_html(shown)
    assert len(list(stored.glob(f"*{cache.SUFFIX}"))) == 1
    again = present.table_html(shown)  # read back
    assert again == first
    assert re.sub(' class="beyond-print"', "", first) == pandas_html(shown)
    assert first.count('<tr class="beyond-print">') == len(shown) - present.PRINT_ROWS
    changed = shown.copy()
    changed.iloc[-1, 1] = "another agency"
    assert re.sub(' class="beyond-print"', "", present.table_html(changed)) == pandas_html(changed)
    assert len(list(stored.glob(f"*{cache.SUFFIX}"))) == 2
    short = shown.head(10)  # a short table is written each time, never stored
    assert present.table_html(short) == pandas_html(short)
    assert len(list(stored.glob(f"*{cache.SUFFIX}"))) == 2


def test_a_frames_vocabulary_is_made_once_per_language_and_reads_as_a_new_one():
    zh, en = present.vocabulary(FRAME, "zh-TW"), present.vocabulary(FRAME, "en")
    assert present.vocabulary(FRAME, "zh-TW") is zh and zh is not en
    table = coding.cases_for("study", FRAME)[["case_id", "category", "application_type"]]
    assert present.reader_table(table, FRAME, "en").equals(present.reader_table(table, FRAME, "en"))
    fresh = present.Vocabulary(FRAME, "en")
    for value in table["category"].tolist() + ["data_governance; ethics", "not testable"]:
        assert en.value(value, "category") == fresh.value(value, "category")
    other = copy.copy(FRAME)  # another frame object gets its own
    assert present.vocabulary(other, "en") is not en
    assert present.vocabulary(other, "en").frame is other
