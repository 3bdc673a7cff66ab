"""Screenshot every report page in headless Chromium, full height, and print each height.

    .venv/bin/python scripts/screenshots.py [FOLDER] [--out DIR] [--width 1280] [--phone]

FOLDER holds the report pages (default: reports/ of the project or ANALYSIS_OUTPUT_DIR);
screenshots go to DIR (default /tmp/report-screenshots) as <report>-<width>.png.
``--phone`` adds a pass at 390 px wide. Each page's height is measured first (a copy of the
page that writes its scroll height into the DOM, read back with ``--dump-dom``), then the
page is captured at that height (at most ``--max-height`` px: Chromium cannot capture more
at once). Needs Chromium (``/usr/bin/chromium`` or ``CHROMIUM``); exits 2 without it.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

PHONE_WIDTH = 390
#: How long the page's scripts may run (virtual time) before it is measured or captured.
SCRIPT_MS = "5000"
_MEASURE = (
    "<script>window.addEventListener('load', function () { setTimeout(function () {"
    " document.body.setAttribute('data-page-height',"
    " Math.ceil(document.documentElement.scrollHeight)); }, 500); });</script>"
)


def chromium() -> str:
    """The Chromium executable, or exit 2 naming what was looked for."""
    found = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(found).is_file():
        sys.exit(
            f"error: Chromium not found (looked for $CHROMIUM, chromium on PATH and {found}); "
            "install it (apt-get install chromium) or set CHROMIUM to its path"
        )
    return found


def _run(browser: str, args: list[str]) -> str:
    command = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"]
    done = subprocess.run(
        command + [f"--virtual-time-budget={SCRIPT_MS}", *args],
        capture_output=True,
        text=True,
        timeout=180,
    )
    if done.returncode != 0:
        raise RuntimeError(f"chromium {' '.join(args[-2:])} failed: {done.stderr[-500:]}")
    return done.stdout


def page_height(browser: str, page: Path, width: int) -> int:
    """The page's full height in CSS px at ``width`` (scripts run first)."""
    text = page.read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory(prefix="measure-") as tmp:
        copy = Path(tmp) / page.name
        copy.write_text(text.replace("</body>", _MEASURE + "</body>", 1), encoding="utf-8")
        dom = _run(browser, [f"--window-size={width},900", "--dump-dom", copy.as_uri()])
    m = re.search(r'data-page-height="(\d+)"', dom)
    if not m:
        raise RuntimeError(f"{page}: could not measure the page height")
    return int(m.group(1))


def screenshot(browser: str, page: Path, target: Path, width: int, height: int) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    _run(
        browser,
        [f"--window-size={width},{height}", f"--screenshot={target}", page.resolve().as_uri()],
    )
    if not target.exists():
        raise RuntimeError(f"{page}: chromium wrote no screenshot to {target}")


def default_folder() -> Path:
    root = Path(os.environ.get("ANALYSIS_OUTPUT_DIR", Path(__file__).resolve().parents[1]))
    return root / "reports"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", nargs="?", type=Path, default=None, help="report pages")
    parser.add_argument("--out", type=Path, default=Path("/tmp/report-screenshots"))
    parser.add_argument("--width", type=int, default=1280, help="desktop width in px")
    parser.add_argument("--phone", action="store_true", help=f"also at {PHONE_WIDTH} px wide")
    parser.add_argument("--max-height", type=int, default=16000, help="cap on a capture, px")
    parser.add_argument("--only", action="append", help="report name (repeatable)")
    args = parser.parse_args(argv)
    browser = chromium()
    folder = args.folder or default_folder()
    pages = sorted(folder.glob("*.html"))
    if args.only:
        pages = [p for p in pages if p.stem in set(args.only)]
    if not pages:
        print(f"error: no report pages (*.html) in {folder}", file=sys.stderr)
        return 2
    widths = [args.width] + ([PHONE_WIDTH] if args.phone else [])
    heights = []
    for page in pages:
        for width in widths:
            height = page_height(browser, page, width)
            shot = min(height, args.max_height)
            target = args.out / f"{page.stem}-{width}.png"
            screenshot(browser, page, target, width, shot)
            cut = f" (captured {shot})" if shot < height else ""
            print(f"{page.stem}\t{width} px wide\t{height} px high{cut}\t{target}", flush=True)
            heights.append((height, page.stem, width))
    tallest = sorted(heights, reverse=True)[:3]
    print("tallest: " + ", ".join(f"{name} at {w} px: {h} px" for h, name, w in tallest))
    return 0


if __name__ == "__main__":
    sys.exit(main())
