"""Who is calling: bearer tokens (JWT) verified against the jurisdiction's published keys.

Tokens come from the identity provider (OIDC, e.g. Microsoft Entra ID) in production, or from
`gakuseki token` with the local development key. The algorithm is pinned by the key a token
names (``kid``): asymmetric only, never ``none`` or HMAC, so a public key can never be used as
an HMAC secret. Expiry, issuer and audience are required.
"""

from __future__ import annotations

import json
from typing import Any

import jwt
import msgspec
from jwt import PyJWK

from api.problems import ApiProblem

ROLES = ("homeroom_teacher", "subject_teacher", "nurse", "registrar", "principal", "board", "auditor", "operator")
ALGORITHMS = frozenset({"EdDSA", "ES256", "ES384", "RS256", "PS256"})


class Grant(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    """One role, scoped: to a school, a board, or (for teachers) classes "YEAR/GRADE/NAME" of that school and
    subjects. An auditor with a school or board claim is scoped to it (ADR 0019)."""

    role: str
    school: str | None = None
    board: str | None = None
    classes: tuple[str, ...] = ()
    subjects: tuple[str, ...] = ()


class Principal(msgspec.Struct, frozen=True):
    staff_id: str
    grants: tuple[Grant, ...]
    mfa: bool

    def roles(self) -> str:
        return ",".join(sorted({g.role for g in self.grants}))


def unauthenticated(detail: str) -> ApiProblem:
    return ApiProblem(401, "not-authenticated", detail, headers={"WWW-Authenticate": 'Bearer realm="gakuseki"'})


class Verifier:
    """Verifies tokens against a JWKS (the keys an OIDC provider publishes)."""

    def __init__(self, jwks: dict[str, Any], *, issuer: str, audience: str, leeway: int = 30) -> None:
        self.issuer, self.audience, self.leeway = issuer, audience, leeway
        self.keys: dict[str, PyJWK] = {}
        for jwk in jwks.get("keys", []):
            key = PyJWK(jwk)
            if key.algorithm_name not in ALGORITHMS:
                raise ValueError(f"key {jwk.get('kid')} uses {key.algorithm_name}; only {sorted(ALGORITHMS)}")
            if not jwk.get("kid"):
                raise ValueError("every trusted key needs a kid")
            self.keys[jwk["kid"]] = key

    @classmethod
    def from_file(cls, path: str, **kwargs: Any) -> Verifier:
        with open(path, encoding="utf-8") as f:
            return cls(json.load(f), **kwargs)

    def verify(self, token: str) -> Principal:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise unauthenticated("the bearer token is not a JWT") from None
        key = self.keys.get(str(header.get("kid")))
        if key is None:
            raise unauthenticated("the token is signed by a key this ledger does not trust")
        if header.get("alg") != key.algorithm_name:
            raise unauthenticated(f"the token's algorithm {header.get('alg')!r} is not its key's")
        try:
            claims = jwt.decode(token, key.key, algorithms=[key.algorithm_name], audience=self.audience,
                                issuer=self.issuer, leeway=self.leeway,
                                options={"require": ["exp", "iat", "iss", "aud", "sub"]})
        except jwt.ExpiredSignatureError:
            raise unauthenticated("the token has expired") from None
        except jwt.PyJWTError as e:
            raise unauthenticated(f"the token is not valid: {e}") from None
        try:
            grants = msgspec.convert(claims.get("roles", []), tuple[Grant, ...])
        except msgspec.ValidationError as e:
            raise unauthenticated(f"the token's roles claim is malformed: {e}") from None
        if any(g.role not in ROLES for g in grants):
            raise unauthenticated(f"the token names an unknown role; roles are {', '.join(ROLES)}")
        amr = claims.get("amr") or []
        return Principal(staff_id=str(claims["sub"]), grants=grants, mfa=isinstance(amr, list) and "mfa" in amr)
