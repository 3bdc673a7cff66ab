# %% [markdown]
# # 自動編碼與一致性 · Coding cases automatically, measured
#
# The study coded each case (category, application type, technique, six risks) by giving GPT its prompt and checking the answers by hand. This notebook makes that step measurable for one inventory (`coded_inventory`): which reference labels the coders are measured on, how a rule coder (the frame's bilingual vocabulary; every decision lists its terms) and a trained coder (TF-IDF over word and character n-grams, linear models, calibrated probabilities) score on them — the trained coder only on cases it was not trained on — with 95% bootstrap intervals over cases, and a plain sentence per field on whether the codes are good enough to analyse. The best measured coder then codes the inventory's empty fields, each code marked with `coded_by` and a confidence.

# %% tags=["parameters"]
coded_inventory: str = "taiwan-public"  # the public inventory to code (its coding plan)
target: str = "category"  # the field of the confusion matrices and learning curve
language: str = "zh-TW"  # zh-TW or en
folds: int = 5  # cross-validation folds
n_boot: int = 2000  # bootstrap resamples of each interval

# %%
from analysis import load_frame, parameters

frame = load_frame()
parameters.check(
    "04_auto_coding",
    frame,
    coded_inventory=coded_inventory,
    target=target,
    language=language,
    folds=folds,
    n_boot=n_boot,
)

# %%
from IPython.display import display

from analysis import (
    agreement,
    annotations,
    coding,
    config,
    figures,
    imputation,
    present,
    tables,
)
from analysis.coders import LLMCoder, LLMConfig
from analysis.figures import coding as coding_figures

tables.setup_display()
reference = coding.CODING_PLAN[coded_inventory][0].reference
reference_cases = coding.cases_for(reference, frame)
evaluation = coding.plan_evaluation(coded_inventory, frame, folds)
scored = agreement.with_intervals(evaluation, n_boot)
coded = coding.coded(coded_inventory, frame)
annotation = annotations.summary(coded_inventory, frame)
technique_scores, technique_classes = coding.technique_check(coded_inventory, frame, folds)
prefix = f"auto-coding-{coded_inventory}-{language}"
present.load_counts([coded_inventory, reference], language, frame)

# %% [markdown]
# ## 參考標籤 · The reference labels the coders are measured on
#
# Per step of the coding plan: the inventory whose labels measure the coders, who made those labels (`coded_by`: the study, a source's own field read by a crosswalk, or an adjudicated annotation), how many cases carry them, and the classes.

# %%
references = coding.plan_references(coded_inventory, frame)
tables.save(references, f"{prefix}_references")
present.show(
    references,
    (
        "每列為編碼計畫的一個步驟：衡量編碼器所用的參考盤點、標籤由誰編碼、案例數與類別。",
        "One row per step of the coding plan: the reference inventory, who made its labels, how many cases carry them, the classes.",
    ),
    language,
    frame,
)

# %% [markdown]
# ## 標註一致性 · How far the reference annotation agrees with itself and with the study
#
# Only where the reference is an annotation (`data/raw/<set>/README.md` tells how it was made). Between the two blind passes: agreement, Krippendorff's α and Cohen's κ per field; then each pass against the study's own codes of its 11 excerpt cases, coded blind in the same passes; then how the adjudication resolved the disagreements.

# %%
(
    display(
        present.show(
            annotation.reliability,
            (
                "兩輪盲標之間的一致性：每列為一個欄位，n 為兩輪皆標註的項目數。",
                "Agreement between the two blind passes: one row per field; n counts the items both passes coded.",
            ),
            language,
            frame,
        ),
        present.show(
            annotation.study_check,
            (
                "各輪標註對照研究本身對其 11 個節錄案例的編碼：每列為一輪與一個欄位。",
                "Each pass against the study's own codes of its 11 excerpt cases: one row per pass and field.",
            ),
            language,
            frame,
        ),
        present.show(
            annotation.choices,
            (
                "裁決如何解決不一致：每列為一個欄位，採甲、採乙或其他的次數。",
                "How the adjudication resolved the disagreements: one row per field, how often it chose pass a, pass b or another value.",
            ),
            language,
            frame,
        ),
        present.show(
            annotation.confusion,
            (
                "兩輪標註的混淆：每列為一個欄位中甲、乙兩輪的一種值組合及其項目數。",
                "Confusions between the passes: one row per field and pair of values (pass a, pass b) with its count of items.",
            ),
            language,
            frame,
        ),
    )
    if annotation
    else present.note(("此盤點沒有標註集。", "No annotation set for this inventory."), language)
)

# %% [markdown]
# ## 一致性 · Agreement with the reference labels, with 95% intervals
#
# Accuracy, macro-F1 (over the label's classes), Cohen's κ and Krippendorff's α (nominal), each with a percentile bootstrap interval over cases (`*_low`, `*_high`). A case a coder leaves uncoded counts as a miss for accuracy, F1 and κ, and as missing for α; `coverage` is the share it coded. The trained coder is cross-validated on the reference over 5 fold seeds: its scores are the mean over the seeds (`repeats`, with their standard deviation), its intervals those of that mean, the plan's other reference inventories added to each training fold. Precision and recall per class and the confusions of every field are written beside this table (`*_per_class.csv`, `*_confusions.csv`).

