"""The redaction table: real-looking Chinese text in, nothing personal out."""

from __future__ import annotations

import re

import pytest

from services.disclosure.domain.redaction import mask_person, redact_text

pytestmark = pytest.mark.unit

# (text, what must not survive, what must survive)
TABLE = [
    (
        "当事人王小明（身份证号：32041119880611005X）经营的面馆未安装燃气报警装置。",
        ["32041119880611005X", "王小明"],
        ["未安装燃气报警装置"],
    ),
    (
        "经查，驾驶员李建国（身份证号码11010519491231002x）驾驶苏D12345货车超限运输。",
        ["11010519491231002", "李建国"],
        ["苏D12345", "驾驶员李某某"],
    ),
    (
        "联系电话：13812345678，备用手机 +86 139-1234-5678，固定电话0519-86881234。",
        ["13812345678", "139-1234-5678", "86881234"],
        ["联系电话"],
    ),
    (
        "办公电话（0519）86881234转802，传真 025 52345678。",
        ["86881234", "52345678"],
        ["办公电话"],
    ),
    (
        "罚款缴入账号：6222021001123456789，或银行卡 6217 0012 3456 7890 122。",
        ["6222021001123456789", "6217 0012 3456 7890 122"],
        ["罚款缴入账号"],
    ),
    (
        "当事人家住江苏省常州市新北区薛家镇顺园二村15幢2单元301室，现场检查发现问题。",
        ["顺园二村", "301室", "15幢"],
        ["现场检查发现问题"],
    ),
    (
        "户籍地：湖南省邵阳市隆回县荷田乡大坪村3组，现住常州市武进区湖塘镇花园街88号。",
        ["大坪村3组", "花园街88号"],
        [],
    ),
    (
        "员工张三丰称其患有高血压病史多年，当日未在岗。证人赵敏、钱多多到场。",
        ["张三丰", "高血压"],
        ["员工张某某", "当日未在岗"],
    ),
    (
        "该企业统一社会信用代码914403001922038216，法定代表人承诺整改。",
        [],
        ["914403001922038216"],
    ),
    (
        "旧版身份证号320411850312002，已核实。",
        ["320411850312002"],
        ["已核实"],
    ),
    (
        "姓名：欧阳娜娜，系该店店员。",
        ["欧阳娜娜"],
        ["欧阳某某"],
    ),
]

DIGITS = re.compile(r"\d{7,}")


@pytest.mark.parametrize(("text", "gone", "kept"), TABLE)
def test_personal_data_is_removed_from_free_text(text, gone, kept):
    out = redact_text(text, known_people=["王小明", "赵敏", "钱多多"])
    for secret in gone:
        assert secret not in out, out
        assert secret.lower() not in out.lower(), out
    for phrase in kept:
        assert phrase in out, out
    # No run of seven or more digits survives but a valid credit code.
    assert all(d in "914403001922038216" for d in DIGITS.findall(out)), out


def test_known_people_are_named_by_surname_only():
    out = redact_text("证人赵敏、钱多多到场", known_people=["赵敏", "钱多多"])
    assert out == "证人赵某某、钱某某到场"


@pytest.mark.parametrize(
    ("name", "masked"), [("王小明", "王**"), ("李娜", "李*"), ("欧阳娜娜", "欧阳**"), ("", "")]
)
def test_a_person_who_is_the_party_is_shown_as_surname_and_asterisks(name, masked):
    assert mask_person(name) == masked


def test_text_without_personal_data_is_unchanged():
    text = "未按规定对从业人员进行安全生产教育和培训，责令限期改正。"
    assert redact_text(text) == text
