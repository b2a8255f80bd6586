"""The dashboards at four levels (issue 14; ADR 0043), on SQLite and PostgreSQL.

Every expected figure is counted by hand from the calendar of tests/builders.py (the weekdays of the
three terms from Monday 6 April 2026). The small scene: class 3-1 of school A with two children ``a`` and
``c``; the class closed on Wednesday 15 April; no roll taken on Monday 13 April;
"today" is Monday 20 April (the clock's date in Japan).

    day    4/6 4/7  4/8  4/9  4/10 4/13 4/14 4/15   4/16 4/17 4/20
    a      出  遅刻 早退 出席扱 出  —    病欠 閉鎖   病欠 事故 事故
    c      出  出   出   出   出   —    出   閉鎖   出   出   出
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from uuid import UUID

import msgspec

from domain.backend import Backend
from domain.ledger import Ledger
from domain.ledger_base import JST
from projections import runner_for
from projections.base import Cutoff, canonical
from projections.dashboards.views import Dashboards
from projections.forms import Forms
from tests import builders as b
from tests.api.conftest import HEALTH, VIEWPOINTS

YEAR = b.YEAR
A, B = b.ELEMENTARY, b.OTHER_ELEMENTARY
P, OTHER = {"code": "present"}, {"code": "absent_other", "reason": "登校しぶり"}
ILL = {"code": "absent_illness", "reason": "発熱"}
CLOSED = [{"on": "2026-04-15", "scope": "class", "grade": 3, "class_name": "1", "reason": "インフルエンザ"}]
A_MARKS = {date(2026, 4, 6): P, date(2026, 4, 7): {"code": "late", "reason": "通院"},
           date(2026, 4, 8): {"code": "left_early", "reason": "体調不良"},
           date(2026, 4, 9): {"code": "deemed_present", "reason": "適応指導教室", "facility": "適応指導教室あおば"},
           date(2026, 4, 10): P, date(2026, 4, 14): ILL, date(2026, 4, 16): ILL, date(2026, 4, 17): OTHER,
           date(2026, 4, 20): OTHER}


def dashboards(backend: Backend, ledger: Ledger, today: date) -> Dashboards:
    runner = runner_for(ledger, backend)
    runner.catch_up()
    return Dashboards(Forms(runner, clock=lambda: datetime(today.year, today.month, today.day, 9, tzinfo=JST)))


def scene(ledger: Ledger) -> tuple[UUID, UUID]:
    b.school_with_calendar(ledger, closures=CLOSED)
    a, c = b.class_with_students(ledger, grade=3, count=2)
    for day, mark in A_MARKS.items():
        ledger.record_roll(A, YEAR, 3, "1", on=day, marks=[(a, mark), (c, P)], recorded_by=b.STAFF)
    ledger.record_assessment(a, YEAR, subject="japanese", viewpoints=VIEWPOINTS, rating=3, term=1,
                             on=date(2026, 4, 17), recorded_by="T-0002")
    return a, c


def test_a_childs_dashboard_counts_the_days_the_months_the_streak_late_early_and_deemed_present(
        backend: Backend, ledger: Ledger) -> None:
    """a, 6 April – 20 April: 11 school days on the roll, 1 class-closed (excused), so 10 to attend; 4
    absent (4/14, 4/16, 4/17, 4/20), 5 present (4/6, 4/7 遅刻, 4/8 早退, 4/9 出席扱い, 4/10), 4/13
    unrecorded: rate 5 / (5 + 4) = 0.5556. The run 4/14 is broken by the closed 4/15; the run 4/16,
    4/17, 4/20 (the weekend is no school day) is the current streak, 3 days, not illness only."""
    a, _ = scene(ledger)
    d = dashboards(backend, ledger, date(2026, 4, 20)).child(a)
    assert d is not None
    t = d["year_total"]
    assert (t["school_days"], t["excused"], t["required"], t["absent"], t["present"], t["unrecorded"]) == (
        11, 1, 10, 4, 5, 1)
    assert (t["late"], t["left_early"], t["deemed_present"], t["class_closed"], t["attendance_rate"]) == (
        1, 1, 1, 1, 0.5556)
    assert [(m["month"], m["absent"], m["attendance_rate"]) for m in d["months"]] == [("2026-04", 4, 0.5556)]
    assert d["streak"] == {"days": 3, "from": "2026-04-16", "to": "2026-04-20", "illness_only": False}
    assert d["deemed_present_days"] == [{"day": "2026-04-09", "facility": "適応指導教室あおば"}]
    assert [(x["day"], x["code"]) for x in d["days"]][5:8] == [
        ("2026-04-13", None), ("2026-04-14", "absent_illness"), ("2026-04-15", "class_closed")]
    assert d["health"] == {"examined_on": None, "status": "not_yet", "follow_up": False}
    assert d["assessments"] == [{"term": "1", "subjects": ["japanese"], "count": 1}]


def test_a_classs_dashboard_shows_todays_roll_the_daily_rate_the_streak_the_ratio_and_unrecorded_days(
        backend: Backend, ledger: Ledger) -> None:
    """Today's roll taken, a absent (事故). 4/14: c present, a absent → 0.5. The last 30 days (from 22
    March) hold every day: present 5 (a) + 9 (c) = 14, absent 4 → 4 / 18 = 0.2222. No roll on 4/13;
    4/15 was the class's closure (no roll is due)."""
    a, c = scene(ledger)
    d = dashboards(backend, ledger, date(2026, 4, 20)).klass(A, YEAR, 3, "1")
    assert d is not None
    assert d["roll_today"]["taken"] is True
    assert [(x["student_id"], x["code"]) for x in d["roll_today"]["absent"]] == [(str(a), "absent_other")]
    daily = {x["day"]: x for x in d["daily"]}
    assert "2026-04-15" not in daily
    assert len(daily) == 10
    assert (daily["2026-04-14"]["present"], daily["2026-04-14"]["absent"], daily["2026-04-14"]["attendance_rate"]) \
        == (1, 1, 0.5)
    assert [(s["student_id"], s["days"], s["from"]) for s in d["streaks"]] == [(str(a), 3, "2026-04-16")]
    assert d["absence_ratio_30"] == 0.2222
    assert d["unrecorded_days"] == ["2026-04-13"]
    rows = {r["student_id"]: r for r in d["students"]}
    assert (rows[str(c)]["present"], rows[str(c)]["absent"], rows[str(c)]["attendance_rate"]) == (9, 0, 1.0)


