"""Who may do what to a child who moved (PRODUCT.md §2 promises 4, 5; §3.4, §3.5; ADR 0019): every
caller × route for a child who moved A→B in the ledger, A→outside (a hand-over out of the ledger),
outside→A (a packet import), and A→B→A within one school year, on SQLite and PostgreSQL.

Each scenario is built once per module and backend. Callers are staff of school A (where the child
started, or arrived from outside), of school B (where they moved), of school C (never held them),
the board of A and B, and auditors with no claim, a claim on school A, and a claim on school C.
"a-homeroom" is the homeroom teacher the ledger names for the child's class at A (no class in the
token); "a-grant" a homeroom teacher of A whose token grants a class of A with the same name as the
child's class at B (YEAR/GRADE/NAME alone must not match another school's class).

Outcomes: 2xx allowed; 403 forbidden (the role may not); "403c" refused with rule
``outside-custody`` (the caller sees the child, and the role may write such a record, but the day it
is about was not in the caller's school's custody, or no longer is); 404 exactly as a missing child;
"-" the scenario has no such record. A refused write records nothing.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import msgspec
import pytest

from domain import streams
from domain.signing import canonical
from domain.student import Identity
from domain.transfer_packet import FORMAT, PacketSchool, TransferPacket
from tests.api.conftest import HEALTH, VIEWPOINTS, A, Api, B, C, problem_of
from tests.builders import BOARD, SCHOOL_DAYS, YEAR, identity

SUBJECT = "japanese"
OUTSIDE = "B127210000017"
A_DAY, B_DAY, BACK_DAY = date(2026, 4, 7), date(2026, 6, 9), date(2026, 10, 6)


@dataclass
class Scenario:
    name: str
    sid: str
    a_class: str  # the child's class at A (its key YEAR/GRADE/NAME), and its homeroom teacher
    a_homeroom: str
    b_class: str  # the child's class at B ("" when they were never at B)
    b_homeroom: str
    a_day: date  # a day of A's custody with a mark
    b_day: date | None  # a day of B's custody with a mark
    a_assessment: int  # the version of an assessment A recorded
    b_assessment: int | None


# ---------------------------------------------------------------- building the scenarios (through the ledger)

def _roll(api: Api, school: str, name: str, on: date) -> None:
    members = api.ledger.school_class(school, YEAR, 1, name).members_on(on)
    api.ledger.record_roll(school, YEAR, 1, name, on=on, marks=[(s, {"code": "present"}) for s in members],
                           recorded_by="admin")


def _assess(api: Api, sid: str, term: int, on: date) -> int:
    api.ledger.record_assessment(sid, YEAR, subject=SUBJECT, viewpoints=VIEWPOINTS, term=term, on=on,
                                 recorded_by="admin")
    return len(api.ledger.stream(_assessments(sid)))


def _assessments(sid: str) -> uuid.UUID:
    return streams.assessments(uuid.UUID(sid), YEAR)


def _move(api: Api, sid: str, to: str, left: date, accepted: date, class_name: str = "", number: int = 0,
          external: bool = False) -> None:
    api.ledger.hand_over(sid, kind="transfer", to_school=to, left_on=left, accepted_on=accepted, year=YEAR, grade=1,
                         reason="保護者の転勤に伴う転居", external=external,
                         to_school_name="千葉市立あおば小学校" if external else "", class_name=class_name,
                         number=number, recorded_by="R-0001")


def _twin_classes(api: Api, homeroom_a: str, homeroom_b: str) -> tuple[str, str]:
    """The child's class at A, and a class at B whose name A also has (another class of A: T-0099's)."""
    a = api.fresh_class(A, homeroom=homeroom_a)
    b = api.fresh_class(B, homeroom=homeroom_b, students=0)
    api.ledger.form_class(A, YEAR, 1, b.name, homeroom_teacher_id="T-0099", homeroom_teacher_name="森 一郎",
                          on=date(2026, 4, 6), recorded_by="admin")
    return a.name, b.name


def _transfer(api: Api) -> Scenario:
    a, b = _twin_classes(api, "T-0011", "T-0021")
    [child] = [str(s) for s in api.ledger.school_class(A, YEAR, 1, a).placements]
    _roll(api, A, a, A_DAY)
    for day in SCHOOL_DAYS[2:9]:  # seven school days absent in a row at A: A's long-absence list names the child
        api.ledger.record_roll(A, YEAR, 1, a, on=day, marks=[(child, {"code": "absent_other", "reason": "不明"})],
                               recorded_by="admin")
    api.ledger.record_health_exam(child, YEAR, examination=HEALTH, examined_on=date(2026, 5, 1), recorded_by="admin")
    v1 = _assess(api, child, 1, date(2026, 5, 15))
    _move(api, child, B, date(2026, 6, 5), date(2026, 6, 8), b, 1)
    _roll(api, B, b, B_DAY)
    v2 = _assess(api, child, 2, date(2026, 9, 15))
    api.ledger.change_identity(child, identity(1, family_name="鈴木", family_name_kana="すずき",
                                               address="鳥取県米子市角盤町1-1"), reason="養子縁組", on=date(2026, 9, 1),
                               recorded_by="R-0002")
    return Scenario("transfer", child, a, "T-0011", b, "T-0021", A_DAY, B_DAY, v1, v2)


def _out(api: Api) -> Scenario:
    a, b = _twin_classes(api, "T-0012", "T-0022")
    [child] = [str(s) for s in api.ledger.school_class(A, YEAR, 1, a).placements]
    _roll(api, A, a, A_DAY)
    api.ledger.record_health_exam(child, YEAR, examination=HEALTH, examined_on=date(2026, 5, 1), recorded_by="admin")
    v1 = _assess(api, child, 1, date(2026, 5, 15))
    _move(api, child, OUTSIDE, date(2026, 6, 5), date(2026, 6, 8), external=True)
    return Scenario("out", child, a, "T-0012", b, "T-0022", A_DAY, None, v1, None)


def _in(api: Api) -> Scenario:
    a, b = _twin_classes(api, "T-0014", "T-0024")
    # the child arrives from another ledger into class a (its first child was admitted by fresh_class)
    content = TransferPacket(
        format=FORMAT, packet_id=str(uuid.uuid4()), issuer=api.services.signing.ledger_id,
        issued_at=datetime(2026, 6, 5, tzinfo=UTC), kind="transfer", student_id=str(uuid.uuid4()),
        identity=msgspec.convert(identity(2), Identity), from_school=PacketSchool(OUTSIDE),
        to_school=PacketSchool(A), left_on=date(2026, 6, 5), accepted_on=date(2026, 6, 8), year=YEAR, grade=1,
        record_kind="copy", cumulative_record={}, health_card={}, dental_card={})
    jws = api.services.signing.sign(canonical(msgspec.to_builtins(content)))
    receipt, _ = api.ledger.receive_transfer(content, jws, school_code=A, class_name=a, number=2,
                                             recorded_by="R-0001")
    child = str(receipt.stream_id)
    _roll(api, A, a, B_DAY)
    api.ledger.record_health_exam(child, YEAR, examination=HEALTH, examined_on=date(2026, 6, 10), recorded_by="admin")
    v1 = _assess(api, child, 2, date(2026, 9, 15))
    return Scenario("in", child, a, "T-0014", b, "T-0024", B_DAY, None, v1, None)


def _back(api: Api) -> Scenario:
    a, b = _twin_classes(api, "T-0013", "T-0023")
    [child] = [str(s) for s in api.ledger.school_class(A, YEAR, 1, a).placements]
    _roll(api, A, a, A_DAY)
    api.ledger.record_health_exam(child, YEAR, examination=HEALTH, examined_on=date(2026, 5, 1), recorded_by="admin")
    v1 = _assess(api, child, 1, date(2026, 5, 15))
    _move(api, child, B, date(2026, 6, 5), date(2026, 6, 8), b, 1)
    _roll(api, B, b, B_DAY)
    v2 = _assess(api, child, 2, date(2026, 9, 15))
    _move(api, child, A, date(2026, 10, 2), date(2026, 10, 5), a, 2)
    _roll(api, A, a, BACK_DAY)
    return Scenario("back", child, a, "T-0013", b, "T-0023", A_DAY, B_DAY, v1, v2)


def build(api: Api) -> dict[str, Scenario]:
    return {s.name: s for s in (_transfer(api), _out(api), _in(api), _back(api))}


@pytest.fixture(scope="module")
def sqlite_moves(sqlite_world: Api) -> dict[str, Scenario]:
    return build(sqlite_world)


@pytest.fixture(scope="module")
def postgres_moves(postgres_world: Api) -> dict[str, Scenario]:
    return build(postgres_world)


# ---------------------------------------------------------------- callers

def caller(api: Api, who: str, s: Scenario) -> dict[str, str]:
    key = f"{YEAR}/1/"
    tokens: dict[str, Callable[[], dict[str, str]]] = {
        "a-principal": lambda: api.auth("principal", A, staff="P-0001"),
        "a-registrar": lambda: api.auth("registrar", A),
        "a-nurse": lambda: api.auth("nurse", A),
        "a-homeroom": lambda: api.auth("homeroom_teacher", A, staff=s.a_homeroom),
        "a-grant": lambda: api.auth("homeroom_teacher", A, staff="T-0099", classes=[key + s.b_class]),
        "a-subject": lambda: api.auth("subject_teacher", A, staff="T-0111", classes=[key + s.a_class],
                                      subjects=[SUBJECT]),
        "b-principal": lambda: api.auth("principal", B, staff="P-0002"),
        "b-registrar": lambda: api.auth("registrar", B, staff="R-0002"),
        "b-nurse": lambda: api.auth("nurse", B, staff="N-0002"),
        "b-homeroom": lambda: api.auth("homeroom_teacher", B, staff=s.b_homeroom),
        "b-subject": lambda: api.auth("subject_teacher", B, staff="T-0121", classes=[key + s.b_class],
                                      subjects=[SUBJECT]),
        "c-principal": lambda: api.auth("principal", C, staff="P-0003"),
        "board": lambda: api.auth("board", board=BOARD),
        "auditor": lambda: api.auth("auditor"),
        "auditor-a": lambda: api.bearer(api.key.token("AU-0002", [{"role": "auditor", "school": A}])),
        "auditor-c": lambda: api.bearer(api.key.token("AU-0003", [{"role": "auditor", "school": C}])),
    }
    return tokens[who]()


# ---------------------------------------------------------------- routes

_identities = itertools.count(1)


def _correct_mark(day: Callable[[Scenario], date | None]) -> Callable[[Api, Scenario], tuple[str, str, Any] | None]:
    def call(api: Api, s: Scenario) -> tuple[str, str, Any] | None:
        on = day(s)
        if on is None:
            return None
        return "POST", f"/v1/students/{s.sid}/attendance-corrections", {
            "date": on.isoformat(), "mark": {"code": "absent_illness", "reason": "発熱"}, "reason": "連絡帳で確認"}
    return call


def _correct_assessment(version: Callable[[Scenario], int | None]) -> Callable[[Api, Scenario],
                                                                                tuple[str, str, Any] | None]:
    def call(api: Api, s: Scenario) -> tuple[str, str, Any] | None:
        v = version(s)
        if v is None:
            return None
        return "POST", f"/v1/students/{s.sid}/corrections", {
            "record": "assessment", "year": YEAR, "corrects_version": v, "reason": "転記誤りの訂正",
            "value": {"viewpoints": {"knowledge": "A", "thinking": "A", "attitude": "A"}}}
    return call


def _identity_change(api: Api, s: Scenario) -> tuple[str, str, Any]:
    n = next(_identities)
    return "POST", f"/v1/students/{s.sid}/identity-changes", {
        "identity": identity(1, address=f"鳥取県鳥取市西町{n}-1-3"), "reason": "転居"}


def _read(suffix: str) -> Callable[[Api, Scenario], tuple[str, str, Any]]:
    def call(api: Api, s: Scenario) -> tuple[str, str, Any]:
        sep = "&" if "?" in suffix else "?"
        wait = f"{sep}wait_for={api.ledger.position()}" if "/forms/" in suffix or "dashboard" in suffix else ""
        return "GET", f"/v1/students/{s.sid}{suffix}{wait}", None
    return call


ROUTES: dict[str, Callable[[Api, Scenario], tuple[str, str, Any] | None]] = {
    "get-student": _read(""),
    "history": _read("/history"),
    "cumulative-record": _read("/forms/cumulative-record"),
    "report-card": _read(f"/forms/report-card?year={YEAR}&term=1"),
    "health-card": _read("/forms/health-card"),
    "child-dashboard": _read("/dashboard"),
    "correct-mark-a": _correct_mark(lambda s: s.a_day),
    "correct-mark-b": _correct_mark(lambda s: s.b_day),
    "correct-assessment-a": _correct_assessment(lambda s: s.a_assessment),
    "correct-assessment-b": _correct_assessment(lambda s: s.b_assessment),
    "identity-change": _identity_change,
}

CALLERS = ("a-principal", "a-registrar", "a-nurse", "a-homeroom", "a-grant", "a-subject", "b-principal",
           "b-registrar", "b-nurse", "b-homeroom", "b-subject", "c-principal", "board", "auditor", "auditor-a",
           "auditor-c")

# Columns in the order of CALLERS: a-principal a-registrar a-nurse a-homeroom a-grant a-subject | b-principal
# b-registrar b-nurse b-homeroom b-subject | c-principal board auditor auditor-a auditor-c
TABLES = {
    # A→B in the ledger: B holds the child; A reads its period as it stood when the child left.
    "transfer": """
