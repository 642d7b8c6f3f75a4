"""What a sign-out could not do, said on the page the browser lands on afterwards.

Sign-out clears the session before the browser goes to the provider's logout and back, so the note
travels in its own short-lived cookie, signed with the app's secret (a cookie planted by another site
or port shows nothing), and is shown once.
"""

from __future__ import annotations

from typing import TypeVar

from flask import current_app, request
from itsdangerous import BadData, URLSafeTimedSerializer
from werkzeug.wrappers import Response

from oauth.errors import ClientError, ProviderRefused
from oauth.http import ProviderError

from . import settings

COOKIE = "flowlab_signout_note"
_R = TypeVar("_R", bound=Response)
MAX_AGE = 600


def _cookie_name() -> str:
    return "__Host-" + COOKIE if settings().secure_cookies else COOKIE


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key or "", salt="flowlab-signout-note")


def revoke_failed(exc: ClientError) -> str:
    """One sentence: the refresh token was not revoked, why, and what that means."""
    if isinstance(exc, ProviderRefused):
        reason = f"the provider answered HTTP {exc.status} {exc.error}" + (
            f" ({exc.description[:200]})" if exc.description else ""
        )
    elif isinstance(exc, ProviderError):
        reason = f"the revocation endpoint {exc.message[:200]}"
    else:
        reason = str(exc)[:200]
    return (
        f"The refresh token was not revoked: {reason}. The app's session is cleared anyway, but the refresh "
        "token stays usable at the provider until it expires."
    )


def remember(response: _R, note: str) -> _R:
    """Carry `note` to the next page that shows it (the home page or the dashboard)."""
    response.set_cookie(
        _cookie_name(),
        _serializer().dumps(note),
        max_age=MAX_AGE,
        path="/",
        secure=settings().secure_cookies,
        httponly=True,
        samesite="Lax",
    )
    return response


def take() -> str:
    """The note this browser carries, if it is ours and fresh ("" otherwise); `forget` it on the response."""
    raw = request.cookies.get(_cookie_name())
    if not raw:
        return ""
    try:
        note = _serializer().loads(raw, max_age=MAX_AGE)
    except BadData:
        return ""
    return note if isinstance(note, str) else ""


def forget(response: _R) -> _R:
    """Expire the note's cookie, once a page showed it."""
    if request.cookies.get(_cookie_name()):
        secure = settings().secure_cookies
        response.delete_cookie(_cookie_name(), path="/", secure=secure, httponly=True, samesite="Lax")
    return response
