"""Reading an answer as a refusal: who said no, which check, in the answer's own words.

Each reader takes what came back (this app's error page, its JSON, its API's RFC 6750 challenge, the
provider's token error or authorize redirect) and returns a Refusal, or None when the request was
accepted: nothing here is assumed from the attack, only read from the answer.
"""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

from oauth.http import ProviderError, Reply

from .catalogue import CHECKS, CLIENT, PROVIDER
from .model import Refusal

TITLE = re.compile(r"<h1>(.*?)</h1>", re.S)
DETAIL = re.compile(r'<p class="detail">(.*?)</p>', re.S)
FAILED_CHECK = re.compile(r"[Cc]heck '([a-z_]+)' failed")
API_CHECK = re.compile(r"^([a-z_]+) check failed")
AUTH_PARAM = re.compile(r'(\w+)="([^"]*)"')
PROVIDER_REFUSED = "The identity provider refused the request"
MAX_DETAIL = 300


def _text(pattern: re.Pattern[str], body: str) -> str:
    found = pattern.search(body)
    return html.unescape(re.sub(r"<[^>]+>", "", found.group(1))).strip()[:MAX_DETAIL] if found else ""


def _known(check: str) -> str:
    return check if check in CHECKS else "other"


def provider_check(error: str, detail: str) -> str:
    """The provider's check behind a token-endpoint refusal, from what it said."""
    said = f"{error} {detail}".lower()
    if "code_verifier" in said or "pkce" in said:
        return "pkce"
    if "refresh token" in said:
        return "rotation"
    return "code"


def app_page(reply: Reply) -> Refusal | None:
    """This app's answer to a browser request (the callback): a 4xx error page, or None when it went on
    (a redirect into the app: the sign-in completed)."""
    if reply.status < 400:
        return None
    body = reply.body.decode("utf-8", "replace")
    error = reply.headers.get("X-OAuth-Error") or ""
    title, detail = _text(TITLE, body), _text(DETAIL, body)
    if title == PROVIDER_REFUSED:
        return Refusal(PROVIDER, provider_check(error, detail), reply.status, error, detail)
    check = {"invalid_state": "state", "invalid_issuer": "callback_iss"}.get(error, "")
    if error == "invalid_id_token":
        failed = FAILED_CHECK.search(detail)
        check = failed.group(1) if failed else ""
    return Refusal(CLIENT, _known(check), reply.status, error or title, detail or title)


def app_json(reply: Reply) -> Refusal | None:
    """This app's JSON answer (POST /api/implicit/verify): `{"valid": false, "error", "check"}`, or None."""
    try:
        data = reply.json()
    except ProviderError:  # a non-JSON answer is still a refusal, said as it came
        data = {}
    if reply.status < 400 and data.get("valid") is True:
        return None
    check = str(data.get("check") or "")
    return Refusal(CLIENT, _known(check), reply.status, "invalid_token", str(data.get("error", ""))[:MAX_DETAIL])


def api(reply: Reply) -> Refusal | None:
    """This app's API (GET /api/me): 200, or an RFC 6750 challenge naming the failed check."""
    if reply.status == 200:
        return None
    params = dict(AUTH_PARAM.findall(reply.headers.get("WWW-Authenticate", "")))
    description = params.get("error_description", "")
    named = API_CHECK.match(description)
    return Refusal(CLIENT, _known(named.group(1) if named else ""), reply.status, params.get("error", ""), description)


def token_endpoint(reply: Reply, check: str = "") -> Refusal | None:
    """The provider's token endpoint: 200 with tokens, or an OAuth error. `check`: what its refusal means
    here when the request differs from a good one in one parameter only (else read from the answer)."""
    if reply.status == 200:
        return None
    try:
        data = reply.json()
    except ProviderError:
        data = {}
    error, detail = str(data.get("error", "")), str(data.get("error_description", ""))[:MAX_DETAIL]
    return Refusal(PROVIDER, check or provider_check(error, detail), reply.status, error, detail)


def authorize(reply: Reply, redirect_uri: str) -> Refusal | None:
    """The provider's authorize endpoint, asked to redirect to `redirect_uri`: None when it goes there (or
    on to its sign-in form, which ends there); a Refusal when it shows its error page instead."""
    location = reply.headers.get("Location", "")
    if reply.status in (301, 302, 303, 307) and location.startswith(redirect_uri):
        return None
    error = parse_qs(urlsplit(location).query).get("error", [""])[0]
    if reply.status in (301, 302, 303, 307) and not error and "/login?" in location:
        return None  # the sign-in form, whose submit redirects to redirect_uri
    return Refusal(PROVIDER, "redirect_uri", reply.status, error or "redirect_mismatch", f"Location: {location[:200]}")
