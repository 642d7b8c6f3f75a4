"""The signed-in user: the one module that knows how a sign-in is kept in the session.

The session (Flask-Session: files or Redis) stores a plain dict under `SESSION_KEY`; `SignIn` is its
typed form. Views read it through `load()` or, behind `login_required` (flaskr's pattern), `current()`
(kept in the request's typed state, views/request_state.py), and write it back with `SignIn.save()`.
A stored value that does not have this layout is treated as signed out, never as an error. Every other
session key is named in views/session_keys.py.
"""

from __future__ import annotations

import functools
import types
import typing
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import MISSING, asdict, dataclass, field, fields
from typing import Any, ParamSpec, TypeVar

from flask import current_app, redirect, request, session, url_for
from werkzeug.wrappers import Response

from lab.display import shorten_response
from oauth.client import is_jwt
from oauth.kept import KeptVerification
from oauth.rotation import fingerprint

from . import request_state
from .session_guard import GuardedSessions
from .session_keys import AUTO_REFRESH, KEPT_ACROSS_LOGIN, SIGN_IN

SESSION_KEY = SIGN_IN

_P = ParamSpec("_P")
_R = TypeVar("_R")


@dataclass
class SignIn:
    """One sign-in's tokens and what the dashboard shows about them (the latest lifecycle results)."""

    flow: str  # how the tokens came: "code" (the authorization-code grant)
    access_token: str = field(repr=False)
    login_at: int = 0  # when the user signed in (epoch seconds); the session's maximum age counts from it
    id_token: str | None = field(default=None, repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    # each token's checks as verified when it was stored, by the sign-in or the refresh that replaced it
    # (oauth/kept.py): what the dashboard shows, never verified again (None: no such token, or opaque)
    id_checks: KeptVerification | None = None
    access_checks: KeptVerification | None = None
    sub: str | None = None  # the verified ID token's subject, at sign-in
    iss: str | None = None  # the verified ID token's issuer, at sign-in (a refreshed ID token must have it too)
    expires_in: int | None = None  # the token response's, as sent
    token_response: dict[str, Any] = field(default_factory=dict, repr=False)  # shortened, for display
    # the latest result of each lifecycle action (view data), and which one the dashboard shows
    last_refresh: dict[str, Any] | None = None
    userinfo: dict[str, Any] | None = None
    api_call: dict[str, Any] | None = None
    refresh_revoked: bool = False
    last_action: str | None = None

    @classmethod
    def from_tokens(
        cls,
        tokens: Mapping[str, Any],
        claims: Mapping[str, Any],
        *,
        id_checks: KeptVerification | None,
        access_checks: KeptVerification | None,
        flow: str,
        now: int,
    ) -> SignIn:
        """A new sign-in from a verified token response, its ID token's claims, and both tokens' checks."""
        expires_in = tokens.get("expires_in")
        sub, iss = claims.get("sub"), claims.get("iss")
        return cls(
            flow=flow,
            access_token=tokens["access_token"],
            login_at=now,
            id_token=tokens.get("id_token"),
            refresh_token=tokens.get("refresh_token"),
            id_checks=id_checks,
            access_checks=access_checks,
            sub=sub if isinstance(sub, str) else None,
            iss=iss if isinstance(iss, str) else None,
            expires_in=expires_in if type(expires_in) is int else None,
            token_response=shorten_response(dict(tokens)),
        )

    @classmethod
    def from_session(cls, data: Mapping[str, Any]) -> SignIn | None:
        """The sign-in stored in `data` (a session, or a session's stored dict), or None: signed out,
        or a stored value without this layout (an unknown key is ignored, a missing one takes its default).

        A token stored without its checks (a sign-in kept by a version before checks were kept) makes
        the whole record read as signed out: the dashboard never shows a token it cannot say was verified."""
        stored = data.get(SESSION_KEY)
        if not isinstance(stored, Mapping) or not _has_layout(stored):
            return None
        values = {f.name: stored[f.name] for f in fields(cls) if f.name in stored}
        for name in _KEPT:
            values[name] = KeptVerification.from_stored(stored.get(name))
            if stored.get(name) is not None and values[name] is None:
                return None
        user = cls(**values)
        if (user.id_token and user.id_checks is None) or (is_jwt(user.access_token) and user.access_checks is None):
            return None
        return user

    @property
    def refresh_fingerprint(self) -> str | None:
        """The held refresh token told apart from others ("…" + 4 hex digits of its SHA-256), never shown."""
        return fingerprint(self.refresh_token) if self.refresh_token else None

    def revealable(self) -> set[str]:
        """The tokens its user may see in full: the access and ID tokens, never the refresh token."""
        return {t for t in (self.access_token, self.id_token) if t is not None}

    def to_dict(self) -> dict[str, Any]:
        """The stored form: a plain dict (the session store serialises it; never a pickled object)."""
        data = asdict(self)
        for name in _KEPT:
            kept = getattr(self, name)
            data[name] = None if kept is None else kept.to_stored()
        return data

    def save(self, data: MutableMapping[str, Any], action: str | None = None) -> None:
        """Store this sign-in; `action` names the lifecycle result the dashboard shows (the latest only)."""
        if action:
            self.last_action = action
        data[SESSION_KEY] = self.to_dict()


def _accepted(hint: Any) -> tuple[type, ...]:
    """The runtime types a field's annotation allows: `str | None` -> (str, NoneType), `dict[str, Any]` -> (dict,);
    kept checks are stored as a list (KeptVerification.to_stored)."""
    members = typing.get_args(hint) if typing.get_origin(hint) in (typing.Union, types.UnionType) else (hint,)
    return tuple(list if m is KeptVerification else typing.get_origin(m) or m for m in members)


# the stored layout, from the dataclass itself: each key's accepted types, and the keys without a default
_LAYOUT = {name: _accepted(hint) for name, hint in typing.get_type_hints(SignIn).items()}
_REQUIRED = tuple(f.name for f in fields(SignIn) if f.default is MISSING and f.default_factory is MISSING)
_KEPT = ("id_checks", "access_checks")


def _has_layout(stored: Mapping[str, Any]) -> bool:
    """Every required key present, a non-empty access token, and each present key of its type."""
    if any(name not in stored for name in _REQUIRED) or not stored["access_token"]:
        return False
    for name, accepted in _LAYOUT.items():
        value = stored.get(name)
        if name in stored and (not isinstance(value, accepted) or (isinstance(value, bool) and bool not in accepted)):
            return False
    return True


def is_signed_in(data: Mapping[str, Any]) -> bool:
    """Whether `data` (a session's stored dict) holds a sign-in; for the session store, outside a request."""
    return SignIn.from_session(data) is not None


def load() -> SignIn | None:
    """This request's sign-in, read afresh from the session (None when signed out)."""
    return SignIn.from_session(session)


def refresh_token() -> str | None:
    """This request's signed-in user's refresh token (the trace recorder redacts it wherever it appears)."""
    user = load()
    return user.refresh_token if user else None


def start(user: SignIn) -> None:
    """A new sign-in: the session is cleared except the keys kept across login, holds `user`, and
    gets a new id (no session fixation)."""
    kept = {k: session[k] for k in KEPT_ACROSS_LOGIN if k in session}
    session.clear()
    session.update(kept)
    user.save(session)
    request_state.current().user = user
    new_session_id()


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
    """For templates: the dashboard's auto-refresh is on (session_keys.AUTO_REFRESH)."""
    return AUTO_REFRESH.get() is True
