"""Governance lens: frameworks as data, the generic rule evaluator, placements of the
study's 11 cases, checklists and agreement statistics."""

from __future__ import annotations

import csv

import pandas as pd
import pytest

from analysis import governance as g
from analysis.errors import AnalysisError
from analysis.mapping import FieldSpec, Mapping

FLAGS = [
    "data_governance",
    "human_rights",
    "ethics",
    "explainability",
    "personal_data",
    "automated_decision",
]


@pytest.fixture(scope="module")
def frameworks():
    return {fw.key: fw for fw in g.load_all()}


@pytest.fixture(scope="module")
def placements(frameworks):
    from analysis import inventories

    return g.assess(inventories.cases("study"), list(frameworks.values()), "en")


def placed(placements, case_id, framework, dimension):
    row = placements[
        (placements["case_id"] == case_id)
        & (placements["framework"] == framework)
        & (placements["dimension"] == dimension)
    ]
    assert len(row) == 1
    return row.iloc[0]


# -- the study's tables as data ---------------------------------------------------------------
def test_matrix_is_the_studys_table(frameworks):
    # Typed from the study's slide 「澳洲 - AI治理指引或原則」 (rows: likelihood; columns:
    # Insignificant, Minor, Moderate, Major, Severe).
    printed = {
        "Almost certain": ["Medium", "Medium", "High", "High", "High"],
        "Likely": ["Medium", "Medium", "Medium", "High", "High"],
        "Possible": ["Low", "Medium", "Medium", "High", "High"],
        "Unlikely": ["Low", "Low", "Medium", "Medium", "High"],
        "Rare": ["Low", "Low", "Low", "Medium", "Medium"],
    }
    columns = ["Insignificant", "Minor", "Moderate", "Major", "Severe"]
    au = frameworks["au_vaiss"]
    dim = au.dimension("rating")
    rows = list(dim.matrix["cells"])
    assert [au.dimension("likelihood").level(r).name_en for r in rows] == list(printed)
    cols = list(dim.matrix["cells"][rows[0]])
    assert [au.dimension("consequence").level(c).name_en for c in cols] == columns
    for r in rows:
        name = au.dimension("likelihood").level(r).name_en
        assert [dim.level(dim.matrix["cells"][r][c]).name_en for c in cols] == printed[name]


def test_recommendations_per_phase_are_the_studys():
    recs = g.recommendations()
    assert recs.groupby("phase").size().to_dict() == {"plan": 7, "do": 6, "check": 5, "act": 5}
    assert list(dict.fromkeys(recs["phase_zh"])) == ["規劃", "執行", "監控", "調整"]
    # In the study's text the lists come in the order 調整, 監控, 規劃, 執行.
    order = recs.drop_duplicates("phase").sort_values("order_in_text")["phase_zh"].tolist()
    assert order == ["調整", "監控", "規劃", "執行"]
    items = recs.groupby("phase")["name_zh"].apply(list).to_dict()
    assert items["plan"] == [
        "確立 AI 治理架構與原則",
        "建立風險管理機制",
        "定義責任與課責機制",
        "重視資料治理規劃",
        "規劃透明度與可解釋性措施",
        "規劃人才培育與意識提升",
        "規劃負責任的 AI 創新與採購",
    ]
    assert items["do"] == [
        "部署 AI 治理與管理機制",
        "實施風險緩解措施",
        "執行透明公開",
        "指定負責官員 (AOs)",
        "促進跨職能與跨機構協作",
        "建立內部註冊系統",
    ]
    assert items["check"] == [
        "監控 AI 系統的運行與影響",
        "監控 AI 使用案例",
        "評估風險管理措施的有效性",
        "定期審視內部 AI 政策及治理方法",
        "評估員工 AI 素養",
    ]
    assert items["act"] == [
        "根據評估結果調整治理框架",
        "持續更新風險管理措施",
        "優化透明度與可解釋性實踐",
        "融入政府服務流程並持續更新",
        "持續進行人才培育與意識提升",
    ]


