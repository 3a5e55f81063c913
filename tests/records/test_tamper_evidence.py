"""Evidence uploads against the real S3 server, and tamper detection by the verifier.

The tamper tests change stored bytes behind the service's back, as an insider with database
or storage access could, and expect the verifier to name the entry that no longer holds.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import httpx
import pytest
import sqlalchemy as sa

from services.records import db, evidence, handlers, transparency
from services.records.domain import merkle
from services.records.domain.entries import canonical_bytes, seal
from services.records.domain.treehead import TreeHeadSigner, verify_tree_head
from services.records.verify import verify
from tests.conftest import S3_KEYS

from .conftest import meta, open_case, uid

pytestmark = pytest.mark.integration

BUCKET = "records-evidence-tests"
SIGNER = TreeHeadSigner(base64.b64encode(b"k" * 32).decode())
POLICY = evidence.UploadPolicy(
    bucket=BUCKET,
    url_ttl=timedelta(minutes=5),
    multipart_threshold=6 * 1024 * 1024,
    part_size=5 * 1024 * 1024,
    max_size=50 * 1024 * 1024,
)


@pytest.fixture
def store(object_store):
    object_store.ensure_bucket(BUCKET)
    return object_store


def upload(database, store, case, data: bytes, media_type="video/mp4", *, declared=None, slot=None):
    """Ask for a slot, PUT the bytes as a phone would, confirm. Returns (slot, entry)."""
    digest = declared or hashlib.sha256(data).hexdigest()
    client_slot_id = slot or uid("slot")
    s = evidence.request_slot(
        database,
        store,
        store,
        POLICY,
        case_id=case.case_id,
        client_slot_id=client_slot_id,
        sha256=digest,
        size=len(data),
        media_type=media_type,
        filename="clip.mp4",
        actor_id="u-zhang",
        agency_id=case.agency_id,
    )
    parts = []
    if s.put_url:
        assert httpx.put(s.put_url, content=data).status_code == 200
    for number, url, size in s.parts:
        start = (number - 1) * s.parts[0][2]
        r = httpx.put(url, content=data[start : start + size])
        assert r.status_code == 200
        parts.append((number, r.headers["ETag"]))
    entry, _ = evidence.confirm_upload(
        database,
        store,
        POLICY,
        slot_id=s.slot_id,
        case_id=case.case_id,
        parts=parts,
        caption="现场视频",
        relates_to_entry_id="",
        meta=meta(),
    )
    return s, entry


def signed_report(database, store, case_ids=None):
    head = transparency.current_tree_head(database, SIGNER)
    return verify(database, store, BUCKET, SIGNER.public_key_b64, case_ids, head)


def test_an_uploaded_photo_is_verified_then_attached(records_db, store):
    case = open_case(records_db)
    data = os.urandom(200_000)
    slot, entry = upload(records_db, store, case, data, "image/jpeg")
    assert entry.kind == "evidence"
    assert entry.evidence[0].sha256 == hashlib.sha256(data).hexdigest()
    # Sealed under a key no upload URL named, typed as declared; the upload itself is gone.
    assert entry.evidence[0].object_key == f"attached/{slot.object_key}"
    assert slot.object_key.startswith(f"{case.case_id}/{slot.slot_id}/")
    assert store.stat(BUCKET, slot.object_key) is None
    assert store.stat(BUCKET, entry.evidence[0].object_key).content_type == "image/jpeg"
    # Asking again for the same slot returns the attached entry, not a new upload.
    again = evidence.request_slot(
        records_db, store, store, POLICY, case_id=case.case_id,
        client_slot_id=_client_slot(records_db, slot.slot_id), sha256=entry.evidence[0].sha256,
        size=len(data), media_type="image/jpeg", filename="", actor_id="u-zhang",
        agency_id=case.agency_id,
    )  # fmt: skip
    assert again.status == "attached" and again.entry.entry_id == entry.entry_id


def test_a_reviewer_gets_download_links_that_return_the_verified_bytes(records_db, store):
    case = open_case(records_db)
    data = os.urandom(20_000)
    _, entry = upload(records_db, store, case, data, "image/jpeg")
    [(linked, ref, url, _)] = evidence.evidence_links(
        records_db, store, POLICY, case_id=case.case_id, agency_id=case.agency_id
    )
    assert linked.entry_id == entry.entry_id and ref.sha256 == hashlib.sha256(data).hexdigest()
    assert httpx.get(url).content == data
    with pytest.raises(handlers.NotFound):
        evidence.evidence_links(records_db, store, POLICY, case_id=case.case_id, agency_id="x")


def _client_slot(database, slot_id):
    with database.read() as conn:
        return db.get_slot(conn, slot_id).client_slot_id


def test_a_large_video_uploads_in_parts(records_db, store):
    case = open_case(records_db)
    data = os.urandom(11 * 1024 * 1024 + 123)
    slot, entry = upload(records_db, store, case, data)
    assert len(slot.parts) == 3 and not slot.put_url
    assert entry.evidence[0].size == len(data)


def test_a_mismatch_is_refused_and_the_slot_can_be_retried(records_db, store):
    case = open_case(records_db)
    good = os.urandom(50_000)
    digest = hashlib.sha256(good).hexdigest()
    client_slot_id = uid("slot")
    # The URL is bound to the declared SHA-256: the storage itself refuses other bytes ...
    with pytest.raises(AssertionError):
        upload(records_db, store, case, os.urandom(50_000), declared=digest, slot=client_slot_id)
    # ... and bytes stored past it (a server that keeps no checksum) are read and refused.
    s = evidence.request_slot(
        records_db, store, store, POLICY, case_id=case.case_id, client_slot_id=client_slot_id,
        sha256=digest, size=len(good), media_type="video/mp4", filename="", actor_id="u-zhang",
        agency_id=case.agency_id,
    )  # fmt: skip
    store.put_bytes(BUCKET, s.object_key, os.urandom(50_000))
    with pytest.raises(evidence.EvidenceMismatch, match="SHA-256"):
        evidence.confirm_upload(
            records_db, store, POLICY, slot_id=s.slot_id, case_id=case.case_id, parts=[],
            caption="", relates_to_entry_id="", meta=meta(),
        )  # fmt: skip
    assert store.stat(BUCKET, f"attached/{s.object_key}") is None  # no sealed copy is left
    assert handlers.get_case(records_db, case.case_id).entry_count == 1
    _, entry = upload(records_db, store, case, good, slot=client_slot_id)
    assert entry.evidence[0].sha256 == digest


def test_confirming_before_uploading_says_nothing_arrived(records_db, store):
    case = open_case(records_db)
    s = evidence.request_slot(
        records_db, store, store, POLICY, case_id=case.case_id, client_slot_id=uid("slot"),
        sha256="a" * 64, size=10, media_type="image/png", filename="", actor_id="u-zhang",
        agency_id=case.agency_id,
    )  # fmt: skip
    with pytest.raises(evidence.EvidenceMismatch, match="nothing was uploaded"):
        evidence.confirm_upload(
            records_db, store, POLICY, slot_id=s.slot_id, case_id=case.case_id, parts=[],
            caption="", relates_to_entry_id="", meta=meta(),
        )  # fmt: skip


@pytest.mark.parametrize(
    ("sha", "size", "media", "message"),
    [
        ("XYZ", 10, "image/png", "sha256"),
        ("a" * 64, 0, "image/png", "size"),
        ("a" * 64, 10, "text/html", "media_type"),
    ],
)
def test_bad_slot_requests_are_refused(records_db, store, sha, size, media, message):
    case = open_case(records_db)
    with pytest.raises(Exception, match=message):
        evidence.request_slot(
            records_db, store, store, POLICY, case_id=case.case_id, client_slot_id=uid("slot"),
            sha256=sha, size=size, media_type=media, filename="", actor_id="u-zhang",
            agency_id=case.agency_id,
        )  # fmt: skip


def test_an_untouched_record_verifies(records_db, store):
    case = open_case(records_db)
    upload(records_db, store, case, os.urandom(1000), "image/jpeg")
    handlers.append_entry(
        records_db, case_id=case.case_id, kind="note", payload={"t": "x"},
        corrects_entry_id="", meta=meta(),
    )  # fmt: skip
    report = signed_report(records_db, store)
    assert report.ok, report.problems
    assert report.entries == 3 and report.evidence_objects == 1


def test_one_flipped_byte_in_the_database_is_found_with_its_entry(records_db, store):
    case = open_case(records_db)
    target, _ = handlers.append_entry(
        records_db, case_id=case.case_id, kind="note", payload={"text": "罚款 5000 元"},
        corrects_entry_id="", meta=meta(),
    )  # fmt: skip
    handlers.append_entry(
        records_db, case_id=case.case_id, kind="note", payload={"text": "later"},
        corrects_entry_id="", meta=meta(),
    )  # fmt: skip
    assert signed_report(records_db, store).ok
    with records_db.unit_of_work() as uow:
        stored = uow.conn.execute(
            sa.select(db.entries.c.payload).where(db.entries.c.entry_id == target.entry_id)
        ).scalar_one()
        changed = stored.replace("5000", "500O")  # one byte
        uow.conn.execute(
            db.entries.update()
            .where(db.entries.c.entry_id == target.entry_id)
            .values(payload=changed)
        )
        uow.commit()
    report = signed_report(records_db, store)
    assert not report.ok
    assert {p.entry_id for p in report.problems} == {target.entry_id}
    assert any("does not match its hash" in p.what for p in report.problems)


def test_rewriting_an_entry_with_its_hashes_is_caught_by_the_signed_log(records_db, store):
    """An insider who recomputes the entry's hash and chain still cannot match the log."""
    case = open_case(records_db)
    target, _ = handlers.append_entry(
        records_db, case_id=case.case_id, kind="note", payload={"text": "A"},
        corrects_entry_id="", meta=meta(),
    )  # fmt: skip
    transparency.current_tree_head(records_db, SIGNER)
    forged = seal(replace(target, payload={"text": "B"}))
    with records_db.unit_of_work() as uow:
        uow.conn.execute(
            db.entries.update()
            .where(db.entries.c.entry_id == target.entry_id)
            .values(payload='{"text":"B"}', entry_hash=forged.entry_hash)
        )
        uow.conn.execute(
            db.cases.update()
            .where(db.cases.c.case_id == case.case_id)
            .values(head_hash=forged.entry_hash)
        )
        uow.commit()
    report = signed_report(records_db, store, [case.case_id])
    assert not report.ok
    assert target.entry_id in {p.entry_id for p in report.problems}
    assert any("log leaf" in p.what or "included" in p.what for p in report.problems)


