"""Statistics checked against worked examples with published answers, exact enumeration
and hand counts from the study's printed tables; where the code is our own (BH, Holm,
Cochran's Q, the permutation p-value, Firth), also against scipy / statsmodels /
scikit-learn."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from scipy import optimize
from scipy import stats as sps
from statsmodels.stats import contingency_tables as ct
from statsmodels.stats.multitest import multipletests

from analysis import canonical, load_frame, stats, synthetic
from analysis.errors import AnalysisError

FRAME = load_frame()
DG, HR, ETH, EXP, PD, ADR = FRAME.flag_keys
Z95 = 1.959963984540054  # standard normal 97.5 % quantile


def _holm_by_hand(p: list[float]) -> list[float]:
    """Holm's step-down adjustment written out: the i-th smallest of m p-values times
    (m - i + 1), never below the adjusted value before it, at most 1."""
    order = sorted(range(len(p)), key=lambda i: p[i])
    out, running = [0.0] * len(p), 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, p[i] * (len(p) - rank)))
        out[i] = running
    return out


def _pearson_by_hand(table) -> float:
    """Pearson's χ² from its definition, in exact fractions."""
    rows = [sum(r) for r in table]
    cols = [sum(c) for c in zip(*table)]
    n = sum(rows)
    return float(
        sum(
            Fraction(o * n - rows[i] * cols[j]) ** 2 / (n * rows[i] * cols[j])
            for i, r in enumerate(table)
            for j, o in enumerate(r)
        )
    )


def _fisher_by_hand(a: int, b: int, c: int, d: int) -> float:
    """Two-sided Fisher p of [[a, b], [c, d]]: the hypergeometric probabilities of every
    table with the same margins that are no larger than the observed one's."""
    n1, k, n = a + b, a + c, a + b + c + d
    prob = {
        x: Fraction(math.comb(k, x) * math.comb(n - k, n1 - x), math.comb(n, n1))
        for x in range(max(0, n1 + k - n), min(n1, k) + 1)
    }
    return float(sum(q for q in prob.values() if q <= prob[a]))


def test_bh_matches_the_published_example_and_statsmodels():
    # Benjamini & Hochberg (1995), section 4: 15 p-values; at FDR 0.05 the four smallest
    # are rejected (the fifth's q-value is 0.0201 · 15 / 5 = 0.0603).
    published = [
        0.0001,
        0.0004,
        0.0019,
        0.0095,
        0.0201,
        0.0278,
        0.0298,
        0.0344,
        0.0459,
        0.3240,
        0.4262,
        0.5719,
        0.6528,
        0.7590,
        1.000,
    ]
    q = stats.bh(published[::-1])[::-1]
    assert (q <= 0.05).tolist() == [True] * 4 + [False] * 11
    assert q[3] == pytest.approx(0.0095 * 15 / 4) and q[4] == pytest.approx(0.0603)
    p = np.array([0.001, 0.04, 0.03, 0.2, np.nan, 0.04, 0.9, 0.0005])
    ok = ~np.isnan(p)
    np.testing.assert_allclose(stats.bh(p)[ok], multipletests(p[ok], method="fdr_bh")[1])
    assert np.isnan(stats.bh(p)[4]) and np.isnan(stats.bh([np.nan])).all()


def test_holm_by_hand_and_statsmodels():
    p = [0.01, 0.04, 0.03, 0.005, np.nan, 0.5]
    # sorted 0.005, 0.01, 0.03, 0.04, 0.5 times 5, 4, 3, 2, 1 = 0.025, 0.04, 0.09, 0.08 → 0.09, 0.5
    np.testing.assert_allclose(stats.holm(p), [0.04, 0.09, 0.09, 0.025, np.nan, 0.5])
    assert _holm_by_hand([0.01, 0.04, 0.03, 0.005, 0.5]) == pytest.approx(
        [0.04, 0.09, 0.09, 0.025, 0.5]
    )
    assert np.isnan(stats.holm([np.nan])).all()
    q = np.array([0.001, 0.04, 0.03, 0.2, 0.04, 0.9, 0.0005])
    np.testing.assert_allclose(stats.holm(q), multipletests(q, method="holm")[1])


