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


def _bands(*triples: tuple[str, int, int]) -> tuple[Band, ...]:
    return tuple(Band(c, lo, hi) for c, lo, hi in triples)


# Version 1 of the district's table; a new version is a new row, old proposals keep theirs.
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
)
