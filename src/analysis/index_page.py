"""``reports/index.html`` shaped like the study: the key findings first, then the study's
tables, which risks co-occur, risk profiles, how well cases were coded, governance
placement and the inventories. Each report is a card with its title, one or two headline
numbers read from the tables it wrote, a thumbnail of one of its figures, links to every
table, figure (PNG and SVG), workbook and PDF it wrote, and where it came from.

A report's files are found by the prefix its notebook gives their names
(:func:`file_patterns`); its section by its notebook's number (:data:`SECTION_OF`).
The page loads nothing from outside itself: the font is embedded, thumbnails are inlined.
"""

from __future__ import annotations

import base64
import fnmatch
import hashlib
import html
import io
import json
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pandas as pd

from . import cache, config
from .environment import SHOWN_DIGEST
from .findings import measure_text, percent_text
from .frame import Frame, load_frame
from .outputs import atomic_write_bytes, atomic_write_text
from .parameters import declared, output_name

#: The index's sections in the study's order: key, zh-TW and English heading.
SECTIONS = (
    ("findings", "主要發現", "Key findings"),
    ("tables", "研究節錄案例表", "The study's tables"),
    ("cooccurrence", "風險共現", "Which risks co-occur (overall, by category, by technique)"),
    ("profiles", "風險輪廓", "Risk profiles"),
    ("coding", "編碼品質", "How well cases were coded"),
    ("governance", "治理框架定位", "Governance placement"),
    ("inventories", "盤點概況", "The inventories"),
)
#: The section of a report, by the number its notebook's name starts with.
SECTION_OF = {
    "06": "findings",
    "01": "tables",
    "02": "cooccurrence",
    "03": "profiles",
    "04": "coding",
    "07": "coding",
    "05": "governance",
    "00": "inventories",
}
#: The figure a card shows as its thumbnail, by the end of the figure's name (first found).
THUMB_PREFERENCE = {
    "06": ("_prevalence",),
    "01": ("_category_flag_heatmap",),
    "02": ("_pairs_jaccard", "_network"),
    "03": ("_profile_heatmap", "_criteria"),
    "04": ("_confusion_model", "_learning_curve"),
    "05": ("_governance_matrix",),
    "00": ("_profile_flag_status",),
}
THUMB_WIDTH = 320
#: Every text of the page that is not a frame label (zh-TW, en).
TEXTS = {
    "title": ("公部門人工智慧規範架構 · 報告", "Public-sector AI governance framework — reports"),
    "intro": (
        "由隨附盤點資料以 <code>make reports</code> 重新產生的報告。每份報告是執行後去除程式碼的"
        "筆記本；旁邊的 <code>&lt;報告&gt;.provenance.json</code> 記錄其 git commit（"
        "<code>+changes</code>：輸入與該 commit 不同）、輸入摘要、參數與套件版本。",
        "Reports regenerated from the bundled inventories by <code>make reports</code>. Each "
        "is a notebook rendered without its code; <code>&lt;report&gt;.provenance.json</code> "
        "records the commit (<code>+changes</code>: the inputs differed from it), the inputs "
        "digest, the parameters and the package versions it was made from.",
    ),
    "tables": ("表格", "Tables"),
    "figures": ("圖", "Figures"),
    "workbooks": ("查核表活頁簿", "Workbooks"),
    "pdf": ("PDF 版", "PDF"),
    "not_run": ("尚未產生", "not generated yet"),
    "no_files": ("此報告沒有寫出檔案", "this report wrote no files"),
    "section_files": ("本節共用檔案", "Files of this section"),
    "loads": ("載入報告（標準化、拒收列）", "Load reports (standardization, rejected rows)"),
    "coded": (
        "編碼後盤點（CSV；<code>*_coded_by</code> 與 <code>*_confidence</code> 說明編碼者與信心）",
        "Coded inventories (CSV; <code>*_coded_by</code> and <code>*_confidence</code> say by "
        "which coder, how sure)",
    ),
    "benchmarks": ("效能量測", "Benchmarks"),
    "other": ("其他報告", "Other reports"),
    "contents": ("目錄", "Contents"),
    # headlines
    "cases": ("{n} 件案例", "{n} cases"),
    "reported_range": (
        "{k}/{m} 項風險有案例報告（各 {low}–{high} 件）",
        "{k} of {m} risks reported ({low}–{high} cases each)",
    ),
    "no_flags": ("沒有案例報告任何風險", "no case reports any risk"),
    "most_ticked": (
        "最常勾選：{label} {yes}/{n}（{share}）",
        "most ticked: {label} {yes}/{n} ({share})",
    ),
    "strongest": (
        "最強共現：{a} × {b}，Jaccard {j}（{count}/{n} 件）",
        "strongest pair: {a} × {b}, Jaccard {j} ({count} of {n} cases)",
    ),
    "clusters": ("選定 k = {k}，輪廓係數 {s}", "chosen k = {k}, silhouette {s}"),
    "coder": (
        "{target}：{coder} {metric} {value} [{low}, {high}]（{n} 件），標準 {goal}",
        "{target}: {coder} {metric} {value} [{low}, {high}] ({n} cases), target {goal}",
    ),
    "agreement": (
        "編碼者一致性：AI應用類型 α {category}、應用類型 α {type}；不一致 {n} 處",
        "Agreement between coders: category α {category}, application type α {type}; "
        "{n} disagreements",
    ),
    "tier": (
        "{framework}：最高定位「{level}」{count}/{n} 件（{share}）",
        "{framework}: highest placement “{level}”, {count} of {n} ({share})",
    ),
    "undetermined": ("無法判定 {count}/{n} 件（{share}）", "undetermined {count} of {n} ({share})"),
    "finding": (
        "{inventory}最強配對：{a} × {b}，Jaccard {j} [{lo}, {hi}]",
        "{inventory}, strongest pair: {a} × {b}, Jaccard {j} [{lo}, {hi}]",
    ),
    "differ": (
        "{k}/{m} 項風險的盛行率在各盤點間不同（q < 0.05）",
        "{k} of {m} risks differ in prevalence between inventories (q < 0.05)",
    ),
}
STYLE = """
<style>
body { margin: 0 auto; max-width: 72rem; padding: 0 1rem 3rem; line-height: 1.5;
  color: #1a1a1a; }
h1 { font-size: 1.6rem; margin: 1.2rem 0 0.4rem; }
h2 { font-size: 1.25rem; border-bottom: 2px solid #0072B2; margin-top: 2rem; }
nav ol { padding-left: 1.2rem; columns: 2; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(20rem, 1fr));
  gap: 1rem; }
.card { border: 1px solid #d0d0d0; border-radius: 6px; padding: 0.8rem; background: #fff;
  display: flex; flex-direction: column; gap: 0.4rem; min-width: 0; }
.card h3 { font-size: 1.02rem; margin: 0; }
.card img { width: 100%; height: auto; border: 1px solid #eee; }
.headline { font-size: 0.95rem; margin: 0; padding-left: 1.1rem; }
.headline li { margin: 0.1rem 0; }
.files { font-size: 0.82rem; overflow-wrap: anywhere; }
.files summary { cursor: pointer; }
.files ul { padding-left: 1.1rem; margin: 0.2rem 0; }
.provenance { font-size: 0.72rem; color: #555; overflow-wrap: anywhere; }
.missing { color: #a00; }
ul.plain { font-size: 0.88rem; overflow-wrap: anywhere; }
@media (max-width: 40rem) { nav ol { columns: 1; } .cards { grid-template-columns: 1fr; } }
</style>
"""


