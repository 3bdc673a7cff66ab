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
"""

from .apply import REWRITTEN_IDS, SUMMARY_ROW, apply_mapping, sha256_of
from .report import LoadLog, LoadResult, StandardizationReport, outcomes
from .spec import (
    CLOSED_FIELDS,
    CODED_BY,
    COMBINE_MODES,
    FORMATS,
    TEXT_FIELDS,
    FieldSpec,
    FileSpec,
    Mapping,
    MappingDocument,
    load_mapping,
)

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
