"""一超四罚: the penalty proposals a confirmed truck overload (超限超载) starts.

One overload leads to action against the driver, the carrier (道路运输企业), the loading
source (货运源头单位) and, by a supervision notice (抄告), the responsible authorities. Each
proposal names the discretion benchmark (裁量基准) the review service places its amount in;
the benchmark ids are the rows of review's table (`services/review/domain/benchmarks.py`).

An agency proposes only the fines within its own powers (the event names them): the road
authority (公路管理机构) fines 超限 under 62号令 Art. 43 and the instigation under 公路安全保护
条例 Art. 68; the 超载 fine under 道路交通安全法 Art. 92 and the driver's points are the traffic
police's (公安机关交通管理部门), to whom the overload service sends a referral (抄告/移送).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from services.records.domain.penalties import PenaltyKind, Proposal

ART_43 = "《超限运输车辆行驶公路管理规定》(交通运输部令2016年第62号)第四十三条第一款第(二)项"
ART_43_SIZE = "《超限运输车辆行驶公路管理规定》(交通运输部令2016年第62号)第四十三条第一款第(一)项"
ART_64 = "《公路安全保护条例》第六十四条"
ART_92 = "《中华人民共和国道路交通安全法》第九十二条第二款"
ART_68 = "《公路安全保护条例》第六十八条"
ART_54 = "《超限运输车辆行驶公路管理规定》(交通运输部令2016年第62号)第五十四条"
ONE_FINE = "《中华人民共和国行政处罚法》第二十九条"  # one act, one fine: the higher one

OVERLIMIT = ("jt62-43-overlimit", "overlimit-transport")
OVERLOAD = ("rtsl-92-overload", "overload-rated-load")
INSTIGATION = ("gl-68-instigation", "overload-instigation")
SIZE = ("jt62-43-size", "overlimit-dimensions")  # the dimensions alone, Art. 43(1)(一)

ROAD_AUTHORITY = "road-authority"  # 公路管理机构 / 交通运输综合执法机构
TRAFFIC_POLICE = "traffic-police"  # 公安机关交通管理部门
DEFAULT_POWERS = frozenset({ROAD_AUTHORITY})

# (local) The proposed fine for instigation: the middle of the district's band for the
# circumstance (review's gl-68-instigation v1: ordinary 10,001-20,000, serious 20,001-30,000).
INSTIGATION_YUAN = {"ordinary": 15_000, "serious": 25_000}


@dataclass(frozen=True)
class ConfirmedOverload:
    """What the officers confirmed at the station, as the overload rules worked it out."""

    plate: str
    gross_t: Decimal
    limit_t: Decimal
    over_t: Decimal  # after the scale's tolerance
    fine_yuan: int  # 62号令 Art. 43
    fine_rule: str
    overload_percent: Decimal | None  # over the rated load; None when unknown
    overload_fine_yuan: int  # 道路交通安全法 Art. 92 tier
    overload_rule: str
    hundred_tonne_king: bool  # 百吨王
    cargo: str = ""
    powers: frozenset[str] = field(default=DEFAULT_POWERS)  # the confirming agency's
    referred_to: tuple[str, ...] = ()  # agencies the other matters went to
    size_violations: tuple[str, ...] = ()  # dimensions over 62号令 Art. 3 (一)–(三)

    @property
    def circumstance(self) -> str:
        """百吨王, the heaviest offenders, are serious; every other confirmed case ordinary."""
        return "serious" if self.hundred_tonne_king else "ordinary"

    def describe(self) -> str:
        """The facts (违法事实) as the proposal and the case record state them."""
        text = (
            f"车辆{self.plate}车货总质量{self.gross_t}吨, 超过限定标准{self.limit_t}吨, "
            f"扣除称重误差后超限{self.over_t}吨"
        )
        if self.size_violations:
            text += f"; 外廓尺寸超限: {', '.join(self.size_violations)}"
        if self.cargo:
            text += f", 装载{self.cargo}"
        if self.overload_percent is not None and self.overload_percent > 0:
            text += f"; 超过核定载质量{self.overload_percent}%"
        if self.hundred_tonne_king:
            text += "; 属“百吨王”"
        return text + "。经两名持执法证的执法人员在超限检测站现场确认。"


def overload_circumstance(percent: Decimal) -> str:
    """Art. 92 para. 2: at most 30 % over is minor; 100 % or more serious (DOMAIN's tiers)."""
    if percent <= 30:
        return "minor"
    return "ordinary" if percent < 100 else "serious"


def driver_proposal(v: ConfirmedOverload) -> Proposal | None:
    """The driver: the fines within the agency's powers, the higher one when it holds both.

    62号令 Art. 43(1)(2) (on 公路安全保护条例 Art. 64): up to 1 t over a warning, above that
    500 yuan per tonne over, at most 30,000: the road authority's. 道路交通安全法 Art. 92
    para. 2: 200-500 yuan, 500-2,000 over 30 %: the traffic police's. Both punish the one act
    of driving the overloaded truck; 行政处罚法 Art. 29 allows one fine for one act, by the
    provision with the higher amount, which an agency holding both powers applies itself and
    an agency holding one leaves to the referral. None when the agency holds neither.
    """
    road, police = ROAD_AUTHORITY in v.powers, TRAFFIC_POLICE in v.powers
    art43 = v.fine_yuan if road else 0
    art92 = v.overload_fine_yuan if police else 0
    both = art43 > 0 and art92 > 0
    referred = f" 其余事项已移送{'、'.join(v.referred_to)}。" if v.referred_to else ""
    if police and art92 > art43 and v.overload_percent is not None:
        return Proposal(
            kinds=(PenaltyKind.fine,),
            fine_yuan=v.overload_fine_yuan,
            legal_basis=(ART_92, ONE_FINE) if both else (ART_92,),
            facts=f"{v.describe()} {v.overload_rule}{referred}",
            benchmark_id=OVERLOAD[0],
            violation_type=OVERLOAD[1],
            circumstance=overload_circumstance(v.overload_percent),
        )
    if not road:
        return None
    # Art. 43(1)(二) for the mass, (一) for the dimensions; both add up (Art. 43 para. 2).
    art43_items = (
        *((ART_43,) if v.over_t > 0 or not v.size_violations else ()),
        *((ART_43_SIZE,) if v.size_violations else ()),
    )
    size_only = v.over_t <= 0 and bool(v.size_violations)
    if size_only and v.fine_yuan > 0:
        # The verdict proposes the lowest of the law's band: 200 (ordinary) or 1,000 (serious).
        return Proposal(
            kinds=(PenaltyKind.fine,),
            fine_yuan=v.fine_yuan,
            legal_basis=(ART_64, ART_43_SIZE),
            facts=f"{v.describe()} {v.fine_rule}{referred}",
            benchmark_id=SIZE[0],
            violation_type=SIZE[1],
            circumstance="serious" if v.fine_yuan >= 1000 else "ordinary",
        )
    if v.fine_yuan > 0:
        return Proposal(
            kinds=(PenaltyKind.fine,),
            fine_yuan=v.fine_yuan,
            legal_basis=(ART_64, *art43_items, ONE_FINE) if both else (ART_64, *art43_items),
            facts=f"{v.describe()} {v.fine_rule}{referred}",
            benchmark_id=OVERLIMIT[0],
            violation_type=OVERLIMIT[1],
            circumstance=v.circumstance,
        )
    return Proposal(
        kinds=(PenaltyKind.warning,),
        legal_basis=(ART_64, *art43_items),
        facts=f"{v.describe()} {v.fine_rule}{referred}",
        benchmark_id=SIZE[0] if size_only else OVERLIMIT[0],
        violation_type=SIZE[1] if size_only else OVERLIMIT[1],
        circumstance="minor",
    )


def instigation_proposal(v: ConfirmedOverload, role: str) -> Proposal | None:
    """The carrier or the loading source: 指使、强令车辆驾驶人超限运输货物.

    公路安全保护条例 Art. 68 and 62号令 Art. 54: the road transport authority orders it
    corrected and fines up to 30,000 yuan. The instruction itself is what the investigation
    must establish; without it the case ends with no penalty (不予处罚). The road
    authority's power: None for an agency without it.
    """
    if ROAD_AUTHORITY not in v.powers:
        return None
    circumstance = v.circumstance
    return Proposal(
        kinds=(PenaltyKind.fine,),
        fine_yuan=INSTIGATION_YUAN[circumstance],
        legal_basis=(ART_68, ART_54),
        facts=f"{v.describe()} {role}涉嫌指使、强令车辆驾驶人超限运输货物。",
        benchmark_id=INSTIGATION[0],
        violation_type=INSTIGATION[1],
        circumstance=circumstance,
    )
