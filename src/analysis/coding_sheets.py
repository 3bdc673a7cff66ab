"""Coding by people: XLSX coding sheets out, filled sheets in, reliability, merge.

A coding sheet opens on its instructions (zh-TW and English), then the ``cases`` sheet:
one row per case, headed in the sheet's language with the frame's headings, with
drop-down lists (from the frame) for category, application type (narrowed to the chosen
category) and up to :data:`TECHNIQUE_SLOTS` techniques, a yes/no drop-down per risk
flag, and an ``about`` sheet naming the coder. Model or LLM codes can be written into
"suggested" columns (and, if asked, pre-filled) so they can be measured against the
people's final codes. Sheets are written with fixed metadata: the same input gives the
same bytes.

Filled sheets are read back into tidy codes (``coded_by`` = ``human:<coder>``, or
``annotator:<id>`` for a recorded annotation pass written out as a sheet); every entry
that is not a frame label, key or synonym, and every application type outside the
chosen category, is reported with its file, row and column. Sheets headed with the
column keys (``case_id``, ``category``, ...) are read too.
"""

from __future__ import annotations

import io
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd

from . import config, memo
from .agreement import cohen_kappa, krippendorff_alpha, pairwise_kappa, score
from .canonical import TECHNIQUE_SEP, case_keys, coerce
from .coders.base import CODE_COLUMNS, coded_by_column, codes_frame, fields, is_reference
from .errors import InputError, Problem, require_columns
from .frame import NO, YES, Frame, load_frame
from .outputs import FIXED_TIME, atomic_write_bytes, fix_zip_times

TECHNIQUE_SLOTS = 4
SHEET_CASES, SHEET_LISTS, SHEET_ABOUT, SHEET_HELP = "cases", "lists", "about", "instructions"
INFO_COLUMNS = ["case_id", "inventory", "name", "agency", "description"]
#: Who fills a sheet: a person, or a recorded annotation pass written out as a sheet.
ROLES = ("human", "annotator")
_TICKS = {"zh-TW": ("是", "否"), "en": ("yes", "no")}
#: Widest column (characters, a CJK character counting two) before its text wraps.
MAX_WIDTH = 60

INSTRUCTIONS = [
    (
        "請在 about 工作表 B1 儲存格填入您的姓名或代號（若尚未填入）。",
        "Write your name or initials in cell B1 of the 'about' sheet (if it is not there).",
    ),
    (
        "cases 工作表每列為一個案例。請依案例名稱、機關與說明，從下拉選單選擇"
        "AI應用類型（五大類）與應用類型。",
        "Each row of the 'cases' sheet is one case. From the drop-down lists, choose its "
        "category (one of five) and application type.",
    ),
    (
        "應用類型的選單只列所選AI應用類型下的應用類型；不確定時可留白，留白代表未編碼。",
        "The application-type list shows only the types of the chosen category; leave a cell "
        "blank when unsure (blank = not coded).",
    ),
    (
        "AI技術：最多四欄，每欄選一項；描述未載明技術時，第一欄選「未載明」；無法判斷請留白。",
        "Techniques: up to four columns, one technique each; when the text names none, choose "
        "'Not stated' in the first; leave blank when you cannot tell.",
    ),
    (
        "六項風險欄位：依描述判斷是否有該風險，選「是」或「否」；無法判斷請留白。",
        "Six risk columns: choose yes or no for each risk the description suggests; leave "
        "blank when you cannot tell.",
    ),
    (
        "標題以「建議」開頭的欄位是模型或LLM的建議，只供參考；"
        "請以您自己的判斷為準，勿修改案例資訊欄位。",
        "Columns headed 'Suggested' hold a model's or LLM's suggestion for reference "
        "only; code by your own judgement and do not edit the case information columns.",
    ),
]


def coding_columns(frame: Frame) -> list[str]:
    """The keys of the columns a coder fills, in sheet order."""
    return [
        "category",
        "application_type",
        *[f"technique_{i}" for i in range(1, TECHNIQUE_SLOTS + 1)],
        *frame.flag_keys,
    ]


