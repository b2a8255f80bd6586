"""`gakuseki verify` and `gakuseki export-log` as an auditor runs them (docs/audit.md): one summary line on
stdout, the exit status of what was found, the database opened read-only, an exported log verified
offline, and a proof file verified alone."""

from __future__ import annotations

import sqlite3
from typing import Any

import msgspec
import psycopg
import pytest

from api.cli import main
from api.transparency import proof_file
from domain.backend import Backend
from domain.ledger import Ledger
from domain.storage import merkle_log
from domain.storage.audit_reads import AuditDatabase
from domain.transparency.leaf import leaf_bytes
from domain.transparency.note import COSIGNATURE_V1, NoteSigner
from domain.transparency.proof import TlogProof
from domain.transparency.tiles import inclusion_proof_from_tiles
from tests.domain.transparency.signed_ledger import SignedLedger, execute, signed_ledger, tampering


@pytest.fixture
def signed(backend: Backend, clock: Any) -> SignedLedger:
    return signed_ledger(backend, clock, students=20)


def verify(ledger: SignedLedger, *more: str) -> list[str]:
    return ["--database-url", ledger.backend.url, "verify", "--log-key", ledger.signer.key.vkey,
            "--witness-key", ledger.witness.key.vkey, "--no-progress", *more]


def test_an_untouched_database_verifies_with_exit_status_0_and_one_summary_line(
        signed: SignedLedger, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(verify(signed)) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 1
    assert out[0].startswith(f"VERIFIED: {len(signed.rows)} events, 3 signed checkpoints")
    assert signed.witness.name in out[0]


def test_a_changed_row_gives_exit_status_5_naming_its_leaf_and_column(
        signed: SignedLedger, capsys: pytest.CaptureFixture[str]) -> None:
    position = signed.rows[40][0]
    with tampering(signed.backend, keep=True) as conn:
        execute(conn, signed.backend, "UPDATE {events} SET originator_version = originator_version + 4096 "
                "WHERE {position} = ?", (position,))
    assert main(verify(signed)) == 5
    out = capsys.readouterr().out
    assert out.startswith(f"CHANGED ROW at leaf 40, position {position}, column version: one bit of the version")
    assert "[exit 5;" in out


def test_without_the_ledgers_key_nothing_is_verified(signed: SignedLedger, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--database-url", signed.backend.url, "verify", "--no-progress"]) == 2
    assert "--log-key" in capsys.readouterr().err
    other = NoteSigner(signed.signer.name, signed.witness.private)  # the ledger's name, another key
    assert main(["--database-url", signed.backend.url, "verify", "--log-key", other.key.vkey, "--no-progress"]) == 3


def test_the_auditors_connection_cannot_write(backend: Backend, clock: Any) -> None:
    with Ledger.open(backend, clock=clock):
        pass
    with AuditDatabase.open(backend) as db:
        with pytest.raises(PermissionError), db.storage.writing():
            pass
        refused = sqlite3.OperationalError if backend.kind == "sqlite" else psycopg.errors.ReadOnlySqlTransaction
        with pytest.raises(refused):
            db.connection.execute(f"DELETE FROM {db.storage.table('merkle_tiles')}")


def test_an_exported_log_verifies_offline_and_shows_what_was_altered_before_the_export(
        signed: SignedLedger, tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    exported = tmp_path / "ledger.gakuseki-log.gz"
    assert main(["--database-url", signed.backend.url, "export-log", str(exported),
                 "--log-key", signed.signer.key.vkey, "--origin", signed.signer.name, "--no-progress"]) == 0
    assert f"exported {len(signed.rows)} events" in capsys.readouterr().out
    # The key written in the export is used when none is given (and said so on stderr)...
    assert main(["verify", "--log", str(exported), "--no-progress"]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith(f"VERIFIED: {len(signed.rows)} events")
    assert "using the ledger key" in captured.err
    # ...and the auditor's own key is what counts when given.
    stranger = NoteSigner(signed.signer.name, signed.witness.private)
    assert main(["verify", "--log", str(exported), "--log-key", stranger.key.vkey, "--no-progress"]) == 3

    position = signed.rows[7][0]
    with tampering(signed.backend, keep=True) as conn:
        execute(conn, signed.backend, "DELETE FROM {events} WHERE {position} = ?", (position,))
    assert main(["--database-url", signed.backend.url, "export-log", str(exported), "--no-progress",
                 "--log-key", signed.signer.key.vkey]) == 0
    capsys.readouterr()
    assert main(["verify", "--log", str(exported), "--log-key", signed.signer.key.vkey, "--no-progress"]) == 6
    assert capsys.readouterr().out.startswith(f"MISSING ROW at leaf 7, position {position}")


def test_an_exported_log_cut_short_is_refused(signed: SignedLedger, tmp_path: Any,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    exported = tmp_path / "ledger.gakuseki-log"
    assert main(["--database-url", signed.backend.url, "export-log", str(exported), "--no-progress",
                 "--log-key", signed.signer.key.vkey]) == 0
    data = exported.read_bytes()
    exported.write_bytes(data[:len(data) - 20])
    assert main(["verify", "--log", str(exported), "--no-progress"]) == 2
    assert "cut short" in capsys.readouterr().err


# ---------------------------------------------------------------- a proof file alone


def _proof(ledger: SignedLedger, index: int) -> str:
    """The tlog-proof of leaf ``index`` in the latest checkpoint, with the witness's cosignature line."""
    size = ledger.sizes[-1]
    with Ledger.open(ledger.backend) as opened:
        storage = opened.storage
        kept = merkle_log.checkpoint_at(storage, size)
        assert kept is not None
        lines = "".join(c.line.rstrip("\n") + "\n" for c in merkle_log.cosignatures(storage, size))

        def read(level: int, tile: int, width: int) -> bytes:
            return merkle_log.read_tiles(storage, [(level, tile)])[(level, tile)]

        hashes, _ = inclusion_proof_from_tiles(index, size, read)
    position, stream, version, topic, state = ledger.rows[index]
    return TlogProof(index, hashes, kept.note + lines, leaf_bytes(position, stream, version, topic, state)).text


def test_a_proof_file_verifies_alone_with_the_keys_given(signed: SignedLedger, tmp_path: Any,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "entry.tlog-proof"
    path.write_text(_proof(signed, 12) + _proof(signed, 30), encoding="utf-8")  # two entries, one file
    log_key, witness_key = signed.signer.key.vkey, signed.witness.key.vkey
    assert main(["verify", "--proof", str(path), "--log-key", log_key, "--witness-key", witness_key,
                 "--min-witnesses", "1"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"VERIFIED: 2 entries of {path} are in the checkpoint of {signed.sizes[-1]} leaves")
    assert f"cosigned by {signed.witness.name}" in out
    # Cosigned by none of the witnesses the auditor names: too few.
    other = NoteSigner("another-board", signed.signer.private, COSIGNATURE_V1)
    assert main(["verify", "--proof", str(path), "--log-key", log_key, "--witness-key", other.key.vkey,
                 "--min-witnesses", "1"]) == 13
    # Not signed by the ledger's key.
    stranger = NoteSigner(signed.signer.name, signed.witness.private)
    assert main(["verify", "--proof", str(path), "--log-key", stranger.key.vkey]) == 3


def test_a_proof_file_whose_proof_or_leaf_was_altered_is_refused(signed: SignedLedger, tmp_path: Any,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    text = _proof(signed, 12)
    lines = text.split("\n")
    extra = lines[1]
    assert extra.startswith("extra ")
    path = tmp_path / "entry.tlog-proof"
    lines[3] = ("B" if lines[3][0] != "B" else "C") + lines[3][1:]  # one hash of the path changed
    path.write_text("\n".join(lines), encoding="utf-8")
    assert main(["verify", "--proof", str(path), "--log-key", signed.signer.key.vkey]) == 12
    assert capsys.readouterr().out.startswith("PROOF DOES NOT VERIFY")
    lines = text.split("\n")
    lines[2] = "index 13"  # another leaf's place
    path.write_text("\n".join(lines), encoding="utf-8")
    assert main(["verify", "--proof", str(path), "--log-key", signed.signer.key.vkey]) == 12
    path.write_text("not a proof\n", encoding="utf-8")
    assert main(["verify", "--proof", str(path), "--log-key", signed.signer.key.vkey]) == 2


def test_a_multiproof_file_verifies_alone_and_a_changed_hash_of_it_is_refused(
        signed: SignedLedger, tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    size = signed.sizes[-1]
    streams = sorted({row[1] for row in signed.rows[:size]}, key=str)[:3]
    with Ledger.open(signed.backend) as opened:
        kept = merkle_log.checkpoint_at(opened.storage, size)
        assert kept is not None
        file = proof_file(opened, streams, kept, contents=True, subject={"form": "test"}, multi=True)
    assert file.format == "gakuseki-proof/2"
    assert len(file.entries) == sum(1 for row in signed.rows[:size] if row[1] in streams)
    path = tmp_path / "events.gakuseki-proof"
    path.write_bytes(msgspec.json.encode(file))
    log_key, witness_key = signed.signer.key.vkey, signed.witness.key.vkey
    assert main(["verify", "--proof", str(path), "--log-key", log_key, "--witness-key", witness_key,
                 "--min-witnesses", "1"]) == 0
    assert capsys.readouterr().out.startswith(f"VERIFIED: {len(file.entries)} entries of {path}")
    hashes = file.multiproof or []
    changed = ("B" if hashes[0][0] != "B" else "C") + hashes[0][1:]
    path.write_bytes(msgspec.json.encode(msgspec.structs.replace(file, multiproof=[changed, *hashes[1:]])))
    assert main(["verify", "--proof", str(path), "--log-key", log_key]) == 12
    assert capsys.readouterr().out.startswith("PROOF DOES NOT VERIFY")


def test_keys_show_vkey_prints_the_key_the_checkpoints_verify_with(tmp_path: Any, monkeypatch: pytest.MonkeyPatch,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    from api.keys import LedgerKey
    from domain.transparency.note import Checkpoint, NoteKey, open_checkpoint, sign_checkpoint

    monkeypatch.setenv("GAKUSEKI_SIGNING_KEY", str(tmp_path / "key.pem"))
    monkeypatch.setenv("GAKUSEKI_LEDGER_ID", "tottori-city")
    key = LedgerKey.generate(tmp_path / "key.pem", "tottori-city")
    assert main(["keys", "show", "--vkey"]) == 0
    vkey = capsys.readouterr().out.strip()
    note = sign_checkpoint(Checkpoint("tottori-city", 0, bytes.fromhex(
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")), NoteSigner("tottori-city", key.private))
    assert open_checkpoint(note, NoteKey.from_vkey(vkey))[0].size == 0


def test_a_checkpoint_the_auditor_kept_must_agree_with_the_log(signed: SignedLedger, tmp_path: Any,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    from domain.transparency.merkle import leaf_hash
    from domain.transparency.note import Checkpoint, sign_checkpoint

    size = signed.sizes[0]
    with Ledger.open(signed.backend) as opened:
        kept = merkle_log.checkpoint_at(opened.storage, size)
    assert kept is not None
    held = tmp_path / "board.checkpoint"
    held.write_text(kept.note + "\n\n", encoding="utf-8")  # as copied, with trailing blank lines
    assert main(verify(signed, "--checkpoint", str(held))) == 0
    other = sign_checkpoint(Checkpoint(signed.signer.name, size, leaf_hash(b"shown to the board")), signed.signer)
    held.write_text(other, encoding="utf-8")
    capsys.readouterr()
    assert main(verify(signed, "--checkpoint", str(held))) == 4
    assert capsys.readouterr().out.startswith("FORKED CHECKPOINT")
