# %% [markdown]
# # 治理視角 · The governance lens
#
# Places every case on the risk frameworks the study reviews — the EU AI Act's risk tiers, the US OMB M-25-21 「高影響力人工智慧」 category, Australia's 5 × 5 likelihood × consequence matrix and the UN's risk categories — and turns the study's plan–do–check–act recommendations and each framework's duties into a checklist per case. Each framework is a data file under `data/frameworks/`; its rules read the coded case fields, and where the fields cannot decide, the placement is 「無法判定 · undetermined」 with its reason, never a guess.

# %% tags=["parameters"]
inventory: str = "study"  # an inventory name or a mapping file path
framework: str = "eu_ai_act"  # the framework whose rules, levels and checklist are shown
dimension: str = "tier"  # the framework dimension of the bars, flow and level checklist
level: str = "high"  # the level of that dimension whose checklist is shown
language: str = "zh-TW"  # zh-TW or en
validation_inventory: str = "us-federal-2024"  # US inventory with official 2024 answers
validation_inventory_2025: str = "us-federal-2025-coded"  # US inventory with official 2025 answers

# %%
from analysis import load_frame, parameters

frame = load_frame()
parameters.check(
    "05_governance",
    frame,
    inventory=inventory,
    framework=framework,
    dimension=dimension,
    level=level,
    language=language,
    validation_inventory=validation_inventory,
    validation_inventory_2025=validation_inventory_2025,
)

# %%
from IPython.display import display

from analysis import (
    coding,
    config,
    figures,
    governance,
    inventories,
    mapping,
    present,
    tables,
)
from analysis.figures import governance as governance_figures

cases = coding.cases_for(inventory, frame)
frameworks = governance.load_all(frame)
chosen = governance.load_framework(framework, frame)
matrix_framework = governance.load_framework("au_vaiss", frame)
placements = governance.assess(cases, frameworks, language)
prefix = f"{parameters.output_name(inventory)}-{language}"
us_framework = governance.load_framework("us_omb_m25_21", frame)
us_cases = coding.cases_for(validation_inventory, frame)
us_mapping = mapping.load_mapping(inventories.mapping_path(validation_inventory), frame)
not_read = governance.must_not_read(us_framework, us_mapping)
us25_cases = coding.cases_for(validation_inventory_2025, frame)
us25_mapping = mapping.load_mapping(
    inventories.mapping_path(validation_inventory_2025.removesuffix(config.CODED_SUFFIX)), frame
)
not_read_2025 = governance.must_not_read(us_framework, us25_mapping)
english = language == "en"
present.load_counts([inventory, validation_inventory, validation_inventory_2025], language, frame)

# %% [markdown]
# ## 規則 · The rubric of the chosen framework
#
# Rules are tried in order and the first that holds decides; a rule that cannot be read (a risk not reported) leaves its placement possible, and a case is placed only when every possible placement agrees. `basis` is the article or section each rule rests on.

# %%
present.show(
    governance.rules_table(chosen, language),
    (
        "每列為一條規則（依評估順序）：所屬維度、規則代碼、給出的定位、讀取的欄位、依據與理由。",
        "One row per rule, in evaluation order: dimension, rule id, the placement it gives, the fields it reads, its basis and rationale.",
    ),
    language,
    frame,
)

# %% [markdown]
# ## 各案例定位 · Every case on every framework
#
# Each cell: the case's placement. The rule that decided each placement is in the table's CSV (`<inventory>-<language>_governance_placements.csv`, in brackets after the placement), and the rules of undetermined placements in the next table.

# %%
by_case = governance.case_table(cases, placements, frameworks, language)
tables.save(by_case, f"{prefix}_governance_placements")
present.show(
    governance.case_table(cases, placements, frameworks, language, rules=False),
    (
        "每列為一個案例，每欄為一個治理框架的一個維度：該案例的定位（決定的規則見下表與 CSV）。",
        "One row per case, one column per framework dimension: the case's placement (the deciding rules are in the table below and the CSV).",
    ),
    language,
    frame,
)

# %% [markdown]
# ## 無法判定之理由 · Why a placement is undetermined
#
# The reason names the fields or facts that would decide it; `candidates` are the levels still possible.

# %%
undetermined = governance.labelled_placements(
    placements.query("placement == 'undetermined'"), frameworks, language, cases
)
tables.save(undetermined, f"{prefix}_governance_undetermined")
present.show(
    undetermined[
        ["case_id", "name", "framework", "dimension", "rule", "candidates", "explanation"]
    ],
    (
        "每列為一個案例在一個維度上無法判定的定位：規則代碼、仍可能的層級與可決定它的欄位或事實。",
        "One row per case and dimension left undetermined: the rule, the levels still possible, and the fields or facts that would decide it.",
    ),
    language,
    frame,
    empty=("每個案例在每個維度上都已判定。", "Every case is placed on every dimension."),
)

# %% [markdown]
# ## 風險矩陣 · The likelihood × consequence matrix
#
# The study's table, cell for cell; the number in each cell is the cases placed there (cases with an undetermined likelihood or consequence have no cell, and the title counts them).

# %%
matrix = governance.matrix_counts(placements, matrix_framework)
tables.save(matrix, f"{prefix}_governance_matrix")
figures.draw(
    f"{prefix}_governance_matrix",
    governance_figures.risk_matrix,
    matrix,
    matrix_framework,
    language=language,
    total=len(cases),
)

# %% [markdown]
# ## 層級 × 類別 · Placement by category

