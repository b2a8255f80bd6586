"""The live OpenAPI is the contract: schemathesis generates requests from it and checks every answer.

The app is seeded with two schools of board 312011 (calendars, a class each, students) and
requests go out as one of three callers in turn: the principal of either school, or an auditor
(who reads the feeds). Path and body parameters draw from the seeded ids and values some of the
time, and the request-body examples of the OpenAPI name the seeded school, so generated requests
reach real records as well as missing ones. The seed is fixed and generation deterministic; the
examples, coverage, fuzzing and stateful phases all run (coverage on SQLite only).

At least 3,000 requests go out on SQLite (and some hundreds more on PostgreSQL), among them integers
beyond their bounds and values of the wrong type: each must be answered 400 (ADR 0023), and the run
checks that both kinds were sent and refused.

The bar: no response >= 500, none that breaks its documented schema, status code, content type
or headers, auth enforced wherever it is declared, and no principal of one school ever getting a
record of the other. Two checks cover the last: our own replays every 2xx a principal gets with
the other school's principal, who must get 404 (the answer for a record that does not exist);
schemathesis's object-level authorization check, given the two principals as peers, replays a
peer's successful read of what that peer created (in a stateful chain) as the other peer.
"""

from __future__ import annotations

import itertools
import math
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from unittest import mock
from uuid import UUID

import pytest
import schemathesis
from hypothesis.internal.cache import LRUCache
from hypothesis.internal.conjecture import providers
from hypothesis.internal.constants_ast import Constants
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import events, from_schema
from schemathesis.python import asgi
from schemathesis.wfc.escalation import EscalatingAuthProvider

from api.app import create_app
from api.auth import Verifier
from api.devkeys import AUDIENCE, DEV_ISSUER, DevKey
from domain.backend import Backend
from domain.ledger import Ledger
from tests.builders import BOARD, ELEMENTARY, OTHER_ELEMENTARY, YEAR, class_with_students, school_with_calendar
from tests.conftest import Clock

# A schema change changes what a fixed seed generates; the peer-probe assertion below says when a seed
# no longer reaches a stateful chain (20260406 stopped reaching one when the forms' new fields came, 20261206
# when the transparency routes came).
SEED = 20261207
STUDENTS_PER_SCHOOL = 6
FEEDS = ("/log", "/access-log", "/history")


@dataclass(frozen=True)
class Callers:
    """Bearer tokens of the principals of the two schools and of an auditor."""

    a: str
    b: str
    auditor: str

    def other_school(self, token: str) -> str | None:
        return {self.a: self.b, self.b: self.a}.get(token)


