"""Sign-in with the authorization-code grant: /login, /callback, /logout."""

from __future__ import annotations

import hmac
import logging
import time

from flask import Blueprint, current_app, make_response, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from lab.causes import likely_cause
from lab.claims import WHY
from lab.compare import code_run_record
from oauth import authorize_probe, transactions
from oauth.calls import PreparedCall
from oauth.client import is_jwt
from oauth.errors import ClientError, IssuerMismatch, ProviderRefused
from oauth.http import ProviderError
from oauth.kept import KeptVerification
from oauth.tokens import Verification
from tracing import recorder

from . import antiforgery, oauth_client, presenter, settings, signin, signout_note
from .errors import problem
from .session_keys import AFTER_LOGOUT, CODE_RUN, COMPLETED_LOGIN, PRESENTER_PENDING, SEEN_AT, TX

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
    hint = likely_cause(authorize_probe.scope_error(error, description))  # Cognito's invalid_request+invalid_scope
    return problem(400, "Sign-in did not complete", detail, hint=hint, error=error)


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
        again = _opened_again(request.args.get("state"), request.args.get("code", ""))
        if again is not None:
            return again
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
        return _exchange_screen(code, tx, call, int(time.time()))
    return _finish_login(tx, call)


def _code_mac(code: str) -> str:
    return antiforgery.mac("completed-code", code.encode())


def _opened_again(state: str | None, code: str) -> Response | str | None:
    """A callback whose state was used already, in this browser: the paused exchange reloaded (show the
    pause again), or the callback of the sign-in this session completed, opened again. The same code
    is a reload or Back (say so, link to its result); a new code means the provider's sign-in form was
    used again after Back (land on the dashboard, one sentence). None: not this browser's sign-in."""
    pending = PRESENTER_PENDING.get()
    if pending and presenter.presenting() and pending.get("state") == state and pending.get("code") == code:
        arrived = pending.pop("code_at", None)
        tx = transactions.Transaction(**{k: v for k, v in pending.items() if k != "code"})
        return _exchange_screen(code, tx, oauth_client().prepare_exchange(code, tx), arrived)
    done = COMPLETED_LOGIN.get()
    if not done or not state or done.get("state") != state or signin.load() is None:
        return None
    if hmac.compare_digest(str(done.get("code", "")), _code_mac(code)):
        return render_template("completed_again.html", result=transactions.safe_next(done.get("next")))
    return redirect(url_for("dashboard.dashboard", already=1))


def _exchange_screen(
    code: str, tx: transactions.Transaction, call: PreparedCall, arrived: int | None, changed: bool = False
) -> str:
    """Pause before the code exchange: keep the code, when it arrived and the transaction (never the
    call, which may hold the client secret) for Continue, which prepares the call again and sends it
    only if it is this one. The screen counts down the code's life where the provider documents it."""
    arrived = int(time.time()) if not isinstance(arrived, int) else arrived
    PRESENTER_PENDING.set({"code": code, "state": tx.state, "code_at": arrived, **tx.as_dict()})
    lifetime = oauth_client().code_lifetime()
    return presenter.call_screen(
        title="Exchange the code for tokens",
        call=call,
        expect="The provider answers with an ID token, an access token and a refresh token. The app then "
        "verifies the ID token (signature via the JWKS, iss, aud, token_use, exp, iat, nonce, at_hash) "
        "before it stores anything, and shows the dashboard.",
        action=url_for("auth.callback_continue"),
        fields={},
        changed=changed,
        expires_at=arrived + lifetime if lifetime else None,
    )


@bp.post("/callback/continue")
def callback_continue() -> Response | str:
    """Presenter mode: the paused code exchange, resumed with the very call the screen showed."""
    pending = PRESENTER_PENDING.pop()
    if pending is None or "code" not in pending:
        return problem(400, "Nothing to continue", "There is no paused sign-in in this session.")
    code = pending.pop("code")
    arrived = pending.pop("code_at", None)
    tx = transactions.Transaction(**pending)
    call = oauth_client().prepare_exchange(code, tx)
    if not presenter.is_the_shown_call(call):
        return _exchange_screen(code, tx, call, arrived, changed=True)
    try:
        return _finish_login(tx, call)
    except ProviderRefused as exc:
        expired = _expired_on_the_pause(exc, arrived, tx)
        if expired is None:
            raise
        return expired


def _expired_on_the_pause(exc: ProviderRefused, arrived: object, tx: transactions.Transaction) -> Response | None:
    """The provider refused a code that waited on the pause longer than it lives: one sentence, and a
    new sign-in (presenter mode is a cookie, so it stays on). None when that is not what happened."""
    lifetime = oauth_client().code_lifetime()
    waited = int(time.time()) - arrived if isinstance(arrived, int) else 0
    if exc.error != "invalid_grant" or not lifetime or waited <= lifetime:
        return None
    return problem(
        400,
        "The code expired while the sign-in was paused",
        f"Codes live {lifetime // 60} minutes, and this one waited {waited // 60} min {waited % 60} s before "
        "Continue, so the provider refused it (invalid_grant) and nothing was stored.",
        error="invalid_grant",
        action=(url_for("auth.login", next=None if tx.next == "/dashboard" else tx.next), "Sign in again"),
    )


def _finish_login(tx: transactions.Transaction, call: PreparedCall) -> Response | str:
    """Send the prepared code exchange, verify the ID token, and only then store the tokens."""
    client = oauth_client()
    tokens = client.exchange(call, tx.scope)
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
    COMPLETED_LOGIN.set({"state": tx.state, "code": _code_mac(dict(call.form).get("code", "")), "next": tx.next})
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
    revoked, failed = "", ""
    if user and user.refresh_token and not user.refresh_revoked:
        try:
            client.revoke(user.refresh_token)
            revoked = "The revocation answered HTTP 200 with an empty body: the refresh token is revoked."
        except ClientError as exc:
            log.warning("logout: could not revoke the refresh token: %s", exc)
            revoked = failed = signout_note.revoke_failed(exc)
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
        screen = presenter.redirect_screen(
            title="Send the browser to the provider's logout",
            url=provider_logout or url_for("dashboard.index", signed_out=1),
            expect="The app's session is already gone"
            + (" (the refresh token was not revoked)" if failed else " and the refresh token revoked")
            + ". The provider now ends its own sign-in session and sends the browser back to /signed-out.",
            came_back=revoked,
        )
        return signout_note.remember(make_response(screen), failed) if failed else screen
    if switch:
        AFTER_LOGOUT.set("switch")
        signin.new_session_id()
        switching = redirect(provider_logout or url_for("auth.login", prompt="login"))
        return signout_note.remember(switching, failed) if failed else switching
    response = redirect(provider_logout or url_for("dashboard.index", signed_out=1))
    if failed:
        signout_note.remember(response, failed)
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
