"""Keep a session-store outage (Redis down) a clear 503, never a 500 or a lost write; and read only
data from the store, never code.

Flask-Session 0.8 stores Redis sessions as msgpack, but reads back with a pickle fallback: anyone who
can write to the Redis (a server without a password, a shared one) could run code in the app by
storing a pickle under a session key. Its decoder is replaced here by one that reads msgpack or
JSON and nothing else; a record it cannot read is no session (a new, empty one), not an error.
"""

from __future__ import annotations

import logging

import msgspec
import redis
from flask import Flask, Request, Response, render_template
from flask.sessions import SessionInterface, SessionMixin
from flask_session.base import ServerSideSession, ServerSideSessionInterface

from . import request_state

log = logging.getLogger("flowlab")
STORE_ERRORS = (redis.RedisError, OSError)
TITLE = "The session store is unavailable"
DETAIL = "The app could not reach its session store (Redis). Nothing was stored; try again in a moment."


def _unavailable_page(response: Response | None = None) -> Response:
    html = render_template("error.html", status=503, title=TITLE, detail=DETAIL, hint="", error="", action=None)
    response = response or Response()
    response.set_data(html)
    response.status_code = 503
    response.mimetype = "text/html"
    response.headers.pop("Location", None)
    return response


class UnreadableSession(ValueError):
    """A stored session record that is neither msgpack nor JSON of a dict."""


class DataOnlySerializer:
    """Flask-Session's msgpack serializer without its pickle fallback."""

    def __init__(self) -> None:
        self.encoder = msgspec.msgpack.Encoder()
        self.decoders = (msgspec.msgpack.Decoder(dict), msgspec.json.Decoder(dict))

    def encode(self, session: ServerSideSession) -> bytes:
        return self.encoder.encode(dict(session))

    def decode(self, serialized_data: bytes) -> dict:
        for decoder in self.decoders:
            try:
                return decoder.decode(serialized_data)
            except msgspec.DecodeError:
                continue
        raise UnreadableSession("the stored session is neither msgpack nor JSON")


class GuardedSessions(SessionInterface):
    """Delegates to Flask-Session's interface and turns store failures into 503s."""

    def __init__(self, inner: ServerSideSessionInterface):
        self.inner = inner
        # Redis reads and writes through it (the file store under instance/ hands dicts to cachelib)
        inner.serializer = DataOnlySerializer()

    def __getattr__(self, name: str):
        return getattr(self.inner, name)

    def open_session(self, app: Flask, request: Request) -> SessionMixin | None:
        try:
            return self.inner.open_session(app, request)
        except UnreadableSession:
            log.warning("an unreadable session record was ignored (not msgpack or JSON)")
            sid = self.inner._generate_sid(self.inner.sid_length)
            return self.inner.session_class(sid=sid, permanent=self.inner.permanent)
        except STORE_ERRORS as exc:
            log.error("session store unavailable on open: %s", type(exc).__name__)
            request_state.current().store_down = True
            return self.inner.session_class(sid=None, permanent=True)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if request_state.current().store_down:
            _unavailable_page(response)
            return
        try:
            self.inner.save_session(app, session, response)
        except STORE_ERRORS as exc:
            log.error("session store unavailable on save: %s", type(exc).__name__)
            _unavailable_page(response)
            response.headers.pop("Set-Cookie", None)

    def regenerate(self, session: ServerSideSession) -> None:
        self.inner.regenerate(session)


def install(app: Flask) -> None:
    """Put the guard in front of Flask-Session's interface (its hook is placed by views/hooks.py)."""
    app.session_interface = GuardedSessions(app.session_interface)


def store_down() -> Response | None:
    """Before the view: a 503 page when the session store failed as the session opened."""
    return _unavailable_page() if request_state.current().store_down else None


def redis_error(exc: redis.RedisError) -> Response:
    log.error("session store unavailable: %s", type(exc).__name__)
    return _unavailable_page()
