"""Small helpers for showing a token's life: claim diffs after a refresh, shortened tokens."""

from __future__ import annotations

import json

from .claims import order_claims
from .display import shorten

__all__ = ["NOTES", "claim_diff", "shorten"]

NOTES = {
    "iat": "a new token was issued",
    "exp": "the new token has its own lifetime",
    "auth_time": "you did not sign in again",
    "origin_jti": "it links every token from this sign-in to the refresh token",
    "jti": "every token has its own id",
    "at_hash": "it is the hash of the new access token",
    "nonce": "a refreshed ID token has none: there was no new authorize request to echo",
}


def claim_diff(before: dict, after: dict) -> list[dict]:
    """One row per claim in either token, in reading order: before, after, and whether it changed."""
    rows = []
    for name in order_claims(dict.fromkeys([*before, *after])):
        old, new = before.get(name), after.get(name)
        status = (
            "same" if old == new else ("added" if name not in before else "removed" if name not in after else "changed")
        )
        rows.append(
            {
                "name": name,
                "before": json.dumps(old) if name in before else "",
                "after": json.dumps(new) if name in after else "",
                "status": status,
                "note": NOTES.get(name, ""),
            }
        )
    return rows
