"""The mapping format as a model (analysis.mapping.spec): the committed key reference and JSON
Schema are what the model generates, the schema agrees with the loader, a mistake in a real
mapping is one bilingual problem naming file, key path, value and expectation, and the flags
section's defaults reach every flag."""

from __future__ import annotations

import json

import jsonschema
import pytest
import yaml

from analysis import config
from analysis.errors import InputError
from analysis.mapping import load_mapping, reference
from analysis.mapping.spec import PLACES

DOCS = config.ROOT / "docs"
BAD_INPUTS = config.ROOT / "tests" / "bad_inputs"
REGENERATE = "python -m analysis docs"


def test_committed_key_reference_is_what_the_model_generates():
    committed = (DOCS / reference.MARKDOWN_FILE).read_text(encoding="utf-8")
    assert committed == reference.reference_markdown(), (
        f"docs/mapping-format.md is stale; run {REGENERATE}"
    )


def test_committed_json_schema_is_what_the_model_generates():
    committed = (DOCS / reference.SCHEMA_FILE).read_text(encoding="utf-8")
    assert committed == reference.schema_json(), (
        f"docs/mapping.schema.json is stale; run {REGENERATE}"
    )


def test_every_key_is_described_in_english_and_chinese_in_the_reference():
    text = reference.reference_markdown()
    for model in PLACES:
        assert f"\n## {model.title}\n" in text, model.__name__
        section = text.split(f"\n## {model.title}\n")[1].split("\n## ")[0]
        for name, info in model.model_fields.items():
            key = info.alias or name
            assert info.description and info.json_schema_extra["description_zh"], (
                model.__name__,
                key,
            )
            assert f"| `{key}`" in section, (model.__name__, key)


