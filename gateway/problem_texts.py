"""The texts of problem answers in Chinese (the default, for the apps) and English.

Every problem `type` is a stable URI (`PROBLEM_BASE + slug`) with a title in both languages,
listed in docs/api.md ("Errors"). The code raises problems in English; `ProblemLanguage`, a
middleware, answers in the language `Accept-Language` asks for: `title` from this catalogue,
`detail` and each validation `errors[].msg` translated by the patterns below when one
matches (a service's message no pattern knows stays as the service wrote it). The `type`,
`status` and `errors[].loc` never change with the language: code keys on them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MEDIA_TYPE = "application/problem+json"
ZH, EN = "zh-CN", "en"
LANGUAGES = (ZH, EN)


@dataclass(frozen=True)
class ProblemKind:
    slug: str
    status: int
    zh: str
    en: str
    when: str  # what it means, for docs/api.md


KINDS: tuple[ProblemKind, ...] = (
    ProblemKind("invalid-request", 422, "请求内容有误", "The request is not valid",
                "a field is missing or wrong; `errors` lists every field at once"),
    ProblemKind("validation-error", 422, "请求内容有误", "The request is not valid",
                "a value the gateway refuses (a NUL character, an account's roles)"),
    ProblemKind("bad-request", 400, "请求格式错误", "Bad request", "the request is malformed"),
    ProblemKind("unauthenticated", 401, "需要登录", "Login required",
                "no access token; log in and send `Authorization: Bearer ...`"),
    ProblemKind("invalid-token", 401, "访问令牌无效", "Invalid token",
                "the token is malformed, forged, expired (access tokens last 15 minutes: "
                "refresh or log in again) or for another audience"),
    ProblemKind("bad-credentials", 401, "登录失败", "Login failed",
                "unknown username or wrong password (the same answer for both)"),
    ProblemKind("refresh-token-reused", 401, "刷新令牌已被使用", "Refresh token already used",
                "a spent refresh token came back: every session of the account was ended"),
    ProblemKind("unknown-device", 401, "设备未登记", "Device request refused",
                "the X-Device-ID has no credentials"),
    ProblemKind("revoked-device", 401, "设备凭据已吊销", "Device request refused",
                "the device's credentials were revoked"),
    ProblemKind("bad-signature", 401, "设备签名不符", "Device request refused",
                "the X-Signature does not match the request"),
    ProblemKind("replayed-nonce", 401, "请求重复 (nonce 已使用)", "Device request refused",
                "the X-Nonce was already used within the window"),
    ProblemKind("stale-timestamp", 401, "设备时间超出允许范围", "Device request refused",
                "the X-Timestamp is more than the window away from the gateway's clock"),
    ProblemKind("missing-signature-headers", 401, "缺少或错误的设备签名头",
                "Device request refused", "a signing header is missing or malformed"),
    ProblemKind("forbidden", 403, "无权操作", "Not allowed",
                "your role, jurisdiction or agency does not allow this"),
    ProblemKind("no-certificate", 403, "无执法证", "No enforcement certificate",
                "only officers holding an enforcement certificate (执法证) act on site"),
    ProblemKind("not-found", 404, "未找到", "Not found",
                "no such object, or not one you may see"),
    ProblemKind("method-not-allowed", 405, "不支持该请求方法", "Method not allowed",
                "the route exists with another HTTP method"),
    ProblemKind("not-acceptable", 406, "无法提供所需格式", "Not acceptable",
                "the Accept header asks for a format this route does not give"),
    ProblemKind("conflict", 409, "与现有数据冲突", "Conflict",
                "the change conflicts with what exists (a username, a device)"),
    ProblemKind("not-allowed-now", 409, "当前状态下不允许此操作", "Not allowed in this state",
                "the case, review or inspection is not at a stage that allows this; "
                "`detail` says what is allowed"),
    ProblemKind("already-exists", 409, "已存在", "Already exists",
                "a client-made id was already used for another write"),
    ProblemKind("idempotency-key-in-flight", 409, "相同的 Idempotency-Key 仍在处理中",
                "Idempotency-Key in progress",
                "the first request with this key has not finished; retry later"),
    ProblemKind("idempotency-key-reused", 422, "Idempotency-Key 已用于另一请求",
                "Idempotency-Key reused",
                "the key was used for a different request; make a new key"),
    ProblemKind("bad-idempotency-key", 400, "Idempotency-Key 格式错误",
                "Invalid Idempotency-Key", "the key is empty, too long or not printable"),
    ProblemKind("body-too-large", 413, "请求体过大", "Request body too large",
                "the body is over GATEWAY_MAX_BODY_BYTES"),
    ProblemKind("unsupported-media-type", 415, "不支持的内容类型", "Unsupported media type",
                "send `Content-Type: application/json`"),
    ProblemKind("too-many-requests", 429, "请求过于频繁", "Too many requests",
                "a rate limit; the Retry-After header says when to try again"),
    ProblemKind("internal-error", 500, "服务器内部错误", "Internal error",
                "a bug: quote the request id when reporting it"),
    ProblemKind("service-error", 502, "后端服务出错", "A service failed",
                "a service behind the gateway failed"),
    ProblemKind("service-unavailable", 503, "后端服务暂不可用", "A service is unavailable",
                "a service is down or restarting; retry with the same Idempotency-Key"),
    ProblemKind("service-timeout", 504, "后端服务响应超时", "A service did not answer in time",
                "retry with the same Idempotency-Key"),
)  # fmt: skip
BY_SLUG = {k.slug: k for k in KINDS}

# (English, Chinese): patterns over the whole detail or validation message; `{name}` in the
# Chinese text is filled from the pattern's named group.
_PATTERNS: tuple[tuple[str, str], ...] = (
    # validation (pydantic's messages)
    (r"Field required", "必填"),
    (r"String should have at least (?P<n>\d+) characters?", "至少 {n} 个字符"),
    (r"String should have at most (?P<n>\d+) characters?", "最多 {n} 个字符"),
    (r"String should match pattern '(?P<p>.*)'", "格式不符 ({p})"),
    (r"Input should be a valid integer.*", "应为整数"),
    (r"Input should be a valid number.*", "应为数字"),
    (r"Input should be a valid string", "应为字符串"),
    (r"Input should be a valid boolean.*", "应为 true 或 false"),
    (r"Input should be a valid list", "应为列表"),
    (r"Input should be a valid dictionary.*", "应为对象"),
    (r"Input should be a valid (?:datetime|date).*", "应为 ISO 8601 日期时间"),
    (r"Input should be a valid UUID.*", "应为 UUID"),
    (r"Input should be (?P<v>'.*)", "应为以下之一: {v}"),
    (r"Input should be greater than or equal to (?P<n>\S+)", "应不小于 {n}"),
    (r"Input should be greater than (?P<n>\S+)", "应大于 {n}"),
    (r"Input should be less than or equal to (?P<n>\S+)", "应不大于 {n}"),
    (r"Input should be less than (?P<n>\S+)", "应小于 {n}"),
    (r"List should have at least (?P<n>\d+) items?.*", "至少 {n} 项"),
    (r"List should have at most (?P<n>\d+) items?.*", "最多 {n} 项"),
    (r"Extra inputs are not permitted", "不允许的字段"),
    (r"JSON decode error", "JSON 格式错误"),
    (r"Value error, (?P<m>.*)", "{m}"),
    # review checklist (reviews route)
    (r"missing checklist item (?P<k>\S+)", "缺少审核项 {k}"),
    (r"unknown checklist item (?P<k>\S+)", "未知的审核项 {k}"),
    (r"checklist item (?P<k>\S+) is given twice", "审核项 {k} 重复"),
    (r"a failed checklist item needs a comment", "未通过的审核项须写明理由"),
    (r"approved cannot have failed items", "有未通过的审核项时不能同意"),
    (r"(?P<o>returned|rejected) needs at least one failed checklist item saying why",
     "退回或不同意须至少有一项未通过并写明理由"),
    # the gateway's own
    (r"send an access token as 'Authorization: Bearer \.\.\.'",
     "请登录后以 'Authorization: Bearer ...' 发送访问令牌"),
    (r"this needs one of the roles: (?P<r>.*)", "需要以下角色之一: {r}"),
    (r"(?P<w>.*); try again in (?P<s>\d+) s", "{w}; 请 {s} 秒后再试"),
    (r"too many requests from your address", "来自您地址的请求过多"),
    (r"too many failed logins", "登录失败次数过多"),
    (r"too many wrong passwords", "密码错误次数过多"),
    (r"unknown username or wrong password", "用户名或密码错误"),
    (r"only officers holding an enforcement certificate \(执法证\) may act on site",
     "只有持执法证的执法人员可以现场执法"),
    (r"(?P<o>\S+) is not a certified officer of agency (?P<a>.*)",
     "{o} 不是本机关 ({a}) 持证执法人员"),
    (r"no user (?P<u>\S+) in your agency", "本机关没有用户 {u}"),
    (r"the username (?P<u>\S+) is taken", "用户名 {u} 已被使用"),
    (r"an admin cannot deactivate or demote their own account; ask another admin",
     "管理员不能停用或降级自己的账号, 请另一位管理员操作"),
    (r"the current password does not match", "当前密码不正确"),
    (r"this venue owner account is not bound to a venue", "该场所负责人账号未绑定场所"),
    (r"only gas detectors, shut-off valves and controllers post gas events",
     "只有燃气报警器、切断阀和控制器可以上报燃气事件"),
    (r"no credentials for device (?P<d>\S+) in your agency", "本机关没有设备 {d} 的凭据"),
    (r"device (?P<d>\S+) already has credentials; rotate them instead",
     "设备 {d} 已有凭据, 请轮换凭据"),
    (r"a revoked device gets new credentials under a new id", "已吊销的设备须以新编号登记"),
    (r"only weigh-station devices post weighings", "只有检测站设备可以上报称重数据"),
    (r"case (?P<c>\S+) not found", "案件 {c} 不存在"),
    (r"give the town/street of the case", "请填写案件所在镇/街道"),
    (r"choose a new client_case_id", "请使用新的 client_case_id"),
    (r"you supervise the cases of (?P<t>.*) only", "您只能监督 {t} 的案件"),
    (r"all sessions of this account were ended; log in again",
     "该账号的所有会话已结束, 请重新登录"),
    (r"at most (?P<n>\d+) bytes", "最多 {n} 字节"),
    (r"a text holds a NUL character \(\\u0000\); remove it and send again",
     "文本含有 NUL 字符 (\\u0000), 请删除后重新发送"),
    (r"the error was logged; quote the request id when reporting it",
     "错误已记录; 反馈问题时请提供 request_id"),
    (r"(?P<s>[a-z]+): (?P<c>UNAVAILABLE|DEADLINE_EXCEEDED|[A-Z_]+)", "{s} 服务: {c}"),
    (r"unknown device", "设备未登记"),
    (r"send X-Device-Id, X-Timestamp, X-Nonce and X-Signature",
     "请发送 X-Device-Id、X-Timestamp、X-Nonce 和 X-Signature"),
    (r"malformed signature headers: .*", "签名头格式错误: X-Timestamp 为 Unix 秒, X-Nonce 为 "
     "16-64 个 [A-Za-z0-9_-] 字符, X-Signature 为 64 位十六进制"),
    (r"X-Timestamp is more than (?P<w>\d+) s from the server clock \(server time (?P<t>\d+)\)",
     "X-Timestamp 与服务器时间相差超过 {w} 秒 (服务器时间 {t})"),
    (r"the token is missing or malformed", "访问令牌缺失或格式错误"),
    (r"the token has expired", "访问令牌已过期 (有效期 15 分钟), 请刷新或重新登录"),
    (r"the token is not valid yet", "访问令牌尚未生效"),
    (r"the token is for another audience", "访问令牌不是发给本系统的"),
    (r"the token is from another issuer", "访问令牌的签发者不符"),
    (r"the token lacks required claims", "访问令牌缺少必需的声明"),
    (r"the token is malformed or its signature does not match", "访问令牌格式错误或签名不符"),
    (r"unknown refresh token", "未知的刷新令牌"),
    (r"the refresh token does not match its record", "刷新令牌与记录不符"),
    (r"the account is disabled", "账号已停用"),
    (r"use 1-(?P<n>\d+) printable ASCII characters", "请使用 1-{n} 个可打印 ASCII 字符"),
    (r"the first request with this key is still running; retry later",
     "使用该 key 的第一次请求仍在处理中, 请稍后重试"),
    (r"this key was used for a different request; make a new key",
     "该 key 已用于另一请求, 请生成新的 key"),
    (r"this device's credentials were revoked", "该设备的凭据已被吊销"),
    (r"the signature does not match the request", "签名与请求不符"),
    (r"this nonce was already used", "该 nonce 已被使用"),
    # the services' most common refusals
    (r"a case at stage (?P<a>\S+) cannot move to (?P<b>\S+); allowed: (?P<c>[^;]*); the notice "
     r"and the decision wait for the legal review \(法制审核\), which is (?P<s>\S+)",
     "处于 {a} 阶段的案件不能转到 {b}; 可转到: {c}; 告知和决定须等待法制审核, 当前审核状态: {s}"),
    (r"a case at stage (?P<a>\S+) cannot move to (?P<b>\S+); allowed: (?P<c>[^;]*)",
     "处于 {a} 阶段的案件不能转到 {b}; 可转到: {c}"),
    (r"moving to (?P<b>\S+) is done by the dedicated step: (?P<c>.*)",
     "转到 {b} 须通过专门的步骤: {c}"),
    (r"moving to (?P<b>\S+) needs a penalty proposal first", "转到 {b} 前须先提出处罚建议"),
    (r"moving to (?P<b>\S+) needs the legal review \(法制审核\) to approve the proposal or "
     r"find it not required; its review is (?P<s>.*)",
     "转到 {b} 须经法制审核同意或认定无需审核; 当前审核状态: {s}"),
    (r"only a decided penalty can be revoked; the case is at stage (?P<s>\S+)",
     "只有已作出决定的处罚可以撤销; 案件当前阶段: {s}"),
    (r"a penalty is proposed after investigation; the case is at stage (?P<s>\S+)",
     "调查后才能提出处罚建议; 案件当前阶段: {s}"),
    (r"the current proposal is under legal review; propose again only after it was returned "
     r"or rejected", "当前处罚建议正在法制审核中, 退回或不同意后才能重新提出"),
    (r"client_entry_id was already used for another write; make a new one",
     "client_entry_id 已用于另一次写入, 请生成新的"),
    (r"only the case's own officers may write to its record", "只有本案执法人员可以写入记录"),
    (r"the case is archived; its record is closed", "案件已归档, 记录已关闭"),
    (r"decision_text is required \(at most 20,000 characters\)",
     "须填写决定书内容 (最多 20000 字)"),
    (r"name the legal basis \(法律依据\) of the penalty", "请写明处罚的法律依据"),
    (r"state the facts of the violation", "请写明违法事实"),
    (r"the review is already (?P<s>\S+)", "该审核已是 {s} 状态"),
    (r"the deadline was already extended once", "审核期限已延长过一次"),
    # the collective meeting (集体讨论), the supervisors' figures
    (r"a referral to a collective meeting needs a reason", "提交集体讨论须写明分歧所在"),
    (r"only the assigned reviewer may refer the review", "只有承办审核员可以提交集体讨论"),
    (r"the review was already referred to a collective meeting", "该审核已提交集体讨论"),
    (r"only a review referred to a collective meeting records one",
     "未提交集体讨论的审核不附集体讨论记录"),
    (r"a referred review is decided with the collective meeting's record",
     "已提交集体讨论的审核须附集体讨论的日期、参会人员和会议纪要"),
    (r"the meeting's date is YYYY-MM-DD and not in the future", "集体讨论日期不能晚于今天"),
    (r"a collective meeting has at least (?P<n>\d+) named participants",
     "集体讨论参会人员至少 {n} 人"),
    (r"the meeting's minutes \(会议纪要\) are required", "须填写会议纪要"),
    (r"date_from is after date_to", "开始日期晚于结束日期"),
    (r"you supervise (?P<t>.*) only", "您只能查看 {t} 的数据"),
    (r"review not found", "审核任务不存在"),
    (r"the written opinion \(审核意见\) is required \(at most 20,000 characters\)",
     "须填写审核意见 (最多 20000 字)"),
    (r"an on-site inspection needs at least (?P<n>\d+) officers with enforcement certificate "
     r"numbers", "现场检查须至少 {n} 名持执法证的执法人员"),
    (r"credit code (?P<c>'.*') is not a valid unified social credit code",
     "统一社会信用代码 {c} 无效"),
    (r"id number is not a valid 18-digit resident ID number",
     "身份证号不是有效的 18 位居民身份号码"),
    (r"party name is required", "须填写当事人名称"),
    (r"(?P<f>client_entry_id|client_slot_id|client_case_id|client_weighing_id) is required "
     r"\((?P<a>\d+) to (?P<b>\d+) characters\)", "须填写 {f} ({a} 到 {b} 个字符)"),
    (r"client_slot_id was already used for another file; make a new one",
     "client_slot_id 已用于另一个文件, 请生成新的"),
    (r"only the case's own officers may add evidence", "只有本案执法人员可以添加证据"),
    (r"device_time is in the future; check the phone's clock",
     "设备时间晚于服务器时间, 请检查手机时钟"),
    (r"device_time is more than 10 minutes off; check the clock",
     "设备时间偏差超过 10 分钟, 请检查时钟"),
    (r"location is outside valid latitude/longitude ranges", "位置超出有效的经纬度范围"),
    (r"nothing was uploaded yet", "尚未上传文件"),
    (r"the upload is not the declared file \(SHA-256 or size differs\); upload it again",
     "上传的文件与声明不符 (SHA-256 或大小不同), 请重新上传"),
    (r"(?P<p>.*); upload the file again to the same slot", "{p}; 请向同一上传位重新上传文件"),
    (r"size must be between 1 byte and (?P<n>\d+) bytes", "文件大小须在 1 到 {n} 字节之间"),
    (r"corrects_entry_id is not an entry of this case", "corrects_entry_id 不是本案的记录"),
    (r"relates_to_entry_id is not an entry of this case", "relates_to_entry_id 不是本案的记录"),
    (r"(?P<w>case|evidence slot|inspection task|inspection|weighing|alarm|photo|report|review) "
     r"not found", "{w} 不存在"),
    (r"the inspection task was already taken up by case (?P<c>\S+)", "该检查任务已由案件 {c} 处理"),
    (r"(?P<a>a penalty kind is named twice)", "处罚种类重复"),
    (r"name at least one penalty kind", "请至少写明一种处罚种类"),
    (r"an amount that departs from the discretion benchmark \(裁量基准\) needs a written reason",
     "偏离裁量基准的金额须书面说明理由"),
    (r"a fine needs an amount, and an amount needs the kind 'fine'",
     "罚款须填写金额, 填写金额须选罚款"),
    (r"an inspection at (?P<a>\S+) cannot move to (?P<b>\S+); allowed: (?P<c>.*)",
     "处于 {a} 的检查不能转到 {b}; 可转到: {c}"),
    (r"(?P<p>'.*') is not a valid Chinese licence plate", "{p} 不是有效的车牌号"),
    (r"confirming a violation on site needs at least (?P<n>\d+) officers with enforcement "
     r"certificate numbers \(执法证\)", "现场确认违法须至少 {n} 名持执法证的执法人员"),
    (r"the officer confirming must be one of the confirming officers",
     "确认人须是确认的执法人员之一"),
    (r"no weighing is expected at (?P<s>\S+)", "{s} 阶段不接受称重"),
    (r"only an active alarm is acknowledged", "只能确认正在报警的警情"),
    (r"a closed valve reopens only by hand on site \(manual=true\)",
     "已关闭的切断阀只能现场手动打开 (manual=true)"),
    (r"(?P<k>station|venue|device) (?P<i>\S+) is not one of your agency's", "{i} 不属于本机关"),
    (r"(?P<k>station|venue|device) (?P<i>\S+) is not registered", "{i} 未登记"),
    (r"no such public record", "没有该公示记录"),
    (r"no (?P<k>unit|sensor|alarm) (?P<i>\S+)", "没有 {i}"),
    (r"(?P<c>.+): not in GB 18218 表1; give its 表2 category \(e\.g\. W2, J1\)",
     "{c}: 不在 GB 18218 表1 中, 请给出其表2类别 (如 W2, J1)"),
    (r"unit (?P<i>\S+) is not one of your agency's", "{i} 不属于本机关"),
    (r"sensor (?P<i>\S+) is not registered at unit (?P<u>\S+)", "传感器 {i} 未登记在单元 {u}"),
    (r"消警 needs a written reason \(at least 4 characters\)", "消警须写明理由 (至少 4 个字)"),
    (r"limits need low_low < low < high < high_high", "报警限须满足 低低 < 低 < 高 < 高高"),
    (r"(?P<n>\w+) is required", "须填写 {n}"),
    (r"(?P<n>\w+) must be a date YYYY-MM-DD", "{n} 须为 YYYY-MM-DD 格式的日期"),
    (r"(?P<n>\w+) must be a decimal number, e\.g\. (?P<e>\S+)", "{n} 须为小数, 例如 {e}"),
    (r"(?P<n>\w+) must be a positive number", "{n} 须为正数"),
    # enforcement documents (documents service)
    (r"(?P<t>\S+) needs: (?P<f>.*)", "{t}须填写: {f}"),
    (r"(?P<t>\S+) needs a penalty proposal in the case", "{t}须在案件有处罚建议后制作"),
    (r"行政处罚决定书 is made after the decision \(POST \.\.\./decision\)",
     "行政处罚决定书须在作出处罚决定后制作"),
    (r"the decision document (?P<n>\S+) exists already", "处罚决定书 {n} 已制作"),
    (r"法制审核意见书 needs the legal review's outcome in the case",
     "法制审核意见书须在法制审核完成后制作"),
    (r"文书送达回执 needs a document whose service was recorded",
     "文书送达回执须针对已记录送达的文书"),
    (r"the service of (?P<n>\S+) has not been recorded", "{n} 尚未记录送达"),
    (r"the service of (?P<n>\S+) was already recorded", "{n} 的送达已记录"),
    (r"served_document_id names no document of this case", "served_document_id 不是本案文书"),
    (r"留置送达 needs at least one witness \(见证人\)", "留置送达须有至少一名见证人"),
    (r"电子送达 needs the party's written consent \(consent_ref\)",
     "电子送达须有当事人书面同意 (consent_ref)"),
    (r"served_at is in the future", "送达时间不能晚于现在"),
    (r"served_at is before (?P<n>\S+) was issued \((?P<d>[^)]+)\)",
     "送达时间不能早于{n}的制作时间 ({d})"),
    (r"(?P<t>\S+) is kept in the case file, not served on the party",
     "{t}归档备查，不向当事人送达"),
    (r"the case is archived: its (?:record takes no more documents|documents and record take no "
     r"more changes)", "案件已归档，不能再制作或修改文书"),
    (r"the case file is bound at closing.*", "案卷须在结案阶段（或不予处罚、撤销后）装订"),
    (r"documents not yet in the record: (?P<n>.*)", "以下文书尚未写入执法记录: {n}"),
    (r"the case has no documents to bind", "本案没有可装订的文书"),
    (r"the stored PDF of (?P<n>\S+) does not match its SHA-256", "{n} 的存储文件与登记的摘要不符"),
    (r"a refusal to sign is the party's, with a witness named", "拒签须为当事人拒签，并写明见证人"),
    (r"the signature is a PNG image of at most 512 KB", "签名须为不超过 512 KB 的 PNG 图片"),
    (r"the (?P<t>\S+) has no line for a (?P<r>\w+)'s signature", "{t}没有该签名人的签名栏"),
)  # fmt: skip
_COMPILED = tuple((re.compile(en + r"\Z", re.DOTALL), zh) for en, zh in _PATTERNS)


def translate(text: str) -> str | None:
    """The Chinese of an English message, when a pattern knows it."""
    for pattern, zh in _COMPILED:
        m = pattern.match(text)
        if m:
            # A part that is itself a known message is translated too ("...; try again").
            groups = {
                k: translate(v) or v.replace("' or '", "', '") for k, v in m.groupdict().items()
            }
            return zh.format(**groups)
    return None


def negotiate(accept_language: str | None) -> str:
    """zh-CN unless the caller prefers English (RFC 9110 language ranges with q-values)."""
    ranked: list[tuple[float, int, str]] = []
    for i, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        if tag and q > 0:
            ranked.append((-q, i, tag.strip().lower()))
    for _, _, tag in sorted(ranked):
        if tag.startswith("zh") or tag == "*":
            return ZH
        if tag.startswith("en"):
            return EN
    return ZH


def localise(body: dict, language: str) -> dict:
    """`body` (a problem) with its title, detail and validation messages in `language`."""
    slug = str(body.get("type", "")).rsplit("/", 1)[-1]
    kind = BY_SLUG.get(slug)
    out = dict(body)
    if kind is not None:
        out["title"] = kind.zh if language == ZH else kind.en
    if language != ZH:
        return out
    errors = body.get("errors")
    if isinstance(errors, list) and errors:
        out["errors"] = [
            {**e, "msg": translate(str(e.get("msg", ""))) or e.get("msg")}
            if isinstance(e, dict)
            else e
            for e in errors
        ]
        out["detail"] = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', []))}: {e.get('msg')}"
            if e.get("loc")
            else str(e.get("msg"))
            for e in out["errors"]
            if isinstance(e, dict)
        )
    elif isinstance(body.get("detail"), str):
        out["detail"] = translate(body["detail"]) or body["detail"]
    return out


class ProblemLanguage:
    """Rewrites every problem+json answer in the language the caller asks for."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        language = negotiate(Headers(scope=scope).get("accept-language"))
        start: Message | None = None
        chunks: list[bytes] = []

        async def send_localised(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                headers = Headers(raw=message.get("headers", []))
                if headers.get("content-type", "").startswith(MEDIA_TYPE):
                    start = message
                    return
            elif message["type"] == "http.response.body" and start is not None:
                chunks.append(message.get("body", b""))
                if message.get("more_body", False):
                    return
                body = b"".join(chunks)
                try:
                    body = json.dumps(
                        localise(json.loads(body), language), ensure_ascii=False
                    ).encode()
                except (ValueError, AttributeError):
                    pass  # not a JSON object: pass it on as it is
                headers = MutableHeaders(raw=list(start.get("headers", [])))
                headers["content-length"] = str(len(body))
                headers["content-language"] = language
                headers.add_vary_header("Accept-Language")
                await send({**start, "headers": headers.raw})
                await send({"type": "http.response.body", "body": body, "more_body": False})
                return
            await send(message)

        await self.app(scope, receive, send_localised)
