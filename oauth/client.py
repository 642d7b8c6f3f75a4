"""The app's OAuth client: its ClientConfig + one HTTP session + discovery + JWKS cache."""

from __future__ import annotations

from collections.abc import Mapping

from . import calls, grants
from .calls import PreparedCall
from .config import ClientConfig
from .discovery import Discovery, JwksCache, JwksReply, ProviderMetadata, cache_max_age
from .errors import IssuerMismatch, SubjectMismatch, TokenRejected
from .http import Http, ProviderError
from .presets import Presets
from .tokens import Verification
from .transactions import Transaction

COGNITO_CODE_LIFETIME = 300


def is_jwt(token: str) -> bool:
    """Whether a token has a JWT's shape, a JWS compact serialisation of three dot-separated parts
    (RFC 7515 §7.1), and can be verified offline; any other token is opaque: only its issuer can tell
    what it means (RFC 6749 §1.4 lets an access token be any string)."""
    return token.count(".") == 2


def check_subject(step: str, sub: str | None, claims: Mapping[str, object]) -> None:
    """`claims` (an ID token's, userInfo's) are about the user whose subject is `sub`; else SubjectMismatch."""
    if claims.get("sub") != sub:
        raise SubjectMismatch(step, sub, claims.get("sub"))


def check_issuer(step: str, iss: str | None, got: object) -> None:
    """`got` (an `iss` claim or parameter) is the issuer `iss`; else IssuerMismatch."""
    if got != iss:
        raise IssuerMismatch(step, iss, got)


