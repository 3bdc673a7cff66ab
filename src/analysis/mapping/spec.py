"""The mapping format: a declarative model of the YAML file (``data/inventories/*.yaml``)
that turns a raw inventory into the canonical case table.

Each class below is one place in the file (the top level, an entry of ``files``, a field
spec, the ``flags`` section, ...) and each attribute one key, with its type, default,
allowed values and a description in English and Traditional Chinese. The same model
validates a mapping (:func:`load_mapping`), writes the key reference
``docs/mapping-format.md`` and exports ``docs/mapping.schema.json`` for editors
(:mod:`analysis.mapping.reference`), so the rules are written once.

Why pydantic rather than a hand-written JSON Schema: a validated file is a tree of typed
objects that :meth:`MappingDocument.compile` reads attribute by attribute, not nested dicts;
checks that need the coding frame (a recode target must be a category of
``data/frame/frame.yaml``, a flag key one of its flags) are ordinary validators that receive
the frame through the validation context, which a JSON Schema cannot express; every
failure is translated in one place (:func:`mapping_error`) into the project's bilingual
:class:`~analysis.errors.InputError` naming file, key path, value and expectation; and the
JSON Schema editors use is still exported from the model.

:meth:`MappingDocument.compile` turns a validated file into a :class:`Mapping`, the plan
:func:`analysis.mapping.apply.apply_mapping` runs: regular expressions compiled, native
values folded for matching, flag defaults merged into each flag, file paths resolved.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, ClassVar, Literal, Union, get_args, get_origin

import regex
import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.fields import FieldInfo
from pydantic_core import PydanticCustomError

from .. import canonical
from ..errors import InputError, Problem, input_error
from ..frame import NO, NOT_REPORTED, YES, Frame, load_frame
from ..readers import check_regular_file
from ..textnorm import fold

TEXT_FIELDS = ("source", "name", "agency", "description")
CLOSED_FIELDS = canonical.CLOSED_FIELDS
#: Where a coded value comes from (``human`` is written ``human:<coder>``).
CODED_BY = canonical.PROVENANCE_VALUES
#: How a flag read from several native columns is combined (see :class:`FlagSpec`).
COMBINE_MODES = ("any", "any_reported", "all", "first")
FORMATS = ("csv", "tsv", "txt", "xlsx", "xlsm", "json", "jsonl")
#: Flag answers a recode may name (``true``/``false`` are read as yes/no).
FLAG_TARGETS = (YES, NO, NOT_REPORTED, "true", "false")
#: The case id of a mapping with ``case_id: {generate: row}``: the spreadsheet row number.
ROW_NUMBER = "<row>"
#: Seconds one regular expression of a mapping (``extract``, ``remove``, ``patterns``) may
#: run on one value; longer is an error naming the pattern, the field and the row.
REGEX_TIMEOUT = 1.0
#: Aliases (``*name``) a mapping file may use; more is refused before the file is read, so
#: that nested aliases cannot expand into millions of values.
MAX_ALIASES = 20
#: A mapping file is a page of YAML; anything larger is not one (checked from its size).
MAX_MAPPING_BYTES = 1024 * 1024


# -- keys and problems --------------------------------------------------------------------
def key(
    default: Any = ...,
    *,
    en: str,
    zh: str,
    expected: tuple[str, str] | None = None,
    shown_default: str | None = None,
    alias: str | None = None,
    deprecated: bool = False,
    **constraints: Any,
) -> Any:
    """One key of the format: its default (``...``: required), a description in English and
    Traditional Chinese and, where its type does not say it, what a valid value is
    (``expected``, for error messages) and the default as the reference shows it."""
    extra: dict[str, Any] = {"description_zh": zh}
    if expected is not None:
        extra["x-expected"] = list(expected)
    if shown_default is not None:
        extra["x-default"] = shown_default
    if deprecated:  # marked in the schema only: pydantic would warn on every attribute read
        extra["deprecated"] = True
    return Field(default, alias=alias, description=en, json_schema_extra=extra, **constraints)


_NO_VALUE = object()


def problem(
    expected: str, expected_zh: str, value: object = _NO_VALUE, at: tuple = ()
) -> PydanticCustomError:
    """A validation failure in the project's words: what was expected (English and zh-TW).
    ``at`` locates it below the key being validated; ``value`` replaces the key's value."""
    ctx: dict[str, Any] = {"expected": expected, "expected_zh": expected_zh, "at": at}
    if value is not _NO_VALUE:
        ctx["value"] = value
    return PydanticCustomError("mapping", "expected {expected}", ctx)


def _frame(info: ValidationInfo) -> Frame | None:
    """The coding frame the file is checked against (none given: frame checks are skipped)."""
    return (info.context or {}).get("frame")


# -- value types --------------------------------------------------------------------------
def _number_as_text(value: object) -> object:
    """YAML reads ``2024`` as a number; where a text is meant, a number is that text."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return value


def _one_as_list(value: object) -> object:
    """A single text where a list is expected is a list of one; null is an empty list."""
    if value is None:
        return []
    return [value] if isinstance(value, str) else value


def _recode_target(value: object) -> object:
    """A recode target: a text (or number, or true/false), null, or a list of them."""
    targets = value if isinstance(value, list) else [value]
    if any(t is not None and not isinstance(t, (str, int, float)) for t in targets):
        raise problem("a canonical value (text) or null", "標準值（文字）或 null")
    return value


def _sheet(value: object) -> object:
    if value is not None and (isinstance(value, bool) or not isinstance(value, (str, int))):
        raise problem("a sheet name or a 0-based sheet index", "工作表名稱或從 0 起算的序號")
    return value


def _null_is(default: object):
    return BeforeValidator(lambda v: default if v is None else v)


def _compiled(text: object) -> regex.Pattern:
    """A mapping's regular expression, run by the ``regex`` engine (calls take a timeout)."""
    try:
        return regex.compile(str(text))
    except (regex.error, ValueError) as exc:
        raise problem(f"a valid regular expression ({exc})", "有效的正規表示式") from None


Text = Annotated[str, BeforeValidator(_number_as_text, json_schema_input_type=str | int | float)]
Columns = Annotated[
    list[Text], BeforeValidator(_one_as_list, json_schema_input_type=str | list[str])
]
Target = Annotated[
    Any,
    PlainValidator(
        _recode_target, json_schema_input_type=str | int | float | bool | list[str] | None
    ),
]
Recodes = Annotated[dict[Any, Target], _null_is({})]
Regex = Annotated[str, Field(json_schema_extra={"format": "regex"})]
CodedBy = Annotated[str, Field(pattern=rf"^({'|'.join(CODED_BY)})(:[\s\S]*)?$")]
CODED_BY_EXPECTED = (
    f"one of {', '.join(CODED_BY)} (human:<coder> for a person)",
    "允許的編碼來源（" + "、".join(CODED_BY) + "，人工編碼寫作 human:<編碼者>）",
)
Switch = Annotated[bool, _null_is(False)]
Rationale = Annotated[
    str,
    _null_is(""),
    BeforeValidator(_number_as_text, json_schema_input_type=str | int | float | None),
]


def _column_shorthand(value: object) -> object:
    """``name: Column`` is ``name: {from: Column}`` (and ``name: ""`` names no column)."""
    if isinstance(value, str):
        return {"from": value} if value else {}
    return value


def _flag_shorthand(value: object) -> object:
    """A flag given as a column, a list of columns or nothing (every key from the defaults)."""
    if value is None:
        return {}
    return {"from": value} if isinstance(value, (str, list)) else value


