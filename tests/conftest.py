"""Fixtures (flaskr style): the local provider and the app, each a real HTTP server on a loopback port.
The helpers behind them are in tests/support."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import botocore.session
import pytest
import requests
from playwright.sync_api import Browser, BrowserContext, Page
from werkzeug.routing.rules import Rule

from local_cognito.keys import KeyRing, SigningKey
from tests.support import Stack, build_stack, start_redis, stop
from tests.support.browser import FULL_CHROMIUM, PROJECTOR, SCREENS, chromium_for_tests
from tests.support.flows import FlowLab, build_flow_lab

CHROMIUM = chromium_for_tests()


def pytest_report_header() -> str:
    return f"chromium: {CHROMIUM}"


@pytest.fixture(scope="session", autouse=True)
def botocore_models_parsed_once() -> Iterator[None]:
    """botocore's JSON models parsed once for the run. Each new session parses them again (endpoints, the
    service model: about 0.1 s), and the setup tests make a session per CLI run, as each real run of the CLI
    does once. Each session still gets a loader of its own (boto3 adds its data path to it); only the
    loaders' cache of parsed files is shared, read-only as botocore treats it within one session."""
    parsed: dict[str | None, dict] = {}
    original = botocore.session.create_loader

    def loader_with_shared_cache(search_path: str | None = None):
        loader = original(search_path)
        loader._cache = parsed.setdefault(search_path, {})  # what botocore's instance_cache reads and fills
        return loader

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(botocore.session, "create_loader", loader_with_shared_cache)
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

    compile_once.__wrapped__ = original  # type: ignore[attr-defined]  # for tests/test_suite_caches.py
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


@pytest.fixture(scope="session")
def full_browser(browser_type, browser_type_launch_args) -> Iterator[Browser]:
    """Debian's full Chromium, what a presenter runs, beside the headless shell most tests drive."""
    launched = browser_type.launch(**{**browser_type_launch_args, "executable_path": FULL_CHROMIUM})
    yield launched
    launched.close()


@pytest.fixture
def context(request, new_context, browser_context_args) -> Iterator[BrowserContext]:
    """pytest-playwright's `context` (and so `page`), or one on the full browser for a test marked
    ON_BOTH_CHROMIUMS, which runs once on each, in every `make test`."""
    if getattr(request, "param", "") != "full":
        yield new_context()
        return
    on_full = request.getfixturevalue("full_browser").new_context(**browser_context_args)
    yield on_full
    on_full.close()


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
