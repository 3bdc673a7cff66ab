"""Statistics of risk flags: prevalence with Wilson intervals, association with category and
technique, logistic regression, and differences between flags within the same cases.

Small strata are the normal case in coded government inventories, so every test checks
whether its large-sample approximation holds and falls back to an exact or Monte Carlo
permutation p-value when it does not; every row reports the ``n`` it used. Not-reported
flags follow the same ``na_policy`` as :mod:`analysis.cooccurrence`.

Choices, stated once:

* association with ``category`` (or any single-valued column): one r × 2 table per flag
  (stratum × yes/no). Pearson χ² (no continuity correction) when every expected count is
  at least ``min_expected``; otherwise Fisher's exact test for a 2 × 2 table and a Monte
  Carlo permutation p-value (seeded, margins fixed, draws from the multivariate
  hypergeometric distribution) for larger tables. Cramér's V from the observed χ².
* association with ``technique``: a case may use several techniques, so the strata
  overlap; each technique is tested as a 2 × 2 table (uses it / does not) × (yes / no)
  among the cases that report their techniques.
* Benjamini–Hochberg q-values across the whole family of tests returned by one call.
* logistic regression: maximum likelihood (statsmodels) unless the data show separation
  or sparse cells, then Firth's penalised likelihood (Wald intervals on the penalised
  estimate), or, with ``separation="report"``, the offending terms are reported "not
  estimable" with the reason and the model refitted without them. Never a silent huge OR.
* Cochran's Q and pairwise McNemar tests (exact binomial when fewer than 25 discordant
  cases, χ² with continuity correction otherwise), Holm and BH adjusted.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import special
from scipy import stats as sps

from . import config
from .cooccurrence import CooccurrenceError, counts, flag_states, stratum_column
from .errors import AnalysisError
from .frame import Frame, load_frame

EXACT_MCNEMAR_BELOW = 25


class StatsError(AnalysisError):
    """A statistic asked of data or parameters that cannot give it."""


# -- multiple testing -----------------------------------------------------------------------
def _adjusted(p_values, step) -> np.ndarray:
    """Apply ``step(sorted p, m)`` to the non-NaN p-values in ascending order; NaN stays NaN."""
    p = np.asarray(p_values, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = np.flatnonzero(~np.isnan(p))
    if len(ok):
        order = ok[np.argsort(p[ok], kind="stable")]
        out[order] = np.minimum(1.0, step(p[order], len(ok)))
    return out


def bh(p_values) -> np.ndarray:
    """Benjamini–Hochberg q-values (NaN p-values stay NaN and are not in the family)."""
    return _adjusted(p_values, lambda p, m: np.minimum.accumulate((p * m / np.arange(1, m + 1))[::-1])[::-1])


def holm(p_values) -> np.ndarray:
    """Holm step-down adjusted p-values (NaN stays NaN)."""
    return _adjusted(p_values, lambda p, m: np.maximum.accumulate(p * (m - np.arange(m))))


# -- prevalence -----------------------------------------------------------------------------
def wilson(yes, n, conf: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for yes / n (NaN where n = 0)."""
    yes, n = np.asarray(yes, dtype=float), np.asarray(n, dtype=float)
    z = sps.norm.ppf(0.5 + conf / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = yes / n
        denom = 1 + z ** 2 / n
        centre = (p + z ** 2 / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z ** 2 / (4 * n ** 2)) / denom
    low = np.where(n > 0, np.clip(centre - half, 0, 1), np.nan)
    high = np.where(n > 0, np.clip(centre + half, 0, 1), np.nan)
    return low, high


def prevalence(cases: pd.DataFrame, by: str | None = None, na_policy: str = "pairwise", conf: float = 0.95,
               min_stratum_size: int = 1, frame: Frame | None = None) -> pd.DataFrame:
    """Prevalence of each flag (overall or per stratum) with a Wilson ``conf`` interval:
    the columns of :func:`analysis.cooccurrence.flag_table` plus ``ci_low``, ``ci_high``."""
    table = counts(cases, by, na_policy, frame).flag_table(min_stratum_size)
    table["ci_low"], table["ci_high"] = wilson(table["yes"], table["n"], conf)
    return table


# -- association ----------------------------------------------------------------------------
def _chi2(obs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pearson χ² of tables stacked on the first axis (… × r × c) and the expected counts."""
    total = obs.sum(axis=(-2, -1), keepdims=True)
    expected = obs.sum(axis=-1, keepdims=True) * obs.sum(axis=-2, keepdims=True) / total
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = np.where(expected > 0, (obs - expected) ** 2 / expected, 0.0).sum(axis=(-2, -1))
    return stat, expected


def permutation_pvalue(table: np.ndarray, n_permutations: int = 10_000, seed: int = config.SEED) -> float:
    """Monte Carlo p-value of Pearson's χ² for an r × 2 table, margins fixed: the yes column
    is redrawn ``n_permutations`` times from the multivariate hypergeometric distribution
    (what shuffling the flag across the cases gives); p = (1 + #{χ²* ≥ χ²}) / (B + 1)."""
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


def _test(table: np.ndarray, min_expected: float, n_permutations: int, seed: int) -> dict:
    """One r × 2 (stratum × yes/no) table: the test the counts allow."""
    table = table[table.sum(axis=1) > 0]
    n = int(table.sum())
    row = {"n": n, "strata": int(len(table)), "test": "not testable", "statistic": np.nan, "dof": np.nan,
           "p_value": np.nan, "cramers_v": np.nan, "min_expected": np.nan, "reason": ""}
    if len(table) < 2:
        row["reason"] = "fewer than two strata report the flag"
        return row
    if table[:, 0].sum() == 0 or table[:, 1].sum() == 0:
        row["reason"] = "the flag does not vary (all yes or all no)"
        return row
    stat, expected = _chi2(table[None].astype(float))
    stat = float(stat[0])
    row.update(statistic=stat, dof=int(len(table) - 1), cramers_v=float(np.sqrt(stat / n)),
               min_expected=float(expected.min()))
    if expected.min() >= min_expected:
        row.update(test="chi2", p_value=float(sps.chi2.sf(stat, len(table) - 1)))
    elif len(table) == 2:
        row.update(test="fisher", p_value=float(sps.fisher_exact(table).pvalue),
                   reason=f"expected count below {min_expected:g}")
    else:
        row.update(test="permutation", p_value=permutation_pvalue(table, n_permutations, seed),
                   reason=f"expected count below {min_expected:g}; {n_permutations} permutations")
    return row


def association(cases: pd.DataFrame, by: str = "category", na_policy: str = "pairwise", min_expected: float = 5,
                n_permutations: int = 10_000, seed: int = config.SEED, frame: Frame | None = None) -> pd.DataFrame:
    """Association of each flag with ``by`` (see the module docstring for the tests).

    Columns: [``technique``,] ``flag``, ``by``, ``n``, ``strata``, ``test``, ``statistic``,
    ``dof``, ``p_value``, ``cramers_v``, ``min_expected``, ``q_value`` (BH over all rows),
    ``reason``. Cases whose stratum is missing are left out.
    """
    frame = frame or load_frame()
    col = stratum_column(by)
    rows = []
    if col == "technique":
        known = cases[cases["techniques"].notna()]
        per = counts(known, "technique", na_policy, frame, include_missing=False)
        total = counts(known, None, na_policy, frame)
        diag = np.arange(len(per.flags))
        yes_t, n_t = per.yy[:, diag, diag], per.rr[:, diag, diag]
        yes_all, n_all = total.yy[0, diag, diag], total.rr[0, diag, diag]
        for s, tech in enumerate(per.strata):
            for j, flag in enumerate(per.flags):
                table = np.array([[yes_t[s, j], n_t[s, j] - yes_t[s, j]],
                                  [yes_all[j] - yes_t[s, j], n_all[j] - n_t[s, j] - yes_all[j] + yes_t[s, j]]])
                rows.append({"technique": tech, "flag": flag, "by": col,
                             **_test(table.astype(np.int64), min_expected, n_permutations, seed)})
    else:
        per = counts(cases, by, na_policy, frame, include_missing=False)
        diag = np.arange(len(per.flags))
        yes, n = per.yy[:, diag, diag], per.rr[:, diag, diag]
        for j, flag in enumerate(per.flags):
            table = np.stack([yes[:, j], n[:, j] - yes[:, j]], axis=1).astype(np.int64)
            rows.append({"flag": flag, "by": col, **_test(table, min_expected, n_permutations, seed)})
    lead = ["technique"] if col == "technique" else []
    order = lead + ["flag", "by", "n", "strata", "test", "statistic", "dof", "p_value", "q_value", "cramers_v",
                    "min_expected", "reason"]
    out = pd.DataFrame(rows, columns=[c for c in order if c != "q_value"])
    out["q_value"] = bh(out["p_value"].to_numpy(dtype=float))
    return out[order]


# -- logistic regression ----------------------------------------------------------------------
def _design(cases: pd.DataFrame, terms: list[str], frame: Frame) -> tuple[pd.DataFrame, list[dict]]:
    """0/1 design columns (no intercept) and a description of each: term, level, reference."""
    cols, info = {}, []
    for term in terms:
        if term in ("technique", "techniques"):
            per_case = cases["techniques"].fillna("").str.split(";")
            present = {t for ts in per_case for t in ts if t}
            for t in [k for k in frame.technique_keys if k in present] + sorted(present - set(frame.technique_keys)):
                cols[f"technique:{t}"] = per_case.map(lambda ts, t=t: t in ts).to_numpy(dtype=float)
                info.append({"term": "technique", "level": t, "reference": "not used"})
            continue
        values = cases[term].astype("string")
        order = frame.category_keys if term == "category" else (
            frame.application_type_keys if term == "application_type" else sorted(values.dropna().unique()))
        counts_ = values.value_counts()
        levels = [k for k in order if k in counts_.index]
        if len(levels) < 2:
            continue
        reference = max(levels, key=lambda k: (counts_[k], -levels.index(k)))
        for lv in levels:
            if lv != reference:
                cols[f"{term}:{lv}"] = (values == lv).fillna(False).to_numpy(dtype=float)
                info.append({"term": term, "level": lv, "reference": reference})
    return pd.DataFrame(cols, index=cases.index), info


def _firth(X: np.ndarray, y: np.ndarray, max_iter: int = 200, tol: float = 1e-7,
           max_step: float = 5.0) -> tuple[np.ndarray, np.ndarray, bool]:
    """Firth's penalised maximum likelihood for logistic regression: Newton steps on the
    modified score Xᵀ(y − p + h(½ − p)), capped at ``max_step`` and halved until the
    penalised log-likelihood l(β) + ½ log|I(β)| does not decrease (as in R's logistf).
    Returns coefficients, their covariance I(β)⁻¹ and whether the score reached ``tol``."""

    def evaluate(b):
        p = special.expit(X @ b)
        w = p * (1 - p)
        info = X.T @ (X * w[:, None])
        sign, logdet = np.linalg.slogdet(info)
        ll = np.sum(y * np.log(np.clip(p, 1e-300, None)) + (1 - y) * np.log(np.clip(1 - p, 1e-300, None)))
        return (ll + 0.5 * logdet if sign > 0 else -np.inf), p, w, info

    beta = np.zeros(X.shape[1])
    current, p, w, info = evaluate(beta)
    for _ in range(max_iter):
        inv = np.linalg.pinv(info)
        h = w * np.einsum("ij,jk,ik->i", X, inv, X)
        score = X.T @ (y - p + h * (0.5 - p))
        if np.max(np.abs(score)) < tol:
            return beta, inv, True
        step = inv @ score
        largest = np.max(np.abs(step))
        if largest > max_step:
            step = step * (max_step / largest)
        for _half in range(40):
            candidate = evaluate(beta + step)
            if candidate[0] >= current:
                break
            step = step / 2
        else:
            return beta, inv, False
        beta = beta + step
        current, p, w, info = candidate
    return beta, np.linalg.pinv(info), False


def _sparse_terms(X: np.ndarray, y: np.ndarray, names: list[str]) -> list[tuple[str, str]]:
    """Binary columns with an empty cell in their 2 × 2 table with the outcome."""
    found = []
    for j, name in enumerate(names):
        x = X[:, j] > 0.5
        cells = {"yes with it": (y[x] == 1).sum(), "no with it": (y[x] == 0).sum(),
                 "yes without it": (y[~x] == 1).sum(), "no without it": (y[~x] == 0).sum()}
        empty = [k for k, v in cells.items() if v == 0]
        if empty:
            found.append((name, f"quasi-complete separation or sparse cell (no case {', '.join(empty)})"))
    return found


def logistic(cases: pd.DataFrame, flags: list[str] | None = None, terms: list[str] | None = None,
             separation: str = "firth", conf: float = 0.95, frame: Frame | None = None) -> pd.DataFrame:
    """Logistic regression of each flag on category + technique (+ inventory when several
    are pooled): odds ratios with ``conf`` Wald intervals.

    Cases used: those reporting the flag and every term (``n`` per row; ``events`` = yes).
    Categories are dummy-coded against the most frequent category (``reference``);
    techniques enter as one used / not-used indicator each. Columns aliased with earlier
    ones, and terms without variation, are reported not estimable with the reason. Where
    a term's table with the flag has an empty cell (separation) the fit is Firth's
    penalised likelihood (``separation="firth"``, ``method`` says so) or the term is
    reported not estimable and the model refitted without it (``separation="report"``).
    """
    import statsmodels.api as sm
    frame = frame or load_frame()
    if separation not in ("firth", "report"):
        raise StatsError(f"separation must be 'firth' or 'report'; got {separation!r}")
    flags = list(flags or frame.flag_keys)
    if terms is None:
        terms = ["category", "technique"]
        if "inventory" in cases.columns and cases["inventory"].nunique() > 1:
            terms.append("inventory")
    z = sps.norm.ppf(0.5 + conf / 2)
    term_cols = ["techniques" if t in ("technique", "techniques") else t for t in terms]
    missing = [c for c in term_cols if c not in cases.columns]
    if missing:
        raise StatsError(f"cannot model on {missing}: not columns of the case table")
    rows = []
    states = flag_states(cases, flags)
    for j, flag in enumerate(flags):
        used = (states[:, j] != 2) & cases[term_cols].notna().all(axis=1).to_numpy()
        sub = cases[used]
        y = (states[used, j] == 1).astype(float)
        design, info = _design(sub, terms, frame)
        base = {"flag": flag, "n": int(used.sum()), "events": int(y.sum())}

        def report(item, reason, method="none"):
            rows.append({**base, **item, "odds_ratio": np.nan, "ci_low": np.nan, "ci_high": np.nan,
                         "p_value": np.nan, "method": method, "estimable": False, "reason": reason})

        if y.sum() == 0 or y.sum() == len(y):
            for item in info:
                report(item, "the flag does not vary among the cases used (all yes or all no)")
            continue
        X = design.to_numpy(dtype=float)
        keep, reasons = [], {}
        for k in range(X.shape[1]):
            col = X[:, k]
            if col.min() == col.max():
                reasons[k] = "no variation among the cases used"
                continue
            trial = np.column_stack([np.ones(len(y)), X[:, keep + [k]]])
            if np.linalg.matrix_rank(trial) < trial.shape[1]:
                reasons[k] = "aliased with earlier terms (a linear combination of them)"
                continue
            keep.append(k)
        names = [design.columns[k] for k in keep]
        sparse = _sparse_terms(X[:, keep], y, names)
        method = "mle"
        if sparse and separation == "report":
            bad = {name for name, _ in sparse}
            for name, why in sparse:
                reasons[list(design.columns).index(name)] = why
            keep = [k for k in keep if design.columns[k] not in bad]
        fit_X = np.column_stack([np.ones(len(y)), X[:, keep]])
        if fit_X.shape[0] <= fit_X.shape[1]:
            for k, item in enumerate(info):
                report(item, reasons.get(k, "too few cases for the number of terms"))
            continue
        beta = cov = None
        if not (sparse and separation == "firth"):
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                try:
                    res = sm.Logit(y, fit_X).fit(disp=0, method="newton", maxiter=100)
                    ok = bool(res.mle_retvals.get("converged", False)) and np.all(np.isfinite(res.bse)) \
                        and not any("separation" in str(w.message).lower() for w in caught)
                    beta, cov = (res.params, res.cov_params()) if ok else (None, None)
                except (np.linalg.LinAlgError, ValueError) as exc:
                    if "separation" not in str(exc).lower() and not isinstance(exc, np.linalg.LinAlgError):
                        raise
            if beta is None and separation == "report":
                for k, item in enumerate(info):
                    report(item, reasons.get(k, "maximum likelihood did not converge (separation among "
                                                "combined terms)"))
                continue
        if beta is None:
            beta, cov, converged = _firth(y=y, X=fit_X)
            method = "firth"
            if not converged:
                for k, item in enumerate(info):
                    report(item, reasons.get(k, "penalised fit did not converge"), method)
                continue
        se = np.sqrt(np.diag(np.asarray(cov)))
        position = {k: i + 1 for i, k in enumerate(keep)}
        for k, item in enumerate(info):
            if k not in position:
                report(item, reasons.get(k, "not estimable"))
                continue
            b, s = float(beta[position[k]]), float(se[position[k]])
            rows.append({**base, **item, "odds_ratio": float(np.exp(b)), "ci_low": float(np.exp(b - z * s)),
                         "ci_high": float(np.exp(b + z * s)), "p_value": float(2 * sps.norm.sf(abs(b / s))),
                         "method": method, "estimable": True,
                         "reason": "separation or sparse cells: Firth penalised likelihood" if method == "firth" else ""})
    columns = ["flag", "term", "level", "reference", "n", "events", "odds_ratio", "ci_low", "ci_high", "p_value",
               "method", "estimable", "reason"]
    return pd.DataFrame(rows, columns=columns)


# -- differences between flags within the same cases -----------------------------------------
def cochrans_q(cases: pd.DataFrame, flags: list[str] | None = None, frame: Frame | None = None) -> pd.DataFrame:
    """Cochran's Q test that the flags are equally prevalent, on the cases reporting every
    one of them (``n``)."""
    frame = frame or load_frame()
    flags = list(flags or frame.flag_keys)
    if len(flags) < 2:
        raise StatsError("Cochran's Q needs at least two flags")
    states = flag_states(cases, flags)
    x = (states[(states != 2).all(axis=1)] == 1).astype(float)
    n, k = x.shape
    col, row = x.sum(axis=0), x.sum(axis=1)
    total = col.sum()
    denom = k * total - (row ** 2).sum()
    stat = (k - 1) * (k * (col ** 2).sum() - total ** 2) / denom if denom > 0 else np.nan
    p = float(sps.chi2.sf(stat, k - 1)) if denom > 0 else np.nan
    return pd.DataFrame([{"flags": ";".join(flags), "k": k, "n": n, "statistic": stat, "dof": k - 1, "p_value": p,
                          "reason": "" if denom > 0 else "every case has all flags alike"}])


def mcnemar_pairs(cases: pd.DataFrame, flags: list[str] | None = None, frame: Frame | None = None) -> pd.DataFrame:
    """McNemar's test for every pair of flags (a before b in frame order) on the cases
    reporting both: exact binomial when fewer than 25 cases are discordant, χ² with
    continuity correction otherwise; ``p_holm`` and ``q_value`` (BH) over the pairs."""
    frame = frame or load_frame()
    c = counts(cases, None, "pairwise", frame, flags)
    a_idx, b_idx = np.triu_indices(len(c.flags), k=1)
    n = c.rr[0][a_idx, b_idx]
    both = c.yy[0][a_idx, b_idx]
    a_only = c.yr[0][a_idx, b_idx] - both
    b_only = c.yr[0][b_idx, a_idx] - both
    disc = a_only + b_only
    exact = disc < EXACT_MCNEMAR_BELOW
    with np.errstate(divide="ignore", invalid="ignore"):
        chi = np.where(disc > 0, (np.abs(a_only - b_only) - 1) ** 2 / disc, np.nan)
    p_exact = np.minimum(1.0, 2 * sps.binom.cdf(np.minimum(a_only, b_only), disc, 0.5))
    p = np.where(disc == 0, 1.0, np.where(exact, p_exact, sps.chi2.sf(chi, 1)))
    out = pd.DataFrame({
        "flag_a": np.asarray(c.flags, dtype=object)[a_idx], "flag_b": np.asarray(c.flags, dtype=object)[b_idx],
        "n": n.astype(np.int64), "n_a": c.yr[0][a_idx, b_idx].astype(np.int64),
        "n_b": c.yr[0][b_idx, a_idx].astype(np.int64), "a_only": a_only.astype(np.int64),
        "b_only": b_only.astype(np.int64),
        "test": np.where(exact, "exact binomial", "chi2 (continuity corrected)"),
        "statistic": np.where(exact, np.minimum(a_only, b_only), chi), "p_value": p})
    out["p_holm"] = holm(out["p_value"].to_numpy())
    out["q_value"] = bh(out["p_value"].to_numpy())
    for col in ("flag_a", "flag_b"):
        out[col] = out[col].astype("string")
    return out


__all__ = ["StatsError", "CooccurrenceError", "bh", "holm", "wilson", "prevalence", "permutation_pvalue",
           "association", "logistic", "cochrans_q", "mcnemar_pairs"]
