"""The ledger application (an eventsourcing Application named "Gakuseki") with every command."""

from __future__ import annotations

from domain.ledger_alerts import AlertCommands
from domain.ledger_base import LedgerBase, Receipt
from domain.ledger_board import BoardCommands
from domain.ledger_records import RecordCommands
from domain.ledger_school import SchoolCommands
from domain.ledger_students import StudentCommands

__all__ = ["Ledger", "Receipt"]


class Ledger(SchoolCommands, StudentCommands, RecordCommands, BoardCommands, AlertCommands, LedgerBase):
    """The official register (公簿) of one jurisdiction."""

    name = "Gakuseki"  # pinned: it names the PostgreSQL tables (gakuseki_events)
