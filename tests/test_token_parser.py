"""One token parser (oauth/tokens.py `parse_token`), held to the rules rather than to a second
parser: it accepts exactly the tokens the careful parser of issue 12 accepted and refuses the others
with the same sentence (`expected` below states those rules plainly: canonical base64url, RFC 7515 §2;
three parts, §7.1; JSON objects of at most 32 levels, as Python's json reads them), the checks say the
same things however often a token is verified, and the JWKS cache's prepared keys follow key
rotation. Pure logic, no servers."""

from __future__ import annotations

import base64
import json
import re
import time

import pytest
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from hypothesis import given, settings
from hypothesis import strategies as st

from local_cognito.keys import SigningKey
from oauth import tokens
from oauth.discovery import JwksCache, UnknownKey
from oauth.tokens import IF_PRESENT, REQUIRED, AccessTokenRules, IdTokenRules, verify_access_token, verify_id_token
from tests.support.fuzz import FUZZ, json_values
from tests.support.tokens import CLIENT, ISSUER, Jwks, sign


def access_claims(**changes) -> dict:
    now = int(time.time())
    claims = {
        "sub": "7b1c4e52-0d7e-4a8e-9f55-3f1f2a9c0de1",
        "cognito:groups": ["flow-lab-demo"],
        "iss": ISSUER,
        "client_id": CLIENT,
        "token_use": "access",
        "scope": "openid email",
        "auth_time": now,
        "exp": now + 3600,
        "iat": now,
        "jti": "c45c3d5f-5405-49d2-887e-cd177fc76dda",
        "username": "demo",
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


@pytest.fixture(scope="module")
def signed(key) -> str:
    return sign(key, access_claims())


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def outcome(parse, token: object) -> str:
    """What `parse` answers for `token`, as text (so a NaN claim equals itself)."""
    try:
        return repr(("parsed", *parse(token)))
    except ValueError as exc:
        return repr(("refused", str(exc)))


BASE64URL = re.compile(r"[A-Za-z0-9_-]*")
NOT_BASE64URL = "has a part that is not canonical base64url (only A-Z a-z 0-9 - _, no padding)"
UNUSED_BITS = "has a part that is not canonical base64url (its last character has unused bits set)"
TOO_DEEP = "has a header or payload that is refused: the JSON is nested more than 32 levels deep"


def refused(reason: str) -> str:
    return repr(("refused", reason))


def depth(value: object) -> int:
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, level + 1)
            stack += [(child, level + 1) for child in (item.values() if isinstance(item, dict) else item)]
    return deepest


def expected(token: object) -> str:
    """The answer the rules give, worked out the plain way: each part checked and decoded in turn
    (header, payload, signature), the first problem named."""
    if not isinstance(token, str) or len(token) > 16 * 1024:
        return refused("not a token string of reasonable size")
    parts = token.split(".")
    if len(parts) != 3 or not parts[0] or not parts[1]:
        return refused(f"has {len(parts)} dot-separated parts, not 3")
    values: list[object] = []
    for part in parts:
        if len(part) % 4 == 1 or not BASE64URL.fullmatch(part):
            return refused(NOT_BASE64URL)
        raw = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
        if b64(raw) != part:  # the same bytes have one spelling only
            return refused(UNUSED_BITS)
        if len(values) == 2:  # the signature: bytes, not JSON
            values.append(raw)
            break
        try:
            value = json.loads(raw.decode())
        except RecursionError:
            return refused(TOO_DEEP)
        except ValueError as exc:  # UnicodeDecodeError, JSONDecodeError, an integer past Python's digit limit
            return refused(f"is not base64url JSON ({type(exc).__name__})")
        if depth(value) > 32:
            return refused(TOO_DEEP)
        values.append(value)
    header, payload, signature = values
    if not isinstance(header, dict) or not isinstance(payload, dict):
        return refused("header and payload must be JSON objects")
    return repr(("parsed", header, payload, f"{parts[0]}.{parts[1]}".encode(), signature))


