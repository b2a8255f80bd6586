"""Many single writes at once through a real HTTP server, on both backends (ADR 0040).

The app runs under uvicorn in a thread of this process with its lifespan, as `gakuseki serve` runs
it: the assessment route hands its write to the app's writer (api/writer.py, ADR 0054), and the
writes that arrive together are saved by one group commit (domain/group_commit.py); the synchronous
handlers run in the server's own pool of ``HANDLER_THREADS`` threads.

What is promised: the writes that arrive together are saved in one transaction, however many (the
event loop's default pool of cores + 4 threads once capped a group commit at 6 writes on two cores);
every write answered 201 is in the log exactly once, in a transaction that ends at the position its
receipt names; a write refused 409 (another write to the same stream was saved first) left nothing.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest

from api.app import HANDLER_THREADS, create_app
from api.auth import Verifier
from api.context import services
from api.devkeys import AUDIENCE, DEV_ISSUER, DevKey
from api.writer import WRITER_THREADS, Writer
from domain import streams
from domain.assessment import AssessmentRecorded
from domain.backend import Backend
from domain.ledger import Ledger
from tests.api.conftest import uvicorn_serving
from tests.builders import ELEMENTARY, YEAR, class_with_students, school_with_calendar
from tests.conftest import Clock

STUDENTS = 40
CLIENTS = 32
AT_ONCE = 16  # writes held in their handlers until all of them are there (more than cores + 4)


@dataclass
class Server:
    url: str
    ledger: Ledger
    students: list[str]
    headers: dict[str, str]
    writer: Writer


@pytest.fixture
def server(backend: Backend, clock: Clock, tmp_path: Path) -> Iterator[Server]:
    ledger = Ledger.open(backend, clock=clock)  # closed by the app's shutdown
    school_with_calendar(ledger, ELEMENTARY)
    students = [str(s) for s in class_with_students(ledger, ELEMENTARY, count=STUDENTS)]
    key = DevKey.load_or_create(tmp_path / "dev-key.pem")
    app = create_app(ledger, backend, Verifier(key.jwks(), issuer=DEV_ISSUER, audience=AUDIENCE))
    token = key.token("P-0001", [{"role": "principal", "school": ELEMENTARY}])
    with uvicorn_serving(app, lifespan="on") as url:
        yield Server(url, ledger, students, {"Authorization": f"Bearer {token}"}, services(app.state).writer)


def assessment(subject: str, term: int) -> dict[str, Any]:
    return {"year": YEAR, "subject": subject, "term": term, "assessed_on": "2026-07-17",
            "viewpoints": {"knowledge": "A", "thinking": "B", "attitude": "B"}}


def post_all(server: Server, calls: list[tuple[str, dict[str, Any]]],
             clients: int) -> list[tuple[str, dict[str, Any], httpx.Response]]:
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    with httpx.Client(base_url=server.url, timeout=60, limits=limits) as client, \
            ThreadPoolExecutor(max_workers=clients) as pool:
        def send(call: tuple[str, dict[str, Any]]) -> tuple[str, dict[str, Any], httpx.Response]:
            sid, body = call
            return sid, body, client.post(f"/v1/students/{sid}/assessments", json=body, headers=server.headers)

        return list(pool.map(send, calls))


def test_writes_that_arrive_together_are_saved_together(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each writer thread's first write holds it, just before its save, until all AT_ONCE writes were
    handed to the writer: the rest queue behind them and are read, decided and saved in one more round
    (api/writer.py, ADR 0054): at most one transaction per writer thread and one more for AT_ONCE
    writes, every write answered 201."""
    record = server.ledger.record
    received = server.writer.received

    def together(events: Any, **kwargs: Any) -> Any:
        deadline = time.monotonic() + 30
        while server.writer.received - received < AT_ONCE and time.monotonic() < deadline:
            time.sleep(0.005)
        return record(events, **kwargs)

    monkeypatch.setattr(server.ledger, "record", together)
    batches = server.ledger.group_commit.batches
    answers = post_all(server, [(sid, assessment("japanese", 1)) for sid in server.students[:AT_ONCE]], AT_ONCE)
    assert [r.status_code for _, _, r in answers] == [201] * AT_ONCE, [r.text for _, _, r in answers]
    assert server.ledger.group_commit.batches - batches <= WRITER_THREADS + 1
    positions = Counter(r.json()["position"] for _, _, r in answers)  # a receipt names its transaction's end
    assert len(positions) <= WRITER_THREADS + 1
    assert sum(positions.values()) == AT_ONCE


