"""The must-show property of the read models, over generated histories of one small school.

For any history the ledger accepts, the documents built incrementally (the runner polling in
small pages, at random points of the history), the documents rebuilt from scratch, and the
point-in-time replay are the same bytes:

- at the end: every projection's stored documents == a rebuild's, and for every stored key
  ``canonical(replay(name, key, head))`` == the stored document (and by recorded time);
- in the past: the documents stored right after the command that ended at position P ==
  the replay as of P (every projection, every key, no key more or fewer);
- by recorded time: replaying as of a moment t == replaying as of the last position recorded
  at or before t;
- the composed forms (指導要録, 通知表, 出席簿, 長期欠席) read today == read as of the head.

The world: one elementary school with its calendar and principal, class 3-1 of three children
(grade 3, so 評定 exist), and a generated list of commands: class rolls with every mark code,
mark corrections, term and year assessments and their corrections, year records and their
corrections, identity changes, a withdrawal, a mid-year admission, a homeroom teacher change, a
principal appointment, the seal of the year (after which corrections need the principal's
approval), and the next year's class 4-1 on a two-term calendar. Commands the ledger refuses are
skipped. Each example gets a ledger of its own: a fresh SQLite file, or a fresh PostgreSQL schema.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar
from uuid import UUID

import psycopg
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from domain import errors, streams
from domain.attendance import AUTHORITIES, MARK_CODES
from domain.backend import Backend
from domain.ledger import Ledger
from domain.school import HomeroomTeacherChanged
from migrations.apply import apply
from projections import all_projections, runner_for
from projections.base import Cutoff, Form, canonical
from projections.forms import Forms
from projections.forms.report_card import NoSuchTerm
from projections.runner import Runner
from tests import builders as b
from tests.conftest import Clock

SCHOOL = b.ELEMENTARY
PRINCIPAL, NEW_PRINCIPAL = b.PRINCIPAL, "P-0002"
FACILITIES = ("鳥取市教育支援センター", "フリースクールあおば")
# Nine consecutive school days of April (a weekend inside), two of term 2, one of term 3, and
# three of the next school year (two-term calendar): few enough that rolls and corrections collide.
DAYS_2026 = [*b.SCHOOL_DAYS[:9], date(2026, 9, 1), date(2026, 9, 2), date(2027, 1, 7)]
DAYS_2027 = [date(2027, 4, 6), date(2027, 4, 7), date(2027, 10, 12)]
DAYS = DAYS_2026 + DAYS_2027
TERMS_2027 = [{"number": 1, "starts_on": "2027-04-06", "ends_on": "2027-10-08"},
              {"number": 2, "starts_on": "2027-10-12", "ends_on": "2028-03-24"}]
SCHOOL_DAYS_2027 = b.weekdays(date(2027, 4, 6), date(2027, 10, 8)) + b.weekdays(date(2027, 10, 12),
                                                                                  date(2028, 3, 24))
SUBJECTS = ("japanese", "arithmetic", "science")
MONTHS = {2026: ("2026-04", "2026-09", "2027-01"), 2027: ("2027-04", "2027-10")}


def school_year_of(day: date) -> int:
    return day.year if day.month >= 4 else day.year - 1


def class_of(year: int) -> tuple[int, str]:
    return (3, "1") if year == 2026 else (4, "1")


# ---------------------------------------------------------------- the commands


@dataclass(frozen=True)
class Roll:
    day: int
    marks: tuple[dict[str, Any], ...]  # cycled over the children on the roll, by 出席番号


@dataclass(frozen=True)
class CorrectMark:
    student: int
    day: int
    mark: dict[str, Any]
    approved_by: str | None


@dataclass(frozen=True)
class Assess:
    student: int
    year: int
    subject: str
    term: int | None
    viewpoints: dict[str, str]
    rating: int | None


@dataclass(frozen=True)
class CorrectAssessment:
    student: int
    year: int
    version: int
    viewpoints: dict[str, str]
    rating: int | None
    approved_by: str | None


@dataclass(frozen=True)
class EnterYearRecord:
    student: int
    year: int
    record: dict[str, Any]


@dataclass(frozen=True)
class CorrectYearRecord:
    student: int
    year: int
    version: int
    record: dict[str, Any]
    approved_by: str | None


@dataclass(frozen=True)
class ChangeIdentity:
    student: int
    variant: int
    day: int


@dataclass(frozen=True)
class Withdraw:
    student: int
    day: int


@dataclass(frozen=True)
class Admit:
    day: int


@dataclass(frozen=True)
class ChangeHomeroom:
    day: int


@dataclass(frozen=True)
class AppointPrincipal:
    day: int


@dataclass(frozen=True)
class Seal:
    pass


@dataclass(frozen=True)
class NextYear:
    """The 2027 calendar (two terms) and class 4-1 with every child still enrolled."""


@dataclass(frozen=True)
class Step:
    command: Any
    advance: int  # seconds the clock moves after the command
    sync: bool  # run the projections (in small pages) after the command


def mark_specs() -> st.SearchStrategy[dict[str, Any]]:
    """Every code of MARK_CODES, with the authority or facility it needs (absences weighted up)."""
    plain = st.sampled_from([c for c in MARK_CODES if c not in ("suspended", "deemed_present")]
                            + ["absent_other", "absent_illness", "absent_other", "present"])
    return st.one_of(
        st.builds(lambda code, reason: {"code": code, "reason": reason}, plain, st.sampled_from(["", "発熱", "通院"])),
        st.builds(lambda a: {"code": "suspended", "authority": a, "reason": "インフルエンザ"},
                  st.sampled_from(sorted(AUTHORITIES))),
        st.builds(lambda f: {"code": "deemed_present", "facility": f}, st.sampled_from(FACILITIES)),
    )


viewpoints = st.fixed_dictionaries({k: st.sampled_from("ABC") for k in ("knowledge", "thinking", "attitude")})
approver = st.sampled_from([None, PRINCIPAL, NEW_PRINCIPAL])
student = st.integers(0, 5)
day = st.integers(0, len(DAYS) - 1)
year = st.sampled_from([2026, 2026, 2027])
records = st.fixed_dictionaries({
    "general_remarks": st.sampled_from(["", "明るく活発に過ごした。", "読書に親しんだ。"]),
    "moral_education": st.sampled_from(["", "友達の気持ちを考えて行動できた。"]),
    "integrated_study": st.sampled_from(["", "地域の川を調べた。"]),
    "behaviour": st.lists(st.sampled_from(["basic_habits", "responsibility", "creativity"]), max_size=2),
    "special_activities": st.lists(st.sampled_from(["class_activities", "school_events"]), max_size=2),
})


def weighted(*choices: tuple[int, st.SearchStrategy[Any]]) -> st.SearchStrategy[Any]:
    """One of the strategies, each as often as its weight."""
    return st.sampled_from([i for i, (w, _) in enumerate(choices) for _ in range(w)]).flatmap(lambda i: choices[i][1])


commands = weighted(
    (12, st.builds(Roll, day, st.lists(mark_specs(), min_size=1, max_size=4).map(tuple))),
    (4, st.builds(CorrectMark, student, st.integers(0, 20), mark_specs(), approver)),
    (4, st.builds(Assess, student, year, st.sampled_from(SUBJECTS), st.sampled_from([1, 2, 3, None]), viewpoints,
                  st.sampled_from([None, 1, 2, 3, 3, 5]))),
    (3, st.builds(CorrectAssessment, student, year, st.integers(1, 8), viewpoints, st.sampled_from([None, 1, 2, 3]),
                  approver)),
    (2, st.builds(EnterYearRecord, student, year, records)),
    (2, st.builds(CorrectYearRecord, student, year, st.integers(1, 3), records, approver)),
    (2, st.builds(ChangeIdentity, student, st.integers(0, 3), st.integers(0, len(DAYS_2026) - 1))),
    (1, st.builds(Withdraw, student, day)),
    (2, st.builds(Admit, day)),
    (1, st.builds(ChangeHomeroom, day)),
    (1, st.builds(AppointPrincipal, st.integers(0, len(DAYS_2026) - 1))),
    (1, st.just(Seal())),
    (1, st.just(NextYear())),
)
histories = st.lists(st.builds(Step, commands, st.integers(0, 2 * 86_400), st.booleans()), min_size=20, max_size=50)
batches = st.sampled_from([1, 2, 3, 7, 1000])

IDENTITY_VARIANTS: list[dict[str, Any]] = [
    {"family_name": "鈴木", "family_name_kana": "すずき"},
    {"address": "鳥取県米子市角盤町1-1"},
    {"guardian": {"name": "佐藤 花", "name_kana": "さとう はな", "relation": "母"}},
    {"given_name": "陽向", "given_name_kana": "ひなた"},
]


# ---------------------------------------------------------------- running a history


@dataclass
class World:
    ledger: Ledger
    runner: Runner
    clock: Clock
    students: list[UUID] = field(default_factory=list)
    accepted: int = 0
    refused: int = 0
    snapshots: int = 0
    rolled: list[date] = field(default_factory=list)

    def pick(self, i: int) -> UUID:
        return self.students[i % len(self.students)]

    def having(self, i: int, stream: Callable[[UUID], UUID]) -> UUID:
        """The first child from the i-th on with events in the stream (else the i-th: refused)."""
        order = self.students[i % len(self.students):] + self.students[:i % len(self.students)]
        return next((sid for sid in order if self.ledger.has_stream(stream(sid))), self.pick(i))

    def run(self, command: Any) -> None:
        try:
            self._run(command)
            self.accepted += 1
        except errors.LedgerError:
            self.refused += 1

    def _run(self, c: Any) -> None:
        lg = self.ledger
        match c:
            case Roll():
                # The first day from DAYS[c.day] on without a roll yet (else that day: refused).
                on = next((d for d in DAYS[c.day:] if d not in self.rolled), DAYS[c.day])
                grade, name = class_of(school_year_of(on))
                klass = lg.find_class(SCHOOL, school_year_of(on), grade, name)
                members = sorted(klass.members_on(on).items(), key=lambda m: m[1]) if klass else []
                lg.record_roll(SCHOOL, school_year_of(on), grade, name, on=on, recorded_by=b.STAFF,
                               marks=[(sid, c.marks[i % len(c.marks)]) for i, (sid, _) in enumerate(members)])
                self.rolled.append(on)
            case CorrectMark():
                on = self.rolled[c.day % len(self.rolled)] if self.rolled else DAYS[c.day % len(DAYS)]
                lg.correct_mark(self.pick(c.student), on=on, mark=c.mark, reason="記入誤りの訂正",
                                approved_by=c.approved_by, recorded_by=b.STAFF)
            case Assess():
                on = date(c.year, 7, 17) if c.term is not None else date(c.year + 1, 3, 19)
                lg.record_assessment(self.pick(c.student), c.year, subject=c.subject, term=c.term,
                                     viewpoints=c.viewpoints, rating=c.rating, on=on, recorded_by=b.STAFF)
            case CorrectAssessment():
                sid = self.having(c.student, lambda sid: streams.assessments(sid, c.year))
                versions = len(lg.stream(streams.assessments(sid, c.year))) or 1
                lg.correct_assessment(sid, c.year, corrects_version=1 + (c.version - 1) % versions,
                                      viewpoints=c.viewpoints, rating=c.rating, reason="評定の転記誤り",
                                      approved_by=c.approved_by, recorded_by=b.STAFF)
            case EnterYearRecord():
                lg.enter_year_record(self.pick(c.student), c.year, record=c.record, on=date(c.year + 1, 3, 19),
                                     recorded_by=b.STAFF)
            case CorrectYearRecord():
                sid = self.having(c.student, lambda sid: streams.year_record(sid, c.year))
                versions = len(lg.stream(streams.year_record(sid, c.year))) or 1
                lg.correct_year_record(sid, c.year, corrects_version=1 + (c.version - 1) % versions, record=c.record,
                                       reason="所見の書き直し", approved_by=c.approved_by, recorded_by=b.STAFF)
            case ChangeIdentity():
                sid = self.pick(c.student)
                n = self.students.index(sid) + 1
                lg.change_identity(sid, b.identity(n, birth_date="2017-06-01", **IDENTITY_VARIANTS[c.variant]),
                                   reason="保護者からの届出", on=DAYS_2026[c.day], recorded_by="registrar")
            case Withdraw():
                lg.withdraw(self.pick(c.student), on=DAYS[c.day], reason="県外へ転出", recorded_by=PRINCIPAL)
            case Admit():
                on = DAYS[c.day]
                year = school_year_of(on)
                grade, name = class_of(year)
                n = len(self.students) + 1
                sid = lg.admit_student(SCHOOL, year, grade, name, 10 + n, b.identity(n, birth_date="2017-06-01"),
                                       admitted_on=on, admission_kind="admission", reason="市外からの転居に伴う編入学",
                                       recorded_by="registrar", different_child=True).stream_id
                self.students.append(sid)
            case ChangeHomeroom():
                on = DAYS[c.day]
                year = school_year_of(on)
                klass = lg.find_class(SCHOOL, year, *class_of(year))
                if klass is None:
                    raise errors.UnknownClass("no class to change the teacher of")
                lg.record([HomeroomTeacherChanged(
                    originator_id=streams.school_class(SCHOOL, year, *class_of(year)),
                    originator_version=klass.version + 1, recorded_at=lg.now(), recorded_by="admin",
                    effective_on=on, homeroom_teacher_id=f"T-{klass.version:04d}",
                    homeroom_teacher_name=f"高橋 {klass.version}")])
            case AppointPrincipal():
                lg.appoint_principal(SCHOOL, NEW_PRINCIPAL, "鈴木 二郎", on=DAYS_2026[c.day], recorded_by="admin")
            case Seal():
                lg.seal_year(SCHOOL, 2026, recorded_by=PRINCIPAL)
            case NextYear():
                if lg.school_year(SCHOOL, 2027).calendar is None:
                    lg.set_calendar(SCHOOL, 2027, terms=TERMS_2027, instructional_days=SCHOOL_DAYS_2027,
                                    recorded_by="admin")
                enrolled = [sid for sid in self.students if lg.student(sid).status == "enrolled"]
                lg.form_class(SCHOOL, 2027, 4, "1", homeroom_teacher_id="T-0003", homeroom_teacher_name="伊藤 三郎",
                              students=[(sid, n) for n, sid in enumerate(enrolled, 1)], on=date(2027, 4, 6),
                              recorded_by="admin")


Snapshot = dict[str, dict[str, str]]
T = TypeVar("T")


def stored(runner: Runner) -> Snapshot:
    return {name: runner.store.documents(name) for name in runner.projections}


def replayed(runner: Runner, keys: dict[str, list[str]], upto: Cutoff | int) -> Snapshot:
    """Every projection's documents replayed as of ``upto``, in their stored form."""
    found = runner.replay_documents(keys, upto)
    return {name: {k: canonical(d) for k, d in sorted(docs.items())} for name, docs in found.items()}


