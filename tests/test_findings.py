"""Key findings on real inventories: pair tests, bootstrap intervals, BH q-values, the
between-inventory tests and the sentences made from them."""

import re

import numpy as np
import pytest
from scipy import stats as sps
from statsmodels.stats.multitest import multipletests

from analysis import coding, findings

NAMES = ["study", "taiwan-public-annotated"]


@pytest.fixture(scope="module")
def cases():
    return {name: coding.cases_for(name) for name in NAMES}


@pytest.fixture(scope="module")
def pairs(cases, frame):
    return findings.all_pair_tests(cases, n_boot=500, frame=frame)


def test_fifteen_pairs_per_inventory_with_fisher_and_bh_as_scipy_and_statsmodels(cases, pairs):
    assert pairs.groupby("inventory").size().to_dict() == {name: 15 for name in NAMES}
    for name, group in pairs.groupby("inventory"):
        table = cases[name]
        for row in group.itertuples():
            a, b = table[row.flag_a].astype("boolean"), table[row.flag_b].astype("boolean")
            used = a.notna() & b.notna()
            a, b = a[used].astype(bool), b[used].astype(bool)
            counts = [[(a & b).sum(), (a & ~b).sum()], [(~a & b).sum(), (~a & ~b).sum()]]
            assert row.n == used.sum() and row.count == counts[0][0]
            assert row.p_value == pytest.approx(sps.fisher_exact(counts).pvalue, rel=1e-12)
        expected = multipletests(group["p_value"], method="fdr_bh")[1]
        np.testing.assert_allclose(group["q_value"], expected, rtol=1e-12)


def test_bootstrap_interval_is_seeded_and_holds_the_estimate(cases, pairs, frame):
    again = findings.pair_tests(cases["taiwan-public-annotated"], n_boot=500, frame=frame)
    mine = pairs[pairs["inventory"] == "taiwan-public-annotated"].reset_index(drop=True)
    np.testing.assert_array_equal(again["jaccard_low"], mine["jaccard_low"])
    other = findings.pair_tests(cases["taiwan-public-annotated"], 500, seed=7, frame=frame)
    assert not np.array_equal(other["jaccard_low"], mine["jaccard_low"])
    defined = pairs.dropna(subset=["jaccard"])
    assert (defined["jaccard_low"] <= defined["jaccard"]).all()
    assert (defined["jaccard"] <= defined["jaccard_high"]).all()
    # wide for 11 cases, narrower for 133
    width = (pairs["jaccard_high"] - pairs["jaccard_low"]).groupby(pairs["inventory"]).mean()
    assert width["study"] > width["taiwan-public-annotated"]


NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def test_sentences_carry_exactly_the_numbers_of_the_table(pairs, frame):
    chosen = findings.extremes(pairs, min_n=10)
    assert set(chosen["inventory"]) == set(NAMES)
    for language in ("zh-TW", "en"):
        lines = findings.pair_sentences(pairs, chosen, language, 10, frame)
        assert len(lines) == 2
        for name, line in zip(NAMES, lines):
            rows = chosen[chosen["inventory"] == name]
            expected = []
            for r in rows.itertuples():
                expected += [r.jaccard, r.jaccard_low, r.jaccard_high]
                expected += [float(r.count), float(r.n)]
                expected += [] if np.isnan(r.phi) else [r.phi]
                expected += [r.p_value, r.q_value]
            found = [float(x) for x in NUMBER.findall(line.replace("95%", ""))]
            # p- and q-values below a thousandth are printed "< 0.001"
            shown = [0.001 if 0 <= x < 0.001 else round(x, 3) for x in expected]
            assert sorted(found) == pytest.approx(sorted(shown), abs=5e-4)


def test_strongest_and_weakest_are_the_extremes_among_pairs_with_enough_cases(pairs):
    chosen = findings.extremes(pairs, min_n=10).set_index(["inventory", "rank"])
    for name, group in pairs.groupby("inventory"):
        usable = group[group["n"] >= 10]
        assert chosen.loc[(name, "strongest"), "jaccard"] == usable["jaccard"].max()
        assert chosen.loc[(name, "weakest"), "jaccard"] == usable["jaccard"].min()
    assert findings.extremes(pairs, min_n=10_000).empty


