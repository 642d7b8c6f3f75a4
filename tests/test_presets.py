"""The verification presets (oauth/presets.py): each place that verifies a token names its rules
once, on the client, and a sign-in's checks are kept with its tokens (oauth/kept.py) for the
dashboard to show. Pure logic, no servers: tokens signed here, the JWKS handed in."""

from __future__ import annotations

import base64
import hashlib
import json
import time

import pytest

from oauth.config import ClientConfig
from oauth.discovery import JwksCache
from oauth.kept import KeptVerification
from oauth.presets import LOGIN_MAX_AGE, IdTokenPolicy, Presets, token_use_rule
from oauth.tokens import IF_PRESENT, REQUIRED, SKIP, CheckName
from tests.support.tokens import CLIENT, ISSUER, sign

PUBLIC, MACHINE, PARTNER = "public-client", "machine-client", "partner-client"


def config(**changes) -> ClientConfig:
    values = {
        "issuer": ISSUER,
        "client_id": CLIENT,
        "client_secret": "s",
        "public_client_id": PUBLIC,
        "m2m_client_id": MACHINE,
        "api_allowed_client_ids": (CLIENT, PUBLIC, MACHINE, PARTNER),
        "is_cognito": True,
    }
    return ClientConfig(**{**values, **changes})


@pytest.fixture(scope="module")
def presets(key) -> Presets:
    return Presets(config(), JwksCache(lambda: {"keys": [key.public_jwk]}))


def at_hash(access_token: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(access_token.encode()).digest()[:16]).rstrip(b"=").decode()


def id_token(key, **changes) -> str:
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": CLIENT, "token_use": "id", "sub": "u-1", "iat": now, "exp": now + 3600}
    claims.update(changes)
    return sign(key, {k: v for k, v in claims.items() if v is not None})


def access_token(key, **changes) -> str:
    now = int(time.time())
    claims = {"iss": ISSUER, "client_id": CLIENT, "token_use": "access", "sub": "u-1", "iat": now, "exp": now + 3600}
    claims.update(changes)
    return sign(key, {k: v for k, v in claims.items() if v is not None})


def failed(result) -> list[str]:
    return [str(c.name) for c in result.checks if not c.passed]


def made(result) -> list[str]:
    return [str(c.name) for c in result.checks]


# -- each preset's rules, as configured once ------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "id_rules", "access_clients"),
    [
        ("sign_in", ({CLIENT}, REQUIRED, IF_PRESENT, LOGIN_MAX_AGE), {CLIENT}),
        ("implicit", ({CLIENT}, REQUIRED, REQUIRED, LOGIN_MAX_AGE), {CLIENT}),
        ("browser_only", ({PUBLIC}, REQUIRED, IF_PRESENT, LOGIN_MAX_AGE), {PUBLIC}),
        ("refresh", ({CLIENT}, SKIP, IF_PRESENT, SKIP), {CLIENT}),
        ("stored", None, {CLIENT}),
        ("pasted", ({CLIENT, PUBLIC, MACHINE, PARTNER}, SKIP, IF_PRESENT, SKIP), {CLIENT, PUBLIC, MACHINE, PARTNER}),
        ("api", None, {CLIENT, PUBLIC, MACHINE, PARTNER}),
        ("machine", None, {MACHINE}),
    ],
)
def test_each_preset_states_its_rules(presets, name, id_rules, access_clients):
    preset = getattr(presets, name)
    if id_rules is None:
        assert preset.id_token is None
    else:
        policy = preset.id_token
        assert (set(policy.client_ids), policy.nonce, policy.at_hash, policy.max_age) == id_rules
        assert policy.issuer == ISSUER and policy.token_use is REQUIRED
    assert set(preset.access_token.client_ids) == access_clients and preset.access_token.issuer == ISSUER


