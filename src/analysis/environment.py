"""Where a result comes from: the commit and inputs it was made from and the software it was
made with, recorded at the end of every notebook and beside every rendered report."""

from __future__ import annotations

import ast
import contextlib
import hashlib
import json
import os
import platform
import subprocess
import sys
from functools import cache, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from . import config

if TYPE_CHECKING:
    import pandas as pd

#: Packages whose versions every report records.
RECORDED = (
    "analysis",
    "pandas",
    "numpy",
    "scipy",
    "scikit-learn",
    "statsmodels",
    "matplotlib",
    "seaborn",
    "papermill",
    "nbconvert",
    "nbval",
    "kmodes",
    "stepmix",
    "prince",
    "krippendorff",
    "openpyxl",
    "pyarrow",
    "pylopdf-fonts-zh-tw",
)
#: What a report is made from, relative to the checkout: the digest covers these and a commit
#: is marked ``+changes`` when any of them differs from it.
INPUT_PATHS = ("src", "data", "notebooks", "requirements.lock")
#: Hex digits of the inputs digest shown in tables and the index (the records hold all 64).
SHOWN_DIGEST = 16


def versions(packages: tuple[str, ...] = RECORDED) -> dict[str, str]:
    """Python's version, then each package's (``not installed`` when it is not)."""
    from importlib import metadata  # 70 ms, and needed only where no run stamp is given

    out = {"python": platform.python_version()}
    for name in packages:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


#: Environment variable holding a run's stamp (:func:`run_stamp`), set by the pipeline for
#: the notebooks it runs so that each reads what the run computed once.
STAMP_ENV = "ANALYSIS_RUN_STAMP"


def run_stamp() -> tuple[str, str, dict[str, str]]:
    """``(commit, inputs digest, versions)`` a result is made from (:func:`git_commit`,
    :func:`inputs_digest`, :func:`versions`): the run's, when the pipeline has put them in
    :data:`STAMP_ENV` (the same as its provenance records), else computed now."""
    text = os.environ.get(STAMP_ENV, "")
    if text:
        try:
            commit, digest, found = json.loads(text)
        except (ValueError, TypeError):
            pass
        else:
            if isinstance(commit, str) and isinstance(digest, str) and isinstance(found, dict):
                return commit, digest, found
    return stamp_now()


def stamp_now() -> tuple[str, str, dict[str, str]]:
    """``(commit, inputs digest, versions)`` worked out now (what a run hands its notebooks
    through :func:`stamped`)."""
    return git_commit(), inputs_digest(), versions()


@contextlib.contextmanager
def stamped(stamp: tuple[str, str, dict[str, str]]):
    """:data:`STAMP_ENV` set to ``stamp`` while the block runs (for the processes it starts),
    then restored."""
    saved = os.environ.get(STAMP_ENV)
    os.environ[STAMP_ENV] = json.dumps(list(stamp))
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop(STAMP_ENV, None)
        else:
            os.environ[STAMP_ENV] = saved


def package_versions(packages: tuple[str, ...] = RECORDED) -> pd.DataFrame:
    """What a result was made from, as a two-column table (package, version): the git commit
    and the inputs digest (:func:`run_stamp`; the digest's first :data:`SHOWN_DIGEST` hex
    digits), then the Python and package versions."""
    commit, digest, found = run_stamp()
    if packages != RECORDED or set(found) != {"python", *RECORDED}:
        found = versions(packages)
    rows = [
        {"package": "git commit", "version": commit},
        {"package": "inputs digest", "version": digest[:SHOWN_DIGEST]},
    ]
    rows += [{"package": name, "version": version} for name, version in found.items()]
    import pandas as pd  # here, not at the top: a rerun that finds nothing to do needs no pandas

    return pd.DataFrame(rows)


