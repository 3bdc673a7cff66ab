"""Benchmarks: a small registry and a runner (``python -m analysis bench``).

Register a benchmark in any module of this package with the decorator::

    @benchmark("cooccurrence", sizes=(10**3, 10**4), quick_sizes=(200,), baseline_max_n=10**5)
    def cooccurrence_case(n: int) -> Case:
        cases = synthetic.generate(n)
        return Case(run=lambda: cooccurrence.tables(cases), baseline=lambda: naive(cases))

The setup function builds the inputs (not timed) and returns a :class:`Case`: ``run`` (the
timed computation) and optionally ``baseline`` (the straightforward way, timed in the same
run where ``n <= baseline_max_n``). A module may instead expose ``BENCHMARKS = {name:
function}`` whose functions take ``n`` and return a flat dict of their own measurements
(``n``, ``total_s``, ``peak_traced_mb``, ``maxrss_mb``, …); the runner records those too.

For each benchmark and size the runner records the median wall time of ``repeats`` runs
(after one warm-up run), the ``tracemalloc`` peak of one further traced run (memory the
computation allocates; its inputs, built before, are not counted), the process's resident
peak, the baseline's median time and the ratio baseline / run. :func:`run_all` writes
``benchmarks.json``, ``benchmarks.md`` (a table) and a log–log scaling figure.
"""

from __future__ import annotations

import gc
import importlib
import inspect
import json
import pkgutil
import platform
import resource
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .. import config
from ..outputs import atomic_write_text

#: Sizes used by ``--quick`` for module-level ``BENCHMARKS`` functions.
LEGACY_QUICK_N = 1000


@dataclass
class Case:
    """What a benchmark's setup returns for one size."""

    run: Callable[[], object]
    baseline: Callable[[], object] | None = None
    params: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Benchmark:
    name: str
    setup: Callable[[int], Case]
    sizes: tuple[int, ...]
    quick_sizes: tuple[int, ...]
    repeats: int = 5
    baseline_repeats: int = 3
    baseline_max_n: int | None = None
    description: str = ""


REGISTRY: dict[str, Benchmark] = {}


def benchmark(
    name: str,
    sizes: tuple[int, ...],
    quick_sizes: tuple[int, ...] = (200, 1000),
    repeats: int = 5,
    baseline_repeats: int = 3,
    baseline_max_n: int | None = None,
):
    """Register the decorated setup function as benchmark ``name``."""

    def register(setup: Callable[[int], Case]) -> Callable[[int], Case]:
        doc = (setup.__doc__ or "").strip().splitlines()
        REGISTRY[name] = Benchmark(
            name,
            setup,
            tuple(sizes),
            tuple(quick_sizes),
            repeats,
            baseline_repeats,
            baseline_max_n,
            doc[0] if doc else "",
        )
        return setup

    return register


def discover() -> dict[str, object]:
    """Import every module of this package (registering its benchmarks); returns the
    module-level ``BENCHMARKS`` functions found, by name."""
    legacy = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        for name, fn in sorted(getattr(module, "BENCHMARKS", {}).items()):
            legacy[name] = fn
    return legacy


