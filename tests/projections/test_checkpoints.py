"""The checkpoint publisher (projections/checkpoints.py, ADR 0030), on both backends: it signs the
stored tree's head when the tree has grown, at most every N seconds of the ledger's clock, keeps every
checkpoint, and refuses (and says so on /health) when the tree does not extend the last one kept."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from litestar.testing import TestClient

from api.app import create_app
from api.keys import LedgerKey
from domain.backend import Backend
from domain.ledger import Ledger
from domain.storage import merkle_log
from domain.storage.merkle_log import StoredCheckpoint
from domain.transparency.merkle import consistency_proof, verify_consistency
from domain.transparency.note import Checkpoint, NoteSigner, open_checkpoint, sign_checkpoint
from domain.transparency.tiles import TileReader
from projections import runner_for
from projections.checkpoints import CheckpointPublisher
from projections.merkle_log import MerkleLog
from tests import builders as b
from tests.conftest import Clock
from tests.projections.test_merkle_log import change_names, expected_root

LEDGER_ID = "tottori-city-ledger"


@pytest.fixture
def signer() -> NoteSigner:
    return NoteSigner(LEDGER_ID, Ed25519PrivateKey.generate())


def test_no_checkpoint_is_signed_of_an_empty_tree_or_when_nothing_grew_and_one_is_as_soon_as_it_grows(
        ledger: Ledger, clock: Clock, signer: NoteSigner) -> None:
    publisher = CheckpointPublisher(ledger, signer, every=10)
    assert publisher.publish() is None  # nothing in the log
    b.school_with_calendar(ledger)
    assert publisher.publish() is None  # events, but the tree has not taken them yet
    MerkleLog(ledger).catch_up()
    first = publisher.publish()
    assert first is not None
    clock.current = first.signed_at + timedelta(hours=1)
    assert publisher.publish() is None  # an hour later, but nothing grew
    assert [c.tree_size for c in merkle_log.checkpoints(ledger.storage)] == [first.tree_size]
    b.class_with_students(ledger, count=1)  # now it grows, long after N seconds: signed at once
    MerkleLog(ledger).catch_up()
    second = publisher.publish()
    assert second is not None
    assert second.tree_size > first.tree_size


def _first_checkpoint(ledger: Ledger, signer: NoteSigner) -> tuple[list[Any], MerkleLog, CheckpointPublisher,
                                                                    StoredCheckpoint]:
    """A school and a class of three, the tree of them, its publisher (every 10 s) and its first checkpoint."""
    b.school_with_calendar(ledger)
    children = b.class_with_students(ledger, count=3)
    tree, publisher = MerkleLog(ledger), CheckpointPublisher(ledger, signer, every=10)
    tree.catch_up()
    first = publisher.publish()
    assert first is not None
    return children, tree, publisher, first


def test_a_checkpoint_is_signed_at_most_every_n_seconds_and_as_soon_as_the_tree_grew_after_n(
        ledger: Ledger, clock: Clock, signer: NoteSigner) -> None:
    children, tree, publisher, first = _first_checkpoint(ledger, signer)
    opened, _ = open_checkpoint(first.note, signer.key, origin=LEDGER_ID)  # signed with the ledger's key
    assert (opened.origin, opened.size, opened.root) == (LEDGER_ID, ledger_size(ledger), expected_root(ledger))

    change_names(ledger, children, 1)  # the tree grows at once
    tree.catch_up()
    clock.current = first.signed_at + timedelta(seconds=3)  # the clock reads 4 s after the first
    assert publisher.publish() is None
    clock.current = first.signed_at + timedelta(seconds=8)  # reads 9 s after
    assert publisher.publish() is None
    second = publisher.publish()  # reads 10 s after: due, and the tree grew
    assert second is not None
    assert second.signed_at - first.signed_at == timedelta(seconds=10)
    assert second.tree_size == ledger_size(ledger) > first.tree_size

    kept = list(merkle_log.checkpoints(ledger.storage))  # every checkpoint is kept
    assert [(c.tree_size, c.root, c.note) for c in kept] == [(c.tree_size, c.root, c.note) for c in (first, second)]
    reader = TileReader(second.tree_size, tree.read_tile)
    proof = consistency_proof(first.tree_size, second.tree_size, reader.node)
    assert verify_consistency(first.tree_size, second.tree_size, first.root, second.root, proof)


def test_before_a_checkpoint_is_due_the_publisher_reads_nothing_and_after_another_signer_it_waits_for_theirs(
        ledger: Ledger, clock: Clock, signer: NoteSigner, monkeypatch: pytest.MonkeyPatch) -> None:
    """The poller asks on every turn of its loop: before the cadence says a checkpoint is due, nothing is read."""
    children, tree, publisher, first = _first_checkpoint(ledger, signer)
    reads: list[int] = []
    latest = merkle_log.latest_checkpoint
    monkeypatch.setattr(merkle_log, "latest_checkpoint", lambda storage: reads.append(1) or latest(storage))
    change_names(ledger, children, 1)
    tree.catch_up()
    for seconds in (1, 5, 8):  # the clock reads a second later than set (tests/conftest.py Clock)
        clock.current = first.signed_at + timedelta(seconds=seconds)
        assert publisher.publish() is None
    assert reads == []
    # another process (a second `projections run`) signs at 10 s; this one reads it when due, then waits for it
    clock.current = first.signed_at + timedelta(seconds=10)
    other = CheckpointPublisher(ledger, signer, every=10).publish()
    assert other is not None
    assert publisher.publish() is None  # due by its own reckoning: it reads, finds the other's, signs nothing
    assert len(reads) >= 1
    reads.clear()
    change_names(ledger, children, 2)
    tree.catch_up()
    clock.current = first.signed_at + timedelta(seconds=14)
    assert publisher.publish() is None  # 4 s after the other's: too soon, known without reading
    assert reads == []
    clock.current = first.signed_at + timedelta(seconds=20)
    third = publisher.publish()
    assert third is not None
    assert third.tree_size == ledger_size(ledger) > other.tree_size


def test_a_checkpoint_asked_for_a_leaf_is_signed_at_once_only_when_none_holds_it_and_the_tree_does(
        ledger: Ledger, clock: Clock, signer: NoteSigner) -> None:
    children, tree, publisher, first = _first_checkpoint(ledger, signer)
    clock.current = first.signed_at + timedelta(seconds=1)  # well inside the cadence
    assert publisher.publish(holding=first.tree_size - 1) is None  # the first checkpoint holds it already
    change_names(ledger, children, 1)
    assert publisher.publish(holding=first.tree_size) is None  # the log grew but the tree has not taken it
    tree.catch_up()
    clock.current = first.signed_at + timedelta(seconds=2)  # the events took clock readings: back inside it
    assert publisher.publish() is None  # not due by the cadence
    asked = publisher.publish(holding=first.tree_size)  # due because asked: signed now
    assert asked is not None
    assert asked.tree_size == ledger_size(ledger) > first.tree_size
    assert publisher.publish(holding=first.tree_size) is None  # held now: nothing more to sign
    opened, _ = open_checkpoint(asked.note, signer.key, origin=LEDGER_ID)
    reader = TileReader(asked.tree_size, tree.read_tile)
    assert verify_consistency(first.tree_size, asked.tree_size, first.root, opened.root,
                              consistency_proof(first.tree_size, asked.tree_size, reader.node))


def test_a_checkpoint_asked_for_is_still_refused_when_the_tree_does_not_extend_the_last_one(
        ledger: Ledger, clock: Clock, signer: NoteSigner) -> None:
    children, tree, publisher, first = _first_checkpoint(ledger, signer)
    forged_root = bytes(32 - len(b"forged")) + b"forged"
    _alter_checkpoint(ledger, first.tree_size, forged_root,
                      sign_checkpoint(Checkpoint(LEDGER_ID, first.tree_size, forged_root), signer))
    change_names(ledger, children, 1)
    tree.catch_up()
    assert publisher.publish(holding=first.tree_size) is None
    assert merkle_log.refusal(ledger.storage) is not None
    assert [c.tree_size for c in merkle_log.checkpoints(ledger.storage)] == [first.tree_size]


def ledger_size(ledger: Ledger) -> int:
    return int(ledger.storage.query("SELECT count(*) FROM {events}")[0][0])


def _alter_checkpoint(ledger: Ledger, size: int, root: bytes, note: str) -> None:
    """What someone with database rights could do: the table refuses changes by trigger, so drop it."""
    storage = ledger.storage
    with storage.writing() as tx:
        if storage.sqlite:
            tx.execute("DROP TRIGGER merkle_checkpoints_never_updated")
        else:
            tx.execute("ALTER TABLE {merkle_checkpoints} DISABLE TRIGGER merkle_checkpoints_never_changed")
        tx.execute("UPDATE {merkle_checkpoints} SET root = ?, note = ? WHERE tree_size = ?", (root, note, size))


@pytest.mark.parametrize("alteration", ["another history signed", "the row alone"])
def test_a_tree_that_does_not_extend_the_kept_checkpoint_is_refused_and_health_says_so(
        backend: Backend, ledger: Ledger, clock: Clock, signer: NoteSigner, alteration: str) -> None:
    children, tree, publisher, first = _first_checkpoint(ledger, signer)
    forged_root = bytes(32 - len(b"forged")) + b"forged"
    if alteration == "another history signed":  # a checkpoint of another tree, as if the ledger had signed it
        forged_note = sign_checkpoint(Checkpoint(LEDGER_ID, first.tree_size, forged_root), signer)
    else:  # the row's root changed, its signed note left as it was
        forged_note = first.note
    _alter_checkpoint(ledger, first.tree_size, forged_root, forged_note)

    change_names(ledger, children, 1)
    tree.catch_up()
    clock.current = first.signed_at + timedelta(minutes=1)
    assert publisher.publish() is None
    refusal = merkle_log.refusal(ledger.storage)
    assert refusal is not None
    assert (refusal.checkpoint_size, refusal.tree_size) == (first.tree_size, tree.size())
    expected = "CheckpointInconsistent" if alteration == "another history signed" else "CheckpointFork"
    assert refusal.reason.startswith(expected)
    clock.current += timedelta(minutes=1)
    assert publisher.publish() is None  # signing stays stopped
    assert [c.tree_size for c in merkle_log.checkpoints(ledger.storage)] == [first.tree_size]
    runner_for(ledger, backend).catch_up()  # the read models are current: only the refusal is wrong
    with TestClient(app=create_app(ledger, backend)) as client:
        health = client.get("/health")
    assert health.status_code == 503
    assert health.json()["status"] == "refused"
    assert health.json()["detail"].startswith("merkle_log: signing refused")
    assert expected in health.json()["detail"]


def test_the_servers_poller_keeps_the_tree_and_signs_its_checkpoints(backend: Backend, ledger: Ledger) -> None:
    b.school_with_calendar(ledger)
    key = LedgerKey.of(LEDGER_ID, Ed25519PrivateKey.generate())
    with TestClient(app=create_app(ledger, backend, run_projections=True, signing=key)) as client:
        deadline = time.monotonic() + 60
        while merkle_log.latest_checkpoint(ledger.storage) is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert client.get("/health").json()["status"] == "ok"
        latest = merkle_log.latest_checkpoint(ledger.storage)
        assert latest is not None
        opened, _ = open_checkpoint(latest.note, NoteSigner(LEDGER_ID, key.private).key, origin=LEDGER_ID)
        assert (opened.size, opened.root) == (ledger_size(ledger), expected_root(ledger))


def test_a_poller_that_cannot_sign_goes_on_keeping_the_read_models(backend: Backend, ledger: Ledger,
                                                                  signer: NoteSigner) -> None:
    """A bug while signing is logged and tried again; it never stops the poller (ADR 0022)."""
    b.school_with_calendar(ledger)
    runner = runner_for(ledger, backend, signer)
    assert runner.publisher is not None

    def broken() -> None:
        raise RuntimeError("a bug in signing")

    runner.publisher.publish = broken  # type: ignore[method-assign]
    stop = threading.Event()
    thread = threading.Thread(target=runner.poll, args=(stop, 0.02), daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and any(r["lag"] for r in runner.status()):
            time.sleep(0.05)
        assert not any(r["lag"] for r in runner.status())
        assert thread.is_alive()
    finally:
        stop.set()
        thread.join(30)
