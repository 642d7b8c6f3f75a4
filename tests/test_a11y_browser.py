"""Accessibility of every page, the local provider's included: axe-core (npm, pinned in
tests/a11y) injected into headless Chromium, plus `lang`, a title, a visible focus ring, and
every control reachable with the Tab key."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from local_cognito.settings import DEMO_PASSWORD, DEMO_USERNAME

pytestmark = pytest.mark.browser

AXE = Path(__file__).parent / "a11y" / "node_modules" / "axe-core" / "axe.min.js"

# Every element a keyboard user must be able to reach.
CONTROLS = "a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]:not([tabindex='-1'])"


def axe_source() -> str:
    assert AXE.is_file(), "axe-core is missing: run `make test` (npm ci in tests/a11y)"
    return AXE.read_text()


def audit(page: Page, name: str) -> None:
    """axe-core finds no critical or serious violation; lang and a title are set."""
    assert page.evaluate("() => document.documentElement.lang") == "en", name
    assert page.title().strip(), name
    if not page.evaluate("() => typeof window.axe === 'object'"):
        # evaluated through the DevTools protocol, so the page's strict CSP does not apply
        page.evaluate(axe_source() + "\n;undefined")
    result = page.evaluate("async () => (await window.axe.run(document, {resultTypes: ['violations']})).violations")
    bad = [
        f"{v['id']} ({v['impact']}): {v['help']} -> " + "; ".join(n["target"][0] for n in v["nodes"][:3])
        for v in result
        if v["impact"] in ("critical", "serious")
    ]
    assert bad == [], f"{name}: {bad}"


def keyboard(page: Page, name: str) -> None:
    """Tab reaches every visible control, and each one shows a focus ring when it has focus."""
    expected = page.evaluate(
        """(selector) => {
            const seen = [];
            document.querySelectorAll(selector).forEach((el, i) => {
                if (el.disabled || !el.checkVisibility({visibilityProperty: true, opacityProperty: true})) return;
                // a radio group is one Tab stop (its checked radio); the arrow keys move within it
                if (el.type === 'radio' && !el.checked && el.form
                    && [...el.form.elements].some((r) => r.name === el.name && r.checked)) return;
                el.dataset.a11yId = String(i);
                seen.push(String(i));
            });
            return seen;
        }""",
        CONTROLS,
    )
    if not expected:
        return
    page.evaluate("() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); }")
    page.locator("body").focus() if page.locator("body").count() else None
    reached: list[str] = []
    unringed: list[str] = []
    for _ in range(len(expected) + 5):
        page.keyboard.press("Tab")
        info = page.evaluate(
            """() => {
                const el = document.activeElement;
                if (!el || el === document.body) return null;
                const s = getComputedStyle(el);
                const ring = (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2)
                    || (s.boxShadow && s.boxShadow !== 'none');
                return {id: el.dataset.a11yId || '', ring, text: (el.textContent || el.name || el.id || '').trim()};
            }"""
        )
        if info is None:
            continue
        if info["id"] and info["id"] not in reached:
            reached.append(info["id"])
            if not info["ring"]:
                unringed.append(info["text"][:40])
        if len(reached) == len(expected):
            break
    missing = [i for i in expected if i not in reached]
    labels = page.evaluate(
        "(ids) => ids.map(i => document.querySelector(`[data-a11y-id='${i}']`).outerHTML.slice(0, 80))", missing
    )
    assert not missing, f"{name}: not reachable by Tab: {labels}"
    assert not unringed, f"{name}: no visible focus ring on {unringed}"


def check(page: Page, name: str) -> None:
    audit(page, name)
    keyboard(page, name)


def provider_sign_in(page: Page, stack, username: str = DEMO_USERNAME, password: str = DEMO_PASSWORD) -> None:
    expect(page).to_have_url(re.compile(re.escape(stack.provider_url + "/login?")))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_signed_out_pages_and_the_provider_pages_pass_the_audit(stack, page: Page):
    page.goto(stack.url + "/")
    check(page, "home")
    page.goto(stack.url + "/compare")
    check(page, "compare")
    page.goto(stack.url + "/trace")
    check(page, "trace (empty)")
    page.goto(stack.url + "/callback?code=x&state=forged")
    expect(page.locator(".problem")).to_be_visible()
    check(page, "error page")
    page.goto(stack.url + "/implicit/callback#error=access_denied&error_description=The+user+said+no")
    expect(page.locator("#error")).to_be_visible()
    check(page, "implicit page with an error")
    page.goto(stack.provider_url + "/oauth2/authorize")  # a page on another origin links to /logout
    page.evaluate("url => { window.location.href = url; }", stack.url + "/logout")
    expect(page.locator("h1")).to_have_text("Sign out?")
    check(page, "sign-out confirmation")

    page.goto(stack.url + "/login")
    expect(page.get_by_label("Username")).to_be_visible()
    check(page, "provider sign-in")
    page.get_by_label("Username").fill(DEMO_USERNAME)
    page.get_by_label("Password").fill("wrong-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".error")).to_be_visible()
    check(page, "provider sign-in with an error")
    page.goto(stack.provider_url + "/oauth2/authorize?client_id=nope&response_type=code&redirect_uri=http://x/")
    expect(page.locator(".error")).to_contain_text("redirect_mismatch")
    check(page, "provider error page")


def test_signed_in_pages_pass_the_audit(stack, page: Page):
    page.goto(stack.url + "/login")
    provider_sign_in(page, stack)
    expect(page.locator("h1")).to_contain_text("Signed in as demo")
    page.get_by_role("button", name="Refresh tokens").click()
    expect(page.locator("#rotated")).to_be_visible()
    page.get_by_role("button", name="Call the API with the ID token").click()
    expect(page.locator("#api")).to_be_visible()
    check(page, "dashboard")

    page.locator("#token-id .checks-row > summary").click()
    page.locator("#token-id .header-row > summary").click()
    check(page, "dashboard with the checks and the header open")

    page.goto(stack.url + "/machine")
    page.get_by_role("button", name="Get a token").click()
    expect(page.locator("#machine-result")).to_be_visible()
    page.get_by_role("button", name="Call the API with this token").click()
    expect(page.locator("#machine-api")).to_be_visible()
    check(page, "machine")

    page.goto(stack.url + "/trace")
    check(page, "trace")
    page.goto(stack.url + "/doctor")
    check(page, "doctor")
    page.get_by_role("button", name="Run the live checks").click()
    expect(page.locator('[data-finding="discovery"]')).to_be_visible()
    check(page, "doctor with the live checks")

    page.goto(stack.url + "/implicit")
    expect(page.locator("#implicit")).to_have_attribute("data-verified", "true")
    check(page, "implicit callback")

    page.goto(stack.url + "/presenter?on=1&next=/dashboard")
    page.get_by_role("button", name="Refresh tokens").click()
    expect(page.locator("#presenter")).to_be_visible()
    check(page, "presenter pause")
    page.locator("#continue").click()
    expect(page.locator("#presenter.came-back")).to_be_visible()
    check(page, "presenter: what came back")
    page.locator("#continue").click()
    page.goto(stack.url + "/presenter?on=0&next=/revocation")
    check(page, "revocation lab (before)")
    page.get_by_role("button", name="Revoke the refresh token").click()
    expect(page.locator("#lab")).to_be_visible()
    check(page, "revocation lab")
    page.goto(stack.url + "/dashboard")
    page.get_by_role("button", name="Call userInfo").click()
    expect(page.locator("#userinfo-refused")).to_be_visible()
    check(page, "dashboard with a refused userInfo")


# Routes that start or end a flow, answer JSON, or download a file: audited through the flows above.
NOT_A_PAGE = {
    "auth.login",
    "auth.callback",
    "auth.signed_out",
    "implicit.start",
    "presenter.toggle",
    "static",
}


def test_every_page_the_app_serves_passes_the_audit(stack, page: Page):
    """Every GET page without parameters, found from the app's own routes (new pages included)."""
    page.goto(stack.url + "/login")
    provider_sign_in(page, stack)
    expect(page.locator("h1")).to_contain_text("Signed in as demo")
    audited = []
    for rule in stack.app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.arguments or rule.endpoint in NOT_A_PAGE:
            continue
        if rule.rule.startswith("/api/") or rule.rule.endswith((".har", ".md", ".mmd", ".json")):
            continue
        response = page.goto(stack.url + rule.rule)
        if response is None or "text/html" not in response.headers.get("content-type", ""):
            continue
        check(page, rule.rule)
        audited.append(rule.rule)
    assert {"/", "/dashboard", "/compare", "/machine", "/trace", "/doctor", "/revocation", "/logout"} <= set(audited)


