"""The base of every recorded fact, and the stable names they are stored under.

Events are a stored contract that must decode for twenty years. Each event class declares an
explicit ``tag`` (its stable type name); the tag, not the module path, is what the log stores,
so modules can be moved and renamed freely. Add fields only with defaults; never change a type.
Fields at their default are left out of the stored JSON (``omit_defaults``), so adding a field
with a default leaves every earlier event's bytes as they were.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar, TypedDict
from uuid import UUID

import msgspec

TOPIC_PREFIX = "gakuseki:"


class Event(msgspec.Struct, frozen=True, kw_only=True, tag_field="type", forbid_unknown_fields=True,
            omit_defaults=True):
    """A fact the register recorded.

    ``recorded_at`` is when the ledger recorded it, ``recorded_by`` the staff id of who did,
    and ``effective_on`` the day it is about (an admission date, the day of a roll...).
    """

    originator_id: UUID
    originator_version: int
    recorded_at: datetime
    recorded_by: str
    effective_on: date

    # Set on events that correct an earlier one; the projections show both (訂正は原文が読めるように).
    is_correction: ClassVar[bool] = False

    @property
    def timestamp(self) -> datetime:
        """The library's name for the recording time."""
        return self.recorded_at


class Correction(Event, frozen=True, kw_only=True):
    """An event that replaces an earlier event of the same stream, keeping it visible."""

    corrects_version: int
    reason: str
    approved_by: str | None = None

    is_correction: ClassVar[bool] = True


class Stamp(TypedDict):
    """The three facts every event carries besides its stream position."""

    recorded_at: datetime
    recorded_by: str
    effective_on: date


def stamp(now: datetime, recorded_by: str, on: date) -> Stamp:
    return Stamp(recorded_at=now, recorded_by=recorded_by, effective_on=on)


def type_name(cls: type[Event]) -> str:
    tag = cls.__struct_config__.tag
    if not isinstance(tag, str):
        raise TypeError(f"{cls.__name__} needs an explicit stable tag")
    return tag


def all_event_classes() -> dict[str, type[Event]]:
    """Every concrete event class by its stable type name (imports the domain modules)."""
    # Imported here so that the registry always sees every module that defines events.
    from domain import alerts, assessment, attendance, board, health, school, student  # noqa: F401

    found: dict[str, type[Event]] = {}
    stack: list[type[Event]] = [Event]
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        tag = cls.__struct_config__.tag
        if cls not in (Event, Correction) and isinstance(tag, str):
            if tag in found and found[tag] is not cls:
                raise TypeError(f"two event classes share the stable name {tag!r}")
            found[tag] = cls
    return found
