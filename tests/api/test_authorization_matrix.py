"""Who may do what to which record (PRODUCT.md §3.5, api/policy.py): every role × every route × scope.

Scopes. Every token is anchored at school A of board 312011. "own" targets something in the
caller's duty: school A, or for teachers a class of theirs (listed in the token, and for a
homeroom teacher also the class the ledger names them homeroom teacher of); for a board, a school
of its board. "other" targets the nearest thing outside it: for teachers another class of school
A; for the nurse, registrar and principal school B (same board); for a board (and the auditor and
operator) school C of another board.

A board's settings (ADR 0028) are the board's own record: "own" is the board of school A, "other"
the board of the scene's school (for the nurse, registrar and principal school B's board, the same
one: the staff of its schools see it; its principals read it).

Outcomes. Allowed is 2xx with a valid body. Visible but not allowed is 403. Out of sight is 404,
with the same problem body (apart from ``instance``) as for a record that does not exist. Each
cell builds the objects it touches (a class, a student, a year) through the Ledger, so the cells
are independent and run in any order over one world per module.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import jwt
import msgspec
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from api.devkeys import AUDIENCE, DEV_ISSUER, DevKey
from domain.signing import canonical
from domain.storage.merkle_log import StoredCheckpoint
from domain.student import Identity
from domain.transfer_packet import FORMAT, PacketSchool, TransferPacket
from domain.transparency.note import COSIGNATURE_V1, NoteSigner, cosign
from tests.api.conftest import (
    DENTAL,
    HEALTH,
    MISSING_SCHOOL,
    OTHER_BOARD,
    ROLES,
    STAFF,
    VIEWPOINTS,
    A,
    Api,
    B,
    C,
    calendar_body,
    key_of,
    problem_of,
)
from tests.api.transparency_log import ledger_signer, publish
from tests.builders import BOARD, YEAR, identity

# The expected answer of every cell: "own/other" per role; one value for the ledger-wide feeds.
TABLE = """
route                  homeroom_teacher subject_teacher nurse   registrar principal board   auditor operator
put-school             404/404          404/404         403/404 403/404   403/404   201/404 403/403 404/404
put-principal          404/404          404/404         403/404 403/404   403/404   201/404 403/403 404/404
put-calendar           404/404          404/404         403/404 403/404   201/404   403/404 403/403 404/404
put-class              403/404          403/404         403/404 201/404   201/404   403/404 403/403 404/404
admit                  403/404          403/404         403/404 201/404   201/404   403/404 403/403 404/404
get-student            200/404          200/404         200/404 200/404   200/404   200/404 200/200 404/404
identity-change        403/404          403/404         403/404 201/404   201/404   403/404 403/403 404/404
leave                  403/404          403/404         403/404 201/404   201/404   403/404 403/403 404/404
return                 403/404          403/404         403/404 201/404   201/404   403/404 403/403 404/404
withdrawal             403/404          403/404         403/404 201/404   201/404   403/404 403/403 404/404
graduation             403/404          403/404         403/404 201/404   201/404   403/404 403/403 404/404
attendance-roll        201/404          403/404         403/404 403/404   201/404   403/404 403/403 404/404
attendance-correction  201/404          403/404         403/404 403/404   201/404   403/404 403/403 404/404
assessment             403/404          201/404         403/404 403/404   201/404   403/404 403/403 404/404
year-record            201/404          403/404         403/404 403/404   201/404   403/404 403/403 404/404
health-exam            403/404          403/404         201/404 403/404   201/404   403/404 403/403 404/404
dental-exam            403/404          403/404         201/404 403/404   201/404   403/404 403/403 404/404
correct-assessment     403/404          201/404         403/404 403/404   201/404   403/404 403/403 404/404
correct-year-record    201/404          403/404         403/404 403/404   201/404   403/404 403/403 404/404
correct-health-exam    403/404          403/404         201/404 403/404   201/404   403/404 403/403 404/404
correct-dental-exam    403/404          403/404         201/404 403/404   201/404   403/404 403/403 404/404
seal                   404/404          404/404         403/404 403/404   201/404   403/404 403/403 404/404
history                403/404          403/404         403/404 403/404   200/404   403/404 200/200 404/404
log                    404              404             404     404       404       404     200     404
access-log             404              404             404     404       404       404     200     404
roster                 200/404          200/404         200/404 200/404   200/404   200/404 200/200 404/404
attendance-register    200/404          403/404         200/404 403/404   200/404   403/404 200/200 404/404
cumulative-record      200/404          403/404         403/404 403/404   200/404   403/404 200/200 404/404
report-card            200/404          403/404         403/404 403/404   200/404   403/404 403/403 404/404
health-card            403/404          403/404         200/404 403/404   200/404   403/404 200/200 404/404
dental-card            403/404          403/404         200/404 403/404   200/404   403/404 200/200 404/404
long-absence           404/404          404/404         403/404 403/404   200/404   200/404 200/200 404/404
handover               403/404          403/404         403/404 201/404   201/404   403/404 403/403 404/404
advancements           404/404          404/404         403/404 403/404   403/404   200/404 403/403 404/404
transfer-packet        403/404          403/404         403/404 200/404   200/404   403/404 403/403 404/404
import-packet          404/404          404/404         403/404 201/404   201/404   403/404 403/403 404/404
checkpoint             404              404             404     404       404       200     200     404
checkpoints            404              404             404     404       404       200     200     404
inclusion              404              404             404     404       404       200     200     404
consistency            404              404             404     404       404       200     200     404
cosignature            404              404             404     404       404       201     403     404
student-proof          403/404          403/404         403/404 403/404   403/404   403/404 200/200 404/404
put-board-settings     404/404          404/404         403/403 403/403   403/403   201/404 403/403 404/404
get-board-settings     404/404          404/404         403/403 403/403   200/200   200/404 200/200 404/404
alerts                 404/404          404/404         200/404 403/404   200/404   200/404 200/200 404/404
alerts-of-class        200/404          403/404         200/404 403/404   200/404   200/404 200/200 404/404
acknowledge-alert      201/404          403/404         403/404 403/404   201/404   403/404 403/403 404/404
"""


def _parse(table: str) -> dict[tuple[str, str, str], int]:
    lines = [line.split() for line in table.strip().splitlines()]
    header, rows = lines[0][1:], lines[1:]
    assert tuple(header) == ROLES
    out = {}
    for route, *cells in rows:
        assert len(cells) == len(ROLES), route
        for role, cell in zip(ROLES, cells, strict=True):
            if "/" in cell:
                own, other = cell.split("/")
                out[(route, role, "own")], out[(route, role, "other")] = int(own), int(other)
            else:
                out[(route, role, "-")] = int(cell)
    return out


EXPECTED = _parse(TABLE)
TEACHERS = ("homeroom_teacher", "subject_teacher")
SUBJECT = "japanese"


@dataclass
class Call:
    method: str
    path: str
    body: Any = None
    class_key: str | None = None  # the class the call touches (a teacher's token lists it for "own")
    missing: list[Call] = field(default_factory=list)  # the same call naming records that do not exist


@dataclass(frozen=True)
class Scene:
    school: str  # where the cell's objects are made
    homeroom: str  # homeroom teacher of the cell's fresh class


def scene_of(role: str, scope: str) -> Scene:
    if scope == "own":
        return Scene(A, STAFF["homeroom_teacher"] if role == "homeroom_teacher" else "T-0009")
    if role in TEACHERS:
        return Scene(A, "T-0009")  # another class of the same school
    if role in ("board", "auditor", "operator"):
        return Scene(C, "T-0009")  # a school of another board
    return Scene(B, "T-0009")  # another school of the same board


def board_of(school: str) -> str:
    return OTHER_BOARD if school == C else BOARD


# ---------------------------------------------------------------- each route: objects, then the call

def _on_student(method: str, suffix: str, body: Any = None, *, grade: int = 1,
                prepare: Callable[[Api, str], None] | None = None) -> Callable[[Api, Scene], Call]:
    def stage(api: Api, scene: Scene) -> Call:
        klass = api.fresh_class(scene.school, grade=grade, homeroom=scene.homeroom)
        sid = klass.students[0]
        if prepare:
            prepare(api, sid)
        missing = Call(method, f"/v1/students/{uuid.uuid4()}{suffix}", body)
        return Call(method, f"/v1/students/{sid}{suffix}", body, klass.key, [missing])
    return stage


def _on_school(method: str, suffix: Callable[[Api, str], str], body: Callable[[str, int], Any]) -> Callable[
        [Api, Scene], Call]:
    def stage(api: Api, scene: Scene) -> Call:
        n = int(api.fresh_name()[1:])
        missing = Call(method, f"/v1/schools/{MISSING_SCHOOL}{suffix(api, MISSING_SCHOOL)}", body(MISSING_SCHOOL, n))
        return Call(method, f"/v1/schools/{scene.school}{suffix(api, scene.school)}", body(scene.school, n),
                    None, [missing])
    return stage


def _school_body(code: str, n: int) -> dict[str, Any]:
    # A missing school is named with a board nobody in the matrix works for, so it stays missing.
    board = OTHER_BOARD if code == MISSING_SCHOOL else board_of(code)
    return {"name": f"鳥取市立第{n}小学校", "board_code": board, "address": "鳥取県鳥取市"}


def _principal_body(code: str, n: int) -> dict[str, Any]:
    principal = {A: "P-0001", B: "P-0002", C: "P-0003"}.get(code, "P-0009")
    # Appointed again on a day of its own: the same appointment again would record nothing (200).
    on = date(2026, 5, 1) + timedelta(n % 300)
    return {"staff_id": principal, "name": "田中 一郎", "appointed_on": on.isoformat()}


def _seal_of_a_fresh_year(api: Api, code: str) -> str:
    """A year no other cell uses, with its calendar (a school that does not exist gets none)."""
    return f"/years/{api.fresh_year(code, calendar=code != MISSING_SCHOOL)}/seal"


def _board_settings(method: str) -> Callable[[Api, Scene], Call]:
    def stage(api: Api, scene: Scene) -> Call:
        # 2099: after every year the cells seal (a change of how days count takes effect after them)
        body = {"settings": {"leave_days": "excused"}, "effective_on": "2099-04-01"} if method == "PUT" else None
        missing = Call(method, "/v1/boards/471234/settings", body)  # a board no school of the ledger has
        return Call(method, f"/v1/boards/{board_of(scene.school)}/settings", body, None, [missing])
    return stage


def _put_calendar(api: Api, scene: Scene) -> Call:
    year = api.fresh_year(scene.school, calendar=False)
    path = f"/v1/schools/{{}}/years/{year}/calendar"
    missing = Call("PUT", path.format(MISSING_SCHOOL), calendar_body(year))
    return Call("PUT", path.format(scene.school), calendar_body(year), None, [missing])


def _put_class(api: Api, scene: Scene) -> Call:
    klass = api.fresh_class(scene.school, formed=False)
    body = {"homeroom_teacher_id": scene.homeroom, "homeroom_teacher_name": "山田 花子", "formed_on": "2026-04-06"}
    path = "/v1/schools/{}/years/2026/classes/1/{}"
    return Call("PUT", path.format(scene.school, klass.name), body, klass.key, [
        Call("PUT", path.format(scene.school, api.fresh_name()), body),
        Call("PUT", path.format(MISSING_SCHOOL, klass.name), body),
    ])


def _class_body(school: str, name: str, **more: Any) -> dict[str, Any]:
    return {"school_code": school, "year": YEAR, "grade": 1, "class_name": name, **more}


def _admit(api: Api, scene: Scene) -> Call:
    klass = api.fresh_class(scene.school, homeroom=scene.homeroom, students=0)
    child = identity(1, given_name=f"陽翔{api.fresh_name()}")  # a child of their own (no possible duplicate)
    more = {"number": 1, "identity": child, "admitted_on": "2026-04-06", "admission_kind": "entrance"}
    return Call("POST", "/v1/students", _class_body(scene.school, klass.name, **more), klass.key, [
        Call("POST", "/v1/students", _class_body(scene.school, api.fresh_name(), **more)),
        Call("POST", "/v1/students", _class_body(MISSING_SCHOOL, klass.name, **more)),
    ])


def _roll(api: Api, scene: Scene) -> Call:
    klass = api.fresh_class(scene.school, homeroom=scene.homeroom)
    marks = {"date": "2026-04-07", "marks": [{"student_id": s, "code": "present"} for s in klass.students]}
    return Call("POST", "/v1/attendance-rolls", _class_body(scene.school, klass.name, **marks), klass.key, [
        Call("POST", "/v1/attendance-rolls", _class_body(scene.school, api.fresh_name(), **marks)),
        Call("POST", "/v1/attendance-rolls", _class_body(MISSING_SCHOOL, klass.name, **marks)),
    ])


def _form(form: str, query: str = "") -> Callable[[Api, Scene], Call]:
    """A class's form, read after the read models have applied the class (read-your-writes)."""
    def stage(api: Api, scene: Scene) -> Call:
        klass = api.fresh_class(scene.school, homeroom=scene.homeroom)
        wait = f"wait_for={api.ledger.position()}"

        def path(school: str, name: str) -> str:
            return f"/v1/schools/{school}/years/{YEAR}/classes/1/{name}/{form}?{query}{wait}"
        return Call("GET", path(scene.school, klass.name), None, klass.key, [
            Call("GET", path(scene.school, api.fresh_name())), Call("GET", path(MISSING_SCHOOL, klass.name))])
    return stage


