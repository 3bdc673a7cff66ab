"""Governance lens: place coded cases on the risk frameworks the study reviews (EU AI Act
tiers, US OMB M-25-21 high-impact AI, Australia's likelihood × consequence matrix, the UN's
risk categories) and turn the study's recommendations and each framework's duties into a
per-case checklist.

Every framework is a data file under ``data/frameworks/`` (one per framework, plus
``recommendations.yaml`` for the study's plan–do–check–act items). A framework has
*dimensions* (e.g. ``tier``); each dimension has ordered *levels* and ordered *rules*. A
rule is a condition on case fields → a level (or ``undetermined`` with a reason). The
placing here is generic: a new framework is a new data file.

Reading a rule set (three-valued logic): a condition is true, false or unknown (a field
that is not reported, or a column the inventory lacks). Rules are tried in order; the first
true rule decides. A rule that cannot be read (unknown) before the deciding one leaves its own
placement possible: the placement is determined only when every possible placement is the
same level; otherwise it is ``undetermined``, naming the fields that would decide it and the
levels still possible. The rubric never guesses. A leaf
may say ``if_missing: false`` where absence is meaningful (an inventory-specific column or a
free-text keyword), so that the rule simply does not apply.

Condition grammar::

    {all: [cond, ...]}  {any: [cond, ...]}  {not: cond}
    {field: F, in: [v, ...]}      # value in list; for ``techniques``: any technique in list
    {field: F, is: true|false}    # a flag (nullable boolean)
    {field: F, matches: REGEX}    # case-insensitive search in the text value
    optional on a leaf: if_missing: unknown (default) | false | true

A dimension may instead be a ``matrix`` lookup of two other dimensions (Australia's rating).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from . import config, memo
from .canonical import TECHNIQUE_SEP
from .errors import AnalysisError, InputError, input_error
from .frame import Frame, load_frame

#: libyaml's safe loader where PyYAML has it (the same documents, eight times faster).
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

FRAMEWORKS_DIR = config.FRAMEWORKS_DIR
RECOMMENDATIONS = "recommendations"
UNDETERMINED = "undetermined"
OTHERWISE = "otherwise"
MATRIX = "matrix"
#: Applicability of a checklist item to a case.
REQUIRED, CONDITIONAL, RECOMMENDED, NOT_APPLICABLE = (
    "required",
    "conditional",
    "recommended",
    "not_applicable",
)
APPLICABILITY = (REQUIRED, CONDITIONAL, RECOMMENDED)
LIST_FIELDS = ("techniques",)
_LEAF_OPS = ("in", "is", "matches")
_MISSING = {"unknown": None, "false": False, "true": True}


class FrameworkError(AnalysisError):
    """A framework data file is malformed."""


# -- conditions -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Condition:
    """A node of a rule's condition: ``op`` is all/any/not or a leaf operator."""

    op: str
    children: tuple[Condition, ...] = ()
    field: str | None = None
    value: object = None
    if_missing: bool | None = None

    def fields(self) -> set[str]:
        if self.field is not None:
            return {self.field}
        return set().union(*(c.fields() for c in self.children)) if self.children else set()


def _missing(leaf: Condition, cases: pd.DataFrame) -> pd.Series:
    return pd.Series([leaf.if_missing] * len(cases), index=cases.index, dtype=object)


def _leaf(leaf: Condition, cases: pd.DataFrame) -> pd.Series:
    """True/False/None (unknown) per case."""
    if leaf.field not in cases.columns:
        return _missing(leaf, cases)
    col = cases[leaf.field]
    present = col.notna().to_numpy()
    if leaf.op == "is":
        hit = col.fillna(False).astype(bool).to_numpy() == bool(leaf.value)
    elif leaf.op == "in":
        wanted = {str(v) for v in leaf.value}
        if leaf.field in LIST_FIELDS:
            hit = np.array(
                [
                    bool(wanted & set(str(v).split(TECHNIQUE_SEP))) if ok else False
                    for v, ok in zip(col, present)
                ]
            )
        else:
            hit = col.astype("string").fillna("").isin(wanted).to_numpy()
    else:  # matches
        pattern = leaf.value
        hit = np.array(
            [bool(pattern.search(str(v))) if ok else False for v, ok in zip(col, present)]
        )
    out = pd.Series(hit.astype(object), index=cases.index, dtype=object)
    out[~present] = leaf.if_missing
    return out


def truth(cond: Condition, cases: pd.DataFrame) -> pd.Series:
    """Evaluate a condition on every case: True, False or None (unknown), Kleene logic."""
    if cond.op in _LEAF_OPS:
        return _leaf(cond, cases)
    parts = [truth(c, cases) for c in cond.children]
    if cond.op == "not":
        return parts[0].map(lambda v: None if v is None else (not v))
    rows = list(zip(*[p.tolist() for p in parts])) if parts else [()] * len(cases)
    if cond.op == "all":
        vals = [
            False if any(v is False for v in r) else (None if any(v is None for v in r) else True)
            for r in rows
        ]
    else:  # any
        vals = [
            True if any(v is True for v in r) else (None if any(v is None for v in r) else False)
            for r in rows
        ]
    return pd.Series(vals, index=cases.index, dtype=object)


# -- the framework as data --------------------------------------------------------------------
class _Bilingual:
    """Something with ``name_zh`` and ``name_en``."""

    name_zh: str
    name_en: str

    def name(self, language: str) -> str:
        return self.name_en if language == "en" else self.name_zh


@dataclass(frozen=True)
class Level(_Bilingual):
    key: str
    name_zh: str
    name_en: str
    wording: str = "project"
    basis: str = ""
    colour: str | None = None


@dataclass(frozen=True)
class Rule:
    id: str
    when: Condition
    then: str
    basis: str = ""
    rationale_zh: str = ""
    rationale_en: str = ""
    reason_zh: str = ""
    reason_en: str = ""
    candidates: tuple[str, ...] = ()
    official: bool = False

    def text(self, language: str) -> str:
        if self.then == UNDETERMINED:
            return self.reason_en if language == "en" else self.reason_zh
        return self.rationale_en if language == "en" else self.rationale_zh


