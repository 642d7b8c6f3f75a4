"""Reading values out of the app's pages in tests."""

from __future__ import annotations

import re

# The anti-forgery token (one per browser, the same on every page) is written two ways: as the hidden
# field every form posts, and as the data-csrf attribute the page's script sends in X-CSRF-Token.
FORM_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
SCRIPT_CSRF = re.compile(r'data-csrf="([^"]+)"')


def extract(pattern: str | re.Pattern[str], text: str, flags: int = 0) -> str:
    """The first group of `pattern`'s first match in `text`; the test fails when nothing matches."""
    found = re.search(pattern, text, flags)
    assert found, f"no match for {pattern!r}"
    return found.group(1)


def csrf_of(html: str, where: str = "the page") -> str:
    """The anti-forgery token a form on the page posts (its hidden csrf_token field)."""
    found = FORM_CSRF.search(html)
    assert found, f"{where} has no form carrying the anti-forgery token"
    return found.group(1)


def script_csrf_of(html: str, where: str = "the page") -> str:
    """The anti-forgery token the page hands its script (the data-csrf attribute)."""
    found = SCRIPT_CSRF.search(html)
    assert found, f"{where} carries no anti-forgery token"
    return found.group(1)
