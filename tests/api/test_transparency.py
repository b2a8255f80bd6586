"""The transparency routes: checkpoints with cosignatures, inclusion and consistency proofs, a child's
proof file, and witnesses' cosignatures (ADR 0033), on both backends."""

from __future__ import annotations

import base64
from datetime import date
from typing import Any

import msgspec
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from api import transparency as transparency_routes
from api.policy import ACTIONS
from domain.backend import Backend
from domain.storage import merkle_log
from domain.transparency.merkle import leaf_hash, verify_consistency, verify_inclusion
from domain.transparency.note import COSIGNATURE_V1, Checkpoint, NoteSigner, cosign, open_checkpoint, sign_checkpoint
from domain.transparency.proof import ProofFile, TlogProof, verify_proof_file, verify_tlog_proof
from tests.api.conftest import A, Api, problem_of
from tests.api.transparency_log import ledger_signer, log_key, not_a_checkpoint, publish
from tests.domain.transparency.signed_ledger import execute, tampering

WITNESS = NoteSigner("board-312011", Ed25519PrivateKey.generate(), COSIGNATURE_V1)
STRANGER = NoteSigner("someone-else", Ed25519PrivateKey.generate(), COSIGNATURE_V1)


@pytest.fixture
def log(world: Api) -> Api:
    """The module's world with a checkpoint of its whole log, and WITNESS among its witnesses."""
    world.services.witnesses = (WITNESS.key,)
    publish(world.ledger, ledger_signer(world.services))
    return world


def auditor(api: Api, **grant: Any) -> dict[str, str]:
    if not grant:
        return api.auth("auditor", mfa=False)
    return api.bearer(api.key.token("AU-0002", [{"role": "auditor", **grant}], mfa=True))


def test_the_latest_checkpoint_is_the_signed_note_and_its_parts(log: Api) -> None:
    text = log.client.get("/v1/transparency/checkpoint", headers={**auditor(log), "Accept": "text/plain"})
    assert text.status_code == 200, text.text
    assert text.headers["content-type"].startswith("text/plain")
    checkpoint, _ = open_checkpoint(text.text, log_key(log.services))
    assert checkpoint.size == log.ledger.position()  # the seeded log has no gaps
    body = log.client.get("/v1/transparency/checkpoint", headers=auditor(log)).json()
    assert body["tree_size"] == checkpoint.size
    assert body["note"] == text.text
    assert body["origin"] == log.services.signing.ledger_id
    assert body["log_vkey"] == log_key(log.services).vkey


@pytest.mark.parametrize("grant", [{"role": "auditor", "school": A}, {"role": "auditor", "board": "312011"},
                                   {"role": "board", "board": "322016"}])
def test_scoped_auditors_and_boards_read_the_checkpoint(log: Api, grant: dict[str, str]) -> None:
    headers = log.bearer(log.key.token("X-1", [grant], mfa=False))
    assert log.client.get("/v1/transparency/checkpoint", headers=headers).status_code == 200


@pytest.mark.parametrize("role", ["homeroom_teacher", "nurse", "registrar", "principal", "operator"])
def test_other_roles_find_no_transparency_route(log: Api, role: str) -> None:
    for path in ("/v1/transparency/checkpoint", "/v1/transparency/consistency?from=1",
                 "/v1/transparency/inclusion?position=1", "/v1/transparency/checkpoints"):
        problem_of(log.client.get(path, headers=log.auth(role)), 404)


def test_an_inclusion_proof_verifies_against_the_checkpoints_root_as_json_and_as_a_tlog_proof(log: Api) -> None:
    checkpoint = publish(log.ledger, ledger_signer(log.services))
    position = log.ledger.position() - 3
    body = log.client.get(f"/v1/transparency/inclusion?position={position}", headers=auditor(log)).json()
    assert (body["position"], body["tree_size"]) == (position, checkpoint.tree_size)
    leaf = base64.b64decode(body["leaf"])
    proof = [base64.b64decode(h) for h in body["hashes"]]
    assert verify_inclusion(body["index"], checkpoint.tree_size, leaf_hash(leaf), proof, checkpoint.root)
    text = log.client.get(f"/v1/transparency/inclusion?position={position}&tree_size={checkpoint.tree_size}",
                          headers={**auditor(log), "Accept": "text/plain"})
    assert text.text.startswith("c2sp.org/tlog-proof@v1\n")
    _, _, fields = verify_tlog_proof(TlogProof.parse(text.text), log_key(log.services))
    assert (fields.position, str(fields.stream_id)) == (position, body["stream_id"])


