"""Declarative inventory mappings: one YAML file turns a raw inventory into the canonical
case table, and says how.

A mapping names its file(s), encoding, header row, which native column feeds each
canonical column, how values are normalised and recoded, and the crosswalk rules that
derive category, application type, techniques and flags from native fields, each with its
rationale. :func:`apply_mapping` applies any such file and returns the canonical cases with
a :class:`StandardizationReport` of every recoding, every unmapped value and every rejected
row.

- :mod:`.spec`: the format as a model (every key, its type, default and meaning), its
  validation (:func:`load_mapping`) and the compiled :class:`Mapping`;
- :mod:`.apply`: applying a mapping to the raw files;
- :mod:`.report`: the standardization report and the load result;
- :mod:`.reference`: the key reference ``docs/mapping-format.md`` and the JSON Schema
  ``docs/mapping.schema.json``, generated from the model.
- :mod:`.files`: a mapping's raw files without its model: digests, permitted folders and
  the outline a stored load is served from.

Names are imported on first use (:func:`__getattr__`), so that reading a stored load, which
needs only :mod:`.report` and :mod:`.files`, does not import the model (pydantic).
"""

_APPLY = frozenset({"REWRITTEN_IDS", "SUMMARY_ROW", "apply_mapping"})
_FILES = frozenset({"sha256_of"})
_REPORT = frozenset({"LoadLog", "LoadResult", "StandardizationReport", "outcomes"})
_SPEC = frozenset(
    {
        "CLOSED_FIELDS",
        "CODED_BY",
        "COMBINE_MODES",
        "FORMATS",
        "TEXT_FIELDS",
        "FieldSpec",
        "FileSpec",
        "Mapping",
        "MappingDocument",
        "load_mapping",
    }
)


def __getattr__(name: str):
    """A name of :data:`__all__`, imported from its module on first use."""
    if name in _APPLY:
        from . import apply as module
    elif name in _FILES:
        from . import files as module
    elif name in _REPORT:
        from . import report as module
    elif name in _SPEC:
        from . import spec as module
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


__all__ = [
    "CLOSED_FIELDS",
    "CODED_BY",
    "COMBINE_MODES",
    "FORMATS",
    "REWRITTEN_IDS",
    "SUMMARY_ROW",
    "TEXT_FIELDS",
    "FieldSpec",
    "FileSpec",
    "LoadLog",
    "LoadResult",
    "Mapping",
    "MappingDocument",
    "StandardizationReport",
    "apply_mapping",
    "load_mapping",
    "outcomes",
    "sha256_of",
]
