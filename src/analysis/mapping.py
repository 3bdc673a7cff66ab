"""Declarative inventory mappings: one YAML file turns a raw inventory into the canonical
case table, and says how.

A mapping names its file(s), encoding, header row, which native column feeds each
canonical column, how values are normalised and recoded, and the crosswalk rules that
derive category, application type, techniques and flags from native fields, each with its
rationale. :func:`apply_mapping` applies any such file and returns the canonical cases with
a :class:`StandardizationReport` of every recoding, every unmapped value and every rejected
row. The format is documented in README.md, section "Adding an inventory".
"""
from __future__ import annotations

import difflib
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from . import cases as canonical
from .errors import InputError, Problem, input_error
from .frame import NO, NOT_REPORTED, YES, Frame, load_frame
from .readers import RawTable, read_table
from .textnorm import fold, normalise, split_outside_brackets

TEXT_FIELDS = ("source", "name", "agency", "description")
CLOSED_FIELDS = ("category", "application_type")
FIELD_KEYS = {"from", "constant", "join", "fill_down", "extract", "remove", "values", "unmapped", "coded_by",
              "rationale", "default"}
FLAG_KEYS = FIELD_KEYS | {"blank", "combine", "patterns"}
#: Keys of one entry of a flag's ``from`` list when each native column has its own recodes.
FLAG_COLUMN_KEYS = {"column", "values", "patterns", "unmapped", "blank", "rationale"}
CODED_BY = canonical.PROVENANCE_VALUES
#: How a flag read from several native columns is combined (see README.md, "Adding an inventory"):
#: ``any`` yes if any column says yes, no only if every column says no (an unanswered
#: column keeps the flag not reported); ``any_reported`` as ``any`` but over the answered
#: columns only; ``all`` yes only if every column says yes; ``first`` the first column.
COMBINE_MODES = ("any", "any_reported", "all", "first")
FILE_KEYS = {"path", "format", "encoding", "delimiter", "header_row", "sheet"}
FORMATS = ("csv", "tsv", "txt", "xlsx", "xlsm")


# -- the mapping file ---------------------------------------------------------------------
@dataclass
class FieldSpec:
    name: str
    columns: list[str] = field(default_factory=list)
    constant: str | None = None
    join: str = " "
    fill_down: bool = False
    extract: re.Pattern | None = None
    remove: re.Pattern | None = None
    values: dict[str, object] = field(default_factory=dict)  # folded native -> canonical
    unmapped: str = "error"
    coded_by: str | None = None
    rationale: str = ""
    blank: str = NOT_REPORTED
    combine: str = "any"
    #: (regular expression, target) pairs tried in order on the folded value when no
    #: ``values`` entry matches (flags: long free-text answers)
    patterns: list[tuple[re.Pattern, object]] = field(default_factory=list)
    #: per-column recodes of a flag read from several columns (``from: [{column: ...}]``)
    per_column: dict[str, "FieldSpec"] = field(default_factory=dict)


@dataclass
class FileSpec:
    path: Path
    format: str | None = None
    encoding: str = "utf-8"
    delimiter: str = ","
    header_row: int = 1
    sheet: str | int | None = None


@dataclass
class Mapping:
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


def _bad(path: Path, where: str, value: object, expected: str, zh: str) -> InputError:
    return input_error(path, None, where, value, expected, zh, summary=f"{path}: invalid mapping at {where}")


def _field(path: Path, where: str, name: str, raw: object, frame: Frame, allowed: set[str]) -> FieldSpec:
    if isinstance(raw, str):
        raw = {"from": raw}
    if not isinstance(raw, dict):
        raise _bad(path, where, raw, "a column name or a mapping with 'from'", "欄位名稱或含 from 的設定")
    unknown = sorted(map(str, set(raw) - allowed))
    if unknown:
        raise _bad(path, where, unknown, f"only the keys {sorted(allowed)}", f"僅限這些鍵：{sorted(allowed)}")
    _check_types(path, where, raw)
    cols = raw.get("from", [])
    cols = [cols] if isinstance(cols, str) else list(cols or [])
    per_column: dict[str, FieldSpec] = {}
    if any(isinstance(c, dict) for c in cols):
        if name not in frame.flag_keys:
            raise _bad(path, f"{where}.from", cols, "column names (per-column recodes are for flags only)",
                       "欄位名稱（逐欄對應僅限風險標記）")
        names = []
        for i, entry in enumerate(cols):
            entry = {"column": entry} if isinstance(entry, str) else entry
            if not isinstance(entry, dict) or not entry.get("column"):
                raise _bad(path, f"{where}.from[{i}]", entry, "a column name or a mapping with 'column'", "欄位名稱或含 column 的設定")
            extra = sorted(set(entry) - FLAG_COLUMN_KEYS)
            if extra:
                raise _bad(path, f"{where}.from[{i}]", extra, f"only the keys {sorted(FLAG_COLUMN_KEYS)}",
                           f"僅限這些鍵：{sorted(FLAG_COLUMN_KEYS)}")
            inherited = {k: raw[k] for k in ("values", "patterns", "unmapped", "blank") if k in raw and k not in entry}
            sub = {**inherited, **{k: v for k, v in entry.items() if k != "column"}, "from": str(entry["column"]),
                   "coded_by": raw.get("coded_by")}
            per_column[str(entry["column"])] = _field(path, f"{where}.from[{i}]", name, sub, frame, FLAG_KEYS)
            names.append(str(entry["column"]))
        cols = names
    if not cols and raw.get("constant") is None:
        raise _bad(path, where, raw, "'from' (native column or list of columns) or 'constant'", "from（原始欄位）或 constant")
    spec = FieldSpec(name=name, columns=[str(c) for c in cols], constant=raw.get("constant"),
                     join=str(raw.get("join", " ")), fill_down=bool(raw.get("fill_down", False)),
                     unmapped=str(raw.get("unmapped", "error")), coded_by=raw.get("coded_by"),
                     rationale=str(raw.get("rationale", "")).strip(), blank=str(raw.get("blank", NOT_REPORTED)),
                     combine=str(raw.get("combine", "any")))
    for key in ("extract", "remove"):
        if raw.get(key) is not None:
            try:
                setattr(spec, key, re.compile(str(raw[key])))
            except re.error as exc:
                raise _bad(path, f"{where}.{key}", raw[key], f"a valid regular expression ({exc})", "有效的正規表示式") from exc
    if spec.extract is not None and spec.extract.groups < 1:
        raise _bad(path, f"{where}.extract", raw["extract"], "a regular expression with one group", "含一個群組的正規表示式")
    values = raw.get("values") or {}
    if not isinstance(values, dict):
        raise _bad(path, f"{where}.values", values, "a mapping native value -> canonical value", "原始值 -> 標準值的對照")
    spec.values = {fold(k): v for k, v in values.items()}
    spec.per_column = per_column
    patterns = raw.get("patterns") or {}
    if not isinstance(patterns, dict):
        raise _bad(path, f"{where}.patterns", patterns, "a mapping regular expression -> value", "正規表示式 -> 值的對照")
    for regex, target in patterns.items():
        try:
            spec.patterns.append((re.compile(str(regex)), target))
        except re.error as exc:
            raise _bad(path, f"{where}.patterns", regex, f"a valid regular expression ({exc})", "有效的正規表示式") from exc
        if name in frame.flag_keys and str(target).lower() not in (YES, NO, NOT_REPORTED, "true", "false"):
            raise _bad(path, f"{where}.patterns[{regex!r}]", target, "yes, no or not_reported", "yes、no 或 not_reported")
    if spec.coded_by is not None and str(spec.coded_by).split(":")[0] not in CODED_BY:
        raise _bad(path, f"{where}.coded_by", spec.coded_by, f"one of {', '.join(CODED_BY)}", "允許的編碼來源")
    if spec.blank not in (NOT_REPORTED, NO):
        raise _bad(path, f"{where}.blank", spec.blank, "not_reported or no", "not_reported 或 no")
    if spec.combine not in COMBINE_MODES:
        raise _bad(path, f"{where}.combine", spec.combine, ", ".join(COMBINE_MODES), "、".join(COMBINE_MODES))
    _check_values(path, where, name, spec, frame)
    return spec


