"""The browser-only flow: /spa and /spa/callback (ES modules) and the server-side ID token check."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, render_template, request, session
from werkzeug.exceptions import RequestEntityTooLarge

from flows import browser
from flows.keys import SPA_RUN, TX
from lab.causes import LIKELY_CAUSES
from lab.claims import CLAIMS, WHY
from lab.display import REFRESH_IN_PAGE
from lab.steps import PARAM_HELP, SPA_PARAM_HELP
from oauth import safejson, spa, transactions
from tracing import recorder
from tracing.model import Exchange

from . import oauth_client, request_state, settings
from .context import flow_context
from .errors import problem

bp = Blueprint("spa", __name__)


@bp.after_request
def _headers(response: Response) -> Response:
    if request.endpoint in ("spa.callback", "spa.verify"):
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cache-Control"] = "no-store"
    return response


def _not_configured() -> Response:
    return problem(
        404,
        "No public app client is configured",
        "The browser-only flow needs an app client without a secret, allowed the authorization code grant, "
        f"with the callback URL {settings().client.spa_redirect_uri}.",
        hint="Set OAUTH_PUBLIC_CLIENT_ID in .env (the local provider has one built in).",
        error="not_configured",
    )


def _page(template: str, **extra: object) -> Response | str:
    if not settings().client.public_client_id:
        return _not_configured()
    meta = oauth_client().metadata()  # a clear 502 when discovery fails
    # this page, and only this page, may fetch() the provider
    request_state.current().connect_src = tuple(spa.connect_origins(meta))
    return render_template(
        template,
        config=spa.page_config(settings().client, meta),
        meanings=CLAIMS,
        why=WHY,
        causes=LIKELY_CAUSES,
        param_help={**PARAM_HELP, **SPA_PARAM_HELP},
        **extra,
    )


@bp.get("/spa")
def start() -> Response | str:
    return _page("spa.html")


@bp.get("/spa/callback")
def callback() -> Response | str:
    # the last verified run's outcome (no tokens): what a reload of this page, whose code and
    # sessionStorage transaction the first load took, says
    last = SPA_RUN.get(session)
    last_run = {"verified": last.get("verified") is True, "error": str(last.get("error", ""))} if last else None
    return _page("spa_callback.html", last_run=last_run, refresh_hidden=REFRESH_IN_PAGE)


MAX_BODY = 64 * 1024


def json_body() -> tuple[object, Response | None]:
    """The request's JSON through the app's guard (size and nesting bounded); (body, refusal)."""
    request.max_content_length = MAX_BODY
    try:
        raw = request.get_data(cache=True)
    except RequestEntityTooLarge:
        return None, refuse(f"the body is larger than {MAX_BODY // 1024} KiB", 413)
    try:
        return (safejson.loads(raw) if request.is_json else None), None
    except safejson.JsonRefused as exc:
        return None, refuse(str(exc))
    except ValueError:
        return None, None


def refuse(error: str, status: int = 400, **extra) -> Response:
    """A browser flow's refusal, as its page reads it: {"valid": false, "error": ...}."""
    response = jsonify({"valid": False, "error": error, **extra})
    response.status_code = status
    return response


def verified(outcome: browser.Verified | browser.NotVerified) -> Response:
    """A browser flow's verify answer: the claims and checks, or why the tokens are refused."""
    if isinstance(outcome, browser.NotVerified):
        if outcome.check is None:
            return refuse(outcome.error)
        return refuse(outcome.error, check=outcome.check, checks=outcome.checks)
    return jsonify(outcome.answer)


REPORTED = {"token": "token_endpoint", "refresh": "token_endpoint", "userinfo": "userinfo_endpoint"}
REPORTED["revoke"] = "revocation_endpoint"


@bp.post("/api/spa/trace")
def trace() -> Response:
    """The page's own calls to the provider, for this browser's trace: method, URL, status and time only.
    The bodies (the code, the verifier, the tokens) never leave the page."""
    body, refused = json_body()
    if refused is not None:
        return refused
    if not isinstance(body, dict) or body.get("step") not in REPORTED:
        return refuse("step must be token, refresh, userinfo or revoke")
    meta = oauth_client().metadata()
    url = getattr(meta, REPORTED[body["step"]])
    status, method = body.get("status"), body.get("method")
    if body.get("url") != url or method not in ("GET", "POST"):
        return refuse("url and method must be those of the provider's endpoint for this step")
    if not isinstance(status, int) or isinstance(status, bool) or not 0 <= status <= 599:
        return refuse("status must be an HTTP status (0 when the browser got no answer)")
    note = "(reported by the page: the request and response bodies stayed in the browser)"
    recorder.note_exchange(
        Exchange(
            f"spa_{body['step']}",
            method,
            url,
            request_headers={"Origin": settings().client.app_url},
            status=status,
            response_body=note,
        )
    )
    # a trace is kept only for a browser with a session (from /api/spa/begin on): nothing for a passer-by
    return jsonify({"recorded": bool(session)})


@bp.post("/api/spa/begin")
def begin() -> Response:
    """Start a browser-only sign-in: the server makes its `state` and `nonce` and keeps them in this
    browser's session (single use, 10 minutes), as for the implicit flow. The page makes its own PKCE
    verifier (the transaction's is unused). The first request of the flow that stores anything."""
    if not settings().client.public_client_id:
        return refuse("no public app client is configured (OAUTH_PUBLIC_CLIENT_ID)", 404)
    tx = transactions.begin(session, "spa", "/spa", key=TX)
    return jsonify({"state": tx.state, "nonce": tx.nonce})


@bp.post("/api/spa/verify")
def verify() -> Response:
    """Verify the ID (and access) token the page got from the token endpoint, for the public client,
    against the sign-in this browser began (its state, single use, and its nonce). The tokens are
    checked and dropped: the trace shows them as placeholders, nothing keeps them."""
    body, refused = json_body()  # read first, so the tracer never meets a refused body
    if refused is not None:
        return refused
    recorder.note_incoming("spa_verify", keep_tokens=False)
    s = settings()
    if not s.client.public_client_id:
        return refuse("no public app client is configured (OAUTH_PUBLIC_CLIENT_ID)", 404)
    values, error = spa.read_verify_body(body)
    if error:
        return refuse(error)
    return verified(browser.verify_browser_tokens(flow_context(), "spa", values))
