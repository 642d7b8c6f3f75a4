"""The setup doctor: check the configuration against the live provider, finding by finding."""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from urllib.parse import urlencode, urlsplit

from . import authorize_probe, grants, spa
from .config import ClientConfig
from .discovery import ProviderMetadata, parse_metadata
from .errors import ProviderRefused
from .http import Http, ProviderError
from .transactions import pkce_challenge

SKEW_WARN = 30
SKEW_FAIL = 300


@dataclass(frozen=True)
class Finding:
    name: str
    status: str  # pass | warn | fail | info
    message: str
    fix: str = ""


def _discovery(config: ClientConfig, http: Http, out: list[Finding]) -> tuple[ProviderMetadata | None, Mapping]:
    url = config.discovery_url
    try:
        reply = http.request("doctor", "GET", url, headers={"Accept": "application/json"})
    except ProviderError as exc:
        out.append(Finding("discovery", "fail", f"Discovery at {url} {exc.message}.", _issuer_fix(config)))
        return None, {}
    if reply.status != 200:
        out.append(
            Finding("discovery", "fail", f"Discovery at {url} answered HTTP {reply.status}.", _issuer_fix(config))
        )
        return None, reply.headers
    try:
        doc = reply.json()
    except ProviderError as exc:
        out.append(Finding("discovery", "fail", f"Discovery at {url} {exc.message}.", _issuer_fix(config)))
        return None, reply.headers
    if doc.get("issuer") != config.issuer:
        out.append(
            Finding(
                "issuer",
                "fail",
                f"The discovery document's issuer is {doc.get('issuer')!r}, but the app expects {config.issuer!r}. "
                "Tokens would fail the iss check.",
                _issuer_mismatch_fix(config, str(doc.get("issuer"))),
            )
        )
        return None, reply.headers
    try:
        meta = parse_metadata(doc, config.issuer, config.cognito_domain)
    except (ValueError, KeyError, TypeError) as exc:
        out.append(Finding("discovery", "fail", f"The discovery document is unusable: {exc}.", _issuer_fix(config)))
        return None, reply.headers
    out.append(Finding("discovery", "pass", f"Discovery is reachable and its issuer matches: {config.issuer}."))
    host = urlsplit(meta.authorization_endpoint).hostname or ""
    if config.is_cognito and host.startswith(("cognito-idp.", "issuer-cognito-idp.")):
        out.append(
            Finding(
                "domain",
                "fail",
                f"The user pool has no domain: discovery lists its endpoints on {host} "
                f"({meta.authorization_endpoint}), which serves no sign-in page or token endpoint (it answers "
                "BadRequest). Cognito's OAuth endpoints exist only on a user pool domain.",
                "Add a domain to the user pool (console: App integration → Domain, with managed login), or run "
                "`flask --app app cognito setup`; then set COGNITO_DOMAIN to it.",
            )
        )
        return None, reply.headers
    return meta, reply.headers


# A user pool's two issuer forms (IssuerConfiguration.Type): ORIGINAL and UPDATED.
COGNITO_ISSUER = re.compile(r"^https://(issuer-)?cognito-idp\.([a-z0-9-]+)\.amazonaws\.com/([\w-]+_[0-9A-Za-z]+)$")


def _issuer_mismatch_fix(config: ClientConfig, found: str) -> str:
    """A fix the configuration accepts: with COGNITO_USER_POOL_ID the issuer comes from the pool id,
    the region and COGNITO_ISSUER_TYPE (OAUTH_ISSUER beside them must agree), so say which to change."""
    if not config.pool_id:
        return f"Set OAUTH_ISSUER={found} exactly (no trailing slash difference)."
    mine, theirs = COGNITO_ISSUER.match(config.issuer), COGNITO_ISSUER.match(found)
    if mine and theirs and mine.group(2, 3) == theirs.group(2, 3):
        form = "UPDATED" if theirs.group(1) else "ORIGINAL"
        return (
            f"Set COGNITO_ISSUER_TYPE={form}: the pool's IssuerConfiguration uses the {form} form "
            "(`flask --app app cognito inspect` shows it)."
        )
    return (
        "Check COGNITO_USER_POOL_ID and COGNITO_REGION: this discovery document belongs to another pool or region "
        "(and COGNITO_ISSUER_TYPE, ORIGINAL or UPDATED, to the pool's issuer form)."
    )


