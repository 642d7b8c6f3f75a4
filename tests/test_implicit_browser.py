"""The implicit page in headless Chromium: fragment handling, verification, errors, CSP."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import ON_BOTH_CHROMIUMS, sign_in, watch_console

pytestmark = pytest.mark.browser


def no_tokens_kept(page: Page) -> None:
    assert page.evaluate("() => window.localStorage.length + window.sessionStorage.length") == 0
    assert "eyJ" not in page.evaluate("() => document.cookie")
    assert "eyJ" not in page.locator("#tokens").inner_html()


@ON_BOTH_CHROMIUMS
def test_implicit_flow_strips_fragment_and_verifies(stack, page: Page):
    errors = watch_console(page)
    requests_seen: list[str] = []
    page.on("request", lambda r: requests_seen.append(r.url))
    page.goto(stack.url + "/")
    page.get_by_role("link", name="Sign in with implicit (legacy)").click()
    sign_in(page, stack)

    expect(page.locator("#implicit")).to_have_attribute("data-verified", "true")
    assert page.url == stack.url + "/implicit/callback"  # fragment gone from the address bar
    assert page.evaluate("() => location.hash") == ""
    expect(page.locator("#token-id .pill")).to_have_text("verified")
    expect(page.locator("#token-access .pill")).to_have_text("verified")
    for check in ("signature", "iss", "aud", "token_use", "exp", "iat", "nonce", "at_hash"):
        expect(page.locator(f'#token-id [data-check="{check}"]')).to_have_class("check ok")
    expect(page.locator('#token-id [data-claim="cognito:username"]')).to_contain_text("demo")
    expect(page.locator('#token-id [data-claim="exp"] .time')).to_contain_text("in 60 min")
    expect(page.locator('#token-id [data-claim="nonce"]')).to_contain_text("authorize request")
    # tokens went nowhere but the verify endpoint, and nothing was persisted in the browser
    verify_calls = [u for u in requests_seen if "/api/" in u]
    assert verify_calls == [stack.url + "/api/implicit/verify"]
    assert not any(
        "access_token" in u or "id_token=" in u for u in requests_seen if u.startswith(stack.url + "/static")
    )
    assert page.evaluate("() => window.localStorage.length + window.sessionStorage.length") == 0
    assert errors == []


def _fragment_page(page: Page, stack, fragment: str) -> None:
    page.goto(stack.url + "/implicit/callback#" + fragment)
    expect(page.locator("#error")).to_be_visible()
    assert page.evaluate("() => location.hash") == ""


def test_state_mismatch_discards_tokens(stack, page: Page, http):
    fragment = stack.implicit_fragment(http)  # real tokens, from another browser's transaction
    page.goto(stack.url + "/")
    _fragment_page(page, stack, f"id_token={fragment['id_token']}&access_token={fragment['access_token']}&state=wrong")
    expect(page.locator("#error-title")).to_have_text("Server-side verification failed")
    expect(page.locator("#error-detail")).to_contain_text("state")
    no_tokens_kept(page)


def test_missing_state_discards_tokens_without_posting(stack, page: Page, http):
    fragment = stack.implicit_fragment(http)
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    _fragment_page(page, stack, f"id_token={fragment['id_token']}&access_token={fragment['access_token']}")
    expect(page.locator("#error-title")).to_have_text("No state in the fragment")
    assert posts == []
    no_tokens_kept(page)


def test_tampered_token_discards_tokens(stack, page: Page):
    original = stack.pool.implicit_tokens

    def tampered(*args, **kwargs):
        out = original(*args, **kwargs)
        head, payload, sig = out["id_token"].split(".")
        out["id_token"] = f"{head}.{payload}.{sig[:-6]}AAAAAA"
        return out

    stack.pool.implicit_tokens = tampered
    page.goto(stack.url + "/implicit")
    sign_in(page, stack)
    expect(page.locator("#error")).to_be_visible()
    expect(page.locator("#error-detail")).to_contain_text("signature")
    no_tokens_kept(page)


def test_error_in_fragment_is_rendered_as_text(stack, page: Page):
    payload = "<img src=x id=injected>"
    _fragment_page(page, stack, "error=access_denied&error_description=" + payload.replace(" ", "%20") + "&state=s")
    expect(page.locator("#error-title")).to_have_text("The provider returned error=access_denied")
    expect(page.locator("#error-detail")).to_have_text(payload)
    assert page.locator("#injected").count() == 0
    no_tokens_kept(page)


def test_error_in_query_is_handled_too(stack, page: Page):
    page.goto(stack.url + "/implicit/callback?error=unauthorized_client&state=s")
    expect(page.locator("#error-title")).to_have_text("The provider returned error=unauthorized_client")
    assert page.url == stack.url + "/implicit/callback"


def test_csp_blocks_injected_inline_script(stack, page: Page):
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto(stack.url + "/implicit/callback")
    page.evaluate(
        """() => { const s = document.createElement('script');
                   s.textContent = 'window.__pwned = true';
                   document.body.appendChild(s); }"""
    )
    page.wait_for_timeout(100)
    assert page.evaluate("() => window.__pwned") is None
    assert violations, "Chromium reported no CSP violation"


def test_compare_page_after_both_flows(stack, page: Page):
    page.goto(stack.url + "/compare")
    expect(page.locator("#compare")).to_contain_text("not run yet in this session")
    page.locator("#run-code").click()
    sign_in(page, stack)
    expect(page).to_have_url(stack.url + "/compare")
    page.locator("#run-implicit").click()  # the provider session skips the form (SSO)
    expect(page.locator("#implicit")).to_have_attribute("data-verified", "true")
    page.goto(stack.url + "/compare")
    page.locator("#run-spa").click()  # the third column: code + PKCE in the browser
    page.locator("#spa-start").click()
    expect(page.locator("#spa")).to_have_attribute("data-verified", "true")
    page.goto(stack.url + "/compare")
    table = page.locator("#compare")
    expect(table).not_to_contain_text("not run yet")
    expect(table).to_contain_text("access_token, id_token, refresh_token")
    expect(table).to_contain_text("access_token, id_token (no refresh token)")
    expect(table).to_contain_text("front channel")
    expect(table).to_contain_text("back channel")
    expect(table).to_contain_text("page memory")
    expect(table).to_contain_text("yes, client_secret_basic")
    expect(table).to_contain_text("from the browser: a cross-origin POST to the token endpoint")
    expect(page.locator(".seq")).to_have_count(3)