def test_token_use_is_required_for_cognito_and_if_present_elsewhere_in_one_place(key):
    assert token_use_rule(config()) is REQUIRED and token_use_rule(config(is_cognito=False)) is IF_PRESENT
    other = Presets(config(is_cognito=False), JwksCache(lambda: {"keys": [key.public_jwk]}))
    for name in ("sign_in", "implicit", "browser_only", "refresh", "pasted"):
        assert getattr(other, name).id_token.token_use is IF_PRESENT, name
    assert other.pasted.access_token.token_use is IF_PRESENT  # another provider's token reads as such
    for name in ("sign_in", "implicit", "browser_only", "refresh", "stored", "api", "machine"):
        assert getattr(other, name).access_token.token_use is REQUIRED, name  # aws-jwt-verify: never optional
    result = other.sign_in.verify_id(id_token(key, token_use=None), nonce="n", access_token=None)
    assert "token_use" not in made(result) and failed(result) == ["nonce"]  # the nonce: none in this token


# -- what each preset accepts and refuses ---------------------------------------------------------
def test_sign_in_checks_the_login_nonce_a_fresh_iat_and_at_hash_only_when_present(presets, key):
    access = access_token(key)
    ok = presets.sign_in.verify_id(id_token(key, nonce="n"), nonce="n", access_token=access)
    assert ok.ok and made(ok)[-2:] == ["nonce", "at_hash"]
    assert failed(presets.sign_in.verify_id(id_token(key, nonce="m"), nonce="n", access_token=access)) == ["nonce"]
    old = id_token(key, nonce="n", iat=int(time.time()) - LOGIN_MAX_AGE - 100)
    assert failed(presets.sign_in.verify_id(old, nonce="n", access_token=access)) == ["iat"]
    hashed = id_token(key, nonce="n", at_hash=at_hash(access))
    assert presets.sign_in.verify_id(hashed, nonce="n", access_token=access).ok
    assert failed(presets.sign_in.verify_id(hashed, nonce="n", access_token=access_token(key, jti="x"))) == ["at_hash"]
    with pytest.raises(TypeError):
        presets.sign_in.verify_id(id_token(key, nonce="n"), access_token=access)  # a login always has its nonce
    assert presets.sign_in.verify_access(access).ok
    assert failed(presets.sign_in.verify_access(access_token(key, client_id=PUBLIC))) == ["client_id"]


def test_implicit_requires_at_hash(presets, key):
    access = access_token(key)
    missing = presets.implicit.verify_id(id_token(key, nonce="n"), nonce="n", access_token=access)
    assert failed(missing) == ["at_hash"] and "missing" in missing.check(CheckName.AT_HASH).detail
    assert presets.implicit.verify_id(
        id_token(key, nonce="n", at_hash=at_hash(access)), nonce="n", access_token=access
    ).ok


def test_browser_only_takes_the_public_clients_tokens_only(presets, key):
    ours, theirs = id_token(key, aud=PUBLIC, nonce="n"), id_token(key, nonce="n")
    assert presets.browser_only.verify_id(ours, nonce="n", access_token=None).ok
    assert failed(presets.browser_only.verify_id(theirs, nonce="n", access_token=None)) == ["aud"]
    assert presets.browser_only.verify_access(access_token(key, client_id=PUBLIC)).ok
    assert failed(presets.browser_only.verify_access(access_token(key))) == ["client_id"]


def test_refresh_takes_no_nonce_and_any_iat_age(presets, key):
    refreshed = id_token(key, iat=int(time.time()) - 7200, exp=int(time.time()) + 3600)
    result = presets.refresh.verify_id(refreshed, access_token=None)
    assert result.ok and "nonce" not in made(result)
    with pytest.raises(TypeError):
        presets.refresh.verify_id(refreshed, nonce="n", access_token=None)  # there is none to compare


def test_stored_verifies_the_kept_access_token_and_no_id_token(presets, key):
    assert presets.stored.verify_access(access_token(key)).ok
    with pytest.raises(TypeError):
        presets.stored.verify_id(id_token(key), access_token=None)  # a kept ID token keeps its sign-in's checks


