"""GET /api/me: the resource-server side, RFC 6750 errors, and the dashboard's API buttons."""

from __future__ import annotations

import re

import pytest
import requests

from tests.support import answer


@pytest.fixture
def tokens(stack, http) -> dict:
    """A signed-in user's real tokens, taken from the provider's own token response."""
    seen: dict = {}

    def keep(body: dict) -> dict:
        seen.update(body)
        return body

    stack.rewriter.rewrite = keep
    stack.login(http)
    stack.rewriter.rewrite = None
    return seen


def me(stack, token: str | None = None, **kwargs) -> requests.Response:
    headers = kwargs.pop("headers", {})
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return requests.get(stack.url + "/api/me", headers=headers, **kwargs)


def resign_access(stack, token: str, change) -> str:
    return stack.resign(token, change, kind="access")


def test_valid_access_token_returns_the_identity(stack, tokens):
    response = me(stack, tokens["access_token"])
    assert response.status_code == 200
    body = response.json()
    assert body["principal"] == f"{stack.settings.client.issuer}|{body['sub']}"
    assert body["username"] == "demo"
    assert body["scopes"] == ["openid", "email", "profile"]
    assert body["groups"] == ["flow-lab-demo"]


def test_missing_header_is_a_bare_401_challenge(stack):
    response = me(stack)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer ")
    assert "error=" not in response.headers["WWW-Authenticate"]


@pytest.mark.parametrize("header", ["Bearer", "Bearer ", "Bearer  two-spaces", "Bearer a b", "Bearer <script>"])
def test_malformed_bearer_headers_are_invalid_request(stack, header):
    response = me(stack, headers={"Authorization": header})
    assert response.status_code == 400
    assert 'error="invalid_request"' in response.headers["WWW-Authenticate"]


def test_other_schemes_get_a_bearer_challenge(stack):
    response = me(stack, headers={"Authorization": "Basic ZGVtbzpwdw=="})
    assert response.status_code == 401 and response.headers["WWW-Authenticate"].startswith("Bearer ")


def test_tokens_in_query_or_body_are_refused(stack, tokens):
    query = requests.get(stack.url + "/api/me", params={"access_token": tokens["access_token"]})
    assert query.status_code == 400 and query.json()["error"] == "invalid_request"
    body = requests.post(stack.url + "/api/me", data={"access_token": tokens["access_token"]})
    assert body.status_code == 400 and "Authorization header" in body.json()["error_description"]


@pytest.mark.parametrize(
    ("change", "check"),
    [
        (lambda c: c.update(exp=c["iat"] - 3600), "exp"),
        (lambda c: c.update(client_id="another-app-client"), "client_id"),
        (lambda c: c.update(iss="https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other"), "iss"),
        (lambda c: c.update(token_use="id"), "token_use"),
    ],
)
def test_bad_access_tokens_are_invalid_token(stack, tokens, change, check):
    response = me(stack, resign_access(stack, tokens["access_token"], change))
    assert response.status_code == 401
    challenge = response.headers["WWW-Authenticate"]
    assert 'error="invalid_token"' in challenge and f"{check} check failed" in challenge


def test_id_token_is_always_refused(stack, tokens):
    response = me(stack, tokens["id_token"])
    assert response.status_code == 401
    assert "an ID token is never accepted here" in response.json()["error_description"]


def test_tampered_and_unsigned_tokens_are_refused(stack, tokens):
    head, payload, sig = tokens["access_token"].split(".")
    assert me(stack, f"{head}.{payload}.{sig[:-4]}AAAA").status_code == 401
    assert me(stack, f"{head}.{payload}.").status_code in (400, 401)
    none_header = "eyJhbGciOiJub25lIn0"
    assert me(stack, f"{none_header}.{payload}.x").status_code == 401


def test_required_scope_gives_403_insufficient_scope(make_stack, http):
    stack = make_stack({"API_REQUIRED_SCOPE": "flowlab-api/read"})
    seen: dict = {}
    stack.rewriter.rewrite = lambda body: seen.update(body) or body
    stack.login(http)

    response = me(stack, seen["access_token"])
    assert response.status_code == 403
    challenge = response.headers["WWW-Authenticate"]
    assert 'error="insufficient_scope"' in challenge and 'scope="flowlab-api/read"' in challenge
    machine = stack.client.client_credentials("flowlab-api/read")
    assert me(stack, machine["access_token"]).status_code == 200


def test_allowed_client_ids_accept_other_app_clients(make_stack, http):
    stack = make_stack({"API_ALLOWED_CLIENT_IDS": "another-app-client, third"})
    seen: dict = {}
    stack.rewriter.rewrite = lambda body: seen.update(body) or body
    stack.login(http)
    other = resign_access(stack, seen["access_token"], lambda c: c.update(client_id="another-app-client"))
    assert me(stack, other).status_code == 200
    stranger = resign_access(stack, seen["access_token"], lambda c: c.update(client_id="stranger"))
    assert me(stack, stranger).status_code == 401


def test_jwks_failure_is_a_502_not_a_500(stack, tokens):
    stack.client.jwks.expire()
    stack.rewriter.faults["/us-east-1_LocalDemo/.well-known/jwks.json"] = answer("oops", status=500)
    response = me(stack, tokens["access_token"])
    assert response.status_code == 502 and response.json()["error"] == "temporarily_unavailable"


def test_dashboard_buttons_show_both_calls(stack, http):
    stack.login(http)
    http.post(stack.url + "/call-api", data={"csrf_token": stack.form_csrf(http, "/dashboard"), "token": "access"})
    page = http.get(stack.url + "/dashboard").text
    api = page.split('id="api"')[1]
    assert "GET " + stack.url + "/api/me" in api and "HTTP 200" in api and "&#34;username&#34;" in api
    http.post(stack.url + "/call-api", data={"csrf_token": stack.form_csrf(http, "/dashboard"), "token": "id"})
    api = http.get(stack.url + "/dashboard").text.split('id="api"')[1]
    assert "HTTP 401" in api and "invalid_token" in api and "ID token" in api
    assert re.search(r"Bearer ey[\w-]{10}…[\w-]{4}", api)  # the token is shown shortened only


def test_non_ascii_claims_never_break_the_challenge_header(stack, tokens):
    token = resign_access(stack, tokens["access_token"], lambda c: c.update(iss='Ā"\r\nX-Evil: 1'))
    response = me(stack, token, timeout=10)
    assert response.status_code == 401
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.isascii() and "\r" not in challenge and "X-Evil" not in response.headers
