"""Benchmarks of risk-flag co-occurrence and its statistics on the seeded synthetic inventory
(6 flags × 5 categories × the frame's techniques).

Targets (2-core machine): every co-occurrence table for every stratification at 10**6
cases in ≤ 1 s with peak memory ≤ 1 GB; at 10**5 cases ≥ 20× faster than the
straightforward pandas way (a crosstab per flag pair per stratum, the table re-filtered per
stratum), which runs in the same benchmark up to 10**5 cases.

``cooccurrence_dask`` times the same tables computed partition by partition with Dask
(:func:`analysis.cooccurrence.tables_dask`) against the in-memory path as its baseline: on
one machine its ratio (baseline / Dask) below 1 is the price of partitioning.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats as sps

from .. import config, cooccurrence, stats, synthetic
from ..canonical import TECHNIQUE_SEP
from ..frame import load_frame
from . import Case, benchmark

SIZES = (10**3, 10**4, 10**5, 10**6)
QUICK = (200, 1000)
TARGET_SECONDS_1E6 = 1.0
TARGET_PEAK_MB = 1024.0
TARGET_RATIO_1E5 = 20.0


# -- the straightforward way, for comparison ---------------------------------------------------
def _strata(cases: pd.DataFrame, by: str | None):
    """(key, sub-table) per stratum, by filtering the table once per stratum."""
    if by is None:
        yield "all", cases
        return
    if by == "technique":
        exploded = cases.assign(technique=cases["techniques"].str.split(TECHNIQUE_SEP)).explode(
            "technique"
        )
        column = exploded["technique"]
        for key in sorted(column.dropna().unique()):
            yield key, exploded[column == key]
        if column.isna().any():
            yield None, exploded[column.isna()]
        return
    for key in sorted(cases[by].dropna().unique()):
        yield key, cases[cases[by] == key]
    if cases[by].isna().any():
        yield None, cases[cases[by].isna()]


def baseline_tables(
    cases: pd.DataFrame, by=cooccurrence.DEFAULT_STRATA, flags: list[str] | None = None
) -> dict:
    """Pairs and stratum × flag tables the straightforward way: one ``pd.crosstab`` per
    flag pair per stratum (pairwise-complete: crosstab drops NA). Returns ``{"pairs": …,
    "flags": …}`` tidy frames with columns ``by``, ``stratum`` and the measures."""
    flags = flags or load_frame().flag_keys
    pair_rows, flag_rows = [], []
    for b in by:
        for key, sub in _strata(cases, b):
            for fa in flags:
                col = sub[fa]
                yes, n = int((col == True).sum()), int(col.notna().sum())  # noqa: E712
                flag_rows.append(
                    {
                        "by": b,
                        "stratum": key,
                        "flag": fa,
                        "cases": len(sub),
                        "yes": yes,
                        "n": n,
                        "prevalence": yes / n if n else np.nan,
                        "not_reported": len(sub) - n,
                    }
                )
                for fb in flags:
                    ct = pd.crosstab(sub[fa].astype("object"), sub[fb].astype("object"))
                    both = int(ct.loc[True, True]) if True in ct.index and True in ct.columns else 0
                    total = int(ct.to_numpy().sum())
                    n_a = int(ct.loc[True].sum()) if True in ct.index else 0
                    n_b = int(ct[True].sum()) if True in ct.columns else 0
                    union = n_a + n_b - both
                    den = np.sqrt(float(n_a) * (total - n_a) * n_b * (total - n_b))
                    pair_rows.append(
                        {
                            "by": b,
                            "stratum": key,
                            "flag_a": fa,
                            "flag_b": fb,
                            "n": total,
                            "count": both,
                            "jaccard": both / union if union else np.nan,
                            "p_b_given_a": both / n_a if n_a else np.nan,
                            "lift": both * total / (n_a * n_b) if n_a and n_b else np.nan,
                            "phi": (both * total - n_a * n_b) / den if den else np.nan,
                        }
                    )
    return {"pairs": pd.DataFrame(pair_rows), "flags": pd.DataFrame(flag_rows)}


def _baseline_prevalence(cases: pd.DataFrame, flags: list[str]) -> None:
    """A Wilson interval per flag and stratum of category and technique, one call each."""
    from statsmodels.stats.proportion import proportion_confint

    for by in ("category", "technique"):
        for _key, sub in _strata(cases, by):
            for f in flags:
                col = sub[f].dropna()
                if len(col):
                    proportion_confint(int(col.sum()), len(col), method="wilson")


def _baseline_association(cases: pd.DataFrame, flags: list[str]) -> None:
    """A crosstab and a χ² test per flag (× category) and per technique and flag."""
    for f in flags:
        used = cases[cases[f].notna() & cases["category"].notna()]
        table = pd.crosstab(used["category"], used[f].astype("object"))
        if table.shape == (table.shape[0], 2):
            sps.chi2_contingency(table.to_numpy(), correction=False)
    known = cases[cases["techniques"].notna()]
    lists = known["techniques"].str.split(TECHNIQUE_SEP)
    for tech in sorted({t for ts in lists for t in ts}):
        uses = lists.map(lambda ts, t=tech: t in ts)
        for f in flags:
            table = pd.crosstab(uses, known[f].astype("object"))
            if table.shape == (2, 2):
                sps.chi2_contingency(table.to_numpy(), correction=False)


def _baseline_differences(cases: pd.DataFrame, flags: list[str]) -> None:
    """Cochran's Q on the complete cases and a crosstab and McNemar test per flag pair."""
    from statsmodels.stats import contingency_tables as ct

    complete = cases[flags].dropna().astype(int).to_numpy()
    ct.cochrans_q(complete)
    for i, a in enumerate(flags):
        for b in flags[i + 1 :]:
            both = cases[[a, b]].dropna()
            ct.mcnemar(
                pd.crosstab(both[a].astype("object"), both[b].astype("object")).to_numpy(),
                exact=False,
            )


