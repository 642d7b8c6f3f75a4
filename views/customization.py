"""Marks for claims and scopes that came from token customization, on the dashboard and /machine: from the
local provider's record of each token (read once per token, shown in the trace as the lab's own probe), or,
against real Cognito, only what the token itself shows (lab/customization.py says the limit)."""

from __future__ import annotations

from flask import current_app

from lab.customization import EMPTY_RECORD, customization_marks, mark_rows
from oauth.customization import CustomizationRecords
from oauth.http import ProviderError
from tracing import recorder

from . import oauth_client, settings


def _records() -> CustomizationRecords:
    return current_app.extensions.setdefault(
        "customization_records", CustomizationRecords(oauth_client().http, settings().client.issuer)
    )


def customized(rows: list[dict], claims: dict, token_use: str) -> dict | None:
    """Mark the display `rows` of a token's `claims`; what the screen says under them, or None for a provider
    that is not Cognito (its own claims are not Cognito's, so nothing can be told apart)."""
    s = settings().client
    if not s.is_cognito:
        return None
    record: dict | None = None
    unread = ""
    if s.local_provider:
        jti = claims.get("jti")
        record = EMPTY_RECORD
        if isinstance(jti, str) and jti:
            try:
                with recorder.probes():  # the lab's own call, to the local provider's own endpoint
                    record = _records().get(jti) or EMPTY_RECORD
            except ProviderError as exc:
                record, unread = None, f"The local provider's customization record could not be read ({exc.message})."
    said = mark_rows(rows, customization_marks(claims, token_use, record))
    if unread:
        said["note"] = f"{unread} {said['note']}"
    return said