# %%
tables.save(scored, f"{prefix}_scores")
tables.save(evaluation.per_class, f"{prefix}_per_class")
tables.save(evaluation.confusion, f"{prefix}_confusions")
present.show(
    scored[
        [
            "target",
            "coder",
            "n",
            "coverage",
            "macro_f1",
            "macro_f1_low",
            "macro_f1_high",
            "kappa",
            "kappa_low",
            "kappa_high",
        ]
    ],
    (
        "每列為一個編碼目標與一種編碼器；n 為有參考標籤的案例數，區間為案例的 bootstrap 百分位區間。",
        "One row per target and coder; n counts the cases with a reference label; intervals are percentile bootstraps over cases.",
    ),
    language,
    frame,
)

# %% [markdown]
# ## 判讀 · Are the codes good enough to analyse?
#
# For the coder chosen per field: macro-F1 against 0.75 (category, application type) or κ against 0.6 (risks, techniques), and whether the interval stays above it.

# %%
verdict = coding.verdict(scored, coded.choice, language)
tables.save(verdict, f"{prefix}_verdict")
present.show(
    verdict,
    (
        "每列為一個編碼目標：選定的編碼器、其分數與區間是否達到門檻，以及結論。",
        "One row per target: the chosen coder, whether its score and interval clear the bar, and the conclusion.",
    ),
    language,
    frame,
)

# %% [markdown]
# ## 混淆矩陣與學習曲線 · Confusions for `target`, and the learning curve
#
# The confusions of the trained coder (out-of-fold) and of the rule coder for `target`. Then: would more labels help? The trained coder cross-validated on growing shares of each training fold of the reference alone.

# %%
curve = agreement.learning_curve(reference_cases, target, folds=folds, frame=frame)
tables.save(curve, f"{prefix}_learning_curve")
display(
    figures.draw(
        f"{prefix}_{target}_confusion_model",
        coding_figures.confusion_matrix,
        evaluation.confusion,
        target,
        "model",
        frame,
        language,
    ),
    figures.draw(
        f"{prefix}_{target}_confusion_rules",
        coding_figures.confusion_matrix,
        evaluation.confusion,
        target,
        "rules",
        frame,
        language,
    ),
    figures.draw(f"{prefix}_learning_curve", coding_figures.learning_curve, curve, frame, language),
)

# %% [markdown]
# ## 主要技術 · The one technique a source names per case, agencies held out
#
# Only where the inventory's own field names one technique per case (US federal 2025 `classification`, the one "most closely aligned"). A coder may name several techniques; it is scored by the one it ranks first (`in_set`: how often the source's technique is among all it names). The trained coder is cross-validated with whole agencies held out of training.

# %%
if len(technique_scores):
    tables.save(technique_scores, f"{prefix}_primary_technique_scores")
    tables.save(technique_classes, f"{prefix}_primary_technique_per_class")
    display(
        present.show(
            technique_scores,
            (
                "每列為一種編碼器：以其排名第一的技術對照來源所列的單一技術；n 為有此欄的案例數。",
                "One row per coder: its first-ranked technique against the source's one technique; n counts the cases with that field.",
            ),
            language,
            frame,
        ),
        present.show(
            technique_classes,
            (
                "每列為一種編碼器與一種技術：精確率、召回率與 F1，樣本數為來源列此技術的案例數。",
                "One row per coder and technique: precision, recall and F1; support counts the cases the source gives that technique.",
            ),
            language,
            frame,
        ),
    )
else:
    display(
        present.note(
            (
                "此盤點沒有逐案列出單一技術的欄位。",
                "This inventory names no single technique per case.",
            ),
            language,
        )
    )

# %% [markdown]
# ## 選擇編碼器並編碼 · The best measured coder codes the inventory
#
# Per field, the coder with the higher macro-F1 on the reference. Only fields the inventory leaves empty are filled; the coded inventory is written to `reports/coded-<inventory>.csv` and read from the cache by the other notebooks as `<inventory>-coded`.

# %%
coding.write_coded(coded_inventory, coded, config.reports_dir(), frame)
by_category = tables.labelled(coding.coded_summary(coded.cases, "category", frame), frame, language)
tables.save(by_category, f"{prefix}_by_category")
present.show(
    coding.coded_summary(coded.cases, "category", frame),
    (
        "每列為一個AI應用類型與編碼者：編碼後的案例數與平均信心。",
        "One row per AI use category and coder: cases after coding and mean confidence.",
    ),
    language,
    frame,
)

