"""The editable authorize request over real HTTP: choices, validation, the URL sent, and the
provider's refusals explained on the callback pages."""

from __future__ import annotations

import json
from html import unescape
from urllib.parse import parse_qs, parse_qsl, urlsplit

import pytest

from lab.authorize_panel import PROMPTS, RESPONSE_TYPES
from oauth.authorize_request import PROMPT_VALUES, RESPONSE_TYPE_VALUES, build_url, form_encode
from tests.support import csrf_of, extract


def open_panel(stack, http) -> dict:
    page = http.get(stack.url + "/authorize-request")
    assert page.status_code == 200, page.text
    return {
        "text": page.text,
        "csrf": csrf_of(page.text),
        "state": extract(r'name="state" value="([^"]+)"', page.text),
        "fixed": json.loads(unescape(extract(r"data-fixed='([^']+)'", page.text))),
    }


def send(stack, http, panel: dict, **fields):
    data = {"csrf_token": panel["csrf"], "state": panel["state"], "response_type": "code", "scope": ["openid"]}
    data.update(fields)
    return http.post(stack.url + "/authorize-request", data=data, allow_redirects=False)


def test_form_encoding_matches_urlsearchparams():
    # URLSearchParams keeps *-._ and alphanumerics, writes space as +, escapes everything else (~ too)
    assert form_encode("a b+c~*@x.y_z-1") == "a+b%2Bc%7E*%40x.y_z-1"
    assert form_encode("é/") == "%C3%A9%2F"
    assert build_url("https://p/authorize", {"scope": "openid email", "prompt": "", "state": "s"}) == (
        "https://p/authorize?scope=openid+email&state=s"
    )


def test_panel_offers_discovery_and_resource_server_scopes(stack, http):
    panel = open_panel(stack, http)
    text = panel["text"]
    for scope in ("openid", "email", "profile", "phone", "flowlab-api/read", "flowlab-api/write"):
        assert f'name="scope" value="{scope}"' in text, scope
    for scope in ("openid", "email", "profile"):
        assert f'name="scope" value="{scope}" checked' in text
    assert 'name="scope" value="phone" checked' not in text
    for name in ("identity_provider", "idp_identifier", "lang", "login_hint", "prompt"):
        assert f'name="{name}"' in text
    code = panel["fixed"]["code"]
    assert code["state"] == panel["state"] and code["code_challenge_method"] == "S256"
    assert code["redirect_uri"] == stack.url + "/callback"
    assert "code_challenge" not in panel["fixed"]["token"]
    assert panel["fixed"]["token"]["redirect_uri"] == stack.url + "/implicit/callback"


def test_the_sent_url_carries_every_edit_and_signs_in(stack, http):
    panel = open_panel(stack, http)
    hint = "demo+x ~*@example.com"
    response = send(
        stack,
        http,
        panel,
        scope=["openid", "email"],
        prompt="login",
        lang="fr",
        login_hint=hint,
        identity_provider="COGNITO",
    )
    assert response.status_code == 303
    location = response.headers["Location"]
    expected = {
        **panel["fixed"]["code"],
        "response_type": "code",
        "scope": "openid email",
        "prompt": "login",
        "identity_provider": "COGNITO",
        "lang": "fr",
        "login_hint": hint,
    }
    assert location == build_url(stack.provider_url + "/oauth2/authorize", expected)
    assert dict(parse_qsl(urlsplit(location).query)) == expected
    back = stack.sign_in_at_provider(http, location)  # prompt=login: the form is shown
    assert back.startswith(stack.url + "/callback?")
    assert http.get(back, allow_redirects=False).status_code == 302
    claims = stack.session_json(http)["id_token_claims"]
    assert "email" in claims and "name" not in claims  # profile was unticked
    fresh = open_panel(stack, http)  # (sign-in rotated the anti-forgery token)
    assert send(stack, http, {**panel, "csrf": fresh["csrf"]}).status_code == 400  # the state is single use


def test_implicit_from_the_panel(stack, http):
    panel = open_panel(stack, http)
    response = send(stack, http, panel, response_type="token", scope=["openid", "profile"])
    location = response.headers["Location"]
    params = dict(parse_qsl(urlsplit(location).query))
    assert params["response_type"] == "token" and "code_challenge" not in params
    back = stack.sign_in_at_provider(http, location)
    fragment = dict(parse_qsl(urlsplit(back).fragment))
    assert fragment["state"] == panel["state"]
    body = {k: fragment[k] for k in ("id_token", "access_token", "state")}
    assert stack.verify_implicit(http, body).json()["valid"] is True