def _student_form(suffix: str) -> Callable[[Api, Scene], Call]:
    """A student's form, read after the read models have applied the student (read-your-writes)."""
    def stage(api: Api, scene: Scene) -> Call:
        call = _on_student("GET", suffix)(api, scene)
        wait = ("&" if "?" in suffix else "?") + f"wait_for={api.ledger.position()}"
        call.path += wait
        for missing in call.missing:
            missing.path += wait
        return call
    return stage


def _long_absence(api: Api, scene: Scene) -> Call:
    path = f"/v1/schools/{{}}/years/{YEAR}/long-absence?wait_for={api.ledger.position()}"
    return Call("GET", path.format(scene.school), None, None, [Call("GET", path.format(MISSING_SCHOOL))])


def _alerts(api: Api, scene: Scene) -> Call:
    """A school year's alerts (ADR 0042): the principal, the nurse (health), the board (counts), auditors."""
    path = f"/v1/schools/{{}}/years/{YEAR}/alerts?wait_for={api.ledger.position()}"
    return Call("GET", path.format(scene.school), None, None, [Call("GET", path.format(MISSING_SCHOOL))])


def _alerts_of_class(api: Api, scene: Scene) -> Call:
    """One class's alerts: its homeroom teacher too."""
    klass = api.fresh_class(scene.school, homeroom=scene.homeroom)
    wait = f"wait_for={api.ledger.position()}"

    def path(school: str, name: str) -> str:
        return f"/v1/schools/{school}/years/{YEAR}/alerts?grade=1&class_name={name}&{wait}"
    return Call("GET", path(scene.school, klass.name), None, klass.key, [
        Call("GET", path(scene.school, api.fresh_name())), Call("GET", path(MISSING_SCHOOL, klass.name))])


