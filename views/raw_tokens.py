"""Reveal a token of this session on explicit request (the dashboard's and /machine's Reveal buttons)."""

from __future__ import annotations

import json

from flask import Blueprint, Response, jsonify, session

from flows.keys import MACHINE_TOKEN

from . import signin
from .spa import json_body

bp = Blueprint("raw_tokens", __name__)


def pretty_json(value: object) -> str:
    """JSON for reading (the shortened tokens' "…" stays a character); Jinja escapes it for HTML."""
    return json.dumps(value, indent=2, ensure_ascii=False)


def _refuse(status: int, error: str) -> Response:
    response = jsonify({"error": error})
    response.status_code = status
    return response


@bp.post("/api/tokens/reveal")
def reveal() -> Response:
    """The full ID, access or machine token; never a refresh token. POST + anti-forgery token."""
    body, refused = json_body()
    if refused is not None:
        return refused
    which = body.get("which") if isinstance(body, dict) else None
    if which not in ("id", "access", "machine"):
        return _refuse(400, "which must be id, access or machine (a refresh token is never revealed)")
    if which == "machine":
        token = MACHINE_TOKEN.get(session)
    else:
        auth = signin.load()
        token = None if auth is None else (auth.id_token if which == "id" else auth.access_token)
    if not token:
        return _refuse(404, f"this session holds no {which} token")
    return jsonify({"token": token})
