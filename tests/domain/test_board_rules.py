"""A board's settings (ADR 0028): the decision, the settings in force on a day, the sealed years.

Pure rules first (no storage), then the ledger's command on SQLite and PostgreSQL, whose seals come
from the log.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from domain import errors, streams
from domain.board import DEFAULTS, Board, BoardSettings, BoardSettingsChanged, evolve_board, in_force
from domain.board_rules import change_settings
from domain.ledger import Ledger
from domain.school import SchoolCalendarSet, SchoolYear, Term, YearSealed, evolve_year
from tests import builders as b

NOW = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
EXCUSED, EXCLUDED = BoardSettings(leave_days="excused"), BoardSettings(leave_days="excluded")


def decide(board: Board | None, settings: BoardSettings, on: date,
           sealed: list[tuple[str, int, SchoolYear]] | None = None) -> list[BoardSettingsChanged]:
    events = change_settings(board, b.BOARD, settings, on, sealed or [], recorded_by="E-0001", now=NOW)
    return events  # type: ignore[return-value]


def board_with(*changes: tuple[date, BoardSettings]) -> Board:
    state = None
    for on, settings in changes:
        (event,) = decide(state, settings, on)
        state = evolve_board(state, event)
    assert state is not None
    return state


def sealed_year(days: list[date], sealed: bool = True) -> SchoolYear:
    """School year 2026 of a school: its calendar (these days) and, if told, its seal on 25 March 2027."""
    stream = streams.school_year(b.ELEMENTARY, 2026)
    meta = {"originator_id": stream, "recorded_at": NOW, "recorded_by": "P-0001"}
    year = evolve_year(None, SchoolCalendarSet(
        **meta, originator_version=1, effective_on=date(2026, 4, 1), school_code=b.ELEMENTARY, year=2026,
        terms=(Term(1, date(2026, 4, 6), date(2026, 7, 20)), Term(2, date(2026, 9, 1), date(2027, 3, 24))),
        instructional_days=tuple(days)))
    if sealed:
        year = evolve_year(year, YearSealed(**meta, originator_version=2, effective_on=date(2027, 3, 25),
                                            school_code=b.ELEMENTARY, year=2026))
    return year


def test_a_board_that_never_changed_its_settings_counts_by_the_defaults() -> None:
    """ADR 0028: the default is the reference's rule, 休学 days off the roll (domain-japan.md §2.4)."""
    assert DEFAULTS.leave_days == "excluded"
    assert Board(b.BOARD).in_force(date(2026, 4, 6)) == DEFAULTS


def test_the_first_change_is_the_first_event_of_the_boards_stream() -> None:
    (event,) = decide(None, EXCUSED, date(2026, 10, 1))
    assert event == BoardSettingsChanged(
        originator_id=streams.board(b.BOARD), originator_version=1, recorded_at=NOW, recorded_by="E-0001",
        effective_on=date(2026, 10, 1), board_code=b.BOARD, settings=EXCUSED)


def test_a_later_change_applies_from_its_day_and_the_earlier_one_before_it() -> None:
    board = board_with((date(2026, 10, 1), EXCUSED), (date(2027, 4, 1), EXCLUDED))
    assert [board.in_force(d).leave_days for d in (date(2026, 9, 30), date(2026, 10, 1), date(2027, 3, 31),
                                                   date(2027, 4, 1))] == ["excluded", "excused", "excused",
                                                                          "excluded"]


def test_a_second_change_for_the_same_day_replaces_the_first() -> None:
    board = board_with((date(2026, 10, 1), EXCUSED))
    (event,) = decide(board, EXCLUDED, date(2026, 10, 1))
    board = evolve_board(board, event)
    assert event.originator_version == 2
    assert board.in_force(date(2026, 10, 1)) == EXCLUDED


def test_the_settings_already_in_force_from_that_day_record_nothing() -> None:
    """PUT semantics: the defaults on a board that never changed them, or the latest change again."""
    assert decide(None, BoardSettings(), date(2026, 10, 1)) == []
    board = board_with((date(2026, 10, 1), EXCUSED))
    assert decide(board, EXCUSED, date(2026, 10, 1)) == []
    assert decide(board, EXCUSED, date(2026, 12, 1)) == []  # in force from 1 October already