def test_an_inclusion_proof_is_refused_for_a_size_no_checkpoint_has_and_for_a_position_not_in_the_tree(
        log: Api) -> None:
    size = publish(log.ledger, ledger_signer(log.services)).tree_size
    made_up = problem_of(log.client.get(f"/v1/transparency/inclusion?position=1&tree_size="
                                        f"{not_a_checkpoint(log.ledger, size)}",
                                        headers=auditor(log)), 422)
    assert (made_up["field"], made_up["rule"]) == ("tree_size", "not-a-checkpoint")
    later = log.ledger.position() + 1
    log.fresh_class()  # recorded after the checkpoint
    beyond = problem_of(log.client.get(f"/v1/transparency/inclusion?position={later}", headers=auditor(log)), 422)
    assert (beyond["field"], beyond["rule"]) == ("position", "position-not-in-tree")
    zero = problem_of(log.client.get("/v1/transparency/inclusion?position=0", headers=auditor(log)), 400)
    assert zero["field"] == "position"
    word = problem_of(log.client.get("/v1/transparency/inclusion?position=x", headers=auditor(log)), 400)
    assert word["field"] == "position"


def test_a_consistency_proof_between_two_checkpoints_verifies(log: Api) -> None:
    older = publish(log.ledger, ledger_signer(log.services))
    log.fresh_class(students=2)
    newer = publish(log.ledger, ledger_signer(log.services))
    body = log.client.get(f"/v1/transparency/consistency?from={older.tree_size}&to={newer.tree_size}",
                          headers=auditor(log)).json()
    proof = [base64.b64decode(h) for h in body["hashes"]]
    assert verify_consistency(older.tree_size, newer.tree_size, older.root, newer.root, proof)
    assert (body["from"], body["to"]) == (older.tree_size, newer.tree_size)
    latest = log.client.get(f"/v1/transparency/consistency?from={older.tree_size}", headers=auditor(log)).json()
    assert latest["to"] == newer.tree_size
    sizes = log.client.get(f"/v1/transparency/checkpoints?after={older.tree_size - 1}", headers=auditor(log)).json()
    assert sizes[:2] == [older.tree_size, newer.tree_size]


def test_a_consistency_proof_is_refused_between_sizes_that_are_not_checkpoints_or_out_of_order(log: Api) -> None:
    older = publish(log.ledger, ledger_signer(log.services))
    log.fresh_class()
    newer = publish(log.ledger, ledger_signer(log.services))
    path = "/v1/transparency/consistency?from={}&to={}"
    made_up = problem_of(log.client.get(path.format(not_a_checkpoint(log.ledger, newer.tree_size), newer.tree_size),
                                        headers=auditor(log)), 422)
    assert (made_up["field"], made_up["rule"]) == ("from", "not-a-checkpoint")
    later = problem_of(log.client.get(path.format(older.tree_size, newer.tree_size + 5), headers=auditor(log)), 422)
    assert (later["field"], later["rule"]) == ("to", "not-a-checkpoint")
    backwards = problem_of(log.client.get(path.format(newer.tree_size, older.tree_size), headers=auditor(log)), 422)
    assert (backwards["field"], backwards["rule"]) == ("from", "sizes-out-of-order")
    missing = problem_of(log.client.get("/v1/transparency/consistency", headers=auditor(log)), 400)
    assert missing["field"] == "from"


def post_cosignature(api: Api, size: int, line: str, role: str = "board") -> Any:
    return api.client.post("/v1/transparency/cosignatures", json={"tree_size": size, "cosignature": line},
                           headers=api.auth(role, mfa=False))


def test_a_witness_cosignature_is_kept_once_and_shows_with_the_checkpoint(log: Api) -> None:
    log.fresh_class()
    checkpoint = publish(log.ledger, ledger_signer(log.services))
    line = cosign(checkpoint.note, WITNESS, 1_800_000_000).line
    first = post_cosignature(log, checkpoint.tree_size, line)
    assert first.status_code == 201, first.text
    assert first.json()["kept"] == "new"
    again = post_cosignature(log, checkpoint.tree_size, cosign(checkpoint.note, WITNESS, 1_800_000_001).line)
    assert (again.status_code, again.json()["kept"]) == (200, "already")
    note = log.client.get(f"/v1/transparency/checkpoint?tree_size={checkpoint.tree_size}",
                          headers={**auditor(log), "Accept": "text/plain"}).text
    _, cosignatures = open_checkpoint(note, log_key(log.services), [WITNESS.key])
    assert [(c.key, c.timestamp) for c in cosignatures] == [(WITNESS.key, 1_800_000_000)]  # the first stays
    body = log.client.get(f"/v1/transparency/checkpoint?tree_size={checkpoint.tree_size}", headers=auditor(log)).json()
    assert [(c["witness"], c["trusted"]) for c in body["cosignatures"]] == [("board-312011", True)]


