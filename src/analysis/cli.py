"""Command line: ``python -m analysis --help``."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from . import config
from .config import CODERS
from .errors import AnalysisError


def _value(text: str):
    """A -p value: YAML scalar/list syntax (``3``, ``true``, ``[a, b]``), else the text."""
    import yaml

    if not text.strip():
        return text  # an empty value stays an empty string, not YAML's null
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return text


def cmd_export(args) -> int:
    """Write an inventory as the canonical table or in the study's layout."""
    from . import canonical, coding, exports, inventories
    from .mapping.apply import ALLOW_OUTSIDE_ENV

    source = args.mapping or args.inventory
    if not source:
        raise AnalysisError(
            "name an inventory or give --mapping FILE / 請指定盤點名稱或以 --mapping 指定對照檔"
        )
    target = Path(args.to)
    exports.check_export(target, args.format, args.language)
    if args.allow_outside_paths:  # the caller's explicit permission, for this command only
        os.environ[ALLOW_OUTSIDE_ENV] = "1"
    report = None
    try:
        if args.inventory and Path(args.inventory).suffix.lower() in (".csv", ".xlsx"):
            table = canonical.read_export(Path(args.inventory))
        elif str(source).endswith((config.CODED_SUFFIX, config.ANNOTATED_SUFFIX)):
            table = coding.cases_for(source)
        else:
            result = inventories.load(source)
            table, report = result.cases, result.report
    finally:
        if args.allow_outside_paths:
            os.environ.pop(ALLOW_OUTSIDE_ENV, None)
    exports.write_export(table, target, args.format, args.language, raw_csv=args.raw_csv)
    counts = (
        f"{report.rows_read} read, {report.rows_kept} kept, {report.rows_rejected} rejected"
        if report
        else f"{len(table)} rows"
    )
    layout = "canonical table" if args.format == "canonical" else f"study layout, {args.language}"
    print(f"{target}: {len(table)} cases ({counts}; {layout})")
    return 0


def _sheet_cases(name: str):
    """The cases of ``sheets export``/``sheets import --cases``: an inventory (``-coded`` and
    ``-annotated`` names too), a mapping file or a canonical export."""
    from . import coding

    if Path(name).suffix.lower() in (".csv", ".xlsx"):
        return coding.read_cases(name)
    return coding.cases_for(name)


def cmd_sheets(args) -> int:
    """Coding sheets for people: ``export`` one per coder, ``import`` the filled ones."""
    from . import exports

    if args.language not in config.LANGUAGES:
        raise exports.option_error("--language", args.language, config.LANGUAGES)
    return _sheets_export(args) if args.action == "export" else _sheets_import(args)


def _sheets_export(args) -> int:
    from . import human_coding

    cases = _sheet_cases(args.inventory)
    suggested = human_coding.suggestions(cases, args.suggest)
    paths = human_coding.export_sheets(
        cases,
        args.coder,
        args.to,
        language=args.language,
        suggested=suggested,
        prefill=args.prefill,
    )
    for path in paths:
        print(f"{path}: {len(cases)} cases")
    return 0


def _sheets_import(args) -> int:
    from . import exports, human_coding

    for option, path in (("--to", args.to), ("--disagreements", args.disagreements)):
        if path and Path(path).suffix.lower() not in exports.EXPORT_SUFFIXES:
            raise exports.option_error(option, path, exports.EXPORT_SUFFIXES, "a file ending in")
    coded = human_coding.import_sheets(args.sheets, args.adjudicator or "", language=args.language)
    judge = f"; adjudicator {coded.adjudicator}" if coded.adjudicator else ""
    print(f"{len(coded.sheets)} sheets: {', '.join(coded.coders)}{judge}")
    agreement = human_coding.field_agreement(coded)
    if len(coded.coders) < 2 or agreement.empty:
        print("one coder: no agreement to measure")
    else:
        print("Krippendorff's alpha per field (cases coded by two or more; share in agreement):")
        for r in agreement.itertuples(index=False):
            print(f"  {r.field:<20} {r.alpha:6.3f}  ({r.pairable} cases, {r.agreement:.1%} agree)")
        print("Cohen's kappa per flag:")
        for r in human_coding.flag_kappa(coded).itertuples(index=False):
            print(f"  {r.field:<20} {r.kappa:6.3f}  ({r.coder_a} x {r.coder_b}, {r.units} cases)")
        disagreements = human_coding.disagreement_list(coded)
        print(f"disagreements: {len(disagreements)} (case x field)")
        if args.disagreements:
            from .outputs import write_table

            print(f"  listed in {write_table(disagreements, Path(args.disagreements))}")
    if args.to:
        cases = _sheet_cases(args.cases) if args.cases else None
        merged = human_coding.merged(coded, cases)
        exports.write_export(merged, Path(args.to))
        print(f"{args.to}: {len(merged)} cases with the merged codes (canonical table)")
    return 0


