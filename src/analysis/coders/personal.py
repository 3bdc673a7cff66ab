"""Personal data found in free text and masked before the text leaves the machine.

The patterns are data (``data/llm/personal_patterns.yaml``): classes in masking order, each
with regular expressions and the examples each must and must not match. Text is matched in
its NFKC form with zero-width and control characters removed (so ``ｊａｎｅ＠…`` and
``ja\u200bne@…`` are found), and masked in the original. A later match never overlaps an
earlier one: values of the case's personal columns first, then the classes in file order.

The patterns use only bounded repetitions and start anchors, so matching stays linear in
the length of the text (checked by the tests on long hostile strings).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from .. import config
from ..errors import InputError, Problem

PERSONAL_DATA_FILE = config.DATA_DIR / "llm" / "personal_patterns.yaml"
#: The mask of a value copied from a personal column of the same case.
KNOWN_MASK = "[personal]"
#: Letter values of a Taiwanese ID (A=10 ... Z=33, with I, O, W, X, Y, Z out of order).
_ID_LETTERS = dict(zip("ABCDEFGHJKLMNPQRSTUVXYWZIO", range(10, 36), strict=True))
_PATTERN_KEYS = {"name", "regex", "match", "no_match", "ignore_case", "checksum"}
_CLASS_KEYS = {"key", "mask", "name_en", "name_zh", "patterns"}
_CHECKSUMS = ("taiwan_id",)


@dataclass(frozen=True)
class PersonalPattern:
    name: str
    regex: re.Pattern
    match: tuple[str, ...]
    no_match: tuple[str, ...]
    checksum: str | None = None


@dataclass(frozen=True)
class PersonalClass:
    key: str
    mask: str
    name_en: str
    name_zh: str
    patterns: tuple[PersonalPattern, ...]


@dataclass(frozen=True)
class Found:
    """One masked span of the original text; ``checksum_ok`` only for checked IDs."""

    kind: str
    start: int
    end: int
    checksum_ok: bool | None = None


def taiwan_id_checksum(value: str) -> bool:
    """True if a Taiwanese national ID or resident certificate number (new ``A800000014``
    or old ``AB12345678`` form) has a valid check digit."""
    v = value.upper()
    if len(v) != 10 or v[0] not in _ID_LETTERS or not v[2:].isdigit():
        return False
    second = v[1] if v[1].isdigit() else str(_ID_LETTERS.get(v[1], 0) % 10)
    code = _ID_LETTERS[v[0]]
    digits = [int(c) for c in second + v[2:]]
    total = code // 10 + 9 * (code % 10) + sum(d * w for d, w in zip(digits, range(8, 0, -1)))
    return (total + digits[-1]) % 10 == 0


def _problem(path: Path, where: str, field: str, value, expected: str, expected_zh: str):
    return Problem(
        str(path),
        None,
        ".".join(p for p in (where, field) if p),
        value,
        expected,
        expected_zh,
        unit="record",
    )


def _strings(value) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(s, str) for s in value)


def _parse_pattern(path: Path, where: str, raw, problems: list) -> PersonalPattern | None:
    if not isinstance(raw, dict):
        problems.append(_problem(path, where, "", raw, "a mapping", "對應表"))
        return None
    for k in sorted(set(raw) - _PATTERN_KEYS):
        problems.append(_problem(path, where, k, raw[k], "a known key", "已知的鍵"))
    flags = re.IGNORECASE if raw.get("ignore_case") is True else 0
    try:
        regex = re.compile(str(raw.get("regex", "")), flags)
    except re.error as exc:
        problems.append(
            _problem(
                path,
                where,
                "regex",
                raw.get("regex"),
                f"a regular expression ({exc})",
                "可編譯的正規表示式",
            )
        )
        return None
    if not raw.get("regex"):
        problems.append(_problem(path, where, "regex", None, "a regular expression", "正規表示式"))
    for k in ("match", "no_match"):
        if not _strings(raw.get(k)):
            problems.append(
                _problem(
                    path,
                    where,
                    k,
                    raw.get(k),
                    "a non-empty list of example texts",
                    "非空的範例文字清單",
                )
            )
    if raw.get("checksum") not in (None, *_CHECKSUMS):
        problems.append(
            _problem(path, where, "checksum", raw["checksum"], "taiwan_id", "taiwan_id")
        )
    return PersonalPattern(
        str(raw.get("name", where)),
        regex,
        tuple(raw.get("match") or ()),
        tuple(raw.get("no_match") or ()),
        raw.get("checksum"),
    )


def parse_personal_patterns(data, path: Path) -> tuple[PersonalClass, ...]:
    """Validated classes from the parsed YAML; every problem in one :class:`InputError`."""
    problems: list[Problem] = []
    raw_classes = data.get("classes") if isinstance(data, dict) else None
    if not isinstance(raw_classes, list) or not raw_classes:
        raise InputError([_problem(path, "", "classes", None, "a list of classes", "類別清單")])
    out, seen = [], set()
    for i, raw in enumerate(raw_classes, 1):
        where = f"classes[{i}]"
        if not isinstance(raw, dict):
            problems.append(_problem(path, where, "", raw, "a mapping", "對應表"))
            continue
        for k in sorted(set(raw) - _CLASS_KEYS):
            problems.append(_problem(path, where, k, raw[k], "a known key", "已知的鍵"))
        key = raw.get("key")
        if not isinstance(key, str) or not key or key in seen:
            problems.append(_problem(path, where, "key", key, "a new class key", "未重複的類別鍵"))
        seen.add(key)
        if not isinstance(raw.get("mask"), str) or not raw["mask"]:
            problems.append(
                _problem(path, where, "mask", raw.get("mask"), "a mask text", "遮蔽文字")
            )
        pats = raw.get("patterns")
        if not isinstance(pats, list) or not pats:
            problems.append(_problem(path, where, "patterns", pats, "a list", "清單"))
            pats = []
        parsed = [
            _parse_pattern(path, f"{where}.patterns[{j}]", p, problems)
            for j, p in enumerate(pats, 1)
        ]
        out.append(
            PersonalClass(
                str(key),
                str(raw.get("mask")),
                str(raw.get("name_en", "")),
                str(raw.get("name_zh", "")),
                tuple(p for p in parsed if p),
            )
        )
    if problems:
        raise InputError(problems, f"{path}: invalid personal-data patterns")
    return tuple(out)


class _UniqueKeyLoader(yaml.SafeLoader):
    """Safe YAML that refuses a key given twice in one mapping."""


def _unique_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False):
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node, deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _unique_mapping)


@lru_cache(maxsize=4)
def _load(path: str, mtime: float) -> tuple[PersonalClass, ...]:
    p = Path(path)
    try:
        data = yaml.load(p.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader)  # noqa: S506
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        mark = getattr(exc, "problem_mark", None)
        reason = getattr(exc, "problem", None) or exc
        raise InputError(
            [
                Problem(
                    str(p),
                    mark.line + 1 if mark else None,
                    None,
                    None,
                    f"a readable YAML file ({reason})",
                    f"可讀取的 YAML 檔（{reason}）",
                    unit="line",
                )
            ],
            f"{p}: cannot read the personal-data patterns",
        ) from exc
    return parse_personal_patterns(data, p)


def load_personal_patterns(path: str | Path | None = None) -> tuple[PersonalClass, ...]:
    """The personal-data classes, in masking order (cached until the file changes)."""
    p = Path(path or PERSONAL_DATA_FILE)
    return _load(str(p), p.stat().st_mtime if p.exists() else 0.0)


# -- matching ---------------------------------------------------------------------------------
def _dropped(ch: str) -> bool:
    cat = unicodedata.category(ch)
    return cat == "Cf" or (cat == "Cc" and ch not in "\n\t")


def _normalised(text: str) -> tuple[str, list[int]]:
    """NFKC text without zero-width/control characters, and the original index of each of
    its characters."""
    chars, index = [], []
    for i, ch in enumerate(text):
        if _dropped(ch):
            continue
        n = unicodedata.normalize("NFKC", ch) if ord(ch) > 127 else ch
        chars.append(n)
        index.extend([i] * len(n))
    return "".join(chars), index


def _overlaps(spans: list[Found], start: int, end: int) -> bool:
    return any(start < f.end and f.start < end for f in spans)


def find_personal(
    text: str, known: tuple[str, ...] = (), classes: tuple[PersonalClass, ...] | None = None
) -> list[Found]:
    """Spans of ``text`` to mask, sorted: values in ``known`` (a case's personal columns)
    first, then each class's patterns in order; a span never overlaps an earlier one."""
    classes = load_personal_patterns() if classes is None else classes
    norm, index = _normalised(text)
    if not index:
        return []
    found: list[Found] = []

    def add(kind: str, a: int, b: int, checksum: bool | None = None) -> None:
        start, end = index[a], index[b - 1] + 1
        if b > a and not _overlaps(found, start, end):
            found.append(Found(kind, start, end, checksum))

    caseless = len(norm.casefold()) == len(norm)  # else match exactly (positions must hold)
    haystack = norm.casefold() if caseless else norm
    for value in sorted({_normalised(k)[0].strip() for k in known if k}, key=len, reverse=True):
        needle, pos = (value.casefold() if caseless else value), 0
        if len(value) < 2 or len(needle) != len(value):
            continue
        while (pos := haystack.find(needle, pos)) >= 0:
            add("personal_column", pos, pos + len(needle))
            pos += len(needle)
    for cls in classes:
        for pat in cls.patterns:
            for m in pat.regex.finditer(norm):
                group = "value" if "value" in pat.regex.groupindex else 0
                a, b = m.span(group)
                ok = taiwan_id_checksum(m.group(group)) if pat.checksum == "taiwan_id" else None
                add(cls.key, a, b, ok)
    return sorted(found, key=lambda f: f.start)


def mask_personal(
    text: str, known: tuple[str, ...] = (), classes: tuple[PersonalClass, ...] | None = None
) -> tuple[str, list[Found]]:
    """``text`` with every span of :func:`find_personal` replaced by its class's mask."""
    classes = load_personal_patterns() if classes is None else classes
    masks = {c.key: c.mask for c in classes} | {"personal_column": KNOWN_MASK}
    found = find_personal(text, known, classes)
    out, pos = [], 0
    for f in found:
        out += [text[pos : f.start], masks[f.kind]]
        pos = f.end
    out.append(text[pos:])
    return "".join(out), found