#: Types a field-spec key takes (a YAML value of another type is an error naming the key).
_TEXT = (str, int, float)
_KEY_TYPES = {
    "constant": (_TEXT, "a text or number", "文字或數字"),
    "join": ((str,), "a text", "文字"),
    "fill_down": ((bool,), "true or false", "true 或 false"),
    "extract": ((str,), "a regular expression", "正規表示式"),
    "remove": ((str,), "a regular expression", "正規表示式"),
    "values": ((dict,), "a mapping native value -> canonical value", "原始值 -> 標準值的對照"),
    "patterns": ((dict,), "a mapping regular expression -> value", "正規表示式 -> 值的對照"),
    "unmapped": ((str,), "a word such as error", "如 error 的字詞"),
    "coded_by": ((str,), "a source such as source or crosswalk", "編碼來源（如 source、crosswalk）"),
    "rationale": (_TEXT, "a sentence", "一句說明"),
    "blank": ((str,), "not_reported or no", "not_reported 或 no"),
    "combine": ((str,), ", ".join(COMBINE_MODES), "、".join(COMBINE_MODES)),
    "column": (_TEXT, "a column name", "欄位名稱"),
}


def _check_types(path: Path, where: str, raw: dict) -> None:
    """Each key of a field spec has the type its meaning needs; ``from`` is a column name or
    a list of column names (or, for flags, of ``{column: ...}`` entries)."""
    for key, (types, en, zh) in _KEY_TYPES.items():
        value = raw.get(key)
        if value is not None and (not isinstance(value, types) or (isinstance(value, bool) and bool not in types)):
            raise _bad(path, f"{where}.{key}", value, en, zh)
    cols = raw.get("from")
    if cols is None or isinstance(cols, str):
        return
    if not isinstance(cols, list) or any(isinstance(c, bool) or not isinstance(c, (str, int, float, dict)) for c in cols):
        raise _bad(path, f"{where}.from", cols, "a column name or a list of column names", "欄位名稱或欄位名稱清單")
    for key, value in (raw.get("values") or {}).items():
        targets = value if isinstance(value, list) else [value]
        if any(t is not None and not isinstance(t, _TEXT) for t in targets):  # bool is an int: true/false
            raise _bad(path, f"{where}.values[{key!r}]", value, "a canonical value (text) or null", "標準值（文字）或 null")


def _check_values(path: Path, where: str, name: str, spec: FieldSpec, frame: Frame) -> None:
    """Recode targets must be frame entries (closed fields) or tri-state values (flags)."""
    if name in CLOSED_FIELDS:
        allowed_unmapped = ("error", "not_coded")
        for native, target in spec.values.items():
            if target is not None and frame.lookup(name, target) is None:
                raise _bad(path, f"{where}.values[{native!r}]", target, f"a {name} of the frame", f"編碼架構中的 {name}")
    elif name == "techniques":
        allowed_unmapped = ("error", "report")
        for native, target in spec.values.items():
            targets = target if isinstance(target, list) else [target]
            for t in targets:
                if t is not None and frame.lookup("technique", t) is None:
                    raise _bad(path, f"{where}.values[{native!r}]", t, "a technique of the frame", "編碼架構中的技術")
    elif name in frame.flag_keys:
        allowed_unmapped = ("error", "not_reported")
        for native, target in spec.values.items():
            if str(target).lower() not in (YES, NO, NOT_REPORTED, "true", "false"):
                raise _bad(path, f"{where}.values[{native!r}]", target, "yes, no or not_reported", "yes、no 或 not_reported")
    else:
        allowed_unmapped = ("error", "keep")
    if spec.values and name not in CLOSED_FIELDS and name != "techniques" and name not in frame.flag_keys:
        pass  # text fields may recode values too
    if spec.unmapped not in allowed_unmapped:
        raise _bad(path, f"{where}.unmapped", spec.unmapped, f"one of {allowed_unmapped}", f"下列之一：{allowed_unmapped}")


