"""Result tables as a reader sees them: every heading and value in the report's language.

Analysis functions return tidy tables of keys (``data_governance``, ``True``, ``NaN``);
:func:`show` turns one into a captioned table for a report:

- column headings from the frame's ``headings`` (or its labels, for columns named by a
  category, flag or technique key); a column with a key-like name and no heading is an
  error, so a new column cannot reach a reader as ``snake_case``;
- values: frame keys (alone, ``;``-joined, ``kind:key`` or ``key 12``) as labels, booleans
  as 是/否 or yes/no, missing as ``—`` (explained once per report), numbers to three
  decimals, p- and q-values as ``<0.001`` below that;
- no pandas 0…n index (an index that means something becomes a column);
- a caption saying what a row is and what ``n`` counts;
- a table with no rows is shown as its reason, one sentence in the report's language, and
  refused without one: an empty result never renders silently.

The HTML is a static ``<table>`` (what a PDF and a reader without JavaScript get) inside
``<figure class="result-table">``, marked ``long`` or ``wide`` for the report's styles.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Mapping

import numpy as np
import pandas as pd

from . import config
from .canonical import CACHED_CELLS, each_text_once
from .errors import AnalysisError
from .frame import KINDS, Frame, load_frame

#: Rows above which a table is ``long`` (scrolled, paged and sortable in the report).
LONG_ROWS = 25
#: Columns above which a table is ``wide`` (printed on a landscape page).
WIDE_COLUMNS = 12
#: Rows of a long table a printed page (PDF) shows; the rest are left out, and it says so.
PRINT_ROWS = 50
#: Rows of a table written into the text form of a notebook output (what nbval compares).
TEXT_ROWS = 40
#: Columns whose numbers are p- or q-values (and any column named ``p_value_…``/``q_value_…``).
P_COLUMNS = frozenset({"p_value", "q_value", "p_holm", "p", "q"})
_P_PREFIXES = ("p_value_", "q_value_")
#: Columns whose missing value means "not coded" (said in words, not marked).
CODED_COLUMNS = frozenset({"category", "application_type"})
_KEYLIKE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")
_TOKEN_SEP = re.compile(r"\s*;\s*")
_PREFIXED = re.compile(r"^([a-z][a-z0-9_]*):([a-z0-9_]+)$")
#: Suffixes of canonical column names: ``category_coded_by`` is the category's coder.
_SUFFIXES = ("_as_recorded", "_coded_by", "_confidence")
_KEY_COUNT = re.compile(r"^([a-z][a-z0-9_]*) (\d+)$")

#: Whether this process (one report's kernel) has explained the missing mark yet.
_explained: set[str] = set()


def _text(text: str | tuple[str, str] | Mapping, language: str) -> str:
    """A caption or reason given as one string, a ``(zh, en)`` pair or ``{"zh", "en"}``."""
    if isinstance(text, str):
        return text
    if isinstance(text, Mapping):
        return str(text["en" if language == "en" else "zh"])
    zh, en = text
    return en if language == "en" else zh


def _missing(value: object) -> bool:
    return (
        value is None
        or value is pd.NA
        or value is pd.NaT
        or (isinstance(value, float | np.floating) and math.isnan(value))
    )


def _unescape(escaped: str) -> str:
    """The text a :func:`re.escape`-d pattern matches."""
    return re.sub(r"\\(.)", r"\1", escaped, flags=re.DOTALL)


class Vocabulary:
    """Keys to words for one frame and language: the headings and labels a table uses."""

    def __init__(self, frame: Frame, language: str):
        self.frame, self.language = frame, language
        self.labels: dict[str, str] = {}
        for kind in reversed(KINDS):  # categories win over a same-named technique
            self.labels.update(frame.labels(kind, language))
        self.missing = frame.heading("missing_mark", language)
        self.sep = "; " if language == "en" else "、"
        self._words: dict[str, str | None] = {}  # a long table repeats its values
        self._texts: dict[str, str] = {}
        # the frame's phrases: those without a number looked up as text, the others matched
        self._literal: dict[str, tuple[int, dict[str, str]]] = {}
        self._numbered: list[tuple[int, re.Pattern, dict[str, str]]] = []
        for i, (pattern, words) in enumerate(frame.phrases):
            compiled = re.compile(pattern)  # ^escaped text$, a group where a number goes
            if compiled.groups:
                self._numbered.append((i, compiled, words))
            else:
                self._literal.setdefault(_unescape(pattern[1:-1]), (i, words))

    def heading(self, column: object) -> str:
        if isinstance(column, tuple):
            return " · ".join(self.heading(c) for c in column if str(c) != "")
        col = str(column)
        if col in self.frame.headings:
            return self.frame.heading(col, self.language)
        word = self.word(col)
        if word is not None:
            return word
        if _KEYLIKE.match(col):
            raise AnalysisError(
                f"table column {col!r} has no heading: add it to the headings of "
                f"data/frame/frame.yaml / 欄位 {col!r} 沒有標題：請加入 frame.yaml 的 headings"
            )
        return col

    def word(self, token: str) -> str | None:
        """The word for one key-like token, or None when it is not a known key (each token
        looked up once per vocabulary)."""
        if token not in self._words:
            self._words[token] = self._word(token)
        return self._words[token]

    def _word(self, token: str) -> str | None:
        if token in self.labels:
            return self.labels[token]
        if _KEYLIKE.match(token) and token in self.frame.headings:
            return self.frame.heading(token, self.language)
        return self._prefixed(token) or self._suffixed(token) or self._phrase(token)

    def _prefixed(self, token: str) -> str | None:
        """``category:enforcement`` (a label) or ``prevalence:ethics`` (heading · label)."""
        match = _PREFIXED.match(token)
        if not match or match.group(2) not in self.labels:
            return self._measure_of(token)
        prefix, key = match.groups()
        if prefix in KINDS:
            return self.labels[key]
        if prefix in self.frame.headings:
            return f"{self.frame.heading(prefix, self.language)} · {self.labels[key]}"
        return None

    def _measure_of(self, token: str) -> str | None:
        """``jaccard:annotation``: a heading for the measure, then the word (or the text) of
        what it was measured on."""
        head, _, rest = token.partition(":")
        if not rest or head not in self.frame.headings:
            return None
        return f"{self.frame.heading(head, self.language)} · {self.word(rest) or rest}"

    def _suffixed(self, token: str) -> str | None:
        """``category_coded_by``: the word for ``category`` with the suffix's word."""
        for suffix in _SUFFIXES:
            base = token.removesuffix(suffix)
            word = self.word(base) if base != token else None
            if word is not None:
                return f"{word}（{self.frame.heading(suffix[1:], self.language)}）"
        return None

    def _phrase(self, token: str) -> str | None:
        """The first phrase of the frame's ``phrases`` that ``token`` is (numbers carried
        over)."""
        text = token.removesuffix("\n")  # as a pattern's $ lets one final newline through
        first, words = self._literal.get(text, (len(self.frame.phrases), None))
        numbers: tuple = ()
        for i, pattern, numbered in self._numbered:
            if i > first:
                break
            match = pattern.match(token)
            if match:
                words, numbers = numbered, match.groups()
                break
        if words is None:
            return None
        word = words["en" if self.language == "en" else "zh"]
        for number in numbers:
            word = word.replace("{n}", number, 1)
        return word

    def value(self, value: object, column: str = "") -> str:
        if column in CODED_COLUMNS and _missing(value):
            return self.frame.heading("not_coded", self.language)
        if value is None or value is pd.NA or value is pd.NaT:
            return self.missing
        if isinstance(value, bool | np.bool_):
            return self.frame.heading("true" if value else "false", self.language)
        if isinstance(value, int | np.integer):
            return str(int(value))
        if isinstance(value, float | np.floating):
            return self.number(float(value), column)
        text = str(value)
        if not text.strip():
            return ""
        specific = f"{column}_{text}"  # a word for this column's value, e.g. na_policy_drop
        if specific in self.frame.headings:
            return self.frame.heading(specific, self.language)
        return self.keys(text)

    def number(self, value: float, column: str) -> str:
        if math.isnan(value):
            return self.missing
        if math.isinf(value):
            return "∞" if value > 0 else "−∞"
        if column in P_COLUMNS or column.startswith(_P_PREFIXES):
            return "<0.001" if value < 0.001 else f"{value:.3f}"
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return f"{value:.3f}"

    def keys(self, text: str) -> str:
        """``text`` with frame keys as words when the whole text is keys: one key, keys
        joined by ``;``, ``kind:key`` or ``key count`` parts; any other text as it is (each
        text read once per vocabulary)."""
        if text not in self._texts:
            self._texts[text] = self._keys(text)
        return self._texts[text]

    def _keys(self, text: str) -> str:
        parts = _TOKEN_SEP.split(text.strip())
        words = []
        for part in parts:
            word = self.word(part)
            if word is None:
                counted = _KEY_COUNT.match(part)
                if counted and self.word(counted.group(1)) is not None:
                    word = f"{self.word(counted.group(1))} {counted.group(2)}"
            if word is None:
                return text
            words.append(word)
        return self.sep.join(words)


