"""Presenter mode: pause before each redirect and back-channel call, and show it large."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

from flask import Blueprint, Response, redirect, render_template, request

from lab.display import shorten
from lab.steps import PARAM_HELP, RESPONSE_HELP
from oauth import transactions

from . import settings

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
    attributes = {"path": "/", "secure": settings().secure_cookies, "httponly": True, "samesite": "Lax"}
    if request.args.get("on") == "1":
        response.set_cookie(_cookie_name(), "1", max_age=30 * 24 * 3600, **attributes)
    else:
        response.delete_cookie(_cookie_name(), **attributes)
    return response


@bp.record
def _template_global(state) -> None:
    state.app.jinja_env.globals["presenting"] = presenting


def _rows(pairs: list[tuple[str, str]]) -> list[tuple[str, str, str]]:
    return [(k, v, PARAM_HELP.get(k, "")) for k, v in pairs]


def _response_rows(fields: dict) -> list[tuple[str, str, str]]:
    rows = []
    for name, value in fields.items():
        if name == "refresh_token":
            value = "$REFRESH_TOKEN"
        elif name in ("id_token", "access_token") and isinstance(value, str):
            value = shorten(value)
        rows.append((name, str(value), RESPONSE_HELP.get(name) or PARAM_HELP.get(name, "")))
    return rows


def client_auth_rows() -> list[tuple[str, str]]:
    """How the client authenticates, with the secret as a placeholder."""
    s = settings()
    if not s.client_secret:
        return [("client_id", s.client_id)]
    if s.client_auth == "client_secret_post":
        return [("client_id", s.client_id), ("client_secret", "$CLIENT_SECRET")]
    return [("Authorization", "Basic base64($CLIENT_ID:$CLIENT_SECRET)")]


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


def came_back_screen(*, title: str, fields: dict, expect: str, go_url: str, status: int = 200) -> str:
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


def call_screen(
    *, title: str, endpoint: str, pairs: list[tuple[str, str]], expect: str, action: str, fields: dict
) -> str:
    """Before a server-to-server call: show the request; Continue posts to `action`."""
    return render_template(
        "presenter.html",
        title=title,
        channel="back channel: the app server calls the provider directly",
        method="POST",
        endpoint=endpoint,
        params=_rows(pairs + client_auth_rows()),
        expect=expect,
        go_url=None,
        form=(action, fields),
    )
