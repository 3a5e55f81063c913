"""Overload fixtures: a migrated database and weighings as stations send them."""

from __future__ import annotations

from pathlib import Path

import pytest
import uuid_utils

from enforcement.common.v1 import common_pb2
from enforcement.overload.v1 import overload_events_pb2, overload_pb2
from services.chassis.db import Database, make_engine, migrate

MIGRATIONS = Path(__file__).resolve().parents[2] / "services" / "overload" / "migrations"
AGENCY = "xinbei-yjj"
# The two certified officers at the station who confirm a static reading on site.
OFFICERS = (
    common_pb2.Officer(officer_id="u-zhang", name="张伟", certificate_no="32041120001"),
    common_pb2.Officer(officer_id="u-li", name="李娜", certificate_no="32041120002"),
)


@pytest.fixture
def overload_db(db_url):
    engine = make_engine(db_url)
    migrate(engine, MIGRATIONS)
    database = Database(engine)
    yield database
    database.dispose()


def weighing(
    gross_t: str,
    *,
    plate: str = "苏D12345",
    scale: str = "static",
    axles: int = 6,
    kind: str = "combination",
    station: str = "s-luoxi",
    officers=OFFICERS,
    **changes,
) -> overload_pb2.RecordWeighingRequest:
    """A weighing entered by the officers on site (`officers=()`: as a station device posts)."""
    party = overload_events_pb2.Party
    base = dict(
        client_weighing_id=f"w-{uuid_utils.uuid7()}",
        station_id=station,
        agency_id=AGENCY,
        town="罗溪镇",
        recorded_by=officers[0].officer_id if officers else station,
        officers=officers,
        plate=plate,
        vehicle=overload_pb2.Vehicle(kind=kind, axles=axles),
        scale=(
            overload_pb2.ScaleInfo(kind="static", accuracy_class="III", interval_kg=20)
            if scale == "static"
            else overload_pb2.ScaleInfo(kind="wim", accuracy_class="5")
        ),
        gross_t=gross_t,
        rated_load_t="35",
        curb_mass_t="15",
        cargo="砂石",
        driver=party(name="赵六", id_number="11010519491231002X"),
        carrier=party(name="常州某运输有限公司", credit_code="914403001922038216"),
        loading_source=party(name="某砂石场", credit_code="91110108551385082Q"),
    )
    return overload_pb2.RecordWeighingRequest(**{**base, **changes})
