"""The roster read model, built by the polling runner, on SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
import threading
from datetime import date

import pytest

from domain import streams
from domain.backend import Backend
from domain.ledger import Ledger
from projections import runner_for
from projections.base import canonical
from projections.forms.roster import roster
from projections.store import StaleUpdate
from tests import builders as b


def _world(ledger: Ledger) -> list:  # type: ignore[type-arg]
    b.school_with_calendar(ledger)
    ids = b.class_with_students(ledger, count=4)
    ledger.withdraw(ids[3], on=date(2026, 5, 11), reason="海外転出", recorded_by="principal")
    ledger.change_identity(ids[0], b.identity(1, family_name="鈴木", family_name_kana="すずき"),
                           reason="保護者の婚姻による氏の変更", recorded_by="registrar")
    return ids


def test_the_roster_lists_the_class_with_current_names_and_days_on_the_roll(backend: Backend,
                                                                             ledger: Ledger) -> None:
    ids = _world(ledger)
    runner = runner_for(ledger, backend)
    runner.catch_up()
    whole = roster(runner.store, b.ELEMENTARY, b.YEAR, 1, "1")
    assert whole is not None
    assert [s["number"] for s in whole["students"]] == [1, 2, 3, 4]
    assert whole["students"][0]["name"].startswith("鈴木")  # the changed name, everywhere
    # Withdrawn on 11 May: on the roll that day, off it from the 12th (left_on: the first day off; ADR 0024).
    assert whole["students"][3] | {"left_on": "2026-05-12", "left_because": "withdrawal"} == whole["students"][3]
    on_the_day = roster(runner.store, b.ELEMENTARY, b.YEAR, 1, "1", on=date(2026, 5, 11))
    assert on_the_day is not None
    assert [s["student_id"] for s in on_the_day["students"]] == [str(i) for i in ids]
    on_roll = roster(runner.store, b.ELEMENTARY, b.YEAR, 1, "1", on=date(2026, 5, 12))
    assert on_roll is not None
    assert [s["student_id"] for s in on_roll["students"]] == [str(i) for i in ids[:3]]
    assert whole["homeroom_teacher"] == {"staff_id": b.STAFF, "name": "山田 花子"}


def test_incremental_rebuilt_and_replayed_documents_are_the_same_bytes(backend: Backend, ledger: Ledger) -> None:
    runner = runner_for(ledger, backend)
    b.school_with_calendar(ledger)
    ids = b.class_with_students(ledger, count=2)
    runner.catch_up()  # part of the history applied now...
    ledger.withdraw(ids[1], on=date(2026, 5, 11), reason="転居", recorded_by="principal")
    runner.catch_up()  # ...and the rest incrementally
    incremental = runner.store.documents("roster")

    runner.rebuild("roster")
    assert runner.store.documents("roster") == incremental
    head = ledger.position()
    for key, stored in incremental.items():
        replayed = runner.replay("roster", key, head)
        assert replayed is not None
        assert canonical(replayed) == stored


def test_a_replay_at_a_past_position_shows_the_class_as_it_was_known_then(backend: Backend,
                                                                          ledger: Ledger) -> None:
    b.school_with_calendar(ledger)
    ids = b.class_with_students(ledger, count=2)
    before_withdrawal = ledger.position()
    ledger.withdraw(ids[1], on=date(2026, 5, 11), reason="転居", recorded_by="principal")
    runner = runner_for(ledger, backend)
    from domain import streams

    key = f"class/{streams.school_class(b.ELEMENTARY, b.YEAR, 1, '1')}"
    then = runner.replay("roster", key, before_withdrawal)
    now = runner.replay("roster", key, ledger.position())
    assert then is not None
    assert now is not None
    assert "left_on" not in then["placements"][str(ids[1])][-1]
    assert now["placements"][str(ids[1])][-1]["left_on"] == "2026-05-12"  # off the roll from the day after


def test_each_event_is_applied_once_and_the_status_shows_the_lag(backend: Backend, ledger: Ledger) -> None:
    b.school_with_calendar(ledger)
    b.class_with_students(ledger, count=2)
    runner = runner_for(ledger, backend)
    assert runner.status()[0]["lag"] == ledger.position()
    assert runner.catch_up() > 0
    assert runner.catch_up() == 0
    assert runner.status()[0] == {"projection": "roster", "position": ledger.position(), "head": ledger.position(),
                                  "lag": 0}
    with pytest.raises(StaleUpdate):
        runner.store.save("roster", {}, {}, runner.store.position("roster"), runner.store.position("roster"))


def test_a_page_read_before_another_runner_moved_the_projection_is_refused_whole(backend: Backend,
                                                                                  ledger: Ledger) -> None:
    """The poller and a request's wait_for may read overlapping pages (one up to 35, the other up
    to 36 from the same start): the later save must not apply event 35 a second time."""
    b.school_with_calendar(ledger)
    ids = b.class_with_students(ledger, count=2)
    runner = runner_for(ledger, backend)
    runner.catch_up()
    start = runner.store.position("roster")
    key = f"class/{streams.school_class(b.ELEMENTARY, b.YEAR, 1, '1')}"
    before = runner.store.get("roster", key)
    ledger.withdraw(ids[1], on=date(2026, 5, 11), reason="転居", recorded_by="principal")
    middle = ledger.position()
    ledger.withdraw(ids[0], on=date(2026, 5, 12), reason="転居", recorded_by="principal")
    roster_only = [runner.projections["roster"]]
    assert runner._advance(roster_only, start, middle, 1000) > 0  # the first runner: up to the middle
    with pytest.raises(StaleUpdate):  # the second read its page from the same start, up to the head
        runner._advance(roster_only, start, ledger.position(), 1000)
    runner.catch_up()
    after = runner.store.get("roster", key)
    assert before is not None
    assert after is not None
    assert [len(after["placements"][str(i)]) for i in ids] == [1, 1]
    assert runner.fingerprint("roster") == _rebuilt_fingerprint(ledger, backend)


def test_two_runners_racing_over_the_same_log_apply_each_event_once(backend: Backend, ledger: Ledger) -> None:
    b.school_with_calendar(ledger)
    ids = b.class_with_students(ledger, count=6)
    poller, helper = runner_for(ledger, backend), runner_for(ledger, backend)
    done = threading.Event()

    def poll() -> None:
        while not done.is_set():
            with contextlib.suppress(StaleUpdate):
                poller.catch_up(batch=3)

    thread = threading.Thread(target=poll)
    thread.start()
    try:
        for n, sid in enumerate(ids):
            ledger.change_identity(sid, b.identity(n + 1, family_name="鈴木", family_name_kana="すずき"),
                                   reason="氏の変更", recorded_by="registrar")
            ledger.withdraw(sid, on=date(2026, 5, 11 + n), reason="転居", recorded_by="principal")
            assert helper.wait(ledger.position(), timeout=30)
    finally:
        done.set()
        thread.join(30)
    helper.catch_up()
    assert helper.fingerprint("roster") == _rebuilt_fingerprint(ledger, backend)


def _rebuilt_fingerprint(ledger: Ledger, backend: Backend) -> str:
    """The roster rebuilt from scratch (in the same tables: the fingerprint is what it compares)."""
    fresh = runner_for(ledger, backend)
    fresh.rebuild("roster")
    return fresh.fingerprint("roster")


def test_a_replay_by_position_takes_from_the_read_model_only_documents_unchanged_since(backend: Backend,
                                                                                        ledger: Ledger) -> None:
    b.school_with_calendar(ledger)
    ids = b.class_with_students(ledger, count=2)
    runner = runner_for(ledger, backend)
    key = f"class/{streams.school_class(b.ELEMENTARY, b.YEAR, 1, '1')}"
    students = [f"student/{i}" for i in ids]
    before = ledger.position()
    ledger.withdraw(ids[1], on=date(2026, 5, 11), reason="転居", recorded_by="principal")
    wanted = {"roster": [key, *students, "student/00000000-0000-4000-8000-000000000000"]}

    found, replay = runner.store.standing_at(wanted, before)  # not applied yet: everything is replayed
    assert (found, replay) == ({"roster": {}}, wanted)

    runner.catch_up()
    found, replay = runner.store.standing_at(wanted, before)
    assert replay == {"roster": [key]}  # the class changed after: replayed
    assert sorted(found["roster"]) == sorted(students)  # unchanged since; the unknown key did not exist then
    assert runner.replay_documents(wanted, before) == {"roster": {**found["roster"], key: runner.replay(
        "roster", key, before)}}
    runner.reuse_read_models = False
    assert runner.replay_documents(wanted, before)["roster"] == runner.replay_many("roster", wanted["roster"], before)
    assert runner.replay_documents(wanted, before)["roster"][key]["placements"][str(ids[1])] == [
        {"number": 2, "joined_on": "2026-04-06"}]
