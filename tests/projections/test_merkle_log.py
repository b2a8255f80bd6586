"""The Merkle log as a projection (projections/merkle_log.py, ADR 0030), on both backends: its root is
the root of the event rows as stored, computed here from rows this test reads itself; a stop and a
resume, a rebuild, and gaps in positions change nothing of it; a connection killed mid-page is
waited out."""

from __future__ import annotations

import hashlib
import itertools
import struct
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import psycopg
import pytest

from domain.backend import Backend
from domain.ledger import Ledger
from domain.storage import events, merkle_log
from domain.transparency.merkle import leaf_hash, root_of
from projections import runner_for
from projections.merkle_log import NAME, MerkleLog
from tests import builders as b


def rows_as_stored(ledger: Ledger) -> list[tuple[int, uuid.UUID, int, str, bytes]]:
    """Every event row, read here with SQL of this test's own: position, stream, version, topic, state."""
    position = "rowid" if ledger.storage.sqlite else "notification_id"
    rows = ledger.storage.query(f"SELECT {position}, originator_id, originator_version, topic, state FROM {{events}} "
                                f"ORDER BY {position}")
    return [(int(p), s if isinstance(s, uuid.UUID) else uuid.UUID(s), int(v), t, bytes(st)) for p, s, v, t, st in rows]


def leaf_of(position: int, stream: uuid.UUID, version: int, topic: str, state: bytes) -> bytes:
    """ADR 0030's leaf layout, written out again here: version 1, position, stream, version, topic, state hash."""
    encoded = topic.encode()
    return (bytes([1]) + struct.pack(">Q", position) + stream.bytes + struct.pack(">QH", version, len(encoded))
            + encoded + hashlib.sha256(state).digest())


def expected_root(ledger: Ledger) -> bytes:
    return root_of(leaf_hash(leaf_of(*row)) for row in rows_as_stored(ledger))


def some_writes(ledger: Ledger, students: int = 12) -> list[Any]:
    b.school_with_calendar(ledger)
    return b.class_with_students(ledger, count=students)


def change_names(ledger: Ledger, children: list[Any], round_: int) -> None:
    for i, child in enumerate(children):
        ledger.change_identity(child, b.identity(i, family_name=f"鈴木{round_}", family_name_kana="すずき"),
                               reason="氏の変更", recorded_by="registrar")


def burn_positions(ledger: Ledger, count: int) -> None:
    """Leave a gap of ``count`` positions in the log, as rolled-back writes leave on PostgreSQL. On
    SQLite (whose positions are rowids) an event row is written after the gap."""
    storage = ledger.storage
    with storage.writing() as tx:
        if storage.sqlite:
            tx.execute("INSERT INTO {events} (rowid, originator_id, originator_version, topic, state) "
                       "VALUES ((SELECT max(rowid) FROM {events}) + ?, ?, 1, 'gakuseki:GapTest', ?)",
                       (count + 1, uuid.uuid4().hex, b"after a gap"))
        else:
            tx.execute("SELECT setval(pg_get_serial_sequence(?, 'notification_id'), "
                       "(SELECT max(notification_id) FROM {events}) + ?)", (storage.events, count))


def test_the_tree_of_a_series_of_writes_has_the_root_of_the_event_rows_as_stored(ledger: Ledger) -> None:
    children = some_writes(ledger, students=40)
    for round_ in range(1, 5):
        change_names(ledger, children, round_)
    tree = MerkleLog(ledger, page=97)
    rows = rows_as_stored(ledger)
    assert len(rows) > 256  # more than one level-0 tile, so a tile of level 1 too
    assert tree.catch_up() == len(rows)
    assert tree.size() == len(rows)
    assert tree.position() == rows[-1][0]
    assert tree.root() == expected_root(ledger)
    for index in (0, 1, 255, 256, len(rows) - 1):
        assert merkle_log.position_of(ledger.storage, index) == rows[index][0]
        assert merkle_log.leaf_index_of(ledger.storage, rows[index][0]) == index
    change_names(ledger, children[:3], 5)  # more writes: the tree follows them
    assert tree.catch_up() == 3
    assert tree.root() == expected_root(ledger)
    assert tree.catch_up() == 0


