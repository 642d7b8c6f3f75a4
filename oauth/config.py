"""What the client needs to know about its provider and itself; config.py builds it from Settings."""

from __future__ import annotations

from dataclasses import dataclass, field

CALLBACK_PATH = "/callback"
IMPLICIT_CALLBACK_PATH = "/implicit/callback"
SPA_CALLBACK_PATH = "/spa/callback"  # the browser-only flow's callback (public client)
SIGNED_OUT_PATH = "/signed-out"  # where the provider's logout sends the browser back


@dataclass(frozen=True)
class ClientConfig:
    """One app client at one provider: ids, secrets, URLs and the HTTP/JWKS limits."""

    issuer: str
    client_id: str
    client_secret: str = field(repr=False)
    scopes: tuple[str, ...] = ("openid", "email", "profile")
    client_auth: str = "client_secret_basic"
    cognito_domain: str = ""
    is_cognito: bool = False
    local_provider: bool = False
    m2m_client_id: str = ""
    public_client_id: str = ""
    resource_scopes: tuple[str, ...] = ()  # custom scopes the authorize panel offers
    api_required_scope: str = ""  # the API side: the scope /api/me requires
    api_allowed_client_ids: tuple[str, ...] = ()  # the API side: the app clients whose tokens it takes
    m2m_client_secret: str = field(default="", repr=False)
    app_url: str = "http://localhost:5000"
    http_timeout: float = 5.0
    jwks_min_refetch_seconds: float = 10.0
    jwks_max_age: float = 600.0
    # Where discovery is fetched when it is not {issuer}/.well-known/…: an emulator on loopback
    # (AWS_ENDPOINT_URL) serves Cognito's AWS-form issuer from http://127.0.0.1:PORT/{pool}.
    discovery_base: str = ""
    pool_id: str = ""  # set when the issuer comes from COGNITO_USER_POOL_ID (the doctor's fixes name that)

    @property
    def discovery_url(self) -> str:
        return (self.discovery_base or self.issuer).rstrip("/") + "/.well-known/openid-configuration"

    @property
    def redirect_uri(self) -> str:
        return self.app_url + CALLBACK_PATH

    @property
    def implicit_redirect_uri(self) -> str:
        return self.app_url + IMPLICIT_CALLBACK_PATH

    @property
    def spa_redirect_uri(self) -> str:
        return self.app_url + SPA_CALLBACK_PATH

    @property
    def signed_out_uri(self) -> str:
        return self.app_url + SIGNED_OUT_PATH
