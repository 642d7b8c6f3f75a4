"""Fixtures: the local provider and the app, each a real HTTP server on a loopback port."""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit

import pytest
import redis
import requests
from jose import jws
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from app import create_app
from config import load_settings
from local_cognito import create_provider_app
from local_cognito.keys import KeyRing
from local_cognito.settings import DEMO_PASSWORD, DEMO_USERNAME, default_pool
from oauth.http import Reply

CHROMIUM = "/usr/bin/chromium"


class LiveServer:
    """A WSGI server on 127.0.0.1:0 in a thread; the app can be set after binding."""

    def __init__(self, app: Callable | None = None):
        self.app = app
        self.server = make_server("127.0.0.1", 0, self._dispatch, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)
        self.thread.start()

    def _dispatch(self, environ, start_response):
        return self.app(environ, start_response)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def answer(body: bytes | str, status: int = 200, mimetype: str = "application/json", delay: float = 0):
    """A tiny WSGI app that answers one fixed response (optionally slowly): a misbehaving provider."""

    def app(environ, start_response):
        if delay:
            time.sleep(delay)
        return Response(body, status=status, mimetype=mimetype)(environ, start_response)

    return app


class TokenRewriter:
    """WSGI middleware: lets a test rewrite the provider's token-endpoint JSON, or make any
    path misbehave (`faults[path]` is a WSGI app answering instead of the provider)."""

    def __init__(self, app):
        self.app = app
        self.rewrite: Callable[[dict], dict] | None = None
        self.faults: dict[str, Callable] = {}

    def __call__(self, environ, start_response):
        request = Request(environ)
        if request.path in self.faults:
            return self.faults[request.path](environ, start_response)
        if self.rewrite is None or request.path != "/oauth2/token":
            return self.app(environ, start_response)
        inner = Response.from_app(self.app, environ)
        body = json.loads(inner.get_data())
        if inner.status_code == 200:
            body = self.rewrite(body)
        out = Response(json.dumps(body), status=inner.status_code, mimetype="application/json")
        return out(environ, start_response)


@pytest.fixture(scope="session")
def key_dir(tmp_path_factory) -> Path:
    """Provider signing keys, generated once per run (RSA generation is the slow part)."""
    directory = tmp_path_factory.mktemp("keys")
    KeyRing(directory)
    return directory


