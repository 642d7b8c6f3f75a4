"""What a run is made of: the target, the attacker's prepared requests, and what was recorded.

Everything recorded is redacted as it is recorded (`record.py`): a run holds steps as the trace stores
them (placeholders, tagged token markers) and the tokens' shortened forms, never a full token, a code,
a password or a cookie.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from oauth.config import ClientConfig
from oauth.discovery import ProviderMetadata

LANES = ("attacker", "victim", "app", "provider")
LANE_NAMES = {"attacker": "Attacker", "victim": "Victim's browser", "app": "This app", "provider": "Provider"}


@dataclass(frozen=True)
class Party:
    """A user the lab signs in as: the victim (the first demo user) or the attacker (the second)."""

    username: str
    password: str = field(repr=False)


@dataclass(frozen=True)
class Target:
    """What a run attacks: this app (over HTTP at `app_url`), its provider's endpoints, and its app clients.

    `local`: the embedded provider, where the lab signs in its two scripted users; with any other provider
    only the attacks that need no second user run, with what the view hands over (`own_access_token`: the
    signed-in user's access token, read, never changed or stored)."""

    app_url: str
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    end_session_endpoint: str
    revocation_endpoint: str
    client_id: str
    client_secret: str = field(repr=False)
    public_client_id: str = ""
    m2m_client_id: str = ""
    m2m_client_secret: str = field(default="", repr=False)
    local: bool = True
    victim: Party | None = None
    attacker: Party | None = None
    public_rotation_grace: int | None = None  # the public client's RetryGracePeriodSeconds; None: no rotation
    own_access_token: str = field(default="", repr=False)
    timeout: float = 5.0

    @classmethod
    def of(
        cls,
        settings: ClientConfig,
        metadata: ProviderMetadata | None,
        *,
        demo_users: tuple[tuple[str, str], ...] = (),
        public_rotation_grace: int | None = None,
        own_access_token: str = "",
    ) -> Target:
        """This app and its provider (`settings`: the app's client config; `metadata`: its discovery document,
        None for a page that sends nothing, which needs no endpoint). The victim is the first demo user, the
        attacker the second (local provider only: with any other provider the lab has no one to sign in as)."""
        users = [Party(u, p) for u, p in demo_users] if settings.local_provider else []
        meta = metadata or ProviderMetadata(settings.issuer, "", "", "")
        return cls(
            app_url=settings.app_url,
            issuer=settings.issuer,
            authorization_endpoint=meta.authorization_endpoint,
            token_endpoint=meta.token_endpoint,
            end_session_endpoint=meta.end_session_endpoint,
            revocation_endpoint=meta.revocation_endpoint,
            client_id=settings.client_id,
            client_secret=settings.client_secret,
            public_client_id=settings.public_client_id,
            m2m_client_id=settings.m2m_client_id,
            m2m_client_secret=settings.m2m_client_secret,
            local=settings.local_provider,
            victim=users[0] if len(users) > 1 else None,
            attacker=users[1] if len(users) > 1 else None,
            public_rotation_grace=public_rotation_grace,
            own_access_token=own_access_token,
            timeout=settings.http_timeout,
        )

    @property
    def callback(self) -> str:
        return self.app_url + "/callback"

    @property
    def implicit_callback(self) -> str:
        return self.app_url + "/implicit/callback"

    @property
    def spa_callback(self) -> str:
        return self.app_url + "/spa/callback"

    @property
    def victim_name(self) -> str:
        return self.victim.username if self.victim else "you"

    @property
    def attacker_name(self) -> str:
        return self.attacker.username if self.attacker else "the attacker"


@dataclass(frozen=True)
class Prepared:
    """One request of the attacker, complete but not sent: the object a presenter screen shows is the one sent.

    `via`: whose browser sends it (the attacker's own, or the victim's, tricked by a link); `target`: the
    lane it goes to (app or provider); `body` is sent as is, with the Content-Type in `headers`."""

    title: str
    via: str
    target: str
    method: str
    url: str
    headers: tuple[tuple[str, str], ...] = ()
    body: str = ""

    def canonical(self) -> bytes:
        """Everything the request puts on the wire besides its cookies, unambiguously (MAC it, never show it)."""
        return json.dumps([self.title, self.via, self.target, self.method, self.url, self.headers, self.body]).encode()


@dataclass(frozen=True)
class Refusal:
    """Who said no (client: this app; provider), the check that caught it, and what the answer said."""

    source: str
    check: str
    status: int
    error: str
    detail: str = ""


@dataclass
class Verdict:
    """How the run ended: every attacker request refused, one of them accepted, or not run (and why)."""

    outcome: str  # "refused" | "succeeded" | "not_run" | "failed"
    refusal: Refusal | None = None
    detail: str = ""
