"""The client-credentials grant through the page and the CLI, against the local provider."""

from __future__ import annotations

import json

import requests

from tests.support import csrf_of


def test_machine_page_gets_and_verifies_a_token(stack, http):
    stack.login(http)  # the page needs a signed-in user (issue 11, item 1)
    page = http.get(stack.url + "/machine")
    csrf = csrf_of(page.text)
    response = http.post(stack.url + "/machine", data={"csrf_token": csrf, "scope": "flowlab-api/read"})
    assert response.status_code == 200
    assert 'id="machine-result"' in response.text and "verified" in response.text
    reveal = http.post(stack.url + "/api/tokens/reveal", json={"which": "machine"}, headers={"X-CSRF-Token": csrf})
    token = reveal.json()["token"]
    assert token not in response.text and token[:12] + "…" + token[-4:] in response.text  # shortened until revealed
    claims = json.loads(requests.get(stack.url + "/api/me", headers={"Authorization": f"Bearer {token}"}).text)
    assert claims["sub"] == stack.settings.client.m2m_client_id and claims["scopes"] == ["flowlab-api/read"]
    assert claims["username"] is None  # no user: a machine
    (call,) = stack.steps("client_credentials")
    assert "grant_type=client_credentials" in call.request_body
    assert stack.settings.client.m2m_client_secret not in response.text


def test_machine_page_explains_a_refusal(make_stack, http):
    stack = make_stack()
    stack.login(http)
    page = http.get(stack.url + "/machine")
    csrf = csrf_of(page.text)
    response = http.post(stack.url + "/machine", data={"csrf_token": csrf, "scope": "nope/nothing"})
    assert response.status_code == 400
    assert "invalid_scope" in response.text and "resource-server-identifier/scope" in response.text


def test_cli_prints_a_client_credentials_token(stack):
    runner = stack.app.test_cli_runner()
    result = runner.invoke(args=["token", "client-credentials", "--scope", "flowlab-api/write"])
    assert result.exit_code == 0, result.output
    token = result.output.strip()
    assert token.count(".") == 2
    assert requests.get(stack.url + "/api/me", headers={"Authorization": f"Bearer {token}"}).json()["scopes"] == [
        "flowlab-api/write"
    ]
    as_json = runner.invoke(args=["token", "client-credentials", "--json"])
    body = json.loads(as_json.output)
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600 and "refresh_token" not in body


def test_cli_explains_a_client_not_allowed_client_credentials(stack):
    code_client = stack.pool_config["clients"][0]
    runner = stack.app.test_cli_runner()
    result = runner.invoke(
        args=[
            "token",
            "client-credentials",
            "--client-id",
            code_client["client_id"],
            "--client-secret",
            code_client["client_secret"],
        ]
    )
    assert result.exit_code == 1
    assert "not allowed client_credentials" in result.output
    assert "only" in result.output and "custom scope" in result.output
    assert code_client["client_secret"] not in result.output


def test_cli_says_when_the_provider_is_down(stack):
    stack.provider_server.stop()
    result = stack.app.test_cli_runner().invoke(args=["token", "client-credentials"])
    assert result.exit_code == 1 and "could not be reached" in result.output
