"""Group commit: writes that arrive together share one transaction, and each keeps its own outcome."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from domain import errors
from domain.backend import Backend
from domain.group_commit import GroupCommit, Pending
from domain.ledger import Ledger
from tests import builders as b

BOARD = "312011"


def _code(n: int) -> str:
    return f"B13122{n:07d}"


def _until(condition: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def test_writes_queued_behind_a_running_save_go_together_in_the_next_one() -> None:
    gate, batches = threading.Event(), []

    def save(batch: list[Pending]) -> None:
        batches.append(len(batch))
        if len(batches) == 1:
            gate.wait(10)
        for n, item in enumerate(batch):
            item.ids = [len(batches) * 100 + n]

    group = GroupCommit(save)
    items = [Pending([], None) for _ in range(4)]
    threads = [threading.Thread(target=group.submit, args=(item,)) for item in items]
    threads[0].start()
    _until(lambda: batches == [1])  # the first is saving alone
    for t in threads[1:]:
        t.start()
    _until(lambda: len(group._queue) == 3)
    gate.set()
    for t in threads:
        t.join(10)
    assert batches == [1, 3]
    assert [item.ids for item in items] == [[100], [200], [201], [202]]
    assert (group.batches, group.writes) == (2, 4)


def test_a_batch_that_fails_tells_every_write_in_it() -> None:
    def save(batch: list[Pending]) -> None:
        raise ConnectionError("the database went away")

    group = GroupCommit(save)
    with pytest.raises(ConnectionError):
        group.submit(Pending([], None))
    assert not group._leading  # the next write may lead


def test_a_conflict_in_a_batch_refuses_only_the_write_in_conflict(backend: Backend, ledger: Ledger) -> None:
    """Four registrations, the middle two of the same school, decided while the first is saving:
    the three queued share a transaction, which the duplicate fails; saved again one by one, only
    the second registration of that school is refused."""
    outcomes: dict[int, Any] = {}

    def register(n: int, code: str) -> None:
        try:
            outcomes[n] = ledger.register_school(code, f"学校{n}", BOARD, recorded_by="admin")
        except errors.LedgerError as e:
            outcomes[n] = e

    before = ledger.position()
    calls = b.saved_together(ledger, lambda: register(0, _code(1)),
                             [lambda n=n, code=code: register(n, code)
                              for n, code in [(1, _code(2)), (2, _code(2)), (3, _code(3))]])

    refused = [n for n, o in outcomes.items() if isinstance(o, errors.ConcurrencyConflict)]
    assert len(refused) == 1
    assert refused[0] in (1, 2)
    saved = [o for o in outcomes.values() if not isinstance(o, Exception)]
    assert len({o.position for o in saved}) == 3
    assert ledger.position() > before
    assert {ledger.find_school(_code(n)) is not None for n in (1, 2, 3)} == {True}
    assert calls[:2] == [1, 3]  # the first alone, then the three queued in one transaction (refused whole)


def test_many_concurrent_writers_each_get_their_own_receipt(backend: Backend, ledger: Ledger) -> None:
    receipts: list[Any] = []
    lock = threading.Lock()

    def register(k: int) -> None:
        for n in range(10):
            receipt = ledger.register_school(_code(1000 + k * 100 + n), f"学校{k}-{n}", BOARD, recorded_by="admin")
            with lock:
                receipts.append(receipt)

    threads = [threading.Thread(target=register, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(receipts) == 80
    assert len({r.stream_id for r in receipts}) == 80
    for r in receipts:  # each receipt names the last position of the transaction that holds its own event
        [(position, event)] = ledger.events_in_streams([r.stream_id])
        assert event.originator_id == r.stream_id
        assert position <= r.position == ledger.transaction_end(position)
    assert ledger.group_commit.writes >= 80
