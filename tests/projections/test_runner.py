"""The polling runner's loop: a refused page is read again, a broken projection does not stop the others."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from domain.backend import Backend
from domain.event import Event
from domain.ledger import Ledger
from domain.student import IdentityDetailsChanged
from projections import all_projections, runner_for
from projections import runner as runner_module
from projections.roster import Roster, RosterDocument
from projections.runner import Runner
from projections.store import DocumentStore
from tests import builders as b


class OvertakenStore(DocumentStore):
    """A real store whose next save is overtaken: just before it, another runner (a request's
    ``wait_for``) catches the projections up, so the page being saved is refused (StaleUpdate)."""

    def __init__(self, store: DocumentStore) -> None:
        super().__init__(store.storage)
        self.other: Runner | None = None

    def save_encoded(self, updates: Any, position: int, since: int, new: Any = None) -> None:  # save_many's too
        other, self.other = self.other, None
        if other is not None:
            other.catch_up()
        super().save_encoded(updates, position, since, new)


def test_a_page_another_runner_saved_first_is_read_again_and_the_projections_end_current(
        backend: Backend, ledger: Ledger) -> None:
    b.school_with_calendar(ledger)
    ids = b.class_with_students(ledger, count=3)
    plain = runner_for(ledger, backend)
    store = OvertakenStore(plain.store)
    runner = Runner(ledger, store, all_projections())
    runner.catch_up()
    ledger.withdraw(ids[2], on=date(2026, 5, 11), reason="転居", recorded_by="principal")
    store.other = runner_for(ledger, backend)  # the request that catches up first
    runner.catch_up()  # today's runner raised StaleUpdate here, and `projections run` died of it
    assert store.other is None
    assert all(row["lag"] == 0 for row in runner.status())
    fresh = runner_for(ledger, backend)
    before = {name: fresh.fingerprint(name) for name in fresh.projections}
    fresh.rebuild()
    assert {name: fresh.fingerprint(name) for name in fresh.projections} == before


def test_a_rebuild_overtaken_by_another_runner_reads_on_from_it_and_ends_with_the_same_documents(
        backend: Backend, ledger: Ledger) -> None:
    b.school_with_calendar(ledger)
    ids = b.class_with_students(ledger, count=3)
    ledger.withdraw(ids[2], on=date(2026, 5, 11), reason="転居", recorded_by="principal")
    plain = runner_for(ledger, backend)
    plain.catch_up()
    before = {name: plain.fingerprint(name) for name in plain.projections}
    store = OvertakenStore(plain.store)
    runner = Runner(ledger, store, all_projections())
    store.other = runner_for(ledger, backend)  # its first save is overtaken: the rest is read again
    runner.rebuild(batch=2, save_every=2)
    assert store.other is None
    assert {name: runner.fingerprint(name) for name in runner.projections} == before
    assert all(row["lag"] == 0 for row in runner.status())


class BrokenRoster(Roster):
    """A roster with a bug: it cannot apply a change of name."""

    name = "broken_roster"

    def apply(self, document: RosterDocument | None, event: Event) -> RosterDocument:
        if isinstance(event, IdentityDetailsChanged):
            raise KeyError("a bug in the projection")
        return super().apply(document, event)


def _until(condition: Any, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_a_projection_that_fails_with_a_bug_is_set_aside_the_others_go_on_and_it_shows_as_stalled(
        backend: Backend, ledger: Ledger, caplog: Any) -> None:
    b.school_with_calendar(ledger)
    ids = b.class_with_students(ledger, count=2)
    plain = runner_for(ledger, backend)
    runner = Runner(ledger, plain.store, [*all_projections(), BrokenRoster()])
    stop = threading.Event()
    poller = threading.Thread(target=runner.poll, args=(stop, 0.05))
    poller.start()
    try:
        ledger.change_identity(ids[0], b.identity(1, family_name="鈴木", family_name_kana="すずき"),
                               reason="氏の変更", recorded_by="registrar")
        ledger.withdraw(ids[1], on=date(2026, 5, 11), reason="転居", recorded_by="principal")
        head = ledger.position()
        assert _until(lambda: all(row["position"] == head for row in runner.status()
                                  if row["projection"] != "broken_roster"))
        assert _until(lambda: "broken_roster cannot apply the log" in caplog.text)
        assert poller.is_alive()
    finally:
        stop.set()
        poller.join(30)
    assert not poller.is_alive()
    # five minutes on, by the database's clock (the tracking row) and the ledger's (the events' times)
    later = max(datetime.now(UTC), ledger.now()) + timedelta(minutes=5)
    rows = {row["projection"]: row for row in runner.status(stalled_after=60, now=later)}
    assert rows["broken_roster"]["lag"] > 0
    assert rows["broken_roster"]["stalled"]
    assert not any(row["stalled"] for name, row in rows.items() if name != "broken_roster")
    assert "KeyError: 'a bug in the projection'" in caplog.text  # logged with its traceback


def test_a_projection_behind_for_less_than_the_threshold_is_not_stalled(backend: Backend, ledger: Ledger) -> None:
    b.school_with_calendar(ledger)
    runner = runner_for(ledger, backend)
    runner.catch_up()
    b.class_with_students(ledger, count=1)
    moved = runner.store.tracked()["roster"][1]
    assert not any(row["stalled"] for row in runner.status(stalled_after=60, now=moved + timedelta(seconds=30)))
    assert all(row["stalled"] for row in runner.status(stalled_after=60, now=datetime.now(UTC) + timedelta(days=400)))


def _state(runner: Runner) -> dict[str, tuple[int, str]]:
    """Each projection's position (the Merkle log's size) and fingerprint."""
    assert runner.merkle_log is not None
    return {name: (runner.store.position(name) if name in runner.projections else runner.merkle_log.size(),
                   runner.fingerprint(name)) for name in runner.names()}


@pytest.mark.postgres
def test_a_rebuild_in_two_processes_gives_the_same_documents_positions_and_tree_as_one_pass(
        postgres_backend: Backend, open_ledger: Any) -> None:
    ledger = open_ledger(postgres_backend)
    b.school_with_calendar(ledger)
    ids = b.class_with_students(ledger, count=4)
    for day in (date(2026, 4, 8), date(2026, 4, 9), date(2026, 4, 10)):
        ledger.record_roll(b.ELEMENTARY, b.YEAR, 1, "1", on=day, recorded_by=b.STAFF, marks=[
            (sid, {"code": "absent_illness", "reason": "発熱"} if sid == ids[1] else {"code": "present"})
            for sid in ids])
    ledger.withdraw(ids[3], on=date(2026, 5, 11), reason="転居", recorded_by="principal")
    runner = runner_for(ledger, postgres_backend)
    runner.catch_up(runner.names())  # the Merkle log too
    before = _state(runner)
    assert before["merkle_log"][0] == ledger.position() > 0
    assert len(runner.rebuild_parts(runner.names(), processes=2)) == 2
    assert runner.rebuild(processes=2) > 0
    assert _state(runner) == before
    assert all(row["lag"] == 0 for row in runner.status() if row["projection"] != "alert_raiser"), runner.status()


def test_a_rebuild_is_shared_between_the_marks_read_models_and_the_rest_with_the_merkle_log(
        backend: Backend, ledger: Ledger) -> None:
    runner = runner_for(ledger, backend)
    parts = runner.rebuild_parts(runner.names(), processes=2)
    if backend.kind == "sqlite":  # one writer at a time: one process
        assert parts == [runner.names()]
        return
    marks, rest = parts
    # the code index derives from the register: it goes where the register goes
    assert set(marks) == {"attendance_register", "attendance_index", "dashboards"}
    assert "merkle_log" in rest
    assert not set(marks) & set(rest)
    assert sorted(marks + rest) == sorted(runner.names())
    assert runner.rebuild_parts(runner.names()) == [runner.names()]  # a short log: one pass, no second process
    assert runner.rebuild_parts(["roster", "merkle_log"], processes=2) == [["roster", "merkle_log"]]


@pytest.mark.postgres
def test_a_part_of_a_rebuild_that_fails_in_its_own_process_fails_the_rebuild(
        postgres_backend: Backend, open_ledger: Any) -> None:
    ledger = open_ledger(postgres_backend)
    b.school_with_calendar(ledger)
    ids = b.class_with_students(ledger, count=2)
    ledger.change_identity(ids[0], b.identity(1, family_name="鈴木", family_name_kana="すずき"),
                           reason="氏の変更", recorded_by="registrar")
    plain = runner_for(ledger, postgres_backend)
    runner = Runner(ledger, plain.store, [*all_projections(), BrokenRoster()], merkle_log=plain.merkle_log)
    with pytest.raises(KeyError, match="a bug in the projection"):
        runner.rebuild(processes=2)


def test_the_poller_brings_the_merkle_log_up_once_per_tree_every_while_the_read_models_follow_each_write(
        backend: Backend, ledger: Ledger) -> None:
    b.school_with_calendar(ledger)
    runner = runner_for(ledger, backend)
    assert runner.merkle_log is not None
    runner.tree_every = 3600.0  # an hour: after its first catch-up the tree is not due again in this test
    with _polling(runner):
        first = ledger.position()
        assert _until(lambda: runner.merkle_log.size() == first)  # type: ignore[union-attr]
        b.class_with_students(ledger, count=2)
        head = ledger.position()
        assert _until(lambda: all(runner.store.position(n) == head for n in runner.projections))
        assert runner.merkle_log.size() == first  # one catch-up a tree_every: the read models went on alone
    runner.tree_every = 0.0
    with _polling(runner):
        assert _until(lambda: runner.merkle_log.size() == head)  # type: ignore[union-attr]


@contextmanager
def _polling(runner: Runner) -> Iterator[None]:
    """The runner's poller in a thread for the block, stopped and joined after it."""
    stop = threading.Event()
    poller = threading.Thread(target=runner.poll, args=(stop, 0.05))
    poller.start()
    try:
        yield
    finally:
        stop.set()
        poller.join(30)


