"""The content-addressed cache: every damaged entry (a changed byte or value, a truncated
entry, two entries swapped, a file that is no entry, an entry of other code) is detected,
deleted, reported and computed again, equal to a fresh computation; off means computed;
concurrent writers leave one whole entry."""

from __future__ import annotations

import dataclasses
import io
import json
import os
import re
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd
import pytest

from analysis import cache, coding, config, environment, inventories, load_frame, pipeline, summary
from analysis.coders import llm

NAMESPACE = "test-tables"
CALLS: list[str] = []


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("ANALYSIS_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("ANALYSIS_CACHE", raising=False)
    monkeypatch.delenv("ANALYSIS_MEMO", raising=False)
    CALLS.clear()
    return tmp_path / "cache"


def category_flags(name: str) -> pd.DataFrame:
    """A real computation on a real inventory: counts of every flag by category."""
    CALLS.append(name)
    return summary.category_flag_counts(inventories.cases(name), load_frame())


def remembered(name: str) -> pd.DataFrame:
    """:func:`category_flags` through the cache, stored as a table (Parquet)."""
    return cache.remember(
        NAMESPACE,
        (name,),
        lambda: category_flags(name),
        lambda t: cache.tables_to_bytes({"t": t}),
        lambda b: cache.tables_from_bytes(b)["t"],
    )


def assert_frame_equal(ours, theirs):
    pd.testing.assert_frame_equal(ours, theirs, check_exact=True, check_dtype=True)


def entry_of(name: str):
    return cache.path(NAMESPACE, cache.key(NAMESPACE, name))


def payload_start(entry) -> int:
    data = entry.read_bytes()
    return data.index(b"\n", len(cache.MAGIC)) + 1


def test_an_intact_entry_is_served_and_equals_a_fresh_computation(private_cache):
    first = remembered("jrc-ai-watch")
    entry = entry_of("jrc-ai-watch")
    assert entry.parent == private_cache / NAMESPACE and entry.exists()
    served = remembered("jrc-ai-watch")
    assert CALLS == ["jrc-ai-watch"]
    pd.testing.assert_frame_equal(served, first, check_exact=True)
    pd.testing.assert_frame_equal(served, category_flags("jrc-ai-watch"), check_exact=True)


def _flip_a_payload_byte(entry, other):
    data = bytearray(entry.read_bytes())
    start = payload_start(entry)
    data[start + (len(data) - start) // 2] ^= 0x01
    entry.write_bytes(bytes(data))


def _change_a_value(entry, other):
    """The payload replaced by a well-formed table with one count changed: it decodes."""
    data = entry.read_bytes()
    start = payload_start(entry)
    table = cache.tables_from_bytes(data[start:])["t"]
    table.loc[0, "yes"] += 1
    entry.write_bytes(data[:start] + cache.tables_to_bytes({"t": table}))


def _truncate(entry, other):
    data = entry.read_bytes()
    entry.write_bytes(data[: len(data) - 100])


def _swap(entry, other):
    a, b = entry.read_bytes(), other.read_bytes()
    entry.write_bytes(b)
    other.write_bytes(a)


def _foreign_parquet(entry, other):
    """A well-formed file that is no entry: the table as plain Parquet (how tables used to be
    kept)."""
    buffer = io.BytesIO()
    category_flags("jrc-ai-watch").to_parquet(buffer)
    CALLS.pop()
    entry.write_bytes(buffer.getvalue())


def _entry_of_other_code(entry, other):
    """An entry written by other code (another code digest) put where this one belongs."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cache, "code_digest", lambda code=None: "0" * 64)
        other_key = cache.key(NAMESPACE, "jrc-ai-watch")
        stale = pd.DataFrame({"yes": [1]})
        written = cache.write(NAMESPACE, other_key, cache.tables_to_bytes({"t": stale}))
    assert other_key != entry.name.removesuffix(cache.SUFFIX)  # other code, other key: a miss
    os.replace(written, entry)


DAMAGE = {
    "flipped byte": (_flip_a_payload_byte, "payload differs from its recorded sha256"),
    "changed value, well-formed": (_change_a_value, "payload"),
    "truncated": (_truncate, "truncated or extended"),
    "swapped": (_swap, "holds key"),
    "foreign file": (_foreign_parquet, "not a cache entry"),
    "other code digest": (_entry_of_other_code, "holds key"),
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_a_damaged_entry_is_detected_recomputed_and_rewritten(damage, capsys):
    expected = {name: category_flags(name) for name in ("jrc-ai-watch", "taiwan-public")}
    for name in expected:
        remembered(name)
    CALLS.clear()
    entry, other = entry_of("jrc-ai-watch"), entry_of("taiwan-public")
    damage_entry, reason = DAMAGE[damage]
    damage_entry(entry, other)
    capsys.readouterr()

    again = remembered("jrc-ai-watch")
    assert CALLS == ["jrc-ai-watch"]  # computed again, not served
    assert_frame_equal(again, expected["jrc-ai-watch"])
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith(f"cache: damaged entry {entry} (")
    assert reason in err[0] and err[0].endswith("; recomputing")
    if damage == "swapped":  # the other entry is in the wrong place too
        assert_frame_equal(remembered("taiwan-public"), expected["taiwan-public"])
        assert CALLS == ["jrc-ai-watch", "taiwan-public"]
        assert f"cache: damaged entry {other} (holds key" in capsys.readouterr().err
    # rewritten whole: served from now on
    for name in expected:
        assert_frame_equal(remembered(name), expected[name])
    assert len(CALLS) == (2 if damage == "swapped" else 1)
    assert capsys.readouterr().err == ""


def test_read_says_none_for_a_missing_entry_and_for_a_damaged_one(capsys):
    key = cache.key(NAMESPACE, "x")
    assert cache.read(NAMESPACE, key) is None and capsys.readouterr().err == ""
    entry = cache.write(NAMESPACE, key, b"payload")
    assert cache.read(NAMESPACE, key) == b"payload"
    assert cache.lookup(NAMESPACE, cache.key(NAMESPACE, "y")) == (None, "")
    entry.write_bytes(entry.read_bytes() + b"!")
    assert cache.lookup(NAMESPACE, key) == (
        None,
        "payload of 8 bytes, 7 recorded (truncated or extended)",
    )
    assert not entry.exists()
    entry.parent.joinpath(f"{key}{cache.SUFFIX}").write_bytes(b"")
    assert cache.read(NAMESPACE, key) is None
    assert (
        capsys.readouterr().err.splitlines()[-1]
        == f"cache: damaged entry {entry} (empty); recomputing"
    )


def test_an_entry_of_another_namespace_is_not_served(capsys):
    key = cache.key(NAMESPACE, "x")
    written = cache.write("elsewhere", key, b"payload")
    cache.folder(NAMESPACE).mkdir(parents=True)
    os.replace(written, cache.path(NAMESPACE, key))
    assert cache.read(NAMESPACE, key) is None
    assert "of 'elsewhere', not this key" in capsys.readouterr().err


def test_a_value_that_cannot_be_decoded_is_computed_again(capsys):
    def compute():
        CALLS.append("computed")
        return [1, 2]

    cache.write(NAMESPACE, cache.key(NAMESPACE, "v"), b"intact, but not a pickle")
    assert cache.remember(NAMESPACE, ("v",), compute) == [1, 2] and CALLS == ["computed"]
    assert "cannot be decoded: UnpicklingError" in capsys.readouterr().err
    assert cache.remember(NAMESPACE, ("v",), compute) == [1, 2] and CALLS == ["computed"]


@pytest.mark.parametrize("variable", ["ANALYSIS_CACHE", "ANALYSIS_MEMO"])
def test_switched_off_everything_computes(variable, monkeypatch, private_cache):
    monkeypatch.setenv(variable, "off")
    assert not cache.enabled()
    first, second = remembered("taiwan-public"), remembered("taiwan-public")
    assert CALLS == ["taiwan-public", "taiwan-public"] and not (private_cache / NAMESPACE).exists()
    pd.testing.assert_frame_equal(first, second)
    monkeypatch.setenv(variable, "on")
    assert cache.enabled()


def test_undigestible_parts_compute_every_time():
    with open(__file__, encoding="utf-8") as fh:
        for _ in range(2):
            assert cache.remember(NAMESPACE, (fh,), lambda: CALLS.append("c") or 7) == 7
    assert CALLS == ["c", "c"] and not cache.folder(NAMESPACE).exists()


def test_the_key_follows_namespace_parts_and_code():
    base = cache.key(NAMESPACE, "jrc-ai-watch", folds=5)
    assert base == cache.key(NAMESPACE, "jrc-ai-watch", folds=5)
    others = {
        cache.key("other", "jrc-ai-watch", folds=5),
        cache.key(NAMESPACE, "jrc-ai-watch", folds=3),
        cache.key(NAMESPACE, "taiwan-public", folds=5),
        cache.key(NAMESPACE, ("jrc-ai-watch",), folds=5),
    }
    assert len(others) == 4 and base not in others


def test_the_key_changes_with_the_code_digest(monkeypatch):
    base = cache.key(NAMESPACE, "x")
    monkeypatch.setattr(cache, "code_digest", lambda code=None: "0" * 64)
    assert cache.key(NAMESPACE, "x") != base


@dataclasses.dataclass(frozen=True)
class Spec:
    c: float = 1.0
    names: tuple = ("a", "b")
    lookup: dict = dataclasses.field(default_factory=dict, repr=False)  # derived: not digested


Spec.__module__, Spec.__qualname__ = "reference", "Spec"  # as the digest names its class
TABLE = pd.DataFrame(
    {
        "name": pd.array(["a", None, "台灣"], dtype="string"),
        "flag": pd.array([True, None, False], dtype="boolean"),
        "n": [1, 2, 3],
    },
    index=pd.Index([10, 11, 12]),
)
#: Digests computed by ``analysis.memo.digest`` before the cache took it over: stored results
#: keep their recipe (``digest(*values, k=values)`` for each kind of value).
REFERENCE_DIGESTS = {
    "scalars": (
        [None, True, 3, 2**80, 1.5, float("nan"), 1 + 2j, "台灣", b"\x00"],
        "3d46b70c25775ea6ad4a44965b7fe3230691b3ab3efc48b47354b570be7dbd1e",
    ),
    "numpy scalars": (
        [np.float64(1.5), np.int64(3), np.bool_(True), np.str_("s")],
        "b1f56b5771ca91c4385211021df3fc688964b6564b7515c847ddcd8638bf9e2b",
    ),
    "containers": (
        [Path("data/raw"), [1, (2, [3])], {3, 1, 2}, {"b": 1, "a": [2]}, range(1, 9, 2)],
        "2dfc1ade32406792af2f9869ce92db7bee100cf9e1f16828bdaa95759e353a7a",
    ),
    "arrays": (
        [np.arange(6.0).reshape(2, 3).T, np.array(["a", None], dtype=object)],
        "2470020cc3c970b26aaa8a045b3e4ac8fda61e6bedac9e96247504d2a7aa946c",
    ),
    # since 2026-12: a text column is digested as its UTF-8 bytes, not pandas' row hashes
    "tables": (
        [TABLE, TABLE["name"]],
        "57a08cc0fe614dcd8678a469e795a8f59ecd7a27dd4b368b675863e96ab6795b",
    ),
    "dataclass": ([Spec()], "26a13972b3f7a9c8da87585b58f1920ede3c96ea372b39619103f58500578c28"),
}


@pytest.mark.parametrize("kind", list(REFERENCE_DIGESTS))
def test_content_digests_keep_their_recipe(kind):
    values, expected = REFERENCE_DIGESTS[kind]
    assert cache.digest(*values, k=values) == expected


def test_content_digests_follow_content():
    assert cache.digest(Spec()) == cache.digest(Spec(lookup={"derived": 1}))
    assert cache.digest(Spec()) != cache.digest(Spec(c=2.0))
    assert cache.digest(np.int64(3)) == cache.digest(3)  # a NumPy integer is an integer
    changed = TABLE.copy()
    changed.loc[10, "n"] = 4
    assert cache.digest(changed) != cache.digest(TABLE) == cache.digest(TABLE.copy())
    # text: a missing cell is not an empty one, the cells' boundaries count, and how the
    # column is laid out in memory (one piece or several) does not
    texts = pd.Series(["ab", "c", None], dtype="string")
    assert cache.digest(texts) != cache.digest(texts.fillna(""))
    assert cache.digest(texts) != cache.digest(pd.Series(["a", "bc", None], dtype="string"))
    assert cache.digest(texts) != cache.digest(pd.Series(["ab", "c", None], dtype=object))
    pieces = pd.concat([texts.iloc[:1], texts.iloc[1:]])
    assert pieces.array._pa_array.num_chunks == 2
    assert cache.digest(pieces) == cache.digest(texts)
    assert cache.digest(texts.iloc[1:]) == cache.digest(
        pd.Series(["c", None], index=[1, 2], dtype="string")
    )
    # a compiled pattern (a governance framework's rule) is its source and flags
    assert cache.digest(re.compile("a+")) == cache.digest(re.compile("a+"))
    assert cache.digest(re.compile("a+")) != cache.digest(re.compile("a+", re.I))
    assert cache.digest(re.compile("a+")) != cache.digest(re.compile("a*"))
    for value in (
        object(),
        pd.Index([1]),
        np.datetime64("2024-01-01"),
        Spec,
        pd.DataFrame({"cells": [[1], [2]]}),
    ):
        with pytest.raises(cache.Undigestible):
            cache.digest(value)


CONCURRENT_WRITER = """
import sys
from analysis import cache
payload = bytes(range(256)) * 4096  # 1 MiB
key = cache.key("race", "one key")
for _ in range(25):
    cache.write("race", key, payload)
    data = cache.read("race", key)
    assert data is None or data == payload, "a partial entry was read"
"""


def test_concurrent_writers_of_one_key_leave_one_intact_entry(private_cache):
    env = {**os.environ, "ANALYSIS_CACHE_DIR": str(private_cache)}
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", CONCURRENT_WRITER], env=env, stderr=subprocess.PIPE, text=True
        )
        for _ in range(4)
    ]
    errors = [w.communicate()[1] for w in writers]
    assert [w.returncode for w in writers] == [0] * 4 and errors == [
        ""
    ] * 4  # no damaged entry seen
    assert [p.name for p in cache.folder("race").iterdir()] == [
        f"{cache.key('race', 'one key')}{cache.SUFFIX}"
    ]
    assert cache.read("race", cache.key("race", "one key")) == bytes(range(256)) * 4096


SHARED_COMPUTATION = """
import os, sys, time
from pathlib import Path
from analysis import cache, inventories, load_frame, summary
log = Path(sys.argv[1])

def compute():
    with log.open("a") as fh:  # who computed
        fh.write(f"{os.getpid()}\\n")
    time.sleep(1.5)  # still computing when the second process asks
    return summary.category_flag_counts(inventories.cases("study"), load_frame())

table = cache.remember("shared", ("study",), compute)
sys.stdout.write(table.to_csv())
"""


def test_a_key_being_computed_is_waited_for_not_computed_twice(private_cache, tmp_path):
    env = {**os.environ, "ANALYSIS_CACHE_DIR": str(private_cache)}
    log = tmp_path / "computed.log"

    def start():
        return subprocess.Popen(
            [sys.executable, "-c", SHARED_COMPUTATION, str(log)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    first = start()
    deadline = time.monotonic() + 60
    while not log.exists() and time.monotonic() < deadline:  # the first is computing
        time.sleep(0.05)
    second = start()
    (out1, err1), (out2, err2) = first.communicate(), second.communicate()
    assert (first.returncode, err1, second.returncode, err2) == (0, "", 0, "")
    assert log.read_text().split() == [str(first.pid)]  # computed once, by the first
    expected = summary.category_flag_counts(inventories.cases("study"), load_frame())
    assert out1 == out2 == expected.to_csv()
    assert list(private_cache.rglob("*.lock")) == []  # the lock file went with its holder


DIES_COMPUTING = """
import os
from analysis import cache
key = cache.key("shared", "study")
with cache.computing(cache.path("shared", key)):
    os._exit(3)  # dies holding the lock
"""


def test_a_process_that_died_computing_blocks_nobody(private_cache):
    env = {**os.environ, "ANALYSIS_CACHE_DIR": str(private_cache)}
    died = subprocess.run([sys.executable, "-c", DIES_COMPUTING], env=env, timeout=120)
    assert died.returncode == 3
    [left] = list(private_cache.rglob("*.lock"))  # its lock file stays, its lock does not
    assert left.name == f".{cache.key('shared', 'study')}{cache.SUFFIX}.lock"
    table = cache.remember("shared", ("study",), lambda: category_flags("study"))
    assert CALLS == ["study"] and table.equals(category_flags("study"))
    cache.write("shared", "other", b"x")
    left.touch()
    cache.clear()
    assert list(private_cache.rglob("*")) == []


def test_tables_round_trip_exactly():
    study = inventories.load("study")
    tables = {
        "cases": study.cases,
        "files": study.report.files,
        "objects": pd.DataFrame(
            {"text": pd.Series(["a", None], dtype=object), "n": [1, 2]},
            index=pd.Index(["x", "y"], name="id"),
        ),
    }
    back = cache.tables_from_bytes(cache.tables_to_bytes(tables))
    assert list(back) == list(tables)
    for name, table in tables.items():
        pd.testing.assert_frame_equal(
            back[name], table, check_exact=True, check_column_type=True, check_index_type=True
        )


def test_tables_are_kept_as_arrow_files_read_back_as_parquet_would_be():
    us24 = inventories.load("us-federal-2024")
    for table in (
        us24.cases,
        us24.cases.set_index("case_id"),
        us24.report.files,
        us24.report.recodings,
        summary.missingness(us24.cases),
    ):
        as_parquet = pd.read_parquet(io.BytesIO(table.to_parquet()))
        stored = cache.tables_from_bytes(cache.tables_to_bytes({"t": table}))["t"]
        # read as Parquet reads it (a text index comes back with NaN for missing, in both);
        # stored exactly (as Arrow when that reads back equal, else pickled)
        for got, expected in (
            (cache.read_arrow(cache.arrow_bytes(table)), as_parquet),
            (stored, table),
        ):
            pd.testing.assert_frame_equal(
                got, expected, check_exact=True, check_column_type=True, check_index_type=True
            )
    # a process reading stored tables loads neither Parquet nor the modules it brings
    script = (
        "import sys, pandas as pd; from analysis import cache; "
        "table = pd.DataFrame({'a': ['x', None], 'n': [1, 2]}); "
        "data = cache.tables_to_bytes({'t': table}); "
        "print(cache.tables_from_bytes(data)['t'].equals(table), "
        "[m for m in ('pyarrow.parquet', 'pyarrow.fs', 'pyarrow.dataset') if m in sys.modules])"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "True []"


@dataclasses.dataclass(frozen=True)
class FixedSpec(Spec):
    DIGEST_FIXED: ClassVar[bool] = True


FixedSpec.__module__, FixedSpec.__qualname__ = "reference", "Spec"


def test_an_object_whose_content_is_fixed_is_digested_once_with_the_same_recipe():
    fixed = FixedSpec()
    _, expected = REFERENCE_DIGESTS["dataclass"]
    assert cache.digest(fixed, k=[fixed]) == expected  # worked out
    assert cache.digest(fixed, k=[fixed]) == expected  # replayed
    frame = load_frame()
    assert frame.DIGEST_FIXED
    first = cache.digest(frame)
    assert cache.digest(frame) == first == cache.digest(dataclasses.replace(frame))
    assert cache.digest(dataclasses.replace(frame, phrases=frame.phrases[:-1])) != first


def test_prune_keeps_the_most_recently_used_and_clear_only_deletes_entries(private_cache):
    keys = [f"k-{i}" for i in range(4)]
    for i, key in enumerate(keys):
        os.utime(cache.write(NAMESPACE, key, b"x"), (i, i))
    cache.read(NAMESPACE, "k-0")  # used now
    assert cache.prune(NAMESPACE, "k-", keep=2) == 2
    assert [p.name for p in cache.entries(NAMESPACE)] == ["k-0.entry", "k-3.entry"]
    assert cache.prune(NAMESPACE, keep=0, spare="k-3") == 1
    notes = cache.folder(NAMESPACE) / "notes.txt"
    notes.write_text("not an entry", encoding="utf-8")
    cache.write("memo/f", "a", b"x")
    cache.clear()
    assert notes.exists() and list(private_cache.rglob(f"*{cache.SUFFIX}")) == []
    assert not cache.folder("memo").exists()


def test_keys_and_namespaces_are_file_names():
    for bad in ("../up", "a/b", "", ".hidden"):
        with pytest.raises(ValueError, match="cache key"):
            cache.path(NAMESPACE, bad)
    with pytest.raises(ValueError, match="cache namespace"):
        cache.folder("../up")
    assert (
        cache.folder("memo/agreement.evaluate")
        == config.cache_dir() / "memo" / "agreement.evaluate"
    )


# -- entries that are not regular files, and a digest bound to the key ------------------------
def _entry_written(name: str = "jrc-ai-watch"):
    expected = remembered(name)
    CALLS.clear()
    return entry_of(name), expected


def _fifo(entry):
    entry.unlink()
    os.mkfifo(entry)  # reading it would block for ever


def _link_to_dev_zero(entry):
    entry.unlink()
    entry.symlink_to("/dev/zero")  # reading it would never end


def _folder(entry):
    entry.unlink()
    entry.mkdir()


NOT_A_FILE = {
    "fifo": (_fifo, "not a regular file"),
    "symlink to /dev/zero": (_link_to_dev_zero, "a symbolic link, not an entry"),
    "folder": (_folder, "not a regular file"),
}


@pytest.mark.parametrize("kind", list(NOT_A_FILE))
def test_an_entry_that_is_not_a_regular_file_is_neither_read_nor_a_hang(kind, capsys):
    entry, expected = _entry_written()
    make, reason = NOT_A_FILE[kind]
    make(entry)
    capsys.readouterr()
    assert_frame_equal(remembered("jrc-ai-watch"), expected)
    assert CALLS == ["jrc-ai-watch"]
    assert capsys.readouterr().err == (f"cache: damaged entry {entry} ({reason}); recomputing\n")
    if kind != "folder":  # deleted (the link itself, not /dev/zero) and rewritten whole
        assert entry.is_file() and not entry.is_symlink()
        assert_frame_equal(remembered("jrc-ai-watch"), expected)
        assert CALLS == ["jrc-ai-watch"]


def test_a_huge_file_in_place_of_an_entry_is_refused_before_it_is_read(capsys):
    entry, expected = _entry_written()
    start = payload_start(entry)
    recorded = json.loads(entry.read_bytes()[len(cache.MAGIC) : start - 1])["length"]
    with open(entry, "r+b") as fh:  # the recorded header, then 8 GiB (a sparse file)
        fh.truncate(start + 8 * 2**30)
    assert_frame_equal(remembered("jrc-ai-watch"), expected)
    assert capsys.readouterr().err == (
        f"cache: damaged entry {entry} (payload of {8 * 2**30} bytes, {recorded} recorded "
        "(truncated or extended)); recomputing\n"
    )


def test_the_digest_binds_the_key_a_payload_moved_under_another_key_is_refused(capsys):
    """Another entry's payload under this key, its header's key rewritten to this key (as if
    the entries had been swapped and relabelled): the recorded digest does not verify."""
    entry, expected = _entry_written("jrc-ai-watch")
    other, _ = _entry_written("taiwan-public")
    start = payload_start(other)
    header = json.loads(other.read_bytes()[len(cache.MAGIC) : start - 1])
    header["key"] = entry.name.removesuffix(cache.SUFFIX)
    relabelled = cache.MAGIC + json.dumps(header, sort_keys=True).encode() + b"\n"
    entry.write_bytes(relabelled + other.read_bytes()[start:])
    assert_frame_equal(remembered("jrc-ai-watch"), expected)
    assert CALLS == ["jrc-ai-watch"]
    assert capsys.readouterr().err == (
        f"cache: damaged entry {entry} (payload differs from its recorded sha256); recomputing\n"
    )


def test_an_entry_of_the_earlier_layout_is_not_served(capsys):
    entry, expected = _entry_written()
    data = entry.read_bytes()
    entry.write_bytes(b"analysis-cache-entry 1\n" + data[len(cache.MAGIC) :])
    assert_frame_equal(remembered("jrc-ai-watch"), expected)
    assert "(an entry of another layout); recomputing" in capsys.readouterr().err


# -- the coded-inventory cache ----------------------------------------------------------------
@pytest.fixture()
def quick_coding(monkeypatch):
    """``coding.code_public`` replaced by a quick stand-in over the real inventory (the
    costly evaluation is not what is tested here: the cache's read and write of its result)."""

    def code_public(names, frame=None):
        CALLS.append(names)
        cases = inventories.cases(names[0])
        codes = cases[["case_id", "inventory", "category"]].dropna().reset_index(drop=True)
        choice = pd.DataFrame({"target": ["category"], "coder": ["rules"]})
        return {names[0]: coding.CodedInventory(cases, codes, choice)}

    monkeypatch.setattr(coding, "code_public", code_public)


def _truncated_member(entry, member_name):
    """The entry rewritten whole (a valid header) around an archive whose ``member_name``
    is cut in half: the damage is inside a well-formed entry."""
    payload = cache.read("coded", entry.name.removesuffix(cache.SUFFIX))
    members = {}
    with zipfile.ZipFile(io.BytesIO(payload)) as archive:
        for name in archive.namelist():
            body = archive.read(name)
            members[name] = body[: len(body) // 2] if name == member_name else body
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        for name, body in members.items():
            archive.writestr(name, body)
    cache.write("coded", entry.name.removesuffix(cache.SUFFIX), out.getvalue())


def _assert_same_coded(ours, theirs):
    for part in ("cases", "codes", "choice", "distributions"):
        assert_frame_equal(getattr(ours, part), getattr(theirs, part))


@pytest.mark.parametrize("damage", ["truncated table inside", "truncated entry", "swapped"])
def test_a_damaged_coded_inventory_is_recomputed_with_a_note(quick_coding, damage, capsys):
    first = coding.coded("taiwan-public")
    coding.coded("jrc-ai-watch")
    assert CALLS == [("taiwan-public",), ("jrc-ai-watch",)]
    data = environment.data_digest()
    key = cache.key("coded", "taiwan-public", data, code="analysis.coding")
    entry = cache.path("coded", key)
    other = cache.path("coded", cache.key("coded", "jrc-ai-watch", data, code="analysis.coding"))
    assert entry.exists() and other.exists()
    if damage == "truncated table inside":
        _truncated_member(entry, "cases.arrow")
        reason = "cannot be decoded: ArrowInvalid"
    elif damage == "truncated entry":
        _truncate(entry, None)
        reason = "(truncated or extended)"
    else:
        _swap(entry, other)
        reason = "holds key"
    capsys.readouterr()
    again = coding.coded("taiwan-public")
    assert CALLS[2:] == [("taiwan-public",)]  # computed again, not served
    _assert_same_coded(again, first)
    (note,) = capsys.readouterr().err.splitlines()
    assert note.startswith(f"cache: damaged entry {entry} (") and reason in note
    assert note.endswith("; recomputing")
    _assert_same_coded(coding.coded("taiwan-public"), first)  # rewritten: served now
    assert CALLS[3:] == []


# -- the LLM answer cache ---------------------------------------------------------------------
def _answer(frame) -> str:
    return json.dumps(
        {
            "category": "enforcement",
            "application_type": "smart_recognition",
            "techniques": ["image_recognition"],
            "flags": {f: f == "personal_data" for f in frame.flag_keys},
            "summary": "重點摘錄",
        },
        ensure_ascii=False,
    )


def _llm_entry(coder, digest: str, record: dict | str) -> None:
    text = record if isinstance(record, str) else json.dumps(record, ensure_ascii=False)
    cache.write(llm.CACHE_NAMESPACE, digest, text.encode("utf-8"), folder=coder.cfg.cache_path)


LLM_DAMAGE = {
    "truncated JSON": (lambda rec: json.dumps(rec, ensure_ascii=False)[:40], "JSONDecodeError"),
    "another prompt": (lambda rec: {**rec, "prompt_sha256": "0" * 64}, "another prompt or model"),
    "invalid answer": (lambda rec: {**rec, "content": '{"category": "x"}'}, "not a valid answer"),
    "not a record": (lambda rec: "[1, 2]", "TypeError"),
}


@pytest.mark.parametrize("damage", list(LLM_DAMAGE))
def test_a_damaged_llm_answer_is_discarded_with_a_note_and_asked_again(
    damage, tmp_path, monkeypatch, capsys
):
    frame = load_frame()
    cases = inventories.cases("study").iloc[:2]
    coder = llm.LLMCoder(llm.LLMConfig(model="test-model", cache_dir=tmp_path / "llm"), frame)
    digests = list(coder.dry_run(cases).prompts["prompt_sha256"])
    record = {"model": "test-model", "prompt_sha256": digests[0], "content": _answer(frame)}
    _llm_entry(coder, digests[0], record)
    _llm_entry(coder, digests[1], {**record, "prompt_sha256": digests[1]})
    assert coder.dry_run(cases).cached == 2
    change, reason = LLM_DAMAGE[damage]
    _llm_entry(coder, digests[0], change(record))
    capsys.readouterr()
    dry = coder.dry_run(cases)
    assert dry.cached == 1 and dry.calls == 1  # the damaged answer is asked again
    entry = cache.path(llm.CACHE_NAMESPACE, digests[0], folder=coder.cfg.cache_path)
    (note,) = capsys.readouterr().err.splitlines()
    assert note.startswith(f"cache: damaged entry {entry} (not an answer: ") and reason in note
    assert not entry.exists()


def test_swapped_or_truncated_llm_answers_are_not_served(tmp_path, capsys):
    frame = load_frame()
    cases = inventories.cases("study").iloc[:2]
    coder = llm.LLMCoder(llm.LLMConfig(model="test-model", cache_dir=tmp_path / "llm"), frame)
    digests = list(coder.dry_run(cases).prompts["prompt_sha256"])
    for d in digests:
        _llm_entry(coder, d, {"model": "test-model", "prompt_sha256": d, "content": _answer(frame)})
    a, b = (cache.path(llm.CACHE_NAMESPACE, d, folder=coder.cfg.cache_path) for d in digests)
    _swap(a, b)
    assert coder.dry_run(cases).cached == 0
    assert capsys.readouterr().err.count("(holds key") == 2
    _llm_entry(
        coder,
        digests[0],
        {"model": "test-model", "prompt_sha256": digests[0], "content": _answer(frame)},
    )
    _truncate(a, None)
    assert coder.dry_run(cases).cached == 0
    assert "(truncated or extended)); recomputing" in capsys.readouterr().err


# -- work folders of interrupted runs ---------------------------------------------------------
HOLDER = """
import sys, time
from pathlib import Path
from analysis import pipeline
claim = pipeline.claim_work_folder(Path(sys.argv[1]))
print("held", flush=True)
time.sleep(120)
"""


def test_stale_work_folders_are_removed_and_claimed_ones_kept(tmp_path):
    work = tmp_path / ".cache" / "work"
    killed, failed, running, fresh = (work / n for n in ("01-a1", "02-b2", "03-c3", "04-d4"))
    for folder in (killed, failed, running, fresh):
        folder.mkdir(parents=True)
        (folder / "01.ipynb").write_text("{}", encoding="utf-8")
    holders = [
        subprocess.Popen([sys.executable, "-c", HOLDER, str(f)], stdout=subprocess.PIPE, text=True)
        for f in (killed, running)
    ]
    try:
        assert [h.stdout.readline() for h in holders] == ["held\n"] * 2
        holders[0].kill()  # a run killed: its lock dies with it
        holders[0].wait()
        (failed / pipeline.WORK_LOCK).write_bytes(b"")  # a failed job's folder, released
        hour_ago = time.time() - 3600
        for folder in (killed, failed, running):
            os.utime(folder, (hour_ago, hour_ago))
        assert pipeline.remove_stale_work(work) == ["01-a1", "02-b2"]
        assert sorted(p.name for p in work.iterdir()) == ["03-c3", "04-d4"]
        assert (running / "01.ipynb").exists()  # a live run's folder is left alone
    finally:
        holders[1].kill()
        holders[1].wait()
    os.utime(running, (time.time() - 3600,) * 2)
    assert pipeline.remove_stale_work(work) == ["03-c3"]  # its process ended
    assert pipeline.remove_stale_work(work, before=time.time() + 1) == ["04-d4"]
    assert pipeline.remove_stale_work(tmp_path / "none") == []


# -- the code part of a key: the source a module can run ----------------------------------------
def _package(root, files: dict[str, str]):
    for name, text in files.items():
        path = root / "pkg" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root / "pkg"


def test_module_closure_follows_imports_and_nothing_else(tmp_path):
    from analysis import environment

    pkg = _package(
        tmp_path,
        {
            "__init__.py": "",
            "a.py": "from . import b\nfrom .sub.c import thing\n",
            "b.py": "def f():\n    from .d import g  # imported when called\n    return g\n",
            "d.py": "import os\n",
            "sub/__init__.py": "",
            "sub/c.py": "from ..e import x\nthing = 1\n",
            "e.py": "x = 1\n",
            "unrelated.py": "from . import a\n",
        },
    )
    names = {p.relative_to(pkg).as_posix() for p in environment.module_closure("pkg.a", pkg)}
    assert names == {"__init__.py", "a.py", "b.py", "d.py", "sub/__init__.py", "sub/c.py", "e.py"}
    # a module that imports by a computed name could run anything: the whole package
    (pkg / "dyn.py").write_text("import importlib\nimportlib.import_module('pkg.e')\n")
    everything = environment.module_closure("pkg.dyn", pkg)
    assert {p.name for p in everything} >= {"unrelated.py", "a.py", "dyn.py"}


CLOSURE_OF_A = """
import sys
from pathlib import Path
from analysis import environment
pkg = Path(sys.argv[1])
print(sorted(p.name for p in environment.module_closure("pkg.a", pkg)))
"""


def test_what_a_module_imports_is_kept_and_read_again_when_its_source_changes(
    tmp_path, private_cache
):
    from analysis import environment

    pkg = _package(
        tmp_path, {"__init__.py": "", "a.py": "from . import b\n", "b.py": "", "c.py": ""}
    )
    env = {**os.environ, "ANALYSIS_CACHE_DIR": str(private_cache)}

    def closure() -> str:
        run = subprocess.run(
            [sys.executable, "-c", CLOSURE_OF_A, str(pkg)],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        return run.stdout.strip()

    assert closure() == "['__init__.py', 'a.py', 'b.py']"
    kept = json.loads((private_cache / environment.IMPORTS_FILE).read_text(encoding="utf-8"))
    assert sorted(map(tuple, kept.values())) == [(), (), ("pkg", "pkg.b")]
    (pkg / "a.py").write_text("from . import c\n", encoding="utf-8")  # same size, new source
    assert closure() == "['__init__.py', 'a.py', 'c.py']"
    (private_cache / environment.IMPORTS_FILE).write_text("{not json", encoding="utf-8")
    assert closure() == "['__init__.py', 'a.py', 'c.py']"  # a damaged store is read anew


def test_the_coding_key_ignores_code_the_coder_cannot_run():
    """The coded inventories are keyed by analysis.coding's closure: it holds the coders and
    what they import, not the statistics, the reports or the notebooks' display helpers."""
    from analysis import environment

    root = Path(environment.__file__).resolve().parent
    names = {p.relative_to(root).as_posix() for p in environment.module_closure("analysis.coding")}
    assert {"coding.py", "coders/trained.py", "coders/base.py", "agreement.py"} <= names
    assert not names & {"present.py", "stats.py", "imputation.py", "findings.py", "pipeline.py"}
    assert cache.code_digest("analysis.coding") != cache.code_digest()
    assert cache.key(NAMESPACE, "x", code="analysis.coding") != cache.key(NAMESPACE, "x")


def test_module_closure_holds_every_module_an_import_loads():
    """Importing a module in a fresh interpreter loads only package modules in its closure
    (the closure also holds modules imported inside functions, loaded later)."""
    import subprocess
    import sys

    from analysis import environment

    for module in ("analysis.coding", "analysis.stats", "analysis.clustering"):
        loaded = subprocess.run(
            [
                sys.executable,
                "-c",
                f"import sys, {module}\n"
                "for m in sorted(sys.modules):\n"
                "    f = getattr(sys.modules[m], '__file__', None)\n"
                "    if m.split('.')[0] == 'analysis' and f: print(f)",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        closure = {str(p) for p in environment.module_closure(module)}
        assert loaded and {str(Path(f).resolve()) for f in loaded} <= closure, module


def test_remembered_text_is_made_once_and_only_the_most_recent_are_kept():
    made = []

    def text(n: int):
        def make() -> str:
            made.append(n)
            return f"臺灣 {n} " * 1000

        return make

    for n in (1, 2, 3):
        assert cache.remember_text("texts", (n,), text(n), code=None, keep=2) == f"臺灣 {n} " * 1000
    assert made == [1, 2, 3]
    assert len(cache.entries("texts")) == 2  # the oldest pruned when the third was made
    assert cache.remember_text("texts", (3,), text(3), code=None, keep=2) == "臺灣 3 " * 1000
    assert made == [1, 2, 3]  # read back, not made again
    cache.remember_text("texts", (1,), text(1), code=None, keep=2)
    assert made == [1, 2, 3, 1]  # pruned before, so made again
    assert len(cache.entries("texts")) == 2