def test_a_cosignature_over_another_root_by_an_unknown_key_or_malformed_is_refused(log: Api) -> None:
    log.fresh_class()
    checkpoint = publish(log.ledger, ledger_signer(log.services))
    other_root = sign_checkpoint(Checkpoint(log.services.signing.ledger_id, checkpoint.tree_size, b"\x07" * 32),
                                 ledger_signer(log.services))
    forged = problem_of(post_cosignature(log, checkpoint.tree_size, cosign(other_root, WITNESS, 1).line), 422)
    assert (forged["field"], forged["rule"]) == ("cosignature", "cosignature-does-not-verify")
    unknown = problem_of(post_cosignature(log, checkpoint.tree_size, cosign(checkpoint.note, STRANGER, 1).line), 422)
    assert (unknown["field"], unknown["rule"]) == ("cosignature", "unknown-witness")
    garbled = problem_of(post_cosignature(log, checkpoint.tree_size, "— board-312011 not base64!"), 422)
    assert (garbled["field"], garbled["rule"]) == ("cosignature", "cosignature-malformed")
    nowhere = problem_of(post_cosignature(log, checkpoint.tree_size + 1000, cosign(checkpoint.note, WITNESS, 1).line),
                         422)
    assert (nowhere["field"], nowhere["rule"]) == ("tree_size", "not-a-checkpoint")
    extra = log.client.post("/v1/transparency/cosignatures", headers=log.auth("board", mfa=False),
                            json={"tree_size": checkpoint.tree_size, "cosignature": "x" * 20, "note": "hi"})
    assert problem_of(extra, 400)["field"] == "note"
    assert merkle_cosigned(log, checkpoint.tree_size) == []


def merkle_cosigned(api: Api, size: int) -> list[str]:
    from domain.storage import merkle_log

    return [c.witness for c in merkle_log.cosignatures(api.ledger.storage, size)]


def test_only_a_board_posts_cosignatures(log: Api) -> None:
    checkpoint = publish(log.ledger, ledger_signer(log.services))
    line = cosign(checkpoint.note, WITNESS, 1).line
    assert problem_of(post_cosignature(log, checkpoint.tree_size, line, "auditor"), 403)["rule"] == "forbidden"
    problem_of(post_cosignature(log, checkpoint.tree_size, line, "principal"), 404)
    assert "log.cosign" not in ACTIONS["auditor"]


def test_a_childs_proof_file_proves_every_event_behind_the_forms_and_verifies_offline(log: Api) -> None:
    klass = log.fresh_class()
    sid = klass.students[0]
    log.ledger.record_roll(klass.school, 2026, 1, klass.name, on=date(2026, 4, 7),
                           marks=[(sid, {"code": "present"})], recorded_by="admin")
    checkpoint = publish(log.ledger, ledger_signer(log.services))
    response = log.client.get(f"/v1/students/{sid}/proof", headers=log.auth("auditor"))
    assert response.status_code == 200, response.text
    file = msgspec.json.decode(response.content, type=ProofFile)
    verify_proof_file(file, log_key(log.services))
    assert file.tree_size == checkpoint.tree_size
    topics = [e.topic for e in file.entries]
    assert any("StudentAdmitted" in t for t in topics)
    assert any("Attendance" in t for t in topics)  # the day's mark, from the student-day stream
    assert any("ClassFormed" in t for t in topics)  # the class the child is in
    assert all(e.state is not None for e in file.entries)
    assert file.subject == {"form": "cumulative-record", "student_id": sid, "as_of": str(log.ledger.position())}


