"""Redaction of personal data before anything reaches the public record (行政执法公示).

Removed from every free-text field, not only from the structured ones: resident ID numbers,
mobile and landline numbers, bank card and account numbers, home addresses, health
information, and the names of natural persons other than the penalised party. The party, when
a natural person, is shown as surname plus asterisks. An organisation's unified social credit
code is public and kept.

Pattern matching cannot find every name in free text; names the case data knows (the party,
its legal representative when a person is penalised, people named in the event) are replaced
exactly, and names introduced by a role word (驾驶员, 员工, 证人, ...) are replaced by pattern.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# GB 32100 (credit codes) and GB 11643 (resident IDs), duplicated from records on purpose:
# services share proto contracts, not code.
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"

ID_MARK = "[身份证号已隐去]"
PHONE_MARK = "[电话已隐去]"
ACCOUNT_MARK = "[账号已隐去]"
ADDRESS_MARK = "[住址已隐去]"
HEALTH_MARK = "[健康信息已隐去]"


def is_valid_uscc(code: str) -> bool:
    if len(code) != 18 or any(c not in _USCC_ALPHABET for c in code):
        return False
    total = sum(_USCC_ALPHABET.index(c) * w for c, w in zip(code, _USCC_WEIGHTS, strict=False))
    return _USCC_ALPHABET[(31 - total % 31) % 31] == code[17]


def is_valid_resident_id(number: str) -> bool:
    if len(number) != 18 or not number[:17].isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS, strict=False))
    return _ID_CHECK[total % 11] == number[17].upper()


def _luhn(digits: str) -> bool:
    total = 0
    for i, d in enumerate(reversed(digits)):
        n = int(d)
        if i % 2:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


# Long alphanumeric tokens: IDs (18, last may be X), old IDs (15), credit codes (18), cards.
_LONG_TOKEN = re.compile(r"(?<![0-9A-Za-z])[0-9A-Za-z]{15,19}(?![0-9A-Za-z])")
_GROUPED_CARD = re.compile(r"(?<!\d)\d{4}(?:[ -]\d{4}){3}(?:[ -]\d{1,3})?(?!\d)")
_MOBILE = re.compile(r"(?<!\d)(?:\+?86[ -]?)?1[3-9]\d[ -]?\d{4}[ -]?\d{4}(?!\d)")
_LANDLINE = re.compile(
    r"(?<!\d)(?:\(0\d{2,3}\)|（0\d{2,3}）|0\d{2,3}[ -]?)\d{7,8}"
    r"(?:[ -]?(?:转|ext\.?)\s?\d{1,5})?(?!\d)"
)
_ACCOUNT_WORDS = re.compile(
    r"(?P<label>银行账号|银行帐号|开户账号|账号|帐号|卡号)(?P<sep>[:：\s]*)"
    r"(?P<num>\d[\d -]{7,29}\d)"
)

_PLACE = r"[\u4e00-\u9fa5A-Za-z0-9]{1,12}?"
_ADDRESS = re.compile(
    r"(?:(?:家住|住址|住所|居住地|现住|户籍地|户籍所在地|住)[:：\s]*)?"
    r"(?:[\u4e00-\u9fa5]{2,8}(?:省|自治区|市))?"
    r"(?:" + _PLACE + r"(?:市|区|县|镇|乡|街道))*"
    r"(?:" + _PLACE + r"(?:路|街|巷|村|弄|里|大道|小区|花园|新村|社区|公寓|组))"
    r"(?:" + _PLACE + r"(?:号|幢|栋|单元|室|楼|组|弄))+"
)
_HEALTH = re.compile(
    r"(?:患有|患|确诊|诊断为|诊断出|病史|既往史|怀孕|孕期|残疾|精神疾病|HIV|艾滋)[^，。；;,.\n]*"
)
_SURNAME2 = "欧阳|司马|上官|诸葛|东方|皇甫|尉迟|公孙|慕容|长孙|宇文|司徒|夏侯|令狐|端木|南宫|独孤"
_ROLE_NAME = re.compile(
    r"(?P<role>驾驶员|驾驶人|司机|员工|职工|工人|从业人员|证人|联系人|负责人|厨师|店员|"
    r"经理|老板|业主|监护人|受害人|伤者|死者|租户|承租人|户主|村民|居民|家属|妻子|丈夫|儿子|女儿)"
    r"(?P<sep>[:：\s]?)"
    r"(?P<name>(?:" + _SURNAME2 + r")[\u4e00-\u9fa5]{1,2}|[\u4e00-\u9fa5]{2,3}?)"
    r"(?=[，。；;、,.（(\s]|$|等|在|因|于|未|称|说|驾驶|是|的|为|和|与|向|对|被|将|已|无|有)"
)
_NAME_FIELD = re.compile(r"(?P<role>姓名)(?P<sep>[:：\s]*)(?P<name>[\u4e00-\u9fa5]{2,4})")


def mask_person(name: str) -> str:
    """A natural person as surname plus asterisks: 王** for 王小明, 欧阳** for 欧阳娜娜."""
    name = name.strip()
    if not name:
        return ""
    surname = name[:2] if name[:2] in _SURNAME2.split("|") and len(name) > 2 else name[0]
    return surname + "*" * max(1, len(name) - len(surname))


def _other_person(name: str) -> str:
    surname = name[:2] if name[:2] in _SURNAME2.split("|") and len(name) > 2 else name[0]
    return surname + "某某"


def _long_token(match: re.Match[str]) -> str:
    token = match.group(0)
    upper = token.upper()
    if len(token) == 18 and is_valid_resident_id(upper):
        return ID_MARK
    if len(token) == 18 and is_valid_uscc(upper):
        return token  # an organisation's credit code is public
    if len(token) == 15 and token.isdigit():
        return ID_MARK  # the old 15-digit ID number
    if token.isdigit() and 16 <= len(token) <= 19:
        return ACCOUNT_MARK if _luhn(token) or len(token) != 18 else ID_MARK
    if len(token) == 18 and token[:17].isdigit():
        return ID_MARK  # an ID number with a wrong check digit is still one
    return token


def redact_text(text: str, *, known_people: Iterable[str] = ()) -> str:
    """`text` with personal data replaced; known_people are other persons' names."""
    if not text:
        return text
    out = text
    for name in sorted(
        {n.strip() for n in known_people if len(n.strip()) >= 2}, key=len, reverse=True
    ):
        out = out.replace(name, _other_person(name))
    out = _ACCOUNT_WORDS.sub(lambda m: m.group("label") + m.group("sep") + ACCOUNT_MARK, out)
    out = _GROUPED_CARD.sub(ACCOUNT_MARK, out)
    out = _LONG_TOKEN.sub(_long_token, out)
    out = _MOBILE.sub(PHONE_MARK, out)
    out = _LANDLINE.sub(PHONE_MARK, out)
    out = _ADDRESS.sub(ADDRESS_MARK, out)
    out = _HEALTH.sub(HEALTH_MARK, out)
    out = _ROLE_NAME.sub(
        lambda m: m.group("role") + m.group("sep") + _other_person(m.group("name")), out
    )
    out = _NAME_FIELD.sub(
        lambda m: m.group("role") + m.group("sep") + _other_person(m.group("name")), out
    )
    return out
