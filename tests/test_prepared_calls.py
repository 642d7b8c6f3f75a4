"""Prepared calls: the client builds each back-channel call once, the presenter shows that object
through the trace's redactor, and sending puts that same object on the wire."""

from __future__ import annotations

import html
import io
import json
import re
from dataclasses import replace
from typing import cast
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from flask import Flask

from oauth import grants
from oauth.calls import PreparedCall
from oauth.client import OAuthClient
from oauth.errors import ProviderRefused
from oauth.http import ProviderError
from tests.support import Stack, answer
from tests.support.pages import Screen, read_screen
from tracing import recorder
from tracing.redact import BASIC_PLACEHOLDER
from views import presenter

SECRET = "s3cret/with+odd=chars"


# -- in-process: the client-authentication rules, one call at a time ------------------------------
def token_call(secret: str, method: str) -> PreparedCall:
    return grants.prepare(
        "refresh",
        "token",
        "https://idp.example/oauth2/token",
        {"grant_type": "refresh_token", "refresh_token": "rt"},
        client_id="app client",
        client_secret=secret,
        method=method,
    )


def test_client_secret_basic_puts_the_credentials_in_the_authorization_header():
    call = token_call(SECRET, "client_secret_basic")
    assert call.form == (("grant_type", "refresh_token"), ("refresh_token", "rt"))
    assert call.header("authorization") == grants.basic_auth("app client", SECRET)
    assert call.header("Content-Type") == "application/x-www-form-urlencoded"
    assert call.body() == "grant_type=refresh_token&refresh_token=rt"


def test_client_secret_post_puts_id_and_secret_in_the_form_after_the_grant():
    call = token_call(SECRET, "client_secret_post")
    assert [k for k, _ in call.form] == ["grant_type", "refresh_token", "client_id", "client_secret"]
    assert call.header("Authorization") is None
    assert call.body().endswith("&client_id=app+client&client_secret=s3cret%2Fwith%2Bodd%3Dchars")


@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post"])
def test_a_public_client_sends_its_id_and_no_secret_whatever_the_method(method):
    call = token_call("", method)
    assert call.form[-1] == ("client_id", "app client")
    assert "client_secret" not in dict(call.form) and call.header("Authorization") is None


def test_a_prepared_call_cannot_be_changed_after_it_is_shown():
    call = token_call(SECRET, "client_secret_post")
    with pytest.raises(AttributeError):
        setattr(call, "url", "https://elsewhere.example/token")  # noqa: B010 (the assignment is the test)
    assert isinstance(call.form, tuple) and isinstance(call.headers, tuple)


# -- over real HTTP: what the provider receives is the prepared call ---------------------------------
def newest_refresh_token(stack: Stack) -> str:
    return list(stack.pool.refresh_tokens)[-1]


def capture(stack: Stack, path: str) -> list[dict]:
    """Record what the provider receives at `path` (method, body, headers), then let it answer."""
    received: list[dict] = []

    def app(environ, start_response):
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(body)
        received.append(
            {
                "method": environ["REQUEST_METHOD"],
                "body": body.decode(),
                "authorization": environ.get("HTTP_AUTHORIZATION"),
                "content_type": environ.get("CONTENT_TYPE"),
            }
        )
        return stack.rewriter.app(environ, start_response)

    stack.rewriter.faults[path] = app
    return received


def assert_received(call: PreparedCall, received: dict) -> None:
    assert received["method"] == call.method
    assert received["body"] == call.body()
    assert received["authorization"] == call.header("Authorization")
    assert received["content_type"] == call.header("Content-Type")


