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
OWNED = ("AllowedOAuthFlowsUserPoolClient", "EnableTokenRevocation", "PreventUserExistenceErrors")


def web_client_settings(app_url: str) -> dict:
    """The confidential web client. Its scopes include the resource server's, so the authorize
    panel's custom scopes (flowlab-api/read) can be asked for at sign-in and shown in a user token."""
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
    return missing + [k for k in OWNED if k in wanted and actual.get(k) != wanted[k]]


def repaired(actual: dict, wanted: dict) -> dict:
    """The drifted settings' new values: each list is the client's own, then what the app needs added."""
    values = {}
    for key in drift(actual, wanted):
        if key in ADDITIVE:
            have = list(actual.get(key) or [])
            values[key] = have + [item for item in wanted[key] if item not in have]
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
