"""Coders: the frame's vocabulary, the rule coder, the trained coder, applying codes."""

import copy

import numpy as np
import pandas as pd
import pytest
import yaml

from analysis import canonical, coding, config, inventories
from analysis.coders import CODE_COLUMNS, CodingError, RuleCoder, TrainedCoder
from analysis.coders.base import apply_codes, case_text, reference_labels, strip_personal
from analysis.coders.rules import vocabulary_hits
from analysis.coding import choose, code_file, code_with_choice, make_coder
from analysis.errors import FrameError
from analysis.frame import parse_frame
from analysis.textnorm import fold


@pytest.fixture(scope="module")
def jrc():
    return inventories.cases("jrc-ai-watch")


@pytest.fixture()
def raw():
    return yaml.safe_load(config.FRAME_FILE.read_text(encoding="utf-8"))


def one_case(name, description=None, agency=None, case_id="hand-1"):
    """A hand-made case (not a real one) in canonical form, nothing coded."""
    row = {
        "case_id": case_id,
        "inventory": "hand",
        "source": "test",
        "name": name,
        "agency": agency,
        "description": description,
    }
    return canonical.coerce(pd.DataFrame([row]))


# -- vocabulary in the frame ---------------------------------------------------------------
def test_vocabulary_is_frame_data_for_every_category_type_and_flag(frame):
    for kind in ("category", "application_type", "flag"):
        for key in frame.keys(kind):
            terms = frame.terms(kind, key)
            assert terms["zh"] and terms["en"], (kind, key)
    # techniques contribute their names and synonyms
    assert "車牌辨識" in frame.terms("technique", "image_recognition")["zh"]
    assert "chatbot" in frame.terms("technique", "nlp")["en"]


def test_vocabulary_validation(raw, tmp_path):
    bad = copy.deepcopy(raw)
    bad["coding_vocabulary"]["category"]["no_such_category"] = {"en": ["x"]}
    with pytest.raises(FrameError, match="no_such_category"):
        parse_frame(bad, tmp_path / "f.yaml")
    bad = copy.deepcopy(raw)
    bad["coding_vocabulary"]["colour"] = {}
    with pytest.raises(FrameError, match="coding_vocabulary.colour"):
        parse_frame(bad, tmp_path / "f.yaml")
    bad = copy.deepcopy(raw)
    bad["coding_vocabulary"]["flag"]["ethics"] = {"fr": ["éthique"]}
    with pytest.raises(FrameError, match="ethics"):
        parse_frame(bad, tmp_path / "f.yaml")
    bad = copy.deepcopy(raw)
    bad["coding_vocabulary"]["flag"]["ethics"] = {"en": ["", "bias"]}
    with pytest.raises(FrameError, match="non-empty"):
        parse_frame(bad, tmp_path / "f.yaml")
    without = copy.deepcopy(raw)
    del without["coding_vocabulary"]
    assert parse_frame(without, tmp_path / "f.yaml").vocabulary == {}


def test_english_terms_match_at_word_start_only(frame):
    # "log" is an audit_logging term: it matches "logging" but not "catalogue"
    assert ("application_type", "audit_logging") in vocabulary_hits("Logging of access", frame)
    assert ("application_type", "audit_logging") not in vocabulary_hits("a catalogue", frame)
    # zh terms match as substrings
    assert vocabulary_hits("查驗車牌號碼", frame)[("application_type", "smart_recognition")] == [
        "車牌"
    ]


# -- rule coder -----------------------------------------------------------------------------
def test_rule_coder_lists_the_terms_behind_each_decision(frame):
    case = one_case("Chatbot answering citizen questions about passports")
    codes = RuleCoder(frame).code(case).set_index("field")
    assert list(RuleCoder(frame).code(case).columns) == CODE_COLUMNS
    assert codes.loc["category", "value"] == "public_services"
    assert codes.loc["application_type", "value"] == "engagement_management"
    assert codes.loc["techniques", "value"] == "nlp"
    assert set(codes["coded_by"]) == {"rules"}
    # every category term cited occurs in the text and belongs to the category's vocabulary
    text = fold(case_text(case).iloc[0])
    vocab = set(frame.terms("category", "public_services")["en"])
    for t in frame.application_types_of("public_services"):
        vocab |= set(frame.terms("application_type", t)["en"])
    cited = codes.loc["category", "evidence"].split("; ")
    assert (
        cited
        and all(t in text for t in cited)
        and all(t in {fold(v).strip() for v in vocab} for t in cited)
    )
    # public_services terms: chatbot, citizen, question; no other category term occurs -> share 1
    assert codes.loc["category", "confidence"] == 1.0


