# %% [markdown]
# # 研究節錄案例表 · The study's coded-case tables
#
# Regenerates the coded-case tables of 「公部門人工智慧規範架構」 from the canonical case table: each excerpt table as the study prints it (AI應用類型, 應用類型, 案例名稱, 使用AI技術 and the six risk columns with V), cases by category, ticks by risk, and a category × risk heatmap. Run with another `inventory` to lay out any coded inventory the same way.

# %% tags=["parameters"]
inventory = "study"
language = "zh-TW"

# %%
import pandas as pd
from IPython.display import Markdown, display

from analysis import coding, figures, inventories, load_frame, summary, tables
from analysis.environment import package_versions

tables.setup_display()
frame = load_frame()
loaded = inventories.load(inventory)
cases = coding.cases_for(inventory, frame)
prefix = f"{inventory}-{language}"

# %% [markdown]
# ## 載入與驗證 · Load and validation
#
# Rows read, kept and rejected: every row is accounted for.

# %%
loaded.report.counts()

# %% [markdown]
# ## 節錄表 · The excerpt tables, as printed
#
# One table per source; `V` is a ticked risk, blank an assessed no, `–` a risk not reported.

# %%
excerpts = tables.study_tables(cases, frame, language)
tables.save(tables.sources_with_tables(cases, frame, language), f"{prefix}_coded_cases")
for source, table in excerpts.items():
    display(Markdown(f"### {source}"), table)

# %% [markdown]
# ## 各類別案例數 · Cases by category

# %%
by_category = tables.labelled(summary.category_counts(cases, frame), frame, language)
tables.save(by_category, f"{prefix}_cases_by_category")
by_category

# %% [markdown]
# ## 各風險勾選數 · Ticks by risk
#
# Prevalence is the share ticked among the cases that report the risk.

# %%
by_flag = tables.labelled(summary.flag_counts(cases, frame), frame, language)
tables.save(by_flag, f"{prefix}_ticks_by_flag")
by_flag

# %% [markdown]
# ## 類別 × 風險 · Ticks by category and risk

# %%
category_flag = summary.category_flag_counts(cases, frame)
tables.save(tables.labelled(category_flag, frame, language), f"{prefix}_category_flag")
figures.publish(
    figures.category_flag_heatmap(category_flag, frame, language), f"{prefix}_category_flag_heatmap"
)

# %% [markdown]
# ## 編碼架構 · The coding frame
#
# The five categories and fourteen application types with the study's definitions.

# %%
tables.labelled(
    pd.DataFrame(frame.definitions("application_type")), frame, language, headings=False
)

# %% [markdown]
# ## 軟體版本 · Software versions

# %%
package_versions()