def _text(key: str, language: str = "zh-TW", **fmt) -> str:
    """The zh-TW or English text of ``TEXTS[key]`` with ``fmt`` filled in."""
    zh, en = TEXTS[key]
    return (en if language == "en" else zh).format(**fmt)


def both(key: str) -> str:
    """The zh-TW and English text of ``key`` joined by a middle dot."""
    return f"{_text(key, 'zh-TW')} · {_text(key, 'en')}"


# -- which files belong to a report ----------------------------------------------------------
@lru_cache(maxsize=32)
def _defaults(path: str, mtime: float) -> dict:
    return {p.name: p.default for p in declared(path)}


def parameters(job) -> dict:
    """A job's parameters over its notebook's defaults (the ``parameters`` cell)."""
    path = Path(job.notebook)
    return {**_defaults(str(path), path.stat().st_mtime), **job.parameters}


def notebook_number(job) -> str:
    return Path(job.notebook).name[:2]


def file_patterns(job) -> list[str]:
    """Globs of the names (without extension) of the tables and figures a report writes,
    from the prefix its notebook builds; empty for a notebook this module does not know."""
    p = parameters(job)
    language = p.get("language", config.DEFAULT_LANGUAGE)
    number = notebook_number(job)
    inventory = output_name(p.get("inventory", ""))
    if number == "00":
        return [f"{inventory}-{language}_profile_*"]
    if number == "01":
        base = f"{inventory}-{language}"
        return [
            f"{base}_{part}"
            for part in ("coded_cases", "cases_by_category", "ticks_by_flag", "category_flag*")
        ]
    if number == "02":
        return [f"{inventory}-{p['na_policy']}-{language}_*"]
    if number == "03":
        return [f"{inventory}-{p['method']}-{language}_*"]
    if number == "04":
        return [f"auto-coding-{p['coded_inventory']}-{language}_*"]
    if number == "05":
        return [f"{p['inventory']}-{language}_governance_*"]
    if number == "06":
        return [f"key-findings-{language}_*"]
    if number == "07":
        from .human_coding import run_label

        return [f"human-coding-{run_label(p.get('sheets', ''))}-{language}_*"]
    return []