def test_wilson_matches_newcombes_published_intervals():
    # Newcombe (1998), Stat. Med. 17:857, Table I, method 3 (score interval, no correction)
    yes, n = [81, 15, 0, 1], [263, 148, 20, 29]
    low, high = stats.wilson(yes, n)
    np.testing.assert_allclose(low, [0.2553, 0.0624, 0.0, 0.0061], atol=5e-5)
    np.testing.assert_allclose(high, [0.3662, 0.1605, 0.1611, 0.1718], atol=5e-5)
    low, high = stats.wilson([0, 3], [0, 5])
    assert np.isnan(low[0]) and np.isnan(high[0]) and 0 < low[1] < 0.6 < high[1] < 1
    narrow = stats.wilson([81], [263], conf=0.5)
    assert low[0] != narrow[0][0] and 0.2553 < narrow[0][0] < narrow[1][0] < 0.3662


def test_prevalence_of_the_study(study, frame):
    table = stats.prevalence(study, frame=frame).set_index("flag")
    # V's per column counted by hand: 11, 7, 5, 10, 8, 8 of 11
    assert table["yes"].tolist() == [11, 7, 5, 10, 8, 8] and (table["n"] == 11).all()
    # Wilson's score interval for 7 / 11 written out
    centre, half = (7 / 11 + Z95**2 / 22), Z95 * math.sqrt(7 / 11 * 4 / 11 / 11 + Z95**2 / 484)
    low, high = (centre - half) / (1 + Z95**2 / 11), (centre + half) / (1 + Z95**2 / 11)
    assert table.loc[HR, "ci_low"] == pytest.approx(low) and table.loc[
        HR, "ci_high"
    ] == pytest.approx(high)
    by_cat = stats.prevalence(study, by="category", frame=frame).set_index(["category", "flag"])
    # 執行 (5 DIGI+ cases): 倫理 in digi-1, digi-4, digi-5
    assert by_cat.loc[("enforcement", ETH), ["yes", "n"]].tolist() == [3, 5]


def test_chi2_fisher_and_cramers_v_by_hand():
    big = np.array([[40, 20], [25, 35], [30, 30]])
    row = stats._test(big, 5, 1000, 1)
    # expected counts 31.67 / 28.33 in every row; with 2 degrees of freedom P(χ² ≥ x) = e^(-x/2)
    chi2 = _pearson_by_hand(big.tolist())
    assert row["test"] == "chi2" and row["n"] == 180 and row["dof"] == 2
    assert row["statistic"] == pytest.approx(chi2) and row["p_value"] == pytest.approx(
        math.exp(-chi2 / 2)
    )
    assert row["cramers_v"] == pytest.approx(math.sqrt(chi2 / 180))
    assert row["min_expected"] == pytest.approx(60 * 85 / 180)
    small = np.array([[1, 3], [6, 1]])
    row = stats._test(small, 5, 1000, 1)
    # tables with margins 4 / 7 × 7 / 4: P = 1, 28, 126, 140, 35 (/330);
    # observed 28 → (1 + 28) / 330
    assert row["test"] == "fisher" and row["p_value"] == pytest.approx(29 / 330)
    assert _fisher_by_hand(1, 3, 6, 1) == pytest.approx(29 / 330)
    # margins 4 / 8 × 5 / 7: P = 35, 175, 210, 70, 5 (/495); two-sided (35 + 5) / 495,
    # where the one-sided tails would be 35 / 495 and 1
    row = stats._test(np.array([[0, 4], [5, 3]]), 5, 1000, 1)
    assert row["test"] == "fisher" and row["p_value"] == pytest.approx(40 / 495)
    assert _fisher_by_hand(0, 4, 5, 3) == pytest.approx(40 / 495)
    assert stats._test(np.array([[3, 0], [2, 0]]), 5, 1000, 1)["test"] == "not testable"


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
        stat = (
            (t - rows[:, None] * t.sum(0) / rows.sum()) ** 2
            / (rows[:, None] * t.sum(0) / rows.sum())
        ).sum()
        if stat >= observed - 1e-9:
            p += weight
    return p