def _column_entry(value: object) -> object:
    """``- Column`` in a flag's ``from`` list is ``- {column: Column}``."""
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return {"column": _number_as_text(value)}
    return value


class Place(BaseModel):
    """Base of every place in a mapping file: unknown keys are errors, and a value has the
    type its key needs (no silent reading of ``"2"`` as 2 or of ``yes`` as a text)."""

    # defer_build: validators are built on the first validation, not at import (every report
    # imports this module; 30 ms less per kernel start)
    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=False, defer_build=True)
    #: What a value in this place is (for errors): English, Traditional Chinese.
    expected: ClassVar[tuple[str, str]] = ("a mapping", "對應（mapping）")
    #: Heading of this place in the key reference.
    title: ClassVar[str] = ""


# -- files ----------------------------------------------------------------------------------
class FileEntry(Place):
    """One raw file; a bare path is ``{path: <path>}``. All files of a mapping are read with
    the same column mapping and their cases stacked. A column name repeated in the header
    is numbered as pandas does (``If Other, please explain.``, ``If Other, please
    explain..1``, ...) and the renaming is listed in the report's notes.

    A JSON file (``.json``) holds a list of records, at the top level or at the dotted path
    ``records``; a JSON Lines file (``.jsonl``) one record per line. A record's fields are
    its columns, a nested field named by its dotted path (``organisation.name``); the items
    of a list are joined with ``list_join`` into one cell, and so is each field of a list
    of objects (``authorities.name``). Problems name the record (1-based) and the field; a
    field absent from some records is blank there and listed in the report's notes."""

    expected: ClassVar[tuple[str, str]] = (
        "a file path or a mapping with 'path'",
        "檔案路徑或含 path 的設定",
    )
    title: ClassVar[str] = "Raw files"

    path: str = key(
        en="path of the raw file, relative to the mapping file's folder",
        zh="原始檔案路徑，相對於對應檔所在的資料夾",
        expected=("a file path", "檔案路徑"),
        pattern=r"\S",
    )
    format: Literal["csv", "tsv", "txt", "xlsx", "xlsm", "json", "jsonl"] | None = key(
        None,
        en="file format (upper or lower case)",
        zh="檔案格式（大小寫皆可）",
        shown_default="by extension",
    )
    encoding: str = key(
        "utf-8",
        en="text encoding of a CSV/TSV/TXT/JSON file (utf-8, cp1252, cp950, "
        "big5, utf-16, ...); a byte-order mark is honoured. Bytes that do not decode "
        "are an error naming the encoding that would work",
        zh="CSV/TSV/TXT/JSON 的文字編碼（utf-8、cp1252、cp950、big5、utf-16…），依 BOM 判斷；"
        "無法解碼時，錯誤訊息會指出可用的編碼",
        expected=(
            "a text encoding such as utf-8, cp950, cp1252",
            "文字編碼（如 utf-8、cp950、cp1252）",
        ),
    )
    delimiter: str = key(
        ",",
        en='the one character between CSV cells ("\\t" for a tab)',
        zh='CSV 儲存格之間的單一字元（tab 寫作 "\\t"）',
        expected=('one character such as , ; or a tab ("\\t")', "單一字元（如 , ; 或 tab）"),
        pattern=r'^[^\r\n"]$',
    )
    header_row: int = key(
        1,
        en="spreadsheet row of the column names; rows above it are ignored",
        zh="欄位名稱所在的試算表列號；其上各列略過",
        expected=("a spreadsheet row number: 1, 2, ...", "試算表列號：1、2…"),
        ge=1,
    )
    sheet: Annotated[Any, PlainValidator(_sheet, json_schema_input_type=str | int | None)] = key(
        None,
        en="XLSX sheet name or 0-based index",
        zh="XLSX 工作表名稱或從 0 起算的序號",
        expected=("a sheet name or a 0-based sheet index", "工作表名稱或從 0 起算的序號"),
        shown_default="the first sheet",
    )
    records: Text | None = key(
        None,
        en="JSON: dotted path to the list of records (data.algorithms)",
        zh="JSON：記錄清單的點號路徑（如 data.algorithms）",
        expected=(
            "a dotted path of keys, e.g. data.algorithms",
            "以點號分隔的鍵路徑，如 data.algorithms",
        ),
        shown_default="the top level",
        pattern=r"^[^.\s][^.]*(\.[^.]+)*$",
    )
    list_join: str = key(
        "; ",
        en="JSON: separator of the items of a list read into one cell (a technique "
        "separator of the frame keeps each item a technique)",
        zh="JSON：清單各項併入一格時的分隔字串（使用編碼架構的技術分隔符號，各項即為一項技術）",
        expected=("a text", "文字"),
        min_length=1,
    )

    @field_validator("format", mode="before")
    @classmethod
    def _lower_case(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) and value.lower() in FORMATS else value

    @model_validator(mode="after")
    def _json_keys_for_json(self) -> FileEntry:
        """``records`` only for a JSON file, ``list_join`` for JSON or JSON Lines."""
        fmt = self.format or Path(self.path).suffix.lstrip(".").lower()
        allowed = {"records": ("json",), "list_join": ("json", "jsonl", "ndjson")}
        for name, formats in allowed.items():
            if name in self.model_fields_set and fmt not in formats:
                raise problem(
                    f"{name} only for a {' or '.join(formats[:2])} file (this one is {fmt or '?'}; "
                    "set format: if the extension says otherwise)",
                    f"{name} 僅用於 {'、'.join(formats[:2])} 檔案（此檔為 {fmt or '?'}；"
                    "副檔名不符時請設定 format:）",
                    value=getattr(self, name),
                    at=(name,),
                )
        return self


FileItem = Annotated[
    FileEntry,
    BeforeValidator(
        lambda v: {"path": v} if isinstance(v, str) else v, json_schema_input_type=str | FileEntry
    ),
]


# -- field specs ------------------------------------------------------------------------------
def _require_source(spec: ColumnSpec) -> None:
    if not spec.from_ and spec.constant is None:
        raise problem(
            "'from' (native column or list of columns) or 'constant'",
            "from（原始欄位）或 constant",
            value=None,
        )


