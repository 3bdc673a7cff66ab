"""One content-addressed store for everything derived and kept between runs.

Parsed inventories, coded inventories, stored computations (:mod:`analysis.memo`) and LLM
answers are all kept here, under one key recipe and one entry format:

* **Key** (:func:`key`): sha256 over the namespace, :func:`code_digest` (the package's source,
  or, given a ``code`` module, the source that module can run
  (:func:`analysis.environment.module_closure`); ``requirements.lock``; the Python, NumPy
  and pandas versions) and :func:`digest` of
  everything the value is computed from (tables by their values, index, column names and
  dtypes; arrays; dataclasses field by field; containers). A changed input, line of code or
  pinned version gives a new key, so a value computed from other inputs, or by another
  checkout or version, is never served.
* **Entry**: one file, ``<cache_dir>/<namespace>/<key>.entry`` (see :func:`path`), written
  atomically (a temporary file, then a rename), so a reader sees a whole entry or none. It
  starts with a header line recording the namespace, the key, the payload's length and the
  sha256 of the namespace, the key and the payload together (:func:`entry_digest`), then the
  payload. The digest binds the key: a payload moved under another key does not verify.
* **Verified on every read** (:func:`read`): an entry that is truncated or extended, whose
  bytes changed, that holds another key (two files swapped), is not an entry at all, or is
  not a regular file (a link, a pipe, a device, a folder) is deleted, one line
  ``cache: damaged entry <path> (<reason>); recomputing`` goes to stderr, and the value is
  computed again. A damaged cache costs time, never a wrong result and never a hang: the
  file is opened without following a link or blocking, and its size is compared with the
  header before the payload is read.

:func:`remember` is get-or-compute over this store, computing each key once across processes:
while one process computes a key, another that asks for it waits for the entry
(:func:`computing`: an exclusive lock on ``.<entry name>.lock`` beside the entry) instead of
computing it too, so reports and preparations running in parallel share a computation.
``ANALYSIS_CACHE=off`` (or the older
``ANALYSIS_MEMO=off``) turns it off: :func:`enabled` is false and :func:`remember` always
computes. :func:`read` and :func:`write` are the store itself; callers decide whether to
use them when the cache is off.

Payloads are what each namespace encodes: Arrow tables (:func:`tables_to_bytes`), JSON,
or pickles (the default of :func:`remember`). Pickles are fine because the cache is local,
written by this package for this checkout; never copy entries from elsewhere. Deleting the
cache folder, or any entry, is always safe.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import fcntl
import functools
import glob
import hashlib
import io
import json
import logging
import os
import pickle
import platform
import re
import stat
import sys
import warnings
import weakref
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import config
from .environment import module_digest, package_digest
from .outputs import atomic_write_bytes

log = logging.getLogger(__name__)

#: File name ending of an entry.
SUFFIX = ".entry"
#: First line of every entry (the layout's version is part of it).
MAGIC = b"analysis-cache-entry 2\n"
#: Longest header line read (a header is a few hundred bytes).
HEADER_LIMIT = 4096
#: Values of ``ANALYSIS_CACHE`` / ``ANALYSIS_MEMO`` that turn the cache off.
OFF = ("off", "0", "false", "no")
#: A namespace segment or a key: a safe file name.
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,199}")


def enabled() -> bool:
    """False when ``ANALYSIS_CACHE`` (or ``ANALYSIS_MEMO``) is ``off``: everything computes."""
    return all(
        os.environ.get(variable, "on").strip().lower() not in OFF
        for variable in ("ANALYSIS_CACHE", "ANALYSIS_MEMO")
    )


@functools.cache
def code_digest(code: str | None = None) -> str:
    """Digest of the package's source (or, for a module name ``code``, of the source files
    that module can run, :func:`analysis.environment.module_digest`), ``requirements.lock``
    and the Python, NumPy and pandas versions, computed once per process: part of every
    key."""
    lock = config.ROOT / "requirements.lock"
    lock_digest = hashlib.sha256(lock.read_bytes()).hexdigest() if lock.exists() else ""
    runtime = f"python {platform.python_version()} numpy {np.__version__} pandas {pd.__version__}"
    source = package_digest() if code is None else f"{code}:{module_digest(code)}"
    return hashlib.sha256(f"{source}\0{lock_digest}\0{runtime}".encode()).hexdigest()


# -- content digests --------------------------------------------------------------------------
class Undigestible(TypeError):
    """An argument whose content has no stable digest (the call runs uncached)."""


_SCALARS = (bool, int, float, complex, str, bytes)


class _Recorder:
    """Collects what would be fed to a hash, to be fed to others later."""

    def __init__(self):
        self.parts: list[bytes] = []

    def update(self, data) -> None:
        self.parts.append(bytes(data))


#: What objects whose class declares ``DIGEST_FIXED = True`` (content fixed once made, like
#: the coding frame) feed to a hash, by object: worked out once per object, then replayed
#: (the same bytes, so the same digests as without it).
_FIXED: dict[int, tuple[weakref.ref, bytes]] = {}


@functools.singledispatch
def _update(obj, h) -> None:
    """Feed the content of ``obj`` to the hash ``h`` (one implementation per kind of object)."""
    if not dataclasses.is_dataclass(obj) or isinstance(obj, type):
        raise Undigestible(f"no content digest for a {type(obj).__qualname__}")
    if not getattr(type(obj), "DIGEST_FIXED", False):
        _fields(obj, h)
        return
    held = _FIXED.get(id(obj))
    if held is None or held[0]() is not obj:
        recorder = _Recorder()
        _fields(obj, recorder)
        held = _FIXED[id(obj)] = (weakref.ref(obj), b"".join(recorder.parts))
        weakref.finalize(obj, _FIXED.pop, id(obj), None)
    h.update(held[1])


def _fields(obj, h) -> None:
    h.update(f"{type(obj).__module__}.{type(obj).__qualname__}(".encode())
    for f in dataclasses.fields(obj):
        if f.repr:  # derived lookup fields (repr=False) follow from the others
            _update(f.name, h)
            _update(getattr(obj, f.name), h)
    h.update(b")")


@_update.register(type(None))
@_update.register(bool)
@_update.register(int)
@_update.register(float)
@_update.register(complex)
@_update.register(str)
@_update.register(bytes)
def _scalar(obj, h) -> None:
    h.update(f"{type(obj).__name__}:{obj!r};".encode())


@_update.register(np.generic)
def _numpy_scalar(obj, h) -> None:
    if isinstance(obj, _SCALARS):  # np.float64, np.complex128, np.str_, np.bytes_
        _scalar(obj, h)
    else:
        _update(obj.item(), h)


@_update.register(Path)
def _path(obj, h) -> None:
    h.update(f"Path:{obj.as_posix()};".encode())


@_update.register(pd.DataFrame)
@_update.register(pd.Series)
def _table(obj, h) -> None:
    h.update(f"{type(obj).__name__}:{obj.shape};".encode())
    if isinstance(obj, pd.DataFrame):
        _update([str(c) for c in obj.columns], h)
        _update([str(t) for t in obj.dtypes], h)
    else:
        _update([str(obj.name), str(obj.dtype)], h)
    _update(str(obj.index.dtype), h)
    _column(obj.index, h)
    columns = [obj] if isinstance(obj, pd.Series) else [column for _, column in obj.items()]
    for column in columns:
        _column(column, h)


def _column(values: pd.Series | pd.Index, h) -> None:
    """One column's (or index's) cells. Text held by Arrow: which cells are missing, each
    cell's length in bytes and the UTF-8 bytes of all of them, read from Arrow's buffers
    (however the column is split in memory); any other kind through pandas' hash of each
    cell."""
    if isinstance(values.dtype, pd.StringDtype) and values.dtype.storage == "pyarrow":
        import pyarrow as pa
        import pyarrow.compute as pc

        held = values.array.__arrow_array__()
        if isinstance(held, pa.ChunkedArray):  # one piece is the common case, and free
            held = held.chunk(0) if held.num_chunks == 1 else held.combine_chunks()
        if held.type != pa.large_string():
            held = held.cast(pa.large_string())
        text = pc.fill_null(held, "") if held.null_count else held  # a missing cell: no bytes
        ends = np.frombuffer(text.buffers()[1], dtype=np.int64)
        ends = ends[text.offset : text.offset + len(text) + 1]
        data = text.buffers()[2]
        h.update(b"text:")
        h.update(held.is_null().to_numpy(zero_copy_only=False).tobytes())  # as values.isna()
        h.update(np.diff(ends).tobytes())
        h.update(memoryview(data)[ends[0] : ends[-1]] if data is not None and len(ends) else b"")
        return
    try:
        cell_hashes = pd.util.hash_pandas_object(values, index=False, categorize=False)
    except (TypeError, ValueError) as exc:  # unhashable cells (lists, dicts)
        raise Undigestible(str(exc)) from exc
    h.update(np.asarray(cell_hashes, dtype=np.uint64).tobytes())


@_update.register(np.ndarray)
def _array(obj, h) -> None:
    if obj.dtype == object:
        _update(obj.tolist(), h)
    else:
        h.update(f"ndarray:{obj.dtype.str}:{obj.shape};".encode())
        h.update(np.ascontiguousarray(obj).tobytes())


@_update.register(list)
@_update.register(tuple)
def _sequence(obj, h) -> None:
    h.update(f"{type(obj).__name__}[{len(obj)}](".encode())
    for item in obj:
        _update(item, h)
    h.update(b")")


@_update.register(set)
@_update.register(frozenset)
def _set(obj, h) -> None:
    h.update(f"set[{len(obj)}](".encode())
    for part in sorted(_digest_of(item) for item in obj):
        h.update(part.encode())
    h.update(b")")


@_update.register(dict)
def _dict(obj, h) -> None:
    h.update(f"dict[{len(obj)}](".encode())
    for k, value in obj.items():  # insertion order is part of the content
        _update(k, h)
        _update(value, h)
    h.update(b")")


@_update.register(range)
def _range(obj, h) -> None:
    _update(("range", obj.start, obj.stop, obj.step), h)


@_update.register(re.Pattern)
def _pattern(obj, h) -> None:  # a compiled pattern is its source and flags
    _update(("re.Pattern", obj.pattern, obj.flags), h)


def _digest_of(obj) -> str:
    h = hashlib.sha256()
    _update(obj, h)
    return h.hexdigest()


def digest(*args, **kwargs) -> str:
    """Content digest of arguments (raises :class:`Undigestible` for objects without one)."""
    return _digest_of((list(args), dict(sorted(kwargs.items()))))


def key(namespace: str, *parts, code: str | None = None, **kw) -> str:
    """The key recipe: sha256 over the namespace, :func:`code_digest` (of ``code``'s source
    when given, else the whole package's) and the content digest of ``parts`` and ``kw``
    (raises :class:`Undigestible`)."""
    return hashlib.sha256(
        f"{namespace}\0{code_digest(code)}\0{digest(*parts, **kw)}".encode()
    ).hexdigest()


# -- entries ----------------------------------------------------------------------------------
def folder(namespace: str) -> Path:
    """``<config.cache_dir()>/<namespace>`` (a namespace may have ``/``-separated parts)."""
    return _namespace_folder(namespace)


def _namespace_folder(namespace: str) -> Path:
    segments = namespace.split("/")
    if not all(_NAME.fullmatch(s) for s in segments):
        raise ValueError(
            f"cache namespace {namespace!r}: parts of letters, digits, '.', '_', '-' "
            "separated by '/'"
        )
    return config.cache_dir().joinpath(*segments)


def path(namespace: str, key: str, *, folder: Path | None = None) -> Path:
    """The file of the entry ``key`` of ``namespace`` (in ``folder`` if given)."""
    if not _NAME.fullmatch(key):
        raise ValueError(f"cache key {key!r}: letters, digits, '.', '_', '-' (at most 200)")
    base = Path(folder) if folder is not None else _namespace_folder(namespace)
    return base / f"{key}{SUFFIX}"


def entry_digest(namespace: str, key: str, payload: bytes) -> str:
    """The sha256 an entry records: of its namespace, its key and its payload together."""
    h = hashlib.sha256(MAGIC)
    h.update(f"{namespace}\0{key}\0".encode())
    h.update(payload)
    return h.hexdigest()


def _header(namespace: str, key: str, payload: bytes) -> bytes:
    record = {
        "namespace": namespace,
        "key": key,
        "length": len(payload),
        "sha256": entry_digest(namespace, key, payload),
    }
    return MAGIC + json.dumps(record, sort_keys=True).encode() + b"\n"


class _Damaged(Exception):
    """What is wrong with an entry file."""


def _parse_header(head: bytes, namespace: str, key: str) -> tuple[dict, int]:
    """The header of an entry starting with ``head``, and where its payload starts."""
    if not head.startswith(MAGIC):
        if head.startswith(MAGIC.split(b" ")[0] + b" "):
            raise _Damaged("an entry of another layout")
        raise _Damaged("not a cache entry" if head else "empty")
    end = head.find(b"\n", len(MAGIC))
    try:
        header = json.loads(head[len(MAGIC) : end]) if end >= 0 else None
    except ValueError:
        header = None
    if not isinstance(header, dict) or not isinstance(header.get("length"), int):
        raise _Damaged("unreadable header")
    if (header.get("namespace"), header.get("key")) != (namespace, key):
        raise _Damaged(
            f"holds key {header.get('key')} of {header.get('namespace')!r}, not this key"
        )
    return header, end + 1


def _verified_payload(entry: Path, namespace: str, key: str) -> bytes:
    """The payload of the entry file, verified (raises :class:`_Damaged` saying what is wrong,
    ``OSError`` when it cannot be opened)."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(entry, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise _Damaged("a symbolic link, not an entry") from exc
        raise
    mode = os.fstat(fd)
    if not stat.S_ISREG(mode.st_mode):
        os.close(fd)
        raise _Damaged("not a regular file")
    with os.fdopen(fd, "rb") as fh:
        head = fh.read(len(MAGIC) + HEADER_LIMIT)
        header, start = _parse_header(head, namespace, key)
        recorded, found = header["length"], mode.st_size - start
        if found != recorded:  # checked before the payload is read: a huge file is not read
            raise _Damaged(f"payload of {found} bytes, {recorded} recorded (truncated or extended)")
        payload = head[start:] + fh.read(recorded - (len(head) - start) + 1)
    if len(payload) != recorded:  # changed while read
        raise _Damaged(
            f"payload of {len(payload)} bytes, {recorded} recorded (truncated or extended)"
        )
    if entry_digest(namespace, key, payload) != header.get("sha256"):
        raise _Damaged("payload differs from its recorded sha256")
    return payload


def lookup(namespace: str, key: str, *, folder: Path | None = None) -> tuple[bytes | None, str]:
    """:func:`read`, also saying why nothing was served: ``(payload, "")`` for an intact
    entry, ``(None, "")`` when there is none, ``(None, reason)`` for a damaged one (deleted)."""
    entry = path(namespace, key, folder=folder)
    try:
        payload = _verified_payload(entry, namespace, key)
    except FileNotFoundError:
        return None, ""
    except _Damaged as damage:
        discard(namespace, key, str(damage), folder=folder)
        return None, str(damage)
    except OSError as exc:  # not readable (permissions): left alone
        log.info("cache entry %s not readable (%s)", entry, exc)
        return None, ""
    with contextlib.suppress(OSError):
        os.utime(entry)  # recently used: kept by prune()
    return payload, ""


def read(namespace: str, key: str, *, folder: Path | None = None) -> bytes | None:
    """The payload of the entry ``key`` if it exists and is intact, else None. Verified on
    every read: a damaged entry (truncated, changed, swapped or foreign) is deleted and
    reported on stderr, and None returned."""
    return lookup(namespace, key, folder=folder)[0]


def write(namespace: str, key: str, payload: bytes, *, folder: Path | None = None) -> Path:
    """Store ``payload`` as the entry ``key`` (atomically: concurrent writers of one key
    leave one whole entry); returns its path."""
    entry = path(namespace, key, folder=folder)
    return atomic_write_bytes(entry, _header(namespace, key, payload) + payload)


def discard(namespace: str, key: str, reason: str, *, folder: Path | None = None) -> None:
    """Delete a damaged entry (one that cannot be served) and say so on stderr."""
    entry = path(namespace, key, folder=folder)
    _unlink(entry)
    print(f"cache: damaged entry {entry} ({reason}); recomputing", file=sys.stderr)


def _pickled(value: Any) -> bytes:
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


def remember(
    namespace: str,
    parts: tuple,
    compute: Callable[[], Any],
    encode: Callable[[Any], bytes] = _pickled,
    decode: Callable[[bytes], Any] = pickle.loads,
    code: str | None = None,
    keep: int | None = None,
    **kw,
) -> Any:
    """Get or compute: the value stored under ``key(namespace, *parts, code=code, **kw)``
    (``code``: the module whose source computes the value; default the whole package), else
    ``compute()`` stored as ``encode(value)``. Computes without storing when the cache is off
    or the parts have no content digest; an entry that cannot be decoded is discarded and
    computed again; an entry that cannot be written only costs time. ``keep``: for large
    values whose key changes with every edit of their code, a value computed and stored
    leaves only the ``keep`` most recently used entries of the namespace (:func:`prune`)."""
    if not enabled():
        return compute()
    try:
        entry_key = key(namespace, *parts, code=code, **kw)
    except Undigestible:
        return compute()
    found, value = _stored(namespace, entry_key, decode)
    if found:
        return value
    there = path(namespace, entry_key).exists()  # a damaged entry that could not be deleted
    with computing(path(namespace, entry_key)):
        # another process may have stored it while this one waited
        found, value = (False, None) if there else _stored(namespace, entry_key, decode)
        if found:
            return value
        value = compute()
        data = encode(value)
        try:
            write(namespace, entry_key, data)
        except OSError as exc:
            log.info("cache entry %s not written (%s)", path(namespace, entry_key), exc)
    if keep is not None:
        prune(namespace, keep=keep)
    return value


def remember_text(
    namespace: str, parts: tuple, compute: Callable[[], str], code: str | None, keep: int
) -> str:
    """:func:`remember` for a text, stored as UTF-8, keeping ``keep`` entries."""
    return remember(
        namespace,
        parts,
        compute,
        encode=lambda text: text.encode("utf-8"),
        decode=lambda data: data.decode("utf-8"),
        code=code,
        keep=keep,
    )


def _stored(namespace: str, entry_key: str, decode: Callable[[bytes], Any]) -> tuple[bool, Any]:
    """``(True, value)`` for an intact, decodable entry, else ``(False, None)`` (an entry
    that cannot be decoded is discarded)."""
    payload = read(namespace, entry_key)
    if payload is not None:
        try:
            return True, decode(payload)
        except Exception as exc:  # noqa: BLE001 - whatever fails to decode is computed again
            discard(namespace, entry_key, f"cannot be decoded: {type(exc).__name__}: {exc}")
    return False, None


def lock_path(entry: Path) -> Path:
    """The lock file held while ``entry`` is computed: ``.<entry name>.lock`` beside it."""
    return entry.with_name(f".{entry.name}.lock")


@contextlib.contextmanager
def computing(entry: Path):
    """Hold the exclusive lock of ``entry`` (:func:`lock_path`, ``flock``) while its value is
    computed: a second process computing the same entry waits here until the first has
    written it. The lock file is deleted by its holder before release, and a lock taken
    on a file deleted meanwhile is taken again on the new one, so two holders never
    overlap. The lock is the kernel's: a process that dies releases it. A cache folder
    where no lock can be made (read-only) computes without one. No deadlock: a process
    waits only for a key another computes, and the keys one computation asks for (its
    nested stored computations) never include a key it is computing inside."""
    lock = lock_path(entry)
    fd = None
    try:
        lock.parent.mkdir(parents=True, exist_ok=True)
        while fd is None:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                held = os.fstat(fd).st_ino == os.stat(lock).st_ino
            except FileNotFoundError:
                held = False
            if not held:  # its holder deleted it on release: take the new one
                os.close(fd)
                fd = None
    except OSError as exc:
        log.info("no lock for %s (%s): computing without one", entry, exc)
        if fd is not None:
            os.close(fd)
        fd = None
    try:
        yield
    finally:
        if fd is not None:
            _unlink(lock)
            os.close(fd)


def entries(namespace: str, prefix: str = "", *, folder: Path | None = None) -> list[Path]:
    """The entries of a namespace whose key starts with ``prefix``, by file name."""
    base = Path(folder) if folder is not None else _namespace_folder(namespace)
    return sorted(base.glob(f"{glob.escape(prefix)}*{SUFFIX}"))


def prune(
    namespace: str,
    prefix: str = "",
    keep: int = 0,
    *,
    spare: str | None = None,
    folder: Path | None = None,
) -> int:
    """Delete the entries of ``namespace`` whose key starts with ``prefix`` except the
    ``keep`` most recently written or read (and the entry ``spare``); returns how many
    were deleted."""
    candidates = [
        p for p in entries(namespace, prefix, folder=folder) if p.name != f"{spare}{SUFFIX}"
    ]
    if spare is not None:
        keep -= 1
    by_use = sorted(candidates, key=_last_used, reverse=True)
    return sum(_unlink(p) for p in by_use[max(keep, 0) :])


def clear(namespace: str | None = None) -> None:
    """Delete every entry of ``namespace`` (of every namespace when None), with temporary
    files left by interrupted writes, lock files left by processes that died computing, and
    the folders left empty. Nothing else is touched."""
    base = folder(namespace) if namespace is not None else config.cache_dir()
    if not base.is_dir():
        return
    for p in [
        *base.rglob(f"*{SUFFIX}"),
        *base.rglob(f".*{SUFFIX}.*.tmp"),
        *base.rglob(f".*{SUFFIX}.lock"),  # left by a process that died computing
    ]:
        _unlink(p)
    for d in sorted(
        (p for p in base.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True
    ):
        _rmdir(d)
    _rmdir(base)


def _last_used(entry: Path) -> int:
    """When an entry was last written or read (its modification time)."""
    try:
        return entry.stat().st_mtime_ns
    except OSError:  # deleted meanwhile
        return 0


def _unlink(p: Path) -> bool:
    try:
        p.unlink()
        return True
    except OSError:  # gone already (another process), or not ours to delete
        return False


def _rmdir(d: Path) -> None:
    with contextlib.suppress(OSError):  # not empty: holds files that are not entries
        d.rmdir()


# -- tables -----------------------------------------------------------------------------------
def tables_to_bytes(tables: dict[str, pd.DataFrame]) -> bytes:
    """Tables as one payload that :func:`tables_from_bytes` reads back exactly (values,
    dtypes, index and column labels): a zip archive (stored) of ``<name>.arrow`` (an Arrow
    IPC file, :func:`arrow_bytes`) for each table that reads back identical, and
    ``<name>.pickle`` for the others (an ``object`` column of text reads back as ``str``)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:  # the members are compressed
        for name, table in tables.items():
            if not _NAME.fullmatch(name):
                raise ValueError(f"table name {name!r}: letters, digits, '.', '_', '-'")
            archive.writestr(*_table_member(name, table))
    return out.getvalue()


def _table_member(name: str, table: pd.DataFrame) -> tuple[str, bytes]:
    import pyarrow

    try:
        data = arrow_bytes(table)
        pd.testing.assert_frame_equal(
            read_arrow(data),
            table,
            check_dtype=True,
            check_exact=True,
            check_column_type=True,
            check_index_type=True,
        )
        return f"{name}.arrow", data
    except (AssertionError, ValueError, TypeError, pyarrow.ArrowException):  # e.g. object columns
        return f"{name}.pickle", _pickled(table)


def arrow_bytes(table: pd.DataFrame) -> bytes:
    """``table`` as an Arrow IPC file (record batches LZ4-compressed where pyarrow has the
    codec), converted as ``DataFrame.to_parquet`` converts it (pandas' metadata, with the
    index and the dtypes, kept in the schema). Read back with :func:`read_arrow`: twice as
    fast as Parquet, and without importing ``pyarrow.parquet``, which loads the file-system
    and TLS modules (60 ms in every process that reads a stored table)."""
    import pyarrow as pa

    held = pa.Table.from_pandas(table)
    codec = "lz4" if pa.Codec.is_available("lz4") else None
    sink = pa.BufferOutputStream()
    with pa.ipc.new_file(
        sink, held.schema, options=pa.ipc.IpcWriteOptions(compression=codec)
    ) as out:
        out.write_table(held)
    return sink.getvalue().to_pybytes()


def read_arrow(data: bytes) -> pd.DataFrame:
    """The table of :func:`arrow_bytes`, turned into a frame by the function
    ``pandas.read_parquet`` uses (a table is stored this way only when it reads back equal,
    :func:`tables_to_bytes`); without that function, pyarrow's ``to_pandas``."""
    import pyarrow as pa

    held = pa.ipc.open_file(pa.BufferReader(data)).read_all()
    try:
        from pandas.io._util import arrow_table_to_pandas
    except ImportError:  # pragma: no cover - a pandas without it
        return held.to_pandas()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "make_block is deprecated")
        result = arrow_table_to_pandas(held)
    metadata = held.schema.metadata or {}
    if b"PANDAS_ATTRS" in metadata:
        result.attrs = json.loads(metadata[b"PANDAS_ATTRS"])
    return result


def tables_from_bytes(data: bytes) -> dict[str, pd.DataFrame]:
    """The tables of :func:`tables_to_bytes`, in their order."""
    tables = {}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for member in archive.namelist():
            name, kind = member.rsplit(".", 1)
            body = archive.read(member)
            if kind not in ("arrow", "pickle"):
                raise ValueError(f"table {name!r} is held as {kind!r}")
            table = read_arrow(body) if kind == "arrow" else pickle.loads(body)
            if not isinstance(table, pd.DataFrame):
                raise ValueError(f"table {name!r} holds a {type(table).__qualname__}")
            tables[name] = table
    return tables
