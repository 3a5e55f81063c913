"""Caps per caller: live streams held at once, and the public export's CSV cells."""

from __future__ import annotations

import pytest

from gateway.routes.public import formula_safe
from gateway.security.caps import StreamSlots

pytestmark = pytest.mark.unit


def test_a_user_holds_at_most_the_limit_of_streams_and_gets_places_back():
    slots = StreamSlots(2, hold_s=100)
    a, b = slots.take("u1", now=0), slots.take("u1", now=0)
    assert a is not None and b is not None
    assert slots.take("u1", now=1) is None
    assert slots.take("u2", now=1) is not None  # another user is not held back
    slots.give_back("u1", a)
    assert slots.take("u1", now=2) is not None


def test_a_slot_never_given_back_frees_itself_after_the_longest_stream():
    slots = StreamSlots(1, hold_s=100)
    assert slots.take("u1", now=0) is not None
    assert slots.take("u1", now=99) is None
    assert slots.take("u1", now=101) is not None


@pytest.mark.parametrize(
    ("cell", "exported"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("＝1+1", "'＝1+1"),
        ("常州某燃气餐饮有限公司", "常州某燃气餐饮有限公司"),
        ("0.5", "0.5"),
        ("—", "—"),
        ("", ""),
    ],
)
def test_csv_cells_that_would_start_a_formula_are_quoted(cell, exported):
    assert formula_safe(cell) == exported
