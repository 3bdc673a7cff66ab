"""Coding by people, end to end: a coding sheet per coder out, the filled sheets in,
agreement between the coders, and their codes merged into the canonical table.

The sheets are those of :mod:`analysis.coding_sheets`. A coder's codes carry
``coded_by = human:<coder>``. An *adjudicator* is a coder whose sheet settles the cases
where the others differ: left out of the agreement, their value wins on every
disagreement (:func:`analysis.coding_sheets.consensus`).

The bundled example runs the same route on real codes: the two recorded annotation
passes of the Taiwanese public cases and their adjudication (:mod:`analysis.annotations`;
AI-assisted, so ``coded_by = annotator:<pass>``, never ``human``) are written out as
filled coding sheets and read back through the import.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from . import annotations, coding, coding_sheets, config, inventories, memo
from .coders.base import coded_by_column, fields
from .errors import AnalysisError, InputError, Problem
from .frame import Frame, load_frame

#: The annotation set the bundled run writes out as sheets and reads back.
BUNDLED_SET = "taiwan-reference"
SUGGESTERS = ("none", "rules", "model")
#: A technique value of "" (the coder found none stated), as a table shows it.
NOT_STATED = "not_stated"


def sheet_name(inventory: str, coder: str) -> str:
    """The file name of one coder's sheet for an inventory."""
    return f"{Path(str(inventory)).stem}-{coder}.xlsx"


def suggestions(cases: pd.DataFrame, suggest: str, frame: Frame | None = None):
    """Codes suggested to the coders (``rules``, ``model``), or None for ``none``."""
    frame = frame or load_frame()
    if suggest not in SUGGESTERS:
        raise AnalysisError(
            f"--suggest {suggest}: expected one of {', '.join(SUGGESTERS)} "
            f"/ --suggest {suggest}：應為 {', '.join(SUGGESTERS)} 之一"
        )
    if suggest == "none":
        return None
    return coding.make_coder(suggest, frame).code(cases)


def export_sheets(
    cases: pd.DataFrame,
    coders: list[str],
    folder: Path,
    frame: Frame | None = None,
    language: str = config.DEFAULT_LANGUAGE,
    suggested: pd.DataFrame | None = None,
    prefill: bool = False,
) -> list[Path]:
    """One coding sheet per coder in ``folder`` (named by :func:`sheet_name`), the coder's
    name already in its about sheet. Coder names must be distinct, non-empty and usable in
    a file name."""
    frame = frame or load_frame()
    names = [str(c).strip() for c in coders]
    unusable = [n for n in names if not n or any(c in n for c in '/\\:*?"<>|')]
    if not names or unusable or len(set(names)) < len(names):
        raise AnalysisError(
            f"--coder {names}: expected distinct coder names, each non-empty and usable in a "
            f"file name / --coder {names}：編碼者代號須各不相同、不可空白，且可用於檔名"
        )
    inventory = str(cases["inventory"].iloc[0]) if len(cases) else "cases"
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    return [
        coding_sheets.write_sheet(
            cases,
            folder / sheet_name(inventory, name),
            frame,
            language,
            suggested,
            prefill,
            coder=name,
        )
        for name in names
    ]


def sheet_files(paths: list[str | Path]) -> list[Path]:
    """The filled sheets named: files as given, folders as their ``*.xlsx`` (sorted;
    Excel's ``~$`` lock files left out). A path holding no sheet is an error."""
    found, problems = [], []
    for p in map(Path, paths):
        if p.is_dir():
            inside = sorted(f for f in p.glob("*.xlsx") if not f.name.startswith("~$"))
        else:
            inside = [p] if p.is_file() and p.suffix.lower() == ".xlsx" else []
        if not inside:
            problems.append(
                Problem(
                    str(p),
                    None,
                    None,
                    None,
                    "an .xlsx coding sheet or a folder holding some",
                    "XLSX 編碼表或存放編碼表的資料夾",
                )
            )
        found += inside
    if problems:
        raise InputError(problems, f"{len(problems)} path(s) hold no coding sheet")
    return found


