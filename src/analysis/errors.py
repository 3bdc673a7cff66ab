"""The suite's own error type.

Every problem with an input (a file, a mapping, the frame) is raised as an
:class:`AnalysisError` (or a subclass) whose message names the file, the row as a
spreadsheet user sees it, the column, the value and what was expected, in English and
Traditional Chinese. No other exception type is meant to escape the loaders.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: How a problem's ``unit`` reads in Traditional Chinese (第 N 列, 第 N 筆, 第 N 行).
_UNITS_ZH = {"row": "列", "record": "筆", "line": "行"}


@dataclass(frozen=True)
class Problem:
    """One located problem in an input file."""

    file: str
    row: int | None
    column: str | None
    value: object
    expected: str
    expected_zh: str = ""
    #: what ``row`` counts: a spreadsheet ``row``, a JSON ``record`` or a text ``line``
    unit: str = "row"

    def describe(self) -> str:
        where = [f"file {self.file}"]
        if self.row is not None:
            where.append(f"{self.unit} {self.row}")
        if self.column is not None:  # a JSON record has fields, a table columns
            where.append(f"{'field' if self.unit == 'record' else 'column'} {self.column!r}")
        zh_where = [f"檔案 {self.file}"]
        if self.row is not None:
            zh_where.append(f"第 {self.row} {_UNITS_ZH.get(self.unit, '列')}")
        if self.column is not None:
            zh_where.append(f"欄位「{self.column}」")
        value = "" if self.value is None else f": value {self.value!r}"
        zh_value = "" if self.value is None else f"：值 {self.value!r}"
        zh = self.expected_zh or self.expected
        english = f"{', '.join(where)}{value}; expected {self.expected}"
        return f"{english} / {'，'.join(zh_where)}{zh_value}；應為{zh}"


class AnalysisError(Exception):
    """Base class of every error the suite raises on purpose."""

    def _render_traceback_(self) -> list[str]:
        """What IPython (and so a notebook or papermill) prints instead of a traceback:
        the message, which already says where and what was expected."""
        return f"{type(self).__name__}: {self}".splitlines()


class FrameError(AnalysisError):
    """The coding-frame data file is malformed."""


@dataclass
class InputError(AnalysisError):
    """One or more located problems in an input file or mapping."""

    problems: list[Problem] = field(default_factory=list)
    summary: str = ""

    def __post_init__(self) -> None:
        super().__init__(str(self))

    def __str__(self) -> str:
        head = self.summary or f"{len(self.problems)} problem(s) in input"
        shown = self.problems[:20]
        lines = [head] + ["  - " + p.describe() for p in shown]
        if len(self.problems) > len(shown):
            lines.append(f"  ... and {len(self.problems) - len(shown)} more")
        return "\n".join(lines)


def input_error(file, row, column, value, expected, expected_zh="", summary="") -> InputError:
    """Shorthand for an :class:`InputError` with a single problem."""
    return InputError([Problem(str(file), row, column, value, expected, expected_zh)], summary)


def require_columns(
    file: str, header: list[str], needed: list[str], what: str, what_zh: str
) -> None:
    """Raise one :class:`InputError` listing every column of ``needed`` missing from a
    file's ``header`` (row 1), e.g. ``what`` = "a coding sheet"."""
    missing = [c for c in needed if c not in header]
    if missing:
        raise InputError(
            [
                Problem(file, 1, c, None, f"this column of {what}", f"{what_zh}的此欄位")
                for c in missing
            ],
            f"{file}: not {what}",
        )
