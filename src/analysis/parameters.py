"""A notebook's parameters, checked before any work starts.

Each notebook declares its parameters in its ``parameters`` cell, one literal each with its
type and a short help comment (``language: str = "zh-TW"  # zh-TW or en``); papermill reads
the same cell for ``--help-notebook``. :func:`check` compares the values a run was given
with that declaration and with what the suite knows (the frame's languages and flags, the
inventories, the frameworks, the choices of the modules that use a value) and raises one
:class:`ParameterError` naming every bad parameter, its value and what it may be.
:func:`parameters_markdown` writes the reference of every notebook's parameters
(``docs/notebook-parameters.md``).
"""

from __future__ import annotations

import ast
import io
import json
import re
import tokenize
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from . import config
from .errors import AnalysisError
from .frame import Frame, load_frame

#: The committed reference of every notebook's parameters.
REFERENCE_FILE = config.ROOT / "docs" / "notebook-parameters.md"
#: Python types a declared type accepts (a bool is not an int here).
TYPES = {"str": (str,), "int": (int,), "float": (int, float), "bool": (bool,), "list": (list,)}
_TYPE_WORDS = {
    "str": ("a str", "文字"),
    "int": ("an int", "整數"),
    "float": ("a float", "數值"),
    "bool": ("a bool (True or False)", "布林值（True 或 False）"),
    "list": ("a list", "清單"),
}
#: Cells that still run after :func:`require_flags` has skipped the risk analyses.
KEEP_CELLS = ("parameters.check", "software_versions")
_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\]+")


class ParameterError(AnalysisError):
    """A notebook was given a parameter it does not have, or a value it cannot use."""


@dataclass(frozen=True)
class Parameter:
    """One parameter as a notebook's ``parameters`` cell declares it."""

    name: str
    type: str
    default: object
    help: str


# -- the declaration ------------------------------------------------------------------------
def notebook_path(notebook: str | Path) -> Path:
    """The ``.ipynb`` of a notebook given as a path or by name (``02_risk_cooccurrence``)."""
    path = Path(notebook)
    if path.suffix == ".ipynb" and path.exists():
        return path
    candidate = config.NOTEBOOKS_DIR / f"{path.stem}.ipynb"
    if not candidate.exists():
        names = ", ".join(p.stem for p in sorted(config.NOTEBOOKS_DIR.glob("*.ipynb")))
        raise ParameterError(
            f"no notebook {str(notebook)!r} (notebooks: {names}) / "
            f"沒有筆記本 {str(notebook)!r}（可用：{names}）"
        )
    return candidate


def declared(notebook: str | Path) -> list[Parameter]:
    """The parameters a notebook declares, in cell order: name, type, default, help."""
    path = notebook_path(notebook)
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    cell = next((c for c in cells if "parameters" in c.get("metadata", {}).get("tags", [])), None)
    if cell is None:
        return []
    source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
    comments = {
        token.start[0]: token.string.lstrip("#").strip()
        for token in tokenize.generate_tokens(io.StringIO(source).readline)
        if token.type == tokenize.COMMENT
    }
    found = []
    for node in ast.parse(source).body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            name, kind = node.target.id, ast.unparse(node.annotation)
        elif isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            name, kind = node.targets[0].id, ""
        else:
            continue
        default = ast.literal_eval(node.value)
        found.append(Parameter(name, kind, default, comments.get(node.end_lineno, "")))
    return found


# -- what a value may be --------------------------------------------------------------------
def inventory_names() -> list[str]:
    """Every name a notebook's ``inventory`` takes: the bundled inventories, their annotated
    (``-annotated``) and coded (``-coded``) versions."""
    from . import coding, inventories

    names = inventories.available()
    names += coding.annotated_names()
    names += [n + config.CODED_SUFFIX for n in coding.PUBLIC_INVENTORIES if n in names]
    return names


def is_mapping_path(value: object) -> bool:
    """Whether an ``inventory`` value names a mapping file rather than an inventory."""
    return isinstance(value, str) and Path(value).suffix in (".yaml", ".yml")


def output_name(inventory: str | list[str]) -> str:
    """The name a run's output files carry for ``inventory``: the name itself, the mapping
    file's ``inventory:`` for a mapping path, several joined by ``+``; never a path."""
    if not isinstance(inventory, str):
        return "+".join(output_name(i) for i in inventory)
    name = str(inventory)
    if is_mapping_path(name) and Path(name).exists():
        data = yaml.safe_load(Path(name).read_text(encoding="utf-8"))
        name = str(data.get("inventory") or "") if isinstance(data, dict) else ""
        name = name or Path(inventory).stem
    return _UNSAFE.sub("_", name).strip(". ") or "inventory"


