"""Coder uncertainty carried into the analysis: multiple imputation of model-coded values.

A coded inventory (:func:`analysis.coding.coded`) fills the fields its source leaves empty
with the value a coder chose; the analyses then treat those values as known. The trained
coder gives each value a calibrated probability, so the uncertainty can be carried through
instead (Rubin 1987):

1. **Draw** the coded values ``draws`` times (seeded) from the coder's per-case
   probabilities; values a source, the study or a person gave are never drawn.
2. **Analyse** each drawn inventory as the reports do: the prevalence of each flag by
   category (:func:`analysis.stats.prevalence`), the association of each flag with
   category (Pearson χ² of :func:`analysis.stats.association`) and the odds ratios of
   each flag's logistic model on category and technique (:func:`analysis.stats.logistic`,
   pooled on the log scale by :func:`pooled_logistic`).
3. **Pool**: estimates and their variances by Rubin's rules (:func:`rubin`: pooled
   estimate, within-, between- and total variance, Barnard–Rubin degrees of freedom,
   fraction of missing information), χ² statistics by the D2 rule of Li, Meng,
   Raghunathan & Rubin (1991) (:func:`pool_chi2`).
4. **Compare** with the same analysis of the inventory as coded: how much each interval
   widens, and which conclusions (q < 0.05, BH over the flags) change.

What is drawn, stated once:

* a **risk flag** coded by the trained coder (``coded_by`` ``model``): yes with the
  calibrated probability of yes (the confidence of the chosen value, or its complement);
* a **category** the trained coder filled: one of the categories with the coder's
  calibrated probabilities (:attr:`analysis.coding.CodedInventory.distributions`); where
  the drawn category is not the coded one, the application type (which belongs to a
  category) becomes not reported in that draw;
* **techniques** the trained coder filled: each technique used with its calibrated
  probability, independently; a draw with no technique leaves the case's techniques not
  reported, as the coder does when it chooses none;
* not drawn, kept as coded: values coded by the **rule coder** (its confidence is the
  share of its terms that fired, not a probability) and **application types** the
  coder chose within the coded category. :func:`scope` counts what is drawn and kept.

Flags are drawn from one random stream (``default_rng(seed)``) and categories and
techniques from another (``default_rng([seed, 1])``), so adding the second leaves the
flag draws as they were.

Prevalence is pooled on the empirical-logit scale (``log((y + ½) / (n − y + ½))``, variance
``1/(y + ½) + 1/(n − y + ½)``), which stays finite at 0 and n; its interval is transformed
back. Odds ratios are pooled on the log scale with the variance from each fit's (for sparse
tables Firth-penalised) information, so the inventory as coded is compared on the same
Wald footing. All three analyses are large-sample ones (complete-data degrees of freedom
infinite), so with probabilities of 0 or 1 every draw is the coded inventory and the
pooled result is exactly the single analysis.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import config, lazy, memo, stats
from .canonical import TECHNIQUE_SEP, case_keys
from .coders.base import confidence_column
from .frame import Frame, load_frame
from .present import vocabulary

sps = lazy.module("scipy.stats")  # imported when first used

#: Imputations behind every pooled result unless told otherwise.
DRAWS = 20
#: Level at which a conclusion counts as a finding (BH q-value).
ALPHA = 0.05
#: Coders whose confidences are calibrated probabilities, and so are drawn from.
CALIBRATED = ("model",)


# -- Rubin's rules ---------------------------------------------------------------------------
def rubin(estimates, variances, df_complete: float = np.inf, conf: float = 0.95) -> pd.DataFrame:
    """Rubin's rules for ``M`` complete-data analyses of one or more scalar estimands.

    ``estimates`` and ``variances``: arrays of shape (M,) or (M, K). Returns one row per
    estimand: ``estimate`` (mean), ``within`` (mean variance Ū), ``between`` (variance of
    the estimates B), ``total`` (T = Ū + (1 + 1/M) B), ``riv`` (relative increase in
    variance, (1 + 1/M) B / Ū), ``lambda_`` ((1 + 1/M) B / T), ``df`` (Barnard & Rubin
    1999, with ``df_complete`` the complete-data degrees of freedom; infinite for large-
    sample estimands, when it is Rubin's (M − 1)/λ²), ``fmi`` (fraction of missing
    information, (riv + 2/(df + 3)) / (1 + riv)), and the ``conf`` interval ``ci_low``,
    ``ci_high`` (estimate ± t_df √T)."""
    q = np.asarray(estimates, dtype=float)
    u = np.asarray(variances, dtype=float)
    if q.ndim == 1:
        q, u = q[:, None], u[:, None]
    m = q.shape[0]
    if m < 1 or q.shape != u.shape:
        raise stats.StatsError("Rubin's rules need as many variances as estimates, M ≥ 1")
    # equal draws give their common value exactly (no rounding in the mean)
    estimate = np.where(np.ptp(q, axis=0) == 0, q[0], q.mean(axis=0))
    within = np.where(np.ptp(u, axis=0) == 0, u[0], u.mean(axis=0))
    between = q.var(axis=0, ddof=1) if m > 1 else np.zeros(q.shape[1])
    between = np.where(np.ptp(q, axis=0) == 0, 0.0, between)  # equal draws: exactly 0
    inflated = (1 + 1 / m) * between
    total = within + inflated
    with np.errstate(divide="ignore", invalid="ignore"):
        riv = np.where(inflated > 0, inflated / within, 0.0)
        lam = np.where(inflated > 0, inflated / total, 0.0)
        df_old = np.where(lam > 0, (m - 1) / lam**2, np.inf)
        if np.isinf(df_complete):
            df = df_old
        else:
            df_obs = (df_complete + 1) / (df_complete + 3) * df_complete * (1 - lam)
            df = np.where(np.isinf(df_old), df_obs, df_old * df_obs / (df_old + df_obs))
        fmi = np.where(np.isinf(df), riv, riv + 2 / (df + 3)) / (1 + riv)
        fmi = np.where(inflated > 0, fmi, 0.0)
    half = _quantile(conf, df) * np.sqrt(total)
    return pd.DataFrame(
        {
            "estimate": estimate,
            "within": within,
            "between": between,
            "total": total,
            "riv": riv,
            "lambda_": lam,
            "df": df,
            "fmi": fmi,
            "ci_low": estimate - half,
            "ci_high": estimate + half,
        }
    )


def _quantile(conf: float, df) -> np.ndarray:
    """The two-sided ``conf`` quantile of t with ``df`` degrees of freedom (normal at ∞)."""
    df = np.asarray(df, dtype=float)
    return np.where(np.isinf(df), sps.norm.ppf(0.5 + conf / 2), sps.t.ppf(0.5 + conf / 2, df))


def pool_chi2(statistics, dof: int) -> dict:
    """The D2 rule (Li, Meng, Raghunathan & Rubin 1991) for ``M`` χ² statistics on ``dof``
    degrees of freedom: r₂ = (1 + 1/M) · var(√d), D2 = (mean d / k − (M + 1)/(M − 1) · r₂)
    / (1 + r₂) (at least 0), referred to F(k, k^(−3/M) (M − 1) (1 + 1/r₂)²). With equal
    statistics (r₂ = 0) it is the χ² test itself (F(k, ∞) = χ²_k / k)."""
    d = np.asarray(statistics, dtype=float)
    m, k = len(d), int(dof)
    r2 = (1 + 1 / m) * np.var(np.sqrt(d), ddof=1) if m > 1 and np.ptp(d) > 0 else 0.0
    if r2 <= 0:
        return {
            "statistic": float(d[0] / k),
            "df1": k,
            "df2": np.inf,
            "r2": 0.0,
            "p_value": float(sps.chi2.sf(d[0], k)),
        }
    value = max(0.0, (d.mean() / k - (m + 1) / (m - 1) * r2) / (1 + r2))
    df2 = k ** (-3 / m) * (m - 1) * (1 + 1 / r2) ** 2
    return {
        "statistic": float(value),
        "df1": k,
        "df2": float(df2),
        "r2": float(r2),
        "p_value": float(sps.f.sf(value, k, df2)),
    }


# -- what is drawn ---------------------------------------------------------------------------
def drawable(cases: pd.DataFrame, codes: pd.DataFrame, frame: Frame | None = None) -> pd.DataFrame:
    """The coded values drawn from: one row per case (``row``: its position in ``cases``)
    and risk flag that a calibrated coder (:data:`CALIBRATED`) filled, with ``p_yes``, the
    coder's probability of yes. Values the inventory's source, the study or a person gave
    (no ``*_confidence``) are not in it."""
    frame = frame or load_frame()
    key = case_keys(cases)
    coder = dict(
        zip(
            case_keys(codes) + "\x00" + codes["field"].astype(str),
            codes["coded_by"].astype(str),
        )
    )
    parts = []
    for flag in frame.flag_keys:
        conf_col = confidence_column(flag)
        if conf_col not in cases.columns:
            continue
        conf = cases[conf_col].to_numpy(dtype=float)
        value = cases[flag]
        by = np.array([coder.get(f"{k}\x00{flag}", "") for k in key], dtype=object)
        keep = ~np.isnan(conf) & value.notna().to_numpy() & np.isin(by, CALIBRATED)
        yes = value.fillna(False).to_numpy(dtype=bool)
        parts.append(
            pd.DataFrame(
                {
                    "row": np.flatnonzero(keep),
                    "field": flag,
                    "coded_by": by[keep],
                    "p_yes": np.where(yes, conf, 1 - conf)[keep],
                }
            )
        )
    if not parts:
        return pd.DataFrame({"row": [], "field": [], "coded_by": [], "p_yes": []})
    return pd.concat(parts, ignore_index=True)


def drawable_classes(
    cases: pd.DataFrame, distributions: pd.DataFrame | None, frame: Frame | None = None
) -> pd.DataFrame:
    """The categories and techniques drawn from: one row per case (``row``: its position in
    ``cases``), field (``category``, ``techniques``) and ``value`` (a category; a technique)
    with the coder's ``probability`` (of the category; of the technique being used), for
    the values the trained coder filled (``*_coded_by`` ``model``). A case's category
    probabilities are rescaled to sum to 1. Empty without ``distributions``."""
    frame = frame or load_frame()
    columns = ["row", "field", "value", "probability"]
    if distributions is None or distributions.empty:
        return pd.DataFrame({c: [] for c in columns})
    key = case_keys(cases)
    position = pd.Series(np.arange(len(cases)), index=key.to_numpy())
    position = position[~position.index.duplicated(keep=False)]
    d = distributions.assign(_k=case_keys(distributions))
    d = d[d["_k"].isin(position.index)]
    parts = []
    for f in ("category", "techniques"):
        sub = d[d["field"] == f]
        if sub.empty or f"{f}_coded_by" not in cases.columns:
            continue
        rows = position.loc[sub["_k"]].to_numpy()
        by_model = (cases[f"{f}_coded_by"].astype("string") == "model").fillna(False)
        keep = by_model.to_numpy(dtype=bool)[rows]
        part = pd.DataFrame(
            {
                "row": rows[keep],
                "field": f,
                "value": sub["value"].astype(str).to_numpy()[keep],
                "probability": sub["probability"].to_numpy(dtype=float)[keep],
            }
        )
        if f == "category":
            part["probability"] /= part.groupby("row")["probability"].transform("sum")
        parts.append(part)
    if not parts:
        return pd.DataFrame({c: [] for c in columns})
    return pd.concat(parts, ignore_index=True).sort_values(["row", "field", "value"], kind="stable")


def scope(
    cases: pd.DataFrame,
    codes: pd.DataFrame,
    drawn: pd.DataFrame,
    frame: Frame | None = None,
    classes: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Per field: values coded automatically (``coded``: with a coder's confidence) and by
    which coder (``coded_by``), how many of them are drawn (``drawn``, from ``drawn`` for
    flags and ``classes`` for categories and techniques) and how many kept as coded
    (``kept``), and the mean probability of the coded value among the drawn
    (``mean_confidence``; for techniques, the coder's confidence in its chosen set)."""
    frame = frame or load_frame()
    key = case_keys(cases)
    classes = classes if classes is not None else drawable_classes(cases, None, frame)
    rows = []
    for f in ["category", "application_type", "techniques", *frame.flag_keys]:
        conf_col = confidence_column(f)
        coded = int(cases[conf_col].notna().sum()) if conf_col in cases.columns else 0
        if coded == 0:
            continue
        if f in frame.flag_keys:
            sub = drawn[drawn["field"] == f]
            units = len(sub)
            chosen = np.where(
                cases[f].iloc[sub["row"].to_numpy(dtype=int)].fillna(False).to_numpy(dtype=bool),
                sub["p_yes"],
                1 - sub["p_yes"],
            )
        else:
            sub = classes[classes["field"] == f]
            rows_drawn = np.unique(sub["row"].to_numpy(dtype=int))
            units = len(rows_drawn)
            if f == "category":
                own = cases[f].astype("string").to_numpy(dtype=object)[sub["row"].to_numpy(int)]
                chosen = sub["probability"].to_numpy(float)[sub["value"].to_numpy() == own]
            else:
                chosen = cases[conf_col].to_numpy(dtype=float)[rows_drawn]
        rows.append(
            {
                "field": f,
                "coded_by": _coders(codes, f, set(key[cases[conf_col].notna()])),
                "coded": coded,
                "drawn": units,
                "kept": coded - units,
                "mean_confidence": float(np.mean(chosen)) if units else np.nan,
            }
        )
    return pd.DataFrame(rows)


