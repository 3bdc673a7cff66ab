"""Report pages that stand alone: every font, script and style inside the page.

* **Font**: each page embeds a subset of Noto Sans TC covering the characters it shows
  (:func:`font_css`), as a WOFF2 ``data:`` URI; subsets are kept in the content-keyed cache
  (:mod:`analysis.cache`, namespace ``font-subset``) by the digest of their character set.
* **Tables**: result tables (``figure.result-table``) and plain notebook tables
  (``table.dataframe``) are marked ``long`` (many rows) or ``wide`` (many columns)
  (:func:`mark_tables`); a page with a long table gets DataTables (the bundle itables ships),
  compressed and inline, which pages, sorts and searches the static table in the browser.
  Without JavaScript, and in print, the whole static table shows.
* **Checks**: :func:`external_references` lists what a page would load from outside itself.
* **PDF**: :func:`pdf` renders a page with WeasyPrint; :func:`bind` joins PDFs into one with
  a bookmark per report; :func:`pdf_reports` does both for a reports folder.
"""

from __future__ import annotations

import base64
import functools
import gzip
import hashlib
import html
import io
import logging
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from . import cache
from .errors import AnalysisError
from .outputs import atomic_write_bytes
from .present import LONG_ROWS, WIDE_COLUMNS

FONT_FAMILY = "Noto Sans TC"
#: Characters every subset holds besides the page's own: printable ASCII and the punctuation
#: reports put around numbers and labels.
BASE_CHARS = (
    "".join(chr(c) for c in range(0x20, 0x7F))
    + "·–—‘’“”…←→↑↓×±≤≥−°§、。，．：；！？（）「」『』《》〈〉【】～"
)
#: Bumped when the subsetting options change (part of the cache key).
SUBSET_VERSION = "1"
CACHE_NAMESPACE = "font-subset"
FONT_STACK = (
    f'"{FONT_FAMILY}", "Noto Sans CJK TC", "PingFang TC", "Microsoft JhengHei", '
    "system-ui, sans-serif"
)
_TEMPLATES = Path(__file__).parent / "templates" / "report"
_SCRIPT_OR_STYLE = re.compile(r"<(script|style)\b[^>]*>.*?</\1\s*>", re.S | re.I)
_TAG = re.compile(r"<[^>]+>")


# -- the font ------------------------------------------------------------------------------
def page_chars(text: str) -> str:
    """The characters a page shows (sorted, without duplicates), plus :data:`BASE_CHARS`:
    its text and attribute values with entities decoded; the content of scripts and styles
    does not count. ``text`` may be HTML or plain text."""
    visible = _SCRIPT_OR_STYLE.sub(" ", text)
    attributes = " ".join(re.findall(r'=\s*"([^"]*)"', visible))
    shown = html.unescape(_TAG.sub(" ", visible) + " " + attributes)
    distinct = set(shown) | set(BASE_CHARS)  # a long page repeats its characters
    return "".join(sorted(c for c in distinct if c.isprintable() or c == " "))


@functools.lru_cache(maxsize=1)
def _font_digest() -> str:
    from .fonts import font_path

    return hashlib.sha256(font_path().read_bytes()).hexdigest()


def _subset_key(chars: str) -> str:
    import fontTools

    recipe = "\0".join((SUBSET_VERSION, fontTools.version, _font_digest(), chars))
    return hashlib.sha256(recipe.encode("utf-8")).hexdigest()


def _subset(chars: str) -> bytes:
    """WOFF2 of Noto Sans TC holding the glyphs of ``chars`` (byte-identical for one set)."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    from .fonts import font_path

    options = subset.Options()
    options.flavor = "woff2"
    options.hinting = False
    options.desubroutinize = True
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6]
    font = TTFont(font_path(), recalcTimestamp=False, lazy=True)
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=chars)
    subsetter.subset(font)
    out = io.BytesIO()
    subset.save_font(font, out, options)
    return out.getvalue()


@functools.lru_cache(maxsize=64)
def font_subset(chars: str) -> bytes:
    """The WOFF2 subset for ``chars``, from the cache when it holds one for this character
    set, font file and fontTools version."""
    key = _subset_key(chars)
    if cache.enabled():
        stored = cache.read(CACHE_NAMESPACE, key)
        if stored is not None:
            return stored
    data = _subset(chars)
    if cache.enabled():
        cache.write(CACHE_NAMESPACE, key, data)
    return data


def font_css(text: str) -> str:
    """A ``<style>`` element embedding the font subset covering ``text`` (a page's HTML or
    its plain text) as a ``data:`` URI, and setting it as the page's font."""
    data = base64.b64encode(font_subset(page_chars(text))).decode("ascii")
    return (
        '<style type="text/css">\n'
        f'@font-face {{ font-family: "{FONT_FAMILY}"; font-weight: 400; font-style: normal;\n'
        f'  src: url("data:font/woff2;base64,{data}") format("woff2"); }}\n'
        f":root {{ --jp-content-font-family: {FONT_STACK};\n"
        "  --jp-ui-font-family: var(--jp-content-font-family); }\n"
        "body, table, th, td, pre, code, figcaption, input, select, button "
        "{ font-family: var(--jp-content-font-family); }\n"
        "</style>\n"
    )


