"""Grading a hazard 一般 or 重大 (general or major) by the sector's official criteria.

Each checklist is versioned and cites its standard. The criteria below are excerpts: the
district's safety office keeps them in step with the official text (a new version gets a new
`version`, and a graded hazard keeps the version it was graded by). A hazard is major when
at least one criterion of its sector's checklist holds; the grading names which.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from services.hazards.domain.registry import InvalidHazard, Sector


class Grade(StrEnum):
    general = "general"  # 一般事故隐患
    major = "major"  # 重大事故隐患


GRADE_NAMES = {Grade.general: "一般", Grade.major: "重大"}


@dataclass(frozen=True)
class Criterion:
    criterion_id: str
    text: str
    article: str  # where the standard says it


@dataclass(frozen=True)
class Checklist:
    sector: Sector
    version: str
    standard: str
    issued_by: str  # 文号
    criteria: tuple[Criterion, ...]

    def criterion(self, criterion_id: str) -> Criterion | None:
        return next((c for c in self.criteria if c.criterion_id == criterion_id), None)


CHECKLISTS: dict[Sector, Checklist] = {
    c.sector: c
    for c in (
        Checklist(
            Sector.industry_trade,
            "2023.1",
            "工贸企业重大事故隐患判定标准",
            "应急管理部令第10号 (2023年5月15日施行)",
            (
                Criterion(
                    "gm-4-1",
                    "未对承包单位、承租单位的安全生产工作统一协调、管理, 或者未定期进行安全检查",
                    "第四条第(一)项",
                ),
                Criterion(
                    "gm-4-2",
                    "特种作业人员未按照规定经专门的安全作业培训并取得相应资格, 上岗作业",
                    "第四条第(二)项",
                ),
                Criterion(
                    "gm-4-3",
                    "金属冶炼企业主要负责人、安全生产管理人员未按照规定经考核合格",
                    "第四条第(三)项",
                ),
                Criterion(
                    "gm-dust-1",
                    "粉尘爆炸危险场所设置在非框架结构的多层建(构)筑物内, 或者场所内设有员工"
                    "宿舍、会议室、办公室、休息室等人员聚集场所",
                    "粉尘涉爆企业",
                ),
                Criterion(
                    "gm-dust-3",
                    "干式除尘系统未采取泄爆、惰化、抑爆等任一种爆炸防控措施",
                    "粉尘涉爆企业",
                ),
            ),
        ),
        Checklist(
            Sector.hazardous_chemicals,
            "2017.1",
            "化工和危险化学品生产经营单位重大生产安全事故隐患判定标准(试行)",
            "安监总管三〔2017〕121号",
            (
                Criterion(
                    "hc-1",
                    "危险化学品生产、经营单位主要负责人和安全生产管理人员未依法经考核合格",
                    "第(一)项",
                ),
                Criterion("hc-2", "特种作业人员未持证上岗", "第(二)项"),
                Criterion(
                    "hc-3",
                    "涉及“两重点一重大”的生产装置、储存设施外部安全防护距离不符合国家标准要求",
                    "第(三)项",
                ),
                Criterion(
                    "hc-4",
                    "涉及重点监管危险化工工艺的装置未实现自动化控制, 系统未实现紧急停车功能, "
                    "装备的自动化控制系统、紧急停车系统未投入使用",
                    "第(四)项",
                ),
                Criterion(
                    "hc-5",
                    "构成一级、二级重大危险源的危险化学品罐区未实现紧急切断功能; 涉及毒性气体、"
                    "液化气体、剧毒液体的一级、二级重大危险源罐区未配备独立的安全仪表系统",
                    "第(五)项",
                ),
                Criterion("hc-6", "全压力式液化烃储罐未按国家标准设置注水措施", "第(六)项"),
            ),
        ),
        Checklist(
            Sector.town_gas,
            "2023.1",
            "城镇燃气经营安全重大隐患判定标准",
            "住房和城乡建设部 建质规〔2023〕4号",
            (
                Criterion("tg-licence", "未取得燃气经营许可证从事燃气经营活动", "经营许可"),
                Criterion(
                    "tg-bottle",
                    "向未取得燃气经营许可证的单位或者个人提供用于经营的瓶装燃气",
                    "瓶装燃气经营",
                ),
            ),
        ),
        Checklist(
            Sector.fire,
            "2017.1",
            "重大火灾隐患判定方法",
            "GB 35181-2017",
            (
                Criterion(
                    "fire-direct-1",
                    "生产、储存和装卸易燃易爆危险品的工厂、仓库和专用车站、码头、储罐区, "
                    "未设置在城市的边缘或相对独立的安全地带",
                    "直接判定要素",
                ),
                Criterion(
                    "fire-direct-2", "甲、乙类厂房设置在建筑的地下、半地下室", "直接判定要素"
                ),
                Criterion(
                    "fire-direct-3",
                    "人员密集场所的居住场所采用彩钢夹芯板搭建, 且芯材燃烧性能等级低于A级",
                    "直接判定要素",
                ),
            ),
        ),
        Checklist(
            Sector.construction,
            "2022.1",
            "房屋市政工程生产安全重大事故隐患判定标准(2022版)",
            "建质规〔2022〕2号",
            (
                Criterion("cn-1", "建筑施工企业未取得安全生产许可证擅自从事建筑施工活动", "第四条"),
                Criterion(
                    "cn-2",
                    "施工单位的主要负责人、项目负责人、专职安全生产管理人员未取得安全生产考核"
                    "合格证书从事相关工作",
                    "第四条",
                ),
                Criterion(
                    "cn-3", "建筑施工特种作业人员未取得特种作业人员操作资格证书上岗作业", "第四条"
                ),
            ),
        ),
    )
}


@dataclass(frozen=True)
class Grading:
    grade: Grade
    sector: Sector
    checklist_version: str  # "" for a sector without a checklist
    standard: str
    criteria: tuple[Criterion, ...]  # those that made it major

    def reason(self) -> str:
        if self.grade is Grade.general:
            return "未符合所属行业重大事故隐患判定标准的任何一项, 判定为一般事故隐患"
        items = "; ".join(f"{c.article} {c.text}" for c in self.criteria)
        return f"依据《{self.standard}》({self.checklist_version}) {items}, 判定为重大事故隐患"


def grade(sector: Sector, criteria_met: list[str] | tuple[str, ...]) -> Grading:
    """一般 or 重大: major when any criterion of the sector's checklist holds (each sector's
    判定标准, e.g. 工贸企业重大事故隐患判定标准 2023 Art. 4: "有下列情形之一的, 应当判定为
    重大事故隐患"). A criterion not on the sector's checklist is refused, so a hazard is never
    major by a criterion of another sector; a sector without a checklist grades general only."""
    checklist = CHECKLISTS.get(sector)
    ids = list(dict.fromkeys(criteria_met))
    if checklist is None:
        if ids:
            raise InvalidHazard(f"行业 {sector.value} 没有重大事故隐患判定清单, 只能判定为一般隐患")
        return Grading(Grade.general, sector, "", "", ())
    found = []
    for cid in ids:
        criterion = checklist.criterion(cid)
        if criterion is None:
            raise InvalidHazard(f"判定项 {cid} 不在《{checklist.standard}》的清单中")
        found.append(criterion)
    return Grading(
        Grade.major if found else Grade.general,
        sector,
        checklist.version,
        checklist.standard,
        tuple(found),
    )
