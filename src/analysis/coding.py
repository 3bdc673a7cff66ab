"""Coding cases automatically: one interface, three coders.

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

Coders:

* :class:`RuleCoder` — the frame's bilingual ``coding_vocabulary``; transparent.
* :class:`TrainedCoder` — scikit-learn TF-IDF over word and character n-grams (character
  n-grams work on Chinese without a segmenter) with calibrated linear models, trained on
  the cases that carry human or source labels.
* :class:`analysis.llm.LLMCoder` — the study's own prompt, sent to a chat-completions
  endpoint.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np
import pandas as pd

from . import config
from .cases import TECHNIQUE_SEP, coerce
from .errors import AnalysisError
from .frame import Frame, load_frame
from .textnorm import fold

CODE_COLUMNS = ["case_id", "inventory", "field", "value", "coded_by", "confidence", "evidence"]
#: Provenance of labels that count as ground truth (not produced by a coder).
HUMAN_PROVENANCE = ("study", "source", "crosswalk", "human")
#: Columns never shown to a coder (personal data of contact persons).
PERSONAL_FIELDS = ("contact", "contact_name", "contact_email", "email", "e_mail", "phone")
#: Text columns a coder reads, in this order.
TEXT_COLUMNS = ("name", "description", "agency")
CODERS = ("rules", "model", "llm")
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


def is_human(provenance: pd.Series) -> pd.Series:
    """True where a provenance value (study, source, crosswalk, human:<coder>) is a label
    not produced by a coder."""
    base = provenance.astype("string").str.split(":").str[0]
    return base.isin(HUMAN_PROVENANCE).fillna(False).astype(bool)


def labels(cases: pd.DataFrame, field_name: str, frame: Frame | None = None) -> pd.Series:
    """A field's human/source labels as strings (``yes``/``no`` for flags; technique
    lists for ``techniques``), indexed like ``cases``; unlabelled rows dropped."""
    frame = frame or load_frame()
    col = cases[field_name]
    keep = col.notna() & is_human(cases[coded_by_column(field_name, frame)])
    if field_name in frame.flag_keys:
        out = col[keep].map(lambda v: "yes" if bool(v) else "no")
    else:
        out = col[keep].astype(str)
    return out.astype(object)


def technique_labels(cases: pd.DataFrame, frame: Frame | None = None) -> pd.DataFrame:
    """One yes/no column per technique for the cases whose techniques carry a human or
    source label (index like ``cases``)."""
    frame = frame or load_frame()
    lab = labels(cases, "techniques", frame)
    sets = lab.map(lambda s: set(s.split(TECHNIQUE_SEP)))
    return pd.DataFrame({t: sets.map(lambda s, t=t: "yes" if t in s else "no") for t in frame.technique_keys},
                        index=lab.index)


def strip_personal(text: str) -> str:
    """Remove e-mail addresses and phone numbers from free text."""
    return _PHONE.sub("[phone]", _EMAIL.sub("[e-mail]", text))


def case_text(cases: pd.DataFrame, personal_fields: tuple[str, ...] = PERSONAL_FIELDS) -> pd.Series:
    """The text a coder reads: name, description and agency joined, personal columns
    never included and e-mail addresses / phone numbers removed."""
    parts = [cases[c].astype("string").fillna("") for c in TEXT_COLUMNS
             if c in cases.columns and c not in personal_fields]
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
    return _typed(pd.DataFrame(rows, columns=CODE_COLUMNS))


# -- applying codes ----------------------------------------------------------------------
def confidence_column(field_name: str) -> str:
    return f"{field_name}_confidence"


def apply_codes(cases: pd.DataFrame, codes: pd.DataFrame, frame: Frame | None = None) -> pd.DataFrame:
    """Fill the NA fields of a canonical table from ``codes``; already-coded values are
    kept. Filled fields get ``*_coded_by`` = the coder and a ``<field>_confidence``. An
    application type is filled only when it belongs to the case's (coded) category."""
    frame = frame or load_frame()
    out = cases.copy()
    key = out["inventory"].astype("string").fillna("") + "\x00" + out["case_id"].astype("string").fillna("")
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
        if c.field == "application_type" and (pd.isna(out.at[i, "category"])
                                              or frame.category_of(c.value) != out.at[i, "category"]):
            continue  # an application type is only filled inside the case's category
        if c.field in flags:
            out.at[i, c.field] = c.value == "yes"
        else:
            out.at[i, c.field] = c.value
        cb = coded_by_column(c.field, frame)
        if pd.isna(out.at[i, cb]) or c.field not in flags:
            out.at[i, cb] = c.coded_by
        out.at[i, confidence_column(c.field)] = c.confidence
    return coerce(out, frame).assign(**{confidence_column(f): out[confidence_column(f)].to_numpy()
                                        for f in fields(frame)})


