"""Clustering: exactness of profile collapsing, recovery of planted synthetic clusters,
stability, and the study's 11 real cases."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from scipy.cluster.hierarchy import cophenet, fcluster, linkage
from scipy.spatial.distance import pdist, squareform
from sklearn.metrics import adjusted_rand_score, silhouette_score

from analysis import clustering as cl
from analysis import inventories, load_frame
from analysis.errors import AnalysisError

FRAME = load_frame()
FLAGS = FRAME.flag_keys
# three planted synthetic risk profiles, pairwise 4 flags apart
PROTOTYPES = np.array([[1, 1, 1, 1, 0, 0], [0, 0, 1, 1, 1, 1], [1, 1, 0, 0, 1, 1]], dtype=bool)


def synthetic(
    n: int = 600, noise: float = 0.04, na_rate: float = 0.0, seed: int = 11
) -> tuple[pd.DataFrame, np.ndarray]:
    """A small seeded synthetic inventory with planted clusters: (cases, planted labels)."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, len(PROTOTYPES), n)
    flags = PROTOTYPES[truth] ^ (rng.random((n, len(FLAGS))) < noise)
    cases = pd.DataFrame(
        {
            "case_id": [f"synthetic-{i}" for i in range(n)],
            "inventory": "synthetic",
            "name": [f"synthetic {i}" for i in range(n)],
            "category": pd.array(rng.choice(FRAME.category_keys, n), dtype="string"),
            "techniques": pd.array(rng.choice(FRAME.technique_keys[:4], n), dtype="string"),
        }
    )
    na = rng.random((n, len(FLAGS))) < na_rate
    for j, f in enumerate(FLAGS):
        cases[f] = pd.array(
            [pd.NA if na[i, j] else bool(flags[i, j]) for i in range(n)], dtype="boolean"
        )
    return cases, truth


@pytest.fixture(scope="module")
def study() -> pd.DataFrame:
    return inventories.cases("study")


@pytest.fixture(scope="module")
def planted():
    return synthetic()


# -- the study's 11 cases ----------------------------------------------------------------------
def test_jaccard_between_two_study_cases_matches_hand_computation(study):
    # Printed V's: digi-1 ticks 資料治理 人權保護 倫理 模型可解釋性 個人資料; award-1 ticks
    # 資料治理 模型可解釋性 自動化決策風險. Shared 2, either 6 → 1 - 2/6.
    # digi-1 vs digi-2 (資料治理 人權保護 模型可解釋性 個人資料): shared 4, either 5 → 1 - 4/5.
    d = cl.pairwise_distances(study, "jaccard")
    assert d.loc["digi-1", "award-1"] == pytest.approx(1 - 2 / 6)
    assert d.loc["digi-1", "digi-2"] == pytest.approx(1 - 4 / 5)
    # digi-4, digi-5, taipei-2 and taipei-3 tick all six: identical
    assert d.loc["digi-4", "taipei-3"] == 0.0
    # Hamming (share of the six flags that differ): digi-1 vs award-1 differ on 4 flags
    assert cl.pairwise_distances(study, "hamming").loc["digi-1", "award-1"] == pytest.approx(4 / 6)


def test_study_collapses_to_its_distinct_profiles(study):
    d = cl.design(study)
    p = cl.collapse(d)
    flags = study[FLAGS].astype(bool).to_numpy()
    assert len(p.counts) == len(np.unique(flags, axis=0)) == 6
    assert p.counts.sum() == 11
    assert np.array_equal(p.codes[p.inverse], d.codes)


def test_na_policies_use_the_right_number_of_cases(study):
    cases = study.copy()
    cases.loc[cases["case_id"] == "digi-1", "human_rights"] = pd.NA
    cases.loc[cases["case_id"] == "award-2", ["ethics", "personal_data"]] = pd.NA
    drop = cl.features(cases, "drop")
    assert len(drop) == 9 and not {"digi-1", "award-2"} & set(drop["case_id"])
    as_no = cl.features(cases, "as_no")
    assert len(as_no) == 11
    assert as_no.set_index("case_id").loc["digi-1", "human_rights"] == "no"
    missing = cl.features(cases, "missing")
    assert len(missing) == 11
    assert missing.set_index("case_id").loc["award-2", "ethics"] == "not_reported"
    for policy, n in (("drop", 9), ("as_no", 11), ("missing", 11)):
        assert cl.cluster(cases, 2, "kmodes", na_policy=policy).n_cases == n
        assert len(cl.cluster(cases, 2, "hierarchical", na_policy=policy).assignments) == n


