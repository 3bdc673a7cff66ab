"""Applying a mapping: every raw file of a :class:`~analysis.mapping.spec.Mapping` read and
turned into canonical cases, with a :class:`~analysis.mapping.report.StandardizationReport`
of every recoding, every unmapped value and every rejected row."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .. import canonical
from ..errors import InputError, Problem, input_error
from ..frame import NO, NOT_REPORTED, YES, Frame, load_frame
from ..readers import RawTable, column_letter, read_table
from ..textnorm import fold, normalise, split_outside_brackets, split_qualifier, visible
from .files import ALLOW_OUTSIDE_ENV, confine_paths, sha256_of  # noqa: F401 - re-exported
from .report import LoadLog, LoadResult, StandardizationReport, outcomes, summed
from .spec import (
    CLOSED_FIELDS,
    REGEX_TIMEOUT,
    ROW_NUMBER,
    TEXT_FIELDS,
    FieldSpec,
    FileSpec,
    Mapping,
    load_mapping,
)

#: The column named in the report for a field that has a constant instead of a column.
CONSTANT = "<constant>"
#: What a rule returns for a native value it does not recognise.
UNKNOWN = "<unknown>"
#: Words that mark a summary row (合計 / Total) rather than a case, after :func:`fold`.
SUMMARY_ROW = re.compile(
    r"^(合計|總計|小計|總和|共計|grand total|sub-?totals?|totals?|sum)\s*([:：(（].*|\d[\d,.]*)?$"
)
#: Identifiers a spreadsheet has rewritten: (pattern on the id as read, what happened, 中文).
REWRITTEN_IDS = (
    (
        re.compile(r"^[+-]?\d+\.0+$"),
        "an identifier as written in the source: this whole number was stored as a decimal by a "
        "spreadsheet (write the column as text, or add remove: '\\.0+$' to case_id in the mapping)",
        "來源所寫的編號：此整數被試算表存成小數（請以文字格式匯出，"
        "或在對應檔 case_id 加上 remove: '\\.0+$'）",
    ),
    (
        re.compile(r"^[+-]?\d+(\.\d+)?[eE][+-]?\d+$"),
        "an identifier as written in the source: Excel rewrote this number in scientific notation, "
        "which loses digits (format the column as Text before saving)",
        "來源所寫的編號：Excel 將此數字改寫成科學記號，會遺失位數（請先將欄位設為文字格式再存檔）",
    ),
    (
        re.compile(
            r"^(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2})?|\d{4}/\d{1,2}/\d{1,2}"
            r"|\d{1,2}月\d{1,2}日"
            r"|\d{1,2}-(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)(-\d{2,4})?"
            r"|(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)-\d{2,4})$",
            re.IGNORECASE,
        ),
        "an identifier as written in the source, not a date: a spreadsheet turned this id into a "
        "date (format the column as Text before typing or importing)",
        "來源所寫的編號，而非日期：試算表把此編號轉成了日期（請先將欄位設為文字格式再輸入或匯入）",
    ),
    (
        re.compile(r"^\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?( ?[ap]m)?$", re.IGNORECASE),
        "an identifier as written in the source, not a time: a spreadsheet turned this id into a "
        "time of day (format the column as Text before typing or importing)",
        "來源所寫的編號，而非時間：試算表把此編號轉成了時間（請先將欄位設為文字格式再輸入或匯入）",
    ),
    (
        re.compile(r"^#(REF!|N/A|VALUE!|DIV/0!|NAME\?|NUM!|NULL!|SPILL!|CALC!|GETTING_DATA)$"),
        "an identifier, not a spreadsheet error value: the cell holds a broken formula "
        "(replace it with the id)",
        "案例編號，而非試算表錯誤值：此儲存格是出錯的公式（請改填編號）",
    ),
)
#: Tick values named when a flag's answer is not recognised and the mapping lists none.
TICKS_SHOWN = ["V", "✓", "Y", "Yes", "1", "TRUE", "N", "No", "0", "blank"]


# -- native values --------------------------------------------------------------------------
class _SlowPattern(Exception):
    """A mapping's regular expression ran past :data:`REGEX_TIMEOUT` on ``text``."""

    def __init__(self, pattern, text: str):
        super().__init__(pattern.pattern, text)
        self.pattern, self.text = pattern, text


def _search(pattern, text: str):
    try:
        return pattern.search(text, timeout=REGEX_TIMEOUT)
    except TimeoutError:
        raise _SlowPattern(pattern, text) from None


def _sub(pattern, text: str) -> str:
    try:
        return pattern.sub("", text, timeout=REGEX_TIMEOUT)
    except TimeoutError:
        raise _SlowPattern(pattern, text) from None


def _slow_pattern(
    exc: _SlowPattern, file: object, row: int, column: str, field_key: str
) -> InputError:
    """The error for a regular expression that ran too long on the value of one row."""
    shown = exc.text if len(exc.text) <= 80 else exc.text[:80] + "…"
    return input_error(
        file,
        row,
        column,
        shown,
        f"{field_key}: a regular expression that finishes within {REGEX_TIMEOUT:g} s on each "
        f"value; {exc.pattern.pattern!r} ran longer on this value (rewrite it without nested "
        "repetition such as (a+)+)",
        f"{field_key}：每個值須在 {REGEX_TIMEOUT:g} 秒內比對完成的正規表示式；"
        f"{exc.pattern.pattern!r} 在此值上逾時（請改寫，避免 (a+)+ 這類巢狀重複）",
        summary=f"{file}: regular expression of {field_key} too slow on row {row}",
    )


