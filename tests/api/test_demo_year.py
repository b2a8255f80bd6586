"""The demo as it stands on the day it runs: its 出席簿 and 指導要録 add up on every row for every child.

The expected 授業日数 of each row is worked out here from the calendar the demo recorded (the
ledger's school year) and the class's roll as the ledger holds it, never from a projection:
the school days up to the day before the seeding on which the child was on the class's roll,
without the days its school or grade was closed (臨時休業: no 授業日). A day its class alone was
closed (学級閉鎖, a 休業 of part of a grade) stays a 授業日 and counts among the 出席停止・忌引等
days (domain-japan.md §2.2 table, [R21][R22]); the test counts those apart. Each row must then add up
(domain-japan.md §2.2, ADR 0024): 出席しなければならない日数 = 授業日数 − 出席停止・忌引等の日数;
出席日数 = that − 欠席日数 − 未記入 — and on the day of seeding nothing is 未記入.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import Any
from uuid import UUID

import pytest

from api import demo
from domain import school_year, streams
from domain.assessment import AssessmentRecorded
from domain.backend import Backend
from domain.event import TOPIC_PREFIX
from domain.ledger import Ledger
from migrations.apply import apply
from projections import runner_for
from projections.base import Cutoff
from projections.forms import Forms
from tests.conftest import Clock

TERM_1, DECEMBER, MARCH = date(2026, 6, 18), date(2026, 12, 7), date(2027, 3, 19)
ROW = ("school_days", "excused", "required", "absent", "present", "unrecorded")


def clock_on(today: date) -> Clock:
    """The ledger's clock at the first moment of ``today`` in Japan."""
    return Clock(datetime.combine(today, time(0), school_year.JST))


def seeded(backend: Backend, today: date, **kwargs: Any) -> tuple[Ledger, Forms]:
    ledger = Ledger.open(backend, clock=clock_on(today))
    demo.seed_demo(ledger, today=today, progress=False, **kwargs)
    runner = runner_for(ledger, backend)
    runner.catch_up()
    return ledger, Forms(runner)


def classes_of(today: date) -> list[tuple[str, int, int, str]]:
    """(school, year, grade, class) of every class the demo holds: this year's and last year's 6-1."""
    year = school_year.year_of(today)
    return [(s.code, year, c.grade, c.name) for s in demo.SCHOOLS for c in s.classes] + [
        (demo.MIDORI, year - 1, 6, demo.LAST_YEARS_SIXTH.name)]


def expected_days(ledger: Ledger, code: str, year: int, grade: int, name: str,
                  through: date) -> tuple[dict[UUID, list[date]], set[date]]:
    """Each child's 授業日 in the class up to ``through``: the recorded calendar's days, minus the
    school's and the grade's closures, on which the ledger has the child on the class's roll; and
    the days the class alone was closed."""
    calendar, klass = ledger.school_year(code, year), ledger.school_class(code, year, grade, name)
    assert calendar.calendar is not None
    out: dict[UUID, list[date]] = defaultdict(list)
    for d in sorted(calendar.calendar.instructional_days):
        if d <= through and calendar.is_instructional_day(d, grade):
            for sid in klass.members_on(d):
                out[sid].append(d)
    return out, {c.on for c in calendar.calendar.closures if c.scope == "class" and c.grade == grade
                 and c.class_name == name}


def adds_up(row: dict[str, Any], school_days: int, where: str, class_closed: int | None = None) -> None:
    assert row["school_days"] == school_days, where
    if class_closed is not None:
        assert row["class_closed"] == class_closed, where
        assert row["excused"] >= class_closed, where
    assert row["required"] == row["school_days"] - row["excused"], where
    assert row["present"] == row["required"] - row["absent"] - row["unrecorded"], where
    assert row["unrecorded"] == 0, where  # the demo has every roll up to the day before


