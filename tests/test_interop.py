"""Interop with a certified OpenID provider we did not write: oidc-provider (npm), on loopback.

Differences from Cognito that a standard client must simply handle: PKCE required, nonce required
for implicit, an extra `iss` on the callback (RFC 9207), opaque access tokens, no token_use.
The client is not special-cased: it is configured with OAUTH_ISSUER like any OIDC provider.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jose import jwk
from playwright.sync_api import Page, expect

from app import create_app
from config import load_settings
from tests.support import LiveServer, free_port, stop

pytestmark = pytest.mark.browser
INTEROP = Path(__file__).with_name("interop")
NODE = shutil.which("node")


def private_jwks(kid: str) -> dict:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    entry = {
        k: v.decode() if isinstance(v, bytes) else v for k, v in jwk.construct(pem.decode(), "RS256").to_dict().items()
    }
    return {"keys": [{**entry, "kid": kid, "use": "sig"}]}


class OpenIDProvider:
    """oidc-provider in a node process; restart() swaps its signing keys (key rotation)."""

    def __init__(self, app_url: str, directory: Path):
        assert NODE, "node is missing: `make test` needs Node.js for the interop tests"
        self.node = NODE
        assert (INTEROP / "node_modules" / "oidc-provider").is_dir(), "run `make test` (npm ci in tests/interop)"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.app_url = app_url
        self.directory = directory
        self.proc: subprocess.Popen[str] | None = None

    def start(self, kid: str) -> None:
        jwks_file = self.directory / f"jwks-{kid}.json"
        jwks_file.write_text(json.dumps(private_jwks(kid)))
        env = {**os.environ, "PORT": str(self.port), "APP_URL": self.app_url, "JWKS_FILE": str(jwks_file)}
        self.proc = subprocess.Popen(
            [self.node, "provider.mjs"],
            cwd=INTEROP,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        output = self.proc.stdout
        assert output is not None  # stdout=PIPE
        lines: list[str] = []
        ready = threading.Event()

        def read() -> None:
            for line in output:
                lines.append(line)
                if line.startswith("ready"):
                    ready.set()

        threading.Thread(target=read, daemon=True).start()
        assert ready.wait(30), "oidc-provider did not start:\n" + "".join(lines)

    def restart(self, kid: str) -> None:
        self.stop()
        self.start(kid)

    def stop(self) -> None:
        if self.proc is not None:
            stop(self.proc)
            if self.proc.stdout is not None:
                self.proc.stdout.close()


@pytest.fixture
def interop(tmp_path) -> Iterator:
    """make(client_id, method) → (app server, settings, provider)."""
    started: list = []

    def make(client_id: str = "flowlab-basic", method: str = "client_secret_basic"):
        app_server = LiveServer()
        op = OpenIDProvider(app_server.url, tmp_path)
        op.start("key-1")
        settings = load_settings(
            {
                "OAUTH_ISSUER": op.url,
                "OAUTH_CLIENT_ID": client_id,
                "OAUTH_CLIENT_SECRET": f"{client_id}-secret-0123456789abcdef",
                "OAUTH_CLIENT_AUTH": method,
                "APP_URL": app_server.url,
                "INSTANCE_PATH": str(tmp_path / f"instance-{client_id}"),
                "SECRET_KEY": "interop",
            }
        )
        app_server.app = create_app(settings)
        started.append((app_server, op))
        return app_server, op

    yield make
    for app_server, op in started:
        op.stop()
        app_server.stop()


def sign_in_at_op(page: Page, op: OpenIDProvider, login: str) -> None:
    expect(page).to_have_url(re.compile(re.escape(op.url) + "/interaction/"))
    page.locator("input[name=login]").fill(login)
    page.locator("input[name=password]").fill("any-password")
    page.get_by_role("button", name="Sign-in").click()
    page.get_by_role("button", name="Continue").click()  # the consent page


def code_flow(page: Page, app_url: str, op: OpenIDProvider, login: str) -> None:
    page.goto(app_url + "/login")
    sign_in_at_op(page, op, login)
    expect(page).to_have_url(app_url + "/dashboard")
    expect(page.locator("#who")).to_have_text(login)
    expect(page.locator("#token-id .pill")).to_have_text("verified")
    expect(page.locator("#token-access .pill")).to_have_text("opaque")


@pytest.mark.parametrize(
    "client_id,method", [("flowlab-basic", "client_secret_basic"), ("flowlab-post", "client_secret_post")]
)
def test_code_flow(interop, page: Page, client_id, method):
    app_server, op = interop(client_id, method)
    code_flow(page, app_server.url, op, "alice")
    for check in ("signature", "iss", "aud", "sub", "exp", "iat", "nonce", "at_hash"):
        expect(page.locator(f'#token-id [data-check="{check}"]')).to_have_class("check ok")
    expect(page.locator('#token-id [data-check="token_use"]')).to_have_count(0)  # not a Cognito token


def test_userinfo(interop, page: Page):
    app_server, op = interop()
    code_flow(page, app_server.url, op, "bob")
    page.get_by_role("button", name="Call userInfo").click()
    userinfo = page.locator("#userinfo pre")
    expect(userinfo).to_contain_text('"sub": "bob"')
    expect(userinfo).to_contain_text('"email": "bob@example.com"')


def test_implicit_id_token_token_through_the_js_page(interop, page: Page):
    app_server, op = interop()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    authorize: list[str] = []
    page.on("request", lambda r: authorize.append(r.url) if r.url.startswith(op.url + "/auth?") else None)
    page.goto(app_server.url + "/implicit")
    sign_in_at_op(page, op, "carol")
    expect(page.locator("#implicit")).to_have_attribute("data-verified", "true")
    assert page.evaluate("() => location.hash") == ""
    query = parse_qs(urlsplit(authorize[0]).query)
    assert query["response_type"] == ["id_token token"] and query["nonce"][0]
    expect(page.locator('#token-id [data-check="at_hash"]')).to_have_class("check ok")
    expect(page.locator('#token-id [data-check="nonce"]')).to_have_class("check ok")
    assert errors == []


def test_key_rotation(interop, page: Page, browser):
    app_server, op = interop()
    code_flow(page, app_server.url, op, "dave")
    client = app_server.app.extensions["oauth_client"]
    assert client.jwks.fetches == 1
    op.restart("key-2")  # the provider now signs with a key the client has never seen
    context = browser.new_context()
    try:
        code_flow(context.new_page(), app_server.url, op, "erin")
    finally:
        context.close()
    assert client.jwks.fetches == 2
