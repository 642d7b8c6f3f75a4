"""The trace page, its exports (curl, HAR, Markdown, Mermaid) and the Postman collection."""

from __future__ import annotations

import flask
from flask import Blueprint, jsonify, redirect, render_template, url_for
from werkzeug.wrappers import Response

from tracing import exports, mermaid
from tracing.page import trace_page
from tracing.recorder import current_trace, current_trace_id, store

from . import oauth_client, signin

bp = Blueprint("trace", __name__)


def _own_tokens() -> set[str]:
    """The signed-in user's current access and ID tokens: the only ones they may reveal."""
    auth = signin.load()
    return auth.revealable() if auth else set()


@bp.get("/trace")
def trace() -> str:
    record = current_trace()
    page = trace_page(record, _own_tokens())
    diagram = mermaid.sequence_diagram(record.steps, record.vault)  # for the page's Copy button
    return render_template("trace.html", views=page.views, items=page.items, arrows=page.arrows, mermaid=diagram)


@bp.post("/trace/clear")
def clear() -> Response:
    store().delete(current_trace_id())
    return redirect(url_for("trace.trace"))


@bp.get("/trace/token/<int:step_id>/<int:index>")
def reveal(step_id: int, index: int) -> Response:
    """The full token behind a marker, only when it is one of the caller's own current tokens."""
    auth = signin.load()
    if auth is None:
        response = jsonify({"error": "sign in to reveal tokens"})
        response.status_code = 403
        return response
    value = current_trace().vault.get(f"{step_id}.{index}")
    if value is None or value not in auth.revealable():
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


@bp.get("/trace.mmd")
def mermaid_diagram() -> Response:
    """The trace as a Mermaid sequence diagram (GitHub and most wikis render it)."""
    record = current_trace()
    return _download(mermaid.sequence_diagram(record.steps, record.vault), "text/plain", "trace.mmd")


@bp.get("/postman.json")
def postman() -> Response:
    collection = exports.postman_collection(oauth_client())
    return _download(exports.to_json(collection), "application/json", "cognito-flow-lab.postman_collection.json")