def test_a_tree_resumed_after_a_stop_has_the_root_of_one_uninterrupted_run(backend: Backend, ledger: Ledger) -> None:
    children = some_writes(ledger, students=30)
    first = MerkleLog(ledger, page=50)
    head = ledger.position()
    assert first.advance(head) > 0
    assert first.advance(head) > 0  # stopped after two pages, mid-tile
    del first
    change_names(ledger, children, 1)
    resumed = MerkleLog(ledger, page=61)  # another process: it reads the stored tiles to go on
    resumed.catch_up()
    stopped_and_resumed = (resumed.root(), resumed.fingerprint())
    runner = runner_for(ledger, backend)
    runner.rebuild(NAME)  # one uninterrupted run over the same log
    assert (resumed.root(), resumed.fingerprint()) == stopped_and_resumed
    assert resumed.root() == expected_root(ledger)


def test_a_page_another_runner_stores_between_the_reads_of_a_resume_is_taken_up_not_failed_on(
        ledger: Ledger) -> None:
    """Two runners keep one tree (two `projections run` processes, or a test beside the server's poller):
    the other runner's page can land between a resume's read of the position and its reads of the tree
    (seen as "the stored tree has 542 leaves but its last tile lists 33 positions"). The resume reads
    again; both runners end on the root of the rows."""
    some_writes(ledger, students=30)
    head = ledger.position()
    other = MerkleLog(ledger, page=40)
    assert other.advance(head) > 0  # a tree mid-tile

    class Interleaved(MerkleLog):
        interleave = 2  # the other runner stores a page after this one has read the tree's size, twice

        def read_tile(self, level: int, index: int, width: int) -> bytes:
            if self.interleave:
                self.interleave -= 1
                other.advance(head)
            return super().read_tile(level, index, width)

    late = Interleaved(ledger, page=33)
    late.catch_up(head)
    other.catch_up(head)
    assert late.interleave == 0
    assert late.root() == other.root() == expected_root(ledger)
    assert late.size() == len(rows_as_stored(ledger))


def test_a_rebuild_reaches_the_same_tiles_byte_for_byte_and_the_same_root(backend: Backend, ledger: Ledger) -> None:
    some_writes(ledger, students=40)
    runner = runner_for(ledger, backend)
    runner.catch_up(runner.names())
    before = list(merkle_log.tiles_in_order(ledger.storage))
    positions_before = merkle_log.tile_positions(ledger.storage, 0)
    assert runner.merkle_log is not None
    root = runner.merkle_log.root()
    assert runner.rebuild() > 0  # every projection, the Merkle log among them
    assert list(merkle_log.tiles_in_order(ledger.storage)) == before
    assert merkle_log.tile_positions(ledger.storage, 0) == positions_before
    assert runner.merkle_log.root() == root == expected_root(ledger)
    assert runner.store.position(NAME) == ledger.position()


def test_positions_with_gaps_still_give_dense_leaf_indexes(ledger: Ledger) -> None:
    children = some_writes(ledger, students=3)
    burn_positions(ledger, 5)
    change_names(ledger, children, 1)
    burn_positions(ledger, 300)
    change_names(ledger, children, 2)
    rows = rows_as_stored(ledger)
    positions = [r[0] for r in rows]
    gaps = [earlier + 1 for earlier, later in itertools.pairwise(positions) if later - earlier > 5]
    assert len(gaps) == 2
    tree = MerkleLog(ledger, page=4)
    tree.catch_up()
    assert tree.size() == len(rows)
    assert tree.root() == expected_root(ledger)
    assert [merkle_log.position_of(ledger.storage, i) for i in range(len(rows))] == positions
    assert [merkle_log.leaf_index_of(ledger.storage, p) for p in positions] == list(range(len(rows)))
    assert [merkle_log.leaf_index_of(ledger.storage, p) for p in gaps] == [None, None]


