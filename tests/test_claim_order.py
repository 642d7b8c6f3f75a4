"""Issue 23.10: every claims table reads in the order a person reads a token: who (cognito:username,
email, name, sub), what (scope, groups, client), when, then the technical ids (at_hash, event_id,
origin_jti, jti), which wait in a row that opens. One ordering (lab/claims.py), followed by the server's
pages and by static/dom.js in the browser."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from lab.claims import CLAIM_GROUPS, claim_group, order_claims
from tests.support import csrf_of
from tests.support.browser import sign_in

# A Cognito ID token's claims in the order the provider wrote them.
ID_CLAIMS = [
    "at_hash", "sub", "cognito:groups", "email_verified", "iss", "cognito:username", "origin_jti", "aud",
    "event_id", "token_use", "auth_time", "exp", "iat", "jti", "email", "nonce", "name", "given_name",
    "family_name", "custom:team", "x-unknown",
]  # fmt: skip


def test_claims_are_ordered_who_what_when_technical():
    order = order_claims(ID_CLAIMS)
    place = order.index
    assert order[0] == "cognito:username"
    assert place("cognito:username") < place("email") < place("name") < place("sub")
    who = ["cognito:username", "email", "email_verified", "name", "given_name", "family_name", "custom:team", "sub"]
    assert order[: len(who)] == who  # custom attributes are about the user too
    assert place("sub") < place("cognito:groups") < place("aud") < place("token_use") < place("iss")
    assert place("iss") < place("x-unknown") < place("auth_time")  # an unknown claim before the times
    assert place("auth_time") < place("iat") < place("exp") < place("nonce")
    assert order[-5:] == ["nonce", "at_hash", "event_id", "origin_jti", "jti"]
    assert [claim_group(n) for n in ("sub", "scope", "exp", "jti", "x-unknown")] == [
        "who",
        "what",
        "when",
        "technical",
        "what",
    ]


def rows_of(html: str, table_start: str) -> list[str]:
    """The data-claim names of the claims table(s) after `table_start`, in page order."""
    part = html[html.index(table_start) :]
    part = part[: part.index("</article>")] if "</article>" in part else part
    return re.findall(r'<tr data-claim="([^"]+)">', part)


def test_the_dashboard_and_the_inspector_list_claims_in_reading_order(stack, http, signed_in):
    page = http.get(stack.url + "/dashboard").text
    shown = rows_of(page, 'id="token-id"')
    assert shown == order_claims(shown)
    assert shown[0] == "cognito:username" and shown[-4:] == ["at_hash", "event_id", "origin_jti", "jti"]
    card = page[page.index('id="token-id"') : page.index('id="token-access"')]
    technical = card[card.index('class="more-claims"') :]  # the technical ids wait in a row that opens
    assert re.findall(r'data-claim="([^"]+)"', technical) == ["nonce", "at_hash", "event_id", "origin_jti", "jti"]

    token = signed_in["id_token"]
    answer = http.post(
        stack.url + "/inspect", data={"token": token, "csrf_token": csrf_of(http.get(stack.url + "/inspect").text)}
    ).text
    inspected = rows_of(answer, 'id="inspection"')
    assert inspected and inspected == order_claims(inspected) and inspected[0] == "cognito:username"


@pytest.mark.browser
def test_the_browser_orders_claims_as_the_server_does(stack, page: Page):
    page.goto(stack.url + "/compare")  # any page of the app: the module is imported from its origin
    names = [*ID_CLAIMS, "scope", "client_id", "version", "username", "custom:a", "zz", "nbf"]
    shown = page.evaluate(
        "async (arg) => { const m = await import('/static/dom.js'); return m.orderClaims(arg.names, arg.groups); }",
        {"names": names, "groups": CLAIM_GROUPS},
    )
    assert shown == order_claims(names)


@pytest.mark.browser
def test_the_implicit_page_lists_claims_in_reading_order(stack, page: Page):
    page.goto(stack.url + "/implicit")
    sign_in(page, stack)
    card = page.locator("#token-id")
    expect(card.locator(".pill")).to_have_text("verified")
    shown = card.locator("tr[data-claim]").evaluate_all("rows => rows.map((r) => r.dataset.claim)")
    assert shown == order_claims(shown) and shown[0] == "cognito:username"
    jti = card.locator('[data-claim="jti"]')
    expect(jti).to_be_hidden()  # technical ids wait in a row that opens
    card.locator(".more-claims > summary").click()
    expect(jti).to_be_visible()
