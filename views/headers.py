"""After each request: the strict headers every page carries (placed by views/hooks.py)."""

from __future__ import annotations

from flask import Flask, current_app, request
from werkzeug.wrappers import Response

from oauth.client import OAuthClient
from oauth.spa import origin

from . import request_state, settings


def content_security_policy(app: Flask) -> str:
    """The CSP; forms may post to the provider (logout redirects). Rebuilt only when discovery changes."""
    client: OAuthClient = app.extensions["oauth_client"]
    meta = client.discovery.cached()
    cached = app.extensions.get("csp")
    if cached is not None and cached[0] is meta:
        return cached[1]
    config = settings().client
    origins = {origin(config.issuer)}
    if meta is not None:
        origins |= {origin(meta.authorization_endpoint), origin(meta.end_session_endpoint)}
    if config.cognito_domain:
        origins.add(origin(config.cognito_domain))
    forms = " ".join(sorted(o for o in origins if o))
    policy = (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"connect-src 'self'; form-action 'self' {forms}; base-uri 'none'; "
        "object-src 'none'; frame-ancestors 'none'"
    )
    app.extensions["csp"] = (meta, policy)
    return policy


def security_headers(response: Response) -> Response:
    h = response.headers
    policy = content_security_policy(current_app)
    extra = request_state.current().connect_src  # set by the pages that call the provider from the browser (/spa)
    if extra:
        policy = policy.replace("connect-src 'self'", "connect-src 'self' " + " ".join(extra), 1)
    h["Content-Security-Policy"] = policy
    h["X-Content-Type-Options"] = "nosniff"
    h.setdefault("Referrer-Policy", "same-origin")
    h["X-Frame-Options"] = "DENY"
    h["Cross-Origin-Opener-Policy"] = "same-origin"
    if settings().secure_cookies:
        h["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    if not request.path.startswith("/static/"):
        h["Cache-Control"] = "no-store"
    return response