def _acknowledge_alert(api: Api, scene: Scene) -> Call:
    """An alert raised for a child of a fresh class (as the alert process would), and its follow-up."""
    klass = api.fresh_class(scene.school, homeroom=scene.homeroom)
    receipt = api.ledger.raise_alert(
        student_id=uuid.UUID(klass.students[0]), rule="absence-run", school_code=scene.school, year=YEAR, grade=1,
        class_name=klass.name, first_day=date(2026, 4, 7), last_day=date(2026, 4, 9), days=3, threshold=3,
        on=date(2026, 4, 9))
    assert receipt is not None
    body = {"action": "家庭に電話連絡", "note": "発熱のため"}
    return Call("POST", f"/v1/alerts/{receipt.stream_id}/acknowledgements", body, klass.key, [
        Call("POST", f"/v1/alerts/{uuid.uuid4()}/acknowledgements", body),
        Call("POST", f"/v1/alerts/{klass.students[0]}/acknowledgements", body)])  # a student's stream, no alert


def _moved_out(api: Api, sid: str) -> None:
    api.ledger.hand_over(sid, kind="transfer", to_school="B127210000017", external=True,
                         to_school_name="千葉市立あおば小学校", left_on=date(2026, 6, 5), accepted_on=date(2026, 6, 8),
                         year=YEAR, grade=1, reason="保護者の転勤", recorded_by="admin")


