"""A past form is the same bytes as it was (issue 10 §2): a form served at a log position P, read
later with ``as_of=P`` or ``as_of=<a time between P and the next write>``, is byte-identical, as
JSON and as the printable HTML page, whether its documents come from today's read model, from a
replay of the events, or some of each (Runner.reuse_read_models on and off).

The forms: of a student the 指導要録, the report card, the health card and the dental card; of a
class the roster and the attendance register; of a school the long-absence list. (The summary
``GET /v1/students/{id}`` is the register as it stands and takes no ``as_of``.)
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from api.schemas import EXAMPLES, DentalExamIn, HealthExamIn, IdentityChangeIn, YearRecordIn
from tests.api.conftest import YEAR, A, Api, B, Klass
from tests.builders import identity
from tests.conftest import Clock

PRINCIPAL = "principal"
MEDIA = {"json": "application/json", "html": "text/html"}


def form_paths(klass: Klass, students: list[str]) -> list[str]:
    """Every form of the class, its students and its school that takes ``as_of``."""
    base = f"/v1/schools/{klass.school}/years/{YEAR}/classes/{klass.grade}/{klass.name}"
    paths = [f"{base}/roster", f"{base}/attendance-register?month={YEAR}-04",
             f"/v1/schools/{klass.school}/years/{YEAR}/long-absence"]
    for sid in students:
        paths += [f"/v1/students/{sid}/forms/cumulative-record",
                  f"/v1/students/{sid}/forms/report-card?year={YEAR}&term=1",
                  f"/v1/students/{sid}/forms/report-card?year={YEAR}&term=3",
                  f"/v1/students/{sid}/forms/health-card", f"/v1/students/{sid}/forms/dental-card"]
    return paths


def read_forms(api: Api, paths: list[str], query: str) -> dict[tuple[str, str], bytes]:
    """Each form's bytes, as JSON and as HTML, with ``query`` (e.g. ``wait_for=9`` or ``as_of=9``) added."""
    out = {}
    for path in paths:
        for kind, media in MEDIA.items():
            joined = f"{path}{'&' if '?' in path else '?'}{query}"
            response = api.get(joined, {**api.auth(PRINCIPAL), "Accept": media})
            assert response.status_code == 200, (joined, response.text)
            assert response.headers["content-type"].startswith(media), (joined, response.headers)
            out[(path, kind)] = response.content
    return out


def recorded_at(api: Api, position: int) -> str:
    """The time the event at ``position`` was recorded (ISO 8601)."""
    [notification] = api.ledger.recorder.select_notifications(start=position, limit=1, inclusive_of_start=True)
    assert notification.id == position
    return api.ledger.decode(notification).recorded_at.isoformat()


@contextmanager
def reuse(api: Api, on: bool) -> Iterator[None]:
    """Past forms by position from the read model where it holds them unchanged (on), or replayed (off)."""
    runner = api.services.forms.runner
    before, runner.reuse_read_models = runner.reuse_read_models, on
    try:
        yield
    finally:
        runner.reuse_read_models = before


def differing(then: dict[tuple[str, str], bytes], now: dict[tuple[str, str], bytes]) -> list[tuple[str, str]]:
    return [key for key in then if then[key] != now[key]]


AFTER_THE_YEAR = datetime(2027, 3, 31, tzinfo=UTC)


def after_the_school_year(api: Api) -> None:
    """Every day the writes below are about is a past day: the ledger's clock stands after the school year."""
    clock = api.ledger.clock
    if isinstance(clock, Clock) and clock.current < AFTER_THE_YEAR:
        clock.current = AFTER_THE_YEAR


def post(api: Api, path: str, body: dict[str, Any]) -> int:
    response = api.post(path, body, api.auth(PRINCIPAL))
    assert response.status_code == 201, (path, response.text)
    return int(response.json()["position"])


