"""Token verification check by check, without a request (RFC 7519, OpenID Connect Core §3.1.3.7, and
AWS: "Verifying a JSON Web Token")."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import pytest
from cryptography.hazmat.primitives import serialization
from jose import jws
from jose.utils import calculate_at_hash

from local_cognito.keys import SigningKey
from oauth.discovery import JwksCache, UnknownKey
from oauth.tokens import (
    IF_PRESENT,
    REQUIRED,
    SKIP,
    AccessTokenRules,
    CheckName,
    IdTokenRules,
    verify_access_token,
    verify_id_token,
)
from tests.support.tokens import CLIENT, ISSUER, Jwks, sign


def raw_token(header: dict, claims: dict, signature: bytes = b"") -> str:
    def enc(obj) -> str:
        data = obj if isinstance(obj, bytes) else json.dumps(obj).encode()
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    return f"{enc(header)}.{enc(claims)}.{enc(signature)}"


def id_claims(**changes) -> dict:
    now = int(time.time())
    claims = {
        "sub": "user-1",
        "aud": CLIENT,
        "iss": ISSUER,
        "token_use": "id",
        "iat": now,
        "exp": now + 3600,
        "auth_time": now,
        "nonce": "n-123",
        "cognito:username": "demo",
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def verify_id(token: str, jwks: Jwks, *, access_token=None, require_at_hash=False, max_age=SKIP, nonce="n-123"):
    rules = IdTokenRules(
        issuer=ISSUER,
        client_ids=frozenset([CLIENT]),
        nonce=nonce,
        access_token=access_token,
        at_hash=REQUIRED if require_at_hash else IF_PRESENT,
        token_use=REQUIRED,
        max_age=max_age,
    )
    return verify_id_token(token, JwksCache(jwks), rules)


def failed(result) -> set[str]:
    return {c.name for c in result.checks if not c.passed}


def test_valid_id_token_passes_every_check(key):
    result = verify_id(sign(key, id_claims()), Jwks(key))
    assert result.ok, result.checks
    names = [c.name for c in result.checks]
    for expected in (
        "structure",
        "alg",
        "signature",
        "iss",
        "aud",
        "token_use",
        "sub",
        "exp",
        "iat",
        "nonce",
    ):
        assert expected in names
    signature = result.check(CheckName.SIGNATURE)
    assert key.kid in signature.detail
    assert result.failure is None and result.claims["sub"] == "user-1"


@pytest.mark.parametrize(
    ("changes", "check"),
    [
        ({"iss": "https://cognito-idp.eu-west-1.amazonaws.com/other"}, "iss"),
        ({"iss": None}, "iss"),
        ({"aud": "someone-else"}, "aud"),
        ({"aud": None}, "aud"),
        ({"aud": [CLIENT, "other"]}, "aud"),
        ({"aud": [CLIENT, "other"], "azp": "other"}, "aud"),
        ({"sub": None}, "sub"),
        ({"sub": ""}, "sub"),
        ({"iat": None}, "iat"),
        ({"iat": int(time.time()) + 3600}, "iat"),
        ({"iat": "yesterday"}, "iat"),
        ({"exp": int(time.time()) - 120}, "exp"),
        ({"exp": None}, "exp"),
        ({"exp": True}, "exp"),
        ({"nbf": int(time.time()) + 3600}, "nbf"),
        ({"nonce": "other"}, "nonce"),
        ({"nonce": None}, "nonce"),
        ({"token_use": "access"}, "token_use"),
        ({"token_use": None}, "token_use"),
    ],
)
def test_bad_claims_are_refused(key, changes, check):
    result = verify_id(sign(key, id_claims(**changes)), Jwks(key))
    assert not result.ok
    assert check in failed(result)


def test_multiple_audiences_with_matching_azp_are_accepted(key):
    result = verify_id(sign(key, id_claims(aud=[CLIENT, "other"], azp=CLIENT)), Jwks(key))
    assert result.ok


def test_iat_older_than_login_window_is_refused_at_login(key):
    token = sign(key, id_claims(iat=int(time.time()) - 3000))
    assert verify_id(token, Jwks(key)).ok
    assert "iat" in failed(verify_id(token, Jwks(key), max_age=600))


def test_tampered_signature_and_payload_fail(key):
    token = sign(key, id_claims())
    head, payload, sig = token.split(".")
    assert "signature" in failed(verify_id(f"{head}.{payload}.{sig[:-4]}AAAA", Jwks(key)))
    evil = base64.urlsafe_b64encode(json.dumps(id_claims(sub="admin")).encode()).rstrip(b"=").decode()
    assert "signature" in failed(verify_id(f"{head}.{evil}.{sig}", Jwks(key)))


def test_token_signed_by_unknown_key_is_refused(key, other_key):
    forged = sign(other_key, id_claims(), kid=key.kid)  # claims our kid, signed by another key
    assert "signature" in failed(verify_id(forged, Jwks(key)))
    unknown = sign(other_key, id_claims())
    assert "signature" in failed(verify_id(unknown, Jwks(key)))


def test_alg_none_is_refused(key):
    token = raw_token({"alg": "none", "kid": key.kid}, id_claims())
    result = verify_id(token, Jwks(key))
    assert {"alg", "signature"} <= failed(result)


@pytest.mark.parametrize("form", ["pem", "der", "jwk", "secret"])
def test_hs256_key_confusion_is_refused(key, form):
    public = serialization.load_pem_private_key(key.pem, None).public_key()
    secrets = {
        "pem": public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo),
        "der": public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo),
        "jwk": json.dumps(key.public_jwk).encode(),
        "secret": b"the-client-secret",
    }
    header = {"alg": "HS256", "kid": key.kid, "typ": "JWT"}

    def enc(obj) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    signing_input = f"{enc(header)}.{enc(id_claims())}"
    mac = hmac.new(secrets[form], signing_input.encode(), hashlib.sha256).digest()
    token = signing_input + "." + base64.urlsafe_b64encode(mac).rstrip(b"=").decode()
    result = verify_id(token, Jwks(key))
    assert {"alg", "signature"} <= failed(result)


@pytest.mark.parametrize("alg", ["RS384", "ES256", "PS256"])
def test_other_algorithms_are_refused(key, alg):
    token = raw_token({"alg": alg, "kid": key.kid}, id_claims(), b"sig")
    assert "alg" in failed(verify_id(token, Jwks(key)))


def test_embedded_jwk_jku_and_x5u_headers_are_ignored(key, other_key):
    token = sign(
        other_key,
        id_claims(),
        jwk=other_key.public_jwk,
        jku="https://evil.example/jwks.json",
        x5u="https://evil.example/cert.pem",
    )
    assert "signature" in failed(verify_id(token, Jwks(key)))


def test_kid_absent_with_single_key_is_accepted(key):
    token = jws.sign(id_claims(), key.signer(), algorithm="RS256")
    assert verify_id(token, Jwks(key)).ok


def test_kid_absent_with_several_keys_is_refused(key, other_key):
    token = jws.sign(id_claims(), key.signer(), algorithm="RS256")
    result = verify_id(token, Jwks(key, other_key))
    assert "signature" in failed(result)
    assert "several" in result.check(CheckName.SIGNATURE).detail or "2 usable" in str(result.checks)


@pytest.mark.parametrize("garbage", ["", "abc", "a.b", "a.b.c.d", "!!!.???.***", "e30.e30", "bnVsbA.bnVsbA.x"])
def test_garbage_is_a_failed_structure_check(key, garbage):
    result = verify_id(garbage, Jwks(key))
    assert failed(result) == {"structure"}


def test_at_hash_rules(key):
    access = "access-token-value"
    good = sign(key, id_claims(at_hash=calculate_at_hash(access, hashlib.sha256)))
    assert verify_id(good, Jwks(key), access_token=access).ok
    assert "at_hash" in failed(verify_id(good, Jwks(key), access_token="another-token"))
    assert "at_hash" in failed(verify_id(good, Jwks(key), access_token=None))
    missing = sign(key, id_claims())
    assert verify_id(missing, Jwks(key), access_token=access).ok  # optional in the code flow
    assert "at_hash" in failed(verify_id(missing, Jwks(key), access_token=access, require_at_hash=True))


def test_access_token_rules(key):
    now = int(time.time())
    claims = {
        "sub": "u",
        "iss": ISSUER,
        "client_id": CLIENT,
        "token_use": "access",
        "iat": now,
        "exp": now + 60,
    }

    def check(**changes):
        c = {**claims, **changes}
        token = sign(key, {k: v for k, v in c.items() if v is not None})
        return verify_access_token(token, JwksCache(Jwks(key)), AccessTokenRules(ISSUER, frozenset([CLIENT])))

    assert check().ok
    assert "client_id" in failed(check(client_id="other-client"))
    assert "token_use" in failed(check(token_use="id"))
    assert "token_use" in failed(check(token_use=None))
    assert "iss" in failed(check(iss="https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other"))


def test_jwks_refetch_for_unknown_kid_is_rate_limited(key, other_key):
    now = [1000.0]
    source = Jwks(key)
    cache = JwksCache(source, min_interval=10, clock=lambda: now[0])
    assert cache.key_for(key.kid)[0] == key.kid
    assert source.calls == 1
    for _ in range(5):
        with pytest.raises(UnknownKey):
            cache.key_for("unknown-kid")
    assert source.calls == 2  # one refetch for the unknown kid, then the 10 s guard
    assert cache.key_for(key.kid)[0] == key.kid  # known keys keep working
    source.keys.append(other_key)  # the provider rotates in a new key
    with pytest.raises(UnknownKey):
        cache.key_for(other_key.kid)  # still inside the 10 s penalty
    now[0] += 10
    assert cache.key_for(other_key.kid)[0] == other_key.kid
    assert source.calls == 3
    source.keys.append(SigningKey.generate())  # a fetch that finds its kid arms no penalty
    assert cache.key_for(source.keys[-1].kid)[0] == source.keys[-1].kid
    assert source.calls == 4


def test_broken_jwks_documents_are_provider_errors(key):
    from oauth.http import ProviderError

    for document in ({}, {"keys": "nope"}, [], "x"):
        with pytest.raises(ProviderError):
            JwksCache(lambda d=document: d).key_for("kid")
    # unusable entries are skipped, leaving no key for the kid
    weird = {"keys": [{"kty": "EC"}, {"kty": "RSA", "kid": "k", "n": "!!", "e": "AQAB"}, "string"]}
    with pytest.raises(UnknownKey):
        JwksCache(lambda: weird).key_for("k")


def test_critical_header_extensions_are_refused(key):
    token = sign(key, id_claims(), crit=["exp"], exp=1)
    result = verify_id(token, Jwks(key))
    assert "signature" in failed(result) and "critical" in str(result.checks)
