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

from . import agreement, annotations, cache, canonical, config, inventories, memo
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
from .coders.base import (
    DISTRIBUTION_COLUMNS,
    apply_codes,
    coded_by_column,
    confidence_column,
    empty_codes,
    fields,
    reference_labels,
)
from .environment import data_digest
from .frame import Frame, load_frame

# -- which cases to learn from ----------------------------------------------------------
#: Bundled inventories whose labels are references a coder learns from and is scored on
#: (``-annotated``: an inventory with its adjudicated annotation, :mod:`analysis.annotations`).
REFERENCE_INVENTORIES = (
    "study",
    "jrc-ai-watch",
    "us-federal-2024",
    "us-federal-2025",
    "taiwan-public" + config.ANNOTATED_SUFFIX,
)


def annotated_names() -> list[str]:
    """``<inventory>-annotated`` for every inventory with a bundled annotation set."""
    return sorted(
        n + config.ANNOTATED_SUFFIX
        for _, names in annotations.ANNOTATION_SETS.values()
        for n in names
        if n != "study"
    )


def reference_inventories() -> list[str]:
    """The bundled inventories that carry reference labels (and exist)."""
    names = set(inventories.available()) | set(annotated_names())
    return [n for n in REFERENCE_INVENTORIES if n in names]


def reference_cases(name: str, frame: Frame | None = None) -> pd.DataFrame:
    """A bundled inventory, or an annotated one (``<inventory>-annotated``)."""
    if name.endswith(config.ANNOTATED_SUFFIX):
        return annotations.annotated_cases(name.removesuffix(config.ANNOTATED_SUFFIX), frame)
    return inventories.cases(name, frame)


def training_cases(names: list[str] | None = None, frame: Frame | None = None) -> pd.DataFrame:
    """The pooled canonical table of the inventories with reference labels."""
    names = names or reference_inventories()
    return pd.concat([reference_cases(n, frame) for n in names], ignore_index=True)


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
    """A coded inventory, the evidence for the coder chosen per field and, for the
    category and techniques the trained coder filled, its calibrated distribution over
    the values (``distributions``, :data:`DISTRIBUTION_COLUMNS`), which multiple
    imputation draws from (:mod:`analysis.imputation`)."""

    cases: pd.DataFrame
    codes: pd.DataFrame
    choice: pd.DataFrame = field(default_factory=pd.DataFrame)
    distributions: pd.DataFrame = field(default_factory=lambda: _typed_distributions(None))


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
        distributions = coder.distributions(cases)
    codes = pd.concat(parts, ignore_index=True) if parts else empty_codes()
    filled = apply_codes(cases, codes, frame)
    if model_fields:
        # the distributions of the values the model filled, nothing else
        filled_keys, key = canonical.case_keys(filled), canonical.case_keys(distributions)
        keep = np.zeros(len(distributions), dtype=bool)
        for f in ("category", "techniques"):
            if f in model_fields:
                by_model = filled_keys[filled[coded_by_column(f, frame)] == "model"]
                keep |= (distributions["field"] == f).to_numpy() & key.isin(by_model).to_numpy()
        distributions = distributions[keep].reset_index(drop=True)
    else:
        distributions = None
    return CodedInventory(filled, codes, choice, _typed_distributions(distributions))


def _typed_distributions(table: pd.DataFrame | None) -> pd.DataFrame:
    """``table`` (``None``: no rows) with :data:`DISTRIBUTION_COLUMNS`, typed."""
    table = pd.DataFrame(columns=DISTRIBUTION_COLUMNS) if table is None else table
    out = table.reindex(columns=DISTRIBUTION_COLUMNS).reset_index(drop=True)
    for c in DISTRIBUTION_COLUMNS:
        out[c] = out[c].astype("float64") if c == "probability" else out[c].astype("string")
    return out


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


PUBLIC_INVENTORIES = ("taiwan-public", "us-federal-2024", "us-federal-2025", "jrc-ai-watch")