def test_the_other_sync_handlers_still_run_in_more_threads_than_cores_plus_four(server: Server) -> None:
    """The handlers still run in threads (reads, and the writes not yet run by the writer) run in the
    server's own pool, not the default one of cores + 4 (ADR 0040)."""
    assert HANDLER_THREADS >= AT_ONCE
    seen: set[str] = set()
    barrier = threading.Barrier(AT_ONCE)
    with httpx.Client(base_url=server.url, timeout=60) as client, ThreadPoolExecutor(max_workers=AT_ONCE) as pool:
        original = server.ledger.position

        def held() -> int:
            seen.add(threading.current_thread().name)
            barrier.wait(timeout=30)
            return original()

        server.ledger.position = held  # type: ignore[method-assign]
        try:
            answers = list(pool.map(lambda _: client.get("/health", headers=server.headers), range(AT_ONCE)))
        finally:
            del server.ledger.position
    # a broken barrier would have made the ledger "unavailable" (no position) for those that waited
    assert all(r.json()["position"] is not None for r in answers), [r.text for r in answers]
    assert len(seen) == AT_ONCE


def test_every_acknowledged_write_is_in_the_log_exactly_once(server: Server) -> None:
    """Writes from 32 clients at once, two of them at a time to each child's assessments of the year
    (so some race on one stream and are refused 409): every 201 is in the log once, in the transaction
    its receipt names; every 409 left nothing; nothing else was recorded."""
    ledger = server.ledger
    before = ledger.position()
    subjects = ("japanese", "arithmetic", "music", "physical_education")
    calls = [(sid, assessment(subject, term)) for term in (1, 2) for subject in subjects
             for sid in server.students]  # the two terms of a subject to one child: neighbours in time
    answers = post_all(server, calls, CLIENTS)
    statuses = Counter(r.status_code for _, _, r in answers)
    assert set(statuses) <= {201, 409}, statuses
    for _, _, r in answers:
        if r.status_code == 409:
            assert r.json()["type"] == "/problems/concurrency-conflict", r.text

    recorded = [(position, event) for position, event in ledger.events_in_streams(
        [streams.assessments(UUID(sid), YEAR) for sid in server.students]) if position > before]
    everything = ledger.recorder.select_notifications(start=before, limit=10_000, inclusive_of_start=False)
    assert len(recorded) == statuses[201] == len(everything)  # (positions may have gaps on PostgreSQL)
    found = Counter((str(e.student_id), e.subject, e.term) for _, e in recorded if isinstance(e, AssessmentRecorded))
    assert len(found) == len(recorded)
    assert set(found.values()) == {1}
    where = {(str(e.student_id), e.subject, e.term): position for position, e in recorded
             if isinstance(e, AssessmentRecorded)}
    for sid, body, r in answers:
        key = (sid, body["subject"], body["term"])
        if r.status_code == 409:
            assert key not in where, key
            continue
        receipt = r.json()
        assert receipt["stream_id"] == str(streams.assessments(UUID(sid), YEAR))
        assert receipt["events"] == 1
        assert where[key] <= receipt["position"] == ledger.transaction_end(where[key])
    for sid in server.students:  # each child's stream has no gap: versions 1, 2, ... in log order
        versions = [e.originator_version for e in ledger.stream(streams.assessments(UUID(sid), YEAR))]
        assert versions == list(range(1, len(versions) + 1))
