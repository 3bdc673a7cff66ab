"""Notebook parameters: typed and documented in every notebook, checked before any work,
mapping paths and output names, and the risk notebooks on an inventory without flags."""

import ast
import os
import subprocess
import sys
import time
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import papermill
import pytest

from analysis import coding, config, figures, parameters, pipeline, tables
from analysis.errors import AnalysisError, InputError
from analysis.parameters import ParameterError

NOTEBOOKS = sorted(config.NOTEBOOKS_DIR.glob("0*.ipynb"))
STUDY_MAPPING = config.INVENTORIES_DIR / "study.yaml"


def _error(notebook: str, **values) -> str:
    with pytest.raises(ParameterError) as caught:
        parameters.check(notebook, **values)
    return str(caught.value)


# -- declared ---------------------------------------------------------------------------------
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_parameter_is_typed_and_documented_for_papermill(notebook):
    found = papermill.inspect_notebook(str(notebook))
    assert found, f"{notebook.name} declares no parameter"
    for name, p in found.items():
        assert p["inferred_type_name"] in parameters.TYPES, (notebook.name, name, p)
        assert p["help"], (notebook.name, name)
    assert [p.name for p in parameters.declared(notebook)] == list(found)


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_the_cell_after_parameters_checks_every_parameter(notebook):
    pair = notebook.with_suffix(".py").read_text(encoding="utf-8")
    cell = pair.split('# %% tags=["parameters"]\n', 1)[1].split("\n# %%\n")[1]
    call = next(
        node
        for node in ast.walk(ast.parse(cell))
        if isinstance(node, ast.Call) and ast.unparse(node.func) == "parameters.check"
    )
    assert ast.literal_eval(call.args[0]) == notebook.stem
    given = {k.arg: ast.unparse(k.value) for k in call.keywords}
    assert given == {p.name: p.name for p in parameters.declared(notebook)}


def test_the_committed_parameter_reference_is_current():
    committed = parameters.REFERENCE_FILE.read_text(encoding="utf-8")
    assert committed == parameters.parameters_markdown(), (
        "docs/notebook-parameters.md is stale: run python -m analysis docs"
    )
    for notebook in NOTEBOOKS:
        for p in parameters.declared(notebook):
            assert f"| `{p.name}` | {p.type} |" in committed.split(f"## {notebook.stem}")[1]


def test_defaults_and_the_plans_parameters_pass():
    for notebook in NOTEBOOKS:
        parameters.check(notebook)
    for job in pipeline.load_plan():
        parameters.check(job.notebook, **job.parameters)


