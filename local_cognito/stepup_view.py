"""The authenticator-code (TOTP) step of a sign-in that `acr_values` asks to reach level 4
(urn:cognito:loa:4: a password with a TOTP; local_cognito/stepup.py). The provider shows the demo
users' current codes, as it shows their passwords, so a demo needs no authenticator app."""

from __future__ import annotations

from flask import Blueprint, redirect, request
from werkzeug.wrappers import Response as BaseResponse

from . import stepup
from .views import (
    SESSION_COOKIE,
    XSRF_COOKIE,
    _absolute,
    _authorize_args,
    _complete,
    form_page,
    form_refusal,
    page_request,
    pool,
)

bp = Blueprint("stepup", __name__)
MAX_FAILURES = 5


@bp.route("/login/totp", methods=["GET", "POST"])
def totp() -> BaseResponse:
    args = _authorize_args()
    checked = page_request(args)
    if not isinstance(checked, tuple):
        return checked
    client, scopes = checked
    sid = request.cookies.get(SESSION_COOKIE)
    session = pool().session(sid)
    if session is None or sid is None:  # the password step first
        return redirect(_absolute("cognito.login", **args))
    message, status = "", 400
    if request.method == "POST":
        refusal = form_refusal()
        if refusal is not None:
            message, status = refusal
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
    return form_page(
        "totp.html",
        message,
        status,
        args=args,
        client=client,
        username=session["username"],
        demo_code=stepup.totp(user["totp_secret"], pool().clock()) if user.get("totp_secret") else None,
    )
