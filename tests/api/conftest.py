"""The HTTP API under test: a TestClient over create_app with a development key, and a small world.

The world (``seed``): board 312011 with two elementary schools (A, B) and another board with one
(C), each with its principal, its 2026 calendar and class 1-1 with students; school A also has
class 1-2 (another homeroom teacher). Tokens for any role are made with ``Api.token``; fresh
classes, students and years for a test are made through the Ledger directly (``Api.fresh_*``).
"""

from __future__ import annotations

import itertools
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from litestar import Litestar
from litestar.testing import TestClient

from api.app import create_app
from api.auth import Verifier
from api.devkeys import AUDIENCE, DEV_ISSUER, DevKey
from domain.backend import Backend
from domain.ledger import Ledger
from migrations.apply import apply
from tests.builders import BOARD, ELEMENTARY, OTHER_ELEMENTARY, SCHOOL_DAYS, TERMS, YEAR, identity, weekdays
from tests.conftest import Clock

A, B, C = ELEMENTARY, OTHER_ELEMENTARY, "B132220000010"  # C: an elementary school of another board
OTHER_BOARD = "322016"
MISSING_SCHOOL = "B131220009998"  # well-formed, never registered
STAFF = {  # the staff id each role's token carries unless a test says otherwise
    "homeroom_teacher": "T-0001", "subject_teacher": "T-0101", "nurse": "N-0001", "registrar": "R-0001",
    "principal": "P-0001", "board": "E-0001", "auditor": "AU-0001", "operator": "OP-0001",
}
ROLES = tuple(STAFF)
FORMED_ON = date(2026, 4, 6)

HEALTH: dict[str, Any] = {  # a grade-1 health examination: hearing and the ECG are required
    "height_cm": "116.7", "weight_kg": "21.8", "nutrition": "normal",
    "vision": {"right_naked": "A", "left_naked": "A"}, "urine_protein": "-", "urine_sugar": "-",
    "hearing_right": "normal", "hearing_left": "normal", "heart_ecg": "異常なし",
}
DENTAL: dict[str, Any] = {"jaw": 0, "bite": 0, "plaque": 1, "gums": 0, "teeth": {"UR6": "/", "LLA": "C", "ULA": "/"}}
VIEWPOINTS = {"knowledge": "A", "thinking": "B", "attitude": "B"}


@dataclass(frozen=True)
class School:
    code: str
    board: str
    principal: str  # staff id of the appointed principal
    homeroom: str  # homeroom teacher of class 1-1
    students: tuple[str, ...]  # of class 1-1, by 出席番号


@dataclass(frozen=True)
class Klass:
    school: str
    grade: int
    name: str
    homeroom: str
    students: tuple[str, ...]

    @property
    def key(self) -> str:
        return f"{YEAR}/{self.grade}/{self.name}"


def key_of(grade: int, name: str, year: int = YEAR) -> str:
    return f"{year}/{grade}/{name}"


def calendar_body(year: int) -> dict[str, Any]:
    """A small valid calendar of a school year: three terms and April's weekdays as school days."""
    return {
        "terms": [{"number": 1, "starts_on": f"{year}-04-06", "ends_on": f"{year}-07-20"},
                  {"number": 2, "starts_on": f"{year}-09-01", "ends_on": f"{year}-12-24"},
                  {"number": 3, "starts_on": f"{year + 1}-01-07", "ends_on": f"{year + 1}-03-24"}],
        "instructional_days": [d.isoformat() for d in weekdays(date(year, 4, 6), date(year, 4, 30))],
        "closures": [],
    }


def _school(ledger: Ledger, code: str, board: str, name: str, principal: str, homeroom: str,
            count: int) -> School:
    ledger.register_school(code, name, board, "鳥取県鳥取市", recorded_by="admin")
    ledger.appoint_principal(code, principal, "田中 一郎", on=date(2026, 4, 1), recorded_by="admin")
    ledger.set_calendar(code, YEAR, terms=TERMS, instructional_days=SCHOOL_DAYS, recorded_by="admin")
    ledger.form_class(code, YEAR, 1, "1", homeroom_teacher_id=homeroom, homeroom_teacher_name="山田 花子",
                      on=FORMED_ON, recorded_by="admin")
    students = tuple(
        str(ledger.admit_student(code, YEAR, 1, "1", n, identity(n), admitted_on=FORMED_ON, recorded_by="R-0001",
                                 different_child=True)
            .stream_id) for n in range(1, count + 1))
    return School(code, board, principal, homeroom, students)


