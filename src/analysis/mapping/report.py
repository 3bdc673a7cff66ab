"""What a load did: the :class:`StandardizationReport` (rows read, kept and rejected, every
recoding, every unmapped value, the crosswalk rules), the :class:`LoadResult` that carries
it with the cases, and the :class:`LoadLog` that records recodings and problems while one
raw file is mapped."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .. import canonical
from ..errors import Problem
from ..frame import NO, NOT_REPORTED, YES, Frame


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
    duplicates: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["file", "key", "rows", "count"])
    )
    outcomes: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["field", "value", "rows"])
    )

    def __post_init__(self) -> None:
        if self.rows_read != self.rows_kept + self.rows_rejected:
            raise AssertionError("rows read must equal rows kept + rows rejected")

    def counts(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "inventory": [self.inventory],
                "rows_read": [self.rows_read],
                "rows_kept": [self.rows_kept],
                "rows_rejected": [self.rows_rejected],
            }
        )

    def to_markdown(self) -> str:
        parts = [
            f"# Standardization report: {self.inventory}\n",
            f"Mapping: `{self.mapping}`\n",
            f"Rows read: {self.rows_read}; kept: {self.rows_kept}; "
            f"rejected: {self.rows_rejected}.\n",
            "## Files\n",
            markdown_table(self.files),
            "## Crosswalk rules\n",
            markdown_table(self.rules),
            "## Recodings applied\n",
            markdown_table(self.recodings),
            "## Values left unmapped\n",
            markdown_table(self.unmapped),
            "## Rejected rows\n",
            markdown_table(self.rejected),
            "## Repeated native keys (reported, rows kept)\n",
            markdown_table(self.duplicates),
            "## Coded values in the kept cases\n",
            markdown_table(self.outcomes),
        ]
        if self.notes:
            parts += ["## Notes\n", "".join(f"- {n}\n" for n in self.notes)]
        return "\n".join(parts)


def markdown_table(df: pd.DataFrame) -> str:
    """A table as Markdown; ``_none_`` when it has no rows."""
    if df.empty:
        return "_none_\n"
    shown = df.copy()
    for c in shown.columns:
        shown[c] = shown[c].map(
            lambda v: "" if pd.isna(v) else str(v).replace("|", "\\|").replace("\n", "\\n")
        )
    head = "| " + " | ".join(shown.columns) + " |\n|" + "---|" * len(shown.columns) + "\n"
    return head + "".join("| " + " | ".join(r) + " |\n" for r in shown.itertuples(index=False))


@dataclass
class LoadResult:
    cases: pd.DataFrame
    report: StandardizationReport
    rejected_rows: pd.DataFrame  # the native cells of every rejected row


def is_blank(value: object) -> bool:
    return (
        value is None
        or value is pd.NA
        or (isinstance(value, float) and np.isnan(value))
        or value == ""
    )


class LoadLog:
    """Recodings, unmapped values, notes and per-row problems recorded while one raw file
    is mapped (``rows``: the spreadsheet row number, or JSON record number, of each record)."""

    def __init__(self, file: str, rows: np.ndarray, unit: str = "row"):
        self.file = file
        self.rows = rows
        self.unit = unit  # "record" for a JSON file
        self.recodings: list[dict] = []
        self.unmapped: list[dict] = []
        self.problems: list[Problem] = []
        self.notes: list[str] = []

    def recode(
        self, field_name: str, column: str, native: pd.Series, canonical_values: pd.Series
    ) -> None:
        """Record every native value the field changed, with its row count."""
        pairs = pd.DataFrame(
            {"native": native.astype(object), "canonical": canonical_values.astype(object)}
        )
        pairs = pairs[pairs["native"].map(lambda v: v != "")]
        if pairs.empty:
            return
        pairs["canonical"] = pairs["canonical"].map(
            lambda v: "<not reported>" if is_blank(v) else str(v)
        )
        changed = pairs[pairs["native"].astype(str) != pairs["canonical"]]
        for (nat, can), n in changed.groupby(["native", "canonical"], sort=True).size().items():
            self.recodings.append(
                {
                    "field": field_name,
                    "column": column,
                    "native": nat,
                    "canonical": can,
                    "rows": int(n),
                }
            )

    def problem(self, positions, column: str, value: object, expected: str, zh: str) -> None:
        """A problem on each record at ``positions`` (0-based, in file order)."""
        for pos in positions:
            self.problems.append(
                Problem(self.file, int(self.rows[pos]), column, value, expected, zh, self.unit)
            )


def outcomes(cases: pd.DataFrame, frame: Frame) -> pd.DataFrame:
    """Counts of every coded value in a canonical table: category, application type, each
    technique, each flag (yes / no / not reported). Not-coded values are counted too."""
    rows = []
    for name in canonical.CLOSED_FIELDS:
        counts = cases[name].value_counts(dropna=False)
        for key in frame.keys(name) + [pd.NA]:
            n = int(counts.get(key, 0)) if not pd.isna(key) else int(cases[name].isna().sum())
            if n:
                rows.append(
                    {"field": name, "value": "<not coded>" if pd.isna(key) else key, "rows": n}
                )
    lists = canonical.technique_lists(cases)
    for key in frame.technique_keys:
        n = sum(key in ks for ks in lists)
        if n:
            rows.append({"field": "techniques", "value": key, "rows": n})
    rows.append(
        {
            "field": "techniques",
            "value": "<not reported>",
            "rows": int(cases["techniques"].isna().sum()),
        }
    )
    for key in frame.flag_keys:
        col = cases[key]
        for value, n in (
            (YES, int((col == True).sum())),
            (NO, int((col == False).sum())),  # noqa: E712
            (NOT_REPORTED, int(col.isna().sum())),
        ):
            rows.append({"field": key, "value": value, "rows": n})
    return pd.DataFrame(rows, columns=["field", "value", "rows"])


def summed(records: list[dict], keys: list[str]) -> pd.DataFrame:
    """Rows of identical keys (from several files) added up; sorted for stable output."""
    order = [k for k in keys if k != "action"] + ["rows"] + [k for k in keys if k == "action"]
    table = pd.DataFrame(records, columns=keys + ["rows"])
    if table.empty:
        return table[order]
    table = table.astype({k: str for k in keys})
    return table.groupby(keys, sort=True, as_index=False)["rows"].sum()[order]