def _issuer_fix(config: ClientConfig) -> str:
    if config.is_cognito and not config.local_provider:
        return "Check COGNITO_USER_POOL_ID (and COGNITO_REGION), and that this machine can reach cognito-idp."
    return "Check OAUTH_ISSUER: discovery must be served at {issuer}/.well-known/openid-configuration."


def _clock(headers: Mapping[str, str], out: list[Finding], now: float) -> None:
    date = headers.get("Date")
    if not date:
        out.append(Finding("clock", "info", "The provider sent no Date header; clock skew not checked."))
        return
    try:
        skew = now - parsedate_to_datetime(date).timestamp()
    except (TypeError, ValueError):
        out.append(Finding("clock", "info", f"The provider's Date header {date!r} is unreadable."))
        return
    text = f"This machine's clock is {abs(skew):.0f} s {'ahead of' if skew > 0 else 'behind'} the provider's."
    if abs(skew) >= SKEW_FAIL:
        out.append(
            Finding(
                "clock", "fail", text + " Tokens will look expired or issued in the future.", "Sync the clock (NTP)."
            )
        )
    elif abs(skew) >= SKEW_WARN:
        out.append(Finding("clock", "warn", text + " The verifier allows 60 s.", "Sync the clock (NTP)."))
    else:
        out.append(Finding("clock", "pass", text))


def _auth_methods(config: ClientConfig, meta: ProviderMetadata, out: list[Finding]) -> None:
    supported = meta.token_endpoint_auth_methods
    if config.client_auth in supported:
        out.append(
            Finding("client_auth", "pass", f"The provider supports {config.client_auth} ({', '.join(supported)}).")
        )
    else:
        other = next((m for m in supported if m.startswith("client_secret_")), "")
        out.append(
            Finding(
                "client_auth",
                "fail",
                f"OAUTH_CLIENT_AUTH={config.client_auth}, but the provider supports only {', '.join(supported)}.",
                f"Set OAUTH_CLIENT_AUTH={other}."
                if other
                else "Use a client authentication method the provider supports.",
            )
        )


def _uris(config: ClientConfig, out: list[Finding]) -> None:
    out.append(
        Finding(
            "uris",
            "info",
            "Register these exactly in the app client (Cognito console: App client → Login pages): "
            f"callback URLs {config.redirect_uri} and {config.implicit_redirect_uri}; "
            f"sign-out URL {config.signed_out_uri}."
            + (f" Public client: callback URL {config.spa_redirect_uri}." if config.public_client_id else ""),
        )
    )


def _probe_redirect(config: ClientConfig, http: Http, meta: ProviderMetadata, out: list[Finding]) -> None:
    """Ask the authorize endpoint (without following) whether it accepts our redirect URI, and read its answer."""
    for name, response_type, uri, required in (
        ("redirect_uri", "code", config.redirect_uri, True),
        ("implicit_redirect_uri", "token", config.implicit_redirect_uri, False),
    ):
        params = {
            "response_type": response_type,
            "client_id": config.client_id,
            "redirect_uri": uri,
            "scope": " ".join(config.scopes),
            "state": "doctor-probe",
        }
        if response_type == "code":
            params.update(
                code_challenge=pkce_challenge("doctor-probe-verifier-" + "x" * 30), code_challenge_method="S256"
            )
        try:
            answer = authorize_probe.probe(http, "doctor", meta.authorization_endpoint, params)
        except ProviderError as exc:
            out.append(Finding(name, "warn", f"The authorize endpoint {exc.message}."))
            continue
        out.append(_read_probe(config, http, answer, name, response_type, uri, required))


def _refusal_fix(error: str, response_type: str) -> str:
    grant = "authorization code" if response_type == "code" else "implicit"
    return {
        "unauthorized_client": f"unauthorized_client: enable the {grant} grant on the app client.",
        "invalid_scope": "invalid_scope: enable the requested scopes on the app client (OAUTH_SCOPES).",
        "unsupported_response_type": (
            f"The provider does not offer response_type={response_type} at all, whatever the app client allows "
            "(Cognito does, when the client has the grant; an emulator such as MiniStack has no implicit grant)."
            + (
                " The implicit page cannot sign in with this provider; the code flow is unaffected."
                if grant == "implicit"
                else ""
            )
        ),
    }.get(error, "")


