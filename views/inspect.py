"""The token inspector page: paste a token, see it decoded and verified. Nothing is stored or traced."""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request

from lab.inspector import MAX_PASTE, InspectError, inspect_token

from . import oauth_client, settings

bp = Blueprint("inspect", __name__)


@bp.after_request
def _no_store(response: Response) -> Response:
    if request.endpoint == "inspect.page":
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cache-Control"] = "no-store"
    return response


# POST is rate-limited per client address (RATE_LIMIT_INSPECT, views/limits.py).
@bp.route("/inspect", methods=["GET", "POST"])
def page() -> Response | str:
    if request.method == "GET":
        return render_template("inspect.html", result=None, max_paste=MAX_PASTE)
    client = oauth_client()
    try:
        # the pasted token lives in this request only: never in the session, the trace or a log
        result = inspect_token(request.form.get("token", ""), settings().client_config, client.presets)
    except InspectError as exc:
        html = render_template("inspect.html", result=None, error=exc.message, max_paste=MAX_PASTE)
        return Response(html, status=exc.status, mimetype="text/html")
    return render_template("inspect.html", result=result, max_paste=MAX_PASTE)
