"""The zh-TW reference annotation (data/raw/taiwan-reference): the passes as read, their
agreement recomputed independently from the raw files, the adjudication's checks, and
located errors for bad pass files."""

import csv
import shutil

import pandas as pd
import pytest
from krippendorff import alpha as kalpha
from sklearn.metrics import cohen_kappa_score

from analysis import annotations, coding, config
from analysis.errors import InputError

FOLDER = config.RAW_DIR / "taiwan-reference"


def raw_rows(name):
    with open(FOLDER / name, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def aset(frame):
    return annotations.load_set("taiwan-reference", frame)


def test_every_item_coded_by_each_pass_as_an_annotator(aset, frame):
    items = raw_rows("items.csv")
    assert len(items) == 144
    assert sum(r["inventory"] == "study" for r in items) == 11
    assert aset.pass_ids == ["a", "b"]
    per_pass = aset.passes.groupby("coded_by").size()
    # category, application type, techniques and six flags for every item
    assert per_pass.to_dict() == {"annotator:a": 144 * 9, "annotator:b": 144 * 9}
    assert not aset.passes["coded_by"].str.startswith("human").any()
    assert set(aset.adjudicated["coded_by"]) == {"annotator:adjudicated"}


def test_packet_is_the_case_text_with_the_study_codes_withheld(frame):
    on_disk = pd.read_csv(FOLDER / "items.csv", dtype=str, keep_default_na=False)
    made = annotations.packet(("taiwan-public", "study"), frame)
    pd.testing.assert_frame_equal(on_disk, made.astype(str))
    study = on_disk[on_disk["inventory"] == "study"]
    assert (study["technique_as_recorded"] == "").all()
    assert (study["description"] == "").all()


def _independent(name, column):
    """A pass's column by item, read with the csv module."""
    return {r["item"]: r[column].strip() for r in raw_rows(name)}


def test_flag_agreement_recomputed_from_the_raw_files(aset, frame):
    table = annotations.pass_agreement(aset.passes, frame).set_index("field")
    for flag in frame.flag_keys:
        col = frame.label("flag", flag, "zh-TW")
        a, b = _independent("pass-a.csv", col), _independent("pass-b.csv", col)
        items = sorted(a)
        ya = [a[i] == "V" for i in items]
        yb = [b[i] == "V" for i in items]
        assert table.at[flag, "kappa"] == pytest.approx(cohen_kappa_score(ya, yb))
        assert table.at[flag, "alpha"] == pytest.approx(
            kalpha(
                reliability_data=[[float(v) for v in ya], [float(v) for v in yb]],
                level_of_measurement="nominal",
            )
        )
        assert table.at[flag, "agreement"] == pytest.approx(
            sum(x == y for x, y in zip(ya, yb)) / len(items)
        )


def test_category_agreement_recomputed_from_the_raw_files(aset, frame):
    col = frame.heading("category", "zh-TW")
    a, b = _independent("pass-a.csv", col), _independent("pass-b.csv", col)
    items = sorted(a)
    table = annotations.pass_agreement(aset.passes, frame).set_index("field")
    assert table.at["category", "kappa"] == pytest.approx(
        cohen_kappa_score([a[i] for i in items], [b[i] for i in items])
    )
    confusion = annotations.pass_confusion(aset.passes)
    assert int(confusion.to_numpy().trace()) == sum(a[i] == b[i] for i in items)


def test_study_check_against_the_studys_own_codes(aset, frame):
    items = {r["item"]: r for r in raw_rows("items.csv")}
    with open(config.RAW_DIR / "study" / "study_excerpt_cases.csv", encoding="utf-8") as fh:
        study = {r["case_id"]: r for r in csv.DictReader(fh)}
    # the study prints each table's category once (merged cells): fill down
    last, truth = None, {}
    for cid, r in study.items():
        last = r["AI應用類型"].replace(" ", "") or last
        truth[cid] = last
    got = _independent("pass-a.csv", frame.heading("category", "zh-TW"))
    hits = [
        frame.lookup("category", got[i]) == frame.lookup("category", truth[r["case_id"]])
        for i, r in items.items()
        if r["inventory"] == "study"
    ]
    check = annotations.study_check(aset, frame).set_index(["coded_by", "field"])
    assert check.at[("annotator:a", "category"), "n"] == 11
    assert check.at[("annotator:a", "category"), "agreement"] == pytest.approx(sum(hits) / 11)


def test_adjudication_resolves_every_disagreement_and_nothing_else(aset, frame):
    dis = annotations.pass_disagreements(aset.passes, frame)
    rows = raw_rows("adjudicated.csv")
    assert len(rows) == len(dis)
    assert all(r["reason"].strip() for r in rows)
    final = aset.adjudicated.pivot_table(
        index=["inventory", "case_id"], columns="field", values="value", aggfunc="first"
    )
    agreed = aset.passes.pivot_table(
        index=["inventory", "case_id", "field"], columns="coded_by", values="value", aggfunc="first"
    )
    same = agreed[agreed["annotator:a"] == agreed["annotator:b"]]
    for (inv, cid, f), r in same.iterrows():
        assert final.at[(inv, cid), f] == r["annotator:a"]


def test_annotated_inventory_carries_the_adjudicated_codes(aset, frame):
    cases = coding.cases_for("taiwan-public-annotated", frame)
    assert len(cases) == 133
    assert set(cases["inventory"]) == {"taiwan-public-annotated"}
    assert cases["category"].notna().all() and cases["application_type"].notna().all()
    assert set(cases["category_coded_by"]) == {"annotator:adjudicated"}
    for f in frame.flag_keys:
        assert cases[f].notna().all()
    items = {r["item"]: r for r in raw_rows("items.csv")}
    heads = {frame.heading("category", "zh-TW"): "category"}
    by_id = cases.set_index("case_id")
    for r in raw_rows("adjudicated.csv"):
        it = items[r["item"]]
        if it["inventory"] == "taiwan-public" and r["field"] in heads:
            assert by_id.at[it["case_id"], "category"] == frame.lookup("category", r["value"])


# -- bad files ------------------------------------------------------------------------------
@pytest.fixture()
def copy(tmp_path):
    for name in ("items.csv", "pass-a.csv"):
        shutil.copy(FOLDER / name, tmp_path / name)
    return tmp_path


def _rewrite(path, change):
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    change(rows)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)


def test_bad_values_are_located(copy, frame):
    items = pd.read_csv(copy / "items.csv", dtype=str, keep_default_na=False)

    def change(rows):
        rows[2][1] = "不存在的類別"  # row 3: category
        rows[3][2] = "就福利做出決定"  # row 4: an application type of another category
        rows[4][4] = "X"  # row 5: a risk cell that is not a tick
        rows[5][0] = rows[6][0]  # row 6: an item twice (so row 7's item repeats)

    _rewrite(copy / "pass-a.csv", change)
    with pytest.raises(InputError) as err:
        annotations.read_pass(copy / "pass-a.csv", items, frame)
    where = {(p.row, p.column) for p in err.value.problems}
    assert (3, "AI應用類型") in where
    assert (4, "應用類型") in where
    assert (5, frame.label("flag", frame.flag_keys[0], "zh-TW")) in where
    assert any(p.column == "item" for p in err.value.problems)
    assert all(p.file.endswith("pass-a.csv") for p in err.value.problems)


def test_a_file_not_in_the_manifest_is_refused(copy):
    with pytest.raises(InputError, match="manifest"):
        annotations.verified(copy / "pass-a.csv")
