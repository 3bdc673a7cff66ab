"""Coding by people: XLSX coding sheets out, filled sheets in, reliability, merge.

A coding sheet has one row per case with drop-down lists (from the frame) for category,
application type and up to :data:`TECHNIQUE_SLOTS` techniques, a drop-down yes/no column
per risk flag, an instructions sheet in zh-TW and English, and an ``about`` sheet where
the coder writes their name. Model or LLM codes can be written into ``suggested_*``
columns (and, if asked, pre-filled) so they can be measured against the people's final
codes. Sheets are written with fixed metadata: the same input gives the same bytes.

Filled sheets are read back into tidy codes (``coded_by`` = ``human:<coder>``); every
entry that is not a frame label, key or synonym is reported with its file, row and
column.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd

from . import config
from .agreement import cohen_kappa, krippendorff_alpha, pairwise_kappa, score
from .canonical import TECHNIQUE_SEP, coerce
from .coders.base import CODE_COLUMNS, coded_by_column, codes_frame, fields, is_reference
from .errors import InputError, Problem, require_columns
from .frame import NO, YES, Frame, load_frame
from .outputs import FIXED_TIME, atomic_write_bytes, fix_zip_times

TECHNIQUE_SLOTS = 3
SHEET_CASES, SHEET_LISTS, SHEET_ABOUT, SHEET_HELP = "cases", "lists", "about", "instructions"
INFO_COLUMNS = ["case_id", "inventory", "name", "agency", "description"]
_TICKS = {"zh-TW": ("是", "否"), "en": ("yes", "no")}

INSTRUCTIONS = [
    (
        "請在 about 工作表 B1 儲存格填入您的姓名或代號。",
        "Write your name or initials in cell B1 of the 'about' sheet.",
    ),
    (
        "每列為一個案例。請依案例名稱、機關與描述，從下拉選單選擇 AI應用類型（五大類）與應用類型。",
        "Each row is one case. From the drop-down lists, choose its category (one of five) "
        "and application type.",
    ),
    (
        "應用類型須屬於所選的AI應用類型；不確定時可留白，留白代表未編碼。",
        "The application type must belong to the chosen category; leave a cell blank when "
        "unsure (blank = not coded).",
    ),
    (
        "AI技術：最多三欄，每欄選一項；描述未載明技術時請留白。",
        "Techniques: up to three columns, one technique each; leave blank when the text does "
        "not say.",
    ),
    (
        "六項風險欄位：依描述判斷是否有該風險，選「是」或「否」；無法判斷請留白。",
        "Six risk columns: choose yes or no for each risk the description suggests; leave "
        "blank when you cannot tell.",
    ),
    (
        "suggested_ 開頭的欄位是模型或LLM的建議，只供參考；"
        "請以您自己的判斷為準，勿修改案例資訊欄位。",
        "Columns starting with suggested_ hold a model's or LLM's suggestion for reference "
        "only; code by your own judgement and do not edit the case information columns.",
    ),
]


def coding_columns(frame: Frame) -> list[str]:
    return [
        "category",
        "application_type",
        *[f"technique_{i}" for i in range(1, TECHNIQUE_SLOTS + 1)],
        *frame.flag_keys,
    ]


def _col_letter(i: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(i)


def _suggestion_table(
    cases: pd.DataFrame, suggestions: pd.DataFrame | None, frame: Frame
) -> pd.DataFrame:
    keys = cases["inventory"].astype(str) + "\x00" + cases["case_id"].astype(str)
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
    techs = [] if pd.isna(techniques) else str(techniques).split(TECHNIQUE_SEP)
    for i, t in enumerate(techs[:TECHNIQUE_SLOTS]):
        coded[2 + i] = frame.label("technique", t, language)
    for j, f in enumerate(frame.flag_keys):
        v = s.get(f"suggested_{f}")
        coded[2 + TECHNIQUE_SLOTS + j] = None if pd.isna(v) else (yes if v == "yes" else no)
    return coded


def _add_drop_downs(wb, ws, frame: Frame, language: str, code_cols: list[str], rows: int) -> None:
    """The drop-down lists (on a hidden sheet) and their validation of the coding cells."""
    from openpyxl.worksheet.datavalidation import DataValidation

    yes, no = _TICKS["en" if language == "en" else "zh-TW"]
    lists = wb.create_sheet(SHEET_LISTS)
    columns = {
        "category": [frame.label("category", k, language) for k in frame.category_keys],
        "application_type": [
            frame.label("application_type", k, language) for k in frame.application_type_keys
        ],
        "technique": [frame.label("technique", k, language) for k in frame.technique_keys],
        "flag": [yes, no],
    }
    refs = {}
    for j, (name, values) in enumerate(columns.items(), start=1):
        lists.cell(row=1, column=j, value=name)
        for i, v in enumerate(values, start=2):
            lists.cell(row=i, column=j, value=v)
        letter = _col_letter(j)
        refs[name] = f"{SHEET_LISTS}!${letter}$2:${letter}${len(values) + 1}"
    lists.sheet_state = "hidden"
    last = max(rows + 1, 2)
    for j, col in enumerate(code_cols, start=len(INFO_COLUMNS) + 1):
        kind = (
            "technique"
            if col.startswith("technique_")
            else ("flag" if col in frame.flag_keys else col)
        )
        dv = DataValidation(
            type="list",
            formula1=refs[kind],
            allow_blank=True,
            showErrorMessage=True,
            errorTitle="invalid / 無效",
            error="Choose from the list / 請從清單選擇",
        )
        letter = _col_letter(j)
        dv.add(f"{letter}2:{letter}{last}")
        ws.add_data_validation(dv)


def _add_about_and_help(
    wb, frame: Frame, language: str, cases: int, suggested: bool, prefill: bool
) -> None:
    about = wb.create_sheet(SHEET_ABOUT)
    for row in (
        ["coder", None],
        ["language", language],
        ["frame", frame.path.name],
        ["cases", cases],
        ["suggestions", "yes" if suggested else "no"],
        ["prefilled", "yes" if prefill else "no"],
    ):
        about.append(row)
    helper = wb.create_sheet(SHEET_HELP)
    helper.append(["zh-TW", "en"])
    for zh, en in INSTRUCTIONS:
        helper.append([zh, en])
    helper.append([None, None])
    helper.append(["欄位", "column"])
    for kind, col in (
        ("category", "category"),
        ("application_type", "application_type"),
        ("flag", None),
    ):
        for d in frame.definitions(kind):
            helper.append(
                [
                    f"{d['name_zh']}：{d['definition_zh']}",
                    f"{col or d['key']} = {d['name_en']}: {d['definition_en']}",
                ]
            )


def export_sheet(
    cases: pd.DataFrame,
    frame: Frame | None = None,
    language: str = config.DEFAULT_LANGUAGE,
    suggestions: pd.DataFrame | None = None,
    prefill: bool = False,
) -> bytes:
    """The XLSX bytes of a coding sheet for ``cases`` (see the module docstring).
    ``suggestions`` are codes (:data:`analysis.coders.CODE_COLUMNS`); with ``prefill``
    they are also written into the coding cells, for the coder to confirm or change."""
    from openpyxl import Workbook

    frame = frame or load_frame()
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET_CASES
    sugg = _suggestion_table(cases, suggestions, frame)
    code_cols = coding_columns(frame)
    ws.append(INFO_COLUMNS + code_cols + ["notes"] + list(sugg.columns))
    for idx, row in cases.iterrows():
        info = [
            None if c not in cases.columns or pd.isna(row[c]) else str(row[c]) for c in INFO_COLUMNS
        ]
        suggested = sugg.loc[idx] if len(sugg.columns) else pd.Series(dtype=object)
        coded = (
            _prefilled(suggested, frame, language, len(code_cols))
            if prefill and len(sugg.columns)
            else [None] * len(code_cols)
        )
        ws.append(
            info + coded + [None] + [None if pd.isna(v) else str(v) for v in suggested.tolist()]
        )
    _add_drop_downs(wb, ws, frame, language, code_cols, len(cases))
    ws.freeze_panes = "C2"
    _add_about_and_help(wb, frame, language, len(cases), bool(len(sugg.columns)), prefill)
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
) -> Path:
    """Write :func:`export_sheet` to ``path`` atomically."""
    return atomic_write_bytes(
        Path(path), export_sheet(cases, frame, language, suggestions, prefill)
    )


# -- reading filled sheets -------------------------------------------------------------------
def _sheet_rows(path: Path, coder: str | None) -> tuple[str, list[tuple]]:
    """The coder's name (about sheet, else ``coder``, else the file name) and the rows of
    the cases sheet, header first."""
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
    name = coder
    if SHEET_ABOUT in wb.sheetnames:
        for row in wb[SHEET_ABOUT].iter_rows(min_row=1, max_row=10, values_only=True):
            if row and row[0] == "coder" and len(row) > 1 and row[1] not in (None, ""):
                name = str(row[1]).strip()
    rows = list(wb[SHEET_CASES].iter_rows(values_only=True))
    wb.close()
    if not rows:
        raise InputError([Problem(file, 1, None, None, "a header row", "標題列")])
    return name or path.stem, rows


class _SheetRow:
    """One filled row of a coding sheet: its cells by column name, and the codes and
    problems read from it."""

    def __init__(
        self, file: str, number: int, values: tuple, columns: dict[str, int], frame: Frame
    ):
        self.file, self.number, self.values, self.columns, self.frame = (
            file,
            number,
            values,
            columns,
            frame,
        )
        self.codes: list[dict] = []
        self.problems: list[Problem] = []

    def cell(self, column: str) -> str | None:
        i = self.columns[column]
        v = self.values[i] if i < len(self.values) else None
        return None if v is None or str(v).strip() == "" else str(v).strip()

    def problem(self, column: str, value: str | None, expected: str, expected_zh: str) -> None:
        self.problems.append(Problem(self.file, self.number, column, value, expected, expected_zh))

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
                self.problem(
                    kind,
                    v,
                    f"an application type of the chosen category ({category})",
                    "屬於所選AI應用類型的應用類型",
                )
            else:
                self.codes.append({**base, "field": kind, "value": key})

    def _techniques(self, base: dict) -> None:
        found = set()
        for i in range(1, TECHNIQUE_SLOTS + 1):
            column = f"technique_{i}"
            v = self.cell(column)
            key = None if v is None else self.frame.lookup("technique", v)
            if v is not None and key is None:
                self.problem(column, v, "a technique from the drop-down list", "下拉清單中的AI技術")
            elif key is not None:
                found.add(key)
        if found:
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
    ``human:<coder>``; the coder's name from the about sheet, else ``coder``, else the
    file name). Blank cells are not coded. Raises :class:`InputError` naming file, row
    and column for every invalid entry."""
    frame = frame or load_frame()
    path = Path(path)
    file = str(path)
    name, rows = _sheet_rows(path, coder)
    header = [str(h) if h is not None else "" for h in rows[0]]
    needed = ["case_id", "inventory", *coding_columns(frame)]
    require_columns(file, header, needed, "a coding sheet", "編碼表")
    columns = {h: i for i, h in enumerate(header)}
    problems, out, seen = [], [], set()
    for number, values in enumerate(rows[1:], start=2):
        row = _SheetRow(file, number, values, columns, frame)
        cid, inv = row.cell("case_id"), row.cell("inventory")
        if cid is None and all(row.cell(c) is None for c in coding_columns(frame)):
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
                    "coded_by": f"human:{name}",
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


