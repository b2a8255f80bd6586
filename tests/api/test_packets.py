"""Transfer packets between two ledgers: export, verify, import, and every way a packet is refused.

Two ledgers in one test (two SQLite files, or two PostgreSQL schemas): Tottori's hands a child over
to a school in Chiba's, which imports the signed packet. The received copy equals what Tottori's
ledger holds; a second import records nothing; a changed byte, a foreign key, ``alg: none``, a
packet for another school or one that breaks the schema is refused with the rule that says which,
and records nothing.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import msgspec
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from litestar.testing import TestClient

from api.app import create_app
from api.auth import Verifier
from api.devkeys import AUDIENCE, DEV_ISSUER, DevKey
from api.keys import LedgerKey
from api.transparency import proof_file, student_streams
from domain.backend import Backend
from domain.ledger import Ledger
from domain.signing import TrustList, b64url, canonical
from domain.storage import merkle_log
from domain.transfer_packet import TransferPacket, verify_proof
from domain.transparency.note import Checkpoint, NoteKey, NoteSigner, sign_checkpoint
from domain.transparency.proof import verify_proof_file
from migrations.apply import apply
from projections.base import Cutoff
from projections.base import canonical as canonical_doc
from tests.api.conftest import DENTAL, HEALTH, VIEWPOINTS, YEAR, A, Api, seed
from tests.builders import SCHOOL_DAYS, TERMS
from tests.conftest import Clock

CHIBA_SCHOOL = "B127210000017"  # 千葉市立あおば小学校: in the second ledger only
ELSEWHERE = "B127210000025"
TOTTORI, CHIBA = "jp-31-tottori", "jp-12-chiba"
REFUSALS = {"packet-malformed", "packet-unsigned", "packet-algorithm-refused", "packet-unknown-issuer",
            "packet-signature-invalid"}


@contextmanager
def _ledger_api(backend: Backend, folder: Path, key: LedgerKey, trust: TrustList | None,
                **app_options: Any) -> Iterator[Api]:
    apply(backend)
    ledger = Ledger.open(backend, clock=Clock())
    schools = seed(ledger)
    dev = DevKey.load_or_create(folder / "dev-key.pem")
    # The alert process (ADR 0042) is left out as in tests/api/conftest.py: it records events of its own
    # (a health examination not done by 30 June, judged by today's date) while a test counts the log.
    app = create_app(ledger, backend, Verifier(dev.jwks(), issuer=DEV_ISSUER, audience=AUDIENCE),
                     signing=key, trust=trust, **{"run_projections": True, "raise_alerts": False, **app_options})
    try:
        with TestClient(app=app) as client:
            yield Api(client, ledger, backend, dev, schools)
    finally:
        ledger.close()


@pytest.fixture
def tottori_options() -> dict[str, Any]:
    """How the issuing ledger's app is made (a test overrides it: its poller's cadence, or no poller)."""
    return {}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def two_ledgers(request: pytest.FixtureRequest, tmp_path: Path,
                tottori_options: dict[str, Any]) -> Iterator[tuple[Api, Api, LedgerKey]]:
    if request.param == "sqlite":
        first, second = (Backend.from_url(f"sqlite:///{tmp_path}/{n}.sqlite3") for n in ("tottori", "chiba"))
    else:
        base = request.getfixturevalue("postgres_database").url.split("?")[0]
        first, second = (Backend.from_url(f"{base}?schema=pk_{n}_{uuid.uuid4().hex[:8]}") for n in ("a", "b"))
    tottori_key = LedgerKey.of(TOTTORI, Ed25519PrivateKey.generate())
    chiba_key = LedgerKey.of(CHIBA, Ed25519PrivateKey.generate())
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with _ledger_api(first, tmp_path / "a", tottori_key, None, **tottori_options) as tottori, \
            _ledger_api(second, tmp_path / "b", chiba_key, tottori_key.trust()) as chiba:
        chiba.ledger.register_school(CHIBA_SCHOOL, "千葉市立あおば小学校", "121002", "千葉県千葉市中央区1-1",
                                     recorded_by="admin")
        chiba.ledger.set_calendar(CHIBA_SCHOOL, YEAR, terms=TERMS, instructional_days=SCHOOL_DAYS,
                                  recorded_by="admin")
        chiba.ledger.form_class(CHIBA_SCHOOL, YEAR, 1, "1", homeroom_teacher_id="T-0500",
                                homeroom_teacher_name="森 由美", on=date(2026, 4, 6), recorded_by="admin")
        yield tottori, chiba, tottori_key


def _move_out(api: Api, to_school: str = CHIBA_SCHOOL) -> tuple[str, dict[str, Any]]:
    """A child of school A with a record, handed over to a school outside the ledger; its exported packet."""
    _, sid = api.fresh_student(A)
    api.roll(api.fresh_class(A), date(2026, 4, 7))
    principal = api.auth("principal")
    for path, body in ((f"/v1/students/{sid}/assessments", {"year": YEAR, "subject": "japanese", "term": 1,
                                                              "viewpoints": VIEWPOINTS, "assessed_on": "2026-05-29"}),
                       (f"/v1/students/{sid}/health-exams", {"year": YEAR, "examination": HEALTH,
                                                              "examined_on": "2026-05-01"}),
                       (f"/v1/students/{sid}/dental-exams", {"year": YEAR, "examination": DENTAL,
                                                              "examined_on": "2026-05-01"})):
        assert api.post(path, body, principal).status_code == 201
    move = {"kind": "transfer", "to_school": to_school, "external": True, "to_school_name": "千葉市立あおば小学校",
            "to_school_address": "千葉県千葉市中央区1-1", "left_on": "2026-06-05", "accepted_on": "2026-06-08",
            "year": YEAR, "grade": 1, "reason": "保護者の転勤に伴う転居"}
    assert api.post(f"/v1/students/{sid}/handovers", move, api.auth("registrar")).status_code == 201
    exported = api.get(f"/v1/students/{sid}/transfer-packet", api.auth("registrar"))
    assert exported.status_code == 200, exported.text
    return sid, exported.json()


def _import(chiba: Api, packet: str, school: str = CHIBA_SCHOOL) -> Any:
    registrar = chiba.auth("registrar", school, staff="R-0500")
    return chiba.post("/v1/transfer-packets", {"school_code": school, "packet": packet, "class_name": "1",
                                               "number": 1}, registrar)


def _payload(packet: str) -> dict[str, Any]:
    segment = packet.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


def test_a_packet_moves_the_record_to_another_ledger_once(two_ledgers: tuple[Api, Api, LedgerKey]) -> None:
    tottori, chiba, _ = two_ledgers
    sid, exported = _move_out(tottori)
    packet = exported["packet"]
    assert (exported["issuer"], exported["to_school"]) == (TOTTORI, CHIBA_SCHOOL)
    # The same hand-over exports the same bytes again (deterministic content and Ed25519).
    assert tottori.get(f"/v1/students/{sid}/transfer-packet", tottori.auth("registrar")).json()["packet"] == packet

    first = _import(chiba, packet)
    assert first.status_code == 201, first.text
    assert first.json()["events"] == 2  # the admission, and the place in class 1-1
    child = first.json()["stream_id"]
    position = chiba.ledger.position()
    again = _import(chiba, packet)
    assert again.status_code == 200
    assert (again.json()["stream_id"], again.json()["events"]) == (child, 0)
    assert chiba.ledger.position() == position

    # The received copy, as Chiba's forms show it, is what Tottori's ledger holds for that school.
    principal = chiba.auth("principal", CHIBA_SCHOOL, staff="P-0500")
    record = chiba.get(f"/v1/students/{child}/forms/cumulative-record?wait_for={position}", principal).json()
    [received] = record["received"]
    assert (received["from_ledger"], received["kind"], received["record_kind"]) == (TOTTORI, "transfer", "copy")
    forms = tottori.client.app.state["services"].forms
    move_position = max(p for p, e in tottori.ledger.events_in_streams([uuid.UUID(sid)]))
    held = forms.cumulative_record(sid, school=CHIBA_SCHOOL,  # as the hand-over's transaction left it
                                   as_of=Cutoff(position=tottori.ledger.transaction_end(move_position)))
    assert canonical_doc(received["content"]["cumulative_record"]) == canonical_doc(held)
    assert [r["source"] for r in held["form2"]] == ["copy"]
    assert received["content"]["health_card"]["columns"][0]["items"]["height_cm"] == HEALTH["height_cm"]
    # Chiba's own record of the child starts with the transfer in, naming the school it came from.
    admission = record["form1"]["admission"]
    assert (admission["kind"], admission["from_school"], admission["on"]) == ("transfer", A, "2026-06-08")


def test_the_signature_verifies_with_ed25519_directly(two_ledgers: tuple[Api, Api, LedgerKey]) -> None:
    tottori, _, key = two_ledgers
    _, exported = _move_out(tottori)
    header, payload, signature = exported["packet"].split(".")
    raw = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
    key.public_key.verify(raw, f"{header}.{payload}".encode("ascii"))  # raises InvalidSignature if not
    assert json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4))) == {
        "alg": "EdDSA", "iss": TOTTORI, "kid": key.kid, "typ": "gakuseki-transfer-packet+jws"}
    body = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    assert canonical(json.loads(body)) == body  # RFC 8785: the bytes are already canonical


def test_every_changed_byte_is_refused_and_records_nothing(two_ledgers: tuple[Api, Api, LedgerKey]) -> None:
    tottori, chiba, _ = two_ledgers
    _, exported = _move_out(tottori)
    packet = exported["packet"]
    positions = sorted({round(i * (len(packet) - 1) / 239) for i in range(240)})
    assert len(positions) >= 200
    before = chiba.ledger.position()
    rules: set[str] = set()
    for i in positions:
        replacement = "A" if packet[i] != "A" else "B"
        changed = packet[:i] + replacement + packet[i + 1:]
        response = _import(chiba, changed)
        assert response.status_code == 422, (i, response.text)
        rules.add(response.json()["rule"])
    assert rules <= REFUSALS
    assert "packet-signature-invalid" in rules
    assert chiba.ledger.position() == before


def test_foreign_keys_unsigned_packets_and_packets_for_another_school_are_refused(
        two_ledgers: tuple[Api, Api, LedgerKey]) -> None:
    tottori, chiba, key = two_ledgers
    _, exported = _move_out(tottori)
    packet = exported["packet"]
    payload = packet.split(".")[1]
    body = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    stranger = LedgerKey.of(TOTTORI, Ed25519PrivateKey.generate())  # claims to be Tottori, with another key
    unknown = LedgerKey.of("jp-99-nowhere", Ed25519PrivateKey.generate())
    none_header = b64url(json.dumps({"alg": "none", "iss": TOTTORI, "kid": key.kid,
                                     "typ": "gakuseki-transfer-packet+jws"}).encode())
    hs_header = b64url(json.dumps({"alg": "HS256", "iss": TOTTORI, "kid": key.kid,
                                   "typ": "gakuseki-transfer-packet+jws"}).encode())
    schema_broken = key.sign(canonical({**_payload(packet), "favourite_colour": "blue"}))
    cases = {
        "re-signed with an untrusted key": (stranger.sign(body), "packet-unknown-issuer"),
        "from an unknown ledger": (unknown.sign(body), "packet-unknown-issuer"),
        "alg none": (f"{none_header}.{payload}.", "packet-unsigned"),
        "alg swapped to HS256": (f"{hs_header}.{payload}.{b64url(b'x' * 32)}", "packet-algorithm-refused"),
        "not following the schema": (schema_broken, "packet-malformed"),
        "not a JWS at all": ("this is not a packet", "packet-malformed"),
    }
    before = chiba.ledger.position()
    for case, (token, rule) in cases.items():
        response = _import(chiba, token)
        assert response.status_code == 422, (case, response.text)
        problem = response.json()
        assert (problem["rule"], problem["field"]) == (rule, "packet"), case
    # Signed by Tottori, but addressed to another school: the importing school refuses it.
    _, elsewhere = _move_out(tottori, ELSEWHERE)
    wrong = _import(chiba, elsewhere["packet"])
    assert wrong.status_code == 422
    assert wrong.json()["rule"] == "packet-wrong-destination"
    assert chiba.ledger.position() == before
    # And a registrar of another school cannot import into this one (it is out of their duty).
    other = chiba.post("/v1/transfer-packets", {"school_code": CHIBA_SCHOOL, "packet": packet},
                       chiba.auth("registrar", A))
    assert other.status_code == 404


def test_a_child_without_a_move_out_of_the_ledger_has_no_packet(two_ledgers: tuple[Api, Api, LedgerKey]) -> None:
    tottori, _, _ = two_ledgers
    _, sid = tottori.fresh_student(A)
    response = tottori.get(f"/v1/students/{sid}/transfer-packet", tottori.auth("registrar"))
    assert response.status_code == 404





def test_a_child_who_came_with_a_packet_leaves_with_it_nested_as_received(
        two_ledgers: tuple[Api, Api, LedgerKey]) -> None:
    tottori, chiba, _ = two_ledgers
    _, exported = _move_out(tottori)
    child = _import(chiba, exported["packet"]).json()["stream_id"]
    onward = {"kind": "transfer", "to_school": "B131230000011", "external": True,
              "to_school_name": "米子市立なぎさ小学校", "left_on": "2026-09-30", "accepted_on": "2026-10-01",
              "year": YEAR, "grade": 1, "reason": "転居"}
    registrar = chiba.auth("registrar", CHIBA_SCHOOL, staff="R-0500")
    assert chiba.post(f"/v1/students/{child}/handovers", onward, registrar).status_code == 201
    second = chiba.get(f"/v1/students/{child}/transfer-packet", registrar)
    assert second.status_code == 200, second.text
    payload = _payload(second.json()["packet"])
    assert payload["received"] == [exported["packet"]]  # the first packet, byte for byte
    assert payload["cumulative_record"]["received"][0]["packet_id"] == exported["packet_id"]
    assert [r["source"] for r in payload["cumulative_record"]["form2"]] == ["copy"]


def test_a_repeat_import_at_another_school_is_refused_as_wrong_destination_and_shows_nothing(
        two_ledgers: tuple[Api, Api, LedgerKey]) -> None:
    tottori, chiba, _ = two_ledgers
    _, exported = _move_out(tottori)
    assert _import(chiba, exported["packet"]).status_code == 201
    chiba.ledger.register_school(ELSEWHERE, "千葉市立みなと小学校", "121002", "千葉県千葉市美浜区1-1",
                                 recorded_by="admin")
    position = chiba.ledger.position()
    again = _import(chiba, exported["packet"], ELSEWHERE)  # the first admission is not this school's to see
    assert again.status_code == 422, again.text
    assert (again.json()["rule"], again.json()["field"]) == ("packet-wrong-destination", "packet")
    assert "stream_id" not in again.json()
    assert chiba.ledger.position() == position


def test_every_import_of_a_packet_is_written_to_the_access_log_with_its_outcome(
        two_ledgers: tuple[Api, Api, LedgerKey]) -> None:
    tottori, chiba, _ = two_ledgers
    _, exported = _move_out(tottori)
    packet, packet_id = exported["packet"], exported["packet_id"]
    resource = f"/v1/transfer-packets/{TOTTORI}/{packet_id}"
    tampered = packet[:-4] + ("AAAA" if not packet.endswith("AAAA") else "BBBB")
    assert _import(chiba, tampered).status_code == 422  # refused: the signature does not verify
    first = _import(chiba, packet)
    assert first.status_code == 201
    child = first.json()["stream_id"]
    assert _import(chiba, packet).status_code == 200  # the repeat records nothing, but is still logged
    outsider = chiba.post("/v1/transfer-packets", {"school_code": CHIBA_SCHOOL, "packet": packet},
                          chiba.auth("registrar", A, staff="R-0009"))
    assert outsider.status_code == 404  # out of the outsider's duty: not even the packet is read
    access = chiba.client.app.state["services"].access
    entries = [(e.staff_id, e.roles, e.action, e.resource, e.student_id, e.outcome, e.status)
               for e in access.entries() if e.action == "packet.import"]
    assert entries == [
        ("R-0500", "registrar", "packet.import", "/v1/transfer-packets", None, "refused", 422),
        ("R-0500", "registrar", "packet.import", resource, child, "allowed", 201),
        ("R-0500", "registrar", "packet.import", resource, child, "allowed", 200),
        ("R-0009", "registrar", "packet.import", "/v1/transfer-packets", None, "not-found", 404),
    ]
    assert all(e.at for e in access.entries())


# ---------------------------------------------------------------- the proof a packet carries (issue 12 item 6)


def test_a_packet_carries_the_proof_of_its_events_in_the_issuers_signed_log(
        two_ledgers: tuple[Api, Api, LedgerKey]) -> None:
    tottori, chiba, key = two_ledgers
    sid, exported = _move_out(tottori)
    packet = msgspec.convert(_payload(exported["packet"]), TransferPacket)
    assert packet.format == "gakuseki-transfer-packet/3"
    assert packet.proof is not None
    assert packet.proof.format == "gakuseki-proof/2"  # one multiproof for every event (ADR 0041)
    assert packet.proof.multiproof
    assert all(entry.inclusion == [] for entry in packet.proof.entries)
    assert [e.index for e in packet.proof.entries] == sorted({e.index for e in packet.proof.entries})
    verify_proof(packet, [key.public_key])
    checkpoint, _ = verify_proof_file(packet.proof, NoteKey.of(TOTTORI, key.public_key))
    topics = {entry.topic for entry in packet.proof.entries if entry.stream_id == sid}
    assert {"gakuseki:StudentAdmitted", "gakuseki:StudentHandedOver"} <= topics
    handover = next(e.position for e in packet.proof.entries if e.topic == "gakuseki:StudentHandedOver")
    assert max(entry.position for entry in packet.proof.entries) == handover  # what the packet was built from
    assert checkpoint.size > max(entry.index for entry in packet.proof.entries)
    assert all(entry.state is None for entry in packet.proof.entries)  # the forms carry the contents
    assert _import(chiba, exported["packet"]).status_code == 201


def _resigned(key: LedgerKey, payload: dict[str, Any]) -> str:
    return key.sign(canonical(payload))


def test_a_packet_whose_proof_does_not_verify_is_refused_and_records_nothing(
        two_ledgers: tuple[Api, Api, LedgerKey]) -> None:
    tottori, chiba, key = two_ledgers
    sid, exported = _move_out(tottori)
    payload = _payload(exported["packet"])
    proof = payload["proof"]
    entry = proof["entries"][0]
    other_leaf = base64.b64encode(base64.b64decode(entry["leaf"])[:-1] + b"\x00").decode()
    forger = NoteSigner(TOTTORI, Ed25519PrivateKey.generate())
    forged_note = sign_checkpoint(Checkpoint(TOTTORI, proof["tree_size"], base64.b64decode(proof["root"])), forger)
    invalid = {"packet-proof-invalid"}
    _refused_with_proofs(chiba, key, payload, {
        "a leaf changed": ({**proof, "entries": [{**entry, "leaf": other_leaf}, *proof["entries"][1:]]}, invalid),
        "a checkpoint signed by another key": ({**proof, "checkpoint": forged_note}, invalid),
        "another child's events": (
            {**proof, "entries": [e for e in proof["entries"] if e["stream_id"] != sid]}, invalid),
    })


def test_a_packet_whose_multiproof_was_changed_or_proves_another_root_is_refused_and_records_nothing(
        two_ledgers: tuple[Api, Api, LedgerKey]) -> None:
    tottori, chiba, key = two_ledgers
    _, exported = _move_out(tottori)
    payload = _payload(exported["packet"])
    proof = payload["proof"]
    hashes = proof["multiproof"]
    first = base64.b64decode(hashes[0])
    flipped = base64.b64encode(bytes([first[0] ^ 0x80]) + first[1:]).decode()
    _, later = _move_out(tottori)  # the issuer has signed a later checkpoint: a real one, of another root
    other = _payload(later["packet"])["proof"]
    assert other["tree_size"] > proof["tree_size"]
    invalid, malformed = {"packet-proof-invalid"}, {"packet-malformed", "packet-proof-invalid"}
    _refused_with_proofs(chiba, key, payload, {
        "a multiproof hash changed": ({**proof, "multiproof": [flipped, *hashes[1:]]}, invalid),
        "a multiproof hash left out": ({**proof, "multiproof": hashes[:-1]}, invalid),
        "a multiproof hash added": ({**proof, "multiproof": [*hashes, hashes[0]]}, invalid),
        "an event left out": ({**proof, "entries": proof["entries"][:-1]}, invalid),
        "proven to another signed root": (
            {**proof, **{k: other[k] for k in ("checkpoint", "tree_size", "root")}}, invalid),
        # the packet's version names the proof's form: no mixing
        "a /3 packet with a proof/1": ({**proof, "format": "gakuseki-proof/1", "multiproof": None}, malformed),
        "a /3 packet whose proof names /1": ({**proof, "format": "gakuseki-proof/1"}, malformed),
    })


def _refused_with_proofs(chiba: Api, key: LedgerKey, payload: dict[str, Any],
                         cases: dict[str, tuple[dict[str, Any], set[str]]]) -> None:
    """Each packet, re-signed by its issuer with the proof changed, is refused by a rule of the set
    given, and the receiving ledger records nothing."""
    before = chiba.ledger.position()
    for name, (changed, rules) in cases.items():
        answer = _import(chiba, _resigned(key, {**payload, "proof": changed}))
        assert answer.status_code == 422, (name, answer.text)
        assert answer.json()["rule"] in rules, (name, answer.text)
    assert chiba.ledger.position() == before


def test_a_version_2_packet_with_an_inclusion_proof_per_event_still_imports_and_its_attacks_are_refused(
        two_ledgers: tuple[Api, Api, LedgerKey]) -> None:
    tottori, chiba, key = two_ledgers
    sid, exported = _move_out(tottori)
    payload = _payload(exported["packet"])
    checkpoint = merkle_log.checkpoint_at(tottori.ledger.storage, payload["proof"]["tree_size"])
    assert checkpoint is not None
    handover = max(entry["position"] for entry in payload["proof"]["entries"])
    v1_proof = proof_file(tottori.ledger, student_streams(tottori.ledger, sid), checkpoint, contents=False,
                          subject={"packet": "transfer", "student_id": sid}, upto=handover, cosigned=False)
    assert v1_proof.format == "gakuseki-proof/1"
    assert v1_proof.multiproof is None
    proof = msgspec.to_builtins(v1_proof)
    assert [e["index"] for e in proof["entries"]] == [e["index"] for e in payload["proof"]["entries"]]
    version_2 = {**payload, "format": "gakuseki-transfer-packet/2", "proof": proof}
    entry = proof["entries"][0]
    forger = NoteSigner(TOTTORI, Ed25519PrivateKey.generate())
    forged_note = sign_checkpoint(Checkpoint(TOTTORI, proof["tree_size"], base64.b64decode(proof["root"])), forger)
    _refused_with_proofs(chiba, key, version_2, {
        "an inclusion hash changed": ({**proof, "entries": [
            {**entry, "inclusion": [base64.b64encode(bytes(32)).decode(), *entry["inclusion"][1:]]},
            *proof["entries"][1:]]}, {"packet-proof-invalid"}),
        "a checkpoint signed by another key": ({**proof, "checkpoint": forged_note}, {"packet-proof-invalid"}),
        "a /2 packet with a multiproof": (payload["proof"], {"packet-malformed"}),
    })
    answer = _import(chiba, _resigned(key, version_2))
    assert answer.status_code == 201, answer.text


@pytest.mark.parametrize("tottori_options", [{"checkpoint_seconds": 3600.0}, {"run_projections": False}],
                         ids=["poller-not-due", "no-poller"])
def test_an_export_signs_the_checkpoint_that_holds_its_hand_over_when_none_does_yet(
        two_ledgers: tuple[Api, Api, LedgerKey], tottori_options: dict[str, Any]) -> None:
    """The poller signs at most hourly here (or does not run): the export brings the tree up to its
    hand-over and has the checkpoint that holds it signed now, not in an hour (ADR 0041)."""
    tottori, chiba, key = two_ledgers
    storage = tottori.ledger.storage
    deadline = time.monotonic() + 30
    while tottori_options.get("run_projections", True) and merkle_log.latest_checkpoint(storage) is None:
        assert time.monotonic() < deadline, "the poller signs its first checkpoint at once"
        time.sleep(0.02)
    signed_before = len(list(merkle_log.checkpoints(storage)))
    _, exported = _move_out(tottori)
    payload = _payload(exported["packet"])
    handover = max(entry["index"] for entry in payload["proof"]["entries"])
    kept = list(merkle_log.checkpoints(storage))
    assert len(kept) == signed_before + 1  # the one the export asked for
    assert kept[-1].tree_size == payload["proof"]["tree_size"] > handover
    verify_proof(msgspec.convert(payload, TransferPacket), [key.public_key])
    again = tottori.get(f"/v1/students/{payload['student_id']}/transfer-packet", tottori.auth("registrar"))
    assert again.json()["packet"] == exported["packet"]  # the same packet: the same first checkpoint
    assert len(list(merkle_log.checkpoints(storage))) == signed_before + 1
    assert _import(chiba, exported["packet"]).status_code == 201


def test_a_version_1_packet_without_proof_still_imports(two_ledgers: tuple[Api, Api, LedgerKey]) -> None:
    tottori, chiba, key = two_ledgers
    _, exported = _move_out(tottori)
    payload = {k: v for k, v in _payload(exported["packet"]).items() if k != "proof"}
    answer = _import(chiba, _resigned(key, {**payload, "format": "gakuseki-transfer-packet/1"}))
    assert answer.status_code == 201, answer.text
    with_proof = _import(chiba, _resigned(key, {**_payload(exported["packet"]), "packet_id": "p-x",
                                                "format": "gakuseki-transfer-packet/1"}))
    assert with_proof.json()["rule"] == "packet-malformed"
