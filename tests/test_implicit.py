"""POST /api/implicit/verify and the implicit start, over real HTTP (no browser)."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import requests

from tests.support.pages import visible_text


def tokens(fragment: dict) -> dict:
    return {k: fragment[k] for k in ("id_token", "access_token", "state")}


def resign(stack, id_token: str, change) -> str:
    return stack.resign(id_token, change)


def test_implicit_start_asks_for_tokens_in_the_fragment(stack, http):
    location = http.get(stack.url + "/implicit", allow_redirects=False).headers["Location"]
    q = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    assert q["response_type"] == "token"
    assert "openid" in q["scope"].split()
    assert q["redirect_uri"] == stack.url + "/implicit/callback"
    assert len(q["state"]) >= 32 and len(q["nonce"]) >= 32
    assert "code_challenge" not in q


def test_fragment_carries_cognito_implicit_response(stack, http):
    fragment = stack.implicit_fragment(http)
    assert set(fragment) == {"id_token", "access_token", "token_type", "expires_in", "state"}
    assert "refresh_token" not in fragment


def test_valid_tokens_verify_and_state_is_single_use(stack, http):
    body = tokens(stack.implicit_fragment(http))
    first = stack.verify_implicit(http, body)
    assert first.status_code == 200, first.text
    result = first.json()
    assert result["valid"] is True and result["claims"]["cognito:username"] == "demo"
    assert {c["name"] for c in result["checks"]} >= {
        "signature",
        "iss",
        "aud",
        "token_use",
        "exp",
        "iat",
        "nonce",
        "at_hash",
    }
    assert all(c["passed"] for c in result["checks"] + result["access_checks"])
    replay = stack.verify_implicit(http, body)
    assert replay.status_code == 400 and replay.json()["valid"] is False
    assert "state" in replay.json()["error"]
    # implicit tokens never enter the server-side session
    assert stack.session_json(http)["authenticated"] is False


def test_bad_at_hash_is_refused(stack, http):
    body = tokens(stack.implicit_fragment(http))
    body["id_token"] = resign(stack, body["id_token"], lambda c: c.update(at_hash="AAAAAAAAAAAAAAAAAAAAAA"))
    response = stack.verify_implicit(http, body)
    assert response.status_code == 400 and response.json()["check"] == "at_hash"


def test_missing_at_hash_is_refused(stack, http):
    body = tokens(stack.implicit_fragment(http))
    body["id_token"] = resign(stack, body["id_token"], lambda c: c.pop("at_hash"))
    response = stack.verify_implicit(http, body)
    assert response.status_code == 400 and response.json()["check"] == "at_hash"
    assert "required" in response.json()["error"]


def test_wrong_nonce_is_refused(stack, http):
    body = tokens(stack.implicit_fragment(http))
    body["id_token"] = resign(stack, body["id_token"], lambda c: c.update(nonce="someone-elses"))
    response = stack.verify_implicit(http, body)
    assert response.status_code == 400 and response.json()["check"] == "nonce"


def test_expired_token_is_refused(stack, http):
    real = stack.pool.clock
    stack.pool.clock = lambda: real() - 2 * 3600
    body = tokens(stack.implicit_fragment(http))
    response = stack.verify_implicit(http, body)
    assert response.status_code == 400 and response.json()["check"] == "exp"


def test_access_token_from_another_login_is_refused(stack, http):
    first = tokens(stack.implicit_fragment(http))
    http.cookies.clear()
    second = tokens(stack.implicit_fragment(http))
    second["access_token"] = first["access_token"]
    response = stack.verify_implicit(http, second)
    assert response.status_code == 400 and response.json()["check"] == "at_hash"


def test_state_from_another_browser_is_refused(stack, http):
    body = tokens(stack.implicit_fragment(http))
    with requests.Session() as other:
        response = stack.verify_implicit(other, body)
    assert response.status_code == 400 and "state" in response.json()["error"]


def test_malformed_bodies_are_clear_4xx(stack, http):
    csrf = stack.csrf(http)
    url = stack.url + "/api/implicit/verify"
    headers = {"X-CSRF-Token": csrf}
    for body in (None, [], {"id_token": 5}, {"id_token": "a", "access_token": "b"}, {"state": "x" * 20000}):
        response = http.post(url, json=body, headers=headers)
        assert 400 <= response.status_code < 500, body
        assert response.json()["valid"] is False
    response = http.post(url, data="not json", headers={**headers, "Content-Type": "application/json"})
    assert response.status_code == 400
    assert http.post(url, json={}, headers={}).status_code == 403  # no anti-forgery token


def test_callback_page_headers(stack, http):
    response = http.get(stack.url + "/implicit/callback")
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"
    assert not re.search(r"<script(?![^>]*\bsrc=)", response.text)  # no inline script
    assert not re.search(r"\son[a-z]+\s*=", response.text)  # no on*= handlers
    csp = response.headers["Content-Security-Policy"]
    for part in ("script-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"):
        assert part in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_compare_page_reflects_what_ran(stack, http):
    page = http.get(stack.url + "/compare").text
    assert page.count("not run yet in this session") >= 10
    stack.login(http)
    stack.verify_implicit(http, tokens(stack.implicit_fragment(http)))
    spa_tokens, state = stack.spa_tokens(http)  # the third column: the browser-only flow
    body = {"id_token": spa_tokens["id_token"], "access_token": spa_tokens["access_token"], "state": state}
    http.post(stack.url + "/api/spa/verify", json=body, headers={"X-CSRF-Token": stack.spa_csrf(http)})
    page = http.get(stack.url + "/compare").text
    assert "not run yet" not in page
    assert "access_token, id_token, refresh_token" in page
    assert "access_token, id_token (no refresh token)" in page
    assert "yes, client_secret_basic" in visible_text(page)  # the method links to the glossary
    assert "grant_type=implicit" in page and "RFC 9700" in page