def test_permutation_pvalue_matches_exact_enumeration():
    table = np.array([[4, 1], [1, 2], [0, 3]])
    exact = _exact_pvalue(table)
    p = stats.permutation_pvalue(table, 10_000, seed=7)
    assert abs(p - exact) < 4 * math.sqrt(exact * (1 - exact) / 10_000) + 1e-4
    assert stats.permutation_pvalue(table, 2000, seed=7) == stats.permutation_pvalue(
        table, 2000, seed=7
    )


def test_association_on_the_study(study, frame):
    table = stats.association(study, "category", n_permutations=2000, frame=frame).set_index("flag")
    assert table.loc[DG, "test"] == "not testable"  # ticked in all 11 cases
    assert set(table.drop(DG)["test"]) == {"permutation"}  # 3 categories, expected counts below 5
    assert (table["n"] == 11).all() and (table["strata"] == 3).all()
    # 倫理 by category = [[3, 2], [0, 3], [2, 1]]
    # (執行: digi-1,4,5; 管制: none; 內部管理: taipei-2,3)
    assert table.loc[ETH, "statistic"] == pytest.approx(_pearson_by_hand([[3, 2], [0, 3], [2, 1]]))
    ok = table["p_value"].notna()
    np.testing.assert_allclose(
        table.loc[ok, "q_value"], multipletests(table.loc[ok, "p_value"], method="fdr_bh")[1]
    )
    tech = stats.association(study, "technique", frame=frame).set_index(["technique", "flag"])
    # 機器學習 users (digi-3, award-2, taipei-1, taipei-3) × 人權保護: [[1, 3], [6, 1]]
    row = tech.loc[("machine_learning", HR)]
    assert row["test"] == "fisher" and row["n"] == 11
    assert row["p_value"] == pytest.approx(_fisher_by_hand(1, 3, 6, 1))


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
    table = pd.DataFrame(
        {
            "case_id": [f"synthetic-{i}" for i in range(len(cats))],
            "inventory": "synthetic",
            "category": cats,
            ETH: flag,
        }
    )
    return canonical.coerce(table, FRAME)


def test_logistic_single_binary_term_is_the_odds_ratio():
    a, b, c, d = (
        30,
        20,
        12,
        38,
    )  # adjudication vs reference enforcement (the larger group, 50 vs 50 → frame order)
    table = stats.logistic(_two_group(a, b, c, d), flags=[ETH], terms=["category"])
    row = table.iloc[0]
    assert (
        row["reference"] == "enforcement"
        and row["level"] == "adjudication"
        and row["method"] == "mle"
    )
    odds = (c / d) / (a / b)
    se = math.sqrt(1 / a + 1 / b + 1 / c + 1 / d)
    assert row["odds_ratio"] == pytest.approx(odds, rel=1e-6)
    assert row["ci_low"] == pytest.approx(odds * math.exp(-1.959963984540054 * se), rel=1e-5)
    assert (row["n"], row["events"]) == (100, 42)
    assert row["inference"] == "wald" and row["parameters"] == 1


def test_firth_on_separation_is_haldane_corrected_odds_ratio():
    a, b, c, d = 20, 10, 0, 15  # no adjudication case ticked: quasi-complete separation
    table = stats.logistic(_two_group(a, b, c, d), flags=[ETH], terms=["category"])
    row = table.iloc[0]
    assert row["method"] == "firth" and row["estimable"]
    # Firth's estimate for one binary covariate equals the log OR with ½ added to each cell
    assert row["odds_ratio"] == pytest.approx(
        ((c + 0.5) / (d + 0.5)) / ((a + 0.5) / (b + 0.5)), rel=1e-5
    )
    assert "Firth" in row["reason"] and row["inference"] == "profile"
    reported = stats.logistic(
        _two_group(a, b, c, d), flags=[ETH], terms=["category"], separation="report"
    ).iloc[0]
    assert (
        not reported["estimable"]
        and "separation" in reported["reason"]
        and math.isnan(reported["odds_ratio"])
    )


