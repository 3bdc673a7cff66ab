import io
import os
import zipfile

import pandas as pd
import pytest

from analysis import outputs


def test_atomic_write_leaves_no_partial_file(tmp_path, monkeypatch):
    target = tmp_path / "t.csv"
    outputs.atomic_write_text(target, "old")

    def boom(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        outputs.atomic_write_text(target, "new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["t.csv"]


def test_csv_has_bom_and_lf():
    data = outputs.csv_bytes(pd.DataFrame({"類別": ["執行"], "n": [1]}))
    assert data == "\ufeff類別,n\n執行,1\n".encode("utf-8")


def test_xlsx_is_byte_identical_and_readable(tmp_path):
    table = pd.DataFrame({"a": ["x", None], "b": [1, 2]})
    first = outputs.xlsx_bytes({"s": table})
    second = outputs.xlsx_bytes({"s": table})
    assert first == second
    for info in zipfile.ZipFile(io.BytesIO(first)).infolist():
        assert info.date_time == (2025, 1, 1, 0, 0, 0)
    path = outputs.write_table(table, tmp_path / "w.xlsx")
    back = pd.read_excel(path)
    assert back["b"].tolist() == [1, 2]
    assert back["a"].isna().tolist() == [False, True]


def test_csv_value_with_carriage_return_round_trips():
    table = pd.DataFrame({"name": ["交通\r違規", "plain"], "n": [1, 2]})
    data = outputs.csv_bytes(table)
    back = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig")
    assert back["name"].tolist() == ["交通\r違規", "plain"] and back["n"].tolist() == [1, 2]
    assert outputs.csv_bytes(table.iloc[[1]]) == "\ufeffname,n\nplain,2\n".encode("utf-8")  # no CR: minimal quoting
