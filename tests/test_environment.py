from analysis import config
from analysis.environment import environment_yml, lock_versions, package_versions


def test_package_versions_records_python_and_pins():
    table = package_versions()
    assert table["package"].tolist()[:3] == ["python", "analysis", "pandas"]
    pins = lock_versions((config.ROOT / "requirements.lock").read_text())
    installed = dict(zip(table["package"], table["version"]))
    for name in ("pandas", "numpy", "matplotlib", "papermill", "nbval", "statsmodels"):
        assert installed[name] == pins[name], name


def test_environment_yml_mirrors_the_lock():
    lock = (config.ROOT / "requirements.lock").read_text()
    assert (config.ROOT / "environment.yml").read_text() == environment_yml(lock)
    pins = lock_versions(lock)
    assert f"      - pandas=={pins['pandas']}" in environment_yml(lock).splitlines()
    assert "      - -e ." in environment_yml(lock).splitlines()


def test_inputs_digest_changes_with_the_data(tmp_path, monkeypatch):
    from analysis import environment
    (tmp_path / "src" / "analysis").mkdir(parents=True)
    (tmp_path / "src" / "analysis" / "m.py").write_text("x = 1\n")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "f.yaml").write_text("a: 1\n")
    monkeypatch.setattr(config, "ROOT", tmp_path)
    monkeypatch.setattr(config, "DATA_DIR", tmp_path / "data")
    before = environment.inputs_digest()
    assert environment.inputs_digest() == before
    (tmp_path / "data" / "f.yaml").write_text("a: 2\n")
    assert environment.inputs_digest() != before
