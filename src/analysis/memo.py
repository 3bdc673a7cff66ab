"""Costly results kept on disk, keyed by everything they are computed from.

Cross-validating coders and bootstrapping clusterings take seconds to minutes; their
results depend only on their arguments, the package's code and the installed versions.
:func:`cached` keeps such a function's result in the content-addressed cache
(:mod:`analysis.cache`, namespace ``memo/<module>.<function>``) under a key of

* the function's module and name,
* the source the function's module can run (the module and every package module it
  imports, transitively: :func:`analysis.environment.module_closure`),
  ``requirements.lock`` and the Python, NumPy and pandas versions
  (:func:`analysis.cache.code_digest`),
* the *content* of every argument (:func:`analysis.cache.digest`): tables by their values,
  index, column names and dtypes; dataclasses (the coding frame, model specifications) field
  by field.

A changed case, parameter, line of code or package version gives a new key, so a stored
result can never be served for other inputs. An argument whose content cannot be digested
(an open file, a model object) makes the call run uncached. A stored result is verified on
every read; a damaged one is computed again and rewritten. ``ANALYSIS_CACHE=off`` (or
``ANALYSIS_MEMO=off``) turns the store off (every call computes).
"""

from __future__ import annotations

import functools
import inspect
import re
from pathlib import Path

from . import cache
from .cache import Undigestible, code_digest, digest, enabled

__all__ = [
    "NAMESPACE",
    "Undigestible",
    "cached",
    "code_digest",
    "digest",
    "enabled",
    "folder",
    "namespace_of",
]

#: The cache namespace under which every function keeps its results (one folder each).
NAMESPACE = "memo"


def folder() -> Path:
    """The folder of every stored result: ``memo/`` in :func:`analysis.config.cache_dir`."""
    return cache.folder(NAMESPACE)


def namespace_of(fn) -> str:
    """The cache namespace of ``fn``'s results: ``memo/<module>.<qualified name>``."""
    name = f"{fn.__module__.removeprefix('analysis.')}.{fn.__qualname__}"
    return f"{NAMESPACE}/{re.sub(r'[^A-Za-z0-9._-]', '_', name)}"


def cached(fn=None, *, defaults: dict | None = None, inputs=None):
    """Decorator: keep ``fn``'s results on disk by content of its inputs (see module
    docstring). ``fn.uncached`` is the function itself.

    ``defaults`` (``@cached(defaults={"frame": load_frame})``): arguments left ``None`` that
    the function would fill from files (the bundled coding frame) are filled before the
    key is made, so the key holds their content; the arguments are also bound to their
    names first, so a value passed by position or by keyword gives one key.

    ``inputs``: for a function that reads files by name (an inventory named by its
    argument), a callable returning the content digest of those files, made part of the
    key at every call."""
    if fn is None:
        return functools.partial(cached, defaults=defaults, inputs=inputs)
    name = f"{fn.__module__}.{fn.__qualname__}"
    namespace = namespace_of(fn)
    signature = inspect.signature(fn) if defaults else None

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if signature is not None:
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            for arg, fill in defaults.items():
                if bound.arguments.get(arg) is None:
                    bound.arguments[arg] = fill()
            args, kwargs = bound.args, bound.kwargs
        parts = (name, list(args), dict(sorted(kwargs.items())))
        if inputs is not None:
            parts += (inputs(),)
        return cache.remember(namespace, parts, lambda: fn(*args, **kwargs), code=fn.__module__)

    wrapper.uncached = fn
    return wrapper
