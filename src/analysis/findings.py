"""Key findings: per inventory the strongest and weakest pair of risks, with intervals and
tests; between inventories the prevalence of each risk and the category mix, tested.

Choices, stated once:

* pairs: the 15 unordered pairs of the six flags; a pair uses the cases that report both
  (``na_policy="pairwise"``). Jaccard with a 95% percentile bootstrap interval (the cases of
  the inventory resampled with replacement, ``n_boot`` draws, seed :data:`config.SEED`);
  P(B | A) with a Wilson interval; φ.
* test per pair: Fisher's exact test (two-sided) on the 2 × 2 table of the cases reporting
  both (both / only A / only B / neither); Benjamini–Hochberg q-values over the family of
  the 15 pairs of one inventory.
* strongest and weakest pair: the highest and the lowest Jaccard among the pairs with at
  least ``min_n`` cases reporting both (ties: more cases ticked with both, then frame order).
* between inventories: per flag an inventory × (yes, no) table of the cases reporting it;
  per category an inventory × (in the category, in another) table of the cases with a
  category. Pearson χ² (no continuity correction) when every expected count is at least 5,
  otherwise Fisher's exact test for two inventories and a seeded Monte Carlo permutation
  p-value (:func:`analysis.stats.permutation_pvalue`) for more. BH over the family of the
  six flags, and separately over the family of the five categories; the same tests for
  each pair of inventories, BH over all flags × pairs of inventories.

Every number in a sentence is formatted from the result table by :func:`measure_text`,
:func:`percent_text` and :func:`p_text`.
"""

from __future__ import annotations

import html
import re
from itertools import combinations

import numpy as np
import pandas as pd

from . import config, cooccurrence, memo
from .errors import AnalysisError
from .frame import Frame, load_frame

#: Fewest cases reporting both flags for a pair to be named strongest or weakest.
MIN_PAIR_CASES = 10
#: Expected count below which χ² gives way to an exact or permutation test.
MIN_EXPECTED = 5
CONF = 0.95

