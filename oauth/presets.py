"""Where each token is verified, and by which rules: one named preset per place, configured once.

aws-jwt-verify configures a verifier once (user pool, token use, client id) and then only hands it
tokens. `Presets(config, keys)` does the same for every place of this app that verifies a token,
built once with the client (`OAuthClient.presets`), so each rule is written in one place:

| preset         | ID token: clients, nonce, at_hash, iat at most   | access token: clients      |
|----------------|--------------------------------------------------|----------------------------|
| `sign_in`      | this app; the login's; if present; 600 s old     | this app                   |
| `implicit`     | this app; the login's; required; 600 s old       | this app                   |
| `browser_only` | the public client; the page's; if present; 600 s | the public client          |
| `refresh`      | this app; none (skipped); if present; any age    | this app                   |
| `stored`       | (not verified again: see oauth/kept.py)          | this app                   |
| `pasted`       | every known client; skipped; if present; any age | every known client         |
| `api`          | (none: /api/me refuses ID tokens by token_use)   | API_ALLOWED_CLIENT_IDS     |
| `machine`      | (none)                                           | the machine client         |

token_use is REQUIRED for Cognito's ID tokens and IF_PRESENT for other providers' (`token_use_rule`,
the one place that says so); access tokens always need it, except pasted ones, which follow the
same provider rule so that another provider's token reads as such. Values that belong to one token
(the login's nonce, the access token issued alongside) are given to `verify_id` with the token.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .config import ClientConfig
from .discovery import JwksCache
from .tokens import (
    IF_PRESENT,
    LEEWAY,
    REQUIRED,
    SKIP,
    AccessTokenRules,
    IdTokenRules,
    Rule,
    Verification,
    verify_access_token,
    verify_id_token,
)

LOGIN_MAX_AGE = 600  # seconds an ID token may be old when a sign-in receives it (its iat)


def token_use_rule(config: ClientConfig) -> Rule:
    """Only Cognito sets token_use (`id` / `access`); other OIDC providers' tokens carry none."""
    return REQUIRED if config.is_cognito else IF_PRESENT


@dataclass(frozen=True, slots=True)
class IdTokenPolicy:
    """How one place verifies ID tokens: every rule but the values of one token's sign-in.

    `nonce` is REQUIRED (each call gives the login's nonce) or SKIP (there is none to compare: a
    refreshed or pasted ID token); `at_hash`, `token_use` and `max_age` are as in IdTokenRules."""

    issuer: str
    client_ids: frozenset[str]
    nonce: Rule
    at_hash: Rule
    token_use: Rule
    max_age: int | Rule
    leeway: int = LEEWAY

    def __post_init__(self) -> None:
        if self.nonce not in (REQUIRED, SKIP):
            raise TypeError("nonce is REQUIRED (the login's, given with each token) or SKIP")
        self.rules(nonce="n" if self.nonce is REQUIRED else None, access_token=None)  # the rest, checked once

    def rules(self, *, nonce: str | None, access_token: str | None) -> IdTokenRules:
        """The rules for one token: its login's `nonce` (exactly when this policy requires one) and the
        access token issued with it (None when none came)."""
        if (self.nonce is REQUIRED) != isinstance(nonce, str):
            need = "the login's nonce" if self.nonce is REQUIRED else "no nonce (it is skipped here)"
            raise TypeError(f"this policy takes {need}")
        return IdTokenRules(
            self.issuer,
            self.client_ids,
            nonce=SKIP if nonce is None else nonce,
            access_token=access_token,
            at_hash=self.at_hash,
            token_use=self.token_use,
            max_age=self.max_age,
            leeway=self.leeway,
        )


@dataclass(frozen=True, slots=True)
class Preset:
    """One place that verifies tokens: its name, and its rules for ID and access tokens (None: this
    place takes no such token, and asking it to verify one is a programming error)."""

    name: str
    keys: JwksCache = field(repr=False, compare=False)
    id_token: IdTokenPolicy | None = None
    access_token: AccessTokenRules | None = None

    def verify_id(
        self, token: str, *, nonce: str | None = None, access_token: str | None = None, now: float | None = None
    ) -> Verification:
        """Every ID token check of this place; failures are results (see tokens.verify_id_token)."""
        if self.id_token is None:
            raise TypeError(f"the {self.name} preset verifies no ID token")
        return verify_id_token(token, self.keys, self.id_token.rules(nonce=nonce, access_token=access_token), now)

    def verify_access(self, token: str, now: float | None = None) -> Verification:
        """Every access token check of this place (see tokens.verify_access_token)."""
        if self.access_token is None:
            raise TypeError(f"the {self.name} preset verifies no access token")
        return verify_access_token(token, self.keys, self.access_token, now)


def _clients(*ids: str) -> frozenset[str]:
    """The configured client ids among `ids` (an unset one, "", trusts nobody)."""
    return frozenset(i for i in ids if i)


class Presets:
    """Every preset of one client configuration (see the table above), built once with the client."""

    def __init__(self, config: ClientConfig, keys: JwksCache):
        c = config
        issuer, token_use = c.issuer, token_use_rule(c)
        ours, public = _clients(c.client_id), _clients(c.public_client_id)
        known = _clients(c.client_id, c.public_client_id, c.m2m_client_id, *c.api_allowed_client_ids)

        def id_policy(clients: frozenset[str], *, nonce: Rule, at_hash: Rule, max_age: int | Rule) -> IdTokenPolicy:
            return IdTokenPolicy(issuer, clients, nonce=nonce, at_hash=at_hash, token_use=token_use, max_age=max_age)

        our_access = AccessTokenRules(issuer, ours)
        # the code flow: at_hash is optional there (OIDC Core §3.1.3.8); the token is fresh (iat)
        self.sign_in = Preset(
            "sign-in", keys, id_policy(ours, nonce=REQUIRED, at_hash=IF_PRESENT, max_age=LOGIN_MAX_AGE), our_access
        )
        # tokens through the browser's fragment: at_hash binds the access token (OIDC Core §3.2.2.9-10)
        self.implicit = Preset(
            "implicit", keys, id_policy(ours, nonce=REQUIRED, at_hash=REQUIRED, max_age=LOGIN_MAX_AGE), our_access
        )
        # /spa: the public client's code flow, run by the page; the nonce is the page's own
        self.browser_only = Preset(
            "browser-only",
            keys,
            id_policy(public, nonce=REQUIRED, at_hash=IF_PRESENT, max_age=LOGIN_MAX_AGE),
            AccessTokenRules(issuer, public),
        )
        # a refreshed ID token carries no nonce (OIDC Core §12.2) and keeps the sign-in's auth_time
        self.refresh = Preset(
            "refresh", keys, id_policy(ours, nonce=SKIP, at_hash=IF_PRESENT, max_age=SKIP), our_access
        )
        # a sign-in's tokens as kept in the session (the revocation lab verifies the access token offline)
        self.stored = Preset("stored", keys, None, our_access)
        # a token pasted into the inspector has no login behind it: no nonce, no access token for at_hash
        self.pasted = Preset(
            "pasted",
            keys,
            id_policy(known, nonce=SKIP, at_hash=IF_PRESENT, max_age=SKIP),
            AccessTokenRules(issuer, known, token_use),
        )
        self.api = Preset("api", keys, None, AccessTokenRules(issuer, _clients(*c.api_allowed_client_ids)))
        self.machine = Preset("machine", keys, None, AccessTokenRules(issuer, _clients(c.m2m_client_id)))
