"""The tamper catalogue (issue 12, "Correctness, shown by tests"): on a small ledger on both backends,
written through the ledger's commands with the Merkle projection run and checkpoints signed and
cosigned, the audit finds every alteration an attacker with database rights can make, at the right
leaf and with the right kind, and nothing on the untouched ledger.

What is exhaustive and what is sampled, and why:

- Exhaustive, at the leaf level (``test_every_single_bit_flip_of_every_stored_column_changes_its_leaf``):
  every single-bit flip of every stored column (position, stream id as stored, version, topic as
  stored, every bit of the state bytes) of every event row gives a row that either holds a value
  the ledger never writes (refused by name of the column) or whose leaf is none of the signed
  leaves. Together with the untouched ledger verifying (every recomputed leaf equals the signed
  one), this proves the audit's first differing leaf is that row's: the walk compares leaf by leaf
  in order, and only that row's leaf changed. Running the whole audit for each of the ~700,000
  flips (mostly state bits) would take hours and prove nothing more about the walk.
- Sampled, end to end on the database (``test_a_flipped_bit_of_any_column_of_any_row_is_found_where_it_is``):
  for every row and every column, one flip made with SQL in the table (triggers out of the way),
  and the whole audit run on what the database then holds: the bit is the first byte's for one
  row in three, the last byte's for the next, a random one (seeded) for the third, so that every
  row, every column and both ends of each value are covered. A flip the database itself refuses
  (a position or version another row already has; on PostgreSQL a topic that is not UTF-8 or holds
  a NUL) cannot be made by an attacker either, and is skipped.
- Every deleted row, end to end; swapped rows, an inserted row, a truncated tail, forged and forked
  checkpoints and a cosignature over another root, end to end.
"""

from __future__ import annotations

import random
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from domain.backend import Backend
from domain.storage.audit_reads import AuditDatabase
from domain.transparency.audit_findings import Kind
from domain.transparency.audit_rows import Malformed, row_leaf
from domain.transparency.merkle import leaf_hash
from domain.transparency.note import COSIGNATURE_V1, Checkpoint, NoteSigner, cosign, sign_checkpoint
from tests.domain.transparency.signed_ledger import (
    ORIGIN,
    SignedLedger,
    audit_on,
    execute,
    signed_ledger,
    tampering,
)

STUDENTS = 60  # about 300 events


@pytest.fixture
def signed(backend: Backend, clock: Any) -> SignedLedger:
    return signed_ledger(backend, clock, students=STUDENTS)


@contextmanager
def undone(conn: Any, backend: Backend) -> Iterator[None]:
    """A change to the tables that is undone when the block ends (a savepoint rolled back to)."""
    conn.execute("SAVEPOINT tamper")
    try:
        yield
    finally:
        conn.execute("ROLLBACK TO SAVEPOINT tamper" if backend.kind == "postgresql" else "ROLLBACK TO tamper")
        conn.execute("RELEASE SAVEPOINT tamper" if backend.kind == "postgresql" else "RELEASE tamper")


REFUSED = (sqlite3.IntegrityError, psycopg.errors.IntegrityError, psycopg.errors.DataError,
           psycopg.errors.CharacterNotInRepertoire, psycopg.errors.UntranslatableCharacter)


def raw_rows(conn: Any, backend: Backend) -> list[tuple[Any, ...]]:
    return list(AuditDatabase.on(conn, sqlite=backend.kind == "sqlite", schema=backend.schema).events())


def signed_leaves(conn: Any, backend: Backend) -> list[bytes]:
    db = AuditDatabase.on(conn, sqlite=backend.kind == "sqlite", schema=backend.schema)
    data = b"".join(hashes for _, hashes in db.leaf_tiles())
    return [data[i:i + 32] for i in range(0, len(data), 32)]


def _signed64(value: int) -> int:
    value &= (1 << 64) - 1
    return value - (1 << 64) if value >> 63 else value