def _git(root: Path, *args: str) -> str | None:
    """Output of one git command in ``root``; None when git is missing or the command fails.
    ``--no-optional-locks``: reading the status of a checkout never writes its index, so
    notebooks running side by side do not contend for it."""
    try:
        done = subprocess.run(
            ["git", "--no-optional-locks", "-C", str(root), *args],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def git_commit(root: Path | None = None) -> str:
    """Short hash of the commit checked out at ``root`` (default: the project root), followed
    by ``+changes`` when an input (:data:`INPUT_PATHS`: modified, staged, deleted or new
    files) differs from it; ``unknown`` when ``root`` is not the top of a git checkout, it
    has no commit yet, or git is not installed. Generated files (reports, figures) are not
    inputs: writing them never turns a commit into ``+changes``. Never raises."""
    root = Path(root or config.ROOT).resolve()
    top = _git(root, "rev-parse", "--show-toplevel")
    commit = _git(root, "rev-parse", "--short=7", "HEAD") if top else None
    if not commit or Path(top).resolve() != root:
        return "unknown"
    status = _git(root, "status", "--porcelain", "--untracked-files=normal", "--", *INPUT_PATHS)
    return commit + ("+changes" if status is None or status else "")


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
        "# Generated from requirements.lock by `make env-yml` (do not edit): "
        "the same pinned versions for conda users.",
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


def _file_digests(folder: Path, suffixes: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """``(path relative to the project root, sha256 of the bytes)`` of every file under
    ``folder`` (those ending in ``suffixes`` when given), in path order."""
    if not folder.is_dir():
        return []
    files = [p for p in sorted(folder.rglob("*")) if p.is_file() and "__pycache__" not in p.parts]
    return [
        (p.relative_to(config.ROOT).as_posix(), hashlib.sha256(p.read_bytes()).hexdigest())
        for p in files
        if not suffixes or p.suffix in suffixes
    ]


def _notebook_cells_digest(path: Path) -> str:
    """sha256 of what a notebook runs: each cell's type, source and tags, never its outputs
    or execution counts (re-executing a notebook does not change its inputs)."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    cells = [
        (
            cell.get("cell_type"),
            "".join(cell.get("source", "")),
            cell.get("metadata", {}).get("tags", []),
        )
        for cell in notebook.get("cells", [])
    ]
    return hashlib.sha256(json.dumps(cells, ensure_ascii=False).encode()).hexdigest()


def _combined(entries: list[tuple[str, str]]) -> str:
    digest = hashlib.sha256()
    for name, file_digest in entries:
        digest.update(f"{name}\0{file_digest}\n".encode())
    return digest.hexdigest()


def code_and_data_digest() -> str:
    """Digest of what every report depends on besides its own notebook and parameters: the
    package's Python source, everything under ``data/`` (frame, mappings, frameworks, raw
    data) and ``requirements.lock``. A result keyed by it and by its notebook and
    parameters is never stale."""
    lock = config.ROOT / "requirements.lock"
    entries = _file_digests(config.ROOT / "src", suffixes=(".py",)) + _file_digests(config.DATA_DIR)
    if lock.exists():
        entries.append(("requirements.lock", hashlib.sha256(lock.read_bytes()).hexdigest()))
    return _combined(entries)


def notebooks_digest() -> str:
    """Digest of ``notebooks/``: each notebook's cells (:func:`_notebook_cells_digest`) and
    every other file there (the plan), except the jupytext text pairs of the notebooks,
    which repeat their cells."""
    folder = config.NOTEBOOKS_DIR
    paired = {p.with_suffix(".py") for p in folder.glob("*.ipynb")}
    entries = []
    for name, file_digest in _file_digests(folder):
        path = config.ROOT / name
        if path.suffix == ".ipynb":
            entries.append((name, _notebook_cells_digest(path)))
        elif path not in paired:
            entries.append((name, file_digest))
    return _combined(entries)


def inputs_digest() -> str:
    """Digest of everything a report is made from besides its parameters (:data:`INPUT_PATHS`):
    package source, data, lock file (:func:`code_and_data_digest`) and notebooks
    (:func:`notebooks_digest`). Equal digests mean the same inputs, whatever the commit."""
    return _combined([("code and data", code_and_data_digest()), ("notebooks", notebooks_digest())])


def data_digest() -> str:
    """Digest of everything under ``data/`` (frame, mappings, frameworks, raw data) and
    ``requirements.lock``: :func:`code_and_data_digest` without the package source, for a
    result whose code is keyed separately (:func:`module_digest`)."""
    lock = config.ROOT / "requirements.lock"
    entries = _file_digests(config.DATA_DIR)
    if lock.exists():
        entries.append(("requirements.lock", hashlib.sha256(lock.read_bytes()).hexdigest()))
    return _combined(entries)


#: File in the cache folder keeping what each module source imports (:func:`_imported`).
IMPORTS_FILE = "module-imports.json"
#: Part of every key of :data:`IMPORTS_FILE`: a new reading of sources gets new keys.
_IMPORTS_RECIPE = b"imports 1"


@cache
def _import_store() -> dict:
    """What module sources import, by :func:`_import_key` (read once per process; a missing
    or unreadable file is an empty store)."""
    try:
        data = json.loads((config.cache_dir() / IMPORTS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _save_import_store() -> None:
    from .outputs import atomic_write_text

    with contextlib.suppress(OSError):  # read-only: the next process parses again
        atomic_write_text(
            config.cache_dir() / IMPORTS_FILE, json.dumps(_import_store(), sort_keys=True)
        )


def _import_key(source: bytes, path: Path, name: str) -> str:
    """sha256 of the recipe, the module's name, whether it is a package ``__init__`` and its
    source: everything :func:`_imported` reads."""
    kind = b"package" if path.name == "__init__.py" else b"module"
    return hashlib.sha256(b"\0".join([_IMPORTS_RECIPE, name.encode(), kind, source])).hexdigest()


def _imported(path: Path, package: Path, name: str) -> set[str] | None:
    """Modules of the package that the source of ``path`` (module ``name``) imports,
    anywhere in it (function bodies included); ``None`` when it imports by a computed name
    (``importlib.import_module``, ``__import__``), which no reading of the source can follow
    (:mod:`analysis.lazy` excepted: it refuses the package's own modules).

    Parsing every module of the package takes about half a second, paid by every process
    that keys a stored result; the answer is kept in :data:`IMPORTS_FILE` under the sha256
    of the source (:func:`_import_key`), so a changed source is read again."""
    source = path.read_bytes()
    key = _import_key(source, path, name)
    store = _import_store()
    if key in store and (store[key] is None or isinstance(store[key], list)):
        return None if store[key] is None else set(store[key])
    found = _parse_imported(source.decode("utf-8"), path, package, name)
    store[key] = None if found is None else sorted(found)
    return found


def _parse_imported(source: str, path: Path, package: Path, name: str) -> set[str] | None:
    top = package.name
    here = name.split(".") if path.name != "__init__.py" else [*name.split("."), "__init__"]
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            called = node.func.attr if isinstance(node.func, ast.Attribute) else None
            called = node.func.id if isinstance(node.func, ast.Name) else called
            # analysis.lazy imports by name, but only libraries outside the package
            if called in ("import_module", "__import__") and name != f"{top}.lazy":
                return None
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == top}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[: len(here) - node.level]
                stem = ".".join(base + ([node.module] if node.module else []))
            else:
                stem = node.module or ""
            if stem.split(".")[0] != top:
                continue
            found.add(stem)
            found |= {f"{stem}.{a.name}" for a in node.names}  # submodules imported by name
    return found


def _module_file(module: str, package: Path) -> Path | None:
    parts = module.split(".")[1:]
    base = package.joinpath(*parts)
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


@cache
def module_closure(module: str, package: Path | None = None) -> tuple[Path, ...]:
    """The package's source files that importing ``module`` (e.g. ``"analysis.coding"``) can
    run: the module, every package module it imports (read from the source, transitively)
    and the ``__init__`` of each package on the way; every file of the package when one of
    them imports by a computed name. Sorted. ``package``: the package's folder (default
    this package)."""
    package = package or Path(__file__).resolve().parent
    known = len(_import_store())
    try:
        return _closure(module, package)
    finally:
        if len(_import_store()) != known:  # sources read for the first time: kept
            _save_import_store()


def _closure(module: str, package: Path) -> tuple[Path, ...]:
    top = package.name
    seen: dict[str, Path] = {}
    todo = [module]
    while todo:
        name = todo.pop()
        if name in seen or name.split(".")[0] != top:
            continue
        path = _module_file(name, package)
        if path is None:
            continue  # a name imported from a module, not a module
        seen[name] = path
        parents = name.split(".")
        todo += [".".join(parents[:i]) for i in range(1, len(parents))]
        imported = _imported(path, package, name)
        if imported is None:
            return tuple(sorted(p for p in package.rglob("*.py") if "__pycache__" not in p.parts))
        todo += sorted(imported)
    return tuple(sorted(set(seen.values())))


@cache
def module_digest(module: str) -> str:
    """sha256 of :func:`module_closure` (by path within the package and content), computed
    once per process: the code part of the key of a result computed by ``module``, so
    editing code it cannot run does not discard the result."""
    package = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for p in module_closure(module):
        digest.update(p.relative_to(package).as_posix().encode() + b"\0" + p.read_bytes())
    return digest.hexdigest()


@lru_cache(maxsize=1)
def package_digest() -> str:
    """sha256 of the package's Python source, by path within the package, computed once per
    process (the code this process runs: files edited later are not what it runs). Keys of
    cached results include it, so results of other code are never served. Not
    :func:`code_and_data_digest`, which names files relative to ``config.ROOT``:
    ``ANALYSIS_ROOT`` may point that away from the code actually running."""
    package = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for p in sorted(package.rglob("*.py")):
        if "__pycache__" not in p.parts:
            digest.update(p.relative_to(package).as_posix().encode() + b"\0" + p.read_bytes())
    return digest.hexdigest()