@dataclass(frozen=True)
class ParameterRule:
    """What a value may be beyond its declared type: one of ``choices`` (computed from the
    frame, the data or the module that uses the value; ``words`` added), a mapping file path
    (``paths``), a number of at least ``least``; a list has at least ``items`` items, each
    checked the same way."""

    choices: Callable[[Frame, dict], list] | None = None
    words: tuple[str, ...] = ()
    paths: bool = False
    least: float | Callable[[dict], float] | None = None
    items: int = 1
    folder: bool = False

    def expected(self, frame: Frame, values: dict) -> tuple[str, str]:
        """What the rule accepts, in English and Traditional Chinese."""
        if self.least is not None:
            bound = self.least(values) if callable(self.least) else self.least
            return f"a number of at least {bound}", f"不小於 {bound} 的數"
        if self.folder:
            return "an existing folder, or empty", "存在的資料夾，或空白"
        allowed = [*self.words, *(str(c) for c in self.choices(frame, values))]
        en, zh = f"one of {', '.join(allowed)}", f"下列之一：{'、'.join(allowed)}"
        if self.paths:
            en, zh = f"{en}, or an existing mapping file", f"{zh}，或存在的對應檔"
        return en, zh

    def problem(self, value: object, frame: Frame, values: dict) -> tuple[str, str] | None:
        """None when ``value`` is acceptable, else what was expected."""
        if isinstance(value, list):
            if len(value) < self.items:
                return f"a list of at least {self.items}", f"至少 {self.items} 項的清單"
            bad = next((v for v in value if self.problem(v, frame, values)), None)
            if bad is None:
                return None
            en, zh = self.problem(bad, frame, values)
            return f"items each {en} (not {bad!r})", f"每一項皆為{zh}（{bad!r} 不是）"
        if self.least is not None:
            bound = self.least(values) if callable(self.least) else self.least
            return None if value >= bound else self.expected(frame, values)
        if self.folder:
            return None if value == "" or Path(value).is_dir() else self.expected(frame, values)
        if self.paths and is_mapping_path(value):
            if Path(value).exists():
                from .mapping.spec import load_mapping

                load_mapping(Path(value), frame)  # a malformed mapping says where, now
                return None
            return (
                f"an existing mapping file ({Path(value).resolve()} does not exist)",
                f"存在的對應檔（{Path(value).resolve()} 不存在）",
            )
        choices = self.choices(frame, values)
        if value in self.words or value in choices or not (choices or self.words):
            return None  # no choices: what they depend on is wrong, and said so
        return self.expected(frame, values)


def _number(value: object) -> float:
    """``value`` if it is a number (not a bool), else 0: a bound read from another parameter
    that is itself wrong (and reported) does not hide this one's problem."""
    return value if isinstance(value, int | float) and not isinstance(value, bool) else 0


def _strata(frame: Frame, values: dict) -> list[str]:
    from .cooccurrence import DEFAULT_STRATA

    return [s for s in DEFAULT_STRATA if s is not None]


def _module_list(module: str, name: str) -> Callable[[Frame, dict], list]:
    """The choices a module of the package defines (e.g. ``clustering.METHODS``)."""

    def choices(frame: Frame, values: dict) -> list[str]:
        from importlib import import_module

        return list(getattr(import_module(f"{__package__}.{module}"), name))

    return choices


def _bundled(frame: Frame, values: dict) -> list[str]:
    from .inventories import available

    return available()


def _mapped_inventories(frame: Frame, values: dict) -> list[str]:
    return [n for n in inventory_names() if not n.endswith(config.ANNOTATED_SUFFIX)]


def _targets(frame: Frame, values: dict) -> list[str]:
    techniques = [f"technique:{t}" for t in frame.technique_keys]
    return ["category", "application_type", *frame.flag_keys, *techniques]


def _frameworks(frame: Frame, values: dict) -> list[str]:
    from .governance import available

    return available()


def _framework(frame: Frame, values: dict):
    from .governance import available, load_framework

    name = values.get("framework")
    return load_framework(name, frame) if name in available() else None


def _dimensions(frame: Frame, values: dict) -> list[str]:
    chosen = _framework(frame, values)
    return [d.key for d in chosen.dimensions] if chosen else []


