"""Issue 24, the attack lab, in headless Chromium on a 1024x768 projector at 1.5x: each attack run from
/attacks, refused by the check it demonstrates (tests/test_attack_lab.py switches each one off), with the
attacker's lane, the requests he sent (redacted, with curl), presenter pauses, and a real provider."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.support.browser import sign_in, watch_console
from tests.test_a11y_browser import audit
from tracing.redact import JWT_RE

pytestmark = pytest.mark.browser

# the check each attack demonstrates, where it runs, and the dashboard row it links to ("" for none)
EXPECTED = {
    1: ("pkce", "provider", ""),
    2: ("state", "client", ""),
    3: ("pkce", "provider", ""),
    4: ("nonce", "client", "check-id-nonce"),
    5: ("at_hash", "client", "check-id-at_hash"),
    6: ("aud", "client", "check-id-aud"),
    7: ("callback_iss", "client", "check-id-iss"),
    8: ("signature", "client", "check-access-signature"),
    9: ("rotation", "provider", ""),
    10: ("redirect_uri", "provider", ""),
}
SECRETS = ("FlowLab-demo-1", "FlowLab-alice-1")


@pytest.fixture
def projector(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1024, "height": 768}, device_scale_factor=1.5)
    page = context.new_page()
    yield page
    context.close()


def run_attack(page: Page, stack, number: int) -> None:
    """Press Run it on attack `number` and check what a viewer must see: the refusal by the right check, from
    the right side, on the first screen; the attacker's lane and requests; curl; the link to the dashboard."""
    check, source, dashboard = EXPECTED[number]
    page.goto(stack.url + f"/attacks#attack-{number}")
    page.locator(f"#run-{number}").click()
    result = page.locator("#result")
    expect(result).to_have_attribute("data-attack", str(number))
    expect(result).to_have_attribute("data-outcome", "refused")
    expect(result).to_have_attribute("data-check", check)
    expect(result).to_have_attribute("data-source", source)
    expect(page.locator("#verdict")).to_be_in_viewport()
    expect(page.locator("#simulated")).to_contain_text("Simulated")
    expect(page.locator("#without")).to_be_visible()
    expect(page.locator(".aseq-head .lane-0")).to_have_text("Attacker")
    attacker_arrows = page.locator('.aseq-body li[data-kind="attack"]')
    expect(attacker_arrows.first).to_be_visible()
    requests = page.locator(".attack-request")
    expect(requests.first).to_have_attribute("data-refused", "true")
    expect(requests.first.locator("pre.curl")).to_contain_text("curl -sS -X")
    if dashboard:
        expect(page.locator("#dashboard-check")).to_have_attribute("href", f"/dashboard#{dashboard}")
    html = page.content()
    assert not any(secret in html for secret in SECRETS)
    assert not JWT_RE.search(html), "a full token reached the page"
    assert stack.settings.client.client_secret not in html and stack.settings.client.m2m_client_secret not in html


@pytest.mark.parametrize("numbers", [(1, 2, 3), (7, 10), (4, 5, 6)], ids=["code", "front-channel", "implicit"])
def test_each_attack_is_refused_by_its_check(stack, projector: Page, numbers):
    errors = watch_console(projector)
    for number in numbers:
        run_attack(projector, stack, number)
        if number == 6:  # both tokens of other app clients, each refused by aud
            expect(projector.locator('.attack-request[data-check="aud"]')).to_have_count(2)
        if number == 10:  # the prefix, the trailing slash, the other port
            expect(projector.locator('.attack-request[data-refused="true"]')).to_have_count(3)
    assert errors == []
    assert stack.pool.sessions == {}  # the scripted browsers were signed out of the provider


def test_forgeries_and_a_replayed_refresh_token(stack, projector: Page):
    stack.pool.clock = lambda: time.time() - 7200  # the attacker's token (minted now) expired an hour ago
    run_attack(projector, stack, 8)
    forgeries = projector.locator(".attack-request")
    expect(forgeries).to_have_count(4)
    for index, check in enumerate(("signature", "alg", "signature", "exp")):
        expect(forgeries.nth(index)).to_have_attribute("data-check", check)
    expect(forgeries.nth(3)).to_contain_text("401 invalid_token")
    expect(forgeries.nth(0).locator("pre.wire")).to_contain_text("Authorization: Bearer eyJ")
    stack.pool.clock = time.time
    run_attack(projector, stack, 9)
    expect(projector.locator(".attack-request pre.wire")).to_contain_text("refresh_token=$REFRESH_TOKEN")
    audit(projector, "attack lab with a run")


