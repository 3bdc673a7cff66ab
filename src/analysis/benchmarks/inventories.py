"""Benchmarks of loading an inventory: served from the disk cache against parsed from the raw
files (``analysis.inventories``).

``inventory_load``: every bundled inventory, n = its number of cases. The timed run is a
load as a new process does it: the in-process caches cleared, the mapping read, every raw
file hashed (and checked against the manifest), the load read from its disk cache entry.
The baseline parses the raw files (:func:`analysis.inventories.parse`), as every load did
before the cache.

``inventory_load_synthetic``: the same on a seeded synthetic inventory of n cases
(:func:`analysis.synthetic.generate`) written as a raw CSV file with a mapping file to a
temporary folder, to show how both scale with the number of cases.
"""

from __future__ import annotations

import tempfile
import weakref
from functools import lru_cache
from pathlib import Path

import pandas as pd
import yaml

from .. import inventories, synthetic
from ..errors import AnalysisError
from ..frame import load_frame
from ..mapping import LoadResult, load_mapping
from . import Case, benchmark

SYNTHETIC_SIZES = (10**3, 10**4, 10**5)
#: How the synthetic raw file writes a flag; the frame's tick values read these back.
TICKS = {True: "Y", False: "N"}


@lru_cache(maxsize=1)
def bundled_sizes() -> dict[int, str]:
    """Each bundled inventory by its number of cases (its registered benchmark size)."""
    sizes: dict[int, str] = {}
    for name in inventories.available():
        sizes.setdefault(inventories.load(name).report.rows_kept, name)
    return sizes


class Loads:
    """The two ways of loading one mapping file that the benchmarks compare."""

    def __init__(self, mapping: Path):
        self.mapping = mapping

    def from_disk(self) -> LoadResult:
        """A load as a new process does it: the in-process caches cleared first."""
        inventories.clear_cache()
        return inventories.load(self.mapping)

    def parse(self) -> LoadResult:
        return inventories.parse(self.mapping)

    def case(self, **params) -> Case:
        """The benchmark case (run: from disk; baseline: parse), once the entry is on disk."""
        inventories.load(self.mapping)  # writes the entry if there is none yet
        self.from_disk()
        if inventories.cache_info().hits != 1:
            raise AnalysisError(
                f"{self.mapping}: the load is not served from the disk cache in "
                f"{inventories.cache_folder()} (is the folder writable?)"
            )
        params.update(
            raw_bytes=sum(f.path.stat().st_size for f in load_mapping(self.mapping).files),
            entry_bytes=sum(p.stat().st_size for p in inventories.cache_entries(self.mapping)),
        )
        return Case(run=self.from_disk, baseline=self.parse, params=params)


@benchmark(
    "inventory_load",
    sizes=tuple(sorted(bundled_sizes())),
    quick_sizes=(min(bundled_sizes()),),
    repeats=7,
    baseline_repeats=3,
)
def inventory_load(n: int) -> Case:
    """A bundled inventory of n cases loaded from the disk cache as by a new process;
    baseline: parsed."""
    sizes = bundled_sizes()
    if n not in sizes:
        raise AnalysisError(
            f"no bundled inventory has {n} cases; sizes: "
            + ", ".join(f"{k} ({v})" for k, v in sorted(sizes.items()))
        )
    return Loads(inventories.mapping_path(sizes[n]).resolve()).case(inventory=sizes[n])


# -- a synthetic inventory of any size -----------------------------------------------------
def write_synthetic_inventory(n: int, folder: Path) -> Path:
    """Write ``n`` seeded synthetic cases as ``synthetic.csv`` (text cells, flags ticked Y/N
    or blank) with the mapping file ``synthetic.yaml`` that reads them back; returns the
    mapping file. Every column and value is named synthetic (see :mod:`analysis.synthetic`)."""
    frame = load_frame()
    # Every case coded: a blank application type stops the parse with a KeyError in
    # analysis.mapping.apply under pandas 3 (its blank reads back as NaN, not None).
    cases = synthetic.generate(n, frame=frame, category_not_coded_rate=0.0)
    raw = pd.DataFrame(
        {
            "synthetic_id": cases["case_id"],
            "synthetic_source": cases["source"],
            "synthetic_name": cases["name"],
            "synthetic_category": cases["category"],
            "synthetic_type": cases["application_type"],
            "synthetic_techniques": cases["techniques"],
        }
    )
    for flag in frame.flag_keys:
        raw[f"synthetic_{flag}"] = cases[flag].astype(object).map(TICKS).fillna("")
    folder.mkdir(parents=True, exist_ok=True)
    raw.to_csv(folder / "synthetic.csv", index=False, lineterminator="\n")
    mapping = {
        "inventory": synthetic.INVENTORY,
        "title_en": f"Synthetic inventory of {n} cases (benchmarks only)",
        "files": [{"path": "synthetic.csv"}],
        "case_id": {"from": "synthetic_id"},
        "fields": {
            "source": "synthetic_source",
            "name": "synthetic_name",
            "category": {"from": "synthetic_category", "coded_by": "source"},
            "application_type": {"from": "synthetic_type", "coded_by": "source"},
            "techniques": {"from": "synthetic_techniques", "coded_by": "source"},
        },
        "flags": {"coded_by": "source", "columns": {f: f"synthetic_{f}" for f in frame.flag_keys}},
    }
    path = folder / "synthetic.yaml"
    path.write_text(yaml.safe_dump(mapping, sort_keys=False), encoding="utf-8")
    return path


class SyntheticInventory(Loads):
    """A synthetic inventory of ``n`` cases in a temporary folder; the folder and the
    inventory's disk cache entries are deleted once the object is (or at exit)."""

    def __init__(self, n: int):
        self._folder = tempfile.TemporaryDirectory(prefix="analysis-synthetic-inventory-")
        super().__init__(write_synthetic_inventory(n, Path(self._folder.name)).resolve())
        weakref.finalize(self, inventories.forget, self.mapping)


@benchmark(
    "inventory_load_synthetic",
    sizes=SYNTHETIC_SIZES,
    quick_sizes=(500,),
    repeats=5,
    baseline_repeats=1,
)
def inventory_load_synthetic(n: int) -> Case:
    """A synthetic CSV inventory of n cases loaded from the disk cache as by a new process;
    baseline: parsed."""
    return SyntheticInventory(n).case(inventory=synthetic.INVENTORY)
