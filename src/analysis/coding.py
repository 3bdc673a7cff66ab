"""Coding inventories: which coder codes which field of which inventory, measured, applied
and kept.

Above the coders (:mod:`analysis.coders`), the agreement statistics
(:mod:`analysis.agreement`) and the inventories (:mod:`analysis.inventories`), this module

* chooses, per field, the offline coder with the best measured agreement
  (:func:`choose`, :func:`code_public`),
* applies it to an inventory's uncoded fields (:func:`code_with_choice`),
* keeps the coded inventory in the content-addressed cache (:func:`coded`), and
* gives notebooks their cases, bundled, coded or from a mapping file, in one call
  (:func:`cases_for`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import agreement, cache, canonical, config, inventories
from .coders import (
    CODERS,
    Coder,
    CodingError,
    LLMCoder,
    LLMConfig,
    ModelSpec,
    RuleCoder,
    TrainedCoder,
)
from .coders.base import apply_codes, coded_by_column, confidence_column, empty_codes, fields
from .environment import code_and_data_digest
from .frame import Frame, load_frame

# -- which cases to learn from ----------------------------------------------------------
#: Bundled inventories whose labels are references a coder learns from and is scored on.
REFERENCE_INVENTORIES = ("study", "jrc-ai-watch", "us-federal-2024")


def reference_inventories() -> list[str]:
    """The bundled inventories that carry reference labels (and exist)."""
    names = inventories.available()
    return [n for n in REFERENCE_INVENTORIES if n in names]


def training_cases(names: list[str] | None = None, frame: Frame | None = None) -> pd.DataFrame:
    """The pooled canonical table of the inventories with reference labels."""
    return inventories.load_many(names or reference_inventories(), frame)


def make_coder(
    name: str,
    frame: Frame | None = None,
    training: pd.DataFrame | None = None,
    spec: ModelSpec | None = None,
    **llm_options,
) -> Coder:
    """A ready coder by name: ``rules``, ``model`` (trained on ``training`` or on every
    bundled inventory with reference labels) or ``llm`` (configured from the environment)."""
    frame = frame or load_frame()
    if name == "rules":
        return RuleCoder(frame)
    if name == "model":
        data = training if training is not None else training_cases(frame=frame)
        return TrainedCoder(frame, spec).fit(data)
    if name == "llm":
        return LLMCoder(LLMConfig.from_env(**llm_options), frame)
    raise CodingError(f"unknown coder {name!r}: use one of {', '.join(CODERS)}")


def code_cases(cases: pd.DataFrame, coder: Coder, frame: Frame | None = None) -> pd.DataFrame:
    """Code the uncoded fields of ``cases`` with ``coder``; returns the filled table."""
    return apply_codes(cases, coder.code(cases), frame)


def read_cases(path_or_inventory: str | Path, frame: Frame | None = None) -> pd.DataFrame:
    """A canonical table from a bundled inventory name, a mapping file, or an export
    (.csv/.xlsx written by :func:`analysis.canonical.write`)."""
    p = Path(path_or_inventory)
    if p.suffix.lower() in (".csv", ".xlsx") and p.exists():
        return canonical.read_export(p, frame)
    return inventories.cases(path_or_inventory, frame)


@dataclass
class CodedFile:
    """What :func:`code_file` wrote: the path, the coded table and the coder (whose
    ``failures``, for the LLM coder, lists the cases it could not code)."""

    path: Path
    cases: pd.DataFrame
    coder: Coder

    def counts(self, frame: Frame | None = None) -> dict[str, int]:
        """Values filled by the coder per field (category, techniques)."""
        frame = frame or load_frame()
        return {
            f: int((self.cases[coded_by_column(f, frame)] == self.coder.name).sum())
            for f in ("category", "techniques")
        }


def code_file(
    path_or_inventory: str | Path, coder: str, to: str | Path, frame: Frame | None = None
) -> CodedFile:
    """``python -m analysis code FILE --coder rules|model|llm --to out.xlsx``: code the
    uncoded fields of an inventory or export and write the coded table (.csv/.xlsx)."""
    frame = frame or load_frame()
    table = read_cases(path_or_inventory, frame)
    chosen = make_coder(coder, frame)
    coded_table = code_cases(table, chosen, frame)
    return CodedFile(canonical.write(coded_table, Path(to), frame), coded_table, chosen)


@dataclass
class CodedInventory:
    """A coded inventory and the evidence for the coder chosen per field."""

    cases: pd.DataFrame
    codes: pd.DataFrame
    choice: pd.DataFrame = field(default_factory=pd.DataFrame)


# -- applying the best measured coder -------------------------------------------------------
def choose(scores: pd.DataFrame) -> pd.DataFrame:
    """Per target, the coder with the highest macro-F1 in an evaluation's scores (ties go
    to the rule coder, the more transparent one)."""
    rank = {"rules": 0, "model": 1}
    rows = []
    for target, sub in scores.groupby("target", sort=False):
        sub = sub.assign(_r=sub["coder"].map(rank).fillna(9), _f=sub["macro_f1"].fillna(-1.0))
        best = sub.sort_values(["_f", "_r"], ascending=[False, True], kind="stable").iloc[0]
        rows.append(
            {
                "target": target,
                "coder": best["coder"],
                "macro_f1": best["macro_f1"],
                "measured_on": best["inventory"],
                **{f"macro_f1_{c}": v for c, v in zip(sub["coder"], sub["macro_f1"])},
            }
        )
    return pd.DataFrame(rows)


def code_with_choice(
    cases: pd.DataFrame,
    choice: pd.DataFrame,
    training: pd.DataFrame,
    frame: Frame | None = None,
    spec: ModelSpec | None = None,
) -> CodedInventory:
    """Code the uncoded fields of ``cases``, each field with the coder ``choice`` names
    for it (targets ``technique:<key>`` choose for ``techniques`` by majority)."""
    frame = frame or load_frame()
    per_field: dict[str, str] = {}
    tech_votes = []
    for t, c in zip(choice["target"], choice["coder"]):
        if t.startswith("technique:"):
            tech_votes.append(c)
        else:
            per_field[t] = c
    if tech_votes:
        per_field["techniques"] = max(sorted(set(tech_votes)), key=tech_votes.count)
    parts = []
    if "rules" in per_field.values():
        codes = RuleCoder(frame).code(cases)
        parts.append(codes[codes["field"].isin([f for f, c in per_field.items() if c == "rules"])])
    model_fields = [f for f, c in per_field.items() if c == "model"]
    if model_fields:
        wanted = [
            f
            for f in fields(frame)
            if f in model_fields or (f == "category" and "application_type" in model_fields)
        ]
        coder = TrainedCoder(frame, spec, fields_=wanted).fit(training)
        codes = coder.code(cases)
        parts.append(codes[codes["field"].isin(model_fields)])
    codes = pd.concat(parts, ignore_index=True) if parts else empty_codes()
    return CodedInventory(apply_codes(cases, codes, frame), codes, choice)


def coded_summary(
    cases: pd.DataFrame, field_name: str = "category", frame: Frame | None = None
) -> pd.DataFrame:
    """Cases per value of a field and who coded it (``coded_by``), with the mean and
    lowest confidence of the automatic codes; uncoded cases as a row with value NA."""
    frame = frame or load_frame()
    cb = coded_by_column(field_name, frame)
    conf = confidence_column(field_name)
    table = pd.DataFrame(
        {
            field_name: cases[field_name].astype(object),
            "coded_by": cases[cb].astype(object).where(cases[cb].notna(), None),
            "confidence": cases[conf].astype(float) if conf in cases.columns else np.nan,
        }
    )
    order = (
        {k: i for i, k in enumerate(frame.keys(field_name))}
        if field_name in ("category", "application_type")
        else {}
    )
    rows = []
    for (value, by), sub in table.groupby([field_name, "coded_by"], dropna=False, sort=False):
        value = None if pd.isna(value) else value
        by = None if by is None or pd.isna(by) else by
        rows.append(
            {
                field_name: value,
                "coded_by": by,
                "cases": len(sub),
                "mean_confidence": sub["confidence"].mean()
                if sub["confidence"].notna().any()
                else np.nan,
                "min_confidence": sub["confidence"].min()
                if sub["confidence"].notna().any()
                else np.nan,
            }
        )
    out = pd.DataFrame(
        rows, columns=[field_name, "coded_by", "cases", "mean_confidence", "min_confidence"]
    )
    key = out[field_name].map(
        lambda v: order.get(v, len(order)) if v is not None else len(order) + 1
    )
    return (
        out.assign(_k=key, _b=out["coded_by"].fillna("~"))
        .sort_values(["_k", "_b"])
        .drop(columns=["_k", "_b"])
        .reset_index(drop=True)
    )


PUBLIC_INVENTORIES = ("taiwan-public", "us-federal-2024", "jrc-ai-watch")
#: How each public inventory is coded: the inventory whose reference labels measure the
#: coders, the fields coded (``flags``: every flag of the frame) and the most folds (the
#: study's 11 cases allow three).
CODING_PLAN = {
    "taiwan-public": ("study", ("category", "application_type", "flags"), 3),
    "us-federal-2024": ("jrc-ai-watch", ("category", "application_type"), None),
    "jrc-ai-watch": ("us-federal-2024", ("flags",), None),
}


def code_public(
    names: tuple[str, ...] = PUBLIC_INVENTORIES,
    frame: Frame | None = None,
    folds: int = 5,
    seed: int = config.SEED,
    spec: ModelSpec | None = None,
) -> dict[str, CodedInventory]:
    """Coded versions of the bundled inventories that lack the study's labels, each field
    coded by the offline coder (rules or model) with the best measured agreement
    (:data:`CODING_PLAN`):

    * ``taiwan-public`` (zh-TW): category, application type and flags, measured on the
      study's 11 zh-TW cases;
    * ``us-federal-2024`` (English): category and application type, measured on the
      JRC AI Watch cases' Engstrom labels;
    * ``jrc-ai-watch`` (English): the six flags, measured on the US federal 2024
      inventory's flags read from its official fields.

    The model is cross-validated on the measuring inventory, every other inventory with
    reference labels added to each training fold as in the final model. ``choice`` of
    each result names the coder per field and the scores behind it.
    """
    frame = frame or load_frame()
    available = inventories.available()
    training = training_cases(frame=frame)
    out = {}
    for name in (n for n in PUBLIC_INVENTORIES if n in names):
        reference, wanted, most_folds = CODING_PLAN[name]
        if name not in available or reference not in available:
            continue
        targets = [t for w in wanted for t in (frame.flag_keys if w == "flags" else [w])]
        measured = training[training["inventory"] == reference]
        others = training[training["inventory"] != reference]
        evaluation = agreement.evaluate(
            measured,
            ("rules", "model"),
            targets,
            spec,
            min(folds, most_folds or folds),
            seed,
            others if len(others) else None,
            frame,
        )
        out[name] = code_with_choice(
            inventories.cases(name, frame), choose(evaluation.scores), training, frame, spec
        )
    return out


def coded(name: str, frame: Frame | None = None) -> CodedInventory:
    """:func:`code_public` for one inventory, kept in the content-addressed cache
    (:mod:`analysis.cache`, namespace ``coded``) under a key of every input (package code,
    lock file, frame, mappings, raw data), so the costly evaluation and training run once
    and a stale or damaged result is never served."""

    def compute() -> CodedInventory:
        result = code_public((name,), frame)
        if name not in result:
            raise CodingError(
                f"no offline coder for inventory {name!r}: coded versions exist for "
                f"{', '.join(PUBLIC_INVENTORIES)}"
            )
        return result[name]

    def encode(c: CodedInventory) -> bytes:
        return cache.tables_to_bytes({"cases": c.cases, "codes": c.codes, "choice": c.choice})

    def decode(data: bytes) -> CodedInventory:
        tables = cache.tables_from_bytes(data)
        return CodedInventory(tables["cases"], tables["codes"], tables["choice"])

    return cache.remember("coded", (name, code_and_data_digest()), compute, encode, decode)


def cases_for(names: str | list[str] | tuple[str, ...], frame: Frame | None = None) -> pd.DataFrame:
    """The one way to get cases: one inventory or several pooled, each a bundled name, a
    mapping file, or a name ending in ``-coded`` (e.g. ``taiwan-public-coded``), which is
    that inventory with its uncoded fields filled by :func:`coded` (``*_coded_by`` and
    ``*_confidence`` say by which coder, how sure)."""
    names = [names] if isinstance(names, str) else list(names)
    tables = [
        coded(n.removesuffix(config.CODED_SUFFIX), frame).cases
        if str(n).endswith(config.CODED_SUFFIX)
        else inventories.cases(n, frame)
        for n in names
    ]
    return pd.concat(tables, ignore_index=True) if len(tables) > 1 else tables[0]


def write_coded(
    name: str, coded_inventory: CodedInventory, folder: Path, frame: Frame | None = None
) -> Path:
    """Write a coded inventory as ``<folder>/coded-<name>.csv`` (canonical export with the
    ``*_coded_by`` and ``*_confidence`` columns)."""
    return canonical.write(coded_inventory.cases, Path(folder) / f"coded-{name}.csv", frame)
