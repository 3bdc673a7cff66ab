# %% [markdown]
# # 編碼者一致性 · Agreement between coders
#
# Coding by people, as the suite supports it: each coder fills a coding sheet (`python -m analysis sheets export`), the filled sheets are read back (`python -m analysis sheets import`), and this report shows how far the coders agree — Krippendorff's α per field, Cohen's κ per risk, every disagreement — and merges their codes: agreed values, and the adjudicator's where they differ. Run with `sheets` set to a folder of filled sheets to report on your coders (`coded_by` = `human:<coder>`).
#
# Without `sheets`, the report runs the same route on real codes: the two recorded annotation passes of the Taiwanese public cases and their adjudication (`data/raw/taiwan-reference/`), written out as filled coding sheets and read back through the import. Those passes were made with AI assistance, so their codes are annotations (`annotator:<pass>`), not human coding.

# %% tags=["parameters"]
sheets: str = ""  # a folder of filled coding sheets (.xlsx); empty: the bundled annotation passes
adjudicator: str = "adjudicated"  # the coder whose sheet settles disagreements; empty: none
language: str = "zh-TW"  # zh-TW or en

# %%
from analysis import load_frame, parameters

frame = load_frame()
parameters.check(
    "07_human_coding", frame, sheets=sheets, adjudicator=adjudicator, language=language
)

# %%
from analysis import config, exports, human_coding, present, tables

tables.setup_display()
coded = human_coding.import_sheets(sheets, adjudicator, frame, language)
prefix = f"human-coding-{human_coding.run_label(sheets)}-{language}"

# %% [markdown]
# ## 編碼者 · The coders
#
# One row per sheet read: who filled it (`coded_by`), the cases it covers and the codes it gives per field. A blank cell is not coded.

# %%
by_coder = human_coding.coders_table(coded, frame)
tables.save(by_coder, f"{prefix}_coders")
present.show(
    by_coder,
    (
        "每列為一份編碼表：編碼者、涵蓋案例數，以及各欄位的編碼數。",
        "One row per sheet: its coder, the cases it covers and the codes it gives per field.",
    ),
    language,
    frame,
)

# %% [markdown]
# ## 各欄位一致性 · Agreement per field
#
# Krippendorff's α (nominal) between the coders compared (the adjudicator left out), over the cases coded by two or more; techniques are compared as whole lists. Agreement is the share of those cases on which every coder gave the same value.

# %%
agreement = human_coding.field_agreement(coded, frame)
tables.save(agreement, f"{prefix}_alpha_by_field")
present.show(
    agreement,
    (
        "每列為一個欄位：案例數、編碼者數、可配對案例數、Krippendorff α 與完全一致的比例。",
        "One row per field: cases, coders, cases coded by two or more, Krippendorff's α and "
        "the share in full agreement.",
    ),
    language,
    frame,
    empty=("編碼表中沒有任何編碼。", "The sheets hold no codes."),
)

# %% [markdown]
# ## 各風險的 Cohen κ · Cohen's κ per risk
#
# For every pair of coders, on the cases both coded.

# %%
kappa = human_coding.flag_kappa(coded, frame)
tables.save(kappa, f"{prefix}_kappa_by_flag")
present.show(
    kappa,
    (
        "每列為一項風險與一對編碼者：兩者皆編碼的案例數與 Cohen κ。",
        "One row per risk and pair of coders: cases both coded and Cohen's κ.",
    ),
    language,
    frame,
    empty=(
        "少於兩位編碼者為風險編碼，無法計算 κ。",
        "Fewer than two coders coded the risks: no κ to compute.",
    ),
)

# %% [markdown]
# ## 不一致清單 · The disagreements
#
# Every case and field on which the coders differ, with each coder's value and, where an adjudicator coded it, the adjudicator's ruling. The CSV of this table is the adjudicator's worklist.

# %%
disagreements = human_coding.disagreement_list(coded, frame)
tables.save(disagreements, f"{prefix}_disagreements")
present.show(
    disagreements,
    (
        "每列為一個案例的一個欄位：各編碼者的值，以及裁決者的裁定。",
        "One row per case and field: each coder's value, and the adjudicator's ruling.",
    ),
    language,
    frame,
    empty=("編碼者之間沒有不一致。", "The coders agree on every case they coded."),
)

# %% [markdown]
# ## 合併的編碼 · The merged codes
#
# The coded inventories with the merged codes: where the coders agree, their value (`coded_by` names them all); where they differ, the adjudicator's. Values the study, a source or a crosswalk coded are kept. The merged case table is written as a canonical CSV next to this report's tables.

# %%
merged = human_coding.merged(coded, frame=frame)
exports.write_export(merged, config.tables_dir() / f"{prefix}_merged_cases.csv", frame=frame)
present.show(
    human_coding.merge_sources(merged, frame),
    (
        "每列為一個欄位，每欄為合併值的來源（編碼者）：案例數。",
        "One row per field, one column per origin of the merged value (coded by): cases.",
    ),
    language,
    frame,
)

# %% [markdown]
# ## 軟體版本 · Software versions

# %%
present.software_versions(language, frame)
