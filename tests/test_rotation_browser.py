"""Refresh-token rotation on the dashboard, in headless Chromium on a projector (1024x768 at 1.5x): the two
tokens told apart, the grace counted down (the page's clock fast-forwarded: no waiting), and the replay's
refusal, each on the first screen the refresh lands on."""

from __future__ import annotations

import re
import time
import types

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.support.browser import PROJECTOR, sign_in, watch_console
from tests.test_rotation import rotate

pytestmark = pytest.mark.browser


def on_screen(page: Page, locator: Locator) -> None:
    """Inside the visible screen, wherever the page is scrolled to (the refresh lands on #lifecycle)."""
    expect(locator).to_be_visible()
    box = locator.bounding_box()
    assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= 768, box


def test_rotation_grace_and_replay_on_a_projector(make_stack, browser: Browser, monkeypatch):
    stack = make_stack(refresh_token_grace_seconds=30)
    rotate(stack, 30)
    context = browser.new_context(**PROJECTOR)
    page = context.new_page()
    errors = watch_console(page)
    page.clock.install()
    page.goto(stack.url + "/login")
    sign_in(page, stack)
    page.get_by_role("button", name="Refresh tokens").click()
    panel = page.locator("#rotation")
    old, new = panel.locator("#rotation-old"), panel.locator("#rotation-new")
    expect(old).to_have_text(re.compile(r"^…[0-9a-f]{4}$"))
    expect(new).to_have_text(re.compile(r"^…[0-9a-f]{4}$"))
    assert old.inner_text() != new.inner_text()
    countdown, button = page.locator("#grace-countdown"), page.locator("#replay-old")
    expect(countdown).to_have_text(re.compile(r"^(30|29|28) s left$"))
    expect(button).to_be_disabled()
    for element in (old, countdown, button):
        on_screen(page, element)
    page.clock.fast_forward("00:31")
    expect(countdown).to_have_text("The grace is over: the provider now refuses the old token.")
    expect(button).to_be_enabled()
    real, provider = time.time, stack.pool.clock  # the server and the provider are 31 s on, too
    monkeypatch.setattr("flows.context.time", types.SimpleNamespace(time=lambda: real() + 31))
    stack.pool.clock = lambda: provider() + 31
    button.click()
    result = page.locator("#replay-result")
    expect(result).to_contain_text("refused by the provider, HTTP 400 invalid_grant")
    on_screen(page, result)
    expect(page.locator("#replay-old")).to_have_count(0)  # the old token is gone: nothing left to replay
    context.close()
    assert errors == []
