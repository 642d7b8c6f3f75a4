"""Provider metadata from discovery, and a JWKS cache that builds each key once per kid."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from jose import jwk
from jose.backends.base import Key

from .http import Http, ProviderError

LOOPBACK = {"localhost", "127.0.0.1", "::1"}
DISCOVERY_TTL = 3600.0


@dataclass(frozen=True)
class ProviderMetadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str = ""
    revocation_endpoint: str = ""
    end_session_endpoint: str = ""
    token_endpoint_auth_methods: tuple[str, ...] = ("client_secret_basic",)
    response_types: tuple[str, ...] = ("code",)
    scopes_supported: tuple[str, ...] = ()


def check_endpoint(name: str, url: object) -> str:
    """Accept https URLs, and http only on loopback."""
    if not isinstance(url, str) or not url:
        raise ValueError(f"{name} is missing")
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return url
    if parts.scheme == "http" and parts.hostname in LOOPBACK:
        return url
    raise ValueError(f"{name}={url!r} must be https (http only on localhost/127.0.0.1)")


def parse_metadata(doc: dict, expected_issuer: str, cognito_domain: str = "") -> ProviderMetadata:
    """Validate a discovery document against the configured issuer."""
    if doc.get("issuer") != expected_issuer:
        raise ValueError(
            f"the discovery document's issuer {doc.get('issuer')!r} is not the configured issuer {expected_issuer!r}"
        )

    def endpoint(key: str, required: bool, fallback: str = "") -> str:
        value = doc.get(key) or fallback
        if not value and not required:
            return ""
        return check_endpoint(key, value)

    domain = cognito_domain.rstrip("/")
    methods = doc.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
    types = doc.get("response_types_supported") or ["code"]
    return ProviderMetadata(
        issuer=doc["issuer"],
        authorization_endpoint=endpoint("authorization_endpoint", True),
        token_endpoint=endpoint("token_endpoint", True),
        jwks_uri=endpoint("jwks_uri", True),
        userinfo_endpoint=endpoint("userinfo_endpoint", False),
        revocation_endpoint=endpoint("revocation_endpoint", False, f"{domain}/oauth2/revoke" if domain else ""),
        end_session_endpoint=endpoint("end_session_endpoint", False, f"{domain}/logout" if domain else ""),
        token_endpoint_auth_methods=tuple(str(m) for m in methods if isinstance(m, str)),
        response_types=tuple(str(t) for t in types if isinstance(t, str)),
        scopes_supported=tuple(s for s in (doc.get("scopes_supported") or []) if isinstance(s, str))[:100],
    )


class Discovery:
    """Fetches `{issuer}/.well-known/openid-configuration` and keeps it for an hour."""

    def __init__(self, http: Http, issuer: str, cognito_domain: str = ""):
        self.http = http
        self.issuer = issuer
        self.cognito_domain = cognito_domain
        self._meta: ProviderMetadata | None = None
        self._fetched = 0.0
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return self.issuer.rstrip("/") + "/.well-known/openid-configuration"

    def cached(self) -> ProviderMetadata | None:
        """The metadata if already fetched, without any network call."""
        return self._meta

    def metadata(self) -> ProviderMetadata:
        meta = self._meta
        if meta is not None and time.monotonic() - self._fetched < DISCOVERY_TTL:
            return meta
        with self._lock:
            if self._meta is not None and time.monotonic() - self._fetched < DISCOVERY_TTL:
                return self._meta
            doc = self.http.get_json("discovery", self.url)
            try:
                self._meta = parse_metadata(doc, self.issuer, self.cognito_domain)
            except (ValueError, KeyError, TypeError) as exc:
                raise ProviderError("discovery", f"sent an unusable document: {exc}") from None
            self._fetched = time.monotonic()
            return self._meta


class UnknownKey(Exception):
    """No key in the JWKS matches the token's kid (after at most one refetch)."""


def build_keys(jwks: object) -> dict[str, Key]:
    """Turn a JWKS document into RS256 verification keys, keyed by kid ("" if absent)."""
    if not isinstance(jwks, dict) or not isinstance(jwks.get("keys"), list):
        raise ValueError("the JWKS has no 'keys' list")
    keys: dict[str, Key] = {}
    for entry in jwks["keys"]:
        if not isinstance(entry, dict) or entry.get("kty") != "RSA":
            continue
        if entry.get("use", "sig") != "sig" or entry.get("alg", "RS256") != "RS256":
            continue
        try:
            keys[str(entry.get("kid", ""))] = jwk.construct(entry, "RS256")
        except Exception:  # noqa: S112  a malformed key is skipped, never fatal
            continue
    return keys


class JwksCache:
    """Keys by kid, fetched once and refetched only for an unknown kid.

    As in aws-jwt-verify: when a fetched JWKS still lacks the kid, no further
    fetch happens for `min_interval` seconds (a flood of random kids costs at
    most one fetch per 10 s); keys already cached keep working meanwhile.
    """

    def __init__(
        self,
        fetch: Callable[[], object],
        min_interval: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._fetch = fetch
        self.min_interval = min_interval
        self._clock = clock
        self._keys: dict[str, Key] = {}
        self._penalty_until = float("-inf")
        self._lock = threading.Lock()
        self.fetches = 0

    def _refresh(self) -> None:
        self.fetches += 1
        document = self._fetch()
        try:
            self._keys = build_keys(document)
        except ValueError as exc:
            raise ProviderError("jwks", f"sent an unusable JWKS: {exc}") from None

    def _has(self, kid: str | None) -> bool:
        return len(self._keys) == 1 if kid is None else kid in self._keys

    def key_for(self, kid: str | None) -> tuple[str, Key]:
        """Return (kid, key) for a token's kid; a missing kid works with a single key only."""
        with self._lock:
            if not self._has(kid) and self._clock() >= self._penalty_until:
                try:
                    self._refresh()
                finally:
                    if not self._has(kid):
                        self._penalty_until = self._clock() + self.min_interval
            if kid is None:
                if len(self._keys) == 1:
                    return next(iter(self._keys.items()))
                raise UnknownKey(f"the token has no kid and the JWKS has {len(self._keys)} usable keys")
            if kid in self._keys:
                return kid, self._keys[kid]
        raise UnknownKey(f"kid {kid!r} is not in the provider's JWKS")