@dataclass(frozen=True)
class Step:
    """One step of coding an inventory: the inventory whose reference labels measure the
    coders, the fields coded (``flags``: every flag of the frame; ``techniques``: every
    technique the reference names), the most folds, and the other reference inventories
    the model learns from besides the measuring one (None: all of them)."""

    reference: str
    wanted: tuple[str, ...]
    most_folds: int | None = None
    learn_from: tuple[str, ...] | None = None


#: How each public inventory is coded, step by step. The Taiwanese cases learn from the
#: zh-TW references only: adding the ~2,300 English reference cases to every training
#: fold changed no score beyond its interval and made the evaluation ~20 times slower.
#: The English steps learn from the inventories they learnt from before the US 2025
#: inventory was bundled (its techniques are measured by :func:`technique_check`); US
#: federal 2025 is coded exactly as 2024 (categories) and JRC AI Watch (flags).
_CATEGORIES_ON_JRC = Step(
    "jrc-ai-watch", ("category", "application_type"), learn_from=("study", "us-federal-2024")
)
_FLAGS_ON_US_2024 = Step("us-federal-2024", ("flags",), learn_from=("study", "jrc-ai-watch"))
CODING_PLAN = {
    "taiwan-public": (
        Step(
            "taiwan-public" + config.ANNOTATED_SUFFIX,
            ("category", "application_type", "techniques", "flags"),
            learn_from=("study",),
        ),
    ),
    "us-federal-2024": (_CATEGORIES_ON_JRC,),
    "us-federal-2025": (_CATEGORIES_ON_JRC, _FLAGS_ON_US_2024),
    "jrc-ai-watch": (_FLAGS_ON_US_2024,),
}


def prepared_after(name: str, names: list[str] | tuple[str, ...]) -> set[str]:
    """The coded inventories among ``names`` (``<inventory>-coded``) to prepare before
    ``name``: those whose coding plan (:data:`CODING_PLAN`) is a part of ``name``'s, so
    that ``name`` reuses their stored evaluations instead of waiting for them while they are
    computed (US federal 2025 after 2024, which measures its categories, and JRC AI Watch,
    which measures its flags)."""

    def steps(n: str) -> set[Step]:
        return set(CODING_PLAN.get(str(n).removesuffix(config.CODED_SUFFIX), ()))

    mine = steps(name)
    return {n for n in names if n != name and steps(n) and steps(n) < mine}


