"""Commands about a board of education: the settings its schools' registers are counted by (ADR 0028)."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from domain import board_rules, streams, values
from domain import school_year as school_years
from domain.board import Board, BoardSettings, evolve_board
from domain.ledger_base import LedgerBase, Receipt, as_value
from domain.school import SchoolDetailsChanged, SchoolRegistered, YearSealed


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
        schools, sealed_years = self.schools_of_board(code)
        # the years a sealed figure may stand in (sealed, from the year the change takes effect), and the
        # current years, which a seal committed while this is decided would change (ADR 0018)
        current = range(first, max(first, school_years.year_of(self.today())) + 1)
        years = sorted({*((s, y) for s, y in sealed_years if y >= first), *((s, y) for s in schools for y in current)})
        self.prefetch([streams.school_year(school, year) for school, year in years])
        judged = [(school, year, self.school_year(school, year)) for school, year in years]
        events = board_rules.change_settings(state, code, chosen, effective_on, judged, recorded_by=recorded_by,
                                             now=self.now())
        return self.record(events, unchanged=[self.judged_on(s, y, st) for s, y, st in judged]) if events else None

    def schools_of_board(self, code: str) -> tuple[list[str], list[tuple[str, int]]]:
        """The codes of the schools whose board is ``code`` now, and the school years they sealed (a scan of
        the schools' registrations, changed details and seals: a board's settings change is rare, and no
        index of a board's schools is kept)."""
        codes: dict[UUID, str] = {}
        boards: dict[UUID, str] = {}
        seals: list[tuple[str, int]] = []
        position = 0
        topics = ["gakuseki:SchoolRegistered", "gakuseki:SchoolDetailsChanged", "gakuseki:YearSealed"]
        while True:
            page = self.recorder.select_notifications(start=position, limit=1000, topics=topics,
                                                      inclusive_of_start=False)
            for n in page:
                event = self.decode(n)
                if isinstance(event, SchoolRegistered):
                    codes[event.originator_id] = event.school_code
                    boards[event.originator_id] = event.board_code
                elif isinstance(event, SchoolDetailsChanged):
                    boards[event.originator_id] = event.board_code
                elif isinstance(event, YearSealed):
                    seals.append((event.school_code, event.year))
            if len(page) < 1000:
                break
            position = page[-1].id
        mine = sorted(codes[s] for s, b in boards.items() if b == code and s in codes)
        return mine, [(school, year) for school, year in seals if school in mine]
