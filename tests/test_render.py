"""Report pages stand alone (font, scripts, styles inside), read well, and print to PDF."""

from __future__ import annotations

import base64
import gzip
import io
import os
import re
import shutil
import stat
import subprocess
import sys
import unicodedata
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont
from pypdf import PdfReader

from analysis import inventories, pipeline, render

pytestmark = pytest.mark.slow


def _umask_mode() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """The study's tables report (zh-TW) as ``make reports`` makes it, and its PDF."""
    out = tmp_path_factory.mktemp("render")
    job = next(j for j in pipeline.load_plan() if j.name == "study-tables")
    outcomes = pipeline.run([job], out, progress=False, workers=1)
    assert [o.status for o in outcomes] == ["executed"], outcomes[0].error
    reports = out / "reports"
    page = reports / f"{job.name}.html"
    pdf = render.pdf(page, reports / f"{job.name}.pdf")
    return job, page, pdf


class _Text(HTMLParser):
    """The characters a browser shows: text outside scripts and styles."""

    def __init__(self):
        super().__init__()
        self.parts, self.skip = [], 0

    def handle_starttag(self, tag, attrs):
        self.skip += tag in ("script", "style")

    def handle_endtag(self, tag):
        self.skip -= tag in ("script", "style") and self.skip > 0

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def _cjk(text: str) -> set[str]:
    return {c for c in text if unicodedata.name(c, "").startswith(("CJK", "FULLWIDTH"))}


def test_a_report_loads_nothing_from_outside_itself(rendered):
    _, page, _ = rendered
    text = page.read_text(encoding="utf-8")
    assert render.external_references(text) == []
    assert "assets/" not in text and not (page.parent / "assets").exists()
    # the check finds each kind of outside reference planted in the same page
    planted = text.replace(
        "</head>",
        '<script src="https://cdn.example.org/x.js"></script>'
        '<link rel="stylesheet" href="../style.css">'
        "<style>@font-face { font-family: X; src: url(assets/f.otf); }"
        " @import '//fonts.example.org/css';</style></head>",
        1,
    ).replace("</body>", '<img src="/srv/figure.png"><img srcset="a.png 1x, data:x 2x"></body>')
    found = render.external_references(planted)
    for target in (
        "https://cdn.example.org/x.js",
        "../style.css",
        "assets/f.otf",
        "//fonts.example.org/css",
        "/srv/figure.png",
        "a.png",
    ):
        assert any(target in f for f in found), (target, found)
    assert not any("data:x" in f for f in found)


def test_a_report_copied_alone_refers_to_no_file_beside_it(rendered, tmp_path):
    _, page, _ = rendered
    alone = tmp_path / "mailed" / page.name
    alone.parent.mkdir()
    shutil.copyfile(page, alone)
    text = alone.read_text(encoding="utf-8")
    assert render.external_references(text) == []
    beside = {p.name for p in page.parent.rglob("*") if p.is_file() and p != page}
    beside.discard("index.html")  # linked to, never loaded
    targets = re.findall(r'(?:src|href)\s*=\s*"([^"#][^"]*)"', text)
    assert [t for t in targets if not t.startswith("data:")] == ["index.html"]  # the back link
    assert not any(name in t for t in targets for name in beside)


def test_the_embedded_font_covers_every_chinese_character_shown(rendered):
    _, page, _ = rendered
    text = page.read_text(encoding="utf-8")
    fonts = render.embedded_fonts(text)
    assert len(fonts) == 1
    font = TTFont(io.BytesIO(fonts[0]))
    assert font.flavor == "woff2"
    covered = {chr(c) for c in font.getBestCmap()}
    parser = _Text()
    parser.feed(text)
    shown = _cjk("".join(parser.parts))
    assert {"研", "究", "節", "錄", "案", "例", "表", "風", "險"} <= shown
    assert shown - covered == set()
    # a subset, not the whole font: far fewer glyphs than Noto Sans TC's ~65,000
    assert len(covered) < 2000 and len(fonts[0]) < 500_000


def test_the_page_says_its_language_links_back_and_fits_a_phone(rendered):
    _, page, _ = rendered
    text = page.read_text(encoding="utf-8")
    assert re.search(r'<html lang="zh-Hant">', text)
    assert re.search(r'<meta (?=[^>]*name="viewport")(?=[^>]*content="width=device-width)', text)
    assert re.search(r'<a href="index.html">← 報告索引 · Reports index</a>', text)
    assert "@media print" in text and "@page wide" in text