def load_mapping(path: str | Path, frame: Frame | None = None) -> Mapping:
    """Read and validate a mapping file."""
    frame = frame or load_frame()
    path = Path(path)
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except FileNotFoundError as exc:
        raise input_error(path, None, None, None, "an existing mapping file", "存在的對應檔") from exc
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise input_error(path, getattr(getattr(exc, "problem_mark", None), "line", -1) + 1 or None, None,
                          type(exc).__name__, f"a UTF-8 YAML mapping file ({exc})", "UTF-8 編碼的 YAML 對應檔") from exc
    if not isinstance(raw, dict):
        raise _bad(path, "<top>", type(raw).__name__, "a YAML mapping", "YAML 對應（mapping）")
    allowed_top = {"inventory", "title_zh", "title_en", "description", "licence", "files", "case_id", "fields",
                   "flags", "extras", "on_problem", "notes", "provenance"}
    unknown = sorted(set(raw) - allowed_top)
    if unknown:
        raise _bad(path, "<top>", unknown, f"only the keys {sorted(allowed_top)}", f"僅限這些鍵：{sorted(allowed_top)}")
    for key in ("inventory", "files", "case_id"):
        if not raw.get(key):
            raise _bad(path, key, None, f"the key {key!r}", f"鍵 {key}")
    if not re.match(r"^[a-z0-9][a-z0-9-]*$", str(raw["inventory"])):
        raise _bad(path, "inventory", raw["inventory"], "a lower-case name of letters, digits and '-'", "小寫英數字與「-」組成的名稱")
    files = []
    raw_files = raw["files"] if isinstance(raw["files"], list) else [raw["files"]]
    for i, f in enumerate(raw_files):
        if isinstance(f, str):
            f = {"path": f}
        if not isinstance(f, dict) or "path" not in f:
            raise _bad(path, f"files[{i}]", f, "a mapping with 'path'", "含 path 的設定")
        extra = sorted(map(str, set(f) - FILE_KEYS))
        if extra:
            raise _bad(path, f"files[{i}]", extra, f"only the keys {sorted(FILE_KEYS)}", f"僅限這些鍵：{sorted(FILE_KEYS)}")
        if not isinstance(f["path"], str) or not f["path"].strip():
            raise _bad(path, f"files[{i}].path", f["path"], "a file path", "檔案路徑")
        header_row = f.get("header_row", 1)
        if isinstance(header_row, bool) or not isinstance(header_row, int) or header_row < 1:
            raise _bad(path, f"files[{i}].header_row", header_row, "a spreadsheet row number: 1, 2, ...", "試算表列號：1、2…")
        delimiter = f.get("delimiter", ",")
        if not isinstance(delimiter, str) or len(delimiter) != 1 or delimiter in "\r\n\"":
            raise _bad(path, f"files[{i}].delimiter", delimiter, "one character such as , ; or a tab (\"\\t\")",
                       "單一字元（如 , ; 或 tab）")
        fmt = f.get("format")
        if fmt is not None and str(fmt).lower() not in FORMATS:
            raise _bad(path, f"files[{i}].format", fmt, f"one of {', '.join(FORMATS)}", f"下列之一：{'、'.join(FORMATS)}")
        sheet = f.get("sheet")
        if sheet is not None and (isinstance(sheet, bool) or not isinstance(sheet, (str, int))):
            raise _bad(path, f"files[{i}].sheet", sheet, "a sheet name or a 0-based sheet index", "工作表名稱或從 0 起算的序號")
        if not isinstance(f.get("encoding", "utf-8"), str):
            raise _bad(path, f"files[{i}].encoding", f["encoding"], "a text encoding such as utf-8, cp950, cp1252",
                       "文字編碼（如 utf-8、cp950、cp1252）")
        p = Path(f["path"])
        files.append(FileSpec(path=p if p.is_absolute() else (path.parent / p).resolve(),
                              format=None if fmt is None else str(fmt).lower(), encoding=f.get("encoding", "utf-8"),
                              delimiter=delimiter, header_row=header_row, sheet=sheet))
    case_id_raw = raw["case_id"]
    duplicate_key: list[str] = []
    if isinstance(case_id_raw, dict) and "report_duplicates" in case_id_raw:
        case_id_raw = dict(case_id_raw)
        dk = case_id_raw.pop("report_duplicates")
        valid = isinstance(dk, str) or (isinstance(dk, list) and all(isinstance(c, str) for c in dk))
        duplicate_key = ([dk] if isinstance(dk, str) else list(dk)) if valid else []
        if not duplicate_key:
            raise _bad(path, "case_id.report_duplicates", dk, "a native column or list of columns", "原始欄位或欄位清單")
    if isinstance(case_id_raw, dict) and "generate" in case_id_raw:
        if case_id_raw.get("generate") != "row" or set(case_id_raw) - {"generate", "rationale"}:
            raise _bad(path, "case_id", case_id_raw, "generate: row (optionally with rationale and report_duplicates)",
                       "generate: row（可加 rationale 與 report_duplicates）")
        case_id = FieldSpec(name="case_id", constant="<row>", rationale=str(case_id_raw.get("rationale", "")).strip())
    else:
        case_id = _field(path, "case_id", "case_id", case_id_raw, frame, FIELD_KEYS)
    for key in ("fields", "flags", "extras"):
        if raw.get(key) is not None and not isinstance(raw[key], dict):
            raise _bad(path, key, raw[key], "a mapping of names to field specs", "名稱到欄位設定的對應")
    if raw.get("flags") and raw["flags"].get("columns") is not None and not isinstance(raw["flags"]["columns"], dict):
        raise _bad(path, "flags.columns", raw["flags"]["columns"], "a mapping of flag keys to field specs",
                   "風險代碼到欄位設定的對應")
    if raw.get("notes") is not None and not isinstance(raw["notes"], list):
        raise _bad(path, "notes", raw["notes"], "a list of sentences", "句子清單")
    fields = {}
    for name, spec in (raw.get("fields") or {}).items():
        if name not in TEXT_FIELDS + CLOSED_FIELDS + ("techniques",):
            raise _bad(path, f"fields.{name}", name, f"one of {TEXT_FIELDS + CLOSED_FIELDS + ('techniques',)}", "標準欄位之一")
        fields[name] = _field(path, f"fields.{name}", name, spec, frame, FIELD_KEYS)
        if name in CLOSED_FIELDS + ("techniques",) and fields[name].coded_by is None:
            raise _bad(path, f"fields.{name}.coded_by", None, "where the coded value comes from (study, source, crosswalk, ...)",
                       "編碼來源（study、source、crosswalk…）")
    flags = {}
    flag_section = raw.get("flags") or {}
    if flag_section:
        defaults = {k: v for k, v in flag_section.items() if k != "columns"}
        columns = flag_section.get("columns") or {}
        for key, spec in columns.items():
            if key not in frame.flag_keys:
                raise _bad(path, f"flags.columns.{key}", key, f"a flag key of the frame ({', '.join(frame.flag_keys)})", "編碼架構中的風險代碼")
            if spec is not None and not isinstance(spec, (str, list, dict)):
                raise _bad(path, f"flags.columns.{key}", spec, "a column name, a list of columns or a field spec",
                           "欄位名稱、欄位清單或欄位設定")
            spec = {"from": spec} if isinstance(spec, (str, list)) else dict(spec or {})
            merged = {**defaults, **spec}
            flags[key] = _field(path, f"flags.columns.{key}", key, merged, frame, FLAG_KEYS)
            if flags[key].coded_by is None:
                raise _bad(path, f"flags.columns.{key}.coded_by", None, "where the flag comes from", "風險標記來源")
    extras = {}
    reserved = set(canonical.canonical_columns(frame))
    for name, spec in (raw.get("extras") or {}).items():
        if name in reserved or not re.match(r"^[a-z][a-z0-9_]*$", str(name)):
            raise _bad(path, f"extras.{name}", name, "a new lower_snake_case column name", "新的小寫底線欄位名稱")
        extras[name] = _field(path, f"extras.{name}", name, spec, frame, FIELD_KEYS)
    on_problem = str(raw.get("on_problem", "error"))
    if on_problem not in ("error", "reject"):
        raise _bad(path, "on_problem", on_problem, "error or reject", "error 或 reject")
    notes = [str(n) for n in (raw.get("notes") or [])]
    return Mapping(path=path, inventory=str(raw["inventory"]), title_zh=str(raw.get("title_zh", raw["inventory"])),
                   title_en=str(raw.get("title_en", raw["inventory"])), files=files, case_id=case_id, fields=fields,
                   flags=flags, extras=extras, on_problem=on_problem, notes=notes, raw=raw,
                   duplicate_key=duplicate_key)