def test_presenter_pauses_at_each_attacker_request(stack, projector: Page):
    """Each attacker request waits on a presenter screen (code and verifier as placeholders); Continue sends
    that request, and the run goes on to its refusal."""
    page = projector
    page.goto(stack.url + "/presenter?on=1&next=/attacks")
    page.locator("#run-1").click()
    screen = page.locator("#presenter.attacker")
    expect(screen).to_contain_text("Attacker: Redeem the stolen code without a code_verifier")
    expect(screen.locator('[data-param="code"]')).to_contain_text("$CODE")
    expect(page.locator("#continue")).to_be_in_viewport()
    audit(page, "attack lab presenter pause")
    before = len(stack.pool.codes)
    page.locator("#continue").click()
    expect(screen).to_contain_text("with a code_verifier of his own")
    expect(screen.locator('[data-param="code_verifier"]')).to_contain_text("$CODE_VERIFIER")
    assert len(stack.pool.codes) == before  # the first code was redeemed (and refused); the second one waits
    page.locator("#continue").click()
    expect(page.locator("#result")).to_have_attribute("data-check", "pkce")
    expect(page.locator(".attack-request")).to_have_count(2)


def test_with_a_real_provider_only_the_single_user_attacks_run_on_your_own_session(make_stack, projector: Page):
    """A provider that is not the local one: nothing runs for a stranger, nothing is sent before Run it; the
    signed-in user runs 1 (their own browser brings the code), 6 (the machine client), 7 and 8 (their own
    token, forged)."""
    stack = make_stack(local_provider=False)
    page = projector
    page.goto(stack.url + "/attacks")
    expect(page.locator("#real-provider")).to_be_visible()
    expect(page.locator("button[id^=run-]")).to_have_count(0)
    expect(page.locator("#attack-7 .why-not")).to_contain_text("Sign in first")
    expect(page.locator("#attack-2 .why-not")).to_contain_text("second user")
    page.goto(stack.url + "/login")
    sign_in(page, stack)
    expect(page.locator("h1")).to_contain_text("Signed in as demo")
    sent = len(stack.exchanges)
    page.goto(stack.url + "/attacks")
    assert len(stack.exchanges) == sent  # the page itself sends nothing to the provider
    runnable = page.locator("button[id^=run-]")
    expect(runnable).to_have_count(4)
    assert sorted(runnable.evaluate_all("els => els.map(e => e.id)")) == ["run-1", "run-6", "run-7", "run-8"]
    refresh_tokens = dict(stack.pool.refresh_tokens)
    for number, check in ((1, "pkce"), (6, "aud"), (7, "callback_iss"), (8, "signature")):
        page.goto(stack.url + "/attacks")
        page.locator(f"#run-{number}").click()
        expect(page.locator("#result")).to_have_attribute("data-check", check)
        expect(page.locator("#result")).to_have_attribute("data-outcome", "refused")
    expect(page.locator("#result .run-note")).to_contain_text("Your access token has not expired")
    page.goto(stack.url + "/dashboard")
    expect(page.locator("h1")).to_contain_text("Signed in as demo")  # the user's own sign-in is untouched
    assert all(not grant.revoked for token, grant in stack.pool.refresh_tokens.items() if token in refresh_tokens)


def test_dashboard_checks_link_to_the_attack_they_stop(stack, projector: Page):
    page = projector
    page.goto(stack.url + "/login")
    sign_in(page, stack)
    expect(page.locator("#check-id-nonce")).to_have_text("nonce")  # the anchor the lab links to
    link = page.locator('#token-id [data-check="nonce"] a.attack-link')
    expect(link).to_have_attribute("href", "/attacks#attack-4")
    page.locator("#token-id .checks-row > summary").click()
    link.click()
    expect(page.locator("#attack-4")).to_be_in_viewport()
    expect(page.locator("#attack-4 h2")).to_have_text(re.compile("ID token replay"))
