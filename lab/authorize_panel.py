"""The authorize-request panel's words and view model: what each prompt, response type, scope and
parameter means, and the scopes it offers for this provider. The allowed values, the validation and
the URL are the protocol's (oauth/authorize_request.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from oauth.config import ClientConfig
    from oauth.discovery import ProviderMetadata

PROMPTS = {
    "": "(none) the provider decides: a live provider session signs you in without a form.",
    "login": "Always show the sign-in form, even with a live provider session.",
    "none": "Never show a form: fail with login_required when there is no provider session.",
    "consent": "Ask the user to consent again (Cognito managed login treats it like login).",
    "select_account": "Let the user pick an account (Cognito managed login treats it like login).",
}
RESPONSE_TYPES = {
    "code": "Authorization code (recommended): a one-time code in the query, traded on the back channel "
    "(server to server) with the secret and the PKCE verifier.",
    "token": "Implicit (legacy): the tokens come in the URL fragment; no PKCE, no refresh token.",
}
# Languages of Cognito's managed login pages (the lang parameter).
LANGS = ("", "de", "en", "es", "fr", "he", "id", "it", "ja", "ko", "nl", "pt-BR", "sv", "zh-CN", "zh-TW")
SCOPE_HELP = {
    "openid": "Required for an ID token: makes this an OpenID Connect request.",
    "email": "The email and email_verified claims.",
    "profile": "Name and the other profile attributes.",
    "phone": "The phone_number and phone_number_verified claims.",
    "aws.cognito.signin.user.admin": "Lets the access token call Cognito's user APIs (GetUser, UpdateUserAttributes).",
}
PARAM_HELP = {
    "response_type": "What the authorize endpoint returns: code (code flow) or token (implicit).",
    "client_id": "The app client's public id.",
    "redirect_uri": "Where the provider sends the browser back; must match a registered callback URL exactly.",
    "scope": "The permissions asked for, space-separated; openid is needed for an ID token.",
    "state": "Generated: a random, single-use value tying the callback to this browser (CSRF defence).",
    "nonce": "Generated: a random value the provider copies into the ID token, tying it to this login.",
    "code_challenge": "Generated: PKCE, base64url(SHA-256(code_verifier)); the verifier stays on the server.",
    "code_challenge_method": "PKCE method; Cognito supports only S256.",
    "prompt": "Whether the provider may reuse its own sign-in session.",
    "identity_provider": "Cognito: skip managed login and go straight to this IdP (e.g. Google, or a "
    "SAML/OIDC provider name; COGNITO for the user pool itself). The local provider has ExampleCorp, an "
    "external IdP it emulates.",
    "idp_identifier": "Cognito: pick the IdP by one of its identifiers (e.g. an email domain) instead of its name.",
    "lang": "Cognito managed login: the language of the sign-in pages.",
    "login_hint": "Pre-fills the username field (Cognito passes it to a federated IdP too).",
}


@dataclass(frozen=True)
class Choices:
    """What the panel offers for this provider."""

    scopes: list[tuple[str, str, bool]]  # name, explanation, ticked by default
    cognito: bool

    @property
    def scope_names(self) -> set[str]:
        return {name for name, _, _ in self.scopes}


def choices(settings: ClientConfig, meta: ProviderMetadata) -> Choices:
    names = list(dict.fromkeys([*meta.scopes_supported, *settings.scopes, *settings.resource_scopes]))
    scopes = []
    for name in names:
        if "/" in name:
            help_text = f"A custom scope of the resource server {name.split('/')[0]} (for your API)."
        else:
            help_text = SCOPE_HELP.get(name, "Listed in the provider's discovery document.")
        scopes.append((name, help_text, name in settings.scopes))
    return Choices(scopes=scopes, cognito=settings.is_cognito)
