"""The signed-in user of a request: reading the sign-in from the session, login_required, a new session id.

The sign-in's record (its layout, what is stored) is flows/state.py's `SignIn`; this module reads it from
Flask's session. Views read it through `load()` or, behind `login_required` (flaskr's pattern), `current()`
(kept in the request's typed state, views/request_state.py); the flows write it. A stored value that does
not have the record's layout is treated as signed out, never as an error.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from flask import current_app, redirect, request, session, url_for
from werkzeug.wrappers import Response

from flows.keys import AUTO_REFRESH
from flows.state import Screen, SignIn

from . import request_state
from .session_guard import GuardedSessions

_P = ParamSpec("_P")
_R = TypeVar("_R")


def load() -> SignIn | None:
    """This request's sign-in, read afresh from the session (None when signed out)."""
    return SignIn.from_session(session)


def refresh_token() -> str | None:
    """This request's signed-in user's refresh token (the trace recorder redacts it wherever it appears)."""
    user = load()
    return user.refresh_token if user else None


def new_session_id() -> None:
    """Move this session's data to a new id (Flask-Session's regenerate): at sign-in and sign-out."""
    interface = current_app.session_interface
    if not isinstance(interface, GuardedSessions):
        raise RuntimeError("the app's sessions are not Flask-Session's behind session_guard")
    interface.regenerate(session)


def current() -> SignIn:
    """The signed-in user of a view behind `login_required` (RequestState.user, as flaskr keeps its user in g)."""
    user = request_state.current().user
    if user is None:
        raise RuntimeError("current() outside a view behind login_required")
    return user


def require_login(post_refusal: Callable[[], Response] | None = None) -> Response | None:
    """None with the sign-in in RequestState.user; else the answer to a signed-out request: back to the home
    page, which says "Sign in first" and, for a page other than the dashboard, names it and signs in
    with `next` set to it (a POST gets `post_refusal()` instead, when given)."""
    state = request_state.current()
    state.user = load()
    if state.user is not None:
        rotation = (Screen.load(session).last_refresh or {}).get("rotation") or {}
        if state.user.drop_stale_rotated_out(rotation, time.time()):
            state.user.save(session)
        return None
    if post_refusal is not None and request.method == "POST":
        return post_refusal()
    if request.method == "GET" and request.path != url_for("dashboard.dashboard"):
        return redirect(url_for("dashboard.index", login_required=1, next=request.path))
    return redirect(url_for("dashboard.index", login_required=1))


def login_required(view: Callable[_P, _R]) -> Callable[_P, _R | Response]:
    """flaskr's decorator: the view runs only for a signed-in user, who is in RequestState.user (`current()`)."""

    @functools.wraps(view)
    def wrapped(*args: _P.args, **kwargs: _P.kwargs) -> _R | Response:
        refused = require_login()
        if refused is not None:
            return refused
        return view(*args, **kwargs)

    return wrapped


def signed_in() -> bool:
    """For templates: read afresh at each render, so a page rendered after a sign-out in the same
    request already shows the signed-out navigation."""
    return load() is not None


def auto_refresh() -> bool:
    """For templates: the dashboard's auto-refresh is on (flows/keys.py's AUTO_REFRESH)."""
    return AUTO_REFRESH.get(session) is True