def variants(token: str) -> list[str]:
    """The token with characters replaced, inserted and removed around every place a parser decides
    something (part edges, dots, the last characters whose unused bits matter), and cut short."""
    head, body, sig = token.split(".")
    places = sorted(
        {0, 1, len(head) - 1, len(head), len(head) + 1, len(head) + len(body)}
        | {len(head) + len(body) + 1, len(head) + len(body) + 2, len(token) - 2, len(token) - 1}
        | {len(head) + 1 + len(body) // 2, len(token) - len(sig) // 2}
    )
    alphabet = ["A", "Q", "g", "w", "_", "-", "+", "/", "=", ".", " ", "\n", "\x00", "é", "€"]
    out = [token, token + ".", "." + token, token + "=", token + "==", token.replace(".", "..", 1)]
    for at in places:
        for c in alphabet:
            out += [token[:at] + c + token[at + 1 :], token[:at] + c + token[at:]]
        out.append(token[:at] + token[at + 1 :])
    out += [token[:n] for n in range(0, len(token), 7)]
    return out


def test_the_parser_accepts_and_refuses_as_the_rules_say(key):
    token = sign(key, access_claims())
    tried = 0
    for variant in variants(token):
        assert outcome(tokens.parse_token, variant) == expected(variant), variant
        tried += 1
    assert tried > 300
    assert expected(token).startswith("('parsed'")  # the reference itself takes the token as signed
    assert outcome(tokens.parse_token, token.replace(".", "é", 1)) == repr(
        ("refused", "has 2 dot-separated parts, not 3")
    )
    assert outcome(tokens.parse_token, token + "=") == repr(("refused", NOT_BASE64URL))


@pytest.mark.parametrize(
    "payload",
    [
        b"{}",
        b" {}",
        b"{} ",
        b"[]",
        b"null",
        b'"text"',
        b'{"a":1}{"b":2}',
        b'{"a":1',
        b'{"a":1,"a":2}',
        b"\xff\xfe{}",
        b'{"deep":' + b"[" * 40 + b"]" * 40 + b"}",
        b'{"ok":' + b"[" * 30 + b"]" * 30 + b"}",
        b'{"brackets in a string": "' + b"[" * 40 + b'"}',
        json.dumps({"sub": "x", "n": 1.5, "t": True, "z": None, "u": "\u00e9"}).encode(),
        # JSON that Python's json reads and msgspec refuses: still accepted (their checks then fail)
        b'{"exp": NaN}',
        b'{"exp": Infinity, "iat": -Infinity}',
        b'{"exp": 1e400}',
        b'{"sub": "\\ud800"}',
        b'{"n": ' + b"9" * 4300 + b"}",
        b'{"n": ' + b"9" * 4301 + b"}",  # past Python's integer digit limit: refused by both
        b'{"s": "\xed\xa0\x80"}',  # an encoded surrogate: not UTF-8
        b'{"a": 1}\xff',
        b"\xef\xbb\xbf{}",  # a byte-order mark
    ],
)
def test_odd_payloads_get_the_answer_the_rules_give(key, payload):
    token = sign(key, access_claims())
    head, _, sig = token.split(".")
    body = b64(payload)
    for variant in (
        f"{head}.{body}.{sig}",
        f"{head}.{body}.",
        f"{head}.{body}",  # two parts: refused even though the payload is fine
        f"{head}.{body}.{sig}.{sig}",
        f"{head}.{unused_bits_set(body)}.{sig}",  # the same bytes, spelt a second way: refused
        f"{head}.{body}.{unused_bits_set(sig)}",
    ):
        assert outcome(tokens.parse_token, variant) == expected(variant), variant


def unused_bits_set(part: str) -> str:
    """`part` with its last character's unused low bits set, if it has any: a second spelling of
    the same bytes, which canonical base64url forbids."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    if len(part) % 4 in (0, 1):
        return part
    return part[:-1] + alphabet[alphabet.index(part[-1]) | 1]


def test_the_usual_token_is_parsed_into_header_claims_signing_input_and_signature(key):
    token = sign(key, access_claims())
    header, claims, signing_input, signature = tokens.parse_token(token)
    assert header["alg"] == "RS256" and header["kid"] == key.kid
    assert claims == json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    assert signing_input == token.rsplit(".", 1)[0].encode()
    assert b64(signature) == token.rsplit(".", 1)[1]
    assert tokens.decode_unverified(token) == (header, claims)


@settings(FUZZ)
@given(
    part=st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_+/=. \n\x00é", max_size=24),
    where=st.integers(0, 2),
)
def test_any_text_in_any_part_gets_the_answer_the_rules_give(signed, part, where):
    """Hypothesis: short runs of base64url, of its look-alikes (+ / =) and of stray characters, as
    the header, the payload or the signature of a signed token."""
    parts = signed.split(".")
    parts[where] = part
    token = ".".join(parts)
    assert outcome(tokens.parse_token, token) == expected(token)


@settings(FUZZ)
@given(header=st.dictionaries(st.text(max_size=6), json_values, max_size=3), payload=json_values, cut=st.integers(0, 3))
def test_any_json_in_any_part_gets_the_answer_the_rules_give(header, payload, cut):
    """Hypothesis: JSON values of every kind (NaN and the infinities included) as header and payload,
    whole or with their last characters cut off."""
    parts = [b64(json.dumps(value).encode()) for value in ({"alg": "RS256", **header}, payload)]
    token = ".".join([*parts, b64(b"signature")])
    token = token[: len(token) - cut] if cut else token
    assert outcome(tokens.parse_token, token) == expected(token)


def shown(result) -> list[tuple[str, bool, str]]:
    return [(str(c.name), c.passed, c.detail) for c in result.checks]


@pytest.mark.parametrize(
    "changes",
    [{}, {"exp": 1}, {"iat": 4102444800}, {"nbf": 4102444800}, {"client_id": "other"}, {"token_use": "id"}],
)
def test_checks_say_the_same_each_time_a_token_is_verified(key, changes):
    now = time.time()
    token = sign(key, access_claims(**changes))
    cache = JwksCache(lambda: {"keys": [key.public_jwk]})
    rules = AccessTokenRules(ISSUER, frozenset([CLIENT]))
    first = verify_access_token(token, cache, rules, now)  # nothing is kept between two verifications
    again = verify_access_token(token, cache, rules, now)
    assert shown(first) == shown(again)
    assert first.ok is again.ok is (not changes)


def test_details_are_the_sentences_the_dashboard_shows(key):
    now = time.time()
    claims = access_claims()
    result = verify_access_token(
        sign(key, claims),
        JwksCache(lambda: {"keys": [key.public_jwk]}),
        AccessTokenRules(ISSUER, frozenset([CLIENT])),
        now,
    )
    details = {str(c.name): c.detail for c in result.checks}
    assert details["alg"] == "header alg is 'RS256'; allowed: RS256"
    assert details["signature"] == f"RS256, verified with the JWKS key kid {key.kid}"
    assert details["iss"] == f"iss is {ISSUER!r}; expected {ISSUER!r}"
    assert details["client_id"] == f"client_id is {CLIENT!r}; trusted"
    assert details["token_use"] == "token_use is 'access'; expected 'access'"
    assert details["sub"] == f"sub is {claims['sub']!r}"
    assert details["exp"].startswith("expires 20") and details["exp"].endswith("(in 60 min)")
    assert details["iat"].startswith("issued 20")

    id_token = sign(key, {**claims, "token_use": "id", "aud": CLIENT, "nonce": "other", "client_id": None})
    rules = IdTokenRules(
        ISSUER, frozenset([CLIENT]), nonce="n", access_token=None, at_hash=IF_PRESENT, token_use=REQUIRED, max_age=10
    )
    checked = verify_id_token(id_token, JwksCache(lambda: {"keys": [key.public_jwk]}), rules, now + 60)
    details = {str(c.name): c.detail for c in checked.checks}
    assert details["aud"] == f"aud is {CLIENT!r}, this app client"
    assert details["nonce"] == "nonce 'other' is not the one sent"
    assert details["iat"].startswith("issued 20") and details["iat"].endswith(", older than 10 s allowed at login")
    assert [str(c.name) for c in checked.checks if not c.passed] == ["iat", "nonce"]


def test_each_key_is_prepared_once_and_a_rotated_key_is_dropped(key, other_key):
    now = [1000.0]
    source = Jwks(key)
    removed: list[set] = []
    cache = JwksCache(source, min_interval=10, clock=lambda: now[0], max_age=600)
    cache.on_removed.append(removed.append)
    rules = AccessTokenRules(ISSUER, frozenset([CLIENT]))
    entry = cache.entry_for(key.kid)
    assert isinstance(entry.rsa, RSAPublicKey) and entry.kid == key.kid
    assert cache.entry_for(key.kid) is entry  # built when the JWKS was fetched, not per call
    assert cache.key_for(key.kid) == (key.kid, entry.key)
    assert verify_access_token(sign(key, access_claims()), cache, rules).ok

    source.keys = [other_key]  # the provider rotates, dropping the old key
    now[0] += 600
    old = verify_access_token(sign(key, access_claims()), cache, rules)
    assert old.failed(tokens.CheckName.SIGNATURE)
    assert old.failure is not None and old.failure.detail == f"kid {key.kid!r} is not in the provider's JWKS"
    assert removed == [{key.kid}]
    with pytest.raises(UnknownKey):
        cache.entry_for(key.kid)
    assert verify_access_token(sign(other_key, access_claims()), cache, rules).ok


def test_new_key_material_under_the_same_kid_replaces_the_prepared_key(key, other_key):
    now = [1000.0]
    source = Jwks(key)
    cache = JwksCache(source, min_interval=10, clock=lambda: now[0], max_age=600)
    rules = AccessTokenRules(ISSUER, frozenset([CLIENT]))
    assert verify_access_token(sign(key, access_claims()), cache, rules).ok
    impostor = SigningKey(kid=key.kid, pem=other_key.pem, public_jwk={**other_key.public_jwk, "kid": key.kid})
    source.keys = [impostor]
    now[0] += 600
    result = verify_access_token(sign(key, access_claims()), cache, rules)
    assert result.failure is not None and result.failure.detail == "RS256 signature does not verify"
    assert verify_access_token(sign(impostor, access_claims()), cache, rules).ok


def test_a_key_python_jose_holds_as_private_still_verifies_through_python_jose(key):
    """A JWKS that (wrongly) publishes private parameters: python-jose builds a private key, so no
    `cryptography` public key is prepared and python-jose's own verify decides, as before."""
    numbers = key.signer().prepared_key.private_numbers()

    def n2b(n: int) -> str:
        return b64(n.to_bytes((n.bit_length() + 7) // 8, "big"))

    private_jwk = {
        **key.public_jwk,
        **{name: n2b(getattr(numbers, attr)) for name, attr in (("d", "d"), ("p", "p"), ("q", "q"))},
        **{name: n2b(getattr(numbers, attr)) for name, attr in (("dp", "dmp1"), ("dq", "dmq1"), ("qi", "iqmp"))},
    }
    cache = JwksCache(lambda: {"keys": [private_jwk]})
    assert cache.entry_for(key.kid).rsa is None
    with pytest.warns(UserWarning, match="private key"):
        result = verify_access_token(sign(key, access_claims()), cache, AccessTokenRules(ISSUER, frozenset([CLIENT])))
    assert result.ok