def reliability(
    codes: pd.DataFrame, frame: Frame | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Inter-coder reliability per field: ``(summary, pairwise)`` where ``summary`` has
    units, coders, Krippendorff's α (nominal) and the share of units with full
    agreement, and ``pairwise`` Cohen's κ for every pair of coders."""
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


def disagreements(codes: pd.DataFrame, frame: Frame | None = None) -> pd.DataFrame:
    """Every (case, field) where the coders' values differ, one column per coder."""
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


def consensus(
    codes: pd.DataFrame, frame: Frame | None = None, resolve: str | None = None
) -> pd.DataFrame:
    """One code per (case, field): the value all coders who coded it agree on
    (``coded_by`` = ``human:<a>+<b>``); on disagreement the value of coder ``resolve``
    (``human:<resolve>``) or no code."""
    frame = frame or load_frame()
    rows = []
    for f in fields(frame):
        table = ratings(codes, f)
        for (inv, cid), r in table.iterrows():
            given = r.dropna()
            if given.empty:
                continue
            if given.nunique() == 1:
                names = "+".join(c.split(":", 1)[1] for c in given.index)
                rows.append(
                    {
                        "case_id": cid,
                        "inventory": inv,
                        "field": f,
                        "value": given.iloc[0],
                        "coded_by": f"human:{names}",
                        "confidence": float(len(given)) / table.shape[1],
                        "evidence": "",
                    }
                )
            elif resolve is not None and f"human:{resolve}" in given.index:
                rows.append(
                    {
                        "case_id": cid,
                        "inventory": inv,
                        "field": f,
                        "value": given[f"human:{resolve}"],
                        "coded_by": f"human:{resolve}",
                        "confidence": np.nan,
                        "evidence": "resolved",
                    }
                )
    return codes_frame(rows)


def merge(
    cases: pd.DataFrame, codes: pd.DataFrame, frame: Frame | None = None, resolve: str | None = None
) -> pd.DataFrame:
    """The canonical table with the people's consensus codes: they replace values that
    are missing or were coded by a coder (rules, model, llm); values from the study, a
    source, a crosswalk or a person are kept."""
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
            if hit is None or not replaceable[idx]:
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