class CountingStore(DocumentStore):
    """A real store that counts its saves (a page's, or a catch-up in bulk's)."""

    def __init__(self, store: DocumentStore) -> None:
        super().__init__(store.storage)
        self.saves = 0

    def save_encoded(self, updates: Any, position: int, since: int, new: Any = None) -> None:  # save_many's too
        self.saves += 1
        super().save_encoded(updates, position, since, new)


def _a_term_of_rolls(ledger: Ledger, days: int = 6) -> list[Any]:
    b.school_with_calendar(ledger)
    ids = b.class_with_students(ledger, count=4)
    school_days = [date(2026, 4, 8) + timedelta(days=n) for n in range(days * 2)]
    for n, day in enumerate([d for d in school_days if d.weekday() < 5][:days]):
        ledger.record_roll(b.ELEMENTARY, b.YEAR, 1, "1", on=day, recorded_by=b.STAFF, marks=[
            (sid, {"code": "absent_illness", "reason": "発熱"} if sid == ids[n % 4] else {"code": "present"})
            for sid in ids])
    return ids


def _far_behind(monkeypatch: pytest.MonkeyPatch, bulk_from: int = 10, save_every: int = 9, batch: int = 4) -> None:
    """A small log is 'far behind' for these tests: a catch-up of 10 events or more goes in bulk, saving every
    9 events applied, in pages of 4 (the real figures: 20,000, 50,000 and 5,000)."""
    monkeypatch.setattr(runner_module, "BULK_FROM", bulk_from)
    monkeypatch.setattr(runner_module, "CATCH_UP_SAVE_EVERY", save_every)
    monkeypatch.setattr(runner_module, "REBUILD_BATCH", batch)


