"""Agreement between coders and human or source labels, and between people.

Targets scored: ``category``, ``application_type``, each flag (``yes``/``no``) and, for
techniques, ``technique:<key>`` (``yes``/``no``). A coder that leaves a case uncoded is
scored as answering :data:`UNCODED` (a miss), and its coverage is reported.

The trained coder is scored only on cases it was not trained on: stratified k-fold
cross-validation, repeated :data:`CV_REPEATS` times with different fold seeds
(:func:`repeat_seeds`, from :data:`analysis.config.SEED`); its scores are the mean over
the repeats, with their standard deviation and, from :func:`with_intervals`, a bootstrap
interval over cases of that mean. The rule coder has nothing to train and is scored
directly.

Cross-validations, evaluations, variant comparisons and learning curves are stored by
:mod:`analysis.memo` under the content of their inputs: rerunning a report recomputes
nothing whose cases, parameters and code are unchanged.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import config, memo
from .canonical import TECHNIQUE_SEP, case_keys
from .coders import CodingError, ModelSpec, RuleCoder, TrainedCoder
from .coders.base import reference_labels, technique_labels
from .frame import Frame, load_frame

UNCODED = "(uncoded)"
#: Cross-validations of the trained coder behind every score: one per fold seed
#: (:func:`repeat_seeds`); scores are their mean, never the best of them.
CV_REPEATS = 5
SCORE_COLUMNS = [
    "inventory",
    "target",
    "coder",
    "n",
    "coverage",
    "accuracy",
    "macro_f1",
    "kappa",
    "alpha",
]


# -- statistics --------------------------------------------------------------------------
def cohen_kappa(a: pd.Series | list, b: pd.Series | list) -> float:
    """Cohen's κ of two raters over the same units (nominal labels), by scikit-learn.
    Undefined (NaN) when there are no units or both raters use one and the same label
    throughout (expected agreement 1: κ is 0/0, not 1)."""
    from sklearn.metrics import cohen_kappa_score

    a, b = [str(x) for x in a], [str(x) for x in b]
    if len(a) != len(b):
        raise ValueError("both raters must rate the same units")
    if not a or len(set(a) | set(b)) < 2:
        return float("nan")
    return float(cohen_kappa_score(a, b))


def krippendorff_alpha(ratings: pd.DataFrame, uncoded_as_label: bool = False) -> float:
    """Krippendorff's α (nominal) of a units × coders table of labels. NA, and
    :data:`UNCODED` unless ``uncoded_as_label``, mean not coded by that coder: missing,
    left out of the pairable values (Krippendorff's convention), not a label of its own.
    NaN when fewer than two values are pairable or only one label occurs."""
    import krippendorff

    if not uncoded_as_label:
        ratings = ratings.astype(object).mask(ratings.astype(object) == UNCODED)
    values = pd.unique(pd.Series(ratings.to_numpy().ravel()).dropna())
    codes = {v: i for i, v in enumerate(sorted(values, key=str))}
    data = np.array(
        [[codes[v] if not pd.isna(v) else np.nan for v in ratings[c]] for c in ratings.columns],
        dtype=float,
    )
    pairable = (np.sum(~np.isnan(data), axis=0) >= 2).sum()
    if pairable < 1 or len(codes) < 2:
        return 1.0 if pairable >= 1 and len(codes) == 1 else float("nan")
    with warnings.catch_warnings():  # one value among the pairable ones: 0/0, NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        return float(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal"))


def score(true: pd.Series, pred: pd.Series) -> dict:
    """Accuracy, macro-F1 (over the classes present in ``true``), Cohen's κ and
    Krippendorff's α of predictions against labels; ``pred`` NA = uncoded: a miss for
    accuracy, F1 and κ (coverage says how often), missing for α (α measures agreement on
    the cases the coder coded, :func:`krippendorff_alpha`)."""
    from sklearn.metrics import accuracy_score, f1_score

    t = pd.Series(true).astype(object).to_numpy()
    p = pd.Series(pred).astype(object).where(pd.Series(pred).notna(), UNCODED).to_numpy()
    classes = sorted(set(t), key=str)
    both = pd.DataFrame({"true": t, "pred": p})
    return {
        "n": len(t),
        "coverage": float(np.mean(p != UNCODED)) if len(t) else float("nan"),
        "accuracy": float(accuracy_score(t, p)) if len(t) else float("nan"),
        "macro_f1": float(f1_score(t, p, labels=classes, average="macro", zero_division=0))
        if len(t)
        else float("nan"),
        "kappa": cohen_kappa(t, p),
        "alpha": krippendorff_alpha(both),
    }


def per_class(true: pd.Series, pred: pd.Series) -> pd.DataFrame:
    """Precision, recall, F1 and support for each label in ``true`` or ``pred``."""
    from sklearn.metrics import precision_recall_fscore_support

    t = pd.Series(true).astype(object).to_numpy()
    p = pd.Series(pred).astype(object).where(pd.Series(pred).notna(), UNCODED).to_numpy()
    classes = sorted(set(t) | (set(p) - {UNCODED}), key=str)
    prec, rec, f1, sup = precision_recall_fscore_support(t, p, labels=classes, zero_division=0)
    return pd.DataFrame(
        {"label": classes, "precision": prec, "recall": rec, "f1": f1, "support": sup}
    )


def confusion(true: pd.Series, pred: pd.Series, order: list[str] | None = None) -> pd.DataFrame:
    """Tidy confusion counts (``true``, ``pred``, ``n``), every pair of ``order`` (plus
    :data:`UNCODED` when a prediction is missing) included, zeros too."""
    t = pd.Series(true).astype(object).reset_index(drop=True)
    p = (
        pd.Series(pred)
        .astype(object)
        .where(pd.Series(pred).notna(), UNCODED)
        .reset_index(drop=True)
    )
    labels_ = list(order) if order else sorted(set(t) | set(p), key=str)
    labels_ += [x for x in sorted(set(t) | set(p), key=str) if x not in labels_]
    counts = pd.crosstab(t, p)
    rows = [
        {
            "true": a,
            "pred": b,
            "n": int(counts.at[a, b]) if a in counts.index and b in counts.columns else 0,
        }
        for a in labels_
        if a in set(t)
        for b in labels_
        if b in set(p) or b in set(t)
    ]
    return pd.DataFrame(rows, columns=["true", "pred", "n"])


# -- targets and predictions -------------------------------------------------------------
def targets(
    cases: pd.DataFrame, frame: Frame | None = None, techniques: bool = True
) -> dict[str, pd.Series]:
    """Every scorable target's human/source labels (index like ``cases``); targets
    without labels are left out."""
    frame = frame or load_frame()
    out = {}
    for f in ["category", "application_type", *frame.flag_keys]:
        y = reference_labels(cases, f, frame)
        if len(y):
            out[f] = y
    if techniques:
        tl = technique_labels(cases, frame)
        for t in tl.columns:
            if (tl[t] == "yes").any():
                out[f"technique:{t}"] = tl[t]
    return out


def predictions(codes: pd.DataFrame, cases: pd.DataFrame, target: str) -> pd.Series:
    """A coder's answer for ``target`` per case (index like ``cases``; NA = uncoded).
    For ``technique:<key>`` a coded technique list gives yes/no and no list gives no."""
    key = case_keys(cases)
    if target.startswith("technique:"):
        tech = target.split(":", 1)[1]
        sub = codes[codes["field"] == "techniques"]
        found = {
            f"{i}\x00{c}": tech in str(v).split(TECHNIQUE_SEP)
            for i, c, v in zip(sub["inventory"], sub["case_id"], sub["value"])
        }
        return pd.Series(
            ["yes" if found.get(k, False) else "no" for k in key], index=cases.index, dtype=object
        )
    sub = codes[codes["field"] == target]
    values = {f"{i}\x00{c}": v for i, c, v in zip(sub["inventory"], sub["case_id"], sub["value"])}
    return pd.Series([values.get(k, pd.NA) for k in key], index=cases.index, dtype=object)


def _field_of(target: str) -> list[str]:
    if target.startswith("technique:"):
        return ["techniques"]
    if target == "application_type":
        return ["category", "application_type"]
    return [target]


def repeat_seeds(seed: int = config.SEED, repeats: int = CV_REPEATS) -> list[int]:
    """The fold seeds of repeated cross-validation: ``seed``, ``seed + 1``, ...; the first
    repeat is the single cross-validation with ``seed``."""
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats!r}")
    return [int(seed) + r for r in range(int(repeats))]


def _folds(y: pd.Series, folds: int, seed: int):
    from sklearn.model_selection import StratifiedKFold

    min_count = int(y.value_counts().min())
    k = max(2, min(folds, min_count)) if min_count >= 2 else min(folds, len(y))
    return StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)


def cross_validated(
    cases: pd.DataFrame,
    target: str | list[str],
    spec: ModelSpec | None = None,
    folds: int = 5,
    seed: int = config.SEED,
    extra: pd.DataFrame | None = None,
    frame: Frame | None = None,
    train_fraction: float = 1.0,
) -> pd.Series | pd.DataFrame:
    """Out-of-fold predictions of the trained coder on the labelled cases of ``cases``
    (never scored on its own training folds). ``extra`` cases are added to every
    training fold, never tested; ``train_fraction`` < 1 trains on a stratified, seeded
    subsample of each training fold (for learning curves).

    ``target`` may be a list of targets labelled on the same cases: one model per fold
    then learns them all (folds stratified on the first), and a DataFrame with a column
    per target is returned."""
    frame = frame or load_frame()
    names = [target] if isinstance(target, str) else list(target)
    out = _cross_validated(
        cases, tuple(names), spec or ModelSpec(), folds, seed, extra, frame, float(train_fraction)
    )
    return out[names[0]] if isinstance(target, str) else out


@memo.cached
def _cross_validated(
    cases: pd.DataFrame,
    names: tuple[str, ...],
    spec: ModelSpec,
    folds: int,
    seed: int,
    extra: pd.DataFrame | None,
    frame: Frame,
    train_fraction: float,
) -> pd.DataFrame:
    """:func:`cross_validated` with its arguments spelt out in one way (a default model
    specification and a single target are the same call as their explicit forms), so
    the evaluation, the variant comparison and the learning curve share one stored
    result where they fit the same models."""
    ys = targets(cases, frame)
    y = ys[names[0]]
    if any(not ys[n].index.equals(y.index) for n in names[1:]):
        raise ValueError("targets cross-validated together must be labelled on the same cases")
    wanted = list(dict.fromkeys(f for n in names for f in _field_of(n)))
    labelled = cases.loc[y.index]
    out = pd.DataFrame({n: pd.Series(pd.NA, index=y.index, dtype=object) for n in names})
    rng = np.random.default_rng(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for train_idx, test_idx in _folds(y, folds, seed).split(
            np.zeros(len(y)), y.to_numpy(dtype=object)
        ):
            if train_fraction < 1:
                train_idx = train_idx[_subsample(y.iloc[train_idx], train_fraction, rng)]
            train = labelled.iloc[train_idx]
            if extra is not None:
                train = pd.concat([train, extra], ignore_index=True)
            test = labelled.iloc[test_idx]
            try:
                coder = TrainedCoder(frame, spec, seed, wanted, confidences=False)
                codes = coder.fit(train).code(test)
            except CodingError:
                continue  # too few labels in this training fold: its test cases stay uncoded
            for n in names:
                out.iloc[test_idx, out.columns.get_loc(n)] = predictions(codes, test, n).to_numpy()
    return out


def _subsample(y: pd.Series, fraction: float, rng: np.random.Generator) -> np.ndarray:
    """Positions (within ``y``) of a stratified subsample (at least one case per class)."""
    positions = []
    values = y.to_numpy(dtype=object)
    for label in sorted(set(values), key=str):
        idx = np.flatnonzero(values == label)
        take = max(1, int(round(fraction * len(idx))))
        positions.extend(rng.choice(idx, size=take, replace=False).tolist())
    return np.sort(np.array(positions))


@dataclass
class Evaluation:
    """Scores, per-class tables and the predictions they were computed from.

    ``scores`` hold the mean over the cross-validation repeats (``repeats``; the rule
    coder: 1) and the standard deviation across them (``*_sd``); ``per_class``,
    ``confusion`` and ``predictions`` are those of the first repeat (one prediction per
    case); ``repeat_scores`` and ``repeat_predictions`` hold every repeat (``repeat``
    1..n, ``seed``)."""

    scores: pd.DataFrame
    per_class: pd.DataFrame
    confusion: pd.DataFrame
    predictions: pd.DataFrame
    repeat_scores: pd.DataFrame | None = None
    repeat_predictions: pd.DataFrame | None = None


#: What is averaged over repeats, and what gets a standard deviation across them.
_MEANS = ["n", "coverage", "accuracy", "macro_f1", "kappa", "alpha"]
_SPREAD = ["accuracy", "macro_f1", "kappa"]


@memo.cached
def evaluate(
    cases: pd.DataFrame,
    coders: tuple[str, ...] = ("rules", "model"),
    target_names: list[str] | None = None,
    spec: ModelSpec | None = None,
    folds: int = 5,
    seed: int = config.SEED,
    extra: pd.DataFrame | None = None,
    frame: Frame | None = None,
    repeats: int = CV_REPEATS,
) -> Evaluation:
    """Score each coder on every target of ``cases`` that carries labels (``inventory``
    in the scores names the inventories of ``cases``). The trained coder is
    cross-validated ``repeats`` times (fold seeds :func:`repeat_seeds`) and scored by the
    mean over the repeats; targets labelled on the same cases share its folds (stratified
    on the first of them) and one model per fold."""
    frame = frame or load_frame()
    ys = targets(cases, frame)
    names = [t for t in (target_names or list(ys)) if t in ys]
    inventory = ",".join(sorted(cases["inventory"].astype(str).unique()))
    unknown = [c for c in coders if c not in ("rules", "model")]
    if unknown:
        raise ValueError(f"evaluate() scores the offline coders rules and model, not {unknown}")
    seeds = repeat_seeds(seed, repeats)
    rule_codes = RuleCoder(frame).code(cases) if "rules" in coders else None
    model_predictions: dict[str, list[pd.Series]] = {}
    if "model" in coders:
        # targets labelled on the same cases share one model per fold
        groups: dict[tuple, list[str]] = {}
        for t in names:
            groups.setdefault(tuple(ys[t].index), []).append(t)
        for group in groups.values():
            for s in seeds:
                table = cross_validated(cases, group, spec, folds, s, extra, frame)
                for t in group:
                    model_predictions.setdefault(t, []).append(table[t])
    rows, per_repeat, classes, conf, preds = [], [], [], [], []
    for t in names:
        y = ys[t]
        for coder in coders:
            if coder == "rules":
                runs = [predictions(rule_codes, cases.loc[y.index], t)]
            else:
                runs = model_predictions[t]
            key = {"inventory": inventory, "target": t, "coder": coder}
            row, repeat_rows, repeat_preds = _score_repeats(key, y, runs, seeds, cases)
            rows.append(row)
            per_repeat += repeat_rows
            preds += repeat_preds
            classes.append(per_class(y, runs[0]).assign(**key))
            conf.append(confusion(y, runs[0], _order(t, frame)).assign(**key))
    scores = pd.DataFrame(rows, columns=SCORE_COLUMNS + ["repeats"] + [f"{m}_sd" for m in _SPREAD])
    lead = ["inventory", "target", "coder"]
    pcs = pd.concat(classes, ignore_index=True) if classes else pd.DataFrame()
    cfs = pd.concat(conf, ignore_index=True) if conf else pd.DataFrame()
    every = pd.concat(preds, ignore_index=True) if preds else pd.DataFrame()
    return Evaluation(
        scores,
        pcs[lead + [c for c in pcs.columns if c not in lead]] if len(pcs) else pcs,
        cfs[lead + ["true", "pred", "n"]] if len(cfs) else cfs,
        every[every["repeat"] == 1].drop(columns="repeat").reset_index(drop=True)
        if len(every)
        else every,
        pd.DataFrame(per_repeat),
        every,
    )


def _score_repeats(key: dict, y: pd.Series, runs: list[pd.Series], seeds: list[int], cases):
    """One coder's scores on one target: the mean row over its runs (one per repeat), the
    row of each run and each run's predictions."""
    scored = [score(y, p) for p in runs]
    repeat_rows, repeat_preds = [], []
    for r, (p, s) in enumerate(zip(runs, scored), start=1):
        seed = seeds[r - 1] if key["coder"] == "model" else pd.NA
        repeat_rows.append({**key, "repeat": r, "seed": seed, **s})
        repeat_preds.append(
            pd.DataFrame(
                {
                    "inventory": cases.loc[y.index, "inventory"].to_numpy(),
                    "case_id": cases.loc[y.index, "case_id"].to_numpy(),
                    "target": key["target"],
                    "coder": key["coder"],
                    "label": y.to_numpy(),
                    "prediction": p.to_numpy(),
                    "repeat": r,
                }
            )
        )
    table = pd.DataFrame(scored)
    row = {
        **key,
        **{m: float(table[m].mean()) for m in _MEANS},
        "repeats": len(runs),
        **{f"{m}_sd": float(table[m].std(ddof=1)) if len(runs) > 1 else np.nan for m in _SPREAD},
    }
    row["n"] = int(scored[0]["n"])
    return row, repeat_rows, repeat_preds


def _order(target: str, frame: Frame) -> list[str]:
    if target == "category":
        return frame.category_keys + [UNCODED]
    if target == "application_type":
        return frame.application_type_keys + [UNCODED]
    return ["yes", "no", UNCODED]


@memo.cached
def learning_curve(
    cases: pd.DataFrame,
    target: str = "category",
    fractions: tuple[float, ...] = (0.2, 0.4, 0.6, 0.8, 1.0),
    spec: ModelSpec | None = None,
    folds: int = 5,
    seed: int = config.SEED,
    frame: Frame | None = None,
    repeats: int = CV_REPEATS,
) -> pd.DataFrame:
    """Cross-validated macro-F1, accuracy and κ of the trained coder as its training folds
    grow (``n_train`` = mean training cases per fold): the mean over ``repeats`` fold
    seeds (:func:`repeat_seeds`), with ``macro_f1_sd`` across them."""
    frame = frame or load_frame()
    y = targets(cases, frame)[target]
    k = _folds(y, folds, seed).get_n_splits()
    rows = []
    for fr in fractions:
        runs = pd.DataFrame(
            [
                score(y, cross_validated(cases, target, spec, folds, s, None, frame, fr))
                for s in repeat_seeds(seed, repeats)
            ]
        )
        rows.append(
            {
                "target": target,
                "fraction": fr,
                "n_train": round(len(y) * (k - 1) / k * fr),
                "macro_f1": float(runs["macro_f1"].mean()),
                "accuracy": float(runs["accuracy"].mean()),
                "kappa": float(runs["kappa"].mean()),
                "macro_f1_sd": float(runs["macro_f1"].std(ddof=1)) if repeats > 1 else np.nan,
                "repeats": repeats,
            }
        )
    return pd.DataFrame(rows)


@memo.cached
def compare_variants(
    cases: pd.DataFrame,
    target: str,
    specs: list[ModelSpec],
    folds: int = 5,
    seed: int = config.SEED,
    frame: Frame | None = None,
    repeats: int = CV_REPEATS,
) -> pd.DataFrame:
    """Cross-validated scores of several trained-coder variants on one target: the mean
    over ``repeats`` fold seeds (:func:`repeat_seeds`, the same for every variant), with
    ``macro_f1_sd`` across them."""
    frame = frame or load_frame()
    y = targets(cases, frame)[target]
    rows = []
    for spec in specs:
        runs = pd.DataFrame(
            [
                score(y, cross_validated(cases, target, spec, folds, s, None, frame))
                for s in repeat_seeds(seed, repeats)
            ]
        )
        rows.append(
            {
                "variant": spec.label,
                **{m: float(runs[m].mean()) for m in _MEANS},
                "n": int(runs["n"].iloc[0]),
                "macro_f1_sd": float(runs["macro_f1"].std(ddof=1)) if repeats > 1 else np.nan,
                "repeats": repeats,
            }
        )
    return pd.DataFrame(rows)


def pairwise_kappa(ratings: pd.DataFrame) -> pd.DataFrame:
    """Cohen's κ for every pair of coders (columns of a units × coders table), over the
    units both coded."""
    rows = []
    cols = list(ratings.columns)
    for i, a in enumerate(cols):
        for b in cols[i + 1 :]:
            both = ratings[[a, b]].dropna()
            rows.append(
                {"coder_a": a, "coder_b": b, "n": len(both), "kappa": cohen_kappa(both[a], both[b])}
            )
    return pd.DataFrame(rows, columns=["coder_a", "coder_b", "n", "kappa"])


# -- uncertainty of a score ------------------------------------------------------------------
def _fast_scores(t: np.ndarray, p: np.ndarray, k: int) -> tuple[float, float, float]:
    """Accuracy, macro-F1 (over classes present in ``t``) and Cohen's κ of integer-coded
    labels ``t`` (0..k-1) and predictions ``p`` (0..k, k = uncoded)."""
    m = np.bincount(t * (k + 1) + p, minlength=k * (k + 1)).reshape(k, k + 1)
    n = m.sum()
    diag = np.diag(m[:, :k])
    acc = diag.sum() / n
    support, predicted = m.sum(axis=1), m[:, :k].sum(axis=0)
    present = support > 0
    denom = support + predicted
    f1 = np.divide(2 * diag, denom, out=np.zeros(k), where=denom > 0)
    col = np.append(predicted, m[:, k].sum())
    expected = (support * col[:k]).sum() / n**2
    kappa = (acc - expected) / (1 - expected) if expected < 1 else np.nan
    return float(acc), float(f1[present].mean()), float(kappa)


def bootstrap_scores(
    true: pd.Series,
    pred: pd.Series | pd.DataFrame,
    n_boot: int = 2000,
    seed: int = config.SEED,
    level=0.95,
) -> dict:
    """Percentile bootstrap intervals over cases (resampling cases with replacement,
    ``n_boot`` times, seeded) for accuracy, macro-F1 and Cohen's κ; ``pred`` NA =
    uncoded (a miss). ``pred`` may hold one column per cross-validation repeat: each
    resample is then scored by the mean over the repeats (the interval of that mean)."""
    t = pd.Series(true).astype(object).to_numpy()
    runs = pred if isinstance(pred, pd.DataFrame) else pd.DataFrame({"p": pred})
    labels = sorted(set(t), key=str)
    index = {v: i for i, v in enumerate(labels)}
    k = len(labels)
    ti = np.array([index[v] for v in t], dtype=np.int64)
    pis = [
        np.array([index.get(v, k) if not pd.isna(v) else k for v in runs[c]], dtype=np.int64)
        for c in runs.columns
    ]
    rng = np.random.default_rng(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        draws = np.array(
            [
                np.nanmean([_fast_scores(ti[s], pi[s], k) for pi in pis], axis=0)
                if len(pis) > 1
                else _fast_scores(ti[s], pis[0][s], k)
                for s in rng.integers(0, len(t), (n_boot, len(t)))
            ]
        )
    lo, hi = (1 - level) / 2 * 100, (1 + level) / 2 * 100
    out = {}
    for j, name in enumerate(("accuracy", "macro_f1", "kappa")):
        col = draws[:, j][~np.isnan(draws[:, j])]
        out[f"{name}_low"] = float(np.percentile(col, lo)) if len(col) else np.nan
        out[f"{name}_high"] = float(np.percentile(col, hi)) if len(col) else np.nan
    return out


@memo.cached
def with_intervals(evaluation: Evaluation, n_boot: int = 2000, seed: int = config.SEED):
    """An evaluation's scores with bootstrap intervals over cases (``*_low``/``*_high``
    for accuracy, macro-F1 and κ), from the predictions the scores were computed on: for
    a cross-validated coder, of the mean over its repeats."""
    rows = []
    pred = evaluation.repeat_predictions
    if pred is None:
        pred = evaluation.predictions.assign(repeat=1)
    for r in evaluation.scores.to_dict("records"):
        sub = pred[(pred["target"] == r["target"]) & (pred["coder"] == r["coder"])]
        case = ["inventory", "case_id"]
        wide = sub.pivot(index=case, columns="repeat", values="prediction")
        label = sub[sub["repeat"] == sub["repeat"].min()].set_index(case)["label"]
        rows.append({**r, **bootstrap_scores(label, wide.loc[label.index], n_boot, seed)})
    return pd.DataFrame(rows)


# -- the one technique an inventory names per case ----------------------------------------------
def single_technique(cases: pd.DataFrame, frame: Frame | None = None) -> pd.Series:
    """The reference technique of the cases whose reference names exactly one (e.g. the US
    2025 inventory's ``classification``, the one "most closely aligned")."""
    frame = frame or load_frame()
    lab = reference_labels(cases, "techniques", frame)
    return lab[~lab.str.contains(TECHNIQUE_SEP, regex=False)]


def _rule_primary(cases: pd.DataFrame, frame: Frame) -> tuple[pd.Series, pd.Series]:
    """The rule coder's techniques per case and its primary one: the technique with most
    distinct terms found (ties in frame order)."""
    from .coders.base import case_text
    from .coders.rules import vocabulary_hits

    order = {t: i for i, t in enumerate(frame.technique_keys)}
    primary, sets = [], []
    for text in case_text(cases):
        hits = {
            k: len(v)
            for (kind, k), v in vocabulary_hits(text, frame).items()
            if kind == "technique"
        }
        sets.append(";".join(sorted(hits, key=order.get)))
        primary.append(min(hits, key=lambda t: (-hits[t], order[t])) if hits else pd.NA)
    return (
        pd.Series(primary, index=cases.index, dtype=object),
        pd.Series(sets, index=cases.index, dtype=object),
    )


def _group_folds(y: pd.Series, groups: pd.Series, folds: int, seed: int):
    from sklearn.model_selection import StratifiedGroupKFold

    splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    return splitter.split(np.zeros(len(y)), y.to_numpy(dtype=object), groups.to_numpy(dtype=object))


@memo.cached
def primary_technique(
    cases: pd.DataFrame,
    group_by: str = "agency",
    folds: int = 5,
    seed: int = config.SEED,
    spec: ModelSpec | None = None,
    extra: pd.DataFrame | None = None,
    frame: Frame | None = None,
) -> pd.DataFrame:
    """Each coder's primary technique against a reference that names one technique per
    case, the trained coder cross-validated with whole groups (``group_by``, e.g. the
    agency) held out of training. A coder may name several techniques; it is scored by
    the one it ranks first (the trained coder: highest score of its per-technique models;
    the rule coder: most terms found), and ``in_set`` says how often the reference is among
    all it names (``set_size`` = mean number named). Columns: ``case_id``, ``group``,
    ``label``, ``prediction_<coder>``, ``set_<coder>``."""
    frame = frame or load_frame()
    y = single_technique(cases, frame)
    labelled = cases.loc[y.index]
    groups = labelled[group_by].astype(str)
    rule_primary, rule_set = _rule_primary(labelled, frame)
    model_primary = pd.Series(pd.NA, index=y.index, dtype=object)
    model_set = pd.Series("", index=y.index, dtype=object)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for train_idx, test_idx in _group_folds(y, groups, folds, seed):
            train = labelled.iloc[train_idx]
            if extra is not None:
                train = pd.concat([train, extra], ignore_index=True)
            test = labelled.iloc[test_idx]
            coder = TrainedCoder(frame, spec, seed, ["techniques"], confidences=False).fit(train)
            scores = coder.decision_scores(test)
            techs = [t for t in frame.technique_keys if f"technique:{t}" in scores]
            yes = np.column_stack(
                [scores[f"technique:{t}"]["yes"].to_numpy(dtype=float) for t in techs]
            )
            no = np.column_stack(
                [scores[f"technique:{t}"]["no"].to_numpy(dtype=float) for t in techs]
            )
            margin = yes - no
            model_primary.iloc[test_idx] = np.array(techs, dtype=object)[margin.argmax(axis=1)]
            model_set.iloc[test_idx] = [
                ";".join(t for t, m in zip(techs, row) if m > 0) for row in margin
            ]
    return pd.DataFrame(
        {
            "case_id": labelled["case_id"].to_numpy(),
            "group": groups.to_numpy(),
            "label": y.to_numpy(),
            "prediction_rules": rule_primary.to_numpy(),
            "set_rules": rule_set.to_numpy(),
            "prediction_model": model_primary.to_numpy(),
            "set_model": model_set.to_numpy(),
        }
    )


def primary_technique_scores(table: pd.DataFrame, n_boot: int = 2000, seed: int = config.SEED):
    """Scores of :func:`primary_technique`'s predictions per coder, with bootstrap
    intervals, ``in_set`` and ``set_size``."""
    rows = []
    for coder in ("rules", "model"):
        pred = table[f"prediction_{coder}"]
        sets = table[f"set_{coder}"].fillna("").astype(str).str.split(";")
        named = sets.map(lambda s: [x for x in s if x])
        rows.append(
            {
                "coder": coder,
                **score(table["label"], pred),
                **bootstrap_scores(table["label"], pred, n_boot, seed),
                "in_set": float(np.mean([lab in s for lab, s in zip(table["label"], named)])),
                "set_size": float(named.map(len).mean()),
                "groups": int(table["group"].nunique()),
            }
        )
    return pd.DataFrame(rows)
