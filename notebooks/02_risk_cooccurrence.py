# %% [markdown]
# # 風險共現 · Risk co-occurrence
#
# Which of the six risks the study's coders ticked appear together, how that differs by AI use category and technique, and whether the differences are more than chance. Co-occurrence counts, Jaccard, conditional probability, lift and φ for every pair of risks; prevalence with Wilson intervals per stratum; exact risk combinations (UpSet); association tests with Benjamini–Hochberg q-values; logistic regression with Firth's correction where cells are sparse; Cochran's Q and McNemar tests between risks. A risk not reported is never read as "no" unless `na_policy` says so. Run with another `inventory` (or a list, to pool) for any coded inventory.

# %% tags=["parameters"]
inventory: str = "study"  # an inventory name or a mapping file path, or a list of them to pool
stratify_by: str = "category"  # the column whose strata are compared
language: str = "zh-TW"  # zh-TW or en
min_stratum_size: int = 1  # strata with fewer cases are left out
na_policy: str = "pairwise"  # a risk not reported: pairwise (left out per pair), as_no or complete
measure: str = "jaccard"  # the pair measure of the first heatmap
n_permutations: int = 10000  # permutations of a Monte Carlo p-value
interactive: bool = False  # True: filters and measure switch in a live notebook

# %%
from analysis import load_frame, parameters

frame = load_frame()
parameters.check(
    "02_risk_cooccurrence",
    frame,
    inventory=inventory,
    stratify_by=stratify_by,
    language=language,
    min_stratum_size=min_stratum_size,
    na_policy=na_policy,
    measure=measure,
    n_permutations=n_permutations,
    interactive=interactive,
)

# %%
from IPython.display import Markdown, display

from analysis import (
    coding,
    cooccurrence,
    explore,
    figures,
    present,
    stats,
    tables,
)
from analysis.figures import cooccurrence as cooccurrence_figures

tables.setup_display()
names = [inventory] if isinstance(inventory, str) else list(inventory)
cases = coding.cases_for(names, frame)
prefix = f"{parameters.output_name(names)}-{na_policy}-{language}"
present.load_counts(names, language, frame)

# %%
parameters.require_flags(cases, frame, language)

# %% [markdown]
# ## 案例與盛行率 · Cases and prevalence
#
# Prevalence is the share ticked among the cases used (`n`); the Wilson 95% interval shows how little a handful of cases can say.

# %%
prevalence = stats.prevalence(cases, None, na_policy, frame=frame)
tables.save(tables.labelled_with_pairs(prevalence, frame, language), f"{prefix}_prevalence")
display(
    Markdown(cooccurrence.describe(cases, na_policy, frame, language)),
    Markdown(cooccurrence.subpopulation_note(cases, frame, language)),
    present.show(
        cooccurrence.mark_subpopulations(prevalence, cases, frame),
        (
            "每列為一項風險；n 為有報告此風險的案例數，盛行率附 Wilson 95% 區間；最後一欄標示來源僅問部分案例的風險（對象見上）。",
            "One row per risk; n counts the cases reporting it; prevalence with its Wilson 95% interval; the last column marks risks the source asked of some cases only (who, above).",
        ),
        language,
        frame,
    ),
)

# %% [markdown]
# ## 風險 × 風險 · Risk × risk
#
# Every pair of risks: cases ticked with both (`count`), Jaccard, P(column | row), lift and φ; `n` is the number of cases used for the pair.

# %%
pairs = cooccurrence.pairs(cases, None, na_policy, frame=frame)
tables.save(tables.labelled_with_pairs(pairs, frame, language), f"{prefix}_pairs")
present.show(
    cooccurrence.shown_pairs(pairs, cases, frame),
    (
        "每列為一對風險；n 為此對使用的案例數（兩項皆有報告者，非全部案例），同時勾選數為兩項皆勾選的案例數；最後一欄標示依僅問部分案例之題目的風險。",
        "One row per pair of risks; n counts the cases this pair uses (those reporting both, not all cases), Both ticked those ticked with both; the last column marks risks asked of some cases only.",
    ),
    language,
    frame,
)

# %% [markdown]
# ## 逐對刪除與完整案例 · Pairwise and complete cases
#
# The same pair measure under pairwise deletion (each pair uses the cases reporting both) and under complete cases (only the cases reporting all six risks), with each one's `n`.

