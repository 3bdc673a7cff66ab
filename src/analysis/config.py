"""Paths, seeds and defaults: defined once, read everywhere.

The project root is the checkout this package was installed from (``pip install -e .``).
``ANALYSIS_ROOT`` overrides it; ``ANALYSIS_OUTPUT_DIR`` redirects every generated file
(tables, figures, reports, and the cache unless ``ANALYSIS_CACHE_DIR`` says otherwise) to
another folder, which is how tests and parallel runs keep their outputs apart.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(os.environ.get("ANALYSIS_ROOT", Path(__file__).resolve().parents[2]))

DATA_DIR = ROOT / "data"
FRAME_FILE = DATA_DIR / "frame" / "frame.yaml"
RAW_DIR = DATA_DIR / "raw"
MANIFEST_FILE = RAW_DIR / "MANIFEST.tsv"
INVENTORIES_DIR = DATA_DIR / "inventories"
FRAMEWORKS_DIR = DATA_DIR / "frameworks"
PROMPTS_DIR = DATA_DIR / "prompts"
NOTEBOOKS_DIR = ROOT / "notebooks"

#: Seed for every random draw in the suite (resampling, clustering, synthetic data).
SEED = 20250101
#: Output language of tables and figures: "zh-TW" or "en".
DEFAULT_LANGUAGE = "zh-TW"
LANGUAGES = ("zh-TW", "en")
#: Inventory used when a notebook is not told otherwise.
DEFAULT_INVENTORY = "study"
#: Suffix naming an inventory whose uncoded fields are filled by the best measured coder
#: (``taiwan-public-coded``).
CODED_SUFFIX = "-coded"
#: Suffix naming an inventory with its adjudicated annotation as reference labels
#: (``taiwan-public-annotated``; see :mod:`analysis.annotations`).
ANNOTATED_SUFFIX = "-annotated"
#: What "good enough to analyse" means for automatic codes (per field, on reference labels
#: the coder never trained on): macro-F1 for a category or application type, Cohen's κ for
#: a risk flag or a technique.
TARGET_MACRO_F1 = 0.75
TARGET_KAPPA = 0.6
#: The coders a case can be coded by (:mod:`analysis.coders`): rules, a trained model, an LLM.
CODERS = ("rules", "model", "llm")
#: Bootstrap resamples behind every interval of a coder's score.
N_BOOT = 2000
#: Hash salt and metadata that make SVG/PNG bytes identical across runs.
SVG_HASHSALT = "analysis"
FIGURE_DPI = 300


def output_root() -> Path:
    """Folder under which ``reports/`` and ``figures/`` are written."""
    return Path(os.environ.get("ANALYSIS_OUTPUT_DIR", ROOT))


def reports_dir() -> Path:
    return output_root() / "reports"


def tables_dir() -> Path:
    return reports_dir() / "tables"


def figures_dir() -> Path:
    return output_root() / "figures"


def cache_dir() -> Path:
    """Derived data kept between runs (parsed and coded inventories, stored computations,
    LLM answers); safe to delete. ``ANALYSIS_CACHE_DIR`` moves it (runs writing to different
    output folders may share one cache: every entry is keyed by its inputs' content)."""
    return Path(os.environ.get("ANALYSIS_CACHE_DIR", output_root() / ".cache"))