def _flip(data: bytes, bit: int) -> bytes:
    b = bytearray(data)
    b[bit // 8] ^= 1 << (bit % 8)
    return bytes(b)


def _as_bytes(value: Any) -> bytes:
    if isinstance(value, uuid.UUID):
        return value.bytes
    return value.encode("utf-8") if isinstance(value, str) else bytes(value)


# ---------------------------------------------------------------- no false positive


def test_the_untouched_ledger_verifies_with_every_checkpoint_and_cosignature(signed: SignedLedger) -> None:
    with tampering(signed.backend) as conn:
        report = audit_on(conn, signed)
    assert report.findings == []
    assert report.status == 0
    assert report.events == len(signed.rows) >= 250
    assert [c.size for c in report.checkpoints] == signed.sizes
    assert all(c.witnesses == [signed.witness.name] for c in report.checkpoints)
    assert report.verified_size == len(signed.rows)
    assert report.summary().startswith(f"VERIFIED: {len(signed.rows)} events, 3 signed checkpoints")


# ---------------------------------------------------------------- single-bit flips


def test_every_single_bit_flip_of_every_stored_column_changes_its_leaf(signed: SignedLedger) -> None:
    backend = signed.backend
    with tampering(backend) as conn:
        rows = raw_rows(conn, backend)
        signed_list = signed_leaves(conn, backend)
    assert [row_leaf(r) for r in rows] == signed_list  # the untouched rows give back every signed leaf
    signed_set = set(signed_list)
    flips = 0
    for row in rows:
        position, stream, version, topic, state = row
        variants: list[tuple[str, tuple[Any, ...]]] = []
        for k in range(64):
            variants.append(("position", (_signed64(position ^ (1 << k)), stream, version, topic, state)))
            variants.append(("version", (position, stream, _signed64(version ^ (1 << k)), topic, state)))
        stored_id = _as_bytes(stream)
        for k in range(8 * len(stored_id)):
            flipped = _flip(stored_id, k)
            variants.append(("stream id", (position, uuid.UUID(bytes=flipped) if isinstance(stream, uuid.UUID)
                                           else flipped, version, topic, state)))
        stored_topic = _as_bytes(topic)
        for k in range(8 * len(stored_topic)):
            variants.append(("topic", (position, stream, version, _flip(stored_topic, k), state)))
        for k in range(8 * len(state)):
            variants.append(("state", (position, stream, version, topic, _flip(state, k))))
        for column, variant in variants:
            flips += 1
            try:
                leaf = row_leaf(variant)
            except Malformed as e:
                refused = e.column
            else:
                refused = None
                assert leaf not in signed_set, (row[0], column)
            assert refused in (None, column), (row[0], column, refused)
    assert flips > 100_000


def _one_bit(i: int, nbits: int, rng: random.Random) -> int:
    """First byte's bit for one row in three, the last byte's for the next, a random bit for the third."""
    choice = i % 3
    if choice == 0:
        return (i // 3) % 8
    if choice == 1:
        return nbits - 8 + (i // 3) % 8
    return rng.randrange(nbits)


def _flip_sql(conn: Any, signed: SignedLedger, row: tuple[Any, ...], column: str, bit: int) -> None:
    backend = signed.backend
    position, stream, version, topic, state = row
    sqlite = backend.kind == "sqlite"
    if column == "position":
        execute(conn, backend, "UPDATE {events} SET {position} = ? WHERE {position} = ?",
                (_signed64(position ^ (1 << bit)), position))
    elif column == "version":
        execute(conn, backend, "UPDATE {events} SET originator_version = ? WHERE {position} = ?",
                (_signed64(version ^ (1 << bit)), position))
    elif column == "stream id":
        flipped = _flip(_as_bytes(stream), bit)
        if sqlite:
            execute(conn, backend, "UPDATE {events} SET originator_id = CAST(? AS TEXT) WHERE {position} = ?",
                    (flipped, position))
        else:
            execute(conn, backend, "UPDATE {events} SET originator_id = ? WHERE {position} = ?",
                    (uuid.UUID(bytes=flipped), position))
    elif column == "topic":
        flipped = _flip(_as_bytes(topic), bit)
        if sqlite:
            execute(conn, backend, "UPDATE {events} SET topic = CAST(? AS TEXT) WHERE {position} = ?",
                    (flipped, position))
        else:
            execute(conn, backend, "UPDATE {events} SET topic = ? WHERE {position} = ?",
                    (flipped.decode("utf-8"), position))
    else:
        execute(conn, backend, "UPDATE {events} SET state = ? WHERE {position} = ?", (_flip(state, bit), position))


def test_a_flipped_bit_of_any_column_of_any_row_is_found_where_it_is(signed: SignedLedger) -> None:
    backend = signed.backend
    rng = random.Random(12)
    made = refused = 0
    with tampering(backend) as conn:
        rows = raw_rows(conn, backend)
        for i, row in enumerate(rows):
            sizes = {"position": 64, "version": 64, "stream id": 8 * len(_as_bytes(row[1])),
                     "topic": 8 * len(_as_bytes(row[3])), "state": 8 * len(row[4])}
            for column, nbits in sizes.items():
                bit = _one_bit(i, nbits, rng)
                with undone(conn, backend):
                    try:
                        _flip_sql(conn, signed, row, column, bit)
                    except (*REFUSED, UnicodeDecodeError):
                        refused += 1
                        continue
                    report = audit_on(conn, signed)
                made += 1
                assert report.status == Kind.CHANGED_ROW.status, (i, column, bit, report.summary())
                first = report.first
                assert first is not None
                assert first.kind is Kind.CHANGED_ROW
                assert first.column == column, (i, column, bit, str(first))
                assert first.position == row[0], (i, column, bit, str(first))
                if column != "position":  # a changed position can move the row: then the data part earlier
                    assert first.leaf == i, (i, column, bit, str(first))
    assert made >= 4 * len(rows)  # most flips can be made
    assert refused <= len(rows)


# ---------------------------------------------------------------- rows removed, added, moved


def test_every_deleted_row_is_found_at_its_leaf(signed: SignedLedger) -> None:
    backend = signed.backend
    with tampering(backend) as conn:
        rows = raw_rows(conn, backend)
        for i, row in enumerate(rows):
            with undone(conn, backend):
                execute(conn, backend, "DELETE FROM {events} WHERE {position} = ?", (row[0],))
                report = audit_on(conn, signed)
            first = report.first
            assert first is not None, i
            expected = Kind.TRUNCATED_TAIL if i == len(rows) - 1 else Kind.MISSING_ROW
            assert (first.kind, first.leaf, first.position) == (expected, i, row[0]), (i, str(first))
            assert report.status == expected.status


def test_a_truncated_tail_is_found_where_the_rows_end(signed: SignedLedger) -> None:
    backend = signed.backend
    with tampering(backend) as conn:
        rows = raw_rows(conn, backend)
        cut = len(rows) - 40
        execute(conn, backend, "DELETE FROM {events} WHERE {position} >= ?", (rows[cut][0],))
        report = audit_on(conn, signed)
    first = report.first
    assert first is not None
    assert (first.kind, first.leaf, first.position) == (Kind.TRUNCATED_TAIL, cut, rows[cut][0])
    assert "40 signed leaves" in first.detail
    assert report.status == 9


@pytest.mark.parametrize("pair", [(0, 1), (17, 18), (30, 200), (0, -1)])
def test_two_swapped_rows_are_found_as_reordered(signed: SignedLedger, pair: tuple[int, int]) -> None:
    backend = signed.backend
    with tampering(backend) as conn:
        rows = raw_rows(conn, backend)
        a, b = sorted(i % len(rows) for i in pair)
        pa, pb = rows[a][0], rows[b][0]
        for old, new in ((pa, -7), (pb, pa), (-7, pb)):
            execute(conn, backend, "UPDATE {events} SET {position} = ? WHERE {position} = ?", (new, old))
        report = audit_on(conn, signed)
    first = report.first
    assert first is not None
    assert (first.kind, first.leaf, first.position) == (Kind.REORDERED_ROWS, a, pa), str(first)
    assert f"leaves {a} and {b}" in first.detail
    assert report.status == 8


def _insert(conn: Any, signed: SignedLedger, position: int, like: tuple[Any, ...]) -> None:
    backend = signed.backend
    stream = uuid.uuid4()
    if backend.kind == "sqlite":
        execute(conn, backend, "INSERT INTO {events} (rowid, originator_id, originator_version, topic, state) "
                "VALUES (?, ?, 1, CAST(? AS TEXT), ?)", (position, stream.hex, _as_bytes(like[3]), like[4]))
    else:
        execute(conn, backend, "INSERT INTO {events} (notification_id, originator_id, originator_version, topic, "
                "state) VALUES (?, ?, 1, ?, ?)", (position, stream, like[3], like[4]))


def test_an_inserted_row_is_found_at_its_leaf(signed: SignedLedger) -> None:
    backend = signed.backend
    with tampering(backend) as conn:
        rows = raw_rows(conn, backend)
        _insert(conn, signed, 0, rows[5])  # positions start at 1: 0 is before every signed row
        report = audit_on(conn, signed)
    first = report.first
    assert first is not None
    assert (first.kind, first.leaf, first.position) == (Kind.INSERTED_ROW, 0, 0), str(first)
    assert report.status == 7


def test_a_row_appended_after_the_latest_checkpoint_is_not_signed_yet(signed: SignedLedger) -> None:
    """What the log cannot show (docs/audit.md): an event added after the latest checkpoint is like a new one."""
    backend = signed.backend
    with tampering(backend) as conn:
        rows = raw_rows(conn, backend)
        _insert(conn, signed, rows[-1][0] + 1, rows[3])
        report = audit_on(conn, signed)
    assert report.findings == []
    assert "1 events after the latest checkpoint are not signed yet" in report.summary()


# ---------------------------------------------------------------- checkpoints and cosignatures


def _checkpoints_table(backend: Backend) -> str:
    return "merkle_checkpoints" if backend.kind == "sqlite" else f'"{backend.schema}".merkle_checkpoints'


def _cosignatures_table(backend: Backend) -> str:
    return "merkle_cosignatures" if backend.kind == "sqlite" else f'"{backend.schema}".merkle_cosignatures'


def _q(backend: Backend, statement: str) -> str:
    return statement.replace("?", "%s") if backend.kind == "postgresql" else statement


def _put_checkpoint(conn: Any, backend: Backend, size: int, root: bytes, note: str) -> None:
    conn.execute(_q(backend, f"INSERT INTO {_checkpoints_table(backend)} (tree_size, root, note, signed_at) "
                             "VALUES (?, ?, ?, ?)"), (size, root, note, "2026-12-07T01:00:00+00:00"))


def test_a_checkpoint_signed_by_another_key_is_refused(signed: SignedLedger) -> None:
    backend = signed.backend
    forger = NoteSigner(ORIGIN, Ed25519PrivateKey.generate())  # the ledger's name, another key
    with tampering(backend) as conn:
        root = bytes(32)
        _put_checkpoint(conn, backend, 10, root, sign_checkpoint(Checkpoint(ORIGIN, 10, root), forger))
        report = audit_on(conn, signed)
    assert report.status == Kind.BAD_SIGNATURE.status
    assert report.first is not None
    assert "no known key signed" in report.first.detail


def test_a_checkpoint_whose_root_was_altered_under_its_signature_is_refused(signed: SignedLedger) -> None:
    backend = signed.backend
    size = signed.sizes[0]
    with tampering(backend) as conn:
        table = _checkpoints_table(backend)
        (note,) = conn.execute(_q(backend, f"SELECT note FROM {table} WHERE tree_size = ?"), (size,)).fetchone()
        lines = note.split("\n")
        lines[2] = "A" * 43 + "="  # another root, the ledger's signature line kept
        conn.execute(_q(backend, f"UPDATE {table} SET note = ?, root = ? WHERE tree_size = ?"),
                     ("\n".join(lines), bytes(32), size))
        report = audit_on(conn, signed)
    assert report.status == Kind.BAD_SIGNATURE.status
    assert report.first is not None
    assert "does not verify" in report.first.detail


def test_a_cosignature_over_another_root_is_refused(signed: SignedLedger) -> None:
    backend = signed.backend
    size = signed.sizes[1]
    other = sign_checkpoint(Checkpoint(ORIGIN, size, bytes(range(32))), signed.signer)
    line = cosign(other, signed.witness, 1_900_000_000).line
    with tampering(backend) as conn:
        conn.execute(_q(backend, f"DELETE FROM {_cosignatures_table(backend)} WHERE tree_size = ?"), (size,))
        conn.execute(_q(backend, f"INSERT INTO {_cosignatures_table(backend)} (tree_size, key_id, witness, "
                                 "cosigned_at, line, received_at) VALUES (?, ?, ?, ?, ?, ?)"),
                     (size, signed.witness.key.key_id, signed.witness.name, 1_900_000_000, line,
                      "2026-12-07T01:00:00+00:00"))
        report = audit_on(conn, signed)
    assert report.status == Kind.BAD_SIGNATURE.status
    assert report.first is not None
    assert f"cosignature of {signed.witness.name}" in report.first.detail
    assert "does not verify" in report.first.detail


def test_a_cosignature_by_a_witness_not_named_is_ignored(signed: SignedLedger) -> None:
    backend = signed.backend
    stranger = NoteSigner("someone-else", Ed25519PrivateKey.generate(), COSIGNATURE_V1)
    size = signed.sizes[0]
    other = sign_checkpoint(Checkpoint(ORIGIN, size, bytes(range(32))), signed.signer)
    with tampering(backend) as conn:
        conn.execute(_q(backend, f"INSERT INTO {_cosignatures_table(backend)} (tree_size, key_id, witness, "
                                 "cosigned_at, line, received_at) VALUES (?, ?, ?, ?, ?, ?)"),
                     (size, stranger.key.key_id, stranger.name, 1, cosign(other, stranger, 1).line,
                      "2026-12-07T01:00:00+00:00"))
        report = audit_on(conn, signed)
    assert report.findings == []


def test_a_fork_signed_with_the_ledgers_own_key_is_refused(signed: SignedLedger) -> None:
    """The operator (who holds the ledger's key) signs another history at a size it had not signed."""
    backend = signed.backend
    with tampering(backend) as conn:
        root = leaf_hash(b"another history")
        _put_checkpoint(conn, backend, 50, root, sign_checkpoint(Checkpoint(ORIGIN, 50, root), signed.signer))
        report = audit_on(conn, signed)
    assert report.status == Kind.FORK.status
    first = report.first
    assert first is not None
    assert first.kind is Kind.FORK
    assert first.leaf == 50
    assert "inconsistent" in first.detail


def test_a_held_checkpoint_of_the_same_size_with_another_root_is_a_fork(signed: SignedLedger) -> None:
    """A board kept a checkpoint the ledger signed; the database now holds another of that size."""
    backend = signed.backend
    size = signed.sizes[1]
    held = sign_checkpoint(Checkpoint(ORIGIN, size, leaf_hash(b"what the board was shown")), signed.signer)
    with tampering(backend) as conn:
        report = audit_on(conn, signed, held=[("board.checkpoint", held)])
    assert report.status == Kind.FORK.status
    assert report.first is not None
    assert "different roots" in report.first.detail


def test_rows_changed_and_the_tiles_rebuilt_to_match_are_still_found_between_checkpoints(
        signed: SignedLedger) -> None:
    """An attacker who also rewrites the Merkle tables cannot make them give the signed roots."""
    backend = signed.backend
    with tampering(backend) as conn:
        rows = raw_rows(conn, backend)
        i = signed.sizes[0] + 5
        execute(conn, backend, "UPDATE {events} SET state = ? WHERE {position} = ?", (b"rewritten", rows[i][0]))
        tiles = "merkle_tiles" if backend.kind == "sqlite" else f'"{backend.schema}".merkle_tiles'
        conn.execute(f"DELETE FROM {tiles}")
        report = audit_on(conn, signed)
    first = report.first
    assert report.status == Kind.CHANGED_ROW.status, report.summary()
    assert first is not None
    assert first.leaf == signed.sizes[0]
    assert f"leaves {signed.sizes[0]} to {signed.sizes[1] - 1}" in first.detail


def test_tiles_altered_under_intact_rows_are_found(signed: SignedLedger) -> None:
    backend = signed.backend
    with tampering(backend) as conn:
        tiles = "merkle_tiles" if backend.kind == "sqlite" else f'"{backend.schema}".merkle_tiles'
        (hashes,) = conn.execute(f"SELECT hashes FROM {tiles} WHERE level = 0 AND tile_index = 0").fetchone()
        conn.execute(_q(backend, f"UPDATE {tiles} SET hashes = ? WHERE level = 0 AND tile_index = 0"),
                     (_flip(bytes(hashes), 8 * 32 * 3),))
        report = audit_on(conn, signed)
    assert report.status == Kind.TREE_ALTERED.status, report.summary()


def test_a_log_with_events_and_no_checkpoint_verifies_nothing(backend: Backend, clock: Any) -> None:
    ledger = signed_ledger(backend, clock, students=3, sizes=[])
    with tampering(backend) as conn:
        report = audit_on(conn, ledger)
    assert report.status == Kind.UNSIGNED.status
    assert report.checkpoints == []
    assert report.first is not None
    assert f"{len(ledger.rows)} events and no checkpoint" in report.first.detail


def test_rows_after_the_latest_checkpoint_are_compared_with_the_tiles_and_said_to_be_unsigned(
        backend: Backend, clock: Any) -> None:
    ledger = signed_ledger(backend, clock, students=20, sizes=[40, 60])  # the tree goes on past 60 leaves
    tail = len(ledger.rows) - 60
    with tampering(backend) as conn:
        report = audit_on(conn, ledger)
        assert report.findings == []
        assert f"{tail} events after the latest checkpoint are not signed yet" in report.summary()
        execute(conn, backend, "UPDATE {events} SET state = ? WHERE {position} = ?", (b"changed", ledger.rows[70][0]))
        report = audit_on(conn, ledger)
    first = report.first
    assert first is not None
    assert (first.kind, first.leaf) == (Kind.CHANGED_ROW, 70)
    assert "after the latest checkpoint" in first.detail


# ---------------------------------------------------------------- the pass over the rows, a page at a time


def test_the_pages_the_audit_reads_hold_the_rows_as_stored_and_their_leaves(signed: SignedLedger) -> None:
    backend = signed.backend
    with tampering(backend) as conn:
        db = AuditDatabase.on(conn, sqlite=backend.kind == "sqlite", schema=backend.schema)
        rows = list(db.events())
        pages = list(db.leaf_pages())
        assert [p.row(k) for p in pages for k in range(len(p.leaves))] == rows
        assert [leaf for p in pages for leaf in p.leaves] == [row_leaf(r) for r in rows] == signed_leaves(conn, backend)
        assert list(db.leaf_pages())
        assert list(db.events()) == rows  # the connection reads on after a pass


@pytest.mark.postgres
@pytest.mark.parametrize("column", ["topic", "state"])  # the others make the primary key
def test_a_null_in_a_column_is_a_changed_row_naming_it(postgres_backend: Backend, clock: Any, column: str) -> None:
    # PostgreSQL alone: SQLite's event table cannot lose its NOT NULL constraints in place
    backend = postgres_backend
    ledger = signed_ledger(backend, clock, students=10)
    with tampering(backend) as conn:
        rows = raw_rows(conn, backend)
        i = len(rows) // 2
        conn.execute(f'ALTER TABLE "{backend.schema}".gakuseki_events ALTER COLUMN {column} DROP NOT NULL')
        execute(conn, backend, f"UPDATE {{events}} SET {column} = NULL WHERE {{position}} = ?", (rows[i][0],))
        report = audit_on(conn, ledger)
    first = report.first
    assert first is not None
    assert (first.kind, first.leaf, first.position) == (Kind.CHANGED_ROW, i, rows[i][0]), str(first)
    assert first.column == column


def test_a_pass_left_after_its_first_page_leaves_the_connection_reading(signed: SignedLedger) -> None:
    backend = signed.backend
    with tampering(backend) as conn:
        db = AuditDatabase.on(conn, sqlite=backend.kind == "sqlite", schema=backend.schema)
        if backend.kind == "postgresql":  # more than a page, so that the pass is left with rows still coming
            execute(conn, backend, "INSERT INTO {events} (notification_id, originator_id, originator_version, topic, "
                    "state) SELECT 1000000 + g, gen_random_uuid(), 1, 't', '\\x00'::bytea "
                    "FROM generate_series(1, 5000) AS g")
        pages = db.leaf_pages()
        assert next(pages).leaves
        pages.close()  # the rest of the rows dropped, the transaction intact
        assert db.count_events() == len(signed.rows) + (5000 if backend.kind == "postgresql" else 0)