#: Short names of the bundled inventories (zh-TW, en); others use their mapping's title.
INVENTORY_NAMES = {
    "study": ("研究節錄案例", "The study's cases"),
    "taiwan-public": ("臺灣公部門公開案例", "Taiwanese public cases"),
    "us-federal-2023": ("美國聯邦 2023", "US federal 2023"),
    "us-federal-2024": ("美國聯邦 2024", "US federal 2024"),
    "us-federal-2025": ("美國聯邦 2025", "US federal 2025"),
    "jrc-ai-watch": ("歐盟 JRC AI Watch", "EU JRC AI Watch"),
}
#: Who made a code, by the value of a ``<field>_coded_by`` column (zh-TW, en).
CODERS = {
    "study": ("研究原始編碼", "the study's own coding"),
    "annotator:adjudicated": ("兩次獨立標註後裁決", "two blind annotation passes, adjudicated"),
    "crosswalk": ("盤點官方欄位經對照轉換", "the inventory's official fields, by a crosswalk"),
    "source": ("來源自身的標籤", "the source's own label"),
    "model": ("模型自動編碼", "model-coded"),
    "rules": ("規則自動編碼", "rule-coded"),
    "not coded": ("未編碼", "not coded"),
}
#: Sentences and headings of the key-findings report (zh-TW, en).
TEXTS = {
    "strongest": (
        "最強配對為「{a}」與「{b}」：Jaccard {j}（95% 信賴區間 [{lo}, {hi}]），"
        "{n} 件同時有報告的案例中 {count} 件兩者皆勾選；φ {phi}；Fisher 精確檢定 p {p}，q {q}。",
        "Strongest pair: {a} and {b}, Jaccard {j} (95% CI [{lo}, {hi}]); both ticked in "
        "{count} of the {n} cases reporting both; φ {phi}; Fisher's exact p {p}, q {q}.",
    ),
    "weakest": (
        "最弱配對為「{a}」與「{b}」：Jaccard {j}（95% 信賴區間 [{lo}, {hi}]），"
        "{n} 件同時有報告的案例中 {count} 件兩者皆勾選；φ {phi}；Fisher 精確檢定 p {p}，q {q}。",
        "Weakest pair: {a} and {b}, Jaccard {j} (95% CI [{lo}, {hi}]); both ticked in "
        "{count} of the {n} cases reporting both; φ {phi}; Fisher's exact p {p}, q {q}.",
    ),
    "asked_of": (
        "其中「{risks}」只問了部分案例，這一對描述的是被問到的子母體，而非整個盤點。",
        "{risks}: asked of some cases only, so this pair describes the subpopulation asked, "
        "not the whole inventory.",
    ),
    "no_pair": (
        "沒有任何配對有至少 {min_n} 件同時有報告的案例。",
        "No pair has at least {min_n} cases reporting both.",
    ),
    "prevalence": (
        "「{label}」盛行率：{values}；{test} p {p}，q {q}。",
        "{label} prevalence: {values}; {test} p {p}, q {q}.",
    ),
    "category_share": (
        "「{label}」占有類別案例之比例：{values}；{test} p {p}，q {q}。",
        "{label}, share of the cases with a category: {values}; {test} p {p}, q {q}.",
    ),
    "untestable": (
        "「{label}」：{values}；無法檢定（{reason}）。",
        "{label}: {values}; not tested ({reason}).",
    ),
    "value": (
        "{inventory} {share} [{lo}, {hi}]（n = {n}）",
        "{inventory} {share} [{lo}, {hi}] (n = {n})",
    ),
    "coded_by": (
        "{inventory}：類別由{category}，風險由{flags}。",
        "{inventory}: categories by {category}; risks by {flags}.",
    ),
    "coder_share": ("{coder}（{count}/{cases} 件）", "{coder} ({count} of {cases})"),
    "prevalence_axis": ("盛行率（95% Wilson 信賴區間）", "Prevalence (95% Wilson interval)"),
    "prevalence_title": ("各盤點之風險盛行率", "Risk prevalence by inventory"),
    "category_axis": ("有類別之案例占比", "Share of cases with a category"),
    "category_title": ("各盤點之應用類型分布", "AI use categories by inventory"),
    "undefined": ("未定義", "undefined"),
}
TEST_NAMES = {
    "chi2": ("χ² 檢定", "χ² test"),
    "fisher": ("Fisher 精確檢定", "Fisher's exact test"),
    "permutation": ("置換檢定", "permutation test"),
}


def _text(key: str, language: str, table: dict = TEXTS, **fmt) -> str:
    """The zh-TW or English text of ``table[key]`` with ``fmt`` filled in."""
    zh, en = table[key]
    return (en if language == "en" else zh).format(**fmt)


# -- numbers as printed -------------------------------------------------------------------
def measure_text(x: float) -> str:
    """A measure (Jaccard, φ, a probability) with three decimals; undefined as "—"."""
    return "—" if pd.isna(x) else f"{x:.3f}"


def percent_text(x: float) -> str:
    """A share as a percentage with one decimal."""
    return "—" if pd.isna(x) else f"{100 * x:.1f}%"


def p_text(p: float) -> str:
    """A p- or q-value: "= 0.034", or "< 0.001" below a thousandth."""
    if pd.isna(p):
        return "—"
    return "< 0.001" if p < 0.001 else f"= {p:.3f}"


# -- inventories --------------------------------------------------------------------------
def base_inventory(name: str) -> str:
    """The bundled inventory a name derives from (``-coded`` and ``-annotated`` removed)."""
    return name.removesuffix(config.CODED_SUFFIX).removesuffix(config.ANNOTATED_SUFFIX)


def _markdown_text(value: object) -> str:
    """A data value as literal Markdown text: HTML escaped, Markdown's emphasis, code and
    link characters backslash-escaped (a sentence may hold a mapping's title or a coder)."""
    return re.sub(r"([\\`*_\[\]])", r"\\\1", html.escape(str(value), quote=False))


