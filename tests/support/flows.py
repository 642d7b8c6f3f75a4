"""The flows (flows/) in-process, without the app: a real OAuth client talking to the local provider (in-process,
tests/support/inproc.py), a session that is a dict, and a trace that keeps what it is told.

`FlowLab` is aws-jwt-verify's way of testing a verifier applied to a whole flow: the provider's own keys sign the
tokens (its JWKS is what the client fetches), the sign-in's code is issued by the provider's pool directly (its
sign-in form is tested with the provider), and everything after it runs through the flows as the app runs them.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from flask import Flask

from config import load_settings
from flows.context import Context
from flows.keys import TX
from local_cognito import Pool, create_provider_app
from local_cognito.settings import DEMO_USERNAME, default_pool
from oauth import transactions
from oauth.calls import PreparedCall
from oauth.client import OAuthClient
from oauth.config import ClientConfig
from oauth.http import Reply
from oauth.resource_server import ResourceServer
from oauth.transactions import Transaction
from oauth.verified_cache import VerifiedTokenCache
from signing import Signer
from tracing.model import Exchange

from .inproc import InProcessServer
from .servers import TokenRewriter

APP_URL = "http://localhost:5000"


class MemorySession(dict):
    """This browser's session: a dict that counts the new ids it was given, and which keys were written."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.renewed = 0
        self.written: list[str] = []

    def renew(self) -> None:
        self.renewed += 1

    def __setitem__(self, key: str, value: Any) -> None:
        self.written.append(key)
        super().__setitem__(key, value)


@dataclass
class MemoryTrace:
    """The trace's notes, kept as told (the recorder in the app turns them into stored steps)."""

    started: list[str] = field(default_factory=list)  # each new trace, by the sign-in state it keeps ("" none)
    exchanges: list[Exchange] = field(default_factory=list)
    redirects: list[tuple[str, str]] = field(default_factory=list)
    probing: bool = False
    probed: list[bool] = field(default_factory=list)

    def start_new(self, keep_login: str = "") -> None:
        self.started.append(keep_login)

    def note_exchange(self, exchange: Exchange) -> None:
        self.exchanges.append(exchange)

    def note_redirect(self, name: str, url: str) -> None:
        self.redirects.append((name, url))

    @contextmanager
    def probes(self) -> Iterator[None]:
        self.probing = True
        try:
            yield
        finally:
            self.probing = False
            self.probed.append(True)


class Approve:
    """A presenter's approval of one call, as its screen's Continue brings it (continued=True)."""

    continued = True

    def __init__(self, call: PreparedCall):
        self.call = call

    def approves(self, call: PreparedCall) -> bool:
        return call == self.call


class NotYet:
    """Presenter mode before its screen was shown: nothing is approved yet."""

    continued = False

    def approves(self, call: PreparedCall) -> bool:
        return False


@dataclass
class FlowLab:
    """The local provider in-process, the app's client config for it, and one browser's session and trace."""

    provider: InProcessServer
    provider_app: Flask
    rewriter: TokenRewriter
    pool_config: dict
    config: ClientConfig
    client: OAuthClient
    session: MemorySession
    trace: MemoryTrace
    sent: list[Reply]
    grace_seconds: int | None = None

    @property
    def pool(self) -> Pool:
        return self.provider_app.extensions["local_cognito"]

    def context(self, session: MemorySession | None = None, now: float | None = None) -> Context:
        return Context(
            client=self.client,
            session=self.session if session is None else session,
            trace=self.trace,
            signer=Signer("test-secret-key"),
            resource=ResourceServer(self.client, VerifiedTokenCache[str](100), self.config.api_required_scope),
            renew=(self.session if session is None else session).renew,
            grace_seconds=self.grace_seconds,
            now=None if now is None else (lambda: now),
        )

    def begin(self, flow: str = "code", next_url: str | None = None) -> Transaction:
        """The sign-in's transaction, kept in the session as /login keeps it."""
        return transactions.begin(self.session, flow, next_url, key=TX)

    def code_for(self, tx: Transaction, username: str = DEMO_USERNAME) -> str:
        """The code the provider sends back for this sign-in (its pool issues it for `username`)."""
        args = dict(parse_qsl(urlsplit(self.client.authorize_url(tx)).query))
        client, scopes = self.pool.validate_authorize(args)
        return self.pool.issue_code(client, scopes, args, self.signed_in_session(username))

    def implicit_tokens(self, tx: Transaction, username: str = DEMO_USERNAME) -> dict:
        """What the implicit flow's fragment carries for this sign-in."""
        args = dict(parse_qsl(urlsplit(self.client.authorize_url(tx, response_type="token")).query))
        client, scopes = self.pool.validate_authorize(args)
        return self.pool.implicit_tokens(client, scopes, args, self.signed_in_session(username))

    def signed_in_session(self, username: str) -> dict:
        """The provider's session of `username`, signed in just now (its managed login's cookie, as a record)."""
        record = self.pool.session(self.pool.start_session(username))
        assert record is not None
        return record

    def steps(self, name: str) -> list[Reply]:
        return [r for r in self.sent if r.step == name]

    def web_client(self) -> dict:
        return next(c for c in self.pool_config["clients"] if c["client_id"] == self.config.client_id)


def build_flow_lab(tmp_path: Path, key_dir: Path, env: dict | None = None) -> FlowLab:
    """The provider in-process with its default pool, and the ClientConfig the app builds for it (config.py)."""
    provider = InProcessServer()
    keys = tmp_path / "provider-keys"
    shutil.copytree(key_dir, keys)
    pool_config = default_pool(APP_URL, port=provider.port)
    pool_file = tmp_path / "local_cognito.json"
    pool_file.write_text(json.dumps(pool_config))
    app = create_provider_app(pool_config, keys, base_url=provider.url, pool_file=pool_file)
    rewriter = TokenRewriter(app.wsgi_app)
    app.wsgi_app = rewriter  # type: ignore[method-assign]
    provider.app = app
    base = {"APP_URL": APP_URL, "INSTANCE_PATH": str(tmp_path / "instance"), "LOCAL_COGNITO_FILE": str(pool_file)}
    settings = load_settings({**base, "SECRET_KEY": "test-secret-key", **(env or {})})
    client = OAuthClient(settings.client)
    sent: list[Reply] = []
    client.http.observers.append(sent.append)
    return FlowLab(
        provider,
        app,
        rewriter,
        pool_config,
        settings.client,
        client,
        MemorySession(),
        MemoryTrace(),
        sent,
        settings.refresh_token_grace_seconds,
    )
