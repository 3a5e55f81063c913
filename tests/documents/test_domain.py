"""The documents' rules without servers: numbers, content, service, deadlines, retention."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from services.chassis.workdays import DEFAULT_CALENDAR
from services.documents.domain.content import CaseData, build
from services.documents.domain.kinds import (
    FILING_ORDER,
    SPECS,
    InvalidDocument,
    Kind,
    filing_rank,
    format_number,
    parse_kind,
)
from services.documents.domain.service import check_service, deadlines_from_service, retention

pytestmark = pytest.mark.unit

BASIS = "《中华人民共和国安全生产法》第九十九条第三项"


def a_case(**changes) -> CaseData:
    values = dict(
        case_id="c-1",
        agency_id="xinbei-yjj",
        case_no="新北应急立〔2026〕3号",
        decision_no="新北应急罚〔2026〕2号",
        title="危化品仓库现场检查",
        town="薛家镇",
        party={
            "kind": "organization",
            "name": "常州某化工有限公司",
            "credit_code": "914403001922038216",
            "legal_representative": "周建国",
        },
        officers=[
            {"name": "张伟", "certificate_no": "32041120001"},
            {"name": "李娜", "certificate_no": "32041120002"},
        ],
        opened_at=datetime(2026, 12, 1, 9, 30),
        stage="decision",
        proposal={
            "kinds": ["fine"],
            "fine_yuan": 200000,
            "legal_basis": [BASIS],
            "facts": "未安装报警装置",
        },
        decision={"decision_no": "新北应急罚〔2026〕2号", "decision_text": ""},
        review={"outcome": "approved", "opinion": "同意", "reasons": []},
        statements=[{"text": "请求从轻处罚"}],
    )
    values.update(changes)
    return CaseData(**values)


def words(content) -> str:
    rows = " ".join(f"{k} {v}" for k, v in content.rows)
    return rows + " ".join(p for _, ps in content.sections for p in ps)


def test_a_number_names_agency_kind_year_and_place_in_the_series():
    assert format_number("新北应急", Kind.rectification_order, 2026, 7) == "新北应急责改〔2026〕7号"
    with pytest.raises(ValueError):
        format_number("新北应急", Kind.penalty_notice, 2026, 0)


def test_every_kind_has_a_place_in_the_case_file_with_the_decision_first():
    assert set(FILING_ORDER) == set(Kind)
    assert filing_rank("penalty-decision") == 0
    assert filing_rank("closing-approval") == len(FILING_ORDER) - 1
    assert len({s.code for s in SPECS.values()}) == len(SPECS)  # one series per kind


def test_an_unknown_kind_or_a_missing_field_is_refused():
    with pytest.raises(InvalidDocument, match="unknown document kind"):
        parse_kind("memo")
    with pytest.raises(InvalidDocument, match="rectify_by"):
        build(Kind.rectification_order, a_case(), {"problems": ["x"]}, number="n",
              agency_name="局", today=date(2026, 12, 2))  # fmt: skip


FIELDS = {
    Kind.inspection_record: {"place": "3号仓库", "findings": ["未安装报警装置"]},
    Kind.rectification_order: {"problems": ["未安装报警装置"], "rectify_by": "2026年12月15日"},
    Kind.reinspection_opinion: {"opinion": "已整改"},
    Kind.interview_record: {
        "interviewee": "周建国",
        "place": "会议室",
        "questions": [{"q": "问", "a": "答"}],
    },
    Kind.penalty_notice: {},
    Kind.hearing_notice: {"hearing_at": "12月10日", "hearing_place": "听证室", "host": "刘洋"},
    Kind.statement_record: {},
    Kind.penalty_decision: {},
    Kind.no_penalty_decision: {"reason": "轻微", "basis": ["《行政处罚法》第三十三条"]},
    Kind.closing_approval: {"execution": "已缴纳"},
    Kind.legal_review_opinion: {"reviewer_name": "王律"},
}


@pytest.mark.parametrize("kind", list(FIELDS))
def test_every_kind_names_the_officers_with_their_certificates(kind):
    content = build(
        kind, a_case(), FIELDS[kind], number="N1", agency_name="局", today=date(2026, 12, 2)
    )
    text = words(content)
    assert "张伟（执法证号：32041120001）" in text and "李娜（执法证号：32041120002）" in text
    assert content.number == "N1" and content.date_line == "2026年12月2日"


def test_the_notice_states_the_rights_and_the_penalty_with_its_basis():
    text = words(build(Kind.penalty_notice, a_case(), {}, number="n", agency_name="局",
                       today=date(2026, 12, 2)))  # fmt: skip
    assert BASIS in text and "罚款人民币200,000元" in text
    assert "三个工作日内" in text and "五个工作日内" in text and "听证" in text


def test_a_decision_document_needs_the_decision():
    with pytest.raises(InvalidDocument, match="after the decision"):
        build(Kind.penalty_decision, a_case(decision_no="", decision=None), {}, number="n",
              agency_name="局", today=date(2026, 12, 2))  # fmt: skip


def test_service_left_at_the_premises_needs_a_witness_and_electronic_needs_consent():
    check_service("direct", "周建国", [], "")
    with pytest.raises(InvalidDocument, match="见证人"):
        check_service("left-at-premises", "周建国", [" "], "")
    with pytest.raises(InvalidDocument, match="consent"):
        check_service("electronic", "周建国", [], "")
    with pytest.raises(InvalidDocument, match="method"):
        check_service("fax", "周建国", [], "")


def test_defence_and_hearing_count_working_days_and_payment_calendar_days():
    add = lambda start, n: DEFAULT_CALENDAR.add_working_days(start, n).date  # noqa: E731
    # Served on Friday 25 September 2026: National Day's holiday follows.
    notice = {
        d.name: d.due_date
        for d in deadlines_from_service(Kind.penalty_notice, date(2026, 9, 25), add)
    }
    assert notice["defence"] == date(2026, 9, 30)
    assert notice["hearing-request"] > date(2026, 10, 7)  # over the 1-7 October holiday
    decision = {
        d.name: d.due_date
        for d in deadlines_from_service(Kind.penalty_decision, date(2026, 12, 1), add)
    }
    assert decision["payment"] == date(2026, 12, 16)
    assert deadlines_from_service(Kind.inspection_record, date(2026, 12, 1), add) == []


def test_retention_is_permanent_for_major_cases_30_years_for_penalties_10_otherwise():
    assert retention(decided=True, major=True) == ("permanent", None)
    assert retention(decided=True, major=False) == ("30y", 30)
    assert retention(decided=False, major=False) == ("10y", 10)