def _coders(codes: pd.DataFrame, field_name: str, filled: set[str]) -> str:
    """The coders (``;``-joined) of ``field_name``'s codes that filled the cases ``filled``."""
    sub = codes[codes["field"] == field_name]
    key = case_keys(sub)
    return ";".join(sorted(sub.loc[key.isin(filled).to_numpy(), "coded_by"].astype(str).unique()))


def draw_cases(
    cases: pd.DataFrame,
    drawn: pd.DataFrame,
    draws: int = DRAWS,
    seed: int = config.SEED,
    classes: pd.DataFrame | None = None,
    frame: Frame | None = None,
):
    """``draws`` copies of ``cases``, each drawn flag yes with its ``p_yes`` (one uniform
    per drawn value and copy, from ``numpy.random.default_rng(seed)``), and, given
    ``classes`` (:func:`drawable_classes`), each drawn category one of its classes and each
    drawn technique used with its probability (uniforms from ``default_rng([seed, 1])``).
    The same seed gives the same copies."""
    uniforms = np.random.default_rng(seed).random((draws, len(drawn)))
    rows = drawn["row"].to_numpy(dtype=int)
    p = drawn["p_yes"].to_numpy(dtype=float)
    fields = drawn["field"].to_numpy(dtype=object)
    plan = _class_plan(classes, frame) if classes is not None and len(classes) else None
    rng = np.random.default_rng([seed, 1]) if plan is not None else None
    for m in range(draws):
        out = cases.copy()
        yes = uniforms[m] < p
        for f in pd.unique(fields):
            sel = fields == f
            values = out[f].copy()
            values.iloc[rows[sel]] = yes[sel]
            out[f] = values
        if plan is not None:
            _draw_classes(out, plan, rng)
        yield out