def inventory_label(name: str, language: str, frame: Frame | None = None) -> str:
    """A short name of an inventory in ``language``."""
    base = base_inventory(name)
    if base in INVENTORY_NAMES:
        return _text(base, language, INVENTORY_NAMES)
    from . import inventories, mapping

    spec = mapping.load_mapping(inventories.mapping_path(base), frame or load_frame())
    return spec.title_en if language == "en" else spec.title_zh


def load_cases(names: list[str], frame: Frame | None = None) -> dict[str, pd.DataFrame]:
    """``{name: cases}`` for each inventory name, in the order given."""
    from . import coding

    if not names:
        raise AnalysisError("key findings need at least one inventory (parameter inventories)")
    return {name: coding.cases_for(name, frame) for name in names}


# -- pairs within one inventory -------------------------------------------------------------
def _unordered(pairs: pd.DataFrame, flags: list[str]) -> pd.DataFrame:
    """The rows of an ordered pair table with flag_a before flag_b in frame order."""
    rank = {f: i for i, f in enumerate(flags)}
    a, b = pairs["flag_a"].map(rank), pairs["flag_b"].map(rank)
    return pairs[a < b].reset_index(drop=True)


def bootstrap_jaccard(
    cases: pd.DataFrame,
    pairs: list[tuple[str, str]],
    n_boot: int,
    seed: int = config.SEED,
    conf: float = CONF,
) -> tuple[np.ndarray, np.ndarray]:
    """Percentile bootstrap interval of each pair's Jaccard (pairwise NA policy): the cases
    resampled with replacement ``n_boot`` times (one multinomial draw of case weights per
    resample). Draws where a pair has no case with either flag are left out; NaN when
    every draw is."""
    low, high = np.full(len(pairs), np.nan), np.full(len(pairs), np.nan)
    if len(cases) == 0 or not pairs:
        return low, high
    flags = sorted({f for pair in pairs for f in pair})
    index = {f: j for j, f in enumerate(flags)}
    states = cooccurrence.flag_states(cases, flags)
    yes = states == cooccurrence.YES
    reported = states != cooccurrence.NOT_REPORTED
    both = np.stack([yes[:, index[a]] & yes[:, index[b]] for a, b in pairs], axis=1)
    union = np.stack(
        [
            reported[:, index[a]] & reported[:, index[b]] & (yes[:, index[a]] | yes[:, index[b]])
            for a, b in pairs
        ],
        axis=1,
    )
    n = len(cases)
    weights = np.random.default_rng(seed).multinomial(n, np.full(n, 1 / n), size=n_boot)
    with np.errstate(divide="ignore", invalid="ignore"):
        draws = (weights @ both.astype(float)) / (weights @ union.astype(float))
    tail = (1 - conf) / 2 * 100
    for j in range(len(pairs)):
        column = draws[:, j][~np.isnan(draws[:, j])]
        if len(column):
            low[j], high[j] = np.percentile(column, [tail, 100 - tail])
    return low, high