def test_rule_coder_leaves_undecidable_cases_uncoded(frame):
    codes = RuleCoder(frame).code(one_case("Zyx qwv"))
    assert "category" not in set(codes["field"]) and "techniques" not in set(codes["field"])
    flags = codes.set_index("field").loc[frame.flag_keys]
    assert (flags["value"] == "no").all() and (flags["evidence"] == "").all()


def test_rule_coder_on_the_study_cases(frame, study):
    codes = RuleCoder(frame).code(study)
    cat = codes[codes["field"] == "category"].set_index("case_id")
    # digi-4 「車牌辨識結合AI，智慧勾稽異常清運行為」: 異常 (enforcement), 車牌 and 辨識
    # (smart recognition)
    assert cat.loc["digi-4", "value"] == "enforcement"
    assert set(cat.loc["digi-4", "evidence"].split("; ")) >= {"異常", "車牌", "辨識"}
    tech = codes[codes["field"] == "techniques"].set_index("case_id")
    assert tech.loc["digi-4", "value"] == "image_recognition"


# -- applying codes ----------------------------------------------------------------------------
def test_apply_codes_fills_only_missing_values(frame, study):
    blanked = study.copy()
    blanked.loc[[1, 7], "category"] = pd.NA
    blanked.loc[[1, 7], "category_coded_by"] = pd.NA
    blanked.loc[1, "application_type"] = pd.NA
    blanked.loc[1, "application_type_coded_by"] = pd.NA
    codes = pd.DataFrame(
        [
            {
                "case_id": "digi-2",
                "inventory": "study",
                "field": "category",
                "value": "enforcement",
                "coded_by": "rules",
                "confidence": 0.6,
                "evidence": "x",
            },
            {
                "case_id": "digi-2",
                "inventory": "study",
                "field": "application_type",
                "value": "smart_recognition",
                "coded_by": "rules",
                "confidence": 0.5,
                "evidence": "x",
            },
            # an application type outside the case's category is not filled
            {
                "case_id": "award-3",
                "inventory": "study",
                "field": "application_type",
                "value": "smart_recognition",
                "coded_by": "rules",
                "confidence": 0.5,
                "evidence": "x",
            },
            # already coded by the study: kept
            {
                "case_id": "digi-1",
                "inventory": "study",
                "field": "category",
                "value": "adjudication",
                "coded_by": "rules",
                "confidence": 0.9,
                "evidence": "x",
            },
            {
                "case_id": "digi-1",
                "inventory": "study",
                "field": "ethics",
                "value": "no",
                "coded_by": "rules",
                "confidence": 0.9,
                "evidence": "x",
            },
        ]
    )
    out = apply_codes(blanked, codes, frame)
    assert out.loc[1, "category"] == "enforcement" and out.loc[1, "category_coded_by"] == "rules"
    assert out.loc[1, "category_confidence"] == 0.6
    assert out.loc[1, "application_type"] == "smart_recognition"
    assert pd.isna(out.loc[7, "category"]) and pd.isna(out.loc[7, "category_confidence"])
    assert out.loc[0, "category"] == "enforcement" and out.loc[0, "category_coded_by"] == "study"
    assert bool(out.loc[0, "ethics"]) is True and pd.isna(out.loc[0, "ethics_confidence"])
    assert canonical.validate(out, frame) == []


# -- trained coder ------------------------------------------------------------------------------
def test_labels_come_only_from_human_or_source_provenance(frame, study):
    mixed = study.copy()
    mixed.loc[0, "category_coded_by"] = "model"
    mixed.loc[1, "category_coded_by"] = "human:a"
    y = reference_labels(mixed, "category", frame)
    assert 0 not in y.index and 1 in y.index and len(y) == 10
    assert set(reference_labels(study, "ethics", frame)) == {"yes", "no"}


