"""`gakuseki witness` against a real server (uvicorn on a free port, in a thread), on both backends.

A witness cosigns what the ledger signed and the cosignature shows with the checkpoint; a forged
checkpoint, a fork, a smaller tree and an inconsistent history are refused: exit status 1, said on
stderr, nothing cosigned, the state file as it was.
"""

from __future__ import annotations

import base64
import os
import socket
import stat
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from api import cli
from api.app import create_app
from api.auth import Verifier
from api.devkeys import AUDIENCE, DEV_ISSUER, DevKey
from api.keys import LedgerKey
from api.witness import Transient, WitnessClient, generate_key, load_key, load_state, run
from domain.backend import Backend
from domain.ledger import Ledger
from domain.storage import merkle_log
from domain.transparency.note import Checkpoint, NoteSigner, open_checkpoint, sign_checkpoint
from tests.api.conftest import seed, uvicorn_serving
from tests.api.transparency_log import publish


@dataclass
class Ledgers:
    url: str
    ledger: Ledger
    backend: Backend
    signer: NoteSigner  # the ledger's checkpoint key
    token: str  # a board's token, without multi-factor (the witness runs unattended)
    key_file: Path
    state: Path

    def publish(self) -> merkle_log.StoredCheckpoint:
        return publish(self.ledger, self.signer, poller=False)  # lifespan off: no poller in this server

    def witness(self, *more: str) -> int:
        return cli.main(["witness", "--url", self.url, "--log-key", self.signer.key.vkey, "--key", str(self.key_file),
                         "--state", str(self.state), "--token", self.token, "--once", *more])

    def cosigners(self, size: int) -> list[str]:
        return [c.witness for c in merkle_log.cosignatures(self.ledger.storage, size)]

    def replace_checkpoint(self, size: int, note: str, root: bytes) -> None:
        """What an operator with database rights could do: put another tree head under a size."""
        storage = self.ledger.storage
        with storage.writing() as tx:
            if storage.sqlite:
                tx.execute("DROP TRIGGER merkle_checkpoints_never_updated")
            else:
                tx.execute("ALTER TABLE {merkle_checkpoints} DISABLE TRIGGER merkle_checkpoints_never_changed")
            tx.execute("UPDATE {merkle_checkpoints} SET note = ?, root = ? WHERE tree_size = ?", (note, root, size))


@pytest.fixture
def served(backend: Backend, ledger: Ledger, tmp_path: Path) -> Iterator[Ledgers]:
    seed(ledger)
    dev = DevKey.load_or_create(tmp_path / "dev-key.pem")
    signing = LedgerKey.of("gakuseki-test", Ed25519PrivateKey.generate())
    key_file = tmp_path / "witness.key"
    witness = generate_key(key_file, "board-312011")
    app = create_app(ledger, backend, Verifier(dev.jwks(), issuer=DEV_ISSUER, audience=AUDIENCE), signing=signing,
                     witnesses=[witness.key])
    token = dev.token("E-0001", [{"role": "board", "board": "312011"}], mfa=False)
    with uvicorn_serving(app, start_timeout=10) as url:
        yield Ledgers(url, ledger, backend, NoteSigner(signing.ledger_id, signing.private), token, key_file,
                      tmp_path / "state.json")