def test_one_flipped_byte_in_an_evidence_object_is_found_with_its_entry(records_db, store):
    case = open_case(records_db)
    data = bytearray(os.urandom(100_000))
    _, entry = upload(records_db, store, case, bytes(data), "image/jpeg")
    data[5000] ^= 0x01
    store.put_bytes(BUCKET, entry.evidence[0].object_key, bytes(data))
    report = signed_report(records_db, store, [case.case_id])
    assert [(p.entry_id, "hash-mismatch" in p.what) for p in report.problems] == [
        (entry.entry_id, True)
    ]


def test_proofs_from_the_log_verify_against_its_signed_head(records_db):
    case = open_case(records_db)
    first_head = transparency.current_tree_head(records_db, SIGNER)
    entry, _ = handlers.append_entry(
        records_db, case_id=case.case_id, kind="note", payload={"n": 1},
        corrects_entry_id="", meta=meta(),
    )  # fmt: skip
    proof = transparency.inclusion_proof(records_db, SIGNER, entry.entry_id, case.agency_id)
    head = proof.tree_head
    assert verify_tree_head(head, SIGNER.public_key_b64)
    leaf = merkle.leaf_hash(canonical_bytes(entry))
    assert proof.leaf_hash == leaf.hex()
    assert merkle.verify_inclusion(
        leaf,
        entry.leaf_index,
        head.tree_size,
        [bytes.fromhex(p) for p in proof.audit_path],
        bytes.fromhex(head.root_hash),
    )
    consistency, second = transparency.consistency_proof(
        records_db, SIGNER, first_head.tree_size, head.tree_size
    )
    assert merkle.verify_consistency(
        first_head.tree_size,
        second.tree_size,
        bytes.fromhex(first_head.root_hash),
        bytes.fromhex(second.root_hash),
        [bytes.fromhex(p) for p in consistency],
    )
    with pytest.raises(LookupError):
        transparency.inclusion_proof(records_db, SIGNER, entry.entry_id, "other-agency")


