"""The inventory-load benchmarks: registered at the real case counts, their run served from the
disk cache and equal to their baseline's parse, the synthetic inventory read back as generated.
No timing assertions."""

from __future__ import annotations

import gc
from pathlib import Path

import pandas as pd
import pytest

from analysis import benchmarks, inventories, synthetic
from analysis.benchmarks import inventories as bench_inv
from analysis.canonical import canonical_columns
from analysis.errors import AnalysisError


@pytest.fixture()
def disk_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("ANALYSIS_OUTPUT_DIR", str(tmp_path))
    inventories.clear_cache()
    yield inventories.cache_folder()
    inventories.clear_cache()


def test_registered_at_the_case_count_of_every_bundled_inventory():
    benchmarks.discover()
    counts = {len(inventories.load(name).cases) for name in inventories.available()}
    assert set(benchmarks.REGISTRY["inventory_load"].sizes) == counts
    assert benchmarks.REGISTRY["inventory_load_synthetic"].sizes == bench_inv.SYNTHETIC_SIZES


def test_the_run_is_served_from_disk_and_equals_the_baseline(disk_cache):
    n = min(bench_inv.bundled_sizes())
    case = bench_inv.inventory_load(n)
    served = case.run()
    assert inventories.cache_info() == inventories.CacheInfo(hits=1)
    assert len(served.cases) == n and case.params["entry_bytes"] > 0
    pd.testing.assert_frame_equal(served.cases, case.baseline().cases, check_dtype=True)
    with pytest.raises(AnalysisError, match="no bundled inventory has"):
        bench_inv.inventory_load(n + 10**7)


def test_the_synthetic_inventory_reads_back_as_generated(disk_cache):
    inventory = bench_inv.SyntheticInventory(300)
    folder = inventory.mapping.parent
    loaded = inventories.load(inventory.mapping).cases
    generated = synthetic.generate(300, category_not_coded_rate=0.0)
    columns = [
        c
        for c in canonical_columns()
        if c not in ("agency", "description")  # not written: all NA
        and not c.endswith(("_coded_by", "_as_recorded"))
    ]
    pd.testing.assert_frame_equal(loaded[columns], generated[columns], check_dtype=False)
    assert set(loaded["inventory"]) == {synthetic.INVENTORY}

    case = inventory.case()
    assert case.run().cases.equals(loaded) and inventories.cache_info().hits == 1
    assert inventories.cache_entries(inventory.mapping)
    mapping = inventory.mapping
    del inventory, case
    gc.collect()
    assert not Path(folder).exists() and not inventories.cache_entries(mapping)
