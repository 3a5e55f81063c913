"""Table tests of the hazards rules, each row with its source."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from services.chassis.workdays import Calendar
from services.hazards.domain import deadlines, escalation, grading, registry, rewards
from services.hazards.domain.escalation import Escalation, Step
from services.hazards.domain.grading import Grade
from services.hazards.domain.registry import InvalidHazard, Sector

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("sector", "criteria", "grade", "cited"),
    [
        # 工贸企业重大事故隐患判定标准 (应急管理部令第10号, 2023) Art. 4 (二)
        (Sector.industry_trade, ["gm-4-2"], Grade.major, "第四条第(二)项"),
        (Sector.industry_trade, [], Grade.general, None),
        # 化工和危险化学品生产经营单位重大生产安全事故隐患判定标准 (2017) (六)
        (Sector.hazardous_chemicals, ["hc-6"], Grade.major, "第(六)项"),
        # 城镇燃气经营安全重大隐患判定标准 (2023): unlicensed operation
        (Sector.town_gas, ["tg-licence"], Grade.major, "经营许可"),
        # GB 35181-2017 重大火灾隐患判定方法, direct elements
        (Sector.fire, ["fire-direct-2"], Grade.major, "直接判定要素"),
        # 房屋市政工程生产安全重大事故隐患判定标准 (2022版)
        (Sector.construction, ["cn-1", "cn-3"], Grade.major, "第四条"),
        # no checklist for special equipment here: general only
        (Sector.special_equipment, [], Grade.general, None),
    ],
)
def test_grading_by_the_sector_checklist_names_the_criterion(sector, criteria, grade, cited):
    g = grading.grade(sector, criteria)
    assert g.grade is grade
    if cited:
        assert g.criteria[0].article == cited and g.standard in g.reason()
    else:
        assert g.criteria == ()


@pytest.mark.parametrize(
    ("sector", "criteria"),
    [
        (Sector.industry_trade, ["hc-1"]),  # another sector's criterion
        (Sector.special_equipment, ["x"]),  # no checklist: major cannot be claimed
        (Sector.town_gas, ["tg-unknown"]),
    ],
)
def test_a_criterion_not_on_the_sector_checklist_is_refused(sector, criteria):
    with pytest.raises(InvalidHazard):
        grading.grade(sector, criteria)


@pytest.mark.parametrize(
    ("code", "valid"),
    [
        ("914403001922038216", True),  # the demo district's enterprise
        ("11320411MB00000000", True),
        ("914403001922038217", False),  # wrong check character (GB 32100-2015)
        ("91440300192203821", False),
        ("91440300192203821I", False),  # I is not in the alphabet
    ],
)
def test_credit_codes_are_checked_by_gb_32100(code, valid):
    assert registry.is_valid_uscc(code) is valid


def test_the_same_enterprise_place_and_kind_is_one_duplicate_key():
    a = registry.DuplicateKey.of("914403001922038216", "薛家镇 富民路88号 (仓库)", "消防通道堵塞")
    b = registry.DuplicateKey.of("914403001922038216", "薛家镇富民路88号仓库", "消防通道堵塞 ")
    assert a == b
    assert a != registry.DuplicateKey.of("914403001922038216", "薛家镇富民路90号", "消防通道堵塞")


CAL = Calendar()
PLAN = deadlines.FiveInPlace("王经理", "清理通道并设置标识", 5000, 5, "专人值守, 应急疏散预案")


@pytest.mark.parametrize(
    ("issued", "days", "due", "why"),
    [
        # 2026's arrangement (chinese-calendar): 1-7 October off, Saturday 10 October worked
        # (调休), so 8, 9, 10, 12, 13 October are the five days.
        (date(2026, 9, 30), 5, date(2026, 10, 13), "国庆节 1-7 October, 10 October a make-up day"),
        (date(2026, 11, 2), 5, date(2026, 11, 9), "an ordinary week: Monday + 5 = next Monday"),
        (date(2026, 11, 6), 1, date(2026, 11, 9), "a Friday order's one day ends on Monday"),
    ],
)
def test_rectification_deadlines_count_working_days(issued, days, due, why):
    plan = deadlines.FiveInPlace("王经理", "清理通道", 0, days, "专人值守")
    assert deadlines.order_due(CAL, Grade.general, plan, issued, issued).date == due, why


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"responsible_person": ""}, "责任人"),
        ({"contingency_plan": ""}, "预案"),
        ({"deadline_working_days": 31}, "1-30"),
        ({"funds_yuan": -1}, "资金"),
    ],
)
def test_an_order_without_its_five_in_place_is_refused(change, message):
    plan = deadlines.FiveInPlace(**{**PLAN.__dict__, **change})
    with pytest.raises(InvalidHazard, match=message):
        deadlines.order_due(CAL, Grade.general, plan, date(2026, 11, 2), date(2026, 11, 2))


def test_a_major_hazard_may_get_a_longer_order_and_documents_are_not_dated_ahead():
    plan = deadlines.FiveInPlace(**{**PLAN.__dict__, "deadline_working_days": 90})
    assert deadlines.order_due(CAL, Grade.major, plan, date(2026, 11, 2), date(2026, 11, 2))
    with pytest.raises(InvalidHazard, match="晚于"):
        deadlines.order_due(CAL, Grade.general, PLAN, date(2026, 11, 3), date(2026, 11, 2))
    with pytest.raises(InvalidHazard, match="30"):
        deadlines.order_due(CAL, Grade.general, PLAN, date(2026, 9, 1), date(2026, 11, 2))


DUE = date(2026, 11, 9)
LATE = date(2026, 11, 10)


@pytest.mark.parametrize(
    ("taken", "step", "today", "notice_due", "ok"),
    [
        # the plan, item 5: 警示 → 约谈 → 督办 → 立案查处, only once the deadline slipped
        ([], Escalation(Step.warning), LATE, None, True),
        ([], Escalation(Step.warning), DUE, None, False),  # the due day itself is in time
        ([], Escalation(Step.summons, minutes="x" * 30), LATE, None, False),  # out of order
        ([Step.warning], Escalation(Step.summons, minutes="短"), LATE, None, False),  # minutes
        (
            [Step.warning],
            Escalation(Step.summons, minutes="企业负责人到场, 承诺三日内完成整改并书面报告"),
            LATE,
            None,
            True,
        ),
        ([Step.warning, Step.summons], Escalation(Step.notice), LATE, None, False),  # no days
        ([Step.warning, Step.summons], Escalation(Step.notice, notice_days=3), LATE, None, True),
        (list(escalation.LADDER[:3]), Escalation(Step.case), LATE, LATE, False),  # notice runs
        (list(escalation.LADDER[:3]), Escalation(Step.case), LATE, DUE, True),  # Art. 102 case
        (list(escalation.LADDER), Escalation(Step.case), LATE, DUE, False),  # nothing after
    ],
)
def test_the_escalation_ladder(taken, step, today, notice_due, ok):
    def check():
        escalation.check_escalation(
            step, taken, rectifying=True, order_due=DUE, notice_due=notice_due, today=today
        )

    if ok:
        check()
    else:
        with pytest.raises(InvalidHazard):
            check()


@pytest.mark.parametrize(
    ("grade", "closed", "due", "today", "candidate"),
    [
        (Grade.major, False, DUE, LATE, True),  # the plan, item 12
        (Grade.major, False, DUE, DUE, False),
        (Grade.major, True, DUE, LATE, False),
        (Grade.general, False, DUE, LATE, False),
        (Grade.major, False, None, LATE, False),  # not under 挂牌督办
    ],
)
def test_a_major_hazard_past_its_supervision_deadline_makes_a_candidate(
    grade, closed, due, today, candidate
):
    assert escalation.is_punishment_candidate(grade, closed, due, today) is candidate


@pytest.mark.parametrize(
    ("matter", "kwargs", "yuan"),
    [
        # 安全生产领域举报奖励办法 (2018): 15 % of the fine, min 3,000, max 300,000
        (rewards.Matter.major_hazard, {"fine_yuan": 50_000}, 7_500),
        (rewards.Matter.major_hazard, {"fine_yuan": 30_000}, 4_500),
        (rewards.Matter.illegal_operation, {"fine_yuan": 10_000}, 3_000),  # 1,500 -> minimum
        (rewards.Matter.major_hazard, {"fine_yuan": 0}, 3_000),
        (rewards.Matter.major_hazard, {"fine_yuan": 2_000_000}, 300_000),  # 300,000 exactly
        (rewards.Matter.major_hazard, {"fine_yuan": 3_000_000}, 300_000),  # capped
        (rewards.Matter.major_hazard, {"fine_yuan": 33_333}, 5_000),  # 4,999.95 half up
        # concealed accidents: per concealed death by grade, capped at 300,000
        (
            rewards.Matter.concealed_accident,
            {"accident_grade": rewards.AccidentGrade.ordinary, "concealed_deaths": 1},
            30_000,
        ),
        (
            rewards.Matter.concealed_accident,
            {"accident_grade": rewards.AccidentGrade.larger, "concealed_deaths": 2},
            80_000,
        ),
        (
            rewards.Matter.concealed_accident,
            {"accident_grade": rewards.AccidentGrade.major, "concealed_deaths": 3},
            150_000,
        ),
        (
            rewards.Matter.concealed_accident,
            {"accident_grade": rewards.AccidentGrade.especially_major, "concealed_deaths": 4},
            240_000,
        ),
        (
            rewards.Matter.concealed_accident,
            {"accident_grade": rewards.AccidentGrade.especially_major, "concealed_deaths": 6},
            300_000,
        ),
    ],
)
def test_rewards(matter, kwargs, yuan):
    assert rewards.reward(matter, **kwargs).yuan == yuan


def test_only_the_first_valid_reporter_is_rewarded():
    t = [datetime(2026, 11, d, tzinfo=UTC) for d in (1, 2, 3)]
    claims = [
        rewards.Claim("late", t[2], True),
        rewards.Claim("first-but-unfounded", t[0], False),
        rewards.Claim("first-valid", t[1], True),
    ]
    assert rewards.first_valid(claims) == "first-valid"
    assert rewards.first_valid([rewards.Claim("x", t[0], False)]) is None