def _cleaned(values: pd.Series, spec: FieldSpec, table: RawTable, log: LoadLog | None) -> pd.Series:
    """``extract`` then ``remove``, once per distinct value; an extract that matches none of
    the non-blank values is said in the notes, with counts."""
    column = _source_name(spec)
    for step, key in ((spec.extract, "extract"), (spec.remove, "remove")):
        if step is None:
            continue
        if key == "extract":
            fn = lambda v: m.group(1).strip() if (m := _search(spec.extract, v)) else ""  # noqa: E731
        else:
            fn = lambda v: _sub(spec.remove, v).strip()  # noqa: E731
        try:
            cleaned = _map_unique(values, fn)
        except _SlowPattern as exc:
            pos = int(np.flatnonzero((values == exc.text).to_numpy(dtype=bool))[0])
            raise _slow_pattern(
                exc, table.path, table.rows[pos], column, f"{spec.name}.{key}"
            ) from None
        filled = int((values != "").sum())
        if key == "extract" and log is not None and filled and not (cleaned != "").any():
            note = (
                f"{Path(table.path).name}: {spec.name}.extract {spec.extract.pattern!r} matched "
                f"none of the {filled} non-blank values of {column}; all {filled} read as blank"
            )
            if note not in log.notes:
                log.notes.append(note)
        values = cleaned
    return values


def _native(
    table: RawTable,
    spec: FieldSpec,
    mapping: Mapping,
    strip: bool = True,
    log: LoadLog | None = None,
) -> pd.Series:
    """The native text of a field, one value per record: its column(s) joined, filled down,
    extracted and cleaned as the mapping says, or its constant."""
    if spec.constant is not None:
        return pd.Series([str(spec.constant)] * len(table.cells), dtype=object)
    missing = [c for c in spec.columns if c not in table.columns]
    if missing:
        raise _missing_column(table, missing[0], spec, mapping)
    parts = [
        table.cells[c].astype(str).map(str.strip) if strip else table.cells[c].astype(str)
        for c in spec.columns
    ]
    values = parts[0]
    for p in parts[1:]:
        values = pd.Series(
            [spec.join.join(x for x in (a, b) if x) for a, b in zip(values, p)], dtype=object
        )
    values = values.reset_index(drop=True)
    if spec.fill_down:
        values = values.replace("", np.nan).ffill().fillna("")
    return _cleaned(values, spec, table, log)


def _missing_column(table: RawTable, name: str, spec: FieldSpec, mapping: Mapping) -> InputError:
    if table.unit == "record":
        return _missing_field(table, name, spec, mapping)
    hint, zh_hint = _missing_column_hint(table, name)
    return input_error(
        table.path,
        table.header_row,
        name,
        None,
        f"a column named {name!r} in the header row {table.header_row} "
        f"(mapping {mapping.path.name}, field {spec.name}); the file has {table.columns}{hint}",
        f"第 {table.header_row} 列標題中名為「{name}」的欄位（對應檔 {mapping.path.name}，"
        f"欄位 {spec.name}）{zh_hint}",
        summary=f"{table.path}: mapped column {name!r} is missing",
    )


