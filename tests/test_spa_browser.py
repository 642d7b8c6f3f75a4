"""The browser-only flow in headless Chromium against the local provider: WebCrypto PKCE, the code
traded from the page with CORS (a preflight for userInfo), refresh and revoke from the browser, and
foreign origins refused (the app's API from another site; the page's CSP for other hosts)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.support import LiveServer, answer
from tests.support.browser import ON_BOTH_CHROMIUMS, sign_in, watch_console

pytestmark = pytest.mark.browser


def recorder(app: Callable, log: list[dict]) -> Callable:
    """WSGI middleware: note each request's method, path, Origin and the answer's status and CORS header."""

    def wrapped(environ, start_response):
        entry = {
            "method": environ["REQUEST_METHOD"],
            "path": environ.get("PATH_INFO", ""),
            "origin": environ.get("HTTP_ORIGIN"),
            "preflight_for": environ.get("HTTP_ACCESS_CONTROL_REQUEST_METHOD"),
            "body": b"",
        }
        log.append(entry)

        def record_start(status, headers, exc_info=None):
            entry["status"] = int(status.split()[0])
            entry["allow_origin"] = dict(headers).get("Access-Control-Allow-Origin")
            return start_response(status, headers, exc_info)

        return app(environ, record_start)

    return wrapped


@ON_BOTH_CHROMIUMS
def test_spa_flow_runs_in_the_browser(stack, page: Page):
    provider_log: list[dict] = []
    stack.provider_server.app = recorder(stack.provider_server.app, provider_log)
    errors = watch_console(page)
    posted: dict[str, str] = {}
    page.on("request", lambda r: posted.update({r.url: r.post_data or ""}) if r.method == "POST" else None)

    page.goto(stack.url + "/spa")
    page.locator("#spa-start").click()
    expect(page).to_have_url(re.compile(re.escape(stack.provider_url + "/login?")))
    authorize = next(e for e in provider_log if e["path"] == "/oauth2/authorize")
    assert authorize["method"] == "GET"
    sign_in(page, stack)

    root = page.locator("#spa")
    expect(root).to_have_attribute("data-verified", "true")
    assert page.url == stack.url + "/spa/callback"  # code and state gone from the address bar
    for check in ("signature", "iss", "aud", "token_use", "exp", "iat", "nonce", "at_hash"):
        expect(page.locator(f'#token-id [data-check="{check}"]')).to_have_class("check ok")
    expect(page.locator("#token-access .pill")).to_have_text("verified")
    expect(page.locator('#token-id [data-claim="aud"]')).to_contain_text(stack.settings.client.public_client_id)

    # the code was traded by the browser itself: a cross-origin POST from the app's origin, no secret
    token_calls = [e for e in provider_log if e["path"] == "/oauth2/token"]
    assert [(e["method"], e["origin"], e["status"], e["allow_origin"]) for e in token_calls] == [
        ("POST", stack.url, 200, "*")
    ]
    token_body = posted[stack.provider_url + "/oauth2/token"]
    assert "code_verifier=" in token_body and "client_id=" + stack.settings.client.public_client_id in token_body
    assert "client_secret" not in token_body
    # the verifier left sessionStorage at the callback; tokens were never stored anywhere
    assert page.evaluate("() => sessionStorage.length + localStorage.length") == 0
    assert "eyJ" not in page.evaluate("() => document.cookie")
    assert "eyJ" not in page.locator("#tokens").inner_html()
    expect(page.locator("#spa-result")).to_contain_text("(present, kept in page memory, not shown)")
    refresh_token = next(iter(stack.pool.refresh_tokens))
    verify_body = posted[stack.url + "/api/spa/verify"]
    assert refresh_token not in verify_body and '"state"' in verify_body  # the server checks its own nonce
    assert refresh_token not in page.content()
    expect(page.locator("#refresh-risk")).to_contain_text("refresh token is in JavaScript memory")

    # userInfo with a Bearer header: the browser sends a CORS preflight first, then the GET
    page.locator("#spa-userinfo").click()
    expect(root).to_have_attribute("data-userinfo", "200")
    expect(page.locator("#spa-result")).to_contain_text('"username": "demo"')
    userinfo = [e for e in provider_log if e["path"] == "/oauth2/userInfo"]
    assert [(e["method"], e["preflight_for"], e["origin"], e["allow_origin"]) for e in userinfo] == [
        ("OPTIONS", "GET", stack.url, "*"),
        ("GET", None, stack.url, "*"),
    ]
    assert userinfo[0]["status"] == 204

    # refresh, then revoke, then a refused refresh whose error the page can still read (CORS on errors)
    page.locator("#spa-refresh").click()
    expect(root).to_have_attribute("data-refreshed", "true")
    page.locator("#spa-revoke").click()
    expect(root).to_have_attribute("data-revoked", "true")
    page.locator("#spa-refresh").click()
    expect(page.locator("#spa-result")).to_contain_text("No refresh token in page memory")
    revoke = [e for e in provider_log if e["path"] == "/oauth2/revoke"]
    assert [(e["method"], e["status"], e["allow_origin"]) for e in revoke] == [("POST", 200, "*")]
    assert stack.pool.refresh_tokens[refresh_token].revoked

    # this browser's trace shows what the page did at the provider, without bodies or tokens
    for _ in range(50):  # the page reports fire-and-forget: give the last report a moment
        trace = page.request.get(stack.url + "/trace.md").text()
        if "The page revokes its refresh token itself" in trace:
            break
        page.wait_for_timeout(100)
    for title in (
        "The page trades the code at the token endpoint itself",
        "The browser-only (PKCE) page posts its ID token for verification",
        "The page calls userInfo itself",
        "The page refreshes its tokens itself",
        "The page revokes its refresh token itself",
    ):
        assert title in trace, title
    assert refresh_token not in trace and "code_verifier" not in trace
    assert errors == []


def test_refused_refresh_error_is_readable_by_the_page(stack, page: Page):
    page.goto(stack.url + "/spa")
    page.locator("#spa-start").click()
    sign_in(page, stack)
    expect(page.locator("#spa")).to_have_attribute("data-verified", "true")
    for grant in stack.pool.refresh_tokens.values():  # revoked elsewhere (another tab, an admin)
        grant.revoked = True
    page.locator("#spa-refresh").click()
    expect(page.locator("#spa")).to_have_attribute("data-refreshed", "invalid_grant")
    expect(page.locator("#spa-result")).to_contain_text("HTTP 400 invalid_grant")


def test_foreign_origin_is_refused(stack, page: Page):
    """Another site can reach the provider (Cognito allows any origin there), but not this app's API;
    and the /spa page itself may fetch() nothing but the app and the provider."""
    foreign = LiveServer(answer("<!doctype html><title>elsewhere</title>", mimetype="text/html"))
    app_log: list[dict] = []
    stack.app_server.app = recorder(stack.app_server.app, app_log)
    try:
        page.goto(foreign.url + "/")
        outcome = page.evaluate(
            """async (url) => {
                 const tries = [
                   {method: "POST", credentials: "include", headers: {"Content-Type": "application/json",
                    "X-CSRF-Token": "guess"}, body: "{}"},
                   {method: "POST", credentials: "include", headers: {"Content-Type": "text/plain"}, body: "{}"},
                 ];
                 const out = [];
                 for (const init of tries) {
                   try { const r = await fetch(url, init); out.push("read " + r.status); }
                   catch (e) { out.push(e.name); }
                 }
                 return out;
               }""",
            stack.url + "/api/spa/verify",
        )
        assert outcome == ["TypeError", "TypeError"]  # the browser shows the foreign page nothing
        seen = [(e["method"], e["origin"], e["status"], e["allow_origin"]) for e in app_log]
        # the preflight gets no CORS grant, so the JSON POST is never sent; the simple POST is refused
        assert ("OPTIONS", foreign.url, 200, None) in seen
        assert ("POST", foreign.url, 403, None) in seen
        assert [e for e in seen if e[0] == "POST" and e[2] != 403] == []

        # the provider answers any origin, as Cognito does: the security is PKCE, not CORS
        status = page.evaluate(
            """async (url) => (await fetch(url, {method: "POST",
                                                 body: new URLSearchParams({grant_type: "x"})})).status""",
            stack.provider_url + "/oauth2/token",
        )
        assert status == 400

        # on /spa/callback, connect-src allows the app and the provider only
        page.goto(stack.url + "/spa/callback")
        blocked = page.evaluate(
            """async (url) => {
                 const violation = new Promise((ok) => document.addEventListener(
                   "securitypolicyviolation", (e) => ok(e.violatedDirective), {once: true}));
                 let result;
                 try { await fetch(url); result = "fetched"; } catch (e) { result = e.name; }
                 return [result, await violation];
               }""",
            foreign.url + "/steal",
        )
        assert blocked == ["TypeError", "connect-src"]
    finally:
        foreign.stop()


def test_callback_without_this_tabs_transaction_sends_nothing(stack, page: Page):
    provider_log: list[dict] = []
    stack.provider_server.app = recorder(stack.provider_server.app, provider_log)
    page.goto(stack.url + "/spa/callback?code=stolen-code&state=forged")
    expect(page.locator("#error-title")).to_have_text("No sign-in was started in this tab")
    assert page.url == stack.url + "/spa/callback"
    assert [e for e in provider_log if e["path"] == "/oauth2/token"] == []
    page.wait_for_load_state("networkidle")  # (the favicon too, before the servers stop)


def test_state_mismatch_sends_nothing(stack, page: Page):
    provider_log: list[dict] = []
    stack.provider_server.app = recorder(stack.provider_server.app, provider_log)
    page.goto(stack.url + "/spa")
    page.locator("#spa-start").click()
    expect(page).to_have_url(re.compile(re.escape(stack.provider_url + "/login?")))
    page.goto(stack.url + "/spa/callback?code=some-code&state=not-the-one")
    expect(page.locator("#error-title")).to_have_text("state does not match")
    assert page.evaluate("() => sessionStorage.length") == 0  # the verifier is gone all the same
    assert [e for e in provider_log if e["path"] == "/oauth2/token"] == []
    page.wait_for_load_state("networkidle")


def test_provider_error_is_shown_as_text(stack, page: Page):
    payload = "<img src=x id=injected>"
    page.goto(stack.url + "/spa/callback?error=access_denied&error_description=" + payload.replace(" ", "%20"))
    expect(page.locator("#error-title")).to_have_text("The provider returned error=access_denied")
    expect(page.locator("#error-detail")).to_have_text(payload)
    assert page.locator("#injected").count() == 0
    page.wait_for_load_state("networkidle")


def test_presenter_mode_pauses_the_browser_only_flow(stack, page: Page):
    provider_log: list[dict] = []
    stack.provider_server.app = recorder(stack.provider_server.app, provider_log)
    page.goto(stack.url + "/presenter?on=1&next=/spa")
    page.locator("#spa-start").click()
    screen = page.locator("#presenter")
    expect(screen).to_be_visible()
    expect(screen.locator("h1")).to_have_text("Send the browser to the authorize endpoint (browser-only flow)")
    expect(screen.locator('[data-param="code_challenge_method"]')).to_contain_text("S256")
    assert page.url == stack.url + "/spa"  # paused: nothing sent yet
    screen.locator("#continue").click()
    sign_in(page, stack)
    expect(screen.locator("h1")).to_have_text("Trade the code at the token endpoint, from this page")
    expect(screen.locator('[data-param="code_verifier"] .meaning')).to_contain_text("PKCE")
    assert [e for e in provider_log if e["path"] == "/oauth2/token"] == []
    screen.locator("#continue").click()
    expect(page.locator("#spa")).to_have_attribute("data-verified", "true")
    page.locator("#spa-refresh").click()
    expect(screen.locator('[data-param="refresh_token"]')).to_contain_text("$REFRESH_TOKEN")
    screen.locator("#continue").click()
    expect(page.locator("#spa")).to_have_attribute("data-refreshed", "true")
