"""What an authorize endpoint answered a request, read the way a person would read it: a redirect to
the app with an error, an error in the body, a redirect to a sign-in page, or a sign-in form itself.

Cognito's /oauth2/authorize redirects to its /login page; an emulator such as MiniStack serves the
sign-in form at /oauth2/authorize itself, and answers what it does not support (response_type=token)
with a JSON error body. Used by the setup doctor and, against an emulator, before the implicit page
sends the browser off.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

from .calls import prepare_get, send
from .http import Http, ProviderError, Reply

LOGIN_UNAVAILABLE = b"login pages unavailable"


@dataclass(frozen=True)
class AuthorizeAnswer:
    kind: str  # refused | redirect_mismatch | login_redirect | sign_in_form | unavailable | other
    status: int
    location: str = ""
    error: str = ""
    description: str = ""

    @property
    def shown(self) -> str:
        """The error as the provider sent it, with its description."""
        return self.error + (f" ({self.description})" if self.description else "")


def scope_error(error: str, description: str) -> str:
    """Cognito refuses a scope the app client may not use as `error=invalid_request&error_description=
    invalid_scope` (public reports; MiniStack does the same), while AWS's authorize page names the error
    invalid_scope: both mean invalid_scope."""
    return "invalid_scope" if error == "invalid_request" and description == "invalid_scope" else error


def body_error(reply: Reply) -> tuple[str, str]:
    """An OAuth error in a JSON body ({"error": ..., "error_description": ...}), or ("", "")."""
    try:
        data = json.loads(reply.body[:16384] or b"null")
    except ValueError:
        return "", ""
    if not isinstance(data, dict) or not isinstance(data.get("error"), str):
        return "", ""
    description = data.get("error_description")
    return data["error"][:100], str(description)[:300] if description else ""


def read_answer(reply: Reply, redirect_uri: str, authorize_url: str) -> AuthorizeAnswer:
    location = reply.headers.get("Location", "")
    if "redirect_mismatch" in location:
        return AuthorizeAnswer("redirect_mismatch", reply.status, location)
    if location.startswith(redirect_uri) and "error=" in location:
        parts = urlsplit(location)
        params = dict(parse_qsl(parts.query or parts.fragment))
        error, description = params.get("error", ""), params.get("error_description", "")
        return AuthorizeAnswer("refused", reply.status, location, scope_error(error, description), description)
    if 300 <= reply.status < 400 and location:
        target = urlsplit(urljoin(authorize_url, location))
        same_host = target.hostname == urlsplit(authorize_url).hostname
        kind = "login_redirect" if same_host and target.path.rstrip("/").endswith("/login") else "other"
        return AuthorizeAnswer(kind, reply.status, urljoin(authorize_url, location))
    body = reply.body.lower()
    if reply.status >= 400:
        error, description = body_error(reply)
        if "redirect" in f"{error} {description}".lower() or (not error and b"redirect" in body):
            return AuthorizeAnswer("redirect_mismatch", reply.status, error=error, description=description)
        if error:
            return AuthorizeAnswer("refused", reply.status, error=error, description=description)
    if LOGIN_UNAVAILABLE in body:
        return AuthorizeAnswer("unavailable", reply.status)
    if reply.status == 200 and b"<form" in body and b'type="password"' in body:
        return AuthorizeAnswer("sign_in_form", reply.status)
    return AuthorizeAnswer("other", reply.status, location)


def probe(http: Http, step: str, authorization_endpoint: str, params: dict[str, str]) -> AuthorizeAnswer:
    """Ask the authorize endpoint (a prepared GET, not followed); ProviderError when it cannot be reached."""
    call = prepare_get(step, "authorize", authorization_endpoint + "?" + urlencode(params))
    return read_answer(send(http, call), params.get("redirect_uri", ""), authorization_endpoint)


def refused_outright(http: Http, step: str, url: str, redirect_uri: str) -> None:
    """Raise ProviderError when the authorize endpoint answers `url` with an error body instead of a sign-in
    (the browser would be left on a bare JSON error at the provider): MiniStack answers response_type=token
    with 400 unsupported_response_type while its discovery document lists token."""
    answer = read_answer(send(http, prepare_get(step, "authorize", url)), redirect_uri, url.split("?", 1)[0])
    if answer.kind == "refused" and not answer.location:
        raise ProviderError(
            step,
            f"refuses this sign-in outright: HTTP {answer.status} {answer.shown}. The provider does not support it "
            "(an emulator such as MiniStack has no implicit grant); the code flow is unaffected",
        )


__all__ = ["AuthorizeAnswer", "ProviderError", "body_error", "probe", "read_answer", "refused_outright", "scope_error"]
