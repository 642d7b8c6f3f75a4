"""The trace page, its exports (curl, HAR, Markdown) and the Postman collection."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import Blueprint, Response, g, jsonify, redirect, render_template, session, url_for
from markupsafe import Markup, escape

from lab.causes import likely_cause
from lab.display import shorten
from lab.steps import explain_params
from oauth import exports, safejson
from oauth.trace import marker_re, shorten_markers

from . import oauth_client, settings
from .tracing import current_trace_id, store

bp = Blueprint("trace", __name__)


def _record() -> dict:
    return store().load(current_trace_id())


@bp.app_template_filter("trace_html")
def trace_html(text: str, step_id: int) -> Markup:
    """Escape a redacted text; show each of the step's own token markers shortened, with a reveal
    control. Which markers count comes from the stored step (its tag), never from the text alone."""
    record = _record_cache()
    vault = record["vault"]
    step = next((s for s in record["steps"] if s["id"] == step_id), {})
    auth = session.get("auth") or {}
    own = {auth.get("access_token"), auth.get("id_token")} - {None}
    out, last = [], 0
    for match in marker_re(step).finditer(text or ""):
        out.append(escape(text[last : match.start()]))
        key = f"{step_id}.{match.group(1)}"
        full = vault.get(key, "")
        short = shorten(full) if full else "$TOKEN"
        button = (
            Markup('<button type="button" class="reveal" data-token="{}">reveal</button>').format(key)
            if full and full in own
            else ""
        )
        out.append(Markup('<span class="tok" data-token="{}">{}</span>{}').format(key, short, button))
        last = match.end()
    out.append(escape((text or "")[last:]))
    return Markup("").join(out)


def _record_cache() -> dict:
    if "trace_record" not in g:
        g.trace_record = _record()
    return g.trace_record


@bp.get("/trace")
def trace() -> str:
    record = _record_cache()
    steps = record["steps"]
    views = []
    for step in steps:
        path = urlsplit(step["url"]).path
        status = str(step["status"]) if step["status"] else "no answer"
        if step["kind"] == "browser" and not step["status"]:
            status = "redirect"
        views.append(
            {
                "step": step,
                "params": explain_params(step),
                "curl": shorten_markers(exports.curl(step), record["vault"], step) if step["kind"] == "server" else "",
                "arrow": (
                    step["from"],
                    step["to"],
                    f"{step['method']} {path} ({status})"
                    if status == "redirect"
                    else f"{step['method']} {path} → {status}",
                    step["kind"],
                ),
                "cause": _cause(step),
            }
        )
    return render_template("trace.html", views=views)


@bp.post("/trace/clear")
def clear() -> Response:
    store().delete(current_trace_id())
    return redirect(url_for("trace.trace"))


@bp.get("/trace/token/<int:step_id>/<int:index>")
def reveal(step_id: int, index: int) -> Response:
    """The full token behind a marker, only when it is one of the caller's own current tokens."""
    auth = session.get("auth") or {}
    if not auth:
        response = jsonify({"error": "sign in to reveal tokens"})
        response.status_code = 403
        return response
    value = _record()["vault"].get(f"{step_id}.{index}")
    if value is None or value not in (auth.get("access_token"), auth.get("id_token")):
        response = jsonify({"error": "only the tokens of your current sign-in can be revealed"})
        response.status_code = 404
        return response
    return jsonify({"value": value})


def _download(body: str, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.get("/trace.har")
def har() -> Response:
    record = _record()
    return _download(exports.to_json(exports.har(record["steps"], record["vault"])), "application/json", "trace.har")


@bp.get("/trace.md")
def markdown() -> Response:
    record = _record()
    return _download(exports.markdown(record["steps"], record["vault"]), "text/markdown", "trace.md")


@bp.get("/postman.json")
def postman() -> Response:
    collection = exports.postman_collection(settings().client_config, oauth_client().metadata())
    return _download(exports.to_json(collection), "application/json", "cognito-flow-lab.postman_collection.json")


def _cause(step: dict) -> str:
    """The likely cause of an OAuth error in a step's response (JSON body, query or WWW-Authenticate)."""
    error = ""
    try:
        body = safejson.loads(step["response_body"]) if step["response_body"].startswith("{") else {}
        error = body.get("error", "") if isinstance(body, dict) else ""
    except ValueError:
        pass
    if not error:
        match = re.search(
            r'error="?([a-z_]+)', step["response_headers"].get("WWW-Authenticate", "") + " " + step["url"]
        )
        error = match.group(1) if match else ""
    return f"{error}: {likely_cause(error)}" if error and likely_cause(error) else ""
