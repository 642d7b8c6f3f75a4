"""Presenter mode in headless Chromium: a full code-flow login, refresh and logout, step by step."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


def screen(page: Page, title: str, params: list[str]) -> None:
    expect(page.locator("#presenter h1")).to_have_text(title)
    for name in params:
        expect(page.locator(f'#presenter [data-param="{name}"] .meaning')).not_to_be_empty()
    expect(page.locator("#presenter .expect")).to_contain_text("What happens next")


def came_back(page: Page, title: str, fields: list[str]) -> None:
    """The screen after a back-channel call: what the provider answered, tokens shortened."""
    expect(page.locator("#presenter h1")).to_have_text(title)
    expect(page.locator("#presenter .request")).to_contain_text("HTTP 200")
    for name in fields:
        expect(page.locator(f'#presenter [data-param="{name}"] .meaning')).not_to_be_empty()
    for name in ("id_token", "access_token"):
        if name in fields:
            expect(page.locator(f'#presenter [data-param="{name}"] td code')).to_contain_text("…")
    if "refresh_token" in fields:
        expect(page.locator('#presenter [data-param="refresh_token"] td code')).to_have_text("$REFRESH_TOKEN")
    expect(page.locator("#presenter .expect")).to_contain_text("What happens next")


def test_presenter_walks_a_full_login_refresh_and_logout(stack, page: Page):
    page.goto(stack.url + "/")
    page.locator("#presenter-toggle").click()
    expect(page.locator("#presenter-toggle")).to_have_text("Presenter mode: on")

    page.get_by_role("link", name="Sign in with authorization code + PKCE").click()
    screen(
        page,
        "Send the browser to the authorize endpoint",
        ["response_type", "client_id", "redirect_uri", "scope", "state", "nonce", "code_challenge"],
    )
    expect(page.locator("#presenter .channel")).to_contain_text("front channel")
    page.locator("#continue").click()

    expect(page).to_have_url(re.compile(re.escape(stack.provider_url + "/login?")))
    page.get_by_label("Username").fill("demo")
    page.get_by_label("Password").fill("FlowLab-demo-1")
    page.get_by_role("button", name="Sign in").click()

    screen(
        page, "Exchange the code for tokens", ["grant_type", "code", "redirect_uri", "code_verifier", "Authorization"]
    )
    expect(page.locator("#presenter .channel")).to_contain_text("back channel")
    expect(page.locator('[data-param="Authorization"] td code')).to_have_text("Basic base64($CLIENT_ID:$CLIENT_SECRET)")
    assert stack.settings.client.client_secret not in page.content()
    page.locator("#continue").click()
    came_back(page, "What came back from the token endpoint", ["id_token", "access_token", "refresh_token"])
    page.locator("#continue").click()
    expect(page.locator("h1")).to_contain_text("Signed in as demo")

    page.get_by_role("button", name="Refresh tokens").click()
    screen(page, "Refresh the tokens", ["grant_type", "refresh_token"])
    expect(page.locator('[data-param="refresh_token"] td code')).to_have_text("$REFRESH_TOKEN")
    page.locator("#continue").click()
    came_back(page, "What came back from the refresh", ["id_token", "access_token", "expires_in"])
    page.locator("#continue").click()
    expect(page.locator("#rotated")).to_contain_text("not rotated")

    page.get_by_role("button", name="Sign out").click()
    screen(page, "Revoke the refresh token", ["token"])
    page.locator("#continue").click()
    screen(page, "Send the browser to the provider's logout", ["client_id", "logout_uri"])
    expect(page.locator("#came-back")).to_contain_text("HTTP 200")  # what the revocation answered
    page.locator("#continue").click()
    expect(page.locator(".notice")).to_contain_text("You are signed out")
    assert stack.pool.sessions == {}


def test_presenter_pauses_the_implicit_flow(stack, page: Page):
    page.goto(stack.url + "/presenter?on=1&next=/implicit")
    screen(page, "Send the browser to the authorize endpoint (implicit)", ["response_type", "nonce", "state"])
    expect(page.locator('[data-param="response_type"] td code')).to_have_text("token")
    page.locator("#continue").click()
    page.get_by_label("Username").fill("demo")
    page.get_by_label("Password").fill("FlowLab-demo-1")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#implicit")).to_have_attribute("data-verified", "true")


def test_back_and_reload_after_what_came_back_show_it_again(stack, page: Page):
    """A review pass found Back after the presenter's "what came back" screen gave Chromium's "Confirm Form
    Resubmission" (ERR_CACHE_MISS): the screen was the answer to the POST that made the call. It is a page of its
    own now (Post/Redirect/Get): Back and reload show it again and send nothing."""
    page.goto(stack.url + "/presenter?on=1")
    page.goto(stack.url + "/login")
    page.locator("#continue").click()
    page.get_by_label("Username").fill("demo")
    page.get_by_label("Password").fill("FlowLab-demo-1")
    page.get_by_role("button", name="Sign in").click()
    page.locator("#continue").click()
    came_back(page, "What came back from the token endpoint", ["id_token", "access_token", "refresh_token"])
    expect(page).to_have_url(stack.url + "/presenter/came-back")
    page.reload()
    came_back(page, "What came back from the token endpoint", ["id_token", "access_token", "refresh_token"])
    exchanges = len(stack.steps("token"))
    page.locator("#continue").click()
    expect(page.locator("h1")).to_contain_text("Signed in as demo")

    page.get_by_role("button", name="Refresh tokens").click()
    page.locator("#continue").click()
    came_back(page, "What came back from the refresh", ["id_token", "access_token", "expires_in"])
    refreshes = len(stack.steps("refresh"))
    page.locator("#continue").click()
    expect(page.locator("#last-refresh")).to_be_visible()
    page.go_back()
    came_back(page, "What came back from the refresh", ["id_token", "access_token", "expires_in"])
    assert len(stack.steps("refresh")) == refreshes and len(stack.steps("token")) == exchanges
    assert stack.settings.client.client_secret not in page.content()


def test_the_came_back_page_without_one_goes_home(stack, http):
    answer = http.get(stack.url + "/presenter/came-back", allow_redirects=False)
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/")
