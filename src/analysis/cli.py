"""Command line: ``python -m analysis --help``."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from . import config
from .coders.base import CODERS
from .errors import AnalysisError


def _value(text: str):
    """A -p value: YAML scalar/list syntax (``3``, ``true``, ``[a, b]``), else the text."""
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return text


def cmd_export(args) -> int:
    from . import canonical, inventories

    source = args.mapping or args.inventory
    if not source:
        raise AnalysisError("name a bundled inventory or give --mapping FILE")
    if args.inventory and Path(args.inventory).suffix.lower() in (".csv", ".xlsx"):
        table = canonical.read_export(Path(args.inventory))
        report = None
    else:
        result = inventories.load(source)
        table, report = result.cases, result.report
    target = Path(args.to)
    if target.suffix.lower() not in (".csv", ".xlsx"):
        raise AnalysisError(f"--to {target}: expected a .csv or .xlsx file name")
    canonical.write(table, target)
    counts = (
        f"{report.rows_read} read, {report.rows_kept} kept, {report.rows_rejected} rejected"
        if report
        else f"{len(table)} rows"
    )
    print(f"{target}: {len(table)} cases ({counts})")
    return 0


def cmd_inventories(args) -> int:
    """The names a notebook's ``inventory`` takes: bundled inventories, then the annotated
    (``-annotated``) and coded (``-coded``) versions."""
    from . import coding, inventories

    names = inventories.available()
    names += coding.annotated_names()
    names += [n + config.CODED_SUFFIX for n in coding.PUBLIC_INVENTORIES if n in names]
    for name in names:
        print(name)
    return 0


def cmd_run(args) -> int:
    from . import pipeline

    params = {name: _value(value) for name, value in (args.parameter or [])}
    jobs = pipeline.ad_hoc_jobs(args.notebooks, params) if args.notebooks else pipeline.load_plan()
    if params and not args.notebooks:
        raise AnalysisError("-p applies to notebooks named on the command line")
    prepared = [] if args.notebooks else pipeline.load_prepare()
    outcomes = pipeline.run(jobs, force=args.force, workers=args.jobs, prepared=prepared)
    failed = [o for o in outcomes if o.status == "failed"]
    executed = sum(o.status == "executed" for o in outcomes)
    skipped = sum(o.status == "skipped" for o in outcomes)
    ran = sorted((o for o in outcomes if o.status == "executed"), key=lambda o: -o.seconds)
    if ran:
        print("slowest: " + ", ".join(f"{o.job.name} {o.seconds:.1f} s" for o in ran[:5]))
    print(
        f"{executed} executed, {skipped} unchanged, {len(failed)} failed; index: "
        f"{config.reports_dir() / 'index.html'}"
    )
    for o in failed:
        print(f"FAILED {o.job.describe()}: {o.error}", file=sys.stderr)
    return 1 if failed else 0


def cmd_pdf(args) -> int:
    """PDF of every report page present (in the plan's order, then the others by name) and
    the bound ``reports.pdf``."""
    from . import pipeline, render

    reports = args.reports or config.reports_dir()
    plan = pipeline.load_plan() if pipeline.PLAN_FILE.exists() else []
    titles = {job.name: job.title or job.name for job in plan}
    present = {p.stem for p in reports.glob("*.html") if p.name != "index.html"}
    names = [n for n in titles if n in present] + sorted(present - set(titles))
    if not names:
        raise AnalysisError(f"no report pages (*.html) in {reports}; run make reports first")

    def show(outcome: render.PdfOutcome) -> None:
        print(
            f"{outcome.name}.pdf: {outcome.status}, {outcome.pages} pages, {outcome.seconds:.1f} s",
            flush=True,
        )

    start = time.perf_counter()
    outcomes, bound = render.pdf_reports(reports, names, titles, force=args.force, progress=show)
    written = sum(o.status == "written" for o in outcomes)
    print(
        f"{written} written, {len(outcomes) - written} unchanged in "
        f"{time.perf_counter() - start:.1f} s; bound: {bound}"
    )
    return 0


def cmd_refresh(args) -> int:
    from . import pipeline

    paths = [Path(n) for n in args.notebooks] or sorted(config.NOTEBOOKS_DIR.glob("*.ipynb"))
    pipeline.refresh(paths)
    for p in paths:
        print(f"refreshed {p}")
    return 0


def cmd_bench(args) -> int:
    from . import benchmarks

    benchmarks.run_all(
        args.out,
        args.quick,
        args.only,
        args.repeats,
        sizes=tuple(args.sizes) if args.sizes else None,
    )
    return 0


def cmd_code(args) -> int:
    from . import coding

    result = coding.code_file(args.file, args.coder, args.to)
    filled = result.counts()
    print(
        f"{result.path}: {len(result.cases)} cases; coded by {result.coder.name}: "
        f"{filled['category']} categories, "
        f"{filled['techniques']} technique lists"
    )
    failures = getattr(result.coder, "failures", None)
    for row in failures.itertuples(index=False) if failures is not None else ():
        print(f"not coded: {row.inventory}/{row.case_id}: {row.error}", file=sys.stderr)
    return 0


def cmd_env_yml(args) -> int:
    from .environment import environment_yml
    from .outputs import atomic_write_text

    lock = (config.ROOT / "requirements.lock").read_text(encoding="utf-8")
    atomic_write_text(config.ROOT / "environment.yml", environment_yml(lock))
    print(config.ROOT / "environment.yml")
    return 0


def cmd_docs(args) -> int:
    from .mapping.reference import write_docs

    for path in write_docs(args.to):
        print(path)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m analysis",
        description="Public-sector AI inventories: load, code, analyse, report.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser(
        "export", help="write the canonical case table of an inventory (CSV or XLSX)"
    )
    p.add_argument(
        "inventory",
        nargs="?",
        help="bundled inventory name (e.g. study), mapping file, or canonical CSV/XLSX",
    )
    p.add_argument("--mapping", help="a mapping file (data/inventories/*.yaml format)")
    p.add_argument("--to", required=True, help="output file: .csv (UTF-8 with BOM) or .xlsx")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("inventories", help="list the bundled inventories")
    p.set_defaults(func=cmd_inventories)

    p = sub.add_parser("run", help="execute notebooks with papermill and render reports/")
    p.add_argument(
        "notebooks", nargs="*", help="notebooks to run (default: everything in notebooks/plan.yaml)"
    )
    p.add_argument(
        "-p",
        "--parameter",
        nargs=2,
        action="append",
        metavar=("NAME", "VALUE"),
        help="notebook parameter (repeatable)",
    )
    p.add_argument("--force", action="store_true", help="re-execute even unchanged reports")
    p.add_argument(
        "--jobs", type=int, default=None, help="parallel notebooks (default: one per core)"
    )
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("pdf", help="PDF of every report page and the bound reports/reports.pdf")
    p.add_argument("--reports", type=Path, default=None, help="folder (default: reports/)")
    p.add_argument("--force", action="store_true", help="rewrite even unchanged PDFs")
    p.set_defaults(func=cmd_pdf)

    p = sub.add_parser(
        "refresh", help="re-execute notebooks in notebooks/ in place (stored outputs for nbval)"
    )
    p.add_argument("notebooks", nargs="*")
    p.set_defaults(func=cmd_refresh)

    p = sub.add_parser("bench", help="run the benchmarks (reports/benchmarks.json, .md)")
    p.add_argument("--quick", action="store_true", help="small sizes only (a smoke test)")
    p.add_argument(
        "--only", action="append", metavar="NAME", help="run only this benchmark (repeatable)"
    )
    p.add_argument("--out", type=Path, default=None, help="output folder (default: reports/)")
    p.add_argument("--repeats", type=int, default=None, help="timed repeats per size")
    p.add_argument(
        "--sizes", type=int, nargs="+", default=None, help="case counts instead of the defaults"
    )
    p.set_defaults(func=cmd_bench)

    p = sub.add_parser("code", help="code an inventory file's cases (category, techniques, flags)")
    p.add_argument("file", help="inventory name, mapping file or canonical CSV/XLSX")
    p.add_argument("--coder", choices=list(CODERS), default="model")
    p.add_argument("--to", required=True)
    p.set_defaults(func=cmd_code)

    p = sub.add_parser(
        "docs", help="regenerate the mapping-format reference and JSON Schema (docs/)"
    )
    p.add_argument("--to", type=Path, default=None, help="output folder (default: docs/)")
    p.set_defaults(func=cmd_docs)

    p = sub.add_parser("env-yml", help="rewrite environment.yml from requirements.lock")
    p.set_defaults(func=cmd_env_yml)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except AnalysisError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
