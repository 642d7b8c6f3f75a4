"""Issue 19, the third attack pass, in headless Chromium: what a projector shows on the browser-only
flow's pauses (item 1, with issue 23 item 1: the whole pause on the first screen, where you clicked),
and a sign-in form posted from another port of the same host (item 5a)."""

from __future__ import annotations

import html

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
        "client_id": stack.settings.client_id,
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
