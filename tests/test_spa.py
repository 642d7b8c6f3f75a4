"""The browser-only flow over real HTTP: the provider's public client and CORS, /spa's pages and CSP,
POST /api/spa/verify, the compare page's third column, the config and the doctor."""

from __future__ import annotations

import re

import pytest
import requests

from config import load_settings
from lab import doctor
from tests.support.pages import visible_text

# Cognito's documented CORS for browser apps:
# https://docs.aws.amazon.com/cognito/latest/developerguide/token-endpoint.html
CORS_ENDPOINTS = [("/oauth2/token", "POST"), ("/oauth2/userInfo", "GET"), ("/oauth2/revoke", "POST")]


def verify(stack, http, body: dict, csrf: str | None = None) -> requests.Response:
    headers = {"X-CSRF-Token": csrf if csrf is not None else stack.spa_csrf(http)}
    return http.post(stack.url + "/api/spa/verify", json=body, headers=headers)


# -- the local provider's public client -------------------------------------------------------


def test_the_local_provider_has_a_public_client(stack):
    client = stack.public_client
    assert client["client_secret"] == ""
    assert client["allowed_flows"] == ["code"]
    assert client["callback_urls"] == [stack.url + "/spa/callback"]
    assert stack.settings.client.public_client_id == client["client_id"]
    assert stack.settings.client.public_client_id in stack.settings.client.api_allowed_client_ids


def test_public_client_trades_a_code_without_a_secret(stack, http):
    tokens, _ = stack.spa_tokens(http)
    assert {"id_token", "access_token", "refresh_token"} <= set(tokens)
    assert tokens["token_type"] == "Bearer"


def test_public_client_requires_pkce(stack, http):
    params = {
        "response_type": "code",
        "client_id": stack.settings.client.public_client_id,
        "redirect_uri": stack.url + "/spa/callback",
        "scope": "openid",
        "state": "s1",
    }
    response = http.get(stack.provider_url + "/oauth2/authorize", params=params, allow_redirects=False)
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(stack.url + "/spa/callback?") and "error=invalid_request" in location
    assert "code_challenge" in requests.utils.unquote(location)


def test_public_client_refuses_a_secret_and_a_wrong_verifier(stack, http):
    tokens, _ = stack.spa_tokens(http)
    form = {
        "grant_type": "refresh_token",
        "client_id": stack.settings.client.public_client_id,
        "client_secret": "made-up",
        "refresh_token": tokens["refresh_token"],
    }
    response = requests.post(stack.provider_url + "/oauth2/token", data=form)
    assert response.status_code == 400 and response.json()["error"] == "invalid_client"


def test_public_client_is_not_allowed_the_implicit_grant(stack, http):
    params = {
        "response_type": "token",
        "client_id": stack.settings.client.public_client_id,
        "redirect_uri": stack.url + "/spa/callback",
        "scope": "openid",
        "state": "s1",
    }
    response = http.get(stack.provider_url + "/oauth2/authorize", params=params, allow_redirects=False)
    assert "error=unauthorized_client" in response.headers["Location"]


# -- CORS, as Cognito answers browser apps ------------------------------------------------------


