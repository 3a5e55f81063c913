"""Writes to the record: replays, corrections, offline delay, sync, timeliness, recording."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.records import handlers
from services.records.domain.entries import InvalidEntry
from services.records.domain.meta import InvalidMeta
from services.records.domain.recording import recording_flags

from .conftest import (
    LI,
    NUMBERING,
    WANG,
    ZHANG,
    advance,
    meta,
    open_case,
    proposal,
    review_outcome,
    to_investigation,
)

pytestmark = pytest.mark.integration


def entry_count(database, case_id) -> int:
    return handlers.get_case(database, case_id).entry_count


def note(database, case_id, text="现场检查记录", **kw):
    return handlers.append_entry(
        database,
        case_id=case_id,
        kind=kw.pop("kind", "note"),
        payload=kw.pop("payload", {"text": text}),
        corrects_entry_id=kw.pop("corrects", ""),
        meta=meta(**kw),
    )


def test_every_write_replayed_returns_the_original_and_adds_nothing(records_db):
    case = open_case(records_db)
    cid = case.case_id
    writes = {
        "transition": lambda m: handlers.transition_case(
            records_db, NUMBERING, case_id=cid, to_stage="filing", reason="r", meta=m
        ),
        "note": lambda m: handlers.append_entry(
            records_db, case_id=cid, kind="note", payload={"t": 1}, corrects_entry_id="", meta=m
        ),
        "advance": lambda m: handlers.transition_case(
            records_db, NUMBERING, case_id=cid, to_stage="investigation", reason="r", meta=m
        ),
        "proposal": lambda m: handlers.propose_penalty(
            records_db, case_id=cid, proposal=proposal(), meta=m
        ),
    }
    for name, write in writes.items():
        m = meta()
        first = write(m)
        count = entry_count(records_db, cid)
        again = write(m)
        assert again[-1] is False, name
        assert entry_count(records_db, cid) == count, name
        if name == "proposal":
            assert again[1].proposal_id == first[1].proposal_id
        else:
            first_entry = first[1] if len(first) == 3 else first[0]
            again_entry = again[1] if len(again) == 3 else again[0]
            assert again_entry.entry_id == first_entry.entry_id, name
    review_outcome(records_db, handlers.get_case(records_db, cid))
    advance(records_db, cid, "notice")
    m = meta()
    _, d1, _ = handlers.decide_penalty(
        records_db, NUMBERING, case_id=cid, decision_text="罚款", meta=m
    )
    c2, d2, created = handlers.decide_penalty(
        records_db, NUMBERING, case_id=cid, decision_text="罚款", meta=m
    )
    assert not created and d2.entry_id == d1.entry_id and c2.decision_no.endswith("1号")
    m = meta()
    _, r1, _ = handlers.revoke_penalty(
        records_db, case_id=cid, reason="复议撤销", basis="reconsideration", meta=m
    )
    _, r2, created = handlers.revoke_penalty(
        records_db, case_id=cid, reason="复议撤销", basis="reconsideration", meta=m
    )
    assert not created and r2.entry_id == r1.entry_id


def test_a_client_id_reused_for_another_case_is_a_conflict(records_db):
    a, b = open_case(records_db), open_case(records_db)
    m = meta()
    note(records_db, a.case_id, client_entry_id=m.client_entry_id)
    with pytest.raises(handlers.Conflict):
        note(records_db, b.case_id, client_entry_id=m.client_entry_id)


def test_a_correction_is_a_new_entry_and_the_original_stays(records_db):
    case = open_case(records_db)
    original, _ = note(records_db, case.case_id, "货架数量: 12")
    fix, _ = note(
        records_db,
        case.case_id,
        kind="correction",
        payload={"text": "货架数量: 21", "why": "笔误"},
        corrects=original.entry_id,
    )
    _, entries = handlers.timeline(records_db, case.case_id, case.agency_id)
    by_id = {e.entry_id: e for e in entries}
    assert by_id[original.entry_id].payload == {"text": "货架数量: 12"}
    assert by_id[fix.entry_id].corrects_entry_id == original.entry_id
    with pytest.raises(InvalidEntry, match="corrects_entry_id"):
        note(records_db, case.case_id, kind="correction", payload={"t": 1})
    other = open_case(records_db)
    with pytest.raises(InvalidEntry, match="not an entry of this case"):
        note(records_db, other.case_id, kind="correction", payload={}, corrects=original.entry_id)


@pytest.mark.parametrize(
    ("kind", "payload", "message"),
    [
        ("decision", {}, "cannot be appended directly"),
        ("note", {"x": "y" * 70_000}, "larger than"),
        ("step", {"act": "dancing"}, "names its act"),
    ],
)
def test_bad_entries_are_refused_and_change_nothing(records_db, kind, payload, message):
    case = open_case(records_db)
    with pytest.raises(InvalidEntry, match=message):
        note(records_db, case.case_id, kind=kind, payload=payload)
    assert entry_count(records_db, case.case_id) == 1


def test_a_phone_clock_far_in_the_future_is_refused(records_db):
    case = open_case(records_db)
    with pytest.raises(InvalidMeta, match="future"):
        note(records_db, case.case_id, device_time=datetime.now(UTC) + timedelta(hours=2))


def test_an_offline_entry_keeps_its_device_time_and_shows_its_delay(records_db):
    case = open_case(records_db)
    taken = datetime.now(UTC) - timedelta(hours=30)
    entry, _ = note(records_db, case.case_id, device_time=taken)
    assert entry.device_time == taken
    assert 30 * 3600 - 5 < entry.delay_s < 30 * 3600 + 60
    officers, agency = handlers.timeliness(
        records_db, agency_id=case.agency_id, since=None, allowed_s=24 * 3600
    )
    zhang = next(o for o in officers if o.officer_id == ZHANG.officer_id)
    # The opening and the late note: one in time, one not.
    assert (zhang.entries, zhang.in_time) == (2, 1)
    assert zhang.ratio == 0.5 and zhang.max_delay_s >= 30 * 3600 - 5
    assert agency.entries >= 2


def test_sync_returns_what_changed_in_my_cases_since_a_cursor(records_db):
    mine = open_case(records_db, officers=(ZHANG, LI))
    not_mine = open_case(records_db, officers=(LI, WANG))
    cases, entries, cursor, more = handlers.sync_changes(
        records_db, officer_id=ZHANG.officer_id, agency_id=mine.agency_id, cursor=0, limit=100
    )
    assert not more and [e.kind for e in entries] == ["opened"]
    assert mine.case_id in {c.case_id for c in cases}
    assert not_mine.case_id not in {c.case_id for c in cases}
    note(records_db, mine.case_id, "新的记录")
    _, later, cursor2, _ = handlers.sync_changes(
        records_db, officer_id=ZHANG.officer_id, agency_id=mine.agency_id, cursor=cursor, limit=100
    )
    assert [e.payload.get("text") for e in later] == ["新的记录"] and cursor2 > cursor
    for _ in range(3):
        note(records_db, mine.case_id)
    _, page, cursor3, more = handlers.sync_changes(
        records_db, officer_id=ZHANG.officer_id, agency_id=mine.agency_id, cursor=cursor2, limit=2
    )
    assert len(page) == 2 and more
    _, rest, _, more = handlers.sync_changes(
        records_db, officer_id=ZHANG.officer_id, agency_id=mine.agency_id, cursor=cursor3, limit=2
    )
    assert len(rest) == 1 and not more


def test_mandatory_recording_acts_without_video_or_reason_are_flagged(records_db):
    case = open_case(records_db)
    seal_up, _ = note(records_db, case.case_id, kind="step", payload={"act": "seal-up"})
    with_reason, _ = note(
        records_db,
        case.case_id,
        kind="step",
        payload={"act": "sampling", "recording_gap_reason": "执法记录仪电量耗尽"},
    )
    interview, _ = note(records_db, case.case_id, kind="step", payload={"act": "interview"})
    _, entries = handlers.timeline(records_db, case.case_id, case.agency_id)
    assert [f.entry_id for f in recording_flags(entries)] == [seal_up.entry_id]
    note(
        records_db,
        case.case_id,
        kind="correction",
        payload={"recording_gap_reason": "设备故障, 已书面说明"},
        corrects=seal_up.entry_id,
    )
    _, entries = handlers.timeline(records_db, case.case_id, case.agency_id)
    assert recording_flags(entries) == []
    assert with_reason.entry_id and interview.entry_id


def test_list_cases_filters_my_cases_and_stage(records_db):
    mine = open_case(records_db, officers=(ZHANG, LI))
    to_investigation(records_db, mine.case_id)
    cases, _ = handlers.list_cases(
        records_db,
        agency_id=mine.agency_id,
        town=None,
        page_size=50,
        page_token=None,
        officer_id=ZHANG.officer_id,
        stage="investigation",
    )
    assert [c.case_id for c in cases] == [mine.case_id]
    with pytest.raises(ValueError):
        handlers.list_cases(
            records_db, agency_id="a", town=None, page_size=5, page_token=None, stage="nope"
        )