def annotation_sheets(
    folder: Path,
    set_name: str = BUNDLED_SET,
    frame: Frame | None = None,
    language: str = config.DEFAULT_LANGUAGE,
) -> list[Path]:
    """Write each recorded pass of an annotation set, and its adjudication, as a filled
    coding sheet (role ``annotator``) in ``folder``: what coders would hand back."""
    frame = frame or load_frame()
    aset = annotations.load_set(set_name, frame)
    parts = [
        ("adjudicated", aset.adjudicated),
        *[(p, aset.passes[aset.passes["coded_by"] == f"annotator:{p}"]) for p in aset.pass_ids],
    ]
    folder = Path(folder)
    return sorted(
        coding_sheets.write_sheet(
            aset.items,
            folder / sheet_name(set_name, name),
            frame,
            language,
            coder=name,
            codes=codes,
            role="annotator",
        )
        for name, codes in parts
    )


@dataclass
class Coding:
    """Codes read from filled sheets, and what the agreement and the merge use."""

    codes: pd.DataFrame  # every sheet's codes (coded_by <role>:<coder>)
    adjudicator: str | None  # coder id whose values settle disagreements, if one coded
    sheets: list[Path]
    cases: pd.DataFrame  # the cases the sheets list: inventory, case_id, name

    @property
    def coders(self) -> list[str]:
        """The coders compared (the adjudicator left out)."""
        return sorted(c for c in self.codes["coded_by"].unique() if not self._is_judge(c))

    def _is_judge(self, coded_by: str) -> bool:
        return self.adjudicator is not None and coded_by.split(":", 1)[-1] == self.adjudicator

    @property
    def compared(self) -> pd.DataFrame:
        """The codes of the compared coders."""
        return self.codes[~self.codes["coded_by"].map(self._is_judge).astype(bool)]


@memo.cached(defaults={"frame": load_frame}, inputs=annotations.bundled_inputs)
def bundled_sheets(
    frame: Frame | None = None, language: str = config.DEFAULT_LANGUAGE
) -> tuple[pd.DataFrame, list[pd.DataFrame], list[str]]:
    """The bundled annotation passes and adjudication written out as filled sheets
    (:func:`annotation_sheets`) in a temporary folder and read back: the codes read, the
    cases each sheet lists, and the sheets' file names. Stored (:mod:`analysis.memo`) by
    the annotation sets' and the bundled data's content: the round trip is done again
    whenever what it writes or reads could differ."""
    frame = frame or load_frame()
    with tempfile.TemporaryDirectory() as tmp:
        paths = annotation_sheets(Path(tmp), BUNDLED_SET, frame, language)
        codes = coding_sheets.read_sheets(paths, frame)
        listed = [coding_sheets.sheet_cases(p, frame) for p in paths]
    return codes, listed, [p.name for p in paths]


def import_sheets(
    sheets: str | Path | list = "",
    adjudicator: str = "",
    frame: Frame | None = None,
    language: str = config.DEFAULT_LANGUAGE,
) -> Coding:
    """The codes of the filled sheets in ``sheets`` (folders or files); with ``sheets``
    empty, the bundled annotation passes and adjudication written out as sheets in a
    temporary folder and read back. ``adjudicator`` names the coder who settles
    disagreements (ignored when no sheet is theirs)."""
    frame = frame or load_frame()
    if not sheets:
        codes, listed, names = bundled_sheets(frame, language)
        shown = [Path(name) for name in names]
    else:
        paths = sheet_files(sheets if isinstance(sheets, list) else [sheets])
        codes = coding_sheets.read_sheets(paths, frame)
        listed = [coding_sheets.sheet_cases(p, frame) for p in paths]
        shown = paths
    if codes.empty:
        raise InputError(
            [
                Problem(str(p), None, None, None, "a filled coding sheet", "已填寫的編碼表")
                for p in shown
            ],
            "the sheets hold no codes (every coding cell is blank)",
        )
    ids = {c.split(":", 1)[-1] for c in codes["coded_by"].unique()}
    cases = pd.concat(listed, ignore_index=True).drop_duplicates(["inventory", "case_id"])
    return Coding(codes, adjudicator if adjudicator in ids else None, shown, cases)


def coders_table(coding_: Coding, frame: Frame | None = None) -> pd.DataFrame:
    """Per sheet's coder: cases coded and codes given per field."""
    frame = frame or load_frame()
    codes = coding_.codes
    wide = (
        codes.groupby(["coded_by", "field"])["case_id"]
        .count()
        .unstack("field")
        .reindex(columns=[f for f in fields(frame) if f in set(codes["field"])])
        .fillna(0)
        .astype(int)
    )
    cases = codes.groupby("coded_by")[["inventory", "case_id"]].apply(
        lambda t: len(t.drop_duplicates())
    )
    wide.insert(0, "cases", cases)
    return wide.rename_axis("coded_by").reset_index()


