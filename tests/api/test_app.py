"""The health endpoint answers from the ledger it serves."""

from __future__ import annotations

from litestar.testing import TestClient

from api.app import create_app
from domain.backend import Backend
from domain.ledger import Ledger
from tests.builders import ELEMENTARY, school_with_calendar


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
                                  "attendance_index", "health_records")}


def test_health_answers_503_when_the_ledger_cannot_be_read(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # An unmigrated SQLite file: the event table does not exist.
    backend = Backend.from_url(f"sqlite:///{tmp_path}/empty.sqlite3")
    ledger = Ledger.open(backend)
    with TestClient(app=create_app(ledger, backend)) as client:
        response = client.get("/health")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