def sheet_heading(column: str, frame: Frame, language: str = config.DEFAULT_LANGUAGE) -> str:
    """The header a coding sheet shows for a column key, in ``language`` (frame words)."""
    if column.startswith("suggested_"):
        colon = ": " if language == "en" else "："
        field_name = sheet_heading(column.removeprefix("suggested_"), frame, language)
        return f"{frame.heading('suggested', language)}{colon}{field_name}"
    if column.startswith("technique_"):
        return f"{frame.heading('technique', language)} {column.removeprefix('technique_')}"
    if column in frame.flag_keys:
        return frame.label("flag", column, language)
    return frame.heading(column, language)


def _column_keys(frame: Frame, header: list[str]) -> dict[str, str]:
    """Header text -> column key, for headers in zh-TW, English or as keys."""
    keys = [*INFO_COLUMNS, *coding_columns(frame), "notes"]
    keys += [f"suggested_{f}" for f in fields(frame)]
    aliases = {}
    for key in keys:
        for language in ("zh-TW", "en"):
            aliases[sheet_heading(key, frame, language)] = key
        aliases[key] = key
    return {h: aliases[h] for h in header if h in aliases}


def text_width(value: object) -> int:
    """Display width of a cell's longest line: a CJK (wide) character counts two."""
    lines = str(value).splitlines() or [""]
    return max(
        sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line) for line in lines
    )


def fit_columns(ws, rows: list[list], minimum: int = 6, maximum: int = MAX_WIDTH) -> None:
    """Set each column's width to its widest cell (header included) within
    ``minimum``..``maximum``; cells of a column at the maximum wrap, aligned to the top."""
    from openpyxl.styles import Alignment

    if not rows:
        return
    for j in range(max(len(r) for r in rows)):
        cells = [r[j] for r in rows if j < len(r) and r[j] is not None]
        widest = max([text_width(v) for v in cells] + [minimum - 2]) + 2
        width = min(maximum, widest)
        ws.column_dimensions[_col_letter(j + 1)].width = width
        if widest > maximum:
            for (cell,) in ws.iter_rows(min_row=2, min_col=j + 1, max_col=j + 1):
                cell.alignment = Alignment(wrap_text=True, vertical="top")


def _bold_header(ws) -> None:
    from openpyxl.styles import Font

    for cell in ws[1]:
        cell.font = Font(bold=True)