def test_between_inventories_as_chi2_contingency_or_fisher(cases, frame):
    prevalence = findings.prevalence_by_inventory(cases, "flag", frame)
    tests = findings.compare(prevalence, "flag").set_index("flag")
    for flag in frame.flag_keys:
        table = []
        for name in NAMES:
            values = cases[name][flag].astype("boolean").dropna().astype(bool)
            table.append([values.sum(), (~values).sum()])
        table = np.array(table)
        chi2, p, _, expected = sps.chi2_contingency(table, correction=False)
        row = tests.loc[flag]
        if expected.min() >= 5:
            assert row["test"] == "chi2" and row["p_value"] == pytest.approx(p, rel=1e-9)
        else:
            assert row["test"] == "fisher"
            assert row["p_value"] == pytest.approx(sps.fisher_exact(table).pvalue, rel=1e-9)
    expected_q = multipletests(tests["p_value"], method="fdr_bh")[1]
    np.testing.assert_allclose(tests["q_value"], expected_q, rtol=1e-12)
    # the study ticks data governance in all 11 cases; the annotation in far fewer
    assert tests.loc["data_governance", "p_value"] < 0.05


def test_category_shares_sum_to_one_and_coders_are_named(cases, frame):
    categories = findings.prevalence_by_inventory(cases, "category", frame)
    assert categories.groupby("inventory")["share"].sum().to_numpy() == pytest.approx(1.0)
    coders = findings.coded_by(cases).set_index(["inventory", "field"])
    assert coders.loc[("taiwan-public-annotated", "flags"), "coded_by"] == "annotator:adjudicated"
    assert coders.loc[("study", "category"), "cases"] == 11
    lines = findings.coded_by_sentences(findings.coded_by(cases), "en", frame)
    assert "two blind annotation passes, adjudicated (133 of 133)" in lines[1]


def test_every_table_of_q_values_names_its_family(cases, pairs, frame):
    """The family column says which tests the BH q-values run over and how many; the
    q-values are statsmodels' fdr_bh over exactly those."""
    for _name, group in pairs.groupby("inventory"):
        finite = np.isfinite(group["p_value"].to_numpy(dtype=float))
        assert set(group["family"]) == {
            f"BH over the {int(finite.sum())} Fisher's exact tests of risk pairs in this inventory"
        }
    prevalence = findings.prevalence_by_inventory(cases, "flag", frame)
    for table, words in (
        (findings.compare(prevalence, "flag", 500), "of risks across the inventories compared"),
        (findings.compare_pairs(prevalence, "flag", 500), "of risks × pairs of inventories"),
    ):
        p = table["p_value"].to_numpy(dtype=float)
        finite = np.isfinite(p)
        assert set(table["family"]) == {f"BH over the {int(finite.sum())} tests {words}"}
        np.testing.assert_allclose(
            table["q_value"].to_numpy(dtype=float)[finite],
            multipletests(p[finite], method="fdr_bh")[1],
            rtol=1e-12,
        )


def test_pairs_mark_the_risks_an_inventory_asked_of_some_cases_only(pairs, frame):
    """US 2024 asked every question but the impact type (human_rights) of some cases only
    (its mapping's asked_of); the study and the annotated Taiwanese cases asked all."""
    from analysis import inventories

    us = findings.all_pair_tests(
        {"us-federal-2024": inventories.load("us-federal-2024").cases}, 50, frame=frame
    )
    for row in us.itertuples():
        assert set(row.asked_of.split(";")) == {row.flag_a, row.flag_b} - {"human_rights"}
    assert (pairs["asked_of"] == "").all()
    # the sentences say so for each named pair, naming its restricted risks in the language
    chosen = findings.extremes(us, min_n=10)
    for language in ("zh-TW", "en"):
        (line,) = findings.pair_sentences(us, chosen, language, 10, frame)
        for r in chosen.itertuples():
            for flag in r.asked_of.split(";"):
                assert line.count(frame.label("flag", flag, language)) >= 2, (language, flag)
        marker = "asked of some cases only" if language == "en" else "只問了部分案例"
        assert line.count(marker) == len(chosen)
    quiet = findings.pair_sentences(pairs, findings.extremes(pairs, 10), "en", 10, frame)
    assert not any("asked of some cases only" in line for line in quiet)