@dataclass(frozen=True)
class Dimension(_Bilingual):
    key: str
    name_zh: str
    name_en: str
    levels: tuple[Level, ...]
    rules: tuple[Rule, ...] = ()
    otherwise: Rule | None = None
    matrix: dict | None = (
        None  # {"rows": dim, "columns": dim, "cells": {row: {col: level}}, "basis": str}
    )
    extra: dict = field(default_factory=dict)

    @property
    def level_keys(self) -> list[str]:
        return [lv.key for lv in self.levels]

    def level(self, key: str) -> Level:
        for lv in self.levels:
            if lv.key == key:
                return lv
        raise KeyError(f"dimension {self.key!r} has no level {key!r}")


@dataclass(frozen=True)
class Duty(_Bilingual):
    key: str
    name_zh: str
    name_en: str
    dimension: str
    levels: tuple[str, ...]
    otherwise: str = NOT_APPLICABLE
    basis: str = ""
    holder: str = ""
    wording: str = "project"
    in_study: bool = True
    no: int | None = None
    note_zh: str = ""
    note_en: str = ""


@dataclass(frozen=True)
class Framework(_Bilingual):
    key: str
    name_zh: str
    name_en: str
    source: str
    dimensions: tuple[Dimension, ...]
    duties: tuple[Duty, ...]
    undetermined: Level
    path: Path | None = None

    def dimension(self, key: str) -> Dimension:
        for d in self.dimensions:
            if d.key == key:
                return d
        raise KeyError(f"framework {self.key!r} has no dimension {key!r}")

    def label(self, dimension: str, level: str, language: str = config.DEFAULT_LANGUAGE) -> str:
        if level == UNDETERMINED:
            return self.undetermined.name(language)
        return self.dimension(dimension).level(level).name(language)

    def colours(self, dimension: str) -> dict[str, str]:
        out = {lv.key: lv.colour for lv in self.dimension(dimension).levels if lv.colour}
        out[UNDETERMINED] = self.undetermined.colour
        return out

    def fields_read(self, official: bool | None = None) -> set[str]:
        """Case fields the rules read (``official``: only official rules, or only the others)."""
        out: set[str] = set()
        for d in self.dimensions:
            for r in d.rules:
                if official is None or r.official == official:
                    out |= r.when.fields()
        return out


def _err(path, where: str, value: object, expected: str, zh: str) -> InputError:
    return input_error(
        path, None, where, value, expected, zh, summary=f"{path}: invalid framework at {where}"
    )


#: Leaf fields whose ``in`` values must be keys of the frame, and the kind of key.
_KEYED_FIELDS = {
    "category": "category",
    "application_type": "application_type",
    "techniques": "technique",
}


def _in_value(name: str, value: object, path, where: str, frame: Frame) -> list:
    if not isinstance(value, list) or not value:
        raise _err(path, f"{where}.in", value, "a non-empty list", "非空清單")
    if name in _KEYED_FIELDS:
        kind = _KEYED_FIELDS[name]
        bad = [v for v in value if str(v) not in frame.keys(kind)]
        if bad:
            raise _err(path, f"{where}.in", bad, f"{kind} keys of the frame", "編碼架構中的代碼")
    return value


def _is_value(name: str, value: object, path, where: str, frame: Frame) -> bool:
    if not isinstance(value, bool):
        raise _err(path, f"{where}.is", value, "true or false", "true 或 false")
    if name in frame.category_keys or name in frame.technique_keys:
        raise _err(path, f"{where}.field", name, "a flag or boolean column", "風險或布林欄位")
    return value


def _matches_value(name: str, value: object, path, where: str, frame: Frame) -> re.Pattern:
    try:
        return re.compile(str(value), re.IGNORECASE)
    except re.error as exc:
        raise _err(
            path,
            f"{where}.matches",
            value,
            f"a valid regular expression ({exc})",
            "有效的正規表示式",
        ) from exc


#: The check (and conversion) of each leaf operator's value.
_LEAF_VALUES = {"in": _in_value, "is": _is_value, "matches": _matches_value}


def _leaf_condition(raw: dict, path, where: str, frame: Frame) -> Condition:
    """``{field: F, in|is|matches: V[, if_missing: M]}``."""
    ops = [k for k in _LEAF_OPS if k in raw]
    extra = sorted(set(raw) - {"field", "if_missing", *_LEAF_OPS})
    if len(ops) != 1 or extra:
        raise _err(
            path,
            where,
            raw,
            "field with exactly one of in, is, matches (and optional if_missing)",
            "field 加上 in、is、matches 其一（可加 if_missing）",
        )
    op, name = ops[0], str(raw["field"])
    missing = str(raw.get("if_missing", "unknown")).lower()
    if missing not in _MISSING:
        raise _err(
            path, f"{where}.if_missing", missing, "unknown, false or true", "unknown、false 或 true"
        )
    value = _LEAF_VALUES[op](name, raw[op], path, where, frame)
    return Condition(op, field=name, value=value, if_missing=_MISSING[missing])


def _condition(raw: object, path, where: str, frame: Frame) -> Condition:
    """A condition of the grammar in the module docstring, checked node by node."""
    if not isinstance(raw, dict) or not raw:
        raise _err(
            path,
            where,
            raw,
            "a condition mapping (all/any/not or field + in/is/matches)",
            "條件設定",
        )
    if "field" in raw:
        return _leaf_condition(raw, path, where, frame)
    if len(raw) != 1:
        raise _err(path, where, raw, "exactly one of all, any, not", "all、any、not 其一")
    ((op, body),) = raw.items()
    if op in ("all", "any"):
        if not isinstance(body, list) or not body:
            raise _err(
                path, f"{where}.{op}", body, "a non-empty list of conditions", "非空的條件清單"
            )
        return Condition(
            op, tuple(_condition(c, path, f"{where}.{op}[{i}]", frame) for i, c in enumerate(body))
        )
    if op == "not":
        return Condition("not", (_condition(body, path, f"{where}.not", frame),))
    raise _err(path, where, op, "all, any, not or field", "all、any、not 或 field")


def _level(raw: dict, path, where: str) -> Level:
    if not isinstance(raw, dict) or not all(raw.get(k) for k in ("key", "name_zh", "name_en")):
        raise _err(
            path,
            where,
            raw,
            "a level with key, name_zh, name_en",
            "含 key、name_zh、name_en 的層級",
        )
    return Level(
        str(raw["key"]),
        str(raw["name_zh"]),
        str(raw["name_en"]),
        str(raw.get("wording", "project")),
        str(raw.get("basis", "")),
        raw.get("colour"),
    )


