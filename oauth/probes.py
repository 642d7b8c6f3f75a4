"""The setup doctor's probes: prepared calls to the provider, each answered with facts, never sentences.

Every probe is a PreparedCall (oauth/calls.py) sent by the same `send` as the sign-in's own calls,
under the step name `doctor` (the trace shows them as the tool's probes). lab/doctor.py reads the
facts and says what they mean and how to fix them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from . import authorize_probe, grants
from .calls import prepare_get, send
from .config import ClientConfig
from .discovery import ProviderMetadata, parse_metadata
from .errors import ProviderRefused
from .http import Http, ProviderError
from .transactions import pkce_challenge

STEP = "doctor"
STATE = "doctor-probe"
VERIFIER = "doctor-probe-verifier-" + "x" * 30  # a made-up PKCE verifier (43+ characters)
MADE_UP_CODE = "doctor-probe-not-a-real-code"
MADE_UP_TOKEN = "doctor-probe-not-a-token"


@dataclass(frozen=True)
class DiscoveryFacts:
    """What the discovery URL answered. `meta` is set only when the document is usable and its issuer
    is the configured one."""

    url: str
    failure: str = ""  # unreachable, or not JSON: the transport's own words ("could not be reached ...")
    status: int = 0
    issuer: Any = None  # the document's issuer, as found
    issuer_matches: bool = False
    unusable: str = ""  # why a document with the right issuer cannot be used
    meta: ProviderMetadata | None = None
    date: str | None = None  # the answer's Date header (clock skew)


def discovery(config: ClientConfig, http: Http) -> DiscoveryFacts:
    call = prepare_get(STEP, "discovery", config.discovery_url, (("Accept", "application/json"),))
    try:
        reply = send(http, call)
    except ProviderError as exc:
        return DiscoveryFacts(call.url, failure=exc.message)
    facts = DiscoveryFacts(call.url, status=reply.status, date=reply.headers.get("Date"))
    if reply.status != 200:
        return facts
    try:
        doc = reply.json()
    except ProviderError as exc:
        return replace(facts, failure=exc.message)
    facts = replace(facts, issuer=doc.get("issuer"), issuer_matches=doc.get("issuer") == config.issuer)
    if not facts.issuer_matches:
        return facts
    try:
        meta = parse_metadata(doc, config.issuer, config.cognito_domain)
    except (ValueError, KeyError, TypeError) as exc:
        return replace(facts, unusable=str(exc))
    return replace(facts, meta=meta)


def authorize(
    http: Http, meta: ProviderMetadata, *, client_id: str, redirect_uri: str, response_type: str, scope: str
) -> authorize_probe.AuthorizeAnswer:
    """One authorize request (with a PKCE challenge for the code flow), read without following it.
    ProviderError when the endpoint cannot be reached."""
    params = {
        "response_type": response_type,
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": scope,
        "state": STATE,
    }
    if response_type == "code":
        params.update(code_challenge=pkce_challenge(VERIFIER), code_challenge_method="S256")
    return authorize_probe.probe(http, STEP, meta.authorization_endpoint, params)


@dataclass(frozen=True)
class PageFacts:
    """What a sign-in page (Cognito's /login, where authorize redirects) answered."""

    failure: str = ""
    status: int = 0
    unavailable: bool = False  # it says "Login pages unavailable"


def login_page(http: Http, url: str) -> PageFacts:
    try:
        page = send(http, prepare_get(STEP, "page", url))
    except ProviderError as exc:
        return PageFacts(failure=exc.message)
    return PageFacts(status=page.status, unavailable=authorize_probe.LOGIN_UNAVAILABLE in page.body.lower())


def token(http: Http, meta: ProviderMetadata, *, client_id: str, secret: str, method: str, redirect_uri: str) -> str:
    """A token call with a made-up code: the error the token endpoint answered (`invalid_grant` means
    the client authenticated fine), "accepted", or "provider_error: ..." when it failed."""
    form = {
        "grant_type": "authorization_code",
        "code": MADE_UP_CODE,
        "redirect_uri": redirect_uri,
        "code_verifier": VERIFIER,
    }
    try:
        grants.token_request(
            http, STEP, meta.token_endpoint, form, client_id=client_id, client_secret=secret, method=method
        )
    except ProviderRefused as exc:
        return exc.error
    except ProviderError as exc:
        return "provider_error: " + exc.message
    return "accepted"


@dataclass(frozen=True)
class RevocationFacts:
    """What a revoke call with a made-up token answered: an OAuth revocation endpoint says 200 (RFC 7009
    §2.2: an invalid token is no error) or an OAuth error."""

    failure: str = ""
    status: int = 0
    oauth_answer: bool = False
    excerpt: str = ""  # the start of any other answer


def revocation(config: ClientConfig, http: Http, meta: ProviderMetadata) -> RevocationFacts:
    call = grants.prepare(
        STEP,
        "revocation",
        meta.revocation_endpoint,
        {"token": MADE_UP_TOKEN},
        client_id=config.client_id,
        client_secret=config.client_secret,
        method=config.client_auth,
    )
    try:
        reply = send(http, call)
    except ProviderError as exc:
        return RevocationFacts(failure=exc.message)
    oauth = reply.status == 200 or bool(authorize_probe.body_error(reply)[0])
    excerpt = reply.body[:120].decode("utf-8", "replace").strip()
    return RevocationFacts(status=reply.status, oauth_answer=oauth, excerpt=excerpt)
