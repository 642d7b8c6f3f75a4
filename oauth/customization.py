"""Which claims and scopes of a token came from token customization (Cognito's pre token generation
trigger), as far as the client can tell.

- From the local provider: it publishes, per token it minted, the names it added, overrode or suppressed
  (GET {issuer}/flowlab/token-customization/{jti}; local_cognito/provenance_view.py). Exact, and it needs
  no copy of the provider's rules on the client's side. It is display data only: never used to verify.
- From any other provider (real Cognito has no such endpoint): only what the token itself shows, a claim
  outside Cognito's documented claim set for its token type (lab/customization.py marks those).
"""

from __future__ import annotations

from urllib.parse import quote

from .http import Http, ProviderError

STEP = "token_customization"


def customization_url(issuer: str, jti: str) -> str:
    return f"{issuer.rstrip('/')}/flowlab/token-customization/{quote(jti, safe='')}"


def fetch_customization(http: Http, issuer: str, jti: str) -> dict | None:
    """The local provider's record for the token `jti`, or None when it has none (404). ProviderError
    when it fails or answers something else."""
    reply = http.request(STEP, "GET", customization_url(issuer, jti), headers={"Accept": "application/json"})
    if reply.status == 404:
        return None
    if reply.status != 200:
        raise ProviderError(STEP, f"answered HTTP {reply.status}")
    record = reply.json()
    claims, scopes = record.get("claims"), record.get("scopes")
    if not isinstance(claims, dict) or not isinstance(scopes, dict):
        raise ProviderError(STEP, "answered a record without claims and scopes")
    return record


class CustomizationRecords:
    """The local provider's records, fetched once per token: a record never changes after the token is minted
    (nor does its absence), so each jti is asked for at most once while it is among the last `size` asked."""

    def __init__(self, http: Http, issuer: str, size: int = 512):
        self.http, self.issuer, self.size = http, issuer, size
        self._records: dict[str, dict | None] = {}

    def get(self, jti: str) -> dict | None:
        """The record for `jti` (None: the token was minted without customization); ProviderError when the
        provider fails, which is not remembered."""
        if jti in self._records:
            return self._records[jti]
        found = fetch_customization(self.http, self.issuer, jti)
        if len(self._records) >= self.size:
            self._records.pop(next(iter(self._records)))
        self._records[jti] = found
        return found