def pair_tests(
    cases: pd.DataFrame,
    n_boot: int = config.N_BOOT,
    seed: int = config.SEED,
    frame: Frame | None = None,
) -> pd.DataFrame:
    """Every unordered pair of flags of one inventory (see the module docstring).

    Columns: ``flag_a``, ``flag_b``, ``n`` (cases reporting both), ``n_a``, ``n_b``,
    ``count`` (both ticked), ``jaccard`` with ``jaccard_low``/``jaccard_high``, ``phi``,
    ``p_b_given_a`` with ``p_b_given_a_low``/``p_b_given_a_high``, ``odds_ratio`` (sample),
    ``p_value`` (Fisher) and ``q_value`` (BH over the pairs of this table)."""
    from scipy import stats as sps

    from . import stats

    frame = frame or load_frame()
    table = _unordered(cooccurrence.pairs(cases, None, "pairwise", frame=frame), frame.flag_keys)
    table = table[["flag_a", "flag_b", "n", "n_a", "n_b", "count", "jaccard", "phi"]].copy()
    keys = list(zip(table["flag_a"], table["flag_b"]))
    table["jaccard_low"], table["jaccard_high"] = bootstrap_jaccard(cases, keys, n_boot, seed)
    table["p_b_given_a"] = np.where(table["n_a"] > 0, table["count"] / table["n_a"], np.nan)
    table["p_b_given_a_low"], table["p_b_given_a_high"] = stats.wilson(table["count"], table["n_a"])
    odds, p_values = [], []
    for row in table.itertuples():
        result = sps.fisher_exact(two_by_two(row.n, row.n_a, row.n_b, row.count))
        odds.append(float(result.statistic))
        p_values.append(float(result.pvalue) if row.n > 0 else np.nan)
    table["odds_ratio"], table["p_value"] = odds, p_values
    table["q_value"] = stats.bh(table["p_value"].to_numpy(dtype=float))
    order = ["flag_a", "flag_b", "n", "n_a", "n_b", "count", "jaccard", "jaccard_low"]
    order += ["jaccard_high", "phi", "p_b_given_a", "p_b_given_a_low", "p_b_given_a_high"]
    out = table[order + ["odds_ratio", "p_value", "q_value"]].reset_index(drop=True)
    return _family(out, "pairs")


def two_by_two(n: int, n_a: int, n_b: int, count: int) -> np.ndarray:
    """The 2 × 2 table (a yes / no) × (b yes / no) of the cases reporting both flags."""
    return np.array([[count, n_a - count], [n_b - count, n - n_a - n_b + count]], dtype=np.int64)


@memo.cached(defaults={"frame": load_frame})
def all_pair_tests(
    cases: dict[str, pd.DataFrame],
    n_boot: int = config.N_BOOT,
    seed: int = config.SEED,
    frame: Frame | None = None,
) -> pd.DataFrame:
    """:func:`pair_tests` of each inventory, stacked with an ``inventory`` column first and
    ``asked_of`` last: the pair's risks that inventory asked of some cases only
    (:func:`analysis.cooccurrence.mark_subpopulations`)."""
    parts = [
        cooccurrence.mark_subpopulations(
            pair_tests(table, n_boot, seed, frame), table, frame
        ).assign(inventory=name)
        for name, table in cases.items()
    ]
    out = pd.concat(parts, ignore_index=True)
    return out[["inventory"] + [c for c in out.columns if c != "inventory"]]


def extremes(pairs: pd.DataFrame, min_n: int = MIN_PAIR_CASES) -> pd.DataFrame:
    """Per inventory the strongest and the weakest pair (``rank``: ``strongest`` or
    ``weakest``) among pairs with ``n >= min_n`` and a defined Jaccard; an inventory with no
    such pair has none."""
    rows = []
    for _, group in pairs.groupby("inventory", sort=False):
        usable = group[(group["n"] >= min_n) & group["jaccard"].notna()]
        if usable.empty:
            continue
        position = pd.Series(np.arange(len(usable)), index=usable.index)
        strongest = usable.assign(_pos=position).sort_values(
            ["jaccard", "count", "_pos"], ascending=[False, False, True], kind="stable"
        )
        weakest = usable.assign(_pos=position).sort_values(
            ["jaccard", "count", "_pos"], ascending=[True, True, True], kind="stable"
        )
        rows.append(strongest.iloc[0].drop("_pos").to_dict() | {"rank": "strongest"})
        rows.append(weakest.iloc[0].drop("_pos").to_dict() | {"rank": "weakest"})
    columns = ["rank", *pairs.columns]
    return pd.DataFrame(rows, columns=[*pairs.columns, "rank"])[columns]


