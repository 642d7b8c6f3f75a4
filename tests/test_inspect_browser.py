"""Issue 23.17: the inspector decodes as you type, like jwt.io (coloured parts; header and payload side by
side), in the page, with no request; verification stays the server's, on request (the form's POST)."""

from __future__ import annotations

import base64
import json

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


def b64(value: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


def test_decoded_as_you_type_without_a_request(stack, signed_in, screen: Page):
    page = screen
    page.goto(stack.url + "/inspect")
    expect(page.locator("#decoder")).to_have_attribute("data-ready", "true")
    sent: list[str] = []
    page.on("request", lambda r: sent.append(f"{r.method} {r.url}"))
    field = page.locator("#token")
    token = signed_in["id_token"]
    field.fill("Bearer " + token)

    expect(field).to_have_attribute("data-decoded", "jwt")
    header, payload = page.locator("#decoded-header"), page.locator("#decoded-payload")
    expect(header).to_contain_text('"alg": "RS256"')
    expect(payload).to_contain_text('"cognito:username": "demo"')
    expect(page.locator("#decoded-times")).to_contain_text("exp: ")
    expect(page.locator("#decode-status")).to_contain_text("Not verified yet")
    one, two = header.bounding_box(), payload.bounding_box()
    assert one and two and one["x"] + one["width"] <= two["x"] and abs(one["y"] - two["y"]) < 2  # side by side
    parts = page.locator("#decoded-token")
    colour = "e => getComputedStyle(e).color"
    colours = [parts.locator(f".seg-{p}").evaluate(colour) for p in ("header", "payload", "signature")]
    assert len(set(colours)) == 3, colours
    assert parts.inner_text() == token  # the parts, in order, are the token itself
    assert page.locator("#decoded-header-title .seg-header").evaluate(colour) == colours[0]

    # as you type: a token cut short, a changed payload, an encrypted one, then nothing
    field.fill(token.rsplit(".", 1)[0])
    expect(field).to_have_attribute("data-decoded", "opaque")
    expect(page.locator("#decode-status")).to_contain_text("Not a JWT: 2 parts")
    forged = ".".join([b64({"alg": "none"}), b64({"sub": "attacker", "exp": 1}), ""])
    field.fill(forged)
    expect(payload).to_contain_text('"sub": "attacker"')
    expect(header).to_contain_text('"alg": "none"')
    field.fill(".".join([b64({"alg": "RSA-OAEP", "enc": "A256GCM"}), "a", "b", "c", "d"]))
    expect(field).to_have_attribute("data-decoded", "jwe")
    expect(page.locator("#decode-status")).to_contain_text("encrypted JWE")
    field.fill("")
    expect(page.locator("#decoded-parts")).to_be_hidden()
    assert sent == []  # decoding sent nothing, not even the token

    field.fill(forged)  # verification: the server's, on request
    page.get_by_role("button", name="Verify on the server").click()
    expect(page.locator("#inspection")).to_have_attribute("data-verdict", "invalid")
    assert [r for r in sent if r.startswith("POST")] == [f"POST {stack.url}/inspect"]


def test_the_verdict_puts_claims_and_checks_side_by_side(stack, signed_in, screen: Page):
    page = screen
    page.goto(stack.url + "/inspect")
    page.locator("#token").fill(signed_in["access_token"])
    page.get_by_role("button", name="Verify on the server").click()
    result = page.locator("#inspection")
    expect(result).to_have_attribute("data-verdict", "valid")
    page.wait_for_load_state("load")  # laid out with its stylesheet (a busy machine measured it unstyled once)
    claims = result.locator(".inspect-main").bounding_box()
    checks = result.locator("#inspect-checks").bounding_box()
    assert claims and checks and checks["x"] >= claims["x"] + claims["width"]  # beside the claims
    expect(result.locator("#inspect-checks > summary")).to_contain_text("9 of 9 checks passed")
    expect(page.locator("#inspect-api")).to_have_attribute("data-status", "200")
