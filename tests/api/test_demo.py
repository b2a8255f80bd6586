"""The demo seeder: a whole jurisdiction, judged against the ledger's own state; idempotent and resumable.

Seeded as it stands the day after term 1 (TODAY): every roll of term 1, its assessments, the
spring's examinations. tests/api/test_demo_year.py seeds other days and checks the forms' figures."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from api import demo
from domain import curriculum, values
from domain.backend import Backend
from domain.event import TOPIC_PREFIX
from domain.ledger import Ledger
from migrations.apply import apply

YEAR = 2026
TODAY = date(2026, 7, 21)  # the day after term 1 (7/20 is 海の日)
ABSENT = {"absent_illness", "absent_other"}


def events(ledger: Ledger, name: str) -> list[Any]:
    page = ledger.recorder.select_notifications(start=1, limit=1_000_000, topics=[TOPIC_PREFIX + name])  # type: ignore[attr-defined]
    return [ledger.mapper.to_domain_event(n) for n in page]


def topics(ledger: Ledger) -> Counter[str]:
    page = ledger.recorder.select_notifications(start=1, limit=1_000_000)  # type: ignore[attr-defined]
    return Counter(n.topic.removeprefix(TOPIC_PREFIX) for n in page)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """One full demo on SQLite, shared by the read-only tests of this module (it takes a few seconds)."""
    from tests.conftest import Clock

    backend = Backend.from_url(f"sqlite:///{tmp_path_factory.mktemp('demo')}/ledger.sqlite3")
    apply(backend)
    ledger = Ledger.open(backend, clock=Clock())
    summary = demo.seed_demo(ledger, today=TODAY, progress=False)
    yield ledger, summary
    ledger.close()


def test_the_board_has_two_elementary_schools_and_a_junior_high_with_principals(seeded: Any) -> None:
    ledger, summary = seeded
    registered = events(ledger, "SchoolRegistered")
    assert summary.schools == len(registered) >= 3
    kinds = Counter(e.kind for e in registered if e.board_code == "312011")
    assert kinds["elementary"] >= 2
    assert kinds["junior_high"] >= 1
    for e in registered:
        school = ledger.school(e.school_code)
        assert school.principal_name
        assert school.address.startswith("鳥取県鳥取市")
        assert school.name.startswith("鳥取市立")


def test_every_child_has_a_kana_name_a_guardian_and_a_birth_date_that_fits_the_grade(seeded: Any) -> None:
    ledger, summary = seeded
    ids = list(ledger.student_ids())
    assert summary.students == len(ids) >= 60
    for sid in ids:
        student = ledger.student(sid)
        i, p = student.identity, student.placements[YEAR]
        values.kana(i.family_name_kana, "family_name_kana")
        values.kana(i.given_name_kana, "given_name_kana")
        values.kana(i.guardian.name_kana, "guardian.name_kana")
        assert i.guardian.relation in ("父", "母", "祖母")
        first_birth_year = YEAR - 7 - (p.grade - 1) - (6 if p.school_code.startswith("C1") else 0)
        assert date(first_birth_year, 4, 2) <= i.birth_date <= date(first_birth_year + 1, 4, 1)
    admitted = events(ledger, "StudentAdmitted")
    assert {(e.grade, e.admission_kind) for e in admitted} == {(1, "entrance"), (3, "admission"),
                                                                (6, "admission")}
    assert all(e.reason == "システム移行に伴う登録" for e in admitted if e.admission_kind == "admission")


def test_term_1_is_its_weekdays_without_the_national_holidays(seeded: Any) -> None:
    ledger, _ = seeded
    for code in (s.code for s in demo.SCHOOLS):
        calendar = ledger.school_year(code, YEAR).calendar
        term = calendar.terms[0]
        days = [d for d in calendar.instructional_days if term.starts_on <= d <= term.ends_on]
        # 4/6 (Mon) to 7/20 (Mon) holds 76 weekdays; 4/29, 5/4, 5/5, 5/6 (振替休日) and 7/20 (海の日) are off.
        assert len(days) == 71
        assert date(2026, 9, 22) not in calendar.instructional_days  # 国民の休日
    scopes = {c.scope for s in demo.SCHOOLS for c in ledger.school_year(s.code, YEAR).calendar.closures}
    assert {"grade", "class"} <= scopes


def test_every_class_has_a_roll_on_every_open_day_before_today(seeded: Any) -> None:
    """This year's classes up to the day before TODAY, and last year's 6-1 up to its 卒業."""
    ledger, _ = seeded
    expected = 0
    for formed in events(ledger, "ClassFormed"):
        year = ledger.school_year(formed.school_code, formed.year)
        klass = ledger.school_class(formed.school_code, formed.year, formed.grade, formed.class_name)
        expected += sum(
            len(klass.members_on(d)) for d in year.calendar.instructional_days
            if d < TODAY and year.is_instructional_day(d, klass.grade)
            and not year.class_closed(d, klass.grade, klass.name))
    assert {e.year for e in events(ledger, "ClassFormed")} == {YEAR - 1, YEAR}
    assert len(events(ledger, "AttendanceMarked")) == expected > 60 * 60


def test_the_rolls_tell_the_stories_a_dashboard_shows(seeded: Any) -> None:
    ledger, _ = seeded
    marks = events(ledger, "AttendanceMarked")
    codes = Counter(e.mark.code for e in marks)
    assert codes["present"] > 0.9 * len(marks)
    assert all(codes[c] for c in ("late", "left_early", "absent_illness", "absent_other", "mourning"))
    assert all(e.mark.authority == "infection" for e in marks if e.mark.code == "suspended")
    assert codes["suspended"] >= 3
    assert {e.mark.facility for e in marks if e.mark.code == "deemed_present"} == {"鳥取市教育支援センター"}
    assert any(e.mark.reason == "祖父の葬儀" for e in marks if e.mark.code == "mourning")
    by_student: dict[Any, list[Any]] = defaultdict(list)
    for e in sorted(marks, key=lambda e: e.effective_on):
        by_student[e.student_id].append(e.mark.code)
    assert max(sum(c in ABSENT for c in codes) for codes in by_student.values()) >= 30  # 長期欠席
    assert max(_longest_run(codes) for codes in by_student.values()) >= 7  # 7日以上連続欠席


def _longest_run(codes: list[str]) -> int:
    best = run = 0
    for c in codes:
        run = run + 1 if c in ABSENT else 0
        best = max(best, run)
    return best


def test_every_child_is_assessed_in_every_subject_of_the_grade(seeded: Any) -> None:
    ledger, _ = seeded
    recorded = defaultdict(set)
    for e in events(ledger, "AssessmentRecorded"):
        assert e.term == 1
        assert (e.rating is None) == (e.school_code.startswith("B1") and e.grade < 3)
        recorded[e.student_id].add(e.subject)
    for sid in ledger.student_ids():
        p = ledger.student(sid).placements[YEAR]
        kind = "junior_high" if p.school_code.startswith("C1") else "elementary"
        assert recorded[sid] == {s for s, (_, grades) in curriculum.SUBJECTS[kind].items() if p.grade in grades}
    viewpoints = Counter(v for e in events(ledger, "AssessmentRecorded")
                         for v in (e.viewpoints.knowledge, e.viewpoints.thinking, e.viewpoints.attitude))
    assert viewpoints["B"] > viewpoints["A"] > viewpoints["C"] > 0
    assert {e.grade for e in events(ledger, "YearRecordEntered")} == {6}


def test_there_is_a_corrected_mark_and_a_corrected_assessment(seeded: Any) -> None:
    ledger, _ = seeded
    [mark] = events(ledger, "AttendanceCorrected")
    assert mark.reason == "欠席連絡の入力誤り"
    assert mark.corrects_version == 1
    [assessment] = events(ledger, "AssessmentCorrected")
    assert assessment.reason


def test_every_child_has_a_health_and_a_dental_examination_of_the_spring(seeded: Any) -> None:
    ledger, _ = seeded
    ids = set(ledger.student_ids())
    for name in ("HealthExaminationRecorded", "DentalExaminationRecorded"):
        exams = events(ledger, name)
        assert {e.student_id for e in exams} == ids
        assert len(exams) == len(ids)
        assert all(date(2026, 4, 20) <= e.effective_on <= date(2026, 6, 30) for e in exams)
        assert all(e.school_code == ledger.student(e.student_id).custodian for e in exams)
    for e in events(ledger, "HealthExaminationRecorded"):
        assert (e.examination.heart_ecg is not None) == (e.grade == 1)
        assert 100 < e.examination.height_cm < 185


def test_seeding_again_adds_nothing(seeded: Any) -> None:
    ledger, summary = seeded
    again = demo.seed_demo(ledger, today=TODAY, progress=True)  # the progress bar's path, too
    assert again.events_recorded == 0
    assert ledger.position() == summary.position == again.position
    assert again[:3] == summary[:3]


def test_an_interrupted_demo_completes_on_the_next_run(sqlite_backend: Backend, tmp_path: Any,
                                                       open_ledger: Callable[[Backend], Ledger],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    ledger = open_ledger(sqlite_backend)
    calls = 0
    record_roll = ledger.record_roll

    def failing(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls > 100:  # in the middle of last year's rolls
            raise ConnectionError("the database went away")
        return record_roll(*args, **kwargs)

    monkeypatch.setattr(ledger, "record_roll", failing)
    with pytest.raises(ConnectionError):
        demo.seed_demo(ledger, today=TODAY, progress=False, days=3)
    monkeypatch.undo()
    demo.seed_demo(ledger, today=TODAY, progress=False, days=3)

    fresh = Backend.from_url(f"sqlite:///{tmp_path}/fresh.sqlite3")
    apply(fresh)
    complete = open_ledger(fresh)
    demo.seed_demo(complete, today=TODAY, progress=False, days=3)
    assert topics(ledger) == topics(complete)
    this_year = len(demo.plan_pupils(YEAR)) + len(demo.advanced(YEAR))
    last_year = last_years_marks()
    assert len(events(ledger, "AttendanceMarked")) == 3 * this_year + last_year


def last_years_marks() -> int:
    """Last year's 6-1 has a roll of every school day up to its 卒業."""
    days = demo.roll_days(YEAR - 1, demo.SCHOOLS[0], demo.LAST_YEARS_SIXTH, demo.Demo(TODAY).graduation_day)
    return len(demo.last_years_sixth(YEAR)) * (len(days) + 1)


