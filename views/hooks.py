"""Every app-wide request hook and template global, in one ordered list: create_app calls `install` once.

Before each request, in this order (the first that answers ends the request; the after hooks still run):
  1. errors.untrusted_host           a Host outside TRUSTED_HOSTS: a plain 400, before anything builds a URL
  2. recorder.note_session           whether the request came with a session, and its trace id: read before
                                     a timeout (6) clears the session, and the trace's id with it
  3. session_guard.store_down        the session store failed as the session opened: a 503 page
  4. app_host.sign_in_on_the_app_host  a sign-in started at the other loopback name moves to APP_URL's
  5. guards.reject_cross_site        state changes only from the app's own pages, with the anti-forgery token
  6. guards.session_timeouts         idle timeout and maximum age: the session cleared, a new trace
  7. recorder.start_clock            when the request began (the steps it records are timed from here)
  8. attacks.your_code               the browser-only callback bringing back the code of the attack lab's
                                     attack 1 (a real provider: the user's own sign-in) is the lab's
  then Flask-Limiter's own check (views/limits.py installs it after the blueprints, so it comes last).

After each request, in the order they run (Flask runs them in reverse order of registration; Flask-Limiter's
header hook, registered last, runs first):
  1. recorder.flush                  the request's steps into its trace, and the trace cookie
  2. antiforgery.set_cookie          a newly issued anti-forgery cookie
  3. headers.security_headers        CSP, nosniff, framing, referrer and cache headers: last, on every answer

A blueprint's own hooks (a callback's Referrer-Policy, /machine's gate) stay with its views: they concern
its routes only. Per-request values go in views/request_state.py's typed RequestState, never in loose `g`
attributes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import redis
from flask import Flask
from werkzeug.wrappers import Response as BaseResponse

from attacks.catalogue import ATTACK_FOR_CHECK
from config import Settings
from lab.claims import CLAIM_GROUPS, why
from lab.glossary import code_spans, explained, link_terms
from tracing import recorder

from . import antiforgery, app_host, attacks, errors, guards, headers, presenter, session_guard, signin
from .dashboard import soft_breaks
from .raw_tokens import pretty_json

BEFORE_REQUEST: tuple[Callable[[], BaseResponse | None], ...] = (
    errors.untrusted_host,
    recorder.note_session,
    session_guard.store_down,
    app_host.sign_in_on_the_app_host,
    guards.reject_cross_site,
    guards.session_timeouts,
    recorder.start_clock,
    attacks.your_code,
)
AFTER_REQUEST: tuple[Callable[[BaseResponse], BaseResponse], ...] = (  # in the order they run
    recorder.flush,
    antiforgery.set_cookie,
    headers.security_headers,
)
TEMPLATE_FILTERS: dict[str, Callable[..., Any]] = {
    "soft_breaks": soft_breaks,
    "pretty_json": pretty_json,
    "glossary": link_terms,  # a glossary term links to its entry on /glossary
    "explained": explained,  # the same, with the term's short phrase after it
    "code_spans": code_spans,  # `backticked` parts of a glossary entry shown as code
}


@dataclass(frozen=True)
class PageSettings:
    """The settings the pages show (the home page's configuration card, the navigation's provider badge,
    the placeholders' note), and nothing else: no secret (client secrets, SECRET_KEY, REDIS_URL's password)
    is within a template's reach."""

    issuer: str
    client_id: str
    client_auth: str
    scopes: tuple[str, ...]
    redirect_uri: str
    app_url: str
    is_cognito: bool
    local_provider: bool
    local_pool_file: str
    demo_users: tuple[tuple[str, str], ...]  # the local provider's demo users: the home page shows them
    public_client_id: str
    m2m_client_id: str
    resource_scopes: tuple[str, ...]
    machine_page: bool
    session_backend: str
    api_call_allowlist: tuple[str, ...]  # where /call may send the access token (the operator's entries, as written)

    @classmethod
    def of(cls, settings: Settings) -> PageSettings:
        c = settings.client
        return cls(
            issuer=c.issuer,
            client_id=c.client_id,
            client_auth=c.client_auth,
            scopes=c.scopes,
            redirect_uri=c.redirect_uri,
            app_url=c.app_url,
            is_cognito=c.is_cognito,
            local_provider=c.local_provider,
            local_pool_file=settings.local_pool_file,
            demo_users=settings.demo_users if c.local_provider else (),
            public_client_id=c.public_client_id,
            m2m_client_id=c.m2m_client_id,
            resource_scopes=c.resource_scopes,
            machine_page=settings.machine_page,
            session_backend=settings.session_backend,
            api_call_allowlist=tuple(entry.text for entry in settings.api_call_allowlist),
        )


def template_globals(settings: Settings) -> dict[str, Any]:
    """What every template may call or read, besides what its view passes."""
    return {
        "settings": PageSettings.of(settings),  # what the pages show of the settings, never a secret
        "csrf_token": antiforgery.token,  # the anti-forgery token (issues its cookie on first use)
        "presenting": presenter.presenting,  # presenter mode is on (its own cookie)
        "why": why,  # what a check is for (the words live in lab/, not on the check)
        "attack_for": ATTACK_FOR_CHECK.get,  # the attack lab's attack a check stops (None: none)
        "claim_groups": CLAIM_GROUPS,  # the order of every claims table, for static/dom.js
    }


def template_values() -> dict[str, bool]:
    """Values read afresh at each render (a page rendered after a sign-out in the same request already
    shows the signed-out navigation)."""
    return {"signed_in": signin.signed_in(), "auto_refresh": signin.auto_refresh()}


def install(app: Flask, settings: Settings) -> None:
    """Register the hooks above in their order, the template globals and filters, and the error handlers."""
    for before in BEFORE_REQUEST:
        app.before_request(before)
    for after in reversed(AFTER_REQUEST):
        app.after_request(after)
    app.jinja_env.globals.update(template_globals(settings))
    app.jinja_env.filters.update(TEMPLATE_FILTERS)
    app.context_processor(template_values)
    app.register_error_handler(redis.RedisError, session_guard.redis_error)
    errors.register(app)
