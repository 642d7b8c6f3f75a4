"""Presenter mode: pause before each redirect and back-channel call, and show it large."""

from __future__ import annotations

import hmac
import time
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import parse_qsl, urlsplit

from flask import Blueprint, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from flows.context import SEND, Approval, Pending
from flows.keys import PRESENTER_SHOWN
from lab.display import REFRESH_PLACEHOLDER, shorten_response
from lab.steps import PARAM_HELP, RESPONSE_HELP
from oauth import transactions
from oauth.calls import PreparedCall
from tracing.redact import Redactor

from . import antiforgery, settings

bp = Blueprint("presenter", __name__)
_R = TypeVar("_R")


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
    redactor = Redactor.for_app(s.client)
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


def _came_back_page(shown: dict) -> str:
    return render_template(
        "presenter.html",
        title=shown["title"],
        channel="back channel: the provider's answer to the app server",
        method="HTTP 200",  # answered() is called only after a call that succeeded
        endpoint="application/json" if shown["rows"] else "(empty body)",
        params=[tuple(row) for row in shown["rows"]],
        expect=shown["expect"],
        go_url=shown["go_url"],
        form=None,
        came_back=True,
    )


@bp.get("/presenter/came-back")
def came_back() -> Response | str:
    """The last "what came back" screen of this browser, again (a GET: Back and reload land here, never on the
    POST that made the call). Only rows as shown are kept: tokens shortened, the refresh token hidden."""
    shown = PRESENTER_SHOWN.get(session)
    if not shown or not presenting():
        return redirect(url_for("dashboard.index"))
    return _came_back_page(shown)


SHOWN_CALL = "shown_call"  # the form field carrying the MAC of the call a screen showed
CHANGED = (
    "The call changed since the previous screen showed it (the session's tokens or the provider's "
    "endpoints changed), so it was not sent. This is the call Continue sends now."
)


@dataclass(frozen=True)
class Pause:
    """One presenter pause before a back-channel call: what its screen says, and where its Continue posts.

    `name` is the step the screen is for: an approval counts for this step and this call only (a revoke
    screen's Continue is no sign-out's, issue 19.8)."""

    name: str
    title: str
    expect: str
    endpoint: str  # the view Continue posts to, which prepares the call again and sends it only if it is this one
    fields: tuple[tuple[str, str], ...] = (("confirmed", "1"),)


def _call_mac(call: PreparedCall, step: str, screen: str) -> str:
    """The MAC of `call` as shown on the screen for `step` whose Continue posts to `screen` (a path): an
    approval counts only for the call and the step it was shown for."""
    return antiforgery.mac("presenter-call", f"{step}\n{screen}\n".encode() + call.canonical())


def call_screen(pause: Pause, pending: Pending) -> str:
    """Before a server-to-server call: show the prepared call; Continue posts to the pause's view with the
    MAC of what was shown, and the view sends only a call its `ShownCall` approves. `pending.expires_at`
    (epoch seconds): when what the call carries (the code) expires; the screen counts down to it."""
    endpoint, pairs = call_rows(pending.call)
    action = url_for(pause.endpoint)
    return render_template(
        "presenter.html",
        title=pause.title,
        channel="back channel: the app server calls the provider directly",
        method=pending.call.method,
        endpoint=endpoint,
        params=_rows(pairs),
        expect=pause.expect,
        go_url=None,
        form=(action, {**dict(pause.fields), SHOWN_CALL: _call_mac(pending.call, pause.name, urlsplit(action).path)}),
        changed=CHANGED if pending.changed else "",
        expires_at=pending.expires_at,
        now=time.time(),
    )


@dataclass(frozen=True)
class ShownCall:
    """Presenter mode's approval: only the call a screen for `pause` showed, whose Continue brought this
    request (its MAC came back with the form, posted to the pause's own view)."""

    pause: Pause
    continued: bool

    def approves(self, call: PreparedCall) -> bool:
        if not self.continued:
            return False
        expected = _call_mac(call, self.pause.name, request.path)
        return hmac.compare_digest(request.form.get(SHOWN_CALL, ""), expected)


def approval(pause: Pause, continued: bool | None = None) -> Approval:
    """This request's approval for the pause's call. A view that is a screen's Continue and nothing else
    (`continued` True: the paused exchange's) sends only the call shown, presenter mode or not; any other
    sends at once without presenter mode, and with it only the call shown, when its form says Continue."""
    if continued is None:
        if not presenting():
            return SEND
        continued = request.form.get("confirmed") == "1"
    return ShownCall(pause, continued)


def answered(*, title: str, fields: dict[str, object], expect: str, go_url: str, otherwise: _R) -> _R | Response:
    """After a sent call: in presenter mode, what came back (then the page at `go_url`); else `otherwise`."""
    if presenting():  # Post/Redirect/Get: the screen is a page of its own (Back after it never re-posts the call)
        shown = {  # what the provider answered, as shown: tokens shortened, the refresh token hidden
            "title": title,
            "rows": [list(row) for row in _response_rows(fields)],
            "expect": expect,
            "go_url": transactions.safe_next(go_url, "/dashboard"),
        }
        PRESENTER_SHOWN.set(shown, session)
        return redirect(url_for("presenter.came_back"), 303)
    return otherwise
