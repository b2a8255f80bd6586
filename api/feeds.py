"""Reading history: a student's history, the ledger's change feed, and the access log."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, get
from litestar.params import FromPath, FromQuery

from api.access_log import AccessEntry
from api.context import caller, services
from api.openapi_errors import READ_ERRORS
from api.policy import Target, authorize, can, viewing_school
from api.schemas import After, Limit
from api.targets import student_target
from domain.event import Event, type_name

Req = Request[Any, Any, Any]
# Hidden from a role, a feed answers exactly as a route that does not exist ("no such resource").
LEDGER = Target(ledger_wide=True, kind="resource")


class HistoryEntry(msgspec.Struct, frozen=True):
    """One event about the student: where it is in the log, what, when, who, why, and what it recorded."""

    position: int
    type: str
    stream_id: str
    version: int
    effective_on: str
    recorded_at: str
    recorded_by: str
    reason: str | None
    corrects_version: int | None
    approved_by: str | None
    # The event's own fields (as GET /v1/log carries them), or null when the reader's roles may not read
    # that kind of record; for a correction, ``replaced`` holds the values it changed, as they were before.
    recorded: dict[str, Any] | None = None
    replaced: dict[str, Any] | None = None


# The read a role needs to see what an event of each kind recorded (the student's own events: student.read).
CONTENTS = {"Attendance": "attendance.read", "Assessment": "record.read", "YearRecord": "record.read",
            "HealthExamination": "health.read", "DentalExamination": "health.read", "Alert": "alert.read"}


class HistoryController(Controller):
    path = "/v1/students/{student_id:str}/history"
    tags = ["history"]
    responses = READ_ERRORS

    @get("/", sync_to_thread=True,
         summary="Every event about a student: what, when, who, why, what it recorded (read is logged)")
    def history(self, request: Req, student_id: FromPath[str]) -> list[HistoryEntry]:
        p, svc = caller(request), services(request.app.state)
        with svc.access.reading(p, "student.history", request.url.path, student_id):
            target, _ = student_target(svc.ledger, student_id)
            authorize(p, "student.history", target)
            # a school's principal reads what happened in its own custody; an auditor everything
            entries = svc.ledger.history(student_id, school=viewing_school(p, "student.history", target))
            readable = {action: can(p, action, target) for action in {*CONTENTS.values(), "student.read"}}
            out = []
            for entry in entries:
                action = next((a for prefix, a in CONTENTS.items() if entry["type"].startswith(prefix)), "student.read")
                if not readable[action]:
                    entry = {**entry, "recorded": None, "replaced": None}
                out.append(msgspec.convert(entry, HistoryEntry))
            return out


class LogEntry(msgspec.Struct, frozen=True):
    position: int
    type: str
    stream_id: str
    version: int
    event: dict[str, Any]


class LogPage(msgspec.Struct, frozen=True):
    entries: list[LogEntry]
    next: str | None  # the URL of the next page, or None at the end of the log


class LogController(Controller):
    path = "/v1"
    tags = ["history"]
    responses = READ_ERRORS

    @get("/log", sync_to_thread=True, summary="The change feed: every event after a position, in log order")
    def log(self, request: Req, after: After = 0, limit: Limit = 100) -> LogPage:
        p, svc = caller(request), services(request.app.state)
        ledger = svc.ledger
        authorize(p, "log.read", LEDGER)
        # The feed carries every payload (health, assessments): reading it is logged like a history.
        svc.access.record(staff_id=p.staff_id, roles=p.roles(), action="log.read",
                          resource=f"{request.url.path}?after={after}&limit={limit}", student_id=None,
                          outcome="allowed", status=200)
        # A page ends on a transaction boundary (ADR 0021): one that would end inside a transaction
        # ends before it, or holds all of it when that transaction is longer than the page.
        page = ledger.notifications(after, limit)
        entries = []
        for n in page:
            event: Event = ledger.mapper.to_domain_event(n)  # type: ignore[assignment]
            entries.append(LogEntry(n.id, type_name(type(event)), str(n.originator_id), n.originator_version,
                                    msgspec.to_builtins(event)))
        more = len(page) >= limit or (bool(page) and page[-1].id < ledger.position())
        return LogPage(entries, f"/v1/log?after={page[-1].id}&limit={limit}" if more and page else None)

    @get("/access-log", sync_to_thread=True, summary="Who read which sensitive record, when, and the outcome")
    def access_log(self, request: Req, student_id: FromQuery[str | None] = None,
                   staff_id: FromQuery[str | None] = None, after: After = 0,
                   limit: Limit = 100) -> list[AccessEntry]:
        p, svc = caller(request), services(request.app.state)
        authorize(p, "access_log.read", LEDGER)
        return svc.access.entries(student_id=student_id, staff_id=staff_id, after=after, limit=limit)