def _missing_field(table: RawTable, name: str, spec: FieldSpec, mapping: Mapping) -> InputError:
    """A field no record of a JSON file holds as a value: it holds objects (name one of
    their fields), or it is spelled otherwise."""
    inner = [c for c in table.columns if c.startswith(f"{name}.")]
    if table.objects.get(name):  # empty: only records read as blank held it
        first = table.objects[name][0]
        en = (
            f"a text, number or list of them (mapping {mapping.path.name}, field {spec.name}); "
            f"{name!r} holds an object or a list of objects: name one of its fields "
            f"({', '.join(inner[:10])})"
        )
        zh = (
            f"文字、數字或其清單（對應檔 {mapping.path.name}，欄位 {spec.name}）；"
            f"「{name}」是物件或物件清單：請指定其中一個欄位（{'、'.join(inner[:10])}）"
        )
        summary = f"{table.path}: mapped field {name!r} holds objects"
        problem = Problem(str(table.path), first, name, "<object>", en, zh, "record")
        return InputError([problem], summary)
    close = difflib.get_close_matches(name, table.columns, n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    zh_hint = f"；是否為「{close[0]}」？" if close else ""
    en = (
        f"a field named {name!r} in the records (mapping {mapping.path.name}, field "
        f"{spec.name}); the records have {table.columns[:40]}{hint}"
    )
    zh = f"記錄中名為「{name}」的欄位（對應檔 {mapping.path.name}，欄位 {spec.name}）{zh_hint}"
    problem = Problem(str(table.path), None, name, None, en, zh, "record")
    return InputError([problem], f"{table.path}: mapped field {name!r} is missing")


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
    for sep, word, key in (
        ("\t", "tab", 'format: tsv or delimiter: "\\t"'),
        (";", "semicolon", 'delimiter: ";"'),
    ):
        if any(sep in c for c in table.columns):
            en.append(f"the header holds {word} characters: the file is {word}-separated ({key})")
            zh.append(f"標題含有 {word} 字元：檔案以 {word} 分隔（{key}）")
    unnamed = [column_letter(i) for i, c in enumerate(table.columns) if c == ""]
    if unnamed:
        en.append(f"column(s) {', '.join(unnamed)} have no name in the header")
        zh.append(f"第 {'、'.join(unnamed)} 欄在標題列沒有名稱")
    close = difflib.get_close_matches(name, [c for c in table.columns if c], n=1, cutoff=0.6)
    if close:
        en.append(f"did you mean {close[0]!r}?")
        zh.append(f"是否為「{close[0]}」？")
    return ("; " + "; ".join(en) if en else ""), ("；" + "；".join(zh) if zh else "")


def _map_unique(values: pd.Series, fn) -> pd.Series:
    """Apply ``fn`` once per distinct value (fast on large inventories)."""
    uniques = pd.unique(values)
    lookup = {u: fn(u) for u in uniques}
    return values.map(lookup)


def _source_name(spec: FieldSpec) -> str:
    return "+".join(spec.columns) or CONSTANT


# -- case ids -------------------------------------------------------------------------------
def _check_ids(ids: pd.Series, column: str, log: LoadLog) -> None:
    """Identifiers a spreadsheet rewrote (decimals, scientific notation, dates) are problems."""
    for pattern, expected, zh in REWRITTEN_IDS:
        hit = ids.map(lambda v, p=pattern: bool(p.match(v)))
        for pos in np.flatnonzero(hit.to_numpy(dtype=bool)):
            log.problem([pos], column, ids[pos], expected, zh)


#: What a number format did to an id read from XLSX (see RawTable.formatted), 中文.
FORMATTED_IDS = {
    "zeros": (
        "an identifier stored as text: this cell holds the number {stored}, which only its "
        "number format shows as {shown} (format the column as Text and type the ids)",
        "以文字儲存的編號：此儲存格存的是數字 {stored}，僅靠數字格式顯示為 {shown}"
        "（請將欄位設為文字格式後輸入編號）",
    ),
    "digits": (
        "an identifier stored as text: this cell holds a number of more than 15 digits, "
        "whose last digits a spreadsheet does not keep (format the column as Text and type "
        "the ids)",
        "以文字儲存的編號：此儲存格存的是超過 15 位的數字，試算表無法保留其末幾位"
        "（請將欄位設為文字格式後輸入編號）",
    ),
}


def _check_formatted_ids(table: RawTable, columns: list[str], log: LoadLog) -> None:
    """Id cells of a workbook whose meaning rests on a number format (leading zeros) or
    that hold more digits than a spreadsheet number keeps are problems naming the cell."""
    if not table.formatted:
        return
    position = {row: pos for pos, row in enumerate(table.rows)}
    for (row, column), (kind, stored, shown) in sorted(table.formatted.items()):
        if column in columns and row in position:
            expected, zh = FORMATTED_IDS[kind]
            log.problem(
                [position[row]],
                column,
                shown,
                expected.format(stored=stored, shown=shown),
                zh.format(stored=stored, shown=shown),
            )


def _check_summary_rows(table: RawTable, ids: pd.Series | None, column: str, log: LoadLog) -> None:
    """A trailing 合計 / Total row (in the id column or the first column) is no case."""
    first = table.columns[0] if table.columns else None
    for pos in range(len(table.cells)):
        cells = [(column, ids[pos])] if ids is not None else []
        if first is not None and first != column:
            cells.append((first, str(table.cells.iloc[pos, 0]).strip()))
        for name, value in cells:
            if SUMMARY_ROW.match(fold(value)):
                log.problem(
                    [pos],
                    name,
                    value,
                    "a case, not a summary row (合計 / Total): delete the row, or set "
                    "on_problem: reject to leave it out",
                    "案例資料，而非合計列（合計／Total）：請刪除此列，"
                    "或設定 on_problem: reject 排除此列",
                )
                break


def _case_ids(table: RawTable, mapping: Mapping, log: LoadLog) -> pd.Series:
    id_column = "+".join(mapping.case_id.columns)
    if mapping.case_id.constant == ROW_NUMBER:
        _check_summary_rows(table, None, id_column, log)
        return pd.Series([str(r) for r in table.rows], dtype=object)
    native = _native(table, mapping.case_id, mapping, log=log)
    ids = _visible_ids(native, table, log)
    blank = ids == ""
    for pos in np.flatnonzero(blank.to_numpy(dtype=bool)):  # blank, or nothing but invisible
        log.problem([pos], id_column, native[pos], "a case id", "案例編號")
    blank |= _blank_id_parts(table, mapping.case_id, ~blank, log)
    if mapping.case_id.constant is None:
        _check_ids(ids, id_column, log)
        _check_formatted_ids(table, mapping.case_id.columns, log)
    _check_summary_rows(table, ids, id_column, log)
    return ids.map(lambda v: v or None).where(~blank, None)


def _visible_ids(native: pd.Series, table: RawTable, log: LoadLog) -> pd.Series:
    """Ids without the characters that print as nothing (:func:`~analysis.textnorm.visible`),
    so that ids that look the same are the same; a note says how many changed."""
    ids = _map_unique(native, visible)
    changed = ids != _map_unique(native, normalise)
    if changed.any():
        first = int(np.flatnonzero(changed.to_numpy(dtype=bool))[0])
        log.notes.append(
            f"{Path(table.path).name}: {int(changed.sum())} case ids had characters that print as "
            f"nothing (control, zero-width, byte-order mark) removed before comparing, e.g. "
            f"{table.unit} {table.rows[first]}: {native[first]!r} read as {ids[first]!r}"
        )
    return ids


def _check_header_rows(table: RawTable, log: LoadLog) -> None:
    """A row that repeats the column names (a second header, e.g. where sheets were pasted
    together) is no case: a problem on its row."""
    named = [c for c in table.columns if c.strip()]
    if len(named) < 2 or table.cells.empty:
        return
    cells = table.cells[named].astype(str).to_numpy()
    stripped = np.vectorize(str.strip, otypes=[object])(cells)
    same = stripped == np.array([c.strip() for c in named], dtype=object)
    repeated = (same | (stripped == "")).all(axis=1) & (same.sum(axis=1) >= 2)
    for pos in np.flatnonzero(repeated):
        log.problem(
            [pos],
            named[0],
            str(table.cells.iloc[pos][named[0]]),
            "a case, not a repeat of the header row (the column names again): delete the row, "
            "or set on_problem: reject to leave it out",
            "案例資料，而非重複的標題列（再次出現欄位名稱）：請刪除此列，"
            "或設定 on_problem: reject 排除此列",
        )


def _blank_id_parts(table: RawTable, spec: FieldSpec, filled: pd.Series, log: LoadLog) -> pd.Series:
    """Where a case id joins several columns, a blank part is a blank id (naming the blank
    column), not a shorter id that may repeat another; returns where a part is blank."""
    any_blank = pd.Series(False, index=filled.index)
    if spec.constant is not None or len(spec.columns) < 2:
        return any_blank
    joined = " + ".join(spec.columns)
    for column in spec.columns:
        part_blank = table.cells[column].astype(str).str.strip().eq("").reset_index(drop=True)
        hit = part_blank & filled & ~any_blank
        if hit.any():
            log.problem(
                list(np.flatnonzero(hit.to_numpy(dtype=bool))),
                column,
                "",
                f"a case id: every part of the joined id ({joined}) filled, and {column} is blank",
                f"案例編號：合併編號（{joined}）的每一部分都須填寫，此列 {column} 為空白",
            )
        any_blank |= part_blank & filled
    return any_blank


# -- text, closed fields, techniques ----------------------------------------------------------
def _text(values: pd.Series, spec: FieldSpec, log: LoadLog | None = None) -> pd.Series:
    """Text as recorded (trimmed); with ``values``, each native value is recoded and a value
    not listed is an error, or kept as recorded (``unmapped: keep``, for free text)."""
    if spec.values:
        column = _source_name(spec)

        def resolve(v: str) -> str:
            if v == "":
                return ""
            folded = fold(v)
            if folded in spec.values:
                target = spec.values[folded]
                return "" if target is None else str(target)
            return UNKNOWN

        mapped = _map_unique(values, resolve)
        unknown = mapped == UNKNOWN
        if (
            unknown.any() and log is not None and spec.unmapped != "keep"
        ):  # keep: free text, as recorded
            for v, idx in values[unknown].groupby(values[unknown], sort=True).groups.items():
                log.problem(
                    list(idx),
                    column,
                    v,
                    f"one of the values listed for {spec.name} in the mapping "
                    f"({', '.join(sorted(spec.values))})",
                    f"對應檔中 {spec.name} 列出的值",
                )
        mapped = mapped.where(~unknown, values)
        if log is not None:
            log.recode(spec.name, column, values, mapped)
        values = mapped
    return values.map(lambda v: v if v != "" else None)


def _note_normalised(name: str, column: str, values: pd.Series, log: LoadLog) -> None:
    """A note when matching a closed value changed it beyond spacing (collapsed spaces and
    line-wrap spaces inside CJK text are not noted): full-width forms made half-width (NFKC)
    or characters that print as nothing removed (:func:`visible`)."""
    changed = sorted(
        v
        for v in pd.unique(values)
        if isinstance(v, str) and "".join(v.split()) != "".join(visible(v).split())
    )
    if not changed:
        return
    rows = int(values.isin(changed).sum())
    log.notes.append(
        f"{Path(log.file).name}: {name} ({column}): {len(changed)} distinct value(s) on {rows} "
        f"row(s) normalised before matching (full-width forms to half-width, characters that "
        f"print as nothing removed), e.g. {changed[0]!r} read as {visible(changed[0])!r}"
    )


def _closed(name: str, values: pd.Series, spec: FieldSpec, frame: Frame, log: LoadLog) -> pd.Series:
    """Frame keys of a closed field: the mapping's recodes first, then the frame's labels."""
    column = _source_name(spec)
    _note_normalised(name, column, values, log)

    def resolve(v: str):
        if v == "":
            return None
        folded = fold(v)
        if folded in spec.values:
            target = spec.values[folded]
            return None if target is None else frame.lookup(name, target)
        key = frame.lookup(name, v)
        return UNKNOWN if key is None else key

    keys = _map_unique(values, resolve)
    unknown = keys == UNKNOWN
    if unknown.any():
        for v, idx in values[unknown].groupby(values[unknown], sort=True).groups.items():
            if spec.unmapped == "not_coded":
                log.unmapped.append(
                    {
                        "field": name,
                        "column": column,
                        "value": v,
                        "rows": len(idx),
                        "action": "left not coded",
                    }
                )
            else:
                log.problem(
                    list(idx),
                    column,
                    v,
                    f"a {name} of the coding frame ({', '.join(frame.keys(name))})",
                    f"編碼架構中的{'類別' if name == 'category' else '應用類型'}",
                )
        keys = keys.where(~unknown, None)
    log.recode(name, column, values, keys.map(lambda k: "" if k is None else k))
    for v in sorted(set(values[(values != "")])):
        if frame.is_outside_frame(name, v):
            log.unmapped.append(
                {
                    "field": name,
                    "column": column,
                    "value": v,
                    "rows": int((values == v).sum()),
                    "action": f"label outside the frame, mapped to {frame.lookup(name, v)} "
                    "(see frame.yaml)",
                }
            )
    return keys


def _technique_keys(
    value: str, spec: FieldSpec, frame: Frame
) -> tuple[str | None, tuple[str, ...], tuple[tuple[str, str], ...]]:
    """Techniques of one cell (frame keys joined in frame order), the parts naming none, and
    the parts read as a ``values`` key once their bracketed qualifier is set aside."""
    if value == "":
        return None, (), ()

    def targets_of(folded: str) -> set[str]:
        target = spec.values[folded]
        targets = target if isinstance(target, list) else [target]
        return {frame.lookup("technique", t) for t in targets if t is not None}

    keys, unknown, qualified = set(), [], []
    if fold(value) in spec.values:  # a recode of the whole cell
        keys = targets_of(fold(value))
    else:  # each part (a line is a part): the mapping's recodes first, then the frame's
        text = normalise(value, keep_lines=True)
        for part in split_outside_brackets(text, list(frame.technique_separators)):
            part = normalise(part)
            if fold(part) in spec.values:
                keys |= targets_of(fold(part))
                continue
            base, qualifier = split_qualifier(part)
            if qualifier and fold(base) in spec.values:
                keys |= targets_of(fold(base))
                qualified.append((part, base))
                continue
            parsed = frame.parse_techniques(part)
            keys.update(parsed.keys)
            unknown.extend(parsed.unknown)
    ordered = [k for k in frame.technique_keys if k in keys]
    return (canonical.TECHNIQUE_SEP.join(ordered) or None), tuple(unknown), tuple(qualified)


def _techniques(values: pd.Series, spec: FieldSpec, frame: Frame, log: LoadLog) -> pd.Series:
    column = _source_name(spec)
    _note_normalised("techniques", column, values, log)
    results = _map_unique(values, lambda v: _technique_keys(v, spec, frame))
    keys = results.map(lambda r: r[0])
    unknown_parts: dict[str, list[int]] = {}
    qualified: dict[tuple[str, str], int] = {}
    for pos, (_, unknown, read) in enumerate(results):
        for part in unknown:
            unknown_parts.setdefault(part, []).append(pos)
        for pair in read:
            qualified[pair] = qualified.get(pair, 0) + 1
    for (part, base), n in sorted(qualified.items()):
        log.notes.append(
            f"techniques ({column}): {part!r} read as the values key {base!r}, its bracketed "
            f"qualifier being detail (kept in techniques_as_recorded; {n} row(s))"
        )
    for part in sorted(unknown_parts):
        positions = unknown_parts[part]
        if spec.unmapped == "report":
            log.unmapped.append(
                {
                    "field": "techniques",
                    "column": column,
                    "value": part,
                    "rows": len(positions),
                    "action": "not a technique of the frame: left out of techniques",
                }
            )
        else:
            log.problem(
                positions,
                column,
                part,
                "techniques of the coding frame (or their synonyms)",
                "編碼架構中的技術（或其同義詞）",
            )
    log.recode("techniques", column, values, keys.map(lambda k: "" if k is None else k))
    return keys


# -- flags ------------------------------------------------------------------------------------
def _answer(value: str, rule: FieldSpec, frame: Frame) -> str:
    """yes, no or not_reported for one native answer, or :data:`UNKNOWN`."""
    folded = fold(value)
    if folded == "":
        return rule.blank
    if not (rule.values or rule.patterns):
        state = frame.parse_tick(value)
        return UNKNOWN if state is None else state
    target = rule.values.get(folded)
    if target is None:
        target = next((t for rx, t in rule.patterns if _search(rx, folded)), None)
    if target is None:
        return UNKNOWN
    t = str(target).lower()
    return {"true": YES, "false": NO}.get(t, t)


def _flag_column(
    name: str, column: str, values: pd.Series, rule: FieldSpec, frame: Frame, log: LoadLog
) -> pd.Series:
    """The answers of one native column of a flag; an answer no rule reads is a problem, or
    not reported (``unmapped: not_reported``)."""
    _note_normalised(name, column, values, log)
    try:
        states = _map_unique(values, lambda v: _answer(v, rule, frame))
    except _SlowPattern as exc:
        pos = int(np.flatnonzero(values.map(fold).eq(exc.text).to_numpy(dtype=bool))[0])
        raise _slow_pattern(
            exc, log.file, int(log.rows[pos]), column, f"flags.{name}.patterns"
        ) from None
    unknown = states == UNKNOWN
    if unknown.any():
        for v, idx in values[unknown].groupby(values[unknown], sort=True).groups.items():
            if rule.unmapped == "not_reported":
                log.unmapped.append(
                    {
                        "field": name,
                        "column": column,
                        "value": v,
                        "rows": len(idx),
                        "action": "read as not reported",
                    }
                )
            else:
                known = sorted(rule.values) if rule.values else TICKS_SHOWN
                log.problem(
                    list(idx),
                    column,
                    v,
                    f"a value listed for flag {name} ({', '.join(map(str, known))}); "
                    "other marks such as X or ○ are not guessed: list them under the flag's values",
                    "勾選值（如 V、✓、Y、是、空白）或對應檔列出的值；X、○ 等其他記號不會被猜測，"
                    "請在該風險的 values 中列出",
                )
        states = states.where(~unknown, NOT_REPORTED)
    log.recode(name, column, values, states)
    return states


def _combined(answers: list[pd.Series], combine: str) -> pd.Series:
    """One flag from the answers of several columns (``combine``; see the mapping format)."""
    if combine == "first" or len(answers) == 1:
        return answers[0]
    stacked = pd.concat(answers, axis=1)
    yes, no = stacked == YES, stacked == NO
    if combine == "any":
        states = np.where(yes.any(axis=1), YES, np.where(no.all(axis=1), NO, NOT_REPORTED))
    elif combine == "any_reported":
        states = np.where(yes.any(axis=1), YES, np.where(no.any(axis=1), NO, NOT_REPORTED))
    else:  # all
        states = np.where(no.any(axis=1), NO, np.where(yes.all(axis=1), YES, NOT_REPORTED))
    return pd.Series(states)


def _flag(
    name: str, table: RawTable, spec: FieldSpec, frame: Frame, log: LoadLog, mapping: Mapping
) -> pd.Series:
    """A flag from its native column(s), each read by its own rule (``per_column``) or the
    flag's, then combined."""
    answers = []
    for c in spec.columns or [CONSTANT]:
        one = FieldSpec(
            name=spec.name, columns=[c] if c != CONSTANT else [], constant=spec.constant
        )
        values = _native(table, one, mapping, strip=False)  # as recorded, e.g. 'Rights-Impacting\n'
        answers.append(_flag_column(name, c, values, spec.per_column.get(c, spec), frame, log))
    combined = _combined(answers, spec.combine)
    return combined.map({YES: True, NO: False, NOT_REPORTED: pd.NA}).astype("boolean")


# -- one raw table ----------------------------------------------------------------------------
def _closed_fields(
    out: dict, table: RawTable, mapping: Mapping, frame: Frame, log: LoadLog
) -> None:
    for name in CLOSED_FIELDS:
        if name in mapping.fields:
            spec = mapping.fields[name]
            native = _native(table, spec, mapping, log=log)
            out[f"{name}_as_recorded"] = native.map(lambda v: v or None)
            out[name] = _closed(name, native, spec, frame, log)
            by = spec.coded_by
            out[f"{name}_coded_by"] = out[name].map(lambda k, by=by: None if pd.isna(k) else by)
    if "techniques" in mapping.fields:
        spec = mapping.fields["techniques"]
        native = _native(table, spec, mapping, log=log)
        out["techniques_as_recorded"] = native.map(lambda v: v or None)
        out["techniques"] = _techniques(native, spec, frame, log)
        out["techniques_coded_by"] = out["techniques"].map(
            lambda k: None if pd.isna(k) else spec.coded_by
        )


def _derive_category(out: dict, mapping: Mapping, frame: Frame, log: LoadLog, n: int) -> None:
    """The category of the application type where only the type is coded; a pair that
    contradicts is a problem."""
    if "application_type" not in out:
        return
    derived = out["application_type"].map(lambda t: None if pd.isna(t) else frame.category_of(t))
    cat = out.get("category", pd.Series([None] * n, dtype=object))
    fill = cat.isna() & derived.notna()
    if fill.any():
        out["category"] = cat.where(~fill, derived)
        by = out.get("category_coded_by", pd.Series([None] * n, dtype=object))
        out["category_coded_by"] = by.where(~fill, out["application_type_coded_by"])
    both = cat.notna() & derived.notna() & (cat != derived)
    for pos in np.flatnonzero(both.to_numpy()):
        log.problem(
            [pos],
            "+".join(mapping.fields["application_type"].columns),
            out["application_type"][pos],
            f"an application type of category {cat[pos]}",
            f"屬於類別 {cat[pos]} 的應用類型",
        )


#: Prefix of the working columns that say, per row, whether a flag's questions were asked
#: of the case (``asked_of`` with ``where``); dropped before the canonical table is made.
ASKED_PREFIX = "_asked:"


def _asked(name: str, table: RawTable, spec: FieldSpec, mapping: Mapping) -> pd.Series | None:
    """Whether any of the flag's questions was asked of each row (the union of its
    ``asked_of`` entries, each the conjunction of its conditions); None when an entry has
    no conditions, so the rows asked cannot be told."""
    if not spec.asked_of or any(not a["where"] for a in spec.asked_of):
        return None
    asked = pd.Series(False, index=range(len(table.cells)))
    for entry in spec.asked_of:
        holds = pd.Series(True, index=range(len(table.cells)))
        for column, values in entry["where"]:
            one = FieldSpec(name=f"flags.{name}.asked_of", columns=[column])
            holds &= _native(table, one, mapping).map(fold).isin(values).to_numpy()
        asked |= holds
    return asked


def _flags(out: dict, table: RawTable, mapping: Mapping, frame: Frame, log: LoadLog) -> None:
    flag_values = {
        key: _flag(key, table, spec, frame, log, mapping) for key, spec in mapping.flags.items()
    }
    out.update(flag_values)
    for key, spec in mapping.flags.items():
        asked = _asked(key, table, spec, mapping)
        if asked is not None:
            out[ASKED_PREFIX + key] = asked
    if flag_values:
        sources = {spec.coded_by for spec in mapping.flags.values()}
        any_value = pd.concat(list(flag_values.values()), axis=1).notna().any(axis=1)
        label = sources.pop() if len(sources) == 1 else "+".join(sorted(sources))
        out["flags_coded_by"] = any_value.map(lambda v: label if v else None)


def _rows_text(rows: list[int], unit: str = "row", shown: int = 5) -> str:
    """``rows 3, 17, 42 (and 53 more)``: a compact list of row (or record) numbers."""
    head = ", ".join(str(r) for r in rows[:shown])
    more = f" (and {len(rows) - shown} more)" if len(rows) > shown else ""
    return f"{unit}{'s' if len(rows) > 1 else ''} {head}{more}"


def _rows_text_zh(rows: list[int], unit: str = "row", shown: int = 5) -> str:
    """``第 3、17、42 列（另 53 列）``: :func:`_rows_text` in Traditional Chinese."""
    word = {"record": "筆", "line": "行"}.get(unit, "列")
    more = f"（另 {len(rows) - shown} {word}）" if len(rows) > shown else ""
    return f"第 {'、'.join(str(r) for r in rows[:shown])} {word}{more}"


def _referenced(mapping: Mapping) -> list[str]:
    """Every native column (or JSON field) the mapping reads, in the mapping's order."""
    specs = [mapping.case_id, *mapping.fields.values(), *mapping.flags.values()]
    names = [c for spec in specs + list(mapping.extras.values()) for c in spec.columns]
    return list(dict.fromkeys(names + mapping.duplicate_key))


def _json_fields(table: RawTable, mapping: Mapping, log: LoadLog) -> None:
    """Fields of a JSON file the mapping reads: one holding an object (or a list of objects)
    in some records is a problem there; one absent from some records is blank there, and
    said in the notes."""
    position = {r: pos for pos, r in enumerate(table.rows)}
    specs = [*mapping.fields.values(), *mapping.extras.values()]
    required = {c for spec in specs if spec.required for c in spec.columns}
    for name in _referenced(mapping):
        if name not in table.columns:
            continue  # the field's own error names it when it is read
        inner = [c for c in table.columns if c.startswith(f"{name}.")]
        records = [r for r in table.objects.get(name, []) if r in position]
        if records:
            log.problem(
                [position[r] for r in records],
                name,
                "<object>",
                "a text, number or list of them, as in other records; here the field holds an "
                f"object or a list of objects (name one of its fields: {', '.join(inner[:10])})",
                "與其他記錄相同的文字、數字或其清單；此處為物件或物件清單"
                f"（請指定其中一個欄位：{'、'.join(inner[:10])}）",
            )
        absent = table.absent.get(name, [])
        if absent and name not in required:  # a required field's absence is a problem
            log.notes.append(
                f"{table.path.name}: field {name!r} is absent from {len(absent)} of "
                f"{len(table.rows)} records ({_rows_text(absent, 'record')}): read as blank"
            )


def _required(table: RawTable, mapping: Mapping, log: LoadLog) -> None:
    """A blank value of a field the mapping marks ``required`` is a problem on its row; a
    JSON record without the field says so (value ``<absent>``)."""
    for name, spec in [*mapping.fields.items(), *mapping.extras.items()]:
        if not spec.required:
            continue
        blank = _native(table, spec, mapping) == ""
        absent = {r for c in spec.columns for r in table.absent.get(c, [])}
        column = _source_name(spec)
        for pos in np.flatnonzero(blank.to_numpy(dtype=bool)):
            gone = int(table.rows[pos]) in absent
            log.problem(
                [pos],
                column,
                "<absent>" if gone else "",
                f"a value: the mapping marks {name} required"
                + (" (the record has no such field)" if gone else ""),
                f"必填欄位 {name} 的值" + ("（此記錄沒有這個欄位）" if gone else ""),
            )


def _map_table(table: RawTable, mapping: Mapping, frame: Frame) -> tuple[pd.DataFrame, LoadLog]:
    n = len(table.cells)
    log = LoadLog(str(table.path), np.asarray(table.rows, dtype=int), table.unit)
    if table.unit == "record":
        _json_fields(table, mapping, log)
    _required(table, mapping, log)
    _check_header_rows(table, log)
    out: dict[str, pd.Series] = {
        "case_id": _case_ids(table, mapping, log),
        "inventory": pd.Series([mapping.inventory] * n, dtype=object),
    }
    for name in TEXT_FIELDS:
        if name in mapping.fields:
            out[name] = _text(
                _native(table, mapping.fields[name], mapping, log=log), mapping.fields[name], log
            )
    _closed_fields(out, table, mapping, frame, log)
    _derive_category(out, mapping, frame, log, n)
    _flags(out, table, mapping, frame, log)
    for name, spec in mapping.extras.items():
        out[name] = _text(_native(table, spec, mapping, log=log), spec, log)
    df = pd.DataFrame(out)
    df["_row"] = table.rows
    df["_file"] = str(table.path)
    return df, log


def _repeated_keys(table: RawTable, mapping: Mapping) -> pd.DataFrame:
    """Native key combinations (``case_id.report_duplicates``) that occur on several rows."""
    spec = FieldSpec(name="case_id.report_duplicates", columns=mapping.duplicate_key, join=" | ")
    keys = _native(table, spec, mapping)
    rows = pd.Series(table.rows)
    repeated = keys.duplicated(keep=False) & (keys != "")
    records = [
        {
            "file": table.path.name,
            "key": k,
            "rows": ", ".join(str(r) for r in rows[idx]),
            "count": len(idx),
        }
        for k, idx in keys[repeated].groupby(keys[repeated], sort=True).groups.items()
    ]
    return pd.DataFrame(records, columns=["file", "key", "rows", "count"])


# -- every file of a mapping ------------------------------------------------------------------
@dataclass
class _Reads:
    """What reading and mapping every raw file gave, file by file."""

    parts: list[pd.DataFrame] = field(default_factory=list)
    logs: list[LoadLog] = field(default_factory=list)
    files: list[dict] = field(default_factory=list)
    native: list[pd.DataFrame] = field(default_factory=list)
    duplicates: list[pd.DataFrame] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    blank_rows: int = 0


def _checked_digest(spec: FileSpec, mapping: Mapping, verify: dict[str, str] | None) -> str:
    if not spec.path.exists():
        raise input_error(
            spec.path,
            None,
            None,
            None,
            f"the raw file named by {mapping.path.name}",
            f"對應檔 {mapping.path.name} 指定的原始檔案",
        )
    digest = sha256_of(spec.path)
    if verify is not None and str(spec.path) in verify and verify[str(spec.path)] != digest:
        raise input_error(
            spec.path,
            None,
            None,
            digest,
            f"sha256 {verify[str(spec.path)]} as recorded in the manifest "
            "(the raw file has changed)",
            "清單記錄的 sha256（原始檔案已被更動）",
            summary=f"{spec.path}: checksum does not match the manifest",
        )
    return digest


def _read_file(
    spec: FileSpec, mapping: Mapping, frame: Frame, verify: dict[str, str] | None, reads: _Reads
) -> None:
    digest = _checked_digest(spec, mapping, verify)
    table = read_table(
        spec.path,
        spec.format,
        spec.encoding,
        spec.delimiter,
        spec.header_row,
        spec.sheet,
        records=spec.records,
        list_join=spec.list_join,
    )
    if mapping.duplicate_key:
        reads.duplicates.append(_repeated_keys(table, mapping))
    reads.notes += [f"{spec.path.name}: column {r}" for r in table.renamed]
    reads.notes += [f"{spec.path.name}: {note}" for note in table.notes]
    if len(table.cells) + table.blank_rows == 0:
        reads.notes.append(f"{spec.path.name}: a header and no data rows (0 cases read)")
    df, log = _map_table(table, mapping, frame)
    log.problems.extend(table.ragged)
    reads.notes += log.notes
    reads.blank_rows += table.blank_rows
    reads.parts.append(df)
    reads.logs.append(log)
    reads.files.append(
        {
            "file": spec.path.name,
            "sha256": digest,
            "encoding": table.encoding or "xlsx",
            "rows_read": len(table.cells) + table.blank_rows,
        }
    )
    cells = table.cells.copy()
    cells.insert(0, "_row", table.rows)
    cells.insert(0, "_file", str(spec.path))
    reads.native.append(cells)


def _duplicate_ids(df: pd.DataFrame, mapping: Mapping, units: dict[str, str]) -> list[Problem]:
    """A case id on several rows: one problem per id, on its first row, listing its rows."""
    problems = []
    column = "+".join(mapping.case_id.columns) or "case_id"
    dup = df["case_id"].notna() & df.duplicated("case_id", keep=False)
    for cid, grp in df[dup].groupby("case_id", sort=True):
        places: dict[str, list[int]] = {}
        for f, r in zip(grp["_file"], grp["_row"]):
            places.setdefault(f, []).append(int(r))
        where = "; ".join(
            _rows_text(rows, units[f]) + ("" if len(places) == 1 else f" of {Path(f).name}")
            for f, rows in places.items()
        )
        where_zh = "；".join(
            ("" if len(places) == 1 else f"{Path(f).name} ") + _rows_text_zh(rows, units[f])
            for f, rows in places.items()
        )
        first_file, first_rows = next(iter(places.items()))
        problems.append(
            Problem(
                first_file,
                first_rows[0],
                column,
                cid,
                f"a unique case id: {cid!r} is on {len(grp)} {units[first_file]}s ({where}); "
                "key by several columns in the mapping if the source's ids repeat",
                f"不重複的案例編號：「{cid}」出現於 {len(grp)} 處（{where_zh}）；"
                "若來源的編號會重複，請在對應檔以多個欄位組成編號",
                units[first_file],
            )
        )
    return problems


def _each_row(problems: list[Problem], df: pd.DataFrame) -> list[Problem]:
    """A duplicate-id problem on every row of its id (for rejecting each row)."""
    rows = []
    for p in problems:
        same = df[df["case_id"] == p.value]
        rows += [
            Problem(f, int(r), p.column, p.value, p.expected, p.expected_zh, p.unit)
            for f, r in zip(same["_file"], same["_row"])
        ]
    return rows


def _by_place(problems: list[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: (p.file, p.row or 0, p.column or ""))


def _rejected_table(problems: list[Problem], blank_rows: int) -> pd.DataFrame:
    rejected = pd.DataFrame(
        [
            {
                "file": Path(p.file).name,
                "row": p.row,
                "column": p.column,
                "value": None if p.value is None else str(p.value),
                "reason": p.expected,
            }
            for p in _by_place(problems)
        ],
        columns=["file", "row", "column", "value", "reason"],
    )
    if blank_rows:
        blank = pd.DataFrame(
            [
                {
                    "file": "",
                    "row": None,
                    "column": None,
                    "value": "",
                    "reason": f"{blank_rows} completely blank row(s)",
                }
            ]
        )
        rejected = pd.concat([rejected, blank], ignore_index=True)
    return rejected


def _rejected_rows(
    native: list[pd.DataFrame], problems: list[Problem], reject: np.ndarray
) -> pd.DataFrame:
    """The native cells of every rejected row, with the reasons."""
    cells = pd.concat(native, ignore_index=True)
    reasons: dict[tuple[str, int], list[str]] = {}
    for p in problems:
        reasons.setdefault((p.file, p.row), []).append(
            f"{p.column or '<row>'}: expected {p.expected}"
        )
    cells.insert(
        2,
        "_reason",
        ["; ".join(reasons.get((f, int(r)), [])) for f, r in zip(cells["_file"], cells["_row"])],
    )
    return cells[reject].reset_index(drop=True)


def _rules(mapping: Mapping) -> pd.DataFrame:
    """The crosswalk rules: every field with a provenance or a rationale."""
    rules = []
    for name, spec in [
        ("case_id", mapping.case_id),
        *mapping.fields.items(),
        *mapping.flags.items(),
        *mapping.extras.items(),
    ]:
        if spec.coded_by or spec.rationale:
            source = " + ".join(spec.columns) or str(spec.constant)
            if name in mapping.flags and len(spec.columns) > 1:
                source = f"{spec.combine}( {source} )"
            rules.append(
                {
                    "field": name,
                    "from": source,
                    "coded_by": spec.coded_by or "",
                    "rationale": spec.rationale,
                }
            )
    return pd.DataFrame(rules, columns=["field", "from", "coded_by", "rationale"])


def asked_of_summary(mapping: Mapping, cases: pd.DataFrame, asked: pd.DataFrame) -> dict:
    """``{flag: {"en", "zh", "asked", "reported", "reported_asked"}}`` for each flag whose
    questions were asked of a subpopulation (``asked_of``): the descriptions joined, the
    cases in it (None when the mapping gives no conditions), the cases reporting the flag
    and how many of those are in it (None likewise)."""
    out = {}
    for flag, spec in mapping.flags.items():
        if not spec.asked_of:
            continue
        reported = cases[flag].notna().to_numpy() if flag in cases else np.zeros(len(cases), bool)
        column = ASKED_PREFIX + flag
        inside = asked[column].to_numpy(dtype=bool) if column in asked else None
        out[flag] = {
            "en": "; ".join(a["en"] for a in spec.asked_of),
            "zh": "；".join(a["zh"] for a in spec.asked_of),
            "asked": None if inside is None else int(inside.sum()),
            "reported": int(reported.sum()),
            "reported_asked": None if inside is None else int((inside & reported).sum()),
        }
    return out


def apply_mapping(
    mapping: Mapping | str | Path, frame: Frame | None = None, verify: dict[str, str] | None = None
) -> LoadResult:
    """Load every file of a mapping into the canonical case table.

    ``verify`` maps resolved file paths to the sha256 they must have (the manifest of
    bundled raw files); a mismatch is an error, never a silent re-read.
    """
    frame = frame or load_frame()
    if not isinstance(mapping, Mapping):
        mapping = load_mapping(mapping, frame)
    confine_paths(mapping)
    reads = _Reads()
    for spec in mapping.files:
        _read_file(spec, mapping, frame, verify, reads)
    df = pd.concat(reads.parts, ignore_index=True)
    problems = [p for log in reads.logs for p in log.problems]
    duplicates = _duplicate_ids(df, mapping, {log.file: log.unit for log in reads.logs})
    if (problems or duplicates) and mapping.on_problem == "error":
        raise InputError(
            _by_place(problems + duplicates),
            f"{mapping.path.name}: {len(problems) + len(duplicates)} problem(s) "
            f"loading inventory {mapping.inventory!r}",
        )
    problems += _each_row(duplicates, df)
    bad_keys = {(p.file, p.row) for p in problems}
    reject = np.array(
        [(f, int(r)) in bad_keys for f, r in zip(df["_file"], df["_row"])], dtype=bool
    )
    asked_columns = [c for c in df.columns if str(c).startswith(ASKED_PREFIX)]
    asked = df.loc[~reject, asked_columns].reset_index(drop=True)
    cases = canonical.coerce(
        df[~reject].drop(columns=["_row", "_file", *asked_columns]).reset_index(drop=True), frame
    )
    canonical.check(cases, frame, str(mapping.path))
    cases.attrs["asked_of"] = {mapping.inventory: asked_of_summary(mapping, cases, asked)}
    report = StandardizationReport(
        inventory=mapping.inventory,
        mapping=mapping.path.name,
        files=pd.DataFrame(reads.files),
        rows_read=len(df) + reads.blank_rows,
        rows_kept=len(cases),
        rows_rejected=int(reject.sum()) + reads.blank_rows,
        rejected=_rejected_table(problems, reads.blank_rows),
        recodings=summed(
            [r for log in reads.logs for r in log.recodings],
            ["field", "column", "native", "canonical"],
        ),
        unmapped=summed(
            [r for log in reads.logs for r in log.unmapped], ["field", "column", "value", "action"]
        ),
        rules=_rules(mapping),
        notes=mapping.notes + reads.notes,
        duplicates=(
            pd.concat(reads.duplicates, ignore_index=True)
            if reads.duplicates
            else pd.DataFrame(columns=["file", "key", "rows", "count"])
        ),
        outcomes=outcomes(cases, frame),
    )
    return LoadResult(cases, report, _rejected_rows(reads.native, problems, reject))