def test_guardrails_one_to_five_are_the_studys_and_six_to_ten_are_marked(frameworks):
    duties = frameworks["au_vaiss"].duties
    assert [d.no for d in duties] == list(range(1, 11))
    assert [d.name_zh for d in duties[:5]] == [
        "建立、實施並公開問責流程",
        "建立並實施風險管理流程，以識別和減輕風險",
        "保護AI系統，並實施資料治理措施來管理資料品質和來源",
        "測試 AI 模型和系統以評估模型性能，並在部署後持續監控系統",
        "使 AI 系統能夠進行人工控制或干預，以實現有效的人類監督",
    ]
    assert all(d.in_study and d.wording == "study" for d in duties[:5])
    assert not any(d.in_study for d in duties[5:])
    assert "industry.gov.au" in frameworks["au_vaiss"].source


def test_un_categories_carry_the_studys_wording(frameworks):
    un = frameworks["un_risk"]
    assert [d.name_zh for d in un.dimensions] == ["個人", "政治與社會", "經濟", "環境"]
    assert (
        un.dimension("environmental").extra["risk_types_zh"]
        == "過度消耗能源、水和材料資源（包括稀有礦物和其他自然資源）"
    )
    assert un.dimension("economic").extra["risk_types_zh"] == (
        "權力集中、技術依賴、不平等的經濟機會、AI的過度使用、金融系統和關鍵基礎設施的穩定性、智慧財產權"
    )


def test_eu_duties_quote_the_study(frameworks):
    names = {d.key: d.name_zh for d in frameworks["eu_ai_act"].duties}
    assert names["eu_fria"] == "部署者人工智慧系統的基本權利影響評估"
    assert names["eu_logging"] == "系統運行紀錄之自動保存"
    assert names["eu_human_oversight"] == "人類行為的監督與介入"
    assert names["eu_registration"] == "使用高風險的AI系統，應先行至歐盟資料庫登錄"
    study_items = [
        "風險控管制度的建置與落實",
        "訓練、驗證與測試資料與資料治理",
        "系統上市或使用前技術文件之整備",
        "系統運行紀錄之自動保存",
        "系統資訊之透明與提供",
        "人類行為的監督與介入",
        "系統運行的準確性、穩定性及資訊安全",
    ]
    assert set(study_items) <= set(names.values())


# -- placements of the study's cases (expected values derived by hand) ----------------------
def test_company_registration_case(placements):
    # digi-3 「建置公司登記文件影像自動分類」: enforcement / smart recognition; flags data
    # governance, explainability, personal data; no human-rights, ethics or automated-decision
    # tick. EU: no benefits, predictive, biometric, infrastructure or emergency trigger, human
    # rights assessed "no" -> minimal. AU: no automated decision, data governance and
    # explainability both ticked -> Possible; only personal data -> Minor; matrix
    # Possible × Minor = Medium. US: personal data without automated decision -> undetermined.
    # UN: personal data -> individual touched; ethics no, no generative AI -> political/social
    # not indicated.
    assert placed(placements, "digi-3", "eu_ai_act", "tier")["placement"] == "minimal"
    assert placed(placements, "digi-3", "au_vaiss", "likelihood")["placement"] == "possible"
    assert placed(placements, "digi-3", "au_vaiss", "consequence")["placement"] == "minor"
    assert placed(placements, "digi-3", "au_vaiss", "rating")["placement"] == "medium"
    assert (
        placed(placements, "digi-3", "us_omb_m25_21", "high_impact")["placement"] == "undetermined"
    )
    assert placed(placements, "digi-3", "un_risk", "individual")["placement"] == "touched"
    assert (
        placed(placements, "digi-3", "un_risk", "political_social")["placement"] == "not_indicated"
    )


def test_licence_plate_case(placements):
    # digi-4 「車牌辨識結合AI，智慧勾稽異常清運行為」: enforcement, all six risks ticked.
    # EU: enforcement touching human rights -> undetermined (Annex III 1/6/7 depend on the
    # authority and purpose). AU: automated + unexplainable -> Likely; human rights in
    # enforcement -> Major; Likely × Major = High. US: automated decision with human-rights
    # risk -> yes. UN: ethics ticked -> political/social touched.
    eu = placed(placements, "digi-4", "eu_ai_act", "tier")
    assert eu["placement"] == "undetermined" and eu["rule"] == "eu_enforcement_rights"
    assert "high" in eu["candidates"].split(";")
    assert placed(placements, "digi-4", "au_vaiss", "rating")["placement"] == "high"
    assert placed(placements, "digi-4", "us_omb_m25_21", "high_impact")["placement"] == "yes"
    assert placed(placements, "digi-4", "un_risk", "political_social")["placement"] == "touched"