# -- the report -------------------------------------------------------------------------
@dataclass
class StandardizationReport:
    """What a load did: rows read/kept/rejected, every recoding and unmapped value."""

    inventory: str
    mapping: str
    files: pd.DataFrame
    rows_read: int
    rows_kept: int
    rows_rejected: int
    rejected: pd.DataFrame  # row, column, value, reason (+ file)
    recodings: pd.DataFrame  # field, column, native, canonical, rows
    unmapped: pd.DataFrame  # field, column, value, rows, action
    rules: pd.DataFrame  # field, coded_by, source columns, rationale
    notes: list[str] = field(default_factory=list)
    duplicates: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["file", "key", "rows", "count"]))
    outcomes: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["field", "value", "rows"]))

    def __post_init__(self) -> None:
        if self.rows_read != self.rows_kept + self.rows_rejected:
            raise AssertionError("rows read must equal rows kept + rows rejected")

    def counts(self) -> pd.DataFrame:
        return pd.DataFrame({"inventory": [self.inventory], "rows_read": [self.rows_read],
                             "rows_kept": [self.rows_kept], "rows_rejected": [self.rows_rejected]})

    def to_markdown(self) -> str:
        def table(df: pd.DataFrame) -> str:
            if df.empty:
                return "_none_\n"
            shown = df.copy()
            for c in shown.columns:
                shown[c] = shown[c].map(lambda v: "" if pd.isna(v) else str(v).replace("|", "\\|").replace("\n", "\\n"))
            head = "| " + " | ".join(shown.columns) + " |\n|" + "---|" * len(shown.columns) + "\n"
            return head + "".join("| " + " | ".join(r) + " |\n" for r in shown.itertuples(index=False))

        parts = [f"# Standardization report: {self.inventory}\n",
                 f"Mapping: `{self.mapping}`\n",
                 f"Rows read: {self.rows_read}; kept: {self.rows_kept}; rejected: {self.rows_rejected}.\n",
                 "## Files\n", table(self.files),
                 "## Crosswalk rules\n", table(self.rules),
                 "## Recodings applied\n", table(self.recodings),
                 "## Values left unmapped\n", table(self.unmapped),
                 "## Rejected rows\n", table(self.rejected),
                 "## Repeated native keys (reported, rows kept)\n", table(self.duplicates),
                 "## Coded values in the kept cases\n", table(self.outcomes)]
        if self.notes:
            parts += ["## Notes\n", "".join(f"- {n}\n" for n in self.notes)]
        return "\n".join(parts)


@dataclass
class LoadResult:
    cases: pd.DataFrame
    report: StandardizationReport
    rejected_rows: pd.DataFrame  # the native cells of every rejected row


# -- applying a mapping -------------------------------------------------------------------
class _Collector:
    """Gathers recodings, unmapped values and per-row problems while a field is mapped."""

    def __init__(self, file: str, rows: np.ndarray):
        self.file = file
        self.rows = rows
        self.recodings: list[dict] = []
        self.unmapped: list[dict] = []
        self.problems: list[Problem] = []

    def recode(self, field_name: str, column: str, native: pd.Series, canonical_values: pd.Series) -> None:
        pairs = pd.DataFrame({"native": native.astype(object), "canonical": canonical_values.astype(object)})
        pairs = pairs[pairs["native"].map(lambda v: v != "")]
        if pairs.empty:
            return
        pairs["canonical"] = pairs["canonical"].map(lambda v: "<not reported>" if _blank(v) else str(v))
        changed = pairs[pairs["native"].astype(str) != pairs["canonical"]]
        for (nat, can), n in changed.groupby(["native", "canonical"], sort=True).size().items():
            self.recodings.append({"field": field_name, "column": column, "native": nat, "canonical": can, "rows": int(n)})

    def problem(self, positions, column: str, value: object, expected: str, zh: str) -> None:
        for pos in positions:
            self.problems.append(Problem(self.file, int(self.rows[pos]), column, value, expected, zh))


def _blank(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)) or value == ""


