"""The leaf layout (ADR 0030): golden bytes, every field committed to, and the refusals."""

from __future__ import annotations

import hashlib
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.transparency.leaf import (
    Leaf,
    event_leaf_hash,
    leaf_bytes,
    leaf_bytes_of_digest,
    leaf_hash_of_digest,
    leaf_hashes,
    read_leaf,
)
from domain.transparency.merkle import leaf_hash

STREAM = uuid.UUID("0190d6a8-3c4e-7b1a-9f00-6a2b4c8d1e2f")
TOPIC = "domain.attendance:AttendanceMarked"
STATE = b'{"day":"2026-04-08"}'
EVENT = (1234567, STREAM, 3, TOPIC, STATE)

# Written out byte by byte from the table in ADR 0030 (not by the code under test)
GOLDEN = bytes.fromhex(
    "01"                                    # layout version 1
    "000000000012d687"                      # position 1234567, u64 big-endian
    "0190d6a83c4e7b1a9f006a2b4c8d1e2f"      # stream id, the UUID's 16 bytes
    "0000000000000003"                      # version 3, u64 big-endian
    "0022"                                  # topic length 34, u16 big-endian
    + TOPIC.encode().hex()                  # the topic, UTF-8
    + "d03fce5b2036e2f0ea9dc7eb45fb244a521df4dc3b7565585905a75d260413d0"  # SHA-256 of the stored state
)


def test_a_leaf_is_the_documented_bytes() -> None:
    assert hashlib.sha256(STATE).hexdigest() == GOLDEN[-32:].hex()
    assert leaf_bytes(*EVENT) == GOLDEN
    assert len(GOLDEN) == 67 + len(TOPIC)


def test_the_tree_hashes_a_leaf_with_the_leaf_prefix() -> None:
    assert event_leaf_hash(*EVENT) == hashlib.sha256(b"\x00" + GOLDEN).digest() == leaf_hash(GOLDEN)
    assert event_leaf_hash(*EVENT).hex() == "13996a39c78a383868a49cb8addfe182150e34284415c80acaab9ece06dcd3ca"


def test_a_leaf_reads_back_into_the_fields_it_commits_to() -> None:
    assert read_leaf(GOLDEN) == Leaf(1234567, STREAM, 3, TOPIC, hashlib.sha256(STATE).digest())
    assert read_leaf(leaf_bytes(1, STREAM, 1, "学籍", b"")).topic == "学籍"


@given(st.integers(0, 4), st.integers(0, 8 * 400 - 1))
def test_changing_any_stored_column_or_any_bit_of_the_state_changes_the_leaf(field: int, bit: int) -> None:
    state = bytes(range(256)) + bytes(144)
    base = [5, STREAM, 7, TOPIC, state]
    changed = list(base)
    if field == 0:
        changed[0] = 5 ^ (1 << (bit % 64))
    elif field == 1:
        changed[1] = uuid.UUID(int=STREAM.int ^ (1 << (bit % 128)))
    elif field == 2:
        changed[2] = 7 ^ (1 << (bit % 64))
    elif field == 3:
        changed[3] = TOPIC[:-1] + chr(ord(TOPIC[-1]) ^ (1 << (bit % 7)))
    else:
        flipped = bytearray(state)
        flipped[bit // 8] ^= 1 << (bit % 8)
        changed[4] = bytes(flipped)
    assert leaf_bytes(*changed) != leaf_bytes(*base)  # type: ignore[arg-type]


def test_topic_length_prefix_keeps_neighbouring_fields_apart() -> None:
    # a topic ending in what could be the start of a digest cannot pass for a shorter topic
    assert leaf_bytes(1, STREAM, 1, "ab", b"x") != leaf_bytes(1, STREAM, 1, "a", b"x")
    assert read_leaf(leaf_bytes(1, STREAM, 1, "a" * 65535, b"")).topic == "a" * 65535


@pytest.mark.parametrize(("args", "error"), [
    ((-1, STREAM, 1, TOPIC, b""), ValueError),
    ((1 << 64, STREAM, 1, TOPIC, b""), ValueError),
    ((1, STREAM, -1, TOPIC, b""), ValueError),
    ((1, STREAM, 1 << 64, TOPIC, b""), ValueError),
    ((1, str(STREAM), 1, TOPIC, b""), TypeError),
    ((1, STREAM, 1, "", b""), ValueError),
    ((1, STREAM, 1, "a" * 65536, b""), ValueError),
])
def test_values_that_do_not_fit_the_layout_are_refused(args: tuple, error: type[Exception]) -> None:
    with pytest.raises(error):
        leaf_bytes(*args)


@pytest.mark.parametrize(("data", "why"), [(b"", "at least"), (GOLDEN[:-1], "topic is"), (GOLDEN + b"\x00", "topic is"),
                                           (b"\x02" + GOLDEN[1:], "layout version")])
def test_bytes_that_are_not_a_leaf_are_not_read_as_one(data: bytes, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        read_leaf(data)


def test_a_leaf_made_from_the_states_sha256_is_the_leaf_of_the_state() -> None:
    """The Merkle projection has PostgreSQL hash the stored state: the leaf must be the same bytes."""
    stream, state = uuid.UUID("12345678-1234-5678-1234-567812345678"), b'{"type":"AttendanceMarked"}'
    digest = hashlib.sha256(state).digest()
    assert leaf_bytes_of_digest(7, stream, 2, "gakuseki:AttendanceMarked", digest) == \
        leaf_bytes(7, stream, 2, "gakuseki:AttendanceMarked", state)
    assert leaf_hash_of_digest(7, stream, 2, "gakuseki:AttendanceMarked", digest) == \
        event_leaf_hash(7, stream, 2, "gakuseki:AttendanceMarked", state)
    with pytest.raises(ValueError, match="32 bytes"):
        leaf_bytes_of_digest(7, stream, 2, "gakuseki:AttendanceMarked", digest[:31])


@given(rows=st.lists(st.tuples(st.integers(min_value=0, max_value=2**64 - 1), st.uuids(),
                               st.integers(min_value=0, max_value=2**64 - 1),
                               st.sampled_from(["gakuseki:AttendanceMarked", "gakuseki:StudentAdmitted", "x", "出席"]),
                               st.binary(max_size=600)), max_size=20))
def test_the_leaves_of_a_page_are_the_leaves_of_its_rows_one_by_one(rows: list[tuple]) -> None:
    """``leaf_hashes`` (a rebuild's page at a time) gives ``event_leaf_hash`` of each row, and from
    the states' SHA-256, ``leaf_hash_of_digest`` of each."""
    assert leaf_hashes(rows, states=True) == [event_leaf_hash(*row) for row in rows]
    digested = [(p, s, v, t, hashlib.sha256(state).digest()) for p, s, v, t, state in rows]
    assert leaf_hashes(digested, states=False) == [leaf_hash_of_digest(*row) for row in digested]


@pytest.mark.parametrize("row", [(-1, uuid.uuid4(), 1, "t", b""), (1, uuid.uuid4(), 2**64, "t", b""),
                                 (1, uuid.uuid4(), 1, "", b""), (1, "not a uuid", 1, "t", b"")])
def test_a_page_with_a_row_that_does_not_fit_the_layout_is_refused(row: tuple) -> None:
    with pytest.raises((ValueError, TypeError, AttributeError)):
        leaf_hashes([row], states=True)
