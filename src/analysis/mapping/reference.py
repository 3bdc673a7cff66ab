"""The key reference of the mapping format (``docs/mapping-format.md``) and its JSON Schema
(``docs/mapping.schema.json``), both generated from :mod:`analysis.mapping.spec`, so the
documentation says what the validator checks.

Regenerate both files with ``python -m analysis docs`` (:func:`write_docs`); a test fails
when the committed files differ.
"""

from __future__ import annotations

import inspect
import json
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from .. import config
from ..outputs import atomic_write_text
from .spec import PLACES, MappingDocument, Place, keys_of, unwrap

MARKDOWN_FILE = "mapping-format.md"
SCHEMA_FILE = "mapping.schema.json"
#: How the reference writes the name of an entry of a mapping-valued key.
ENTRY_NAMES = {"columns": "<flag>"}

INTRO = """\
# The mapping format · 對應檔格式

<!-- Generated from src/analysis/mapping/spec.py by `python -m analysis docs`;
do not edit by hand: change the model and regenerate. -->

An inventory is added by writing one mapping file, `data/inventories/<name>.yaml`; no code
is written per inventory. README.md, section "Adding an inventory", walks through a worked
example (a town-hall register); the bundled mappings in `data/inventories/` are real ones.
新增清冊只需撰寫一個對應檔；範例見 README.md「Adding an inventory」。

Each table below lists the keys of one place in the file, with the type, the default, the
values allowed and what the key means in English and Traditional Chinese. A key that is not
listed is an error, and so is a value of another type: the error names the mapping file, the
key path (e.g. `fields.category.values['back office']`), the value and what was expected,
in English and Traditional Chinese. Checks that need the coding frame
(`data/frame/frame.yaml`: its categories, application types, techniques and flag keys) are
made when the mapping is loaded.

A key written twice in one place is an error naming both lines (YAML alone would keep the
second silently); so are more than 20 YAML aliases (`*name`) in one file, refused before the
file is read. A key of a text field that has no effect where it is written (`fill_down`,
`remove`, `extract`, `join` on a flag; `values`, `unmapped`, `required` on the case id) is an
error. Regular expressions (`extract`, `remove`, `patterns`) are run by the `regex` engine
with a limit of 1 second per value (`REGEX_TIMEOUT`); a longer run is an error naming the
pattern, the key, the row and the value. An `extract` that matches none of a column's
non-blank values is said in the report's notes, with the count.

Editors: `docs/mapping.schema.json` is the same format as a JSON Schema. With the YAML
language server, the first line `# yaml-language-server: $schema=../../docs/mapping.schema.json`
in a file under `data/inventories/` gives completion and checks while typing.
"""


# -- where each place is --------------------------------------------------------------------
def _inner_places(annotation: Any, path: str, key: str) -> list[tuple[str, type[Place]]]:
    """The places under a key: a model, or the models of its list items or mapping values."""
    annotation = unwrap(annotation)
    if isinstance(annotation, type) and issubclass(annotation, Place):
        return [(path, annotation)]
    origin = get_origin(annotation)
    if origin is list:
        return _inner_places(get_args(annotation)[0], f"{path}[]", key)
    if origin is dict:
        return _inner_places(
            get_args(annotation)[1], f"{path}.{ENTRY_NAMES.get(key, '<name>')}", key
        )
    return []


def places() -> dict[type[Place], list[str]]:
    """Every key path at which each place of the format may appear."""
    found: dict[type[Place], list[str]] = {}

    def visit(model: type[Place], path: str) -> None:
        if path in found.setdefault(model, []):
            return
        found[model].append(path)
        for name, info in keys_of(model).items():
            for sub, inner in _inner_places(
                info.annotation, f"{path}.{name}" if path else name, name
            ):
                visit(inner, sub)

    visit(MappingDocument, "")
    return found