def test_logistic_matches_unpenalised_sklearn():
    from sklearn.linear_model import LogisticRegression

    cases = synthetic.generate(3000, seed=11)
    table = stats.logistic(cases, flags=[PD], terms=["category"])
    assert (table["method"] == "mle").all()
    used = cases[cases[PD].notna() & cases["category"].notna()]
    ref_level = table["reference"].iloc[0]
    levels = table["level"].tolist()
    X = np.column_stack([(used["category"] == lv).to_numpy(dtype=float) for lv in levels])
    model = LogisticRegression(C=np.inf, tol=1e-10, max_iter=10_000).fit(
        X, used[PD].to_numpy(dtype=int)
    )
    np.testing.assert_allclose(table["odds_ratio"], np.exp(model.coef_[0]), rtol=1e-4)
    assert ref_level not in levels and table["n"].iloc[0] == len(used)


def test_logistic_on_the_study_is_not_estimable_at_this_n(study, frame):
    """The default model fits 6 coefficients (2 categories, 4 techniques) to 11 cases: no
    flag has 10 cases of its rarer outcome per coefficient, so nothing is estimated."""
    table = stats.logistic(study, frame=frame)
    dg = table[table["flag"] == DG]
    assert not dg["estimable"].any() and dg["reason"].str.contains("does not vary").all()
    assert not table["estimable"].any() and table["odds_ratio"].isna().all()
    fitted = table[(table["flag"] != DG) & ~table["reason"].str.startswith("aliased")]
    # 人權保護: 7 yes, 4 no → 4 cases of the rarer outcome for 6 coefficients
    hr = fitted[fitted["flag"] == HR]
    assert (hr["parameters"] == 6).all()
    assert (
        hr["reason"] == "not estimable at this n: 4 cases of the rarer outcome for 6 coefficients "
        "(fewer than 10 per coefficient)"
    ).all()
    assert fitted["reason"].str.startswith("not estimable at this n").all()
    assert (table["n"] == 11).all()
    with pytest.raises(AnalysisError):
        stats.logistic(study, separation="ignore")
    with pytest.raises(AnalysisError):
        stats.logistic(study, family="everything")


def test_logistic_on_the_study_without_the_rule_never_reports_a_silent_huge_odds_ratio(
    study, frame
):
    table = stats.logistic(study, frame=frame, min_events_per_parameter=0)
    estimable = table[table["estimable"]]
    assert (estimable["method"] == "firth").all()  # 11 cases: every flag has sparse cells
    assert (estimable["inference"] == "profile").all()
    assert np.isfinite(estimable[["odds_ratio", "ci_low", "ci_high"]].to_numpy(dtype=float)).all()
    assert (estimable["ci_low"] >= 1e-6).all() and (estimable["ci_high"] <= 1e6).all()
    assert (table.loc[~table["estimable"], "reason"].str.len() > 0).all()


def _penalised_loglik(beta, X, y) -> float:
    """Firth's penalised log-likelihood from its definition: Σ log P(yᵢ | β) plus half the
    log determinant of the Fisher information XᵀWX, W = diag(pᵢ(1 − pᵢ))."""
    eta = X @ beta
    loglik = np.sum(y * eta - np.logaddexp(0, eta))
    w = np.exp(eta - 2 * np.logaddexp(0, eta))
    return loglik + 0.5 * np.linalg.slogdet(X.T @ (X * w[:, None]))[1]


def _maximise(X, y, fixed=None) -> float:
    """The largest penalised log-likelihood, coefficient ``fixed[0]`` held at ``fixed[1]``
    (general-purpose optimisers: BFGS, then Nelder–Mead to polish)."""
    free = [k for k in range(X.shape[1]) if fixed is None or k != fixed[0]]

    def negative(z):
        b = np.zeros(X.shape[1])
        b[free] = z
        if fixed is not None:
            b[fixed[0]] = fixed[1]
        return -_penalised_loglik(b, X, y)

    best = optimize.minimize(negative, np.zeros(len(free)), method="BFGS", options={"gtol": 1e-10})
    options = {"xatol": 1e-10, "fatol": 1e-13, "maxiter": 10**5, "maxfev": 10**5}
    return -optimize.minimize(negative, best.x, method="Nelder-Mead", options=options).fun


