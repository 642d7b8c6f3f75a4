"""Thin Flask blueprints; the protocol logic lives in the `oauth` package."""

from __future__ import annotations

from flask import current_app

from config import Settings
from oauth.client import OAuthClient
from oauth.tokens import decode_unverified


def oauth_client() -> OAuthClient:
    return current_app.extensions["oauth_client"]


def settings() -> Settings:
    return current_app.extensions["settings"]


def unverified_claims(token: str | None) -> dict | None:
    """A token's payload, read without verifying it (for display and diffs), or None."""
    if not token:
        return None
    try:
        return decode_unverified(token)[1]
    except ValueError:
        return None
