"""The trace page, its exports (curl, HAR, Markdown) and the Postman collection."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import Blueprint, Response, g, jsonify, redirect, render_template, url_for
from markupsafe import Markup, escape

from lab.causes import likely_cause
from lab.display import shorten
from lab.steps import ARROW_LABELS, explain_params
from oauth import exports, safejson
from oauth.trace import marker_re, shorten_markers

from . import oauth_client, settings, signin
from .tracing import current_trace_id, store

bp = Blueprint("trace", __name__)


def _record() -> dict:
    return store().load(current_trace_id())


def placeholder_for(before: str) -> str:
    """The placeholder of a token whose full value is gone: $ID_TOKEN after an id_token key or
    id_token_hint, else $ACCESS_TOKEN (the same set as the curl commands)."""
    return "$ID_TOKEN" if "id_token" in before[-30:] else "$ACCESS_TOKEN"


@bp.app_template_filter("trace_html")
def trace_html(text: str, step_id: int) -> Markup:
    """Escape a redacted text; show each of the step's own token markers shortened, with a reveal
    control. Which markers count comes from the stored step (its tag), never from the text alone."""
    record = _record_cache()
    vault = record["vault"]
    step = next((s for s in record["steps"] if s["id"] == step_id), {})
    auth = signin.load()
    own = auth.revealable() if auth else set()
    out, last = [], 0
    for match in marker_re(step).finditer(text or ""):
        out.append(escape(text[last : match.start()]))
        key = f"{step_id}.{match.group(1)}"
        full = vault.get(key, "")
        before = text[max(0, match.start() - 40) : match.start()]
        short = shorten(full) if full else placeholder_for(before)
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


def _arrow(step: dict) -> tuple[str, str, str, str]:
    """(from, to, label, channel): labelled by step, coloured by channel (front: through the browser)."""
    path = urlsplit(step["url"]).path
    if path.count("/") > 2:  # /pool/.well-known/jwks.json reads as …/jwks.json on an arrow
        path = "…/" + path.rsplit("/", 1)[1]
    status = str(step["status"]) if step["status"] else "no answer"
    label = ARROW_LABELS.get(step["name"], step["name"])
    if step["kind"] == "browser" and not step["status"]:
        text = f"{label} (redirect)\n{step['method']} {path}"
    else:
        text = f"{label} → {status}\n{step['method']} {path}"
    channel = "front" if step["kind"] == "browser" else "back"
    return step["from"], step["to"], text, channel + (" probe" if step.get("probe") else "")


def _items(views: list[dict]) -> list[dict]:
    """Consecutive probe steps (setup doctor, revocation lab) grouped into one item."""
    items: list[dict] = []
    for view in views:
        probe = bool(view["step"].get("probe"))
        source = ("the setup doctor" if view["step"]["name"] == "doctor" else "the revocation lab") if probe else ""
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
    record = _record_cache()
    steps = record["steps"]
    views = []
    for step in steps:
        views.append(
            {
                "step": step,
                "params": explain_params(step),
                "curl": shorten_markers(exports.curl(step), record["vault"], step) if step["kind"] == "server" else "",
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
    auth = signin.load()
    if auth is None:
        response = jsonify({"error": "sign in to reveal tokens"})
        response.status_code = 403
        return response
    value = _record()["vault"].get(f"{step_id}.{index}")
    if value is None or value not in auth.revealable():
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
        error = step["response_headers"].get("X-OAuth-Error", "")
    if not error:
        match = re.search(
            r'error="?([a-z_]+)', step["response_headers"].get("WWW-Authenticate", "") + " " + step["url"]
        )
        error = match.group(1) if match else ""
    return f"{error}: {likely_cause(error)}" if error and likely_cause(error) else ""
