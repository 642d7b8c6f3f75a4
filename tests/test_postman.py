"""The Postman collection is built from the client's own prepared calls: for each client
authentication (HTTP Basic, client_secret_post, a public client) the exported token, revoke and
logout requests are what the client sends, with Postman variables where the secrets go."""

from __future__ import annotations

import base64
import json
import re
from dataclasses import replace
from pathlib import Path
from urllib.parse import quote

import jsonschema
import pytest
import requests

from oauth import grants
from oauth.calls import PreparedCall
from oauth.client import OAuthClient
from oauth.transactions import Transaction
from tests.support import Stack
from tracing import exports

SCHEMA = json.loads(Path(__file__).with_name("postman-collection-v2.1.0.schema.json").read_text())
VARIABLE = re.compile(r"\{\{(\w+)\}\}")
VERIFIER = "v" * 43
METHODS = ["client_secret_basic", "client_secret_post", "public"]


def stack_for(make_stack, method: str) -> Stack:
    if method == "public":
        stack = make_stack(client_secret="")
        stack.pool_config["clients"][0]["client_secret"] = ""  # the provider's side of a public client
        return stack
    return make_stack({"OAUTH_CLIENT_AUTH": method})


def fill(text: str, values: dict[str, str]) -> str:
    """Postman's variable substitution: every {{name}} replaced by its value, as it is."""
    return VARIABLE.sub(lambda m: values[m.group(1)], text)


def rendered(request: dict, values: dict[str, str]) -> tuple[str, str, list[tuple[str, str]], dict[str, str]]:
    """What Postman sends for an exported request once the variables are filled in: method, URL,
    form pairs in order, headers (basic auth becomes base64 of `username:password`, as Postman does)."""
    headers = {h["key"]: fill(h["value"], values) for h in request["header"]}
    auth = request["auth"]
    if auth["type"] == "basic":
        creds = {entry["key"]: fill(entry["value"], values) for entry in auth["basic"]}
        raw = f"{creds['username']}:{creds['password']}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(raw).decode("ascii")
    else:
        assert auth["type"] == "noauth"  # never inherits the collection's OAuth 2.0 helper
    form = [(f["key"], fill(f["value"], values)) for f in request["body"]["urlencoded"]]
    return request["method"], fill(request["url"], values), form, headers


def sent(call: PreparedCall) -> tuple[str, str, list[tuple[str, str]], dict[str, str]]:
    return call.method, call.url, list(call.form), dict(call.headers)


def send(request: tuple[str, str, list[tuple[str, str]], dict[str, str]]) -> requests.Response:
    method, url, form, headers = request
    return requests.request(method, url, data=form, headers=headers, timeout=10)


@pytest.mark.parametrize("method", METHODS)
def test_the_exported_token_and_revoke_requests_are_the_calls_the_client_sends(make_stack, http, method):
    stack = stack_for(make_stack, method)
    stack.login(http)
    (refresh_token,) = list(stack.pool.refresh_tokens)
    text = http.get(stack.url + "/postman.json").text
    collection = json.loads(text)
    jsonschema.Draft7Validator(SCHEMA).validate(collection)
    for secret in (stack.settings.client.client_secret, stack.settings.client.m2m_client_secret, refresh_token):
        if secret:
            assert secret not in text
    requests_by_name = {item["name"]: item["request"] for item in collection["item"]}
    values = {v["key"]: v["value"] for v in collection["variable"]}
    assert values["client_id"] == stack.settings.client.client_id and values["client_secret"] == ""
    # what the user fills in locally
    values |= {
        "client_secret": stack.settings.client.client_secret,
        "code": "the-code",
        "code_verifier": VERIFIER,
        "refresh_token": refresh_token,
        "m2m_client_secret": stack.settings.client.m2m_client_secret,
        "m2m_scope": "flowlab-api/read",
    }
    config = stack.settings.client
    for credential in (config.client_id, config.client_secret, config.m2m_client_secret):
        assert quote(credential, safe="") == credential  # Postman's basic auth does not form-urlencode them

    client: OAuthClient = stack.client
    tx = Transaction(state="s", nonce="n", verifier=VERIFIER, flow="code", next="/dashboard", created=0.0)
    expected = {
        "Token: authorization code": client.prepare_exchange("the-code", tx),
        "Token: refresh": client.prepare_refresh(refresh_token),
        "Token: client credentials": client.prepare_client_credentials("flowlab-api/read"),
        "Revoke refresh token": client.prepare_revoke(refresh_token),
    }
    for name, call in expected.items():
        exported = requests_by_name[name]
        assert rendered(exported, values) == sent(call), name
        assert (exported["auth"]["type"] == "basic") == (call.header("Authorization") is not None), name

    # the drift the export had: each call's client authentication is the configured one
    exchange, revoke = requests_by_name["Token: authorization code"], requests_by_name["Revoke refresh token"]
    form_keys = [f["key"] for f in exchange["body"]["urlencoded"]]
    assert form_keys[:4] == ["grant_type", "code", "redirect_uri", "code_verifier"]
    assert (
        form_keys[4:]
        == {
            "client_secret_basic": [],
            "client_secret_post": ["client_id", "client_secret"],
            "public": ["client_id"],
        }[method]
    )
    assert exchange["auth"]["type"] == ("basic" if method == "client_secret_basic" else "noauth")
    assert {f["key"]: f["value"] for f in revoke["body"]["urlencoded"]} == {
        "token": "{{refresh_token}}",
        "token_type_hint": "refresh_token",
        **({"client_id": "{{client_id}}"} if method == "public" else {}),
    }
    # Cognito's revocation takes a secret in the Authorization header only, whatever OAUTH_CLIENT_AUTH says
    assert revoke["auth"]["type"] == ("noauth" if method == "public" else "basic")
    oauth2 = {entry["key"]: entry["value"] for entry in collection["auth"]["oauth2"]}
    assert oauth2["client_authentication"] == ("header" if method == "client_secret_basic" else "body")

    # and, filled in, the exported requests work at the provider
    machine = send(rendered(requests_by_name["Token: client credentials"], values))
    assert machine.status_code == 200 and machine.json()["access_token"]
    refreshed = send(rendered(requests_by_name["Token: refresh"], values))
    assert refreshed.status_code == 200 and refreshed.json()["access_token"].count(".") == 2
    revoked = send(rendered(revoke, values))
    assert revoked.status_code == 200 and stack.pool.refresh_tokens[refresh_token].revoked