# %%
display(
    Markdown(cooccurrence.complete_case_sentence(cases, frame, language)),
    present.show(
        cooccurrence.pairwise_and_complete(cases, measure, frame),
        (
            "每列為一對風險：逐對刪除與完整案例下的配對指標及各自的 n。",
            "One row per pair of risks: the pair measure and its n under pairwise deletion and under complete cases.",
        ),
        language,
        frame,
    ),
)

# %%
display(
    figures.draw(
        f"{prefix}_pairs_{measure}",
        cooccurrence_figures.pair_heatmap,
        pairs,
        measure,
        frame=frame,
        language=language,
    ),
    figures.draw(
        f"{prefix}_pairs_conditional",
        cooccurrence_figures.pair_heatmap,
        pairs,
        "p_b_given_a",
        frame=frame,
        language=language,
    ),
    figures.draw(f"{prefix}_network", cooccurrence_figures.network, pairs, frame, language),
)

# %% [markdown]
# ## 分層 · By category, technique and the chosen stratum
#
# Prevalence of each risk per category and per technique (a case using several techniques counts under each), with the share of cases not reporting it; then the risk pairs within each stratum of `stratify_by`. Strata with fewer than `min_stratum_size` cases are left out.

# %%
category_flag = cooccurrence.flag_table(cases, "category", na_policy, min_stratum_size, frame)
technique_flag = cooccurrence.flag_table(cases, "technique", na_policy, min_stratum_size, frame)
stratified = cooccurrence.pairs(cases, stratify_by, na_policy, min_stratum_size, frame)
tables.save(tables.labelled_with_pairs(category_flag, frame, language), f"{prefix}_category_flag")
tables.save(tables.labelled_with_pairs(technique_flag, frame, language), f"{prefix}_technique_flag")
tables.save(
    tables.labelled_with_pairs(stratified, frame, language), f"{prefix}_pairs_by_{stratify_by}"
)
display(
    figures.draw(
        f"{prefix}_category_flag_heatmap",
        cooccurrence_figures.stratum_heatmap,
        category_flag,
        frame,
        language,
    ),
    figures.draw(
        f"{prefix}_technique_flag_heatmap",
        cooccurrence_figures.stratum_heatmap,
        technique_flag,
        frame,
        language,
    ),
)
present.show(
    cooccurrence.mark_subpopulations(cooccurrence.distinct_pairs(stratified, frame), cases, frame),
    (
        "每列為一個分層中的一對風險；n 為該層兩項皆有報告的案例數。",
        "One row per stratum and pair of risks; n counts the stratum's cases reporting both.",
    ),
    language,
    frame,
    empty=(
        "沒有分層達到最小案例數，無從分層比較。",
        "No stratum reaches the minimum size, so there is nothing to compare.",
    ),
)

# %% [markdown]
# ## 風險組合 · Risk combinations
#
# How many cases have each exact combination of risks ticked (hollow dot: not reported).

# %%
combinations = cooccurrence.combinations(cases, None, na_policy, frame=frame)
tables.save(combinations, f"{prefix}_combinations")
figures.draw(f"{prefix}_upset", cooccurrence_figures.upset, combinations, frame, language)

# %% [markdown]
# ## 關聯檢定 · Association tests
#
# Each risk against category (one stratum × yes/no table per risk) and against each technique (uses it or not). χ² when every expected count is at least 5, otherwise Fisher's exact test (2 × 2) or a seeded Monte Carlo permutation p-value; q-values control the false discovery rate over the tests of one call. Then Cochran's Q (are the risks equally prevalent in the same cases?) and McNemar's test for each pair of risks.

