"""Text normalisation shared by the frame, the loaders and the coders."""

from __future__ import annotations

import re
import unicodedata

_CJK = r"\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
# Whitespace between two CJK characters (or CJK punctuation) is a line-wrap artefact of
# slides and spreadsheets (「管制分析 與監控」), never content.
_WRAP = re.compile(rf"(?<=[{_CJK}])\s+(?=[{_CJK}])")
_SPACES = re.compile(r"\s+")
# Characters that print as nothing: control characters (NUL, BEL, DEL, C1), the soft
# hyphen, zero-width spaces and joiners, direction marks, word joiners and the byte-order mark.
INVISIBLE = re.compile(
    "[\x00-\x08\x0e-\x1b\x7f-\x9f\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]"
)


def normalise(text: object, keep_lines: bool = False) -> str:
    """NFKC (full-width to half-width), drop line-wrap spaces inside CJK text, collapse
    whitespace, trim. Returns '' for missing values. With ``keep_lines`` each line is
    normalised on its own and the non-blank lines are joined with a newline (a cell listing
    one value per line keeps its separators)."""
    if text is None:
        return ""
    if not isinstance(text, str):
        try:
            if text != text:  # NaN / NA
                return ""
        except (TypeError, ValueError):
            return ""
        text = str(text)
    if keep_lines:
        lines = (normalise(line) for line in text.splitlines())
        return "\n".join(line for line in lines if line)
    text = unicodedata.normalize("NFKC", text)
    text = _WRAP.sub("", text)
    return _SPACES.sub(" ", text).strip()


def visible(text: object) -> str:
    """:func:`normalise` without the characters that print as nothing (:data:`INVISIBLE`), so
    that two values that look the same compare equal."""
    text = normalise(text)
    cleaned = INVISIBLE.sub("", text)
    return text if cleaned == text else normalise(cleaned)


def fold(text: object) -> str:
    """:func:`visible` then case-fold: the key used for matching vocabulary and ids."""
    return visible(text).casefold()


def split_outside_brackets(text: str, separators: list[str]) -> list[str]:
    """Split ``text`` on any of ``separators`` that stand outside (), [], 「」 and 【】.

    ``生物特徵辨識(人臉/指紋)`` stays one part; ``影像辨識、機器學習`` gives two.
    """
    opening, closing = "([{「【（", ")]}」】）"
    parts, depth, current = [], 0, []
    seps = sorted(set(separators), key=len, reverse=True)
    i = 0
    while i < len(text):
        ch = text[i]
        if ch in opening:
            depth += 1
        elif ch in closing and depth:
            depth -= 1
        if depth == 0:
            sep = next((s for s in seps if text.startswith(s, i)), None)
            if sep is not None:
                parts.append("".join(current))
                current = []
                i += len(sep)
                continue
        current.append(ch)
        i += 1
    parts.append("".join(current))
    return [p.strip() for p in parts if p.strip()]


_QUALIFIER = re.compile(r"^(.*?)\s*(?:[\(（](.*)[\)）]|[\[［](.*)[\]］]|【(.*)】)\s*$")


def split_qualifier(part: str) -> tuple[str, str]:
    """``'影像辨識(車牌)'`` → ``('影像辨識', '車牌')``, and so for a trailing ``[...]``,
    ``［...］`` or ``【...】``; no qualifier → ``(part, '')``."""
    m = _QUALIFIER.match(part)
    if not m or not m.group(1).strip():
        return part.strip(), ""
    return m.group(1).strip(), next(g for g in m.groups()[1:] if g is not None).strip()
