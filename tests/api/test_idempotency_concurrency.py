"""Idempotency-Key under real concurrency, on both backends, against a real HTTP server.

The app runs under uvicorn in a thread of this process (the server `gakuseki serve` runs), so
requests really overlap: handlers run in worker threads against one ledger, as in production.

What is promised (api/idempotency.py, domain/storage/recorders.py):
- a write sent several times at once with one key records once; every 2xx for the key is the
  same answer, and any other answer is 409 ``request-in-flight`` (retry later);
- a retry after it is done gets the first answer back and records nothing;
- a request the register refuses (422) does not use up its key: nothing of it stays, so the same
  body is judged again (and refused again), and the key may then carry a corrected body;
- the key is marked done in the events' own transaction: when that transaction fails, neither
  the events nor the done key exist, and the key is free for the retry.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.app import create_app
from api.auth import Verifier
from api.devkeys import AUDIENCE, DEV_ISSUER, DevKey
from domain.backend import Backend
from domain.ledger import Ledger
from domain.storage import Tx, idempotency_keys, recorders
from tests.api.conftest import uvicorn_serving
from tests.builders import ELEMENTARY, YEAR, class_with_students, school_with_calendar

WRITES = 50
AT_ONCE = 4


@dataclass
class Server:
    url: str
    ledger: Ledger
    backend: Backend
    students: list[str]
    headers: dict[str, str]

    def events_after(self, position: int) -> int:
        return len(self.ledger.recorder.select_notifications(start=position, limit=10_000, inclusive_of_start=False))

    def key_rows(self, key: str, cursor: Any = None) -> list[tuple[Any, ...]]:
        """(state, status) of the key's row, through a cursor of its own or the given one."""
        if cursor is None:
            with self.ledger.storage.reading() as tx:
                return idempotency_keys.states(tx, key)
        return idempotency_keys.states(Tx(self.ledger.storage, cursor), key)


@pytest.fixture
def server(backend: Backend, open_ledger: Callable[[Backend], Ledger], tmp_path: Path) -> Iterator[Server]:
    """The app with a school of WRITES students, served by uvicorn on a free port."""
    ledger = open_ledger(backend)
    school_with_calendar(ledger, ELEMENTARY)
    students = [str(s) for s in class_with_students(ledger, ELEMENTARY, count=WRITES)]
    key = DevKey.load_or_create(tmp_path / "dev-key.pem")
    verifier = Verifier(key.jwks(), issuer=DEV_ISSUER, audience=AUDIENCE)
    app = create_app(ledger, backend, verifier)
    token = key.token("P-0001", [{"role": "principal", "school": ELEMENTARY}])
    with uvicorn_serving(app, start_timeout=10) as url:
        yield Server(url, ledger, backend, students, {"Authorization": f"Bearer {token}"})


def assessment(term: int = 1) -> dict[str, Any]:
    return {"year": YEAR, "subject": "japanese", "term": term, "assessed_on": "2026-07-17",
            "viewpoints": {"knowledge": "A", "thinking": "B", "attitude": "B"}}


def answer(response: httpx.Response) -> tuple[int, bytes]:
    return response.status_code, response.content


def test_a_write_sent_four_times_at_once_records_once(server: Server) -> None:
    before = server.ledger.position()
    requests = [(f"/v1/students/{sid}/assessments", f"assess-{n:02d}") for n, sid in enumerate(server.students)]
    barriers = {key: threading.Barrier(AT_ONCE) for _, key in requests}

    def send(client: httpx.Client, path: str, key: str) -> tuple[str, httpx.Response]:
        barriers[key].wait(timeout=30)  # the four copies of a key leave together
        return key, client.post(path, json=assessment(), headers={**server.headers, "Idempotency-Key": key})

    limits = httpx.Limits(max_connections=WRITES * AT_ONCE, max_keepalive_connections=WRITES * AT_ONCE)
    with httpx.Client(base_url=server.url, timeout=60, limits=limits) as client, \
            ThreadPoolExecutor(max_workers=WRITES * AT_ONCE) as pool:
        futures = [pool.submit(send, client, path, key) for path, key in requests for _ in range(AT_ONCE)]
        results = [f.result() for f in futures]

    by_key: dict[str, list[httpx.Response]] = {}
    for key, response in results:
        by_key.setdefault(key, []).append(response)
    first: dict[str, tuple[int, bytes]] = {}
    in_flight = 0
    for key, responses in by_key.items():
        done = {answer(r) for r in responses if r.is_success}
        assert len(done) == 1, f"{key}: the 2xx answers differ or there is none: {[answer(r) for r in responses]}"
        for r in responses:
            if not r.is_success:
                assert r.status_code == 409, f"{key}: {answer(r)}"
                assert r.headers["content-type"] == "application/problem+json"
                assert r.json()["rule"] == "request-in-flight"
                assert r.headers["retry-after"] == "1"  # when to ask again
                in_flight += 1
        first[key] = done.pop()
        assert first[key][0] == 201
    assert server.events_after(before) == WRITES
    print(f"\n{WRITES} keys x {AT_ONCE} at once on {server.backend.kind}: {in_flight} answered 409 in flight")

    # Once done, a retry of each key gets the first answer back and records nothing.
    position = server.ledger.position()
    with httpx.Client(base_url=server.url, timeout=30) as client:
        for path, key in requests:
            again = client.post(path, json=assessment(), headers={**server.headers, "Idempotency-Key": key})
            assert answer(again) == first[key]
    assert server.ledger.position() == position
    assert server.events_after(before) == WRITES


