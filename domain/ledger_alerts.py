"""Commands about alerts (ADR 0042): raising one exactly once, and recording its follow-up."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from domain import alerts, errors, streams
from domain.alerts import Alert, evolve_alert
from domain.ledger_base import LedgerBase, Receipt


class AlertCommands(LedgerBase):
    def alert(self, alert_id: UUID) -> Alert | None:
        """The alert and its acknowledgements (None: no such alert)."""
        try:
            return self._fold(alert_id, evolve_alert)
        except ValueError:  # the stream of something else: no alert by that id
            return None

    def raise_alert(self, *, student_id: UUID, rule: str, school_code: str, year: int, grade: int, class_name: str,
                    first_day: date, last_day: date, days: int, threshold: int, on: date) -> Receipt | None:
        """Record that ``rule`` was crossed; None when that crossing was raised already (by this process
        earlier, or by another one first): the stream is named by the crossing, so the store refuses a
        second first event and nothing is recorded (ADR 0042)."""
        stream = streams.alert(student_id, rule, year, alerts.crossing_name(rule, first_day))
        event = alerts.raise_alert(stream, student_id=student_id, rule=rule, school_code=school_code, year=year,
                                   grade=grade, class_name=class_name, first_day=first_day, last_day=last_day,
                                   days=days, threshold=threshold, on=on, now=self.now())
        try:
            return self.record([event])
        except errors.ConcurrencyConflict:
            return None

    def acknowledge_alert(self, alert_id: UUID, *, action: str, note: str, recorded_by: str) -> Receipt:
        """What was done about an alert, by whom, with a note (each acknowledgement adds to the record)."""
        state = self.alert(alert_id)
        if state is None:
            raise errors.NotFound("no such alert", field="alert_id")
        event = alerts.acknowledge(state, action=action, note=note, recorded_by=recorded_by, now=self.now(),
                                   today=self.today())
        return self.record([event])
