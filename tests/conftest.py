"""Fixtures (flaskr style): the local provider and the app, each a real HTTP server on a loopback port.
The helpers behind them are in tests/support."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import botocore.session
import pytest
import requests
from playwright.sync_api import Browser, Page
from werkzeug.routing.rules import Rule

from local_cognito.keys import KeyRing, SigningKey
from tests.support import Stack, build_stack, start_redis, stop
from tests.support.browser import PROJECTOR, SCREENS
from tests.support.flows import FlowLab, build_flow_lab

FULL_CHROMIUM = "/usr/bin/chromium"
HEADLESS_SHELL = "/usr/bin/chromium-headless-shell"


def chromium_for_tests(environ: Mapping[str, str] = os.environ) -> str:
    """The Chromium the browser tests drive: TEST_CHROMIUM when set, else Debian's headless shell (package
    chromium-headless-shell, which `make test` installs), else the full browser.

    The shell is the same Chromium 156 build (its Blink and V8) without the full browser's windowing and UI
    layers: Chromium's "old headless", which Playwright's own downloads use for headless runs. Measured
    here it spends about half the CPU per page (the ~90 browser tests: 138 s -> 70 s on 2 cores). Puppeteer's
    guide warns it "does not match the behavior of the regular Chrome completely", so the suite is also run
    on the full browser before a change lands (`TEST_CHROMIUM=/usr/bin/chromium make test`; both pass), and
    the screenshots in docs/ are taken with it (scripts/screenshots.py)."""
    chosen = environ.get("TEST_CHROMIUM", "")
    if chosen:
        assert os.access(chosen, os.X_OK), f"TEST_CHROMIUM={chosen} is not an executable"
        return chosen
    return HEADLESS_SHELL if os.access(HEADLESS_SHELL, os.X_OK) else FULL_CHROMIUM


CHROMIUM = chromium_for_tests()


def pytest_report_header() -> str:
    return f"chromium: {CHROMIUM}"


@pytest.fixture(scope="session", autouse=True)
def one_botocore_loader() -> Iterator[None]:
    """One botocore data loader for the run. botocore parses its JSON models (endpoints, the service model)
    again for every new session, about 0.1 s each; the setup tests make a session per CLI run, as each real
    run of the CLI does once. The models are read-only, so sharing the parsed ones changes nothing else."""
    loaders: dict[str | None, object] = {}
    original = botocore.session.create_loader

    def shared(search_path: str | None = None):
        if search_path not in loaders:
            loaders[search_path] = original(search_path)
        return loaders[search_path]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(botocore.session, "create_loader", shared)
        yield


@pytest.fixture(scope="session", autouse=True)
def url_builders_compiled_once() -> Iterator[None]:
    """Each URL rule compiled to its builder once for the run. werkzeug writes and compiles Python code for
    two builders of every rule of every app; the tests make about two thousand apps (app and provider) of
    dozens of rules, and that compiling was most of the 28 ms an app costs. The code depends only on the
    rule's text, parts and default names (a default that fills a part is left to werkzeug), and reads the
    rule's own converters when called, so a rule of a later app gets the same function, bound to itself."""
    original = Rule._compile_builder
    built: dict[tuple, Callable[..., tuple[str, str]]] = {}

    def compile_once(self: Rule, append_unknown: bool = True) -> Callable[..., tuple[str, str]]:
        defaults = tuple(self.defaults or ())
        if any(dynamic and part in defaults for dynamic, part in self._trace):
            return original(self, append_unknown)
        key = (self.rule, tuple(self._trace), defaults, append_unknown)
        if key not in built:
            built[key] = original(self, append_unknown)
        return built[key]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Rule, "_compile_builder", compile_once)
        yield


@pytest.fixture(scope="session")
def key_dir(tmp_path_factory) -> Path:
    """Provider signing keys, generated once per run (RSA generation is the slow part)."""
    directory = tmp_path_factory.mktemp("keys")
    KeyRing(directory)
    return directory


@pytest.fixture(scope="session")
def key() -> SigningKey:
    """A signing key for the pure token tests (tests/support/tokens.py), made once per run."""
    return SigningKey.generate()


@pytest.fixture(scope="session")
def other_key() -> SigningKey:
    """A second key, for signatures that must not verify and for key rotation."""
    return SigningKey.generate()


def over_the_wire(request: pytest.FixtureRequest) -> bool:
    """Real servers on loopback ports for a Chromium test, an end-to-end test (`@pytest.mark.e2e`) and a test
    that needs a socket (`@pytest.mark.live`); in-process apps (tests/support/inproc.py) for the rest."""
    if {"page", "context", "browser"} & set(request.fixturenames):  # Chromium needs a real server to talk to
        return True
    return any(request.node.get_closest_marker(name) for name in ("browser", "e2e", "live"))


@pytest.fixture
def stack(request, tmp_path, key_dir) -> Iterator[Stack]:
    """The app and the local provider: the same apps in-process, or on real loopback ports (over_the_wire)."""
    s = build_stack(tmp_path, key_dir, live=over_the_wire(request))
    yield s
    s.app_server.stop()
    s.provider_server.stop()


@pytest.fixture
def make_stack(request, tmp_path, key_dir) -> Iterator[Callable[..., Stack]]:
    """Build a stack with extra environment or Settings overrides (in-process unless over_the_wire)."""
    stacks: list[Stack] = []
    live = over_the_wire(request)

    def make(env: dict | None = None, **overrides) -> Stack:
        overrides.setdefault("live", live)
        s = build_stack(tmp_path / f"s{len(stacks)}", key_dir, env, **overrides)
        stacks.append(s)
        return s

    yield make
    for s in stacks:
        s.app_server.stop()
        s.provider_server.stop()


@pytest.fixture
def flow_lab(tmp_path, key_dir) -> Iterator[FlowLab]:
    """The flows without the app: the local provider in-process, a dict session, a trace that keeps notes."""
    lab = build_flow_lab(tmp_path, key_dir)
    yield lab
    lab.provider.stop()


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
