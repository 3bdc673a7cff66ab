"""Stored results: keyed by content, never served for other inputs, recomputed when unreadable."""

import dataclasses
import pickle

import numpy as np
import pandas as pd
import pytest

from analysis import agreement, annotations, cache, coding, config, inventories, load_frame, memo
from analysis.frame import Frame

CALLS = []


@memo.cached
def _category_counts(cases: pd.DataFrame, column: str = "category") -> pd.Series:
    CALLS.append(column)
    return cases[column].value_counts(dropna=False).sort_index()


@memo.cached(defaults={"frame": load_frame})
def _flag_counts(cases: pd.DataFrame, frame: Frame | None = None, column: str = "category"):
    CALLS.append(frame is None)
    frame = frame or load_frame()
    return cases[frame.flag_keys].sum().sort_index()


@pytest.fixture()
def jrc():
    return inventories.cases("jrc-ai-watch")


@pytest.fixture(autouse=True)
def _fresh(output_dir, monkeypatch):
    monkeypatch.delenv("ANALYSIS_MEMO", raising=False)
    monkeypatch.delenv("ANALYSIS_CACHE", raising=False)
    CALLS.clear()


def _stored():
    """Every stored result, of every function."""
    return sorted(memo.folder().rglob(f"*{cache.SUFFIX}"))


def test_digest_follows_content_not_identity(jrc):
    assert memo.digest(jrc) == memo.digest(jrc.copy())
    changed = jrc.copy()
    changed.loc[changed.index[5], "category"] = (
        "adjudication" if jrc.loc[jrc.index[5], "category"] != "adjudication" else "enforcement"
    )
    variants = [
        changed,
        jrc.rename(columns={"name": "title"}),
        jrc.iloc[::-1],
        jrc.iloc[:-1],
        jrc.astype({"case_id": object}),
        jrc.set_axis(jrc.index + 1),
    ]
    digests = {memo.digest(v) for v in variants}
    assert len(digests) == len(variants) and memo.digest(jrc) not in digests
    assert memo.digest(jrc, folds=5) != memo.digest(jrc, folds=3)
    assert memo.digest(coding.ModelSpec()) == memo.digest(coding.ModelSpec())
    assert memo.digest(coding.ModelSpec()) != memo.digest(
        dataclasses.replace(coding.ModelSpec(), c=1.0)
    )
    assert memo.digest({1, 2, 3}) == memo.digest({3, 2, 1})
    assert memo.digest(np.arange(4)) != memo.digest(np.arange(4).astype(float))


def test_frame_digest_changes_with_any_entry(frame):
    entry = frame.entries["category"][0]
    edited = dataclasses.replace(
        frame,
        entries={
            **frame.entries,
            "category": (
                dataclasses.replace(entry, key=entry.key + "_x"),
                *frame.entries["category"][1:],
            ),
        },
    )
    assert memo.digest(frame) != memo.digest(edited)


def test_second_call_is_read_from_disk_and_other_inputs_are_computed(jrc):
    first = _category_counts(jrc)
    again = _category_counts(jrc.copy())
    assert CALLS == ["category"]
    pd.testing.assert_series_equal(first, again)
    (entry,) = _stored()
    assert entry.parent == cache.folder(memo.namespace_of(_category_counts))
    _category_counts(jrc, "techniques")
    fixed = jrc.copy()
    fixed.loc[fixed.index[0], "category"] = pd.NA
    assert _category_counts(fixed).sum() == len(jrc)
    assert CALLS == ["category", "techniques", "category"]


def test_unreadable_entry_is_recomputed_and_replaced(jrc, capsys):
    expected = _category_counts(jrc)
    (entry,) = _stored()
    entry.write_bytes(b"not a pickle")
    pd.testing.assert_series_equal(_category_counts(jrc), expected)
    assert CALLS == ["category", "category"]
    assert (
        f"cache: damaged entry {entry} (not a cache entry); recomputing" in capsys.readouterr().err
    )
    pd.testing.assert_series_equal(_category_counts(jrc), expected)
    assert CALLS == ["category", "category"]


def test_switched_off_or_undigestible_arguments_compute_every_time(jrc, monkeypatch):
    monkeypatch.setenv("ANALYSIS_MEMO", "off")
    _category_counts(jrc)
    _category_counts(jrc)
    assert CALLS == ["category", "category"] and not memo.folder().exists()
    monkeypatch.delenv("ANALYSIS_MEMO")
    monkeypatch.setenv("ANALYSIS_CACHE", "off")
    _category_counts(jrc)
    assert CALLS == ["category"] * 3 and not memo.folder().exists()
    monkeypatch.delenv("ANALYSIS_CACHE")
    with pytest.raises(memo.Undigestible):
        memo.digest(object())

    @memo.cached
    def first_of(rows, opened):
        CALLS.append("open")
        return rows.iloc[0]["case_id"]

    with open(__file__, encoding="utf-8") as fh:  # an open file has no content digest
        assert first_of(jrc, fh) == first_of(jrc, fh) == jrc.iloc[0]["case_id"]
    assert CALLS.count("open") == 2


