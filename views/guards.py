"""Before each request: refuse cross-site state changes, and end timed-out sessions (placed by views/hooks.py)."""

from __future__ import annotations

import time

from flask import Response, redirect, request, session, url_for
from werkzeug.wrappers import Response as BaseResponse

from flows.keys import SEEN_AT
from oauth.spa import origin
from tracing import recorder

from . import antiforgery, errors, settings, signin

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
BEARER_ONLY = {"api.me"}  # authenticated by the Authorization header, never by the cookie
SEEN_AT_EVERY = 60  # seconds: how often a signed-in request records its time for the idle timeout


def reject_cross_site() -> Response | None:
    """A state change must come from the app's own pages, with the anti-forgery token."""
    if request.method in SAFE_METHODS or request.endpoint in BEARER_ONLY or request.routing_exception:
        return None  # (an unknown route or method gets its own 404/405)
    # Sec-Fetch-Site is authoritative when the browser sends it; Origin is "null" on pages with
    # Referrer-Policy: no-referrer (the callback), so only a real, different origin is refused.
    fetch_site = request.headers.get("Sec-Fetch-Site")
    sent_origin = request.headers.get("Origin")
    ours = origin(settings().client.app_url)
    if fetch_site in ("cross-site", "same-site") or sent_origin not in (None, "null", ours):
        return errors.problem(403, "Cross-site request refused", "This action must come from the app's own pages.")
    sent = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token", "")
    if not antiforgery.valid(sent):
        return errors.problem(403, "Missing or wrong anti-forgery token", "Reload the page and try again.")
    return None


def session_timeouts() -> BaseResponse | None:
    """A signed-in session past its idle timeout or maximum age is cleared (and its trace with it)."""
    user = signin.load()
    if user is None:
        return None
    s = settings()
    now, seen_at = time.time(), SEEN_AT.get(session)
    reason = None
    if now - user.login_at > s.session_max_hours * 3600:
        reason = "max"
    elif seen_at is not None and now - seen_at > s.session_idle_minutes * 60:
        reason = "idle"
    if reason:
        session.clear()
        antiforgery.rotate()
        recorder.start_new()  # nothing of the timed-out user stays readable at this browser
        if request.path.startswith("/api/") or request.endpoint in ("auth.logout", "static"):
            return None
        return redirect(url_for("dashboard.index", expired=reason))
    if request.endpoint != "static" and (seen_at is None or now - seen_at >= SEEN_AT_EVERY):
        SEEN_AT.set(int(now), session)  # so an idle timeout can come up to a minute early
    return None
