"""Benchmark of clustering at scale on a seeded synthetic inventory.

Target: 10**6 synthetic cases clustered with k-modes and latent class analysis over
collapsed profiles in ≤ 10 s with peak memory ≤ 1 GB. The comparison is the same fits on
every row without collapsing (each case its own weight-1 profile) at 10**5 cases.

Each benchmark function returns a flat dict of measurements. Time is measured on a run
without memory tracing (after a warm-up that pays for imports); peak memory is the
``tracemalloc`` peak of a second, traced run of the same steps (the generated case table
itself, built before, is not counted); ``maxrss_mb`` is the process's resident peak.
"""

from __future__ import annotations

import gc
import resource
import time
import tracemalloc

import numpy as np

from .. import clustering as cl
from .. import config

TARGET_SECONDS = 10.0
TARGET_PEAK_MB = 1024.0


def _steps(cases, k: int, na_policy: str, n_init: int, collapse: bool, seed: int) -> dict:
    opt_km = cl.Options(method="kmodes", na_policy=na_policy, n_init=n_init, seed=seed)
    opt_lca = cl.Options(method="lca", na_policy=na_policy, n_init=n_init, seed=seed)
    times = {}
    t0 = time.perf_counter()
    d = cl.design(cases, na_policy)
    p = (
        cl.collapse(d)
        if collapse
        else cl.Profiles(d.codes, np.ones(len(d.codes), dtype=np.int64), np.arange(len(d.codes)))
    )
    times["design_s"] = time.perf_counter() - t0
    t1 = time.perf_counter()
    km, km_stats, _ = cl.fit_profiles(d, p.codes, p.counts, k, opt_km)
    times["kmodes_s"] = time.perf_counter() - t1
    t2 = time.perf_counter()
    lca, lca_stats, _ = cl.fit_profiles(d, p.codes, p.counts, k, opt_lca)
    times["lca_s"] = time.perf_counter() - t2
    times["total_s"] = time.perf_counter() - t0
    case_km, case_lca = km[p.inverse], lca[p.inverse]
    return {
        **times,
        "cases": int(p.counts.sum()),
        "profiles": len(p.counts),
        "kmodes_cost": km_stats["cost"],
        "lca_bic": lca_stats["bic"],
        "kmodes_sizes": np.bincount(case_km).tolist(),
        "lca_sizes": np.bincount(case_lca).tolist(),
    }


def _measure(
    n: int,
    collapse: bool,
    k: int = 4,
    na_policy: str = "missing",
    n_init: int = 3,
    seed: int = config.SEED,
) -> dict:
    from ..synthetic import generate

    cases = generate(n, seed=seed)
    _steps(cases.iloc[:2000], k, na_policy, 1, collapse, seed)  # warm-up: imports, caches
    gc.collect()
    timed = _steps(cases, k, na_policy, n_init, collapse, seed)
    gc.collect()
    tracemalloc.start()
    _steps(cases, k, na_policy, n_init, collapse, seed)
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return {
        "benchmark": f"clustering_{'collapsed' if collapse else 'uncollapsed'}_{n}",
        "n": n,
        "k": k,
        "na_policy": na_policy,
        "n_init": n_init,
        **timed,
        "peak_traced_mb": peak,
        "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "target_seconds": TARGET_SECONDS if collapse else None,
        "target_peak_mb": TARGET_PEAK_MB if collapse else None,
        "meets_target": (timed["total_s"] <= TARGET_SECONDS and peak <= TARGET_PEAK_MB)
        if collapse
        else None,
    }


def collapsed(n: int = 10**6, **options) -> dict:
    """k-modes and LCA over collapsed profiles of ``n`` synthetic cases (default 10**6)."""
    return _measure(n, True, **options)


def uncollapsed(n: int = 10**5, **options) -> dict:
    """The same fits on every row, without collapsing (default 10**5 cases)."""
    return _measure(n, False, **options)


#: Benchmarks of this module by name, for the suite's benchmark runner.
BENCHMARKS = {"clustering_collapsed": collapsed, "clustering_uncollapsed": uncollapsed}


if __name__ == "__main__":  # pragma: no cover
    import json

    for fn in BENCHMARKS.values():
        print(json.dumps(fn(), ensure_ascii=False, default=float))
