"""The coding frame: categories, application types, risk flags and techniques.

Loaded from ``data/frame/frame.yaml`` (see :data:`analysis.config.FRAME_FILE`) and
validated here. This module is the only reader of that file; everything else asks a
:class:`Frame` for keys, labels, order and colours.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import ClassVar

import yaml

from . import config
from .errors import FrameError
from .textnorm import fold, normalise, split_outside_brackets, split_qualifier

#: libyaml's safe loader where PyYAML has it (the same documents, eight times faster).
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

KINDS = ("category", "application_type", "flag", "technique")
YES, NO, NOT_REPORTED = "yes", "no", "not_reported"
_HEX = re.compile(r"^#[0-9A-Fa-f]{6}$")
_KEY = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Entry:
    """One category, application type, flag or technique."""

    kind: str
    key: str
    name_zh: str
    name_en: str
    definition_zh: str = ""
    definition_en: str = ""
    colour: str | None = None
    synonyms: tuple[str, ...] = ()
    category: str | None = None  # application types only
    in_study: bool | None = None  # techniques only
    labels_outside_frame: tuple[str, ...] = ()

    def name(self, language: str) -> str:
        return self.name_en if language == "en" else self.name_zh


@dataclass(frozen=True)
class TechniqueParse:
    """Result of parsing a free-text technique cell."""

    keys: tuple[str, ...]
    unknown: tuple[str, ...] = ()
    qualifiers: tuple[str, ...] = ()
    not_reported: bool = False


@dataclass(frozen=True)
class Frame:
    """The validated coding frame."""

    path: Path
    entries: dict[str, tuple[Entry, ...]]
    tick_values: dict[str, frozenset[str]]
    technique_separators: tuple[str, ...]
    headings: dict[str, dict[str, str]] = field(default_factory=dict)
    _index: dict[str, dict[str, str]] = field(repr=False, default_factory=dict)
    #: ``coding_vocabulary`` section: kind -> key -> language ("zh"/"en") -> terms.
    vocabulary: dict[str, dict[str, dict[str, tuple[str, ...]]]] = field(default_factory=dict)
    #: ``phrases`` section: words the analyses write into result cells (test names,
    #: reasons), as ``(regular expression, {"zh": ..., "en": ...})``; ``{n}`` in a phrase is
    #: a number, captured by the expression.
    phrases: tuple[tuple[str, dict[str, str]], ...] = ()
    #: A frame is not changed once made, so :mod:`analysis.cache` works out its content for
    #: a key once (the key of every stored result computed with a frame).
    DIGEST_FIXED: ClassVar[bool] = True

    # -- ordered keys -------------------------------------------------------------
    def keys(self, kind: str) -> list[str]:
        return [e.key for e in self.entries[kind]]

    @property
    def category_keys(self) -> list[str]:
        return self.keys("category")

    @property
    def application_type_keys(self) -> list[str]:
        return self.keys("application_type")

    @property
    def flag_keys(self) -> list[str]:
        return self.keys("flag")

    @property
    def technique_keys(self) -> list[str]:
        return self.keys("technique")

    def entry(self, kind: str, key: str) -> Entry:
        for e in self.entries[kind]:
            if e.key == key:
                return e
        raise KeyError(f"no {kind} with key {key!r} in the frame")

    # -- labels, colours ----------------------------------------------------------
    def label(self, kind: str, key: str, language: str = config.DEFAULT_LANGUAGE) -> str:
        return self.entry(kind, key).name(language)

    def labels(self, kind: str, language: str = config.DEFAULT_LANGUAGE) -> dict[str, str]:
        return {e.key: e.name(language) for e in self.entries[kind]}

    def colours(self, kind: str) -> dict[str, str]:
        return {e.key: e.colour for e in self.entries[kind] if e.colour}

    def heading(self, key: str, language: str = config.DEFAULT_LANGUAGE) -> str:
        """Column heading for a table (the study's wording in zh-TW)."""
        if key not in self.headings:
            raise KeyError(f"no heading {key!r} in the frame")
        return self.headings[key]["en" if language == "en" else "zh"]

    def terms(self, kind: str, key: str) -> dict[str, tuple[str, ...]]:
        """The rule coder's vocabulary for one entry: ``{"zh": (...), "en": (...)}``.

        Techniques also contribute their names and synonyms (terms containing a CJK
        character count as zh, the rest as en)."""
        self.entry(kind, key)
        found = self.vocabulary.get(kind, {}).get(key, {})
        zh, en = list(found.get("zh", ())), list(found.get("en", ()))
        if kind == "technique":
            e = self.entry(kind, key)
            for term in (e.name_zh, e.name_en, *e.synonyms):
                (zh if _has_cjk(term) else en).append(term)
        return {"zh": tuple(dict.fromkeys(zh)), "en": tuple(dict.fromkeys(en))}

    def category_of(self, application_type: str) -> str:
        return self.entry("application_type", application_type).category

    def application_types_of(self, category: str) -> list[str]:
        return [e.key for e in self.entries["application_type"] if e.category == category]

    def definitions(self, kind: str) -> list[dict]:
        """Rows describing every entry of a kind, in frame order (for display)."""
        rows = []
        for e in self.entries[kind]:
            row = {"key": e.key, "name_zh": e.name_zh, "name_en": e.name_en}
            if kind == "application_type":
                row["category"] = e.category
            row["definition_zh"], row["definition_en"] = e.definition_zh, e.definition_en
            rows.append(row)
        return rows

    # -- parsing ------------------------------------------------------------------
    def lookup(self, kind: str, text: object) -> str | None:
        """Frame key for a label, key or synonym (after normalisation), else None."""
        return self._index[kind].get(fold(text))

    def is_outside_frame(self, kind: str, text: object) -> bool:
        """True when ``text`` is a label the frame maps explicitly but does not list
        among its own names (e.g. the study's 「內部管理流程」)."""
        folded = fold(text)
        return any(
            folded == fold(lbl) for e in self.entries[kind] for lbl in e.labels_outside_frame
        )

    def parse_tick(self, value: object) -> str | None:
        """``'yes'``, ``'no'``, ``'not_reported'`` (explicit unknown token), ``''`` for a
        blank cell, or ``None`` for a value that is not a tick at all."""
        folded = fold(value)
        if folded == "":
            return ""
        for state in (YES, NO, NOT_REPORTED):
            if folded in self.tick_values[state]:
                return state
        return None

    def parse_techniques(self, text: object) -> TechniqueParse:
        """Parse a technique cell such as ``'影像辨識、機器學習'`` into frame keys, in
        frame order; unknown parts are returned, not guessed."""
        cleaned = normalise(text)
        if cleaned == "":
            return TechniqueParse((), not_reported=True)
        keys, unknown, qualifiers = set(), [], []
        for part in split_outside_brackets(cleaned, list(self.technique_separators)):
            base, qualifier = split_qualifier(part)
            key = self.lookup("technique", base)
            if key is None and qualifier:
                key = self.lookup("technique", part)
            if key is not None:
                keys.add(key)
                if qualifier:
                    qualifiers.append(qualifier)
            elif fold(base) in self.tick_values[NOT_REPORTED]:
                continue
            else:
                unknown.append(part)
        ordered = tuple(k for k in self.technique_keys if k in keys)
        return TechniqueParse(
            ordered, tuple(unknown), tuple(qualifiers), not_reported=not ordered and not unknown
        )


def _entry(kind: str, raw: dict, where: str, category: str | None = None) -> Entry:
    if not isinstance(raw, dict):
        raise FrameError(f"{where}: expected a mapping with key, name_zh, name_en; got {raw!r}")
    missing = [k for k in ("key", "name_zh", "name_en") if not raw.get(k)]
    if missing:
        raise FrameError(f"{where}: missing {', '.join(missing)}")
    key = raw["key"]
    if not _KEY.match(str(key)):
        raise FrameError(f"{where}: key {key!r} must be lower_snake_case ASCII")
    colour = raw.get("colour")
    if colour is not None and not _HEX.match(str(colour)):
        raise FrameError(f"{where} ({key}): colour {colour!r} is not #RRGGBB")
    if kind in ("category", "flag") and colour is None:
        raise FrameError(f"{where} ({key}): every {kind} needs a colour")
    if kind == "flag" and not (raw.get("definition_zh") and raw.get("definition_en")):
        raise FrameError(f"{where} ({key}): every flag needs definition_zh and definition_en")
    if kind == "application_type" and not raw.get("definition_zh"):
        raise FrameError(f"{where} ({key}): every application type needs the study's definition_zh")
    return Entry(
        kind=kind,
        key=key,
        name_zh=str(raw["name_zh"]),
        name_en=str(raw["name_en"]),
        definition_zh=str(raw.get("definition_zh", "")),
        definition_en=str(raw.get("definition_en", "")),
        colour=colour,
        synonyms=tuple(str(s) for s in raw.get("synonyms", []) or []),
        category=category,
        in_study=raw.get("in_study"),
        labels_outside_frame=tuple(str(s) for s in raw.get("labels_outside_frame", []) or []),
    )


def _has_cjk(text: str) -> bool:
    return any("\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" for ch in text)


def _vocabulary(raw: object, entries: dict[str, tuple[Entry, ...]], path: Path) -> dict:
    """Validate the optional ``coding_vocabulary`` section."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise FrameError(f"{path}: coding_vocabulary must map a kind to its entries")
    out: dict[str, dict[str, dict[str, tuple[str, ...]]]] = {}
    for kind, items in raw.items():
        if kind not in entries:
            raise FrameError(f"{path}: coding_vocabulary.{kind}: not one of {', '.join(KINDS)}")
        known = {e.key for e in entries[kind]}
        if not isinstance(items, dict):
            raise FrameError(f"{path}: coding_vocabulary.{kind} must map keys to zh/en term lists")
        out[kind] = {}
        for key, langs in items.items():
            if key not in known:
                raise FrameError(
                    f"{path}: coding_vocabulary.{kind}.{key}: no {kind} with that key in the frame"
                )
            out[kind][key] = _vocabulary_terms(langs, f"{path}: coding_vocabulary.{kind}.{key}")
    return out


def _vocabulary_terms(langs: object, where: str) -> dict[str, tuple[str, ...]]:
    """Validate one entry's ``{"zh": [...], "en": [...]}`` term lists (``where`` names it)."""
    if not isinstance(langs, dict) or not set(langs) <= {"zh", "en"} or not langs:
        raise FrameError(f"{where} needs zh and/or en term lists")
    terms = {}
    for lang, values in langs.items():
        if not isinstance(values, list) or not all(
            isinstance(v, str) and v.strip() for v in values
        ):
            raise FrameError(f"{where}.{lang} must be a list of non-empty terms")
        terms[lang] = tuple(values)
    return terms


def _build_index(kind: str, entries: tuple[Entry, ...], path: Path) -> dict[str, str]:
    index: dict[str, str] = {}
    for e in entries:
        for label in (e.key, e.name_zh, e.name_en, *e.synonyms, *e.labels_outside_frame):
            folded = fold(label)
            if folded in index and index[folded] != e.key:
                raise FrameError(
                    f"{path}: {kind} label {label!r} names both {index[folded]!r} and {e.key!r}"
                )
            index[folded] = e.key
    return index


def parse_frame(data: dict, path: Path) -> Frame:
    """Validate the parsed YAML of a frame file and build a :class:`Frame`."""
    if not isinstance(data, dict):
        raise FrameError(f"{path}: expected a YAML mapping at the top level")
    for section in ("categories", "flags", "techniques", "tick_values", "technique_separators"):
        if section not in data:
            raise FrameError(f"{path}: missing section {section!r}")
    entries = _frame_entries(data, path)
    tick_values = _tick_values(data["tick_values"], path)
    seps = tuple(str(s) for s in data["technique_separators"])
    index = {kind: _build_index(kind, items, path) for kind, items in entries.items()}
    headings = _headings(data.get("headings") or {}, path)
    return Frame(
        path=path,
        entries=entries,
        tick_values=tick_values,
        technique_separators=seps,
        headings=headings,
        _index=index,
        vocabulary=_vocabulary(data.get("coding_vocabulary"), entries, path),
        phrases=_phrases(data.get("phrases") or [], path),
    )


def _phrases(raw: object, path: Path) -> tuple[tuple[str, dict[str, str]], ...]:
    """The ``phrases`` section: a list of ``{value, zh, en}``; ``{n}`` stands for a number
    in all three."""
    if not isinstance(raw, list):
        raise FrameError(f"{path}: phrases must be a list of {{value, zh, en}}")
    out = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict) or not all(item.get(k) for k in ("value", "zh", "en")):
            raise FrameError(f"{path}: phrases[{i}] needs value, zh and en")
        parts = [re.escape(p) for p in str(item["value"]).split("{n}")]
        pattern = "^" + r"(-?[0-9][0-9.,]*)".join(parts) + "$"
        out.append((pattern, {"zh": str(item["zh"]), "en": str(item["en"])}))
    return tuple(out)


