"""Home page, the token dashboard, and /api/session."""

from __future__ import annotations

import time

from flask import Blueprint, Response, redirect, render_template, request, session, url_for

from lab.claims import explain_claims
from lab.times import format_time
from oauth.tokens import SKIP

from . import oauth_client, unverified_claims

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


def _token_view(result, now: float) -> dict:
    return {
        "header": result.header,
        "claims": explain_claims(result.claims, now),
        "checks": result.checks,
        "ok": result.ok,
    }


@bp.get("/dashboard")
def dashboard() -> Response | str:
    auth = session.get("auth")
    if not auth:
        return redirect(url_for("dashboard.index", login_required=1))
    client = oauth_client()
    now = time.time()
    tokens = []
    if auth.get("id_token"):
        # the login's nonce; after a refresh the session holds none, and the new ID token carries none
        nonce = auth.get("nonce") or SKIP
        result = client.verify_id_token(auth["id_token"], nonce=nonce, access_token=auth["access_token"])
        tokens.append(("ID token", "id", _token_view(result, now)))
    if auth["access_token"].count(".") == 2:
        result = client.verify_access_token(auth["access_token"])
        tokens.append(("Access token", "access", _token_view(result, now)))
    else:  # opaque (not a JWT): only the provider can tell what it means
        result = None
        tokens.append(("Access token", "access", {"opaque": True}))
    claims = unverified_claims(auth.get("id_token")) or {}
    who = next((str(claims[k]) for k in ("cognito:username", "username", "email", "name", "sub") if claims.get(k)), "?")
    return render_template(
        "dashboard.html",
        who=who,
        auth=auth,
        tokens=tokens,
        login_at=format_time(auth.get("login_at"), now),
        has_refresh=bool(auth.get("refresh_token")),
        access_exp=result.claims.get("exp") if result and isinstance(result.claims.get("exp"), int) else None,
    )