def _rule(
    raw: dict, path, where: str, levels: list[str], frame: Frame, otherwise: bool = False
) -> Rule:
    if not isinstance(raw, dict):
        raise _err(path, where, raw, "a rule mapping", "規則設定")
    then = str(raw.get("then", ""))
    if then not in levels + [UNDETERMINED]:
        raise _err(
            path,
            f"{where}.then",
            then,
            f"one of {levels + [UNDETERMINED]}",
            "層級之一或 undetermined",
        )
    if then == UNDETERMINED and not (raw.get("reason_zh") and raw.get("reason_en")):
        raise _err(
            path,
            where,
            raw.get("id"),
            "reason_zh and reason_en for an undetermined placement",
            "無法判定時須有 reason_zh 與 reason_en",
        )
    if (
        then != UNDETERMINED
        and not otherwise
        and not (raw.get("rationale_zh") and raw.get("rationale_en"))
    ):
        raise _err(
            path,
            where,
            raw.get("id"),
            "rationale_zh and rationale_en",
            "須有 rationale_zh 與 rationale_en",
        )
    if not otherwise and not raw.get("id"):
        raise _err(path, where, raw, "an id", "規則代碼 id")
    if not otherwise and not raw.get("basis"):
        raise _err(
            path,
            where,
            raw.get("id"),
            "the article or section the rule rests on (basis)",
            "規則依據（basis）",
        )
    candidates = tuple(str(c) for c in raw.get("candidates") or [])
    bad = [c for c in candidates if c not in levels]
    if bad:
        raise _err(
            path, f"{where}.candidates", bad, f"levels of the dimension ({levels})", "該面向之層級"
        )
    when = (
        Condition("all", ())
        if otherwise
        else _condition(raw.get("when"), path, f"{where}.when", frame)
    )
    return Rule(
        id=OTHERWISE if otherwise else str(raw["id"]),
        when=when,
        then=then,
        basis=str(raw.get("basis", "")),
        rationale_zh=str(raw.get("rationale_zh", "")).strip(),
        rationale_en=str(raw.get("rationale_en", "")).strip(),
        reason_zh=str(raw.get("reason_zh", "")).strip(),
        reason_en=str(raw.get("reason_en", "")).strip(),
        candidates=candidates or (tuple(levels) if then == UNDETERMINED else ()),
        official=bool(raw.get("official", False)),
    )


def _check_header(data: object, path) -> None:
    if not isinstance(data, dict) or data.get("kind") != "framework":
        kind = (data or {}).get("kind") if isinstance(data, dict) else data
        raise _err(path, "kind", kind, "kind: framework", "kind: framework")
    for key in ("framework", "name_zh", "name_en", "dimensions", "undetermined"):
        if not data.get(key):
            raise _err(path, key, None, f"the key {key!r}", f"鍵 {key}")


def _matrix(raw: dict, path, where: str, keys: list[str], dims: list[Dimension]) -> dict:
    """A matrix lookup of two dimensions defined above: every (row, column) level pair → a level."""
    m = raw[MATRIX]
    known = {d.key: d for d in dims}
    if not isinstance(m, dict) or m.get("rows") not in known or m.get("columns") not in known:
        raise _err(
            path,
            f"{where}.matrix",
            m,
            "rows and columns naming dimensions defined above",
            "rows 與 columns 須為前面定義之面向",
        )
    rows, cols = known[m["rows"]].level_keys, known[m["columns"]].level_keys
    cells = m.get("cells") or {}
    if list(cells) != rows or any(list(cells[r] or {}) != cols for r in rows):
        raise _err(
            path,
            f"{where}.matrix.cells",
            list(cells),
            f"one row per {m['rows']} level {rows}, each with the "
            f"{m['columns']} levels {cols} in order",
            "每列一個層級，欄位依序為另一面向之層級",
        )
    bad = sorted({v for r in rows for v in cells[r].values() if v not in keys})
    if bad:
        raise _err(path, f"{where}.matrix.cells", bad, f"levels {keys}", f"層級 {keys}")
    return {
        "rows": m["rows"],
        "columns": m["columns"],
        "basis": str(m.get("basis", "")),
        "cells": {r: dict(cells[r]) for r in rows},
    }


def _rules(
    raw: dict, path, where: str, keys: list[str], frame: Frame
) -> tuple[tuple[Rule, ...], Rule]:
    """The ordered rules of a dimension (unique ids) and its ``otherwise``."""
    rules = tuple(
        _rule(r, path, f"{where}.rules[{j}]", keys, frame)
        for j, r in enumerate(raw.get("rules") or [])
    )
    ids = [r.id for r in rules]
    if len(set(ids)) != len(ids):
        raise _err(path, f"{where}.rules", ids, "unique rule ids", "不重複的規則代碼")
    if not raw.get("otherwise"):
        raise _err(
            path,
            f"{where}.otherwise",
            None,
            "what to place when no rule holds (otherwise)",
            "無規則成立時之處置（otherwise）",
        )
    return rules, _rule(raw["otherwise"], path, f"{where}.otherwise", keys, frame, otherwise=True)


def _dimension(raw: object, path, where: str, dims: list[Dimension], frame: Frame) -> Dimension:
    """One dimension: its levels and either rules or a matrix of dimensions defined before it."""
    if not isinstance(raw, dict) or not raw.get("key") or not raw.get("levels"):
        raise _err(path, where, raw, "a dimension with key and levels", "含 key 與 levels 的面向")
    levels = tuple(_level(lv, path, f"{where}.levels[{j}]") for j, lv in enumerate(raw["levels"]))
    keys = [lv.key for lv in levels]
    if len(set(keys)) != len(keys) or UNDETERMINED in keys:
        raise _err(
            path,
            f"{where}.levels",
            keys,
            "unique level keys other than 'undetermined'",
            "不重複的層級代碼",
        )
    extra = {
        k: v
        for k, v in raw.items()
        if k not in ("key", "name_zh", "name_en", "levels", "rules", "otherwise", "matrix")
    }
    names = (
        str(raw["key"]),
        str(raw.get("name_zh", raw["key"])),
        str(raw.get("name_en", raw["key"])),
    )
    if MATRIX in raw:
        return Dimension(*names, levels, matrix=_matrix(raw, path, where, keys, dims), extra=extra)
    rules, otherwise = _rules(raw, path, where, keys, frame)
    return Dimension(*names, levels, rules, otherwise, extra=extra)


