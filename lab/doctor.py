"""The setup doctor: the configuration checked against the live provider, finding by finding.

The probes are oauth/probes.py's prepared calls, which answer with facts; this module says what the
facts mean and how to fix them, with the fixes of lab/pool_rules.py (the rules `cognito inspect` checks
too) and fixes that name the settings config.py accepts.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

from oauth import probes, spa
from oauth.authorize_probe import AuthorizeAnswer
from oauth.config import ClientConfig
from oauth.discovery import ProviderMetadata
from oauth.http import Http, ProviderError

from .pool_rules import fix, rule

SKEW_WARN = 30
SKEW_FAIL = 300


@dataclass(frozen=True)
class Finding:
    name: str
    status: str  # pass | warn | fail | info
    message: str
    fix: str = ""


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


# -- discovery and the issuer ---------------------------------------------------------------------
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


def _discovery_finding(config: ClientConfig, facts: probes.DiscoveryFacts) -> Finding:
    url = facts.url
    if facts.failure:
        return Finding("discovery", "fail", f"Discovery at {url} {facts.failure}.", _issuer_fix(config))
    if facts.status != 200:
        return Finding("discovery", "fail", f"Discovery at {url} answered HTTP {facts.status}.", _issuer_fix(config))
    if not facts.issuer_matches:
        return Finding(
            "issuer",
            "fail",
            f"The discovery document's issuer is {facts.issuer!r}, but the app expects {config.issuer!r}. "
            "Tokens would fail the iss check.",
            _issuer_mismatch_fix(config, str(facts.issuer)),
        )
    if facts.meta is None:
        return Finding(
            "discovery", "fail", f"The discovery document is unusable: {facts.unusable}.", _issuer_fix(config)
        )
    return Finding("discovery", "pass", f"Discovery is reachable and its issuer matches: {config.issuer}.")


def _no_domain(config: ClientConfig, meta: ProviderMetadata) -> Finding | None:
    """Without a domain, Cognito's discovery lists its endpoints on the cognito-idp host."""
    host = urlsplit(meta.authorization_endpoint).hostname or ""
    if not (config.is_cognito and host.startswith(("cognito-idp.", "issuer-cognito-idp."))):
        return None
    return Finding(
        "domain",
        "fail",
        f"The user pool has no domain: discovery lists its endpoints on {host} "
        f"({meta.authorization_endpoint}), which serves no sign-in page or token endpoint (it answers "
        "BadRequest). Cognito's OAuth endpoints exist only on a user pool domain.",
        fix("domain"),
    )


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


def _auth_methods(config: ClientConfig, meta: ProviderMetadata) -> Finding:
    supported = meta.token_endpoint_auth_methods
    if config.client_auth in supported:
        return Finding("client_auth", "pass", f"The provider supports {config.client_auth} ({', '.join(supported)}).")
    other = next((m for m in supported if m.startswith("client_secret_")), "")
    return Finding(
        "client_auth",
        "fail",
        f"OAUTH_CLIENT_AUTH={config.client_auth}, but the provider supports only {', '.join(supported)}.",
        f"Set OAUTH_CLIENT_AUTH={other}." if other else "Use a client authentication method the provider supports.",
    )


def _uris(config: ClientConfig) -> Finding:
    return Finding(
        "uris",
        "info",
        "Register these exactly in the app client (Cognito console: App client → Login pages): "
        f"callback URLs {config.redirect_uri} and {config.implicit_redirect_uri}; "
        f"sign-out URL {config.signed_out_uri}."
        + (f" Public client: callback URL {config.spa_redirect_uri}." if config.public_client_id else ""),
    )


# -- the authorize endpoint -----------------------------------------------------------------------
def _probe_redirect(config: ClientConfig, http: Http, meta: ProviderMetadata, out: list[Finding]) -> None:
    """Ask the authorize endpoint (without following) whether it accepts our redirect URI, and read its answer."""
    for name, response_type, uri, required in (
        ("redirect_uri", "code", config.redirect_uri, True),
        ("implicit_redirect_uri", "token", config.implicit_redirect_uri, False),
    ):
        try:
            answer = probes.authorize(
                http,
                meta,
                client_id=config.client_id,
                redirect_uri=uri,
                response_type=response_type,
                scope=" ".join(config.scopes),
            )
        except ProviderError as exc:
            out.append(Finding(name, "warn", f"The authorize endpoint {exc.message}."))
            continue
        out.append(_read_probe(config, http, answer, name, response_type, uri, required))