def test_read_models_far_behind_are_caught_up_in_bulk_to_the_documents_of_a_page_by_page_catch_up(
        backend: Backend, ledger: Ledger, monkeypatch: pytest.MonkeyPatch) -> None:
    ids = _a_term_of_rolls(ledger)
    page_by_page = runner_for(ledger, backend)
    page_by_page.catch_up(batch=3)
    expected = {name: page_by_page.fingerprint(name) for name in page_by_page.projections}
    for name in page_by_page.projections:  # as ``upgrade`` leaves a read model of another version
        page_by_page.store.clear(name)
    _far_behind(monkeypatch)
    store = CountingStore(page_by_page.store)
    runner = Runner(ledger, store, all_projections())
    read = runner.catch_up(batch=2)  # pages of 2 were it page by page
    assert read > 0
    assert {name: runner.fingerprint(name) for name in runner.projections} == expected
    assert all(row["lag"] == 0 for row in runner.status() if row["projection"] != "alert_raiser")
    # one save every 9 events applied, not one a page (page by page, in pages of 2 and whole transactions: 12)
    assert 0 < store.saves <= ledger.position() // 9 + 1
    # from a position in the middle: the documents it already holds are read back, not started again
    ledger.withdraw(ids[3], on=date(2026, 5, 11), reason="転居", recorded_by="principal")
    _a_later_week(ledger, ids)
    runner.catch_up()
    fresh = runner_for(ledger, backend)
    fresh.rebuild()
    assert {name: runner.fingerprint(name) for name in runner.projections} == \
        {name: fresh.fingerprint(name) for name in fresh.projections}