@dataclass
class Files:
    """What one report wrote: tables (CSV), workbooks (XLSX), figures (PNG, SVG)."""

    tables: list[Path] = field(default_factory=list)
    workbooks: list[Path] = field(default_factory=list)
    figures: list[Path] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.tables or self.workbooks or self.figures)

    def table(self, suffix: str) -> Path | None:
        """The table whose name ends with ``suffix`` (first in name order), or None."""
        return next((p for p in self.tables if p.stem.endswith(suffix)), None)


def report_files(job, tables: list[Path], figures: list[Path]) -> Files:
    """The files among ``tables`` (reports/tables/*) and ``figures`` (figures/*) whose names
    match the report's :func:`file_patterns`."""
    patterns = file_patterns(job)

    def mine(path: Path) -> bool:
        return any(fnmatch.fnmatchcase(path.stem, pattern) for pattern in patterns)

    return Files(
        tables=[p for p in tables if p.suffix == ".csv" and mine(p)],
        workbooks=[p for p in tables if p.suffix == ".xlsx" and mine(p)],
        figures=[p for p in figures if p.suffix in (".png", ".svg") and mine(p)],
    )


# -- headline numbers ------------------------------------------------------------------------
def _read(path: Path | None, frame: Frame) -> pd.DataFrame | None:
    """A result table with its columns back to keys (headings of either language read as
    the key they label)."""
    if path is None or not path.exists():
        return None
    table = pd.read_csv(path, encoding="utf-8-sig")
    back = {}
    for key, words in frame.headings.items():
        for word in words.values():
            back.setdefault(word, key)
    table.columns = [c if c in frame.headings else back.get(c, c) for c in table.columns]
    return table


def _label(value: object, kind: str, frame: Frame, language: str) -> str:
    """A frame key as its label; a label already is one."""
    value = str(value)
    return frame.label(kind, value, language) if value in frame.keys(kind) else value


def _headline_00(files: Files, p: dict, frame: Frame, language: str) -> list[str]:
    flags = _read(files.table("_profile_flags"), frame)
    if flags is None or flags.empty:
        return []
    cases = int(flags[["yes", "no", "not_reported"]].iloc[0].sum())
    reported = flags[flags["n"] > 0]
    if reported.empty:
        return [_text("cases", language, n=f"{cases:,}"), _text("no_flags", language)]
    counts = {"k": len(reported), "m": len(flags)}
    low, high = f"{reported['n'].min():,}", f"{reported['n'].max():,}"
    return [
        _text("cases", language, n=f"{cases:,}"),
        _text("reported_range", language, low=low, high=high, **counts),
    ]


def _headline_01(files: Files, p: dict, frame: Frame, language: str) -> list[str]:
    flags = _read(files.table("_ticks_by_flag"), frame)
    if flags is None or flags.empty:
        return []
    cases = int(flags[["yes", "no", "not_reported"]].iloc[0].sum())
    top = flags.sort_values("yes", ascending=False, kind="stable").iloc[0]
    return [
        _text("cases", language, n=f"{cases:,}"),
        _text(
            "most_ticked",
            language,
            label=_label(top["flag"], "flag", frame, language),
            yes=int(top["yes"]),
            n=int(top["n"]),
            share=percent_text(top["yes"] / top["n"]),
        ),
    ]