def _median_seconds(fn: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(max(repeats, 1)):
        gc.collect()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _traced_peak_mb(fn: Callable[[], object]) -> float:
    gc.collect()
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def _max_rss_mb() -> float:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 2**20 if sys.platform == "darwin" else rss / 1024


def measure(bench: Benchmark, n: int, repeats: int | None = None, log=print) -> dict:
    """Run one benchmark at one size; returns its record. ``log`` gets a line as it starts
    and one as it ends (the median, and the wall time of setup, repeats and baseline)."""
    log(f"{bench.name:<24} n={n:>9,}  started")
    started = time.perf_counter()
    case = bench.setup(n)
    case.run()  # warm-up
    seconds = _median_seconds(case.run, repeats or bench.repeats)
    peak = _traced_peak_mb(case.run)
    baseline = None
    if case.baseline is not None and (bench.baseline_max_n is None or n <= bench.baseline_max_n):
        baseline = _median_seconds(
            case.baseline, min(repeats or bench.baseline_repeats, bench.baseline_repeats)
        )
    record = {
        "name": bench.name,
        "n": int(n),
        "seconds": seconds,
        "repeats": int(repeats or bench.repeats),
        "peak_memory_mb": peak,
        "max_rss_mb": _max_rss_mb(),
        "baseline_seconds": baseline,
        "ratio": (baseline / seconds) if baseline is not None and seconds > 0 else None,
        "params": case.params,
    }
    log(
        f"{bench.name:<24} n={n:>9,}  {seconds:9.4f} s  peak {peak:8.1f} MB"
        + ("" if baseline is None else f"  baseline {baseline:9.3f} s  ×{record['ratio']:.1f}")
        + f"  (done in {time.perf_counter() - started:.1f} s)"
    )
    return record


def _legacy_record(name: str, fn, quick: bool, log=print) -> dict:
    """Run a module-level benchmark function (passing ``log`` if it takes one, for its own
    progress lines); returns its record."""
    log(f"{name:<24} started")
    started = time.perf_counter()
    options = {"log": log} if "log" in inspect.signature(fn).parameters else {}
    raw = fn(n=LEGACY_QUICK_N, **options) if quick else fn(**options)
    seconds = raw.get("seconds", raw.get("total_s"))
    baseline = raw.get("baseline_seconds")
    record = {
        "name": name,
        "n": int(raw.get("n", 0)),
        "seconds": seconds,
        "repeats": 1,
        "peak_memory_mb": raw.get("peak_memory_mb", raw.get("peak_traced_mb")),
        "max_rss_mb": raw.get("max_rss_mb", raw.get("maxrss_mb")),
        "baseline_seconds": baseline,
        "ratio": baseline / seconds if baseline is not None and seconds else None,
        "params": {
            k: v for k, v in raw.items() if isinstance(v, (int, float, str, bool)) or v is None
        },
        "tables": raw.get("tables", {}),
    }
    log(
        f"{name:<24} n={record['n']:>9,}  {seconds:9.4f} s"
        + ("" if baseline is None else f"  baseline {baseline:9.3f} s  ×{record['ratio']:.1f}")
        + f"  (done in {time.perf_counter() - started:.1f} s)"
    )
    return record


def run(
    quick: bool = False,
    only: list[str] | None = None,
    repeats: int | None = None,
    log=print,
    sizes: tuple[int, ...] | None = None,
) -> list[dict]:
    """Run the registered benchmarks (``only``: these names; ``sizes``: instead of each
    benchmark's own) and return their records."""
    log("bench: importing the benchmarks")
    legacy = discover()
    names = sorted(REGISTRY) + sorted(legacy)
    if only:
        unknown = sorted(set(only) - set(names))
        if unknown:
            from ..errors import AnalysisError

            raise AnalysisError(f"unknown benchmark(s) {unknown}; available: {', '.join(names)}")
        names = [n for n in names if n in only]
    runs = sum(
        len(sizes or (REGISTRY[n].quick_sizes if quick else REGISTRY[n].sizes))
        if n in REGISTRY
        else 1
        for n in names
    )
    log(f"bench: {len(names)} benchmarks, {runs} runs{' (quick)' if quick else ''}")
    records = []
    for name in names:
        if name in REGISTRY:
            bench = REGISTRY[name]
            for n in sizes or (bench.quick_sizes if quick else bench.sizes):
                records.append(
                    measure(bench, n, repeats if repeats else (2 if quick else None), log)
                )
        else:
            records.append(_legacy_record(name, legacy[name], quick, log))
    return records


def machine() -> dict:
    import os

    import numpy
    import pandas

    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "numpy": numpy.__version__,
        "pandas": pandas.__version__,
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
    }