def test_firth_profile_interval_and_test_match_a_direct_profile(study, frame):
    """人權保護 on the study's design, written out here: the profile interval is where twice
    the drop of the maximised penalised log-likelihood reaches χ²₁(0.95), the p-value that
    drop at 0. On this model the Wald interval on the penalised estimate was
    (0.00045, 3.33), p = 0.153; the profile one excludes 1."""
    techniques = study["techniques"].fillna("").str.split(";")
    columns = [study["category"].eq(c) for c in ("regulatory_analysis", "internal_management")]
    columns += [
        techniques.map(lambda ts, t=t: t in ts)
        for t in ("image_recognition", "machine_learning", "nlp", "big_data_analytics")
    ]
    X = np.column_stack([np.ones(len(study))] + [c.to_numpy(dtype=float) for c in columns])
    y = study[HR].to_numpy(dtype=float)
    top = _maximise(X, y)
    j = 4  # machine_learning
    deficit = lambda b: 2 * (top - _maximise(X, y, (j, b)))  # noqa: E731
    critical = sps.chi2.ppf(0.95, 1)
    ours = stats.logistic(study, flags=[HR], frame=frame, min_events_per_parameter=0)
    row = ours.set_index("level").loc["machine_learning"]
    b = math.log(row["odds_ratio"])
    low = optimize.brentq(lambda v: deficit(v) - critical, b - 12, b)
    high = optimize.brentq(lambda v: deficit(v) - critical, b, b + 12)
    assert row["ci_low"] == pytest.approx(math.exp(low), rel=1e-5)
    assert row["ci_high"] == pytest.approx(math.exp(high), rel=1e-5)
    assert row["p_value"] == pytest.approx(sps.chi2.sf(deficit(0.0), 1), rel=1e-5)
    assert (round(row["ci_low"], 4), round(row["ci_high"], 2), round(row["p_value"], 3)) == (
        0.0002,
        0.88,
        0.041,
    )


# Heinze & Schemper (2002), Stat. Med. 21:2409, endometrial cancer study (n = 79): NV
# (neovasculation), PI (pulsatility index), EH (endometrium height) and HG (histology
# grade), in the published order.
ENDOMETRIAL = """
0 13 1.64 0|0 16 2.26 0|0 8 3.14 0|0 34 2.68 0|0 20 1.28 0|0 5 2.31 0|0 17 1.8 0|0 10 1.68 0
0 26 1.56 0|0 17 2.31 0|0 8 2.01 0|0 7 1.89 0|0 20 3.15 0|0 10 1.23 0|0 18 1.27 0|0 16 1.76 0
0 18 2 0|0 8 2.64 1|0 29 0.88 1|0 12 1.27 1|0 20 1.37 1|1 38 0.97 1|1 22 1.14 1|1 7 0.88 1
1 25 0.91 1|1 15 0.58 1|0 7 0.97 1|0 28 1.5 0|0 11 1.33 0|0 19 2.37 0|0 10 1.82 0|0 10 3.13 0
0 18 1.31 0|0 14 1.92 0|0 21 1.64 0|0 11 2.01 0|0 17 1.88 0|0 25 1.93 0|0 16 2.11 0|0 19 1.29 0
0 15 1.72 0|0 33 0.75 0|0 24 1.92 0|0 48 1.84 1|0 12 1.11 1|0 19 1.61 1|0 2 1.18 1|1 22 1.44 1
1 40 1.18 1|1 5 0.93 1|1 0 1.17 1|0 21 1.19 1|0 15 1.06 1|0 29 2.02 0|0 15 2.29 0|0 12 2.33 0
0 3 2.9 0|0 20 1.7 0|0 23 1.41 0|0 12 2.25 0|0 22 1.54 0|0 42 1.97 0|0 15 1.75 0|0 13 2.16 0
0 14 2.57 0|0 19 1.37 0|0 12 3.61 0|0 13 2.04 0|0 10 2.17 0|0 12 1.69 1|1 49 0.27 1|0 6 1.84 1
0 5 1.3 1|0 17 0.96 1|1 11 1.01 1|1 21 0.98 1|0 5 0.35 1|1 19 1.02 1|0 33 0.85 1
"""


