"""Redaction of personal data before anything reaches the public record (行政执法公示).

What goes (个人信息保护法 Art. 28 sensitive data, 政府信息公开条例 Art. 15 and the 双公示 rules):
resident ID numbers, mobile and landline numbers, e-mail addresses and messenger accounts,
bank card and account numbers, a natural person's home address, health information, and the
names of natural persons other than the penalised party. The party, when a natural person, is
shown as surname plus asterisks.

What stays (the facts of the violation, 行政处罚法 Art. 48): the place of the violation and a
business's premises, an organisation's unified social credit code, its name and its legal
representative (both are 双公示 fields), amounts, dates, plates and legal citations.

Typing does not get a number past: full-width digits, and spaces, dots or dashes inside a
number, are read as the number they spell. Names the case data knows (the party, its legal
representative when a person is penalised, witnesses and other persons named in the record)
are replaced exactly, a space inside them included. Other names are found by a Chinese word
segmenter's person-name tags (`nr`) when one is given (see `Tagger`), and by role words
(驾驶员, 负责人, 开户人, ...) followed by a name. Everything here is pure: the segmenter is
loaded by the service at start-up and handed in.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence

# A word segmenter with part-of-speech tags (ICTCLAS/jieba tag set: `nr` is a person's name):
# text -> [(word, tag), ...], the words concatenating back to the text.
Tagger = Callable[[str], Sequence[tuple[str, str]]]

# GB 32100 (credit codes) and GB 11643 (resident IDs), duplicated from records on purpose:
# services share proto contracts, not code.
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"

ID_MARK = "[身份证号已隐去]"
PHONE_MARK = "[电话已隐去]"
EMAIL_MARK = "[邮箱已隐去]"
CONTACT_MARK = "[联系方式已隐去]"
ACCOUNT_MARK = "[账号已隐去]"
ADDRESS_MARK = "[住址已隐去]"
HEALTH_MARK = "[健康信息已隐去]"
_MARKS = re.compile(r"\[[^\[\]]{1,8}已隐去\]")


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


# -- typing: full-width forms and invisible characters -----------------------------------------

# Full-width digits, Latin letters and the signs that spell numbers and e-mail addresses become
# their ASCII forms; Chinese punctuation (，。（）：) stays as written.
_HALF_WIDTH = {0xFF10 + i: ord("0") + i for i in range(10)}
_HALF_WIDTH |= {0xFF21 + i: ord("A") + i for i in range(26)}
_HALF_WIDTH |= {0xFF41 + i: ord("a") + i for i in range(26)}
_HALF_WIDTH |= {0xFF20: "@", 0xFF0B: "+", 0xFF0D: "-", 0xFF0E: ".", 0xFF3F: "_", 0x3000: " "}
_HALF_WIDTH |= dict.fromkeys((0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0x00AD))  # invisible


def normalise(text: str) -> str:
    """Full-width digits and letters as ASCII, invisible characters dropped."""
    return text.translate(_HALF_WIDTH)


# -- numbers -----------------------------------------------------------------------------------

# Long alphanumeric tokens: IDs (18, last may be X), old IDs (15), credit codes (18), cards.
_LONG_TOKEN = re.compile(r"(?<![0-9A-Za-z])[0-9A-Za-z]{15,19}(?![0-9A-Za-z])")
_ACCOUNT_WORDS = re.compile(
    r"(?P<label>银行账号|银行帐号|开户账号|账户|帐户|账号|帐号|卡号)(?P<sep>[:：\s]*)"
    r"(?P<num>\d[\d .\-]{7,29}\d)"
)
_LANDLINE_PARENS = re.compile(
    r"(?:\(0\d{2,3}\)|（0\d{2,3}）)\s?\d{3,4}[ \-.]?\d{3,4}"
    r"(?:[ -]?(?:转|ext\.?)\s?\d{1,5})?(?!\d)"
)
# Digits with spaces, dots or dashes typed inside them (138 1234 5678, 0519-8688-1234,
# 110105.19491231.002X); a +86 prefix and a final X belong to the number.
_SEP = r"[ \t\u00a0.\-_·—–]{0,2}"
_DIGIT_RUN = re.compile(
    r"(?<![0-9A-Za-z+])(?:\+?86" + _SEP + r")?\d(?:" + _SEP + r"\d)+(?:" + _SEP + r"[Xx])?"
    r"(?![0-9A-Za-z])"
)
_EXTENSION = re.compile(r"^\s?(?:转|ext\.?|分机)\s?\d{1,5}")
_PHONE_CUES = (
    "电话",
    "手机",
    "联系",
    "座机",
    "固话",
    "传真",
    "号码",
    "致电",
    "拨打",
    "电联",
    "tel",
)
_UNITS = re.compile(
    r"^\s?(?:元|万|吨|t\b|千克|公斤|kg|米|m\b|%|％|个|辆|次|人|户|平方|立方|号|年|日)"
)
_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]+\s?(?:@|\[at\]|\(at\)|（at）)\s?[A-Za-z0-9\-]+(?:\s?\.\s?[A-Za-z0-9\-]+)+"
)
_MESSENGER = re.compile(
    r"(?P<label>QQ号?|qq号?|微信号?|WeChat|wechat)(?P<sep>[:：\s]*(?:是|为)?)"
    r"(?P<id>[A-Za-z0-9_\-]{5,20})"
)


def _classify_digits(digits: str) -> str | None:
    """The mark for a number spelled by `digits` (separators removed), or None."""
    if digits.startswith("+"):
        digits = digits[1:]
    if len(digits) == 13 and digits.startswith("86") and re.fullmatch(r"1[3-9]\d{9}", digits[2:]):
        return PHONE_MARK
    if len(digits) == 11 and re.fullmatch(r"1[3-9]\d{9}", digits):
        return PHONE_MARK
    if len(digits) == 18 and digits[:17].isdigit():
        if is_valid_resident_id(digits):
            return ID_MARK
        if digits.isdigit() and is_valid_uscc(digits):
            return None  # an organisation's credit code is public
        return ID_MARK  # an ID number with a wrong check digit is still one
    if len(digits) == 15 and digits.isdigit():
        return ID_MARK  # the old 15-digit ID number
    if digits.isdigit() and 16 <= len(digits) <= 19:
        return ACCOUNT_MARK
    if re.fullmatch(r"0\d{9,11}", digits) or re.fullmatch(r"[48]00\d{7}", digits):
        return PHONE_MARK  # a landline with its area code, a 400/800 number
    return None


def _redact_digit_runs(text: str) -> str:
    def run(match: re.Match[str]) -> str:
        token = match.group(0)
        mark = _classify_digits(re.sub(r"[^0-9Xx+]", "", token).upper())
        if mark is None and 7 <= len(re.sub(r"\D", "", token)) <= 8:
            # A landline typed without its area code: a phone only where the text says so.
            before = text[max(0, match.start() - 10) : match.start()].lower()
            after = text[match.end() : match.end() + 4]
            if any(c in before for c in _PHONE_CUES) and not _UNITS.match(after):
                mark = PHONE_MARK
        if mark is not None:
            return mark
        if re.search(r"\s", token.strip()):
            # Several numbers side by side: each on its own.
            return re.sub(r"\S+", lambda m: _redact_digit_runs(m.group(0)), token)
        return token

    out = _DIGIT_RUN.sub(run, text)
    return re.sub(re.escape(PHONE_MARK) + r"\s?(?:转|ext\.?|分机)\s?\d{1,5}", PHONE_MARK, out)


# Numbers spelled in Chinese digits (一三九一二三四五六七八): seven or more in a row are never
# prose, so they are read as the number they spell.
_CN_DIGITS = str.maketrans("〇零一二三四五六七八九幺两", "0012345678912")
_CN_DIGIT_RUN = re.compile(
    r"[〇零一二三四五六七八九幺两](?:[ \-.·]?[〇零一二三四五六七八九幺两]){6,}"
)


def _redact_spelled_digits(text: str) -> str:
    def run(match: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", match.group(0).translate(_CN_DIGITS))
        mark = _classify_digits(digits)
        if mark is None and len(digits) in (7, 8):
            before = text[max(0, match.start() - 10) : match.start()].lower()
            mark = PHONE_MARK if any(c in before for c in _PHONE_CUES) else None
        return mark or match.group(0)

    return _CN_DIGIT_RUN.sub(run, text)


def _long_token(match: re.Match[str]) -> str:
    token = match.group(0)
    upper = token.upper()
    if len(token) == 18 and is_valid_resident_id(upper):
        return ID_MARK
    if len(token) == 18 and is_valid_uscc(upper):
        return token  # an organisation's credit code is public
    if len(token) == 15 and token.isdigit():
        return ID_MARK
    if token.isdigit() and 16 <= len(token) <= 19:
        return ACCOUNT_MARK if _luhn(token) or len(token) != 18 else ID_MARK
    if len(token) == 18 and token[:17].isdigit():
        return ID_MARK
    return token


# -- home addresses ----------------------------------------------------------------------------

# Only a natural person's home goes (个人信息保护法 Art. 4); the place of the violation and a
# business's premises are facts of the case and stay. A home is what the text calls one.
_HOME_CUE = (
    r"(?:家庭住址|家住|住址|居住地|居住于|居住在|现居住?|现住址?|户籍地|户籍所在地|户籍|"
    r"暂住|租住|住在|住于)"
)
# 住所 is a firm's registered premises too (公司法 Art. 8): a home only when a person is penalised.
_RESIDENCE_CUE = r"(?:(?<!公司|企业|单位|注册|营业|经营|场所)住所地?)"
_ADDRESS_BODY = (
    r"[\u4e00-\u9fa5A-Za-z0-9\-#]{2,40}"
    r"(?:号楼|号院|号|室|栋|幢|单元|层|楼|组|村|弄|巷|户|小区|公寓|宿舍|苑|新村|屯|庄)"
    r"(?:[0-9A-Za-z\-#]{0,6}(?:号|室|栋|幢|单元|层|楼|户))*"
)
_HOME_ADDRESS = re.compile(
    r"(?P<cue>" + _HOME_CUE + r")(?P<sep>[:：\s]*(?:为|是|在|于)?)(?P<addr>" + _ADDRESS_BODY + r")"
)
_RESIDENCE = re.compile(
    r"(?P<cue>"
    + _RESIDENCE_CUE
    + r")(?P<sep>[:：\s]*(?:为|是|在|于)?)(?P<addr>"
    + _ADDRESS_BODY
    + r")"
)
_ADMIN_PART = re.compile(r".+?(?:省|自治区|市|区|县|镇|乡|街道)")


def _address_variants(address: str) -> list[str]:
    """A known home address and its shorter forms (without province, city, district, town)."""
    address = re.sub(r"\s+", "", normalise(address))
    variants = {address}
    rest = address
    while (m := _ADMIN_PART.match(rest)) is not None and len(rest) > len(m.group(0)):
        rest = rest[len(m.group(0)) :]
        if len(rest) >= 4 or re.search(r"\d", rest):
            variants.add(rest)
    return sorted((v for v in variants if len(v) >= 3), key=len, reverse=True)


# -- health ------------------------------------------------------------------------------------

_DISEASES = (
    r"精神分裂症?|精神障碍|精神疾病|精神病|抑郁症|焦虑症|双相情感障碍|癫痫|痴呆|智力障碍|智力残疾|"
    r"高血压|糖尿病|心脏病|冠心病|心肌梗死|心梗|脑梗死|脑梗塞|脑梗|脑出血|中风|哮喘|肝炎|乙肝|丙肝|肺结核|结核病|艾滋病|HIV|"
    r"性病|梅毒|传染病|癌症?|肿瘤|白血病|尿毒症|残疾|聋哑|失明|怀孕|孕期|妊娠|流产|吸毒史?|"
    r"职业病|尘肺病?"
)
# The condition with the words that carry it: 患有/确诊/有 ... 病史, so no category is left
# behind ("有精神[…]").
_HEALTH_CUE = r"(?:既往)?(?:患有|罹患|身患|患|确诊为?|被?诊断为|诊断出|有|存在)"
_HEALTH = re.compile(
    r"(?:" + _HEALTH_CUE + r"\s?[\u4e00-\u9fa5]{0,4}?)?(?:" + _DISEASES + r")"
    r"(?:等?(?:病史|既往史|病|史|症状|疾病))?"
    r"|(?:患有|罹患|确诊为?|被?诊断为|诊断出)[^，。；;,.\n（）()]{1,20}"
    r"|(?:(?:既往)?有|患有)[\u4e00-\u9fa5]{1,6}?(?:病史|既往史)|病史|既往史"
)


# -- names -------------------------------------------------------------------------------------

_SURNAME2 = (
    "欧阳|司马|上官|诸葛|东方|皇甫|尉迟|公孙|慕容|长孙|宇文|司徒|夏侯|令狐|端木|南宫|独孤|"
    "西门|呼延|澹台|万俟|闻人|赫连|申屠|轩辕|钟离"
)
_SURNAME2_SET = frozenset(_SURNAME2.split("|"))
# The common surnames (about 95 % of the population); a name the segmenter finds must start
# with one, which keeps words it mistakes for names (陈述, 安全带) from going.
SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫阎段雷侯龙史陶黎贺顾毛"
    "郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦"
    "俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房"
    "滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟"
    "应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
)

# Words of this field that introduce a natural person by name.
ROLE_WORDS = (
    "驾驶员|驾驶人|司机|押运员|装卸员|员工|职工|工人|从业人员|作业人员|操作工|操作人员|电工|焊工|"
    "电焊工|安全员|安全管理人员|班组长|组长|证人|见证人|联系人|负责人|现场负责人|实际经营者|"
    "实际控制人|经营者|投资人|股东|监护人|委托代理人|代理人|受托人|厨师|店员|收银员|服务员|保安|"
    "店长|经理|老板娘|老板|业主|房东|受害人|伤者|死者|遇难者|租户|承租人|户主|开户人|持卡人|"
    "村民|居民|家属|妻子|丈夫|儿子|女儿|父亲|母亲|被询问人|询问对象|签收人|申请人|被申请人|"
    "原告|第三人|值班人员"
)
# 当事人 before a name is the party when a person is penalised (masked by name, not here).
_ROLE_SET = frozenset(ROLE_WORDS.split("|")) | {"当事人"}
_SURNAME_CLASS = "[" + "".join(sorted(SURNAMES)) + "]"
_ROLE_NAME = re.compile(
    r"(?P<role>" + ROLE_WORDS + r")"
    r"(?P<sep>[:：\s]?)"
    r"(?P<name>(?:"
    + _SURNAME2
    + r")[\u4e00-\u9fa5]{1,2}|"
    + _SURNAME_CLASS
    + r"[\u4e00-\u9fa5]{1,2}?)"
    r"(?=[，。；;、,.（(\s]|$|等|在|因|于|未|称|说|驾驶|是|的|为|和|与|向|对|被|将|已|无|有|"
    r"现场|当场|签|拒|承认|表示|自|及|到|系|从|负责|经营|操作|作业|使用|擅自|私自|违规)"
)
_ROLE_BEFORE = re.compile(r"(?:" + ROLE_WORDS + r"|当事人)[:：\s]?$")
# Any word for a person by trade or post: 保管员, 临时工, 车间主任, 缴款人 (with the segmenter).
_PERSON_NOUN_BEFORE = re.compile(
    r"[\u4e00-\u9fa5](?:员|工|主任|经理|厂长|店长|队长|班长|矿长|站长|师|人)[:：\s]?$"
)
_PARTY_BEFORE = re.compile(r"当事人[:：\s]?$")
_NAME_FIELD = re.compile(r"(?P<role>姓名)(?P<sep>[:：\s]*)(?P<name>[\u4e00-\u9fa5]{2,4})")

# Words of enforcement texts that the segmenter's dictionary tags as names, and what follows a
# surname-like word in a firm's name (李记餐饮, 王氏五金): never a person.
NOT_NAMES = frozenset(
    "陈述 安全带 操作证 高压 高温 高处 高空 常年 常态 向阳 文明 明火 全面 全部 应急 安检 安装 "
    "安全 时间 时段 时任 和解 金额 金属 石油 石化 万元 于是 于此 方可 方案 方式 成品 成本 "
    "华润 华能 黄沙 江苏 江南 江北 常州 武进 新北 钟点 曲线 康复 路面 路段 连接 车辆 车间 "
    "单位 单独 关闭 关停 宁可 齐全 易燃 易爆 严重 严格 任意 任何 任务 程序 管道 管理 "
    "戴帽 夏季 冬季 秦岭 田间 林地 包装 包括 司机 司法 卫生 米面 白天 白班 黄色 龙门 "
    "史上 雷电 钱款 谢绝 祝融 邵阳 周边 周末 周一 周二 周三 周四 周五 周六 周日 周年 "
    "毛重 景区 尚未 邢台 梅雨 柏油 项目 连续 席位 车牌 车主 许可证 许可 张贴 申请人 "
    "龙虎 师傅 申报 申请 程度 房屋 房间 左右 万家 焦炭 柴油 甘油 屈服 余量 余额 丁烷 "
    "汤锅 韦伯 燕窝 苗木 江河 湖泊 东方 向东 向西 向南 向北 武警 卫健委".split()
)
_FIRM_AFTER = re.compile(
    r"^(?:记|氏|家|有限|公司|集团|餐|饭|面|菜|酒|店|馆|厂|坊|行|号|超市|商店|商行|酒店|"
    r"饭店|宾馆|工作室|五金|建材|物流|运输|化工|燃气|门市|门诊|诊所|火锅)"
)
_CJK = re.compile(r"^[\u4e00-\u9fa5]+$")
# Tags of words that cannot be a given name after a lone surname (verbs, prepositions, ...);
# an adverb can (立新 is tagged d) only where a role word vouches for a name.
_NOT_GIVEN_NAME = frozenset({"v", "vn", "p", "c", "u", "uj", "ul", "f", "m"})
_NOT_GIVEN_NAME_D = _NOT_GIVEN_NAME | {"d"}
# Place names the dictionary tags as names (薛家镇, 武进区, 钟楼区).
_PLACE_END = re.compile(r"(?:省|市|区|县|镇|乡|村|路|街|道|巷|塘|湖|山|河|港|桥|园|湾|坝|站|口)$")
_ADMIN_END = re.compile(r"(?:省|市|区|县|镇|乡|村|街|路|巷)$")
# What follows a place name: 魏村|街道, 向阳|路.
_PLACE_AFTER = re.compile(
    r"^(?:街道|镇|乡|村|路|街|区|县|市|巷|弄|大道|广场|小区|社区|新村|公园|大桥)"
)
# Titles of laws and documents (《中华人民共和国安全生产法》) hold no one's name.
_TITLE = re.compile(r"《[^《》]{1,80}》")
# The segmenter's HMM glues a name to the word around it: 为罗斌, 吴晓燕称, 韩冰均.
_GLUED_BEFORE = frozenset("为由与和及向对被据经让请叫把将给同跟称")
_GLUED_AFTER = frozenset("称因均在等于说是的也都已将把被和与及向对为从自到曾系")


def mask_person(name: str) -> str:
    """A natural person as surname plus asterisks: 王** for 王小明, 欧阳** for 欧阳娜娜."""
    name = re.sub(r"\s+", "", normalise(name))
    if not name:
        return ""
    surname = name[:2] if name[:2] in _SURNAME2_SET and len(name) > 2 else name[0]
    return surname + "*" * max(1, len(name) - len(surname))


def _other_person(name: str) -> str:
    name = re.sub(r"\s+", "", name)
    surname = name[:2] if name[:2] in _SURNAME2_SET and len(name) > 2 else name[0]
    return surname + "某某"


def _spaced(word: str) -> re.Pattern[str]:
    """`word` as typed with spaces, dots or dashes between its characters (王 小明, 王·小明)."""
    chars = [re.escape(c) for c in re.sub(r"\s+", "", normalise(word))]
    return re.compile(r"[\s·・.\-_]{0,2}".join(chars))


def _looks_like_name(word: str) -> bool:
    if not 2 <= len(word) <= 4 or not _CJK.match(word) or word in NOT_NAMES:
        return False
    if "某" in word:
        return False  # already anonymised (王某, 李某某)
    if word[:2] in _SURNAME2_SET:
        return len(word) >= 3
    return word[0] in SURNAMES and len(word) <= 3  # 王小明; four characters: 欧阳娜娜


def _name_in(word: str, *, vouched: bool = False) -> tuple[int, int] | None:
    """Where a tagged `nr` word holds a person's name: (offset, length), or None.

    `vouched`: a role word stands before it (证人李村), so it is no place name."""
    place = (_PLACE_END.search(word) and len(word) >= 3) or _ADMIN_END.search(word)
    if place and not vouched:
        return None
    for start, end in ((1, len(word) - 1), (1, len(word)), (0, len(word) - 1), (0, len(word))):
        if start and word[0] not in _GLUED_BEFORE:
            continue
        if end < len(word) and word[-1] not in _GLUED_AFTER:
            continue
        if _looks_like_name(word[start:end]):
            return start, end - start
    return None


def _names_by_tagger(text: str, tagger: Tagger, keep: list[tuple[int, int]]) -> str:
    """Names of natural persons by the segmenter's `nr` tags and by role words before them."""
    tokens: list[tuple[int, str, str]] = []
    pos = 0
    for word, tag in tagger(text):
        tokens.append((pos, word, tag))
        pos += len(word)
    if pos != len(text):  # a segmenter that drops characters: trust no offsets
        return text
    marks = [(m.start(), m.end()) for m in (*_MARKS.finditer(text), *_TITLE.finditer(text))]
    marks += keep

    def protected(start: int, end: int) -> bool:
        return any(s < end and start < e for s, e in marks)

    found: list[tuple[int, int]] = []
    i = 0
    while i < len(tokens):
        start, word, tag = tokens[i]
        after = text[start + len(word) : start + len(word) + 4]
        role_before = (
            _ROLE_BEFORE.search(text, max(0, start - 10), start) is not None
            or _PERSON_NOUN_BEFORE.search(text, max(0, start - 5), start) is not None
        )
        end = start + len(word)
        name = ""
        # A role word vouches that a person follows; 当事人 may be followed by a place too.
        vouched = role_before and _PARTY_BEFORE.search(text, max(0, start - 4), start) is None
        inside = (
            _name_in(word, vouched=vouched)
            if tag == "nr"
            and not _FIRM_AFTER.match(after)
            and (vouched or not _PLACE_AFTER.match(after))
            else None
        )
        if inside is not None:
            start, end = start + inside[0], start + inside[0] + inside[1]
            name = text[start:end]
        elif (
            (tag == "nr" or role_before)
            and len(word) == 1
            and word in SURNAMES
            and i + 1 < len(tokens)
            and 1 <= len(tokens[i + 1][1]) <= 2
            and _CJK.match(tokens[i + 1][1])
            and tokens[i + 1][2] not in (_NOT_GIVEN_NAME if role_before else _NOT_GIVEN_NAME_D)
            and not _FIRM_AFTER.match(tokens[i + 1][1])
        ):
            # A surname the segmenter split from its given name: 周|建平, 马|国庆.
            name = word + tokens[i + 1][1]
            end = start + len(name)
            i += 1
        elif role_before and tag != "nr" and _looks_like_name(word) and len(word) <= 3:
            name = word if tag not in ("v", "vn", "d", "p", "c", "f", "m", "t") else ""
        if name and not protected(start, end):
            found.append((start, end))
        i += 1
    out = text
    for start, end in reversed(found):
        out = out[:start] + _other_person(out[start:end]) + out[end:]
    return out


