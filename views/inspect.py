"""The token inspector page: paste a token, see it decoded and verified. Nothing is stored or traced."""

from __future__ import annotations

import re

from flask import Blueprint, Response, render_template, request

from lab.inspector import MAX_PASTE, InspectError, inspect_token
from lab.offline import inspect_with_keyset
from oauth.keyset import MAX_KEYSET

from . import oauth_client, settings, signin

bp = Blueprint("inspect", __name__)

# five base64url parts: a JWE, which is what Cognito's refresh tokens are; never echoed back into a page
JWE_LIKE = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")


def _echo(paste: str, limit: int, own: str | None) -> str:
    """A paste given back after a 400, to be fixed; "" when it is too long or could hold a refresh token (one
    shaped like a JWE, or this session's own, `own`): refresh tokens never reach a page."""
    if len(paste) > limit or JWE_LIKE.search(paste) or (own and own in paste):
        return ""
    return paste


@bp.after_request
def _no_store(response: Response) -> Response:
    if request.endpoint == "inspect.page":
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cache-Control"] = "no-store"
    return response


# POST is rate-limited per client address (RATE_LIMIT_INSPECT, views/limits.py).
@bp.route("/inspect", methods=["GET", "POST"])
def page() -> Response | str:
    limits = {"max_paste": MAX_PASTE, "max_keyset": MAX_KEYSET}
    if request.method != "POST":  # GET, and HEAD (Flask answers it with the GET view): never an inspection
        return render_template("inspect.html", result=None, **limits)
    form = request.form
    offline = {k: form.get(k, "") for k in ("at", "issuer", "client_id")}
    try:
        # the pasted token and key set live in this request only: never in the session, the trace or a log
        jwks = form.get("jwks", "")
        if jwks.strip() or len(jwks) > MAX_KEYSET:  # an oversized paste is a 413 whatever it holds
            result = inspect_with_keyset(form.get("token", ""), jwks, source="the pasted key set", **offline)
        elif any(v.strip() for v in offline.values()):
            raise InspectError(400, "The time, issuer and client id are for a pasted key set: paste its JWKS too.")
        else:
            result = inspect_token(form.get("token", ""), settings().client, oauth_client().presets)
    except InspectError as exc:
        # a 400 gives the paste back to fix (this response only, never stored); an oversized one is not echoed
        kept = None
        if exc.status != 413:
            own = signin.refresh_token()
            kept = {
                "token": _echo(form.get("token", ""), MAX_PASTE, own),
                "jwks": _echo(form.get("jwks", ""), MAX_KEYSET, own),
            }
        html = render_template("inspect.html", result=None, error=exc.message, offline=offline, kept=kept, **limits)
        return Response(html, status=exc.status, mimetype="text/html")
    return render_template("inspect.html", result=result, offline=offline, **limits)
