"""What each token check and each claim means: the wording the token pages show."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

from oauth.times import format_time, is_time
from oauth.tokens import Check, Verification

from .scopes import custom_scopes

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

# What a machine token's claims mean: there is no user, the app client is the subject.
MACHINE_CLAIMS = {
    "sub": "Subject: with client credentials there is no user, so it is the machine client's own id.",
    "client_id": "The machine client that authenticated with its id and secret to get this token.",
    "token_use": "Cognito's token type: always 'access' for client credentials (there is no ID token).",
    "scope": "The custom scopes granted, resource-server/scope; an API checks these.",
    "auth_time": "When the machine client authenticated at the token endpoint (no user signed in).",
    "iat": "When the token was issued.",
    "exp": "When the token expires; a machine simply asks for a new one (there is no refresh token).",
    "iss": "Issuer: the user pool that minted the token.",
    "jti": "Unique id of this token.",
    "version": "Cognito access token format version.",
}

TIME_CLAIMS = ("exp", "iat", "nbf", "auth_time")

# The order a person reads a token in: who it is about, what it allows, when, then the technical ids.
# "custom:*" places the pool's custom attributes; "*" places every claim not named here. Every claims
# table follows it: explain_claims and claim_diff here, and static/dom.js's claimsTable in the browser
# (handed this table as data-claim-groups; tests/test_claim_order.py holds the two to the same order).
CLAIM_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "who",
        (
            "cognito:username",
            "username",
            "email",
            "email_verified",
            "name",
            "given_name",
            "family_name",
            "phone_number",
            "phone_number_verified",
            "custom:*",
            "identities",
            "sub",
        ),
    ),
    (
        "what",
        (
            "scope",
            "cognito:groups",
            "cognito:roles",
            "cognito:preferred_role",
            "client_id",
            "aud",
            "azp",
            "token_use",
            "iss",
            "amr",
            "acr",
            "*",
        ),
    ),
    ("when", ("auth_time", "iat", "nbf", "exp")),
    ("technical", ("nonce", "at_hash", "event_id", "origin_jti", "jti", "version", "device_key")),
)


_PLACES = {name: (g, i) for g, (_, names) in enumerate(CLAIM_GROUPS) for i, name in enumerate(names)}


def claim_place(name: str) -> tuple[int, int]:
    """Where a claim goes in a claims table: (its group, its place in the group)."""
    if name in _PLACES:
        return _PLACES[name]
    return _PLACES["custom:*" if name.startswith("custom:") else "*"]


def claim_group(name: str) -> str:
    """who, what, when or technical: the technical group opens on request in a claims table."""
    return CLAIM_GROUPS[claim_place(name)[0]][0]


def order_claims(names: Iterable[str]) -> list[str]:
    """Claim names in reading order (claims of one place keep the order they came in)."""
    return sorted(names, key=claim_place)


def explain_claims(claims: dict, now: float | None = None) -> list[dict]:
    """Rows for display, in reading order: name, value (JSON), time rendering, meaning and group."""
    rows = []
    for name in order_claims(claims):
        value = claims[name]
        rows.append(
            {
                "name": name,
                "value": json.dumps(value, ensure_ascii=False),
                "time": format_time(value, now) if name in TIME_CLAIMS and is_time(value) else "",
                "meaning": _scope_meaning(value) if name == "scope" else CLAIMS.get(name) or _custom_meaning(name),
                "group": claim_group(name),
            }
        )
    return rows


def _scope_meaning(value: object) -> str:
    """The `scope` claim's meaning, naming its custom (resource-server) scopes, which an API can require."""
    custom = custom_scopes(value)
    if not custom:
        return CLAIMS["scope"]
    return f"{CLAIMS['scope']} Custom scopes of a resource server: {', '.join(custom)}; an API can require them."


def _custom_meaning(name: str) -> str:
    if name.startswith("custom:"):
        return "A custom user attribute (Cognito sends these as strings)."
    return ""


def check_rows(result: Verification) -> list[dict]:
    """A verification's checks for a page or a JSON answer: name, passed, detail and why."""
    return [{"name": c.name, "passed": c.passed, "detail": c.detail, "why": WHY.get(c.name, "")} for c in result.checks]


def why(name: str) -> str:
    """What a check is for (a template global: `why(c.name)`)."""
    return WHY.get(name, "")


def first_failure(results: list[Verification]) -> tuple[Check, str] | None:
    """The first failed check of a browser flow's tokens (the ID token's result first, then the access
    token's, if it was a JWT), with the sentence the page shows for it."""
    failure = next((r.failure for r in results if r.failure), None)
    if failure is None:
        return None
    kind = "ID" if failure in results[0].checks else "access"
    return failure, f"{kind} token check '{failure.name}' failed: {failure.detail}"


def verified_answer(results: list[Verification]) -> dict:
    """The JSON a browser flow's page gets when every check passed: claims and check rows of both tokens."""
    access = results[1] if len(results) > 1 else None
    return {
        "valid": True,
        "claims": results[0].claims,
        "access_claims": access.claims if access else None,
        "checks": check_rows(results[0]),
        "access_checks": check_rows(access) if access else [],
    }


def is_machine_token(claims: Mapping[str, object]) -> bool:
    """A client-credentials access token: no user (no username), its subject the client itself."""
    return not claims.get("username") and bool(claims.get("client_id")) and claims.get("sub") == claims.get("client_id")


def explain_token_claims(claims: dict, now: float | None = None) -> list[dict]:
    """explain_claims, with a machine token's claims explained as such (no user: sub is the client)."""
    rows = explain_claims(claims, now)
    if is_machine_token(claims):
        for row in rows:
            row["meaning"] = MACHINE_CLAIMS.get(row["name"], row["meaning"])
    return rows
