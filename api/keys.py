"""The ledger's packet signing key and its trust list, on disk.

The signing key signs the transfer packets this ledger issues (domain/signing.py): an Ed25519
key in a PKCS#8 PEM file (by default ./gakuseki-signing-key.pem, mode 0600), made by
`gakuseki keys generate`. Its ``kid`` is the RFC 7638 thumbprint of the public key. It is not the
development token key of api/devkeys.py: that one signs staff tokens, this one signs records
that leave the ledger, and the two are never interchangeable.

The trust list is a JSON file naming the other ledgers whose packets this one accepts (the format
is in ``domain.signing.TrustList``); each entry is what the other ledger's `gakuseki keys show` prints.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from domain.signing import ALGORITHM, PACKET_TYPE, TrustList, public_jwk, sign, sign_document, thumbprint
from domain.transparency.note import NoteKey, NoteSigner

# A ledger id goes into every packet header (iss): printable ASCII, no spaces, so that it reads
# the same everywhere (a display name, in any script, belongs in the trust list's "name"). It is also
# the origin and key name of the Merkle log's signed checkpoints, and a note key name holds no '+'
# (c2sp.org/signed-note): such an id is refused when the key is loaded, i.e. at start-up (ADR 0031).
_LEDGER_ID = re.compile(r"[\x21-\x2a\x2c-\x7e]{1,200}")


def ledger_id_checked(ledger_id: str) -> str:
    if not isinstance(ledger_id, str) or not _LEDGER_ID.fullmatch(ledger_id):
        raise ValueError(f"a ledger id is 1 to 200 printable ASCII characters without spaces or '+' (it names the "
                         f"key of the ledger's signed checkpoints; ADR 0031), not {ledger_id!r}: "
                         "set GAKUSEKI_LEDGER_ID")
    return ledger_id


@dataclass(frozen=True)
class LedgerKey:
    """The key this ledger signs its transfer packets with, and the ledger id it signs them as."""

    ledger_id: str
    private: Ed25519PrivateKey
    kid: str

    @classmethod
    def of(cls, ledger_id: str, private: Ed25519PrivateKey) -> LedgerKey:
        return cls(ledger_id_checked(ledger_id), private, thumbprint(public_jwk(private.public_key())))

    @classmethod
    def generate(cls, path: Path | str, ledger_id: str, *, force: bool = False) -> LedgerKey:
        """A new key written to ``path`` (PKCS#8 PEM, mode 0600); an existing file is replaced only with ``force``."""
        path = Path(path)
        ledger_id_checked(ledger_id)
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written whole beside it, then put in place at once: nobody reads half a key.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")  # mode 0600
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(pem)
            if force:
                os.replace(tmp, path)
            else:
                try:
                    os.link(tmp, path)  # fails if the file exists, even when made a moment ago
                except FileExistsError:
                    raise ValueError(f"{path} already exists: refusing to replace a signing key (use --force; "
                                     "packets signed with the old key then verify only where its kid stays trusted)")
        finally:
            Path(tmp).unlink(missing_ok=True)
        os.chmod(path, 0o600)  # whatever the umask
        return cls.of(ledger_id, key)

    @classmethod
    def load(cls, path: Path | str, ledger_id: str) -> LedgerKey:
        path = Path(path)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise ValueError(f"no signing key at {path}: create one with `gakuseki keys generate`")
        try:
            key = serialization.load_pem_private_key(data, password=None)
        except (ValueError, TypeError) as e:
            raise ValueError(f"{path} is not an unencrypted PEM private key: {e}")
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"{path} is not an Ed25519 key (transfer packets are signed with EdDSA)")
        return cls.of(ledger_id, key)

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.private.public_key()

    def public_jwk(self) -> dict[str, str]:
        """The public key as a JWK with its kid, for signing with EdDSA."""
        return {**public_jwk(self.public_key), "kid": self.kid, "use": "sig", "alg": ALGORITHM}

    def trust_entry(self) -> dict[str, Any]:
        """The item another ledger adds to the ``ledgers`` list of its trust list to accept this ledger's packets."""
        return {"ledger_id": self.ledger_id, "keys": [self.public_jwk()]}

    def trust(self) -> TrustList:
        """A trust list of this ledger's own key."""
        return TrustList.of(self.ledger_id, self.kid, self.public_key)

    def checkpoint_signer(self) -> NoteSigner:
        """This key as it signs the Merkle log's checkpoints: named by the ledger id (ADR 0031)."""
        return NoteSigner(self.ledger_id, self.private)

    def checkpoint_key(self) -> NoteKey:
        """The note key the checkpoints verify with (its ``vkey`` is what witnesses and auditors are given)."""
        return NoteKey.of(self.ledger_id, self.public_key)

    def sign(self, payload: bytes, *, typ: str = PACKET_TYPE) -> str:
        """A packet token of canonical payload bytes, issued by this ledger."""
        return sign(payload, self.private, kid=self.kid, issuer=self.ledger_id, typ=typ)

    def sign_document(self, document: Any, *, typ: str = PACKET_TYPE) -> str:
        """The packet token of a JSON-able document (its RFC 8785 form), issued by this ledger: the same
        token as ``sign(canonical(document))``, without parsing the bytes back (domain/signing.py)."""
        return sign_document(document, self.private, kid=self.kid, issuer=self.ledger_id, typ=typ)


def load_trust_list(path: Path | str) -> TrustList:
    """The trust list in a JSON file (ValueError, naming the file, when it cannot be read or is refused)."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError(f"no trust list at {path}")
    except (ValueError, UnicodeDecodeError) as e:
        raise ValueError(f"{path}: not a JSON document: {e}")
    try:
        return TrustList.from_json(data)
    except ValueError as e:
        raise ValueError(f"{path}: {e}")
