"""A board's settings over HTTP (ADR 0028): PUT and GET /v1/boards/{board_code}/settings, on SQLite and
PostgreSQL. The world (tests/api/conftest.py): board 312011 with schools A and B, board 322016 with C;
class 1-1 of each school has its children; the clock stands on 30 March 2027 unless moved."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import pypdf

from tests.api.conftest import OTHER_BOARD, YEAR, A, Api, C, problem_of
from tests.builders import BOARD

PATH = f"/v1/boards/{BOARD}/settings"
EXCUSED = {"settings": {"leave_days": "excused"}, "effective_on": "2026-04-01"}
# the alerts' thresholds at their defaults (ADR 0042): every setting is answered, defaults written out
ALERTS = {"alert_absence_run_days": 3, "alert_notice_run_days": 7, "alert_long_absence_days": 30}


def test_the_board_sets_its_settings_and_reads_them_in_force_with_their_history(api: Api) -> None:
    board = api.auth("board")
    put = api.put(PATH, EXCUSED, board)
    assert put.status_code == 201, put.text
    assert put.json()["events"] == 1
    again = api.put(PATH, EXCUSED, board)  # what already stands: 200, nothing recorded
    assert (again.status_code, again.json()["events"]) == (200, 0)
    got = api.get(PATH, board)
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["on"] == "2027-03-31"  # today in Japan by the world's clock (09:00 JST on 31 March)
    label = {"excused_label": "出席停止・忌引等の日数"}  # every setting is shown, a default too
    assert (body["in_force"], body["in_force_from"], body["defaults"]) == (
        {"leave_days": "excused", **label, **ALERTS}, "2026-04-01", {"leave_days": "excluded", **label, **ALERTS})
    assert [(c["effective_on"], c["settings"], c["recorded_by"]) for c in body["changes"]] == [
        ("2026-04-01", {"leave_days": "excused", **label, **ALERTS}, "E-0001")]
    before = api.get(f"{PATH}?on=2026-03-31", board).json()
    assert (before["in_force"], before["in_force_from"]) == ({"leave_days": "excluded", **label, **ALERTS}, None)
    back = api.put(PATH, {"settings": {}, "effective_on": "2027-04-01"}, board)  # a setting left out: its default
    assert back.status_code == 201, back.text
    later = api.get(f"{PATH}?on=2027-04-01", board).json()
    assert (later["in_force"], later["in_force_from"], len(later["changes"])) == (
        {"leave_days": "excluded", **label, **ALERTS}, "2027-04-01", 2)


def test_a_retry_with_the_same_idempotency_key_records_nothing_twice(api: Api) -> None:
    headers = {**api.auth("board"), "Idempotency-Key": "board-312011-leave-days"}
    first = api.put(PATH, EXCUSED, headers)
    retry = api.put(PATH, EXCUSED, headers)
    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.json() == first.json()
    assert len(api.get(PATH, headers).json()["changes"]) == 1
    other = api.put(PATH, {**EXCUSED, "effective_on": "2026-05-01"}, headers)
    assert problem_of(other, 422)["field"] == "Idempotency-Key"


def test_bad_settings_are_refused_naming_the_field_and_the_rule(api: Api) -> None:
    board = api.auth("board")
    cases: list[tuple[dict[str, Any], int, str, str]] = [
        ({"settings": {"leave_days": "counted"}, "effective_on": "2026-04-01"}, 422, "invalid-board-setting",
         "settings.leave_days"),
        ({"settings": {"leave_days": "excused", "colour": "red"}, "effective_on": "2026-04-01"}, 400,
         "invalid-request", "settings.colour"),
        ({"settings": {"leave_days": "excused"}}, 400, "invalid-request", "effective_on"),
        ({"settings": {"leave_days": "excused"}, "effective_on": "2026-02-30"}, 400, "invalid-request",
         "effective_on"),
        ({"settings": {"leave_days": "excused"}, "effective_on": "2101-04-01"}, 422, "school-year-out-of-range",
         "effective_on"),
        ({"settings": {"excused_label": " \u3000"}, "effective_on": "2026-04-01"}, 422, "blank-text",
         "settings.excused_label"),
        ({"settings": {"excused_label": "出" * 41}, "effective_on": "2026-04-01"}, 422, "text-too-long",
         "settings.excused_label"),
        ({"settings": {"excused_label": "出席停止・\n忌引等の日数"}, "effective_on": "2026-04-01"}, 422,
         "invalid-board-setting", "settings.excused_label"),
        ({"settings": {"excused_label": "出席停止\u200b忌引等"}, "effective_on": "2026-04-01"}, 422,
         "invalid-board-setting", "settings.excused_label"),
        ({"settings": {"excused_label": 7}, "effective_on": "2026-04-01"}, 400, "invalid-request",
         "settings.excused_label"),
        # the alerts' thresholds (ADR 0042): the law's number is the most a board may set
        ({"settings": {"alert_notice_run_days": 8}, "effective_on": "2026-04-01"}, 400, "out-of-range",
         "settings.alert_notice_run_days"),
        ({"settings": {"alert_long_absence_days": 31}, "effective_on": "2026-04-01"}, 400, "out-of-range",
         "settings.alert_long_absence_days"),
        ({"settings": {"alert_absence_run_days": 1}, "effective_on": "2026-04-01"}, 400, "out-of-range",
         "settings.alert_absence_run_days"),
        ({"settings": {"alert_absence_run_days": "3"}, "effective_on": "2026-04-01"}, 400, "invalid-request",
         "settings.alert_absence_run_days"),
    ]
    for body, status, rule, field in cases:
        problem = problem_of(api.put(PATH, body, board), status)
        assert (problem["rule"], problem["field"]) == (rule, field), (body, problem)
    assert api.put(PATH, {**EXCUSED, "effective_on": "2026-10-01"}, board).status_code == 201
    earlier = problem_of(api.put(PATH, {"settings": {}, "effective_on": "2026-09-01"}, board), 422)
    assert (earlier["rule"], earlier["field"]) == ("effective-before-latest-change", "effective_on")
    bad_code = problem_of(api.put("/v1/boards/31201/settings", EXCUSED, api.auth("board", board="31201")), 422)
    assert (bad_code["rule"], bad_code["field"]) == ("invalid-board-code", "board_code")
    assert len(api.get(PATH, board).json()["changes"]) == 1  # every refusal recorded nothing


def test_a_change_on_a_day_a_sealed_year_counted_is_refused(api: Api) -> None:
    """School A seals 2026 (its last school day 24 March 2027): the board may count 休学 days differently
    only from 25 March 2027."""
    assert api.post(f"/v1/schools/{A}/years/{YEAR}/seal", {}, api.auth("principal")).status_code == 201
    board = api.auth("board")
    sealed = problem_of(api.put(PATH, EXCUSED, board), 422)
    assert (sealed["rule"], sealed["field"]) == ("year-is-sealed", "effective_on")
    assert api.put(PATH, {**EXCUSED, "effective_on": "2027-03-25"}, board).status_code == 201


def test_only_the_board_sets_them_and_its_principals_and_auditors_read_them(api: Api) -> None:
    """The board of another jurisdiction and a teacher see no such record (404, the same answer as a board
    nobody has); a principal of the board's school sees it, reads it, may not set it (403); a principal of
    another board's school sees nothing."""
    other_board = api.auth("board", board=OTHER_BOARD)
    nowhere = problem_of(api.put("/v1/boards/471234/settings", EXCUSED, other_board), 404)
    for headers in (other_board, api.auth("homeroom_teacher"), api.auth("operator", None)):
        for method in ("PUT", "GET"):
            answer = problem_of(api.call(method, PATH, headers, EXCUSED if method == "PUT" else None), 404)
            assert {k: v for k, v in answer.items() if k != "instance"} == \
                {k: v for k, v in nowhere.items() if k != "instance"}
    principal = api.auth("principal")
    assert problem_of(api.put(PATH, EXCUSED, principal), 403)["rule"] == "forbidden"
    assert api.get(PATH, principal).status_code == 200
    assert problem_of(api.get(PATH, api.auth("principal", C, staff="P-0003")), 404)["rule"] == "not-found"
    assert api.get(PATH, api.auth("auditor", None)).status_code == 200
    assert api.get(f"/v1/boards/{OTHER_BOARD}/settings", other_board).status_code == 200
    assert api.get(PATH, api.auth("board")).json()["changes"] == []  # nothing recorded by any refusal