def test_a_schools_and_a_boards_dashboards_count_the_class_and_the_board_names_no_child(
        backend: Backend, ledger: Ledger) -> None:
    """The school: present 14, absent 4 → 14 / 18 = 0.7778; one class day unrecorded (4/13); one child
    three days running; today's roll taken. The board: the same figures for school A, and not one byte
    of any name or student id of the scene."""
    a, c = scene(ledger)
    dash = dashboards(backend, ledger, date(2026, 4, 20))
    s = dash.school(A, YEAR)
    assert s is not None
    (k,) = s["classes"]
    assert (k["present"], k["absent"], k["attendance_rate"], k["unrecorded_days"], k["streaks"], k["taken_today"]) \
        == (14, 4, 0.7778, 1, 1, True)
    assert (s["children"], s["rolls_not_taken_today"], s["long_absence"], s["notice_candidates"]) == (2, [], 0, 0)
    assert s["assessments"] == {"1": {"japanese": {"entries": 1, "completion": 0.5}}}
    board = dash.board(b.BOARD, YEAR)
    assert board is not None
    (school,) = board["schools"]
    assert (school["school_code"], school["attendance_rate"], school["streaks"], school["children"]) == (
        A, 0.7778, 1, 2)
    assert (school["unrecorded_days"], school["rolls_not_taken_today"]) == (1, 0)  # counted without the days
    # The next day, no roll yet: the school (day by day) and the board (on the class's string) agree.
    later = dashboards(backend, ledger, date(2026, 4, 21))
    at_school, at_board = later.school(A, YEAR), later.board(b.BOARD, YEAR)
    assert at_school is not None
    assert at_board is not None
    assert (at_school["unrecorded_days"], len(at_school["rolls_not_taken_today"])) == (2, 1)
    assert (at_board["schools"][0]["unrecorded_days"], at_board["rolls_not_taken_today"]) == (2, 1)
    encoded = canonical(board)
    names = [f"{i['family_name']} {i['given_name']}" for i in (b.identity(1), b.identity(2))]
    for secret in [str(a), str(c), *names, "陽翔", "佐藤"]:
        assert secret not in encoded