def test_firth_profile_intervals_match_logistf_on_the_endometrial_data():
    # R's logistf(HG ~ NV + PI + EH) on these data: penalised estimates and 95% profile
    # penalised likelihood intervals (intercept, NV, PI, EH) as logistf reports them
    # (Heinze & Schemper 2002 show the same analysis; NV is quasi-completely separated).
    cells = [r.split() for r in ENDOMETRIAL.replace("\n", "|").split("|") if r.strip()]
    data = np.array(cells, dtype=float)
    assert data.shape == (79, 4) and data[:, 3].sum() == 30
    X, y = np.column_stack([np.ones(79), data[:, :3]]), data[:, 3]
    beta, _, converged = stats._firth(X, y)
    assert converged
    np.testing.assert_allclose(beta, [3.77455951, 2.92927330, -0.03475175, -2.60416387], rtol=1e-6)
    logistf = [
        (1.0825371, 7.20928050),
        (0.6097244, 7.85463171),
        (-0.1244587, 0.04045547),
        (-4.3651832, -1.23272106),
    ]
    for i, (low, high) in enumerate(logistf):
        profile = stats._profile(X, y, beta, i, 0.95)
        assert profile.closed
        assert (profile.low, profile.high) == (
            pytest.approx(low, rel=1e-6),
            pytest.approx(high, rel=1e-6),
        )


def test_a_profile_that_does_not_close_is_reported_not_estimable(study, frame, monkeypatch):
    monkeypatch.setenv("ANALYSIS_CACHE", "off")  # a patched constant is no part of a stored key
    wide = stats.logistic(study, flags=[HR], frame=frame, min_events_per_parameter=0)
    # search the profile no further than odds ratios 1/20 … 20
    monkeypatch.setattr(stats, "PROFILE_LIMIT", math.log(20))
    narrow = stats.logistic(study, flags=[HR], frame=frame, min_events_per_parameter=0)
    inside = wide["estimable"] & (wide["ci_low"] > 1 / 20) & (wide["ci_high"] < 20)
    assert narrow["estimable"].tolist() == inside.tolist()
    open_rows = narrow[wide["estimable"] & ~inside]
    assert len(open_rows) > 0
    assert (
        open_rows["reason"]
        == "the profile likelihood interval does not close between odds ratios 1/20 and 20"
    ).all()


def test_logistic_q_values_within_the_stated_family(study, frame):
    table = stats.logistic(study, frame=frame, min_events_per_parameter=0)
    ok = table["p_value"].notna()
    np.testing.assert_allclose(
        table.loc[ok, "q_value"], multipletests(table.loc[ok, "p_value"], method="fdr_bh")[1]
    )
    assert table.loc[~ok, "q_value"].isna().all()
    words = f"BH over every estimated term of every risk in this table ({ok.sum()} tests)"
    assert (table["family"] == words).all() and table.attrs["family"] == words
    per_flag = stats.logistic(study, frame=frame, min_events_per_parameter=0, family="flag")
    pd.testing.assert_series_equal(per_flag["p_value"], table["p_value"])
    assert per_flag.attrs["family"] == f"BH within each risk's model ({ok.sum()} tests in all)"
    for _, rows in per_flag.groupby("flag"):
        ok = rows["p_value"].notna()
        if ok.any():
            np.testing.assert_allclose(
                rows.loc[ok, "q_value"],
                multipletests(rows.loc[ok, "p_value"], method="fdr_bh")[1],
            )
        assert (
            rows["family"] == f"BH over the estimated terms of this risk's model ({ok.sum()} tests)"
        ).all()


def test_cochrans_q_matches_statsmodels(study, frame):
    ours = stats.cochrans_q(study, frame=frame).iloc[0]
    ref = ct.cochrans_q(study[frame.flag_keys].astype(int).to_numpy())
    assert ours["statistic"] == pytest.approx(ref.statistic) and ours["p_value"] == pytest.approx(
        ref.pvalue
    )
    assert (ours["n"], ours["k"]) == (11, 6)
    sample = synthetic.generate(400, seed=3)
    ours = stats.cochrans_q(sample, frame=frame).iloc[0]
    complete = sample[frame.flag_keys].dropna().astype(int).to_numpy()
    ref = ct.cochrans_q(complete)
    assert ours["n"] == len(complete) and ours["statistic"] == pytest.approx(ref.statistic)