def test_sewer_and_water_cases(placements):
    # award-1 「汙水管AI檢視」: no human-rights, ethics or personal-data tick, automated
    # decisions and explainability ticked. Sewers are not among Annex III 2's utilities
    # (water, gas, heating, electricity) -> EU minimal; AU Likely × Insignificant = Medium;
    # UN individual not indicated (no rights or personal data).
    assert placed(placements, "award-1", "eu_ai_act", "tier")["placement"] == "minimal"
    assert placed(placements, "award-1", "au_vaiss", "rating")["placement"] == "medium"
    assert placed(placements, "award-1", "un_risk", "individual")["placement"] == "not_indicated"
    # award-2 「自來水管『科技檢漏』」 names the water supply: Annex III 2 cannot be excluded.
    eu = placed(placements, "award-2", "eu_ai_act", "tier")
    assert (eu["placement"], eu["rule"]) == ("undetermined", "eu_critical_infrastructure")
    # taipei-1 (fire department's disaster-response platform): Annex III 5(d) cannot be excluded.
    assert placed(placements, "taipei-1", "eu_ai_act", "tier")["rule"] == "eu_emergency"


def test_every_undetermined_placement_has_a_reason(placements):
    und = placements[placements["placement"] == "undetermined"]
    assert len(und) > 0
    assert und["explanation"].str.len().min() > 10
    assert (und["candidates"].str.len() > 0).all()
    # Environmental risk is never decidable from the case fields.
    env = placements[placements["dimension"] == "environmental"]
    assert set(env["placement"]) == {"undetermined"} and len(env) == 11


def test_placements_are_deterministic_and_sorted(frameworks, placements):
    from analysis import inventories

    again = g.assess(
        inventories.cases("study").sample(frac=1, random_state=1), list(frameworks.values()), "en"
    )
    pd.testing.assert_frame_equal(again, placements)


# -- the evaluator on hand-made frames ----------------------------------------------------------
def _cases(rows):
    base = {
        "inventory": "synthetic",
        "name": "x",
        "description": pd.NA,
        "agency": pd.NA,
        "category": pd.NA,
        "application_type": pd.NA,
        "techniques": pd.NA,
        **{f: pd.NA for f in FLAGS},
    }
    df = pd.DataFrame([{**base, "case_id": f"c{i}", **r} for i, r in enumerate(rows)])
    for f in FLAGS:
        df[f] = df[f].astype("boolean")
    return df


def _framework(rules, otherwise=None, extra_dims=()):
    data = {
        "framework": "toy",
        "kind": "framework",
        "name_zh": "玩具",
        "name_en": "Toy",
        "undetermined": {"name_zh": "無法判定", "name_en": "Undetermined"},
        "dimensions": [
            {
                "key": "d",
                "levels": [
                    {"key": "hi", "name_zh": "高", "name_en": "Hi"},
                    {"key": "lo", "name_zh": "低", "name_en": "Lo"},
                ],
                "rules": rules,
                "otherwise": otherwise
                or {"then": "lo", "rationale_zh": "其他", "rationale_en": "rest"},
            },
            *extra_dims,
        ],
    }
    return g.parse_framework(data)


def _rule(rid, when, then="hi"):
    r = {"id": rid, "when": when, "then": then, "basis": "Art. 1"}
    if then == "undetermined":
        r.update(reason_zh="不明", reason_en="unclear")
    else:
        r.update(rationale_zh="理由", rationale_en="because")
    return r


def test_first_true_rule_decides_and_unknown_blocks():
    fw = _framework(
        [
            _rule("r1", {"field": "human_rights", "is": True}),
            _rule("r2", {"field": "category", "in": ["adjudication"]}),
        ]
    )
    cases = _cases(
        [
            {"human_rights": True},
            {"human_rights": False, "category": "adjudication"},
            {"human_rights": pd.NA, "category": "enforcement"},
            {"human_rights": False, "category": "enforcement"},
            {"human_rights": pd.NA, "category": "adjudication"},
        ]
    )
    out = g.place_cases(cases, fw, "en")
    # Case 2: r1 unreadable (would give hi), r2 false, otherwise lo -> hi or lo: undetermined.
    # Case 4: r1 unreadable (hi) and r2 true (hi): hi either way, so determined by r2.
    assert out["placement"].tolist() == ["hi", "hi", "undetermined", "lo", "hi"]
    assert out["rule"].tolist() == ["r1", "r2", "r1", "otherwise", "r2"]
    assert "human_rights" in out["explanation"].iloc[2]
    assert out["candidates"].iloc[2] == "hi;lo"
    assert out["matched_rules"].iloc[4] == "r2"


