"""Issue 13.3: attached evidence can never be replaced.

Before, the presigned upload URL stayed valid after the SHA-256 check: other bytes of any
type (text/html included) PUT through it replaced the checked object, and the reviewer was
served the substitute, rendered as a page. Now the URL takes only the declared bytes (the
SHA-256 is part of the signed URL), the confirmed file is copied to a key no URL ever named,
downloads are attachments of the confirmed type, overload photos alike, and a user holds a
bounded number of open upload slots.
"""

from __future__ import annotations

import hashlib
import os
from datetime import timedelta

import httpx
import pytest

from services.chassis.storage import ObjectStore
from tests.security.conftest import cid, is_problem, open_case

pytestmark = pytest.mark.e2e

PAGE = b"<html><body><script>alert('replaced')</script></body></html>"
MAX_PENDING_SLOTS = 50  # RECORDS_MAX_PENDING_SLOTS_PER_USER


def upload(url: str, data: bytes, media_type: str) -> httpx.Response:
    return httpx.put(url, content=data, headers={"Content-Type": media_type}, timeout=30)


def slot_request(data: bytes, media_type: str = "image/jpeg") -> dict:
    return {
        "client_slot_id": cid(),
        "sha256": hashlib.sha256(data).hexdigest(),
        "size": len(data),
        "media_type": media_type,
        "filename": "现场照片.jpg",
    }


@pytest.fixture(scope="module")
def attached(officer, review) -> dict:
    """A photo the case officer attached to the case under review, and its upload URL."""
    photo = b"\xff\xd8\xff\xe0" + os.urandom(40_000)
    path = f"/v1/cases/{review['case_id']}/evidence-slots"
    r = officer.post(path, slot_request(photo))
    assert r.status_code == 201, r.text
    slot = r.json()
    assert upload(slot["put_url"], photo, "image/jpeg").status_code == 200
    r = officer.post(f"{path}/{slot['slot_id']}/confirm", {"client_entry_id": cid()})
    assert r.status_code in (200, 201), r.text
    return {"photo": photo, "slot": slot, "entry": r.json()["entry"]}


def reviewer_link(login, review, sha256: str) -> str:
    r = login("reviewer").get(f"/v1/reviews/{review['review_id']}")
    assert r.status_code == 200, r.text
    return next(e["url"] for e in r.json()["evidence"] if e["sha256"] == sha256)


def test_the_upload_url_cannot_replace_attached_evidence(attached, login, review):
    sha256 = hashlib.sha256(attached["photo"]).hexdigest()
    # The URL handed out before the check still works until it expires, but only for the
    # declared bytes: a page is refused by the S3 server itself ...
    r = upload(attached["slot"]["put_url"], PAGE, "text/html")
    assert r.status_code == 400 and "BadDigest" in r.text, (r.status_code, r.text[:300])
    # ... and the same bytes again land on the upload key, not on the evidence.
    assert upload(attached["slot"]["put_url"], attached["photo"], "text/html").status_code == 200
    served = httpx.get(reviewer_link(login, review, sha256), timeout=30)
    assert served.status_code == 200
    assert served.content == attached["photo"]
    # Served as what was confirmed, as a file to save: never rendered as a page.
    assert served.headers["content-type"] == "image/jpeg"
    assert served.headers["content-disposition"].startswith("attachment")
    [evidence] = attached["entry"]["evidence"]
    assert evidence["sha256"] == sha256


def test_overload_photos_are_sealed_too(officer, weighing, stack):
    photo = b"\x89PNG\r\n\x1a\n" + os.urandom(20_000)
    declared = {
        "sha256": hashlib.sha256(photo).hexdigest(),
        "size": len(photo),
        "media_type": "image/png",
    }
    r = officer.post(f"/v1/overload/weighings/{weighing['weighing_id']}/photos", declared)
    assert r.status_code == 201, r.text
    slot = r.json()
    assert upload(slot["put_url"], PAGE, "text/html").status_code == 400
    assert upload(slot["put_url"], photo, "text/html").status_code == 200
    r = officer.post(f"/v1/overload/photos/{slot['photo_id']}/confirm")
    assert r.status_code == 200, r.text
    key = r.json()["object_key"]
    assert key.startswith("attached/") and key not in slot["put_url"]
    # What the store now serves under the photo's key: the photo, typed as declared.
    store = ObjectStore(
        stack.s3.endpoint, stack.secrets["s3_access_key"], stack.secrets["s3_secret_key"]
    )
    served = httpx.get(
        store.presigned_get_url("overload-evidence", key, timedelta(minutes=5)), timeout=30
    )
    assert served.content == photo
    assert served.headers["content-type"] == "image/png"
    assert served.headers["content-disposition"].startswith("attachment")


def test_a_user_holds_a_bounded_number_of_open_upload_slots(login, colleague):
    uploader = login("sec-uploader")  # an officer of its own: the cap holds for 15 minutes
    case = open_case(uploader, colleague)
    path = f"/v1/cases/{case['case_id']}/evidence-slots"
    held = [slot_request(f"photo {i}".encode()) for i in range(MAX_PENDING_SLOTS)]
    for i, body in enumerate(held):
        r = uploader.post(path, body)
        assert r.status_code == 201, (i, r.text)
    r = uploader.post(path, slot_request(b"one too many"))
    assert is_problem(r, 429, "too-many-requests"), r.text
    assert int(r.headers["Retry-After"]) > 0
    # Asking again for a slot already held renews its URL: it is not one more.
    r = uploader.post(path, held[0])
    assert r.status_code == 201 and r.json()["put_url"], r.text
    # Another officer of the case is not held back by this one's slots.
    r = colleague.post(path, slot_request(b"the colleague's photo"))
    assert r.status_code == 201, r.text
