"""Alerts raised by the alert process, once per crossing, and the read model ``alerts`` (ADR 0042), on
SQLite and PostgreSQL.

Every expected day is counted by hand from the calendar of tests/builders.py: the weekdays of the three
terms from Monday 6 April 2026 (SCHOOL_DAYS[0] = Mon 6 April, [4] = Fri 10 April, [5] = Mon 13 April,
[20] = Mon 4 May, [38] = Thu 28 May).
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from domain import alerts as rules
from domain import errors, streams
from domain.backend import Backend
from domain.board import BoardSettings
from domain.ledger import Ledger
from projections import runner_for
from projections.alert_raiser import AlertRaiser
from projections.alerts import alerts_of
from projections.base import Cutoff
from projections.forms import Forms
from projections.runner import Runner
from tests import builders as b
from tests.conftest import Clock

YEAR = b.YEAR
A, B = b.ELEMENTARY, b.OTHER_ELEMENTARY
D = b.SCHOOL_DAYS
PRESENT = {"code": "present"}
ILL = {"code": "absent_illness", "reason": "発熱"}
OTHER = {"code": "absent_other", "reason": "登校しぶり"}
EXAM = {"height_cm": "128.4", "weight_kg": "26.1", "nutrition": "normal", "vision": {"right_naked": "A"},
        "urine_protein": "-", "urine_sugar": "-", "hearing_right": "normal", "hearing_left": "normal"}


def roll(ledger: Ledger, day: date, marks: dict[UUID, dict[str, Any]], code: str = A) -> None:
    ledger.record_roll(code, YEAR, 3, "1", on=day, marks=list(marks.items()), recorded_by=b.STAFF)


def settle(runner: Runner) -> None:
    """The read models, then the alert process, then the read models again (the poller's round)."""
    runner.catch_up()
    runner.raiser.catch_up()
    runner.catch_up()


def rows(runner: Runner, school: str = A, rule: str | None = None) -> list[tuple[str, str, str, str, int, int]]:
    return [(a["rule"], a["student_id"], a["first_day"], a["last_day"], a["days"], a["threshold"])
            for a in alerts_of(runner, school, YEAR)["alerts"] if rule is None or a["rule"] == rule]


def absences(runner: Runner, school: str = A) -> list[tuple[str, str, str, str, int, int]]:
    return [r for r in rows(runner, school) if r[0] != rules.HEALTH_EXAM_OVERDUE]


def marked(backend: Backend, ledger: Ledger, days: list[date], first: dict[str, Any],
           second: dict[str, Any]) -> tuple[Runner, UUID, UUID]:
    """Class 3-1 of school A with two children, marked ``first`` and ``second`` on ``days``; the alert
    process's round run."""
    b.school_with_calendar(ledger)
    a, c = b.class_with_students(ledger, grade=3, count=2)
    runner = runner_for(ledger, backend)
    for day in days:
        roll(ledger, day, {a: first, c: second})
    settle(runner)
    return runner, a, c


def test_a_three_day_streak_raises_once_a_fourth_day_nothing_and_a_later_streak_again(backend: Backend,
                                                                                       ledger: Ledger) -> None:
    """Absent (病気) Mon 6 – Wed 8 April: an absence-run of 3 (first 6, last 8 April, threshold 3). Thu 9 absent
    too: the same run, nothing raised. Present Fri 10; absent Mon 13 – Wed 15: a second run, raised."""
    runner, a, c = marked(backend, ledger, D[:3], ILL, PRESENT)
    first = (rules.ABSENCE_RUN, str(a), "2026-04-06", "2026-04-08", 3, 3)
    assert absences(runner) == [first]
    roll(ledger, D[3], {a: ILL, c: PRESENT})
    settle(runner)
    assert absences(runner) == [first]
    roll(ledger, D[4], {a: PRESENT, c: PRESENT})
    for day in D[5:8]:
        roll(ledger, day, {a: ILL, c: PRESENT})
    settle(runner)
    assert absences(runner) == [first, (rules.ABSENCE_RUN, str(a), "2026-04-13", "2026-04-15", 3, 3)]
    alert = alerts_of(runner, A, YEAR)["alerts"][0]
    assert (alert["grade"], alert["class_name"], alert["acknowledgements"]) == (3, "1", [])
    assert alert["alert_id"] == str(streams.alert(a, rules.ABSENCE_RUN, YEAR, "2026-04-06"))


def test_seven_days_absent_without_good_reason_raise_the_notice_and_seven_days_of_illness_do_not(
        backend: Backend, ledger: Ledger) -> None:
    """施行令 §20. Child a: 欠席(その他) Mon 6 – Tue 14 April (7 school days): absence-run at Wed 8 (3 days)
    and notice-run at Tue 14 (7 days, threshold 7). Child c: 欠席(病気) the same days: the absence-run
    only (an illness-only run is not flagged, as the long-absence list)."""
    runner, a, c = marked(backend, ledger, D[:7], OTHER, ILL)
    assert sorted(absences(runner)) == sorted([
        (rules.ABSENCE_RUN, str(a), "2026-04-06", "2026-04-08", 3, 3),
        (rules.NOTICE_RUN, str(a), "2026-04-06", "2026-04-14", 7, 7),
        (rules.ABSENCE_RUN, str(c), "2026-04-06", "2026-04-08", 3, 3)])
    listed = Forms(runner).long_absence(A, YEAR)["students"]
    assert {r["student_id"]: r["notice_due"] for r in listed} == {str(a): True, str(c): False}


def test_a_school_closure_inside_a_run_neither_breaks_nor_extends_it_and_a_class_closure_breaks_it(
        backend: Backend, ledger: Ledger) -> None:
    """As projections/forms/long_absence.py counts runs: a day the school is closed (臨時休業) is like a weekend,
    a day the child's class is closed (学級閉鎖) is a day the child had no duty to attend, which breaks a
    run. School A closed Wed 8 April: absent Mon 6, Tue 7 and Thu 9 is one run of 3 (6, 7, 9 April), the
    closed day not counted in it. School B's class 3-1 closed Wed 8 April: the same absences are two runs
    (6–7, 9), no alert."""
    b.school_with_calendar(ledger, closures=[{"on": "2026-04-08", "scope": "school", "reason": "台風"}])
    b.school_with_calendar(ledger, B, name="鳥取市立あおば小学校", closures=[
        {"on": "2026-04-08", "scope": "class", "grade": 3, "class_name": "1", "reason": "インフルエンザ"}])
    a, c = b.class_with_students(ledger, grade=3, count=2)
    d, e = b.class_with_students(ledger, B, grade=3, count=2)
    runner = runner_for(ledger, backend)
    for day in (D[0], D[1], D[3]):
        roll(ledger, day, {a: ILL, c: PRESENT})
        roll(ledger, day, {d: ILL, e: PRESENT}, code=B)
    settle(runner)
    assert absences(runner) == [(rules.ABSENCE_RUN, str(a), "2026-04-06", "2026-04-09", 3, 3)]
    assert absences(runner, B) == []


def three_of_four(days: list[date]) -> list[dict[str, Any]]:
    return [OTHER if i % 4 != 3 else PRESENT for i in range(len(days))]


def test_thirty_days_across_a_transfer_are_raised_by_the_receiving_school_alone(backend: Backend,
                                                                                ledger: Ledger) -> None:
    """At A the first 20 school days (6 April – 1 May), absent three of each four: 15, in five runs of 3
    (6–8, 10–14, 16–20, 22–24, 28–30 April; weekends in between). Moved to B on Mon 4 May; there
    the next 20 school days the same way: 15 more, the 30th on its 15th absence, Thu 28 May. B raises the
    long-absence (first day 6 April, last 28 May, 30 days, threshold 30) for class 3-1 of B; A lists only
    the five runs of its own period."""
    b.school_with_calendar(ledger)
    b.school_with_calendar(ledger, B, name="鳥取市立あおば小学校")
    a, c = b.class_with_students(ledger, grade=3, count=2)
    ledger.form_class(B, YEAR, 3, "1", homeroom_teacher_id="T-0009", homeroom_teacher_name="森 一",
                      on=date(2026, 4, 6), recorded_by="admin")
    at_a, at_b = D[:20], D[20:40]
    for day, mark in zip(at_a, three_of_four(at_a), strict=True):
        roll(ledger, day, {a: mark, c: PRESENT})
    ledger.hand_over(a, kind="transfer", to_school=B, left_on=at_a[-1], accepted_on=at_b[0], year=YEAR, grade=3,
                     reason="転居", class_name="1", number=1, recorded_by="registrar")
    for day, mark in zip(at_b, three_of_four(at_b), strict=True):
        roll(ledger, day, {a: mark}, code=B)
    runner = runner_for(ledger, backend)
    settle(runner)
    runs_at_a = [("2026-04-06", "2026-04-08"), ("2026-04-10", "2026-04-14"), ("2026-04-16", "2026-04-20"),
                 ("2026-04-22", "2026-04-24"), ("2026-04-28", "2026-04-30")]
    assert absences(runner, A) == [(rules.ABSENCE_RUN, str(a), f, t, 3, 3) for f, t in runs_at_a]
    at_b_rows = absences(runner, B)
    assert (rules.LONG_ABSENCE, str(a), "2026-04-06", "2026-05-28", 30, 30) in at_b_rows
    assert [r for r in at_b_rows if r[0] == rules.LONG_ABSENCE] == [
        (rules.LONG_ABSENCE, str(a), "2026-04-06", "2026-05-28", 30, 30)]
    assert len([r for r in at_b_rows if r[0] == rules.ABSENCE_RUN]) == 5
    (long,) = [x for x in alerts_of(runner, B, YEAR)["alerts"] if x["rule"] == rules.LONG_ABSENCE]
    assert (long["grade"], long["class_name"]) == (3, "1")
    assert Forms(runner).long_absence(B, YEAR)["long_absence_count"] == 1


def test_a_health_examination_recorded_after_30_june_leaves_its_alert_raised_and_shows_done_late(
        backend: Backend, ledger: Ledger, clock: Clock) -> None:
    """施行規則 §5. Child a examined on 20 June, child c not. On 30 June (JST) nothing is due yet; from 1 July
    c has a health-exam-overdue alert (due 30 June, raised effective 1 July). c examined on 3 July: the
    alert stays, with done_on 3 July; the process reading the log again raises nothing more."""
    clock.current = datetime(2026, 6, 20, 1, 0, tzinfo=UTC)
    b.school_with_calendar(ledger)
    a, c = b.class_with_students(ledger, grade=3, count=2)
    ledger.record_health_exam(a, YEAR, examination=EXAM, examined_on=date(2026, 6, 20), recorded_by="N-0001")
    runner = runner_for(ledger, backend)
    clock.current = datetime(2026, 6, 30, 14, 0, tzinfo=UTC)  # 23:00 on 30 June in Japan
    settle(runner)
    assert rows(runner) == []
    clock.current = datetime(2026, 6, 30, 15, 0, tzinfo=UTC)  # 1 July, 00:00 in Japan
    settle(runner)
    assert rows(runner) == [(rules.HEALTH_EXAM_OVERDUE, str(c), "2026-06-30", "2026-06-30", 0, 0)]
    (alert,) = alerts_of(runner, A, YEAR)["alerts"]
    assert alert["done_on"] is None
    clock.current = datetime(2026, 7, 3, 1, 0, tzinfo=UTC)
    ledger.record_health_exam(c, YEAR, examination=EXAM, examined_on=date(2026, 7, 3), recorded_by="N-0001")
    settle(runner)
    (alert,) = alerts_of(runner, A, YEAR)["alerts"]
    assert (alert["rule"], alert["done_on"]) == (rules.HEALTH_EXAM_OVERDUE, "2026-07-03")
    raised = ledger.stream(UUID(alert["alert_id"]))
    assert [type(e).__name__ for e in raised] == ["AlertRaised"]
    assert raised[0].effective_on == date(2026, 7, 1)
    runner.store.clear(runner.raiser.name)  # the process reads the whole log again and sweeps again
    settle(runner)
    assert len(rows(runner)) == 1


def three_days_ill(backend: Backend, ledger: Ledger) -> tuple[Runner, UUID]:
    """Class 3-1 of school A; its first child absent (病気) Mon 6 – Wed 8 April: one absence-run, raised."""
    runner, a, _ = marked(backend, ledger, D[:3], ILL, PRESENT)
    assert len(absences(runner)) == 1
    return runner, a


def test_an_acknowledgement_is_on_the_alert_with_who_what_and_the_note(backend: Backend, ledger: Ledger) -> None:
    runner, a = three_days_ill(backend, ledger)
    alert_id = streams.alert(a, rules.ABSENCE_RUN, YEAR, "2026-04-06")
    ledger.acknowledge_alert(alert_id, action="家庭に電話連絡", note="発熱が続いているとのこと", recorded_by=b.STAFF)
    settle(runner)
    (doc,) = [x for x in alerts_of(runner, A, YEAR)["alerts"] if x["rule"] == rules.ABSENCE_RUN]
    assert [(x["staff_id"], x["action"], x["note"]) for x in doc["acknowledgements"]] == [
        (b.STAFF, "家庭に電話連絡", "発熱が続いているとのこと")]


def test_the_alerts_rebuilt_and_read_as_of_a_past_position_are_the_same(backend: Backend, ledger: Ledger) -> None:
    runner, a = three_days_ill(backend, ledger)
    before = ledger.position()
    ledger.acknowledge_alert(streams.alert(a, rules.ABSENCE_RUN, YEAR, "2026-04-06"), action="面談", note="",
                             recorded_by=b.STAFF)
    settle(runner)
    now = runner.fingerprint("alerts")
    runner.rebuild("alerts")
    assert runner.fingerprint("alerts") == now
    past = alerts_of(runner, A, YEAR, Cutoff(position=before))
    assert [x["acknowledgements"] for x in past["alerts"] if x["rule"] == rules.ABSENCE_RUN] == [[]]
    replayed = runner_for(ledger, backend)
    replayed.reuse_read_models = False
    assert alerts_of(replayed, A, YEAR, Cutoff(position=before)) == past


def test_two_processes_raising_at_once_record_each_alert_once(backend: Backend, ledger: Ledger,
                                                              open_ledger: Any) -> None:
    """Two alert processes (each its own ledger connection) judge the same log at the same time, from
    position 0: every crossing is recorded once (its stream's first event), the other's raise is a no-op."""
    b.school_with_calendar(ledger)
    children = b.class_with_students(ledger, grade=3, count=6)
    for day in D[:7]:
        roll(ledger, day, {s: OTHER for s in children})
    runner_for(ledger, backend).catch_up()
    others = [runner_for(open_ledger(backend), backend) for _ in range(2)]
    go = threading.Barrier(2)

    def judge(runner: Runner) -> None:
        go.wait()
        for sid in children:
            runner.raiser.judge(str(sid), YEAR)

    threads = [threading.Thread(target=judge, args=(r,)) for r in others]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    runner = runner_for(ledger, backend)
    settle(runner)
    found = absences(runner)
    assert len(found) == 6 * 2  # an absence-run and a notice-run per child
    assert len({(r[0], r[1]) for r in found}) == len(found)
    for sid in children:
        assert len(ledger.stream(streams.alert(sid, rules.NOTICE_RUN, YEAR, "2026-04-06"))) == 1


def test_the_threshold_is_the_board_setting_in_force_on_the_day_that_reaches_it(backend: Backend,
                                                                                 ledger: Ledger) -> None:
    """Board 312011 watches runs of 2 days from Mon 13 April (ADR 0042). Absent Mon 6 – Tue 7 April: 2 days
    under the default 3, nothing. Absent Mon 13 – Tue 14: raised at 2 days, threshold 2."""
    b.school_with_calendar(ledger)
    a, c = b.class_with_students(ledger, grade=3, count=2)
    ledger.set_board_settings(b.BOARD, {"alert_absence_run_days": 2}, effective_on=date(2026, 4, 13),
                              recorded_by="E-0001")
    runner = runner_for(ledger, backend)
    for day in D[:2]:
        roll(ledger, day, {a: ILL, c: PRESENT})
    roll(ledger, D[2], {a: PRESENT, c: PRESENT})
    for day in D[5:7]:
        roll(ledger, day, {a: ILL, c: PRESENT})
    settle(runner)
    assert absences(runner) == [(rules.ABSENCE_RUN, str(a), "2026-04-13", "2026-04-14", 2, 2)]


def test_a_board_setting_outside_the_laws_bounds_is_refused_naming_the_field(ledger: Ledger) -> None:
    b.school_with_calendar(ledger)
    with pytest.raises(errors.RuleViolation) as refused:
        ledger.set_board_settings(b.BOARD, {"alert_notice_run_days": 10}, effective_on=date(2026, 4, 1),
                                  recorded_by="E-0001")
    assert refused.value.field == "settings.alert_notice_run_days"
    with pytest.raises(errors.InvalidBoardSetting) as built:  # a settings value made in code is checked too
        ledger.set_board_settings(b.BOARD, BoardSettings(alert_long_absence_days=40), effective_on=date(2026, 4, 1),
                                  recorded_by="E-0001")
    assert built.value.field == "settings.alert_long_absence_days"


def test_reading_the_log_again_after_a_crash_or_a_rebuild_raises_nothing_more(backend: Backend,
                                                                               ledger: Ledger) -> None:
    """The process's position lost (a crash before it saved, a cleared tracking row) and the read models
    rebuilt: it judges every absence again and every raise is refused by the alert's stream."""
    runner, _, _ = marked(backend, ledger, D[:7], OTHER, PRESENT)
    before, head = rows(runner), ledger.position()
    assert len(before) == 4  # a: absence-run, notice-run; a and c: the health examination
    runner.rebuild()
    runner.store.clear(runner.raiser.name)
    settle(runner)
    assert (rows(runner), ledger.position()) == (before, head)


def poll_until(runner: Runner, done: Any, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if done():
            return True
        time.sleep(0.05)
    return False


def test_the_poller_raises_the_alerts_behind_the_read_models(backend: Backend, ledger: Ledger) -> None:
    b.school_with_calendar(ledger)
    a, c = b.class_with_students(ledger, grade=3, count=2)
    runner = runner_for(ledger, backend)
    stop = threading.Event()
    poller = threading.Thread(target=runner.poll, args=(stop, 0.05))
    poller.start()
    try:
        for day in D[:3]:
            roll(ledger, day, {a: ILL, c: PRESENT})
        assert poll_until(runner, lambda: len(absences(runner)) == 1)
    finally:
        stop.set()
        poller.join(30)
    assert {row["projection"]: row["lag"] for row in runner.status()}["alert_raiser"] >= 0


class BrokenRaiser(AlertRaiser):
    def judge(self, student_id: str, year: int) -> list[UUID]:
        raise KeyError("a bug in the alert process")


def test_an_alert_process_with_a_bug_is_set_aside_the_read_models_go_on_and_it_shows_as_stalled(
        backend: Backend, ledger: Ledger, caplog: Any) -> None:
    b.school_with_calendar(ledger)
    a, c = b.class_with_students(ledger, grade=3, count=2)
    runner = runner_for(ledger, backend)
    runner.raiser = BrokenRaiser(runner)
    stop = threading.Event()
    poller = threading.Thread(target=runner.poll, args=(stop, 0.05))
    poller.start()
    try:
        roll(ledger, D[0], {a: ILL, c: PRESENT})
        head = ledger.position()
        assert poll_until(runner, lambda: all(r["position"] >= head for r in runner.status()
                                              if r["projection"] != "alert_raiser"))
        assert poll_until(runner, lambda: "the alert process cannot judge the log" in caplog.text)
        assert poller.is_alive()
    finally:
        stop.set()
        poller.join(30)
    later = max(datetime.now(UTC), ledger.now()) + timedelta(minutes=5)
    status = {row["projection"]: row for row in runner.status(stalled_after=60, now=later)}
    assert status["alert_raiser"]["stalled"]
    assert not any(row["stalled"] for name, row in status.items() if name != "alert_raiser")


def test_the_alert_process_ends_its_turn_after_the_page_its_deadline_passed_in(
        backend: Backend, ledger: Ledger) -> None:
    """The poller gives it a turn (``RAISE_TURN``) so the read models are not held up behind a long judging:
    past its deadline it ends after the page it is judging, and the next turn reads on from there."""
    b.school_with_calendar(ledger, A)
    ids = b.class_with_students(ledger, A, grade=3, count=3)
    for day in D[:6]:
        roll(ledger, day, {ids[0]: ILL, ids[1]: PRESENT, ids[2]: OTHER})
    runner = runner_for(ledger, backend)
    runner.catch_up()
    raiser = AlertRaiser(runner, page=4)
    head = min(runner.store.position(name) for name in runner.projections)
    assert raiser.catch_up(deadline=time.monotonic()) > 0  # past already: one page, then it ends
    assert 0 < raiser.position() < head
    stop = threading.Event()
    stop.set()
    at = raiser.position()
    assert raiser.catch_up(stop=stop) > 0  # a stop set: one page, then it ends
    assert at < raiser.position() < head
    while raiser.catch_up(deadline=time.monotonic()):
        pass
    assert raiser.position() == head
    runner.catch_up()
    judged = absences(runner)
    assert {r[1] for r in judged} == {str(ids[0]), str(ids[2])}  # the two children absent every day
    runner.raiser = AlertRaiser(runner)
    settle(runner)  # a whole judging after the turns finds nothing left to raise
    assert absences(runner) == judged


def test_the_first_sweep_after_30_june_goes_a_class_a_turn_past_its_deadline_and_raises_each_alert_once(
        backend: Backend, ledger: Ledger, clock: Clock) -> None:
    """The first sweep of a year raises an alert for every child without an examination (a prefecture's tens
    of thousands): past its deadline it ends after the class it is sweeping, the next turn goes on from the
    next class, and the year counts as swept only once its last class is."""
    clock.current = datetime(2026, 6, 20, 1, 0, tzinfo=UTC)
    b.school_with_calendar(ledger)
    classes = [b.class_with_students(ledger, grade=3, name=str(n), count=2) for n in (1, 2, 3)]
    runner = runner_for(ledger, backend)
    clock.current = datetime(2026, 7, 1, 1, 0, tzinfo=UTC)
    runner.catch_up()
    raiser = AlertRaiser(runner)
    turns = []
    while True:
        raised = raiser.sweep(deadline=time.monotonic())  # past already: one class a turn
        turns.append(len(raised))
        if not raiser._swept:
            break
    assert turns == [2, 2, 2]
    runner.catch_up()
    overdue = {r[1] for r in rows(runner) if r[0] == rules.HEALTH_EXAM_OVERDUE}
    assert overdue == {str(sid) for ids in classes for sid in ids}
    assert raiser.sweep() == []  # the year is swept: nothing again
