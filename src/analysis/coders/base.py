"""What every coder shares: the codes table, the fields coded, reference labels, the text a
coder reads, and filling a canonical table from codes.

A coder takes a canonical case table and returns its codes as a tidy table
(:data:`CODE_COLUMNS`): one row per case and field it decided, with

``value``       a frame key (category, application type), technique keys joined by ``;``,
                or ``yes``/``no`` for a risk flag;
``coded_by``    ``rules``, ``model`` or ``llm``;
``confidence``  the coder's confidence in the value (a calibrated probability for the
                trained coder; the rule coder's share of triggered terms);
``evidence``    why: the terms that triggered a rule, the model's top features, the
                LLM's summary.

A case a coder cannot decide for a field has no row for it (it is left uncoded, never
guessed). :func:`apply_codes` fills a canonical table's *missing* values from codes,
marking them ``*_coded_by`` and adding ``*_confidence`` columns; values already coded by
the study, a source or a person are never overwritten.

This layer knows the coding frame and the canonical table only: never inventories on
disk, agreement statistics or which coder is best (:mod:`analysis.coding` above it).
"""

from __future__ import annotations

import functools
import re
from typing import Protocol

import numpy as np
import pandas as pd

from ..canonical import TECHNIQUE_SEP, coerce
from ..config import CODERS  # noqa: F401 - re-exported: the coders by name
from ..errors import AnalysisError
from ..frame import Frame, load_frame

CODE_COLUMNS = ["case_id", "inventory", "field", "value", "coded_by", "confidence", "evidence"]
#: A calibrated coder's distribution over the values it codes (one row per case, field and
#: value; :meth:`analysis.coders.trained.TrainedCoder.distributions`).
DISTRIBUTION_COLUMNS = ["case_id", "inventory", "field", "value", "probability"]
#: Provenance of labels that count as ground truth (not produced by a coder).
REFERENCE_PROVENANCE = ("study", "source", "crosswalk", "annotator", "human")
#: Columns never shown to a coder (personal data of contact persons).
PERSONAL_FIELDS = ("contact", "contact_name", "contact_email", "email", "e_mail", "phone")
#: Text columns a coder reads, in this order.
TEXT_COLUMNS = ("name", "description", "agency")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?<!\d)(?:\+?\d[\d\s()-]{7,}\d)(?!\d)")


class CodingError(AnalysisError):
    """A coder cannot run as asked (no labelled cases, unknown coder, ...)."""


class Coder(Protocol):
    name: str

    def code(self, cases: pd.DataFrame) -> pd.DataFrame: ...


# -- fields and labels -------------------------------------------------------------------
def fields(frame: Frame | None = None) -> list[str]:
    """Fields a coder codes: category, application type, techniques, then each flag."""
    frame = frame or load_frame()
    return ["category", "application_type", "techniques", *frame.flag_keys]


def coded_by_column(field_name: str, frame: Frame | None = None) -> str:
    frame = frame or load_frame()
    return "flags_coded_by" if field_name in frame.flag_keys else f"{field_name}_coded_by"


def is_reference(provenance: pd.Series) -> pd.Series:
    """True where a provenance value (study, source, crosswalk, annotator:<pass>,
    human:<coder>) is a label not produced by a coder."""
    base = provenance.astype("string").str.split(":").str[0]
    return base.isin(REFERENCE_PROVENANCE).fillna(False).astype(bool)


def reference_labels(cases: pd.DataFrame, field_name: str, frame: Frame | None = None) -> pd.Series:
    """A field's human/source labels as strings (``yes``/``no`` for flags; technique
    lists for ``techniques``), indexed like ``cases``; unlabelled rows dropped."""
    frame = frame or load_frame()
    col = cases[field_name]
    keep = col.notna() & is_reference(cases[coded_by_column(field_name, frame)])
    if field_name in frame.flag_keys:
        out = col[keep].map(lambda v: "yes" if bool(v) else "no")
    else:
        out = col[keep].astype(str)
    return out.astype(object)