def test_the_pdf_holds_the_reports_chinese_title_as_text(rendered):
    job, _, pdf = rendered
    reader = PdfReader(pdf)
    assert len(reader.pages) > 0
    chinese_title = job.title.split(" · ")[0]
    assert _cjk(chinese_title)
    first = re.sub(r"\s+", "", reader.pages[0].extract_text())
    assert re.sub(r"\s+", "", chinese_title) in first


def test_pdfs_are_the_same_bytes_each_time_and_bind_with_a_bookmark_each(rendered, tmp_path):
    job, page, pdf = rendered
    again = render.pdf(page, tmp_path / "again.pdf")
    assert again.read_bytes() == pdf.read_bytes()
    bound = render.bind([("第一份", pdf), ("second", again)], tmp_path / "bound.pdf")
    reader = PdfReader(bound)
    assert len(reader.pages) == 2 * len(PdfReader(pdf).pages)
    top = [item.title for item in reader.outline if not isinstance(item, list)]
    assert top == ["第一份", "second"]
    assert render.bind([("第一份", pdf), ("second", again)], tmp_path / "b2.pdf").read_bytes() == (
        bound.read_bytes()
    )


def test_report_files_are_readable_by_others(rendered):
    _, page, pdf = rendered
    for path in (page, pdf):
        assert stat.S_IMODE(path.stat().st_mode) == _umask_mode(), path


def test_pdf_reports_skips_unchanged_pages_and_binds_them_in_order(rendered):
    job, page, _ = rendered
    reports = page.parent
    first, bound = render.pdf_reports(reports, [job.name], {job.name: job.title})
    assert bound == reports / "reports.pdf" and len(PdfReader(bound).pages) == first[0].pages
    second, _ = render.pdf_reports(reports, [job.name], {job.name: job.title})
    assert second[0].status == "unchanged"
    outline = PdfReader(bound).outline
    assert outline[0].title == job.title and isinstance(outline[1], list)  # its own headings


def test_long_tables_scroll_page_and_sort_on_screen_and_print_whole(tmp_path):
    cases = inventories.load("taiwan-public").cases
    assert len(cases) > render.LONG_ROWS
    table = cases[["case_id", "name", "agency", "category"]].to_html(classes="dataframe")
    page = (
        "<!DOCTYPE html><html><head><title>t</title></head><body>"
        f"<h1>臺灣公部門</h1>{table}</body></html>"
    )
    done = render.finish_page(page)
    assert '<div class="table-wrap long">' in done
    assert 'id="datatables-js"' in done and render.external_references(done) == []
    # every row is still in the static table (what print and a browser without scripts show)
    assert done.count("<tr") == page.count("<tr") == len(cases) + 1
    assert cases["name"].iloc[-1] in done
    # a short table gets no script
    short = render.finish_page(page.replace(table, cases.head(3).to_html()))
    assert "datatables-js" not in short and "table-wrap long" not in short
    # the script is itables' bundle as shipped, read without importing itables (0.8 s)
    held = re.search(r'<script type="application/gzip\+base64" id="datatables-js">([^<]*)', done)
    code = (
        "import sys; from analysis import render; "
        "render.finish_page(sys.stdin.read()); print('itables' in sys.modules)"
    )
    ran = subprocess.run(
        [sys.executable, "-c", code], input=page, capture_output=True, text=True, check=True
    )
    assert ran.stdout.strip() == "False"
    import itables

    bundle = Path(itables.__file__).parent / "html" / "dt_bundle.js"
    assert gzip.decompress(base64.b64decode(held.group(1))) == bundle.read_bytes()


def test_a_long_page_is_finished_once_per_content(tmp_path, monkeypatch):
    from analysis import cache

    monkeypatch.setenv("ANALYSIS_CACHE_DIR", str(tmp_path / "cache"))  # a cache of its own
    cases = inventories.load("us-federal-2024").cases
    table = cases[["case_id", "name", "agency", "description"]].to_html(classes="dataframe")
    page = f"<!DOCTYPE html><html><head><title>t</title></head><body>{table}</body></html>"
    assert len(page) >= render.STORED_PAGE_CHARS
    expected = render.finish_page(page)
    stored = cache.folder(render.PAGES)
    assert render.finished(page) == expected  # finished, and kept
    assert len(list(stored.glob(f"*{cache.SUFFIX}"))) == 1
    assert render.finished(page) == expected  # read back
    other = page.replace("</body>", "<p>臺灣</p></body>")
    assert render.finished(other) == render.finish_page(other) != expected
    assert len(list(stored.glob(f"*{cache.SUFFIX}"))) == 2
    short = "<!DOCTYPE html><html><head></head><body><p>a</p></body></html>"
    assert render.finished(short) == render.finish_page(short)
    assert len(list(stored.glob(f"*{cache.SUFFIX}"))) == 2  # a short page is not kept