def _refusal_fix(error: str, response_type: str) -> str:
    grant = "code_grant" if response_type == "code" else "implicit_grant"
    if error == "unauthorized_client":
        return f"unauthorized_client: {_lower_first(fix(grant))}"
    if error == "invalid_scope":
        return f"invalid_scope: {_lower_first(fix('scopes', scopes='requested scopes'))}"
    if error == "unsupported_response_type":
        return (
            f"The provider does not offer response_type={response_type} at all, whatever the app client allows "
            "(Cognito does, when the client has the grant; an emulator such as MiniStack has no implicit grant)."
            + (
                " The implicit page cannot sign in with this provider; the code flow is unaffected."
                if response_type != "code"
                else ""
            )
        )
    return ""


def _read_probe(
    config: ClientConfig,
    http: Http,
    answer: AuthorizeAnswer,
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
            fix("callback_url", uri=uri),
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


# The doctor sees only that the sign-in page does not render: the branding style, the domain's state and
# the feature plan can each be why (cognito inspect tells them apart).
LOGIN_UNAVAILABLE_FIX = (
    fix("branding")
    + " Also check that the domain is ACTIVE (a new one takes about a minute) and that the pool's feature plan is "
    "Essentials or Plus."
)


def _check_login_page(http: Http, login: str, name: str, uri: str, severity: str) -> Finding:
    """Cognito's authorize endpoint answers a redirect to its /login page; that page must render."""
    path = urlsplit(login).path
    page = probes.login_page(http, login)
    if page.failure:
        return Finding(name, severity, f"The login page {path} {page.failure}.", LOGIN_UNAVAILABLE_FIX)
    if page.status != 200 or page.unavailable:
        shown = "says 'Login pages unavailable'" if page.status == 200 else f"answered HTTP {page.status}"
        return Finding(
            name,
            severity,
            f"The provider accepts redirect_uri {uri}, but its login page {shown}.",
            LOGIN_UNAVAILABLE_FIX,
        )
    return Finding(name, "pass", f"The provider accepts redirect_uri {uri} and shows its login page.")


# -- the token and revocation endpoints ---------------------------------------------------------------
def _revocation(config: ClientConfig, http: Http, meta: ProviderMetadata) -> Finding:
    if not meta.revocation_endpoint:
        return Finding("revocation", "info", "The provider names no revocation endpoint; Revoke is unavailable.")
    facts = probes.revocation(config, http, meta)
    if facts.failure:
        return Finding("revocation", "warn", f"The revocation endpoint {facts.failure}.")
    if facts.oauth_answer:
        return Finding("revocation", "pass", f"{meta.revocation_endpoint} answers as an OAuth revocation endpoint.")
    return Finding(
        "revocation",
        "warn",
        f"There is no OAuth revocation endpoint at {meta.revocation_endpoint}: a revoke call got HTTP "
        f"{facts.status}" + (f" {facts.excerpt}" if facts.excerpt else "") + ", not an OAuth answer. Cognito serves "
        "/oauth2/revoke on the user pool domain; an emulator such as MiniStack has none.",
        "Revoke and sign-out's revoke will fail with this provider; sign-out still ends the session here and "
        "at the provider. Nothing to fix in the app client.",
    )


def _probe_client(config: ClientConfig, http: Http, meta: ProviderMetadata) -> Finding:
    """A token call with a made-up code: invalid_grant means the client authenticated fine."""

    def attempt(secret: str) -> str:
        return probes.token(
            http,
            meta,
            client_id=config.client_id,
            secret=secret,
            method=config.client_auth,
            redirect_uri=config.redirect_uri,
        )

    result = attempt(config.client_secret)
    if result.startswith("provider_error"):
        return Finding("client_secret", "warn", f"The token endpoint failed: {result}.")
    if result != "invalid_client":
        return Finding(
            "client_secret",
            "pass",
            f"The token endpoint authenticates this client (a made-up code got {result}, as it should).",
        )
    if not config.client_secret:
        return Finding(
            "client_secret",
            "fail",
            "OAUTH_CLIENT_SECRET is empty, but the provider's app client requires a secret (invalid_client).",
            "Set OAUTH_CLIENT_SECRET to the app client's secret.",
        )
    if attempt("") != "invalid_client":
        return Finding(
            "client_secret",
            "fail",
            "OAUTH_CLIENT_SECRET is set, but the provider's app client is public (it has no secret).",
            "Remove OAUTH_CLIENT_SECRET, or " + _lower_first(rule("confidential_client").fix),
        )
    return Finding(
        "client_secret",
        "fail",
        "The token endpoint rejects the client id or secret (invalid_client).",
        "Copy OAUTH_CLIENT_ID and OAUTH_CLIENT_SECRET again from the app client; check OAUTH_CLIENT_AUTH.",
    )


def _public_client(config: ClientConfig, http: Http, meta: ProviderMetadata) -> Finding:
    """The browser-only flow's app client: no secret, the code grant, {APP_URL}/spa/callback registered."""
    client_id, uri = config.public_client_id, config.spa_redirect_uri
    if not client_id:
        return Finding(
            "public_client",
            "info",
            "No public app client is configured, so the browser-only flow (/spa) is off.",
            fix("public_client", uri=uri),
        )
    try:  # the same authorize probe as the web client's
        answer = probes.authorize(
            http, meta, client_id=client_id, redirect_uri=uri, response_type="code", scope=spa.browser_scope(config)
        )
    except ProviderError as exc:
        return Finding("public_client", "warn", f"The authorize endpoint {exc.message}.")
    if answer.kind == "redirect_mismatch":
        return Finding(
            "public_client",
            "fail",
            f"The provider refuses redirect_uri {uri} for the public client {client_id} (redirect_mismatch).",
            fix("public_client_callback_url", uri=uri),
        )
    if answer.kind == "refused" and answer.location:
        return Finding(
            "public_client",
            "fail",
            f"The provider accepts {uri} for the public client but refuses the request: {answer.error}.",
            fix("public_client_grant"),
        )
    # no secret at all, client_id in the body: what a browser sends
    result = probes.token(http, meta, client_id=client_id, secret="", method="", redirect_uri=uri)
    return _public_token_finding(client_id, uri, result)


def _public_token_finding(client_id: str, uri: str, result: str) -> Finding:
    if result.startswith("provider_error: "):
        return Finding(
            "public_client", "warn", f"The token endpoint failed: {result.removeprefix('provider_error: ')}."
        )
    if result == "invalid_client":
        return Finding(
            "public_client",
            "fail",
            f"The app client {client_id} (OAUTH_PUBLIC_CLIENT_ID) has a secret: a browser cannot use it.",
            fix("public_client_secret"),
        )
    if result == "unauthorized_client":
        return Finding(
            "public_client",
            "fail",
            f"The public client {client_id} may not use the authorization code grant (unauthorized_client).",
            fix("public_client_grant"),
        )
    return Finding(
        "public_client",
        "pass",
        f"The public client {client_id} has no secret, may use the code grant, and {uri} is registered "
        f"(a made-up code got {result}, as it should).",
    )


# -- the browser --------------------------------------------------------------------------------------
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
    facts = probes.discovery(config, http)
    out = [_discovery_finding(config, facts)]
    meta = facts.meta
    no_domain = _no_domain(config, meta) if meta is not None else None
    if no_domain is not None:
        out.append(no_domain)
        meta = None
    out += [_uris(config), cookie_trap(config, browser_host)]
    if meta is None:
        return out
    _clock({"Date": facts.date} if facts.date else {}, out, time.time() if now is None else now)
    out.append(_auth_methods(config, meta))
    _probe_redirect(config, http, meta, out)
    out.append(_probe_client(config, http, meta))
    out.append(_revocation(config, http, meta))
    out.append(_public_client(config, http, meta))
    return out


def offline(config: ClientConfig, browser_host: str | None = None) -> list[Finding]:
    """The checks that need no provider call (what an anonymous visitor of /doctor sees)."""
    return [_uris(config), cookie_trap(config, browser_host)]