def test_the_register_counts_leave_days_by_the_setting_put(api: Api) -> None:
    """A child of a fresh class 1 of school A on 休学 from Monday 13 April, back Monday 20 April: 13–17 April,
    5 school days; rolls of 6–10 and 20 April; read on 31 March 2027 (the world's clock), when all 214
    school days of the year have come (the weekdays of the three terms). By default: 214 − 5 = 209 on the
    roll, present 6, 未記入 203. Excused from 1 April: 授業日数 214, excused 5, required 209, present 6,
    未記入 203 (domain-japan.md §2.4; ADR 0028)."""
    klass, sid = api.fresh_student(A)
    api.ledger.begin_leave(sid, on=date(2026, 4, 13), reason="病気療養", recorded_by="R-0001")
    api.ledger.end_leave(sid, on=date(2026, 4, 20), recorded_by="R-0001")
    for day in (*(date(2026, 4, d) for d in (6, 7, 8, 9, 10)), date(2026, 4, 20)):
        api.roll(klass, day)
    principal = api.auth("principal")
    url = f"/v1/schools/{A}/years/{YEAR}/classes/1/{klass.name}/attendance-register?month=2026-04"

    def year_of_child(position: int) -> tuple[int, ...]:
        doc = api.get(f"{url}&wait_for={position}", principal).json()
        (row,) = [s for s in doc["students"] if s["student_id"] == sid]
        f = row["year"]
        return f["school_days"], f["excused"], f["required"], f["present"], f["unrecorded"], f["on_leave"]

    assert year_of_child(api.ledger.position()) == (209, 0, 209, 6, 203, 0)
    put = api.put(PATH, EXCUSED, api.auth("board"))
    assert year_of_child(put.json()["position"]) == (214, 5, 209, 6, 203, 5)