def test_kleene_logic_and_if_missing():
    fw = _framework(
        [
            _rule(
                "any",
                {"any": [{"field": "ethics", "is": True}, {"field": "personal_data", "is": True}]},
            ),
            _rule(
                "all",
                {
                    "all": [
                        {"field": "ethics", "is": False},
                        {"not": {"field": "explainability", "is": True}},
                    ]
                },
                then="lo",
            ),
            _rule("extra", {"field": "rights_safety", "matches": "^both", "if_missing": "false"}),
        ],
        otherwise={"then": "undetermined", "reason_zh": "無", "reason_en": "none"},
    )
    cases = _cases(
        [
            {"ethics": pd.NA, "personal_data": True},  # any: True though one part unknown
            {
                "ethics": False,
                "personal_data": False,
                "explainability": pd.NA,
            },  # all: unknown -> blocks
            {"ethics": False, "personal_data": False, "explainability": False},  # all: True
            {"ethics": False, "personal_data": False, "explainability": True},
        ]
    )  # rights_safety absent -> false
    out = g.place_cases(cases, fw, "en")
    assert out["placement"].tolist() == ["hi", "undetermined", "lo", "undetermined"]
    assert out["rule"].tolist() == ["any", "all", "all", "otherwise"]


def test_technique_lists_and_text_matching():
    fw = _framework(
        [
            _rule("t", {"field": "techniques", "in": ["generative_ai"]}),
            _rule("k", {"field": "name", "matches": "water SUPPLY"}, then="lo"),
        ],
        otherwise={"then": "undetermined", "reason_zh": "無", "reason_en": "none"},
    )
    cases = _cases(
        [
            {"techniques": "nlp;generative_ai"},
            {"techniques": "nlp", "name": "Water supply leaks"},
            {"techniques": "nlp"},
            {"techniques": pd.NA},
        ]
    )
    out = g.place_cases(cases, fw, "en")
    assert out["placement"].tolist() == ["hi", "lo", "undetermined", "undetermined"]
    assert out["rule"].tolist() == ["t", "k", "otherwise", "t"]


def test_exclude_fields_and_official_only():
    rules = [
        dict(
            _rule(
                "off",
                {"field": "rights_safety", "matches": "^neither", "if_missing": "false"},
                then="lo",
            ),
            official=True,
        ),
        _rule("flag", {"field": "human_rights", "is": True}),
    ]
    fw = _framework(
        rules, otherwise={"then": "undetermined", "reason_zh": "無", "reason_en": "none"}
    )
    cases = _cases([{"human_rights": True}])
    cases["rights_safety"] = "Neither"
    assert g.place_cases(cases, fw)["placement"].tolist() == ["lo"]
    assert g.place_cases(cases, fw, exclude_fields=["rights_safety"])["placement"].tolist() == [
        "hi"
    ]
    assert g.place_cases(cases, fw, exclude_fields=["rights_safety"], official_only=True)[
        "placement"
    ].tolist() == ["undetermined"]
    assert fw.fields_read(official=True) == {"rights_safety"}


