"""Read models rebuilt from the log: one module per question (a form, a roster, a figure).

Built in the projections issue; how they will run on SQLite and PostgreSQL is ADR 0005.
"""

from __future__ import annotations

from domain.backend import Backend
from domain.ledger import Ledger
from projections.attendance_register import AttendanceRegister
from projections.base import Projection
from projections.roster import Roster
from projections.runner import Runner
from projections.store import DocumentStore


def all_projections() -> list[Projection]:
    return [Roster(), AttendanceRegister()]


def runner_for(ledger: Ledger, backend: Backend) -> Runner:
    store = DocumentStore(ledger.recorder.datastore, sqlite=backend.kind == "sqlite",  # type: ignore[attr-defined]
                          schema=backend.schema)
    return Runner(ledger, store, all_projections())