def pair_sentences(
    pairs: pd.DataFrame,
    chosen: pd.DataFrame,
    language: str,
    min_n: int = MIN_PAIR_CASES,
    frame: Frame | None = None,
) -> list[str]:
    """One Markdown line per inventory of ``pairs``: its strongest and weakest pair from
    ``chosen`` (:func:`extremes`), every number formatted from those rows."""
    frame = frame or load_frame()
    lines = []
    for name in dict.fromkeys(pairs["inventory"]):
        rows = chosen[chosen["inventory"] == name]
        parts = [
            _text(
                r["rank"],
                language,
                a=frame.label("flag", r["flag_a"], language),
                b=frame.label("flag", r["flag_b"], language),
                j=measure_text(r["jaccard"]),
                lo=measure_text(r["jaccard_low"]),
                hi=measure_text(r["jaccard_high"]),
                n=int(r["n"]),
                count=int(r["count"]),
                phi=measure_text(r["phi"]),
                p=p_text(r["p_value"]),
                q=p_text(r["q_value"]),
            )
            + _asked_of_text(r.get("asked_of"), language, frame)
            for _, r in rows.iterrows()
        ] or [_text("no_pair", language, min_n=min_n)]
        label = _markdown_text(inventory_label(name, language, frame))
        lines.append(f"- **{label}** — " + " ".join(parts))
    return lines


def _asked_of_text(asked_of, language: str, frame: Frame) -> str:
    """The sentence naming a pair's risks asked of some cases only (empty when none)."""
    if asked_of is None or pd.isna(asked_of) or not str(asked_of):
        return ""
    sep = "、" if language != "en" else ", "
    risks = sep.join(frame.label("flag", f, language) for f in str(asked_of).split(";") if f)
    return (" " if language == "en" else "") + _text("asked_of", language, risks=risks)


# -- between inventories --------------------------------------------------------------------
def difference_test(table: np.ndarray, n_permutations: int = 10_000, seed: int = config.SEED):
    """The test of an inventory × (yes, no) table: ``(test, statistic, p_value, reason)``
    (see the module docstring); rows without cases are left out first."""
    from scipy import stats as sps

    from . import stats

    table = np.asarray(table, dtype=np.int64)
    table = table[table.sum(axis=1) > 0]
    if len(table) < 2:
        return "not testable", np.nan, np.nan, "fewer than two strata report the flag"
    if table[:, 0].sum() == 0 or table[:, 1].sum() == 0:
        return "not testable", np.nan, np.nan, "the flag does not vary (all yes or all no)"
    chi2, p, _, expected = sps.chi2_contingency(table, correction=False)
    if expected.min() >= MIN_EXPECTED:
        return "chi2", float(chi2), float(p), ""
    if len(table) == 2:
        below = f"expected count below {MIN_EXPECTED:g}"
        return "fisher", float(chi2), float(sps.fisher_exact(table).pvalue), below
    p = stats.permutation_pvalue(table, n_permutations, seed)
    reason = f"expected count below {MIN_EXPECTED:g}; {n_permutations} permutations"
    return "permutation", float(chi2), p, reason


def _indicators(cases: pd.DataFrame, kind: str, frame: Frame) -> dict[str, pd.Series]:
    """``{key: boolean Series}`` per flag (NA: not reported) or per category (NA: no
    category)."""
    if kind == "flag":
        return {f: cases[f].astype("boolean") for f in frame.flag_keys}
    category = cases["category"].astype("string")
    return {c: (category == c).astype("boolean") for c in frame.category_keys}


