"""Sign-ins start on APP_URL's own host name.

The provider sends the browser back to APP_URL, and cookies are kept per host name: a sign-in started
at http://127.0.0.1:5000 while APP_URL says http://localhost:5000 comes back to a host where this
browser has no session, and fails with "Unknown or already used state". A loopback APP_URL serves
both names (Flask's TRUSTED_HOSTS, config.py), so the page that starts a sign-in first moves the
browser to APP_URL's name, before any state is made.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import redirect, request
from werkzeug.wrappers import Response

from . import settings

# the views that begin a login transaction (or, for /spa, keep one in this origin's sessionStorage)
SIGN_IN_STARTS = frozenset({"auth.login", "implicit.start", "authorize_panel.page", "spa.start"})


def sign_in_on_the_app_host() -> Response | None:
    """Before a view that starts a sign-in: at the other loopback name, go to APP_URL's first."""
    if request.endpoint not in SIGN_IN_STARTS or request.method not in ("GET", "HEAD"):
        return None
    app_url = settings().client.app_url
    wanted, here = urlsplit(app_url), urlsplit(f"//{request.host}")
    if here.hostname == wanted.hostname or here.port != wanted.port:
        return None  # the right name, or another server (a proxy's port): nothing to move
    return redirect(app_url + request.full_path.rstrip("?"))
