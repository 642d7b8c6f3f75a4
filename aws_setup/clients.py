"""The app clients setup wants, and how a drifted client is repaired without losing what the user added."""

from __future__ import annotations

from oauth.config import CALLBACK_PATH, IMPLICIT_CALLBACK_PATH, SIGNED_OUT_PATH, SPA_CALLBACK_PATH

RESOURCE_SERVER = "flowlab-api"
SCOPES = ["openid", "email", "profile"]
CUSTOM_SCOPES = [f"{RESOURCE_SERVER}/read", f"{RESOURCE_SERVER}/write"]
# Fields DescribeUserPoolClient returns that UpdateUserPoolClient does not take (the input model
# filters the rest: ClientSecretArn, ClientType, ...).
READ_ONLY_CLIENT_FIELDS = ("ClientSecret", "CreationDate", "LastModifiedDate")
# List settings: setup adds what the app needs and keeps whatever else the user added in the console.
ADDITIVE = ("AllowedOAuthFlows", "AllowedOAuthScopes", "CallbackURLs", "LogoutURLs", "SupportedIdentityProviders")
# Single values setup owns: a different value is put back.
OWNED = (
    "AllowedOAuthFlowsUserPoolClient",
    "EnableTokenRevocation",
    "PreventUserExistenceErrors",
    "RefreshTokenRotation",  # only when setup is asked for it (--refresh-token-rotation): else the client's own
)


# ExplicitAuthFlows when a client is created without them (botocore's model, CreateUserPoolClient). AWS's
# refresh-token page: rotation "is incompatible with the REFRESH_TOKEN_AUTH authentication flow", which must be
# off in a rotating client (https://docs.aws.amazon.com/cognito/latest/developerguide/amazon-cognito-user-pools-using-the-refresh-token.html);
# managed login refreshes at the token endpoint, which rotation does not affect.
DEFAULT_AUTH_FLOWS = ("ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_CUSTOM_AUTH")
REFRESH_TOKEN_AUTH = "ALLOW_REFRESH_TOKEN_AUTH"


def flows_without_refresh_token_auth(client: dict) -> list[str]:
    """The client's ExplicitAuthFlows (AWS's defaults when it has none) without ALLOW_REFRESH_TOKEN_AUTH; never
    empty (an empty list would mean the defaults again), SRP sign-in when nothing else is left."""
    flows = [f for f in (client.get("ExplicitAuthFlows") or DEFAULT_AUTH_FLOWS) if f != REFRESH_TOKEN_AUTH]
    return flows or ["ALLOW_USER_SRP_AUTH"]


def rotation_setting(grace_seconds: int) -> dict:
    """RefreshTokenRotation turned on, as CreateUserPoolClient / UpdateUserPoolClient take it (botocore's
    RefreshTokenRotationType: Feature ENABLED | DISABLED, RetryGracePeriodSeconds 0-60;
    https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_RefreshTokenRotationType.html)."""
    return {"Feature": "ENABLED", "RetryGracePeriodSeconds": grace_seconds}


def rotation_grace(client: dict) -> int | None:
    """The client's RetryGracePeriodSeconds when it rotates refresh tokens (0 when the field is absent), else
    None: what .env's REFRESH_TOKEN_GRACE_SECONDS must say for this client."""
    rotation = client.get("RefreshTokenRotation") or {}
    if rotation.get("Feature") != "ENABLED":
        return None
    grace = rotation.get("RetryGracePeriodSeconds", 0)
    return grace if isinstance(grace, int) else 0


def web_client_settings(app_url: str, rotation_grace_seconds: int | None = None) -> dict:
    """The confidential web client. Its scopes include the resource server's, so the authorize
    panel's custom scopes (flowlab-api/read) can be asked for at sign-in and shown in a user token.
    With `rotation_grace_seconds` it rotates refresh tokens with that grace; without, setup leaves the
    client's rotation as it is."""
    rotation = {}
    if rotation_grace_seconds is not None:
        rotation = {
            "RefreshTokenRotation": rotation_setting(rotation_grace_seconds),
            "ExplicitAuthFlows": flows_without_refresh_token_auth({}),
        }
    return {
        "GenerateSecret": True,
        "AllowedOAuthFlows": ["code", "implicit"],
        "AllowedOAuthScopes": SCOPES + CUSTOM_SCOPES,
        "AllowedOAuthFlowsUserPoolClient": True,
        "CallbackURLs": [app_url + CALLBACK_PATH, app_url + IMPLICIT_CALLBACK_PATH],
        "LogoutURLs": [app_url + SIGNED_OUT_PATH],
        "SupportedIdentityProviders": ["COGNITO"],
        "EnableTokenRevocation": True,
        "PreventUserExistenceErrors": "ENABLED",
        **rotation,
    }


