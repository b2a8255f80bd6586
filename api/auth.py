"""Who is calling: bearer tokens (JWT) verified against the jurisdiction's published keys.

Tokens come from the identity provider (OIDC, e.g. Microsoft Entra ID) in production, or from
`gakuseki token` with the local development key. The algorithm is pinned by the key a token
names (``kid``): asymmetric only, never ``none`` or HMAC, so a public key can never be used as
an HMAC secret. Expiry, issuer and audience are required.

Keys published at a URL are fetched again (ADR 0022): when a token names a ``kid`` the verifier
does not hold (at most once a minute, so a flood of made-up kids costs one fetch a minute), and
on a schedule (hourly, on the first request after the hour), so a rotation at the identity
provider is followed and a withdrawn key stops being trusted. A fetch that fails, or brings a
document that is not a valid JWKS, keeps the keys already held.

A token verified once is remembered, by its exact text, with the principal it names, until its
``exp`` (ADR 0034): a teacher's client sends the same token with every request for hours, and the
signature check and claim parsing were a measurable part of a write. A remembered token counts only
while the key that verified it is still the one held under its kid: a fetch that withdraws or
replaces the key (the schedule, or an unknown kid) ends it, and the token is verified afresh (and
refused). Past its ``exp`` it is verified afresh too, which refuses it once the leeway has passed.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.request
from collections.abc import Callable
from typing import Any

import jwt
import msgspec
from jwt import PyJWK

from api.problems import ApiProblem

ROLES = ("homeroom_teacher", "subject_teacher", "nurse", "registrar", "principal", "board", "auditor", "operator")
ALGORITHMS = frozenset({"EdDSA", "ES256", "ES384", "RS256", "PS256"})
REFRESH_EVERY = 3600.0  # seconds between scheduled fetches of a JWKS URL
REFETCH_AFTER = 60.0  # at least this long between two fetches (an unknown kid, a failed fetch)
REMEMBERED = 4096  # verified tokens remembered at most (each a few hundred bytes; the oldest goes first)
log = logging.getLogger("gakuseki.auth")


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

    def __init__(self, jwks: dict[str, Any], *, issuer: str, audience: str, leeway: int = 30,
                 fetch: Callable[[], dict[str, Any]] | None = None, refresh_every: float = REFRESH_EVERY,
                 refetch_after: float = REFETCH_AFTER, clock: Callable[[], float] = time.monotonic,
                 wall: Callable[[], float] = time.time) -> None:
        """``fetch``: where the keys come from again (a URL's); None: ``jwks`` is all there is.
        ``clock``: for the fetches' schedule; ``wall``: the time a remembered token's ``exp`` is read against."""
        self.issuer, self.audience, self.leeway = issuer, audience, leeway
        self.keys: dict[str, PyJWK] = self._load(jwks)
        self._fetch, self.refresh_every, self.refetch_after, self._clock = fetch, refresh_every, refetch_after, clock
        self._loaded = self._tried = clock()
        self._lock = threading.Lock()
        self._wall = wall
        # token text -> (principal, kid, the key that verified it, exp); dicts keep insertion order
        self._verified: dict[str, tuple[Principal, str, PyJWK, float]] = {}
        self._remembering = threading.Lock()

    @staticmethod
    def _load(jwks: dict[str, Any]) -> dict[str, PyJWK]:
        keys: dict[str, PyJWK] = {}
        for jwk in jwks.get("keys", []):
            key = PyJWK(jwk)
            if key.algorithm_name not in ALGORITHMS:
                raise ValueError(f"key {jwk.get('kid')} uses {key.algorithm_name}; only {sorted(ALGORITHMS)}")
            if not jwk.get("kid"):
                raise ValueError("every trusted key needs a kid")
            keys[jwk["kid"]] = key
        return keys

    @classmethod
    def from_url(cls, url: str, *, timeout: float = 10.0, **kwargs: Any) -> Verifier:
        """The keys an identity provider publishes at ``url`` (its ``jwks_uri``), fetched now and again later."""
        def fetch() -> dict[str, Any]:
            with urllib.request.urlopen(url, timeout=timeout) as r:
                document: dict[str, Any] = json.load(r)
                return document

        return cls(fetch(), fetch=fetch, **kwargs)

    def _refresh(self, unknown_kid: bool) -> None:
        """Fetch the keys again if it is time: a kid not held, or the schedule; never twice a minute."""
        if self._fetch is None:
            return
        now = self._clock()
        due = now - self._tried >= self.refetch_after and (unknown_kid or now - self._loaded >= self.refresh_every)
        if not due or not self._lock.acquire(blocking=unknown_kid):  # a scheduled fetch already under way
            return
        try:
            if self._clock() - self._tried < self.refetch_after:  # another request fetched while this one waited
                return
            self._tried = self._clock()
            try:
                self.keys = self._load(self._fetch())
                self._loaded = self._tried
            except Exception as e:  # the provider is away or answers nonsense: keep the keys held
                log.warning("the identity provider's keys could not be fetched (%s: %s); keeping the %d held",
                            type(e).__name__, e, len(self.keys))
        finally:
            self._lock.release()

    @classmethod
    def from_file(cls, path: str, **kwargs: Any) -> Verifier:
        with open(path, encoding="utf-8") as f:
            return cls(json.load(f), **kwargs)

    def verify(self, token: str) -> Principal:
        known = self._verified.get(token)
        if known is not None:
            principal, kid, key, expires = known
            self._refresh(unknown_kid=False)  # the schedule runs whether or not tokens are remembered
            if self._wall() < expires and self.keys.get(kid) is key:
                return principal
            with self._remembering:  # expired, or its key withdrawn or replaced: verified afresh
                self._verified.pop(token, None)
        principal, kid, key, expires = self._verify(token)
        with self._remembering:
            while len(self._verified) >= REMEMBERED:
                self._verified.pop(next(iter(self._verified)))
            self._verified[token] = (principal, kid, key, expires)
        return principal

    def _verify(self, token: str) -> tuple[Principal, str, PyJWK, float]:
        """The principal a token names, the kid and key that verified it, and its ``exp``."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise unauthenticated("the bearer token is not a JWT") from None
        kid = str(header.get("kid"))
        self._refresh(unknown_kid=kid not in self.keys)
        key = self.keys.get(kid)
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
        principal = Principal(staff_id=str(claims["sub"]), grants=grants, mfa=isinstance(amr, list) and "mfa" in amr)
        return principal, kid, key, float(claims["exp"])