def field_agreement(coding_: Coding, frame: Frame | None = None) -> pd.DataFrame:
    """Per field, between the compared coders: units, coders, units coded by two or more
    (pairable), Krippendorff's α (nominal) and the share of units in full agreement."""
    summary, _ = coding_sheets.reliability(coding_.compared, frame)
    return summary


def flag_kappa(coding_: Coding, frame: Frame | None = None) -> pd.DataFrame:
    """Per risk flag, Cohen's κ of every pair of compared coders."""
    frame = frame or load_frame()
    _, pairwise = coding_sheets.reliability(coding_.compared, frame)
    flags = pairwise[pairwise["field"].isin(frame.flag_keys)]
    return flags.rename(columns={"n": "units"}).reset_index(drop=True)


def disagreement_list(coding_: Coding, frame: Frame | None = None) -> pd.DataFrame:
    """Every (case, field) where the compared coders differ, each coder's value, and the
    adjudicator's where there is one; in the order of the sheets' rows."""
    frame = frame or load_frame()
    dis = coding_sheets.disagreements(coding_.compared, frame)
    if coding_.adjudicator is not None and len(dis):
        judge = coding_.codes[~coding_.codes["coded_by"].isin(coding_.coders)]
        ruling = judge.set_index(["inventory", "case_id", "field"])["value"]
        keys = list(zip(dis["inventory"], dis["case_id"], dis["field"]))
        dis[str(judge["coded_by"].iloc[0])] = [ruling.get(k) for k in keys]
    names = coding_.cases.set_index(["inventory", "case_id"])["name"]
    units = list(zip(dis["inventory"], dis["case_id"]))
    dis.insert(2, "name", [names.get(k) for k in units])
    # in the order of the sheets' rows, then of the fields
    listed = zip(coding_.cases["inventory"], coding_.cases["case_id"])
    position = {unit: i for i, unit in enumerate(listed)}
    order = {f: i for i, f in enumerate(fields(frame))}
    sort = pd.DataFrame(
        {"row": [position.get(u, len(position)) for u in units], "field": dis["field"].map(order)}
    )
    dis = dis.iloc[sort.sort_values(["row", "field"], kind="stable").index].reset_index(drop=True)
    # techniques read and found not stated: said in words, not left blank
    return dis.replace("", NOT_STATED)


def merged(
    coding_: Coding, cases: pd.DataFrame | None = None, frame: Frame | None = None
) -> pd.DataFrame:
    """The canonical table of the coded inventories with the merged codes
    (:func:`analysis.coding_sheets.merge`): agreed values, and the adjudicator's where the
    coders differ. ``cases`` defaults to the bundled inventories named in the sheets."""
    frame = frame or load_frame()
    if cases is None:
        names = sorted(set(coding_.codes["inventory"]))
        unknown = [n for n in names if n not in inventories.available()]
        if unknown:
            raise InputError(
                [
                    Problem(
                        "sheets",
                        None,
                        "inventory",
                        n,
                        "a bundled inventory (or pass the cases to merge into)",
                        "隨附盤點（或指定要合併的案例表）",
                    )
                    for n in unknown
                ]
            )
        cases = coding.cases_for(names, frame) if names else None
    return coding_sheets.merge(cases, coding_.codes, frame, coding_.adjudicator)


def merge_sources(table: pd.DataFrame, frame: Frame | None = None) -> pd.DataFrame:
    """Per field (rows): cases by who coded the merged value (``*_coded_by``, columns;
    ``not_coded`` where no one did)."""
    frame = frame or load_frame()
    counts = {
        f: table[coded_by_column(f, frame)].fillna("not_coded").value_counts()
        for f in fields(frame)
    }
    wide = pd.DataFrame(counts).T.fillna(0).astype(int)
    wide = wide[sorted(wide.columns, key=lambda c: (c == "not_coded", c))]
    return wide.rename_axis("field").reset_index()


def run_label(sheets: str | Path = "") -> str:
    """The name a run's tables carry: the bundled set's, or the sheets folder's."""
    return Path(str(sheets)).name if sheets else BUNDLED_SET