def markdown(report: dict, figure_name: str | None = None) -> str:
    """The report as a markdown table (one row per benchmark and size)."""

    def fmt(v, spec):
        return "–" if v is None else format(v, spec)

    machine = report["machine"]
    lines = [
        "# Benchmarks",
        "",
        f"Machine: {machine['platform']}, {machine['cpus']} CPUs, Python {machine['python']}, "
        f"numpy {machine['numpy']}, pandas {machine['pandas']}"
        f"{' (quick run)' if report['quick'] else ''}.",
        "",
        "Seconds: median wall time of the repeats; peak: tracemalloc peak of the computation "
        "(inputs not counted); ratio: baseline seconds / seconds.",
        "",
        "| benchmark | n | seconds | peak MB | max RSS MB | baseline s | ratio |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in report["results"]:
        lines.append(
            f"| {r['name']} | {r['n']:,} | {fmt(r['seconds'], '.4f')} | "
            f"{fmt(r['peak_memory_mb'], '.1f')} | {fmt(r['max_rss_mb'], '.0f')} | "
            f"{fmt(r['baseline_seconds'], '.3f')} | {fmt(r['ratio'], '.1f')} |"
        )
    details = [
        f"- {r['name']} (n = {r['n']:,}): "
        + ", ".join(
            f"{k} {v:.3g}" if isinstance(v, float) else f"{k} {v}"
            for k, v in sorted(r["params"].items())
            if k not in ("n", "seconds", "baseline_seconds")
        )
        for r in report["results"]
        if r.get("params")
    ]
    if details:
        lines += ["", "Parameters and further measurements:", "", *details]
    for r in report["results"]:
        for title, rows in sorted((r.get("tables") or {}).items()):
            lines += ["", *_table_lines(f"{r['name']}: {title}", rows)]
    if figure_name:
        lines += ["", f"![Scaling]({figure_name}.png)"]
    return "\n".join(lines) + "\n"


#: What a benchmark's table column means, where its name does not say it.
TABLE_NOTES = {
    "stages": "Seconds per report: the warm run's stages (kernel: starting and stopping the "
    "kernel and papermill's own work; imports: libraries imported by the notebook's code "
    "outside figures; computation: the cells' remaining time; figures: building and saving "
    "figures, or writing them from the cache; rendering: the HTML page; writing: tables, "
    "the executed notebook and state), the warm and cold totals, and the report's "
    "do-nothing notebook (floor). Reports run two at a time, so the run's wall time is "
    "about half the sum.",
}


def _table_lines(title: str, rows: list[dict]) -> list[str]:
    """A benchmark's own table as markdown: numbers to two decimals."""
    if not rows:
        return []
    columns = list(rows[0])
    name = title.split(": ", 1)[-1]
    lines = [f"## {title}", ""]
    if name in TABLE_NOTES:
        lines += [TABLE_NOTES[name], ""]
    lines += [
        "| " + " | ".join(columns) + " |",
        "|" + "|".join("---" if c == columns[0] else "---:" for c in columns) + "|",
    ]
    for row in rows:
        cells = [f"{v:.2f}" if isinstance(v, float) else str(v) for v in row.values()]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def scaling_figure(results: list[dict]):
    """Log–log plot of seconds against n, one line per benchmark (dashed: its baseline)."""
    import matplotlib.pyplot as plt

    from ..figures import setup

    setup()
    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    names = sorted({r["name"] for r in results})
    colours = plt.get_cmap("tab10")
    for i, name in enumerate(names):
        rows = sorted(
            (r for r in results if r["name"] == name and r["seconds"]), key=lambda r: r["n"]
        )
        if not rows:
            continue
        ax.plot(
            [r["n"] for r in rows],
            [r["seconds"] for r in rows],
            "o-",
            color=colours(i % 10),
            label=name,
        )
        base = [r for r in rows if r["baseline_seconds"]]
        if base:
            ax.plot(
                [r["n"] for r in base],
                [r["baseline_seconds"] for r in base],
                "s--",
                color=colours(i % 10),
                alpha=0.6,
                label=f"{name} (baseline)",
            )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("cases (n)")
    ax.set_ylabel("seconds")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def run_all(
    out_dir: Path | None = None,
    quick: bool = False,
    only: list[str] | None = None,
    repeats: int | None = None,
    log=print,
    sizes: tuple[int, ...] | None = None,
) -> dict:
    """Run the benchmarks and write ``benchmarks.json``, ``benchmarks.md`` and
    ``benchmarks_scaling.png/.svg`` into ``out_dir`` (default ``reports/``)."""
    from ..figures import close, save

    out_dir = Path(out_dir) if out_dir is not None else config.reports_dir()
    results = run(quick, only, repeats, log, sizes)
    log(f"bench: writing {out_dir / 'benchmarks.json'}, benchmarks.md and the scaling figure")
    report = {"machine": machine(), "quick": bool(quick), "results": results}
    atomic_write_text(
        out_dir / "benchmarks.json",
        json.dumps(report, ensure_ascii=False, indent=2, default=float) + "\n",
    )
    fig = scaling_figure(results)
    save(fig, "benchmarks_scaling", out_dir)
    close(fig)
    atomic_write_text(out_dir / "benchmarks.md", markdown(report, "benchmarks_scaling"))
    return report
