"""The ledger's packet signing key and trust list on disk, their settings, and `gakuseki keys`."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ec import SECP256R1
from cryptography.hazmat.primitives.asymmetric.ec import generate_private_key as ec_key
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.rsa import generate_private_key as rsa_key
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from api.cli import main
from api.config import Settings
from api.keys import LedgerKey, load_trust_list
from api.problems import status_of
from domain import errors
from domain.signing import PACKET_TYPE, canonical, public_jwk, thumbprint, verify

PACKET = canonical({"kind": "transfer", "student": {"name": "山田 花子"}, "height_cm": "116.7"})


def write_json(path: Path, document: Any) -> Path:
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


# ---------------------------------------------------------------- the key file


def test_generate_writes_a_0600_pkcs8_pem_and_load_gives_the_same_kid(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "signing.pem"
    key = LedgerKey.generate(path, "tokyo-minato")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    pem = path.read_bytes()
    assert pem.startswith(b"-----BEGIN PRIVATE KEY-----\n")  # PKCS#8, unencrypted
    assert isinstance(serialization.load_pem_private_key(pem, password=None), Ed25519PrivateKey)
    loaded = LedgerKey.load(path, "tokyo-minato")
    assert (loaded.ledger_id, loaded.kid) == ("tokyo-minato", key.kid)
    assert key.kid == thumbprint(public_jwk(key.public_key))
    assert len(key.kid) == 43
    assert list(path.parent.iterdir()) == [path]  # nothing left beside it


def test_generate_refuses_to_overwrite_an_existing_key_unless_forced(tmp_path: Path) -> None:
    path = tmp_path / "signing.pem"
    first = LedgerKey.generate(path, "tokyo-minato")
    before = path.read_bytes()
    with pytest.raises(ValueError, match="already exists"):
        LedgerKey.generate(path, "tokyo-minato")
    assert path.read_bytes() == before
    second = LedgerKey.generate(path, "tokyo-minato", force=True)
    assert second.kid != first.kid
    assert LedgerKey.load(path, "tokyo-minato").kid == second.kid
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert list(tmp_path.iterdir()) == [path]


def test_load_refuses_a_missing_file_and_a_key_that_is_not_ed25519(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"no signing key at .*gakuseki keys generate"):
        LedgerKey.load(tmp_path / "missing.pem", "tokyo-minato")
    ec = tmp_path / "ec.pem"
    ec.write_bytes(ec_key(SECP256R1()).private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                     serialization.NoEncryption()))
    with pytest.raises(ValueError, match="not an Ed25519 key"):
        LedgerKey.load(ec, "tokyo-minato")
    junk = tmp_path / "junk.pem"
    junk.write_text("not a key")
    with pytest.raises(ValueError, match="not an unencrypted PEM private key"):
        LedgerKey.load(junk, "tokyo-minato")


@pytest.mark.parametrize("ledger_id", ["", "has space", "港区", "x" * 201, "tab\there"])
def test_a_ledger_id_is_printable_ascii_without_spaces(tmp_path: Path, ledger_id: str) -> None:
    with pytest.raises(ValueError, match="ledger id"):
        LedgerKey.generate(tmp_path / "k.pem", ledger_id)
    assert not (tmp_path / "k.pem").exists()


def test_the_public_jwk_and_the_trust_entry_say_what_another_ledger_needs(tmp_path: Path) -> None:
    key = LedgerKey.generate(tmp_path / "k.pem", "tokyo-minato")
    jwk = key.public_jwk()
    assert jwk == {**public_jwk(key.public_key), "kid": key.kid, "use": "sig", "alg": "EdDSA"}
    assert "d" not in jwk
    assert key.trust_entry() == {"ledger_id": "tokyo-minato", "keys": [jwk]}


# ---------------------------------------------------------------- one ledger trusts another


def test_the_trust_entry_of_ledger_a_as_ledger_bs_trust_list_verifies_as_packet(tmp_path: Path) -> None:
    a = LedgerKey.generate(tmp_path / "a.pem", "tokyo-minato")
    b = LedgerKey.generate(tmp_path / "b.pem", "osaka-kita")
    trust = load_trust_list(write_json(tmp_path / "trust.json", {"ledgers": [a.trust_entry()]}))
    verified = verify(a.sign(PACKET), trust)
    assert (verified.payload, verified.issuer, verified.kid) == (PACKET, "tokyo-minato", a.kid)
    assert verified.header["typ"] == PACKET_TYPE
    with pytest.raises(errors.PacketUnknownIssuer):
        verify(b.sign(PACKET), trust)  # B's own packets are not in that file


def test_a_trust_list_file_with_an_rsa_or_ec_key_is_refused_naming_file_ledger_and_key(tmp_path: Path) -> None:
    rsa = {**json.loads(RSAAlgorithm.to_jwk(rsa_key(public_exponent=65537, key_size=2048).public_key())),
           "kid": "rsa-1"}
    ec = {**json.loads(ECAlgorithm.to_jwk(ec_key(SECP256R1()).public_key())), "kid": "ec-1"}
    for jwk, kty in ((rsa, "RSA"), (ec, "EC")):
        path = write_json(tmp_path / "trust.json", {"ledgers": [{"ledger_id": "osaka-kita", "keys": [jwk]}]})
        with pytest.raises(ValueError, match="only Ed25519") as caught:
            load_trust_list(path)
        message = str(caught.value)
        assert str(path) in message
        assert f"ledger 'osaka-kita', key '{jwk['kid']}'" in message
        assert f"only Ed25519 keys (kty OKP, crv Ed25519) are accepted, not kty '{kty}'" in message


def test_a_trust_list_file_that_is_missing_or_not_json_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no trust list at"):
        load_trust_list(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text("{ledgers:")
    with pytest.raises(ValueError, match=r"bad\.json: not a JSON document"):
        load_trust_list(tmp_path / "bad.json")


def test_every_packet_refusal_answers_422_with_its_rule() -> None:
    for error in (errors.PacketMalformed, errors.PacketUnsigned, errors.PacketAlgorithmRefused,
                  errors.PacketUnknownIssuer, errors.PacketSignatureInvalid):
        assert status_of(error("refused")) == 422


# ---------------------------------------------------------------- settings


def test_the_settings_come_from_the_environment_with_defaults() -> None:
    assert Settings.from_env({}).ledger_id == "gakuseki-dev"
    assert Settings.from_env({}).signing_key == "gakuseki-signing-key.pem"
    assert Settings.from_env({}).trust_list is None
    settings = Settings.from_env({"GAKUSEKI_LEDGER_ID": "tokyo-minato", "GAKUSEKI_SIGNING_KEY": "/k/s.pem",
                                  "GAKUSEKI_TRUST_LIST": "/k/trust.json"})
    assert (settings.ledger_id, settings.signing_key, settings.trust_list) == (
        "tokyo-minato", "/k/s.pem", "/k/trust.json")


def test_a_ledger_without_a_trust_list_trusts_itself_only(tmp_path: Path) -> None:
    settings = Settings(ledger_id="tokyo-minato", signing_key=str(tmp_path / "k.pem"))
    with pytest.raises(ValueError, match="no signing key"):
        settings.ledger_key(create=False)
    key = settings.ledger_key()  # made on first use
    assert stat.S_IMODE((tmp_path / "k.pem").stat().st_mode) == 0o600
    assert settings.ledger_key().kid == settings.ledger_key(create=False).kid == key.kid
    trust = settings.trust()
    assert dict(trust) == {"tokyo-minato": {key.kid: key.public_key}}
    assert verify(key.sign(PACKET), trust).payload == PACKET


def test_a_ledgers_own_key_is_merged_into_its_trust_list_file(tmp_path: Path) -> None:
    other = LedgerKey.of("osaka-kita", Ed25519PrivateKey.generate())
    retired = LedgerKey.of("tokyo-minato", Ed25519PrivateKey.generate())  # this ledger's previous key
    path = write_json(tmp_path / "trust.json", {"ledgers": [other.trust_entry(), retired.trust_entry()]})
    settings = Settings(ledger_id="tokyo-minato", signing_key=str(tmp_path / "k.pem"), trust_list=str(path))
    key = settings.ledger_key()
    trust = settings.trust()
    assert set(trust) == {"osaka-kita", "tokyo-minato"}
    assert set(trust["tokyo-minato"]) == {retired.kid, key.kid}
    for issuer in (other, retired, key):
        assert verify(issuer.sign(PACKET), trust).issuer == issuer.ledger_id


def test_a_trust_list_naming_the_ledgers_own_kid_with_another_key_is_refused(tmp_path: Path) -> None:
    settings = Settings(ledger_id="tokyo-minato", signing_key=str(tmp_path / "k.pem"))
    key = settings.ledger_key()
    impostor = {**public_jwk(Ed25519PrivateKey.generate().public_key()), "kid": key.kid}
    path = write_json(tmp_path / "trust.json", {"ledgers": [{"ledger_id": "tokyo-minato", "keys": [impostor]}]})
    with pytest.raises(ValueError, match="two different keys"):
        Settings(ledger_id="tokyo-minato", signing_key=str(tmp_path / "k.pem"), trust_list=str(path)).trust()


# ---------------------------------------------------------------- gakuseki keys


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in ("GAKUSEKI_SIGNING_KEY", "GAKUSEKI_TRUST_LIST", "GAKUSEKI_DATABASE_URL", "GAKUSEKI_DEV_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GAKUSEKI_LEDGER_ID", "tokyo-minato")
    return tmp_path


def test_keys_generate_writes_the_key_and_prints_its_kid_and_public_jwk(
        in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["keys", "generate"]) == 0
    out = capsys.readouterr()
    path = in_tmp / "gakuseki-signing-key.pem"
    key = LedgerKey.load(path, "tokyo-minato")
    lines = out.out.splitlines()
    assert lines[:2] == ["ledger: tokyo-minato", f"kid: {key.kid}"]
    assert json.loads("\n".join(lines[2:])) == key.public_jwk()
    assert "gakuseki-signing-key.pem" in out.err
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_keys_generate_refuses_to_replace_a_key_unless_forced(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["keys", "generate"]) == 0
    first = LedgerKey.load(in_tmp / "gakuseki-signing-key.pem", "tokyo-minato").kid
    capsys.readouterr()
    assert main(["keys", "generate"]) == 2
    assert "already exists" in capsys.readouterr().err
    assert LedgerKey.load(in_tmp / "gakuseki-signing-key.pem", "tokyo-minato").kid == first
    assert main(["keys", "generate", "--force"]) == 0
    second = LedgerKey.load(in_tmp / "gakuseki-signing-key.pem", "tokyo-minato").kid
    assert second != first
    assert f"kid: {second}" in capsys.readouterr().out


def test_keys_generate_uses_the_configured_key_file(in_tmp: Path, monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("GAKUSEKI_SIGNING_KEY", str(in_tmp / "secrets" / "ledger.pem"))
    assert main(["keys", "generate", "--json"]) == 0
    jwk = json.loads(capsys.readouterr().out)
    assert jwk["kid"] == LedgerKey.load(in_tmp / "secrets" / "ledger.pem", "tokyo-minato").kid
    assert not (in_tmp / "gakuseki-signing-key.pem").exists()


def test_keys_show_prints_the_ledger_the_kid_and_the_trust_entry_another_ledger_pastes(
        in_tmp: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["keys", "generate"]) == 0
    capsys.readouterr()
    assert main(["keys", "show"]) == 0
    out = capsys.readouterr()
    key = LedgerKey.load(in_tmp / "gakuseki-signing-key.pem", "tokyo-minato")
    lines = out.out.splitlines()
    assert lines[:2] == ["ledger: tokyo-minato", f"kid: {key.kid}"]
    entry = json.loads("\n".join(lines[2:]))
    assert entry == key.trust_entry()
    assert "trust list" in out.err
    # --json prints the entry alone; another ledger puts it in its trust list and accepts our packets.
    assert main(["keys", "show", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == entry
    other = Settings(ledger_id="osaka-kita", signing_key=str(in_tmp / "other.pem"),
                     trust_list=str(write_json(in_tmp / "trust.json", {"ledgers": [entry]})))
    assert verify(key.sign(PACKET), other.trust()).issuer == "tokyo-minato"


def test_keys_show_without_a_key_says_how_to_make_one_and_makes_none(
        in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["keys", "show"]) == 2
    assert "gakuseki keys generate" in capsys.readouterr().err
    assert not (in_tmp / "gakuseki-signing-key.pem").exists()


def test_the_signing_key_is_not_the_development_token_key(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["keys", "generate"]) == 0
    assert main(["token", "--role", "operator"]) == 0
    assert (in_tmp / "gakuseki-dev-key.pem").read_bytes() != (in_tmp / "gakuseki-signing-key.pem").read_bytes()


def test_a_ledger_id_with_a_plus_is_refused_at_start_for_it_names_the_checkpoint_key(
        in_tmp: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """The ledger id is the origin and key name of the Merkle log's checkpoints (ADR 0031): a note key
    name holds no '+', so neither may the id; every process that loads the key stops with the reason."""
    assert main(["keys", "generate"]) == 0
    capsys.readouterr()
    monkeypatch.setenv("GAKUSEKI_LEDGER_ID", "tokyo+minato")
    url = f"sqlite:///{in_tmp}/ledger.sqlite3"
    for command in (["keys", "show"], ["--database-url", url, "projections", "run"]):
        assert main(command) == 2
        err = capsys.readouterr().err
        assert "without spaces or '+'" in err
        assert "'tokyo+minato'" in err
    with pytest.raises(ValueError, match=r"without spaces or '\+'"):
        LedgerKey.of("tokyo+minato", Ed25519PrivateKey.generate())


def test_the_checkpoint_cadence_is_read_from_the_environment_and_checked() -> None:
    assert Settings.from_env({}).checkpoint_seconds == 10.0
    assert Settings.from_env({"GAKUSEKI_CHECKPOINT_SECONDS": "2.5"}).checkpoint_seconds == 2.5
    for wrong in ("0", "-1", "ten", "100000"):
        with pytest.raises(ValueError, match="GAKUSEKI_CHECKPOINT_SECONDS"):
            Settings.from_env({"GAKUSEKI_CHECKPOINT_SECONDS": wrong})


def test_keys_show_says_the_checkpoint_vkey_a_witness_needs(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from domain.transparency.note import NoteKey

    assert main(["keys", "generate"]) == 0
    capsys.readouterr()
    assert main(["keys", "show", "--json"]) == 0
    key = LedgerKey.load(in_tmp / "gakuseki-signing-key.pem", "tokyo-minato")
    err = capsys.readouterr().err
    assert NoteKey.of("tokyo-minato", key.public_key).vkey in err
