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