def _read_probe(
    config: ClientConfig,
    http: Http,
    answer: authorize_probe.AuthorizeAnswer,
    name: str,
    response_type: str,
    uri: str,
    required: bool,
) -> Finding:
    severity = "fail" if required else "warn"
    if answer.kind == "redirect_mismatch":
        said = f": {answer.shown}" if answer.error else ""
        return Finding(
            name,
            severity,
            f"The provider refuses redirect_uri {uri} for client {config.client_id} (redirect_mismatch{said}).",
            f"Add {uri} to the app client's allowed callback URLs, exactly, or fix APP_URL.",
        )
    if answer.kind == "refused":
        where = "but refuses the request" if answer.location else f"but answered HTTP {answer.status} with an error"
        return Finding(
            name,
            severity,
            f"The provider accepts {uri} {where}: {answer.shown}.",
            _refusal_fix(answer.error, response_type),
        )
    if not config.is_cognito:
        return Finding(name, "pass", f"The provider accepts redirect_uri {uri}.")
    if answer.kind == "sign_in_form":
        return Finding(
            name,
            "pass",
            f"The provider accepts redirect_uri {uri} and shows a sign-in form at /oauth2/authorize itself (Cognito "
            "redirects to its /login page; an emulator such as MiniStack serves the form directly).",
        )
    if answer.kind == "login_redirect":
        return _check_login_page(http, answer.location, name, uri, severity)
    if answer.kind == "unavailable":
        return Finding(
            name, severity, f"The authorize endpoint says 'Login pages unavailable' for {uri}.", LOGIN_UNAVAILABLE_FIX
        )
    answered = f"a redirect to {answer.location}" if answer.location else f"HTTP {answer.status}"
    return Finding(
        name,
        severity,
        f"The authorize endpoint answered {answered} for redirect_uri {uri}, not a redirect to its "
        "login page, so the sign-in page will not appear.",
        LOGIN_UNAVAILABLE_FIX,
    )


LOGIN_UNAVAILABLE_FIX = (
    "Give the app client a managed login branding style (console: Branding → Managed login → Create a style, "
    "or run `flask --app app cognito setup`): an app client created through the API has none, and its sign-in "
    "page says 'Login pages unavailable'. Also check that the domain is ACTIVE (a new one takes about a minute) "
    "and that the pool's feature plan is Essentials or Plus."
)


def _check_login_page(http: Http, login: str, name: str, uri: str, severity: str) -> Finding:
    """Cognito's authorize endpoint answers a redirect to its /login page; that page must render."""
    path = urlsplit(login).path
    try:
        page = http.request("doctor", "GET", login)
    except ProviderError as exc:
        return Finding(name, severity, f"The login page {path} {exc.message}.", LOGIN_UNAVAILABLE_FIX)
    if page.status != 200 or authorize_probe.LOGIN_UNAVAILABLE in page.body.lower():
        shown = "says 'Login pages unavailable'" if page.status == 200 else f"answered HTTP {page.status}"
        return Finding(
            name,
            severity,
            f"The provider accepts redirect_uri {uri}, but its login page {shown}.",
            LOGIN_UNAVAILABLE_FIX,
        )
    return Finding(name, "pass", f"The provider accepts redirect_uri {uri} and shows its login page.")


