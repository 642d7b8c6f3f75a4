"""Sign-in with the authorization-code grant: /login, /callback, /logout."""

from __future__ import annotations

import logging
import time

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from lab.causes import likely_cause
from lab.claims import WHY
from lab.compare import code_run_record
from oauth import transactions
from oauth.calls import PreparedCall
from oauth.client import is_jwt
from oauth.errors import ClientError, IssuerMismatch
from oauth.http import ProviderError
from oauth.kept import KeptVerification
from oauth.tokens import Verification
from tracing import recorder

from . import antiforgery, oauth_client, presenter, settings, signin
from .errors import problem
from .session_keys import AFTER_LOGOUT, CODE_RUN, PRESENTER_PENDING, SEEN_AT, TX

bp = Blueprint("auth", __name__)
log = logging.getLogger("flowlab")
MAX_CODE_LENGTH = 2048


@bp.get("/login")
def login() -> Response | str:
    client = oauth_client()
    client.metadata()  # fail with a clear 502 before anything is stored
    tx = transactions.begin(session, "code", request.args.get("next"), key=TX)
    prompt = "login" if request.args.get("prompt") == "login" else None
    url = client.authorize_url(tx, prompt=prompt)
    recorder.note_redirect("authorize", url)
    if presenter.presenting():
        return presenter.redirect_screen(
            title="Send the browser to the authorize endpoint",
            url=url,
            expect="The provider shows its sign-in page. After you sign in, it redirects the browser back to "
            "/callback with a one-time code and the same state.",
        )
    return redirect(url)


def _callback_error() -> Response:
    transactions.take(session, request.args.get("state"), "code", key=TX)
    error = request.args.get("error", "")[:100]
    description = request.args.get("error_description", "")[:500]
    detail = f"The provider sent error={error}" + (f": {description}" if description else ".")
    return problem(400, "Sign-in did not complete", detail, hint=likely_cause(error), error=error)


def store_login(
    tokens: dict, id_result: Verification | None, access_result: Verification | None, flow: str, state: str = ""
) -> None:
    """Put verified tokens in the server-side session, with the checks made on them, and give it a new
    id, a new anti-forgery token and a new trace (which keeps only this sign-in's own steps, found by
    its `state`)."""
    now = int(time.time())
    user = signin.SignIn.from_tokens(
        tokens,
        id_result.claims if id_result else {},
        id_checks=KeptVerification.of(id_result) if id_result else None,
        access_checks=KeptVerification.of(access_result) if access_result else None,
        flow=flow,
        now=now,
    )
    signin.start(user)
    s = settings()
    CODE_RUN.set(code_run_record(tokens, s.client_auth, bool(s.client_secret), list(s.scopes)))
    SEEN_AT.set(now)
    antiforgery.rotate()
    recorder.start_new(keep_login=state)


@bp.after_request
def _callback_headers(response: Response) -> Response:
    if request.endpoint == "auth.callback":
        response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.get("/callback")
def callback() -> Response | str:
    recorder.note_incoming("callback")
    if "error" in request.args:
        return _callback_error()
    try:
        oauth_client().check_callback_issuer(request.args.get("iss"))  # RFC 9207: a mix-up defence
    except IssuerMismatch as exc:
        transactions.take(session, request.args.get("state"), "code", key=TX)
        return problem(
            400,
            "The callback came from another issuer",
            f"The callback's iss is {str(exc.got)[:200]!r}, not the configured issuer {exc.expected!r}.",
            hint="Another authorization server answered (a mix-up attack or a misconfiguration). Nothing was stored.",
            error="invalid_issuer",
        )
    tx = transactions.take(session, request.args.get("state"), "code", key=TX)
    if tx is None:
        return problem(
            400,
            "Unknown or already used state",
            "This callback's state does not match a sign-in started in this browser, "
            "or it was used already, or it is older than 10 minutes.",
            hint="Start again from the home page. Never reuse a callback URL.",
            error="invalid_state",
        )
    code = request.args.get("code", "")
    if not code or len(code) > MAX_CODE_LENGTH:
        return problem(
            400, "Missing or malformed code", "The callback carries no usable code.", error="invalid_request"
        )
    call = oauth_client().prepare_exchange(code, tx)
    if presenter.presenting():
        return _exchange_screen(code, tx, call)
    return _finish_login(tx, call)


def _exchange_screen(code: str, tx: transactions.Transaction, call: PreparedCall, changed: bool = False) -> str:
    """Pause before the code exchange: keep the code and the transaction (never the call, which may hold
    the client secret) for Continue, which prepares the call again and sends it only if it is this one."""
    PRESENTER_PENDING.set({"code": code, "state": tx.state, **tx.as_dict()})
    return presenter.call_screen(
        title="Exchange the code for tokens",
        call=call,
        expect="The provider answers with an ID token, an access token and a refresh token. The app then "
        "verifies the ID token (signature via the JWKS, iss, aud, token_use, exp, iat, nonce, at_hash) "
        "before it stores anything, and shows the dashboard.",
        action=url_for("auth.callback_continue"),
        fields={},
        changed=changed,
    )


@bp.post("/callback/continue")
def callback_continue() -> Response | str:
    """Presenter mode: the paused code exchange, resumed with the very call the screen showed."""
    pending = PRESENTER_PENDING.pop()
    if pending is None or "code" not in pending:
        return problem(400, "Nothing to continue", "There is no paused sign-in in this session.")
    code = pending.pop("code")
    tx = transactions.Transaction(**pending)
    call = oauth_client().prepare_exchange(code, tx)
    if not presenter.is_the_shown_call(call):
        return _exchange_screen(code, tx, call, changed=True)
    return _finish_login(tx, call)