def _frame_entries(data: dict, path: Path) -> dict[str, tuple[Entry, ...]]:
    """Categories (with their application types), flags and techniques, each key used once
    within its kind and by one kind only."""
    categories, app_types = [], []
    for i, raw in enumerate(data["categories"]):
        cat = _entry("category", raw, f"{path}: categories[{i}]")
        categories.append(cat)
        types = raw.get("application_types") or []
        if not types:
            raise FrameError(f"{path}: category {cat.key!r} has no application_types")
        for j, t in enumerate(types):
            where = f"{path}: categories[{i}].application_types[{j}]"
            app_types.append(_entry("application_type", t, where, cat.key))
    flags = [_entry("flag", raw, f"{path}: flags[{i}]") for i, raw in enumerate(data["flags"])]
    techniques = [
        _entry("technique", raw, f"{path}: techniques[{i}]")
        for i, raw in enumerate(data["techniques"])
    ]
    entries = {
        "category": tuple(categories),
        "application_type": tuple(app_types),
        "flag": tuple(flags),
        "technique": tuple(techniques),
    }
    for kind, items in entries.items():
        keys = [e.key for e in items]
        dupes = sorted({k for k in keys if keys.count(k) > 1})
        if dupes:
            raise FrameError(f"{path}: duplicate {kind} keys {dupes}")
    all_keys = [e.key for items in entries.values() for e in items]
    clash = sorted({k for k in all_keys if all_keys.count(k) > 1})
    if clash:
        raise FrameError(f"{path}: keys used by more than one kind: {clash}")
    return entries