def _col_letter(i: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(i)


def _suggestion_table(
    cases: pd.DataFrame, suggestions: pd.DataFrame | None, frame: Frame
) -> pd.DataFrame:
    keys = case_keys(cases)
    out = pd.DataFrame(index=cases.index)
    if suggestions is None or suggestions.empty:
        return out
    for f in fields(frame):
        sub = suggestions[suggestions["field"] == f]
        values = {
            f"{i}\x00{c}": v for i, c, v in zip(sub["inventory"], sub["case_id"], sub["value"])
        }
        out[f"suggested_{f}"] = [values.get(k, pd.NA) for k in keys]
    return out


def _display(frame: Frame, kind: str, key: object, language: str) -> object:
    if pd.isna(key) or key == "":
        return None
    return frame.label(kind, str(key), language)


def _prefilled(s: pd.Series, frame: Frame, language: str, width: int) -> list:
    """The coding cells of one row filled from its suggestions (drop-down labels)."""
    yes, no = _TICKS["en" if language == "en" else "zh-TW"]
    coded = [None] * width
    coded[0] = _display(frame, "category", s.get("suggested_category"), language)
    coded[1] = _display(frame, "application_type", s.get("suggested_application_type"), language)
    techniques = s.get("suggested_techniques", pd.NA)
    techs = [] if pd.isna(techniques) else [t for t in str(techniques).split(TECHNIQUE_SEP) if t]
    for i, t in enumerate(techs[:TECHNIQUE_SLOTS]):
        coded[2 + i] = frame.label("technique", t, language)
    if techniques == "":  # the coder read the text and it names no technique
        coded[2] = frame.heading("not_stated", language)
    for j, f in enumerate(frame.flag_keys):
        v = s.get(f"suggested_{f}")
        coded[2 + TECHNIQUE_SLOTS + j] = None if pd.isna(v) else (yes if v == "yes" else no)
    return coded


def _suggested_text(column: str, value: object, frame: Frame, language: str) -> str | None:
    """A suggestion as the coder reads it: frame labels, yes/no words of the sheet."""
    if pd.isna(value):
        return None
    field_name = column.removeprefix("suggested_")
    if field_name in frame.flag_keys:
        yes, no = _TICKS["en" if language == "en" else "zh-TW"]
        return yes if value == "yes" else no
    if field_name == "techniques":
        keys = [t for t in str(value).split(TECHNIQUE_SEP) if t]
        words = [frame.label("technique", t, language) for t in keys]
        return "; ".join(words) if words else frame.heading("not_stated", language)
    return frame.label(field_name, str(value), language)


def _widest_choices(frame: Frame, language: str, skip: int, code_cols: list[str]) -> list:
    """A row of the widest drop-down choice of each coding column (for column widths)."""
    kinds = {"category": "category", "application_type": "application_type"}
    row: list = [None] * skip
    for col in code_cols:
        kind = kinds.get(col, "technique" if col.startswith("technique_") else None)
        choices = list(frame.labels(kind, language).values()) if kind else []
        row.append(max(choices, key=text_width) if choices else None)
    return row


def _add_drop_downs(wb, ws, frame: Frame, language: str, code_cols: list[str], rows: int) -> None:
    """The drop-down lists (on a hidden sheet) and their validation of the coding cells.
    The application-type list is the chosen category's: a defined name per category
    (``types_<category>``) picked by ``INDIRECT``; before a category is chosen, all types."""
    from openpyxl.workbook.defined_name import DefinedName
    from openpyxl.worksheet.datavalidation import DataValidation

    yes, no = _TICKS["en" if language == "en" else "zh-TW"]
    lists = wb.create_sheet(SHEET_LISTS)
    columns = {
        "category": [frame.label("category", k, language) for k in frame.category_keys],
        "category_key": list(frame.category_keys),
        "application_type": [
            frame.label("application_type", k, language) for k in frame.application_type_keys
        ],
        "technique": [frame.label("technique", k, language) for k in frame.technique_keys]
        + [frame.heading("not_stated", language)],
        "flag": [yes, no],
    }
    for c in frame.category_keys:
        columns[f"types_{c}"] = [
            frame.label("application_type", k, language) for k in frame.application_types_of(c)
        ]
    refs = {}
    for j, (name, values) in enumerate(columns.items(), start=1):
        lists.cell(row=1, column=j, value=name)
        for i, v in enumerate(values, start=2):
            lists.cell(row=i, column=j, value=v)
        letter = _col_letter(j)
        refs[name] = f"{SHEET_LISTS}!${letter}$2:${letter}${len(values) + 1}"
    for c in frame.category_keys:
        wb.defined_names[f"types_{c}"] = DefinedName(f"types_{c}", attr_text=refs[f"types_{c}"])
    wb.defined_names["types_all"] = DefinedName("types_all", attr_text=refs["application_type"])
    lists.sheet_state = "hidden"
    first = len(INFO_COLUMNS) + 1
    category_letter = _col_letter(first + code_cols.index("category"))
    key_table = f"{SHEET_LISTS}!$A$2:$B${len(frame.category_keys) + 1}"
    narrowed = (
        f'INDIRECT(IFERROR("types_"&VLOOKUP(${category_letter}2,{key_table},2,FALSE),"types_all"))'
    )
    last = max(rows + 1, 2)
    for j, col in enumerate(code_cols, start=first):
        if col == "application_type":
            formula = narrowed
        elif col.startswith("technique_"):
            formula = refs["technique"]
        else:
            formula = refs["flag" if col in frame.flag_keys else col]
        dv = DataValidation(
            type="list",
            formula1=formula,
            allow_blank=True,
            showErrorMessage=True,
            errorTitle="invalid / 無效",
            error="Choose from the list / 請從清單選擇",
        )
        letter = _col_letter(j)
        dv.add(f"{letter}2:{letter}{last}")
        ws.add_data_validation(dv)


def _add_help(wb, frame: Frame) -> None:
    """The instructions sheet (the workbook's first): steps and the frame's definitions."""
    from openpyxl.styles import Alignment

    helper = wb.active
    helper.title = SHEET_HELP
    helper.append(["zh-TW", "en"])
    for zh, en in INSTRUCTIONS:
        helper.append([zh, en])
    helper.append([None, None])
    helper.append([frame.heading("column", "zh-TW"), frame.heading("column", "en")])
    for kind in ("category", "application_type", "flag"):
        for d in frame.definitions(kind):
            helper.append(
                [
                    f"{d['name_zh']}：{d['definition_zh']}",
                    f"{d['name_en']}: {d['definition_en']}",
                ]
            )
    _bold_header(helper)
    for letter in "AB":
        helper.column_dimensions[letter].width = 80
    for row in helper.iter_rows():
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")


def _add_about(
    wb,
    frame: Frame,
    language: str,
    cases: int,
    suggested: bool,
    prefill: bool,
    coder: str | None,
    role: str,
) -> None:
    about = wb.create_sheet(SHEET_ABOUT)
    for row in (
        ["coder", coder, "編碼者姓名或代號 · your name or initials"],
        ["role", role],
        ["language", language],
        ["frame", frame.path.name],
        ["cases", cases],
        ["suggestions", "yes" if suggested else "no"],
        ["prefilled", "yes" if prefill else "no"],
    ):
        about.append(row)
    about.column_dimensions["A"].width = 14
    about.column_dimensions["B"].width = 24


def export_sheet(
    cases: pd.DataFrame,
    frame: Frame | None = None,
    language: str = config.DEFAULT_LANGUAGE,
    suggestions: pd.DataFrame | None = None,
    prefill: bool = False,
    coder: str | None = None,
    codes: pd.DataFrame | None = None,
    role: str = "human",
) -> bytes:
    """The XLSX bytes of a coding sheet for ``cases`` (see the module docstring).
    ``suggestions`` are codes (:data:`analysis.coders.CODE_COLUMNS`); with ``prefill``
    they are also written into the coding cells, for the coder to confirm or change.
    ``coder`` is written into the about sheet; ``codes`` fill the coding cells as a coder
    filled them (``role`` ``annotator`` for a recorded annotation pass)."""
    from openpyxl import Workbook

    frame = frame or load_frame()
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}, not {role!r}")
    wb = Workbook()
    _add_help(wb, frame)
    ws = wb.create_sheet(SHEET_CASES)
    sugg = _suggestion_table(cases, suggestions, frame)
    given = _suggestion_table(cases, codes, frame) if codes is not None else None
    code_cols = coding_columns(frame)
    keys = INFO_COLUMNS + code_cols + ["notes"] + list(sugg.columns)
    rows = [[sheet_heading(k, frame, language) for k in keys]]
    for idx, row in cases.iterrows():
        info = [
            None if c not in cases.columns or pd.isna(row[c]) else str(row[c]) for c in INFO_COLUMNS
        ]
        suggested = sugg.loc[idx] if len(sugg.columns) else pd.Series(dtype=object)
        if given is not None and len(given.columns):
            coded = _prefilled(given.loc[idx], frame, language, len(code_cols))
        elif prefill and len(sugg.columns):
            coded = _prefilled(suggested, frame, language, len(code_cols))
        else:
            coded = [None] * len(code_cols)
        shown = [_suggested_text(c, v, frame, language) for c, v in suggested.items()]
        rows.append(info + coded + [None] + shown)
    for r in rows:
        ws.append(r)
    _bold_header(ws)
    fit_columns(ws, rows + [_widest_choices(frame, language, len(INFO_COLUMNS), code_cols)])
    _add_drop_downs(wb, ws, frame, language, code_cols, len(cases))
    ws.freeze_panes = "D2"
    ws.auto_filter.ref = f"A1:{_col_letter(len(keys))}{len(rows)}"
    _add_about(wb, frame, language, len(cases), bool(len(sugg.columns)), prefill, coder, role)
    wb.active = 0
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    buf = io.BytesIO()
    wb.save(buf)
    return fix_zip_times(buf.getvalue())