def _import_packet(api: Api, scene: Scene) -> Call:
    """A packet signed by this ledger's own key (always trusted), addressed to the scene's school."""
    def packet(school: str) -> str:
        content = TransferPacket(
            format=FORMAT, packet_id=str(uuid.uuid4()), issuer=api.services.signing.ledger_id,
            issued_at=datetime(2026, 6, 5, tzinfo=UTC), kind="transfer", student_id=str(uuid.uuid4()),
            identity=msgspec.convert(identity(1), Identity), from_school=PacketSchool("B127210000017"),
            to_school=PacketSchool(school), left_on=date(2026, 6, 5), accepted_on=date(2026, 6, 8), year=YEAR,
            grade=1, record_kind="copy", cumulative_record={}, health_card={}, dental_card={})
        return api.services.signing.sign(canonical(msgspec.to_builtins(content)))
    return Call("POST", "/v1/transfer-packets", {"school_code": scene.school, "packet": packet(scene.school)},
                None, [Call("POST", "/v1/transfer-packets", {"school_code": MISSING_SCHOOL,
                                                             "packet": packet(MISSING_SCHOOL)})])


def _feed(path: str) -> Callable[[Api, Scene], Call]:
    return lambda api, scene: Call("GET", path)


# The transparency log (ADR 0033): hashes of the whole ledger, read by every auditor and every board;
# a board posts cosignatures. A checkpoint of the log as it is now is signed for each cell.
WITNESS = NoteSigner("board-312011", Ed25519PrivateKey.generate(), COSIGNATURE_V1)
TRANSPARENCY = ("checkpoint", "checkpoints", "inclusion", "consistency", "cosignature")


def _checkpoint_now(api: Api) -> StoredCheckpoint:
    api.services.witnesses = (WITNESS.key,)
    return publish(api.ledger, ledger_signer(api.services))


def _sign_now(api: Api) -> None:
    _checkpoint_now(api)


def _transparency(path: Callable[[StoredCheckpoint], str]) -> Callable[[Api, Scene], Call]:
    return lambda api, scene: Call("GET", path(_checkpoint_now(api)))


def _cosignature(api: Api, scene: Scene) -> Call:
    api.fresh_class(scene.school)  # a checkpoint no witness has cosigned yet
    checkpoint = _checkpoint_now(api)
    line = cosign(checkpoint.note, WITNESS, 1_800_000_000).line
    return Call("POST", "/v1/transparency/cosignatures", {"tree_size": checkpoint.tree_size, "cosignature": line})


def _marked(api: Api, sid: str) -> None:
    api.ledger.record_roll(*_class_of(api, sid), on=date(2026, 4, 7), marks=[(sid, {"code": "present"})],
                           recorded_by="admin")


def _class_of(api: Api, sid: str) -> tuple[str, int, int, str]:
    p = api.ledger.student(sid).placements[YEAR]
    return p.school_code, YEAR, p.grade, p.class_name


def _on_leave(api: Api, sid: str) -> None:
    api.ledger.begin_leave(sid, on=date(2026, 5, 11), reason="病気療養", recorded_by="admin")


def _assessed(api: Api, sid: str) -> None:
    api.ledger.record_assessment(sid, YEAR, subject=SUBJECT, viewpoints=VIEWPOINTS, term=1, on=date(2026, 7, 15),
                                 recorded_by="admin")


def _year_recorded(api: Api, sid: str) -> None:
    api.ledger.enter_year_record(sid, YEAR, record={"general_remarks": "意欲的に学習した。"}, on=date(2027, 3, 15),
                                 recorded_by="admin")


def _examined(api: Api, sid: str) -> None:
    api.ledger.record_health_exam(sid, YEAR, examination=HEALTH, examined_on=date(2026, 5, 1), recorded_by="admin")


def _dental_examined(api: Api, sid: str) -> None:
    api.ledger.record_dental_exam(sid, YEAR, examination=DENTAL, examined_on=date(2026, 5, 1), recorded_by="admin")


def _correction(record: str, value: dict[str, Any]) -> dict[str, Any]:
    return {"record": record, "year": YEAR, "corrects_version": 1, "reason": "転記誤りの訂正", "value": value}


