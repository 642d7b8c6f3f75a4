"""The editable authorize request: what may be edited, every parameter explained, and the URL.

The page's ES module builds the live preview with URLSearchParams; `build_url` encodes exactly as
that does (the WHATWG application/x-www-form-urlencoded serializer), so the URL the browser is sent
to is byte for byte the one the panel showed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .config import ClientConfig
from .discovery import ProviderMetadata
from .transactions import Transaction

PROMPTS = {
    "": "(none) the provider decides: a live provider session signs you in without a form.",
    "login": "Always show the sign-in form, even with a live provider session.",
    "none": "Never show a form: fail with login_required when there is no provider session.",
    "consent": "Ask the user to consent again (Cognito managed login treats it like login).",
    "select_account": "Let the user pick an account (Cognito managed login treats it like login).",
}
RESPONSE_TYPES = {
    "code": "Authorization code (recommended): a one-time code in the query, traded on the back channel "
    "with the secret and the PKCE verifier.",
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
    "identity_provider": "Cognito: skip the hosted UI and go straight to this IdP (e.g. Google, or a "
    "SAML/OIDC provider name; COGNITO for the user pool itself).",
    "idp_identifier": "Cognito: pick the IdP by one of its identifiers (e.g. an email domain) instead of its name.",
    "lang": "Cognito managed login: the language of the sign-in pages.",
    "login_hint": "Pre-fills the username field (Cognito passes it to a federated IdP too).",
}
MAX_FIELD = 200
ORDER = (
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
    "prompt",
    "identity_provider",
    "idp_identifier",
    "lang",
    "login_hint",
)
_SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789*-._")


@dataclass(frozen=True)
class Choices:
    """What the panel offers for this provider."""

    scopes: list[tuple[str, str, bool]]  # name, explanation, ticked by default
    cognito: bool


def form_encode(value: str) -> str:
    """The WHATWG urlencoded byte serializer, as URLSearchParams.toString() does it."""
    out = []
    for byte in value.encode("utf-8"):
        ch = chr(byte)
        if ch in _SAFE:
            out.append(ch)
        elif ch == " ":
            out.append("+")
        else:
            out.append(f"%{byte:02X}")
    return "".join(out)


def build_url(endpoint: str, params: Mapping[str, str]) -> str:
    """The authorize URL with the parameters in ORDER, empty ones left out."""
    query = "&".join(f"{k}={form_encode(params[k])}" for k in ORDER if params.get(k))
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"


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


def fixed_params(settings: ClientConfig, tx: Transaction, response_type: str) -> dict[str, str]:
    """The parameters nobody edits: client, redirect, state, nonce and PKCE."""
    code = response_type == "code"
    params = {
        "response_type": response_type,
        "client_id": settings.client_id,
        "redirect_uri": settings.redirect_uri if code else settings.implicit_redirect_uri,
        "state": tx.state,
        "nonce": tx.nonce,
    }
    if code:
        params.update(code_challenge=tx.challenge, code_challenge_method="S256")
    return params


def read_form(form: Mapping[str, object], offered: Choices) -> tuple[dict[str, str], str]:
    """The editable parameters from the panel's form, validated; (params, error)."""
    response_type = form.get("response_type", "code")
    if response_type not in RESPONSE_TYPES:
        return {}, "response_type must be code or token"
    getlist = getattr(form, "getlist", None)
    ticked = getlist("scope") if getlist else form.get("scope", [])
    if isinstance(ticked, str):
        ticked = ticked.split()
    if not isinstance(ticked, list | tuple):
        return {}, "scope must be a list of scopes"
    allowed = {name for name, _, _ in offered.scopes}
    unknown = [s for s in ticked if s not in allowed]
    if unknown:
        return {}, f"scope {unknown[0][:60]!r} is not one the panel offers"
    if not ticked:
        return {}, "tick at least one scope (openid for an ID token)"
    prompt = form.get("prompt", "")
    if prompt not in PROMPTS:
        return {}, "prompt must be login, none, consent, select_account or empty"
    params = {"response_type": response_type, "scope": " ".join(dict.fromkeys(ticked)), "prompt": prompt}
    if offered.cognito:
        lang = form.get("lang", "")
        if lang not in LANGS:
            return {}, f"lang must be one of {', '.join(x for x in LANGS if x)}"
        params["lang"] = lang
        for name in ("identity_provider", "idp_identifier"):
            params[name] = str(form.get(name, "")).strip()
    params["login_hint"] = str(form.get("login_hint", "")).strip()
    for name, value in params.items():
        if len(value) > MAX_FIELD or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
            return {}, f"{name} is too long or has control characters"
    return params, ""