def test_trained_coder_probabilities_and_determinism(frame, jrc):
    coder = TrainedCoder(frame, fields_=["category"]).fit(jrc)
    probs = coder.predict_proba(jrc.iloc[:20])["category"]
    assert sorted(probs.columns) == sorted(set(jrc["category"]))
    assert np.allclose(probs.sum(axis=1), 1.0)
    codes = coder.code(jrc.iloc[:20])
    assert (codes["field"] == "category").all() and len(codes) == 20
    assert codes["confidence"].between(0, 1).all()
    # the confidence is the probability of the chosen class
    chosen = [probs.loc[i, v] for i, v in zip(probs.index, codes["value"])]
    assert np.allclose(codes["confidence"].to_numpy(), chosen)
    # balanced decision: the chosen class has the highest probability of the uncalibrated
    # model relative to its training share
    base = coder.deciders["category"]
    x = coder.vectoriser.transform(coder._texts(jrc.iloc[:20]))
    share = jrc["category"].value_counts(normalize=True).reindex(base.classes_).to_numpy()
    assert list(codes["value"]) == list(
        base.classes_[(base.predict_proba(x) / share).argmax(axis=1)]
    )
    again = TrainedCoder(frame, fields_=["category"]).fit(jrc).code(jrc.iloc[:20])
    pd.testing.assert_frame_equal(codes, again)


def test_a_coder_without_confidences_codes_the_same_values_with_fewer_models(frame, jrc, study):
    """Cross-validation scores codes, not confidences: the coder that skips the calibrated
    copies gives the same codes, field by field and technique by technique, on cases it
    did not learn from."""
    train, test = jrc.iloc[::2], jrc.iloc[1::2]
    train = pd.concat([train, study], ignore_index=True)
    wanted = ["category", "application_type", "techniques", "human_rights"]
    full = TrainedCoder(frame, fields_=wanted, min_support=2).fit(train)
    lean = TrainedCoder(frame, fields_=wanted, min_support=2, confidences=False).fit(train)
    assert set(full.models) == set(lean.models) and len(lean.models) >= 4
    # the lean coder fitted no calibrated copy: its models are the deciders themselves
    assert all(lean.models[n] is lean.deciders[n] for n in lean.models)
    assert not any(full.models[n] is full.deciders.get(n) for n in full.models)
    a, b = full.code(test), lean.code(test)
    cols = ["case_id", "inventory", "field", "value", "coded_by"]
    pd.testing.assert_frame_equal(a[cols], b[cols])
    assert set(a["field"]) >= {"category", "application_type"}
    for name in full.models:
        pd.testing.assert_frame_equal(
            full.decision_scores(test)[name], lean.decision_scores(test)[name]
        )


def test_trained_coder_reads_chinese_through_character_ngrams(frame, study):
    # trained on the study's zh-TW cases (all fields), it reproduces most training labels
    coder = TrainedCoder(frame, min_support=2).fit(study)
    codes = coder.code(study)
    cat = codes[codes["field"] == "category"].set_index("case_id")["value"]
    truth = study.set_index("case_id")["category"]
    assert (cat == truth.loc[cat.index]).mean() >= 0.8
    app = codes[codes["field"] == "application_type"]
    owner = dict(zip(cat.index, cat))
    assert all(frame.category_of(t) == owner[c] for c, t in zip(app["case_id"], app["value"]))


def test_trained_coder_needs_labels(frame, study):
    unlabelled = study.assign(
        category_coded_by="model",
        application_type_coded_by="model",
        techniques_coded_by="model",
        flags_coded_by="model",
    )
    with pytest.raises(CodingError, match="enough human or source labels"):
        TrainedCoder(frame).fit(unlabelled)
    with pytest.raises(CodingError, match="fit"):
        TrainedCoder(frame).code(study)


# -- text and personal data ------------------------------------------------------------------------
def test_personal_fields_never_reach_a_coder():
    table = one_case("Helpdesk", "Write to jane.doe@agency.gov or call +32 2 555 12 34 for help.")
    table["contact"] = "Jane Doe"
    text = case_text(table).iloc[0]
    assert "Jane Doe" not in text and "jane.doe@agency.gov" not in text and "555 12 34" not in text
    assert strip_personal("mail a.b@c.org now") == "mail [e-mail] now"


# -- choosing and applying ----------------------------------------------------------------------
def test_choose_takes_the_best_macro_f1_and_prefers_rules_on_ties():
    scores = pd.DataFrame(
        [
            {"inventory": "x", "target": "category", "coder": "rules", "macro_f1": 0.4},
            {"inventory": "x", "target": "category", "coder": "model", "macro_f1": 0.6},
            {"inventory": "x", "target": "ethics", "coder": "rules", "macro_f1": 0.5},
            {"inventory": "x", "target": "ethics", "coder": "model", "macro_f1": 0.5},
        ]
    )
    got = choose(scores).set_index("target")["coder"]
    assert got["category"] == "model" and got["ethics"] == "rules"