def _a_later_week(ledger: Ledger, ids: list[Any]) -> None:
    for n in range(5):
        ledger.record_roll(b.ELEMENTARY, b.YEAR, 1, "1", on=date(2026, 5, 18) + timedelta(days=n), recorded_by=b.STAFF,
                           marks=[(sid, {"code": "late"} if sid == ids[0] else {"code": "present"}) for sid in ids[:3]])


def _rebuilt_then_cleared(backend: Backend, ledger: Ledger, monkeypatch: pytest.MonkeyPatch
                          ) -> tuple[Runner, dict[str, str]]:
    """A term of rolls, its read models' fingerprints as a rebuild makes them, then every read model cleared
    (as ``upgrade`` clears one of another version) and far behind."""
    _a_term_of_rolls(ledger)
    fresh = runner_for(ledger, backend)
    fresh.rebuild()
    expected = {name: fresh.fingerprint(name) for name in fresh.projections}
    for name in fresh.projections:
        fresh.store.clear(name)
    _far_behind(monkeypatch)
    return fresh, expected


def test_a_catch_up_in_bulk_overtaken_by_another_runner_reads_on_from_it_and_ends_with_the_same_documents(
        backend: Backend, ledger: Ledger, monkeypatch: pytest.MonkeyPatch) -> None:
    fresh, expected = _rebuilt_then_cleared(backend, ledger, monkeypatch)
    store = OvertakenStore(fresh.store)
    runner = Runner(ledger, store, all_projections())
    store.other = runner_for(ledger, backend)  # its first save is overtaken: the rest is read again
    runner.catch_up()
    assert store.other is None
    assert {name: runner.fingerprint(name) for name in runner.projections} == expected


def test_a_request_waiting_on_read_models_far_behind_leaves_them_to_the_poller_and_answers_by_its_timeout(
        backend: Backend, ledger: Ledger, monkeypatch: pytest.MonkeyPatch) -> None:
    ids = _a_term_of_rolls(ledger)
    _far_behind(monkeypatch)
    runner = runner_for(ledger, backend)  # nothing applied yet, and no poller
    start = time.monotonic()
    assert runner.wait(ledger.position(), timeout=0.3) is False
    assert time.monotonic() - start < 5.0
    assert all(runner.store.position(name) == 0 for name in runner.projections)
    runner.catch_up()  # the poller's catch-up, in bulk
    ledger.withdraw(ids[3], on=date(2026, 5, 11), reason="転居", recorded_by="principal")
    assert ledger.position() - min(runner.store.position(name) for name in runner.projections) < 10
    assert runner.wait(ledger.position(), timeout=5.0) is True  # a write's lag: the request catches up itself
    assert all(row["lag"] == 0 for row in runner.status() if row["projection"] in runner.projections)


