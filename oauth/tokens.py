"""Verify Cognito / OIDC tokens check by check, so the dashboard can say *why*.

python-jose verifies the RS256 signature with the key chosen by kid; every claim
rule (presence, iss, aud/azp, client_id, token_use, exp, iat, nbf, nonce,
at_hash) is checked here, because python-jose skips absent claims and never
looks at nonce or token_use.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import math
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from jose.utils import calculate_at_hash

from .discovery import JwksCache, UnknownKey
from .http import ProviderError
from .safejson import JsonRefused, loads

ALGORITHMS = ["RS256"]
LEEWAY = 60
MAX_TOKEN_LENGTH = 16 * 1024

WHY = {
    "structure": "A JWT is header.payload.signature in base64url; anything else is refused.",
    "alg": "Only RS256 is allowed, so a forged 'none' or HS256 token signed with the public key is refused.",
    "signature": "The signature proves the provider issued the token and nobody changed a byte of it.",
    "iss": "The issuer must be exactly your user pool, or a token from another pool would be trusted.",
    "aud": "The audience must be this app client, or a token minted for another app could log in here.",
    "client_id": "Cognito access tokens carry client_id instead of aud; it must be an app client you trust.",
    "token_use": "Cognito marks ID and access tokens; taking the wrong kind confuses identity with access.",
    "sub": "The subject is the user's stable id; identity is iss + sub, never the email or username.",
    "exp": "An expired token must be refused; tokens are short-lived so a leaked one stops working.",
    "iat": "The issue time must not be in the future, which would mean a broken clock or a forged token.",
    "nbf": "The token must not be used before its not-before time.",
    "nonce": "The nonce ties this ID token to this login, so a token replayed from another login fails.",
    "at_hash": "at_hash binds the ID token to the access token that came with it, so one can't be swapped.",
}

CLAIMS = {
    "iss": "Issuer: the user pool (or OIDC provider) that minted the token.",
    "sub": "Subject: the user's unique, stable identifier in this pool.",
    "aud": "Audience: the app client this ID token was issued to.",
    "azp": "Authorized party: the client the token was issued to, when there are several audiences.",
    "exp": "Expiry time; the token must be refused after it.",
    "iat": "Issued-at time.",
    "nbf": "Not-before time; the token is invalid before it.",
    "auth_time": "When the user actually authenticated; it stays the same across refreshes.",
    "nonce": "The random value this app sent in the authorize request, echoed back.",
    "at_hash": "Hash of the access token issued alongside this ID token.",
    "token_use": "Cognito's token type: 'id' or 'access'.",
    "client_id": "The app client the access token was issued to (Cognito access tokens have no aud).",
    "scope": "Space-separated scopes this access token grants.",
    "username": "The Cognito username (mutable on some pools; do not use it as an identity key).",
    "cognito:username": "The Cognito username of the signed-in user.",
    "cognito:groups": "The user pool groups the user belongs to.",
    "cognito:roles": "IAM role ARNs from the user's groups.",
    "cognito:preferred_role": "The IAM role of the user's highest-priority group.",
    "email": "The user's email address.",
    "email_verified": "Whether the email address was verified (a boolean in the ID token).",
    "phone_number": "The user's phone number.",
    "phone_number_verified": "Whether the phone number was verified.",
    "name": "The user's full name (profile scope).",
    "given_name": "The user's given name (profile scope).",
    "family_name": "The user's family name (profile scope).",
    "jti": "Unique id of this token.",
    "origin_jti": "Revocation id shared by the tokens of one sign-in; revoking the refresh token revokes it.",
    "event_id": "Id of the authentication event that produced this token.",
    "version": "Cognito access token format version.",
    "identities": "Linked federated identities (Google, SAML, ...) for this user.",
    "device_key": "The remembered device that signed in.",
    "amr": "Authentication methods used (for example pwd, mfa).",
    "acr": "Authentication context class reference.",
}

TIME_CLAIMS = ("exp", "iat", "nbf", "auth_time")


class Check:
    """One verification check. Its detail may be given as a callable, built only when read:
    the API's hot path never reads the details of checks that passed."""

    __slots__ = ("_detail", "name", "passed")

    def __init__(self, name: str, passed: bool, detail: str | Callable[[], str]):
        self.name = name
        self.passed = passed
        self._detail = detail

    @property
    def detail(self) -> str:
        if callable(self._detail):
            self._detail = self._detail()
        return self._detail

    @property
    def why(self) -> str:
        return WHY.get(self.name, "")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Check) and (self.name, self.passed, self.detail) == (
            other.name,
            other.passed,
            other.detail,
        )

    def __hash__(self) -> int:
        return hash((self.name, self.passed))

    def __repr__(self) -> str:
        return f"Check({self.name!r}, {self.passed!r}, {self.detail!r})"