def write_sheet(
    cases: pd.DataFrame,
    path: Path,
    frame: Frame | None = None,
    language: str = config.DEFAULT_LANGUAGE,
    suggestions: pd.DataFrame | None = None,
    prefill: bool = False,
    coder: str | None = None,
    codes: pd.DataFrame | None = None,
    role: str = "human",
) -> Path:
    """Write :func:`export_sheet` to ``path`` atomically."""
    return atomic_write_bytes(
        Path(path),
        export_sheet(cases, frame, language, suggestions, prefill, coder, codes, role),
    )


# -- reading filled sheets -------------------------------------------------------------------
def _about(wb) -> dict[str, str]:
    """The key/value rows of the about sheet (empty when there is none)."""
    if SHEET_ABOUT not in wb.sheetnames:
        return {}
    out = {}
    for row in wb[SHEET_ABOUT].iter_rows(min_row=1, max_row=20, values_only=True):
        if row and row[0] is not None and len(row) > 1 and row[1] not in (None, ""):
            out[str(row[0]).strip()] = str(row[1]).strip()
    return out


def _sheet_rows(path: Path, coder: str | None) -> tuple[str, str, list[tuple]]:
    """The coder's name (about sheet, else ``coder``, else the file name), their role
    (about sheet, else ``human``) and the rows of the cases sheet, header first."""
    from openpyxl import load_workbook

    file = str(path)
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a broken file
        raise InputError(
            [Problem(file, None, None, None, "an XLSX coding sheet", "XLSX 編碼表")],
            f"{file}: cannot read the workbook ({type(exc).__name__})",
        ) from None
    if SHEET_CASES not in wb.sheetnames:
        raise InputError(
            [
                Problem(
                    file,
                    None,
                    None,
                    None,
                    f"a sheet named {SHEET_CASES!r}",
                    f"名為 {SHEET_CASES} 的工作表",
                )
            ]
        )
    about = _about(wb)
    role = about.get("role", "human")
    if role not in ROLES:
        wb.close()
        raise InputError(
            [
                Problem(
                    file, None, f"{SHEET_ABOUT}!B2", role, f"one of {ROLES}", "human 或 annotator"
                )
            ]
        )
    rows = list(wb[SHEET_CASES].iter_rows(values_only=True))
    wb.close()
    if not rows:
        raise InputError([Problem(file, 1, None, None, "a header row", "標題列")])
    return about.get("coder") or coder or path.stem, role, rows


