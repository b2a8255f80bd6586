"""The access log: every read of a sensitive record (who, what, when, outcome), append-only."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import msgspec

from api.auth import Principal
from api.problems import ApiProblem, status_of
from domain import errors
from domain.ledger import Ledger
from domain.storage import access_log


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
    """The access log of one ledger (its table: domain/storage/access_log.py)."""

    def __init__(self, ledger: Ledger) -> None:
        self.storage = ledger.storage

    def record(self, *, staff_id: str, roles: str, action: str, resource: str, student_id: str | None,
               outcome: str, status: int) -> None:
        access_log.append(self.storage, self.storage.now(), staff_id, roles, action, resource, student_id, outcome,
                          status)

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
        return [AccessEntry(id, at.isoformat(), *rest) for id, at, *rest in
                access_log.entries(self.storage, student_id=student_id, staff_id=staff_id, after=after, limit=limit)]
