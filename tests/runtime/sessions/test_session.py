"""A session's id: unguessable, and in creation order so stores append instead of scatter."""

from __future__ import annotations

import re
import time
import uuid

from runtime.sessions.session import Session


def test_a_session_id_is_a_version_7_uuid_in_32_hex_digits_carrying_its_creation_time():
    before = time.time_ns() // 1_000_000
    new = Session.new_id()
    after = time.time_ns() // 1_000_000
    assert re.fullmatch(r"[0-9a-f]{32}", new)
    as_uuid = uuid.UUID(new)
    assert (as_uuid.version, as_uuid.variant) == (7, uuid.RFC_4122)
    assert before <= as_uuid.int >> 80 <= after


def test_session_ids_made_later_sort_later():
    first = Session.new_id()
    time.sleep(0.002)
    assert Session.new_id() > first


def test_ids_made_in_the_same_millisecond_differ_in_their_random_bits():
    ids = [Session.new_id() for _ in range(20_000)]
    assert len(set(ids)) == len(ids)
    # 74 random bits: in a batch this size every one of the random hex digits varies
    for position in (13, 14, 15, 17, 20, 31):
        assert len({one[position] for one in ids}) == 16


def test_id_after_a_moment_is_above_every_id_made_before_it_and_below_those_made_after():
    made_before = Session.new_id()
    time.sleep(0.002)
    moment = time.time()
    time.sleep(0.002)
    made_after = Session.new_id()
    assert made_before < Session.id_after(moment) < made_after


def test_id_after_the_end_of_time_is_above_every_id_and_before_1970_below_every_id():
    made = Session.new_id()
    assert Session.id_after(float("inf")) > "f" * 12 > made
    assert Session.id_after(-1.0) == "0" * 11 + "1" + "0" * 20 < made
