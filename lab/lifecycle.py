"""Small helpers for showing a token's life: claim diffs after a refresh, shortened tokens."""

from __future__ import annotations

import json

from .display import shorten

__all__ = ["NOTES", "claim_diff", "shorten"]

NOTES = {
    "iat": "moves: a new token was issued",
    "exp": "moves: the new token has a new lifetime",
    "auth_time": "stays: you did not authenticate again",
    "origin_jti": "stays: it links every token from this sign-in to the refresh token",
    "jti": "changes: every token has its own id",
    "at_hash": "changes: it hashes the new access token",
}


def claim_diff(before: dict, after: dict) -> list[dict]:
    """One row per claim in either token: before, after, and whether it changed."""
    rows = []
    for name in list(dict.fromkeys([*before, *after])):
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