def test_the_provider_receives_each_prepared_call_as_it_was_prepared(stack, http):
    stack.login(http)
    refresh_token = newest_refresh_token(stack)
    client: OAuthClient = stack.client
    at_token, at_revoke = capture(stack, "/oauth2/token"), capture(stack, "/oauth2/revoke")

    refresh = client.prepare_refresh(refresh_token)
    assert urlsplit(refresh.url).path == "/oauth2/token"
    assert client.send(refresh)["access_token"]
    assert_received(refresh, at_token[-1])

    machine = client.prepare_client_credentials("flowlab-api/read")
    assert client.send(machine)["access_token"]
    assert_received(machine, at_token[-1])
    assert machine.header("Authorization") == grants.basic_auth(
        stack.settings.client.m2m_client_id, stack.settings.client.m2m_client_secret
    )

    revoke = client.prepare_revoke(refresh_token)
    assert client.send(revoke) == {}  # revocation answers 200 with an empty body
    assert_received(revoke, at_revoke[-1])
    assert dict(revoke.form) == {"token": refresh_token, "token_type_hint": "refresh_token"}
    assert stack.pool.refresh_tokens[refresh_token].revoked

    # the public methods are prepare + send: the same request on the wire
    before = len(at_token)
    with pytest.raises(ProviderRefused) as refused:  # the revoked token, refused as before
        client.refresh(refresh_token)
    assert refused.value.error == "invalid_grant"
    assert_received(refresh, at_token[before])


def test_cognito_revocation_sends_basic_whatever_oauth_client_auth_says(make_stack, http):
    stack = make_stack({"OAUTH_CLIENT_AUTH": "client_secret_post"})
    stack.login(http)
    refresh_token = newest_refresh_token(stack)
    as_cognito: OAuthClient = stack.client
    assert as_cognito.config.is_cognito  # the local provider stands in for Cognito
    received = capture(stack, "/oauth2/revoke")

    assert as_cognito.prepare_refresh(refresh_token).header("Authorization") is None  # the token endpoint: post
    revoke = as_cognito.prepare_revoke(refresh_token)
    web = stack.settings.client
    assert revoke.header("Authorization") == grants.basic_auth(web.client_id, web.client_secret)
    assert "client_secret" not in dict(revoke.form) and "client_id" not in dict(revoke.form)
    with stack.app.test_request_context():
        endpoint, rows = presenter.call_rows(revoke)
    assert rows == [
        ("token", "$REFRESH_TOKEN"),
        ("token_type_hint", "refresh_token"),
        ("Authorization", BASIC_PLACEHOLDER),
    ]
    assert endpoint == revoke.url
    as_cognito.send(revoke)
    assert_received(revoke, received[-1])
    # another provider's revocation endpoint gets the configured method, like its token endpoint
    elsewhere = OAuthClient(replace(as_cognito.config, is_cognito=False)).prepare_revoke(refresh_token)
    assert (
        elsewhere.header("Authorization") is None
        and dict(elsewhere.form)["client_secret"] == stack.settings.client.client_secret
    )


# -- presenter screens: what the screen shows is what the trace records for the call sent ----------


def traced(stack: Stack, http: requests.Session, name: str) -> dict:
    app = cast(Flask, stack.app)
    record = app.extensions["trace_store"].load(http.cookies.get(recorder.TRACE_COOKIE))
    return [s for s in record["steps"] if s["name"] == name][-1]


def assert_screen_is_the_call(stack: Stack, http: requests.Session, shown: Screen, name: str) -> None:
    """The screen's rows are the traced request of the call Continue sent, redacted alike; every
    value the screen shows in clear is the value on the wire."""
    step = traced(stack, http, name)
    authorization = [(k, v) for k, v in step["request_headers"].items() if k.lower() == "authorization"]
    assert shown.rows == parse_qsl(step["request_body"], keep_blank_values=True) + authorization
    assert (shown.method, shown.endpoint) == (step["method"], step["url"])
    wire = stack.steps(name)[-1]
    sent = dict(parse_qsl(wire.request_body, keep_blank_values=True))
    for key, value in shown.rows:
        if not value.startswith("$") and key != "Authorization":
            assert sent[key] == value, key
    assert [k for k, _ in shown.rows if k != "Authorization"] == list(sent)


def assert_nothing_secret(stack: Stack, page: str, *values: str) -> None:
    client = stack.settings.client
    for value in (client.client_secret, client.m2m_client_secret, *stack.pool.refresh_tokens, *values):
        if value:
            assert value not in page


