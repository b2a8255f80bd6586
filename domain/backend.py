"""Where the ledger lives: a SQLite file (the embedded default) or a PostgreSQL database.

One URL says which; this module turns it into the eventsourcing library's settings.
The library never creates tables (CREATE_TABLE=n): migrations/ owns the schema (ADR 0004).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

DEFAULT_URL = "sqlite:///gakuseki.sqlite3"


@dataclass(frozen=True)
class Backend:
    url: str
    kind: str  # "sqlite" or "postgresql"
    sqlite_path: Path | None = None
    host: str = "127.0.0.1"
    port: int = 5432
    dbname: str = "postgres"
    user: str = "postgres"
    password: str = ""
    schema: str = "public"

    @classmethod
    def from_url(cls, url: str | None = None) -> Backend:
        url = url or DEFAULT_URL
        parts = urlsplit(url)
        if parts.scheme == "sqlite":
            # sqlite:///relative/path or sqlite:////absolute/path, as SQLAlchemy spells them
            path = parts.path[1:] if parts.path.startswith("/") else parts.path
            if not path:
                raise ValueError(f"{url!r} names no SQLite file")
            return cls(url=url, kind="sqlite", sqlite_path=Path(path).resolve())
        if parts.scheme in ("postgresql", "postgres"):
            query = parse_qs(parts.query)
            return cls(
                url=url,
                kind="postgresql",
                host=parts.hostname or "127.0.0.1",
                port=parts.port or 5432,
                dbname=unquote(parts.path.lstrip("/")) or "postgres",
                user=unquote(parts.username or "postgres"),
                password=unquote(parts.password or ""),
                schema=query.get("schema", ["public"])[0],
            )
        raise ValueError(f"unsupported database URL {url!r}: use sqlite:///FILE or postgresql://USER@HOST:PORT/DB")

    def eventsourcing_env(self) -> dict[str, str]:
        if self.kind == "sqlite":
            assert self.sqlite_path is not None
            return {
                "PERSISTENCE_MODULE": "eventsourcing.sqlite",
                "SQLITE_DBNAME": str(self.sqlite_path),
                "SQLITE_LOCK_TIMEOUT": "10",
                "CREATE_TABLE": "n",
                "APPLICATION_RECORDER_TOPIC": "domain.storage.recorders:SQLiteRecorder",
            }
        return {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_HOST": self.host,
            "POSTGRES_PORT": str(self.port),
            "POSTGRES_DBNAME": self.dbname,
            "POSTGRES_USER": self.user,
            "POSTGRES_PASSWORD": self.password,
            "POSTGRES_SCHEMA": self.schema,
            # Wait at most 5 s for the table lock each try; the library retries a few times.
            "POSTGRES_LOCK_TIMEOUT": "5",
            "CREATE_TABLE": "n",
            "APPLICATION_RECORDER_TOPIC": "domain.storage.recorders:PostgresRecorder",
        }

    def psycopg_conninfo(self) -> str:
        from psycopg.conninfo import make_conninfo

        return make_conninfo(host=self.host, port=self.port, dbname=self.dbname, user=self.user,
                             password=self.password or None)

    def describe(self) -> str:
        if self.kind == "sqlite":
            return f"SQLite {self.sqlite_path}"
        return f"PostgreSQL {self.user}@{self.host}:{self.port}/{self.dbname} schema {self.schema}"