def test_a_long_absence_across_a_transfer_is_on_the_new_schools_dashboard_and_counted_once_by_the_board(
        backend: Backend, ledger: Ledger) -> None:
    """At A the first 20 school days absent three of each four: 15; moved to B on 4 May, there 20 more
    days the same way: 15. The year: 30 → 長期欠席 on B's dashboard (named, 30 days) and once on the
    board's (at B, the school of the latest marks); A, which the child left, lists nobody."""
    b.school_with_calendar(ledger)
    b.school_with_calendar(ledger, B, name="鳥取市立あおば小学校")
    a, c = b.class_with_students(ledger, grade=3, count=2)
    ledger.form_class(B, YEAR, 3, "1", homeroom_teacher_id="T-0009", homeroom_teacher_name="森 一",
                      on=date(2026, 4, 6), recorded_by="admin")
    at_a, at_b = b.SCHOOL_DAYS[:20], b.SCHOOL_DAYS[20:40]
    for i, day in enumerate(at_a):
        ledger.record_roll(A, YEAR, 3, "1", on=day, marks=[(a, OTHER if i % 4 != 3 else P), (c, P)],
                           recorded_by=b.STAFF)
    ledger.hand_over(a, kind="transfer", to_school=B, left_on=at_a[-1], accepted_on=at_b[0], year=YEAR, grade=3,
                     reason="転居", class_name="1", number=1, recorded_by="registrar")
    for i, day in enumerate(at_b):
        ledger.record_roll(B, YEAR, 3, "1", on=day, marks=[(a, OTHER if i % 4 != 3 else P)], recorded_by=b.STAFF)
    dash = dashboards(backend, ledger, at_b[-1])
    at_new = dash.school(B, YEAR)
    assert at_new is not None
    assert [(r["student_id"], r["absent"], r["long_absence"]) for r in at_new["long_absence_list"]] == [
        (str(a), 30, True)]
    assert at_new["long_absence"] == 1
    left = dash.school(A, YEAR)
    assert left is not None
    assert left["long_absence_list"] == []
    found = dash.board(b.BOARD, YEAR)
    assert found is not None
    board = {s["school_code"]: s["long_absence"] for s in found["schools"]}
    assert board == {A: 0, B: 1}
    child = dash.child(a)
    assert child is not None
    assert child["year_total"]["absent"] == 30


def test_a_health_examination_after_30_june_is_done_late_and_one_not_done_is_overdue(
        backend: Backend, ledger: Ledger) -> None:
    """Today 10 July: a examined on 2 July with a follow-up (事後措置) → done late, follow-up needed;
    c never examined → overdue. The school: 1 examined, 0 by the deadline, 1 late, 1 overdue of 2."""
    b.school_with_calendar(ledger)
    a, c = b.class_with_students(ledger, grade=3, count=2)
    ledger.record_health_exam(a, YEAR, examination={**HEALTH, "follow_up": "眼科受診を勧める"},
                              examined_on=date(2026, 7, 2), recorded_by="N-0001")
    dash = dashboards(backend, ledger, date(2026, 7, 10))
    first, second = dash.child(a), dash.child(c)
    assert first is not None
    assert second is not None
    assert first["health"] == {"examined_on": "2026-07-02", "status": "done_late", "follow_up": True}
    assert second["health"]["status"] == "overdue"
    s = dash.school(A, YEAR)
    assert s is not None
    h = s["health"]
    assert (h["examined"], h["by_deadline"], h["late"], h["not_done"], h["overdue"], h["follow_up"],
            h["completion"]) == (1, 0, 1, 1, 1, 1, 0.5)


def test_the_dashboards_read_as_of_a_past_position_are_the_bytes_they_were_then(
        backend: Backend, ledger: Ledger) -> None:
    """Read today, then after another roll as of the position before it: the same bytes, every level;
    and the summaries rebuilt from scratch are the same bytes as kept."""
    scene(ledger)
    dash = dashboards(backend, ledger, date(2026, 4, 21))
    before: dict[str, Callable[[Cutoff], Any]] = {
        "class": lambda cut: dash.klass(A, YEAR, 3, "1", as_of=cut),
        "school": lambda cut: dash.school(A, YEAR, as_of=cut),
        "board": lambda cut: dash.board(b.BOARD, YEAR, as_of=cut)}
    position = ledger.position()
    then = {k: msgspec.json.encode(f(Cutoff()), order="sorted") for k, f in before.items()}
    ids = list(dash.klass(A, YEAR, 3, "1")["students"])  # type: ignore[index]
    ledger.record_roll(A, YEAR, 3, "1", on=date(2026, 4, 21),
                       marks=[(UUID(r["student_id"]), OTHER) for r in ids], recorded_by=b.STAFF)
    dash.runner.catch_up()
    for k, f in before.items():
        assert msgspec.json.encode(f(Cutoff(position=position)), order="sorted") == then[k], k
        assert msgspec.json.encode(f(Cutoff()), order="sorted") != then[k], k
    kept = dash.runner.store.documents("dashboards")
    dash.runner.rebuild("dashboards")
    assert dash.runner.store.documents("dashboards") == kept


