"""The browser-only flow: a public client (no secret) runs the code grant with PKCE in the page.

The server never sees the code, the verifier or the refresh token. It serves the page its settings,
issues each sign-in's `state` and `nonce` (kept in the session, single use, as for the implicit
page), and verifies the ID token the page posts back with that `state`.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from .config import ClientConfig
from .discovery import ProviderMetadata
from .tokens import MAX_TOKEN_LENGTH

MAX_STATE = 256
TOKEN_NAMES = ("id_token", "access_token", "refresh_token")


def origin(url: str) -> str:
    parts = urlsplit(url or "")
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def browser_scope(settings: ClientConfig) -> str:
    """The scope the browser-only page asks for: the configured scopes without resource-server scopes
    (a public client may not be allowed them), or openid."""
    return " ".join(s for s in settings.scopes if "/" not in s) or "openid"


def connect_origins(meta: ProviderMetadata) -> list[str]:
    """The provider origins the page's fetch() calls go to: token, userInfo, revoke."""
    found = {origin(meta.token_endpoint), origin(meta.userinfo_endpoint), origin(meta.revocation_endpoint)}
    return sorted(o for o in found if o)


def page_config(settings: ClientConfig, meta: ProviderMetadata) -> dict:
    """What the page needs to run the flow itself: public values only, never a secret."""
    return {
        "client_id": settings.public_client_id,
        "redirect_uri": settings.spa_redirect_uri,
        "scope": browser_scope(settings),
        "authorization_endpoint": meta.authorization_endpoint,
        "token_endpoint": meta.token_endpoint,
        "userinfo_endpoint": meta.userinfo_endpoint,
        "revocation_endpoint": meta.revocation_endpoint,
        "issuer": settings.issuer,
    }


def read_verify_body(body: object) -> tuple[dict, str]:
    """Validate `POST /api/spa/verify`'s JSON; return (values, error). Never holds a refresh token."""
    if not isinstance(body, dict):
        return {}, "the body must be a JSON object {id_token, access_token, state, received}"
    if "refresh_token" in body:
        return {}, "never send the refresh token to the server: it stays in the page"
    values: dict = {}
    for name, limit in (("id_token", MAX_TOKEN_LENGTH), ("access_token", MAX_TOKEN_LENGTH), ("state", MAX_STATE)):
        value = body.get(name)
        if not isinstance(value, str) or not value or len(value) > limit:
            return {}, f"{name} is missing or not a string of reasonable size"
        values[name] = value
    received = body.get("received", [])
    if not isinstance(received, list) or not all(isinstance(n, str) for n in received):
        return {}, "received must be a list of token names"
    values["received"] = sorted({n for n in received if n in TOKEN_NAMES})
    return values, ""
