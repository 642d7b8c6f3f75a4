"""This app's own API called from its pages (the dashboard, /machine): the resource server's answer,
recorded in the trace as the exchange it stands for, and what the page shows of it."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from lab.display import shorten
from lab.scopes import scope_refusal
from oauth.tokens import decode_unverified
from tracing.model import Exchange

from .context import Context
from .state import Screen, SignIn

SHOWN_HEADERS = ("Content-Type", "WWW-Authenticate")


def call_api_traced(ctx: Context, token: str) -> dict[str, Any]:
    """GET /api/me with `token`, answered by the resource server itself (no HTTP round trip through the
    app), recorded in the trace; returns what the page shows: the exchange, the token shortened."""
    header = f"Bearer {token}"
    began = time.monotonic()
    reply = ctx.resource.answer(header)
    took_ms = (time.monotonic() - began) * 1000
    headers = {"Content-Type": "application/json", "Content-Length": str(len(reply.body.encode()))}
    if reply.challenge:
        headers["WWW-Authenticate"] = reply.challenge
    try:
        body = json.dumps(json.loads(reply.body), indent=2)
    except ValueError:
        body = reply.body[:2000]
    exchange = Exchange(
        "api",
        "GET",
        ctx.client.config.app_url + "/api/me",
        request_headers={"Authorization": header},
        status=reply.status,
        response_headers=headers,
        response_body=reply.body,
        duration_ms=took_ms,
    )
    ctx.trace.note_exchange(exchange)
    return {
        "request": f"{exchange.method} {exchange.url}\nAuthorization: Bearer {shorten(token)}",
        "status": reply.status,
        "headers": {k: v for k, v in headers.items() if k in SHOWN_HEADERS},
        "body": body,
    }


def _scope_of(token: str) -> object:
    """The token's unverified `scope` claim (None: no such claim, or not a JWT)."""
    try:
        return decode_unverified(token)[1].get("scope")
    except ValueError:
        return None


@dataclass(frozen=True)
class NoSuchToken:
    """This sign-in has no token of that kind (no ID token: the openid scope was not asked for)."""


def call_api(ctx: Context, user: SignIn, kind: str) -> dict[str, Any] | NoSuchToken:
    """The dashboard's API call with the sign-in's access token (`kind` "access") or ID token ("id"); the
    dashboard shows the exchange (its screen state holds it)."""
    token = user.id_token if kind == "id" else user.access_token
    if not token:
        return NoSuchToken()
    answer = call_api_traced(ctx, token)
    challenge = answer["headers"].get("WWW-Authenticate", "")
    why = scope_refusal(answer["status"], challenge, _scope_of(token))  # a 403 names the missing scope
    shown = {"token": kind, **answer, "scope_refusal": why}
    screen = Screen.load(ctx.session)
    screen.api_call = shown
    screen.save(ctx.session, "api")
    return shown
