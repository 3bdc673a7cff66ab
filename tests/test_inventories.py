"""The bundled public inventories: row counts, crosswalk counts checked against the raw
files read independently (csv module), reports, checksums."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import os
import pickle
import shutil
import struct
import subprocess
import sys
import zipfile
from collections import Counter

import pandas as pd
import pytest
import yaml

from analysis import cache, config, inventories
from analysis.errors import InputError
from analysis.mapping import sha256_of

US24 = config.RAW_DIR / "us-federal" / "2024_consolidated_ai_inventory_raw_v2.csv"
US23 = config.RAW_DIR / "us-federal" / "2023_consolidated_ai_inventory_raw.csv"
PII = (
    "Does this AI use case involve personally identifiable information (PII) that is maintained "
    "by the agency?"
)
IMPACT = "Is the AI use case rights-impacting, safety-impacting, both, or neither?"


def _raw(path, encoding="utf-8"):
    with open(path, encoding=encoding, newline="") as fh:
        reader = csv.reader(fh)
        header = [h.strip() for h in next(reader)]
        return header, list(reader)


@pytest.fixture(scope="module")
def us24():
    return inventories.load("us-federal-2024")


def test_us_federal_2024_keeps_every_use_case(us24):
    header, rows = _raw(US24, "cp1252")
    assert len(us24.cases) == len(rows) == 2133
    assert (us24.report.rows_read, us24.report.rows_kept, us24.report.rows_rejected) == (
        2133,
        2133,
        0,
    )
    assert us24.cases["case_id"].is_unique
    assert us24.cases["name"].tolist() == [r[header.index("Use Case Name")].strip() for r in rows]


def test_us_federal_2024_personal_data_from_the_pii_question(us24):
    header, rows = _raw(US24, "cp1252")
    answers = [r[header.index(PII)].strip().lower() for r in rows]
    flag = us24.cases["personal_data"]
    assert int((flag == True).sum()) == answers.count("yes") == 175  # noqa: E712
    assert int((flag == False).sum()) == answers.count("no")  # noqa: E712
    blank = [a in ("", "n/a") for a in answers]
    assert flag[blank].isna().all()  # blank and N/A are not reported, never no


def test_us_federal_2024_human_rights_from_the_impact_type(us24):
    header, rows = _raw(US24, "cp1252")
    answers = [r[header.index(IMPACT)].strip().lower() for r in rows]
    flag = us24.cases["human_rights"]
    assert (
        int((flag == True).sum())
        == answers.count("rights-impacting") + answers.count("both")
        == 326
    )  # noqa: E712
    assert int((flag == False).sum()) == answers.count("neither") + answers.count(
        "safety-impacting"
    )  # noqa: E712
    too_new = [a.startswith("no, use case is too new") or a == "" for a in answers]
    assert flag[too_new].isna().all()
    assert sorted(set(us24.cases["rights_safety"].dropna())) == [
        "both",
        "case-by-case assessment",
        "neither",
        "rights-impacting",
        "safety-impacting",
        "too new to assess",
    ]
    rec = us24.report.recodings
    row = rec[(rec["field"] == "human_rights") & (rec["native"] == "Rights-Impacting\n")]
    assert row[["canonical", "rows"]].values.tolist() == [["yes", 131]]


def test_us_federal_2024_category_only_from_mission_enabling(us24):
    header, rows = _raw(US24, "cp1252")
    topics = Counter(r[header.index("Use Case Topic Area")].strip() for r in rows)
    expected = topics["Mission-Enabling"] + topics["Mission-Enabling (internal agency support)"]
    cats = us24.cases["category"]
    assert int((cats == "internal_management").sum()) == expected == 869
    assert int(cats.isna().sum()) == 2133 - expected
    assert set(cats.dropna()) == {"internal_management"}
    assert set(us24.cases["category_coded_by"].dropna()) == {"crosswalk"}


def test_us_federal_2024_flags_are_tri_state_and_extras_kept(us24):
    cases = us24.cases
    for flag in ("data_governance", "ethics", "explainability", "automated_decision"):
        assert cases[flag].notna().any() and cases[flag].isna().any()
    assert {"agency_abbreviation", "bureau", "topic_area", "stage", "rights_safety"} <= set(
        cases.columns
    )
    assert cases["techniques"].isna().all()
    dups = us24.report.duplicates
    assert int(dups.loc[dups["key"] == "Department of Justice | Veritone", "count"].iloc[0]) == 4


def test_us_federal_2024_automated_decision_reads_both_questions(us24):
    header, rows = _raw(US24, "cp1252")
    a = [
        r[
            header.index(
                "For this particular use case, can the AI carry out a decision or action without "
                "direct human involvement that could result in a significant impact on rights or "
                "safety?"
            )
        ].strip()
        for r in rows
    ]
    b = [
        r[
            header.index(
                "Is the AI used to significantly influence or inform decisions or actions that "
                "could have an adverse or negative impact on specific individuals or groups?"
            )
        ]
        .strip()
        .lower()
        for r in rows
    ]
    yes = [x.startswith("Yes") or "not practicable" in x or y == "yes" for x, y in zip(a, b)]
    assert int((us24.cases["automated_decision"] == True).sum()) == sum(yes)  # noqa: E712


def test_jrc_ai_watch_categories_from_the_shifted_column():
    result = inventories.load("jrc-ai-watch")
    cases = result.cases
    assert len(cases) == 157
    counts = cases["category"].value_counts().to_dict()
    assert counts == {
        "public_services": 69,
        "enforcement": 37,
        "internal_management": 28,
        "regulatory_analysis": 17,
        "adjudication": 6,
    }
    assert set(cases["category_coded_by"]) == {"source"}
    assert set(cases["techniques_coded_by"].dropna()) == {"crosswalk"}
    header, rows = _raw(config.RAW_DIR / "jrc-ai-watch" / "9-services-ai-watch-t6-jrc120399_v1.csv")
    types = [r[header.index("type")] for r in rows]
    assert int((cases["techniques"] == "nlp").sum()) == sum(
        t.startswith(("Chatbots", "Natural Language Processing", "Knowledge Management"))
        for t in types
    )
    assert cases["techniques"].isna().sum() == types.count(
        "Security Analytics and Threat Intelligence"
    )
    assert cases.loc[cases["country"] == "Italy"].shape[0] == 6
    assert (
        cases[list(result.report.outcomes.query("field == 'human_rights'")["field"].unique())]
        .isna()
        .all()
        .all()
    )


def test_taiwan_public_techniques_parse_every_value():
    result = inventories.load("taiwan-public")
    cases = result.cases
    assert len(cases) == 133
    by_text = dict(zip(cases["techniques_as_recorded"], cases["techniques"]))
    assert by_text["生物特徵辨識(人臉/指紋)"] == "biometrics"
    assert by_text["影像辨識(車牌)/大數據分析"] == "image_recognition;big_data_analytics"
    assert by_text["自然語言處理(聊天機器人)"] == "nlp"
    for text in ("未載明", "未載明(AI;身分查驗)", "未載明(智慧秘書)"):
        assert pd.isna(by_text[text])
    assert cases["category"].isna().all() and cases["human_rights"].isna().all()
    _, rows = _raw(config.RAW_DIR / "taiwan-public" / "cases.csv")
    assert cases["evidence_url"].tolist() == [r[5].strip() for r in rows]
    assert "5G" in set(result.report.unmapped["value"])


def test_us_federal_2023_free_text_techniques():
    result = inventories.load("us-federal-2023")
    cases = result.cases
    assert len(cases) == 710 and cases["case_id"].is_unique
    techniques = dict(zip(cases["case_id"], cases["techniques"]))
    raw = dict(zip(cases["case_id"], cases["techniques_as_recorded"]))
    nlp_ml = [
        cid
        for cid, text in raw.items()
        if not pd.isna(text) and text == "Machine Learning, Natural Language Processing (NLP)"
    ]
    assert nlp_ml and all(techniques[cid] == "machine_learning;nlp" for cid in nlp_ml)
    unmapped = result.report.unmapped.set_index("value")
    assert unmapped.loc["Other", "rows"] == sum(
        "Other" in [p.strip() for p in str(t).split(",")]
        for t in raw.values()
        if isinstance(t, str)
    )


def test_us_federal_2023_techniques_one_per_line_read_as_the_comma_separated_list(tmp_path):
    """The real 2023 file with each technique list rewritten one technique per line (as some
    registers print it) gives every case the techniques of the bundled file."""
    bundled = inventories.load("us-federal-2023").cases
    header, rows = _raw(US23)
    column = header.index("Techniques")
    for r in rows:  # split on the commas outside brackets, as the mapping's rationale says
        depth, text = 0, []
        for ch in r[column]:
            depth += (ch == "(") - (ch == ")")
            text.append("\n" if ch == "," and depth == 0 else ch)
        r[column] = "\n".join(p.strip() for p in "".join(text).split("\n") if p.strip())
    assert sum("\n" in r[column] for r in rows) > 100
    buf = io.StringIO(newline="")
    csv.writer(buf).writerows([header] + rows)
    (tmp_path / "lines.csv").write_text(buf.getvalue(), encoding="utf-8")
    spec = yaml.safe_load((config.INVENTORIES_DIR / "us-federal-2023.yaml").read_text("utf-8"))
    spec["files"] = [{"path": "lines.csv"}]
    (tmp_path / "lines.yaml").write_text(yaml.safe_dump(spec), encoding="utf-8")
    lines = inventories.parse(tmp_path / "lines.yaml").cases
    assert lines["case_id"].tolist() == bundled["case_id"].tolist()
    assert lines["techniques"].fillna("").tolist() == bundled["techniques"].fillna("").tolist()
    assert lines["techniques"].str.contains(";").sum() > 50  # several techniques per cell


# -- US federal 2025 (M-25-21 template) ---------------------------------------------------------
US25 = config.RAW_DIR / "us-federal-2025" / "2025_individually_reported_AI_use_cases.csv"
#: The crosswalk of 12_classification under test (OMB's short codes as the file spells them).
CLASSIFICATION = {
    "Classical ML": "machine_learning",
    "Generative AI": "generative_ai",
    "NLP": "nlp",
    "Computer Vision": "image_recognition",
    "Agentic AI": "agentic_ai",
    "Reinforcement Learning": "reinforcement_learning",
}


@pytest.fixture(scope="module")
def us25():
    return inventories.load("us-federal-2025")


@pytest.fixture(scope="module")
def us25_raw():
    """The raw file read independently: the csv module, the BOM stripped by utf-8-sig."""
    with open(US25, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def test_us_federal_2025_keeps_every_use_case(us25, us25_raw):
    report = us25.report
    assert len(us25_raw) == 3611
    assert (report.rows_read, report.rows_kept, report.rows_rejected) == (len(us25_raw), 3611, 0)
    assert report.rows_read == report.rows_kept + report.rows_rejected
    assert us25.cases["case_id"].is_unique
    names = us25.cases["name"].fillna("").tolist()
    assert names == [r["use_case_name"].strip() for r in us25_raw]  # a blank name stays NA
    assert sum(not r["id"].strip() for r in us25_raw) == 704  # why the row is the case id
    assert us25.cases["use_case_id"].isna().sum() == 704


def test_us_federal_2025_bom_does_not_leak_into_a_column_name(us25, us25_raw):
    from analysis import readers

    assert US25.read_bytes().startswith(b"\xef\xbb\xbf")
    table = readers.read_table(US25, encoding="utf-8-sig")
    assert table.columns[0] == "agency" and not any("\ufeff" in h for h in table.columns)
    assert us25.report.files["encoding"].tolist() == ["utf-8-sig"]
    cases = us25.cases
    assert cases["agency_abbreviation"].tolist() == [r["agency"] for r in us25_raw]
    assert cases["agency"].tolist() == [r["agency_name"] for r in us25_raw]
    assert not any("\ufeff" in str(c) for c in cases.columns)


def test_us_federal_2025_one_technique_per_case_from_the_classification(us25, us25_raw):
    recorded = Counter(r["classification"].strip() for r in us25_raw)
    assert set(recorded) == {*CLASSIFICATION, "Other", ""}  # every spelling present is mapped
    techniques = us25.cases["techniques"]
    counts = Counter(techniques.dropna())
    assert counts == Counter(
        {CLASSIFICATION[v]: n for v, n in recorded.items() if v in CLASSIFICATION}
    )
    assert all(";" not in t for t in techniques.dropna())  # the one closest classification
    # "Other" and a blank name no technique: not reported.
    assert int(techniques.isna().sum()) == recorded["Other"] + recorded[""]
    assert set(us25.cases["techniques_coded_by"].dropna()) == {"crosswalk"}
    assert us25.cases["classification"].fillna("").tolist() == [
        r["classification"].strip() for r in us25_raw
    ]
    assert us25.report.unmapped.query("field == 'techniques'").empty


def test_us_federal_2025_personal_data_from_has_pii_and_no_other_flag(us25, us25_raw):
    answers = Counter(r["has_pii"].strip() for r in us25_raw)
    assert set(answers) == {"Yes", "No", ""}
    flag = us25.cases["personal_data"]
    assert int((flag == True).sum()) == answers["Yes"]  # noqa: E712
    assert int((flag == False).sum()) == answers["No"]  # noqa: E712
    assert int(flag.isna().sum()) == answers[""]  # a blank is not reported, never no
    assert set(us25.cases["flags_coded_by"].dropna()) == {"crosswalk"}
    for other in ("data_governance", "human_rights", "ethics", "explainability"):
        assert us25.cases[other].isna().all(), other
    assert us25.cases["automated_decision"].isna().all()


def test_us_federal_2025_high_impact_extra_normalised(us25, us25_raw):
    spelled = {
        "High-impact": "high-impact",
        "Presumed High-Impact, but Not High-impact": (
            "presumed high-impact, determined not high-impact"
        ),
        "Not High-impact": "not high-impact",
    }
    recorded = Counter(r["is_high_impact"].strip() for r in us25_raw)
    assert set(recorded) == {*spelled, ""}
    extra = us25.cases["high_impact"]
    assert Counter(extra.dropna()) == Counter(
        {spelled[v]: n for v, n in recorded.items() if v in spelled}
    )
    assert int(extra.isna().sum()) == recorded[""]
    assert {"stage", "topic_area", "bureau", "has_pii", "benefits", "outputs"} <= set(
        us25.cases.columns
    )


def test_us_federal_2025_as_json_records_gives_the_same_cases(us25, us25_raw, tmp_path):
    """The real 2025 register written as JSON (records nested under data.records) and as JSON
    Lines loads to the canonical table of the CSV; only the generated ids differ, a record's
    number instead of the spreadsheet row (one less: no header line)."""
    (tmp_path / "r.json").write_text(json.dumps({"data": {"records": us25_raw}}), "utf-8")
    (tmp_path / "r.jsonl").write_text("".join(json.dumps(r) + "\n" for r in us25_raw), "utf-8")
    spec = yaml.safe_load((config.INVENTORIES_DIR / "us-federal-2025.yaml").read_text("utf-8"))
    expected = us25.cases.assign(case_id=[str(int(c) - 1) for c in us25.cases["case_id"]])
    for name, entry in (("json", {"records": "data.records"}), ("jsonl", {})):
        spec["files"] = [{"path": f"r.{name}", **entry}]
        (tmp_path / f"{name}.yaml").write_text(yaml.safe_dump(spec, sort_keys=False), "utf-8")
        result = inventories.parse(tmp_path / f"{name}.yaml")
        assert (result.report.rows_read, result.report.rows_kept) == (3611, 3611)
        pd.testing.assert_frame_equal(result.cases, expected.astype(result.cases.dtypes))


def test_us_federal_2025_category_only_from_agency_support_topics(us25, us25_raw):
    support = {
        "Admin Functions",
        "Administrative functions",
        "HR",
        "IT",
        "Procurement and Finance Mgmt",
    }
    topics = Counter(r["topic_area"].strip() for r in us25_raw)
    cats = us25.cases["category"]
    assert int((cats == "internal_management").sum()) == sum(topics[t] for t in support)
    assert set(cats.dropna()) == {"internal_management"}
    assert int(cats.isna().sum()) == sum(n for t, n in topics.items() if t not in support)


@pytest.mark.parametrize("name", ["study", "us-federal-2023", "jrc-ai-watch", "taiwan-public"])
def test_every_load_accounts_for_every_row(name):
    report = inventories.load(name).report
    assert report.rows_read == report.rows_kept + report.rows_rejected


def test_study_inventory_unchanged():
    cases = inventories.cases("study")
    assert len(cases) == 11
    assert set(cases["category_coded_by"]) == {"study"}


def test_changed_raw_file_fails_the_checksum(tmp_path, monkeypatch, disk_cache):
    raw = tmp_path / "raw" / "jrc-ai-watch"
    raw.mkdir(parents=True)
    source = config.RAW_DIR / "jrc-ai-watch" / "9-services-ai-watch-t6-jrc120399_v1.csv"
    copy = raw / source.name
    shutil.copy(source, copy)
    (tmp_path / "inventories").mkdir()
    mapping = tmp_path / "inventories" / "jrc-ai-watch.yaml"
    shutil.copy(config.INVENTORIES_DIR / "jrc-ai-watch.yaml", mapping)
    manifest = tmp_path / "raw" / "MANIFEST.tsv"
    manifest.write_text(
        f"file\tsha256\njrc-ai-watch/{source.name}\t{sha256_of(source)}\n", encoding="utf-8"
    )
    monkeypatch.setattr(config, "RAW_DIR", tmp_path / "raw")
    monkeypatch.setattr(config, "MANIFEST_FILE", manifest)
    assert len(inventories.load(mapping).cases) == 157  # intact copy loads
    copy.write_bytes(copy.read_bytes().replace(b"Chatbot Mona", b"Chatbot Nona"))
    with pytest.raises(InputError, match="checksum"):
        inventories.load(mapping)


def test_write_report_files(tmp_path):
    result = inventories.load("taiwan-public")
    md, rejected = inventories.write_report(result, tmp_path)
    text = md.read_text(encoding="utf-8")
    assert text.startswith("# Standardization report: taiwan-public")
    assert "Rows read: 133; kept: 133; rejected: 0." in text
    assert rejected.read_text(encoding="utf-8-sig").splitlines() == [
        "file,row,reason,source,case_name,agency,description,technique,evidence"
    ]


def test_accounting_counts_each_inventory_used_and_reads_coded_names_as_their_load():
    table = inventories.accounting(["study", "us-federal-2024-coded"])
    assert table["inventory"].tolist() == ["study", "us-federal-2024-coded"]
    assert table["rows_read"].tolist() == [11, 2133]
    assert table["rows_kept"].tolist() == [11, 2133]
    assert table["rows_rejected"].tolist() == [0, 0]
    assert table["files"].tolist() == [
        "study_excerpt_cases.csv",
        "2024_consolidated_ai_inventory_raw_v2.csv",
    ]
    assert inventories.accounting("taiwan-public")["rows_read"].tolist() == [133]


# -- the disk cache ------------------------------------------------------------------------------
JRC = config.RAW_DIR / "jrc-ai-watch" / "9-services-ai-watch-t6-jrc120399_v1.csv"
REJECTING = config.ROOT / "tests" / "bad_inputs" / "unknown_category_reject.yaml"


@pytest.fixture()
def disk_cache(tmp_path, monkeypatch):
    """A disk cache of its own under tmp_path, and a process that has loaded nothing yet."""
    monkeypatch.setenv("ANALYSIS_OUTPUT_DIR", str(tmp_path / "output"))
    inventories.clear_cache()
    yield inventories.cache_folder()
    inventories.clear_cache()


def stored_tables(entry):
    """The members of the tables of an inventory cache entry (read through the cache, so
    verified), e.g. ``cases.arrow``."""
    payload = cache.read(inventories.NAMESPACE, entry.name.removesuffix(cache.SUFFIX))
    tables, _report = pickle.loads(payload)
    return zipfile.ZipFile(io.BytesIO(tables))


def assert_same_load(served, fresh):
    """Cases, rejected rows and every field of the report equal, dtypes included."""
    pd.testing.assert_frame_equal(served.cases, fresh.cases, check_dtype=True)
    pd.testing.assert_frame_equal(served.rejected_rows, fresh.rejected_rows, check_dtype=True)
    for f in dataclasses.fields(fresh.report):
        ours, theirs = getattr(served.report, f.name), getattr(fresh.report, f.name)
        if isinstance(theirs, pd.DataFrame):
            pd.testing.assert_frame_equal(ours, theirs, check_dtype=True, obj=f"report.{f.name}")
        else:
            assert ours == theirs, f.name
    assert served.report.to_markdown() == fresh.report.to_markdown()


def _copy_jrc(folder):
    """The JRC mapping and raw file copied to ``folder`` (not in the manifest: a user's mapping)."""
    raw = folder / "raw" / "jrc-ai-watch"
    raw.mkdir(parents=True)
    shutil.copy(JRC, raw / JRC.name)
    (folder / "inventories").mkdir()
    mapping = folder / "inventories" / "jrc-ai-watch.yaml"
    shutil.copy(config.INVENTORIES_DIR / "jrc-ai-watch.yaml", mapping)
    return mapping, raw / JRC.name


@pytest.mark.parametrize("name", [*inventories.available(), str(REJECTING)])
def test_a_load_served_from_disk_equals_a_fresh_parse(disk_cache, name):
    fresh = inventories.parse(name)
    first = inventories.load(name)
    assert inventories.cache_info() == inventories.CacheInfo(misses=1, writes=1)
    (entry,) = inventories.cache_entries(name)
    assert entry.parent == disk_cache and "cases.arrow" in stored_tables(entry).namelist()
    inventories.clear_cache()  # as a new process
    served = inventories.load(name)
    assert inventories.cache_info() == inventories.CacheInfo(hits=1)
    assert_same_load(first, fresh)
    assert_same_load(served, fresh)
    if name == str(REJECTING):
        assert len(fresh.rejected_rows) > 0  # the rejected rows round-trip too


def in_new_process(script: str, disk_cache) -> str:
    """What ``script`` prints, run by a new Python process using the same disk cache."""
    return subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "ANALYSIS_OUTPUT_DIR": str(disk_cache.parent.parent)},
    ).stdout


