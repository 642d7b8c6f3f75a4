"""The setup doctor page."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from oauth import doctor as checks

from . import oauth_client, settings

bp = Blueprint("doctor", __name__)


@bp.get("/doctor")
def doctor() -> str:
    findings = checks.run(settings(), oauth_client().http, browser_host=request.host)
    return render_template("doctor.html", findings=findings)