_VOCABULARIES: dict[tuple[int, str], Vocabulary] = {}


def vocabulary(frame: Frame, language: str) -> Vocabulary:
    """The :class:`Vocabulary` of ``frame`` (a frozen frame) and ``language``, made once per
    process: building one compiles the frame's phrases, and a report shows a dozen tables."""
    found = _VOCABULARIES.get((id(frame), language))
    if found is None or found.frame is not frame:
        found = _VOCABULARIES[(id(frame), language)] = Vocabulary(frame, language)
    return found


def reader_table(
    table: pd.DataFrame, frame: Frame | None = None, language: str = config.DEFAULT_LANGUAGE
) -> pd.DataFrame:
    """``table`` as text in ``language``: headings, labels, marks and formatted numbers (see
    the module's description). An index that is not a plain 0…n range becomes columns."""
    vocab = vocabulary(frame or load_frame(), language)
    out = table
    named = any(n is not None for n in out.index.names)
    if named or not pd.api.types.is_integer_dtype(out.index.dtype):
        # an index that means something (labels, or named) is shown as columns
        out = out.rename_axis([n if n is not None else "" for n in out.index.names])
        out = out.reset_index()
    columns = [c if not isinstance(c, tuple) else c for c in out.columns]
    keys = ["" if isinstance(c, tuple) else str(c) for c in columns]
    body = {
        i: each_text_once(out.iloc[:, i].tolist(), lambda v, key=key: vocab.value(v, key))
        for i, key in enumerate(keys)
    }
    result = pd.DataFrame(body)
    result.columns = [vocab.heading(c) for c in columns]
    return result