def test_study_dendrogram_linkage_has_eleven_leaves_and_zero_merges_for_identical_cases(study):
    result = cl.cluster(study, 3, "hierarchical")
    z = cl.case_linkage(result)
    assert z.shape == (10, 4) and z[-1, 3] == 11
    # 11 cases, 6 distinct profiles: 5 merges at height 0
    assert int((z[:, 2] == 0).sum()) == 5
    # the expanded linkage is the all-row scipy linkage (no ties above 0 in the study at k=3 cut)
    rows = study[FLAGS].astype(bool).to_numpy()
    reference = linkage(pdist(rows, "jaccard"), "average")
    assert np.allclose(cophenet(z), cophenet(reference))


def test_study_cluster_profiles_and_crosstabs_add_up(study):
    result = cl.cluster(study, 3, "kmodes")
    profiles = cl.cluster_profiles(result, language="en")
    assert profiles["cases"].sum() == 11 and profiles["share"].sum() == pytest.approx(1.0)
    assigned = result.assignments.merge(study, on="case_id")
    for _, row in profiles.iterrows():
        members = assigned[assigned["cluster"] == row["cluster"]]
        for f in FLAGS:
            assert row[f"prevalence_{f}"] == pytest.approx(members[f].astype(bool).mean())
    labels = FRAME.labels("flag", "en").values()
    assert all(
        any(lbl in name for lbl in labels) or FRAME.heading("no", "en") in name
        for name in profiles["label"]
    )
    by_cat = cl.crosstab(result, "category")
    assert by_cat.groupby("cluster")["cases"].sum().tolist() == profiles["cases"].tolist()
    by_tech = cl.crosstab(result, "technique")
    n_tech = sum(len(t.split(";")) for t in study["techniques"])
    assert by_tech["cases"].sum() == n_tech


def test_study_mca_map_places_identical_cases_together(study):
    result = cl.cluster(study, 3, "hierarchical")
    coords = cl.mca_map(result).set_index("case_id")
    assert len(coords) == 11
    assert (
        coords.loc["digi-4", ["dim_1", "dim_2"]].tolist()
        == coords.loc["taipei-3", ["dim_1", "dim_2"]].tolist()
    )


# -- exactness of collapsing -----------------------------------------------------------------
def _generic_design(metric_policy: str, seed: int):
    cases, _ = synthetic(
        n=160, noise=0.15, na_rate=0.1 if metric_policy == "missing" else 0.0, seed=seed
    )
    d = cl.design(cases, na_policy=metric_policy)
    # generic (non-integer) variable weights: no ties among merge heights
    rng = np.random.default_rng(seed)
    return dataclasses.replace(d, weights=rng.uniform(0.5, 1.5, len(d.names)))


@pytest.mark.parametrize("method", ["average", "complete"])
@pytest.mark.parametrize("metric,policy", [("hamming", "missing"), ("jaccard", "as_no")])
def test_hierarchical_on_profiles_equals_scipy_on_all_rows(method, metric, policy):
    d = _generic_design(policy, seed=5)
    p = cl.collapse(d)
    z = cl.weighted_linkage(cl.distances(d, p.codes, metric), p.counts, method)
    if metric == "hamming":
        rows = pdist(d.codes, "hamming", w=d.weights)
    else:
        rows = pdist(d.codes == cl.YES, "jaccard", w=d.weights)
    reference = linkage(rows, method)
    n, m = len(d.codes), len(p.counts)
    assert np.allclose(reference[: n - m, 2], 0.0)
    assert np.allclose(reference[n - m :, 2], z[:, 2])
    assert np.allclose(cophenet(cl.expand_linkage(z, p.inverse)), cophenet(reference))
    # partitions wherever the cut is unambiguous (a strict gap between merge heights; the
    # maximal distance 1 can tie at the top)
    heights = z[:, 2]
    tested = 0
    for k in range(2, 12):
        if heights[m - k - 1] < heights[m - k] - 1e-12:
            ours = cl.cut(z, k)[p.inverse]
            theirs = fcluster(reference, k, "maxclust")
            assert len(np.unique(theirs)) == k
            assert adjusted_rand_score(ours, theirs) == 1.0
            tested += 1
    assert tested >= 3


