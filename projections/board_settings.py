"""A board's settings and their history, by the day each takes effect (ADR 0028).

Documents: ``board/<board code>``, named by the board's own stream (``sources``), so a form read as
of a past point replays the settings it was counted by from that one stream, and a rebuild gives
the same bytes. The forms read the settings in force on each day they count
(``leave_days_counted``: which 休学 days count in 授業日数) and on the day they are read for
(``excused_label_on``: the name of the 出席停止・忌引等 column, ADR 0038).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypedDict
from uuid import UUID

import msgspec

from domain import streams
from domain.board import DEFAULTS, BoardSettingsChanged, in_force
from domain.event import Event


class SettingsChange(TypedDict):
    effective_on: str
    settings: dict[str, Any]  # every setting, defaults written out
    recorded_at: str
    recorded_by: str


class BoardDocument(TypedDict):
    """``board/<board code>``: the changes in the order they take effect."""

    board_code: str
    changes: list[SettingsChange]


def board_key(code: str) -> str:
    return f"board/{code}"


class BoardSettingsProjection:
    name: str = "board_settings"
    # raise it when what the documents hold changes (Runner.upgrade); 2: excused_label and the alert
    # thresholds (ADR 0038, 0042)
    version: int = 2
    topics: tuple[str, ...] = ("BoardSettingsChanged",)

    def keys(self, event: Event) -> Iterable[str]:
        return (board_key(event.board_code),) if isinstance(event, BoardSettingsChanged) else ()

    def sources(self, key: str) -> list[UUID]:
        return [streams.board(key.split("/", 1)[1])]

    def apply(self, document: BoardDocument | None, event: Event) -> BoardDocument:
        if not isinstance(event, BoardSettingsChanged):
            raise ValueError(f"the board settings do not read {type(event).__name__}")
        change: SettingsChange = {"effective_on": event.effective_on.isoformat(),
                                  "settings": msgspec.structs.asdict(event.settings),
                                  "recorded_at": event.recorded_at.isoformat(), "recorded_by": event.recorded_by}
        return {"board_code": event.board_code, "changes": [*(document["changes"] if document else []), change]}


DEFAULT_SETTINGS: dict[str, Any] = msgspec.structs.asdict(DEFAULTS)


def setting_on(document: Mapping[str, Any] | None, name: str, day: str) -> Any:
    """One setting in force on an ISO day (the default when the board recorded none by then)."""
    changes = [(c["effective_on"], c["settings"]) for c in document["changes"]] if document else []
    return in_force(changes, day, DEFAULT_SETTINGS).get(name, DEFAULT_SETTINGS[name])


def excused_label_on(document: Mapping[str, Any] | None, day: str) -> str:
    """The name of the 出席停止・忌引等 column in force on an ISO day."""
    return str(setting_on(document, "excused_label", day))


def leave_days_counted(document: Mapping[str, Any] | None, days: Iterable[str]) -> list[str]:
    """Of a child's 休学 days (ISO), those the board counts in 授業日数 (as 出席停止・忌引等) by the setting
    in force on each day; the others are off the roll and counted nowhere (the default)."""
    return [d for d in days if setting_on(document, "leave_days", d) == "excused"]