def test_the_redesigned_screens_pass_the_audit(stack, page: Page):
    """Issue 23: the inspector decoding as you type and its verdict, the authorize panel after an edit, the
    compare page's diagrams, the browser-only callback with its tokens."""
    page.goto(stack.url + "/login")
    provider_sign_in(page, stack)
    expect(page.locator("h1")).to_contain_text("Signed in as demo")
    card = page.locator('.raw-token[data-which="access"]')
    card.get_by_role("button", name="Reveal the access token").click()
    expect(card).to_have_attribute("data-revealed", "true")
    token = card.locator("pre").inner_text()
    page.locator("#token-id .more-claims > summary").click()
    check(page, "dashboard with the technical claims open")

    page.goto(stack.url + "/inspect")
    page.locator("#token").fill(token)
    expect(page.locator("#token")).to_have_attribute("data-decoded", "jwt")
    check(page, "inspector, decoded as you type")
    page.get_by_role("button", name="Verify on the server").click()
    expect(page.locator("#inspection")).to_be_visible()
    page.locator("#inspect-checks > summary").click()
    check(page, "inspector, verified")

    page.goto(stack.url + "/authorize-request")
    page.locator("#prompt-login").check()
    page.locator("#login_hint").fill("demo")
    expect(page.locator("#authorize-preview .changed")).to_have_count(1)
    check(page, "authorize panel after an edit")

    page.goto(stack.url + "/spa")
    page.locator("#spa-start").click()
    expect(page.locator("#spa")).to_have_attribute("data-verified", "true")
    check(page, "browser-only callback")
    page.goto(stack.url + "/compare")
    page.locator("#diagram-spa > summary").click()
    check(page, "compare with the browser-only diagram open")