def test_each_level_shows_its_open_and_acknowledged_alerts_and_the_board_only_counts(
        backend: Backend, ledger: Ledger) -> None:
    """a's three days running (4/16, 4/17, 4/20) raise one absence-run alert (projections/alerts.py): open on
    every level; once the homeroom teacher records what was done, acknowledged with the note; the board
    counts it by rule, with no id. (The alert process judges the health examination by the ledger's own
    clock, at the end of the year here: both children also have a health-exam-overdue alert, left open.)"""
    a, _ = scene(ledger)
    dash = dashboards(backend, ledger, date(2026, 4, 20))
    runner = dash.runner
    assert runner.raiser is not None
    runner.catch_up()
    runner.raiser.catch_up()
    runner.catch_up()
    child = dash.child(a)
    assert child is not None
    assert sorted(x["rule"] for x in child["alerts"]["open"]) == ["absence-run", "health-exam-overdue"]
    (alert,) = [x for x in child["alerts"]["open"] if x["rule"] == "absence-run"]
    assert (alert["student_id"], alert["days"], child["alerts"]["acknowledged"]) == (str(a), 3, [])
    ledger.acknowledge_alert(UUID(alert["alert_id"]), action="guardian_contacted", note="保護者に電話で確認",
                             recorded_by=b.STAFF)
    runner.catch_up()
    for view in (dash.child(a), dash.klass(A, YEAR, 3, "1"), dash.school(A, YEAR)):
        assert view is not None
        assert {x["rule"] for x in view["alerts"]["open"]} == {"health-exam-overdue"}
        (done,) = view["alerts"]["acknowledged"]
        assert (done["alert_id"], done["acknowledgements"][0]["note"]) == (alert["alert_id"], "保護者に電話で確認")
    board = dash.board(b.BOARD, YEAR)
    assert board is not None
    assert board["schools"][0]["alerts"] == {"open": 2, "acknowledged": 1, "by_rule": {
        "absence-run": {"open": 0, "acknowledged": 1}, "health-exam-overdue": {"open": 2, "acknowledged": 0}}}
    assert alert["alert_id"] not in canonical(board)


def test_a_corrected_mark_moves_the_schools_counts_and_ends_the_streak(backend: Backend, ledger: Ledger) -> None:
    """a's 事故 of 4/20 corrected to present: the school counts present 15, absent 3 (15 / 18 = 0.8333), the
    run 4/16–4/17 is no longer going on today (a present day after it), and the summaries rebuilt from the
    log are the same bytes."""
    a, _ = scene(ledger)
    ledger.correct_mark(a, on=date(2026, 4, 20), mark={"code": "present"}, reason="連絡帳で確認",
                        recorded_by=b.STAFF)
    dash = dashboards(backend, ledger, date(2026, 4, 20))
    s = dash.school(A, YEAR)
    assert s is not None
    (k,) = s["classes"]
    assert (k["present"], k["absent"], k["attendance_rate"], k["streaks"]) == (15, 3, 0.8333, 0)
    kept = dash.runner.store.documents("dashboards")
    dash.runner.rebuild("dashboards")
    assert dash.runner.store.documents("dashboards") == kept


def test_the_board_and_school_figures_saved_beside_the_summary_are_those_counted_from_it_day_by_day(
        backend: Backend, ledger: Ledger) -> None:
    """The board and the school read the figures saved beside the school's summary (ADR 0045); counted from
    the summary and the calendar day by day (``school_figures``, and every read as of a past point), every
    figure is the same on the last day marked, on a later day, and on a day before the last marked (then
    they judge the runs from the summary), and after the year."""
    from projections.dashboards.summary import figures_key, summary_key
    from projections.dashboards.views import board_figures, summary_row

    _, c = scene(ledger)
    ledger.correct_mark(c, on=date(2026, 4, 14), mark=OTHER, reason="連絡帳で確認", recorded_by=b.STAFF)
    for today in (date(2026, 4, 20), date(2026, 4, 24), date(2026, 4, 16), date(2026, 4, 15), date(2027, 5, 1)):
        dash = dashboards(backend, ledger, today)
        found = dash.board(b.BOARD, YEAR)
        assert found is not None
        (row,) = found["schools"]
        summary = dash.runner.store.get("dashboards", summary_key(A, YEAR))
        counted = summary_row(summary, today.isoformat(), row["long_absence"])
        assert {k: v for k, v in row.items() if k not in ("school_code", "school_name", "alerts")} == counted, today
        assert dash.runner.store.get("dashboards", figures_key(A, YEAR)) == board_figures(summary)
        if today.year > YEAR:  # a read as of a point counts to the end of the year at most (its "today")
            continue
        now = Cutoff(position=ledger.position())  # replayed: counted from the summaries day by day
        assert canonical(dash.school(A, YEAR)) == canonical(dash.school(A, YEAR, as_of=now)), today
        assert canonical(found) == canonical(dash.board(b.BOARD, YEAR, as_of=now)), today
    assert (row["present"], row["absent"], row["streaks"]) == (13, 5, 1)