def continue_from_button(
    stack: Stack,
    http: requests.Session,
    path: str,
    *,
    title: str,
    rows: list[tuple[str, str]],
    heading: str,
    step: str,
) -> None:
    """Press the dashboard button `path` in presenter mode: its screen has `title` and `rows`; Continue
    sends the call and shows `heading`; the screen was the traced call `step`, with nothing secret on it."""
    shown = read_screen(stack.post(http, path).text)
    assert shown.title == title
    assert shown.rows == rows
    answered = http.post(stack.url + shown.action, data=shown.fields)
    assert heading in answered.text
    assert_screen_is_the_call(stack, http, shown, step)
    assert_nothing_secret(stack, shown.page)


@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post", "public"])
def test_each_call_screen_shows_the_call_that_continue_sends(make_stack, http, method):
    if method == "public":
        stack = make_stack(client_secret="")
        stack.pool_config["clients"][0]["client_secret"] = ""  # the provider's side of a public client
    else:
        stack = make_stack({"OAUTH_CLIENT_AUTH": method})
    client_rows = {
        "client_secret_basic": [("Authorization", BASIC_PLACEHOLDER)],
        "client_secret_post": [("client_id", stack.settings.client.client_id), ("client_secret", "$CLIENT_SECRET")],
        "public": [("client_id", stack.settings.client.client_id)],
    }[method]
    # Cognito's revocation takes a secret in the Authorization header only, whatever OAUTH_CLIENT_AUTH says
    # (the screen before prepared calls showed client_id and client_secret rows here for post: not what was sent)
    revoke_rows = client_rows if method == "public" else [("Authorization", BASIC_PLACEHOLDER)]
    http.get(stack.url + "/presenter", params={"on": "1"})

    # the code exchange: code and verifier are the trace's placeholders, never the values
    first = http.get(stack.url + "/login").text
    authorize = html.unescape(re.search(r'id="continue" href="([^"]+)"', first).group(1))
    back = stack.sign_in_at_provider(http, authorize)
    code = dict(parse_qsl(urlsplit(back).query))["code"]
    exchange = read_screen(http.get(back).text)
    assert exchange.title == "Exchange the code for tokens"
    assert exchange.rows == [
        ("grant_type", "authorization_code"),
        ("code", "$CODE"),
        ("redirect_uri", stack.url + "/callback"),
        ("code_verifier", "$CODE_VERIFIER"),
        *client_rows,
    ]
    answered = http.post(stack.url + exchange.action, data=exchange.fields)
    assert "What came back from the token endpoint" in answered.text
    assert_screen_is_the_call(stack, http, exchange, "token")
    verifier = dict(parse_qsl(stack.steps("token")[-1].request_body))["code_verifier"]
    assert_nothing_secret(stack, exchange.page, code, verifier)
    footer = re.search(r'<footer class="foot" id="footer">(.*?)</footer>', exchange.page, re.S).group(1)
    assert "authorization code and PKCE verifier appear on this page only as placeholders" in footer

    continue_from_button(
        stack,
        http,
        "/refresh",
        title="Refresh the tokens",
        rows=[("grant_type", "refresh_token"), ("refresh_token", "$REFRESH_TOKEN"), *client_rows],
        heading="What came back from the refresh",
        step="refresh",
    )
    continue_from_button(
        stack,
        http,
        "/revoke",
        title="Revoke the refresh token",
        rows=[("token", "$REFRESH_TOKEN"), ("token_type_hint", "refresh_token"), *revoke_rows],
        heading="What came back from the revocation",
        step="revoke",
    )
    assert all(grant.revoked for grant in stack.pool.refresh_tokens.values())


