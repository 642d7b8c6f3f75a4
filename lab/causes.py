"""Provider error codes, mapped to the likely cause and what to check."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from oauth.errors import ProviderRefused

LIKELY_CAUSES = {
    "redirect_mismatch": (
        "The redirect URI this app sent is not in the app client's Allowed callback URLs. "
        "Matching is exact: scheme, host, port, path and trailing slash."
    ),
    "invalid_client": (
        "Client authentication failed: wrong client id or secret, a secret sent to a public "
        "client, or no secret sent for a client that has one. Check OAUTH_CLIENT_ID, "
        "OAUTH_CLIENT_SECRET and OAUTH_CLIENT_AUTH."
    ),
    "invalid_grant": (
        "The code or refresh token was refused: already used, expired (codes live 5 minutes), "
        "revoked, issued to another client, or the PKCE code_verifier does not match."
    ),
    "unauthorized_client": (
        "The app client is not allowed this grant or flow (response_type=token needs the implicit grant "
        "enabled, response_type=code the authorization code grant), or the redirect_uri differs from the "
        "one used at authorize (Cognito then says invalid_redirect). Check the client's OAuth "
        "grant types and callback URLs."
    ),
    "invalid_scope": (
        "A requested scope is not enabled on the app client, or is malformed (a custom scope such as "
        "flowlab-api/read must be enabled on the client through its resource server). Check OAUTH_SCOPES, "
        "or the scopes ticked in the authorize request panel, against the client's allowed scopes."
    ),
    "invalid_request": "A required parameter is missing or malformed.",
    "unsupported_grant_type": "The provider does not support this grant_type.",
    "access_denied": "The user (or the provider) declined the sign-in.",
    "login_required": "prompt=none was sent but there is no sign-in session at the provider.",
    "server_error": "The provider hit an internal error; try again later.",
    "unsupported_token_type": "Only refresh tokens can be revoked at Cognito's /oauth2/revoke.",
    "invalid_token": (
        "The access token was refused: its sign-in was revoked (revoking the refresh token revokes the "
        "tokens issued from it), it expired, or it is the wrong kind or from another pool. Sign in again."
    ),
    "insufficient_scope": "The access token lacks the scope this API requires; ask for it at sign-in.",
    "invalid_state": (
        "The callback's state does not match a sign-in started in this browser: forged, replayed, or older "
        "than 10 minutes. This is the CSRF defence working; start the sign-in again."
    ),
    "invalid_issuer": "The callback names another issuer: a mix-up or a misconfigured provider.",
    "invalid_id_token": "The ID token failed a verification check; nothing was stored.",
    "invalid_userinfo": "userInfo answered for a different user than the ID token's sub.",
    "temporarily_unavailable": "The API could not fetch the provider's signing keys; try again.",
    "provider_error": "The provider could not be reached or answered something unusable.",
}


# what a refusal means for a refresh (grant_type=refresh_token), where the general words talk about codes
REFRESH_CAUSES = {
    "invalid_grant": (
        "The refresh token was refused: it was revoked (Revoke on this page, a sign-out, or an admin), it "
        "expired (30 days by default at Cognito), it was issued to another app client, or, with rotation on, "
        "a newer refresh token replaced it. Sign in again for a new one."
    ),
}


def likely_cause(error: str, step: str = "") -> str:
    """What `error` most likely means; `step` "refresh" gives a refresh's own reading where it differs."""
    if step == "refresh" and error in REFRESH_CAUSES:
        return REFRESH_CAUSES[error]
    return LIKELY_CAUSES.get(error, "")


CLIENT_CREDENTIALS_CAUSES = {
    "unauthorized_client": (
        "This app client is not allowed client_credentials. In Cognito it must be the client's only "
        "OAuth flow, the client needs a secret, and it needs a custom scope from a resource server."
    ),
    "invalid_scope": "Request a custom scope of the form resource-server-identifier/scope, e.g. flowlab-api/read.",
    "invalid_client": "Check M2M_CLIENT_ID and M2M_CLIENT_SECRET: the machine client's id or secret is wrong.",
}
GIVEN_CREDENTIALS = "Check --client-id and --client-secret: the machine client's id or secret is wrong."


def refusal_message(exc: ProviderRefused, given_credentials: bool = False) -> str:
    """The token endpoint's refusal, with the likely cause for client_credentials.

    `given_credentials`: the id and secret came from --client-id/--client-secret, not the environment."""
    cause = CLIENT_CREDENTIALS_CAUSES.get(exc.error) or likely_cause(exc.error)
    if given_credentials and exc.error == "invalid_client":
        cause = GIVEN_CREDENTIALS
    text = exc.error + (f" ({exc.description})" if exc.description else "")
    return f"{text}: {cause}" if cause else text