# -- rule coder --------------------------------------------------------------------------
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
        _Term(text, re.compile(r"(?<![a-z0-9])" + re.escape(text)) if is_en else None, tuple(dict.fromkeys(o)))
        for (text, is_en), o in sorted(owners.items()))
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
                rows.append({**base, "field": "category", "value": best,
                             "confidence": len(scores[best]) / total, "evidence": "; ".join(scores[best])})
                types = {t: hits[("application_type", t)] for t in frame.application_types_of(best)
                         if ("application_type", t) in hits}
                if types:
                    torder = {t: i for i, t in enumerate(frame.application_type_keys)}
                    tbest = max(types, key=lambda t: (len(types[t]), -torder[t]))
                    rows.append({**base, "field": "application_type", "value": tbest,
                                 "confidence": len(types[tbest]) / sum(len(v) for v in types.values()),
                                 "evidence": "; ".join(types[tbest])})
            techs = [t for t in frame.technique_keys if ("technique", t) in hits]
            if techs:
                rows.append({**base, "field": "techniques", "value": TECHNIQUE_SEP.join(techs), "confidence": 1.0,
                             "evidence": "; ".join(f"{t}: {', '.join(hits[('technique', t)])}" for t in techs)})
            for f in frame.flag_keys:
                found = hits.get(("flag", f), [])
                rows.append({**base, "field": f, "value": "yes" if found else "no",
                             "confidence": 1.0 if found else np.nan, "evidence": "; ".join(found)})
        return codes_frame(rows)


# -- trained coder -----------------------------------------------------------------------
def forget_texts() -> None:
    """Forget every text analysed so far (bridge tokens, TF-IDF token counts): the state of
    a new process, for benchmarks that time coding from scratch."""
    from . import features
    for _, _, memo in _VOCABULARY.values():
        memo.clear()
    features.clear()


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
        tokens = memo[text] = " ".join(["vocab", *(f"vocab_{kind}_{key}"
                                                  for kind, key in sorted(vocabulary_hits(text, frame)))])
    return tokens


@dataclass
class ModelSpec:
    """A trained-coder variant.

    ``classifier``: ``logreg`` (logistic regression) or ``svm`` (linear SVM), both with
    class weights balanced, regularisation ``c``. ``calibrate``: confidences are
    probabilities calibrated by cross-validation (``CalibratedClassifierCV``, sigmoid);
    otherwise the logistic regression's own probabilities. ``decide``: ``base`` — the
    class is chosen by the uncalibrated model trained on all training cases, ``calibrated``
    — by the calibrated probabilities. ``balanced``: probabilities are divided by the
    class's training share before choosing (a technique is coded when its probability
    reaches its share), so rare classes are not swamped by frequent ones.
    """

    word: bool = True
    char: bool = True
    bridge: bool = True
    classifier: str = "logreg"
    c: float = 40.0
    calibrate: bool = True
    decide: str = "base"
    balanced: bool = True

    @property
    def label(self) -> str:
        feats = "+".join(n for n, on in (("word", self.word), ("char", self.char), ("bridge", self.bridge)) if on)
        return (f"{feats} {self.classifier}(C={self.c:g}) decide={self.decide}"
                + (" balanced" if self.balanced else "") + (" calibrated" if self.calibrate else ""))


def _vectoriser(spec: ModelSpec):
    """Word and character TF-IDF over the case text, TF-IDF over the bridge tokens; each
    document is ``text \x1f bridge tokens`` and every part reads only its own half
    (:mod:`analysis.features`: each document tokenised once per process)."""
    from .features import Analyser, Vectoriser
    parts = []
    if spec.word:
        parts.append(Analyser("word"))
    if spec.char:
        parts.append(Analyser("char", min_df=2, max_features=60000))
    if spec.bridge:
        parts.append(Analyser("tokens", part=1))
    if not parts:
        raise CodingError("a model needs at least one feature set (word, char or bridge)")
    return Vectoriser(parts)