get-student           200  200  200  200  404 200  | 200  200  200  200  200  | 404 200 200 200 404
history               200  403  403  403  404 403  | 200  403  403  403  403  | 404 403 200 200 404
cumulative-record     200  403  403  200  404 403  | 200  403  403  200  403  | 404 403 200 200 404
report-card           200  403  403  200  404 403  | 200  403  403  200  403  | 404 403 403 403 404
health-card           200  403  200  403  404 403  | 200  403  200  403  403  | 404 403 200 200 404
child-dashboard       200  403  200  200  404 403  | 200  403  200  200  403  | 404 403 200 200 404
correct-mark-a        403c 403  403  403c 404 403  | 403c 403  403  403c 403  | 404 403 403 403 404
correct-mark-b        403c 403  403  403c 404 403  | 201  403  403  201  403  | 404 403 403 403 404
correct-assessment-a  403c 403  403  403  404 403c | 403c 403  403  403  403c | 404 403 403 403 404
correct-assessment-b  403c 403  403  403  404 403c | 201  403  403  403  201  | 404 403 403 403 404
identity-change       403c 403c 403  403  404 403  | 201  201  403  403  403  | 404 403 403 403 404
""",
    # A→outside: nobody here holds the child; A reads its period.
    "out": """
get-student           200  200  200  200  404 200  | 404  404  404  404  404  | 404 200 200 200 404
history               200  403  403  403  404 403  | 404  404  404  404  404  | 404 403 200 200 404
cumulative-record     200  403  403  200  404 403  | 404  404  404  404  404  | 404 403 200 200 404
report-card           200  403  403  200  404 403  | 404  404  404  404  404  | 404 403 403 403 404
health-card           200  403  200  403  404 403  | 404  404  404  404  404  | 404 403 200 200 404
child-dashboard       200  403  200  200  404 403  | 404  404  404  404  404  | 404 403 200 200 404
correct-mark-a        403c 403  403  403c 404 403  | 404  404  404  404  404  | 404 403 403 403 404
correct-mark-b        -    -    -    -    -   -    | -    -    -    -    -    | -   -   -   -   -
correct-assessment-a  403c 403  403  403  404 403c | 404  404  404  404  404  | 404 403 403 403 404
correct-assessment-b  -    -    -    -    -   -    | -    -    -    -    -    | -   -   -   -   -
identity-change       403c 403c 403  403  404 403  | 404  404  404  404  404  | 404 403 403 403 404
""",
    # outside→A: A holds the child from its arrival; B never did.
    "in": """