@dataclass
class Counting:
    """The app behind an ASGI wrapper that counts every answer it gives (the schema fetch aside)."""

    app: Any
    statuses: Counter[int] = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)
    refusals: Counter[str] = field(default_factory=Counter)  # 400s for an integer out of bounds, a wrong type

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/schema"):
            await self.app(scope, receive, send)
            return

        async def counted(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                self.statuses[message["status"]] += 1
                if message["status"] >= 500:
                    self.server_errors.append(f"{scope['method']} {scope['path']} -> {message['status']}")
            elif message["type"] == "http.response.body":
                body = message.get("body", b"")
                if b'"rule":"out-of-range"' in body:
                    self.refusals["out-of-range"] += 1
                if b'"status":400' in body and re.search(rb"Expected `[a-z]+`, got `(str|float|bool|array|object)`",
                                                         body):
                    self.refusals["wrong-type"] += 1
            await send(message)

        await self.app(scope, receive, counted)


@dataclass
class CrossSchool:
    """State of the cross-school check during one run: the app to replay against and the callers."""

    app: Any
    callers: Callers
    replays: int = 0
    client: Any = None

    def replay(self, request: Any, token: str) -> Any:
        if self.client is None:
            self.client = asgi.get_client(self.app)
        headers = {k: v for k, v in request.headers.items() if k.lower() not in ("content-length", "host")}
        headers["Authorization"] = f"Bearer {token}"
        self.replays += 1
        return self.client.request(request.method, request.url, headers=headers, data=request.body)


CROSS_SCHOOL: list[CrossSchool] = []  # the run in progress, if any


@schemathesis.check
def other_school_gets_not_found(ctx: Any, response: Any, case: Any) -> bool | None:
    """A principal's 2xx, replayed with the other school's principal, must be 404 as for no record at all."""
    if not CROSS_SCHOOL or not 200 <= response.status_code < 300 or not case.path.startswith("/v1/") \
            or response.request.method not in ("GET", "PUT", "POST"):  # OPTIONS answers 204 to anyone
        return None
    cross = CROSS_SCHOOL[-1]
    sent = response.request.headers.get("Authorization", "").removeprefix("Bearer ")
    other = cross.callers.other_school(sent)
    if other is None:
        return None
    answer = cross.replay(response.request, other)
    if answer.status_code != 404 or answer.headers.get("content-type") != "application/problem+json":
        raise AssertionError(f"{case.method} {response.request.url}: {response.status_code} for its own school's "
                             f"principal, {answer.status_code} for the other school's (expected 404 problem)")
    return None


class Bearer:
    """One caller's credentials."""

    def __init__(self, token: str) -> None:
        self.token = token

    def get(self, case: Any, ctx: Any) -> str:
        return self.token

    def set(self, case: Any, data: str, ctx: Any) -> None:
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


class Identities(EscalatingAuthProvider):
    """The three callers in turn, named, with the two principals as peers.

    Writes go out as either principal; reads as either principal or the auditor (the auditor first
    on the feeds); the steps of a stateful chain all as the principal of school A. Schemathesis's
    object-level authorization check takes its peers from this provider: it replays a peer's
    successful read of what that peer created as the other peer.
    The escalation of the base class (moving an operation to the next identity after a 401/403)
    is off: which caller sends what is decided here, deterministically.
    """

    def __init__(self, tokens: Callers) -> None:
        super().__init__([Bearer(tokens.a), Bearer(tokens.b), Bearer(tokens.auditor)],
                         ["principal-a", "principal-b", "auditor"], peers=("principal-a", "principal-b"))
        self.turn = itertools.count()
        self.chosen: dict[str, int] = {}

    def _pick(self, case: Any) -> str:
        n = next(self.turn)
        if case.meta is not None and case.meta.phase.name.value == "stateful":
            return "principal-a"  # a chain of steps is one caller's: what A creates, A must find
        if case.path.endswith(FEEDS):
            return ("auditor", "principal-a", "principal-b")[n % 3]
        if case.method == "GET":
            return ("principal-a", "principal-b", "auditor")[n % 3]
        return ("principal-a", "principal-b")[n % 2]

    def get(self, case: Any, context: Any) -> Any:
        index = self.names.index(self._pick(case))
        self.chosen[case.id] = index
        return self.providers[index].get(case, context)

    def set(self, case: Any, data: Any, context: Any) -> None:
        index = self.chosen.pop(case.id, 0)
        case._auth_identity = self.names[index]
        self.providers[index].set(case, data, context)

    def record(self, label: str, identity: str | None, status_code: int) -> None:
        return None  # no escalation

    def probed(self) -> set[tuple[str, ...]]:
        with self._lock:
            return set(self._probed)


def seed(ledger: Ledger) -> dict[str, list[str]]:
    """Two schools of one board, each with a calendar and a class of students."""
    ids: dict[str, list[str]] = {}
    for code, name in ((ELEMENTARY, "鳥取市立みどり小学校"), (OTHER_ELEMENTARY, "鳥取市立あおば小学校")):
        school_with_calendar(ledger, code, name=name)
        ids[code] = [str(s) for s in class_with_students(ledger, code, count=STUDENTS_PER_SCHOOL)]
    return ids


def sequential_ids() -> Callable[[], UUID]:
    counter = itertools.count(1)
    return lambda: UUID(int=(0x5EED << 96) + next(counter), version=4)


def callers(tmp_path: Path) -> tuple[Callers, Verifier]:
    key = DevKey.load_or_create(tmp_path / "dev-key.pem")
    tokens = Callers(
        a=key.token("P-A", [{"role": "principal", "school": ELEMENTARY}]),
        b=key.token("P-B", [{"role": "principal", "school": OTHER_ELEMENTARY}]),
        auditor=key.token("AUD-1", [{"role": "auditor", "board": BOARD}]),
    )
    return tokens, Verifier(key.jwks(), issuer=DEV_ISSUER, audience=AUDIENCE)


def config(ids: dict[str, list[str]], *, max_examples: int, coverage: bool) -> SchemathesisConfig:
    students = ids[ELEMENTARY] + ids[OTHER_ELEMENTARY]
    days = [date(2026, 4, d).isoformat() for d in (7, 8, 9, 10, 13)]
    real = 0.6  # how often a parameter takes a seeded value rather than a generated one
    return SchemathesisConfig.from_dict({
        "seed": SEED,
        "cache": {"enabled": False},
        "dictionaries": {
            "students": {"values": students},
            "schools": {"values": [ELEMENTARY, OTHER_ELEMENTARY]},
            "years": {"values": [YEAR]},
            "grades": {"values": [1]},
            "classes": {"values": ["1"]},
            "days": {"values": days},
            "subjects": {"values": ["japanese", "arithmetic", "music"]},
            "abc": {"values": ["A", "B", "C"]},
            "marks": {"values": ["present", "late", "absent_illness"]},
            "kana": {"values": ["さとう", "はると", "たなか"]},
            "sexes": {"values": ["male", "female"]},
            "births": {"values": ["2019-06-01", "2019-11-30"]},
            "kinds": {"values": ["entrance"]},
            "numbers": {"values": [21, 22, 23, 24, 25]},
            "given": {"values": [f"陽翔{n}" for n in range(100, 200)]},
        },
        "parameters": {
            "path.student_id": {"dictionary": "students", "probability": real},
            "path.school_code": {"dictionary": "schools", "probability": real},
            "path.year": {"dictionary": "years", "probability": real},
            "path.grade": {"dictionary": "grades", "probability": real},
            "path.name": {"dictionary": "classes", "probability": real},
            "query.student_id": {"dictionary": "students", "probability": real},
            "body.school_code": {"dictionary": "schools", "probability": real},
            "body.year": {"dictionary": "years", "probability": real},
            "body.grade": {"dictionary": "grades", "probability": real},
            "body.class_name": {"dictionary": "classes", "probability": real},
            "body.date": {"dictionary": "days", "probability": real},
            "body.on": {"dictionary": "days", "probability": real},
            "body.assessed_on": {"dictionary": "days", "probability": real},
            "body.examined_on": {"dictionary": "days", "probability": real},
            "body.subject": {"dictionary": "subjects", "probability": real},
            "body.viewpoints.knowledge": {"dictionary": "abc", "probability": real},
            "body.viewpoints.thinking": {"dictionary": "abc", "probability": real},
            "body.viewpoints.attitude": {"dictionary": "abc", "probability": real},
            "body.mark.code": {"dictionary": "marks", "probability": real},
            "body.marks[*].code": {"dictionary": "marks", "probability": real},
            "body.identity.family_name_kana": {"dictionary": "kana", "probability": real},
            "body.identity.given_name_kana": {"dictionary": "kana", "probability": real},
            "body.identity.sex": {"dictionary": "sexes", "probability": real},
            "body.identity.birth_date": {"dictionary": "births", "probability": real},
            "body.admission_kind": {"dictionary": "kinds", "probability": real},
            "body.admitted_on": {"dictionary": "days", "probability": real},
            "body.number": {"dictionary": "numbers", "probability": real},
            # The examples would admit one child again and again (409 possible-duplicate): other names.
            "body.identity.given_name": {"dictionary": "given", "probability": 0.9},
            "body.marks[*].student_id": {"dictionary": "students", "probability": real},
        },
        # A seal of the seeded year would refuse every later write of it: seal the next year instead.
        "operations": [{"include-path": "/v1/schools/{school_code}/years/{year}/seal",
                        "parameters": {"path.year": YEAR + 1}}],
        "generation": {"deterministic": True, "mode": "all", "max-examples": max_examples},
        "checks": {
            # 422 is a rule of the register refusing a well-formed request (a class not formed, a day
            # outside the school year): data the schema cannot tell from data the ledger accepts.
            "positive_data_acceptance": {"expected-statuses": ["2xx", "401", "403", "404", "409", "422"]},
        },
        "phases": {"coverage": {"enabled": coverage}, "stateful": {"enabled": True, "max-steps": 10}},
    })


@dataclass
class Outcome:
    requests: int
    statuses: Counter[int]
    server_errors: list[str]
    failures: list[str]
    errors: list[str]
    checks: Counter[str]
    replays: int
    peer_probes: list[tuple[str, ...]]  # what schemathesis's object-level authorization check replayed as a peer
    seconds: float
    refusals: Counter[str]  # 400 out-of-range and 400 wrong-type answers

    def summary(self) -> str:
        return (f"{self.requests} requests in {self.seconds:.1f} s; statuses {dict(sorted(self.statuses.items()))}; "
                f"{self.replays} cross-school replays; peer probes {self.peer_probes}; refusals {dict(self.refusals)}; "
                f"checks {dict(sorted(self.checks.items()))}")


def run(ledger: Ledger, backend: Backend, tmp_path: Path, *, max_examples: int, coverage: bool) -> Outcome:
    ids = seed(ledger)
    tokens, verifier = callers(tmp_path)
    # No poller thread here: schemathesis drives the app without its lifespan, and a form's
    # wait_for catches the read models up in the request itself. So /health would rightly answer
    # 503 "stalled" once an event waited a minute of the test clock: no threshold here (ADR 0022).
    app = create_app(ledger, backend, verifier, stall_after=math.inf)
    counting = Counting(app)
    schema = schemathesis.openapi.from_asgi(
        "/schema/openapi.json", counting, config=config(ids, max_examples=max_examples, coverage=coverage))
    provider = Identities(tokens)
    schema.auth.providers.append(provider)
    cross = CrossSchool(app, tokens)
    CROSS_SCHOOL.append(cross)
    failures: list[str] = []
    errors: list[str] = []
    checks: Counter[str] = Counter()
    started = time.monotonic()
    try:
        with fixed_generation():
            for event in from_schema(schema).execute():
                if isinstance(event, events.ScenarioFinished):
                    for case_id, nodes in event.recorder.checks.items():
                        for node in nodes:
                            checks[node.name] += 1
                            if node.status.value == "failure":
                                failures.append(_failure(event.recorder, case_id, node))
                elif isinstance(event, events.NonFatalError):
                    errors.append(f"{event.label}: {event.value!r}")
                elif isinstance(event, events.FatalError):
                    errors.append(f"fatal: {event.exception!r}")
    finally:
        CROSS_SCHOOL.remove(cross)
        asgi.shutdown_lifespans()
    return Outcome(sum(counting.statuses.values()), counting.statuses, counting.server_errors, failures, errors,
                   checks, cross.replays, sorted(provider.probed()), time.monotonic() - started, counting.refusals)


@contextmanager
def fixed_generation() -> Iterator[None]:
    """Hypothesis mixes in literals from whatever local modules are imported (its "local constants"), so
    the same seed generates other data when more of the test suite is loaded: leave them out."""
    with mock.patch.object(providers, "_get_local_constants", Constants), \
            mock.patch.object(providers, "CONSTANTS_CACHE", LRUCache(1024)):
        yield


def _failure(recorder: Any, case_id: str, node: Any) -> str:
    info = node.failure_info
    interaction = recorder.interactions.get(case_id)
    answer = ""
    if interaction is not None and interaction.response is not None:
        answer = f"{interaction.response.status_code} {interaction.response.content[:400]!r}"
    if info is None:
        return f"{recorder.label}: {node.name} -> {answer}"
    return f"{recorder.label}: {node.name}: {info.failure.title}: {info.failure.message}\n  {info.code_sample}\n" \
           f"  -> {answer}"


def assert_clean(outcome: Outcome, *, at_least: int) -> None:
    print("\n" + outcome.summary())
    assert not outcome.server_errors, outcome.server_errors[:20]
    assert not outcome.errors, "\n".join(outcome.errors[:20])
    assert not outcome.failures, "\n\n".join(outcome.failures[:20])
    assert outcome.requests >= at_least, outcome.summary()
    assert outcome.replays > 0, "no principal got a 2xx to replay as the other school"
    # Integers beyond their bounds and values of the wrong type were sent, and each got its 400 (ADR 0023).
    assert outcome.refusals["out-of-range"] > 0, outcome.refusals
    assert outcome.refusals["wrong-type"] > 0, outcome.refusals
    for check in ("not_a_server_error", "status_code_conformance", "content_type_conformance",
                  "response_schema_conformance", "response_headers_conformance", "ignored_auth",
                  "other_school_gets_not_found"):
        assert outcome.checks[check] > 0, f"{check} never ran"


def test_generated_requests_keep_the_contract_on_sqlite(sqlite_backend: Backend, tmp_path: Path) -> None:
    ledger = Ledger.open(sqlite_backend, clock=Clock(), new_id=sequential_ids())
    try:
        outcome = run(ledger, sqlite_backend, tmp_path, max_examples=10, coverage=True)
    finally:
        ledger.close()
    assert_clean(outcome, at_least=3000)
    # The stateful chains admit a student as A and read it back: schemathesis then asks B for it.
    assert outcome.peer_probes, "schemathesis's object-level authorization check never probed a peer"


@pytest.mark.postgres
def test_generated_requests_keep_the_contract_on_postgres(postgres_backend: Backend, tmp_path: Path) -> None:
    ledger = Ledger.open(postgres_backend, clock=Clock(), new_id=sequential_ids())
    try:
        outcome = run(ledger, postgres_backend, tmp_path, max_examples=8, coverage=False)
    finally:
        ledger.close()
    assert_clean(outcome, at_least=300)
