"""Commands about a board of education: the settings its schools' registers are counted by (ADR 0028)."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from domain import board_rules, streams, values
from domain import school_year as school_years
from domain.board import Board, BoardSettings, evolve_board
from domain.ledger_base import LedgerBase, Receipt, as_value
from domain.school import SchoolDetailsChanged, SchoolRegistered


class BoardCommands(LedgerBase):
    def board(self, code: str) -> Board:
        """The board's settings and their history (a board with none recorded has the defaults)."""
        return self._fold(streams.board(code), evolve_board) or Board(code)

    def set_board_settings(self, code: str, settings: Any, *, effective_on: date,
                           recorded_by: str) -> Receipt | None:
        """The board's settings from ``effective_on``; None when they are already in force from that day."""
        code = values.board_code(code)
        chosen = as_value(settings, BoardSettings, "settings")
        state = self._fold(streams.board(code), evolve_board)
        first = school_years.year_of(effective_on)
        last = max(first, school_years.year_of(self.today())) + 1
        years = [(school, year) for school in self.schools_of_board(code) for year in range(first, last + 1)]
        self.prefetch([streams.school_year(school, year) for school, year in years])
        sealed = [(school, year, self.school_year(school, year)) for school, year in years]
        events = board_rules.change_settings(state, code, chosen, effective_on, sealed, recorded_by=recorded_by,
                                             now=self.now())
        # a seal committed while this was decided would be a sealed year the change was not judged on
        judged = [self.judged_on(school, year, state) for school, year, state in sealed]
        return self.record(events, unchanged=judged) if events else None

    def schools_of_board(self, code: str) -> list[str]:
        """The codes of the schools whose board is ``code`` now (a scan of the schools' registrations and
        changed details: a board's settings change is rare, and no index of a board's schools is kept)."""
        codes: dict[UUID, str] = {}
        boards: dict[UUID, str] = {}
        position = 0
        while True:
            page = self.recorder.select_notifications(
                start=position, limit=1000, topics=["gakuseki:SchoolRegistered", "gakuseki:SchoolDetailsChanged"],
                inclusive_of_start=False)
            for n in page:
                event = self.decode(n)
                if isinstance(event, SchoolRegistered):
                    codes[event.originator_id] = event.school_code
                    boards[event.originator_id] = event.board_code
                elif isinstance(event, SchoolDetailsChanged):
                    boards[event.originator_id] = event.board_code
            if len(page) < 1000:
                return sorted(codes[s] for s, b in boards.items() if b == code and s in codes)
            position = page[-1].id