#: Cache namespace of long tables' HTML (:func:`table_html`), and how many are kept.
TABLE_HTML = "table-html"
TABLE_HTML_KEPT = 64


def table_html(table: pd.DataFrame) -> str:
    """A shown table's HTML, rows beyond :data:`PRINT_ROWS` marked as left out of print. A
    table of :data:`analysis.canonical.CACHED_CELLS` cells or more is written once per
    content (pandas takes a third of a second for 25,000 cells; digesting them, a hundredth)
    and kept in the cache by the table's content and this module's code."""

    def build() -> str:
        return _print_rows(table.to_html(index=False, border=0, classes="data", escape=True))

    if table.size < CACHED_CELLS:
        return build()
    from . import cache

    return cache.remember_text(TABLE_HTML, (table,), build, code=__name__, keep=TABLE_HTML_KEPT)


def _print_rows(table_html: str) -> str:
    """Mark the body rows after the first :data:`PRINT_ROWS` as left out of print."""
    head, sep, body = table_html.partition("<tbody>")
    parts = body.split("<tr>")
    marked = parts[: PRINT_ROWS + 1]
    rest = parts[PRINT_ROWS + 1 :]
    return (
        head
        + sep
        + "<tr>".join(marked)
        + "".join('<tr class="beyond-print">' + part for part in rest)
    )


