"""The editable authorize request: which values each parameter may take, validation, and the URL.

The page's ES module builds the live preview with URLSearchParams; `build_url` encodes exactly as
that does (the WHATWG application/x-www-form-urlencoded serializer), so the URL the browser is sent
to is byte for byte the one the panel showed.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from .config import ClientConfig
from .transactions import Transaction

PROMPT_VALUES = ("", "login", "none", "consent", "select_account")  # OIDC Core §3.1.2.1 (+ empty: none sent)
RESPONSE_TYPE_VALUES = ("code", "token")  # RFC 6749 §3.1.1: the code grant and the implicit grant
# Languages of Cognito's managed login pages (the lang parameter).
LANGS = ("", "de", "en", "es", "fr", "he", "id", "it", "ja", "ko", "nl", "pt-BR", "sv", "zh-CN", "zh-TW")
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


def read_form(form: Mapping[str, object], scopes: Collection[str], cognito: bool) -> tuple[dict[str, str], str]:
    """The editable parameters from the panel's form, validated against what it offered (`scopes`, and
    Cognito's own parameters when `cognito`); (params, error)."""
    response_type = form.get("response_type", "code")
    if response_type not in RESPONSE_TYPE_VALUES:
        return {}, "response_type must be code or token"
    getlist = getattr(form, "getlist", None)
    ticked = getlist("scope") if getlist else form.get("scope", [])
    if isinstance(ticked, str):
        ticked = ticked.split()
    if not isinstance(ticked, list | tuple):
        return {}, "scope must be a list of scopes"
    unknown = [s for s in ticked if s not in scopes]
    if unknown:
        return {}, f"scope {unknown[0][:60]!r} is not one the panel offers"
    if not ticked:
        return {}, "tick at least one scope (openid for an ID token)"
    prompt = form.get("prompt", "")
    if prompt not in PROMPT_VALUES:
        return {}, "prompt must be login, none, consent, select_account or empty"
    params = {"response_type": response_type, "scope": " ".join(dict.fromkeys(ticked)), "prompt": prompt}
    if cognito:
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
