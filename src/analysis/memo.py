"""Costly results kept on disk, keyed by everything they are computed from.

Cross-validating coders and bootstrapping clusterings take seconds to minutes; their
results depend only on their arguments, the package's code and the installed versions.
:func:`cached` keeps such a function's result under ``.cache/memo/`` with a key made of

* the function's module and name,
* a digest of the package's source (every ``.py`` file of :mod:`analysis`) and of
  ``requirements.lock`` (the pinned versions),
* a digest of every argument's *content*: tables by their values, index, column names
  and dtypes; dataclasses (the coding frame, model specifications) field by field.

A changed case, parameter, line of code or package version gives a new key, so a stored
result can never be served for other inputs. An argument whose content cannot be digested
(an open file, a model object) makes the call run uncached. A stored result that cannot
be read is computed again and rewritten. ``ANALYSIS_MEMO=off`` turns the store off (every
call computes).

Stored results are pickles: a local cache of this checkout, never shared or downloaded.
"""
from __future__ import annotations

import dataclasses
import functools
import hashlib
import os
import pickle
from pathlib import Path

import numpy as np
import pandas as pd

from . import config


class Undigestible(TypeError):
    """An argument whose content has no stable digest (the call runs uncached)."""


def _update(h, obj) -> None:
    if obj is None or isinstance(obj, (bool, int, float, complex, str, bytes)):
        h.update(f"{type(obj).__name__}:{obj!r};".encode())
    elif isinstance(obj, Path):
        h.update(f"Path:{obj.as_posix()};".encode())
    elif isinstance(obj, (pd.DataFrame, pd.Series)):
        h.update(f"{type(obj).__name__}:{obj.shape};".encode())
        if isinstance(obj, pd.DataFrame):
            _update(h, [str(c) for c in obj.columns])
            _update(h, [str(t) for t in obj.dtypes])
        else:
            _update(h, [str(obj.name), str(obj.dtype)])
        _update(h, str(obj.index.dtype))
        try:
            row_hashes = pd.util.hash_pandas_object(obj, index=True, categorize=False)
        except TypeError as exc:  # unhashable cells (lists, dicts)
            raise Undigestible(str(exc)) from exc
        h.update(row_hashes.to_numpy().tobytes())
    elif isinstance(obj, np.ndarray):
        if obj.dtype == object:
            _update(h, obj.tolist())
        else:
            h.update(f"ndarray:{obj.dtype.str}:{obj.shape};".encode())
            h.update(np.ascontiguousarray(obj).tobytes())
    elif isinstance(obj, np.generic):
        _update(h, obj.item())
    elif isinstance(obj, (list, tuple)):
        h.update(f"{type(obj).__name__}[{len(obj)}](".encode())
        for item in obj:
            _update(h, item)
        h.update(b")")
    elif isinstance(obj, (set, frozenset)):
        h.update(f"set[{len(obj)}](".encode())
        for part in sorted(_digest_of(item) for item in obj):
            h.update(part.encode())
        h.update(b")")
    elif isinstance(obj, dict):
        h.update(f"dict[{len(obj)}](".encode())
        for key, value in obj.items():  # insertion order is part of the content
            _update(h, key)
            _update(h, value)
        h.update(b")")
    elif isinstance(obj, range):
        _update(h, ("range", obj.start, obj.stop, obj.step))
    elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        h.update(f"{type(obj).__module__}.{type(obj).__qualname__}(".encode())
        for f in dataclasses.fields(obj):
            if f.repr:  # derived lookup fields (repr=False) follow from the others
                _update(h, f.name)
                _update(h, getattr(obj, f.name))
        h.update(b")")
    else:
        raise Undigestible(f"no content digest for a {type(obj).__qualname__}")


def _digest_of(obj) -> str:
    h = hashlib.sha256()
    _update(h, obj)
    return h.hexdigest()


def digest(*args, **kwargs) -> str:
    """Content digest of arguments (raises :class:`Undigestible` for objects without one)."""
    return _digest_of((list(args), dict(sorted(kwargs.items()))))


@functools.lru_cache(maxsize=1)
def code_digest() -> str:
    """Digest of the package's source and the lock file (once per process)."""
    from .environment import package_digest
    lock = config.ROOT / "requirements.lock"
    return hashlib.sha256((package_digest()
                           + (hashlib.sha256(lock.read_bytes()).hexdigest() if lock.exists() else "")).encode()
                          ).hexdigest()


def enabled() -> bool:
    return os.environ.get("ANALYSIS_MEMO", "on").lower() not in ("off", "0", "false", "no")


def folder() -> Path:
    return config.cache_dir() / "memo"


def path_for(fn, args: tuple, kwargs: dict) -> Path:
    """Where ``fn(*args, **kwargs)`` is kept (raises :class:`Undigestible`)."""
    name = f"{fn.__module__}.{fn.__qualname__}"
    key = hashlib.sha256(f"{name}\0{code_digest()}\0{digest(*args, **kwargs)}".encode()).hexdigest()
    return folder() / f"{name.removeprefix('analysis.')}-{key[:24]}.pkl"


def cached(fn):
    """Decorator: keep ``fn``'s results on disk by content of its inputs (see module
    docstring). ``fn.uncached`` is the function itself."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if not enabled():
            return fn(*args, **kwargs)
        try:
            path = path_for(fn, args, kwargs)
        except Undigestible:
            return fn(*args, **kwargs)
        if path.exists():
            try:
                with open(path, "rb") as fh:
                    return pickle.load(fh)
            except Exception:  # unreadable or from elsewhere: compute again and replace it
                pass
        result = fn(*args, **kwargs)
        from .outputs import atomic_write_bytes
        atomic_write_bytes(path, pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))
        return result

    wrapper.uncached = fn
    return wrapper
