"""The identity provider's keys, fetched from its URL again on an unknown kid and on a schedule (ADR 0022).

A real HTTP server on 127.0.0.1 publishes a JWKS that the test rotates; tokens are really signed
and really verified. Only the verifier's clock is injected, so a minute or an hour passes at once.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from litestar.testing import TestClient

from api.app import create_app
from api.auth import Verifier
from api.devkeys import AUDIENCE, DEV_ISSUER, DevKey
from api.problems import ApiProblem
from domain.backend import Backend
from domain.ledger import Ledger

GRANTS = [{"role": "principal", "school": "B131220000013"}]


@dataclass
class Provider:
    """What the identity provider publishes: its keys (or a failure), and how often it was asked."""

    keys: list[DevKey]
    failing: bool = False
    raw: bytes | None = None  # a document to publish as it is
    fetches: int = 0
    url: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def document(self) -> bytes:
        if self.raw is not None:
            return self.raw
        return json.dumps({"keys": [k.jwks()["keys"][0] for k in self.keys]}).encode()


@dataclass
class Clock:
    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def provider() -> Iterator[Provider]:
    published = Provider([DevKey(Ed25519PrivateKey.generate())])

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            with published.lock:
                published.fetches += 1
                failing, body = published.failing, published.document()
            if failing:
                self.send_error(503)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    published.url = f"http://127.0.0.1:{server.server_address[1]}/.well-known/jwks.json"
    try:
        yield published
    finally:
        server.shutdown()
        server.server_close()


def accepts(verifier: Verifier, key: DevKey) -> bool:
    try:
        principal = verifier.verify(key.token("P-0001", GRANTS))
    except ApiProblem as e:
        if e.status != 401:
            raise
        return False
    return principal.staff_id == "P-0001"


def test_a_rotated_key_is_fetched_on_its_first_token_at_most_once_a_minute(provider: Provider) -> None:
    old, new = provider.keys[0], DevKey(Ed25519PrivateKey.generate())
    clock = Clock()
    verifier = Verifier.from_url(provider.url, issuer=DEV_ISSUER, audience=AUDIENCE, clock=clock)
    assert accepts(verifier, old)
    assert provider.fetches == 1

    provider.keys = [new]  # the tenant rotates its signing key
    clock.now += 61
    assert accepts(verifier, new)  # an unknown kid: fetched again, and trusted
    assert provider.fetches == 2
    assert not accepts(verifier, old)  # withdrawn by the provider: no longer trusted
    assert provider.fetches == 2  # and no second fetch within the minute

    stranger = DevKey(Ed25519PrivateKey.generate())
    for _ in range(20):  # a flood of made-up kids costs at most one fetch a minute
        clock.now += 2
        assert not accepts(verifier, stranger)
    assert provider.fetches == 2
    clock.now += 30
    assert not accepts(verifier, stranger)
    assert provider.fetches == 3


def test_the_keys_are_fetched_again_every_hour(provider: Provider) -> None:
    first, added = provider.keys[0], DevKey(Ed25519PrivateKey.generate())
    clock = Clock()
    verifier = Verifier.from_url(provider.url, issuer=DEV_ISSUER, audience=AUDIENCE, clock=clock)
    provider.keys = [first, added]
    clock.now += 59 * 60
    assert accepts(verifier, first)
    assert provider.fetches == 1  # not yet an hour
    clock.now += 61
    assert accepts(verifier, first)  # the first token after the hour fetches the keys again
    assert provider.fetches == 2
    assert set(verifier.keys) == {first.kid, added.kid}
    provider.keys = [added]  # the provider withdraws a key: an hour later it is no longer trusted
    clock.now += 3601
    assert accepts(verifier, added)
    assert not accepts(verifier, first)
    assert provider.fetches == 3


def test_a_failed_fetch_keeps_the_keys_held(provider: Provider) -> None:
    key = provider.keys[0]
    clock = Clock()
    verifier = Verifier.from_url(provider.url, issuer=DEV_ISSUER, audience=AUDIENCE, clock=clock)
    provider.failing = True
    clock.now += 3601
    assert accepts(verifier, key)  # the scheduled fetch failed (503): the keys held still verify
    assert provider.fetches == 2
    clock.now += 10
    assert accepts(verifier, key)
    assert provider.fetches == 2  # tried again no sooner than a minute later
    clock.now += 51
    assert accepts(verifier, key)
    assert provider.fetches == 3


def test_a_document_with_a_key_of_a_refused_algorithm_keeps_the_keys_held(provider: Provider) -> None:
    key = provider.keys[0]
    clock = Clock()
    verifier = Verifier.from_url(provider.url, issuer=DEV_ISSUER, audience=AUDIENCE, clock=clock)
    provider.raw = json.dumps({"keys": [{"kty": "oct", "k": "c2VjcmV0", "kid": "hmac", "alg": "HS256"}]}).encode()
    clock.now += 3601
    assert accepts(verifier, key)
    assert provider.fetches == 2
    assert set(verifier.keys) == {key.kid}


def test_the_server_follows_a_rotation_of_the_identity_provider(provider: Provider, sqlite_backend: Backend) -> None:
    old, new = provider.keys[0], DevKey(Ed25519PrivateKey.generate())
    clock = Clock()
    verifier = Verifier.from_url(provider.url, issuer=DEV_ISSUER, audience=AUDIENCE, clock=clock)
    ledger = Ledger.open(sqlite_backend)
    try:
        with TestClient(app=create_app(ledger, sqlite_backend, verifier)) as client:
            path = "/v1/students/00000000-0000-4000-8000-000000000000"
            assert client.get(path, headers={"Authorization": f"Bearer {old.token('P-0001', GRANTS)}"}
                              ).status_code == 404  # authenticated: no such student
            provider.keys = [new]
            clock.now += 61
            assert client.get(path, headers={"Authorization": f"Bearer {new.token('P-0001', GRANTS)}"}
                              ).status_code == 404
            refused = client.get(path, headers={"Authorization": f"Bearer {old.token('P-0001', GRANTS)}"})
            assert refused.status_code == 401
    finally:
        ledger.close()


# ---------------------------------------------------------------- remembered tokens (ADR 0034)


def test_a_verified_token_is_remembered_and_answers_the_same_principal(provider: Provider) -> None:
    verifier = Verifier.from_url(provider.url, issuer=DEV_ISSUER, audience=AUDIENCE, clock=Clock())
    token = provider.keys[0].token("P-0001", GRANTS)
    first = verifier.verify(token)
    assert verifier.verify(token) is first  # not verified again: the principal remembered
    other = provider.keys[0].token("P-0002", GRANTS)
    assert verifier.verify(other).staff_id == "P-0002"  # another token's text is another entry


def test_a_remembered_token_still_expires(provider: Provider) -> None:
    verifier = Verifier.from_url(provider.url, issuer=DEV_ISSUER, audience=AUDIENCE, clock=Clock(), leeway=0)
    token = provider.keys[0].token("P-0001", GRANTS, ttl=1)
    assert verifier.verify(token).staff_id == "P-0001"
    time.sleep(2.1)  # the real clock: the signature library reads it too
    with pytest.raises(ApiProblem) as refused:
        verifier.verify(token)
    assert refused.value.status == 401
    assert "expired" in refused.value.detail


def test_a_remembered_token_is_refused_once_its_key_is_withdrawn(provider: Provider) -> None:
    old, new = provider.keys[0], DevKey(Ed25519PrivateKey.generate())
    clock = Clock()
    verifier = Verifier.from_url(provider.url, issuer=DEV_ISSUER, audience=AUDIENCE, clock=clock)
    token = old.token("P-0001", GRANTS)
    assert verifier.verify(token).staff_id == "P-0001"
    assert verifier.verify(token).staff_id == "P-0001"  # remembered
    provider.keys = [new]  # the provider withdraws the key; the hourly fetch learns it
    clock.now += 3601
    with pytest.raises(ApiProblem) as refused:
        verifier.verify(token)
    assert refused.value.status == 401
    assert provider.fetches == 2


def test_a_remembered_token_is_refused_once_a_fetch_for_an_unknown_kid_withdraws_its_key(provider: Provider) -> None:
    old, new = provider.keys[0], DevKey(Ed25519PrivateKey.generate())
    clock = Clock()
    verifier = Verifier.from_url(provider.url, issuer=DEV_ISSUER, audience=AUDIENCE, clock=clock)
    token = old.token("P-0001", GRANTS)
    assert verifier.verify(token).staff_id == "P-0001"
    provider.keys = [new]
    clock.now += 61
    assert accepts(verifier, new)  # the new kid fetches the keys again: the old key is gone
    with pytest.raises(ApiProblem):
        verifier.verify(token)