# %%
by_category = governance.by_category(placements, cases, chosen, dimension, frame)
tables.save(
    tables.labelled(by_category, frame, language, headings=False),
    f"{prefix}_governance_{framework}_by_category",
)
figures.draw(
    f"{prefix}_governance_{framework}_bars",
    governance_figures.placement_bars,
    by_category,
    chosen,
    dimension,
    frame,
    language,
)

# %% [markdown]
# ## 類別 → 層級 · From category to placement

# %%
figures.draw(
    f"{prefix}_governance_{framework}_flow",
    governance_figures.category_flow,
    by_category,
    chosen,
    dimension,
    frame,
    language,
)

# %% [markdown]
# ## 查核表 · The checklist per case
#
# The study's 23 recommendations (規劃 7, 執行 6, 監控 5, 調整 5; the text prints the four lists as 調整, 監控, 規劃, 執行 without their headings, and `data/frameworks/recommendations.yaml` records how count and content tell them apart) for every case, and each framework's duties: `required` where the case's placement brings the duty, `conditional` where the placement is undetermined and could bring it, `recommended` where the duty is voluntary. The workbook (`reports/tables/…_governance_checklist.xlsx`) has blank `status` and `notes` columns for the agency to fill in.

# %%
checklist = governance.checklist(cases, placements, frameworks, language=language)
governance_figures.save_checklist(checklist, f"{prefix}_governance_checklist", language)
present.show(
    governance.checklist_counts(checklist),
    (
        "每列為一個案例：必要、視情況與建議的查核項目數。",
        "One row per case: checklist items required, conditional and recommended.",
    ),
    language,
    frame,
)

# %% [markdown]
# ## 依層級之查核表 · The checklist for one level
#
# What a case placed at the chosen level (parameters `framework`, `dimension`, `level`) must or should do.

# %%
per_level = governance.tier_checklist(chosen, dimension, level, language=language)
tables.save(per_level, f"{prefix}_governance_{framework}_{level}_checklist")
present.show(
    per_level,
    (
        "每列為定位於所選層級的案例應辦或宜辦的一個查核項目。",
        "One row per checklist item a case placed at the chosen level must or should do.",
    ),
    language,
    frame,
)

# %% [markdown]
# ## 驗證 · The US high-impact rubric against the US inventories' own answers
#
# The US federal inventories record each use case's official answer: in 2024 the rights/safety classification (M-24-10, merged into M-25-21's high-impact AI), in 2025 the M-25-21 high-impact determination itself. A rubric that read it would agree trivially, so the rubric variants below do not read it, nor any flag the inventory's mapping derives from the same column (found from the mapping: `human_rights` in 2024, none in 2025). The second variant also drops `automated_decision`: the 2024 inventory asks its questions only of rights- or safety-impacting use cases, so whether it is reported carries the official answer. The 2025 cases are the coded inventory: their categories come from the coder measured on the JRC labels and their unreported flags from the coder measured on the 2024 flags (a text model; it never reads the 2025 answer, but it learnt `human_rights` from 2024's rights/safety classification). Agreement and Cohen's κ are computed on the cases both determine; then the rubric (rows) against the official answer (columns), first variant, undetermined included.

# %%
without_official = (
    "without the official answer and flags derived from it"
    if english
    else "不讀官方答案及由其衍生的風險"
)
without_automated = "also without automated decision" if english else "亦不讀自動化決策風險"
variants = {
    without_official: not_read,
    without_automated: not_read + ["automated_decision"],
}
variants_2025 = {
    without_official: not_read_2025,
    without_automated: not_read_2025 + ["automated_decision"],
}
display(
    present.show(
        governance.validation_table(us_cases, us_framework, variants, language).assign(
            inventory=validation_inventory
        ),
        (
            "美國聯邦 2024：每列為一種規則變體與維度，對照官方答案；一致率與 κ 以兩者皆判定的案例計算。",
            "US federal 2024: one row per rubric variant and dimension against the official answer; agreement and κ over the cases both determine.",
        ),
        language,
        frame,
    ),
    present.show(
        governance.validation_table(us25_cases, us_framework, variants_2025, language).assign(
            inventory=validation_inventory_2025
        ),
        (
            "美國聯邦 2025：每列為一種規則變體與維度，對照官方答案；一致率與 κ 以兩者皆判定的案例計算。",
            "US federal 2025: one row per rubric variant and dimension against the official answer; agreement and κ over the cases both determine.",
        ),
        language,
        frame,
    ),
)

# %%
display(
    present.show(
        governance.placement_confusion(
            governance.place_cases(us_cases, us_framework, language, exclude_fields=not_read),
            governance.place_cases(us_cases, us_framework, language, official_only=True),
        ),
        (
            "美國聯邦 2024：列為規則的定位，欄為官方答案（含無法判定），格內為案例數。",
            "US federal 2024: rows the rubric's placement, columns the official answer (undetermined included), cells case counts.",
        ),
        language,
        frame,
    ),
    present.show(
        governance.placement_confusion(
            governance.place_cases(
                us25_cases, us_framework, language, exclude_fields=not_read_2025
            ),
            governance.place_cases(us25_cases, us_framework, language, official_only=True),
        ),
        (
            "美國聯邦 2025：列為規則的定位，欄為官方答案（含無法判定），格內為案例數。",
            "US federal 2025: rows the rubric's placement, columns the official answer (undetermined included), cells case counts.",
        ),
        language,
        frame,
    ),
)

# %% [markdown]
# ## 軟體版本 · Software versions

# %%
present.software_versions(language, frame)
