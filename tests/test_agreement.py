"""Agreement statistics, cross-validation and learning curves."""

import itertools

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import cohen_kappa_score, f1_score

from analysis import canonical, config, inventories
from analysis.agreement import (
    UNCODED,
    cohen_kappa,
    confusion,
    cross_validated,
    evaluate,
    krippendorff_alpha,
    learning_curve,
    pairwise_kappa,
    per_class,
    predictions,
    score,
)
from analysis.coders import ModelSpec, RuleCoder


def alpha_reference(units: list[list]) -> float:
    """Krippendorff's nominal α from the coincidence matrix, written out directly."""
    values = sorted({v for u in units for v in u if v is not None})
    o = {(a, b): 0.0 for a in values for b in values}
    for u in units:
        present = [v for v in u if v is not None]
        m = len(present)
        if m < 2:
            continue
        for i, j in itertools.permutations(range(m), 2):
            o[(present[i], present[j])] += 1 / (m - 1)
    n_c = {c: sum(o[(c, k)] for k in values) for c in values}
    n = sum(n_c.values())
    observed = sum(v for (a, b), v in o.items() if a != b)
    expected = sum(n_c[a] * n_c[b] for a in values for b in values if a != b)
    return 1 - (n - 1) * observed / expected


def test_kappa_by_hand():
    # a: x x y y z, b: x y y y z -> p_o = 4/5; marginals a (2,2,1)/5, b (1,3,1)/5:
    # p_e = (2*1 + 2*3 + 1*1) / 25 = 9/25; kappa = (4/5 - 9/25) / (1 - 9/25) = 11/16
    assert cohen_kappa(list("xxyyz"), list("xyyyz")) == pytest.approx(11 / 16)
    # perfect and chance-level agreement
    assert cohen_kappa(list("abab"), list("abab")) == pytest.approx(1.0)
    assert cohen_kappa(list("aabb"), list("abab")) == pytest.approx(0.0)
    # labels of any type are compared as text (a pandas Series of yes/no and booleans alike)
    assert cohen_kappa(pd.Series(["yes", "no", "yes"]), ["yes", "no", "no"]) == pytest.approx(0.4)


def test_kappa_is_undefined_for_a_degenerate_table():
    # one and the same label throughout: expected agreement 1, kappa 0/0
    assert np.isnan(cohen_kappa(["a", "a", "a"], ["a", "a", "a"]))
    assert np.isnan(cohen_kappa([], []))
    with pytest.raises(ValueError, match="same units"):
        cohen_kappa(["a"], ["a", "b"])


def test_alpha_by_hand_and_against_a_reference():
    # coder 1: a a b b; coder 2: a b b b -> coincidences o_aa=2, o_ab=o_ba=1, o_bb=4;
    # n_a=3, n_b=5, n=8: alpha = 1 - 7 * 2 / (2 * 3 * 5) = 8/15
    table = pd.DataFrame({"c1": ["a", "a", "b", "b"], "c2": ["a", "b", "b", "b"]})
    assert krippendorff_alpha(table) == pytest.approx(8 / 15)
    rng = np.random.default_rng(config.SEED)
    units = [
        [rng.choice(["x", "y", "z"]) if rng.random() > 0.2 else None for _ in range(3)]
        for _ in range(25)
    ]
    table = pd.DataFrame(units, columns=["c1", "c2", "c3"])
    assert krippendorff_alpha(table) == pytest.approx(alpha_reference(units))


def test_score_against_hand_counts():
    true = pd.Series(["a", "a", "b", "b", "c"])
    pred = pd.Series(["a", "b", "b", "b", pd.NA], dtype=object)
    s = score(true, pred)
    assert s["n"] == 5 and s["coverage"] == pytest.approx(0.8)
    assert s["accuracy"] == pytest.approx(3 / 5)
    # F1: a = 2*1*0.5/1.5 = 2/3, b = 2*(2/3)*1/(5/3) = 0.8, c = 0 (uncoded is a miss)
    assert s["macro_f1"] == pytest.approx((2 / 3 + 0.8 + 0) / 3)
    filled = pred.where(pred.notna(), UNCODED)
    assert s["kappa"] == pytest.approx(cohen_kappa_score(true, filled))
    pc = per_class(true, pred).set_index("label")
    assert pc.loc["b", "precision"] == pytest.approx(2 / 3) and pc.loc[
        "a", "recall"
    ] == pytest.approx(0.5)
    cm = confusion(true, pred, ["a", "b", "c"])
    assert cm["n"].sum() == 5
    assert cm.set_index(["true", "pred"]).loc[("c", UNCODED), "n"] == 1


