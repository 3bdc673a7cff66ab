# %% [markdown]
# # 研究節錄案例表 · The study's coded-case tables
#
# Regenerates the coded-case tables of 「公部門人工智慧規範架構」 from the canonical case table: each excerpt table as the study prints it (AI應用類型, 應用類型, 案例名稱, 使用AI技術 and the six risk columns with V), cases by category, ticks by risk, and a category × risk heatmap. Run with another `inventory` to lay out any coded inventory the same way.

# %% tags=["parameters"]
inventory: str = "study"  # an inventory name or a mapping file path
language: str = "zh-TW"  # zh-TW or en

# %%
from analysis import load_frame, parameters

frame = load_frame()
parameters.check("01_study_tables", frame, inventory=inventory, language=language)

# %%
import pandas as pd
from IPython.display import display

from analysis import coding, figures, present, summary, tables

tables.setup_display()
cases = coding.cases_for(inventory, frame)
prefix = f"{parameters.output_name(inventory)}-{language}"

# %% [markdown]
# ## 載入與驗證 · Load and validation
#
# Rows read, kept and rejected: every row is accounted for.

# %%
present.load_counts(inventory, language, frame)

# %% [markdown]
# ## 節錄表 · The excerpt tables, as printed
#
# One table per source; `V` is a ticked risk, blank an assessed no, `–` a risk not reported.

# %%
excerpts = tables.study_tables(cases, frame, language)
tables.save(tables.sources_with_tables(cases, frame, language), f"{prefix}_coded_cases")
for source, table in excerpts.items():
    display(
        present.show(
            table,
            (
                f"{source}：每列為一個案例；V 為勾選，空白為評估為否，– 為未報告。",
                f"{source}: one row per case; V = ticked, blank = assessed no, – = not reported.",
            ),
            language,
            frame,
        )
    )

# %% [markdown]
# ## 各類別案例數 · Cases by category

# %%
by_category = summary.category_counts(cases, frame)
tables.save(tables.labelled(by_category, frame, language), f"{prefix}_cases_by_category")
present.show(
    by_category,
    (
        "每列為一個AI應用類型；占比以已編碼類型的案例為分母。",
        "One row per AI use category; share of the cases with a category.",
    ),
    language,
    frame,
)

# %% [markdown]
# ## 各風險勾選數 · Ticks by risk
#
# Prevalence is the share ticked among the cases that report the risk.

# %%
by_flag = summary.flag_counts(cases, frame)
tables.save(tables.labelled(by_flag, frame, language), f"{prefix}_ticks_by_flag")
present.show(
    by_flag,
    (
        "每列為一項風險；盛行率以有報告此風險的案例為分母。",
        "One row per risk; prevalence among the cases reporting it.",
    ),
    language,
    frame,
)

# %% [markdown]
# ## 類別 × 風險 · Ticks by category and risk

# %%
category_flag = summary.category_flag_counts(cases, frame)
tables.save(tables.labelled(category_flag, frame, language), f"{prefix}_category_flag")
figures.draw(
    f"{prefix}_category_flag_heatmap", figures.category_flag_heatmap, category_flag, frame, language
)

# %% [markdown]
# ## 編碼架構 · The coding frame
#
# The five categories and fourteen application types with the study's definitions.

# %%
present.show(
    pd.DataFrame(frame.definitions("application_type")).drop(columns="key"),
    (
        "每列為一個應用類型，附所屬AI應用類型與研究的定義。",
        "One row per application type, with its AI use category and the study's definition.",
    ),
    language,
    frame,
)

# %% [markdown]
# ## 軟體版本 · Software versions

# %%
present.software_versions(language, frame)
