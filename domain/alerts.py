"""Alerts: a rule of the register crossed for one child, and what the school did about it (issue 14, ADR 0042).

An alert is a fact of the register like any other: ``AlertRaised`` records that a rule was crossed
(three school days absent in a row, seven without good reason, thirty in the year, no health
examination by 30 June) for one child at one school, with the days that crossed it and the
threshold in force; ``AlertAcknowledged`` records who followed it up, what was done and a note.

Each crossing is its own stream, named by what it is (``streams.alert``: the child, the rule, the
school year and the crossing: the first day of a run; the year alone for the rules that cross once
a year). Whoever raises it first writes version 1; any later raise of the same crossing (a second
process, a restart, a process reading the log again from the start) is refused by the store's
uniqueness on (stream, version) and records nothing: an alert is raised exactly once.

The alert process (projections/alert_raiser.py) raises them from the log; nothing in a write's path does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from uuid import UUID

from domain import errors, values
from domain.event import Event

# The rules (the law: reference/domain-japan.md §3.3; the names are stable, stored in the events).
ABSENCE_RUN = "absence-run"  # N school days absent in a row (a board setting, default 3)
NOTICE_RUN = "notice-run"  # 7 school days in a row without good reason (学校教育法施行令 §20)
LONG_ABSENCE = "long-absence"  # 30 days absent in the school year (長期欠席)
HEALTH_EXAM_OVERDUE = "health-exam-overdue"  # no 健康診断 by 30 June (学校保健安全法施行規則 §5)
RULES = (ABSENCE_RUN, NOTICE_RUN, LONG_ABSENCE, HEALTH_EXAM_OVERDUE)
HEALTH_RULES = frozenset({HEALTH_EXAM_OVERDUE})
# Rules crossed once per school year (the others once per run, named by its first day).
ONCE_A_YEAR = frozenset({LONG_ABSENCE, HEALTH_EXAM_OVERDUE})

RAISED_BY = "gakuseki-alerts"  # recorded_by of a raised alert: the process, not a person
NOTE_LENGTH = 2000
ACTION_LENGTH = 200


class AlertRaised(Event, frozen=True, tag="AlertRaised"):
    """A rule crossed for one child: at ``school_code`` in school year ``year``, the child then in class
    ``grade``-``class_name``; ``first_day``..``last_day`` the days that crossed it (``days`` of them
    counted; for the health examination the day it was due), ``threshold`` the number in force.
    ``effective_on``: the day the rule was crossed (the last of those days; the day after the due day)."""

    student_id: UUID
    rule: str
    school_code: str
    year: int
    grade: int
    class_name: str
    first_day: date
    last_day: date
    days: int
    threshold: int


class AlertAcknowledged(Event, frozen=True, tag="AlertAcknowledged"):
    """Who followed the alert up (``recorded_by``), what was done (``action``) and a ``note``. The
    school, year and child are those of the alert (so its school's list is named by the event alone)."""

    student_id: UUID
    rule: str
    school_code: str
    year: int
    action: str
    note: str


# ---------------------------------------------------------------- state (rule-free evolve)


@dataclass
class Alert:
    raised: AlertRaised
    version: int = 1
    acknowledgements: list[AlertAcknowledged] = field(default_factory=list)


def evolve_alert(state: Alert | None, event: Event) -> Alert:
    match event:
        case AlertRaised():
            state = Alert(event)
        case AlertAcknowledged() if state is not None:
            state.acknowledgements.append(event)
        case _:
            raise ValueError(f"{type(event).__name__} cannot follow an alert")
    state.version = event.originator_version
    return state


def crossing_name(rule: str, first_day: date) -> str:
    """What names a crossing within a child's rule and year: the run's first day, or nothing."""
    return "" if rule in ONCE_A_YEAR else first_day.isoformat()


# ---------------------------------------------------------------- decisions


def raise_alert(stream_id: UUID, *, student_id: UUID, rule: str, school_code: str, year: int, grade: int,
                class_name: str, first_day: date, last_day: date, days: int, threshold: int, on: date,
                now: datetime) -> AlertRaised:
    if rule not in RULES:
        raise errors.InvalidValue(f"rule is one of {', '.join(RULES)}, not {rule!r}", field="rule")
    return AlertRaised(originator_id=stream_id, originator_version=1, recorded_at=now, recorded_by=RAISED_BY,
                       effective_on=on, student_id=student_id, rule=rule, school_code=school_code, year=year,
                       grade=grade, class_name=class_name, first_day=first_day, last_day=last_day, days=days,
                       threshold=threshold)


def acknowledge(alert: Alert, *, action: str, note: str, recorded_by: str, now: datetime,
                today: date) -> AlertAcknowledged:
    """What was done about the alert; the ``action`` is required, the ``note`` may be empty. Acknowledging
    again adds to the record (a later follow-up), it never replaces the first."""
    action = values.text(action, "action", max_length=ACTION_LENGTH)
    note = values.text(note, "note", max_length=NOTE_LENGTH, required=False)
    raised = alert.raised
    return AlertAcknowledged(originator_id=raised.originator_id, originator_version=alert.version + 1,
                             recorded_at=now, recorded_by=recorded_by, effective_on=today,
                             student_id=raised.student_id, rule=raised.rule, school_code=raised.school_code,
                             year=raised.year, action=action, note=note)
