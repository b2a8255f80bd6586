"""Transfer packets: export a child's signed packet after a hand-over out of the ledger; import one.

Export: the packet is composed as the record stood at the hand-over (projections/forms/transfer_packet.py),
canonicalised (RFC 8785) and signed with the ledger's Ed25519 key (JWS, domain/signing.py). The
same hand-over always gives the same bytes. Import: the packet is verified against the trust list,
decoded strictly, checked to be addressed to the importing school, and the child is admitted there
with the packet kept as received. The packet is its own idempotency key: importing it again
returns the first admission and records nothing. Both reads and imports are in the access log:
an import names the packet (``/v1/transfer-packets/<issuer>/<packet id>``) once it is verified and
addressed here, the child it admitted, and the outcome (a refusal by a rule is ``refused``).
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, JSONBody

from api.context import caller, services
from api.openapi_errors import ERRORS, READ_ERRORS
from api.policy import authorize, not_found, viewing_school
from api.schemas import PACKET_MAX, PacketIn
from api.targets import school_target, student_target
from api.transparency import packet_proof
from api.writes import Recorded
from domain import errors
from domain.signing import verify
from domain.student import StudentHandedOver
from domain.transfer_packet import TransferPacket, verify_proof
from projections.checkpoints import CheckpointPublisher
from projections.forms import transfer_packet
from projections.merkle_log import MerkleLog

Req = Request[Any, Any, Any]


class PacketOut(msgspec.Struct, frozen=True):
    packet: str  # the JWS compact serialization: what the receiving system imports
    packet_id: str
    issuer: str
    kid: str
    to_school: str


class PacketExportController(Controller):
    path = "/v1/students/{student_id:str}/transfer-packet"
    tags = ["hand-overs"]
    responses = READ_ERRORS

    @get("/", sync_to_thread=True,
         summary="The signed transfer packet of a hand-over out of the ledger (registrar, principal; logged)")
    def export(self, request: Req, student_id: FromPath[str]) -> PacketOut:
        p, svc = caller(request), services(request.app.state)
        with svc.access.reading(p, "packet.export", request.url.path, student_id):
            target, student = student_target(svc.ledger, student_id)
            authorize(p, "packet.export", target)
            moves = [(pos, e) for pos, e in svc.ledger.events_in_streams([student.id])
                     if isinstance(e, StudentHandedOver) and e.external]
            forms = svc.forms
            assert forms is not None
            if not moves:
                raise not_found("transfer packet")
            position, move = moves[-1]
            if viewing_school(p, "packet.export", target) != move.from_school:
                raise not_found("transfer packet")  # the school that handed the child over issues it
            forms.runner.wait(position)
            packet = transfer_packet.content(forms, move, position, issuer=svc.signing.ledger_id, board=target.board)
            if packet is None:
                raise not_found("transfer packet")
            # A Merkle log of this request's own: the poller's keeps its tree in memory for its thread
            # alone; two instances share the stored tree safely (the tracking row's lock, ADR 0030).
            proof = packet_proof(svc.ledger, str(student.id), position, tree=MerkleLog(svc.ledger),
                                 publisher=forms.runner.publisher or CheckpointPublisher(
                                     svc.ledger, svc.signing.checkpoint_signer()))
            packet = msgspec.structs.replace(packet, proof=proof)
            token = svc.signing.sign_document(msgspec.to_builtins(packet))
            return PacketOut(token, packet.packet_id, svc.signing.ledger_id, svc.signing.kid, move.to_school)


class PacketImportController(Controller):
    path = "/v1/transfer-packets"
    tags = ["hand-overs"]
    responses = ERRORS

    # larger than the app's bound: a packet carries its proofs (api/schemas.py PACKET_MAX)
    @post("/", sync_to_thread=True, request_max_body_size=PACKET_MAX + 64 * 1024, responses={
        **ERRORS, 200: ResponseSpec(Recorded, generate_examples=False,
        description="Imported before: the first admission (its student and position); nothing recorded")},
          summary="Import a transfer packet: verify, decode, admit the child here (registrar); "
                  "a repeat records nothing")
    def import_packet(self, request: Req, data: JSONBody[PacketIn]) -> Response[Recorded]:
        p, svc = caller(request), services(request.app.state)
        with svc.access.writing(p, "packet.import", request.url.path) as logged:
            authorize(p, "packet.import", school_target(svc.ledger, data.school_code))
            verified = verify(data.packet, svc.trust)
            try:
                packet = msgspec.json.decode(verified.payload, type=TransferPacket, strict=True)
            except msgspec.ValidationError as e:
                raise errors.PacketMalformed(f"the packet does not follow its schema: {e}", field="packet") from None
            if packet.issuer != verified.issuer:
                raise errors.PacketMalformed(
                    f"the packet names issuer {packet.issuer!r} but was signed by {verified.issuer!r}", field="packet")
            # its events, proven in the issuer's signed log (a /2 packet), with the key the JWS verified under
            verify_proof(packet, svc.trust[packet.issuer].values())
            if packet.to_school.code != data.school_code:  # before the repeat check: a first admission is the
                raise errors.PacketWrongDestination(      # addressee's alone to see
                    f"the packet is addressed to {packet.to_school.code}, not to {data.school_code}", field="packet")
            logged.resource = f"{request.url.path}/{packet.issuer}/{packet.packet_id}"
            receipt, recorded = svc.ledger.receive_transfer(packet, data.packet, school_code=data.school_code,
                                                            class_name=data.class_name, number=data.number,
                                                            recorded_by=p.staff_id)
            logged.student_id, logged.status = str(receipt.stream_id), 201 if recorded else 200
        return Response(Recorded(str(receipt.stream_id), receipt.events, receipt.position), status_code=logged.status)
