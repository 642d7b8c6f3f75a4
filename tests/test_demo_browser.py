"""Issue 15 in headless Chromium: what travelled is shown, the main screens fit a projector
(1024x768 at 1.5x scale) and a laptop (1280x800), presenter mode is complete."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Locator, Page, ViewportSize, expect

from tests.support.browser import sign_in

pytestmark = pytest.mark.browser


def viewport(page: Page) -> ViewportSize:
    size = page.viewport_size
    assert size is not None  # every context here sets a viewport
    return size


def above_the_fold(page: Page, locator: Locator) -> None:
    """Visible on the first screen, without scrolling."""
    expect(locator).to_be_visible()
    assert page.evaluate("() => window.scrollY") == 0
    box = locator.bounding_box()
    height = viewport(page)["height"]
    assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height, (box, height)


def one_line(page: Page) -> None:
    """The top bar does not wrap: every link sits on one line, side by side, within the width."""
    expect(page.locator(".topbar")).to_have_css("display", "flex")  # the stylesheet is applied
    boxes = page.locator(".topbar a, .topbar button, .topbar .provider-badge").evaluate_all(
        "els => els.map(e => { const r = e.getBoundingClientRect(); return [r.top, r.height, r.right]; })"
    )
    line_height = page.locator(".topbar nav a").first.evaluate("e => parseFloat(getComputedStyle(e).lineHeight)")
    width = viewport(page)["width"]
    for _top, height, right in boxes:
        assert height < 2 * line_height, boxes  # no label takes two lines
        assert right <= width, boxes  # nothing runs off the screen
    assert max(t for t, _, _ in boxes) - min(t for t, _, _ in boxes) < line_height, boxes


# The character before each line break inside an element's text.
BREAKS = """e => {
    const text = e.textContent, range = document.createRange();
    const node = document.createTreeWalker(e, NodeFilter.SHOW_TEXT);
    const chars = [];
    while (node.nextNode()) {
        for (let i = 0; i < node.currentNode.length; i++) {
            range.setStart(node.currentNode, i);
            range.setEnd(node.currentNode, i + 1);
            const rect = range.getBoundingClientRect();
            chars.push([node.currentNode.data[i], rect.top]);
        }
    }
    let out = "";
    for (let i = 1; i < chars.length; i++) if (chars[i][1] > chars[i - 1][1] + 2) out += chars[i - 1][0];
    return out;
}"""


def test_dashboard_shows_claims_first_on_the_first_screen(stack, screen: Page):
    page = screen
    page.goto(stack.url + "/")
    one_line(page)
    page.goto(stack.url + "/login")
    sign_in(page, stack)
    expect(page.locator("h1")).to_contain_text("Signed in as demo")
    one_line(page)
    card = page.locator("#token-id")
    above_the_fold(page, card.locator("table.claims tbody tr").first)
    # how it arrived, in the token's header
    expect(card.locator(".arrival")).to_contain_text("back channel")
    expect(card.locator(".arrival")).to_contain_text("client authentication (client_secret_basic)")
    expect(page.locator("#token-access .arrival")).to_contain_text("back channel")
    # the checks are one row that opens
    summary = card.locator(".checks-row > summary")
    expect(summary).to_contain_text(re.compile(r"(\d+) of \1 checks passed"))
    expect(card.locator('[data-check="signature"]')).to_be_hidden()
    summary.click()
    expect(card.locator('[data-check="signature"]')).to_be_visible()
    # claim values break only at sensible points (after / . - _ :), never inside a number or a word;
    # the technical ids wait in a row that opens (issue 23.10)
    card.locator(".more-claims > summary").click()
    for claim in ("sub", "iss", "exp", "iat", "origin_jti", "event_id", "at_hash"):
        value = card.locator(f'[data-claim="{claim}"] code.value')
        breaks = value.evaluate(BREAKS)
        assert all(c in "/.:_,&?=- " for c in breaks), (claim, breaks)
    assert card.locator('[data-claim="exp"] code.value').evaluate(BREAKS) == ""
    assert len(card.locator('[data-claim="iss"] code.value').evaluate(BREAKS)) <= 1  # at most two lines


def test_failed_check_always_shows(make_stack, page: Page, monkeypatch):
    stack = make_stack({"SESSION_IDLE_MINUTES": "600"})
    page.goto(stack.url + "/login")
    sign_in(page, stack)
    expect(page.locator("h1")).to_contain_text("Signed in as demo")
    # an hour and a half later (the app's clock), the ID token has expired: its exp check fails
    later = time.time() + 5400
    monkeypatch.setattr(time, "time", lambda: later)
    page.reload()
    failed = page.locator("#token-id .failed-checks [data-check='exp']")
    expect(failed).to_be_visible()
    expect(failed).to_have_class("check bad")
    expect(page.locator("#token-id .pill.bad")).to_contain_text("exp")
    expect(page.locator("#token-id .checks-row > summary")).not_to_contain_text(re.compile(r"(\d+) of \1 checks"))


def test_latest_lifecycle_result_only_and_a_plain_refresh_diff(stack, page: Page):
    page.goto(stack.url + "/login")
    sign_in(page, stack)
    time.sleep(1.1)  # token times are whole seconds: a refresh in the sign-in's own second moves neither exp nor iat
    page.get_by_role("button", name="Refresh tokens").click()
    result = page.locator("#last-refresh")
    expect(result).to_be_visible()
    diff = result.locator('[data-diff="ID token"]')
    expect(diff.locator(".diff-summary")).to_contain_text("Nothing but exp and iat moved")
    expect(diff.locator('tr[data-claim="exp"]')).to_contain_text(re.compile(r"\(\d\d:\d\d:\d\d UTC, iat \+ 1 h\)"))
    expect(diff.locator('tr[data-claim="jti"]')).to_contain_text("Changed: every token has its own id")
    expect(diff.locator('tr[data-claim="nonce"]')).to_contain_text("not in the new token")
    expect(diff.locator('tr[data-claim="nonce"]')).to_contain_text("Removed")
    expect(result).not_to_contain_text("changed: changes")
    expect(result).not_to_contain_text("same: stays")
    unchanged = diff.locator('tr[data-claim="auth_time"]')
    expect(unchanged).to_be_hidden()  # unchanged rows wait behind a toggle
    diff.locator("details.unchanged > summary").click()
    expect(unchanged).to_be_visible()
    expect(unchanged).to_contain_text("Unchanged: you did not sign in again")

    page.get_by_role("button", name="Call userInfo").click()
    expect(page.locator("#userinfo")).to_be_visible()
    expect(page.locator("#last-refresh")).to_have_count(0)  # only the latest result shows


def test_lifecycle_failures_show_inline_with_the_real_status(stack, page: Page):
    page.goto(stack.url + "/login")
    sign_in(page, stack)
    page.get_by_role("button", name="Revoke the refresh token").click()
    expect(page.locator("#lab")).to_be_visible()

    page.goto(stack.url + "/dashboard")
    page.get_by_role("button", name="Call userInfo").click()
    refused = page.locator("#userinfo-refused")
    expect(page).to_have_url(stack.url + "/userinfo")  # the dashboard itself, not an error page
    expect(page.locator("#token-id")).to_be_visible()
    expect(refused).to_contain_text("HTTP 401")
    expect(refused).to_contain_text("invalid_token")
    expect(refused.locator(".cause")).to_contain_text("revoked")
    refused.get_by_role("link", name="Sign in again").click()
    expect(page.locator("h1")).to_contain_text("Signed in as demo")  # the provider session is still there (SSO)


def test_refused_refresh_shows_inline_and_offers_to_sign_in_again(stack, page: Page):
    page.goto(stack.url + "/login")
    sign_in(page, stack)
    for grant in stack.pool.refresh_tokens.values():
        grant.revoked = True
    page.get_by_role("button", name="Refresh tokens").click()
    result = page.locator("#last-refresh")
    expect(result).to_contain_text("HTTP 400")
    expect(result).to_contain_text("invalid_grant")
    expect(result.locator(".cause")).to_contain_text("revoked")
    expect(result.get_by_role("link", name="Sign in again")).to_be_visible()
    expect(page.locator("#token-id table.claims").first).to_be_visible()


def test_response_boxes_wrap_the_sentence_that_matters(stack, projector: Page):
    page = projector
    page.goto(stack.url + "/login")
    sign_in(page, stack)
    page.get_by_role("button", name="Call the API with the ID token").click()
    box = page.locator("#api-response")
    expect(box).to_contain_text("WWW-Authenticate")
    expect(box).to_contain_text("an ID token is never accepted here")
    assert box.evaluate("e => e.scrollWidth <= e.clientWidth"), "the response box scrolls sideways"
    header = page.locator("#token-id details.header-row")
    header.locator("summary").click()
    pre = header.locator("pre")
    expect(pre).to_contain_text('"kid"')
    assert pre.evaluate("e => e.scrollWidth <= e.clientWidth")


def test_implicit_page_shows_the_fragment_first(stack, screen: Page):
    page = screen
    page.goto(stack.url + "/implicit")
    sign_in(page, stack)
    expect(page.locator("#implicit")).to_have_attribute("data-verified", "true")
    fragment = page.locator("#fragment-value")
    above_the_fold(page, fragment)
    above_the_fold(page, page.locator("#fragment-callout"))
    expect(page.locator("#fragment-callout")).to_contain_text("address bar")
    expect(page.locator("#fragment-callout")).to_contain_text("history")
    expect(fragment).to_contain_text("token_type=Bearer")
    expect(fragment).to_contain_text("state=")
    token = fragment.locator('button.frag-token[data-param="access_token"]')
    expect(token).to_contain_text("…")
    short = token.inner_text()
    token.click()
    expect(token).to_have_attribute("aria-expanded", "true")
    full = token.inner_text()
    assert len(full) > 200 and full.count(".") == 2 and "…" not in full
    assert full.startswith(short.split("…")[0]) and full.endswith(short.split("…")[1])
    # the footer tells the truth about this page
    expect(page.locator("#footer")).to_contain_text("URL fragment")
    expect(page.locator("#footer")).not_to_contain_text("never sent to this page")
    # and the trace has the twin of the code flow's "back with a code"
    page.goto(stack.url + "/trace")
    step = page.locator('[data-step="implicit_callback"]')
    expect(step.locator(".step-title")).to_have_text("Provider sends the browser back with tokens in the fragment")
    expect(step.locator(".step-line")).to_contain_text("#id_token=")
    ids = page.locator("#timeline > li.step").evaluate_all("els => els.map(e => e.dataset.step)")
    assert ids.index("implicit_callback") == ids.index("implicit_verify") - 1
    entries = page.request.get(stack.url + "/trace.har").json()["log"]["entries"]
    (arrived,) = [e for e in entries if e["comment"].endswith("tokens in the fragment")]
    assert arrived["time"] > 0  # how long the fragment sat in the page before it was posted
    assert "#id_token=" in arrived["request"]["url"] and "…" in arrived["request"]["url"]


def test_presenter_continue_is_on_the_first_screen(stack, screen: Page):
    page = screen
    page.goto(stack.url + "/presenter?on=1&next=/")
    page.get_by_role("link", name="Sign in with authorization code + PKCE").click()
    expect(page.locator("#presenter h1")).to_have_text("Send the browser to the authorize endpoint")
    above_the_fold(page, page.locator("#continue"))
    above_the_fold(page, page.locator("#presenter .expect"))
    page.locator("#continue").click()
    sign_in(page, stack)
    expect(page.locator("#presenter h1")).to_have_text("Exchange the code for tokens")
    above_the_fold(page, page.locator("#continue"))
    above_the_fold(page, page.locator("#presenter .expect"))
    page.locator("#continue").click()
    expect(page.locator("#presenter h1")).to_have_text("What came back from the token endpoint")
    above_the_fold(page, page.locator("#continue"))
    page.locator("#continue").click()
    expect(page.locator("h1")).to_contain_text("Signed in as demo")

    # the dashboard's Revoke pauses too, and shows what came back
    page.get_by_role("button", name="Revoke the refresh token").click()
    expect(page.locator("#presenter h1")).to_have_text("Revoke the refresh token")
    expect(page.locator('#presenter [data-param="token"] td code')).to_have_text("$REFRESH_TOKEN")
    above_the_fold(page, page.locator("#continue"))
    assert any(not g.revoked for g in stack.pool.refresh_tokens.values()) is not False  # nothing revoked yet
    page.locator("#continue").click()
    expect(page.locator("#presenter h1")).to_have_text("What came back from the revocation")
    expect(page.locator("#presenter .request")).to_contain_text("HTTP 200")
    assert all(g.revoked for g in stack.pool.refresh_tokens.values())
    page.locator("#continue").click()
    expect(page.locator("#lab")).to_be_visible()


def test_trace_diagram_colours_and_labels_arrows_by_step(stack, page: Page):
    page.goto(stack.url + "/login")
    sign_in(page, stack)
    page.get_by_role("button", name="Refresh tokens").click()
    expect(page.locator("#last-refresh")).to_be_visible()
    page.goto(stack.url + "/trace")
    arrows = page.locator(".seq-msg")
    labels = arrows.evaluate_all("els => els.map(e => e.textContent.trim())")
    exchange = next(t for t in labels if t.startswith("code exchange"))
    refresh = next(t for t in labels if t.startswith("refresh"))
    assert "POST …/token" in exchange or "POST /oauth2/token" in exchange
    assert exchange != refresh
    colour = "e => getComputedStyle(e).borderBottomColor"
    back = page.locator(".seq-msg.back").first.evaluate(colour)
    front = page.locator(".seq-msg.front:not(.self)").first.evaluate(colour)
    legend_back = page.locator("figcaption .key.back").evaluate(
        "e => getComputedStyle(e, '::before').borderBottomColor"
    )
    legend_front = page.locator("figcaption .key.front").evaluate(
        "e => getComputedStyle(e, '::before').borderBottomColor"
    )
    assert back == legend_back == "rgb(11, 87, 208)"  # blue, as the legend says
    assert front == legend_front != back


def test_doctor_and_revocation_probes_are_grouped_and_neutral(stack, page: Page):
    page.goto(stack.url + "/login")
    sign_in(page, stack)
    page.goto(stack.url + "/revocation")
    page.get_by_role("button", name="Revoke the refresh token").click()
    expect(page.locator("#lab")).to_be_visible()
    page.goto(stack.url + "/doctor")
    page.get_by_role("button", name="Run the live checks").click()
    expect(page.locator('[data-finding="discovery"]')).to_be_visible()
    page.goto(stack.url + "/trace")
    groups = page.locator(".probe-group")
    expect(groups.first).to_be_visible()
    expect(groups.filter(has_text="revocation lab")).to_have_count(1)
    lab = groups.filter(has_text="revocation lab")
    expect(lab).to_contain_text("Refusals here are expected")
    # no red "Likely cause" outside the groups for the probes; inside, a neutral note
    expect(page.locator("#timeline > li.step .bad-text.cause")).to_have_count(0)
    lab.locator("summary").first.click()
    step = lab.locator("li.step").first
    step.locator("summary").click()
    expect(step.locator(".probe-note")).to_contain_text("Expected for a probe")
    colour = step.evaluate("e => getComputedStyle(e).borderLeftColor")
    assert colour == "rgb(154, 167, 182)"
    expect(page.locator(".seq-msg.probe").first).to_contain_text("probe")


def test_machine_page_is_written_for_a_machine(stack, page: Page):
    page.goto(stack.url + "/login")
    sign_in(page, stack)
    page.goto(stack.url + "/machine")
    page.get_by_role("button", name="Get a token").click()
    result = page.locator("#machine-result")
    expect(result.locator('[data-claim="sub"]')).to_contain_text("machine client")
    expect(result.locator('[data-claim="sub"]')).not_to_contain_text("user's")
    expect(result.locator('[data-claim="auth_time"]')).not_to_contain_text("when the user")
    expect(result.locator('[data-claim="exp"] .time')).to_contain_text("UTC (in 60 min)")
    expect(result.locator('[data-claim="iat"] .time')).to_contain_text("UTC")
    summary = result.locator(".checks-row > summary")
    expect(summary).to_contain_text(re.compile(r"(\d+) of \1 checks passed"))
    summary.click()
    expect(result.locator('[data-check="client_id"]')).to_have_class("check ok")
    box = result.locator("textarea#machine-token")
    assert box.evaluate("e => e.rows") >= 6
    page.get_by_role("button", name="Call the API with this token").click()
    expect(page.locator("#machine-api-response")).to_contain_text("HTTP 200")
    expect(page.locator("#machine-api-response")).to_contain_text('"username": null')


def test_both_demo_users_are_shown_with_the_local_provider(stack, page: Page):
    page.goto(stack.url + "/")
    users = page.locator("#demo-users")
    for text in ("demo", "FlowLab-demo-1", "alice", "FlowLab-alice-1"):
        expect(users).to_contain_text(text)
    page.goto(stack.url + "/login")
    provider = page.locator("#demo-users")
    for text in ("demo", "FlowLab-demo-1", "alice", "FlowLab-alice-1"):
        expect(provider).to_contain_text(text)
