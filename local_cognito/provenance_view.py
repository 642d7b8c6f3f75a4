"""The local provider's own lab endpoint (not Cognito's): which claims and scopes of a token it minted
came from token customization, so the app's screens can mark them without reading the pool file.

GET /{pool_id}/flowlab/token-customization/{jti} answers, for a token this provider minted recently:
    {"token_use", "event_version", "trigger_source",
     "claims": {"added", "overridden", "suppressed"}, "scopes": {"added", "suppressed"}}
claim and scope names only, never a value; 404 for a token it does not know (or minted with no trigger).
Real Cognito has no such endpoint: against it, the screens can only mark claims outside Cognito's own set.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify

bp = Blueprint("flowlab", __name__)


@bp.get("/<pool_id>/flowlab/token-customization/<jti>")
def token_customization(pool_id: str, jti: str) -> Response:
    pool = current_app.extensions["local_cognito"]
    record = pool.customization_of(jti) if pool_id == pool.config["pool_id"] else None
    if record is None:
        response = jsonify({"error": "not_found", "error_description": "no customization record for this token"})
        response.status_code = 404
    else:
        response = jsonify({"jti": jti, **record})
    response.headers["Cache-Control"] = "no-store"
    return response
