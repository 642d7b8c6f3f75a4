"""Home page, the token dashboard, and /api/session."""

from __future__ import annotations

import re
import time

from flask import Blueprint, Response, redirect, render_template, request, session, url_for
from markupsafe import Markup, escape

from lab.claims import explain_claims
from lab.times import format_time
from oauth.tokens import SKIP

from . import oauth_client, settings, unverified_claims

bp = Blueprint("dashboard", __name__)

EXPIRED = {
    "idle": "You were signed out because the session was idle for too long.",
    "max": "You were signed out because the session reached its maximum age.",
}


@bp.get("/")
def index() -> str:
    notice = ""
    if request.args.get("signed_out"):
        notice = "You are signed out. The server-side session was cleared."
    notice = EXPIRED.get(request.args.get("expired", ""), notice)
    return render_template("index.html", auth=session.get("auth"), notice=notice)


BREAK_AFTER = re.compile(r"([/.:_,&?=-])")


@bp.app_template_filter("soft_breaks")
def soft_breaks(value: object) -> Markup:
    """Escape a claim value and let it wrap only after separators (`/`, `.`, `-`, ...), so URLs and
    ids break at sensible points and numbers never break."""
    parts = BREAK_AFTER.split(str(value))
    return Markup("").join(escape(p) + (Markup("<wbr>") if i % 2 else "") for i, p in enumerate(parts))


def arrival(auth: dict) -> str:
    """One sentence on how the session's tokens reached this app."""
    s = settings()
    how = f"with client authentication ({s.client_auth})" if s.client_secret else "as a public client (no secret)"
    refreshed = (auth.get("last_refresh") or {}).get("ok")
    grant = "a refresh" if refreshed else "the code exchange"
    return f"Arrived on the back channel: from the token endpoint in {grant}, {how}. Never through your browser."


def _token_view(result, now: float, how: str) -> dict:
    return {
        "header": result.header,
        "claims": explain_claims(result.claims, now),
        "checks": result.checks,
        "ok": result.ok,
        "arrival": how,
    }


@bp.get("/dashboard")
def dashboard() -> Response | str:
    return render_dashboard()


def render_dashboard(status: int = 200) -> Response | str:
    """The dashboard; lifecycle steps that failed render it too, with their result inline."""
    auth = session.get("auth")
    if not auth:
        return redirect(url_for("dashboard.index", login_required=1))
    client = oauth_client()
    how = arrival(auth)
    now = time.time()
    tokens = []
    if auth.get("id_token"):
        # the login's nonce; after a refresh the session holds none, and the new ID token carries none
        nonce = auth.get("nonce") or SKIP
        result = client.verify_id_token(auth["id_token"], nonce=nonce, access_token=auth["access_token"])
        tokens.append(("ID token", "id", _token_view(result, now, how)))
    if auth["access_token"].count(".") == 2:
        result = client.verify_access_token(auth["access_token"])
        tokens.append(("Access token", "access", _token_view(result, now, how)))
    else:  # opaque (not a JWT): only the provider can tell what it means
        result = None
        tokens.append(("Access token", "access", {"opaque": True, "arrival": how}))
    claims = unverified_claims(auth.get("id_token")) or {}
    who = next((str(claims[k]) for k in ("cognito:username", "username", "email", "name", "sub") if claims.get(k)), "?")
    html = render_template(
        "dashboard.html",
        who=who,
        auth=auth,
        tokens=tokens,
        login_at=format_time(auth.get("login_at"), now),
        has_refresh=bool(auth.get("refresh_token")),
        access_exp=result.claims.get("exp") if result and isinstance(result.claims.get("exp"), int) else None,
        raw_tokens=[(t, "id" if k == "id" else "access") for t, k, _ in tokens],
        raw_response=auth.get("token_response"),
    )
    return Response(html, status=status, mimetype="text/html")