def _native(table: RawTable, spec: FieldSpec, mapping: Mapping, strip: bool = True) -> pd.Series:
    if spec.constant is not None:
        return pd.Series([str(spec.constant)] * len(table.cells), dtype=object)
    missing = [c for c in spec.columns if c not in table.columns]
    if missing:
        hint, zh_hint = _missing_column_hint(table, missing[0])
        raise input_error(table.path, table.header_row, missing[0], None,
                          f"a column named {missing[0]!r} in the header row {table.header_row} "
                          f"(mapping {mapping.path.name}, field {spec.name}); the file has {table.columns}{hint}",
                          f"第 {table.header_row} 列標題中名為「{missing[0]}」的欄位（對應檔 {mapping.path.name}，"
                          f"欄位 {spec.name}）{zh_hint}",
                          summary=f"{table.path}: mapped column {missing[0]!r} is missing")
    parts = [table.cells[c].astype(str).map(str.strip) if strip else table.cells[c].astype(str) for c in spec.columns]
    if len(parts) == 1:
        values = parts[0]
    else:
        values = parts[0]
        for p in parts[1:]:
            values = pd.Series([spec.join.join(x for x in (a, b) if x) for a, b in zip(values, p)], dtype=object)
    values = values.reset_index(drop=True)
    if spec.fill_down:
        values = values.replace("", np.nan).ffill().fillna("")
    if spec.extract is not None:
        values = values.map(lambda v: (m.group(1).strip() if (m := spec.extract.search(v)) else ""))
    if spec.remove is not None:
        values = values.map(lambda v: spec.remove.sub("", v).strip())
    return values


def _missing_column_hint(table: RawTable, name: str) -> tuple[str, str]:
    """Why a mapped column may be missing: the header is on a later row, the file is
    split on another delimiter, the header has unnamed columns, or the name was changed."""
    en, zh = [], []
    for pos in range(min(len(table.cells), 20)):
        if name in {str(v).strip() for v in table.cells.iloc[pos]}:
            row = table.rows[pos]
            en.append(f"the name is on row {row}: set header_row: {row}")
            zh.append(f"此名稱在第 {row} 列：請設定 header_row: {row}")
            break
    for sep, word, key in (("\t", "tab", 'format: tsv or delimiter: "\\t"'), (";", "semicolon", 'delimiter: ";"')):
        if any(sep in c for c in table.columns):
            en.append(f"the header holds {word} characters: the file is {word}-separated ({key})")
            zh.append(f"標題含有 {word} 字元：檔案以 {word} 分隔（{key}）")
    from .readers import column_letter
    unnamed = [column_letter(i) for i, c in enumerate(table.columns) if c == ""]
    if unnamed:
        en.append(f"column(s) {', '.join(unnamed)} have no name in the header")
        zh.append(f"第 {'、'.join(unnamed)} 欄在標題列沒有名稱")
    close = difflib.get_close_matches(name, [c for c in table.columns if c], n=1, cutoff=0.6)
    if close:
        en.append(f"did you mean {close[0]!r}?")
        zh.append(f"是否為「{close[0]}」？")
    return ("; " + "; ".join(en) if en else ""), ("；" + "；".join(zh) if zh else "")


#: Words that mark a summary row (合計 / Total) rather than a case, after :func:`fold`.
SUMMARY_ROW = re.compile(r"^(合計|總計|小計|總和|共計|grand total|sub-?totals?|totals?|sum)\s*([:：(（].*|\d[\d,.]*)?$")
#: Identifiers a spreadsheet has rewritten: (pattern on the id as read, what happened, 中文).
REWRITTEN_IDS = (
    (re.compile(r"^[+-]?\d+\.0+$"),
     "an identifier as written in the source: this whole number was stored as a decimal by a spreadsheet "
     "(write the column as text, or add remove: '\\.0+$' to case_id in the mapping)",
     "來源所寫的編號：此整數被試算表存成小數（請以文字格式匯出，或在對應檔 case_id 加上 remove: '\\.0+$'）"),
    (re.compile(r"^[+-]?\d+(\.\d+)?[eE][+-]?\d+$"),
     "an identifier as written in the source: Excel rewrote this number in scientific notation, which loses "
     "digits (format the column as Text before saving)",
     "來源所寫的編號：Excel 將此數字改寫成科學記號，會遺失位數（請先將欄位設為文字格式再存檔）"),
    (re.compile(r"^(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2})?|\d{4}/\d{1,2}/\d{1,2}|\d{1,2}月\d{1,2}日"
                r"|\d{1,2}-(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)(-\d{2,4})?"
                r"|(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)-\d{2,4})$", re.IGNORECASE),
     "an identifier as written in the source, not a date: a spreadsheet turned this id into a date "
     "(format the column as Text before typing or importing)",
     "來源所寫的編號，而非日期：試算表把此編號轉成了日期（請先將欄位設為文字格式再輸入或匯入）"),
)


def _check_ids(ids: pd.Series, column: str, col: _Collector) -> None:
    """Identifiers a spreadsheet rewrote (decimals, scientific notation, dates) are problems."""
    for pattern, expected, zh in REWRITTEN_IDS:
        hit = ids.map(lambda v, p=pattern: bool(p.match(v)))
        for pos in np.flatnonzero(hit.to_numpy(dtype=bool)):
            col.problem([pos], column, ids[pos], expected, zh)


def _check_summary_rows(table: RawTable, ids: pd.Series | None, column: str, col: _Collector) -> None:
    """A trailing 合計 / Total row (in the id column or the first column) is no case."""
    first = table.columns[0] if table.columns else None
    for pos in range(len(table.cells)):
        cells = [(column, ids[pos])] if ids is not None else []
        if first is not None and first != column:
            cells.append((first, str(table.cells.iloc[pos, 0]).strip()))
        for name, value in cells:
            if SUMMARY_ROW.match(fold(value)):
                col.problem([pos], name, value,
                            "a case, not a summary row (合計 / Total): delete the row, or set on_problem: reject to leave it out",
                            "案例資料，而非合計列（合計／Total）：請刪除此列，或設定 on_problem: reject 排除此列")
                break


def _map_unique(values: pd.Series, fn) -> pd.Series:
    """Apply ``fn`` once per distinct value (fast on large inventories)."""
    uniques = pd.unique(values)
    lookup = {u: fn(u) for u in uniques}
    return values.map(lookup)


