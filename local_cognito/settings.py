"""The local provider's user pool: users and app clients, kept in one JSON file."""

from __future__ import annotations

import base64
import json
import secrets
import string
from pathlib import Path

import local_defaults

from . import lifetimes, rotation
from .files import write_private

DEFAULT_POOL_ID = local_defaults.POOL_ID
DEFAULT_PORT = local_defaults.PORT
DEMO_USERNAME = "demo"
DEMO_PASSWORD = "FlowLab-demo-1"
STANDARD_SCOPES = ["openid", "email", "profile", "phone", "aws.cognito.signin.user.admin"]


def logout_urls(app_url: str) -> list[str]:
    """The sign-out URLs the pool registers for the app: its home page and its /signed-out (the app's
    Settings.signed_out_uri; the provider never imports the client, so the path is written here once)."""
    return [f"{app_url}/", f"{app_url}/signed-out"]


def spa_callback_urls(app_url: str) -> list[str]:
    """The public (browser-only) client's redirect URI."""
    return [f"{app_url}/spa/callback"]


def callback_urls(app_url: str) -> list[str]:
    """The redirect URIs the pool registers for the app's confidential client: the code flow's
    callback and the implicit page."""
    return [f"{app_url}/callback", f"{app_url}/implicit/callback"]


def _client_id() -> str:
    alphabet = string.ascii_lowercase + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(26))


def default_pool(app_url: str, port: int = DEFAULT_PORT) -> dict:
    """A pool with one demo user and one confidential client allowed code and implicit."""
    return {
        "pool_id": DEFAULT_POOL_ID,
        "port": port,
        "issuer": local_defaults.issuer(port),
        "users": [
            {
                "username": DEMO_USERNAME,
                "password": DEMO_PASSWORD,
                "sub": "7b1c4e52-0d7e-4a8e-9f55-3f1f2a9c0de1",
                "email": "demo@example.com",
                "email_verified": True,
                "groups": ["flow-lab-demo"],
                "attributes": {"name": "Demo User", "given_name": "Demo", "family_name": "User"},
                # an authenticator app (TOTP, RFC 6238) for acr_values=urn:cognito:loa:4; alice has none
                "totp_secret": base64.b32encode(secrets.token_bytes(20)).decode().rstrip("="),
            },
            {
                "username": "alice",
                "password": "FlowLab-alice-1",
                "sub": "c3a8e0f4-5b52-4f0b-8d3e-9b7d2f1e6a04",
                "email": "alice@example.com",
                "email_verified": False,
                "groups": [],
                "attributes": {"name": "Alice Example"},
            },
        ],
        "clients": [
            {
                "name": "cognito-flow-lab",
                "client_id": _client_id(),
                "client_secret": secrets.token_urlsafe(39),
                "callback_urls": callback_urls(app_url),
                "logout_urls": logout_urls(app_url),
                "allowed_flows": ["code", "implicit"],
                # the resource server's scopes too, as `cognito setup` allows them: the authorize panel offers them
                "allowed_scopes": ["openid", "email", "profile", "aws.cognito.signin.user.admin", *CUSTOM_SCOPES],
                "supported_identity_providers": ["COGNITO", EXTERNAL_IDP["name"]],
                "RefreshTokenRotation": {"Feature": "DISABLED", "RetryGracePeriodSeconds": 0},
                **lifetimes.defaults(),
            },
            machine_client(),
            public_client(app_url),
        ],
        "resource_servers": [dict(RESOURCE_SERVER)],
        "identity_providers": [json.loads(json.dumps(EXTERNAL_IDP))],
    }


# A second, "external" identity provider the pool federates with (emulated here: its sign-in page is
# served by this provider too), so that identity_provider / idp_identifier on the authorize request
# do what they do at Cognito: skip managed login and send the user through that IdP.
EXTERNAL_IDP = {
    "name": "ExampleCorp",
    "type": "OIDC",
    "idp_identifiers": ["example.com"],
    "users": [
        {
            "username": "carol",
            "password": "FlowLab-carol-1",
            "sub": "5e2f9a71-3c4b-4d8e-a6f0-2b7c9d1e8f35",
            "email": "carol@example.com",
            "attributes": {"name": "Carol Example"},
        }
    ],
}

