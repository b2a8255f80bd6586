"""The transfer packet: what a child carries out of this ledger (PRODUCT.md §3.4, docs/transfer-packet.md).

The packet is a JSON document of these types, canonicalised with RFC 8785 and signed as a JWS
(domain/signing.py). Its JSON Schema, generated from these types, is published in
docs/transfer-packet.schema.json; the forms inside (the 指導要録 copy or abstract, the health and
dental cards) are the documents this ledger composes for the receiving school, as JSON objects.
"""

from __future__ import annotations

import base64
import json
from datetime import date, datetime
from typing import Any, Final, Literal

import msgspec

from domain.student import Identity

FORMAT: Final = "gakuseki-transfer-packet/1"


class PacketSchool(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    code: str  # 学校コード
    name: str = ""
    address: str = ""


class TransferPacket(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    """A child's record leaving one ledger for a school outside it, signed by the issuing ledger."""

    format: Literal["gakuseki-transfer-packet/1"]
    packet_id: str  # unique per hand-over: the issuer's hand-over event (stream and version)
    issuer: str  # the issuing ledger's id (also the JWS header's iss)
    issued_at: datetime  # when the hand-over was recorded
    kind: Literal["transfer", "advancement"]  # 転学 (with the 写し) or 進学 (with the 抄本)
    student_id: str  # the child's id in the issuing ledger
    identity: Identity
    from_school: PacketSchool
    to_school: PacketSchool
    left_on: date  # the day the child left the sending school
    accepted_on: date  # the day the receiving school accepted the child
    year: int  # the school year at the receiving school
    grade: int  # the grade the receiving school takes the child into
    record_kind: Literal["copy", "abstract"]  # 写し or 抄本 of the 指導要録
    cumulative_record: dict[str, Any]
    health_card: dict[str, Any]
    dental_card: dict[str, Any]
    reason: str = ""
    received: list[str] = msgspec.field(default_factory=list)  # packets received earlier, nested as received


def schema() -> dict[str, Any]:
    """The packet's JSON Schema (published in docs/transfer-packet.schema.json)."""
    out: dict[str, Any] = msgspec.json.schema(TransferPacket)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": FORMAT, **out}


def payload_of(packet: str) -> dict[str, Any]:
    """The JSON payload of a packet already verified and recorded (for display; verification is
    domain/signing.py's job at import)."""
    segment = packet.split(".")[1]
    data: dict[str, Any] = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    return data


if __name__ == "__main__":  # python -m domain.transfer_packet > docs/transfer-packet.schema.json
    print(json.dumps(schema(), ensure_ascii=False, indent=2, sort_keys=True))
