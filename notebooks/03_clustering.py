# %% [markdown]
# # 風險輪廓分群 · Clustering cases into risk profiles
#
# Groups the cases of an inventory by their six risk flags (optionally category and techniques) with hierarchical clustering (Jaccard / Hamming / Gower, average or complete linkage), k-modes or latent class analysis. Identical profiles are collapsed with weights before clustering, so large inventories cost no more than their distinct profiles. The number of clusters is chosen from criteria across a range of k, stability is checked by a seeded bootstrap, and each cluster is described and named from the flags that define it.

# %% tags=["parameters"]
inventory: str = "study"  # an inventory name or a mapping file path
method: str = "hierarchical"  # hierarchical, kmodes or lca (latent classes)
k_min: int = 2  # fewest clusters tried
k_max: int = 6  # most clusters tried
na_policy: str = "drop"  # a risk not reported: drop the case, read as no (as_no) or missing
metric: str = "jaccard"  # distance of hierarchical clustering
linkage: str = "average"  # linkage of hierarchical clustering
categories: bool = False  # True: the category is a feature too
techniques: bool = False  # True: the techniques are features too
weight: float = 1.0  # weight of category and technique features against the risks
n_boot: int = 50  # bootstrap resamples of the stability check
seed: int = 20250101  # seed of every random draw
language: str = "zh-TW"  # zh-TW or en

# %%
from analysis import load_frame, parameters

frame = load_frame()
parameters.check(
    "03_clustering",
    frame,
    inventory=inventory,
    method=method,
    k_min=k_min,
    k_max=k_max,
    na_policy=na_policy,
    metric=metric,
    linkage=linkage,
    categories=categories,
    techniques=techniques,
    weight=weight,
    n_boot=n_boot,
    seed=seed,
    language=language,
)

# %%
from IPython.display import Markdown, display

from analysis import clustering, coding, figures, present, tables
from analysis.figures import clustering as cluster_figures

cases = coding.cases_for(inventory, frame)
options = dict(
    na_policy=na_policy,
    metric=metric,
    linkage=linkage,
    categories=categories,
    techniques=techniques,
    weight=weight,
    seed=seed,
)
prefix = f"{parameters.output_name(inventory)}-{method}-{language}"
present.load_counts(inventory, language, frame)

# %%
parameters.require_flags(cases, frame, language)

# %% [markdown]
# ## 納入案例 · Cases used under each NA policy
#
# A risk not reported is never read as "no" silently: `drop` keeps only cases reporting all six risks, `as_no` reads not reported as no, `missing` keeps not reported as its own state.

# %%
present.show(
    clustering.usage(cases, na_policy, frame),
    (
        "每列為一種未報告處理方式：納入分群的案例數與排除數；選定者標示。",
        "One row per not-reported policy: cases used and left out; the chosen one marked.",
    ),
    language,
    frame,
)

# %% [markdown]
# ## 風險輪廓 · Distinct profiles
#
# Cases with identical features form one profile; clustering runs on profiles weighted by their case counts.

# %%
profiles = clustering.profile_counts(cases, na_policy, categories, techniques, frame)
tables.save(profiles, f"{prefix}_profiles")
present.show(
    profiles,
    (
        "每列為一種不同的特徵組合（輪廓），附具有此輪廓的案例數；依案例數排序。",
        "One row per distinct combination of features (profile), with the number of cases that have it; most frequent first.",
    ),
    language,
    frame,
)

# %% [markdown]
# ## 分群數選擇 · Choosing the number of clusters
#
# Silhouette on the chosen distance (weighted by profile counts) for every method; a hierarchical cut inside tied merge heights is marked arbitrary. BIC, AIC, relative entropy and the number of starts reaching the best optimum for latent class analysis (chosen by lowest BIC; the category is one categorical indicator; cases reporting no indicator are left out of the fit and counted). Best, median and worst cost over 50 starts for k-modes.

# %%
selection = clustering.select_k(cases, range(k_min, k_max + 1), method, frame, **options)
tables.save(selection.table, f"{prefix}_criteria")
display(
    Markdown(f"**{selection.reason}**"),
    present.show(
        selection.table,
        (
            "每列為一個群數 k 的準則值；選定的 k 標示為「是」。",
            "One row per number of clusters k with its criteria; the chosen k marked yes.",
        ),
        language,
        frame,
    ),
)

# %%
figures.draw(f"{prefix}_criteria", cluster_figures.criteria_plot, selection.table, language)