class OAuthClient:
    """Everything the views need to run a flow against one provider."""

    def __init__(self, config: ClientConfig):
        self.config = config
        self.http = Http(timeout=config.http_timeout)
        self.discovery = Discovery(self.http, config.issuer, config.cognito_domain, config.discovery_url)
        self.jwks = JwksCache(self._fetch_jwks, config.jwks_min_refetch_seconds, max_age=config.jwks_max_age)
        self.presets = Presets(config, self.jwks)  # how each place verifies tokens, configured once

    def _fetch_jwks(self) -> JwksReply:
        url = self.metadata().jwks_uri
        reply = self.http.request("jwks", "GET", url, headers={"Accept": "application/json"})
        if reply.status != 200:
            raise ProviderError("jwks", f"answered HTTP {reply.status} for {url}")
        cache_control = reply.headers.get("Cache-Control")
        return JwksReply(reply.json(), cache_max_age(cache_control))

    def metadata(self) -> ProviderMetadata:
        return self.discovery.metadata()

    def implicit_response_type(self) -> str:
        """`token` for Cognito (it gives id_token with openid); `id_token token` elsewhere."""
        if self.config.is_cognito:
            return "token"
        supported = {" ".join(sorted(t.split())) for t in self.metadata().response_types}
        return "id_token token" if "id_token token" in supported else "token"

    def authorize_url(self, tx: Transaction, *, response_type: str = "code", prompt: str | None = None) -> str:
        s = self.config
        code = response_type == "code"
        scopes = list(s.scopes) if code or "openid" in s.scopes else ["openid", *s.scopes]
        return grants.browser_url(
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

    def code_lifetime(self) -> int | None:
        """How long an authorization code lives, in seconds, where the provider documents it: Cognito's
        authorize endpoint page says "The authorization code is valid for five minutes"
        (https://docs.aws.amazon.com/cognito/latest/developerguide/authorization-endpoint.html).
        None elsewhere (RFC 6749 §4.1.2 only recommends at most 10 minutes)."""
        return COGNITO_CODE_LIFETIME if self.config.is_cognito else None

    def send(self, call: PreparedCall) -> dict:
        """Send a prepared call as it is and read the reply: a token response, or {} for a
        revocation; ProviderRefused when the provider says no, ProviderError when it fails."""
        return grants.read_reply(call, calls.send(self.http, call))

    def _token_call(self, step: str, form: dict[str, str]) -> PreparedCall:
        s = self.config
        return grants.prepare(
            step,
            "token",
            self.metadata().token_endpoint,
            form,
            client_id=s.client_id,
            client_secret=s.client_secret,
            method=s.client_auth,
        )

    def prepare_exchange(self, code: str, tx: Transaction) -> PreparedCall:
        """The code exchange (with its PKCE verifier), ready to show or send."""
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.config.redirect_uri,
            "code_verifier": tx.verifier,
        }
        return self._token_call("token", form)

    def exchange(self, call: PreparedCall, scope: str | None = None) -> dict:
        """Send a prepared code exchange (the very object a presenter screen showed) and read its tokens.
        An ID token must come back when the authorize request asked for `openid` (`scope`: what it asked
        for, None for the configured scopes); without openid no ID token is the normal answer."""
        tokens = self.send(call)
        asked = scope.split() if scope is not None else self.config.scopes
        if "openid" in asked and not tokens.get("id_token"):
            raise ProviderError("token", "answered without an id_token although openid was requested")
        return tokens

    def prepare_refresh(self, refresh_token: str) -> PreparedCall:
        """grant_type=refresh_token, ready to show or send."""
        return self._token_call("refresh", {"grant_type": "refresh_token", "refresh_token": refresh_token})

    def refresh(self, refresh_token: str) -> dict:
        """grant_type=refresh_token; Cognito returns a new refresh token only with rotation on."""
        return self.send(self.prepare_refresh(refresh_token))

    def userinfo(self, access_token: str) -> dict:
        """GET userInfo with the token in the Authorization header, never in the query."""
        endpoint = self.metadata().userinfo_endpoint
        if not endpoint:
            raise ProviderError("userinfo", "advertises no userinfo_endpoint")
        headers = {"Authorization": f"Bearer {access_token}", "Accept": "application/json"}
        return grants.read_userinfo_reply(self.http.request("userinfo", "GET", endpoint, headers=headers))

    def prepare_revoke(self, refresh_token: str) -> PreparedCall:
        """The revocation of a refresh token, ready to show or send; ProviderError when the
        provider has no revocation endpoint."""
        s = self.config
        endpoint = self.metadata().revocation_endpoint
        if not endpoint:
            raise ProviderError("revoke", "advertises no revocation_endpoint (set COGNITO_DOMAIN)")
        form = {"token": refresh_token, "token_type_hint": "refresh_token"}
        # Cognito's revocation endpoint documents client authentication by the Authorization
        # header only, so a confidential Cognito client sends HTTP Basic here whatever
        # OAUTH_CLIENT_AUTH says for the token endpoint (a public client sends client_id).
        method = "client_secret_basic" if s.is_cognito else s.client_auth
        return grants.prepare(
            "revoke", "revocation", endpoint, form, client_id=s.client_id, client_secret=s.client_secret, method=method
        )

    def revoke(self, refresh_token: str) -> None:
        """Revoke a refresh token (and, at Cognito, every token issued from it)."""
        self.send(self.prepare_revoke(refresh_token))

    def prepare_client_credentials(self, scope: str = "", client_id: str = "", client_secret: str = "") -> PreparedCall:
        """grant_type=client_credentials for the machine client (or the given one), ready to show or send."""
        s = self.config
        form = {"grant_type": "client_credentials"}
        if scope:
            form["scope"] = scope
        return grants.prepare(
            "client_credentials",
            "token",
            self.metadata().token_endpoint,
            form,
            client_id=client_id or s.m2m_client_id,
            client_secret=client_secret or s.m2m_client_secret,
            method=s.client_auth,
        )

    def client_credentials(self, scope: str = "", client_id: str = "", client_secret: str = "") -> dict:
        """A machine-to-machine token: grant_type=client_credentials, no user."""
        return self.send(self.prepare_client_credentials(scope, client_id, client_secret))

    def logout_url(self, return_to: str, id_token: str | None) -> str | None:
        """The provider's sign-out URL for the browser, or None when it has none."""
        s = self.config
        return grants.logout_url(
            end_session_endpoint=self.metadata().end_session_endpoint,
            is_cognito=s.is_cognito,
            client_id=s.client_id,
            return_to=return_to,
            id_token=id_token,
        )

    # -- the OIDC rules about the answers of one sign-in (each raises a ClientError subclass) --------
    def check_callback_issuer(self, iss: str | None) -> None:
        """RFC 9207 §2.4: an authorization response that carries `iss` must carry this client's issuer
        (a mix-up defence); one without it is accepted (Cognito sends none). Raises IssuerMismatch."""
        if iss is not None:
            check_issuer("callback", self.config.issuer, iss)

    def verify_refreshed_id_token(
        self, id_token: str, *, access_token: str | None, sub: str | None, iss: str | None
    ) -> Verification:
        """An ID token from a refresh: every check (the nonce skipped on purpose: a refreshed ID token
        carries none), then OIDC Core §12.2: its `iss` and `sub` are the sign-in's (`iss`, `sub`).
        Raises TokenRejected (a check failed) or SubjectMismatch / IssuerMismatch (someone else's)."""
        result = self.presets.refresh.verify_id(id_token, access_token=access_token)
        failure = result.failure
        if failure is not None:
            raise TokenRejected("refresh", failure.name, failure.detail)
        check_subject("refresh", sub, result.claims)
        check_issuer("refresh", iss, result.claims.get("iss"))
        return result

    def userinfo_for(self, access_token: str, sub: str | None) -> dict:
        """userInfo for the signed-in user whose ID token's subject is `sub`: OIDC Core §5.3.2, a
        response with another `sub` must not be used. Raises SubjectMismatch (and what userinfo() raises)."""
        info = self.userinfo(access_token)
        check_subject("userinfo", sub, info)
        return info