ROUTES: dict[str, Callable[[Api, Scene], Call]] = {
    "put-school": _on_school("PUT", lambda api, code: "", _school_body),
    "put-principal": _on_school("PUT", lambda api, code: "/principal", _principal_body),
    "put-calendar": _put_calendar,
    "put-class": _put_class,
    "admit": _admit,
    "get-student": _on_student("GET", ""),
    "identity-change": _on_student("POST", "/identity-changes", {
        "identity": identity(1, address="鳥取県鳥取市西町2-1-3"), "reason": "転居"}),
    "leave": _on_student("POST", "/leaves", {"on": "2026-05-11", "reason": "病気療養"}),
    "return": _on_student("POST", "/returns", {"on": "2026-06-01"}, prepare=_on_leave),
    "withdrawal": _on_student("POST", "/withdrawal", {"on": "2026-05-11", "reason": "海外への転出"}),
    "graduation": _on_student("POST", "/graduation", {"on": "2027-03-19"}, grade=6),
    "attendance-roll": _roll,
    "attendance-correction": _on_student("POST", "/attendance-corrections", {
        "date": "2026-04-07", "mark": {"code": "absent_illness", "reason": "発熱"}, "reason": "連絡帳で確認"},
        prepare=_marked),
    "assessment": _on_student("POST", "/assessments", {
        "year": YEAR, "subject": SUBJECT, "viewpoints": VIEWPOINTS, "assessed_on": "2026-07-15", "term": 1}),
    "year-record": _on_student("POST", "/year-records", {
        "year": YEAR, "record": {"general_remarks": "意欲的に学習した。"}, "entered_on": "2027-03-15"}),
    "health-exam": _on_student("POST", "/health-exams", {"year": YEAR, "examination": HEALTH,
                                                          "examined_on": "2026-05-01"}),
    "dental-exam": _on_student("POST", "/dental-exams", {"year": YEAR, "examination": DENTAL,
                                                          "examined_on": "2026-05-01"}),
    "correct-assessment": _on_student("POST", "/corrections", _correction(
        "assessment", {"viewpoints": {"knowledge": "A", "thinking": "A", "attitude": "A"}}), prepare=_assessed),
    "correct-year-record": _on_student("POST", "/corrections", _correction(
        "year-record", {"general_remarks": "粘り強く学習した。"}), prepare=_year_recorded),
    "correct-health-exam": _on_student("POST", "/corrections", _correction(
        "health-exam", {**HEALTH, "height_cm": "117.2"}), prepare=_examined),
    "correct-dental-exam": _on_student("POST", "/corrections", _correction(
        "dental-exam", {**DENTAL, "plaque": 0}), prepare=_dental_examined),
    "seal": _on_school("POST", _seal_of_a_fresh_year, lambda code, n: {}),
    "history": _on_student("GET", "/history"),
    "log": _feed("/v1/log?limit=1"),
    "access-log": _feed("/v1/access-log?limit=1"),
    "roster": _form("roster"),
    "attendance-register": _form("attendance-register", "month=2026-04&"),
    "cumulative-record": _student_form("/forms/cumulative-record"),
    "report-card": _student_form(f"/forms/report-card?year={YEAR}&term=1"),
    "health-card": _student_form("/forms/health-card"),
    "dental-card": _student_form("/forms/dental-card"),
    "long-absence": _long_absence,
    "handover": _on_student("POST", "/handovers", {
        "kind": "transfer", "to_school": "B127210000017", "external": True, "to_school_name": "千葉市立あおば小学校",
        "left_on": "2026-06-05", "accepted_on": "2026-06-08", "year": YEAR, "grade": 1, "reason": "保護者の転勤"}),
    "transfer-packet": _on_student("GET", "/transfer-packet", prepare=_moved_out),
    "import-packet": _import_packet,
    "checkpoint": _transparency(lambda c: "/v1/transparency/checkpoint"),
    "checkpoints": _transparency(lambda c: "/v1/transparency/checkpoints?limit=1"),
    "inclusion": _transparency(lambda c: f"/v1/transparency/inclusion?position=1&tree_size={c.tree_size}"),
    "consistency": _transparency(lambda c: f"/v1/transparency/consistency?from={c.tree_size}"),
    "cosignature": _cosignature,
    "student-proof": _on_student("GET", "/proof", prepare=lambda api, sid: _sign_now(api)),
    "put-board-settings": _board_settings("PUT"),
    "get-board-settings": _board_settings("GET"),
    "alerts": _alerts,
    "alerts-of-class": _alerts_of_class,
    "acknowledge-alert": _acknowledge_alert,
    "advancements": _on_school("POST", lambda api, code: f"/years/{YEAR}/advancements", lambda code, n: {
        "accepted_on": "2027-04-07", "to_school": "C131220000015", "students": []}),
}


def token_for(api: Api, role: str, scope: str, call: Call, *, mfa: bool = True) -> dict[str, str]:
    classes: list[str] = []
    subjects: list[str] = []
    if role in TEACHERS:
        # "own": the class the call touches; "other": only the seeded class 1-1 of school A.
        classes = [call.class_key] if scope == "own" and call.class_key else [key_of(1, "1")]
        subjects = [SUBJECT] if role == "subject_teacher" else []
    return api.auth(role, A, classes=classes, subjects=subjects, mfa=mfa)


def without_instance(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != "instance"}


def check_cell(api: Api, route: str, role: str, scope: str) -> None:
    expected = EXPECTED[(route, role, scope)]
    call = ROUTES[route](api, scene_of(role, scope))
    headers = token_for(api, role, scope, call)
    response = api.call(call.method, call.path, headers, call.body)
    if expected < 300:
        assert response.status_code == expected, f"{route} by {role} ({scope}): {response.text}"
        return
    body = problem_of(response, expected)
    if expected == 403:
        assert body["rule"] == "forbidden"
        return
    assert body["rule"] == "not-found"
    for missing in call.missing:  # out of sight reads exactly as does not exist
        answer = problem_of(api.call(missing.method, missing.path, headers, missing.body), 404)
        assert without_instance(answer) == without_instance(body), (missing.path, missing.body)


CELLS = sorted(EXPECTED)


@pytest.mark.parametrize(("route", "role", "scope"), CELLS, ids=["-".join(c) for c in CELLS])
def test_cell(sqlite_world: Api, route: str, role: str, scope: str) -> None:
    check_cell(sqlite_world, route, role, scope)


def test_the_table_covers_every_route_of_the_app(sqlite_world: Api) -> None:
    """Every v1 route of the app has its row, and every row calls a route of the app."""
    routes = {(method, re.sub(r"\{[^}]+\}", "[^/]+", r.path)) for r in sqlite_world.client.app.routes
              for method in getattr(r, "methods", ()) if r.path.startswith("/v1") and method not in ("HEAD", "OPTIONS")}
    called = set()
    for route in ROUTES:
        call = ROUTES[route](sqlite_world, Scene(A, "T-0009"))
        matching = {(m, p) for m, p in routes if m == call.method and re.fullmatch(p, call.path.split("?")[0])}
        assert len(matching) == 1, (route, call.path)
        called |= matching
    assert called == routes


# ---------------------------------------------------------------- the same on PostgreSQL (a read and a write per role)

SIGNATURE_WRITE = {
    "homeroom_teacher": "attendance-roll", "subject_teacher": "assessment", "nurse": "health-exam",
    "registrar": "admit", "principal": "seal", "board": "put-school", "auditor": "identity-change",
    "operator": "put-class",
}
PG_CELLS = [(route, role, scope) for role in ROLES for route in ("get-student", SIGNATURE_WRITE[role])
            for scope in ("own", "other")]


