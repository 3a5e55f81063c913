"""Discretion benchmarks (行政处罚裁量基准): where a proposed amount sits.

A benchmark is versioned per violation type: the legal range the law allows and, inside it,
a band per circumstance (minor / ordinary / serious). An amount outside the legal range is an
error; outside its band it is a departure that needs a written reason (and makes the
decision major).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Band:
    circumstance: str  # minor (轻微), ordinary (一般), serious (严重)
    low_yuan: int
    high_yuan: int


@dataclass(frozen=True)
class Benchmark:
    benchmark_id: str
    version: int
    violation_type: str
    title: str
    legal_basis: str
    legal_min_yuan: int
    legal_max_yuan: int
    bands: tuple[Band, ...]

    def band(self, circumstance: str) -> Band | None:
        return next((b for b in self.bands if b.circumstance == circumstance), None)


@dataclass(frozen=True)
class Placement:
    finding: str  # within-band, departure, outside-legal-range, no-band
    message: str
    band: Band | None

    @property
    def is_error(self) -> bool:
        return self.finding == "outside-legal-range"

    @property
    def departs(self) -> bool:
        return self.finding == "departure"


def place(amount_yuan: int, circumstance: str, benchmark: Benchmark) -> Placement:
    if not benchmark.legal_min_yuan <= amount_yuan <= benchmark.legal_max_yuan:
        return Placement(
            "outside-legal-range",
            f"{amount_yuan:,} yuan is outside the legal range "
            f"{benchmark.legal_min_yuan:,}-{benchmark.legal_max_yuan:,} yuan "
            f"of {benchmark.legal_basis}",
            None,
        )
    band = benchmark.band(circumstance)
    if band is None:
        return Placement(
            "no-band",
            f"the benchmark has no band for circumstance {circumstance!r}",
            None,
        )
    if band.low_yuan <= amount_yuan <= band.high_yuan:
        return Placement(
            "within-band",
            f"{amount_yuan:,} yuan is within the {circumstance} band "
            f"{band.low_yuan:,}-{band.high_yuan:,} yuan",
            band,
        )
    return Placement(
        "departure",
        f"{amount_yuan:,} yuan departs from the {circumstance} band "
        f"{band.low_yuan:,}-{band.high_yuan:,} yuan; a written reason is required",
        band,
    )


# Case domains (records' `domain`) a benchmark's violation type can occur in. The 安全生产法
# rows apply to every production and business unit (生产经营单位), whatever its field; the
# overload rows only to road transport (超限超载).
ROAD_TRANSPORT_VIOLATIONS = frozenset(
    {"overlimit-transport", "overload-rated-load", "overload-instigation"}
)
ALL_DOMAINS = (
    "hazardous-chemicals",
    "gas",
    "road-transport",
    "construction",
    "fire",
    "mining",
    "industry-trade",
    "special-equipment",
    "other",
)


def benchmark_domains(benchmark: Benchmark) -> tuple[str, ...]:
    """The case domains a benchmark applies to, for picking one on the phone."""
    if benchmark.violation_type in ROAD_TRANSPORT_VIOLATIONS:
        return ("road-transport",)
    return ALL_DOMAINS


def _bands(*triples: tuple[str, int, int]) -> tuple[Band, ...]:
    return tuple(Band(c, lo, hi) for c, lo, hi in triples)


# Version 1 of the district's table; a new version is a new row, old proposals keep theirs.
# Review migration 0002 seeded the four 安全生产法 rows, 0003 the three overload rows, 0004 the
# overload dimensions row.
DEFAULT_BENCHMARKS: tuple[Benchmark, ...] = (
    Benchmark(
        "aq-101-major-hazard",
        1,
        "major-hazard-unregistered",
        "未对重大危险源登记建档或者进行评估、监控",
        "《中华人民共和国安全生产法》第一百零一条",
        0,
        100_000,
        _bands(
            ("minor", 10_000, 30_000), ("ordinary", 30_001, 60_000), ("serious", 60_001, 100_000)
        ),
    ),
    Benchmark(
        "aq-102-hidden-danger",
        1,
        "hidden-danger-unrectified",
        "未采取措施消除事故隐患",
        "《中华人民共和国安全生产法》第一百零二条",
        0,
        50_000,
        _bands(("minor", 5_000, 10_000), ("ordinary", 10_001, 30_000), ("serious", 30_001, 50_000)),
    ),
    Benchmark(
        "aq-99-safety-equipment",
        1,
        "safety-equipment-missing",
        "安全设备的安装、使用、检测、改造和报废不符合国家标准或者行业标准 (含燃气泄漏报警装置)",
        "《中华人民共和国安全生产法》第九十九条",
        0,
        200_000,
        _bands(
            ("minor", 5_000, 20_000), ("ordinary", 20_001, 50_000), ("serious", 50_001, 200_000)
        ),
    ),
    Benchmark(
        "aq-97-training",
        1,
        "no-safety-training",
        "未按照规定对从业人员进行安全生产教育和培训",
        "《中华人民共和国安全生产法》第九十七条",
        0,
        100_000,
        _bands(
            ("minor", 5_000, 20_000), ("ordinary", 20_001, 50_000), ("serious", 50_001, 100_000)
        ),
    ),
    # 违法超限运输 (62号令 Art. 43(1)(2)): a warning up to 1 t over, then 500 yuan per tonne
    # over, at most 30,000. The amount follows from the tonnes, so no circumstance narrows
    # it: every band is the whole fine range and the placement checks the legal range.
    Benchmark(
        "jt62-43-overlimit",
        1,
        "overlimit-transport",
        "车货总质量超过限定标准 (违法超限运输)",
        "《公路安全保护条例》第六十四条；"
        "《超限运输车辆行驶公路管理规定》(交通运输部令2016年第62号)第四十三条第一款第(二)项",
        0,
        30_000,
        _bands(("minor", 500, 30_000), ("ordinary", 500, 30_000), ("serious", 500, 30_000)),
    ),
    # 超载 against the rated load (道路交通安全法 Art. 92 para. 2): 200-500 yuan up to 30 %
    # over, 500-2,000 beyond; the ordinary and serious bands follow DOMAIN's typical tiering
    # (1,000 from 50 % to under 100 %, 2,000 from 100 %).
    Benchmark(
        "rtsl-92-overload",
        1,
        "overload-rated-load",
        "货运机动车超过核定载质量 (超载)",
        "《中华人民共和国道路交通安全法》第九十二条第二款",
        200,
        2_000,
        _bands(("minor", 200, 500), ("ordinary", 500, 1_000), ("serious", 1_000, 2_000)),
    ),
    # 指使、强令车辆驾驶人超限运输货物: the national fine against a carrier (道路运输企业) or
    # a loading source (货运源头单位), up to 30,000. The bands are this district's (local)
    # choice, the legal range in thirds.
    Benchmark(
        "gl-68-instigation",
        1,
        "overload-instigation",
        "指使、强令车辆驾驶人超限运输货物 (道路运输企业、货运源头单位)",
        "《公路安全保护条例》第六十八条；"
        "《超限运输车辆行驶公路管理规定》(交通运输部令2016年第62号)第五十四条",
        0,
        30_000,
        _bands(("minor", 0, 10_000), ("ordinary", 10_001, 20_000), ("serious", 20_001, 30_000)),
    ),
    # 外廓尺寸超限 alone (62号令 Art. 43(1)(一)): the law's own three bands, by how far out the
    # vehicle is: within 4.2 m high, 3 m wide, 20 m long up to 200; within 4.5 m, 3.75 m,
    # 28 m 200-1,000; beyond 1,000-3,000. With a mass over the limit as well the fines add up
    # (Art. 43 para. 2) and the proposal is placed in jt62-43-overlimit.
    Benchmark(
        "jt62-43-size",
        1,
        "overlimit-dimensions",
        "车货外廓尺寸超过限定标准 (违法超限运输)",
        "《公路安全保护条例》第六十四条；"
        "《超限运输车辆行驶公路管理规定》(交通运输部令2016年第62号)第四十三条第一款第(一)项",
        0,
        3_000,
        _bands(("minor", 0, 200), ("ordinary", 200, 1_000), ("serious", 1_000, 3_000)),
    ),
)