def baseline_statistics(cases: pd.DataFrame, flags: list[str] | None = None) -> None:
    """The statistics the straightforward way: a filter and a statsmodels/scipy call per
    flag, stratum and pair."""
    flags = flags or load_frame().flag_keys
    _baseline_prevalence(cases, flags)
    _baseline_association(cases, flags)
    _baseline_differences(cases, flags)


def baseline_permutation(table: np.ndarray, n_permutations: int, seed: int = config.SEED) -> float:
    """Monte Carlo χ² p-value by shuffling the flag across the cases, one draw at a time."""
    rows = table.sum(axis=1)
    stratum = np.repeat(np.arange(len(rows)), rows)
    flag = np.concatenate(
        [np.r_[np.ones(y, bool), np.zeros(r - y, bool)] for y, r in zip(table[:, 0], rows)]
    )
    observed = sps.chi2_contingency(table, correction=False).statistic
    rng = np.random.default_rng(seed)
    hits = 0
    for _ in range(n_permutations):
        shuffled = rng.permutation(flag)
        yes = np.bincount(stratum[shuffled], minlength=len(rows))
        sim = np.stack([yes, rows - yes], axis=1)
        expected = rows[:, None] * sim.sum(axis=0) / rows.sum()
        hits += ((sim - expected) ** 2 / expected).sum() >= observed - 1e-12
    return (1 + hits) / (n_permutations + 1)