def test_pasted_knows_every_client_and_skips_what_needs_the_login(presets, key):
    for client in (CLIENT, PUBLIC, MACHINE, PARTNER):
        result = presets.pasted.verify_id(
            id_token(key, aud=client, nonce="someone's", iat=1, exp=2**40), access_token=None
        )
        assert result.ok and "nonce" not in made(result), client
        assert presets.pasted.verify_access(access_token(key, client_id=client)).ok, client
    assert failed(presets.pasted.verify_access(access_token(key, client_id="stranger"))) == ["client_id"]
    assert failed(presets.pasted.verify_access(access_token(key, token_use=None))) == ["token_use"]  # Cognito's


def test_api_and_machine_take_access_tokens_of_their_clients_only(presets, key):
    for client in (CLIENT, PUBLIC, MACHINE, PARTNER):
        assert presets.api.verify_access(access_token(key, client_id=client)).ok, client
    assert failed(presets.api.verify_access(id_token(key))) == ["client_id", "token_use"]  # an ID token: never
    assert presets.machine.verify_access(access_token(key, client_id=MACHINE)).ok
    assert failed(presets.machine.verify_access(access_token(key))) == ["client_id"]
    with pytest.raises(TypeError):
        presets.api.verify_id(id_token(key), access_token=None)


def test_an_unset_client_id_trusts_nobody(key):
    bare = Presets(config(public_client_id="", m2m_client_id=""), JwksCache(lambda: {"keys": [key.public_jwk]}))
    assert bare.browser_only.id_token.client_ids == frozenset() and bare.machine.access_token.client_ids == frozenset()
    assert failed(bare.machine.verify_access(access_token(key, client_id=""))) == ["client_id"]


@pytest.mark.parametrize(
    "changes", [{"nonce": IF_PRESENT}, {"nonce": "n"}, {"at_hash": SKIP}, {"token_use": SKIP}, {"max_age": None}]
)
def test_a_policy_states_every_rule_and_never_a_silent_default(changes):
    values = {"nonce": REQUIRED, "at_hash": IF_PRESENT, "token_use": REQUIRED, "max_age": SKIP}
    with pytest.raises(TypeError):
        IdTokenPolicy(ISSUER, frozenset([CLIENT]), **{**values, **changes})


# -- the checks a sign-in keeps -------------------------------------------------------------------
def test_kept_checks_are_plain_data_and_read_back_the_same(presets, key):
    result = presets.sign_in.verify_id(id_token(key, nonce="m"), nonce="n", access_token=None)
    kept = KeptVerification.of(result)
    stored = kept.to_stored()
    assert json.loads(json.dumps(stored)) == stored and KeptVerification.from_stored(stored) == kept
    assert stored[0] == {
        "name": "structure",
        "passed": True,
        "detail": "three base64url parts with JSON header and payload",
    }
    assert [(c.name, c.passed, c.detail) for c in kept.checks_at(result.claims, time.time())] == [
        (c.name, c.passed, c.detail) for c in result.checks
    ]


def test_kept_checks_read_only_the_clock_again(presets, key):
    token = id_token(key, nonce="n", nbf=int(time.time()))
    result = presets.sign_in.verify_id(token, nonce="n", access_token=None)
    later = result.claims["exp"] + 3600  # an hour after it expired; its key may be gone by then
    checks = KeptVerification.of(result).checks_at(result.claims, later)
    assert [str(c.name) for c in checks] == made(result)
    assert [str(c.name) for c in checks if not c.passed] == ["exp"]
    assert checks[made(result).index("exp")].detail.endswith("(60 min ago)")
    assert checks[made(result).index("iat")].detail.endswith("(2 h ago)")  # its age: only checked at sign-in
    assert checks[made(result).index("signature")] == result.check(CheckName.SIGNATURE)


def test_a_token_that_could_not_be_read_keeps_its_one_check(presets):
    result = presets.stored.verify_access("not.a.token")
    kept = KeptVerification.of(result)
    assert [(c.name, c.passed) for c in kept.checks_at({}, time.time() + 10**6)] == [(CheckName.STRUCTURE, False)]