def test_the_exported_logout_url_is_the_clients(stack, http):
    collection = http.get(stack.url + "/postman.json").json()
    url = next(i["request"]["url"] for i in collection["item"] if i["name"] == "Logout (open in a browser)")
    client: OAuthClient = stack.client
    end_session = client.metadata().end_session_endpoint
    signed_out = stack.url + "/signed-out"
    placeholders = grants.logout_url(
        end_session_endpoint=end_session,
        is_cognito=True,
        client_id="{{client_id}}",
        return_to=signed_out,
        id_token="{{id_token}}",
    )
    assert placeholders is not None
    # the same URL, URL-encoded like the client's, with the variable left for Postman to fill in
    assert url == exports.postman_url(placeholders)
    assert url == f"{end_session}?client_id={{{{client_id}}}}&logout_uri={quote(signed_out, safe='')}"
    values = {v["key"]: v["value"] for v in collection["variable"]}
    assert fill(url, values) == client.logout_url(signed_out, None)


def test_an_oidc_providers_logout_url_carries_the_id_token_hint(stack):
    """Outside Cognito the client sends post_logout_redirect_uri and id_token_hint: so does the export."""
    oidc = OAuthClient(replace(stack.client.config, is_cognito=False))
    collection = exports.postman_collection(oidc)
    jsonschema.Draft7Validator(SCHEMA).validate(collection)
    url = next(i["request"]["url"] for i in collection["item"] if i["name"] == "Logout (open in a browser)")
    assert "post_logout_redirect_uri=" in url and "id_token_hint={{id_token}}" in url
    values = {v["key"]: v["value"] for v in collection["variable"]} | {"id_token": "header.payload.signature"}
    signed_out = stack.url + "/signed-out"
    assert fill(url, values) == oidc.logout_url(signed_out, "header.payload.signature")
    # and its token endpoint gets the configured method everywhere, revocation included
    revoke = next(i["request"] for i in collection["item"] if i["name"] == "Revoke refresh token")
    assert revoke["auth"]["type"] == "basic"


def test_building_the_collection_asks_the_provider_nothing_new_and_holds_no_secret(stack, http):
    http.get(stack.url + "/postman.json")  # discovery, once
    before = len(stack.exchanges)
    client: OAuthClient = stack.client
    twin = exports.placeholder_client(client)
    assert twin.discovery is client.discovery and twin.config is not client.config
    assert twin.config.client_secret == "{{client_secret}}" and twin.config.m2m_client_secret == "{{m2m_client_secret}}"
    assert client.config.client_secret == stack.settings.client.client_secret  # the app's client is unchanged
    assert http.get(stack.url + "/postman.json").status_code == 200
    assert len(stack.exchanges) == before
