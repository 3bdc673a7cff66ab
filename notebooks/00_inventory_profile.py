# %% [markdown]
# # 盤點概況 · Inventory profile
#
# Profiles one inventory in the canonical form: how it loaded (rows read, kept, rejected; every recoding and every unmapped value), who reports cases, how they are coded, which risks are ticked and how much is not reported. The last table compares every bundled inventory on the common frame.

# %% tags=["parameters"]
inventory: str = "us-federal-2024"  # an inventory name or a mapping file path
language: str = "zh-TW"  # zh-TW or en
top: int = 15  # sources and agencies listed before the rest are merged
compare: str = "bundled"  # inventories side by side: bundled (every bundled one) or a list of names

# %%
from analysis import load_frame, parameters

frame = load_frame()
parameters.check(
    "00_inventory_profile", frame, inventory=inventory, language=language, top=top, compare=compare
)

# %%
from IPython.display import display

from analysis import coding, config, figures, inventories, present, summary, tables
from analysis.figures import inventory as inventory_figures

tables.setup_display()
loaded = inventories.load(inventory)
cases = coding.cases_for(inventory, frame)
prefix = f"{parameters.output_name(inventory)}-{language}"
compared = inventories.available() if compare == "bundled" else compare

# %% [markdown]
# ## 載入 · Load: rows read, kept and rejected

# %%
inventories.write_report(loaded, config.reports_dir())
present.load_counts(inventory, language, frame)

# %% [markdown]
# ## 標準化報告 · Standardization report
#
# Every recoding applied, with its row count, and every native value left unmapped (also written to `reports/standardization-<inventory>.md`).

# %%
display(
    present.show(
        loaded.report.rules,
        (
            "對照規則：每列為一個標準欄位取自來源的哪一欄、由誰編碼；理由照對照檔原文。",
            "Crosswalk rules: one row per canonical field, where it comes from and who codes it; rationale as written in the mapping file.",
        ),
        language,
        frame,
    ),
    present.show(
        loaded.report.recodings,
        (
            "重新編碼：每列為一個來源值對應到的標準值，列數為使用此對應的案例數。",
            "Recodings: one row per native value and the canonical value it became; rows counts the cases.",
        ),
        language,
        frame,
        empty=("沒有重新編碼：每個值都照原樣載入。", "No recoding: every value loaded as it was."),
    ),
    present.show(
        loaded.report.unmapped,
        (
            "未對應值：每列為一個無法對應到編碼架構的來源值，以及如何處理。",
            "Unmapped values: one row per native value the frame does not know, and what was done with it.",
        ),
        language,
        frame,
        empty=("沒有未對應的值。", "No value was left unmapped."),
    ),
    present.show(
        loaded.report.rejected,
        (
            "拒收的列：每列為一個被拒收的來源列，附檔案、列、欄與原因。",
            "Rejected rows: one row per source row refused, with file, row, column and reason.",
        ),
        language,
        frame,
        empty=("沒有列被拒收。", "No row was rejected."),
    ),
)

# %% [markdown]
# ## 來源與機關 · Sources and agencies

# %%
display(
    present.show(
        summary.column_counts(cases, "source", top),
        (
            f"每列為一個來源（前 {top} 個，其餘合併）；占比以全部案例為分母。",
            f"One row per source (the first {top}, the rest merged); share of all cases.",
        ),
        language,
        frame,
    ),
    present.show(
        summary.column_counts(cases, "agency", top),
        (
            f"每列為一個機關（前 {top} 個，其餘合併；「—」為未填機關）；占比以全部案例為分母。",
            f"One row per agency (the first {top}, the rest merged; “—” = no agency given); share of all cases.",
        ),
        language,
        frame,
    ),
)

# %% [markdown]
# ## 類別與技術 · Categories and techniques
#
# Categories count only where a label exists (`coded_by` says whose).

# %%
by_category = summary.category_counts(cases, frame)
tables.save(tables.labelled(by_category, frame, language), f"{prefix}_profile_categories")
by_technique = summary.technique_counts(cases, frame)
tables.save(tables.labelled(by_technique, frame, language), f"{prefix}_profile_techniques")
display(
    present.show(
        by_category,
        (
            "每列為一個AI應用類型；占比以已編碼類型的案例為分母。",
            "One row per AI use category; share of the cases with a category.",
        ),
        language,
        frame,
    ),
    present.show(
        by_technique,
        (
            "每列為一種AI技術（一個案例可用多種技術）；占比以報告技術的案例為分母。",
            "One row per AI technique (a case may use several); share of the cases reporting techniques.",
        ),
        language,
        frame,
        empty=("沒有案例報告AI技術。", "No case reports an AI technique."),
    ),
)

# %% [markdown]
# ## 風險標記 · Risk flags, with what is not reported
#
# Prevalence is among the cases that report the flag; the not-reported share is shown beside it.

# %%
flags = summary.flag_counts(cases, frame)
tables.save(tables.labelled(flags, frame, language), f"{prefix}_profile_flags")
display(
    present.show(
        flags,
        (
            "每列為一項風險；盛行率以有報告此風險的案例為分母，未報告比例以全部案例為分母。",
            "One row per risk; prevalence among the cases reporting it, share not reported among all cases.",
        ),
        language,
        frame,
    ),
    figures.draw(
        f"{prefix}_profile_flag_status", inventory_figures.flag_status, flags, frame, language
    ),
)

# %% [markdown]
# ## 缺漏 · Missingness by column

# %%
missing = summary.missingness(cases)
tables.save(missing, f"{prefix}_profile_missingness")
figures.draw(
    f"{prefix}_profile_missingness",
    inventory_figures.missingness,
    missing,
    frame=frame,
    language=language,
)

# %% [markdown]
# ## 各盤點比較 · The inventories side by side
#
# Cases, share with a coded category, category mix among coded cases, and per flag the prevalence among reporting cases with the share not reported.

# %%
comparison = summary.compare_inventories(
    {name: coding.cases_for(name, frame) for name in compared}, frame
)
tables.save(comparison, "inventories-compared")
present.show(
    comparison.set_index("inventory").T.rename_axis("measure"),
    (
        "每欄為一份盤點，每列為一項指標：案例數、已編碼類型數、各類型占比，以及各風險的盛行率與未報告比例。",
        "One column per inventory, one row per measure: cases, cases with a category, the category mix, and per risk its prevalence and share not reported.",
    ),
    language,
    frame,
)

# %% [markdown]
# ## 軟體版本 · Software versions

# %%
present.software_versions(language, frame)
