"""The authorize panel in headless Chromium: the live preview is exactly the URL the browser is sent to."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from local_cognito.settings import DEMO_PASSWORD, DEMO_USERNAME

pytestmark = pytest.mark.browser


def test_preview_equals_the_url_sent(stack, page: Page):
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    sent: list[str] = []
    page.on(
        "request", lambda r: sent.append(r.url) if r.url.startswith(stack.provider_url + "/oauth2/authorize") else None
    )
    page.goto(stack.url + "/")
    page.locator("#signin-panel").click()
    form = page.locator("#authorize-panel")
    expect(form).to_have_attribute("data-ready", "true")
    preview = page.locator("#authorize-preview")
    expect(preview).to_contain_text("scope=openid+email+profile")

    page.locator('input[name="scope"][value="profile"]').uncheck()
    page.locator('input[name="scope"][value="flowlab-api/read"]').check()  # allowed; phone is refused now
    page.locator("#prompt-login").check()  # a radio each: no option text cut (issue 23.11)
    page.locator("#lang").select_option("fr")
    page.locator("#identity_provider").fill("COGNITO")
    page.locator("#login_hint").fill("demo+x ~*@example.com")
    expect(preview).to_contain_text("login_hint=demo%2Bx+%7E*%40example.com")
    expect(preview).to_contain_text("scope=openid+email+flowlab-api%2Fread")
    expect(page.locator('tr[data-param="prompt"] .value')).to_have_text("login")
    expect(page.locator('tr[data-param="idp_identifier"] .value')).to_have_text("(not sent)")
    shown = preview.inner_text()
    assert "code_challenge_method=S256" in shown and "state=" in shown and "nonce=" in shown

    page.locator("#authorize-send").click()
    expect(page).to_have_url(re.compile(re.escape(stack.provider_url + "/login?")))
    assert sent[0] == shown  # byte for byte

    # switching to implicit drops PKCE and changes the redirect URI in the preview
    page.goto(stack.url + "/authorize-request")
    page.locator("#response_type-token").check()
    expect(preview).not_to_contain_text("code_challenge")
    expect(preview).to_contain_text("response_type=token")
    expect(preview).to_contain_text("implicit%2Fcallback")
    assert errors == []


def test_unauthorized_client_is_explained_on_the_implicit_page(stack, page: Page):
    stack.pool_config["clients"][0]["allowed_flows"] = ["code"]
    page.goto(stack.url + "/authorize-request")
    page.locator("#response_type-token").check()
    page.locator("#authorize-send").click()
    expect(page.locator("#error-title")).to_have_text("The provider returned error=unauthorized_client")
    expect(page.locator("#error-hint")).to_contain_text("response_type=token needs the implicit grant")
    page.wait_for_load_state("networkidle")


def test_sign_in_through_the_panel(stack, page: Page):
    page.goto(stack.url + "/authorize-request")
    page.locator("#authorize-send").click()
    page.get_by_label("Username").fill(DEMO_USERNAME)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(stack.url + "/dashboard")
