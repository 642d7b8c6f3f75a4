"""Issue 19, the third attack pass, in headless Chromium: what a projector shows on the browser-only
flow's pauses (item 1, with issue 23 item 1: the whole pause on the first screen, where you clicked),
and a sign-in form posted from another port of the same host (item 5a)."""

from __future__ import annotations

import html
import re

import pytest
from playwright.sync_api import Page, expect

from tests.support import LiveServer, answer
from tests.support.browser import sign_in

pytestmark = pytest.mark.browser


# -- 5(a). a page on another port plants the XSRF cookie and posts the provider's sign-in form ---------


def attacker_page(stack, username: str, password: str) -> str:
    """A page on another port of 127.0.0.1 that signs its visitor in to the provider as `username`."""
    fields = {
        "response_type": "code",
        "client_id": stack.settings.client.client_id,
        "redirect_uri": stack.url + "/callback",
        "scope": "openid",
        "state": "attacker",
        "code_challenge": "a" * 43,
        "code_challenge_method": "S256",
        "_csrf": "planted",
        "username": username,
        "password": password,
    }
    inputs = "".join(f'<input type="hidden" name="{k}" value="{html.escape(v)}">' for k, v in fields.items())
    return (
        "<!doctype html><title>free stickers</title>"
        f'<form id="f" method="post" action="{stack.provider_url}/login">{inputs}</form>'
        # cookies ignore ports: this sets the provider's XSRF cookie for 127.0.0.1
        '<script>document.cookie = "XSRF-TOKEN=planted; path=/"; document.getElementById("f").submit();</script>'
    )


def test_5a_a_page_on_another_port_cannot_sign_the_visitor_in_as_someone_else(stack, page: Page):
    evil = LiveServer(answer(attacker_page(stack, "alice", "FlowLab-alice-1"), mimetype="text/html"))
    try:
        page.goto(evil.url + "/")
        expect(page.locator("body")).to_contain_text("posted from another page")
        assert page.url.startswith(stack.provider_url + "/login")
        # the victim then signs in to the app: the provider asks who they are (no session for alice)
        page.goto(stack.url + "/login")
        sign_in(page, stack)
        expect(page.locator("h1")).to_contain_text("Signed in as demo")
    finally:
        evil.stop()


# -- 1 and issue 23.1: the browser-only flow's pauses on a projector -----------------------------------

SIZES = {
    "projector": {"viewport": {"width": 1024, "height": 768}, "device_scale_factor": 1.5},
    "laptop": {"viewport": {"width": 1280, "height": 800}, "device_scale_factor": 1},
}


def whole_pause_on_screen(page: Page) -> None:
    """The pause is open and all of it is on the screen as it is now (no scrolling needed): heading,
    every parameter row, what happens next, and Continue."""
    screen = page.locator("#presenter")
    expect(screen).to_be_visible()
    height = page.viewport_size["height"] if page.viewport_size else 0
    parts = (screen.locator("h1"), screen.locator("tr").last, screen.locator(".expect"), screen.locator("#continue"))
    for part in parts:
        box = part.bounding_box()
        assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height, (part, box, height)
    assert screen.evaluate("e => e.scrollHeight <= e.clientHeight"), "the pause does not fit one screen"


@pytest.fixture(params=sorted(SIZES))
def screen(request, browser):
    """A page at each demo size: a 1024x768 projector at 1.5x, and a 1280x800 laptop."""
    context = browser.new_context(**SIZES[request.param])
    yield context.new_page()
    context.close()


def test_1_the_exchange_pause_shows_placeholders_until_revealed_with_a_warning(stack, screen: Page):
    page = screen
    page.goto(stack.url + "/presenter?on=1&next=/spa")
    page.locator("#spa-start").click()
    whole_pause_on_screen(page)
    page.locator("#continue").click()
    sign_in(page, stack)
    pause = page.locator("#presenter")
    expect(pause.locator("h1")).to_have_text("Trade the code at the token endpoint, from this page")
    whole_pause_on_screen(page)
    code = pause.locator('[data-param="code"] td code')
    verifier = pause.locator('[data-param="code_verifier"] td code')
    expect(code).to_have_text("$CODE")
    expect(verifier).to_have_text("$CODE_VERIFIER")
    shown = pause.inner_text()
    assert not re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-", shown)  # no code (a UUID) anywhere on the screen
    # the verifier is the browser's to send in this flow: no "back channel" here
    meaning = pause.locator('[data-param="code_verifier"] .meaning')
    expect(meaning).to_contain_text("PKCE")
    expect(meaning).to_contain_text("this page sends it")
    expect(pause).not_to_contain_text("back channel")
    expect(pause.locator("#reveal-live")).to_contain_text("live")
    pause.locator("#reveal-live").click()
    expect(pause.locator("#live-warning")).to_be_visible()
    expect(pause.locator("#live-warning")).to_contain_text("can redeem")
    expect(code).not_to_have_text("$CODE")
    assert re.fullmatch(r"[0-9a-f-]{36}", code.inner_text())
    assert len(verifier.inner_text()) >= 43
    whole_pause_on_screen(page)
    page.locator("#continue").click()
    expect(page.locator("#spa")).to_have_attribute("data-verified", "true")


def test_23_1_refresh_and_revoke_pause_where_you_clicked(stack, screen: Page):
    page = screen
    page.goto(stack.url + "/presenter?on=1&next=/spa")
    page.locator("#spa-start").click()
    page.locator("#continue").click()
    sign_in(page, stack)
    page.locator("#continue").click()
    root = page.locator("#spa")
    expect(root).to_have_attribute("data-verified", "true")
    for button, done in (("#spa-refresh", "data-refreshed"), ("#spa-revoke", "data-revoked")):
        target = page.locator(button)
        # the buttons sit on the first screen since issue 23.9; scroll the page under them so that a pause
        # opening anywhere but where you clicked would show
        target.evaluate("e => window.scrollTo(0, e.getBoundingClientRect().top + window.scrollY - 120)")
        scrolled = page.evaluate("() => window.scrollY")
        assert scrolled > 0
        target.click()
        whole_pause_on_screen(page)
        assert page.evaluate("() => window.scrollY") == scrolled  # the page did not jump away
        expect(page.locator("#presenter")).to_contain_text("$REFRESH_TOKEN")
        page.locator("#continue").click()
        expect(root).to_have_attribute(done, "true")
        expect(page.locator("#presenter")).to_be_hidden()