def _duty(raw: object, path, where: str, dims: list[Dimension]) -> Duty:
    """A duty: which levels of which dimension bring it, and what it is otherwise."""
    applies = (raw.get("applies") if isinstance(raw, dict) else None) or {}
    dim_keys = [d.key for d in dims]
    if (
        not isinstance(raw, dict)
        or not raw.get("key")
        or not raw.get("name_zh")
        or not raw.get("name_en")
        or applies.get("dimension") not in dim_keys
    ):
        raise _err(
            path,
            where,
            raw,
            "a duty with key, name_zh, name_en and applies: {dimension, in}",
            "含 key、名稱與 applies 的義務",
        )
    lv = [str(v) for v in applies.get("in") or []]
    dim = dims[dim_keys.index(applies["dimension"])]
    if not lv or any(v not in dim.level_keys for v in lv):
        raise _err(
            path,
            f"{where}.applies.in",
            lv,
            f"levels of {dim.key} ({dim.level_keys})",
            "該面向之層級",
        )
    otherwise = str(raw.get("otherwise", NOT_APPLICABLE))
    if otherwise not in (NOT_APPLICABLE, RECOMMENDED):
        raise _err(
            path,
            f"{where}.otherwise",
            otherwise,
            "not_applicable or recommended",
            "not_applicable 或 recommended",
        )
    return Duty(
        str(raw["key"]),
        str(raw["name_zh"]),
        str(raw["name_en"]),
        dim.key,
        tuple(lv),
        otherwise,
        str(raw.get("basis", "")),
        str(raw.get("holder", "")),
        str(raw.get("wording", "project")),
        bool(raw.get("in_study", True)),
        raw.get("number"),
        str(raw.get("note_zh", "")),
        str(raw.get("note_en", "")),
    )


def parse_framework(
    data: dict, path: Path | str = "<framework>", frame: Frame | None = None
) -> Framework:
    """Validate the parsed YAML of a framework file and build a :class:`Framework`."""
    frame = frame or load_frame()
    _check_header(data, path)
    undetermined = _level({"key": UNDETERMINED, **data["undetermined"]}, path, "undetermined")
    dims: list[Dimension] = []
    for i, raw in enumerate(data["dimensions"]):
        dims.append(_dimension(raw, path, f"dimensions[{i}]", dims, frame))
    duties = [
        _duty(raw, path, f"duties[{i}]", dims) for i, raw in enumerate(data.get("duties") or [])
    ]
    return Framework(
        str(data["framework"]),
        str(data["name_zh"]),
        str(data["name_en"]),
        str(data.get("source", "")).strip(),
        tuple(dims),
        tuple(duties),
        undetermined,
        Path(path) if path else None,
    )


def _read_yaml(path: Path) -> dict:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)
    except FileNotFoundError as exc:
        raise input_error(
            path,
            None,
            None,
            None,
            f"an existing framework file ({', '.join(available())})",
            "存在的架構檔",
        ) from exc
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise input_error(
            path, None, None, type(exc).__name__, f"a UTF-8 YAML file ({exc})", "UTF-8 YAML 檔"
        ) from exc


def _path(name_or_path: str | Path) -> Path:
    p = Path(name_or_path)
    return p if p.suffix in (".yaml", ".yml") else FRAMEWORKS_DIR / f"{name_or_path}.yaml"


@lru_cache(maxsize=32)
def _load(path: str, mtime: float, frame_path: str) -> Framework:
    return parse_framework(_read_yaml(Path(path)), Path(path), load_frame(frame_path))


def load_framework(name_or_path: str | Path, frame: Frame | None = None) -> Framework:
    """A bundled framework by name (``eu_ai_act``, ...) or any framework file."""
    frame = frame or load_frame()
    p = _path(name_or_path)
    if not p.exists():
        raise input_error(
            p,
            None,
            None,
            str(name_or_path),
            f"a bundled framework ({', '.join(available())}) or a file path",
            f"內建架構（{', '.join(available())}）或檔案路徑",
        )
    return _load(str(p), p.stat().st_mtime, str(frame.path))


def available() -> list[str]:
    """Names of the bundled frameworks, in file-name order."""
    return sorted(p.stem for p in FRAMEWORKS_DIR.glob("*.yaml") if p.stem != RECOMMENDATIONS)


def load_all(frame: Frame | None = None) -> list[Framework]:
    return [load_framework(n, frame) for n in available()]


def recommendations(path: Path | None = None) -> pd.DataFrame:
    """The study's recommendations, one row per item: phase (plan/do/check/act, PDCA order),
    phase names, item number and wording."""
    path = path or FRAMEWORKS_DIR / f"{RECOMMENDATIONS}.yaml"
    data = _read_yaml(path)
    if (
        not isinstance(data, dict)
        or data.get("kind") != "recommendations"
        or not data.get("phases")
    ):
        raise _err(
            path,
            "kind",
            None,
            "kind: recommendations with phases",
            "kind: recommendations 與 phases",
        )
    rows = []
    for phase in data["phases"]:
        for item in phase.get("items") or []:
            rows.append(
                {
                    "phase": phase["key"],
                    "phase_zh": phase["name_zh"],
                    "phase_en": phase["name_en"],
                    "order_in_text": int(phase["order_in_text"]),
                    "no": int(item["number"]),
                    "name_zh": str(item["name_zh"]),
                    "name_en": str(item["name_en"]),
                }
            )
    return pd.DataFrame(rows)


# -- placing cases ----------------------------------------------------------------------------
PLACEMENT_COLUMNS = [
    "inventory",
    "case_id",
    "framework",
    "dimension",
    "placement",
    "rule",
    "matched_rules",
    "basis",
    "candidates",
    "explanation",
]


def _blocked_text(rule: Rule, fields: list[str], language: str) -> str:
    f = ", ".join(fields) if fields else "?"
    if language == "en":
        return (
            f"Rule {rule.id} ({rule.basis}) cannot be evaluated: "
            f"{f} not reported or not in this inventory."
        )
    return f"規則 {rule.id}（{rule.basis}）無法判讀：{f} 未報告或此盤點無此欄位。"


def _unknown_fields(cond: Condition, cases: pd.DataFrame, i: int) -> list[str]:
    out = []
    for name in sorted(cond.fields()):
        if name not in cases.columns or pd.isna(cases[name].iloc[i]):
            out.append(name)
    return out


