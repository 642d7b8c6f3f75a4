"""Provider metadata from discovery, and a JWKS cache that builds each key once per kid."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
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
    """Fetches `{issuer}/.well-known/openid-configuration` (or `url`, an emulator's) and keeps it for an hour."""

    def __init__(self, http: Http, issuer: str, cognito_domain: str = "", url: str = ""):
        self.http = http
        self.issuer = issuer
        self.cognito_domain = cognito_domain
        self._url = url
        self._meta: ProviderMetadata | None = None
        self._fetched = 0.0
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return self._url or self.issuer.rstrip("/") + "/.well-known/openid-configuration"

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


class KeyEntry(NamedTuple):
    """One JWKS key, prepared once when the JWKS is fetched: python-jose's key, and the
    `cryptography` public key inside it, which verifies RS256 directly (None when python-jose
    holds something else, e.g. a private key someone published: then python-jose verifies)."""

    kid: str
    key: Key
    rsa: RSAPublicKey | None


def prepare_keys(jwks: object) -> dict[str, KeyEntry]:
    """`build_keys`, each key with its `cryptography` public key looked up once (see KeyEntry)."""
    entries = {}
    for kid, key in build_keys(jwks).items():
        public = getattr(key, "prepared_key", None)
        entries[kid] = KeyEntry(kid, key, public if isinstance(public, RSAPublicKey) else None)
    return entries


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


@dataclass(frozen=True)
class JwksReply:
    """A fetched JWKS document, with the max-age its Cache-Control header allows (None: none given)."""

    document: object
    max_age: float | None = None


def cache_max_age(cache_control: str | None) -> float | None:
    """Seconds a response may be kept per its Cache-Control: 0 for no-store/no-cache, None if unsaid."""
    directives = [d.strip().lower() for d in (cache_control or "").split(",")]
    if "no-store" in directives or "no-cache" in directives:
        return 0.0
    for directive in directives:
        name, _, value = directive.partition("=")
        if name.strip() == "max-age":
            value = value.strip().strip('"')
            return float(value) if value.isdigit() else None
    return None


class _Snapshot(NamedTuple):
    keys: dict[str, KeyEntry]
    expires: float  # clock time after which these keys are not used without a refetch


def _pick(keys: dict[str, KeyEntry], kid: str | None) -> KeyEntry | None:
    if kid is None:
        return next(iter(keys.values())) if len(keys) == 1 else None
    return keys.get(kid)


def _same_key(a: Key, b: Key) -> bool:
    try:
        return a.to_dict() == b.to_dict()
    except Exception:  # a key that cannot be compared counts as replaced
        return False


class JwksCache:
    """Keys by kid, refetched when the JWKS is older than `max_age` or lacks a token's kid.

    - Age: keys are used for `max_age` seconds (JWKS_MAX_AGE), or less when the JWKS response's
      Cache-Control max-age says so (but not below `min_interval`). After that the next lookup
      refetches, so a key the provider removed stops verifying within `max_age`.
    - Unknown kid: as in aws-jwt-verify, when a fetched JWKS still lacks the kid, no further fetch
      happens for `min_interval` seconds (a flood of random kids costs at most one fetch per 10 s).
    - A failed fetch is retried after `min_interval` seconds; meanwhile an expired JWKS is not used.
    - Lookups of known kids in a fresh JWKS take no lock: only the fetch is serialised, so while
      one request refetches, the others keep verifying.
    - `on_removed` callbacks get the kids a refetch dropped or gave new key material (the API's
      verified-token cache drops their entries).
    """

    def __init__(
        self,
        fetch: Callable[[], object],
        min_interval: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
        max_age: float = 600.0,
    ):
        self._fetch = fetch
        self.min_interval = min_interval
        self.max_age = max_age
        self._clock = clock
        self._state = _Snapshot({}, float("-inf"))
        self._penalty_until = float("-inf")
        self._failed_until = float("-inf")
        self._lock = threading.Lock()
        self.fetches = 0
        self.on_removed: list[Callable[[set[str]], None]] = []

    def current(self, kid: str | None) -> bool:
        """Whether `kid` verifies right now without a fetch: in a JWKS younger than its max age."""
        state = self._state
        return self._clock() < state.expires and _pick(state.keys, kid) is not None

    def expire(self) -> None:
        """Treat the fetched JWKS as too old: the next lookup refetches it."""
        with self._lock:
            self._state = self._state._replace(expires=float("-inf"))

    def _refresh(self) -> _Snapshot:
        started = self._clock()
        self.fetches += 1
        try:
            result = self._fetch()
            reply = result if isinstance(result, JwksReply) else JwksReply(result)
            try:
                keys = prepare_keys(reply.document)
            except ValueError as exc:
                raise ProviderError("jwks", f"sent an unusable JWKS: {exc}") from None
        except ProviderError:
            self._failed_until = self._clock() + self.min_interval
            raise
        ttl = self.max_age if reply.max_age is None else min(self.max_age, max(reply.max_age, self.min_interval))
        old = self._state.keys
        removed = {kid for kid in old if kid not in keys or not _same_key(old[kid].key, keys[kid].key)}
        self._state = _Snapshot(keys, started + ttl)
        for callback in self.on_removed if removed else ():
            callback(removed)
        return self._state

    def key_for(self, kid: str | None) -> tuple[str, Key]:
        """Return (kid, key) for a token's kid; a missing kid works with a single key only."""
        entry = self.entry_for(kid)
        return entry.kid, entry.key

    def entry_for(self, kid: str | None) -> KeyEntry:
        """The prepared key (KeyEntry) for a token's kid, found, fetched or refused as `key_for` says."""
        state = self._state
        if self._clock() < state.expires:
            found = state.keys.get(kid) if kid is not None else _pick(state.keys, None)
            if found is not None:
                return found  # the hot path: no lock
        with self._lock:  # one fetch at a time; whoever waited sees its result
            state, now = self._state, self._clock()
            fresh = now < state.expires
            if not fresh and now < self._failed_until:
                raise ProviderError("jwks", "could not be fetched moments ago, and the cached keys are too old to use")
            if not fresh or (_pick(state.keys, kid) is None and now >= self._penalty_until):
                try:
                    state = self._refresh()
                finally:
                    if _pick(self._state.keys, kid) is None:
                        self._penalty_until = self._clock() + self.min_interval
            found = _pick(state.keys, kid)
        if found is not None:
            return found
        if kid is None:
            raise UnknownKey(f"the token has no kid and the JWKS has {len(state.keys)} usable keys")
        raise UnknownKey(f"kid {kid!r} is not in the provider's JWKS")
