import json
import os
import shutil
import subprocess
import sys

import pytest

from analysis import config, environment
from analysis.environment import environment_yml, lock_versions, package_versions


def test_package_versions_records_commit_digest_python_and_pins():
    table = package_versions()
    assert table["package"].tolist()[:5] == [
        "git commit",
        "inputs digest",
        "python",
        "analysis",
        "pandas",
    ]
    installed = dict(zip(table["package"], table["version"]))
    assert installed["git commit"] == environment.git_commit()
    assert installed["inputs digest"] == environment.inputs_digest()[: environment.SHOWN_DIGEST]
    pins = lock_versions((config.ROOT / "requirements.lock").read_text())
    for name in ("pandas", "numpy", "matplotlib", "papermill", "nbval", "statsmodels"):
        assert installed[name] == pins[name], name


def test_a_run_stamp_is_read_by_the_processes_started_under_it(monkeypatch):
    """The pipeline computes the commit, digest and versions once and its notebooks read
    them (a process started inside ``stamped`` sees them); outside, or when the variable
    does not hold a stamp, they are computed."""
    monkeypatch.delenv(environment.STAMP_ENV, raising=False)
    computed = (environment.git_commit(), environment.inputs_digest(), environment.versions())
    assert environment.run_stamp() == computed
    stamp = ("abc1234+changes", "f" * 64, {"python": "3.0.0", "pandas": "0.1"})
    read = "from analysis import environment; print(environment.package_versions().to_json())"
    with environment.stamped(stamp):
        assert environment.run_stamp() == stamp
        shown = subprocess.run(
            [sys.executable, "-c", read], capture_output=True, text=True, check=True
        ).stdout
    table = json.loads(shown)
    rows = dict(zip(table["package"].values(), table["version"].values()))
    assert rows["git commit"] == "abc1234+changes" and rows["inputs digest"] == "f" * 16
    # a stamp without every recorded package: the versions are read from what is installed
    assert rows["pandas"] == computed[2]["pandas"] and rows["python"] == computed[2]["python"]
    assert environment.STAMP_ENV not in os.environ
    monkeypatch.setenv(environment.STAMP_ENV, "not a stamp")
    assert environment.run_stamp() == computed


def test_environment_yml_mirrors_the_lock():
    lock = (config.ROOT / "requirements.lock").read_text()
    assert (config.ROOT / "environment.yml").read_text() == environment_yml(lock)
    pins = lock_versions(lock)
    assert f"      - pandas=={pins['pandas']}" in environment_yml(lock).splitlines()
    assert "      - -e ." in environment_yml(lock).splitlines()