class ColumnSpec(Place):
    """Keys every field spec shares: where the native value comes from and how it is
    cleaned before any recoding."""

    expected: ClassVar[tuple[str, str]] = (
        "a column name or a mapping with 'from'",
        "欄位名稱或含 from 的設定",
    )

    from_: Columns = key(
        [],
        alias="from",
        en="native column, or a list of columns joined with join",
        zh="原始欄位，或以 join 串接的欄位清單",
        shown_default="none",
        expected=("a column name or a list of column names", "欄位名稱或欄位名稱清單"),
    )
    constant: Text | None = key(
        None,
        en="a fixed value instead of from (e.g. the source's name)",
        zh="固定值，取代 from（例如來源名稱）",
        expected=("a text or number", "文字或數字"),
    )
    join: str = key(
        " ",
        en="separator when from lists several columns",
        zh="from 列出多欄時的分隔字串",
        expected=("a text", "文字"),
    )
    fill_down: Switch = key(
        False,
        en="true: a blank cell takes the value above (merged cells)",
        zh="true：空白儲存格沿用上一列的值（合併儲存格）",
        expected=("true or false", "true 或 false"),
    )
    extract: Regex | None = key(
        None,
        en="regular expression with one group: keep what it captures "
        "(e.g. the agency printed in 【】)",
        zh="含一個群組的正規表示式：只保留群組擷取的部分（如【】中的機關）",
        expected=("a regular expression with one group", "含一個群組的正規表示式"),
    )
    remove: Regex | None = key(
        None,
        en="regular expression: delete what it matches",
        zh="正規表示式：刪除符合的部分",
        expected=("a regular expression", "正規表示式"),
    )
    coded_by: CodedBy | None = key(
        None,
        en="where the value comes from: source (the inventory "
        "assigned it), crosswalk (derived by this mapping), study, rules, "
        "model, llm, human:<coder>",
        zh="編碼來源：source（清冊自行標示）、crosswalk（本對應檔推導）、study、"
        "rules、model、llm、human:<編碼者>",
        expected=CODED_BY_EXPECTED,
    )
    rationale: Rationale = key(
        "",
        en="one line saying why the rule is right; shown in the report's crosswalk table",
        zh="一句說明此規則為何正確；列於報告的對照規則表",
        expected=("a sentence", "一句說明"),
    )

    @field_validator("extract")
    @classmethod
    def _one_group(cls, value: str | None) -> str | None:
        if value is not None and _compiled(value).groups < 1:
            raise problem("a regular expression with one group", "含一個群組的正規表示式")
        return value

    @field_validator("remove")
    @classmethod
    def _valid_regex(cls, value: str | None) -> str | None:
        if value is not None:
            _compiled(value)
        return value

    @model_validator(mode="after")
    def _has_source(self) -> ColumnSpec:
        _require_source(self)
        return self


class TextSpec(ColumnSpec):
    """A text column (``source``, ``name``, ``agency``, ``description`` and every extra),
    kept as recorded and trimmed. With ``values`` each native value is recoded, and a value
    not listed is an error unless ``unmapped: keep``."""

    title: ClassVar[str] = "Text field spec"

    required: Switch = key(
        False,
        en="true: a blank value (an empty cell, a JSON null, or a field absent from a JSON "
        "record) is a problem on its row; false: it is left blank (an absent JSON field is "
        "said in the report's notes)",
        zh="true：空白值（空儲存格、JSON null，或 JSON 記錄中缺少此欄位）為該列的問題；"
        "false：保留空白（JSON 記錄缺少欄位時於報告註記）",
        expected=("true or false", "true 或 false"),
    )

    values: Recodes = key(
        {},
        en="recodes native: canonical. Native values are matched after "
        "normalisation: Unicode NFKC (full-width to half-width), line-wrap spaces "
        "inside CJK text removed, whitespace collapsed, trimmed, case-folded, so "
        "'Rights-Impacting\\n' matches rights-impacting. A target null means "
        '"recognised, names nothing"',
        zh="原始值: 標準值 的對照。比對前先正規化（NFKC 全形轉半形、刪除中文斷行空白、"
        "合併空白、去頭尾空白、不分大小寫）；目標為 null 表示「認得，但不對應任何值」",
        expected=("a mapping native value -> canonical value", "原始值 -> 標準值的對照"),
        shown_default="none",
    )
    unmapped: Literal["error", "keep"] = key(
        "error",
        en="a non-blank value not in values: error, or keep it as recorded (free text)",
        zh="不在 values 中的非空白值：error（錯誤）或 keep（保留原文）",
    )


#: Keys of a text field that the case id does not have: description in English and zh-TW,
#: then what is expected.
NOT_ON_A_CASE_ID = (
    "not available on the case id: an error when given (a case id is always required and "
    "read as written)",
    "案例編號不可使用：填寫即為錯誤（案例編號一律必填，依原文讀取）",
    "nothing: values, unmapped and required apply to text fields, not to the case id",
    "不可填寫：values、unmapped、required 僅用於文字欄位，不用於案例編號",
)


class CaseIdSpec(TextSpec):
    """How each case is identified: a native column (``case_id: Ref``), the keys of a text
    field spec, e.g. ``from: [Agency, Id]`` with ``join: "-"`` where ids repeat across
    agencies, or ``generate: row`` for files without an identifier. A blank case id is a
    problem on its row; so is a joined id with one blank part (naming the blank column),
    never shortened to the other parts. A repeated case id is one problem listing its rows
    (all of them rejected with ``on_problem: reject``). An id a spreadsheet rewrote (``1.0``,
    ``3-Jan``, ``1E+05``) and a summary row (``合計``, ``Total``) are problems too."""

    expected: ClassVar[tuple[str, str]] = (
        "a column name, a mapping with 'from', or generate: row",
        "欄位名稱、含 from 的設定或 generate: row",
    )
    title: ClassVar[str] = "Case id"

    generate: Literal["row"] | None = key(
        None,
        en="row: the case id is the spreadsheet row number "
        "(with only rationale and report_duplicates besides)",
        zh="row：以試算表列號為案例編號（此時只可另加 rationale 與 report_duplicates）",
    )
    report_duplicates: Columns = key(
        [],
        en="native columns whose repeated combinations are listed in the report (rows kept)",
        zh="原始欄位；其組合重複時列於報告（各列仍保留）",
        expected=("a native column or list of columns", "原始欄位或欄位清單"),
        shown_default="none",
    )
    values: None = key(
        None, en=NOT_ON_A_CASE_ID[0], zh=NOT_ON_A_CASE_ID[1], expected=NOT_ON_A_CASE_ID[2:]
    )
    unmapped: None = key(
        None, en=NOT_ON_A_CASE_ID[0], zh=NOT_ON_A_CASE_ID[1], expected=NOT_ON_A_CASE_ID[2:]
    )
    required: None = key(
        None, en=NOT_ON_A_CASE_ID[0], zh=NOT_ON_A_CASE_ID[1], expected=NOT_ON_A_CASE_ID[2:]
    )

    @field_validator("report_duplicates", mode="before")
    @classmethod
    def _names_only(cls, value: object) -> object:
        names = _one_as_list(value)
        if not isinstance(names, list) or not names or not all(isinstance(c, str) for c in names):
            raise problem("a native column or list of columns", "原始欄位或欄位清單")
        return names

    @model_validator(mode="after")
    def _has_source(self) -> CaseIdSpec:
        if self.generate is None:
            _require_source(self)
            return self
        others = sorted(self.model_fields_set - {"generate", "rationale", "report_duplicates"})
        if others:
            raise problem(
                "generate: row, with only rationale and report_duplicates besides",
                "generate: row（只可另加 rationale 與 report_duplicates）",
                value=[type(self).model_fields[k].alias or k for k in others],
            )
        return self


class ClosedSpec(TextSpec):
    """``category`` and ``application_type``: closed fields. A value must be a key, label or
    synonym of the frame (``data/frame/frame.yaml``) or be recoded in ``values``. When only
    the application type is coded, the category is derived from it; a contradicting pair
    is a problem."""

    title: ClassVar[str] = "Closed field spec"

    values: Recodes = key(
        {},
        en="recodes native: canonical, the target a key, label or synonym of "
        "the frame (matched after normalisation, as for text fields); null: not coded",
        zh="原始值: 標準值 的對照，目標須為編碼架構的代碼、名稱或同義詞；null 表示不編碼",
        expected=("a mapping native value -> canonical value", "原始值 -> 標準值的對照"),
        shown_default="none",
    )
    unmapped: Literal["error", "not_coded"] = key(
        "error",
        en="a value neither in values nor in the frame: error (a problem naming file, row, "
        "column and value), or not_coded (left NA and listed in the report)",
        zh="既不在 values 也不在編碼架構中的值：error（指出檔案、列、欄與值的錯誤）或 not_coded"
        "（不編碼並列於報告）",
    )
    coded_by: CodedBy = key(
        en="where the coded value comes from: source, crosswalk, study, rules, "
        "model, llm, human:<coder>",
        zh="編碼來源：source、crosswalk、study、rules、model、llm、human:<編碼者>",
        expected=CODED_BY_EXPECTED,
    )


