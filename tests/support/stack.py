"""A running provider + app pair (`build_stack`) and the helpers that drive them over HTTP."""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit

import requests
from flask import Flask
from jose import jws
from werkzeug.serving import WSGIRequestHandler

from app import create_app
from config import Settings, load_settings
from local_cognito import create_provider_app
from local_cognito.settings import DEMO_PASSWORD, DEMO_USERNAME, default_pool
from oauth.http import Reply
from oauth.transactions import pkce_challenge

from .inproc import InProcessServer
from .pages import csrf_of, script_csrf_of
from .servers import LiveServer, TokenRewriter


@dataclass
class Stack:
    """A running provider + app pair, and helpers to drive them over HTTP."""

    app_server: LiveServer | InProcessServer
    provider_server: LiveServer | InProcessServer
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
    def settings(self) -> Settings:
        return cast(Flask, self.app).extensions["settings"]

    @property
    def client(self):
        return self.app.extensions["oauth_client"]

    def stored_files(self, *names: str) -> list[Path]:
        """Every stored session and trace file of the app's instance (cachelib's counter excluded), in the
        instance folders `names` (all three when none are given)."""
        config = cast(Flask, self.app).config
        cache = getattr(config["SESSION_CACHELIB"], "users", config["SESSION_CACHELIB"])
        counter = Path(cache._get_filename(cache._fs_count_file)).name
        found = []
        for name in names or ("sessions", "sessions-pending", "traces"):
            directory = Path(self.settings.instance_path) / name
            if directory.exists():
                found += [p for p in directory.iterdir() if p.is_file() and p.name != counter]
        return found

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

    def login_tokens(
        self, http: requests.Session, username: str = DEMO_USERNAME, password: str = DEMO_PASSWORD
    ) -> dict:
        """The whole code flow; returns the provider's token answer, as the app received it."""
        seen: dict = {}
        self.rewriter.rewrite = lambda body: seen.update(body) or body
        self.login(http, username, password)
        self.rewriter.rewrite = None
        return seen

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

    def csrf(self, http: requests.Session, page: str = "/implicit/callback") -> str:
        """This browser's anti-forgery token (one per browser, the same on every page), read from `page`."""
        return script_csrf_of(http.get(self.url + page).text, page)

    def form_csrf(self, http: requests.Session, page: str) -> str:
        """The same token as a form on `page` posts it (the hidden csrf_token field); the page must answer 200."""
        response = http.get(self.url + page)
        assert response.status_code == 200, (page, response.status_code)
        return csrf_of(response.text, page)

    def post(self, http: requests.Session, path: str, **form: str) -> requests.Response:
        """A form POST from the app's own pages: the anti-forgery token included, redirects not followed."""
        return http.post(self.url + path, data={"csrf_token": self.csrf(http), **form}, allow_redirects=False)

    def verify_implicit(self, http: requests.Session, body: dict) -> requests.Response:
        return http.post(self.url + "/api/implicit/verify", json=body, headers={"X-CSRF-Token": self.csrf(http)})

    @property
    def public_client(self) -> dict:
        return next(c for c in self.pool_config["clients"] if c["client_id"] == self.settings.client.public_client_id)

    def spa_begin(self, http: requests.Session) -> dict:
        """POST /api/spa/begin as the /spa page does: this sign-in's state and nonce, made by the server."""
        response = http.post(self.url + "/api/spa/begin", headers={"X-CSRF-Token": self.spa_csrf(http)})
        assert response.status_code == 200, response.text
        return response.json()

    def spa_tokens(self, http: requests.Session, verifier: str = "w" * 50, nonce: str = "") -> tuple[dict, str]:
        """What the /spa page does, over plain HTTP: begin (the server's state and nonce), authorize as
        the public client with PKCE, then trade the code with no secret. Returns (the token response, the
        state to verify them with). `nonce` replaces the server's in the authorize request."""
        started = self.spa_begin(http)
        digest = hashlib.sha256(verifier.encode()).digest()
        params = {
            "response_type": "code",
            "client_id": self.settings.client.public_client_id,
            "redirect_uri": self.url + "/spa/callback",
            "scope": "openid email profile",
            "state": started["state"],
            "nonce": nonce or started["nonce"],
            "code_challenge": base64.urlsafe_b64encode(digest).rstrip(b"=").decode(),
            "code_challenge_method": "S256",
        }
        back = self.sign_in_at_provider(http, self.provider_url + "/oauth2/authorize?" + urlencode(params))
        assert back.startswith(self.url + "/spa/callback?"), back
        code = parse_qs(urlsplit(back).query)["code"][0]
        form = {
            "grant_type": "authorization_code",
            "client_id": self.settings.client.public_client_id,
            "code": code,
            "redirect_uri": params["redirect_uri"],
            "code_verifier": verifier,
        }
        response = requests.post(self.provider_url + "/oauth2/token", data=form, timeout=5)
        assert response.status_code == 200, response.text
        return response.json(), started["state"]

    def spa_csrf(self, http: requests.Session) -> str:
        return self.csrf(http, "/spa/callback")

    def resign(self, token: str, change: Callable[[dict], object], kind: str = "id") -> str:
        """The token's claims, changed by `change`, signed again with the provider's real key."""
        claims = json.loads(jws.get_unverified_claims(token))
        change(claims)
        key = self.pool.keys.id_key if kind == "id" else self.pool.keys.access_key
        return jws.sign(claims, key.signer(), headers={"kid": key.kid}, algorithm="RS256")

    def session_json(self, http: requests.Session) -> dict:
        return http.get(self.url + "/api/session").json()


