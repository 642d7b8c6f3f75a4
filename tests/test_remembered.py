"""Issue 23, item 15: the dashboard says when the provider skipped its password form because it remembered
the user (its session cookie), and offers prompt=login to be asked again. Over real HTTP against the local
provider, which answers an authorize request from its session as Cognito's managed login does, and in
Chromium at projector size."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest
import requests
from playwright.sync_api import Browser, Page, expect

from lab.remembered import SKEW_SECONDS, from_stored, remembered
from tests.support import extract
from tests.support.browser import sign_in

NOTICE = re.compile(r'<div class="notice" id="remembered" role="status">(.*?)</div>', re.S)


def sign_in_earlier(stack, http: requests.Session, seconds: int) -> None:
    """A sign-in through the provider's form, `seconds` ago by the provider's clock: its session cookie
    stays in `http`, as a browser keeps managed login's."""
    real = stack.pool.clock
    stack.pool.clock = lambda: real() - seconds
    try:
        stack.login(http)
    finally:
        stack.pool.clock = real


def form_shown(stack, http: requests.Session, path: str = "/login") -> tuple[bool, str]:
    """Start a sign-in at `path`; (whether the provider showed its form, the redirect back to the app)."""
    authorize = stack.start_login(http, path)
    first = http.get(authorize, allow_redirects=False)
    shown = first.headers["Location"].startswith(stack.provider_url + "/login?")
    return shown, stack.sign_in_at_provider(http, authorize)


def test_a_sign_in_through_the_form_says_nothing(stack, http):
    shown, back = form_shown(stack, http)
    assert shown
    http.get(back)
    page = http.get(stack.url + "/dashboard").text
    assert 'id="remembered"' not in page


def test_a_sign_in_the_provider_remembered_says_so_and_offers_prompt_login(stack, http):
    sign_in_earlier(stack, http, 150)
    shown, back = form_shown(stack, http)  # a second sign-in in the same browser, 2.5 minutes later
    assert not shown  # the provider answered from its session cookie, as Cognito's managed login does
    http.get(back)
    page = http.get(stack.url + "/dashboard").text
    notice = extract(NOTICE, page)
    claims = stack.session_json(http)["id_token_claims"]
    clock = time.strftime("%H:%M:%S UTC", time.gmtime(claims["auth_time"]))
    assert re.search(
        r"The provider did not show its sign-in form: it remembered you from a sign-in at "
        + re.escape(clock)
        + r" \(auth_time\), 2 min \d\d s before this one started, through its own session cookie",
        notice,
    ), notice
    assert '<a class="button small" id="sign-in-with-form" href="/login?prompt=login">' in notice
    assert 'href="/authorize-request"' in notice and "<code>prompt=login</code>" in notice

    # the way it offers: prompt=login makes the provider show the form, and the notice is gone
    shown, back = form_shown(stack, http, "/login?prompt=login")
    assert shown
    assert "prompt=login" in stack.start_login(http, "/login?prompt=login")
    http.get(back)
    assert 'id="remembered"' not in http.get(stack.url + "/dashboard").text


def test_sign_in_as_someone_else_shows_the_form_and_no_notice(stack, http):
    sign_in_earlier(stack, http, 150)
    switch = stack.post(http, "/switch-user")
    provider_logout = http.get(switch.headers["Location"], allow_redirects=False)  # ends the provider's session
    signed_out = http.get(provider_logout.headers["Location"], allow_redirects=False)
    assert signed_out.headers["Location"] == "/login?prompt=login"
    shown, back = form_shown(stack, http, "/login?prompt=login")
    assert shown
    http.get(back)
    assert 'id="remembered"' not in http.get(stack.url + "/dashboard").text


def test_the_remembered_notice_survives_a_refresh_of_the_tokens(stack, http):
    """auth_time stays on refresh (Cognito keeps it): the sign-in was still a remembered one."""
    sign_in_earlier(stack, http, 300)
    stack.login(http)
    stack.post(http, "/refresh")
    assert 'id="remembered"' in http.get(stack.url + "/dashboard").text


def test_what_counts_as_remembered():
    started = 1_765_120_000
    five = remembered(started - 300, started + 0.5)
    assert five is not None and five.sentence().endswith(
        "5 min before this one started, through its own session cookie (an hour at Cognito)."
    )
    assert remembered(started - SKEW_SECONDS, started) is None  # within the clocks' tolerance
    assert remembered(started + 3, started) is None  # signed in after the request started: the form
    for odd in (None, "1765119000", True, float("nan")):
        assert remembered(odd, started) is None
    assert from_stored({"auth_time": 1, "started": 100}) == remembered(1, 100)
    assert from_stored({"auth_time": "1", "started": 100}) is None and from_stored(None) is None


@pytest.fixture
def projector(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1024, "height": 768}, device_scale_factor=1.5)
    yield context.new_page()
    context.close()


@pytest.mark.browser
def test_on_a_projector_the_notice_is_on_the_first_screen_and_its_button_shows_the_form(stack, projector):
    page = projector
    real = stack.pool.clock
    stack.pool.clock = lambda: real() - 200
    page.goto(stack.url + "/login")
    sign_in(page, stack)
    expect(page.locator("#who")).to_be_visible()
    stack.pool.clock = real
    page.goto(stack.url + "/login")  # the provider remembers this browser: no form
    notice = page.locator("#remembered")
    expect(notice).to_contain_text("The provider did not show its sign-in form")
    box = notice.bounding_box()
    assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= 768, box
    page.locator("#sign-in-with-form").click()
    sign_in(page, stack)  # prompt=login: the form again
    expect(page.locator("#who")).to_be_visible()
    expect(page.locator("#remembered")).to_have_count(0)
