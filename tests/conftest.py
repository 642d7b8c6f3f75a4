"""Fixtures (flaskr style): the local provider and the app, each a real HTTP server on a loopback port.
The helpers behind them are in tests/support."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Browser, Page

from local_cognito.keys import KeyRing, SigningKey
from tests.support import Stack, build_stack, start_redis, stop
from tests.support.browser import PROJECTOR, SCREENS

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def key_dir(tmp_path_factory) -> Path:
    """Provider signing keys, generated once per run (RSA generation is the slow part)."""
    directory = tmp_path_factory.mktemp("keys")
    KeyRing(directory)
    return directory


@pytest.fixture(scope="module")
def key() -> SigningKey:
    """A signing key of the module's own, for the pure token tests (tests/support/tokens.py)."""
    return SigningKey.generate()


@pytest.fixture(scope="module")
def other_key() -> SigningKey:
    """A second key, for signatures that must not verify and for key rotation."""
    return SigningKey.generate()


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


@pytest.fixture
def signed_in(stack: Stack, http: requests.Session) -> dict:
    """`http` signed in to `stack` as the demo user; the value is the token answer the provider sent."""
    return stack.login_tokens(http)


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory) -> Iterator[str]:
    """A real redis-server on a loopback port, for this test run only; it requires a password, which
    the URL carries (as a REDIS_URL for a production Redis would)."""
    proc, url = start_redis(tmp_path_factory.mktemp("redis"), password=secrets.token_urlsafe(16))
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


@pytest.fixture(params=list(SCREENS))
def screen(request, browser: Browser) -> Iterator[Page]:
    """A page at each demo size (a 1024x768 projector at 1.5x, a 1280x800 laptop); no page error allowed."""
    context = browser.new_context(**SCREENS[request.param])
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    yield page
    context.close()
    assert errors == []


@pytest.fixture
def projector(browser: Browser) -> Iterator[Page]:
    """A page on a 1024x768 projector at 1.5x."""
    context = browser.new_context(**PROJECTOR)
    yield context.new_page()
    context.close()