class TechniquesSpec(TextSpec):
    """``techniques``: each cell is split on the frame's ``technique_separators`` outside
    brackets (``生物特徵辨識(人臉/指紋)`` stays one part; a line break is a separator, so a
    cell listing one technique per line gives each); a ``values`` entry matches the whole
    cell or any part, or a part once its trailing bracketed qualifier is set aside
    (``Random forest (gradient boosted)``, ``NLP［翻譯］``; each such reading is listed in the
    report's notes); other parts are matched to the frame's techniques and synonyms, a
    bracketed qualifier such as ``(車牌)`` being detail; the frame's not-reported tokens
    (``未載明``, ``N/A``, ...) give no technique."""

    title: ClassVar[str] = "Techniques field spec"

    values: Recodes = key(
        {},
        en="recodes of a whole cell or of one part: a technique of the frame "
        "(key, label or synonym) or a list of techniques",
        zh="整格或其中一段的對照：編碼架構中的技術（代碼、名稱或同義詞），或技術清單",
        expected=("a mapping native value -> canonical value", "原始值 -> 標準值的對照"),
        shown_default="none",
    )
    unmapped: Literal["error", "report"] = key(
        "error",
        en="a part that is no technique: error (a problem), or report (listed in the report, "
        "left out of techniques)",
        zh="不是技術的片段：error（錯誤）或 report（列於報告，不計入技術）",
    )
    coded_by: CodedBy = key(
        en="where the coded value comes from: source, crosswalk, study, rules, "
        "model, llm, human:<coder>",
        zh="編碼來源：source、crosswalk、study、rules、model、llm、human:<編碼者>",
        expected=CODED_BY_EXPECTED,
    )

    @field_validator("values")
    @classmethod
    def _techniques_of_the_frame(cls, values: dict, info: ValidationInfo) -> dict:
        frame = _frame(info)
        for native, target in values.items() if frame is not None else ():
            for t in target if isinstance(target, list) else [target]:
                if t is not None and frame.lookup("technique", t) is None:
                    raise problem(
                        "a technique of the frame", "編碼架構中的技術", value=t, at=(native,)
                    )
        return values


def _check_answers(recodes: dict, compile_keys: bool) -> dict:
    for native, target in recodes.items():
        if compile_keys:
            try:
                _compiled(native)
            except PydanticCustomError as exc:
                raise problem(
                    exc.context["expected"], exc.context["expected_zh"], value=native, at=(native,)
                ) from None
        if str(target).lower() not in FLAG_TARGETS:
            raise problem(
                "yes, no or not_reported", "yes、no 或 not_reported", value=target, at=(native,)
            )
    return recodes


class FlagRecodes(Place):
    """How native answers become a flag: yes (the risk is present or relevant for the
    case), no, or not reported."""

    values: Recodes = key(
        {},
        en="native answer: yes, no or not_reported (true/false accepted). "
        "Without values or patterns the frame's tick values are read (V, ✓, Y, yes, "
        "1, 是 are yes; N, no, 0, 否 are no; N/A, 未載明 are not reported)",
        zh="原始答案: yes、no 或 not_reported（亦可 true/false）。未設 values 與 "
        "patterns 時依編碼架構的勾選值判讀",
        expected=("a mapping native value -> canonical value", "原始值 -> 標準值的對照"),
        shown_default="none",
    )
    patterns: Recodes = key(
        {},
        en="regular expression: yes/no/not_reported, tried in order on the "
        "normalised, case-folded answer when no values entry matches (long "
        "free-text answers)",
        zh="正規表示式: yes/no/not_reported；values 沒有對應時，依序比對正規化後的答案"
        "（長篇自由文字）",
        expected=("a mapping regular expression -> value", "正規表示式 -> 值的對照"),
        shown_default="none",
    )
    unmapped: Literal["error", "not_reported"] = key(
        "error",
        en="an answer matched by nothing: error, or not_reported (free-text columns; listed "
        "in the report)",
        zh="無法對應的答案：error（錯誤）或 not_reported（自由文字欄；列於報告）",
    )
    blank: Literal["not_reported", "no"] = key(
        "not_reported",
        en="what a blank cell means: not_reported; no only where the source assessed "
        "every case and a blank is an assessed no (say why in rationale)",
        zh="空白儲存格的意義：not_reported；僅在來源評估了每一案且空白即為「否」時設為 no（請在 "
        "rationale 說明）",
    )
    rationale: Rationale = key(
        "",
        en="one line saying why the rule is right; shown in the report's crosswalk table",
        zh="一句說明此規則為何正確；列於報告的對照規則表",
        expected=("a sentence", "一句說明"),
    )

    @field_validator("values")
    @classmethod
    def _flag_answers(cls, values: dict) -> dict:
        return _check_answers(values, compile_keys=False)

    @field_validator("patterns")
    @classmethod
    def _regex_answers(cls, patterns: dict) -> dict:
        return _check_answers(patterns, compile_keys=True)


class FlagColumn(FlagRecodes):
    """One native column of a flag read from several columns, with its own recodes; a key
    it does not give is the flag's. A bare column name is ``{column: <name>}``."""

    expected: ClassVar[tuple[str, str]] = (
        "a column name or a mapping with 'column'",
        "欄位名稱或含 column 的設定",
    )
    title: ClassVar[str] = "Flag column"

    column: Text = key(
        en="the native column", zh="原始欄位", expected=("a column name", "欄位名稱"), min_length=1
    )


FlagColumnItem = Annotated[
    FlagColumn, BeforeValidator(_column_entry, json_schema_input_type=str | FlagColumn)
]
FlagColumns = Annotated[
    list[FlagColumnItem],
    BeforeValidator(_one_as_list, json_schema_input_type=str | list[str | FlagColumn]),
]


class AskedWhere(Place):
    """One condition on a native column that selects the cases a question was asked of."""

    expected: ClassVar[tuple[str, str]] = (
        "a mapping with 'column' and 'values'",
        "含 column 與 values 的設定",
    )
    title: ClassVar[str] = "Asked-of condition"

    column: Text = key(
        en="the native column the condition reads",
        zh="條件所讀的原始欄位",
        expected=("a column name", "欄位名稱"),
        min_length=1,
    )
    values: Columns = key(
        en="the native values (compared after normalisation, case-folded) that select the cases",
        zh="選出這些案例的原始值（正規化、不分大小寫比對）",
        expected=("a value or a list of values", "值或值的清單"),
        min_length=1,
    )


