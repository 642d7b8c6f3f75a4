"""Machine to machine: the client-credentials grant, with no user."""

from __future__ import annotations

from flask import Blueprint, Response, redirect, render_template, request, session, url_for

from lab.causes import refusal_message
from lab.claims import explain_claims
from oauth.errors import ProviderRefused

from . import oauth_client, settings
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


@bp.route("/machine", methods=["GET", "POST"])
def machine() -> tuple[str, int]:
    s = settings()
    scope = (request.form.get("scope") or "").strip()[:500]
    result, error, token = None, "", None
    status = 200
    if request.method == "POST":
        client = oauth_client()
        try:
            tokens = client.client_credentials(scope)
            token = tokens["access_token"]
            verification = client.verify_access_token(token, (s.m2m_client_id,))
            result = {
                "response": {k: v for k, v in tokens.items() if k != "access_token"},
                "claims": explain_claims(verification.claims),
                "checks": verification.checks,
                "ok": verification.ok,
            }
        except ProviderRefused as exc:
            error, status = refusal_message(exc), 400
    html = render_template("machine.html", scope=scope, result=result, error=error, token=token)
    return html, status