VERIFIER = "v" * 50  # the PKCE verifier of the provider tests' own authorize requests


def authorize_params(stack: Stack, client: dict, **changes: str | None) -> dict:
    """An authorize request of the code flow for `client` (PKCE S256 with VERIFIER); a change to None drops
    that parameter."""
    params: dict[str, str | None] = {
        "response_type": "code",
        "client_id": client["client_id"],
        "redirect_uri": stack.url + "/callback",
        "scope": "openid email profile",
        "state": "st-1",
        "nonce": "no-1",
        "code_challenge": pkce_challenge(VERIFIER),
        "code_challenge_method": "S256",
    }
    params.update(changes)
    return {k: v for k, v in params.items() if v is not None}


def build_stack(
    tmp_path: Path,
    key_dir: Path,
    env: dict | None = None,
    edit_pool: Callable[[dict], object] | None = None,
    provider_handler: type[WSGIRequestHandler] | None = None,
    live: bool = True,
    **overrides,
) -> Stack:
    """The app and the local provider on loopback ports; `edit_pool` changes the pool file before the
    provider loads it, `provider_handler` how the provider's server writes its answers (LowercaseHeaders),
    `env` and `overrides` the app's settings. `live`: each a real server on its port (else both in-process,
    tests/support/inproc.py: the same apps, no socket)."""
    app_server: LiveServer | InProcessServer
    provider_server: LiveServer | InProcessServer
    if live or provider_handler is not None:
        app_server, provider_server = LiveServer(), LiveServer(handler=provider_handler)
    else:
        app_server, provider_server = InProcessServer(), InProcessServer()
    keys = tmp_path / "provider-keys"
    shutil.copytree(key_dir, keys)
    pool = default_pool(app_server.url, port=provider_server.port)
    pool["clients"][0]["logout_urls"].append(app_server.url + "/")
    if edit_pool is not None:
        edit_pool(pool)
    pool_file = tmp_path / "local_cognito.json"
    pool_file.write_text(json.dumps(pool))
    provider_app = create_provider_app(pool, keys, base_url=provider_server.url, pool_file=pool_file)
    rewriter = TokenRewriter(provider_app.wsgi_app)
    provider_app.wsgi_app = rewriter  # type: ignore[method-assign]
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


def offline_app(tmp_path: Path, app_url: str = "http://localhost:5000") -> Flask:
    """The app with a local pool file but no provider running: for pages and hooks that never call it."""
    pool_file = tmp_path / "local_cognito.json"
    pool_file.write_text(json.dumps(default_pool(app_url, port=9)))
    env = {"APP_URL": app_url, "INSTANCE_PATH": str(tmp_path / "instance"), "LOCAL_COGNITO_FILE": str(pool_file)}
    return create_app(load_settings({**env, "SECRET_KEY": "test-secret-key"}))