def redact_text(
    text: str,
    *,
    known_people: Iterable[str] = (),
    party_person: str = "",
    home_addresses: Iterable[str] = (),
    public_names: Iterable[str] = (),
    tagger: Tagger | None = None,
) -> str:
    """`text` with personal data replaced.

    known_people: other natural persons the case names (surname + 某某); party_person: the
    penalised natural person (surname + asterisks); home_addresses: the homes the case knows;
    public_names: names that are published anyway (an organisation's name and its legal
    representative); tagger: a segmenter with person-name tags, or None for patterns only.
    """
    if not text:
        return text
    out = normalise(text)
    public = [p for p in {re.sub(r"\s+", "", normalise(n)) for n in public_names} if len(p) >= 2]
    # Known names first, exactly, with whatever was typed between their characters.
    people = {re.sub(r"\s+", "", normalise(n)) for n in known_people} - set(public)
    for name in sorted((n for n in people if len(n) >= 2), key=len, reverse=True):
        out = _spaced(name).sub(_other_person(name), out)
    if party_person and len(party_person.strip()) >= 2:
        out = _spaced(party_person).sub(mask_person(party_person), out)
    for home in home_addresses:
        for variant in _address_variants(home) if home.strip() else ():
            out = _spaced(variant).sub(ADDRESS_MARK, out)
    out = _EMAIL.sub(EMAIL_MARK, out)
    out = _MESSENGER.sub(lambda m: m.group("label") + m.group("sep") + CONTACT_MARK, out)
    out = _ACCOUNT_WORDS.sub(lambda m: m.group("label") + m.group("sep") + ACCOUNT_MARK, out)
    out = _LANDLINE_PARENS.sub(PHONE_MARK, out)
    out = _redact_digit_runs(out)
    out = _redact_spelled_digits(out)
    out = _LONG_TOKEN.sub(_long_token, out)
    home = lambda m: m.group("cue") + m.group("sep") + ADDRESS_MARK  # noqa: E731
    out = _HOME_ADDRESS.sub(home, out)
    if party_person:
        out = _RESIDENCE.sub(home, out)
    out = _HEALTH.sub(HEALTH_MARK, out)
    keep = [(m.start(), m.end()) for p in public for m in re.finditer(re.escape(p), out)]
    if tagger is not None:
        out = _names_by_tagger(out, tagger, keep)

    def role_name(m: re.Match[str]) -> str:
        name = m.group("name")
        if "某" in name or "*" in name or any(name in p for p in public):
            return m.group(0)
        return m.group("role") + m.group("sep") + _other_person(name)

    if tagger is None:
        out = _ROLE_NAME.sub(role_name, out)
    out = _NAME_FIELD.sub(role_name, out)
    return out
