"""The health endpoint answers from the ledger it serves."""

from __future__ import annotations

from litestar.testing import TestClient

from api.app import create_app
from domain.backend import Backend
from domain.ledger import Ledger
from projections import runner_for
from tests.builders import ELEMENTARY, OTHER_ELEMENTARY, school_with_calendar


def test_health_reports_the_backend_and_log_position(backend: Backend, ledger: Ledger) -> None:
    school_with_calendar(ledger, ELEMENTARY)
    with TestClient(app=create_app(ledger, backend)) as client:
        response = client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert {k: body[k] for k in ("status", "backend", "position", "detail")} == {
        "status": "ok", "backend": backend.kind, "position": 3, "detail": ""}
    assert {p["projection"]: (p["position"], p["lag"]) for p in body["projections"]} == {
        name: (0, 3) for name in ("roster", "attendance_register", "enrollment_record", "guidance_record",
                                  "attendance_index", "health_records", "board_settings", "alerts", "merkle_log",
                                  "alert_raiser")}


def test_health_answers_503_when_the_ledger_cannot_be_read(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # An unmigrated SQLite file: the event table does not exist.
    backend = Backend.from_url(f"sqlite:///{tmp_path}/empty.sqlite3")
    ledger = Ledger.open(backend)
    with TestClient(app=create_app(ledger, backend)) as client:
        response = client.get("/health")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"


def test_health_answers_503_naming_the_projections_that_stopped_advancing_while_the_log_grew(
        backend: Backend, ledger: Ledger) -> None:
    """No poller runs (the server's stopped, or `projections run` is down on PostgreSQL): once an
    event has waited longer than the threshold, /health says which read models are stuck."""
    school_with_calendar(ledger, ELEMENTARY)
    runner = runner_for(ledger, backend)
    runner.catch_up(["roster"])  # the roster is current; the others (the Merkle log too) never moved
    school_with_calendar(ledger, OTHER_ELEMENTARY, name="鳥取市立あおば小学校")  # the log grows
    with TestClient(app=create_app(ledger, backend, stall_after=0)) as client:
        stalled = client.get("/health")
        runner.catch_up(runner.names())
        runner.raiser.catch_up()  # the alert process too (ADR 0042): it stalls like a read model
        recovered = client.get("/health")
    assert stalled.status_code == 503
    body = stalled.json()
    assert body["status"] == "stalled"
    names = {p["projection"] for p in body["projections"] if p["stalled"]}
    every = {*runner.names(), "alert_raiser"}
    assert names == every - {"roster"} or names == every
    assert all(name in body["detail"] for name in names)
    assert (recovered.status_code, recovered.json()["status"]) == (200, "ok")


def test_health_does_not_call_a_projection_that_is_behind_for_less_than_the_threshold_stalled(
        backend: Backend, ledger: Ledger) -> None:
    school_with_calendar(ledger, ELEMENTARY)
    with TestClient(app=create_app(ledger, backend)) as client:  # 60 s: the events are a second old
        response = client.get("/health")
    assert (response.status_code, response.json()["status"]) == (200, "ok")
    assert not any(p["stalled"] for p in response.json()["projections"])