def _notebook(cells: list[tuple[str, str]], output: str = "") -> str:
    """A small .ipynb: cells as (type, source); code cells carry ``output`` as stored output."""

    def cell(kind, source):
        if kind == "markdown":
            return {"cell_type": "markdown", "metadata": {}, "source": source}
        outputs = [{"output_type": "stream", "name": "stdout", "text": output}] if output else []
        return {
            "cell_type": "code",
            "execution_count": 1 if output else None,
            "metadata": {},
            "outputs": outputs,
            "source": source,
        }

    return json.dumps(
        {
            "cells": [cell(k, s) for k, s in cells],
            "metadata": {},
            "nbformat": 4,
            "nbformat_minor": 5,
        }
    )


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A small project tree (src, data, notebooks with plan and a text pair, lock file)
    that config points at."""
    (tmp_path / "src" / "analysis").mkdir(parents=True)
    (tmp_path / "src" / "analysis" / "m.py").write_text("x = 1\n")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "f.yaml").write_text("a: 1\n")
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "00_a.ipynb").write_text(
        _notebook([("markdown", "# A"), ("code", "print(1)")], "1\n")
    )
    (tmp_path / "notebooks" / "00_a.py").write_text("# %% [markdown]\n# # A\n\n# %%\nprint(1)\n")
    (tmp_path / "notebooks" / "plan.yaml").write_text("reports: []\n")
    (tmp_path / "requirements.lock").write_text("pandas==1.0\n")
    monkeypatch.setattr(config, "ROOT", tmp_path)
    monkeypatch.setattr(config, "DATA_DIR", tmp_path / "data")
    monkeypatch.setattr(config, "NOTEBOOKS_DIR", tmp_path / "notebooks")
    return tmp_path


@pytest.mark.parametrize(
    "path, content",
    [
        ("data/f.yaml", "a: 2\n"),
        ("data/new.csv", "x\n1\n"),
        ("src/analysis/m.py", "x = 2\n"),
        ("requirements.lock", "pandas==2.0\n"),
        ("notebooks/00_a.ipynb", _notebook([("markdown", "# A"), ("code", "print(2)")], "1\n")),
        ("notebooks/plan.yaml", "reports: [{notebook: 00_a.ipynb, name: a}]\n"),
    ],
)
def test_inputs_digest_covers_code_data_notebooks_and_lock(project, path, content):
    before = environment.inputs_digest()
    assert environment.inputs_digest() == before
    (project / path).write_text(content)
    assert environment.inputs_digest() != before


def test_inputs_digest_ignores_stored_outputs_text_pairs_and_bytecode(project):
    before = environment.inputs_digest(), environment.code_and_data_digest()
    # a re-executed notebook: same cells, other outputs
    (project / "notebooks" / "00_a.ipynb").write_text(
        _notebook([("markdown", "# A"), ("code", "print(1)")], "2\n")
    )
    (project / "notebooks" / "00_a.py").write_text("# %%\nprint('the pair repeats the notebook')\n")
    (project / "src" / "analysis" / "__pycache__").mkdir()
    (project / "src" / "analysis" / "__pycache__" / "m.cpython-311.pyc").write_bytes(b"\0")
    assert (environment.inputs_digest(), environment.code_and_data_digest()) == before


def test_code_and_data_digest_leaves_out_the_notebooks(project):
    before = environment.code_and_data_digest()
    (project / "notebooks" / "00_a.ipynb").write_text(_notebook([("code", "print(3)")]))
    assert environment.code_and_data_digest() == before
    (project / "data" / "f.yaml").write_text("a: 3\n")
    assert environment.code_and_data_digest() != before


def _git(root, *args):
    identity = ["-c", "user.name=t", "-c", "user.email=t@example.org"]
    return subprocess.run(
        ["git", "-C", str(root), *identity, *args], capture_output=True, text=True, check=True
    ).stdout.strip()


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_git_commit_names_the_commit_and_changed_inputs(project):
    assert environment.git_commit() == "unknown"  # not a checkout
    _git(project, "init", "-q")
    assert environment.git_commit() == "unknown"  # no commit yet
    _git(project, "add", ".")
    _git(project, "commit", "-q", "-m", "inputs")
    commit = _git(project, "rev-parse", "--short=7", "HEAD")
    assert environment.git_commit() == commit
    # generated files and other files are not inputs
    (project / "reports").mkdir()
    (project / "reports" / "index.html").write_text("<html></html>\n")
    (project / "README.md").write_text("notes\n")
    assert environment.git_commit() == commit
    for path, content in [("data/f.yaml", "a: 2\n"), ("data/new.csv", "x\n")]:
        (project / path).write_text(content)
        assert environment.git_commit() == commit + "+changes", path
        _git(project, "add", path)
        _git(project, "commit", "-q", "-m", path)
        commit = _git(project, "rev-parse", "--short=7", "HEAD")
        assert environment.git_commit() == commit, path
    (project / "requirements.lock").unlink()
    assert environment.git_commit() == commit + "+changes"
    # a folder inside a checkout is not the checkout: its commit is not the folder's
    assert environment.git_commit(project / "data") == "unknown"
