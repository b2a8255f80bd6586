"""Idempotency keys are kept for a stated period, then dropped in the background (ADR 0022).

Within the period a retry gets the first answer back; after it the key is gone and a retry is a
new request, judged again (here the register refuses the assessment it already holds). The period
is injected (a clock for ``purge``, a short retention for the server's sweep), never waited out.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from api.app import create_app
from api.auth import Verifier
from api.config import Settings
from api.devkeys import AUDIENCE, DEV_ISSUER, DevKey
from api.idempotency import RETENTION, Keys
from domain.backend import Backend
from domain.ledger import Ledger
from domain.storage import idempotency_keys
from tests.api.conftest import YEAR, Api
from tests.builders import ELEMENTARY, class_with_students, school_with_calendar


def assessment(term: int = 1) -> dict[str, Any]:
    return {"year": YEAR, "subject": "japanese", "term": term, "assessed_on": "2026-07-17",
            "viewpoints": {"knowledge": "A", "thinking": "B", "attitude": "B"}}


def rows(keys: Keys) -> int:
    with keys.storage.reading() as tx:
        return idempotency_keys.count(tx)


def test_a_key_is_kept_for_the_period_then_dropped_and_a_retry_after_it_is_a_new_request(api: Api) -> None:
    keys: Keys = api.services.keys
    assert keys.retention == RETENTION == timedelta(hours=24)
    student = api.schools["A"].students[0]
    headers = {**api.auth("principal"), "Idempotency-Key": "kept-a-day"}
    first = api.post(f"/v1/students/{student}/assessments", assessment(), headers)
    assert first.status_code == 201, first.text
    claimed = datetime.now(UTC)
    assert keys.purge(now=claimed + timedelta(hours=23)) == 0
    again = api.post(f"/v1/students/{student}/assessments", assessment(), headers)
    assert (again.status_code, again.content) == (201, first.content)  # the first answer, nothing recorded
    assert api.ledger.position() == first.json()["position"]

    assert keys.purge(now=claimed + timedelta(hours=25)) == 1
    later = api.post(f"/v1/students/{student}/assessments", assessment(), headers)
    # Judged again, as a new request: the register itself refuses a second term-1 assessment.
    assert (later.status_code, later.json()["rule"]) == (422, "already-recorded")
    assert api.ledger.position() == first.json()["position"]


def test_a_claim_still_in_flight_is_not_dropped_under_its_request(api: Api) -> None:
    keys = Keys(api.ledger, retention=timedelta(seconds=1))
    assert keys.claim("T-0001", "in-flight", "digest") is None
    now = datetime.now(UTC)
    assert keys.purge(now=now + timedelta(seconds=30)) == 0  # older than the retention, not yet stale
    assert keys.purge(now=now + timedelta(minutes=2)) == 1  # a crashed request's claim goes too


def test_the_server_sweeps_the_keys_in_the_background(backend: Backend, open_ledger: Callable[[Backend], Ledger],
                                                       tmp_path: Path) -> None:
    ledger = open_ledger(backend)
    school_with_calendar(ledger, ELEMENTARY)
    student = str(class_with_students(ledger, ELEMENTARY, count=1)[0])
    key = DevKey.load_or_create(tmp_path / "dev-key.pem")
    app = create_app(ledger, backend, Verifier(key.jwks(), issuer=DEV_ISSUER, audience=AUDIENCE),
                     idempotency_retention=timedelta(milliseconds=1), sweep_every=0.05)
    headers = {"Authorization": f"Bearer {key.token('P-0001', [{'role': 'principal', 'school': ELEMENTARY}])}",
               "Idempotency-Key": "swept"}
    with TestClient(app=app) as client:
        keys: Keys = app.state["services"].keys
        first = client.post(f"/v1/students/{student}/assessments", json=assessment(), headers=headers)
        assert first.status_code == 201, first.text
        deadline = time.monotonic() + 60
        while rows(keys) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert rows(keys) == 0
        again = client.post(f"/v1/students/{student}/assessments", json=assessment(), headers=headers)
        assert (again.status_code, again.json()["rule"]) == (422, "already-recorded")  # a new request


def test_the_period_is_read_from_the_environment_once_at_start() -> None:
    assert Settings.from_env({}).idempotency_hours == 24
    assert Settings.from_env({"GAKUSEKI_IDEMPOTENCY_HOURS": "72"}).idempotency_hours == 72
    for bad in ("0", "-1", "a day", "9000"):
        with pytest.raises(ValueError, match="GAKUSEKI_IDEMPOTENCY_HOURS"):
            Settings.from_env({"GAKUSEKI_IDEMPOTENCY_HOURS": bad})