def _until(condition: Callable[[], bool], timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.postgres
def test_the_poller_waits_out_a_connection_killed_mid_page_and_the_tree_ends_right(
        postgres_backend: Backend, open_ledger: Callable[[Backend], Ledger], caplog: pytest.LogCaptureFixture) -> None:
    backend = postgres_backend
    ledger = open_ledger(backend)
    children = some_writes(ledger, students=5)
    runner = runner_for(ledger, backend)
    runner.raise_alerts = False  # the alert process records events of its own (ADR 0042): the log stays as written
    runner.catch_up()  # the read models are current: the next pages are the Merkle log's alone
    stop = threading.Event()
    with psycopg.connect(backend.psycopg_conninfo()) as locker:
        # The tile table locked: the poller's page waits on it inside its transaction, and is killed there.
        locker.execute(f'LOCK TABLE "{backend.schema}".merkle_tiles IN ACCESS EXCLUSIVE MODE')
        thread = threading.Thread(target=runner.poll, args=(stop, 0.05), daemon=True)
        thread.start()
        try:
            with psycopg.connect(backend.psycopg_conninfo(), autocommit=True) as killer:
                def waiting() -> list[int]:
                    return [r[0] for r in killer.execute(
                        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> %s "
                        "AND wait_event_type = 'Lock' AND query LIKE %s",
                        (locker.info.backend_pid, "%merkle_tiles%")).fetchall()]
                assert _until(lambda: bool(waiting()))
                for pid in waiting():
                    killer.execute("SELECT pg_terminate_backend(%s)", (pid,))
            locker.rollback()
            change_names(ledger, children, 1)
            assert _until(lambda: runner.store.position(NAME) == ledger.position())
            assert thread.is_alive()
        finally:
            stop.set()
            thread.join(30)
    assert runner.merkle_log is not None
    assert runner.merkle_log.root() == expected_root(ledger)
    # it said what happened: a failure it backed off from, or a lone read run again on a new connection
    assert "failure 1 in a row" in caplog.text or "a read lost its connection" in caplog.text


def test_a_page_is_the_events_as_the_library_reads_them_and_their_states_hashed_as_stored(ledger: Ledger) -> None:
    """events.after (the tree's page) gives the notifications the runner reads, field for field."""
    some_writes(ledger, students=3)
    library = ledger.recorder.select_notifications(start=0, limit=10_000, inclusive_of_start=False)
    page = events.after(ledger.storage, 0, 10_000)
    assert page == [(n.id, n.originator_id, n.originator_version, n.topic, bytes(n.state)) for n in library]
    assert events.after(ledger.storage, library[2].id, 3, stop=library[4].id) == page[3:5]
    hashed = events.digests_after(ledger.storage, 0, 10_000)  # what the tree reads: the state by its SHA-256
    assert hashed == [(p, s, v, t, hashlib.sha256(state).digest()) for p, s, v, t, state in page]


def test_the_leaves_commit_to_the_state_as_stored_after_the_mappers_compression(backend: Backend,
                                                                                clock: Any) -> None:
    env = {**backend.eventsourcing_env(), "COMPRESSOR_TOPIC": "eventsourcing.compressor:ZlibCompressor"}
    compressed = Ledger(env=env, clock=clock)
    try:
        some_writes(compressed, students=2)
        rows = rows_as_stored(compressed)
        assert all(state[:1] != b"{" for *_, state in rows)  # stored compressed, not as JSON
        tree = MerkleLog(compressed)
        tree.catch_up()
        assert tree.root() == expected_root(compressed)
        decoded = [compressed.mapper.compressor.decompress(state) for *_, state in rows]  # type: ignore[union-attr]
        assert tree.root() != root_of(leaf_hash(leaf_of(*row[:4], plain)) for row, plain in zip(rows, decoded,
                                                                                                 strict=True))
    finally:
        compressed.close()