# -- bad values --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("notebook", "values", "named", "choices"),
    [
        ("02_risk_cooccurrence", {"language": "fr"}, "language = 'fr'", "zh-TW, en"),
        ("02_risk_cooccurrence", {"inventory": "nosuch"}, "inventory = 'nosuch'", "-coded"),
        ("02_risk_cooccurrence", {"stratify_by": "nonsense"}, "stratify_by", "application_type"),
        ("02_risk_cooccurrence", {"na_policy": "drop"}, "na_policy = 'drop'", "pairwise"),
        ("03_clustering", {"na_policy": "pairwise"}, "na_policy = 'pairwise'", "as_no"),
        ("02_risk_cooccurrence", {"measure": "cosine"}, "measure", "p_b_given_a"),
        ("02_risk_cooccurrence", {"interactive": "yes"}, "interactive = 'yes'", "bool"),
        ("02_risk_cooccurrence", {"n_permutations": 0}, "n_permutations = 0", "at least 1"),
        ("03_clustering", {"k_min": 1}, "k_min = 1", "at least 2"),
        ("03_clustering", {"k_min": 4, "k_max": 3}, "k_max = 3", "at least 4"),
        ("03_clustering", {"seed": 1.5}, "seed = 1.5", "an int"),
        ("03_clustering", {"categories": 1}, "categories = 1", "a bool"),
        ("03_clustering", {"weight": "heavy"}, "weight = 'heavy'", "a float"),
        ("03_clustering", {"method": "kmeans"}, "method", "lca"),
        ("00_inventory_profile", {"top": True}, "top = True", "an int"),
        ("00_inventory_profile", {"compare": "all"}, "compare = 'all'", "bundled"),
        ("04_auto_coding", {"target": "colour"}, "target", "technique:"),
        ("04_auto_coding", {"coded_inventory": "study"}, "coded_inventory", "jrc-ai-watch"),
        ("04_auto_coding", {"folds": 1}, "folds = 1", "at least 2"),
        ("05_governance", {"framework": "gdpr"}, "framework", "eu_ai_act"),
        ("05_governance", {"dimension": "rating"}, "dimension", "tier"),
        ("05_governance", {"level": "severe"}, "level", "unacceptable"),
        ("05_governance", {"validation_inventory": "taiwan-public-annotated"}, "validation", "-"),
        ("05_governance", {"validation_inventory": "us-federal-2024-coded"}, "validation", "-"),
        ("05_governance", {"validation_inventory_2025": "nosuch"}, "validation", "-2025-coded"),
        ("06_key_findings", {"inventories": "study"}, "inventories = 'study'", "a list"),
        ("06_key_findings", {"compared": ["study"]}, "compared", "at least 2"),
        ("06_key_findings", {"compared": ["study", "nosuch"]}, "'nosuch'", "jrc-ai-watch"),
    ],
)
def test_a_bad_value_names_the_parameter_value_and_choices_in_both_languages(
    notebook, values, named, choices
):
    message = _error(notebook, **values)
    first, *problems = message.splitlines()
    assert first.startswith(f"{notebook}: 1 bad parameter(s) / 1 個參數有誤")
    [problem] = problems
    assert named in problem and choices in problem
    name = next(iter(values)) if len(values) == 1 else "k_max"
    assert f"參數 {name} 的值" in problem


def test_every_bad_parameter_is_listed_in_one_error():
    message = _error("03_clustering", method="kmeans", language="fr", n_boot=0)
    assert message.startswith("03_clustering: 3 bad parameter(s)")
    assert [line.split()[2] for line in message.splitlines()[1:]] == [
        "method",
        "n_boot",
        "language",
    ]


def test_an_unknown_parameter_lists_the_notebooks_parameters():
    message = _error("01_study_tables", colour="red")
    assert "01_study_tables has no parameter colour; its parameters: inventory, language" in message
    assert "沒有參數 colour" in message