get-student           200  200  200  200  404 200  | 404  404  404  404  404  | 404 200 200 200 404
history               200  403  403  403  404 403  | 404  404  404  404  404  | 404 403 200 200 404
cumulative-record     200  403  403  200  404 403  | 404  404  404  404  404  | 404 403 200 200 404
report-card           200  403  403  200  404 403  | 404  404  404  404  404  | 404 403 403 403 404
health-card           200  403  200  403  404 403  | 404  404  404  404  404  | 404 403 200 200 404
child-dashboard       200  403  200  200  404 403  | 404  404  404  404  404  | 404 403 200 200 404
correct-mark-a        201  403  403  201  404 403  | 404  404  404  404  404  | 404 403 403 403 404
correct-mark-b        -    -    -    -    -   -    | -    -    -    -    -    | -   -   -   -   -
correct-assessment-a  201  403  403  403  404 201  | 404  404  404  404  404  | 404 403 403 403 404
correct-assessment-b  -    -    -    -    -   -    | -    -    -    -    -    | -   -   -   -   -
identity-change       201  201  403  403  404 403  | 404  404  404  404  404  | 404 403 403 403 404
""",
    # A→B→A within one year: A holds the child again and writes its own days of both its periods;
    # B's days are written by nobody; B reads its period as it stood when the child went back.
    "back": """