def machine_client_settings() -> dict:
    return {
        "GenerateSecret": True,
        "AllowedOAuthFlows": ["client_credentials"],
        "AllowedOAuthScopes": list(CUSTOM_SCOPES),
        "AllowedOAuthFlowsUserPoolClient": True,
        "SupportedIdentityProviders": ["COGNITO"],
        "PreventUserExistenceErrors": "ENABLED",
    }


def public_client_settings(app_url: str) -> dict:
    """The browser-only flow's client (/spa): public (no secret), the code grant only, its own callback.
    Cognito has no per-client "PKCE required" switch; the app always sends S256."""
    return {
        "GenerateSecret": False,
        "AllowedOAuthFlows": ["code"],
        "AllowedOAuthScopes": list(SCOPES),
        "AllowedOAuthFlowsUserPoolClient": True,
        "CallbackURLs": [app_url + SPA_CALLBACK_PATH],
        "LogoutURLs": [app_url + SIGNED_OUT_PATH],
        "SupportedIdentityProviders": ["COGNITO"],
        "EnableTokenRevocation": True,
        "PreventUserExistenceErrors": "ENABLED",
    }


def has_secret(client: dict) -> bool:
    """A secret Cognito shows (ClientSecret), or one it keeps in AWS Secrets Manager (ClientSecretArn,
    returned instead of ClientSecret: botocore's model, UserPoolClientType)."""
    return bool(client.get("ClientSecret") or client.get("ClientSecretArn"))


def drift(actual: dict, wanted: dict) -> list[str]:
    """The settings this app needs that the client lacks: list items missing (extra items are the
    user's and stay), or an owned value that differs."""
    missing = [k for k in ADDITIVE if k in wanted and set(wanted[k]) - set(actual.get(k) or [])]
    missing += [k for k in OWNED if k in wanted and actual.get(k) != wanted[k]]
    if "RefreshTokenRotation" in wanted and REFRESH_TOKEN_AUTH in (
        actual.get("ExplicitAuthFlows") or DEFAULT_AUTH_FLOWS
    ):
        missing.append("ExplicitAuthFlows")  # rotation needs ALLOW_REFRESH_TOKEN_AUTH off
    return missing


def repaired(actual: dict, wanted: dict) -> dict:
    """The drifted settings' new values: each list is the client's own, then what the app needs added."""
    values = {}
    for key in drift(actual, wanted):
        if key in ADDITIVE:
            have = list(actual.get(key) or [])
            values[key] = have + [item for item in wanted[key] if item not in have]
        elif key == "ExplicitAuthFlows":  # the client's own flows, less the one rotation cannot have
            values[key] = flows_without_refresh_token_auth(actual)
        else:
            values[key] = wanted[key]
    return values


def repair_request(existing: dict, wanted: dict, accepted: set[str]) -> dict:
    """The full UpdateUserPoolClient request: what DescribeUserPoolClient returned, plus what the app needs.

    UpdateUserPoolClient resets every field it is not given to its default (token lifetimes,
    read/write attributes, auth flows, analytics, ...), so the update carries every updatable
    field the client has now; `accepted` is UpdateUserPoolClient's input members. The callback
    URLs only grow, so a DefaultRedirectURI (which "must be in the CallbackURLs list", botocore's
    model) stays valid; an empty or stale one is left out rather than sent back invalid.
    """
    update = {k: v for k, v in existing.items() if k in accepted and k not in READ_ONLY_CLIENT_FIELDS}
    update.update(repaired(existing, wanted))
    default = update.get("DefaultRedirectURI")
    if "DefaultRedirectURI" in update and (not default or default not in (update.get("CallbackURLs") or [])):
        del update["DefaultRedirectURI"]
    return update