def _closed(name: str, values: pd.Series, spec: FieldSpec, frame: Frame, col: _Collector) -> pd.Series:
    column = "+".join(spec.columns) or "<constant>"

    def resolve(v: str):
        if v == "":
            return None
        folded = fold(v)
        if folded in spec.values:
            target = spec.values[folded]
            return None if target is None else frame.lookup(name, target)
        key = frame.lookup(name, v)
        if key is not None:
            return key
        return "<unknown>"

    keys = _map_unique(values, resolve)
    unknown = keys == "<unknown>"
    if unknown.any():
        for v, idx in values[unknown].groupby(values[unknown], sort=True).groups.items():
            if spec.unmapped == "not_coded":
                col.unmapped.append({"field": name, "column": column, "value": v, "rows": len(idx), "action": "left not coded"})
            else:
                col.problem(list(idx), column, v, f"a {name} of the coding frame ({', '.join(frame.keys(name))})",
                            f"編碼架構中的{'類別' if name == 'category' else '應用類型'}")
        keys = keys.where(~unknown, None)
    col.recode(name, column, values, keys.map(lambda k: "" if k is None else k))
    for v in sorted(set(values[(values != "")])):
        if frame.is_outside_frame(name, v):
            col.unmapped.append({"field": name, "column": column, "value": v, "rows": int((values == v).sum()),
                                 "action": f"label outside the frame, mapped to {frame.lookup(name, v)} (see frame.yaml)"})
    return keys


def _techniques(values: pd.Series, spec: FieldSpec, frame: Frame, col: _Collector) -> pd.Series:
    column = "+".join(spec.columns) or "<constant>"
    unknown_parts: dict[str, list[int]] = {}
    separators = list(frame.technique_separators)

    def targets_of(folded: str) -> set[str]:
        target = spec.values[folded]
        targets = target if isinstance(target, list) else [target]
        return {frame.lookup("technique", t) for t in targets if t is not None}

    def resolve(v: str):
        if v == "":
            return None, ()
        folded = fold(v)
        if folded in spec.values:  # a recode of the whole cell
            keys, unknown = targets_of(folded), []
        else:  # each part: the mapping's recodes first, then the frame's vocabulary
            keys, unknown = set(), []
            for part in split_outside_brackets(normalise(v), separators):
                if fold(part) in spec.values:
                    keys |= targets_of(fold(part))
                    continue
                parsed = frame.parse_techniques(part)
                keys.update(parsed.keys)
                unknown.extend(parsed.unknown)
        ordered = [k for k in frame.technique_keys if k in keys]
        return (canonical.TECHNIQUE_SEP.join(ordered) or None), tuple(unknown)

    results = _map_unique(values, resolve)
    keys = results.map(lambda r: r[0])
    for pos, (_, unknown) in enumerate(results):
        for part in unknown:
            unknown_parts.setdefault(part, []).append(pos)
    for part in sorted(unknown_parts):
        positions = unknown_parts[part]
        if spec.unmapped == "report":
            col.unmapped.append({"field": "techniques", "column": column, "value": part, "rows": len(positions),
                                 "action": "not a technique of the frame: left out of techniques"})
        else:
            col.problem(positions, column, part, "techniques of the coding frame (or their synonyms)", "編碼架構中的技術（或其同義詞）")
    col.recode("techniques", column, values, keys.map(lambda k: "" if k is None else k))
    return keys


def _flag(name: str, table: RawTable, spec: FieldSpec, frame: Frame, col: _Collector, mapping: Mapping) -> pd.Series:
    per_column = []
    for c in spec.columns or ["<constant>"]:
        one = FieldSpec(name=spec.name, columns=[c] if c != "<constant>" else [], constant=spec.constant)
        values = _native(table, one, mapping, strip=False)  # as recorded, e.g. 'Rights-Impacting\n'
        rule = spec.per_column.get(c, spec)

        def resolve(v: str, rule: FieldSpec = rule):
            folded = fold(v)
            if folded == "":
                return rule.blank
            if rule.values or rule.patterns:
                target = rule.values.get(folded)
                if target is None:
                    target = next((t for rx, t in rule.patterns if rx.search(folded)), None)
                if target is None:
                    return "<unknown>"
                t = str(target).lower()
                return {"true": YES, "false": NO}.get(t, t)
            state = frame.parse_tick(v)
            return "<unknown>" if state is None else state

        states = _map_unique(values, resolve)
        unknown = states == "<unknown>"
        if unknown.any():
            for v, idx in values[unknown].groupby(values[unknown], sort=True).groups.items():
                if rule.unmapped == "not_reported":
                    col.unmapped.append({"field": name, "column": c, "value": v, "rows": len(idx), "action": "read as not reported"})
                else:
                    known = sorted(rule.values) if rule.values else ["V", "✓", "Y", "Yes", "1", "TRUE", "N", "No", "0", "blank"]
                    col.problem(list(idx), c, v, f"a value listed for flag {name} ({', '.join(map(str, known))}); "
                                "other marks such as X or ○ are not guessed: list them under the flag's values",
                                "勾選值（如 V、✓、Y、是、空白）或對應檔列出的值；X、○ 等其他記號不會被猜測，"
                                "請在該風險的 values 中列出")
            states = states.where(~unknown, NOT_REPORTED)
        col.recode(name, c, values, states)
        per_column.append(states)
    stacked = pd.concat(per_column, axis=1)
    if spec.combine == "first" or len(per_column) == 1:
        combined = per_column[0]
    elif spec.combine == "any":
        combined = pd.Series(np.where((stacked == YES).any(axis=1), YES,
                                      np.where((stacked == NO).all(axis=1), NO, NOT_REPORTED)))
    elif spec.combine == "any_reported":
        combined = pd.Series(np.where((stacked == YES).any(axis=1), YES,
                                      np.where((stacked == NO).any(axis=1), NO, NOT_REPORTED)))
    else:  # all
        combined = pd.Series(np.where((stacked == NO).any(axis=1), NO,
                                      np.where((stacked == YES).all(axis=1), YES, NOT_REPORTED)))
    return combined.map({YES: True, NO: False, NOT_REPORTED: pd.NA}).astype("boolean")


