"""Heavy libraries imported where they are first used, not where they are named.

A report whose figures are all drawn before (:func:`analysis.figures.draw`) never needs
matplotlib or seaborn; importing them anyway costs every kernel over a second. A module
names such a library once, at its top, as ``plt = lazy.module("matplotlib.pyplot")``,
and the library is imported the first time one of its attributes is read.
"""

from __future__ import annotations

import importlib
from types import ModuleType


class LazyModule:
    """Stands for the module ``name`` and imports it on first attribute access."""

    __slots__ = ("_name", "_module")

    def __init__(self, name: str):
        if name.split(".")[0] == __name__.split(".")[0]:
            # the package's own modules are imported by name, where the code digests of
            # the cache can follow them (analysis.environment.module_closure)
            raise ValueError(f"lazy.module is for libraries, not the package's {name!r}")
        self._name = name
        self._module: ModuleType | None = None

    def __getattr__(self, attribute: str):
        if self._module is None:
            self._module = importlib.import_module(self._name)
        return getattr(self._module, attribute)

    def __repr__(self) -> str:
        state = "imported" if self._module is not None else "not imported yet"
        return f"<lazy module {self._name!r}, {state}>"


def module(name: str) -> LazyModule:
    """A stand-in for ``import name`` that imports it when first used."""
    return LazyModule(name)
