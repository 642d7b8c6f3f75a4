"""Custom scopes on the screens, in headless Chromium on a projector (1024x768 at 1.5x): a sign-in from the
authorize panel with flowlab-api/read shows it in the access token's scope and the API takes the token; a
sign-in without it gets the API's 403 with the missing scope named, on the first screen."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, expect

from tests.support.browser import PROJECTOR, sign_in, watch_console
from tests.test_custom_scopes import SCOPE, allow_custom_scope
from tests.test_rotation_browser import on_screen

pytestmark = pytest.mark.browser


def test_a_custom_scope_from_the_panel_and_the_403_without_it(make_stack, browser: Browser):
    stack = make_stack({"API_REQUIRED_SCOPE": SCOPE})
    allow_custom_scope(stack)
    context = browser.new_context(**PROJECTOR)
    page = context.new_page()
    errors = watch_console(page)
    page.goto(stack.url + "/authorize-request")
    page.locator(f'input[name="scope"][value="{SCOPE}"]').check()
    page.locator("#authorize-send").click()
    sign_in(page, stack)
    scope = page.locator('#token-access tr[data-claim="scope"]')
    expect(scope.locator("code.value")).to_contain_text(SCOPE)
    expect(scope).to_contain_text(f"Custom scopes of a resource server: {SCOPE}")
    page.get_by_role("button", name="Call the API with the access token").click()
    expect(page.locator("#api-response")).to_contain_text("HTTP 200")
    expect(page.locator("#api-scope-refusal")).to_have_count(0)

    page.goto(stack.url + "/login")  # signed in again with the app's default scopes (the provider's SSO)
    expect(page.locator("h1")).to_contain_text("Signed in as demo")
    expect(page.locator('#token-access tr[data-claim="scope"] code.value')).not_to_contain_text(SCOPE)
    page.get_by_role("button", name="Call the API with the access token").click()
    refusal = page.locator("#api-scope-refusal")
    expect(refusal).to_contain_text(
        re.compile(rf"The API requires\s+{re.escape(SCOPE)};\s+this access token's\s+scope is")
    )
    expect(refusal.locator("code.missing-scope")).to_have_text(SCOPE)
    on_screen(page, refusal.locator("p").first)
    context.close()
    assert errors == []