def test_the_verify_command_passes_an_intact_record_and_names_a_broken_entry(
    records_db, store, seaweedfs, db_url
):
    case = open_case(records_db)
    _, photo = upload(records_db, store, case, os.urandom(3000), "image/jpeg")
    env = {
        **os.environ,
        "RECORDS_DATABASE_URL": db_url,
        "RECORDS_LOG_SIGNING_KEY": base64.b64encode(b"k" * 32).decode(),
        "RECORDS_S3_ENDPOINT": seaweedfs.endpoint,
        "RECORDS_S3_ACCESS_KEY": S3_KEYS["access_key"],
        "RECORDS_S3_SECRET_KEY": S3_KEYS["secret_key"],
        "RECORDS_EVIDENCE_BUCKET": BUCKET,
    }
    command = [sys.executable, "-m", "services.records.verify", "--case", case.case_id]
    ok = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "OK" in ok.stdout and "1 evidence objects" in ok.stdout
    store.put_bytes(BUCKET, photo.evidence[0].object_key, b"not the photo")
    broken = subprocess.run(
        [*command, "--json"], env=env, capture_output=True, text=True, timeout=120
    )
    assert broken.returncode == 1
    report = json.loads(broken.stdout)
    assert report["ok"] is False
    assert [p["entry_id"] for p in report["problems"]] == [photo.entry_id]