class AskedOf(Place):
    """The cases one of a flag's questions was asked of, when the source's questionnaire
    asked it of a subpopulation only (e.g. safeguard questions asked only of rights- or
    safety-impacting uses): a plain description in English and Traditional Chinese, and
    optionally the conditions on native columns that select those cases (all must hold)."""

    expected: ClassVar[tuple[str, str]] = (
        "a mapping with 'en' and 'zh' (and optionally 'where')",
        "含 en 與 zh（及選填 where）的設定",
    )
    title: ClassVar[str] = "Asked of"

    en: Text = key(
        en="who the question was asked of, in English (shown under tables that use the flag)",
        zh="此題的作答對象（英文；列於使用此風險的表格下）",
        expected=("a sentence", "一句說明"),
        min_length=1,
    )
    zh: Text = key(
        en="who the question was asked of, in Traditional Chinese",
        zh="此題的作答對象（繁體中文）",
        expected=("a sentence", "一句說明"),
        min_length=1,
    )
    where: list[AskedWhere] = key(
        [],
        en="conditions on native columns that select the cases asked (all must hold); "
        "the load counts the cases they select and how many of those report the flag",
        zh="選出作答案例的原始欄位條件（須全部成立）；載入時計算符合的案例數及其中有報告此風險者",
        expected=("a list of column conditions", "欄位條件清單"),
        shown_default="none",
    )


def _one_entry_as_list(value: object) -> object:
    """One ``asked_of`` entry (a mapping) is a list of one."""
    return [value] if isinstance(value, dict) else value


AskedOfList = Annotated[
    list[AskedOf],
    BeforeValidator(_one_entry_as_list, json_schema_input_type=AskedOf | list[AskedOf]),
]


#: Keys of a text field that a flag does not have (each answer is read as written):
#: description in English and zh-TW, then what is expected.
NOT_ON_A_FLAG = (
    "not available on a flag: an error when given (each answer is read as written)",
    "風險標記不可使用：填寫即為錯誤（每個答案依原文判讀）",
    "nothing: join, fill_down, extract and remove apply to text fields, not to a flag "
    "(list each answer under values or patterns)",
    "不可填寫：join、fill_down、extract、remove 僅用於文字欄位，不用於風險標記"
    "（請在 values 或 patterns 列出各答案）",
)


class FlagSpec(FlagRecodes, ColumnSpec):
    """One risk flag, an entry of ``flags.columns``: a column name, a list of columns, or
    the keys below; a key not given takes its value from the ``flags`` section. Decide,
    and write in the rationale, what "yes" means: a flag says the risk is present or
    relevant for the case. A question about the case ("does it use PII?") maps yes to yes.
    A question about a safeguard ("is the training data documented?") maps the safeguard's
    absence (missing, partial or only planned) to yes and its presence to no. Blank, N/A
    and "too new to assess" are never no."""

    expected: ClassVar[tuple[str, str]] = (
        "a column name, a list of columns or a field spec",
        "欄位名稱、欄位清單或欄位設定",
    )
    title: ClassVar[str] = "Flag spec"

    from_: FlagColumns = key(
        [],
        alias="from",
        en="a column, a list of columns, or a list of flag "
        "column entries when each question needs its own recodes",
        zh="欄位、欄位清單，或各題需不同對照時的逐欄設定清單",
        shown_default="none",
        expected=("a column name or a list of column names", "欄位名稱或欄位名稱清單"),
    )
    combine: Literal["any", "any_reported", "all", "first"] = key(
        "any",
        en="several columns: any (yes if any column is yes, no only if every column is no, "
        "else not reported); any_reported (yes if any answered column is yes, no if one is no and "
        "none yes, not reported if none answered: questions asked of only some cases); all (yes "
        "only if every column is yes, no if any is no); first (the first column only)",
        zh="多欄合併：any（任一為 yes 即 yes，全為 no 才 no，否則未載明）；"
        "any_reported（只看有作答的欄）；all（全為 yes 才 yes，任一 no 即 no）；"
        "first（只看第一欄）",
    )
    join: None = key(None, en=NOT_ON_A_FLAG[0], zh=NOT_ON_A_FLAG[1], expected=NOT_ON_A_FLAG[2:])
    fill_down: None = key(
        None, en=NOT_ON_A_FLAG[0], zh=NOT_ON_A_FLAG[1], expected=NOT_ON_A_FLAG[2:]
    )
    extract: None = key(None, en=NOT_ON_A_FLAG[0], zh=NOT_ON_A_FLAG[1], expected=NOT_ON_A_FLAG[2:])
    remove: None = key(None, en=NOT_ON_A_FLAG[0], zh=NOT_ON_A_FLAG[1], expected=NOT_ON_A_FLAG[2:])
    asked_of: AskedOfList | None = key(
        None,
        en="questionnaire design: the cases the flag's questions were asked of, one entry "
        "per group of questions (the flag rests on their union); not given: asked of every case",
        zh="問卷設計：此風險所讀題目的作答對象，每組題目一項（此風險依其聯集）；未填：每一案皆有作答",
        shown_default="every case",
    )
    coded_by: CodedBy | None = key(
        None,
        en="where the flag comes from (here or in the flags section)",
        zh="風險標記來源（於此或 flags 區段填寫）",
        expected=CODED_BY_EXPECTED,
        shown_default="the flags section's",
    )

    @model_validator(mode="after")
    def _has_source(self) -> FlagSpec:
        return self  # checked once the flags section's defaults are merged


FlagSpecItem = Annotated[
    FlagSpec,
    BeforeValidator(
        _flag_shorthand, json_schema_input_type=str | list[str | FlagColumn] | FlagSpec | None
    ),
]


def _flags_of_the_frame(columns: object, info: ValidationInfo) -> object:
    frame = _frame(info)
    if columns is None:
        return {}
    for name in columns if frame is not None and isinstance(columns, dict) else ():
        if name not in frame.flag_keys:
            raise problem(
                f"a flag key of the frame ({', '.join(frame.flag_keys)})",
                "編碼架構中的風險代碼",
                value=name,
                at=(name,),
            )
    return columns


class FlagsSection(FlagSpec):
    """Risk flags. ``columns`` maps a flag key of the frame to its flag spec; every other
    key is the default of every flag (e.g. ``coded_by: crosswalk`` once for all). A flag
    not mapped is not reported for every case."""

    expected: ClassVar[tuple[str, str]] = (
        "a mapping of names to field specs",
        "名稱到欄位設定的對應",
    )
    title: ClassVar[str] = "Flags"

    coded_by: CodedBy | None = key(
        None,
        en="where the flags come from (default of every flag)",
        zh="風險標記來源（各標記的預設）",
        expected=CODED_BY_EXPECTED,
    )
    columns: Annotated[dict[Any, FlagSpecItem], BeforeValidator(_flags_of_the_frame)] = key(
        {},
        en="flag key of the frame: flag spec",
        zh="編碼架構中的風險代碼: 風險標記設定",
        expected=("a mapping of flag keys to field specs", "風險代碼到欄位設定的對應"),
        shown_default="none",
    )

    def merged(self, name: str) -> FlagSpec:
        """The flag ``name`` with every key it does not give taken from this section."""
        own = self.columns[name]
        given = {k: getattr(self, k) for k in self.model_fields_set if k in FlagSpec.model_fields}
        given.update({k: getattr(own, k) for k in own.model_fields_set})
        return FlagSpec.model_construct(_fields_set=set(given), **given)

    @model_validator(mode="after")
    def _has_source(self) -> FlagsSection:
        for name in self.columns:
            flag = self.merged(name)
            if flag.coded_by is None:
                raise problem(
                    "where the flag comes from: " + CODED_BY_EXPECTED[0],
                    "風險標記來源：" + CODED_BY_EXPECTED[1],
                    value=None,
                    at=("columns", name, "coded_by"),
                )
            if not flag.from_ and flag.constant is None:
                raise problem(
                    "'from' (native column or list of columns) or 'constant'",
                    "from（原始欄位）或 constant",
                    value=None,
                    at=("columns", name),
                )
        return self