def _reference_batch_kmodes(rows, modes, weights, max_iter=100):
    """Unweighted batch k-modes over every row, written plainly (loops)."""
    modes = modes.copy()
    for _ in range(max_iter):
        labels = np.array(
            [
                np.argmin(
                    [sum(weights[j] * (r[j] != mo[j]) for j in range(len(r))) for mo in modes]
                )
                for r in rows
            ]
        )
        new = modes.copy()
        for c in range(len(modes)):
            members = rows[labels == c]
            for j in range(rows.shape[1]):
                values, counts = np.unique(members[:, j], return_counts=True)
                new[c, j] = values[np.argmax(counts)]
        if np.array_equal(new, modes):
            break
        modes = new
    return labels


def test_weighted_kmodes_on_profiles_equals_batch_kmodes_on_all_rows():
    d = _generic_design("missing", seed=3)
    p = cl.collapse(d)
    rng = np.random.default_rng(0)
    for k in (2, 3, 4):
        start = p.codes[rng.choice(len(p.codes), k, replace=False)]
        labels, _, cost = cl.kmodes_iterate(p.codes, p.counts, start, d.weights, d.n_levels)
        reference = _reference_batch_kmodes(d.codes, start, d.weights)
        assert adjusted_rand_score(labels[p.inverse], reference) == 1.0


def test_lca_on_profiles_matches_lca_on_all_rows(planted):
    cases, _ = planted
    small = cases.iloc[:300]
    collapsed = cl.cluster(small, 3, "lca", n_init=3)
    # the same model fitted on every row (weights 1) through the same code path
    d = cl.design(small)
    every = cl.Profiles(d.codes, np.ones(len(d.codes), dtype=np.int64), np.arange(len(d.codes)))
    labels, stats, _ = cl.fit_profiles(d, every.codes, every.counts, 3, collapsed.options)
    assert adjusted_rand_score(collapsed.labels, labels + 1) == 1.0
    assert collapsed.stats["log_likelihood"] == pytest.approx(stats["log_likelihood"], rel=1e-6)
    assert collapsed.stats["bic"] == pytest.approx(stats["bic"], rel=1e-6)


def test_weighted_silhouette_equals_sklearn_on_expanded_rows():
    d = _generic_design("as_no", seed=9)
    p = cl.collapse(d)
    dist = cl.distances(d, p.codes, "jaccard")
    for k in (2, 4):
        labels, *_ = cl.weighted_kmodes(p.codes, p.counts, k, d.weights, d.n_levels, n_init=2)
        full = squareform(pdist(d.codes == cl.YES, "jaccard", w=d.weights))
        expected = silhouette_score(full, labels[p.inverse], metric="precomputed")
        assert cl.weighted_silhouette(dist, labels, p.counts) == pytest.approx(expected, abs=1e-12)


def test_weighted_adjusted_rand_equals_sklearn_on_expanded_items():
    rng = np.random.default_rng(1)
    a, b, w = rng.integers(0, 3, 40), rng.integers(0, 4, 40), rng.integers(1, 6, 40)
    expected = adjusted_rand_score(np.repeat(a, w), np.repeat(b, w))
    assert cl.adjusted_rand(a, b, w) == pytest.approx(expected, abs=1e-12)
    assert cl.adjusted_rand(a, a) == 1.0


# -- planted clusters ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "method,options",
    [
        ("kmodes", {}),
        ("kmodes", {"engine": "kmodes"}),
        ("lca", {"n_init": 3}),
        ("hierarchical", {"linkage": "average"}),
        ("kmodes", {"na_policy": "missing", "metric": "hamming"}),
    ],
)
def test_planted_synthetic_clusters_are_recovered(method, options):
    cases, truth = synthetic(na_rate=0.05 if options.get("na_policy") == "missing" else 0.0)
    result = cl.cluster(cases, 3, method, **options)
    assert adjusted_rand_score(truth, result.labels) >= 0.9