def _revocation(config: ClientConfig, http: Http, meta: ProviderMetadata, out: list[Finding]) -> None:
    """A revoke call with a made-up token: an OAuth revocation endpoint answers 200 (RFC 7009 §2.2: an
    invalid token is no error) or an OAuth error; anything else means there is none at that URL."""
    if not meta.revocation_endpoint:
        out.append(Finding("revocation", "info", "The provider names no revocation endpoint; Revoke is unavailable."))
        return
    call = grants.prepare(
        "doctor",
        "revocation",
        meta.revocation_endpoint,
        {"token": "doctor-probe-not-a-token"},
        client_id=config.client_id,
        client_secret=config.client_secret,
        method=config.client_auth,
    )
    try:
        reply = grants.send(http, call)
    except ProviderError as exc:
        out.append(Finding("revocation", "warn", f"The revocation endpoint {exc.message}."))
        return
    if reply.status == 200 or authorize_probe.body_error(reply)[0]:
        out.append(
            Finding("revocation", "pass", f"{meta.revocation_endpoint} answers as an OAuth revocation endpoint.")
        )
        return
    excerpt = reply.body[:120].decode("utf-8", "replace").strip()
    out.append(
        Finding(
            "revocation",
            "warn",
            f"There is no OAuth revocation endpoint at {meta.revocation_endpoint}: a revoke call got HTTP "
            f"{reply.status}" + (f" {excerpt}" if excerpt else "") + ", not an OAuth answer. Cognito serves "
            "/oauth2/revoke on the user pool domain; an emulator such as MiniStack has none.",
            "Revoke and sign-out's revoke will fail with this provider; sign-out still ends the session here and "
            "at the provider. Nothing to fix in the app client.",
        )
    )


def _probe_client(config: ClientConfig, http: Http, meta: ProviderMetadata, out: list[Finding]) -> None:
    """A token call with a made-up code: invalid_grant means the client authenticated fine."""
    form = {
        "grant_type": "authorization_code",
        "code": "doctor-probe-not-a-real-code",
        "redirect_uri": config.redirect_uri,
        "code_verifier": "doctor-probe-verifier-" + "x" * 30,
    }

    def attempt(secret: str) -> str:
        try:
            grants.token_request(
                http,
                "doctor",
                meta.token_endpoint,
                form,
                client_id=config.client_id,
                client_secret=secret,
                method=config.client_auth,
            )
        except ProviderRefused as exc:
            return exc.error
        except ProviderError as exc:
            return "provider_error: " + exc.message
        return "accepted"

    result = attempt(config.client_secret)
    if result != "invalid_client":
        if result.startswith("provider_error"):
            out.append(Finding("client_secret", "warn", f"The token endpoint failed: {result}."))
        else:
            out.append(
                Finding(
                    "client_secret",
                    "pass",
                    f"The token endpoint authenticates this client (a made-up code got {result}, as it should).",
                )
            )
        return
    if config.client_secret:
        if attempt("") != "invalid_client":
            out.append(
                Finding(
                    "client_secret",
                    "fail",
                    "OAUTH_CLIENT_SECRET is set, but the provider's app client is public (it has no secret).",
                    "Remove OAUTH_CLIENT_SECRET, or create a confidential app client with a secret.",
                )
            )
        else:
            out.append(
                Finding(
                    "client_secret",
                    "fail",
                    "The token endpoint rejects the client id or secret (invalid_client).",
                    "Copy OAUTH_CLIENT_ID and OAUTH_CLIENT_SECRET again from the app client; check OAUTH_CLIENT_AUTH.",
                )
            )
    else:
        out.append(
            Finding(
                "client_secret",
                "fail",
                "OAUTH_CLIENT_SECRET is empty, but the provider's app client requires a secret (invalid_client).",
                "Set OAUTH_CLIENT_SECRET to the app client's secret.",
            )
        )


