"""A saved key set (JWKS) to verify tokens against offline: a token from a log or a bug report, checked with the
keys its issuer published (a file, a paste, or a URL), at a chosen moment. No provider is asked anything.

Cognito publishes its keys at {issuer}/.well-known/jwks.json; a key id there is standard base64 with `+`, `/`
and `=` (https://docs.aws.amazon.com/cognito/latest/developerguide/amazon-cognito-user-pools-using-tokens-verifying-a-jwt.html).
"""

from __future__ import annotations

import math

from . import safejson
from .discovery import JwksCache, KeyEntry, check_endpoint, prepare_keys
from .discovery import UnknownKey as UnknownKey
from .http import Http, ProviderError

MAX_KEYSET = 64 * 1024  # characters: a Cognito JWKS is under 1 KiB; Entra ID's, with certificates, about 10 KiB


class KeySetError(ValueError):
    """The key set cannot be used; `status` 413 when it is too large, else 400. The message is one line."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


def parse_keyset(text: str, source: str = "the key set") -> dict:
    """A JWKS document from `text`: {"keys": [...]}, or one JWK on its own (a set of one). Bounded in size and
    nesting (safejson); it must hold at least one RS256 signing key."""
    if len(text) > MAX_KEYSET:
        raise KeySetError(f"{source} is longer than {MAX_KEYSET} characters; a JWKS is a few KiB at most.", 413)
    if not text.strip():
        raise KeySetError(f"{source} is empty: give the JWKS, such as {{issuer}}/.well-known/jwks.json.")
    if text.strip().lower().startswith(("http://", "https://")):
        raise KeySetError(
            f"{source} is a URL: paste the key set itself (open the URL and copy what it shows); nothing is fetched "
            "from here."
        )
    try:
        document = safejson.loads(text)
    except safejson.JsonRefused as exc:
        raise KeySetError(f"{source} is refused: {exc}.") from None
    except ValueError as exc:
        raise KeySetError(f"{source} is not JSON ({str(exc).splitlines()[0]}).") from None
    if isinstance(document, dict) and "kty" in document and "keys" not in document:
        document = {"keys": [document]}  # a single JWK, as some libraries and tests print one
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise KeySetError(f'{source} is not a JWKS: it needs a "keys" list.')
    if not prepare_keys(document):
        raise KeySetError(f"{source} has no RS256 signing key (kty RSA, use sig, alg RS256 or none).")
    return document


def fetch_keyset(url: str, http: Http) -> dict:
    """A JWKS from a URL (https, or http on loopback), as `parse_keyset` takes it."""
    try:
        check_endpoint("the key set URL", url)
        reply = http.request("jwks", "GET", url, headers={"Accept": "application/json"})
    except ValueError as exc:
        raise KeySetError(str(exc)) from None
    except ProviderError as exc:
        raise KeySetError(f"the key set at {url} could not be fetched: {exc.message}") from None
    if reply.status != 200:
        raise KeySetError(f"the key set at {url} answered HTTP {reply.status}.")
    if len(reply.body) > 4 * MAX_KEYSET:  # parse_keyset says the size; this only spares decoding a huge body
        raise KeySetError(f"the key set at {url} is {len(reply.body)} bytes; at most {MAX_KEYSET} are read.", 413)
    return parse_keyset(reply.body.decode("utf-8", "replace"), f"the key set at {url}")


class SavedKeys(JwksCache):
    """A JwksCache over a fixed document: never fetched again, never expires, and a kid it lacks is said to be
    missing from the given key set (not from a provider's)."""

    def __init__(self, document: dict):
        super().__init__(lambda: document, max_age=math.inf)
        self.count = len(prepare_keys(document))

    def entry_for(self, kid: str | None) -> KeyEntry:
        try:
            return super().entry_for(kid)
        except UnknownKey:
            keys = f"{self.count} key{'' if self.count == 1 else 's'}"
            if kid is None:
                raise UnknownKey(f"the token has no kid and the key set has {keys}") from None
            raise UnknownKey(f"kid {kid!r} is not in the given key set ({keys})") from None