def test_a_new_process_reads_the_entry_another_wrote(disk_cache):
    inventories.load("taiwan-public")
    script = (
        "from analysis import inventories; r = inventories.load('taiwan-public'); "
        "print(inventories.cache_info().hits, len(r.cases))"
    )
    hits, cases = in_new_process(script, disk_cache).split()
    assert (int(hits), int(cases)) == (1, len(inventories.parse("taiwan-public").cases))


def test_a_load_served_from_the_cache_neither_validates_nor_imports_the_mapping_model(
    disk_cache,
):
    inventories.load("taiwan-public")  # parses, and stores the load and the mapping's outline
    outlines = cache.folder(inventories.OUTLINES)
    assert len(list(outlines.glob(f"*{cache.SUFFIX}"))) == 1
    script = (
        "import sys; from analysis import inventories; r = inventories.load('taiwan-public'); "
        "print(inventories.cache_info().hits, len(r.cases), "
        "[m for m in ('pydantic', 'analysis.mapping.spec', 'analysis.mapping.apply') "
        "if m in sys.modules])"
    )
    assert in_new_process(script, disk_cache).split(maxsplit=2) == [
        "1",
        str(len(inventories.parse("taiwan-public").cases)),
        "[]\n",
    ]
    # the model is what a load without a stored outline validates with
    inventories.clear_cache()
    for entry in outlines.glob(f"*{cache.SUFFIX}"):
        entry.unlink()
    assert "analysis.mapping.spec" in in_new_process(script, disk_cache)
    assert len(list(outlines.glob(f"*{cache.SUFFIX}"))) == 1


