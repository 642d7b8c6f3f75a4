"""The implicit grant, shown honestly: a JS page reads the fragment, the server verifies it."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, session
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from flows import browser
from flows.keys import IMPLICIT_RUN, TX
from lab.causes import LIKELY_CAUSES
from lab.claims import CLAIMS, WHY
from oauth import authorize_probe, safejson, transactions
from oauth.http import ProviderError
from oauth.tokens import MAX_TOKEN_LENGTH
from tracing import recorder

from . import oauth_client, presenter, settings
from .context import flow_context
from .spa import refuse, verified

bp = Blueprint("implicit", __name__)
MAX_VERIFY_BODY = 64 * 1024  # two tokens of at most 16 KiB each, and a state


@bp.after_request
def _no_leaks(response: Response) -> Response:
    if request.endpoint in ("implicit.callback", "implicit.verify"):
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/implicit")
def start() -> Response | str:
    client = oauth_client()
    response_type = client.implicit_response_type()  # fetches discovery: fails before storing
    tx = transactions.begin(session, "implicit", key=TX)
    url = client.authorize_url(tx, response_type=response_type)
    if settings().client.discovery_base:  # an emulator: its discovery may list what its authorize endpoint refuses
        try:
            authorize_probe.refused_outright(
                client.http, "implicit_authorize", url, settings().client.implicit_redirect_uri
            )
        except ProviderError:
            transactions.take(session, tx.state, "implicit", key=TX)  # nothing of this attempt stays stored
            raise
    recorder.note_redirect("implicit_authorize", url)
    if presenter.presenting():
        return presenter.redirect_screen(
            title="Send the browser to the authorize endpoint (implicit)",
            url=url,
            expect="After sign-in the provider redirects to /implicit/callback with the ID and access tokens in "
            "the URL fragment. No code, no token request: the tokens travel through the browser.",
        )
    return redirect(url)


@bp.get("/implicit/callback")
def callback() -> str:
    # the last run's outcome (no tokens): what a reload of this page, which has no fragment left, says
    last = IMPLICIT_RUN.get(session)
    last_run = {"verified": last.get("verified") is True, "error": str(last.get("error", ""))} if last else None
    return render_template("implicit_callback.html", meanings=CLAIMS, why=WHY, causes=LIKELY_CAUSES, last_run=last_run)


MAX_FRAGMENT_SHAPE = 4096


def _note_fragment(body: dict, values: dict) -> None:
    """Record what the address bar held as a trace step (the twin of "back with a code").

    The page sends the fragment's shape with the two token values left out (`id_token=&...`), so
    the body stays small; the tokens it posted fill them back in, and the step is redacted
    (tokens become markers) before it is stored."""
    shape = body.get("fragment")
    if not isinstance(shape, str) or not shape or len(shape) > MAX_FRAGMENT_SHAPE:
        return
    pairs = [pair + values[pair[:-1]] if pair in ("id_token=", "access_token=") else pair for pair in shape.split("&")]
    elapsed = body.get("elapsed_ms")  # how long the page had the fragment before posting it
    elapsed = float(elapsed) if isinstance(elapsed, (int, float)) and 0 <= elapsed <= 600_000 else 0.0
    url = f"{settings().client.implicit_redirect_uri}#{'&'.join(pairs)}"
    recorder.note_browser_step("implicit_callback", url, elapsed)


@bp.post("/api/implicit/verify")
def verify() -> Response:
    request.max_content_length = MAX_VERIFY_BODY
    try:
        raw = request.get_data(cache=True)  # read once here, so the tracer never meets a refused body
    except RequestEntityTooLarge:
        return refuse(f"the body is larger than {MAX_VERIFY_BODY // 1024} KiB", 413)
    recorder.note_incoming("implicit_verify")
    try:
        body = safejson.loads(raw) if request.is_json else None
    except safejson.JsonRefused as exc:
        return refuse(str(exc))
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return refuse("the body must be a JSON object {id_token, access_token, state}")
    values: dict[str, str] = {}
    for name in ("id_token", "access_token", "state"):
        value = body.get(name)
        if not isinstance(value, str) or not value or len(value) > MAX_TOKEN_LENGTH:
            return refuse(f"{name} is missing or not a string of reasonable size")
        values[name] = value
    _note_fragment(body, values)
    return verified(browser.verify_browser_tokens(flow_context(), "implicit", values))