def _headline_02(files: Files, p: dict, frame: Frame, language: str) -> list[str]:
    pairs = _read(files.table("_pairs"), frame)
    if pairs is None or pairs.empty:
        return []
    pairs = pairs[(pairs["flag_a"] != pairs["flag_b"]) & pairs["jaccard"].notna()]
    if pairs.empty:
        return []
    top = pairs.sort_values(["jaccard", "count"], ascending=False, kind="stable").iloc[0]
    return [
        _text(
            "strongest",
            language,
            a=_label(top["flag_a"], "flag", frame, language),
            b=_label(top["flag_b"], "flag", frame, language),
            j=measure_text(top["jaccard"]),
            count=int(top["count"]),
            n=int(top["n"]),
        )
    ]


def _headline_03(files: Files, p: dict, frame: Frame, language: str) -> list[str]:
    criteria = _read(files.table("_criteria"), frame)
    if criteria is None or criteria.empty:
        return []
    chosen = criteria[criteria["chosen"].astype(str).str.lower() == "true"]
    if chosen.empty:
        return []
    row = chosen.iloc[0]
    return [_text("clusters", language, k=int(row["k"]), s=measure_text(row["silhouette"]))]


def _headline_04(files: Files, p: dict, frame: Frame, language: str) -> list[str]:
    verdict = _read(files.table("_verdict"), frame)
    if verdict is None or verdict.empty:
        return []
    rows = verdict[verdict["target"] == p.get("target")]
    row = (rows if not rows.empty else verdict).iloc[0]
    target = str(row["target"])
    if target in frame.headings:
        target = frame.heading(target, language)
    else:
        target = _label(target, "flag", frame, language)
    metric = {"macro_f1": "macro-F1", "kappa": "κ"}.get(str(row["metric"]), str(row["metric"]))
    return [
        _text(
            "coder",
            language,
            target=target,
            coder=row["coder"],
            metric=metric,
            value=measure_text(row["value"]),
            low=measure_text(row["low"]),
            high=measure_text(row["high"]),
            goal=row["goal"],
            n=int(row["n"]),
        )
    ]


def _headline_05(files: Files, p: dict, frame: Frame, language: str) -> list[str]:
    from . import governance

    name = p.get("framework", "eu_ai_act")
    table = _read(files.table(f"_governance_{name}_by_category"), frame)
    if table is None or table.empty:
        return []
    chosen = governance.load_framework(name, frame)
    dimension = p.get("dimension", "tier")
    by_level = table.groupby("placement", sort=False)["cases"].sum()
    total = int(by_level.sum())
    levels = [lv for lv in chosen.dimension(dimension).level_keys if by_level.get(lv, 0) > 0]
    if total == 0:
        return []
    lines = []
    if levels:
        top = levels[0]
        lines.append(
            _text(
                "tier",
                language,
                framework=chosen.name(language),
                level=chosen.label(dimension, top, language),
                count=int(by_level[top]),
                n=total,
                share=percent_text(by_level[top] / total),
            )
        )
    undetermined = int(by_level.get("undetermined", 0))
    lines.append(
        _text(
            "undetermined",
            language,
            count=undetermined,
            n=total,
            share=percent_text(undetermined / total),
        )
    )
    return lines


def _headline_06(files: Files, p: dict, frame: Frame, language: str) -> list[str]:
    from .findings import inventory_label

    lines = []
    chosen = _read(files.table("_strongest_weakest"), frame)
    if chosen is not None and not chosen.empty:
        row = chosen[chosen["rank"] == "strongest"].iloc[0]
        lines.append(
            _text(
                "finding",
                language,
                inventory=inventory_label(row["inventory"], language, frame),
                a=_label(row["flag_a"], "flag", frame, language),
                b=_label(row["flag_b"], "flag", frame, language),
                j=measure_text(row["jaccard"]),
                lo=measure_text(row["jaccard_low"]),
                hi=measure_text(row["jaccard_high"]),
            )
        )
    tests = _read(files.table("_prevalence_tests"), frame)
    if tests is not None and not tests.empty:
        lines.append(
            _text("differ", language, k=int((tests["q_value"] < 0.05).sum()), m=len(tests))
        )
    return lines


def _headline_07(files: Files, p: dict, frame: Frame, language: str) -> list[str]:
    alpha = _read(files.table("_alpha_by_field"), frame)
    disagreements = _read(files.table("_disagreements"), frame)
    if alpha is None or alpha.empty or disagreements is None:
        return []
    by_field = alpha.set_index("field")["alpha"]
    return [
        _text(
            "agreement",
            language,
            category=measure_text(by_field.get("category")),
            type=measure_text(by_field.get("application_type")),
            n=len(disagreements),
        )
    ]


