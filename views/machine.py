"""Machine to machine: the client-credentials grant, with no user."""

from __future__ import annotations

import time

from flask import Blueprint, render_template, request, session
from werkzeug.wrappers import Response

from flows.api import call_api_traced
from flows.keys import MACHINE_SCOPE, MACHINE_TOKEN
from lab.causes import refusal_message
from lab.claims import MACHINE_CLAIMS, explain_claims
from lab.display import shorten_response
from oauth.errors import ProviderRefused

from . import oauth_client, settings, signin
from .context import flow_context
from .customization import customized
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
    return signin.require_login(
        post_refusal=lambda: problem(401, "Sign in first", "Only a signed-in user can get a machine token here.")
    )


def _claims(claims: dict) -> list[dict]:
    rows = explain_claims(claims, time.time())
    for row in rows:
        row["meaning"] = MACHINE_CLAIMS.get(row["name"], row["meaning"])
    return rows


@bp.route("/machine", methods=["GET", "POST"])
def machine() -> tuple[str, int]:
    scope = (request.form.get("scope") or "").strip()[:500]
    result, error, token, api, response = None, "", None, None, None
    status = 200
    client = oauth_client()
    if request.method == "POST" and request.form.get("action") == "call_api":
        token = MACHINE_TOKEN.get(session)
        if not token:
            error, status = "Get a token first: there is no machine token in this session.", 400
        else:
            api = call_api_traced(flow_context(), token)
            scope = MACHINE_SCOPE.get(session) or ""
    elif request.method == "POST":
        try:
            tokens = client.client_credentials(scope)
            token = tokens["access_token"]
            response = shorten_response(tokens)  # the raw answer, the token shortened (Reveal shows it whole)
            MACHINE_TOKEN.set(token, session)
            MACHINE_SCOPE.set(scope, session)
        except ProviderRefused as exc:
            error, status = refusal_message(exc), 400
    if token:
        verification = client.presets.machine.verify_access(token)
        rows = _claims(verification.claims)
        result = {
            "claims": rows,
            "customization": customized(rows, verification.claims, "access"),  # V3_0 customizes these too
            "checks": verification.checks,
            "ok": verification.ok,
            "header": verification.header,
            "response": response,
            "exp": verification.claims.get("exp") if isinstance(verification.claims.get("exp"), int) else None,
        }
    html = render_template("machine.html", scope=scope, result=result, error=error, token=token, api=api)
    return html, status
