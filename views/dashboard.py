"""Home page, the token dashboard, and /api/session."""

from __future__ import annotations

import re
import time

from flask import Blueprint, Response, render_template, request, session
from markupsafe import Markup, escape

from flows.state import Screen, SignIn
from lab.claims import explain_claims
from lab.display import PAGE_NAMES
from lab.glossary import term_phrase
from lab.remembered import from_stored
from lab.rotation import rotation_panel
from oauth import transactions
from oauth.client import is_jwt
from oauth.kept import KeptVerification
from oauth.times import format_time
from oauth.tokens import decode_unverified

from . import settings, signout_note, unverified_claims
from .customization import customized
from .signin import current, login_required

bp = Blueprint("dashboard", __name__)

EXPIRED = {
    "idle": "You were signed out because the session was idle for too long.",
    "max": "You were signed out because the session reached its maximum age.",
}


@bp.get("/")
def index() -> Response:
    notice = ""
    if request.args.get("signed_out"):
        notice = "You are signed out. The server-side session was cleared."
    notice = EXPIRED.get(request.args.get("expired", ""), notice)
    asked = transactions.safe_next(request.args.get("next"))  # where a sign-in started here lands
    html = render_template(
        "index.html",
        notice=notice,
        revoke_failed=signout_note.take(),
        login_required=bool(request.args.get("login_required")),
        next=asked,
        asked_name=PAGE_NAMES.get(asked, "that page"),
    )
    return signout_note.forget(Response(html, mimetype="text/html"))


BREAK_AFTER = re.compile(r"([/.:_,&?=-])")


def soft_breaks(value: object) -> Markup:
    """Escape a claim value and let it wrap only after separators (`/`, `.`, `-`, ...), so URLs and
    ids break at sensible points and numbers never break."""
    parts = BREAK_AFTER.split(str(value))
    return Markup("").join(escape(p) + (Markup("<wbr>") if i % 2 else "") for i, p in enumerate(parts))


def arrival(auth: SignIn) -> str:
    """One sentence on how the session's tokens reached this app."""
    s = settings().client
    if s.client_secret:
        how = f"with client authentication ({s.client_auth}), {term_phrase(s.client_auth)}"
    else:
        how = "as a public client (no secret)"
    refreshed = (Screen.load(session).last_refresh or {}).get("ok")
    grant = "a refresh" if refreshed else "the code exchange"
    channel = "Arrived on the back channel (server to server)"
    return f"{channel}: from the token endpoint in {grant}, {how}. Never through your browser."


def _token_view(token: str, kind: str, kept: KeptVerification, now: float, how: str) -> dict:
    """One kept token as the dashboard shows it: the checks made when it was stored (its clock read now), and
    its claims marked where token customization made them (views/customization.py)."""
    try:
        header, claims = decode_unverified(token)
    except ValueError:  # its structure check failed when it was stored: nothing else to read
        header, claims = {}, {}
    checks = kept.checks_at(claims, now)
    rows = explain_claims(claims, now)
    return {
        "header": header,
        "claims": rows,
        "customization": customized(rows, claims, kind),
        "checks": checks,
        "ok": all(c.passed for c in checks),
        "arrival": how,
    }


@bp.get("/dashboard")
@login_required
def dashboard() -> Response:
    """The dashboard; after "sign in as someone else" it also says what signing out the previous user
    could not do (its refresh token not revoked)."""
    response = render_dashboard(
        current(), revoke_failed=signout_note.take(), already=request.args.get("already") == "1"
    )
    return signout_note.forget(response)


def render_dashboard(auth: SignIn, status: int = 200, revoke_failed: str = "", already: bool = False) -> Response:
    """The dashboard; lifecycle steps that failed render it too, with their result inline. It shows the
    checks the sign-in (or the refresh that replaced a token) made, never verifying a kept token again."""
    how = arrival(auth)
    now = time.time()
    screen = Screen.load(session)
    tokens = []
    if auth.id_token and auth.id_checks:
        tokens.append(("ID token", "id", _token_view(auth.id_token, "id", auth.id_checks, now, how)))
    if is_jwt(auth.access_token) and auth.access_checks:
        tokens.append(
            ("Access token", "access", _token_view(auth.access_token, "access", auth.access_checks, now, how))
        )
    else:  # opaque (not a JWT): only the provider can tell what it means
        tokens.append(("Access token", "access", {"opaque": True, "arrival": how}))
    claims = unverified_claims(auth.id_token) or {}
    who = next((str(claims[k]) for k in ("cognito:username", "username", "email", "name", "sub") if claims.get(k)), "?")
    html = render_template(
        "dashboard.html",
        who=who,
        auth=auth,
        screen=screen,
        tokens=tokens,
        login_at=format_time(auth.login_at, now),
        has_refresh=bool(auth.refresh_token),
        access_exp=_int_claim(auth.access_token, "exp"),
        raw_tokens=[(t, k) for t, k, _ in tokens],
        raw_response=screen.token_response,
        rotation=rotation_panel(screen.last_refresh, held=bool(auth.rotated_out), now=now),
        revoke_failed=revoke_failed,
        already=already,
        remembered=from_stored(auth.remembered),
    )
    return Response(html, status=status, mimetype="text/html")


def _int_claim(token: str, name: str) -> int | None:
    value = (unverified_claims(token) or {}).get(name)
    return value if isinstance(value, int) else None
