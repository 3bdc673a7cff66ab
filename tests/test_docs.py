"""The documentation: a README that fits on a page, links that resolve, the generated data
dictionary in step with the frame and the real inventories, the static site built offline,
and the licence and citation files."""

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from analysis import canonical, config, inventories
from analysis.dictionary import DICTIONARY_FILE, dictionary_markdown, write_dictionary
from analysis.frame import load_frame

ROOT = config.ROOT
DOCS = ROOT / "docs"
README = ROOT / "README.md"
LINK = re.compile(r"\]\(([^)\s]+)\)")


def _local_links(path: Path) -> list[str]:
    """Targets of the Markdown links in a file, external ones and bare anchors left out."""
    return [t for t in LINK.findall(path.read_text(encoding="utf-8")) if not re.match(r"\w+:|#", t)]


def _section(text: str, heading: str) -> str:
    """The text under a ``## heading``, up to the next one."""
    start = text.index(f"\n## {heading}")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


# -- README ---------------------------------------------------------------------------------
def test_readme_fits_on_a_page():
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 150, f"README.md has {len(lines)} lines; keep it to 150 (move to docs/)"


def test_readme_names_the_two_commands_ci_and_where_to_go():
    text = README.read_text(encoding="utf-8")
    for needed in ("make reports", "make test", "reports/index.html", "docs/index.md"):
        assert needed in text, needed
    assert "CITATION.cff" in text and "LICENSE" in text
    # one installation story: pip from the lock; conda only for those with their own channels
    assert "requirements.lock" in text
    assert text.count("environment.yml") == 1


def test_readme_keeps_the_section_the_mapping_reference_points_to():
    """docs/mapping-format.md sends readers to the README's "Adding an inventory"."""
    assert re.search(r"^#+ Adding an inventory$", README.read_text(encoding="utf-8"), re.M)


@pytest.mark.parametrize(
    "path", [README, *sorted(DOCS.glob("*.md"))], ids=lambda p: p.relative_to(ROOT).as_posix()
)
def test_links_resolve(path):
    for target in _local_links(path):
        file = target.split("#")[0]
        assert (path.parent / file).exists(), f"{path.name}: link to missing {target}"


def test_index_lists_every_page():
    linked = {t.split("#")[0] for t in _local_links(DOCS / "index.md")}
    pages = {p.name for p in DOCS.glob("*.md")} - {"index.md"}
    assert pages <= linked, f"docs/index.md does not link {sorted(pages - linked)}"


def test_site_navigation_lists_every_page():
    nav = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))["nav"]

    def pages(entries):
        for entry in entries:
            for value in entry.values():
                yield from pages(value) if isinstance(value, list) else [value]

    assert set(pages(nav)) == {p.name for p in DOCS.glob("*.md")}


# -- the data dictionary --------------------------------------------------------------------
def test_committed_data_dictionary_is_fresh():
    committed = (DOCS / DICTIONARY_FILE).read_text(encoding="utf-8")
    assert committed == dictionary_markdown(), (
        "docs/data-dictionary.md is stale: run `python -m analysis docs`"
    )


def test_data_dictionary_lists_every_column_and_key_with_both_names():
    frame = load_frame()
    text = dictionary_markdown(frame)
    columns = _section(text, "Columns")
    for column in canonical.canonical_columns(frame):
        assert f"| `{column}` |" in columns, column
    for kind, heading in [
        ("category", "Categories"),
        ("application_type", "Application types"),
        ("flag", "Risk flags"),
        ("technique", "Techniques"),
    ]:
        section = _section(text, heading)
        for key in frame.keys(kind):
            zh, en = frame.label(kind, key, "zh-TW"), frame.label(kind, key, "en")
            assert f"| `{key}` | {zh} | {en} |" in section, (kind, key)
    provenance = _section(text, "Provenance")
    for value in canonical.PROVENANCE_VALUES:
        assert f"| `{value}` |" in provenance, value


def _dictionary_rows(text: str, heading: str) -> dict[str, list[str]]:
    """The rows of the table under a heading, by their first cell (backticks removed)."""
    rows = {}
    for line in _section(text, heading).splitlines():
        if line.startswith("| `"):
            cells = [c.strip() for c in line.strip("|").split(" | ")]
            rows[cells[0].strip("`")] = cells[1:]
    return rows


@pytest.mark.parametrize("name", inventories.available())
def test_data_dictionary_describes_the_real_inventories(name):
    """Every column of a bundled inventory is in the dictionary (canonical or one of its
    extras); a column said never to be blank has no blank; every provenance value used is
    listed."""
    text = dictionary_markdown()
    columns = _dictionary_rows(text, "Columns")
    extras = _dictionary_rows(text, "Extras")
    cases = inventories.load(name).cases
    listed_extras = [] if extras[name][0] == "none" else extras[name][0].split(", ")
    assert list(cases.columns) == list(columns) + [e.strip("`") for e in listed_extras]
    for column, cells in columns.items():
        if cells[2] == "no":  # the "blank" cell
            assert cases[column].notna().all(), (name, column)
    provenance = set(_dictionary_rows(text, "Provenance (coded_by)"))
    for column in canonical.coded_by_columns():
        used = set(cases[column].dropna().astype(str).str.split(":").str[0])
        assert used <= provenance, (name, column, used - provenance)


