"""The alerts of a school year, and their follow-up (issue 14, ADR 0042): the read model ``alerts``.

One document per (school, school year), key ``<school code>/<year>``::

    {"school_code", "year",
     "alerts": [{"alert_id", "student_id", "grade", "class_name", "rule", "first_day", "last_day", "days",
                 "threshold", "raised_at", "acknowledgements": [{"staff_id", "note", "action", "at"}]}, ...]}

in the order the alerts were raised. An alert belongs to the school that held the child on the day the
rule was crossed, so a school a child left keeps the alerts of its own period and no other. Only
event data goes in: built as the log grows, rebuilt or replayed to a past point, it is the same bytes.

``alerts_of`` is how the routes and the dashboards read it: the document (an empty list when the year
has no alert) with, on each ``health-exam-overdue`` alert, ``done_on``: the day of the examination when
one has been recorded since (late), else None.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NotRequired, TypedDict

from domain.alerts import HEALTH_EXAM_OVERDUE, AlertAcknowledged, AlertRaised
from domain.event import Event
from projections.base import NOW, Cutoff
from projections.forms.student_file import health_key, read
from projections.runner import Runner

NAME = "alerts"


class Acknowledgement(TypedDict):
    staff_id: str
    note: str
    action: str
    at: str  # when it was recorded (ISO time)


class AlertRow(TypedDict):
    alert_id: str
    student_id: str
    grade: int
    class_name: str
    rule: str
    first_day: str
    last_day: str
    days: int
    threshold: int
    raised_at: str
    acknowledgements: list[Acknowledgement]
    done_on: NotRequired[str | None]  # health-exam-overdue only, added on read by alerts_of


class AlertsDocument(TypedDict):
    """``<school code>/<year>``."""

    school_code: str
    year: int
    alerts: list[AlertRow]


def alerts_key(school_code: str, year: int) -> str:
    return f"{school_code}/{year}"


class Alerts:
    name: str = NAME
    version: int = 1
    topics: tuple[str, ...] = ("AlertRaised", "AlertAcknowledged")

    def keys(self, event: Event) -> Iterable[str]:
        if isinstance(event, AlertRaised | AlertAcknowledged):
            return (alerts_key(event.school_code, event.year),)
        return ()

    def apply(self, document: AlertsDocument | None, event: Event) -> AlertsDocument:
        if not isinstance(event, AlertRaised | AlertAcknowledged):
            raise ValueError(f"the alerts do not read {type(event).__name__}")
        doc: AlertsDocument = document or {"school_code": event.school_code, "year": event.year, "alerts": []}
        alert_id = str(event.originator_id)
        if isinstance(event, AlertRaised):
            if not any(a["alert_id"] == alert_id for a in doc["alerts"]):
                doc["alerts"].append({
                    "alert_id": alert_id, "student_id": str(event.student_id), "grade": event.grade,
                    "class_name": event.class_name, "rule": event.rule, "first_day": event.first_day.isoformat(),
                    "last_day": event.last_day.isoformat(), "days": event.days, "threshold": event.threshold,
                    "raised_at": event.recorded_at.isoformat(), "acknowledgements": []})
            return doc
        for alert in doc["alerts"]:
            if alert["alert_id"] == alert_id:
                alert["acknowledgements"].append({"staff_id": event.recorded_by, "note": event.note,
                                                  "action": event.action, "at": event.recorded_at.isoformat()})
        return doc


def alerts_of(runner: Runner, school_code: str, year: int, cutoff: Cutoff = NOW) -> AlertsDocument:
    """A school year's alerts, today or as known at ``cutoff`` (a log position or a recorded time), in the
    order raised; each ``health-exam-overdue`` alert with ``done_on`` (the examination's day, recorded
    after it was due, or None)."""
    key = alerts_key(school_code, year)
    found: AlertsDocument | None = read(runner, {NAME: [key]}, cutoff)[NAME].get(key)
    doc: AlertsDocument = found or {"school_code": school_code, "year": year, "alerts": []}
    health = [a for a in doc["alerts"] if a["rule"] == HEALTH_EXAM_OVERDUE]
    if health:
        keys = {a["alert_id"]: health_key(a["student_id"], year) for a in health}
        exams: dict[str, Any] = read(runner, {"health_records": list(keys.values())}, cutoff)["health_records"]
        for a in health:
            exam = exams.get(keys[a["alert_id"]], {}).get("health")
            a["done_on"] = exam["examined_on"] if exam else None
    return doc