def a_year_of_one_class(api: Api) -> tuple[Klass, list[str], int]:
    """A class of two children with every kind of record a form prints, corrections included;
    returns the class, its children and the position of the last write."""
    after_the_school_year(api)
    klass = api.fresh_class(A, students=2)
    first, second = klass.students
    day = date(2026, 4, 7)
    post(api, "/v1/attendance-rolls", {
        "school_code": A, "year": YEAR, "grade": 1, "class_name": klass.name, "date": day.isoformat(),
        "marks": [{"student_id": first, "code": "late", "reason": "通院"},
                  {"student_id": second, "code": "suspended", "authority": "infection", "reason": "インフルエンザ"}]})
    post(api, f"/v1/students/{first}/attendance-corrections",
         {"date": day.isoformat(), "mark": {"code": "absent_illness", "reason": "発熱"}, "reason": "連絡の遅れ"})
    for sid in klass.students:
        post(api, f"/v1/students/{sid}/assessments", {"year": YEAR, "subject": "japanese", "term": 1,
                                                      "assessed_on": "2026-07-17",
                                                      "viewpoints": {"knowledge": "A", "thinking": "B",
                                                                     "attitude": "C"}})
        post(api, f"/v1/students/{sid}/health-exams", EXAMPLES[HealthExamIn])
        post(api, f"/v1/students/{sid}/dental-exams", EXAMPLES[DentalExamIn])
        post(api, f"/v1/students/{sid}/year-records", EXAMPLES[YearRecordIn])
    post(api, f"/v1/students/{first}/corrections", {
        "record": "assessment", "year": YEAR, "corrects_version": 1, "reason": "転記誤り",
        "value": {"viewpoints": {"knowledge": "B", "thinking": "A", "attitude": "A"}}})
    post(api, f"/v1/students/{first}/corrections", {
        "record": "dental-exam", "year": YEAR, "corrects_version": 2, "reason": "歯式の記入漏れ",
        "value": {"jaw": 0, "bite": 1, "plaque": 0, "gums": 0, "teeth": {"UR6": "C", "LLA": "/", "ULE": "○"}}})
    changed = {**EXAMPLES[IdentityChangeIn], "identity": {
        **EXAMPLES[IdentityChangeIn]["identity"], "guardian": {"name": "佐藤 花", "name_kana": "さとう はな",
                                                               "relation": "母", "address": "鳥取県米子市"}}}
    last = post(api, f"/v1/students/{second}/identity-changes", changed)
    return klass, list(klass.students), last


def test_every_form_read_as_of_its_position_or_its_time_is_the_bytes_served_then(world: Api) -> None:
    api = world
    klass, students, last = a_year_of_one_class(api)
    paths = form_paths(klass, students)
    served = read_forms(api, paths, f"wait_for={last}")
    moment = recorded_at(api, last)
    api.roll(api.fresh_class(A), date(2026, 4, 8))  # the log goes on: the read models move past P

    for on in (True, False):
        with reuse(api, on):
            assert (d := differing(served, read_forms(api, paths, f"as_of={last}"))) == [], (last, on, d)
    by_time = read_forms(api, paths, f"as_of={moment.replace('+', '%2B')}")
    assert differing(served, by_time) == [], f"as_of={moment}"


def test_a_form_read_as_of_a_time_between_writes_is_the_bytes_served_then(world: Api) -> None:
    api = world
    klass, students, last = a_year_of_one_class(api)
    paths = form_paths(klass, students)[3:8]  # one child's forms
    served = read_forms(api, paths, f"wait_for={last}")
    between = (datetime.fromisoformat(recorded_at(api, last)) + timedelta(microseconds=500)).isoformat()
    api.roll(api.fresh_class(A), date(2026, 4, 8))
    assert differing(served, read_forms(api, paths, f"as_of={between.replace('+', '%2B')}")) == []


# ---------------------------------------------------------------- the property, over random writes


@dataclass(frozen=True)
class Write:
    """One write of a generated sequence, through the API as the principal of school A."""

    kind: str
    student: int = 0  # which child of the class (modulo how many it has)
    variant: int = 0  # which day, value or version


DAYS = [date(2026, 4, d) for d in (7, 8, 9, 10, 13)]
MARKS = [{"code": "present"}, {"code": "late", "reason": "通院"}, {"code": "absent_illness", "reason": "発熱"},
         {"code": "absent_other"}, {"code": "left_early", "reason": "通院"},
         {"code": "suspended", "authority": "infection", "reason": "インフルエンザ"},
         {"code": "deemed_present", "facility": "鳥取市教育支援センター"}, {"code": "mourning"}]
LETTERS = "ABC"
TEETH = [{"UR6": "/", "LLA": "C", "ULA": "/"}, {"UR6": "C", "LLA": "/", "ULE": "○", "LR6": "△"},
         {"LL1": "CO", "URA": "×", "UR6": "○"}]
GUARDIANS = [{"name": "佐藤 花", "name_kana": "さとう はな", "relation": "母", "address": "鳥取県米子市"},
             {"name": "佐藤 健", "name_kana": "さとう けん", "relation": "父", "address": "鳥取県倉吉市"}]
