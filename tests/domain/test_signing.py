"""Transfer packet signatures: canonical JSON, the JWS we write, and everything verify refuses."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import pytest
import rfc8785
from cryptography.hazmat.primitives.asymmetric.ec import SECP256R1, generate_private_key
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from hypothesis import given, settings
from hypothesis import strategies as st

from domain import errors
from domain.signing import (
    PACKET_TYPE,
    TrustList,
    b64url,
    b64url_decode,
    canonical,
    is_canonical,
    public_jwk,
    sign,
    sign_document,
    thumbprint,
    verify,
)

ISSUER = "tokyo-minato"
KEY = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"gakuseki test ledger key").digest())
KID = thumbprint(public_jwk(KEY.public_key()))
TRUST = TrustList.of(ISSUER, KID, KEY.public_key())
OTHER = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"someone else's key").digest())
DOCUMENT: dict[str, Any] = {
    "kind": "transfer",
    "student": {"name": "山田 花子", "kana": "やまだ はなこ", "born_on": "2019-05-14"},
    "health": [{"year": 2026, "height_cm": "116.7", "weight_kg": "21.8"}],
    "to_school": "B131220000013",
}
PAYLOAD = canonical(DOCUMENT)
TOKEN = sign(PAYLOAD, KEY, kid=KID, issuer=ISSUER)
PACKET_ERRORS = (errors.PacketMalformed, errors.PacketUnsigned, errors.PacketAlgorithmRefused,
                 errors.PacketUnknownIssuer, errors.PacketSignatureInvalid)
B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def header_of(token: str) -> bytes:
    return b64url_decode(token.split(".")[0])


def forge(header: dict[str, Any] | bytes, payload: bytes = PAYLOAD, key: Ed25519PrivateKey | None = KEY,
          signature: bytes | None = None) -> str:
    """A token built by hand, without a JOSE library: any header, any payload, signed with any key."""
    head = header if isinstance(header, bytes) else json.dumps(header, separators=(",", ":")).encode()
    signing_input = f"{b64url(head)}.{b64url(payload)}"
    if signature is None:
        signature = key.sign(signing_input.encode()) if key else b""
    return f"{signing_input}.{b64url(signature)}"


def good_header(**changes: Any) -> dict[str, Any]:
    return {"alg": "EdDSA", "iss": ISSUER, "kid": KID, "typ": PACKET_TYPE, **changes}


def refused(token: str | bytes, trust: TrustList = TRUST, **kwargs: Any) -> errors.LedgerError:
    with pytest.raises(errors.PacketRefused) as caught:
        verify(token, trust, **kwargs)
    assert caught.value.field == "packet"
    return caught.value


# ---------------------------------------------------------------- what is written and what verifies


def test_a_signed_payload_verifies_and_returns_the_exact_payload_bytes() -> None:
    verified = verify(TOKEN, TRUST)
    assert verified.payload == PAYLOAD
    assert json.loads(verified.payload) == DOCUMENT
    assert (verified.issuer, verified.kid) == (ISSUER, KID)
    assert verified.header == good_header()
    assert verify(TOKEN.encode("ascii"), TRUST) == verified


def test_the_signature_verifies_independently_with_cryptography_over_header_dot_payload() -> None:
    header_segment, payload_segment, signature_segment = TOKEN.split(".")
    signature = base64.urlsafe_b64decode(signature_segment + "==")
    assert len(signature) == 64
    KEY.public_key().verify(signature, f"{header_segment}.{payload_segment}".encode("ascii"))  # raises if not
    assert base64.urlsafe_b64decode(payload_segment + "=" * (-len(payload_segment) % 4)) == PAYLOAD


def test_the_header_is_exactly_alg_iss_kid_typ_with_sorted_keys_and_no_padding_anywhere() -> None:
    assert header_of(TOKEN) == (b'{"alg":"EdDSA","iss":"tokyo-minato","kid":"' + KID.encode()
                                + b'","typ":"gakuseki-transfer-packet+jws"}')
    assert "=" not in TOKEN
    assert TOKEN.count(".") == 2


def test_the_kid_is_the_rfc7638_thumbprint_as_in_rfc8037() -> None:
    # RFC 8037 appendix A.1 to A.3: the Ed25519 test key, its public JWK and its thumbprint.
    rfc_key = Ed25519PrivateKey.from_private_bytes(b64url_decode("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"))
    jwk = public_jwk(rfc_key.public_key())
    assert jwk == {"crv": "Ed25519", "kty": "OKP", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}
    assert thumbprint(jwk) == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
    assert thumbprint({**jwk, "kid": "x", "use": "sig"}) == thumbprint(jwk)  # only crv, kty, x count


def test_canonical_json_sorts_keys_by_utf16_as_in_rfc8785() -> None:
    # RFC 8785 §3.2.3: the sorting example.
    data = {"\u20ac": "Euro Sign", "\r": "Carriage Return", "\ufb33": "Hebrew Letter Dalet With Dagesh",
            "1": "One", "\U0001f600": "Emoji: Grinning Face", "\u0080": "Control",
            "\u00f6": "Latin Small Letter O With Diaeresis"}
    assert canonical(data) == (
        '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis",'
        '"\u20ac":"Euro Sign","\U0001f600":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}'
    ).encode("utf-8")


@pytest.mark.parametrize("value", [120.5, 1.0, {"height_cm": [116.7]}, float("nan")])
def test_canonical_json_refuses_floats_so_decimals_are_written_as_strings(value: Any) -> None:
    with pytest.raises(ValueError, match="float"):
        canonical(value)


@pytest.mark.parametrize(("value", "message"), [
    (2**53, "safe integer"), (-(2**53), "safe integer"), ("\ud800", "non-UTF-8"), ({1: "a"}, "keys must be strings"),
    ({"a": b"bytes"}, "unsupported type"),
])
def test_canonical_json_refuses_what_json_cannot_carry_exactly(value: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        canonical(value)


@pytest.mark.parametrize("payload", [b'{"b":1, "a":2}', b'{"a":1.5}', b"not json", b'{"a":1,"a":1}', b""])
def test_sign_refuses_a_payload_that_is_not_canonical(payload: bytes) -> None:
    assert not is_canonical(payload)
    with pytest.raises(ValueError, match="canonical"):
        sign(payload, KEY, kid=KID, issuer=ISSUER)


def test_sign_refuses_an_empty_issuer_or_kid_and_a_key_that_is_not_ed25519() -> None:
    with pytest.raises(ValueError, match="issuer"):
        sign(PAYLOAD, KEY, kid=KID, issuer="")
    with pytest.raises(ValueError, match="kid"):
        sign(PAYLOAD, KEY, kid="", issuer=ISSUER)
    with pytest.raises(TypeError, match="Ed25519"):
        sign(PAYLOAD, generate_private_key(SECP256R1()), kid=KID, issuer=ISSUER)  # type: ignore[arg-type]


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53 - 1), 2**53 - 1) | st.text(),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(), inner, max_size=5),
    max_leaves=30,
)


ANY_TEXT = st.text(st.characters(codec="utf-8"), max_size=8)  # every plane, controls included; no lone surrogates
WIDE_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53 - 1), 2**53 - 1) | ANY_TEXT
    | st.sampled_from(["\u2028", "\x7f", "\x1f\b\f\n\r\t\"\\/", "\ufb33\U0001f600", "\ue000"]),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(ANY_TEXT | st.sampled_from(
        ["\ue000", "\U0001f600", "\uffff", "\U00010000", "a\U0001f600", "a\uffff"]), inner, max_size=6),
    max_leaves=40,
)


@settings(max_examples=500, deadline=None)
@given(WIDE_JSON_VALUES)
def test_canonical_json_is_byte_for_byte_what_the_rfc8785_reference_package_writes(value: Any) -> None:
    # the fast path (the standard library's encoder, ADR 0041) against the rfc8785 package it replaced
    assert canonical(value) == rfc8785.dumps(value)


@settings(max_examples=200, deadline=None)
@given(JSON_VALUES)
def test_canonical_json_is_idempotent_and_sign_then_verify_round_trips(value: Any) -> None:
    payload = canonical(value)
    assert json.loads(payload) == value
    assert canonical(json.loads(payload)) == payload
    assert is_canonical(payload)
    assert verify(sign(payload, KEY, kid=KID, issuer=ISSUER), TRUST).payload == payload


# ---------------------------------------------------------------- any change to a token is refused


def mutations(char: str) -> list[str]:
    """What a byte of a token is replaced with: neighbours in the alphabet, padding, separators, non-ASCII."""
    out = [".", "=", "+", "/", " ", "\x00", "\u00e9", "\uff21"]  # é, and a fullwidth Ａ
    if char in B64:
        value = B64.index(char)
        # value ^ 1 and ^ 2 differ only in low bits: at the end of a segment they decode to the same bytes.
        out += [B64[value ^ 1], B64[value ^ 2], B64[value ^ 32], char.swapcase() if char.isalpha() else "A"]
    else:  # the dots
        out += ["A", "-", "_", ".."]
    return [m for m in dict.fromkeys(out) if m != char]


def sampled_positions(token: str) -> list[int]:
    """Every position of a short token; of a long one, evenly spaced plus the first and last 10 of each segment."""
    if len(token) <= 2000:
        return list(range(len(token)))
    positions = set(range(0, len(token), len(token) // 300))
    start = 0
    for segment in token.split("."):
        end = start + len(segment)
        positions |= set(range(start, min(start + 10, end))) | set(range(max(end - 10, start), end))
        if end < len(token):
            positions.add(end)  # the dot after it
        start = end + 1
    return sorted(positions)


LONG_TOKEN = sign(canonical({**DOCUMENT, "health": DOCUMENT["health"] * 60}), KEY, kid=KID, issuer=ISSUER)


@pytest.mark.parametrize("token", [TOKEN, LONG_TOKEN], ids=["packet", "long-packet"])
def test_every_single_byte_change_at_every_sampled_position_is_refused(token: str) -> None:
    positions = sampled_positions(token)
    assert len(positions) >= 200
    assert (len(positions) == len(token)) == (token is TOKEN)  # the long one is sampled
    seen: dict[type, int] = {}
    tried = 0
    for i in positions:
        for replacement in mutations(token[i]):
            changed = token[:i] + replacement + token[i + 1:]
            with pytest.raises(PACKET_ERRORS) as caught:
                verify(changed, TRUST)
            seen[type(caught.value)] = seen.get(type(caught.value), 0) + 1
            tried += 1
    assert tried >= 200 * 8
    # Both the format checks and the signature check did their share.
    assert seen[errors.PacketMalformed]
    assert seen[errors.PacketSignatureInvalid]


def test_every_single_byte_change_of_a_bytes_token_is_refused_including_non_ascii_bytes() -> None:
    raw = TOKEN.encode("ascii")
    for i in range(len(raw)):
        for replacement in {0xFF, 0x80, 0x00, raw[i] ^ 0x01, raw[i] ^ 0x20}:
            if replacement == raw[i]:
                continue
            changed = raw[:i] + bytes([replacement]) + raw[i + 1:]
            with pytest.raises(PACKET_ERRORS):
                verify(changed, TRUST)


@pytest.mark.parametrize("segment_index", [0, 1, 2])
def test_a_change_in_the_unused_bits_of_a_segments_last_character_is_refused(segment_index: int) -> None:
    token = TOKEN
    if segment_index == 1:  # a payload whose length leaves unused bits (1 or 2 bytes over a multiple of 3)
        payload = canonical({**DOCUMENT, "pad": "x"})
        while len(payload) % 3 == 0:
            payload = canonical({**json.loads(payload), "pad": json.loads(payload)["pad"] + "x"})
        token = sign(payload, KEY, kid=KID, issuer=ISSUER)
    segments = token.split(".")
    segment = segments[segment_index]
    if len(segment) % 4 == 0:
        pytest.skip("this header has no unused bits")  # never for the fixed key and issuer; kept honest
    last = B64.index(segment[-1])
    twin = segment[:-1] + B64[last ^ 1]
    lenient = base64.urlsafe_b64decode(twin + "=" * (-len(twin) % 4))
    assert lenient == base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))  # same bytes to a lenient decoder
    segments[segment_index] = twin
    error = refused(".".join(segments))
    assert isinstance(error, errors.PacketMalformed)
    assert "canonical base64url" in error.message


def test_padding_and_standard_base64_letters_are_refused() -> None:
    header_segment, payload_segment, signature_segment = TOKEN.split(".")
    padded = signature_segment + "=" * (-len(signature_segment) % 4)
    assert isinstance(refused(f"{header_segment}.{payload_segment}.{padded}"), errors.PacketMalformed)
    standard = base64.b64encode(b64url_decode(signature_segment)).decode().rstrip("=")
    if standard != signature_segment:
        assert isinstance(refused(f"{header_segment}.{payload_segment}.{standard}"), errors.PacketMalformed)


# ---------------------------------------------------------------- each refusal, by name


@pytest.mark.parametrize("alg", ["none", "None", "NONE"])
def test_an_unsigned_packet_is_refused_as_unsigned(alg: str) -> None:
    token = forge(good_header(alg=alg), key=None)
    assert token.endswith(".")
    assert isinstance(refused(token), errors.PacketUnsigned)
    assert isinstance(refused(forge({"alg": alg}, key=None)), errors.PacketUnsigned)


def test_an_eddsa_packet_without_a_signature_is_refused_as_unsigned() -> None:
    assert isinstance(refused(forge(good_header(), key=None)), errors.PacketUnsigned)


def test_hs256_with_the_public_key_as_the_hmac_secret_is_refused_before_any_key_is_used() -> None:
    secret = KEY.public_key().public_bytes_raw()
    signing_input = f"{b64url(json.dumps(good_header(alg='HS256')).encode())}.{b64url(PAYLOAD)}"
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    error = refused(f"{signing_input}.{b64url(mac)}")
    assert isinstance(error, errors.PacketAlgorithmRefused)
    assert error.rule == "packet-algorithm-refused"


@pytest.mark.parametrize("alg", ["HS256", "RS256", "ES256", "PS256", "Ed25519", "eddsa", "EdDSA ", ""])
def test_any_algorithm_but_eddsa_is_refused_even_from_an_unknown_issuer(alg: str) -> None:
    token = forge(good_header(alg=alg, iss="nobody-we-know"))
    assert isinstance(refused(token), errors.PacketAlgorithmRefused)


def test_a_packet_re_signed_with_an_untrusted_key_under_the_same_issuer_and_kid_is_refused() -> None:
    token = forge(good_header(), key=OTHER)
    error = refused(token)
    assert isinstance(error, errors.PacketSignatureInvalid)
    assert error.rule == "packet-signature-invalid"


def test_a_signature_from_another_packet_is_refused() -> None:
    other = sign(canonical({**DOCUMENT, "to_school": "B131220000021"}), KEY, kid=KID, issuer=ISSUER)
    header_segment, payload_segment, _ = TOKEN.split(".")
    assert isinstance(refused(f"{header_segment}.{payload_segment}.{other.split('.')[2]}"),
                      errors.PacketSignatureInvalid)


def test_an_unknown_issuer_is_refused() -> None:
    token = sign(PAYLOAD, OTHER, kid=thumbprint(public_jwk(OTHER.public_key())), issuer="osaka-kita")
    error = refused(token)
    assert isinstance(error, errors.PacketUnknownIssuer)
    assert "osaka-kita" in error.message


def test_an_unknown_key_of_a_trusted_issuer_is_refused_as_unknown_issuer() -> None:
    token = sign(PAYLOAD, OTHER, kid=thumbprint(public_jwk(OTHER.public_key())), issuer=ISSUER)
    error = refused(token)
    assert isinstance(error, errors.PacketUnknownIssuer)
    assert "key" in error.message


def test_an_empty_trust_list_trusts_nobody() -> None:
    assert isinstance(refused(TOKEN, TrustList()), errors.PacketUnknownIssuer)


@pytest.mark.parametrize("payload", [
    b'{"b": 1, "a": 2}',  # spaces
    b'{"b":1,"a":2}',  # key order
    b'{"a":"\\u00e9"}',  # an escape canonical JSON does not use
    b'{"a":1,"a":2}',  # duplicate keys
    b'{"a":120.5}',  # a float
    b'{"a":1.0}',
    b'{"a":1e2}',
    b'{"a":NaN}',
    b'{"a":9007199254740992}',  # beyond 2**53 - 1
    b'\xef\xbb\xbf{"a":1}',  # a byte order mark
    b'{"a":"\xff"}',  # not UTF-8
    '{"a":1}'.encode("utf-16"),
    b'{"a":1}\n',
    b"",
    b"[" * 100_000,  # deeper than any parser goes
])
def test_a_signed_payload_that_is_not_canonical_json_is_refused_as_malformed(payload: bytes) -> None:
    error = refused(forge(good_header(), payload))
    assert isinstance(error, errors.PacketMalformed)


def test_a_wrong_typ_is_refused_as_malformed_and_the_expected_typ_can_be_chosen() -> None:
    token = sign(PAYLOAD, KEY, kid=KID, issuer=ISSUER, typ="JWT")
    assert isinstance(refused(token), errors.PacketMalformed)
    assert verify(token, TRUST, typ="JWT").payload == PAYLOAD
    assert isinstance(refused(TOKEN, typ="JWT"), errors.PacketMalformed)


@pytest.mark.parametrize("header", [
    good_header(crit=["exp"]),
    good_header(jku="https://attacker.example/keys"),
    good_header(jwk={**public_jwk(OTHER.public_key())}),  # a key carried by the token itself
    good_header(b64=False),
    good_header(cty="json"),
    {k: v for k, v in good_header().items() if k != "kid"},
    {k: v for k, v in good_header().items() if k != "typ"},
    {k: v for k, v in good_header().items() if k != "iss"},
    good_header(kid=7),
    good_header(iss=""),
    good_header(iss=[ISSUER]),
    {"iss": ISSUER, "kid": KID, "typ": PACKET_TYPE},  # no alg
    good_header(alg=["EdDSA"]),
])
def test_a_header_without_exactly_the_four_string_members_is_refused_as_malformed(header: dict[str, Any]) -> None:
    assert isinstance(refused(forge(header)), errors.PacketMalformed)


@pytest.mark.parametrize("header", [
    b'{"alg":"EdDSA","iss":"tokyo-minato","kid":"KID","typ":"TYP","kid":"KID"}',
    b'{"alg":"HS256","alg":"EdDSA","iss":"tokyo-minato","kid":"KID","typ":"TYP"}',
    b'["alg","EdDSA"]',
    b'"EdDSA"',
    b"{not json}",
    b'{"alg":"EdDSA","iss":"tokyo-minato","kid":"KID","typ":"TYP","x":1.5}',
    b'{"alg":"Ed\xffDSA"}',
])
def test_a_header_that_is_not_a_strict_json_object_is_refused_as_malformed(header: bytes) -> None:
    header = header.replace(b"KID", KID.encode()).replace(b"TYP", PACKET_TYPE.encode())
    assert isinstance(refused(forge(header)), errors.PacketMalformed)


@pytest.mark.parametrize("token", [
    "",
    "garbage",
    "a.b",
    TOKEN.rsplit(".", 1)[0],  # two segments
    TOKEN + ".",  # four
    TOKEN + "." + TOKEN.split(".")[2],
    "." + TOKEN.split(".", 1)[1],  # no header
    TOKEN.split(".")[0] + ".." + TOKEN.split(".")[2],  # no payload
    TOKEN.replace(".", ".\n", 1),
    " " + TOKEN,
    TOKEN + "\n",
    TOKEN.replace("A", "\u0391", 1),  # a Greek capital alpha
    TOKEN.encode("utf-16"),
    b"\xff" + TOKEN.encode(),
    TOKEN.encode() + b"\x80",
    TOKEN.split(".")[0] + "." + TOKEN.split(".")[1] + "." + TOKEN.split(".")[2][:-4],  # a short signature
])
def test_garbage_short_long_and_non_ascii_tokens_are_refused_as_malformed(token: str | bytes) -> None:
    assert isinstance(refused(token), errors.PacketMalformed)


def test_a_token_that_is_not_text_is_refused_as_malformed() -> None:
    assert isinstance(refused(12345), errors.PacketMalformed)  # type: ignore[arg-type]


def test_every_refusal_has_its_own_rule_and_names_the_packet() -> None:
    assert [e.rule for e in PACKET_ERRORS] == [
        "packet-malformed", "packet-unsigned", "packet-algorithm-refused", "packet-unknown-issuer",
        "packet-signature-invalid"]
    for error in PACKET_ERRORS:
        assert issubclass(error, errors.PacketRefused)
        assert issubclass(error, errors.RuleViolation)
        assert error("x").field == "packet"


# ---------------------------------------------------------------- the trust list


def jwk_of(key: Ed25519PrivateKey, **extra: Any) -> dict[str, Any]:
    jwk = public_jwk(key.public_key())
    return {**jwk, "kid": thumbprint(jwk), **extra}


def test_a_trust_list_document_reads_back_as_written() -> None:
    document = {"ledgers": [
        {"ledger_id": ISSUER, "name": "港区教育委員会", "keys": [jwk_of(KEY, use="sig", alg="EdDSA"), jwk_of(OTHER)]},
        {"ledger_id": "osaka-kita", "keys": [{k: v for k, v in jwk_of(OTHER).items() if k != "kid"}]},
    ]}
    trust = TrustList.from_json(document)
    assert set(trust) == {ISSUER, "osaka-kita"}
    assert set(trust[ISSUER]) == {KID, thumbprint(public_jwk(OTHER.public_key()))}
    assert trust.name(ISSUER) == "港区教育委員会"
    assert trust.name("osaka-kita") is None
    assert list(trust["osaka-kita"]) == [thumbprint(public_jwk(OTHER.public_key()))]  # kid defaults to thumbprint
    assert isinstance(trust[ISSUER][KID], Ed25519PublicKey)
    assert TrustList.from_json(trust.to_json()) == trust
    assert verify(TOKEN, trust).issuer == ISSUER


def test_a_trust_list_cannot_be_changed() -> None:
    with pytest.raises(AttributeError):
        TRUST._ledgers = {}
    with pytest.raises(TypeError):
        TRUST[ISSUER][KID] = OTHER.public_key()  # type: ignore[index]


@pytest.mark.parametrize(("jwk", "message"), [
    ({"kty": "RSA", "n": "AQAB", "e": "AQAB", "kid": "r1"}, "ledger 'tokyo-minato', key 'r1': only Ed25519"),
    ({"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA", "kid": "e1"}, "key 'e1': only Ed25519 keys"),
    ({"kty": "OKP", "crv": "X25519", "x": "AA"}, "key '#1': only Ed25519"),
    ({"kty": "oct", "k": "c2VjcmV0"}, "only Ed25519"),
    ({**public_jwk(KEY.public_key()), "d": "secret"}, "private key"),
    ({**public_jwk(KEY.public_key()), "use": "enc"}, "signing key"),
    ({**public_jwk(KEY.public_key()), "alg": "ES256"}, "signing key"),
    ({"kty": "OKP", "crv": "Ed25519", "x": "AAAA"}, "32-byte"),
    ({"kty": "OKP", "crv": "Ed25519", "x": public_jwk(KEY.public_key())["x"] + "="}, "base64url"),
    ({"kty": "OKP", "crv": "Ed25519"}, "32-byte"),
    ({**public_jwk(KEY.public_key()), "kid": ""}, "kid"),
])
def test_a_trust_list_with_anything_but_an_ed25519_public_key_is_refused_naming_ledger_and_key(
        jwk: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match="trust list: ledger 'tokyo-minato'") as caught:
        TrustList.from_json({"ledgers": [{"ledger_id": ISSUER, "keys": [jwk]}]})
    assert message in str(caught.value)


@pytest.mark.parametrize(("document", "message"), [
    ([], "ledgers"),
    ({"ledger": []}, "ledgers"),
    ({"ledgers": ["x"]}, "#1 is not an object"),
    ({"ledgers": [{"keys": [jwk_of(KEY)]}]}, "needs a ledger_id"),
    ({"ledgers": [{"ledger_id": ISSUER, "keys": []}]}, "needs keys"),
    ({"ledgers": [{"ledger_id": ISSUER, "key": [jwk_of(KEY)]}]}, "unknown members"),
    ({"ledgers": [{"ledger_id": ISSUER, "keys": [jwk_of(KEY)]}] * 2}, "listed twice"),
    ({"ledgers": [{"ledger_id": ISSUER, "keys": [jwk_of(KEY), jwk_of(KEY)]}]}, "kid listed twice"),
])
def test_a_malformed_trust_list_is_refused_clearly(document: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        TrustList.from_json(document)


def test_merging_trust_lists_keeps_every_key_and_refuses_one_kid_for_two_keys() -> None:
    other_kid = thumbprint(public_jwk(OTHER.public_key()))
    merged = TRUST.merged(TrustList.of(ISSUER, other_kid, OTHER.public_key())).merged(TRUST)
    assert set(merged[ISSUER]) == {KID, other_kid}
    with pytest.raises(ValueError, match="two different keys"):
        TRUST.merged(TrustList.of(ISSUER, KID, OTHER.public_key()))


@settings(max_examples=100, deadline=None)
@given(JSON_VALUES)
def test_sign_document_is_the_token_of_sign_canonical(value: Any) -> None:
    # the export signs its document without parsing its canonical bytes back (ADR 0053): the same token
    assert sign_document(value, KEY, kid=KID, issuer=ISSUER) == sign(canonical(value), KEY, kid=KID, issuer=ISSUER)


def test_sign_document_refuses_floats_empty_names_and_a_key_that_is_not_ed25519() -> None:
    with pytest.raises(ValueError, match="float"):
        sign_document({"height": 120.5}, KEY, kid=KID, issuer=ISSUER)
    with pytest.raises(ValueError, match="issuer"):
        sign_document(DOCUMENT, KEY, kid=KID, issuer="")
    with pytest.raises(TypeError, match="Ed25519"):
        sign_document(DOCUMENT, generate_private_key(SECP256R1()), kid=KID, issuer=ISSUER)  # type: ignore[arg-type]