get-student           200  200  200  200  404 200  | 200  200  200  200  200  | 404 200 200 200 404
history               200  403  403  403  404 403  | 200  403  403  403  403  | 404 403 200 200 404
cumulative-record     200  403  403  200  404 403  | 200  403  403  200  403  | 404 403 200 200 404
report-card           200  403  403  200  404 403  | 200  403  403  200  403  | 404 403 403 403 404
health-card           200  403  200  403  404 403  | 200  403  200  403  403  | 404 403 200 200 404
child-dashboard       200  403  200  200  404 403  | 200  403  200  200  403  | 404 403 200 200 404
correct-mark-a        201  403  403  201  404 403  | 403c 403  403  403c 403  | 404 403 403 403 404
correct-mark-b        403c 403  403  403c 404 403  | 403c 403  403  403c 403  | 404 403 403 403 404
correct-assessment-a  201  403  403  403  404 201  | 403c 403  403  403  403c | 404 403 403 403 404
correct-assessment-b  403c 403  403  403  404 403c | 403c 403  403  403  403c | 404 403 403 403 404
identity-change       201  201  403  403  404 403  | 403c 403c 403  403  403  | 404 403 403 403 404
""",
}


def _parse() -> dict[tuple[str, str, str], str]:
    out = {}
    for scenario, table in TABLES.items():
        for line in table.strip().splitlines():
            route, *cells = [c for c in line.split() if c != "|"]
            assert route in ROUTES, line
            assert len(cells) == len(CALLERS), line
            for who, cell in zip(CALLERS, cells, strict=True):
                if cell != "-":
                    out[(scenario, route, who)] = cell
    return out


EXPECTED = _parse()
CELLS = sorted(EXPECTED)


def check(api: Api, scenarios: dict[str, Scenario], scenario: str, route: str, who: str) -> None:
    s = scenarios[scenario]
    expected = EXPECTED[(scenario, route, who)]
    call = ROUTES[route](api, s)
    assert call is not None
    method, path, body = call
    headers = caller(api, who, s)
    before = api.ledger.position()
    response = api.call(method, path, headers, body)
    if expected in ("200", "201"):
        assert response.status_code == int(expected), f"{scenario} {route} by {who}: {response.text}"
        return
    answer = problem_of(response, int(expected[:3]))
    assert api.ledger.position() == before, "a refused request recorded something"
    if expected == "403c":
        assert answer["rule"] == "outside-custody", answer
    elif expected == "403":
        assert answer["rule"] == "forbidden", answer
    else:  # out of sight reads exactly as a child who does not exist
        missing = problem_of(api.call(method, path.replace(s.sid, str(uuid.uuid4())), headers, body), 404)
        assert {k: v for k, v in answer.items() if k != "instance"} == \
            {k: v for k, v in missing.items() if k != "instance"}


@pytest.mark.parametrize(("scenario", "route", "who"), CELLS, ids=["-".join(c) for c in CELLS])
def test_cell_of_a_moved_child(sqlite_world: Api, sqlite_moves: dict[str, Scenario], scenario: str, route: str,
                               who: str) -> None:
    check(sqlite_world, sqlite_moves, scenario, route, who)


# On PostgreSQL: every scenario and route for the callers whose answers custody decides.
PG_CALLERS = ("a-principal", "a-homeroom", "a-grant", "a-subject", "b-principal", "b-homeroom", "b-subject",
              "auditor-a")
PG_CELLS = [c for c in CELLS if c[2] in PG_CALLERS]


@pytest.mark.postgres
@pytest.mark.parametrize(("scenario", "route", "who"), PG_CELLS, ids=["-".join(c) for c in PG_CELLS])
def test_cell_of_a_moved_child_on_postgresql(postgres_world: Api, postgres_moves: dict[str, Scenario],
                                             scenario: str, route: str, who: str) -> None:
    check(postgres_world, postgres_moves, scenario, route, who)


def scenarios_of(request: pytest.FixtureRequest, backend: str) -> tuple[Api, dict[str, Scenario]]:
    return request.getfixturevalue(f"{backend}_world"), request.getfixturevalue(f"{backend}_moves")


BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def _iter_names(record: dict[str, Any]) -> Iterator[str]:
    yield record["form1"]["name"]
    yield record["form1"]["address"]
    for old in record["form1"]["identity_trail"]:
        yield old["identity"]["family_name"]
        yield old["identity"]["address"]


# ---------------------------------------------------------------- what each school reads (the findings, by content)

@pytest.mark.parametrize("backend", BACKENDS)
def test_the_sending_school_reads_the_child_as_they_stood_when_custody_passed(
        request: pytest.FixtureRequest, backend: str) -> None:
    api, scenarios = scenarios_of(request, backend)
    s = scenarios["transfer"]
    a = caller(api, "a-principal", s)
    summary = api.get(f"/v1/students/{s.sid}", a).json()
    assert summary["name"].startswith("佐藤")
    assert summary["custodian"] == B
    wait = f"wait_for={api.ledger.position()}"
    record = api.get(f"/v1/students/{s.sid}/forms/cumulative-record?{wait}", a).json()
    names = list(_iter_names(record))
    assert not any("鈴木" in n or "米子" in n for n in names), names  # B's later surname and address
    assert [(r["school_code"], r["source"]) for r in record["form2"]] == [(A, "original")]
    absent = api.get(f"/v1/schools/{A}/years/{YEAR}/long-absence?{wait}", a).json()
    [row] = [r for r in absent["students"] if r["student_id"] == s.sid]
    assert row["name"].startswith("佐藤"), row  # not B's later surname
    # an auditor with a claim on school A reads the child as A holds them
    audited = api.get(f"/v1/students/{s.sid}/forms/cumulative-record?{wait}", caller(api, "auditor-a", s)).json()
    assert audited["form1"] == record["form1"]
    assert api.get(f"/v1/students/{s.sid}", caller(api, "auditor-a", s)).json() == summary
    history = api.get(f"/v1/students/{s.sid}/history", a).json()
    assert "IdentityDetailsChanged" not in [e["type"] for e in history]
    assert [e["type"] for e in history if e["type"] == "StudentHandedOver"] == ["StudentHandedOver"]
    # ...while B reads its own: the new surname, A's year as the copy.
    b = caller(api, "b-principal", s)
    now = api.ledger.student(s.sid).identity
    assert api.get(f"/v1/students/{s.sid}", b).json()["name"] == f"{now.family_name} {now.given_name}"
    theirs = api.get(f"/v1/students/{s.sid}/forms/cumulative-record?{wait}", b).json()
    assert [(r["school_code"], r["source"]) for r in theirs["form2"]] == [(A, "copy"), (B, "original")]


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_school_in_the_middle_of_there_and_back_reads_the_first_period_as_the_copy_and_not_the_return(
        request: pytest.FixtureRequest, backend: str) -> None:
    api, scenarios = scenarios_of(request, backend)
    s = scenarios["back"]
    wait = f"wait_for={api.ledger.position()}"
    b = api.get(f"/v1/students/{s.sid}/forms/cumulative-record?{wait}", caller(api, "b-principal", s)).json()
    rows = {(r["school_code"], r["source"]): r["attendance"][0] for r in b["form2"]}
    assert set(rows) == {(A, "copy"), (B, "original")}
    # A's row, as B received it, ends when the child came to B: A's days after the return are not in it
    assert rows[(A, "copy")]["school_days"] == len([d for d in SCHOOL_DAYS if d < date(2026, 6, 8)])
    a = api.get(f"/v1/students/{s.sid}/forms/cumulative-record?{wait}", caller(api, "a-principal", s)).json()
    assert {(r["school_code"], r["source"]) for r in a["form2"]} == {(A, "original"), (B, "copy")}


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_refused_correction_of_the_sending_schools_days_leaves_its_totals_as_they_were(
        request: pytest.FixtureRequest, backend: str) -> None:
    api, scenarios = scenarios_of(request, backend)
    s = scenarios["transfer"]
    marks = api.ledger.attendance_history(uuid.UUID(s.sid), s.a_day)
    for who in ("b-principal", "b-homeroom"):
        method, path, body = _correct_mark(lambda s: s.a_day)(api, s) or ("", "", None)
        answer = problem_of(api.call(method, path, caller(api, who, s), body), 403)
        assert (answer["rule"], answer["field"]) == ("outside-custody", "date")
    assert api.ledger.attendance_history(uuid.UUID(s.sid), s.a_day) == marks
