"""Replay and export: curl per step, HAR 1.2, Markdown, and a Postman v2.1 collection.

Everything here works from redacted steps, so no export can contain a secret.
"""

from __future__ import annotations

import base64
import copy
import json
import re
import shlex
import uuid
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from oauth.calls import PreparedCall
from oauth.client import OAuthClient
from oauth.http import header
from oauth.transactions import Transaction

from .markers import shorten_markers
from .model import Step
from .redact import BASIC_PLACEHOLDER

POSTMAN_SCHEMA = "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"
FORM = "application/x-www-form-urlencoded"
PLACEHOLDER_PARAMS = {
    "client_id": "$CLIENT_ID",
    "client_secret": "$CLIENT_SECRET",
    "code": "$CODE",
    "code_verifier": "$CODE_VERIFIER",
    "refresh_token": "$REFRESH_TOKEN",
}


def _dq(value: str) -> str:
    """Double-quote for a POSIX shell, keeping $PLACEHOLDERS expandable."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("`", "\\`") + '"'


def curl(step: Step) -> str:
    """A curl command for a server-side step, with $CLIENT_ID, $CLIENT_SECRET, $CODE, ... placeholders."""
    markers = step.marker_re()
    url = markers.sub("$ACCESS_TOKEN", step.url)
    lines = [f"curl -sS -X {step.method} {_dq(url)}"]
    for name, value in step.request_headers.items():
        if name.lower() in ("user-agent", "accept-encoding", "connection", "content-length", "accept"):
            continue
        if value == BASIC_PLACEHOLDER:
            lines.append('-u "$CLIENT_ID:$CLIENT_SECRET"')
            continue
        value = markers.sub("$ACCESS_TOKEN", value)
        lines.append(f"-H {_dq(f'{name}: {value}')}")
    body = step.request_body
    if body and "x-www-form-urlencoded" in (header(step.request_headers, "Content-Type") or FORM):
        for key, value in parse_qsl(body, keep_blank_values=True):
            if key == "token" and step.name == "revoke":
                value = "$REFRESH_TOKEN"
            value = PLACEHOLDER_PARAMS.get(key, value)
            if key == "client_id":
                value = "$CLIENT_ID"
            lines.append(f"--data-urlencode {_dq(f'{key}={value}')}")
    elif body:
        lines.append(f"--data {shlex.quote(body)}")
    return " \\\n  ".join(lines)


def _pairs(items: dict[str, str]) -> list[dict[str, str]]:
    return [{"name": k, "value": v} for k, v in items.items()]


def _started(step: Step) -> str:
    """ISO 8601 with milliseconds, from the step's real start time."""
    started = step.started
    if not isinstance(started, (int, float)):
        return step.at.replace("Z", ".000Z")
    stamp = datetime.fromtimestamp(float(started), UTC)
    return stamp.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _duration(steps: list[Step], index: int) -> float:
    """A step's duration in ms. A browser redirect has none of its own: it lasts until the browser's
    next request arrives (the time spent at the provider), when that is known."""
    step = steps[index]
    duration = max(float(step.duration_ms), 0.0)
    if duration or step.kind != "browser" or index + 1 >= len(steps):
        return duration
    start, following = step.started, steps[index + 1].started
    if isinstance(start, (int, float)) and isinstance(following, (int, float)) and 0 < following - start < 600:
        return round((following - start) * 1000, 1)
    return duration


def har(steps: list[Step], vault: Mapping[str, str]) -> dict[str, Any]:
    """HAR 1.2 (it opens in browser dev tools); tokens shortened, secrets already placeholders."""
    entries = []
    for position, step in enumerate(steps):

        def s(text: str, step: Step = step) -> str:
            return shorten_markers(text, vault, step)

        url = s(step.url)
        req_body = s(step.request_body)
        res_body = s(step.response_body)
        req_headers = {k: s(v) for k, v in step.request_headers.items()}
        res_headers = {k: s(v) for k, v in step.response_headers.items()}
        request: dict[str, Any] = {
            "method": step.method,
            "url": url,
            "httpVersion": "HTTP/1.1",
            "cookies": [],
            "headers": _pairs(req_headers),
            "queryString": [{"name": k, "value": v} for k, v in parse_qsl(urlsplit(url).query)],
            "headersSize": -1,
            "bodySize": len(req_body.encode()),
        }
        if req_body:
            request["postData"] = {"mimeType": header(req_headers, "Content-Type") or FORM, "text": req_body}
        duration = _duration(steps, position)
        entries.append(
            {
                "startedDateTime": _started(step),
                "time": duration,
                "request": request,
                "response": {
                    "status": step.status,
                    "statusText": "",
                    "httpVersion": "HTTP/1.1",
                    "cookies": [],
                    "headers": _pairs(res_headers),
                    "content": {
                        "size": len(res_body.encode()),
                        "mimeType": header(res_headers, "Content-Type") or "application/octet-stream",
                        "text": res_body,
                    },
                    "redirectURL": header(res_headers, "Location") or "",
                    "headersSize": -1,
                    "bodySize": len(res_body.encode()),
                },
                "cache": {},
                "timings": {"send": 0, "wait": duration, "receive": 0},
                "comment": step.title,
            }
        )
    return {
        "log": {
            "version": "1.2",
            "creator": {"name": "Cognito Flow Lab", "version": "1.0"},
            "pages": [],
            "entries": entries,
        }
    }