@dataclass
class Stack:
    """A running provider + app pair, and helpers to drive them over HTTP."""

    app_server: LiveServer
    provider_server: LiveServer
    provider_app: object
    rewriter: TokenRewriter
    app: object
    pool_config: dict
    exchanges: list[Reply] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.app_server.url

    @property
    def provider_url(self) -> str:
        return self.provider_server.url

    @property
    def pool(self):
        return self.provider_app.extensions["local_cognito"]

    @property
    def settings(self):
        return self.app.extensions["settings"]

    @property
    def client(self):
        return self.app.extensions["oauth_client"]

    def steps(self, name: str) -> list[Reply]:
        return [r for r in self.exchanges if r.step == name]

    def start_login(self, http: requests.Session, path: str = "/login") -> str:
        """GET /login and return the authorize URL it redirects to."""
        response = http.get(self.url + path, allow_redirects=False)
        assert response.status_code == 302, response.text
        return response.headers["Location"]

    def sign_in_at_provider(
        self,
        http: requests.Session,
        authorize_url: str,
        username: str = DEMO_USERNAME,
        password: str = DEMO_PASSWORD,
    ) -> str:
        """Fill the provider's login form; return the redirect back to the app.

        With a live provider session (SSO cookie) the provider skips the form, as Cognito does.
        """
        first = http.get(authorize_url, allow_redirects=False)
        assert first.status_code == 302, first.text
        if not first.headers["Location"].startswith(self.provider_url):
            return first.headers["Location"]
        page = http.get(first.headers["Location"])
        assert page.status_code == 200, page.text
        form = {k: html.unescape(v) for k, v in re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', page.text)}
        form.update(username=username, password=password)
        response = http.post(page.url.split("?")[0], data=form, allow_redirects=False)
        assert response.status_code == 302, response.text
        return response.headers["Location"]

    def login(
        self,
        http: requests.Session,
        username: str = DEMO_USERNAME,
        password: str = DEMO_PASSWORD,
        path: str = "/login",
    ) -> requests.Response:
        """The whole code flow; returns the app's answer to the callback."""
        back = self.sign_in_at_provider(http, self.start_login(http, path), username, password)
        assert back.startswith(self.url + "/callback?"), back
        return http.get(back, allow_redirects=False)

    def callback_params(self, http: requests.Session) -> dict:
        back = self.sign_in_at_provider(http, self.start_login(http))
        return {k: v[0] for k, v in parse_qs(urlsplit(back).query).items()}

    def implicit_fragment(self, http: requests.Session, username: str = DEMO_USERNAME) -> dict:
        """Run the implicit flow up to the redirect; return the fragment's parameters."""
        start = http.get(self.url + "/implicit", allow_redirects=False)
        assert start.status_code == 302, start.text
        back = self.sign_in_at_provider(http, start.headers["Location"], username)
        assert back.startswith(self.url + "/implicit/callback#"), back
        return dict(parse_qsl(urlsplit(back).fragment))

    def csrf(self, http: requests.Session) -> str:
        page = http.get(self.url + "/implicit/callback")
        return re.search(r'data-csrf="([^"]+)"', page.text).group(1)

    def verify_implicit(self, http: requests.Session, body: dict) -> requests.Response:
        return http.post(self.url + "/api/implicit/verify", json=body, headers={"X-CSRF-Token": self.csrf(http)})

    @property
    def public_client(self) -> dict:
        return next(c for c in self.pool_config["clients"] if c["client_id"] == self.settings.public_client_id)

    def spa_tokens(self, http: requests.Session, verifier: str = "w" * 50) -> tuple[dict, str]:
        """What the /spa page does, over plain HTTP: authorize as the public client with PKCE, then
        trade the code with no secret. Returns (the token response, the nonce)."""
        digest = hashlib.sha256(verifier.encode()).digest()
        params = {
            "response_type": "code",
            "client_id": self.settings.public_client_id,
            "redirect_uri": self.url + "/spa/callback",
            "scope": "openid email profile",
            "state": "spa-state",
            "nonce": "spa-nonce-" + verifier[:8],
            "code_challenge": base64.urlsafe_b64encode(digest).rstrip(b"=").decode(),
            "code_challenge_method": "S256",
        }
        back = self.sign_in_at_provider(http, self.provider_url + "/oauth2/authorize?" + urlencode(params))
        assert back.startswith(self.url + "/spa/callback?"), back
        code = parse_qs(urlsplit(back).query)["code"][0]
        form = {
            "grant_type": "authorization_code",
            "client_id": self.settings.public_client_id,
            "code": code,
            "redirect_uri": params["redirect_uri"],
            "code_verifier": verifier,
        }
        response = requests.post(self.provider_url + "/oauth2/token", data=form, timeout=5)
        assert response.status_code == 200, response.text
        return response.json(), params["nonce"]

    def spa_csrf(self, http: requests.Session) -> str:
        page = http.get(self.url + "/spa/callback")
        return re.search(r'data-csrf="([^"]+)"', page.text).group(1)

    def resign(self, token: str, change: Callable[[dict], object], kind: str = "id") -> str:
        """The token's claims, changed by `change`, signed again with the provider's real key."""
        claims = json.loads(jws.get_unverified_claims(token))
        change(claims)
        key = self.pool.keys.id_key if kind == "id" else self.pool.keys.access_key
        return jws.sign(claims, key.signer(), headers={"kid": key.kid}, algorithm="RS256")

    def session_json(self, http: requests.Session) -> dict:
        return http.get(self.url + "/api/session").json()


def build_stack(tmp_path: Path, key_dir: Path, env: dict | None = None, **overrides) -> Stack:
    app_server, provider_server = LiveServer(), LiveServer()
    keys = tmp_path / "provider-keys"
    shutil.copytree(key_dir, keys)
    pool = default_pool(app_server.url, port=provider_server.server.server_port)
    pool["clients"][0]["logout_urls"].append(app_server.url + "/")
    pool_file = tmp_path / "local_cognito.json"
    pool_file.write_text(json.dumps(pool))
    provider_app = create_provider_app(pool, keys, base_url=provider_server.url)
    rewriter = TokenRewriter(provider_app.wsgi_app)
    provider_app.wsgi_app = rewriter
    provider_server.app = provider_app
    base_env = {
        "APP_URL": app_server.url,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "LOCAL_COGNITO_FILE": str(pool_file),
        "SECRET_KEY": "test-secret-key",
    }
    base_env.update(env or {})
    settings = load_settings(base_env, **overrides)
    app = create_app(settings)
    app_server.app = app
    stack = Stack(app_server, provider_server, provider_app, rewriter, app, pool)
    app.extensions["oauth_client"].http.observers.append(stack.exchanges.append)
    return stack


@pytest.fixture
def stack(tmp_path, key_dir) -> Iterator[Stack]:
    s = build_stack(tmp_path, key_dir)
    yield s
    s.app_server.stop()
    s.provider_server.stop()


@pytest.fixture
def make_stack(tmp_path, key_dir) -> Iterator[Callable[..., Stack]]:
    """Build a stack with extra environment or Settings overrides."""
    stacks: list[Stack] = []

    def make(env: dict | None = None, **overrides) -> Stack:
        s = build_stack(tmp_path / f"s{len(stacks)}", key_dir, env, **overrides)
        stacks.append(s)
        return s

    yield make
    for s in stacks:
        s.app_server.stop()
        s.provider_server.stop()


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_redis(directory: Path, port: int | None = None) -> tuple[subprocess.Popen, str]:
    """Start a real redis-server on loopback (no persistence) and wait until it answers."""
    binary = shutil.which("redis-server")
    assert binary, "redis-server is missing: `make test` installs it (scripts/system-deps.sh)"
    port = port or free_port()
    args = [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"]
    proc = subprocess.Popen([*args, "--dir", str(directory)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    with redis.Redis.from_url(url) as client:
        for _ in range(200):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
    return proc, url


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory) -> Iterator[str]:
    """A real redis-server on a loopback port, for this test run only."""
    proc, url = start_redis(tmp_path_factory.mktemp("redis"))
    yield url
    stop(proc)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }
