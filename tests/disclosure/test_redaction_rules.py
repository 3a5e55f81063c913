"""Redaction, rule by rule (issue 13 items 2 and 7, issue 14 part 3).

个人信息保护法 Art. 28 (sensitive personal data: health, financial accounts, ID numbers),
政府信息公开条例 Art. 15 (personal privacy is not disclosed), 行政处罚法 Art. 48 (the decision
is published: its facts stay readable).
"""

from __future__ import annotations

import pytest

from services.disclosure.domain.publication import Decided, redactor
from services.disclosure.domain.redaction import (
    ADDRESS_MARK,
    EMAIL_MARK,
    HEALTH_MARK,
    ID_MARK,
    PHONE_MARK,
    normalise,
    redact_text,
)

pytestmark = pytest.mark.unit


# -- 13.7: typing does not get a number past (个人信息保护法 Art. 28) --------------------------


@pytest.mark.parametrize(
    ("typed", "mark"),
    [
        ("身份证号３２０４１１１９８８０６１１００５Ｘ", ID_MARK),  # full-width
        ("身份证号320411 19880611 005X", ID_MARK),  # spaces
        ("身份证号320411-1988-0611-005X", ID_MARK),  # dashes
        ("身份证号320411.19880611.005x", ID_MARK),  # dots, lower-case x
        ("手机１３９１２３４５６７８", PHONE_MARK),
        ("手机139 1234 5678", PHONE_MARK),
        ("手机139-1234-5678", PHONE_MARK),
        ("手机139.1234.5678", PHONE_MARK),
        ("手机 15 9 1234 5678", PHONE_MARK),
        ("电话+86 137.1234.5678", PHONE_MARK),
        ("电话0519 8688 1234", PHONE_MARK),
        ("家中电话86881234", PHONE_MARK),  # a landline without its area code
        ("座机：8688-1234", PHONE_MARK),
        ("邮箱zhangsan@163.com", EMAIL_MARK),
        ("邮箱wang.xm ＠ qq . com", EMAIL_MARK),
    ],
)
def test_numbers_and_addresses_are_found_however_they_are_typed(typed, mark):
    out = redact_text(typed)
    assert mark in out, out
    assert not any(c.isdigit() for c in out.replace("+", "")), out


def test_a_number_spelled_in_chinese_digits_is_read_as_the_number():
    assert redact_text("手机一三九一二三四五六七八") == f"手机{PHONE_MARK}"
    assert redact_text("电话：八六八八一二三四") == f"电话：{PHONE_MARK}"
    text = "责令于三日内整改，罚款一万二千元。"  # numbers in prose stay
    assert redact_text(text) == text


def test_the_partys_name_is_masked_with_a_space_or_a_dot_inside():
    for typed in ("王 小明", "王　小明", "王·小明", "王\u200b小明"):
        out = redact_text(f"当事人{typed}经营的面馆", party_person="王小明")
        assert out == "当事人王**经营的面馆", (typed, out)


def test_a_known_witness_is_replaced_even_where_no_pattern_would_find_her(tagger):
    text = "阿依古丽在场见证，证人冯 丽到场确认。"
    assert redact_text(text, tagger=tagger).startswith("阿依古丽")  # no Han surname
    out = redact_text(text, known_people=["阿依古丽", "冯丽"], tagger=tagger)
    assert out == "阿某某在场见证，证人冯某某到场确认。"


def test_amounts_dates_plates_and_a_credit_code_are_not_numbers_to_hide():
    text = (
        "2026年3月2日，苏D7S001车货总质量60.00吨，罚款20000元，"
        "统一社会信用代码914403001922038216，受理登记号20260302。"
    )
    assert redact_text(text) == text


def test_full_width_digits_are_published_as_ascii():
    assert normalise("罚款５０００元") == "罚款5000元"


# -- 14.3: a home goes, a place of violation and a business's premises stay -------------------


def test_the_place_of_the_violation_stays_with_the_words_before_it(tagger):
    text = "执法人员于2026年3月2日在衡山路18号检查"
    assert redact_text(text, tagger=tagger) == text


def test_a_businesss_premises_stay():
    for text in (
        "当事人经营场所位于新北区汉江路368号金城大厦1楼。",
        "该公司注册地址为常州市武进区湖塘镇人民中路12号。",
        "经查，当事人住所为常州市新北区太湖东路9号，主要从事餐饮服务。",  # a firm's 住所
    ):
        assert redact_text(text) == text