@dataclass
class _ClassPlan:
    """Categories (``category_rows``, cumulative probabilities over ``category_values``) and
    techniques (``technique_rows`` × ``technique_values`` probabilities) to draw."""

    category_rows: np.ndarray
    category_values: np.ndarray
    category_cumulative: np.ndarray
    technique_rows: np.ndarray
    technique_values: list[str]
    technique_probability: np.ndarray


def _class_plan(classes: pd.DataFrame, frame: Frame | None) -> _ClassPlan:
    frame = frame or load_frame()

    def matrix(f, order):
        sub = classes[classes["field"] == f]
        if sub.empty:
            return np.array([], dtype=int), [], np.zeros((0, 0))
        wide = sub.pivot_table(index="row", columns="value", values="probability", aggfunc="sum")
        values = [v for v in order if v in wide.columns] + sorted(set(wide.columns) - set(order))
        wide = wide.reindex(columns=values).fillna(0.0)
        return wide.index.to_numpy(dtype=int), values, wide.to_numpy(dtype=float)

    c_rows, c_values, c_p = matrix("category", frame.category_keys)
    t_rows, t_values, t_p = matrix("techniques", frame.technique_keys)
    return _ClassPlan(
        c_rows, np.array(c_values, dtype=object), np.cumsum(c_p, axis=1), t_rows, t_values, t_p
    )