@memo.cached(defaults={"frame": load_frame})
def prevalence_by_inventory(
    cases: dict[str, pd.DataFrame], kind: str = "flag", frame: Frame | None = None
) -> pd.DataFrame:
    """Per flag (``kind="flag"``) or category (``"category"``) and inventory: ``yes``, ``n``
    (cases reporting the flag, or with a category), ``share`` with a Wilson interval."""
    from . import stats

    frame = frame or load_frame()
    rows = []
    for name, table in cases.items():
        for key, values in _indicators(table, kind, frame).items():
            known = values.dropna()
            rows.append({kind: key, "inventory": name, "yes": int(known.sum()), "n": len(known)})
    out = pd.DataFrame(rows)
    out["share"] = np.where(out["n"] > 0, out["yes"] / out["n"].where(out["n"] > 0), np.nan)
    out["share_low"], out["share_high"] = stats.wilson(out["yes"], out["n"])
    order = {k: i for i, k in enumerate(frame.keys("flag" if kind == "flag" else "category"))}
    out = out.sort_values(kind, key=lambda s: s.map(order), kind="stable")
    return out.reset_index(drop=True)


def _tests(
    prevalence: pd.DataFrame, kind: str, groups: list[list[str]], n_permutations: int, family: str
):
    from . import stats

    rows = []
    for key, block in prevalence.groupby(kind, sort=False):
        block = block.set_index("inventory")
        for names in groups:
            counts = block.loc[names, ["yes", "n"]].to_numpy(dtype=np.int64)
            table = np.stack([counts[:, 0], counts[:, 1] - counts[:, 0]], axis=1)
            test, statistic, p, reason = difference_test(table, n_permutations)
            rows.append(
                {
                    kind: key,
                    "inventories": " | ".join(names),
                    "n": int(counts[:, 1].sum()),
                    "test": test,
                    "statistic": statistic,
                    "p_value": p,
                    "reason": reason,
                }
            )
    out = pd.DataFrame(rows)
    out.insert(len(out.columns) - 1, "q_value", stats.bh(out["p_value"].to_numpy(dtype=float)))
    return _family(out, family)


#: The multiple-testing family of each table of q-values (phrases of the frame, so shown in
#: either language); ``{n}``: the tests with a p-value in it.
FAMILIES = {
    "pairs": "BH over the {n} Fisher's exact tests of risk pairs in this inventory",
    "flag": "BH over the {n} tests of risks across the inventories compared",
    "flag_pairs": "BH over the {n} tests of risks × pairs of inventories",
    "category": "BH over the {n} tests of categories across the inventories compared",
    "category_pairs": "BH over the {n} tests of categories × pairs of inventories",
}


def _family(table: pd.DataFrame, family: str) -> pd.DataFrame:
    """``table`` with a ``family`` column (and ``attrs["family"]``): which tests its BH
    q-values are adjusted over, and how many."""
    n = int(np.isfinite(table["p_value"].to_numpy(dtype=float)).sum())
    words = FAMILIES[family].replace("{n}", str(n))
    table = table.assign(family=words)
    table.attrs["family"] = words
    return table


@memo.cached
def compare(
    prevalence: pd.DataFrame, kind: str = "flag", n_permutations: int = 10_000
) -> pd.DataFrame:
    """One test per flag (or category) of a difference across all the inventories of
    ``prevalence`` (:func:`prevalence_by_inventory`), BH over the flags (or categories)."""
    names = list(dict.fromkeys(prevalence["inventory"]))
    return _tests(prevalence, kind, [names], n_permutations, kind)


@memo.cached
def compare_pairs(
    prevalence: pd.DataFrame, kind: str = "flag", n_permutations: int = 10_000
) -> pd.DataFrame:
    """:func:`compare` for each pair of inventories, BH over flags × pairs of inventories."""
    names = list(dict.fromkeys(prevalence["inventory"]))
    return _tests(
        prevalence, kind, [list(p) for p in combinations(names, 2)], n_permutations, f"{kind}_pairs"
    )


