"""Transfer packets: RFC 8785 canonical JSON, signed as a compact JWS with a ledger's Ed25519 key.

A packet token is ``header.payload.signature``, three unpadded base64url segments (RFC 7515 §7.1):

- header: the JSON object ``{"alg":"EdDSA","iss":ISSUER,"kid":KID,"typ":PACKET_TYPE}``, exactly
  these four members, each a non-empty string: ``iss`` is the issuing ledger's id, ``kid`` the
  RFC 7638 thumbprint of its public key. No ``crit``, ``jku``, ``jwk``, ``x5u``, ``b64``: a token
  never says where to find its key, the verifier's trust list does.
- payload: the packet document as RFC 8785 (JCS) canonical JSON, UTF-8. Numbers are integers
  within ±(2**53 - 1) only: a decimal is written as a string ("120.5"), so every reader gets back
  exactly the value that was signed. Floats, NaN and duplicate keys are refused on both sides.
- signature: Ed25519 (RFC 8032, ``alg`` EdDSA per RFC 8037) over the ASCII bytes of
  ``header_segment + "." + payload_segment``; 64 bytes.

``verify`` is strict and checks in a fixed order, raising the first refusal it meets (all are
``errors.PacketRefused``, HTTP 422, field ``packet``):

1. the token is ASCII text, three segments, each canonical unpadded base64url  -> PacketMalformed
2. the header is a UTF-8 JSON object without duplicate keys                    -> PacketMalformed
3. ``alg`` is "EdDSA": "none" (any case)                                       -> PacketUnsigned
   any other value (HS256, RS256, ES256, ...), before any key is looked up     -> PacketAlgorithmRefused
4. the signature segment is not empty                                          -> PacketUnsigned
   and decodes to 64 bytes                                                     -> PacketMalformed
5. the header has exactly alg, iss, kid, typ (non-empty strings)               -> PacketMalformed
6. ``typ`` is the expected one                                                 -> PacketMalformed
7. ``iss`` is a trusted ledger, ``kid`` one of its keys                        -> PacketUnknownIssuer
8. the signature verifies with that key (the token chooses neither the
   algorithm nor the key)                                                      -> PacketSignatureInvalid
9. the payload is UTF-8 JSON, no floats, no duplicate keys, and already
   canonical: ``canonical(json.loads(payload)) == payload``                    -> PacketMalformed

Pure functions: no file or network access (the key files and the trust list file are api/keys.py).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, NoReturn

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from jwt.api_jws import PyJWS

from domain import errors

__all__ = [
    "ALGORITHM",
    "HEADER_MEMBERS",
    "PACKET_TYPE",
    "TrustList",
    "Verified",
    "b64url",
    "b64url_decode",
    "canonical",
    "is_canonical",
    "public_jwk",
    "sign",
    "thumbprint",
    "verify",
]

PACKET_TYPE = "gakuseki-transfer-packet+jws"
ALGORITHM = "EdDSA"
HEADER_MEMBERS = frozenset({"alg", "iss", "kid", "typ"})
SIGNATURE_SIZE = 64
_SEGMENT = re.compile(r"[A-Za-z0-9_-]*")
_JWS = PyJWS(algorithms=[ALGORITHM])


# ---------------------------------------------------------------- canonical JSON


# RFC 8785 of a value with no floats, safe integers and keys inside the Basic Multilingual Plane is what
# the standard library's C encoder writes with these options: no spaces; keys sorted by code point,
# which for such keys is the UTF-16 order RFC 8785 asks for; strings escaped as ECMAScript's
# JSON.stringify does (\" \\ \b \f \n \r \t, other controls as lowercase \u00xx, the rest as is).
# The rfc8785 package, pure Python, took most of an export's time (ADR 0041); it still writes every
# other value, and tests/domain/test_signing.py holds the two equal on arbitrary JSON.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True, allow_nan=False,
                            check_circular=False)
_SAFE_INTEGER = 2**53 - 1
_BMP_END = "\U00010000"


def canonical(obj: Any) -> bytes:
    """The RFC 8785 canonical form of a JSON-able value (dicts with str keys, lists, str, int, bool, None).

    Floats are refused (ValueError): packet content writes decimals as strings, e.g. "120.5".
    Integers beyond ±(2**53 - 1) and strings with lone surrogates are refused too (ValueError).
    """
    if _plain(obj):
        try:
            return _ENCODER.encode(obj).encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: refused below, with rfc8785's own message
            pass
    return rfc8785.dumps(obj)


def _plain(obj: Any) -> bool:
    """Whether the standard encoder writes ``obj`` exactly as RFC 8785 does (see ``_ENCODER``); a float
    anywhere is refused here (ValueError)."""
    plain = True
    stack = [obj]
    while stack:
        value = stack.pop()
        if isinstance(value, str) or value is None or isinstance(value, bool):
            continue
        if isinstance(value, int):
            plain = plain and -_SAFE_INTEGER <= value <= _SAFE_INTEGER
        elif isinstance(value, dict):
            if plain:
                try:
                    keys = "".join(value)  # TypeError: a key that is not a string
                    plain = keys.isascii() or max(keys) < _BMP_END
                except TypeError:
                    plain = False
            stack.extend(value.values())
        elif isinstance(value, list | tuple):
            stack.extend(value)
        elif isinstance(value, float):
            raise ValueError(f"a float ({value!r}) cannot go into a packet: write decimals as strings, e.g. \"120.5\"")
        else:
            plain = False
    return plain


def is_canonical(payload: bytes) -> bool:
    """Whether the bytes are strict JSON (no floats, no duplicate keys) already in canonical form."""
    try:
        return canonical(_strict_json(payload)) == payload
    except (ValueError, TypeError, RecursionError):
        return False


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {key!r}")
        out[key] = value
    return out


def _no_float(text: str) -> NoReturn:
    raise ValueError(f"a non-integer number ({text}); decimals are strings in a packet")


def _strict_json(data: bytes) -> Any:
    """JSON from UTF-8 bytes; duplicate keys, floats, exponents, NaN and Infinity refused (ValueError)."""
    text = data.decode("utf-8")  # strict: not json.loads' guessing among UTF-16/32
    return json.loads(text, object_pairs_hook=_no_duplicates, parse_float=_no_float, parse_constant=_no_float)


# ---------------------------------------------------------------- base64url and keys


def b64url(data: bytes) -> str:
    """Unpadded base64url (RFC 7515 §2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(segment: str) -> bytes:
    """Strict unpadded base64url: only the 64 letters, no padding, and canonical (ValueError otherwise).

    Canonical means the unused low bits of the last character are zero, so that exactly one text
    encodes given bytes: re-encoding the decoded bytes must give the segment back.
    """
    if not _SEGMENT.fullmatch(segment) or len(segment) % 4 == 1:
        raise ValueError("not unpadded base64url")
    try:
        data = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (binascii.Error, ValueError) as e:
        raise ValueError(f"not base64url: {e}")
    if b64url(data) != segment:
        raise ValueError("not canonical base64url (non-zero bits after the last byte)")
    return data


def public_jwk(key: Ed25519PublicKey) -> dict[str, str]:
    """The public JWK of an Ed25519 key (RFC 8037): ``{"crv": "Ed25519", "kty": "OKP", "x": ...}``."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return {"crv": "Ed25519", "kty": "OKP", "x": b64url(raw)}


def thumbprint(jwk: Mapping[str, Any]) -> str:
    """The RFC 7638 SHA-256 thumbprint of an OKP public JWK, base64url (43 characters): the packet ``kid``."""
    if jwk.get("kty") != "OKP" or not isinstance(jwk.get("crv"), str) or not isinstance(jwk.get("x"), str):
        raise ValueError("a thumbprint is taken of an OKP public key (kty, crv, x)")
    required = {"crv": jwk["crv"], "kty": "OKP", "x": jwk["x"]}
    return b64url(hashlib.sha256(canonical(required)).digest())


def _jwk_key(jwk: Mapping[str, Any], where: str) -> Ed25519PublicKey:
    if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
        raise ValueError(f"{where}: only Ed25519 keys (kty OKP, crv Ed25519) are accepted, "
                         f"not kty {jwk.get('kty')!r} crv {jwk.get('crv')!r}")
    if "d" in jwk:
        raise ValueError(f"{where}: is a private key; a trust list holds public keys only")
    if jwk.get("use", "sig") != "sig" or jwk.get("alg", ALGORITHM) != ALGORITHM:
        raise ValueError(f"{where}: must be a signing key for EdDSA (use 'sig', alg 'EdDSA')")
    x = jwk.get("x")
    try:
        raw = b64url_decode(x) if isinstance(x, str) else b""
    except ValueError as e:
        raise ValueError(f"{where}: x is {e}")
    if len(raw) != 32:
        raise ValueError(f"{where}: x must be the 32-byte Ed25519 public key in base64url")
    return Ed25519PublicKey.from_public_bytes(raw)


# ---------------------------------------------------------------- trust list


class TrustList(Mapping[str, Mapping[str, Ed25519PublicKey]]):
    """The ledgers whose packets are accepted: issuer (ledger id) -> {kid -> Ed25519 public key}. Immutable.

    The JSON document (``from_json`` / ``to_json``)::

        {"ledgers": [{"ledger_id": "tokyo-minato", "name": "港区教育委員会",
                      "keys": [{"kty": "OKP", "crv": "Ed25519", "x": "...", "kid": "...",
                                "use": "sig", "alg": "EdDSA"}]}]}

    ``name`` is optional. A key without ``kid`` gets its RFC 7638 thumbprint. Keys other than
    OKP/Ed25519, private keys, duplicate ledgers and duplicate kids are refused (ValueError).
    """

    __slots__ = ("_ledgers", "_names")
    _ledgers: Mapping[str, Mapping[str, Ed25519PublicKey]]
    _names: Mapping[str, str]

    def __init__(self, ledgers: Mapping[str, Mapping[str, Ed25519PublicKey]] | None = None,
                 names: Mapping[str, str] | None = None) -> None:
        frozen = {issuer: MappingProxyType(dict(keys)) for issuer, keys in (ledgers or {}).items()}
        for issuer, keys in frozen.items():
            if not isinstance(issuer, str) or not issuer:
                raise ValueError(f"a ledger id is a non-empty string, not {issuer!r}")
            for kid, key in keys.items():
                if not isinstance(kid, str) or not kid or not isinstance(key, Ed25519PublicKey):
                    raise ValueError(f"ledger {issuer!r}: each kid is a non-empty string naming an Ed25519 public key")
        object.__setattr__(self, "_ledgers", MappingProxyType(frozen))
        object.__setattr__(self, "_names", MappingProxyType(dict(names or {})))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("a TrustList is immutable")

    def __getitem__(self, issuer: str) -> Mapping[str, Ed25519PublicKey]:
        return self._ledgers[issuer]

    def __iter__(self) -> Iterator[str]:
        return iter(self._ledgers)

    def __len__(self) -> int:
        return len(self._ledgers)

    def __repr__(self) -> str:
        kids = {issuer: sorted(keys) for issuer, keys in self._ledgers.items()}
        return f"TrustList({kids!r})"

    def name(self, issuer: str) -> str | None:
        """The ledger's display name, when the trust list gives one."""
        return self._names.get(issuer)

    @classmethod
    def of(cls, issuer: str, kid: str, key: Ed25519PublicKey) -> TrustList:
        """A trust list of one key (tests, and a ledger's trust in itself)."""
        return cls({issuer: {kid: key}})

    @classmethod
    def from_json(cls, data: Any) -> TrustList:
        if not isinstance(data, dict) or not isinstance(data.get("ledgers"), list):
            raise ValueError('trust list: expected a JSON object {"ledgers": [...]}')
        ledgers: dict[str, dict[str, Ed25519PublicKey]] = {}
        names: dict[str, str] = {}
        for n, entry in enumerate(data["ledgers"], 1):
            if not isinstance(entry, dict):
                raise ValueError(f"trust list: ledger #{n} is not an object")
            unknown = set(entry) - {"ledger_id", "name", "keys"}
            if unknown:
                raise ValueError(f"trust list: ledger #{n} has unknown members {sorted(unknown)} "
                                 "(a ledger has ledger_id, name, keys)")
            issuer = entry.get("ledger_id")
            if not isinstance(issuer, str) or not issuer:
                raise ValueError(f"trust list: ledger #{n} needs a ledger_id (a non-empty string)")
            if issuer in ledgers:
                raise ValueError(f"trust list: ledger {issuer!r} is listed twice")
            if "name" in entry:
                if not isinstance(entry["name"], str):
                    raise ValueError(f"trust list: ledger {issuer!r}: name must be a string")
                names[issuer] = entry["name"]
            jwks = entry.get("keys")
            if not isinstance(jwks, list) or not jwks:
                raise ValueError(f"trust list: ledger {issuer!r} needs keys (a non-empty list of public JWKs)")
            keys: dict[str, Ed25519PublicKey] = {}
            for m, jwk in enumerate(jwks, 1):
                if not isinstance(jwk, dict):
                    raise ValueError(f"trust list: ledger {issuer!r}, key #{m} is not a JWK object")
                kid = jwk.get("kid")
                where = f"trust list: ledger {issuer!r}, key {kid if isinstance(kid, str) else f'#{m}'!r}"
                key = _jwk_key(jwk, where)
                if kid is None:
                    kid = thumbprint(jwk)
                if not isinstance(kid, str) or not kid:
                    raise ValueError(f"{where}: kid must be a non-empty string")
                if kid in keys:
                    raise ValueError(f"{where}: kid listed twice")
                keys[kid] = key
            ledgers[issuer] = keys
        return cls(ledgers, names)

    def to_json(self) -> dict[str, Any]:
        """The document ``from_json`` reads back."""
        out = []
        for issuer, keys in self._ledgers.items():
            entry: dict[str, Any] = {"ledger_id": issuer}
            if issuer in self._names:
                entry["name"] = self._names[issuer]
            entry["keys"] = [{**public_jwk(key), "kid": kid, "use": "sig", "alg": ALGORITHM}
                             for kid, key in keys.items()]
            out.append(entry)
        return {"ledgers": out}

    def merged(self, other: TrustList) -> TrustList:
        """Both lists' keys; the same kid of the same ledger naming two different keys is refused."""
        ledgers = {issuer: dict(keys) for issuer, keys in self._ledgers.items()}
        for issuer, keys in other.items():
            mine = ledgers.setdefault(issuer, {})
            for kid, key in keys.items():
                if kid in mine and mine[kid] != key:
                    raise ValueError(f"trust list: ledger {issuer!r} key {kid!r} is listed with two different keys")
                mine[kid] = key
        return TrustList(ledgers, {**other._names, **self._names})


# ---------------------------------------------------------------- sign and verify


@dataclass(frozen=True)
class Verified:
    """A packet whose signature verified: the exact payload bytes, who issued it and with which key."""

    payload: bytes
    issuer: str
    kid: str
    header: dict[str, Any]


def sign(payload: bytes, key: Ed25519PrivateKey, *, kid: str, issuer: str, typ: str = PACKET_TYPE) -> str:
    """The compact JWS of a canonical payload (pass ``canonical(document)``), signed with the ledger's key.

    The protected header is ``{"alg":"EdDSA","iss":issuer,"kid":kid,"typ":typ}`` (keys sorted, no
    spaces). A payload that ``verify`` would refuse as not canonical is refused here (ValueError).
    """
    if not isinstance(key, Ed25519PrivateKey):
        raise TypeError("a packet is signed with an Ed25519 private key")
    for name, value in (("kid", kid), ("issuer", issuer), ("typ", typ)):
        if not isinstance(value, str) or not value:
            raise ValueError(f"{name} must be a non-empty string")
    if not is_canonical(payload):
        raise ValueError("the payload must be RFC 8785 canonical JSON without floats: sign canonical(document)")
    return _JWS.encode(payload, key, algorithm=ALGORITHM, headers={"iss": issuer, "kid": kid, "typ": typ})


def sign_document(document: Any, key: Ed25519PrivateKey, *, kid: str, issuer: str, typ: str = PACKET_TYPE) -> str:
    """``sign(canonical(document), ...)`` without parsing the payload back to check it: the bytes are
    made canonical here, so ``sign``'s check of a caller's bytes (a JSON parse and a second canonical
    form, about a tenth of a packet's export: ADR 0053) has nothing to find. The same token."""
    if not isinstance(key, Ed25519PrivateKey):
        raise TypeError("a packet is signed with an Ed25519 private key")
    for name, value in (("kid", kid), ("issuer", issuer), ("typ", typ)):
        if not isinstance(value, str) or not value:
            raise ValueError(f"{name} must be a non-empty string")
    return _JWS.encode(canonical(document), key, algorithm=ALGORITHM, headers={"iss": issuer, "kid": kid, "typ": typ})


def _refuse(error: type[errors.LedgerError], message: str) -> NoReturn:
    raise error(message, field="packet")


def _segment(segment: str, which: str) -> bytes:
    try:
        return b64url_decode(segment)
    except ValueError as e:
        _refuse(errors.PacketMalformed, f"the packet's {which} is {e}")


def verify(token: str | bytes, trust: TrustList, *, typ: str = PACKET_TYPE) -> Verified:
    """The payload of a packet token signed by a trusted ledger; otherwise the Packet* refusal of the first fault.

    The order of the checks is in the module documentation. The payload is returned as the exact
    bytes that were signed (canonical JSON); the caller decodes them into its own types.
    """
    # 1. three canonical base64url segments of ASCII text
    if isinstance(token, bytes | bytearray):
        try:
            text = bytes(token).decode("ascii")
        except UnicodeDecodeError:
            _refuse(errors.PacketMalformed, "the packet is not ASCII text (a compact JWS)")
    elif isinstance(token, str):
        text = token
    else:
        _refuse(errors.PacketMalformed, "the packet is not text")
    if not text.isascii():
        _refuse(errors.PacketMalformed, "the packet is not ASCII text (a compact JWS)")
    segments = text.split(".")
    if len(segments) != 3:
        _refuse(errors.PacketMalformed, f"a packet is three base64url segments joined by dots, not {len(segments)}")
    header_segment, payload_segment, signature_segment = segments
    if not header_segment or not payload_segment:
        _refuse(errors.PacketMalformed, "the packet's header or payload is empty")
    header_bytes = _segment(header_segment, "header")
    payload = _segment(payload_segment, "payload")
    signature = _segment(signature_segment, "signature")

    # 2. the header: a JSON object without duplicate keys
    try:
        header = _strict_json(header_bytes)
    except (ValueError, RecursionError) as e:
        _refuse(errors.PacketMalformed, f"the packet's header is not strict JSON: {e}")
    if not isinstance(header, dict):
        _refuse(errors.PacketMalformed, "the packet's header is not a JSON object")

    # 3. the algorithm, before anything else is trusted
    alg = header.get("alg")
    if not isinstance(alg, str):
        _refuse(errors.PacketMalformed, "the packet's header has no alg")
    if alg.casefold() == "none":
        _refuse(errors.PacketUnsigned, f"the packet is unsigned (alg {alg!r}); packets are signed with EdDSA")
    if alg != ALGORITHM:
        _refuse(errors.PacketAlgorithmRefused,
                f"the packet's algorithm {alg[:32]!r} is refused; only EdDSA is accepted")

    # 4. a signature of the right size
    if not signature:
        _refuse(errors.PacketUnsigned, "the packet carries no signature")
    if len(signature) != SIGNATURE_SIZE:
        _refuse(errors.PacketMalformed, f"an Ed25519 signature is {SIGNATURE_SIZE} bytes, not {len(signature)}")

    # 5, 6. exactly the members we write, and the packet type
    if set(header) != HEADER_MEMBERS:
        extra, missing = sorted(set(header) - HEADER_MEMBERS), sorted(HEADER_MEMBERS - set(header))
        _refuse(errors.PacketMalformed, "the packet's header must have exactly alg, iss, kid and typ"
                + (f"; unexpected {extra}" if extra else "") + (f"; missing {missing}" if missing else ""))
    if not all(isinstance(header[m], str) and header[m] for m in HEADER_MEMBERS):
        _refuse(errors.PacketMalformed, "the packet's header members must be non-empty strings")
    if header["typ"] != typ:
        _refuse(errors.PacketMalformed, f"the packet's typ is {header['typ'][:64]!r}, not {typ!r}")

    # 7. a trusted issuer and one of its keys
    issuer, kid = header["iss"], header["kid"]
    keys = trust.get(issuer)
    if keys is None:
        _refuse(errors.PacketUnknownIssuer, f"the packet's issuer {issuer[:200]!r} is not in this ledger's trust list")
    key = keys.get(kid)
    if key is None:
        _refuse(errors.PacketUnknownIssuer, f"the packet's key {kid[:100]!r} is not one of the trusted keys of "
                f"ledger {issuer!r}")

    # 8. the signature, with the trusted key and Ed25519 only
    try:
        key.verify(signature, f"{header_segment}.{payload_segment}".encode("ascii"))
    except InvalidSignature:
        _refuse(errors.PacketSignatureInvalid, f"the packet's signature does not verify with key {kid!r} of "
                f"ledger {issuer!r}: it was altered or signed with another key")

    # 9. the signed payload is canonical JSON
    try:
        document = _strict_json(payload)
        well_formed = canonical(document) == payload
    except (ValueError, TypeError, RecursionError) as e:
        _refuse(errors.PacketMalformed, f"the packet's payload is not strict JSON: {e}")
    if not well_formed:
        _refuse(errors.PacketMalformed, "the packet's payload is not RFC 8785 canonical JSON")
    return Verified(payload=payload, issuer=issuer, kid=kid, header=dict(header))
