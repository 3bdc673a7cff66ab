"""The package's layers, checked on its source: no import cycle, imports only downward, no
private name used across modules.

Imports are read with :mod:`ast` from every module, including imports written inside
functions (a lazy import is still a dependency)."""

import ast
from pathlib import Path

import analysis

PACKAGE = Path(analysis.__file__).parent

#: Layers from the bottom up; a module may import from its own layer or a lower one.
#: ``analysis.X`` covers the module X and, for a subpackage, all of its modules.
LAYERS = [
    [
        "errors",
        "config",
        "fonts",
        "lazy",
        "timings",
        "textnorm",
        "outputs",
        "readers",
        "environment",
        "cache",
        "memo",
    ],
    ["frame"],
    ["canonical", "mapping", "synthetic", "dictionary"],
    ["coders", "inventories", "summary", "cooccurrence", "stats", "clustering", "governance"],
    ["agreement", "coding_sheets", "annotations"],
    ["coding", "tables", "figures", "explore", "present", "findings", "parameters", "imputation"],
    ["exports", "human_coding"],
    ["render", "index_page", "report_check", "pipeline", "benchmarks", "cli", "__main__"],
]


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


MODULES = _modules()


def _imports(name: str, path: Path) -> list[tuple[str, list[str], int]]:
    """(module imported, names imported from it, line) for every import of the package."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                if sub in MODULES:
                    found.append((sub, [], node.lineno))
                elif target in MODULES:
                    found.append((target, [alias.name], node.lineno))
        elif isinstance(node, ast.Import):
            found += [(a.name, [], node.lineno) for a in node.names if a.name in MODULES]
    return [(t, n, line) for t, n, line in found if t != name]


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _layer(module: str) -> int:
    top = module.split(".")[1] if module.count(".") else ""
    for i, names in enumerate(LAYERS):
        if top in names:
            return i
    raise AssertionError(f"{module} is in no layer of tests/test_architecture.py: add it")


def test_every_module_has_a_layer():
    for module in MODULES:
        if module != "analysis":
            _layer(module)


def test_no_import_cycle():
    edges = {m: {t for t, _, _ in GRAPH[m]} for m in MODULES}
    # a package's __init__ re-exporting its own modules is not a dependency of theirs
    edges = {m: {t for t in ts if not t.startswith(m + ".")} for m, ts in edges.items()}
    seen, stack, cycles = set(), [], []

    def visit(m, on_path):
        if m in on_path:
            cycles.append(stack[stack.index(m) :] + [m])
            return
        if m in seen:
            return
        seen.add(m)
        stack.append(m)
        for t in sorted(edges[m]):
            visit(t, on_path | {m})
        stack.pop()

    for m in sorted(MODULES):
        visit(m, frozenset())
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def test_imports_point_downward():
    upward = [
        f"{MODULES[m].relative_to(PACKAGE.parent)}:{line} imports {t}"
        for m in MODULES
        if m != "analysis"
        for t, _, line in GRAPH[m]
        if t != "analysis" and _layer(t) > _layer(m)
    ]
    assert not upward, "imports from a higher layer:\n" + "\n".join(upward)


def test_coders_know_neither_inventories_nor_agreement():
    coders = [m for m in MODULES if m.startswith("analysis.coders")]
    assert {"analysis.coders.rules", "analysis.coders.trained", "analysis.coders.llm"} <= set(
        coders
    )
    forbidden = ("analysis.inventories", "analysis.agreement", "analysis.coding")
    bad = [(m, t) for m in coders for t, _, _ in GRAPH[m] if t.startswith(forbidden)]
    assert not bad


def test_no_private_name_imported_across_modules():
    private = [
        f"{MODULES[m].relative_to(PACKAGE.parent)}:{line} imports {t}.{n}"
        for m in MODULES
        for t, names, line in GRAPH[m]
        for n in names
        if n.startswith("_") and not n.startswith("__")
    ]
    assert not private, "\n".join(private)


def test_no_private_attribute_of_another_module():
    aliases = {}
    found = []
    for m, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = {
            a.asname or a.name
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom)
            for a in node.names
            if any(t.endswith("." + a.name) for t, _, _ in GRAPH[m])
        }
        aliases[m] = names
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in names
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
            ):
                found.append(
                    f"{path.relative_to(PACKAGE.parent)}:{node.lineno} {node.value.id}.{node.attr}"
                )
    assert not found, "\n".join(found)


#: Public names defined in more than one module, each with why that is clear to a reader.
SHARED_NAMES = {
    "available": "inventories.available (bundled inventories), governance.available (frameworks)",
    "check": "canonical.check (a case table), parameters.check (a notebook's parameters)",
    "clear": "cache.clear (stored entries), coders.features.clear (the token store in memory)",
    "folder": "cache.folder(namespace); memo.folder() is the memo namespace's folder",
    "key": "cache.key (the key recipe); mapping.spec.key (a key of the mapping format)",
    "learning_curve": "agreement computes it, figures.coding draws it",
    "missingness": "summary computes it, figures.inventory draws it",
    "run": "pipeline.run (notebooks), benchmarks.run (benchmarks)",
    "save": "tables.save (a table), figures.save (a figure)",
    "write": "canonical.write (a case table), cache.write (an entry)",
}


def test_public_names_are_defined_once():
    owners: dict[str, list[str]] = {}
    for m, path in MODULES.items():
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and not node.name.startswith("_"):
                owners.setdefault(node.name, []).append(m)
    twice = {n: ms for n, ms in owners.items() if len(ms) > 1 and n not in SHARED_NAMES}
    assert not twice, f"defined in several modules (rename, or say why in SHARED_NAMES): {twice}"
