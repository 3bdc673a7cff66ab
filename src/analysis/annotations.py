"""Reference codings made by annotation passes: the packet they read, the files they
wrote, their agreement, and the adjudicated set that coders are measured against.

An *annotation pass* codes every item of a packet (category, application type,
techniques, the six risk flags) following the study's prompt and the frame's definitions,
blind to the other passes and to every automatic coder. Passes made with AI assistance are
annotations, never ``human``: their codes carry ``coded_by = annotator:<pass-id>`` and
the data's README names who or what made each pass. Disagreements between passes are
adjudicated one by one, each with a reason, into ``annotator:adjudicated``.

Files of one annotation set (e.g. ``data/raw/taiwan-reference/``):

``items.csv``
    The packet: one row per item (``item``, ``inventory``, ``case_id`` and the case text
    the passes read). Written by :func:`write_packet`; a test checks it is current.
``pass-<id>.csv``
    One pass: ``item`` and the study's table columns (AI應用類型, 應用類型, 使用AI技術, the
    six risks ticked ``V``) in the frame's zh-TW (or English) names, and a one-line 理由.
``adjudicated.csv``
    One row per (item, field) where the passes disagree: the value chosen and why.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from . import cache, coding_sheets, config, inventories, memo
from .canonical import TECHNIQUE_SEP
from .coders.base import codes_frame, fields
from .environment import data_digest
from .errors import InputError, Problem, require_columns
from .frame import NO, YES, Frame, load_frame
from .outputs import atomic_write_text

#: The annotation sets bundled with the suite: set name -> (folder, inventories coded).
ANNOTATION_SETS = {
    "taiwan-reference": (config.RAW_DIR / "taiwan-reference", ("taiwan-public", "study")),
}
ITEM_COLUMNS = [
    "item",
    "inventory",
    "case_id",
    "source",
    "name",
    "agency",
    "description",
    "technique_as_recorded",
    "evidence_url",
]
#: Fields of an item the passes read, in the order the packet shows them.
TEXT_COLUMNS = ITEM_COLUMNS[3:]
PASS_PREFIX = "pass-"
ADJUDICATED = "adjudicated"
NOTE_HEADING = {"zh": "理由", "en": "reason"}
NOT_STATED = "未載明"


# -- the packet ------------------------------------------------------------------------
def packet(names: tuple[str, ...], frame: Frame | None = None, seed: int = config.SEED):
    """The items the passes code: every case of ``names`` in a seeded random order (so
    the study's check cases are mixed among the others), with only the text a coder may
    read. Labels the inventories carry (the study's own codes) are withheld."""
    frame = frame or load_frame()
    parts = []
    for name in names:
        cases = inventories.cases(name, frame)
        text = pd.DataFrame(
            {
                "inventory": name,
                "case_id": cases["case_id"].astype(str),
                "source": cases["source"],
                "name": cases["name"],
                "agency": cases["agency"],
                "description": cases["description"],
                # What the source page says of the technique; a study's own technique
                # column is its coding and is withheld like its other codes.
                "technique_as_recorded": cases["techniques_as_recorded"]
                if _technique_is_source(cases)
                else None,
                "evidence_url": cases.get("evidence_url", None),
            }
        )
        parts.append(text)
    items = pd.concat(parts, ignore_index=True)
    order = np.random.default_rng(seed).permutation(len(items))
    items = items.iloc[order].reset_index(drop=True)
    items.insert(0, "item", [f"T{i:03d}" for i in range(1, len(items) + 1)])
    return items[ITEM_COLUMNS].astype(object).where(items[ITEM_COLUMNS].notna(), "")


def _technique_is_source(cases: pd.DataFrame) -> bool:
    by = cases["techniques_coded_by"].dropna().astype(str)
    return bool(len(by)) and not by.str.startswith("study").any()


def write_packet(set_name: str, frame: Frame | None = None) -> Path:
    folder, names = ANNOTATION_SETS[set_name]
    buf = io.StringIO()
    packet(names, frame).to_csv(buf, index=False, lineterminator="\n")
    return atomic_write_text(folder / "items.csv", buf.getvalue())


def guidelines(frame: Frame | None = None) -> str:
    """The coding instructions every pass receives (Markdown, zh-TW with English): the
    study's prompt verbatim, the frame's categories, application types, techniques and
    risks with their definitions, and the answer format."""
    frame = frame or load_frame()
    prompt = (config.PROMPTS_DIR / "study_prompt.zh-TW.txt").read_text(encoding="utf-8").strip()
    lines = [
        "# 編碼說明 Coding instructions",
        "",
        "## 研究的提示詞 The study's prompt (verbatim)",
        "",
        f"> {prompt}",
        "",
        "本次編碼只依案例檔所載文字（來源、名稱、機關、描述、頁面所載技術）判斷，"
        "不上網蒐集資料。 Code from the recorded text only (source, name, agency, "
        "description, technique as stated by the page); no web search.",
        "",
        "## 五大類與應用類型 Categories and application types",
        "",
    ]
    for c in frame.entries["category"]:
        lines.append(f"### {c.name_zh} ({c.name_en})")
        lines.append("")
        for t in frame.entries["application_type"]:
            if t.category == c.key:
                lines.append(
                    f"- **{t.name_zh}** ({t.name_en}): {t.definition_zh} {t.definition_en}"
                )
        lines.append("")
    lines += ["## AI技術 Techniques", ""]
    for t in frame.entries["technique"]:
        lines.append(f"- **{t.name_zh}** ({t.name_en})")
    lines += ["", "## 紅色標題的風險 The six risks", ""]
    for f in frame.entries["flag"]:
        lines.append(f"- **{f.name_zh}** ({f.name_en}): {f.definition_zh} {f.definition_en}")
    heads = pass_headings(frame)
    lines += [
        "",
        "## 作答格式 Answer format",
        "",
        "一個 UTF-8 CSV 檔，每個 item 一列，欄位如下 (one UTF-8 CSV row per item):",
        "",
        "`" + ",".join(heads) + "`",
        "",
        f"- {heads[1]}: 五大類之一，填中文名稱 (one category, its zh-TW name).",
        f"- {heads[2]}: 該類的應用類型之一 (one application type of that category).",
        f"- {heads[3]}: 一或多項上列AI技術，以「;」分隔；文字未載明且無法判斷時填"
        f"「{NOT_STATED}」 (one or more techniques from the list, separated by ';'; "
        f"'{NOT_STATED}' when the text does not say and it cannot be inferred).",
        "- 六項風險：有該風險打「V」，否則留白 (tick V for each risk present, blank otherwise).",
        f"- {heads[-1]}: 一句話說明判斷依據 (one sentence on why).",
    ]
    return "\n".join(lines) + "\n"


def pass_headings(frame: Frame | None = None) -> list[str]:
    """The columns of a pass file: item, the study's table headings, the reason."""
    frame = frame or load_frame()
    return [
        "item",
        frame.heading("category", "zh-TW"),
        frame.heading("application_type", "zh-TW"),
        frame.heading("techniques", "zh-TW"),
        *[frame.label("flag", f, "zh-TW") for f in frame.flag_keys],
        NOTE_HEADING["zh"],
    ]


# -- reading passes ----------------------------------------------------------------------
def _field_columns(frame: Frame) -> dict[str, str]:
    """Field -> column heading of a pass file (zh-TW; the English headings are accepted)."""
    return {
        "category": frame.heading("category", "zh-TW"),
        "application_type": frame.heading("application_type", "zh-TW"),
        "techniques": frame.heading("techniques", "zh-TW"),
        **{f: frame.label("flag", f, "zh-TW") for f in frame.flag_keys},
    }


def verified(path: Path) -> Path:
    """``path``, after checking its sha256 against ``data/raw/MANIFEST.tsv`` (annotation
    files are raw data: a changed or unlisted file is refused, as for inventories)."""
    import hashlib

    path = Path(path)
    listed = {
        str((config.RAW_DIR / f).resolve()): h
        for f, h in zip(inventories.manifest()["file"], inventories.manifest()["sha256"])
    }
    want = listed.get(str(path.resolve()))
    got = hashlib.sha256(path.read_bytes()).hexdigest()
    if want != got:
        raise InputError(
            [
                Problem(
                    str(path),
                    None,
                    None,
                    got[:12],
                    f"the sha256 listed in {config.MANIFEST_FILE.name}"
                    + ("" if want else " (the file is not listed)"),
                    f"{config.MANIFEST_FILE.name} 所列之 sha256",
                )
            ],
            f"{path}: does not match the manifest; if you changed it on purpose, update "
            f"{config.MANIFEST_FILE}",
        )
    return path


def read_items(folder: Path) -> pd.DataFrame:
    """The packet of an annotation set (``items.csv``)."""
    path = verified(Path(folder) / "items.csv")
    items = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    missing = [c for c in ITEM_COLUMNS if c not in items.columns]
    if missing:
        raise InputError(
            [
                Problem(str(path), 1, c, None, "this column of the packet", "包之欄位")
                for c in missing
            ]
        )
    return items


class _PassRow:
    """One row of a pass file: its cells, the codes read and the problems found."""

    def __init__(self, file: str, number: int, row: dict, frame: Frame, columns: dict):
        self.file, self.number, self.row, self.frame, self.columns = (
            file,
            number,
            row,
            frame,
            columns,
        )
        self.values: dict[str, str] = {}
        self.problems: list[Problem] = []

    def cell(self, f: str) -> str:
        return str(self.row.get(self.columns[f]) or "").strip()

    def problem(self, f: str, value: object, expected: str, zh: str) -> None:
        self.problems.append(Problem(self.file, self.number, self.columns[f], value, expected, zh))

    def read(self) -> None:
        category = None
        for kind in ("category", "application_type"):
            v = self.cell(kind)
            key = self.frame.lookup(kind, v) if v else None
            if key is None:
                self.problem(kind, v or None, f"a {kind} of the frame", "編碼架構中的選項")
            elif kind == "category":
                category = self.values[kind] = key
            elif category is not None and self.frame.category_of(key) != category:
                self.problem(
                    kind, v, f"an application type of {category}", "屬於所選AI應用類型的應用類型"
                )
            else:
                self.values[kind] = key
        self._techniques()
        for f in self.frame.flag_keys:
            state = self.frame.parse_tick(self.cell(f))
            if state in (YES, NO, ""):
                # the study's convention: every risk assessed, an unticked box is "no"
                self.values[f] = "yes" if state == YES else "no"
            else:
                self.problem(f, self.cell(f), "V (ticked) or blank", "V（打勾）或空白")

    def _techniques(self) -> None:
        v = self.cell("techniques")
        if v in ("", NOT_STATED):
            self.values["techniques"] = ""
            return
        parsed = self.frame.parse_techniques(v)
        if parsed.unknown or not parsed.keys:
            self.problem(
                "techniques",
                v,
                f"techniques of the frame separated by ';', or {NOT_STATED}",
                f"編碼架構中的AI技術（以;分隔）或{NOT_STATED}",
            )
        else:
            self.values["techniques"] = TECHNIQUE_SEP.join(parsed.keys)


def read_pass(path: Path, items: pd.DataFrame, frame: Frame | None = None) -> pd.DataFrame:
    """The codes of one pass file (``pass-<id>.csv``): ``coded_by`` = ``annotator:<id>``,
    the one-line reason as ``evidence``. Techniques 「未載明」 give the value ``""`` (the
    text does not say). Every item of the packet must be coded exactly once; every
    problem is reported with its file, row and column."""
    frame = frame or load_frame()
    path = Path(path)
    file = str(path)
    pass_id = path.stem.removeprefix(PASS_PREFIX)
    columns = _field_columns(frame)
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        header = reader.fieldnames or []
        require_columns(file, header, ["item", *columns.values()], "a pass file", "編碼檔")
        rows = list(reader)
    where = {
        it: (inv, cid) for it, inv, cid in zip(items["item"], items["inventory"], items["case_id"])
    }
    note = NOTE_HEADING["zh"] if NOTE_HEADING["zh"] in header else None
    problems, out, seen = [], [], set()
    for number, row in enumerate(rows, start=2):
        item = str(row.get("item") or "").strip()
        if item not in where or item in seen:
            expected = "an item of the packet" if item not in where else "each item once"
            problems.append(
                Problem(file, number, "item", item or None, expected, "包中的項目，各一次")
            )
            continue
        seen.add(item)
        parsed = _PassRow(file, number, row, frame, columns)
        parsed.read()
        problems += parsed.problems
        inv, cid = where[item]
        for f, v in parsed.values.items():
            out.append(
                {
                    "case_id": cid,
                    "inventory": inv,
                    "field": f,
                    "value": v,
                    "coded_by": f"annotator:{pass_id}",
                    "confidence": np.nan,
                    "evidence": (row.get(note) or "").strip() if note else "",
                }
            )
    for item in sorted(set(where) - seen):
        problems.append(
            Problem(file, None, "item", item, "every item of the packet coded", "每一項皆須編碼")
        )
    if problems:
        raise InputError(problems, f"{file}: {len(problems)} problem(s) in the pass")
    return codes_frame(out)


# -- an annotation set ----------------------------------------------------------------------
@dataclass
class AnnotationSet:
    """The packet, the passes' codes and (once made) the adjudicated codes of one set."""

    name: str
    folder: Path
    items: pd.DataFrame
    passes: pd.DataFrame  # codes of every pass, coded_by annotator:<id>
    adjudicated: pd.DataFrame  # final codes, coded_by annotator:adjudicated

    @property
    def pass_ids(self) -> list[str]:
        return sorted(c.split(":", 1)[1] for c in self.passes["coded_by"].unique())


def pass_files(folder: Path) -> list[Path]:
    return sorted(Path(folder).glob(f"{PASS_PREFIX}*.csv"))


def load_set(set_name: str = "taiwan-reference", frame: Frame | None = None) -> AnnotationSet:
    """Read an annotation set: packet, every pass, and the adjudication (checked to
    resolve every disagreement between the passes, and nothing else). Kept in the
    content-addressed cache (:mod:`analysis.cache`, namespace ``annotations``) under a key
    of the set's files, the frame and this module's code: the checks run once per change,
    and every call gets its own copy."""
    frame = frame or load_frame()
    if set_name not in ANNOTATION_SETS:
        raise InputError(
            [
                Problem(
                    "annotation set", None, None, set_name, f"one of {sorted(ANNOTATION_SETS)}", ""
                )
            ]
        )
    folder = ANNOTATION_SETS[set_name][0]
    return cache.remember(
        "annotations",
        (set_name, str(folder), _files_digest(folder), frame),
        lambda: _read_set(set_name, frame),
        code=__name__,
    )


def bundled_inputs() -> list:
    """The content digest of what a function reading inventories by name reads: the bundled
    data (:func:`analysis.environment.data_digest`) and the annotation sets
    (:func:`sets_digest`), part of its stored results' keys (``inputs`` of
    :func:`analysis.memo.cached`)."""
    return [data_digest(), sets_digest()]


def sets_digest() -> list:
    """Every annotation set's name, folder and files' digests: a key part for results
    computed from annotated inventories (wherever their folders are)."""
    return [
        (name, str(folder), _files_digest(folder)) for name, (folder, _) in ANNOTATION_SETS.items()
    ]


def _files_digest(folder: Path) -> list[tuple[str, str]]:
    """``(name, sha256)`` of every file under ``folder``: what an annotation set is read from."""
    return [
        (p.relative_to(folder).as_posix(), hashlib.sha256(p.read_bytes()).hexdigest())
        for p in sorted(Path(folder).rglob("*"))
        if p.is_file()
    ]


def _read_set(set_name: str, frame: Frame) -> AnnotationSet:
    folder = ANNOTATION_SETS[set_name][0]
    items = read_items(folder)
    passes = pd.concat(
        [read_pass(verified(p), items, frame) for p in pass_files(folder)], ignore_index=True
    )
    path = folder / f"{ADJUDICATED}.csv"
    adjudicated = (
        adjudicate(passes, verified(path), items, frame) if path.exists() else passes.iloc[:0]
    )
    return AnnotationSet(set_name, folder, items, passes, adjudicated)


def pass_ratings(codes: pd.DataFrame, field_name: str) -> pd.DataFrame:
    """Units (inventory, case_id) × passes table of one field's values, passes named by
    their id (:func:`analysis.coding_sheets.ratings` of the passes' codes)."""
    table = coding_sheets.ratings(codes, field_name)
    return table.rename(columns=lambda c: c.split(":", 1)[1])


def pass_disagreements(codes: pd.DataFrame, frame: Frame | None = None) -> pd.DataFrame:
    """Every (case, field) where the passes differ: one column per pass, named by its id."""
    table = coding_sheets.disagreements(codes, frame)
    return table.rename(columns=lambda c: c.split(":", 1)[1] if ":" in c else c)


def display_value(frame: Frame, field_name: str, value: str, language: str = "zh-TW") -> str:
    """A code as the passes wrote it: frame names, 「V」/blank for flags, 未載明."""
    if field_name in frame.flag_keys:
        return "V" if value == "yes" else ""
    if field_name == "techniques":
        if not value:
            return NOT_STATED
        return ";".join(frame.label("technique", t, language) for t in value.split(TECHNIQUE_SEP))
    kind = field_name
    return frame.label(kind, value, language)


def adjudication_packet(codes: pd.DataFrame, items: pd.DataFrame, frame: Frame | None = None):
    """The disagreements as the adjudicator reads them: the item's text, the field (its
    zh-TW heading) and each pass's value in frame names (passes named 甲, 乙, ... in a
    fixed order, so the adjudicator weighs values, not coders)."""
    frame = frame or load_frame()
    dis = pass_disagreements(codes, frame)
    heads = _field_columns(frame)
    key = items.set_index(["inventory", "case_id"])
    passes = [c for c in dis.columns if c not in ("inventory", "case_id", "field")]
    names = "甲乙丙丁"
    item_of = dict(zip(zip(items["inventory"], items["case_id"]), items["item"]))
    first = codes[codes["field"] == "category"]
    reasons = {
        (by.split(":", 1)[1], item_of[(inv, cid)]): ev
        for by, inv, cid, ev in zip(
            first["coded_by"], first["inventory"], first["case_id"], first["evidence"]
        )
    }
    rows = []
    for r in dis.itertuples(index=False):
        d = r._asdict()
        it = key.loc[(d["inventory"], d["case_id"])]
        rows.append(
            {
                "item": it["item"],
                **{c: it[c] for c in TEXT_COLUMNS},
                "field": heads[d["field"]],
                **{
                    f"value_{names[i]}": display_value(frame, d["field"], d[p])
                    for i, p in enumerate(passes)
                },
                **{
                    f"reason_{names[i]}": reasons.get((p, it["item"]), "")
                    for i, p in enumerate(passes)
                },
            }
        )
    return pd.DataFrame(rows).sort_values(["item", "field"], kind="stable").reset_index(drop=True)


def adjudicate(
    passes: pd.DataFrame, path: Path, items: pd.DataFrame, frame: Frame | None = None
) -> pd.DataFrame:
    """The adjudicated codes: where the passes agree, their value; where they differ, the
    value ``adjudicated.csv`` chose (columns ``item, field, value, reason``; field as the
    zh-TW heading, value written as in a pass file). Every disagreement must be
    adjudicated once, with a reason, and nothing else. ``coded_by`` is
    ``annotator:adjudicated``; ``evidence`` says ``agreed`` or gives the reason."""
    frame = frame or load_frame()
    file = str(path)
    heads = _field_columns(frame)
    by_head = {h: f for f, h in heads.items()}
    table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    where = {
        it: (inv, cid) for it, inv, cid in zip(items["item"], items["inventory"], items["case_id"])
    }
    dis = pass_disagreements(passes, frame)
    open_ = {(r.inventory, r.case_id, r.field) for r in dis.itertuples(index=False)}
    problems, chosen = [], {}
    for number, r in enumerate(table.to_dict("records"), start=2):
        item, head = r.get("item", "").strip(), r.get("field", "").strip()
        f = by_head.get(head)
        unit = (*where.get(item, ("", "")), f)
        if item not in where or f is None or unit not in open_ or unit in chosen:
            problems.append(
                Problem(
                    file,
                    number,
                    "item/field",
                    f"{item}/{head}",
                    "a disagreement, once",
                    "未決之分歧，各一次",
                )
            )
            continue
        if not r.get("reason", "").strip():
            problems.append(Problem(file, number, "reason", None, "a one-line reason", "一句理由"))
        value = _parse_value(frame, f, r.get("value", ""))
        if value is None:
            problems.append(
                Problem(file, number, "value", r.get("value"), f"a {f} value", "有效之值")
            )
            continue
        chosen[unit] = (value, r["reason"].strip())
    for unit in sorted(open_ - set(chosen)):
        problems.append(
            Problem(file, None, "item/field", "/".join(unit), "an adjudication", "需裁決")
        )
    if problems:
        raise InputError(problems, f"{file}: {len(problems)} problem(s) in the adjudication")
    out = []
    for f in fields(frame):
        for (inv, cid), row in pass_ratings(passes, f).iterrows():
            value, reason = chosen.get((inv, cid, f), (row.dropna().iloc[0], "agreed"))
            out.append(
                {
                    "case_id": cid,
                    "inventory": inv,
                    "field": f,
                    "value": value,
                    "coded_by": f"annotator:{ADJUDICATED}",
                    "confidence": np.nan,
                    "evidence": reason,
                }
            )
    codes = codes_frame(out)
    bad = _inconsistent_types(codes, frame)
    if bad:
        raise InputError(
            [
                Problem(
                    file, None, "應用類型", b, "an application type of the adjudicated category", ""
                )
                for b in bad
            ]
        )
    return codes


def _parse_value(frame: Frame, f: str, text: str) -> str | None:
    text = (text or "").strip()
    if f in frame.flag_keys:
        state = frame.parse_tick(text)
        return {YES: "yes", NO: "no", "": "no"}.get(state)
    if f == "techniques":
        if text in ("", NOT_STATED):
            return ""
        parsed = frame.parse_techniques(text)
        return None if parsed.unknown or not parsed.keys else TECHNIQUE_SEP.join(parsed.keys)
    return frame.lookup(f, text)


def _inconsistent_types(codes: pd.DataFrame, frame: Frame) -> list[str]:
    wide = codes.pivot_table(
        index=["inventory", "case_id"], columns="field", values="value", aggfunc="first"
    )
    return [
        f"{inv}/{cid}"
        for (inv, cid), r in wide.iterrows()
        if frame.category_of(r["application_type"]) != r["category"]
    ]


# -- agreement ----------------------------------------------------------------------------
def pass_agreement(codes: pd.DataFrame, frame: Frame | None = None) -> pd.DataFrame:
    """Between the passes, per field: units, share in full agreement, Krippendorff's α
    (nominal; techniques compared as whole sets) and Cohen's κ of each pair of passes
    (:func:`analysis.coding_sheets.reliability`), and for flags the ticks of each pass."""
    frame = frame or load_frame()
    summary, pairwise = coding_sheets.reliability(codes, frame)
    kappa = pairwise.groupby("field")["kappa"].first()
    out = summary.assign(kappa=summary["field"].map(kappa))
    out["ticked"] = [
        ";".join(str(int((t[c] == "yes").sum())) for c in t.columns) if f in frame.flag_keys else ""
        for f in out["field"]
        for t in [pass_ratings(codes, f)]
    ]
    return out.rename(columns={"coders": "passes"})


def technique_reliability(codes: pd.DataFrame, frame: Frame | None = None) -> pd.DataFrame:
    """Between the passes, per technique (named by either): κ of yes/no and counts."""
    from .agreement import cohen_kappa

    frame = frame or load_frame()
    table = pass_ratings(codes, "techniques")
    sets = table.map(lambda v: set(v.split(TECHNIQUE_SEP)) if v else set())
    rows = []
    for t in frame.technique_keys:
        yes = sets.map(lambda s, t=t: "yes" if t in s else "no")
        if not (yes == "yes").any().any():
            continue
        a, b = yes.iloc[:, 0], yes.iloc[:, 1]
        rows.append(
            {
                "technique": t,
                **{f"named_{c}": int((yes[c] == "yes").sum()) for c in yes.columns},
                "kappa": cohen_kappa(a, b),
            }
        )
    return pd.DataFrame(rows)


def pass_confusion(codes: pd.DataFrame, field_name: str = "category") -> pd.DataFrame:
    """Cross-tabulation of the first pass (rows) against the second (columns)."""
    table = pass_ratings(codes, field_name)
    return pd.crosstab(table.iloc[:, 0], table.iloc[:, 1]).rename_axis(
        index=table.columns[0], columns=table.columns[1]
    )


def study_check(aset: AnnotationSet, frame: Frame | None = None) -> pd.DataFrame:
    """Each pass (and the adjudicated set) against the study's own codes of its excerpt
    cases, coded blind in the same passes: category and application-type accuracy, κ
    and agreement per flag, on the cases the study coded."""
    from .agreement import cohen_kappa

    frame = frame or load_frame()
    study = inventories.cases("study", frame).set_index("case_id")
    codes = pd.concat([aset.passes, aset.adjudicated], ignore_index=True)
    codes = codes[codes["inventory"] == "study"]
    rows = []
    for by, sub in codes.groupby("coded_by", sort=True):
        for f in ["category", "application_type", *frame.flag_keys]:
            got = sub[sub["field"] == f].set_index("case_id")["value"]
            truth = study[f].dropna()
            if f in frame.flag_keys:
                truth = truth.map(lambda v: "yes" if bool(v) else "no")
            both = pd.concat([truth.rename("study"), got.rename("pass")], axis=1, join="inner")
            rows.append(
                {
                    "coded_by": by,
                    "field": f,
                    "n": len(both),
                    "agreement": float((both["study"] == both["pass"]).mean()),
                    "kappa": cohen_kappa(both["study"], both["pass"])
                    if f in frame.flag_keys
                    else np.nan,
                    "study_ticked": int((both["study"] == "yes").sum())
                    if f in frame.flag_keys
                    else pd.NA,
                    "pass_ticked": int((both["pass"] == "yes").sum())
                    if f in frame.flag_keys
                    else pd.NA,
                }
            )
    return pd.DataFrame(rows).astype({"study_ticked": "Int64", "pass_ticked": "Int64"})


# -- the annotated inventory ------------------------------------------------------------------
def annotated_cases(inventory: str, frame: Frame | None = None) -> pd.DataFrame:
    """A bundled inventory with the adjudicated annotation as its reference labels
    (``*_coded_by`` = ``annotator:adjudicated``): category, application type, the six
    flags and, where the annotation names them, techniques (where it says 「未載明」, the
    source's own technique, if any, is kept)."""
    from .canonical import coerce
    from .coders.base import coded_by_column

    frame = frame or load_frame()
    sets = [n for n, (_, names) in ANNOTATION_SETS.items() if inventory in names]
    if not sets:
        raise InputError(
            [Problem("inventory", None, None, inventory, "an inventory with an annotation set", "")]
        )
    aset = load_set(sets[0], frame)
    if aset.adjudicated.empty:
        raise InputError(
            [
                Problem(
                    str(aset.folder / f"{ADJUDICATED}.csv"),
                    None,
                    None,
                    None,
                    "the adjudication",
                    "裁決檔",
                )
            ]
        )
    out = inventories.cases(inventory, frame).copy()
    codes = aset.adjudicated[aset.adjudicated["inventory"] == inventory]
    pos = {cid: i for i, cid in enumerate(out["case_id"].astype(str))}
    columns: dict[str, list] = {}  # the columns written, as lists (cell by cell is slow)

    def column(name: str) -> list:
        if name not in columns:
            columns[name] = out[name].tolist() if name in out.columns else [np.nan] * len(out)
        return columns[name]

    for c in codes.itertuples(index=False):
        i = pos.get(str(c.case_id))
        if i is None or (c.field == "techniques" and not c.value):
            continue
        value = (c.value == "yes") if c.field in frame.flag_keys else c.value
        column(c.field)[i] = value
        column(coded_by_column(c.field, frame))[i] = c.coded_by
    for name, values in columns.items():
        out[name] = pd.Series(values, index=out.index, dtype=object)
    # a different coding of the same cases: named apart so codes never mix with the raw's
    out["inventory"] = inventory + config.ANNOTATED_SUFFIX
    return coerce(out, frame)


@dataclass
class Summary:
    """What a report shows of an annotation set."""

    name: str
    reliability: pd.DataFrame
    techniques: pd.DataFrame
    confusion: pd.DataFrame
    study_check: pd.DataFrame
    choices: pd.DataFrame


def set_of(inventory: str) -> str | None:
    """The annotation set that codes ``inventory`` (its ``-annotated`` name accepted)."""
    base = inventory.removesuffix(config.ANNOTATED_SUFFIX)
    return next((n for n, (_, names) in ANNOTATION_SETS.items() if base in names), None)


@memo.cached(defaults={"frame": load_frame}, inputs=bundled_inputs)
def summary(inventory: str, frame: Frame | None = None) -> Summary | None:
    """Agreement between the passes, with the study's codes, and what the adjudication
    chose, for the annotation set of ``inventory``; None when it has none."""
    frame = frame or load_frame()
    name = set_of(inventory)
    if name is None:
        return None
    aset = load_set(name, frame)
    return Summary(
        name,
        pass_agreement(aset.passes, frame),
        technique_reliability(aset.passes, frame),
        pass_confusion(aset.passes),
        study_check(aset, frame),
        adjudication_choices(aset, frame),
    )


def adjudication_choices(aset: AnnotationSet, frame: Frame | None = None) -> pd.DataFrame:
    """Per field: disagreements, and how often the adjudication took each pass's value
    (or another)."""
    frame = frame or load_frame()
    dis = pass_disagreements(aset.passes, frame)
    final = aset.adjudicated.set_index(["inventory", "case_id", "field"])["value"]
    rows = []
    for f in fields(frame):
        sub = dis[dis["field"] == f]
        row = {"field": f, "disagreements": len(sub)}
        chosen = [final.loc[(r.inventory, r.case_id, f)] for r in sub.itertuples(index=False)]
        for p in aset.pass_ids:
            row[f"chose_{p}"] = int(sum(c == v for c, v in zip(chosen, sub[p])))
        row["chose_other"] = int(
            sum(all(c != v for v in vals) for c, vals in zip(chosen, sub[aset.pass_ids].to_numpy()))
        )
        rows.append(row)
    return pd.DataFrame(rows)
