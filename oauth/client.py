"""The app's OAuth client: settings + one HTTP session + discovery + JWKS cache."""

from __future__ import annotations

from config import Settings

from . import grants
from .discovery import Discovery, JwksCache, ProviderMetadata
from .http import Http, ProviderError
from .tokens import Verification, verify_token
from .transactions import Transaction

LOGIN_MAX_AGE = 600


class OAuthClient:
    """Everything the views need to run a flow against one provider."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.http = Http(timeout=settings.http_timeout)
        self.discovery = Discovery(self.http, settings.issuer, settings.cognito_domain)
        self.jwks = JwksCache(self._fetch_jwks, settings.jwks_min_refetch_seconds)

    def _fetch_jwks(self) -> object:
        return self.http.get_json("jwks", self.metadata().jwks_uri)

    def metadata(self) -> ProviderMetadata:
        return self.discovery.metadata()

    def implicit_response_type(self) -> str:
        """`token` for Cognito (it gives id_token with openid); `id_token token` elsewhere."""
        if self.settings.is_cognito:
            return "token"
        supported = {" ".join(sorted(t.split())) for t in self.metadata().response_types}
        return "id_token token" if "id_token token" in supported else "token"

    def authorize_url(
        self, tx: Transaction, *, response_type: str = "code", prompt: str | None = None
    ) -> str:
        s = self.settings
        code = response_type == "code"
        scopes = list(s.scopes) if code or "openid" in s.scopes else ["openid", *s.scopes]
        return grants.authorize_url(
            self.metadata().authorization_endpoint,
            {
                "response_type": response_type,
                "client_id": s.client_id,
                "redirect_uri": s.redirect_uri if code else s.implicit_redirect_uri,
                "scope": " ".join(scopes),
                "state": tx.state,
                "nonce": tx.nonce,
                "code_challenge": tx.challenge if code else None,
                "code_challenge_method": "S256" if code else None,
                "prompt": prompt,
            },
        )

    def _token(self, step: str, form: dict[str, str]) -> dict:
        s = self.settings
        return grants.token_request(
            self.http,
            step,
            self.metadata().token_endpoint,
            form,
            client_id=s.client_id,
            client_secret=s.client_secret,
            method=s.client_auth,
        )

    def exchange_code(self, code: str, tx: Transaction) -> dict:
        """Trade an authorization code (with its PKCE verifier) for tokens."""
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.settings.redirect_uri,
            "code_verifier": tx.verifier,
        }
        tokens = self._token("token", form)
        if "openid" in self.settings.scopes and not tokens.get("id_token"):
            raise ProviderError("token", "answered without an id_token although openid was requested")
        return tokens

    def verify_id_token(
        self,
        id_token: str,
        *,
        nonce: str | None,
        access_token: str | None,
        require_at_hash: bool = False,
        at_login: bool = False,
    ) -> Verification:
        s = self.settings
        return verify_token(
            id_token,
            kind="id",
            keys=self.jwks,
            issuer=s.issuer,
            client_ids=[s.client_id],
            nonce=nonce,
            access_token=access_token,
            require_at_hash=require_at_hash,
            require_token_use=s.is_cognito,
            max_age=LOGIN_MAX_AGE if at_login else None,
        )

    def verify_access_token(self, token: str) -> Verification:
        s = self.settings
        return verify_token(token, kind="access", keys=self.jwks, issuer=s.issuer, client_ids=[s.client_id])