def test_matrix_lookup_and_undetermined_axis():
    axis = {
        "key": "a",
        "levels": [
            {"key": "x", "name_zh": "甲", "name_en": "X"},
            {"key": "y", "name_zh": "乙", "name_en": "Y"},
        ],
        "rules": [
            _rule("ax", {"field": "ethics", "is": True}, then="x"),
            _rule("ay", {"field": "ethics", "is": False}, then="y"),
        ],
        "otherwise": {
            "then": "undetermined",
            "candidates": ["x", "y"],
            "reason_zh": "無",
            "reason_en": "none",
        },
    }
    mat = {
        "key": "m",
        "levels": [
            {"key": "hi", "name_zh": "高", "name_en": "Hi"},
            {"key": "lo", "name_zh": "低", "name_en": "Lo"},
        ],
        "matrix": {
            "rows": "a",
            "columns": "d",
            "cells": {"x": {"hi": "hi", "lo": "hi"}, "y": {"hi": "hi", "lo": "lo"}},
        },
    }
    data = {
        "framework": "toy",
        "kind": "framework",
        "name_zh": "玩具",
        "name_en": "Toy",
        "undetermined": {"name_zh": "無法判定", "name_en": "Undetermined"},
        "dimensions": [
            axis,
            {
                "key": "d",
                "levels": mat["levels"],
                "rules": [_rule("dh", {"field": "human_rights", "is": True})],
                "otherwise": {"then": "lo", "rationale_zh": "其他", "rationale_en": "rest"},
            },
            mat,
        ],
    }
    fw = g.parse_framework(data)
    cases = _cases(
        [
            {"ethics": True, "human_rights": False},
            {"ethics": False, "human_rights": False},
            {"ethics": pd.NA, "human_rights": True},
        ]
    )
    out = g.place_cases(cases, fw, "en")
    m = out[out["dimension"] == "m"]
    # Third case: a undetermined (x or y) with d = hi: both cells are hi, so the rating is hi.
    assert m["placement"].tolist() == ["hi", "lo", "hi"]
    cases = _cases([{"ethics": pd.NA, "human_rights": False}])  # a x/y, d = lo: cells hi / lo
    m = g.place_cases(cases, fw, "en").query("dimension == 'm'")
    assert m["placement"].tolist() == ["undetermined"] and m["candidates"].tolist() == ["hi;lo"]


def test_malformed_frameworks_are_refused():
    with pytest.raises(AnalysisError, match="then"):
        _framework([_rule("r", {"field": "ethics", "is": True}, then="medium")])
    with pytest.raises(AnalysisError, match="category"):
        _framework([_rule("r", {"field": "category", "in": ["policing"]})])
    with pytest.raises(AnalysisError, match="reason"):
        _framework(
            [
                {
                    "id": "r",
                    "when": {"field": "ethics", "is": True},
                    "then": "undetermined",
                    "basis": "x",
                }
            ]
        )
    with pytest.raises(AnalysisError, match="basis"):
        _framework(
            [
                {
                    "id": "r",
                    "when": {"field": "ethics", "is": True},
                    "then": "hi",
                    "rationale_zh": "a",
                    "rationale_en": "b",
                }
            ]
        )
    with pytest.raises(AnalysisError):
        g.load_framework("no_such_framework")


_LEVELS = [
    {"key": "hi", "name_zh": "高", "name_en": "Hi"},
    {"key": "lo", "name_zh": "低", "name_en": "Lo"},
]


@pytest.mark.parametrize(
    ("when", "where", "wanted"),
    [
        (
            {"field": "name", "matches": "(unclosed"},
            "dimensions[0].rules[0].when.matches",
            "regular expression",
        ),
        ({"field": "ethics", "is": "yes"}, "dimensions[0].rules[0].when.is", "true or false"),
        (
            {"field": "enforcement", "is": True},
            "dimensions[0].rules[0].when.field",
            "a flag or boolean column",
        ),
        (
            {"field": "ethics", "is": True, "if_missing": "maybe"},
            "dimensions[0].rules[0].when.if_missing",
            "unknown, false",
        ),
        (
            {"field": "ethics", "is": True, "in": ["x"]},
            "dimensions[0].rules[0].when",
            "exactly one of in, is, matches",
        ),
        ({"field": "category", "in": []}, "dimensions[0].rules[0].when.in", "a non-empty list"),
        ({"any": []}, "dimensions[0].rules[0].when.any", "a non-empty list of conditions"),
        (
            {"all": [{"field": "ethics", "is": True}], "any": []},
            "dimensions[0].rules[0].when",
            "exactly one of all",
        ),
        (
            {"nor": [{"field": "ethics", "is": True}]},
            "dimensions[0].rules[0].when",
            "all, any, not or field",
        ),
        (
            {"not": {"field": "ethics", "is": 1}},
            "dimensions[0].rules[0].when.not.is",
            "true or false",
        ),
    ],
)
def test_malformed_conditions_name_where_and_what(when, where, wanted):
    with pytest.raises(AnalysisError) as caught:
        _framework([_rule("r", when)])
    message = str(caught.value)
    assert f"invalid framework at {where}" in message and wanted in message and "應為" in message