def test_code_with_choice_marks_each_field_with_its_coder(frame, study):
    taiwan = inventories.cases("taiwan-public").iloc[:15]
    choice = pd.DataFrame({"target": ["category", "ethics"], "coder": ["model", "rules"]})
    result = code_with_choice(taiwan, choice, study, frame)
    coded = result.cases
    assert set(coded["category_coded_by"].dropna()) <= {"model"} and coded["category"].notna().all()
    assert coded["category_confidence"].between(0, 1).all()
    assert set(coded["flags_coded_by"].dropna()) <= {"rules"} | set(
        taiwan["flags_coded_by"].dropna()
    )
    assert canonical.validate(coded, frame) == []


def test_code_file_writes_a_coded_table(tmp_path, frame):
    out = code_file("taiwan-public", "rules", tmp_path / "coded.csv", frame)
    back = canonical.read_export(out.path, frame)
    source = inventories.cases("taiwan-public")
    assert len(back) == len(source)
    filled = back["category"].notna() & source["category"].isna()
    assert filled.any() and set(back.loc[filled, "category_coded_by"]) == {"rules"}
    with pytest.raises(CodingError, match="unknown coder"):
        make_coder("oracle", frame)


def test_code_command(tmp_path, capsys):
    from analysis.cli import main

    assert (
        main(["code", "taiwan-public", "--coder", "rules", "--to", str(tmp_path / "out.xlsx")]) == 0
    )
    assert (tmp_path / "out.xlsx").exists() and "coded by rules" in capsys.readouterr().out


def test_coded_summary_counts_by_value_and_coder(frame, study):
    from analysis.coding import coded_summary

    table = study.copy()
    table.loc[[0, 1], "category_coded_by"] = "rules"
    table["category_confidence"] = np.nan
    table.loc[[0, 1], "category_confidence"] = [0.5, 1.0]
    table.loc[2, ["category", "category_coded_by"]] = pd.NA
    out = coded_summary(table, "category", frame)
    rows = {
        (
            None if pd.isna(r.category) else r.category,
            None if pd.isna(r.coded_by) else r.coded_by,
        ): r
        for r in out.itertuples(index=False)
    }
    assert (
        rows[("enforcement", "rules")].cases == 2
        and rows[("enforcement", "rules")].mean_confidence == 0.75
    )
    assert rows[("enforcement", "study")].cases == 2 and rows[(None, None)].cases == 1
    assert out["cases"].sum() == 11 and pd.isna(out["category"].iloc[-1])


def test_single_valued_inventories_are_not_learnt_from(frame, study):
    # a second, hand-made inventory whose labels can only say one category (like a
    # crosswalk that only recognises internal management) is left out of that target
    one_valued = study.assign(
        inventory="one-valued", category="internal_management", application_type="internal_support"
    )
    coder = TrainedCoder(frame, fields_=["category"], min_support=2).fit(
        pd.concat([study, one_valued], ignore_index=True)
    )
    expected = study["category"].value_counts(normalize=True)
    got = coder.priors["category"]
    assert {str(k): v for k, v in got.items()} == pytest.approx(
        {str(k): v for k, v in expected.items()}
    )


def test_coded_inventory_is_cached_and_read_back_identically(output_dir):
    assert not coding.stored("us-federal-2024-coded")  # a run would prepare it
    first = coding.coded("us-federal-2024")
    assert len(list((output_dir / ".cache" / "coded").iterdir())) == 1  # one verified entry
    assert coding.stored("us-federal-2024-coded")  # its entry, under the key coded() reads
    second = coding.coded("us-federal-2024")
    pd.testing.assert_frame_equal(first.cases, second.cases)
    pd.testing.assert_frame_equal(first.choice, second.choice)
    cases = first.cases
    assert len(cases) == 2133 and cases["category"].notna().all()
    crosswalk = cases["category_coded_by"] == "crosswalk"
    assert crosswalk.sum() == 869  # the mapping's own codes are kept, not overwritten
    assert set(cases.loc[~crosswalk, "category_coded_by"]) <= {"model", "rules"}
    assert cases.loc[~crosswalk, "category_confidence"].between(0, 1).all()
    pooled = coding.cases_for(["us-federal-2024-coded", "study"])
    assert len(pooled) == 2133 + 11 and set(pooled["inventory"]) == {"us-federal-2024", "study"}


def test_inventory_without_an_offline_coder_is_refused(output_dir):
    with pytest.raises(CodingError, match="no offline coder for inventory 'study'"):
        coding.coded("study")