def _outcomes(rule: Rule) -> set[str]:
    return set(rule.candidates) if rule.then == UNDETERMINED else {rule.then}


def _place_by_rules(
    cases: pd.DataFrame, dim: Dimension, rules: tuple[Rule, ...], language: str
) -> list[dict]:
    """First true rule decides. A rule that cannot be read (unknown) is passed over but
    remembered: its placement stays possible. The placement is determined only when every
    possible outcome (unread rules met first, then the deciding rule) is the same level."""
    truths = [truth(r.when, cases).tolist() for r in rules]
    out = []
    for i in range(len(cases)):
        matched = [r.id for r, t in zip(rules, truths) if t[i] is True]
        blocked, decider = [], dim.otherwise
        for r, t in zip(rules, truths):
            if t[i] is True:
                decider = r
                break
            if t[i] is None:
                blocked.append(r)
        outcomes = set().union(*(_outcomes(r) for r in blocked + [decider]))
        undecided = decider.then == UNDETERMINED or any(r.then == UNDETERMINED for r in blocked)
        if not undecided and len(outcomes) == 1:
            rule, placement, text, candidates = decider, decider.then, decider.text(language), ()
        elif blocked:
            first = blocked[0]
            text = " ".join(
                [_blocked_text(first, _unknown_fields(first.when, cases, i), language)]
                + ([decider.text(language)] if decider.then == UNDETERMINED else [])
            )
            rule, placement = first, UNDETERMINED
            candidates = tuple(k for k in dim.level_keys if k in outcomes)
        else:
            rule, placement, text, candidates = (
                decider,
                UNDETERMINED,
                decider.text(language),
                decider.candidates,
            )
        out.append(
            {
                "dimension": dim.key,
                "placement": placement,
                "rule": rule.id,
                "matched_rules": ";".join(matched),
                "basis": rule.basis,
                "candidates": ";".join(candidates) if placement == UNDETERMINED else "",
                "explanation": text,
            }
        )
    return out


def _place_by_matrix(
    dim: Dimension, earlier: dict[str, list[dict]], n: int, language: str
) -> list[dict]:
    m = dim.matrix
    rows, cols = earlier[m["rows"]], earlier[m["columns"]]
    out = []
    for i in range(n):
        r, c = rows[i]["placement"], cols[i]["placement"]
        row_opts = rows[i]["candidates"].split(";") if r == UNDETERMINED else [r]
        col_opts = cols[i]["candidates"].split(";") if c == UNDETERMINED else [c]
        possible = sorted(
            {m["cells"][rr][cc] for rr in row_opts for cc in col_opts}, key=dim.level_keys.index
        )
        if (r == UNDETERMINED or c == UNDETERMINED) and len(possible) > 1:
            which = [d for d, v in ((m["rows"], r), (m["columns"], c)) if v == UNDETERMINED]
            text = (
                f"{' and '.join(which)} undetermined, so the matrix cannot be read."
                if language == "en"
                else f"{'、'.join(which)}無法判定，無從查矩陣。"
            )
            out.append(
                {
                    "dimension": dim.key,
                    "placement": UNDETERMINED,
                    "rule": MATRIX,
                    "matched_rules": "",
                    "basis": m["basis"],
                    "candidates": ";".join(possible),
                    "explanation": text,
                }
            )
        else:
            level = possible[0]
            lookup = (
                f"{m['rows']} {'/'.join(row_opts)} × {m['columns']} {'/'.join(col_opts)} → {level}"
            )
            text = lookup if language == "en" else f"{lookup}（矩陣）"
            out.append(
                {
                    "dimension": dim.key,
                    "placement": level,
                    "rule": MATRIX,
                    "matched_rules": MATRIX,
                    "basis": m["basis"],
                    "candidates": "",
                    "explanation": text,
                }
            )
    return out


@memo.cached
def place_cases(
    cases: pd.DataFrame,
    framework: Framework,
    language: str = config.DEFAULT_LANGUAGE,
    exclude_fields: tuple[str, ...] | list[str] = (),
    official_only: bool = False,
) -> pd.DataFrame:
    """Place every case on every dimension of ``framework``.

    Returns one row per case and dimension (columns :data:`PLACEMENT_COLUMNS`):
    ``placement`` is a level key or ``undetermined``; ``rule`` the rule that decided (or was
    blocked by an unreported field, or ``otherwise``); ``matched_rules`` every rule whose
    condition holds; ``candidates`` the levels still possible when undetermined;
    ``explanation`` the rule's rationale, or the reason the placement is undetermined.

    ``exclude_fields`` are read as if the inventory did not have them (a rubric variant,
    e.g. one that must not read an inventory's own classification, nor flags derived from
    it); ``official_only`` keeps only rules marked ``official`` (the inventory's own answer).
    """
    if language not in config.LANGUAGES:
        raise AnalysisError(f"language {language!r}: expected one of {', '.join(config.LANGUAGES)}")
    cases = cases.drop(columns=[c for c in exclude_fields if c in cases.columns]).reset_index(
        drop=True
    )
    per_dim: dict[str, list[dict]] = {}
    for dim in framework.dimensions:
        if dim.matrix is not None:
            per_dim[dim.key] = _place_by_matrix(dim, per_dim, len(cases), language)
            continue
        rules = tuple(r for r in dim.rules if r.official or not official_only)
        per_dim[dim.key] = _place_by_rules(cases, dim, rules, language)
    rows = []
    inventory = (
        cases["inventory"].to_numpy(dtype=object) if "inventory" in cases else [pd.NA] * len(cases)
    )
    case_id = cases["case_id"].to_numpy(dtype=object)
    for dim in framework.dimensions:
        for i, rec in enumerate(per_dim[dim.key]):
            rows.append(
                {
                    "inventory": inventory[i],
                    "case_id": case_id[i],
                    "framework": framework.key,
                    **rec,
                }
            )
    out = pd.DataFrame(rows, columns=PLACEMENT_COLUMNS)
    order = {d.key: j for j, d in enumerate(framework.dimensions)}
    out["_d"] = out["dimension"].map(order)
    out = out.sort_values(["inventory", "case_id", "_d"], kind="stable").drop(columns="_d")
    return out.reset_index(drop=True).astype("string")


