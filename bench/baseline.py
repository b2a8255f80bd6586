"""The raw baselines every figure is compared with, measured in the same run and rounds.

- ``lib_save30``: the eventsourcing library alone (no Gakuseki code): a plain ``Application`` with
  a small ``Aggregate`` whose stored event is about the size of a stored ``AttendanceMarked``;
  each save creates 30 new aggregates and saves them in ONE ``app.save(*aggregates)`` (one
  transaction: the library's table lock, one INSERT of 30 rows, commit). Timed per save,
  creating the aggregates included, as perf-baseline.md A2 does.
- ``lib_save1``: the same with one new aggregate per save (perf-baseline.md A1).
- ``pg_insert30``: raw psycopg 3, 30 rows shaped like stored events inserted with
  ``executemany`` in one transaction (perf-baseline.md C3; no table lock).
- ``pg_read``: raw psycopg 3, one read-model document selected by its (projection, key) from the
  product's own ``projection_documents`` table (a sample of its rows in turn), autocommit, prepared:
  the least a form read can cost.

All three write into tables of a schema of their own (``<bench schema>_raw``), on the same
PostgreSQL, one writer, synchronous_commit on: the server's defaults.
"""

from __future__ import annotations

import os
import time
import uuid
from dataclasses import dataclass
from typing import Any

import psycopg
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from psycopg import sql

from bench.stats import latency_ms
from domain.backend import Backend


class Attendance(Aggregate):
    """Shaped like a stored AttendanceMarked: who, which class, which day, the mark."""

    @event("Marked")
    def __init__(self, student_id: str, school_code: str, year: int, grade: int, class_name: str, day: str,
                 code: str, reason: str, recorded_by: str) -> None:
        self.student_id, self.school_code, self.year = student_id, school_code, year
        self.grade, self.class_name, self.day = grade, class_name, day
        self.code, self.reason, self.recorded_by = code, reason, recorded_by


class Baseline(Application[uuid.UUID]):
    name = "BenchBaseline"  # its table: benchbaseline_events


def new_mark(i: int) -> Attendance:
    return Attendance(student_id=str(uuid.uuid4()), school_code="B131220000013", year=2026, grade=3,
                      class_name="2", day="2026-06-01", code="present", reason="", recorded_by=f"T-{i % 9999:04d}")


@dataclass
class Raw:
    """The baseline's own schema, application and connection."""

    backend: Backend
    schema: str
    app: Any = None
    conn: Any = None

    def open(self) -> Raw:
        with psycopg.connect(self.backend.psycopg_conninfo(), autocommit=True) as c:
            c.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(self.schema)))
        b = self.backend
        self.app = Baseline(env={
            "PERSISTENCE_MODULE": "eventsourcing.postgres", "POSTGRES_HOST": b.host, "POSTGRES_PORT": str(b.port),
            "POSTGRES_DBNAME": b.dbname, "POSTGRES_USER": b.user, "POSTGRES_PASSWORD": b.password,
            "POSTGRES_SCHEMA": self.schema, "CREATE_TABLE": "y"})
        self.conn = psycopg.connect(b.psycopg_conninfo(), autocommit=True)
        table = sql.Identifier(self.schema, "raw_events")
        self.conn.execute(sql.SQL(
            "CREATE TABLE IF NOT EXISTS {} (originator_id uuid NOT NULL, originator_version bigint NOT NULL, "
            "topic text, state bytea, notification_id bigserial, PRIMARY KEY (originator_id, originator_version))"
        ).format(table))
        self.conn.execute(sql.SQL("CREATE UNIQUE INDEX IF NOT EXISTS raw_events_nid ON {} (notification_id)")
                          .format(table))
        self.insert = sql.SQL("INSERT INTO {} (originator_id, originator_version, topic, state) "
                              "VALUES (%s, %s, %s, %s)").format(table)
        self.app.save(new_mark(0))  # warm up: the pool, the prepared types
        return self

    def close(self) -> None:
        if self.app is not None:
            self.app.close()
        if self.conn is not None:
            self.conn.close()

    def state_size(self) -> int:
        """Bytes of one stored baseline event (for the docs: compare with the product's events)."""
        return len(self.app.mapper.to_stored_event(new_mark(0).collect_events()[0]).state)

    # ------------------------------------------------------------ the measurements

    def lib_save(self, saves: int, per_save: int) -> dict[str, Any]:
        samples = []
        t0 = time.perf_counter()
        for i in range(saves):
            start = time.perf_counter()
            self.app.save(*[new_mark(i) for _ in range(per_save)])
            samples.append(time.perf_counter() - start)
        wall = time.perf_counter() - t0
        return {"events_per_s": saves * per_save / wall, "saves_per_s": saves / wall, **_lat(samples)}

    def pg_insert30(self, txns: int) -> dict[str, Any]:
        state = (b'{"student_id":"' + str(uuid.uuid4()).encode() + b'","school_code":"B131220000013",'
                 + os.urandom(100).hex().encode())[:300]
        topic = "bench:Attendance.Marked"
        samples = []
        cur = self.conn.cursor()
        t0 = time.perf_counter()
        for _ in range(txns):
            rows = [(uuid.uuid4(), 1, topic, state) for _ in range(30)]
            start = time.perf_counter()
            with self.conn.transaction():
                cur.executemany(self.insert, rows)
            samples.append(time.perf_counter() - start)
        wall = time.perf_counter() - t0
        return {"events_per_s": txns * 30 / wall, "saves_per_s": txns / wall, **_lat(samples)}


def pg_read(conn: Any, schema: str, reads: int) -> dict[str, Any]:
    """Select read-model documents by (projection, key), a sample of the table's rows in turn, with an open
    autocommit connection."""
    table = sql.Identifier(schema, "projection_documents")
    keys = conn.execute(sql.SQL("SELECT projection, key FROM {} TABLESAMPLE SYSTEM (5) LIMIT 1000").format(table)
                        ).fetchall() or conn.execute(sql.SQL("SELECT projection, key FROM {} LIMIT 1000").format(table)
                                                     ).fetchall()
    query = sql.SQL("SELECT document FROM {} WHERE projection = %s AND key = %s").format(table)
    samples = []
    cur = conn.cursor()
    for i in range(reads):
        start = time.perf_counter()
        cur.execute(query, keys[i % len(keys)], prepare=True)
        cur.fetchone()
        samples.append(time.perf_counter() - start)
    return _lat(samples)


def _lat(samples: list[float]) -> dict[str, float]:
    lat = latency_ms(samples)
    return {"p50_ms": lat["p50"], "p99_ms": lat["p99"], "mean_ms": lat["mean"]}