def embedded_fonts(page: str) -> list[bytes]:
    """The fonts a page embeds in ``@font-face`` rules as base64 ``data:`` URIs."""
    found = re.findall(
        r"@font-face\s*{[^}]*?url\(\s*[\"']?data:[^;,]+;base64,([A-Za-z0-9+/=]+)", page
    )
    return [base64.b64decode(b) for b in found]


# -- what a page loads ------------------------------------------------------------------------
#: Attributes through which an element loads something (links ``<a href>`` only navigate).
_LOADING = {
    "script": ("src",),
    "link": ("href",),
    "img": ("src", "srcset"),
    "source": ("src", "srcset"),
    "video": ("src", "poster"),
    "audio": ("src",),
    "track": ("src",),
    "iframe": ("src",),
    "embed": ("src",),
    "object": ("data",),
    "image": ("href", "xlink:href"),
    "use": ("href", "xlink:href"),
    "input": ("src",),
}
_CSS_URL = re.compile(r"""url\(\s*(["']?)(.*?)\1\s*\)|@import\s+(["'])(.*?)\3""", re.I | re.S)


def _inside(target: str) -> bool:
    """Whether a reference is to the page itself: a ``data:`` URI or a ``#fragment``."""
    target = target.strip()
    return target == "" or target.startswith("#") or target.lower().startswith("data:")


