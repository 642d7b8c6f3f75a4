"""Custom scopes in user tokens (issue 22, item 2): a resource-server scope the app client may use ends up
in the user's access token, and /api/me can require one (RFC 6750 §3.1 insufficient_scope)."""

from __future__ import annotations

import html
import json
import re

import pytest
from jose import jws

from config import ConfigError, load_settings

SCOPE = "flowlab-api/read"


def allow_custom_scope(stack) -> None:
    """The web client may use the resource server's scope (AllowedOAuthScopes at Cognito)."""
    web = stack.pool_config["clients"][0]
    web["allowed_scopes"] = [*web["allowed_scopes"], SCOPE]


def access_claims(token: str) -> dict:
    return json.loads(jws.get_unverified_claims(token))


def call_api(stack, http) -> str:
    """The dashboard's "Call the API" with the access token; the response panel as shown (HTML-escaped)."""
    stack.post(http, "/call-api", token="access")
    page = http.get(stack.url + "/dashboard").text
    found = re.search(r'<pre class="json" id="api-response">(.*?)</pre>', page, re.S)
    assert found, "the dashboard shows no API response"
    return html.unescape(found.group(1))


def test_an_allowed_custom_scope_is_in_the_user_access_token(make_stack, http):
    stack = make_stack({"OAUTH_SCOPES": f"openid email profile {SCOPE}", "API_REQUIRED_SCOPE": SCOPE})
    allow_custom_scope(stack)
    tokens = stack.login_tokens(http)
    access = access_claims(tokens["access_token"])
    assert SCOPE in access["scope"].split() and access["username"] == "demo"  # a user token, not a machine one
    assert "scope" not in access_claims(tokens["id_token"])
    me = stack.app.test_client().get("/api/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert me.status_code == 200 and SCOPE in me.get_json()["scopes"]
    assert call_api(stack, http).startswith("HTTP 200")


def test_a_token_without_the_required_scope_gets_insufficient_scope(make_stack, http):
    stack = make_stack({"API_REQUIRED_SCOPE": SCOPE})  # the app does not ask for the scope
    allow_custom_scope(stack)
    tokens = stack.login_tokens(http)
    assert SCOPE not in access_claims(tokens["access_token"])["scope"].split()
    me = stack.app.test_client().get("/api/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert me.status_code == 403
    challenge = me.headers["WWW-Authenticate"]
    assert challenge.startswith("Bearer ") and 'error="insufficient_scope"' in challenge
    assert f'scope="{SCOPE}"' in challenge
    assert me.get_json()["error"] == "insufficient_scope"
    shown = call_api(stack, http)  # the dashboard's call shows the status and the challenge naming the scope
    assert shown.startswith("HTTP 403") and f"WWW-Authenticate: {challenge}" in shown


@pytest.mark.parametrize("bad", ['flowlab-api/read"', "flowlab-api/read flowlab-api/write", "a\\b", "lecture/é"])
def test_required_scope_must_be_one_scope_token(tmp_path, bad):
    env = {"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "k", "API_REQUIRED_SCOPE": bad}
    with pytest.raises(ConfigError, match=r"API_REQUIRED_SCOPE=.* must be one scope"):
        load_settings(env)
    assert load_settings({**env, "API_REQUIRED_SCOPE": SCOPE}).client.api_required_scope == SCOPE


def dashboard_text(stack, http) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", http.get(stack.url + "/dashboard").text)).split())


def test_the_dashboard_names_the_missing_scope_as_the_reason_for_the_403(make_stack, http):
    stack = make_stack({"API_REQUIRED_SCOPE": SCOPE})  # the sign-in does not ask for the scope
    allow_custom_scope(stack)
    tokens = stack.login_tokens(http)
    have = access_claims(tokens["access_token"])["scope"]
    stack.post(http, "/call-api", token="access")
    text = dashboard_text(stack, http)
    assert (
        f"Refused for a missing scope: HTTP 403 insufficient_scope . The API requires {SCOPE} ; this access "
        f"token's scope is {have} , without {SCOPE} ."
    ) in text
    assert "The token itself is valid (signature, issuer, client, expiry): what it lacks is a permission" in text
    assert 'href="/authorize-request">Choose the scopes and sign in' in http.get(stack.url + "/dashboard").text
    stack.post(http, "/call-api", token="id")  # an ID token is refused for its type, not for a scope
    assert "Refused for a missing scope" not in dashboard_text(stack, http)


def test_a_custom_scope_in_the_access_token_is_named_as_such(make_stack, http):
    stack = make_stack({"OAUTH_SCOPES": f"openid email profile {SCOPE}", "API_REQUIRED_SCOPE": SCOPE})
    allow_custom_scope(stack)
    stack.login(http)
    page = http.get(stack.url + "/dashboard").text
    row = re.search(r'<article class="card token" id="token-access">.*?<tr data-claim="scope">(.*?)</tr>', page, re.S)
    assert row, page
    shown = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", row.group(1))).split())
    assert SCOPE in shown and f"Custom scopes of a resource server: {SCOPE}; an API can require them." in shown
    stack.post(http, "/call-api", token="access")
    assert "Refused for a missing scope" not in dashboard_text(stack, http)


def test_bearer_challenges_are_read_as_rfc_6750_writes_them():
    from lab.scopes import challenge_params, scope_refusal

    challenge = 'Bearer realm="x", error="insufficient_scope", error_description="the \\"token\\" lacks", scope="a/b c"'
    assert challenge_params(challenge) == {
        "realm": "x",
        "error": "insufficient_scope",
        "error_description": 'the "token" lacks',
        "scope": "a/b c",
    }
    assert challenge_params('Basic realm="x"') == {}
    assert scope_refusal(403, challenge, "c openid") == {
        "required": ["a/b", "c"],
        "have": ["c", "openid"],
        "missing": ["a/b"],
    }
    assert scope_refusal(401, challenge, "openid") is None
    assert scope_refusal(403, 'Bearer error="invalid_token"', "openid") is None
