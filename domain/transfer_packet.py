"""The transfer packet: what a child carries out of this ledger (PRODUCT.md §3.4, docs/transfer-packet.md).

The packet is a JSON document of these types, canonicalised with RFC 8785 and signed as a JWS
(domain/signing.py). Its JSON Schema, generated from these types, is published in
docs/transfer-packet.schema.json; the forms inside (the 指導要録 copy or abstract, the health and
dental cards) are the documents this ledger composes for the receiving school, as JSON objects.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any, Final, Literal

import msgspec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from domain import errors
from domain.student import Identity
from domain.transparency.note import NoteKey
from domain.transparency.proof import MULTIPROOF_FILE_FORMAT, PROOF_FILE_FORMAT, ProofFile, verify_proof_file

FORMAT: Final = "gakuseki-transfer-packet/3"  # /3: the proof of its events is one multiproof (ADR 0041)
FORMAT_2: Final = "gakuseki-transfer-packet/2"  # still imported: an inclusion proof per event (ADR 0033)
FORMAT_1: Final = "gakuseki-transfer-packet/1"  # still imported: the same members without ``proof``
PROOF_FORMATS: Final = {FORMAT: MULTIPROOF_FILE_FORMAT, FORMAT_2: PROOF_FILE_FORMAT}  # what each one's proof is


class PacketSchool(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    code: str  # 学校コード
    name: str = ""
    address: str = ""


class TransferPacket(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    """A child's record leaving one ledger for a school outside it, signed by the issuing ledger."""

    format: Literal["gakuseki-transfer-packet/1", "gakuseki-transfer-packet/2", "gakuseki-transfer-packet/3"]
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
    # /2 and /3: the issuer's events the packet was built from, proven in the issuer's signed Merkle log,
    # and that checkpoint: /2 an inclusion proof per event (gakuseki-proof/1), /3 one multiproof for them
    # all (gakuseki-proof/2) (domain/transparency/proof.py; docs/transfer-packet.md)
    proof: ProofFile | None = None


def verify_proof(packet: TransferPacket, keys: Iterable[Ed25519PublicKey]) -> None:
    """Check the packet's proof with the issuer's keys (its checkpoints are signed with the packet key,
    named by the ledger id: ADR 0030): the checkpoint's signature and origin, every leaf and inclusion
    proof, and that the events are this child's. A packet without a proof has nothing to check (/1)."""
    proof = packet.proof
    if proof is None:
        return
    if packet.format == FORMAT_1:
        raise errors.PacketMalformed("a gakuseki-transfer-packet/1 carries no proof", field="packet")
    if proof.format != PROOF_FORMATS[packet.format]:
        raise errors.PacketMalformed(f"a {packet.format} carries a {PROOF_FORMATS[packet.format]} proof, "
                                     f"not {proof.format[:40]!r}", field="packet")
    if proof.origin != packet.issuer:
        raise errors.PacketProofInvalid(f"the proof is of log {proof.origin!r}, not of the issuer {packet.issuer!r}",
                                        field="packet")
    if not any(entry.stream_id == packet.student_id for entry in proof.entries):
        raise errors.PacketProofInvalid("the proof holds no event of the child the packet is about", field="packet")
    refusal: errors.LedgerError | None = None
    for key in keys:
        try:
            verify_proof_file(proof, NoteKey.of(packet.issuer, key), origin=packet.issuer)
            return
        except errors.NoteUnverified as e:  # signed with another of the issuer's keys: try the next
            refusal = e
        except errors.CheckpointRefused as e:
            raise errors.PacketProofInvalid(f"the packet's proof does not verify: {e.message}", field="packet")
    raise errors.PacketProofInvalid(f"the packet's proof is not signed by a key of {packet.issuer}"
                                    + (f": {refusal.message}" if refusal else ""), field="packet")

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
