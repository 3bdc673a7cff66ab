# %% [markdown]
# # 自動編碼與一致性 · Coding cases automatically, measured
#
# The study coded each case (category, application type, technique, six risks) by giving GPT its prompt and checking the answers by hand. This notebook makes that step measurable: a rule coder (the frame's bilingual vocabulary; every decision lists its terms) and a trained coder (TF-IDF over word and character n-grams, linear models, calibrated probabilities) are scored against human or source labels — the trained coder only on cases it was not trained on (stratified, seeded cross-validation). The best measured coder then codes the inventory named by `coded_inventory`, each code marked with `coded_by` and a confidence. The LLM coder (the study's own prompt) runs only when an endpoint is configured; here it shows what it would send.

# %% tags=["parameters"]
evaluation_inventory = "jrc-ai-watch"
target = "category"
coded_inventory = "taiwan-public"
language = "zh-TW"
folds = 5

# %%
from analysis import agreement, coding, config, figures, inventories, load_frame, tables
from analysis.coders import LLMCoder, LLMConfig, ModelSpec
from analysis.environment import package_versions
from analysis.figures import coding as coding_figures

tables.setup_display()
frame = load_frame()
labelled = coding.cases_for(coding.reference_inventories(), frame)
evaluation_cases = labelled[labelled["inventory"] == evaluation_inventory]
prefix = f"auto-coding-{evaluation_inventory}-{target}-{language}"
inventories.accounting([*sorted(labelled["inventory"].unique()), coded_inventory], frame)

# %% [markdown]
# ## 一致性 · Agreement with the labels
#
# Accuracy, macro-F1 (over the label's classes), Cohen's κ and Krippendorff's α (nominal). A case the rule coder cannot decide counts as a miss; `coverage` is the share it coded. The trained coder is cross-validated on the evaluation inventory alone.

# %%
evaluation = agreement.evaluate(
    evaluation_cases, ("rules", "model"), [target], folds=folds, frame=frame
)
tables.save(evaluation.scores, f"{prefix}_scores")
evaluation.scores

# %% [markdown]
# ## 各類別精確率與召回率 · Precision and recall per class

# %%
tables.save(evaluation.per_class, f"{prefix}_per_class")
evaluation.per_class

# %% [markdown]
# ## 混淆矩陣 · Confusion matrix (trained coder, out-of-fold)

# %%
figures.publish(
    coding_figures.confusion_matrix(evaluation.confusion, target, "model", frame, language),
    f"{prefix}_confusion_model",
)

# %% [markdown]
# ## 規則編碼之混淆矩陣 · Confusion matrix (rule coder)

# %%
figures.publish(
    coding_figures.confusion_matrix(evaluation.confusion, target, "rules", frame, language),
    f"{prefix}_confusion_rules",
)

# %% [markdown]
# ## 模型變體 · Trained-coder variants
#
# Feature sets, classifiers and decision rules tried, each cross-validated the same way. The first row is the default.

# %%
variants = agreement.compare_variants(
    evaluation_cases,
    target,
    [
        ModelSpec(),
        ModelSpec(decide="calibrated"),
        ModelSpec(balanced=False),
        ModelSpec(char=False),
        ModelSpec(bridge=False),
        ModelSpec(classifier="svm", c=0.5),
    ],
    folds=folds,
    frame=frame,
)
tables.save(variants, f"{prefix}_variants")
variants

# %% [markdown]
# ## 學習曲線 · Learning curve (trained coder)

# %%
curve = agreement.learning_curve(evaluation_cases, target, folds=folds, frame=frame)
tables.save(curve, f"{prefix}_learning_curve")
figures.publish(coding_figures.learning_curve(curve, frame, language), f"{prefix}_learning_curve")

# %% [markdown]
# ## 選擇編碼器並編碼 · The best measured coder codes the inventory
#
# Per field, the coder (rules or trained model) with the higher macro-F1 where labels exist: the study's 11 zh-TW cases for the Taiwanese cases, the JRC Engstrom labels for US federal 2024 (`measured_on` says which). Only fields the inventory leaves uncoded are filled; the coded inventory is written to `reports/coded-<inventory>.csv` and read from the cache by the other notebooks as `<inventory>-coded`.

# %%
coded = coding.coded(coded_inventory, frame)
coding.write_coded(coded_inventory, coded, config.reports_dir(), frame)
coded.choice

# %% [markdown]
# ## 編碼結果 · Coded cases by category, coder and confidence

# %%
by_category = tables.labelled(coding.coded_summary(coded.cases, "category", frame), frame, language)
tables.save(by_category, f"auto-coding-{coded_inventory}-{language}_by_category")
by_category

# %% [markdown]
# ## LLM 編碼（試跑）· The LLM coder, dry run
#
# The study's prompt (stored verbatim in `data/prompts/`) adapted to ask for JSON checked against the frame. Nothing is sent unless `ANALYSIS_LLM_BASE_URL` and `ANALYSIS_LLM_MODEL` are set; the dry run counts the calls it would make.

# %%
print(
    LLMCoder(LLMConfig.from_env(progress=False), frame).dry_run(
        coding.cases_for(coded_inventory, frame)
    )
)

# %% [markdown]
# ## 軟體版本 · Software versions

# %%
package_versions()