def test_select_k_finds_the_planted_number(planted):
    cases, _ = planted
    lca = cl.select_k(cases, range(1, 6), "lca", n_init=2)
    assert lca.k == 3 and "BIC" in lca.reason
    assert lca.table["bic"].idxmin() == lca.table.index[lca.table["k"] == 3][0]
    km = cl.select_k(cases, range(2, 6), "kmodes", n_init=3)
    assert km.k == 3 and "silhouette" in km.reason
    assert km.table["chosen"].sum() == 1


def test_stability_is_perfect_on_replicated_profiles():
    rows = np.repeat(PROTOTYPES, 40, axis=0)
    cases = pd.DataFrame(
        {"case_id": [f"synthetic-{i}" for i in range(len(rows))], "name": "synthetic"}
    )
    for j, f in enumerate(FLAGS):
        cases[f] = pd.array(rows[:, j], dtype="boolean")
    for method in ("kmodes", "hierarchical"):
        st = cl.stability(cases, 3, method, n_boot=5, n_init=2)
        assert (st.runs["ari"] == 1.0).all()
        assert (st.clusters["mean_jaccard"] == 1.0).all()
        assert st.clusters["cases"].tolist() == [40, 40, 40]


def test_stability_on_noisy_planted_clusters_is_high_but_below_identical(planted):
    cases, _ = planted
    st = cl.stability(cases, 3, "kmodes", n_boot=8)
    assert len(st.runs) == 8 and st.runs["ari"].between(0.8, 1.0).all()
    assert (st.clusters["mean_jaccard"] > 0.9).all()


# -- determinism and errors ----------------------------------------------------------------
def test_same_seed_same_labels(planted):
    cases, _ = planted
    for method in ("kmodes", "lca"):
        a = cl.cluster(cases, 3, method, n_init=2, seed=7).assignments
        b = cl.cluster(cases, 3, method, n_init=2, seed=7).assignments
        pd.testing.assert_frame_equal(a, b)


def test_user_errors_are_analysis_errors(study):
    with pytest.raises(AnalysisError, match="na_policy"):
        cl.cluster(study, 2, na_policy="zero")
    with pytest.raises(AnalysisError, match="method"):
        cl.cluster(study, 2, method="dbscan")
    with pytest.raises(AnalysisError, match="distinct profiles"):
        cl.cluster(study, 7, "kmodes")
    nothing = study.copy()
    nothing["ethics"] = pd.array([pd.NA] * len(nothing), dtype="boolean")
    with pytest.raises(AnalysisError, match="no case left"):
        cl.cluster(nothing, 2, na_policy="drop")


def test_usage_and_profile_counts_on_the_study(study):
    use = cl.usage(study, "drop").set_index("na_policy")
    assert use["cases_used"].tolist() == [11, 11, 11] and use["profiles"].tolist() == [6, 6, 6]
    counts = cl.profile_counts(study)
    assert counts["cases"].sum() == 11 and counts["cases"].iloc[0] == 4  # the four all-six cases
    assert (counts.iloc[0][FLAGS] == "yes").all()


@pytest.fixture(scope="module")
def us_lca_rows():
    """The US federal 2024 inventory's six flags, not reported kept as missing (real data)."""
    d = cl.design(inventories.cases("us-federal-2024"), "missing")
    p = cl.collapse(d)
    x, measurement = cl.lca_indicators(d, p.codes)
    assert measurement == "binary_nan" and np.isnan(x).any()
    return d, p, x