def _learning_set(step: Step, training: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(measured, others)``: the step's reference cases and those added to training."""
    inv = training["inventory"]
    others = inv.isin(step.learn_from) if step.learn_from is not None else inv != step.reference
    return training[inv == step.reference], training[others]


def _targets(wanted: tuple[str, ...], measured: pd.DataFrame, frame: Frame) -> list[str]:
    out = []
    for w in wanted:
        if w == "flags":
            out += frame.flag_keys
        elif w == "techniques":
            out += [t for t in agreement.targets(measured, frame) if t.startswith("technique:")]
        else:
            out.append(w)
    return out


@memo.cached(defaults={"frame": load_frame}, inputs=annotations.bundled_inputs)
def plan_evaluation(
    name: str,
    frame: Frame | None = None,
    folds: int = 5,
    seed: int = config.SEED,
    spec: ModelSpec | None = None,
) -> agreement.Evaluation:
    """The evaluation behind the coding of one public inventory (:data:`CODING_PLAN`):
    rules and the trained model on each step's reference, the model cross-validated with
    the step's other reference inventories added to each training fold (as in the final
    model), repeated over :data:`analysis.agreement.CV_REPEATS` fold seeds (scores are
    the mean over the repeats)."""
    frame = frame or load_frame()
    training = training_cases(frame=frame)
    parts = []
    for step in CODING_PLAN[name]:
        measured, others = _learning_set(step, training)
        parts.append(
            agreement.evaluate(
                measured,
                ("rules", "model"),
                _targets(step.wanted, measured, frame),
                spec,
                min(folds, step.most_folds or folds),
                seed,
                others if len(others) else None,
                frame,
            )
        )
    return agreement.Evaluation(
        *[
            pd.concat([getattr(p, f) for p in parts], ignore_index=True)
            for f in (
                "scores",
                "per_class",
                "confusion",
                "predictions",
                "repeat_scores",
                "repeat_predictions",
            )
        ]
    )


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

    * ``taiwan-public`` (zh-TW): category, application type, techniques and flags,
      measured on the adjudicated zh-TW annotation of its own cases
      (``taiwan-public-annotated``, :mod:`analysis.annotations`);
    * ``us-federal-2024`` (English): category and application type, measured on the
      JRC AI Watch cases' Engstrom labels;
    * ``us-federal-2025``: category and application type as 2024; the flags it does not
      report measured on the 2024 inventory's flags;
    * ``jrc-ai-watch`` (English): the six flags, measured on the US federal 2024
      inventory's flags read from its official fields.

    The model is cross-validated on the measuring inventory, the step's other reference
    inventories (:class:`Step`) added to each training fold, and the final model learns
    from the same inventories. ``choice`` of each result names the coder per field and
    the scores behind it.
    """
    frame = frame or load_frame()
    available = set(inventories.available()) | set(annotated_names())
    training = training_cases(frame=frame)
    out = {}
    for name in (n for n in PUBLIC_INVENTORIES if n in names):
        steps = CODING_PLAN[name]
        if name not in available or any(s.reference not in available for s in steps):
            continue
        evaluation = plan_evaluation(name, frame, folds, seed, spec)
        learn = pd.concat([pd.concat(_learning_set(s, training)) for s in steps])
        learn = learn.drop_duplicates(["inventory", "case_id"]).reset_index(drop=True)
        out[name] = code_with_choice(
            inventories.cases(name, frame), choose(evaluation.scores), learn, frame, spec
        )
    return out


def coded(name: str, frame: Frame | None = None) -> CodedInventory:
    """:func:`code_public` for one inventory, kept in the content-addressed cache
    (:mod:`analysis.cache`, namespace ``coded``) under a key of every input (the source this
    module can run, lock file, frame, mappings, raw data), so the costly evaluation and
    training run once, editing code it never runs (reports, statistics) keeps the result,
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
        return cache.tables_to_bytes(
            {
                "cases": c.cases,
                "codes": c.codes,
                "choice": c.choice,
                "distributions": c.distributions,
            }
        )

    def decode(data: bytes) -> CodedInventory:
        tables = cache.tables_from_bytes(data)
        return CodedInventory(
            tables["cases"],
            tables["codes"],
            tables["choice"],
            _typed_distributions(tables["distributions"]),
        )

    return cache.remember("coded", _coded_parts(name), compute, encode, decode, code=__name__)


def _coded_parts(name: str) -> tuple[str, str]:
    """The key parts of a coded inventory (``name`` with or without ``-coded``)."""
    return name.removesuffix(config.CODED_SUFFIX), data_digest()


def stored(name: str) -> bool:
    """Whether the coded inventory ``name`` (``<inventory>-coded``) is in the cache under its
    current key (:func:`coded`): a run need not prepare it. Its entry is still verified when
    read; a damaged one is computed again then."""
    if not cache.enabled():
        return False
    return cache.path("coded", cache.key("coded", *_coded_parts(name), code=__name__)).exists()


def cases_for(names: str | list[str] | tuple[str, ...], frame: Frame | None = None) -> pd.DataFrame:
    """The one way to get cases: one inventory or several pooled, each a bundled name, a
    mapping file, a name ending in ``-coded`` (e.g. ``taiwan-public-coded``), which is
    that inventory with its uncoded fields filled by :func:`coded` (``*_coded_by`` and
    ``*_confidence`` say by which coder, how sure), or a name ending in ``-annotated``
    (``taiwan-public-annotated``): the inventory with its adjudicated annotation."""
    names = [names] if isinstance(names, str) else list(names)
    tables = [
        coded(n.removesuffix(config.CODED_SUFFIX), frame).cases
        if str(n).endswith(config.CODED_SUFFIX)
        else reference_cases(n, frame)
        for n in names
    ]
    return pd.concat(tables, ignore_index=True) if len(tables) > 1 else tables[0]


def write_coded(
    name: str, coded_inventory: CodedInventory, folder: Path, frame: Frame | None = None
) -> Path:
    """Write a coded inventory as ``<folder>/coded-<name>.csv`` (canonical export with the
    ``*_coded_by`` and ``*_confidence`` columns)."""
    return canonical.write(coded_inventory.cases, Path(folder) / f"coded-{name}.csv", frame)


# -- what the coding report shows -------------------------------------------------------------
@memo.cached(defaults={"frame": load_frame}, inputs=annotations.bundled_inputs)
def plan_references(name: str, frame: Frame | None = None) -> pd.DataFrame:
    """The reference labels behind the coding of one public inventory: per step and target,
    the reference inventory, who made its labels (``coded_by``), labelled cases and the
    classes with their counts."""
    frame = frame or load_frame()
    training = training_cases(frame=frame)
    rows = []
    for step in CODING_PLAN[name]:
        reference = step.reference
        measured, _ = _learning_set(step, training)
        ys = agreement.targets(measured, frame)
        for t in _targets(step.wanted, measured, frame):
            if t not in ys:
                continue
            y = ys[t]
            field_name = "techniques" if t.startswith("technique:") else t
            by = measured.loc[y.index, coded_by_column(field_name, frame)].astype(str)
            counts = y.value_counts()
            rows.append(
                {
                    "reference": reference,
                    "target": t,
                    "coded_by": ";".join(sorted(by.unique())),
                    "n": len(y),
                    "classes": "; ".join(f"{k} {v}" for k, v in counts.items()),
                }
            )
    return pd.DataFrame(rows)


def verdict(
    scored: pd.DataFrame, choice: pd.DataFrame, language: str = config.DEFAULT_LANGUAGE
) -> pd.DataFrame:
    """A plain sentence per target on whether the chosen coder's codes are good enough to
    analyse: its score with the bootstrap interval against :data:`config.TARGET_MACRO_F1`
    (category, application type) or :data:`config.TARGET_KAPPA` (flags, techniques)."""
    rows = []
    chosen = dict(zip(choice["target"], choice["coder"]))
    for r in scored.to_dict("records"):
        if chosen.get(r["target"]) != r["coder"]:
            continue
        closed = r["target"] in ("category", "application_type")
        metric, goal = (
            ("macro_f1", config.TARGET_MACRO_F1) if closed else ("kappa", config.TARGET_KAPPA)
        )
        value, low, high = r[metric], r[f"{metric}_low"], r[f"{metric}_high"]
        ok = bool(value >= goal) if not pd.isna(value) else False
        sure = bool(low >= goal) if not pd.isna(low) else False
        rows.append(
            {
                "target": r["target"],
                "coder": r["coder"],
                "n": r["n"],
                "metric": metric,
                "value": value,
                "low": low,
                "high": high,
                "goal": goal,
                "meets_goal": ok,
                "sentence": _sentence(r, metric, value, low, high, goal, ok, sure, language),
            }
        )
    return pd.DataFrame(rows)


def _sentence(r, metric, value, low, high, goal, ok, sure, language) -> str:
    name = {"macro_f1": "macro-F1", "kappa": "κ"}[metric]
    est = "—" if pd.isna(value) else f"{value:.2f}"
    ci = "" if pd.isna(low) else f" [{low:.2f}, {high:.2f}]"
    if language == "en":
        if not ok:
            tail = "below the goal: do not analyse these codes without checking them by hand."
        elif not sure:
            tail = "meets the goal, but the interval reaches below it: analyse with care."
        else:
            tail = "good enough to analyse."
        return f"{r['coder']}: {name} {est}{ci} on {r['n']} cases (goal {goal}); {tail}"
    if not ok:
        tail = "未達標準：未經人工檢核不宜據以分析。"
    elif not sure:
        tail = "達標準，但信賴區間下限低於標準：分析時須審慎。"
    else:
        tail = "足以據以分析。"
    return f"{r['coder']}：{name} {est}{ci}，{r['n']} 案（標準 {goal}）；{tail}"


@memo.cached(defaults={"frame": load_frame}, inputs=annotations.bundled_inputs)
def technique_check(
    name: str,
    frame: Frame | None = None,
    folds: int = 5,
    seed: int = config.SEED,
    n_boot: int = config.N_BOOT,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """For an inventory whose source names one technique per case (the US 2025 inventory's
    ``classification``): the rule coder and the trained coder scored on their primary
    technique, the trained coder cross-validated with whole agencies held out
    (:func:`analysis.agreement.primary_technique`). Returns ``(scores, per_class)``;
    both empty when the inventory names no single technique per case."""
    frame = frame or load_frame()
    cases = reference_cases(name, frame)
    single = agreement.single_technique(cases, frame)
    labelled = reference_labels(cases, "techniques", frame)
    if single.empty or len(single) < len(labelled):
        return pd.DataFrame(), pd.DataFrame()
    table = agreement.primary_technique(cases, "agency", folds, seed, None, None, frame)
    per = pd.concat(
        [
            agreement.per_class(table["label"], table[f"prediction_{c}"]).assign(coder=c)
            for c in ("rules", "model")
        ],
        ignore_index=True,
    )
    return agreement.primary_technique_scores(table, n_boot, seed), per


@memo.cached(defaults={"frame": load_frame}, inputs=annotations.bundled_inputs)
def out_of_fold_cases(name: str, frame: Frame | None = None) -> pd.DataFrame:
    """An annotated inventory recoded by the coders chosen for it, each case coded only by
    a model that never saw its labels (the evaluation's out-of-fold predictions of its
    first cross-validation repeat; the rule coder has nothing to train): what the
    analyses would rest on if the cases were new.
    ``*_coded_by`` names the coder."""
    frame = frame or load_frame()
    annotated = name + config.ANNOTATED_SUFFIX
    out = reference_cases(annotated, frame).copy()
    evaluation = plan_evaluation(name, frame)
    chosen = dict(zip(*[choose(evaluation.scores)[c] for c in ("target", "coder")]))
    pred = evaluation.predictions
    pred = pred[[chosen.get(t) == c for t, c in zip(pred["target"], pred["coder"])]]
    pos = {cid: i for i, cid in zip(out.index, out["case_id"].astype(str))}
    techniques: dict[str, list[str]] = {}
    for t, cid, value in zip(pred["target"], pred["case_id"].astype(str), pred["prediction"]):
        i = pos[cid]
        if t.startswith("technique:"):
            if value == "yes":
                techniques.setdefault(cid, []).append(t.split(":", 1)[1])
            continue
        missing = pd.isna(value)
        out.at[i, t] = pd.NA if missing else ((value == "yes") if t in frame.flag_keys else value)
        out.at[i, coded_by_column(t, frame)] = pd.NA if missing else chosen[t]
    if any(t.startswith("technique:") for t in chosen):
        order = {t: k for k, t in enumerate(frame.technique_keys)}
        for cid, i in pos.items():
            found = sorted(techniques.get(cid, []), key=order.get)
            out.at[i, "techniques"] = ";".join(found) if found else pd.NA
            out.at[i, "techniques_coded_by"] = "model" if found else pd.NA
    out["inventory"] = name + "-out-of-fold"
    return canonical.coerce(out, frame)


@memo.cached(defaults={"frame": load_frame}, inputs=annotations.bundled_inputs)
def codings_compared(name: str, frame: Frame | None = None) -> dict[str, pd.DataFrame]:
    """For an inventory with an adjudicated annotation: the annotation beside the codes
    the chosen coders give each case without having seen its labels
    (:func:`out_of_fold_cases`): categories and risk prevalences (``summary``) and the
    Jaccard index of every risk pair (``pairs``). Empty when there is no annotation."""
    from . import cooccurrence, summary

    frame = frame or load_frame()
    annotated = name + config.ANNOTATED_SUFFIX
    if annotated not in annotated_names():
        return {}
    tables = {
        annotated: reference_cases(annotated, frame),
        f"{name} (automatic, out-of-fold)": out_of_fold_cases(name, frame),
    }
    return {
        "summary": summary.compare_inventories(tables, frame).set_index("inventory").T,
        "pairs": cooccurrence.pairs_side_by_side(tables, "jaccard", "pairwise", frame),
    }