# -- measured on the zh-TW annotation; the US 2025 techniques ---------------------------------
def test_taiwanese_cases_are_measured_on_their_adjudicated_annotation(frame):
    refs = coding.plan_references("taiwan-public", frame).set_index("target")
    assert set(refs["reference"]) == {"taiwan-public-annotated"}
    assert refs.at["category", "coded_by"] == "annotator:adjudicated"
    assert refs.at["category", "n"] == 133
    for flag in frame.flag_keys:
        assert refs.at[flag, "n"] == 133
    # every technique the annotation names for at least one case is a target
    annotated = coding.cases_for("taiwan-public-annotated", frame)
    named = {t for v in annotated["techniques"].dropna() for t in v.split(";")}
    assert {t.split(":", 1)[1] for t in refs.index if t.startswith("technique:")} == named


def test_verdict_compares_the_chosen_coders_score_and_interval_with_the_goal():
    scored = pd.DataFrame(
        [
            # target, coder, n, macro_f1 (low, high), kappa (low, high)
            ("category", "model", 100, 0.80, 0.76, 0.84, 0.7, 0.6, 0.8),
            ("category", "rules", 100, 0.50, 0.40, 0.60, 0.4, 0.3, 0.5),
            ("ethics", "rules", 100, 0.70, 0.60, 0.80, 0.65, 0.55, 0.75),
            ("human_rights", "model", 100, 0.60, 0.50, 0.70, 0.30, 0.20, 0.40),
        ],
        columns=[
            "target",
            "coder",
            "n",
            "macro_f1",
            "macro_f1_low",
            "macro_f1_high",
            "kappa",
            "kappa_low",
            "kappa_high",
        ],
    )
    choice = pd.DataFrame(
        {"target": ["category", "ethics", "human_rights"], "coder": ["model", "rules", "model"]}
    )
    v = coding.verdict(scored, choice, "en").set_index("target")
    assert list(v.index) == ["category", "ethics", "human_rights"]
    assert v.at["category", "metric"] == "macro_f1" and v.at["ethics", "metric"] == "kappa"
    assert v["meets_goal"].tolist() == [True, True, False]
    assert "good enough" in v.at["category", "sentence"]
    assert "with care" in v.at["ethics", "sentence"]  # 0.65 but the interval reaches 0.55
    assert "below the goal" in v.at["human_rights", "sentence"]
    assert "未達標準" in coding.verdict(scored, choice, "zh-TW").iloc[2]["sentence"]


def test_us_2025_techniques_scored_with_agencies_held_out(frame):
    import csv

    with open(
        config.RAW_DIR / "us-federal-2025" / "2025_individually_reported_AI_use_cases.csv",
        encoding="utf-8-sig",
        newline="",
    ) as fh:
        rows = list(csv.DictReader(fh))
    named = [r for r in rows if r["classification"] not in ("", "Other")]
    scores, per_class = coding.technique_check("us-federal-2025", frame)
    scores = scores.set_index("coder")
    assert scores.loc["model", "n"] == len(named)
    assert scores.loc["model", "groups"] == len({r["agency"] for r in named})
    for coder in ("rules", "model"):
        s = scores.loc[coder]
        assert s["macro_f1_low"] <= s["macro_f1"] <= s["macro_f1_high"]
        assert s["in_set"] >= s["accuracy"] - 1e-9  # the first-ranked is one of those named
    assert set(per_class["coder"]) == {"rules", "model"}
    # an inventory naming several techniques per case has no primary-technique check
    assert coding.technique_check("study", frame)[0].empty


def test_out_of_fold_codes_score_as_the_evaluation_reports(frame):
    """The out-of-fold recoding of the Taiwanese cases agrees with their annotation
    exactly as often as the evaluation says the chosen coder does in its first
    cross-validation repeat, field by field."""
    oof = coding.out_of_fold_cases("taiwan-public", frame).set_index("case_id")
    annotated = coding.cases_for("taiwan-public-annotated", frame).set_index("case_id")
    evaluation = coding.plan_evaluation("taiwan-public", frame)
    chosen = coding.choose(evaluation.scores).set_index("target")["coder"]
    first = evaluation.repeat_scores[evaluation.repeat_scores["repeat"] == 1]
    scores = first.set_index(["target", "coder"])
    for f in ["category", *frame.flag_keys]:
        same = (oof[f].astype(object) == annotated[f].astype(object)).fillna(False)
        assert same.mean() == pytest.approx(scores.at[(f, chosen[f]), "accuracy"])
    assert set(oof["category_coded_by"].dropna()) <= {"rules", "model"}
    assert not (oof["flags_coded_by"] == "annotator:adjudicated").any()
