"""Decisions about a board's settings (ADR 0028)."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from datetime import date, datetime

from domain import errors, streams, values
from domain import school_year as school_years
from domain.board import LABEL_LENGTH, LEAVE_DAYS, THRESHOLDS, Board, BoardSettings, BoardSettingsChanged
from domain.event import Event
from domain.school import SchoolYear


def counts_differently(before: BoardSettings, after: BoardSettings) -> bool:
    """Whether the 出欠 figures of a day counted under ``before`` may differ under ``after`` (a label never does)."""
    return before.leave_days != after.leave_days


def label(value: str, field: str) -> str:
    """A column's name as the forms print it: not blank, at most LABEL_LENGTH characters, on one line
    and with no control or invisible format character (it is printed as given, never normalised)."""
    if not value.strip():
        raise errors.BlankText(f"{field} must not be blank", field=field)
    if len(value) > LABEL_LENGTH:
        raise errors.TextTooLong(f"{field} is {len(value)} characters; at most {LABEL_LENGTH}", field=field)
    bad = next((c for c in value if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp")), None)
    if bad is not None:
        raise errors.InvalidBoardSetting(
            f"{field} holds the control character U+{ord(bad):04X}: a label is one line of printable text",
            field=field)
    return value


def change_settings(board: Board | None, code: str, settings: BoardSettings, effective_on: date,
                    sealed: Sequence[tuple[str, int, SchoolYear]], *, recorded_by: str,
                    now: datetime) -> list[Event]:
    """PUT semantics: the whole settings in force from ``effective_on``; what already stands records nothing.

    ``sealed``: school years of the board's schools, among them every year it sealed from the year of
    ``effective_on`` on (school code, year, state). A change takes effect on or after the day the
    latest recorded change takes effect (the stream reads in the order its changes apply, so a read as
    it stood on a day is a prefix of it), and not on a day a sealed year counted, if it would count
    that day differently (学年末確定: a sealed figure is changed only by an approved correction).
    """
    code = values.board_code(code, "board_code")
    values.school_year(school_years.year_of(effective_on), "effective_on")
    if settings.leave_days not in LEAVE_DAYS:
        raise errors.InvalidBoardSetting(
            f"leave_days is one of {', '.join(LEAVE_DAYS)}, not {settings.leave_days!r}", field="settings.leave_days")
    label(settings.excused_label, "settings.excused_label")
    for name, (low, high) in THRESHOLDS.items():
        value = getattr(settings, name)
        if not low <= value <= high:
            raise errors.InvalidBoardSetting(f"{name} is from {low} to {high} (the law's number is the most), "
                                             f"not {value}", field=f"settings.{name}")
    latest = board.changes[-1] if board and board.changes else None
    if latest is not None and effective_on < latest.effective_on:
        raise errors.EffectiveBeforeLatestChange(
            f"board {code}'s latest change takes effect on {latest.effective_on.isoformat()}: a change takes effect "
            "on that day (replacing it) or later", field="effective_on")
    standing = board.in_force(effective_on) if board else BoardSettings()
    if settings == standing:
        return []  # the settings already in force from that day on: nothing to record
    if counts_differently(standing, settings):
        for school, year, state in sealed:
            counted = sorted(d for d in state.days if d >= effective_on) if state.sealed_on else []
            if counted:
                raise errors.YearIsSealed(
                    f"school year {year} of {school} was sealed on {state.sealed_on}; it counted "
                    f"{counted[0].isoformat()}, so a change of how days are counted takes effect after its last "
                    f"school day ({counted[-1].isoformat()})", field="effective_on")
    return [BoardSettingsChanged(
        originator_id=streams.board(code), originator_version=(board.version if board else 0) + 1,
        recorded_at=now, recorded_by=recorded_by, effective_on=effective_on, board_code=code, settings=settings)]
