"""Co-occurrence tables: hand counts from the study's printed tables, brute-force checks
and properties on random inventories."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis import canonical, load_frame, synthetic
from analysis import cooccurrence as co
from analysis import inventories as bundled
from analysis.errors import AnalysisError

FRAME = load_frame()
FLAGS = FRAME.flag_keys
DG, HR, ETH, EXP, PD, ADR = (
    FLAGS  # frame order: 資料治理 人權保護 倫理 模型可解釋性 個人資料 自動化決策風險
)


# -- the study's 11 cases, counted by hand from the three excerpt tables --------------------
# V marks per case (DG HR ETH EXP PD ADR):
#   digi-1  V V V V V .     digi-2  V V . V V .     digi-3  V . . V V .
#   digi-4  V V V V V V     digi-5  V V V V V V
#   award-1 V . . V . V     award-2 V . . V . V     award-3 V V . . V V
#   taipei-1 V . . V . V    taipei-2 V V V V V V    taipei-3 V V V V V V


def _pair(table, a, b):
    return table[(table["flag_a"] == a) & (table["flag_b"] == b)].iloc[0]


def test_study_pair_counts_by_hand(study, frame):
    pairs = co.pairs(study, frame=frame)
    # 資料治理 ∧ 模型可解釋性: every case but award-3 has 模型可解釋性, all 11 have 資料治理 → 10
    assert _pair(pairs, DG, EXP)["count"] == 10
    # 人權保護 ∧ 模型可解釋性: digi-1, digi-2, digi-4, digi-5, taipei-2, taipei-3 → 6
    assert _pair(pairs, HR, EXP)["count"] == 6
    # 人權保護 ∧ 個人資料: digi-1, digi-2, digi-4, digi-5, award-3, taipei-2, taipei-3 → 7
    assert _pair(pairs, HR, PD)["count"] == 7
    # 倫理 ∧ 自動化決策風險: digi-4, digi-5, taipei-2, taipei-3 → 4
    assert _pair(pairs, ETH, ADR)["count"] == 4
    # 個人資料 ∧ 自動化決策風險: digi-4, digi-5, award-3, taipei-2, taipei-3 → 5
    assert _pair(pairs, PD, ADR)["count"] == 5
    # diagonal = V's per column: 11, 7, 5, 10, 8, 8
    diag = pairs[pairs["flag_a"] == pairs["flag_b"]].set_index("flag_a")["count"].to_dict()
    assert diag == {DG: 11, HR: 7, ETH: 5, EXP: 10, PD: 8, ADR: 8}
    assert (pairs["n"] == 11).all() and (pairs["cases"] == 11).all()


def test_study_measures_by_hand(study, frame):
    pairs = co.pairs(study, frame=frame)
    # 倫理 cases (digi-1, digi-4, digi-5, taipei-2, taipei-3) all have 人權保護: ∩ 5, ∪ 7
    assert _pair(pairs, HR, ETH)["jaccard"] == pytest.approx(5 / 7)
    # P(自動化決策風險 | 倫理) = 4 / 5; P(倫理 | 自動化決策風險) = 4 / 8
    assert _pair(pairs, ETH, ADR)["p_b_given_a"] == pytest.approx(4 / 5)
    assert _pair(pairs, ADR, ETH)["p_b_given_a"] == pytest.approx(4 / 8)
    # lift(人權保護, 個人資料) = 7 · 11 / (7 · 8)
    assert _pair(pairs, HR, PD)["lift"] == pytest.approx(11 / 8)
    # φ(人權保護, 個人資料): 2×2 = [[7, 0], [1, 3]] (digi-3 has 個人資料 without 人權保護)
    assert _pair(pairs, HR, PD)["phi"] == pytest.approx((7 * 3 - 0 * 1) / math.sqrt(7 * 4 * 8 * 3))
    # 資料治理 is ticked in every case: φ undefined, not 0
    assert math.isnan(_pair(pairs, DG, HR)["phi"])


def test_study_by_category_by_hand(study, frame):
    pairs = co.pairs(study, by="category", frame=frame)
    assert list(dict.fromkeys(pairs["category"])) == [
        "enforcement",
        "regulatory_analysis",
        "internal_management",
    ]
    enf = pairs[pairs["category"] == "enforcement"]
    assert _pair(enf, HR, ETH)["count"] == 3  # digi-1, digi-4, digi-5
    assert _pair(enf, ADR, ADR)["count"] == 2  # digi-4, digi-5
    reg = pairs[pairs["category"] == "regulatory_analysis"]
    assert _pair(reg, EXP, ADR)["count"] == 2  # award-1, award-2
    assert (reg["cases"] == 3).all()


def test_study_technique_flag_table_by_hand(study, frame):
    table = co.flag_table(study, "technique", frame=frame).set_index(["technique", "flag"])
    # 影像辨識: digi-1 … digi-5 and award-1 → 6 cases; 自動化決策風險 in digi-4, digi-5, award-1
    assert table.loc[("image_recognition", ADR), "cases"] == 6
    assert table.loc[("image_recognition", ADR), "yes"] == 3
    # 機器學習 (ML): digi-3, award-2, taipei-1, taipei-3; 人權保護 only in taipei-3
    assert table.loc[("machine_learning", HR), ["cases", "yes", "n"]].tolist() == [4, 1, 4]
    assert table.loc[("machine_learning", HR), "prevalence"] == pytest.approx(0.25)
    assert list(dict.fromkeys(table.index.get_level_values(0))) == [
        k for k in frame.technique_keys if k in set(table.index.get_level_values(0))
    ]


def test_study_combinations_by_hand(study, frame):
    combos = co.combinations(study, frame=frame)
    # all six: digi-4, digi-5, taipei-2, taipei-3; {DG, EXP, ADR}: award-1, award-2, taipei-1
    assert combos["count"].tolist() == [4, 3, 1, 1, 1, 1]
    assert combos.loc[0, "flags"] == ";".join(FLAGS)
    assert combos.loc[1, "flags"] == f"{DG};{EXP};{ADR}"
    assert (combos["n"] == 11).all() and combos["share"].sum() == pytest.approx(1.0)


def test_na_policies(study, frame):
    part = study.copy()
    part.loc[[0, 1, 2], ETH] = pd.NA  # digi-1 (ticked), digi-2, digi-3 (not ticked)
    part.loc[[5], HR] = pd.NA  # award-1 (not ticked)
    pw = co.pairs(part, frame=frame)
    row = _pair(pw, HR, ETH)
    assert row["n"] == 11 - 4  # cases reporting both
    assert row["count"] == 4  # digi-4, digi-5, taipei-2, taipei-3
    assert _pair(pw, DG, ETH)["n"] == 8
    as_no = _pair(co.pairs(part, na_policy="as_no", frame=frame), HR, ETH)
    assert (as_no["n"], as_no["count"], as_no["n_b"]) == (11, 4, 4)
    complete = co.pairs(part, na_policy="complete", frame=frame)
    assert (complete["n"] == 7).all()
    flags = co.flag_table(part, None, frame=frame).set_index("flag")
    assert flags.loc[ETH, ["yes", "no", "n", "not_reported"]].tolist() == [4, 4, 8, 3]
    assert flags.loc[ETH, "not_reported_share"] == pytest.approx(3 / 11)
    assert flags.loc[ETH, "prevalence"] == pytest.approx(0.5)
    combos = co.combinations(part, frame=frame)
    assert combos["count"].sum() == 11 and combos.loc[combos[ETH].isna(), "count"].sum() == 3
    assert co.combinations(part, na_policy="complete", frame=frame)["count"].sum() == 7
    folded = co.combinations(part, na_policy="as_no", frame=frame)
    assert folded["count"].sum() == 11 and not folded[ETH].isna().any()
    with pytest.raises(AnalysisError):
        co.pairs(part, na_policy="drop")


def test_pair_table_and_describe(study, frame):
    wide = co.pair_table(co.pairs(study, by="category", frame=frame), "count", frame, "en")
    assert wide.index.tolist() == [
        frame.label("category", c, "en")
        for c in ("enforcement", "regulatory_analysis", "internal_management")
    ]
    hr_eth = f"{frame.label('flag', HR, 'en')} × {frame.label('flag', ETH, 'en')}"
    assert wide[hr_eth].tolist() == [3, 0, 2]  # digi-1, digi-4, digi-5 | none | taipei-2, taipei-3
    assert wide.iloc[:, 0].tolist() == [5, 3, 3] and wide.shape[1] == 1 + 15
    text = co.describe(study, frame=frame, language="en")
    # the pair ticked together most often: 資料治理 × 模型可解釋性, 10 cases (all but award-3)
    assert "11 cases (study); 11 report all 6 risks" in text
    top_pair = f"{frame.label('flag', DG, 'en')} and {frame.label('flag', EXP, 'en')}"
    assert f"{top_pair} (10 cases, Jaccard 0.91)" in text
    assert "10 案" in co.describe(study, frame=frame)


def test_errors(study, frame):
    with pytest.raises(AnalysisError, match="no column"):
        co.pairs(study, by="bureau")
    with pytest.raises(AnalysisError):
        co.matrix(co.pairs(study, by="category"), "jaccard")
    with pytest.raises(AnalysisError):
        co.counts(study, flags=["not_a_flag"])


def test_tables_match_single_calls(study, frame):
    extra = study.assign(bureau=["x", "y"] * 5 + [None])
    out = co.tables(
        extra, by=("category", "technique", "source", "bureau"), min_stratum_size=2, frame=frame
    )
    pd.testing.assert_frame_equal(out["pairs"], co.pairs(extra, frame=frame))
    pd.testing.assert_frame_equal(
        out["pairs_by_technique"], co.pairs(extra, "technique", min_stratum_size=2, frame=frame)
    )
    assert set(out["flags_by_bureau"]["bureau"].dropna()) == {"x", "y"}
    assert (
        out["flags_by_bureau"]["bureau"].isna().sum() == 0
    )  # the one uncoded case is below min size
    assert out["flags_by_technique"]["cases"].min() >= 2


# -- random inventories ------------------------------------------------------------------------
TECHS = FRAME.technique_keys[:5]
CATS = FRAME.category_keys[:3]


@st.composite
def inventories(draw, max_cases=25):
    n = draw(st.integers(0, max_cases))
    tri = st.sampled_from([True, False, None])
    rows = []
    for i in range(n):
        techs = draw(st.lists(st.sampled_from(TECHS), unique=True, max_size=3))
        row = {
            "case_id": f"synthetic-{i}",
            "inventory": "synthetic",
            "source": draw(st.sampled_from(["s1", "s2"])),
            "category": draw(st.sampled_from(CATS + [None])),
            "techniques": ";".join(t for t in TECHS if t in techs) or None,
        }
        row.update({f: draw(tri) for f in FLAGS})
        rows.append(row)
    table = pd.DataFrame(
        rows, columns=["case_id", "inventory", "source", "category", "techniques", *FLAGS]
    )
    return canonical.coerce(table, FRAME)


def brute_pairs(table: pd.DataFrame) -> dict:
    """Pairwise-complete counts and measures by looping over cases and pairs."""
    out = {}
    for a, b in itertools.product(FLAGS, FLAGS):
        n = n_a = n_b = both = 0
        for va, vb in zip(table[a], table[b]):
            if pd.isna(va) or pd.isna(vb):
                continue
            n += 1
            n_a += bool(va)
            n_b += bool(vb)
            both += bool(va) and bool(vb)
        union = n_a + n_b - both
        den = math.sqrt(n_a * (n - n_a) * n_b * (n - n_b))
        out[a, b] = {
            "n": n,
            "count": both,
            "jaccard": both / union if union else math.nan,
            "p_b_given_a": both / n_a if n_a else math.nan,
            "lift": both * n / (n_a * n_b) if n_a and n_b else math.nan,
            "phi": (both * n - n_a * n_b) / den if den else math.nan,
        }
    return out


SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(inventories())
def test_measures_equal_brute_force(table):
    pairs = co.pairs(table, frame=FRAME)
    expected = brute_pairs(table)
    for row in pairs.itertuples():
        want = expected[row.flag_a, row.flag_b]
        assert (row.n, row.count) == (want["n"], want["count"])
        for m in ("jaccard", "p_b_given_a", "lift", "phi"):
            got = getattr(row, m)
            assert (math.isnan(got) and math.isnan(want[m])) or got == pytest.approx(want[m])


@SETTINGS
@given(inventories(), st.sampled_from(co.NA_POLICIES))
def test_symmetry_and_diagonal(table, policy):
    pairs = co.pairs(table, na_policy=policy, frame=FRAME)
    for m in ("n", "count", "jaccard", "lift", "phi"):
        wide = (
            co.matrix(pairs, m if m != "n" else "count", frame=FRAME)
            if m != "n"
            else pairs.pivot(index="flag_a", columns="flag_b", values="n").reindex(
                index=FLAGS, columns=FLAGS
            )
        )
        np.testing.assert_array_equal(
            np.isnan(wide.to_numpy(float)), np.isnan(wide.to_numpy(float).T)
        )
        np.testing.assert_allclose(
            np.nan_to_num(wide.to_numpy(float)), np.nan_to_num(wide.to_numpy(float).T)
        )
    diag = pairs[pairs["flag_a"] == pairs["flag_b"]].set_index("flag_a")
    yes = {f: int(table[f].fillna(False).sum()) for f in FLAGS}
    if policy == "complete":
        full = table[FLAGS].notna().all(axis=1)
        yes = {f: int(table.loc[full, f].fillna(False).sum()) for f in FLAGS}
    assert diag["count"].to_dict() == yes


@SETTINGS
@given(inventories(), st.randoms(use_true_random=False))
def test_invariant_to_row_order(table, rnd):
    order = list(range(len(table)))
    rnd.shuffle(order)
    shuffled = table.iloc[order].reset_index(drop=True)
    for by in (None, "category", "technique"):
        pd.testing.assert_frame_equal(
            co.pairs(table, by, frame=FRAME), co.pairs(shuffled, by, frame=FRAME)
        )
        pd.testing.assert_frame_equal(
            co.flag_table(table, by, frame=FRAME), co.flag_table(shuffled, by, frame=FRAME)
        )
    pd.testing.assert_frame_equal(
        co.combinations(table, frame=FRAME), co.combinations(shuffled, frame=FRAME)
    )


@SETTINGS
@given(inventories(), st.sampled_from(co.NA_POLICIES))
def test_partitioning_strata_sum_to_overall(table, policy):
    many = co.counts_many(table, [None, "category", "source"], policy, FRAME)
    overall = many[None]
    for by in ("category", "source"):
        part = many[by]
        for name in ("yy", "yr", "rr", "not_reported"):
            np.testing.assert_array_equal(
                getattr(part, name).sum(axis=0), getattr(overall, name)[0]
            )
        assert part.cases.sum() == len(table)
        # the tidy stratified table agrees with filtering the table by hand
        for key in part.strata:
            sub = table[table[by].isna()] if pd.isna(key) else table[table[by] == key]
            want = co.pairs(sub, na_policy=policy, frame=FRAME)
            got = part.pairs()
            got = got[got[by].isna()] if pd.isna(key) else got[got[by] == key]
            np.testing.assert_array_equal(got["count"].to_numpy(), want["count"].to_numpy())
            np.testing.assert_array_equal(got["n"].to_numpy(), want["n"].to_numpy())


@SETTINGS
@given(inventories())
def test_technique_strata_count_each_technique(table):
    part = co.counts(table, "technique", frame=FRAME)
    lists = canonical.technique_lists(table)
    for key, n_cases in zip(part.strata, part.cases):
        if pd.isna(key):
            assert n_cases == int(table["techniques"].isna().sum())
        else:
            assert n_cases == sum(key in ts for ts in lists)
    assert part.cases.sum() == sum(max(len(ts), 1) for ts in lists)
    combos = co.combinations(table, frame=FRAME)
    assert combos["count"].sum() == len(table)


def test_many_flags_use_the_general_pattern_path():
    # 13 tri-state columns exceed the direct 3^k code table; np.unique over rows is used
    rng = np.random.default_rng(0)
    states = rng.integers(0, 3, size=(200, 13)).astype(np.int8)
    index, table = co._patterns(states)
    np.testing.assert_array_equal(table[index], states)
    small_index, small_table = co._patterns(states[:, :6])
    np.testing.assert_array_equal(small_table[small_index], states[:, :6])


# -- partitioned and Dask routes: the tables are sums over partitions --------------------------
#: stratifications of the real inventory: its categories (one coded, the rest NA), techniques
#: (all NA) and its 41 agencies, whose uneven sizes put strata on both sides of min_stratum_size
REAL_STRATA = (*co.DEFAULT_STRATA, "agency")


@pytest.fixture(scope="module")
def us_federal():
    return bundled.cases("us-federal-2024", FRAME)


def assert_same_tables(got: dict, want: dict):
    assert list(got) == list(want)
    for name in want:
        pd.testing.assert_frame_equal(got[name], want[name], check_dtype=True, obj=name)


def _split(table: pd.DataFrame, cuts) -> list[pd.DataFrame]:
    """Consecutive row slices between the (sorted, possibly repeated → empty) cut points."""
    bounds = [0, *sorted(cuts), len(table)]
    return [table.iloc[a:b] for a, b in zip(bounds[:-1], bounds[1:])]


def test_partitioned_route_equals_in_memory_on_the_real_inventory(us_federal):
    # sorted by category then agency: the first partitions hold only coded cases, the last only
    # uncoded ones, and most partitions lack most agencies
    table = us_federal.sort_values(
        ["category", "agency"], kind="stable", na_position="last"
    ).reset_index(drop=True)
    first_na = int(table["category"].notna().sum())
    assert 0 < first_na < len(table)
    for policy in co.NA_POLICIES:
        want = co.tables(table, REAL_STRATA, policy, min_stratum_size=30, frame=FRAME)
        for k in (1, 2, 4, 16):
            parts = [table.iloc[rows] for rows in np.array_split(np.arange(len(table)), k)]
            parts = [
                table.iloc[:0],
                *parts[: k // 2],
                table.iloc[:0],
                *parts[k // 2 :],
                table.iloc[:0],
            ]
            if k >= 4:  # some partitions lack the uncoded cases, others the coded category
                assert any(len(p) and p["category"].notna().all() for p in parts)
                assert any(len(p) and p["category"].isna().all() for p in parts)
            got = co.tables_partitioned(
                iter(parts), REAL_STRATA, policy, min_stratum_size=30, frame=FRAME
            )
            assert_same_tables(got, want)
        # the boundary between coded and uncoded cases as a cut: no partition has both
        got = co.tables_partitioned(
            _split(table, [first_na]), REAL_STRATA, policy, min_stratum_size=30, frame=FRAME
        )
        assert_same_tables(got, want)


def test_min_stratum_size_applies_to_the_sum_not_to_each_partition(us_federal):
    # every partition has < 30 cases, so no stratum reaches 30 inside one; the agencies with
    # ≥ 30 cases overall must show all the same
    sizes = us_federal["agency"].value_counts()
    parts = np.array_split(np.arange(len(us_federal)), 100)
    assert max(map(len, parts)) < 30 and (sizes >= 30).sum() > 1
    got = co.tables_partitioned(
        (us_federal.iloc[p] for p in parts), REAL_STRATA, min_stratum_size=30, frame=FRAME
    )
    assert set(got["flags_by_agency"]["agency"]) == set(sizes[sizes >= 30].index)


def test_partitioned_route_equals_in_memory_on_synthetic_cases():
    table = synthetic.generate(30_000, seed=7)
    rng = np.random.default_rng(11)
    want = co.tables(table, frame=FRAME)
    for k in (3, 10, 40):
        cuts = rng.integers(0, len(table), size=k - 1)
        cuts = np.concatenate([cuts, cuts[:2]])  # repeated cut points: zero-row partitions
        assert_same_tables(co.tables_partitioned(_split(table, cuts), frame=FRAME), want)
    # partitions by category: each lacks every category but its own (and the NA one)
    by_category = [g for _, g in table.groupby("category", dropna=False, sort=False)]
    assert len(by_category) > 2
    reordered = pd.concat(by_category, ignore_index=True)
    assert_same_tables(
        co.tables_partitioned(by_category, frame=FRAME), co.tables(reordered, frame=FRAME)
    )


def test_sum_of_pattern_counts_is_the_count_of_the_union():
    table = synthetic.generate(5000, seed=3)
    by = (None, "category", "technique", "source")
    whole = co.pattern_counts(table, by, FRAME)
    parts = [co.pattern_counts(p, by, FRAME) for p in _split(table, [0, 700, 700, 2500, 4999])]
    for summed in (co.sum_pattern_counts(parts, FRAME), co.sum_pattern_counts(parts[::-1], FRAME)):
        assert summed.by == whole.by and summed.flags == whole.flags
        assert {b: [str(k) for k in v] for b, v in summed.strata.items()} == {
            b: [str(k) for k in v] for b, v in whole.strata.items()
        }
        np.testing.assert_array_equal(summed.patterns, whole.patterns)
        np.testing.assert_array_equal(summed.counts, whole.counts)
    assert whole.counts[0].sum() == len(table)
    with pytest.raises(AnalysisError):
        co.sum_pattern_counts([whole, co.pattern_counts(table, (None,), FRAME)], FRAME)
    with pytest.raises(AnalysisError):
        co.sum_pattern_counts([], FRAME)
    with pytest.raises(AnalysisError):
        co.tables_partitioned([], frame=FRAME)


@SETTINGS
@given(inventories(), st.lists(st.integers(0, 25), max_size=5), st.sampled_from(co.NA_POLICIES))
def test_partitioned_route_on_random_inventories(table, cuts, policy):
    by = (None, "category", "technique", "source")
    cuts = [min(c, len(table)) for c in cuts]
    want = co.tables(table, by, policy, frame=FRAME)
    assert_same_tables(co.tables_partitioned(_split(table, cuts), by, policy, frame=FRAME), want)


def test_dask_route_equals_in_memory(us_federal):
    # dask is pinned in requirements.lock and listed in the test extra: this must run, not skip
    import dask.dataframe as dd

    want = co.tables(us_federal, REAL_STRATA, min_stratum_size=30, frame=FRAME)
    ddf = dd.from_pandas(us_federal, npartitions=4)
    assert ddf.npartitions == 4
    got = co.tables_dask(ddf, REAL_STRATA, min_stratum_size=30, frame=FRAME, scheduler="sync")
    assert_same_tables(got, want)
    # more partitions than one tree level (split_every=2 → combine steps), other policy
    table = synthetic.generate(20_000, seed=5)
    ddf = dd.from_pandas(table, npartitions=9)
    got = co.tables_dask(ddf, na_policy="complete", frame=FRAME, scheduler="sync", split_every=2)
    assert_same_tables(got, co.tables(table, na_policy="complete", frame=FRAME))


def test_dask_route_names_a_missing_column(us_federal):
    import dask.dataframe as dd

    ddf = dd.from_pandas(us_federal.drop(columns=["agency"]), npartitions=2)
    with pytest.raises(AnalysisError, match="agency"):
        co.tables_dask(ddf, REAL_STRATA, frame=FRAME, scheduler="sync")
    with pytest.raises(AnalysisError, match="na_policy"):
        co.tables_dask(ddf, na_policy="drop", frame=FRAME, scheduler="sync")


# -- questionnaire design: who a flag's questions were asked of (issue 19, item 4) ----------
US24_RAW = "data/raw/us-federal/2024_consolidated_ai_inventory_raw_v2.csv"
US24_IMPACT = "Is the AI use case rights-impacting, safety-impacting, both, or neither?"


@pytest.fixture(scope="module")
def us2024():
    return bundled.load("us-federal-2024").cases


def test_asked_of_counts_match_the_raw_file(us2024):
    """The load's count of the cases the section 5 questions were asked of, recomputed from
    the raw file with pandas (impact type and stage, as the data dictionary requires)."""
    from analysis import config

    raw = pd.read_csv(config.ROOT / US24_RAW, encoding="cp1252", dtype=str)
    impact = raw[US24_IMPACT].fillna("").str.strip().str.lower()
    stage = raw["Stage of Development"].fillna("").str.strip().str.lower()
    asked = impact.isin(["rights-impacting", "safety-impacting", "both"]) & stage.isin(
        ["implementation and assessment", "operation and maintenance"]
    )
    info = co.subpopulations(us2024)
    assert set(info) == {DG, ETH, EXP, PD, ADR}  # human_rights (17_impact_type) asked of all
    for flag in (ETH, ADR):
        got = info[flag]["us-federal-2024"]
        reported = us2024[flag].notna().to_numpy()
        assert got["asked"] == int(asked.sum())
        assert got["reported"] == int(reported.sum())
        assert got["reported_asked"] == int((asked.to_numpy() & reported).sum())
    assert info[ETH]["us-federal-2024"]["reported"] == 223


def test_pooled_cases_keep_the_subpopulations(us2024, study):
    pooled = pd.concat([us2024, study], ignore_index=True)
    assert pooled.attrs == {}  # pandas drops attrs that differ: looked up from the load
    assert co.subpopulations(pooled) == co.subpopulations(us2024)
    assert co.subpopulations(study) == {}


def test_shown_pairs_show_each_pairs_n_and_mark(us2024):
    table = co.shown_pairs(co.pairs(us2024, frame=FRAME), us2024, FRAME)
    assert "cases" not in table.columns
    for row in table.itertuples():
        both = us2024[[row.flag_a, row.flag_b]].notna().all(axis=1).sum()
        assert row.n == both
        marked = set(filter(None, str(row.asked_of).split(";")))
        assert marked == {row.flag_a, row.flag_b} - {HR}
    assert table["n"].min() == 147 and table["n"].max() == 1217


def test_pairwise_and_complete_against_pandas(us2024):
    side = co.pairwise_and_complete(us2024, "jaccard", FRAME)
    complete = us2024[FLAGS].dropna()
    assert len(complete) == 138
    assert (side["n:na_policy_complete"] == len(complete)).all()
    for row in side.itertuples(index=False):
        a, b = complete[row.flag_a].astype(bool), complete[row.flag_b].astype(bool)
        expected = (a & b).sum() / (a | b).sum() if (a | b).any() else np.nan
        assert math.isclose(row[4], expected, rel_tol=1e-12)  # jaccard under complete cases
        used = us2024[[row.flag_a, row.flag_b]].dropna()
        a, b = used[row.flag_a].astype(bool), used[row.flag_b].astype(bool)
        assert math.isclose(row[2], (a & b).sum() / (a | b).sum(), rel_tol=1e-12)  # pairwise
    assert "138" in co.complete_case_sentence(us2024, FRAME, "en")
    assert "147–1217" in co.complete_case_sentence(us2024, FRAME, "en")