def technique_labels(cases: pd.DataFrame, frame: Frame | None = None) -> pd.DataFrame:
    """One yes/no column per technique for the cases whose techniques carry a human or
    source label (index like ``cases``)."""
    frame = frame or load_frame()
    lab = reference_labels(cases, "techniques", frame)
    sets = lab.map(lambda s: set(s.split(TECHNIQUE_SEP)))
    return pd.DataFrame(
        {t: sets.map(lambda s, t=t: "yes" if t in s else "no") for t in frame.technique_keys},
        index=lab.index,
    )


@functools.lru_cache(maxsize=1 << 16)
def strip_personal(text: str) -> str:
    """Remove e-mail addresses and phone numbers from free text (remembered per text:
    cross-validation reads the same case texts hundreds of times)."""
    return _PHONE.sub("[phone]", _EMAIL.sub("[e-mail]", text))


def case_text(cases: pd.DataFrame, personal_fields: tuple[str, ...] = PERSONAL_FIELDS) -> pd.Series:
    """The text a coder reads: name, description and agency joined, personal columns
    never included and e-mail addresses / phone numbers removed."""
    parts = [
        cases[c].astype("string").fillna("")
        for c in TEXT_COLUMNS
        if c in cases.columns and c not in personal_fields
    ]
    if not parts:
        return pd.Series([""] * len(cases), index=cases.index, dtype=object)
    joined = parts[0]
    for p in parts[1:]:
        joined = joined + " | " + p
    return joined.map(lambda s: strip_personal(str(s))).astype(object)


def empty_codes() -> pd.DataFrame:
    out = pd.DataFrame({c: pd.Series(dtype="string") for c in CODE_COLUMNS})
    out["confidence"] = out["confidence"].astype("float64")
    return out


def codes_frame(rows: list[dict]) -> pd.DataFrame:
    """Codes as a sorted table with :data:`CODE_COLUMNS` (case_id, field order kept)."""
    if not rows:
        return empty_codes()
    return typed_codes(pd.DataFrame(rows, columns=CODE_COLUMNS))


# -- applying codes ----------------------------------------------------------------------
def confidence_column(field_name: str) -> str:
    return f"{field_name}_confidence"


def apply_codes(
    cases: pd.DataFrame, codes: pd.DataFrame, frame: Frame | None = None
) -> pd.DataFrame:
    """Fill the NA fields of a canonical table from ``codes``; already-coded values are
    kept. Filled fields get ``*_coded_by`` = the coder and a ``<field>_confidence``. An
    application type is filled only when it belongs to the case's (coded) category."""
    frame = frame or load_frame()
    out = cases.copy()
    key = (
        out["inventory"].astype("string").fillna("")
        + "\x00"
        + out["case_id"].astype("string").fillna("")
    )
    pos = pd.Series(range(len(out)), index=key.to_numpy())
    flags = set(frame.flag_keys)
    for f in fields(frame):
        conf = confidence_column(f)
        if conf not in out.columns:
            out[conf] = pd.Series(np.nan, index=out.index, dtype="float64")
    order = {f: n for n, f in enumerate(fields(frame))}
    ordered = codes.assign(_f=codes["field"].map(order)).sort_values("_f", kind="stable")
    for c in ordered.itertuples(index=False):
        k = f"{c.inventory}\x00{c.case_id}"
        if k not in pos.index or c.field not in out.columns:
            continue
        i = out.index[int(pos[k])]
        if not pd.isna(out.at[i, c.field]):
            continue
        if c.field == "application_type" and (
            pd.isna(out.at[i, "category"]) or frame.category_of(c.value) != out.at[i, "category"]
        ):
            continue  # an application type is only filled inside the case's category
        if c.field in flags:
            out.at[i, c.field] = c.value == "yes"
        else:
            out.at[i, c.field] = c.value
        cb = coded_by_column(c.field, frame)
        if pd.isna(out.at[i, cb]) or c.field not in flags:
            out.at[i, cb] = c.coded_by
        out.at[i, confidence_column(c.field)] = c.confidence
    return coerce(out, frame).assign(
        **{confidence_column(f): out[confidence_column(f)].to_numpy() for f in fields(frame)}
    )


def typed_codes(codes: pd.DataFrame) -> pd.DataFrame:
    out = codes.reset_index(drop=True).copy()
    for c in CODE_COLUMNS:
        out[c] = out[c].astype("float64") if c == "confidence" else out[c].astype("string")
    return out
