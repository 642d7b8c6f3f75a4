"""The trace page, its exports (curl, HAR, Markdown) and the Postman collection."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import flask
from flask import Blueprint, jsonify, redirect, render_template, session, url_for
from werkzeug.wrappers import Response

from lab.causes import likely_cause
from lab.steps import ARROW_LABELS
from oauth import safejson
from tracing import exports
from tracing.markers import marked, shorten_markers
from tracing.model import Step
from tracing.recorder import current_trace, current_trace_id, store

from . import oauth_client, settings

bp = Blueprint("trace", __name__)


def _own_tokens() -> set[str]:
    """The signed-in user's current access and ID tokens: the only ones they may reveal."""
    auth = session.get("auth") or {}
    return {t for t in (auth.get("access_token"), auth.get("id_token")) if isinstance(t, str)}


def _arrow(step: Step) -> tuple[str, str, str, str]:
    """(from, to, label, channel): labelled by step, coloured by channel (front: through the browser)."""
    path = urlsplit(step.url).path
    if path.count("/") > 2:  # /pool/.well-known/jwks.json reads as …/jwks.json on an arrow
        path = "…/" + path.rsplit("/", 1)[1]
    status = str(step.status) if step.status else "no answer"
    label = ARROW_LABELS.get(step.name, step.name)
    if step.kind == "browser" and not step.status:
        text = f"{label} (redirect)\n{step.method} {path}"
    else:
        text = f"{label} → {status}\n{step.method} {path}"
    channel = "front" if step.kind == "browser" else "back"
    return step.source, step.target, text, channel + (" probe" if step.probe else "")


def _items(views: list[dict]) -> list[dict]:
    """Consecutive probe steps (setup doctor, revocation lab) grouped into one item."""
    items: list[dict] = []
    for view in views:
        probe = view["step"].probe
        source = ("the setup doctor" if view["step"].name == "doctor" else "the revocation lab") if probe else ""
        if probe and items and items[-1]["probe"] and items[-1]["source"] == source:
            items[-1]["views"].append(view)
        else:
            items.append({"probe": probe, "source": source, "views": [view]})
    for item in items:
        if item["probe"]:
            count = len(item["views"])
            item["arrow"] = (
                "app",
                "provider",
                f"{count} probe{'s' if count != 1 else ''} by {item['source']}",
                "back probe",
            )
    return items


@bp.get("/trace")
def trace() -> str:
    record = current_trace()
    own = _own_tokens()
    views = []
    for step in record.steps:
        views.append(
            {
                "step": step,
                "marked": marked(step, record.vault, own),
                "curl": shorten_markers(exports.curl(step), record.vault, step) if step.kind == "server" else "",
                "arrow": _arrow(step),
                "cause": _cause(step),
            }
        )
    items = _items(views)
    arrows = [item["arrow"] if item["probe"] else item["views"][0]["arrow"] for item in items]
    return render_template("trace.html", views=views, items=items, arrows=arrows)


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
    value = current_trace().vault.get(f"{step_id}.{index}")
    if value is None or value not in (auth.get("access_token"), auth.get("id_token")):
        response = jsonify({"error": "only the tokens of your current sign-in can be revealed"})
        response.status_code = 404
        return response
    return jsonify({"value": value})


def _download(body: str, mimetype: str, filename: str) -> Response:
    response = flask.Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.get("/trace.har")
def har() -> Response:
    record = current_trace()
    return _download(exports.to_json(exports.har(record.steps, record.vault)), "application/json", "trace.har")


@bp.get("/trace.md")
def markdown() -> Response:
    record = current_trace()
    return _download(exports.markdown(record.steps, record.vault), "text/markdown", "trace.md")


@bp.get("/postman.json")
def postman() -> Response:
    collection = exports.postman_collection(settings().client_config, oauth_client().metadata())
    return _download(exports.to_json(collection), "application/json", "cognito-flow-lab.postman_collection.json")


def _cause(step: Step) -> str:
    """The likely cause of an OAuth error in a step's response (JSON body, query or WWW-Authenticate)."""
    error = ""
    try:
        body = safejson.loads(step.response_body) if step.response_body.startswith("{") else {}
        error = body.get("error", "") if isinstance(body, dict) else ""
    except ValueError:
        pass
    if not error:
        error = step.response_headers.get("X-OAuth-Error", "")
    if not error:
        match = re.search(r'error="?([a-z_]+)', step.response_headers.get("WWW-Authenticate", "") + " " + step.url)
        error = match.group(1) if match else ""
    return f"{error}: {likely_cause(error)}" if error and likely_cause(error) else ""