def test_a_school_auditor_gets_the_proof_file_without_contents_and_others_are_refused(log: Api) -> None:
    _, sid = log.fresh_student()
    publish(log.ledger, ledger_signer(log.services))
    scoped = log.client.get(f"/v1/students/{sid}/proof", headers=auditor(log, school=A))
    file = msgspec.json.decode(scoped.content, type=ProofFile)
    verify_proof_file(file, log_key(log.services))
    assert file.entries
    assert all(e.state is None for e in file.entries)
    assert problem_of(log.client.get(f"/v1/students/{sid}/proof", headers=log.auth("principal")), 403)["rule"] == \
        "forbidden"
    assert problem_of(log.client.get(f"/v1/students/{sid}/proof", headers=log.auth("board")), 403)["rule"] == \
        "forbidden"  # the child's board sees the child, and reads no proof file
    problem_of(log.client.get(f"/v1/students/{sid}/proof", headers=log.auth("board", board="322016")), 404)
    problem_of(log.client.get(f"/v1/students/{sid}/proof", headers=auditor(log, school="B131220000021")), 404)
    problem_of(log.client.get(f"/v1/students/{sid}/proof", headers=log.auth("auditor", mfa=False)), 401)
    bad = problem_of(log.client.get(f"/v1/students/{sid}/proof?form=roster", headers=log.auth("auditor")), 400)
    assert bad["field"] == "form"


SECOND = NoteSigner("board-322016", Ed25519PrivateKey.generate(), COSIGNATURE_V1)


def test_an_inclusion_proof_carries_the_checkpoint_with_every_cosignature_as_the_checkpoint_route_does(
        log: Api) -> None:
    log.services.witnesses = (WITNESS.key, SECOND.key)
    log.fresh_class()
    checkpoint = publish(log.ledger, ledger_signer(log.services))
    for witness in sorted((SECOND, WITNESS), key=lambda w: -w.key.key_id):  # kept in another order than shown
        assert post_cosignature(log, checkpoint.tree_size, cosign(checkpoint.note, witness, 1_800_000_000).line
                                ).status_code == 201
    note = log.client.get(f"/v1/transparency/checkpoint?tree_size={checkpoint.tree_size}",
                          headers={**auditor(log), "Accept": "text/plain"}).text
    _, cosigned = open_checkpoint(note, log_key(log.services), [WITNESS.key, SECOND.key])
    assert sorted(c.key.key_id for c in cosigned) == [c.key.key_id for c in cosigned]
    assert len(cosigned) == 2
    query = f"/v1/transparency/inclusion?position=2&tree_size={checkpoint.tree_size}"
    assert log.client.get(query, headers=auditor(log)).json()["checkpoint"] == note
    text = log.client.get(query, headers={**auditor(log), "Accept": "text/plain"}).text
    assert verify_tlog_proof(TlogProof.parse(text), log_key(log.services), (WITNESS.key, SECOND.key))[0].size == (
        checkpoint.tree_size)
    assert text.endswith(note)


def test_an_inclusion_proof_of_an_event_the_table_no_longer_holds_says_so(api: Api, backend: Backend) -> None:
    api.fresh_class()
    checkpoint = publish(api.ledger, ledger_signer(api.services))
    position = merkle_log.position_of(api.ledger.storage, 3)
    assert position is not None
    query = f"/v1/transparency/inclusion?position={position}&tree_size={checkpoint.tree_size}"
    assert api.client.get(query, headers=auditor(api)).status_code == 200
    with tampering(backend, keep=True) as conn:
        execute(conn, backend, "DELETE FROM {events} WHERE {position} = ?", (position,))
    missing = problem_of(api.client.get(query, headers=auditor(api)), 409)
    assert (missing["field"], missing["rule"]) == ("position", "event-missing")


def test_an_inclusion_proof_is_right_even_when_the_tiles_kept_in_the_process_are_not(log: Api) -> None:
    """The server keeps the nodes of the tiles every proof reads (ADR 0049); if the tree were rebuilt
    otherwise, a proof folded from them would not verify: it is folded again from the stored tiles."""
    log.fresh_class()
    checkpoint = publish(log.ledger, ledger_signer(log.services))
    query = f"/v1/transparency/inclusion?position=3&tree_size={checkpoint.tree_size}"
    good = log.client.get(query, headers=auditor(log)).json()
    kept = transparency_routes._KEPT_TILES
    assert kept._kept  # the right edge's tiles were kept
    for key in list(kept._kept):
        kept.put(key, [[b"\x07" * 32] * len(level) for level in kept._kept[key]])
    again = log.client.get(query, headers=auditor(log)).json()
    assert again == good