def _note(database, case, text: str):
    handlers.append_entry(
        database, case_id=case.case_id, kind="note", payload={"text": text},
        corrects_entry_id="", meta=meta(),
    )  # fmt: skip


def _witnessed_report(database, witnessed):
    head = transparency.current_tree_head(database, SIGNER)
    return verify(database, None, BUCKET, SIGNER.public_key_b64, None, head, witnessed)


def test_a_head_kept_outside_the_log_still_verifies_as_the_log_grows(records_db):
    case = open_case(records_db)
    _note(records_db, case, "first")
    published = transparency.current_tree_head(records_db, SIGNER)
    _note(records_db, case, "second")
    report = _witnessed_report(records_db, [published])
    assert report.ok, report.problems
    assert report.witnessed == 1 and report.tree_size > published.tree_size


def test_a_rewritten_history_resigned_with_the_key_is_caught_by_a_witnessed_head(records_db):
    """An insider with the database and the key can make the log agree with itself again;
    a head someone kept from before shows the stored log no longer reproduces it."""
    case = open_case(records_db)
    _note(records_db, case, "first")
    published = transparency.current_tree_head(records_db, SIGNER)
    assert _witnessed_report(records_db, [published]).ok
    other_history = SIGNER.sign(published.tree_size, "ab" * 32, published.timestamp_ms)
    report = _witnessed_report(records_db, [other_history])
    assert any("history was rewritten" in p.what for p in report.problems), report.problems
    longer = SIGNER.sign(published.tree_size + 50, "cd" * 32, published.timestamp_ms)
    report = _witnessed_report(records_db, [longer])
    assert any("entries were removed" in p.what for p in report.problems), report.problems
    stranger = TreeHeadSigner(base64.b64encode(b"z" * 32).decode()).sign(
        published.tree_size, published.root_hash, published.timestamp_ms
    )
    report = _witnessed_report(records_db, [stranger])
    assert any("not signed by the log key" in p.what for p in report.problems)


def test_witnessed_heads_load_as_a_list_or_one_per_line():
    from services.records.verify import load_witnessed

    head = {
        "tree_size": 3, "root_hash": "aa" * 32, "timestamp_ms": 1, "signature": "c2ln",
        "key_id": "k", "public_key": "ignored",
    }  # fmt: skip
    as_list = load_witnessed(json.dumps([head, {**head, "tree_size": 4}]))
    as_lines = load_witnessed(json.dumps(head) + "\n\n" + json.dumps({**head, "tree_size": 4}))
    assert [h.tree_size for h in as_list] == [h.tree_size for h in as_lines] == [3, 4]


def test_entries_deleted_from_the_log_are_reported_not_a_crash(records_db, store):
    case = open_case(records_db)
    for text in ("A", "B", "C"):
        handlers.append_entry(
            records_db, case_id=case.case_id, kind="note", payload={"text": text},
            corrects_entry_id="", meta=meta(),
        )  # fmt: skip
    assert signed_report(records_db, store).ok
    with records_db.unit_of_work() as uow:
        last = uow.conn.execute(
            sa.select(db.entries.c.entry_id).order_by(db.entries.c.leaf_index.desc()).limit(1)
        ).scalar_one()
        uow.conn.execute(db.entries.delete().where(db.entries.c.entry_id == last))
        uow.commit()
    report = signed_report(records_db, store)
    assert not report.ok
    assert any("entries were removed" in p.what for p in report.problems)


def test_a_phone_time_given_in_china_time_verifies_like_any_other(records_db, store):
    case = open_case(records_db)
    china = timezone(timedelta(hours=8))
    entry, _ = handlers.append_entry(
        records_db, case_id=case.case_id, kind="note", payload={"text": "到场"},
        corrects_entry_id="",
        meta=replace(meta(), device_time=datetime.now(china) - timedelta(minutes=1)),
    )  # fmt: skip
    assert entry.device_time.utcoffset() == timedelta(0)
    report = signed_report(records_db, store)
    assert report.ok, report.problems
