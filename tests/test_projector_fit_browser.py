"""Issue 23.9 and 23.11 in headless Chromium, on a projector (1024x768 at 1.5x) and a laptop (1280x800):
every main screen is at most three screens high with its key element on the first; the authorize preview
stays in view while editing and shows what changed; words never break inside a word; the finish (one
button font, no empty box, no stray rule, a visible affordance on trace steps, no table wider than its card)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.support.browser import sign_in
from tests.test_demo_browser import BREAKS

# Each line break inside an element: the character before it and the one after it.
BREAK_PAIRS = """e => {
    const range = document.createRange(), chars = [];
    const node = document.createTreeWalker(e, NodeFilter.SHOW_TEXT);
    while (node.nextNode()) {
        for (let i = 0; i < node.currentNode.length; i++) {
            range.setStart(node.currentNode, i);
            range.setEnd(node.currentNode, i + 1);
            chars.push([node.currentNode.data[i], range.getBoundingClientRect().top]);
        }
    }
    const pairs = [];
    for (let i = 1; i < chars.length; i++) {
        if (chars[i][1] > chars[i - 1][1] + 2) pairs.push(chars[i - 1][0] + chars[i][0]);
    }
    return pairs;
}"""

pytestmark = pytest.mark.browser


def screen_height(page: Page) -> int:
    size = page.viewport_size
    assert size is not None
    return size["height"]


def fits(page: Page, name: str, key: Locator) -> None:
    """At most three screens high, and `key` starts on the first screen (no scrolling)."""
    page.wait_for_load_state("load")  # the browser's own scroll to a URL's #fragment comes before the top is read
    page.wait_for_function("() => { window.scrollTo(0, 0); return window.scrollY === 0; }")
    height = page.evaluate("() => document.documentElement.scrollHeight")
    screen = screen_height(page)
    assert height <= 3 * screen, f"{name}: {height} px, more than three screens of {screen}"
    expect(key).to_be_visible()
    box = key.bounding_box()
    assert box is not None and box["y"] >= 0 and box["y"] + min(box["height"], 24) <= screen, (name, box)


def between_words(pair: str, separators: str) -> bool:
    """A line break at a space, or after a separator: never inside a word."""
    before, after = pair[0], pair[1]
    return before.isspace() or after.isspace() or before in separators


def sign_in_everywhere(page: Page, stack) -> None:
    """The three flows, so that every page has something to show."""
    page.goto(stack.url + "/login")
    sign_in(page, stack)
    expect(page.locator("h1")).to_contain_text("Signed in as demo")
    page.goto(stack.url + "/implicit")  # the provider session skips its form
    expect(page.locator("#implicit")).to_have_attribute("data-verified", "true")
    page.goto(stack.url + "/spa")
    page.locator("#spa-start").click()
    expect(page.locator("#spa")).to_have_attribute("data-verified", "true")


def test_every_main_screen_fits_three_screens_with_its_key_element_first(stack, screen: Page):
    page = screen
    page.goto(stack.url + "/")
    fits(page, "home", page.locator("#signin-code"))
    sign_in_everywhere(page, stack)
    fits(page, "/spa/callback", page.locator("#spa-userinfo"))  # its actions, above the token cards
    page.goto(stack.url + "/implicit")
    expect(page.locator("#implicit")).to_have_attribute("data-verified", "true")
    fits(page, "/implicit/callback", page.locator("#fragment"))

    page.goto(stack.url + "/dashboard")
    fits(page, "dashboard", page.locator("#token-id tr[data-claim]").first)
    fits(page, "dashboard (countdown)", page.locator("#access-countdown"))
    token = page.locator('.raw-token[data-which="id"]')
    token.get_by_role("button", name="Reveal the ID token").click()
    expect(token).to_have_attribute("data-revealed", "true")
    id_token = token.locator("pre").inner_text()

    page.goto(stack.url + "/compare")
    fits(page, "compare", page.locator("#compare tbody tr").first)

    page.goto(stack.url + "/inspect")
    fits(page, "inspector", page.locator("#token"))
    page.locator("#token").fill(id_token)
    fits(page, "inspector, decoded", page.locator("#decoded-payload"))
    page.get_by_role("button", name="Verify on the server").click()
    fits(page, "inspector, verified", page.locator("#inspection tr[data-claim]").first)

    page.goto(stack.url + "/authorize-request")
    fits(page, "authorize request", page.locator("#authorize-preview"))
    fits(page, "authorize request (controls)", page.locator("#response_type-code"))

    page.goto(stack.url + "/machine")
    page.get_by_role("button", name="Get a token").click()
    page.get_by_role("button", name="Call the API with this token").click()
    expect(page.locator("#machine-api")).to_be_visible()
    fits(page, "machine", page.locator("#machine-result"))

    page.goto(stack.url + "/attacks")
    fits(page, "attacks", page.locator("#run-1"))
    page.goto(stack.url + "/glossary")
    fits(page, "glossary", page.locator("#glossary"))
    page.goto(stack.url + "/doctor")
    fits(page, "doctor", page.locator("h1"))


def test_the_authorize_preview_stays_in_view_and_shows_what_changed(stack, screen: Page):
    page = screen
    page.goto(stack.url + "/authorize-request")
    expect(page.locator("#authorize-panel")).to_have_attribute("data-ready", "true")
    preview = page.locator("#authorize-preview")
    expect(preview.locator(".changed")).to_have_count(0)  # nothing edited yet
    hint = page.locator("#login_hint")
    hint.scroll_into_view_if_needed()
    hint.fill("demo")
    height = screen_height(page)
    assert page.evaluate("() => window.scrollY") > 0  # the controls scrolled
    for element in (hint, preview):  # the control being edited and the URL, on screen together
        box = element.bounding_box()
        assert box is not None and box["y"] >= 0 and box["y"] + min(box["height"], 60) <= height, box
    changed = preview.locator(".changed")
    expect(changed).to_have_count(1)
    expect(changed).to_have_text("login_hint=demo")
    expect(changed).to_be_in_viewport()
    expect(page.locator('#authorize-params tr[data-param="login_hint"]')).to_have_class("changed")
    page.locator('input[name="scope"][value="phone"]').check()
    expect(changed).to_have_count(1)  # only the last edit is marked
    expect(changed).to_have_text("scope=openid+email+phone+profile")
    assert preview.evaluate("e => getComputedStyle(e.querySelector('.changed')).backgroundColor") != "rgba(0, 0, 0, 0)"


def test_no_word_breaks_inside_a_word(stack, projector: Page):
    page = projector
    sign_in_everywhere(page, stack)
    page.goto(stack.url + "/compare")
    for flow in ("code", "implicit", "spa"):
        diagram = page.locator(f"#diagram-{flow}")
        if not diagram.evaluate("d => d.open"):
            diagram.locator("summary").click()
        expect(diagram.locator(".seq")).to_be_visible()
        for other in {"code", "implicit", "spa"} - {flow}:  # one open at a time
            expect(page.locator(f"#diagram-{other} .seq")).to_be_hidden()
        for label in diagram.locator(".seq-msg span").all():
            breaks = label.evaluate(BREAK_PAIRS)
            assert all(between_words(pair, "/.:_,&?=-{}()") for pair in breaks), (flow, label.inner_text(), breaks)
            assert label.evaluate("e => e.scrollWidth <= e.clientWidth + 1"), label.inner_text()

    page.goto(stack.url + "/authorize-request")
    for row in page.locator("#authorize-params tbody tr").all():
        assert row.locator("th code").evaluate(BREAKS) == "", row.get_attribute("data-param")  # names never wrap
        breaks = row.locator(".meaning").evaluate(BREAK_PAIRS)
        assert all(between_words(pair, "-/") for pair in breaks), (row.get_attribute("data-param"), breaks)
    for select in page.locator("select").all():  # a native select shows its longest option whole
        assert select.evaluate(
            """s => { const probe = document.createElement('span'); probe.style.font = getComputedStyle(s).font;
                probe.style.whiteSpace = 'pre'; document.body.append(probe);
                const width = (o) => { probe.textContent = o.text; return probe.offsetWidth; };
                const widest = Math.max(...[...s.options].map(width));
                probe.remove(); return widest + 24 <= s.clientWidth; }"""
        )
    assert page.locator('select[name="prompt"], select[name="response_type"]').count() == 0  # radios, all text shown


def test_the_finish(stack, projector: Page):
    page = projector
    page.goto(stack.url + "/spa")
    expect(page.locator("#spa-start")).to_be_enabled()
    expect(page.locator("#steps")).to_be_hidden()  # no empty bordered box before the sign-in
    font = "e => { const s = getComputedStyle(e); return [s.fontFamily, s.fontSize, s.fontWeight, s.lineHeight]; }"
    button = page.locator("#spa-start")  # a <button class=button>
    link = page.locator("main a.button").first  # an <a class=button>
    assert button.evaluate(font) == link.evaluate(font)

    page.goto(stack.url + "/login")
    sign_in(page, stack)
    card = page.locator("#token-id")
    card.locator(".checks-row > summary").click()
    for result in card.locator(".check .result").all():  # no rule across a check row
        assert result.evaluate("e => getComputedStyle(e).borderTopStyle") == "none"

    page.goto(stack.url + "/trace")
    exchange = page.locator('#timeline li.step[data-step="token"]').first
    affordance = exchange.locator("summary .step-open")
    expect(affordance).to_be_visible()  # says that it opens, and what is inside
    expect(affordance).to_contain_text("Copy curl")
    expect(exchange.get_by_role("button", name="Copy curl")).to_be_hidden()
    affordance.click()
    expect(exchange.get_by_role("button", name="Copy curl")).to_be_visible()


def test_a_value_without_break_points_stays_inside_its_card(stack, projector: Page):
    page = projector
    page.goto(stack.url + "/spa")
    nonce = "N" * 180  # no separator anywhere: it may only wrap inside the cell
    widths = page.evaluate(
        """async (nonce) => {
            const m = await import('/static/dom.js');
            const card = document.createElement('article');
            card.className = 'card token';
            card.style.width = '420px';
            card.append(m.claimsTable({ nonce, sub: 'abc' }, { nonce: 'The random value' }, { meaningColumn: true }));
            document.querySelector('main').append(card);
            return [card.clientWidth, card.querySelector('table').scrollWidth, card.scrollWidth];
        }""",
        nonce,
    )
    card, table, scroll = widths
    assert table <= card and scroll <= card, widths

    sign_in_everywhere(page, stack)
    for token in ("id", "access"):
        box = page.locator(f"#token-{token}")
        for table in box.locator("table.claims").all():
            assert table.evaluate("t => t.scrollWidth <= t.closest('.card').clientWidth"), token