def _stepmix(x, w, k, measurement, abs_tol=1e-11):
    """stepmix's latent class fit of the same rows: (model, log-likelihood summed over cases)."""
    import warnings

    from stepmix.stepmix import StepMix

    model = StepMix(
        n_components=k,
        measurement=measurement,
        n_init=10,
        max_iter=20000,
        abs_tol=abs_tol,
        random_state=3,
        verbose=0,
        progress_bar=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(x, sample_weight=w)
    return model, float(model.score(x, sample_weight=w)) * w.sum()


# stepmix run to an absolute change of 1e-11 in the mean log-likelihood is at its optimum;
# lca_em's default relative tolerance (1e-10) stops within LL_TOL of it (summed over cases)
LL_TOL = 1e-3


@pytest.mark.parametrize("k", [2, 3])
def test_lca_em_reaches_the_optimum_stepmix_reaches(us_lca_rows, k):
    _, p, x = us_lca_rows
    w = p.counts.astype(float)
    ours = cl.lca_em(x, w, k, seed=3)
    model, theirs = _stepmix(x, w, k, "binary_nan")
    assert ours["converged"] and model.converged_
    assert ours["log_likelihood"] == pytest.approx(theirs, abs=LL_TOL)
    assert ours["n_parameters"] == model.n_parameters
    np.testing.assert_allclose(ours["proba"].sum(axis=1), 1.0)
    # entropy R² over the cases fitted, against stepmix on the expanded rows
    fitted = np.repeat(x[~ours["empty"]], p.counts[~ours["empty"]], axis=0)
    assert ours["relative_entropy"] == pytest.approx(model.relative_entropy(fitted), abs=1e-3)


@pytest.fixture(scope="module")
def us_coded_with_categories():
    """The coded US federal 2024 inventory: six flags (not reported kept as missing) and
    its model-coded category (real data)."""
    from analysis import coding

    d = cl.design(coding.cases_for(["us-federal-2024-coded"], FRAME), "missing", categories=True)
    return d, cl.collapse(d)


def test_lca_models_the_category_as_one_categorical_indicator(us_coded_with_categories):
    d, p = us_coded_with_categories
    x, measurement = cl.lca_indicators(d, p.codes)
    levels = cl.lca_levels(d)
    assert x.shape[1] == len(FLAGS) + 1 and levels.tolist() == [2] * len(FLAGS) + [5]
    assert set(np.unique(x[:, -1])) <= set(range(5))
    assert measurement["category"]["model"].startswith("categorical")
    w = p.counts.astype(float)
    ours = cl.lca_em(x, w, 2, seed=3, levels=levels)
    model, theirs = _stepmix(x, w, 2, measurement)
    # a multinomial over five categories per class: 4 free parameters, not 5 Bernoulli items
    assert ours["n_parameters"] == model.n_parameters == 1 + 2 * (len(FLAGS) + 4)
    assert ours["log_likelihood"] == pytest.approx(theirs, abs=LL_TOL)
    assert ours["log_likelihood"] == pytest.approx(-5574.195, abs=0.01)


def test_lca_leaves_cases_without_any_indicator_out_of_the_fit(us_lca_rows):
    d, p, x = us_lca_rows
    cases = inventories.cases("us-federal-2024")
    silent = int(cases[FLAGS].isna().all(axis=1).sum())
    assert silent > 0
    w = p.counts.astype(float)
    fit = cl.lca_em(x, w, 3, seed=3)
    assert fit["n_empty"] == silent and fit["n_cases"] == len(cases) - silent
    # the same model fitted without those rows: the same optimum
    keep = ~np.isnan(x).all(axis=1)
    alone = cl.lca_em(x[keep], w[keep], 3, seed=3)
    assert alone["n_empty"] == 0
    assert fit["log_likelihood"] == pytest.approx(alone["log_likelihood"], abs=1e-9)
    np.testing.assert_allclose(fit["proba"][keep], alone["proba"], atol=1e-9)
    # their class probabilities are the class sizes, the same for every such row
    prior = fit["proba"][~keep]
    np.testing.assert_allclose(prior, np.broadcast_to(prior[0], prior.shape))
    np.testing.assert_allclose(prior[0], (w[keep] @ fit["proba"][keep]) / w[keep].sum(), atol=1e-6)
    # BIC's n counts the cases fitted; the assignments say who was classed by prior alone
    result = cl.cluster(cases, 3, "lca", na_policy="missing", seed=3)
    s = result.stats
    assert s["n_no_information"] == silent
    n = len(cases) - silent
    assert s["bic"] == pytest.approx(-2 * s["log_likelihood"] + s["n_parameters"] * np.log(n))
    by_prior = result.assignments["by_prior"]
    assert by_prior.sum() == silent
    silent_ids = set(cases.loc[cases[FLAGS].isna().all(axis=1), "case_id"])
    assert set(result.assignments.loc[by_prior, "case_id"]) == silent_ids
    # starts reaching the best optimum, counted from the starts' own log-likelihoods
    lls = fit["start_log_likelihoods"]
    assert fit["n_best"] == int(np.sum(lls >= lls.max() - 0.01)) >= 1


def test_lca_em_on_profiles_follows_the_fit_on_every_case(us_lca_rows):
    d, p, x = us_lca_rows
    every, _ = cl.lca_indicators(d, d.codes)
    collapsed = cl.lca_em(x, p.counts.astype(float), 3, seed=5, n_init=4)
    full = cl.lca_em(every, np.ones(len(every)), 3, seed=5, n_init=4)
    assert collapsed["log_likelihood"] == pytest.approx(full["log_likelihood"], rel=1e-9)
    np.testing.assert_allclose(collapsed["proba"][p.inverse], full["proba"], atol=1e-8)


# -- ties and local optima -------------------------------------------------------------------
def test_tied_merges_are_broken_by_position_and_a_cut_inside_them_is_flagged():
    # four synthetic points all at distance 1: every merge is a tie
    z = cl.weighted_linkage(1 - np.eye(4), np.ones(4), "complete")
    assert z[:, :2].tolist() == [[0, 1], [2, 4], [3, 5]]
    assert [cl.tied_cut(z, k) for k in (1, 2, 3, 4)] == [False, True, True, False]


@pytest.mark.parametrize("inventory,policy", [("us-federal-2024", "missing"), ("study", "drop")])
@pytest.mark.parametrize("method", ["complete", "average"])
def test_cuts_not_flagged_arbitrary_are_the_partition_scipy_finds(inventory, policy, method):
    """scipy breaks ties its own way on every case; wherever a cut is not flagged as falling
    inside tied heights, its partition is the same."""
    cases = inventories.cases(inventory)
    flags = cases[FLAGS]
    if policy == "drop":
        flags = flags[flags.notna().all(axis=1)]
    # Jaccard presence indicators on every case: yes, and not reported under "missing"
    parts = [flags.eq(True).fillna(False).to_numpy(bool)]
    if policy == "missing":
        parts.append(flags.isna().to_numpy(bool))
    rows = np.hstack(parts)
    reference = linkage(pdist(rows, "jaccard"), method)
    flagged = 0
    for k in range(2, min(len(np.unique(rows, axis=0)), 8)):
        result = cl.cluster(cases, k, "hierarchical", na_policy=policy, linkage=method)
        heights = result.linkage[:, 2]
        m = len(heights) + 1
        if heights[m - k] == heights[m - k - 1]:  # the cut falls inside tied heights
            assert result.stats["arbitrary_cut"]
        if result.stats["arbitrary_cut"]:
            flagged += 1
        else:
            theirs = fcluster(reference, k, "maxclust")
            assert adjusted_rand_score(result.labels, theirs) == 1.0
    if inventory == "us-federal-2024" and method == "complete":
        # the last merges of complete linkage are all at distance 1: small k are arbitrary
        assert flagged >= 2
        selection = cl.select_k(
            cases, range(2, 4), "hierarchical", na_policy=policy, linkage=method
        )
        assert selection.table["arbitrary_cut"].all() and "tied" in selection.reason


def test_kmodes_reaches_the_kmodes_package_best_and_reports_the_spread():
    cases = inventories.cases("us-federal-2024")
    package = cl.cluster(cases, 5, "kmodes", na_policy="missing", engine="kmodes", n_init=50)
    ours = cl.cluster(cases, 5, "kmodes", na_policy="missing")
    s = ours.stats
    assert s["starts"] == cl.KMODES_STARTS
    assert s["cost"] <= package.stats["cost"]
    d = ours.design
    p = ours.profiles
    _, _, best, costs = cl.weighted_kmodes(p.codes, p.counts, 5, d.weights, d.n_levels)
    assert len(costs) == cl.KMODES_STARTS and best == costs.min() == s["cost"]
    assert s["starts_at_best"] == int((costs == best).sum()) >= 1
    assert s["cost"] <= s["cost_median"] <= s["cost_worst"] == costs.max()
    # the cost of the chosen partition, recomputed from its labels on every case
    rows = d.codes
    labels = ours.labels
    total = 0.0
    for c in np.unique(labels):
        members = rows[labels == c]
        mode = [np.bincount(col).argmax() for col in members.T]
        total += (members != mode).sum()
    assert total == s["cost"]
