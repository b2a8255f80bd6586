"""The development signing key: `gakuseki token` signs with it, the embedded default trusts it.

An Ed25519 key in a PEM file (by default ./gakuseki-dev-key.pem beside the SQLite ledger),
created on first use. Production deployments configure their identity provider's JWKS instead.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

DEV_ISSUER = "gakuseki-dev"
AUDIENCE = "gakuseki"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class DevKey:
    def __init__(self, private: Ed25519PrivateKey) -> None:
        self.private = private
        raw = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        self.public_jwk: dict[str, str] = {"crv": "Ed25519", "kty": "OKP", "x": _b64(raw)}
        # RFC 7638 thumbprint as the key id
        thumb = json.dumps(self.public_jwk, separators=(",", ":"), sort_keys=True).encode()
        self.kid = _b64(hashlib.sha256(thumb).digest())[:16]

    @classmethod
    def load_or_create(cls, path: Path) -> DevKey:
        if path.exists():
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
            if not isinstance(key, Ed25519PrivateKey):
                raise ValueError(f"{path} is not an Ed25519 key")
            return cls(key)
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(pem)
        return cls(key)

    def jwks(self) -> dict[str, Any]:
        return {"keys": [{**self.public_jwk, "kid": self.kid, "alg": "EdDSA", "use": "sig"}]}

    def token(self, staff_id: str, roles: list[dict[str, Any]], *, mfa: bool = True, ttl: int = 8 * 3600,
              now: int | None = None) -> str:
        issued = int(now if now is not None else time.time())
        claims = {"iss": DEV_ISSUER, "aud": AUDIENCE, "sub": staff_id, "iat": issued, "exp": issued + ttl,
                  "amr": ["pwd", "mfa"] if mfa else ["pwd"], "roles": roles}
        return jwt.encode(claims, self.private, algorithm="EdDSA", headers={"kid": self.kid})