def markdown(steps: list[Step], vault: Mapping[str, str]) -> str:
    """The trace as Markdown, for a wiki page or an issue."""
    out = ["# OAuth trace (Cognito Flow Lab)", "", "Secrets are placeholders; tokens are shortened.", ""]
    for number, step in enumerate(steps, 1):

        def s(text: str, step: Step = step) -> str:
            return shorten_markers(text, vault, step)

        out.append(f"## {number}. {step.title}")
        out.append("")
        if step.kind == "browser" and not step.status:  # the app sends the browser; it never sees the answer
            out.append(f"`{step.method} {s(step.url)}` → **browser redirect**")
        else:
            status = step.status or "no answer"
            out.append(f"`{step.method} {s(step.url)}` → **{status}** in {step.duration_ms} ms")
        out.append("")
        request = "\n".join(f"{k}: {s(v)}" for k, v in step.request_headers.items())
        if step.request_body:
            request += "\n\n" + s(step.request_body)
        if request.strip():
            out += ["Request:", "", "```http", request.strip(), "```", ""]
        if step.kind == "server":
            out += ["Replay:", "", "```sh", curl(step), "```", ""]
        if step.response_body:
            out += ["Response:", "", "```", s(step.response_body), "```", ""]
    return "\n".join(out)


# The Postman variables that stand in for credentials and per-sign-in values: the collection's token,
# revoke and logout requests are the client's own prepared calls built with these as the values.
POSTMAN_PLACEHOLDERS = {
    "client_id": "{{client_id}}",
    "client_secret": "{{client_secret}}",
    "code": "{{code}}",
    "code_verifier": "{{code_verifier}}",
    "refresh_token": "{{refresh_token}}",
    "id_token": "{{id_token}}",
    "m2m_client_id": "{{m2m_client_id}}",
    "m2m_client_secret": "{{m2m_client_secret}}",
    "m2m_scope": "{{m2m_scope}}",
}
_ENCODED_PLACEHOLDER = re.compile(r"%7B%7B(\w+)%7D%7D")


def placeholder_client(client: OAuthClient) -> OAuthClient:
    """The app's client with every credential a Postman variable, so its own builders
    (prepare_exchange, prepare_refresh, ...) make the collection's requests.

    A shallow copy: it shares the client's discovery cache (no new HTTP call), and its config holds
    no secret at all. A public client (no secret) stays public."""
    config = client.config
    twin = copy.copy(client)
    twin.config = replace(
        config,
        client_id=POSTMAN_PLACEHOLDERS["client_id"],
        client_secret=POSTMAN_PLACEHOLDERS["client_secret"] if config.client_secret else "",
        m2m_client_id=POSTMAN_PLACEHOLDERS["m2m_client_id"],
        m2m_client_secret=POSTMAN_PLACEHOLDERS["m2m_client_secret"],
    )
    return twin


def postman_url(url: str) -> str:
    """A URL built with placeholders as values, its `{{name}}` variables unencoded again (Postman
    substitutes only the literal `{{name}}`)."""
    return _ENCODED_PLACEHOLDER.sub(r"{{\1}}", url)


def _kv(key: str, value: object, kind: str = "string") -> dict:
    return {"key": key, "value": value, "type": kind}


def _basic_auth(header: str) -> dict | None:
    """Postman's basic auth for an `Authorization: Basic ...` header (RFC 6749 §2.3.1: id and secret
    form-urlencoded before base64, so decoded back here), or None for any other header."""
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    username, _, password = base64.b64decode(credentials).decode().partition(":")
    return {"type": "basic", "basic": [_kv("username", unquote(username)), _kv("password", unquote(password))]}


def postman_request(call: PreparedCall, description: str) -> dict:
    """A prepared call as a Postman request: its method, URL, headers and form in the order the
    client sends them; HTTP Basic as Postman's basic auth, credentials in the form as form fields
    (and no auth, so the collection's OAuth 2.0 helper is not inherited)."""
    auth: dict = {"type": "noauth"}
    headers = []
    for name, value in call.headers:
        basic = _basic_auth(value) if name.lower() == "authorization" else None
        if basic is not None:
            auth = basic
        else:
            headers.append({"key": name, "value": value})
    return {
        "method": call.method,
        "header": headers,
        "url": call.url,
        "description": description,
        "auth": auth,
        "body": {"mode": "urlencoded", "urlencoded": [{"key": k, "value": v, "type": "text"} for k, v in call.form]},
    }


