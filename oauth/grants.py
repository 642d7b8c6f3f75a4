"""Authorize URLs and token-endpoint calls, with the configured client authentication."""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from urllib.parse import quote, urlencode

from .calls import Endpoint, PreparedCall, send
from .errors import ProviderRefused
from .http import Http, ProviderError, Reply


def browser_url(endpoint: str, params: Mapping[str, str | None]) -> str:
    """A front-channel URL: the endpoint with the non-None params in its query (authorize, logout)."""
    query = urlencode({k: v for k, v in params.items() if v is not None})
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"


def basic_auth(client_id: str, client_secret: str) -> str:
    """RFC 6749 §2.3.1: form-urlencode id and secret, then base64 `id:secret`."""
    raw = f"{quote(client_id, safe='')}:{quote(client_secret, safe='')}".encode()
    return "Basic " + base64.b64encode(raw).decode("ascii")


def client_auth(form: dict[str, str], client_id: str, client_secret: str, method: str) -> dict:
    """Return request headers, and add body credentials for client_secret_post."""
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}
    if not client_secret:
        form["client_id"] = client_id
    elif method == "client_secret_post":
        form["client_id"] = client_id
        form["client_secret"] = client_secret
    else:
        headers["Authorization"] = basic_auth(client_id, client_secret)
    return headers


def read_token_reply(reply: Reply) -> dict:
    """A token-endpoint reply: a JSON object on 200, an OAuth error on 4xx."""
    if 400 <= reply.status < 500:
        try:
            body = reply.json()
        except ProviderError:
            body = {}
        error = body.get("error")
        if isinstance(error, str) and error:
            description = body.get("error_description")
            raise ProviderRefused(reply.step, error[:100], str(description)[:300] if description else "", reply.status)
        raise ProviderError(reply.step, f"answered HTTP {reply.status} without an OAuth error")
    if reply.status != 200:
        raise ProviderError(reply.step, f"answered HTTP {reply.status}")
    data = reply.json()
    token = data.get("access_token")
    if not isinstance(token, str) or not token:
        raise ProviderError(reply.step, "answered 200 without an access_token")
    token_type = data.get("token_type", "Bearer")
    if not isinstance(token_type, str) or token_type.lower() != "bearer":
        raise ProviderError(reply.step, f"answered token_type {token_type!r}, not Bearer")
    for key in ("id_token", "refresh_token"):
        if key in data and not isinstance(data[key], str):
            raise ProviderError(reply.step, f"answered a {key} that is not a string")
    return data


def prepare(
    step: str,
    endpoint: Endpoint,
    url: str,
    form: Mapping[str, str],
    *,
    client_id: str,
    client_secret: str,
    method: str,
) -> PreparedCall:
    """A POST of `form` to `url` with the client authentication `client_auth` adds (not sent)."""
    body = dict(form)
    headers = client_auth(body, client_id, client_secret, method)
    return PreparedCall(step, endpoint, "POST", url, tuple(body.items()), tuple(headers.items()))


def read_reply(call: PreparedCall, reply: Reply) -> dict:
    """The reply to a prepared call, read as its endpoint answers (revocation: {} on success)."""
    if call.endpoint == "revocation":
        read_revoke_reply(reply)
        return {}
    return read_token_reply(reply)


def token_request(
    http: Http,
    step: str,
    endpoint: str,
    form: dict[str, str],
    *,
    client_id: str,
    client_secret: str,
    method: str,
) -> dict:
    """POST to the token endpoint with client authentication; return the JSON reply."""
    call = prepare(step, "token", endpoint, form, client_id=client_id, client_secret=client_secret, method=method)
    return read_reply(call, send(http, call))


def read_userinfo_reply(reply: Reply) -> dict:
    """userInfo answers JSON on 200; errors come in WWW-Authenticate, not the body."""
    if reply.status in (400, 401, 403):
        header = reply.headers.get("WWW-Authenticate", "")
        error = _auth_param(header, "error") or ("invalid_token" if reply.status == 401 else "invalid_request")
        raise ProviderRefused(reply.step, error, _auth_param(header, "error_description"), reply.status)
    if reply.status != 200:
        raise ProviderError(reply.step, f"answered HTTP {reply.status}")
    return reply.json()


def _auth_param(header: str, name: str) -> str:
    """Read one auth-param (`name="value"`) from a WWW-Authenticate header."""
    match = re.search(rf'\b{name}="([^"]*)"', header)
    return match.group(1)[:300] if match else ""


def read_revoke_reply(reply: Reply) -> None:
    """Cognito answers 200 with an empty body; errors are JSON, read like the token endpoint's. A 4xx
    without an OAuth error means no revocation endpoint is there at all (MiniStack has no /oauth2/revoke:
    it answers an AWS API error), which is said as such rather than as a refusal."""
    if reply.status == 200:
        return
    if 400 <= reply.status < 500 and not _oauth_error(reply):
        excerpt = reply.body[:120].decode("utf-8", "replace").strip()
        raise ProviderError(
            reply.step,
            f"has no OAuth revocation endpoint at {reply.url}: it answered HTTP {reply.status}"
            + (f" {excerpt}" if excerpt else "")
            + ", not an OAuth answer. Nothing was revoked",
        )
    read_token_reply(reply)  # any non-200 raises ProviderRefused or ProviderError


def _oauth_error(reply: Reply) -> bool:
    try:
        error = reply.json().get("error")
    except ProviderError:
        return False
    return isinstance(error, str) and bool(error)


def logout_url(
    *,
    end_session_endpoint: str,
    is_cognito: bool,
    client_id: str,
    return_to: str,
    id_token: str | None = None,
) -> str | None:
    """Where to send the browser to end the provider's session, or None if it has no such endpoint.

    Cognito's /logout wants client_id + logout_uri; standard OIDC RP-initiated logout wants
    post_logout_redirect_uri (+ id_token_hint).
    """
    if not end_session_endpoint:
        return None
    params: dict[str, str | None]
    if is_cognito:
        params = {"client_id": client_id, "logout_uri": return_to}
    else:
        params = {"client_id": client_id, "post_logout_redirect_uri": return_to, "id_token_hint": id_token}
    return browser_url(end_session_endpoint, params)