def _mcnemar_by_hand(b: int, c: int) -> float:
    """McNemar's p from b and c discordant cases: twice the smaller binomial(b + c, ½) tail
    below 25 discordant cases, else χ² = (|b − c| − 1)² / (b + c) with 1 degree of
    freedom, whose upper tail is erfc(√(χ²/2))."""
    d = b + c
    if d < 25:
        return min(1.0, 2 * sum(math.comb(d, i) for i in range(min(b, c) + 1)) / 2**d)
    return math.erfc(math.sqrt((abs(b - c) - 1) ** 2 / d / 2))


def test_mcnemar_by_hand(study, frame):
    for cases in (study, synthetic.generate(600, seed=5)):
        table = stats.mcnemar_pairs(cases, frame=frame)
        assert len(table) == 15
        for row in table.itertuples():
            both = cases[[row.flag_a, row.flag_b]].dropna().astype(bool)
            a, b = both[row.flag_a], both[row.flag_b]
            a_only, b_only = int((a & ~b).sum()), int((~a & b).sum())
            assert (row.n, row.a_only, row.b_only) == (len(both), a_only, b_only)
            assert (row.n_a, row.n_b) == (int(a.sum()), int(b.sum()))
            exact = a_only + b_only < 25
            assert row.test == ("exact binomial" if exact else "chi2 (continuity corrected)")
            assert row.p_value == pytest.approx(
                _mcnemar_by_hand(a_only, b_only), rel=1e-9, abs=1e-300
            )
        assert set(table["test"]) == (
            {"exact binomial"} if cases is study else {"chi2 (continuity corrected)"}
        )
        np.testing.assert_allclose(table["p_holm"], _holm_by_hand(table["p_value"].tolist()))
    # 資料治理 (11) vs 倫理 (5): 6 discordant cases, all one way → exact p = 2 · 0.5⁶
    row = stats.mcnemar_pairs(study, frame=frame).iloc[1]
    assert (row["flag_b"], row["a_only"], row["b_only"]) == (ETH, 6, 0)
    assert row["p_value"] == pytest.approx(2 * 0.5**6) and row["statistic"] == 0


@pytest.mark.parametrize(
    ("a_only", "b_only", "test"),
    [(16, 8, "exact binomial"), (17, 8, "chi2 (continuity corrected)")],
)
def test_mcnemar_switches_to_chi2_at_25_discordant_cases(a_only, b_only, test):
    flags = (
        [(True, True)] * 5
        + [(True, False)] * a_only
        + [(False, True)] * b_only
        + [(False, False)] * 4
    )
    table = pd.DataFrame(
        {
            "case_id": [f"synthetic-{i}" for i in range(len(flags))],
            "inventory": "synthetic",
            ETH: [f[0] for f in flags],
            HR: [f[1] for f in flags],
        }
    )
    row = stats.mcnemar_pairs(canonical.coerce(table, FRAME), flags=[HR, ETH], frame=FRAME).iloc[0]
    assert (row["flag_a"], row["a_only"], row["b_only"], row["test"]) == (HR, b_only, a_only, test)
    assert row["p_value"] == pytest.approx(_mcnemar_by_hand(a_only, b_only))
    # 16 v 8: 2 · P(X ≤ 8), X ~ binomial(24, ½) = 0.1516; 17 v 8: χ² = 64 / 25 = 2.56
    assert row["p_value"] == pytest.approx(
        0.15158963 if test == "exact binomial" else 0.10959858, abs=1e-7
    )


