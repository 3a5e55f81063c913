"""Request examples for the OpenAPI document (/docs fills them in on "Try it out").

Each is a zh-CN body that works as it stands against the demo district of `make run` (its
users, towns, venues and weigh station), given a path id that exists: a test posts every one
to its route on the embedded stack (tests/e2e/test_api_for_apps.py). Ids the phone makes
(`client_*_id`) are examples too; a second post with the same one answers 200 with what the
first made. Three cannot work as written, and say so: the passwords, and the refresh token.
"""

from __future__ import annotations

import hashlib

# The file the evidence and photo examples declare: upload exactly these bytes to their URL.
EXAMPLE_FILE = "现场照片示例：燃气灶具区域未安装可燃气体报警装置".encode()
EXAMPLE_FILE_SHA256 = hashlib.sha256(EXAMPLE_FILE).hexdigest()

_PARTY = {
    "kind": "organization",
    "name": "常州某餐饮管理有限公司",
    "credit_code": "914403001922038216",
    "legal_representative": "周建国",
    "address": "常州市新北区薛家镇富民路88号",
}
_CHECKLIST = [
    {"item": item, "passed": True}
    for item in (
        "subject", "powers", "facts", "evidence", "procedure",
        "legal-basis", "discretion", "documents", "criminal-referral",
    )
]  # fmt: skip

# Bodies that need what only the caller has; the test fills these in.
NOT_AS_WRITTEN = {
    "login": "the demo password is in var/secrets.json",
    "refreshToken": "a refresh token comes from the login",
    "changeOwnPassword": "the current password is the caller's own",
}

