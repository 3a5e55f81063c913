"""What must hold after the faults, read from the services' own databases (read-only).

Each check returns a Check: what was checked, how many, and every breach found. The
databases are SQLite files under the stack's var/; reading them while the services run is
safe (WAL), and the final reading is taken after the stack stopped.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

from tests.faults.clients import Ledger

SERVICES = (
    "records",
    "review",
    "disclosure",
    "gas",
    "overload",
    "documents",
    "hazard_sources",
    "hazards",
)
# (topic, service whose consumer must have applied every event of it): the flows the load
# drives; every other consumed topic is checked too, as found in the inboxes.
MAIN_FLOWS = (
    ("records.penalty-proposed.v1", "review"),
    ("review.completed.v1", "records"),
    ("records.penalty-decided.v1", "disclosure"),
    ("gas.alarm-raised.v1", "records"),
    ("gas.alarm-raised.v1", "hazards"),  # registers the unresolved (critical) ones
    ("records.penalty-decided.v1", "hazards"),  # the fines of hazards' cases
)


@dataclass
class Check:
    name: str
    counts: dict[str, int] = field(default_factory=dict)
    breaches: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.breaches

    def breach(self, what: str) -> None:
        self.breaches.append(what)

    def line(self) -> str:
        counts = ", ".join(f"{v} {k}" for k, v in self.counts.items())
        verdict = "ok" if self.ok else f"{len(self.breaches)} BREACHES"
        return f"{self.name}: {counts} -> {verdict}"


class Databases:
    """The six services' SQLite files, opened read-only."""

    def __init__(self, var: Path) -> None:
        self.var = var

    def rows(self, service: str, sql: str, *args: object) -> list[sqlite3.Row]:
        with closing(
            sqlite3.connect(f"file:{self.var / f'{service}.db'}?mode=ro", uri=True, timeout=30)
        ) as conn:
            conn.row_factory = sqlite3.Row
            return conn.execute(sql, args).fetchall()


def _like(tag: str) -> str:
    return f"{tag}-%"