def _estimators(spec: ModelSpec, y: np.ndarray, seed: int):
    """``(decider, prober)`` for one target: the linear model that chooses the class and
    the one that gives its probability (a calibrated copy when every class has at least
    two cases; an uncalibratable SVM gets a logistic regression for probabilities)."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold
    from sklearn.svm import LinearSVC
    if spec.classifier not in ("logreg", "svm"):
        raise CodingError(f"unknown classifier {spec.classifier!r}: use logreg or svm")
    if spec.decide not in ("base", "calibrated"):
        raise CodingError(f"unknown decision rule {spec.decide!r}: use base or calibrated")
    logreg = LogisticRegression(C=spec.c, class_weight="balanced", max_iter=2000, random_state=seed)
    base = LinearSVC(C=spec.c, class_weight="balanced", random_state=seed) if spec.classifier == "svm" else logreg
    _, counts = np.unique(y, return_counts=True)
    folds = int(min(3, counts.min()))
    if spec.calibrate and folds >= 2:
        from sklearn.base import clone
        prober = CalibratedClassifierCV(clone(base), method="sigmoid",
                                        cv=StratifiedKFold(folds, shuffle=True, random_state=seed))
        return (base if spec.decide == "base" else None), prober
    if spec.classifier == "svm":
        return (base if spec.decide == "base" else None), logreg
    return None, logreg


class TrainedCoder:
    """TF-IDF (word and character n-grams, plus vocabulary bridge tokens) and linear
    models: one multi-class model for category and for application type, one binary model
    per flag and per technique (one-vs-rest); see :class:`ModelSpec` for how a class is
    chosen and its confidence (a calibrated probability) computed. The application type is
    chosen among the types of the case's chosen category; its confidence is its
    probability within that category.

    A field (or technique) is learnt only when its labels have at least two classes with
    ``min_support`` cases each; otherwise the coder leaves it uncoded. Labels of an
    inventory in which the target takes a single value are not learnt from.
    """

    name = "model"

    def __init__(self, frame: Frame | None = None, spec: ModelSpec | None = None, seed: int = config.SEED,
                 fields_: list[str] | None = None, min_support: int = 3):
        self.frame = frame or load_frame()
        self.spec = spec or ModelSpec()
        self.seed = seed
        self.fields = fields_ or fields(self.frame)
        self.min_support = min_support
        self.models: dict[str, object] = {}
        self.vectoriser = None

    def _texts(self, cases: pd.DataFrame) -> np.ndarray:
        texts = case_text(cases)
        bridge = texts.map(lambda s: bridge_tokens(s, self.frame)) if self.spec.bridge else texts.map(lambda s: "")
        return (texts + "\x1f" + bridge).to_numpy(dtype=object)

    def targets(self, cases: pd.DataFrame) -> dict[str, pd.Series]:
        """Labels per learnable target: ``category``, ``application_type``, flags, and
        ``technique:<key>`` (yes/no)."""
        out = {}
        for f in self.fields:
            if f == "techniques":
                tl = technique_labels(cases, self.frame)
                for t in tl.columns:
                    out[f"technique:{t}"] = tl[t]
            else:
                out[f] = labels(cases, f, self.frame)
        return out

    def fit(self, cases: pd.DataFrame) -> "TrainedCoder":
        targets = {}
        for name, y in self.targets(cases).items():
            # an inventory whose labels for a target take a single value (e.g. a
            # crosswalk that can only say "internal management") is no sample of that
            # target's classes: its labels are left out of that target's training
            inv = cases.loc[y.index, "inventory"].astype(str).to_numpy()
            varied = pd.Series(y.to_numpy(), index=inv).groupby(level=0).nunique()
            y = y[pd.Series(inv).isin(varied[varied >= 2].index).to_numpy()]
            counts = y.value_counts()
            counts = counts[counts >= self.min_support]
            if len(counts) >= 2:
                targets[name] = y[y.isin(counts.index)]
        if not targets:
            raise CodingError("no field has enough human or source labels to train a model "
                              f"(need two classes with at least {self.min_support} cases)")
        used = sorted(set().union(*[set(y.index) for y in targets.values()]))
        texts = pd.Series(self._texts(cases.loc[used]), index=used)
        self.vectoriser = _vectoriser(self.spec).fit(texts.to_numpy(dtype=object))
        self.models, self.deciders, self.priors = {}, {}, {}
        for name, y in targets.items():
            x = self.vectoriser.transform(texts.loc[y.index].to_numpy(dtype=object))
            yy = y.to_numpy(dtype=object).astype(str)
            decider, prober = _estimators(self.spec, yy, self.seed)
            self.models[name] = prober.fit(x, yy)
            if decider is not None:
                self.deciders[name] = decider.fit(x, yy)
            self.priors[name] = y.value_counts(normalize=True)
        return self

    def _features(self, cases: pd.DataFrame):
        if not self.models:
            raise CodingError("the model is not trained: call fit() first")
        return self.vectoriser.transform(self._texts(cases))

    def predict_proba(self, cases: pd.DataFrame, x=None) -> dict[str, pd.DataFrame]:
        """Per target, class probabilities (columns = classes), indexed like ``cases``."""
        x = self._features(cases) if x is None else x
        return {name: pd.DataFrame(m.predict_proba(x), columns=[str(c) for c in m.classes_], index=cases.index)
                for name, m in self.models.items()}

    def decision_scores(self, cases: pd.DataFrame, x=None, probs: dict | None = None) -> dict[str, pd.DataFrame]:
        """Per target, the scores the class is chosen by (highest wins; columns = classes)."""
        x = self._features(cases) if x is None else x
        probs = self.predict_proba(cases, x) if probs is None else probs
        out = {}
        for name, p in probs.items():
            decider = self.deciders.get(name)
            if decider is not None and hasattr(decider, "predict_proba"):
                scores = pd.DataFrame(decider.predict_proba(x), columns=[str(c) for c in decider.classes_],
                                      index=cases.index)
            elif decider is not None:
                d = decider.decision_function(x)
                d = np.column_stack([-d, d]) if d.ndim == 1 else d
                out[name] = pd.DataFrame(d, columns=[str(c) for c in decider.classes_], index=cases.index)
                continue
            else:
                scores = p
            if self.spec.balanced:
                scores = scores / self.priors[name].reindex(scores.columns).to_numpy(dtype=float)[None, :]
            out[name] = scores
        return out

    def code(self, cases: pd.DataFrame) -> pd.DataFrame:
        x = self._features(cases)
        probs = self.predict_proba(cases, x)
        scores = self.decision_scores(cases, x, probs)
        frame = self.frame
        n = len(cases)
        position = np.arange(n)
        order = {f: i for i, f in enumerate(fields(frame))}
        parts = []

        def part(field_name, keep, values, conf, evidence):
            parts.append(pd.DataFrame({"_p": position[keep], "_f": order[field_name], "field": field_name,
                                       "value": np.asarray(values, dtype=object)[keep],
                                       "confidence": np.asarray(conf, dtype=float)[keep],
                                       "evidence": np.asarray(evidence, dtype=object)[keep]}))

        def chosen_index(name, columns, allowed=None):
            sc = scores[name].reindex(columns=columns).to_numpy(dtype=float)
            if allowed is not None:
                sc = np.where(allowed, sc, -np.inf)
            return sc.argmax(axis=1)

        for f in self.fields:
            if f == "techniques":
                techs = [t for t in frame.technique_keys if f"technique:{t}" in probs]
                if not techs:
                    continue
                chosen = np.column_stack([
                    scores[f"technique:{t}"].columns.to_numpy(dtype=object)[
                        scores[f"technique:{t}"].to_numpy(dtype=float).argmax(axis=1)] == "yes" for t in techs])
                pm = np.column_stack([probs[f"technique:{t}"].get("yes", pd.Series(0.0, index=cases.index))
                                      .to_numpy(dtype=float) for t in techs])
                values = [TECHNIQUE_SEP.join(t for t, c in zip(techs, row) if c) for row in chosen]
                evidence = ["; ".join(f"{t}={q:.2f}" for t, c, q in zip(techs, row, prow) if c)
                            for row, prow in zip(chosen, pm)]
                conf = np.where(chosen, pm, np.inf).min(axis=1)
                part(f, chosen.any(axis=1), values, conf, evidence)
                continue
            if f not in probs:
                continue
            p = probs[f]
            pm = p.to_numpy(dtype=float)
            columns = p.columns
            keep = np.ones(n, dtype=bool)
            allowed = None
            if f == "application_type" and "category" in probs:
                # only the application types of the case's chosen category
                pc = probs["category"].columns
                cat = pc.to_numpy(dtype=object)[chosen_index("category", pc)]
                owner = np.array([frame.category_of(t) for t in columns], dtype=object)
                allowed = owner[None, :] == cat[:, None]
                keep = allowed.any(axis=1)
                pm = pm * allowed
                total = pm.sum(axis=1)
                pm = np.divide(pm, total[:, None], out=np.zeros_like(pm), where=total[:, None] > 0)
            best = chosen_index(f, columns, allowed)
            conf = pm[position, best]
            values = columns.to_numpy(dtype=object)[best]
            part(f, keep, values, conf, [f"p={c:.2f}" for c in conf])
        if not parts:
            return empty_codes()
        out = pd.concat(parts, ignore_index=True).sort_values(["_p", "_f"], kind="stable")
        out.insert(0, "case_id", cases["case_id"].to_numpy(dtype=object)[out["_p"].to_numpy()])
        out.insert(1, "inventory", cases["inventory"].to_numpy(dtype=object)[out["_p"].to_numpy()])
        out["coded_by"] = self.name
        return _typed(out[CODE_COLUMNS])


def _typed(codes: pd.DataFrame) -> pd.DataFrame:
    out = codes.reset_index(drop=True).copy()
    for c in CODE_COLUMNS:
        out[c] = out[c].astype("float64") if c == "confidence" else out[c].astype("string")
    return out


# -- which cases to learn from ----------------------------------------------------------
def labelled_inventories() -> list[str]:
    """Bundled inventories that carry human or source labels (and exist)."""
    from . import inventories
    names = inventories.available()
    return [n for n in ("study", "jrc-ai-watch", "us-federal-2024") if n in names]


def training_cases(names: list[str] | None = None, frame: Frame | None = None) -> pd.DataFrame:
    """The pooled canonical table of the labelled inventories."""
    from . import inventories
    names = names or labelled_inventories()
    return inventories.load_many(names, frame)


def make_coder(name: str, frame: Frame | None = None, training: pd.DataFrame | None = None,
               spec: ModelSpec | None = None, **llm_options) -> Coder:
    """A ready coder by name: ``rules``, ``model`` (trained on ``training`` or on every
    labelled bundled inventory) or ``llm`` (configured from the environment)."""
    frame = frame or load_frame()
    if name == "rules":
        return RuleCoder(frame)
    if name == "model":
        data = training if training is not None else training_cases(frame=frame)
        return TrainedCoder(frame, spec).fit(data)
    if name == "llm":
        from .llm import LLMCoder, LLMConfig
        return LLMCoder(LLMConfig.from_env(**llm_options), frame)
    raise CodingError(f"unknown coder {name!r}: use one of {', '.join(CODERS)}")


def code_cases(cases: pd.DataFrame, coder: Coder, frame: Frame | None = None) -> pd.DataFrame:
    """Code the uncoded fields of ``cases`` with ``coder``; returns the filled table."""
    return apply_codes(cases, coder.code(cases), frame)


def read_cases(path_or_inventory: str | Path, frame: Frame | None = None) -> pd.DataFrame:
    """A canonical table from a bundled inventory name, a mapping file, or an export
    (.csv/.xlsx written by :func:`analysis.cases.write`)."""
    from . import cases as cases_mod
    from . import inventories
    p = Path(path_or_inventory)
    if p.suffix.lower() in (".csv", ".xlsx") and p.exists():
        return cases_mod.read_export(p, frame)
    return inventories.cases(path_or_inventory, frame)


def code_file(path_or_inventory: str | Path, coder: str, to: str | Path, frame: Frame | None = None) -> Path:
    """``python -m analysis code FILE --coder rules|model|llm --to out.xlsx``: code the
    uncoded fields of an inventory or export and write the coded table (.csv/.xlsx)."""
    from . import cases as cases_mod
    frame = frame or load_frame()
    table = read_cases(path_or_inventory, frame)
    coded = code_cases(table, make_coder(coder, frame), frame)
    return cases_mod.write(coded, Path(to), frame)


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
        rows.append({"target": target, "coder": best["coder"], "macro_f1": best["macro_f1"],
                     "measured_on": best["inventory"],
                     **{f"macro_f1_{c}": v for c, v in zip(sub["coder"], sub["macro_f1"])}})
    return pd.DataFrame(rows)


def code_with_choice(cases: pd.DataFrame, choice: pd.DataFrame, training: pd.DataFrame,
                     frame: Frame | None = None, spec: ModelSpec | None = None) -> CodedInventory:
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
        wanted = [f for f in fields(frame) if f in model_fields or (f == "category" and "application_type" in model_fields)]
        coder = TrainedCoder(frame, spec, fields_=wanted).fit(training)
        codes = coder.code(cases)
        parts.append(codes[codes["field"].isin(model_fields)])
    codes = pd.concat(parts, ignore_index=True) if parts else empty_codes()
    return CodedInventory(apply_codes(cases, codes, frame), codes, choice)


def coded_summary(cases: pd.DataFrame, field_name: str = "category", frame: Frame | None = None) -> pd.DataFrame:
    """Cases per value of a field and who coded it (``coded_by``), with the mean and
    lowest confidence of the automatic codes; uncoded cases as a row with value NA."""
    frame = frame or load_frame()
    cb = coded_by_column(field_name, frame)
    conf = confidence_column(field_name)
    table = pd.DataFrame({field_name: cases[field_name].astype(object),
                          "coded_by": cases[cb].astype(object).where(cases[cb].notna(), None),
                          "confidence": cases[conf].astype(float) if conf in cases.columns else np.nan})
    order = {k: i for i, k in enumerate(frame.keys(field_name))} if field_name in ("category", "application_type") else {}
    rows = []
    for (value, by), sub in table.groupby([field_name, "coded_by"], dropna=False, sort=False):
        value = None if pd.isna(value) else value
        by = None if by is None or pd.isna(by) else by
        rows.append({field_name: value, "coded_by": by, "cases": len(sub),
                     "mean_confidence": sub["confidence"].mean() if sub["confidence"].notna().any() else np.nan,
                     "min_confidence": sub["confidence"].min() if sub["confidence"].notna().any() else np.nan})
    out = pd.DataFrame(rows, columns=[field_name, "coded_by", "cases", "mean_confidence", "min_confidence"])
    key = out[field_name].map(lambda v: order.get(v, len(order)) if v is not None else len(order) + 1)
    return out.assign(_k=key, _b=out["coded_by"].fillna("~")).sort_values(["_k", "_b"]).drop(columns=["_k", "_b"]) \
        .reset_index(drop=True)


PUBLIC_INVENTORIES = ("taiwan-public", "us-federal-2024", "jrc-ai-watch")


def code_public(names: tuple[str, ...] = PUBLIC_INVENTORIES, frame: Frame | None = None, folds: int = 5,
                seed: int = config.SEED, spec: ModelSpec | None = None) -> dict[str, CodedInventory]:
    """Coded versions of the bundled inventories that lack the study's labels, each field
    coded by the offline coder (rules or model) with the best measured agreement:

    * ``taiwan-public`` (zh-TW): category, application type and flags, measured on the
      study's 11 zh-TW cases (the model cross-validated there, trained with every other
      labelled inventory added to its training folds);
    * ``us-federal-2024`` (English): category and application type, measured on the
      JRC AI Watch cases' Engstrom labels (cross-validated, the other labelled
      inventories added to every training fold as in the final model);
    * ``jrc-ai-watch`` (English): the six flags, measured on the US federal 2024
      inventory's flags read from its official fields (cross-validated likewise).

    ``choice`` of each result names the coder per field and the scores behind it.
    """
    from . import inventories
    from .agreement import evaluate
    frame = frame or load_frame()
    available = inventories.available()
    training = training_cases(frame=frame)
    out = {}
    if "taiwan-public" in names and "taiwan-public" in available:
        study = training[training["inventory"] == "study"]
        others = training[training["inventory"] != "study"]
        targets = ["category", "application_type", *frame.flag_keys]
        ev = evaluate(study, ("rules", "model"), targets, spec, min(folds, 3), seed,
                      others if len(others) else None, frame)
        out["taiwan-public"] = code_with_choice(inventories.cases("taiwan-public", frame), choose(ev.scores),
                                                training, frame, spec)
    if "us-federal-2024" in names and "us-federal-2024" in available and "jrc-ai-watch" in available:
        jrc = training[training["inventory"] == "jrc-ai-watch"]
        others = training[training["inventory"] != "jrc-ai-watch"]
        ev = evaluate(jrc, ("rules", "model"), ["category", "application_type"], spec, folds, seed,
                      others if len(others) else None, frame)
        out["us-federal-2024"] = code_with_choice(inventories.cases("us-federal-2024", frame), choose(ev.scores),
                                                  training, frame, spec)
    if "jrc-ai-watch" in names and "jrc-ai-watch" in available and "us-federal-2024" in available:
        us = training[training["inventory"] == "us-federal-2024"]
        others = training[training["inventory"] != "us-federal-2024"]
        ev = evaluate(us, ("rules", "model"), list(frame.flag_keys), spec, folds, seed,
                      others if len(others) else None, frame)
        out["jrc-ai-watch"] = code_with_choice(inventories.cases("jrc-ai-watch", frame), choose(ev.scores),
                                               training, frame, spec)
    return out


CODED_SUFFIX = "-coded"


def coded(name: str, frame: Frame | None = None) -> CodedInventory:
    """:func:`code_public` for one inventory, kept on disk (``.cache/coded/``) under a key
    of every input (package code, frame, mappings, raw data, lock file), so the costly
    evaluation and training run once and a stale result is never served."""
    import io

    from .environment import inputs_digest
    from .outputs import atomic_write_bytes
    folder = config.cache_dir() / "coded"
    key = inputs_digest()[:16]
    paths = {part: folder / f"{name}-{key}-{part}.parquet" for part in ("cases", "codes", "choice")}
    if all(p.exists() for p in paths.values()):
        tables = {part: pd.read_parquet(p) for part, p in paths.items()}
        return CodedInventory(tables["cases"], tables["codes"], tables["choice"])
    result = code_public((name,), frame)
    if name not in result:
        raise CodingError(f"no offline coder for inventory {name!r}: coded versions exist for {', '.join(PUBLIC_INVENTORIES)}")
    coded_inventory = result[name]
    for part, table in (("cases", coded_inventory.cases), ("codes", coded_inventory.codes),
                        ("choice", coded_inventory.choice)):
        buf = io.BytesIO()
        table.to_parquet(buf, index=False)
        atomic_write_bytes(paths[part], buf.getvalue())
    return coded_inventory


def cases_for(names: str | list[str] | tuple[str, ...], frame: Frame | None = None) -> pd.DataFrame:
    """Canonical cases of one inventory or several pooled; a name ending in ``-coded``
    (e.g. ``taiwan-public-coded``) is that inventory with its uncoded fields filled by
    :func:`coded` (``*_coded_by`` and ``*_confidence`` say by which coder, how sure)."""
    from . import inventories
    names = [names] if isinstance(names, str) else list(names)
    tables = [coded(n[: -len(CODED_SUFFIX)], frame).cases if n.endswith(CODED_SUFFIX) else inventories.cases(n, frame)
              for n in names]
    return pd.concat(tables, ignore_index=True) if len(tables) > 1 else tables[0]


def write_coded(name: str, coded_inventory: CodedInventory, folder: Path, frame: Frame | None = None) -> Path:
    """Write a coded inventory as ``<folder>/coded-<name>.csv`` (canonical export with the
    ``*_coded_by`` and ``*_confidence`` columns)."""
    from . import cases as canonical
    return canonical.write(coded_inventory.cases, Path(folder) / f"coded-{name}.csv", frame)


def main(argv: list[str] | None = None) -> int:
    """``python -m analysis code FILE --coder rules|model|llm --to OUT`` (prints the
    output path and, for the LLM coder, the cases it could not code)."""
    import argparse
    import sys
    parser = argparse.ArgumentParser(prog="python -m analysis code")
    parser.add_argument("file")
    parser.add_argument("--coder", choices=list(CODERS), default="model")
    parser.add_argument("--to", required=True)
    args = parser.parse_args(argv)
    frame = load_frame()
    table = read_cases(args.file, frame)
    coder = make_coder(args.coder, frame)
    coded = code_cases(table, coder, frame)
    from . import cases as cases_mod
    path = cases_mod.write(coded, Path(args.to), frame)
    filled = {f: int((coded[coded_by_column(f, frame)] == coder.name).sum()) for f in ("category", "techniques")}
    print(f"{path}: {len(coded)} cases; coded by {coder.name}: {filled['category']} categories, "
          f"{filled['techniques']} technique lists")
    failures = getattr(coder, "failures", None)
    if failures is not None and len(failures):
        for row in failures.itertuples(index=False):
            print(f"not coded: {row.inventory}/{row.case_id}: {row.error}", file=sys.stderr)
    return 0