def test_the_label_a_board_puts_names_the_excused_column_of_its_schools_forms_and_no_other_boards(api: Api) -> None:
    """The 2021 事務連絡 lets a board rename the 出席停止・忌引等 column (domain-japan.md §2.4; ADR 0038): the
    出席簿 and the 指導要録 of school A (board 312011) show the new name in JSON, HTML and PDF from the change,
    and as of a position before it the old one, byte for byte; school C (board 322016) keeps the notice's."""
    renamed = "出席停止・忌引き等の日数"
    klass, sid = api.fresh_student(A)
    api.roll(klass, date(2026, 6, 1))
    principal = api.auth("principal")
    register = f"/v1/schools/{A}/years/{YEAR}/classes/1/{klass.name}/attendance-register?month=2026-06"
    record = f"/v1/students/{sid}/forms/cumulative-record"
    at = api.ledger.position()
    then = {(url, kind): api.get(f"{url}{'&' if '?' in url else '?'}wait_for={at}&format={kind}", principal).content
            for url in (register, record) for kind in ("json", "pdf")}
    put = api.put(PATH, {"settings": {"excused_label": renamed}, "effective_on": "2026-04-01"}, api.auth("board"))
    assert put.status_code == 201, put.text
    now = put.json()["position"]
    for url in (register, record):
        joined = "&" if "?" in url else "?"
        assert api.get(f"{url}{joined}wait_for={now}", principal).json()["labels"]["excused"] == renamed
        assert renamed in api.get(f"{url}{joined}format=html", principal).text
        pdf = api.get(f"{url}{joined}format=pdf", principal)
        assert pdf.headers["content-type"] == "application/pdf"
        text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf.content)).pages)
        assert renamed in text.replace(" ", "").replace("\n", "")
        for kind in ("json", "pdf"):  # as it was before the change, byte for byte
            assert api.get(f"{url}{joined}as_of={at}&format={kind}", principal).content == then[url, kind]
    other = api.get(f"/v1/schools/{C}/years/{YEAR}/classes/1/1/attendance-register?month=2026-06",
                    api.auth("principal", C, staff="P-0003"))
    assert other.status_code == 200, other.text
    assert other.json()["labels"]["excused"] == "出席停止・忌引等の日数"
