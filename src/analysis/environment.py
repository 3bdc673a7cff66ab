"""The software a result was produced with: recorded at the end of every notebook."""
from __future__ import annotations

import hashlib
import platform
import sys
from functools import lru_cache
from importlib import metadata
from pathlib import Path

import pandas as pd

from . import config

#: Packages whose versions every report records.
RECORDED = ("analysis", "pandas", "numpy", "scipy", "scikit-learn", "statsmodels", "matplotlib", "seaborn",
            "papermill", "nbconvert", "nbval", "kmodes", "stepmix", "prince", "krippendorff", "openpyxl",
            "pyarrow", "pylopdf-fonts-zh-tw")


def package_versions(packages: tuple[str, ...] = RECORDED) -> pd.DataFrame:
    """Python and package versions as a two-column table (package, version)."""
    rows = [{"package": "python", "version": platform.python_version()}]
    for name in packages:
        try:
            version = metadata.version(name)
        except metadata.PackageNotFoundError:
            version = "not installed"
        rows.append({"package": name, "version": version})
    return pd.DataFrame(rows)


def lock_versions(lock_text: str) -> dict[str, str]:
    """``name==version`` lines of a requirements lock file as a dict (names lower-case)."""
    out = {}
    for line in lock_text.splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            out[name.strip().lower().replace("_", "-")] = version.strip()
    return out


def environment_yml(lock_text: str) -> str:
    """environment.yml for conda users: Python from conda, every package at exactly the
    version of requirements.lock (installed by pip inside the environment), then the
    package itself from the checkout."""
    versions = lock_versions(lock_text)
    lines = [
        "# Generated from requirements.lock by `make env-yml` (do not edit): the same pinned versions for conda users.",
        "# conda env create -f environment.yml && conda activate analysis",
        "name: analysis",
        "channels:",
        "  - conda-forge",
        "dependencies:",
        f"  - python={sys.version_info.major}.{sys.version_info.minor}",
        "  - pip",
        "  - pip:",
    ]
    lines += [f"      - {name}=={version}" for name, version in sorted(versions.items())]
    lines.append("      - -e .")
    return "\n".join(lines) + "\n"


def _tree_digest(*folders: Path, suffixes: tuple[str, ...] = ()) -> str:
    digest = hashlib.sha256()
    for folder in folders:
        for p in sorted(folder.rglob("*")):
            if p.is_file() and "__pycache__" not in p.parts and (not suffixes or p.suffix in suffixes):
                digest.update(str(p.relative_to(config.ROOT)).encode())
                digest.update(p.read_bytes())
    return digest.hexdigest()


def inputs_digest() -> str:
    """Digest of everything a result depends on besides its own parameters: package code,
    frame, mappings, frameworks, raw data and the lock file. A cached result keyed by it
    can never be stale."""
    lock = config.ROOT / "requirements.lock"
    return hashlib.sha256((_tree_digest(config.ROOT / "src" / "analysis", suffixes=(".py",))
                           + _tree_digest(config.DATA_DIR)
                           + (hashlib.sha256(lock.read_bytes()).hexdigest() if lock.exists() else "")).encode()
                          ).hexdigest()


@lru_cache(maxsize=1)
def package_digest() -> str:
    """sha256 of the package's Python source, by path within the package, computed once per
    process (the code this process runs: files edited later are not what it runs). Keys of
    cached results include it, so results of other code are never served. Not
    :func:`_tree_digest`, which names files relative to ``config.ROOT``: ``ANALYSIS_ROOT``
    may point that away from the code actually running."""
    package = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for p in sorted(package.rglob("*.py")):
        if "__pycache__" not in p.parts:
            digest.update(p.relative_to(package).as_posix().encode() + b"\0" + p.read_bytes())
    return digest.hexdigest()