@pytest.mark.postgres
@pytest.mark.parametrize(("route", "role", "scope"), PG_CELLS, ids=["-".join(c) for c in PG_CELLS])
def test_cell_on_postgresql(postgres_world: Api, route: str, role: str, scope: str) -> None:
    check_cell(postgres_world, route, role, scope)


# ---------------------------------------------------------------- auditors with a school or board claim (ADR 0019)

# A claim scopes an auditor on every route: inside it, as an auditor of the whole ledger (reading a
# child as that school holds them); outside it, and on the ledger-wide feeds, as if nothing existed.
SCOPED_AUDITORS: dict[str, tuple[dict[str, str], str]] = {
    "school": ({"role": "auditor", "school": A}, B), "board": ({"role": "auditor", "board": BOARD}, C)}
BOARD_ROUTES = frozenset({"put-board-settings", "get-board-settings"})
SCOPED_CELLS = [(route, claim) for route in sorted(ROUTES) for claim in sorted(SCOPED_AUDITORS)]


@pytest.mark.parametrize(("route", "claim"), SCOPED_CELLS, ids=["-".join(c) for c in SCOPED_CELLS])
def test_an_auditor_with_a_school_or_board_claim_is_scoped_to_it_on_every_route(
        world: Api, route: str, claim: str) -> None:
    api = world
    grant, outside = SCOPED_AUDITORS[claim]
    headers = api.bearer(api.key.token("AU-0009", [grant]))
    inside = ROUTES[route](api, Scene(A, "T-0009"))
    response = api.call(inside.method, inside.path, headers, inside.body)
    # a ledger-wide feed: out of scope; the transparency log's hashes: read by every auditor
    expected = EXPECTED.get((route, "auditor", "own"), EXPECTED[(route, "auditor", "-")] if route in TRANSPARENCY
                            else 404)
    if expected < 300:
        assert response.status_code == expected, f"{route}: {response.text}"
    else:
        assert problem_of(response, expected)["rule"] == ("forbidden" if expected == 403 else "not-found")
    if (route, "auditor", "own") not in EXPECTED:
        return
    # a board's settings are seen from every school of the board: outside a school claim is another board's
    call = ROUTES[route](api, Scene(C if route in BOARD_ROUTES else outside, "T-0009"))
    body = problem_of(api.call(call.method, call.path, headers, call.body), 404)
    for missing in call.missing:  # out of scope reads exactly as does not exist
        answer = problem_of(api.call(missing.method, missing.path, headers, missing.body), 404)
        assert without_instance(answer) == without_instance(body), (missing.path, missing.body)


# ---------------------------------------------------------------- finer scopes

def test_a_subject_teacher_may_not_assess_or_correct_another_subject_in_their_class(sqlite_world: Api) -> None:
    api = sqlite_world
    klass = api.fresh_class(A)
    sid = klass.students[0]
    api.ledger.record_assessment(sid, YEAR, subject="arithmetic", viewpoints=VIEWPOINTS, term=1,
                                 on=date(2026, 7, 15), recorded_by="admin")
    headers = api.auth("subject_teacher", classes=[klass.key], subjects=[SUBJECT])
    body = {"year": YEAR, "subject": "music", "viewpoints": VIEWPOINTS, "assessed_on": "2026-07-15", "term": 1}
    assert problem_of(api.post(f"/v1/students/{sid}/assessments", body, headers), 403)["rule"] == "forbidden"
    correction = _correction("assessment", {"viewpoints": VIEWPOINTS})
    assert problem_of(api.post(f"/v1/students/{sid}/corrections", correction, headers), 403)["rule"] == "forbidden"
    assert api.get(f"/v1/students/{sid}", headers).status_code == 200  # the roster of their class


def test_a_homeroom_teacher_sees_the_class_the_ledger_names_them_teacher_of_without_a_class_grant(
        sqlite_world: Api) -> None:
    api = sqlite_world
    mine = api.fresh_class(A, homeroom="T-0001")
    theirs = api.fresh_class(A, homeroom="T-0002")
    headers = api.auth("homeroom_teacher")  # no classes in the token
    assert api.get(f"/v1/students/{mine.students[0]}", headers).status_code == 200
    assert api.get(f"/v1/students/{theirs.students[0]}", headers).status_code == 404
    # ...but only at the school of their grant: the same staff id at another school sees nothing there.
    elsewhere = api.fresh_class(B, homeroom="T-0001")
    assert api.get(f"/v1/students/{elsewhere.students[0]}", headers).status_code == 404


def test_a_teacher_grant_for_a_class_of_another_school_shows_nothing(sqlite_world: Api) -> None:
    api = sqlite_world
    klass = api.fresh_class(B)
    headers = api.auth("homeroom_teacher", A, classes=[klass.key])  # same class key, but at school A
    assert api.get(f"/v1/students/{klass.students[0]}", headers).status_code == 404


def test_a_board_may_register_a_new_school_of_its_own_board_but_not_of_another_or_take_one_over(
        sqlite_world: Api) -> None:
    api = sqlite_world
    headers = api.auth("board")
    new = "B131220000501"
    body = {"name": "鳥取市立新しい小学校", "board_code": BOARD, "address": ""}
    assert api.put(f"/v1/schools/{new}", body, headers).status_code == 201
    assert api.ledger.school(new).board_code == BOARD
    problem_of(api.put("/v1/schools/B131220000519", {**body, "board_code": OTHER_BOARD}, headers), 404)
    # School C belongs to another board: naming our board in the body does not make it ours.
    problem_of(api.put(f"/v1/schools/{C}", body, headers), 404)
    assert api.ledger.school(C).board_code == OTHER_BOARD
    # Nor can it hand one of its own schools to another board alone.
    refused = problem_of(api.put(f"/v1/schools/{new}", {**body, "board_code": OTHER_BOARD}, headers), 403)
    assert refused["field"] == "board_code"
    assert api.ledger.school(new).board_code == BOARD


