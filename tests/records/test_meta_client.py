"""What the phone says of itself (app version, why no location) goes into every entry."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.records.domain.meta import InvalidMeta, WriteMeta, client_facts, validate_meta

pytestmark = pytest.mark.unit
NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def meta(**kw) -> WriteMeta:
    return WriteMeta(client_entry_id="e-12345678", actor_id="u-1", agency_id="a-1", **kw)


def test_the_app_version_and_a_missing_location_reason_are_kept():
    facts = client_facts(meta(app_version="0.2.0", location_missing="定位超时"))
    assert facts == {"app_version": "0.2.0", "location_missing": "定位超时"}


def test_a_write_with_a_location_says_nothing_of_a_missing_one():
    assert client_facts(meta(app_version="0.2.0")) == {"app_version": "0.2.0"}
    assert client_facts(meta()) == {}


def test_overlong_client_texts_are_refused():
    with pytest.raises(InvalidMeta):
        validate_meta(meta(app_version="x" * 101), now=NOW)
