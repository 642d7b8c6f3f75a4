"""Machine to machine: the client-credentials grant, with no user."""

from __future__ import annotations

import json
import time

from flask import Blueprint, Response, redirect, render_template, request, session, url_for

from lab.causes import refusal_message
from lab.claims import MACHINE_CLAIMS, explain_claims
from lab.display import shorten
from oauth.errors import ProviderRefused
from oauth.raw import shorten_response

from . import api, oauth_client, settings, tracing
from .errors import problem

bp = Blueprint("machine", __name__)


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
    reply = api.who_am_i(f"Bearer {token}")  # the resource-server function itself, no HTTP round trip
    took_ms = (time.monotonic() - began) * 1000
    try:
        body = json.dumps(reply.get_json(), indent=2)
    except (TypeError, ValueError):
        body = reply.get_data(as_text=True)[:2000]
    tracing.note_exchange(
        "api",
        method="GET",
        url=s.app_url + "/api/me",
        headers={"Authorization": f"Bearer {token}"},
        status=reply.status_code,
        response_headers=dict(reply.headers),
        body=reply.get_data(as_text=True),
        duration_ms=took_ms,
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
