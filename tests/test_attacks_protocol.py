"""Attacks from the security pass (issue 11), protocol side, each replayed over real HTTP.

Items: 6 (deep or huge JSON), 10 (PKCE code_challenge at the local provider), 11 (non-canonical
base64url), 13 (Host header), 15 (secret files' modes). Key rotation (item 3) is in
test_key_rotation.py.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests

from local_cognito.settings import DEMO_PASSWORD, DEMO_USERNAME
from oauth.transactions import pkce_challenge
from tests.support import answer

ROOT = Path(__file__).resolve().parent.parent
B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def no_tracebacks(caplog) -> None:
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert not errors, [r.getMessage() for r in errors]


def deep(levels: int, leaf: str = "1") -> str:
    return '{"a":' * levels + leaf + "}" * levels


# -- item 6: JSON nested deep or too big, from a browser, in a token, from the provider ------------


@pytest.fixture
def verify_post(stack, http):
    csrf = stack.csrf(http)

    def post(data: str | bytes) -> requests.Response:
        return http.post(
            stack.url + "/api/implicit/verify",
            data=data,
            headers={"X-CSRF-Token": csrf, "Content-Type": "application/json"},
            timeout=10,
        )

    return post


@pytest.mark.parametrize(
    "body",
    [
        "[" * 600 + "]" * 600,
        json.dumps({"id_token": "x", "access_token": "y", "state": "z", "extra": None}).replace("null", deep(600)),
        "[" * 60_000,  # under the size limit, deep enough to overflow the parser itself
    ],
    ids=["array-600", "object-600-in-a-field", "60k-open-brackets"],
)
def test_deeply_nested_verify_body_is_a_400_without_traceback(stack, http, verify_post, caplog, body):
    caplog.set_level(logging.INFO)
    response = verify_post(body)
    assert response.status_code == 400, response.text[:300]
    assert response.json()["valid"] is False
    assert "nested" in response.json()["error"] or "JSON object" in response.json()["error"]
    no_tracebacks(caplog)
    # the trace (which records this request) still renders
    assert http.get(stack.url + "/trace").status_code == 200


@pytest.mark.parametrize("size", [70_000, 300_000])
def test_oversized_verify_body_is_a_413_without_traceback(stack, http, verify_post, caplog, size):
    caplog.set_level(logging.INFO)
    body = json.dumps({"id_token": "x" * size, "access_token": "y", "state": "z"})
    response = verify_post(body)
    assert response.status_code == 413, response.text[:300]
    assert response.json()["valid"] is False
    no_tracebacks(caplog)


def test_token_with_a_deeply_nested_payload_is_refused_by_the_api(stack, caplog):
    caplog.set_level(logging.INFO)

    def enc(text: str) -> str:
        return base64.urlsafe_b64encode(text.encode()).rstrip(b"=").decode()

    token = f"{enc(json.dumps({'alg': 'RS256', 'kid': 'k'}))}.{enc('[' * 5000 + ']' * 5000)}.{enc('sig')}"
    response = requests.get(stack.url + "/api/me", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert response.status_code == 401, response.text[:300]
    assert "structure" in response.json()["error_description"]
    no_tracebacks(caplog)


@pytest.mark.parametrize("path", ["/oauth2/token", "discovery"])
def test_deeply_nested_provider_replies_are_a_502(make_stack, http, caplog, path):
    caplog.set_level(logging.INFO)
    stack = make_stack()
    if path == "discovery":
        path = urlsplit(stack.settings.client.issuer).path + "/.well-known/openid-configuration"
    stack.rewriter.faults[path] = answer(deep(5000))
    login = path == "/oauth2/token"
    response = stack.login(http) if login else http.get(stack.url + "/login", allow_redirects=False)
    assert response.status_code == 502, response.text[:300]
    assert "nested more than" in response.text
    assert stack.session_json(http)["authenticated"] is False
    # the trace keeps the reply, and still renders
    assert http.get(stack.url + "/trace").status_code == 200
    no_tracebacks(caplog)


# -- item 11: only canonical base64url, in every part -----------------------------------------------


def _non_canonical(token: str) -> dict[str, str]:
    header, payload, signature = token.split(".")
    last = signature[-1]
    assert len(signature) % 4 == 2  # RS256-2048: 342 characters, the last one has 4 unused bits
    other_bits = B64URL[B64URL.index(last) ^ 0b0001]
    swapped = [p.replace("-", "+").replace("_", "/") for p in (header, payload, signature)]
    variants = {
        "signature padded ==": f"{header}.{payload}.{signature}==",
        "payload padded": f"{header}.{payload}{'=' * (-len(payload) % 4) or '===='}.{signature}",
        "header padded": f"{header}{'=' * (-len(header) % 4) or '===='}.{payload}.{signature}",
        "unused bits set": f"{header}.{payload}.{signature[:-1]}{other_bits}",
    }
    if swapped != [header, payload, signature]:
        variants["+ and / instead of - and _"] = ".".join(swapped)
    return variants


def test_api_refuses_non_canonical_encodings_of_a_valid_token(stack, http):
    seen: dict = {}
    stack.rewriter.rewrite = lambda body: seen.update(body) or body
    stack.login(http)
    token = seen["access_token"]
    ok = requests.get(stack.url + "/api/me", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert ok.status_code == 200
    variants = _non_canonical(token)
    assert len(variants) >= 4
    cache = stack.app.extensions["verified_tokens"]
    for name, variant in variants.items():
        response = requests.get(stack.url + "/api/me", headers={"Authorization": f"Bearer {variant}"}, timeout=10)
        # padding inside the value already breaks RFC 6750's b64token syntax: a 400 before any check
        assert response.status_code in (400, 401), (name, response.text)
        if response.status_code == 401:
            assert response.json()["error"] == "invalid_token", name
            assert "canonical base64url" in response.json()["error_description"], name
    assert len(cache) == 1  # only the canonical token was ever cached


def test_implicit_verify_refuses_a_non_canonical_id_token(stack, http):
    fragment = stack.implicit_fragment(http)
    body = {k: fragment[k] for k in ("id_token", "access_token", "state")}
    body["id_token"] += "=="
    response = stack.verify_implicit(http, body)
    assert response.status_code == 400
    assert response.json()["check"] == "structure"


# -- item 10: code_challenge validated at authorize, compared as bytes at the token endpoint --------


def _authorize(stack, http, challenge: str) -> requests.Response:
    client = stack.pool_config["clients"][0]
    params = {
        "response_type": "code",
        "client_id": client["client_id"],
        "redirect_uri": stack.url + "/callback",
        "scope": "openid",
        "state": "st-1",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    return http.get(stack.provider_url + "/oauth2/authorize?" + urlencode(params), allow_redirects=False)


@pytest.mark.parametrize(
    "challenge",
    ["é" * 43, "a" * 42, "a" * 129, "a" * 42 + "+", "a" * 42 + "=", "a" * 42 + "/", "a" * 42 + " ", "ü" + "a" * 50],
)
def test_malformed_code_challenge_is_invalid_request_at_authorize(stack, http, challenge):
    response = _authorize(stack, http, challenge)
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(stack.url + "/callback?"), location
    query = parse_qs(urlsplit(location).query)
    assert query["error"] == ["invalid_request"]
    assert "code_challenge" in query["error_description"][0]
    assert query["state"] == ["st-1"]


@pytest.mark.parametrize("challenge", ["a" * 43, "A-._~" * 25 + "abc", pkce_challenge("v" * 60)])
def test_well_formed_code_challenges_are_accepted(stack, http, challenge):
    response = _authorize(stack, http, challenge)
    assert response.status_code == 302
    assert response.headers["Location"].startswith(stack.provider_url + "/login?")


def test_non_ascii_challenge_or_verifier_at_the_token_endpoint_is_invalid_grant(stack, http):
    """Defence in depth: a grant whose challenge somehow holds non-ASCII never makes a 500."""
    client = stack.pool_config["clients"][0]
    session = {"username": DEMO_USERNAME, "auth_time": 0}
    args = {"redirect_uri": stack.url + "/callback", "code_challenge": "é" * 43, "nonce": "n"}
    for verifier in ("v" * 50, "é" * 50):
        code = stack.pool.issue_code(client, ["openid"], args, session)
        response = requests.post(
            stack.provider_url + "/oauth2/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": stack.url + "/callback",
                "code_verifier": verifier,
            },
            auth=(client["client_id"], client["client_secret"]),
            timeout=10,
        )
        assert response.status_code == 400, response.text
        assert response.json()["error"] == "invalid_grant"


def test_the_app_still_signs_in_with_pkce(stack, http):
    assert stack.login(http, DEMO_USERNAME, DEMO_PASSWORD).headers["Location"] == "/dashboard"


# -- item 13: Host headers other than APP_URL's are refused ---------------------------------------


@pytest.mark.parametrize("path", ["/static//style.css", "/", "/login", "/api/health", "/static/style.css"])
def test_foreign_host_header_gets_a_400_and_no_redirect(stack, path):
    response = requests.get(stack.url + path, headers={"Host": "evil.com"}, allow_redirects=False, timeout=10)
    assert response.status_code == 400, (path, response.status_code, response.headers.get("Location"))
    assert "evil.com" not in response.headers.get("Location", "")
    assert "Traceback" not in response.text


def test_loopback_names_of_a_loopback_app_url_keep_working(stack, http):
    port = urlsplit(stack.url).port
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", "localhost", "127.0.0.1"):
        response = requests.get(stack.url + "/", headers={"Host": host}, timeout=10)
        assert response.status_code == 200, host
    # the merge-slashes redirect stays on the app's own host
    response = requests.get(stack.url + "/static//style.css", allow_redirects=False, timeout=10)
    assert response.status_code in (301, 308)
    assert urlsplit(response.headers["Location"]).hostname in (None, "127.0.0.1")
    # and a whole sign-in works
    assert stack.login(http).headers["Location"] == "/dashboard"


def test_public_app_url_trusts_only_its_own_host(make_stack):
    stack = make_stack({"APP_URL": "https://lab.example.com"})
    good = requests.get(stack.url + "/api/health", headers={"Host": "lab.example.com"}, timeout=10)
    assert good.status_code == 200
    for host in ("127.0.0.1", "localhost", "evil.com", "lab.example.com.evil.com", "x.lab.example.com"):
        response = requests.get(stack.url + "/api/health", headers={"Host": host}, timeout=10)
        assert response.status_code == 400, host


# -- item 15: instance/ secrets are 0600 from the moment they exist ---------------------------------

WATCH = r"""
import os, stat, sys
from pathlib import Path
instance = Path(sys.argv[1]).resolve()
first_seen = {}
busy = []

