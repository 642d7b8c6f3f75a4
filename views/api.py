"""The resource-server side: GET /api/me validates a Cognito access token (RFC 6750); GET /api/session
summarises the signed-in session (claims and flags, no token)."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping

from flask import Blueprint, Response, current_app, jsonify, request

from lab.display import shorten
from oauth.http import ProviderError
from oauth.resource import BearerError, bearer_token, check_bearer
from oauth.tokens import Verification
from oauth.verified_cache import VerifiedTokenCache
from tracing import recorder
from tracing.model import Exchange

from . import oauth_client, settings, signin, unverified_claims

bp = Blueprint("api", __name__)


def _bearer_error(exc: BearerError) -> Response:
    body = {
        "error": exc.error or "unauthorized",
        "error_description": exc.description or "a Bearer token is required",
    }
    response = jsonify(body)
    response.status_code = exc.status
    response.headers["WWW-Authenticate"] = exc.challenge()
    return response


@bp.get("/api/health")
def health() -> Response:
    """No authentication: for load balancers, and the baseline that /api/me is measured against."""
    return jsonify({"ok": True})


@bp.route("/api/me", methods=["GET", "POST"])
def me() -> Response:
    header = request.headers.get("Authorization", "")
    if request.method == "GET" and header.startswith("Bearer ") and "access_token" not in request.args:
        return who_am_i(header)
    form = request.form if request.method == "POST" else {}  # a GET has no body to parse
    return who_am_i(header, request.args, form)


def who_am_i(header: str, query: Mapping[str, str] | None = None, form: Mapping[str, str] | None = None) -> Response:
    """The resource server's answer to one request: the caller's identity, or an RFC 6750 error.
    The app's own pages call it directly with a session token (no HTTP round trip through the app)."""
    s = settings()
    client = oauth_client()
    cache: VerifiedTokenCache[str] = current_app.extensions["verified_tokens"]
    current = client.jwks.current  # a cached answer only while its key is in a fresh JWKS
    if query is None and form is None and header.startswith("Bearer "):
        body = cache.get(header[7:], current)  # fast path: this exact token passed every check before
        if body is not None:
            return Response(body, mimetype="application/json")
    try:
        token = bearer_token(header or None, query or {}, form or {})
        body = cache.get(token, current)  # the serialised answer for an already-verified token
        if body is None:
            verified = []

            def verify(t: str) -> Verification:
                verified.append(client.presets.api.verify_access(t))
                return verified[-1]

            identity = check_bearer(token, verify, s.api_required_scope)
            body = current_app.json.dumps(identity) + "\n"
            cache.put(token, body, identity["exp"], verified[-1].kid)
    except BearerError as exc:
        return _bearer_error(exc)
    except ProviderError as exc:
        response = jsonify({"error": "temporarily_unavailable", "error_description": f"JWKS: {exc.message}"})
        response.status_code = 502
        return response
    return Response(body, mimetype="application/json")


@bp.get("/api/session")
def session_summary() -> Response:
    """What the session holds, for scripts: claims and flags, never a token."""
    auth = signin.load()
    if auth is None:
        return jsonify({"authenticated": False})
    return jsonify(
        {
            "authenticated": True,
            "flow": auth.flow,
            "sub": auth.sub,
            "login_at": auth.login_at,
            "id_token_claims": unverified_claims(auth.id_token),
            "access_token_claims": unverified_claims(auth.access_token),
            "refresh_token": "present" if auth.refresh_token else "absent",
        }
    )


def call_api_traced(token: str) -> dict:
    """This app's own /api/me called with `token`, recorded in the trace; returns what the page shows."""
    s = settings()
    header = f"Bearer {token}"
    began = time.monotonic()
    reply = who_am_i(header)  # the resource-server function itself, no HTTP round trip
    took_ms = (time.monotonic() - began) * 1000
    try:
        body = json.dumps(reply.get_json(), indent=2)
    except (TypeError, ValueError):
        body = reply.get_data(as_text=True)[:2000]
    exchange = Exchange(
        "api",
        "GET",
        s.app_url + "/api/me",
        request_headers={"Authorization": header},
        status=reply.status_code,
        response_headers=dict(reply.headers),
        response_body=reply.get_data(as_text=True),
        duration_ms=took_ms,
    )
    recorder.note_exchange(exchange)
    return {  # what the page shows: the exchange just recorded, the token shortened
        "request": f"{exchange.method} {exchange.url}\nAuthorization: Bearer {shorten(token)}",
        "status": reply.status_code,
        "headers": {k: v for k, v in reply.headers.items() if k in ("Content-Type", "WWW-Authenticate")},
        "body": body,
    }
