"""Multiple imputation of model-coded values (analysis.imputation), on the coded Taiwanese
public inventory (flags coded by the trained coder and by the rule coder), against
statsmodels' MICE combining, scipy and references written here from the textbook formulas."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats as sps
from statsmodels.imputation.mice import MICE

from analysis import coding, config, imputation, stats

NAME = "taiwan-public"
FLAG = "personal_data"


@pytest.fixture(scope="module")
def coded(frame):
    return coding.coded(NAME, frame)


@pytest.fixture(scope="module")
def drawn(coded, frame):
    return imputation.drawable(coded.cases, coded.codes, frame)


def _degenerate(cases: pd.DataFrame, drawn: pd.DataFrame) -> pd.DataFrame:
    """Probabilities of 0 or 1, each on the value the coder chose."""
    chosen = [bool(cases[f].iloc[r]) for r, f in zip(drawn["row"], drawn["field"])]
    return drawn.assign(p_yes=np.where(chosen, 1.0, 0.0))


def test_only_calibrated_codes_are_drawn(coded, drawn, frame):
    cases, codes = coded.cases, coded.codes
    assert len(drawn) > 0 and set(drawn["coded_by"]) == {"model"}
    by = dict(zip(zip(codes["case_id"].astype(str), codes["field"]), codes["coded_by"].astype(str)))
    for r, f, p in zip(drawn["row"], drawn["field"], drawn["p_yes"]):
        case = cases.iloc[r]
        assert by[(str(case["case_id"]), f)] == "model"
        conf = case[f"{f}_confidence"]
        assert math.isclose(p, conf if bool(case[f]) else 1 - conf)
    # the rule coder's flags (explainability, automated decision here) are kept as coded
    rules = {f for (_, f), c in by.items() if c == "rules" and f in frame.flag_keys}
    assert rules and not rules & set(drawn["field"])
    for d in imputation.draw_cases(cases, drawn, 5, config.SEED):
        for f in frame.flag_keys:
            moved = set(drawn.loc[drawn["field"] == f, "row"])
            kept = [i for i in range(len(cases)) if i not in moved]
            assert d[f].iloc[kept].equals(cases[f].iloc[kept])
        assert d["category"].equals(cases["category"])


def test_draws_follow_the_probabilities_and_the_seed(coded, drawn):
    cases = coded.cases
    first = [d[FLAG].to_numpy(dtype=bool) for d in imputation.draw_cases(cases, drawn, 300, 7)]
    again = [d[FLAG].to_numpy(dtype=bool) for d in imputation.draw_cases(cases, drawn, 300, 7)]
    other = [d[FLAG].to_numpy(dtype=bool) for d in imputation.draw_cases(cases, drawn, 300, 8)]
    assert all((a == b).all() for a, b in zip(first, again))
    assert any((a != b).any() for a, b in zip(first, other))
    sub = drawn[drawn["field"] == FLAG]
    share = np.mean(first, axis=0)[sub["row"].to_numpy()]
    p = sub["p_yes"].to_numpy()
    se = np.sqrt(p * (1 - p) / 300)
    assert np.all(np.abs(share - p) <= 5 * se + 1e-12)
    one = imputation.pooled(cases, coded.codes, draws=10, seed=3)
    two = imputation.pooled(cases, coded.codes, draws=10, seed=3)
    pd.testing.assert_frame_equal(one.prevalence, two.prevalence)
    pd.testing.assert_frame_equal(one.association, two.association)


def _lpm_fits(cases, drawn, draws, seed):
    """OLS (linear probability) of the flag on category dummies in each drawn inventory."""
    fits = []
    for d in imputation.draw_cases(cases, drawn, draws, seed):
        x = pd.get_dummies(d["category"].astype(str), drop_first=True, dtype=float)
        fits.append(sm.OLS(d[FLAG].astype(float).to_numpy(), sm.add_constant(x)).fit())
    return fits


def test_rubin_matches_statsmodels_mice_combining(coded, drawn):
    fits = _lpm_fits(coded.cases, drawn, 20, config.SEED)
    mice = MICE.__new__(MICE)  # statsmodels' own pooling of fitted results, not its imputer
    mice.results_list = fits
    mice.exog_names, mice.endog_names, mice.model_class = None, None, sm.OLS
    reference = mice.combine()
    ours = imputation.rubin(
        np.array([f.params.to_numpy() for f in fits]),
        np.array([np.diag(f.cov_params().to_numpy()) for f in fits]),
    )
    np.testing.assert_allclose(ours["estimate"], reference.params, rtol=1e-12)
    np.testing.assert_allclose(ours["total"], np.diag(reference.cov_params()), rtol=1e-10)
    np.testing.assert_allclose(ours["lambda_"], reference.frac_miss_info, rtol=1e-10)
    assert (ours["between"] > 0).all()


def _by_hand(q, u, dfcom, conf=0.95):
    """Rubin (1987) and Barnard & Rubin (1999) as SAS MIANALYZE documents them, one
    estimand at a time."""
    m = len(q)
    qbar = sum(q) / m
    w = sum(u) / m
    b = sum((x - qbar) ** 2 for x in q) / (m - 1)
    t = w + (1 + 1 / m) * b
    r = (1 + 1 / m) * b / w
    v_m = (m - 1) * (1 + w / ((1 + 1 / m) * b)) ** 2
    gamma = (1 + 1 / m) * b / t
    if math.isinf(dfcom):
        v = v_m
    else:
        v_obs = (1 - gamma) * dfcom * (dfcom + 1) / (dfcom + 3)
        v = 1 / (1 / v_m + 1 / v_obs)
    fmi = (r + 2 / (v + 3)) / (r + 1)
    half = sps.t.ppf((1 + conf) / 2, v) * math.sqrt(t)
    return {"estimate": qbar, "total": t, "riv": r, "df": v, "fmi": fmi, "low": qbar - half}


@pytest.mark.parametrize("dfcom", [math.inf, 20.0, 130.0])
def test_barnard_rubin_df_and_fmi_by_hand(coded, drawn, dfcom):
    fits = _lpm_fits(coded.cases, drawn, 12, config.SEED + 1)
    q = np.array([f.params.iloc[0] for f in fits])
    u = np.array([f.bse.iloc[0] ** 2 for f in fits])
    ours = imputation.rubin(q, u, df_complete=dfcom).iloc[0]
    hand = _by_hand(list(q), list(u), dfcom)
    for k in ("estimate", "total", "riv", "df", "fmi"):
        assert math.isclose(ours[k], hand[k], rel_tol=1e-10), k
    assert math.isclose(ours["ci_low"], hand["low"], rel_tol=1e-10)


def test_d2_against_the_published_formula(coded, drawn, frame):
    stat = np.array(
        [
            stats.association(d, "category", n_permutations=1, frame=frame)
            .set_index("flag")
            .at[FLAG, "statistic"]
            for d in imputation.draw_cases(coded.cases, drawn, 20, config.SEED)
        ]
    )
    k, m = 4, len(stat)
    root = np.sqrt(stat)
    r2 = (1 + 1 / m) * sum((x - root.mean()) ** 2 for x in root) / (m - 1)
    d2 = (stat.mean() / k - (m + 1) / (m - 1) * r2) / (1 + r2)
    v2 = (m - 1) / k ** (3 / m) * (1 + 1 / r2) ** 2
    ours = imputation.pool_chi2(stat, k)
    assert math.isclose(ours["statistic"], max(d2, 0.0), rel_tol=1e-10)
    assert math.isclose(ours["df2"], v2, rel_tol=1e-10)
    assert math.isclose(ours["p_value"], sps.f.sf(max(d2, 0.0), k, v2), rel_tol=1e-9)
    same = imputation.pool_chi2(np.full(7, stat[0]), k)
    assert same["p_value"] == sps.chi2.sf(stat[0], k) and same["r2"] == 0


def test_degenerate_probabilities_reproduce_the_single_analysis(coded, drawn, frame):
    cases = coded.cases
    sure = _degenerate(cases, drawn)
    prev = imputation.pooled_prevalence(cases, sure, "category", 6, config.SEED, frame=frame)
    np.testing.assert_array_equal(prev["prevalence"], prev["prevalence_coded"])
    np.testing.assert_array_equal(prev["ci_low"], prev["ci_low_coded"])
    np.testing.assert_array_equal(prev["ci_high"], prev["ci_high_coded"])
    np.testing.assert_array_equal(prev["widening"], 1.0)
    assert (prev["fmi"] == 0).all() and (prev["between"] == 0).all()
    # the coded interval is the empirical-logit Wald interval of the counts (scipy)
    table = pd.crosstab(cases["category"].astype(str), cases[FLAG].astype(bool))
    row = prev[(prev["flag"] == FLAG) & (prev["category"] == "enforcement")].iloc[0]
    y, n = table.loc["enforcement", True], table.loc["enforcement"].sum()
    logit = math.log((y + 0.5) / (n - y + 0.5))
    se = math.sqrt(1 / (y + 0.5) + 1 / (n - y + 0.5))
    assert row["n"] == n and math.isclose(row["prevalence_coded"], y / n)
    assert math.isclose(row["ci_low_coded"], 1 / (1 + math.exp(-(logit - 1.959963984540054 * se))))
    # the pooled χ² test is the χ² test of the coded inventory
    assoc = imputation.pooled_association(cases, sure, "category", 6, config.SEED, frame)
    np.testing.assert_array_equal(assoc["p_value"], assoc["p_value_coded"])
    np.testing.assert_array_equal(assoc["q_value"], assoc["q_value_coded"])
    assert not assoc["changed"].any()
    chi2 = sps.chi2_contingency(table.to_numpy(), correction=False)
    got = assoc.set_index("flag").loc[FLAG]
    assert math.isclose(got["statistic_coded"], chi2.statistic, rel_tol=1e-10)
    assert math.isclose(got["p_value"], chi2.pvalue, rel_tol=1e-10)


def test_pooled_summary_and_reading(coded, frame):
    result = imputation.pooled(coded.cases, coded.codes, draws=20, frame=frame)
    s = result.summary.set_index("pooled_analysis")
    assert s.at["prevalence", "widening_median"] > 1
    assert 0 < s.at["prevalence", "fmi_max"] < 1
    assert result.drawn == len(imputation.drawable(coded.cases, coded.codes, frame))
    scope = result.scope.set_index("field")
    assert (scope["coded"] == scope["drawn"] + scope["kept"]).all()
    assert scope.at[FLAG, "drawn"] > 0 and scope.at["category", "drawn"] == 0
    en, zh = result.reading("en", frame), result.reading("zh-TW", frame)
    assert en != zh and str(result.draws) in en and str(result.draws) in zh
    assert "{n}" not in en + zh


# -- categories and techniques drawn from the coder's distributions ----------------------------
@pytest.fixture(scope="module")
def classes(coded, frame):
    return imputation.drawable_classes(coded.cases, coded.distributions, frame)


def test_distributions_are_the_trained_coders_for_what_it_filled(coded, classes, frame):
    cases, dist = coded.cases, coded.distributions
    by_model = cases["category_coded_by"].astype(str) == "model"
    assert by_model.sum() > 0 and set(dist["field"]) <= {"category", "techniques"}
    cat = dist[dist["field"] == "category"]
    # one distribution per model-coded category, summing to 1, over the frame's categories
    assert set(cat["case_id"]) == set(cases.loc[by_model, "case_id"].astype(str))
    np.testing.assert_allclose(cat.groupby("case_id")["probability"].sum(), 1.0, rtol=1e-9)
    assert set(cat["value"]) <= set(frame.category_keys)
    # the coded category's probability is the confidence the coded inventory records
    own = cases.set_index(cases["case_id"].astype(str))
    chosen = cat[
        cat["value"].to_numpy() == own.loc[cat["case_id"], "category"].astype(str).to_numpy()
    ]
    np.testing.assert_allclose(
        chosen["probability"].to_numpy(),
        own.loc[chosen["case_id"], "category_confidence"].to_numpy(dtype=float),
        rtol=1e-9,
    )
    # drawable: positions of model-coded cases only
    rows = classes.loc[classes["field"] == "category", "row"].unique()
    assert set(rows) == set(np.flatnonzero(by_model.to_numpy()))


def test_category_draws_follow_the_distribution_and_keep_the_rest(coded, drawn, classes, frame):
    cases = coded.cases
    draws = list(imputation.draw_cases(cases, drawn, 400, 11, classes, frame))
    again = list(imputation.draw_cases(cases, drawn, 3, 11, classes, frame))
    for a, b in zip(draws, again):
        pd.testing.assert_frame_equal(a, b)
    # flags draw as they did without categories (separate random streams)
    plain = list(imputation.draw_cases(cases, drawn, 3, 11))
    for a, b in zip(plain, again):
        pd.testing.assert_series_equal(a[FLAG], b[FLAG])
    cat = classes[classes["field"] == "category"]
    drawn_rows = np.unique(cat["row"].to_numpy())
    values = np.array([d["category"].astype(str).to_numpy() for d in draws])
    for r in drawn_rows[:40]:
        p = cat[cat["row"] == r].set_index("value")["probability"]
        for v, q in p.items():
            share = (values[:, r] == v).mean()
            assert abs(share - q) <= 5 * math.sqrt(q * (1 - q) / 400) + 1e-9, (r, v)
    others = np.setdiff1d(np.arange(len(cases)), drawn_rows)
    for d in draws[:20]:
        assert d["category"].iloc[others].equals(cases["category"].iloc[others])
        moved = d["category"].astype(str).to_numpy() != cases["category"].astype(str).to_numpy()
        assert d["application_type"][moved].isna().all()
        same = ~moved
        assert d["application_type"][same].equals(cases["application_type"][same])


def test_sure_categories_reproduce_the_single_logistic_analysis(coded, drawn, classes, frame):
    cases = coded.cases
    sure_flags = _degenerate(cases, drawn)
    own = cases["category"].astype(str).to_numpy()
    sure = classes.assign(
        probability=np.where(
            classes["field"] == "category",
            (classes["value"].to_numpy() == own[classes["row"].to_numpy()]).astype(float),
            classes["probability"],
        )
    )
    sure = sure[sure["field"] == "category"]
    table = imputation.pooled_logistic(
        cases, sure_flags, 5, config.SEED, frame, sure, terms=["category"]
    )
    fitted = table[table["q_value"].notna()]
    assert len(fitted) > 0
    np.testing.assert_allclose(fitted["odds_ratio"], fitted["odds_ratio_coded"], rtol=1e-12)
    np.testing.assert_allclose(fitted["ci_low"], fitted["ci_low_coded"], rtol=1e-9)
    np.testing.assert_allclose(fitted["widening"], 1.0, rtol=1e-9)
    assert (fitted["fmi"] == 0).all() and not fitted["changed"].any()


def test_pooled_odds_ratios_against_statsmodels_logit(coded, drawn, classes, frame):
    """Each draw refitted with statsmodels' Logit (maximum likelihood) on the same dummies,
    pooled by the textbook formulas: the pooled odds ratio, interval and p agree."""
    cases = coded.cases
    flag = "data_governance"
    table = imputation.pooled_logistic(
        cases, drawn, 8, config.SEED, frame, classes, terms=["category"]
    )
    rows = table[(table["flag"] == flag) & table["q_value"].notna()]
    assert len(rows) > 0
    reference = rows["reference"].iloc[0]
    q, u = [], []
    for d in imputation.draw_cases(cases, drawn, 8, config.SEED, classes, frame):
        used = d[flag].notna() & d["category"].notna()
        x = pd.get_dummies(d.loc[used, "category"].astype(str), dtype=float)
        x = x.drop(columns=[reference])[rows["level"].tolist()]
        fit = sm.Logit(d.loc[used, flag].astype(float).to_numpy(), sm.add_constant(x)).fit(disp=0)
        q.append(fit.params.iloc[1:].to_numpy())
        u.append(fit.bse.iloc[1:].to_numpy() ** 2)
    for j, (_, r) in enumerate(rows.iterrows()):
        hand = _by_hand([x[j] for x in q], [x[j] for x in u], math.inf)
        assert math.isclose(r["odds_ratio"], math.exp(hand["estimate"]), rel_tol=1e-5)
        assert math.isclose(r["ci_low"], math.exp(hand["low"]), rel_tol=1e-4)
        t = hand["estimate"] / math.sqrt(hand["total"])
        assert math.isclose(r["p_value"], 2 * sps.t.sf(abs(t), hand["df"]), rel_tol=1e-4)


def test_pooled_with_distributions_draws_categories(coded, frame):
    result = imputation.pooled(
        coded.cases, coded.codes, draws=10, frame=frame, distributions=coded.distributions
    )
    scope = result.scope.set_index("field")
    assert scope.at["category", "drawn"] == int((coded.cases["category_coded_by"] == "model").sum())
    assert (scope["coded"] == scope["drawn"] + scope["kept"]).all()
    assert set(result.summary["pooled_analysis"]) == {"prevalence", "association", "odds_ratios"}
    assert result.drawn == scope["drawn"].sum()
