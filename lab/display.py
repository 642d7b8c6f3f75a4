"""Small renderings for people: a token shortened, a token response for display."""

from __future__ import annotations


def shorten(token: str, keep: int = 12) -> str:
    """`eyJraWQiOi…Q3x9` — enough to recognise a token, not to use it."""
    if len(token) <= 2 * keep + 1:
        return token[:4] + "…"
    return f"{token[:keep]}…{token[-4:]}"


REFRESH_HIDDEN = "(present: kept server-side, never shown)"
REFRESH_IN_PAGE = "(present, kept in page memory, not shown)"  # the browser-only flow's (static/dom.js)
REFRESH_PLACEHOLDER = "$REFRESH_TOKEN"  # a presenter screen's, as the trace shows it

# what "Sign in first to open ..." calls a page that needs a sign-in
PAGE_NAMES = {
    "/dashboard": "the dashboard",
    "/machine": "the machine-to-machine page",
    "/revocation": "the revocation lab",
}


def shorten_response(body: dict, refresh_hidden: str = REFRESH_HIDDEN) -> dict:
    """The token-endpoint JSON for display: every token shortened, the refresh token replaced by
    `refresh_hidden`. The one rule for it: static/dom.js's shortenResponse follows it in the browser."""
    out: dict = {}
    for key, value in body.items():
        if key == "refresh_token":
            out[key] = refresh_hidden
        elif key.endswith("_token") and isinstance(value, str):
            out[key] = shorten(value)
        elif isinstance(value, str | int | float | bool) or value is None:
            out[key] = value
        else:
            out[key] = str(value)[:200]
    return out