def test_pairwise_kappa_uses_units_both_coded():
    table = pd.DataFrame(
        {"x": ["a", "b", None, "a"], "y": ["a", "b", "b", "b"], "z": ["a", "a", "a", None]}
    )
    pk = pairwise_kappa(table).set_index(["coder_a", "coder_b"])
    assert pk.loc[("x", "y"), "n"] == 3
    assert pk.loc[("x", "y"), "kappa"] == pytest.approx(
        cohen_kappa_score(["a", "b", "a"], ["a", "b", "b"])
    )


def test_rule_coder_scored_directly_on_the_study(frame, study):
    ev = evaluate(study, ("rules",), ["category", "ethics"], frame=frame)
    codes = RuleCoder(frame).code(study)
    pred = predictions(codes, study, "category")
    expected = np.mean([not pd.isna(p) and p == t for p, t in zip(pred, study["category"])])
    got = ev.scores.set_index("target").loc["category"]
    assert got["n"] == 11 and got["accuracy"] == pytest.approx(expected)
    truth = study["category"].to_numpy(dtype=object)
    filled = pred.where(pred.notna(), UNCODED).to_numpy(dtype=object)
    assert got["macro_f1"] == pytest.approx(
        f1_score(truth, filled, labels=sorted(set(truth)), average="macro")
    )
    assert set(ev.predictions["target"]) == {"category", "ethics"}


def test_cross_validation_never_scores_on_training_folds(frame):
    # synthetic: each case's only word is unique to it, so a model tested on its own
    # training cases would be perfect, while out-of-fold it can only guess (uncalibrated:
    # calibration by internal cross-validation would itself hide the memorised words)
    spec = ModelSpec(calibrate=False)
    rng = np.random.default_rng(config.SEED)
    cats = frame.category_keys[:3]
    rows = [
        {
            "case_id": f"s{i}",
            "inventory": "synthetic",
            "source": "synthetic",
            "name": "".join(rng.choice(list("abcdefghijklmnopqrstuvwxyz"), 12)),
            "category": cats[i % 3],
            "category_coded_by": "source",
        }
        for i in range(45)
    ]
    synthetic = canonical.coerce(pd.DataFrame(rows), frame)
    oof = cross_validated(synthetic, "category", spec, folds=5, frame=frame)
    assert oof.notna().all() and len(oof) == 45
    assert (oof.to_numpy() == synthetic["category"].to_numpy()).mean() < 0.7
    again = cross_validated(synthetic, "category", spec, folds=5, frame=frame)
    pd.testing.assert_series_equal(oof, again)  # seeded
    # the same holds for the subsampled training folds of a learning curve
    part = cross_validated(synthetic, "category", spec, folds=5, frame=frame, train_fraction=0.8)
    assert (part.to_numpy() == synthetic["category"].to_numpy()).mean() < 0.7
    # whereas a model tested on its own training cases recalls them
    from analysis.coders import TrainedCoder

    fitted = TrainedCoder(frame, spec, fields_=["category"]).fit(synthetic).code(synthetic)
    assert (fitted["value"].to_numpy() == synthetic["category"].to_numpy()).mean() > 0.9


def test_category_on_jrc_cross_validated(frame):
    jrc = inventories.cases("jrc-ai-watch")
    ev = evaluate(jrc, ("rules", "model"), ["category"], folds=3, frame=frame, repeats=3)
    s = ev.scores.set_index("coder")
    assert s.loc["model", "n"] == 157 and s.loc["model", "coverage"] == 1.0
    assert 0 <= s.loc["model", "macro_f1"] <= 1 and s.loc["rules", "coverage"] < 1.0
    cm = ev.confusion[ev.confusion["coder"] == "model"]
    assert cm["n"].sum() == 157
    truth = jrc["category"].value_counts()
    per_true = cm.groupby("true")["n"].sum()
    assert (per_true.reindex(truth.index) == truth).all()
    # the model's score is the mean over three fold seeds, each scored by scikit-learn
    # on its own out-of-fold predictions, not the best of them
    y = jrc["category"].to_numpy(dtype=object)
    f1s = []
    for seed in (config.SEED, config.SEED + 1, config.SEED + 2):
        oof = cross_validated(jrc, "category", folds=3, seed=seed, frame=frame)
        filled = oof.where(oof.notna(), UNCODED).to_numpy(dtype=object)
        f1s.append(f1_score(y, filled, labels=sorted(set(y)), average="macro", zero_division=0))
    assert s.loc["model", "repeats"] == 3 and s.loc["rules", "repeats"] == 1
    assert s.loc["model", "macro_f1"] == pytest.approx(np.mean(f1s))
    assert s.loc["model", "macro_f1_sd"] == pytest.approx(np.std(f1s, ddof=1))
    assert len(set(np.round(f1s, 9))) > 1  # the fold seed matters: one seed is not the score
    reps = ev.repeat_scores[ev.repeat_scores["coder"] == "model"]
    assert reps["macro_f1"].tolist() == pytest.approx(f1s)
    # the bootstrap interval over cases is the interval of the mean over the repeats
    from analysis.agreement import with_intervals

    row = with_intervals(ev, 300).set_index("coder").loc["model"]
    assert row["macro_f1_low"] <= row["macro_f1"] <= row["macro_f1_high"]


