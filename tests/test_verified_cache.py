"""The API's cache of verified tokens: bounded, keyed by hash, never past exp."""

from __future__ import annotations

import json

import requests
from jose import jws

from oauth import presets
from oauth.tokens import verify_access_token
from oauth.verified_cache import VerifiedTokenCache


def test_entries_expire_at_exp_and_the_cache_is_bounded():
    now = [1000.0]
    cache = VerifiedTokenCache(max_entries=2, clock=lambda: now[0])
    cache.put("a", {"sub": "a"}, exp=1010)
    cache.put("b", {"sub": "b"}, exp=2000)
    assert cache.get("a") == {"sub": "a"}
    cache.put("c", {"sub": "c"}, exp=2000)  # "b" is the least recently used
    assert cache.get("b") is None and len(cache) == 2
    now[0] = 1010
    assert cache.get("a") is None  # at exp, never served
    cache.put("old", {"sub": "x"}, exp=900)
    assert cache.get("old") is None  # already expired: not stored
    assert b"a" not in b"".join(cache._entries)  # keys are hashes, never the token


def test_disabled_cache_stores_nothing():
    cache = VerifiedTokenCache(max_entries=0)
    cache.put("a", {"sub": "a"}, exp=10**12)
    assert cache.get("a") is None


def test_api_serves_repeat_tokens_from_the_cache(stack, http, monkeypatch):
    seen = {}
    stack.rewriter.rewrite = lambda body: seen.update(body) or body
    stack.login(http)
    calls = []
    original = verify_access_token  # what the api preset calls (oauth/presets.py)
    monkeypatch.setattr(presets, "verify_access_token", lambda *a, **k: calls.append(1) or original(*a, **k))
    headers = {"Authorization": f"Bearer {seen['access_token']}"}
    first = requests.get(stack.url + "/api/me", headers=headers).json()
    second = requests.get(stack.url + "/api/me", headers=headers).json()
    assert first == second and len(calls) == 1
    claims = json.loads(jws.get_unverified_claims(seen["access_token"]))
    key = stack.pool.keys.access_key
    expired = jws.sign(
        {**claims, "exp": claims["iat"] - 3600}, key.signer(), headers={"kid": key.kid}, algorithm="RS256"
    )
    for _ in range(2):  # failures are never cached as successes
        assert requests.get(stack.url + "/api/me", headers={"Authorization": f"Bearer {expired}"}).status_code == 401


def test_non_finite_exp_is_refused(stack, http):
    seen = {}
    stack.rewriter.rewrite = lambda body: seen.update(body) or body
    stack.login(http)
    claims = json.loads(jws.get_unverified_claims(seen["access_token"]))
    key = stack.pool.keys.access_key
    payload = json.dumps({**claims, "exp": float("inf")}).encode()  # "Infinity": Python's json accepts it
    token = jws.sign(payload, key.signer(), headers={"kid": key.kid}, algorithm="RS256")
    response = requests.get(stack.url + "/api/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401 and "exp" in response.json()["error_description"]