def comparison_sentences(
    prevalence: pd.DataFrame,
    tests: pd.DataFrame,
    kind: str,
    language: str,
    frame: Frame | None = None,
) -> list[str]:
    """One Markdown line per flag (or category): each inventory's share with its interval and
    ``n``, and the test with its p- and q-value."""
    frame = frame or load_frame()
    lines = []
    for row in tests.itertuples():
        key = getattr(row, kind)
        block = prevalence[prevalence[kind] == key]
        values = "、" if language != "en" else "; "
        values = values.join(
            _text(
                "value",
                language,
                inventory=_markdown_text(inventory_label(r.inventory, language, frame)),
                share=percent_text(r.share),
                lo=percent_text(r.share_low),
                hi=percent_text(r.share_high),
                n=int(r.n),
            )
            for r in block.itertuples()
        )
        label = frame.label(kind, key, language)
        if row.test == "not testable":
            lines.append(
                "- "
                + _text(
                    "untestable",
                    language,
                    label=label,
                    values=values,
                    reason=_markdown_text(row.reason),
                )
            )
            continue
        lines.append(
            "- "
            + _text(
                "prevalence" if kind == "flag" else "category_share",
                language,
                label=label,
                values=values,
                test=_text(row.test, language, TEST_NAMES),
                p=p_text(row.p_value),
                q=p_text(row.q_value),
            )
        )
    return lines


