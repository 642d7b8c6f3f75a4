"""The app and the local provider in-process: the same WSGI apps, reached without a socket.

`InProcessServer` stands where a LiveServer would (it has a loopback URL and an `app`), but nothing listens
on its port: every request to its URL, whoever sends it (a test's requests.Session, a module-level
requests.get, the app's own OAuth client calling the provider, the attack lab's scripted browsers), is
handed to the WSGI app in the calling thread by `WsgiAdapter`, a requests transport adapter. requests still
does everything else as over the wire: cookies, redirects, headers, streaming bodies, the app's bounded
reads. What the adapter cannot do is what needs a socket: a timeout, a peer that hangs up, a header written
in lowercase on the wire, a browser. Those tests run against LiveServers (`live_stack`, and every Chromium
test), as do a few dozen end-to-end tests per flow (`@pytest.mark.e2e`).

A request to an in-process URL after its server stopped fails as a connection refused would.
"""

from __future__ import annotations

import http.client
import io
import platform
import threading
import types
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from email.utils import formatdate
from importlib.metadata import version
from urllib.parse import urlsplit

import requests
from requests.adapters import BaseAdapter
from requests.cookies import extract_cookies_to_jar
from requests.structures import CaseInsensitiveDict
from urllib3.response import HTTPResponse
from werkzeug.test import EnvironBuilder, run_wsgi_app

from .servers import free_port

_ROUTES: dict[str, Callable] = {}  # "http://127.0.0.1:PORT" -> the WSGI app served there in-process
_LOCK = threading.Lock()


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


class WsgiAdapter(BaseAdapter):
    """A requests transport that calls a WSGI app in this thread instead of opening a connection."""

    def __init__(self, app: Callable):
        super().__init__()
        self.app = app

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        parts = urlsplit(request.url)
        body = request.body
        if isinstance(body, str):
            body = body.encode()
        elif body is not None and not isinstance(body, bytes):  # a generator or a file: read it whole
            body = body.read() if hasattr(body, "read") else b"".join(_bytes(body))
        builder = EnvironBuilder(
            path=parts.path or "/",
            query_string=parts.query,
            method=request.method,
            headers=list(request.headers.items()),
            data=body or b"",
            base_url=f"{parts.scheme}://{parts.netloc}",
        )
        try:
            environ = builder.get_environ()
        finally:
            builder.close()
        environ["REMOTE_ADDR"] = "127.0.0.1"
        if "Content-Length" not in request.headers and not body:
            environ.pop("CONTENT_LENGTH", None)
        app_iter, status, headers = run_wsgi_app(self.app, environ)
        try:
            data = b"".join(app_iter)
        finally:
            close = getattr(app_iter, "close", None)
            if close is not None:
                close()
        code, _, reason = status.partition(" ")
        # the headers werkzeug's server adds on the wire (serving.WSGIRequestHandler.send_response)
        if "Server" not in headers:
            headers["Server"] = f"Werkzeug/{version('werkzeug')} Python/{platform.python_version()}"
        if "Date" not in headers:
            headers["Date"] = formatdate(usegmt=True)
        message = http.client.HTTPMessage()
        for name, value in headers.items():
            message[name] = value
        raw = HTTPResponse(
            body=io.BytesIO(data),
            headers=list(headers.items()),
            status=int(code),
            reason=reason,
            preload_content=False,
            decode_content=False,
            request_method=request.method,  # a HEAD answer has a Content-Length and no body
        )
        # what requests' cookie jar and urllib3 read of http.client's response
        raw._original_response = types.SimpleNamespace(msg=message, isclosed=lambda: True, close=lambda: None)
        response = requests.Response()
        response.status_code = int(code)
        response.reason = reason
        response.headers = CaseInsensitiveDict(headers.items())
        response.raw = raw
        response.url = request.url
        response.request = request
        response.connection = self
        response.encoding = requests.utils.get_encoding_from_headers(response.headers)
        extract_cookies_to_jar(response.cookies, request, raw)
        return response

    def close(self) -> None:
        pass


def _bytes(chunks: Iterable) -> Iterator[bytes]:
    for chunk in chunks:
        yield chunk.encode() if isinstance(chunk, str) else chunk


_original_get_adapter = requests.Session.get_adapter


def _get_adapter(self: requests.Session, url: str) -> BaseAdapter:
    app = _ROUTES.get(_origin(url))
    if app is not None:
        return WsgiAdapter(app)
    return _original_get_adapter(self, url)


def install() -> None:
    """Route requests to in-process URLs (idempotent; for the whole test process)."""
    requests.Session.get_adapter = _get_adapter  # type: ignore[method-assign]


class InProcessServer:
    """Where a LiveServer would stand: a loopback URL (a free port number, nothing bound) whose requests
    the WSGI `app` answers in-process. The app can be set after the URL is known."""

    def __init__(self, app: Callable | None = None):
        install()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.app = app
        with _LOCK:
            _ROUTES[_origin(self.url)] = self._dispatch

    def _dispatch(self, environ: Mapping, start_response: Callable):
        if self.app is None:
            raise requests.ConnectionError(f"nothing serves {self.url} yet")
        return self.app(environ, start_response)

    def stop(self) -> None:
        with _LOCK:
            _ROUTES.pop(_origin(self.url), None)


@contextmanager
def serving(app: Callable) -> Iterator[InProcessServer]:
    server = InProcessServer(app)
    try:
        yield server
    finally:
        server.stop()
