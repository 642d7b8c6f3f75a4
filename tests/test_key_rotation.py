"""Signing-key rotation (issue 11 item 3): a key the provider removed stops verifying within
JWKS_MAX_AGE (or a shorter Cache-Control max-age), cached answers included; a refetch never
holds up requests whose keys are known and fresh."""

from __future__ import annotations

import json
import threading
import time

import pytest
import requests
from jose import jws

from local_cognito.keys import SigningKey
from oauth.discovery import JwksCache, JwksReply, UnknownKey, cache_max_age
from oauth.http import ProviderError
from oauth.verified_cache import VerifiedTokenCache

JWKS_PATH = "/us-east-1_LocalDemo/.well-known/jwks.json"


@pytest.fixture(scope="module")
def keys() -> tuple[SigningKey, SigningKey]:
    return SigningKey.generate(), SigningKey.generate()


class Source:
    """A JWKS endpoint stand-in: the keys it publishes, an optional max-age, failures on demand."""

    def __init__(self, *keys: SigningKey, max_age: float | None = None):
        self.keys = list(keys)
        self.max_age = max_age
        self.fail = False
        self.calls = 0

    def __call__(self) -> JwksReply:
        self.calls += 1
        if self.fail:
            raise ProviderError("jwks", "did not answer")
        return JwksReply({"keys": [k.public_jwk for k in self.keys]}, self.max_age)


# -- the cache, with a clock the test controls ------------------------------------------------------


def test_keys_are_refetched_after_max_age_and_removed_keys_stop_verifying(keys):
    old, new = keys
    now = [1000.0]
    source = Source(old)
    removed: list[set] = []
    cache = JwksCache(source, min_interval=10, clock=lambda: now[0], max_age=600)
    cache.on_removed.append(removed.append)
    assert cache.key_for(old.kid)[0] == old.kid and source.calls == 1
    source.keys = [new]  # the provider rotates, dropping the old key
    now[0] += 599
    assert cache.key_for(old.kid)[0] == old.kid  # still inside the documented bound
    assert cache.current(old.kid) and source.calls == 1
    now[0] += 1
    assert not cache.current(old.kid)  # too old to serve anything from
    with pytest.raises(UnknownKey):
        cache.key_for(old.kid)
    assert source.calls == 2 and removed == [{old.kid}]
    assert cache.key_for(new.kid)[0] == new.kid and source.calls == 2


@pytest.mark.parametrize(
    ("header_age", "expected"),
    [(60, 60), (3, 10), (0, 10), (86_400, 600), (None, 600)],
    ids=["shorter", "below-the-floor", "no-store", "longer", "absent"],
)
def test_cache_control_max_age_can_only_shorten_the_lifetime(keys, header_age, expected):
    now = [0.0]
    source = Source(keys[0], max_age=header_age)
    cache = JwksCache(source, min_interval=10, clock=lambda: now[0], max_age=600)
    cache.key_for(keys[0].kid)
    now[0] = expected - 0.01
    cache.key_for(keys[0].kid)
    assert source.calls == 1
    now[0] = expected
    cache.key_for(keys[0].kid)
    assert source.calls == 2


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("max-age=60", 60),
        ("public, max-age=300, must-revalidate", 300),
        ('max-age="30"', 30),
        ("no-store", 0),
        ("no-cache, max-age=900", 0),
        ("max-age=-1", None),
        ("max-age=abc", None),
        ("public", None),
        (None, None),
    ],
)
def test_cache_control_parsing(header, seconds):
    assert cache_max_age(header) == seconds


def test_an_expired_jwks_is_never_used_when_the_refetch_fails(keys):
    now = [0.0]
    source = Source(keys[0])
    cache = JwksCache(source, min_interval=10, clock=lambda: now[0], max_age=600)
    cache.key_for(keys[0].kid)
    source.fail = True
    now[0] = 600
    with pytest.raises(ProviderError):
        cache.key_for(keys[0].kid)
    assert source.calls == 2
    for _ in range(5):  # while the provider is down, one attempt per min_interval, not one per request
        with pytest.raises(ProviderError):
            cache.key_for(keys[0].kid)
    assert source.calls == 2
    source.fail = False
    now[0] = 610
    assert cache.key_for(keys[0].kid)[0] == keys[0].kid and source.calls == 3


def test_known_fresh_keys_do_not_wait_for_a_refetch(keys):
    known, other = keys
    release = threading.Event()
    source = Source(known)
    cache = JwksCache(source, min_interval=10, max_age=600)
    cache.key_for(known.kid)

    def slow() -> JwksReply:
        release.wait(5)
        return source()

    cache._fetch = slow  # the next fetch hangs until released
    outcome: list[str] = []

    def lookup_unknown() -> None:
        try:
            cache.key_for(other.kid)
        except UnknownKey:
            outcome.append("unknown")

    worker = threading.Thread(target=lookup_unknown)
    worker.start()
    time.sleep(0.1)
    started = time.monotonic()
    assert cache.key_for(known.kid)[0] == known.kid  # no lock taken
    assert time.monotonic() - started < 0.05
    release.set()
    worker.join(5)
    assert outcome == ["unknown"] and source.calls == 2