REQUEST_EXAMPLES: dict[str, dict] = {
    "login": {"username": "officer1", "password": "见 var/secrets.json 的 demo_password"},
    "refreshToken": {"refresh_token": "登录应答中的 refresh_token"},
    "changeOwnPassword": {
        "current_password": "当前密码",
        "new_password": "新密码至少十二位-Xinbei2026",
    },
    "openCase": {
        "client_case_id": "phone-0001-case-20261128-01",
        "domain": "gas",
        "title": "餐饮场所燃气安全检查",
        "town": "薛家镇",
        "party": _PARTY,
        "co_officer_ids": ["u-officer2"],
        "location": {"latitude": 31.8372, "longitude": 119.9731, "accuracy_m": 8},
    },
    "transitionCase": {
        "to": "filing",
        "client_entry_id": "phone-0001-filing-01",
        "reason": "经初步调查，当事人涉嫌未按标准安装可燃气体报警装置，符合立案条件",
    },
    "appendEntry": {
        "client_entry_id": "phone-0001-step-01",
        "kind": "step",
        "payload": {
            "act": "inspection",
            "text": "现场检查后厨燃气灶具区域，未见可燃气体报警装置",
            "recording": "执法记录仪 DSJ-0215 全程录像",
        },
    },
    "requestEvidenceSlot": {
        "client_slot_id": "phone-0001-photo-01",
        "sha256": EXAMPLE_FILE_SHA256,
        "size": len(EXAMPLE_FILE),
        "media_type": "image/jpeg",
        "filename": "后厨燃气灶具区域.jpg",
    },
    "confirmEvidence": {
        "client_entry_id": "phone-0001-photo-01-confirm",
        "caption": "后厨燃气灶具区域，未安装可燃气体报警装置",
    },
    "proposePenalty": {
        "client_entry_id": "phone-0001-proposal-01",
        "kinds": ["warning", "fine"],
        "fine_yuan": 15000,
        "legal_basis": ["《中华人民共和国安全生产法》第九十九条第一项"],
        "facts": "当事人在餐饮经营场所使用管道燃气，未按国家标准安装可燃气体报警装置。",
        "discretion": {
            "benchmark_id": "aq-99-safety-equipment",
            "violation_type": "safety-equipment-missing",
            "circumstance": "minor",
        },
    },
    "decidePenalty": {
        "client_entry_id": "phone-0001-decision-01",
        "decision_text": "给予警告，并处罚款人民币壹万伍仟元整。",
        "legal_representative": "周建国",
    },
    "revokePenalty": {
        "client_entry_id": "phone-0001-revocation-01",
        "reason": "常州市新北区人民政府行政复议决定撤销原处罚决定",
        "basis": "reconsideration",
    },
    "recordConflict": {
        "reviewer_id": "u-reviewer",
        "party_key": "常州某建材有限公司",
        "reason": "审核人员近亲属在该企业任职，依法回避",
    },
    "completeReview": {
        "outcome": "approved",
        "checklist": _CHECKLIST,
        "opinion": "经审核，事实清楚，证据确凿，程序合法，适用依据正确，裁量适当，同意。",
    },
    "extendReview": {"reason": "案情复杂，需调取现场监控录像核实"},
    "referReviewToMeeting": {
        "reason": "承办机构与审核人员对是否适用减轻处罚存在分歧，提请集体讨论"
    },
    "postStationWeighing": {
        "client_weighing_id": "station-g312-20261128-0001",
        "plate": "苏D7S001",
        "vehicle": {"kind": "combination", "axles": 6},
        "gross_t": 60.5,
        "cargo": "砂石",
    },
    "postRoadsideWeighing": {
        "client_weighing_id": "phone-0001-weigh-01",
        "station_id": "station-g312-km45",
        "plate": "苏D7S001",
        "vehicle": {"kind": "combination", "axles": 6},
        "gross_t": 60.5,
        "cargo": "砂石",
        "driver": {"name": "王五", "id_number": "11010519491231002X"},
        "carrier": {"name": "常州某运输有限公司", "credit_code": "914403001922038216"},
        "co_officer_ids": ["u-officer2"],
    },
    "advanceInspection": {"to": "unloaded", "co_officer_ids": ["u-officer2"]},
    "putStation": {
        "name": "G312国道45公里超限检测站",
        "kind": "fixed",
        "town": "罗溪镇",
        "scale": {"kind": "static", "accuracy_class": "III", "interval_kg": 20},
    },
    "requestWeighingPhotoSlot": {
        "sha256": EXAMPLE_FILE_SHA256,
        "size": len(EXAMPLE_FILE),
        "media_type": "image/jpeg",
    },
    "requestStationPhotoSlot": {
        "sha256": EXAMPLE_FILE_SHA256,
        "size": len(EXAMPLE_FILE),
        "media_type": "image/jpeg",
    },
    "postGasDeviceEvents": {"events": [{"seq": 1001, "type": "reading", "lel": 12.5}]},
    "putGasVenue": {
        "name": "老街面馆",
        "address": "常州市新北区薛家镇富民路12号",
        "town": "薛家镇",
        "contact": "0519-85120000",
        "first_lel": 25,
        "second_lel": 50,
        "sustain": 2,
    },
    "putGasDevice": {
        "venue_id": "venue-xuejia-001",
        "kind": "gas_detector",
        "model": "JT-BF-9000",
        "serial": "GD-2026-0001",
        "installed_on": "2026-05-20",
    },
    "provisionDevice": {"kind": "gas_detector", "owner_id": "venue-xuejia-001"},
    "putHazardUnit": {
        "enterprise_id": "91320411MA1XXXXXX1",
        "enterprise_name": "常州某化工有限公司",
        "town": "薛家镇",
        "kind": "storage",
        "name": "液氯储罐区",
        "holdings": [{"chemical": "氯", "max_t": 50}],
        "people_within_500m": 120,
        "chain": [
            {"role": "principal", "name": "王建华", "phone": "13900000001"},
            {"role": "technical", "name": "李工", "phone": "13900000002"},
            {"role": "operational", "name": "赵班长", "phone": "13900000003"},
            {"role": "town", "name": "张伟", "user_id": "u-officer1"},
        ],
    },
    "putHazardSensor": {
        "unit_id": "cl-tank-example-01",
        "quantity": "pressure",
        "unit_of_measure": "MPa",
        "high": 1.6,
        "high_high": 1.8,
        "low": 0.2,
        "deadband": 0.05,
        "sustain": 2,
        "rate_per_min": 0.5,
        "stale_after_s": 300,
    },
    "postHazardReadings": {
        "readings": [
            {"seq": 1, "value": 1.21, "device_time": "2026-12-01T08:00:00+08:00"},
            {"seq": 2, "value": 1.22, "device_time": "2026-12-01T08:00:10+08:00"},
        ]
    },
    "handleHazardAlarm": {"reason": "现场核实: 储罐降温, 压力已回落, 安全阀完好"},
    "createUser": {
        "username": "officer9",
        "display_name": "孙明",
        "roles": ["officer"],
        "town": "薛家镇",
        "certificate_no": "32041120009",
    },
    "changeUser": {"display_name": "孙明", "town": "龙虎塘街道"},
    "assignReview": {"reviewer_id": "u-reviewer"},
    "acknowledgeOverloadReferral": {
        "reference": "新公交抄〔2026〕118号",
        "acknowledged_on": "2026-12-01",
    },
    # The shape of a State Council notice; the dates are an example, not the real 2027 notice.
    "enterCalendarYear": {
        "year": 2027,
        "notice_no": "国办发明电〔2026〕N号",
        "holidays": [
            "2027-01-01",
            "2027-01-02",
            "2027-01-03",
            "2027-02-05",
            "2027-02-06",
            "2027-02-07",
            "2027-02-08",
            "2027-02-09",
            "2027-02-10",
            "2027-02-11",
            "2027-02-12",
            "2027-02-13",
            "2027-04-03",
            "2027-04-04",
            "2027-04-05",
            "2027-05-01",
            "2027-05-02",
            "2027-05-03",
            "2027-05-04",
            "2027-05-05",
            "2027-06-09",
            "2027-09-15",
            "2027-10-01",
            "2027-10-02",
            "2027-10-03",
            "2027-10-04",
            "2027-10-05",
            "2027-10-06",
            "2027-10-07",
        ],
        "makeup_days": ["2027-01-31", "2027-02-20", "2027-05-08", "2027-10-09"],
        "note": "",
    },
    # Enforcement documents (执法文书): a rectification order, served, signed; the case file.
    "issueDocument": {
        "client_document_id": "phone-0001-doc-20261128-01",
        "kind": "rectification-order",
        "fields": {
            "problems": ["后厨燃气灶具区域未安装可燃气体报警装置"],
            "rectify_by": "2026年12月15日",
            "basis": ["《中华人民共和国安全生产法》第九十九条第三项"],
        },
    },
    "recordService": {
        "client_entry_id": "phone-0001-service-20261128-01",
        "method": "direct",
        "served_at": "2026-11-28T10:30:00+08:00",
        "recipient": "周建国",
    },
    "addSignature": {
        "client_signature_id": "phone-0001-sign-20261128-01",
        "role": "officer",
        "signer_name": "张伟",
        "image_png_base64": "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAC"
        "hwGA60e6kgAAAABJRU5ErkJggg==",
    },
    "assembleCaseFile": {"client_entry_id": "phone-0001-casefile-20261128-01"},
}

