"""Refresh, sign out, then sign in as someone else, in headless Chromium."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import sign_in

pytestmark = pytest.mark.browser


def test_refresh_logout_and_switch_user(stack, page: Page):
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(stack.url + "/login")
    sign_in(page, stack, "demo", "FlowLab-demo-1")
    expect(page.locator("h1")).to_contain_text("Signed in as demo")

    page.get_by_role("button", name="Refresh tokens").click()
    expect(page.locator("#rotated")).to_contain_text("not rotated")
    expect(page.locator('#last-refresh [data-diff="ID token"] tr[data-claim="auth_time"]')).to_have_class("same")
    expect(page.locator("#token-id .pill")).to_have_text("verified")

    page.get_by_role("button", name="Sign out").click()
    expect(page.locator(".notice")).to_contain_text("You are signed out")
    assert stack.pool.sessions == {}  # the provider's session ended too

    page.goto(stack.url + "/login")
    sign_in(page, stack, "demo", "FlowLab-demo-1")
    page.get_by_role("button", name="Sign in as someone else").click()
    sign_in(page, stack, "alice", "FlowLab-alice-1")
    expect(page.locator("h1")).to_contain_text("Signed in as alice")
    assert errors == []
