"""What a live demo does to a browser (issue 23): the other loopback name, reloads, Back, two tabs.
Real Chromium against the app and the local provider on loopback ports."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import sign_in

pytestmark = pytest.mark.browser


def other_loopback_name(url: str) -> str:
    """`url` with its loopback host swapped (127.0.0.1 <-> localhost): the same server, another cookie jar."""
    parts = urlsplit(url)
    other = "localhost" if parts.hostname == "127.0.0.1" else "127.0.0.1"
    return f"{parts.scheme}://{other}:{parts.port}"


def test_opened_at_the_other_loopback_name_the_sign_in_still_works(stack, page: Page):
    """APP_URL is 127.0.0.1 here; the presenter types localhost. The sign-in moves to APP_URL's host
    before it starts, so the callback finds its state (before: "Unknown or already used state")."""
    page.goto(other_loopback_name(stack.url) + "/")
    page.get_by_role("link", name="Sign in (authorization code)").click()
    sign_in(page, stack)
    expect(page).to_have_url(stack.url + "/dashboard")
    expect(page.locator("h1")).to_contain_text("Signed in as demo")