TextItem = Annotated[
    TextSpec, BeforeValidator(_column_shorthand, json_schema_input_type=str | TextSpec)
]
ClosedItem = Annotated[
    ClosedSpec, BeforeValidator(_column_shorthand, json_schema_input_type=str | ClosedSpec)
]
TechniquesItem = Annotated[
    TechniquesSpec, BeforeValidator(_column_shorthand, json_schema_input_type=str | TechniquesSpec)
]
CaseIdItem = Annotated[
    CaseIdSpec, BeforeValidator(_column_shorthand, json_schema_input_type=str | CaseIdSpec)
]


class FieldsSection(Place):
    """Canonical columns, each a column name or a field spec. A key left out leaves its
    column empty (not coded, for the closed fields and techniques)."""

    expected: ClassVar[tuple[str, str]] = (
        "a mapping of names to field specs",
        "名稱到欄位設定的對應",
    )
    title: ClassVar[str] = "Fields"

    # A key given as null (``name:`` with nothing after it) is an error, hence no ``| None``.
    source: TextItem = key(
        None,
        en="sub-source inside the inventory (e.g. DIGI+, 服務品質獎)",
        zh="清冊內的子來源（如 DIGI+、服務品質獎）",
        shown_default="not mapped",
    )
    name: TextItem = key(
        None, en="name of the system or project", zh="系統或專案名稱", shown_default="not mapped"
    )
    agency: TextItem = key(
        None, en="the agency responsible", zh="負責機關", shown_default="not mapped"
    )
    description: TextItem = key(
        None, en="what the system does", zh="系統用途說明", shown_default="not mapped"
    )
    category: ClosedItem = key(
        None,
        en="category of the frame (a closed field)",
        zh="編碼架構中的類別（封閉欄位）",
        shown_default="not coded",
    )
    application_type: ClosedItem = key(
        None,
        en="application type of the frame (a closed field)",
        zh="編碼架構中的應用類型（封閉欄位）",
        shown_default="not coded",
    )
    techniques: TechniquesItem = key(
        None,
        en="AI techniques of the frame",
        zh="編碼架構中的 AI 技術",
        shown_default="not reported",
    )

    @model_validator(mode="after")
    def _labels_of_the_frame(self, info: ValidationInfo) -> FieldsSection:
        frame = _frame(info)
        for name in CLOSED_FIELDS if frame is not None else ():
            spec = getattr(self, name)
            for native, target in (spec.values if spec is not None else {}).items():
                if target is not None and frame.lookup(name, target) is None:
                    raise problem(
                        f"a {name} of the frame",
                        f"編碼架構中的 {name}",
                        value=target,
                        at=(name, "values", native),
                    )
        return self


def _extras_names(names: object, info: ValidationInfo) -> object:
    frame = _frame(info)
    reserved = set(canonical.canonical_columns(frame)) if frame is not None else set()
    for name in names if isinstance(names, dict) else ():
        if name in reserved or not re.fullmatch(r"[a-z][a-z0-9_]*", str(name)):
            raise problem(
                "a new lower_snake_case column name", "新的小寫底線欄位名稱", value=name, at=(name,)
            )
    return names


class MappingDocument(Place):
    """A mapping file, ``data/inventories/<name>.yaml``. It names the raw file(s), says which
    native column feeds each canonical column, how native values are normalised and
    recoded, and the crosswalk rules that derive category, application type, techniques
    and risk flags, each with a one-line rationale."""

    expected: ClassVar[tuple[str, str]] = ("a YAML mapping", "YAML 對應（mapping）")
    title: ClassVar[str] = "Top level"

    inventory: Text = key(
        en="name of the inventory: lower-case letters, digits and -; becomes the "
        "inventory column and the report's file names",
        zh="清冊名稱：小寫英數字與 -；成為 inventory 欄位與報告檔名",
        expected=("a lower-case name of letters, digits and '-'", "小寫英數字與「-」組成的名稱"),
        pattern=r"^[a-z0-9][a-z0-9-]*$",
    )
    title_zh: Text | None = key(
        None,
        en="display title in Traditional Chinese",
        zh="中文顯示標題",
        expected=("a text", "文字"),
        shown_default="the inventory name",
    )
    title_en: Text | None = key(
        None,
        en="display title in English",
        zh="英文顯示標題",
        expected=("a text", "文字"),
        shown_default="the inventory name",
    )
    description: Text | None = key(
        None,
        en="free text for readers of the mapping",
        zh="給讀者的說明",
        expected=("a text", "文字"),
    )
    licence: Text | None = key(
        None,
        en="licence of the raw data (free text)",
        zh="原始資料授權（文字）",
        expected=("a text", "文字"),
    )
    provenance: Text | None = key(
        None,
        en="where the raw data comes from (free text)",
        zh="原始資料出處（文字）",
        expected=("a text", "文字"),
    )
    files: Annotated[
        list[FileItem],
        BeforeValidator(
            lambda v: [v] if isinstance(v, (str, dict)) else v,
            json_schema_input_type=str | FileEntry | list[str | FileEntry],
        ),
    ] = key(
        en="one raw file or a list of them",
        zh="一個或多個原始檔案",
        expected=(
            "a file path, a mapping with 'path', or a list of them",
            "檔案路徑、含 path 的設定或其清單",
        ),
        min_length=1,
    )
    case_id: CaseIdItem = key(en="how each case is identified", zh="案例編號的來源")
    fields: FieldsSection | None = key(
        None, en="canonical columns", zh="標準欄位", shown_default="none"
    )
    flags: FlagsSection | None = key(None, en="risk flags", zh="風險標記", shown_default="none")
    extras: Annotated[dict[Any, TextItem], BeforeValidator(_extras_names)] | None = key(
        None,
        en="further columns to keep, named in lower_snake_case (e.g. bureau, stage)",
        zh="其他保留欄位，以小寫底線命名（如 bureau、stage）",
        expected=("a mapping of names to field specs", "名稱到欄位設定的對應"),
        shown_default="none",
    )
    on_problem: Literal["error", "reject"] = key(
        "error",
        en="error: any problem stops the load, with every problem listed; reject: rows with "
        "a problem are left out and listed with their reasons in the report and in "
        "rejected-<inventory>.csv",
        zh="error：任何問題即停止並列出所有問題；reject：排除有問題的列，"
        "並將原因列於報告與 rejected-<inventory>.csv",
    )
    notes: list[Text] | None = key(
        None,
        en="sentences copied into the report (e.g. what is deliberately not coded, and why)",
        zh="複製到報告的說明（如刻意不編碼的項目及原因）",
        expected=("a list of sentences", "句子清單"),
        shown_default="none",
    )

    def compile(self, path: Path, raw: dict | None = None) -> Mapping:
        """The plan :func:`~analysis.mapping.apply.apply_mapping` runs."""
        fields = {n: _field_spec(n, s) for n, s in dict(self.fields or {}).items() if s is not None}
        flags = {
            n: _flag_spec(n, self.flags.merged(n))
            for n in (self.flags.columns if self.flags else {})
        }
        extras = {n: _field_spec(n, s) for n, s in (self.extras or {}).items()}
        return Mapping(
            path=path,
            inventory=self.inventory,
            title_zh=self.title_zh or self.inventory,
            title_en=self.title_en or self.inventory,
            files=[_file_spec(path, f) for f in self.files],
            case_id=_case_id_spec(self.case_id),
            fields=fields,
            flags=flags,
            extras=extras,
            on_problem=self.on_problem,
            notes=list(self.notes or []),
            raw=raw or {},
            duplicate_key=list(self.case_id.report_duplicates),
        )