class _SheetRow:
    """One filled row of a coding sheet: its cells by column key, and the codes and
    problems read from it (problems name the column by its header in the file)."""

    def __init__(
        self,
        file: str,
        number: int,
        values: tuple,
        columns: dict[str, int],
        headers: dict[str, str],
        frame: Frame,
    ):
        self.file, self.number, self.values, self.frame = file, number, values, frame
        self.columns, self.headers = columns, headers
        self.codes: list[dict] = []
        self.problems: list[Problem] = []

    def cell(self, column: str) -> str | None:
        i = self.columns[column]
        v = self.values[i] if i < len(self.values) else None
        return None if v is None or str(v).strip() == "" else str(v).strip()

    def problem(self, column: str, value: str | None, expected: str, expected_zh: str) -> None:
        self.problems.append(
            Problem(self.file, self.number, self.headers[column], value, expected, expected_zh)
        )

    def read(self, base: dict) -> None:
        self._closed(base)
        self._techniques(base)
        self._flags(base)

    def _closed(self, base: dict) -> None:
        category = None
        for kind in ("category", "application_type"):
            v = self.cell(kind)
            key = None if v is None else self.frame.lookup(kind, v)
            if v is None:
                continue
            if key is None:
                self.problem(kind, v, f"a {kind} from the drop-down list", "下拉清單中的選項")
            elif kind == "category":
                category = key
                self.codes.append({**base, "field": kind, "value": key})
            elif category is not None and self.frame.category_of(key) != category:
                choices = [
                    self.frame.label("application_type", t, "en")
                    for t in self.frame.application_types_of(category)
                ]
                choices_zh = [
                    self.frame.label("application_type", t, "zh-TW")
                    for t in self.frame.application_types_of(category)
                ]
                self.problem(
                    kind,
                    v,
                    f"an application type of the chosen category "
                    f"{self.frame.label('category', category, 'en')} ({', '.join(choices)})",
                    f"所選AI應用類型「{self.frame.label('category', category, 'zh-TW')}」"
                    f"下的應用類型（{'、'.join(choices_zh)}）",
                )
            else:
                self.codes.append({**base, "field": kind, "value": key})

    def _techniques(self, base: dict) -> None:
        found, not_stated = set(), []
        words = {self.frame.heading("not_stated", lang) for lang in config.LANGUAGES}
        for i in range(1, TECHNIQUE_SLOTS + 1):
            column = f"technique_{i}"
            if column not in self.columns:  # a sheet of an earlier version had fewer slots
                continue
            v = self.cell(column)
            key = None if v is None or v in words else self.frame.lookup("technique", v)
            if v in words:
                not_stated.append((column, v))
            elif v is not None and key is None:
                self.problem(column, v, "a technique from the drop-down list", "下拉清單中的AI技術")
            elif key is not None:
                found.add(key)
        for column, v in not_stated if found else not_stated[1:]:
            self.problem(
                column, v, "techniques, or 'not stated' alone", "AI技術，或僅一欄「未載明」"
            )
        if found or not_stated:
            self.codes.append(
                {
                    **base,
                    "field": "techniques",
                    "value": TECHNIQUE_SEP.join(t for t in self.frame.technique_keys if t in found),
                }
            )

    def _flags(self, base: dict) -> None:
        for f in self.frame.flag_keys:
            v = self.cell(f)
            if v is None:
                continue
            state = self.frame.parse_tick(v)
            if state in (YES, NO):
                self.codes.append({**base, "field": f, "value": "yes" if state == YES else "no"})
            else:
                self.problem(f, v, "yes or no (是／否), or blank", "是、否或空白")