def test_the_logout_screen_shows_the_revocation_it_sends(stack, http):
    http.get(stack.url + "/presenter", params={"on": "1"})
    first = http.get(stack.url + "/login").text
    authorize = html.unescape(re.search(r'id="continue" href="([^"]+)"', first).group(1))
    exchange = read_screen(http.get(stack.sign_in_at_provider(http, authorize)).text)
    http.post(stack.url + exchange.action, data=exchange.fields)
    refresh_token = newest_refresh_token(stack)

    shown = read_screen(stack.post(http, "/logout").text)
    assert shown.title == "Revoke the refresh token"
    with stack.app.test_request_context():
        assert (shown.endpoint, shown.rows) == presenter.call_rows(stack.client.prepare_revoke(refresh_token))
    assert_nothing_secret(stack, shown.page)
    forged = http.post(stack.url + shown.action, data={**shown.fields, "shown_call": "0" * 64})
    assert "Not sent:" in forged.text and not stack.steps("revoke")  # still signed in, nothing revoked
    assert "Signed in as" in http.get(stack.url + "/dashboard").text
    http.post(stack.url + shown.action, data=shown.fields)
    sent = stack.steps("revoke")[-1]
    assert sent.request_body == stack.client.prepare_revoke(refresh_token).body()
    assert sent.request_headers["Authorization"] == grants.basic_auth(
        stack.settings.client.client_id, stack.settings.client.client_secret
    )
    assert stack.pool.refresh_tokens[refresh_token].revoked


def test_logout_without_a_revocation_endpoint_signs_out_without_a_pause(stack, http):
    """Nothing to prepare, so nothing to show: the sign-out goes on as it does outside presenter mode."""
    path = urlsplit(stack.settings.client.issuer).path + "/.well-known/openid-configuration"
    metadata = requests.get(stack.provider_url + path, timeout=5).json()
    del metadata["revocation_endpoint"]
    stack.rewriter.faults[path] = answer(json.dumps(metadata))
    stack.login(http)
    http.get(stack.url + "/presenter", params={"on": "1"})
    with pytest.raises(ProviderError):
        stack.client.prepare_revoke(newest_refresh_token(stack))

    shown = stack.post(http, "/logout")
    assert shown.status_code == 200 and "Send the browser to the provider&#39;s logout" in shown.text
    assert "Revoke the refresh token" not in shown.text
    assert stack.session_json(http)["authenticated"] is False


def test_continue_sends_only_the_call_its_screen_showed(stack, http):
    """Two paused refreshes in one session (two tabs): the first Continue rotates the refresh token, so the
    second screen's call is no longer what would be sent; its Continue sends nothing and shows the new call."""
    stack.pool_config["clients"][0]["RefreshTokenRotation"] = {"Feature": "ENABLED"}
    stack.login(http)
    http.get(stack.url + "/presenter", params={"on": "1"})
    first = read_screen(stack.post(http, "/refresh").text)
    second = read_screen(stack.post(http, "/refresh").text)
    came_back = http.post(stack.url + first.action, data=first.fields).text
    assert "What came back from the refresh" in came_back
    assert "A new refresh_token came back: the client rotates them" in came_back  # the screen says it rotated
    sent = len(stack.steps("refresh"))

    stale = http.post(stack.url + second.action, data=second.fields)
    assert stale.status_code == 200 and len(stack.steps("refresh")) == sent  # nothing went to the provider
    again = read_screen(stale.text)
    assert again.title == "Refresh the tokens" and "Not sent:" in stale.text
    assert again.fields["shown_call"] != second.fields["shown_call"]

    answered = http.post(stack.url + again.action, data=again.fields)  # the call now shown is the one sent
    assert "What came back from the refresh" in answered.text and len(stack.steps("refresh")) == sent + 1

    forged = read_screen(stack.post(http, "/revoke").text)
    refused = http.post(stack.url + forged.action, data={**forged.fields, "shown_call": "0" * 64})
    assert "Not sent:" in refused.text and not stack.steps("revoke")  # a forged or stale form sends nothing


def test_the_paused_code_exchange_is_sent_only_with_the_screens_call(stack, http):
    http.get(stack.url + "/presenter", params={"on": "1"})
    first = http.get(stack.url + "/login").text
    authorize = html.unescape(re.search(r'id="continue" href="([^"]+)"', first).group(1))
    exchange = read_screen(http.get(stack.sign_in_at_provider(http, authorize)).text)
    refused = http.post(
        stack.url + exchange.action, data={"shown_call": "0" * 64, "csrf_token": exchange.fields["csrf_token"]}
    )
    assert "Not sent:" in refused.text and not stack.steps("token")  # the code is still unspent
    again = read_screen(refused.text)
    assert again.rows == exchange.rows and again.fields == exchange.fields  # the same call, prepared again
    assert "What came back from the token endpoint" in http.post(stack.url + again.action, data=again.fields).text