# %%
association = stats.association(
    cases, "category", na_policy, n_permutations=n_permutations, frame=frame
)
technique_association = stats.association(
    cases, "technique", na_policy, n_permutations=n_permutations, frame=frame
)
tables.save(
    tables.labelled_with_pairs(association, frame, language), f"{prefix}_association_category"
)
tables.save(
    tables.labelled_with_pairs(technique_association, frame, language),
    f"{prefix}_association_technique",
)
display(
    present.show(
        association,
        (
            "風險 × AI應用類型：每列為一項風險的檢定；n 為有報告此風險且已編碼類型的案例數。q 值的多重檢定族為本表各檢定（見「多重檢定族」欄）；Fisher 精確檢定的 p 值為離散分布，BH 校正因此偏保守。",
            "Risk × AI use category: one test per risk; n counts the cases reporting the risk with a category. The q-values' family is this table's tests (column Testing family); Fisher's exact p-values are discrete, so BH on them is conservative.",
        ),
        language,
        frame,
        empty=(
            "沒有案例編碼類型，無從檢定。",
            "No case has a category, so there is nothing to test.",
        ),
    ),
    present.show(
        technique_association,
        (
            "風險 × AI技術：每列為一項技術與一項風險（使用與否 × 勾選與否）；n 為有報告此風險的案例數。q 值的多重檢定族為本表各檢定（見「多重檢定族」欄），與類型檢定分開；Fisher 精確檢定的 p 值為離散分布，BH 校正因此偏保守。",
            "Risk × AI technique: one row per technique and risk (uses it or not × ticked or not); n counts the cases reporting the risk. The q-values' family is this table's tests (column Testing family), apart from the category tests; Fisher's exact p-values are discrete, so BH on them is conservative.",
        ),
        language,
        frame,
        empty=(
            "沒有案例報告AI技術，無從檢定。",
            "No case reports a technique, so there is nothing to test.",
        ),
    ),
)

# %%
differences = stats.mcnemar_pairs(cases, frame=frame)
tables.save(tables.labelled_with_pairs(differences, frame, language), f"{prefix}_mcnemar")
display(
    present.show(
        stats.cochrans_q(cases, frame=frame),
        (
            "Cochran's Q：六項風險在同一批案例中的盛行率是否相同；n 為六項皆有報告的案例數。",
            "Cochran's Q: are the six risks equally prevalent in the same cases? n counts the cases reporting all six.",
        ),
        language,
        frame,
    ),
    present.show(
        differences,
        (
            "McNemar 檢定：每列為一對風險，比較僅甲勾選與僅乙勾選的案例數；n 為兩項皆有報告的案例數；Holm 與 BH 的檢定族為本表各對（見「多重檢定族」欄；精確二項 p 值為離散分布，BH 偏保守）。",
            "McNemar's test: one row per pair of risks, comparing cases with only A and only B ticked; n counts the cases reporting both; Holm and BH over this table's pairs (column Testing family; exact binomial p-values are discrete, so BH on them is conservative).",
        ),
        language,
        frame,
    ),
)

# %% [markdown]
# ## 羅吉斯迴歸 · Logistic regression
#
# Each risk on category and technique (and inventory when several are pooled): odds ratios with 95% intervals. Where a term's table with the risk has an empty cell the fit is Firth's penalised likelihood (`method`), with profile penalised-likelihood intervals and likelihood-ratio p-values (Heinze & Schemper 2002); otherwise maximum likelihood with Wald intervals (`inference`). A model with fewer than 10 cases of the rarer outcome per coefficient (Peduzzi et al. 1996) is not estimated at this n, and says so. q-values are Benjamini–Hochberg over the family named under the table (conservative on discrete p-values).

# %%
odds_ratios = stats.logistic(cases, frame=frame)
tables.save(tables.labelled_with_pairs(odds_ratios, frame, language), f"{prefix}_odds_ratios")
display(
    figures.draw(
        f"{prefix}_forest", cooccurrence_figures.forest, odds_ratios, frame=frame, language=language
    ),
    present.show(
        odds_ratios,
        (
            "每列為一項風險對一個模型項的勝算比（95% 區間）；無法估計者說明原因；q 值的多重檢定族見「多重檢定族」欄（本表所有風險的全部估計項）。",
            "One row per risk and model term: odds ratio with 95% interval; terms that cannot be estimated say why; the q-values' family is in column Testing family (every estimated term of every risk in this table).",
        ),
        language,
        frame,
    ),
)

# %% [markdown]
# ## 互動探索 · Explore
#
# With `interactive = True` in a live notebook: filters by inventory, source, category, application type, technique and risk, and a switch between count, Jaccard, conditional probability and lift. Otherwise the default view of all cases.

# %%
explore.explore(
    cases,
    frame,
    language,
    measure if measure in explore.EXPLORE_MEASURES else "jaccard",
    na_policy,
    interactive,
)

# %% [markdown]
# ## 軟體版本 · Software versions

# %%
present.software_versions(language, frame)