def test_a_natural_persons_home_goes_with_its_cue_kept():
    out = redact_text("当事人家住常州市新北区薛家镇富民路12号，经营的餐馆未安装报警装置。")
    assert out == f"当事人家住{ADDRESS_MARK}，经营的餐馆未安装报警装置。"
    out = redact_text("户籍地：湖南省邵阳市隆回县荷田乡大坪村3组，以收购废品为业。")
    assert out == f"户籍地：{ADDRESS_MARK}，以收购废品为业。"


def test_a_penalised_persons_residence_and_known_home_go_in_any_length():
    out = redact_text(
        "当事人在其住所富民路12号一楼经营小吃店，住常州市新北区薛家镇富民路12号。",
        party_person="王小明",
        home_addresses=["常州市新北区薛家镇富民路12号"],
    )
    assert "富民路12号" not in out and "一楼经营小吃店" in out, out


def test_an_organisations_name_and_legal_representative_stay_public(tagger):
    firm = Decided(
        case_id="c", agency_id="a", domain="gas", party_kind="organization",
        party_name="常州李记餐饮有限公司", credit_code="914403001922038216", id_number="",
        legal_representative="刘建华", decision_no="n", decision_date=None, decision_text="",
        facts="", legal_basis=(), kinds=(), fine_yuan=0, confiscation_yuan=0,
        violation_type="",
    )  # fmt: skip
    out = redactor(firm, tagger)("常州李记餐饮有限公司法定代表人刘建华委托员工曹雪芹办理。")
    assert out == "常州李记餐饮有限公司法定代表人刘建华委托员工曹某某办理。"


# -- 14.3: names after role words, with the segmenter ----------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("负责人李娜现场签字", "负责人李某某现场签字"),  # a verb no list names
        ("开户人张伟华的账户", "开户人张某某的账户"),  # 开户人 is a role word
        ("现场负责人周建平拒绝签字", "现场负责人周某某拒绝签字"),  # surname split off
        ("被询问人：高建军，男", "被询问人：高某某，男"),
        ("当日值班人员为罗斌，其未巡检", "当日值班人员为罗某某，其未巡检"),  # glued to 为
        ("由陈志强代为签收", "由陈某某代为签收"),  # no role word at all
        ("陈述申辩期间未提出新的事实", "陈述申辩期间未提出新的事实"),  # 陈述 is no name
        ("工人作业时未佩戴安全带", "工人作业时未佩戴安全带"),
        ("当事人曾多次违规操作", "当事人曾多次违规操作"),
        (
            "依据《中华人民共和国道路交通安全法》第九十二条",
            "依据《中华人民共和国道路交通安全法》第九十二条",
        ),
        ("新北区春江镇魏村街道", "新北区春江镇魏村街道"),  # a place, not 魏某某
        ("当事人薛家镇富民路88号的店面", "当事人薛家镇富民路88号的店面"),
        ("证人李村到场", "证人李某某到场"),  # a role word vouches for a name
    ],
)
def test_names_are_found_by_the_segmenter_and_words_are_not(tagger, text, expected):
    assert redact_text(text, tagger=tagger) == expected


def test_patterns_alone_still_take_a_name_after_a_role_word():
    assert redact_text("负责人李娜现场签字") == "负责人李某某现场签字"
    assert redact_text("开户人张伟华的账户") == "开户人张某某的账户"


# -- 14.3: health leaves no category behind (个人信息保护法 Art. 28) ---------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("当事人有精神病史，由其监护人代为陈述。", f"当事人{HEALTH_MARK}，由其监护人代为陈述。"),
        ("员工称其患有高血压病史多年。", f"员工称其{HEALTH_MARK}多年。"),
        ("当事人有哮喘病史，未能配合检查。", f"当事人{HEALTH_MARK}，未能配合检查。"),
        ("其子被诊断为智力障碍，家庭困难。", f"其子{HEALTH_MARK}，家庭困难。"),
    ],
)
def test_a_health_condition_goes_whole(text, expected):
    out = redact_text(text)
    assert out == expected
    assert "精神" not in out and "血压" not in out and "智力" not in out
