"""Statistics of risk flags: prevalence with Wilson intervals, association with category and
technique, logistic regression, and differences between flags within the same cases.

Small strata are the normal case in coded government inventories, so every test checks
whether its large-sample approximation holds and falls back to an exact or Monte Carlo
permutation p-value when it does not; every row reports the ``n`` it used. Not-reported
flags follow the same ``na_policy`` as :mod:`analysis.cooccurrence`.

The tests come from scipy and statsmodels where those do the job as well; what is still
computed here says where it is defined why (a measured speed difference, byte-stable
published values, or a method neither library has).

Choices, stated once:

* association with ``category`` (or any single-valued column): one r × 2 table per flag
  (stratum × yes/no). Pearson χ² (no continuity correction) when every expected count is
  at least ``min_expected``; otherwise Fisher's exact test for a 2 × 2 table and a Monte
  Carlo permutation p-value (seeded, margins fixed, draws from the multivariate
  hypergeometric distribution) for larger tables. Cramér's V from the observed χ².
* association with ``technique``: a case may use several techniques, so the strata
  overlap; each technique is tested as a 2 × 2 table (uses it / does not) × (yes / no)
  among the cases that report their techniques.
* Benjamini–Hochberg q-values across the whole family of tests returned by one call; every
  call names its family (which tests, how many) in a ``family`` column and
  ``attrs["family"]`` (:data:`TEST_FAMILIES`; for :func:`logistic` the family is chosen).
  Fisher's exact and exact binomial p-values are discrete, so BH on them is conservative
  (the false discovery rate is below the nominal level).
* logistic regression: maximum likelihood (statsmodels, Wald intervals) unless the data
  show separation or sparse cells, then Firth's penalised likelihood with profile
  penalised likelihood intervals and penalised likelihood-ratio p-values (as R's
  logistf), or, with ``separation="report"``, the offending terms are reported "not
  estimable" with the reason and the model refitted without them. A model with fewer
  than 10 cases of its rarer outcome per coefficient is "not estimable at this n".
  Never a silent huge OR.
* Cochran's Q and pairwise McNemar tests (exact binomial when fewer than 25 discordant
  cases, χ² with continuity correction otherwise), Holm and BH adjusted.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import config, lazy, memo
from .cooccurrence import NOT_REPORTED, CooccurrenceError, counts, flag_states, stratum_column
from .errors import AnalysisError
from .frame import Frame, load_frame

# imported when a statistic is first computed: a report whose statistics are all stored
# (analysis.memo) never pays for scipy and statsmodels
optimize = lazy.module("scipy.optimize")
special = lazy.module("scipy.special")
sps = lazy.module("scipy.stats")
contingency_tables = lazy.module("statsmodels.stats.contingency_tables")
proportion = lazy.module("statsmodels.stats.proportion")

EXACT_MCNEMAR_BELOW = 25
SEPARATION_POLICIES = ("firth", "report")
#: Multiple-testing families of :func:`logistic`: the whole table, or one flag's model.
FAMILIES = ("call", "flag")
#: Cases of the rarer outcome per coefficient below which a logistic model is not fitted
#: ("not estimable at this n"; Peduzzi et al. 1996).
MIN_EVENTS_PER_PARAMETER = 10
#: Largest |log odds ratio| a profile likelihood interval is searched to (odds ratio 10⁶).
PROFILE_LIMIT = math.log(1e6)
_PROFILE_FAILED = "the profile penalised likelihood did not converge"


class StatsError(AnalysisError):
    """A statistic asked of data or parameters that cannot give it."""


# -- multiple testing -----------------------------------------------------------------------
def _finite_only(p_values, adjust) -> np.ndarray:
    """``adjust`` applied to the non-NaN p-values as one family; NaN stays NaN."""
    p = np.asarray(p_values, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    if ok.any():
        out[ok] = adjust(p[ok])
    return out


def _bh_step_up(p: np.ndarray) -> np.ndarray:
    # Not statsmodels' multipletests(method="fdr_bh"): it divides by the rank share,
    # p / (i/m), where this multiplies first, p·m / i. The two differ in the last binary
    # digit for one q-value in six (43 of the 248 in the published co-occurrence tables),
    # neither is correctly rounded more often (80 % vs 77 % of 20,000 random cases), and
    # this way the published q-values stay byte for byte what they were.
    m = len(p)
    order = np.argsort(p, kind="stable")
    stepped = np.minimum.accumulate((p[order] * m / np.arange(1, m + 1))[::-1])[::-1]
    q = np.empty(m)
    q[order] = np.minimum(1.0, stepped)
    return q


def bh(p_values) -> np.ndarray:
    """Benjamini–Hochberg q-values (NaN p-values stay NaN and are not in the family)."""
    return _finite_only(p_values, _bh_step_up)


def _holm_step_down(p: np.ndarray) -> np.ndarray:
    # Not statsmodels' multipletests(method="holm"), which gives the same values but runs
    # gc.collect() on every call: 50 ms in a process holding 10**5 synthetic cases, against
    # 0.02 ms here.
    m = len(p)
    order = np.argsort(p, kind="stable")
    q = np.empty(m)
    q[order] = np.minimum(1.0, np.maximum.accumulate(p[order] * np.arange(m, 0, -1)))
    return q


def holm(p_values) -> np.ndarray:
    """Holm step-down adjusted p-values (NaN p-values stay NaN and are not in the family)."""
    return _finite_only(p_values, _holm_step_down)


# -- prevalence -----------------------------------------------------------------------------
def wilson(yes, n, conf: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for yes / n (statsmodels; NaN where n = 0)."""
    yes, n = np.asarray(yes, dtype=float), np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        low, high = proportion.proportion_confint(yes, n, alpha=1 - conf, method="wilson")
    return np.asarray(low, dtype=float), np.asarray(high, dtype=float)