def test_malformed_dimensions_and_duties_name_where_and_what():
    def refused(data, where, wanted):
        base = {
            "framework": "toy",
            "kind": "framework",
            "name_zh": "玩具",
            "name_en": "Toy",
            "undetermined": {"name_zh": "無法判定", "name_en": "Undetermined"},
        }
        with pytest.raises(AnalysisError) as caught:
            g.parse_framework({**base, **data})
        assert f"invalid framework at {where}" in str(caught.value) and wanted in str(caught.value)

    rules = {
        "key": "d",
        "levels": _LEVELS,
        "rules": [_rule("r", {"field": "ethics", "is": True})],
        "otherwise": {"then": "lo"},
    }
    refused({"kind": "mapping", "dimensions": [rules]}, "kind", "kind: framework")
    refused({"dimensions": []}, "dimensions", "the key 'dimensions'")
    refused({"dimensions": [{"key": "d"}]}, "dimensions[0]", "a dimension with key and levels")
    refused(
        {"dimensions": [{**rules, "levels": _LEVELS * 2}]},
        "dimensions[0].levels",
        "unique level keys",
    )
    refused(
        {"dimensions": [{**rules, "rules": rules["rules"] * 2}]},
        "dimensions[0].rules",
        "unique rule ids",
    )
    refused({"dimensions": [{**rules, "otherwise": None}]}, "dimensions[0].otherwise", "otherwise")
    matrix = {"key": "m", "levels": _LEVELS, "matrix": {"rows": "d", "columns": "e", "cells": {}}}
    refused({"dimensions": [rules, matrix]}, "dimensions[1].matrix", "dimensions defined above")
    cells = {"hi": {"hi": "hi", "lo": "lo"}, "lo": {"hi": "lo", "lo": "medium"}}
    matrix = {**matrix, "matrix": {"rows": "d", "columns": "d", "cells": cells}}
    refused({"dimensions": [rules, matrix]}, "dimensions[1].matrix.cells", "levels ['hi', 'lo']")
    duty = {
        "key": "x",
        "name_zh": "甲",
        "name_en": "X",
        "applies": {"dimension": "d", "in": ["hi"]},
    }
    refused({"dimensions": [rules], "duties": ["x"]}, "duties[0]", "a duty with key")
    refused(
        {"dimensions": [rules], "duties": [{**duty, "applies": {"dimension": "e", "in": ["hi"]}}]},
        "duties[0]",
        "applies: {dimension, in}",
    )
    refused(
        {"dimensions": [rules], "duties": [{**duty, "applies": {"dimension": "d", "in": ["mid"]}}]},
        "duties[0].applies.in",
        "levels of d",
    )
    refused(
        {"dimensions": [rules], "duties": [{**duty, "otherwise": "required"}]},
        "duties[0].otherwise",
        "not_applicable or recommended",
    )
    ok = g.parse_framework(
        {
            "framework": "toy",
            "kind": "framework",
            "name_zh": "玩具",
            "name_en": "Toy",
            "undetermined": {"name_zh": "無法判定", "name_en": "Undetermined"},
            "dimensions": [rules],
            "duties": [duty],
        }
    )
    assert ok.duties[0].levels == ("hi",) and ok.duties[0].otherwise == "not_applicable"


# -- checklists ---------------------------------------------------------------------------------
def test_high_tier_adjudication_case_gets_the_public_body_duties(frameworks):
    # A hand-made benefits-decision case: EU Annex III 5(a) -> high; US -> yes.
    cases = _cases(
        [
            {
                "category": "adjudication",
                "application_type": "benefits_decisions",
                "techniques": "machine_learning",
                "human_rights": True,
                "automated_decision": True,
                "personal_data": True,
                "ethics": False,
                "data_governance": True,
                "explainability": True,
            }
        ]
    )
    fws = [frameworks["eu_ai_act"], frameworks["us_omb_m25_21"]]
    p = g.assess(cases, fws, "en")
    assert placed(p, "c0", "eu_ai_act", "tier")["placement"] == "high"
    assert placed(p, "c0", "us_omb_m25_21", "high_impact")["placement"] == "yes"
    cl = g.checklist(cases, p, fws, language="en")
    required = set(cl.loc[cl["applies"] == "required", "item_key"])
    assert {
        "eu_fria",
        "eu_registration",
        "eu_human_oversight",
        "eu_logging",
        "eu_complaints",
        "us_minimum_practices",
    } <= required
    assert "eu_ai_interaction_notice" not in set(
        cl["item_key"]
    )  # limited-tier duty, not applicable
    assert (cl["status"] == "").all() and (cl["notes"] == "").all()
    assert (cl["applies"] == "recommended").sum() == 23


