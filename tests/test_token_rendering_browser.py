"""The token pages' shared rendering (static/dom.js) follows lab/display.py, the one source of truth for
shortening a token and a token response: the same inputs give the same output in Chromium and in Python."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from lab.display import REFRESH_IN_PAGE, shorten, shorten_response

pytestmark = pytest.mark.browser

JWT = "eyJraWQiOiJrMSIsImFsZyI6IlJTMjU2In0." + "eyJzdWIiOiJ1c2VyIn0" * 20 + ".c2lnbmF0dXJl"
TOKENS = ["", "abc", "x" * 24, "y" * 25, "z" * 26, JWT]
RESPONSES: list[dict] = [
    {"id_token": JWT, "access_token": JWT[::-1], "refresh_token": "eyJjdHkiOiJKV1QifQ.a.b.c.d", "expires_in": 3600},
    {"access_token": "short", "token_type": "Bearer", "issued_token_type": None, "ok": True, "n": 1.5},
    {"error": "invalid_grant", "error_description": "code used"},
]


def in_browser(page: Page, stack, script: str, arg: object) -> object:
    page.goto(stack.url + "/compare")  # any page of the app: the module is imported from its origin
    return page.evaluate(f"async (arg) => {{ const m = await import('/static/dom.js'); {script} }}", arg)


def test_the_browser_shortens_tokens_as_the_server_does(stack, page: Page):
    shown = in_browser(page, stack, "return arg.map((t) => m.shortToken(t));", TOKENS)
    assert shown == [shorten(t) for t in TOKENS]


def test_the_browser_shortens_a_token_response_as_the_server_does(stack, page: Page):
    script = "return arg.bodies.map((b) => m.shortenResponse(b, arg.hidden));"
    shown = in_browser(page, stack, script, {"bodies": RESPONSES, "hidden": REFRESH_IN_PAGE})
    assert shown == [shorten_response(body, REFRESH_IN_PAGE) for body in RESPONSES]
    assert shown[0]["refresh_token"] == REFRESH_IN_PAGE and JWT not in str(shown)
