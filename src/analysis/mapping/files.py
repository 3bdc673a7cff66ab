"""A mapping's raw files, without its model: their digests, which folders they may lie in,
and the :class:`Outline` of a validated mapping (its path and raw files) that a stored
load is served from. Nothing here needs the mapping format's model, so a load read from
the cache does not import it."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from .. import config
from ..errors import InputError, Problem
from ..readers import check_regular_file

#: Environment variable that lets a mapping read files outside its folder and data/raw.
ALLOW_OUTSIDE_ENV = "ANALYSIS_ALLOW_OUTSIDE"


def sha256_of(path: Path) -> str:
    check_regular_file(path)  # a directory, device or pipe is refused before it is opened
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class Outline:
    """What of a validated mapping a load needs before it parses anything: the mapping's
    path, each raw file resolved, and each as the mapping wrote it (None where the mapping
    gave no ``path`` text)."""

    path: Path
    files: tuple[Path, ...]
    given: tuple[str | None, ...]

    @classmethod
    def of(cls, mapping) -> Outline:
        """The outline of a :class:`~analysis.mapping.spec.Mapping`."""
        entries = mapping.raw.get("files") if isinstance(mapping.raw, dict) else None
        given = [
            entries[i].get("path") if isinstance(entries, list) and i < len(entries) else None
            for i in range(len(mapping.files))
        ]
        return cls(
            Path(mapping.path),
            tuple(Path(spec.path) for spec in mapping.files),
            tuple(None if g is None else str(g) for g in given),
        )


def confine_paths(mapping, allow_outside: bool | None = None) -> None:
    """Raise :class:`InputError` for a raw file of ``mapping`` (a mapping or its
    :class:`Outline`) outside the mapping's folder, its sibling ``raw`` folder (the
    ``data/inventories`` + ``data/raw`` layout) and the project's ``data/raw`` (symlinks
    resolved first), one problem per file. The caller lifts the limit: ``allow_outside``,
    or ``ANALYSIS_ALLOW_OUTSIDE=1`` when it is None (a key in the mapping cannot)."""
    if allow_outside is None:
        allow_outside = os.environ.get(ALLOW_OUTSIDE_ENV, "") == "1"
    if allow_outside:
        return
    outline = mapping if isinstance(mapping, Outline) else Outline.of(mapping)
    folder = outline.path.resolve().parent
    roots = list(
        dict.fromkeys([folder, (folder.parent / "raw").resolve(), config.RAW_DIR.resolve()])
    )
    problems = []
    for i, (file, given) in enumerate(zip(outline.files, outline.given, strict=True)):
        real = file.resolve()
        if any(real == root or real.is_relative_to(root) for root in roots):
            continue
        problems.append(
            Problem(
                str(outline.path),
                None,
                f"files[{i}].path",
                str(given if given is not None else file),
                f"a file inside {' or '.join(map(str, roots))} (it resolves to {real}); to "
                f"read it anyway pass --allow-outside-paths or set {ALLOW_OUTSIDE_ENV}=1",
                f"位於 {'、'.join(map(str, roots))} 之內的檔案（實際路徑為 {real}）；如確需讀取，"
                f"請加上 --allow-outside-paths 或設定 {ALLOW_OUTSIDE_ENV}=1",
            )
        )
    if problems:
        raise InputError(
            problems, f"{outline.path.name}: raw file(s) outside the permitted folders"
        )
