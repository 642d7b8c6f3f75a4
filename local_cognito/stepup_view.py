"""The authenticator-code (TOTP) step of a sign-in that `acr_values` asks to reach level 4
(urn:cognito:loa:4: a password with a TOTP; local_cognito/stepup.py). The provider shows the demo
users' current codes, as it shows their passwords, so a demo needs no authenticator app."""

from __future__ import annotations

import hmac
import secrets

from flask import Blueprint, Response, redirect, render_template, request
from werkzeug.wrappers import Response as BaseResponse

from . import stepup
from .pool import OAuthError
from .views import (
    SESSION_COOKIE,
    XSRF_COOKIE,
    _absolute,
    _authorize_args,
    _complete,
    _error_page,
    _error_redirect,
    pool,
)

bp = Blueprint("stepup", __name__)
MAX_FAILURES = 5


@bp.route("/login/totp", methods=["GET", "POST"])
def totp() -> BaseResponse:
    args = _authorize_args()
    try:
        client, scopes = pool().validate_authorize(args)
    except OAuthError as exc:
        if exc.error == "redirect_mismatch":
            return _error_page("redirect_mismatch", client_id=args.get("client_id"))
        return _error_redirect(args, exc)
    sid = request.cookies.get(SESSION_COOKIE)
    session = pool().session(sid)
    if session is None or sid is None:  # the password step first
        return redirect(_absolute("cognito.login", **args))
    message = ""
    if request.method == "POST":
        sent, cookie = request.form.get("_csrf", ""), request.cookies.get(XSRF_COOKIE, "")
        if not cookie or not hmac.compare_digest(sent.encode(), cookie.encode()):
            message = "Your sign-in form expired. Please try again."
        elif pool().add_totp(sid, request.form.get("code", "")):
            response = _complete(args, client, scopes, session)
            response.delete_cookie(XSRF_COOKIE)
            return response
        elif session.get("totp_failures", 0) >= MAX_FAILURES:  # no endless guessing: start again
            pool().end_session(sid)
            response = redirect(_absolute("cognito.login", **args))
            response.delete_cookie(SESSION_COOKIE)
            return response
        else:
            message = "Incorrect code. Enter the current code from your authenticator app."
    user = pool().user(session["username"]) or {}
    csrf = secrets.token_urlsafe(24)
    html = render_template(
        "totp.html",
        args=args,
        client=client,
        csrf=csrf,
        message=message,
        username=session["username"],
        demo_code=stepup.totp(user["totp_secret"], pool().clock()) if user.get("totp_secret") else None,
    )
    response = Response(html, status=400 if message else 200, mimetype="text/html")
    response.set_cookie(XSRF_COOKIE, csrf, httponly=True, samesite="Lax")
    response.headers["Cache-Control"] = "no-store"
    return response
