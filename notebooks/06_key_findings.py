# %% [markdown]
# # 主要發現 · Key findings
#
# What the study's frame finds in each inventory, and where the inventories differ. Per inventory: every pair of the six risks with Jaccard (95% percentile bootstrap interval over cases), φ, P(B | A) and Fisher's exact test, q-values by Benjamini–Hochberg over the 15 pairs of that inventory; the strongest and the weakest pair among pairs with at least `min_n` cases reporting both. Between inventories: each risk's prevalence and each category's share with Wilson intervals, tested across all inventories (χ², or Fisher's exact test or a seeded permutation test when an expected count is below 5), BH over the six risks and over the five categories; then each pair of inventories. Every number in a sentence is generated from the tables below it.

# %% tags=["parameters"]
inventories: list = [
    "taiwan-public-annotated",
    "us-federal-2024-coded",
    "jrc-ai-watch-coded",
    "study",
]  # inventories whose risk pairs are reported
compared: list = [
    "taiwan-public-annotated",
    "us-federal-2024-coded",
    "jrc-ai-watch-coded",
]  # inventories compared with each other (two or more)
language: str = "zh-TW"  # zh-TW or en
n_boot: int = 2000  # bootstrap resamples of each Jaccard interval
min_n: int = 10  # fewest cases reporting both risks of a pair named strongest or weakest
n_permutations: int = 10000  # permutations of a Monte Carlo p-value

# %%
from analysis import load_frame, parameters

frame = load_frame()
parameters.check(
    "06_key_findings",
    frame,
    inventories=inventories,
    compared=compared,
    language=language,
    n_boot=n_boot,
    min_n=min_n,
    n_permutations=n_permutations,
)

# %%
from IPython.display import Markdown, display

from analysis import config, figures, findings, present, tables

tables.setup_display()
cases = findings.load_cases(list(dict.fromkeys([*inventories, *compared])), frame)
prefix = f"key-findings-{language}"
present.load_counts(list(cases), language, frame)

# %% [markdown]
# ## 誰編碼 · Who coded each inventory
#
# Differences between inventories partly reflect how their cases were coded: the study's own ticks, an adjudicated double annotation, an inventory's official answers read by a crosswalk, or a model.

# %%
coders = findings.coded_by(cases)
tables.save(findings.shown(coders, "coded_by", language, frame), f"{prefix}_coded_by")
display(
    Markdown("\n".join(findings.coded_by_sentences(coders, language, frame))),
    present.show(
        findings.shown(coders, "coded_by", language, frame),
        caption=(
            "每列：一個盤點的一個欄位與其編碼者",
            "Each row: one field of one inventory and who coded it",
        ),
        language=language,
        frame=frame,
    ),
)

# %% [markdown]
# ## 各盤點的風險配對 · Risk pairs within each inventory
#
# The strongest and the weakest pair by Jaccard, among pairs with at least `min_n` cases reporting both.

# %%
pairs = findings.all_pair_tests(
    {name: cases[name] for name in inventories}, n_boot, config.SEED, frame
)
chosen = findings.extremes(pairs, min_n)
tables.save(tables.labelled_with_pairs(pairs, frame, language), f"{prefix}_pairs")
tables.save(tables.labelled_with_pairs(chosen, frame, language), f"{prefix}_strongest_weakest")
Markdown("\n".join(findings.pair_sentences(pairs, chosen, language, min_n, frame)))

# %%
present.show(
    findings.shown(pairs, "pairs", language, frame),
    caption=(
        "每列：一個盤點中的一對風險；n 為兩者皆有報告的案例數；"
        "區間為 Jaccard 的 95% 自助法區間；q 值為該盤點各對的 BH 校正（檢定族見「多重檢定族」欄）；"
        "Fisher 精確檢定的 p 值為離散分布，BH 校正因此偏保守（實際偽發現率低於名目水準）；"
        "「僅問部分案例的風險」欄列出該盤點只問了部分案例的風險：這些配對描述被問到的子母體，而非整個盤點",
        "Each row: one pair of risks in one inventory; n counts the cases reporting both; "
        "the interval is Jaccard's 95% bootstrap interval; q is BH over that inventory's pairs "
        "(the family is in column Testing family); Fisher's exact p-values are discrete, so BH on "
        "them is conservative (the false discovery rate is below the nominal level); column "
        "Risks asked of some cases only names the risks that inventory asked of a subpopulation: "
        "such a pair describes the cases asked, not the whole inventory",
    ),
    language=language,
    frame=frame,
)

# %% [markdown]
# ## 盤點之間：風險盛行率 · Between inventories: risk prevalence
#
# Prevalence among the cases that report the risk, with Wilson 95% intervals; one test per risk across the inventories compared (q: BH over the six risks), then each pair of inventories (q: BH over risks × pairs).

# %%
prevalence = findings.prevalence_by_inventory({n: cases[n] for n in compared}, "flag", frame)
flag_tests = findings.compare(prevalence, "flag", n_permutations)
flag_pairs = findings.compare_pairs(prevalence, "flag", n_permutations)
tables.save(tables.labelled(prevalence, frame, language), f"{prefix}_prevalence")
tables.save(tables.labelled(flag_tests, frame, language), f"{prefix}_prevalence_tests")
tables.save(tables.labelled(flag_pairs, frame, language), f"{prefix}_prevalence_pairs")
display(
    Markdown(
        "\n".join(findings.comparison_sentences(prevalence, flag_tests, "flag", language, frame))
    ),
    figures.draw(f"{prefix}_prevalence", findings.prevalence_figure, prevalence, language, frame),
)

# %%
present.show(
    findings.shown(flag_pairs, "tests", language, frame),
    caption=(
        "每列：一個風險在兩個盤點間的差異檢定；n 為兩盤點中有報告此風險的案例數；"
        "q 值的檢定族為風險 × 盤點配對（見「多重檢定族」欄）",
        "Each row: one risk tested between two inventories; "
        "n counts the cases of both that report it; q is BH over risks × pairs of inventories "
        "(column Testing family)",
    ),
    language=language,
    frame=frame,
)

# %% [markdown]
# ## 盤點之間：應用類型 · Between inventories: AI use categories
#
# Each category's share of the cases with a category, with Wilson 95% intervals; one test per category across the inventories compared (q: BH over the five categories).

# %%
categories = findings.prevalence_by_inventory({n: cases[n] for n in compared}, "category", frame)
category_tests = findings.compare(categories, "category", n_permutations)
tables.save(tables.labelled(categories, frame, language), f"{prefix}_categories")
tables.save(tables.labelled(category_tests, frame, language), f"{prefix}_category_tests")
display(
    Markdown(
        "\n".join(
            findings.comparison_sentences(categories, category_tests, "category", language, frame)
        )
    ),
    figures.draw(f"{prefix}_categories", findings.category_figure, categories, language, frame),
)

# %% [markdown]
# ## 軟體版本 · Software versions

# %%
present.software_versions(language, frame)