def test_several_grants_combine_and_each_keeps_its_own_scope(sqlite_world: Api) -> None:
    """A nurse at A who is also registrar at B may record A's examinations and B's admissions, not the reverse."""
    api = sqlite_world
    token = api.key.token("X-0001", [{"role": "nurse", "school": A}, {"role": "registrar", "school": B}])
    headers = api.bearer(token)
    a_student = api.fresh_class(A).students[0]
    b_student = api.fresh_class(B).students[0]
    exam = {"year": YEAR, "examination": HEALTH, "examined_on": "2026-05-01"}
    assert api.post(f"/v1/students/{a_student}/health-exams", exam, headers).status_code == 201
    problem_of(api.post(f"/v1/students/{b_student}/health-exams", exam, headers), 403)
    leave = {"on": "2026-05-11", "reason": "病気療養"}
    assert api.post(f"/v1/students/{b_student}/leaves", leave, headers).status_code == 201
    problem_of(api.post(f"/v1/students/{a_student}/leaves", leave, headers), 403)


def test_a_student_id_that_is_not_a_uuid_reads_as_missing(sqlite_world: Api) -> None:
    api = sqlite_world
    headers = api.auth("principal")
    missing = problem_of(api.get(f"/v1/students/{uuid.uuid4()}", headers), 404)
    garbage = problem_of(api.get("/v1/students/not-a-uuid", headers), 404)
    assert without_instance(garbage) == without_instance(missing)


def test_a_correction_of_an_unknown_record_kind_does_not_reveal_a_foreign_student(sqlite_world: Api) -> None:
    """The kind of record is checked before the student is looked up, so the answer is the same for all."""
    api = sqlite_world
    foreign = api.fresh_class(B).students[0]
    headers = api.auth("principal", A)
    body = _correction("report-card", {})
    a = api.post(f"/v1/students/{foreign}/corrections", body, headers)
    b = api.post(f"/v1/students/{uuid.uuid4()}/corrections", body, headers)
    assert a.status_code == b.status_code in (400, 422)  # refused for its shape, never 404 for one and not the other
    assert without_instance(a.json()) == without_instance(b.json())
    assert a.json()["field"] == "record"


def _as_named(body: dict[str, Any], student: str) -> dict[str, Any]:
    """A refusal with the student id it names (and the instance) taken out: the rest must be equal."""
    return {k: v.replace(student, "<id>") if isinstance(v, str) else v for k, v in without_instance(body).items()}


def test_forming_a_class_that_names_another_schools_child_answers_as_for_a_missing_id(world: Api) -> None:
    api = world
    foreign, missing = api.fresh_class(B).students[0], str(uuid.uuid4())
    headers = api.auth("principal", A)

    def form(student: str) -> dict[str, Any]:
        body = {"homeroom_teacher_id": "T-0009", "homeroom_teacher_name": "山田 花子", "formed_on": "2026-04-06",
                "students": [{"student_id": student, "number": 1}]}
        return _as_named(problem_of(api.put(f"/v1/schools/{A}/years/{YEAR}/classes/1/{api.fresh_name()}", body,
                                            headers), 404), student)

    before = api.ledger.position()
    assert form(foreign) == form(missing)
    assert form(foreign)["field"] == "students[0].student_id"
    assert api.ledger.position() == before


def test_a_roll_or_a_bulk_advancement_that_names_another_schools_child_answers_as_for_a_missing_id(
        world: Api) -> None:
    api = world
    foreign, missing = api.fresh_class(B).students[0], str(uuid.uuid4())
    klass = api.fresh_class(A)

    def roll(student: str) -> dict[str, Any]:
        marks = [{"student_id": s, "code": "present"} for s in (*klass.students, student)]
        body = _class_body(A, klass.name, date="2026-04-08", marks=marks)
        return _as_named(problem_of(api.post("/v1/attendance-rolls", body, api.auth("principal", A)), 422), student)

    assert roll(foreign) == roll(missing)

    def advance(student: str) -> dict[str, Any]:
        body = {"accepted_on": "2027-04-07", "to_school": "C131220000015", "students": [{"student_id": student}]}
        answer = api.post(f"/v1/schools/{A}/years/{YEAR}/advancements", body, api.auth("board"))
        assert answer.status_code == 200, answer.text
        [result] = answer.json()["results"]
        return {k: v.replace(student, "<id>") if isinstance(v, str) else v for k, v in result.items()}

    assert advance(foreign) == advance(missing)


def test_a_hidden_feed_answers_exactly_as_a_route_that_does_not_exist(sqlite_world: Api) -> None:
    api = sqlite_world
    headers = api.auth("principal")
    hidden = problem_of(api.get("/v1/log", headers), 404)
    nothing = problem_of(api.get("/v1/nothing-here", headers), 404)
    assert without_instance(hidden) == without_instance(nothing)


# ---------------------------------------------------------------- multi-factor authentication

MFA_READS = [("history", "principal", "own"), ("history", "auditor", "own"), ("log", "auditor", "-"),
             ("access-log", "auditor", "-"), ("cumulative-record", "homeroom_teacher", "own"),
             ("report-card", "principal", "own"), ("health-card", "nurse", "own"), ("dental-card", "auditor", "own"),
             ("long-absence", "board", "own"), ("alerts", "nurse", "own"),
             ("alerts-of-class", "homeroom_teacher", "own")]


