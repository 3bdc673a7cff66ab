"""The bundled inventories: a mapping file each under ``data/inventories/``, raw files under
``data/raw/`` checked against ``data/raw/MANIFEST.tsv`` before every load.

Parsing a large inventory takes a fraction of a second, so :func:`load` keeps what it
parsed twice: in this process, and in the content-addressed cache (:mod:`analysis.cache`,
namespace ``inventories``; see :func:`cache_folder`) for the next process. Both are keyed by
content, never by time stamps: the sha256 of the mapping file, of the frame file and of
every raw file, the package's own source and the versions of the packages that parse and
store a load. An edited input or parser therefore gets a new key and is parsed afresh; a
stale load cannot be served. Every call still hashes every raw file and checks a bundled one
against the manifest, whichever cache answers.

A disk entry holds the case table and the rejected rows as Arrow IPC files
(:func:`analysis.cache.tables_to_bytes`: exact dtypes) and the standardization report
pickled. The cache verifies every entry it reads against its key, length and sha256; an
entry that is damaged or does not hold a load is deleted and the load parsed and rewritten,
never served and never an error. The namespace keeps one entry per mapping file (the latest
inputs) and at most :data:`DISK_ENTRIES` in all; deleting it is always safe. With the cache
off (``ANALYSIS_CACHE=off``) nothing is read from or written to disk; a process still
reuses the loads it parsed itself.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import logging
import pickle
import re
from collections import Counter, OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd
import pyarrow
import yaml

from . import cache, config
from .canonical import formula_safe
from .errors import InputError, input_error
from .frame import Frame, load_frame
from .mapping.files import Outline, confine_paths, sha256_of
from .mapping.report import LoadResult, StandardizationReport

log = logging.getLogger(__name__)

#: The cache namespace of parsed loads.
NAMESPACE = "inventories"
#: The cache namespace of validated mappings' outlines (:func:`_outline`).
OUTLINES = "mapping-outlines"
#: Layout of an entry's payload; part of every key (change it when the layout changes).
ENTRY_LAYOUT = 2
#: Loads kept in this process (the most recently used).
MEMORY_ENTRIES = 16
#: Entries kept on disk (the most recently used): mappings loaded from temporary folders
#: (tests, benchmarks) would otherwise leave entries behind for ever.
DISK_ENTRIES = 64


def manifest(path: Path | None = None) -> pd.DataFrame:
    """The raw-data manifest: file, inventory, upstream, commit, licence, bytes, sha256."""
    path = path or config.MANIFEST_FILE
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    return pd.DataFrame(rows)


def _checksums() -> dict[str, str]:
    """The manifest's sha256 of each raw file, by resolved path (read on every load: no
    table built, the file read as text)."""
    with open(config.MANIFEST_FILE, encoding="utf-8", newline="") as fh:
        rows = csv.DictReader(fh, delimiter="\t")
        return {str((config.RAW_DIR / row["file"]).resolve()): row["sha256"] for row in rows}


def available() -> list[str]:
    """Names of the bundled inventories, in the order reports show them."""
    order = [
        "study",
        "us-federal-2025",
        "us-federal-2024",
        "us-federal-2023",
        "jrc-ai-watch",
        "taiwan-public",
    ]
    names = sorted(p.stem for p in config.INVENTORIES_DIR.glob("*.yaml"))
    return [n for n in order if n in names] + [n for n in names if n not in order]


def mapping_path(name_or_path: str | Path) -> Path:
    """The mapping file of a bundled inventory name, or the given path itself."""
    p = Path(name_or_path)
    if p.suffix in (".yaml", ".yml"):
        return p
    candidate = config.INVENTORIES_DIR / f"{name_or_path}.yaml"
    if not candidate.exists():
        raise input_error(
            candidate,
            None,
            None,
            str(name_or_path),
            f"a bundled inventory ({', '.join(available())}) or a mapping file path",
            f"內建盤點（{', '.join(available())}）或對應檔路徑",
        )
    return candidate


def _existing_mapping(name_or_path: str | Path) -> Path:
    path = mapping_path(name_or_path).resolve()
    if not path.exists():
        raise input_error(path, None, None, None, "an existing mapping file", "存在的對應檔")
    return path


def _frame_file(frame: Frame | None) -> Frame:
    """The frame as its file says (the default frame file unless ``frame`` names another):
    a load depends on the file, which is what the caches key."""
    return load_frame(frame.path if frame is not None else None)


def load(name_or_path: str | Path, frame: Frame | None = None) -> LoadResult:
    """Load a bundled inventory (by name) or any mapping file into the canonical table.

    Every raw file is hashed, and a bundled one verified against the manifest's sha256, on
    every call. The load is then served from this process's memory, else from the disk
    cache, else parsed (:func:`parse`) and cached; all three give equal results.
    """
    path = _existing_mapping(name_or_path)
    frame = _frame_file(frame)
    read = (str(path), sha256_of(path), str(frame.path), sha256_of(Path(frame.path)))
    outline = _outline(*read)
    confine_paths(outline)  # before any raw file is opened or a cached load served
    checksums = _checksums()
    inputs = _Inputs.of(outline, *read[1:], checksums)
    if inputs is None:  # a raw file is missing or differs from the manifest: the parse
        from .mapping.apply import apply_mapping

        # raises the error saying which
        return apply_mapping(_mapping(*read), frame, verify=checksums)
    result = _cached_load(inputs, frame, checksums)
    return LoadResult(result.cases.copy(), result.report, result.rejected_rows.copy())


def parse(name_or_path: str | Path, frame: Frame | None = None) -> LoadResult:
    """Load without any cache: read the mapping, verify and parse every raw file. What
    :func:`load` does when no cache holds the load; tests and benchmarks compare with it."""
    from .mapping.apply import apply_mapping
    from .mapping.spec import load_mapping

    path = _existing_mapping(name_or_path)
    frame = _frame_file(frame)
    return apply_mapping(load_mapping(path, frame), frame, verify=_checksums())


# -- the caches ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class CacheInfo:
    """What the disk cache did in this process (since it started or :func:`clear_cache`)."""

    hits: int = 0  # loads read from a disk entry
    misses: int = 0  # loads parsed from the raw files
    writes: int = 0  # entries written
    discarded: int = 0  # damaged entries deleted (then rewritten)


def cache_info() -> CacheInfo:
    """Disk cache hits, misses, writes and discarded entries of this process."""
    return CacheInfo(**{f.name: _counts[f.name] for f in dataclasses.fields(CacheInfo)})


def clear_cache() -> None:
    """Forget every load and mapping this process keeps, and reset :func:`cache_info`: the
    next :func:`load` behaves as in a new process (the disk cache stays; :func:`forget` or
    deleting :func:`cache_folder` drops it)."""
    _memory.clear()
    _mapping.cache_clear()
    _outline.cache_clear()
    _counts.clear()


def cache_folder() -> Path:
    """The folder of the disk cache: the ``inventories`` namespace of :mod:`analysis.cache`."""
    return cache.folder(NAMESPACE)


def cache_entries(name_or_path: str | Path) -> list[Path]:
    """The disk cache entries of one mapping file (one, unless processes disagree on inputs)."""
    return cache.entries(NAMESPACE, _key_prefix(mapping_path(name_or_path).resolve()))


def forget(name_or_path: str | Path) -> int:
    """Delete the disk cache entries of one mapping file; returns how many were deleted."""
    return cache.prune(NAMESPACE, _key_prefix(mapping_path(name_or_path).resolve()))


@dataclass(frozen=True)
class _Inputs:
    """Every file a load reads, with the sha256 of its bytes."""

    mapping: str
    mapping_sha256: str
    frame: str
    frame_sha256: str
    raw: tuple[tuple[str, str], ...]  # (path, sha256) of each raw file, in the mapping's order

    @classmethod
    def of(
        cls,
        outline: Outline,
        mapping_sha256: str,
        frame: str,
        frame_sha256: str,
        checksums: dict[str, str],
    ) -> _Inputs | None:
        """The inputs of a load, each raw file hashed once; None when a raw file cannot be
        read or differs from the sha256 the manifest records for it."""
        raw = []
        for file in outline.files:
            try:
                digest = sha256_of(file)
            except OSError:
                return None
            if checksums.get(str(file), digest) != digest:
                return None
            raw.append((str(file), digest))
        return cls(str(outline.path), mapping_sha256, frame, frame_sha256, tuple(raw))

    def key(self) -> str:
        """The cache key of this load: the mapping file's :func:`_key_prefix`, then the
        cache's key of these inputs, the layout of an entry and the versions of what parses
        and stores a load (the package source and pandas are in every key)."""
        versions = {"pyarrow": pyarrow.__version__, "pyyaml": yaml.__version__}
        return _key_prefix(Path(self.mapping)) + cache.key(NAMESPACE, self, ENTRY_LAYOUT, versions)


#: Disk cache events of this process (the fields of :class:`CacheInfo`).
_counts: Counter[str] = Counter()
#: Loads kept in this process by their inputs, least recently used first.
_memory: OrderedDict[_Inputs, LoadResult] = OrderedDict()


@lru_cache(maxsize=32)
def _mapping(path: str, sha256: str, frame_path: str, frame_sha256: str):
    """The mapping file read and validated (a :class:`~analysis.mapping.spec.Mapping`),
    once per content (the digests are the key)."""
    from .mapping.spec import load_mapping

    return load_mapping(path, load_frame(frame_path))


@lru_cache(maxsize=32)
def _outline(path: str, sha256: str, frame_path: str, frame_sha256: str) -> Outline:
    """The :class:`~analysis.mapping.files.Outline` of the mapping file: stored in the cache
    (namespace :data:`OUTLINES`) by the mapping's and the frame's paths and content and the
    package source once the mapping has been validated (:func:`_mapping`), so that a load
    served from the cache neither validates the same bytes again nor imports the mapping
    model; with the cache off, the mapping is validated on every call."""
    args = (path, sha256, frame_path, frame_sha256)
    return cache.remember(OUTLINES, args, lambda: Outline.of(_mapping(*args)))


def _key_prefix(mapping_file: Path) -> str:
    """Start of the key of every entry of one mapping file: its stem and a hash of its path."""
    stem = re.sub(r"[^A-Za-z0-9._-]", "_", mapping_file.stem)[:64]
    return f"{stem}-{hashlib.sha256(str(mapping_file).encode()).hexdigest()[:12]}-"


def _cached_load(inputs: _Inputs, frame: Frame, checksums: dict[str, str]) -> LoadResult:
    """The load of ``inputs``: kept in memory, else read from disk, else parsed and written."""
    if inputs in _memory:
        _memory.move_to_end(inputs)
        return _memory[inputs]
    key = inputs.key()
    result = _read_entry(key) if cache.enabled() else None
    if result is not None:
        _counts["hits"] += 1
    else:
        _counts["misses"] += 1
        from .mapping.apply import apply_mapping

        mapping = _mapping(inputs.mapping, inputs.mapping_sha256, inputs.frame, inputs.frame_sha256)
        result = apply_mapping(mapping, frame, verify=checksums)
        if tuple(result.report.files["sha256"]) != tuple(digest for _, digest in inputs.raw):
            return result  # a raw file changed while read: right for what was read, not the key
        if cache.enabled():
            _write_entry(key, Path(inputs.mapping), result)
    _memory[inputs] = result
    while len(_memory) > MEMORY_ENTRIES:
        _memory.popitem(last=False)
    return result


def _read_entry(key: str) -> LoadResult | None:
    """The load stored under ``key``, or None when there is none. A damaged entry (the cache
    verifies every read), or one that does not decode to a load, is deleted and None
    returned, so that the caller parses and rewrites it: whatever is wrong with the cache
    costs time, not results."""
    payload, damage = cache.lookup(NAMESPACE, key)
    if payload is None:
        _counts["discarded"] += bool(damage)
        return None
    try:
        tables, report = pickle.loads(payload)
        tables = cache.tables_from_bytes(tables)
        result = LoadResult(tables["cases"], report, tables["rejected_rows"])
        if not isinstance(report, StandardizationReport) or len(result.cases) != report.rows_kept:
            raise ValueError("the entry does not hold a load")
    except Exception as exc:  # noqa: BLE001 - an entry that fails to decode in any way is not served
        _counts["discarded"] += 1
        cache.discard(NAMESPACE, key, f"not a load: {type(exc).__name__}: {exc}")
        return None
    return result


def _write_entry(key: str, mapping_file: Path, result: LoadResult) -> None:
    """Store a load and delete the older entries of the same mapping file, then the least
    recently used beyond :data:`DISK_ENTRIES`. A failure is logged and ignored: the load
    returned is right, only the next process will parse again."""
    try:
        tables = cache.tables_to_bytes(
            {"cases": result.cases, "rejected_rows": result.rejected_rows}
        )
        cache.write(
            NAMESPACE, key, pickle.dumps((tables, result.report), protocol=pickle.HIGHEST_PROTOCOL)
        )
    except Exception as exc:  # noqa: BLE001 - a cache that cannot be written only costs time
        log.info("inventory cache entry %s not written (%s: %s)", key, type(exc).__name__, exc)
        return
    _counts["writes"] += 1
    cache.prune(NAMESPACE, _key_prefix(mapping_file), keep=1, spare=key)
    cache.prune(NAMESPACE, keep=DISK_ENTRIES, spare=key)


# -- reports and shortcuts ------------------------------------------------------------------------
def write_report(result: LoadResult, folder: str | Path) -> tuple[Path, Path]:
    """Write ``<folder>/standardization-<inventory>.md`` (the load's standardization report)
    and ``<folder>/rejected-<inventory>.csv`` (the native cells of every rejected row, with
    file and row; a header only when none was rejected), each atomically."""
    from .outputs import atomic_write_text, write_table

    folder = Path(folder)
    name = result.report.inventory
    report = atomic_write_text(folder / f"standardization-{name}.md", result.report.to_markdown())
    rejected = result.rejected_rows.rename(
        columns={"_file": "file", "_row": "row", "_reason": "reason"}
    )
    if "file" in rejected.columns:
        rejected["file"] = rejected["file"].map(lambda f: Path(f).name)
    table = write_table(  # native cells: formula-like text prefixed with '
        formula_safe(rejected.astype(str)) if len(rejected) else rejected,
        folder / f"rejected-{name}.csv",
    )
    return report, table


def cases(name_or_path: str | Path, frame: Frame | None = None) -> pd.DataFrame:
    """Just the canonical case table of :func:`load`."""
    return load(name_or_path, frame).cases


def load_many(names: list[str] | tuple[str, ...], frame: Frame | None = None) -> pd.DataFrame:
    """Several inventories pooled into one canonical table (``inventory`` tells them apart)."""
    if not names:
        raise InputError([], "no inventory named")
    tables = [cases(n, frame) for n in names]
    return pd.concat(tables, ignore_index=True)


def accounting(
    names: str | list[str] | tuple[str, ...], frame: Frame | None = None
) -> pd.DataFrame:
    """Rows read, kept and rejected by the load of each inventory named (a coded inventory,
    ``<name>-coded``, and an annotated one, ``<name>-annotated``, count as the load of
    ``<name>``), with the raw files read: what a
    notebook shows for the inventories it uses (read = kept + rejected always holds: the
    load's report refuses to exist otherwise)."""
    names = [names] if isinstance(names, str) else list(names)
    rows = []
    for name in names:
        base = str(name).removesuffix(config.CODED_SUFFIX).removesuffix(config.ANNOTATED_SUFFIX)
        report = load(base, frame).report
        row = report.counts().assign(inventory=str(name))
        row.insert(1, "files", ", ".join(sorted(Path(str(f)).name for f in report.files["file"])))
        rows.append(row)
    return pd.concat(rows, ignore_index=True)
