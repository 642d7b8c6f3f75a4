"""What a live demo does to a browser (issue 23): the other loopback name, reloads, Back, two tabs.
Real Chromium against the app and the local provider on loopback ports."""

from __future__ import annotations

import re
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
    page.get_by_role("link", name="Sign in with authorization code + PKCE").click()
    sign_in(page, stack)
    expect(page).to_have_url(stack.url + "/dashboard")
    expect(page.locator("h1")).to_contain_text("Signed in as demo")


def test_back_after_sign_in_and_signing_in_again_lands_on_the_dashboard(stack, page: Page):
    """Back from the dashboard shows the provider's form of the sign-in that just completed; signing in
    there brings a new code for a used state. The app recognises its own completed sign-in and lands
    on the dashboard with one sentence (before: "Unknown or already used state")."""
    page.goto(stack.url + "/")
    page.get_by_role("link", name="Sign in with authorization code + PKCE").click()
    sign_in(page, stack)
    expect(page).to_have_url(stack.url + "/dashboard")
    page.go_back()
    sign_in(page, stack)
    expect(page).to_have_url(stack.url + "/dashboard?already=1")
    expect(page.locator("#already-signed-in")).to_have_text(
        "You were already signed in: the sign-in form you went back to belonged to this sign-in, which had "
        "completed, so the provider's new code was not used."
    )
    expect(page.locator("h1")).to_contain_text("Signed in as demo")
    assert len(stack.steps("token")) == 1


def test_two_tabs_on_the_sign_in_form_both_sign_in(stack, page: Page):
    """Two tabs each open the provider's sign-in form, then each signs in: both land on the dashboard
    (before: both failed, each tab's form replaced the other's anti-forgery cookie)."""
    first = page
    second = page.context.new_page()
    for tab in (first, second):
        tab.goto(stack.url + "/")
        tab.get_by_role("link", name="Sign in with authorization code + PKCE").click()
        expect(tab).to_have_url(re.compile(re.escape(stack.provider_url + "/login?")))
    sign_in(first, stack)
    expect(first).to_have_url(stack.url + "/dashboard")
    sign_in(second, stack, "alice", "FlowLab-alice-1")
    expect(second).to_have_url(stack.url + "/dashboard")
    expect(second.locator("h1")).to_contain_text("Signed in as alice")


def test_reloading_the_implicit_callback_says_the_sign_in_completed(stack, page: Page):
    """The fragment is gone from the address bar after the first load, so a reload has no tokens: say
    it was a reload of a completed sign-in, and link to its result (before: "Was openid in the scope?")."""
    page.goto(stack.url + "/")
    page.get_by_role("link", name="Sign in with implicit (legacy)").click()
    sign_in(page, stack)
    expect(page.locator("#implicit")).to_have_attribute("data-verified", "true")
    page.reload()
    expect(page.locator("#error-title")).to_have_text("This page was reloaded: the sign-in already completed")
    expect(page.locator("#error-detail")).to_contain_text("its tokens verified")
    expect(page.locator("#error-detail")).not_to_contain_text("openid")
    result = page.locator("#error-result")
    expect(result).to_have_attribute("href", "/compare")
    assert page.evaluate("() => window.localStorage.length + window.sessionStorage.length") == 0


def test_reloading_the_spa_callback_says_the_sign_in_completed(stack, page: Page):
    """The transaction left this tab's sessionStorage when the callback first ran: a reload is said to
    be one, with a link to the result (before: "No sign-in was started in this tab")."""
    page.goto(stack.url + "/spa")
    page.locator("#spa-start").click()
    sign_in(page, stack)
    expect(page.locator("#spa")).to_have_attribute("data-verified", "true")
    page.reload()
    expect(page.locator("#error-title")).to_have_text("This page was reloaded: the sign-in already completed")
    expect(page.locator("#error-detail")).not_to_contain_text("No sign-in was started")
    expect(page.locator("#error-result")).to_have_attribute("href", "/compare")


PROJECTOR = {"viewport": {"width": 1024, "height": 768}, "device_scale_factor": 1.5}


def test_the_exchange_pause_counts_the_code_down_on_a_projector(stack, browser):
    """The code's remaining life is on the pause's first screen, beside Continue, and runs out live
    (the page's clock is fast-forwarded: no waiting)."""
    context = browser.new_context(**PROJECTOR)
    page = context.new_page()
    page.clock.install()
    page.goto(stack.url + "/presenter?on=1&next=/login")
    page.locator("#continue").click()
    sign_in(page, stack)
    expect(page.locator("#presenter h1")).to_have_text("Exchange the code for tokens")
    clock = page.locator("#code-clock")
    expect(clock).to_contain_text(re.compile(r"The code expires in [45]:\d\d"))
    for element in (clock, page.locator("#continue")):
        box = element.bounding_box()
        assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= 768, box
    page.clock.fast_forward("05:01")
    expect(clock).to_have_text("The code has expired: Continue will be refused; sign in again.")
    context.close()
