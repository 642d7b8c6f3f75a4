"""What each traced step and each request parameter means: titles, lanes and parameter help."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

PARAM_HELP = {
    "response_type": "What the authorize endpoint should return: code (code flow) or token (implicit).",
    "client_id": "The app client's public id.",
    "client_secret": "The app client's secret; it never leaves the server.",
    "redirect_uri": "Where the provider sends the browser back; must match a registered URL exactly.",
    "scope": "The permissions asked for; openid is needed for an ID token.",
    "state": "A random, single-use value tying the callback to this browser's login (CSRF defence).",
    "nonce": "A random value the provider copies into the ID token, tying the token to this login.",
    "code_challenge": "PKCE: base64url(SHA-256(code_verifier)); the code is useless without the verifier.",
    "code_challenge_method": "PKCE method; Cognito supports only S256.",
    "code_verifier": "PKCE: the secret behind code_challenge, sent only on the back channel.",
    "code": "The one-time authorization code (valid 5 minutes at Cognito).",
    "grant_type": "Which grant: authorization_code, refresh_token or client_credentials.",
    "refresh_token": "The long-lived token that gets new access and ID tokens; never shown.",
    "token": "The token to revoke (a refresh token at Cognito).",
    "token_type_hint": "Tells the provider what kind of token is being revoked.",
    "prompt": "login forces the sign-in form even if a provider session exists.",
    "logout_uri": "Cognito: where to go after sign-out; must be an allowed sign-out URL.",
    "post_logout_redirect_uri": "OIDC: where to go after sign-out.",
    "id_token_hint": "OIDC: the ID token, so the provider knows whose session to end.",
    "Authorization": "Credentials: Basic (client id and secret) or Bearer (an access token).",
    "Content-Type": "The body's format; token requests are application/x-www-form-urlencoded.",
    "error": "An OAuth error code.",
    "error_description": "Human-readable detail of the error.",
}

# The browser-only flow's pauses (static/spa_presenter.js): there the page itself is the client, so a
# few parameters travel differently than in the server's code flow.
SPA_PARAM_HELP = {
    "client_id": "The public app client's id; it has no secret (a browser cannot keep one).",
    "code": "The one-time authorization code (valid 5 minutes at Cognito). With no secret, the code and "
    "the verifier are all it takes to get the tokens.",
    "code_verifier": "PKCE: the secret behind code_challenge. In this flow this page sends it itself, with "
    "the code, straight to the token endpoint; it never goes into a URL.",
    "refresh_token": "The long-lived token that gets new tokens; it sits in this page's memory (never shown).",
}


STEP_TITLES = {
    "discovery": "Fetch the provider's discovery document",
    "jwks": "Fetch the provider's signing keys (JWKS)",
    "token": "Exchange the code for tokens (back channel)",
    "refresh": "Refresh the tokens",
    "userinfo": "Call the userInfo endpoint",
    "revoke": "Revoke the refresh token",
    "client_credentials": "Get a machine token (client credentials)",
    "authorize": "Browser goes to the authorize endpoint",
    "callback": "Provider sends the browser back with a code",
    "implicit_callback": "Provider sends the browser back with tokens in the fragment",
    "logout": "Browser goes to the provider's logout",
    "implicit_authorize": "Browser goes to the authorize endpoint (implicit)",
    "implicit_verify": "The implicit page posts the tokens for verification",
    "spa_verify": "The browser-only (PKCE) page posts its ID token for verification",
    "spa_token": "The page trades the code at the token endpoint itself (CORS, no secret)",
    "spa_userinfo": "The page calls userInfo itself (Bearer, after a CORS preflight)",
    "spa_refresh": "The page refreshes its tokens itself (refresh token in JavaScript)",
    "spa_revoke": "The page revokes its refresh token itself",
    "api": "Call the protected API",
    "api_call": "Call another API with the access token",
    "doctor": "Setup doctor probe",
    "token_customization": "Read the local provider's record of a token's customization (its own endpoint)",
    "refresh_replay": "Replay the rotated-out refresh token (as a thief with a copy would)",
}

# Who made a group of probes in the trace (the tool's own calls, whose refusals are expected), by step name.
PROBE_SOURCES = {
    "doctor": "the setup doctor",
    "refresh_replay": "the rotation replay",
    "token_customization": "the customization marks",
}
DEFAULT_PROBE_SOURCE = "the revocation lab"

LANES = {
    "discovery": ("app", "provider"),
    "jwks": ("app", "provider"),
    "token": ("app", "provider"),
    "refresh": ("app", "provider"),
    "userinfo": ("app", "provider"),
    "revoke": ("app", "provider"),
    "client_credentials": ("app", "provider"),
    "authorize": ("browser", "provider"),
    "implicit_authorize": ("browser", "provider"),
    "logout": ("browser", "provider"),
    "callback": ("browser", "app"),
    "implicit_callback": ("browser", "app"),
    "implicit_verify": ("browser", "app"),
    "spa_verify": ("browser", "app"),
    "spa_token": ("browser", "provider"),
    "spa_userinfo": ("browser", "provider"),
    "spa_refresh": ("browser", "provider"),
    "spa_revoke": ("browser", "provider"),
    "api": ("app", "app"),
    "api_call": ("app", "api"),  # another API, one the operator listed (API_CALL_ALLOWLIST)
    "token_customization": ("app", "provider"),
    "refresh_replay": ("app", "provider"),
}


RESPONSE_HELP = {
    "id_token": "Who signed in: a signed JWT for this app (shortened here; the dashboard shows its claims).",
    "access_token": "What this app may do: a signed JWT for APIs, sent as Authorization: Bearer.",
    "refresh_token": "Gets new tokens later; it stays on the server and is never shown.",
    "token_type": "Always Bearer: whoever holds the access token can use it.",
    "expires_in": "Seconds until the access token expires.",
    "scope": "The scopes actually granted.",
}

ARROW_LABELS = {
    "discovery": "discovery",
    "jwks": "signing keys",
    "token": "code exchange",
    "refresh": "refresh",
    "userinfo": "userInfo",
    "revoke": "revoke",
    "client_credentials": "client credentials",
    "authorize": "authorize",
    "implicit_authorize": "authorize (implicit)",
    "callback": "back with a code",
    "implicit_callback": "back with tokens in the fragment",
    "implicit_verify": "verify the implicit tokens",
    "logout": "logout",
    "api": "call the API",
    "api_call": "call another API",
    "doctor": "doctor probe",
    "refresh_replay": "replay the old refresh token",
    "token_customization": "customization record",
}


def explain_params(url: str, request_body: str) -> list[tuple[str, str, str]]:
    """(name, value, meaning) for each query/body parameter of a step's request."""
    rows = []
    query = urlsplit(url).query
    body = request_body if "=" in request_body and not request_body.startswith("{") else ""
    for source in (query, body):
        for key, value in parse_qsl(source, keep_blank_values=True):
            rows.append((key, value, PARAM_HELP.get(key, "")))
    return rows
