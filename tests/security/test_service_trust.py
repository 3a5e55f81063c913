"""Issue 13, item 8: services trust only their callers.

On the embedded stack as `make run` starts it: a raw gRPC call to a service without the
gateway's service token is refused (reading cases with ID numbers, posting unsigned gas
events), while the same data flows through the gateway; SeaweedFS's filer and volume ports
refuse anonymous reads and writes of stored objects; nothing listens beyond loopback.
"""

from __future__ import annotations

import contextlib
import socket
from pathlib import Path

import grpc
import httpx
import pytest

from enforcement.gas.v1 import gas_pb2, gas_pb2_grpc
from enforcement.records.v1 import records_pb2, records_pb2_grpc
from services.chassis.service_auth import ServiceTokenSigner, make_key_pair
from tests.security.conftest import AGENCY

pytestmark = pytest.mark.e2e

GAS_DETECTOR = "gas-det-0001"  # a demo device of the seeded district


def grpc_code(call) -> grpc.StatusCode:
    try:
        call()
    except grpc.RpcError as exc:
        return exc.code()
    return grpc.StatusCode.OK


@pytest.fixture(scope="module")
def records_channel(stack):
    with grpc.insecure_channel(f"127.0.0.1:{stack.ports['records']}") as channel:
        yield records_pb2_grpc.RecordsServiceStub(channel)


def list_cases(stub, **kw):
    request = records_pb2.ListCasesRequest(agency_id=AGENCY, page_size=5)
    return stub.ListCases(request, timeout=10, **kw)


def test_a_raw_grpc_read_of_cases_without_the_service_token_is_refused(
    stack, records_channel, officer, case
):
    # The gateway, holding the key, still reads the case.
    assert officer.get(f"/v1/cases/{case['case_id']}").status_code == 200
    assert grpc_code(lambda: list_cases(records_channel)) is grpc.StatusCode.UNAUTHENTICATED
    # And the deployment's own key is what opens it (the test is not refused for other reasons).
    signer = stack.service_token_signer()
    reply = list_cases(records_channel, metadata=signer.metadata("records"))
    assert reply.cases


def test_a_token_minted_with_another_key_or_for_another_service_is_refused(stack, records_channel):
    stranger = ServiceTokenSigner(make_key_pair()[0])
    code = grpc_code(lambda: list_cases(records_channel, metadata=stranger.metadata("records")))
    assert code is grpc.StatusCode.UNAUTHENTICATED
    for_gas = stack.service_token_signer().metadata("gas")
    code = grpc_code(lambda: list_cases(records_channel, metadata=for_gas))
    assert code is grpc.StatusCode.UNAUTHENTICATED


def test_unsigned_gas_events_sent_straight_to_the_service_are_refused(stack):
    event = gas_pb2.DeviceEvent(seq=9_000_001, type="alarm", lel=60, level=2)
    with grpc.insecure_channel(f"127.0.0.1:{stack.ports['gas']}") as channel:
        stub = gas_pb2_grpc.GasServiceStub(channel)
        request = gas_pb2.IngestEventsRequest(device_id=GAS_DETECTOR, events=[event])
        code = grpc_code(lambda: stub.IngestEvents(request, timeout=10))
    assert code is grpc.StatusCode.UNAUTHENTICATED


def test_health_checks_stay_open_without_a_token(stack):
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    with grpc.insecure_channel(f"127.0.0.1:{stack.ports['records']}") as channel:
        reply = health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(), timeout=5
        )
    assert reply.status == health_pb2.HealthCheckResponse.SERVING


def test_seaweedfs_filer_and_volume_ports_refuse_anonymous_access(stack, case):
    ports = stack.s3.ports
    # The filer would list and serve every bucket's objects over plain HTTP.
    for path in ("/buckets/", "/buckets/records-evidence/", "/buckets/tansu/"):
        r = httpx.get(f"http://127.0.0.1:{ports['filer']}{path}", timeout=10)
        assert r.status_code == 401, (path, r.status_code, r.text[:200])
    # weed serves the filer on a unix socket as well (owner-only); the JWT guards it too.
    sock = Path(f"/tmp/seaweedfs-filer-{ports['filer']}.sock")
    if sock.exists():
        with httpx.Client(transport=httpx.HTTPTransport(uds=str(sock))) as local:
            r = local.get("http://filer/buckets/records-evidence/", timeout=10)
        assert r.status_code == 401, r.text[:200]
    # A volume server reads and writes blobs by file id; without the JWT neither works.
    assign = httpx.get(f"http://127.0.0.1:{ports['master']}/dir/assign", timeout=10).json()
    fid_url = f"http://{assign['url']}/{assign['fid']}"
    written = httpx.post(fid_url, files={"file": ("x", b"forged")}, timeout=10)
    assert written.status_code == 401, written.text
    assert httpx.get(fid_url, timeout=10).status_code == 401
    # The S3 API itself answers only signed requests.
    assert httpx.get(f"{stack.s3.s3_url}/records-evidence/", timeout=10).status_code == 403


def _non_loopback_address() -> str | None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("10.255.255.255", 1))  # no packet is sent; picks the outgoing address
        except OSError:
            return None
        address = s.getsockname()[0]
    return None if address.startswith("127.") else address


def test_no_embedded_process_listens_beyond_loopback(stack):
    address = _non_loopback_address()
    if address is None:
        pytest.skip("this machine has no address besides loopback")
    ports = {
        **{f"stack:{name}": port for name, port in stack.ports.items()},
        **{f"seaweedfs:{name}": port for name, port in stack.s3.ports.items()},
        "tansu": stack.kafka.port,
    }
    reachable = []
    for name, port in ports.items():
        with contextlib.suppress(OSError), socket.create_connection((address, port), timeout=2):
            reachable.append(f"{name} {address}:{port}")
    assert not reachable