def test_a_kid_published_with_new_key_material_counts_as_removed(keys):
    old, new = keys
    now = [0.0]
    source = Source(old)
    removed: list[set] = []
    cache = JwksCache(source, clock=lambda: now[0], max_age=600)
    cache.on_removed.append(removed.append)
    cache.key_for(old.kid)
    impostor = SigningKey(kid=old.kid, pem=new.pem, public_jwk={**new.public_jwk, "kid": old.kid})
    source.keys = [impostor]
    now[0] = 600
    cache.key_for(old.kid)
    assert removed == [{old.kid}]


def test_verified_cache_drops_entries_of_removed_kids_and_checks_freshness():
    cache = VerifiedTokenCache(10, clock=lambda: 0.0)
    cache.put("a", "A", exp=100, kid="k1")
    cache.put("b", "B", exp=100, kid="k2")
    assert cache.get("a", lambda kid: kid == "k1") == "A"
    assert cache.get("b", lambda kid: kid == "k1") is None  # k2 not current: not served
    assert cache.drop_kids({"k1"}) == 1
    assert cache.get("a") is None and cache.get("b") == "B" and len(cache) == 1


# -- over real HTTP ---------------------------------------------------------------------------------


def _access_token(stack, http) -> str:
    seen: dict = {}
    stack.rewriter.rewrite = lambda body: seen.update(body) or body
    stack.login(http)
    stack.rewriter.rewrite = None
    return seen["access_token"]


def me(stack, token: str) -> requests.Response:
    return requests.get(stack.url + "/api/me", headers={"Authorization": f"Bearer {token}"}, timeout=10)


def test_a_token_of_a_removed_key_is_refused_once_the_jwks_is_older_than_jwks_max_age(make_stack, http):
    stack = make_stack({"JWKS_MAX_AGE": "1"}, jwks_min_refetch_seconds=0.2)
    token = _access_token(stack, http)
    assert me(stack, token).status_code == 200
    assert me(stack, token).status_code == 200  # answered from the verified-token cache
    assert len(stack.app.extensions["verified_tokens"]) == 1
    stack.pool.keys.rotate(keep_old=False)  # the provider drops the key that signed the token
    time.sleep(1.1)
    refused = me(stack, token)
    assert refused.status_code == 401, refused.text
    assert "not in the provider's JWKS" in refused.json()["error_description"]
    assert len(stack.app.extensions["verified_tokens"]) == 0  # the cached answer is gone too
    assert me(stack, token).status_code == 401
    # new tokens, signed with the new key, work
    with requests.Session() as browser:
        assert me(stack, _access_token(stack, browser)).status_code == 200


def test_keys_that_stay_published_keep_working_after_the_refetch(make_stack, http):
    stack = make_stack({"JWKS_MAX_AGE": "1"}, jwks_min_refetch_seconds=0.2)
    token = _access_token(stack, http)
    assert me(stack, token).status_code == 200
    stack.pool.keys.rotate(keep_old=True)  # retired keys are still published
    time.sleep(1.1)
    assert me(stack, token).status_code == 200
    assert stack.client.jwks.fetches == 2


def test_a_shorter_cache_control_max_age_from_the_provider_is_honoured(make_stack, http):
    stack = make_stack(jwks_min_refetch_seconds=0.5)  # JWKS_MAX_AGE stays 600
    provider = stack.rewriter.app

    def short_lived(environ, start_response):
        def start(status, headers, exc_info=None):
            # 2 s, not 1: the rotation below makes two RSA keys, which can take a second on a busy machine
            return start_response(status, [*headers, ("Cache-Control", "public, max-age=2")], exc_info)

        return provider(environ, start)

    stack.rewriter.faults[JWKS_PATH] = short_lived
    token = _access_token(stack, http)
    assert me(stack, token).status_code == 200
    stack.pool.keys.rotate(keep_old=False)
    assert me(stack, token).status_code == 200  # inside the provider's max-age
    time.sleep(2.1)
    assert me(stack, token).status_code == 401
    assert stack.client.jwks.fetches == 2


def test_requests_with_known_keys_do_not_wait_while_one_request_refetches(make_stack, http):
    stack = make_stack()
    token = _access_token(stack, http)
    provider = stack.rewriter.app
    # an unknown kid forces a refetch, which the provider answers slowly
    stranger = SigningKey.generate()
    claims = json.loads(jws.get_unverified_claims(token))
    unknown = jws.sign(claims, stranger.signer(), headers={"kid": stranger.kid}, algorithm="RS256")

    def slow(environ, start_response):
        time.sleep(3)
        return provider(environ, start_response)

    stack.rewriter.faults[JWKS_PATH] = slow
    slow_answer: list[requests.Response] = []
    worker = threading.Thread(target=lambda: slow_answer.append(me(stack, unknown)))
    worker.start()
    time.sleep(0.3)  # the refetch is under way
    timings = []
    for n in range(3):  # fresh tokens (not in the verified-token cache), signed with the known key
        fresh = stack.resign(token, lambda c, n=n: c.update(jti=f"fresh-{n}"), kind="access")
        started = time.monotonic()
        assert me(stack, fresh).status_code == 200
        timings.append(time.monotonic() - started)
    worker.join(10)
    assert slow_answer and slow_answer[0].status_code == 401
    assert max(timings) < 1.5, timings  # not held up by the 3 s refetch (an old lock made them wait it out)
    assert stack.client.jwks.fetches == 2