def cmd_inventories(args) -> int:
    """The names a notebook's ``inventory`` takes: bundled inventories, then the annotated
    (``-annotated``) and coded (``-coded``) versions."""
    from .parameters import inventory_names

    for name in inventory_names():
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
        if o.log:
            print(f"  log (kernel output, traceback): {o.log}", file=sys.stderr)
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
    print(f"pdf: {len(names)} report pages in {reports}", flush=True)
    finished = []

    def show(outcome: render.PdfOutcome) -> None:
        finished.append(outcome)
        print(
            f"[{len(finished)}/{len(names)}] {outcome.name}.pdf: {outcome.status}, "
            f"{outcome.pages} pages, {outcome.seconds:.1f} s",
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
    print(f"refresh: {len(paths)} notebooks, one at a time", flush=True)
    finished = []

    def show(path: Path) -> None:
        finished.append(path)
        print(f"[{len(finished)}/{len(paths)}] refreshed {path}", flush=True)

    try:
        pipeline.refresh(paths, done=show)
    except KeyboardInterrupt:
        raise KeyboardInterrupt(
            f"interrupted: {len(finished)} of {len(paths)} notebooks refreshed (kept), "
            f"{len(paths) - len(finished)} not / 已中斷：{len(paths)} 本筆記本中 "
            f"{len(finished)} 本已更新（保留）"
        ) from None
    return 0


def cmd_bench(args) -> int:
    """Run the benchmarks, a line as each benchmark and size starts and ends (flushed: a
    log shows them as they come)."""
    from . import benchmarks

    def log(line: str) -> None:
        print(line, flush=True)

    try:
        benchmarks.run_all(
            args.out,
            args.quick,
            args.only,
            args.repeats,
            log=log,
            sizes=tuple(args.sizes) if args.sizes else None,
        )
    except KeyboardInterrupt:
        raise KeyboardInterrupt(
            "interrupted: no benchmark results written / 已中斷：未寫入基準測試結果"
        ) from None
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
    from .dictionary import write_dictionary
    from .mapping.reference import write_docs
    from .outputs import atomic_write_text
    from .parameters import REFERENCE_FILE, parameters_markdown

    folder = Path(args.to) if args.to else REFERENCE_FILE.parent
    reference = atomic_write_text(folder / REFERENCE_FILE.name, parameters_markdown())
    for path in [*write_docs(args.to), write_dictionary(args.to), reference]:
        print(path)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m analysis",
        description="Public-sector AI inventories: load, code, analyse, report.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser(
        "export",
        help="write an inventory as the canonical case table or in the study's layout "
        "(CSV or XLSX)",
    )
    p.add_argument(
        "inventory",
        nargs="?",
        help="bundled inventory name (e.g. study), mapping file, or canonical CSV/XLSX",
    )
    p.add_argument("--mapping", help="a mapping file (data/inventories/*.yaml format)")
    p.add_argument("--to", required=True, help="output file: .csv (UTF-8 with BOM) or .xlsx")
    p.add_argument(
        "--format",
        default="canonical",
        help="canonical (the canonical case table, the default) or study (the study's table "
        "layout: its headings, V for a ticked risk, one sheet per source)",
    )
    p.add_argument(
        "--language",
        default=config.DEFAULT_LANGUAGE,
        help="headings and labels of the study layout: zh-TW (default) or en",
    )
    p.add_argument(
        "--raw-csv",
        action="store_true",
        help="write CSV text as it is: no ' before a value a spreadsheet would run as a "
        "formula (=, +, -, @, tab, carriage return)",
    )
    p.add_argument(
        "--allow-outside-paths",
        action="store_true",
        help="let the mapping read raw files outside its folder and data/raw "
        "(as ANALYSIS_ALLOW_OUTSIDE=1)",
    )
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("sheets", help="coding sheets for people: export, then import filled ones")
    actions = p.add_subparsers(dest="action", required=True)
    q = actions.add_parser("export", help="write one XLSX coding sheet per coder")
    q.add_argument("inventory", help="inventory name, mapping file or canonical CSV/XLSX")
    q.add_argument(
        "--coder", action="append", required=True, help="a coder's name (repeatable: one each)"
    )
    q.add_argument("--to", type=Path, required=True, help="folder for the sheets")
    q.add_argument("--language", default=config.DEFAULT_LANGUAGE, help="zh-TW (default) or en")
    q.add_argument(
        "--suggest",
        default="none",
        help="suggestions shown beside the coding cells: none (default), rules or model",
    )
    q.add_argument(
        "--prefill", action="store_true", help="also write the suggestions into the coding cells"
    )
    q.set_defaults(func=cmd_sheets)
    q = actions.add_parser(
        "import", help="read filled sheets: agreement between coders, merged codes"
    )
    q.add_argument("sheets", nargs="+", help="filled .xlsx sheets, or folders of them")
    q.add_argument("--adjudicator", default="", help="the coder whose sheet settles disagreements")
    q.add_argument("--to", help="write the merged codes as a canonical table (.csv or .xlsx)")
    q.add_argument(
        "--cases",
        help="the inventory to merge into (default: the bundled inventories named in the sheets)",
    )
    q.add_argument("--disagreements", help="write the disagreement list (.csv or .xlsx)")
    q.add_argument("--language", default=config.DEFAULT_LANGUAGE, help=argparse.SUPPRESS)
    q.set_defaults(func=cmd_sheets)

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
        "docs",
        help="regenerate the generated docs pages: the mapping-format reference, its JSON "
        "Schema and the canonical-table data dictionary (docs/)",
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
    except KeyboardInterrupt as exc:  # Ctrl-C: one line (a run says what finished), no traceback
        print(str(exc) or "interrupted / 已中斷", file=sys.stderr)
        return 130