def seed(ledger: Ledger) -> dict[str, School]:
    schools = {
        "A": _school(ledger, A, BOARD, "鳥取市立みどり小学校", "P-0001", "T-0001", 3),
        "B": _school(ledger, B, BOARD, "鳥取市立みずうみ小学校", "P-0002", "T-0003", 2),
        "C": _school(ledger, C, OTHER_BOARD, "松江市立あおば小学校", "P-0003", "T-0004", 2),
    }
    ledger.form_class(A, YEAR, 1, "2", homeroom_teacher_id="T-0002", homeroom_teacher_name="鈴木 次郎",
                      on=FORMED_ON, recorded_by="admin")
    ledger.admit_student(A, YEAR, 1, "2", 1, identity(9), admitted_on=FORMED_ON, recorded_by="R-0001")
    return schools


@dataclass
class Api:
    """The client, the ledger behind it, the signing key and the seeded world."""

    client: TestClient[Any]
    ledger: Ledger
    backend: Backend
    key: DevKey
    schools: dict[str, School]
    _names: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    _years: Iterator[int] = field(default_factory=lambda: itertools.count(2030))

    @property
    def services(self) -> Any:
        """The app's services (its signing key, forms, ledger): for tests that need the server's own parts."""
        return self.client.app.state["services"]

    # ------------------------------------------------------------ tokens

    def token(self, role: str, school: str | None = A, *, staff: str | None = None, board: str = BOARD,
              classes: tuple[str, ...] | list[str] = (), subjects: tuple[str, ...] | list[str] = (),
              mfa: bool = True) -> str:
        """A token of one role: scoped to ``school`` (teachers also to classes and subjects), a board
        to ``board``; auditors and operators to nothing."""
        grant: dict[str, Any] = {"role": role}
        if role == "board":
            grant["board"] = board
        elif role not in ("auditor", "operator"):
            grant["school"] = school
            if classes:
                grant["classes"] = list(classes)
            if subjects:
                grant["subjects"] = list(subjects)
        return self.key.token(staff or STAFF[role], [grant], mfa=mfa)

    def auth(self, role: str, school: str | None = A, **kwargs: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(role, school, **kwargs)}"}

    def bearer(self, token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    # ------------------------------------------------------------ requests

    def call(self, method: str, path: str, headers: dict[str, str], body: Any = None) -> httpx.Response:
        if body is None and method == "GET":
            return self.client.request(method, path, headers=headers)
        return self.client.request(method, path, headers=headers, json=body if body is not None else {})

    def get(self, path: str, headers: dict[str, str]) -> httpx.Response:
        return self.client.get(path, headers=headers)

    def post(self, path: str, body: Any, headers: dict[str, str]) -> httpx.Response:
        return self.client.post(path, json=body, headers=headers)

    def put(self, path: str, body: Any, headers: dict[str, str]) -> httpx.Response:
        return self.client.put(path, json=body, headers=headers)

    # ------------------------------------------------------------ fresh objects, through the ledger

    def fresh_name(self) -> str:
        return f"k{next(self._names)}"

    def fresh_class(self, school: str = A, *, grade: int = 1, homeroom: str = "T-0009", students: int = 1,
                    formed: bool = True) -> Klass:
        """A class of its own for one test (``formed=False``: only its name, not yet formed)."""
        name = self.fresh_name()
        if not formed:
            return Klass(school, grade, name, homeroom, ())
        self.ledger.form_class(school, YEAR, grade, name, homeroom_teacher_id=homeroom,
                               homeroom_teacher_name="山田 花子", on=FORMED_ON, recorded_by="admin")
        ids = []
        for n in range(1, students + 1):
            receipt = self.ledger.admit_student(
                school, YEAR, grade, name, n, identity(n, birth_date=f"{2019 - grade + 1}-06-01"),
                admitted_on=FORMED_ON, admission_kind="entrance" if grade == 1 else "admission",
                reason="" if grade == 1 else "市外からの転居に伴う編入学", recorded_by="R-0001",
                different_child=True)  # identity(n) again in every fresh class: each is another child
            ids.append(str(receipt.stream_id))
        return Klass(school, grade, name, homeroom, tuple(ids))

    def fresh_student(self, school: str = A, *, grade: int = 1, homeroom: str = "T-0009") -> tuple[Klass, str]:
        klass = self.fresh_class(school, grade=grade, homeroom=homeroom)
        return klass, klass.students[0]

    def fresh_school(self, *, board: str = BOARD, students: int = 2) -> School:
        """A school of its own (principal, 2026 calendar, class 1-1 with students), for tests that seal a year."""
        n = next(self._names)
        code = f"B1312200{n:04d}9"
        return _school(self.ledger, code, board, f"鳥取市立第{n}小学校", f"P-{n:04d}", f"T-{n:04d}", students)

    def fresh_year(self, school: str, *, calendar: bool = True) -> int:
        """A school year no other test uses; with its calendar set unless told otherwise."""
        year = next(self._years)
        if calendar:
            body = calendar_body(year)
            self.ledger.set_calendar(school, year, terms=body["terms"],
                                     instructional_days=[date.fromisoformat(d) for d in body["instructional_days"]],
                                     recorded_by="admin")
        return year

    def roll(self, klass: Klass, on: date) -> None:
        self.ledger.record_roll(klass.school, YEAR, klass.grade, klass.name, on=on,
                                marks=[(s, {"code": "present"}) for s in klass.students], recorded_by="admin")


@contextmanager
def serve(ledger: Ledger, backend: Backend, key_dir: Path) -> Iterator[Api]:
    """Seed the world in ``ledger`` and serve the API over it, trusting a development key in ``key_dir``."""
    schools = seed(ledger)
    key = DevKey.load_or_create(key_dir / "dev-key.pem")
    # The alert process (ADR 0042) is left to the tests that need it (tests/api/test_alerts.py runs it by
    # hand): many tests count the events a request recorded, and it records events of its own.
    app = create_app(ledger, backend, Verifier(key.jwks(), issuer=DEV_ISSUER, audience=AUDIENCE),
                     run_projections=True, raise_alerts=False)
    with TestClient(app=app) as client:
        yield Api(client, ledger, backend, key, schools)


@contextmanager
def uvicorn_serving(app: Litestar, *, lifespan: str = "off", start_timeout: float = 30.0,
                    **options: Any) -> Iterator[str]:
    """The app served by uvicorn in a thread of this process on a free port, so requests really overlap
    (``lifespan="on"``: with its startup and shutdown, as `gakuseki serve` runs it); yields its base URL.
    ``options``: more of uvicorn's settings (its access log, its protocol class, ...)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    uv = uvicorn.Server(uvicorn.Config(app, lifespan=lifespan, **{"log_level": "warning", "limit_concurrency": 1000,
                                                                   **options}))
    thread = threading.Thread(target=uv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + start_timeout
    while not uv.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        uv.should_exit = True
        thread.join(timeout=30)
        sock.close()


@contextmanager
def served_ledger(backend: Backend, key_dir: Path) -> Iterator[Api]:
    """A ledger of its own over an already migrated backend (for module-scoped worlds)."""
    ledger = Ledger.open(backend, clock=Clock())
    try:
        with serve(ledger, backend, key_dir) as api:
            yield api
    finally:
        ledger.close()


@pytest.fixture
def api(backend: Backend, ledger: Ledger, tmp_path: Path) -> Iterator[Api]:
    """The API over a freshly seeded ledger, once on SQLite and once on PostgreSQL."""
    with serve(ledger, backend, tmp_path) as served:
        yield served


@pytest.fixture(scope="module")
def sqlite_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """One seeded SQLite world for a whole module; tests make fresh objects instead of sharing state."""
    directory = tmp_path_factory.mktemp("api-world")
    backend = Backend.from_url(f"sqlite:///{directory}/ledger.sqlite3")
    apply(backend)
    with served_ledger(backend, directory) as served:
        yield served


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def world(request: pytest.FixtureRequest) -> Api:
    """The module's world, once on SQLite and once on PostgreSQL (seeded once per module and backend)."""
    world: Api = request.getfixturevalue(f"{request.param}_world")
    return world


@pytest.fixture(scope="module")
def postgres_world(postgres_database: Backend, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """The same on PostgreSQL: a schema of this module's own, migrated and seeded once."""
    backend = Backend.from_url(postgres_database.url.split("?")[0] + f"?schema=api_{uuid.uuid4().hex[:8]}")
    apply(backend)
    with served_ledger(backend, tmp_path_factory.mktemp("api-pg-world")) as served:
        yield served


def problem_of(response: httpx.Response, status: int) -> dict[str, Any]:
    """The problem+json body of a refusal, after checking its status and media type."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json"), response.headers
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["type"].startswith("/problems/")
    return body


def school_day_has_come(api: Api, day: date) -> None:
    """Move the world's clock (never back) to 18:00 in Japan on ``day``: the forms count the school
    days up to the day it is at the read (ADR 0024)."""
    clock = api.ledger.clock
    assert isinstance(clock, Clock)
    clock.current = max(clock.current, datetime(day.year, day.month, day.day, 9, tzinfo=UTC))
