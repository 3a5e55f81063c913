"""Every Kafka topic of the platform with its partition count; `deploy.init` creates them.

Topics are named `<area>.<event-in-past-tense>.v1`. Add a topic here when a service starts
producing it.
"""

TOPICS: dict[str, int] = {
    "records.case-opened.v1": 6,
    "records.case-advanced.v1": 6,
    "records.penalty-proposed.v1": 6,
    "records.penalty-decided.v1": 6,
    "records.penalty-revoked.v1": 6,
    "records.hazard-found.v1": 6,
    "review.completed.v1": 6,
    "review.overdue.v1": 6,
    # one partition: every service applies calendar versions in the order they were entered
    "review.calendar-year-published.v1": 1,
    "review.deadline-recomputed.v1": 6,
    "disclosure.deadline-recomputed.v1": 6,
    "overload.deadline-recomputed.v1": 6,
    "disclosure.published.v1": 6,
    "disclosure.withheld.v1": 6,
    "gas.alarm-raised.v1": 6,
    "gas.venue-unprotected.v1": 6,
    "overload.violation-confirmed.v1": 6,
    "overload.referral-acknowledged.v1": 6,
    "documents.document-issued.v1": 6,
    "documents.document-served.v1": 6,
    "documents.case-file-archived.v1": 6,
    "hazard_sources.alarm-raised.v1": 6,
    "hazards.registered.v1": 6,
    "hazards.overdue.v1": 6,
    "hazards.closed.v1": 6,
    "hazards.case-requested.v1": 6,
    "hazards.punishment-candidate.v1": 6,
}

BUCKETS: tuple[str, ...] = (
    "records-evidence",
    "overload-evidence",
    "documents-pdf",
    "documents-archive",
    "hazard-sources-readings",
    "hazards-photos",
)

# Buckets made with object lock (WORM), where the S3 server supports it: the case files (案卷).
OBJECT_LOCK_BUCKETS = frozenset({"documents-archive"})