def writes_stored_once(dbs: Databases, ledger: Ledger) -> Check:
    """Every write that got a 2xx is there exactly once, under the id it was answered with;
    nothing of the run is there that no client was told about."""
    check = Check("acknowledged writes stored exactly once")
    tag = ledger.tag

    cases = Counter()
    case_of = {}
    for r in dbs.rows(
        "records",
        "SELECT client_case_id, case_id FROM cases WHERE client_case_id LIKE ?",
        _like(tag),
    ):
        cases[r["client_case_id"]] += 1
        case_of[r["client_case_id"]] = r["case_id"]
    for client_id, case_id in ledger.cases.items():
        if cases[client_id] != 1 or case_of.get(client_id) != case_id:
            check.breach(f"case {client_id}: stored {cases[client_id]} times (answered {case_id})")
    for client_id in set(cases) - set(ledger.cases):
        check.breach(f"case {client_id} stored but never acknowledged")
    check.counts["cases by client id"] = len(ledger.cases)

    entries = Counter()
    entry_of = {}
    # Evidence entries take their client id from the slot ("evidence:<slot id>").
    for r in dbs.rows("records", "SELECT client_entry_id, case_id, entry_id FROM entries"):
        entries[r["client_entry_id"]] += 1
        entry_of[r["client_entry_id"]] = (r["case_id"], r["entry_id"])
    for client_id, (case_id, entry_id) in ledger.entries.items():
        stored_case, stored_entry = entry_of.get(client_id, ("", ""))
        if entries[client_id] != 1 or (case_id, entry_id or stored_entry) != (
            stored_case,
            stored_entry,
        ):
            check.breach(f"entry {client_id}: stored {entries[client_id]} times")
    for client_id in {e for e in entries if e.startswith(f"{tag}-")} - set(ledger.entries):
        check.breach(f"entry {client_id} stored but never acknowledged")
    check.counts["notes, moves, evidence and decisions by client id"] = len(ledger.entries)

    for slot_id, (case_id, sha) in ledger.evidence.items():
        attached = [
            r
            for r in dbs.rows(
                "records",
                "SELECT evidence FROM entries WHERE case_id = ? AND kind = 'evidence'",
                case_id,
            )
            if any(e["sha256"] == sha for e in json.loads(r["evidence"]))
        ]
        if len(attached) != 1:
            check.breach(f"evidence of slot {slot_id}: attached {len(attached)} times")
    check.counts["evidence files by slot"] = len(ledger.evidence)

    stored = Counter()
    for device_id in ledger.device_events:
        for r in dbs.rows("gas", "SELECT seq FROM device_events WHERE device_id = ?", device_id):
            stored[(device_id, r["seq"])] += 1
    acked = {(d, s) for d, seqs in ledger.device_events.items() for s in seqs}
    for key in acked:
        if stored[key] != 1:
            check.breach(f"gas event {key}: stored {stored[key]} times")
    for key in set(stored) - acked:
        check.breach(f"gas event {key} stored but never acknowledged")
    check.counts["gas device events by (device, seq)"] = len(acked)

    weighed = Counter()
    weighing_of = {}
    for r in dbs.rows(
        "overload",
        "SELECT client_weighing_id, weighing_id FROM weighings WHERE client_weighing_id LIKE ?",
        _like(tag),
    ):
        weighed[r["client_weighing_id"]] += 1
        weighing_of[r["client_weighing_id"]] = r["weighing_id"]
    for client_id, weighing_id in ledger.weighings.items():
        if weighed[client_id] != 1 or weighing_of.get(client_id) != weighing_id:
            check.breach(f"weighing {client_id}: stored {weighed[client_id]} times")
    for client_id in set(weighed) - set(ledger.weighings):
        check.breach(f"weighing {client_id} stored but never acknowledged")
    check.counts["weighings by client id"] = len(ledger.weighings)

    registered = Counter()
    hazard_of = {}
    for r in dbs.rows(
        "hazards",
        "SELECT source_ref, hazard_id FROM hazard_findings WHERE source_ref LIKE ?",
        _like(tag),
    ):
        registered[r["source_ref"]] += 1
        hazard_of[r["source_ref"]] = r["hazard_id"]
    for client_id, hazard_id in ledger.hazards.items():
        if registered[client_id] != 1 or hazard_of.get(client_id) != hazard_id:
            check.breach(f"hazard {client_id}: stored {registered[client_id]} times")
    for client_id in set(registered) - set(ledger.hazards):
        check.breach(f"hazard {client_id} stored but never acknowledged")
    # The register's numbers are gap-free per agency and year (挂号): 1..n, each once.
    numbers: dict[tuple[str, int], list[int]] = {}
    for r in dbs.rows("hazards", "SELECT agency_id, year, seq FROM hazards"):
        numbers.setdefault((r["agency_id"], r["year"]), []).append(r["seq"])
    for (agency, year), seqs in numbers.items():
        if sorted(seqs) != list(range(1, len(seqs) + 1)):
            check.breach(f"hazard numbers of {agency} {year} are not 1..{len(seqs)}")
    check.counts["hazards by client id"] = len(ledger.hazards)
    return check


def _our_cases(dbs: Databases, ledger: Ledger) -> list[sqlite3.Row]:
    return dbs.rows(
        "records",
        "SELECT case_id, decision_no, review_status FROM cases WHERE client_case_id LIKE ?",
        _like(ledger.tag),
    )


def _our_alarms(dbs: Databases, ledger: Ledger) -> list[sqlite3.Row]:
    return dbs.rows(
        "gas",
        "SELECT alarm_id, venue_id, active FROM alarms WHERE venue_id LIKE ?",
        _like(ledger.tag),
    )