def _text(values: pd.Series, spec: FieldSpec, col: _Collector | None = None) -> pd.Series:
    """Text as recorded (trimmed); with ``values``, each native value is recoded and a value
    not listed is an error, or kept as recorded (``unmapped: keep``, for free text)."""
    if spec.values:
        column = "+".join(spec.columns) or "<constant>"

        def resolve(v: str) -> str:
            if v == "":
                return ""
            folded = fold(v)
            if folded in spec.values:
                target = spec.values[folded]
                return "" if target is None else str(target)
            return "<unknown>"

        mapped = _map_unique(values, resolve)
        unknown = mapped == "<unknown>"
        if unknown.any() and col is not None and spec.unmapped != "keep":  # keep: free text, as recorded
            for v, idx in values[unknown].groupby(values[unknown], sort=True).groups.items():
                col.problem(list(idx), column, v, f"one of the values listed for {spec.name} in the mapping "
                                f"({', '.join(sorted(spec.values))})", f"對應檔中 {spec.name} 列出的值")
        mapped = mapped.where(~unknown, values)
        if col is not None:
            col.recode(spec.name, column, values, mapped)
        values = mapped
    return values.map(lambda v: v if v != "" else None)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _map_table(table: RawTable, mapping: Mapping, frame: Frame) -> tuple[pd.DataFrame, _Collector]:
    n = len(table.cells)
    col = _Collector(str(table.path), np.asarray(table.rows, dtype=int))
    out: dict[str, pd.Series] = {}
    id_column = "+".join(mapping.case_id.columns)
    if mapping.case_id.constant == "<row>":
        out["case_id"] = pd.Series([str(r) for r in table.rows], dtype=object)
        _check_summary_rows(table, None, id_column, col)
    else:
        ids = _native(table, mapping.case_id, mapping)
        blank = ids == ""
        if blank.any():
            col.problem(list(np.flatnonzero(blank.to_numpy(dtype=bool))), id_column, "", "a case id", "案例編號")
        if mapping.case_id.constant is None:
            _check_ids(ids, id_column, col)
        _check_summary_rows(table, ids, id_column, col)
        out["case_id"] = ids.map(lambda v: normalise(v) or None)
    out["inventory"] = pd.Series([mapping.inventory] * n, dtype=object)
    for name in TEXT_FIELDS:
        if name in mapping.fields:
            out[name] = _text(_native(table, mapping.fields[name], mapping), mapping.fields[name], col)
    for name in CLOSED_FIELDS:
        if name in mapping.fields:
            spec = mapping.fields[name]
            native = _native(table, spec, mapping)
            out[f"{name}_as_recorded"] = native.map(lambda v: v or None)
            out[name] = _closed(name, native, spec, frame, col)
            out[f"{name}_coded_by"] = out[name].map(lambda k: None if pd.isna(k) else spec.coded_by)
    if "techniques" in mapping.fields:
        spec = mapping.fields["techniques"]
        native = _native(table, spec, mapping)
        out["techniques_as_recorded"] = native.map(lambda v: v or None)
        out["techniques"] = _techniques(native, spec, frame, col)
        out["techniques_coded_by"] = out["techniques"].map(lambda k: None if pd.isna(k) else spec.coded_by)
    # Derive the category from the application type where only the type is coded.
    if "application_type" in out:
        derived = out["application_type"].map(lambda t: None if pd.isna(t) else frame.category_of(t))
        cat = out.get("category", pd.Series([None] * n, dtype=object))
        fill = cat.isna() & derived.notna()
        if fill.any():
            out["category"] = cat.where(~fill, derived)
            by = out.get("category_coded_by", pd.Series([None] * n, dtype=object))
            out["category_coded_by"] = by.where(~fill, out["application_type_coded_by"])
        both = cat.notna() & derived.notna() & (cat != derived)
        for pos in np.flatnonzero(both.to_numpy()):
            col.problem([pos], "+".join(mapping.fields["application_type"].columns), out["application_type"][pos],
                        f"an application type of category {cat[pos]}", f"屬於類別 {cat[pos]} 的應用類型")
    flag_values = {}
    for key, spec in mapping.flags.items():
        flag_values[key] = _flag(key, table, spec, frame, col, mapping)
        out[key] = flag_values[key]
    if flag_values:
        sources = {spec.coded_by for spec in mapping.flags.values()}
        any_value = pd.concat(list(flag_values.values()), axis=1).notna().any(axis=1)
        label = sources.pop() if len(sources) == 1 else "+".join(sorted(sources))
        out["flags_coded_by"] = any_value.map(lambda v: label if v else None)
    for name, spec in mapping.extras.items():
        out[name] = _text(_native(table, spec, mapping), spec, col)
    df = pd.DataFrame(out)
    df["_row"] = table.rows
    df["_file"] = str(table.path)
    return df, col


def _repeated_keys(table: RawTable, mapping: Mapping) -> pd.DataFrame:
    """Native key combinations (``case_id.report_duplicates``) that occur on several rows."""
    spec = FieldSpec(name="case_id.report_duplicates", columns=mapping.duplicate_key, join=" | ")
    keys = _native(table, spec, mapping)
    rows = pd.Series(table.rows)
    repeated = keys.duplicated(keep=False) & (keys != "")
    records = [{"file": table.path.name, "key": k, "rows": ", ".join(str(r) for r in rows[idx]), "count": len(idx)}
               for k, idx in keys[repeated].groupby(keys[repeated], sort=True).groups.items()]
    return pd.DataFrame(records, columns=["file", "key", "rows", "count"])


def outcomes(cases: pd.DataFrame, frame: Frame) -> pd.DataFrame:
    """Counts of every coded value in a canonical table: category, application type, each
    technique, each flag (yes / no / not reported). Not-coded values are counted too."""
    rows = []
    for name in CLOSED_FIELDS:
        counts = cases[name].value_counts(dropna=False)
        for key in frame.keys(name) + [pd.NA]:
            n = int(counts.get(key, 0)) if not pd.isna(key) else int(cases[name].isna().sum())
            if n:
                rows.append({"field": name, "value": "<not coded>" if pd.isna(key) else key, "rows": n})
    lists = canonical.technique_lists(cases)
    for key in frame.technique_keys:
        n = sum(key in ks for ks in lists)
        if n:
            rows.append({"field": "techniques", "value": key, "rows": n})
    rows.append({"field": "techniques", "value": "<not reported>", "rows": int(cases["techniques"].isna().sum())})
    for key in frame.flag_keys:
        col = cases[key]
        for value, n in ((YES, int((col == True).sum())), (NO, int((col == False).sum())),  # noqa: E712
                         (NOT_REPORTED, int(col.isna().sum()))):
            rows.append({"field": key, "value": value, "rows": n})
    return pd.DataFrame(rows, columns=["field", "value", "rows"])