writes = st.lists(st.builds(
    Write,
    st.sampled_from(["admit", "roll", "roll", "roll", "correct_mark", "assess", "assess", "correct_assessment",
                     "year_record", "correct_year_record", "health", "dental", "correct_dental", "identity",
                     "hand_over"]),
    st.integers(0, 3), st.integers(0, 7)), min_size=2, max_size=5)


def viewpoints(n: int) -> dict[str, str]:
    return {"knowledge": LETTERS[n % 3], "thinking": LETTERS[(n + 1) % 3], "attitude": LETTERS[n // 3 % 3]}


def next_number(api: Api, school: str) -> int:
    """The next free 出席番号 of the school's class 1-1."""
    found = api.ledger.find_class(school, YEAR, 1, "1")
    return 1 + max((p.number for ps in found.placements.values() for p in ps), default=0) if found else 1


def attempt(api: Api, klass: Klass, students: list[str], w: Write) -> int | None:
    """Make the write; its log position, or None when the ledger refused it (a 4xx, nothing recorded)."""
    sid, n = students[w.student % len(students)], w.variant
    day = DAYS[n % len(DAYS)].isoformat()
    path, body = f"/v1/students/{sid}", {}
    match w.kind:
        case "admit":
            path, body = "/v1/students", {
                "school_code": A, "year": YEAR, "grade": 1, "class_name": klass.name, "number": 10 + len(students),
                "identity": identity(len(students) + 1), "admitted_on": "2026-04-06", "admission_kind": "entrance",
                "different_child": True}
        case "roll":
            found = api.ledger.find_class(A, YEAR, 1, klass.name)
            members = sorted(found.members_on(DAYS[n % len(DAYS)]).items(), key=lambda m: m[1]) if found else []
            path, body = "/v1/attendance-rolls", {
                "school_code": A, "year": YEAR, "grade": 1, "class_name": klass.name, "date": day,
                "marks": [{"student_id": str(s), **MARKS[(n + i) % len(MARKS)]} for i, (s, _) in enumerate(members)]}
        case "correct_mark":
            path, body = f"{path}/attendance-corrections", {"date": day, "mark": MARKS[(n + 3) % len(MARKS)],
                                                            "reason": "記入誤りの訂正"}
        case "assess":
            path, body = f"{path}/assessments", {
                "year": YEAR, "subject": ("japanese", "arithmetic")[n % 2], "term": (1, None)[n // 2 % 2],
                "assessed_on": "2026-07-17" if n // 2 % 2 == 0 else "2027-03-15", "viewpoints": viewpoints(n)}
        case "correct_assessment":
            path, body = f"{path}/corrections", {"record": "assessment", "year": YEAR, "corrects_version": 1 + n % 3,
                                                 "reason": "転記誤り", "value": {"viewpoints": viewpoints(n + 1)}}
        case "year_record":
            path, body = f"{path}/year-records", EXAMPLES[YearRecordIn]
        case "correct_year_record":
            record = {**EXAMPLES[YearRecordIn]["record"], "general_remarks": f"書き直した所見{n}。"}
            path, body = f"{path}/corrections", {"record": "year-record", "year": YEAR, "corrects_version": 1,
                                                 "reason": "所見の書き直し", "value": record}
        case "health":
            path, body = f"{path}/health-exams", EXAMPLES[HealthExamIn]
        case "dental":
            exam = {**EXAMPLES[DentalExamIn]["examination"], "teeth": TEETH[n % len(TEETH)]}
            path, body = f"{path}/dental-exams", {**EXAMPLES[DentalExamIn], "examination": exam}
        case "correct_dental":
            path, body = f"{path}/corrections", {
                "record": "dental-exam", "year": YEAR, "corrects_version": 1 + n % 2, "reason": "歯式の記入漏れ",
                "value": {"jaw": 0, "bite": n % 2, "plaque": 1, "gums": 0, "teeth": TEETH[(n + 1) % len(TEETH)]}}
        case "identity":
            who = {**EXAMPLES[IdentityChangeIn]["identity"], "guardian": GUARDIANS[n % 2]}
            path, body = f"{path}/identity-changes", {**EXAMPLES[IdentityChangeIn], "identity": who}
        case "hand_over":  # 転学 to school B at the end of April (the April rolls stay A's)
            path, body = f"{path}/handovers", {
                "kind": "transfer", "to_school": B, "left_on": "2026-04-28", "accepted_on": "2026-05-01",
                "year": YEAR, "grade": 1, "class_name": "1", "number": next_number(api, B),
                "reason": "保護者の転勤に伴う転居"}
    response = api.post(path, body, api.auth(PRINCIPAL))
    assert response.status_code < 500, (w, response.text)
    if response.status_code != 201:
        return None
    if w.kind == "admit":
        students.append(response.json()["stream_id"])
    return int(response.json()["position"])


def class_and_student_forms(klass: Klass, students: list[str]) -> list[str]:
    """The roster and the month's register of the class; each child's 指導要録, first-term report
    card, health card and dental card."""
    base = f"/v1/schools/{A}/years/{YEAR}/classes/1/{klass.name}"
    return [f"{base}/roster", f"{base}/attendance-register?month={YEAR}-04",
            *(f"/v1/students/{sid}/forms/{form}" for sid in students
              for form in ("cumulative-record", f"report-card?year={YEAR}&term=1", "health-card", "dental-card"))]


def answers(api: Api, paths: list[str], query: str) -> dict[tuple[str, str], tuple[int, bytes]]:
    """Each form's status and, when answered, its bytes, as JSON and as HTML."""
    out, auth = {}, api.auth(PRINCIPAL)
    for path in paths:
        for kind, media in MEDIA.items():
            joined = f"{path}{'&' if '?' in path else '?'}{query}"
            response = api.get(joined, {**auth, "Accept": media})
            assert response.status_code < 500, (joined, response.text)
            out[(path, kind)] = (response.status_code, response.content if response.status_code == 200 else b"")
    return out


PROPERTY = settings(max_examples=3, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def check_sequence(api: Api, sequence: list[Write], reuse_read_models: bool, children: int = 2) -> list[str]:
    """After each write every form is read and kept with the write's position and a moment before the
    next write; afterwards each is read again as of that position and as of that moment. Returns the
    kinds of the writes the ledger accepted."""
    after_the_school_year(api)
    klass = api.fresh_class(A, students=children)
    students = list(klass.students)
    moments: list[tuple[int, str, dict[tuple[str, str], tuple[int, bytes]]]] = []
    accepted = []
    for w in sequence:
        position = attempt(api, klass, students, w)
        if position is None:
            continue
        accepted.append(w.kind)
        paths = class_and_student_forms(klass, students)
        # A moment after this write and before the next (the clock moves a second per reading).
        between = (datetime.fromisoformat(recorded_at(api, position)) + timedelta(milliseconds=500)).isoformat()
        moments.append((position, between, answers(api, paths, f"wait_for={position}")))

    with reuse(api, reuse_read_models):
        for position, between, served in moments:
            paths = list(dict.fromkeys(path for path, _ in served))
            by_position = answers(api, paths, f"as_of={position}")
            assert [k for k in served if by_position[k] != served[k]] == [], (position, reuse_read_models)
            by_time = answers(api, paths, f"as_of={between.replace('+', '%2B')}")
            assert [k for k in served if by_time[k] != served[k]] == [], between
    return accepted


def report(accepted: list[str]) -> None:
    """What the generated sequences did (shown by --hypothesis-show-statistics)."""
    event(f"writes recorded: {len(accepted)}")
    for kind in accepted:
        event(f"accepted: {kind}")


@PROPERTY
@given(sequence=writes, reuse_read_models=st.booleans())
def test_every_form_read_after_any_write_is_the_same_bytes_read_later_as_of_its_position_or_time_on_sqlite(
        sqlite_world: Api, sequence: list[Write], reuse_read_models: bool) -> None:
    report(check_sequence(sqlite_world, sequence, reuse_read_models))


@pytest.mark.postgres
@settings(PROPERTY, max_examples=2)
@given(sequence=writes, reuse_read_models=st.booleans())
def test_every_form_read_after_any_write_is_the_same_bytes_read_later_as_of_its_position_or_time_on_postgresql(
        postgres_world: Api, sequence: list[Write], reuse_read_models: bool) -> None:
    report(check_sequence(postgres_world, sequence, reuse_read_models))


EVERY_KIND = [Write("roll", 0, 0), Write("assess", 0, 0), Write("dental", 0, 0), Write("health", 0, 0),
              Write("correct_mark", 0, 0), Write("admit"), Write("roll", 1, 1), Write("correct_assessment", 0, 0),
              Write("year_record", 1), Write("correct_year_record", 1, 2), Write("correct_dental", 0, 0),
              Write("identity", 1, 0), Write("hand_over", 0, 1)]


def test_a_sequence_of_every_kind_of_write_satisfies_the_property(world: Api) -> None:
    """Each kind of write once (every document replayed: the path that built other member orders)."""
    assert check_sequence(world, EVERY_KIND, False, children=1) == [w.kind for w in EVERY_KIND]
