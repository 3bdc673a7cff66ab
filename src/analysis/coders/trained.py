"""The trained coder: TF-IDF over word and character n-grams (character n-grams work on
Chinese without a segmenter) plus the rule vocabulary's bridge tokens, and calibrated
linear models, trained on cases that carry reference labels (study, source, crosswalk or
people)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import config
from ..canonical import TECHNIQUE_SEP
from ..frame import Frame, load_frame
from .base import (
    CODE_COLUMNS,
    DISTRIBUTION_COLUMNS,
    CodingError,
    case_text,
    empty_codes,
    fields,
    reference_labels,
    technique_labels,
    typed_codes,
)
from .features import Analyser, Vectoriser
from .rules import bridge_tokens


@dataclass
class ModelSpec:
    """A trained-coder variant.

    ``classifier``: ``logreg`` (logistic regression, fitted by Newton-CG to a tolerance of
    1e-6) or ``svm`` (linear SVM), both with
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
        feats = "+".join(
            n for n, on in (("word", self.word), ("char", self.char), ("bridge", self.bridge)) if on
        )
        return (
            f"{feats} {self.classifier}(C={self.c:g}) decide={self.decide}"
            + (" balanced" if self.balanced else "")
            + (" calibrated" if self.calibrate else "")
        )


def _vectoriser(spec: ModelSpec):
    """Word and character TF-IDF over the case text, TF-IDF over the bridge tokens; each
    document is ``text \x1f bridge tokens`` and every part reads only its own half
    (:mod:`analysis.coders.features`: each document tokenised once per process)."""
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
    # Newton-CG to a tolerance of 1e-6: on the suite's TF-IDF features (1,000-2,000 cases,
    # 65,000-72,000 columns) a third of L-BFGS's time, and probabilities within 1e-4 of the
    # exact optimum where L-BFGS at its default tolerance stops 1e-2 away from it
    logreg = LogisticRegression(
        C=spec.c,
        class_weight="balanced",
        solver="newton-cg",
        tol=1e-6,
        max_iter=2000,
        random_state=seed,
    )
    base = (
        LinearSVC(C=spec.c, class_weight="balanced", random_state=seed)
        if spec.classifier == "svm"
        else logreg
    )
    _, counts = np.unique(y, return_counts=True)
    folds = int(min(3, counts.min()))
    if spec.calibrate and folds >= 2:
        from sklearn.base import clone

        prober = CalibratedClassifierCV(
            clone(base),
            method="sigmoid",
            cv=StratifiedKFold(folds, shuffle=True, random_state=seed),
        )
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

    ``confidences=False`` is for cross-validation, which scores the codes and never their
    confidences: where the class is chosen by the uncalibrated model (``decide="base"``),
    the calibrated copy that only gives each code its confidence (three more fits per
    target) is not fitted, and confidences are the chosen model's own probabilities. The
    codes are the same as with ``confidences=True``.
    """

    name = "model"

    def __init__(
        self,
        frame: Frame | None = None,
        spec: ModelSpec | None = None,
        seed: int = config.SEED,
        fields_: list[str] | None = None,
        min_support: int = 3,
        confidences: bool = True,
    ):
        self.frame = frame or load_frame()
        self.confidences = confidences
        self.spec = spec or ModelSpec()
        self.seed = seed
        self.fields = fields_ or fields(self.frame)
        self.min_support = min_support
        self.models: dict[str, object] = {}
        self.vectoriser = None

    def _texts(self, cases: pd.DataFrame) -> np.ndarray:
        texts = case_text(cases)
        bridge = (
            texts.map(lambda s: bridge_tokens(s, self.frame))
            if self.spec.bridge
            else texts.map(lambda s: "")
        )
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
                out[f] = reference_labels(cases, f, self.frame)
        return out

    def fit(self, cases: pd.DataFrame) -> TrainedCoder:
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
            raise CodingError(
                "no field has enough human or source labels to train a model "
                f"(need two classes with at least {self.min_support} cases)"
            )
        used = sorted(set().union(*[set(y.index) for y in targets.values()]))
        texts = self._texts(cases.loc[used])
        self.vectoriser = _vectoriser(self.spec).fit(texts)
        # every row's features depend on its own text alone: the training cases are
        # transformed once and each target takes its rows
        features = self.vectoriser.transform(texts)
        row = pd.Series(np.arange(len(used)), index=used)
        self.models, self.deciders, self.priors = {}, {}, {}
        for name, y in targets.items():
            x = features[row.loc[y.index].to_numpy()]
            yy = y.to_numpy(dtype=object).astype(str)
            decider, prober = _estimators(self.spec, yy, self.seed)
            if self.confidences or not hasattr(decider, "predict_proba"):
                prober.fit(x, yy)
            else:
                prober = decider  # its probabilities stand in for confidences
            if decider is not None:
                self.deciders[name] = decider.fit(x, yy)
            self.models[name] = prober
            self.priors[name] = y.value_counts(normalize=True)
        return self

    def _features(self, cases: pd.DataFrame):
        if not self.models:
            raise CodingError("the model is not trained: call fit() first")
        return self.vectoriser.transform(self._texts(cases))

    def predict_proba(self, cases: pd.DataFrame, x=None) -> dict[str, pd.DataFrame]:
        """Per target, class probabilities (columns = classes), indexed like ``cases``."""
        x = self._features(cases) if x is None else x
        return {
            name: pd.DataFrame(
                m.predict_proba(x), columns=[str(c) for c in m.classes_], index=cases.index
            )
            for name, m in self.models.items()
        }

    def distributions(self, cases: pd.DataFrame, x=None) -> pd.DataFrame:
        """The coder's calibrated distribution over what it codes, for multiple imputation
        (:mod:`analysis.imputation`): one row per case (``case_id``, ``inventory``) and
        ``field`` ``category`` with each class's ``probability`` (``value`` = the class,
        summing to 1 per case), and per technique (``field`` ``techniques``, ``value`` =
        the technique) its probability of being used. Sorted by case, field and value."""
        x = self._features(cases) if x is None else x
        probs = self.predict_proba(cases, x)
        ids = cases["case_id"].to_numpy(dtype=object)
        inv = cases["inventory"].to_numpy(dtype=object)
        parts = []
        if "category" in probs:
            p = probs["category"]
            for c in p.columns:
                parts.append(("category", c, p[c].to_numpy(dtype=float)))
        for t in self.frame.technique_keys:
            p = probs.get(f"technique:{t}")
            if p is not None:
                parts.append(
                    ("techniques", t, p.get("yes", pd.Series(0.0, index=p.index)).to_numpy(float))
                )
        if not parts:
            return pd.DataFrame(columns=DISTRIBUTION_COLUMNS)
        out = pd.concat(
            [
                pd.DataFrame(
                    {"case_id": ids, "inventory": inv, "field": f, "value": v, "probability": q}
                )
                for f, v, q in parts
            ],
            ignore_index=True,
        )
        return out.sort_values(
            ["inventory", "case_id", "field", "value"], kind="stable"
        ).reset_index(drop=True)

    def decision_scores(
        self, cases: pd.DataFrame, x=None, probs: dict | None = None
    ) -> dict[str, pd.DataFrame]:
        """Per target, the scores the class is chosen by (highest wins; columns = classes)."""
        x = self._features(cases) if x is None else x
        probs = self.predict_proba(cases, x) if probs is None else probs
        out = {}
        for name, p in probs.items():
            decider = self.deciders.get(name)
            if decider is not None and decider is self.models[name]:
                scores = p  # the chosen model gives the probabilities too
            elif decider is not None and hasattr(decider, "predict_proba"):
                scores = pd.DataFrame(
                    decider.predict_proba(x),
                    columns=[str(c) for c in decider.classes_],
                    index=cases.index,
                )
            elif decider is not None:
                d = decider.decision_function(x)
                d = np.column_stack([-d, d]) if d.ndim == 1 else d
                out[name] = pd.DataFrame(
                    d, columns=[str(c) for c in decider.classes_], index=cases.index
                )
                continue
            else:
                scores = p
            if self.spec.balanced:
                scores = (
                    scores
                    / self.priors[name].reindex(scores.columns).to_numpy(dtype=float)[None, :]
                )
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
            parts.append(
                pd.DataFrame(
                    {
                        "_p": position[keep],
                        "_f": order[field_name],
                        "field": field_name,
                        "value": np.asarray(values, dtype=object)[keep],
                        "confidence": np.asarray(conf, dtype=float)[keep],
                        "evidence": np.asarray(evidence, dtype=object)[keep],
                    }
                )
            )

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
                chosen = np.column_stack(
                    [
                        scores[f"technique:{t}"].columns.to_numpy(dtype=object)[
                            scores[f"technique:{t}"].to_numpy(dtype=float).argmax(axis=1)
                        ]
                        == "yes"
                        for t in techs
                    ]
                )
                pm = np.column_stack(
                    [
                        probs[f"technique:{t}"]
                        .get("yes", pd.Series(0.0, index=cases.index))
                        .to_numpy(dtype=float)
                        for t in techs
                    ]
                )
                values = [TECHNIQUE_SEP.join(t for t, c in zip(techs, row) if c) for row in chosen]
                evidence = [
                    "; ".join(f"{t}={q:.2f}" for t, c, q in zip(techs, row, prow) if c)
                    for row, prow in zip(chosen, pm)
                ]
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
        return typed_codes(out[CODE_COLUMNS])
