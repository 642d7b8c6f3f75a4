"""Machine to machine: the client-credentials grant, with no user."""

from __future__ import annotations

import json
import time

from flask import Blueprint, Response, current_app, redirect, render_template, request, session, url_for

from oauth.errors import ProviderRefused
from oauth.lifecycle import shorten
from oauth.raw import shorten_response
from oauth.tokens import explain_claims

from . import oauth_client, settings, tracing
from .errors import problem

bp = Blueprint("machine", __name__)

CLIENT_CREDENTIALS_CAUSES = {
    "unauthorized_client": (
        "This app client is not allowed client_credentials. In Cognito it must be the client's only "
        "OAuth flow, the client needs a secret, and it needs a custom scope from a resource server."
    ),
    "invalid_scope": "Request a custom scope of the form resource-server-identifier/scope, e.g. flowlab-api/read.",
    "invalid_client": "Check M2M_CLIENT_ID and M2M_CLIENT_SECRET: the machine client's id or secret is wrong.",
}
GIVEN_CREDENTIALS = "Check --client-id and --client-secret: the machine client's id or secret is wrong."

# What a machine token's claims mean: there is no user, the app client is the subject.
MACHINE_CLAIMS = {
    "sub": "Subject: with client credentials there is no user, so it is the machine client's own id.",
    "client_id": "The machine client that authenticated with its id and secret to get this token.",
    "token_use": "Cognito's token type: always 'access' for client credentials (there is no ID token).",
    "scope": "The custom scopes granted, resource-server/scope; an API checks these.",
    "auth_time": "When the machine client authenticated at the token endpoint (no user signed in).",
    "iat": "When the token was issued.",
    "exp": "When the token expires; a machine simply asks for a new one (there is no refresh token).",
    "iss": "Issuer: the user pool that minted the token.",
    "jti": "Unique id of this token.",
    "version": "Cognito access token format version.",
}


def refusal_message(exc: ProviderRefused, given_credentials: bool = False) -> str:
    """The token endpoint's refusal, with the likely cause for client_credentials.

    `given_credentials`: the id and secret came from --client-id/--client-secret, not the environment."""
    cause = CLIENT_CREDENTIALS_CAUSES.get(exc.error) or exc.cause
    if given_credentials and exc.error == "invalid_client":
        cause = GIVEN_CREDENTIALS
    text = exc.error + (f" ({exc.description})" if exc.description else "")
    return f"{text}: {cause}" if cause else text


@bp.before_request
def _signed_in_only() -> Response | None:
    """The page hands out the machine client's tokens: only to a signed-in user, and with a real
    provider only when MACHINE_PAGE=on (then any user of the pool gets the machine client's scopes)."""
    if not settings().machine_page:
        return problem(
            404,
            "The machine page is off",
            "With a real provider this page is off unless MACHINE_PAGE=on: it would give any signed-in user "
            "the machine client's scopes.",
            hint="Use the CLI instead: flask --app app token client-credentials",
        )
    if not session.get("auth"):
        if request.method == "POST":
            return problem(401, "Sign in first", "Only a signed-in user can get a machine token here.")
        return redirect(url_for("dashboard.index", login_required=1))
    return None


def _claims(claims: dict) -> list[dict]:
    rows = explain_claims(claims, time.time())
    for row in rows:
        row["meaning"] = MACHINE_CLAIMS.get(row["name"], row["meaning"])
    return rows


def _call_api(token: str) -> dict:
    """This app's own /api/me, called with the machine token (recorded in the trace)."""
    s = settings()
    began = time.monotonic()
    with current_app.test_client() as inner:
        reply = inner.get("/api/me", headers={"Authorization": f"Bearer {token}"})
    took_ms = (time.monotonic() - began) * 1000
    try:
        body = json.dumps(reply.get_json(), indent=2)
    except (TypeError, ValueError):
        body = reply.get_data(as_text=True)[:2000]
    tracing.note_exchange(
        "api",
        "GET",
        s.app_url + "/api/me",
        {"Authorization": f"Bearer {token}"},
        reply.status_code,
        dict(reply.headers),
        reply.get_data(as_text=True),
        took_ms,
    )
    return {
        "request": f"GET {s.app_url}/api/me\nAuthorization: Bearer {shorten(token)}",
        "status": reply.status_code,
        "headers": {k: v for k, v in reply.headers.items() if k in ("Content-Type", "WWW-Authenticate")},
        "body": body,
    }


@bp.route("/machine", methods=["GET", "POST"])
def machine() -> tuple[str, int]:
    s = settings()
    scope = (request.form.get("scope") or "").strip()[:500]
    result, error, token, api, response = None, "", None, None, None
    status = 200
    client = oauth_client()
    if request.method == "POST" and request.form.get("action") == "call_api":
        token = session.get("machine_token")
        if not token:
            error, status = "Get a token first: there is no machine token in this session.", 400
        else:
            api = _call_api(token)
            scope = session.get("machine_scope", "")
    elif request.method == "POST":
        try:
            tokens = client.client_credentials(scope)
            token = tokens["access_token"]
            response = shorten_response(tokens)  # the raw answer, the token shortened (Reveal shows it whole)
            session["machine_token"], session["machine_scope"] = token, scope
        except ProviderRefused as exc:
            error, status = refusal_message(exc), 400
    if token:
        verification = client.verify_access_token(token, (s.m2m_client_id,))
        result = {
            "claims": _claims(verification.claims),
            "checks": verification.checks,
            "ok": verification.ok,
            "header": verification.header,
            "response": response,
            "exp": verification.claims.get("exp") if isinstance(verification.claims.get("exp"), int) else None,
        }
    html = render_template("machine.html", scope=scope, result=result, error=error, token=token, api=api)
    return html, status
