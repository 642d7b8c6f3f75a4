"""The anti-forgery token, derived from a signed cookie, so a page can carry it without a session.

The cookie holds a random value and the server's signature of it; only values the server
issued are accepted. The token in forms and the `X-CSRF-Token` header is an HMAC of that value,
so a cross-site page can neither read nor compute it. Rendering a form therefore stores nothing
server-side. A new value (so a new token) is issued at every sign-in and sign-out.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from flask import Flask, Response, current_app, g, request

COOKIE = "flowlab_csrf"
MAX_AGE = 8 * 3600


def _key(purpose: str) -> bytes:
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret, purpose.encode(), hashlib.sha256).digest()


def mac(purpose: str, value: bytes) -> str:
    """An HMAC of `value` under this server's key for `purpose`: it reveals nothing of the value."""
    return hmac.new(_key(purpose), value, hashlib.sha256).hexdigest()


def sign(purpose: str, value: str) -> str:
    """`value.signature`: a value only this server can issue (also used for trace ids)."""
    return f"{value}.{mac(purpose, value.encode())}"


def unsign(purpose: str, signed: str | None) -> str | None:
    """The value inside `signed`, or None when the server did not issue it."""
    if not signed or len(signed) > 200 or "." not in signed:
        return None
    value, _, signature = signed.rpartition(".")
    if not value or not hmac.compare_digest(signature.encode(), mac(purpose, value.encode()).encode()):
        return None
    return value


def cookie_name() -> str:
    """`__Host-` prefixed under https, like the session cookie."""
    return "__Host-" + COOKIE if current_app.extensions["settings"].secure_cookies else COOKIE


def _current_seed() -> str | None:
    if g.get("csrf_new"):  # issued (or rotated) during this request
        return g.csrf_new
    return unsign("csrf-cookie", request.cookies.get(cookie_name()))


def token() -> str:
    """This browser's anti-forgery token; issues the signed cookie when there is none yet."""
    seed = _current_seed()
    if seed is None:
        seed = g.csrf_new = secrets.token_urlsafe(32)
    return mac("csrf-token", seed.encode())


def valid(sent: str | None) -> bool:
    """Does `sent` match the token derived from this request's (signed) cookie?"""
    seed = unsign("csrf-cookie", request.cookies.get(cookie_name()))
    if seed is None or not sent:
        return False
    return hmac.compare_digest(sent.encode(), mac("csrf-token", seed.encode()).encode())


def rotate() -> None:
    """A new token from this response on (at sign-in and sign-out): a token known before is useless."""
    g.csrf_new = secrets.token_urlsafe(32)


def _set_cookie(response: Response) -> Response:
    seed = g.get("csrf_new")
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


def install(app: Flask) -> None:
    app.after_request(_set_cookie)
    app.jinja_env.globals["csrf_token"] = token
