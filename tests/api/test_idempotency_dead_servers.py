"""A claim of an Idempotency-Key left by a server that died is taken over at once (ADR 0061).

A client whose request was cut off by a crash sends it again with the same key. Before, the claim
the dead server left stayed in flight for 60 s (409 with Retry-After each time); now each serving
process names itself in its claims and keeps a heartbeat row, so the retry takes the claim over as
soon as the process that made it is known gone: it stopped (its row deleted), or it has not beaten
for GONE_AFTER (killed: its row stays, unchanged). A claim of a process still alive stays in flight,
and so does one that names no process (made before migration 0008), until it is 60 s old. A process's
age is written into its row here (a heartbeat of the past), never waited out.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec
import pytest
from litestar.testing import TestClient

from api.app import create_app
from api.auth import Verifier
from api.devkeys import AUDIENCE, DEV_ISSUER, DevKey
from api.idempotency import GONE_AFTER, STALE_AFTER, Keys, request_hash
from api.problems import ApiProblem
from api.schemas import AssessmentIn
from domain.backend import Backend
from domain.ledger import Ledger
from domain.storage import idempotency_keys, server_instances
from tests.api.conftest import YEAR, Api
from tests.builders import ELEMENTARY, class_with_students, school_with_calendar


def aged(keys: Keys, by: timedelta) -> None:
    """``keys``'s process last beat ``by`` ago (as a killed one's row stays)."""
    with keys.storage.writing() as tx:
        server_instances.beat(tx, keys.instance, datetime.now(UTC) - by)


def owner(keys: Keys, key: str) -> str | None:
    with keys.storage.reading() as tx:
        found = idempotency_keys.find(tx, "T-0001", key)
    assert found is not None
    return found.instance


def in_flight(keys: Keys, key: str) -> None:
    with pytest.raises(ApiProblem) as refused:
        keys.claim("T-0001", key, "digest")
    assert (refused.value.status, refused.value.rule) == (409, "request-in-flight")


def test_a_claim_of_a_server_still_beating_stays_in_flight(api: Api) -> None:
    first, second = Keys(api.ledger), Keys(api.ledger)
    assert first.claim("T-0001", "alive", "digest") is None
    assert owner(first, "alive") == first.instance
    in_flight(second, "alive")  # its process wrote its row with the claim, and beats
    aged(first, GONE_AFTER - timedelta(seconds=2))
    in_flight(second, "alive")
    in_flight(first, "alive")  # the same process: its own request is running


def test_a_retry_takes_over_at_once_the_claim_of_a_server_killed_under_it(api: Api) -> None:
    first, second = Keys(api.ledger), Keys(api.ledger)
    assert first.claim("T-0001", "killed", "digest") is None
    aged(first, GONE_AFTER + timedelta(seconds=1))  # no beat since: the process is gone
    assert second.claim("T-0001", "killed", "digest") is None
    assert owner(second, "killed") == second.instance
    in_flight(first, "killed")  # now the retry's, whose process is alive


def test_a_retry_takes_over_the_claim_of_a_server_that_stopped(api: Api) -> None:
    first, second = Keys(api.ledger), Keys(api.ledger)
    stop, thread = first.heartbeat_in_background(every=0.05)
    assert first.claim("T-0001", "stopped", "digest") is None
    in_flight(second, "stopped")
    stop.set()
    thread.join(10)
    with first.storage.reading() as tx:
        assert server_instances.seen(tx, first.instance) is None  # deleted as it stopped
    assert second.claim("T-0001", "stopped", "digest") is None


def test_a_claim_that_names_no_server_is_taken_over_only_when_stale(api: Api) -> None:
    keys = Keys(api.ledger)
    with keys.storage.writing() as tx:  # as claimed before migration 0008
        assert idempotency_keys.claim(tx, "T-0001", "old", "digest", datetime.now(UTC))
        assert idempotency_keys.claim(tx, "T-0001", "older", "digest", datetime.now(UTC) - STALE_AFTER - timedelta(1))
    in_flight(keys, "old")
    assert keys.claim("T-0001", "older", "digest") is None


def test_a_done_key_answers_its_first_answer_whoever_claimed_it(api: Api) -> None:
    student = api.schools["A"].students[0]
    headers = {**api.auth("principal"), "Idempotency-Key": "answered"}
    first = api.post(f"/v1/students/{student}/assessments", assessment(), headers)
    assert first.status_code == 201, first.text
    aged(api.services.keys, GONE_AFTER * 10)  # its process long silent: the key is done, not in flight
    again = api.post(f"/v1/students/{student}/assessments", assessment(), headers)
    assert (again.status_code, again.content) == (201, first.content)


def test_the_sweep_drops_the_rows_of_servers_long_gone(api: Api) -> None:
    gone, alive = Keys(api.ledger), Keys(api.ledger)
    aged(gone, timedelta(days=2))
    alive.beat()
    alive.purge()
    with alive.storage.reading() as tx:
        assert server_instances.seen(tx, gone.instance) is None
        assert server_instances.seen(tx, alive.instance) is not None


def assessment() -> dict[str, Any]:
    return {"year": YEAR, "subject": "japanese", "term": 1, "assessed_on": "2026-07-17",
            "viewpoints": {"knowledge": "A", "thinking": "B", "attitude": "B"}}


def test_a_request_sent_again_to_another_server_after_a_crash_records_once(
        backend: Backend, ledger: Ledger, tmp_path: Path) -> None:
    """Two servers on one ledger: the first claimed the key and died before it saved; the client sends
    the request again to the second at once, which records it (201), once."""
    school_with_calendar(ledger, ELEMENTARY)
    student = str(class_with_students(ledger, ELEMENTARY, count=1)[0])
    key = DevKey.load_or_create(tmp_path / "dev-key.pem")
    app = create_app(ledger, backend, Verifier(key.jwks(), issuer=DEV_ISSUER, audience=AUDIENCE))
    token = key.token("P-0001", [{"role": "principal", "school": ELEMENTARY}])
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "cut-off"}
    with TestClient(app=app) as client:
        serving: Keys = app.state["services"].keys
        with serving.storage.reading() as tx:
            assert server_instances.seen(tx, serving.instance) is not None  # beat as it started
        path = f"/v1/students/{student}/assessments"
        dead = Keys(ledger)  # the server that crashed: its claim of the request, never completed
        digest = request_hash("POST", path, msgspec.json.encode(msgspec.convert(assessment(), AssessmentIn)))
        assert dead.claim("P-0001", "cut-off", digest) is None
        position = ledger.position()
        refused = client.post(path, json=assessment(), headers=headers)
        assert (refused.status_code, refused.headers.get("retry-after")) == (409, "1")  # its process beats
        assert ledger.position() == position
        aged(dead, GONE_AFTER + timedelta(seconds=1))  # and then no more: killed
        retried = client.post(path, json=assessment(), headers=headers)
        assert retried.status_code == 201, retried.text
        assert ledger.position() > position
        again = client.post(path, json=assessment(), headers=headers)
        assert (again.status_code, again.content) == (201, retried.content)  # once: the first answer
        assert ledger.position() == retried.json()["position"]