def test_invalid_scope_is_explained_on_the_callback(stack, http):
    """Issue 21: the local web client may use the custom scopes; phone (offered by discovery) it may not,
    and the provider refuses it as Cognito does: error=invalid_request, error_description=invalid_scope."""
    panel = open_panel(stack, http)
    location = send(stack, http, panel, scope=["openid", "phone"]).headers["Location"]
    back = http.get(location, allow_redirects=False).headers["Location"]
    assert back.startswith(stack.url + "/callback?") and "error_description=invalid_scope" in back
    page = http.get(back)
    assert page.status_code == 400
    text = unescape(page.text)
    assert "error=invalid_request: invalid_scope" in text
    assert "scopes ticked in the authorize request panel" in text


def test_a_custom_scope_from_the_panel_reaches_the_access_token(stack, http):
    panel = open_panel(stack, http)
    location = send(stack, http, panel, scope=["openid", "flowlab-api/read"]).headers["Location"]
    back = stack.sign_in_at_provider(http, location)
    assert back.startswith(stack.url + "/callback?code=")
    http.get(back)
    assert "flowlab-api/read" in http.get(stack.url + "/api/session").text


def test_unauthorized_client_comes_back_to_the_implicit_page(stack, http):
    stack.pool_config["clients"][0]["allowed_flows"] = ["code"]
    panel = open_panel(stack, http)
    location = send(stack, http, panel, response_type="token").headers["Location"]
    back = http.get(location, allow_redirects=False).headers["Location"]
    assert back.startswith(stack.url + "/implicit/callback?")
    assert parse_qs(urlsplit(back).query)["error"] == ["unauthorized_client"]
    page = http.get(back).text
    assert "response_type=token needs the implicit grant" in unescape(page)  # for implicit.js to show


@pytest.mark.parametrize(
    "fields,message",
    [
        ({"scope": ["openid", "made/up"]}, "is not one the panel offers"),
        ({"scope": []}, "tick at least one scope"),
        ({"prompt": "always"}, "prompt must be"),
        ({"lang": "xx"}, "lang must be one of"),
        ({"response_type": "id_token"}, "response_type must be"),
        ({"login_hint": "a\nb"}, "control characters"),
        ({"identity_provider": "x" * 300}, "too long"),
    ],
)
def test_bad_edits_are_a_clear_400(stack, http, fields, message):
    panel = open_panel(stack, http)
    response = send(stack, http, panel, **fields)
    assert response.status_code == 400
    assert message in unescape(response.text)


def test_panel_needs_the_anti_forgery_token(stack, http):
    panel = open_panel(stack, http)
    response = http.post(
        stack.url + "/authorize-request",
        data={"state": panel["state"], "response_type": "code", "scope": "openid"},
        allow_redirects=False,
    )
    assert response.status_code == 403


def test_panel_when_the_provider_is_down(make_stack, http):
    stack = make_stack(issuer="http://127.0.0.1:1/us-east-1_Nowhere")
    assert http.get(stack.url + "/authorize-request").status_code == 502


def test_the_panels_words_explain_exactly_the_values_the_protocol_allows():
    assert tuple(PROMPTS) == PROMPT_VALUES
    assert tuple(RESPONSE_TYPES) == RESPONSE_TYPE_VALUES


def test_unticking_openid_signs_in_without_an_id_token(stack, http):
    """The client expects an ID token only when the request it sent asked for openid (not when the
    configured scopes do): without openid the provider sends none, and that is no provider failure."""
    panel = open_panel(stack, http)
    location = send(stack, http, panel, scope=["email", "profile"]).headers["Location"]
    assert dict(parse_qsl(urlsplit(location).query))["scope"] == "email profile"
    back = stack.sign_in_at_provider(http, location)
    callback = http.get(back, allow_redirects=False)
    assert callback.status_code == 302, callback.text
    dashboard = http.get(stack.url + "/dashboard")
    assert dashboard.status_code == 200
    assert "No ID token: this sign-in did not ask for the openid scope" in unescape(dashboard.text)
    assert stack.session_json(http)["authenticated"] is True