#: Every place of the format, in the order of the key reference.
PLACES = (
    MappingDocument,
    FileEntry,
    CaseIdSpec,
    FieldsSection,
    TextSpec,
    ClosedSpec,
    TechniquesSpec,
    FlagsSection,
    FlagSpec,
    FlagColumn,
    AskedOf,
    AskedWhere,
)


# -- the compiled plan ------------------------------------------------------------------------
@dataclass
class FieldSpec:
    """One canonical column as :func:`~analysis.mapping.apply.apply_mapping` derives it."""

    name: str
    columns: list[str] = field(default_factory=list)
    constant: str | None = None
    join: str = " "
    fill_down: bool = False
    extract: regex.Pattern | None = None
    remove: regex.Pattern | None = None
    values: dict[str, object] = field(default_factory=dict)  # folded native -> canonical
    unmapped: str = "error"
    coded_by: str | None = None
    rationale: str = ""
    blank: str = NOT_REPORTED
    combine: str = "any"
    #: (regular expression, target) pairs tried in order on the folded value when no
    #: ``values`` entry matches (flags: long free-text answers)
    patterns: list[tuple[regex.Pattern, object]] = field(default_factory=list)
    #: per-column recodes of a flag read from several columns (``from: [{column: ...}]``)
    per_column: dict[str, FieldSpec] = field(default_factory=dict)
    #: a blank value is a problem (text, closed fields, techniques, extras)
    required: bool = False
    #: flags: the subpopulations the flag's questions were asked of (``asked_of``), each
    #: ``{"en", "zh", "where": [(column, {folded values})]}``
    asked_of: list[dict] = field(default_factory=list)


@dataclass
class FileSpec:
    """One raw file as the reader opens it (``path`` resolved)."""

    path: Path
    format: str | None = None
    encoding: str = "utf-8"
    delimiter: str = ","
    header_row: int = 1
    sheet: str | int | None = None
    records: str | None = None
    list_join: str = "; "


@dataclass
class Mapping:
    """A validated mapping file, compiled for :func:`~analysis.mapping.apply.apply_mapping`."""

    path: Path
    inventory: str
    title_zh: str
    title_en: str
    files: list[FileSpec]
    case_id: FieldSpec
    fields: dict[str, FieldSpec]
    flags: dict[str, FieldSpec]
    extras: dict[str, FieldSpec]
    on_problem: str = "error"
    notes: list[str] = field(default_factory=list)
    raw: dict = field(default_factory=dict, repr=False)
    #: native columns whose repeated combinations are reported (not rejected) as duplicates
    duplicate_key: list[str] = field(default_factory=list)


def _file_spec(mapping_file: Path, entry: FileEntry) -> FileSpec:
    p = Path(entry.path)
    return FileSpec(
        path=p if p.is_absolute() else (mapping_file.parent / p).resolve(),
        format=entry.format,
        encoding=entry.encoding,
        delimiter=entry.delimiter,
        header_row=entry.header_row,
        sheet=entry.sheet,
        records=entry.records,
        list_join=entry.list_join,
    )


def _regex(text: str | None) -> regex.Pattern | None:
    return None if text is None else _compiled(text)


def _field_spec(name: str, spec, **fixed) -> FieldSpec:
    """The FieldSpec of a field (or, with ``fixed`` values for the keys a case id does not
    have, of the case id)."""
    given = {
        "values": lambda: {fold(k): v for k, v in spec.values.items()},
        "unmapped": lambda: spec.unmapped,
        "required": lambda: spec.required,
    }
    return FieldSpec(
        name=name,
        columns=list(spec.from_),
        constant=spec.constant,
        join=spec.join,
        fill_down=spec.fill_down,
        extract=_regex(spec.extract),
        remove=_regex(spec.remove),
        coded_by=spec.coded_by,
        rationale=spec.rationale.strip(),
        **{key: fixed[key] if key in fixed else get() for key, get in given.items()},
    )


def _case_id_spec(spec: CaseIdSpec) -> FieldSpec:
    if spec.generate == "row":
        return FieldSpec(name="case_id", constant=ROW_NUMBER, rationale=spec.rationale.strip())
    return _field_spec("case_id", spec, values={}, unmapped="error", required=False)


def _answers(name: str, spec: FlagRecodes, columns: list[str], coded_by: str | None) -> FieldSpec:
    return FieldSpec(
        name=name,
        columns=columns,
        values={fold(k): v for k, v in spec.values.items()},
        patterns=[(_compiled(rx), t) for rx, t in spec.patterns.items()],
        unmapped=spec.unmapped,
        blank=spec.blank,
        coded_by=coded_by,
        rationale=spec.rationale.strip(),
    )


def _flag_spec(name: str, flag: FlagSpec) -> FieldSpec:
    """A flag with its per-column recodes: a column entry takes every recode key it does
    not give from the flag."""
    compiled = _answers(name, flag, [c.column for c in flag.from_], flag.coded_by)
    compiled.constant, compiled.combine = flag.constant, flag.combine
    compiled.asked_of = [
        {
            "en": a.en.strip(),
            "zh": a.zh.strip(),
            "where": [(w.column, {fold(v) for v in w.values}) for w in a.where],
        }
        for a in flag.asked_of or []
    ]
    for entry in flag.from_:
        if entry.model_fields_set - {"column"}:
            inherited = {
                k: getattr(flag, k)
                for k in ("values", "patterns", "unmapped", "blank")
                if k in flag.model_fields_set
            }
            own = {k: getattr(entry, k) for k in entry.model_fields_set if k != "column"}
            recodes = FlagRecodes.model_construct(**{**inherited, **own})
            compiled.per_column[entry.column] = _answers(
                name, recodes, [entry.column], flag.coded_by
            )
    return compiled


# -- reading a mapping file -------------------------------------------------------------------
def load_mapping(path: str | Path, frame: Frame | None = None) -> Mapping:
    """Read and validate a mapping file; a problem is an :class:`InputError` naming the
    file, the key path, the value and what was expected."""
    frame = frame or load_frame()
    path = Path(path)
    raw = _read_yaml(path)
    try:
        document = MappingDocument.model_validate(raw, context={"frame": frame})
    except ValidationError as exc:
        raise mapping_error(path, exc) from None
    return document.compile(path, raw)


_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _DuplicateKey(Exception):
    """A key written twice in one YAML mapping (line 1-based)."""

    def __init__(self, name: object, line: int, first: int):
        super().__init__(name, line, first)
        self.name, self.line, self.first = name, line, first