def read_sheet(path: Path, frame: Frame | None = None, coder: str | None = None) -> pd.DataFrame:
    """The codes of one filled sheet (:data:`analysis.coders.CODE_COLUMNS`, coded_by
    ``<role>:<coder>``: role ``human`` unless the about sheet says ``annotator``; the
    coder's name from the about sheet, else ``coder``, else the file name). Blank cells
    are not coded. Raises :class:`InputError` naming file, row and column (its header)
    for every invalid entry."""
    frame = frame or load_frame()
    path = Path(path)
    file = str(path)
    name, role, rows = _sheet_rows(path, coder)
    header = [str(h).strip() if h is not None else "" for h in rows[0]]
    keyed = _column_keys(frame, header)
    needed = ["case_id", "inventory", "category", "application_type", "technique_1"]
    needed += frame.flag_keys
    require_columns(
        file,
        list(keyed.values()),
        needed,
        "a coding sheet (headers as written by sheets export)",
        "編碼表（標題依匯出時）",
    )
    columns = {keyed[h]: i for i, h in enumerate(header) if h in keyed}
    headers = {key: h for h, key in keyed.items()}
    problems, out, seen = [], [], set()
    coded = [c for c in coding_columns(frame) if c in columns]
    for number, values in enumerate(rows[1:], start=2):
        row = _SheetRow(file, number, values, columns, headers, frame)
        cid, inv = row.cell("case_id"), row.cell("inventory")
        if cid is None and all(row.cell(c) is None for c in coded):
            continue
        if cid is None:
            row.problem(
                "case_id", None, "the case_id of the row (do not edit it)", "案例編號（請勿修改）"
            )
        elif (inv, cid) in seen:
            row.problem("case_id", cid, "each case once", "每個案例一列")
        else:
            seen.add((inv, cid))
            row.read(
                {
                    "case_id": cid,
                    "inventory": inv or "",
                    "coded_by": f"{role}:{name}",
                    "confidence": np.nan,
                    "evidence": row.cell("notes") if "notes" in columns else None,
                }
            )
        problems += row.problems
        out += row.codes
    if problems:
        raise InputError(
            problems, f"{file}: {len(problems)} invalid entr{'y' if len(problems) == 1 else 'ies'}"
        )
    return codes_frame(out)


def sheet_cases(path: Path, frame: Frame | None = None) -> pd.DataFrame:
    """The cases a sheet lists (``inventory``, ``case_id``, ``name``), in its row order."""
    frame = frame or load_frame()
    _, _, rows = _sheet_rows(Path(path), None)
    header = [str(h).strip() if h is not None else "" for h in rows[0]]
    keyed = _column_keys(frame, header)
    at = {keyed[h]: i for i, h in enumerate(header) if h in keyed}
    wanted = ["inventory", "case_id", "name"]
    out = [
        [None if at.get(c) is None or at[c] >= len(r) else r[at[c]] for c in wanted]
        for r in rows[1:]
    ]
    table = pd.DataFrame(out, columns=wanted).dropna(subset=["case_id"])
    return table.astype({"inventory": str, "case_id": str}).reset_index(drop=True)