# %% [markdown]
# ## 編碼不確定性 · Coder uncertainty carried into the tests (multiple imputation)
#
# The analyses treat coded values as known. Here every value the trained coder filled is drawn 20 times (`imputation.DRAWS`, seeded) from its calibrated probabilities: a flag yes or no, a category among the five, each technique used or not. Each drawn inventory is analysed (prevalence of each risk by category, with its interval; χ² association of each risk with category; each risk's logistic model on category and technique) and the results are pooled by Rubin's rules (χ² statistics by the D2 rule, odds ratios on the log scale with Wald variances, compared with the inventory as coded on the same footing). Values from the source, the study or a person, the rule coder's codes (no calibrated probability) and application types stay as coded: the first table counts them. The second says how much wider the intervals are than when the codes are taken as known, and how many conclusions at q < 0.05 change; the third and fourth give each test and each odds ratio. About 5 s.

# %%
imputed = imputation.pooled(
    coded.cases, coded.codes, "category", imputation.DRAWS, config.SEED, frame, coded.distributions
)
tables.save(imputed.prevalence, f"{prefix}_imputed_prevalence")
tables.save(imputed.association, f"{prefix}_imputed_association")
tables.save(imputed.odds_ratios, f"{prefix}_imputed_odds_ratios")
display(
    present.show(
        imputed.scope,
        (
            "每列為一個欄位：自動編碼的值數、依校準機率抽樣的值數與保持編碼值的值數。",
            "One row per field: values coded automatically, values drawn from calibrated probabilities, values kept as coded.",
        ),
        language,
        frame,
    ),
    present.show(
        imputed.summary,
        (
            "每列為一種分析：區間相對於視編碼為已知時的放寬倍數、缺失資訊比例，以及 q < 0.05 結論改變的檢定數。",
            "One row per analysis: how much wider the intervals are than with the codes taken as known, the fraction of missing information, and the tests whose conclusion at q < 0.05 changes.",
        ),
        language,
        frame,
    ),
    present.show(
        imputed.association[
            [
                "flag",
                "n",
                "statistic_coded",
                "q_value_coded",
                "statistic_draws",
                "p_value_median",
                "p_value",
                "q_value",
                "changed",
            ]
        ],
        (
            "每列為一項風險與類型的關聯：依編碼值的 χ² 與 q 值，以及多重插補合併（D2）後的結果。",
            "One row per risk's association with category: χ² and q as coded, and pooled over the imputations (D2).",
        ),
        language,
        frame,
    ),
    present.show(
        imputed.odds_ratios.loc[
            imputed.odds_ratios["q_value"].notna(),
            [
                "flag",
                "level",
                "n",
                "odds_ratio_coded",
                "q_value_coded",
                "odds_ratio",
                "ci_low",
                "ci_high",
                "fmi",
                "q_value",
                "widening",
                "changed",
            ],
        ],
        (
            "每列為一項風險模型中的一個項（AI應用類型對照最常見的類型，技術對照未使用；對照組見 CSV）：依編碼值與多重插補合併後的勝算比（Wald，BH 於全表）。",
            "One row per term of a risk's model (a category against the most frequent one, a technique against not used; the CSV names each reference): odds ratio as coded and pooled over the imputations (Wald, BH over the table).",
        ),
        language,
        frame,
        empty=(
            "沒有可合併的勝算比：沒有任何項在編碼後的盤點與每次抽樣中皆可估計（各項原因見 CSV）。",
            "No odds ratio could be pooled: no term is estimable both in the inventory as coded and in every draw (the CSV gives each term's reason).",
        ),
    ),
    present.note(imputed.reading(language, frame), language),
)

# %% [markdown]
# ## 自動編碼與標註之比較 · Automatic codes beside the annotation
#
# Where the inventory has an adjudicated annotation: what the analyses would conclude on the annotation and on automatic codes — category shares, risk prevalences, and the Jaccard index of every risk pair. The automatic codes here are out-of-fold: each case coded by a model that never saw its labels, as new cases would be. (The coded inventory above is coded by the final model, which learnt from these very cases' annotation: analyse `<inventory>-annotated` instead.)

# %%
compared = coding.codings_compared(coded_inventory, frame)
(
    display(
        present.show(
            compared["summary"],
            (
                "依標註與依自動編碼（交叉驗證外）的結論並列：類型占比與各風險盛行率。",
                "Conclusions on the annotation and on out-of-fold automatic codes side by side: category shares and risk prevalences.",
            ),
            language,
            frame,
        ),
        present.show(
            compared["pairs"],
            (
                "每列為一對風險：依標註與依自動編碼的 Jaccard 指數。",
                "One row per pair of risks: Jaccard index on the annotation and on the automatic codes.",
            ),
            language,
            frame,
        ),
    )
    if compared
    else present.note(("沒有可比較的標註。", "No annotation to compare with."), language)
)

# %% [markdown]
# ## LLM 編碼（試跑）· The LLM coder, dry run
#
# The study's prompt (stored verbatim in `data/prompts/`) adapted to ask for JSON checked against the frame. Nothing is sent unless `ANALYSIS_LLM_BASE_URL` and `ANALYSIS_LLM_MODEL` are set; the dry run counts the calls it would make.

# %%
print(LLMCoder(LLMConfig.from_env(progress=False), frame).dry_run(coded.cases))

# %% [markdown]
# ## 軟體版本 · Software versions

# %%
present.software_versions(language, frame)