class _References(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._in_style = False

    def _css(self, text: str, where: str) -> None:
        for m in _CSS_URL.finditer(text):
            target = m.group(2) if m.group(2) is not None else m.group(4)
            if not _inside(target):
                self.found.append(f"{where}: {target[:200]}")

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if value is None:
                continue
            if name in _LOADING.get(tag, ()):
                targets = [v.split()[0] for v in value.split(",") if v.strip()]
                targets = targets if name == "srcset" else [value]
                self.found += [f"<{tag} {name}> {t[:200]}" for t in targets if not _inside(t)]
            elif name == "style":
                self._css(value, f"<{tag} style>")
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self._css(data, "<style>")


def external_references(page: str) -> list[str]:
    """What ``page`` (HTML) would load from outside itself: every ``src``/``href`` of a
    script, stylesheet, image, font or frame, and every CSS ``url()`` or ``@import``, that
    is not a ``data:`` URI or a ``#fragment`` (a URL, ``//host``, ``../``, an absolute path
    or a file beside the page). Hyperlinks (``<a href>``) are not loads and are not listed.
    Empty for a page that renders the same copied alone anywhere."""
    parser = _References()
    parser.feed(page)
    parser.close()
    return parser.found


# -- tables -----------------------------------------------------------------------------------
_TABLE = re.compile(r"<table\b[^>]*>.*?</table\s*>", re.S | re.I)
_RESULT_FIGURE = re.compile(r'<figure\b[^>]*class="[^"]*\bresult-table\b[^"]*"[^>]*>', re.I)


def _shape(table: str) -> tuple[int, int]:
    """(body rows, columns) of one table's HTML."""
    body = re.search(r"<tbody\b.*?</tbody\s*>", table, re.S | re.I)
    rows = len(re.findall(r"<tr\b", body.group(0) if body else table, re.I))
    first = re.search(r"<tr\b.*?</tr\s*>", table, re.S | re.I)
    cells = re.findall(r"<t[hd]\b([^>]*)>", first.group(0) if first else "", re.I)
    columns = sum(int(m.group(1)) for a in cells for m in [re.search(r'colspan="(\d+)"', a)] if m)
    columns += sum(1 for a in cells if "colspan" not in a)
    return rows, columns


_CELL = re.compile(r"<td(\s[^>]*)?>(.*?)</td\s*>", re.S | re.I)
_NUMBER = re.compile(r"[-+−]?(\d[\d,]*)?\.?\d+(e[-+]?\d+)?%?|nan|NaN|<NA>|[-–—]?|∞", re.I)
#: A cell with more characters than this is text: it keeps a minimum width.
TEXT_CHARS = 12
#: A cell with more characters than this is prose (an explanation): it keeps a wider one.
PROSE_CHARS = 80


def _cell(m: re.Match) -> str:
    """A ``<td>`` with class ``num`` (a number: right-aligned), ``text`` (long text: a
    minimum width) or ``prose`` (a sentence or more: a wider one) when it has no class of
    its own."""
    attrs, content = m.group(1) or "", m.group(2)
    if "class=" in attrs:
        return m.group(0)
    kind = _cell_kind(content)
    return f'<td{attrs} class="{kind}">{content}</td>' if kind else m.group(0)


@functools.lru_cache(maxsize=2**16)
def _cell_kind(content: str) -> str:
    """The class of a cell showing ``content`` (a long table repeats its values)."""
    shown = html.unescape(_TAG.sub("", content)).strip()
    if _NUMBER.fullmatch(shown):
        return "num"
    return "prose" if len(shown) > PROSE_CHARS else "text" if len(shown) > TEXT_CHARS else ""


def _classes(rows: int, columns: int) -> list[str]:
    return (["long"] if rows > LONG_ROWS else []) + (["wide"] if columns > WIDE_COLUMNS else [])


def _add_classes(tag: str, extra: list[str]) -> str:
    """An opening tag with ``extra`` classes added (once each)."""
    m = re.search(r'class="([^"]*)"', tag)
    if not m:
        return tag[:-1].rstrip("/ ") + f' class="{" ".join(extra)}">'
    have = m.group(1).split()
    merged = " ".join(have + [c for c in extra if c not in have])
    return tag[: m.start()] + f'class="{merged}"' + tag[m.end() :]


def mark_tables(page: str) -> tuple[str, int]:
    """The page with its tables marked for the stylesheet and the table script, and how
    many are long. A result table's ``figure.result-table`` gets ``long``/``wide``; a plain
    notebook table (``table.dataframe``) is put in a ``div.table-wrap`` that gets them."""
    out, pos, long_tables = [], 0, 0
    for m in _TABLE.finditer(page):
        table = _CELL.sub(_cell, m.group(0))
        extra = _classes(*_shape(table))
        long_tables += "long" in extra
        before = page[pos : m.start()]
        figure = max(_RESULT_FIGURE.finditer(before), key=lambda f: f.start(), default=None)
        if figure is not None and "</figure" not in before[figure.end() :].lower():
            if extra:
                before = (
                    before[: figure.start()]
                    + _add_classes(figure.group(0), extra)
                    + before[figure.end() :]
                )
            out += [before, table]
        elif re.match(r'<table\b[^>]*class="[^"]*\bdataframe\b', table, re.I):
            wrap = " ".join(["table-wrap", *extra])
            out += [before, f'<div class="{wrap}">', table, "</div>"]
        else:
            out += [before, table]
        pos = m.end()
    out.append(page[pos:])
    return "".join(out), long_tables


@functools.lru_cache(maxsize=1)
@functools.lru_cache(maxsize=1)
def _datatables() -> str:
    """The DataTables bundle of itables (script and stylesheet), gzip-compressed and base64
    encoded, with the script that turns long static tables into paged, sortable ones."""
    import importlib.util

    # found, not imported: importing itables takes 0.8 s (it loads its notebook machinery)
    spec = importlib.util.find_spec("itables")
    if spec is None or not spec.submodule_search_locations:
        raise AnalysisError("itables is not installed: it provides the table script")
    folder = Path(list(spec.submodule_search_locations)[0]) / "html"
    js = gzip.compress((folder / "dt_bundle.js").read_bytes(), mtime=0)
    css = gzip.compress((folder / "dt_bundle.css").read_bytes(), mtime=0)
    script = (_TEMPLATES / "tables.js").read_text(encoding="utf-8")
    return (
        '<script type="application/gzip+base64" id="datatables-js">'
        + base64.b64encode(js).decode("ascii")
        + '</script>\n<script type="application/gzip+base64" id="datatables-css">'
        + base64.b64encode(css).decode("ascii")
        + f"</script>\n<script>\n{script}</script>\n"
    )


# -- the page -------------------------------------------------------------------------------
#: A rendered page of at least this many characters is finished (:func:`finish_page`) once
#: per content: the result is kept in the cache (namespace :data:`PAGES`) by the digest of
#: the page and this module's code, as a figure is drawn once per content.
STORED_PAGE_CHARS = 1_000_000
PAGES = "pages"
#: Finished pages kept (the most recently used): one or two per long report.
PAGES_KEPT = 32


def finished(page: str) -> str:
    """:func:`finish_page` of ``page``, read from the cache when the same page was finished
    before by the same code (a long page takes a second: its cells classed one by one)."""
    if len(page) < STORED_PAGE_CHARS:
        return finish_page(page)
    digest = hashlib.sha256(page.encode("utf-8")).hexdigest()
    return cache.remember_text(
        PAGES, (digest,), lambda: finish_page(page), code=__name__, keep=PAGES_KEPT
    )


def finish_page(page: str) -> str:
    """A rendered report made self-contained and readable: tables marked
    (:func:`mark_tables`), the table script when a table is long, the font subset for
    every character shown (:func:`font_css`)."""
    page, long_tables = mark_tables(page)
    if long_tables:
        page = page.replace("</body>", _datatables() + "</body>", 1)
    return page.replace("</head>", font_css(page) + "</head>", 1)


def html_lang(language: str | None) -> str:
    """The ``<html lang>`` of a report in ``language`` (a notebook's ``language`` parameter):
    ``zh-Hant`` for Traditional Chinese, else ``en``."""
    return "zh-Hant" if str(language or "zh-TW").lower().startswith("zh") else "en"


# -- PDF --------------------------------------------------------------------------------------
def pdf(html_path: Path, pdf_path: Path) -> Path:
    """Render one report page to PDF with WeasyPrint (fonts embedded as subsets; no date in
    the metadata and a fixed identifier, so one page gives the same bytes)."""
    import weasyprint

    # the notebook stylesheet holds rules for the browser WeasyPrint says it ignores
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    html_path, pdf_path = Path(html_path), Path(pdf_path)
    document = weasyprint.HTML(filename=str(html_path), base_url=str(html_path.parent))
    identifier = hashlib.sha256(html_path.read_bytes()).hexdigest()[:32].encode("ascii")
    data = document.write_pdf(pdf_identifier=identifier, optimize_images=False)
    if not data:
        raise AnalysisError(f"{html_path}: WeasyPrint wrote an empty PDF")
    return atomic_write_bytes(pdf_path, data)


def bind(parts: Sequence[tuple[str, Path]], target: Path) -> Path:
    """One PDF of ``parts`` (title, PDF file) in order, with a bookmark per part holding
    that part's own bookmarks."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for title, path in parts:
        writer.append(PdfReader(path), outline_item=title, import_outline=True)
    writer.add_metadata({"/Title": "公部門人工智慧規範架構 · Reports", "/Producer": "pypdf"})
    writer._ID = None  # no random file identifier: one set of parts gives the same bytes
    out = io.BytesIO()
    writer.write(out)
    return atomic_write_bytes(target, out.getvalue())


@dataclass
class PdfOutcome:
    name: str
    status: str  # written | unchanged
    seconds: float
    pages: int


def _state(reports: Path, name: str) -> Path:
    return reports / ".state" / f"{name}.pdf.key"


def _pages(path: Path) -> int:
    from pypdf import PdfReader

    return len(PdfReader(path).pages)


def pdf_reports(
    reports: Path,
    names: Sequence[str],
    titles: dict[str, str] | None = None,
    force: bool = False,
    progress: Callable[[PdfOutcome], None] | None = None,
) -> tuple[list[PdfOutcome], Path | None]:
    """PDF of every report ``<name>.html`` in ``reports`` (``<name>.pdf`` beside it), skipping one
    whose HTML is unchanged since its PDF was written (keyed by the HTML's digest), and the
    bound ``reports.pdf`` of them all in the order of ``names``."""
    reports = Path(reports)
    titles = titles or {}
    outcomes, parts = [], []
    for name in names:
        page = reports / f"{name}.html"
        if not page.exists():
            continue
        target = reports / f"{name}.pdf"
        key = hashlib.sha256(page.read_bytes()).hexdigest()
        state = _state(reports, name)
        start = time.perf_counter()
        if not force and target.exists() and state.exists() and state.read_text() == key:
            status = "unchanged"
        else:
            pdf(page, target)
            atomic_write_bytes(state, key.encode("ascii"))
            status = "written"
        outcome = PdfOutcome(name, status, time.perf_counter() - start, _pages(target))
        outcomes.append(outcome)
        if progress:
            progress(outcome)
        parts.append((titles.get(name) or name, target))
    if not parts:
        return outcomes, None
    return outcomes, bind(parts, reports / "reports.pdf")