def hook(event, args):
    if busy or not (event.startswith("os.") or event == "open"):
        return
    busy.append(1)  # the look below makes audit events of its own
    try:
        for path in instance.rglob("*") if instance.exists() else ():
            if path.is_file() and path not in first_seen:
                first_seen[path] = stat.S_IMODE(path.stat().st_mode)
    finally:
        busy.clear()

sys.addaudithook(hook)
os.umask(0o022)
sys.path.insert(0, sys.argv[2])
import config, local_cognito
from local_cognito.keys import KeyRing

env = {"INSTANCE_PATH": str(instance), "LOCAL_COGNITO_FILE": str(instance / "local_cognito.json")}
local_cognito.ensure_pool_file(instance / "local_cognito.json", "http://localhost:5000")
local_cognito.ensure_pool_file(instance / "local_cognito.json", "http://localhost:5000")  # rewrite
ring = KeyRing(instance / "local_cognito_keys")
ring.rotate(keep_old=False)
config.load_settings(env)
config.load_settings(env)
from aws_setup.envfile import update_env_file
update_env_file(instance / ".env", {"OAUTH_CLIENT_SECRET": "s1"})  # `cognito setup` writes the secret
update_env_file(instance / ".env", {"OAUTH_CLIENT_SECRET": "s2"})  # and rewrites it after drift
hook("os.final", ())
for path, mode in sorted(first_seen.items()):
    final = oct(stat.S_IMODE(path.stat().st_mode)) if path.exists() else "gone"
    print(f"{path.relative_to(instance)} {oct(mode)} {final}")
"""


def test_instance_secrets_are_never_readable_by_others_not_even_briefly(tmp_path):
    instance = tmp_path / "instance"
    result = subprocess.run(
        [sys.executable, "-c", WATCH, str(instance), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=120,
        env={k: v for k, v in os.environ.items() if k not in ("OAUTH_ISSUER", "COGNITO_USER_POOL_ID", "SECRET_KEY")},
    )
    assert result.returncode == 0, result.stderr
    seen = dict(line.split(" ", 1) for line in result.stdout.splitlines())
    assert {
        ".env",
        "secret_key",
        "local_cognito.json",
        "local_cognito_keys/id.pem",
        "local_cognito_keys/access.pem",
    } <= set(seen), seen
    for name, modes in seen.items():
        first, last = modes.split()
        assert first == "0o600" and last in ("0o600", "gone"), (name, modes)
    assert oct(os.stat(instance / "local_cognito_keys").st_mode & 0o777) == "0o700"
