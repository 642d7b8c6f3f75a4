"""Thin Flask blueprints; the protocol logic lives in the `oauth` package."""

from __future__ import annotations

from flask import current_app

from config import Settings
from oauth.client import OAuthClient


def oauth_client() -> OAuthClient:
    return current_app.extensions["oauth_client"]


def settings() -> Settings:
    return current_app.extensions["settings"]