# %% [markdown]
# ## 各群輪廓 · Cluster profiles
#
# Size, share of cases, each risk's prevalence among the cluster's cases reporting it, dominant category and techniques, and exemplar cases; each cluster is named from its defining risks.

# %%
result = clustering.cluster(cases, selection.k, method, frame, **options)
cluster_profiles = clustering.cluster_profiles(result, frame, language)
tables.save(result.assignments, f"{prefix}_assignments")
tables.save(cluster_profiles, f"{prefix}_cluster_profiles")
present.show(
    cluster_figures.profile_table(cluster_profiles, frame, language),
    (
        "每列為一個群集：案例數、占比、各風險在此群有報告案例中的盛行率、主要類型與技術及範例案例。",
        "One row per cluster: cases, share, each risk's prevalence among its cases reporting it, dominant category and techniques, exemplar cases.",
    ),
    language,
    frame,
)

# %%
figures.draw(
    f"{prefix}_profile_heatmap", cluster_figures.profile_heatmap, cluster_profiles, frame, language
)

# %% [markdown]
# ## 樹狀圖 · Dendrogram
#
# Hierarchical clustering only: one leaf per case on small inventories (identical cases join at height 0), one per distinct profile on large ones.

# %%
(
    figures.draw(f"{prefix}_dendrogram", cluster_figures.dendrogram, result, language)
    if method == "hierarchical"
    else Markdown(f"`method = {method!r}`: no dendrogram.")
)

# %% [markdown]
# ## 群 × 類別、群 × 技術 · Clusters by category and technique

# %%
by_category = cluster_figures.crosstab_table(
    clustering.crosstab(result, "category", frame), "category", frame, language
)
tables.save(by_category.reset_index(), f"{prefix}_cluster_category")
present.show(
    by_category,
    (
        "每列為一個群集，每欄為一個AI應用類型：案例數（占此群案例的比例）。",
        "One row per cluster, one column per AI use category: cases (share of the cluster's cases).",
    ),
    language,
    frame,
    empty=("沒有案例編碼類型，無從交叉。", "No case has a category, so there is nothing to cross."),
)

# %%
by_technique = cluster_figures.crosstab_table(
    clustering.crosstab(result, "technique", frame), "technique", frame, language
)
tables.save(by_technique.reset_index(), f"{prefix}_cluster_technique")
present.show(
    by_technique,
    (
        "每列為一個群集，每欄為一種AI技術：使用此技術的案例數（一個案例可用多種技術）。",
        "One row per cluster, one column per AI technique: cases using it (a case may use several).",
    ),
    language,
    frame,
    empty=(
        "沒有案例報告AI技術，無從交叉。",
        "No case reports a technique, so there is nothing to cross.",
    ),
)

# %% [markdown]
# ## 對應分析圖 · Correspondence map
#
# Multiple correspondence analysis of the coded features; each case coloured by its cluster.

# %%
coordinates = clustering.mca_map(result, seed)
tables.save(coordinates, f"{prefix}_mca_map")
figures.draw(f"{prefix}_mca_map", cluster_figures.mca_scatter, coordinates, language)

# %% [markdown]
# ## 穩定性 · Stability
#
# Seeded bootstrap: cases are resampled with replacement and reclustered. Per resample, the adjusted Rand index with the clustering of all cases; per cluster, the mean Jaccard similarity with its best-matching resampled cluster (Hennig: below 0.5 dissolved, 0.75 and above stable).

# %%
stability = clustering.stability(cases, selection.k, method, n_boot, frame, **options)
tables.save(stability.runs, f"{prefix}_stability_runs")
tables.save(stability.clusters, f"{prefix}_stability_clusters")
display(
    present.show(
        stability.runs[["ari"]].agg(["mean", "std", "min", "max"]).T,
        (
            f"{n_boot} 次重抽的調整蘭德指數摘要（與全部案例分群的一致程度）。",
            f"Adjusted Rand index over the {n_boot} resamples (agreement with the clustering of all cases).",
        ),
        language,
        frame,
    ),
    present.show(
        stability.clusters,
        (
            "每列為一個群集：與重抽最相符群集的平均 Jaccard 相似度，以及瓦解（< 0.5）與重現（≥ 0.75）的比例。",
            "One row per cluster: mean Jaccard similarity with its best-matching resampled cluster, shares dissolved (< 0.5) and recovered (≥ 0.75).",
        ),
        language,
        frame,
    ),
)

# %% [markdown]
# ## 軟體版本 · Software versions

# %%
present.software_versions(language, frame)