def test_alpha_treats_uncoded_as_missing_like_the_krippendorff_package(frame):
    """The rule coder against the JRC categories (real data): the cases it leaves uncoded
    are missing values for α, as the krippendorff package reads NaN."""
    from krippendorff import alpha as kalpha

    jrc = inventories.cases("jrc-ai-watch")
    pred = predictions(RuleCoder(frame).code(jrc), jrc, "category")
    truth = jrc["category"].astype(object)
    assert pred.isna().sum() > 0
    values = sorted(set(truth) | set(pred.dropna()))
    data = np.array(
        [[values.index(v) if not pd.isna(v) else np.nan for v in r] for r in (truth, pred)],
        dtype=float,
    )
    expected = kalpha(reliability_data=data, level_of_measurement="nominal")
    assert score(truth, pred)["alpha"] == pytest.approx(expected)
    table = pd.DataFrame({"truth": truth, "rules": pred.where(pred.notna(), UNCODED)})
    assert krippendorff_alpha(table) == pytest.approx(expected)
    # counting uncoded as a label of its own is the other convention: a lower α here
    as_label = krippendorff_alpha(table, uncoded_as_label=True)
    codes = {v: i for i, v in enumerate(values + [UNCODED])}
    data_label = np.array([[codes[v] for v in table[c]] for c in table.columns], dtype=float)
    assert as_label == pytest.approx(
        kalpha(reliability_data=data_label, level_of_measurement="nominal")
    )
    assert as_label < expected


def test_learning_curve_grows_the_training_folds(frame, study):
    jrc = inventories.cases("jrc-ai-watch")
    curve = learning_curve(jrc, "category", fractions=(0.3, 1.0), folds=3, frame=frame)
    assert list(curve["fraction"]) == [0.3, 1.0]
    assert curve["n_train"].is_monotonic_increasing and curve["n_train"].iloc[-1] == round(
        157 * 2 / 3
    )
    assert curve["macro_f1"].between(0, 1).all()


# -- bootstrap intervals and the primary technique ------------------------------------------
def test_fast_scores_equal_scikit_learn_on_resamples():
    """The bootstrap's vectorised scores are the same numbers scikit-learn computes on
    each resample (uncoded predictions included)."""
    from sklearn.metrics import accuracy_score, cohen_kappa_score, f1_score

    from analysis.agreement import UNCODED, _fast_scores

    rng = np.random.default_rng(7)
    labels = ["a", "b", "c", "d"]
    for _ in range(30):
        t = rng.choice(labels, 40)
        p = np.where(rng.random(40) < 0.1, UNCODED, rng.choice(labels, 40))
        present = sorted(set(t))
        index = {v: i for i, v in enumerate(present)}
        k = len(present)
        acc, f1, kappa = _fast_scores(
            np.array([index[v] for v in t]), np.array([index.get(v, k) for v in p]), k
        )
        assert acc == pytest.approx(accuracy_score(t, p))
        assert f1 == pytest.approx(f1_score(t, p, labels=present, average="macro", zero_division=0))
        assert kappa == pytest.approx(cohen_kappa_score(t, p))


def test_bootstrap_interval_contains_the_estimate_and_narrows_with_more_cases():
    from analysis.agreement import bootstrap_scores, score

    rng = np.random.default_rng(3)
    t = pd.Series(rng.choice(["x", "y", "z"], 400))
    p = t.where(rng.random(400) < 0.7, pd.Series(rng.choice(["x", "y", "z"], 400)))
    small = bootstrap_scores(t[:50], p[:50], 500)
    large = bootstrap_scores(t, p, 500)
    est = score(t, p)
    for m in ("accuracy", "macro_f1", "kappa"):
        assert large[f"{m}_low"] <= est[m] <= large[f"{m}_high"]
        assert large[f"{m}_high"] - large[f"{m}_low"] < small[f"{m}_high"] - small[f"{m}_low"]
    assert bootstrap_scores(t, p, 300, seed=1) == bootstrap_scores(t, p, 300, seed=1)


def test_primary_technique_holds_whole_agencies_out(frame):
    """On the US 2025 inventory (one technique per case from its own classification), no
    agency is ever in the training folds of its own predictions: every case is predicted
    by a model fitted without its agency."""
    from analysis import inventories
    from analysis.agreement import _group_folds, single_technique

    cases = inventories.cases("us-federal-2025", frame)
    y = single_technique(cases, frame)
    groups = cases.loc[y.index, "agency"].astype(str)
    seen = 0
    for train, test in _group_folds(y, groups, 5, 1):
        assert not set(groups.iloc[train]) & set(groups.iloc[test])
        seen += len(test)
    assert seen == len(y)
    assert (cases["techniques"].str.contains(";", na=False)).sum() == 0
