"""Configuration, read from the environment once, at process entry (the CLI)."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from api.auth import Verifier
from api.devkeys import AUDIENCE, DEV_ISSUER, DevKey
from api.keys import LedgerKey, load_trust_list
from domain.backend import DEFAULT_URL, Backend
from domain.signing import TrustList
from domain.transparency.note import COSIGNATURE_V1, NoteKey, NoteSigner

__all__ = ["Settings", "replace"]


def _bounded(name: str, value: str, unit: str, at_most: float, limit: str) -> float:
    """A number more than 0 and at most ``at_most``, else a message naming the variable and the rule."""
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if not 0 < number <= at_most:
        raise ValueError(f"{name}={value!r}: a number of {unit}, more than 0, at most {limit}")
    return number


def _hours(value: str) -> float:
    return _bounded("GAKUSEKI_IDEMPOTENCY_HOURS", value, "hours", 24 * 366, "a year")


def witness_keys(value: str) -> tuple[NoteKey, ...]:
    """GAKUSEKI_WITNESS_KEYS: witnesses' vkeys (cosignature/v1, type 0x04), as `gakuseki witness-key` prints them."""
    keys = []
    for vkey in re.split(r"[\s,]+", value.strip()) if value.strip() else []:
        try:
            key = NoteKey.from_vkey(vkey)
        except ValueError as e:
            raise ValueError(f"GAKUSEKI_WITNESS_KEYS: {vkey[:80]!r}: {e}")
        if key.sig_type != COSIGNATURE_V1:
            raise ValueError(f"GAKUSEKI_WITNESS_KEYS: {key.name} is not a witness key (cosignature/v1, type 0x04)")
        keys.append(key)
    return tuple(keys)


def _seconds(value: str) -> float:
    return _bounded("GAKUSEKI_CHECKPOINT_SECONDS", value, "seconds", 24 * 3600, "a day")


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_URL
    host: str = "127.0.0.1"
    port: int = 8000
    jwks: str | None = None  # a JWKS file or https URL of the identity provider; None: the dev key
    issuer: str | None = None
    audience: str = "gakuseki"
    dev_key: str = "gakuseki-dev-key.pem"
    ledger_id: str = "gakuseki-dev"  # the issuer of this ledger's transfer packets
    signing_key: str = "gakuseki-signing-key.pem"  # the Ed25519 key they are signed with
    trust_list: str | None = None  # a JSON file of the other ledgers whose packets are accepted; None: only itself
    idempotency_hours: float = 24.0  # how long an Idempotency-Key is remembered (ADR 0022)
    # The witnesses whose cosignatures of the checkpoints are kept (ADR 0033): note vkeys of type 0x04,
    # separated by spaces, commas or newlines.
    witness_keys: tuple[NoteKey, ...] = ()
    # At most one checkpoint of the Merkle log signed per this many seconds, when it grew (ADR 0030)
    checkpoint_seconds: float = 10.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Settings:
        return cls(
            database_url=env.get("GAKUSEKI_DATABASE_URL", DEFAULT_URL),
            host=env.get("GAKUSEKI_HOST", "127.0.0.1"),
            port=int(env.get("GAKUSEKI_PORT", "8000")),
            jwks=env.get("GAKUSEKI_JWKS") or None,
            issuer=env.get("GAKUSEKI_ISSUER") or None,
            audience=env.get("GAKUSEKI_AUDIENCE", "gakuseki"),
            dev_key=env.get("GAKUSEKI_DEV_KEY", "gakuseki-dev-key.pem"),
            ledger_id=env.get("GAKUSEKI_LEDGER_ID") or "gakuseki-dev",
            signing_key=env.get("GAKUSEKI_SIGNING_KEY") or "gakuseki-signing-key.pem",
            trust_list=env.get("GAKUSEKI_TRUST_LIST") or None,
            idempotency_hours=_hours(env.get("GAKUSEKI_IDEMPOTENCY_HOURS") or "24"),
            witness_keys=witness_keys(env.get("GAKUSEKI_WITNESS_KEYS") or ""),
            checkpoint_seconds=_seconds(env.get("GAKUSEKI_CHECKPOINT_SECONDS") or "10"),
        )

    @property
    def backend(self) -> Backend:
        return Backend.from_url(self.database_url)

    def verifier(self) -> Verifier:
        """The identity provider's keys when configured; otherwise the local development key."""
        if self.jwks:
            if not self.issuer:
                raise ValueError("GAKUSEKI_JWKS needs GAKUSEKI_ISSUER (the identity provider's issuer)")
            if self.jwks.startswith("https://"):  # fetched again on an unknown kid and hourly (ADR 0022)
                return Verifier.from_url(self.jwks, issuer=self.issuer, audience=self.audience)
            return Verifier.from_file(self.jwks, issuer=self.issuer, audience=self.audience)
        key = DevKey.load_or_create(Path(self.dev_key))
        return Verifier(key.jwks(), issuer=DEV_ISSUER, audience=AUDIENCE)

    def ledger_key(self, create: bool = True) -> LedgerKey:
        """This ledger's packet signing key; made on first use when ``create`` (the embedded default)."""
        path = Path(self.signing_key)
        if create and not path.exists():
            try:
                return LedgerKey.generate(path, self.ledger_id)
            except ValueError:
                if not path.exists():  # not another process making it at the same moment
                    raise
        return LedgerKey.load(path, self.ledger_id)

    def checkpoint_signer(self, key: LedgerKey | None = None) -> NoteSigner:
        """The ledger's key as it signs the Merkle log's checkpoints: named by the ledger id (ADR 0031)."""
        return (key or self.ledger_key()).checkpoint_signer()

    def trust(self, key: LedgerKey | None = None) -> TrustList:
        """The trust list file's ledgers, and always this ledger's own key (a packet it issued is accepted back)."""
        own = (key or self.ledger_key()).trust()
        if not self.trust_list:
            return own
        return load_trust_list(self.trust_list).merged(own)