def test_a_mapping_edited_after_its_outline_was_stored_is_validated_again(disk_cache, tmp_path):
    mapping, _raw = _copy_jrc(tmp_path)
    assert len(inventories.load(mapping).cases) == 157
    inventories.clear_cache()  # as a new process: the outline is on disk
    text = mapping.read_text(encoding="utf-8")
    mapping.write_text(text + "\nno_such_key: 1\n", encoding="utf-8")
    with pytest.raises(InputError, match="no_such_key"):
        inventories.load(mapping)


def test_memory_and_disk_serve_copies(disk_cache):
    first = inventories.load("study")
    first.cases.loc[0, "name"] = "edited by a caller"
    inventories.clear_cache()
    for _ in range(2):  # from disk, then from memory
        assert inventories.load("study").cases.loc[0, "name"] != "edited by a caller"


def test_a_changed_raw_file_is_parsed_again_never_served_from_the_cache(disk_cache, tmp_path):
    mapping, raw = _copy_jrc(tmp_path / "copy")
    before = inventories.load(mapping)
    assert "Chatbot Mona" in set(before.cases["name"])
    stat = raw.stat()
    raw.write_bytes(raw.read_bytes().replace(b"Chatbot Mona", b"Chatbot Nona"))
    os.utime(
        raw, ns=(stat.st_atime_ns, stat.st_mtime_ns)
    )  # same size and time: only the content tells
    inventories.clear_cache()
    after = inventories.load(mapping)
    assert inventories.cache_info() == inventories.CacheInfo(misses=1, writes=1)
    assert "Chatbot Nona" in set(after.cases["name"]) and "Chatbot Mona" not in set(
        after.cases["name"]
    )
    assert_same_load(after, inventories.parse(mapping))
    assert len(list(disk_cache.glob("*.entry"))) == 1  # the entry of the old content is deleted
    assert inventories.load(mapping).cases["name"].equals(after.cases["name"])  # and memory agrees