@memo.cached(defaults={"frame": load_frame})
def prevalence(
    cases: pd.DataFrame,
    by: str | None = None,
    na_policy: str = "pairwise",
    conf: float = 0.95,
    min_stratum_size: int = 1,
    frame: Frame | None = None,
) -> pd.DataFrame:
    """Prevalence of each flag (overall or per stratum) with a Wilson ``conf`` interval:
    the columns of :func:`analysis.cooccurrence.flag_table` plus ``ci_low``, ``ci_high``."""
    table = counts(cases, by, na_policy, frame).flag_table(min_stratum_size)
    table["ci_low"], table["ci_high"] = wilson(table["yes"], table["n"], conf)
    return table


# -- association ----------------------------------------------------------------------------
def _chi2(obs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pearson χ² of r × c tables stacked on the first axis (… × r × c) and the expected
    counts."""
    # Not scipy's chi2_contingency, which gives the same statistic one table per call at
    # 0.2 ms a call: with it the statistics benchmark took 46 instead of 29 ms at 10**3
    # cases (41 instead of 28 at 10**4), and the permutation p-value needs the statistic of
    # 10,000 simulated tables at once.
    total = obs.sum(axis=(-2, -1), keepdims=True)
    expected = obs.sum(axis=-1, keepdims=True) * obs.sum(axis=-2, keepdims=True) / total
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = np.where(expected > 0, (obs - expected) ** 2 / expected, 0.0).sum(axis=(-2, -1))
    return stat, expected


def permutation_pvalue(
    table: np.ndarray, n_permutations: int = 10_000, seed: int = config.SEED
) -> float:
    """Monte Carlo p-value of Pearson's χ² for an r × 2 table, margins fixed: the yes column
    is redrawn ``n_permutations`` times from the multivariate hypergeometric distribution
    (what shuffling the flag across the cases gives); p = (1 + #{χ²* ≥ χ²}) / (B + 1)."""
    # scipy's chi2_contingency(method=MonteCarloMethod(...)) computes the same p-value
    # from another random stream (Patefield's tables): as fast, but every published
    # p-value would move by its sampling error. Kept for byte-stable seeded p-values.
    table = np.asarray(table, dtype=np.int64)
    rows = table.sum(axis=1)
    yes = int(table[:, 0].sum())
    rng = np.random.default_rng(seed)
    sim_yes = rng.multivariate_hypergeometric(rows, yes, size=n_permutations)
    sim = np.stack([sim_yes, rows - sim_yes], axis=-1)
    observed, _ = _chi2(table[None].astype(float))
    simulated, _ = _chi2(sim.astype(float))
    hits = (simulated >= observed[0] * (1 - 1e-12) - 1e-12).sum()
    return float((1 + hits) / (n_permutations + 1))


def _untestable(table: np.ndarray) -> str:
    """Why an r × 2 table (empty strata removed) cannot be tested, or ``""``."""
    if len(table) < 2:
        return "fewer than two strata report the flag"
    if table[:, 0].sum() == 0 or table[:, 1].sum() == 0:
        return "the flag does not vary (all yes or all no)"
    return ""


def _test(table: np.ndarray, min_expected: float, n_permutations: int, seed: int) -> dict:
    """One r × 2 (stratum × yes/no) table: the test the counts allow."""
    table = table[table.sum(axis=1) > 0]
    n = int(table.sum())
    row = {
        "n": n,
        "strata": int(len(table)),
        "test": "not testable",
        "statistic": np.nan,
        "dof": np.nan,
        "p_value": np.nan,
        "cramers_v": np.nan,
        "min_expected": np.nan,
        "reason": _untestable(table),
    }
    if row["reason"]:
        return row
    stat, expected = _chi2(table[None].astype(float))
    stat, dof = float(stat[0]), int(len(table) - 1)
    row.update(
        statistic=stat,
        dof=dof,
        cramers_v=float(np.sqrt(stat / n)),
        min_expected=float(expected.min()),
    )
    if row["min_expected"] >= min_expected:
        row.update(test="chi2", p_value=float(sps.chi2.sf(stat, dof)))
    elif len(table) == 2:
        row.update(
            test="fisher",
            p_value=float(sps.fisher_exact(table).pvalue),
            reason=f"expected count below {min_expected:g}",
        )
    else:
        row.update(
            test="permutation",
            p_value=permutation_pvalue(table, n_permutations, seed),
            reason=f"expected count below {min_expected:g}; {n_permutations} permutations",
        )
    return row


def _technique_tables(cases: pd.DataFrame, na_policy: str, frame: Frame):
    """(technique, flag, 2 × 2 table) per technique and flag: uses it / does not × yes / no,
    among the cases that report their techniques."""
    known = cases[cases["techniques"].notna()]
    per = counts(known, "technique", na_policy, frame, include_missing=False)
    total = counts(known, None, na_policy, frame)
    diag = np.arange(len(per.flags))
    yes_t, n_t = per.yy[:, diag, diag], per.rr[:, diag, diag]
    yes_all, n_all = total.yy[0, diag, diag], total.rr[0, diag, diag]
    for s, tech in enumerate(per.strata):
        for j, flag in enumerate(per.flags):
            yes_with, no_with = yes_t[s, j], n_t[s, j] - yes_t[s, j]
            yes_without = yes_all[j] - yes_t[s, j]
            no_without = n_all[j] - n_t[s, j] - yes_without
            table = np.array([[yes_with, no_with], [yes_without, no_without]])
            yield tech, flag, table.astype(np.int64)


def _stratum_tables(cases: pd.DataFrame, by: str, na_policy: str, frame: Frame):
    """(flag, r × 2 table) per flag: stratum of ``by`` × yes / no."""
    per = counts(cases, by, na_policy, frame, include_missing=False)
    diag = np.arange(len(per.flags))
    yes, n = per.yy[:, diag, diag], per.rr[:, diag, diag]
    for j, flag in enumerate(per.flags):
        yield flag, np.stack([yes[:, j], n[:, j] - yes[:, j]], axis=1).astype(np.int64)


@memo.cached(defaults={"frame": load_frame})
def association(
    cases: pd.DataFrame,
    by: str = "category",
    na_policy: str = "pairwise",
    min_expected: float = 5,
    n_permutations: int = 10_000,
    seed: int = config.SEED,
    frame: Frame | None = None,
) -> pd.DataFrame:
    """Association of each flag with ``by`` (see the module docstring for the tests).

    Columns: [``technique``,] ``flag``, ``by``, ``n``, ``strata``, ``test``, ``statistic``,
    ``dof``, ``p_value``, ``cramers_v``, ``min_expected``, ``q_value`` (BH over all rows),
    ``reason``. Cases whose stratum is missing are left out.
    """
    frame = frame or load_frame()
    col = stratum_column(by)
    if col == "technique":
        rows = [
            {
                "technique": tech,
                "flag": flag,
                "by": col,
                **_test(table, min_expected, n_permutations, seed),
            }
            for tech, flag, table in _technique_tables(cases, na_policy, frame)
        ]
    else:
        rows = [
            {"flag": flag, "by": col, **_test(table, min_expected, n_permutations, seed)}
            for flag, table in _stratum_tables(cases, by, na_policy, frame)
        ]
    lead = ["technique"] if col == "technique" else []
    order = lead + [
        "flag",
        "by",
        "n",
        "strata",
        "test",
        "statistic",
        "dof",
        "p_value",
        "q_value",
        "cramers_v",
        "min_expected",
        "reason",
    ]
    out = pd.DataFrame(rows, columns=[c for c in order if c != "q_value"])
    out["q_value"] = bh(out["p_value"].to_numpy(dtype=float))
    return _named_family(out[order], "association_technique" if lead else "association")


#: The multiple-testing family of each q-value call besides :func:`logistic` (its words
#: are phrases of the frame, shown in either language); ``{n}``: the tests in it.
TEST_FAMILIES = {
    "association": "BH over the {n} tests of risk × category in this table",
    "association_technique": "BH over the {n} tests of risk × technique in this table",
    "mcnemar": "BH over the {n} McNemar tests of risk pairs in this table",
}


def _named_family(table: pd.DataFrame, family: str) -> pd.DataFrame:
    """``table`` with a ``family`` column (and ``attrs["family"]``) naming its BH family:
    which tests, and how many have a p-value."""
    n = int(np.isfinite(table["p_value"].to_numpy(dtype=float)).sum())
    words = TEST_FAMILIES[family].replace("{n}", str(n))
    table = table.assign(family=words)
    table.attrs["family"] = words
    return table


# -- logistic regression ----------------------------------------------------------------------
def _technique_columns(cases: pd.DataFrame, frame: Frame) -> tuple[dict, list[dict]]:
    """One used / not-used indicator per technique present (frame order, unknown ones after)."""
    per_case = cases["techniques"].fillna("").str.split(";")
    present = {t for ts in per_case for t in ts if t}
    known = [k for k in frame.technique_keys if k in present]
    cols, info = {}, []
    for t in known + sorted(present - set(frame.technique_keys)):
        cols[f"technique:{t}"] = per_case.map(lambda ts, t=t: t in ts).to_numpy(dtype=float)
        info.append({"term": "technique", "level": t, "reference": "not used"})
    return cols, info


def _dummy_columns(
    cases: pd.DataFrame, term: str, frame: Frame, reference: str | None = None
) -> tuple[dict, list[dict]]:
    """Dummies of a single-valued term against ``reference`` when the cases show it, else
    against its most frequent level (ties: order)."""
    values = cases[term].astype("string")
    preferred = {"category": frame.category_keys, "application_type": frame.application_type_keys}
    order = preferred[term] if term in preferred else sorted(values.dropna().unique())
    frequency = values.value_counts()
    levels = [k for k in order if k in frequency.index]
    if len(levels) < 2:
        return {}, []
    if reference not in levels:
        reference = max(levels, key=lambda k: (frequency[k], -levels.index(k)))
    cols, info = {}, []
    for lv in levels:
        if lv != reference:
            cols[f"{term}:{lv}"] = (values == lv).fillna(False).to_numpy(dtype=float)
            info.append({"term": term, "level": lv, "reference": reference})
    return cols, info


def _design(
    cases: pd.DataFrame, terms: list[str], frame: Frame, references: dict | None = None
) -> tuple[pd.DataFrame, list[dict], list[dict]]:
    """0/1 design columns (no intercept), a description of each (term, level, reference), and
    the terms that give no column because the cases used show one level of them or none."""
    cols, info, flat = {}, [], []
    for term in terms:
        if term in ("technique", "techniques"):
            term_cols, term_info = _technique_columns(cases, frame)
        else:
            term_cols, term_info = _dummy_columns(cases, term, frame, (references or {}).get(term))
        if not term_info:
            only = cases[term].dropna().unique() if term not in ("technique", "techniques") else []
            flat.append({"term": term, "level": None, "reference": only[0] if len(only) else None})
        cols.update(term_cols)
        info += term_info
    return pd.DataFrame(cols, index=cases.index), info, flat


@dataclass
class _Binomial:
    """Cases with identical design rows merged: the distinct rows ``X`` (intercept first),
    how many of each are yes (``k``) and how many there are (``m``). Every sum over cases
    becomes a sum over rows weighted by ``m``: the same likelihood, far fewer rows."""

    X: np.ndarray
    k: np.ndarray
    m: np.ndarray

    @classmethod
    def of(cls, X: np.ndarray, y: np.ndarray) -> _Binomial:
        rows, inverse = np.unique(X, axis=0, return_inverse=True)
        inverse = np.asarray(inverse).ravel()
        m = np.bincount(inverse, minlength=len(rows)).astype(float)
        return cls(rows, np.bincount(inverse, weights=y, minlength=len(rows)), m)


def _penalised(data: _Binomial, beta: np.ndarray, hessian: bool = False):
    """Firth's penalised log-likelihood ℓ*(β) = ℓ(β) + ½ log|I(β)|, its gradient (the
    modified score Xᵀ(y − p + h(½ − p)), h the hat diagonal), I(β), I(β)⁻¹ and, if asked,
    the Hessian of ℓ*: −I + ½ [Xᵀ diag(w″q) X − Aᵀ(Q∘Q)A] with w = p(1 − p), w′ = w(1 − 2p),
    w″ = w(1 − 6w), Q = X I⁻¹ Xᵀ, q its diagonal and A = diag(w′) X (sums over cases)."""
    X, k, m = data.X, data.k, data.m
    eta = X @ beta
    p = special.expit(eta)
    w = p * (1 - p)
    info = X.T @ (X * (m * w)[:, None])
    try:
        chol = np.linalg.cholesky(info)
    except np.linalg.LinAlgError:  # singular: ℓ* is −∞ here
        return -np.inf, None, info, None, None
    logdet = 2 * np.sum(np.log(np.diag(chol)))
    root = np.linalg.inv(chol)  # I⁻¹ = rootᵀ root
    inv = root.T @ root
    q = ((X @ inv) * X).sum(axis=1)
    loglik = np.sum(k * special.log_expit(eta) + (m - k) * special.log_expit(-eta))
    score = X.T @ (k - m * p + m * w * q * (0.5 - p))
    hess = None
    if hessian:
        a = X * (m * w * (1 - 2 * p))[:, None]
        r = X @ root.T  # rows rᵢ with rᵢ·rⱼ = Qᵢⱼ
        b = (r[:, :, None] * r[:, None, :]).reshape(len(r), -1).T @ a  # Σᵢ (rᵢ ⊗ rᵢ) aᵢᵀ
        second = X.T @ (X * (m * w * (1 - 6 * w) * q)[:, None])
        hess = -info + 0.5 * (second - b.T @ b)  # Aᵀ(Q∘Q)A = BᵀB
    return loglik + 0.5 * logdet, score, info, inv, hess


def _ascend(
    data: _Binomial,
    beta: np.ndarray,
    free: np.ndarray,
    max_iter: int = 200,
    tol: float = 1e-7,
    max_step: float = 5.0,
) -> tuple[np.ndarray, float, np.ndarray | None, bool]:
    """Maximise ℓ* over the coefficients marked ``free``, the others held at ``beta``:
    Newton steps, capped at ``max_step`` and halved until ℓ* does not decrease (as in R's
    logistf). A step uses the Hessian of ℓ* where it is negative definite on the free
    coefficients, else I(β) (Fisher scoring, which alone can zigzag near separation); BFGS
    finishes a climb that stalls. Returns β, ℓ*(β), I(β)⁻¹ and whether the free part of
    the score is below ``tol`` or the next step would raise ℓ* by less than 10⁻¹² (the
    score below 100 · ``tol`` after BFGS, which stops at the precision of ℓ*)."""
    current, score, info, inv, hess = _penalised(data, beta, hessian=True)
    if score is None:
        return beta, current, inv, False
    block = np.ix_(free, free)
    for _ in range(max_iter):
        if np.max(np.abs(score[free]), initial=0.0) < tol:
            return beta, current, inv, True
        step = np.zeros_like(beta)
        try:
            chol = np.linalg.cholesky(-hess[block])
            step[free] = np.linalg.solve(chol.T, np.linalg.solve(chol, score[free]))
        except np.linalg.LinAlgError:
            step[free] = np.linalg.pinv(info[block]) @ score[free]
        if score[free] @ step[free] < 1e-12:  # twice the predicted gain: ℓ* is at its top
            return beta, current, inv, True
        largest = np.max(np.abs(step))
        if largest > max_step:
            step = step * (max_step / largest)
        for _half in range(40):
            candidate = _penalised(data, beta + step, hessian=True)
            if candidate[0] >= current:
                break
            step = step / 2
        else:
            break
        beta = beta + step
        current, score, info, inv, hess = candidate
    return _polish(data, beta, free, tol)


def _polish(
    data: _Binomial, beta: np.ndarray, free: np.ndarray, tol: float
) -> tuple[np.ndarray, float, np.ndarray | None, bool]:
    """BFGS (scipy) on −ℓ* over the ``free`` coefficients, from ``beta``."""

    def negative(z):
        trial = beta.copy()
        trial[free] = z
        value, score, *_ = _penalised(data, trial)
        if score is None:
            return np.inf, np.zeros(len(z))
        return -value, -score[free]

    result = optimize.minimize(negative, beta[free], jac=True, method="BFGS", options={"gtol": tol})
    beta = beta.copy()
    beta[free] = result.x
    current, score, _, inv, _ = _penalised(data, beta)
    converged = score is not None and np.max(np.abs(score[free]), initial=0.0) < 100 * tol
    return beta, current, inv, bool(converged)


def _firth(
    X: np.ndarray, y: np.ndarray, max_iter: int = 200, tol: float = 1e-7, max_step: float = 5.0
) -> tuple[np.ndarray, np.ndarray, bool]:
    """Firth's penalised maximum likelihood for logistic regression (Heinze & Schemper
    2002): coefficients, their covariance I(β)⁻¹ and whether the score reached ``tol``."""
    # Neither scipy nor statsmodels fits Firth's penalised likelihood.
    free = np.ones(X.shape[1], dtype=bool)
    data = _Binomial.of(X, y)
    beta, _, inv, converged = _ascend(data, np.zeros(X.shape[1]), free, max_iter, tol, max_step)
    return beta, inv, converged


@dataclass
class _Profile:
    """One coefficient's profile penalised likelihood interval and penalised likelihood
    ratio p-value, or ``closed=False`` when an end lies beyond :data:`PROFILE_LIMIT` or a
    constrained fit does not converge (``failure`` says which)."""

    low: float = np.nan
    high: float = np.nan
    p_value: float = np.nan
    closed: bool = False
    failure: str = ""


def _profile(X: np.ndarray, y: np.ndarray, beta: np.ndarray, i: int, conf: float) -> _Profile:
    """Heinze & Ploner (2003), as in R's logistf: with coefficient ``i`` held at b and the
    others refitted, the deficit D(b) = 2 · (ℓ*(β̂) − ℓ*(b)); the interval ends are the roots
    of D(b) = χ²₁(``conf``) on either side of β̂ᵢ (Brent's method, once bracketed by steps
    that double outward, at most to ±:data:`PROFILE_LIMIT`), and p = P(χ²₁ ≥ D(0))."""
    data = _Binomial.of(X, y)
    free = np.ones(len(beta), dtype=bool)
    free[i] = False
    top = _penalised(data, beta)[0]
    critical = sps.chi2.ppf(conf, 1)
    warm = [beta]

    def deficit(b: float) -> float:
        start = warm[0].copy()
        start[i] = b
        fitted, value, _, converged = _ascend(data, start, free, max_iter=50)
        if not converged:
            raise StatsError(_PROFILE_FAILED)
        warm[0] = fitted
        return max(0.0, 2 * (top - value))

    out = _Profile()
    limit = math.exp(PROFILE_LIMIT)
    beyond = (
        "the profile likelihood interval does not close between odds ratios "
        f"1/{limit:.0f} and {limit:.0f}"
    )
    if abs(beta[i]) >= PROFILE_LIMIT:
        out.failure = beyond
        return out
    try:
        out.p_value = float(sps.chi2.sf(deficit(0.0), 1))
        ends = []
        for direction in (-1.0, 1.0):
            warm[0] = beta
            inner, step = float(beta[i]), 0.5
            while True:
                outer = float(beta[i]) + direction * step
                if direction * outer >= PROFILE_LIMIT:
                    outer = direction * PROFILE_LIMIT
                if deficit(outer) >= critical:
                    break
                if outer == direction * PROFILE_LIMIT:
                    out.failure = beyond
                    return out
                inner, step = outer, step * 2
            ends.append(optimize.brentq(lambda b: deficit(b) - critical, inner, outer, xtol=1e-9))
    except StatsError as exc:
        out.failure = str(exc)
        return out
    out.low, out.high, out.closed = ends[0], ends[1], True
    return out


def _sparse_terms(X: np.ndarray, y: np.ndarray, names: list[str]) -> list[tuple[str, str]]:
    """Binary columns with an empty cell in their 2 × 2 table with the outcome."""
    found = []
    for j, name in enumerate(names):
        x = X[:, j] > 0.5
        cells = {
            "yes with it": (y[x] == 1).sum(),
            "no with it": (y[x] == 0).sum(),
            "yes without it": (y[~x] == 1).sum(),
            "no without it": (y[~x] == 0).sum(),
        }
        empty = [k for k, v in cells.items() if v == 0]
        if empty:
            found.append(
                (name, f"quasi-complete separation or sparse cell (no case {', '.join(empty)})")
            )
    return found


def _estimable_columns(X: np.ndarray) -> tuple[list[int], dict[int, str]]:
    """Columns that vary and are not aliased with earlier ones (with an intercept), and
    the reason each other column is left out."""
    keep, reasons = [], {}
    for k in range(X.shape[1]):
        col = X[:, k]
        if col.min() == col.max():
            reasons[k] = "no variation among the cases used"
            continue
        trial = np.column_stack([np.ones(len(X)), X[:, keep + [k]]])
        if np.linalg.matrix_rank(trial) < trial.shape[1]:
            reasons[k] = "aliased with earlier terms (a linear combination of them)"
            continue
        keep.append(k)
    return keep, reasons


def _mle(y: np.ndarray, X: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """statsmodels' maximum likelihood fit (coefficients, covariance), or ``None`` when it
    does not converge, gives infinite standard errors or detects separation."""
    import statsmodels.api as sm

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            res = sm.Logit(y, X).fit(disp=0, method="newton", maxiter=100)
        except np.linalg.LinAlgError:
            return None
        except ValueError as exc:
            if "separation" not in str(exc).lower():
                raise
            return None
    separated = any("separation" in str(w.message).lower() for w in caught)
    converged = bool(res.mle_retvals.get("converged", False))
    if not converged or separated or not np.all(np.isfinite(res.bse)):
        return None
    return res.params, res.cov_params()


@dataclass
class _Fit:
    """One flag's model: ``beta``/``cov`` over the intercept and the ``keep`` columns (the
    design ``X`` with its intercept), or ``None`` with ``failure`` saying why; ``reasons``
    for the columns left out."""

    method: str
    keep: list[int]
    reasons: dict[int, str]
    beta: np.ndarray | None = None
    cov: np.ndarray | None = None
    failure: str = ""
    X: np.ndarray | None = None


def _too_few_events(y: np.ndarray, parameters: int, min_epv: float) -> str:
    """Why a model of ``parameters`` coefficients (intercept aside) is not estimable at
    this n, or ``""``: fewer than ``min_epv`` of the rarer outcome per coefficient."""
    rarer = int(min(y.sum(), len(y) - y.sum()))
    if parameters and rarer < min_epv * parameters:
        return (
            f"not estimable at this n: {rarer} cases of the rarer outcome for {parameters} "
            f"coefficients (fewer than {min_epv:g} per coefficient)"
        )
    return ""


def _fit(y: np.ndarray, X: np.ndarray, names: list[str], separation: str, min_epv: float) -> _Fit:
    """Maximum likelihood, or Firth where sparse cells or separation ask for it (or, with
    ``separation="report"``, the model without the sparse terms); no fit at all when the
    cases are too few for the coefficients (:func:`_too_few_events`)."""
    keep, reasons = _estimable_columns(X)
    sparse = _sparse_terms(X[:, keep], y, [names[k] for k in keep])
    if sparse and separation == "report":
        for name, why in sparse:
            reasons[names.index(name)] = why
        bad = {name for name, _ in sparse}
        keep = [k for k in keep if names[k] not in bad]
    fit_X = np.column_stack([np.ones(len(y)), X[:, keep]])
    if fit_X.shape[0] <= fit_X.shape[1]:
        return _Fit("none", keep, reasons, failure="too few cases for the number of terms")
    too_few = _too_few_events(y, len(keep), min_epv)
    if too_few:
        return _Fit("none", keep, reasons, failure=too_few)
    if not (sparse and separation == "firth"):
        estimate = _mle(y, fit_X)
        if estimate is not None:
            return _Fit("mle", keep, reasons, *estimate, X=fit_X)
        if separation == "report":
            return _Fit(
                "none",
                keep,
                reasons,
                failure="maximum likelihood did not converge (separation among combined terms)",
            )
    beta, cov, converged = _firth(y=y, X=fit_X)
    if not converged:
        return _Fit("firth", keep, reasons, failure="penalised fit did not converge")
    return _Fit("firth", keep, reasons, beta, cov, X=fit_X)


def _not_estimable(base: dict, item: dict, reason: str, method: str = "none") -> dict:
    return {
        **base,
        **item,
        "odds_ratio": np.nan,
        "ci_low": np.nan,
        "ci_high": np.nan,
        "p_value": np.nan,
        "method": method,
        "inference": None,
        "estimable": False,
        "reason": reason,
    }


def _odds_ratio_rows(
    base: dict, info: list[dict], fit: _Fit, y: np.ndarray, conf: float, std_errors: bool = False
) -> list[dict]:
    """One row per design column: its odds ratio with a Wald interval (maximum likelihood)
    or a profile penalised likelihood interval (Firth), or why there is none."""
    if fit.beta is None:
        return [
            _not_estimable(base, item, fit.reasons.get(k, fit.failure), fit.method)
            for k, item in enumerate(info)
        ]
    z = sps.norm.ppf(0.5 + conf / 2)
    se = np.sqrt(np.diag(np.asarray(fit.cov)))
    position = {k: i + 1 for i, k in enumerate(fit.keep)}
    why = "separation or sparse cells: Firth penalised likelihood" if fit.method == "firth" else ""
    rows = []
    for k, item in enumerate(info):
        if k not in position:
            rows.append(_not_estimable(base, item, fit.reasons.get(k, "not estimable")))
            continue
        i = position[k]
        b = float(fit.beta[i])
        extra = {"se_log_odds": float(se[i])} if std_errors else {}
        if fit.method == "firth" and not std_errors:
            profile = _profile(fit.X, y, np.asarray(fit.beta, dtype=float), i, conf)
            if not profile.closed:
                rows.append(_not_estimable(base, item, profile.failure, fit.method))
                continue
            low, high, p, inference = profile.low, profile.high, profile.p_value, "profile"
        else:
            s = float(se[i])
            low, high, p, inference = b - z * s, b + z * s, 2 * sps.norm.sf(abs(b / s)), "wald"
        rows.append(
            {
                **base,
                **item,
                "odds_ratio": float(np.exp(b)),
                "ci_low": float(np.exp(low)),
                "ci_high": float(np.exp(high)),
                "p_value": float(p),
                "method": fit.method,
                "inference": inference,
                "estimable": True,
                "reason": why,
                **extra,
            }
        )
    return rows


def _model_terms(cases: pd.DataFrame, terms: list[str] | None) -> tuple[list[str], list[str]]:
    """The terms (default: category + technique, + inventory when several are pooled) and
    the case columns they read."""
    if terms is None:
        terms = ["category", "technique"]
        if "inventory" in cases.columns and cases["inventory"].nunique() > 1:
            terms.append("inventory")
    columns = ["techniques" if t in ("technique", "techniques") else t for t in terms]
    missing = [c for c in columns if c not in cases.columns]
    if missing:
        raise StatsError(f"cannot model on {missing}: not columns of the case table")
    return terms, columns


LOGISTIC_COLUMNS = [
    "flag",
    "term",
    "level",
    "reference",
    "n",
    "events",
    "parameters",
    "odds_ratio",
    "ci_low",
    "ci_high",
    "p_value",
    "q_value",
    "method",
    "inference",
    "estimable",
    "reason",
    "family",
]
_FAMILY_WORDS = {
    "call": "BH over every estimated term of every risk in this table ({n} tests)",
    "flag": "BH over the estimated terms of this risk's model ({n} tests)",
    "flags": "BH within each risk's model ({n} tests in all)",
}


@memo.cached(defaults={"frame": load_frame})
def logistic(
    cases: pd.DataFrame,
    flags: list[str] | None = None,
    terms: list[str] | None = None,
    separation: str = "firth",
    conf: float = 0.95,
    frame: Frame | None = None,
    min_events_per_parameter: float = MIN_EVENTS_PER_PARAMETER,
    family: str = "call",
    references: dict[str, str] | None = None,
    std_errors: bool = False,
) -> pd.DataFrame:
    """Logistic regression of each flag on category + technique (+ inventory when several
    are pooled): odds ratios with ``conf`` intervals and Benjamini–Hochberg q-values.

    Cases used: those reporting the flag and every term (``n`` per row; ``events`` = yes).
    Categories are dummy-coded against the most frequent category (``reference``);
    techniques enter as one used / not-used indicator each; ``parameters`` counts the
    coefficients fitted besides the intercept. Columns aliased with earlier ones, terms
    without variation, and a term whose cases show one level or none are reported not
    estimable with the reason; a term no case reports (techniques in an inventory that
    records none) is left out of the model, with one row per flag saying so.

    Fit and inference (``method``, ``inference``): maximum likelihood with Wald intervals
    and tests where every term's table with the flag has all four cells filled (kept for
    speed at the sample sizes where it applies, and checked against statsmodels);
    otherwise Firth's penalised likelihood (``separation="firth"``) with profile penalised
    likelihood intervals and penalised likelihood-ratio p-values (Heinze & Schemper 2002,
    Heinze & Ploner 2003, as in R's logistf), or the sparse terms reported not estimable
    and the model refitted without them (``separation="report"``). A profile interval
    that does not close within odds ratios 10⁻⁶ … 10⁶ is reported not estimable.

    Not estimable at this n: a model with fewer than ``min_events_per_parameter`` cases
    of its rarer outcome (yes or no) per coefficient is not fitted and each of its terms
    says so (Peduzzi et al. 1996, J Clin Epidemiol 49:1373, rule of ten; Vittinghoff &
    McCulloch 2007, Am J Epidemiol 165:710, find 5–9 often acceptable; 0 fits every
    model).

    q-values: Benjamini–Hochberg over one ``family``: ``"call"`` (default), every
    estimated term of every flag in the table; ``"flag"``, the terms of one flag's
    model. The ``family`` column and ``attrs["family"]`` name it and its size. BH on
    p-values from small or sparse tables, whose distribution is discrete, is
    conservative.

    ``references``: a term's reference level (e.g. ``{"category": "internal_management"}``)
    instead of the most frequent one, when the cases show it. ``std_errors``: for pooling
    over imputations (:mod:`analysis.imputation`): add ``se_log_odds``, the standard error
    of the log odds ratio from the (penalised) information, and give every interval and
    p-value as Wald on it (no profiles).
    """
    frame = frame or load_frame()
    if separation not in SEPARATION_POLICIES:
        raise StatsError(f"separation must be 'firth' or 'report'; got {separation!r}")
    if family not in FAMILIES:
        raise StatsError(f"family must be one of {FAMILIES}; got {family!r}")
    flags = list(flags or frame.flag_keys)
    terms, term_cols = _model_terms(cases, terms)
    # a term no case reports (e.g. techniques in an inventory without them) would remove
    # every case: it is left out of the model, and each flag says so
    absent = [t for t, c in zip(terms, term_cols) if not cases[c].notna().any()]
    kept = [(t, c) for t, c in zip(terms, term_cols) if t not in absent]
    terms, term_cols = [t for t, _ in kept], [c for _, c in kept]
    states = flag_states(cases, flags)
    terms_reported = cases[term_cols].notna().all(axis=1).to_numpy()
    rows = []
    for j, flag in enumerate(flags):
        used = (states[:, j] != NOT_REPORTED) & terms_reported
        y = (states[used, j] == 1).astype(float)
        base = {"flag": flag, "n": int(used.sum()), "events": int(y.sum())}
        if terms:
            rows += _flag_rows(
                cases[used],
                y,
                base,
                terms,
                separation,
                conf,
                frame,
                min_events_per_parameter,
                references,
                std_errors,
            )
        rows += [
            _not_estimable(
                {**base, "parameters": 0},
                {"term": t, "level": None, "reference": None},
                f"no case reports {t}: left out of the model, the other terms fitted without it",
            )
            for t in absent
        ]
    columns = LOGISTIC_COLUMNS + (["se_log_odds"] if std_errors else [])
    out = pd.DataFrame(rows, columns=columns)
    return _adjust(out, family)


def _adjust(table: pd.DataFrame, family: str) -> pd.DataFrame:
    """``q_value`` and ``family`` of :func:`logistic` (BH within each family)."""
    p = table["p_value"].to_numpy(dtype=float)
    q = np.full(len(table), np.nan)
    sizes = np.zeros(len(table), dtype=int)
    groups = (
        [np.arange(len(table))]
        if family == "call"
        else [np.flatnonzero((table["flag"] == f).to_numpy()) for f in table["flag"].unique()]
    )
    for members in groups:
        q[members] = bh(p[members])
        sizes[members] = int(np.isfinite(p[members]).sum())
    table["q_value"] = q
    table["family"] = [_FAMILY_WORDS[family].replace("{n}", str(n)) for n in sizes]
    whole = _FAMILY_WORDS["call" if family == "call" else "flags"]
    table.attrs["family"] = whole.replace("{n}", str(int(np.isfinite(p).sum())))
    return table


def _flag_rows(
    cases, y, base, terms, separation, conf, frame, min_epv, references=None, std_errors=False
) -> list[dict]:
    """The odds-ratio rows of one flag's model (or why each term is not estimable)."""
    design, info, flat = _design(cases, terms, frame, references)
    X = design.to_numpy(dtype=float)
    rows = [
        _not_estimable(
            {**base, "parameters": 0},
            item,
            "one level or none among the cases used: no contrast to estimate",
        )
        for item in flat
    ]
    if not info:
        return rows
    if y.sum() == 0 or y.sum() == len(y):
        reason = "the flag does not vary among the cases used (all yes or all no)"
        return [_not_estimable({**base, "parameters": 0}, item, reason) for item in info] + rows
    fit = _fit(y, X, list(design.columns), separation, min_epv)
    base = {**base, "parameters": len(fit.keep)}
    return _odds_ratio_rows(base, info, fit, y, conf, std_errors) + rows


# -- differences between flags within the same cases -----------------------------------------
@memo.cached(defaults={"frame": load_frame})
def cochrans_q(
    cases: pd.DataFrame, flags: list[str] | None = None, frame: Frame | None = None
) -> pd.DataFrame:
    """Cochran's Q test that the flags are equally prevalent, on the cases reporting every
    one of them (``n``)."""
    # Not statsmodels' cochrans_q: it takes the cases × flags matrix and sorts it
    # (np.unique) to find the success value, which doubles the time at 10**6 cases
    # (72 → 140 ms); Q needs only the column and row totals computed here.
    frame = frame or load_frame()
    flags = list(flags or frame.flag_keys)
    if len(flags) < 2:
        raise StatsError("Cochran's Q needs at least two flags")
    states = flag_states(cases, flags)
    x = (states[(states != NOT_REPORTED).all(axis=1)] == 1).astype(float)
    n, k = x.shape
    col, row = x.sum(axis=0), x.sum(axis=1)
    total = col.sum()
    denom = k * total - (row**2).sum()
    stat = (k - 1) * (k * (col**2).sum() - total**2) / denom if denom > 0 else np.nan
    p = float(sps.chi2.sf(stat, k - 1)) if denom > 0 else np.nan
    reason = "" if denom > 0 else "every case has all flags alike"
    return pd.DataFrame(
        [
            {
                "flags": ";".join(flags),
                "k": k,
                "n": n,
                "statistic": stat,
                "dof": k - 1,
                "p_value": p,
                "reason": reason,
            }
        ]
    )


def _mcnemar(a_only: float, b_only: float, both: float, neither: float) -> tuple[str, float, float]:
    """statsmodels' McNemar test of one 2 × 2 table: exact binomial below
    :data:`EXACT_MCNEMAR_BELOW` discordant cases, else χ² with continuity correction."""
    exact = a_only + b_only < EXACT_MCNEMAR_BELOW
    result = contingency_tables.mcnemar(
        np.array([[both, a_only], [b_only, neither]]), exact=exact, correction=True
    )
    test = "exact binomial" if exact else "chi2 (continuity corrected)"
    return test, float(result.statistic), float(result.pvalue)


@memo.cached(defaults={"frame": load_frame})
def mcnemar_pairs(
    cases: pd.DataFrame, flags: list[str] | None = None, frame: Frame | None = None
) -> pd.DataFrame:
    """McNemar's test for every pair of flags (a before b in frame order) on the cases
    reporting both: exact binomial when fewer than 25 cases are discordant, χ² with
    continuity correction otherwise; ``p_holm`` and ``q_value`` (BH) over the pairs."""
    frame = frame or load_frame()
    c = counts(cases, None, "pairwise", frame, flags)
    a_idx, b_idx = np.triu_indices(len(c.flags), k=1)
    n = c.rr[0][a_idx, b_idx]
    both = c.yy[0][a_idx, b_idx]
    n_a, n_b = c.yr[0][a_idx, b_idx], c.yr[0][b_idx, a_idx]
    a_only, b_only = n_a - both, n_b - both
    tests = [_mcnemar(*cells) for cells in zip(a_only, b_only, both, n - n_a - b_only)]
    names = np.asarray(c.flags, dtype=object)
    out = pd.DataFrame(
        {
            "flag_a": pd.array(names[a_idx], dtype="string"),
            "flag_b": pd.array(names[b_idx], dtype="string"),
            "n": n.astype(np.int64),
            "n_a": n_a.astype(np.int64),
            "n_b": n_b.astype(np.int64),
            "a_only": a_only.astype(np.int64),
            "b_only": b_only.astype(np.int64),
            "test": [t for t, _, _ in tests],
            "statistic": np.array([s for _, s, _ in tests], dtype=float),
            "p_value": np.array([p for _, _, p in tests], dtype=float),
        }
    )
    out["p_holm"] = holm(out["p_value"].to_numpy())
    out["q_value"] = bh(out["p_value"].to_numpy())
    return _named_family(out, "mcnemar")


__all__ = [
    "StatsError",
    "CooccurrenceError",
    "bh",
    "holm",
    "wilson",
    "prevalence",
    "permutation_pvalue",
    "association",
    "logistic",
    "cochrans_q",
    "mcnemar_pairs",
]
