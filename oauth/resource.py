"""The resource-server side: validate `Authorization: Bearer` access tokens (RFC 6750)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from .tokens import CheckName, Verification

B64TOKEN = re.compile(r"^[A-Za-z0-9\-._~+/]+=*$")
SCOPE_TOKEN = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]+")  # RFC 6749 §3.3 scope-token


def is_scope_token(value: str) -> bool:
    """Whether `value` is one OAuth scope (RFC 6749 §3.3), safe inside a quoted header parameter."""
    return bool(SCOPE_TOKEN.fullmatch(value))


@dataclass
class BearerError(Exception):
    """An RFC 6750 error: status, error code (or "" for a bare challenge), description."""

    status: int
    error: str = ""
    description: str = ""
    scope: str = ""

    def challenge(self, realm: str = "cognito-flow-lab") -> str:
        parts = [f'realm="{realm}"']
        if self.error:
            parts.append(f'error="{self.error}"')
        if self.description:
            parts.append(f'error_description="{header_safe(self.description)}"')
        if self.scope:
            parts.append(f'scope="{header_safe(self.scope)}"')
        return "Bearer " + ", ".join(parts)


def bearer_token(header: str | None, query: Mapping[str, str], form: Mapping[str, str]) -> str:
    """Extract the token from `Authorization: Bearer <token>`; nothing else is accepted."""
    if "access_token" in query or "access_token" in form:
        raise BearerError(
            400,
            "invalid_request",
            "tokens in the query string or the body are not accepted; use the Authorization header",
        )
    if header is None or header == "":
        raise BearerError(401)
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer":
        raise BearerError(401, description=f"use the Bearer scheme, not {scheme[:20]!r}")
    if not token or not B64TOKEN.match(token):
        raise BearerError(400, "invalid_request", "the Authorization header is not 'Bearer <token>'")
    return token


def check_bearer(
    token: str,
    verify: Callable[[str], Verification],
    required_scope: str = "",
) -> dict:
    """Verify an access token and its scope; return the caller's identity."""
    result = verify(token)
    # a wrong token type explains every other failure (an ID token has aud, not client_id)
    if result.failed(CheckName.TOKEN_USE):
        what = "token_use is not 'access' (an ID token is never accepted here)"
        raise BearerError(401, "invalid_token", f"{CheckName.TOKEN_USE} check failed: {what}")
    failure = result.failure
    if failure is not None:
        raise BearerError(401, "invalid_token", f"{failure.name} check failed: {failure.detail}")
    claims = result.claims
    scopes = str(claims.get("scope", "")).split()
    if required_scope and required_scope not in scopes:
        raise BearerError(403, "insufficient_scope", f"the token lacks scope {required_scope}", required_scope)
    groups = claims.get("cognito:groups") or []
    return {
        "principal": f"{claims['iss']}|{claims['sub']}",
        "iss": claims["iss"],
        "sub": claims["sub"],
        "username": claims.get("username"),
        "client_id": claims.get("client_id"),
        "scopes": scopes,
        "groups": groups if isinstance(groups, list) else [],
        "exp": claims.get("exp"),
    }


def header_safe(text: str, limit: int = 300) -> str:
    """Token-derived text for a header: printable ASCII only (RFC 6750 §3 allows no more), no quotes."""
    ascii_text = text.encode("ascii", "backslashreplace").decode("ascii")
    return "".join(ch if 0x20 <= ord(ch) < 0x7F and ch not in '"\\' else "?" for ch in ascii_text)[:limit]
