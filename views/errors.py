"""Error pages and JSON errors: always a clear message, never a stack trace."""

from __future__ import annotations

import logging
import re

from flask import Flask, Response, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, SecurityError

from lab.causes import likely_cause
from oauth.errors import ProviderRefused
from oauth.http import ProviderError

log = logging.getLogger("flowlab")


def wants_json() -> bool:
    return request.path.startswith("/api/")


def problem(
    status: int,
    title: str,
    detail: str = "",
    *,
    hint: str = "",
    error: str = "",
    action: tuple[str, str] | None = None,
) -> Response:
    """A 4xx/5xx answer as JSON under /api/, as a page elsewhere (with an optional next step)."""
    if wants_json():
        body = {"error": error or title, "error_description": detail}
        response = jsonify(body)
    else:
        html = render_template(
            "error.html", status=status, title=title, detail=detail, hint=hint, error=error, action=action
        )

        response = Response(html, mimetype="text/html")
        if re.fullmatch(r"[a-z_]{1,64}", error or ""):
            response.headers["X-OAuth-Error"] = error  # lets the trace name the error of an HTML answer
    response.status_code = status
    return response


def provider_failed(exc: ProviderError) -> Response:
    log.warning("provider failure at %s: %s", exc.step, exc.message)
    return problem(
        502,
        "The identity provider failed",
        f"The provider's {exc.step} step {exc.message}.",
        hint="Nothing was stored. Check that the provider is running and reachable, then try again.",
        error="provider_error",
    )


def provider_refused(exc: ProviderRefused) -> Response:
    detail = f"The {exc.step} endpoint answered {exc.error}"
    detail += f": {exc.description}" if exc.description else "."
    return problem(
        400, "The identity provider refused the request", detail, hint=likely_cause(exc.error), error=exc.error
    )


def untrusted_host() -> Response | None:
    """A Host header outside TRUSTED_HOSTS: a plain 400 before any other hook, since nothing
    (url_for, templates, redirects) can be built for a host the app does not serve."""
    if isinstance(request.routing_exception, SecurityError):
        return Response("400 Bad Request: this host name is not served here.\n", 400, mimetype="text/plain")
    return None


def register(app: Flask) -> None:
    """The error handlers (views/hooks.py places `untrusted_host` first of the request hooks)."""
    app.register_error_handler(ProviderError, provider_failed)
    app.register_error_handler(ProviderRefused, provider_refused)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Response:
        return problem(exc.code or 400, exc.name, exc.description or "")

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.path)
        return problem(500, "Something went wrong", "The error was logged; nothing was stored.")
