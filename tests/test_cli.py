"""The command line, run as a user would."""

import subprocess
import sys

import pandas as pd

from analysis import config
from analysis.cli import main


def test_help_lists_commands():
    out = subprocess.run(
        [sys.executable, "-m", "analysis", "--help"], capture_output=True, text=True, check=True
    ).stdout
    for command in ("export", "run", "refresh", "bench", "code", "inventories", "docs", "env-yml"):
        assert command in out


def test_export_study_gives_eleven_rows_with_the_ticks(tmp_path, capsys):
    target = tmp_path / "x.csv"
    assert main(["export", "study", "--to", str(target)]) == 0
    table = pd.read_csv(target, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert len(table) == 11
    assert (table["data_governance"] == "yes").sum() == 11
    assert (table["explainability"] == "yes").sum() == 10
    assert table.loc[table["case_id"] == "digi-1", "automated_decision"].item() == "no"
    assert "11 read, 11 kept, 0 rejected" in capsys.readouterr().out


def test_export_by_mapping_file_and_to_xlsx(tmp_path):
    target = tmp_path / "x.xlsx"
    mapping = config.INVENTORIES_DIR / "study.yaml"
    assert main(["export", "--mapping", str(mapping), "--to", str(target)]) == 0
    assert len(pd.read_excel(target)) == 11


def test_errors_are_reported_not_raised(tmp_path, capsys):
    assert main(["export", "no-such-inventory", "--to", str(tmp_path / "x.csv")]) == 2
    err = capsys.readouterr().err
    assert "no-such-inventory" in err and "study" in err
    assert main(["export", "study", "--to", str(tmp_path / "x.json")]) == 2
    assert "expected a .csv or .xlsx" in capsys.readouterr().err


def test_bench_options_reach_the_benchmark_runner(monkeypatch):
    from analysis import benchmarks

    seen = []
    monkeypatch.setattr(benchmarks, "run_all", lambda *args, **kwargs: seen.append((args, kwargs)))
    assert main(["bench", "--quick", "--only", "cooccurrence", "--repeats", "2"]) == 0
    assert seen == [((None, True, ["cooccurrence"], 2), {"sizes": None})]


def test_unknown_options_of_other_commands_are_refused(tmp_path):
    import pytest

    with pytest.raises(SystemExit) as exc:
        main(["export", "study", "--to", str(tmp_path / "x.csv"), "--bogus"])
    assert exc.value.code == 2


def test_docs_command_writes_the_mapping_reference(tmp_path, capsys):
    assert main(["docs", "--to", str(tmp_path)]) == 0
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == ["mapping-format.md", "mapping.schema.json"]
    for name in written:  # what the command writes is what the checkout's docs/ holds
        assert (tmp_path / name).read_bytes() == (config.ROOT / "docs" / name).read_bytes()
    assert str(tmp_path / "mapping-format.md") in capsys.readouterr().out


def test_inventories_lists_every_name_a_notebook_takes(capsys):
    from analysis import cli, coding, inventories

    assert cli.main(["inventories"]) == 0
    listed = capsys.readouterr().out.split()
    assert listed[: len(inventories.available())] == inventories.available()
    assert "taiwan-public-annotated" in listed
    for name in coding.PUBLIC_INVENTORIES:
        assert f"{name}-coded" in listed
    # every listed name loads
    for name in ("taiwan-public-annotated", "us-federal-2025"):
        assert len(coding.cases_for(name)) > 0