def test_undetermined_tier_makes_duties_conditional(frameworks, placements):
    from analysis import inventories

    cases = inventories.cases("study")
    cl = g.checklist(cases, placements, [frameworks["eu_ai_act"]], language="zh-TW")
    digi4 = cl[(cl["case_id"] == "digi-4") & (cl["item_key"] == "eu_fria")]
    assert digi4["applies"].tolist() == ["conditional"]
    digi3 = cl[(cl["case_id"] == "digi-3") & cl["item_key"].str.startswith("eu_")]
    assert digi3.empty  # minimal tier: no EU duty
    assert cl.groupby("case_id").size().min() >= 23


def test_tier_checklist_lists_duties_of_a_level(frameworks):
    high = g.tier_checklist(frameworks["eu_ai_act"], "tier", "high", language="zh-TW")
    duties = high[high["applies"] == "required"]
    assert len(duties) == 11
    assert "部署者人工智慧系統的基本權利影響評估" in set(duties["item"])
    minimal = g.tier_checklist(frameworks["eu_ai_act"], "tier", "minimal")
    assert set(minimal["applies"]) == {"recommended"}
    with pytest.raises(AnalysisError):
        g.tier_checklist(frameworks["eu_ai_act"], "tier", "extreme")


# -- validation statistics ----------------------------------------------------------------------
def test_agreement_and_kappa_by_hand():
    def table(values):
        return pd.DataFrame(
            {
                "inventory": "synthetic",
                "case_id": [f"c{i}" for i in range(len(values))],
                "placement": values,
            }
        )

    rubric = table(["yes", "yes", "no", "no", "undetermined"])
    official = table(["yes", "no", "no", "no", "yes"])
    out = g.agreement(rubric, official).iloc[0]
    # Four cases compared: 3 agree -> 0.75. Rubric yes 2/4, official yes 1/4:
    # p_e = 0.5*0.25 + 0.5*0.75 = 0.5; kappa = (0.75 - 0.5) / (1 - 0.5) = 0.5.
    assert out["compared"] == 4 and out["rubric_undetermined"] == 1
    assert out["agreement"] == pytest.approx(0.75)
    assert out["kappa"] == pytest.approx(0.5)
    conf = g.placement_confusion(rubric, official)
    assert int(conf.loc["yes", "no"]) == 1 and int(conf.to_numpy().sum()) == 5


def test_derived_from_finds_fields_reading_the_same_column(tmp_path):
    spec = lambda name, cols: FieldSpec(name=name, columns=cols)  # noqa: E731
    m = Mapping(
        path=tmp_path / "m.yaml",
        inventory="synthetic",
        title_zh="",
        title_en="",
        files=[],
        case_id=spec("case_id", ["id"]),
        fields={"name": spec("name", ["title"])},
        flags={
            "human_rights": spec("human_rights", ["rights or safety"]),
            "personal_data": spec("personal_data", ["pii"]),
        },
        extras={"rights_safety": spec("rights_safety", ["rights or safety"])},
    )
    assert g.derived_from(m, "rights_safety") == ["human_rights"]
    with pytest.raises(AnalysisError):
        g.derived_from(m, "topic_area")


# -- validation against the US federal inventory's own classification -----------------------
@pytest.fixture(scope="module")
def us2024():
    from analysis import inventories, mapping

    cases = inventories.cases("us-federal-2024")
    m = mapping.load_mapping(inventories.mapping_path("us-federal-2024"))
    return cases, m