# -- who coded what -----------------------------------------------------------------------
def coded_by(cases: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Per inventory and field (``category``, ``flags``): each coder (``<field>_coded_by``,
    ``not coded`` where empty) with its case count and share."""
    rows = []
    for name, table in cases.items():
        for field in ("category", "flags"):
            column = f"{field}_coded_by"
            values = (
                table[column].astype("string").fillna("not coded")
                if column in table.columns
                else pd.Series(["not coded"] * len(table), dtype="string")
            )
            for coder, count in values.value_counts(sort=False).sort_index().items():
                rows.append(
                    {
                        "inventory": name,
                        "field": field,
                        "coded_by": str(coder),
                        "cases": int(count),
                        "share": count / len(table),
                    }
                )
    return pd.DataFrame(rows, columns=["inventory", "field", "coded_by", "cases", "share"])


def coder_name(value: str, language: str) -> str:
    """A ``coded_by`` value in words (unknown values as they are)."""
    return _text(value, language, CODERS) if value in CODERS else value


def coded_by_sentences(table: pd.DataFrame, language: str, frame: Frame | None = None) -> list[str]:
    """One Markdown line per inventory: who coded its categories and its risk flags."""
    lines = []
    for name, block in table.groupby("inventory", sort=False):
        described = {}
        for field, rows in block.groupby("field", sort=False):
            described[field] = "、".join(
                _text(
                    "coder_share",
                    language,
                    coder=_markdown_text(coder_name(r.coded_by, language)),
                    count=r.cases,
                    cases=int(rows["cases"].sum()),
                )
                for r in rows.sort_values("cases", ascending=False, kind="stable").itertuples()
            )
        lines.append(
            "- "
            + _text(
                "coded_by",
                language,
                inventory=_markdown_text(inventory_label(name, language, frame)),
                category=described.get("category", ""),
                flags=described.get("flags", ""),
            )
        )
    return lines


# -- figures ------------------------------------------------------------------------------
def prevalence_figure(
    prevalence: pd.DataFrame, language: str = config.DEFAULT_LANGUAGE, frame: Frame | None = None
):
    """One panel per inventory: each flag's prevalence with its Wilson interval, in the
    frame's flag colours."""
    import matplotlib.pyplot as plt

    from . import figures

    figures.setup()
    frame = frame or load_frame()
    names = list(dict.fromkeys(prevalence["inventory"]))
    flags = frame.flag_keys
    fig, axes = plt.subplots(
        1, len(names), figsize=(1.2 + 2.6 * len(names), 0.42 * len(flags) + 1.6), sharey=True
    )
    axes = np.atleast_1d(axes)
    colours = [frame.entry("flag", f).colour for f in flags]
    y = np.arange(len(flags))
    for ax, name in zip(axes, names):
        block = prevalence[prevalence["inventory"] == name].set_index("flag").reindex(flags)
        share = block["share"].to_numpy(dtype=float)
        err = np.vstack([share - block["share_low"], block["share_high"] - share])
        for yi, s, lo, hi, colour in zip(y, share, err[0], err[1], colours):
            if not np.isnan(s):
                ax.errorbar(s, yi, xerr=[[lo], [hi]], fmt="o", color=colour, capsize=3)
        ax.set_xlim(0, 1)
        ax.set_title(inventory_label(name, language, frame), fontsize=10)
        ax.set_xlabel(_text("prevalence_axis", language), fontsize=8)
        ax.grid(axis="x", alpha=0.3)
    axes[0].set_yticks(y, [frame.label("flag", f, language) for f in flags])
    axes[0].set_ylabel(frame.heading("flag", language))
    axes[0].invert_yaxis()
    fig.suptitle(_text("prevalence_title", language))
    fig.tight_layout()
    return fig


def category_figure(
    categories: pd.DataFrame, language: str = config.DEFAULT_LANGUAGE, frame: Frame | None = None
):
    """Stacked horizontal bars: the category mix of each inventory's cases with a category,
    in the frame's category colours."""
    import matplotlib.pyplot as plt

    from . import figures

    figures.setup()
    frame = frame or load_frame()
    names = list(dict.fromkeys(categories["inventory"]))
    fig, ax = plt.subplots(figsize=(8.0, 0.5 * len(names) + 1.6))
    left = np.zeros(len(names))
    for key in frame.category_keys:
        block = categories[categories["category"] == key].set_index("inventory").reindex(names)
        share = block["share"].fillna(0).to_numpy(dtype=float)
        ax.barh(
            np.arange(len(names)),
            share,
            left=left,
            color=frame.entry("category", key).colour,
            label=frame.label("category", key, language),
        )
        left += share
    ax.set_yticks(np.arange(len(names)), [inventory_label(n, language, frame) for n in names])
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel(_text("category_axis", language))
    ax.set_ylabel(frame.heading("inventory", language))
    ax.set_title(_text("category_title", language))
    ax.legend(
        title=frame.heading("category", language),
        loc="center left",
        bbox_to_anchor=(1.01, 0.5),
        fontsize=8,
        frameon=False,
    )
    fig.tight_layout()
    return fig


# -- tables as shown ------------------------------------------------------------------------
#: Result columns shown under the frame's headings of the same meaning.
SHOWN_AS = {
    "jaccard_low": "ci_low",
    "jaccard_high": "ci_high",
    "share": "prevalence",
    "share_low": "ci_low",
    "share_high": "ci_high",
    "inventories": "inventory",
}
SHOWN_COLUMNS = {
    "pairs": ["inventory", "flag_a", "flag_b", "n", "count", "jaccard", "jaccard_low"]
    + ["jaccard_high", "phi", "p_b_given_a", "p_value", "q_value", "family", "asked_of"],
    "prevalence": ["inventory", "yes", "n", "share", "share_low", "share_high"],
    "tests": ["inventories", "n", "test", "statistic", "p_value", "q_value", "reason", "family"],
    "coded_by": ["inventory", "field", "coded_by", "cases", "share"],
}


def shown(
    table: pd.DataFrame, kind: str, language: str, frame: Frame | None = None
) -> pd.DataFrame:
    """The columns of a result table a report shows (``kind``: a key of
    :data:`SHOWN_COLUMNS`; a leading ``flag`` or ``category`` column is kept), inventories
    and coders in words, columns renamed to the frame's headings (:data:`SHOWN_AS`)."""
    frame = frame or load_frame()
    lead = [c for c in ("flag", "category") if c in table.columns]
    out = table[lead + SHOWN_COLUMNS[kind]].copy()
    for column in ("inventory", "inventories"):
        if column in out.columns:
            out[column] = [
                " | ".join(inventory_label(n, language, frame) for n in str(v).split(" | "))
                for v in out[column]
            ]
    if "coded_by" in out.columns:
        out["coded_by"] = [coder_name(v, language) for v in out["coded_by"]]
    return out.rename(columns=SHOWN_AS)
