"""Raw tokens on demand: Reveal (POST + anti-forgery token), the shortened token-endpoint answer with
the refresh token never shown, on the dashboard and /machine; and in Chromium, copy and the countdown."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from local_cognito.settings import DEMO_PASSWORD, DEMO_USERNAME
from tests.support import csrf_of, script_csrf_of


def remaining(countdown: Locator) -> int:
    """The seconds a countdown element says are left."""
    value = countdown.get_attribute("data-remaining")
    assert value is not None, "the countdown carries no data-remaining"
    return int(value)


def reveal(stack, http, which: str, csrf: str):
    return http.post(stack.url + "/api/tokens/reveal", json={"which": which}, headers={"X-CSRF-Token": csrf})


def test_dashboard_keeps_tokens_server_side_until_revealed(stack, http):
    captured: dict = {}
    stack.rewriter.rewrite = lambda body: captured.update(body) or body
    stack.login(http)
    page = http.get(stack.url + "/dashboard").text
    for name in ("id_token", "access_token", "refresh_token"):
        assert captured[name] not in page, name
    assert "backend-for-frontend" in page and "keeps the tokens on the server" in page
    assert captured["access_token"][:12] + "…" + captured["access_token"][-4:] in page  # the raw answer, shortened
    assert '"refresh_token": "(present: kept server-side, never shown)"' in page.replace("&#34;", '"')
    assert '"expires_in": 3600' in page.replace("&#34;", '"')
    csrf = script_csrf_of(page)
    assert reveal(stack, http, "id", csrf).json() == {"token": captured["id_token"]}
    assert reveal(stack, http, "access", csrf).json() == {"token": captured["access_token"]}
    assert reveal(stack, http, "refresh", csrf).status_code == 400
    assert reveal(stack, http, "machine", csrf).status_code == 404
    assert http.post(stack.url + "/api/tokens/reveal", json={"which": "id"}).status_code == 403
    response = http.post(
        stack.url + "/api/tokens/reveal",
        json={"which": "id"},
        headers={"X-CSRF-Token": csrf, "Origin": "https://evil.example"},
    )
    assert response.status_code == 403


def test_raw_answer_follows_a_refresh(stack, http):
    stack.pool_config["clients"][0]["RefreshTokenRotation"] = {"Feature": "ENABLED"}
    stack.login(http)
    csrf = script_csrf_of(http.get(stack.url + "/dashboard").text)
    before = reveal(stack, http, "access", csrf).json()["token"]
    response = http.post(stack.url + "/refresh", headers={"X-CSRF-Token": csrf}, allow_redirects=False)
    assert response.status_code in (302, 303)
    page = http.get(stack.url + "/dashboard").text
    after = reveal(stack, http, "access", csrf).json()["token"]
    assert after != before and after[:12] + "…" + after[-4:] in page
    assert "never shown" in page  # a rotated refresh token is hidden all the same


def test_reveal_needs_a_session(stack, http):
    page = http.get(stack.url + "/inspect").text
    csrf = csrf_of(page)
    assert reveal(stack, http, "access", csrf).status_code == 404
    assert reveal(stack, http, "nothing", csrf).status_code == 400


@pytest.mark.browser
def test_reveal_copy_and_countdown_in_the_browser(stack, page: Page, context):
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=stack.url)
    page.goto(stack.url + "/login")
    page.get_by_label("Username").fill(DEMO_USERNAME)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(stack.url + "/dashboard")
    countdown = page.locator("#access-countdown")
    expect(countdown).to_have_text(re.compile(r"^expires in (59:5\d|1:00:00)$"))
    first = remaining(countdown)
    page.wait_for_timeout(1100)
    assert remaining(countdown) < first  # live

    card = page.locator('.raw-token[data-which="access"]')
    assert "eyJ" not in card.inner_text()
    card.get_by_role("button", name="Reveal the access token").click()
    expect(card).to_have_attribute("data-revealed", "true")
    for part in ("header", "payload", "signature"):
        expect(card.locator(f".seg-{part}")).to_have_count(1)
    card.get_by_role("button", name="Copy").click()
    expect(card.locator(".copied")).to_have_text("Copied.")
    copied = page.evaluate("() => navigator.clipboard.readText()")
    assert copied == card.locator("pre").inner_text()
    assert copied.count(".") == 2 and copied.startswith("eyJ")


@pytest.mark.browser
def test_machine_page_reveal_in_the_browser(stack, page: Page):
    page.goto(stack.url + "/login")  # the machine page is for signed-in users (issue 11)
    page.get_by_label("Username").fill(DEMO_USERNAME)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(stack.url + "/dashboard")
    page.goto(stack.url + "/machine")
    page.get_by_role("button", name="Get a token").click()
    expect(page.locator("#machine-result")).to_be_visible()
    expect(page.locator("#access-countdown")).to_contain_text("expires in")
    card = page.locator('.raw-token[data-which="machine"]')
    card.get_by_role("button", name="Reveal the access token").click()
    expect(card).to_have_attribute("data-revealed", "true")
    expect(page.locator("#token-response")).to_contain_text('"token_type": "Bearer"')