def test_a_cache_hit_still_verifies_bundled_files_against_the_manifest(
    disk_cache, tmp_path, monkeypatch
):
    mapping, raw = _copy_jrc(tmp_path / "copy")
    manifest = tmp_path / "copy" / "raw" / "MANIFEST.tsv"
    monkeypatch.setattr(config, "RAW_DIR", tmp_path / "copy" / "raw")
    monkeypatch.setattr(config, "MANIFEST_FILE", manifest)
    manifest.write_text(
        f"file\tsha256\njrc-ai-watch/{JRC.name}\t{sha256_of(raw)}\n", encoding="utf-8"
    )
    inventories.load(mapping)
    assert inventories.cache_info().writes == 1
    # The raw file is intact and its entry on disk, but the manifest now records another digest.
    manifest.write_text(f"file\tsha256\njrc-ai-watch/{JRC.name}\t{'0' * 64}\n", encoding="utf-8")
    for fresh_process in (False, True):
        if fresh_process:
            inventories.clear_cache()
        with pytest.raises(InputError, match="checksum"):
            inventories.load(mapping)
    assert inventories.cache_info().hits == 0


@pytest.mark.parametrize("damage", ["truncated", "garbage", "empty"])
def test_a_damaged_entry_is_ignored_and_rewritten(disk_cache, damage, capsys):
    inventories.load("jrc-ai-watch")
    (entry,) = disk_cache.glob("*.entry")
    data = entry.read_bytes()
    entry.write_bytes(
        {
            "truncated": data[: len(data) // 2],
            "garbage": b"\x00not a cache entry" * 100,
            "empty": b"",
        }[damage]
    )
    inventories.clear_cache()
    result = inventories.load("jrc-ai-watch")
    assert inventories.cache_info() == inventories.CacheInfo(misses=1, writes=1, discarded=1)
    assert f"cache: damaged entry {entry} (" in capsys.readouterr().err
    assert_same_load(result, inventories.parse("jrc-ai-watch"))
    assert "cases.arrow" in stored_tables(entry).namelist()  # rewritten whole
    inventories.clear_cache()
    inventories.load("jrc-ai-watch")
    assert inventories.cache_info() == inventories.CacheInfo(hits=1)


def test_a_flipped_byte_inside_an_entry_is_not_served(disk_cache, capsys):
    inventories.load("taiwan-public")
    (entry,) = disk_cache.glob("*.entry")
    archive = stored_tables(entry)
    member = archive.getinfo("cases.arrow")
    stored = archive.fp.getvalue()
    name_length, extra_length = struct.unpack(
        "<HH", stored[member.header_offset + 26 : member.header_offset + 30]
    )
    start = member.header_offset + 30 + name_length + extra_length  # the member's stored bytes
    data = bytearray(entry.read_bytes())
    at = data.index(stored) + start + member.file_size // 2  # inside the cases' Parquet bytes
    data[at] ^= 0xFF
    entry.write_bytes(bytes(data))
    inventories.clear_cache()
    assert_same_load(inventories.load("taiwan-public"), inventories.parse("taiwan-public"))
    assert inventories.cache_info().discarded == 1
    assert capsys.readouterr().err == (
        f"cache: damaged entry {entry} (payload differs from its recorded sha256); recomputing\n"
    )


def test_forget_deletes_the_entries_of_one_mapping(disk_cache):
    inventories.load("study")
    inventories.load("taiwan-public")
    assert inventories.forget("study") == 1
    assert [p.name.startswith("taiwan-public-") for p in disk_cache.glob("*.entry")] == [True]
    inventories.clear_cache()
    inventories.load("study")
    assert inventories.cache_info().misses == 1


def test_the_disk_cache_keeps_the_most_recently_used_entries(disk_cache, monkeypatch):
    monkeypatch.setattr(inventories, "DISK_ENTRIES", 2)
    for name in ("study", "taiwan-public"):
        inventories.load(name)
    (study,) = inventories.cache_entries("study")
    os.utime(study, (0, 0))  # used long ago
    inventories.clear_cache()
    inventories.load("taiwan-public")  # served: now the most recently used
    inventories.load("jrc-ai-watch")
    assert sorted(p.name.split("-")[0] for p in disk_cache.glob("*.entry")) == ["jrc", "taiwan"]


def test_an_intact_entry_that_holds_no_load_is_not_served(disk_cache, capsys):
    inventories.load("study")
    (entry,) = inventories.cache_entries("study")
    key = entry.name.removesuffix(cache.SUFFIX)
    cache.write(
        inventories.NAMESPACE, key, pickle.dumps(("not tables", None))
    )  # intact, but no load
    inventories.clear_cache()
    assert_same_load(inventories.load("study"), inventories.parse("study"))
    assert inventories.cache_info() == inventories.CacheInfo(misses=1, writes=1, discarded=1)
    assert f"cache: damaged entry {entry} (not a load: " in capsys.readouterr().err


@pytest.mark.parametrize("variable", ["ANALYSIS_CACHE", "ANALYSIS_MEMO"])
def test_with_the_cache_off_nothing_is_read_or_written(disk_cache, monkeypatch, variable):
    inventories.load("taiwan-public")
    (entry,) = inventories.cache_entries("taiwan-public")
    monkeypatch.setenv(variable, "off")
    inventories.clear_cache()
    os.utime(entry, (0, 0))
    loaded = inventories.load("taiwan-public")
    assert inventories.cache_info() == inventories.CacheInfo(misses=1)  # parsed, not read
    assert entry.stat().st_mtime == 0  # not read (a read marks it used)
    inventories.load("study")
    assert inventories.cache_entries("study") == []  # not written
    assert_same_load(loaded, inventories.parse("taiwan-public"))
    inventories.load("taiwan-public")  # this process still reuses what it parsed
    assert inventories.cache_info() == inventories.CacheInfo(misses=2)


def test_two_swapped_entries_are_not_served_but_parsed_again(disk_cache, capsys):
    inventories.load("jrc-ai-watch")
    inventories.load("taiwan-public")
    (jrc,), (taiwan,) = (
        inventories.cache_entries("jrc-ai-watch"),
        inventories.cache_entries("taiwan-public"),
    )
    a, b = jrc.read_bytes(), taiwan.read_bytes()
    jrc.write_bytes(b)
    taiwan.write_bytes(a)
    inventories.clear_cache()
    capsys.readouterr()
    for name in ("jrc-ai-watch", "taiwan-public"):
        assert_same_load(inventories.load(name), inventories.parse(name))
    assert inventories.cache_info() == inventories.CacheInfo(misses=2, writes=2, discarded=2)
    notes = capsys.readouterr().err.splitlines()
    assert [n.split(" (")[0] for n in notes] == [
        f"cache: damaged entry {jrc}",
        f"cache: damaged entry {taiwan}",
    ]
    assert all("holds key" in n and n.endswith("; recomputing") for n in notes)


def test_a_truncated_table_inside_an_intact_entry_is_not_served(disk_cache, capsys):
    """The entry rewritten whole (its header verifies) around a cases table cut in half: the
    Arrow file does not decode (ArrowInvalid), the load is parsed again."""
    inventories.load("taiwan-public")
    (entry,) = inventories.cache_entries("taiwan-public")
    key = entry.name.removesuffix(cache.SUFFIX)
    tables, report = pickle.loads(cache.read(inventories.NAMESPACE, key))
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(tables)) as archive,
        zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as cut,
    ):
        for name in archive.namelist():
            body = archive.read(name)
            cut.writestr(name, body[: len(body) // 2] if name == "cases.arrow" else body)
    cache.write(inventories.NAMESPACE, key, pickle.dumps((out.getvalue(), report)))
    inventories.clear_cache()
    capsys.readouterr()
    assert_same_load(inventories.load("taiwan-public"), inventories.parse("taiwan-public"))
    assert inventories.cache_info() == inventories.CacheInfo(misses=1, writes=1, discarded=1)
    (note,) = capsys.readouterr().err.splitlines()
    assert note.startswith(f"cache: damaged entry {entry} (not a load: ArrowInvalid: ")
    assert note.endswith("; recomputing")
