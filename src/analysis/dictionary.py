"""The data dictionary of the canonical case table (``docs/data-dictionary.md``), generated
from the coding frame (:mod:`analysis.frame`), the canonical schema (:mod:`analysis.canonical`)
and the bundled mappings, so it lists exactly the columns and keys the loaders produce.

Regenerate it with ``python -m analysis docs`` (:func:`write_dictionary`); a test fails when
the committed file differs.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from . import canonical, config
from .errors import AnalysisError
from .frame import Frame, load_frame
from .mapping.report import markdown_table
from .mapping.spec import load_mapping
from .outputs import atomic_write_text

DICTIONARY_FILE = "data-dictionary.md"

INTRO = """\
# Data dictionary · 標準案例表資料字典

<!-- Generated from data/frame/frame.yaml, src/analysis/canonical.py and
data/inventories/*.yaml by `python -m analysis docs`; do not edit by hand. -->

Every inventory is loaded into one table with the same columns: one row per case. This page
lists each column, its type, whether it may be blank and what a blank means, and the keys
the coded columns take. 每個清冊都載入為同一欄位結構的標準案例表，一列一案。

Types: in Python (`analysis.inventories.load(...).cases`) text columns have the pandas dtype
`string` and flag columns `boolean`; a blank is `<NA>`. In a file written by
`python -m analysis export ... --to cases.csv` (UTF-8 with BOM) or `.xlsx`, flags read `yes`,
`no` or blank, and every other column is text with blank for `<NA>`;
`analysis.canonical.read_export` reads such a file back and checks it against this page.
The headings are the ones the reports use (`headings` and flag names in `frame.yaml`).
"""

#: What each canonical column holds: (type, blank allowed, what a blank means, English, 中文).
#: Flag, ``*_coded_by`` and ``*_as_recorded`` columns are described by their group.
COLUMNS: dict[str, tuple[str, str, str, str, str]] = {
    "case_id": (
        "text",
        "no",
        "a blank id is an error (or a rejected row with `on_problem: reject`)",
        "the case's id, unique within its inventory",
        "案例編號，同一清冊內不重複",
    ),
    "inventory": (
        "text",
        "no",
        "never blank",
        "the inventory the case came from (the mapping's `inventory`)",
        "案例所屬清冊（對應檔的 `inventory`）",
    ),
    "source": (
        "text",
        "yes",
        "the mapping names no sub-source",
        "sub-source inside an inventory (e.g. DIGI+, 服務品質獎)",
        "清冊內的子來源",
    ),
    "name": (
        "text",
        "yes",
        "the inventory gives no name",
        "name of the system or project",
        "系統或專案名稱",
    ),
    "agency": ("text", "yes", "not reported", "the agency responsible", "負責機關"),
    "description": (
        "text",
        "yes",
        "not reported",
        "what the system does, as the inventory describes it",
        "清冊對系統的說明",
    ),
    "category": (
        "key",
        "yes",
        "not coded",
        "the case's use category (Engstrom et al. 2020), a key of [Categories](#categories)",
        "AI 應用類型，見下方類別表",
    ),
    "application_type": (
        "key",
        "yes",
        "not coded",
        "the case's application type, a key of [Application types](#application-types) "
        "that belongs to the case's category",
        "應用類型，須屬於該案的類別",
    ),
    "flags_coded_by": (
        "provenance",
        "yes",
        "no flag is reported",
        "where the six flags came from, see [Provenance](#provenance-coded_by)",
        "風險欄位的編碼來源",
    ),
    "techniques": (
        "keys joined by `;`",
        "yes",
        "not reported (a cell is never empty text)",
        "the AI techniques named, keys of [Techniques](#techniques) in frame order",
        "使用的 AI 技術，以「;」連接的技術代碼",
    ),
}
GROUPS: dict[str, tuple[str, str, str, str, str]] = {
    "flag": (
        "boolean",
        "yes",
        "not reported (never read as no unless the mapping says why)",
        "the risk in the heading ([Risk flags](#risk-flags)): `True` ticked, `False` an "
        "assessed no",
        "該項風險：是、否；空白為未報告",
    ),
    "coded_by": (
        "provenance",
        "yes",
        "the coded value is blank",
        "where the coded value came from, see [Provenance](#provenance-coded_by)",
        "編碼來源",
    ),
    "as_recorded": (
        "text",
        "yes",
        "the inventory has no native text for the field",
        "the native text the coded value was read from, as printed",
        "編碼值所依據的原始文字",
    ),
}

#: What each ``*_coded_by`` value means: (English, 中文).
PROVENANCE: dict[str, tuple[str, str]] = {
    "study": ("coded by the study itself (its excerpt tables)", "研究本身的編碼（節錄表）"),
    "source": (
        "the inventory's own label, recoded to a frame key",
        "清冊自身的標籤，轉為編碼架構代碼",
    ),
    "crosswalk": (
        "derived from native fields by a rule of the mapping, with its rationale",
        "依對應檔規則由原始欄位推得",
    ),
    "rules": ("the rule coder (`analysis.coders.rules`)", "規則編碼器"),
    "model": ("the trained coder (`analysis.coders.trained`)", "訓練模型編碼器"),
    "llm": ("the LLM coder (`analysis.coders.llm`)", "大型語言模型編碼器"),
    "annotator": (
        "`annotator:<pass>`: an AI-assisted annotation pass, never human coding",
        "AI 輔助標註（非人工編碼）",
    ),
    "human": ("`human:<coder>`: a person's coding, from the coding sheets", "人工編碼"),
}


def _column_rows(frame: Frame) -> pd.DataFrame:
    """One row per canonical column, in table order."""
    flags = set(frame.flag_keys)
    rows = []
    for column in canonical.canonical_columns(frame):
        if column in flags:
            described = GROUPS["flag"]
            heading = (frame.label("flag", column, "zh-TW"), frame.label("flag", column, "en"))
        else:
            group = next((g for g in ("coded_by", "as_recorded") if column.endswith(g)), None)
            described = COLUMNS.get(column) or GROUPS.get(group or "")
            words = frame.headings.get(column)
            heading = (words["zh"], words["en"]) if words else ("", "")
        if described is None:
            raise AnalysisError(
                f"canonical column {column!r} has no description in analysis.dictionary"
            )
        kind, blank, blank_means, en, zh = described
        rows.append(
            {
                "column": f"`{column}`",
                "heading": " / ".join(h for h in heading if h),
                "type": kind,
                "blank": blank,
                "blank means": blank_means,
                "meaning": en,
                "說明": zh,
            }
        )
    return pd.DataFrame(rows)


def _keys(frame: Frame, kind: str) -> pd.DataFrame:
    """The keys of one kind of frame entry with their zh-TW and English names."""
    rows = []
    for e in frame.entries[kind]:
        row = {"key": f"`{e.key}`", "中文": e.name_zh, "English": e.name_en}
        if kind == "category":
            row["application types"] = ", ".join(
                f"`{t}`" for t in frame.application_types_of(e.key)
            )
        if kind == "application_type":
            row["category"] = f"`{e.category}`"
        if kind == "flag":
            row["definition"], row["定義"] = e.definition_en, e.definition_zh
        if kind == "technique":
            row["in the study's tables"] = "yes" if e.in_study else "no"
        rows.append(row)
    return pd.DataFrame(rows)


def _provenance_rows() -> pd.DataFrame:
    missing = [v for v in canonical.PROVENANCE_VALUES if v not in PROVENANCE]
    if missing:
        raise AnalysisError(f"provenance value(s) {missing} have no description")
    return pd.DataFrame(
        [
            {"value": f"`{v}`", "meaning": PROVENANCE[v][0], "說明": PROVENANCE[v][1]}
            for v in canonical.PROVENANCE_VALUES
        ]
    )


def _extras_rows(frame: Frame, folder: Path) -> pd.DataFrame:
    """The extra columns each bundled mapping adds after the canonical ones."""
    rows = []
    for path in sorted(folder.glob("*.yaml")):
        mapping = load_mapping(path, frame)
        extras = ", ".join(f"`{name}`" for name in mapping.extras) or "none"
        rows.append({"inventory": f"`{mapping.inventory}`", "extra columns": extras})
    return pd.DataFrame(rows)


def dictionary_markdown(frame: Frame | None = None, inventories: Path | None = None) -> str:
    """The data dictionary as Markdown: columns, keys of every coded column, provenance
    values and the extras of each mapping in ``inventories`` (default: the bundled ones)."""
    frame = frame or load_frame()
    folder = Path(inventories) if inventories is not None else config.INVENTORIES_DIR
    tick = ", ".join(f"`{v}`" for v in sorted(frame.tick_values["yes"]))
    no = ", ".join(f"`{v}`" for v in sorted(frame.tick_values["no"]))
    unknown = ", ".join(f"`{v}`" for v in sorted(frame.tick_values["not_reported"]))
    sections = [
        INTRO,
        "## Columns · 欄位\n\nIn this order; any further column is an inventory-specific "
        "extra (see [Extras](#extras)).\n",
        markdown_table(_column_rows(frame)),
        "## Categories\n\nThe five government-AI use categories of Engstrom et al. (2020), "
        "as the study names them. 政府 AI 應用五大分類。\n",
        markdown_table(_keys(frame, "category")),
        f"## Application types\n\nThe {len(frame.application_type_keys)} application types; "
        "each belongs to one category. 應用類型。\n",
        markdown_table(_keys(frame, "application_type")),
        "## Risk flags\n\nThe risks of the study's coding prompt; one boolean column "
        f"each. When a mapping reads a tick column, {tick} count as yes, {no} as no and "
        f"{unknown} as not reported (after normalisation); a mapping may list more. "
        "研究編碼提示中的風險。\n",
        markdown_table(_keys(frame, "flag")),
        "## Techniques\n\nKeys of the `techniques` column, in frame order. 技術代碼。\n",
        markdown_table(_keys(frame, "technique")),
        "## Provenance (coded_by)\n\nThe values of `category_coded_by`, "
        "`application_type_coded_by`, `techniques_coded_by` and `flags_coded_by`; "
        "`annotator` and `human` carry a name after a colon. Coded inventories "
        "(`<inventory>-coded`) add `<field>_confidence` (0–1) beside each field a coder "
        "filled. 編碼來源。\n",
        markdown_table(_provenance_rows()),
        "## Extras\n\nColumns each bundled mapping keeps after the canonical ones (text, "
        "blank where the inventory has no value). 各清冊的額外欄位。\n",
        markdown_table(_extras_rows(frame, folder)),
    ]
    return "\n".join(sections)


def write_dictionary(folder: Path | None = None) -> Path:
    """Write ``data-dictionary.md`` to ``folder`` (default: ``docs/`` of the checkout)."""
    folder = Path(folder) if folder is not None else config.ROOT / "docs"
    folder.mkdir(parents=True, exist_ok=True)
    return atomic_write_text(folder / DICTIONARY_FILE, dictionary_markdown())