class _StrictLoader(_BaseLoader):
    """YAML's safe loader that refuses a key written twice in one mapping (YAML keeps the
    last silently)."""

    def construct_mapping(self, node, deep=False):
        seen: dict[object, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            name = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            try:
                if name in seen:
                    raise _DuplicateKey(name, line, seen[name])
                seen[name] = line
            except TypeError:  # an unhashable key: the constructor's own error follows
                break
        return super().construct_mapping(node, deep=deep)


def _count_aliases(text: str) -> tuple[int, int | None]:
    """Aliases in a YAML text, and the line of the first one past :data:`MAX_ALIASES`."""
    count, line = 0, None
    for event in yaml.parse(text, Loader=_BaseLoader):
        if isinstance(event, yaml.AliasEvent):
            count += 1
            if count == MAX_ALIASES + 1:
                line = event.start_mark.line + 1
    return count, line


def _check_mapping_file(path: Path) -> None:
    """A regular file (not a folder, device or pipe) of at most :data:`MAX_MAPPING_BYTES`,
    checked before it is opened."""
    if not path.exists() and not path.is_symlink():
        return  # read_text names the missing file
    check_regular_file(path)
    size = path.stat().st_size
    if size > MAX_MAPPING_BYTES:
        raise input_error(
            path,
            None,
            None,
            f"{size} bytes",
            f"a mapping file of at most {MAX_MAPPING_BYTES} bytes (spec.MAX_MAPPING_BYTES)",
            f"不超過 {MAX_MAPPING_BYTES} 位元組的對應檔（上限 spec.MAX_MAPPING_BYTES）",
            summary=f"{path}: {size} bytes is too large for a mapping file",
        )


def _read_yaml(path: Path) -> dict:
    _check_mapping_file(path)
    try:
        text = path.read_text(encoding="utf-8")
        aliases, line = _count_aliases(text)
        if aliases > MAX_ALIASES:
            raise input_error(
                path,
                line,
                None,
                f"{aliases} aliases",
                f"at most {MAX_ALIASES} YAML aliases (*name): write the values out",
                f"至多 {MAX_ALIASES} 個 YAML 別名（*name）：請直接寫出各值",
                summary=f"{path}: too many YAML aliases ({aliases})",
            )
        raw = yaml.load(text, Loader=_StrictLoader)
    except _DuplicateKey as exc:
        raise input_error(
            path,
            exc.line,
            exc.name,
            exc.name,
            f"each key once in a mapping (also on line {exc.first})",
            f"同一層的每個鍵只能出現一次（第 {exc.first} 行已出現）",
            summary=f"{path}: key {exc.name!r} repeated on line {exc.line}",
        ) from None
    except FileNotFoundError as exc:
        raise input_error(
            path, None, None, None, "an existing mapping file", "存在的對應檔"
        ) from exc
    except RecursionError:
        raise input_error(
            path,
            None,
            None,
            None,
            "YAML nested less deeply (a mapping nests a few levels)",
            "巢狀層數較少的 YAML（對應檔只需數層）",
        ) from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        line = getattr(getattr(exc, "problem_mark", None), "line", -1) + 1 or None
        raise input_error(
            path,
            line,
            None,
            type(exc).__name__,
            f"a UTF-8 YAML mapping file ({exc})",
            "UTF-8 編碼的 YAML 對應檔",
        ) from exc
    if not isinstance(raw, dict):
        raise input_error(
            path,
            None,
            "<top>",
            type(raw).__name__,
            "a YAML mapping",
            "YAML 對應（mapping）",
            summary=f"{path}: invalid mapping at <top>",
        )
    return raw


# -- pydantic's errors in the project's words -------------------------------------------------
@dataclass
class _Located:
    """Where a validation error is: the key path as the reference writes it, what a value
    there must be, and the type found there."""

    path: str
    expected: tuple[str, str] | None
    annotation: Any


def unwrap(annotation: Any) -> Any:
    """The type under ``Annotated[...]`` and ``X | None``."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, UnionType):
            annotation = next(a for a in get_args(annotation) if a is not type(None))
        else:
            return annotation


def _is_place(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, Place)


def keys_of(model: type[Place]) -> dict[str, FieldInfo]:
    """The keys of a place as the file writes them (``from``, not ``from_``), with their fields."""
    return {info.alias or name: info for name, info in model.model_fields.items()}


def _expected_of(info: FieldInfo) -> tuple[str, str] | None:
    extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    if "x-expected" in extra:
        return tuple(extra["x-expected"])
    inner = unwrap(info.annotation)
    if get_origin(inner) is Literal:
        return ("one of " + ", ".join(get_args(inner)), "下列之一：" + "、".join(get_args(inner)))
    return inner.expected if _is_place(inner) else None


def _step(place: _Located, part: object) -> _Located:
    """One step down an error's location: into a key, a list item or a mapping entry."""
    annotation = unwrap(place.annotation)
    origin = get_origin(annotation)
    if _is_place(annotation):
        info = keys_of(annotation).get(part)
        path = f"{place.path}.{part}" if place.path else str(part)
        return (
            _Located(path, _expected_of(info), info.annotation)
            if info
            else _Located(path, None, None)
        )
    if origin in (list, dict):
        item = get_args(annotation)[-1]
        inner = unwrap(item)
        if origin is list:
            path = f"{place.path}[{part}]"
        else:
            path = f"{place.path}.{part}" if _is_place(inner) else f"{place.path}[{part!r}]"
        return _Located(path, inner.expected if _is_place(inner) else place.expected, item)
    return _Located(f"{place.path}[{part!r}]", place.expected, None)


def _locate(loc: tuple) -> _Located:
    """Where pydantic's location ``('files', 0, 'header_row')`` is: ``files[0].header_row``."""
    place = _Located("", MappingDocument.expected, MappingDocument)
    for part in loc:
        place = _step(place, part)
    return place


def _describe(error: dict) -> tuple[str, object, str, str]:
    """(key path, value, expected in English, in Traditional Chinese) of one error."""
    ctx = error.get("ctx") or {}
    if error["type"] == "mapping":
        place = _locate(tuple(error["loc"]) + tuple(ctx["at"]))
        return (
            place.path or "<top>",
            ctx.get("value", error["input"]),
            ctx["expected"],
            ctx["expected_zh"],
        )
    place = _locate(tuple(error["loc"]))
    en, zh = place.expected or ("a value of this format", "符合格式的值")
    if error["type"] == "missing":
        name = error["loc"][-1]
        return place.path, None, f"the key {name!r}: {en}", f"鍵 {name}：{zh}"
    return place.path or "<top>", error["input"], en, zh


def _unknown_keys(errors: list[dict]) -> dict[tuple, list[str]]:
    """Keys the format does not have, by the place they were found in."""
    found: dict[tuple, list[str]] = {}
    for error in errors:
        if error["type"] in ("extra_forbidden", "invalid_key"):
            found.setdefault(tuple(error["loc"][:-1]), []).append(str(error["loc"][-1]))
    return found


def mapping_error(path: Path, exc: ValidationError) -> InputError:
    """Every problem pydantic found in a mapping file as one bilingual :class:`InputError`
    naming the file, the key path, the value and what was expected."""
    errors = exc.errors(include_url=False)
    problems: list[Problem] = []
    for parent, names in _unknown_keys(errors).items():
        place = _locate(parent)
        allowed = (
            sorted(keys_of(unwrap(place.annotation))) if _is_place(unwrap(place.annotation)) else []
        )
        problems.append(
            Problem(
                str(path),
                None,
                place.path or "<top>",
                sorted(names),
                f"only the keys {allowed}",
                f"僅限這些鍵：{allowed}",
            )
        )
    for error in errors:
        if error["type"] not in ("extra_forbidden", "invalid_key"):
            where, value, en, zh = _describe(error)
            candidate = Problem(str(path), None, where, value, en, zh)
            if candidate not in problems:
                problems.append(candidate)
    if len(problems) == 1:
        return InputError(problems, f"{path}: invalid mapping at {problems[0].column}")
    return InputError(problems, f"{path}: invalid mapping: {len(problems)} problems")