def test_a_requests_help_stops_at_its_deadline(backend: Backend, ledger: Ledger) -> None:
    _a_term_of_rolls(ledger)
    runner = runner_for(ledger, backend)
    assert runner.catch_up(deadline=time.monotonic()) == 0  # already past: nothing read, nothing saved
    assert all(runner.store.position(name) == 0 for name in runner.projections)
    assert runner.catch_up(deadline=time.monotonic() + 60) > 0
    assert all(row["lag"] == 0 for row in runner.status() if row["projection"] in runner.projections)


def _gone(pid: int) -> bool:
    """The process has ended (a zombie its new parent has not reaped yet counts as ended)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return True
    return state in ("Z", "X")


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads process states from /proc (Linux)")
def test_a_part_of_a_rebuild_ends_itself_when_the_process_that_started_it_is_killed(tmp_path: Path) -> None:
    """A rebuild's second process watches its parent (``exit_with``): SIGKILL the parent and the part ends
    within a second or two instead of going on alone."""
    part = ("import sys, time; from projections.runner import exit_with; "
            "exit_with(int(sys.argv[1]), every=0.05); time.sleep(120)")
    parent = ("import os, subprocess, sys, time; "
              f"child = subprocess.Popen([sys.executable, '-c', {part!r}, str(os.getpid())]); "
              "print(child.pid, flush=True); time.sleep(120)")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    starter = subprocess.Popen([sys.executable, "-c", parent], stdout=subprocess.PIPE, env=env, text=True)
    try:
        assert starter.stdout is not None
        child = int(starter.stdout.readline())
        time.sleep(1.0)  # the part has started and watches
        assert not _gone(child)
        starter.kill()
        starter.wait()
        deadline = time.monotonic() + 30
        while not _gone(child) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _gone(child)
    finally:
        starter.kill()
        with contextlib.suppress(ProcessLookupError, NameError):
            os.kill(child, signal.SIGKILL)


class StoppingStore(DocumentStore):
    """A real store that sets the poller's stop once it has saved (the stop of `projections run` arriving
    in the middle of a catch-up)."""

    def __init__(self, store: DocumentStore, stop: threading.Event) -> None:
        super().__init__(store.storage)
        self.stop = stop

    def save_encoded(self, updates: Any, position: int, since: int, new: Any = None) -> None:  # save_many's too
        super().save_encoded(updates, position, since, new)
        self.stop.set()


def test_a_stop_ends_a_catch_up_in_bulk_at_its_next_save_and_the_next_catch_up_reads_on_from_there(
        backend: Backend, ledger: Ledger, monkeypatch: pytest.MonkeyPatch) -> None:
    fresh, expected = _rebuilt_then_cleared(backend, ledger, monkeypatch)
    stop = threading.Event()
    runner = Runner(ledger, StoppingStore(fresh.store, stop), all_projections())
    assert runner.catch_up(stop=stop) > 0
    positions = {runner.store.position(name) for name in runner.projections}
    assert len(positions) == 1
    assert 0 < positions.pop() < ledger.position()  # one save (9 events and the rest of a roll), then it ended
    assert runner.catch_up(stop=stop) == 0  # a stop already set: nothing more is read
    runner.catch_up()
    assert {name: runner.fingerprint(name) for name in runner.projections} == expected


def test_the_poller_stops_within_a_save_of_a_catch_up_in_bulk(
        backend: Backend, ledger: Ledger, monkeypatch: pytest.MonkeyPatch) -> None:
    _a_term_of_rolls(ledger)
    _far_behind(monkeypatch)
    stop = threading.Event()
    plain = runner_for(ledger, backend)
    runner = Runner(ledger, StoppingStore(plain.store, stop), all_projections())
    poller = threading.Thread(target=runner.poll, args=(stop, 0.05))
    poller.start()
    poller.join(30)
    assert not poller.is_alive()
    assert 0 < min(runner.store.position(name) for name in runner.projections) < ledger.position()