class Shown:
    """A captioned table (or its stated reason) for a notebook's output: HTML for the
    report, text for a terminal and for nbval."""

    def __init__(
        self,
        caption: str,
        table: pd.DataFrame | None,
        reason: str,
        note: str,
        print_note: str = "",
    ):
        self.caption, self.table, self.reason, self.note = caption, table, reason, note
        self.print_note = print_note

    def _classes(self) -> str:
        classes = ["result-table"]
        if self.table is not None and len(self.table) > LONG_ROWS:
            classes.append("long")
        if self.table is not None and self.table.shape[1] > WIDE_COLUMNS:
            classes.append("wide")
        if self.table is None:
            classes.append("empty")
        return " ".join(classes)

    def _repr_html_(self) -> str:
        caption = html.escape(self.caption)
        if self.note:
            caption += f' <span class="note">{html.escape(self.note)}</span>'
        if self.table is None:
            body = f'<p class="empty-reason">{html.escape(self.reason)}</p>'
        else:
            rows = len(self.table)
            table = table_html(self.table)
            body = f'<div class="table-wrap" data-rows="{rows}">{table}</div>'
            if rows > PRINT_ROWS:
                body += f'<p class="print-only">{html.escape(self.print_note)}</p>'
        return (
            f'<figure class="{self._classes()}"><figcaption>{caption}</figcaption>{body}</figure>'
        )

    def __repr__(self) -> str:
        lines = [self.caption + (f" {self.note}" if self.note else "")]
        if self.table is None:
            lines.append(self.reason)
        else:
            shown = self.table.head(TEXT_ROWS)
            lines.append(shown.to_string(index=False))
            if len(self.table) > TEXT_ROWS:
                lines.append(f"… {len(self.table) - TEXT_ROWS} more rows")
        return "\n".join(lines)


def show(
    table: pd.DataFrame,
    caption: str | tuple[str, str],
    language: str = config.DEFAULT_LANGUAGE,
    frame: Frame | None = None,
    empty: str | tuple[str, str] | None = None,
) -> Shown:
    """A result table for a report: ``caption`` says what a row is and what ``n`` counts
    (a string, or a ``(zh, en)`` pair picked by ``language``); ``empty`` is the sentence shown
    instead of a table with no rows (``table.attrs["empty"]`` is used when not given).

    Raises :class:`~analysis.errors.AnalysisError` for a table with no rows and no reason,
    and for a key-like column with no heading in the frame.
    """
    frame = frame or load_frame()
    text = _text(caption, language)
    if table is None or len(table) == 0:
        reason = (
            empty
            if empty is not None
            else (table.attrs.get("empty") if table is not None else None)
        )
        if not reason:
            raise AnalysisError(
                f"table {text!r} has no rows and no stated reason: pass empty= "
                f"/ 表格「{text}」沒有資料列，也未說明原因"
            )
        return Shown(text, None, _text(reason, language), "")
    shown = reader_table(table, frame, language)
    vocab_missing = frame.heading("missing_mark", language)
    note = ""
    if language not in _explained and shown.isin([vocab_missing]).to_numpy().any():
        note = frame.heading("missing_note", language)
        _explained.add(language)
    print_note = frame.heading("print_rows_note", language).format(
        shown=PRINT_ROWS, total=len(shown)
    )
    return Shown(text, shown, "", note, print_note)


def software_versions(language: str = config.DEFAULT_LANGUAGE, frame: Frame | None = None) -> Shown:
    """The last table of every report: the commit, inputs digest and package versions it
    was made from (:func:`~analysis.environment.package_versions`)."""
    from .environment import package_versions

    return show(
        package_versions(),
        (
            "本報告所依據的 git commit、輸入摘要（程式、資料、筆記本與鎖定檔）及套件版本。",
            "The git commit, inputs digest (code, data, notebooks, lock file) and package "
            "versions this report was made from.",
        ),
        language,
        frame,
    )


def note(text: str | tuple[str, str], language: str = config.DEFAULT_LANGUAGE):
    """A one-sentence statement in ``language`` (a section's result when there is nothing
    to tabulate), as Markdown."""
    from IPython.display import Markdown

    return Markdown(f'<p class="empty-reason">{html.escape(_text(text, language))}</p>')


def load_counts(
    names: str | list[str], language: str = config.DEFAULT_LANGUAGE, frame: Frame | None = None
) -> Shown:
    """The first table of a report: rows read, kept and rejected by the load of each
    inventory it uses (:func:`analysis.inventories.accounting`)."""
    from .inventories import accounting as rows

    return show(
        rows(names, frame),
        (
            "每列為一份盤點：讀入、保留與拒收的列數（讀入 = 保留 + 拒收）。",
            "One row per inventory: rows read, kept and rejected (read = kept + rejected).",
        ),
        language,
        frame,
    )
