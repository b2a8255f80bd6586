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
from datetime import date, datetime, timedelta
from typing import Any

from api.schemas import EXAMPLES, DentalExamIn, HealthExamIn, IdentityChangeIn, YearRecordIn
from tests.api.conftest import YEAR, A, Api, Klass

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


def post(api: Api, path: str, body: dict[str, Any]) -> int:
    response = api.post(path, body, api.auth(PRINCIPAL))
    assert response.status_code == 201, (path, response.text)
    return int(response.json()["position"])


def a_year_of_one_class(api: Api) -> tuple[Klass, list[str], int]:
    """A class of two children with every kind of record a form prints, corrections included;
    returns the class, its children and the position of the last write."""
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