def read_sheets(paths: list[Path], frame: Frame | None = None) -> pd.DataFrame:
    """The codes of several filled sheets (two or more coders), problems of all files
    reported together."""
    frame = frame or load_frame()
    tables, problems = [], []
    for p in paths:
        try:
            tables.append(read_sheet(p, frame))
        except InputError as exc:
            problems.extend(exc.problems)
    if problems:
        raise InputError(problems, f"{len(problems)} problem(s) in the coding sheets")
    coders = [t["coded_by"].iloc[0] for t in tables if len(t)]
    dupes = sorted({c for c in coders if coders.count(c) > 1})
    if dupes:
        raise InputError(
            [
                Problem(
                    str(p),
                    None,
                    "coder",
                    None,
                    "a different coder name in each sheet",
                    "每份編碼表不同的編碼者",
                )
                for p in paths
            ],
            f"coder names used twice: {dupes}",
        )
    return pd.concat(tables, ignore_index=True) if tables else codes_frame([])


# -- reliability ----------------------------------------------------------------------------
def ratings(codes: pd.DataFrame, field_name: str) -> pd.DataFrame:
    """Units (inventory, case_id) × coders table of one field's values (NA = not coded)."""
    sub = codes[codes["field"] == field_name]
    if sub.empty:
        return pd.DataFrame()
    table = sub.pivot_table(
        index=["inventory", "case_id"], columns="coded_by", values="value", aggfunc="first"
    )
    table = table.sort_index().astype(object).where(table.notna(), None)
    table.columns = [str(c) for c in table.columns]
    return table.sort_index(axis=1)