RESOURCE_SERVER = {
    "identifier": "flowlab-api",
    "name": "Cognito Flow Lab API",
    "scopes": [{"name": "read", "description": "Read"}, {"name": "write", "description": "Write"}],
}
CUSTOM_SCOPES = ["flowlab-api/read", "flowlab-api/write"]


def machine_client() -> dict:
    """A client configured as Cognito requires for client_credentials: a secret, that flow
    only, and custom `resource-server/scope` scopes."""
    return {
        "name": "flow-lab-machine",
        "client_id": _client_id(),
        "client_secret": secrets.token_urlsafe(39),
        "callback_urls": [],
        "logout_urls": [],
        "allowed_flows": ["client_credentials"],
        "allowed_scopes": ["flowlab-api/read", "flowlab-api/write"],
        "RefreshTokenRotation": {"Feature": "DISABLED", "RetryGracePeriodSeconds": 0},
        **lifetimes.defaults(),
    }


def public_client(app_url: str) -> dict:
    """A public app client for the browser-only flow: no secret, the code grant only, PKCE
    required, callback `{APP_URL}/spa/callback`."""
    return {
        "name": "flow-lab-spa",
        "client_id": _client_id(),
        "client_secret": "",
        "callback_urls": spa_callback_urls(app_url),
        "logout_urls": logout_urls(app_url),
        "allowed_flows": ["code"],
        "require_pkce": True,
        "allowed_scopes": ["openid", "email", "profile"],
        # RFC 9700 §4.14.2: a public client's refresh tokens must be sender-constrained or rotated. On here
        # (grace 0), so the attack lab can show a stolen one refused after rotation (attack 9).
        "RefreshTokenRotation": {"Feature": "ENABLED", "RetryGracePeriodSeconds": 0},
        **lifetimes.defaults(),
    }


def is_public_client(client: dict) -> bool:
    """No secret and the code grant: the browser-only (SPA) client."""
    return not client.get("client_secret") and "code" in client.get("allowed_flows", [])


def ensure_pool_file(path: Path, app_url: str, port: int = DEFAULT_PORT) -> dict:
    """Load the pool file, creating it (with a fresh client secret) when missing.

    The callback URLs follow `app_url`, and the issuer follows `port`, so a
    changed APP_URL or port never leaves the pool out of date.
    """
    pool = json.loads(path.read_text()) if path.exists() else default_pool(app_url, port)
    pool["port"] = port
    pool["issuer"] = f"http://127.0.0.1:{port}/{pool['pool_id']}"
    if not any(c.get("allowed_flows") == ["client_credentials"] for c in pool["clients"]):
        pool["clients"].append(machine_client())  # files written before the machine client existed
        pool.setdefault("resource_servers", []).append(dict(RESOURCE_SERVER))
    spa = next((c for c in pool["clients"] if is_public_client(c)), None)
    if spa is None:  # files written before the public client existed
        pool["clients"].append(public_client(app_url))
    else:
        spa["callback_urls"] = spa_callback_urls(app_url)
        spa["logout_urls"] = logout_urls(app_url)
    for each in pool["clients"]:
        rotation.normalize(each)  # refresh_token_rotation (older files) -> RefreshTokenRotation
        lifetimes.normalize(each)  # access_token_minutes etc. (older files) -> AccessTokenValidity etc.
    client = pool["clients"][0]
    if "identity_providers" not in pool:  # files written before the external IdP existed
        pool["identity_providers"] = [json.loads(json.dumps(EXTERNAL_IDP))]
        client.setdefault("supported_identity_providers", ["COGNITO", EXTERNAL_IDP["name"]])
    # files written before the web client could ask for custom scopes (now refused, not dropped, when not allowed)
    client["allowed_scopes"] += [s for s in CUSTOM_SCOPES if s not in client["allowed_scopes"]]
    client["callback_urls"] = callback_urls(app_url)
    client["logout_urls"] = logout_urls(app_url)
    write_private(path, json.dumps(pool, indent=2).encode())
    return pool
