"""The command line, run as a user would."""

import os
import subprocess
import sys

import pandas as pd
import pytest

from analysis import config, inventories
from analysis.cli import main
from analysis.errors import InputError


def test_help_lists_commands():
    out = subprocess.run(
        [sys.executable, "-m", "analysis", "--help"], capture_output=True, text=True, check=True
    ).stdout
    for command in ("export", "sheets", "run", "refresh", "bench", "code", "inventories", "docs"):
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
    err = capsys.readouterr().err
    assert "--to" in err and ".csv, .xlsx" in err and "應為" in err


def test_bench_options_reach_the_benchmark_runner(monkeypatch):
    from analysis import benchmarks

    seen = []
    monkeypatch.setattr(benchmarks, "run_all", lambda *args, **kwargs: seen.append((args, kwargs)))
    assert main(["bench", "--quick", "--only", "cooccurrence", "--repeats", "2"]) == 0
    [(args, kwargs)] = seen
    assert args == (None, True, ["cooccurrence"], 2)
    assert kwargs["sizes"] is None and callable(kwargs["log"])


def test_unknown_options_of_other_commands_are_refused(tmp_path):
    import pytest

    with pytest.raises(SystemExit) as exc:
        main(["export", "study", "--to", str(tmp_path / "x.csv"), "--bogus"])
    assert exc.value.code == 2


def test_docs_command_writes_the_mapping_reference(tmp_path, capsys):
    assert main(["docs", "--to", str(tmp_path)]) == 0
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == [
        "data-dictionary.md",
        "mapping-format.md",
        "mapping.schema.json",
        "notebook-parameters.md",
    ]
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


def test_sheets_export_fill_import_prints_agreement_and_merges(tmp_path, capsys, frame):
    import csv

    from krippendorff import alpha as kalpha
    from openpyxl import load_workbook

    from analysis import canonical
    from analysis.coding_sheets import sheet_heading

    folder = tmp_path / "sheets"
    assert (
        main(["sheets", "export", "study", "--coder", "ana", "--coder", "bo", "--to", str(folder)])
        == 0
    )
    with (config.RAW_DIR / "study" / "study_excerpt_cases.csv").open(encoding="utf-8") as fh:
        printed = {r["case_id"]: r for r in csv.DictReader(fh)}
    ethics = frame.label("flag", "ethics")
    flipped = {"digi-1", "award-1"}  # bo disagrees with the study on these two
    ticks = {}
    for coder in ("ana", "bo"):
        path = folder / f"study-{coder}.xlsx"
        wb = load_workbook(path)
        ws = wb["cases"]
        col = {c.value: c.column for c in ws[1]}
        ticks[coder] = []
        for r in range(2, ws.max_row + 1):
            cid = ws.cell(r, col[sheet_heading("case_id", frame)]).value
            ticked = (printed[cid][ethics] == "V") != (coder == "bo" and cid in flipped)
            ws.cell(r, col[ethics]).value = "是" if ticked else "否"
            ticks[coder].append(int(ticked))
        wb.save(path)
    merged, dis = tmp_path / "merged.csv", tmp_path / "dis.csv"
    argv = ["sheets", "import", str(folder), "--to", str(merged), "--disagreements", str(dis)]
    assert main(argv) == 0
    out = capsys.readouterr().out
    expected = kalpha(reliability_data=[ticks["ana"], ticks["bo"]], level_of_measurement="nominal")
    line = next(x for x in out.splitlines() if x.strip().startswith("ethics") and "agree" in x)
    assert f"{expected:6.3f}" in line
    assert "disagreements: 2" in out and "human:ana, human:bo" in out
    assert len(canonical.read_export(merged, frame)) == 11
    assert len(pd.read_csv(dis, encoding="utf-8-sig")) == 2