def test_official_placement_follows_the_inventory_classification(us2024, frameworks):
    cases, _ = us2024
    official = g.place_cases(cases, frameworks["us_omb_m25_21"], "en", official_only=True)
    # Independent reading of the recorded classification (M-24-10 → M-25-21).
    expected = cases["rights_safety"].map(
        lambda v: (
            "undetermined"
            if pd.isna(v)
            else (
                "yes"
                if v in ("rights-impacting", "safety-impacting", "both")
                else ("no" if v == "neither" else "undetermined")
            )
        )
    )
    assert (
        official["placement"].tolist()
        == expected.loc[cases.sort_values("case_id", kind="stable").index].tolist()
    )


def test_validation_variant_does_not_read_the_official_answer(us2024, frameworks):
    cases, m = us2024
    us = frameworks["us_omb_m25_21"]
    excluded = ["rights_safety"] + g.derived_from(m, "rights_safety")
    assert "human_rights" in excluded  # the mapping derives this flag from the same column
    variant = g.place_cases(cases, us, "en", exclude_fields=excluded)
    scrambled = cases.copy()
    scrambled["rights_safety"] = "neither"
    scrambled["human_rights"] = pd.array([True] * len(cases), dtype="boolean")
    again = g.place_cases(scrambled, us, "en", exclude_fields=excluded)
    pd.testing.assert_frame_equal(variant, again)
    stats = g.agreement(variant, g.place_cases(cases, us, "en", official_only=True)).iloc[0]
    assert 0 < stats["compared"] < len(cases)


# -- the 2025 inventory's own M-25-21 determination (extra `high_impact`) ----------------------
@pytest.fixture(scope="module")
def us2025():
    from analysis import config, inventories

    raw = config.RAW_DIR / "us-federal-2025" / "2025_individually_reported_AI_use_cases.csv"
    with open(raw, encoding="utf-8-sig", newline="") as fh:
        recorded = [r["is_high_impact"].strip() for r in csv.DictReader(fh)]
    return inventories.cases("us-federal-2025"), recorded


def test_official_placement_follows_the_2025_high_impact_determination(us2025, frameworks):
    cases, recorded = us2025
    official = g.place_cases(cases, frameworks["us_omb_m25_21"], "en", official_only=True)
    placed_by_id = dict(zip(official["case_id"], official["placement"]))
    # The case id is the spreadsheet row: the first record is row 2.
    placement = [placed_by_id[str(row)] for row in range(2, len(recorded) + 2)]
    assert len(placement) == len(cases) == 3611
    yes = [p == "yes" for p in placement]
    assert yes == [v == "High-impact" for v in recorded]
    assert [p == "no" for p in placement] == [
        v in ("Not High-impact", "Presumed High-Impact, but Not High-impact") for v in recorded
    ]
    assert [p == "undetermined" for p in placement] == [v == "" for v in recorded]
    assert set(official["rule"]) == {
        "us_official_high_impact",
        "us_official_not_high_impact",
        "otherwise",
    }


def test_official_fields_of_both_inventories_and_a_missing_column(us2025, us2024, frameworks):
    us = frameworks["us_omb_m25_21"]
    assert us.fields_read(official=True) == {"rights_safety", "high_impact"}
    cases25, _ = us2025
    cases24, m24 = us2024
    assert "high_impact" not in cases24.columns and "rights_safety" not in cases25.columns
    # A 2024 variant need not exclude the 2025 column it does not have, and vice versa ...
    not_read = ["rights_safety", *g.derived_from(m24, "rights_safety")]
    table = g.validation_table(cases24, us, {"without": not_read}, "en")
    assert table["compared"].iloc[0] > 0
    g.validation_table(cases25, us, {"without": ["high_impact"]}, "en")
    # ... but one that could read the official answer of its own inventory is refused.
    with pytest.raises(AnalysisError, match="would read the official answer"):
        g.validation_table(cases25, us, {"reads it": ["rights_safety"]}, "en")


def test_recommendations_once_lists_them_once_per_inventory(frameworks, placements):
    from analysis import inventories

    cases = inventories.cases("study")
    per_case = g.checklist(cases, placements, list(frameworks.values()), language="en")
    once = g.checklist(
        cases, placements, list(frameworks.values()), language="en", recommendations_once=True
    )
    recs = once[once["source"] == "Study recommendations"]
    assert len(recs) == 23 and set(recs["case_id"]) == {"*"}
    assert len(per_case) - len(once) == 23 * 11 - 23
