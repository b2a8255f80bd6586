"""A board of education (教育委員会) and the settings its schools' registers are counted by.

One small stream per board (``streams.board``): each ``BoardSettingsChanged`` records the whole
settings in force from its ``effective_on`` day (ADR 0028). Every setting has a default, the rule
the reference gives, in force from the first day of any register; a later setting is a field added
to ``BoardSettings`` with its default, so every earlier event keeps its bytes and its meaning.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, TypeVar

import msgspec

from domain.event import Event

# 休学 days (ADR 0028): off the roll and out of 授業日数 (the reference's rule, the default), or
# in 授業日数 and counted among 出席停止・忌引等 (a board's choice; the days a child must attend are the same).
LEAVE_DAYS = ("excluded", "excused")
# The 出席停止・忌引等 column's name on every form (2019 notice); the 2021 事務連絡 lets a board rename it,
# e.g. 「オンラインを活用した特例の授業・出席停止・忌引等の日数」 (domain-japan.md §2.4; ADR 0038).
EXCUSED_LABEL = "出席停止・忌引等の日数"
LABEL_LENGTH = 40  # characters, at most: the longest wording seen has 27
# The alerts' thresholds (ADR 0042): the law's numbers (reference/domain-japan.md §3.3), and the most a
# board may set for the run of absence a teacher is told of.
NOTICE_RUN_DAYS = 7
LONG_ABSENCE_DAYS = 30
ABSENCE_RUN_MAX = 30
# BoardSettings fields that are alert thresholds, with their bounds (board_rules checks them).
THRESHOLDS = {"alert_absence_run_days": (2, ABSENCE_RUN_MAX), "alert_notice_run_days": (2, NOTICE_RUN_DAYS),
              "alert_long_absence_days": (2, LONG_ABSENCE_DAYS)}


class BoardSettings(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    """What a board decides for the registers of its schools. A field left out is its default."""

    leave_days: Annotated[str, msgspec.Meta(
        examples=["excused"],
        description="休学 days: `excluded` (off the roll, not in 授業日数: the default, as the reference "
                    "counts days on the roll) or `excused` (in 授業日数, counted among 出席停止・忌引等)")] = "excluded"
    excused_label: Annotated[str, msgspec.Meta(
        examples=["オンラインを活用した特例の授業・出席停止・忌引等の日数"],
        description="the name of the 出席停止・忌引等 column on the forms (出席簿, 指導要録, 通知表): 1–40 characters, "
                    "no control characters; the default is the 2019 notice's")] = EXCUSED_LABEL
    # The thresholds of the alerts (ADR 0042). The law's numbers are the defaults and the most a board may
    # set: it may watch earlier, never later (施行令 §20's seven days, 長期欠席's thirty).
    alert_absence_run_days: Annotated[int, msgspec.Meta(
        ge=2, le=ABSENCE_RUN_MAX, examples=[3],
        description="school days absent in a row that raise an `absence-run` alert (default 3)")] = 3
    alert_notice_run_days: Annotated[int, msgspec.Meta(
        ge=2, le=NOTICE_RUN_DAYS, examples=[7],
        description="school days absent in a row, not all for illness, that raise a `notice-run` alert "
                    "(施行令 §20: 7, the default and the most)")] = NOTICE_RUN_DAYS
    alert_long_absence_days: Annotated[int, msgspec.Meta(
        ge=2, le=LONG_ABSENCE_DAYS, examples=[30],
        description="days absent in the school year that raise a `long-absence` alert (長期欠席: 30, the "
                    "default and the most)")] = LONG_ABSENCE_DAYS


DEFAULTS = BoardSettings()


class BoardSettingsChanged(Event, frozen=True, tag="BoardSettingsChanged"):
    """The board's settings in force from ``effective_on`` (until a later change takes effect)."""

    board_code: str
    settings: BoardSettings


# ---------------------------------------------------------------- state (rule-free evolve)


@dataclass
class Board:
    code: str
    version: int = 0
    changes: list[BoardSettingsChanged] = field(default_factory=list)  # in the order recorded (and taking effect)

    def in_force(self, day: date) -> BoardSettings:
        return in_force([(c.effective_on, c.settings) for c in self.changes], day, DEFAULTS)


def evolve_board(state: Board | None, event: Event) -> Board:
    match event:
        case BoardSettingsChanged():
            state = state or Board(event.board_code)
            state.changes.append(event)
        case _:
            raise ValueError(f"{type(event).__name__} cannot follow a board")
    state.version = event.originator_version
    return state


D = TypeVar("D", date, str)  # a day as a date or as its ISO text (the projections' documents)
S = TypeVar("S")


def in_force(changes: Sequence[tuple[D, S]], day: D, default: S) -> S:
    """The settings in force on ``day``: those of the last change taking effect on or before it (changes
    take effect in the order recorded; of two for the same day the later one), else the defaults."""
    at = bisect.bisect_right([d for d, _ in changes], day)
    return changes[at - 1][1] if at else default
