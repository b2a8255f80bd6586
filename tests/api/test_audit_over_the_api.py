"""The auditor's round trip on a ledger written through the API, both backends: the proofs the API serves
(a `c2sp.org/tlog-proof@v1` of one event, a child's `gakuseki-proof/1` file) verify alone with
`gakuseki verify --proof`, and the whole database, the server's poller keeping the tree, verifies with
`gakuseki verify` against the ledger's checkpoint key."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from api.cli import main
from tests.api.conftest import Api
from tests.api.transparency_log import ledger_signer, log_key, publish


def test_the_proofs_the_api_serves_verify_alone_and_the_database_verifies_whole(
        world: Api, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    klass = world.fresh_class()
    sid = klass.students[0]
    world.ledger.record_roll(klass.school, 2026, 1, klass.name, on=date(2026, 4, 7),
                             marks=[(s, {"code": "present"}) for s in klass.students], recorded_by="admin")
    checkpoint = publish(world.ledger, ledger_signer(world.services))
    vkey = log_key(world.services).vkey
    auditor = world.auth("auditor")

    one = world.client.get(f"/v1/transparency/inclusion?position={checkpoint.tree_size}",
                           headers={**world.auth("auditor", mfa=False), "Accept": "text/plain"})
    assert one.status_code == 200, one.text
    (tmp_path / "event.tlog-proof").write_text(one.text, encoding="utf-8")
    assert main(["verify", "--proof", str(tmp_path / "event.tlog-proof"), "--log-key", vkey]) == 0
    assert capsys.readouterr().out.startswith("VERIFIED: 1 entry of")

    child = world.client.get(f"/v1/students/{sid}/proof", headers=auditor)
    assert child.status_code == 200, child.text
    (tmp_path / "child.proof.json").write_bytes(child.content)
    assert main(["verify", "--proof", str(tmp_path / "child.proof.json"), "--log-key", vkey]) == 0
    assert "entries of" in capsys.readouterr().out

    assert main(["--database-url", world.backend.url, "verify", "--log-key", vkey, "--no-progress"]) == 0
    assert capsys.readouterr().out.startswith("VERIFIED: ")