def _levels(frame: Frame, values: dict) -> list[str]:
    if values.get("dimension") not in _dimensions(frame, values):
        return []
    return _framework(frame, values).dimension(values["dimension"]).level_keys


_INVENTORY = ParameterRule(lambda frame, values: inventory_names(), paths=True)
#: What each parameter may be beyond its declared type: by name, or by ``(notebook, name)``
#: where one notebook's parameter means something else.
RULES: dict[str | tuple[str, str], ParameterRule] = {
    "language": ParameterRule(lambda frame, values: list(config.LANGUAGES)),
    "inventory": _INVENTORY,
    "inventories": _INVENTORY,
    "compared": ParameterRule(_INVENTORY.choices, paths=True, items=2),
    "compare": ParameterRule(_INVENTORY.choices, words=("bundled",), paths=True),
    "top": ParameterRule(least=1),
    "stratify_by": ParameterRule(_strata),
    "min_stratum_size": ParameterRule(least=1),
    "na_policy": ParameterRule(_module_list("cooccurrence", "NA_POLICIES")),
    ("03_clustering", "na_policy"): ParameterRule(_module_list("clustering", "NA_POLICIES")),
    "measure": ParameterRule(_module_list("cooccurrence", "MEASURES")),
    "n_permutations": ParameterRule(least=1),
    "method": ParameterRule(_module_list("clustering", "METHODS")),
    "metric": ParameterRule(_module_list("clustering", "METRICS")),
    "linkage": ParameterRule(_module_list("clustering", "LINKAGES")),
    "k_min": ParameterRule(least=2),
    "k_max": ParameterRule(least=lambda values: max(2, _number(values.get("k_min")))),
    "weight": ParameterRule(least=0),
    "n_boot": ParameterRule(least=1),
    "seed": ParameterRule(least=0),
    "coded_inventory": ParameterRule(_module_list("coding", "CODING_PLAN")),
    "target": ParameterRule(_targets),
    "folds": ParameterRule(least=2),
    "framework": ParameterRule(_frameworks),
    "dimension": ParameterRule(_dimensions),
    "level": ParameterRule(_levels),
    "validation_inventory": ParameterRule(_bundled),
    "validation_inventory_2025": ParameterRule(_mapped_inventories),
    "min_n": ParameterRule(least=1),
    ("07_human_coding", "sheets"): ParameterRule(folder=True),
}
#: Types a parameter takes besides its declared one (an inventory or a list to pool).
ALSO = {
    ("02_risk_cooccurrence", "inventory"): (list,),
    ("00_inventory_profile", "compare"): (list,),
}


def _accepts(kind: str, extra: tuple[type, ...], value: object) -> bool:
    types = TYPES.get(kind, (object,)) + extra
    if isinstance(value, bool) and bool not in types:
        return False
    return isinstance(value, types)


def _type_words(kind: str, extra: tuple[type, ...]) -> tuple[str, str]:
    names = [kind] + [t.__name__ for t in extra]
    en = " or ".join(_TYPE_WORDS.get(n, (n, n))[0] for n in names)
    return en, "或".join(_TYPE_WORDS.get(n, (n, n))[1] for n in names)


def check(notebook: str | Path, frame: Frame | None = None, **values) -> None:
    """Check a run's parameter values against the notebook's declaration and the suite's
    data; raise one :class:`ParameterError` naming each bad parameter, its value and what
    it may be. A parameter not given keeps its declared default."""
    stem = Path(notebook).stem
    params = {p.name: p for p in declared(notebook)}
    unknown = sorted(set(values) - set(params))
    if unknown:
        raise ParameterError(
            f"{stem} has no parameter {', '.join(unknown)}; its parameters: "
            f"{', '.join(params)} / {stem} 沒有參數 {'、'.join(unknown)}；"
            f"它的參數：{'、'.join(params)}"
        )
    _stop_skipping()
    frame = frame or load_frame()
    values = {name: p.default for name, p in params.items()} | values
    lines = []
    for name, p in params.items():
        value, extra = values[name], ALSO.get((stem, name), ())
        if _accepts(p.type, extra, value):
            rule = RULES.get((stem, name), RULES.get(name))
            problem = rule.problem(value, frame, values) if rule else None
        else:
            problem = _type_words(p.type, extra)
        if problem:
            lines.append(
                f"  - parameter {name} = {value!r}: expected {problem[0]} / "
                f"參數 {name} 的值 {value!r} 應為{problem[1]}"
            )
    if lines:
        raise ParameterError(
            "\n".join([f"{stem}: {len(lines)} bad parameter(s) / {len(lines)} 個參數有誤"] + lines)
        )