def test_a_refused_request_leaves_no_claim_behind(server: Server) -> None:
    """A 422 is not remembered: the same body is judged (and refused) again, and the key stays usable."""
    path = f"/v1/students/{server.students[0]}/assessments"
    headers = {**server.headers, "Idempotency-Key": "refused-then-fixed"}
    before = server.ledger.position()
    refused = {**assessment(term=1), "subject": "latin"}  # no subject of the register
    with httpx.Client(base_url=server.url, timeout=30) as client:
        first = client.post(path, json=refused, headers=headers)
        assert first.status_code == 422, first.text
        rule = first.json()["rule"]
        assert server.key_rows("refused-then-fixed") == []
        again = client.post(path, json=refused, headers=headers)
        assert (again.status_code, again.json()["rule"]) == (422, rule)
        assert server.ledger.position() == before
        fixed = client.post(path, json=assessment(term=1), headers=headers)
        assert fixed.status_code == 201, fixed.text
        assert server.key_rows("refused-then-fixed") == [("done", 201)]
        # From now on the key belongs to the accepted body: the refused one is another request.
        reused = client.post(path, json=refused, headers=headers)
        assert (reused.status_code, reused.json()["rule"]) == (422, "idempotency-key-reused")
    assert server.events_after(before) == 1


def test_the_done_key_and_the_events_commit_together(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    """The transaction that writes the events and marks the key done fails before commit: neither stays.

    On SQLite any exception in the transaction rolls it back. On PostgreSQL the failure is one of the
    database's own (a statement that fails after the key was marked done): the eventsourcing library
    ends its insert transaction without re-raising first, so only a failed transaction is rolled back.
    """
    path = f"/v1/students/{server.students[1]}/assessments"
    key = "fails-before-commit"
    seen_in_transaction: list[list[tuple[Any, ...]]] = []

    def failing(insert: Callable[..., Any]) -> Callable[..., Any]:
        def insert_then_fail(self: Any, cursor: Any, *args: Any, **kwargs: Any) -> Any:
            ids = insert(self, cursor, *args, **kwargs)  # the events, and the key marked done
            if not kwargs.get("completions"):  # (a group commit names the keys its writes complete)
                return ids
            seen_in_transaction.append(server.key_rows(key, cursor))
            if server.backend.kind == "sqlite":
                raise RuntimeError("the process died before commit")
            cursor.execute("SELECT 1 / 0")  # the database fails the transaction
            cursor.fetchall()
            raise AssertionError("unreachable")
        return insert_then_fail

    if server.backend.kind == "sqlite":
        monkeypatch.setattr(recorders.SQLiteRecorder, "_insert_events",
                            failing(recorders.SQLiteRecorder._insert_events))
    else:
        monkeypatch.setattr(recorders.PostgresRecorder, "_fetch_ids_after_insert_events",
                            failing(recorders.PostgresRecorder._fetch_ids_after_insert_events))
    before = server.ledger.position()
    headers = {**server.headers, "Idempotency-Key": key}
    with httpx.Client(base_url=server.url, timeout=30) as client:
        failed = client.post(path, json=assessment(), headers=headers)
        assert failed.status_code == 500, failed.text
        assert failed.json()["rule"] == "server-error"
        assert seen_in_transaction == [[("done", 201)]]  # written, in the transaction that failed
        assert server.events_after(before) == 0
        assert server.key_rows(key) == []  # not done, and no claim left in flight either
        monkeypatch.undo()
        retried = client.post(path, json=assessment(), headers=headers)
        assert retried.status_code == 201, retried.text
    assert server.events_after(before) == 1
    assert server.key_rows(key) == [("done", 201)]