@dataclass
class Verification:
    """The outcome of verifying one token: header, claims, and every check."""

    kind: str
    header: dict = field(default_factory=dict)
    claims: dict = field(default_factory=dict)
    checks: list[Check] = field(default_factory=list)
    kid: str | None = None  # the JWKS key that verified the signature

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c.passed for c in self.checks)

    @property
    def failure(self) -> Check | None:
        return next((c for c in self.checks if not c.passed), None)

    def add(self, name: str, passed: bool, detail: str | Callable[[], str]) -> None:
        self.checks.append(Check(name, passed, detail))


_URLSAFE = bytes.maketrans(b"-_", b"+/")
_B64URL = re.compile(r"[A-Za-z0-9_-]*")


class NotCanonical(ValueError):
    """A part is not canonical base64url: other characters, padding, or non-zero unused bits."""


def _b64(part: str) -> bytes:
    """Canonical base64url only (RFC 7515 §2): no `+`, `/` or `=`, and zero unused bits in the last
    character, so one token has exactly one spelling (and one cache entry)."""
    if not _B64URL.fullmatch(part) or len(part) % 4 == 1:
        raise NotCanonical("is not canonical base64url (only A-Z a-z 0-9 - _, no padding)")
    data = part.encode("ascii")
    raw = binascii.a2b_base64(data.translate(_URLSAFE) + b"=" * (-len(part) % 4), strict_mode=True)
    if len(part) % 4 and base64.urlsafe_b64encode(raw).rstrip(b"=") != data:
        raise NotCanonical("is not canonical base64url (its last character has unused bits set)")
    return raw


def _parse(token: str) -> tuple[dict, dict, bytes, bytes]:
    """Header, payload, signing input and signature of a JWT, none of them trusted yet."""
    if not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH:
        raise ValueError("not a token string of reasonable size")
    parts = token.split(".")
    if len(parts) != 3 or not all(parts[:2]):
        raise ValueError(f"has {len(parts)} dot-separated parts, not 3")
    try:
        header, payload = loads(_b64(parts[0]).decode()), loads(_b64(parts[1]).decode())
        signature = _b64(parts[2])
    except NotCanonical as exc:
        raise ValueError(f"has a part that {exc}") from None
    except JsonRefused as exc:
        raise ValueError(f"has a header or payload that is refused: {exc}") from None
    except (ValueError, UnicodeError, binascii.Error) as exc:
        raise ValueError(f"is not base64url JSON ({type(exc).__name__})") from None
    if not isinstance(header, dict) or not isinstance(payload, dict):
        raise ValueError("header and payload must be JSON objects")
    return header, payload, f"{parts[0]}.{parts[1]}".encode("ascii"), signature


def decode_unverified(token: str) -> tuple[dict, dict]:
    """Split a JWT into its header and payload without trusting either."""
    header, payload, _, _ = _parse(token)
    return header, payload


def _is_time(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def humanize_delta(seconds: float) -> str:
    """'in 57 min', '3 h ago' — rough on purpose, for people."""
    future = seconds >= 0
    s = abs(int(seconds))
    if s < 90:
        text = f"{s} s"
    elif s < 90 * 60:
        text = f"{round(s / 60)} min"
    elif s < 48 * 3600:
        text = f"{round(s / 3600)} h"
    else:
        text = f"{round(s / 86400)} days"
    return f"in {text}" if future else f"{text} ago"


def format_time(value: object, now: float | None = None) -> str:
    if not _is_time(value):
        return repr(value)
    now = time.time() if now is None else now
    try:
        stamp = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(float(value)))
    except (OverflowError, OSError, ValueError):
        return f"{value} (out of range)"
    return f"{stamp} ({humanize_delta(float(value) - now)})"


def _signature(result: Verification, signing_input: bytes, signature: bytes, keys: JwksCache) -> None:
    header = result.header
    alg = header.get("alg")
    result.add("alg", alg in ALGORITHMS, lambda: f"header alg is {alg!r}; allowed: RS256")
    if alg not in ALGORITHMS:
        result.add("signature", False, "not checked: the algorithm is not allowed")
        return
    if "crit" in header:  # RFC 7515 §4.1.11: extensions we do not understand must be refused
        result.add("signature", False, lambda: f"the header lists critical extensions {header['crit']!r}")
        return
    kid = header.get("kid")
    if kid is not None and not isinstance(kid, str):
        result.add("signature", False, "the kid header is not a string")
        return
    try:
        used_kid, key = keys.key_for(kid)  # a python-jose RS256 key, built once per kid
        valid = key.verify(signing_input, signature)
    except UnknownKey as exc:
        result.add("signature", False, str(exc))
    except ProviderError:
        raise
    except Exception as exc:  # python-jose raises JWKError and others
        result.add("signature", False, f"RS256 signature does not verify ({type(exc).__name__})")
    else:
        if valid:
            result.kid = used_kid
            result.add("signature", True, lambda: f"RS256, verified with the JWKS key kid {used_kid or '(none)'}")
        else:
            result.add("signature", False, "RS256 signature does not verify")


