"""The setup doctor on good and purpose-built bad configurations."""

from __future__ import annotations

import json
import re
import time

import requests

from lab import doctor
from oauth import authorize_probe, calls, grants, probes
from tests.support import answer, csrf_of

DISCOVERY = "/us-east-1_LocalDemo/.well-known/openid-configuration"


def findings(stack, browser_host=None) -> dict:
    return {f.name: f for f in doctor.run(stack.settings.client, stack.client.http, browser_host)}


def test_a_good_configuration_passes(stack):
    result = findings(stack, browser_host=stack.url.split("//")[1])
    assert not [f for f in result.values() if f.status in ("fail", "warn")], result
    for name in (
        "discovery",
        "client_auth",
        "redirect_uri",
        "implicit_redirect_uri",
        "client_secret",
        "clock",
        "cookie_host",
    ):
        assert result[name].status == "pass", name
    assert stack.url + "/callback" in result["uris"].message and stack.url + "/signed-out" in result["uris"].message


def test_wrong_issuer(make_stack):
    stack = make_stack()
    doc = requests.get(stack.settings.client.issuer + "/.well-known/openid-configuration").json()
    doc["issuer"] = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Elsewhere"
    stack.rewriter.faults[DISCOVERY] = answer(json.dumps(doc))
    result = findings(stack)
    assert result["issuer"].status == "fail" and "eu-west-1_Elsewhere" in result["issuer"].fix


def test_unreachable_discovery(make_stack):
    stack = make_stack(issuer="http://127.0.0.1:1/us-east-1_Nowhere")
    result = findings(stack)
    assert result["discovery"].status == "fail" and "could not be reached" in result["discovery"].message


def test_wrong_redirect_uri(make_stack):
    stack = make_stack(app_url="http://localhost:5999")
    result = findings(stack)
    assert result["redirect_uri"].status == "fail"
    assert "redirect_mismatch" in result["redirect_uri"].message
    assert "http://localhost:5999/callback" in result["redirect_uri"].fix


def test_implicit_grant_disabled_is_a_warning(make_stack):
    stack = make_stack()
    stack.pool_config["clients"][0]["allowed_flows"] = ["code"]
    result = findings(stack)
    assert result["implicit_redirect_uri"].status == "warn"
    assert "implicit grant" in result["implicit_redirect_uri"].fix


def test_unsupported_client_auth_method(make_stack):
    stack = make_stack({"OAUTH_CLIENT_AUTH": "client_secret_post"})
    doc = requests.get(stack.settings.client.issuer + "/.well-known/openid-configuration").json()
    doc["token_endpoint_auth_methods_supported"] = ["client_secret_basic"]
    stack.rewriter.faults[DISCOVERY] = answer(json.dumps(doc))
    result = findings(stack)
    assert (
        result["client_auth"].status == "fail" and "OAUTH_CLIENT_AUTH=client_secret_basic" in result["client_auth"].fix
    )


def test_secret_set_but_client_public(make_stack):
    stack = make_stack()
    stack.pool_config["clients"][0]["client_secret"] = ""
    result = findings(stack)
    assert result["client_secret"].status == "fail" and "public" in result["client_secret"].message


def test_secret_missing_for_a_confidential_client(make_stack):
    stack = make_stack(client_secret="")
    result = findings(stack)
    assert result["client_secret"].status == "fail" and "Set OAUTH_CLIENT_SECRET" in result["client_secret"].fix


def test_wrong_secret(make_stack):
    stack = make_stack(client_secret="not-the-secret")
    result = findings(stack)
    assert result["client_secret"].status == "fail" and "invalid_client" in result["client_secret"].message


def test_clock_skew(make_stack):
    stack = make_stack()
    ahead = {f.name: f for f in doctor.run(stack.settings.client, stack.client.http, now=time.time() + 3600)}
    assert ahead["clock"].status == "fail" and re.search(r"\b360\d s ahead of", ahead["clock"].message)
    behind = {f.name: f for f in doctor.run(stack.settings.client, stack.client.http, now=time.time() - 45)}
    assert behind["clock"].status == "warn" and "behind" in behind["clock"].message


