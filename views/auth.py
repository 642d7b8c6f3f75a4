"""Sign-in with the authorization-code grant: /login, /callback, /logout (flows/signin.py does the work)."""

from __future__ import annotations

from flask import Blueprint, current_app, make_response, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from flows import signin as flow
from flows.context import SEND, Pending
from flows.keys import AFTER_LOGOUT, TX
from lab.causes import likely_cause
from lab.claims import WHY
from oauth import authorize_probe, transactions
from oauth.errors import IssuerMismatch
from tracing import recorder

from . import antiforgery, oauth_client, presenter, request_state, settings, signin, signout_note
from .context import flow_context
from .errors import problem

bp = Blueprint("auth", __name__)
MAX_CODE_LENGTH = 2048

EXCHANGE = presenter.Pause(
    name="exchange",
    title="Exchange the code for tokens",
    expect="The provider answers with an ID token, an access token and a refresh token. The app then "
    "verifies the ID token (signature via the JWKS, iss, aud, token_use, exp, iat, nonce, at_hash) "
    "before it stores anything, and shows the dashboard.",
    endpoint="auth.callback_continue",
    fields=(),
)
SIGN_OUT = presenter.Pause(
    name="sign_out",
    title="Revoke the refresh token",
    expect="The provider answers 200 with an empty body, and every token from this sign-in is revoked. "
    "Then the app clears its session and sends your browser to the provider's logout.",
    endpoint="auth.logout",
)

REVOKED = "The revocation answered HTTP 200 with an empty body: the refresh token is revoked."


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
    state, code = request.args.get("state"), request.args.get("code", "")
    tx = transactions.take(session, state, "code", key=TX)
    if tx is None:
        again = flow.opened_again(flow_context(), state, code, presenter.approval(EXCHANGE), presenter.presenting())
        if again is not None:
            return _signed_in(again)
        return problem(
            400,
            "Unknown or already used state",
            "This callback's state does not match a sign-in started in this browser, "
            "or it was used already, or it is older than 10 minutes.",
            hint="Start again from the home page. Never reuse a callback URL.",
            error="invalid_state",
        )
    if not code or len(code) > MAX_CODE_LENGTH:
        return problem(
            400, "Missing or malformed code", "The callback carries no usable code.", error="invalid_request"
        )
    return _signed_in(flow.complete_sign_in(flow_context(), tx, code, presenter.approval(EXCHANGE)))


@bp.post("/callback/continue")
def callback_continue() -> Response | str:
    """Presenter mode: the paused code exchange, resumed with the very call the screen showed."""
    return _signed_in(flow.resume_sign_in(flow_context(), presenter.approval(EXCHANGE, continued=True)))


def _signed_in(
    outcome: flow.SignInOutcome
    | flow.CodeExpired
    | flow.NothingToContinue
    | flow.CompletedAgain
    | flow.SignedInAlready,
) -> Response | str:
    """The answer to a sign-in's outcome: the presenter's pause before the exchange, or what came of it."""
    if isinstance(outcome, Pending):
        return presenter.call_screen(EXCHANGE, outcome)
    if isinstance(outcome, flow.IdTokenRejected):
        failure = outcome.failure
        return problem(
            400,
            "The ID token failed verification",
            f"Check '{failure.name}' failed: {failure.detail}.",
            hint=WHY.get(failure.name, "") + " Nothing was stored; sign in again.",
            error="invalid_id_token",
        )
    if isinstance(outcome, flow.NothingToContinue):
        return problem(400, "Nothing to continue", "There is no paused sign-in in this session.")
    if isinstance(outcome, flow.CodeExpired):  # presenter mode is a cookie, so it stays on
        waited, again = outcome.waited, None if outcome.next == "/dashboard" else outcome.next
        return problem(
            400,
            "The code expired while the sign-in was paused",
            f"Codes live {outcome.lifetime // 60} minutes, and this one waited {waited // 60} min {waited % 60} s "
            "before Continue, so the provider refused it (invalid_grant) and nothing was stored.",
            error="invalid_grant",
            action=(url_for("auth.login", next=again), "Sign in again"),
        )
    if isinstance(outcome, flow.CompletedAgain):
        return render_template("completed_again.html", result=outcome.next)
    if isinstance(outcome, flow.SignedInAlready):
        return redirect(url_for("dashboard.dashboard", already=1))
    request_state.current().user = outcome.user
    return presenter.answered(
        title="What came back from the token endpoint",
        fields=outcome.tokens,
        expect="The app verified the ID token (signature, iss, aud, token_use, exp, iat, nonce, at_hash) "
        "and only then stored the tokens in the server-side session. Next: the dashboard.",
        go_url=outcome.next,
        otherwise=redirect(outcome.next),
    )


def _end_sessions(switch: bool) -> Response | str:
    """Revoke the refresh token (unless the presenter pauses first), clear the server session, and end the
    provider's session."""
    presenting = presenter.presenting()
    ctx = flow_context()
    return_to = settings().client.signed_out_uri
    # switching user never pauses: it signs out and in again in one go
    outcome = flow.sign_out(ctx, return_to, SEND if switch else presenter.approval(SIGN_OUT))
    if isinstance(outcome, Pending):
        return presenter.call_screen(SIGN_OUT, outcome)
    failed = signout_note.revoke_failed(outcome.revoke_error) if outcome.revoke_error else ""
    revoked = REVOKED if outcome.revoked else failed
    provider_logout = outcome.logout_url
    antiforgery.rotate()
    if presenting:  # the display preference (its own cookie) survives; nothing else does
        if switch:
            AFTER_LOGOUT.set("switch", session)
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
        AFTER_LOGOUT.set("switch", session)
        signin.new_session_id()
        switching = redirect(provider_logout or url_for("auth.login", prompt="login"))
        return signout_note.remember(switching, failed) if failed else switching
    response = redirect(provider_logout or url_for("dashboard.index", signed_out=1))
    if failed:
        signout_note.remember(response, failed)
    s = settings()
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
    if AFTER_LOGOUT.pop(session) == "switch":
        return redirect(url_for("auth.login", prompt="login"))
    return redirect(url_for("dashboard.index", signed_out=1))