def events_applied_once(dbs: Databases, ledger: Ledger) -> Check:
    """Every event had its effect once: the consumers' inboxes hold every published event
    once, nothing was dead-lettered or left unpublished, and the effects are there once."""
    check = Check("events consumed exactly once in effect")
    for service in SERVICES:
        left = dbs.rows(service, "SELECT count(*) AS n FROM outbox WHERE published_at IS NULL")
        if left[0]["n"]:
            check.breach(f"{service}: {left[0]['n']} outbox events never published")
        for r in dbs.rows(service, "SELECT consumer, topic, event_id, error FROM dead_letter"):
            check.breach(f"{service}: {r['topic']} {r['event_id']} dead-lettered: {r['error']}")
    published = {
        service: dbs.rows(service, "SELECT event_id, topic FROM outbox") for service in SERVICES
    }
    consumed: dict[str, Counter] = {}
    topics_of: dict[str, set[str]] = {}
    for service in SERVICES:
        rows = dbs.rows(service, "SELECT topic, event_id FROM inbox")
        consumed[service] = Counter(r["event_id"] for r in rows)
        topics_of[service] = {r["topic"] for r in rows}
    for topic, service in MAIN_FLOWS:
        topics_of[service].add(topic)
    delivered = 0
    for consumer, topics in topics_of.items():
        for producer, events in published.items():
            for e in events:
                if e["topic"] not in topics:
                    continue
                delivered += 1
                n = consumed[consumer][e["event_id"]]
                if n != 1:
                    check.breach(
                        f"{e['topic']} {e['event_id']} from {producer}: "
                        f"{n} times in {consumer}'s inbox"
                    )
    check.counts["published events checked in their consumers' inboxes"] = delivered

    # The effects themselves, one per cause.
    proposals = dbs.rows(
        "records",
        "SELECT p.proposal_id, p.case_id FROM proposals p JOIN cases c ON c.case_id = p.case_id "
        "WHERE c.client_case_id LIKE ?",
        _like(ledger.tag),
    )
    reviews = Counter(
        r["proposal_id"] for r in dbs.rows("review", "SELECT proposal_id FROM review_tasks")
    )
    outcomes: Counter = Counter()
    for r in dbs.rows("records", "SELECT payload FROM entries WHERE kind = 'review-outcome'"):
        outcomes[json.loads(r["payload"]).get("proposal_id")] += 1
    for p in proposals:
        if reviews[p["proposal_id"]] != 1:
            check.breach(f"proposal {p['proposal_id']}: {reviews[p['proposal_id']]} reviews")
        if outcomes[p["proposal_id"]] != 1:
            check.breach(
                f"proposal {p['proposal_id']}: "
                f"{outcomes[p['proposal_id']]} review outcomes in the record"
            )
    missing = set(ledger.proposals) - {p["proposal_id"] for p in proposals}
    for proposal_id in missing:
        check.breach(f"acknowledged proposal {proposal_id} is not in records")
    check.counts["proposals with one review and one outcome"] = len(proposals)

    tasks = Counter(
        r["source_ref"]
        for r in dbs.rows(
            "records", "SELECT source_ref FROM tasks WHERE source_topic = 'gas.alarm-raised.v1'"
        )
    )
    alarms = _our_alarms(dbs, ledger)
    for a in alarms:
        if tasks[a["alarm_id"]] != 1:
            check.breach(f"alarm {a['alarm_id']}: {tasks[a['alarm_id']]} records tasks")
    per_venue = Counter(a["venue_id"] for a in alarms)
    for venue_id, leaks in ledger.leaks.items():
        if per_venue[venue_id] != leaks:
            check.breach(f"{venue_id}: {leaks} leaks acknowledged, {per_venue[venue_id]} alarms")
    check.counts["gas alarms with one records task"] = len(alarms)

    decided = [c for c in _our_cases(dbs, ledger) if c["decision_no"]]
    disclosed = Counter(
        r["case_id"] for r in dbs.rows("disclosure", "SELECT case_id FROM disclosures")
    )
    for c in decided:
        if disclosed[c["case_id"]] > 1:
            check.breach(f"case {c['case_id']}: disclosed {disclosed[c['case_id']]} times")
    check.counts["decisions with at most one disclosure"] = len(decided)
    return check


