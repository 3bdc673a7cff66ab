# %% [markdown]
# # 盤點概況 · Inventory profile
#
# Profiles one inventory in the canonical form: how it loaded (rows read, kept, rejected; every recoding and every unmapped value), who reports cases, how they are coded, which risks are ticked and how much is not reported. The last table compares every bundled inventory on the common frame.

# %% tags=["parameters"]
inventory = "us-federal-2024"
language = "zh-TW"
top = 15
compare = "bundled"  # or a list of inventory names

# %%
from IPython.display import Markdown, display

from analysis import coding, config, figures, inventories, load_frame, summary, tables
from analysis.environment import package_versions
from analysis.figures import inventory as inventory_figures

tables.setup_display()
frame = load_frame()
loaded = inventories.load(inventory)
cases = coding.cases_for(inventory, frame)
prefix = f"{inventory}-{language}"
compared = inventories.available() if compare == "bundled" else compare

# %% [markdown]
# ## 載入 · Load: rows read, kept and rejected

# %%
inventories.write_report(loaded, config.reports_dir())
loaded.report.counts()

# %% [markdown]
# ## 標準化報告 · Standardization report
#
# Every recoding applied, with its row count, and every native value left unmapped (also written to `reports/standardization-<inventory>.md`).

# %%
display(Markdown("### Crosswalk rules"), loaded.report.rules)
display(Markdown("### Recodings"), loaded.report.recodings)
display(Markdown("### Unmapped values"), loaded.report.unmapped)
display(Markdown("### Rejected rows"), loaded.report.rejected)

# %% [markdown]
# ## 來源與機關 · Sources and agencies

# %%
display(summary.column_counts(cases, "source", top))
summary.column_counts(cases, "agency", top)

# %% [markdown]
# ## 類別與技術 · Categories and techniques
#
# Categories count only where a label exists (`coded_by` says whose).

# %%
by_category = tables.labelled(summary.category_counts(cases, frame), frame, language)
tables.save(by_category, f"{prefix}_profile_categories")
display(by_category)
by_technique = tables.labelled(summary.technique_counts(cases, frame), frame, language)
tables.save(by_technique, f"{prefix}_profile_techniques")
by_technique

# %% [markdown]
# ## 風險標記 · Risk flags, with what is not reported
#
# Prevalence is among the cases that report the flag; the not-reported share is shown beside it.

# %%
flags = summary.flag_counts(cases, frame)
tables.save(tables.labelled(flags, frame, language), f"{prefix}_profile_flags")
display(tables.labelled(flags, frame, language))
figures.publish(
    inventory_figures.flag_status(flags, frame, language), f"{prefix}_profile_flag_status"
)

# %% [markdown]
# ## 缺漏 · Missingness by column

# %%
missing = summary.missingness(cases)
tables.save(missing, f"{prefix}_profile_missingness")
figures.publish(inventory_figures.missingness(missing), f"{prefix}_profile_missingness")

# %% [markdown]
# ## 各盤點比較 · The inventories side by side
#
# Cases, share with a coded category, category mix among coded cases, and per flag the prevalence among reporting cases with the share not reported.

# %%
comparison = summary.compare_inventories(
    {name: coding.cases_for(name, frame) for name in compared}, frame
)
tables.save(comparison, "inventories-compared")
comparison.set_index("inventory").T

# %% [markdown]
# ## 軟體版本 · Software versions

# %%
package_versions()
