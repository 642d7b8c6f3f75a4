"""Token customization marks on the dashboard and /machine, in headless Chromium on a projector (1024x768 at
1.5x): each customized claim and scope carries its mark, inside the screen's width."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.support.browser import PROJECTOR, sign_in, watch_console
from tests.test_customization import customize, doc_pool_settings

pytestmark = pytest.mark.browser


def within_width(page: Page, selector: str) -> None:
    for box in page.locator(selector).evaluate_all("els => els.map(e => e.getBoundingClientRect().right)"):
        assert box <= 1024, (selector, box)


def test_customized_claims_and_scopes_are_marked_on_a_projector(make_stack, browser: Browser):
    stack = make_stack(edit_pool=customize(doc_pool_settings(), "V3_0"))
    context = browser.new_context(**PROJECTOR)
    page = context.new_page()
    errors = watch_console(page)
    page.goto(stack.url + "/login")
    sign_in(page, stack)
    id_card, access_card = page.locator("#token-id"), page.locator("#token-access")
    expect(id_card.locator('tr[data-claim="tenant"] .custom-mark')).to_have_text("customized added by customization")
    expect(id_card.locator('tr[data-claim="cognito:groups"] .custom-mark')).to_contain_text("overridden")
    expect(id_card.locator('tr[data-claim="sub"] .custom-mark')).to_have_count(0)
    expect(id_card.locator(".customization-note")).to_contain_text("email_verified")
    scope = access_card.locator('tr[data-claim="scope"]')
    expect(scope.locator("[data-scopes-added]")).to_contain_text("flowlab-api/read")
    expect(scope.locator("[data-scopes-suppressed]")).to_contain_text("profile")
    within_width(page, ".custom-mark, .customization-note")
    page.goto(stack.url + "/machine")
    page.get_by_role("button", name="Get a token").click()
    expect(page.locator('#machine-result tr[data-claim="tenant"] .custom-mark')).to_contain_text("added")
    within_width(page, ".custom-mark")
    context.close()
    assert errors == []
