"""A real sign-in in headless Chromium (Debian's /usr/bin/chromium through Playwright)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from local_cognito.settings import DEMO_PASSWORD, DEMO_USERNAME

pytestmark = pytest.mark.browser


def test_sign_in_through_the_login_page_and_read_the_dashboard(stack, page: Page):
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(stack.url + "/")
    page.get_by_role("link", name="Sign in with authorization code + PKCE").click()

    expect(page).to_have_url(re.compile(re.escape(stack.provider_url + "/login?")))
    page.get_by_label("Username").fill(DEMO_USERNAME)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page).to_have_url(stack.url + "/dashboard")
    expect(page.locator("h1")).to_contain_text("Signed in as demo")
    id_card = page.locator("#token-id")
    expect(id_card.locator(".pill.ok")).to_have_text("verified")
    for check in ("signature", "iss", "aud", "token_use", "exp", "iat", "nonce", "at_hash"):
        expect(id_card.locator(f'[data-check="{check}"]')).to_have_class("check ok")
    expect(page.locator('#token-access [data-check="client_id"]')).to_have_class("check ok")
    expect(id_card.locator('[data-claim="exp"] .time')).to_contain_text("in 60 min")
    expect(page.locator("#refresh-token")).to_contain_text("present")
    assert stack.settings.client.client_secret not in page.content()
    assert errors == []

    page.get_by_role("button", name="Sign out").click()
    expect(page.locator(".notice")).to_contain_text("signed out")
    page.goto(stack.url + "/dashboard")
    expect(page.locator(".notice")).to_contain_text("Sign in first")