@pytest.mark.parametrize(("route", "role", "scope"), MFA_READS, ids=["-".join(c) for c in MFA_READS])
def test_sensitive_reads_need_a_multi_factor_token(sqlite_world: Api, route: str, role: str, scope: str) -> None:
    api = sqlite_world
    call = ROUTES[route](api, scene_of(role, scope))
    response = api.call(call.method, call.path, token_for(api, role, scope, call, mfa=False))
    body = problem_of(response, 401)
    assert body["rule"] == "mfa-required"
    assert "insufficient_user_authentication" in response.headers["www-authenticate"]
    assert api.call(call.method, call.path, token_for(api, role, scope, call)).status_code == 200


@pytest.mark.parametrize(("route", "role", "scope", "status"), [
    ("history", "principal", "other", 404),  # out of sight stays out of sight
    ("history", "homeroom_teacher", "other", 404),
    ("history", "homeroom_teacher", "own", 403),  # not allowed whatever the token
    ("log", "principal", "-", 404),
    ("access-log", "operator", "-", 404),
])
def test_without_mfa_an_invisible_or_forbidden_record_answers_as_with_it(
        sqlite_world: Api, route: str, role: str, scope: str, status: int) -> None:
    api = sqlite_world
    call = ROUTES[route](api, scene_of(role, scope))
    without = problem_of(api.call(call.method, call.path, token_for(api, role, scope, call, mfa=False)), status)
    with_mfa = problem_of(api.call(call.method, call.path, token_for(api, role, scope, call)), status)
    assert without_instance(without) == without_instance(with_mfa)


# ---------------------------------------------------------------- tokens the ledger does not accept

def _claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {"iss": DEV_ISSUER, "aud": AUDIENCE, "sub": "P-0001", "iat": now, "exp": now + 3600,
              "amr": ["pwd", "mfa"], "roles": [{"role": "principal", "school": A}]}
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def _signed(api: Api, **overrides: Any) -> str:
    return jwt.encode(_claims(**overrides), api.key.private, algorithm="EdDSA", headers={"kid": api.key.kid})


def _unsigned(api: Api) -> str:
    return jwt.encode(_claims(), None, algorithm="none", headers={"kid": api.key.kid})  # type: ignore[arg-type]


def _hs256_with_public_key(api: Api) -> str:
    # The classic confusion attack: an HMAC "signed" with the published public key as the secret.
    secret = api.key.public_jwk["x"].encode()
    return jwt.encode(_claims(), secret, algorithm="HS256", headers={"kid": api.key.kid})


def _other_key(api: Api, tmp_path_factory: pytest.TempPathFactory) -> str:
    stranger = DevKey.load_or_create(tmp_path_factory.mktemp("stranger") / "key.pem")
    return stranger.token("P-0001", [{"role": "principal", "school": A}])


def _same_key_other_kid(api: Api) -> str:
    return jwt.encode(_claims(), api.key.private, algorithm="EdDSA", headers={"kid": "not-a-known-kid"})


BAD_TOKENS: dict[str, Callable[[Api, pytest.TempPathFactory], dict[str, str]]] = {
    "missing": lambda api, f: {},
    "empty-bearer": lambda api, f: {"Authorization": "Bearer "},
    "basic-scheme": lambda api, f: {"Authorization": "Basic UC0wMDAxOnNlY3JldA=="},
    "not-a-jwt": lambda api, f: {"Authorization": "Bearer not.a.jwt"},
    "garbage": lambda api, f: {"Authorization": "Bearer abc"},
    "expired": lambda api, f: api.bearer(api.key.token("P-0001", [{"role": "principal", "school": A}], ttl=60,
                                                       now=int(time.time()) - 7200)),
    "wrong-issuer": lambda api, f: api.bearer(_signed(api, iss="https://login.example.com/other")),
    "wrong-audience": lambda api, f: api.bearer(_signed(api, aud="another-api")),
    "no-expiry": lambda api, f: api.bearer(_signed(api, exp=None)),
    "no-subject": lambda api, f: api.bearer(_signed(api, sub=None)),
    "unknown-kid": lambda api, f: api.bearer(_same_key_other_kid(api)),
    "untrusted-key": lambda api, f: api.bearer(_other_key(api, f)),
    "alg-none": lambda api, f: api.bearer(_unsigned(api)),
    "hs256-with-public-key": lambda api, f: api.bearer(_hs256_with_public_key(api)),
    "tampered-claims": lambda api, f: api.bearer(_tampered(api)),
    "unknown-role": lambda api, f: api.bearer(_signed(api, roles=[{"role": "superuser", "school": A}])),
    "malformed-roles": lambda api, f: api.bearer(_signed(api, roles=[{"role": "principal", "school": 13}])),
}


def _tampered(api: Api) -> str:
    """A valid nurse token whose payload is swapped for one that claims more: the signature no longer fits."""
    import base64
    import json

    head, _, sig = api.key.token("U-1", [{"role": "nurse", "school": A}]).split(".")
    payload = base64.urlsafe_b64encode(json.dumps(_claims(roles=[{"role": "auditor"}])).encode()).rstrip(b"=")
    return f"{head}.{payload.decode()}.{sig}"


@pytest.mark.parametrize("kind", sorted(BAD_TOKENS))
@pytest.mark.parametrize("route", ["get-student", "leave"])
def test_a_request_without_a_valid_token_answers_401_and_records_nothing(
        sqlite_world: Api, tmp_path_factory: pytest.TempPathFactory, kind: str, route: str) -> None:
    api = sqlite_world
    call = ROUTES[route](api, Scene(A, "T-0009"))
    before = api.ledger.position()
    response = api.call(call.method, call.path, BAD_TOKENS[kind](api, tmp_path_factory), call.body)
    body = problem_of(response, 401)
    assert body["rule"] == "not-authenticated"
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert api.ledger.position() == before
    # ...while the same call with a valid token is answered.
    assert api.call(call.method, call.path, api.auth("principal"), call.body).status_code in (200, 201)