def check_registers(ledger: Ledger, forms: Forms, today: date) -> dict[tuple[UUID, str, int], int]:
    """Every month's 出席簿 of every class up to yesterday, with its term and year tables; returns
    each child's 授業日数 by (child, school, year), for the 指導要録."""
    through = today - timedelta(days=1)
    cut = Cutoff(on=through)
    by_school: Counter[tuple[UUID, str, int]] = Counter()
    for code, year, grade, name in classes_of(today):
        days, closed = expected_days(ledger, code, year, grade, name, through)
        calendar = ledger.school_year(code, year).calendar
        assert calendar is not None
        terms = calendar.terms
        for sid, ds in days.items():
            by_school[sid, code, year] += len(ds)
        months = [m for m in school_year.month_firsts(year) if m <= through and any(  # August has no page
            d.year == m.year and d.month == m.month for d in calendar.instructional_days)]
        assert months
        for first in months:
            month = first.isoformat()[:7]
            register = forms.attendance_register(code, year, grade, name, month, as_of=cut)
            assert register is not None
            rows = {UUID(s["student_id"]): s for s in register["students"]}
            on_roll = {sid for sid, ds in days.items() if any(d.isoformat()[:7] == month for d in ds)}
            assert on_roll <= set(rows), (code, year, grade, name, month)
            for sid, s in rows.items():
                where = f"{code} {year} {grade}-{name} {month} child {s['number']}"
                mine = days.get(sid, [])
                in_month = [d for d in mine if d.isoformat()[:7] == month]
                adds_up(s["month"], len(in_month), f"{where} month", len(closed & set(in_month)))
                for t in terms:
                    in_term = [d for d in mine if t.starts_on <= d <= t.ends_on]
                    adds_up(s["terms"][str(t.number)], len(in_term), f"{where} term {t.number}",
                            len(closed & set(in_term)))
                adds_up(s["year"], len(mine), f"{where} year", len(closed & set(mine)))
    return dict(by_school)


def check_cumulative_records(ledger: Ledger, forms: Forms, today: date,
                             school_days: dict[tuple[UUID, str, int], int]) -> int:
    """The 指導要録's 出欠の記録 of every child: one row per school and year, adding up."""
    cut, rows = Cutoff(on=today - timedelta(days=1)), 0
    for sid in ledger.student_ids():
        record = forms.cumulative_record(sid, as_of=cut)
        assert record is not None
        for entry in record["form2"]:
            for row in entry["attendance"]:
                key = (sid, row["school_code"], entry["year"])
                adds_up(row, school_days.get(key, 0), f"指導要録 {key}")
                rows += 1
    return rows