# -- hazards (隐患挂号整改) and public reports (举报) -------------------------------------------

_HAZARD = {
    "client_id": "phone-0001-hazard-01",
    "source": "inspection",
    "credit_code": "914403001922038216",
    "enterprise_name": "常州某化工有限公司",
    "sector": "hazardous-chemicals",
    "town": "薛家镇",
    "kind": "可燃气体报警装置失效",
    "location": "薛家镇富民路88号甲类仓库",
    "description": "仓库内两台可燃气体探测器离线, 报警控制器无显示",
    "department": "区应急管理局危化科",
    "criteria": [],
    "photos": [
        {"sha256": EXAMPLE_FILE_SHA256, "size": len(EXAMPLE_FILE), "media_type": "image/jpeg"}
    ],
    "gps": {"latitude": 31.8456, "longitude": 119.9612, "accuracy_m": 12},
}
_PHOTOS = _HAZARD["photos"]

REQUEST_EXAMPLES.update(
    {
        "registerHazard": _HAZARD,
        "gradeHazard": {"criteria": ["hc-6"]},
        "orderRectification": {
            "responsible_person": "王建军 (安全负责人)",
            "measures": "更换失效探测器, 报警控制器检修, 联动切断阀试验",
            "funds_yuan": 20000,
            "deadline_working_days": 5,
            "contingency_plan": "整改期间仓库停止收发货, 每两小时人工巡检一次",
        },
        "superviseHazard": {
            "office": "常州市新北区安全生产委员会办公室",
            "plan": "储罐停用, 增设注水设施, 第三方检测合格后恢复使用",
            "deadline_working_days": 20,
        },
        "reportRectification": {
            "summary": "已更换两台探测器, 控制器检修完毕, 联动试验正常",
            "photos": _PHOTOS,
        },
        "reinspectHazard": {"passed": True, "opinion": "经复查, 整改措施已落实, 同意"},
        "renewHazardPhotoUploads": {"photo_ids": ["019b0c2e-7a51-7d3e-9f1a-2c4b6d8e0f13"]},
        "reviewSupervisedHazard": {"approved": True, "opinion": "经督办单位审核, 同意销号"},
        "escalateHazard": {"step": "warning", "note": "整改期限已过, 发出警示"},
        "verifyHazardReport": {
            "valid": True,
            "opinion": "经现场核查, 举报情况属实",
            "matter": "major-hazard",
            "hazard": {
                **_HAZARD,
                "client_id": "phone-0001-hazard-report-01",
                "kind": "全压力式液化烃储罐未设注水措施",
                "location": "薛家镇富民路88号罐区",
                "criteria": ["hc-6"],
                "photos": [],
            },
        },
        "computeReportReward": {"matter": "major-hazard"},
        "payReportReward": {"paid_on": None, "voucher": "JL-2026-001"},
        "submitHazardReport": {
            "what": "化工厂罐区液化烃储罐没有注水设施, 夜间常闻到异味",
            "where": "薛家镇富民路88号",
            "town": "薛家镇",
            "enterprise_name": "常州某化工有限公司",
            "name": "",
            "phone": "",
            "photos": _PHOTOS,
        },
        "reportRectificationByLink": {
            "summary": "已更换两台探测器, 控制器检修完毕",
            "photos": _PHOTOS,
        },
    }
)