def _public_client(config: ClientConfig, http: Http, meta: ProviderMetadata, out: list[Finding]) -> None:
    """The browser-only flow's app client: no secret, the code grant, {APP_URL}/spa/callback registered."""
    client_id, uri = config.public_client_id, config.spa_redirect_uri
    if not client_id:
        out.append(
            Finding(
                "public_client",
                "info",
                "No public app client is configured, so the browser-only flow (/spa) is off.",
                f"Create an app client without a secret, allowed the code grant, with callback {uri}; "
                "set OAUTH_PUBLIC_CLIENT_ID.",
            )
        )
        return
    verifier = "doctor-probe-verifier-" + "x" * 30
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": uri,
        "scope": spa.browser_scope(config),
        "state": "doctor-probe",
        "code_challenge": pkce_challenge(verifier),
        "code_challenge_method": "S256",
    }
    try:
        reply = http.request("doctor", "GET", meta.authorization_endpoint + "?" + urlencode(params))
    except ProviderError as exc:
        out.append(Finding("public_client", "warn", f"The authorize endpoint {exc.message}."))
        return
    location = reply.headers.get("Location", "")
    if "redirect_mismatch" in location or (reply.status >= 400 and b"redirect" in reply.body.lower()):
        out.append(
            Finding(
                "public_client",
                "fail",
                f"The provider refuses redirect_uri {uri} for the public client {client_id} (redirect_mismatch).",
                f"Add {uri} to the public app client's allowed callback URLs, exactly.",
            )
        )
        return
    if location.startswith(uri) and "error=" in location:
        error = dict(p.split("=", 1) for p in urlsplit(location).query.split("&") if "=" in p).get("error", "")
        out.append(
            Finding(
                "public_client",
                "fail",
                f"The provider accepts {uri} for the public client but refuses the request: {error}.",
                "Enable the authorization code grant and the scopes openid, email, profile on the public app client.",
            )
        )
        return
    form = {"grant_type": "authorization_code", "code": "doctor-probe-not-a-real-code", "redirect_uri": uri}
    form["code_verifier"] = verifier
    try:  # no secret at all, client_id in the body: what a browser sends
        grants.token_request(
            http, "doctor", meta.token_endpoint, form, client_id=client_id, client_secret="", method=""
        )
        result = "accepted"
    except ProviderRefused as exc:
        result = exc.error
    except ProviderError as exc:
        out.append(Finding("public_client", "warn", f"The token endpoint failed: {exc.message}."))
        return
    if result == "invalid_client":
        out.append(
            Finding(
                "public_client",
                "fail",
                f"The app client {client_id} (OAUTH_PUBLIC_CLIENT_ID) has a secret: a browser cannot use it.",
                "Create a new app client of type public (no client secret); a secret cannot be removed from a client.",
            )
        )
    elif result == "unauthorized_client":
        out.append(
            Finding(
                "public_client",
                "fail",
                f"The public client {client_id} may not use the authorization code grant (unauthorized_client).",
                "Enable the authorization code grant on the public app client.",
            )
        )
    else:
        out.append(
            Finding(
                "public_client",
                "pass",
                f"The public client {client_id} has no secret, may use the code grant, and {uri} is registered "
                f"(a made-up code got {result}, as it should).",
            )
        )


def cookie_trap(config: ClientConfig, browser_host: str | None) -> Finding:
    """localhost and 127.0.0.1 are different cookie hosts: the callback would lose the session."""
    app_host = urlsplit(config.app_url).hostname or ""
    if browser_host is None:
        return Finding(
            "cookie_host",
            "info",
            f"Open the app at exactly {config.app_url}: cookies set on localhost are not sent to 127.0.0.1.",
        )
    if browser_host.split(":")[0].strip("[]") != app_host:
        return Finding(
            "cookie_host",
            "fail",
            f"You opened the app at {browser_host}, but APP_URL is {config.app_url}. The provider will send you "
            f"back to {app_host}, where this browser's session cookie does not exist, so sign-in fails with an "
            "unknown state.",
            f"Open {config.app_url} instead, or set APP_URL to match how you open the app.",
        )
    return Finding("cookie_host", "pass", f"The browser uses the same host as APP_URL ({app_host}).")


def run(config: ClientConfig, http: Http, browser_host: str | None = None, now: float | None = None) -> list[Finding]:
    """Every check, in order; never raises for a provider problem."""
    out: list[Finding] = []
    meta, headers = _discovery(config, http, out)
    _uris(config, out)
    out.append(cookie_trap(config, browser_host))
    if meta is None:
        return out
    _clock(headers, out, time.time() if now is None else now)
    _auth_methods(config, meta, out)
    _probe_redirect(config, http, meta, out)
    _probe_client(config, http, meta, out)
    _revocation(config, http, meta, out)
    _public_client(config, http, meta, out)
    return out


def offline(config: ClientConfig, browser_host: str | None = None) -> list[Finding]:
    """The checks that need no provider call (what an anonymous visitor of /doctor sees)."""
    out: list[Finding] = []
    _uris(config, out)
    out.append(cookie_trap(config, browser_host))
    return out