def _finish_login(tx: transactions.Transaction, call: PreparedCall) -> Response | str:
    """Send the prepared code exchange, verify the ID token, and only then store the tokens."""
    client = oauth_client()
    tokens = client.exchange(call)
    preset = client.presets.sign_in
    result = None
    if tokens.get("id_token"):
        result = preset.verify_id(tokens["id_token"], nonce=tx.nonce, access_token=tokens["access_token"])
        failure = result.failure
        if failure is not None:
            return problem(
                400,
                "The ID token failed verification",
                f"Check '{failure.name}' failed: {failure.detail}.",
                hint=WHY.get(failure.name, "") + " Nothing was stored; sign in again.",
                error="invalid_id_token",
            )
    # the access token is for the resource server (RFC 6749 §1.4): its checks are kept for the dashboard,
    # and a failed one does not refuse the sign-in
    access = preset.verify_access(tokens["access_token"]) if is_jwt(tokens["access_token"]) else None
    store_login(tokens, result, access, "code", tx.state)
    if presenter.presenting():
        return presenter.came_back_screen(
            title="What came back from the token endpoint",
            fields=tokens,
            expect="The app verified the ID token (signature, iss, aud, token_use, exp, iat, nonce, at_hash) "
            "and only then stored the tokens in the server-side session. Next: the dashboard.",
            go_url=tx.next,
        )
    return redirect(tx.next)


def _end_sessions(switch: bool) -> Response | str:
    """Revoke the refresh token, clear the server session, and end the provider's session."""
    user = signin.load()
    client = oauth_client()
    s = settings()
    revoked = ""
    if user and user.refresh_token and not user.refresh_revoked:
        try:
            client.revoke(user.refresh_token)
            revoked = "The revocation answered HTTP 200 with an empty body: the refresh token is revoked."
        except ClientError as exc:
            log.warning("logout: could not revoke the refresh token: %s", exc)
            revoked = "The revocation failed; the session is cleared anyway."
    try:
        provider_logout = client.logout_url(s.signed_out_uri, user.id_token if user else None)
    except ProviderError:
        provider_logout = None
    presenting = presenter.presenting()
    session.clear()
    antiforgery.rotate()
    recorder.start_new()  # nothing of the signed-out user stays readable at this browser
    if provider_logout:
        recorder.note_redirect("logout", provider_logout)
    if presenting:  # the display preference (its own cookie) survives; nothing else does
        if switch:
            AFTER_LOGOUT.set("switch")
        signin.new_session_id()
        return presenter.redirect_screen(
            title="Send the browser to the provider's logout",
            url=provider_logout or url_for("dashboard.index", signed_out=1),
            expect="The app's session is already gone and the refresh token revoked. The provider now ends its "
            "own sign-in session and sends the browser back to /signed-out.",
            came_back=revoked,
        )
    if switch:
        AFTER_LOGOUT.set("switch")
        signin.new_session_id()
        return redirect(provider_logout or url_for("auth.login", prompt="login"))
    response = redirect(provider_logout or url_for("dashboard.index", signed_out=1))
    response.delete_cookie(
        current_app.config["SESSION_COOKIE_NAME"],
        path="/",
        secure=s.secure_cookies,
        httponly=True,
        samesite="Lax",
    )
    return response


@bp.route("/logout", methods=["GET", "POST"])
def logout() -> Response | str:
    if request.method != "POST":  # GET and HEAD only ask; signing out needs a POST with the token
        return render_template("confirm_logout.html")
    user = signin.load()
    to_revoke = user.refresh_token if user and not user.refresh_revoked else None
    confirmed = request.form.get("confirmed") == "1"
    if presenter.presenting() and to_revoke:
        try:
            call = oauth_client().prepare_revoke(to_revoke)
        except ProviderError:  # nothing to pause for: sign out as without presenter mode
            return _end_sessions(switch=False)
        if confirmed and presenter.is_the_shown_call(call):
            return _end_sessions(switch=False)  # it sends this same call (same token, same endpoint)
        return presenter.call_screen(
            title="Revoke the refresh token",
            call=call,
            expect="The provider answers 200 with an empty body, and every token from this sign-in is revoked. "
            "Then the app clears its session and sends your browser to the provider's logout.",
            action=url_for("auth.logout"),
            fields={"confirmed": "1"},
            changed=confirmed,
        )
    return _end_sessions(switch=False)


@bp.post("/switch-user")
def switch_user() -> Response | str:
    """Sign out at the provider first, then sign in again (with prompt=login).

    Logging out first is what makes this work everywhere: Cognito honours `prompt=login` only
    with managed login, and the classic hosted UI ignores it and would silently sign the same
    user in again from its session cookie. Ending the provider's session via /logout works on
    both; prompt=login then only adds a forced re-authentication where it is supported.
    """
    return _end_sessions(switch=True)


@bp.get("/signed-out")
def signed_out() -> Response:
    """The registered sign-out URL: the provider sends the browser here after its logout."""
    if AFTER_LOGOUT.pop() == "switch":
        return redirect(url_for("auth.login", prompt="login"))
    return redirect(url_for("dashboard.index", signed_out=1))
