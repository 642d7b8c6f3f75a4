"""A real sign-in in headless Chromium (Debian's Chromium through Playwright: its headless shell, or the
full browser with TEST_CHROMIUM=/usr/bin/chromium; tests/conftest.py chromium_for_tests)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from local_cognito.settings import DEMO_PASSWORD, DEMO_USERNAME
from tests.support.browser import FULL_CHROMIUM, ON_BOTH_CHROMIUMS, chromium_for_tests

pytestmark = pytest.mark.browser


@ON_BOTH_CHROMIUMS
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


def test_the_browser_driven_is_the_same_chromium_build_as_debians_full_browser(browser: Browser):
    """The headless shell the suite drives by default is Debian's Chromium of the same version as the full
    browser (`chromium --version`), not another engine."""
    if not Path(FULL_CHROMIUM).exists():
        pytest.fail(f"{FULL_CHROMIUM} is missing: `make test` installs it (scripts/system-deps.sh)")
    full = subprocess.run([FULL_CHROMIUM, "--version"], capture_output=True, text=True, timeout=60).stdout
    assert re.search(r"\b" + re.escape(browser.version) + r"\b", full), (browser.version, full)


def test_test_chromium_chooses_the_browser_and_a_wrong_one_is_named(tmp_path):
    assert chromium_for_tests({"TEST_CHROMIUM": FULL_CHROMIUM}) == FULL_CHROMIUM
    not_a_program = tmp_path / "chromium"
    not_a_program.write_text("")
    with pytest.raises(AssertionError, match=r"TEST_CHROMIUM=.* is not an executable"):
        chromium_for_tests({"TEST_CHROMIUM": str(not_a_program)})
