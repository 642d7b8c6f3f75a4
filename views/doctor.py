"""The setup doctor page.

A GET shows only the checks that need no provider call. The live checks (discovery, probes of
the authorize and token endpoints, one of them with the client secret) run on a POST from the
page's button: anti-forgery token, rate-limited, and their result is reused for a minute.
"""

from __future__ import annotations

import threading
import time

from flask import Blueprint, current_app, render_template, request

from lab import doctor as checks

from . import oauth_client, settings

bp = Blueprint("doctor", __name__)
LIVE_CACHE_SECONDS = 60
_lock = threading.Lock()


def _live_findings() -> tuple[list[checks.Finding], float]:
    """The live checks (without the browser-dependent cookie check), at most one run a minute."""
    with _lock:
        cached = current_app.extensions.get("doctor_live")
        now = time.monotonic()
        if cached is None or now - cached[0] >= LIVE_CACHE_SECONDS:
            findings = [f for f in checks.run(settings().client, oauth_client().http) if f.name != "cookie_host"]
            cached = current_app.extensions["doctor_live"] = (now, findings)
        return cached[1], now - cached[0]


@bp.route("/doctor", methods=["GET", "POST"])
def doctor() -> str:
    trap = checks.cookie_trap(settings().client, request.host)
    if request.method != "POST":
        return render_template("doctor.html", findings=checks.offline(settings().client, request.host), live=False)
    findings, age = _live_findings()
    position = next((i for i, f in enumerate(findings) if f.name == "uris"), len(findings) - 1) + 1
    findings = [*findings[:position], trap, *findings[position:]]
    return render_template("doctor.html", findings=findings, live=True, age=int(age))
