"""The rule coder: the frame's bilingual ``coding_vocabulary``, every decision with its terms.

The vocabulary also gives the trained coder its language-independent *bridge tokens*
(:func:`bridge_tokens`): a zh-TW case and an English case that trigger the same entry
share a token.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..canonical import TECHNIQUE_SEP
from ..frame import Frame, load_frame
from ..textnorm import fold
from . import features
from .base import case_text, codes_frame, strip_personal


@dataclass(frozen=True)
class _Term:
    text: str  # folded
    pattern: re.Pattern | None  # word-start check for en terms
    owners: tuple[tuple[str, str], ...]  # (kind, key) entries that list the term


#: Per frame: the frame, its terms, and the bridge tokens of every text seen so far.
_VOCABULARY: dict[int, tuple[Frame, tuple[_Term, ...], dict[str, str]]] = {}


def _terms(frame: Frame) -> tuple[_Term, ...]:
    """Every vocabulary term once, with the entries that list it (cached per frame)."""
    return _vocabulary(frame)[1]


def _vocabulary(frame: Frame) -> tuple[Frame, tuple[_Term, ...], dict[str, str]]:
    cached = _VOCABULARY.get(id(frame))
    if cached is not None and cached[0] is frame:
        return cached
    owners: dict[tuple[str, bool], list[tuple[str, str]]] = {}
    for kind in ("category", "application_type", "flag", "technique"):
        for key in frame.keys(kind):
            for lang, terms in frame.terms(kind, key).items():
                for t in terms:
                    text = fold(t) + (" " if t.endswith(" ") else "")
                    owners.setdefault((text, lang == "en"), []).append((kind, key))
    built = tuple(
        _Term(
            text,
            re.compile(r"(?<![a-z0-9])" + re.escape(text)) if is_en else None,
            tuple(dict.fromkeys(o)),
        )
        for (text, is_en), o in sorted(owners.items())
    )
    if len(_VOCABULARY) > 8:
        _VOCABULARY.clear()
    _VOCABULARY[id(frame)] = (frame, built, {})
    return _VOCABULARY[id(frame)]


def vocabulary_hits(text: str, frame: Frame | None = None) -> dict[tuple[str, str], list[str]]:
    """Every vocabulary entry whose terms occur in ``text``: (kind, key) -> sorted terms
    found (zh terms as substrings, en terms at the start of a word)."""
    frame = frame or load_frame()
    folded = fold(text)
    hits: dict[tuple[str, str], list[str]] = {}
    for term in _terms(frame):
        if term.text in folded and (term.pattern is None or term.pattern.search(folded)):
            for owner in term.owners:
                hits.setdefault(owner, []).append(term.text.strip())
    return {k: sorted(set(v)) for k, v in hits.items()}


class RuleCoder:
    """Codes from the frame's bilingual vocabulary; every decision lists its terms.

    * category: the category whose terms (its own and its application types') occur
      most often, as distinct terms; ties go to the larger number of occurrences, then
      frame order. Confidence: the winner's share of all category hits.
    * application type: among the chosen category's types, the one with most terms.
    * techniques: every technique one of whose names, synonyms or terms occurs.
    * flags: ``yes`` when a term of the flag occurs, else ``no`` (evidence empty).
    A case with no category term is left uncoded for category and application type;
    a case with no technique term for techniques.
    """

    name = "rules"

    def __init__(self, frame: Frame | None = None):
        self.frame = frame or load_frame()

    def code(self, cases: pd.DataFrame) -> pd.DataFrame:
        frame = self.frame
        rows = []
        texts = case_text(cases)
        for (cid, inv), text in zip(zip(cases["case_id"], cases["inventory"]), texts):
            hits = vocabulary_hits(text, frame)
            base = {"case_id": cid, "inventory": inv, "coded_by": self.name}
            scores = {}
            for cat in frame.category_keys:
                terms = set(hits.get(("category", cat), []))
                for t in frame.application_types_of(cat):
                    terms |= set(hits.get(("application_type", t), []))
                if terms:
                    scores[cat] = sorted(terms)
            if scores:
                order = {c: i for i, c in enumerate(frame.category_keys)}
                best = max(scores, key=lambda c: (len(scores[c]), -order[c]))
                total = sum(len(v) for v in scores.values())
                rows.append(
                    {
                        **base,
                        "field": "category",
                        "value": best,
                        "confidence": len(scores[best]) / total,
                        "evidence": "; ".join(scores[best]),
                    }
                )
                types = {
                    t: hits[("application_type", t)]
                    for t in frame.application_types_of(best)
                    if ("application_type", t) in hits
                }
                if types:
                    torder = {t: i for i, t in enumerate(frame.application_type_keys)}
                    tbest = max(types, key=lambda t: (len(types[t]), -torder[t]))
                    rows.append(
                        {
                            **base,
                            "field": "application_type",
                            "value": tbest,
                            "confidence": len(types[tbest]) / sum(len(v) for v in types.values()),
                            "evidence": "; ".join(types[tbest]),
                        }
                    )
            techs = [t for t in frame.technique_keys if ("technique", t) in hits]
            if techs:
                rows.append(
                    {
                        **base,
                        "field": "techniques",
                        "value": TECHNIQUE_SEP.join(techs),
                        "confidence": 1.0,
                        "evidence": "; ".join(
                            f"{t}: {', '.join(hits[('technique', t)])}" for t in techs
                        ),
                    }
                )
            for f in frame.flag_keys:
                found = hits.get(("flag", f), [])
                rows.append(
                    {
                        **base,
                        "field": f,
                        "value": "yes" if found else "no",
                        "confidence": 1.0 if found else np.nan,
                        "evidence": "; ".join(found),
                    }
                )
        return codes_frame(rows)


def forget_texts() -> None:
    """Forget every text analysed so far (bridge tokens, TF-IDF token counts): the state of
    a new process, for benchmarks that time coding from scratch."""
    for _, _, memo in _VOCABULARY.values():
        memo.clear()
    features.clear()
    strip_personal.cache_clear()


def bridge_tokens(text: str, frame: Frame | None = None) -> str:
    """Language-independent tokens (``vocab_<kind>_<key>``) for every vocabulary entry
    found in ``text``: a zh-TW case and an English case that trigger the same entry share
    the token, which lets a model trained on English cases read Chinese ones. The
    constant token ``vocab`` keeps the bridge vocabulary non-empty. (Remembered per text:
    cross-validation asks for the same texts many times.)"""
    frame = frame or load_frame()
    memo = _vocabulary(frame)[2]
    tokens = memo.get(text)
    if tokens is None:
        if len(memo) > 200_000:
            memo.clear()
        tokens = memo[text] = " ".join(
            [
                "vocab",
                *(f"vocab_{kind}_{key}" for kind, key in sorted(vocabulary_hits(text, frame))),
            ]
        )
    return tokens