def test_a_witness_key_is_a_note_skey_readable_only_by_its_owner_and_prints_its_vkey(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "w.key"
    assert cli.main(["witness-key", "--name", "board-312011", "--key", str(path)]) == 0
    vkey = capsys.readouterr().out.strip()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert path.read_text().startswith("PRIVATE+KEY+board-312011+")
    assert load_key(path).key.vkey == vkey
    assert cli.main(["witness-key", "--name", "board-312011", "--key", str(path)]) == 2  # never replaced
    assert "already exists" in capsys.readouterr().err


def test_a_witness_cosigns_and_the_cosignature_shows_with_the_checkpoint(
        served: Ledgers, capsys: pytest.CaptureFixture[str]) -> None:
    first = served.publish()
    assert served.witness() == 0
    assert f"cosigned checkpoint {first.tree_size}" in capsys.readouterr().out
    assert served.cosigners(first.tree_size) == ["board-312011"]
    state = load_state(served.state)
    assert state is not None
    assert state.size == first.tree_size
    served.ledger.form_class("B131220000013", 2026, 2, "1", homeroom_teacher_id="T-0009",
                             homeroom_teacher_name="山田 花子", on=first.signed_at.date(), recorded_by="admin")
    second = served.publish()
    assert served.witness() == 0  # from its last checkpoint, with a consistency proof
    assert served.cosigners(second.tree_size) == ["board-312011"]
    assert served.witness() == 0
    assert "nothing new" in capsys.readouterr().out
    note = WitnessClient(served.url, served.token).checkpoint()
    _, cosignatures = open_checkpoint(note, served.signer.key, [load_key(served.key_file).key])
    assert [c.key.name for c in cosignatures] == ["board-312011"]


def refused(served: Ledgers, capsys: pytest.CaptureFixture[str], error: str) -> None:
    before = served.state.read_bytes() if served.state.exists() else None
    assert served.witness() == 1
    err = capsys.readouterr().err
    assert "REFUSED, not cosigned" in err
    assert error in err
    assert (served.state.read_bytes() if served.state.exists() else None) == before


def test_a_checkpoint_signed_with_another_key_is_refused(served: Ledgers, capsys: pytest.CaptureFixture[str]) -> None:
    checkpoint = served.publish()
    forger = NoteSigner(served.signer.name, Ed25519PrivateKey.generate())
    forged = sign_checkpoint(Checkpoint(served.signer.name, checkpoint.tree_size, checkpoint.root), forger)
    served.replace_checkpoint(checkpoint.tree_size, forged, checkpoint.root)
    refused(served, capsys, "NoteUnverified")
    assert served.cosigners(checkpoint.tree_size) == []


def test_a_fork_is_refused(served: Ledgers, capsys: pytest.CaptureFixture[str]) -> None:
    checkpoint = served.publish()
    assert served.witness() == 0
    other = b"\x09" * 32  # another history of the same size, signed with the ledger's own key
    served.replace_checkpoint(checkpoint.tree_size, sign_checkpoint(
        Checkpoint(served.signer.name, checkpoint.tree_size, other), served.signer), other)
    refused(served, capsys, "CheckpointFork")


def test_a_smaller_tree_is_refused(served: Ledgers, capsys: pytest.CaptureFixture[str]) -> None:
    checkpoint = served.publish()
    assert served.witness() == 0
    state = load_state(served.state)
    assert state is not None
    # The witness cosigned a larger tree of this log before: the log was truncated since.
    served.state.write_text(served.state.read_text().replace(f'"size": {checkpoint.tree_size}',
                                                             f'"size": {checkpoint.tree_size + 7}'))
    refused(served, capsys, "CheckpointSmaller")


def test_a_history_inconsistent_with_the_one_cosigned_is_refused(
        served: Ledgers, capsys: pytest.CaptureFixture[str]) -> None:
    checkpoint = served.publish()
    assert served.witness() == 0
    # The witness had been shown another tree of that size: the ledger's growth does not extend it.
    served.state.write_text(served.state.read_text().replace(base64.b64encode(checkpoint.root).decode(),
                                                             base64.b64encode(b"\x05" * 32).decode()))
    served.ledger.form_class("B131220000013", 2026, 2, "1", homeroom_teacher_id="T-0009",
                             homeroom_teacher_name="山田 花子", on=checkpoint.signed_at.date(), recorded_by="admin")
    grown = served.publish()
    refused(served, capsys, "CheckpointInconsistent")
    assert served.cosigners(grown.tree_size) == []


def test_an_unreachable_ledger_is_a_transient_failure_and_the_state_stays(
        served: Ledgers, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    code = cli.main(["witness", "--url", f"http://127.0.0.1:{closed}", "--log-key", served.signer.key.vkey,
                     "--key", str(served.key_file), "--state", str(served.state), "--once"])
    assert code == 3
    assert "did not answer" in capsys.readouterr().err
    assert not served.state.exists()


class Flaky(WitnessClient):
    """The real client, whose first two requests fail as a dropped connection would."""

    failures = 2

    def checkpoint(self) -> str:
        if self.failures:
            self.failures -= 1
            raise Transient("connection reset")
        return super().checkpoint()


def test_the_loop_outlives_transient_failures_and_cosigns_when_the_ledger_answers(served: Ledgers) -> None:
    checkpoint = served.publish()
    stop = threading.Event()
    client = Flaky(served.url, served.token)

    def until_cosigned() -> None:
        while not served.cosigners(checkpoint.tree_size):
            time.sleep(0.01)
        stop.set()

    watcher = threading.Thread(target=until_cosigned, daemon=True)
    watcher.start()
    assert run(client, served.signer.key, load_key(served.key_file), served.state, once=False, interval=0.01,
               stop=stop) == 0
    assert client.failures == 0
    assert served.cosigners(checkpoint.tree_size) == ["board-312011"]