def postman_collection(client: OAuthClient) -> dict:
    """A Postman v2.1 collection for this provider: one request per endpoint, OAuth 2.0 auth set up.

    The token, revoke and logout requests come from the client's own builders (with Postman
    variables as values), so each is the request the client sends for its configured client
    authentication: HTTP Basic, client_secret_post, or a public client's client_id."""
    settings = client.config
    meta = client.metadata()
    twin = placeholder_client(client)
    p = POSTMAN_PLACEHOLDERS
    tx = Transaction(state="", nonce="", verifier=p["code_verifier"], flow="code", next="", created=0.0)
    exchange = twin.prepare_exchange(p["code"], tx)
    auth_method = "header" if exchange.header("Authorization") else "body"

    oauth2 = [
        _kv("grant_type", "authorization_code_with_pkce"),
        _kv("authUrl", meta.authorization_endpoint),
        _kv("accessTokenUrl", meta.token_endpoint),
        _kv("clientId", "{{client_id}}"),
        _kv("clientSecret", "{{client_secret}}"),
        _kv("scope", " ".join(settings.scopes)),
        _kv("redirect_uri", settings.redirect_uri),
        _kv("useBrowser", False, "boolean"),
        _kv("client_authentication", auth_method),
        _kv("challengeAlgorithm", "S256"),
        _kv("state", "{{$randomUUID}}"),
        _kv("tokenName", "Cognito Flow Lab"),
        _kv("addTokenTo", "header"),
    ]
    bearer = {"type": "bearer", "bearer": [_kv("token", "{{access_token}}")]}
    noauth = {"type": "noauth"}

    def get(name: str, url: str, description: str, auth: dict) -> dict:
        return {
            "name": name,
            "request": {"method": "GET", "header": [], "url": url, "description": description, "auth": auth},
        }

    def call(name: str, prepared: PreparedCall, description: str) -> dict:
        return {"name": name, "request": postman_request(prepared, description)}

    items = [
        get("Discovery", settings.discovery_url, "Provider metadata.", noauth),
        get("JWKS", meta.jwks_uri, "The provider's public signing keys.", noauth),
        call(
            "Token: authorization code",
            exchange,
            "Trade a code (from the browser) for tokens. Fill {{code}} and {{code_verifier}}.",
        ),
        call(
            "Token: refresh",
            twin.prepare_refresh(p["refresh_token"]),
            "New access and ID tokens from a refresh token.",
        ),
        call(
            "Token: client credentials",
            twin.prepare_client_credentials(p["m2m_scope"], p["m2m_client_id"], p["m2m_client_secret"]),
            "A machine token; needs a client allowed only client_credentials, with custom scopes.",
        ),
    ]
    if meta.userinfo_endpoint:
        items.append(get("userInfo", meta.userinfo_endpoint, "Claims about the user.", bearer))
    if meta.revocation_endpoint:
        items.append(
            call(
                "Revoke refresh token",
                twin.prepare_revoke(p["refresh_token"]),
                "Revokes the refresh token and the tokens issued from it.",
            )
        )
    logout = twin.logout_url(settings.signed_out_uri, p["id_token"])
    if logout:
        items.append(get("Logout (open in a browser)", postman_url(logout), "Ends the provider session.", noauth))
    items.append(get("Protected API: /api/me", settings.app_url + "/api/me", "This app's API.", bearer))
    variables = [
        {"key": "client_id", "value": settings.client_id},
        {"key": "client_secret", "value": "", "description": "Set locally; never exported."},
        {"key": "code", "value": ""},
        {"key": "code_verifier", "value": ""},
        {"key": "refresh_token", "value": ""},
        {"key": "access_token", "value": ""},
        {"key": "m2m_client_id", "value": settings.m2m_client_id},
        {"key": "m2m_client_secret", "value": ""},
        {"key": "m2m_scope", "value": ""},
        {"key": "id_token", "value": "", "description": "id_token_hint for an OIDC provider's logout."},
    ]
    return {
        "info": {
            "_postman_id": str(uuid.uuid5(uuid.NAMESPACE_URL, settings.issuer + settings.client_id)),
            "name": "Cognito Flow Lab: " + settings.issuer,
            "description": "Requests for every endpoint of this provider. Secrets are variables, left empty.",
            "schema": POSTMAN_SCHEMA,
        },
        "auth": {"type": "oauth2", "oauth2": oauth2},
        "item": items,
        "variable": variables,
    }


def to_json(data: object) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False)