def _draw_classes(out: pd.DataFrame, plan: _ClassPlan, rng: np.random.Generator) -> None:
    """Draw ``out``'s categories and techniques in place (module docstring)."""
    u = rng.random(len(plan.category_rows))
    if len(plan.category_rows):
        cum = plan.category_cumulative
        pick = np.minimum((cum < (u * cum[:, -1])[:, None]).sum(axis=1), cum.shape[1] - 1)
        new = plan.category_values[pick]
        values = out["category"].copy()
        old = values.iloc[plan.category_rows].astype("string").to_numpy(dtype=object)
        values.iloc[plan.category_rows] = new
        out["category"] = values
        moved = plan.category_rows[old != new]
        if len(moved) and "application_type" in out.columns:
            types = out["application_type"].copy()
            types.iloc[moved] = pd.NA
            out["application_type"] = types
    if len(plan.technique_rows):
        used = rng.random(plan.technique_probability.shape) < plan.technique_probability
        names = [
            TECHNIQUE_SEP.join(t for t, k in zip(plan.technique_values, row) if k) or pd.NA
            for row in used
        ]
        values = out["techniques"].copy()
        values.iloc[plan.technique_rows] = pd.array(names, dtype=values.dtype)
        out["techniques"] = values


# -- analyses of each draw, pooled -------------------------------------------------------------
def _logit(yes: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return np.log((yes + 0.5) / (n - yes + 0.5)), 1 / (yes + 0.5) + 1 / (n - yes + 0.5)


def _expit(x):
    return 1 / (1 + np.exp(-np.asarray(x, dtype=float)))


def pooled_prevalence(
    cases: pd.DataFrame,
    drawn: pd.DataFrame,
    by: str = "category",
    draws: int = DRAWS,
    seed: int = config.SEED,
    conf: float = 0.95,
    frame: Frame | None = None,
    classes: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Prevalence of each flag by ``by``: as coded (``prevalence_coded`` with its interval)
    and pooled over ``draws`` imputations (``prevalence``: the mean share; ``ci_low``,
    ``ci_high``), both on the empirical-logit scale, with Rubin's quantities and
    ``widening``, the pooled interval's width over the coded one's (on the logit scale)."""
    frame = frame or load_frame()
    col = stats.stratum_column(by)
    keys = [col, "flag"]
    base = stats.prevalence(cases, by, frame=frame)
    tables = [
        stats.prevalence(d, by, frame=frame)
        for d in draw_cases(cases, drawn, draws, seed, classes, frame)
    ]
    index = base.set_index(keys).index
    yes = np.stack([t.set_index(keys)["yes"].reindex(index).to_numpy(float) for t in tables])
    n = np.stack([t.set_index(keys)["n"].reindex(index).to_numpy(float) for t in tables])
    q, u = _logit(yes, n)
    pooled = rubin(q, u, conf=conf)
    q0, u0 = _logit(base["yes"].to_numpy(float), base["n"].to_numpy(float))
    z = sps.norm.ppf(0.5 + conf / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(n > 0, yes / n, np.nan)
        mean_share = np.where(np.ptp(share, axis=0) == 0, share[0], np.nanmean(share, axis=0))
    half = _quantile(conf, pooled["df"].to_numpy()) * np.sqrt(pooled["total"].to_numpy())
    out = pd.DataFrame(
        {
            col: base[col].to_numpy(),
            "flag": base["flag"].to_numpy(),
            "n": base["n"].to_numpy(),
            "prevalence_coded": base["prevalence"].to_numpy(float),
            "ci_low_coded": _expit(q0 - z * np.sqrt(u0)),
            "ci_high_coded": _expit(q0 + z * np.sqrt(u0)),
            "prevalence": mean_share,
            "ci_low": _expit(pooled["ci_low"]),
            "ci_high": _expit(pooled["ci_high"]),
            "within": pooled["within"].to_numpy(),
            "between": pooled["between"].to_numpy(),
            "total": pooled["total"].to_numpy(),
            "df": pooled["df"].to_numpy(),
            "fmi": pooled["fmi"].to_numpy(),
            "widening": half / (z * np.sqrt(u0)),
        }
    )
    return out[out["n"] > 0].reset_index(drop=True)


def pooled_association(
    cases: pd.DataFrame,
    drawn: pd.DataFrame,
    by: str = "category",
    draws: int = DRAWS,
    seed: int = config.SEED,
    frame: Frame | None = None,
    classes: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Association of each flag with ``by``: Pearson χ² of the inventory as coded
    (``statistic_coded``, its large-sample ``p_value_coded`` and BH ``q_value_coded``), the
    mean χ² over the draws (``statistic_draws``), the median of the draws' p-values
    (``p_value_median``, the rule of Eekhout et al. 2017, a check on D2, which is
    conservative when the draws disagree much) and the D2-pooled test over ``draws``
    imputations (``statistic``, ``df1``, ``df2``, ``r2``, ``p_value``, ``q_value``).
    ``changed`` marks a flag whose conclusion at q < 0.05 differs. (A report's own test
    uses Fisher's or a permutation test where expected counts are small; both columns here
    use the same χ² reference so that only the coding differs.) A flag that cannot be
    tested in some draw is not pooled (``reason``)."""
    frame = frame or load_frame()
    base = stats.association(cases, by, n_permutations=1, frame=frame)
    runs = [
        stats.association(d, by, n_permutations=1, frame=frame).set_index("flag")
        for d in draw_cases(cases, drawn, draws, seed, classes, frame)
    ]
    rows = []
    for r in base.to_dict("records"):
        stat = np.array([t.at[r["flag"], "statistic"] for t in runs], dtype=float)
        dofs = {t.at[r["flag"], "dof"] for t in runs}
        row = {
            "flag": r["flag"],
            "by": r["by"],
            "n": r["n"],
            "statistic_coded": r["statistic"],
            "p_value_coded": float(sps.chi2.sf(r["statistic"], r["dof"]))
            if not pd.isna(r["statistic"])
            else np.nan,
        }
        if np.isnan(stat).any() or len(dofs) != 1:
            reasons = sorted({str(t.at[r["flag"], "reason"]) for t in runs} - {"", "nan"})
            rows.append({**row, "reason": "; ".join(reasons) or "not testable in every draw"})
            continue
        rows.append(
            {
                **row,
                "statistic_draws": float(stat.mean()),
                "p_value_median": float(np.median(sps.chi2.sf(stat, min(dofs)))),
                **pool_chi2(stat, int(min(dofs))),
                "reason": "",
            }
        )
    out = pd.DataFrame(rows)
    for c in ("statistic_draws", "p_value_median", "statistic", "df1", "df2", "r2", "p_value"):
        if c not in out.columns:
            out[c] = np.nan
    out["q_value_coded"] = stats.bh(out["p_value_coded"].to_numpy(float))
    out["q_value"] = stats.bh(out["p_value"].to_numpy(float))
    out["changed"] = (out["q_value_coded"] < ALPHA) != (out["q_value"] < ALPHA)
    out.loc[out["q_value"].isna(), "changed"] = False
    order = [
        "flag",
        "by",
        "n",
        "statistic_coded",
        "p_value_coded",
        "q_value_coded",
        "statistic_draws",
        "p_value_median",
        "statistic",
        "df1",
        "df2",
        "r2",
        "p_value",
        "q_value",
        "changed",
        "reason",
    ]
    return out[order]


def pooled_logistic(
    cases: pd.DataFrame,
    drawn: pd.DataFrame,
    draws: int = DRAWS,
    seed: int = config.SEED,
    frame: Frame | None = None,
    classes: pd.DataFrame | None = None,
    terms: list[str] | None = None,
    conf: float = 0.95,
) -> pd.DataFrame:
    """Odds ratios of each flag's logistic model (:func:`analysis.stats.logistic`, default
    terms, the coded inventory's reference levels kept in every draw): as coded
    (``odds_ratio_coded``, Wald ``ci_low_coded``/``ci_high_coded``, ``p_value_coded`` and BH
    ``q_value_coded`` over the table) and pooled over ``draws`` imputations on the log scale
    by Rubin's rules (``odds_ratio``, ``ci_low``, ``ci_high``, ``df``, ``fmi``, ``p_value``
    from t on ``df``, ``q_value``); ``widening`` is the pooled interval's width over the
    coded one's (log scale) and ``changed`` marks a conclusion at q < 0.05 that differs. A
    term not estimable in the coded inventory or in some draw is not pooled (``reason``)."""
    frame = frame or load_frame()
    keys = ["flag", "term", "level"]
    base = stats.logistic(cases, terms=terms, frame=frame, conf=conf, std_errors=True)
    references = {
        str(t): str(r)
        for t, r in zip(base["term"], base["reference"])
        if not pd.isna(r) and t not in ("technique", "techniques")
    }
    runs = [
        stats.logistic(
            d, terms=terms, frame=frame, conf=conf, references=references, std_errors=True
        )
        .drop_duplicates(keys)
        .set_index(keys)
        for d in draw_cases(cases, drawn, draws, seed, classes, frame)
    ]
    base = base.drop_duplicates(keys).reset_index(drop=True)
    index = base.set_index(keys).index
    log_or = np.stack([np.log(t["odds_ratio"].reindex(index).to_numpy(float)) for t in runs])
    se = np.stack([t["se_log_odds"].reindex(index).to_numpy(float) for t in runs])
    usable = np.isfinite(log_or).all(axis=0) & np.isfinite(se).all(axis=0) & (se > 0).all(axis=0)
    usable &= base["estimable"].fillna(False).to_numpy(dtype=bool)
    pooled = rubin(np.where(usable, log_or, 0.0), np.where(usable, se**2, 1.0), conf=conf)
    z = sps.norm.ppf(0.5 + conf / 2)
    b0 = np.log(base["odds_ratio"].to_numpy(float))
    s0 = base["se_log_odds"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        t_stat = pooled["estimate"].to_numpy() / np.sqrt(pooled["total"].to_numpy())
        df = pooled["df"].to_numpy()
        p_pooled = np.where(
            np.isinf(df), 2 * sps.norm.sf(np.abs(t_stat)), 2 * sps.t.sf(np.abs(t_stat), df)
        )
        half = _quantile(conf, df) * np.sqrt(pooled["total"].to_numpy())
        widening = half / (z * s0)
    reasons = np.where(
        usable,
        "",
        np.where(
            base["estimable"].fillna(False).to_numpy(dtype=bool),
            "not estimable in every draw",
            base["reason"].fillna("").astype(str).to_numpy(),
        ),
    )
    out = pd.DataFrame(
        {
            "flag": base["flag"].to_numpy(),
            "term": base["term"].to_numpy(),
            "level": base["level"].to_numpy(),
            "reference": base["reference"].to_numpy(),
            "n": base["n"].to_numpy(),
            "odds_ratio_coded": np.exp(b0),
            "ci_low_coded": np.exp(b0 - z * s0),
            "ci_high_coded": np.exp(b0 + z * s0),
            "p_value_coded": base["p_value"].to_numpy(float),
            "odds_ratio": np.where(usable, np.exp(pooled["estimate"]), np.nan),
            "ci_low": np.where(usable, np.exp(pooled["ci_low"]), np.nan),
            "ci_high": np.where(usable, np.exp(pooled["ci_high"]), np.nan),
            "df": np.where(usable, df, np.nan),
            "fmi": np.where(usable, pooled["fmi"], np.nan),
            "p_value": np.where(usable, p_pooled, np.nan),
            "widening": np.where(usable, widening, np.nan),
            "reason": reasons,
        }
    )
    out["q_value_coded"] = stats.bh(out["p_value_coded"].to_numpy(float))
    out["q_value"] = stats.bh(out["p_value"].to_numpy(float))
    out["changed"] = ((out["q_value_coded"] < ALPHA) != (out["q_value"] < ALPHA)) & out[
        "q_value"
    ].notna()
    order = [
        "flag", "term", "level", "reference", "n",
        "odds_ratio_coded", "ci_low_coded", "ci_high_coded", "p_value_coded", "q_value_coded",
        "odds_ratio", "ci_low", "ci_high", "df", "fmi", "p_value", "q_value",
        "widening", "changed", "reason",
    ]  # fmt: skip
    return out[order]


@dataclass
class Pooled:
    """What :func:`pooled` gives: what was drawn (``scope``), the pooled prevalences,
    association tests and odds ratios, and one row per analysis summarising the widening
    (``summary``)."""

    scope: pd.DataFrame
    prevalence: pd.DataFrame
    association: pd.DataFrame
    odds_ratios: pd.DataFrame
    summary: pd.DataFrame
    draws: int
    drawn: int

    def reading(self, language: str = config.DEFAULT_LANGUAGE, frame: Frame | None = None) -> str:
        """One sentence on how far coder uncertainty matters (the frame's ``phrases``)."""
        frame = frame or load_frame()
        if self.drawn == 0:
            text = "no value of this inventory was coded with a calibrated probability"
        else:
            s = self.summary.set_index("pooled_analysis")
            text = (
                f"multiple imputation over {self.draws} draws of {self.drawn} model-coded "
                f"values: intervals {s.at['prevalence', 'widening_median']:.2f} times as wide "
                f"at the median (at most {s.at['prevalence', 'widening_max']:.2f}), "
                f"at most {s['fmi_max'].max():.2f} of the information missing; of "
                f"{int(s['tests'].sum())} conclusions at q < 0.05, {int(s['changed'].sum())} change"
            )
        return vocabulary(frame, language).word(text) or text


def _summary_row(name: str, estimands: int, ratio, fmi: pd.Series, tests: pd.DataFrame) -> dict:
    """One row of :attr:`Pooled.summary`: interval widening (``ratio``), fraction of missing
    information and the tests whose conclusion changed."""
    ratio = np.asarray(ratio, dtype=float)
    ratio = ratio[np.isfinite(ratio)]
    return {
        "pooled_analysis": name,
        "estimands": estimands,
        "widening_median": float(np.median(ratio)) if len(ratio) else np.nan,
        "widening_max": float(np.max(ratio)) if len(ratio) else np.nan,
        "fmi_median": float(fmi.median()) if len(fmi) else np.nan,
        "fmi_max": float(fmi.max()) if len(fmi) else np.nan,
        "tests": len(tests),
        "changed": int(tests["changed"].sum()) if len(tests) else 0,
    }


def _summary(
    prevalence: pd.DataFrame, association: pd.DataFrame, odds_ratios: pd.DataFrame
) -> pd.DataFrame:
    tested = association[association["q_value"].notna()]
    fitted = odds_ratios[odds_ratios["q_value"].notna()]
    return pd.DataFrame(
        [
            _summary_row(
                "prevalence", len(prevalence), prevalence["widening"], prevalence["fmi"], []
            ),
            # the D2 rule's share of variance from the draws
            _summary_row(
                "association", len(association), [], tested["r2"] / (1 + tested["r2"]), tested
            ),
            _summary_row(
                "odds_ratios", len(odds_ratios), fitted["widening"], fitted["fmi"], fitted
            ),
        ]
    )


@memo.cached
def pooled(
    cases: pd.DataFrame,
    codes: pd.DataFrame,
    by: str = "category",
    draws: int = DRAWS,
    seed: int = config.SEED,
    frame: Frame | None = None,
    distributions: pd.DataFrame | None = None,
) -> Pooled:
    """A coded inventory (its ``cases``, the coder's ``codes`` and its ``distributions``
    over categories and techniques, :class:`analysis.coding.CodedInventory`) analysed with
    its calibrated codes drawn ``draws`` times and pooled (module docstring)."""
    frame = frame or load_frame()
    drawn = drawable(cases, codes, frame)
    classes = drawable_classes(cases, distributions, frame)
    prevalence = pooled_prevalence(cases, drawn, by, draws, seed, frame=frame, classes=classes)
    association = pooled_association(cases, drawn, by, draws, seed, frame, classes)
    odds_ratios = pooled_logistic(cases, drawn, draws, seed, frame, classes)
    units = len(drawn) + classes.groupby(["row", "field"]).ngroups if len(classes) else len(drawn)
    return Pooled(
        scope(cases, codes, drawn, frame, classes),
        prevalence,
        association,
        odds_ratios,
        _summary(prevalence, association, odds_ratios),
        draws,
        units,
    )
