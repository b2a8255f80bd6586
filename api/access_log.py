"""The access log: every read of a sensitive record (who, what, when, outcome), append-only."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import msgspec

from api.auth import Principal
from api.problems import ApiProblem, status_of
from domain import errors
from domain.backend import Backend
from domain.ledger import Ledger


class AccessEntry(msgspec.Struct, frozen=True):
    id: int
    at: str
    staff_id: str
    roles: str
    action: str
    resource: str
    student_id: str | None
    outcome: str  # "allowed", "denied", "not-found" or (a write refused by a rule) "refused"
    status: int


class LoggedWrite:
    """What a logged write names, filled in as the write learns it (see ``AccessLog.writing``)."""

    def __init__(self, resource: str) -> None:
        self.resource = resource
        self.student_id: str | None = None
        self.status = 201


class AccessLog:
    def __init__(self, ledger: Ledger, backend: Backend) -> None:
        self.datastore: Any = ledger.recorder.datastore  # type: ignore[attr-defined]
        self.sqlite = backend.kind == "sqlite"
        self.table = "access_log" if self.sqlite else f'"{backend.schema}".access_log'
        self.p = "?" if self.sqlite else "%s"

    def record(self, *, staff_id: str, roles: str, action: str, resource: str, student_id: str | None,
               outcome: str, status: int) -> None:
        p = self.p
        now: Any = datetime.now(UTC)
        with self.datastore.transaction(commit=True) as c:
            c.execute(
                f"INSERT INTO {self.table} (at, staff_id, roles, action, resource, student_id, outcome, status) "
                f"VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p}, {p})",
                (now.isoformat() if self.sqlite else now, staff_id, roles, action, resource, student_id, outcome,
                 status),
            )

    @contextmanager
    def reading(self, principal: Principal, action: str, resource: str, student_id: str | None) -> Iterator[None]:
        """Record a sensitive read with its outcome, whether it was answered, refused or not found."""
        outcome, status = "allowed", 200
        try:
            yield
        except errors.NotFound:
            outcome, status = "not-found", 404
            raise
        except ApiProblem as e:
            outcome, status = "denied", e.status
            raise
        finally:
            self.record(staff_id=principal.staff_id, roles=principal.roles(), action=action, resource=resource,
                        student_id=student_id, outcome=outcome, status=status)

    @contextmanager
    def writing(self, principal: Principal, action: str, resource: str) -> Iterator[LoggedWrite]:
        """Record a logged write with its outcome: the caller names the resource and the student on the
        ``LoggedWrite`` as it learns them, and its answer's status (a repeat that records nothing is 200)."""
        entry = LoggedWrite(resource)
        outcome = "allowed"
        try:
            yield entry
        except errors.NotFound:
            outcome, entry.status = "not-found", 404
            raise
        except ApiProblem as e:
            outcome, entry.status = "denied", e.status
            raise
        except errors.LedgerError as e:
            outcome, entry.status = "refused", status_of(e)
            raise
        finally:
            self.record(staff_id=principal.staff_id, roles=principal.roles(), action=action,
                        resource=entry.resource, student_id=entry.student_id, outcome=outcome, status=entry.status)

    def entries(self, *, student_id: str | None = None, staff_id: str | None = None, after: int = 0,
                limit: int = 100) -> list[AccessEntry]:
        p = self.p
        where, params = [f"id > {p}"], [after]
        if student_id:
            where.append(f"student_id = {p}")
            params.append(student_id)  # type: ignore[arg-type]
        if staff_id:
            where.append(f"staff_id = {p}")
            params.append(staff_id)  # type: ignore[arg-type]
        sql = (f"SELECT id, at, staff_id, roles, action, resource, student_id, outcome, status FROM {self.table} "
               f"WHERE {' AND '.join(where)} ORDER BY id LIMIT {int(limit)}")
        with self.datastore.transaction(commit=False) as c:
            c.execute(sql, params)
            rows = c.fetchall()
        out = []
        for r in rows:
            v = tuple(r.values()) if isinstance(r, dict) else tuple(r)
            at = v[1] if isinstance(v[1], str) else v[1].isoformat()
            out.append(AccessEntry(v[0], at, v[2], v[3], v[4], v[5], v[6], v[7], v[8]))
        return out