def resolve_paths(values: dict) -> dict:
    """``values`` with every mapping-file path (also inside a list) made absolute against
    the caller's working directory: a notebook runs in another folder."""

    def one(value):
        if is_mapping_path(value):
            return str(Path(value).expanduser().resolve())
        return [one(v) for v in value] if isinstance(value, list) else value

    def folder(value):
        return str(Path(value).expanduser().resolve()) if value else value

    return {
        name: folder(value) if name in FOLDERS else one(value) for name, value in values.items()
    }


#: Parameters that name a folder (resolved against the caller's working directory).
FOLDERS = ("sheets",)


# -- no flags: the risk analyses say so and are skipped --------------------------------------
def _skip_unless_kept(lines: list[str]) -> list[str]:
    """A cell's lines, or none when the risk analyses are skipped: only the check, the
    software versions and cells of plain assignments (a parameters cell) still run."""
    source = "".join(lines)
    if any(keep in source for keep in KEEP_CELLS):
        return lines
    try:
        body = ast.parse(source).body
    except SyntaxError:
        return lines
    literal = (ast.Assign, ast.AnnAssign)
    assigns = all(isinstance(n, literal) and _is_literal(n.value) for n in body)
    return lines if assigns else []


def _is_literal(node: ast.expr | None) -> bool:
    try:
        ast.literal_eval(node)
    except (ValueError, TypeError):
        return False
    return True


def _stop_skipping() -> None:
    shell = _shell()
    if shell is not None and _skip_unless_kept in shell.input_transformers_post:
        shell.input_transformers_post.remove(_skip_unless_kept)


def _shell():
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a dependency
        return None
    return get_ipython()


def reports_flags(cases, frame: Frame) -> bool:
    """Whether any case reports (yes or no) any of the frame's risk flags."""
    columns = [f for f in frame.flag_keys if f in cases.columns]
    return bool(columns) and bool(cases[columns].notna().any().any())


def require_flags(cases, frame: Frame, language: str = config.DEFAULT_LANGUAGE):
    """Nothing when the cases report a risk flag. Otherwise one sentence saying that the
    inventory reports none, and, in a notebook, the cells after this one are skipped (they
    are the risk analyses) except the software-versions cell; :func:`check` ends the skip."""
    if reports_flags(cases, frame):
        return None
    from .present import note

    shell = _shell()
    if shell is not None and _skip_unless_kept not in shell.input_transformers_post:
        shell.input_transformers_post.append(_skip_unless_kept)
    return note(frame.heading("no_flag_reported", language), language)


# -- the reference ----------------------------------------------------------------------------
def parameters_markdown() -> str:
    """``docs/notebook-parameters.md``: every notebook's parameters with type, default,
    choices and help, read from the notebooks' ``parameters`` cells."""
    frame = load_frame()
    lines = [
        "# Notebook parameters",
        "",
        "Generated from each notebook's `parameters` cell by `python -m analysis docs` "
        "(`analysis.parameters.parameters_markdown()`); do not edit by hand. A run checks every "
        "value before any work starts (`analysis.parameters.check`) and stops with one "
        "message naming the parameter, the value and the choices.",
        "",
        "Give values with `papermill NOTEBOOK OUT -p NAME VALUE` or "
        "`python -m analysis run NOTEBOOK -p NAME VALUE`; "
        "`papermill --help-notebook NOTEBOOK` lists them too. An inventory name is one of "
        "`python -m analysis inventories`; a mapping file path is read from the caller's "
        "working directory, and the run's files are named by the mapping's `inventory:`.",
    ]
    for path in sorted(config.NOTEBOOKS_DIR.glob("0*.ipynb")):
        params = declared(path)
        lines += ["", f"## {path.stem}", ""]
        if not params:
            lines.append("No parameters.")
            continue
        lines += ["| name | type | default | choices | help |", "|---|---|---|---|---|"]
        defaults = {p.name: p.default for p in params}
        for p in params:
            choices = _choices_text(path.stem, p.name, frame, defaults)
            if choices and p.type == "list":
                choices = f"each item {choices}"
            elif choices and (path.stem, p.name) in ALSO:
                choices = f"{choices}; or a list, each item so"
            cells = [f"`{p.name}`", p.type, f"`{p.default!r}`", choices, p.help]
            lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"


def _choices_text(stem: str, name: str, frame: Frame, values: dict) -> str:
    rule = RULES.get((stem, name), RULES.get(name))
    return rule.expected(frame, values)[0] if rule else ""
