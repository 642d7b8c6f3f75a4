"""Presenter mode: pause before each redirect and back-channel call, and show it large."""

from __future__ import annotations

import hmac
import time
from urllib.parse import parse_qsl, urlsplit

from flask import Blueprint, redirect, render_template, request
from werkzeug.wrappers import Response

from lab.display import REFRESH_PLACEHOLDER, shorten_response
from lab.steps import PARAM_HELP, RESPONSE_HELP
from oauth import transactions
from oauth.calls import PreparedCall
from tracing.redact import Redactor

from . import antiforgery, settings

bp = Blueprint("presenter", __name__)


COOKIE = "flowlab_presenter"


def _cookie_name() -> str:
    return "__Host-" + COOKIE if settings().secure_cookies else COOKIE


def presenting() -> bool:
    """A display preference kept in its own cookie: turning it on stores nothing server-side, and it
    survives sign-in and sign-out."""
    return request.cookies.get(_cookie_name()) == "1"


@bp.get("/presenter")
def toggle() -> Response:
    """A display preference, so a link; still refused when another site triggers it."""
    if request.headers.get("Sec-Fetch-Site") in ("cross-site", "same-site"):
        return redirect("/")
    response = redirect(transactions.safe_next(request.args.get("next"), "/"))
    secure = settings().secure_cookies
    if request.args.get("on") == "1":
        response.set_cookie(
            _cookie_name(), "1", max_age=30 * 24 * 3600, path="/", secure=secure, httponly=True, samesite="Lax"
        )
    else:
        response.delete_cookie(_cookie_name(), path="/", secure=secure, httponly=True, samesite="Lax")
    return response


def _rows(pairs: list[tuple[str, str]]) -> list[tuple[str, str, str]]:
    return [(k, v, PARAM_HELP.get(k, "")) for k, v in pairs]


def _response_rows(fields: dict[str, object]) -> list[tuple[str, str, str]]:
    shown = shorten_response(fields, REFRESH_PLACEHOLDER)
    return [(name, str(value), RESPONSE_HELP.get(name) or PARAM_HELP.get(name, "")) for name, value in shown.items()]


# The headers a call screen shows: the credentials. Content-Type and Accept are the same on every
# back-channel call (the trace shows them), and the screen has to fit one projector screen.
SHOWN_HEADERS = ("authorization",)


def call_rows(call: PreparedCall) -> tuple[str, list[tuple[str, str]]]:
    """The call's URL, then its form parameters and credential headers as they will be sent,
    through the trace's redactor: the same placeholders the trace shows for this call."""
    s = settings()
    redactor = Redactor.for_app(s)
    content_type = call.header("Content-Type") or ""
    form = redactor.body(call.body(), content_type, revoke=call.step == "revoke")
    headers = redactor.headers(dict(call.headers))
    pairs = parse_qsl(form, keep_blank_values=True)
    pairs += [(k, v) for k, v in headers.items() if k.lower() in SHOWN_HEADERS]
    return redactor.url(call.url), pairs


def redirect_screen(
    *, title: str, url: str, expect: str, channel: str = "front channel: a browser redirect", came_back: str = ""
) -> str:
    """Before sending the browser somewhere: show the URL and every query parameter.

    `came_back`: what the back-channel call just before it answered (logout's revocation)."""
    parts = urlsplit(url)
    return render_template(
        "presenter.html",
        title=title,
        channel=channel,
        method="GET",
        endpoint=f"{parts.scheme}://{parts.netloc}{parts.path}",
        params=_rows(parse_qsl(parts.query, keep_blank_values=True)),
        expect=expect,
        go_url=url,
        form=None,
        previous=came_back,
    )


def came_back_screen(*, title: str, fields: dict[str, object], expect: str, go_url: str, status: int = 200) -> str:
    """After a back-channel call: what the provider answered (tokens shortened, refresh token hidden)."""
    return render_template(
        "presenter.html",
        title=title,
        channel="back channel: the provider's answer to the app server",
        method=f"HTTP {status}",
        endpoint="application/json" if fields else "(empty body)",
        params=_response_rows(fields),
        expect=expect,
        go_url=go_url,
        form=None,
        came_back=True,
    )


SHOWN_CALL = "shown_call"  # the form field carrying the MAC of the call a screen showed
CHANGED = (
    "The call changed since the previous screen showed it (the session's tokens or the provider's "
    "endpoints changed), so it was not sent. This is the call Continue sends now."
)


def _call_mac(call: PreparedCall, screen: str) -> str:
    """The MAC of `call` as shown on the screen whose Continue posts to `screen` (a path): an approval
    counts only for the call and the step it was shown for (a revoke screen's is no sign-out's)."""
    return antiforgery.mac("presenter-call", screen.encode() + b"\n" + call.canonical())


def call_screen(
    *,
    title: str,
    call: PreparedCall,
    expect: str,
    action: str,
    fields: dict[str, str],
    changed: bool = False,
    expires_at: float | None = None,
) -> str:
    """Before a server-to-server call: show the prepared call; Continue posts to `action` with the
    MAC of what was shown, and the view sends only a call that `is_the_shown_call`. `expires_at`
    (epoch seconds): when what the call carries (the code) expires; the screen counts down to it."""
    endpoint, pairs = call_rows(call)
    return render_template(
        "presenter.html",
        title=title,
        channel="back channel: the app server calls the provider directly",
        method=call.method,
        endpoint=endpoint,
        params=_rows(pairs),
        expect=expect,
        go_url=None,
        form=(action, {**fields, SHOWN_CALL: _call_mac(call, urlsplit(action).path)}),
        changed=CHANGED if changed else "",
        expires_at=expires_at,
        now=time.time(),
    )


def pause_before(call: PreparedCall, *, title: str, expect: str, action: str) -> str | None:
    """In presenter mode, the screen that shows `call` before it is sent (None: send it now). Its Continue posts
    `confirmed=1` back to `action`, where the view prepares the call again from the session and sends it only
    if it is the one shown; a changed call is shown again, marked Not sent."""
    confirmed = request.form.get("confirmed") == "1"
    if not presenting() or (confirmed and is_the_shown_call(call)):
        return None
    return call_screen(
        title=title, call=call, changed=confirmed, expect=expect, action=action, fields={"confirmed": "1"}
    )


def is_the_shown_call(call: PreparedCall) -> bool:
    """Whether `call`, prepared again on Continue from the same inputs, is exactly the call the
    screen showed, on a screen whose Continue posts here (its MAC came back with the form): only
    then may it be sent."""
    return hmac.compare_digest(request.form.get(SHOWN_CALL, ""), _call_mac(call, request.path))