def test_a_change_cannot_take_effect_before_the_latest_change_does() -> None:
    board = board_with((date(2027, 4, 1), EXCUSED))
    with pytest.raises(errors.EffectiveBeforeLatestChange) as refused:
        decide(board, EXCLUDED, date(2026, 10, 1))
    assert (refused.value.field, refused.value.rule) == ("effective_on", "effective-before-latest-change")


def test_an_unknown_leave_days_rule_is_refused_with_its_field() -> None:
    with pytest.raises(errors.InvalidBoardSetting) as refused:
        decide(None, BoardSettings(leave_days="counted"), date(2026, 10, 1))
    assert (refused.value.field, refused.value.rule) == ("settings.leave_days", "invalid-board-setting")


def test_a_day_outside_the_school_years_the_register_keeps_is_refused() -> None:
    with pytest.raises(errors.SchoolYearOutOfRange) as refused:
        decide(None, EXCUSED, date(2101, 4, 1))
    assert refused.value.field == "effective_on"


def test_a_change_of_how_days_count_cannot_take_effect_on_a_day_a_sealed_year_counted() -> None:
    """学年末確定: the sealed 2026 year counted 24 March 2027; a change from 1 October 2026, or from
    24 March 2027 itself, would change its figures. From 25 March (after its last school day) it changes none."""
    year = sealed_year(b.SCHOOL_DAYS)
    for day in (date(2026, 10, 1), date(2027, 3, 24)):
        with pytest.raises(errors.YearIsSealed) as refused:
            decide(None, EXCUSED, day, [(b.ELEMENTARY, 2026, year)])
        assert refused.value.field == "effective_on"
    assert len(decide(None, EXCUSED, date(2027, 3, 25), [(b.ELEMENTARY, 2026, year)])) == 1


def test_an_unsealed_year_takes_a_change_from_any_of_its_days() -> None:
    year = sealed_year(b.SCHOOL_DAYS, sealed=False)
    assert len(decide(None, EXCUSED, date(2026, 4, 1), [(b.ELEMENTARY, 2026, year)])) == 1


def test_in_force_reads_dates_and_iso_days_alike() -> None:
    changes = [("2026-10-01", "a"), ("2027-04-01", "b"), ("2027-04-01", "c")]
    assert [in_force(changes, d, "-") for d in ("2026-09-30", "2026-10-01", "2027-04-01")] == ["-", "a", "c"]


# ---------------------------------------------------------------- the command, with the seals of the log


def test_the_command_finds_the_seals_of_the_boards_schools_and_only_theirs(ledger: Ledger) -> None:
    """School A (board 312011) seals 2026; school C of board 322016 does not. Board 312011's change from
    1 October 2026 is refused for A's seal (it takes one from 25 March 2027, after A's last school day);
    board 322016's from the same day is recorded: C's year is open."""
    b.school_with_calendar(ledger)
    other = "B132220000010"
    ledger.register_school(other, "松江市立あおば小学校", "322016", "島根県松江市", recorded_by="admin")
    ledger.appoint_principal(other, "P-0003", "田中 三郎", on=date(2026, 4, 1), recorded_by="admin")
    ledger.set_calendar(other, b.YEAR, terms=b.TERMS, instructional_days=b.SCHOOL_DAYS, recorded_by="admin")
    ledger.seal_year(b.ELEMENTARY, b.YEAR, recorded_by=b.PRINCIPAL)
    assert ledger.schools_of_board(b.BOARD) == ([b.ELEMENTARY], [(b.ELEMENTARY, b.YEAR)])
    assert ledger.schools_of_board("322016") == ([other], [])
    with pytest.raises(errors.YearIsSealed):
        ledger.set_board_settings(b.BOARD, {"leave_days": "excused"}, effective_on=date(2026, 10, 1),
                                  recorded_by="E-0001")
    assert ledger.board(b.BOARD).changes == []  # refused: nothing recorded
    later = ledger.set_board_settings(b.BOARD, {"leave_days": "excused"}, effective_on=date(2027, 3, 25),
                                      recorded_by="E-0001")
    assert later is not None
    assert later.events == 1
    receipt = ledger.set_board_settings("322016", {"leave_days": "excused"}, effective_on=date(2026, 10, 1),
                                        recorded_by="E-0002")
    assert receipt is not None
    assert receipt.events == 1
    assert ledger.board("322016").in_force(date(2026, 10, 1)).leave_days == "excused"
    assert ledger.set_board_settings("322016", {"leave_days": "excused"}, effective_on=date(2026, 10, 1),
                                     recorded_by="E-0002") is None  # the same again: nothing recorded
