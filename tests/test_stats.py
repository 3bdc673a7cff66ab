"""Statistics checked against scipy / statsmodels / scikit-learn reference calls and hand
counts from the study's printed tables."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps
from scipy.stats import contingency
from statsmodels.stats import contingency_tables as ct
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint

from analysis import cases as canonical
from analysis import load_frame, stats, synthetic
from analysis.errors import AnalysisError

FRAME = load_frame()
DG, HR, ETH, EXP, PD, ADR = FRAME.flag_keys


def test_bh_and_holm_match_statsmodels():
    p = np.array([0.001, 0.04, 0.03, 0.2, np.nan, 0.04, 0.9, 0.0005])
    ok = ~np.isnan(p)
    np.testing.assert_allclose(stats.bh(p)[ok], multipletests(p[ok], method="fdr_bh")[1])
    np.testing.assert_allclose(stats.holm(p)[ok], multipletests(p[ok], method="holm")[1])
    assert np.isnan(stats.bh(p)[4]) and np.isnan(stats.holm(p)[4])
    assert np.isnan(stats.bh([np.nan])).all()


def test_wilson_matches_statsmodels():
    yes, n = np.array([0, 3, 7, 11, 250]), np.array([11, 11, 11, 11, 1000])
    low, high = stats.wilson(yes, n)
    ref_low, ref_high = proportion_confint(yes, n, alpha=0.05, method="wilson")
    np.testing.assert_allclose(low, ref_low, atol=1e-12)
    np.testing.assert_allclose(high, ref_high, atol=1e-12)


def test_prevalence_of_the_study(study, frame):
    table = stats.prevalence(study, frame=frame).set_index("flag")
    # V's per column counted by hand: 11, 7, 5, 10, 8, 8 of 11
    assert table["yes"].tolist() == [11, 7, 5, 10, 8, 8] and (table["n"] == 11).all()
    low, high = proportion_confint(7, 11, method="wilson")
    assert table.loc[HR, "ci_low"] == pytest.approx(low) and table.loc[HR, "ci_high"] == pytest.approx(high)
    by_cat = stats.prevalence(study, by="category", frame=frame).set_index(["category", "flag"])
    # 執行 (5 DIGI+ cases): 倫理 in digi-1, digi-4, digi-5
    assert by_cat.loc[("enforcement", ETH), ["yes", "n"]].tolist() == [3, 5]


def test_chi2_fisher_and_cramers_v_match_scipy():
    big = np.array([[40, 20], [25, 35], [30, 30]])
    row = stats._test(big, 5, 1000, 1)
    ref = sps.chi2_contingency(big, correction=False)
    assert row["test"] == "chi2" and row["n"] == 180
    assert row["statistic"] == pytest.approx(ref.statistic) and row["p_value"] == pytest.approx(ref.pvalue)
    assert row["cramers_v"] == pytest.approx(contingency.association(big, method="cramer"))
    small = np.array([[1, 3], [6, 1]])
    row = stats._test(small, 5, 1000, 1)
    assert row["test"] == "fisher" and row["p_value"] == pytest.approx(sps.fisher_exact(small).pvalue)


def _exact_pvalue(table: np.ndarray) -> float:
    """P(χ² ≥ observed) over every r × 2 table with the same margins (brute force)."""
    rows = table.sum(axis=1)
    yes = table[:, 0].sum()
    observed = sps.chi2_contingency(table, correction=False).statistic
    total = math.comb(int(rows.sum()), int(yes))
    p = 0.0
    ranges = [range(0, int(r) + 1) for r in rows]
    for ys in np.array(np.meshgrid(*ranges)).reshape(len(rows), -1).T:
        if ys.sum() != yes:
            continue
        t = np.stack([ys, rows - ys], axis=1)
        weight = np.prod([math.comb(int(r), int(y)) for r, y in zip(rows, ys)]) / total
        stat = ((t - rows[:, None] * t.sum(0) / rows.sum()) ** 2 / (rows[:, None] * t.sum(0) / rows.sum())).sum()
        if stat >= observed - 1e-9:
            p += weight
    return p


def test_permutation_pvalue_matches_exact_enumeration():
    table = np.array([[4, 1], [1, 2], [0, 3]])
    exact = _exact_pvalue(table)
    p = stats.permutation_pvalue(table, 10_000, seed=7)
    assert abs(p - exact) < 4 * math.sqrt(exact * (1 - exact) / 10_000) + 1e-4
    assert stats.permutation_pvalue(table, 2000, seed=7) == stats.permutation_pvalue(table, 2000, seed=7)


def test_association_on_the_study(study, frame):
    table = stats.association(study, "category", n_permutations=2000, frame=frame).set_index("flag")
    assert table.loc[DG, "test"] == "not testable"  # ticked in all 11 cases
    assert set(table.drop(DG)["test"]) == {"permutation"}  # 3 categories, expected counts below 5
    assert (table["n"] == 11).all() and (table["strata"] == 3).all()
    # 倫理 by category = [[3, 2], [0, 3], [2, 1]] (執行: digi-1,4,5; 管制: none; 內部管理: taipei-2,3)
    ref = sps.chi2_contingency(np.array([[3, 2], [0, 3], [2, 1]]), correction=False)
    assert table.loc[ETH, "statistic"] == pytest.approx(ref.statistic)
    ok = table["p_value"].notna()
    np.testing.assert_allclose(table.loc[ok, "q_value"], multipletests(table.loc[ok, "p_value"], method="fdr_bh")[1])
    tech = stats.association(study, "technique", frame=frame).set_index(["technique", "flag"])
    # 機器學習 users (digi-3, award-2, taipei-1, taipei-3) × 人權保護: [[1, 3], [6, 1]]
    row = tech.loc[("machine_learning", HR)]
    assert row["test"] == "fisher" and row["n"] == 11
    assert row["p_value"] == pytest.approx(sps.fisher_exact([[1, 3], [6, 1]]).pvalue)


def test_association_without_techniques(study, frame):
    no_tech = study.assign(techniques=None)
    table = stats.association(no_tech, "technique", frame=frame)
    assert table.empty and "q_value" in table.columns and "technique" in table.columns
    one_cat = stats.association(study[study["category"] == "enforcement"], "category", frame=frame)
    assert (one_cat["test"] == "not testable").all() and (one_cat["n"] == 5).all()


def _two_group(a, b, c, d) -> pd.DataFrame:
    """Synthetic cases: category x (a yes, b no), category y (c yes, d no) for flag ethics."""
    cats = ["enforcement"] * (a + b) + ["adjudication"] * (c + d)
    flag = [True] * a + [False] * b + [True] * c + [False] * d
    table = pd.DataFrame({"case_id": [f"synthetic-{i}" for i in range(len(cats))], "inventory": "synthetic",
                          "category": cats, ETH: flag})
    return canonical.coerce(table, FRAME)


def test_logistic_single_binary_term_is_the_odds_ratio():
    a, b, c, d = 30, 20, 12, 38  # adjudication vs reference enforcement (the larger group, 50 vs 50 → frame order)
    table = stats.logistic(_two_group(a, b, c, d), flags=[ETH], terms=["category"])
    row = table.iloc[0]
    assert row["reference"] == "enforcement" and row["level"] == "adjudication" and row["method"] == "mle"
    odds = (c / d) / (a / b)
    se = math.sqrt(1 / a + 1 / b + 1 / c + 1 / d)
    assert row["odds_ratio"] == pytest.approx(odds, rel=1e-6)
    assert row["ci_low"] == pytest.approx(odds * math.exp(-1.959963984540054 * se), rel=1e-5)
    assert (row["n"], row["events"]) == (100, 42)


def test_firth_on_separation_is_haldane_corrected_odds_ratio():
    a, b, c, d = 20, 10, 0, 15  # no adjudication case ticked: quasi-complete separation
    table = stats.logistic(_two_group(a, b, c, d), flags=[ETH], terms=["category"])
    row = table.iloc[0]
    assert row["method"] == "firth" and row["estimable"]
    # Firth's estimate for one binary covariate equals the log OR with ½ added to each cell
    assert row["odds_ratio"] == pytest.approx(((c + .5) / (d + .5)) / ((a + .5) / (b + .5)), rel=1e-5)
    assert "Firth" in row["reason"]
    reported = stats.logistic(_two_group(a, b, c, d), flags=[ETH], terms=["category"], separation="report").iloc[0]
    assert not reported["estimable"] and "separation" in reported["reason"] and math.isnan(reported["odds_ratio"])


def test_logistic_matches_unpenalised_sklearn():
    from sklearn.linear_model import LogisticRegression
    cases = synthetic.generate(3000, seed=11)
    table = stats.logistic(cases, flags=[PD], terms=["category"])
    assert (table["method"] == "mle").all()
    used = cases[cases[PD].notna() & cases["category"].notna()]
    ref_level = table["reference"].iloc[0]
    levels = table["level"].tolist()
    X = np.column_stack([(used["category"] == lv).to_numpy(dtype=float) for lv in levels])
    model = LogisticRegression(C=np.inf, tol=1e-10, max_iter=10_000).fit(X, used[PD].to_numpy(dtype=int))
    np.testing.assert_allclose(table["odds_ratio"], np.exp(model.coef_[0]), rtol=1e-4)
    assert ref_level not in levels and table["n"].iloc[0] == len(used)


def test_logistic_on_the_study_never_reports_a_silent_huge_odds_ratio(study, frame):
    table = stats.logistic(study, frame=frame)
    dg = table[table["flag"] == DG]
    assert not dg["estimable"].any() and dg["reason"].str.contains("does not vary").all()
    estimable = table[table["estimable"]]
    assert (estimable["method"] == "firth").all()  # 11 cases: every flag has sparse cells
    assert np.isfinite(estimable[["odds_ratio", "ci_low", "ci_high"]].to_numpy(dtype=float)).all()
    assert (table.loc[~table["estimable"], "reason"].str.len() > 0).all()
    assert (table["n"] == 11).all()
    with pytest.raises(AnalysisError):
        stats.logistic(study, separation="ignore")


def test_cochrans_q_matches_statsmodels(study, frame):
    ours = stats.cochrans_q(study, frame=frame).iloc[0]
    ref = ct.cochrans_q(study[frame.flag_keys].astype(int).to_numpy())
    assert ours["statistic"] == pytest.approx(ref.statistic) and ours["p_value"] == pytest.approx(ref.pvalue)
    assert (ours["n"], ours["k"]) == (11, 6)
    sample = synthetic.generate(400, seed=3)
    ours = stats.cochrans_q(sample, frame=frame).iloc[0]
    complete = sample[frame.flag_keys].dropna().astype(int).to_numpy()
    ref = ct.cochrans_q(complete)
    assert ours["n"] == len(complete) and ours["statistic"] == pytest.approx(ref.statistic)


def test_mcnemar_matches_statsmodels(study, frame):
    for cases in (study, synthetic.generate(600, seed=5)):
        table = stats.mcnemar_pairs(cases, frame=frame)
        assert len(table) == 15
        for row in table.itertuples():
            both = cases[[row.flag_a, row.flag_b]].dropna().astype(bool)
            a, b = both[row.flag_a], both[row.flag_b]
            t = [[int((a & b).sum()), int((a & ~b).sum())], [int((~a & b).sum()), int((~a & ~b).sum())]]
            assert (row.n, row.a_only, row.b_only) == (len(both), t[0][1], t[1][0])
            exact = t[0][1] + t[1][0] < 25
            ref = ct.mcnemar(np.array(t), exact=exact, correction=True)
            assert row.p_value == pytest.approx(ref.pvalue)
        np.testing.assert_allclose(table["p_holm"], multipletests(table["p_value"], method="holm")[1])
    # 資料治理 (11) vs 倫理 (5): 6 discordant cases, all one way → exact p = 2 · 0.5⁶
    row = stats.mcnemar_pairs(study, frame=frame).iloc[1]
    assert (row["flag_b"], row["a_only"], row["b_only"]) == (ETH, 6, 0)
    assert row["p_value"] == pytest.approx(2 * 0.5 ** 6)
