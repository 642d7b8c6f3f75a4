"""Click through a running app (`make run`) in headless Chromium and save screenshots to docs/.

Usage: .venv/bin/python scripts/screenshots.py [APP_URL] [OUT_DIR]
It signs in as the local provider's demo user, so run it against the local provider.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def sign_in(page: Page, user: dict) -> None:
    page.wait_for_selector("input[name=username]")
    page.fill("input[name=username]", user["username"])
    page.fill("input[name=password]", user["password"])
    page.get_by_role("button", name="Sign in").click()


def main() -> None:
    app_url = sys.argv[1] if len(sys.argv) > 1 else "http://localhost:5000"
    out = Path(sys.argv[2] if len(sys.argv) > 2 else "docs")
    out.mkdir(exist_ok=True)
    user = json.loads(Path("instance/local_cognito.json").read_text())["users"][0]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        problems: list[str] = []
        page.on("pageerror", lambda e: problems.append(str(e)))

        page.goto(app_url + "/")
        page.screenshot(path=str(out / "home.png"))
        page.get_by_role("link", name="Sign in (authorization code)").click()
        page.wait_for_selector("input[name=username]")
        page.screenshot(path=str(out / "provider-login.png"))
        sign_in(page, user)
        page.wait_for_url(app_url + "/dashboard")
        page.get_by_role("button", name="Refresh tokens").click()
        page.get_by_role("button", name="Call the API with the ID token").click()
        page.goto(app_url + "/dashboard")
        page.screenshot(path=str(out / "dashboard.png"), full_page=True)

        page.goto(app_url + "/implicit")  # the provider session skips its form (SSO)
        page.wait_for_selector("#implicit[data-verified=true]")
        page.screenshot(path=str(out / "implicit.png"), full_page=True)

        page.goto(app_url + "/spa")  # the browser-only flow: code + PKCE with the public client
        page.locator("#spa-start").click()
        page.wait_for_selector("#spa[data-verified=true]")
        page.locator("#spa-userinfo").click()
        page.wait_for_selector("#spa[data-userinfo]")
        page.screenshot(path=str(out / "spa.png"), full_page=True)
        page.goto(app_url + "/compare")
        page.screenshot(path=str(out / "compare.png"), full_page=True)

        page.goto(app_url + "/dashboard")
        card = page.locator('.raw-token[data-which="id"]')
        card.get_by_role("button", name="Reveal the id token").click()
        page.wait_for_selector('.raw-token[data-which="id"][data-revealed=true]')
        token = card.locator("pre").inner_text()
        page.goto(app_url + "/inspect")
        page.fill("#token", token)
        page.get_by_role("button", name="Inspect").click()
        page.wait_for_selector("#inspection")
        page.screenshot(path=str(out / "inspect.png"), full_page=True)

        page.goto(app_url + "/authorize-request")
        page.locator('input[name="scope"][value="phone"]').check()
        page.locator("#prompt").select_option("login")
        page.locator("#login_hint").fill("demo")
        page.screenshot(path=str(out / "authorize-panel.png"), full_page=True)

        page.goto(app_url + "/trace")
        page.locator("#timeline details").nth(3).evaluate("d => d.open = true")
        page.screenshot(path=str(out / "trace.png"), full_page=True)
        page.goto(app_url + "/doctor")
        page.get_by_role("button", name="Run the live checks").click()
        page.wait_for_selector('[data-finding="discovery"]')
        page.screenshot(path=str(out / "doctor.png"), full_page=True)

        page.goto(app_url + "/presenter?on=1&next=/dashboard")
        page.get_by_role("button", name="Refresh tokens").click()
        page.wait_for_selector("#presenter")
        page.screenshot(path=str(out / "presenter.png"))
        page.goto(app_url + "/presenter?on=0&next=/")
        browser.close()
    print(f"screenshots in {out}/; page errors: {problems or 'none'}")


if __name__ == "__main__":
    main()
