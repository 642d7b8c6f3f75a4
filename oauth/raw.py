"""Raw tokens on demand: the token endpoint's answer with tokens shortened and the refresh token never shown."""

from __future__ import annotations

from lab.display import shorten

REFRESH_HIDDEN = "(present: kept server-side, never shown)"


def shorten_response(body: dict) -> dict:
    """The token-endpoint JSON for display: every token shortened, the refresh token hidden."""
    out: dict = {}
    for key, value in body.items():
        if key == "refresh_token":
            out[key] = REFRESH_HIDDEN
        elif key.endswith("_token") and isinstance(value, str):
            out[key] = shorten(value)
        elif isinstance(value, str | int | float | bool) or value is None:
            out[key] = value
        else:
            out[key] = str(value)[:200]
    return out
