"""A database connection lost under a request (a restart, a terminated backend) on PostgreSQL.

The database here is real; what is injected is the network's failure at one moment: a save whose
COMMIT reached the server but whose answer was lost, one lost before it committed, and a database
that cannot be asked afterwards. The last test terminates the server's pooled connections for real.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import psycopg
import pytest
from eventsourcing.persistence import OperationalError
from eventsourcing.postgres import PostgresApplicationRecorder

from domain.storage import idempotency_keys
from tests.api.conftest import A, Api, problem_of

pytestmark = pytest.mark.postgres
LOST = "consuming input failed: server closed the connection unexpectedly"


@pytest.fixture
def pg(postgres_world: Api) -> Api:
    return postgres_world


def _roll(api: Api) -> tuple[dict[str, Any], dict[str, str], list[str]]:
    klass = api.fresh_class(A, students=3)
    body = {"school_code": A, "year": 2026, "grade": klass.grade, "class_name": klass.name, "date": "2026-04-07",
            "marks": [{"student_id": s, "code": "present"} for s in klass.students]}
    return body, {**api.auth("principal"), "Idempotency-Key": f"lost-{klass.name}"}, list(klass.students)


def _count_marks(api: Api, students: list[str]) -> int:
    rows = api.ledger.storage.query(
        "SELECT count(*) FROM {events} WHERE topic = 'gakuseki:AttendanceMarked' AND "
        "convert_from(state, 'UTF8')::json->>'student_id' = ANY(?::text[])", (students,))
    return int(rows[0][0])


def _faulty(monkeypatch: pytest.MonkeyPatch, fault: Callable[[Callable[..., Any], tuple[Any, ...], dict[str, Any]], Any]
            ) -> list[int]:
    """Make the next save go through ``fault(insert, args, kwargs)``; the ones after run as they are."""
    insert = PostgresApplicationRecorder.insert_events.__wrapped__
    calls: list[int] = []

    def once(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return fault(insert, args, kwargs) if len(calls) == 1 else insert(*args, **kwargs)

    monkeypatch.setattr(PostgresApplicationRecorder.insert_events, "__wrapped__", once)
    return calls


def test_a_write_whose_commit_was_answered_into_a_lost_connection_is_201_and_recorded_once(
        pg: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    body, headers, students = _roll(pg)

    def committed_then_lost(insert: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        insert(*args, **kwargs)  # the transaction commits in the database...
        raise OperationalError(LOST)  # ...and its answer never reaches the server

    calls = _faulty(monkeypatch, committed_then_lost)
    response = pg.post("/v1/attendance-rolls", body, headers)
    assert response.status_code == 201, response.text  # the library's retry made this a 422 "already marked"
    assert len(calls) == 1  # not saved again: the database said the rows stand as sent
    assert _count_marks(pg, students) == 3
    with pg.ledger.storage.reading() as tx:
        assert idempotency_keys.states(tx, headers["Idempotency-Key"]) == [("done", 201)]
    again = pg.post("/v1/attendance-rolls", body, headers)
    assert (again.status_code, again.json()) == (201, response.json())
    assert _count_marks(pg, students) == 3


def test_a_write_whose_connection_was_lost_before_it_committed_is_saved_by_the_next_attempt(
        pg: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    body, headers, students = _roll(pg)

    def lost_first(insert: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        raise OperationalError(LOST)

    calls = _faulty(monkeypatch, lost_first)
    response = pg.post("/v1/attendance-rolls", body, headers)
    assert response.status_code == 201, response.text
    assert len(calls) == 2
    assert _count_marks(pg, students) == 3
    assert response.json()["position"] == pg.ledger.position()


def test_a_write_whose_outcome_cannot_be_learnt_is_503_saying_so_and_its_retry_answers_what_happened(
        pg: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    from domain.storage import recorders
    monkeypatch.setattr(recorders, "SAVE_WAIT", 0.0)
    body, headers, students = _roll(pg)
    storage = pg.ledger.recorder.storage  # type: ignore[attr-defined]

    def away(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("connection refused")

    def committed_then_away(insert: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        insert(*args, **kwargs)
        monkeypatch.setattr(storage, "query", away)  # the database cannot be asked any more
        raise OperationalError(LOST)

    _faulty(monkeypatch, committed_then_away)
    response = pg.post("/v1/attendance-rolls", body, headers)
    problem = problem_of(response, 503)
    assert problem["rule"] == "save-outcome-unknown"
    assert response.headers["retry-after"] == "1"
    assert "nothing was recorded" not in problem["detail"]
    monkeypatch.undo()  # the database is back
    again = pg.post("/v1/attendance-rolls", body, headers)
    assert again.status_code == 201, again.text  # it had committed: the key says so
    assert _count_marks(pg, students) == 3


def test_a_read_whose_database_is_away_is_503_with_retry_after_and_not_a_crash(
        pg: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    _, sid = pg.fresh_student(A)
    pool = pg.ledger.recorder.datastore.pool  # type: ignore[attr-defined]

    def refused(*args: Any, **kwargs: Any) -> Any:
        raise psycopg.OperationalError("connection refused")

    monkeypatch.setattr(pool, "getconn", refused)
    monkeypatch.setattr(pool, "check", lambda: None)
    response = pg.client.get(f"/v1/students/{sid}", headers=pg.auth("principal"))
    problem = problem_of(response, 503)
    assert problem["rule"] == "store-unavailable"
    assert response.headers["retry-after"] == "1"


def test_reads_and_writes_go_on_after_the_database_terminated_every_pooled_connection(pg: Api) -> None:
    body, headers, students = _roll(pg)
    _, sid = pg.fresh_student(A)
    pool = pg.ledger.recorder.datastore.pool  # type: ignore[attr-defined]
    held = [pool.getconn() for _ in range(3)]
    pids = [c.info.backend_pid for c in held]
    for c in held:
        pool.putconn(c)
    with psycopg.connect(pg.backend.psycopg_conninfo(), autocommit=True) as admin:
        ended = admin.execute("SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM unnest(%s::int[]) AS pid) t",
                              (pids,)).fetchone()
    assert ended == (3,)
    assert pg.client.get(f"/v1/students/{sid}", headers=pg.auth("principal")).status_code == 200
    response = pg.post("/v1/attendance-rolls", body, headers)
    assert response.status_code == 201, response.text
    assert _count_marks(pg, students) == 3
