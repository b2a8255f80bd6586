"""Configuration, read from the environment once, at process entry (the CLI)."""

from __future__ import annotations

import json
import os
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from api.auth import Verifier
from api.devkeys import AUDIENCE, DEV_ISSUER, DevKey
from domain.backend import DEFAULT_URL, Backend

__all__ = ["Settings", "replace"]


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_URL
    host: str = "127.0.0.1"
    port: int = 8000
    jwks: str | None = None  # a JWKS file or https URL of the identity provider; None: the dev key
    issuer: str | None = None
    audience: str = "gakuseki"
    dev_key: str = "gakuseki-dev-key.pem"

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
        )

    @property
    def backend(self) -> Backend:
        return Backend.from_url(self.database_url)

    def verifier(self) -> Verifier:
        """The identity provider's keys when configured; otherwise the local development key."""
        if self.jwks:
            if not self.issuer:
                raise ValueError("GAKUSEKI_JWKS needs GAKUSEKI_ISSUER (the identity provider's issuer)")
            if self.jwks.startswith("https://"):
                with urllib.request.urlopen(self.jwks, timeout=10) as r:
                    return Verifier(json.load(r), issuer=self.issuer, audience=self.audience)
            return Verifier.from_file(self.jwks, issuer=self.issuer, audience=self.audience)
        key = DevKey.load_or_create(Path(self.dev_key))
        return Verifier(key.jwks(), issuer=DEV_ISSUER, audience=AUDIENCE)