def assess(
    cases: pd.DataFrame,
    frameworks: list[Framework] | None = None,
    language: str = config.DEFAULT_LANGUAGE,
) -> pd.DataFrame:
    """:func:`place_cases` for several frameworks (all bundled ones by default), stacked."""
    frameworks = frameworks if frameworks is not None else load_all()
    return pd.concat([place_cases(cases, fw, language) for fw in frameworks], ignore_index=True)


def wide(placements: pd.DataFrame) -> pd.DataFrame:
    """One row per case: a ``<framework>.<dimension>`` column with each placement and a
    ``… rule`` column with the deciding rule (in the placements' framework/dimension order)."""
    p = placements.copy()
    p["col"] = p["framework"] + "." + p["dimension"]
    order = list(dict.fromkeys(p["col"]))
    place = p.pivot_table(
        index=["inventory", "case_id"], columns="col", values="placement", aggfunc="first"
    )
    rule = p.pivot_table(
        index=["inventory", "case_id"], columns="col", values="rule", aggfunc="first"
    )
    cols = {}
    for c in order:
        cols[c] = place[c]
        cols[f"{c}.rule"] = rule[c]
    return pd.DataFrame(cols).reset_index().astype("string")


@memo.cached
def labelled_placements(
    placements: pd.DataFrame,
    frameworks: list[Framework],
    language: str = config.DEFAULT_LANGUAGE,
    cases: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Placements with framework, dimension and level names in ``language`` (the levels
    still possible, ``candidates``, too), and case names."""
    by_key = {fw.key: fw for fw in frameworks}
    out = placements.copy()
    sep = "; " if language == "en" else "、"
    out["candidates"] = [
        sep.join(by_key[f].label(d, v, language) for v in c.split(";"))
        if isinstance(c, str) and c
        else c
        for f, d, c in zip(
            placements["framework"], placements["dimension"], placements["candidates"]
        )
    ]
    out["placement"] = [
        by_key[f].label(d, v, language)
        for f, d, v in zip(
            placements["framework"], placements["dimension"], placements["placement"]
        )
    ]
    out["dimension"] = [
        by_key[f].dimension(d).name(language)
        for f, d in zip(placements["framework"], placements["dimension"])
    ]
    out["framework"] = [by_key[f].name(language) for f in placements["framework"]]
    if cases is not None:
        names = cases.set_index(["inventory", "case_id"])["name"]
        out.insert(
            2,
            "name",
            [
                names.get((i, c), pd.NA)
                for i, c in zip(placements["inventory"], placements["case_id"])
            ],
        )
    return out


# -- summaries --------------------------------------------------------------------------------
def placement_counts(
    placements: pd.DataFrame, framework: Framework, dimension: str
) -> pd.DataFrame:
    """Cases per level of one dimension (every level, zeros included, then undetermined)."""
    sub = placements[
        (placements["framework"] == framework.key) & (placements["dimension"] == dimension)
    ]
    counts = sub["placement"].value_counts()
    levels = framework.dimension(dimension).level_keys + [UNDETERMINED]
    return pd.DataFrame({"placement": levels, "cases": [int(counts.get(k, 0)) for k in levels]})


def matrix_counts(
    placements: pd.DataFrame, framework: Framework, dimension: str = "rating"
) -> pd.DataFrame:
    """Cases per cell of a matrix dimension: one row per (row level, column level) with the
    cell's level from the matrix and the number of cases placed there, in matrix order."""
    dim = framework.dimension(dimension)
    if dim.matrix is None:
        raise AnalysisError(f"{framework.key}.{dimension} is not a matrix dimension")
    m = dim.matrix
    sub = placements[placements["framework"] == framework.key]
    per = sub.pivot_table(index="case_id", columns="dimension", values="placement", aggfunc="first")
    pairs = per[[m["rows"], m["columns"]]].value_counts() if len(per) else pd.Series(dtype=int)
    rows = []
    for r, cols in m["cells"].items():
        for c, level in cols.items():
            rows.append(
                {
                    m["rows"]: r,
                    m["columns"]: c,
                    dimension: level,
                    "cases": int(pairs.get((r, c), 0)),
                }
            )
    return pd.DataFrame(rows)


def by_category(
    placements: pd.DataFrame,
    cases: pd.DataFrame,
    framework: Framework,
    dimension: str,
    frame: Frame | None = None,
) -> pd.DataFrame:
    """Cases per (category, level) of one dimension, every category and level in order
    (uncoded cases as category NA), zeros included."""
    frame = frame or load_frame()
    sub = placements[
        (placements["framework"] == framework.key) & (placements["dimension"] == dimension)
    ]
    cat = cases.set_index(["inventory", "case_id"])["category"]
    cats = [cat.get((i, c), pd.NA) for i, c in zip(sub["inventory"], sub["case_id"])]
    keyed = pd.DataFrame(
        {
            "category": pd.Series(cats, dtype="string").fillna("\x00"),
            "placement": sub["placement"].to_numpy(),
        }
    )
    counts = keyed.value_counts()
    levels = framework.dimension(dimension).level_keys + [UNDETERMINED]
    rows = []
    for c in frame.category_keys + [None]:
        for lv in levels:
            rows.append(
                {
                    "category": c,
                    "placement": lv,
                    "cases": int(counts.get((c if c else "\x00", lv), 0)),
                }
            )
    out = pd.DataFrame(rows)
    has = out.groupby("category", dropna=False)["cases"].transform("sum") > 0
    return out[has | out["category"].notna()].reset_index(drop=True)


def _placement_index(placements: pd.DataFrame) -> dict[tuple, dict]:
    """(inventory, case_id, framework, dimension) → the placement row as a dict."""
    keys = zip(
        placements["inventory"],
        placements["case_id"],
        placements["framework"],
        placements["dimension"],
    )
    return dict(zip(keys, placements.to_dict("records")))


# -- checklists -------------------------------------------------------------------------------
CHECKLIST_COLUMNS = [
    "inventory",
    "case_id",
    "name",
    "source",
    "group",
    "item_no",
    "item_key",
    "item",
    "basis",
    "holder",
    "wording",
    "applies",
    "because",
    "status",
    "notes",
]


def duty_applicability(duty: Duty, placement: str, candidates: str) -> str:
    """required / conditional / recommended / not_applicable for one duty and placement."""
    if placement in duty.levels:
        return REQUIRED
    if placement == UNDETERMINED and set(str(candidates).split(";")) & set(duty.levels):
        return CONDITIONAL
    return duty.otherwise


def _recommendation_rows(recs: pd.DataFrame, targets: list[tuple], en: bool) -> list[dict]:
    return [
        {
            "inventory": inv,
            "case_id": cid,
            "name": name,
            "source": "研究建議 · study" if not en else "Study recommendations",
            "group": rec.phase_en if en else rec.phase_zh,
            "item_no": rec.no,
            "item_key": f"{rec.phase}_{rec.no}",
            "item": rec.name_en if en else rec.name_zh,
            "basis": "",
            "holder": "agency",
            "wording": "study",
            "applies": RECOMMENDED,
            "because": "",
        }
        for inv, cid, name in targets
        for rec in recs.itertuples(index=False)
    ]


@memo.cached(defaults={"recs": recommendations})
def checklist(
    cases: pd.DataFrame,
    placements: pd.DataFrame,
    frameworks: list[Framework],
    recs: pd.DataFrame | None = None,
    language: str = config.DEFAULT_LANGUAGE,
    include_not_applicable: bool = False,
    recommendations_once: bool = False,
) -> pd.DataFrame:
    """Per case, the study's recommendations (every case: ``recommended``) and each
    framework's duties with their applicability: ``required`` (the case's placement brings
    it), ``conditional`` (placement undetermined, one of the candidate levels brings it),
    ``recommended`` (voluntary). ``status`` and ``notes`` are left blank for the agency.
    With ``recommendations_once`` the study's (agency-wide) recommendations are listed once
    per inventory, under case_id ``*``, instead of for every case (large inventories).
    Stored (:mod:`analysis.memo`; ``recs`` left None is the bundled recommendations, read
    before the key is made): a large inventory's checklist takes seconds."""
    en = language == "en"
    cases = cases.reset_index(drop=True)
    index = _placement_index(placements)
    rows = []
    if recommendations_once:
        rows += _recommendation_rows(
            recs, [(inv, "*", "") for inv in sorted(set(cases["inventory"]))], en
        )
    for inv, cid, name in zip(cases["inventory"], cases["case_id"], cases["name"]):
        if not recommendations_once:
            rows += _recommendation_rows(recs, [(inv, cid, name)], en)
        for fw in frameworks:
            for j, duty in enumerate(fw.duties, start=1):
                p = index.get((inv, cid, fw.key, duty.dimension))
                if p is None:
                    continue
                applies = duty_applicability(duty, p["placement"], p["candidates"])
                if applies == NOT_APPLICABLE and not include_not_applicable:
                    continue
                level = fw.label(duty.dimension, p["placement"], language)
                because = f"{fw.dimension(duty.dimension).name(language)}: {level} ({p['rule']})"
                note = duty.note_en if en else duty.note_zh
                rows.append(
                    {
                        "inventory": inv,
                        "case_id": cid,
                        "name": name,
                        "source": fw.name(language),
                        "group": fw.dimension(duty.dimension).name(language),
                        "item_no": duty.no or j,
                        "item_key": duty.key,
                        "item": duty.name(language) + (f" — {note}" if note else ""),
                        "basis": duty.basis,
                        "holder": duty.holder,
                        "wording": duty.wording if duty.in_study else "not in study",
                        "applies": applies,
                        "because": because,
                    }
                )
    out = pd.DataFrame(rows, columns=CHECKLIST_COLUMNS[:-2])
    out["status"], out["notes"] = "", ""
    return out.astype({"item_no": "int64"})


def tier_checklist(
    framework: Framework,
    dimension: str,
    level: str,
    recs: pd.DataFrame | None = None,
    language: str = config.DEFAULT_LANGUAGE,
) -> pd.DataFrame:
    """The items that apply to any case placed at ``level``: the framework's duties with
    their applicability at that level (not-applicable ones left out) plus the study's
    recommendations."""
    dim = framework.dimension(dimension)
    if level not in dim.level_keys + [UNDETERMINED]:
        raise AnalysisError(
            f"{framework.key}.{dimension}: no level {level!r} (levels: {', '.join(dim.level_keys)})"
        )
    case = pd.DataFrame(
        {
            "inventory": ["-"],
            "case_id": [level],
            "name": [framework.label(dimension, level, language)],
        }
    )
    candidates = ";".join(dim.level_keys) if level == UNDETERMINED else ""
    placements = pd.DataFrame(
        {
            "inventory": ["-"] * len(framework.dimensions),
            "case_id": [level] * len(framework.dimensions),
            "framework": framework.key,
            "dimension": [d.key for d in framework.dimensions],
            "placement": [
                level if d.key == dimension else UNDETERMINED for d in framework.dimensions
            ],
            "rule": "-",
            "candidates": [candidates if d.key == dimension else "" for d in framework.dimensions],
        }
    )
    table = checklist(case, placements, [framework], recs, language)
    return table.drop(columns=["inventory", "case_id", "name", "because"]).reset_index(drop=True)


def checklist_sheets(
    table: pd.DataFrame, language: str = config.DEFAULT_LANGUAGE
) -> dict[str, pd.DataFrame]:
    """Workbook sheets for an agency to fill in: the checklist (status, notes blank) and a
    legend of the applicability values."""
    en = language == "en"
    legend = pd.DataFrame(
        {
            "applies": [REQUIRED, CONDITIONAL, RECOMMENDED],
            "meaning": (
                [
                    "the case's placement brings the duty",
                    "the placement is undetermined; "
                    "the duty applies if it resolves to a level that brings it",
                    "voluntary or agency-wide good practice",
                ]
                if en
                else [
                    "案例之定位即帶來此義務",
                    "定位無法判定；若判定為帶來此義務之層級則適用",
                    "自願遵循或機關層級之良好做法",
                ]
            ),
        }
    )
    return {"checklist": table.reset_index(drop=True), "legend": legend}


# -- validation against an official answer ---------------------------------------------------
def agreement(rubric: pd.DataFrame, official: pd.DataFrame) -> pd.DataFrame:
    """Agreement of two placements of the same dimension (e.g. a rubric variant and the
    inventory's own classification), on the cases both determine: cases compared, share
    agreeing and Cohen's κ (scikit-learn), plus how many each left undetermined."""
    from sklearn.metrics import cohen_kappa_score

    a = rubric.set_index(["inventory", "case_id"])["placement"]
    b = official.set_index(["inventory", "case_id"])["placement"]
    both = pd.concat([a.rename("rubric"), b.rename("official")], axis=1, join="inner")
    det = both[(both["rubric"] != UNDETERMINED) & (both["official"] != UNDETERMINED)]
    n = len(det)
    agree = float((det["rubric"] == det["official"]).mean()) if n else float("nan")
    labels = sorted(set(det["rubric"]) | set(det["official"]))
    kappa = (
        float(cohen_kappa_score(det["rubric"], det["official"], labels=labels))
        if n and len(labels) > 1
        else float("nan")
    )
    return pd.DataFrame(
        [
            {
                "cases": len(both),
                "compared": n,
                "rubric_undetermined": int((both["rubric"] == UNDETERMINED).sum()),
                "official_undetermined": int((both["official"] == UNDETERMINED).sum()),
                "agreement": agree,
                "kappa": kappa,
            }
        ]
    )


def placement_confusion(rubric: pd.DataFrame, official: pd.DataFrame) -> pd.DataFrame:
    """Cross-tabulation of rubric (rows) against official (columns) placements of the same
    cases, undetermined included."""
    a = rubric.set_index(["inventory", "case_id"])["placement"].rename("rubric")
    b = official.set_index(["inventory", "case_id"])["placement"].rename("official")
    both = pd.concat([a, b], axis=1, join="inner")
    return pd.crosstab(both["rubric"], both["official"])


def derived_from(mapping, field_name: str) -> list[str]:
    """Canonical columns a mapping derives from any native column that ``field_name`` reads
    (``mapping``: an :class:`analysis.mapping.Mapping`); e.g. the flags an inventory reads
    from the same column as its official classification. Used to keep a validation
    rubric from reading its own answer."""
    specs = {**mapping.fields, **mapping.flags, **mapping.extras}
    if field_name not in specs:
        raise AnalysisError(f"{mapping.inventory}: no field {field_name!r} in the mapping")
    source = set(specs[field_name].columns)
    return sorted(
        name for name, spec in specs.items() if name != field_name and source & set(spec.columns)
    )


def must_not_read(framework: Framework, mapping) -> list[str]:
    """The fields a validation rubric must not read on an inventory (``mapping``: its
    :class:`analysis.mapping.Mapping`): the framework's official fields the inventory has,
    and every field its mapping derives from the same native columns."""
    specs = {**mapping.fields, **mapping.flags, **mapping.extras}
    official = sorted(framework.fields_read(official=True) & set(specs))
    return sorted({*official, *(d for f in official for d in derived_from(mapping, f))})


@memo.cached
def validation_table(
    cases: pd.DataFrame,
    framework: Framework,
    variants: dict[str, list[str]],
    language: str = config.DEFAULT_LANGUAGE,
) -> pd.DataFrame:
    """:func:`agreement` of each rubric variant (name → fields it must not read) against the
    framework's official rules (the inventory's own answer), one row per variant. A variant
    must exclude every official field the cases have (an official field of another
    inventory, absent from these cases, cannot be read anyway)."""
    official = place_cases(cases, framework, language, official_only=True)
    official_fields = framework.fields_read(official=True) & set(cases.columns)
    rows = []
    for name, excluded in variants.items():
        if official_fields - set(excluded):
            raise AnalysisError(
                f"variant {name!r} would read the official answer: exclude "
                f"{sorted(official_fields)}"
            )
        variant = place_cases(cases, framework, language, exclude_fields=excluded)
        stats = agreement(variant, official).iloc[0].to_dict()
        rows.append({"variant": name, "excluded": ";".join(excluded), **stats})
    ints = ["cases", "compared", "rubric_undetermined", "official_undetermined"]
    return pd.DataFrame(rows).astype({c: "int64" for c in ints})


# -- display tables ------------------------------------------------------------------------------
def rules_table(framework: Framework, language: str = config.DEFAULT_LANGUAGE) -> pd.DataFrame:
    """Every rule of a framework in evaluation order: dimension, rule id, the placement it
    gives, the fields it reads, its basis and its rationale (or reason when undetermined)."""
    rows = []
    for d in framework.dimensions:
        if d.matrix is not None:
            rows.append(
                {
                    "dimension": d.name(language),
                    "rule": MATRIX,
                    "official": False,
                    "placement": " × ".join(
                        framework.dimension(k).name(language)
                        for k in (d.matrix["rows"], d.matrix["columns"])
                    ),
                    "fields": "",
                    "basis": d.matrix["basis"],
                    "explanation": "",
                }
            )
            continue
        for r in (*d.rules, d.otherwise):
            rows.append(
                {
                    "dimension": d.name(language),
                    "rule": r.id,
                    "official": r.official,
                    "placement": framework.label(d.key, r.then, language),
                    "fields": ";".join(sorted(r.when.fields())),
                    "basis": r.basis,
                    "explanation": r.text(language),
                }
            )
    return pd.DataFrame(rows)


@memo.cached
def case_table(
    cases: pd.DataFrame,
    placements: pd.DataFrame,
    frameworks: list[Framework],
    language: str = config.DEFAULT_LANGUAGE,
    rules: bool = True,
) -> pd.DataFrame:
    """One row per case: its name and, per framework dimension, the placement label with the
    deciding rule in brackets (column names: framework · dimension, in ``language``); with
    ``rules=False`` the label alone (a reader's table: the rules are in
    :func:`labelled_placements`)."""
    by_key = {fw.key: fw for fw in frameworks}
    out = (
        cases[["inventory", "case_id", "name"]]
        .sort_values(["inventory", "case_id"], kind="stable")
        .reset_index(drop=True)
    )
    keyed = _placement_index(placements)
    for fw in frameworks:
        for d in fw.dimensions:
            col = f"{fw.name(language)} · {d.name(language)}"
            values = []
            for inv, cid in zip(out["inventory"], out["case_id"]):
                p = keyed[(inv, cid, fw.key, d.key)]
                label = by_key[fw.key].label(d.key, p["placement"], language)
                values.append(f"{label} [{p['rule']}]" if rules else label)
            out[col] = values
    return out


def checklist_counts(table: pd.DataFrame) -> pd.DataFrame:
    """Checklist items per case and applicability (required, conditional, recommended)."""
    counts = table.pivot_table(
        index=["inventory", "case_id", "name"],
        columns="applies",
        values="item_key",
        aggfunc="count",
        fill_value=0,
    )
    return (
        counts.reindex(columns=list(APPLICABILITY), fill_value=0)
        .reset_index()
        .rename_axis(columns=None)
    )