def _tick_values(ticks: object, path: Path) -> dict[str, frozenset[str]]:
    """The folded tick texts of each state (yes, no, not_reported), no text under two."""
    if not isinstance(ticks, dict) or set(ticks) != {YES, NO, NOT_REPORTED}:
        raise FrameError(f"{path}: tick_values must have exactly the keys yes, no, not_reported")
    tick_values = {state: frozenset(fold(v) for v in values) for state, values in ticks.items()}
    overlap = (
        (tick_values[YES] & tick_values[NO])
        | (tick_values[YES] & tick_values[NOT_REPORTED])
        | (tick_values[NO] & tick_values[NOT_REPORTED])
    )
    if overlap:
        raise FrameError(f"{path}: tick values listed under more than one state: {sorted(overlap)}")
    return tick_values


def _headings(headings: dict, path: Path) -> dict[str, dict[str, str]]:
    """Table headings: a string key, each with a zh and an en text."""
    for key, names in headings.items():
        if not isinstance(key, str):
            raise FrameError(f"{path}: heading key {key!r} must be a string (quote yes/no in YAML)")
        if not isinstance(names, dict) or not names.get("zh") or not names.get("en"):
            raise FrameError(f"{path}: heading {key!r} needs zh and en")
    return {k: dict(v) for k, v in headings.items()}


