"""The dashboards over HTTP (issue 14; ADR 0043): JSON and the Japanese page with inline SVG, the board's
answer naming no child, its drill-down to a school's named list logged, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re

from tests.api.conftest import YEAR, A, Api, B, problem_of
from tests.builders import BOARD


def _absent_roll(api: Api) -> tuple[str, str, int]:
    """A class of A with two children; on 6, 7 and 8 April the first absent (事故), the second present."""
    klass = api.fresh_class(A, grade=3, students=2)
    principal = api.auth("principal")
    position = 0
    for day in ("2026-04-06", "2026-04-07", "2026-04-08"):
        response = api.post("/v1/attendance-rolls", {
            "school_code": A, "year": YEAR, "grade": 3, "class_name": klass.name, "date": day,
            "marks": [{"student_id": klass.students[0], "code": "absent_other", "reason": "登校しぶり"},
                      {"student_id": klass.students[1], "code": "present"}]}, principal)
        assert response.status_code == 201, response.text
        position = response.json()["position"]
    return klass.name, klass.students[0], position


def test_each_level_answers_json_and_a_japanese_page_with_inline_svg_and_nothing_from_elsewhere(api: Api) -> None:
    name, sid, last = _absent_roll(api)
    principal = api.auth("principal")
    paths = {"child": f"/v1/students/{sid}/dashboard",
             "class": f"/v1/schools/{A}/years/{YEAR}/classes/3/{name}/dashboard",
             "school": f"/v1/schools/{A}/years/{YEAR}/dashboard", "board": f"/v1/boards/{BOARD}/years/{YEAR}/dashboard"}
    for level, path in paths.items():
        headers = api.auth("board") if level == "board" else principal
        data = api.get(f"{path}?wait_for={last}", headers)
        assert data.status_code == 200, data.text
        assert data.headers["content-type"].startswith("application/json")
        assert data.json()["level"] == level
        page = api.get(f"{path}?wait_for={last}&format=html", headers)
        assert page.status_code == 200, page.text
        assert page.headers["content-type"].startswith("text/html")
        text = page.text
        assert '<html lang="ja">' in text
        assert 'name="viewport"' in text  # laid out for a tablet's width
        assert "<script" not in text
        assert not re.search(r'(src|href)="(https?:)?//', text)  # no asset from another host
        if level in ("class", "school", "board"):
            assert "<svg" in text
        asked = api.client.get(f"{path}?wait_for={last}", headers={**headers, "Accept": "text/html"})
        assert asked.headers["content-type"].startswith("text/html")  # (alerts may be raised in between)
    problem_of(api.get(f"{paths['class']}?format=pdf", principal), 400)
    klass = api.get(f"{paths['class']}?wait_for={last}", principal).json()
    assert [(s["student_id"], s["days"], s["from"]) for s in klass["streaks"]] == [(sid, 3, "2026-04-06")]


def test_the_boards_answer_and_page_hold_no_childs_name_or_id(api: Api) -> None:
    """Every name and student id the world has (every roster document), searched for in the bytes."""
    _, _, last = _absent_roll(api)
    board = api.auth("board")
    path = f"/v1/boards/{BOARD}/years/{YEAR}/dashboard?wait_for={last}"
    data, page = api.get(path, board), api.get(path + "&format=html", board)
    assert data.status_code == page.status_code == 200
    runner = api.services.forms.runner
    people = {k: v for k, v in runner.store.documents("roster").items() if k.startswith("student/")}
    assert len(people) >= 8
    secrets = {k.removeprefix("student/") for k in people}
    for document in people.values():
        who = json.loads(document)
        secrets |= {who["name"], who["name_kana"], *who["name"].split()}
    for secret in secrets:
        assert secret.encode() not in data.content, secret
        assert secret not in page.text, secret
    schools = {s["school_code"] for s in data.json()["schools"]}
    assert schools == {A, B}  # C is another board's


def test_the_boards_drill_down_to_a_schools_named_list_needs_mfa_and_is_logged(api: Api) -> None:
    _, _, last = _absent_roll(api)
    link = f"/v1/schools/{A}/years/{YEAR}/long-absence?format=html"
    page = api.get(f"/v1/boards/{BOARD}/years/{YEAR}/dashboard?wait_for={last}&format=html", api.auth("board"))
    assert f'href="{link}"' in page.text.replace("&amp;", "&")
    problem_of(api.get(link, api.auth("board", mfa=False)), 401)
    assert api.get(link, api.auth("board")).status_code == 200
    entries = api.services.access.entries(limit=1000)
    reads = [e for e in entries if e.action == "long_absence.read" and e.resource.startswith(f"/v1/schools/{A}/")]
    assert [(e.outcome, e.status) for e in reads][-2:] == [("denied", 401), ("allowed", 200)]
    # a principal sees the board's school but not the board's dashboard; no school's staff does
    problem_of(api.get(f"/v1/boards/{BOARD}/years/{YEAR}/dashboard", api.auth("principal")), 404)


def test_the_child_and_school_dashboards_need_mfa_and_every_read_is_logged(api: Api) -> None:
    _, sid, last = _absent_roll(api)
    for path, action in ((f"/v1/students/{sid}/dashboard", "dashboard.child"),
                         (f"/v1/schools/{A}/years/{YEAR}/dashboard", "dashboard.school")):
        problem_of(api.get(path, api.auth("principal", mfa=False)), 401)
        assert api.get(f"{path}?wait_for={last}", api.auth("principal")).status_code == 200
        logged = [(e.outcome, e.status) for e in api.services.access.entries(limit=1000) if e.action == action]
        assert logged[-2:] == [("denied", 401), ("allowed", 200)]