# -- benchmarks ----------------------------------------------------------------------------------
@benchmark(
    "cooccurrence",
    sizes=SIZES,
    quick_sizes=QUICK,
    repeats=5,
    baseline_repeats=1,
    baseline_max_n=10**5,
)
def cooccurrence_case(n: int) -> Case:
    """Every co-occurrence table (pairs, stratum × flag, combinations) for all strata."""
    cases = synthetic.generate(n)
    return Case(
        run=lambda: cooccurrence.tables(cases),
        baseline=lambda: baseline_tables(cases),
        params={
            "flags": 6,
            "strata": list(map(str, cooccurrence.DEFAULT_STRATA)),
            "techniques_used": int(
                len(
                    {
                        t
                        for s in cases["techniques"].dropna().unique()
                        for t in s.split(TECHNIQUE_SEP)
                    }
                )
            ),
            "target_seconds_at_1e6": TARGET_SECONDS_1E6,
            "target_peak_mb": TARGET_PEAK_MB,
            "target_ratio_at_1e5": TARGET_RATIO_1E5,
        },
    )


DASK_SIZES = (10**4, 10**5, 10**6)
DASK_QUICK = (1000,)
DASK_PARTITIONS = 8
DASK_SCHEDULER = "threads"


@benchmark(
    "cooccurrence_dask", sizes=DASK_SIZES, quick_sizes=DASK_QUICK, repeats=5, baseline_repeats=3
)
def cooccurrence_dask_case(n: int) -> Case:
    """Every co-occurrence table for all strata via Dask (8 partitions, threaded scheduler)
    against the in-memory path: the overhead of the partitioned route on one machine."""
    # the optional extra analysis[scale]; imported here so the other benchmarks run without it
    import dask
    import dask.dataframe as dd

    cases = synthetic.generate(n)
    ddf = dd.from_pandas(cases, npartitions=DASK_PARTITIONS)
    return Case(
        run=lambda: cooccurrence.tables_dask(ddf, scheduler=DASK_SCHEDULER),
        baseline=lambda: cooccurrence.tables(cases),
        params={
            "partitions": int(ddf.npartitions),
            "scheduler": DASK_SCHEDULER,
            "dask": dask.__version__,
            "baseline": "cooccurrence.tables (in memory)",
            "strata": list(map(str, cooccurrence.DEFAULT_STRATA)),
        },
    )


def _statistics(cases: pd.DataFrame) -> None:
    stats.prevalence(cases, "category")
    stats.prevalence(cases, "technique")
    stats.association(cases, "category")
    stats.association(cases, "technique")
    stats.cochrans_q(cases)
    stats.mcnemar_pairs(cases)


@benchmark(
    "statistics",
    sizes=SIZES,
    quick_sizes=QUICK,
    repeats=3,
    baseline_repeats=1,
    baseline_max_n=10**5,
)
def statistics_case(n: int) -> Case:
    """Prevalence with Wilson CIs, association tests (category, technique), Cochran's Q, McNemar."""
    cases = synthetic.generate(n)
    return Case(run=lambda: _statistics(cases), baseline=lambda: baseline_statistics(cases))


@benchmark(
    "permutation_test",
    sizes=(10**2, 10**3, 10**4),
    quick_sizes=(100,),
    repeats=3,
    baseline_repeats=1,
)
def permutation_case(n: int) -> Case:
    """Monte Carlo χ² p-value, 10,000 draws, 5 × 2 table of n cases: multivariate
    hypergeometric draws vs shuffling one draw at a time."""
    cases = synthetic.generate(n)
    c = cooccurrence.counts(cases, "category", include_missing=False)
    table = np.stack([c.yy[:, 2, 2], c.rr[:, 2, 2] - c.yy[:, 2, 2]], axis=1).astype(np.int64)
    return Case(
        run=lambda: stats.permutation_pvalue(table, 10_000),
        baseline=lambda: baseline_permutation(table, 10_000),
        params={"draws": 10_000, "table": table.tolist()},
    )


@benchmark("logistic", sizes=(10**3, 10**4, 10**5), quick_sizes=(500,), repeats=1)
def logistic_case(n: int) -> Case:
    """Logistic regression of each of the 6 flags on category + technique (Firth where sparse)."""
    cases = synthetic.generate(n)
    return Case(run=lambda: stats.logistic(cases))