def _schema_validator():
    schema = json.loads((DOCS / reference.SCHEMA_FILE).read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.mark.parametrize(
    "path", sorted(config.INVENTORIES_DIR.glob("*.yaml")), ids=lambda p: p.stem
)
def test_bundled_mappings_load_and_pass_the_exported_json_schema(path):
    load_mapping(path)
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert [e.message for e in _schema_validator().iter_errors(document)] == []


@pytest.mark.parametrize(
    "case",
    [
        "mapping_unknown_top_key",
        "mapping_unknown_field_key",
        "mapping_bad_header_row",
        "mapping_zero_header_row",
        "mapping_bad_delimiter",
        "mapping_fields_not_a_mapping",
    ],
)
def test_exported_json_schema_rejects_what_the_loader_rejects(case):
    path = BAD_INPUTS / f"{case}.yaml"
    assert list(_schema_validator().iter_errors(yaml.safe_load(path.read_text(encoding="utf-8"))))
    with pytest.raises(InputError):
        load_mapping(path)


def _written(tmp_path, inventory: str, edit) -> object:
    """A bundled mapping with one edit, written where its raw file still resolves."""
    document = yaml.safe_load(
        (config.INVENTORIES_DIR / f"{inventory}.yaml").read_text(encoding="utf-8")
    )
    for entry in document["files"]:
        entry["path"] = str((config.INVENTORIES_DIR / entry["path"]).resolve())
    edit(document)
    path = tmp_path / f"{inventory}.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _flag_entry(document: dict, flag: str) -> dict:
    return document["flags"]["columns"][flag]["from"][0]


MISTAKES = {
    # name: (inventory, edit, key path, value, expected (English), expected (中文))
    "unknown key in a flag column entry": (
        "us-federal-2024",
        lambda d: _flag_entry(d, "personal_data").update(value={"y": "yes"}),
        "flags.columns.personal_data.from[0]",
        "['value']",
        "only the keys",
        "僅限這些鍵",
    ),
    "recode to a category the frame lacks": (
        "us-federal-2024",
        lambda d: d["fields"]["category"]["values"].update({"mission-enabling": "back_office"}),
        "fields.category.values['mission-enabling']",
        "back_office",
        "a category of the frame",
        "編碼架構中的 category",
    ),
    "flag key the frame lacks": (
        "us-federal-2024",
        lambda d: d["flags"]["columns"].update(bias="Is the AI biased?"),
        "flags.columns.bias",
        "bias",
        "a flag key of the frame",
        "編碼架構中的風險代碼",
    ),
    "extra named like a canonical column": (
        "jrc-ai-watch",
        lambda d: d["extras"].update(category={"from": "type"}),
        "extras.category",
        "category",
        "a new lower_snake_case column name",
        "新的小寫底線欄位名稱",
    ),
    "flags default outside its values": (
        "study",
        lambda d: d["flags"].update(blank="maybe"),
        "flags.blank",
        "maybe",
        "one of not_reported, no",
        "下列之一：not_reported、no",
    ),
    "flag answer that is not yes, no or not_reported": (
        "us-federal-2024",
        lambda d: _flag_entry(d, "personal_data")["values"].update({"n/a": "unknown"}),
        "flags.columns.personal_data.from[0].values['n/a']",
        "unknown",
        "yes, no or not_reported",
        "yes、no 或 not_reported",
    ),
    "generated ids with a column as well": (
        "us-federal-2024",
        lambda d: d["case_id"].update({"from": "Agency"}),
        "case_id",
        "['from']",
        "generate: row, with only rationale and report_duplicates",
        "generate: row",
    ),
    "a records path for a CSV file": (
        "study",
        lambda d: d["files"][0].update(records="data.cases"),
        "files[0].records",
        "data.cases",
        "records only for a json file (this one is csv",
        "records 僅用於 json 檔案",
    ),
    "a records path with an empty step": (
        "study",
        lambda d: d["files"][0].update(path="cases.json", records="data..cases"),
        "files[0].records",
        "data..cases",
        "a dotted path of keys",
        "以點號分隔的鍵路徑",
    ),
    "header row written as a word": (
        "study",
        lambda d: d["files"][0].update(header_row="2"),
        "files[0].header_row",
        "2",
        "a spreadsheet row number",
        "試算表列號",
    ),
    "fill_down written as yes": (
        "study",
        lambda d: d["fields"]["category"].update(fill_down="yes"),
        "fields.category.fill_down",
        "yes",
        "true or false",
        "true 或 false",
    ),
    "regular expression that does not compile": (
        "us-federal-2024",
        lambda d: d["flags"]["columns"]["personal_data"].update(patterns={"(": "yes"}),
        "flags.columns.personal_data.patterns['(']",
        "(",
        "a valid regular expression",
        "有效的正規表示式",
    ),
    "closed field without its provenance": (
        "us-federal-2024",
        lambda d: d["fields"]["category"].pop("coded_by"),
        "fields.category.coded_by",
        None,
        "the key 'coded_by'",
        "鍵 coded_by",
    ),
    "flag without its provenance": (
        "study",
        lambda d: d["flags"].pop("coded_by"),
        "flags.columns.data_governance.coded_by",
        None,
        "where the flag comes from",
        "風險標記來源",
    ),
    "unknown combine mode": (
        "us-federal-2024",
        lambda d: d["flags"]["columns"]["automated_decision"].update(combine="most"),
        "flags.columns.automated_decision.combine",
        "most",
        "one of any, any_reported, all, first",
        "下列之一",
    ),
    "recode to a technique the frame lacks": (
        "taiwan-public",
        lambda d: d["fields"]["techniques"]["values"].update({"5G": "telecom"}),
        "fields.techniques.values['5G']",
        "telecom",
        "a technique of the frame",
        "編碼架構中的技術",
    ),
    "notes as one sentence instead of a list": (
        "taiwan-public",
        lambda d: d.update(notes="Nothing is coded."),
        "notes",
        "Nothing is coded.",
        "a list of sentences",
        "句子清單",
    ),
    "unknown canonical field": (
        "taiwan-public",
        lambda d: d["fields"].update(title="case_name"),
        "fields",
        "['title']",
        "only the keys ['agency', 'application_type', 'category'",
        "僅限這些鍵",
    ),
}


@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_a_mistake_is_one_problem_naming_file_key_path_value_and_expectation(tmp_path, name):
    inventory, edit, where, value, en, zh = MISTAKES[name]
    path = _written(tmp_path, inventory, edit)
    with pytest.raises(InputError) as err:
        load_mapping(path)
    (problem,) = err.value.problems
    assert (problem.file, problem.row, problem.column) == (str(path), None, where)
    assert (None if problem.value is None else str(problem.value)) == value
    assert en in problem.expected and zh in problem.expected_zh, (
        problem.expected,
        problem.expected_zh,
    )
    message = str(err.value)
    assert f"file {path}" in message and f"column {where!r}" in message and "expected" in message
    assert f"檔案 {path}" in message and f"欄位「{where}」" in message and "應為" in message


def test_every_mistake_in_a_file_is_listed_at_once(tmp_path):
    def two_mistakes(document):
        document["files"][0]["header_row"] = 0
        document["on_problem"] = "skip"

    with pytest.raises(InputError) as err:
        load_mapping(_written(tmp_path, "study", two_mistakes))
    assert [(p.column, p.value) for p in err.value.problems] == [
        ("files[0].header_row", 0),
        ("on_problem", "skip"),
    ]
    assert err.value.summary.endswith("invalid mapping: 2 problems")


FLAG_DEFAULTS = """
inventory: synthetic
files: raw.csv
case_id: Ref
flags:
  coded_by: source
  blank: "no"
  values: {"x": "yes", "-": "no"}
  columns:
    personal_data: Q1
    ethics:
      blank: not_reported
      from:
        - Q2
        - column: Q3
          values: {"y": "no"}
    automated_decision:
      coded_by: crosswalk
      from: [Q4, Q5]
"""


def test_flags_section_keys_are_defaults_of_every_flag_and_column_entries_inherit(tmp_path):
    path = tmp_path / "synthetic.yaml"
    path.write_text(FLAG_DEFAULTS, encoding="utf-8")
    flags = load_mapping(path).flags
    assert {k: (f.coded_by, f.blank, f.values, f.columns) for k, f in flags.items()} == {
        "personal_data": ("source", "no", {"x": "yes", "-": "no"}, ["Q1"]),
        "ethics": ("source", "not_reported", {"x": "yes", "-": "no"}, ["Q2", "Q3"]),
        "automated_decision": ("crosswalk", "no", {"x": "yes", "-": "no"}, ["Q4", "Q5"]),
    }
    # Q3 has its own answers; its blank is the flag's, not the section's.
    (q3,) = flags["ethics"].per_column.values()
    assert (q3.columns, q3.values, q3.blank, q3.coded_by) == (
        ["Q3"],
        {"y": "no"},
        "not_reported",
        "source",
    )
    assert flags["ethics"].per_column.keys() == {"Q3"}


# -- asked_of: who a flag's questions were asked of (questionnaire design) -------------------
def test_asked_of_one_entry_is_a_list_and_values_are_folded():
    flag = load_mapping(config.INVENTORIES_DIR / "us-federal-2025.yaml").flags["personal_data"]
    (entry,) = flag.asked_of
    assert entry["where"] == [("development_stage", {"pilot", "deployed"})]
    assert entry["en"].startswith("pilot and deployed uses") and entry["zh"]


def test_asked_of_without_a_description_is_refused(tmp_path):
    def edit(d):
        d["flags"]["columns"]["personal_data"]["asked_of"] = {"en": "pilot uses"}

    with pytest.raises(InputError) as err:
        load_mapping(_written(tmp_path, "us-federal-2025", edit))
    assert "flags.columns.personal_data.asked_of" in str(err.value)


def test_asked_of_naming_a_missing_column_stops_the_load(tmp_path):
    from analysis.mapping import apply_mapping

    def edit(d):
        d["flags"]["columns"]["personal_data"]["asked_of"]["where"][0]["column"] = "no_such"

    with pytest.raises(InputError) as err:
        apply_mapping(_written(tmp_path, "us-federal-2025", edit))
    assert "no_such" in str(err.value)