def test_sheets_import_names_a_bad_path_and_option(tmp_path, capsys):
    assert main(["sheets", "import", str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err
    assert "nowhere" in err and "編碼表" in err
    assert main(["sheets", "import", str(tmp_path), "--to", str(tmp_path / "m.json")]) == 2
    assert "--to" in capsys.readouterr().err
    assert (
        main(["sheets", "export", "study", "--coder", "a", "--to", str(tmp_path), "--suggest", "x"])
        == 2
    )
    assert "--suggest" in capsys.readouterr().err


def test_an_empty_parameter_value_stays_an_empty_string():
    from analysis.cli import _value

    assert _value("") == ""
    assert _value("[a, b]") == ["a", "b"]
    assert _value("3") == 3


# -- export: files that cannot be read or written, and where a mapping may read ----------------
def test_export_to_a_folder_or_a_missing_folder_is_named(tmp_path, capsys):
    folder = tmp_path / "out.csv"
    folder.mkdir()
    assert main(["export", "study", "--to", str(folder)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: --to {folder}: is a folder") and "這是資料夾" in err
    assert main(["export", "study", "--to", str(tmp_path / "no" / "x.csv")]) == 2
    err = capsys.readouterr().err
    assert f"the folder {tmp_path / 'no'} does not exist" in err and "不存在" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]


def test_export_of_an_unreadable_file_names_it(tmp_path, capsys):
    cp950 = tmp_path / "cp950.csv"
    cp950.write_bytes("case_id,name\n1,中文\n".encode("cp950"))
    assert main(["export", str(cp950), "--to", str(tmp_path / "a.csv")]) == 2
    err = capsys.readouterr().err
    assert f"file {cp950}, line 2: value b'\\xa4\\xa4\\xa4\\xe5'; expected UTF-8 text" in err
    assert "應為UTF-8 文字" in err
    corrupt = tmp_path / "corrupt.xlsx"
    corrupt.write_bytes(b"PK\x03\x04 not a zip archive")
    assert main(["export", str(corrupt), "--to", str(tmp_path / "b.csv")]) == 2
    err = capsys.readouterr().err
    assert f"file {corrupt}: value 'BadZipFile'; expected an XLSX workbook" in err
    assert not (tmp_path / "a.csv").exists() and not (tmp_path / "b.csv").exists()


JRC = config.INVENTORIES_DIR / "jrc-ai-watch.yaml"
JRC_RAW = "../raw/jrc-ai-watch/9-services-ai-watch-t6-jrc120399_v1.csv"


def _jrc_mapping(folder, path: str):
    """The bundled JRC mapping, saved in ``folder`` with its raw file at ``path``."""
    folder.mkdir(exist_ok=True)
    mapping = folder / "jrc.yaml"
    mapping.write_text(JRC.read_text(encoding="utf-8").replace(JRC_RAW, path), encoding="utf-8")
    return mapping


def test_a_mapping_reads_only_its_folder_and_data_raw_unless_allowed(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("ANALYSIS_ALLOW_OUTSIDE", raising=False)
    raw = (config.INVENTORIES_DIR / JRC_RAW).resolve()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "x.csv").write_bytes(raw.read_bytes())
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "link.csv").symlink_to(elsewhere / "x.csv")
    for given in ("../elsewhere/x.csv", str(elsewhere / "x.csv"), "link.csv", "/etc/passwd"):
        mapping = _jrc_mapping(tmp_path / "m", given)
        assert main(["export", str(mapping), "--to", str(tmp_path / "out.csv")]) == 2
        err = capsys.readouterr().err
        assert f"column 'files[0].path': value {given!r}; expected a file inside" in err
        assert "--allow-outside-paths" in err and "實際路徑" in err
        assert not (tmp_path / "out.csv").exists()
    mapping = _jrc_mapping(tmp_path / "m", "../elsewhere/x.csv")
    out = tmp_path / "out.csv"
    assert main(["export", str(mapping), "--to", str(out), "--allow-outside-paths"]) == 0
    assert "157 cases (157 read, 157 kept, 0 rejected" in capsys.readouterr().out
    assert "ANALYSIS_ALLOW_OUTSIDE" not in os.environ  # the permission ended with the command
    monkeypatch.setenv("ANALYSIS_ALLOW_OUTSIDE", "1")
    assert len(inventories.load(mapping).cases) == 157
    monkeypatch.delenv("ANALYSIS_ALLOW_OUTSIDE")
    inside = _jrc_mapping(tmp_path / "m2", str(raw))  # an absolute path into data/raw
    assert len(inventories.load(inside).cases) == 157
    with pytest.raises(InputError, match="outside the permitted folders"):
        inventories.load(mapping)  # refused again, although the load is cached


def test_export_raw_csv_keeps_formula_text(tmp_path, capsys):
    source = tmp_path / "cases.csv"
    assert main(["export", "study", "--to", str(source)]) == 0
    table = pd.read_csv(source, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    table.loc[0, "name"] = "=1+1"
    table.to_csv(source, index=False, encoding="utf-8-sig")
    for flag, cell in (([], "'=1+1"), (["--raw-csv"], "=1+1")):
        out = tmp_path / f"out{len(flag)}.csv"
        assert main(["export", str(source), "--to", str(out), *flag]) == 0
        again = pd.read_csv(out, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        assert again.loc[0, "name"] == cell