@pytest.mark.parametrize("path,method", CORS_ENDPOINTS)
def test_cors_preflight(stack, path, method):
    response = requests.options(
        stack.provider_url + path,
        headers={
            "Origin": stack.url,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert method in response.headers["Access-Control-Allow-Methods"]
    allowed = response.headers["Access-Control-Allow-Headers"].lower()
    assert "authorization" in allowed and "content-type" in allowed
    assert int(response.headers["Access-Control-Max-Age"]) > 0


def test_cors_on_actual_answers_including_errors(stack, http):
    origin = {"Origin": "https://any-spa.example"}
    tokens, _ = stack.spa_tokens(http)
    answers = [
        requests.post(stack.provider_url + "/oauth2/token", data={"grant_type": "nope"}, headers=origin),
        requests.post(
            stack.provider_url + "/oauth2/token",
            data={"grant_type": "authorization_code", "client_id": stack.settings.client.public_client_id, "code": "x"},
            headers=origin,
        ),
        requests.get(
            stack.provider_url + "/oauth2/userInfo",
            headers={**origin, "Authorization": "Bearer " + tokens["access_token"]},
        ),
        requests.get(stack.provider_url + "/oauth2/userInfo", headers={**origin, "Authorization": "Bearer bad"}),
        requests.get(stack.provider_url + "/oauth2/userInfo", headers=origin),
        requests.post(
            stack.provider_url + "/oauth2/revoke",
            data={"token": tokens["refresh_token"], "client_id": stack.settings.client.public_client_id},
            headers=origin,
        ),
        requests.post(stack.provider_url + "/oauth2/revoke", data={"client_id": "unknown"}, headers=origin),
    ]
    statuses = [r.status_code for r in answers]
    assert statuses == [400, 400, 200, 401, 400, 200, 401]
    for response in answers:
        assert response.headers["Access-Control-Allow-Origin"] == "*", response.url


def test_no_cors_on_the_hosted_ui(stack):
    response = requests.get(stack.provider_url + "/login", headers={"Origin": "https://any-spa.example"})
    assert "Access-Control-Allow-Origin" not in response.headers


# -- the app's pages ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/spa", "/spa/callback"])
def test_spa_pages_allow_connect_to_the_provider_only_there(stack, http, path):
    response = http.get(stack.url + path)
    assert response.status_code == 200
    csp = response.headers["Content-Security-Policy"]
    assert f"connect-src 'self' {stack.provider_url};" in csp
    assert not re.search(r"<script(?![^>]*\bsrc=)", response.text)  # no inline script
    assert stack.settings.client.public_client_id in response.text
    assert stack.settings.client.client_secret not in response.text
    for other in ("/", "/compare", "/implicit/callback", "/machine"):
        assert "connect-src 'self';" in http.get(stack.url + other).headers["Content-Security-Policy"], other


def test_spa_callback_headers(stack, http):
    response = http.get(stack.url + "/spa/callback")
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"


def test_spa_without_a_public_client_says_what_to_set(make_stack, http):
    stack = make_stack(public_client_id="")
    response = http.get(stack.url + "/spa")
    assert response.status_code == 404
    assert "OAUTH_PUBLIC_CLIENT_ID" in response.text
    assert verify(stack, http, {}, csrf=stack.csrf(http)).status_code == 404


def test_spa_page_when_the_provider_is_down(make_stack, http):
    stack = make_stack(issuer="http://127.0.0.1:1/us-east-1_Nowhere")
    assert http.get(stack.url + "/spa").status_code == 502


# -- POST /api/spa/verify -------------------------------------------------------------------------


def test_verify_accepts_the_public_clients_tokens(stack, http):
    tokens, state = stack.spa_tokens(http)
    body = {"id_token": tokens["id_token"], "access_token": tokens["access_token"], "state": state}
    response = verify(stack, http, {**body, "received": ["access_token", "id_token", "refresh_token"]})
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["valid"] is True
    assert result["claims"]["aud"] == stack.settings.client.public_client_id
    checks = {c["name"]: c["passed"] for c in result["checks"]}
    for name in ("signature", "iss", "aud", "token_use", "exp", "iat", "nonce", "at_hash"):
        assert checks[name] is True, name
    assert {c["name"] for c in result["access_checks"]} >= {"signature", "client_id", "token_use"}
    assert tokens["refresh_token"] not in response.text


def test_verify_refuses_a_wrong_nonce_and_the_confidential_clients_tokens(stack, http):
    tokens, state = stack.spa_tokens(http, nonce="not-the-servers")  # the page asked with another nonce
    body = {"id_token": tokens["id_token"], "access_token": tokens["access_token"], "state": state}
    response = verify(stack, http, body)
    assert response.status_code == 400 and "nonce" in response.json()["error"]
    fragment = stack.implicit_fragment(http)  # the confidential client's tokens: wrong audience here
    state = stack.spa_begin(http)["state"]
    body = {"id_token": fragment["id_token"], "access_token": fragment["access_token"], "state": state}
    response = verify(stack, http, body)
    assert response.status_code == 400 and "aud" in response.json()["error"]


def test_verify_bad_input_is_a_clear_4xx(stack, http):
    tokens, state = stack.spa_tokens(http)
    good = {"id_token": tokens["id_token"], "access_token": tokens["access_token"], "state": state}
    csrf = stack.spa_csrf(http)
    for body in (
        [],
        {},
        {**good, "id_token": ""},
        {**good, "state": 5},
        {**good, "id_token": "x" * 20000},
        {**good, "received": "all"},
        {**good, "id_token": "garbage"},
    ):
        response = verify(stack, http, body, csrf)
        assert 400 <= response.status_code < 500, body
        assert response.json()["valid"] is False
    response = verify(stack, http, {**good, "refresh_token": tokens["refresh_token"]}, csrf)
    assert response.status_code == 400 and "never send the refresh token" in response.json()["error"]
    assert http.post(stack.url + "/api/spa/verify", json=good).status_code == 403  # no anti-forgery token
    headers = {"X-CSRF-Token": csrf, "Content-Type": "application/json"}
    for path in ("/api/spa/verify", "/api/spa/trace", "/api/tokens/reveal"):
        deep = http.post(stack.url + path, data="[" * 5000 + "]" * 5000, headers=headers)
        assert deep.status_code == 400 and "nested" in deep.json()["error"], path
        huge = http.post(stack.url + path, data='"' + "x" * 100_000 + '"', headers=headers)
        assert huge.status_code == 413, path
    response = http.post(
        stack.url + "/api/spa/verify", json=good, headers={"X-CSRF-Token": csrf, "Origin": "https://evil.example"}
    )
    assert response.status_code == 403


def test_trace_reports_are_checked(stack, http):
    csrf = stack.spa_csrf(http)
    token_endpoint = stack.provider_url + "/oauth2/token"
    good = {"step": "token", "method": "POST", "url": token_endpoint, "status": 200}
    post = lambda body: http.post(stack.url + "/api/spa/trace", json=body, headers={"X-CSRF-Token": csrf})  # noqa: E731
    assert post(good).json() == {"recorded": False}  # no sign-in in this browser yet: nothing kept
    tokens, state = stack.spa_tokens(http)
    body = {"id_token": tokens["id_token"], "access_token": tokens["access_token"], "state": state}
    assert verify(stack, http, body, csrf).status_code == 200
    assert post(good).json() == {"recorded": True}
    for bad in (
        [],
        {**good, "step": "steal"},
        {**good, "url": "https://evil.example/collect"},
        {**good, "method": "DELETE"},
        {**good, "status": "200"},
        {**good, "status": 1000},
        {**good, "step": "userinfo"},  # the token endpoint is not userInfo's URL
    ):
        assert post(bad).status_code == 400, bad
    assert http.post(stack.url + "/api/spa/trace", json=good).status_code == 403
    trace = http.get(stack.url + "/trace.md").text
    assert trace.count("The page trades the code at the token endpoint itself") == 1
    assert "evil.example" not in trace


# -- compare, config, doctor ----------------------------------------------------------------------


def test_compare_has_a_third_column_from_what_ran(stack, http):
    page = http.get(stack.url + "/compare").text
    assert "Code + PKCE in the browser" in page
    assert page.count("not run yet in this session") >= 21
    tokens, state = stack.spa_tokens(http)
    body = {"id_token": tokens["id_token"], "access_token": tokens["access_token"], "state": state}
    verify(stack, http, {**body, "received": sorted(tokens)})
    page = http.get(stack.url + "/compare").text
    assert page.count("not run yet in this session") == 16  # the other two columns (8 rows since issue 22)
    assert "from the browser: a cross-origin POST" in page
    assert "none: a public client" in visible_text(page)  # "public client" links to the glossary
    assert "refresh token in JavaScript" in page
    assert page.count('class="seq"') == 3


def test_public_client_id_from_the_environment(tmp_path):
    settings = load_settings(
        {
            "COGNITO_USER_POOL_ID": "eu-west-1_AbC123",
            "OAUTH_CLIENT_ID": "confidential",
            "OAUTH_CLIENT_SECRET": "s",
            "OAUTH_PUBLIC_CLIENT_ID": " spa-client ",
            "INSTANCE_PATH": str(tmp_path),
        }
    )
    assert settings.client.public_client_id == "spa-client"
    assert settings.client.spa_redirect_uri == "http://localhost:5000/spa/callback"
    assert "spa-client" in settings.client.api_allowed_client_ids


def findings(stack) -> dict:
    return {f.name: f for f in doctor.run(stack.settings.client, stack.client.http)}


def test_doctor_passes_the_public_client(stack):
    finding = findings(stack)["public_client"]
    assert finding.status == "pass", finding
    assert "no secret" in finding.message


def test_doctor_fails_a_public_client_with_a_secret(stack):
    stack.public_client["client_secret"] = "now-it-has-one"
    finding = findings(stack)["public_client"]
    assert finding.status == "fail" and "has a secret" in finding.message


def test_doctor_fails_an_unregistered_spa_callback(stack):
    stack.public_client["callback_urls"] = [stack.url + "/elsewhere"]
    finding = findings(stack)["public_client"]
    assert finding.status == "fail" and "redirect_mismatch" in finding.message
    assert stack.url + "/spa/callback" in finding.fix


def test_doctor_fails_a_public_client_without_the_code_grant(stack):
    stack.public_client["allowed_flows"] = ["implicit"]
    finding = findings(stack)["public_client"]
    assert finding.status == "fail" and "code grant" in finding.fix


def test_doctor_says_when_no_public_client_is_set(make_stack):
    stack = make_stack(public_client_id="")
    finding = findings(stack)["public_client"]
    assert finding.status == "info" and "OAUTH_PUBLIC_CLIENT_ID" in finding.fix


def test_a_passer_by_stores_nothing(stack):
    """Issue 11's rule holds for these pages: no session, no trace for a visitor who starts no sign-in."""
    from tracing import recorder

    with requests.Session() as stranger:
        for path in ("/spa", "/spa/callback", "/inspect", "/compare"):
            assert stranger.get(stack.url + path).status_code == 200, path
        csrf = stack.spa_csrf(stranger)
        headers = {"X-CSRF-Token": csrf}
        assert stranger.post(stack.url + "/inspect", data={"token": "abc", "csrf_token": csrf}).status_code == 200
        assert stranger.post(stack.url + "/api/tokens/reveal", json={"which": "id"}, headers=headers).status_code == 404
        report = {"step": "token", "method": "POST", "url": stack.provider_url + "/oauth2/token", "status": 400}
        assert stranger.post(stack.url + "/api/spa/trace", json=report, headers=headers).json() == {"recorded": False}
        bad = {"id_token": "a.b.c", "access_token": "a.b.c", "state": "s"}
        assert stranger.post(stack.url + "/api/spa/verify", json=bad, headers=headers).status_code == 400
        assert stack.app.config["SESSION_COOKIE_NAME"] not in stranger.cookies
        assert recorder.TRACE_COOKIE not in stranger.cookies
    assert stack.stored_files() == []
