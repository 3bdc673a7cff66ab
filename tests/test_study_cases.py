"""The study's 11 excerpted cases load with exactly the study's labels and ticks.

The expectations below were typed by hand from the slides' three excerpt tables
(DIGI+ 節錄, 服務獎 節錄, 台北市政府 節錄), independently of data/raw/.
Tick strings list the six risks in the study's column order 資料治理, 人權保護, 倫理,
模型可解釋性, 個人資料, 自動化決策風險: V = ticked, . = blank.
"""

import pandas as pd

PRINTED = {
    # case_id: (source, category, application type, name, agency, techniques, ticks)
    "digi-1": (
        "DIGI+",
        "enforcement",
        "smart_recognition",
        "5G智慧警察行動服務研析",
        "內政部警政署",
        {"image_recognition"},
        "VVVVV.",
    ),
    "digi-2": (
        "DIGI+",
        "enforcement",
        "smart_recognition",
        "AR頭盔前進搜救現場第一線，結合AI提昇救援效率",
        "內政部消防署",
        {"image_recognition"},
        "VV.VV.",
    ),
    "digi-3": (
        "DIGI+",
        "enforcement",
        "smart_recognition",
        "建置公司登記文件影像自動分類，節省分類建檔成本",
        "經濟部商業發展署",
        {"image_recognition", "machine_learning"},
        "V..VV.",
    ),
    "digi-4": (
        "DIGI+",
        "enforcement",
        "smart_recognition",
        "車牌辨識結合AI，智慧勾稽異常清運行為",
        "環境部環境管理署",
        {"image_recognition"},
        "VVVVVV",
    ),
    "digi-5": (
        "DIGI+",
        "enforcement",
        "smart_recognition",
        "港區及聯外道路車牌辨識系統、船舶軌跡航行監控分析及新世代海巡偵防業務整合系統",
        "海洋委員會海巡署偵防分署",
        {"image_recognition"},
        "VVVVVV",
    ),
    "award-1": (
        "服務品質獎",
        "regulatory_analysis",
        "information_analysis",
        "台北市政府工務局汙水管AI檢視",
        None,
        {"image_recognition"},
        "V..V.V",
    ),
    "award-2": (
        "服務品質獎",
        "regulatory_analysis",
        "information_analysis",
        "台中市政府建設局自來水管「科技檢漏」",
        None,
        {"machine_learning", "image_analysis"},
        "V..V.V",
    ),
    "award-3": (
        "服務品質獎",
        "regulatory_analysis",
        "information_analysis",
        "基隆市消防局救災救護新應用「智慧消防2.0」",
        None,
        {"image_analysis"},
        "VV..VV",
    ),
    "taipei-1": (
        "台北市政府",
        "internal_management",
        "internal_support",
        "建置災害應變雲端協作平臺",
        "台北市政府消防局",
        {"machine_learning", "data_integration_visualisation"},
        "V..V.V",
    ),
    "taipei-2": (
        "台北市政府",
        "internal_management",
        "internal_support",
        "決策輔助系統",
        "臺北市立聯合醫院",
        {"big_data_analytics"},
        "VVVVVV",
    ),
    "taipei-3": (
        "台北市政府",
        "internal_management",
        "internal_support",
        "護理資訊系統",
        "台北市立聯合醫院",
        {"big_data_analytics", "machine_learning", "nlp"},
        "VVVVVV",
    ),
}
FLAG_ORDER = [
    "data_governance",
    "human_rights",
    "ethics",
    "explainability",
    "personal_data",
    "automated_decision",
]


def test_eleven_cases_in_printed_order(study):
    assert study["case_id"].tolist() == list(PRINTED)
    assert (study["inventory"] == "study").all()


def test_every_field_as_printed(study):
    for row in study.itertuples(index=False):
        source, category, app_type, name, agency, techniques, ticks = PRINTED[row.case_id]
        assert row.source == source
        assert row.category == category, row.case_id
        assert row.application_type == app_type, row.case_id
        assert row.name == name
        assert (pd.isna(row.agency) and agency is None) or row.agency == agency
        assert set(row.techniques.split(";")) == techniques, row.case_id
        got = "".join("V" if getattr(row, f) else "." for f in FLAG_ORDER)
        assert got == ticks, row.case_id


def test_flags_are_assessed_and_coded_by_study(study, frame):
    assert frame.flag_keys == FLAG_ORDER
    for f in FLAG_ORDER:
        assert str(study[f].dtype) == "boolean"
        assert study[f].notna().all()
    for col in [
        "category_coded_by",
        "application_type_coded_by",
        "techniques_coded_by",
        "flags_coded_by",
    ]:
        assert (study[col] == "study").all()


def test_taipei_application_type_kept_as_printed(study):
    taipei = study[study["source"] == "台北市政府"]
    assert (taipei["application_type_as_recorded"] == "內部管理流程").all()


def test_load_accounts_for_every_row(study_result):
    report = study_result.report
    assert (report.rows_read, report.rows_kept, report.rows_rejected) == (11, 11, 0)
    assert report.rejected.empty
    outside = report.unmapped[report.unmapped["value"] == "內部管理流程"]
    assert outside["rows"].tolist() == [3]