#: The cache namespace of validated frames (:func:`_load`).
NAMESPACE = "frames"


@lru_cache(maxsize=8)
def _load(path: str, mtime: float) -> Frame:
    """The frame file read and validated, kept in the cache (:mod:`analysis.cache`) by its
    path, the sha256 of its bytes and the package source: a new process unpickles the
    validated frame (1 ms) instead of parsing and validating it again (35 ms)."""
    import hashlib

    from . import cache

    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise FrameError(f"{p}: cannot read the frame file ({exc})") from exc
    return cache.remember(
        NAMESPACE, (path, hashlib.sha256(raw).hexdigest()), lambda: _parse(raw, p)
    )


def _parse(raw: bytes, p: Path) -> Frame:
    try:
        data = yaml.load(raw.decode("utf-8"), Loader=_YAML_LOADER)
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        raise FrameError(f"{p}: cannot read the frame file ({exc})") from exc
    return parse_frame(data, p)


def load_frame(path: str | Path | None = None) -> Frame:
    """Load and validate the coding frame (cached until the file changes)."""
    p = Path(path) if path is not None else config.FRAME_FILE
    try:
        mtime = p.stat().st_mtime
    except OSError as exc:
        raise FrameError(f"{p}: frame file not found") from exc
    return _load(str(p), mtime)