# -- one table row --------------------------------------------------------------------------
def _type_text(schema: dict) -> str:
    """A JSON Schema type in words (a compound type in parentheses where it is nested)."""
    if "$ref" in schema:
        title = PLACE_TITLES[schema["$ref"].rsplit("/", 1)[-1]]
        return f"[{title.lower()}](#{title.lower().replace(' ', '-')})"
    if "anyOf" in schema:
        parts = list(dict.fromkeys(_type_text(s) for s in schema["anyOf"]))
        if {"text", "integer", "number"} <= set(parts):  # a text, where YAML may read a number
            parts = [p for p in parts if p not in ("integer", "number")]
        return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " or " + parts[-1]
    kind = schema.get("type")
    if kind == "array":
        return "list of " + _nested(_type_text(schema["items"])) if schema.get("items") else "list"
    if kind == "object":
        values = schema.get("additionalProperties")
        return (
            "mapping of " + _nested(_type_text(values))
            if isinstance(values, dict) and values
            else "mapping"
        )
    if kind == "string" and schema.get("format") == "regex":
        return "regular expression"
    return {
        "string": "text",
        "integer": "integer",
        "number": "number",
        "boolean": "true/false",
        "null": "null",
    }.get(kind, "any")


def _nested(text: str) -> str:
    return f"({text})" if " or " in text else text


def _default_text(info: FieldInfo, extra: dict) -> str:
    if "x-default" in extra:
        return extra["x-default"]
    default = info.default
    if default is PydanticUndefined:
        return "**required**"
    if default is None or default in ({}, []):
        return "—"
    if isinstance(default, bool):
        return f"`{str(default).lower()}`"
    if isinstance(default, str):
        return (
            f"`{json.dumps(default, ensure_ascii=False)}`"
            if not default.isidentifier()
            else f"`{default}`"
        )
    return f"`{default}`"


def _allowed_text(info: FieldInfo, extra: dict) -> str:
    literal = unwrap(info.annotation)
    if get_origin(literal) is Literal:
        return ", ".join(f"`{a}`" for a in get_args(literal))
    return extra["x-expected"][0] if "x-expected" in extra else ""


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _row(name: str, info: FieldInfo, schema: dict) -> str:
    extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    shown = f"`{name}`" + (" (no effect)" if extra.get("deprecated") else "")
    cells = [
        shown,
        _type_text(schema),
        _default_text(info, extra),
        _allowed_text(info, extra),
        info.description or "",
        extra.get("description_zh", ""),
    ]
    return "| " + " | ".join(_cell(c) for c in cells) + " |"


# -- the documents --------------------------------------------------------------------------
PLACE_TITLES = {model.__name__: model.title for model in PLACES}


def _section(model: type[Place], paths: list[str], schema: dict) -> str:
    properties = (schema if model is MappingDocument else schema["$defs"][model.__name__])[
        "properties"
    ]
    where = ", ".join(f"`{p}`" for p in paths if p) or "the top level of the file"
    text = inspect.cleandoc(model.__doc__ or "").replace("``", "`")
    rows = [_row(name, info, properties[name]) for name, info in keys_of(model).items()]
    return "\n".join(
        [
            f"## {model.title}",
            "",
            f"Where: {where}.",
            "",
            text,
            "",
            "| key | type | default | allowed | meaning | 說明 |",
            "|---|---|---|---|---|---|",
            *rows,
            "",
        ]
    )


def schema() -> dict:
    """The mapping format as a JSON Schema (draft 2020-12)."""
    document = MappingDocument.model_json_schema()
    document["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    document["title"] = "Inventory mapping · 清冊對應檔"
    return document


def schema_json() -> str:
    """:func:`schema` as the bytes of ``docs/mapping.schema.json`` (sorted keys, stable)."""
    return json.dumps(schema(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def reference_markdown() -> str:
    """The key reference ``docs/mapping-format.md``: every key, where it may appear, its
    type, default, allowed values and meaning."""
    document, where = schema(), places()
    sections = [_section(model, where.get(model, []), document) for model in PLACES]
    return INTRO + "\n" + "\n".join(sections)


def write_docs(folder: Path | None = None) -> list[Path]:
    """Write ``mapping-format.md`` and ``mapping.schema.json`` to ``folder`` (default:
    ``docs/`` of the checkout); returns the files written."""
    folder = Path(folder) if folder is not None else config.ROOT / "docs"
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in ((MARKDOWN_FILE, reference_markdown()), (SCHEMA_FILE, schema_json())):
        written.append(atomic_write_text(folder / name, text))
    return written
