"""The bundled inventories: a mapping file each under ``data/inventories/``, raw files under
``data/raw/`` checked against ``data/raw/MANIFEST.tsv`` before every load."""
from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path

import pandas as pd

from . import config
from .errors import InputError, input_error
from .frame import Frame, load_frame
from .mapping import LoadResult, apply_mapping, load_mapping


def manifest(path: Path | None = None) -> pd.DataFrame:
    """The raw-data manifest: file, inventory, upstream, commit, licence, bytes, sha256."""
    path = path or config.MANIFEST_FILE
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    return pd.DataFrame(rows)


def _checksums() -> dict[str, str]:
    table = manifest()
    return {str((config.RAW_DIR / f).resolve()): s for f, s in zip(table["file"], table["sha256"])}


def available() -> list[str]:
    """Names of the bundled inventories, in the order reports show them."""
    order = ["study", "us-federal-2024", "us-federal-2023", "jrc-ai-watch", "taiwan-public"]
    names = sorted(p.stem for p in config.INVENTORIES_DIR.glob("*.yaml"))
    return [n for n in order if n in names] + [n for n in names if n not in order]


def mapping_path(name_or_path: str | Path) -> Path:
    """The mapping file of a bundled inventory name, or the given path itself."""
    p = Path(name_or_path)
    if p.suffix in (".yaml", ".yml"):
        return p
    candidate = config.INVENTORIES_DIR / f"{name_or_path}.yaml"
    if not candidate.exists():
        raise input_error(candidate, None, None, str(name_or_path),
                          f"a bundled inventory ({', '.join(available())}) or a mapping file path",
                          f"內建盤點（{', '.join(available())}）或對應檔路徑")
    return candidate


@lru_cache(maxsize=16)
def _load_cached(path: str, mtime: float, frame_path: str, raw_state: tuple) -> LoadResult:
    frame = load_frame(frame_path)
    return apply_mapping(load_mapping(path, frame), frame, verify=_checksums())


@lru_cache(maxsize=32)
def _raw_files(path: str, mtime: float, frame_path: str) -> tuple[Path, ...]:
    return tuple(f.path for f in load_mapping(path, load_frame(frame_path)).files)


def _state(files: tuple[Path, ...]) -> tuple:
    """Size and modification time of each raw file (and the manifest): a changed file is
    read (and checked) again instead of served from the cache."""
    out = []
    for f in (*files, Path(config.MANIFEST_FILE)):
        try:
            st = f.stat()
            out.append((str(f), st.st_mtime_ns, st.st_size))
        except OSError:
            out.append((str(f), None, None))
    return tuple(out)


def load(name_or_path: str | Path, frame: Frame | None = None) -> LoadResult:
    """Load a bundled inventory (by name) or any mapping file into the canonical table.

    Bundled raw files are verified against the manifest's sha256 first.
    """
    frame = frame or load_frame()
    path = mapping_path(name_or_path).resolve()
    if not path.exists():
        raise input_error(path, None, None, None, "an existing mapping file", "存在的對應檔")
    mtime = path.stat().st_mtime
    files = _raw_files(str(path), mtime, str(frame.path))
    result = _load_cached(str(path), mtime, str(frame.path), _state(files))
    return LoadResult(result.cases.copy(), result.report, result.rejected_rows.copy())


def write_report(result: LoadResult, folder: str | Path) -> tuple[Path, Path]:
    """Write ``<folder>/standardization-<inventory>.md`` (the load's standardization report)
    and ``<folder>/rejected-<inventory>.csv`` (the native cells of every rejected row, with
    file and row; a header only when none was rejected), each atomically."""
    from .outputs import atomic_write_text, write_table
    folder = Path(folder)
    name = result.report.inventory
    report = atomic_write_text(folder / f"standardization-{name}.md", result.report.to_markdown())
    rejected = result.rejected_rows.rename(columns={"_file": "file", "_row": "row", "_reason": "reason"})
    if "file" in rejected.columns:
        rejected["file"] = rejected["file"].map(lambda f: Path(f).name)
    table = write_table(rejected.astype(str) if len(rejected) else rejected, folder / f"rejected-{name}.csv")
    return report, table


def cases(name_or_path: str | Path, frame: Frame | None = None) -> pd.DataFrame:
    """Just the canonical case table of :func:`load`."""
    return load(name_or_path, frame).cases


def load_many(names: list[str] | tuple[str, ...], frame: Frame | None = None) -> pd.DataFrame:
    """Several inventories pooled into one canonical table (``inventory`` tells them apart)."""
    if not names:
        raise InputError([], "no inventory named")
    tables = [cases(n, frame) for n in names]
    return pd.concat(tables, ignore_index=True)


def accounting(names: str | list[str] | tuple[str, ...], frame: Frame | None = None) -> pd.DataFrame:
    """Rows read, kept and rejected by the load of each inventory named (a coded inventory,
    ``<name>-coded``, counts as the load of ``<name>``), with the raw files read: what a
    notebook shows for the inventories it uses (read = kept + rejected always holds: the
    load's report refuses to exist otherwise)."""
    from .coding import CODED_SUFFIX
    names = [names] if isinstance(names, str) else list(names)
    rows = []
    for name in names:
        report = load(str(name).removesuffix(CODED_SUFFIX), frame).report
        row = report.counts().assign(inventory=str(name))
        row.insert(1, "files", ", ".join(sorted(Path(str(f)).name for f in report.files["file"])))
        rows.append(row)
    return pd.concat(rows, ignore_index=True)