def test_localhost_versus_127_cookie_trap(make_stack):
    stack = make_stack(app_url="http://localhost:5000")
    trap = doctor.cookie_trap(stack.settings.client, "127.0.0.1:5000")
    assert trap.status == "fail" and "http://localhost:5000" in trap.fix
    assert doctor.cookie_trap(stack.settings.client, "localhost:5000").status == "pass"


def test_doctor_page_and_cli(make_stack, http):
    stack = make_stack(app_url="http://localhost:5999")
    page = http.get(stack.url + "/doctor")
    assert page.status_code == 200
    # a GET shows only the checks without a provider call; the button runs the live ones (issue 11, item 7)
    token = csrf_of(page.text)
    page = http.post(stack.url + "/doctor", data={"csrf_token": token})
    assert page.status_code == 200
    assert 'data-finding="redirect_uri" data-status="fail"' in page.text
    assert 'data-finding="cookie_host" data-status="fail"' in page.text  # opened at 127.0.0.1, APP_URL localhost
    result = stack.app.test_cli_runner().invoke(args=["doctor"])
    assert result.exit_code == 1
    assert "FAIL  redirect_uri" in result.output and "fix: Add http://localhost:5999/callback" in result.output
    assert stack.settings.client.client_secret not in result.output + page.text


def test_a_pool_without_a_domain_fails_with_the_fix(make_stack):
    """Without a domain, Cognito's discovery lists endpoints on the cognito-idp host (SO 47664727)."""
    stack = make_stack()
    doc = requests.get(stack.settings.client.issuer + "/.well-known/openid-configuration").json()
    base = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_LocalDemo"
    doc.update(authorization_endpoint=f"{base}/authorize", token_endpoint=f"{base}/token")
    doc.update(userinfo_endpoint=f"{base}/userInfo")
    stack.rewriter.faults[DISCOVERY] = answer(json.dumps(doc))
    result = findings(stack)
    assert result["domain"].status == "fail" and "has no domain" in result["domain"].message
    assert "cognito-idp.us-east-1.amazonaws.com" in result["domain"].message
    assert "App integration → Domain" in result["domain"].fix and "cognito setup" in result["domain"].fix
    assert "redirect_uri" not in result  # no probe against endpoints that cannot work
    cli = stack.app.test_cli_runner().invoke(args=["doctor"])
    assert cli.exit_code == 1 and "FAIL  domain" in cli.output


def test_login_pages_unavailable_fails_with_the_fix(make_stack):
    """An app client without a managed login branding style: /login does not render."""
    stack = make_stack()
    page = "<html><body><h1>Login pages unavailable</h1></body></html>"
    stack.rewriter.faults["/login"] = answer(page, status=200, mimetype="text/html")
    result = findings(stack)
    assert result["redirect_uri"].status == "fail"
    assert "Login pages unavailable" in result["redirect_uri"].message
    assert "branding style" in result["redirect_uri"].fix and "cognito setup" in result["redirect_uri"].fix
    assert result["implicit_redirect_uri"].status == "warn"


def test_an_authorize_endpoint_that_does_not_redirect_to_login_fails(make_stack):
    stack = make_stack()
    stack.rewriter.faults["/oauth2/authorize"] = answer("<html>An error was encountered</html>", 400, "text/html")
    result = findings(stack)
    assert (
        result["redirect_uri"].status == "fail" and "not a redirect to its login page" in result["redirect_uri"].message
    )
    assert "branding style" in result["redirect_uri"].fix


# -- issue 21: fixes config accepts, error bodies, sign-in forms, a missing revocation endpoint -------