_HEADLINES = {
    "00": _headline_00,
    "01": _headline_01,
    "02": _headline_02,
    "03": _headline_03,
    "04": _headline_04,
    "05": _headline_05,
    "06": _headline_06,
    "07": _headline_07,
}


def headline(job, files: Files, frame: Frame | None = None) -> list[str]:
    """One or two sentences of numbers from the tables a report wrote (empty when it wrote
    none of the tables they come from)."""
    frame = frame or load_frame()
    reader = _HEADLINES.get(notebook_number(job))
    if reader is None:
        return []
    p = parameters(job)
    return reader(files, p, frame, p.get("language", config.DEFAULT_LANGUAGE))


# -- thumbnails ------------------------------------------------------------------------------
def thumbnail_source(job, files: Files) -> Path | None:
    """The PNG a card shows: the first preferred kind of figure, else the first PNG."""
    pngs = [p for p in files.figures if p.suffix == ".png"]
    for ending in THUMB_PREFERENCE.get(notebook_number(job), ()):
        found = [p for p in pngs if p.stem.endswith(ending)]
        if found:
            return found[0]
    return pngs[0] if pngs else None


#: The cache's namespace of thumbnails (:func:`thumbnail`).
THUMB_NAMESPACE = "thumbnails"


def thumbnail(source: Path, target: Path) -> bytes:
    """A :data:`THUMB_WIDTH` px wide PNG of ``source`` written to ``target``; returns its
    bytes. Shrunk once per content of ``source`` and kept in the cache (a figure drawn again
    the same, as every forced run and every new output folder draws it, is not shrunk
    again); ``target`` is rewritten only when its bytes change."""
    data = source.read_bytes()
    small = cache.remember(
        THUMB_NAMESPACE,
        (hashlib.sha256(data).hexdigest(), THUMB_WIDTH),
        lambda: _shrunk(data),
        encode=bytes,
        decode=bytes,
        code=__name__,
    )
    if not target.exists() or target.read_bytes() != small:
        atomic_write_bytes(target, small)
    return small


def _shrunk(png: bytes) -> bytes:
    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        image = image.convert("RGB")
        height = max(1, round(image.height * THUMB_WIDTH / image.width))
        small = image.resize((THUMB_WIDTH, height), Image.Resampling.LANCZOS)
        small = small.quantize(colors=128, method=Image.Quantize.MEDIANCUT, dither=0)
        buffer = io.BytesIO()
        small.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


# -- the page --------------------------------------------------------------------------------
def _link(path: Path, base: Path, label: str | None = None) -> str:
    href = html.escape(Path(os.path.relpath(path, base)).as_posix())
    return f'<a href="{href}">{html.escape(label or path.name)}</a>'


