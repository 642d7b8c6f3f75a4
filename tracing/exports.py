"""Replay and export: curl per step, HAR 1.2, Markdown, and a Postman v2.1 collection.

Everything here works from redacted steps, so no export can contain a secret.
"""

from __future__ import annotations

import json
import shlex
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from oauth.config import ClientConfig
from oauth.discovery import ProviderMetadata

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
    if body and "x-www-form-urlencoded" in step.request_headers.get("Content-Type", FORM):
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
            request["postData"] = {"mimeType": req_headers.get("Content-Type", FORM), "text": req_body}
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
                        "mimeType": res_headers.get("Content-Type", "application/octet-stream"),
                        "text": res_body,
                    },
                    "redirectURL": res_headers.get("Location", ""),
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


def postman_collection(settings: ClientConfig, meta: ProviderMetadata) -> dict:
    """A Postman v2.1 collection for this provider: one request per endpoint, OAuth 2.0 auth set up."""
    auth_method = "body" if settings.client_auth == "client_secret_post" else "header"

    def kv(key: str, value: object, kind: str = "string") -> dict:
        return {"key": key, "value": value, "type": kind}

    oauth2 = [
        kv("grant_type", "authorization_code_with_pkce"),
        kv("authUrl", meta.authorization_endpoint),
        kv("accessTokenUrl", meta.token_endpoint),
        kv("clientId", "{{client_id}}"),
        kv("clientSecret", "{{client_secret}}"),
        kv("scope", " ".join(settings.scopes)),
        kv("redirect_uri", settings.redirect_uri),
        kv("useBrowser", False, "boolean"),
        kv("client_authentication", auth_method),
        kv("challengeAlgorithm", "S256"),
        kv("state", "{{$randomUUID}}"),
        kv("tokenName", "Cognito Flow Lab"),
        kv("addTokenTo", "header"),
    ]
    basic = {
        "type": "basic",
        "basic": [kv("username", "{{client_id}}"), kv("password", "{{client_secret}}")],
    }
    bearer = {"type": "bearer", "bearer": [kv("token", "{{access_token}}")]}
    noauth = {"type": "noauth"}

    def form(*pairs: tuple[str, str]) -> dict:
        return {"mode": "urlencoded", "urlencoded": [{"key": k, "value": v, "type": "text"} for k, v in pairs]}

    def item(name: str, method: str, url: str, description: str, auth: dict, body: dict | None = None) -> dict:
        request: dict = {"method": method, "header": [], "url": url, "description": description, "auth": auth}
        if body:
            request["header"] = [{"key": "Content-Type", "value": FORM}]
            request["body"] = body
        return {"name": name, "request": request}

    items = [
        item("Discovery", "GET", settings.issuer + "/.well-known/openid-configuration", "Provider metadata.", noauth),
        item("JWKS", "GET", meta.jwks_uri, "The provider's public signing keys.", noauth),
        item(
            "Token: authorization code",
            "POST",
            meta.token_endpoint,
            "Trade a code (from the browser) for tokens. Fill {{code}} and {{code_verifier}}.",
            basic,
            form(
                ("grant_type", "authorization_code"),
                ("code", "{{code}}"),
                ("redirect_uri", settings.redirect_uri),
                ("code_verifier", "{{code_verifier}}"),
            ),
        ),
        item(
            "Token: refresh",
            "POST",
            meta.token_endpoint,
            "New access and ID tokens from a refresh token.",
            basic,
            form(("grant_type", "refresh_token"), ("refresh_token", "{{refresh_token}}")),
        ),
        item(
            "Token: client credentials",
            "POST",
            meta.token_endpoint,
            "A machine token; needs a client allowed only client_credentials, with custom scopes.",
            {"type": "basic", "basic": [kv("username", "{{m2m_client_id}}"), kv("password", "{{m2m_client_secret}}")]},
            form(("grant_type", "client_credentials"), ("scope", "{{m2m_scope}}")),
        ),
    ]
    if meta.userinfo_endpoint:
        items.append(item("userInfo", "GET", meta.userinfo_endpoint, "Claims about the user.", bearer))
    if meta.revocation_endpoint:
        items.append(
            item(
                "Revoke refresh token",
                "POST",
                meta.revocation_endpoint,
                "Revokes the refresh token and the tokens issued from it.",
                basic,
                form(("token", "{{refresh_token}}")),
            )
        )
    if meta.end_session_endpoint:
        logout = f"{meta.end_session_endpoint}?client_id={{{{client_id}}}}&logout_uri={settings.signed_out_uri}"
        items.append(item("Logout (open in a browser)", "GET", logout, "Ends the provider session.", noauth))
    items.append(item("Protected API: /api/me", "GET", settings.app_url + "/api/me", "This app's API.", bearer))
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