def alarms_closed_every_valve(dbs: Databases, ledger: Ledger) -> Check:
    """Every alarm sent a close command to every valve of its venue, and each was confirmed."""
    check = Check("every gas alarm closed every valve of its venue")
    valves: dict[str, list[str]] = {}
    for r in dbs.rows(
        "gas",
        "SELECT device_id, venue_id FROM devices WHERE kind = 'shutoff_valve' AND venue_id LIKE ?",
        _like(ledger.tag),
    ):
        valves.setdefault(r["venue_id"], []).append(r["device_id"])
    commands = dbs.rows(
        "gas", "SELECT command_id, valve_id, alarm_id, status FROM commands WHERE venue_id LIKE ?",
        _like(ledger.tag),
    )  # fmt: skip
    by_alarm: dict[tuple[str, str], list[sqlite3.Row]] = {}
    for c in commands:
        by_alarm.setdefault((c["alarm_id"], c["valve_id"]), []).append(c)
    pairs = 0
    for a in _our_alarms(dbs, ledger):
        for valve in valves.get(a["venue_id"], []):
            pairs += 1
            got = by_alarm.get((a["alarm_id"], valve), [])
            if len(got) != 1:
                check.breach(f"alarm {a['alarm_id']}: {len(got)} close commands for {valve}")
            elif got[0]["status"] != "acknowledged":
                check.breach(f"alarm {a['alarm_id']}: command to {valve} is {got[0]['status']}")
    acked = {c["command_id"] for c in commands if c["status"] == "acknowledged"}
    told = {cid for ids in ledger.closed.values() for cid in ids}
    for command_id in told - acked:
        check.breach(f"command {command_id}: the valve reported closed, not acknowledged")
    check.counts["(alarm, valve) pairs"] = pairs
    check.counts["close commands confirmed by valves"] = len(told)
    return check


def decided_penalties_disclosed(dbs: Databases, ledger: Ledger) -> Check:
    """Every decided penalty is published, under its decision number."""
    check = Check("every decided penalty disclosed")
    published = {
        r["case_id"]: r
        for r in dbs.rows("disclosure", "SELECT case_id, decision_no, status FROM disclosures")
    }
    decided = {c["case_id"]: c["decision_no"] for c in _our_cases(dbs, ledger) if c["decision_no"]}
    for case_id, decision_no in ledger.decided.items():
        if decided.get(case_id) != decision_no:
            check.breach(
                f"case {case_id}: decided as {decision_no}, records has {decided.get(case_id)}"
            )
    for case_id, decision_no in decided.items():
        row = published.get(case_id)
        if row is None:
            check.breach(f"decision {decision_no} (case {case_id}) not disclosed")
        elif row["decision_no"] != decision_no or row["status"] != "published":
            check.breach(
                f"decision {decision_no}: disclosed as {row['decision_no']}, {row['status']}"
            )
    check.counts["decided penalties"] = len(decided)
    return check


def mqtt_readings_taken_once(dbs: Databases, ledger: Ledger) -> Check:
    """Every reading the platform confirmed stored to an MQTT sensor (its ack topic) is
    taken, and no reading was taken twice: the count taken lies between what was confirmed
    and what was ever sent (a reading published again is taken once)."""
    check = Check("MQTT readings confirmed stored taken once")
    for sensor, acked in ledger.mqtt_acked.items():
        rows = dbs.rows(
            "hazard_sources",
            "SELECT readings_taken, last_seq FROM sensors WHERE sensor_id = ?",
            sensor,
        )
        taken = rows[0]["readings_taken"] if rows else 0
        sent = ledger.mqtt_sent.get(sensor, set())
        if taken < len(acked):
            check.breach(f"{sensor}: {len(acked)} readings confirmed stored, {taken} taken")
        if taken > len(sent):
            check.breach(f"{sensor}: {taken} readings taken of {len(sent)} published")
        if acked and (not rows or (rows[0]["last_seq"] or 0) < max(acked)):
            check.breach(f"{sensor}: the last confirmed seq {max(acked)} was not taken")
        below = len([s for s in sent if rows and s <= (rows[0]["last_seq"] or 0)])
        if rows and taken != below:
            # the high-water mark passed over readings never taken (a hole), or took twice
            check.breach(
                f"{sensor}: {below} readings sent up to seq {rows[0]['last_seq']}, {taken} taken"
            )
    check.counts["mqtt readings confirmed stored"] = sum(len(a) for a in ledger.mqtt_acked.values())
    return check


def effect_checks(dbs: Databases, ledger: Ledger) -> list[Check]:
    """The checks of what events cause, which may still be on their way."""
    return [
        mqtt_readings_taken_once(dbs, ledger),
        events_applied_once(dbs, ledger),
        alarms_closed_every_valve(dbs, ledger),
        decided_penalties_disclosed(dbs, ledger),
    ]


def all_checks(dbs: Databases, ledger: Ledger) -> list[Check]:
    return [writes_stored_once(dbs, ledger), *effect_checks(dbs, ledger)]
