"""Helpers for the Chromium tests: signing in at the local provider's form, and catching page errors."""

from __future__ import annotations

import re
from typing import TypedDict

from playwright.sync_api import Page, ViewportSize, expect

from local_cognito.settings import DEMO_PASSWORD, DEMO_USERNAME


class Screen(TypedDict):
    """The demo sizes, as `browser.new_context` keywords."""

    viewport: ViewportSize
    device_scale_factor: float


PROJECTOR: Screen = {"viewport": {"width": 1024, "height": 768}, "device_scale_factor": 1.5}
LAPTOP: Screen = {"viewport": {"width": 1280, "height": 800}, "device_scale_factor": 1}
SCREENS: dict[str, Screen] = {"projector": PROJECTOR, "laptop": LAPTOP}


def sign_in(page: Page, stack, username: str = DEMO_USERNAME, password: str = DEMO_PASSWORD) -> None:
    """The browser is at the provider's sign-in form: fill it in and submit."""
    expect(page).to_have_url(re.compile(re.escape(stack.provider_url + "/login?")))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def watch_console(page: Page) -> list[str]:
    """Console errors and uncaught page errors, collected as they happen."""
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return errors