@memo.cached(defaults={"frame": load_frame})
def reliability(
    codes: pd.DataFrame, frame: Frame | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Inter-coder reliability per field: ``(summary, pairwise)`` where ``summary`` has
    units, coders, Krippendorff's α (nominal) and the share of units with full
    agreement, and ``pairwise`` Cohen's κ for every pair of coders. Stored
    (:mod:`analysis.memo`)."""
    frame = frame or load_frame()
    rows, pairs = [], []
    for f in fields(frame):
        table = ratings(codes, f)
        if table.empty:
            continue
        both = table.dropna(thresh=2)
        agree = (
            both.apply(lambda r: r.dropna().nunique() == 1, axis=1)
            if len(both)
            else pd.Series(dtype=bool)
        )
        rows.append(
            {
                "field": f,
                "units": len(table),
                "coders": table.shape[1],
                "pairable": len(both),
                "alpha": krippendorff_alpha(table),
                "agreement": float(agree.mean()) if len(agree) else np.nan,
            }
        )
        pairs.append(pairwise_kappa(table).assign(field=f))
    pair = (
        pd.concat(pairs, ignore_index=True)
        if pairs
        else pd.DataFrame(columns=["coder_a", "coder_b", "n", "kappa", "field"])
    )
    return pd.DataFrame(rows), pair[["field", "coder_a", "coder_b", "n", "kappa"]]


@memo.cached(defaults={"frame": load_frame})
def disagreements(codes: pd.DataFrame, frame: Frame | None = None) -> pd.DataFrame:
    """Every (case, field) where the coders' values differ, one column per coder (stored:
    :mod:`analysis.memo`)."""
    frame = frame or load_frame()
    parts = []
    for f in fields(frame):
        table = ratings(codes, f)
        if table.empty:
            continue
        differ = table.apply(lambda r: r.dropna().nunique() > 1, axis=1)
        sub = table[differ].reset_index()
        if len(sub):
            parts.append(sub.assign(field=f))
    if not parts:
        return pd.DataFrame(columns=["inventory", "case_id", "field"])
    out = pd.concat(parts, ignore_index=True)
    lead = ["inventory", "case_id", "field"]
    return (
        out[lead + [c for c in out.columns if c not in lead]]
        .sort_values(lead, kind="stable")
        .reset_index(drop=True)
    )


def _coder_id(coded_by: str) -> str:
    return coded_by.split(":", 1)[1] if ":" in coded_by else coded_by


def consensus(
    codes: pd.DataFrame, frame: Frame | None = None, resolve: str | None = None
) -> pd.DataFrame:
    """One code per (case, field): the value all coders who coded it agree on
    (``coded_by`` = ``<role>:<a>+<b>``, the role ``human`` unless every coder is an
    annotation pass). Coder ``resolve`` is the adjudicator: their value settles every
    case where the others differ or where it differs from theirs (``coded_by`` the
    adjudicator's); without one, a disagreement is left uncoded."""
    frame = frame or load_frame()
    rows = []
    for f in fields(frame):
        table = ratings(codes, f)
        judge = next((c for c in table.columns if _coder_id(c) == resolve), None)
        coders = table.shape[1] - (judge is not None)
        for (inv, cid), r in table.iterrows():
            given = (r.drop(judge) if judge else r).dropna()
            ruling = None if judge is None or pd.isna(r[judge]) else r[judge]
            agreed = given.nunique() == 1 and ruling in (None, given.iloc[0])
            if agreed:
                roles = {c.split(":", 1)[0] for c in given.index}
                role = roles.pop() if len(roles) == 1 else "human"
                value, by = given.iloc[0], f"{role}:{'+'.join(_coder_id(c) for c in given.index)}"
                confidence, evidence = float(len(given)) / coders, ""
            elif ruling is not None:
                value, by, confidence, evidence = ruling, judge, np.nan, "resolved"
            else:
                continue
            rows.append(
                {
                    "case_id": cid,
                    "inventory": inv,
                    "field": f,
                    "value": value,
                    "coded_by": by,
                    "confidence": confidence,
                    "evidence": evidence,
                }
            )
    return codes_frame(rows)


@memo.cached(defaults={"frame": load_frame})
def merge(
    cases: pd.DataFrame, codes: pd.DataFrame, frame: Frame | None = None, resolve: str | None = None
) -> pd.DataFrame:
    """The canonical table with the people's consensus codes: they replace values that
    are missing or were coded by a coder (rules, model, llm); values from the study, a
    source, a crosswalk or a person are kept. Stored (:mod:`analysis.memo`)."""
    frame = frame or load_frame()
    agreed = consensus(codes, frame, resolve)
    out = cases.copy()
    coder_coded = {
        cb: ~is_reference(cases[cb]) for cb in {coded_by_column(f, frame) for f in fields(frame)}
    }
    for f in fields(frame):
        cb = coded_by_column(f, frame)
        replaceable = coder_coded[cb] | cases[f].isna()
        sub = agreed[agreed["field"] == f]
        values = {
            (i, c): (v, by)
            for i, c, v, by in zip(sub["inventory"], sub["case_id"], sub["value"], sub["coded_by"])
        }
        for idx, inv, cid in zip(out.index, out["inventory"], out["case_id"]):
            hit = values.get((inv, cid))
            if hit is None or not replaceable[idx] or hit[0] == "":  # "": no technique stated
                continue
            v, by = hit
            out.at[idx, f] = (v == "yes") if f in frame.flag_keys else v
            out.at[idx, cb] = by
    return coerce(out, frame)


def suggestion_agreement(
    final: pd.DataFrame, suggestions: pd.DataFrame, frame: Frame | None = None
) -> pd.DataFrame:
    """How often the pre-filled suggestions (model or LLM codes) match the people's
    final (consensus) codes, per field: n, accuracy, macro-F1, κ, α."""
    frame = frame or load_frame()
    rows = []
    for f in fields(frame):
        fin = final[final["field"] == f].set_index(["inventory", "case_id"])["value"]
        sug = suggestions[suggestions["field"] == f].set_index(["inventory", "case_id"])["value"]
        if fin.empty:
            continue
        aligned = sug.reindex(fin.index)
        coder = (
            ",".join(sorted(suggestions.loc[suggestions["field"] == f, "coded_by"].unique()))
            or "none"
        )
        rows.append(
            {"field": f, "suggested_by": coder, **score(fin.astype(object), aligned.astype(object))}
        )
    return pd.DataFrame(rows)


__all__ = [
    "export_sheet",
    "write_sheet",
    "read_sheet",
    "read_sheets",
    "ratings",
    "reliability",
    "disagreements",
    "consensus",
    "merge",
    "suggestion_agreement",
    "cohen_kappa",
    "CODE_COLUMNS",
]