def test_a_missing_mapping_file_is_named_with_where_it_was_looked_for(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    message = _error("01_study_tables", inventory="registers/mine.yaml")
    assert f"{tmp_path / 'registers' / 'mine.yaml'} does not exist" in message


def test_a_malformed_mapping_file_fails_in_the_check(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        STUDY_MAPPING.read_text(encoding="utf-8").replace(
            "inventory: study", "inventory: My Register"
        ),
        encoding="utf-8",
    )
    with pytest.raises(InputError, match="'My Register'"):
        parameters.check("01_study_tables", inventory=str(bad))


def test_the_error_prints_as_its_message_not_a_traceback():
    with pytest.raises(ParameterError) as caught:
        parameters.check("02_risk_cooccurrence", language="fr")
    lines = caught.value._render_traceback_()
    assert lines[0] == "ParameterError: 02_risk_cooccurrence: 1 bad parameter(s) / 1 個參數有誤"
    assert len(lines) == 2 and "language = 'fr'" in lines[1]


# -- paths and output names -----------------------------------------------------------------
def test_output_name_is_the_mappings_inventory_never_a_path(tmp_path):
    copy = tmp_path / "deep" / "register.yaml"
    copy.parent.mkdir()
    copy.write_text(
        STUDY_MAPPING.read_text(encoding="utf-8").replace("inventory: study", "inventory: mine"),
        encoding="utf-8",
    )
    assert parameters.output_name(str(copy)) == "mine"
    assert parameters.output_name("us-federal-2024-coded") == "us-federal-2024-coded"
    assert parameters.output_name(["study", str(copy)]) == "study+mine"
    assert parameters.output_name("../up/and\\away") == "_up_and_away"


def test_analysis_run_resolves_a_relative_mapping_path_and_names_the_report_by_inventory(
    tmp_path, monkeypatch
):
    folder = tmp_path / "registers"
    folder.mkdir()
    (folder / "register.yaml").write_text(
        STUDY_MAPPING.read_text(encoding="utf-8")
        .replace("inventory: study", "inventory: my-register")
        .replace("path: ../raw/", f"path: {config.RAW_DIR}/"),
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    [job] = pipeline.ad_hoc_jobs(
        ["01_study_tables.ipynb"], {"inventory": "registers/register.yaml", "language": "en"}
    )
    assert job.parameters["inventory"] == str(folder / "register.yaml")
    assert job.name == "01_study_tables--inventory-my-register-language-en"
    with pytest.raises(ParameterError, match="no parameter colour; its parameters: inventory"):
        pipeline.ad_hoc_jobs(["01_study_tables.ipynb"], {"colour": "red"})


@pytest.mark.parametrize("name", ["../escape", "a/b", "a\\b", "line\nbreak", "..", ""])
def test_tables_and_figures_refuse_names_that_leave_their_folder(tmp_path, name):
    with pytest.raises(AnalysisError, match="path separator"):
        tables.save(pd.DataFrame({"a": [1]}), name, tmp_path)
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    try:
        with pytest.raises(AnalysisError, match="path separator"):
            figures.save(fig, name, tmp_path)
    finally:
        plt.close(fig)
    assert list(tmp_path.iterdir()) == []


def test_a_bad_parameter_through_analysis_run_fails_before_any_kernel(tmp_path):
    env = {**os.environ, "ANALYSIS_OUTPUT_DIR": str(tmp_path)}
    command = [sys.executable, "-m", "analysis", "run", "notebooks/02_risk_cooccurrence.ipynb"]
    start = time.perf_counter()
    done = subprocess.run(
        [*command, "-p", "language", "fr"],
        cwd=config.ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - start
    assert done.returncode != 0
    lines = (done.stdout + done.stderr).splitlines()
    assert len(lines) <= 3 and "language = 'fr'" in lines[-1] and "zh-TW、en" in lines[-1]
    assert not (tmp_path / "reports" / "notebooks").exists()  # no notebook was started
    assert seconds < 20


# -- an inventory without flags -----------------------------------------------------------------
def test_require_flags_is_silent_when_a_flag_is_reported(frame):
    assert parameters.reports_flags(coding.cases_for("study", frame), frame)
    assert parameters.require_flags(coding.cases_for("study", frame), frame, "en") is None


def test_require_flags_says_so_when_none_is_reported(frame):
    cases = coding.cases_for("us-federal-2023", frame)
    assert not parameters.reports_flags(cases, frame)
    note = parameters.require_flags(cases, frame, "en")
    assert frame.heading("no_flag_reported", "en") in note.data


def test_risk_cooccurrence_on_an_inventory_without_flags_says_so_and_ends(tmp_path):
    env = {**os.environ, "ANALYSIS_OUTPUT_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "analysis", "run", "notebooks/02_risk_cooccurrence.ipynb"]
        + ["-p", "inventory", "us-federal-2023", "-p", "language", "en"],
        cwd=config.ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    [page] = (tmp_path / "reports").glob("02_risk_cooccurrence--*.html")
    text = page.read_text(encoding="utf-8")
    assert text.count("This inventory reports none of the risks") == 1
    assert "Software versions" in text and "git commit" in text
    assert "nan" not in text.replace("nano", "")
    written = sorted(p.name for p in Path(tmp_path / "reports" / "tables").glob("*.csv"))
    assert written == []  # no statistic was computed on flags nobody reported


def test_a_sheets_folder_must_exist_and_is_resolved_from_the_callers_folder(tmp_path, monkeypatch):
    notebook = config.NOTEBOOKS_DIR / "07_human_coding.ipynb"
    with pytest.raises(parameters.ParameterError, match="sheets"):
        parameters.check(notebook, sheets=str(tmp_path / "missing"))
    parameters.check(notebook, sheets="")
    (tmp_path / "filled").mkdir()
    monkeypatch.chdir(tmp_path)
    resolved = parameters.resolve_paths({"sheets": "filled", "language": "en"})
    assert resolved == {"sheets": str(tmp_path / "filled"), "language": "en"}
    parameters.check(notebook, sheets=resolved["sheets"])