def test_data_dictionary_is_written_where_asked(tmp_path):
    written = write_dictionary(tmp_path)
    assert written == tmp_path / DICTIONARY_FILE
    assert written.read_text(encoding="utf-8") == dictionary_markdown()


# -- the static site ------------------------------------------------------------------------
RESOURCE = re.compile(r"<(?:script|img|link|source|iframe)\b[^>]*?\b(?:src|href)=\"([^\"]*)\"")
CSS_URL = re.compile(r"url\(\s*['\"]?([^'\")]+)")


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    if shutil.which("mkdocs", path=str(Path(sys.executable).parent)) is None:
        pytest.fail("mkdocs is not installed: pip install -r requirements.lock")
    out = tmp_path_factory.mktemp("site")
    done = subprocess.run(
        [Path(sys.executable).parent / "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, f"mkdocs build --strict failed:\n{done.stderr}"
    return out


def test_site_builds_strictly_with_a_page_per_document(site):
    built = {p.stem for p in site.glob("*.html")} - {"404"}
    assert built == {p.stem for p in DOCS.glob("*.md")}


def _inside(site: Path, base: Path, target: str) -> Path:
    """The file a relative reference points to (a path from ``/`` is from the site's root, as
    the 404 page writes them); fails for a reference to another host."""
    assert not re.match(r"\w+:|//", target), f"{base.name} loads {target} from outside the site"
    path = target.split("?")[0].split("#")[0]
    found = (site / path.lstrip("/") if path.startswith("/") else base.parent / path).resolve()
    assert found.is_relative_to(site.resolve()), f"{base.name}: {target} is outside the site"
    assert found.exists(), f"{base.name}: {target} is missing"
    return found


def test_site_loads_nothing_from_outside_itself(site):
    """Every script, stylesheet, image and font a page or stylesheet loads is a file inside
    the site, and links between pages resolve. Links to other hosts (the theme's credit to
    MkDocs) load nothing and are allowed."""
    for page in site.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        for target in RESOURCE.findall(html):
            _inside(site, page, target)
        for target in re.findall(r"<a\b[^>]*\bhref=\"([^\"#][^\"]*)\"", html):
            if not re.match(r"\w+:|//", target):
                _inside(site, page, target)
    for sheet in site.rglob("*.css"):
        for target in CSS_URL.findall(sheet.read_text(encoding="utf-8")):
            if not target.startswith("data:"):
                _inside(site, sheet, target)


# -- licence and citation -------------------------------------------------------------------
def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_licence_file_matches_the_declared_licence():
    assert _pyproject()["project"]["license"] == {"text": "MIT"}
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License\n")
    assert "Permission is hereby granted, free of charge" in text


def test_citation_file_is_cff_with_the_package_version_and_the_works_it_rests_on():
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert cff["cff-version"] == "1.2.0"
    for key in ("message", "title", "authors"):
        assert cff[key], key
    assert cff["version"] == _pyproject()["project"]["version"]
    assert cff["license"] == "MIT"
    titles = [r["title"] for r in cff["references"]]
    study = yaml.safe_load(config.FRAME_FILE.read_text(encoding="utf-8"))["study"]
    assert study in titles
    assert any(t.startswith("Government by Algorithm") for t in titles)
    for reference in cff["references"]:
        assert reference["type"] and reference["authors"], reference["title"]


def test_every_make_target_is_documented():
    targets = re.findall(r"^([a-z-]+):.*?## ", (ROOT / "Makefile").read_text(), re.M)
    install = (DOCS / "install.md").read_text(encoding="utf-8")
    missing = [t for t in targets if f"`make {t}`" not in install and t != "help"]
    assert not missing, f"docs/install.md does not describe make {missing}"


def test_every_subcommand_is_documented():
    from analysis.cli import build_parser

    commands = re.search(r"\{([a-z,-]+)\}", build_parser().format_help()).group(1).split(",")
    cli = (DOCS / "cli.md").read_text(encoding="utf-8")
    missing = [c for c in commands if f"| `{c}` |" not in cli]
    assert not missing, f"docs/cli.md does not describe {missing}"


def test_data_dictionary_tables_are_rectangular():
    """Every row of each Markdown table of the dictionary has as many cells as its header."""
    for block in dictionary_markdown().split("\n\n"):
        lines = [line for line in block.splitlines() if line.startswith("|")]
        if lines:
            widths = {len(re.split(r"(?<!\\)\|", line)) for line in lines}
            assert len(widths) == 1, lines[0]


def test_architecture_page_names_every_module_of_every_layer():
    from test_architecture import LAYERS

    text = (DOCS / "architecture.md").read_text(encoding="utf-8")
    missing = [m for layer in LAYERS for m in layer if m != "__main__" and f"`{m}`" not in text]
    assert not missing, f"docs/architecture.md does not name {missing}"
