"""The suite's one font: Noto Sans TC from the PyPI package ``pylopdf-fonts-zh-tw``.

Kept apart from :mod:`analysis.figures` so that what only needs the font file (the HTML
renderer embedding a subset of it, :mod:`analysis.render`) does not import matplotlib and
seaborn.
"""

from __future__ import annotations

from pathlib import Path


def font_path() -> Path:
    """Path of the bundled Noto Sans TC font file."""
    import pylopdf_fonts_zh_tw

    return Path(pylopdf_fonts_zh_tw.sans_path())