def _time_checks(result: Verification, now: float, leeway: int, max_age: int | None) -> None:
    claims = result.claims
    exp = claims.get("exp")
    if not _is_time(exp):
        result.add("exp", False, "exp is missing or not a number")
    else:
        live = now <= exp + leeway
        result.add("exp", live, lambda: f"{'expires' if live else 'expired'} {format_time(exp, now)}")
    iat = claims.get("iat")
    if not _is_time(iat):
        result.add("iat", False, "iat is missing or not a number")
    elif iat > now + leeway:
        result.add("iat", False, lambda: f"issued in the future: {format_time(iat, now)}")
    elif max_age is not None and now - iat > max_age:
        result.add("iat", False, lambda: f"issued {format_time(iat, now)}, older than {max_age} s allowed at login")
    else:
        result.add("iat", True, lambda: f"issued {format_time(iat, now)}")
    if "nbf" in claims:
        nbf = claims["nbf"]
        ok = _is_time(nbf) and nbf <= now + leeway
        result.add("nbf", ok, lambda: f"not before {format_time(nbf, now)}")


def verify_token(
    token: str,
    *,
    kind: str,
    keys: JwksCache,
    issuer: str,
    client_ids: Iterable[str],
    nonce: str | None = None,
    access_token: str | None = None,
    require_at_hash: bool = False,
    require_token_use: bool = True,
    max_age: int | None = None,
    now: float | None = None,
    leeway: int = LEEWAY,
) -> Verification:
    """Verify an ID token (`kind="id"`) or access token (`kind="access"`), every check.

    Never raises for a bad token: the result lists which checks failed. Raises
    ProviderError only when the JWKS itself could not be fetched.
    """
    now = time.time() if now is None else now
    clients = set(client_ids)
    result = Verification(kind=kind)
    try:
        result.header, result.claims, signing_input, signature = _parse(token)
    except ValueError as exc:
        result.add("structure", False, f"the token {exc}")
        return result
    result.add("structure", True, "three base64url parts with JSON header and payload")
    _signature(result, signing_input, signature, keys)
    claims = result.claims

    iss = claims.get("iss")
    result.add("iss", iss == issuer, lambda: f"iss is {iss!r}; expected {issuer!r}")
    if kind == "id":
        aud = claims.get("aud")
        auds = aud if isinstance(aud, list) else [aud]
        azp = claims.get("azp")
        strings = [a for a in auds if isinstance(a, str)]
        if aud is None:
            ok, why = False, "aud is missing"
        elif len(strings) != len(auds):
            ok, why = False, "aud must be a string or a list of strings"
        elif clients.isdisjoint(strings):
            ok, why = False, f"aud is {aud!r}; expected this app client"
        elif len(auds) > 1 and not (isinstance(azp, str) and azp in clients):
            ok, why = False, f"aud lists several audiences {aud!r} and azp is not this client"
        else:
            ok, why = True, f"aud is {aud!r}, this app client"
        result.add("aud", ok, why)
    else:
        cid = claims.get("client_id")
        ok = isinstance(cid, str) and cid in clients
        result.add("client_id", ok, lambda: f"client_id is {cid!r}; " + ("trusted" if ok else "not an allowed client"))
    use = claims.get("token_use")
    if use is not None or require_token_use:
        result.add("token_use", use == kind, lambda: f"token_use is {use!r}; expected {kind!r}")
    sub = claims.get("sub")
    result.add("sub", isinstance(sub, str) and bool(sub), lambda: f"sub is {sub!r}")
    _time_checks(result, now, leeway, max_age)

    if kind == "id" and nonce is not None:
        got = claims.get("nonce")
        ok = isinstance(got, str) and hmac.compare_digest(got.encode(), nonce.encode())
        result.add("nonce", ok, "matches the one sent at login" if ok else f"nonce {got!r} is not the one sent")
    if kind == "id":
        _at_hash(result, access_token, require_at_hash)
    return result


def _at_hash(result: Verification, access_token: str | None, required: bool) -> None:
    at_hash = result.claims.get("at_hash")
    if at_hash is None:
        detail = "missing, but required for tokens from the authorization endpoint"
        result.add("at_hash", not required, detail if required else "absent (optional in the code flow)")
        return
    if not access_token:
        result.add("at_hash", False, "present, but there is no access token to compare it with")
        return
    expected = calculate_at_hash(access_token, hashlib.sha256)
    ok = isinstance(at_hash, str) and hmac.compare_digest(at_hash.encode(), expected.encode())
    result.add("at_hash", ok, "matches the access token" if ok else "does not match the access token")


def explain_claims(claims: dict, now: float | None = None) -> list[dict]:
    """Rows for display: name, value (JSON), time rendering, and meaning."""
    rows = []
    for name, value in claims.items():
        rows.append(
            {
                "name": name,
                "value": json.dumps(value, ensure_ascii=False),
                "time": format_time(value, now) if name in TIME_CLAIMS and _is_time(value) else "",
                "meaning": CLAIMS.get(name) or _custom_meaning(name),
            }
        )
    return rows


def _custom_meaning(name: str) -> str:
    if name.startswith("custom:"):
        return "A custom user attribute (Cognito sends these as strings)."
    return ""