def spread(items: list[T], n: int) -> list[T]:
    """At most n of the items, evenly spaced, the last one always among them."""
    step = max(1, -(-len(items) // n))
    return items[::-1][::step][::-1]


def same_or_refused(read: Callable[..., Form | None], *args: Any, **kwargs: Any) -> str:
    """A form in its stored form, or what refused it."""
    try:
        doc = read(*args, **kwargs)
    except NoSuchTerm:
        return "NoSuchTerm"
    return "None" if doc is None else canonical(doc)


def check_history(ledger: Ledger, runner: Runner, clock: Clock, history: list[Step], batch: int) -> World:
    b.school_with_calendar(ledger)
    world = World(ledger, runner, clock, b.class_with_students(ledger, grade=3, count=3))
    if history[0].sync:
        runner.catch_up(batch=batch)

    snapshots: list[tuple[int, datetime, Snapshot]] = []  # after a synced command: its position, time, docs
    moments: list[tuple[datetime, int]] = []  # a moment between two commands, and the position then
    for step in history:
        world.run(step.command)
        clock.current += timedelta(seconds=step.advance)
        moments.append((clock.current, ledger.position()))
        if step.sync:
            runner.catch_up(batch=batch)
            snapshots.append((ledger.position(), clock.current, stored(runner)))
    runner.catch_up(batch=batch)
    head, now = ledger.position(), clock.current
    incremental = stored(runner)
    assert set(incremental) == {p.name for p in all_projections()}
    keys = {name: list(docs) for name, docs in incremental.items()}

    # Twice: every document replayed from the events alone, then as forms read it by a log position
    # (the documents unchanged since that position taken from the read model, the rest replayed).
    for reuse in (False, True):
        runner.reuse_read_models = reuse
        # Replayed at the head, per key and all together, by position, by time and by effective date.
        for name, docs in incremental.items():
            for key, document in docs.items():
                again = runner.replay(name, key, head)
                assert again is not None, (name, key)
                assert canonical(again) == document, (name, key)
        assert replayed(runner, keys, head) == incremental
        assert replayed(runner, keys, Cutoff(at=now)) == incremental
        assert replayed(runner, keys, Cutoff(on=date(2100, 1, 1))) == incremental

        # In the past: what was stored right after a command == the replay as of its position.
        # (A replay costs a few queries and, per child-year, 365 stream ids: a spread of them is compared.)
        for i, (position, at, documents) in enumerate(spread(snapshots, 6)):
            assert replayed(runner, keys, position) == documents, position
            if i % 2:
                assert replayed(runner, keys, Cutoff(at=at)) == documents, at

        # By recorded time: a moment between two commands == the last position recorded by then.
        notifications = ledger.recorder.select_notifications(start=0, limit=1_000_000, inclusive_of_start=False)
        recorded = [(n.id, ledger.decode(n).recorded_at) for n in notifications]
        assert all(a <= b_ for (_, a), (_, b_) in itertools.pairwise(recorded))  # the clock only moves on
        for moment, position in moments:
            assert max((p for p, t in recorded if t <= moment), default=0) == position
        for moment, position in spread(moments, 3):
            assert replayed(runner, keys, Cutoff(at=moment)) == replayed(runner, keys, position), moment

        # The composed forms: today == as of the head.
        forms, upto = Forms(runner, clock=lambda: now), Cutoff(position=head)  # read at ``now`` (ADR 0024)
        for sid in world.students:
            today = same_or_refused(forms.cumulative_record, sid)
            assert same_or_refused(forms.cumulative_record, sid, as_of=upto) == today, sid
            assert same_or_refused(forms.cumulative_record, sid, as_of=Cutoff(at=now)) == today, sid
            for y in (2026, 2027):
                for term in (1, 2, 3):
                    assert same_or_refused(forms.report_card, sid, y, term) == \
                        same_or_refused(forms.report_card, sid, y, term, as_of=upto), (sid, y, term)
        for y, months in MONTHS.items():
            klass = (SCHOOL, y, *class_of(y))
            for month in months:
                assert same_or_refused(forms.attendance_register, *klass, month) == \
                    same_or_refused(forms.attendance_register, *klass, month, as_of=head), month
            assert canonical(forms.long_absence(SCHOOL, y)) == canonical(forms.long_absence(SCHOOL, y, as_of=upto))

    # Rebuilt from scratch (in one pass, pages of 1000): the same documents, positions and fingerprints.
    positions = {name: runner.store.position(name) for name in runner.projections}
    fingerprints = {name: runner.fingerprint(name) for name in runner.projections}
    for name in runner.projections:
        runner.rebuild(name)
        assert runner.store.documents(name) == incremental[name], name
        assert runner.store.position(name) == positions[name] == head, name
        assert runner.fingerprint(name) == fingerprints[name], name
    # Rebuilt all together in small pages, saved after every page: documents held in memory from page to
    # page, the older ones read back from the store, give the same bytes.
    runner.rebuild(batch=batch, save_every=1)
    for name in runner.projections:
        assert runner.store.documents(name) == incremental[name], name
        assert runner.store.position(name) == head, name
    world.snapshots = len(snapshots)
    return world


def report(world: World) -> None:
    """What the generated histories looked like (shown by --hypothesis-show-statistics)."""
    event(f"commands accepted: {10 * world.accepted // max(1, world.accepted + world.refused) * 10}%")
    event(f"events in the log: {world.ledger.position() // 50 * 50}+")
    event(f"snapshots taken: {world.snapshots // 5 * 5}+")
    event(f"children: {len(world.students)}")
    event(f"commands: {(world.accepted + world.refused) // 10 * 10}+")


PROPERTY = settings(max_examples=25, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@contextmanager
def fresh_ledger(backend: Backend) -> Iterator[tuple[Ledger, Runner, Clock]]:
    apply(backend)
    clock = Clock(datetime(2028, 3, 30, 15, 0, tzinfo=UTC))  # histories reach into school year 2027
    ledger = Ledger.open(backend, clock=clock)
    try:
        yield ledger, runner_for(ledger, backend), clock
    finally:
        ledger.close()


@PROPERTY
@given(history=histories, batch=batches)
def test_incremental_rebuilt_and_replayed_documents_are_the_same_bytes_on_sqlite(
        tmp_path_factory: pytest.TempPathFactory, history: list[Step], batch: int) -> None:
    backend = Backend.from_url(f"sqlite:///{tmp_path_factory.mktemp('history')}/ledger.sqlite3")
    with fresh_ledger(backend) as (ledger, runner, clock):
        report(check_history(ledger, runner, clock, history, batch))


@pytest.mark.postgres
@settings(PROPERTY, max_examples=8)
@given(history=histories, batch=batches)
def test_incremental_rebuilt_and_replayed_documents_are_the_same_bytes_on_postgresql(
        postgres_database: Backend, history: list[Step], batch: int) -> None:
    schema = f"prop_{uuid.uuid4().hex[:12]}"
    backend = Backend.from_url(postgres_database.url.split("?")[0] + f"?schema={schema}")
    try:
        with fresh_ledger(backend) as (ledger, runner, clock):
            report(check_history(ledger, runner, clock, history, batch))
    finally:
        with psycopg.connect(postgres_database.psycopg_conninfo(), autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


# ---------------------------------------------------------------- one long history, by hand


LONG_HISTORY = [
    Step(Roll(0, ({"code": "present"}, {"code": "late"}, {"code": "absent_other"})), 3600, False),
    *[Step(Roll(d, ({"code": "present"}, {"code": "absent_illness"}, {"code": "absent_other"})), 3600, d % 3 == 0)
      for d in range(1, 9)],
    Step(CorrectMark(0, 1, {"code": "suspended", "authority": "infection"}, None), 60, True),
    Step(Admit(4), 60, False),
    Step(Roll(9, ({"code": "deemed_present", "facility": FACILITIES[0]}, {"code": "mourning"},
                  {"code": "online_special"}, {"code": "other_excused"})), 60, True),
    Step(Withdraw(1, 10), 60, False),
    Step(Roll(10, ({"code": "left_early"},)), 60, False),
    Step(ChangeIdentity(0, 0, 3), 60, True),
    Step(ChangeHomeroom(9), 60, False),
    Step(AppointPrincipal(8), 60, False),
    Step(Assess(0, 2026, "japanese", 1, {"knowledge": "A", "thinking": "B", "attitude": "C"}, 2), 60, False),
    Step(Assess(0, 2026, "japanese", None, {"knowledge": "A", "thinking": "A", "attitude": "B"}, 3), 60, True),
    Step(CorrectAssessment(0, 2026, 2, {"knowledge": "B", "thinking": "A", "attitude": "B"}, 2, None), 60, False),
    Step(EnterYearRecord(2, 2026, {"general_remarks": "明るく活発に過ごした。"}), 60, False),
    Step(Seal(), 60, True),
    Step(CorrectYearRecord(2, 2026, 1, {"general_remarks": "読書に親しんだ。"}, None), 60, False),  # refused
    Step(CorrectYearRecord(2, 2026, 1, {"general_remarks": "読書に親しんだ。"}, NEW_PRINCIPAL), 60, True),
    Step(NextYear(), 60, False),
    Step(Roll(12, ({"code": "present"}, {"code": "absent_illness"})), 60, True),
    Step(Assess(2, 2027, "science", 2, {"knowledge": "A", "thinking": "A", "attitude": "A"}, None), 60, False),
]


def test_a_long_history_by_hand_satisfies_the_property(backend: Backend) -> None:
    """Every kind of command accepted at least once, run once per backend in pages of 2."""
    with fresh_ledger(backend) as (ledger, runner, clock):
        world = check_history(ledger, runner, clock, LONG_HISTORY, batch=2)
    assert world.refused == 1
    assert world.accepted == len(LONG_HISTORY) - 1