def _read_provenance(reports: Path, name: str) -> dict | None:
    try:
        return json.loads((reports / f"{name}.provenance.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _file_list(files: Files, reports: Path) -> str:
    groups = []
    if files.tables:
        groups.append((both("tables"), [_link(p, reports) for p in files.tables]))
    if files.workbooks:
        groups.append((both("workbooks"), [_link(p, reports) for p in files.workbooks]))
    pngs = [p for p in files.figures if p.suffix == ".png"]
    if pngs:
        items = []
        for png in pngs:
            svg = png.with_suffix(".svg")
            extra = f" · {_link(svg, reports, 'SVG')}" if svg in files.figures else ""
            items.append(f"{_link(png, reports, png.stem)} ({_link(png, reports, 'PNG')}{extra})")
        groups.append((both("figures"), items))
    return "".join(
        f'<details class="files"><summary>{title} ({len(items)})</summary><ul>'
        + "".join(f"<li>{item}</li>" for item in items)
        + "</ul></details>"
        for title, items in groups
    )


def card(job, reports: Path, files: Files, lines: list[str], thumb: bytes | None) -> str:
    """One report's card."""
    name = html.escape(job.name)
    title = html.escape(job.title or job.name)
    present = (reports / f"{job.name}.html").exists()
    heading = f'<a href="{name}.html">{title}</a>' if present else title
    parts = [f'<article class="card" id="{name}"><h3>{heading}</h3>']
    if not present:
        parts.append(f'<p class="missing">{both("not_run")}</p>')
    if lines:
        parts.append(
            '<ul class="headline">' + "".join(f"<li>{html.escape(s)}</li>" for s in lines) + "</ul>"
        )
    if thumb:
        data = base64.b64encode(thumb).decode("ascii")
        alt = html.escape(job.title or job.name)
        parts.append(
            f'<a href="{name}.html"><img src="data:image/png;base64,{data}" alt="{alt}" '
            f'width="{THUMB_WIDTH}" loading="lazy"></a>'
        )
    pdf = reports / f"{job.name}.pdf"
    if pdf.exists():
        parts.append(f'<p class="files">{_link(pdf, reports, both("pdf"))}</p>')
    parts.append(_file_list(files, reports) if files else "")
    record = _read_provenance(reports, job.name)
    if record:
        commit = html.escape(str(record.get("commit", "unknown")))
        digest = html.escape(str(record.get("inputs_digest", ""))[:SHOWN_DIGEST])
        parts.append(
            f'<p class="provenance">{html.escape(job.describe())} · commit <code>{commit}</code>'
            f" · inputs <code>{digest}</code>"
            f' (<a href="{name}.provenance.json">provenance</a>)</p>'
        )
    parts.append("</article>")
    return "".join(parts)


def _plain_list(paths: list[Path], base: Path) -> str:
    return '<ul class="plain">' + "".join(f"<li>{_link(p, base)}</li>" for p in paths) + "</ul>"


def _inventory_files(reports: Path, shared: list[Path]) -> str:
    """The load reports, coded inventories and tables no one report claims."""
    standard = sorted(reports.glob("standardization-*.md")) + sorted(reports.glob("rejected-*.csv"))
    coded = sorted(reports.glob("coded-*.csv"))
    parts = []
    for title, paths in (
        (both("loads"), standard),
        (_text("coded"), coded),
        (both("section_files"), shared),
    ):
        if paths:
            parts.append(f"<h3>{title}</h3>{_plain_list(paths, reports)}")
    return "".join(parts)


def write_index(jobs: list, reports: Path, figures: Path) -> Path:
    """Write ``reports/index.html`` for ``jobs`` (see the module docstring)."""
    frame = load_frame()
    reports, figures = Path(reports), Path(figures)
    tables = sorted((reports / "tables").glob("*.csv")) + sorted(
        (reports / "tables").glob("*.xlsx")
    )
    figure_files = sorted(figures.glob("*.png")) + sorted(figures.glob("*.svg"))
    by_section: dict[str, list[str]] = {key: [] for key, _, _ in SECTIONS}
    by_section["other"] = []
    claimed: set[Path] = set()
    for job in jobs:
        files = report_files(job, tables, figure_files)
        claimed.update(files.tables + files.workbooks + files.figures)
        if not (reports / f"{job.name}.html").exists() and not files:
            continue
        source = thumbnail_source(job, files)
        thumb = thumbnail(source, reports / "thumbs" / f"{job.name}.png") if source else None
        section = SECTION_OF.get(notebook_number(job), "other")
        by_section[section].append(card(job, reports, files, headline(job, files, frame), thumb))
    shared = [p for p in tables if p not in claimed]
    body = [f"<h1>{both('title')}</h1>", f"<p>{_text('intro', 'zh-TW')}</p>"]
    body.append(f"<p>{_text('intro', 'en')}</p>")
    contents = [(key, f"{zh} · {en}") for key, zh, en in SECTIONS if by_section[key]]
    body.append(
        f"<nav><h2>{both('contents')}</h2><ol>"
        + "".join(f'<li><a href="#{k}">{html.escape(t)}</a></li>' for k, t in contents)
        + "</ol></nav>"
    )
    for key, zh, en in SECTIONS:
        if not by_section[key]:
            continue
        body.append(f'<section id="{key}"><h2>{html.escape(zh)} · {html.escape(en)}</h2>')
        body.append('<div class="cards">' + "".join(by_section[key]) + "</div>")
        if key == "inventories":
            body.append(_inventory_files(reports, shared))
        body.append("</section>")
    if by_section["other"]:
        body.append(f'<section id="other"><h2>{both("other")}</h2><div class="cards">')
        body.append("".join(by_section["other"]) + "</div></section>")
    benchmarks = sorted(reports.glob("benchmarks*.*"))
    if benchmarks:
        body.append(f"<h2>{both('benchmarks')}</h2>{_plain_list(benchmarks, reports)}")
    content = "\n".join(body)
    page = (
        '<!DOCTYPE html>\n<html lang="zh-Hant"><head><meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(both('title'))}</title>\n"
        f"{_font_css(content)}{STYLE}</head><body>\n{content}\n</body></html>\n"
    )
    return atomic_write_text(reports / "index.html", page)


def _font_css(content: str) -> str:
    from . import render

    return render.font_css(content)
