"""Click through a running app (`make run`) in headless Chromium and save screenshots to docs/.

Usage: .venv/bin/python scripts/screenshots.py [APP_URL] [OUT_DIR]
It signs in as the local provider's demo user, so run it against the local provider
(INSTANCE_PATH, if set, says where its instance/local_cognito.json is).

Two sizes: a laptop (1280x800) in OUT_DIR, and a projector (1024x768 at 1.5x scale) in
OUT_DIR/projector, where each shot is exactly the first screen the audience sees.

The shots of this year's features need them on in the local provider's pool file: refresh-token rotation
on the web client (`RefreshTokenRotation`, a grace of a few seconds: the script waits it out, then replays
the old token), a pre token generation trigger (the V3_0 answer in docs/local-provider.md), and the app run with
API_REQUIRED_SCOPE=flowlab-api/write (a scope the sign-in does not ask for, so the API's 403 is shown).
Screens whose feature is off are skipped.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from playwright.sync_api import Browser, Page, ViewportSize, sync_playwright

GENUINE = Path(__file__).resolve().parent.parent / "tests/fixtures/cognito/genuine-signed.json"

ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SIZES: dict[str, tuple[ViewportSize, float, str]] = {
    "laptop": ({"width": 1280, "height": 800}, 1, ""),
    "projector": ({"width": 1024, "height": 768}, 1.5, "projector"),
}


def sign_in(page: Page, user: dict) -> None:
    page.wait_for_selector("input[name=username]")
    page.fill("input[name=username]", user["username"])
    page.fill("input[name=password]", user["password"])
    page.get_by_role("button", name="Sign in").click()


def walk(browser: Browser, app_url: str, out: Path, user: dict, size: str) -> list[str]:
    viewport, scale, sub = SIZES[size]
    folder = out / sub if sub else out
    folder.mkdir(parents=True, exist_ok=True)
    full = size == "laptop"  # the projector shots show only the first screen
    context = browser.new_context(viewport=viewport, device_scale_factor=scale)
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))

    def shot(name: str, whole: bool = full) -> None:
        page.screenshot(path=str(folder / f"{name}.png"), full_page=whole)

    page.goto(app_url + "/")
    shot("home", False)
    page.get_by_role("link", name="Sign in with authorization code + PKCE").click()
    page.wait_for_selector("input[name=username]")
    shot("provider-login", False)
    sign_in(page, user)
    page.wait_for_url(app_url + "/dashboard")
    shot("dashboard")
    page.get_by_role("button", name="Refresh tokens").click()
    page.wait_for_selector("#last-refresh")
    shot("dashboard-refresh", False)
    if page.locator("#replay-old").count():  # rotation on: wait out the grace, then replay the old token
        page.wait_for_selector("#replay-old:enabled", timeout=75_000)
        page.locator("#replay-old").click()
        page.wait_for_selector("#replay-result")
        shot("dashboard-rotation", False)
    page.get_by_role("button", name="Call the API with the ID token").click()
    page.wait_for_selector("#api")
    shot("dashboard-api", False)
    page.get_by_role("button", name="Call the API with the access token").click()
    page.wait_for_selector("#api")
    if page.locator("#api-scope-refusal").count():
        shot("dashboard-api-scope", False)

    page.goto(app_url + "/implicit")  # the provider session skips its form (SSO)
    page.wait_for_selector("#implicit[data-verified=true]")
    shot("implicit")
    page.goto(app_url + "/spa")  # the browser-only flow: code + PKCE with the public client
    page.locator("#spa-start").click()
    page.wait_for_selector("#spa[data-verified=true]")
    page.locator("#spa-userinfo").click()
    page.wait_for_selector("#spa[data-userinfo]")
    shot("spa")
    page.goto(app_url + "/compare")
    shot("compare")

    page.goto(app_url + "/dashboard")
    card = page.locator('.raw-token[data-which="id"]')
    card.get_by_role("button", name="Reveal the id token").click()
    page.wait_for_selector('.raw-token[data-which="id"][data-revealed=true]')
    token = card.locator("pre").inner_text()
    page.goto(app_url + "/inspect")
    page.fill("#token", token)
    page.wait_for_selector("#token[data-decoded=jwt]")  # decoded as you type, in the page
    shot("inspect-decoded")
    page.get_by_role("button", name="Verify on the server").click()
    page.wait_for_selector("#inspection")
    shot("inspect")
    inspect_offline(page)
    shot("inspect-offline")
    page.goto(app_url + "/authorize-request")
    page.locator('input[name="scope"][value="phone"]').check()
    page.locator('input[name="prompt"][value="login"]').check()
    page.locator("#login_hint").fill("demo")
    shot("authorize-panel")
    page.goto(app_url + "/machine")
    page.get_by_role("button", name="Get a token").click()
    page.wait_for_selector("#machine-result")
    page.get_by_role("button", name="Call the API with this token").click()
    page.wait_for_selector("#machine-api")
    shot("machine")

    page.goto(app_url + "/attacks")  # the attack lab: attack 3 (code injection), run for real
    page.locator("#run-3").click()
    page.wait_for_selector("#result")
    shot("attacks", False)

    page.goto(app_url + "/glossary")
    shot("glossary")

    page.goto(app_url + "/doctor")
    page.get_by_role("button", name="Run the live checks").click()
    page.wait_for_selector('[data-finding="discovery"]')
    shot("doctor")
    page.goto(app_url + "/trace")
    page.locator("#timeline > li.step details").nth(3).evaluate("d => d.open = true")
    shot("trace")

    page.goto(app_url + "/presenter?on=1&next=/dashboard")
    page.get_by_role("button", name="Refresh tokens").click()
    page.wait_for_selector("#presenter")
    shot("presenter", False)
    page.locator("#continue").click()
    page.wait_for_selector("#presenter.came-back")
    shot("presenter-came-back", False)
    page.goto(app_url + "/presenter?on=0&next=/")
    page.goto(app_url + "/dashboard")
    page.get_by_role("button", name="Revoke the refresh token").click()
    page.wait_for_selector("#lab")
    shot("revocation")
    context.close()
    return problems


def inspect_offline(page: Page) -> None:
    """A genuine Cognito ID token from the corpus, checked offline against its pool's published keys."""
    genuine = json.loads(GENUINE.read_text())["value"]["saml-federated-2021"]
    page.fill("#token", genuine["id_token"])
    page.locator("#offline > summary").click()
    page.fill("#jwks", json.dumps(genuine["jwks"]))
    page.fill("#at", genuine["inside_lifetime"])
    page.fill("#issuer", genuine["issuer"])
    page.fill("#client_id", genuine["client_id"])
    page.get_by_role("button", name="Verify on the server").click()
    page.wait_for_selector("#inspection")


def main() -> None:
    app_url = sys.argv[1] if len(sys.argv) > 1 else "http://localhost:5000"
    out = Path(sys.argv[2] if len(sys.argv) > 2 else "docs")
    out.mkdir(exist_ok=True)
    instance = Path(os.environ.get("INSTANCE_PATH") or "instance")
    user = json.loads((instance / "local_cognito.json").read_text())["users"][0]
    problems: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for size in SIZES:
            problems += walk(browser, app_url, out, user, size)
        browser.close()
    print(f"screenshots in {out}/ and {out}/projector/; page errors: {problems or 'none'}")


if __name__ == "__main__":
    main()
