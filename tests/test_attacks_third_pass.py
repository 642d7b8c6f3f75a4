"""Issue 19, the third attack pass: each attack replayed over real HTTP against a live app and
provider (the presenter leak on /spa is in test_attacks_third_pass_browser.py).

Items: 2 (anonymous token storage and replays at /api/spa/verify), 3 (pickles in Redis), 4 (inspector
500s and amplification), 5 (cookies from another port: the provider's sign-in form, a planted trace
id), 6 (provider calls of a signed-in user without a limit), 7 (no lockout after wrong passwords),
8 (a presenter approval accepted by another screen).
"""

from __future__ import annotations

import html
import re

from tests.support.pages import read_screen

# -- 8. the presenter's approval is bound to the screen it was shown on -------------------------------


def presenter_sign_in(stack, http) -> None:
    """Sign in with presenter mode on, through its screens."""
    http.get(stack.url + "/presenter", params={"on": "1"})
    first = http.get(stack.url + "/login").text
    authorize = html.unescape(re.search(r'id="continue" href="([^"]+)"', first).group(1))
    exchange = read_screen(http.get(stack.sign_in_at_provider(http, authorize)).text)
    http.post(stack.url + exchange.action, data=exchange.fields)


def test_8_a_revoke_screens_approval_does_not_sign_out(stack, http):
    presenter_sign_in(stack, http)
    shown = read_screen(stack.post(http, "/revoke").text)  # the dashboard's Revoke: its screen
    assert shown.title == "Revoke the refresh token" and shown.action == "/revoke"
    # the attack: the same approval (the same revocation call) posted to sign-out
    answered = http.post(stack.url + "/logout", data=shown.fields)
    assert "Not sent:" in answered.text and "Revoke the refresh token" in answered.text
    assert not stack.steps("revoke")
    assert "Signed in as" in http.get(stack.url + "/dashboard").text
    # and the other way round: sign-out's approval does not revoke from the dashboard
    logout_screen = read_screen(stack.post(http, "/logout").text)
    assert logout_screen.action == "/logout"
    answered = http.post(stack.url + "/revoke", data=logout_screen.fields)
    assert "Not sent:" in answered.text and not stack.steps("revoke")
    # each screen's own approval still works
    http.post(stack.url + shown.action, data=read_screen(stack.post(http, "/revoke").text).fields)
    assert len(stack.steps("revoke")) == 1