def test_evaluation_is_stored_once_and_equals_a_fresh_computation(frame, jrc, monkeypatch):
    spec = coding.ModelSpec(char=False)
    stored = agreement.evaluate(jrc, ("model",), ["category"], spec, folds=3, frame=frame)
    assert len(cache.entries(memo.namespace_of(agreement.evaluate))) == 1
    assert agreement.evaluate(
        jrc, ("model",), ["category"], spec, folds=3, frame=frame
    ).scores.equals(stored.scores)
    monkeypatch.setenv("ANALYSIS_MEMO", "off")  # nothing read from the store
    fresh = agreement.evaluate(jrc, ("model",), ["category"], spec, folds=3, frame=frame)
    pd.testing.assert_frame_equal(stored.scores, fresh.scores)
    pd.testing.assert_frame_equal(stored.predictions, fresh.predictions)


def _entries_by_argument(jrc):
    """The stored results of ``_category_counts`` for two columns, by column."""
    _category_counts(jrc, "category")
    (category,) = _stored()
    _category_counts(jrc, "application_type")
    (application_type,) = set(_stored()) - {category}
    return category, application_type


def test_two_swapped_results_are_not_served_but_recomputed_with_a_note(jrc, capsys):
    """Two valid stored pickles exchanged: each decodes, neither is served."""
    expected = {c: _category_counts.uncached(jrc, c) for c in ("category", "application_type")}
    category, application_type = _entries_by_argument(jrc)
    a, b = category.read_bytes(), application_type.read_bytes()
    category.write_bytes(b)
    application_type.write_bytes(a)
    CALLS.clear()
    capsys.readouterr()
    for column in ("category", "application_type"):
        pd.testing.assert_series_equal(_category_counts(jrc, column), expected[column])
    assert CALLS == ["category", "application_type"]
    notes = capsys.readouterr().err.splitlines()
    assert [n.split(" (")[0] for n in notes] == [
        f"cache: damaged entry {category}",
        f"cache: damaged entry {application_type}",
    ]
    assert all("holds key" in n and n.endswith("; recomputing") for n in notes)
    for column in ("category", "application_type"):  # rewritten: served from now on
        pd.testing.assert_series_equal(_category_counts(jrc, column), expected[column])
    assert CALLS == ["category", "application_type"]


@pytest.mark.parametrize("damage", ["flipped byte", "truncated", "one value changed"])
def test_a_damaged_result_is_recomputed_with_a_note(jrc, damage, capsys):
    expected = _category_counts.uncached(jrc)
    _category_counts(jrc)
    (entry,) = _stored()
    data = bytearray(entry.read_bytes())
    start = data.index(b"\n", len(cache.MAGIC)) + 1
    if damage == "flipped byte":
        data[start + (len(data) - start) // 2] ^= 0x01
    elif damage == "truncated":
        data = data[:-10]
    else:  # a well-formed pickle of the result with one count changed
        changed = expected.copy()
        changed.iloc[0] += 1
        data = data[:start] + pickle.dumps(changed, protocol=pickle.HIGHEST_PROTOCOL)
    entry.write_bytes(bytes(data))
    CALLS.clear()
    capsys.readouterr()
    pd.testing.assert_series_equal(_category_counts(jrc), expected)
    assert CALLS == ["category"]
    (note,) = capsys.readouterr().err.splitlines()
    assert note.startswith(f"cache: damaged entry {entry} (") and note.endswith("; recomputing")
    assert ("truncated or extended" if damage == "truncated" else "recorded sha256") in note


def test_a_default_read_from_files_is_filled_before_the_key_is_made(jrc, tmp_path):
    """A frame left None is the bundled frame, read from data/: the key holds its content,
    so editing the frame file can never serve a result computed with the old one."""
    first = _flag_counts(jrc)
    assert CALLS == [False]  # the function received the frame, filled in
    assert _flag_counts(jrc, load_frame()).equals(first)  # the same key: not computed again
    assert _flag_counts(jrc, frame=load_frame(), column="category").equals(first)  # by name
    assert CALLS == [False]
    edited = tmp_path / "frame.yaml"
    text = (config.FRAME_FILE).read_text(encoding="utf-8")
    edited.write_text(
        text.replace("name_zh: 資料治理", "name_zh: 資料治理（改）", 1), encoding="utf-8"
    )
    other = load_frame(edited)
    assert other != load_frame()
    _flag_counts(jrc, other)
    assert CALLS == [False, False]  # another frame's content: another key


FILES = {"digest": "a"}


@memo.cached(inputs=lambda: FILES["digest"])
def _reads_files(column: str) -> str:
    CALLS.append(column)
    return f"{column} from files {FILES['digest']}"


def test_what_a_function_reads_by_name_is_part_of_its_key(monkeypatch):
    """A function that reads files by name keys its result by their content (``inputs``):
    other content, another key, never the old result."""
    monkeypatch.setitem(FILES, "digest", "a")
    assert _reads_files("category") == "category from files a"
    assert _reads_files("category") == "category from files a" and CALLS == ["category"]
    monkeypatch.setitem(FILES, "digest", "b")
    assert _reads_files("category") == "category from files b"
    assert CALLS == ["category", "category"]
    # the coding plan's stored evaluations are keyed by the bundled data and annotations
    assert annotations.bundled_inputs() == annotations.bundled_inputs()
    assert len(annotations.bundled_inputs()[1]) == len(annotations.ANNOTATION_SETS)
