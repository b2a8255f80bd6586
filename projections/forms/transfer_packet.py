"""What a child carries out of the ledger: the transfer packet's content (domain/transfer_packet.py).

The content is composed as the record stood when the child left (replayed to the hand-over's log
position), as the receiving school is entitled to it: the copy (写し) after a transfer, the abstract
(抄本) after an advancement (the graduating school's final year only, ADR 0027); the health and
dental cards; and, after a transfer, every packet this ledger itself received for the child, nested
exactly as received (an abstract carries none).
"""

from __future__ import annotations

import uuid

import msgspec

from domain import school_year as school_years
from domain.student import Identity, StudentHandedOver
from domain.transfer_packet import FORMAT, PacketSchool, TransferPacket
from projections.base import Cutoff
from projections.forms import Forms, cumulative_record, health_cards
from projections.forms.custody import view_for
from projections.forms.student_file import student_file

PACKET_IDS = uuid.UUID("2d1e8a44-0f6b-4c1a-9d3e-7b5c6a4f3e21")  # fixed forever: packet ids derive from it


def packet_id(student_id: uuid.UUID, version: int) -> str:
    """One packet per hand-over: the same hand-over always gives the same id (and the same bytes)."""
    return str(uuid.uuid5(PACKET_IDS, f"{student_id}/{version}"))


def content(forms: Forms, move: StudentHandedOver, position: int, *, issuer: str,
            board: str | None = None) -> TransferPacket | None:
    """The packet of an external hand-over recorded at ``position``: the record as it stood when the
    transaction holding the hand-over committed (ADR 0021)."""
    end = forms.runner.ledger.transaction_end(position)
    file = student_file(forms.runner, move.originator_id, Cutoff(position=end), health=True)
    if file is None:
        return None
    file.through = school_years.school_date(move.recorded_at).isoformat()  # as it stood then (ADR 0024)
    view = view_for(file.student, move.to_school)
    label = forms.label(forms.board_of(file, move.from_school, board), Cutoff(position=end), file.through)
    record = cumulative_record.compose(file, excused_label=label, view=view)
    sending = file.school(move.from_school)
    return TransferPacket(
        format=FORMAT, packet_id=packet_id(move.originator_id, move.originator_version), issuer=issuer,
        issued_at=move.recorded_at, kind=move.kind,  # type: ignore[arg-type]
        student_id=str(move.originator_id), identity=msgspec.convert(file.student["identity"], Identity),
        from_school=PacketSchool(move.from_school, sending.get("name", ""), sending.get("address", "")),
        to_school=PacketSchool(move.to_school, move.to_school_name, move.to_school_address),
        left_on=move.left_on, accepted_on=move.effective_on, year=move.year, grade=move.grade,
        record_kind="abstract" if move.kind == "advancement" else "copy",
        cumulative_record=record,
        health_card=forms.cards(health_cards.health_card, file, move.to_school),
        dental_card=forms.cards(health_cards.dental_card, file, move.to_school),
        reason=move.reason,
        # an abstract leaves a received packet out whole: it is signed whole by its own issuer (ADR 0027)
        received=[r["packet"] for r in file.student.get("received", [])] if move.kind == "transfer" else [],
    )
