"""Marks for the screens: which claims and scopes of a token came from token customization.

With the provider's own record (oauth/customization.py, the local provider) each mark is exact. Without
one (real Cognito), a claim outside Cognito's documented set for its token type is marked as likely added
by a pre token generation trigger, and nothing is said about overridden values or suppressed claims,
which the token alone cannot show.
"""

from __future__ import annotations

from collections.abc import Mapping

# Cognito's own claims (AWS's ID and access token pages; the acr/amr step-up page) and the OpenID
# Connect standard claims a user attribute becomes; `custom:` attributes are the pool's own.
OIDC_STANDARD = frozenset(
    [
        "name",
        "given_name",
        "family_name",
        "middle_name",
        "nickname",
        "preferred_username",
        "profile",
        "picture",
        "website",
        "email",
        "email_verified",
        "gender",
        "birthdate",
        "zoneinfo",
        "locale",
        "phone_number",
        "phone_number_verified",
        "address",
        "updated_at",
    ]
)
COGNITO_BOTH = frozenset(  # in ID and access tokens alike
    "sub iss exp iat auth_time token_use jti origin_jti event_id cognito:groups acr amr".split()  # noqa: SIM905
)
COGNITO_ID = COGNITO_BOTH | {
    "aud",
    "nonce",
    "at_hash",
    "cognito:username",
    "cognito:roles",
    "cognito:preferred_role",
    "identities",
}
COGNITO_ACCESS = COGNITO_BOTH | {"client_id", "scope", "username", "version", "device_key", "aud"}


def is_standard_claim(name: str, token_use: str) -> bool:
    """Whether Cognito itself may put `name` in a token of this type."""
    if name.startswith("custom:"):
        return True
    return name in (COGNITO_ID | OIDC_STANDARD if token_use == "id" else COGNITO_ACCESS)


def customization_marks(claims: Mapping[str, object], token_use: str, record: Mapping | None) -> dict:
    """{"exact": bool, "claims": {name: "added" | "overridden" | "not standard"}, "suppressed": [...],
    "scopes": {"added": [...], "suppressed": [...]}} for a token's claims."""
    if record is None:
        marks = {n: "not standard" for n in claims if not is_standard_claim(n, token_use)}
        return {"exact": False, "claims": marks, "suppressed": [], "scopes": {"added": [], "suppressed": []}}
    changed, scopes = record.get("claims") or {}, record.get("scopes") or {}
    marks = {n: "added" for n in changed.get("added", []) if n in claims}
    marks.update({n: "overridden" for n in changed.get("overridden", []) if n in claims})
    return {
        "exact": True,
        "claims": marks,
        "suppressed": list(changed.get("suppressed", [])),
        "scopes": {"added": list(scopes.get("added", [])), "suppressed": list(scopes.get("suppressed", []))},
    }


EMPTY_RECORD: dict = {"claims": {}, "scopes": {}}  # the local provider minted the token without customization

LIMIT = (
    "Against real Cognito the app can mark only claims outside Cognito's own claim set (likely added by a pre "
    "token generation trigger): an overridden standard claim, a suppressed claim, or an added or suppressed scope "
    "cannot be told from the token itself."
)
EXACT = (
    "Marked from the local provider's record of this token (its own endpoint, "
    "/flowlab/token-customization/{jti}, not Cognito's): what its pre token generation trigger added, overrode "
    "or suppressed."
)
MARK_WORDS = {
    "added": "added by customization",
    "overridden": "overridden by customization",
    "not standard": "not a Cognito claim: likely added by a pre token generation trigger",
}


def mark_rows(rows: list[dict], marks: dict) -> dict:
    """Put each claim's mark on its display row (`custom`: the words, or ""), and the scope marks on the `scope`
    row; returns what the screen says under the claims (exact or not, suppressed claims, the limit)."""
    claims, scopes = marks["claims"], marks["scopes"]
    for row in rows:
        row["custom"] = MARK_WORDS.get(claims.get(row["name"], ""), "")
        row["custom_guess"] = claims.get(row["name"]) == "not standard"  # from the claim's name, not a record
        if row["name"] == "scope":
            row["scopes_added"], row["scopes_suppressed"] = scopes["added"], scopes["suppressed"]
    marked = bool(claims or marks["suppressed"] or scopes["added"] or scopes["suppressed"])
    return {
        "exact": marks["exact"],
        "marked": marked,
        "suppressed": marks["suppressed"],
        "note": EXACT if marks["exact"] else LIMIT,
    }
