"""The resource-server side: GET /api/me validates a Cognito access token (RFC 6750), answered by
oauth/resource_server.py; GET /api/session summarises the signed-in session (claims and flags, no token)."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from oauth.resource_server import ApiAnswer

from . import signin, unverified_claims
from .context import resource_server

bp = Blueprint("api", __name__)


def _response(answer: ApiAnswer) -> Response:
    response = Response(answer.body, status=answer.status, mimetype="application/json")
    if answer.challenge:
        response.headers["WWW-Authenticate"] = answer.challenge
    return response


@bp.get("/api/health")
def health() -> Response:
    """No authentication: for load balancers, and the baseline that /api/me is measured against."""
    return jsonify({"ok": True})


@bp.route("/api/me", methods=["GET", "POST"])
def me() -> Response:
    header = request.headers.get("Authorization", "")
    server = resource_server()
    if request.method == "GET" and header.startswith("Bearer ") and "access_token" not in request.args:
        return _response(server.answer(header))  # a token that passed every check before is answered from cache
    form = request.form if request.method == "POST" else {}  # a GET has no body to parse
    return _response(server.answer(header, request.args, form))


@bp.get("/api/session")
def session_summary() -> Response:
    """What the session holds, for scripts: claims and flags, never a token."""
    auth = signin.load()
    if auth is None:
        return jsonify({"authenticated": False})
    return jsonify(
        {
            "authenticated": True,
            "flow": auth.flow,
            "sub": auth.sub,
            "login_at": auth.login_at,
            "id_token_claims": unverified_claims(auth.id_token),
            "access_token_claims": unverified_claims(auth.access_token),
            "refresh_token": "present" if auth.refresh_token else "absent",
        }
    )
