"""The resource server's answer to one request (GET /api/me): the caller's identity, or an RFC 6750 error.

It verifies the Bearer token with the client's `api` preset and keeps the serialised answer of each token
that passed every check in a bounded cache (verified_cache.py), good while its key is in a fresh JWKS. The
answer is the body as sent (JSON text), so the app's view only wraps it in a response and the dashboard's
own API call (flows/api.py) shows the same bytes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from .client import OAuthClient
from .http import ProviderError
from .resource import BearerError, bearer_token, check_bearer
from .tokens import Verification
from .verified_cache import VerifiedTokenCache


@dataclass(frozen=True)
class ApiAnswer:
    """One answer of the API: its status, its JSON body as sent, and the WWW-Authenticate challenge of a refusal."""

    status: int
    body: str
    challenge: str = ""


def _error(status: int, error: str, description: str, challenge: str = "") -> ApiAnswer:
    """An error body as the app's JSON errors are written (compact, keys sorted, a final newline)."""
    body = {"error": error, "error_description": description}
    return ApiAnswer(status, json.dumps(body, sort_keys=True, separators=(",", ":")) + "\n", challenge)


def identity_body(identity: Mapping[str, object]) -> str:
    """The identity as the API sends it (keys sorted, a final newline)."""
    return json.dumps(identity, sort_keys=True) + "\n"


class ResourceServer:
    """GET /api/me for one client's tokens: `required_scope` ("" for none) and the verified-token cache."""

    def __init__(self, client: OAuthClient, cache: VerifiedTokenCache[str], required_scope: str = ""):
        self.client, self.cache, self.required_scope = client, cache, required_scope

    def answer(
        self, header: str, query: Mapping[str, str] | None = None, form: Mapping[str, str] | None = None
    ) -> ApiAnswer:
        """The answer to a request with this Authorization `header` (and the token in the query or form,
        which RFC 6750 allows and this server reads only to refuse clearly)."""
        if query is None and form is None and header.startswith("Bearer "):
            body = self.cache.get(header[7:], self.client.jwks.current)  # fast path: it passed every check before
            if body is not None:
                return ApiAnswer(200, body)
        try:
            token = bearer_token(header or None, query or {}, form or {})
            body = self.cache.get(token, self.client.jwks.current)  # the answer of an already-verified token
            if body is None:
                verified: list[Verification] = []

                def verify(t: str) -> Verification:
                    verified.append(self.client.presets.api.verify_access(t))
                    return verified[-1]

                identity = check_bearer(token, verify, self.required_scope)
                body = identity_body(identity)
                self.cache.put(token, body, identity["exp"], verified[-1].kid)
        except BearerError as exc:
            return _error(
                exc.status,
                exc.error or "unauthorized",
                exc.description or "a Bearer token is required",
                exc.challenge(),
            )
        except ProviderError as exc:
            return _error(502, "temporarily_unavailable", f"JWKS: {exc.message}")
        return ApiAnswer(200, body)
