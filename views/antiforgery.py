"""The anti-forgery token, derived from a signed cookie, so a page can carry it without a session.

The cookie holds a random value and the server's signature of it; only values the server
issued are accepted. The token in forms and the `X-CSRF-Token` header is an HMAC of that value,
so a cross-site page can neither read nor compute it. Rendering a form therefore stores nothing
server-side. A new value (so a new token) is issued at every sign-in and sign-out.
"""

from __future__ import annotations

import hmac
import secrets

from flask import current_app, request
from werkzeug.wrappers import Response

from signing import Signer

from . import request_state

COOKIE = "flowlab_csrf"
MAX_AGE = 8 * 3600


def signer() -> Signer:
    """This app's Signer (signing.py), made from SECRET_KEY at start-up."""
    found: Signer = current_app.extensions["signer"]
    return found


def mac(purpose: str, value: bytes) -> str:
    """An HMAC of `value` under this server's key for `purpose`: it reveals nothing of the value."""
    return signer().mac(purpose, value)


def sign(purpose: str, value: str) -> str:
    """`value.signature`: a value only this server can issue."""
    return signer().sign(purpose, value)


def unsign(purpose: str, signed: str | None) -> str | None:
    """The value inside `signed`, or None when the server did not issue it."""
    return signer().unsign(purpose, signed)


def cookie_name() -> str:
    """`__Host-` prefixed under https, like the session cookie."""
    return "__Host-" + COOKIE if current_app.extensions["settings"].secure_cookies else COOKIE


def _current_seed() -> str | None:
    issued = request_state.current().csrf_seed
    if issued:  # issued (or rotated) during this request
        return issued
    return unsign("csrf-cookie", request.cookies.get(cookie_name()))


def token() -> str:
    """This browser's anti-forgery token; issues the signed cookie when there is none yet."""
    seed = _current_seed()
    if seed is None:
        seed = request_state.current().csrf_seed = secrets.token_urlsafe(32)
    return mac("csrf-token", seed.encode())


def valid(sent: str | None) -> bool:
    """Does `sent` match the token derived from this request's (signed) cookie?"""
    seed = unsign("csrf-cookie", request.cookies.get(cookie_name()))
    if seed is None or not sent:
        return False
    return hmac.compare_digest(sent.encode(), mac("csrf-token", seed.encode()).encode())


def rotate() -> None:
    """A new token from this response on (at sign-in and sign-out): a token known before is useless."""
    request_state.current().csrf_seed = secrets.token_urlsafe(32)


def set_cookie(response: Response) -> Response:
    """After the view: the signed cookie, when this request issued a new value."""
    seed = request_state.current().csrf_seed
    if seed:
        response.set_cookie(
            cookie_name(),
            sign("csrf-cookie", seed),
            max_age=MAX_AGE,
            httponly=True,
            samesite="Lax",
            secure=current_app.extensions["settings"].secure_cookies,
            path="/",
        )
    return response