def test_the_demo_is_the_same_every_time() -> None:
    first, second = demo.plan_pupils(YEAR), demo.plan_pupils(YEAR)
    assert first == second
    assert len({p.id for p in first}) == len(first)
    assert [demo.pupil_marks(p, demo.roll_days(YEAR, p.school, p.klass)) for p in first[:20]] == [
        demo.pupil_marks(p, demo.roll_days(YEAR, p.school, p.klass)) for p in second[:20]]


@pytest.mark.postgres
def test_the_demo_on_postgresql(postgres_backend: Backend, open_ledger: Callable[[Backend], Ledger]) -> None:
    ledger = open_ledger(postgres_backend)
    # Five days of rolls instead of the term: the full demo takes about 18 s on PostgreSQL.
    summary = demo.seed_demo(ledger, today=TODAY, progress=False, days=5)
    assert summary.students == len(list(ledger.student_ids())) >= 60
    last_year = last_years_marks()
    assert len(events(ledger, "AttendanceMarked")) == 5 * summary.students + last_year
    again = demo.seed_demo(ledger, today=TODAY, progress=False, days=5)
    assert again.events_recorded == 0
    assert ledger.position() == summary.position


def test_rebuilding_the_demo_read_models_reproduces_every_document(seeded: Any) -> None:
    from projections import runner_for

    ledger, _ = seeded
    runner = runner_for(ledger, Backend.from_url("sqlite:///" + ledger.env.get("SQLITE_DBNAME")))
    runner.catch_up()
    runner.raiser.catch_up()  # the demo's alerts (ADR 0042): its runs of absence, its 長期欠席
    runner.catch_up()
    built = {name: runner.fingerprint(name) for name in runner.projections}
    assert all(runner.store.documents(name) for name in runner.projections)
    forms = _every_form_hash(runner, ledger)
    for name in runner.projections:
        runner.rebuild(name)
    assert {name: runner.fingerprint(name) for name in runner.projections} == built
    assert _every_form_hash(runner, ledger) == forms


def _every_form_hash(runner: Any, ledger: Ledger) -> str:
    """SHA-256 over every composed form of the demo: each child's 指導要録, cards and report cards,
    each school's long-absence list and each class's registers of the first term."""
    import hashlib

    from projections.base import canonical
    from projections.forms import Forms

    forms, digest = Forms(runner), hashlib.sha256()
    for sid in ledger.student_ids():
        for form in (forms.cumulative_record(sid), forms.health_card(sid), forms.dental_card(sid),
                     forms.report_card(sid, 2026, 1)):
            digest.update(canonical(form or {}).encode())
    for school in demo.SCHOOLS:
        digest.update(canonical(forms.long_absence(school.code, 2026)).encode())
        for c in school.classes:
            for month in ("2026-04", "2026-05", "2026-06", "2026-07"):
                register = forms.attendance_register(school.code, 2026, c.grade, c.name, month)
                assert register is not None
                digest.update(canonical(register).encode())
    return digest.hexdigest()