def test_logistic_leaves_out_a_term_no_case_reports(frame):
    """An inventory that records no technique (US federal 2024) still gets its category
    odds ratios: the technique term is left out, once per flag, with the reason, and the
    category estimates equal those of the model fitted on category alone."""
    from analysis import inventories

    cases = inventories.cases("us-federal-2024", frame).copy()
    assert cases["techniques"].isna().all()
    # the crosswalk codes one category only: give the other cases a second, real level
    cases["category"] = cases["category"].fillna("enforcement")
    both = stats.logistic(cases, terms=["category", "technique"], frame=frame)
    alone = stats.logistic(cases, terms=["category"], frame=frame)
    absent = both[both["term"] == "technique"]
    assert len(absent) == len(frame.flag_keys)
    assert (~absent["estimable"]).all()
    assert absent["reason"].str.contains("no case reports technique").all()
    fitted = both[both["term"] != "technique"].reset_index(drop=True)
    assert len(fitted) == len(alone) > 0
    pd.testing.assert_frame_equal(fitted, alone)


def test_logistic_on_us_federal_2024_says_why_each_term_is_missing(frame):
    """US federal 2024 as bundled: no technique at all and one category (the crosswalk
    codes internal_management only). Each flag gets one row per term saying why, never an
    empty table."""
    from analysis import inventories

    cases = inventories.load("us-federal-2024", frame).cases
    table = stats.logistic(cases, frame=frame)
    assert len(table) == 2 * len(frame.flag_keys) and not table["estimable"].any()
    for flag in frame.flag_keys:
        rows = table[table["flag"] == flag].set_index("term")
        assert rows.loc["technique", "reason"].startswith("no case reports technique")
        assert rows.loc["category", "reason"] == (
            "one level or none among the cases used: no contrast to estimate"
        )
        assert rows.loc["category", "reference"] == "internal_management"
    # human_rights: reported by 859 cases, of which 20 ticked
    assert table.loc[table["flag"] == HR, ["n", "events"]].drop_duplicates().values.tolist() == [
        [859, 20]
    ]


def test_every_logistic_reason_and_family_reads_in_both_languages(study, frame):
    from analysis import inventories, present

    tables = [
        stats.logistic(study, frame=frame),
        stats.logistic(study, frame=frame, min_events_per_parameter=0, family="flag"),
        stats.logistic(inventories.load("us-federal-2024", frame).cases, frame=frame),
    ]
    words = {
        text
        for table in tables
        for col in ("reason", "family")
        for text in table[col].dropna().unique()
        if text
    }
    words |= {table.attrs["family"] for table in tables}
    zh = present.Vocabulary(frame, "zh-TW")
    untranslated = {w for w in words if zh.keys(w) == w}
    assert not untranslated
    shown = present.reader_table(tables[1], frame, "zh-TW")
    assert set(shown[frame.heading("inference", "zh-TW")]) == {
        frame.heading("inference_profile", "zh-TW"),
        frame.heading("missing_mark", "zh-TW"),
    }


# -- families of q-values named (issue 19, item 5) -------------------------------------------
def test_every_q_value_call_names_its_family(study):
    """Each call's q-values are BH over exactly the tests its family names (statsmodels'
    fdr_bh over the same p-values), and the family says how many."""
    frame = load_frame()
    for table, words in (
        (stats.association(study, "category", n_permutations=500, frame=frame), "category"),
        (stats.association(study, "technique", n_permutations=500, frame=frame), "technique"),
        (stats.mcnemar_pairs(study, frame=frame), "McNemar"),
    ):
        p = table["p_value"].to_numpy(dtype=float)
        finite = np.isfinite(p)
        assert table["family"].nunique() == 1
        assert table.attrs["family"] == table["family"].iloc[0]
        assert f"BH over the {int(finite.sum())} " in table.attrs["family"]
        assert words in table.attrs["family"]
        expected = multipletests(p[finite], method="fdr_bh")[1]
        assert np.allclose(table["q_value"].to_numpy(dtype=float)[finite], expected)


def test_family_words_are_phrases_in_both_languages(study):
    """The family column reads as a sentence of the frame in either language."""
    from analysis import present

    frame = load_frame()
    table = stats.mcnemar_pairs(study, frame=frame)
    zh = present.reader_table(table[["family"]], frame, "zh-TW").iloc[0, 0]
    en = present.reader_table(table[["family"]], frame, "en").iloc[0, 0]
    assert en == table["family"].iloc[0]
    assert zh.startswith("BH 校正") and "15" in zh
