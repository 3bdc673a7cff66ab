"""What a reviewer would catch on a rendered report, checked on its HTML: frame keys where
words belong, Python's ``NaN``/``None``/``True`` in a cell, tables with no rows and no
reason, tables without a caption.

The checks read the page as a browser would see its tables (``<th>``/``<td>`` text); the
tests apply them to every report of a regeneration, and ``analysis check-reports`` prints
them per report.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from .frame import KINDS, Frame, load_frame

#: Cell texts that are Python or pandas spellings of a value, never words for a reader.
PYTHON_WORDS = frozenset({"NaN", "nan", "None", "<NA>", "NaT", "True", "False", "inf", "-inf"})
_SEPARATORS = re.compile(r"\s*[;,]\s*|\s+")


@dataclass
class _Table:
    captioned: bool
    reason: bool = False
    header: list[str] = field(default_factory=list)
    body: list[str] = field(default_factory=list)
    rows: int = 0


class _Tables(HTMLParser):
    """Every ``<table>`` of a page with its cells, whether a ``<figcaption>`` or
    ``<caption>`` belongs to it, and the stated reasons of empty results."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tables: list[_Table] = []
        self.reasons = 0
        self._figure_caption: list[bool] = []
        self._cell: list[str] | None = None
        self._in_head = False
        self._in_reason = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = (attrs.get("class") or "").split()
        if tag == "figure":
            self._figure_caption.append(False)
        elif tag in ("figcaption", "caption") and self._figure_caption:
            self._figure_caption[-1] = True
        elif tag == "table":
            captioned = bool(self._figure_caption and self._figure_caption[-1])
            self.tables.append(_Table(captioned))
        elif tag == "thead":
            self._in_head = True
        elif tag == "tr" and self.tables and not self._in_head:
            self.tables[-1].rows += 1
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "p" and "empty-reason" in classes:
            self.reasons += 1
        if tag == "caption" and self.tables:
            self.tables[-1].captioned = True

    def handle_endtag(self, tag):
        if tag == "figure" and self._figure_caption:
            self._figure_caption.pop()
        elif tag == "thead":
            self._in_head = False
        elif tag in ("td", "th") and self._cell is not None and self.tables:
            text = "".join(self._cell).strip()
            target = self.tables[-1].header if (tag == "th" or self._in_head) else None
            (target if target is not None else self.tables[-1].body).append(text)
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def tables_of(page: str) -> list[_Table]:
    parser = _Tables()
    parser.feed(page)
    return parser.tables


def _key_words(frame: Frame) -> frozenset[str]:
    """Frame keys, snake_case heading keys and the frameworks' level keys."""
    from .governance import load_all

    keys = {k for kind in KINDS for k in frame.keys(kind)}
    levels = {level for fw in load_all(frame) for d in fw.dimensions for level in d.level_keys}
    return frozenset(keys | levels | {k for k in frame.headings if "_" in k})


def frame_keys_shown(page: str, frame: Frame | None = None) -> list[str]:
    """Cells and headings that spell keys instead of their words: a cell whose every part
    (split on ``;``, ``,`` and spaces, ``kind:`` prefixes dropped) is a frame key, a
    snake_case heading key or a framework's level key."""
    words = _key_words(frame or load_frame())
    found = []
    for table in tables_of(page):
        for cell in table.header + table.body:
            parts = [p.split(":")[-1] for p in _SEPARATORS.split(cell) if p]
            if parts and all(p in words for p in parts):
                found.append(cell)
    return found


def python_words(page: str) -> list[str]:
    """Cells that show ``NaN``, ``None``, ``True`` and the like."""
    return [
        cell
        for table in tables_of(page)
        for cell in table.header + table.body
        if cell in PYTHON_WORDS
    ]


def silent_empty_tables(page: str) -> int:
    """Tables with a header and no row (a stated reason replaces the table instead)."""
    return sum(1 for t in tables_of(page) if t.rows == 0)


def uncaptioned_tables(page: str) -> int:
    """Tables no caption explains."""
    return sum(1 for t in tables_of(page) if not t.captioned)


def check_page(page: str, language: str, frame: Frame | None = None) -> dict[str, int]:
    """Counts per check for one page; frame keys count only in a zh-TW page (an English
    page may name a technique ``nlp`` in prose)."""
    frame = frame or load_frame()
    return {
        "frame_keys": len(frame_keys_shown(page, frame)) if language != "en" else 0,
        "python_words": len(python_words(page)),
        "empty_tables": silent_empty_tables(page),
        "uncaptioned_tables": uncaptioned_tables(page),
        "tables": len(tables_of(page)),
    }


def page_language(page: str) -> str:
    """The page's language from ``<html lang>`` (zh-TW when it says zh or nothing)."""
    match = re.search(r"<html[^>]*\blang=\"([^\"]+)\"", page)
    return "en" if match and match.group(1).lower().startswith("en") else "zh-TW"


def check_folder(
    reports: Path, frame: Frame | None = None, languages: dict[str, str] | None = None
) -> dict[str, dict[str, int]]:
    """:func:`check_page` for every report page in ``reports`` (the index left out), in the
    language ``languages`` gives a report (by name), else the one its page declares."""
    frame = frame or load_frame()
    out = {}
    for path in sorted(Path(reports).glob("*.html")):
        if path.name == "index.html":
            continue
        page = path.read_text(encoding="utf-8")
        language = (languages or {}).get(path.stem) or page_language(page)
        out[path.stem] = check_page(page, language, frame)
    return out