@pytest.fixture(scope="module", params=[TERM_1, DECEMBER, MARCH], ids=str)
def demo_on(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    backend = Backend.from_url(f"sqlite:///{tmp_path_factory.mktemp('demo-year')}/ledger.sqlite3")
    apply(backend)
    ledger, forms = seeded(backend, request.param)
    yield request.param, ledger, forms
    ledger.close()


def test_every_row_of_the_registers_and_the_cumulative_records_adds_up_on_the_day_of_seeding(demo_on: Any) -> None:
    today, ledger, forms = demo_on
    school_days = check_registers(ledger, forms, today)
    assert check_cumulative_records(ledger, forms, today, school_days) >= len(list(ledger.student_ids()))
    plan = demo.Demo(today)
    moved = plan.pupil(demo.TRANSFER[0]).id
    record = forms.cumulative_record(moved, as_of=Cutoff(on=today - timedelta(days=1)))
    assert record is not None
    schools = [r["school_code"] for e in record["form2"] if e["year"] == plan.year for r in e["attendance"]]
    assert sorted(set(schools)) == (
        [demo.MIDORI, demo.MIZUUMI] if plan.transferred() else [demo.MIDORI])


def test_a_past_day_reads_as_it_stood_then(demo_on: Any) -> None:
    """The schools, calendars and classes stand from 1 April: a register read on a day in May has them."""
    today, _, forms = demo_on
    year = school_year.year_of(today)
    on = demo.school_day_from(year, date(year, 5, 12))
    register = forms.attendance_register(demo.MIDORI, year, 1, "1", f"{year}-05", as_of=Cutoff(on=on))
    assert register is not None
    assert all(s["month"]["school_days"] == len([d for d in register["instructional_days"] if d <= on.isoformat()])
               for s in register["students"])
    assert forms.roster(demo.AOBA, year, 1, "1", as_of=Cutoff(on=on)) is not None


def test_the_year_holds_what_the_day_has_seen(demo_on: Any) -> None:
    """Assessments of the ended terms only, the spring's examinations held before the day, the
    transfer once its day has passed, and last year's 6-1 in あおば's 1-1."""
    today, ledger, _ = demo_on
    year, plan = school_year.year_of(today), demo.Demo(today)
    assessed = {e.term for e in _events(ledger, "AssessmentRecorded")}
    assert assessed == {t.number for t in demo.terms_of(year) if t.ends_on < today}
    exams = _events(ledger, "HealthExaminationRecorded") + _events(ledger, "DentalExaminationRecorded")
    assert exams
    assert all(date(year, 4, 20) <= e.effective_on < min(today, date(year, 6, 30) + timedelta(days=1))
               for e in exams)
    moved = ledger.student(plan.pupil(demo.TRANSFER[0]).id)
    assert [e.school_code for e in moved.enrollments] == (
        [demo.MIDORI, demo.MIZUUMI] if plan.transfer_days[1] < today else [demo.MIDORI])
    terms_of_moved = Counter(e.term for e in ledger.stream(streams.assessments(moved.id, year))
                             if isinstance(e, AssessmentRecorded))
    assert set(terms_of_moved) == assessed or not assessed  # assessed each ended term, by the school holding them
    corrected = {(e.student_id, e.effective_on) for e in _events(ledger, "AttendanceCorrected")}
    assert corrected == {(plan.pupil(m.key).id, demo.mistake_day(year, m)) for m in demo.MISTAKES
                         if demo.mistake_day(year, m) < today}
    assert len(_events(ledger, "AssessmentCorrected")) == (1 if plan.ended_terms() else 0)
    aoba = ledger.school_class(demo.AOBA, year, 1, "1").members_on(today - timedelta(days=1))
    assert {p.id for p in plan.last_years_sixth} <= set(aoba)
    assert len(aoba) == demo.SCHOOLS[2].classes[0].size + demo.LAST_YEARS_SIXTH.size


def _events(ledger: Ledger, name: str) -> list[Any]:
    page = ledger.recorder.select_notifications(start=1, limit=1_000_000, topics=[TOPIC_PREFIX + name])  # type: ignore[attr-defined]
    return [ledger.mapper.to_domain_event(n) for n in page]


def _streams(ledger: Ledger) -> Counter[tuple[str, int, str]]:
    """Every event as (stream, version, type): the register, whatever order it was written in."""
    page = ledger.recorder.select_notifications(start=1, limit=1_000_000)  # type: ignore[attr-defined]
    return Counter((str(n.originator_id), n.originator_version, n.topic) for n in page)


def test_a_second_run_adds_nothing_and_a_later_day_adds_only_its_new_rolls(sqlite_backend: Backend,
                                                                           tmp_path: Any) -> None:
    ledger, _ = seeded(sqlite_backend, DECEMBER)
    position = ledger.position()
    assert demo.seed_demo(ledger, today=DECEMBER, progress=False).events_recorded == 0
    ledger.clock = clock_on(date(2026, 12, 9))  # two days on: Monday 12/7 and Tuesday 12/8 have come
    later = demo.seed_demo(ledger, today=date(2026, 12, 9), progress=False)
    new = [ledger.mapper.to_domain_event(n) for n in ledger.recorder.select_notifications(  # type: ignore[attr-defined]
        start=position + 1, limit=1_000_000)]
    assert later.events_recorded == len(new) > 0
    assert {type(e).__name__ for e in new} == {"AttendanceMarked"}
    assert {e.effective_on for e in new} == {date(2026, 12, 7), date(2026, 12, 8)}
    year = 2026
    on_roll = sum(len(ledger.school_class(c, y, g, n).members_on(d)) for c, y, g, n in classes_of(DECEMBER)
                  if y == year for d in (date(2026, 12, 7), date(2026, 12, 8)))
    assert len(new) == on_roll
    fresh = Backend.from_url(f"sqlite:///{tmp_path}/fresh.sqlite3")
    apply(fresh)
    direct, _ = seeded(fresh, date(2026, 12, 9))
    assert _streams(direct) == _streams(ledger)  # the same register as seeding on the later day at once
    direct.close()
    ledger.close()


def test_the_same_day_seeds_the_same_demo() -> None:
    first, second = demo.Demo(DECEMBER), demo.Demo(DECEMBER)
    assert first.pupils == second.pupils
    assert len({p.id for p in first.pupils + first.last_years_sixth}) == len(first.pupils) + len(
        first.last_years_sixth)
    days = demo.roll_days(2026, demo.SCHOOLS[0], demo.SCHOOLS[0].classes[0])
    assert [demo.pupil_marks(p, days) for p in first.pupils[:20]] == [
        demo.pupil_marks(p, days) for p in second.pupils[:20]]


@pytest.mark.postgres
def test_the_demo_adds_up_on_postgresql(postgres_backend: Backend) -> None:
    today = date(2026, 5, 29)  # after the class closure of 5/26–27; term 1 only (the whole year is slow here)
    ledger, forms = seeded(postgres_backend, today)
    school_days = check_registers(ledger, forms, today)
    assert check_cumulative_records(ledger, forms, today, school_days) >= len(list(ledger.student_ids()))
    assert demo.seed_demo(ledger, today=today, progress=False).events_recorded == 0
    ledger.close()
