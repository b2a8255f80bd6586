"""Configuration, read from the environment once, at process entry (the CLI)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from domain.backend import DEFAULT_URL, Backend


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_URL
    host: str = "127.0.0.1"
    port: int = 8000

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Settings:
        return cls(
            database_url=env.get("GAKUSEKI_DATABASE_URL", DEFAULT_URL),
            host=env.get("GAKUSEKI_HOST", "127.0.0.1"),
            port=int(env.get("GAKUSEKI_PORT", "8000")),
        )

    @property
    def backend(self) -> Backend:
        return Backend.from_url(self.database_url)