def test_issuer_fixes_name_settings_the_configuration_accepts():
    from dataclasses import replace

    from oauth.config import ClientConfig

    original = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123"
    updated = "https://issuer-cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123"
    by_pool = ClientConfig(
        issuer=original, client_id="c", client_secret="", is_cognito=True, pool_id="eu-west-1_AbC123"
    )
    assert "Set COGNITO_ISSUER_TYPE=UPDATED" in doctor._issuer_mismatch_fix(by_pool, updated)
    assert "Set COGNITO_ISSUER_TYPE=ORIGINAL" in doctor._issuer_mismatch_fix(replace(by_pool, issuer=updated), original)
    elsewhere = doctor._issuer_mismatch_fix(by_pool, "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other1")
    assert "OAUTH_ISSUER" not in elsewhere and "COGNITO_USER_POOL_ID and COGNITO_REGION" in elsewhere
    by_issuer = replace(by_pool, pool_id="")
    assert (
        doctor._issuer_mismatch_fix(by_issuer, updated)
        == f"Set OAUTH_ISSUER={updated} exactly (no trailing slash difference)."
    )


def _authorize_by_response_type(code_app, token_app):
    def app(environ, start_response):
        chosen = token_app if "response_type=token" in environ.get("QUERY_STRING", "") else code_app
        return chosen(environ, start_response)

    return app


SIGN_IN_FORM = (
    '<html><body><form method="POST" action="/login"><input type="password" name="password"></form></body></html>'
)


def test_an_error_body_and_a_sign_in_form_at_authorize_are_told_apart(make_stack):
    """MiniStack serves its sign-in form at /oauth2/authorize and answers response_type=token with a
    400 JSON error: neither is 'Login pages unavailable'."""
    stack = make_stack()
    refusal = json.dumps(
        {"error": "unsupported_response_type", "error_description": "Only response_type=code is supported."}
    )
    stack.rewriter.faults["/oauth2/authorize"] = _authorize_by_response_type(
        answer(SIGN_IN_FORM, 200, "text/html"), answer(refusal, 400)
    )
    result = findings(stack)
    assert (
        result["redirect_uri"].status == "pass"
        and "sign-in form at /oauth2/authorize" in result["redirect_uri"].message
    )
    implicit = result["implicit_redirect_uri"]
    assert (
        implicit.status == "warn"
        and "unsupported_response_type (Only response_type=code is supported.)" in implicit.message
    )
    assert "branding" not in implicit.fix and "no implicit grant" in implicit.fix


def test_cognitos_invalid_scope_form_gets_the_scope_fix(make_stack):
    stack = make_stack({"OAUTH_SCOPES": "openid phone"})
    result = findings(stack)
    assert result["redirect_uri"].status == "fail" and "invalid_scope" in result["redirect_uri"].message
    assert "enable the requested scopes" in result["redirect_uri"].fix


def test_a_missing_revocation_endpoint_is_a_plain_warning(make_stack):
    stack = make_stack()
    body = json.dumps({"__type": "SerializationException", "message": "Invalid JSON"})
    stack.rewriter.faults["/oauth2/revoke"] = answer(body, 400, "application/x-amz-json-1.1")
    result = findings(stack)
    assert result["revocation"].status == "warn" and "no OAuth revocation endpoint" in result["revocation"].message
    assert "SerializationException" in result["revocation"].message
    assert findings(make_stack())["revocation"].status == "pass"


# -- issue 20.6: the probes are prepared calls, each sent once -------------------------------------------
def test_each_probe_is_one_prepared_call_and_none_repeats(stack, monkeypatch):
    """Every request the doctor makes goes through oauth/calls.py's `send` (so the HTTP client sends exactly
    the prepared call's method, URL and headers), and no authorize request is sent twice."""
    sent, seen = [], []

    def recording_send(http, call):
        sent.append((call.method, call.url))
        return calls.send(http, call)

    for module in (probes, authorize_probe, grants):
        monkeypatch.setattr(module, "send", recording_send)
    monkeypatch.setattr(stack.client.http, "observers", [lambda reply: seen.append((reply.method, reply.url))])
    result = findings(stack)
    assert result["public_client"].status == "pass"
    assert seen == sent  # nothing sent outside a prepared call
    authorize = [url for method, url in sent if "/oauth2/authorize?" in url]
    assert len(authorize) == 3 and len(set(authorize)) == 3  # code, implicit, the public client's: once each
    assert {method for method, _ in sent} == {"GET", "POST"}