def _summed(records: list[dict], keys: list[str]) -> pd.DataFrame:
    """Rows of identical keys (from several files) added up; sorted for stable output."""
    order = [k for k in keys if k != "action"] + ["rows"] + [k for k in keys if k == "action"]
    table = pd.DataFrame(records, columns=keys + ["rows"])
    if table.empty:
        return table[order]
    table = table.astype({k: str for k in keys})
    return table.groupby(keys, sort=True, as_index=False)["rows"].sum()[order]


def apply_mapping(mapping: Mapping | str | Path, frame: Frame | None = None,
                  verify: dict[str, str] | None = None) -> LoadResult:
    """Load every file of a mapping into the canonical case table.

    ``verify`` maps resolved file paths to the sha256 they must have (the manifest of
    bundled raw files); a mismatch is an error, never a silent re-read.
    """
    frame = frame or load_frame()
    if not isinstance(mapping, Mapping):
        mapping = load_mapping(mapping, frame)
    parts, collectors, file_rows, rejected_native, duplicate_rows, reader_notes = [], [], [], [], [], []
    blank_rows = 0
    for spec in mapping.files:
        if not spec.path.exists():
            raise input_error(spec.path, None, None, None, f"the raw file named by {mapping.path.name}", f"對應檔 {mapping.path.name} 指定的原始檔案")
        digest = sha256_of(spec.path)
        if verify is not None and str(spec.path) in verify and verify[str(spec.path)] != digest:
            raise input_error(spec.path, None, None, digest,
                              f"sha256 {verify[str(spec.path)]} as recorded in the manifest (the raw file has changed)",
                              "清單記錄的 sha256（原始檔案已被更動）",
                              summary=f"{spec.path}: checksum does not match the manifest")
        table = read_table(spec.path, spec.format, spec.encoding, spec.delimiter, spec.header_row, spec.sheet)
        if mapping.duplicate_key:
            duplicate_rows.append(_repeated_keys(table, mapping))
        reader_notes += [f"{spec.path.name}: column {r}" for r in table.renamed]
        if len(table.cells) + table.blank_rows == 0:
            reader_notes.append(f"{spec.path.name}: a header and no data rows (0 cases read)")
        df, col = _map_table(table, mapping, frame)
        col.problems.extend(table.ragged)
        blank_rows += table.blank_rows
        parts.append(df)
        collectors.append(col)
        file_rows.append({"file": spec.path.name, "sha256": digest, "encoding": table.encoding or "xlsx",
                          "rows_read": len(table.cells) + table.blank_rows})
        cells = table.cells.copy()
        cells.insert(0, "_row", table.rows)
        cells.insert(0, "_file", str(spec.path))
        rejected_native.append(cells)
    df = pd.concat(parts, ignore_index=True)
    problems = [p for c in collectors for p in c.problems]
    # Duplicate ids within the inventory.
    dup = df["case_id"].notna() & df.duplicated("case_id", keep=False)
    for cid, grp in df[dup].groupby("case_id", sort=True):
        rows = [int(r) for r in grp["_row"]]
        for f, r in zip(grp["_file"], grp["_row"]):
            problems.append(Problem(f, int(r), "+".join(mapping.case_id.columns) or "case_id", cid,
                                    f"a unique case id (also on rows {rows}); key by several columns in the mapping if the source's ids repeat",
                                    f"不重複的案例編號（亦見於第 {rows} 列）"))
    if problems and mapping.on_problem == "error":
        raise InputError(sorted(problems, key=lambda p: (p.file, p.row or 0, p.column or "")),
                         f"{mapping.path.name}: {len(problems)} problem(s) loading inventory {mapping.inventory!r}")
    bad_keys = {(p.file, p.row) for p in problems}
    reject_mask = pd.Series([(f, int(r)) in bad_keys for f, r in zip(df["_file"], df["_row"])], dtype=bool)
    rejected = pd.DataFrame([{"file": Path(p.file).name, "row": p.row, "column": p.column,
                              "value": None if p.value is None else str(p.value), "reason": p.expected}
                             for p in sorted(problems, key=lambda p: (p.file, p.row or 0, p.column or ""))],
                            columns=["file", "row", "column", "value", "reason"])
    if blank_rows:
        rejected = pd.concat([rejected, pd.DataFrame([{"file": "", "row": None, "column": None, "value": "",
                                                       "reason": f"{blank_rows} completely blank row(s)"}])],
                             ignore_index=True)
    native = pd.concat(rejected_native, ignore_index=True)
    reasons: dict[tuple[str, int], list[str]] = {}
    for p in problems:
        reasons.setdefault((p.file, p.row), []).append(f"{p.column or '<row>'}: expected {p.expected}")
    native.insert(2, "_reason", ["; ".join(reasons.get((f, int(r)), [])) for f, r in zip(native["_file"], native["_row"])])
    rejected_rows = native[reject_mask.to_numpy()].reset_index(drop=True)
    kept = df[~reject_mask.to_numpy()].drop(columns=["_row", "_file"]).reset_index(drop=True)
    cases = canonical.coerce(kept, frame)
    canonical.check(cases, frame, str(mapping.path))
    rules = []
    for name, spec in [("case_id", mapping.case_id), *mapping.fields.items(), *mapping.flags.items(),
                       *mapping.extras.items()]:
        if spec.coded_by or spec.rationale:
            source = " + ".join(spec.columns) or str(spec.constant)
            if name in mapping.flags and len(spec.columns) > 1:
                source = f"{spec.combine}( {source} )"
            rules.append({"field": name, "from": source,
                          "coded_by": spec.coded_by or "", "rationale": spec.rationale})
    report = StandardizationReport(
        inventory=mapping.inventory, mapping=mapping.path.name,
        files=pd.DataFrame(file_rows),
        rows_read=len(df) + blank_rows, rows_kept=len(cases), rows_rejected=int(reject_mask.sum()) + blank_rows,
        rejected=rejected,
        recodings=_summed([r for c in collectors for r in c.recodings], ["field", "column", "native", "canonical"]),
        unmapped=_summed([r for c in collectors for r in c.unmapped], ["field", "column", "value", "action"]),
        rules=pd.DataFrame(rules, columns=["field", "from", "coded_by", "rationale"]),
        notes=mapping.notes + reader_notes,
        duplicates=(pd.concat(duplicate_rows, ignore_index=True) if duplicate_rows
                    else pd.DataFrame(columns=["file", "key", "rows", "count"])),
        outcomes=outcomes(cases, frame))
    return LoadResult(cases, report, rejected_rows)
