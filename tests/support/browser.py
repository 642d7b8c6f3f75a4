"""Helpers for the Chromium tests: which Chromium they drive, signing in at the local provider's form, and
catching page errors."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import TypedDict

import pytest
from playwright.sync_api import Page, ViewportSize, expect

from local_cognito.settings import DEMO_PASSWORD, DEMO_USERNAME

FULL_CHROMIUM = "/usr/bin/chromium"
HEADLESS_SHELL = "/usr/bin/chromium-headless-shell"


def chromium_for_tests(environ: Mapping[str, str] = os.environ) -> str:
    """The Chromium the browser tests drive: TEST_CHROMIUM when set, else Debian's headless shell (package
    chromium-headless-shell, which `make test` installs), else the full browser.

    The shell is the same Chromium 156 build (its Blink and V8) without the full browser's windowing and UI
    layers: Chromium's "old headless", which Playwright's own downloads use for headless runs. Measured
    here it spends about half the CPU per page (the ~90 browser tests: 138 s -> 70 s on 2 cores). Puppeteer's
    guide warns it "does not match the behavior of the regular Chrome completely", so the suite is also run
    on the full browser before a change lands (`TEST_CHROMIUM=/usr/bin/chromium make test`; both pass), and
    the screenshots in docs/ are taken with it (scripts/screenshots.py)."""
    chosen = environ.get("TEST_CHROMIUM", "")
    if chosen:
        assert os.access(chosen, os.X_OK), f"TEST_CHROMIUM={chosen} is not an executable"
        return chosen
    return HEADLESS_SHELL if os.access(HEADLESS_SHELL, os.X_OK) else FULL_CHROMIUM


# For a test of the main flows: run it on the headless shell and again on the full browser (conftest `context`).
ON_BOTH_CHROMIUMS = pytest.mark.parametrize("context", ["default", "full"], indirect=True)


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
