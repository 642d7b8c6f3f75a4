"""Rate limits (Flask-Limiter) on the routes that start work: sign-ins, callbacks, live doctor checks,
the inspector, the attack lab's runs, and the provider calls a signed-in user makes the app send (one
budget for all of them).

Counted per client address, in memory by default and in Redis (keys with a TTL) when
SESSION_BACKEND=redis, so several instances share the counts. Over the limit: 429 with
`Retry-After`, as a page, or as JSON under /api/.
"""

from __future__ import annotations

import math
import time
from typing import cast

from flask import Flask, Response, current_app
from flask.typing import RouteCallable
from flask_limiter import Limiter, RateLimitExceeded
from flask_limiter.util import get_remote_address

from config import Settings

from .errors import problem

SIGN_IN_ENDPOINTS = (
    "auth.login",
    "auth.callback",
    "implicit.start",
    "implicit.verify",
    "authorize_panel.page",
    "authorize_panel.send",
    "spa.begin",
    "spa.verify",
    "spa.trace",
)
DOCTOR_ENDPOINTS = ("doctor.doctor",)
INSPECT_ENDPOINTS = ("inspect.page",)
# The routes that make the app call the provider (or, from /call, another API) for a signed-in user; sign-out
# is not among them (its one revocation ends the session, and signing out must never be refused).
PROVIDER_ENDPOINTS = (
    "machine.machine",
    "lifecycle.refresh",
    "lifecycle.replay_old",
    "lifecycle.userinfo",
    "lifecycle.revoke",
    "api_call.send",
)
PROVIDER_PAGES = ("lifecycle.revocation",)  # a GET: each visit tries the revoked tokens at the provider
# the attack lab: a run is some twenty requests to this app and the provider, each presenter Continue one or more
ATTACK_ENDPOINTS = ("attacks.run", "attacks.resume")


def _too_many(exc: RateLimitExceeded) -> Response:
    limiter: Limiter = current_app.extensions["flowlab_limiter"]
    current = limiter.current_limit
    wait = max(1, math.ceil(current.reset_at - time.time())) if current else 60
    response = problem(
        429,
        "Too many requests",
        f"This address made too many requests here ({exc.description}). Try again in {wait} seconds.",
        error="rate_limited",
    )
    response.headers["Retry-After"] = str(wait)
    return response


def _storage_uri(redis_url: str) -> str:
    """REDIS_URL as the limits library names it: a unix socket is `redis+unix://` there."""
    return "redis+" + redis_url if redis_url.startswith("unix://") else redis_url


def install(app: Flask, settings: Settings) -> None:
    """Wrap the work-starting views in their limits; call after the blueprints are registered."""
    redis = settings.session_backend == "redis"
    limiter = Limiter(
        key_func=get_remote_address,
        app=app,
        storage_uri=_storage_uri(settings.redis_url) if redis else "memory://",
        storage_options={"socket_timeout": 2, "socket_connect_timeout": 2} if redis else {},
        strategy="fixed-window",
        key_prefix="flowlab-limits",
        swallow_errors=True,  # a store outage is answered by the session guard (503), never a 500
        headers_enabled=False,
    )
    app.extensions["flowlab_limiter"] = limiter
    budget = settings.rate_limit_provider_calls  # one count (its scope) for the posts and the page
    provider_calls = limiter.shared_limit(budget, scope="provider-calls", methods=["POST"])
    provider_page = limiter.shared_limit(budget, scope="provider-calls")
    for endpoints, limit in (
        (SIGN_IN_ENDPOINTS, limiter.limit(settings.rate_limit_sign_in)),
        (DOCTOR_ENDPOINTS, limiter.limit(settings.rate_limit_doctor, methods=["POST"])),
        (INSPECT_ENDPOINTS, limiter.limit(settings.rate_limit_inspect, methods=["POST"])),
        (ATTACK_ENDPOINTS, limiter.shared_limit(settings.rate_limit_attacks, scope="attacks")),
        (PROVIDER_ENDPOINTS, provider_calls),
        (PROVIDER_PAGES, provider_page),
    ):
        for endpoint in endpoints:
            # The wrapper has the view's signature (functools.wraps); mypy merges the sync and async
            # members of RouteCallable into one return type, so it is stated here.
            app.view_functions[endpoint] = cast(RouteCallable, limit(app.view_functions[endpoint]))
    app.register_error_handler(RateLimitExceeded, _too_many)
